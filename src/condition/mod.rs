//! Audience conditions: does this visitor match this rule?
//!
//! The language is GrowthBook's targeting conditions (MongoDB-style operators over a JSON
//! object of attributes) as of SDK spec 0.12.0, with strict types: a string never equals a
//! number, booleans are not ordered, and a missing attribute is compared as `null`. An
//! operator this code cannot evaluate (unknown, or a regular expression that does not
//! compile) makes its branch *undecidable*; negating an undecidable branch does not make it
//! pass, so a rule the SDK does not understand never matches by accident. Evaluation never
//! fails, never panics and never nests deeper than [`MAX_DEPTH`]; [`validate_condition`] is
//! the place that explains what is wrong.
//! This module reads no clock, storage or page: attributes come in as a value.

mod validate;
mod version;

use core::cmp::Ordering;

use crate::json::{Map, Value};
use crate::regex::RegexEngine;

pub use validate::validate_condition;

/// Whether `attributes` satisfy `condition`. `saved_groups` maps a group id to its array of
/// members for `$inGroup` / `$notInGroup`. Anything malformed or unknown means `false`.
pub fn eval_condition(
    condition: &Value,
    attributes: &Value,
    saved_groups: &Map,
    re: &dyn RegexEngine,
) -> bool {
    let eval = Eval { saved_groups, re };
    eval.condition(condition, attributes, 0) == Verdict::Pass
}

/// Whether an event `name` with `properties` is `event` and meets `condition`, if any: what a
/// survey's event trigger and a checklist step done by an event wait for.
pub fn event_matches(
    (event, condition): (&str, Option<&Value>),
    name: &str,
    properties: &Value,
    saved_groups: &Map,
    re: &dyn RegexEngine,
) -> bool {
    event == name && condition.is_none_or(|c| eval_condition(c, properties, saved_groups, re))
}

/// How deeply a condition may nest: each condition (around `$and`, `$or`, `$nor`, `$not`,
/// `$elemMatch`), each attribute's value (under `$not`, `$size`, `$all`, `$elemMatch`) and
/// each array or object inside a literal is one level. Hand-written rules use a handful;
/// the bound keeps the recursion, and so the stack, small in the browser whatever a config
/// holds. Deeper is undecidable, so such a rule never matches, negated or not.
pub const MAX_DEPTH: usize = 64;

/// Three-valued logic (Kleene): `Undecided` absorbs everything except a decisive answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    Undecided,
}

impl Verdict {
    fn from_bool(b: bool) -> Self {
        if b {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }

    fn negate(self) -> Self {
        match self {
            Verdict::Pass => Verdict::Fail,
            Verdict::Fail => Verdict::Pass,
            Verdict::Undecided => Verdict::Undecided,
        }
    }

    /// For the negated operators (`$nin`, `$notInGroup`).
    fn negate_if(self, negated: bool) -> Self {
        if negated {
            self.negate()
        } else {
            self
        }
    }
}

/// All must pass: the first `Fail` decides, otherwise any `Undecided` does.
fn all_of<T>(items: impl IntoIterator<Item = T>, mut check: impl FnMut(T) -> Verdict) -> Verdict {
    let mut result = Verdict::Pass;
    for item in items {
        match check(item) {
            Verdict::Fail => return Verdict::Fail,
            Verdict::Undecided => result = Verdict::Undecided,
            Verdict::Pass => {}
        }
    }
    result
}

/// One must pass: the first `Pass` decides, otherwise any `Undecided` does.
fn any_of<T>(items: impl IntoIterator<Item = T>, mut check: impl FnMut(T) -> Verdict) -> Verdict {
    let mut result = Verdict::Fail;
    for item in items {
        match check(item) {
            Verdict::Pass => return Verdict::Pass,
            Verdict::Undecided => result = Verdict::Undecided,
            Verdict::Fail => {}
        }
    }
    result
}

/// A missing attribute is compared as `null`.
static NULL: Value = Value::Null;

/// Logical keys that make an `$elemMatch` argument a condition on each element's fields.
const LOGICAL: [&str; 3] = ["$and", "$or", "$nor"];

/// An operator, recognised by one function for evaluation and validation alike (so the
/// wasm compares operator names once, and the two can never disagree on the list).
#[derive(Clone, Copy)]
enum Op {
    Eq,
    Ne,
    /// `$lt`, `$lte`, `$gt`, `$gte`: whether an ordering passes.
    Ordered(fn(Ordering) -> bool),
    Exists,
    /// `$in`, `$nin`, and `$ini`, `$nini` ignoring case.
    In {
        negated: bool,
        ignore_case: bool,
    },
    /// `$inGroup`, `$notInGroup`.
    InGroup {
        negated: bool,
    },
    Not,
    Size,
    ElemMatch,
    /// `$all`, and `$alli` ignoring case.
    All {
        ignore_case: bool,
    },
    /// `$regex`, and `$regexi` ignoring case.
    Regex {
        ignore_case: bool,
    },
    Type,
    /// `$veq`, `$vne`, `$vgt`, `$vgte`, `$vlt`, `$vlte`: whether an ordering passes, `None`
    /// being an attribute that is no version of the argument's kind.
    Version(fn(Option<Ordering>) -> bool),
}

/// Every operator by name: a table searched by one loop, which is smaller in the wasm than
/// a `match` on the names.
const OPS: [(&str, Op); 27] = [
    ("$eq", Op::Eq),
    ("$ne", Op::Ne),
    ("$lt", Op::Ordered(Ordering::is_lt)),
    ("$lte", Op::Ordered(Ordering::is_le)),
    ("$gt", Op::Ordered(Ordering::is_gt)),
    ("$gte", Op::Ordered(Ordering::is_ge)),
    ("$exists", Op::Exists),
    (
        "$in",
        Op::In {
            negated: false,
            ignore_case: false,
        },
    ),
    (
        "$ini",
        Op::In {
            negated: false,
            ignore_case: true,
        },
    ),
    (
        "$nin",
        Op::In {
            negated: true,
            ignore_case: false,
        },
    ),
    (
        "$nini",
        Op::In {
            negated: true,
            ignore_case: true,
        },
    ),
    ("$inGroup", Op::InGroup { negated: false }),
    ("$notInGroup", Op::InGroup { negated: true }),
    ("$not", Op::Not),
    ("$size", Op::Size),
    ("$elemMatch", Op::ElemMatch),
    ("$all", Op::All { ignore_case: false }),
    ("$alli", Op::All { ignore_case: true }),
    ("$regex", Op::Regex { ignore_case: false }),
    ("$regexi", Op::Regex { ignore_case: true }),
    ("$type", Op::Type),
    ("$veq", Op::Version(|o| o == Some(Ordering::Equal))),
    ("$vne", Op::Version(|o| o != Some(Ordering::Equal))),
    ("$vgt", Op::Version(|o| o.is_some_and(Ordering::is_gt))),
    ("$vgte", Op::Version(|o| o.is_some_and(Ordering::is_ge))),
    ("$vlt", Op::Version(|o| o.is_some_and(Ordering::is_lt))),
    ("$vlte", Op::Version(|o| o.is_some_and(Ordering::is_le))),
];

impl Op {
    /// The operator called `name`, or None for one this code does not know.
    fn parse(name: &str) -> Option<Op> {
        OPS.iter().find(|(n, _)| *n == name).map(|(_, op)| *op)
    }
}

struct Eval<'a> {
    saved_groups: &'a Map,
    re: &'a dyn RegexEngine,
}

impl Eval<'_> {
    /// A condition object at nesting level `depth`: logical keys, or attribute paths mapped
    /// to expected values.
    fn condition(&self, condition: &Value, subject: &Value, depth: usize) -> Verdict {
        let Value::Object(entries) = condition else {
            return Verdict::Undecided;
        };
        if depth >= MAX_DEPTH {
            return Verdict::Undecided;
        }
        let next = depth + 1;
        all_of(entries, |(key, arg)| match key.as_str() {
            "$or" => self.or(arg, subject, next),
            "$nor" => self.or(arg, subject, next).negate(),
            "$and" => match arg {
                Value::Array(items) => all_of(items, |c| self.condition(c, subject, next)),
                _ => Verdict::Undecided,
            },
            "$not" => self.condition(arg, subject, next).negate(),
            path => self.value(arg, lookup(subject, path), false, next),
        })
    }

    /// `$or`: an empty list passes, as in GrowthBook.
    fn or(&self, arg: &Value, subject: &Value, depth: usize) -> Verdict {
        match arg {
            Value::Array(items) if items.is_empty() => Verdict::Pass,
            Value::Array(items) => any_of(items, |c| self.condition(c, subject, depth)),
            _ => Verdict::Undecided,
        }
    }

    /// An expected value: a literal to equal, or an object of operators.
    fn value(&self, expected: &Value, actual: &Value, ignore_case: bool, depth: usize) -> Verdict {
        match expected {
            Value::String(s) if ignore_case => Verdict::from_bool(match actual {
                Value::String(a) => self.re.lowercase(a) == self.re.lowercase(s),
                _ => false,
            }),
            Value::Object(ops) if is_operator_object(ops) => {
                if depth >= MAX_DEPTH {
                    return Verdict::Undecided;
                }
                all_of(ops, |(op, arg)| self.operator(op, actual, arg, depth + 1))
            }
            _ => strict_eq(actual, expected, depth),
        }
    }

    /// One operator of a value at nesting level `depth`; what it nests is one level deeper.
    fn operator(&self, name: &str, actual: &Value, arg: &Value, depth: usize) -> Verdict {
        use Verdict::Fail;
        // An operator we do not know is undecidable, and so is `$and`, `$or` or `$nor` in a
        // value's place (`{"name": {"$not": {"$or": [...]}}}`): GrowthBook's
        // `evalOperatorCondition` knows them only around conditions, reports "Unknown
        // operator" and answers false, so its `$not` would pass every visitor. Spec 0.12.0
        // does not let negation turn an unknown branch into a pass (its `$nor` case), so
        // the rule never matches.
        let Some(op) = Op::parse(name) else {
            return Verdict::Undecided;
        };
        match op {
            Op::Eq => strict_eq(actual, arg, depth),
            Op::Ne => strict_eq(actual, arg, depth).negate(),
            Op::Ordered(want) => Verdict::from_bool(compare(actual, arg).is_some_and(want)),
            Op::Exists => Verdict::from_bool(truthy(arg) != matches!(actual, Value::Null)),
            Op::In {
                negated,
                ignore_case,
            } => {
                let Value::Array(list) = arg else { return Fail };
                is_in(actual, list, ignore_case.then_some(self.re), depth).negate_if(negated)
            }
            Op::InGroup { negated } => {
                let members = arg
                    .as_str()
                    .and_then(|id| self.saved_groups.get(id))
                    .and_then(|g| match g {
                        Value::Array(list) => Some(list.as_slice()),
                        _ => None,
                    })
                    .unwrap_or_default();
                is_in(actual, members, None, depth).negate_if(negated)
            }
            Op::Not => self.value(arg, actual, false, depth).negate(),
            Op::Size => match actual {
                Value::Array(items) => {
                    self.value(arg, &Value::Number(items.len() as f64), false, depth)
                }
                _ => Fail,
            },
            Op::ElemMatch => self.elem_match(actual, arg, depth),
            Op::All { ignore_case } => match (actual, arg) {
                (Value::Array(items), Value::Array(wanted)) => all_of(wanted, |w| {
                    any_of(items, |item| self.value(w, item, ignore_case, depth))
                }),
                _ => Fail,
            },
            Op::Regex { ignore_case } => self.regex(actual, arg, ignore_case),
            Op::Type => Verdict::from_bool(arg.as_str() == Some(type_name(actual))),
            Op::Version(want) => match arg {
                Value::String(_) | Value::Number(_) => {
                    Verdict::from_bool(want(version::compare_values(actual, arg, self.re)))
                }
                // No version to compare with: a malformed rule, which `$vne` must not pass.
                _ => Verdict::Undecided,
            },
        }
    }

    fn elem_match(&self, actual: &Value, arg: &Value, depth: usize) -> Verdict {
        let Value::Array(items) = actual else {
            return Verdict::Fail;
        };
        let per_element = matches!(arg, Value::Object(m) if applies_to_elements(m));
        any_of(items, |item| {
            if per_element {
                self.value(arg, item, false, depth)
            } else {
                self.condition(arg, item, depth)
            }
        })
    }

    fn regex(&self, actual: &Value, pattern: &Value, ignore_case: bool) -> Verdict {
        // A pattern that could backtrack for ever is treated as an invalid one: no engine
        // runs it, and it is undecidable whatever the attribute.
        let Value::String(pattern) = pattern else {
            return Verdict::Undecided;
        };
        if crate::regex::hazard(pattern).is_some() {
            return Verdict::Undecided;
        }
        let text = match actual {
            // Too long to run a pattern on within the page's budget: we cannot tell, so
            // neither `$regex` nor its `$not` matches.
            Value::String(s) if crate::regex::too_long(s) => {
                return Verdict::Undecided;
            }
            Value::String(s) => s.as_str(),
            // Still compile the pattern: a bad one is undecidable whatever the attribute.
            _ => {
                return if self.re.is_valid(pattern) {
                    Verdict::Fail
                } else {
                    Verdict::Undecided
                }
            }
        };
        let found = if ignore_case {
            self.re.is_match_ignore_case(pattern, text)
        } else {
            self.re.is_match(pattern, text)
        };
        found.map_or(Verdict::Undecided, Verdict::from_bool)
    }
}

/// The value at a dot-separated path (`"father.age"`, `"items.0.id"`), or `null`.
pub fn lookup<'v>(subject: &'v Value, path: &str) -> &'v Value {
    let mut current = subject;
    for part in crate::text::split(path, b'.') {
        let next = match current {
            Value::Object(m) => m.get(part),
            Value::Array(items) => array_index(part).and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(v) => current = v,
            None => return &NULL,
        }
    }
    current
}

/// Only canonical indices (`"0"`, `"12"`, not `"01"` or `"+1"`) address array elements,
/// as property names do in JavaScript.
fn array_index(part: &str) -> Option<usize> {
    let canonical =
        part == "0" || (!part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit()));
    if canonical {
        crate::num::parse_u64(part).and_then(|n| usize::try_from(n).ok())
    } else {
        None
    }
}

/// An object whose keys all start with `$` holds operators. An empty object holds none,
/// so it passes for any value.
fn is_operator_object(m: &Map) -> bool {
    m.keys().all(|k| k.starts_with('$'))
}

/// `$elemMatch` applies an object of plain operators (`{"$gt": 1}`, `{"$not": ...}`) to
/// each element itself; anything else, including `{"$or": [...]}`, is a condition on each
/// element's fields.
fn applies_to_elements(m: &Map) -> bool {
    is_operator_object(m) && !LOGICAL.iter().any(|k| m.contains_key(k))
}

/// Same type and same value; arrays and objects compare element by element, each element one
/// level deeper. An array or object in `expected` beyond [`MAX_DEPTH`] is undecided: a
/// literal nested that deep never overflows the stack, and never matches.
fn strict_eq(actual: &Value, expected: &Value, depth: usize) -> Verdict {
    let next = depth + 1;
    match (actual, expected) {
        (_, Value::Array(_) | Value::Object(_)) if depth >= MAX_DEPTH => Verdict::Undecided,
        (Value::Array(a), Value::Array(e)) if a.len() == e.len() => {
            all_of(a.iter().zip(e), |(a, e)| strict_eq(a, e, next))
        }
        (Value::Object(a), Value::Object(e)) if a.len() == e.len() => {
            all_of(e, |(k, e)| match a.get(k) {
                Some(a) => strict_eq(a, e, next),
                None => Verdict::Fail,
            })
        }
        // Scalars, or values `==` tells apart without looking inside (kinds, lengths).
        _ => Verdict::from_bool(actual == expected),
    }
}

/// JavaScript truthiness, for `$exists`' argument.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Numbers order with numbers and strings with strings (by UTF-16 code units, as in JS);
/// every other pairing is unordered.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::String(x), Value::String(y)) => Some(cmp_utf16(x, y)),
        _ => None,
    }
}

/// Orders strings as JavaScript does: by UTF-16 code units, which differs from Rust's
/// code-point order only when a surrogate pair meets a character above U+DFFF.
pub(crate) fn cmp_utf16(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.chars(), b.chars());
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c == d => {}
            (Some(c), Some(d)) => {
                let (mut u, mut v) = ([0u16; 2], [0u16; 2]);
                return (*c.encode_utf16(&mut u)).cmp(d.encode_utf16(&mut v));
            }
        }
    }
}

/// `$in`: an array attribute matches when any of its elements is in the list. With
/// `ignore_case`, strings compare lowercased by that engine's rules (JavaScript's).
fn is_in(
    actual: &Value,
    list: &[Value],
    ignore_case: Option<&dyn RegexEngine>,
    depth: usize,
) -> Verdict {
    let contains = |v: &Value| {
        any_of(list, |item| match (v, item, ignore_case) {
            (Value::String(a), Value::String(b), Some(re)) => {
                Verdict::from_bool(re.lowercase(a) == re.lowercase(b))
            }
            _ => strict_eq(v, item, depth),
        })
    };
    match actual {
        Value::Array(items) => any_of(items, contains),
        _ => contains(actual),
    }
}

/// The names `$type` knows.
pub(crate) const TYPE_NAMES: [&str; 6] = ["null", "boolean", "number", "string", "array", "object"];

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
