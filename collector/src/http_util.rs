//! Small HTTP helpers shared by the handlers: strong ETags, `If-None-Match` matching and
//! the writeKey carried in HTTP Basic auth (Segment's convention for server-side senders).

use axum::http::{header, HeaderMap};
use base64::Engine;

/// A strong ETag over the exact bytes served. FNV-1a 64 is enough: it only has to change
/// when the bytes change, not resist an attacker, and it needs no extra dependency.
pub fn strong_etag(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{hash:016x}-{:x}\"", bytes.len())
}

/// Whether the request's `If-None-Match` matches `etag`. Uses the weak comparison that
/// RFC 9110 prescribes for this header, so `W/"x"` from a proxy still revalidates.
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    let Some(value) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// The username of an HTTP Basic `Authorization` header, which Segment clients use for the
/// writeKey (password empty). `None` when absent, not Basic, or undecodable.
pub fn basic_auth_user(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let user = text.split_once(':').map_or(text.as_str(), |(u, _)| u);
    (!user.is_empty()).then(|| user.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_auth_username_is_the_write_key() {
        let mut h = HeaderMap::new();
        // "demo:" in base64, as Segment libraries send it.
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic ZGVtbzo="),
        );
        assert_eq!(basic_auth_user(&h).as_deref(), Some("demo"));
    }

    #[test]
    fn bearer_auth_is_not_a_write_key() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer ZGVtbzo="),
        );
        assert_eq!(basic_auth_user(&h), None);
    }

    #[test]
    fn if_none_match_accepts_lists_and_weak_tags() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(if_none_match(&h, "\"b\""));
        assert!(!if_none_match(&h, "\"c\""));
    }
}
