//! What one event of a batch must look like to be stored: Segment's HTTP Tracking API
//! spec, field by field, including each spec field's JSON type.
//!
//! Types are checked rather than coerced or ignored so that a client bug (a timestamp
//! sent as epoch milliseconds, `properties` sent as a string) shows up at once, in the
//! answer to the batch, instead of as rows the reports silently miscount. `null` counts
//! as absent wherever the spec makes a field optional. This module decides only; storing
//! and answering are [`crate::ingest`]'s.

use serde_json::{Map, Value};

use crate::iso8601;
use crate::store::NewEvent;

/// Per-event limit, as Segment documents it.
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
pub const MAX_MESSAGE_ID_CHARS: usize = 100;
const TYPES: [&str; 6] = ["track", "page", "identify", "screen", "group", "alias"];
/// Date-time fields: strings, and `timestamp`, which the reports order by, must parse.
const TIME_FIELDS: [&str; 4] = ["timestamp", "sentAt", "originalTimestamp", "receivedAt"];
const OBJECT_FIELDS: [&str; 4] = ["properties", "traits", "context", "integrations"];
const STRING_FIELDS: [&str; 5] = ["event", "name", "category", "previousId", "groupId"];

/// Checks one event; the error names the field as `batch[i].field: problem`.
pub fn validate_event(index: usize, item: &Value) -> Result<NewEvent, String> {
    let at = |field: &str, problem: &str| format!("batch[{index}].{field}: {problem}");
    let Value::Object(event) = item else {
        return Err(format!(
            "batch[{index}]: expected an object, got {}",
            kind_of(item)
        ));
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
        Some(other) => return Err(at("type", &expected("a string", other))),
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
        Some(other) => return Err(at("messageId", &expected("a string", other))),
        None => return Err(at("messageId", "required")),
    };
    check_field_types(event).map_err(|(field, problem)| at(field, &problem))?;
    // The spec's required fields per type, now known to be strings when present.
    let required = match kind.as_str() {
        "track" => Some("event"),
        "alias" => Some("previousId"),
        "group" => Some("groupId"),
        _ => None,
    };
    match required.map(|field| (field, text(event, field))) {
        Some((field, None)) => return Err(at(field, "expected a string")),
        Some((field, Some(""))) => return Err(at(field, "expected a non-empty string")),
        _ => {}
    }
    let name = match kind.as_str() {
        "track" => text(event, "event"),
        "page" | "screen" => text(event, "name"),
        _ => None,
    };
    let anonymous_id = optional_id(event, "anonymousId").map_err(|p| at("anonymousId", &p))?;
    let user_id = optional_id(event, "userId").map_err(|p| at("userId", &p))?;
    if anonymous_id.is_none() && user_id.is_none() {
        return Err(format!("batch[{index}]: anonymousId or userId required"));
    }
    Ok(NewEvent {
        message_id,
        kind,
        event: name.map(String::from),
        anonymous_id,
        user_id,
        timestamp: text(event, "timestamp").map(String::from),
        json,
    })
}

/// Each spec field that is present and not null has its spec's JSON type; the first that
/// does not is returned with the problem.
fn check_field_types(event: &Map<String, Value>) -> Result<(), (&'static str, String)> {
    let present = |field: &'static str| {
        event
            .get(field)
            .filter(|v| !v.is_null())
            .map(|v| (field, v))
    };
    for (field, value) in TIME_FIELDS.into_iter().filter_map(present) {
        match value {
            Value::String(s) if field == "timestamp" && !iso8601::is_date_time(s) => {
                return Err((
                    field,
                    "expected an ISO-8601 date-time such as 2025-01-31T12:00:00.000Z".into(),
                ))
            }
            Value::String(_) => {}
            other => return Err((field, expected("an ISO-8601 string", other))),
        }
    }
    for (field, value) in OBJECT_FIELDS.into_iter().filter_map(present) {
        if !value.is_object() {
            return Err((field, expected("an object", value)));
        }
    }
    for (field, value) in STRING_FIELDS.into_iter().filter_map(present) {
        if !value.is_string() {
            return Err((field, expected("a string", value)));
        }
    }
    Ok(())
}

/// A string field's text, when present as a string.
fn text<'a>(event: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    event.get(field).and_then(Value::as_str)
}

/// An id field: absent, null or empty all mean "not given"; anything but a string is an
/// error rather than a silent coercion, so a client bug shows up at once.
fn optional_id(event: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match event.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(expected("a string", other)),
    }
}

/// `expected <what>, got <the JSON type of value>`.
fn expected(what: &str, value: &Value) -> String {
    format!("expected {what}, got {}", kind_of(value))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn a_wrong_type_names_the_type_it_got() {
        let e = err(json!({"type":"page","messageId":"m","anonymousId":"a","timestamp":17}));
        assert_eq!(
            e,
            "batch[3].timestamp: expected an ISO-8601 string, got a number"
        );
        let e = err(json!({"type":"page","messageId":"m","anonymousId":["a"]}));
        assert_eq!(e, "batch[3].anonymousId: expected a string, got an array");
    }

    #[test]
    fn alias_and_group_need_their_spec_ids() {
        let e = err(json!({"type":"alias","messageId":"m","userId":"u"}));
        assert_eq!(e, "batch[3].previousId: expected a string");
        let e = err(json!({"type":"group","messageId":"m","userId":"u","groupId":""}));
        assert_eq!(e, "batch[3].groupId: expected a non-empty string");
        ok(json!({"type":"alias","messageId":"m","userId":"u","previousId":"a"}));
        ok(json!({"type":"group","messageId":"m","userId":"u","groupId":"g"}));
    }
}
