//! Reading `content` from the config. Problems stay inside the slot they belong to: a slot
//! that cannot be read shows the page's default, a rule whose condition cannot be parsed
//! never matches, and each problem is reported once, with its path, when the config loads.

use super::{safe_url, Content, Experiment, Rule, Slot, Structured};
use crate::bucket;
use crate::condition::validate_condition;
use crate::config::{read::Obj, report, Bad, ConfigError};
use crate::json::{Map, Value};
use crate::prelude::*;
use crate::regex::RegexEngine;

/// Reads `content`; `re` checks rule conditions. Every problem goes to `problems`.
pub(crate) fn parse(obj: &Obj, re: &dyn RegexEngine, problems: &mut Vec<ConfigError>) -> Content {
    let mut content = Content::default();
    let mut note = |r: Result<(), Bad>| {
        if let Err(e) = r {
            report(problems, e, "ignored");
        }
    };
    note(obj.string("goal").map(|g| content.goal = g));
    note(obj.no_other_keys(&["slots", "goal"]));
    let slots = match obj.obj("slots") {
        Ok(Some(slots)) => slots,
        Ok(None) => return content,
        Err(e) => {
            report(problems, e, "no content slot is personalised");
            return content;
        }
    };
    for (name, value) in slots.map {
        let mut slot = Slot {
            name: name.clone(),
            goal: None,
            rules: Vec::new(),
            experiment: None,
            variants: Vec::new(),
            broken: false,
        };
        let read = slots
            .child(name, value)
            .and_then(|s| read_slot(&s, &mut slot, re, problems));
        if let Err(e) = read {
            report(problems, e, "the slot shows the page's default content");
            slot.broken = true;
        }
        content.slots.push(slot);
    }
    content
}

/// Fills `slot` from its config. A bad rule condition is a problem of its own (the rule is
/// kept and never matches); anything else wrong is returned and breaks the slot.
fn read_slot(
    s: &Obj,
    slot: &mut Slot,
    re: &dyn RegexEngine,
    problems: &mut Vec<ConfigError>,
) -> Result<(), Bad> {
    s.no_other_keys(&["goal", "rules", "experiment", "variants"])?;
    slot.goal = s.string("goal")?;
    // Counted in u64, whose formatter the wasm already has (usize's would be one more).
    // Counted by hand, not zipped with a range: less wasm.
    let mut i = 0u64;
    for rule in s.array("rules")?.map_or(&[][..], Vec::as_slice) {
        let r = s.item("rules", i, rule)?;
        i += 1;
        r.no_other_keys(&["name", "if", "variant"])?;
        // Pushed first and filled in place: an early return then drops nothing here (less
        // wasm); a slot left half-read is broken and shows the page's default.
        slot.rules.push(Rule {
            name: String::new(),
            condition: None,
            variant: String::new(),
        });
        let Some(rule) = slot.rules.last_mut() else {
            continue;
        };
        rule.condition = match r.map.get("if") {
            // No condition: the rule is for everyone.
            None => Some(Value::Object(Map::new())),
            Some(c) => match validate_condition(c, re) {
                Ok(()) => Some(c.clone()),
                Err(e) => {
                    report(problems, r.error("if", &e), "this rule never matches");
                    None
                }
            },
        };
        rule.variant = r
            .string("variant")?
            .ok_or_else(|| r.error("variant", "required"))?;
        rule.name = match r.string("name")? {
            Some(name) => name,
            None => {
                let mut name = String::from("rule ");
                crate::text::push_uint(&mut name, i);
                name
            }
        };
    }
    if let Some(e) = s.obj("experiment")? {
        let x = slot.experiment.insert(Experiment {
            key: String::new(),
            variations: Vec::new(),
            weights: Vec::new(),
            coverage: 1.0,
            hash_attribute: String::new(),
            namespace: None,
        });
        read_experiment(&e, x)?;
    }
    if let Some(vs) = s.obj("variants")? {
        for (name, value) in vs.map {
            let v = vs.child(name, value)?;
            slot.variants.push((name.clone(), Structured::default()));
            if let Some((_, structured)) = slot.variants.last_mut() {
                read_structured(&v, structured)?;
            }
        }
    }
    Ok(())
}

/// Fills `x` from its config, in place like [`read_structured`].
fn read_experiment(e: &Obj, x: &mut Experiment) -> Result<(), Bad> {
    e.no_other_keys(&[
        "key",
        "variations",
        "weights",
        "coverage",
        "hashAttribute",
        "namespace",
    ])?;
    x.key = e.string("key")?.ok_or_else(|| e.error("key", "required"))?;
    // Plain loops that push into `x`: iterator chains that collect cost several times the
    // wasm here.
    let names = e.array("variations")?.map_or(&[][..], Vec::as_slice);
    for name in names {
        match name {
            Value::String(s) if !s.is_empty() => x.variations.push(s.clone()),
            _ => break,
        }
    }
    if names.len() < 2 || x.variations.len() != names.len() {
        return Err(e.error("variations", "expected at least two variant names"));
    }
    // Weights are shares: [3, 1] is 75% / 25%. (GrowthBook's bucketing would quietly use
    // equal weights for any that do not sum to 1.)
    match e.array("weights")? {
        None => x.weights = bucket::get_equal_weights(names.len()),
        Some(w) => {
            let mut total = 0.0;
            for n in w {
                match n.as_f64() {
                    Some(n) if n >= 0.0 => {
                        total += n;
                        x.weights.push(n);
                    }
                    _ => break,
                }
            }
            if w.len() != names.len() || x.weights.len() != w.len() || total <= 0.0 {
                return Err(e.error(
                    "weights",
                    "expected one non-negative number per variation, not all 0",
                ));
            }
            for n in &mut x.weights {
                *n /= total;
            }
        }
    }
    x.coverage = e.number("coverage", 1.0, (0.0, 1.0), "from 0 to 1")?;
    x.hash_attribute = e.string("hashAttribute")?.unwrap_or_else(|| "id".into());
    x.namespace = match e.array("namespace")? {
        None => None,
        Some(ns) => match ns.as_slice() {
            [Value::String(name), Value::Number(start), Value::Number(end)]
                if !name.is_empty() && 0.0 <= *start && start < end && *end <= 1.0 =>
            {
                Some((name.clone(), *start, *end))
            }
            _ => {
                return Err(e.error(
                    "namespace",
                    "expected [name, start, end] with 0 <= start < end <= 1",
                ))
            }
        },
    };
    Ok(())
}

/// Fills `structured` from a variant written in the config. URLs must pass [`safe_url`];
/// everything else is text. Filled field by field rather than returned as one literal: an
/// early return then drops nothing but the caller's struct (less wasm).
fn read_structured(v: &Obj, structured: &mut Structured) -> Result<(), Bad> {
    v.no_other_keys(&["title", "heading", "body", "cta", "image", "imageAlt"])?;
    let url = |o: &Obj, key: &str| -> Result<Option<String>, Bad> {
        match o.string(key)? {
            Some(u) if !safe_url(&u) => {
                Err(o.error(key, "expected an http(s) URL or a path on this site"))
            }
            other => Ok(other),
        }
    };
    structured.title = v.string("title")?;
    structured.heading = match v.count("heading", 2, 1)? {
        h @ 1..=6 => h as u8,
        _ => return Err(v.error("heading", "expected a whole number from 1 to 6")),
    };
    structured.body = v.string("body")?;
    structured.image = url(v, "image")?;
    // Required with an image, so a missing description is a choice (`""` for decoration),
    // never an oversight a screen-reader user pays for.
    structured.image_alt = match v.map.get("imageAlt") {
        Some(Value::String(alt)) => Some(alt.clone()),
        None if structured.image.is_none() => None,
        None => {
            return Err(v.error(
                "imageAlt",
                "required with an image (\"\" if it is decorative)",
            ))
        }
        Some(_) => return Err(v.error("imageAlt", "expected a string")),
    };
    if let Some(c) = v.obj("cta")? {
        c.no_other_keys(&["label", "href"])?;
        structured.cta_label = c.string("label")?;
        structured.cta_href = url(&c, "href")?;
        if structured.cta_label.is_none() || structured.cta_href.is_none() {
            return Err(v.error("cta", "expected both a label and an href"));
        }
    }
    Ok(())
}
