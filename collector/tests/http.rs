//! The rest of the HTTP surface: config with ETag, CORS, health, visitor deletion,
//! static files and live config reload.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{batch, reads_as, runs_as, track, TestApp, ADMIN_SECRET, ALLOWED};
use serde_json::json;

fn with_origin(method: Method, uri: &str, origin: &str, body: String) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::ORIGIN, origin)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn serves_the_site_config_with_a_strong_etag_and_no_cache() {
    let t = TestApp::new();
    let r = t.get("/v1/config/demo").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = json!({"tracking": {"flushIntervalMs": 5000}});
    // What was published, as read and compiled: the module reads it without checks.
    assert_eq!(runs_as(&r.json()), reads_as(&doc));
    assert_eq!(
        r.json()["privacy"],
        json!({"requireConsent": false, "honorDnt": true})
    );
    assert_eq!(r.json()["build"], "core");
    assert_eq!(r.header(header::CONTENT_TYPE), Some("application/json"));
    assert_eq!(r.header(header::CACHE_CONTROL), Some("no-cache"));
    let etag = r.header(header::ETAG).unwrap();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
}

#[tokio::test]
async fn answers_304_when_the_config_etag_matches() {
    let t = TestApp::new();
    let etag = t
        .get("/v1/config/demo")
        .await
        .header(header::ETAG)
        .unwrap()
        .to_owned();
    let req = Request::get("/v1/config/demo")
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    assert_eq!(r.header(header::ETAG), Some(etag.as_str()));
    let stale = Request::get("/v1/config/demo")
        .header(header::IF_NONE_MATCH, "\"stale\"")
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.send(stale).await.status, StatusCode::OK);
}

#[tokio::test]
async fn answers_404_json_for_an_unknown_config_key() {
    let t = TestApp::new();
    let r = t.get("/v1/config/nope").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.json()["error"].as_str().unwrap().contains("nope"));
}

#[tokio::test]
async fn reloads_the_config_file_after_it_is_edited() {
    let t = TestApp::from_file();
    assert_eq!(
        t.get("/v1/config/later").await.status,
        StatusCode::NOT_FOUND
    );
    let before = t
        .get("/v1/config/demo")
        .await
        .header(header::ETAG)
        .unwrap()
        .to_owned();
    let path = t.dir.path().join("config.json");
    let edited = json!({"demo": {"tracking": {"flushIntervalMs": 100}}, "later": {"x": 1}});
    std::fs::write(&path, edited.to_string()).unwrap();
    // Make the edit visible even on a filesystem with coarse timestamps.
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    let later = t.get("/v1/config/later").await.json();
    assert_eq!(runs_as(&later), reads_as(&json!({"x": 1})));
    let after = t.get("/v1/config/demo").await;
    assert_ne!(after.header(header::ETAG).unwrap(), before);
    let r = t
        .post_json(&batch("later", vec![track("m1", "A", "a1")]))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn keeps_the_last_good_config_when_an_edit_is_not_valid_json() {
    let t = TestApp::from_file();
    let path = t.dir.path().join("config.json");
    std::fs::write(&path, "{\"demo\": {").unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    assert_eq!(t.get("/v1/config/demo").await.status, StatusCode::OK);
}

#[tokio::test]
async fn starts_with_no_sites_when_the_config_file_is_missing() {
    let t = TestApp::from_file();
    std::fs::remove_file(t.dir.path().join("config.json")).unwrap();
    let fresh = TestApp::router_with(&t.dir, true);
    let t = TestApp {
        app: fresh,
        dir: t.dir,
    };
    assert_eq!(t.get("/v1/config/demo").await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/v1/health").await.status, StatusCode::OK);
}

#[tokio::test]
async fn reflects_the_origin_and_exposes_retry_after_on_a_batch() {
    let t = TestApp::new();
    let body = batch("demo", vec![track("m1", "A", "a1")]).to_string();
    let r = t
        .send(with_origin(
            Method::POST,
            "/v1/batch",
            "https://shop.example",
            body,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some("https://shop.example")
    );
    let exposed = r.header(header::ACCESS_CONTROL_EXPOSE_HEADERS).unwrap();
    assert!(exposed.contains("Retry-After"), "{exposed}");
    assert!(r
        .headers
        .get_all(header::VARY)
        .iter()
        .any(|v| v == "Origin"));
}

#[tokio::test]
async fn gives_no_allow_origin_to_an_origin_the_site_does_not_allow() {
    let t = TestApp::new();
    let body = batch("strict", vec![track("m1", "A", "a1")]).to_string();
    let denied = t
        .send(with_origin(
            Method::POST,
            "/v1/batch",
            "https://evil.example",
            body.clone(),
        ))
        .await;
    assert_eq!(denied.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
    let allowed = t
        .send(with_origin(Method::POST, "/v1/batch", ALLOWED, body))
        .await;
    assert_eq!(
        allowed.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(ALLOWED)
    );
    let config = t
        .send(with_origin(
            Method::GET,
            "/v1/config/strict",
            "https://evil.example",
            String::new(),
        ))
        .await;
    assert_eq!(config.status, StatusCode::OK);
    assert_eq!(config.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
}

#[tokio::test]
async fn gives_cors_headers_to_errors_so_the_page_can_read_the_status() {
    let t = TestApp::new();
    let r = t
        .send(with_origin(
            Method::POST,
            "/v1/batch",
            "https://shop.example",
            "{".into(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some("https://shop.example")
    );
}

#[tokio::test]
async fn answers_a_preflight_for_json_senders() {
    let t = TestApp::new();
    let req = Request::builder()
        .method(Method::OPTIONS)
        .uri("/v1/batch")
        .header(header::ORIGIN, "https://shop.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Body::empty())
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        r.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some("https://shop.example")
    );
    assert!(r
        .header(header::ACCESS_CONTROL_ALLOW_METHODS)
        .unwrap()
        .contains("POST"));
    assert_eq!(
        r.header(header::ACCESS_CONTROL_ALLOW_HEADERS),
        Some("content-type")
    );
}

#[tokio::test]
async fn refuses_a_preflight_from_an_origin_the_named_site_does_not_allow() {
    let t = TestApp::new();
    let req = Request::builder()
        .method(Method::OPTIONS)
        .uri("/v1/config/strict")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .body(Body::empty())
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
}

#[tokio::test]
async fn reports_health_after_checking_the_database() {
    let t = TestApp::new();
    let r = t.get("/v1/health").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"ok": true}));
}

#[tokio::test]
async fn the_admin_deletes_a_visitors_events_by_anonymous_id_and_user_id() {
    let t = TestApp::new();
    let mut by_user = track("m3", "C", "other-device");
    by_user["userId"] = json!("u1");
    let events = vec![track("m1", "A", "a1"), track("m2", "B", "a2"), by_user];
    t.post_json(&batch("demo", events)).await;
    let req = Request::delete("/api/visitors/a1?writeKey=demo&userId=u1")
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN_SECRET}"))
        .body(Body::empty())
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"deleted": 2}));
    let left = t.events("demo").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["anonymousId"], "a2");
}

#[tokio::test]
async fn serves_the_wasm_module_as_application_wasm_to_any_origin() {
    let t = TestApp::new();
    let r = t.get("/engagekit_core_bg.wasm").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header(header::CONTENT_TYPE), Some("application/wasm"));
    assert_eq!(r.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"));
    assert_eq!(r.header(header::CACHE_CONTROL), Some("public, max-age=300"));
    assert!(r.header(header::ETAG).is_some());
    assert!(r.header(header::LAST_MODIFIED).is_some());
    assert!(r.body.starts_with(b"\0asm"));
}

#[tokio::test]
async fn serves_the_loader_and_glue_as_javascript() {
    let t = TestApp::new();
    for path in ["/engagekit.js", "/engagekit_core.js"] {
        let r = t.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(
            r.header(header::CONTENT_TYPE),
            Some("text/javascript; charset=utf-8")
        );
    }
}

#[tokio::test]
async fn compresses_the_wasm_module_when_the_browser_accepts_it() {
    let t = TestApp::new();
    for encoding in ["br", "gzip"] {
        let req = Request::get("/engagekit_core_bg.wasm")
            .header(header::ACCEPT_ENCODING, encoding)
            .body(Body::empty())
            .unwrap();
        let r = t.send(req).await;
        assert_eq!(r.header(header::CONTENT_ENCODING), Some(encoding));
        assert_eq!(r.header(header::CONTENT_TYPE), Some("application/wasm"));
        assert!(r.body.len() < 4096);
    }
}

#[tokio::test]
async fn revalidates_static_files_with_their_etag() {
    let t = TestApp::new();
    let etag = t
        .get("/engagekit.js")
        .await
        .header(header::ETAG)
        .unwrap()
        .to_owned();
    let req = Request::get("/engagekit.js")
        .header(header::IF_NONE_MATCH, etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.send(req).await.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn hints_at_the_build_when_dist_files_are_missing() {
    let t = TestApp::new();
    std::fs::remove_file(t.dir.path().join("dist/engagekit.js")).unwrap();
    let r = t.get("/engagekit.js").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&r.body).contains("npm run build"));
}

#[tokio::test]
async fn serves_the_demo_site_with_pretty_urls() {
    let t = TestApp::new();
    let home = t.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(
        home.header(header::CONTENT_TYPE),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(home.body, "<h1>demo home</h1>");
    assert_eq!(t.get("/about").await.body, "<h1>about</h1>");
    assert_eq!(t.get("/about.html").await.body, "<h1>about</h1>");
    assert_eq!(t.get("/docs/").await.body, "<h1>docs</h1>");
    let dir = t.get("/docs").await;
    assert_eq!(dir.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(dir.header(header::LOCATION), Some("/docs/"));
}

#[tokio::test]
async fn answers_404_for_unknown_paths_and_never_leaves_the_site_root() {
    let t = TestApp::new();
    assert_eq!(t.get("/missing").await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/../events.db").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.get("/%2e%2e/config.json").await.status,
        StatusCode::NOT_FOUND
    );
    let api = t.get("/v1/nothing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.json()["error"].is_string());
}

#[tokio::test]
async fn a_lone_surrogate_in_the_config_file_costs_no_site() {
    let mut config = common::config_json();
    config["shop"]["content"]["goal"] = json!("GOAL");
    let text = config
        .to_string()
        .replace(r#""GOAL""#, r#""Signed Up \ud83d""#);
    let t = TestApp::with_config_text(&text);
    for key in config.as_object().unwrap().keys() {
        let r = t.get(&format!("/v1/config/{key}")).await;
        assert_eq!(r.status, StatusCode::OK, "{key}");
    }
    let shop = runs_as(&t.get("/v1/config/shop").await.json());
    assert_eq!(shop.content.goal.as_deref(), Some("Signed Up \u{fffd}"));
}

/// A router over the checkout's demo site and the default config, as `npm start` runs it.
fn demo_site(dir: &tempfile::TempDir) -> axum::Router {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let state = engagekit_collector::AppState::open(
        &dir.path().join("events.db"),
        repo.join("config/demo.json"),
        repo.join("www/demo"),
        dir.path().join("dist"),
    )
    .unwrap();
    engagekit_collector::router(state)
}

fn csp_hash(script: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(script.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[tokio::test]
async fn every_kind_of_response_carries_nosniff_and_a_referrer_policy() {
    let t = TestApp::new();
    for path in [
        "/",
        "/about",
        "/engagekit.js",
        "/engagekit_core_bg.wasm",
        "/v1/health",
        "/v1/config/demo",
        "/v1/config/nope",
        "/api/stats?writeKey=demo",
        "/missing",
        "/dashboard/",
        "/dashboard/dashboard.js",
    ] {
        let r = t.get(path).await;
        assert_eq!(
            r.header(header::X_CONTENT_TYPE_OPTIONS),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            r.header(header::REFERRER_POLICY),
            Some("strict-origin-when-cross-origin"),
            "{path}"
        );
        let csp = r.header(header::CONTENT_SECURITY_POLICY).unwrap_or("");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        let html = r
            .header(header::CONTENT_TYPE)
            .unwrap()
            .starts_with("text/html");
        if html {
            for directive in ["object-src 'none'", "base-uri 'none'"] {
                let default_none = csp.contains("default-src 'none'");
                assert!(csp.contains(directive) || default_none, "{path}: {csp}");
            }
        } else {
            assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        }
    }
}

#[tokio::test]
async fn the_dashboard_gets_a_strict_policy_its_markup_lives_within() {
    let t = TestApp::new();
    let r = t.get("/dashboard/").await;
    assert_eq!(r.status, StatusCode::OK);
    let csp = r.header(header::CONTENT_SECURITY_POLICY).unwrap();
    assert_eq!(csp, engagekit_collector::security::DASHBOARD_CSP);
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // Under that policy only same-origin files run or style the page.
    let html = String::from_utf8_lossy(&r.body).to_ascii_lowercase();
    for tag in html.split("<script").skip(1) {
        let start = &tag[..tag.find('>').unwrap()];
        assert!(
            start.contains("src="),
            "inline script in the dashboard: {start}"
        );
    }
    assert!(
        !html.contains("<style") && !html.contains(" style="),
        "inline style"
    );
    assert!(!html.contains("javascript:"));
}

#[tokio::test]
async fn a_page_with_inline_scripts_allows_exactly_those_by_hash() {
    let t = TestApp::new();
    let first = "\nengagekit.init(\"demo\");\n";
    let second = "window.x = 1;";
    let page = format!(
        "<!doctype html><head><script>{first}</script>\
         <script async src=\"/engagekit.js\"></script></head>\
         <body><script type=\"module\">{second}</script></body>"
    );
    std::fs::write(t.dir.path().join("www/snippet.html"), page).unwrap();
    let r = t.get("/snippet").await;
    assert_eq!(r.status, StatusCode::OK);
    let csp = r.header(header::CONTENT_SECURITY_POLICY).unwrap();
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    assert_eq!(
        directives,
        [
            format!(
                "script-src 'self' {} {} 'wasm-unsafe-eval'",
                csp_hash(first),
                csp_hash(second)
            )
            .as_str(),
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    );

    // A revalidation keeps the page's own policy rather than the one for bodiless replies.
    let etag = r.header(header::ETAG).unwrap();
    let req = Request::get("/snippet")
        .header(header::IF_NONE_MATCH, etag)
        .body(Body::empty())
        .unwrap();
    let again = t.send(req).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.header(header::CONTENT_SECURITY_POLICY), Some(csp));
}

#[tokio::test]
async fn each_demo_page_allows_its_readme_snippet_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    let t = TestApp {
        app: demo_site(&dir),
        dir,
    };
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/demo");
    for page in ["index.html", "pricing.html", "docs.html", "app.html"] {
        let html = std::fs::read_to_string(demo.join(page)).unwrap();
        let start = html.find("<script>").unwrap() + "<script>".len();
        let snippet = &html[start..start + html[start..].find("</script>").unwrap()];
        assert!(snippet.contains("engagekit.init("), "{page}");
        let r = t.get(&format!("/{page}")).await;
        let csp = r.header(header::CONTENT_SECURITY_POLICY).unwrap();
        let script_src = csp.split(';').next().unwrap();
        assert_eq!(
            script_src,
            format!("script-src 'self' {} 'wasm-unsafe-eval'", csp_hash(snippet)),
            "{page}"
        );
        assert!(csp.contains("connect-src 'self'"), "{page}: {csp}");
    }
}

#[tokio::test]
async fn the_default_layout_does_not_serve_the_config_store() {
    let dir = tempfile::tempdir().unwrap();
    let t = TestApp {
        app: demo_site(&dir),
        dir,
    };
    assert_eq!(t.get("/").await.status, StatusCode::OK);
    for path in [
        "/engagekit.config.json",
        "/config.json",
        "/demo.json",
        "/config/demo.json",
        "/../config/demo.json",
    ] {
        assert_eq!(t.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(t.get("/v1/config/demo").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_config_file_inside_the_site_root_is_404_at_its_url() {
    let t = TestApp::new();
    let www = t.dir.path().join("www");
    std::fs::write(www.join("sites.json"), common::config_json().to_string()).unwrap();
    std::fs::write(www.join("public.json"), "{}").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(www.join("sites.json"), www.join("docs/alias.json")).unwrap();
    let state = engagekit_collector::AppState::open(
        &t.dir.path().join("events.db"),
        www.join("docs/../sites.json"),
        &www,
        t.dir.path().join("dist"),
    )
    .unwrap();
    let t = TestApp {
        app: engagekit_collector::router(state),
        dir: t.dir,
    };
    assert_eq!(t.get("/v1/config/demo").await.status, StatusCode::OK);
    assert_eq!(t.get("/sites.json").await.status, StatusCode::NOT_FOUND);
    #[cfg(unix)]
    assert_eq!(
        t.get("/docs/alias.json").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.get("/public.json").await.status, StatusCode::OK);
}

#[tokio::test]
async fn databases_and_dotfiles_in_the_site_root_are_404() {
    let t = TestApp::new();
    let www = t.dir.path().join("www");
    for name in ["events.db", "events.db-wal", ".env", "docs/.secret"] {
        std::fs::write(www.join(name), "private").unwrap();
    }
    for path in [
        "/events.db",
        "/events.db-wal",
        "/.env",
        "/%2eenv",
        "/docs/.secret",
    ] {
        assert_eq!(t.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}
