//! Events in the shape of Segment's tracking spec (`track`, `page`, `identify`).
//!
//! Turns a call from the page plus the visitor's identity and the page context into the JSON
//! text that is queued and sent. Validates what the page passed (names, property objects,
//! size) and refuses with a message naming the event. Never reads the clock or randomness:
//! the time and the `messageId` come in from the shell.

use crate::batch::MAX_EVENT_BYTES;
use crate::json::{push_uint, write_str, Map, Value};
use crate::prelude::*;

/// Library name and version reported in `context.library`.
pub const LIBRARY: &str = "engagekit";
/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the page asked to record.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// `track(event, properties)`; the properties as JSON object text (the browser's
    /// `JSON.stringify` wrote it, so the hot path never walks the object).
    Track { event: String, properties: String },
    /// `page(name, properties)`; properties are completed from the page context.
    Page {
        name: Option<String>,
        properties: Map,
    },
    /// `identify(userId, traits)`; without a user id it adds traits to the current visitor.
    Identify {
        user_id: Option<String>,
        traits: Map,
    },
}

impl Call {
    /// A `track` call with properties given as a map (written as JSON by `to_json`).
    pub fn track(event: &str, properties: &Map, to_json: &dyn Fn(&Value) -> String) -> Call {
        Call::Track {
            event: event.to_owned(),
            properties: to_json(&Value::Object(properties.clone())),
        }
    }

    /// The Segment `type` of this call.
    pub fn kind(&self) -> &'static str {
        match self {
            Call::Track { .. } => "track",
            Call::Page { .. } => "page",
            Call::Identify { .. } => "identify",
        }
    }

    /// The name the engagement score and per-event counts know this call by.
    pub fn score_name(&self) -> &str {
        match self {
            Call::Track { event, .. } => event,
            Call::Page { .. } => "Page Viewed",
            Call::Identify { .. } => "Identified",
        }
    }
}

/// Who the visitor is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    /// Random id of this browser, persisted.
    pub anonymous_id: String,
    /// Set by `identify`, cleared by `reset`.
    pub user_id: Option<String>,
    /// Traits from `identify`, merged over time.
    pub traits: Map,
}

/// A refused call.
#[derive(Debug, Clone, PartialEq)]
pub enum EventError {
    /// The event name is empty or not a string.
    BadName(&'static str),
    /// The event's JSON is over the per-event limit.
    TooLarge { name: String, bytes: usize },
}

impl EventError {
    /// The message for the page's console.
    pub fn message(&self) -> String {
        match self {
            EventError::BadName(what) => (*what).to_owned(),
            EventError::TooLarge { name, bytes } => {
                let mut m = String::from("event \"");
                m.push_str(name);
                m.push_str("\" is ");
                push_uint(&mut m, *bytes as u64);
                m.push_str(" bytes, over the ");
                push_uint(&mut m, MAX_EVENT_BYTES as u64);
                m.push_str("-byte limit; it was not queued");
                m
            }
        }
    }
}

/// An event ready to queue: its id and its JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// The `messageId`, unique per event.
    pub id: String,
    /// The event as compact JSON.
    pub json: String,
}

/// What every event of one page view shares, written as JSON text once per page view (and
/// when the traits change) rather than once per event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// `context` without its closing brace (page, userAgent, locale, timezone, screen,
    /// campaign); `sessionId`, `library` and `traits` are added per event.
    pub context: String,
    /// Segment's page properties (`path`, `url`, `title`, `referrer`, `search`).
    pub page: Map,
    /// The visitor's traits as JSON text, empty when there are none.
    pub traits: String,
}

impl Frame {
    /// The frame for `context` (as [`crate::context::context`] builds it). Takes the map,
    /// so it is written without a clone of it.
    pub fn new(context: Map, traits: &Map, to_json: &dyn Fn(&Value) -> String) -> Frame {
        let page = page_properties(&context);
        let mut text = to_json(&Value::Object(context));
        text.pop();
        Frame {
            context: text,
            page,
            traits: traits_text(traits, to_json),
        }
    }
}

/// The traits as JSON text for [`Frame::traits`].
pub fn traits_text(traits: &Map, to_json: &dyn Fn(&Value) -> String) -> String {
    if traits.is_empty() {
        String::new()
    } else {
        to_json(&Value::Object(traits.clone()))
    }
}

/// Builds the event for `call` as JSON text, checking names and size; `timestamp` is the
/// time of the call as [`iso8601`] writes it. The text is assembled
/// from pieces already written (the frame, the properties), so the cost of a `track` does not
/// depend on the page or on the visitor's history. `to_json` writes what is new (page
/// properties, traits: the browser's `JSON.stringify` in the wasm build).
pub fn build(
    call: &Call,
    identity: &Identity,
    frame: &Frame,
    session_id: f64,
    message_id: &str,
    timestamp: &str,
    to_json: &dyn Fn(&Value) -> String,
) -> Result<Built, EventError> {
    let mut e = String::with_capacity(frame.context.len() + frame.traits.len() + 400);
    e.push_str("{\"type\":\"");
    e.push_str(call.kind());
    e.push_str("\",\"messageId\":");
    write_str(&mut e, message_id);
    e.push_str(",\"timestamp\":\"");
    e.push_str(timestamp);
    e.push_str("\",\"anonymousId\":");
    write_str(&mut e, &identity.anonymous_id);
    let user_id = match call {
        Call::Identify {
            user_id: Some(u), ..
        } => Some(u),
        _ => identity.user_id.as_ref(),
    };
    if let Some(uid) = user_id {
        e.push_str(",\"userId\":");
        write_str(&mut e, uid);
    }
    let label = match call {
        Call::Track { event, properties } => {
            if crate::text::is_blank(event) {
                return Err(EventError::BadName(
                    "track: the event name must be a non-empty string",
                ));
            }
            e.push_str(",\"event\":");
            write_str(&mut e, event);
            e.push_str(",\"properties\":");
            e.push_str(
                if properties.starts_with('{') && properties.ends_with('}') {
                    properties
                } else {
                    "{}"
                },
            );
            event.as_str()
        }
        Call::Page { name, properties } => {
            let mut props = frame.page.clone();
            props.merge(properties);
            if let Some(n) = name {
                e.push_str(",\"name\":");
                write_str(&mut e, n);
                props.set("name", n.as_str().into());
            }
            e.push_str(",\"properties\":");
            e.push_str(&to_json(&Value::Object(props)));
            name.as_deref().unwrap_or("page")
        }
        Call::Identify { user_id, traits } => {
            if user_id.as_deref().is_some_and(crate::text::is_blank) {
                return Err(EventError::BadName(
                    "identify: the userId must be a non-empty string",
                ));
            }
            let mut all = identity.traits.clone();
            all.merge(traits);
            e.push_str(",\"traits\":");
            e.push_str(&to_json(&Value::Object(all)));
            "identify"
        }
    };
    e.push_str(",\"context\":");
    if frame.context.is_empty() {
        e.push('{');
    } else {
        e.push_str(&frame.context);
        if frame.context.len() > 1 {
            e.push(',');
        }
    }
    e.push_str("\"sessionId\":");
    push_uint(&mut e, session_id.max(0.0) as u64);
    e.push_str(",\"library\":{\"name\":\"");
    e.push_str(LIBRARY);
    e.push_str("\",\"version\":\"");
    e.push_str(VERSION);
    e.push_str("\"}");
    if !frame.traits.is_empty() && !matches!(call, Call::Identify { .. }) {
        e.push_str(",\"traits\":");
        e.push_str(&frame.traits);
    }
    e.push_str("}}");
    if e.len() > MAX_EVENT_BYTES {
        return Err(EventError::TooLarge {
            name: label.to_owned(),
            bytes: e.len(),
        });
    }
    Ok(Built {
        id: message_id.to_owned(),
        json: e,
    })
}

/// Segment's page properties (`path`, `url`, `title`, `referrer`, `search`) from the context.
fn page_properties(context: &Map) -> Map {
    let mut props = Map::new();
    if let Some(Value::Object(page)) = context.get("page") {
        for key in ["path", "url", "title", "referrer", "search"] {
            if let Some(v) = page.get(key) {
                props.set(key, v.clone());
            }
        }
    }
    props
}

/// `2026-11-23T09:17:30.123Z` for a Unix time in milliseconds; before 1970 and not a number
/// are 1970-01-01T00:00:00.000Z. Digits are pushed one by one (no `core::fmt`). The wasm
/// build has the browser's `Date.prototype.toISOString` write the same text instead
/// (`web::page::iso8601`, through [`crate::tracker::Store::iso8601`]).
pub fn iso8601(ms: f64) -> String {
    let mut out = String::with_capacity(24);
    let ms = if ms.is_finite() {
        ms.max(0.0) as i64
    } else {
        0
    };
    let (secs, milli) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let fields: [(i64, usize, char); 7] = [
        (y, 4, '-'),
        (i64::from(m), 2, '-'),
        (i64::from(d), 2, 'T'),
        (rem / 3600, 2, ':'),
        (rem % 3600 / 60, 2, ':'),
        (rem % 60, 2, '.'),
        (milli, 3, 'Z'),
    ];
    for (value, width, sep) in fields {
        let mut digits = String::new();
        push_uint(&mut digits, value.max(0) as u64);
        for _ in digits.len()..width {
            out.push('0');
        }
        out.push_str(&digits);
        out.push(sep);
    }
    out
}

/// Proleptic Gregorian date for days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A version-4 UUID from 16 random bytes (RFC 9562 layout).
pub fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        s.push(HEX[usize::from(byte >> 4)] as char);
        s.push(HEX[usize::from(byte & 0xf)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident() -> Identity {
        Identity {
            anonymous_id: "anon-1".into(),
            ..Identity::default()
        }
    }

    fn parsed(b: &Built) -> serde_json::Value {
        serde_json::from_str(&b.json).unwrap()
    }

    fn frame(context: Map) -> Frame {
        Frame::new(context, &Map::new(), &Value::to_json)
    }

    fn run(call: &Call, id: &Identity, context: Map) -> Result<Built, EventError> {
        build(
            call,
            id,
            &frame(context),
            7.0,
            "m",
            &iso8601(0.0),
            &Value::to_json,
        )
    }

    fn track(event: &str, props: &Map) -> Call {
        Call::track(event, props, &Value::to_json)
    }

    fn page_context() -> Map {
        let mut page = Map::new();
        page.insert("path".into(), "/pricing".into());
        page.insert("url".into(), "https://acme.test/pricing?x=1".into());
        page.insert("title".into(), "Pricing".into());
        let mut c = Map::new();
        c.insert("page".into(), page.into());
        c
    }

    #[test]
    fn formats_iso8601_in_utc_with_milliseconds() {
        assert_eq!(iso8601(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_795_425_450_123.0), "2026-11-23T09:17:30.123Z");
        assert_eq!(iso8601(951_782_400_000.0), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn formats_years_and_fields_with_their_widths() {
        assert_eq!(iso8601(-5.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(f64::NAN), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(253_402_300_799_999.0), "9999-12-31T23:59:59.999Z");
        assert_eq!(iso8601(1_000_000_007.0), "1970-01-12T13:46:40.007Z");
    }

    #[test]
    fn properties_that_are_not_object_text_become_empty() {
        let call = Call::Track {
            event: "x".into(),
            properties: "[1]".into(),
        };
        let v = parsed(&run(&call, &ident(), Map::new()).unwrap());
        assert_eq!(v["properties"], serde_json::json!({}));
        assert_eq!(v["context"]["sessionId"], 7);
    }

    #[test]
    fn uuid_has_version_and_variant_bits() {
        let u = uuid_v4([0xff; 16]);
        assert_eq!(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
    }

    #[test]
    fn track_event_has_the_segment_fields() {
        let mut props = Map::new();
        props.insert("plan".into(), "pro".into());
        let call = track("Signed Up", &props);
        let mut with_traits = ident();
        with_traits.traits.set("plan", "team".into());
        let f = Frame::new(page_context(), &with_traits.traits, &Value::to_json);
        let b = build(
            &call,
            &ident(),
            &f,
            42.0,
            "m-1",
            &iso8601(0.0),
            &Value::to_json,
        )
        .unwrap();
        let v = parsed(&b);
        assert_eq!(v["type"], "track");
        assert_eq!(v["event"], "Signed Up");
        assert_eq!(v["messageId"], "m-1");
        assert_eq!(v["anonymousId"], "anon-1");
        assert_eq!(v["properties"]["plan"], "pro");
        assert_eq!(v["timestamp"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v["context"]["library"]["name"], "engagekit");
        assert_eq!(v["context"]["page"]["path"], "/pricing");
        assert_eq!(v["context"]["sessionId"], 42);
        assert_eq!(v["context"]["traits"]["plan"], "team");
        assert!(v.get("userId").is_none());
    }

    #[test]
    fn page_event_copies_page_fields_into_properties() {
        let call = Call::Page {
            name: Some("Pricing".into()),
            properties: Map::new(),
        };
        let v = parsed(&run(&call, &ident(), page_context()).unwrap());
        assert_eq!(v["type"], "page");
        assert_eq!(v["name"], "Pricing");
        assert_eq!(v["properties"]["path"], "/pricing");
        assert_eq!(v["properties"]["title"], "Pricing");
    }

    #[test]
    fn identify_sets_user_id_and_merges_traits() {
        let mut id = ident();
        id.traits.insert("plan".into(), "free".into());
        let mut traits = Map::new();
        traits.insert("name".into(), "Ada".into());
        let call = Call::Identify {
            user_id: Some("u-7".into()),
            traits,
        };
        let v = parsed(&run(&call, &id, Map::new()).unwrap());
        assert_eq!(v["userId"], "u-7");
        assert_eq!(v["traits"]["plan"], "free");
        assert_eq!(v["traits"]["name"], "Ada");
    }

    #[test]
    fn known_user_is_on_every_later_event() {
        let mut id = ident();
        id.user_id = Some("u-7".into());
        let call = track("x", &Map::new());
        let v = parsed(&run(&call, &id, Map::new()).unwrap());
        assert_eq!(v["userId"], "u-7");
    }

    #[test]
    fn refuses_an_empty_event_name() {
        let call = track("  ", &Map::new());
        assert!(matches!(
            run(&call, &ident(), Map::new()),
            Err(EventError::BadName(_))
        ));
    }

    #[test]
    fn refuses_an_event_over_32_kb_naming_it() {
        let mut props = Map::new();
        props.insert("blob".into(), "x".repeat(40_000).into());
        let call = track("Huge", &props);
        let err = run(&call, &ident(), Map::new()).unwrap_err();
        assert!(err.message().contains("\"Huge\""), "{}", err.message());
        assert!(matches!(err, EventError::TooLarge { bytes, .. } if bytes > 40_000));
    }

    #[test]
    fn identify_without_a_user_id_keeps_the_known_one() {
        let mut id = ident();
        id.user_id = Some("u-1".into());
        let call = Call::Identify {
            user_id: None,
            traits: Map::new(),
        };
        let v = parsed(&run(&call, &id, Map::new()).unwrap());
        assert_eq!(v["userId"], "u-1");
    }

    #[test]
    fn hostile_strings_stay_valid_json() {
        let call = track("</script><img src=x onerror=alert(1)>\"\\\n", &Map::new());
        let v = parsed(&run(&call, &ident(), Map::new()).unwrap());
        assert_eq!(v["event"], "</script><img src=x onerror=alert(1)>\"\\\n");
    }
}
