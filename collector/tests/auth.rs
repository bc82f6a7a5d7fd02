//! Keys and roles (issue 8): the public writeKey only sends events and reads its site's
//! config; every `/api` route and visitor deletion needs the admin secret, as a bearer token
//! or a dashboard session (cookie + CSRF token for writes).

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{batch, track, Reply, TestApp, ADMIN_SECRET};
use serde_json::json;

/// Every admin route, with a method and a path naming the demo site.
const ADMIN_ROUTES: [(Method, &str); 6] = [
    (Method::GET, "/api/events?writeKey=demo"),
    (Method::GET, "/api/stats?writeKey=demo"),
    (Method::GET, "/api/reports/content?writeKey=demo"),
    (Method::GET, "/api/reports/experiments?writeKey=demo"),
    (Method::DELETE, "/api/visitors/a1?writeKey=demo"),
    (Method::DELETE, "/api/visitors/a1?writeKey=demo&userId=u1"),
];

async fn call(t: &TestApp, method: &Method, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::builder().method(method.clone()).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    t.send(req.body(Body::empty()).unwrap()).await
}

async fn with_events(t: &TestApp) {
    let mut other_device = track("m2", "B", "a9");
    other_device["userId"] = json!("u1");
    let r = t
        .post_json(&batch("demo", vec![track("m1", "A", "a1"), other_device]))
        .await;
    let r = r.json();
    assert_eq!(
        r["accepted"].as_u64().unwrap() + r["duplicates"].as_u64().unwrap(),
        2
    );
}

async fn stored(t: &TestApp) -> usize {
    t.events("demo").await.len()
}

#[tokio::test]
async fn every_admin_route_refuses_no_credential_a_wrong_one_and_the_write_key() {
    let t = TestApp::new();
    with_events(&t).await;
    let bearer_demo = "Bearer demo".to_string();
    let wrong = format!("Bearer {ADMIN_SECRET}x");
    for (method, path) in &ADMIN_ROUTES {
        for auth in [
            None,
            Some(wrong.as_str()),
            Some(bearer_demo.as_str()),
            Some("Basic ZGVtbzo="), // the writeKey as Segment's Basic auth
        ] {
            let headers: Vec<(&str, &str)> =
                auth.map(|a| ("authorization", a)).into_iter().collect();
            let r = call(&t, method, path, &headers).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {auth:?}"
            );
            assert!(
                r.json()["error"].is_string(),
                "{method} {path}: a JSON error"
            );
        }
        // A session cookie that was never issued is no credential either.
        let r = call(&t, method, path, &[("cookie", "engagekit_admin=forged")]).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} forged cookie"
        );
    }
    assert_eq!(stored(&t).await, 2, "nothing was deleted without the admin");
}

#[tokio::test]
async fn every_admin_route_answers_the_right_bearer_secret() {
    let t = TestApp::new();
    let bearer = format!("Bearer {ADMIN_SECRET}");
    for (method, path) in &ADMIN_ROUTES {
        with_events(&t).await;
        let r = call(&t, method, path, &[("authorization", &bearer)]).await;
        assert_eq!(r.status, StatusCode::OK, "{method} {path}: {:?}", r.body);
    }
    let r = call(
        &t,
        &Method::DELETE,
        "/api/visitors/a1?writeKey=demo&userId=u1",
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(r.json(), json!({"deleted": 0}), "already erased");
    assert_eq!(stored(&t).await, 0);
}

#[tokio::test]
async fn the_write_key_can_no_longer_delete_visitors() {
    let t = TestApp::new();
    with_events(&t).await;
    for origin in [None, Some("https://evil.example")] {
        let mut headers = vec![];
        if let Some(o) = origin {
            headers.push(("origin", o));
        }
        let r = call(
            &t,
            &Method::DELETE,
            "/v1/visitors/a1?writeKey=demo&userId=u1",
            &headers,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(stored(&t).await, 2);
}

#[tokio::test]
async fn the_write_key_still_sends_events_and_reads_its_config() {
    let t = TestApp::new();
    with_events(&t).await;
    let r = t.get("/v1/config/demo").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["compiled"].is_array());
}

/// Signs in as the dashboard does; answers the cookie pair and the CSRF token.
async fn sign_in(t: &TestApp) -> (String, String) {
    let req = Request::post("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .header("origin", "http://collector.test")
        .header("host", "collector.test")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(json!({"secret": ADMIN_SECRET}).to_string()))
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let set = r.header(header::SET_COOKIE).unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    let pair = set.split(';').next().unwrap().to_owned();
    (pair, r.json()["csrf"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_dashboard_session_reads_and_writes_only_with_its_csrf_token() {
    let t = TestApp::new();
    with_events(&t).await;
    let (cookie, csrf) = sign_in(&t).await;
    let r = call(&t, &Method::GET, "/api/session", &[("cookie", &cookie)]).await;
    assert_eq!(r.json(), json!({"signedIn": true, "csrf": csrf}));
    let r = call(
        &t,
        &Method::GET,
        "/api/stats?writeKey=demo",
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    let delete = "/api/visitors/a1?writeKey=demo";
    // A page on another origin (another port of the same host is the same *site*, so the
    // SameSite=Strict cookie goes along) cannot know the token.
    let r = call(&t, &Method::DELETE, delete, &[("cookie", &cookie)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(
        &t,
        &Method::DELETE,
        delete,
        &[("cookie", &cookie), ("x-csrf-token", "guess")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(
        &t,
        &Method::DELETE,
        delete,
        &[
            ("cookie", &cookie),
            ("x-csrf-token", &csrf),
            ("origin", "http://collector.test:9999"),
            ("host", "collector.test"),
        ],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "right token, foreign origin"
    );
    assert_eq!(stored(&t).await, 2);
    let r = call(
        &t,
        &Method::DELETE,
        delete,
        &[
            ("cookie", &cookie),
            ("x-csrf-token", &csrf),
            ("origin", "http://collector.test"),
            ("host", "collector.test"),
            ("sec-fetch-site", "same-origin"),
        ],
    )
    .await;
    assert_eq!(r.json(), json!({"deleted": 1}));

    // Signing out ends the session.
    let r = call(
        &t,
        &Method::DELETE,
        "/api/session",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header(header::SET_COOKIE).unwrap().contains("Max-Age=0"));
    let r = call(
        &t,
        &Method::GET,
        "/api/stats?writeKey=demo",
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_in_needs_the_secret_and_the_collectors_own_origin() {
    let t = TestApp::new();
    let post = |secret: &str, origin: &str| {
        Request::post("/api/session")
            .header(header::CONTENT_TYPE, "application/json")
            .header("origin", origin)
            .header("host", "collector.test")
            .body(Body::from(json!({ "secret": secret }).to_string()))
            .unwrap()
    };
    let r = t.send(post("demo", "http://collector.test")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.header(header::SET_COOKIE).is_none());
    let r = t.send(post(ADMIN_SECRET, "http://evil.test")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.header(header::SET_COOKIE).is_none());
    let r = t.send(post(ADMIN_SECRET, "http://collector.test")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = call(&t, &Method::GET, "/api/session", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
