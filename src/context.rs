//! The Segment `context` object: where and on what the visitor is.
//!
//! The shell reads the raw facts (URL, title, referrer, user agent, screen, locale,
//! timezone) into a [`PageInfo`]; this module shapes them the way Segment's spec names them,
//! including `campaign` from UTM parameters.

use crate::json::{Map, Value};
use crate::prelude::*;

/// Raw facts about the page and browser, as read by the shell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageInfo {
    /// `location.href`.
    pub url: String,
    /// `location.pathname`.
    pub path: String,
    /// `location.search`, with its `?`.
    pub search: String,
    /// `search` as decoded `key=value` pairs, as `URLSearchParams` reads it (the wasm's
    /// shell asks the browser; natively [`query_pairs`]).
    pub query: Vec<(String, String)>,
    /// `document.title`.
    pub title: String,
    /// `document.referrer`.
    pub referrer: String,
    /// `navigator.userAgent`.
    pub user_agent: String,
    /// `navigator.language`.
    pub locale: String,
    /// IANA timezone from `Intl`.
    pub timezone: String,
    /// `screen.width`, `screen.height`, `devicePixelRatio`.
    pub screen: (f64, f64, f64),
}

/// Builds `context` for the events of a page view (the session id is added per event).
pub fn context(p: &PageInfo) -> Map {
    let mut c = Map::new();
    let mut page = Map::new();
    page.set("url", p.url.as_str().into());
    page.set("path", p.path.as_str().into());
    page.set("search", p.search.as_str().into());
    page.set("title", p.title.as_str().into());
    page.set("referrer", p.referrer.as_str().into());
    c.set("page", page.into());
    c.set("userAgent", p.user_agent.as_str().into());
    c.set("locale", p.locale.as_str().into());
    c.set("timezone", p.timezone.as_str().into());
    let mut screen = Map::new();
    screen.set("width", p.screen.0.into());
    screen.set("height", p.screen.1.into());
    screen.set("density", p.screen.2.into());
    c.set("screen", screen.into());
    let campaign = campaign(&p.query);
    if !campaign.is_empty() {
        c.set("campaign", campaign.into());
    }
    c
}

/// The path and the query (with its `?`) of an absolute URL; the fragment is dropped.
pub fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url
        .as_bytes()
        .windows(3)
        .position(|w| w == b"://")
        .map_or(0, |i| i + 3);
    let rest = url.get(after_scheme..).unwrap_or_default();
    let rest = rest.split('#').next().unwrap_or_default();
    let path_at = rest.find('/').unwrap_or(rest.len());
    let tail = rest.get(path_at..).unwrap_or_default();
    match tail.find('?') {
        Some(q) => (
            tail.get(..q).unwrap_or_default(),
            tail.get(q..).unwrap_or_default(),
        ),
        None => (tail, ""),
    }
}

/// Segment's `campaign` from the query's `utm_*` parameters (`utm_campaign` becomes `name`).
pub fn campaign(query: &[(String, String)]) -> Map {
    let mut out = Map::new();
    for (k, v) in query {
        let key = match k.as_str() {
            "utm_source" => "source",
            "utm_medium" => "medium",
            "utm_campaign" => "name",
            "utm_term" => "term",
            "utm_content" => "content",
            _ => continue,
        };
        if !out.contains_key(key) {
            out.set(key, Value::String(v.clone()));
        }
    }
    out
}

impl PageInfo {
    /// The page with [`PageInfo::query`] read from its `search`.
    pub fn with_query(mut self) -> PageInfo {
        self.query = query_pairs(&self.search);
        self
    }
}

/// Decoded `key=value` pairs of a query string (with or without its `?`), as the browser's
/// `URLSearchParams` reads it: the wasm asks the browser (`LocalStore`), and a browser test
/// holds the two to the same pairs.
pub fn query_pairs(search: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for pair in search.strip_prefix('?').unwrap_or(search).split('&') {
        if !pair.is_empty() {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            pairs.push((decode_component(k), decode_component(v)));
        }
    }
    pairs
}

/// Percent-decoding as in `application/x-www-form-urlencoded` (`+` is a space); invalid
/// escapes are kept as written, and bytes that are not UTF-8 become U+FFFD.
pub fn decode_component(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    // Slice patterns rather than indexing: no bounds check, so no panic path in the wasm.
    let mut rest = s.as_bytes();
    while let [b, tail @ ..] = rest {
        rest = tail;
        match (b, tail) {
            (b'+', _) => out.push(b' '),
            (b'%', [h, l, after @ ..]) => match (hex(*h), hex(*l)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    rest = after;
                }
                _ => out.push(b'%'),
            },
            (b, _) => out.push(*b),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_campaign_from_utm_parameters() {
        let c = campaign(&query_pairs("?utm_source=news&utm_medium=email&utm_campaign=spring%20sale&utm_term=a+b&utm_content=hero&x=1"));
        assert_eq!(c.get("source"), Some(&Value::from("news")));
        assert_eq!(c.get("medium"), Some(&Value::from("email")));
        assert_eq!(c.get("name"), Some(&Value::from("spring sale")));
        assert_eq!(c.get("term"), Some(&Value::from("a b")));
        assert_eq!(c.get("content"), Some(&Value::from("hero")));
        assert_eq!(c.len(), 5);
    }

    #[test]
    fn splits_a_url_into_path_and_query() {
        assert_eq!(split_url("https://a.test/x/y?q=1#h"), ("/x/y", "?q=1"));
        assert_eq!(split_url("https://a.test"), ("", ""));
        assert_eq!(split_url("http://a.test/?"), ("/", "?"));
        assert_eq!(split_url("garbage"), ("", ""));
    }

    #[test]
    fn no_utm_no_campaign() {
        assert!(campaign(&query_pairs("?q=1")).is_empty());
        assert!(campaign(&query_pairs("")).is_empty());
        let ctx = context(&PageInfo::default());
        assert!(ctx.get("campaign").is_none());
    }

    #[test]
    fn decodes_percent_escapes_as_url_search_params_does() {
        assert_eq!(decode_component("caf%C3%A9"), "café");
        assert_eq!(decode_component("100%"), "100%");
        assert_eq!(decode_component("%zz"), "%zz");
        assert_eq!(decode_component("%4"), "%4");
        assert_eq!(decode_component("%41"), "A", "an escape that ends the text");
        assert_eq!(decode_component("a+%2B%"), "a +%");
        assert_eq!(decode_component("%ff"), "\u{FFFD}", "not UTF-8");
        assert_eq!(decode_component("caf%C3"), "caf\u{FFFD}");
    }

    #[test]
    fn context_has_segment_names() {
        let p = PageInfo {
            url: "https://a.test/x?utm_source=s".into(),
            path: "/x".into(),
            search: "?utm_source=s".into(),
            title: "X".into(),
            locale: "en-GB".into(),
            timezone: "Europe/London".into(),
            screen: (1280.0, 800.0, 2.0),
            ..PageInfo::default()
        }
        .with_query();
        let c = Value::Object(context(&p));
        assert_eq!(
            c.get("page").and_then(|p| p.get("path")),
            Some(&Value::from("/x"))
        );
        assert_eq!(c.get("locale"), Some(&Value::from("en-GB")));
        assert_eq!(c.get("timezone"), Some(&Value::from("Europe/London")));
        assert_eq!(
            c.get("screen").and_then(|s| s.get("width")),
            Some(&Value::Number(1280.0))
        );
        assert_eq!(
            c.get("campaign").and_then(|s| s.get("source")),
            Some(&Value::from("s"))
        );
    }
}
