//! Shared fixture for the collector's integration tests: a temp dir holding a real SQLite
//! file, a config file, a tiny demo site and fake dist files, and helpers that drive the
//! real router with `oneshot`.

#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use engagekit_collector::{router, AppState};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tempfile::TempDir;
use tower::ServiceExt;

pub const ALLOWED: &str = "https://allowed.example";
/// The admin secret every test app has; `TestApp::get` sends it to `/api` paths.
pub const ADMIN_SECRET: &str = "test-admin-secret-0123456789abcdef";

pub struct TestApp {
    pub dir: TempDir,
    pub app: Router,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The JSON body of a 200, failing with the body when the status is another.
    pub fn ok_json(&self) -> Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }

    pub fn header(&self, name: impl header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

pub fn config_json() -> Value {
    json!({
        "demo": {"tracking": {"flushIntervalMs": 5000}},
        "strict": {"allowedOrigins": [ALLOWED]},
        "shop": {"content": {"goal": "Signed Up", "slots": {
            "hero": {"goal": "Trial Started",
                     "experiment": {"key": "hero-cta", "variations": ["default", "bold"]}},
            "footer": {"rules": []},
            "plans": {"experiment": {"key": "pricing", "variations": ["cheap", "premium"]}},
        }}},
        "nogoal": {"content": {"slots": {"hero": {"variants": {"bold": {"title": "Bold"}}}}}},
        "consent": {"privacy": {"requireConsent": true}},
    })
}

impl TestApp {
    pub fn new() -> Self {
        Self::with_config_text(&config_json().to_string())
    }

    /// A collector whose config file holds exactly `text`, as a product team saved it.
    pub fn with_config_text(text: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("config.json"), text).unwrap();
        std::fs::create_dir_all(root.join("www/docs")).unwrap();
        std::fs::write(root.join("www/index.html"), "<h1>demo home</h1>").unwrap();
        std::fs::write(root.join("www/about.html"), "<h1>about</h1>").unwrap();
        std::fs::write(root.join("www/docs/index.html"), "<h1>docs</h1>").unwrap();
        std::fs::create_dir_all(root.join("dist")).unwrap();
        std::fs::write(root.join("dist/engagekit.js"), "/* loader */ ".repeat(100)).unwrap();
        std::fs::write(root.join("dist/engagekit_core.js"), "export{} ".repeat(100)).unwrap();
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend(std::iter::repeat_n(0u8, 4096));
        std::fs::write(root.join("dist/engagekit_core_bg.wasm"), wasm).unwrap();
        let app = Self::router_for(&dir);
        TestApp { dir, app }
    }

    /// A fresh router over the same files, as after a restart; site configs in the
    /// database, seeded from config.json.
    pub fn router_for(dir: &TempDir) -> Router {
        Self::router_with(dir, false)
    }

    /// The same, serving the site configs from config.json (`--config-from-file`).
    pub fn from_file() -> Self {
        let t = Self::new();
        let app = Self::router_with(&t.dir, true);
        TestApp { app, dir: t.dir }
    }

    pub fn router_with(dir: &TempDir, config_from_file: bool) -> Router {
        router(Self::state_with(dir, config_from_file))
    }

    /// The collector's state over the files in `dir` (site configs in the database unless
    /// `config_from_file`), for a test to adjust before making its router.
    pub fn state_with(dir: &TempDir, config_from_file: bool) -> AppState {
        let root = dir.path();
        AppState::open_with_secret(
            &root.join("events.db"),
            root.join("config.json"),
            root.join("www"),
            root.join("dist"),
            engagekit_collector::auth::SecretSource::Given(ADMIN_SECRET),
            config_from_file,
        )
        .unwrap()
        .with_dashboard(Self::dashboard_dir())
    }

    /// The real dashboard files from the checkout, so the tests check what ships.
    pub fn dashboard_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/dashboard")
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A GET; to `/api` paths, as the admin (bearer secret). `get_as` chooses.
    pub async fn get(&self, uri: &str) -> Reply {
        let admin = uri.starts_with("/api/");
        self.get_as(uri, admin.then_some(ADMIN_SECRET)).await
    }

    /// A GET with `Authorization: Bearer <secret>` when given.
    pub async fn get_as(&self, uri: &str, bearer: Option<&str>) -> Reply {
        let mut req = Request::get(uri);
        if let Some(secret) = bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {secret}"));
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// Posts a body the way browsers do: CORS-simple, `text/plain`.
    pub async fn post_text(&self, body: impl Into<String>) -> Reply {
        let req = Request::post("/v1/batch")
            .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(Body::from(body.into()))
            .unwrap();
        self.send(req).await
    }

    pub async fn post_json(&self, body: &Value) -> Reply {
        let req = Request::post("/v1/batch")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// Posts `events` for `write_key` in batches of 50, each answered 200 with nothing
    /// rejected.
    pub async fn post_events(&self, write_key: &str, events: &[Value]) {
        for chunk in events.chunks(50) {
            let r = self.post_json(&batch(write_key, chunk.to_vec())).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{}",
                String::from_utf8_lossy(&r.body)
            );
            assert_eq!(r.json()["rejected"], json!([]));
        }
    }

    /// The `error` message of `uri` (signed in as admin), which must answer `status`.
    pub async fn error(&self, uri: &str, status: StatusCode) -> String {
        let r = self.get(uri).await;
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
        r.json()["error"].as_str().unwrap().to_owned()
    }

    /// Posts `body` to `uri` (`/v1/batch`, `/v1/calls`) as a browser page does, with
    /// `headers` such as `Origin`.
    pub async fn post_with(
        &self,
        uri: &str,
        body: impl Into<String>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::post(uri).header(header::CONTENT_TYPE, "text/plain;charset=UTF-8");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req.body(Body::from(body.into())).unwrap()).await
    }

    pub async fn stats(&self, write_key: &str) -> Value {
        let r = self.get(&format!("/api/stats?writeKey={write_key}")).await;
        assert_eq!(r.status, StatusCode::OK);
        r.json()
    }

    pub async fn events(&self, write_key: &str) -> Vec<Value> {
        let r = self.get(&format!("/api/events?writeKey={write_key}")).await;
        assert_eq!(r.status, StatusCode::OK);
        r.json().as_array().unwrap().clone()
    }
}

pub fn track(message_id: &str, event: &str, anonymous_id: &str) -> Value {
    json!({
        "type": "track",
        "event": event,
        "messageId": message_id,
        "anonymousId": anonymous_id,
        "properties": {"plan": "pro"},
        "timestamp": "2025-01-01T00:00:00.000Z",
        "context": {"library": {"name": "engagekit"}},
    })
}

pub fn batch(write_key: &str, events: Vec<Value>) -> Value {
    json!({"batch": events, "sentAt": "2025-01-01T00:00:01.000Z", "writeKey": write_key})
}

/// The config a `/v1/config/{key}` body runs the browser module with: its `compiled` form
/// read back as the wasm reads it.
pub fn runs_as(served: &Value) -> engagekit::config::Config {
    let compiled = serde_json::from_value(served["compiled"].clone()).unwrap();
    engagekit::config::Config::from_compiled(compiled).expect("a compiled config")
}

/// What a published document reads as, less what only the collector uses (`allowedOrigins`,
/// which is not compiled).
pub fn reads_as(doc: &Value) -> engagekit::config::Config {
    let doc = serde_json::from_value(doc.clone()).unwrap();
    let re = engagekit::regex::RegressEngine::default();
    let (config, _) = engagekit::config::Config::from_value(&doc, &re);
    engagekit::config::Config {
        allowed_origins: None,
        ..config
    }
}
