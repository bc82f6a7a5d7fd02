//! Reading `checklists` from the config. A checklist that cannot be read is off (one problem
//! with its path); the other checklists and everything else keep working. As for surveys,
//! what decides (steps, rules, order, audience) is read in full everywhere, and the card's
//! texts are checked in full only with `validate` (see [`crate::card`]).

use super::{Checklist, DoneWhen, Step};
use crate::condition::validate_condition;
use crate::config::{read::Obj, report, Bad, ConfigError};
use crate::prelude::*;
use crate::regex::RegexEngine;
use crate::survey::valid_id;
use crate::text::cat;

/// Reads `checklists`; every problem goes to `problems`.
pub(crate) fn parse(
    obj: &Obj,
    re: &dyn RegexEngine,
    problems: &mut Vec<ConfigError>,
) -> Vec<Checklist> {
    let mut list = Vec::new();
    for (id, value) in obj.map {
        let mut c = Checklist {
            id: id.clone(),
            ui: crate::json::Map::new(),
            condition: None,
            ordered: false,
            dismissible: true,
            auto_open: false,
            steps: Vec::new(),
            broken: false,
        };
        let read = obj.child(id, value).and_then(|o| {
            if !valid_id(id) {
                return Err(obj.error(id, "a checklist id is 1-64 letters, digits, - and _"));
            }
            read_checklist(&o, &mut c, re)
        });
        if let Err(e) = read {
            report(problems, e, "this checklist is off");
            c.broken = true;
        }
        list.push(c);
    }
    list
}

fn read_checklist(o: &Obj, c: &mut Checklist, re: &dyn RegexEngine) -> Result<(), Bad> {
    o.no_other_keys(&[
        "text",
        "defaultLocale",
        "placement",
        "theme",
        "if",
        "order",
        "dismissible",
        "autoOpen",
        "steps",
    ])?;
    crate::card::read(o, &mut c.ui, &["bottom-right", "bottom-left"], texts)?;
    if let Some(cond) = o.map.get("if") {
        validate_condition(cond, re).map_err(|e| o.error("if", &e))?;
        c.condition = Some(cond.clone());
    }
    c.ordered = match o.string("order")?.as_deref() {
        None | Some("any") => false,
        Some("ordered") => true,
        Some(_) => return Err(o.error("order", "expected \"any\" or \"ordered\"")),
    };
    c.dismissible = o.flag("dismissible", true)?;
    c.auto_open = o.flag("autoOpen", false)?;
    let steps = o
        .array("steps")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| o.error("steps", "required: at least one step"))?;
    // Slices enumerated and plain loops: zipped ranges and `any` cost more wasm.
    for (i, s) in steps.iter().enumerate() {
        let s = o.item("steps", i as u64, s)?;
        // Pushed first and filled in place: an early return then drops nothing here (less
        // wasm); a checklist left half-read is off.
        c.steps.push(Step {
            id: String::new(),
            href: None,
            after: Vec::new(),
            done_when: DoneWhen::Hand,
            manual: false,
        });
        if let Some((step, before)) = c.steps.split_last_mut() {
            read_step(&s, step, re)?;
            for t in before {
                if t.id == step.id {
                    return Err(s.error("id", "another step has this id"));
                }
            }
        }
    }
    let mut i = 0u64;
    for s in &c.steps {
        'after: for a in &s.after {
            for t in &c.steps {
                if t.id == *a {
                    continue 'after;
                }
            }
            return Err(Box::new(ConfigError {
                path: cat(&[&o.item_path("steps", i), ".after"]),
                message: cat(&["no step has the id ", a]),
            }));
        }
        i += 1;
    }
    if has_cycle(c) {
        return Err(o.error(
            "steps",
            "the steps' `after` lists wait for each other in a circle",
        ));
    }
    Ok(())
}

/// Fills `step` from its config, in place.
fn read_step(s: &Obj, step: &mut Step, re: &dyn RegexEngine) -> Result<(), Bad> {
    s.no_other_keys(&["id", "href", "after", "event", "where", "page", "manual"])?;
    step.id = s
        .string("id")?
        .filter(|id| valid_id(id))
        .ok_or_else(|| s.error("id", "required: 1-64 letters, digits, - and _"))?;
    step.href = s.string("href")?;
    if let Some(h) = &step.href {
        if !crate::content::safe_url(h) {
            return Err(s.error("href", "expected an http(s) URL or a path on this site"));
        }
    }
    for a in s.array("after")?.map_or(&[][..], Vec::as_slice) {
        match a.as_str() {
            Some(a) => step.after.push(a.to_owned()),
            None => return Err(s.error("after", "expected step ids")),
        }
    }
    let condition = |key: &str| -> Result<Option<crate::json::Value>, Bad> {
        match s.map.get(key) {
            None => Ok(None),
            Some(c) => {
                validate_condition(c, re).map_err(|e| s.error(key, &e))?;
                Ok(Some(c.clone()))
            }
        }
    };
    step.done_when = match (s.string("event")?, condition("page")?) {
        (Some(event), None) => DoneWhen::Event(event, condition("where")?),
        (None, Some(page)) if !s.map.contains_key("where") => DoneWhen::Page(page),
        (None, None) if !s.map.contains_key("where") => DoneWhen::Hand,
        _ => {
            // In full where configs are published; the browser's build names the keys only.
            return Err(s.invalid(if cfg!(feature = "validate") {
                "expected one of {\"event\": name, \"where\"?: condition}, {\"page\": condition}, or neither (done by code or by hand)"
            } else {
                "expected event (and where), page, or neither"
            }));
        }
    };
    step.manual = s.flag("manual", false)?;
    Ok(())
}

/// Whether the `after` lists (and the order) make some step wait for itself.
fn has_cycle(c: &Checklist) -> bool {
    // A step is reachable once all its prerequisites are (the step before it, in an ordered
    // checklist, and its `after` list): if some step never becomes reachable, the
    // prerequisites go round in a circle (every id exists, checked before).
    let mut reachable: Vec<&str> = Vec::new();
    loop {
        let before = reachable.len();
        let mut previous: Option<&str> = None;
        for s in &c.steps {
            let waits = |id: &str| !reachable.contains(&id);
            if waits(&s.id)
                && !(c.ordered && previous.is_some_and(waits))
                && !s.after.iter().any(|a| waits(a))
            {
                reachable.push(&s.id);
            }
            previous = Some(&s.id);
        }
        if reachable.len() == before {
            return reachable.len() < c.steps.len();
        }
    }
}

/// The full check of a checklist's texts in one locale (with `validate`).
#[cfg_attr(not(feature = "validate"), allow(dead_code))]
fn texts(t: &Obj) -> Result<(), Bad> {
    const OPTIONAL: [&str; 9] = [
        "launcher",
        "completed",
        "dismiss",
        "close",
        "locked",
        "markDone",
        "done",
        "count",
        "progress",
    ];
    let mut known = OPTIONAL.to_vec();
    known.extend(["title", "steps"]);
    t.no_other_keys(&known)?;
    t.string("title")?
        .ok_or_else(|| t.error("title", "required"))?;
    for key in OPTIONAL {
        t.string(key)?;
    }
    if let Some(steps) = t.obj("steps")? {
        for (id, v) in steps.map {
            let st = steps.child(id, v)?;
            st.no_other_keys(&["title", "description", "action"])?;
            st.string("title")?
                .ok_or_else(|| st.error("title", "required"))?;
            st.string("description")?;
            st.string("action")?;
        }
    }
    Ok(())
}
