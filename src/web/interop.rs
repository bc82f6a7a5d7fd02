//! JS ↔ Rust conversions and console messages, in one place.
//!
//! Values from the page are untrusted in type as well as content: anything may arrive where
//! a string or an object is expected. Every conversion here returns an `Option`/`Result`
//! instead of throwing, and warnings go to the console once per distinct message.

use crate::prelude::*;
use core::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};

use super::local::Local;
use crate::json::{Map, Value, MAX_DEPTH};

static WARNED: Local<RefCell<Vec<String>>> = Local::new(RefCell::new(Vec::new()));

/// `console.warn("engagekit: …")`, at most once per distinct message.
pub fn warn(message: &str) {
    let first = WARNED.with(|w| {
        let Ok(mut w) = w.try_borrow_mut() else {
            return true;
        };
        let new = !w.iter().any(|m| m == message);
        if new {
            w.push(message.to_owned());
        }
        new
    });
    if first {
        web_sys::console::warn_2(
            &JsValue::from_str("engagekit:"),
            &JsValue::from_str(message),
        );
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
    let Some(text) = text.as_string() else {
        return Ok(Value::Null);
    };
    let plain = js_sys::JSON::parse(&text).map_err(|e| describe(&e))?;
    from_js(&plain)
}

/// Plain JS data (as `JSON.parse` makes it) as a [`Value`]. Hand-written rather than
/// serde-wasm-bindgen: it is all the wasm needs, at a fraction of the bytes. Data nested
/// deeper than [`MAX_DEPTH`] (hostile or tampered: the page's objects, storage, a response)
/// is refused whole, so nothing after it recurses without bound on the wasm's 1 MiB stack.
pub fn from_js(v: &JsValue) -> Result<Value, String> {
    read(v, MAX_DEPTH).ok_or_else(|| {
        let mut m = String::from("nested deeper than ");
        crate::text::push_uint(&mut m, MAX_DEPTH as u64);
        m.push_str(" levels");
        m
    })
}

fn read(v: &JsValue, depth: usize) -> Option<Value> {
    Some(if let Some(b) = v.as_bool() {
        Value::Bool(b)
    } else if let Some(n) = v.as_f64() {
        Value::Number(n)
    } else if let Some(s) = v.as_string() {
        Value::String(s)
    } else if depth == 0 && v.is_object() {
        return None;
    } else if js_sys::Array::is_array(v) {
        let mut out = Vec::new();
        for x in js_sys::Array::from(v).iter() {
            out.push(read(&x, depth - 1)?);
        }
        Value::Array(out)
    } else if v.is_object() {
        let obj: &js_sys::Object = v.unchecked_ref();
        let mut m = Map::new();
        for key in js_sys::Object::keys(obj).iter() {
            if let Some(k) = key.as_string() {
                let item = read(&get(v, &k), depth - 1)?;
                m.insert(k, item);
            }
        }
        Value::Object(m)
    } else {
        Value::Null
    })
}

/// A [`Value`] as plain JS data.
pub fn to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(*n),
        Value::String(s) => JsValue::from_str(s),
        // Loops that push, not map + collect, whose adapters cost the wasm more.
        Value::Array(a) => {
            let list = js_sys::Array::new();
            for item in a {
                list.push(&to_js(item));
            }
            list.into()
        }
        // Built as JSON.parse builds it, with own data properties: assigning (`obj[k] = v`)
        // would call the inherited setter for a "__proto__" key (a checklist step may have
        // that id) and swap the object's prototype instead.
        Value::Object(m) => {
            let entries = js_sys::Array::new();
            for (k, item) in m {
                entries.push(&js_sys::Array::of2(&JsValue::from_str(k), &to_js(item)));
            }
            js_sys::Object::from_entries(&entries).map_or(JsValue::NULL, Into::into)
        }
    }
}

/// A [`Value`] as JSON text, by the browser's `JSON.stringify`.
pub fn stringify(v: &Value) -> String {
    js_sys::JSON::stringify(&to_js(v))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "null".to_owned())
}

/// An optional object argument (`properties`, `traits`): absent → empty; anything but an
/// object → an error saying what it was.
pub fn object(v: &JsValue, what: &str) -> Result<Map, String> {
    match to_value(v) {
        Ok(Value::Null) => Ok(Map::new()),
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(crate::text::cat(&[
            what,
            " must be an object, got ",
            crate::config::kind(&other),
        ])),
        Err(e) => Err(crate::text::cat(&[what, " could not be serialised: ", &e])),
    }
}

/// An optional object argument as JSON object text, written by the browser's
/// `JSON.stringify` (the fast path of `track`: the object is never walked from Rust).
/// Absent → `{}`; anything but an object → an error saying what it was.
pub fn object_text(v: &JsValue) -> Result<String, String> {
    if v.is_undefined() || v.is_null() {
        return Ok(String::from("{}"));
    }
    let what = if js_sys::Array::is_array(v) {
        "an array"
    } else if v.is_object() {
        match js_sys::JSON::stringify(v) {
            Ok(text) => match text.as_string() {
                Some(text) if text.starts_with('{') => return Ok(text),
                _ => "an object that serialises to something else",
            },
            Err(e) => {
                let mut m = String::from("could not be serialised: ");
                m.push_str(&describe(&e));
                return Err(m);
            }
        }
    } else if v.is_string() {
        "a string"
    } else if v.as_f64().is_some() {
        "a number"
    } else if v.as_bool().is_some() {
        "a boolean"
    } else {
        "another type"
    };
    let mut m = String::from("must be an object, got ");
    m.push_str(what);
    Err(m)
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
