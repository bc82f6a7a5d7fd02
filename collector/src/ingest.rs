//! `POST /v1/batch`: the Segment HTTP Tracking API batch endpoint.
//!
//! The body is parsed as JSON whatever its content type, because browsers send it as
//! `text/plain` to stay a CORS-simple request that survives page unload. Problems with the
//! request as a whole (bad JSON, no `batch`, unknown writeKey, too big) fail it with a
//! JSON error naming the field. Problems with one event only reject that event (see
//! [`crate::segment`]), listed by index in the 200 response, so one bad event never costs
//! the good ones beside it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::app::AppState;
use crate::config::Site;
use crate::cors::CorsSite;
use crate::error::ApiError;
use crate::http_util::basic_auth_user;
use crate::json_text::replace_lone_surrogates;
use crate::segment::validate_event;

/// Whole request limit, as Segment's tracking API documents it.
pub const MAX_BODY_BYTES: usize = 500 * 1024;

pub async fn post_batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut site = None;
    let result = ingest(&state, &headers, body, &mut site).await;
    answer(result, site)
}

/// The answer to a site's request, carrying the site for the CORS layer.
pub fn answer(result: Result<Json<Value>, ApiError>, site: Option<Arc<Site>>) -> Response {
    let mut res = result.into_response();
    if let Some(site) = site {
        res.extensions_mut().insert(CorsSite(site));
    }
    res
}

async fn ingest(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    site_out: &mut Option<Arc<Site>>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(format!(
                "request body is over the {MAX_BODY_BYTES}-byte limit; send smaller batches"
            ))
        } else {
            ApiError::BadRequest(format!(
                "cannot read request body: {}",
                rejection.body_text()
            ))
        }
    })?;
    // Half an emoji from JSON.stringify costs one character, not the batch.
    let root: Value = serde_json::from_slice(&replace_lone_surrogates(&body))
        .map_err(|e| ApiError::BadRequest(format!("body: invalid JSON: {e}")))?;
    let Value::Object(root) = root else {
        return Err(ApiError::BadRequest("body: expected a JSON object".into()));
    };

    let write_key = write_key_of(&root, headers)?;
    let site = state
        .config
        .site(&write_key)
        .ok_or_else(|| ApiError::Unauthorized(format!("unknown writeKey {write_key:?}")))?;
    *site_out = Some(site.clone());
    check_origin(state, &write_key, &site, headers).await?;

    let batch = match root.get("batch") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::BadRequest("batch: expected an array".into())),
        None => {
            return Err(ApiError::BadRequest(
                "batch: required, expected an array of events".into(),
            ))
        }
    };
    let dropped = match root.get("dropped") {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_u64().ok_or_else(|| {
            ApiError::BadRequest("dropped: expected a non-negative integer".into())
        })?,
    };

    store(state, write_key, batch, dropped).await
}

/// Checks each event alone, stores the good ones (once each, by `messageId`) and answers
/// how many were accepted, were duplicates, and which were rejected, by index.
pub async fn store(
    state: &AppState,
    write_key: String,
    items: &[Value],
    dropped: u64,
) -> Result<Json<Value>, ApiError> {
    let mut events = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match validate_event(index, item) {
            Ok(event) => events.push(event),
            Err(error) => rejected.push(json!({ "index": index, "error": error })),
        }
    }
    let inserted = state.store.insert_batch(write_key, events, dropped).await?;
    Ok(Json(json!({
        "success": true,
        "accepted": inserted.accepted,
        "duplicates": inserted.duplicates,
        "rejected": rejected,
    })))
}

/// Refuses a request from a page whose origin the site's `allowedOrigins` does not list,
/// and counts the refusal for the site's stats, so a writeKey copied into another site's
/// pages cannot add events to this one's reports. A request without `Origin` is accepted,
/// as Segment accepts it: browsers always send the header on a POST, and server-side
/// senders (Segment's libraries) never do. Those can leave it out at will, so this keeps
/// other pages out; it is not authentication.
pub async fn check_origin(
    state: &AppState,
    write_key: &str,
    site: &Site,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().ok();
    if origin.is_some_and(|o| site.allows_origin(o)) {
        return Ok(());
    }
    // Best effort: a counter that cannot be written (already logged) must not turn the
    // refusal into a 503, which clients retry.
    let _ = state
        .store
        .count_rejected_origin(write_key.to_owned())
        .await;
    Err(ApiError::Forbidden(format!(
        "origin {}: not in allowedOrigins for writeKey {write_key:?}",
        origin.map_or_else(|| "(not readable)".to_owned(), |o| format!("{o:?}"))
    )))
}

/// The writeKey from the body (what browsers send) or Basic auth (what Segment's
/// server-side libraries send). The body wins when both are present, since it is what
/// the sender wrote for this batch.
fn write_key_of(root: &Map<String, Value>, headers: &HeaderMap) -> Result<String, ApiError> {
    match root.get("writeKey") {
        Some(Value::String(k)) if !k.is_empty() => return Ok(k.clone()),
        None | Some(Value::Null) => {}
        Some(Value::String(_)) => {
            return Err(ApiError::BadRequest(
                "writeKey: expected a non-empty string".into(),
            ))
        }
        Some(_) => return Err(ApiError::BadRequest("writeKey: expected a string".into())),
    }
    basic_auth_user(headers).ok_or_else(|| {
        ApiError::Unauthorized(
            "missing writeKey: send it as the body's writeKey or as the Basic auth username".into(),
        )
    })
}
