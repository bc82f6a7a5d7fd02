//! The tracker's checklist side: progress derived from every event the visitor records and
//! every page they view, kept with the visitor (one localStorage key, read before each change
//! and written at once, so tabs share it), which checklists show on a page view and how
//! (launcher only, or open within the prompt cap), and the events of each change.

use super::{keys, Tracker};
use crate::checklist::{Checklist, How, Progress, Record};
use crate::condition::eval_condition;
use crate::consent::Permission;
use crate::json::{Map, Value};
use crate::prelude::*;
use crate::regex::RegexEngine;
use crate::survey::History;

/// Why `complete()` could not complete a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotDone {
    /// No checklist of that id, or no step of that id in it.
    Unknown,
    /// The visitor may only tick off `manual` steps.
    NotManual,
}

impl NotDone {
    pub fn as_str(self) -> &'static str {
        match self {
            NotDone::Unknown => "no such checklist or step in the config",
            NotDone::NotManual => "only a manual step can be ticked off by the visitor",
        }
    }
}

/// `all` with checklist `id`'s progress set to `p`.
fn all_with(all: &mut Map, id: &str, p: &Progress) -> Map {
    all.set(id, p.to_value());
    core::mem::take(all)
}

impl Tracker {
    /// Every checklist's progress, fresh from storage (other tabs write it too).
    fn progress_all(&self) -> Map {
        self.store
            .get(keys::CHECKLISTS)
            .and_then(|t| self.store.parse_json(&t))
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    }

    fn progress(&self, all: &Map, id: &str) -> Progress {
        all.get(id).map(Progress::from_value).unwrap_or_default()
    }

    /// Changes checklist `id`'s progress with `f`, read fresh and written at once (memory only
    /// while tracking may not persist), and returns what `f` returned.
    fn change<T>(&mut self, id: &str, f: impl FnOnce(&Checklist, &mut Progress) -> T) -> Option<T> {
        let (i, mut all, mut p) = self.load_progress(id)?;
        let c = self.config.checklists.list.get(i)?;
        let out = f(c, &mut p);
        self.save_progress(all_with(&mut all, id, &p));
        Some(out)
    }

    /// The index of checklist `id` (when it can be used), every checklist's progress and its.
    #[inline(never)]
    fn load_progress(&self, id: &str) -> Option<(usize, Map, Progress)> {
        let i = self
            .config
            .checklists
            .list
            .iter()
            .position(|c| c.id == id && !c.broken)?;
        let all = if self.permission() == Permission::Track {
            self.progress_all()
        } else {
            self.checklists_memory.clone()
        };
        let p = self.progress(&all, id);
        Some((i, all, p))
    }

    #[inline(never)]
    fn save_progress(&mut self, all: Map) {
        if self.permission() == Permission::Track {
            let text = self.store.to_json(&Value::Object(all.clone()));
            self.store.set(keys::CHECKLISTS, &text);
        }
        self.checklists_memory = all;
    }

    /// Whether a step of some checklist waits for event `name` (checked before the shell
    /// copies an event's properties for [`Tracker::checklists_on_event`]).
    pub fn checklists_want(&self, name: &str) -> bool {
        !name.starts_with("Checklist ")
            && self
                .config
                .checklists
                .list
                .iter()
                .any(|c| c.wants_event(name))
    }

    /// The steps a recorded `track` event completes, in every checklist, and the events that
    /// records. `properties` is the event's JSON text, parsed only when a step names the
    /// event. Checklist events themselves complete nothing.
    pub fn checklists_on_event(
        &mut self,
        name: &str,
        properties: &str,
        now_ms: f64,
        re: &dyn RegexEngine,
    ) -> (Vec<Record>, Vec<String>) {
        if name.starts_with("Checklist ") {
            return (Vec::new(), Vec::new());
        }
        let mut wanted = Vec::new();
        for c in &self.config.checklists.list {
            if c.wants_event(name) {
                wanted.push(c.id.clone());
            }
        }
        if wanted.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let properties = self
            .store
            .parse_json(properties)
            .unwrap_or_else(|| Value::Object(Map::new()));
        self.mark_all(&wanted, now_ms, How::Event, &|c, groups| {
            c.on_event(name, &properties, groups, re)
        })
    }

    /// The steps this page view completes (conditions over the visitor's attributes).
    pub fn checklists_on_page(
        &mut self,
        now_ms: f64,
        re: &dyn RegexEngine,
    ) -> (Vec<Record>, Vec<String>) {
        let mut ids = Vec::new();
        for c in &self.config.checklists.list {
            if !c.broken {
                ids.push(c.id.clone());
            }
        }
        if ids.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let attributes = self.attributes(now_ms);
        self.mark_all(&ids, now_ms, How::Page, &|c, groups| {
            c.on_page(&attributes, groups, re)
        })
    }

    /// Marks the steps `matching` finds in checklists `ids` (given the saved groups);
    /// returns the events and the ids of the checklists that changed. As
    /// [`Tracker::change`] does, but with the config's saved groups at hand, not a copy, and
    /// `dyn`: one copy in the wasm for events and pages.
    fn mark_all(
        &mut self,
        ids: &[String],
        now_ms: f64,
        how: How,
        matching: &dyn Fn(&Checklist, &Map) -> Vec<usize>,
    ) -> (Vec<Record>, Vec<String>) {
        let mut records = Vec::new();
        let mut changed = Vec::new();
        for id in ids {
            let Some((i, mut all, mut p)) = self.load_progress(id) else {
                continue;
            };
            let Some(c) = self.config.checklists.list.get(i) else {
                continue;
            };
            let before = p.steps.len();
            let mut out = Vec::new();
            for step in matching(c, &self.config.audience.saved_groups) {
                out.append(&mut c.mark(&mut p, step, how, now_ms));
            }
            let seen = p.steps.len() != before;
            self.save_progress(all_with(&mut all, id, &p));
            if seen || !out.is_empty() {
                changed.push(id.clone());
            }
            records.append(&mut out);
        }
        (records, changed)
    }

    /// Completes step `step` of checklist `id` by code (`visitor`: the visitor ticked it off,
    /// which only a `manual` step allows).
    pub fn checklist_complete(
        &mut self,
        id: &str,
        step: &str,
        visitor: bool,
        now_ms: f64,
    ) -> Result<Vec<Record>, NotDone> {
        let how = if visitor { How::Visitor } else { How::Code };
        self.change(id, |c, p| {
            let i = c
                .steps
                .iter()
                .position(|s| s.id == step)
                .ok_or(NotDone::Unknown)?;
            if visitor && !c.steps.get(i).is_some_and(|s| s.manual) {
                return Err(NotDone::NotManual);
            }
            Ok(c.mark(p, i, how, now_ms))
        })
        .unwrap_or(Err(NotDone::Unknown))
    }

    /// The checklists to show on this page view, each as its card, with the `Checklist
    /// Shown` events that records. Shown: the visitor may be asked (consent), is in the
    /// audience, has not dismissed it, and has not completed it before this page view. Open
    /// when the visitor left it open, or the first time for an `autoOpen` checklist if the
    /// prompt cap allows (it then counts as a prompt); otherwise as a launcher.
    pub fn checklists_to_show(
        &mut self,
        now_ms: f64,
        re: &dyn RegexEngine,
    ) -> (Vec<Map>, Vec<Record>) {
        let mut cards = Vec::new();
        let mut records = Vec::new();
        if self.permission() != Permission::Track {
            return (cards, records);
        }
        let attributes = self.attributes(now_ms);
        let groups = &self.config.audience.saved_groups;
        let mut eligible = Vec::new();
        for c in &self.config.checklists.list {
            if !c.broken
                && c.condition
                    .as_ref()
                    .is_none_or(|cond| eval_condition(cond, &attributes, groups, re))
            {
                eligible.push(c.id.clone());
            }
        }
        for id in eligible {
            let history = self.history();
            let prompts = self.config.surveys.prompts;
            let shown = self.change(&id, |c, p| {
                if p.dismissed_ms > 0.0 || p.completed_ms > 0.0 {
                    return None;
                }
                let mut prompted = false;
                let expanded = match p.open {
                    Some(open) => open,
                    None if c.auto_open && history.may_prompt(now_ms, &prompts).is_ok() => {
                        p.open = Some(true);
                        prompted = true;
                        true
                    }
                    None => false,
                };
                if p.shown_ms == 0.0 {
                    p.shown_ms = now_ms;
                }
                let mut e = c.properties();
                e.set("open", expanded.into());
                Some((c.card(p, expanded), e, prompted))
            });
            if let Some(Some((card, shown, prompted))) = shown {
                if prompted {
                    self.update_history(|h| h.prompted(now_ms));
                }
                self.checklists_shown.push(id);
                cards.push(card);
                records.push(("Checklist Shown", shown));
            }
        }
        (cards, records)
    }

    /// The checklists this page view shows.
    pub fn checklists_on_screen(&self) -> Vec<String> {
        self.checklists_shown.clone()
    }

    /// The card of checklist `id` as it stands, if it shows on this page view (to update it
    /// after a change).
    pub fn checklist_card(&self, id: &str, expanded: bool) -> Option<Map> {
        if !self.checklists_shown.iter().any(|s| s == id) {
            return None;
        }
        let c = self.config.checklists.list.iter().find(|c| c.id == id)?;
        let all = if self.permission() == Permission::Track {
            self.progress_all()
        } else {
            self.checklists_memory.clone()
        };
        Some(c.card(&self.progress(&all, id), expanded))
    }

    /// The visitor opened (`open`) or collapsed checklist `id`: remembered; opening records
    /// `Checklist Shown` with `open: true`.
    pub fn checklist_toggled(&mut self, id: &str, open: bool) -> Vec<Record> {
        self.change(id, |c, p| {
            p.open = Some(open);
            let mut e = c.properties();
            e.set("open", true.into());
            if open {
                vec![("Checklist Shown", e)]
            } else {
                Vec::new()
            }
        })
        .unwrap_or_default()
    }

    /// The visitor dismissed checklist `id` for good.
    pub fn checklist_dismissed(&mut self, id: &str, now_ms: f64) -> Vec<Record> {
        self.checklists_shown.retain(|s| s != id);
        self.change(id, |c, p| {
            if p.dismissed_ms > 0.0 {
                return Vec::new();
            }
            p.dismissed_ms = now_ms;
            let mut e = c.properties();
            e.set("completed_count", (c.done_count(p) as f64).into());
            vec![("Checklist Dismissed", e)]
        })
        .unwrap_or_default()
    }

    /// A new page view: the checklists shown are decided afresh.
    pub fn checklists_on_page_view(&mut self) {
        self.checklists_shown.clear();
    }

    /// The progress of every checklist, for `debug()` and the page's `checklist(id)`.
    pub fn checklist_progress(&self, id: &str) -> Option<Progress> {
        self.config.checklists.list.iter().find(|c| c.id == id)?;
        let all = if self.permission() == Permission::Track {
            self.progress_all()
        } else {
            self.checklists_memory.clone()
        };
        Some(self.progress(&all, id))
    }

    /// The identified visitor and their identity hash, when this browser may fetch their
    /// state from other devices (`identify(userId, traits, {userHash})` gave the hash).
    pub fn remote_identity(&self) -> Option<(String, String)> {
        let user = self.identity.user_id.clone()?;
        let hash = self.store.get(keys::USER_HASH).filter(|h| !h.is_empty())?;
        Some((user, hash))
    }

    /// Keeps the identity hash `identify()` was given (None: forget it, as on `reset()`).
    pub fn set_user_hash(&mut self, hash: Option<&str>) {
        match hash {
            Some(h) if self.permission() == Permission::Track => {
                self.store.set(keys::USER_HASH, h);
            }
            _ => self.store.remove(keys::USER_HASH),
        }
    }

    /// Merges in the visitor's state from other devices (the collector's answer: checklist
    /// progress by id, and the survey history's marks), then completes the steps seen here
    /// that it unlocks. Returns their events and the checklists that changed.
    pub fn merge_remote(
        &mut self,
        checklists: &Map,
        surveys: &str,
        now_ms: f64,
    ) -> (Vec<Record>, Vec<String>) {
        let remote = History::decode(surveys);
        self.update_history(|h| h.merge(&remote));
        let mut records = Vec::new();
        let mut changed = Vec::new();
        for (id, value) in checklists.iter() {
            let theirs = Progress::from_value(value);
            let out = self.change(id, |c, p| {
                let before = p.clone();
                p.merge(&theirs);
                let events = c.settle(p, now_ms);
                (events, *p != before)
            });
            if let Some((mut events, differs)) = out {
                if differs {
                    changed.push(id.clone());
                }
                records.append(&mut events);
            }
        }
        (records, changed)
    }

    /// Consent was granted: the progress kept in memory until now is written, merged with
    /// what storage holds (another tab may have written some).
    pub fn checklists_consented(&mut self) {
        let memory = core::mem::take(&mut self.checklists_memory);
        if memory.is_empty() {
            return;
        }
        let mut all = self.progress_all();
        for (id, value) in memory.iter() {
            let mut p = self.progress(&all, id);
            p.merge(&Progress::from_value(value));
            if p.open.is_none() {
                p.open = Progress::from_value(value).open;
            }
            all.set(id, p.to_value());
        }
        self.save_progress(all);
    }
}
