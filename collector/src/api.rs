//! The small JSON endpoints beside ingest: health, the site config with ETag
//! revalidation, visitor deletion for privacy requests, and the `/api` views of stored
//! events that debugging and end-to-end tests read.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::config::Site;
use crate::cors::CorsSite;
use crate::error::ApiError;
use crate::http_util::{basic_auth_user, if_none_match};

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

/// Resolves the writeKey from `?writeKey=` or Basic auth to a configured site.
pub(crate) fn site_for(
    state: &AppState,
    write_key: Option<&str>,
    headers: &HeaderMap,
) -> Result<(String, Arc<Site>), ApiError> {
    let key = write_key
        .filter(|k| !k.is_empty())
        .map(String::from)
        .or_else(|| basic_auth_user(headers))
        .ok_or_else(|| {
            ApiError::Unauthorized("missing writeKey: pass ?writeKey= or Basic auth".into())
        })?;
    let site = state
        .config
        .site(&key)
        .ok_or_else(|| ApiError::Unauthorized(format!("unknown writeKey {key:?}")))?;
    Ok((key, site))
}

fn with_site(mut res: Response, site: Option<Arc<Site>>) -> Response {
    if let Some(site) = site {
        res.extensions_mut().insert(CorsSite(site));
    }
    res
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
            site.json.clone(),
        )
            .into_response()
    };
    with_site(res, Some(site))
}

pub async fn delete_visitor(
    State(state): State<AppState>,
    Path(anonymous_id): Path<String>,
    query: KeyQueryResult,
    headers: HeaderMap,
) -> Response {
    let query = match parse_query(query) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let result = site_for(&state, query.write_key.as_deref(), &headers);
    let site = result.as_ref().ok().map(|(_, s)| s.clone());
    let res = match result {
        Ok((key, _)) => state
            .store
            .delete_visitor(key, anonymous_id, query.user_id.filter(|u| !u.is_empty()))
            .await
            .map(|deleted| Json(json!({ "deleted": deleted }))),
        Err(e) => Err(e),
    };
    with_site(res.into_response(), site)
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
