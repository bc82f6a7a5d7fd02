//! Regular expressions for `$regex` conditions, behind one small trait.
//!
//! JavaScript's `RegExp` semantics are the contract. In the browser the web shell answers
//! with the browser's own engine (`web::regex::JsRegexEngine`), so the wasm module ships no
//! regex engine; natively (tests, benches, the conformance runner) [`RegressEngine`] uses the
//! ECMAScript-compatible `regress` crate. This module never decides what a match means for a
//! condition: it only says whether a pattern matches, or that the pattern is not valid.

use crate::prelude::*;
/// Answers whether a JavaScript regular expression matches a text.
pub trait RegexEngine {
    /// Whether `pattern` (JS syntax, no flags) matches somewhere in `text`;
    /// `None` when the pattern is not a valid regular expression.
    fn is_match(&self, pattern: &str, text: &str) -> Option<bool>;

    /// As [`RegexEngine::is_match`], ignoring case (the `i` flag).
    fn is_match_ignore_case(&self, pattern: &str, text: &str) -> Option<bool>;

    /// `s` lowercased as JavaScript's `toLowerCase` does (for `$ini`, `$alli`, ...). The
    /// browser engine answers with the browser's own, so the wasm ships no Unicode tables.
    fn lowercase(&self, s: &str) -> String {
        s.to_lowercase()
    }

    /// Whether `pattern` is a valid regular expression.
    fn is_valid(&self, pattern: &str) -> bool {
        self.is_match(pattern, "").is_some()
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::RegressEngine;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use super::RegexEngine;

    /// Patterns come from config, so a handful are reused over and over; the bound only
    /// guards against a config that generates patterns without end.
    const MAX_CACHED: usize = 512;

    /// Compiled patterns, including the invalid ones (`None`), so a bad pattern is
    /// parsed once rather than on every evaluation.
    type Cache = HashMap<String, Option<regress::Regex>>;

    /// The native engine: `regress` (ECMAScript semantics) with a per-engine pattern cache.
    #[derive(Default)]
    pub struct RegressEngine {
        exact: RefCell<Cache>,
        ignore_case: RefCell<Cache>,
    }

    impl RegressEngine {
        /// An engine with an empty cache.
        pub fn new() -> Self {
            Self::default()
        }
    }

    fn cached_match(
        cache: &RefCell<Cache>,
        flags: &str,
        pattern: &str,
        text: &str,
    ) -> Option<bool> {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(pattern) {
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            let compiled = regress::Regex::with_flags(pattern, flags).ok();
            cache.insert(pattern.to_owned(), compiled);
        }
        let compiled = cache.get(pattern)?.as_ref()?;
        Some(compiled.find(text).is_some())
    }

    impl RegexEngine for RegressEngine {
        fn is_match(&self, pattern: &str, text: &str) -> Option<bool> {
            cached_match(&self.exact, "", pattern, text)
        }

        fn is_match_ignore_case(&self, pattern: &str, text: &str) -> Option<bool> {
            cached_match(&self.ignore_case, "i", pattern, text)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn cache_stays_bounded() {
            let re = RegressEngine::new();
            for i in 0..(MAX_CACHED + 10) {
                assert_eq!(re.is_match(&format!("^{i}$"), &i.to_string()), Some(true));
            }
            assert!(re.exact.borrow().len() <= MAX_CACHED);
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn matches_with_javascript_semantics() {
        let re = RegressEngine::new();
        assert_eq!(re.is_match("-12-25$", "1980-12-25"), Some(true));
        assert_eq!(re.is_match("^ping", "bowling"), Some(false));
        // An escaped slash is an identity escape in JS, as GrowthBook's patterns rely on.
        assert_eq!(re.is_match("^/a\\/b", "/a/b"), Some(true));
        assert_eq!(
            re.is_match_ignore_case("(mobile|tablet)", "Android Mobile"),
            Some(true)
        );
        assert_eq!(
            re.is_match("(mobile|tablet)", "Android Mobile"),
            Some(false)
        );
    }

    #[test]
    fn a_backreference_to_a_group_not_yet_seen_does_not_panic() {
        // regress 0.10.5 indexed out of bounds here (a debug assertion in `cargo test`).
        let re = RegressEngine::new();
        assert!(re.is_match(r"(?:)(a)|\2", "a").is_some());
        assert!(re.is_match(r"(?:)(a)|\2", "\u{2}").is_some());
    }

    #[test]
    fn invalid_pattern_is_none_every_time() {
        let re = RegressEngine::new();
        assert_eq!(re.is_match("/???***[)", "x"), None);
        assert_eq!(re.is_match("/???***[)", "x"), None);
        assert_eq!(re.is_match_ignore_case("(", "x"), None);
        assert!(!re.is_valid("(unclosed"));
        assert!(re.is_valid("^ok$"));
    }
}
