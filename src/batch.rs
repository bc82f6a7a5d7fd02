//! The delivery queue and its policy: when a batch is due, what goes in it, what to drop.
//!
//! Events wait here, in order, from the moment they are tracked until the collector has
//! acknowledged them. The queue also knows how it is laid out in storage, so that persisting
//! costs the same whatever its length: events are written once, in chunks of the events
//! recorded since the last write (an append, never a rewrite of the whole queue), and a chunk
//! is rewritten or removed only when events leave it (acknowledged, refused or dropped).
//! Bounds are enforced by dropping the oldest events and counting them; the count travels in
//! the next batch. This module never sends, sleeps or stores anything itself.

use crate::prelude::*;

use crate::json::{push_uint, write_str};

/// An event over this many bytes of JSON is refused (Segment's limit).
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
/// A batch request body stays under this many bytes (Segment's limit).
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// A request sent while the page unloads stays under this: the keepalive and beacon quota
/// is 64 KiB in flight per page, less room for headers.
pub const MAX_UNLOAD_BYTES: usize = 60_000;
/// A storage chunk holds at most this many events, so rewriting one (when some of its
/// events leave) costs a bounded amount whatever the queue's length.
pub const CHUNK_EVENTS: usize = 32;
/// ... and at most about this many bytes of JSON.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// One queued event.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    /// Its `messageId`.
    pub id: String,
    /// When it was tracked, Unix ms.
    pub at_ms: f64,
    /// Its JSON text.
    pub json: String,
    /// The storage chunk it is written in; 0 until written.
    chunk: u32,
    /// The request carrying it; 0 while it waits.
    batch: u32,
}

impl Queued {
    /// A new event, not yet written or sent.
    pub fn new(id: String, at_ms: f64, json: String) -> Queued {
        Queued {
            id,
            at_ms,
            json,
            chunk: 0,
            batch: 0,
        }
    }
}

/// Limits on the queue, from `tracking` in the config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Events at which a batch is due at once.
    pub flush_at: usize,
    /// Age of the oldest event at which a batch is due.
    pub flush_interval_ms: f64,
    /// Most events kept.
    pub max_events: usize,
    /// Most bytes of JSON kept.
    pub max_bytes: usize,
}

impl From<&crate::config::Tracking> for Limits {
    fn from(t: &crate::config::Tracking) -> Self {
        Limits {
            flush_at: t.flush_at as usize,
            flush_interval_ms: f64::from(t.flush_interval_ms),
            max_events: t.max_queue_events as usize,
            max_bytes: t.max_queue_bytes as usize,
        }
    }
}

/// A change to make in storage, under the tab's queue prefix: `name` is a chunk's number or
/// [`DROPPED`]; `None` removes it.
pub type Write = (String, Option<String>);

/// Name of the stored line that carries the dropped count (`!N`).
pub const DROPPED: &str = "dropped";

/// Events waiting for acknowledgement, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Queue {
    /// The events, oldest first, after `gone` slots of events dropped by the bounds: a slot
    /// is emptied when its event is dropped and removed at the next sweep, once the dropped
    /// slots are half of them (or when events are acknowledged), so dropping the oldest
    /// costs constant time amortised, as a `VecDeque` would, without its code (~1 KB gz).
    items: Vec<Queued>,
    gone: usize,
    bytes: usize,
    in_flight: usize,
    /// Events dropped by the bounds and not yet reported to the collector.
    pub dropped: u64,
    /// Part of `dropped` carried by a request now in flight, so no second request repeats it.
    dropped_in_flight: u64,
    last_batch: u32,
    last_chunk: u32,
    /// Events not yet written to storage.
    unsaved: usize,
    /// Chunks that lost events since the last write.
    stale: Vec<u32>,
    dropped_changed: bool,
}

impl PartialEq for Queue {
    /// Same events and the same dropped count (storage bookkeeping aside).
    fn eq(&self, other: &Queue) -> bool {
        self.dropped == other.dropped
            && self.len() == other.len()
            && self
                .live()
                .iter()
                .zip(other.live())
                .all(|(a, b)| a.id == b.id && a.at_ms == b.at_ms && a.json == b.json)
    }
}

impl Queue {
    /// Number of events waiting (in flight included).
    pub fn len(&self) -> usize {
        self.live().len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.live().is_empty()
    }

    /// The events waiting, oldest first.
    fn live(&self) -> &[Queued] {
        self.items.get(self.gone..).unwrap_or_default()
    }

    /// Keeps the waiting events for which `keep` holds, in order, and removes the slots of
    /// dropped ones. One pass over the queue.
    fn retain(&mut self, keep: &mut dyn FnMut(&Queued) -> bool) {
        let mut gone = self.gone;
        self.items.retain(|q| {
            if gone > 0 {
                gone -= 1;
                return false;
            }
            keep(q)
        });
        self.gone = 0;
    }

    /// Number of events in requests now in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Bytes of JSON waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// `messageId`s in order (for tests and `debug`).
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.live().iter().map(|q| q.id.as_str())
    }

    /// Appends an event, then enforces the bounds; returns how many old events were dropped.
    /// Constant time: ids are fresh, so no search for a duplicate (adoption checks those).
    pub fn push(&mut self, item: Queued, limits: &Limits) -> usize {
        self.bytes += item.json.len();
        if item.chunk == 0 {
            self.unsaved += 1;
        }
        self.items.push(item);
        self.enforce(limits)
    }

    /// Takes over events of another queue (a closed tab's), skipping ones already here. They
    /// are written anew under this queue's chunks.
    pub fn adopt(&mut self, mut other: Queue, limits: &Limits) -> usize {
        self.add_dropped(other.dropped);
        other.retain(&mut |_| true);
        self.retain(&mut |_| true);
        // Theirs first: a closed tab's events are older than ours in the common case, and
        // exact order across tabs does not matter (every event carries its timestamp).
        let mine = core::mem::take(&mut self.items);
        for q in other.items {
            if !mine.iter().any(|m| m.id == q.id) {
                self.unsaved += 1;
                self.bytes += q.json.len();
                self.items.push(Queued::new(q.id, q.at_ms, q.json));
            }
        }
        self.items.extend(mine);
        self.enforce(limits)
    }

    fn add_dropped(&mut self, n: u64) {
        if n > 0 {
            self.dropped = self.dropped.saturating_add(n);
            self.dropped_changed = true;
        }
    }

    /// Drops the oldest events until both bounds hold; returns how many went.
    fn enforce(&mut self, limits: &Limits) -> usize {
        let mut dropped = 0;
        while self.len() > limits.max_events.max(1)
            || (self.bytes > limits.max_bytes && !self.is_empty())
        {
            let Some(slot) = self.items.get_mut(self.gone) else {
                break;
            };
            // Empty, so its text is freed now and no batch or chunk counts it.
            let old = core::mem::replace(slot, Queued::new(String::new(), 0.0, String::new()));
            self.gone += 1;
            self.forget_item(old.json.len(), old.chunk, old.batch);
            dropped += 1;
        }
        if self.gone * 2 > self.items.len() {
            self.retain(&mut |_| true);
        }
        self.add_dropped(dropped as u64);
        dropped
    }

    /// Bookkeeping for an event leaving the queue.
    fn forget_item(&mut self, bytes: usize, chunk: u32, batch: u32) {
        self.bytes = self.bytes.saturating_sub(bytes);
        if batch != 0 {
            self.in_flight = self.in_flight.saturating_sub(1);
        }
        if chunk == 0 {
            self.unsaved = self.unsaved.saturating_sub(1);
        } else if !self.stale.contains(&chunk) {
            self.stale.push(chunk);
        }
    }

    /// Whether a batch should be sent now: enough events, or the oldest has waited long enough.
    /// Nothing is due while a request is in flight; its outcome decides what comes next.
    pub fn is_due(&self, now_ms: f64, limits: &Limits) -> bool {
        if self.in_flight > 0 {
            return false;
        }
        match self.live().first() {
            None => false,
            Some(oldest) => {
                self.len() >= limits.flush_at || now_ms - oldest.at_ms >= limits.flush_interval_ms
            }
        }
    }

    /// When the next batch falls due by age, if anything waits.
    pub fn due_at(&self, limits: &Limits) -> Option<f64> {
        self.live()
            .first()
            .map(|q| q.at_ms + limits.flush_interval_ms)
    }

    /// Marks the oldest events that fit in `max_bytes` as in flight and returns their request.
    /// None when nothing waits or a request is already in flight.
    pub fn start_batch(
        &mut self,
        write_key: &str,
        sent_at: &str,
        max_bytes: usize,
    ) -> Option<Request> {
        if self.in_flight > 0 {
            return None;
        }
        // At most one request comes back: `pop`, not `into_iter().next()`, whose iterator
        // and its drop cost the wasm more.
        self.start(write_key, sent_at, max_bytes, 1).pop()
    }

    /// Every waiting event not already in flight, as requests of at most `max_bytes` each, for
    /// the page's last moments. The events stay queued until acknowledged, so if the page dies
    /// before the answers come, the next page load sends them again (the collector drops
    /// duplicates by `messageId`).
    pub fn start_unload(
        &mut self,
        write_key: &str,
        sent_at: &str,
        max_bytes: usize,
    ) -> Vec<Request> {
        self.start(write_key, sent_at, max_bytes, usize::MAX)
    }

    /// Marks up to `max_requests` requests' worth of waiting events as in flight.
    fn start(
        &mut self,
        write_key: &str,
        sent_at: &str,
        max_bytes: usize,
        max_requests: usize,
    ) -> Vec<Request> {
        let report = self.dropped.saturating_sub(self.dropped_in_flight);
        let body = Body::new(write_key, sent_at, report);
        let mut out: Vec<Request> = Vec::new();
        let mut current: Option<Request> = None;
        let mut last = self.last_batch;
        let mut started = 0;
        let live = self.items.get_mut(self.gone..).unwrap_or_default();
        for q in live.iter_mut().filter(|q| q.batch == 0) {
            let first = out.is_empty();
            let full = current.as_ref().is_some_and(|r| {
                r.body.len() + 1 + q.json.len() + body.tail(first).len() > max_bytes
            });
            if full {
                if let Some(r) = current.take() {
                    out.push(body.close(r, first));
                }
                if out.len() >= max_requests {
                    break;
                }
            }
            let r = current.get_or_insert_with(|| {
                last = last.wrapping_add(1).max(1);
                Request {
                    ids: Vec::new(),
                    body: String::from(HEAD),
                    reported_dropped: 0,
                    batch: last,
                }
            });
            if !r.ids.is_empty() {
                r.body.push(',');
            }
            r.body.push_str(&q.json);
            r.ids.push(q.id.clone());
            q.batch = r.batch;
            started += 1;
        }
        if let Some(r) = current.take() {
            let first = out.is_empty();
            out.push(body.close(r, first));
        }
        self.last_batch = last;
        self.in_flight += started;
        if let Some(first) = out.first_mut() {
            first.reported_dropped = report;
            self.dropped_in_flight = self.dropped_in_flight.saturating_add(report);
        }
        out
    }

    /// Applies the outcome of request `batch`: removes its events when delivered or refused;
    /// keeps them for a retry otherwise. Returns whether they left the queue.
    pub fn settle(&mut self, batch: u32, outcome: Outcome, reported_dropped: u64) -> bool {
        self.dropped_in_flight = self.dropped_in_flight.saturating_sub(reported_dropped);
        if outcome == Outcome::Retry {
            let live = self.items.get_mut(self.gone..).unwrap_or_default();
            for q in live.iter_mut().filter(|q| q.batch == batch) {
                q.batch = 0;
                self.in_flight = self.in_flight.saturating_sub(1);
            }
            return false;
        }
        let mut left = Vec::new();
        self.retain(&mut |q| {
            let keep = q.batch != batch;
            if !keep {
                left.push((q.json.len(), q.chunk));
            }
            keep
        });
        for (len, chunk) in left {
            self.forget_item(len, chunk, batch);
        }
        if outcome == Outcome::Delivered && reported_dropped > 0 {
            self.dropped = self.dropped.saturating_sub(reported_dropped);
            self.dropped_changed = true;
        }
        true
    }

    /// Whether storage already holds everything [`Queue::writes`] would write.
    pub fn is_saved(&self) -> bool {
        self.unsaved == 0 && self.stale.is_empty() && !self.dropped_changed
    }

    /// What to write to storage to bring it up to date, and marks it written: new events as
    /// new chunks, chunks that lost events rewritten or removed, the dropped count. The work
    /// is proportional to what changed, never to the queue's length in bytes.
    pub fn writes(&mut self) -> Vec<Write> {
        let mut out: Vec<Write> = Vec::new();
        let mut rewritten: Vec<String> = Vec::with_capacity(self.stale.len());
        for _ in &self.stale {
            rewritten.push(String::new());
        }
        let mut fresh = String::new();
        let mut fresh_count = 0;
        let mut chunk = 0;
        // New events are at the back: without chunks to rewrite, only that tail is visited.
        let mut start = 0;
        if self.stale.is_empty() {
            let mut seen = 0;
            start = self.len();
            for q in self.live().iter().rev() {
                if seen == self.unsaved {
                    break;
                }
                seen += usize::from(q.chunk == 0);
                start -= 1;
            }
        }
        let live = self.items.get_mut(self.gone..).unwrap_or_default();
        for q in live.iter_mut().skip(start) {
            if q.chunk == 0 {
                if chunk == 0 || fresh_count >= CHUNK_EVENTS || fresh.len() >= CHUNK_BYTES {
                    if chunk != 0 {
                        out.push((number(chunk), Some(core::mem::take(&mut fresh))));
                    }
                    self.last_chunk = self.last_chunk.wrapping_add(1).max(1);
                    chunk = self.last_chunk;
                    fresh_count = 0;
                }
                q.chunk = chunk;
                encode_line(&mut fresh, q);
                fresh_count += 1;
            } else if let Some(i) = self.stale.iter().position(|c| *c == q.chunk) {
                if let Some(text) = rewritten.get_mut(i) {
                    encode_line(text, q);
                }
            }
        }
        if chunk != 0 {
            out.push((number(chunk), Some(fresh)));
        }
        // A loop over one list, not `zip` of two, whose adapter costs the wasm more.
        let stale = core::mem::take(&mut self.stale);
        let mut chunks = stale.iter();
        for text in rewritten {
            if let Some(&c) = chunks.next() {
                out.push((number(c), (!text.is_empty()).then_some(text)));
            }
        }
        if self.dropped_changed {
            let text = (self.dropped > 0).then(|| {
                let mut t = String::from("!");
                push_uint(&mut t, self.dropped);
                t
            });
            out.push((DROPPED.into(), text));
        }
        self.unsaved = 0;
        self.dropped_changed = false;
        out
    }

    /// Reads a queue back from its stored chunks (number as [`chunk_number`] reads it,
    /// text), in chunk order; a text in the one-key format of earlier versions is chunk 0.
    /// Damaged lines are skipped, and a dropped count is parsed checked (stored text is
    /// untrusted).
    pub fn load(mut ordered: Vec<(u32, String)>) -> Queue {
        let mut q = Queue::default();
        // In chunk order (storage lists keys in any order); an insertion sort in place, not
        // `sort`, whose generic code would cost the wasm kilobytes for a list this short.
        // Swaps rather than `Vec::insert`, which brings its own panic path.
        for end in 2..=ordered.len() {
            let mut at = end;
            while let Some([a, b]) = ordered.get_mut(at.saturating_sub(2)..at) {
                if a.0 <= b.0 {
                    break;
                }
                core::mem::swap(a, b);
                at -= 1;
            }
        }
        for (chunk, text) in ordered {
            q.last_chunk = q.last_chunk.max(chunk);
            for line in crate::text::split(&text, b'\n') {
                if let Some(n) = line.strip_prefix('!') {
                    q.dropped = q
                        .dropped
                        .saturating_add(crate::num::parse_u64(n).unwrap_or(0));
                    continue;
                }
                if let Some(mut item) = decode_line(line) {
                    item.chunk = chunk;
                    if chunk == 0 {
                        q.unsaved += 1;
                    }
                    q.bytes += item.json.len();
                    q.items.push(item);
                }
            }
        }
        q
    }
}

/// The number of the stored chunk named `name`; 0 for the one-key layout of earlier
/// versions (and for a damaged name).
pub fn chunk_number(name: &str) -> u32 {
    crate::num::parse_u64(name)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

fn number(n: u32) -> String {
    let mut s = String::new();
    push_uint(&mut s, u64::from(n));
    s
}

/// One stored event: `id\tat\tjson\n`. Our JSON never holds a raw newline or tab, so no
/// parser is needed to read it back.
fn encode_line(out: &mut String, q: &Queued) {
    out.push_str(&q.id);
    out.push('\t');
    push_uint(out, q.at_ms as u64);
    out.push('\t');
    out.push_str(&q.json);
    out.push('\n');
}

fn decode_line(line: &str) -> Option<Queued> {
    let (id, rest) = crate::text::split_once(line, b'\t')?;
    let (at, json) = crate::text::split_once(rest, b'\t')?;
    let at_ms = crate::num::parse_u64(at)? as f64;
    if id.is_empty() || !json.starts_with('{') || !json.ends_with('}') {
        return None;
    }
    Some(Queued::new(id.to_owned(), at_ms, json.to_owned()))
}

const HEAD: &str = "{\"batch\":[";

/// The closing parts of request bodies: `],"sentAt":…,"writeKey":…}`, and for the first
/// request of a round, the dropped count too (so it is reported once).
struct Body {
    tail: String,
    first_tail: String,
}

impl Body {
    fn new(write_key: &str, sent_at: &str, dropped: u64) -> Body {
        let mut tail = String::from("],\"sentAt\":");
        write_str(&mut tail, sent_at);
        tail.push_str(",\"writeKey\":");
        write_str(&mut tail, write_key);
        let mut first_tail = tail.clone();
        if dropped > 0 {
            first_tail.push_str(",\"dropped\":");
            push_uint(&mut first_tail, dropped);
        }
        tail.push('}');
        first_tail.push('}');
        Body { tail, first_tail }
    }

    fn tail(&self, first: bool) -> &str {
        if first {
            &self.first_tail
        } else {
            &self.tail
        }
    }

    fn close(&self, mut r: Request, first: bool) -> Request {
        r.body.push_str(self.tail(first));
        r
    }
}

/// A request to send: the events it carries and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `messageId`s of the events in the body, in order.
    pub ids: Vec<String>,
    /// The JSON body.
    pub body: String,
    /// The dropped count this body reports (0 for most).
    pub reported_dropped: u64,
    /// Its number, by which its answer is applied.
    pub batch: u32,
}

/// What a response means for the events it carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored: remove them.
    Delivered,
    /// Try again later: network error, 5xx, 408, 429.
    Retry,
    /// The collector refused them for good (other 4xx): remove them, warn once.
    Reject,
}

/// Classifies an HTTP status; `None` is a network error (offline, blocked, CORS).
pub fn outcome(status: Option<u16>) -> Outcome {
    match status {
        Some(200..=299) => Outcome::Delivered,
        Some(408 | 429) => Outcome::Retry,
        Some(400..=499) => Outcome::Reject,
        _ => Outcome::Retry,
    }
}

/// First retry waits about this long; each retry doubles it.
pub const BACKOFF_BASE_MS: f64 = 1_000.0;
/// Retries never wait longer than this (unless the server's `Retry-After` says so).
pub const BACKOFF_MAX_MS: f64 = 5.0 * 60_000.0;
/// A `Retry-After` longer than this is capped, so a bad header cannot stall delivery for days.
pub const RETRY_AFTER_MAX_MS: f64 = 60.0 * 60_000.0;

/// Delay before retry number `attempt` (0-based): exponential, capped, with "equal jitter"
/// (half fixed, half random, `jitter` in [0, 1)) so tabs and visitors don't retry in step;
/// never shorter than the server's `Retry-After`.
pub fn backoff_ms(attempt: u32, jitter: f64, retry_after_ms: Option<f64>) -> f64 {
    let exp = BACKOFF_BASE_MS * crate::num::pow2(attempt.min(30));
    let capped = exp.min(BACKOFF_MAX_MS);
    let j = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let delay = capped / 2.0 + capped / 2.0 * j;
    match retry_after_ms {
        Some(ra) if ra.is_finite() && ra > delay => ra.min(RETRY_AFTER_MAX_MS),
        _ => delay,
    }
}

/// Milliseconds a `Retry-After` header asks for: delta-seconds, or an HTTP date that the
/// caller's `parse_date` (the browser's `Date.parse`) turns into Unix ms.
pub fn retry_after_ms(
    header: &str,
    now_ms: f64,
    parse_date: impl Fn(&str) -> Option<f64>,
) -> Option<f64> {
    let h = header.trim_ascii();
    if let Some(secs) = crate::num::parse_u64(h) {
        return Some(secs as f64 * 1000.0);
    }
    parse_date(h).map(|at| (at - now_ms).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        flush_at: 3,
        flush_interval_ms: 5_000.0,
        max_events: 5,
        max_bytes: 10_000,
    };

    fn ev(id: &str, at: f64) -> Queued {
        Queued::new(id.into(), at, format!("{{\"messageId\":\"{id}\"}}"))
    }

    /// Applies `writes` to a map standing in for storage.
    fn apply(store: &mut std::collections::BTreeMap<String, String>, writes: Vec<Write>) {
        for (name, text) in writes {
            match text {
                Some(t) => store.insert(name, t),
                None => store.remove(&name),
            };
        }
    }

    fn load(chunks: Vec<(String, String)>) -> Queue {
        Queue::load(
            chunks
                .into_iter()
                .map(|(name, text)| (chunk_number(&name), text))
                .collect(),
        )
    }

    fn reload(store: &std::collections::BTreeMap<String, String>) -> Queue {
        load(store.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    fn ids(q: &Queue) -> Vec<String> {
        q.ids().map(str::to_owned).collect()
    }

    #[test]
    fn flushes_when_batch_reaches_flush_at() {
        let mut q = Queue::default();
        q.push(ev("a", 0.0), &LIMITS);
        q.push(ev("b", 0.0), &LIMITS);
        assert!(!q.is_due(1.0, &LIMITS));
        q.push(ev("c", 0.0), &LIMITS);
        assert!(q.is_due(1.0, &LIMITS));
    }

    #[test]
    fn flushes_when_the_oldest_event_has_waited_the_interval() {
        let mut q = Queue::default();
        q.push(ev("a", 1_000.0), &LIMITS);
        assert!(!q.is_due(5_999.0, &LIMITS));
        assert!(q.is_due(6_000.0, &LIMITS));
        assert_eq!(q.due_at(&LIMITS), Some(6_000.0));
    }

    #[test]
    fn nothing_is_due_while_a_request_is_in_flight() {
        let mut q = Queue::default();
        for id in ["a", "b", "c"] {
            q.push(ev(id, 0.0), &LIMITS);
        }
        assert!(q.start_batch("k", "t", MAX_BATCH_BYTES).is_some());
        assert!(!q.is_due(1e9, &LIMITS));
        assert!(q.start_batch("k", "t", MAX_BATCH_BYTES).is_none());
    }

    #[test]
    fn overflow_drops_the_oldest_and_counts_them() {
        let mut q = Queue::default();
        for i in 0..7 {
            q.push(ev(&i.to_string(), f64::from(i)), &LIMITS);
        }
        assert_eq!(ids(&q), ["2", "3", "4", "5", "6"]);
        assert_eq!(q.dropped, 2);
    }

    #[test]
    fn a_long_run_at_the_bound_keeps_order_counts_and_storage_and_sweeps_dropped_slots() {
        let mut q = Queue::default();
        let mut store = std::collections::BTreeMap::new();
        let mut model: std::collections::VecDeque<String> = Default::default();
        let mut dropped = 0;
        let mut pending: Option<Request> = None;
        for i in 0..300 {
            let id = i.to_string();
            model.push_back(id.clone());
            while model.len() > LIMITS.max_events {
                model.pop_front();
                dropped += 1;
            }
            q.push(ev(&id, f64::from(i)), &LIMITS);
            if i % 7 == 0 {
                if let Some(r) = pending.take() {
                    let outcome = if i % 3 == 0 {
                        Outcome::Retry
                    } else {
                        Outcome::Delivered
                    };
                    q.settle(r.batch, outcome, r.reported_dropped);
                    if outcome == Outcome::Delivered {
                        model.retain(|m| !r.ids.contains(m));
                        dropped -= r.reported_dropped;
                    }
                } else {
                    pending = q.start_batch("k", "t", MAX_BATCH_BYTES);
                }
            }
            if i % 5 == 0 {
                apply(&mut store, q.writes());
                assert_eq!(reload(&store), q);
            }
            assert_eq!(ids(&q), Vec::from(model.clone()));
            assert_eq!(q.dropped, dropped);
            let in_flight = pending
                .as_ref()
                .map_or(0, |r| r.ids.iter().filter(|id| model.contains(*id)).count());
            assert_eq!(q.in_flight(), in_flight);
            assert!(
                q.items.len() <= 2 * LIMITS.max_events + 1,
                "{}",
                q.items.len()
            );
        }
    }

    #[test]
    fn stored_chunks_load_in_number_order_whatever_order_storage_lists_them() {
        let chunk = |n: &str, id: &str| (n.to_owned(), format!("{id}\t1\t{{}}\n"));
        let q = load(vec![
            chunk("10", "d"),
            chunk("2", "b"),
            chunk("", "a"),
            chunk("3", "c"),
            chunk("2", "b2"),
            chunk("11", "e"),
        ]);
        assert_eq!(ids(&q), ["a", "b", "b2", "c", "d", "e"]);
    }

    #[test]
    fn byte_bound_drops_the_oldest_too() {
        let limits = Limits {
            max_bytes: 39,
            ..LIMITS
        };
        let mut q = Queue::default();
        q.push(ev("aaaa", 0.0), &limits); // 20 bytes each
        q.push(ev("bbbb", 1.0), &limits);
        assert_eq!(ids(&q), ["bbbb"]);
        assert_eq!(q.dropped, 1);
        assert!(q.bytes() <= 39);
    }

    #[test]
    fn dropped_count_travels_in_the_batch_and_resets_once_delivered() {
        let limits = Limits {
            max_events: 1,
            ..LIMITS
        };
        let mut q = Queue::default();
        q.push(ev("a", 0.0), &limits);
        q.push(ev("b", 0.0), &limits);
        let req = q.start_batch("key", "now", MAX_BATCH_BYTES).unwrap();
        assert_eq!(req.reported_dropped, 1);
        let v: serde_json::Value = serde_json::from_str(&req.body).unwrap();
        assert_eq!(v["dropped"], 1);
        assert_eq!(v["writeKey"], "key");
        assert_eq!(v["batch"][0]["messageId"], "b");
        assert!(q.settle(req.batch, Outcome::Delivered, 1));
        assert_eq!(q.dropped, 0);
        assert!(q.is_empty());
    }

    #[test]
    fn a_retry_keeps_the_events_and_their_order() {
        let mut q = Queue::default();
        for id in ["a", "b"] {
            q.push(ev(id, 0.0), &LIMITS);
        }
        let req = q.start_batch("k", "t", MAX_BATCH_BYTES).unwrap();
        assert!(!q.settle(req.batch, Outcome::Retry, 0));
        assert_eq!(ids(&q), ["a", "b"]);
        assert_eq!(q.in_flight(), 0);
    }

    #[test]
    fn events_tracked_during_a_request_stay_queued_after_it_succeeds() {
        let mut q = Queue::default();
        q.push(ev("a", 0.0), &LIMITS);
        let req = q.start_batch("k", "t", MAX_BATCH_BYTES).unwrap();
        q.push(ev("b", 1.0), &LIMITS);
        q.settle(req.batch, Outcome::Delivered, 0);
        assert_eq!(ids(&q), ["b"]);
    }

    #[test]
    fn batches_respect_the_byte_limit_and_keep_order() {
        let mut q = Queue::default();
        let limits = Limits {
            max_events: 100,
            ..LIMITS
        };
        for i in 0..10 {
            q.push(ev(&format!("{i:03}"), f64::from(i)), &limits);
        }
        let requests = q.start_unload("k", "t", 120);
        assert!(requests.len() > 1);
        let mut seen = Vec::new();
        for Request { ids, body, .. } in &requests {
            assert!(body.len() <= 120, "{} bytes: {body}", body.len());
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            let in_body: Vec<String> = v["batch"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["messageId"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(&in_body, ids);
            seen.extend(in_body);
        }
        assert_eq!(seen, ids(&q));
    }

    #[test]
    fn first_batch_takes_only_what_fits() {
        let mut q = Queue::default();
        let limits = Limits {
            max_events: 100,
            ..LIMITS
        };
        for i in 0..10 {
            q.push(ev(&format!("{i:03}"), 0.0), &limits);
        }
        let req = q.start_batch("k", "t", 120).unwrap();
        assert!(req.body.len() <= 120);
        assert!(q.in_flight() >= 1 && q.in_flight() < 10);
    }

    #[test]
    fn unload_sends_only_what_is_not_already_in_flight_and_reports_drops_once() {
        let limits = Limits {
            max_events: 3,
            ..LIMITS
        };
        let mut q = Queue::default();
        for id in ["a", "b", "c", "d"] {
            q.push(ev(id, 0.0), &limits);
        }
        let first = q.start_batch("k", "t", 50).unwrap();
        assert_eq!(first.ids, ["b"]);
        assert_eq!(first.reported_dropped, 1);
        let rest = q.start_unload("k", "t", MAX_UNLOAD_BYTES);
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].ids, ["c", "d"]);
        assert_eq!(rest[0].reported_dropped, 0);
        assert!(!rest[0].body.contains("dropped"));
        assert!(q.start_unload("k", "t", MAX_UNLOAD_BYTES).is_empty());
    }

    #[test]
    fn a_rejected_batch_leaves_the_queue() {
        let mut q = Queue::default();
        q.push(ev("a", 0.0), &LIMITS);
        let req = q.start_batch("k", "t", MAX_BATCH_BYTES).unwrap();
        assert!(q.settle(req.batch, Outcome::Reject, 0));
        assert!(q.is_empty());
    }

    #[test]
    fn stored_chunks_round_trip_and_skip_damage() {
        let mut q = Queue::default();
        q.push(ev("a", 1.0), &LIMITS);
        q.push(ev("b", 2.0), &LIMITS);
        q.dropped = 4;
        q.dropped_changed = true;
        let mut store = std::collections::BTreeMap::new();
        apply(&mut store, q.writes());
        assert!(q.is_saved());
        assert_eq!(reload(&store), q);
        store.insert("9".into(), "garbage\nx\tnotanumber\t{}\n!-3\n".into());
        assert_eq!(reload(&store), q);
        assert_eq!(load(Vec::new()), Queue::default());
        // The one-key layout of earlier versions is still read (another tab may have left it).
        let legacy = load(vec![(String::new(), "!2\nx\t5\t{}\n".into())]);
        assert_eq!(legacy.ids().collect::<Vec<_>>(), ["x"]);
        assert_eq!(legacy.dropped, 2);
    }

    #[test]
    fn a_stored_dropped_count_cannot_overflow() {
        let q = load(vec![
            ("1".into(), "!18446744073709551615\n".into()),
            ("2".into(), "!18446744073709551615\n".into()),
        ]);
        assert_eq!(q.dropped, u64::MAX);
        let mut mine = Queue {
            dropped: 5,
            ..Queue::default()
        };
        mine.adopt(q, &LIMITS);
        assert_eq!(mine.dropped, u64::MAX);
    }

    #[test]
    fn storage_writes_are_appends_and_acknowledgements_delete() {
        let limits = Limits {
            max_events: 1_000,
            max_bytes: 1 << 20,
            ..LIMITS
        };
        let mut q = Queue::default();
        let mut store = std::collections::BTreeMap::new();
        for i in 0..100 {
            q.push(ev(&format!("e{i:03}"), f64::from(i)), &limits);
        }
        apply(&mut store, q.writes());
        assert_eq!(store.len(), 100usize.div_ceil(CHUNK_EVENTS));
        // One more event writes one new chunk of one line; nothing else is touched.
        q.push(ev("new", 200.0), &limits);
        let w = q.writes();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].1.as_deref().map(|t| t.lines().count()), Some(1));
        apply(&mut store, w);
        // A delivered batch removes the chunks it emptied and rewrites the one it split.
        let req = q.start_batch("k", "t", 45 * 20).unwrap();
        let n = req.ids.len();
        assert!(n > CHUNK_EVENTS && n < 2 * CHUNK_EVENTS, "{n}");
        q.settle(req.batch, Outcome::Delivered, 0);
        let w = q.writes();
        let removed = w.iter().filter(|(_, t)| t.is_none()).count();
        let rewritten: Vec<usize> = w
            .iter()
            .filter_map(|(_, t)| t.as_ref().map(|t| t.lines().count()))
            .collect();
        assert_eq!(removed, 1);
        assert_eq!(rewritten, [2 * CHUNK_EVENTS - n]);
        apply(&mut store, w);
        assert_eq!(reload(&store), q);
    }

    #[test]
    fn a_burst_is_written_in_bounded_chunks() {
        let limits = Limits {
            max_events: 10_000,
            max_bytes: 1 << 30,
            ..LIMITS
        };
        let mut q = Queue::default();
        for i in 0..1_000 {
            q.push(ev(&i.to_string(), 0.0), &limits);
        }
        let w = q.writes();
        assert_eq!(w.len(), 1_000usize.div_ceil(CHUNK_EVENTS));
        assert!(w
            .iter()
            .all(|(_, t)| t.as_ref().unwrap().lines().count() <= CHUNK_EVENTS));
    }

    #[test]
    fn adopting_a_closed_tabs_queue_puts_theirs_first_without_duplicates() {
        let mut mine = Queue::default();
        mine.push(ev("m", 5.0), &LIMITS);
        let mut theirs = Queue::default();
        theirs.push(ev("t", 1.0), &LIMITS);
        theirs.push(ev("m", 5.0), &LIMITS);
        theirs.dropped = 2;
        mine.adopt(theirs, &LIMITS);
        assert_eq!(ids(&mine), ["t", "m"]);
        assert_eq!(mine.dropped, 2);
    }

    #[test]
    fn classifies_statuses() {
        assert_eq!(outcome(Some(200)), Outcome::Delivered);
        assert_eq!(outcome(Some(204)), Outcome::Delivered);
        assert_eq!(outcome(None), Outcome::Retry);
        assert_eq!(outcome(Some(500)), Outcome::Retry);
        assert_eq!(outcome(Some(503)), Outcome::Retry);
        assert_eq!(outcome(Some(408)), Outcome::Retry);
        assert_eq!(outcome(Some(429)), Outcome::Retry);
        assert_eq!(outcome(Some(400)), Outcome::Reject);
        assert_eq!(outcome(Some(401)), Outcome::Reject);
        assert_eq!(outcome(Some(413)), Outcome::Reject);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        assert_eq!(backoff_ms(0, 0.0, None), 500.0);
        assert_eq!(backoff_ms(0, 1.0, None), 1_000.0);
        assert_eq!(backoff_ms(3, 0.0, None), 4_000.0);
        assert_eq!(backoff_ms(40, 1.0, None), BACKOFF_MAX_MS);
        let d = backoff_ms(2, 0.37, None);
        assert!((2_000.0..=4_000.0).contains(&d));
    }

    #[test]
    fn backoff_honours_a_longer_retry_after_within_a_cap() {
        assert_eq!(backoff_ms(0, 0.0, Some(30_000.0)), 30_000.0);
        assert_eq!(backoff_ms(5, 1.0, Some(10.0)), 32_000.0);
        assert_eq!(backoff_ms(0, 0.0, Some(1e12)), RETRY_AFTER_MAX_MS);
    }

    #[test]
    fn parses_retry_after_seconds_and_dates() {
        assert_eq!(retry_after_ms("120", 0.0, |_| None), Some(120_000.0));
        assert_eq!(retry_after_ms("soon", 0.0, |_| None), None);
        assert_eq!(
            retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1_000.0, |_| Some(6_000.0)),
            Some(5_000.0)
        );
        assert_eq!(
            retry_after_ms("past", 9_000.0, |_| Some(6_000.0)),
            Some(0.0)
        );
    }
}
