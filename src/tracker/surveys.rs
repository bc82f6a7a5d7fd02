//! The tracker's survey side: which surveys wait on this page view, whether one may show now
//! ([`survey::check`] over the visitor's attributes and the [`History`] every tab shares), and
//! the events each step of the card records, all carrying one `submission_id`.
//!
//! The history is read from storage before every decision and written at once (not
//! write-behind) whenever it changes, so a prompt shown in one tab holds the screen, and the
//! weekly cap, in every other tab from that moment.

use super::{keys, Tracker};
use crate::consent::Permission;
use crate::json::{Map, Value};
use crate::prelude::*;
use crate::regex::RegexEngine;
use crate::survey::{self, Category, Context, History, Trigger, Why};

/// Survey state of one tab.
#[derive(Debug, Default)]
pub struct SurveyState {
    /// Surveys waiting for their delay on this page view: id and when it ends (Unix ms).
    pending: Vec<(String, f64)>,
    /// The deepest scroll reported on this page view, percent.
    scroll: f64,
    /// The survey on screen in this tab.
    open: Option<Open>,
}

#[derive(Debug)]
struct Open {
    id: String,
    submission: String,
    category: Option<Category>,
}

/// What the card reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step<'a> {
    /// A score was chosen (0-10); choosing again changes the answer.
    Answered(u8),
    /// The follow-up was sent.
    Comment(&'a str),
    /// Escape or the close button, at this step of the card (`score`, `comment`, `thanks`).
    Dismissed(&'a str),
    /// The card has gone.
    Closed,
    /// The card is still on screen (renews its hold on the screen across tabs).
    Alive,
}

impl Tracker {
    pub(super) fn history(&self) -> History {
        self.store
            .get(keys::PROMPTS)
            .map(|t| History::decode(&t))
            .unwrap_or_default()
    }

    /// Changes the history every tab shares, written at once.
    pub(super) fn update_history(&mut self, f: impl FnOnce(&mut History)) {
        let mut h = self.history();
        f(&mut h);
        self.store.set(keys::PROMPTS, &h.encode());
    }

    /// A new page view at `now_ms`: its delays start, and what waited on the page before is
    /// dropped (a survey never appears on a page it was not scheduled for).
    pub fn surveys_on_page_view(&mut self, now_ms: f64) {
        self.surveys.pending = survey::on_page_view(&self.config.surveys, now_ms);
        self.surveys.scroll = 0.0;
    }

    /// When the next delay ends, if a survey waits for one.
    pub fn surveys_next_due(&self) -> Option<f64> {
        let mut next: Option<f64> = None;
        for (_, at) in &self.surveys.pending {
            next = Some(next.map_or(*at, |n| n.min(*at)));
        }
        next
    }

    /// The surveys whose delay has ended by `now_ms` (they wait no more).
    pub fn surveys_due(&mut self, now_ms: f64) -> Vec<String> {
        let mut due = Vec::new();
        let mut waiting = Vec::new();
        for (id, at) in core::mem::take(&mut self.surveys.pending) {
            if at <= now_ms {
                due.push(id);
            } else {
                waiting.push((id, at));
            }
        }
        self.surveys.pending = waiting;
        due
    }

    /// The surveys a tracked event triggers; `properties` is the event's JSON text, parsed
    /// only when a trigger names the event.
    pub fn surveys_for_event(
        &self,
        name: &str,
        properties: &str,
        re: &dyn RegexEngine,
    ) -> Vec<String> {
        let named = self.config.surveys.list.iter().any(|s| {
            s.triggers
                .iter()
                .any(|t| matches!(t, Trigger::Event(e, _) if e == name))
        });
        if !named {
            return Vec::new();
        }
        let properties = self
            .store
            .parse_json(properties)
            .unwrap_or_else(|| Value::Object(Map::new()));
        survey::on_event(
            &self.config.surveys,
            name,
            &properties,
            &self.config.audience.saved_groups,
            re,
        )
    }

    /// The surveys a scroll to `percent` of the page triggers, each once per page view.
    pub fn surveys_for_scroll(&mut self, percent: f64) -> Vec<String> {
        let before = self.surveys.scroll;
        if percent.is_nan() || percent <= before {
            return Vec::new();
        }
        self.surveys.scroll = percent;
        let earlier = survey::on_scroll(&self.config.surveys, before);
        let mut now = survey::on_scroll(&self.config.surveys, percent);
        now.retain(|id| !earlier.contains(id));
        now
    }

    /// The smallest scroll depth a survey waits for (the page reports depth only then).
    pub fn scroll_wanted(&self) -> Option<f64> {
        survey::scroll_depths(&self.config.surveys)
    }

    /// Shows survey `id` now if it may ([`survey::check`]; `force`: the page's code asked
    /// and skips the audience, sample, throttles and weekly cap). On success the history
    /// records it at once, and the result is the card to render (in the page's language)
    /// and the properties of its `Survey Shown` event.
    pub fn show_survey(
        &mut self,
        id: &str,
        force: bool,
        submission: String,
        now_ms: f64,
        re: &dyn RegexEngine,
    ) -> Result<(Map, Map), Why> {
        let s = self
            .config
            .surveys
            .list
            .iter()
            .find(|s| s.id == id)
            .ok_or(Why::Unknown)?;
        if self.surveys.open.is_some() {
            return Err(Why::PromptOpen);
        }
        let attributes = self.attributes(now_ms);
        let history = self.history();
        survey::check(
            s,
            &Context {
                now_ms,
                may_ask: self.permission() == Permission::Track,
                attributes: &attributes,
                saved_groups: &self.config.audience.saved_groups,
                re,
                anonymous_id: &self.identity.anonymous_id,
                history: &history,
                prompts: &self.config.surveys.prompts,
                force,
            },
        )?;
        let card = s.card();
        let properties = survey::properties(id, &submission);
        self.update_history(|h| h.shown(id, now_ms));
        self.surveys.open = Some(Open {
            id: id.to_owned(),
            submission,
            category: None,
        });
        Ok((card, properties))
    }

    /// A step of the survey on screen: the event it records (`Survey Answered`, `Survey
    /// Comment`, `Survey Dismissed`), if any. Nothing when no survey is open in this tab.
    pub fn survey_step(&mut self, step: Step, now_ms: f64) -> Option<(&'static str, Map)> {
        let open = self.surveys.open.as_mut()?;
        let mut p = survey::properties(&open.id, &open.submission);
        let id = open.id.clone();
        let event = match step {
            Step::Answered(score) => {
                let category = Category::of(score);
                open.category = Some(category);
                p.set("score", f64::from(score).into());
                p.set("category", category.as_str().into());
                self.update_history(|h| h.answered(&id, now_ms));
                "Survey Answered"
            }
            Step::Comment(text) => {
                let comment = survey::cap_comment(text);
                if comment.is_empty() {
                    return None;
                }
                p.set("comment", comment.into());
                if let Some(c) = open.category {
                    p.set("category", c.as_str().into());
                }
                "Survey Comment"
            }
            Step::Dismissed(at) => {
                p.set("step", at.into());
                self.update_history(|h| h.dismissed(&id, now_ms));
                "Survey Dismissed"
            }
            Step::Closed => {
                self.surveys.open = None;
                self.update_history(History::closed);
                return None;
            }
            Step::Alive => {
                self.update_history(|h| h.renew(now_ms));
                return None;
            }
        };
        Some((event, p))
    }
}
