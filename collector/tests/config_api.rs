//! Site configs in the database, versioned (issue 8): publish, serve at once, history,
//! diff, rollback; problems only with acknowledgement; read-only when run from a file.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{reads_as, runs_as, Reply, TestApp, ADMIN_SECRET};
use serde_json::{json, Value};

async fn admin(t: &TestApp, method: Method, path: &str, body: Option<Value>) -> Reply {
    admin_raw(t, method, path, body.map(|b| b.to_string())).await
}

async fn admin_raw(t: &TestApp, method: Method, path: &str, body: Option<String>) -> Reply {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN_SECRET}"))
        .header(header::CONTENT_TYPE, "application/json");
    t.send(req.body(body.map_or(Body::empty(), Body::from)).unwrap())
        .await
}

async fn publish(t: &TestApp, body: Value) -> Reply {
    admin(t, Method::PUT, "/api/config?writeKey=demo", Some(body)).await
}

#[tokio::test]
async fn a_fresh_database_is_seeded_from_the_config_file_as_version_1() {
    let t = TestApp::new();
    let r = admin(&t, Method::GET, "/api/config?writeKey=demo", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["version"], 1);
    assert_eq!(v["config"], common::config_json()["demo"]);
    assert!(v["author"].as_str().unwrap().starts_with("seeded from"));
    assert_eq!(v["warnings"], json!([]));
}

#[tokio::test]
async fn a_publish_is_served_at_once_and_survives_a_restart() {
    let t = TestApp::new();
    let before = t.get("/v1/config/demo").await;
    let etag = before.header(header::ETAG).unwrap().to_owned();
    let new = json!({"tracking": {"flushAt": 3}});
    let r = publish(
        &t,
        json!({"config": new, "author": "ann", "note": "smaller batches", "baseVersion": 1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.json()["version"], 2);
    assert_eq!(r.json()["author"], "ann");

    let served = t.get("/v1/config/demo").await;
    assert_eq!(runs_as(&served.json()), reads_as(&new));
    assert_ne!(served.header(header::ETAG).unwrap(), etag);

    let restarted = TestApp {
        app: TestApp::router_for(&t.dir),
        dir: t.dir,
    };
    assert_eq!(
        runs_as(&restarted.get("/v1/config/demo").await.json()),
        reads_as(&new),
        "not re-seeded"
    );
}

#[tokio::test]
async fn a_config_with_problems_needs_its_warnings_acknowledged() {
    let t = TestApp::new();
    let bad = json!({"tracking": {"flushAt": "ten"}});
    let r = publish(&t, json!({"config": bad})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let warnings = r.json()["warnings"].clone();
    assert!(
        warnings[0].as_str().unwrap().contains("tracking.flushAt"),
        "{warnings}"
    );
    let versions = admin(&t, Method::GET, "/api/config/versions?writeKey=demo", None).await;
    assert_eq!(
        versions.json()["versions"].as_array().map(Vec::len),
        Some(1),
        "not published"
    );

    let r = publish(&t, json!({"config": bad, "acknowledgeWarnings": true})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["warnings"], warnings, "kept with the version");
    assert_eq!(
        runs_as(&t.get("/v1/config/demo").await.json()),
        reads_as(&bad)
    );
}

#[tokio::test]
async fn a_config_that_cannot_be_read_is_refused_with_where_it_broke() {
    let t = TestApp::new();
    let r = admin_raw(
        &t,
        Method::PUT,
        "/api/config?writeKey=demo",
        Some("{\"config\": {\"a\": }".into()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let e = r.json()["error"].as_str().unwrap().to_owned();
    assert!(e.contains("line 1 column"), "{e}");
    for config in [json!([1]), json!("x"), json!(null)] {
        let r = publish(&t, json!({ "config": config })).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.json()["error"].as_str().unwrap().starts_with("config:"));
    }
    let r = publish(&t, json!({"config": {}, "typo": 1})).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "unknown fields are named"
    );
    assert!(r.json()["error"].as_str().unwrap().contains("typo"));
    let r = admin(
        &t,
        Method::PUT,
        "/api/config?writeKey=bad%20key",
        Some(json!({"config": {}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = admin(&t, Method::GET, "/api/config/versions?writeKey=demo", None).await;
    assert_eq!(
        r.json()["versions"].as_array().unwrap().len(),
        1,
        "nothing published"
    );
}

#[tokio::test]
async fn history_diff_and_rollback() {
    let t = TestApp::new();
    publish(
        &t,
        json!({"config": {"tracking": {"flushIntervalMs": 5000, "flushAt": 3}}, "author": "ann"}),
    )
    .await;
    publish(
        &t,
        json!({"config": {"tracking": {"flushAt": 4}}, "author": "bob"}),
    )
    .await;

    let r = admin(&t, Method::GET, "/api/config/versions?writeKey=demo", None).await;
    let versions = r.json()["versions"].clone();
    let summary: Vec<(i64, String)> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["author"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(summary[..2], [(3, "bob".to_owned()), (2, "ann".to_owned())]);
    assert!(
        versions[0].get("config").is_none(),
        "history lists no documents"
    );
    assert!(versions[0]["publishedAt"].as_str().unwrap().ends_with('Z'));

    let r = admin(&t, Method::GET, "/api/config/diff?writeKey=demo", None).await;
    assert_eq!(
        r.json(),
        json!({"writeKey": "demo", "from": 2, "to": 3, "changes": [
            {"path": "tracking.flushAt", "op": "changed", "from": 3, "to": 4},
            {"path": "tracking.flushIntervalMs", "op": "removed", "from": 5000},
        ]})
    );
    let r = admin(
        &t,
        Method::GET,
        "/api/config/diff?writeKey=demo&from=1&to=9",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = admin(
        &t,
        Method::POST,
        "/api/config/rollback?writeKey=demo",
        Some(json!({"version": 2})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["version"], 4);
    assert_eq!(r.json()["note"], "rollback to version 2");
    let served = json!({"tracking": {"flushIntervalMs": 5000, "flushAt": 3}});
    assert_eq!(
        runs_as(&t.get("/v1/config/demo").await.json()),
        reads_as(&served)
    );
    let r = admin(
        &t,
        Method::POST,
        "/api/config/rollback?writeKey=demo",
        Some(json!({"version": 40})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_publish_over_a_version_the_editor_never_saw_is_refused() {
    let t = TestApp::new();
    assert_eq!(
        publish(&t, json!({"config": {}, "baseVersion": 1}))
            .await
            .status,
        StatusCode::OK
    );
    let r = publish(&t, json!({"config": {"tracking": {}}, "baseVersion": 1})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.json()["error"].as_str().unwrap().contains("version 2"));
}

#[tokio::test]
async fn a_new_site_can_be_published() {
    let t = TestApp::new();
    assert_eq!(
        t.get("/v1/config/newsite").await.status,
        StatusCode::NOT_FOUND
    );
    let r = admin(
        &t,
        Method::PUT,
        "/api/config?writeKey=newsite",
        Some(json!({"config": {"tracking": {}}, "baseVersion": 0})),
    )
    .await;
    assert_eq!(r.json()["version"], 1);
    assert_eq!(t.get("/v1/config/newsite").await.status, StatusCode::OK);
    let batch = common::batch("newsite", vec![common::track("m1", "E", "a1")]);
    assert_eq!(t.post_json(&batch).await.json()["accepted"], 1);
}

#[tokio::test]
async fn run_from_a_file_the_config_api_is_read_only() {
    let t = TestApp::from_file();
    let r = admin(&t, Method::GET, "/api/config?writeKey=demo", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["source"], "file");
    let r = publish(&t, json!({"config": {}})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("--config-from-file"));
    let r = admin(
        &t,
        Method::POST,
        "/api/config/rollback?writeKey=demo",
        Some(json!({"version": 1})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_config_api_needs_the_admin() {
    let t = TestApp::new();
    for (method, path) in [
        (Method::GET, "/api/config?writeKey=demo"),
        (Method::PUT, "/api/config?writeKey=demo"),
        (Method::GET, "/api/config/versions?writeKey=demo"),
        (Method::GET, "/api/config/diff?writeKey=demo"),
        (Method::POST, "/api/config/rollback?writeKey=demo"),
    ] {
        for auth in [None, Some("Bearer demo"), Some("Basic ZGVtbzo=")] {
            let mut req = Request::builder().method(method.clone()).uri(path);
            if let Some(a) = auth {
                req = req.header(header::AUTHORIZATION, a);
            }
            let body = json!({"config": {}, "version": 1}).to_string();
            let r = t.send(req.body(Body::from(body)).unwrap()).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {auth:?}"
            );
        }
    }
    let r = admin(&t, Method::GET, "/api/config/versions?writeKey=demo", None).await;
    assert_eq!(r.json()["versions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_config_schema_is_public_and_names_itself() {
    let t = TestApp::new();
    let r = t.get("/v1/config/schema.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header(header::CONTENT_TYPE),
        Some("application/schema+json")
    );
    let schema = r.json();
    assert_eq!(schema["$id"], "/v1/config/schema.json");
    assert!(schema["properties"]["surveys"].is_object());
    // A site whose writeKey is "schema" is still a site.
    assert_eq!(t.get("/v1/config/demo").await.status, StatusCode::OK);
}
