//! An identified visitor's own state on another device: `GET /v1/visitors/{writeKey}/
//! {userId}?hash=` answers only with the HMAC of the userId under the identity secret, and
//! rebuilds the checklist progress and survey history from the events stored for them.

mod common;

use axum::http::StatusCode;
use common::{batch, TestApp};
use engagekit_collector::router;
use engagekit_collector::visitors::user_hash;
use serde_json::{json, Value};

const KEY: &str = "boards";
const SECRET: &str = "identity-secret-of-the-boards-site";

fn app(identity: Option<&str>) -> TestApp {
    let config = json!({KEY: {"checklists": {"onboarding": {
        "text": {"en": {"title": "Get started"}},
        "steps": [{"id": "signup", "event": "Signed Up"}, {"id": "card", "event": "Card Created"},
                  {"id": "tour", "manual": true}]}}}});
    let t = TestApp::with_config_text(&config.to_string());
    let state = TestApp::state_with(&t.dir, false);
    let state = match identity {
        Some(s) => state.with_identity_secret(s).unwrap(),
        None => state,
    };
    TestApp {
        app: router(state),
        dir: t.dir,
    }
}

fn event(n: usize, name: &str, user: Option<&str>, anon: &str, time: &str, props: Value) -> Value {
    let mut e = json!({"type": "track", "event": name, "messageId": format!("m{n}"),
        "anonymousId": anon, "properties": props, "timestamp": time});
    if let Some(u) = user {
        e["userId"] = u.into();
    }
    e
}

#[tokio::test]
async fn only_the_visitors_own_hash_reads_their_state_rebuilt_from_their_events() {
    let t = app(Some(SECRET));
    let step =
        |id: &str, how: &str| json!({"checklist_id": "onboarding", "step_id": id, "how": how});
    let events = vec![
        // Browser 1 of user u-1: shown, two steps, a survey answered.
        event(
            1,
            "Checklist Shown",
            Some("u-1"),
            "a1",
            "2026-01-01T10:00:00Z",
            json!({"checklist_id": "onboarding", "open": false}),
        ),
        event(
            2,
            "Checklist Step Completed",
            Some("u-1"),
            "a1",
            "2026-01-01T10:01:00Z",
            step("signup", "event"),
        ),
        event(
            3,
            "Checklist Step Completed",
            Some("u-1"),
            "a1",
            "2026-01-01T10:02:00Z",
            step("card", "event"),
        ),
        event(
            4,
            "Survey Shown",
            Some("u-1"),
            "a1",
            "2026-01-02T09:00:00Z",
            json!({"survey_id": "nps", "submission_id": "s1"}),
        ),
        event(
            5,
            "Survey Answered",
            Some("u-1"),
            "a1",
            "2026-01-02T09:00:05Z",
            json!({"survey_id": "nps", "submission_id": "s1", "score": 9}),
        ),
        // Another visitor, and u-1's events before they signed in: not theirs.
        event(
            6,
            "Checklist Step Completed",
            Some("u-2"),
            "a2",
            "2026-01-01T10:05:00Z",
            step("tour", "visitor"),
        ),
        event(
            7,
            "Checklist Step Completed",
            None,
            "a1",
            "2026-01-01T09:00:00Z",
            step("tour", "visitor"),
        ),
    ];
    let r = t.post_json(&batch(KEY, events)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    let hash = user_hash(SECRET.as_bytes(), "u-1");
    let v = t.get(&format!("/v1/visitors/{KEY}/u-1?hash={hash}")).await;
    assert_eq!(v.status, StatusCode::OK);
    assert_eq!(v.header("cache-control"), Some("no-store"));
    let body = v.json();
    let steps = &body["checklists"]["onboarding"]["steps"];
    let ms = |t: &str| chrono_ms(t);
    assert_eq!(
        steps["signup"],
        json!([
            ms("2026-01-01T10:01:00Z"),
            ms("2026-01-01T10:01:00Z"),
            "event"
        ])
    );
    assert_eq!(steps["card"][1], json!(ms("2026-01-01T10:02:00Z")));
    assert!(
        steps.get("tour").is_none(),
        "another visitor's step, and one before sign-in, are not theirs"
    );
    assert_eq!(
        body["checklists"]["onboarding"]["shown"],
        json!(ms("2026-01-01T10:00:00Z"))
    );
    let surveys = body["surveys"].as_str().unwrap();
    assert!(
        surveys.contains(&format!(
            "nps:{}:{}:0",
            ms("2026-01-02T09:00:00Z") as u64,
            ms("2026-01-02T09:00:05Z") as u64
        )),
        "{surveys}"
    );

    // No hash, a wrong one, another visitor's: nothing.
    assert_eq!(
        t.get(&format!("/v1/visitors/{KEY}/u-1")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.get(&format!("/v1/visitors/{KEY}/u-1?hash={}", "0".repeat(64)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let other = user_hash(SECRET.as_bytes(), "u-2");
    let r = t.get(&format!("/v1/visitors/{KEY}/u-1?hash={other}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        !r.json().to_string().contains("onboarding"),
        "a refusal carries no state"
    );
    assert_eq!(
        t.get(&format!("/v1/visitors/nosuchsite/u-1?hash={hash}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn without_an_identity_secret_no_state_is_served() {
    let t = app(None);
    let hash = user_hash(SECRET.as_bytes(), "u-1");
    assert_eq!(
        t.get(&format!("/v1/visitors/{KEY}/u-1?hash={hash}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// An admin request to `/api/identity-secret?writeKey=…` with the bearer secret.
async fn identity_api(t: &TestApp, method: &str, key: &str, body: &str) -> (StatusCode, Value) {
    let req = axum::http::Request::builder()
        .method(method)
        .uri(format!("/api/identity-secret?writeKey={key}"))
        .header("authorization", format!("Bearer {}", common::ADMIN_SECRET))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_owned()))
        .unwrap();
    let r = t.send(req).await;
    let json = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    (r.status, json)
}

#[tokio::test]
async fn each_site_can_have_its_own_identity_secret_set_and_rotated_by_the_admin() {
    let t = app(Some(SECRET));
    t.post_events(
        KEY,
        &[event(
            1,
            "Checklist Shown",
            Some("u-1"),
            "a1",
            "2026-01-01T10:00:00Z",
            json!({"checklist_id": "onboarding", "open": false}),
        )],
    )
    .await;
    // How the visitors endpoint answers u-1's hash made with `secret`.
    let status = |secret: &str| {
        let (t, hash) = (&t, user_hash(secret.as_bytes(), "u-1"));
        async move {
            t.get(&format!("/v1/visitors/{KEY}/u-1?hash={hash}"))
                .await
                .status
        }
    };
    let (code, body) = identity_api(&t, "GET", KEY, "").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body["source"], "collector");
    assert!(
        body.get("secret").is_none(),
        "the secret is never read back"
    );

    // A random secret of the site's own, shown once; the collector-wide one still works for
    // a day while the site's servers move over.
    let (code, body) = identity_api(&t, "POST", KEY, "").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let own = body["secret"].as_str().unwrap().to_owned();
    assert!(own.len() >= 24);
    assert_eq!(body["source"], "site");
    assert!(body["previousValidUntil"].is_string());
    assert_eq!(status(&own).await, StatusCode::OK);
    assert_eq!(status(SECRET).await, StatusCode::OK);
    let (_, body) = identity_api(&t, "GET", KEY, "").await;
    assert_eq!(body["source"], "site");
    assert!(body.get("secret").is_none());

    // Rotated again to a chosen one: the site's first stays valid, the collector-wide one
    // no longer is.
    let chosen = "the boards site's chosen secret";
    let (code, body) = identity_api(&t, "POST", KEY, &json!({"secret": chosen}).to_string()).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["secret"], chosen);
    assert_eq!(status(chosen).await, StatusCode::OK);
    assert_eq!(status(&own).await, StatusCode::OK);
    assert_eq!(status(SECRET).await, StatusCode::FORBIDDEN);

    // The same request again (a retry) changes nothing: the first keeps its day.
    let (code, body) = identity_api(&t, "POST", KEY, &json!({"secret": chosen}).to_string()).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert!(body["previousValidUntil"].is_string());
    assert_eq!(status(&own).await, StatusCode::OK);

    // A leaked secret ends at once with `"grace": false`.
    let (code, body) = identity_api(&t, "POST", KEY, r#"{"grace": false}"#).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["previousValidUntil"], Value::Null);
    let fresh = body["secret"].as_str().unwrap().to_owned();
    assert_eq!(status(chosen).await, StatusCode::FORBIDDEN);
    assert_eq!(status(&fresh).await, StatusCode::OK);
    let (code, _) = identity_api(&t, "POST", KEY, r#"{"grace": "no"}"#).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);

    // Bad requests, and only the admin.
    let (code, body) = identity_api(&t, "POST", KEY, r#"{"secret": "short"}"#).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("24"), "{body}");
    let (code, _) = identity_api(&t, "POST", "nosuchsite", "").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let r = t
        .get_as(&format!("/api/identity-secret?writeKey={KEY}"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Dropped: back to the collector-wide secret.
    let (code, body) = identity_api(&t, "DELETE", KEY, "").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body["source"], "collector");
    assert_eq!(status(SECRET).await, StatusCode::OK);
    assert_eq!(status(&fresh).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_site_secret_works_without_a_collector_wide_one() {
    let t = app(None);
    let (code, body) = identity_api(&t, "POST", KEY, "").await;
    assert_eq!(code, StatusCode::OK);
    let own = body["secret"].as_str().unwrap();
    assert!(
        body["previousValidUntil"].is_null(),
        "nothing to carry over"
    );
    let hash = user_hash(own.as_bytes(), "u-1");
    let r = t.get(&format!("/v1/visitors/{KEY}/u-1?hash={hash}")).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[test]
fn a_short_identity_secret_is_refused() {
    let t = TestApp::new();
    let state = TestApp::state_with(&t.dir, false);
    assert!(state.with_identity_secret("short").is_err());
}

/// Unix ms of an ISO time with a `Z` (the test's own times only).
fn chrono_ms(t: &str) -> f64 {
    let (date, time) = t.trim_end_matches('Z').split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let h: Vec<i64> = time.split(':').map(|x| x.parse().unwrap()).collect();
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + h[0] * 3600 + h[1] * 60 + h[2]) * 1000) as f64
}
