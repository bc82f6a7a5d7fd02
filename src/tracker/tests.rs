use std::cell::RefCell;
use std::rc::Rc;

use super::*;

fn config(json: &str) -> Config {
    let (config, problems) = Config::from_value(
        &serde_json::from_str(json).unwrap(),
        &crate::regex::RegressEngine::default(),
    );
    assert_eq!(problems, [], "test configs are valid");
    config
}

fn tab(store: &MemoryStore, name: &str, cfg: &str) -> Tracker {
    Tracker::new(
        "key",
        config(cfg),
        name,
        Box::new(store.clone()),
        false,
        format!("anon-{name}"),
    )
}

/// A `track` call as the shell makes it: recorded, then written at the end of the task.
fn track(t: &mut Tracker, name: &str, id: &str, now: f64) -> Recorded {
    let r = t.record_track(name, &Map::new(), id, now).unwrap();
    t.persist(now);
    r
}

/// Every stored line of tab `tab`'s queue, chunks in order.
fn queue_text(store: &MemoryStore, tab: &str) -> String {
    let prefix = format!("engagekit:queue:{tab}:");
    store
        .keys()
        .iter()
        .filter(|k| k.starts_with(&prefix))
        .filter_map(|k| store.get(k))
        .collect()
}

fn stored_events(store: &MemoryStore, tab: &str) -> usize {
    queue_text(store, tab)
        .lines()
        .filter(|l| !l.starts_with('!'))
        .count()
}

fn ids_in(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["batch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["messageId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn events_are_persisted_before_they_are_sent() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", "{}");
    assert_eq!(track(&mut t, "x", "m1", 0.0), Recorded::Queued);
    let q = queue_text(&store, "a");
    assert!(q.contains("m1"));
    assert_eq!(store.get(keys::ANON).as_deref(), Some("anon-a"));
}

#[test]
fn a_reloaded_page_finds_its_visitor_and_queue() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", "{}");
    track(&mut t, "x", "m1", 0.0);
    let t2 = tab(&store, "a", "{}");
    assert_eq!(t2.identity().anonymous_id, "anon-a");
    assert_eq!(t2.debug().get("queued"), Some(&Value::Number(1.0)));
}

#[test]
fn batch_goes_out_when_due_and_leaves_once_delivered() {
    let store = MemoryStore::default();
    let mut t = tab(
        &store,
        "a",
        r#"{"tracking":{"flushAt":2,"flushIntervalMs":1000}}"#,
    );
    track(&mut t, "x", "m1", 0.0);
    assert!(t.next_request(10.0).is_none());
    assert_eq!(t.next_wake(), Some(1000.0));
    track(&mut t, "y", "m2", 20.0);
    assert_eq!(t.next_wake(), Some(0.0));
    let req = t.next_request(20.0).unwrap();
    assert_eq!(ids_in(&req.body), ["m1", "m2"]);
    assert!(t.settle(&req, Some(200), None, 0.5, 30.0).is_none());
    t.persist(30.0);
    assert_eq!(queue_text(&store, "a"), "");
    assert_eq!(t.next_wake(), None);
}

#[test]
fn failures_back_off_then_retry_the_same_events() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", r#"{"tracking":{"flushAt":1}}"#);
    track(&mut t, "x", "m1", 0.0);
    let req = t.next_request(0.0).unwrap();
    t.settle(&req, None, None, 0.0, 0.0);
    assert!(t.next_request(100.0).is_none(), "waits out the backoff");
    assert_eq!(t.next_wake(), Some(500.0));
    let again = t.next_request(500.0).unwrap();
    assert_eq!(again.ids, ["m1"]);
    t.settle(&again, Some(503), None, 0.0, 500.0);
    assert_eq!(t.next_wake(), Some(1500.0), "second wait doubles");
}

#[test]
fn retry_after_is_honoured() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", r#"{"tracking":{"flushAt":1}}"#);
    track(&mut t, "x", "m1", 0.0);
    let req = t.next_request(0.0).unwrap();
    t.settle(&req, Some(429), Some(60_000.0), 0.0, 0.0);
    assert_eq!(t.next_wake(), Some(60_000.0));
}

#[test]
fn coming_back_online_retries_at_once() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", r#"{"tracking":{"flushAt":1}}"#);
    track(&mut t, "x", "m1", 0.0);
    let req = t.next_request(0.0).unwrap();
    t.settle(&req, None, None, 0.0, 0.0);
    t.network_back();
    assert!(t.next_request(1.0).is_some());
}

#[test]
fn a_refused_batch_is_dropped_with_a_warning() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", r#"{"tracking":{"flushAt":1}}"#);
    track(&mut t, "x", "m1", 0.0);
    let req = t.next_request(0.0).unwrap();
    let w = t.settle(&req, Some(401), None, 0.0, 0.0).unwrap();
    assert!(w.contains("401"), "{w}");
    assert_eq!(t.debug().get("queued"), Some(&Value::Number(0.0)));
}

#[test]
fn storage_full_keeps_events_in_memory() {
    let store = MemoryStore::default();
    store.set_full(true);
    let mut t = tab(&store, "a", r#"{"tracking":{"flushAt":1}}"#);
    assert_eq!(track(&mut t, "x", "m1", 0.0), Recorded::Queued);
    let req = t.next_request(0.0).unwrap();
    assert_eq!(req.ids, ["m1"]);
}

#[test]
fn nothing_is_sent_or_persisted_before_consent_when_required() {
    let store = MemoryStore::default();
    let mut t = tab(
        &store,
        "a",
        r#"{"privacy":{"requireConsent":true},"tracking":{"flushAt":1}}"#,
    );
    assert_eq!(track(&mut t, "x", "m1", 0.0), Recorded::Held);
    assert!(t.next_request(0.0).is_none());
    assert!(t.unload_requests(0.0).is_empty());
    assert!(store.keys().is_empty(), "stored: {:?}", store.keys());
    t.set_consent(Consent::Granted, 1.0);
    let req = t.next_request(1.0).unwrap();
    assert_eq!(req.ids, ["m1"]);
    assert_eq!(store.get(keys::CONSENT).as_deref(), Some("granted"));
}

#[test]
fn denial_discards_and_erases_but_remembers_the_choice() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", "{}");
    track(&mut t, "x", "m1", 0.0);
    t.set_consent(Consent::Denied, 1.0);
    assert_eq!(store.keys(), [keys::CONSENT]);
    assert_eq!(track(&mut t, "x", "m2", 2.0), Recorded::Discarded);
    assert!(t.flush_request(3.0).is_none());
    let reloaded = tab(&store, "a", "{}");
    assert_eq!(reloaded.consent(), Consent::Denied);
}

#[test]
fn do_not_track_stops_tracking_by_default() {
    let store = MemoryStore::default();
    let mut t = Tracker::new(
        "key",
        config("{}"),
        "a",
        Box::new(store.clone()),
        true,
        "anon".into(),
    );
    assert_eq!(track(&mut t, "x", "m1", 0.0), Recorded::Discarded);
    t.heartbeat(1.0);
    t.adopt_orphans(1.0);
    t.release();
    assert!(
        store.keys().is_empty(),
        "not even a heartbeat: {:?}",
        store.keys()
    );
}

#[test]
fn forget_erases_everything_local_and_starts_a_new_visitor() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", "{}");
    store.clone().set("unrelated", "keep me");
    track(&mut t, "x", "m1", 0.0);
    t.set_consent(Consent::Granted, 0.0);
    t.forget("anon-new".into());
    assert_eq!(store.keys(), ["unrelated"]);
    assert_eq!(t.identity().anonymous_id, "anon-new");
    assert_eq!(t.consent(), Consent::Unknown);
}

#[test]
fn identify_then_reset() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", "{}");
    let mut traits = Map::new();
    traits.insert("plan".into(), "pro".into());
    let call = Call::Identify {
        user_id: Some("u1".into()),
        traits,
    };
    t.record(call, "m1", 0.0).unwrap();
    t.persist(0.0);
    assert_eq!(store.get(keys::USER).as_deref(), Some("u1"));
    assert_eq!(
        store.get(keys::TRAITS).as_deref(),
        Some(r#"{"plan":"pro"}"#)
    );
    let again = tab(&store, "a", "{}");
    assert_eq!(
        again.identity().traits.get("plan"),
        Some(&Value::from("pro"))
    );
    t.reset("anon-2".into());
    t.persist(1.0);
    assert!(store.get(keys::USER).is_none());
    assert_eq!(store.get(keys::ANON).as_deref(), Some("anon-2"));
}

#[test]
fn score_accumulates_and_is_stored_with_the_visitor() {
    let store = MemoryStore::default();
    let cfg = r#"{"score":{"weights":{"Signed Up":50}}}"#;
    let mut t = tab(&store, "a", cfg);
    track(&mut t, "Signed Up", "m1", 0.0);
    assert_eq!(t.score(0.0), 63.2);
    let again = tab(&store, "a", cfg);
    assert_eq!(again.score(0.0), 63.2);
}

#[test]
fn a_new_session_starts_after_thirty_idle_minutes() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", "{}");
    track(&mut t, "x", "m1", 0.0);
    track(&mut t, "x", "m2", 29.0 * 60_000.0);
    assert_eq!(t.debug().get("sessionId"), Some(&Value::Number(0.0)));
    track(&mut t, "x", "m3", 60.0 * 60_000.0);
    assert_eq!(
        t.debug().get("sessionId"),
        Some(&Value::Number(3_600_000.0))
    );
}

#[test]
fn a_live_tabs_queue_is_left_alone() {
    let store = MemoryStore::default();
    let mut a = tab(&store, "a", "{}");
    let mut b = tab(&store, "b", "{}");
    track(&mut a, "x", "a1", 0.0);
    track(&mut b, "x", "b1", 0.0);
    assert_eq!(b.adopt_orphans(1_000.0), 0);
    let req_a = a.flush_request(1_000.0).unwrap();
    let req_b = b.flush_request(1_000.0).unwrap();
    assert_eq!(req_a.ids, ["a1"]);
    assert_eq!(req_b.ids, ["b1"], "two tabs never send each other's events");
}

#[test]
fn a_closed_tabs_queue_is_adopted_once() {
    let store = MemoryStore::default();
    let mut a = tab(&store, "a", "{}");
    track(&mut a, "x", "a1", 0.0);
    a.release();
    drop(a);
    let mut b = tab(&store, "b", "{}");
    let mut c = tab(&store, "c", "{}");
    assert_eq!(b.adopt_orphans(10.0), 1);
    assert_eq!(c.adopt_orphans(10.0), 0, "already taken");
    assert_eq!(queue_text(&store, "a"), "");
    assert!(store.get("engagekit:alive:a").is_none());
    assert_eq!(b.flush_request(10.0).unwrap().ids, ["a1"]);
}

#[test]
fn a_crashed_tabs_queue_is_adopted_after_it_goes_stale() {
    let store = MemoryStore::default();
    let mut a = tab(&store, "a", "{}");
    track(&mut a, "x", "a1", 0.0);
    let mut b = tab(&store, "b", "{}");
    assert_eq!(b.adopt_orphans(STALE_TAB_MS - 1.0), 0);
    assert_eq!(b.adopt_orphans(STALE_TAB_MS), 1);
}

#[test]
fn a_tab_back_from_the_bfcache_does_not_resend_what_another_tab_adopted() {
    let store = MemoryStore::default();
    let mut a = tab(&store, "a", "{}");
    track(&mut a, "x", "a1", 0.0);
    a.release();
    let mut b = tab(&store, "b", "{}");
    b.adopt_orphans(1.0);
    a.resume(2.0);
    assert!(a.flush_request(2.0).is_none());
}

#[test]
fn unload_sends_everything_in_beacon_sized_pieces() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", "{}");
    let big = "y".repeat(20_000);
    for i in 0..8 {
        let mut props = Map::new();
        props.insert("blob".into(), big.as_str().into());
        t.record_track("big", &props, &format!("m{i}"), 0.0)
            .unwrap();
    }
    let reqs = t.unload_requests(0.0);
    assert!(reqs.len() >= 3);
    let mut all = Vec::new();
    for r in &reqs {
        assert!(r.body.len() <= batch::MAX_UNLOAD_BYTES);
        all.extend(ids_in(&r.body));
    }
    assert_eq!(all, (0..8).map(|i| format!("m{i}")).collect::<Vec<_>>());
    // Still queued until acknowledged, and in storage: a page that dies here loses nothing.
    t.persist(0.0);
    assert_eq!(stored_events(&store, "a"), 8);
}

#[test]
fn bad_event_is_refused_and_the_queue_is_untouched() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", "{}");
    track(&mut t, "ok", "m1", 0.0);
    assert!(t.record_track("", &Map::new(), "m2", 0.0).is_err());
    assert_eq!(t.debug().get("queued"), Some(&Value::Number(1.0)));
}

#[test]
fn the_same_url_twice_is_one_page_view() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", "{}");
    assert!(t.is_new_page("https://a.test/"));
    assert!(!t.is_new_page("https://a.test/"));
    assert!(t.is_new_page("https://a.test/app#boards"));
    assert!(t.is_new_page("https://a.test/"));
}

const SLOTS: &str = r#"{"content":{"slots":{
    "hero":{"rules":[{"name":"signed up","if":{"counts.Signed Up":{"$gte":1}},"variant":"member"}],
            "experiment":{"key":"hero-exp","variations":["default","bold"]}}}}}"#;

fn decide(t: &mut Tracker, now: f64) -> crate::content::Decision {
    decide_late(t, now, false)
}

fn decide_late(t: &mut Tracker, now: f64, late: bool) -> crate::content::Decision {
    let re = crate::regex::RegressEngine::default();
    let (d, _) = t
        .decide("hero", now, &re, &|v| v == "member" || v == "bold", late)
        .unwrap();
    d
}

#[test]
fn per_event_counts_feed_audiences_and_persist() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", SLOTS);
    assert_ne!(decide(&mut t, 0.0).variant, "member");
    track(&mut t, "Signed Up", "m1", 1.0);
    t.is_new_page("https://a.test/next");
    assert_eq!(decide(&mut t, 2.0).variant, "member");
    let again = tab(&store, "a", SLOTS);
    let attrs = again.attributes(3.0);
    assert_eq!(
        crate::condition::lookup(&attrs, "counts.Signed Up"),
        &Value::Number(1.0)
    );
}

#[test]
fn experiment_assignment_is_stored_and_reused_on_the_next_visit() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", SLOTS);
    track(&mut t, "x", "m1", 0.0);
    let first = decide(&mut t, 1.0);
    assert!(first.experiment.is_some());
    t.persist(1.0);
    let stored = store.get(keys::EXPERIMENTS).unwrap();
    assert!(stored.contains("hero-exp"), "{stored}");
    // The weights change to send everyone to the other variation: this visitor stays.
    let other = if first.variant == "bold" {
        "[1,0]"
    } else {
        "[0,1]"
    };
    let cfg = SLOTS.replace(
        r#""variations":["default","bold"]"#,
        &format!(r#""variations":["default","bold"],"weights":{other}"#),
    );
    let mut later = tab(&store, "a", &cfg);
    assert_eq!(decide(&mut later, 2.0).variant, first.variant);
}

#[test]
fn content_viewed_is_reported_once_per_slot_per_page_view() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", SLOTS);
    t.is_new_page("https://a.test/");
    let re = crate::regex::RegressEngine::default();
    assert!(t.viewed("hero").is_empty(), "nothing before a decision");
    let d = decide(&mut t, 0.0);
    let calls = t.viewed("hero");
    let (event, properties) = &calls[0];
    assert_eq!(*event, "Content Viewed");
    assert_eq!(properties.get("slot"), Some(&Value::from("hero")));
    assert_eq!(
        properties.get("variant"),
        Some(&Value::from(d.variant.as_str()))
    );
    assert_eq!(properties.get("reason"), Some(&Value::from("experiment")));
    assert_eq!(properties.get("experiment"), Some(&Value::from("hero-exp")));
    let (event, properties) = &calls[1];
    assert_eq!(*event, "Experiment Viewed");
    assert_eq!(
        properties.get("experiment_id"),
        Some(&Value::from("hero-exp"))
    );
    assert_eq!(
        properties.get("variation_name"),
        Some(&Value::from(d.variant.as_str()))
    );
    assert!(t.viewed("hero").is_empty(), "once per page view");
    assert!(t.decide("nope", 0.0, &re, &|_| true, false).is_none());
    t.is_new_page("https://a.test/other");
    decide(&mut t, 1.0);
    assert_eq!(t.viewed("hero").len(), 2, "again on the next page view");
}

#[test]
fn a_late_decision_keeps_the_default_without_exposing_the_experiment() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", SLOTS);
    t.is_new_page("https://a.test/");
    track(&mut t, "x", "m1", 0.0);
    let d = decide_late(&mut t, 1.0, true);
    assert_eq!(
        (d.variant.as_str(), d.reason, d.experiment),
        ("default", crate::content::Reason::Timeout, None)
    );
    assert_eq!(
        decide(&mut t, 2.0).reason,
        crate::content::Reason::Timeout,
        "the slot keeps what the visitor saw for the rest of the page view"
    );
    let calls = t.viewed("hero");
    assert_eq!(calls.len(), 1, "Content Viewed only, no Experiment Viewed");
    let (_, properties) = &calls[0];
    assert_eq!(properties.get("reason"), Some(&Value::from("timeout")));
    t.persist(2.0);
    assert!(
        !store
            .get(keys::EXPERIMENTS)
            .unwrap_or_default()
            .contains("hero-exp"),
        "no assignment is stored for a variation never shown"
    );
    t.is_new_page("https://a.test/next");
    assert_eq!(
        decide(&mut t, 3.0).reason,
        crate::content::Reason::Experiment,
        "the next page view decides afresh"
    );
}

#[test]
fn a_problem_is_reported_once_and_a_page_template_wins_over_a_config_variant() {
    let cfg = r#"{"content":{"slots":{"hero":{
        "rules":[{"if":{},"variant":"promo"}],
        "variants":{"promo":{"title":"From the config"}}}}}}"#;
    let re = crate::regex::RegressEngine::default();
    let store = MemoryStore::default();
    let mut t = tab(&store, "a", cfg);
    t.is_new_page("https://a.test/");
    let (d, structured) = t.decide("hero", 0.0, &re, &|_| false, false).unwrap();
    assert_eq!(d.variant, "promo");
    assert_eq!(
        structured.unwrap().title.as_deref(),
        Some("From the config")
    );
    let (_, structured) = t
        .decide("hero", 0.0, &re, &|v| v == "promo", false)
        .unwrap();
    assert!(
        structured.is_none(),
        "the page's own template is rendered instead"
    );

    let cfg = r#"{"content":{"slots":{"hero":{"rules":[{"if":{},"variant":"gone"}]}}}}"#;
    let mut t = tab(&store, "b", cfg);
    t.is_new_page("https://a.test/");
    let (first, _) = t.decide("hero", 0.0, &re, &|_| false, false).unwrap();
    assert!(first.warning.is_some());
    let (again, _) = t.decide("hero", 0.0, &re, &|_| false, false).unwrap();
    assert_eq!((again.variant.as_str(), again.warning), ("default", None));
}

#[test]
fn an_element_lacking_the_variant_its_slot_shows_keeps_its_default() {
    let cfg = r#"{"content":{"slots":{"hero":{"rules":[{"if":{},"variant":"v"}]}}}}"#;
    let re = crate::regex::RegressEngine::default();
    let mut t = tab(&MemoryStore::default(), "a", cfg);
    t.is_new_page("https://a.test/");
    let (d, _) = t.decide("hero", 0.0, &re, &|v| v == "v", false).unwrap();
    assert_eq!(d.variant, "v");
    let (other, _) = t.decide("hero", 0.0, &re, &|_| false, false).unwrap();
    assert_eq!(
        (other.variant.as_str(), other.reason),
        ("default", crate::content::Reason::Fallback)
    );
    assert!(other.warning.unwrap().contains("does not define"));
    let (first_again, _) = t.decide("hero", 0.0, &re, &|v| v == "v", false).unwrap();
    assert_eq!(first_again.variant, "v", "the slot's decision is unchanged");
}

/// A store that counts the bytes written to it (keys and values), as localStorage pays them.
#[derive(Clone, Default)]
struct CountingStore {
    inner: MemoryStore,
    written: Rc<RefCell<usize>>,
}

impl Store for CountingStore {
    fn get(&self, key: &str) -> Option<String> {
        self.inner.get(key)
    }
    fn set(&mut self, key: &str, value: &str) -> bool {
        *self.written.borrow_mut() += key.len() + value.len();
        self.inner.set(key, value)
    }
    fn remove(&mut self, key: &str) {
        self.inner.remove(key)
    }
    fn keys(&self) -> Vec<String> {
        self.inner.keys()
    }
    fn parse_json(&self, text: &str) -> Option<Value> {
        self.inner.parse_json(text)
    }
}

/// Tab "a" over a counting store.
fn counted(store: &CountingStore, cfg: &str) -> Tracker {
    Tracker::new(
        "key",
        config(cfg),
        "a",
        Box::new(store.clone()),
        false,
        "anon".into(),
    )
}

#[test]
fn bytes_written_per_event_do_not_depend_on_the_queue_length() {
    // Nothing is sent, so the queue only grows.
    let cfg = r#"{"tracking":{"flushAt":100000,"flushIntervalMs":100000000,"maxQueueEvents":5000,"maxQueueBytes":100000000}}"#;
    let mut probe = Map::new();
    probe.insert("plan".into(), "pro".into());
    let mut per_event = Vec::new();
    for queued in [0usize, 100, 1_000] {
        let store = CountingStore::default();
        let mut t = counted(&store, cfg);
        // A visitor already known (its id and first visit are written with its first event).
        t.record_track("fill", &probe, "warm-up", 500.0).unwrap();
        let req = t.flush_request(500.0).unwrap();
        t.settle(&req, Some(200), None, 0.5, 500.0);
        t.persist(500.0);
        for i in 0..queued {
            t.record_track("fill", &probe, &format!("f{i:06}"), 1_000.0)
                .unwrap();
            t.persist(1_000.0);
        }
        assert_eq!(t.debug().get("queued"), Some(&Value::Number(queued as f64)));
        *store.written.borrow_mut() = 0;
        t.record_track("probe", &probe, "p000000", 2_000.0).unwrap();
        t.persist(2_000.0);
        per_event.push(*store.written.borrow());
    }
    let (min, max) = (
        per_event.iter().min().unwrap(),
        per_event.iter().max().unwrap(),
    );
    // The only differences allowed: digits (the per-event count, 1 vs 101 vs 1001 "fill",
    // and the new chunk's number), a few bytes, where rewriting the queue would cost its size.
    assert!(
        max - min <= 8,
        "bytes written for one event at 0/100/1000 queued: {per_event:?}"
    );
    assert!(
        *max < 1_500,
        "one event costs about its own size: {per_event:?}"
    );
}

#[test]
fn recording_writes_nothing_until_persist_and_a_burst_is_written_once() {
    let store = CountingStore::default();
    let cfg = r#"{"tracking":{"flushAt":100000,"maxQueueEvents":20000,"maxQueueBytes":100000000}}"#;
    let mut t = counted(&store, cfg);
    for i in 0..10_000 {
        t.record_track("burst", &Map::new(), &format!("b{i:05}"), 1.0)
            .unwrap();
    }
    assert_eq!(
        *store.written.borrow(),
        0,
        "write-behind: nothing written by the calls"
    );
    assert!(t.needs_persist());
    t.persist(1.0);
    assert!(!t.needs_persist());
    assert_eq!(stored_events(&store.inner, "a"), 10_000);
    let chunks = store
        .keys()
        .iter()
        .filter(|k| k.starts_with("engagekit:queue:a:"))
        .count();
    assert_eq!(chunks, 10_000usize.div_ceil(batch::CHUNK_EVENTS));
    // A reload finds every event once.
    let again = counted(&store, cfg);
    assert_eq!(again.debug().get("queued"), Some(&Value::Number(10_000.0)));
}

/// The loader's record of a page's early calls, as `engagekit:early:<id>` holds it and the
/// beacon carries it.
fn early_record() -> String {
    serde_json::json!({
        "writeKey": "key", "anonymousId": "anon-a", "consent": null,
        "page": {"url": "https://a.test/pricing?x=1", "title": "Pricing", "referrer": ""},
        "calls": [
            ["_pv", [], 1000.7, "pv"],
            ["track", ["Early", {"n": 1}], 1050, "e1"],
            ["identify", [{"plan": "pro"}], 1060, "e2"],
            ["track", [{}], 1070, "bad"],
        ]
    })
    .to_string()
}

/// A record read as the collector reads a beacon.
fn read_early(text: &str) -> Option<crate::early::Record> {
    let v: Value = serde_json::from_str(text).unwrap();
    crate::early::read(&v, &Value::to_json)
}

#[test]
fn a_page_whose_module_never_ran_is_replayed_with_its_times_ids_and_page() {
    let store = MemoryStore::default();
    let mut t = tab(&store, "b", "{}");
    t.set_page(PageInfo {
        url: "https://a.test/next".into(),
        user_agent: "UA".into(),
        ..PageInfo::default()
    });
    let record = read_early(&early_record()).unwrap();
    // The loader stamps the page view with `performance.timeOrigin`: read as whole ms, as
    // the browser's replay reads it (`web::stamp`).
    assert_eq!(record.calls[0].at_ms, 1000.0);
    assert_eq!(t.replay(record), 3);
    assert_eq!(
        t.page().url,
        "https://a.test/next",
        "the current page is back"
    );
    let req = t.flush_request(5_000.0).unwrap();
    let v: serde_json::Value = serde_json::from_str(&req.body).unwrap();
    let events = v["batch"].as_array().unwrap();
    assert_eq!(ids_in(&req.body), ["pv", "e1", "e2"]);
    assert_eq!(events[0]["type"], "page");
    assert_eq!(events[0]["timestamp"], "1970-01-01T00:00:01.000Z");
    assert_eq!(events[0]["properties"]["path"], "/pricing");
    assert_eq!(events[1]["timestamp"], "1970-01-01T00:00:01.050Z");
    assert_eq!(events[1]["context"]["page"]["title"], "Pricing");
    assert_eq!(events[1]["context"]["userAgent"], "UA");
    assert_eq!(events[2]["traits"]["plan"], "pro");
}

#[test]
fn early_page_views_follow_autocapture_and_forget_drops_the_record() {
    let store = MemoryStore::default();
    let mut t = tab(
        &store,
        "b",
        r#"{"tracking":{"autocapture":{"pageviews":false}}}"#,
    );
    let record = read_early(&early_record()).unwrap();
    assert_eq!(t.replay(record), 2, "no automatic page view");
    let forgotten = early_record().replace(r#"["_pv""#, r#"["forget",[],999,"f"],["_pv""#);
    assert_eq!(read_early(&forgotten), None);
}

#[test]
fn a_queue_past_half_its_bounds_is_under_pressure() {
    let store = MemoryStore::default();
    let mut t = tab(
        &store,
        "a",
        r#"{"tracking":{"maxQueueEvents":4,"flushAt":100}}"#,
    );
    track(&mut t, "x", "m1", 0.0);
    track(&mut t, "x", "m2", 0.0);
    assert!(!t.under_pressure());
    track(&mut t, "x", "m3", 0.0);
    assert!(t.under_pressure(), "3 of 4 events");
    let big = "y".repeat(20_000);
    let mut props = Map::new();
    props.insert("blob".into(), big.as_str().into());
    let mut b = tab(&store, "b", r#"{"tracking":{"maxQueueBytes":40000}}"#);
    b.record_track("big", &props, "b1", 0.0).unwrap();
    assert!(b.under_pressure(), "20 of 40 KB");
}

/// The survey side of the tracker: scheduling on a page view, the shared history across
/// tabs, consent, and the events of each step with their one submission id.
#[cfg(feature = "surveys")]
mod surveys {
    use super::*;
    use crate::regex::RegressEngine;
    use crate::survey::Why;
    use crate::tracker::Step;

    const T0: f64 = 1_800_000_000_000.0;
    const NPS: &str = r#"{"surveys": {"nps": {
        "text": {"en": {"question": "Recommend us?", "low": "No", "high": "Yes", "thanks": "Thanks"},
                 "fr": {"question": "Nous recommanderiez-vous ?", "low": "Non", "high": "Oui", "thanks": "Merci"}},
        "if": {"path": "/pricing"},
        "triggers": [{"delayMs": 3000}, {"event": "Plan Selected", "where": {"plan": "pro"}}, {"scrollPercent": 50}]
    }}}"#;

    fn on_page(t: &mut Tracker, path: &str, now: f64) {
        let mut page = t.page().clone();
        page.url = format!("https://shop.test{path}");
        page.path = path.into();
        page.locale = "fr-CA".into();
        t.set_page(page);
        t.surveys_on_page_view(now);
    }

    fn show(t: &mut Tracker, force: bool, now: f64) -> Result<(Map, Map), Why> {
        t.show_survey("nps", force, "sub-1".into(), now, &RegressEngine::default())
    }

    #[test]
    fn a_delay_trigger_waits_on_its_page_view_and_a_route_change_drops_it() {
        let store = MemoryStore::default();
        let mut t = tab(&store, "a", NPS);
        on_page(&mut t, "/pricing", T0);
        assert_eq!(t.surveys_next_due(), Some(T0 + 3000.0));
        assert!(t.surveys_due(T0 + 2999.0).is_empty());
        // The visitor moves on before the delay ends: the new page view starts its own.
        on_page(&mut t, "/docs", T0 + 2000.0);
        assert_eq!(t.surveys_next_due(), Some(T0 + 5000.0));
        assert_eq!(t.surveys_due(T0 + 5000.0), ["nps"]);
        assert_eq!(t.surveys_next_due(), None, "a due survey waits no more");
        // Checked again when the delay ends: /docs is not in the audience.
        assert_eq!(show(&mut t, false, T0 + 5000.0), Err(Why::Audience));
        assert_eq!(
            store.get(keys::PROMPTS),
            None,
            "nothing shown, nothing written"
        );
    }

    #[test]
    fn a_shown_survey_holds_every_tab_at_once_and_steps_share_one_submission() {
        let store = MemoryStore::default();
        let mut a = tab(&store, "a", NPS);
        let mut b = tab(&store, "b", NPS);
        on_page(&mut a, "/pricing", T0);
        on_page(&mut b, "/pricing", T0);
        let (card, shown) = show(&mut a, false, T0).unwrap();
        assert_eq!(card.get("id"), Some(&Value::from("nps")));
        assert!(
            card.get("text").and_then(Value::as_object).is_some(),
            "the texts by locale, for the card to choose from"
        );
        assert_eq!(shown.get("submission_id"), Some(&Value::from("sub-1")));
        // Written at once, not at the next persist: the other tab sees it now, even forced.
        assert_eq!(show(&mut b, true, T0 + 10.0), Err(Why::PromptOpen));
        assert_eq!(show(&mut a, true, T0 + 10.0), Err(Why::PromptOpen));

        let (name, p) = a.survey_step(Step::Answered(6), T0 + 100.0).unwrap();
        assert_eq!(name, "Survey Answered");
        assert_eq!(p.get("score"), Some(&Value::Number(6.0)));
        assert_eq!(p.get("category"), Some(&Value::from("detractor")));
        assert_eq!(p.get("submission_id"), Some(&Value::from("sub-1")));
        let (name, p) = a
            .survey_step(Step::Comment("  too slow  "), T0 + 200.0)
            .unwrap();
        assert_eq!(name, "Survey Comment");
        assert_eq!(p.get("comment"), Some(&Value::from("too slow")));
        assert_eq!(p.get("category"), Some(&Value::from("detractor")));
        assert_eq!(
            a.survey_step(Step::Comment("   "), T0 + 250.0),
            None,
            "nothing to send"
        );
        assert_eq!(a.survey_step(Step::Closed, T0 + 300.0), None);
        assert_eq!(
            a.survey_step(Step::Answered(9), T0 + 400.0),
            None,
            "no survey open"
        );

        // Closed frees the screen, but the answer holds the survey back in every tab.
        let mut c = tab(&store, "c", NPS);
        on_page(&mut c, "/pricing", T0 + DAY);
        assert_eq!(show(&mut c, false, T0 + 2.0 * DAY), Err(Why::Answered));
    }

    #[test]
    fn a_dismissal_is_recorded_with_its_step_and_waits() {
        let store = MemoryStore::default();
        let mut t = tab(&store, "a", NPS);
        on_page(&mut t, "/pricing", T0);
        show(&mut t, false, T0).unwrap();
        let (name, p) = t.survey_step(Step::Dismissed("score"), T0 + 5.0).unwrap();
        assert_eq!(name, "Survey Dismissed");
        assert_eq!(p.get("step"), Some(&Value::from("score")));
        t.survey_step(Step::Closed, T0 + 5.0);
        assert_eq!(show(&mut t, false, T0 + 13.0 * DAY), Err(Why::Dismissed));
    }

    #[test]
    fn a_visitor_without_consent_is_never_asked() {
        let store = MemoryStore::default();
        let cfg = NPS.replacen('{', r#"{"privacy": {"requireConsent": true},"#, 1);
        let mut t = tab(&store, "a", &cfg);
        on_page(&mut t, "/pricing", T0);
        assert_eq!(show(&mut t, true, T0), Err(Why::Consent));
        t.set_consent(Consent::Granted, T0);
        assert!(show(&mut t, false, T0).is_ok());
    }

    #[test]
    fn event_and_scroll_triggers_fire_once_per_crossing() {
        let store = MemoryStore::default();
        let mut t = tab(&store, "a", NPS);
        on_page(&mut t, "/pricing", T0);
        let re = RegressEngine::default();
        assert_eq!(
            t.surveys_for_event("Plan Selected", r#"{"plan":"pro"}"#, &re),
            ["nps"]
        );
        assert!(t
            .surveys_for_event("Plan Selected", r#"{"plan":"free"}"#, &re)
            .is_empty());
        assert!(t.surveys_for_event("Signed Up", "{}", &re).is_empty());
        assert_eq!(t.scroll_wanted(), Some(50.0));
        assert!(t.surveys_for_scroll(30.0).is_empty());
        assert_eq!(t.surveys_for_scroll(60.0), ["nps"]);
        assert!(t.surveys_for_scroll(90.0).is_empty(), "once per page view");
        on_page(&mut t, "/pricing", T0 + 1000.0);
        assert_eq!(
            t.surveys_for_scroll(55.0),
            ["nps"],
            "again on the next page view"
        );
    }

    #[test]
    fn echo_keeps_the_json_of_recorded_events_only_when_asked() {
        let store = MemoryStore::default();
        let mut t = tab(&store, "a", "{}");
        track(&mut t, "Quiet", "m1", 0.0);
        assert!(t.echoed().is_empty());
        t.echo = true;
        track(&mut t, "Loud", "m2", 1.0);
        let echoed = t.echoed();
        assert_eq!(echoed.len(), 1);
        let e: serde_json::Value = serde_json::from_str(&echoed[0]).unwrap();
        assert_eq!(
            (e["event"].as_str(), e["messageId"].as_str()),
            (Some("Loud"), Some("m2"))
        );
        assert!(t.echoed().is_empty(), "handed out once");
    }

    const DAY: f64 = 86_400_000.0;
}

/// The checklist side of the tracker: progress from events before the checklist ever showed,
/// shared by tabs; who sees it and whether it opens; the events of each change.
#[cfg(feature = "checklists")]
mod checklists {
    use super::*;
    use crate::regex::RegressEngine;
    use crate::tracker::NotDone;

    const T0: f64 = 1_800_000_000_000.0;
    const CFG: &str = r#"{"checklists": {"onboarding": {
        "text": {"en": {"title": "Get started"}},
        "if": {"path": {"$regex": "^/app"}},
        "autoOpen": true,
        "steps": [
            {"id": "board", "event": "Board Created"},
            {"id": "pricing", "page": {"path": "/pricing.html"}},
            {"id": "tour", "manual": true}
        ]}}}"#;

    fn on_page(t: &mut Tracker, path: &str) {
        let mut page = t.page().clone();
        page.url = format!("https://shop.test{path}");
        page.path = path.into();
        t.set_page(page);
        t.checklists_on_page_view();
    }

    fn names(r: &[(&'static str, Map)]) -> Vec<&'static str> {
        r.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn what_the_visitor_did_before_it_showed_counts_and_tabs_share_progress() {
        let store = MemoryStore::default();
        let re = RegressEngine::default();
        let mut a = tab(&store, "a", CFG);
        on_page(&mut a, "/pricing.html");
        let (records, changed) = a.checklists_on_page(T0, &re);
        assert_eq!(names(&records), ["Checklist Step Completed"]);
        assert_eq!(changed, ["onboarding"]);
        let (cards, _) = a.checklists_to_show(T0, &re);
        assert!(cards.is_empty(), "not in its audience on /pricing");
        let (records, _) = a.checklists_on_event("Board Created", "{}", T0 + 1.0, &re);
        assert_eq!(names(&records), ["Checklist Step Completed"]);
        assert!(a
            .checklists_on_event("Checklist Shown", "{}", T0, &re)
            .0
            .is_empty());

        // Another tab, on the app: the checklist shows with two of three steps done.
        let mut b = tab(&store, "b", CFG);
        on_page(&mut b, "/app.html");
        let (cards, records) = b.checklists_to_show(T0 + 2.0, &re);
        assert_eq!(cards.len(), 1);
        assert_eq!(names(&records), ["Checklist Shown"]);
        let Some(Value::Array(steps)) = cards[0].get("steps") else {
            panic!()
        };
        let done: Vec<bool> = steps
            .iter()
            .map(|s| s.get("done") == Some(&Value::Bool(true)))
            .collect();
        assert_eq!(done, [true, true, false]);
        assert_eq!(
            cards[0].get("expanded"),
            Some(&Value::Bool(true)),
            "autoOpen, within the cap"
        );

        // The visitor ticks off the manual step: complete; never shown again after.
        assert_eq!(
            b.checklist_complete("onboarding", "board", true, T0),
            Err(NotDone::NotManual)
        );
        assert_eq!(
            b.checklist_complete("onboarding", "nope", false, T0),
            Err(NotDone::Unknown)
        );
        let out = b
            .checklist_complete("onboarding", "tour", true, T0 + 3.0)
            .unwrap();
        assert_eq!(
            names(&out),
            ["Checklist Step Completed", "Checklist Completed"]
        );
        assert!(
            b.checklist_card("onboarding", true).is_some(),
            "still on this page, to celebrate"
        );
        on_page(&mut b, "/app.html");
        assert!(b.checklists_to_show(T0 + 4.0, &re).0.is_empty());
    }

    #[test]
    fn the_collector_leaves_complete_calls_kept_from_a_page_to_the_browser() {
        // The page that closed before its module ran completed a step by code; the collector
        // has one page's calls, not the visitor's progress, so it replays only the rest (the
        // next page of the site replays the step: tests/e2e/early.test.mjs).
        let record = serde_json::json!({
            "writeKey": "key", "anonymousId": "anon-a", "consent": null,
            "page": {"url": "https://shop.test/app.html", "title": "App", "referrer": ""},
            "calls": [
                ["complete", ["onboarding", "tour"], T0 + 20.0, "c1"],
                ["track", ["After", {}], T0 + 23.0, "e1"],
            ]
        })
        .to_string();
        let v: Value = serde_json::from_str(&record).unwrap();
        let calls = crate::early::read(&v, &Value::to_json).unwrap().calls;
        assert_eq!(
            calls.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["e1"]
        );
    }

    #[test]
    fn auto_open_respects_the_prompt_cap_and_the_visitors_choice() {
        let store = MemoryStore::default();
        let re = RegressEngine::default();
        // A survey is on screen in some tab: the checklist shows as its launcher only.
        let mut h = crate::survey::History::default();
        h.shown("nps", T0);
        let mut s = store.clone();
        s.set(keys::PROMPTS, &h.encode());
        let mut t = tab(&store, "a", CFG);
        on_page(&mut t, "/app.html");
        let (cards, records) = t.checklists_to_show(T0 + 1000.0, &re);
        assert_eq!(cards[0].get("expanded"), Some(&Value::Bool(false)));
        assert_eq!(records[0].1.get("open"), Some(&Value::Bool(false)));
        // The visitor opens it, then collapses it: remembered on the next page view.
        assert_eq!(
            names(&t.checklist_toggled("onboarding", true)),
            ["Checklist Shown"]
        );
        assert!(t.checklist_toggled("onboarding", false).is_empty());
        on_page(&mut t, "/app.html");
        let (cards, _) = t.checklists_to_show(T0 + 100.0 * 3_600_000.0, &re);
        assert_eq!(
            cards[0].get("expanded"),
            Some(&Value::Bool(false)),
            "collapsed stays collapsed"
        );
        // Dismissed: gone for good.
        assert_eq!(
            names(&t.checklist_dismissed("onboarding", T0)),
            ["Checklist Dismissed"]
        );
        on_page(&mut t, "/app.html");
        assert!(t.checklists_to_show(T0 + 1.0, &re).0.is_empty());
    }

    #[test]
    fn without_consent_progress_stays_in_memory_and_nothing_shows() {
        let store = MemoryStore::default();
        let re = RegressEngine::default();
        let cfg = CFG.replacen('{', r#"{"privacy": {"requireConsent": true},"#, 1);
        let mut t = tab(&store, "a", &cfg);
        on_page(&mut t, "/app.html");
        t.checklists_on_event("Board Created", "{}", T0, &re);
        assert!(t.checklist_progress("onboarding").unwrap().is_done("board"));
        assert_eq!(
            store.get(keys::CHECKLISTS),
            None,
            "nothing written without consent"
        );
        assert!(
            t.checklists_to_show(T0, &re).0.is_empty(),
            "not shown without consent"
        );
        // Consent arrives: what the visitor did before it is kept, and written.
        t.set_consent(Consent::Granted, T0 + 1.0);
        assert!(store
            .get(keys::CHECKLISTS)
            .is_some_and(|s| s.contains("board")));
        assert!(t.checklist_progress("onboarding").unwrap().is_done("board"));
        assert_eq!(t.checklists_to_show(T0 + 2.0, &re).0.len(), 1);
    }
}

/// The collector rebuilds an identified visitor's checklist progress from the events the
/// browser recorded; it must equal what the browser kept.
#[cfg(feature = "checklists")]
#[test]
fn checklist_progress_rebuilt_from_the_recorded_events_equals_the_browsers() {
    use crate::checklist::Progress;
    use crate::regex::RegressEngine;
    let cfg = r#"{"checklists": {"onboarding": {
        "text": {"en": {"title": "Get started"}}, "order": "ordered",
        "steps": [{"id": "board", "event": "Board Created"},
                  {"id": "pricing", "page": {"path": "/pricing.html"}},
                  {"id": "tour", "manual": true}]}}}"#;
    let store = MemoryStore::default();
    let re = RegressEngine::default();
    let mut t = tab(&store, "a", cfg);
    let mut recorded: Vec<(&'static str, Map, f64)> = Vec::new();
    let mut page = t.page().clone();
    page.path = "/pricing.html".into();
    t.set_page(page);
    // Seen early (ordered: it waits), then unlocked by the first step.
    let (r, _) = t.checklists_on_page(1_000.0, &re);
    recorded.extend(r.into_iter().map(|(n, p)| (n, p, 1_000.0)));
    let (_, shown) = t.checklists_to_show(1_500.0, &re);
    recorded.extend(shown.into_iter().map(|(n, p)| (n, p, 1_500.0)));
    let (r, _) = t.checklists_on_event("Board Created", "{}", 2_000.0, &re);
    recorded.extend(r.into_iter().map(|(n, p)| (n, p, 2_000.0)));
    let r = t
        .checklist_complete("onboarding", "tour", true, 3_000.0)
        .unwrap();
    recorded.extend(r.into_iter().map(|(n, p)| (n, p, 3_000.0)));
    // Another checklist's events and noise are ignored.
    let mut other = Map::new();
    other.set("checklist_id", "other".into());
    other.set("step_id", "board".into());
    recorded.push(("Checklist Step Completed", other, 500.0));

    // In any order (the collector reads them by time; ties in any order).
    let mut rebuilt = Progress::from_events(
        "onboarding",
        recorded.iter().rev().map(|(n, p, at)| (*n, p, *at)),
    );
    rebuilt.steps.sort_by(|a, b| a.id.cmp(&b.id));
    let mut browser = t.checklist_progress("onboarding").unwrap();
    browser.open = None; // a per-device choice, not rebuilt
                         // The browser knows when the page was seen (1,000); the events say when it completed.
    for s in &mut browser.steps {
        s.seen_ms = s.done_ms;
    }
    browser.steps.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(rebuilt, browser);
    assert_eq!(rebuilt.completed_ms, 3_000.0);
}

/// Another device's progress arrives: it is merged in, and a step seen here that it unlocks
/// completes (its event recorded here); a step done there is not recorded again.
#[cfg(feature = "checklists")]
#[test]
fn state_from_another_device_merges_and_unlocks_what_waited_here() {
    use crate::regex::RegressEngine;
    let cfg = r#"{"checklists": {"onboarding": {
        "text": {"en": {"title": "Get started"}}, "order": "ordered",
        "steps": [{"id": "signup", "event": "Signed Up"}, {"id": "card", "event": "Card Created"}]}}}"#;
    let store = MemoryStore::default();
    let re = RegressEngine::default();
    let mut t = tab(&store, "a", cfg);
    assert_eq!(t.remote_identity(), None);
    t.record(
        Call::Identify {
            user_id: Some("u-1".into()),
            traits: Map::new(),
        },
        "m1",
        1.0,
    )
    .unwrap();
    t.set_user_hash(Some("abc"));
    assert_eq!(t.remote_identity(), Some(("u-1".into(), "abc".into())));
    // Here: a card created, waiting for sign-up (ordered).
    let (r, _) = t.checklists_on_event("Card Created", "{}", 10.0, &re);
    assert!(r.is_empty());
    // There: signed up, and a survey answered.
    let mut theirs = Map::new();
    theirs.set(
        "onboarding",
        serde_json::from_str::<Value>(r#"{"steps": {"signup": [5, 5, "event"]}, "shown": 4}"#)
            .unwrap(),
    );
    let (records, changed) = t.merge_remote(&theirs, "0||nps:3:6:0", 20.0);
    let names: Vec<(&str, Option<&str>)> = records
        .iter()
        .map(|(n, p)| (*n, p.get("step_id").and_then(Value::as_str)))
        .collect();
    assert_eq!(
        names,
        [
            ("Checklist Step Completed", Some("card")),
            ("Checklist Completed", None)
        ],
        "signup is not recorded again here"
    );
    assert_eq!(changed, ["onboarding"]);
    assert_eq!(t.history().marks("nps").answered_ms, 6.0);
    t.set_user_hash(None);
    assert_eq!(t.remote_identity(), None);
}
