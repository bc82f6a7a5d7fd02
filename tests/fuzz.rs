//! Property-based tests over every core function that reads untrusted input (issue 11): site
//! configs, audience conditions, stored state, calls and events from the page, the
//! collector's answers, the loader's record of early calls. Generated inputs are hostile on
//! purpose: markup and script in strings, lone operators, numbers at the edges of f64, deep
//! nesting, patterns known to backtrack, storage rewritten by another tab or by hand.
//!
//! Every property runs in a thread with a 1 MiB stack, the wasm's, so unbounded recursion
//! fails here as it would trap in the browser. The properties: nothing panics or overflows;
//! every request body is valid JSON; decoding what was encoded gives it back.
//!
//! Budget: `FUZZ_CASES` cases per property (default 256: `npm test`). `npm run fuzz` runs the
//! `fuzz` profile (release with overflow checks and debug assertions) with many more and
//! sets `FUZZ_SLOW_MS`, failing on any condition evaluation or config read slower than that.
#![cfg(not(target_arch = "wasm32"))]

use std::time::{Duration, Instant};

use engagekit::batch::{self, Queue};
use engagekit::checklist::Progress;
use engagekit::condition::{eval_condition, validate_condition};
use engagekit::config::Config;
use engagekit::consent::Consent;
use engagekit::context::{self, PageInfo};
use engagekit::early;
use engagekit::json::{Map, Value, MAX_DEPTH};
use engagekit::regex::RegressEngine;
use engagekit::session;
use engagekit::survey::History;
use engagekit::tracker::{MemoryStore, Store, Tracker};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};

// ---- the budget ---------------------------------------------------------------------------

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

/// The slowest a single evaluation may be, when `npm run fuzz` sets it (debug builds are too
/// slow for a fair bound).
fn slow_limit() -> Option<Duration> {
    std::env::var("FUZZ_SLOW_MS")
        .ok()
        .and_then(|n| n.parse().ok())
        .map(Duration::from_millis)
}

/// Runs `check` on `cases()` inputs from the strategy `make` gives, in a thread with the
/// wasm's 1 MiB stack, printing how many ran and how long they took.
fn run<S, F>(name: &'static str, make: impl FnOnce() -> S + Send + 'static, check: F)
where
    S: Strategy,
    S::Value: std::fmt::Debug,
    F: Fn(S::Value) -> Result<(), TestCaseError> + Send + 'static,
{
    let n = cases();
    let handle = std::thread::Builder::new()
        .name(name.into())
        .stack_size(1 << 20)
        .spawn(move || {
            let mut runner = TestRunner::new(RunnerConfig {
                cases: n,
                failure_persistence: None,
                ..RunnerConfig::default()
            });
            let started = Instant::now();
            let result = runner.run(&make(), check).map_err(|e| e.to_string());
            println!("fuzz {name}: {n} cases in {:.1?}", started.elapsed());
            result
        })
        .unwrap();
    match handle.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{name}: {e}"),
        Err(_) => panic!("{name}: panicked (see above)"),
    }
}

/// Fails the case when `f` took longer than `FUZZ_SLOW_MS`.
fn timed<T>(
    what: &str,
    input: &dyn std::fmt::Debug,
    f: impl FnOnce() -> T,
) -> Result<T, TestCaseError> {
    let started = Instant::now();
    let out = f();
    if let Some(limit) = slow_limit() {
        let took = started.elapsed();
        prop_assert!(
            took <= limit,
            "{what} took {took:?} (limit {limit:?}) on {input:?}"
        );
    }
    Ok(out)
}

// ---- hostile values -----------------------------------------------------------------------

/// Strings a hostile page, config or storage might hold.
const NASTY: &[&str] = &[
    "",
    " ",
    "a",
    "Signed Up",
    "Page Viewed",
    "Card Moved",
    "</script><img src=x onerror=alert(1)>",
    "<b onmouseover=alert(1)>",
    "javascript:alert(1)",
    "\u{0}",
    "\u{FFFD}",
    "\u{202E}rtl",
    "😀👍🏽",
    "1.2.3",
    "v1.10.0-beta.1",
    "2",
    "-0",
    "1e309",
    "NaN",
    "__proto__",
    "constructor",
    "$and",
    "$regex",
    "^/app",
    "(a+)+$",
    "(a|aa)*b",
    "(?:)(a)|\\2",
    "[",
    "\\",
    "(?<n>a)\\k<n>",
    "%",
    "%E0%A4%A",
    "?utm_source=x&utm_source=y&a",
    "https://example.com/app.html?view=reports#x",
    "aaaaaaaaaaaaaaaaaaaaaaaa!",
    "!18446744073709551615",
    "!99999999999999999999999",
    "id|1|{}",
    "\n\n|||\n",
    "onboarding",
    "signup",
    "demo-nps",
    "hero",
    "granted",
    "denied",
];

/// Keys: config fields, condition operators, attribute names, anything.
const KEYS: &[&str] = &[
    "tracking",
    "privacy",
    "score",
    "audience",
    "content",
    "slots",
    "surveys",
    "prompts",
    "checklists",
    "experiments",
    "steps",
    "id",
    "if",
    "event",
    "where",
    "page",
    "after",
    "manual",
    "href",
    "text",
    "en",
    "fr",
    "title",
    "variants",
    "weights",
    "rules",
    "triggers",
    "sample",
    "delayMs",
    "scrollPercent",
    "experiment",
    "variations",
    "key",
    "goal",
    "variant",
    "maxPerWeek",
    "minGapHours",
    "flushAt",
    "maxQueueEvents",
    "maxQueueBytes",
    "weights",
    "halfLifeDays",
    "tiers",
    "savedGroups",
    "$and",
    "$or",
    "$nor",
    "$not",
    "$eq",
    "$ne",
    "$lt",
    "$lte",
    "$gt",
    "$gte",
    "$in",
    "$nin",
    "$all",
    "$size",
    "$elemMatch",
    "$exists",
    "$type",
    "$regex",
    "$regexi",
    "$ini",
    "$nini",
    "$alli",
    "$veq",
    "$vne",
    "$vgt",
    "$vgte",
    "$vlt",
    "$vlte",
    "$inGroup",
    "$notInGroup",
    "path",
    "url",
    "query.ref",
    "plan",
    "score",
    "tier",
    "country",
    "a.b.c",
    "",
    "__proto__",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(NASTY).prop_map(str::to_owned),
        2 => "\\PC{0,24}",
        1 => ".{0,8}",
        1 => (proptest::sample::select(NASTY), 1usize..400).prop_map(|(s, n)| s.repeat(n)),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => text(),
    ]
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        proptest::sample::select(
            &[
                0.0,
                -0.0,
                1.0,
                -1.0,
                0.5,
                2.0,
                10.0,
                100.0,
                1e308,
                -1e308,
                9007199254740993.0,
                5e-324,
                4294967296.0,
                0.33599999999999997,
            ][..]
        ),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |n| n.is_finite()),
        (-1000i32..1000).prop_map(f64::from),
    ]
}

/// Any JSON value, at most 6 levels deep and 64 nodes.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number().prop_map(Value::Number),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k, v);
                }
                Value::Object(m)
            }),
        ]
    })
}

/// A value nested `depth` levels by one of the shapes hostile configs use.
fn deep(shape: u8, depth: usize) -> Value {
    let obj = |k: &str, v: Value| {
        let mut m = Map::new();
        m.insert(k.to_owned(), v);
        Value::Object(m)
    };
    let mut v = Value::from("x");
    for _ in 0..depth {
        v = match shape % 5 {
            0 => obj("$not", v),
            1 => obj("$and", Value::Array(vec![v])),
            2 => obj("a", obj("$elemMatch", v)),
            3 => Value::Array(vec![v]),
            _ => obj("a", v),
        };
    }
    v
}

/// Deep enough to pass every bound, deeper than any input can be: 1,000 levels.
fn deep_value() -> impl Strategy<Value = Value> {
    (any::<u8>(), 1usize..1_000).prop_map(|(shape, depth)| deep(shape, depth))
}

/// As deep as a document can arrive: the browser refuses data nested deeper than
/// [`MAX_DEPTH`] (web::interop) and the collector's JSON parser does too.
fn deep_document_part() -> impl Strategy<Value = Value> {
    (any::<u8>(), 1usize..=MAX_DEPTH - 8).prop_map(|(shape, depth)| deep(shape, depth))
}

fn object_of(entries: Vec<(String, Value)>) -> Map {
    let mut m = Map::new();
    for (k, v) in entries {
        m.insert(k, v);
    }
    m
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Valid configs to mutate: the demo site's, and one with every kind of widget.
fn base_configs() -> Vec<Value> {
    let demo: Value = json(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.json"),
        )
        .unwrap(),
    );
    let site = demo.as_object().unwrap().iter().next().unwrap().1.clone();
    let full = json(
        r#"{
        "tracking": {"flushAt": 2, "maxQueueEvents": 20, "autocapture": {"pageviews": true, "clicks": true}},
        "privacy": {"requireConsent": false},
        "score": {"weights": {"Signed Up": 30, "Page Viewed": 1}, "halfLifeDays": 7},
        "audience": {"savedGroups": {"vip": ["u-1"]}, "tiers": {"mid": 30, "high": 60}},
        "content": {"goal": "Signed Up", "slots": {
            "hero": {"rules": [{"if": {"score": {"$gte": 10}}, "variant": "b"}]},
            "cta": {"experiment": {"key": "cta", "variations": ["a", "b", "c"],
                "weights": [0.33599999999999997, 0.12, 0.54400000000000004]}}}},
        "surveys": {"nps": {"text": {"en": {"question": "How likely?", "low": "No", "high": "Yes", "thanks": "Thanks"}},
            "if": {"counts.Page Viewed": {"$gte": 1}}, "triggers": [{"event": "Signed Up", "where": {"plan": "pro"}}, {"scrollPercent": 50}, {"delayMs": 0}],
            "sample": 1, "resurveyDays": 90}},
        "prompts": {"maxPerWeek": 2, "minGapHours": 0},
        "checklists": {"tour": {"text": {"en": {"title": "Tour"}}, "order": "ordered", "autoOpen": true,
            "steps": [{"id": "a", "event": "Signed Up", "where": {"plan": {"$regex": "^p"}}},
                      {"id": "b", "page": {"path": {"$regex": "^/app"}}, "after": ["a"]},
                      {"id": "c", "manual": true}]}}
    }"#,
    );
    vec![site, full]
}

/// Every node of `v` down to 8 levels, by path of indices, for mutation (so a document stays
/// within [`MAX_DEPTH`] however its mutations land).
fn paths(v: &Value, at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(at.clone());
    if at.len() >= 8 {
        return;
    }
    let children: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(m) => m.iter().map(|(_, v)| v).collect(),
        _ => return,
    };
    for (i, c) in children.into_iter().enumerate() {
        at.push(i);
        paths(c, at, out);
        at.pop();
    }
}

/// `v` with the node at `path` replaced by `with`.
fn replaced(v: &Value, path: &[usize], with: Value) -> Value {
    let Some((&first, rest)) = path.split_first() else {
        return with;
    };
    match v {
        Value::Array(a) => {
            let mut a = a.clone();
            a[first] = replaced(&a[first], rest, with);
            Value::Array(a)
        }
        Value::Object(m) => {
            let mut out = Map::new();
            for (i, (k, item)) in m.iter().enumerate() {
                let item = if i == first {
                    replaced(item, rest, with.clone())
                } else {
                    item.clone()
                };
                out.insert(k.clone(), item);
            }
            Value::Object(out)
        }
        _ => unreachable!(),
    }
}

/// A valid config with a few nodes replaced by hostile values.
fn config_doc() -> impl Strategy<Value = Value> {
    let mutation = (
        any::<Index>(),
        prop_oneof![4 => value(), 1 => deep_document_part()],
    );
    (
        proptest::sample::select(base_configs()),
        prop::collection::vec(mutation, 0..5),
    )
        .prop_map(|(mut doc, mutations)| {
            for (at, with) in mutations {
                let mut all = Vec::new();
                paths(&doc, &mut Vec::new(), &mut all);
                let path = at.get(&all).clone();
                doc = replaced(&doc, &path, with);
            }
            doc
        })
}

// ---- a tracker over hostile storage ---------------------------------------------------------

/// Storage keys the tracker reads, and what another tab or a hand might leave in them.
const STORED_KEYS: &[&str] = &[
    "engagekit:anonymousId",
    "engagekit:userId",
    "engagekit:traits",
    "engagekit:session",
    "engagekit:consent",
    "engagekit:score",
    "engagekit:prompts",
    "engagekit:checklists",
    "engagekit:userHash",
    "engagekit:counts",
    "engagekit:queue:t1:0",
    "engagekit:queue:t1:1",
    "engagekit:queue:orphan:0",
    "engagekit:queue:orphan:x",
    "engagekit:alive:orphan",
    "engagekit:early",
];

fn stored_text() -> impl Strategy<Value = String> {
    prop_oneof![
        text(),
        value().prop_map(|v| serde_json::to_string(&v).unwrap()),
        // Queue lines: `id|at|json` and `!dropped`.
        prop::collection::vec(
            prop_oneof![
                (text(), any::<u64>(), value()).prop_map(|(id, at, v)| format!(
                    "{id}|{at}|{}",
                    serde_json::to_string(&v).unwrap()
                )),
                any::<u64>().prop_map(|n| format!("!{n}")),
                text(),
            ],
            0..6
        )
        .prop_map(|lines| lines.join("\n")),
        // Survey history and sessions: `id:n:n:n` fields.
        prop::collection::vec((text(), any::<u64>(), any::<i64>()), 0..4).prop_map(|f| f
            .iter()
            .map(|(a, b, c)| format!("{a}:{b}:{c}:{b}"))
            .collect::<Vec<_>>()
            .join(";")),
    ]
}

fn storage() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            proptest::sample::select(STORED_KEYS).prop_map(str::to_owned),
            stored_text(),
        ),
        0..6,
    )
}

/// One thing a page, a visitor or the network does.
#[derive(Debug, Clone)]
enum Op {
    Track(String, Value),
    Page(String, String),
    Identify(Option<String>, Value, Option<String>),
    Consent(String),
    Persist,
    Send { status: Option<u16>, retry: String },
    Unload,
    Adopt,
    Decide(String),
    Complete(String, String, bool),
    Survey(String, bool),
    Answer(u8, String),
    Scroll(f64),
    Remote(Value, String),
    Toggle(String, bool),
    Wait(u32),
    Reset,
    Forget,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (text(), value()).prop_map(|(n, p)| Op::Track(n, p)),
        2 => (text(), text()).prop_map(|(u, t)| Op::Page(u, t)),
        1 => (proptest::option::of(text()), value(), proptest::option::of(text()))
            .prop_map(|(u, t, h)| Op::Identify(u, t, h)),
        1 => text().prop_map(Op::Consent),
        2 => Just(Op::Persist),
        3 => (proptest::option::of(any::<u16>()), text()).prop_map(|(status, retry)| Op::Send { status, retry }),
        1 => Just(Op::Unload),
        1 => Just(Op::Adopt),
        1 => text().prop_map(Op::Decide),
        1 => (text(), text(), any::<bool>()).prop_map(|(c, s, v)| Op::Complete(c, s, v)),
        1 => (text(), any::<bool>()).prop_map(|(s, f)| Op::Survey(s, f)),
        1 => (any::<u8>(), text()).prop_map(|(n, c)| Op::Answer(n, c)),
        1 => number().prop_map(Op::Scroll),
        1 => (value(), text()).prop_map(|(v, s)| Op::Remote(v, s)),
        1 => (text(), any::<bool>()).prop_map(|(c, o)| Op::Toggle(c, o)),
        2 => any::<u32>().prop_map(Op::Wait),
        1 => Just(Op::Reset),
        1 => Just(Op::Forget),
    ]
}

fn page_at(url: &str, title: &str) -> PageInfo {
    let (path, search) = context::split_url(url);
    PageInfo {
        url: url.to_owned(),
        path: path.to_owned(),
        search: search.to_owned(),
        title: title.to_owned(),
        referrer: url.to_owned(),
        user_agent: title.to_owned(),
        locale: title.to_owned(),
        timezone: title.to_owned(),
        screen: (f64::MAX, -1.0, 0.0),
        query: Vec::new(),
    }
    .with_query()
}

fn to_json(v: &Value) -> String {
    let mut out = String::new();
    engagekit::json::write_value(&mut out, v);
    out
}

/// Every request body is JSON a collector can read.
fn check_body(body: &str) -> Result<(), TestCaseError> {
    let parsed: Result<serde_json::Value, _> = serde_json::from_str(body);
    prop_assert!(parsed.is_ok(), "request body is not JSON: {body}");
    Ok(())
}

fn drive(doc: Value, stored: Vec<(String, String)>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let re = RegressEngine::default();
    let (config, _) = Config::from_value(&doc, &re);
    let store = MemoryStore::default();
    for (k, v) in stored {
        store.clone().set(&k, &v);
    }
    let mut t = Tracker::new(
        "key",
        config,
        "t1",
        Box::new(store.clone()),
        false,
        "anon".into(),
    );
    let mut now = 1_700_000_000_000.0;
    let mut inflight = Vec::new();
    t.set_page(page_at("https://example.com/app.html?view=reports", "App"));
    for (i, op) in ops.into_iter().enumerate() {
        let id = format!("m{i}");
        match op {
            Op::Track(name, props) => {
                let props = match props {
                    Value::Object(m) => m,
                    other => object_of(vec![("v".into(), other)]),
                };
                let _ = t.record_track(&name, &props, &id, now);
                let text = to_json(&Value::Object(props));
                let _ = t.checklists_on_event(&name, &text, now, &re);
                let _ = t.surveys_for_event(&name, &text, &re);
            }
            Op::Page(url, title) => {
                if t.is_new_page(&url) {
                    t.set_page(page_at(&url, &title));
                    t.surveys_on_page_view(now);
                    t.checklists_on_page_view();
                    let _ = t.checklists_on_page(now, &re);
                }
                let _ = t.record(
                    engagekit::event::Call::Page {
                        name: Some(title),
                        properties: Map::new(),
                    },
                    &id,
                    now,
                );
            }
            Op::Identify(user, traits, hash) => {
                let traits = match traits {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                let _ = t.record(
                    engagekit::event::Call::Identify {
                        user_id: user,
                        traits,
                    },
                    &id,
                    now,
                );
                t.set_user_hash(hash.as_deref());
                let _ = t.remote_identity();
            }
            Op::Consent(choice) => {
                if let Some(c) = Consent::parse(&choice) {
                    t.set_consent(c, now);
                    t.checklists_consented();
                }
            }
            Op::Persist => t.persist(now),
            Op::Send { status, retry } => {
                if let Some(r) = t.next_request(now).or_else(|| t.flush_request(now)) {
                    check_body(&r.body)?;
                    inflight.push(r);
                }
                if let Some(r) = inflight.pop() {
                    let retry = batch::retry_after_ms(&retry, now, |_| None);
                    let _ = t.settle(&r, status, retry, 0.5, now);
                }
            }
            Op::Unload => {
                for r in t.unload_requests(now) {
                    check_body(&r.body)?;
                }
                t.persist(now);
                t.release();
                t.resume(now);
            }
            Op::Adopt => {
                let _ = t.adopt_orphans(now);
            }
            Op::Decide(slot) => {
                let _ = t.decide(&slot, now, &re, &|_| true, false);
                let _ = t.viewed(&slot);
                let _ = t.attributes(now);
            }
            Op::Complete(checklist, step, visitor) => {
                let _ = t.checklist_complete(&checklist, &step, visitor, now);
                let _ = t.checklists_to_show(now, &re);
                let _ = t.checklist_card(&checklist, visitor);
                let _ = t.checklist_dismissed(&checklist, now);
            }
            Op::Survey(id, force) => {
                let _ = t.show_survey(&id, force, id.clone(), now, &re);
                let _ = t.surveys_due(now);
            }
            Op::Answer(n, comment) => {
                use engagekit::tracker::Step;
                let _ = t.survey_step(Step::Answered(n), now);
                let _ = t.survey_step(Step::Comment(&comment), now);
                let _ = t.survey_step(Step::Dismissed(&comment), now);
                let _ = t.survey_step(Step::Closed, now);
            }
            Op::Scroll(percent) => {
                let _ = t.surveys_for_scroll(percent);
            }
            Op::Remote(checklists, surveys) => {
                let m = match checklists {
                    Value::Object(m) => m,
                    other => object_of(vec![("tour".into(), other)]),
                };
                let _ = t.merge_remote(&m, &surveys, now);
            }
            Op::Toggle(id, open) => {
                let _ = t.checklist_toggled(&id, open);
            }
            Op::Wait(ms) => {
                now += f64::from(ms);
                t.heartbeat(now);
                let _ = t.next_wake();
            }
            Op::Reset => t.reset(format!("fresh{i}")),
            Op::Forget => t.forget(format!("forgotten{i}")),
        }
        let _ = t.debug();
        let _ = t.score(now);
        let _ = t.echoed();
    }
    Ok(())
}

// ---- the properties ---------------------------------------------------------------------------

#[test]
fn configs_are_read_without_panics_and_every_problem_has_a_message() {
    run("config", config_doc, |doc| {
        let (_, problems) = timed("Config::from_value", &doc, || {
            Config::from_value(&doc, &RegressEngine::default())
        })?;
        for p in problems {
            prop_assert!(!p.text().is_empty());
        }
        Ok(())
    });
}

/// Containers nested in `v`.
fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

/// What the collector serves the browser (config::compact): read back through JSON text it
/// is the config as read; tampered with anywhere, it is read without a panic.
#[test]
fn compiled_configs_read_back_as_read_and_tampered_ones_never_panic() {
    let make = || {
        (
            config_doc(),
            any::<Index>(),
            prop_oneof![4 => value(), 1 => deep_document_part()],
        )
    };
    run("compiled config", make, |(doc, at, with)| {
        let (config, _) = Config::from_value(&doc, &RegressEngine::default());
        let compiled = config.compile();
        // Never deeper than the document: the browser reads any value to the same depth.
        prop_assert!(depth(&compiled) <= depth(&doc).max(3));
        let back = Config::from_compiled(compiled.clone());
        let expected = Config {
            allowed_origins: None,
            ..config
        };
        prop_assert_eq!(back, Some(expected));
        let mut all = Vec::new();
        paths(&compiled, &mut Vec::new(), &mut all);
        let path: &Vec<usize> = at.get(&all);
        let tampered = replaced(&compiled, path, with);
        timed("Config::from_compiled", &tampered, || {
            Config::from_compiled(tampered.clone())
        })?;
        Ok(())
    });
}

#[test]
fn conditions_evaluate_and_validate_without_panics_or_runaway_time() {
    let make = || {
        (
            prop_oneof![3 => value(), 1 => deep_value()],
            value(),
            value(),
        )
    };
    run("condition", make, |(c, attrs, groups)| {
        let re = RegressEngine::default();
        let groups = match groups {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let once = timed("eval_condition", &(&c, &attrs), || {
            eval_condition(&c, &attrs, &groups, &re)
        })?;
        let _ = timed("validate_condition", &c, || validate_condition(&c, &re))?;
        prop_assert_eq!(
            once,
            eval_condition(&c, &attrs, &groups, &re),
            "deterministic"
        );
        Ok(())
    });
}

#[test]
fn a_tracker_over_hostile_config_storage_calls_and_answers_never_panics_and_sends_json() {
    run(
        "tracker",
        || (config_doc(), storage(), prop::collection::vec(op(), 1..24)),
        |(doc, stored, ops)| drive(doc, stored, ops),
    );
}

#[test]
fn stored_state_decodes_without_panics_and_round_trips() {
    run(
        "stored state",
        || {
            (
                stored_text(),
                prop::collection::vec((text(), stored_text()), 0..4),
                value(),
            )
        },
        |(text, chunks, v)| {
            let history = History::decode(&text);
            prop_assert_eq!(History::decode(&history.encode()), history);
            if let Some(s) = session::decode(&text) {
                prop_assert_eq!(session::decode(&session::encode(&s)), Some(s));
            }
            let _ = Consent::parse(&text);
            let progress = Progress::from_value(&v);
            prop_assert_eq!(Progress::from_value(&progress.to_value()), progress);
            let q = Queue::load(
                chunks
                    .into_iter()
                    .map(|(name, text)| (batch::chunk_number(&name), text))
                    .collect(),
            );
            prop_assert!(q.len() <= 1_000_000);
            let _ = q.ids().count();
            Ok(())
        },
    );
}

#[test]
fn page_urls_and_early_call_records_are_read_without_panics() {
    let make = || {
        let calls = prop::collection::vec((text(), value(), number(), text()), 0..6);
        (text(), (text(), value(), calls), value())
    };
    run(
        "page and early calls",
        make,
        |(url, (anon, page, calls), any)| {
            let (path, search) = context::split_url(&url);
            let _ = context::campaign(&context::query_pairs(search));
            let _ = context::decode_component(path);
            let _ = context::context(&page_at(&url, path));
            let mut m = Map::new();
            m.insert("anonymousId".into(), Value::String(anon));
            m.insert("page".into(), page);
            m.insert(
                "calls".into(),
                Value::Array(
                    calls
                        .into_iter()
                        .map(|(name, args, at, id)| {
                            Value::Array(vec![
                                Value::String(name),
                                args,
                                Value::Number(at),
                                Value::String(id),
                            ])
                        })
                        .collect(),
                ),
            );
            for v in [Value::Object(m), any] {
                if let Some(record) = early::read(&v, &to_json) {
                    let store = MemoryStore::default();
                    let mut t = Tracker::new(
                        "key",
                        Config::default(),
                        "t1",
                        Box::new(store),
                        false,
                        "anon".into(),
                    );
                    let _ = t.replay(record);
                    for r in t.unload_requests(1.0) {
                        check_body(&r.body)?;
                    }
                }
            }
            Ok(())
        },
    );
}

#[test]
fn answers_from_the_network_are_read_without_panics() {
    let make = || {
        (
            proptest::option::of(any::<u16>()),
            text(),
            any::<u32>(),
            number(),
        )
    };
    run("responses", make, |(status, retry, attempt, jitter)| {
        let _ = batch::outcome(status);
        let after = batch::retry_after_ms(&retry, 1_700_000_000_000.0, |_| Some(f64::MAX));
        let wait = batch::backoff_ms(attempt, jitter, after);
        prop_assert!(wait.is_finite() && wait >= 0.0, "backoff {wait}");
        Ok(())
    });
}

#[test]
fn the_configs_mutated_start_valid() {
    for doc in base_configs() {
        let (_, problems) = Config::from_value(&doc, &RegressEngine::default());
        assert!(
            problems.is_empty(),
            "{:?}",
            problems.iter().map(|p| p.text()).collect::<Vec<_>>()
        );
    }
}
