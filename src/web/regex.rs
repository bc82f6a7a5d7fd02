//! The browser's own `RegExp` as the core's [`RegexEngine`], so the wasm ships no regex
//! engine and `$regex` conditions mean exactly what they mean in JavaScript.
//!
//! An invalid pattern makes the `RegExp` constructor throw a `SyntaxError`; the import is
//! declared with `catch`, so the throw arrives as an `Err` and never unwinds into Rust.
//! The browser's `RegExp` backtracks too: the core never hands it a pattern that
//! `regex::hazard` refuses, nor a text longer than `regex::MAX_TEXT`.

use crate::prelude::*;
use core::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::regex::RegexEngine;

#[wasm_bindgen]
extern "C" {
    /// The global `RegExp`, declared here (rather than using `js_sys::RegExp::new`) so
    /// that construction can fail without throwing.
    #[wasm_bindgen(js_name = RegExp)]
    type JsRegExp;

    #[wasm_bindgen(constructor, js_class = "RegExp", catch)]
    fn new(pattern: &str, flags: &str) -> Result<JsRegExp, JsValue>;

    #[wasm_bindgen(method, js_class = "RegExp")]
    fn test(this: &JsRegExp, text: &str) -> bool;
}

/// Patterns come from config; the bound only guards against unbounded generated patterns.
const MAX_CACHED: usize = 256;

/// Compiled patterns by source, including the invalid ones (`None`). A vector: a site has a
/// handful of patterns, and a hash map would add its code to the wasm.
type Cache = Vec<(String, Option<JsRegExp>)>;

/// `$regex` through the browser's `RegExp`, with compiled patterns cached.
#[derive(Default)]
pub struct JsRegexEngine {
    exact: RefCell<Cache>,
    ignore_case: RefCell<Cache>,
}

impl JsRegexEngine {
    /// An engine with an empty cache.
    pub fn new() -> Self {
        Self::default()
    }
}

fn cached_match(cache: &RefCell<Cache>, flags: &str, pattern: &str, text: &str) -> Option<bool> {
    let mut cache = cache.try_borrow_mut().ok()?;
    let i = match cache.iter().position(|(p, _)| p == pattern) {
        Some(i) => i,
        None => {
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            // Without the `g` or `y` flag, `test` keeps no state between calls, so one
            // compiled RegExp can be shared by every evaluation.
            cache.push((pattern.to_owned(), JsRegExp::new(pattern, flags).ok()));
            cache.len() - 1
        }
    };
    let compiled = cache.get(i)?.1.as_ref()?;
    Some(compiled.test(text))
}

impl RegexEngine for JsRegexEngine {
    fn is_match(&self, pattern: &str, text: &str) -> Option<bool> {
        cached_match(&self.exact, "", pattern, text)
    }

    fn is_match_ignore_case(&self, pattern: &str, text: &str) -> Option<bool> {
        cached_match(&self.ignore_case, "i", pattern, text)
    }

    fn lowercase(&self, s: &str) -> String {
        String::from(js_sys::JsString::from(s).to_lower_case())
    }

    fn number_string(&self, n: f64) -> String {
        // `toString(10)` is `String(n)`; it throws only for a radix outside 2..=36.
        js_sys::Number::from(n)
            .to_string_with_radix(10)
            .map(String::from)
            .unwrap_or_default()
    }
}
