//! The web shell: the functions the page code (www/host.js) calls.
//!
//! Each export converts its arguments (never trusting their types), asks the [`Tracker`],
//! and returns what must happen next as plain data, a list of [`Action`]s the host carries
//! out: send this body, arm the timer, persist soon (write-behind: a run of calls is written
//! once). The host owns fetch, timers and listeners (as Yggdrasil's hosts do), so the wasm
//! holds no closures and no async executor, which keeps it inside its size budget. Nothing here throws into the page: bad input becomes one
//! `console.warn` and the call is ignored or trimmed.

// The compile chunk (feature `compiler`, scripts/build.sh) exports only `compile`: the
// shell's functions stay plain Rust there, unused, and the linker drops them.
#![cfg_attr(feature = "compiler", allow(dead_code, unused_imports))]

use crate::prelude::*;
mod alloc;
#[cfg(feature = "checklists")]
mod checklist;
#[cfg(feature = "compiler")]
mod compile;
#[cfg(feature = "widgets")]
pub mod content;
pub mod interop;
mod local;
pub mod page;
pub mod regex;
pub mod storage;
#[cfg(feature = "surveys")]
mod survey;

use core::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::batch::Request;
use crate::config::Config;
use crate::consent::Consent;
use crate::event::{Call, EventError};
use crate::json::{Map, Value};
use crate::tracker::{Recorded, Tracker};
use interop::warn;
use local::Local;

/// What a panic does in the wasm: trap, which the export's caller in www/host.js catches.
/// Nothing here panics by design (no unwrap, no indexing); this stands in for std's handler,
/// whose message formatting would keep `core::fmt` in the module.
#[cfg(not(feature = "std"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Something the loader must do, as `[code, ...args]` arrays.
enum Action {
    /// `[0, id, body, keepalive]`: POST with fetch (with `keepalive` when the page is hidden
    /// and may be killed); report with `settle(id, status, retryAfter)`.
    Send(u32, String, bool),
    /// `[1, id, body]`: the page is going: `sendBeacon`, else fetch with keepalive.
    Leave(u32, String),
    /// `[2, ms]`: call `wake()` in `ms` (replacing the timer); `[2, -1]` cancels it.
    Timer(f64),
    /// `[3]`: call `persist()` soon (within 100 ms), once for a run of calls.
    Persist,
    /// `[4, card]`: show a survey (load the card's code, render `card`, report its steps
    /// with `surveyed()`).
    #[cfg(feature = "surveys")]
    Survey(Map),
    /// `[5, json]`: an event was recorded (its JSON), for the page's `on()` listeners.
    Event(String),
    /// `[6, cards, all]`: show or update these checklists (`all`: the page view's full set;
    /// any other on screen goes).
    #[cfg(feature = "checklists")]
    Checklists(Vec<Map>, bool),
    /// `[7, userId, hash]`: fetch the identified visitor's state from other devices
    /// (`GET /v1/visitors/{writeKey}/{userId}?hash=`) and hand the JSON to `remote()`.
    #[cfg(feature = "checklists")]
    Remote(String, String),
}

/// How likely the page is to be gone before a response arrives.
#[derive(Clone, Copy)]
enum Leaving {
    /// Visible page: a plain fetch.
    No,
    /// Hidden page (may be frozen or killed): fetch with `keepalive`, whose answer still counts.
    Maybe,
    /// `pagehide`: a beacon, which outlives the page.
    Yes,
}

/// The time (Unix ms) and id the snippet gave a call it queued.
type Stamp = (f64, Option<String>);

struct Shell {
    tracker: Tracker,
    #[cfg(feature = "widgets")]
    regex: regex::JsRegexEngine,
    /// Requests handed to the loader and not yet settled, by id.
    pending: Vec<(u32, Request)>,
    next_id: u32,
    actions: Vec<Action>,
    /// A `persist()` is already asked for.
    persist_asked: bool,
    /// When the loader's timer is set to fire (Unix ms), -1 when not set.
    timer_at: f64,
    /// The time and id the snippet gave the call being replayed.
    stamp: Option<Stamp>,
    /// The calls being replayed were made on another page (see [`past`]).
    past: bool,
}

static SHELL: Local<RefCell<Option<Shell>>> = Local::new(RefCell::new(None));
/// The time and id of the call about to be replayed (see [`stamp`]).
static STAMP: Local<RefCell<Option<Stamp>>> = Local::new(RefCell::new(None));

/// Runs `f` on the shell and returns the actions it queued; warns before `init`.
fn with(what: &str, f: impl FnOnce(&mut Shell)) -> JsValue {
    with_dyn(what, &mut Some(f))
}

/// An export's body, run at most once: [`with_dyn`] takes it as a trait object of this
/// one-method trait rather than `dyn FnMut`, whose vtables would also carry an unused
/// `call_once` shim for each of the ~30 exports.
trait Body {
    fn run(&mut self, shell: &mut Shell);
}

impl<F: FnOnce(&mut Shell)> Body for Option<F> {
    fn run(&mut self, shell: &mut Shell) {
        if let Some(f) = self.take() {
            f(shell)
        }
    }
}

/// The body of [`with`], compiled once rather than once per export (it is the wasm's
/// largest repeated code otherwise).
fn with_dyn(what: &str, f: &mut dyn Body) -> JsValue {
    let stamp = STAMP.with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.take()));
    let actions = SHELL.with(|cell| match cell.try_borrow_mut() {
        Ok(mut guard) => match guard.as_mut() {
            Some(shell) => {
                shell.stamp = stamp;
                f.run(shell);
                shell.stamp = None;
                for e in shell.tracker.echoed() {
                    shell.actions.push(Action::Event(e));
                }
                if !shell.persist_asked && shell.tracker.needs_persist() {
                    shell.persist_asked = true;
                    shell.actions.push(Action::Persist);
                }
                core::mem::take(&mut shell.actions)
            }
            None => {
                let mut m = String::from(what);
                m.push_str("() was called before init(); it was ignored");
                warn(&m);
                Vec::new()
            }
        },
        Err(_) => Vec::new(),
    });
    to_js(actions)
}

fn to_js(actions: Vec<Action>) -> JsValue {
    if actions.is_empty() {
        return JsValue::UNDEFINED;
    }
    let list = js_sys::Array::new();
    for a in actions {
        let item = match a {
            Action::Send(id, body, keepalive) => {
                js_sys::Array::of4(&0.into(), &id.into(), &body.into(), &keepalive.into())
            }
            Action::Leave(id, body) => js_sys::Array::of3(&1.into(), &id.into(), &body.into()),
            Action::Timer(ms) => js_sys::Array::of2(&2.into(), &ms.into()),
            Action::Persist => js_sys::Array::of1(&3.into()),
            #[cfg(feature = "surveys")]
            Action::Survey(card) => {
                js_sys::Array::of2(&4.into(), &interop::to_js(&Value::Object(card)))
            }
            Action::Event(json) => js_sys::Array::of2(&5.into(), &json.into()),
            #[cfg(feature = "checklists")]
            Action::Remote(user, hash) => js_sys::Array::of3(&7.into(), &user.into(), &hash.into()),
            #[cfg(feature = "checklists")]
            Action::Checklists(cards, all) => {
                let list = js_sys::Array::new();
                for card in cards {
                    list.push(&interop::to_js(&Value::Object(card)));
                }
                js_sys::Array::of3(&6.into(), &list, &all.into())
            }
        };
        list.push(&item);
    }
    list.into()
}

impl Shell {
    /// Hands out whatever the tracker says is due and sets the timer for the next wake-up.
    fn pump(&mut self) {
        let now = page::now_ms();
        #[cfg(feature = "surveys")]
        self.surveys_due(now);
        while let Some(req) = self.tracker.next_request(now) {
            self.hand_out(req, Leaving::No);
        }
        self.arm(now);
    }

    /// Sets the timer for the next wake-up, only when it must fire sooner than it is set to
    /// (or be cancelled), so a run of calls arms it once; a wake that finds nothing due
    /// re-arms it.
    fn arm(&mut self, now: f64) {
        let wake = self.tracker.next_wake();
        #[cfg(feature = "surveys")]
        let wake = match (wake, self.tracker.surveys_next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let at = wake.map_or(-1.0, |at| at.max(now));
        let sooner = at >= 0.0 && (self.timer_at < 0.0 || at < self.timer_at);
        if sooner || (at < 0.0 && self.timer_at >= 0.0) {
            self.timer_at = at;
            self.actions
                .push(Action::Timer(if at < 0.0 { -1.0 } else { at - now }));
        }
    }

    /// Events are in storage before they are sent (DESIGN.md rule 5), so the pending
    /// write-behind is done now.
    fn hand_out(&mut self, req: Request, leaving: Leaving) {
        self.tracker.persist(page::now_ms());
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id;
        let body = req.body.clone();
        self.pending.push((id, req));
        self.actions.push(match leaving {
            Leaving::No => Action::Send(id, body, false),
            Leaving::Maybe => Action::Send(id, body, true),
            Leaving::Yes => Action::Leave(id, body),
        });
    }

    fn record(&mut self, call: Call) {
        if !self.past {
            self.refresh_title();
        }
        #[cfg(feature = "surveys")]
        let triggered = match &call {
            // An event on a page the visitor has left shows no survey on this one.
            Call::Track { event, properties } if !self.past => {
                self.tracker
                    .surveys_for_event(event, properties, &self.regex)
            }
            _ => Vec::new(),
        };
        #[cfg(feature = "checklists")]
        let tracked = match &call {
            Call::Track { event, properties } if self.tracker.checklists_want(event) => {
                Some((event.clone(), properties.clone()))
            }
            _ => None,
        };
        let (id, at) = self.id_and_time();
        let result = self.tracker.record(call, &id, at);
        self.recorded(result);
        #[cfg(feature = "checklists")]
        if let Some((event, properties)) = tracked {
            let (records, changed) =
                self.tracker
                    .checklists_on_event(&event, &properties, at, &self.regex);
            self.checklist_records(records, &changed);
        }
        #[cfg(feature = "surveys")]
        for survey in triggered {
            self.show_survey(&survey, false, false);
        }
    }

    #[cfg(feature = "widgets")]
    fn record_track(&mut self, event: &str, properties: &Map) {
        let (id, at) = self.id_and_time();
        let result = self.tracker.record_track(event, properties, &id, at);
        self.recorded(result);
    }

    /// A new event's `messageId` and time: the snippet's, for a call it queued (so a call
    /// the loader already sent or kept is the same event), else new ones.
    fn id_and_time(&mut self) -> (String, f64) {
        match self.stamp.take() {
            Some((at, id)) => (id.unwrap_or_else(page::uuid), at),
            None => (page::uuid(), page::now_ms()),
        }
    }

    fn recorded(&mut self, result: Result<Recorded, EventError>) {
        match result {
            // A page call does not send: a batch that fell due goes out from the timer, in a
            // task of its own, so the page's handler does no network work. Unless a burst
            // has filled half the queue's bounds: then the batch leaves now, or events drop.
            Ok(Recorded::Queued) if self.tracker.under_pressure() => self.pump(),
            Ok(Recorded::Queued) => self.arm(page::now_ms()),
            Ok(Recorded::Held | Recorded::Discarded) => {}
            Err(e) => warn(&e.message()),
        }
    }

    /// A single-page app may retitle the page without navigating; the title is the one page
    /// fact read per call (a cheap property), and the page's JSON is rebuilt only if it moved.
    fn refresh_title(&mut self) {
        let title = page::title();
        if title != self.tracker.page().title {
            let mut info = self.tracker.page().clone();
            info.title = title;
            self.tracker.set_page(info);
        }
    }
}

/// Starts engagekit for `writeKey`; `options.config` is the site configuration as the
/// collector serves it (see [`read_config`]), `options.listen` whether the page has `on()` listeners already
/// (see [`listen`]). Returns actions, the first page view's among them.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn init(write_key: JsValue, options: JsValue) -> JsValue {
    let Some(write_key) = interop::string(&write_key).filter(|k| !crate::text::is_blank(k)) else {
        warn("init: the writeKey must be a non-empty string; engagekit is not running");
        return JsValue::UNDEFINED;
    };
    let already = SHELL.with(|c| c.try_borrow().map(|s| s.is_some()).unwrap_or(true));
    if already {
        warn("init() was called twice; the second call was ignored");
        return JsValue::UNDEFINED;
    }
    let config = read_config(&interop::get(&options, "config"));
    let mut tracker = Tracker::new(
        &write_key,
        config,
        &page::uuid(),
        Box::new(storage::LocalStore::open()),
        page::privacy_signal(),
        page::uuid(),
    );
    tracker.echo = interop::get(&options, "listen").is_truthy();
    #[cfg_attr(not(feature = "checklists"), allow(unused_mut))]
    let mut shell = Shell {
        tracker,
        #[cfg(feature = "widgets")]
        regex: regex::JsRegexEngine::default(),
        pending: Vec::new(),
        next_id: 0,
        actions: Vec::new(),
        persist_asked: false,
        timer_at: -1.0,
        stamp: None,
        past: false,
    };
    // Handed out with the first page view's actions.
    #[cfg(feature = "checklists")]
    shell.fetch_remote();
    SHELL.with(|c| {
        if let Ok(mut guard) = c.try_borrow_mut() {
            *guard = Some(shell);
        }
    });
    navigated()
}

/// The config the module runs with: the compiled form the collector serves (and the compile
/// chunk makes of an inline config, in www/host.js), read with no checks or messages (see
/// [`crate::config::compact`]); none at all (the loader could not fetch one): the defaults.
/// Anything else cannot be read: the module then holds everything until consent.
fn read_config(v: &JsValue) -> Config {
    if v.is_undefined() || v.is_null() {
        return Config::default();
    }
    interop::from_js(&interop::get(v, "compiled"))
        .ok()
        .and_then(Config::from_compiled)
        .unwrap_or_else(|| {
            warn("config: not a compiled config of this version; nothing is sent before consent");
            Config::held()
        })
}

/// Properties or traits from the page; anything but an object is dropped with a warning.
fn object_arg(v: &JsValue, what: &str) -> Map {
    interop::object(v, what).unwrap_or_else(|mut e| {
        e.push_str(WITHOUT);
        warn(&e);
        Map::new()
    })
}

const WITHOUT: &str = "; the call was recorded without them";

/// Records a custom event: `track('Signed Up', {plan: 'pro'})`.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn track(event: JsValue, properties: JsValue) -> JsValue {
    let Some(name) = interop::string(&event).filter(|n| !crate::text::is_blank(n)) else {
        warn("track: the event name must be a non-empty string; the call was ignored");
        return JsValue::UNDEFINED;
    };
    let properties = interop::object_text(&properties).unwrap_or_else(|mut e| {
        let mut m = String::from("track(\"");
        m.push_str(&name);
        m.push_str("\"): properties ");
        m.push_str(&e);
        e.clear();
        m.push_str(WITHOUT);
        warn(&m);
        String::from("{}")
    });
    with("track", |s| {
        s.record(Call::Track {
            event: name,
            properties,
        })
    })
}

/// Records a page view; automatic ones need no call. `page(name?, properties?)`.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn page(name: JsValue, properties: JsValue) -> JsValue {
    let (name, properties) = match interop::string(&name) {
        Some(n) => (Some(n), properties),
        None if name.is_object() => (None, name),
        None => (None, properties),
    };
    let properties = object_arg(&properties, "page: properties");
    with("page", |s| s.record(Call::Page { name, properties }))
}

/// Ties the visitor to a user id and/or records traits: `identify('u1', {plan})`.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn identify(user_id: JsValue, traits: JsValue, options: JsValue) -> JsValue {
    let (user_id, traits) = if let Some(id) = interop::string(&user_id) {
        (Some(id), traits)
    } else if user_id.as_f64().is_some() {
        // Printed by JS, so no float formatter ships in the wasm.
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
        return JsValue::UNDEFINED;
    };
    let traits = object_arg(&traits, "identify: traits");
    #[cfg(feature = "checklists")]
    let hash = interop::string(&interop::get(&options, "userHash"))
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    #[cfg(not(feature = "checklists"))]
    let _ = options;
    with("identify", |s| {
        #[cfg(feature = "checklists")]
        let new_user = user_id.is_some();
        s.record(Call::Identify { user_id, traits });
        #[cfg(feature = "checklists")]
        if new_user {
            s.tracker.set_user_hash(hash.as_deref());
            s.fetch_remote();
        }
    })
}

/// Forgets the user id and traits and starts a new anonymous visitor (e.g. on logout).
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn reset() -> JsValue {
    with("reset", |s| {
        s.tracker.reset(page::uuid());
        #[cfg(feature = "checklists")]
        s.tracker.set_user_hash(None);
    })
}

/// Records the visitor's consent: `consent('granted')` or `consent('denied')`.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn consent(choice: JsValue) -> JsValue {
    let Some(choice) = interop::string(&choice).and_then(|c| Consent::parse(&c)) else {
        warn("consent: expected 'granted' or 'denied'; the call was ignored");
        return JsValue::UNDEFINED;
    };
    with("consent", |s| {
        s.tracker.set_consent(choice, page::now_ms());
        s.pump();
    })
}

/// Erases everything engagekit stored about this visitor in this browser.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn forget() -> JsValue {
    with("forget", |s| {
        s.tracker.forget(page::uuid());
        s.pending.clear();
        s.actions.push(Action::Timer(-1.0));
    })
}

/// Sends what is queued now instead of waiting for the batch to fill.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn flush() -> JsValue {
    with("flush", |s| {
        if let Some(req) = s.tracker.flush_request(page::now_ms()) {
            s.hand_out(req, Leaving::No);
        }
    })
}

/// The visitor's engagement score, 0-100 (not in the tracking build: see
/// [`Config::build`]).
#[cfg(feature = "widgets")]
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn score() -> f64 {
    let mut out = 0.0;
    with("score", |s| out = s.tracker.score(page::now_ms()));
    out
}

/// A snapshot of the tracker's state, for developers and tests.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn debug() -> JsValue {
    let mut map = Map::new();
    with("debug", |s| map = s.tracker.debug());
    interop::to_js(&Value::Object(map))
}

/// The URL may have changed (SPA navigation): records a page view if it did.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn navigated() -> JsValue {
    with("navigated", |s| {
        let info = page::page_info(&JsValue::UNDEFINED);
        // A new URL is a new page view for content slots too, page events or not.
        let new_page = s.tracker.is_new_page(&info.url);
        s.tracker.set_page(info);
        #[cfg(feature = "surveys")]
        if new_page {
            s.tracker.surveys_on_page_view(page::now_ms());
        }
        if new_page && s.tracker.config().tracking.autocapture.pageviews {
            s.record(Call::Page {
                name: None,
                properties: Map::new(),
            });
        } else {
            s.pump();
        }
        #[cfg(feature = "checklists")]
        if new_page {
            s.checklists_page_view();
        }
    })
}

/// The next call is one the snippet queued before the module ran: `at` is when it was made
/// (Unix ms), `id` the id the loader gave it if it kept or sent it. Its event gets that time
/// and that `messageId`.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn stamp(at: JsValue, id: JsValue) {
    let stamp = at.as_f64().filter(|t| t.is_finite() && *t > 0.0).map(|t| {
        (
            // Whole ms, as the collector reads the same time (`early::read`): the loader
            // stamps the page view with `performance.timeOrigin`, which has a fraction.
            (t as u64) as f64,
            interop::string(&id).filter(|i| !i.is_empty() && i.len() <= 100),
        )
    });
    STAMP.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            *s = stamp;
        }
    });
}

/// The calls replayed next were made on another page of the site, one the visitor left
/// before its module ran (the loader kept them: see [`crate::early`]): `page` is that page
/// as the loader kept it, `{url, title, referrer}`, and its automatic page view is recorded
/// (with the [`stamp`] given before). Called without a page after those calls: the current
/// page is back. The collector replays the same record the same way
/// ([`Tracker::replay`]), so an event that came both ways is one event.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn past(page: JsValue) -> JsValue {
    let past = page.is_object();
    let here = JsValue::UNDEFINED;
    let info = page::page_info(if past { &page } else { &here });
    with("past", |s| {
        s.past = past;
        s.tracker.set_page(info);
        if past && s.tracker.config().tracking.autocapture.pageviews {
            s.record(Call::Page {
                name: None,
                properties: Map::new(),
            });
        }
    })
}

/// The loader's timer fired.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn wake() -> JsValue {
    with("wake", |s| {
        s.timer_at = -1.0;
        s.pump();
    })
}

/// Writes what changed since the last write (the host calls this shortly after an export
/// asked for it with `[3]`).
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn persist() -> JsValue {
    with("persist", |s| {
        s.persist_asked = false;
        s.tracker.persist(page::now_ms());
    })
}

/// The answer to request `id`: its HTTP status (anything else: a network error) and its
/// `Retry-After` header.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn settle(id: u32, status: JsValue, retry_after: JsValue) -> JsValue {
    let status = status
        .as_f64()
        .filter(|s| (100.0..600.0).contains(s))
        .map(|s| s as u16);
    let now = page::now_ms();
    let retry_after = interop::string(&retry_after).and_then(|h| {
        crate::batch::retry_after_ms(&h, now, |d| {
            let at = js_sys::Date::parse(d);
            (!at.is_nan()).then_some(at)
        })
    });
    with("settle", |s| {
        let Some(i) = s.pending.iter().position(|(p, _)| *p == id) else {
            return;
        };
        let (_, req) = s.pending.swap_remove(i);
        if let Some(w) = s
            .tracker
            .settle(&req, status, retry_after, page::jitter(), now)
        {
            warn(&w);
        }
        s.pump();
    })
}

/// The page was hidden (`leaving` false) or is going away (`pagehide`, true): everything
/// queued goes out now, in pieces that fit the unload quota.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn hide(leaving: JsValue) -> JsValue {
    let leaving = leaving.is_truthy();
    with("hide", |s| {
        // Write-behind ends here: the page may be frozen or killed without another task.
        s.tracker.persist(page::now_ms());
        for req in s.tracker.unload_requests(page::now_ms()) {
            s.hand_out(
                req,
                if leaving {
                    Leaving::Yes
                } else {
                    Leaving::Maybe
                },
            );
        }
        if leaving {
            s.tracker.release();
        }
    })
}

/// The page is visible again; `restored` when it came back from the back/forward cache.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn show(restored: JsValue) -> JsValue {
    with("show", |s| {
        if restored.is_truthy() {
            s.pending.clear();
            s.tracker.resume(page::now_ms());
        } else {
            s.tracker.heartbeat(page::now_ms());
        }
        s.pump();
    })
}

/// The network is back: retry now instead of waiting out the backoff.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn online() -> JsValue {
    with("online", |s| {
        s.tracker.network_back();
        s.pump();
    })
}

/// Every 30 s and at start, under a cross-tab lock where the browser has Web Locks: say this
/// tab is alive and take over the queues of tabs that are gone.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn adopt() -> JsValue {
    with("adopt", |s| {
        let now = page::now_ms();
        s.tracker.heartbeat(now);
        s.tracker.adopt_orphans(now);
        s.pump();
    })
}

/// Whether the page has `on()` listeners: while it has, each recorded event comes back as
/// a `[5, json]` action.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn listen(on: JsValue) -> JsValue {
    with("listen", |s| s.tracker.echo = on.is_truthy())
}

/// Whether the loader should report clicks (`tracking.autocapture.clicks`).
#[cfg_attr(not(feature = "compiler"), wasm_bindgen(js_name = wantsClicks))]
pub fn wants_clicks() -> bool {
    let mut out = false;
    with("wantsClicks", |s| {
        out = s.tracker.config().tracking.autocapture.clicks
    });
    out
}
