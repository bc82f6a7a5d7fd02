//! Sending batches: `fetch` while the page lives, `sendBeacon` as it goes away.
//!
//! Every request is CORS-simple (a string body is sent as `text/plain`, no custom headers,
//! the writeKey inside the body), so no preflight exists that unload could cut off.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit, RequestMode, Response};

use crate::batch::retry_after_ms;

/// The answer to a request: the status (None for a network error) and any `Retry-After`.
pub struct Answer {
    /// HTTP status, None when the request never got one.
    pub status: Option<u16>,
    /// What `Retry-After` asked for, in ms.
    pub retry_after_ms: Option<f64>,
}

/// POSTs `body` to `url`. With `keepalive` the request outlives the page (64 KB quota).
pub async fn post(url: &str, body: &str, keepalive: bool) -> Answer {
    let failed = Answer {
        status: None,
        retry_after_ms: None,
    };
    let Some(w) = web_sys::window() else {
        return failed;
    };
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&body.into());
    init.set_mode(RequestMode::Cors);
    init.set_credentials(RequestCredentials::Omit);
    if keepalive {
        // `keepalive` is missing from web-sys's stable RequestInit bindings.
        let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &true.into());
    }
    let Ok(resp) = JsFuture::from(w.fetch_with_str_and_init(url, &init)).await else {
        return failed;
    };
    let Ok(resp) = resp.dyn_into::<Response>() else {
        return failed;
    };
    let retry_after = resp
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|h| {
            let now = js_sys::Date::now();
            retry_after_ms(&h, now, |d| {
                let at = js_sys::Date::parse(d);
                (!at.is_nan()).then_some(at)
            })
        });
    Answer {
        status: Some(resp.status()),
        retry_after_ms: retry_after,
    }
}

/// Hands `body` to the browser to deliver after the page is gone; false if it refused
/// (over quota, or no `sendBeacon`).
pub fn beacon(url: &str, body: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().send_beacon_with_opt_str(url, Some(body)).ok())
        .unwrap_or(false)
}
