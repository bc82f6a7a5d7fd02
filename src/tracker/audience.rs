//! The tracker's audience side: visitor attributes, content decisions with sticky experiment
//! assignments, and the `Content Viewed` / `Experiment Viewed` events, once per page view.

use super::{dirty, Tracker};
use crate::attributes::{self, Facts};
use crate::content::{self, Decision, Reason, Structured};
use crate::json::{Map, Value};
use crate::prelude::*;
use crate::regex::RegexEngine;

impl Tracker {
    /// The attributes audience conditions see right now.
    pub fn attributes(&self, now_ms: f64) -> Value {
        let facts = Facts {
            identity: &self.identity,
            page: &self.page,
            score: self.score(now_ms),
            session: self.session.as_ref(),
            first_seen_ms: if self.audience.first_seen_ms > 0.0 {
                self.audience.first_seen_ms
            } else {
                now_ms
            },
            counts: &self.audience.counts,
            now_ms,
        };
        attributes::attributes(&facts, &self.config.audience)
    }

    /// Decides what slot `name` shows (None when the config has no such slot: the page keeps
    /// its default, untracked). `defined` says whether the page defines a variant (as a
    /// `<template>`, which then wins over a config variant of the same name); `late`, that
    /// the visitor may already have seen the slot's default (the page stopped hiding it
    /// before the module was ready), which then stays: swapping it now would flicker. The
    /// decision holds for the rest of this page view, for every element of that name.
    pub fn decide(
        &mut self,
        name: &str,
        now_ms: f64,
        re: &dyn RegexEngine,
        defined: &dyn Fn(&str) -> bool,
        late: bool,
    ) -> Option<(Decision, Option<Structured>)> {
        let slot = self.config.content.slots.iter().find(|s| s.name == name)?;
        let config_variant = |d: &Decision| {
            (!defined(&d.variant))
                .then(|| content::structured(slot, &d.variant).cloned())
                .flatten()
        };
        if let Some((_, d)) = self.decisions.iter().find(|(n, _)| n == name) {
            let structured = config_variant(d);
            if d.variant != content::DEFAULT && structured.is_none() && !defined(&d.variant) {
                // Another element of this name showed a variant this one lacks.
                let mut warning = String::from("slot \"");
                warning.push_str(name);
                warning.push_str("\": another element of this slot shows variant \"");
                warning.push_str(&d.variant);
                warning.push_str("\", which this one does not define; it shows its default");
                return Some((
                    Decision::default_content(Reason::Fallback, Some(warning)),
                    None,
                ));
            }
            return Some((d.clone(), structured));
        }
        let (d, sticky) = if late {
            (Decision::default_content(Reason::Timeout, None), None)
        } else {
            let attrs = self.attributes(now_ms);
            let sticky = slot
                .experiment
                .as_ref()
                .and_then(|e| self.audience.assignments.get(&e.key))
                .and_then(Value::as_f64)
                .map(|i| i as usize);
            let d = content::decide(
                slot,
                &attrs,
                &self.config.audience.saved_groups,
                re,
                defined,
                sticky,
            );
            (d, sticky)
        };
        let structured = config_variant(&d);
        if let Some((key, i)) = &d.experiment {
            if sticky != Some(*i) {
                self.audience
                    .assignments
                    .insert(key.clone(), (*i as f64).into());
                self.dirty |= dirty::ASSIGNMENTS;
            }
        }
        // Kept without its warning: the page hears about a problem once.
        self.decisions.push((
            name.to_owned(),
            Decision {
                warning: None,
                ..d.clone()
            },
        ));
        Some((d, structured))
    }

    /// The events to record now that slot `name` has been seen: `Content Viewed`, and
    /// `Experiment Viewed` when an experiment chose the variant. Empty when already reported
    /// on this page view or never decided.
    pub fn viewed(&mut self, name: &str) -> Vec<(&'static str, Map)> {
        if self.viewed.iter().any(|v| v == name) {
            return Vec::new();
        }
        let Some((_, d)) = self.decisions.iter().find(|(n, _)| n == name) else {
            return Vec::new();
        };
        let mut p = Map::new();
        p.set("slot", name.into());
        p.set("variant", d.variant.as_str().into());
        p.set("reason", d.reason.as_str().into());
        if let Some(rule) = &d.rule {
            p.set("rule", rule.as_str().into());
        }
        let mut exposure = None;
        if let (Some((key, i)), Reason::Experiment) = (&d.experiment, d.reason) {
            p.set("experiment", key.as_str().into());
            let mut e = Map::new();
            // Segment's A/B testing spec; the key and the variant name serve as both.
            e.set("experiment_id", key.as_str().into());
            e.set("experiment_name", key.as_str().into());
            e.set("variation_id", d.variant.as_str().into());
            e.set("variation_name", d.variant.as_str().into());
            e.set("variation_index", (*i as f64).into());
            exposure = Some(("Experiment Viewed", e));
        }
        let mut calls = Vec::new();
        calls.push(("Content Viewed", p));
        if let Some(e) = exposure {
            calls.push(e);
        }
        self.viewed.push(name.to_owned());
        calls
    }
}
