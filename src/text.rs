//! Messages and numbers built without `core::fmt`.
//!
//! `format!` and `to_string` pull the formatting machinery into the wasm (kilobytes for a
//! tracker of this size); the wasm-reachable code builds its text from pieces with these.

use crate::prelude::*;
/// The pieces, one after another: `cat(&["config ", path, ": ", message])`.
pub fn cat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// Appends a whole number in decimal (a dozen lines instead of `core::fmt`'s machinery).
pub fn push_uint(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    for d in digits.iter().skip(i) {
        out.push(char::from(*d));
    }
}

/// Appends a whole number, with its sign.
pub fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_uint(out, n.unsigned_abs());
}

/// A whole number in decimal.
pub fn uint(n: u64) -> String {
    let mut s = String::new();
    push_uint(&mut s, n);
    s
}

/// `s` split around its first `sep`, an ASCII byte, as `str::split_once` splits it. A byte
/// scan: std's `char` searcher (`split`, `find`, `split_once` with a `char`) is ~1 KB of the
/// wasm. An ASCII byte is never inside a UTF-8 sequence, so both sides are whole text.
pub fn split_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    split_once_any(s, [sep])
}

// `any`, not `contains`: slice `contains` is a generic search, ~60 B more of the wasm.
#[allow(clippy::manual_contains)]
fn split_once_any<const N: usize>(s: &str, seps: [u8; N]) -> Option<(&str, &str)> {
    let at = s.bytes().position(|b| seps.iter().any(|&sep| sep == b))?;
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// The pieces of `s` between its `sep`s (an ASCII byte), as `str::split` gives them.
pub fn split(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    split_any(s, [sep])
}

/// The pieces of `s` between any of `seps` (ASCII bytes), as `str::split` with a `char`
/// array gives them.
pub fn split_any<const N: usize>(s: &str, seps: [u8; N]) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        let r = rest?;
        Some(match split_once_any(r, seps) {
            Some((piece, after)) => {
                rest = Some(after);
                piece
            }
            None => {
                rest = None;
                r
            }
        })
    })
}

/// Whether `s` is empty or only whitespace, as `s.trim().is_empty()` says (without the
/// trimming code).
pub fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_std_does() {
        for s in ["", ",", "a", "a,b", ",a,,b,", "é,ü,,€", "no separator"] {
            assert_eq!(
                split(s, b',').collect::<Vec<_>>(),
                s.split(',').collect::<Vec<_>>()
            );
            assert_eq!(split_once(s, b','), s.split_once(','));
            assert_eq!(
                split_any(s, *b",a").collect::<Vec<_>>(),
                s.split([',', 'a']).collect::<Vec<_>>()
            );
        }
        for s in ["", " ", "\t\n", "\u{3000}", " a ", "x"] {
            assert_eq!(is_blank(s), s.trim().is_empty(), "{s:?}");
        }
    }

    #[test]
    fn writes_whole_numbers_and_pieces() {
        assert_eq!(uint(0), "0");
        assert_eq!(uint(u64::MAX), "18446744073709551615");
        let mut s = String::new();
        push_int(&mut s, -42);
        assert_eq!(s, "-42");
        assert_eq!(cat(&["a", "", "bc"]), "abc");
    }
}
