//! The checklist exports: the page side reports what the visitor does with the widget; the
//! page's code completes steps with `engagekit.checklist(id).complete(step)`. Progress and
//! what shows are the core's ([`crate::tracker`]); the checklists a page view shows, and
//! each change to one, become `[6, cards, all]` actions, on which the page side downloads
//! the widget's code and renders or updates them (`all`: the page view's full set, so the
//! page side removes any other).

use crate::prelude::*;
use wasm_bindgen::prelude::*;

use super::{interop, page, with, Action, Shell};
use crate::checklist::Record;
use interop::warn;

impl Shell {
    /// Records checklist events and sends the updated cards of the checklists that changed.
    #[inline(never)]
    pub(super) fn checklist_records(&mut self, records: Vec<Record>, changed: &[String]) {
        for (event, properties) in records {
            self.record_track(event, &properties);
        }
        let mut cards = Vec::new();
        for id in changed {
            let open = self
                .tracker
                .checklist_progress(id)
                .and_then(|p| p.open)
                .unwrap_or(false);
            if let Some(card) = self.tracker.checklist_card(id, open) {
                cards.push(card);
            }
        }
        if !cards.is_empty() {
            self.actions.push(Action::Checklists(cards, false));
        }
    }

    /// A new page view: steps its page completes, then the checklists it shows.
    pub(super) fn checklists_page_view(&mut self) {
        let now = page::now_ms();
        self.tracker.checklists_on_page_view();
        let (records, _) = self.tracker.checklists_on_page(now, &self.regex);
        for (event, properties) in records {
            self.record_track(event, &properties);
        }
        let (cards, shown) = self.tracker.checklists_to_show(now, &self.regex);
        for (event, properties) in shown {
            self.record_track(event, &properties);
        }
        self.actions.push(Action::Checklists(cards, true));
    }

    /// Asks the page side to fetch the identified visitor's state from other devices, if
    /// `identify()` gave an identity hash.
    pub(super) fn fetch_remote(&mut self) {
        if let Some((user, hash)) = self.tracker.remote_identity() {
            self.actions.push(Action::Remote(user, hash));
        }
    }

    #[inline(never)]
    fn complete_step(&mut self, id: &str, step: &str, visitor: bool) {
        match self
            .tracker
            .checklist_complete(id, step, visitor, page::now_ms())
        {
            Ok(records) => self.checklist_records(records, &[id.to_owned()]),
            Err(why) => {
                let mut m = String::from("checklist(\"");
                m.push_str(id);
                m.push_str("\").complete(\"");
                m.push_str(step);
                m.push_str("\"): ");
                m.push_str(why.as_str());
                warn(&m);
            }
        }
    }
}

/// Completes step `step` of checklist `id` by code: `engagekit.checklist(id).complete(step)`.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen(js_name = checklistComplete))]
pub fn checklist_complete(id: JsValue, step: JsValue) -> JsValue {
    let (Some(id), Some(step)) = (interop::string(&id), interop::string(&step)) else {
        warn("checklist(id).complete(step): the id and the step must be strings; ignored");
        return JsValue::UNDEFINED;
    };
    with("checklist", |s| s.complete_step(&id, &step, false))
}

/// What the visitor did with checklist `id`'s widget: `toggled` (value: open or not),
/// `done` (value: a manual step they ticked off), `dismissed`.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn checklisted(kind: JsValue, id: JsValue, value: JsValue) -> JsValue {
    let kind = interop::string(&kind).unwrap_or_default();
    let id = interop::string(&id).unwrap_or_default();
    let step = interop::string(&value).unwrap_or_default();
    let open = value.is_truthy();
    with("checklisted", |s| match kind.as_str() {
        "toggled" => {
            let records = s.tracker.checklist_toggled(&id, open);
            s.checklist_records(records, &[]);
        }
        "done" => s.complete_step(&id, &step, true),
        "dismissed" => {
            let records = s.tracker.checklist_dismissed(&id, page::now_ms());
            s.checklist_records(records, &[]);
        }
        _ => warn("checklisted: unknown step; ignored"),
    })
}

/// The collector's answer to `[7, userId, hash]` (`{checklists, surveys}`): the visitor's
/// state from their other devices, merged into this one's.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn remote(state: JsValue) -> JsValue {
    let state = interop::to_value(&state).unwrap_or(crate::json::Value::Null);
    let checklists = state
        .get("checklists")
        .and_then(crate::json::Value::as_object)
        .cloned()
        .unwrap_or_default();
    let surveys = state
        .get("surveys")
        .and_then(crate::json::Value::as_str)
        .unwrap_or("")
        .to_owned();
    with("remote", |s| {
        let (records, changed) = s
            .tracker
            .merge_remote(&checklists, &surveys, page::now_ms());
        s.checklist_records(records, &changed);
    })
}
