//! How much a page call costs the core, natively: `cargo bench --bench tracking`.
//!
//! Recording a `track` (the event's JSON assembled, the queue appended) at queue lengths 0,
//! 100 and 1,000; the write-behind that follows a task (one new chunk, whatever the queue
//! holds); starting a batch and applying its answer (the batching policy); and the engagement
//! score. Storage is an in-memory map with localStorage's interface. Each figure is measured
//! for about a second on one core; the browser's own costs (JS ↔ wasm, JSON.stringify,
//! localStorage) are in `npm run bench`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use engagekit::config::{Config, ScoreConfig};
use engagekit::context::PageInfo;
use engagekit::event::Call;
use engagekit::json::{Map, Value};
use engagekit::regex::RegressEngine;
use engagekit::score::Points;
use engagekit::tracker::{MemoryStore, Tracker};

/// Calls per second of `step`, run in batches for `budget`.
fn per_second(budget: Duration, mut step: impl FnMut(u64)) -> f64 {
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < budget {
        for _ in 0..100 {
            step(calls);
            calls += 1;
        }
    }
    calls as f64 / start.elapsed().as_secs_f64()
}

fn tracker(max_events: u32) -> Tracker {
    let text = format!(
        r#"{{"tracking":{{"flushAt":1000000,"flushIntervalMs":1000000000,"maxQueueEvents":{max_events},"maxQueueBytes":100000000}},
            "score":{{"weights":{{"Signed Up":30,"Page Viewed":1}}}}}}"#
    );
    let v: Value = serde_json::from_str(&text).expect("valid");
    let (config, problems) = Config::from_value(&v, &RegressEngine::default());
    assert!(problems.is_empty(), "{problems:?}");
    let mut t = Tracker::new(
        "key",
        config,
        "tab",
        Box::new(MemoryStore::default()),
        false,
        "anon".into(),
    );
    t.set_page(PageInfo {
        url: "https://shop.example.com/pricing?utm_source=newsletter".into(),
        path: "/pricing".into(),
        search: "?utm_source=newsletter".into(),
        title: "Pricing".into(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0".into(),
        locale: "en-GB".into(),
        timezone: "Europe/London".into(),
        screen: (1920.0, 1080.0, 1.0),
        ..PageInfo::default()
    });
    t
}

const PROPS: &str = r#"{"plan":"pro","price":49.5,"seats":5,"coupon":null}"#;

fn track(t: &mut Tracker, i: u64) {
    let call = Call::Track {
        event: "Plan Selected".into(),
        properties: PROPS.into(),
    };
    let id = format!("m{i:012}");
    black_box(t.record(call, &id, 1_000.0 + i as f64).ok());
}

fn main() {
    let budget = Duration::from_millis(1000);
    println!(
        "tracking core, natively (one core; {} ms per figure)",
        budget.as_millis()
    );
    for queued in [0u64, 100, 1_000] {
        // The queue holds `queued` events (the bound keeps it there): each call appends one
        // and drops the oldest, so the length stays put while calls are timed.
        let mut t = tracker(queued.max(1) as u32);
        for i in 0..queued {
            track(&mut t, i);
        }
        t.persist(1_000.0);
        let rate = per_second(budget, |i| track(&mut t, queued + i));
        println!(
            "  record a track at {queued:>5} queued: {:>8.2} µs per call",
            1e6 / rate
        );
    }
    for queued in [0u64, 1_000] {
        let mut t = tracker(2_000);
        for i in 0..queued {
            track(&mut t, i);
        }
        t.persist(1_000.0);
        let rate = per_second(budget, |i| {
            track(&mut t, queued + i);
            t.persist(1_000.0 + i as f64);
            if t.debug().get("queued").and_then(Value::as_f64) > Some(1_500.0) {
                let req = t.flush_request(2_000.0).expect("events wait");
                t.settle(&req, Some(200), None, 0.5, 2_000.0);
            }
        });
        println!(
            "  record + persist (one task, one call) at {queued:>5} queued: {:>8.2} µs",
            1e6 / rate
        );
    }
    let mut t = tracker(1_000);
    let mut n = 0u64;
    let rate = per_second(budget, |i| {
        for k in 0..20 {
            track(&mut t, i * 20 + k);
        }
        let req = t.flush_request(5_000.0).expect("20 events wait");
        n += req.ids.len() as u64;
        t.settle(&req, Some(200), None, 0.5, 5_000.0);
        t.persist(5_000.0);
    });
    black_box(n);
    println!(
        "  batching: 20 tracks, a batch started and acknowledged, persisted: {:>8.2} µs per round",
        1e6 / rate
    );
    let cfg = ScoreConfig {
        weights: {
            let mut w = Map::new();
            w.insert("Signed Up".into(), Value::Number(30.0));
            w
        },
        ..ScoreConfig::default()
    };
    let mut p = Points::default();
    let rate = per_second(budget, |i| {
        p = p.record("Signed Up", i as f64 * 1_000.0, &cfg);
        black_box(p.score(i as f64 * 1_000.0 + 1.0, &cfg));
    });
    println!(
        "  score: record + read with decay: {:>8.1} million/s",
        rate / 1e6
    );
}
