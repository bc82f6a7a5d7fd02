//! Regular expressions for `$regex` conditions, behind one small trait.
//!
//! JavaScript's `RegExp` semantics are the contract. In the browser the web shell answers
//! with the browser's own engine (`web::regex::JsRegexEngine`), so the wasm module ships no
//! regex engine; natively (tests, benches, the conformance runner) [`RegressEngine`] uses the
//! ECMAScript-compatible `regress` crate. This module never decides what a match means for a
//! condition: it only says whether a pattern matches, or that the pattern is not valid.
//!
//! Both engines backtrack, so a pattern from config could take exponential time on a
//! visitor's text. [`hazard`] is a syntactic check the core runs before any engine sees a
//! pattern (the safe-regex idea, widened to alternatives); [`MAX_TEXT`] caps the text.

use crate::prelude::*;

/// The longest text `$regex` is run on, in UTF-16 code units (JavaScript's `length`).
pub const MAX_TEXT: usize = 1_000;

/// Whether `text` is longer than [`MAX_TEXT`] UTF-16 code units: each byte that starts a
/// character is one unit, and one that starts four bytes (beyond U+FFFF) is two. A text of
/// no more bytes than that is not even counted.
pub fn too_long(text: &str) -> bool {
    let units = |b: &u8| usize::from(b & 0xC0 != 0x80) + usize::from(*b >= 0xF0);
    text.len() > MAX_TEXT && text.as_bytes().iter().map(units).sum::<usize>() > MAX_TEXT
}

/// Why [`hazard`] refuses a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hazard {
    /// A repeated group holding a quantifier or alternatives (`(a+)+`, `(a*)*`, `(a|aa)+`,
    /// `(.*a){20}`): a backtracking engine can take exponential time to fail on it.
    NestedQuantifier,
    /// `\N` before N capture groups have opened (`(?:)(a)|\2`): a forward reference or an
    /// octal escape in JavaScript, and an engine bug in regress 0.10.
    Backreference,
    /// Groups nested deeper than [`MAX_GROUP_DEPTH`]: the engines compile a pattern
    /// recursively (regress ran out of a 1 MiB stack at about 800 levels).
    TooDeep,
}

/// The deepest nesting of groups a pattern may have.
pub const MAX_GROUP_DEPTH: usize = 32;

/// Whether `pattern` (JS syntax) is one the core will not run, and why. Linear in the
/// pattern, and loose about syntax: a malformed pattern passes here and fails to compile.
pub fn hazard(pattern: &str) -> Option<Hazard> {
    // Per group, whether it holds a quantifier or a `|` so far: `top` for the innermost
    // open group (or the whole pattern), `open` for the ones around it.
    let bytes = pattern.as_bytes();
    let mut open: Vec<bool> = Vec::new();
    let mut top = false;
    let mut captures = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        // What a quantifier right here would repeat: a group and what it holds, or an atom.
        let mut group = false;
        match b {
            b'\\' => match number(bytes, i) {
                // `\N` with N from 1: a backreference (`\0` is the NUL character).
                (len, n) if len > 0 && bytes.get(i) != Some(&b'0') => {
                    if n > captures {
                        return Some(Hazard::Backreference);
                    }
                    i += len;
                }
                _ => i += 1,
            },
            b'[' => {
                // A class is one atom; `]` ends it unless escaped (`[]` is empty in JS).
                while let Some(&c) = bytes.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b']' {
                        break;
                    }
                }
            }
            b'(' => {
                // `(?<name>` captures; `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!` do not.
                let rest = bytes.get(i..).unwrap_or_default();
                let captures_here = match rest {
                    [b'?', b'<', b'=' | b'!', ..] => false,
                    [b'?', b'<', ..] => true,
                    [b'?', ..] => false,
                    _ => true,
                };
                captures += usize::from(captures_here);
                if open.len() >= MAX_GROUP_DEPTH {
                    return Some(Hazard::TooDeep);
                }
                open.push(top);
                top = false;
                continue;
            }
            b')' => {
                group = top;
                top |= open.pop().unwrap_or_default();
            }
            b'|' => {
                top = true;
                continue;
            }
            _ => {}
        }
        let Some((len, repeats)) = quantifier(bytes, i) else {
            continue;
        };
        i += len;
        if repeats && group {
            return Some(Hazard::NestedQuantifier);
        }
        top = true;
    }
    None
}

/// The quantifier at `bytes[at..]` (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each maybe lazy):
/// its length, and whether it may repeat its atom. Braces count as repeating even as `{1}`
/// or `{0,1}`, which nobody writes for `?`; a `{` not followed by a digit is a literal, as in
/// JavaScript without the `u` flag.
fn quantifier(bytes: &[u8], at: usize) -> Option<(usize, bool)> {
    let (len, repeats) = match bytes.get(at..)? {
        [b'*' | b'+', ..] => (1, true),
        [b'?', ..] => (1, false),
        [b'{', d, rest @ ..] if d.is_ascii_digit() => {
            (3 + rest.iter().take_while(|&&c| c != b'}').count(), true)
        }
        _ => return None,
    };
    let lazy = usize::from(bytes.get(at + len) == Some(&b'?'));
    Some((len + lazy, repeats))
}

/// The decimal digits at `bytes[at..]`: how many, and their value (saturating).
fn number(bytes: &[u8], at: usize) -> (usize, usize) {
    let digits = bytes.get(at..).unwrap_or_default();
    let len = digits.iter().take_while(|d| d.is_ascii_digit()).count();
    let value = digits.iter().take(len).fold(0usize, |n, d| {
        n.saturating_mul(10).saturating_add(usize::from(d - b'0'))
    });
    (len, value)
}

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

    /// `n` as JavaScript's `String(n)` writes it (for version operators given numbers, as
    /// GrowthBook's `paddedVersionString` reads them). The browser engine answers with the
    /// browser's own, so the wasm ships no float formatting (about 12 KB gzipped).
    fn number_string(&self, n: f64) -> String;

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

        fn number_string(&self, n: f64) -> String {
            js_number_string(n)
        }
    }

    /// `n` as JavaScript's `String(n)` writes it. Rust's `Display` and `LowerExp` pick the
    /// same shortest digits; JavaScript writes an exponent from 1e21 up and below 1e-6.
    fn js_number_string(n: f64) -> String {
        if n.is_nan() {
            "NaN".to_owned()
        } else if n.is_infinite() {
            if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
        } else if n == 0.0 {
            // Also -0, which Rust writes with its sign.
            "0".to_owned()
        } else if (1e-6..1e21).contains(&n.abs()) {
            format!("{n}")
        } else {
            let e = format!("{n:e}");
            if e.contains("e-") {
                e
            } else {
                e.replacen('e', "e+", 1)
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn numbers_read_as_javascript_writes_them() {
            // Each expected string is what `node -e 'console.log(String(n))'` prints.
            let cases = [
                (2.0, "2"),
                (1.5, "1.5"),
                (-0.0, "0"),
                (0.1 + 0.2, "0.30000000000000004"),
                (123.456, "123.456"),
                (1e-6, "0.000001"),
                (1.5e-7, "1.5e-7"),
                (1.2345e-7, "1.2345e-7"),
                (5e-324, "5e-324"),
                (1152921504606846976.0, "1152921504606847000"),
                (999999999999999900000.0, "999999999999999900000"),
                (1e21, "1e+21"),
                (-1e25, "-1e+25"),
                (1.7976931348623157e308, "1.7976931348623157e+308"),
                (f64::NAN, "NaN"),
                (f64::NEG_INFINITY, "-Infinity"),
            ];
            for (n, js) in cases {
                assert_eq!(js_number_string(n), js, "String({n:e})");
            }
        }

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
    fn refuses_repeated_groups_holding_quantifiers_or_alternatives() {
        for p in [
            "(a+)+",
            "(a*)*",
            "(a|aa)+",
            "(.*a){20}",
            "^(a+)+$",
            "((ab)+)+",
            "(?:a+){2,}",
            "(?:a+){0,2}",
            "(?<n>a+)*",
            "((a|b)c)*",
            "(a+?)+?",
            r"(\d+)*",
            "([a-z]+)+",
            "(a{2,})+",
            "(a?)+",
            "(a+){1}",
        ] {
            assert_eq!(hazard(p), Some(Hazard::NestedQuantifier), "{p}");
        }
    }

    #[test]
    fn lets_ordinary_patterns_through() {
        for p in [
            "^/pricing",
            "-12-25$",
            "(Mobile|Tablet)",
            r"^https://(www\.)?example\.org/",
            "^/(pricing|plans)(/|$)",
            "(ab)+",
            "(a+)?",
            "[(a+)+]",
            r"\(a+\)+",
            "a{",
            "a{,3}",
            "(a)|b+",
            "",
        ] {
            assert_eq!(hazard(p), None, "{p}");
        }
    }

    #[test]
    fn counts_text_length_as_javascript_does() {
        assert!(!too_long(&"a".repeat(MAX_TEXT)));
        assert!(too_long(&"a".repeat(MAX_TEXT + 1)));
        // Two bytes, one unit; three bytes, one unit; four bytes, two units.
        assert!(!too_long(&"\u{e9}".repeat(MAX_TEXT)));
        assert!(!too_long(&"\u{20ac}".repeat(MAX_TEXT)));
        assert!(!too_long(&"\u{1F600}".repeat(MAX_TEXT / 2)));
        assert!(too_long(&("\u{1F600}".repeat(MAX_TEXT / 2) + "a")));
    }

    #[test]
    fn refuses_groups_nested_past_the_bound_before_any_engine_compiles_them() {
        let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(hazard(&nested(MAX_GROUP_DEPTH)), None);
        assert_eq!(hazard(&nested(MAX_GROUP_DEPTH + 1)), Some(Hazard::TooDeep));
        assert_eq!(hazard(&nested(5_000)), Some(Hazard::TooDeep));
        assert_eq!(
            hazard(&"(?:a)".repeat(5_000)),
            None,
            "many groups side by side are fine"
        );
    }

    #[test]
    fn refuses_backreferences_to_groups_not_yet_open() {
        for p in [r"(?:)(a)|\2", r"\1(a)", r"(a)\10", r"(?<=a)\1", r"(?:a)\1"] {
            assert_eq!(hazard(p), Some(Hazard::Backreference), "{p}");
        }
        for p in [
            r"(a)\1",
            r"(a\1)",
            r"(?<x>a)\k<x>",
            r"(?<x>a)\1",
            r"[\2]",
            r"\0",
        ] {
            assert_eq!(hazard(p), None, "{p}");
        }
    }

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
