//! Property-based tests of the collector's request parsing (issue 11): Segment batches, the
//! loader's beacon of early calls, and site configs published over the admin API, each a
//! valid document with parts replaced by hostile JSON, or its text cut and spliced. Nothing
//! may answer 5xx (a bad request is the client's, and says what is wrong), every answer is
//! JSON, and the collector still serves afterwards.
//!
//! Budget: `FUZZ_CASES` cases per property (default 128: `npm test`; `npm run fuzz` runs
//! many more).

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{TestApp, ADMIN_SECRET};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(128)
}

const NASTY: &[&str] = &[
    "",
    "demo",
    "track",
    "page",
    "identify",
    "_pv",
    "Signed Up",
    "</script><svg onload=alert(1)>",
    "\u{0}",
    "\u{FFFD}",
    "2025-01-01T00:00:00.000Z",
    "2025-13-45T99:99:99Z",
    "not a date",
    "granted",
    "denied",
    "(a+)+$",
    "(?:)(a)|\\2",
    "$regex",
    "$and",
    "__proto__",
    "https://shop.test/?a=%E0%A4%A&utm_source=x",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(NASTY).prop_map(str::to_owned),
        2 => "\\PC{0,16}",
        1 => (proptest::sample::select(NASTY), 1usize..2_000).prop_map(|(s, n)| s.repeat(n)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn paths(v: &Value, at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(at.clone());
    let children: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(m) => m.values().collect(),
        _ => return,
    };
    for (i, c) in children.into_iter().enumerate() {
        at.push(i);
        paths(c, at, out);
        at.pop();
    }
}

fn node_mut<'v>(v: &'v mut Value, path: &[usize]) -> &'v mut Value {
    let Some((&first, rest)) = path.split_first() else {
        return v;
    };
    match v {
        Value::Array(a) => node_mut(&mut a[first], rest),
        Value::Object(m) => node_mut(m.values_mut().nth(first).unwrap(), rest),
        _ => unreachable!(),
    }
}

/// How a request body is spoiled.
#[derive(Debug, Clone)]
enum Spoil {
    /// Nodes replaced by hostile values.
    Replace(Vec<(Index, Value)>),
    /// The text cut at a point, with something spliced in.
    Splice(Index, String),
}

fn spoil() -> impl Strategy<Value = Spoil> {
    prop_oneof![
        3 => prop::collection::vec((any::<Index>(), value()), 1..5).prop_map(Spoil::Replace),
        1 => (any::<Index>(), prop_oneof![text(), Just("\\ud800".to_owned()), Just("\"".to_owned())])
            .prop_map(|(at, s)| Spoil::Splice(at, s)),
    ]
}

fn spoiled(doc: &Value, how: &Spoil) -> String {
    match how {
        Spoil::Replace(list) => {
            let mut doc = doc.clone();
            for (at, with) in list {
                let mut all = Vec::new();
                paths(&doc, &mut Vec::new(), &mut all);
                let path = at.get(&all).clone();
                *node_mut(&mut doc, &path) = with.clone();
            }
            doc.to_string()
        }
        Spoil::Splice(at, with) => {
            let text = doc.to_string();
            let mut cut = at.index(text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}{with}{}", &text[..cut], &text[cut..])
        }
    }
}

fn batch() -> Value {
    json!({"writeKey": "demo", "sentAt": "2025-01-01T00:00:01.000Z", "dropped": 2, "batch": [
        {"type": "track", "event": "Signed Up", "messageId": "m1", "anonymousId": "a1",
         "properties": {"plan": "pro", "n": 1.5}, "timestamp": "2025-01-01T00:00:00.000Z",
         "context": {"page": {"url": "https://shop.test/", "path": "/"}, "library": {"name": "engagekit"}}},
        {"type": "page", "name": "Home", "messageId": "m2", "anonymousId": "a1", "userId": "u1",
         "properties": {}, "timestamp": "2025-01-01T00:00:00.000Z"},
        {"type": "identify", "messageId": "m3", "anonymousId": "a1", "userId": "u1",
         "traits": {"email": "a@b.test"}, "timestamp": "2025-01-01T00:00:00.000Z"}]})
}

fn calls() -> Value {
    json!({"writeKey": "demo", "anonymousId": "anon-early", "consent": "granted",
        "page": {"url": "https://shop.test/pricing?utm_source=news", "title": "Pricing", "referrer": ""},
        "calls": [["_pv", [], 1_700_000_000_000u64, "pv1"],
                  ["track", ["Plan Selected", {"plan": "pro"}], 1_700_000_000_050u64, "c1"],
                  ["identify", ["u-9", {"email": "a@b.test"}], 1_700_000_000_060u64, "c2"],
                  ["consent", ["denied"], 1_700_000_000_070u64, "c3"]]})
}

fn site_config() -> Value {
    json!({"config": {"tracking": {"flushAt": 5}, "content": {"goal": "Signed Up", "slots": {
        "hero": {"rules": [{"if": {"query.ref": {"$regex": "^news"}}, "variant": "b"}]}}},
        "checklists": {"tour": {"text": {"en": {"title": "Tour"}},
            "steps": [{"id": "a", "event": "Signed Up"}, {"id": "b", "manual": true}]}}},
        "acknowledgeWarnings": true})
}

fn request(uri: &str, method: &str, body: String) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN_SECRET}"))
        .body(Body::from(body))
        .unwrap()
}

#[test]
fn hostile_batches_calls_and_configs_get_a_clear_answer_never_a_server_error() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let t = TestApp::new();
    let targets = [
        ("/v1/batch", "POST", batch()),
        ("/v1/calls", "POST", calls()),
        ("/api/config?writeKey=fuzzed", "PUT", site_config()),
    ];
    let mut runner = TestRunner::new(RunnerConfig {
        cases: cases(),
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let strategy = (0..targets.len(), spoil());
    let started = std::time::Instant::now();
    runner
        .run(&strategy, |(i, how)| {
            let (uri, method, doc) = &targets[i];
            let body = spoiled(doc, &how);
            let r = rt.block_on(t.send(request(uri, method, body.clone())));
            prop_assert!(
                !r.status.is_server_error(),
                "{method} {uri} answered {} to {body}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
            let answer: Result<Value, _> = serde_json::from_slice(&r.body);
            prop_assert!(answer.is_ok(), "{method} {uri}: not JSON: {:?}", r.body);
            Ok::<(), TestCaseError>(())
        })
        .unwrap();
    println!(
        "fuzz collector: {} cases in {:.1?}",
        cases(),
        started.elapsed()
    );
    let health = rt.block_on(t.get("/v1/health"));
    assert_eq!(health.status, StatusCode::OK);
    let stats = rt.block_on(t.get("/api/stats?writeKey=demo"));
    assert_eq!(stats.status, StatusCode::OK);
}
