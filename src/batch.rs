//! The delivery queue and its policy: when a batch is due, what goes in it, what to drop.
//!
//! Events wait here, in order, from the moment they are tracked until the collector has
//! acknowledged them; the shell persists the queue (see [`Queue::encode`]) after every change
//! so a closed tab or a crash loses nothing. Bounds are enforced by dropping the oldest
//! events and counting them; the count travels in the next batch. This module never sends,
//! sleeps or stores anything itself.

use crate::json::write_str;

/// An event over this many bytes of JSON is refused (Segment's limit).
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
/// A batch request body stays under this many bytes (Segment's limit).
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// A request sent while the page unloads stays under this: the keepalive and beacon quota
/// is 64 KiB in flight per page, less room for headers.
pub const MAX_UNLOAD_BYTES: usize = 60_000;

/// One queued event.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    /// Its `messageId`.
    pub id: String,
    /// When it was tracked, Unix ms.
    pub at_ms: f64,
    /// Its JSON text.
    pub json: String,
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

/// Events waiting for acknowledgement, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Queue {
    items: Vec<Queued>,
    bytes: usize,
    in_flight: Vec<String>,
    /// Events dropped by the bounds and not yet reported to the collector.
    pub dropped: u64,
    /// Part of `dropped` carried by a request now in flight, so no second request repeats it.
    dropped_in_flight: u64,
}

impl Queue {
    /// Number of events waiting (in flight included).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Number of events in the request now in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Bytes of JSON waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Appends an event, then enforces the bounds; returns how many old events were dropped.
    pub fn push(&mut self, item: Queued, limits: &Limits) -> usize {
        if self.items.iter().any(|q| q.id == item.id) {
            return 0;
        }
        self.bytes += item.json.len();
        self.items.push(item);
        self.enforce(limits)
    }

    /// Takes over events of another queue (a closed tab's), skipping ones already here.
    pub fn adopt(&mut self, other: Queue, limits: &Limits) -> usize {
        self.dropped += other.dropped;
        // Theirs first: a closed tab's events are older than ours in the common case, and
        // exact order across tabs does not matter (every event carries its timestamp).
        let mut merged = other.items;
        merged.retain(|q| !self.items.iter().any(|mine| mine.id == q.id));
        merged.append(&mut self.items);
        self.bytes = merged.iter().map(|q| q.json.len()).sum();
        self.items = merged;
        self.enforce(limits)
    }

    /// Drops the oldest events until both bounds hold; returns how many went.
    fn enforce(&mut self, limits: &Limits) -> usize {
        let mut dropped = 0;
        let mut bytes = self.bytes;
        while dropped < self.items.len()
            && (self.items.len() - dropped > limits.max_events.max(1) || bytes > limits.max_bytes)
        {
            bytes -= self.items[dropped].json.len();
            dropped += 1;
        }
        for old in self.items.drain(..dropped) {
            self.in_flight.retain(|id| *id != old.id);
        }
        self.bytes = bytes;
        self.dropped += dropped as u64;
        dropped
    }

    /// Whether a batch should be sent now: enough events, or the oldest has waited long enough.
    /// Nothing is due while a request is in flight; its outcome decides what comes next.
    pub fn is_due(&self, now_ms: f64, limits: &Limits) -> bool {
        if !self.in_flight.is_empty() {
            return false;
        }
        match self.items.first() {
            None => false,
            Some(oldest) => {
                self.items.len() >= limits.flush_at
                    || now_ms - oldest.at_ms >= limits.flush_interval_ms
            }
        }
    }

    /// When the next batch falls due by age, if anything waits.
    pub fn due_at(&self, limits: &Limits) -> Option<f64> {
        self.items
            .first()
            .map(|q| q.at_ms + limits.flush_interval_ms)
    }

    /// Marks the oldest events that fit in `max_bytes` as in flight and returns their ids and
    /// the request body. None when nothing waits or a request is already in flight.
    pub fn start_batch(
        &mut self,
        write_key: &str,
        sent_at: &str,
        max_bytes: usize,
    ) -> Option<Request> {
        if !self.in_flight.is_empty() {
            return None;
        }
        self.start(write_key, sent_at, max_bytes, 1)
            .into_iter()
            .next()
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
        let waiting = self
            .items
            .iter()
            .filter(|q| !self.in_flight.contains(&q.id));
        let all = chunk(waiting, write_key, sent_at, report, max_bytes);
        let mut out = Vec::new();
        for (i, (ids, body)) in all.into_iter().take(max_requests).enumerate() {
            let reported = if i == 0 { report } else { 0 };
            self.in_flight.extend(ids.iter().cloned());
            self.dropped_in_flight += reported;
            out.push(Request {
                ids,
                body,
                reported_dropped: reported,
            });
        }
        out
    }

    /// Applies the outcome of the request for `ids`: removes them when delivered or rejected;
    /// keeps them for a retry otherwise. Returns whether they left the queue.
    pub fn settle(&mut self, ids: &[String], outcome: Outcome, reported_dropped: u64) -> bool {
        self.in_flight.retain(|id| !ids.contains(id));
        self.dropped_in_flight = self.dropped_in_flight.saturating_sub(reported_dropped);
        if outcome == Outcome::Retry {
            return false;
        }
        self.items.retain(|q| !ids.contains(&q.id));
        self.bytes = self.items.iter().map(|q| q.json.len()).sum();
        if outcome == Outcome::Delivered {
            self.dropped = self.dropped.saturating_sub(reported_dropped);
        }
        true
    }

    /// The queue as text for localStorage: a `!dropped` line, then one `id\tat\tjson` line per
    /// event. Our JSON never holds a raw newline or tab, so no parser is needed to read it back.
    pub fn encode(&self) -> String {
        let mut out = format!("!{}\n", self.dropped);
        for q in &self.items {
            out.push_str(&q.id);
            out.push('\t');
            out.push_str(&(q.at_ms as u64).to_string());
            out.push('\t');
            out.push_str(&q.json);
            out.push('\n');
        }
        out
    }

    /// Reads what [`Queue::encode`] wrote; damaged lines are skipped.
    pub fn decode(text: &str) -> Queue {
        let mut q = Queue::default();
        for line in text.lines() {
            if let Some(n) = line.strip_prefix('!') {
                q.dropped = n.parse().unwrap_or(0);
                continue;
            }
            let mut parts = line.splitn(3, '\t');
            let (Some(id), Some(at), Some(json)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Ok(at_ms) = at.parse::<u64>().map(|ms| ms as f64) else {
                continue;
            };
            if id.is_empty() || !json.starts_with('{') || !json.ends_with('}') {
                continue;
            }
            q.bytes += json.len();
            q.items.push(Queued {
                id: id.to_owned(),
                at_ms,
                json: json.to_owned(),
            });
        }
        q
    }
}

/// Splits events into request bodies of at most `max_bytes`, in order. Only the first body
/// reports `dropped`, so the count is reported once. An event that alone is too big for the
/// limit still gets a body of its own rather than being lost here.
fn chunk<'a>(
    items: impl Iterator<Item = &'a Queued>,
    write_key: &str,
    sent_at: &str,
    dropped: u64,
    max_bytes: usize,
) -> Vec<(Vec<String>, String)> {
    const HEAD: &str = "{\"batch\":[";
    let mut tail = String::from("],\"sentAt\":");
    write_str(&mut tail, sent_at);
    tail.push_str(",\"writeKey\":");
    write_str(&mut tail, write_key);
    let first_tail = if dropped > 0 {
        format!("{tail},\"dropped\":{dropped}}}")
    } else {
        format!("{tail}}}")
    };
    tail.push('}');
    let mut out: Vec<(Vec<String>, String)> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let mut body = String::from(HEAD);
    for q in items {
        let closing = if out.is_empty() { &first_tail } else { &tail };
        if !ids.is_empty() && body.len() + 1 + q.json.len() + closing.len() > max_bytes {
            body.push_str(closing);
            out.push((
                std::mem::take(&mut ids),
                std::mem::replace(&mut body, String::from(HEAD)),
            ));
        }
        if !ids.is_empty() {
            body.push(',');
        }
        body.push_str(&q.json);
        ids.push(q.id.clone());
    }
    if !ids.is_empty() {
        body.push_str(if out.is_empty() { &first_tail } else { &tail });
        out.push((ids, body));
    }
    out
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
    let exp = BACKOFF_BASE_MS * 2f64.powi(attempt.min(30) as i32);
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
    let h = header.trim();
    if let Ok(secs) = h.parse::<u64>() {
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
        Queued {
            id: id.into(),
            at_ms: at,
            json: format!("{{\"messageId\":\"{id}\"}}"),
        }
    }

    fn ids(q: &Queue) -> Vec<String> {
        q.items.iter().map(|q| q.id.clone()).collect()
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
        assert!(q.settle(&["b".to_string()], Outcome::Delivered, 1));
        assert_eq!(q.dropped, 0);
        assert!(q.is_empty());
    }

    #[test]
    fn a_retry_keeps_the_events_and_their_order() {
        let mut q = Queue::default();
        for id in ["a", "b"] {
            q.push(ev(id, 0.0), &LIMITS);
        }
        q.start_batch("k", "t", MAX_BATCH_BYTES).unwrap();
        assert!(!q.settle(&["a".into(), "b".into()], Outcome::Retry, 0));
        assert_eq!(ids(&q), ["a", "b"]);
        assert_eq!(q.in_flight(), 0);
    }

    #[test]
    fn events_tracked_during_a_request_stay_queued_after_it_succeeds() {
        let mut q = Queue::default();
        q.push(ev("a", 0.0), &LIMITS);
        q.start_batch("k", "t", MAX_BATCH_BYTES).unwrap();
        q.push(ev("b", 1.0), &LIMITS);
        q.settle(&["a".into()], Outcome::Delivered, 0);
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
        q.start_batch("k", "t", MAX_BATCH_BYTES).unwrap();
        assert!(q.settle(&["a".into()], Outcome::Reject, 0));
        assert!(q.is_empty());
    }

    #[test]
    fn encode_decode_round_trips_and_skips_damage() {
        let mut q = Queue::default();
        q.push(ev("a", 1.0), &LIMITS);
        q.push(ev("b", 2.0), &LIMITS);
        q.dropped = 4;
        let text = q.encode();
        assert_eq!(Queue::decode(&text), q);
        let damaged = format!("{text}garbage\nx\tnotanumber\t{{}}\n");
        assert_eq!(Queue::decode(&damaged), q);
        assert_eq!(Queue::decode(""), Queue::default());
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
