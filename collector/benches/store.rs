//! SQLite's batched-insert ceiling on this machine, without HTTP:
//! `cargo bench -p engagekit-collector --bench store`.
//!
//! Events shaped as the browser module sends them (the same shape `npm run bench` posts to
//! the running collector) go through the collector's own store code, `Store::insert_batch`:
//! the real schema and indexes, WAL mode, `synchronous=NORMAL`, one transaction per batch,
//! `INSERT OR IGNORE` on `(write_key, message_id)`, on the blocking pool of a tokio runtime
//! as the collector runs it. Each batch size runs for `ENGAGEKIT_BENCH_SECS` seconds
//! (default 2) on a fresh file; only the inserts are timed, not building the events.

use std::hint::black_box;
use std::time::{Duration, Instant};

use engagekit_collector::store::{NewEvent, Store};
use serde_json::json;

fn event(n: u64) -> NewEvent {
    let message_id = format!("store-bench-{n}");
    let anonymous_id = format!("anon-{}", n % 5000);
    let timestamp = format!("2025-01-01T00:00:{:02}.{:03}Z", (n / 1000) % 60, n % 1000);
    let body = json!({
        "type": "track",
        "event": "Plan Selected",
        "properties": {"plan": "pro", "seats": 5, "source": "pricing", "n": n},
        "anonymousId": anonymous_id,
        "messageId": message_id,
        "timestamp": timestamp,
        "context": {
            "library": {"name": "engagekit", "version": "0.1.0"},
            "page": {
                "url": "https://www.example.com/pricing?utm_source=newsletter",
                "path": "/pricing",
                "title": "Pricing: Acme Boards",
                "referrer": "https://www.example.com/",
                "search": "?utm_source=newsletter"
            },
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
            "locale": "en-US",
            "timezone": "Europe/Paris",
            "screen": {"width": 1920, "height": 1080},
            "campaign": {"source": "newsletter"},
            "sessionId": 1_735_689_600_000_u64
        }
    });
    NewEvent {
        message_id,
        kind: "track".into(),
        event: Some("Plan Selected".into()),
        anonymous_id: Some(anonymous_id),
        user_id: None,
        timestamp: Some(timestamp),
        json: body.to_string(),
    }
}

fn main() {
    let secs = std::env::var("ENGAGEKIT_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(2.0);
    let budget = Duration::from_secs_f64(secs);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bytes = event(0).json.len();
    println!("store: Store::insert_batch, one transaction per batch, events of {bytes} bytes of JSON, {secs} s per line");
    let mut next = 0u64;
    for batch in [1u64, 20, 100, 1000] {
        let store = Store::open(&dir.path().join(format!("store-{batch}.db"))).expect("open store");
        let mut spent = Duration::ZERO;
        let mut stored = 0u64;
        let wall = Instant::now();
        while wall.elapsed() < budget {
            let events: Vec<NewEvent> = (next..next + batch).map(event).collect();
            next += batch;
            let start = Instant::now();
            let inserted = runtime
                .block_on(store.insert_batch("bench".into(), events, 0))
                .expect("insert");
            spent += start.elapsed();
            stored += black_box(inserted.accepted) as u64;
        }
        let per_sec = stored as f64 / spent.as_secs_f64();
        println!(
            "store: {batch:>4} events per transaction: {per_sec:>9.0} events/s ({stored} events stored, {:.0} µs per transaction)",
            spent.as_secs_f64() * 1e6 * batch as f64 / stored.max(1) as f64
        );
    }
}
