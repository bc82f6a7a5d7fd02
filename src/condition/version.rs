//! Version ordering for `$veq` … `$vlte`, exactly as GrowthBook's `paddedVersionString`.
//!
//! GrowthBook's JS SDK (`packages/sdk-js/src/mongrule.ts`, `evalOperatorCondition`) pads
//! both sides whatever their type: `paddedVersionString` turns a number into `String(n)`
//! and anything else that is not a non-empty string into `"0"`, so there `null` equals
//! `"0"` and `2` equals `"2"`. With strict types (spec 0.12.0) only operands of one kind
//! compare: two strings, or two numbers written as `String(n)` writes them. Any other
//! pairing (a number against a string, or null, a boolean, an array, an object on the
//! attribute's side) is not an equal version: `$vne` holds, the others do not.
//!
//! GrowthBook drops a leading `v` and any `+build` suffix, splits on `-` and `.`, appends
//! `~` to a plain `x.y.z` (so a release sorts after its pre-releases), left-pads numeric
//! parts with spaces to five characters, joins with `-` and compares the strings by UTF-16
//! code units. We build the same strings and compare them the same way. Numbers
//! of six digits or more are not padded, so `100000` sorts before `99999`, as in every
//! GrowthBook SDK; we keep that, because the same rule must give the same audience in every
//! SDK.

use crate::json::Value;
use crate::prelude::*;
use crate::regex::RegexEngine;
use core::cmp::Ordering;

const WIDTH: usize = 5;

/// Orders two version strings.
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    super::cmp_utf16(&padded(core(a)), &padded(core(b)))
}

/// Orders an attribute against a version operator's argument when both are strings or both
/// are numbers (written by `js` as JavaScript's `String(n)` writes them); None for any
/// other pairing (see the module comment).
pub(crate) fn compare_values(
    actual: &Value,
    expected: &Value,
    js: &dyn RegexEngine,
) -> Option<Ordering> {
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => Some(compare(a, e)),
        (Value::Number(a), Value::Number(e)) => {
            Some(compare(&js.number_string(*a), &js.number_string(*e)))
        }
        _ => None,
    }
}

/// The version without a leading `v` and without build metadata; an empty one is `"0"`.
fn core(s: &str) -> &str {
    if s.is_empty() {
        return "0";
    }
    let s = s.strip_prefix('v').unwrap_or(s);
    // GrowthBook strips with /\+.*$/, whose `.` stops at line terminators, so only a `+`
    // on the last line starts the build suffix.
    let mut suffix = None;
    for (i, c) in s.char_indices() {
        match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => suffix = None,
            '+' if suffix.is_none() => suffix = Some(i),
            _ => {}
        }
    }
    // `get`, not `&s[..i]`: a slice that can panic brings the formatting of its panic
    // message into the wasm (several KB).
    suffix.and_then(|i| s.get(..i)).unwrap_or(s)
}

fn parts(s: &str) -> impl Iterator<Item = &str> {
    crate::text::split_any(s, *b"-.")
}

fn is_number(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())
}

/// GrowthBook's padded string. Built, not produced lazily: the iterator chain that avoided
/// the allocation cost about 2 KB of wasm.
fn padded(s: &str) -> String {
    let mut out = String::new();
    let release = (parts(s).count() == 3).then_some("~");
    for (i, part) in parts(s).chain(release).enumerate() {
        if i > 0 {
            out.push('-');
        }
        if is_number(part) {
            for _ in part.len()..WIDTH {
                out.push(' ');
            }
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn growthbook_padded(s: &str) -> String {
        padded(core(s))
    }

    #[test]
    fn pads_like_growthbook() {
        assert_eq!(
            growthbook_padded("v1.2.3-rc.1+build123"),
            "    1-    2-    3-rc-    1"
        );
        assert_eq!(growthbook_padded("1.0.0"), "    1-    0-    0-~");
        assert_eq!(growthbook_padded(""), "    0");
        assert_eq!(growthbook_padded("123456"), "123456");
    }

    #[test]
    fn long_numbers_order_as_growthbook_orders_them() {
        assert_eq!(
            compare("1.2.3-rc.123456", "1.2.3-rc.123455"),
            Ordering::Greater
        );
        assert_eq!(compare("1.0.0", "123456789"), Ordering::Less);
        // The known quirk, kept for cross-SDK agreement: six digits are not padded.
        assert_eq!(compare("100000.0.0", "99999.0.0"), Ordering::Less);
    }

    #[test]
    fn release_sorts_after_its_prereleases() {
        assert_eq!(compare("1.0.0", "1.0.0-rc.1"), Ordering::Greater);
        assert_eq!(compare("1.0.0-alpha", "1.0.0-alpha.1"), Ordering::Less);
        assert_eq!(compare("1.2.3+a", "v1.2.3+b"), Ordering::Equal);
    }

    #[test]
    fn numbers_compare_as_versions_only_with_numbers() {
        let js = crate::regex::RegressEngine::new();
        let cv = |a: &Value, e: &Value| compare_values(a, e, &js);
        let n = |x: f64| Value::Number(x);
        let s = |x: &str| Value::String(x.to_owned());
        assert_eq!(cv(&n(2.0), &n(2.0)), Some(Ordering::Equal));
        assert_eq!(cv(&n(10.0), &n(2.0)), Some(Ordering::Greater));
        // 1.5 is the version 1.5: before 2, after 1.4.
        assert_eq!(cv(&n(1.5), &n(2.0)), Some(Ordering::Less));
        assert_eq!(cv(&n(1.5), &n(1.4)), Some(Ordering::Greater));
        assert_eq!(cv(&n(2.0), &s("2")), None);
        assert_eq!(cv(&s("2"), &n(2.0)), None);
        assert_eq!(cv(&Value::Null, &s("0")), None);
        assert_eq!(cv(&Value::Bool(false), &n(0.0)), None);
    }

    #[test]
    fn build_suffix_only_on_the_last_line() {
        assert_eq!(core("1+x\n2"), "1+x\n2");
        assert_eq!(core("1\n2+x"), "1\n2");
        assert_eq!(core("+x"), "");
        assert_eq!(core(""), "0");
    }
}
