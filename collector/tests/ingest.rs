//! `POST /v1/batch`: storage, idempotency, auth, validation and limits.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{batch, track, TestApp};
use serde_json::json;

#[tokio::test]
async fn stores_each_event_of_a_batch_once() {
    let t = TestApp::new();
    let body = batch(
        "demo",
        vec![
            track("m1", "Signed Up", "a1"),
            json!({"type": "page", "name": "Home", "messageId": "m2", "anonymousId": "a1"}),
            json!({"type": "identify", "messageId": "m3", "userId": "u1", "traits": {"x": 1}}),
        ],
    );
    let r = t.post_json(&body).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"success": true, "accepted": 3, "duplicates": 0, "rejected": []})
    );
    let events = t.events("demo").await;
    assert_eq!(events.len(), 3);
    let signed_up = events.iter().find(|e| e["messageId"] == "m1").unwrap();
    assert_eq!(signed_up["properties"]["plan"], "pro");
    assert_eq!(signed_up["context"]["library"]["name"], "engagekit");
    assert!(signed_up["receivedAt"].as_i64().unwrap() > 0);
    let stats = t.stats("demo").await;
    assert_eq!(stats["events"], 3);
    assert_eq!(
        stats["byType"],
        json!({"track": 1, "page": 1, "identify": 1})
    );
    assert_eq!(stats["byEvent"], json!({"Signed Up": 1, "Home": 1}));
    // Volume per day for the chart: 30 UTC days, gaps as 0, today (all three) last.
    let days = stats["byDay"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days.last().unwrap()["events"], 3);
    assert!(days[..29].iter().all(|d| d["events"] == 0));
    let today = days.last().unwrap()["day"].as_str().unwrap().to_owned();
    assert!(days[0]["day"].as_str().unwrap() < today.as_str());
}

#[tokio::test]
async fn stores_each_event_once_when_a_batch_is_resent() {
    let t = TestApp::new();
    let body = batch("demo", vec![track("m1", "A", "a1"), track("m2", "B", "a1")]);
    assert_eq!(t.post_json(&body).await.json()["accepted"], 2);
    let again = t.post_json(&body).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["accepted"], 0);
    assert_eq!(again.json()["duplicates"], 2);
    assert_eq!(t.stats("demo").await["events"], 2);
}

#[tokio::test]
async fn keeps_events_across_a_restart_on_the_same_database() {
    let t = TestApp::new();
    t.post_json(&batch("demo", vec![track("m1", "A", "a1")]))
        .await;
    let restarted = TestApp {
        app: TestApp::router_for(&t.dir),
        dir: t.dir,
    };
    let r = restarted
        .post_json(&batch("demo", vec![track("m1", "A", "a1")]))
        .await;
    assert_eq!(r.json()["duplicates"], 1);
    assert_eq!(restarted.stats("demo").await["events"], 1);
}

#[tokio::test]
async fn accepts_a_text_plain_body_as_browsers_send_it() {
    let t = TestApp::new();
    let r = t
        .post_text(batch("demo", vec![track("m1", "A", "a1")]).to_string())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["accepted"], 1);
}

#[tokio::test]
async fn takes_the_write_key_from_basic_auth() {
    let t = TestApp::new();
    let body = json!({"batch": [track("m1", "A", "a1")]});
    let req = Request::post("/v1/batch")
        .header(header::CONTENT_TYPE, "application/json")
        // base64("demo:"), as Segment's server-side libraries send it.
        .header(header::AUTHORIZATION, "Basic ZGVtbzo=")
        .body(Body::from(body.to_string()))
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(t.stats("demo").await["events"], 1);
}

#[tokio::test]
async fn rejects_an_unknown_write_key_with_401() {
    let t = TestApp::new();
    let r = t
        .post_json(&batch("nope", vec![track("m1", "A", "a1")]))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["error"].as_str().unwrap().contains("writeKey"));
}

#[tokio::test]
async fn rejects_a_batch_without_any_write_key_with_401() {
    let t = TestApp::new();
    let r = t.post_json(&json!({"batch": []})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["error"].as_str().unwrap().contains("writeKey"));
}

#[tokio::test]
async fn rejects_malformed_json_with_400_naming_the_problem() {
    let t = TestApp::new();
    let r = t.post_text("{\"batch\": [").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let error = r.json()["error"].as_str().unwrap().to_owned();
    assert!(error.starts_with("body: invalid JSON"), "{error}");
}

#[tokio::test]
async fn rejects_a_body_without_a_batch_array_with_400() {
    let t = TestApp::new();
    let missing = t.post_json(&json!({"writeKey": "demo"})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.json()["error"]
        .as_str()
        .unwrap()
        .starts_with("batch: "));
    let wrong = t
        .post_json(&json!({"writeKey": "demo", "batch": {"type": "track"}}))
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.json()["error"], "batch: expected an array");
}

#[tokio::test]
async fn stores_the_good_events_and_lists_the_bad_one_by_index() {
    let t = TestApp::new();
    let bad = json!({"type": "track", "messageId": "m2", "anonymousId": "a1"});
    let body = batch(
        "demo",
        vec![track("m1", "A", "a1"), bad, track("m3", "C", "a1")],
    );
    let r = t.post_json(&body).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({
            "success": true, "accepted": 2, "duplicates": 0,
            "rejected": [{"index": 1, "error": "batch[1].event: expected a string"}],
        })
    );
    let ids: Vec<_> = t
        .events("demo")
        .await
        .iter()
        .map(|e| e["messageId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"m1".into()) && ids.contains(&"m3".into()));
}

#[tokio::test]
async fn rejects_events_with_a_bad_type_message_id_or_no_visitor_id() {
    let t = TestApp::new();
    let body = batch(
        "demo",
        vec![
            json!({"type": "click", "messageId": "m1", "anonymousId": "a"}),
            json!({"type": "page", "anonymousId": "a"}),
            json!({"type": "page", "messageId": "x".repeat(101), "anonymousId": "a"}),
            json!({"type": "page", "messageId": "m4"}),
            json!("not an object"),
        ],
    );
    let r = t.post_json(&body).await.json();
    assert_eq!(r["accepted"], 0);
    let fields: Vec<_> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            x["error"]
                .as_str()
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        fields,
        [
            "batch[0].type",
            "batch[1].messageId",
            "batch[2].messageId",
            "batch[3]",
            "batch[4]"
        ]
    );
}

#[tokio::test]
async fn rejects_an_event_over_32_kb_but_keeps_the_rest() {
    let t = TestApp::new();
    let mut big = track("m1", "Big", "a1");
    big["properties"]["blob"] = json!("x".repeat(33 * 1024));
    let r = t
        .post_json(&batch("demo", vec![big, track("m2", "Small", "a1")]))
        .await
        .json();
    assert_eq!(r["accepted"], 1);
    assert_eq!(r["rejected"][0]["index"], 0);
}

#[tokio::test]
async fn rejects_a_body_over_500_kb_with_a_json_413() {
    let t = TestApp::new();
    let events: Vec<_> = (0..40)
        .map(|i| {
            let mut e = track(&format!("m{i}"), "E", "a1");
            e["properties"]["pad"] = json!("x".repeat(15 * 1024));
            e
        })
        .collect();
    let body = batch("demo", events).to_string();
    assert!(body.len() > 500 * 1024);
    let r = t.post_text(body).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.json()["error"].as_str().unwrap().contains("limit"));
    assert_eq!(t.stats("demo").await["events"], 0);
}

#[tokio::test]
async fn records_the_clients_dropped_count_and_reports_it_in_stats() {
    let t = TestApp::new();
    let mut body = batch("demo", vec![track("m1", "A", "a1")]);
    body["dropped"] = json!(7);
    assert_eq!(t.post_text(body.to_string()).await.status, StatusCode::OK);
    let mut only_drops = batch("demo", vec![]);
    only_drops["dropped"] = json!(3);
    assert_eq!(t.post_json(&only_drops).await.status, StatusCode::OK);
    let stats = t.stats("demo").await;
    assert_eq!(stats["dropped"], 10);
    assert_eq!(stats["events"], 1);
    assert_eq!(t.stats("strict").await["dropped"], 0);
}

#[tokio::test]
async fn rejects_a_negative_dropped_count_with_400() {
    let t = TestApp::new();
    let mut body = batch("demo", vec![]);
    body["dropped"] = json!(-1);
    let r = t.post_json(&body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().starts_with("dropped: "));
}

#[tokio::test]
async fn keeps_each_sites_events_apart() {
    let t = TestApp::new();
    t.post_json(&batch("demo", vec![track("m1", "A", "a1")]))
        .await;
    let r = t
        .post_json(&batch("strict", vec![track("m1", "A", "a1")]))
        .await;
    assert_eq!(
        r.json()["accepted"],
        1,
        "same messageId on another site is new"
    );
    assert_eq!(t.events("strict").await.len(), 1);
    assert_eq!(t.events("demo").await.len(), 1);
}

#[tokio::test]
async fn lists_events_newest_first_up_to_the_limit() {
    let t = TestApp::new();
    for i in 0..3 {
        t.post_json(&batch("demo", vec![track(&format!("m{i}"), "E", "a1")]))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let r = t.get("/api/events?writeKey=demo&limit=2").await.json();
    let ids: Vec<_> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["messageId"].clone())
        .collect();
    assert_eq!(ids, [json!("m2"), json!("m1")]);
    assert_eq!(
        t.get("/api/events?writeKey=nope").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn answers_a_bad_query_string_with_a_json_400() {
    let t = TestApp::new();
    let r = t.get("/api/events?writeKey=demo&limit=many").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().contains("limit"));
}

#[tokio::test]
async fn keeps_a_batch_holding_a_lone_surrogate_with_the_replacement_character() {
    let t = TestApp::new();
    let text = batch("demo", vec![track("m1", "A", "a1"), track("m2", "B", "a1")]).to_string();
    // What JSON.stringify writes for a string cut inside an emoji.
    let text = text.replacen(r#""plan":"pro""#, r#""plan":"pro \ud83d""#, 1);
    assert!(text.contains(r"\ud83d"), "{text}");
    let r = t.post_text(text).await;
    assert_eq!(r.ok_json()["accepted"], 2);
    let events = t.events("demo").await;
    let m1 = events.iter().find(|e| e["messageId"] == "m1").unwrap();
    assert_eq!(m1["properties"]["plan"], "pro \u{fffd}");
}

#[tokio::test]
async fn a_huge_dropped_count_is_clamped_and_never_breaks_stats() {
    let t = TestApp::new();
    for id in ["m1", "m2"] {
        let mut body = batch("demo", vec![track(id, "A", "a1")]);
        body["dropped"] = json!(u64::MAX);
        assert_eq!(t.post_json(&body).await.status, StatusCode::OK);
    }
    let stats = t.stats("demo").await;
    assert_eq!(stats["events"], 2);
    // Each batch counts at most u32::MAX dropped events.
    assert_eq!(stats["dropped"], 2 * u64::from(u32::MAX));
}

/// Every Segment spec field the collector type-checks, the type it must have, and values
/// of every other JSON type (null aside: it means absent).
fn field_types() -> Vec<(&'static str, &'static str, Vec<serde_json::Value>)> {
    let (n, s, o, a, b) = (
        json!(1_738_324_800_000u64),
        json!("text"),
        json!({"a": 1}),
        json!(["x"]),
        json!(true),
    );
    let mut table = Vec::new();
    for field in ["timestamp", "sentAt", "originalTimestamp", "receivedAt"] {
        table.push((
            field,
            "an ISO-8601 string",
            vec![n.clone(), o.clone(), a.clone(), b.clone()],
        ));
    }
    for field in ["properties", "traits", "context", "integrations"] {
        table.push((
            field,
            "an object",
            vec![s.clone(), n.clone(), a.clone(), b.clone()],
        ));
    }
    for field in [
        "event",
        "name",
        "category",
        "previousId",
        "groupId",
        "userId",
        "anonymousId",
    ] {
        table.push((
            field,
            "a string",
            vec![n.clone(), o.clone(), a.clone(), b.clone()],
        ));
    }
    table
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Null => "null",
    }
}

#[tokio::test]
async fn rejects_each_segment_field_of_the_wrong_json_type_alone() {
    let t = TestApp::new();
    for (field, wanted, wrong) in field_types() {
        for value in wrong {
            // A good event on each side of the bad one, which differs only in `field`.
            let mut bad = track("bad", "A", "a1");
            bad["userId"] = json!("u1");
            bad[field] = value.clone();
            let id = format!("{field}-{}", json_kind(&value));
            let body = batch(
                "demo",
                vec![
                    track(&format!("{id}-1"), "A", "a1"),
                    bad,
                    track(&format!("{id}-2"), "A", "a1"),
                ],
            );
            let r = t.post_json(&body).await;
            assert_eq!(r.status, StatusCode::OK, "{field} = {value}");
            let expected = format!(
                "batch[1].{field}: expected {wanted}, got {}",
                json_kind(&value)
            );
            assert_eq!(
                r.json(),
                json!({"success": true, "accepted": 2, "duplicates": 0,
                       "rejected": [{"index": 1, "error": expected}]}),
                "{field} = {value}"
            );
        }
    }
    let stored = t.events("demo").await;
    assert!(stored.iter().all(|e| e["messageId"] != "bad"));
}

#[tokio::test]
async fn rejects_a_timestamp_that_is_not_an_iso_8601_date() {
    let t = TestApp::new();
    let with_time = |id: &str, time: &str| {
        let mut e = track(id, "A", "a1");
        e["timestamp"] = json!(time);
        e
    };
    let body = batch(
        "demo",
        vec![
            with_time("m0", "yesterday"),
            with_time("m1", "2025-02-30T00:00:00Z"),
            with_time("m2", "1738324800000"),
            with_time("m3", "2025-02-28T23:59:59.999+01:00"),
        ],
    );
    let r = t.post_json(&body).await.json();
    assert_eq!(r["accepted"], 1, "{r}");
    let rejected = r["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 3, "{r}");
    for (i, x) in rejected.iter().enumerate() {
        assert_eq!(x["index"], i);
        let error = x["error"].as_str().unwrap();
        assert!(
            error.starts_with(&format!("batch[{i}].timestamp: expected an ISO-8601")),
            "{error}"
        );
    }
}

#[tokio::test]
async fn stores_the_good_events_of_a_batch_mixing_good_and_badly_typed_ones() {
    let t = TestApp::new();
    let mut bad_time = track("m1", "A", "a1");
    bad_time["timestamp"] = json!({"seconds": 1});
    let mut bad_props = track("m3", "A", "a1");
    bad_props["properties"] = json!("plan=pro");
    let mut bad_context = track("m4", "A", "a1");
    bad_context["context"] = json!([1]);
    // null means absent for every optional spec field.
    let nulls = json!({"type": "page", "messageId": "m5", "anonymousId": "a1", "name": null,
        "category": null, "properties": null, "context": null, "integrations": null,
        "timestamp": null, "sentAt": null, "originalTimestamp": null, "receivedAt": null,
        "userId": null, "traits": null});
    let body = batch(
        "demo",
        vec![
            track("m0", "A", "a1"),
            bad_time,
            track("m2", "B", "a1"),
            bad_props,
            bad_context,
            nulls,
        ],
    );
    let r = t.post_json(&body).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"success": true, "accepted": 3, "duplicates": 0, "rejected": [
            {"index": 1, "error": "batch[1].timestamp: expected an ISO-8601 string, got an object"},
            {"index": 3, "error": "batch[3].properties: expected an object, got a string"},
            {"index": 4, "error": "batch[4].context: expected an object, got an array"},
        ]})
    );
    let mut ids: Vec<_> = t
        .events("demo")
        .await
        .iter()
        .map(|e| e["messageId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, ["m0", "m2", "m5"]);
}
