//! The content-slot exports: the loader's widgets code finds `[data-engagekit-slot]`
//! elements and asks here which variant each shows, then reports when one is seen. The
//! decision (rules, experiment, stickiness, fallbacks) is the core's; this converts.

use crate::prelude::*;
use wasm_bindgen::prelude::*;

use super::{interop, page, with};
use crate::content::Structured;
use crate::json::{Map, Value};
use interop::warn;

/// Chooses the variant of slot `name`, given the variant names the page defines in
/// `<template data-engagekit-variant>` children; `late` when the visitor may already have
/// seen the slot's default (it then stays). Returns `{variant, reason, content?: {title,
/// heading, body, ctaLabel, ctaHref, image, imageAlt}}` (`content` for variants written in
/// the config, URLs already checked safe), or undefined for a slot the config does not know.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn decide(name: JsValue, variants: JsValue, late: JsValue) -> JsValue {
    let Some(name) = interop::string(&name) else {
        return JsValue::UNDEFINED;
    };
    let mut defined = Vec::new();
    if let Ok(Value::Array(a)) = interop::to_value(&variants) {
        for v in a {
            if let Value::String(s) = v {
                defined.push(s);
            }
        }
    }
    let late = late.is_truthy();
    let mut out = JsValue::UNDEFINED;
    with("decide", |s| {
        let now = page::now_ms();
        let has = |v: &str| defined.iter().any(|d| d == v);
        let Some((d, structured)) = s.tracker.decide(&name, now, &s.regex, &has, late) else {
            return;
        };
        if let Some(w) = &d.warning {
            warn(w);
        }
        let mut m = Map::new();
        m.set("variant", d.variant.into());
        m.set("reason", d.reason.as_str().into());
        if let Some(st) = structured {
            m.set("content", structured_js(st));
        }
        out = interop::to_js(&Value::Object(m));
    });
    out
}

/// A config-written variant as the plain object the widgets code renders as text.
fn structured_js(st: Structured) -> Value {
    let mut c = Map::new();
    c.set("heading", f64::from(st.heading).into());
    let fields = [
        ("title", st.title),
        ("body", st.body),
        ("ctaLabel", st.cta_label),
        ("ctaHref", st.cta_href),
        ("image", st.image),
        ("imageAlt", st.image_alt),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            c.set(k, v.into());
        }
    }
    c.into()
}

/// Slot `name` became visible: records `Content Viewed` (and `Experiment Viewed`), once per
/// slot per page view.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn viewed(name: JsValue) -> JsValue {
    let Some(name) = interop::string(&name) else {
        return JsValue::UNDEFINED;
    };
    with("viewed", |s| {
        for (event, properties) in s.tracker.viewed(&name) {
            s.record_track(event, &properties);
        }
    })
}
