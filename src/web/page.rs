//! Reads the world: the page, the browser, the clock and randomness.

use core::cell::Cell;

use crate::prelude::*;
use wasm_bindgen::JsValue;

use super::interop::get;
use super::local::Local;
use crate::context::PageInfo;

/// Unix time in ms.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    type Date;
    #[wasm_bindgen(constructor)]
    fn new(ms: f64) -> Date;
    #[wasm_bindgen(method, js_name = toISOString)]
    fn to_iso_string(this: &Date) -> String;
}

/// The last Unix ms a JS `Date` holds (year 275760); `toISOString` throws past it.
const MAX_DATE_MS: f64 = 8.64e15;

/// [`crate::event::iso8601`] written by the browser's `Date.prototype.toISOString`, so the
/// wasm ships no calendar code. The same text for every time up to year 275760: the time is
/// clamped as `event::iso8601` clamps it (before 1970 and not a number are 1970) and to the
/// last time a `Date` holds, so the call never throws; the `+0` that `toISOString` puts before
/// years past 9999 is dropped, as `event::iso8601` writes them (`10000-01-01T...`).
pub fn iso8601(ms: f64) -> String {
    let ms = if ms.is_finite() {
        ms.clamp(0.0, MAX_DATE_MS)
    } else {
        0.0
    };
    let text = Date::new(ms).to_iso_string();
    match text.strip_prefix('+') {
        Some(long_year) => long_year.trim_start_matches('0').to_owned(),
        None => text,
    }
}

/// `n` random bytes from `crypto.getRandomValues`, `Math.random` where that is missing.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut b).is_ok());
    if !filled {
        for x in b.iter_mut() {
            *x = (js_sys::Math::random() * 256.0) as u8;
        }
    }
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

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = document)]
    type PageDocument;
    /// `document.title`; an error where there is no document.
    #[wasm_bindgen(static_method_of = PageDocument, getter, structural, js_name = title, catch)]
    fn document_title() -> Result<String, JsValue>;
}

/// `document.title`, read in one call (`window().document().title()` is three, a few µs).
pub fn title() -> String {
    PageDocument::document_title().unwrap_or_default()
}

/// The facts `context` is built from. What cannot change during a page's life (user agent,
/// language, timezone, screen) is taken from `prev` once read, so a navigation reads only
/// the URL, title and referrer.
pub fn page_info(prev: &PageInfo) -> PageInfo {
    let Some(w) = web_sys::window() else {
        return PageInfo::default();
    };
    let loc = w.location();
    let doc = w.document();
    let mut info = if prev.user_agent.is_empty() {
        statics(&w)
    } else {
        prev.clone()
    };
    info.url = loc.href().unwrap_or_default();
    info.path = loc.pathname().unwrap_or_default();
    info.search = loc.search().unwrap_or_default();
    info.title = doc.as_ref().map(|d| d.title()).unwrap_or_default();
    info.referrer = doc.as_ref().map(|d| d.referrer()).unwrap_or_default();
    info
}

fn statics(w: &web_sys::Window) -> PageInfo {
    let nav = w.navigator();
    let screen = w.screen().ok();
    PageInfo {
        user_agent: nav.user_agent().unwrap_or_default(),
        locale: nav.language().unwrap_or_default(),
        timezone: time_zone(),
        screen: (
            screen
                .as_ref()
                .and_then(|s| s.width().ok())
                .map_or(0.0, f64::from),
            screen
                .as_ref()
                .and_then(|s| s.height().ok())
                .map_or(0.0, f64::from),
            w.device_pixel_ratio(),
        ),
        ..PageInfo::default()
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `Temporal.Now.timeZoneId()`; an error where the browser has no `Temporal`.
    #[wasm_bindgen(js_namespace = ["Temporal", "Now"], js_name = timeZoneId, catch)]
    fn temporal_time_zone() -> Result<String, JsValue>;
}

/// The visitor's time zone, an IANA name (`Europe/Paris`): `Temporal.Now.timeZoneId()`
/// where the browser has it (0.1 ms), else `Intl.DateTimeFormat`'s, whose first construction
/// on a page sets up ICU: ~20 ms of main thread in Chromium, ~90 ms at 4× CPU throttling,
/// once the largest single cost of engagekit's start. Both name the same system zone.
pub fn time_zone() -> String {
    temporal_time_zone().unwrap_or_else(|_| {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                .resolved_options();
        get(&options, "timeZone").as_string().unwrap_or_default()
    })
}

/// True when the browser sends Do-Not-Track or Global Privacy Control.
pub fn privacy_signal() -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    let nav: JsValue = w.navigator().into();
    let dnt = |v: JsValue| v.as_string().is_some_and(|s| s == "1" || s == "yes");
    get(&nav, "globalPrivacyControl").as_bool() == Some(true)
        || dnt(get(&nav, "doNotTrack"))
        || dnt(get(&JsValue::from(w), "doNotTrack"))
}
