//! Onboarding checklists: steps that complete themselves as the visitor does things.
//!
//! A step completes when an event is tracked (optionally with a condition on its
//! properties), when a page matching a condition is viewed, or by code and, for `manual`
//! steps, by the visitor. Progress is derived from every event the visitor records, from
//! the first one, so what they did before the checklist first showed counts. A step's
//! prerequisites are the step before it (in an `ordered` checklist) and the steps it lists
//! in `after`: something done early is remembered as *seen* and the step completes the
//! moment its prerequisites have, so progress is never lost to the order.
//!
//! [`Progress`] is one visitor's state of one checklist: when each step was seen and
//! completed, when the list was first shown, completed and dismissed, and whether the
//! visitor left it open. It is plain data, stored with the visitor as JSON.

mod parse;
#[cfg(test)]
mod tests;

pub(crate) use parse::parse;

use crate::condition::{eval_condition, event_matches};
use crate::json::{Map, Value};
use crate::prelude::*;
use crate::regex::RegexEngine;

/// `checklists` in the config, in config order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checklists {
    pub list: Vec<Checklist>,
}

/// One checklist's configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checklist {
    /// Letters, digits, `-` and `_`.
    pub id: String,
    /// What the card shows (see [`crate::card`]): `text` by locale (`title`, `launcher`,
    /// `completed`, `dismiss`, and `steps.<id>.{title, description, action}`),
    /// `defaultLocale`, `placement`, `theme`.
    pub ui: Map,
    /// Audience condition over visitor attributes (None: everyone).
    pub condition: Option<Value>,
    /// Steps complete in order: each waits for the one before it.
    pub ordered: bool,
    /// The visitor may dismiss the checklist for good.
    pub dismissible: bool,
    /// The list opens by itself (as a prompt, within the prompt cap) until the visitor has
    /// opened or collapsed it; otherwise only its launcher shows.
    pub auto_open: bool,
    pub steps: Vec<Step>,
    /// Its config could not be read (reported at load): it never shows and tracks nothing.
    pub broken: bool,
}

/// One step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    pub id: String,
    /// Where the step's action leads (http(s) or a path on the site).
    pub href: Option<String>,
    /// Steps that must be complete first.
    pub after: Vec<String>,
    pub done_when: DoneWhen,
    /// The visitor can tick it off by hand.
    pub manual: bool,
}

/// What completes a step (code can complete any step).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum DoneWhen {
    /// An event of this name whose properties match the condition.
    Event(String, Option<Value>),
    /// A page view whose attributes (`url`, `path`, `query`, ...) match the condition.
    Page(Value),
    /// Only code or the visitor.
    #[default]
    Hand,
}

/// How a step was completed (the `how` of `Checklist Step Completed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Event,
    Page,
    Code,
    Visitor,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Event => "event",
            How::Page => "page",
            How::Code => "code",
            How::Visitor => "visitor",
        }
    }
}

/// One visitor's progress on one checklist (Unix ms; 0: not yet).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// Per step: when what completes it happened (`seen`), and when it completed (after its
    /// prerequisites), with how.
    pub steps: Vec<StepProgress>,
    pub shown_ms: f64,
    pub completed_ms: f64,
    pub dismissed_ms: f64,
    /// The visitor's last choice: the list open (true) or collapsed (false); None: never
    /// chosen (then `autoOpen` decides).
    pub open: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepProgress {
    pub id: String,
    pub seen_ms: f64,
    pub how: How,
    pub done_ms: f64,
}

/// An event to record: its name and properties.
pub type Record = (&'static str, Map);

impl Checklist {
    /// The steps that must be complete before step `i`.
    fn prerequisites(&self, i: usize) -> impl Iterator<Item = &str> {
        let previous = if self.ordered && i > 0 {
            self.steps.get(i - 1).map(|s| s.id.as_str())
        } else {
            None
        };
        let after = self
            .steps
            .get(i)
            .map(|s| s.after.as_slice())
            .unwrap_or_default();
        previous.into_iter().chain(after.iter().map(String::as_str))
    }

    /// Whether step `i`'s prerequisites are complete.
    pub fn available(&self, i: usize, p: &Progress) -> bool {
        self.prerequisites(i).all(|id| p.is_done(id))
    }

    /// The steps an event completes (their indices).
    pub fn on_event(
        &self,
        name: &str,
        properties: &Value,
        saved_groups: &Map,
        re: &dyn RegexEngine,
    ) -> Vec<usize> {
        self.matching(|d| match d {
            DoneWhen::Event(event, cond) => {
                event_matches((event, cond.as_ref()), name, properties, saved_groups, re)
            }
            _ => false,
        })
    }

    /// The steps a page view completes (their indices); `attributes` are the visitor's.
    pub fn on_page(
        &self,
        attributes: &Value,
        saved_groups: &Map,
        re: &dyn RegexEngine,
    ) -> Vec<usize> {
        self.matching(|d| match d {
            DoneWhen::Page(cond) => eval_condition(cond, attributes, saved_groups, re),
            _ => false,
        })
    }

    fn matching(&self, f: impl Fn(&DoneWhen) -> bool) -> Vec<usize> {
        if self.broken {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, s) in self.steps.iter().enumerate() {
            if f(&s.done_when) {
                out.push(i);
            }
        }
        out
    }

    /// Whether any step waits for event `name` (so its properties are worth parsing).
    pub fn wants_event(&self, name: &str) -> bool {
        !self.broken
            && self
                .steps
                .iter()
                .any(|s| matches!(&s.done_when, DoneWhen::Event(e, _) if e == name))
    }

    /// Records that what completes step `i` happened at `now_ms`, then completes every step
    /// whose prerequisites now are (in step order, repeatedly: one completion can unlock the
    /// next). Returns the events: `Checklist Step Completed` for each, and `Checklist
    /// Completed` when the last one completes.
    pub fn mark(&self, p: &mut Progress, i: usize, how: How, now_ms: f64) -> Vec<Record> {
        let Some(step) = self.steps.get(i) else {
            return Vec::new();
        };
        if p.step(&step.id).is_none() {
            p.steps.push(StepProgress {
                id: step.id.clone(),
                seen_ms: now_ms,
                how,
                done_ms: 0.0,
            });
        }
        self.settle(p, now_ms)
    }

    /// Completes the seen steps whose prerequisites are complete (see [`Checklist::mark`]).
    pub fn settle(&self, p: &mut Progress, now_ms: f64) -> Vec<Record> {
        let mut out = Vec::new();
        loop {
            let next = (0..self.steps.len()).find(|i| {
                let Some(step) = self.steps.get(*i) else {
                    return false;
                };
                p.step(&step.id).is_some_and(|s| s.done_ms == 0.0) && self.available(*i, p)
            });
            let Some(i) = next else { break };
            let Some(step) = self.steps.get(i) else { break };
            let how = match p.steps.iter_mut().find(|s| s.id == step.id) {
                Some(s) => {
                    s.done_ms = now_ms;
                    s.how
                }
                None => break,
            };
            let mut e = self.properties();
            e.set("step_id", step.id.as_str().into());
            e.set("completed_count", (self.done_count(p) as f64).into());
            e.set("total", (self.steps.len() as f64).into());
            e.set("how", how.as_str().into());
            out.push(("Checklist Step Completed", e));
        }
        if !out.is_empty() && p.completed_ms == 0.0 && self.done_count(p) == self.steps.len() {
            p.completed_ms = now_ms;
            let mut e = self.properties();
            e.set("total", (self.steps.len() as f64).into());
            out.push(("Checklist Completed", e));
        }
        out
    }

    /// How many steps are complete.
    pub fn done_count(&self, p: &Progress) -> usize {
        self.steps.iter().filter(|s| p.is_done(&s.id)).count()
    }

    /// The properties every checklist event carries.
    pub fn properties(&self) -> Map {
        let mut m = Map::new();
        m.set("checklist_id", self.id.as_str().into());
        m
    }

    /// What the card shows: [`crate::card::card`] (the steps' texts are in `text`, by
    /// locale, under `steps` by step id) plus `expanded`, `dismissible` and the steps in
    /// order with their state (`id`, `done`, `available`, `manual`, `href`).
    pub fn card(&self, p: &Progress, expanded: bool) -> Map {
        let mut m = crate::card::card(&self.id, &self.ui);
        let mut steps = Vec::new();
        for (i, s) in self.steps.iter().enumerate() {
            let mut st = Map::new();
            st.set("id", s.id.as_str().into());
            st.set("done", p.is_done(&s.id).into());
            st.set("available", self.available(i, p).into());
            st.set("manual", s.manual.into());
            if let Some(h) = &s.href {
                st.set("href", h.as_str().into());
            }
            steps.push(Value::Object(st));
        }
        m.set("steps", Value::Array(steps));
        m.set("expanded", expanded.into());
        m.set("dismissible", self.dismissible.into());
        m
    }
}

impl Progress {
    /// Checklist `id`'s progress rebuilt from the checklist events a visitor recorded (name,
    /// properties, time in Unix ms, in any order): what the collector answers another
    /// browser of the same identified visitor. Equal to the progress the recording browser
    /// kept, except steps seen but still waiting (never recorded) and the open/collapsed
    /// choice (a per-device preference).
    pub fn from_events<'a>(
        id: &str,
        events: impl IntoIterator<Item = (&'a str, &'a Map, f64)>,
    ) -> Progress {
        let mut p = Progress::default();
        let earliest = |slot: &mut f64, t: f64| {
            if *slot == 0.0 || t < *slot {
                *slot = t;
            }
        };
        for (name, props, at) in events {
            if props.get("checklist_id").and_then(Value::as_str) != Some(id) {
                continue;
            }
            match name {
                "Checklist Shown" => earliest(&mut p.shown_ms, at),
                "Checklist Completed" => earliest(&mut p.completed_ms, at),
                "Checklist Dismissed" => earliest(&mut p.dismissed_ms, at),
                "Checklist Step Completed" => {
                    let Some(step) = props.get("step_id").and_then(Value::as_str) else {
                        continue;
                    };
                    let how = match props.get("how").and_then(Value::as_str) {
                        Some("event") => How::Event,
                        Some("page") => How::Page,
                        Some("visitor") => How::Visitor,
                        _ => How::Code,
                    };
                    match p.steps.iter_mut().find(|s| s.id == step) {
                        Some(s) if s.done_ms <= at => {}
                        Some(s) => {
                            s.done_ms = at;
                            s.seen_ms = at;
                            s.how = how;
                        }
                        None => p.steps.push(StepProgress {
                            id: step.to_owned(),
                            seen_ms: at,
                            how,
                            done_ms: at,
                        }),
                    }
                }
                _ => {}
            }
        }
        p
    }

    /// Takes in progress from elsewhere (another device): every step either has, at its
    /// earliest; shown, completed and dismissed at their earliest. The open/collapsed
    /// choice stays this device's.
    pub fn merge(&mut self, other: &Progress) {
        let earliest = |a: f64, b: f64| match (a > 0.0, b > 0.0) {
            (true, true) => a.min(b),
            (true, false) => a,
            _ => b,
        };
        for o in &other.steps {
            match self.steps.iter_mut().find(|s| s.id == o.id) {
                Some(s) => {
                    s.seen_ms = earliest(s.seen_ms, o.seen_ms);
                    if o.done_ms > 0.0 && (s.done_ms == 0.0 || o.done_ms < s.done_ms) {
                        s.done_ms = o.done_ms;
                        s.how = o.how;
                    }
                }
                None => self.steps.push(o.clone()),
            }
        }
        self.shown_ms = earliest(self.shown_ms, other.shown_ms);
        self.completed_ms = earliest(self.completed_ms, other.completed_ms);
        self.dismissed_ms = earliest(self.dismissed_ms, other.dismissed_ms);
    }

    fn step(&self, id: &str) -> Option<&StepProgress> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Whether step `id` is complete.
    pub fn is_done(&self, id: &str) -> bool {
        self.step(id).is_some_and(|s| s.done_ms > 0.0)
    }

    /// As stored: `{"steps": {"id": [seen, done, how]}, "shown": ms, "completed": ms,
    /// "dismissed": ms, "open": bool}`.
    pub fn to_value(&self) -> Value {
        let mut steps = Map::new();
        for s in &self.steps {
            steps.set(
                &s.id,
                Value::Array(vec![
                    s.seen_ms.into(),
                    s.done_ms.into(),
                    s.how.as_str().into(),
                ]),
            );
        }
        let mut m = Map::new();
        m.set("steps", steps.into());
        for (k, v) in [
            ("shown", self.shown_ms),
            ("completed", self.completed_ms),
            ("dismissed", self.dismissed_ms),
        ] {
            if v > 0.0 {
                m.set(k, v.into());
            }
        }
        if let Some(open) = self.open {
            m.set("open", open.into());
        }
        m.into()
    }

    /// Reads [`Progress::to_value`]'s form; anything unreadable is left out.
    pub fn from_value(v: &Value) -> Progress {
        let num = |k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(0.0);
        let mut p = Progress {
            shown_ms: num("shown"),
            completed_ms: num("completed"),
            dismissed_ms: num("dismissed"),
            open: match v.get("open") {
                Some(Value::Bool(b)) => Some(*b),
                _ => None,
            },
            steps: Vec::new(),
        };
        if let Some(Value::Object(steps)) = v.get("steps") {
            for (id, s) in steps.iter() {
                let Value::Array(a) = s else { continue };
                let [seen, done, how] = a.as_slice() else {
                    continue;
                };
                let how = match how.as_str() {
                    Some("event") => How::Event,
                    Some("page") => How::Page,
                    Some("visitor") => How::Visitor,
                    _ => How::Code,
                };
                p.steps.push(StepProgress {
                    id: id.clone(),
                    seen_ms: seen.as_f64().unwrap_or(0.0),
                    how,
                    done_ms: done.as_f64().unwrap_or(0.0),
                });
            }
        }
        p
    }
}
