//! `POST /v1/calls`: calls a page made before its module ran, sent by the loader as a beacon
//! when the page was hidden or closed first (a visitor who bounces is still counted).
//!
//! The body is the loader's record (see `engagekit::early`). It is replayed through the
//! browser module's own [`Tracker`], with the site's config, the visitor's consent and the
//! request's Do-Not-Track / Global Privacy Control headers, so the events are exactly the
//! ones the module would have made, with the same `messageId`s: when the next page of the
//! site replays the same record from storage, the store keeps each event once.
//!
//! Replaying only records events: no audience condition (and so no site pattern) is ever
//! evaluated against what a visitor sent, here or anywhere in the collector. Conditions run
//! in the visitor's own browser, bounded there by the core's checks (nesting depth, pattern
//! shape, input length).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::Json;
use engagekit::config::Config;
use engagekit::context::PageInfo;
use engagekit::tracker::{keys, MemoryStore, Store, Tracker};
use serde_json::Value;

use crate::app::AppState;
use crate::config::Site;
use crate::error::ApiError;
use crate::ingest::{answer, check_origin, store};
use crate::json_text::replace_lone_surrogates;

pub async fn post_calls(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut site = None;
    let result = replay(&state, &headers, body, &mut site).await;
    answer(result, site)
}

async fn replay(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    site_out: &mut Option<Arc<Site>>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map_err(|r| {
        ApiError::BadRequest(format!("cannot read request body: {}", r.body_text()))
    })?;
    let record: engagekit::json::Value = serde_json::from_slice(&replace_lone_surrogates(&body))
        .map_err(|e| ApiError::BadRequest(format!("body: invalid JSON: {e}")))?;
    let write_key = match record.get("writeKey").and_then(|k| k.as_str()) {
        Some(k) if !k.is_empty() => k.to_owned(),
        _ => {
            return Err(ApiError::BadRequest(
                "writeKey: expected a non-empty string".into(),
            ))
        }
    };
    let site = state
        .config
        .site(&write_key)
        .ok_or_else(|| ApiError::Unauthorized(format!("unknown writeKey {write_key:?}")))?;
    *site_out = Some(site.clone());
    check_origin(state, &write_key, &site, headers).await?;
    let events = events(&site, &write_key, &record, headers)?;
    store(state, write_key, &events, 0).await
}

/// The events the record's calls make, as the module would make them.
fn events(
    site: &Site,
    write_key: &str,
    record: &engagekit::json::Value,
    headers: &HeaderMap,
) -> Result<Vec<Value>, ApiError> {
    let to_json = |v: &engagekit::json::Value| v.to_json();
    let record = engagekit::early::read(record, &to_json).ok_or_else(|| {
        ApiError::BadRequest("calls: expected the loader's record of calls".into())
    })?;
    let anonymous_id = record
        .anonymous_id
        .clone()
        .ok_or_else(|| ApiError::BadRequest("anonymousId: expected a non-empty string".into()))?;
    let config = serde_json::from_slice::<engagekit::json::Value>(&site.json)
        .map(|v| Config::from_value(&v, &engagekit::regex::RegressEngine::default()).0)
        .unwrap_or_default();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let privacy_signal = header("dnt") == "1" || header("sec-gpc") == "1";
    let mut store = MemoryStore::default();
    store.set(keys::ANON, &anonymous_id);
    store.set(keys::CONSENT, record.consent.as_str());
    let mut tracker = Tracker::new(
        write_key,
        config,
        "collector",
        Box::new(store),
        privacy_signal,
        anonymous_id,
    );
    tracker.set_page(PageInfo {
        user_agent: header(header::USER_AGENT.as_str()).to_owned(),
        locale: header(header::ACCEPT_LANGUAGE.as_str())
            .split([',', ';'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned(),
        ..PageInfo::default()
    });
    tracker.replay(record);
    let mut out = Vec::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64);
    while let Some(request) = tracker.flush_request(now) {
        let batch: Value = serde_json::from_str(&request.body)
            .map_err(|e| ApiError::BadRequest(format!("calls: {e}")))?;
        if let Some(Value::Array(items)) = batch.get("batch") {
            out.extend(items.iter().cloned());
        }
        tracker.settle(&request, Some(200), None, 0.0, now);
    }
    Ok(out)
}
