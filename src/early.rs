//! Calls made before the module ran.
//!
//! The snippet queues every call with the time it was made. If the page is hidden or closed
//! before the module is running, the loader keeps those calls: in storage (the next page of
//! the site replays them) and as a beacon to the collector (so a visitor who never returns is
//! counted). The collector reads that record here and replays it through [`Tracker::replay`];
//! the next page replays it through the module's own exports (www/host.js: each call after
//! its `stamp`, between `past(page)` and `past()`), which record it the same way. So an event
//! comes out the same, with the same `messageId` (the call's id), `timestamp` (the call's
//! time) and page, whichever way it arrives, and the collector stores it once. A checklist
//! step completed by code (`complete`) is left to the browser: the collector sees one page's
//! calls, not the visitor's progress, so it would record a step done before or refuse one
//! whose prerequisites were; a visitor who never returns keeps the step undone.
//!
//! The record, as the loader writes it: `{"writeKey", "anonymousId", "consent", "page":
//! {"url", "title", "referrer", "locale"}, "calls": [[name, args, time, id], ...]}`. The
//! automatic page view of the page is the call `"_pv"`.

use crate::consent::Consent;
use crate::context::PageInfo;
use crate::event::Call;
use crate::json::{Map, Value};
use crate::prelude::*;
use crate::tracker::Tracker;

/// What one early call asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Early {
    /// Record this call.
    Record(Call),
    /// The page's automatic page view (recorded if `autocapture.pageviews`).
    PageView,
    /// The visitor's choice.
    Consent(Consent),
}

/// One early call with its time and id.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamped {
    /// What it asks for.
    pub what: Early,
    /// When it was made, Unix ms.
    pub at_ms: f64,
    /// Its id, which becomes the event's `messageId`.
    pub id: String,
}

/// A page's early calls, as the loader kept them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// The visitor's anonymous id when the loader kept the calls.
    pub anonymous_id: Option<String>,
    /// The visitor's stored choice then.
    pub consent: Consent,
    /// The page they were made on (user agent, timezone and screen are the reader's).
    pub page: PageInfo,
    /// The calls, in order.
    pub calls: Vec<Stamped>,
}

/// Reads a record; `to_json` writes properties as JSON text. None when it is not one, or
/// when it holds `reset()` or `forget()`: the visitor asked to be forgotten, so nothing of it
/// is replayed (the next page's replay in www/host.js keeps the same rule).
pub fn read(v: &Value, to_json: &dyn Fn(&Value) -> String) -> Option<Record> {
    let Value::Array(raw) = v.get("calls")? else {
        return None;
    };
    let page = v.get("page");
    let text = |key: &str| {
        page.and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let url = text("url");
    let (path, search) = crate::context::split_url(&url);
    let mut record = Record {
        anonymous_id: v
            .get("anonymousId")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
        consent: v
            .get("consent")
            .and_then(Value::as_str)
            .and_then(Consent::parse)
            .unwrap_or_default(),
        page: PageInfo {
            path: path.to_owned(),
            search: search.to_owned(),
            title: text("title"),
            referrer: text("referrer"),
            locale: text("locale"),
            url,
            ..PageInfo::default()
        },
        calls: Vec::new(),
    };
    for item in raw {
        let Value::Array(parts) = item else { continue };
        let (Some(Value::String(name)), Some(at), Some(Value::String(id))) = (
            parts.first(),
            parts.get(2).and_then(Value::as_f64),
            parts.get(3),
        ) else {
            continue;
        };
        let no_args = Vec::new();
        let args = match parts.get(1) {
            Some(Value::Array(a)) => a,
            _ => &no_args,
        };
        let what = match name.as_str() {
            "reset" | "forget" => return None,
            "_pv" => Early::PageView,
            "consent" => match args
                .first()
                .and_then(Value::as_str)
                .and_then(Consent::parse)
            {
                Some(c) => Early::Consent(c),
                None => continue,
            },
            _ => match call(name, args, to_json) {
                Some(c) => Early::Record(c),
                None => continue,
            },
        };
        if at.is_finite() && !id.is_empty() && id.len() <= 100 {
            record.calls.push(Stamped {
                what,
                // Whole ms, as the browser's replay reads it (`web::stamp`).
                at_ms: (at as u64) as f64,
                id: id.clone(),
            });
        }
    }
    Some(record)
}

/// A recording call from its name and arguments, read as the exports read them; None for
/// calls that record nothing and for bad arguments.
pub fn call(name: &str, args: &[Value], to_json: &dyn Fn(&Value) -> String) -> Option<Call> {
    let object = |v: Option<&Value>| match v {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    match name {
        "track" => {
            let event = args.first()?.as_str().filter(|e| !e.trim().is_empty())?;
            // Written straight from the argument: no copy of the object.
            let properties = match args.get(1) {
                Some(v @ Value::Object(_)) => to_json(v),
                _ => String::from("{}"),
            };
            Some(Call::Track {
                event: event.to_owned(),
                properties,
            })
        }
        "page" => Some(match args.first() {
            Some(Value::String(n)) => Call::Page {
                name: Some(n.clone()),
                properties: object(args.get(1)),
            },
            first => Call::Page {
                name: None,
                properties: object(first),
            },
        }),
        "identify" => match args.first() {
            Some(Value::String(u)) => Some(Call::Identify {
                user_id: Some(u.clone()),
                traits: object(args.get(1)),
            }),
            Some(Value::Object(traits)) => Some(Call::Identify {
                user_id: None,
                traits: traits.clone(),
            }),
            _ => None,
        },
        _ => None,
    }
}

impl Tracker {
    /// Replays a page's early calls, each at its own time and with its id, on the page they
    /// were made on. Returns how many events that recorded.
    pub fn replay(&mut self, record: Record) -> usize {
        let here = self.page().clone();
        let mut page = record.page;
        page.user_agent.clone_from(&here.user_agent);
        page.timezone.clone_from(&here.timezone);
        page.screen = here.screen;
        if page.locale.is_empty() {
            page.locale.clone_from(&here.locale);
        }
        self.set_page(page);
        let mut recorded = 0;
        for s in record.calls {
            let call = match s.what {
                Early::Record(call) => call,
                Early::PageView if self.config().tracking.autocapture.pageviews => Call::Page {
                    name: None,
                    properties: Map::new(),
                },
                Early::PageView => continue,
                Early::Consent(c) => {
                    self.set_consent(c, s.at_ms);
                    continue;
                }
            };
            if self.record(call, &s.id, s.at_ms).is_ok() {
                recorded += 1;
            }
        }
        self.set_page(here);
        recorded
    }
}
