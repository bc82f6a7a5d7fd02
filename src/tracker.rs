//! The tracker: one visitor's identity, session, score, consent and delivery queue.
//!
//! Every call from the page lands here with the time and the page facts passed in. The
//! tracker decides what to record, what to persist (through the [`Store`] the shell gives
//! it), what to send and when, and how to react to each response. It never touches the
//! network, timers or the DOM: the shell sends the [`Request`]s it hands out and reports back.

use crate::batch::{self, Limits, Outcome, Queue, Queued, Request};
use crate::config::Config;
use crate::consent::{self, Consent, Permission};
use crate::content::Decision;
use crate::context::{self, PageInfo};
use crate::event::{self, Call, EventError, Identity};
use crate::json::{Map, Value};
use crate::score::Points;
use crate::session::{self, Session};

/// Key-value storage (localStorage in the browser). Implementations never panic; a failing
/// write returns false and the tracker carries on in memory.
pub trait Store {
    /// The text under `key`.
    fn get(&self, key: &str) -> Option<String>;
    /// Stores `value` under `key`; false when storage is full or unavailable.
    fn set(&mut self, key: &str, value: &str) -> bool;
    /// Removes `key`.
    fn remove(&mut self, key: &str);
    /// Every key (to find other tabs' queues).
    fn keys(&self) -> Vec<String>;
    /// Parses JSON text (the browser's `JSON.parse`; the core ships no parser).
    fn parse_json(&self, text: &str) -> Option<Value>;
    /// Writes JSON text (the browser's `JSON.stringify` in the wasm build).
    fn to_json(&self, v: &Value) -> String {
        v.to_json()
    }
}

/// Storage keys. One prefix, so `forget()` can find everything.
pub mod keys {
    /// Prefix of every key engagekit writes.
    pub const PREFIX: &str = "engagekit:";
    /// The anonymous id.
    pub const ANON: &str = "engagekit:anonymousId";
    /// The user id from `identify`.
    pub const USER: &str = "engagekit:userId";
    /// Traits from `identify`, as JSON.
    pub const TRAITS: &str = "engagekit:traits";
    /// The session (`id,last,count`).
    pub const SESSION: &str = "engagekit:session";
    /// Score points (`value,asOf`).
    pub const SCORE: &str = "engagekit:score";
    /// The visitor's consent choice.
    pub const CONSENT: &str = "engagekit:consent";
    /// When this browser was first seen (Unix ms).
    pub const FIRST_SEEN: &str = "engagekit:firstSeen";
    /// Times each event name was recorded, as JSON.
    pub const COUNTS: &str = "engagekit:counts";
    /// Sticky experiment assignments (key → variation index), as JSON.
    pub const EXPERIMENTS: &str = "engagekit:experiments";
    /// A tab's queue: `engagekit:queue:<tab>`.
    pub const QUEUE: &str = "engagekit:queue:";
    /// A tab's heartbeat: `engagekit:alive:<tab>`, Unix ms, or [`GONE`] once the tab has left.
    pub const ALIVE: &str = "engagekit:alive:";
    /// Heartbeat value of a tab that has left the page.
    pub const GONE: &str = "gone";

    /// `prefix` + `tab` (no `format!`: its machinery costs bytes in the wasm).
    pub fn for_tab(prefix: &str, tab: &str) -> String {
        let mut key = String::with_capacity(prefix.len() + tab.len());
        key.push_str(prefix);
        key.push_str(tab);
        key
    }
}

/// A tab whose heartbeat is older than this is taken as crashed and its queue adopted.
/// Hidden tabs run timers about once a minute, so this leaves a wide margin.
pub const STALE_TAB_MS: f64 = 5.0 * 60_000.0;

/// Score points are stored as integers of this many units per point: parsing and printing
/// integers keeps float formatting code out of the wasm.
const SCORE_UNITS: f64 = 1_000.0;

/// What happened to a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// Queued for sending (and persisted).
    Queued,
    /// Kept in memory until the visitor chooses (requireConsent).
    Held,
    /// Discarded: consent denied or DNT/GPC.
    Discarded,
}

/// One visitor in one tab.
pub struct Tracker {
    config: Config,
    limits: Limits,
    write_key: String,
    tab: String,
    store: Box<dyn Store>,
    privacy_signal: bool,
    consent: Consent,
    identity: Identity,
    session: Option<Session>,
    points: Points,
    queue: Queue,
    held: Queue,
    attempt: u32,
    retry_at_ms: f64,
    last_page_url: Option<String>,
    first_seen_ms: f64,
    counts: Map,
    assignments: Map,
    /// Content decisions made on this page view, and the slots already reported viewed.
    decisions: Vec<(String, Decision)>,
    viewed: Vec<String>,
}

impl Tracker {
    /// Loads the visitor from `store`. `fresh_id` becomes the anonymous id if none is stored.
    pub fn new(
        write_key: &str,
        config: Config,
        tab: &str,
        store: Box<dyn Store>,
        privacy_signal: bool,
        fresh_id: String,
    ) -> Tracker {
        let consent = store
            .get(keys::CONSENT)
            .and_then(|c| Consent::parse(&c))
            .unwrap_or_default();
        let mut t = Tracker {
            limits: Limits::from(&config.tracking),
            config,
            write_key: write_key.to_owned(),
            tab: tab.to_owned(),
            store,
            privacy_signal,
            consent,
            identity: Identity::default(),
            session: None,
            points: Points::default(),
            queue: Queue::default(),
            held: Queue::default(),
            attempt: 0,
            retry_at_ms: 0.0,
            last_page_url: None,
            first_seen_ms: 0.0,
            counts: Map::new(),
            assignments: Map::new(),
            decisions: Vec::new(),
            viewed: Vec::new(),
        };
        t.load(fresh_id);
        t
    }

    fn load(&mut self, fresh_id: String) {
        let s = &self.store;
        self.identity = Identity {
            anonymous_id: s
                .get(keys::ANON)
                .filter(|a| !a.is_empty())
                .unwrap_or(fresh_id),
            user_id: s.get(keys::USER).filter(|u| !u.is_empty()),
            traits: s
                .get(keys::TRAITS)
                .and_then(|t| s.parse_json(&t))
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default(),
        };
        self.session = s.get(keys::SESSION).and_then(|v| session::decode(&v));
        let json_map = |key: &str| {
            s.get(key)
                .and_then(|t| s.parse_json(&t))
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default()
        };
        self.counts = json_map(keys::COUNTS);
        self.assignments = json_map(keys::EXPERIMENTS);
        self.first_seen_ms = s
            .get(keys::FIRST_SEEN)
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0.0, |v| v as f64);
        self.points = s
            .get(keys::SCORE)
            .and_then(|v| {
                let (a, b) = v.split_once(',')?;
                Some(Points {
                    value: a.parse::<u64>().ok()? as f64 / SCORE_UNITS,
                    as_of_ms: b.parse::<u64>().ok()? as f64,
                })
            })
            .unwrap_or_default();
        self.queue = s
            .get(&self.queue_key())
            .map(|q| Queue::decode(&q))
            .unwrap_or_default();
    }

    fn queue_key(&self) -> String {
        keys::for_tab(keys::QUEUE, &self.tab)
    }

    /// What tracking may do now.
    pub fn permission(&self) -> Permission {
        consent::permission(&self.config.privacy, self.consent, self.privacy_signal)
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Records a call at `now_ms` on the page described by `page`.
    pub fn record(
        &mut self,
        call: Call,
        page: &PageInfo,
        message_id: &str,
        now_ms: f64,
    ) -> Result<Recorded, EventError> {
        let permission = self.permission();
        if permission == Permission::Off {
            return Ok(Recorded::Discarded);
        }
        let timeout = f64::from(self.config.tracking.session_timeout_minutes) * 60_000.0;
        let session = session::touch(self.session, now_ms, timeout);
        let ctx = context::context(page, session.id);
        let to_json = |v: &Value| self.store.to_json(v);
        let built = event::build(&call, &self.identity, &ctx, message_id, now_ms, &to_json)?;
        if let Call::Identify { user_id, traits } = &call {
            if user_id.is_some() {
                self.identity.user_id.clone_from(user_id);
            }
            self.identity.traits.extend(traits.clone());
        }
        self.session = Some(session);
        self.points = self
            .points
            .record(call.score_name(), now_ms, &self.config.score);
        let count = self
            .counts
            .get(call.score_name())
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        self.counts.set(call.score_name(), (count + 1.0).into());
        if self.first_seen_ms == 0.0 {
            self.first_seen_ms = now_ms;
        }
        let item = Queued {
            id: built.id,
            at_ms: now_ms,
            json: built.json,
        };
        if permission == Permission::Hold {
            self.held.push(item, &self.limits);
            return Ok(Recorded::Held);
        }
        self.queue.push(item, &self.limits);
        self.persist_all(now_ms);
        Ok(Recorded::Queued)
    }

    /// Whether a navigation to `url` deserves an automatic page view: SPA routers call
    /// `replaceState` for the same URL often, and that is not a new page.
    pub fn is_new_page(&mut self, url: &str) -> bool {
        if self.last_page_url.as_deref() == Some(url) {
            return false;
        }
        self.last_page_url = Some(url.to_owned());
        self.decisions.clear();
        self.viewed.clear();
        true
    }

    /// Records the visitor's choice. A grant releases held events; a denial discards
    /// everything not yet sent and erases what was persisted, keeping only the choice.
    pub fn set_consent(&mut self, choice: Consent, now_ms: f64) {
        self.consent = choice;
        match self.permission() {
            Permission::Track => {
                let held = std::mem::take(&mut self.held);
                self.queue.adopt(held, &self.limits);
                self.persist_all(now_ms);
            }
            Permission::Off => {
                self.held = Queue::default();
                self.queue = Queue::default();
                self.erase_storage();
            }
            Permission::Hold => {}
        }
        self.store.set(keys::CONSENT, choice.as_str());
    }

    /// The visitor's consent choice.
    pub fn consent(&self) -> Consent {
        self.consent
    }

    /// Segment's `reset()`: a new anonymous id, no user id, no traits (e.g. on logout).
    pub fn reset(&mut self, fresh_id: String, now_ms: f64) {
        self.identity = Identity {
            anonymous_id: fresh_id,
            ..Identity::default()
        };
        self.session = None;
        self.points = Points::default();
        self.counts = Map::new();
        self.assignments = Map::new();
        self.persist_all(now_ms);
    }

    /// Erases this visitor's local state, queued events included; the next call starts a new
    /// visitor with `fresh_id`. The consent choice is erased too.
    pub fn forget(&mut self, fresh_id: String) {
        self.erase_storage();
        self.store.remove(keys::CONSENT);
        self.consent = Consent::Unknown;
        self.queue = Queue::default();
        self.held = Queue::default();
        self.identity = Identity {
            anonymous_id: fresh_id,
            ..Identity::default()
        };
        self.session = None;
        self.points = Points::default();
        self.counts = Map::new();
        self.assignments = Map::new();
        self.first_seen_ms = 0.0;
    }

    fn erase_storage(&mut self) {
        for key in self.store.keys() {
            if key.starts_with(keys::PREFIX) && key != keys::CONSENT {
                self.store.remove(&key);
            }
        }
    }

    /// Writes everything that changed, if tracking may persist. Storage failures are not
    /// errors: events stay in memory and go out with the next batch.
    fn persist_all(&mut self, now_ms: f64) {
        if self.permission() != Permission::Track {
            return;
        }
        let s = &mut self.store;
        s.set(keys::ANON, &self.identity.anonymous_id);
        match &self.identity.user_id {
            Some(u) => s.set(keys::USER, u),
            None => {
                s.remove(keys::USER);
                true
            }
        };
        if self.identity.traits.is_empty() {
            s.remove(keys::TRAITS);
        } else {
            let traits = s.to_json(&Value::Object(self.identity.traits.clone()));
            s.set(keys::TRAITS, &traits);
        }
        match &self.session {
            Some(sess) => s.set(keys::SESSION, &session::encode(sess)),
            None => {
                s.remove(keys::SESSION);
                true
            }
        };
        let counts = s.to_json(&Value::Object(self.counts.clone()));
        s.set(keys::COUNTS, &counts);
        let assignments = s.to_json(&Value::Object(self.assignments.clone()));
        s.set(keys::EXPERIMENTS, &assignments);
        s.set(keys::FIRST_SEEN, &(self.first_seen_ms as u64).to_string());
        let points = format!(
            "{},{}",
            (self.points.value * SCORE_UNITS).round() as u64,
            self.points.as_of_ms as u64
        );
        s.set(keys::SCORE, &points);
        self.persist_queue(now_ms);
    }

    fn persist_queue(&mut self, now_ms: f64) {
        if self.permission() != Permission::Track {
            return;
        }
        let key = self.queue_key();
        if self.queue.is_empty() && self.queue.dropped == 0 {
            self.store.remove(&key);
        } else {
            self.store.set(&key, &self.queue.encode());
        }
        self.heartbeat(now_ms);
    }

    /// Marks this tab alive, so other tabs leave its queue alone. Nothing is written while
    /// tracking may not persist.
    pub fn heartbeat(&mut self, now_ms: f64) {
        if self.permission() == Permission::Track {
            let key = keys::for_tab(keys::ALIVE, &self.tab);
            self.store.set(&key, &(now_ms as u64).to_string());
        }
    }

    /// Marks this tab gone (on `pagehide`), so the next page may adopt what it leaves.
    pub fn release(&mut self) {
        if self.permission() == Permission::Track {
            let key = keys::for_tab(keys::ALIVE, &self.tab);
            self.store.set(&key, keys::GONE);
        }
    }

    /// Back from the back/forward cache: another tab may have adopted our queue meanwhile,
    /// so storage, not memory, is the truth.
    pub fn resume(&mut self, now_ms: f64) {
        let key = self.queue_key();
        self.queue = self
            .store
            .get(&key)
            .map(|q| Queue::decode(&q))
            .unwrap_or_default();
        self.heartbeat(now_ms);
    }

    /// Takes over the queues of tabs that are gone (closed, crashed) and returns how many
    /// events that brought in. The shell runs this under a cross-tab lock where it has one.
    pub fn adopt_orphans(&mut self, now_ms: f64) -> usize {
        if self.permission() != Permission::Track {
            return 0;
        }
        let mut adopted = 0;
        for key in self.store.keys() {
            let Some(tab) = key.strip_prefix(keys::QUEUE) else {
                continue;
            };
            if tab == self.tab {
                continue;
            }
            let alive_key = keys::for_tab(keys::ALIVE, tab);
            if self.is_alive(&alive_key, now_ms) {
                continue;
            }
            if let Some(text) = self.store.get(&key) {
                let theirs = Queue::decode(&text);
                adopted += theirs.len();
                self.queue.adopt(theirs, &self.limits);
            }
            self.store.remove(&key);
            self.store.remove(&alive_key);
        }
        // Heartbeats of tabs that left no queue are litter.
        for key in self.store.keys() {
            if let Some(tab) = key.strip_prefix(keys::ALIVE) {
                let has_queue = self.store.get(&keys::for_tab(keys::QUEUE, tab)).is_some();
                if tab != self.tab && !has_queue && !self.is_alive(&key, now_ms) {
                    self.store.remove(&key);
                }
            }
        }
        if adopted > 0 {
            self.persist_queue(now_ms);
        }
        adopted
    }

    /// Whether the tab whose heartbeat is under `alive_key` is still there.
    fn is_alive(&self, alive_key: &str, now_ms: f64) -> bool {
        self.store
            .get(alive_key)
            .and_then(|a| a.parse::<u64>().ok())
            .is_some_and(|at| now_ms - (at as f64) < STALE_TAB_MS)
    }

    /// The next request to send, if a batch is due and no retry wait is pending.
    pub fn next_request(&mut self, now_ms: f64) -> Option<Request> {
        self.request(now_ms, false)
    }

    /// Sends everything now (`flush()`), ignoring the batching policy but not a retry wait.
    pub fn flush_request(&mut self, now_ms: f64) -> Option<Request> {
        self.request(now_ms, true)
    }

    fn request(&mut self, now_ms: f64, forced: bool) -> Option<Request> {
        if self.permission() != Permission::Track || now_ms < self.retry_at_ms {
            return None;
        }
        if !forced && !self.queue.is_due(now_ms, &self.limits) {
            return None;
        }
        self.queue.start_batch(
            &self.write_key,
            &event::iso8601(now_ms),
            batch::MAX_BATCH_BYTES,
        )
    }

    /// Requests for the page's last moments (`pagehide`, hidden), each within the unload quota.
    pub fn unload_requests(&mut self, now_ms: f64) -> Vec<Request> {
        if self.permission() != Permission::Track {
            return Vec::new();
        }
        self.queue.start_unload(
            &self.write_key,
            &event::iso8601(now_ms),
            batch::MAX_UNLOAD_BYTES,
        )
    }

    /// Applies a response (`status` None for a network error). `retry_after_ms` comes from the
    /// response's `Retry-After`, `jitter` in [0, 1) from the shell's randomness. Returns a
    /// warning for the page when the collector refused the events for good.
    pub fn settle(
        &mut self,
        request: &Request,
        status: Option<u16>,
        retry_after_ms: Option<f64>,
        jitter: f64,
        now_ms: f64,
    ) -> Option<String> {
        let outcome = batch::outcome(status);
        self.queue
            .settle(&request.ids, outcome, request.reported_dropped);
        let warning = match outcome {
            Outcome::Delivered => {
                self.attempt = 0;
                self.retry_at_ms = 0.0;
                None
            }
            Outcome::Retry => {
                let wait = batch::backoff_ms(self.attempt, jitter, retry_after_ms);
                self.attempt = self.attempt.saturating_add(1);
                self.retry_at_ms = now_ms + wait;
                None
            }
            Outcome::Reject => Some(format!(
                "the collector refused {} event(s) with status {}; they were dropped",
                request.ids.len(),
                status.unwrap_or(0)
            )),
        };
        self.persist_queue(now_ms);
        warning
    }

    /// When the shell should wake next to send, if anything waits.
    pub fn next_wake(&self) -> Option<f64> {
        if self.permission() != Permission::Track || self.queue.in_flight() > 0 {
            return None;
        }
        let due = if self.queue.len() >= self.limits.flush_at {
            self.queue.due_at(&self.limits).map(|_| 0.0)
        } else {
            self.queue.due_at(&self.limits)
        };
        due.map(|d| d.max(self.retry_at_ms))
    }

    /// Network is back (`online`): retry at once instead of waiting out the backoff.
    pub fn network_back(&mut self) {
        self.retry_at_ms = 0.0;
        self.attempt = 0;
    }

    /// The engagement score, 0-100, at `now_ms`.
    pub fn score(&self, now_ms: f64) -> f64 {
        self.points.score(now_ms, &self.config.score)
    }

    /// The visitor's identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// A snapshot for `debug()`.
    pub fn debug(&self) -> Map {
        let mut m = Map::new();
        m.set("anonymousId", self.identity.anonymous_id.as_str().into());
        m.set(
            "userId",
            self.identity
                .user_id
                .as_deref()
                .map_or(Value::Null, Value::from),
        );
        m.set(
            "sessionId",
            self.session.map_or(Value::Null, |s| s.id.into()),
        );
        m.set("queued", (self.queue.len() as f64).into());
        m.set("inflight", (self.queue.in_flight() as f64).into());
        m.set("held", (self.held.len() as f64).into());
        m.set("dropped", (self.queue.dropped as f64).into());
        m.set("consent", self.consent.as_str().into());
        m.set("tab", self.tab.as_str().into());
        m
    }
}

mod audience;
#[cfg(test)]
mod tests;
