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

#[cfg(test)]
mod tests {
    use super::*;

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
