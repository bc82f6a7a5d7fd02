//! The survey exports: the page side reports scroll depth and each step of the card; the
//! page's code asks for a survey with `engagekit.survey(id, {force})`. Which survey shows
//! and when is the core's ([`crate::tracker`]); a survey that may show becomes a `[4, card]`
//! action, on which the page side downloads the card's code and renders it.

use crate::prelude::*;
use wasm_bindgen::prelude::*;

use super::{interop, page, with, Action, Shell};
use crate::tracker::Step;
use interop::warn;

impl Shell {
    /// Shows survey `id` if it may show now; `by_code` (the page's `survey()` call) hears
    /// why not.
    pub(super) fn show_survey(&mut self, id: &str, force: bool, by_code: bool) {
        let now = page::now_ms();
        match self
            .tracker
            .show_survey(id, force, page::uuid(), now, &self.regex)
        {
            Ok((card, shown)) => {
                self.record_track("Survey Shown", &shown);
                self.actions.push(Action::Survey(card));
            }
            Err(why) if by_code => {
                let mut m = String::from("survey(\"");
                m.push_str(id);
                m.push_str("\") did not show: ");
                m.push_str(why.as_str());
                warn(&m);
            }
            Err(_) => {}
        }
    }

    /// Shows the surveys whose delay has ended, if they still may.
    pub(super) fn surveys_due(&mut self, now: f64) {
        for id in self.tracker.surveys_due(now) {
            self.show_survey(&id, false, false);
        }
    }
}

/// Shows survey `id` now, whatever its triggers: `survey('nps', {force: true})`. Subject to
/// its audience, sample, throttles and the prompt cap unless `force`; never without consent
/// or over another prompt.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn survey(id: JsValue, options: JsValue) -> JsValue {
    let Some(id) = interop::string(&id) else {
        warn("survey: the id must be a string; the call was ignored");
        return JsValue::UNDEFINED;
    };
    let force = interop::get(&options, "force").is_truthy();
    with("survey", |s| s.show_survey(&id, force, true))
}

/// A step of the card on screen: `answered` (a score 0-10), `comment` (the text), `dismissed`
/// (the step: `score`, `comment` or `thanks`), `closed`, `alive`.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn surveyed(kind: JsValue, value: JsValue) -> JsValue {
    let text = interop::string(&value).unwrap_or_default();
    let score = value
        .as_f64()
        .filter(|n| (0.0..=10.0).contains(n) && *n == f64::from(*n as u8));
    let kind = interop::string(&kind).unwrap_or_default();
    with("surveyed", |s| {
        let step = match (kind.as_str(), score) {
            ("answered", Some(n)) => Step::Answered(n as u8),
            ("comment", _) => Step::Comment(&text),
            ("dismissed", _) if ["score", "comment", "thanks"].contains(&text.as_str()) => {
                Step::Dismissed(&text)
            }
            ("closed", _) => Step::Closed,
            ("alive", _) => Step::Alive,
            _ => {
                warn("surveyed: unknown step; ignored");
                return;
            }
        };
        if let Some((event, properties)) = s.tracker.survey_step(step, page::now_ms()) {
            s.record_track(event, &properties);
        }
    })
}

/// The visitor has scrolled to `percent` of the page (reported only while [`scroll_at`] is
/// not -1, and only deeper than before on this page view).
#[cfg_attr(not(feature = "compiler"), wasm_bindgen)]
pub fn scrolled(percent: JsValue) -> JsValue {
    let percent = percent.as_f64().unwrap_or(0.0);
    with("scrolled", |s| {
        for id in s.tracker.surveys_for_scroll(percent) {
            s.show_survey(&id, false, false);
        }
    })
}

/// The smallest scroll depth (percent) a survey waits for; -1 when none does, and the page
/// does not listen to scrolling at all.
#[cfg_attr(not(feature = "compiler"), wasm_bindgen(js_name = scrollAt))]
pub fn scroll_at() -> f64 {
    let mut out = -1.0;
    with("scrollAt", |s| {
        out = s.tracker.scroll_wanted().unwrap_or(-1.0)
    });
    out
}
