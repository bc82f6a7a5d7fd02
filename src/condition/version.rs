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
use core::cmp::Ordering;

const WIDTH: usize = 5;

/// Orders two version strings.
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    super::cmp_utf16(&padded(core(a)), &padded(core(b)))
}

/// Orders an attribute against a version operator's argument when both are strings or both
/// are numbers; None for any other pairing (see the module comment).
pub(crate) fn compare_values(actual: &Value, expected: &Value) -> Option<Ordering> {
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => Some(compare(a, e)),
        (Value::Number(a), Value::Number(e)) => Some(compare(&js_string(*a), &js_string(*e))),
        _ => None,
    }
}

/// `n` as JavaScript's `String(n)` writes it. Rust's `Display` picks the same shortest
/// digits; JavaScript writes them with an exponent from 1e21 up and below 1e-6, where a
/// version string would split differently (`"1e+21"` pads to `1e`, not to 22 digits).
fn js_string(n: f64) -> String {
    let mut s = String::new();
    if n.is_nan() {
        s.push_str("NaN");
        return s;
    }
    if n.is_infinite() {
        s.push_str(if n > 0.0 { "Infinity" } else { "-Infinity" });
        return s;
    }
    crate::json::write_number(&mut s, n);
    let a = n.abs();
    if a < 1e21 && (a >= 1e-6 || a == 0.0) {
        return s;
    }
    let (sign, body) = match s.strip_prefix('-') {
        Some(body) => ("-", body),
        None => ("", s.as_str()),
    };
    let int_len = body.find('.').unwrap_or(body.len());
    let digits: String = body.chars().filter(|c| *c != '.').collect();
    let lead = digits.bytes().take_while(|&b| b == b'0').count();
    let significant = digits.get(lead..).unwrap_or_default().trim_end_matches('0');
    let mut out = String::from(sign);
    let mut rest = significant.chars();
    out.extend(rest.next());
    if !rest.as_str().is_empty() {
        out.push('.');
        out.push_str(rest.as_str());
    }
    let exponent = int_len as i64 - 1 - lead as i64;
    out.push_str(if exponent < 0 { "e-" } else { "e+" });
    crate::text::push_uint(&mut out, exponent.unsigned_abs());
    out
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
    s.split(['-', '.'])
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
        ];
        for (n, js) in cases {
            assert_eq!(js_string(n), js, "String({n:e})");
        }
    }

    #[test]
    fn numbers_compare_as_versions_only_with_numbers() {
        let n = |x: f64| Value::Number(x);
        let s = |x: &str| Value::String(x.to_owned());
        assert_eq!(compare_values(&n(2.0), &n(2.0)), Some(Ordering::Equal));
        assert_eq!(compare_values(&n(10.0), &n(2.0)), Some(Ordering::Greater));
        // 1.5 is the version 1.5: before 2, after 1.4.
        assert_eq!(compare_values(&n(1.5), &n(2.0)), Some(Ordering::Less));
        assert_eq!(compare_values(&n(1.5), &n(1.4)), Some(Ordering::Greater));
        assert_eq!(compare_values(&n(2.0), &s("2")), None);
        assert_eq!(compare_values(&s("2"), &n(2.0)), None);
        assert_eq!(compare_values(&Value::Null, &s("0")), None);
        assert_eq!(compare_values(&Value::Bool(false), &n(0.0)), None);
    }

    #[test]
    fn build_suffix_only_on_the_last_line() {
        assert_eq!(core("1+x\n2"), "1+x\n2");
        assert_eq!(core("1\n2+x"), "1\n2");
        assert_eq!(core("+x"), "");
        assert_eq!(core(""), "0");
    }
}
