//! Static files: the built loader, glue and wasm from `--dist`, and the demo site from
//! `--www`. Served by hand rather than with `ServeDir` because the contract is precise:
//! `text/javascript; charset=utf-8` and `application/wasm` (which
//! `WebAssembly.instantiateStreaming` insists on), a strong ETag, and
//! `Access-Control-Allow-Origin: *` on the dist files so a site on another origin can
//! load the module. Compression is left to the router's `CompressionLayer`.
//!
//! The dashboard (`--dashboard`, at `/dashboard`) gets `security::DASHBOARD_CSP`; a demo
//! page gets a policy allowing exactly its own inline scripts (`security::page_csp`).
//!
//! Some files are never served, wherever they sit: the config file (it maps every
//! writeKey to its site's settings, and a user may point `--config` inside `--www`),
//! SQLite databases, and dotfiles.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::ApiError;
use crate::http_util::{if_none_match, strong_etag};
use crate::security;

/// The files the loader fetches; only these are served from `--dist`. The loader takes one
/// build of the module: `engagekit_core` (tracking), `engagekit_content` (+ content slots),
/// `engagekit_surveys` (+ surveys) or `engagekit_widgets` (+ checklists: everything), as the
/// served config's `build` says (scripts/build.sh).
pub const DIST_FILES: [&str; 13] = [
    "engagekit.js",
    "engagekit_core.js",
    "engagekit_core_bg.wasm",
    "engagekit_content.js",
    "engagekit_content_bg.wasm",
    "engagekit_surveys.js",
    "engagekit_surveys_bg.wasm",
    "engagekit_widgets.js",
    "engagekit_widgets_bg.wasm",
    // The NPS survey card, loaded only when a survey is about to show.
    "engagekit_survey.js",
    // The onboarding checklist widget, loaded only where a checklist shows.
    "engagekit_checklist.js",
    // The compile chunk, loaded only for a config passed inline to init.
    "engagekit_config.js",
    "engagekit_config_bg.wasm",
];

/// Short enough that a rebuilt module reaches visitors within minutes without renaming.
const DIST_CACHE: &str = "public, max-age=300";
/// The demo pages change while someone works on them; always revalidate.
const WWW_CACHE: &str = "no-cache";

pub async fn dist_file(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let name = uri.path().trim_start_matches('/');
    let path = state.dist.join(name);
    match serve_file(&path, &headers, DIST_CACHE, false).await {
        Some(mut res) => {
            res.headers_mut().insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            res
        }
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!(
                "{name} not found in {}: run npm run build to build the loader and wasm module\n",
                state.dist.display()
            ),
        )
            .into_response(),
    }
}

/// `/dashboard` and the files beside its `index.html`.
pub async fn dashboard(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let rest = uri.path().strip_prefix("/dashboard").unwrap_or_default();
    let Some(rel) = safe_relative_path(rest) else {
        return not_found();
    };
    let rel = if rel.as_os_str().is_empty() {
        PathBuf::from("index.html")
    } else {
        rel
    };
    let path = state.dashboard.join(rel);
    if is_private(&path, &state.config_file).await {
        return not_found();
    }
    match serve_file(&path, &headers, WWW_CACHE, false).await {
        Some(mut res) => {
            res.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(security::DASHBOARD_CSP),
            );
            res
        }
        None => not_found(),
    }
}

/// Everything not routed elsewhere: the demo site, with `/x` also finding `x.html`.
pub async fn www(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    if path == "/v1" || path == "/api" || path.starts_with("/api/") {
        return ApiError::NotFound(format!("no endpoint {method} {path}")).into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let Some(rel) = safe_relative_path(path) else {
        return not_found();
    };
    let full = state.www.join(&rel);
    let is_dir = tokio::fs::metadata(&full).await.is_ok_and(|m| m.is_dir());
    if is_dir && !path.ends_with('/') {
        // Redirect so relative links inside the directory's index.html resolve.
        let location = format!("{path}/");
        return (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response();
    }
    let candidates = if is_dir {
        vec![full.join("index.html")]
    } else if full.extension().is_none() {
        vec![full.clone(), full.with_extension("html")]
    } else {
        vec![full]
    };
    for candidate in candidates {
        if is_private(&candidate, &state.config_file).await {
            return not_found();
        }
        if let Some(res) = serve_file(&candidate, &headers, WWW_CACHE, true).await {
            return res;
        }
    }
    not_found()
}

/// Whether `path` must not be served even though it is under a served directory: a
/// SQLite file (by name) or the config file (the same file, through any symlink or hard
/// link). Answers true when `path` exists but cannot be resolved, to fail closed.
async fn is_private(path: &Path, config_file: &Path) -> bool {
    if is_database_name(path) {
        return true;
    }
    let Ok(config) = tokio::fs::canonicalize(config_file).await else {
        return false; // no config file, nothing to hide
    };
    match tokio::fs::canonicalize(path).await {
        Ok(resolved) => resolved == config || same_inode(&resolved, &config).await,
        Err(_) => tokio::fs::symlink_metadata(path).await.is_ok(),
    }
}

#[cfg(unix)]
async fn same_inode(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (tokio::fs::metadata(a).await, tokio::fs::metadata(b).await) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
async fn same_inode(_: &Path, _: &Path) -> bool {
    false
}

/// A SQLite database or one of its journal files: `--db` defaults to a `.db` file in the
/// working directory, which may well be the site root.
fn is_database_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    [
        ".db",
        ".db-wal",
        ".db-shm",
        ".db-journal",
        ".sqlite",
        ".sqlite3",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
        .into_response()
}

/// Reads a regular file and answers with it, or 304 when the client's copy is current.
/// `None` when there is no such file, so the caller can try the next candidate. With
/// `page_policy`, an HTML file gets the Content-Security-Policy for its inline scripts,
/// on the 304 too, since a browser merges that response's headers into its copy.
async fn serve_file(
    path: &Path,
    headers: &HeaderMap,
    cache: &'static str,
    page_policy: bool,
) -> Option<Response> {
    let meta = tokio::fs::metadata(path).await.ok()?;
    if !meta.is_file() {
        return None;
    }
    let bytes = tokio::fs::read(path).await.ok()?;
    let etag = strong_etag(&bytes);
    let mut out = HeaderMap::new();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, v);
    }
    if let Some(v) = meta.modified().ok().and_then(http_date) {
        out.insert(header::LAST_MODIFIED, v);
    }
    let content_type = content_type(path);
    if page_policy && content_type.starts_with("text/html") {
        out.insert(header::CONTENT_SECURITY_POLICY, security::page_csp(&bytes));
    }
    if if_none_match(headers, &etag) {
        return Some((StatusCode::NOT_MODIFIED, out).into_response());
    }
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Some((out, bytes).into_response())
}

fn http_date(t: SystemTime) -> Option<HeaderValue> {
    HeaderValue::from_str(&httpdate::fmt_http_date(t)).ok()
}

pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Turns a URL path into a path under the site root, refusing anything that could leave
/// it (`..`, backslashes, NUL) and hidden files such as `.git`.
fn safe_relative_path(url_path: &str) -> Option<PathBuf> {
    let mut rel = PathBuf::new();
    for raw in url_path.split('/') {
        let segment = percent_decode(raw)?;
        if segment.is_empty() {
            continue;
        }
        if segment.starts_with('.') || segment.contains(['\\', '\0', '/']) {
            return None;
        }
        rel.push(segment);
    }
    Some(rel)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_climb_out_of_the_root_are_refused() {
        assert_eq!(safe_relative_path("/../etc/passwd"), None);
        assert_eq!(safe_relative_path("/a/%2e%2e/b"), None);
        assert_eq!(safe_relative_path("/a/..%2fb"), None);
        assert_eq!(safe_relative_path("/.git/config"), None);
    }

    #[test]
    fn database_files_are_recognised_by_name() {
        for name in [
            "engagekit.db",
            "a/Events.DB",
            "x.db-wal",
            "x.db-shm",
            "y.sqlite3",
        ] {
            assert!(is_database_name(Path::new(name)), "{name}");
        }
        for name in ["db.html", "notes.dbx", "debug.js"] {
            assert!(!is_database_name(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn encoded_names_are_decoded() {
        assert_eq!(
            safe_relative_path("/my%20page.html"),
            Some(PathBuf::from("my page.html"))
        );
    }

    #[test]
    fn wasm_and_js_have_the_types_browsers_require() {
        assert_eq!(content_type(Path::new("a_bg.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
    }
}
