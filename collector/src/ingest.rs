//! `POST /v1/batch`: the Segment HTTP Tracking API batch endpoint.
//!
//! The body is parsed as JSON whatever its content type, because browsers send it as
//! `text/plain` to stay a CORS-simple request that survives page unload. Problems with the
//! request as a whole (bad JSON, no `batch`, unknown writeKey, too big) fail it with a
//! JSON error naming the field. Problems with one event only reject that event, listed
//! by index in the 200 response, so one bad event never costs the good ones beside it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::app::AppState;
use crate::config::Site;
use crate::cors::CorsSite;
use crate::error::ApiError;
use crate::http_util::basic_auth_user;
use crate::json_text::replace_lone_surrogates;
use crate::store::NewEvent;

/// Whole request limit, as Segment's tracking API documents it.
pub const MAX_BODY_BYTES: usize = 500 * 1024;
/// Per-event limit, as Segment documents it.
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
pub const MAX_MESSAGE_ID_CHARS: usize = 100;
const TYPES: [&str; 6] = ["track", "page", "identify", "screen", "group", "alias"];

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
    *site_out = Some(site);

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

/// Checks one event; the error names the field as `batch[i].field: problem`.
fn validate_event(index: usize, item: &Value) -> Result<NewEvent, String> {
    let at = |field: &str, problem: &str| format!("batch[{index}].{field}: {problem}");
    let Value::Object(event) = item else {
        return Err(format!("batch[{index}]: expected an object"));
    };
    let json = serde_json::to_string(item).map_err(|e| format!("batch[{index}]: {e}"))?;
    if json.len() > MAX_EVENT_BYTES {
        return Err(format!(
            "batch[{index}]: event is {} bytes, over the {MAX_EVENT_BYTES}-byte limit",
            json.len()
        ));
    }

    let kind = match event.get("type") {
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => t.clone(),
        Some(Value::String(t)) => {
            return Err(at(
                "type",
                &format!("expected one of {}, got {t:?}", TYPES.join(", ")),
            ))
        }
        Some(_) => return Err(at("type", "expected a string")),
        None => return Err(at("type", "required")),
    };
    let message_id = match event.get("messageId") {
        Some(Value::String(id)) if id.is_empty() => return Err(at("messageId", "is empty")),
        Some(Value::String(id)) if id.chars().count() > MAX_MESSAGE_ID_CHARS => {
            return Err(at(
                "messageId",
                &format!("longer than {MAX_MESSAGE_ID_CHARS} characters"),
            ))
        }
        Some(Value::String(id)) => id.clone(),
        Some(_) => return Err(at("messageId", "expected a string")),
        None => return Err(at("messageId", "required")),
    };
    let name = match kind.as_str() {
        "track" => match event.get("event") {
            Some(Value::String(e)) if !e.is_empty() => Some(e.clone()),
            Some(Value::String(_)) => return Err(at("event", "expected a non-empty string")),
            _ => return Err(at("event", "expected a string")),
        },
        "page" | "screen" => event.get("name").and_then(Value::as_str).map(String::from),
        _ => None,
    };
    let anonymous_id = optional_id(event, "anonymousId").map_err(|p| at("anonymousId", p))?;
    let user_id = optional_id(event, "userId").map_err(|p| at("userId", p))?;
    if anonymous_id.is_none() && user_id.is_none() {
        return Err(format!("batch[{index}]: anonymousId or userId required"));
    }
    Ok(NewEvent {
        message_id,
        kind,
        event: name,
        anonymous_id,
        user_id,
        timestamp: event
            .get("timestamp")
            .and_then(Value::as_str)
            .map(String::from),
        json,
    })
}

/// An id field: absent, null or empty all mean "not given"; anything but a string is an
/// error rather than a silent coercion, so a client bug shows up at once.
fn optional_id(event: &Map<String, Value>, field: &str) -> Result<Option<String>, &'static str> {
    match event.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err("expected a string"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: Value) -> NewEvent {
        validate_event(0, &v).unwrap()
    }

    fn err(v: Value) -> String {
        validate_event(3, &v).unwrap_err()
    }

    #[test]
    fn track_event_name_is_stored_as_the_event_column() {
        let e = ok(json!({"type":"track","event":"Signed Up","messageId":"m","anonymousId":"a"}));
        assert_eq!(e.event.as_deref(), Some("Signed Up"));
    }

    #[test]
    fn page_name_is_stored_as_the_event_column() {
        let e = ok(json!({"type":"page","name":"Home","messageId":"m","userId":"u"}));
        assert_eq!(e.event.as_deref(), Some("Home"));
    }

    #[test]
    fn track_without_event_names_the_field_and_index() {
        let e = err(json!({"type":"track","messageId":"m","anonymousId":"a"}));
        assert_eq!(e, "batch[3].event: expected a string");
    }

    #[test]
    fn unknown_type_is_rejected_with_the_allowed_types() {
        let e = err(json!({"type":"click","messageId":"m","anonymousId":"a"}));
        assert!(
            e.starts_with("batch[3].type: expected one of track, page"),
            "{e}"
        );
    }

    #[test]
    fn message_id_over_100_chars_is_rejected() {
        let id = "x".repeat(101);
        let e = err(json!({"type":"identify","messageId":id,"anonymousId":"a"}));
        assert_eq!(e, "batch[3].messageId: longer than 100 characters");
    }

    #[test]
    fn event_without_any_id_is_rejected() {
        let e = err(json!({"type":"identify","messageId":"m"}));
        assert_eq!(e, "batch[3]: anonymousId or userId required");
    }

    #[test]
    fn event_over_32_kb_is_rejected() {
        let big = "x".repeat(MAX_EVENT_BYTES);
        let e = err(
            json!({"type":"track","event":"E","messageId":"m","anonymousId":"a",
            "properties":{"big":big}}),
        );
        assert!(e.contains("over the 32768-byte limit"), "{e}");
    }
}
