//! JS ↔ Rust conversions and console messages, in one place.
//!
//! Values from the page are untrusted in type as well as content: anything may arrive where
//! a string or an object is expected. Every conversion here returns an `Option`/`Result`
//! instead of throwing, and warnings go to the console once per distinct message.

use std::cell::RefCell;
use std::collections::BTreeSet;

use wasm_bindgen::JsValue;

use crate::json::{Map, Value};

thread_local! {
    static WARNED: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

/// `console.warn("engagekit: …")`, at most once per distinct message.
pub fn warn(message: &str) {
    let first = WARNED.with(|w| {
        w.try_borrow_mut()
            .map(|mut w| w.insert(message.to_owned()))
            .unwrap_or(true)
    });
    if first {
        web_sys::console::warn_1(&JsValue::from_str(&format!("engagekit: {message}")));
    }
}

/// A string argument, or None when absent or not a string.
pub fn string(v: &JsValue) -> Option<String> {
    v.as_string()
}

/// Plain JSON data from any JS value, through `JSON.stringify` as Segment's libraries do:
/// dates become ISO strings, `toJSON` is honoured, functions and undefined vanish. Fails on
/// cycles and BigInt with the browser's message.
pub fn to_value(v: &JsValue) -> Result<Value, String> {
    if v.is_undefined() || v.is_null() {
        return Ok(Value::Null);
    }
    let text = js_sys::JSON::stringify(v).map_err(|e| describe(&e))?;
    let plain = js_sys::JSON::parse(&String::from(text)).map_err(|e| describe(&e))?;
    serde_wasm_bindgen::from_value(plain).map_err(|e| e.to_string())
}

/// An optional object argument (`properties`, `traits`): absent → empty; anything but an
/// object → an error saying what it was.
pub fn object(v: &JsValue, what: &str) -> Result<Map, String> {
    match to_value(v) {
        Ok(Value::Null) => Ok(Map::new()),
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(format!("{what} must be an object, got {}", kind(&other))),
        Err(e) => Err(format!("{what} could not be serialised: {e}")),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The message of a thrown JS value.
pub fn describe(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// Reads `obj[key]`, undefined when absent or when `obj` is not an object.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}
