//! CORS for `/v1/*`. The allow-list is per site (`allowedOrigins` in its config), and for
//! a batch the site is only known once the body is read, so handlers attach the site they
//! resolved to the response (`CorsSite`) and this middleware decides afterwards. A site
//! without `allowedOrigins` allows any origin. The browser's simple POST still reaches
//! the handler from a disallowed origin; the ingest handlers refuse it
//! ([`crate::ingest::check_origin`]), and the missing `Access-Control-Allow-Origin` keeps
//! that page from reading even the refusal.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{OriginalUri, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::config::Site;

/// The site a `/v1` response belongs to, set by the handler for this middleware to read.
#[derive(Clone)]
pub struct CorsSite(pub Arc<Site>);

const ALLOW_METHODS: &str = "GET, POST, DELETE, OPTIONS";
const DEFAULT_ALLOW_HEADERS: &str = "content-type, authorization, if-none-match";
/// `Retry-After` so the loader can honour backoff; `ETag` so a cross-origin config fetch
/// can keep it.
const EXPOSE_HEADERS: &str = "Retry-After, ETag";

pub async fn cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    if req.method() == Method::OPTIONS {
        return preflight(&state, &req, origin);
    }
    let mut res = next.run(req).await;
    let site = res.extensions().get::<CorsSite>().map(|s| s.0.clone());
    let allowed = match (&origin, &site) {
        (Some(o), Some(site)) => o.to_str().is_ok_and(|o| site.allows_origin(o)),
        (Some(_), None) => true,
        (None, _) => false,
    };
    let headers = res.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let (true, Some(origin)) = (allowed, origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    res
}

/// Answers a preflight. The body of a POST is not sent with it, so the site comes from
/// the path or `?writeKey=` when present, and otherwise the origin must be allowed by at
/// least one configured site.
fn preflight(state: &AppState, req: &Request, origin: Option<HeaderValue>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::ALLOW, HeaderValue::from_static(ALLOW_METHODS));
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    headers.append(
        header::VARY,
        HeaderValue::from_static("Access-Control-Request-Headers"),
    );
    let origin_str = origin.as_ref().and_then(|o| o.to_str().ok());
    if let (Some(origin), Some(origin_str)) = (origin.clone(), origin_str) {
        let sites = state.config.sites();
        let allowed = match key_of(req).and_then(|k| sites.get(&k)) {
            Some(site) => site.allows_origin(origin_str),
            None => sites.is_empty() || sites.values().any(|s| s.allows_origin(origin_str)),
        };
        if allowed {
            let requested = req
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                .cloned()
                .unwrap_or(HeaderValue::from_static(DEFAULT_ALLOW_HEADERS));
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOW_METHODS),
            );
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSE_HEADERS),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
    }
    (StatusCode::NO_CONTENT, headers).into_response()
}

/// The writeKey a `/v1` request names without a body: `/v1/config/{key}` or `?writeKey=`.
fn key_of(req: &Request) -> Option<String> {
    // Inside the nested `/v1` router the URI has lost its prefix; the original keeps it.
    let uri = req
        .extensions()
        .get::<OriginalUri>()
        .map_or(req.uri(), |o| &o.0);
    if let Some(key) = uri.path().strip_prefix("/v1/config/") {
        return Some(key.to_owned());
    }
    let Query(query) = Query::<HashMap<String, String>>::try_from_uri(uri).ok()?;
    query.get("writeKey").cloned()
}
