//! Explains what is wrong with a condition, so config loading can warn once with a path.
//!
//! Evaluation already treats anything malformed as "does not match"; this walk only finds
//! the first structural problem and names where it is, like
//! `$and[1].age.$gtx: unknown operator`.

use crate::json::Value;
use crate::prelude::*;
use crate::regex::{Hazard, RegexEngine};

use super::{applies_to_elements, is_operator_object, Op, LOGICAL, MAX_DEPTH, TYPE_NAMES};

/// The first structural problem in `condition` (unknown operator, wrong argument shape,
/// invalid regular expression, nesting deeper than 64 levels), as `path: message`.
///
/// Only with the `validate` feature (native builds: the collector checks every condition of a
/// config it publishes). The browser's build says Ok to everything: evaluation already treats
/// anything malformed or unknown as `false`, so a bad rule never matches either way, and the
/// walk with its messages stays out of the wasm.
pub fn validate_condition(condition: &Value, re: &dyn RegexEngine) -> Result<(), String> {
    if cfg!(not(feature = "validate")) {
        return Ok(());
    }
    Walk { re }.condition(condition, &mut String::new(), 0)
}

struct Walk<'a> {
    re: &'a dyn RegexEngine,
}

/// Appends `.key` (or `key` at the root) to `path` for the duration of `f`.
fn nested<T>(path: &mut String, key: &str, f: impl FnOnce(&mut String) -> T) -> T {
    let len = path.len();
    if len > 0 {
        path.push('.');
    }
    path.push_str(key);
    let out = f(path);
    path.truncate(len);
    out
}

/// Appends `[i]` to `path` for the duration of `f`.
fn indexed<T>(path: &mut String, i: usize, f: impl FnOnce(&mut String) -> T) -> T {
    let len = path.len();
    path.push('[');
    crate::text::push_uint(path, i as u64);
    path.push(']');
    let out = f(path);
    path.truncate(len);
    out
}

/// What eval makes of a rule nested deeper than [`MAX_DEPTH`] (which the message spells).
const TOO_DEEP: &str = "nested deeper than 64 levels; this condition never matches";

/// Whether a literal to compare with holds an array or object at level [`MAX_DEPTH`], where
/// eval stops looking.
fn too_deep(literal: &Value, depth: usize) -> bool {
    let deeper = |v: &Value| too_deep(v, depth + 1);
    match literal {
        Value::Array(items) => depth >= MAX_DEPTH || items.iter().any(deeper),
        Value::Object(m) => depth >= MAX_DEPTH || m.values().any(deeper),
        _ => false,
    }
}

/// A literal to compare with, at nesting level `depth`.
fn literal(literal: &Value, path: &str, depth: usize) -> Result<(), String> {
    if too_deep(literal, depth) {
        return problem(path, TOO_DEEP);
    }
    Ok(())
}

fn problem(path: &str, message: &str) -> Result<(), String> {
    if path.is_empty() {
        Err(crate::text::cat(&["condition: ", message]))
    } else {
        Err(crate::text::cat(&[path, ": ", message]))
    }
}

/// The walk counts nesting levels exactly as eval does (see [`MAX_DEPTH`]), so what it
/// calls too deep is what eval stops at.
impl Walk<'_> {
    fn condition(&self, condition: &Value, path: &mut String, depth: usize) -> Result<(), String> {
        let Value::Object(entries) = condition else {
            return problem(path, "expected an object");
        };
        if depth >= MAX_DEPTH {
            return problem(path, TOO_DEEP);
        }
        let next = depth + 1;
        for (key, arg) in entries {
            nested(path, key, |path| match key.as_str() {
                "$and" | "$or" | "$nor" => self.conditions(arg, path, next),
                "$not" => self.condition(arg, path, next),
                _ => self.value(arg, path, next),
            })?;
        }
        Ok(())
    }

    fn conditions(&self, arg: &Value, path: &mut String, depth: usize) -> Result<(), String> {
        let Value::Array(items) = arg else {
            return problem(path, "expected an array of conditions");
        };
        for (i, item) in items.iter().enumerate() {
            indexed(path, i, |path| self.condition(item, path, depth))?;
        }
        Ok(())
    }

    fn value(&self, expected: &Value, path: &mut String, depth: usize) -> Result<(), String> {
        match expected {
            Value::Object(ops) if is_operator_object(ops) => {
                if depth >= MAX_DEPTH {
                    return problem(path, TOO_DEEP);
                }
                for (op, arg) in ops {
                    nested(path, op, |path| self.operator(op, arg, path, depth + 1))?;
                }
                Ok(())
            }
            _ => literal(expected, path, depth),
        }
    }

    fn operator(
        &self,
        name: &str,
        arg: &Value,
        path: &mut String,
        depth: usize,
    ) -> Result<(), String> {
        let Some(op) = Op::parse(name) else {
            if LOGICAL.contains(&name) {
                return problem(
                    path,
                    "unknown operator here: $and, $or and $nor combine conditions, so they go \
                     around an attribute, not inside it",
                );
            }
            return problem(path, "unknown operator");
        };
        match op {
            Op::Eq | Op::Ne => literal(arg, path, depth),
            Op::Exists => Ok(()),
            Op::Ordered(_) => match arg {
                Value::Number(_) | Value::String(_) => Ok(()),
                _ => problem(path, "expected a number or a string"),
            },
            Op::In { .. } => {
                let Value::Array(items) = arg else {
                    return problem(path, "expected an array");
                };
                for (i, item) in items.iter().enumerate() {
                    indexed(path, i, |path| literal(item, path, depth))?;
                }
                Ok(())
            }
            Op::All { .. } => {
                let Value::Array(items) = arg else {
                    return problem(path, "expected an array");
                };
                for (i, item) in items.iter().enumerate() {
                    indexed(path, i, |path| self.value(item, path, depth))?;
                }
                Ok(())
            }
            Op::InGroup { .. } => match arg {
                Value::String(_) => Ok(()),
                _ => problem(path, "expected a saved group id (a string)"),
            },
            Op::Not | Op::Size => self.value(arg, path, depth),
            Op::ElemMatch => match arg {
                Value::Object(m) if applies_to_elements(m) => self.value(arg, path, depth),
                Value::Object(_) => self.condition(arg, path, depth),
                _ => problem(path, "expected an object"),
            },
            Op::Regex { .. } => match arg {
                Value::String(p) => match crate::regex::hazard(p) {
                    Some(Hazard::NestedQuantifier) => problem(
                        path,
                        "a repeated group holding a quantifier or alternatives ((a+)+, \
                         (a|aa)*, (.*a){20}) can take exponential time; this condition \
                         never matches",
                    ),
                    Some(Hazard::Backreference) => problem(
                        path,
                        "a backreference \\N before N groups have opened; this condition \
                         never matches",
                    ),
                    Some(Hazard::TooDeep) => problem(
                        path,
                        "groups nested deeper than 32 levels; this condition never matches",
                    ),
                    None if self.re.is_valid(p) => Ok(()),
                    None => problem(path, "invalid regular expression"),
                },
                _ => problem(path, "expected a regular expression (a string)"),
            },
            Op::Type => match arg.as_str() {
                Some(t) if TYPE_NAMES.contains(&t) => Ok(()),
                _ => problem(
                    path,
                    "expected one of null, boolean, number, string, array, object",
                ),
            },
            // Eval compares two numbers as versions, as GrowthBook does, but a config states
            // a version as a string: so says config.schema.json, which must agree with us.
            Op::Version(_) => match arg {
                Value::String(_) => Ok(()),
                _ => problem(path, "expected a version string"),
            },
        }
    }
}
