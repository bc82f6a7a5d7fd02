//! A small JSON value and writer for the core.
//!
//! Event properties, traits and audience attributes are free-form JSON. The browser already
//! parses JSON, so the wasm build never carries a JSON parser: values arrive from JS objects
//! (web::interop in the browser; serde, native only, in the collector and tests) and leave as
//! text written here, which also gives the exact byte size that batching limits are measured in.

use core::fmt;

use crate::prelude::*;
pub use crate::text::{push_int, push_uint};

/// The deepest nesting of arrays and objects read from outside (the page's objects, storage,
/// responses): as `serde_json` bounds its parsing, so code that walks a value recursively
/// (conditions, cloning, writing, dropping) never runs out of stack, even on the wasm's 1 MiB.
pub const MAX_DEPTH: usize = 128;

/// A JSON object: keys in insertion order (so events read as they were written), unique.
///
/// A vector, not a `BTreeMap`: objects here hold a handful of keys, where a linear scan is as
/// fast, and the wasm sheds the B-tree code (about 10 KB). Equality ignores key order.
#[derive(Debug, Clone, Default)]
pub struct Map(Vec<(String, Value)>);

impl Map {
    /// An empty object.
    pub fn new() -> Map {
        Map(Vec::new())
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key`, replacing an earlier value in place; returns the earlier value.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => Some(core::mem::replace(v, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    /// Sets each of `other`'s keys, as [`Map::insert`] does (a loop, not a generic
    /// `extend`, whose monomorphised code costs the wasm more).
    pub fn merge(&mut self, other: &Map) {
        for (k, v) in &other.0 {
            self.insert(k.clone(), v.clone());
        }
    }

    /// Sets `key`, as [`Map::insert`] does, dropping any earlier value. Out of line, so
    /// that building an object from literal keys costs one small call per key in the wasm
    /// rather than an inlined allocation and drop each.
    #[inline(never)]
    pub fn set(&mut self, key: &str, value: Value) {
        self.insert(key.to_owned(), value);
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Keys in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// Values in insertion order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.0.iter().map(|(_, v)| v)
    }
}

impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Extend<(String, Value)> for Map {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Map {
        let mut m = Map::new();
        m.extend(iter);
        m
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = alloc::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = core::iter::Map<
        core::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a String, &'a Value),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// Any JSON value. Numbers are `f64`, as in JavaScript.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

impl Value {
    /// The value at `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(key),
            _ => None,
        }
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number inside, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The map inside, if this is an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// This value as compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        write_value(&mut out, self);
        out
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Object(m)
    }
}

/// Appends `v` as compact JSON to `out`.
pub fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, *n),
        Value::String(s) => write_str(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// Appends a number as JSON; NaN and infinities, which JSON cannot hold, become `null`
/// (what `JSON.stringify` does). Like `JSON.stringify`, very large and very small numbers
/// are written with an exponent: `f64::MAX` in plain digits is 309 characters that
/// serde_json (the collector) refuses as out of range.
pub fn write_number(out: &mut String, n: f64) {
    use fmt::Write;
    if !n.is_finite() {
        out.push_str("null");
    } else if n.abs() < 9.007_199_254_740_992e15 && n == (n as i64) as f64 {
        push_int(out, n as i64);
    } else if n.abs() >= 1e21 || n.abs() < 1e-6 {
        let _ = write!(out, "{n:e}");
    } else {
        let _ = write!(out, "{n}");
    }
}

/// Appends `s` as a JSON string literal, escaping what JSON requires.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // U+2028/2029 are valid JSON but break older JS parsers; escaping costs nothing.
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u");
                let n = c as u32;
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((n >> shift) & 0xf) as usize] as char);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// serde for [`Value`], native only: the collector reads and writes JSON with serde_json.
#[cfg(not(target_arch = "wasm32"))]
mod serde_impls {
    use super::{Map, Value};
    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
    use std::fmt;

    impl Serialize for Value {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                Value::Null => s.serialize_unit(),
                Value::Bool(b) => s.serialize_bool(*b),
                Value::Number(n) => s.serialize_f64(*n),
                Value::String(v) => s.serialize_str(v),
                Value::Array(a) => {
                    let mut seq = s.serialize_seq(Some(a.len()))?;
                    for item in a {
                        seq.serialize_element(item)?;
                    }
                    seq.end()
                }
                Value::Object(m) => {
                    let mut map = s.serialize_map(Some(m.len()))?;
                    for (k, v) in m {
                        map.serialize_entry(k, v)?;
                    }
                    map.end()
                }
            }
        }
    }

    struct ValueVisitor;

    impl<'de> Visitor<'de> for ValueVisitor {
        type Value = Value;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
            Ok(Value::Number(v as f64))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
            Ok(Value::Number(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
            Ok(Value::Number(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_none<E: de::Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            Deserialize::deserialize(d)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut out = Vec::new();
            while let Some(v) = seq.next_element()? {
                out.push(v);
            }
            Ok(Value::Array(out))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut out = Map::new();
            while let Some((k, v)) = map.next_entry::<String, Value>()? {
                out.insert(k, v);
            }
            Ok(Value::Object(out))
        }
    }

    impl<'de> Deserialize<'de> for Value {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
            d.deserialize_any(ValueVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str) -> String {
        let v: Value = serde_json::from_str(text).unwrap();
        v.to_json()
    }

    #[test]
    fn writes_what_serde_json_reads_back_identically() {
        let text = r#"{"a":[1,2.5,-3,true,null],"b":{"c":"d\"e\\f\n"},"n":1e300}"#;
        let written = roundtrip(text);
        let a: serde_json::Value = serde_json::from_str(text).unwrap();
        let b: serde_json::Value = serde_json::from_str(&written).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn escapes_control_characters_and_line_separators() {
        let v = Value::from("\u{1}\u{2028}<");
        assert_eq!(v.to_json(), "\"\\u0001\\u2028<\"");
    }

    #[test]
    fn objects_keep_insertion_order_and_unique_keys() {
        let mut m = Map::new();
        m.insert("b".into(), 1.0.into());
        m.insert("a".into(), 2.0.into());
        assert_eq!(m.insert("b".into(), 3.0.into()), Some(Value::Number(1.0)));
        assert_eq!(Value::Object(m.clone()).to_json(), r#"{"b":3,"a":2}"#);
        let mut reordered = Map::new();
        reordered.insert("a".into(), 2.0.into());
        reordered.insert("b".into(), 3.0.into());
        assert_eq!(m, reordered, "equality ignores key order");
        assert_eq!(m.remove("b"), Some(Value::Number(3.0)));
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn non_finite_numbers_become_null_like_json_stringify() {
        assert_eq!(Value::Number(f64::NAN).to_json(), "null");
        assert_eq!(Value::Number(f64::INFINITY).to_json(), "null");
    }

    #[test]
    fn numbers_at_the_edges_of_f64_are_written_so_serde_json_reads_them_back_exactly() {
        for n in [
            f64::MAX,
            -f64::MAX,
            1e21,
            1.5e300,
            5e-324,
            1.5e-7,
            0.000_001,
            123.456,
            1e20,
        ] {
            let text = Value::Number(n).to_json();
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back.as_f64(), Some(n), "{text}");
            assert!(text.len() <= 24, "{text}");
        }
    }

    #[test]
    fn integers_have_no_fraction() {
        assert_eq!(Value::Number(42.0).to_json(), "42");
        assert_eq!(Value::Number(-0.5).to_json(), "-0.5");
    }
}
