//! The small JSON endpoints beside ingest: health, the site config with ETag
//! revalidation, and the admin API: sign-in, visitor deletion for privacy requests, and
//! the views of stored events that debugging and end-to-end tests read. Everything under
//! `/api` needs the admin credential (see [`crate::auth`]); `writeKey=` there only names
//! the site.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::auth::{self, AdminOnly};
use crate::config::Site;
use crate::cors::CorsSite;
use crate::error::ApiError;
use crate::http_util::if_none_match;

const DEFAULT_EVENTS_LIMIT: u32 = 100;
const MAX_EVENTS_LIMIT: u32 = 1000;

#[derive(Debug, Deserialize)]
pub struct KeyQuery {
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
    #[serde(rename = "userId")]
    user_id: Option<String>,
    limit: Option<u32>,
}

type KeyQueryResult = Result<Query<KeyQuery>, QueryRejection>;

/// Turns a bad query string into a JSON 400 like every other error.
fn parse_query(query: KeyQueryResult) -> Result<KeyQuery, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::BadRequest(format!("query: {}", e.body_text())))
}

/// The site an admin read is about: checks the admin credential first (a writeKey is no
/// credential), then resolves `?writeKey=` to a configured site.
pub(crate) fn site_for(
    state: &AppState,
    write_key: Option<&str>,
    headers: &HeaderMap,
) -> Result<(String, Arc<Site>), ApiError> {
    state.admin.check(&Method::GET, headers)?;
    site_named(state, write_key)
}

/// The configured site `?writeKey=` names.
fn site_named(state: &AppState, write_key: Option<&str>) -> Result<(String, Arc<Site>), ApiError> {
    let key = write_key
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::BadRequest("writeKey: required, names the site".into()))?;
    let site = state
        .config
        .site(key)
        .ok_or_else(|| ApiError::NotFound(format!("no site with writeKey {key:?}")))?;
    Ok((key.to_owned(), site))
}

fn with_site(mut res: Response, site: Option<Arc<Site>>) -> Response {
    if let Some(site) = site {
        res.extensions_mut().insert(CorsSite(site));
    }
    res
}

/// `GET /api/session`: whether the dashboard's cookie is a live session, and its CSRF token
/// for the writes it makes.
pub async fn session(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match auth::cookie(&headers, auth::COOKIE).and_then(|t| state.admin.session_csrf(t)) {
        Some(csrf) => Json(json!({ "signedIn": true, "csrf": csrf })).into_response(),
        None => ApiError::Unauthorized("not signed in".into()).into_response(),
    }
}

/// `POST /api/session` with `{"secret": "..."}`: signs the dashboard in (sets the session
/// cookie) and answers the CSRF token. Only from the collector's own pages: a sign-in from
/// another origin is refused, so no page can sign a visitor's browser in to its session.
pub async fn sign_in(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !auth::same_origin(&headers) {
        return ApiError::Forbidden("sign in from the collector's own sign-in page".into())
            .into_response();
    }
    let secret = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("secret").and_then(Value::as_str).map(str::to_owned));
    let Some(secret) = secret else {
        return ApiError::BadRequest("body: expected {\"secret\": \"<admin secret>\"}".into())
            .into_response();
    };
    if !state.admin.is_secret(secret.trim()) {
        return ApiError::Unauthorized("wrong admin secret".into()).into_response();
    }
    match state.admin.sign_in() {
        Ok((token, csrf)) => (
            [(header::SET_COOKIE, auth::set_cookie(Some(&token), &headers))],
            Json(json!({ "signedIn": true, "csrf": csrf })),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// `DELETE /api/session`: signs out (a write, so it needs the CSRF token too).
pub async fn sign_out(
    State(state): State<AppState>,
    _admin: AdminOnly,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = auth::cookie(&headers, auth::COOKIE) {
        state.admin.sign_out(token);
    }
    (
        [(header::SET_COOKIE, auth::set_cookie(None, &headers))],
        Json(json!({ "signedIn": false })),
    )
        .into_response()
}

/// Unknown `/v1` paths get a JSON 404, like every other `/v1` error.
pub async fn no_endpoint(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("no endpoint {method} {}", uri.path()))
}

pub async fn health(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ok": false, "error": e.to_string() })),
        )
            .into_response(),
    }
}

/// `GET /v1/config/schema.json`: the JSON Schema of one site's config document, for editors
/// and the product team's editor (public: it describes the format, it holds no config).
/// collector/tests/schema.rs checks that it accepts exactly what the config reader accepts.
pub async fn config_schema() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/schema+json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        include_str!("../config.schema.json"),
    )
        .into_response()
}

pub async fn get_config(
    State(state): State<AppState>,
    Path(write_key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(site) = state.config.site(&write_key) else {
        return ApiError::NotFound(format!("no site config for writeKey {write_key:?}"))
            .into_response();
    };
    let etag = HeaderValue::from_str(&site.etag).unwrap_or(HeaderValue::from_static("\"\""));
    // no-cache, not max-age: browsers keep the copy but revalidate it, so an edit to the
    // config reaches visitors on their next page view at the cost of one 304.
    let cache = (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let res = if if_none_match(&headers, &site.etag) {
        (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), cache]).into_response()
    } else {
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (header::ETAG, etag),
                cache,
            ],
            site.served.clone(),
        )
            .into_response()
    };
    with_site(res, Some(site))
}

/// `DELETE /api/visitors/{anonymousId}?writeKey=K[&userId=U]`: erases a visitor's events
/// (and with `userId`, those of their other devices). Admin only: a site's privacy flow
/// calls it server to server with the bearer secret, never from the page with the writeKey.
pub async fn delete_visitor(
    State(state): State<AppState>,
    _admin: AdminOnly,
    Path(anonymous_id): Path<String>,
    query: KeyQueryResult,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(query)?;
    let (key, _) = site_named(&state, query.write_key.as_deref())?;
    let deleted = state
        .store
        .delete_visitor(key, anonymous_id, query.user_id.filter(|u| !u.is_empty()))
        .await?;
    Ok(Json(json!({ "deleted": deleted })))
}

pub async fn events(
    State(state): State<AppState>,
    query: KeyQueryResult,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(query)?;
    let (key, _) = site_for(&state, query.write_key.as_deref(), &headers)?;
    let limit = query
        .limit
        .unwrap_or(DEFAULT_EVENTS_LIMIT)
        .clamp(1, MAX_EVENTS_LIMIT);
    Ok(Json(state.store.recent_events(key, limit).await?))
}

pub async fn stats(
    State(state): State<AppState>,
    query: KeyQueryResult,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(query)?;
    let (key, _) = site_for(&state, query.write_key.as_deref(), &headers)?;
    Ok(Json(state.store.stats(key).await?))
}
