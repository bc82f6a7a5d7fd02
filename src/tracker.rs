//! The tracker: one visitor's identity, session, score, consent and delivery queue.
//!
//! Every call from the page lands here with the time passed in; the page's facts come in
//! once per page view ([`Tracker::set_page`]). The tracker decides what to record, what to
//! persist (through the [`Store`] the shell gives it), what to send and when, and how to
//! react to each response. Recording only changes memory: the shell calls
//! [`Tracker::persist`] shortly after a run of calls (write-behind), before anything is
//! sent and when the page is hidden, and
//! persisting writes only what changed, so a call costs the same whatever the queue holds.
//! It never touches the network, timers or the DOM: the shell sends the [`Request`]s it
//! hands out and reports back.

use crate::batch::{self, Limits, Outcome, Queue, Queued, Request};
use crate::config::Config;
use crate::consent::{self, Consent, Permission};
use crate::content::Decision;
use crate::context::{self, PageInfo};
use crate::event::{self, Call, EventError, Frame, Identity};
use crate::json::{push_uint, Map, Value};
use crate::prelude::*;
#[cfg(feature = "widgets")]
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
    /// Writes a Unix time in ms as [`event::iso8601`] does (the browser's
    /// `Date.prototype.toISOString` in the wasm build, which then ships no calendar code).
    fn iso8601(&self, ms: f64) -> String {
        event::iso8601(ms)
    }
    /// Reads a query string as [`crate::context::query_pairs`] does (the browser's
    /// `URLSearchParams` in the wasm build, which then ships no percent-decoding).
    fn query_pairs(&self, search: &str) -> Vec<(String, String)> {
        crate::context::query_pairs(search)
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
    /// A tab's queue, in chunks: `engagekit:queue:<tab>:<n>` (events, one per line) and
    /// `engagekit:queue:<tab>:dropped`; earlier versions kept it whole in
    /// `engagekit:queue:<tab>`, which is still adopted.
    pub const QUEUE: &str = "engagekit:queue:";
    /// A tab's heartbeat: `engagekit:alive:<tab>`, Unix ms, or [`GONE`] once the tab has left.
    pub const ALIVE: &str = "engagekit:alive:";
    /// Heartbeat value of a tab that has left the page.
    pub const GONE: &str = "gone";
    /// Calls a page made before its module ran, kept by the loader when the page was hidden
    /// or closed first: `engagekit:early:<id>` (see [`crate::early`]). Written by
    /// www/loader.js and replayed by the next page's www/host.js; the tracker only erases it
    /// with the visitor's other keys.
    pub const EARLY: &str = "engagekit:early:";
    /// When prompts were shown, answered and dismissed, shared by the visitor's tabs (see
    /// [`crate::survey::History`]).
    pub const PROMPTS: &str = "engagekit:prompts";
    /// Each checklist's progress, as JSON (see [`crate::checklist::Progress`]).
    pub const CHECKLISTS: &str = "engagekit:checklists";
    /// The identified visitor's identity hash from `identify(..., {userHash})`, which lets
    /// this browser fetch their state from other devices.
    pub const USER_HASH: &str = "engagekit:userHash";

    use crate::prelude::*;

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

/// A tab refreshes its heartbeat at least this often while it writes (and every 30 s).
const HEARTBEAT_MS: f64 = 10_000.0;

/// What differs between memory and storage, as bits.
mod dirty {
    pub const IDENTITY: u8 = 1;
    pub const SESSION: u8 = 2;
    #[cfg(feature = "widgets")]
    pub const SCORE: u8 = 4;
    #[cfg(feature = "widgets")]
    pub const COUNTS: u8 = 8;
    #[cfg(feature = "widgets")]
    pub const ASSIGNMENTS: u8 = 16;
    #[cfg(feature = "widgets")]
    pub const FIRST_SEEN: u8 = 32;
    pub const ALL: u8 = 63;
}

/// Score points are stored as integers of this many units per point: parsing and printing
/// integers keeps float formatting code out of the wasm.
#[cfg(feature = "widgets")]
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

/// What audience conditions know of the visitor beyond identity and session: engagement
/// points, events counted by name, when the visitor was first seen, sticky experiment
/// assignments. Only the builds that decide audiences keep it (feature `widgets`): in the
/// tracking build nothing reads it, so every visitor's browser would pay for it (0.9 KB
/// of the wasm, a storage write per run of calls). A site's audience history starts with
/// its first audience feature (see [`Config::build`]).
#[cfg(feature = "widgets")]
#[derive(Default)]
struct AudienceState {
    points: Points,
    first_seen_ms: f64,
    counts: Map,
    assignments: Map,
}

#[cfg(feature = "widgets")]
impl AudienceState {
    fn load(s: &dyn Store) -> AudienceState {
        AudienceState {
            counts: stored_map(s, keys::COUNTS),
            assignments: stored_map(s, keys::EXPERIMENTS),
            first_seen_ms: s
                .get(keys::FIRST_SEEN)
                .and_then(|v| crate::num::parse_u64(&v))
                .map_or(0.0, |v| v as f64),
            points: s
                .get(keys::SCORE)
                .and_then(|v| {
                    let (a, b) = crate::text::split_once(&v, b',')?;
                    Some(Points {
                        value: crate::num::parse_u64(a)? as f64 / SCORE_UNITS,
                        as_of_ms: crate::num::parse_u64(b)? as f64,
                    })
                })
                .unwrap_or_default(),
        }
    }

    /// Counts an event (`name` as [`Call::score_name`] gives it) and returns what to write.
    fn record(&mut self, name: &str, now_ms: f64, score: &crate::config::ScoreConfig) -> u8 {
        self.points = self.points.record(name, now_ms, score);
        let count = self.counts.get(name).and_then(Value::as_f64).unwrap_or(0.0);
        self.counts.set(name, (count + 1.0).into());
        let mut dirty = dirty::SCORE | dirty::COUNTS;
        if self.first_seen_ms == 0.0 {
            self.first_seen_ms = now_ms;
            dirty |= dirty::FIRST_SEEN;
        }
        dirty
    }

    /// Writes what the [`dirty`] bits `d` name.
    fn save(&mut self, s: &mut dyn Store, d: u8) {
        if d & dirty::COUNTS != 0 {
            save_map(s, keys::COUNTS, &mut self.counts);
        }
        if d & dirty::ASSIGNMENTS != 0 {
            save_map(s, keys::EXPERIMENTS, &mut self.assignments);
        }
        if d & dirty::FIRST_SEEN != 0 {
            let mut first = String::new();
            push_uint(&mut first, self.first_seen_ms as u64);
            s.set(keys::FIRST_SEEN, &first);
        }
        if d & dirty::SCORE != 0 {
            let mut points = String::new();
            push_uint(
                &mut points,
                crate::num::round(self.points.value * SCORE_UNITS) as u64,
            );
            points.push(',');
            push_uint(&mut points, self.points.as_of_ms as u64);
            s.set(keys::SCORE, &points);
        }
    }
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
    queue: Queue,
    held: Queue,
    attempt: u32,
    retry_at_ms: f64,
    last_page_url: Option<String>,
    /// The page the visitor is on, and the JSON every event of this page view shares.
    page: PageInfo,
    frame: Frame,
    /// What must be written at the next [`Tracker::persist`] ([`dirty`] bits).
    dirty: u8,
    /// Whether storage holds the current identity (a fresh visitor's is written with its
    /// first event, not before).
    identity_saved: bool,
    last_heartbeat_ms: f64,
    #[cfg(feature = "widgets")]
    audience: AudienceState,
    /// Content decisions made on this page view, and the slots already reported viewed.
    decisions: Vec<(String, Decision)>,
    viewed: Vec<String>,
    #[cfg(feature = "surveys")]
    surveys: surveys::SurveyState,
    /// Checklist progress while it may not be persisted (no consent yet), and the
    /// checklists shown on this page view.
    #[cfg(feature = "checklists")]
    checklists_memory: Map,
    #[cfg(feature = "checklists")]
    checklists_shown: Vec<String>,
    /// Keep the JSON of each event recorded, for the page's `on()` listeners ([`Tracker::echoed`]).
    pub echo: bool,
    echoed: Vec<String>,
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
            queue: Queue::default(),
            held: Queue::default(),
            attempt: 0,
            retry_at_ms: 0.0,
            last_page_url: None,
            page: PageInfo::default(),
            frame: Frame::default(),
            dirty: 0,
            identity_saved: false,
            last_heartbeat_ms: f64::NEG_INFINITY,
            #[cfg(feature = "widgets")]
            audience: AudienceState::default(),
            decisions: Vec::new(),
            viewed: Vec::new(),
            #[cfg(feature = "surveys")]
            surveys: surveys::SurveyState::default(),
            #[cfg(feature = "checklists")]
            checklists_memory: Map::new(),
            #[cfg(feature = "checklists")]
            checklists_shown: Vec::new(),
            echo: false,
            echoed: Vec::new(),
        };
        t.load(fresh_id);
        t.set_page(PageInfo::default());
        t
    }

    fn load(&mut self, fresh_id: String) {
        let s = &self.store;
        let stored_id = s.get(keys::ANON).filter(|a| !a.is_empty());
        self.identity_saved = stored_id.is_some();
        self.identity = Identity {
            anonymous_id: stored_id.unwrap_or(fresh_id),
            user_id: s.get(keys::USER).filter(|u| !u.is_empty()),
            traits: stored_map(&**s, keys::TRAITS),
        };
        self.session = s.get(keys::SESSION).and_then(|v| session::decode(&v));
        #[cfg(feature = "widgets")]
        {
            self.audience = AudienceState::load(&**s);
        }
        self.queue = self.load_queue(&self.tab, &self.store.keys());
    }

    /// The queue tab `tab` left in storage; `all` is every key in storage.
    fn load_queue(&self, tab: &str, all: &[String]) -> Queue {
        // A loop, not filter_map + collect, whose generic code cost the wasm ~0.1 KB gz.
        let mut chunks = Vec::new();
        for key in all {
            let Some((owner, name)) = queue_key_parts(key) else {
                continue;
            };
            if owner != tab {
                continue;
            }
            if let Some(text) = self.store.get(key) {
                chunks.push((batch::chunk_number(name), text));
            }
        }
        Queue::load(chunks)
    }

    /// The storage key of this tab's queue chunk `name`.
    fn chunk_key(&self, name: &str) -> String {
        let mut key = keys::for_tab(keys::QUEUE, &self.tab);
        key.push(':');
        key.push_str(name);
        key
    }

    /// Where the visitor is: read by the shell once per page view (and when it changes), so
    /// recording an event never reads the page. The query's pairs are read here (through the
    /// store: `URLSearchParams` in the wasm) unless the page carries them.
    pub fn set_page(&mut self, mut page: PageInfo) {
        if page.query.is_empty() {
            page.query = self.store.query_pairs(&page.search);
        }
        let to_json = |v: &Value| self.store.to_json(v);
        self.frame = Frame::new(context::context(&page), &self.identity.traits, &to_json);
        self.page = page;
    }

    /// The page the visitor is on.
    pub fn page(&self) -> &PageInfo {
        &self.page
    }

    /// What tracking may do now.
    pub fn permission(&self) -> Permission {
        consent::permission(&self.config.privacy, self.consent, self.privacy_signal)
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Records a call at `now_ms` on the current page. Memory only: constant work whatever
    /// the queue holds; [`Tracker::persist`] writes it.
    pub fn record(
        &mut self,
        call: Call,
        message_id: &str,
        now_ms: f64,
    ) -> Result<Recorded, EventError> {
        let permission = self.permission();
        if permission == Permission::Off {
            return Ok(Recorded::Discarded);
        }
        let timeout = f64::from(self.config.tracking.session_timeout_minutes) * 60_000.0;
        let session = session::touch(self.session, now_ms, timeout);
        let to_json = |v: &Value| self.store.to_json(v);
        let built = event::build(
            &call,
            &self.identity,
            &self.frame,
            session.id,
            message_id,
            &self.store.iso8601(now_ms),
            &to_json,
        )?;
        if let Call::Identify { user_id, traits } = &call {
            if user_id.is_some() {
                self.identity.user_id.clone_from(user_id);
            }
            self.identity.traits.merge(traits);
            self.frame.traits = event::traits_text(&self.identity.traits, &to_json);
            self.identity_saved = false;
        }
        self.dirty |= dirty::SESSION;
        if !self.identity_saved {
            self.dirty |= dirty::IDENTITY;
        }
        self.session = Some(session);
        #[cfg(feature = "widgets")]
        {
            self.dirty |= self
                .audience
                .record(call.score_name(), now_ms, &self.config.score);
        }
        if self.echo {
            self.echoed.push(built.json.clone());
        }
        let item = Queued::new(built.id, now_ms, built.json);
        if permission == Permission::Hold {
            self.held.push(item, &self.limits);
            return Ok(Recorded::Held);
        }
        self.queue.push(item, &self.limits);
        Ok(Recorded::Queued)
    }

    /// The JSON of the events recorded since the last call, while [`Tracker::echo`] is on.
    pub fn echoed(&mut self) -> Vec<String> {
        core::mem::take(&mut self.echoed)
    }

    /// Records a `track` call whose properties the core made (widget events).
    pub fn record_track(
        &mut self,
        event: &str,
        properties: &Map,
        message_id: &str,
        now_ms: f64,
    ) -> Result<Recorded, EventError> {
        let call = Call::track(event, properties, &|v: &Value| self.store.to_json(v));
        self.record(call, message_id, now_ms)
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
                let held = core::mem::take(&mut self.held);
                self.queue.adopt(held, &self.limits);
                #[cfg(feature = "checklists")]
                self.checklists_consented();
                self.dirty = dirty::ALL;
                self.identity_saved = false;
                self.persist(now_ms);
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
    pub fn reset(&mut self, fresh_id: String) {
        self.identity = Identity {
            anonymous_id: fresh_id,
            ..Identity::default()
        };
        self.frame.traits.clear();
        self.session = None;
        #[cfg(feature = "widgets")]
        {
            // When the visitor was first seen is this browser's, not the identity's.
            self.audience = AudienceState {
                first_seen_ms: self.audience.first_seen_ms,
                ..AudienceState::default()
            };
        }
        self.identity_saved = false;
        self.dirty = dirty::ALL;
    }

    /// Erases this visitor's local state, queued events included; the next call starts a new
    /// visitor with `fresh_id`. The consent choice is erased too.
    pub fn forget(&mut self, fresh_id: String) {
        self.erase_storage();
        self.store.remove(keys::CONSENT);
        self.consent = Consent::Unknown;
        self.queue = Queue::default();
        self.held = Queue::default();
        self.reset(fresh_id);
        #[cfg(feature = "widgets")]
        {
            self.audience.first_seen_ms = 0.0;
        }
        // Nothing is written until the new visitor's first event.
        self.dirty = 0;
    }

    fn erase_storage(&mut self) {
        for key in self.store.keys() {
            if key.starts_with(keys::PREFIX) && key != keys::CONSENT {
                self.store.remove(&key);
            }
        }
    }

    /// Whether [`Tracker::persist`] has anything to write.
    pub fn needs_persist(&self) -> bool {
        self.permission() == Permission::Track && (self.dirty != 0 || !self.queue.is_saved())
    }

    /// Writes what changed since the last call, if tracking may persist: new events as a new
    /// chunk, chunks that lost events, and the visitor's keys that changed. Storage failures
    /// are not errors: events stay in memory and go out with the next batch.
    pub fn persist(&mut self, now_ms: f64) {
        if self.permission() != Permission::Track {
            return;
        }
        let d = core::mem::take(&mut self.dirty);
        let s = &mut self.store;
        if d & dirty::IDENTITY != 0 {
            s.set(keys::ANON, &self.identity.anonymous_id);
            match &self.identity.user_id {
                Some(u) => s.set(keys::USER, u),
                None => remove(s, keys::USER),
            };
            match self.frame.traits.as_str() {
                "" => remove(s, keys::TRAITS),
                traits => s.set(keys::TRAITS, traits),
            };
            self.identity_saved = true;
        }
        if d & dirty::SESSION != 0 {
            match &self.session {
                Some(sess) => s.set(keys::SESSION, &session::encode(sess)),
                None => remove(s, keys::SESSION),
            };
        }
        #[cfg(feature = "widgets")]
        self.audience.save(&mut **s, d);
        if !self.queue.is_saved() {
            for (name, text) in self.queue.writes() {
                let key = self.chunk_key(&name);
                match text {
                    Some(t) => self.store.set(&key, &t),
                    None => remove(&mut self.store, &key),
                };
            }
        }
        if now_ms - self.last_heartbeat_ms >= HEARTBEAT_MS {
            self.heartbeat(now_ms);
        }
    }

    /// Marks this tab alive, so other tabs leave its queue alone. Nothing is written while
    /// tracking may not persist.
    pub fn heartbeat(&mut self, now_ms: f64) {
        if self.permission() == Permission::Track {
            let key = keys::for_tab(keys::ALIVE, &self.tab);
            let mut at = String::new();
            push_uint(&mut at, now_ms as u64);
            self.store.set(&key, &at);
            self.last_heartbeat_ms = now_ms;
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
        self.queue = self.load_queue(&self.tab, &self.store.keys());
        self.heartbeat(now_ms);
    }

    /// Takes over the queues of tabs that are gone (closed, crashed) and returns how many
    /// events that brought in. The shell runs this under a cross-tab lock where it has one.
    pub fn adopt_orphans(&mut self, now_ms: f64) -> usize {
        if self.permission() != Permission::Track {
            return 0;
        }
        let all = self.store.keys();
        let mut tabs: Vec<&str> = Vec::new();
        for key in &all {
            if let Some((tab, _)) = queue_key_parts(key) {
                if tab != self.tab && !tabs.contains(&tab) {
                    tabs.push(tab);
                }
            }
        }
        let mut adopted = 0;
        for tab in tabs {
            let alive_key = keys::for_tab(keys::ALIVE, tab);
            if self.is_alive(&alive_key, now_ms) {
                continue;
            }
            let theirs = self.load_queue(tab, &all);
            adopted += theirs.len();
            self.queue.adopt(theirs, &self.limits);
            for key in &all {
                if queue_key_parts(key).is_some_and(|(owner, _)| owner == tab) {
                    self.store.remove(key);
                }
            }
            self.store.remove(&alive_key);
        }
        // Heartbeats of tabs that left no queue are litter.
        for key in &all {
            if let Some(tab) = key.strip_prefix(keys::ALIVE) {
                let has_queue = all
                    .iter()
                    .any(|k| queue_key_parts(k).is_some_and(|(owner, _)| owner == tab));
                if tab != self.tab && !has_queue && !self.is_alive(key, now_ms) {
                    self.store.remove(key);
                }
            }
        }
        if adopted > 0 {
            // Their keys are gone: write the events under ours before anything else happens.
            self.persist(now_ms);
        }
        adopted
    }

    /// Whether the tab whose heartbeat is under `alive_key` is still there.
    fn is_alive(&self, alive_key: &str, now_ms: f64) -> bool {
        self.store
            .get(alive_key)
            .and_then(|at| crate::num::parse_u64(&at))
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
            &self.store.iso8601(now_ms),
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
            &self.store.iso8601(now_ms),
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
            .settle(request.batch, outcome, request.reported_dropped);
        match outcome {
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
            Outcome::Reject => {
                let mut w = String::from("the collector refused ");
                push_uint(&mut w, request.ids.len() as u64);
                w.push_str(" event(s) with status ");
                push_uint(&mut w, u64::from(status.unwrap_or(0)));
                w.push_str("; they were dropped");
                Some(w)
            }
        }
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

    /// Whether the queue is past half of a bound: a burst that will soon drop events unless a
    /// batch leaves now rather than from the next timer task.
    pub fn under_pressure(&self) -> bool {
        self.queue.len() * 2 > self.limits.max_events
            || self.queue.bytes() * 2 > self.limits.max_bytes
    }

    /// Network is back (`online`): retry at once instead of waiting out the backoff.
    pub fn network_back(&mut self) {
        self.retry_at_ms = 0.0;
        self.attempt = 0;
    }

    /// The engagement score, 0-100, at `now_ms`.
    #[cfg(feature = "widgets")]
    pub fn score(&self, now_ms: f64) -> f64 {
        self.audience.points.score(now_ms, &self.config.score)
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

/// `(tab, chunk name)` of a queue key; the name is empty for the one-key layout of earlier
/// versions.
fn queue_key_parts(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(keys::QUEUE)?;
    Some(crate::text::split_once(rest, b':').unwrap_or((rest, "")))
}

/// The JSON object stored under `key`, empty when there is none. Out of line and taking
/// the parsed object rather than a clone of it: one copy of this code serves every map.
fn stored_map(store: &dyn Store, key: &str) -> Map {
    match store.get(key).and_then(|t| store.parse_json(&t)) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// Writes `map` as JSON under `key`. The map is lent to a [`Value`] and taken back, not
/// cloned: a whole-map clone costs the wasm its clone code and the copy.
#[cfg(feature = "widgets")]
fn save_map(store: &mut dyn Store, key: &str, map: &mut Map) {
    let v = Value::Object(core::mem::take(map));
    let text = store.to_json(&v);
    store.set(key, &text);
    if let Value::Object(m) = v {
        *map = m;
    }
}

fn remove(store: &mut Box<dyn Store>, key: &str) -> bool {
    store.remove(key);
    true
}

#[cfg(feature = "widgets")]
mod audience;
#[cfg(not(target_arch = "wasm32"))]
mod memory;
#[cfg(not(target_arch = "wasm32"))]
pub use memory::MemoryStore;
#[cfg(feature = "surveys")]
mod surveys;
#[cfg(feature = "surveys")]
pub use surveys::Step;
#[cfg(feature = "checklists")]
mod checklists;
#[cfg(feature = "checklists")]
pub use checklists::NotDone;
#[cfg(test)]
mod tests;
