//! The web shell: the functions the loader calls, and the browser events that drive delivery.
//!
//! Each export converts its arguments (never trusting their types), asks the [`Tracker`],
//! and carries out what it decided: persist, send, arm a timer. Nothing here throws into the
//! page: bad input becomes one `console.warn` and the call is ignored or trimmed.

mod interop;
mod page;
pub mod regex;
mod storage;
mod timer;
mod transport;

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::batch::Request;
use crate::config::Config;
use crate::consent::Consent;
use crate::event::{self, Call};
use crate::json::Value;
use crate::tracker::{Recorded, Tracker};
use interop::warn;
use timer::Wake;

/// How often a tab says it is alive and looks for closed tabs' queues.
const HEARTBEAT_MS: f64 = 30_000.0;

struct Shell {
    tracker: Tracker,
    endpoint: String,
    wake: Wake,
}

thread_local! {
    static SHELL: RefCell<Option<Shell>> = const { RefCell::new(None) };
}

/// Runs `f` on the shell; None (with a warning) before `init` or on a re-entrant call.
fn with<R>(what: &str, f: impl FnOnce(&mut Shell) -> R) -> Option<R> {
    SHELL.with(|cell| match cell.try_borrow_mut() {
        Ok(mut guard) => match guard.as_mut() {
            Some(shell) => Some(f(shell)),
            None => {
                warn(&format!(
                    "{what}() was called before init(); it was ignored"
                ));
                None
            }
        },
        Err(_) => None,
    })
}

impl Shell {
    /// Sends whatever the tracker says is due and arms the timer for the next wake-up.
    fn pump(&mut self) {
        let now = page::now_ms();
        while let Some(req) = self.tracker.next_request(now) {
            self.send(req, false);
        }
        match self.tracker.next_wake() {
            Some(at) => self.wake.arm((at - now).max(0.0)),
            None => self.wake.cancel(),
        }
    }

    fn send(&self, req: Request, keepalive: bool) {
        let url = self.endpoint.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = transport::post(&url, &req.body, keepalive).await;
            with("send", |s| {
                let now = page::now_ms();
                let jitter = page::jitter();
                if let Some(w) =
                    s.tracker
                        .settle(&req, answer.status, answer.retry_after_ms, jitter, now)
                {
                    warn(&w);
                }
                s.pump();
            });
        });
    }

    /// The page may be going away: everything queued goes out now. On `pagehide` by beacon
    /// (it survives the page), when merely hidden by keepalive fetch (its answer still counts).
    fn send_everything(&mut self, leaving: bool) {
        let now = page::now_ms();
        for req in self.tracker.unload_requests(now) {
            if !(leaving && transport::beacon(&self.endpoint, &req.body)) {
                self.send(req, true);
            }
        }
        if leaving {
            self.tracker.release();
        }
    }

    fn record(&mut self, call: Call) {
        let now = page::now_ms();
        let info = page::page_info();
        match self.tracker.record(call, &info, &page::uuid(), now) {
            Ok(Recorded::Queued) => self.pump(),
            Ok(Recorded::Held | Recorded::Discarded) => {}
            Err(e) => warn(&e.to_string()),
        }
    }

    fn adopt_orphans(&mut self) {
        self.tracker.adopt_orphans(page::now_ms());
        self.pump();
    }
}

/// Starts engagekit for `writeKey`. `options.host` is the collector's origin (default: this
/// page's), `options.config` the site configuration (defaults where absent or invalid).
#[wasm_bindgen]
pub fn init(write_key: JsValue, options: JsValue) {
    let Some(write_key) = interop::string(&write_key).filter(|k| !k.trim().is_empty()) else {
        warn("init: the writeKey must be a non-empty string; engagekit is not running");
        return;
    };
    let already = SHELL.with(|c| c.try_borrow().map(|s| s.is_some()).unwrap_or(true));
    if already {
        warn("init() was called twice; the second call was ignored");
        return;
    }
    let config = read_config(&interop::get(&options, "config"));
    let host = interop::string(&interop::get(&options, "host"))
        .or_else(|| web_sys::window().and_then(|w| w.location().origin().ok()))
        .unwrap_or_default();
    let pageviews = config.tracking.autocapture.pageviews;
    let clicks = config.tracking.autocapture.clicks;
    let tracker = Tracker::new(
        &write_key,
        config,
        &page::uuid(),
        Box::new(storage::LocalStore::open()),
        page::privacy_signal(),
        page::uuid(),
    );
    let shell = Shell {
        tracker,
        endpoint: format!("{}/v1/batch", host.trim_end_matches('/')),
        wake: Wake::new(|| {
            with("timer", Shell::pump);
        }),
    };
    SHELL.with(|c| {
        if let Ok(mut guard) = c.try_borrow_mut() {
            *guard = Some(shell);
        }
    });
    listen();
    if clicks {
        listen_clicks();
    }
    with_lock("engagekit:adopt", || {
        with("init", Shell::adopt_orphans);
    });
    start_heartbeat();
    if pageviews {
        navigated();
    }
}

fn read_config(v: &JsValue) -> Config {
    let value = match interop::to_value(v) {
        Ok(Value::Null) => return Config::default(),
        Ok(value) => value,
        Err(e) => {
            warn(&format!(
                "config could not be read ({e}); using the default configuration"
            ));
            return Config::default();
        }
    };
    match Config::from_value(&value) {
        Ok(c) => c,
        Err(e) => {
            warn(&format!("{e}; using the default configuration"));
            Config::default()
        }
    }
}

/// Records a custom event: `track('Signed Up', {plan: 'pro'})`.
#[wasm_bindgen]
pub fn track(event: JsValue, properties: JsValue) {
    let Some(name) = interop::string(&event).filter(|n| !n.trim().is_empty()) else {
        warn("track: the event name must be a non-empty string; the call was ignored");
        return;
    };
    let properties = interop::object(&properties, &format!("track(\"{name}\"): properties"))
        .unwrap_or_else(|e| {
            warn(&format!("{e}; the event was recorded without them"));
            Default::default()
        });
    with("track", |s| {
        s.record(Call::Track {
            event: name,
            properties,
        })
    });
}

/// Records a page view; automatic ones need no call.
#[wasm_bindgen]
pub fn page(name: JsValue, properties: JsValue) {
    let (name, properties) = match interop::string(&name) {
        Some(n) => (Some(n), properties),
        // `page({..})`: properties only.
        None => (None, if name.is_object() { name } else { properties }),
    };
    let properties = interop::object(&properties, "page: properties").unwrap_or_else(|e| {
        warn(&format!("{e}; the page view was recorded without them"));
        Default::default()
    });
    with("page", |s| s.record(Call::Page { name, properties }));
}

/// Ties the visitor to a user id and/or records traits: `identify('u1', {plan})`.
#[wasm_bindgen]
pub fn identify(user_id: JsValue, traits: JsValue) {
    let (user_id, traits) = if let Some(id) = interop::string(&user_id) {
        (Some(id), traits)
    } else if user_id.as_f64().is_some() {
        // JS's own number printing, so no float formatter ships in the wasm.
        (
            js_sys::JSON::stringify(&user_id)
                .ok()
                .and_then(|s| s.as_string()),
            traits,
        )
    } else if user_id.is_object() && !js_sys::Array::is_array(&user_id) {
        (None, user_id)
    } else {
        warn("identify: the userId must be a string; the call was ignored");
        return;
    };
    let traits = interop::object(&traits, "identify: traits").unwrap_or_else(|e| {
        warn(&format!("{e}; identified without them"));
        Default::default()
    });
    with("identify", |s| s.record(Call::Identify { user_id, traits }));
}

/// Forgets the user id and traits and starts a new anonymous visitor (e.g. on logout).
#[wasm_bindgen]
pub fn reset() {
    with("reset", |s| s.tracker.reset(page::uuid(), page::now_ms()));
}

/// Records the visitor's consent: `consent('granted')` or `consent('denied')`.
#[wasm_bindgen]
pub fn consent(choice: JsValue) {
    let Some(choice) = interop::string(&choice).and_then(|c| Consent::parse(&c)) else {
        warn("consent: expected 'granted' or 'denied'; the call was ignored");
        return;
    };
    with("consent", |s| {
        s.tracker.set_consent(choice, page::now_ms());
        s.pump();
    });
}

/// Erases everything engagekit stored about this visitor in this browser.
#[wasm_bindgen]
pub fn forget() {
    with("forget", |s| {
        s.tracker.forget(page::uuid());
        s.wake.cancel();
    });
}

/// Sends what is queued now instead of waiting for the batch to fill.
#[wasm_bindgen]
pub fn flush() {
    with("flush", |s| {
        if let Some(req) = s.tracker.flush_request(page::now_ms()) {
            s.send(req, false);
        }
    });
}

/// The visitor's engagement score, 0-100.
#[wasm_bindgen]
pub fn score() -> f64 {
    with("score", |s| s.tracker.score(page::now_ms())).unwrap_or(0.0)
}

/// A snapshot of the tracker's state, for developers and tests.
#[wasm_bindgen]
pub fn debug() -> JsValue {
    let map = with("debug", |s| s.tracker.debug()).unwrap_or_default();
    interop::to_js(&Value::Object(map))
}

/// The URL may have changed (SPA navigation): records a page view if it did.
#[wasm_bindgen]
pub fn navigated() {
    let url = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    with("navigated", |s| {
        if s.tracker.config().tracking.autocapture.pageviews && s.tracker.is_new_page(&url) {
            s.record(Call::Page {
                name: None,
                properties: Default::default(),
            });
        }
    });
}

/// Lifecycle listeners. They live as long as the page, so their closures are leaked on
/// purpose (`forget`), once, at `init`. No `unload` listener: it breaks the bfcache.
fn listen() {
    let Some(w) = web_sys::window() else { return };
    let on = |target: &web_sys::EventTarget, name: &str, f: Box<dyn FnMut(web_sys::Event)>| {
        let c = Closure::wrap(f);
        let _ = target.add_event_listener_with_callback(name, c.as_ref().unchecked_ref());
        c.forget();
    };
    on(
        &w,
        "pagehide",
        Box::new(|_| {
            with("pagehide", |s| s.send_everything(true));
        }),
    );
    on(
        &w,
        "pageshow",
        Box::new(|e| {
            let persisted = interop::get(&e, "persisted").as_bool() == Some(true);
            if persisted {
                with("pageshow", |s| {
                    s.tracker.resume(page::now_ms());
                    s.pump();
                });
            }
        }),
    );
    on(
        &w,
        "online",
        Box::new(|_| {
            with("online", |s| {
                s.tracker.network_back();
                s.pump();
            });
        }),
    );
    if let Some(doc) = w.document() {
        on(
            &doc,
            "visibilitychange",
            Box::new(|_| {
                let hidden = web_sys::window()
                    .and_then(|w| w.document())
                    .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden);
                with("visibilitychange", |s| {
                    if hidden {
                        s.send_everything(false);
                    } else {
                        s.tracker.heartbeat(page::now_ms());
                        s.pump();
                    }
                });
            }),
        );
    }
}

/// Opt-in click autocapture: `Element Clicked` for links and buttons.
fn listen_clicks() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let c = Closure::<dyn FnMut(web_sys::Event)>::new(|e: web_sys::Event| {
        let Some(el) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let selector = "a,button,[role=button],input[type=submit],input[type=button]";
        let Ok(Some(hit)) = el.closest(selector) else {
            return;
        };
        let text = hit.text_content().unwrap_or_default();
        let href = hit.get_attribute("href").and_then(|h| {
            let base = web_sys::window()?.location().href().ok()?;
            web_sys::Url::new_with_base(&h, &base)
                .ok()
                .map(|u| u.href())
        });
        let properties =
            event::click_properties(&hit.tag_name(), &hit.id(), &text, href.as_deref());
        with("click", |s| {
            s.record(Call::Track {
                event: "Element Clicked".into(),
                properties,
            })
        });
    });
    let _ =
        doc.add_event_listener_with_callback_and_bool("click", c.as_ref().unchecked_ref(), true);
    c.forget();
}

/// Every 30 s: say this tab is alive and take over queues of tabs that are gone.
fn start_heartbeat() {
    let tick = Closure::<dyn FnMut()>::new(|| {
        with_lock("engagekit:adopt", || {
            with("heartbeat", |s| {
                s.tracker.heartbeat(page::now_ms());
                s.adopt_orphans();
            });
        });
    });
    if let Some(w) = web_sys::window() {
        let _ = w.set_interval_with_callback_and_timeout_and_arguments_0(
            tick.as_ref().unchecked_ref(),
            HEARTBEAT_MS as i32,
        );
    }
    tick.forget();
}

/// Runs `f` holding a Web Lock across this site's tabs, so two tabs never adopt the same
/// closed tab's queue; runs it directly where Web Locks are missing. (Called via Reflect:
/// web-sys has LockManager only behind an unstable cfg.)
fn with_lock(name: &str, f: impl FnOnce() + 'static) {
    let locks = web_sys::window()
        .map(|w| interop::get(&w.navigator().into(), "locks"))
        .filter(|l| l.is_object());
    let request = locks
        .as_ref()
        .map(|l| interop::get(l, "request"))
        .and_then(|r| r.dyn_into::<js_sys::Function>().ok());
    match (locks, request) {
        (Some(locks), Some(request)) => {
            let cb = Closure::once_into_js(move |_lock: JsValue| f());
            if request
                .call2(&locks, &JsValue::from_str(name), &cb)
                .is_err()
            {
                warn("navigator.locks.request failed; closed tabs' events wait for the next page");
            }
        }
        _ => f(),
    }
}
