//! Reads the world: the page, the browser, the clock and randomness.

use core::cell::Cell;

use crate::prelude::*;

use super::interop;
use super::local::Local;
use crate::context::PageInfo;
use wasm_bindgen::JsValue;

/// Unix time in ms.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// [`crate::event::iso8601`] written by the browser's `Date.prototype.toISOString` (the
/// snippet's `iso`), so the wasm ships no calendar code.
pub fn iso8601(ms: f64) -> String {
    iso(ms)
}

/// `n` random bytes from `crypto.getRandomValues`, `Math.random` where that is missing.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    random(&mut b);
    b
}

/// xoshiro128++ state for event ids, seeded once from `crypto.getRandomValues`, which
/// costs about 10 µs a call in Chromium: too much for every `track`.
static IDS: Local<Cell<[u32; 4]>> = Local::new(Cell::new([0; 4]));

/// A random version-4 UUID (a `messageId` or a visitor id): 122 random bits from a generator
/// seeded with 128 bits of the browser's cryptographic randomness.
pub fn uuid() -> String {
    let mut s = IDS.with(Cell::get);
    if s == [0; 4] {
        let b = random_bytes::<16>();
        for (i, word) in s.iter_mut().enumerate() {
            let at = i * 4;
            *word = u32::from_le_bytes([
                b.get(at).copied().unwrap_or(0),
                b.get(at + 1).copied().unwrap_or(0),
                b.get(at + 2).copied().unwrap_or(0),
                b.get(at + 3).copied().unwrap_or(0) | 1,
            ]);
        }
    }
    let mut out = [0u32; 4];
    for word in &mut out {
        *word = s[0].wrapping_add(s[3]).rotate_left(7).wrapping_add(s[0]);
        let t = s[1] << 9;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(11);
    }
    IDS.with(|c| c.set(s));
    let bytes = out.map(u32::to_le_bytes);
    crate::event::uuid_v4(<[u8; 16]>::try_from(bytes.as_flattened()).unwrap_or_default())
}

/// A random number in [0, 1), for backoff jitter.
pub fn jitter() -> f64 {
    js_sys::Math::random()
}

/// `document.title`, read in one call (`window().document().title()` is three, a few µs).
pub fn title() -> String {
    page_title()
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
var z;
export function zone() {
  try {
    return Temporal.Now.timeZoneId();
  } catch (e) {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  }
}
export function title() {
  try {
    return document.title;
  } catch (e) {
    return '';
  }
}
export function facts(p) {
  try {
    var l = p ? new URL(p.url, location) : location, d = p || document, n = navigator, s = screen;
    if (z === undefined) z = zone();
    return [l.href, l.pathname, l.search, d.title, d.referrer, n.userAgent, n.language, z,
      s.width, s.height, devicePixelRatio];
  } catch (e) {
    return [];
  }
}
export function pairs(search) {
  try {
    return [].concat.apply([], Array.from(new URLSearchParams(search)));
  } catch (e) {
    return [];
  }
}
export function iso(ms) {
  var t = new Date(ms > 0 && ms < 1 / 0 ? Math.min(ms, 8.64e15) : 0).toISOString();
  return t[0] == '+' ? t.replace(/^\+0*/, '') : t;
}
export function keys(s) {
  var out = [];
  try {
    for (var i = 0; i < s.length; i++) out.push(s.key(i));
  } catch (e) {}
  return out;
}
export function storage() {
  try {
    return localStorage;
  } catch (e) {
    return null;
  }
}
export function random(b) {
  try {
    crypto.getRandomValues(b);
  } catch (e) {
    for (var i = 0; i < b.length; i++) b[i] = Math.random() * 256;
  }
}
export function signal() {
  var n = navigator, dnt = function (v) { return v == '1' || v == 'yes'; };
  return n.globalPrivacyControl === true || dnt(n.doNotTrack) || dnt(window.doNotTrack);
}
"#)]
extern "C" {
    /// The visitor's time zone, an IANA name (`Europe/Paris`): `Temporal.Now.timeZoneId()`
    /// where the browser has it (0.1 ms), else `Intl.DateTimeFormat`'s, whose first
    /// construction on a page sets up ICU: ~20 ms of main thread in Chromium, ~90 ms at 4×
    /// CPU throttling, once the largest single cost of engagekit's start. Both name the same
    /// system zone.
    fn zone() -> String;
    /// `document.title`; empty where there is no document.
    #[wasm_bindgen(js_name = title)]
    fn page_title() -> String;
    /// The page's facts in one call: `[href, pathname, search, title, referrer, userAgent,
    /// language, timeZone, screen.width, screen.height, devicePixelRatio]`; `[]` where they
    /// cannot be read. The time zone is read once a page. Given `{url, title, referrer}`
    /// (another page of the site, as the loader kept it), those are that page's.
    fn facts(page: &JsValue) -> js_sys::Array;
    /// `search` read by `URLSearchParams`, as `[key, value, key, value, ...]`.
    fn pairs(search: &str) -> js_sys::Array;
    /// Whether the browser sends Do-Not-Track or Global Privacy Control.
    fn signal() -> bool;
    /// A Unix time in ms as `event::iso8601` writes it, by `Date.prototype.toISOString`: the
    /// same text for every time up to year 275760. Clamped as `event::iso8601` clamps it
    /// (before 1970, infinite and not a number are 1970) and to the last time a `Date` holds (8.64e15),
    /// so it never throws; the `+0` that `toISOString` puts before years past 9999 is dropped
    /// (`10000-01-01T...`).
    fn iso(ms: f64) -> String;
    /// Every key of `storage`, in its order; those read before an error where reading fails.
    fn keys(storage: &web_sys::Storage) -> js_sys::Array;

    /// `localStorage`; null where it is missing or access throws (sandboxed iframes, some
    /// privacy modes).
    pub fn storage() -> Option<web_sys::Storage>;
    /// Fills `b` from `crypto.getRandomValues`, from `Math.random` where that is missing.
    fn random(b: &mut [u8]);
}

/// The facts `context` is built from, read by the browser in one call (so the wasm ships
/// no URL parsing and few imports): the current page's, or with `elsewhere` an object
/// `{url, title, referrer}`, that page's (in this browser).
pub fn page_info(elsewhere: &JsValue) -> PageInfo {
    let f = facts(elsewhere);
    let text = |i| interop::string(&f.get(i)).unwrap_or_default();
    let number = |i| f.get(i).as_f64().unwrap_or(0.0);
    PageInfo {
        url: text(0),
        path: text(1),
        search: text(2),
        title: text(3),
        referrer: text(4),
        user_agent: text(5),
        locale: text(6),
        timezone: text(7),
        screen: (number(8), number(9), number(10)),
        query: Vec::new(),
    }
}

/// The visitor's time zone, as the page's facts read it once (for the browser tests).
#[doc(hidden)]
pub fn time_zone() -> String {
    zone()
}

/// Every key of `storage` (one call into JS, not two a key).
pub fn storage_keys(storage: &web_sys::Storage) -> Vec<String> {
    let all = keys(storage);
    let mut out = Vec::new();
    for i in 0..all.length() {
        if let Some(key) = interop::string(&all.get(i)) {
            out.push(key);
        }
    }
    out
}

/// A query string's decoded pairs, read by the browser's `URLSearchParams` (see
/// [`crate::context::query_pairs`], which a browser test holds it to).
pub fn query_pairs(search: &str) -> Vec<(String, String)> {
    let flat = pairs(search);
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < flat.length() {
        out.push((
            interop::string(&flat.get(i)).unwrap_or_default(),
            interop::string(&flat.get(i + 1)).unwrap_or_default(),
        ));
        i += 2;
    }
    out
}

/// True when the browser sends Do-Not-Track or Global Privacy Control.
pub fn privacy_signal() -> bool {
    signal()
}
