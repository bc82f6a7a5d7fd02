//! The product-team reports and dashboard: exposures, conversions after first exposure,
//! uplift and p-values from events posted through `/v1/batch`, goals from the site
//! config, auth, and the dashboard's files.

mod common;

use axum::http::{header, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

/// One track event from `anonymous_id` at `time` (ISO 8601) with `properties`.
fn at(id: &str, anonymous_id: &str, event: &str, time: &str, properties: Value) -> Value {
    json!({
        "type": "track",
        "event": event,
        "messageId": id,
        "anonymousId": anonymous_id,
        "properties": properties,
        "timestamp": time,
    })
}

fn viewed(id: &str, who: &str, time: &str, slot: &str, variant: &str) -> Value {
    at(
        id,
        who,
        "Content Viewed",
        time,
        json!({"slot": slot, "variant": variant, "reason": "experiment", "experiment": "hero-cta"}),
    )
}

fn goal(id: &str, who: &str, event: &str, time: &str) -> Value {
    at(id, who, event, time, json!({}))
}

fn exp(id: &str, who: &str, time: &str, experiment: &str, variation: &str, index: u32) -> Value {
    at(
        id,
        who,
        "Experiment Viewed",
        time,
        json!({"experiment_id": experiment, "variation_id": variation, "variation_index": index}),
    )
}

async fn post(t: &TestApp, key: &str, events: Vec<Value>) {
    t.post_events(key, &events).await;
}

async fn report(t: &TestApp, uri: &str) -> Value {
    let r = t.get(uri).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header(header::CONTENT_TYPE), Some("application/json"));
    r.json()
}

fn close(actual: &Value, expected: f64) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{actual} is not a number"));
    assert!((a - expected).abs() < 1e-12, "{a} != {expected}");
}

/// Four visitors see `default`, four see `bold`, on slot `hero` (goal `Trial Started`).
/// default: a1 converts after seeing; a2 converted only before; a3 never; a4 saw default
/// first and bold later, and converts never. → 1 of 4.
/// bold: b1 converts at the very moment of exposure; b2 converts twice after (counts once);
/// b3 converts ten minutes after, with its timestamp written in +02:00; b4 converted only
/// before and then did a different goal (`Signed Up`) after. → 3 of 4.
fn hero_events() -> Vec<Value> {
    vec![
        viewed("a1v", "a1", "2025-03-01T10:00:00.000Z", "hero", "default"),
        goal("a1g", "a1", "Trial Started", "2025-03-01T10:05:00.000Z"),
        goal("a2g", "a2", "Trial Started", "2025-03-01T09:00:00.000Z"),
        viewed("a2v", "a2", "2025-03-01T10:00:00.000Z", "hero", "default"),
        viewed("a3v", "a3", "2025-03-01T10:00:00.000Z", "hero", "default"),
        viewed("a4v", "a4", "2025-03-01T10:00:00.000Z", "hero", "default"),
        viewed("a4w", "a4", "2025-03-01T11:00:00.000Z", "hero", "bold"),
        viewed("a4x", "a4", "2025-03-01T12:00:00.000Z", "hero", "default"),
        viewed("b1v", "b1", "2025-03-01T10:00:00.000Z", "hero", "bold"),
        goal("b1g", "b1", "Trial Started", "2025-03-01T10:00:00.000Z"),
        viewed("b2v", "b2", "2025-03-01T10:00:00Z", "hero", "bold"),
        goal("b2g", "b2", "Trial Started", "2025-03-01T10:30:00.000Z"),
        goal("b2h", "b2", "Trial Started", "2025-03-01T11:00:00.000Z"),
        viewed("b3v", "b3", "2025-03-01T10:00:00.000Z", "hero", "bold"),
        goal(
            "b3g",
            "b3",
            "Trial Started",
            "2025-03-01T12:10:00.000+02:00",
        ),
        goal("b4g", "b4", "Trial Started", "2025-03-01T09:00:00.000Z"),
        viewed("b4v", "b4", "2025-03-01T10:00:00.000Z", "hero", "bold"),
        goal("b4h", "b4", "Signed Up", "2025-03-01T10:30:00.000Z"),
    ]
}

#[tokio::test]
async fn content_report_counts_first_exposures_and_conversions_after_them() {
    let t = TestApp::new();
    post(&t, "shop", hero_events()).await;
    let r = report(&t, "/api/reports/content?writeKey=shop").await;
    let slots = r["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 1, "{r}");
    let hero = &slots[0];
    assert_eq!(hero["slot"], "hero");
    assert_eq!(hero["goal"], "Trial Started");
    assert_eq!(hero["control"], "default");

    let control = &hero["variants"][0];
    assert_eq!(control["variant"], "default");
    assert_eq!(control["exposures"], 4);
    assert_eq!(control["conversions"], 1);
    close(&control["rate"], 0.25);
    assert_eq!(control["uplift"], Value::Null);
    assert_eq!(control["pValue"], Value::Null);
    assert_eq!(control["significant"], Value::Null);

    let bold = &hero["variants"][1];
    assert_eq!(bold["variant"], "bold");
    assert_eq!(bold["exposures"], 4);
    assert_eq!(bold["conversions"], 3);
    close(&bold["rate"], 0.75);
    // (0.75 − 0.25) / 0.25
    close(&bold["uplift"], 2.0);
    // Pooled p = 4/8 = 0.5; SE = √(0.5 · 0.5 · (1/4 + 1/4)) = √0.125; z = 0.5 / √0.125
    // = √2; two-sided p = erfc(√2 / √2) = erfc(1) = 0.157299207050285 (tables).
    close(&bold["pValue"], 0.157_299_207_050_285_1);
    assert_eq!(bold["significant"], false);
    assert_eq!(hero["variants"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn defaults_shown_because_of_a_late_decision_or_a_broken_config_are_not_exposures() {
    let t = TestApp::new();
    let shown = |id: &str, who: &str, variant: &str, reason: &str| {
        at(
            id,
            who,
            "Content Viewed",
            "2025-03-01T10:00:00Z",
            json!({"slot": "hero", "variant": variant, "reason": reason}),
        )
    };
    post(
        &t,
        "shop",
        vec![
            shown("d1", "d1", "default", "experiment"),
            shown("d2", "d2", "default", "timeout"),
            shown("d3", "d3", "default", "fallback"),
            shown("b1", "b1", "bold", "experiment"),
            goal("d2g", "d2", "Trial Started", "2025-03-01T10:01:00Z"),
        ],
    )
    .await;
    let r = report(&t, "/api/reports/content?writeKey=shop").await;
    let variants = &r["slots"][0]["variants"];
    assert_eq!(variants[0]["variant"], "default");
    assert_eq!(variants[0]["exposures"], 1, "{r}");
    assert_eq!(variants[0]["conversions"], 0);
    assert_eq!(variants[1]["exposures"], 1);
}

#[tokio::test]
async fn a_visitor_who_saw_two_variants_counts_under_the_first() {
    let t = TestApp::new();
    // c1 saw bold first, even though the batch lists the default view first.
    post(
        &t,
        "shop",
        vec![
            viewed("c1d", "c1", "2025-03-01T10:00:05Z", "hero", "default"),
            viewed("c1b", "c1", "2025-03-01T10:00:00Z", "hero", "bold"),
            goal("c1g", "c1", "Trial Started", "2025-03-01T10:00:03Z"),
            viewed("c2d", "c2", "2025-03-01T10:00:00Z", "hero", "default"),
        ],
    )
    .await;
    let r = report(&t, "/api/reports/content?writeKey=shop").await;
    let variants = &r["slots"][0]["variants"];
    assert_eq!(variants[0]["variant"], "default");
    assert_eq!(variants[0]["exposures"], 1);
    assert_eq!(variants[0]["conversions"], 0);
    assert_eq!(variants[1]["variant"], "bold");
    assert_eq!(variants[1]["exposures"], 1);
    // The goal came after bold (10:00:00) though before the later default view.
    assert_eq!(variants[1]["conversions"], 1);
}

#[tokio::test]
async fn a_signed_in_visitor_is_one_visitor_across_devices() {
    let t = TestApp::new();
    post(
        &t,
        "shop",
        vec![
            viewed("p1", "phone", "2025-03-01T10:00:00Z", "footer", "default"),
            json!({"type": "identify", "messageId": "p2", "anonymousId": "phone",
                   "userId": "u9", "timestamp": "2025-03-01T10:01:00Z"}),
            json!({"type": "track", "event": "Content Viewed", "messageId": "l1",
                   "anonymousId": "laptop", "userId": "u9", "timestamp": "2025-03-01T11:00:00Z",
                   "properties": {"slot": "footer", "variant": "promo", "reason": "rule"}}),
            json!({"type": "track", "event": "Signed Up", "messageId": "l2",
                   "anonymousId": "laptop", "userId": "u9", "timestamp": "2025-03-01T11:05:00Z"}),
        ],
    )
    .await;
    let r = report(&t, "/api/reports/content?writeKey=shop").await;
    let footer = &r["slots"][0];
    assert_eq!(footer["slot"], "footer");
    // The footer has no goal of its own: the site's `content.goal` applies.
    assert_eq!(footer["goal"], "Signed Up");
    assert_eq!(footer["variants"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(footer["variants"][0]["variant"], "default");
    assert_eq!(footer["variants"][0]["exposures"], 1);
    assert_eq!(footer["variants"][0]["conversions"], 1);
}

#[tokio::test]
async fn without_a_goal_in_config_conversions_are_null() {
    let t = TestApp::new();
    post(
        &t,
        "nogoal",
        vec![
            viewed("v1", "a1", "2025-03-01T10:00:00Z", "hero", "default"),
            viewed("v2", "a2", "2025-03-01T10:00:00Z", "hero", "bold"),
            goal("g1", "a1", "Trial Started", "2025-03-01T10:05:00Z"),
        ],
    )
    .await;
    let r = report(&t, "/api/reports/content?writeKey=nogoal").await;
    let hero = &r["slots"][0];
    assert_eq!(hero["goal"], Value::Null);
    assert_eq!(hero["control"], "default");
    for v in hero["variants"].as_array().unwrap() {
        assert_eq!(v["exposures"], 1);
        assert_eq!(v["conversions"], Value::Null);
        assert_eq!(v["rate"], Value::Null);
        assert_eq!(v["uplift"], Value::Null);
        assert_eq!(v["pValue"], Value::Null);
        assert_eq!(v["significant"], Value::Null);
    }
}

#[tokio::test]
async fn from_and_to_limit_the_events_counted() {
    let t = TestApp::new();
    post(&t, "shop", hero_events()).await;
    // Up to 10:01 only b1's goal (10:00) is inside; a4's later bold view is outside too.
    let r = report(
        &t,
        "/api/reports/content?writeKey=shop&from=2025-03-01&to=2025-03-01T10:01:00Z",
    )
    .await;
    let v = &r["slots"][0]["variants"];
    assert_eq!(
        (&v[0]["exposures"], &v[0]["conversions"]),
        (&json!(4), &json!(0))
    );
    assert_eq!(
        (&v[1]["exposures"], &v[1]["conversions"]),
        (&json!(4), &json!(1))
    );
    // From 10:01 on, a4's bold view at 11:00 is the only exposure left, so a4 now counts
    // under bold, which becomes the control for want of a default.
    let r = report(
        &t,
        "/api/reports/content?writeKey=shop&from=2025-03-01T10:01:00Z",
    )
    .await;
    let hero = &r["slots"][0];
    assert_eq!(hero["control"], "bold", "{r}");
    assert_eq!(hero["variants"].as_array().unwrap().len(), 1);
    assert_eq!(hero["variants"][0]["exposures"], 1);
    assert_eq!(hero["variants"][0]["conversions"], 0);

    let bad = t
        .get("/api/reports/content?writeKey=shop&from=yesterday")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"].as_str().unwrap().starts_with("from:"));
}

#[tokio::test]
async fn experiments_report_uses_the_goal_of_the_slot_running_the_experiment() {
    let t = TestApp::new();
    post(
        &t,
        "shop",
        vec![
            // hero-cta, the hero slot's experiment: goal Trial Started.
            exp("e1", "e1", "2025-03-01T10:00:00Z", "hero-cta", "default", 0),
            goal("e1g", "e1", "Trial Started", "2025-03-01T10:01:00Z"),
            exp("e2", "e2", "2025-03-01T10:00:00Z", "hero-cta", "default", 0),
            goal("e2g", "e2", "Signed Up", "2025-03-01T10:01:00Z"),
            exp("e3", "e3", "2025-03-01T10:00:00Z", "hero-cta", "bold", 1),
            goal("e3g", "e3", "Trial Started", "2025-03-01T10:01:00Z"),
            exp("e4", "e4", "2025-03-01T10:00:00Z", "hero-cta", "bold", 1),
            goal("e4g", "e4", "Trial Started", "2025-03-01T10:01:00Z"),
            // pricing, run by the plans slot, which names no goal: the site's content.goal
            // (Signed Up). Its control is variation 0 even though fewer visitors saw it.
            exp("f1", "f1", "2025-03-01T10:00:00Z", "pricing", "cheap", 0),
            exp("f2", "f2", "2025-03-01T10:00:00Z", "pricing", "premium", 1),
            exp("f3", "f3", "2025-03-01T10:00:00Z", "pricing", "premium", 1),
            goal("f3g", "f3", "Signed Up", "2025-03-01T10:01:00Z"),
        ],
    )
    .await;
    let r = report(&t, "/api/reports/experiments?writeKey=shop").await;
    let list = r["experiments"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{r}");

    let hero = &list[0];
    assert_eq!(hero["experiment"], "hero-cta");
    assert_eq!(hero["goal"], "Trial Started");
    assert_eq!(hero["control"], "default");
    let (control, bold) = (&hero["variants"][0], &hero["variants"][1]);
    assert_eq!(
        (&control["exposures"], &control["conversions"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(
        (&bold["exposures"], &bold["conversions"]),
        (&json!(2), &json!(2))
    );
    close(&control["rate"], 0.5);
    close(&bold["rate"], 1.0);
    close(&bold["uplift"], 1.0);
    // Pooled p = 3/4; SE = √(0.75 · 0.25 · (1/2 + 1/2)) = √0.1875; z = 0.5 / √0.1875
    // = 2/√3 = 1.1547; two-sided p = erfc(z/√2) = 0.24821 (tables: 2 · (1 − Φ(1.15)) ≈ 0.250).
    let z: f64 = 0.5 / 0.1875_f64.sqrt();
    close(&bold["pValue"], engagekit_collector::stats::two_sided_p(z));
    let p = bold["pValue"].as_f64().unwrap();
    assert!((p - 0.248_213).abs() < 1e-6, "{p}");
    assert_eq!(bold["significant"], false);

    let pricing = &list[1];
    assert_eq!(pricing["experiment"], "pricing");
    assert_eq!(pricing["goal"], "Signed Up");
    assert_eq!(pricing["control"], "cheap");
    assert_eq!(pricing["variants"][0]["exposures"], 1);
    assert_eq!(pricing["variants"][1]["variant"], "premium");
    assert_eq!(pricing["variants"][1]["conversions"], 1);
    // No Content Viewed was sent, so the content report is empty.
    let content = report(&t, "/api/reports/content?writeKey=shop").await;
    assert_eq!(
        content,
        json!({"slots": [], "unknown": {"events": 0, "names": 0}})
    );
}

#[tokio::test]
async fn a_large_clear_difference_is_significant() {
    let t = TestApp::new();
    let mut events = Vec::new();
    // 20 visitors per variant: 2 of 20 convert on default, 12 of 20 on bold.
    for i in 0..40 {
        let who = format!("v{i}");
        let variant = if i < 20 { "default" } else { "bold" };
        events.push(viewed(
            &format!("{who}v"),
            &who,
            "2025-03-01T10:00:00Z",
            "hero",
            variant,
        ));
        if i < 2 || (20..32).contains(&i) {
            events.push(goal(
                &format!("{who}g"),
                &who,
                "Trial Started",
                "2025-03-01T10:10:00Z",
            ));
        }
    }
    post(&t, "shop", events).await;
    let r = report(&t, "/api/reports/content?writeKey=shop").await;
    let bold = &r["slots"][0]["variants"][1];
    // Pooled p = 14/40 = 0.35; SE = √(0.35 · 0.65 · (1/20 + 1/20)) = 0.150831;
    // z = (0.6 − 0.1) / SE = 3.31497; two-sided p = 0.000917.
    let z = 0.5 / (0.35_f64 * 0.65 * 0.1).sqrt();
    close(&bold["pValue"], engagekit_collector::stats::two_sided_p(z));
    assert!((bold["pValue"].as_f64().unwrap() - 0.000_917).abs() < 1e-6);
    assert_eq!(bold["significant"], true);
    close(&bold["uplift"], 5.0);
}

#[tokio::test]
async fn reports_need_the_admin_and_a_known_site() {
    let t = TestApp::new();
    for path in ["/api/reports/content", "/api/reports/experiments"] {
        let r = t.get(&format!("{path}?writeKey=nope")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.json()["error"].as_str().unwrap().contains("nope"));
        assert_eq!(t.get(path).await.status, StatusCode::BAD_REQUEST, "{path}");
        // The writeKey, in the query or as Basic auth ("shop:" in base64), reads nothing.
        let shop = format!("{path}?writeKey=shop");
        assert_eq!(t.get_as(&shop, None).await.status, StatusCode::UNAUTHORIZED);
        let req = axum::http::Request::get(&shop)
            .header(header::AUTHORIZATION, "Basic c2hvcDo=")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(t.send(req).await.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(t.get(&shop).await.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn dashboard_is_served_as_html_with_its_script_and_styles() {
    let t = TestApp::new();
    for path in ["/dashboard", "/dashboard/", "/dashboard?writeKey=shop"] {
        let r = t.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(
            r.header(header::CONTENT_TYPE),
            Some("text/html; charset=utf-8")
        );
        let csp = r.header(header::CONTENT_SECURITY_POLICY).unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        let html = String::from_utf8_lossy(&r.body);
        assert!(html.contains("/dashboard/dashboard.js"), "{html}");
    }
    let js = t.get("/dashboard/dashboard.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(
        js.header(header::CONTENT_TYPE),
        Some("text/javascript; charset=utf-8")
    );
    let css = t.get("/dashboard/dashboard.css").await;
    assert_eq!(
        css.header(header::CONTENT_TYPE),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        t.get("/dashboard/missing.js").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/dashboard/%2e%2e/Cargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn dashboard_script_never_parses_strings_as_html() {
    // Slot, variant and event names come from visitors' browsers.
    let js = std::fs::read_to_string(TestApp::dashboard_dir().join("dashboard.js")).unwrap();
    for sink in [
        ".innerHTML",
        ".outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
    ] {
        assert!(!js.contains(sink), "dashboard.js uses {sink}");
    }
    let html = std::fs::read_to_string(TestApp::dashboard_dir().join("index.html")).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "external resource"
    );
}

#[tokio::test]
async fn reports_list_only_what_the_config_defines_and_count_the_rest_apart() {
    let t = TestApp::new();
    let long = "x".repeat(6000);
    let time = "2025-03-01T10:00:00Z";
    let mut events = vec![
        viewed("k1", "k1", time, "hero", "default"),
        viewed("k2", "k2", time, "hero", "bold"),
        // A variant no rule, experiment or config variant of the slot names.
        viewed("u1", "u1", time, "hero", &long),
        exp("k3", "k3", time, "hero-cta", "bold", 1),
        exp("u2", "u2", time, "hero-cta", &long, 7),
        exp("u3", "u3", time, "made-up", "a", 0),
    ];
    // A flood of invented slot names, each seen twice.
    for i in 0..40 {
        for who in ["f1", "f2"] {
            events.push(viewed(
                &format!("f{i}{who}"),
                who,
                time,
                &format!("invented-{i}"),
                "default",
            ));
        }
    }
    post(&t, "shop", events).await;

    let r = t.get("/api/reports/content?writeKey=shop").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!String::from_utf8_lossy(&r.body).contains(&long));
    let r = r.json();
    let slots = r["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 1, "{r}");
    assert_eq!(slots[0]["slot"], "hero");
    let variants: Vec<_> = slots[0]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["variant"].as_str().unwrap())
        .collect();
    assert_eq!(variants, ["default", "bold"]);
    // 80 views of 40 invented slots and one of an invented variant: 41 names.
    assert_eq!(r["unknown"], json!({"events": 81, "names": 41}));

    let r = report(&t, "/api/reports/experiments?writeKey=shop").await;
    let list = r["experiments"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{r}");
    assert_eq!(list[0]["experiment"], "hero-cta");
    assert_eq!(list[0]["variants"].as_array().unwrap().len(), 1);
    assert_eq!(r["unknown"], json!({"events": 2, "names": 2}));
}
