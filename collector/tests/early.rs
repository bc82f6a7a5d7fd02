//! `POST /v1/calls`: the loader's beacon of calls made before the module ran becomes the
//! events the module would have made, once, and never against the visitor's privacy choices.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

fn record(write_key: &str, consent: Value) -> Value {
    json!({
        "writeKey": write_key,
        "anonymousId": "anon-early",
        "consent": consent,
        "page": {"url": "https://shop.test/pricing?utm_source=news", "title": "Pricing", "referrer": "https://ref.test/"},
        "calls": [
            ["_pv", [], 1_700_000_000_000u64, "pv1"],
            ["init", ["demo"], 1_700_000_000_001u64, "i1"],
            ["track", ["Plan Selected", {"plan": "pro"}], 1_700_000_000_050u64, "c1"],
            ["identify", ["u-9", {"email": "a@b.test"}], 1_700_000_000_060u64, "c2"],
            ["track", [42], 1_700_000_000_070u64, "bad"],
            ["ready", [null], 1_700_000_000_080u64, "r1"],
        ],
    })
}

async fn post(t: &TestApp, body: &Value, headers: &[(&str, &str)]) -> common::Reply {
    let mut req =
        Request::post("/v1/calls").header(header::CONTENT_TYPE, "text/plain;charset=UTF-8");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    t.send(req.body(Body::from(body.to_string())).unwrap())
        .await
}

#[tokio::test]
async fn a_beacon_of_early_calls_becomes_the_modules_events_once() {
    let t = TestApp::new();
    let ua = [
        ("user-agent", "Mozilla/5.0 Test"),
        ("accept-language", "fr-FR,fr;q=0.9"),
    ];
    let r = post(&t, &record("demo", Value::Null), &ua).await;
    assert_eq!(r.ok_json()["accepted"], 3);
    let events = t.events("demo").await;
    let by_id = |id: &str| {
        events
            .iter()
            .find(|e| e["messageId"] == id)
            .unwrap()
            .clone()
    };
    let pv = by_id("pv1");
    assert_eq!(pv["type"], "page");
    assert_eq!(
        pv["timestamp"], "2023-11-14T22:13:20.000Z",
        "the time the page started"
    );
    assert_eq!(pv["properties"]["path"], "/pricing");
    assert_eq!(
        pv["context"]["page"]["url"],
        "https://shop.test/pricing?utm_source=news"
    );
    assert_eq!(pv["context"]["campaign"]["source"], "news");
    assert_eq!(pv["context"]["userAgent"], "Mozilla/5.0 Test");
    assert_eq!(pv["context"]["locale"], "fr-FR");
    assert_eq!(pv["anonymousId"], "anon-early");
    let plan = by_id("c1");
    assert_eq!(plan["event"], "Plan Selected");
    assert_eq!(plan["properties"]["plan"], "pro");
    assert_eq!(plan["timestamp"], "2023-11-14T22:13:20.050Z");
    assert_eq!(by_id("c2")["userId"], "u-9");
    assert_eq!(
        events.len(),
        3,
        "init, ready and a bad track record nothing"
    );

    // The same record again (the next page replaying it from storage, or a second beacon).
    let again = post(&t, &record("demo", Value::Null), &ua).await;
    assert_eq!(again.json()["accepted"], 0);
    assert_eq!(again.json()["duplicates"], 3);
}

#[tokio::test]
async fn privacy_choices_hold_for_early_calls() {
    let t = TestApp::new();
    for headers in [[("dnt", "1")], [("sec-gpc", "1")]] {
        let r = post(&t, &record("demo", Value::Null), &headers).await;
        assert_eq!(r.json()["accepted"], 0, "{headers:?}");
    }
    let r = post(&t, &record("demo", json!("denied")), &[]).await;
    assert_eq!(r.json()["accepted"], 0, "denied");
    let r = post(&t, &record("consent", Value::Null), &[]).await;
    assert_eq!(r.json()["accepted"], 0, "requireConsent without a choice");
    let r = post(&t, &record("consent", json!("granted")), &[("dnt", "1")]).await;
    assert_eq!(
        r.json()["accepted"],
        3,
        "the visitor's grant wins over DNT, as in the module"
    );
}

#[tokio::test]
async fn a_record_asking_to_forget_or_without_a_visitor_is_refused() {
    let t = TestApp::new();
    let mut forget = record("demo", Value::Null);
    forget["calls"]
        .as_array_mut()
        .unwrap()
        .push(json!(["forget", [], 1_700_000_000_090u64, "f"]));
    assert_eq!(post(&t, &forget, &[]).await.status, StatusCode::BAD_REQUEST);
    let mut anon = record("demo", Value::Null);
    anon["anonymousId"] = Value::Null;
    assert_eq!(post(&t, &anon, &[]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        post(&t, &record("nope", Value::Null), &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(t.events("demo").await.len(), 0);
}

#[tokio::test]
async fn a_lone_surrogate_in_the_record_is_kept_as_the_replacement_character() {
    let t = TestApp::new();
    let text = record("demo", Value::Null).to_string().replacen(
        r#""plan":"pro""#,
        r#""plan":"pro \udc00""#,
        1,
    );
    assert!(text.contains(r"\udc00"), "{text}");
    let r = t.post_with("/v1/calls", text, &[]).await;
    assert_eq!(r.ok_json()["accepted"], 3);
    let events = t.events("demo").await;
    let plan = events.iter().find(|e| e["messageId"] == "c1").unwrap();
    assert_eq!(plan["properties"]["plan"], "pro \u{fffd}");
}

#[tokio::test]
async fn calls_from_an_origin_the_site_does_not_allow_are_refused_and_counted() {
    let t = TestApp::new();
    let body = record("strict", Value::Null).to_string();
    let r = t
        .post_with(
            "/v1/calls",
            body.clone(),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("https://evil.example"));
    assert_eq!(t.events("strict").await.len(), 0);
    assert_eq!(t.stats("strict").await["rejectedOrigins"], 1);

    let r = t
        .post_with("/v1/calls", body.clone(), &[("origin", common::ALLOWED)])
        .await;
    assert_eq!(r.ok_json()["accepted"], 3);
    let r = t.post_with("/v1/calls", body, &[]).await;
    assert_eq!(r.json()["duplicates"], 3, "no Origin: a server-side sender");
}
