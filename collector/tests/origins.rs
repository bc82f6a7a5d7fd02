//! `allowedOrigins` decides what is stored: a page outside a site's list cannot add events
//! to it, and each refusal is counted in the site's stats. Server-side senders, which send
//! no `Origin`, are accepted as Segment accepts them.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{batch, track, TestApp, ALLOWED};
use serde_json::json;

const OTHER: &str = "https://evil.example";

fn body(write_key: &str, id: &str) -> String {
    batch(write_key, vec![track(id, "A", "a1")]).to_string()
}

#[tokio::test]
async fn a_batch_from_an_allowed_origin_is_stored() {
    let t = TestApp::new();
    let r = t
        .post_with("/v1/batch", body("strict", "m1"), &[("origin", ALLOWED)])
        .await;
    assert_eq!(r.ok_json()["accepted"], 1);
    let stats = t.stats("strict").await;
    assert_eq!(stats["events"], 1);
    assert_eq!(stats["rejectedOrigins"], 0);
}

#[tokio::test]
async fn a_batch_from_another_origin_is_refused_counted_and_not_stored() {
    let t = TestApp::new();
    for id in ["m1", "m2"] {
        let r = t
            .post_with("/v1/batch", body("strict", id), &[("origin", OTHER)])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let error = r.json()["error"].as_str().unwrap().to_owned();
        assert!(
            error.contains(OTHER) && error.contains("allowedOrigins"),
            "{error}"
        );
        assert_eq!(r.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
    }
    let stats = t.stats("strict").await;
    assert_eq!(stats["events"], 0);
    assert_eq!(stats["dropped"], 0);
    assert_eq!(stats["rejectedOrigins"], 2);
    assert_eq!(t.events("strict").await.len(), 0);
    // Counted for the site it named, no other.
    assert_eq!(t.stats("demo").await["rejectedOrigins"], 0);
}

#[tokio::test]
async fn a_batch_without_an_origin_is_stored_as_from_a_server_side_sender() {
    let t = TestApp::new();
    let req = Request::post("/v1/batch")
        .header(header::CONTENT_TYPE, "application/json")
        // base64("strict:"), as Segment's server-side libraries send the writeKey.
        .header(header::AUTHORIZATION, "Basic c3RyaWN0Og==")
        .body(Body::from(
            json!({"batch": [track("m1", "A", "a1")]}).to_string(),
        ))
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let r = t.post_with("/v1/batch", body("strict", "m2"), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let stats = t.stats("strict").await;
    assert_eq!(stats["events"], 2);
    assert_eq!(stats["rejectedOrigins"], 0);
}

#[tokio::test]
async fn a_site_without_allowed_origins_stores_from_any_origin() {
    let t = TestApp::new();
    for (id, origin) in [("m1", OTHER), ("m2", "null"), ("m3", ALLOWED)] {
        let r = t
            .post_with("/v1/batch", body("demo", id), &[("origin", origin)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{origin}");
    }
    let stats = t.stats("demo").await;
    assert_eq!(stats["events"], 3);
    assert_eq!(stats["rejectedOrigins"], 0);
}
