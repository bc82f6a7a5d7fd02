//! Reading the config document: typed getters that carry the JSON path, so every error
//! names the field at fault. Shared by every section of the config.

use super::{Bad, ConfigError};
use crate::json::{Map, Value};
use crate::prelude::*;
use crate::text::cat;

/// An object of the document being read, with its path for error messages.
pub(crate) struct Obj<'a> {
    /// The object's entries.
    pub map: &'a Map,
    path: String,
}

/// What a JSON value is, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The message for a value of the wrong type: `wanted` (`"expected a number"`), and with
/// `validate` what was found (`…, got a string`). The browser's build says only what was
/// expected, so it assembles no message at each getter.
fn expected(wanted: &str, got: &Value) -> String {
    #[cfg(feature = "validate")]
    return cat(&[wanted, ", got ", kind(got)]);
    #[cfg(not(feature = "validate"))]
    {
        let _ = got;
        wanted.to_owned()
    }
}

impl<'a> Obj<'a> {
    /// `v` as an object at `path` (`""` for the document).
    pub(crate) fn new(v: &'a Value, path: &str) -> Result<Obj<'a>, Bad> {
        Obj::at_path(v, path.to_owned())
    }

    /// One copy for every object read: the path is built once by the caller and moved in.
    #[inline(never)]
    fn at_path(v: &'a Value, path: String) -> Result<Obj<'a>, Bad> {
        match v {
            Value::Object(map) => Ok(Obj { map, path }),
            other => Err(Box::new(ConfigError {
                path: if path.is_empty() { ".".into() } else { path },
                message: expected("expected an object", other),
            })),
        }
    }

    /// `v`, the value of this object's `key`, as an object.
    pub(crate) fn child(&self, key: &str, v: &'a Value) -> Result<Obj<'a>, Bad> {
        Obj::at_path(v, self.at(key))
    }

    /// `v`, item `i` of the array under `key`, as an object.
    #[cfg(feature = "widgets")]
    #[inline(never)]
    pub(crate) fn item(&self, key: &str, i: u64, v: &'a Value) -> Result<Obj<'a>, Bad> {
        Obj::at_path(v, self.item_path(key, i))
    }

    /// The path of item `i` of the array under `key`: `key[i]`.
    #[cfg(feature = "widgets")]
    #[inline(never)]
    pub(crate) fn item_path(&self, key: &str, i: u64) -> String {
        let mut path = self.at(key);
        path.push('[');
        crate::text::push_uint(&mut path, i);
        path.push(']');
        path
    }

    #[inline(never)]
    pub(crate) fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            cat(&[&self.path, ".", key])
        }
    }

    /// `key` holds `got` where what `wanted` says (`"expected a number"`) belongs.
    #[inline(never)]
    fn wrong(&self, key: &str, wanted: &str, got: &Value) -> Bad {
        Box::new(ConfigError {
            path: self.at(key),
            message: expected(wanted, got),
        })
    }

    #[inline(never)]
    pub(crate) fn error(&self, key: &str, message: &str) -> Bad {
        Box::new(ConfigError {
            path: self.at(key),
            message: message.to_owned(),
        })
    }

    /// A problem with this object as a whole.
    #[cfg(any(feature = "surveys", feature = "checklists"))]
    #[inline(never)]
    pub(crate) fn invalid(&self, message: &str) -> Bad {
        Box::new(ConfigError {
            path: if self.path.is_empty() {
                ".".into()
            } else {
                self.path.clone()
            },
            message: message.to_owned(),
        })
    }

    #[inline(never)]
    pub(crate) fn obj(&self, key: &str) -> Result<Option<Obj<'a>>, Bad> {
        self.map.get(key).map(|v| self.child(key, v)).transpose()
    }

    #[inline(never)]
    pub(crate) fn flag(&self, key: &str, default: bool) -> Result<bool, Bad> {
        match self.map.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(self.wrong(key, "expected true or false", other)),
        }
    }

    #[inline(never)]
    pub(crate) fn count(&self, key: &str, default: u32, min: u32) -> Result<u32, Bad> {
        match self.map.get(key) {
            None => Ok(default),
            Some(Value::Number(n))
                if *n >= f64::from(min)
                    && *n <= f64::from(u32::MAX)
                    && *n == f64::from(*n as u32) =>
            {
                Ok(*n as u32)
            }
            Some(other) => Err(self.wrong(
                key,
                &cat(&[
                    "expected a whole number of at least ",
                    &crate::text::uint(u64::from(min)),
                ]),
                other,
            )),
        }
    }

    #[inline(never)]
    pub(crate) fn positive(&self, key: &str, default: f64) -> Result<f64, Bad> {
        match self.map.get(key) {
            None => Ok(default),
            Some(Value::Number(n)) if n.is_finite() && *n > 0.0 => Ok(*n),
            Some(other) => Err(self.wrong(key, "expected a positive number", other)),
        }
    }

    /// An unknown key (a typo) is an error with the `validate` feature, where configs are
    /// published (the collector); the browser's build ignores unknown keys.
    #[inline(never)]
    pub(crate) fn no_other_keys(&self, known: &[&str]) -> Result<(), Bad> {
        if cfg!(not(feature = "validate")) {
            return Ok(());
        }
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => {
                let mut message = String::from("unknown key (known:");
                for name in known {
                    message.push(' ');
                    message.push_str(name);
                }
                message.push(')');
                Err(self.error(k, &message))
            }
        }
    }

    /// An optional string.
    #[cfg(feature = "widgets")]
    #[inline(never)]
    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, Bad> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(other) => Err(self.wrong(key, "expected a non-empty string", other)),
        }
    }

    /// An optional number within `min..=max`; `range` says so in words for the message
    /// (written by the caller: formatting floats here would ship a float printer in the wasm).
    #[cfg(feature = "widgets")]
    #[inline(never)]
    pub(crate) fn number(
        &self,
        key: &str,
        default: f64,
        (min, max): (f64, f64),
        range: &str,
    ) -> Result<f64, Bad> {
        match self.map.get(key) {
            None => Ok(default),
            Some(Value::Number(n)) if (min..=max).contains(n) => Ok(*n),
            Some(other) => Err(self.wrong(key, &cat(&["expected a number ", range]), other)),
        }
    }

    /// An optional array.
    #[cfg(feature = "widgets")]
    #[inline(never)]
    pub(crate) fn array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, Bad> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(self.wrong(key, "expected an array", other)),
        }
    }
}
