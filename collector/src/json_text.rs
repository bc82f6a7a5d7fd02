//! Repairs JSON text before serde_json reads it: an unpaired UTF-16 surrogate escape
//! (`"\ud800"`) becomes `"\ufffd"`, the replacement character.
//!
//! JavaScript strings are UTF-16, so a string cut in the middle of an emoji holds half a
//! surrogate pair, and `JSON.stringify` writes it as a lone `\uD83D` escape. serde_json
//! rightly refuses that (no Rust string can hold it), which would turn one visitor's broken
//! emoji into a 400 for the whole batch, or one typo in the config file into a collector
//! with no sites. Replacing it keeps everything else and marks the spot, as browsers do
//! when they decode such text. This module never parses JSON: it only rewrites escapes.

use std::borrow::Cow;

const REPLACEMENT: &[u8; 6] = b"\\ufffd";

/// `json` with every unpaired `\uD800`-`\uDFFF` escape replaced by `\ufffd`; borrowed and
/// unchanged when there is none, which is almost always.
///
/// A backslash only ever starts an escape inside a JSON string, and its byte never occurs
/// inside a multi-byte UTF-8 character, so walking escapes byte by byte is exact: `\\`
/// is skipped whole, which keeps `\\ud800` (a backslash, then the text `ud800`) as it is.
/// Text that is not valid JSON is left for serde_json to reject.
pub fn replace_lone_surrogates(json: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    // Bytes before `copied` are already in `out` (when there is one).
    let mut copied = 0;
    let mut i = 0;
    while i < json.len() {
        if json[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = escape_at(json, i) else {
            // `\"`, `\\`, `\n`...: two bytes, never the start of a `\u` escape.
            i += 2;
            continue;
        };
        let lone = match unit {
            0xD800..=0xDBFF => match escape_at(json, i + 6) {
                Some(0xDC00..=0xDFFF) => {
                    i += 12;
                    continue;
                }
                _ => true,
            },
            0xDC00..=0xDFFF => true,
            _ => false,
        };
        if lone {
            let buf = out.get_or_insert_with(|| Vec::with_capacity(json.len()));
            buf.extend_from_slice(&json[copied..i]);
            buf.extend_from_slice(REPLACEMENT);
            copied = i + 6;
        }
        i += 6;
    }
    match out {
        None => Cow::Borrowed(json),
        Some(mut buf) => {
            buf.extend_from_slice(json.get(copied..).unwrap_or_default());
            Cow::Owned(buf)
        }
    }
}

/// The UTF-16 code unit of a `\uXXXX` escape starting at `at`, if there is one.
fn escape_at(json: &[u8], at: usize) -> Option<u16> {
    let escape = json.get(at..at.checked_add(6)?)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &str) -> String {
        String::from_utf8(replace_lone_surrogates(text.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn text_without_lone_surrogates_is_borrowed_unchanged() {
        for text in [
            r#"{"a": "plain", "b": "\u00e9\n\"", "c": "😀"}"#,
            r#""\ud83d\ude00""#,
            r#""\uD83D\uDE00""#,
            "",
        ] {
            assert!(
                matches!(replace_lone_surrogates(text.as_bytes()), Cow::Borrowed(_)),
                "{text}"
            );
        }
    }

    #[test]
    fn a_valid_pair_stays_and_parses_to_its_character() {
        let text = r#"["\ud83d\ude00"]"#;
        assert_eq!(fixed(text), text);
        let v: Vec<String> = serde_json::from_str(&fixed(text)).unwrap();
        assert_eq!(v, ["😀"]);
    }

    #[test]
    fn a_lone_high_surrogate_becomes_the_replacement_character() {
        assert_eq!(fixed(r#"["a\ud83db"]"#), r#"["a\ufffdb"]"#);
        assert_eq!(fixed(r#"["\uD800"]"#), r#"["\ufffd"]"#);
        let v: Vec<String> =
            serde_json::from_slice(&replace_lone_surrogates(br#"["x\ud800"]"#)).unwrap();
        assert_eq!(v, ["x\u{fffd}"]);
    }

    #[test]
    fn a_lone_low_surrogate_becomes_the_replacement_character() {
        assert_eq!(fixed(r#"["\udc00z"]"#), r#"["\ufffdz"]"#);
        assert_eq!(fixed(r#"["\uDFFF"]"#), r#"["\ufffd"]"#);
    }

    #[test]
    fn a_reversed_pair_is_two_lone_surrogates() {
        assert_eq!(fixed(r#"["\ude00\ud83d"]"#), r#"["\ufffd\ufffd"]"#);
    }

    #[test]
    fn a_high_surrogate_before_a_valid_pair_is_lone_and_the_pair_stays() {
        assert_eq!(
            fixed(r#"["\ud83d\ud83d\ude00"]"#),
            r#"["\ufffd\ud83d\ude00"]"#
        );
    }

    #[test]
    fn an_escaped_backslash_before_u_is_not_an_escape() {
        let text = r#"["\\ud800", "\\\\ud800"]"#;
        assert_eq!(fixed(text), text);
        assert_eq!(fixed(r#"["\\\ud800"]"#), r#"["\\\ufffd"]"#);
    }

    #[test]
    fn a_lone_surrogate_at_the_end_of_a_string_or_the_text_is_replaced() {
        assert_eq!(fixed(r#"{"k":"\ud800"}"#), r#"{"k":"\ufffd"}"#);
        assert_eq!(fixed(r#"\ud800"#), r#"\ufffd"#);
        // A high surrogate whose would-be partner is cut off by the end of the text.
        assert_eq!(fixed(r#""\ud800\udc"#), r#""\ufffd\udc"#);
    }

    #[test]
    fn text_that_is_not_an_escape_is_left_for_the_parser() {
        for text in [r#""\u12"#, r#""\uzzzz""#, "\"\\", r#""\ud800\u00e9""#] {
            let expected = text.replace(r"\ud800", r"\ufffd");
            assert_eq!(fixed(text), expected, "{text}");
        }
    }
}
