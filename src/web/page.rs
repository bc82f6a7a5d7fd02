//! Reads the world: the page, the browser, the clock and randomness.

use wasm_bindgen::JsValue;

use super::interop::get;
use crate::context::PageInfo;

/// Unix time in ms.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
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

/// A random version-4 UUID.
pub fn uuid() -> String {
    crate::event::uuid_v4(random_bytes::<16>())
}

/// A random number in [0, 1), for backoff jitter.
pub fn jitter() -> f64 {
    js_sys::Math::random()
}

/// The facts `context` is built from.
pub fn page_info() -> PageInfo {
    let Some(w) = web_sys::window() else {
        return PageInfo::default();
    };
    let loc = w.location();
    let doc = w.document();
    let nav = w.navigator();
    let screen = w.screen().ok();
    let timezone = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    PageInfo {
        url: loc.href().unwrap_or_default(),
        path: loc.pathname().unwrap_or_default(),
        search: loc.search().unwrap_or_default(),
        title: doc.as_ref().map(|d| d.title()).unwrap_or_default(),
        referrer: doc.as_ref().map(|d| d.referrer()).unwrap_or_default(),
        user_agent: nav.user_agent().unwrap_or_default(),
        locale: nav.language().unwrap_or_default(),
        timezone: get(&timezone, "timeZone").as_string().unwrap_or_default(),
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
    }
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
