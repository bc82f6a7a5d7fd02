//! NPS surveys: who is asked, when, and how often; the core decides, the page side measures
//! (delays, scroll depth) and renders.
//!
//! A survey shows when one of its triggers fires (a delay after a page view, a tracked event
//! whose properties match, a scroll depth, or the page's own code) and the visitor is
//! eligible at that moment ([`check`], run again when a delay ends and on every route
//! change): consent to be asked, in the survey's audience, in its sample (sticky: a hash of
//! the visitor's anonymous id and the survey id, not a coin toss per trigger), not answered
//! within `resurveyDays` nor dismissed (or left unanswered) within `dismissWaitDays`, and
//! within the **prompt cap every engagekit prompt shares**: one on screen at a time, at most
//! `prompts.maxPerWeek` in a rolling week, `prompts.minGapHours` apart. The [`History`] that
//! the throttles and caps read lives in localStorage, shared by the visitor's tabs, and is
//! re-read before a prompt shows, so a prompt shown in one tab is not shown in another.
//!
//! Net Promoter Score: 0-6 detractor, 7-8 passive, 9-10 promoter; NPS = % promoters −
//! % detractors.

#[cfg(feature = "surveys")]
mod parse;
#[cfg(all(test, feature = "surveys"))]
mod tests;

#[cfg(feature = "surveys")]
pub(crate) use parse::{parse, parse_prompts};

use crate::bucket;
use crate::condition::{eval_condition, event_matches};
use crate::json::{Map, Value};
use crate::prelude::*;
use crate::regex::RegexEngine;
use crate::text::push_uint;

const DAY_MS: f64 = 86_400_000.0;
const HOUR_MS: f64 = 3_600_000.0;
/// The rolling window of `prompts.maxPerWeek`.
pub const WEEK_MS: f64 = 7.0 * DAY_MS;
/// How long a shown prompt holds the "one on screen" lock without the page renewing it
/// ([`History::renew`]): a tab closed with a prompt open frees the lock after this.
pub const LEASE_MS: f64 = 60_000.0;
/// Longest comment kept, in characters (`Survey Comment`).
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// `surveys` and `prompts` in the config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Surveys {
    /// By id, in config order.
    pub list: Vec<Survey>,
    /// The cap shared by every prompt.
    pub prompts: Prompts,
}

/// The cap on prompts (surveys, auto-opening checklists), across the visitor's tabs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prompts {
    /// At most this many prompts shown in any 7 days.
    pub max_per_week: u32,
    /// At least this long between two prompts.
    pub min_gap_hours: f64,
}

impl Default for Prompts {
    fn default() -> Self {
        Prompts {
            max_per_week: 2,
            min_gap_hours: 24.0,
        }
    }
}

/// One survey's configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Survey {
    /// Letters, digits, `-` and `_`.
    pub id: String,
    /// What the card shows, as written in the config: `text` (by locale), `defaultLocale`,
    /// `placement`, `theme`. The card reads it ([`Survey::card`]); the core only chooses the
    /// locale. Checked in full where configs are published (the collector, with the
    /// `validate` feature); the browser's reader only checks its shape, and the card treats
    /// every value as text.
    pub ui: Map,
    /// Audience condition over visitor attributes (None: everyone).
    pub condition: Option<Value>,
    pub triggers: Vec<Trigger>,
    /// Share of visitors asked, 0-1.
    pub sample: f64,
    pub resurvey_days: f64,
    pub dismiss_wait_days: f64,
    /// The survey's config could not be read (reported at load): it never shows.
    pub broken: bool,
}

/// What makes a survey want to show. The page's own code can always ask
/// (`engagekit.survey(id)`), whatever the triggers.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// This long after each page view.
    Delay(f64),
    /// When an event of this name is tracked, and its properties match the condition.
    Event(String, Option<Value>),
    /// When the visitor has scrolled this far down the page (percent).
    Scroll(f64),
}

impl Default for Trigger {
    fn default() -> Self {
        Trigger::Delay(0.0)
    }
}

/// NPS category of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Detractor,
    Passive,
    Promoter,
}

impl Category {
    /// The category of a 0-10 score.
    pub fn of(score: u8) -> Category {
        match score {
            0..=6 => Category::Detractor,
            7 | 8 => Category::Passive,
            _ => Category::Promoter,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Detractor => "detractor",
            Category::Passive => "passive",
            Category::Promoter => "promoter",
        }
    }
}

impl Survey {
    /// What the card needs to show this survey (see [`crate::card::card`]).
    pub fn card(&self) -> Map {
        crate::card::card(&self.id, &self.ui)
    }
}

/// Why a survey does not show now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// No survey of that id in the config.
    Unknown,
    /// Its config could not be read.
    Broken,
    /// The visitor has not agreed to be asked (no consent, or Do-Not-Track).
    Consent,
    /// Not in the survey's audience.
    Audience,
    /// Not in the survey's sample.
    Sampled,
    /// Answered within `resurveyDays`.
    Answered,
    /// Dismissed, or shown and left, within `dismissWaitDays`.
    Dismissed,
    /// Another prompt is on screen (in this tab or another).
    PromptOpen,
    /// `prompts.maxPerWeek` reached.
    WeeklyCap,
    /// Within `prompts.minGapHours` of the last prompt.
    MinGap,
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Why::Unknown => "not in the config",
            Why::Broken => "its config could not be read",
            Why::Consent => "no consent to ask",
            Why::Audience => "not in its audience",
            Why::Sampled => "not in its sample",
            Why::Answered => "answered within resurveyDays",
            Why::Dismissed => "dismissed within dismissWaitDays",
            Why::PromptOpen => "another prompt is on screen",
            Why::WeeklyCap => "prompts.maxPerWeek reached",
            Why::MinGap => "within prompts.minGapHours of the last prompt",
        }
    }
}

/// When a visitor last saw, answered and dismissed one survey (Unix ms, 0: never).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Marks {
    pub shown_ms: f64,
    pub answered_ms: f64,
    pub dismissed_ms: f64,
}

/// What the throttles and the prompt cap read: per survey [`Marks`], the times prompts were
/// shown in the last week, and the lock of the prompt on screen. One localStorage value,
/// shared by the visitor's tabs ([`History::encode`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub surveys: Vec<(String, Marks)>,
    /// When prompts were shown, oldest first, the last 7 days only.
    pub prompts: Vec<f64>,
    /// A prompt is on screen until then (Unix ms; renewed while it stays open).
    pub open_until_ms: f64,
}

impl History {
    /// This survey's marks.
    pub fn marks(&self, id: &str) -> Marks {
        self.surveys
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, m)| *m)
            .unwrap_or_default()
    }

    /// Changes survey `id`'s marks (new marks when it has none yet).
    fn update(&mut self, id: &str, f: impl FnOnce(&mut Marks)) {
        match self.surveys.iter_mut().find(|(s, _)| s == id) {
            Some((_, m)) => f(m),
            None => {
                let mut m = Marks::default();
                f(&mut m);
                self.surveys.push((id.to_owned(), m));
            }
        }
    }

    /// A prompt (survey `id`) appears now: it holds the screen for [`LEASE_MS`] and counts
    /// against the cap.
    pub fn shown(&mut self, id: &str, now_ms: f64) {
        self.update(id, |m| m.shown_ms = now_ms);
        self.prompted(now_ms);
    }

    /// A prompt (any: a survey, an auto-opening checklist) appears now: it holds the screen
    /// for [`LEASE_MS`] and counts against the cap.
    pub fn prompted(&mut self, now_ms: f64) {
        self.prompts.retain(|t| now_ms - t < WEEK_MS);
        self.prompts.push(now_ms);
        self.open_until_ms = now_ms + LEASE_MS;
    }

    /// Whether the prompt cap lets a prompt appear now: none on screen (in any tab), fewer
    /// than `maxPerWeek` in the last 7 days, and `minGapHours` since the last.
    pub fn may_prompt(&self, now_ms: f64, prompts: &Prompts) -> Result<(), Why> {
        if now_ms < self.open_until_ms {
            return Err(Why::PromptOpen);
        }
        let week = self
            .prompts
            .iter()
            .filter(|t| now_ms - **t < WEEK_MS)
            .count();
        if week as u64 >= u64::from(prompts.max_per_week) {
            return Err(Why::WeeklyCap);
        }
        let last = self.prompts.iter().copied().fold(0.0, f64::max);
        if last > 0.0 && now_ms - last < prompts.min_gap_hours * HOUR_MS {
            return Err(Why::MinGap);
        }
        Ok(())
    }

    /// The prompt on screen is still there (the page calls this while it stays open).
    pub fn renew(&mut self, now_ms: f64) {
        if self.open_until_ms > 0.0 {
            self.open_until_ms = now_ms + LEASE_MS;
        }
    }

    /// Survey `id` was answered (a score chosen).
    pub fn answered(&mut self, id: &str, now_ms: f64) {
        self.update(id, |m| m.answered_ms = now_ms);
    }

    /// Survey `id` was dismissed.
    pub fn dismissed(&mut self, id: &str, now_ms: f64) {
        self.update(id, |m| m.dismissed_ms = now_ms);
    }

    /// The prompt on screen has gone (answered to the end, dismissed, or closed).
    pub fn closed(&mut self) {
        self.open_until_ms = 0.0;
    }

    /// The survey marks rebuilt from the survey events a visitor recorded (name,
    /// properties, time in Unix ms, in any order): the latest showing, answer and
    /// dismissal of each survey. What the collector answers another browser of the same
    /// identified visitor, so `resurveyDays` and `dismissWaitDays` hold across devices
    /// (the prompt cap and the lease stay per device).
    pub fn from_events<'a>(events: impl IntoIterator<Item = (&'a str, &'a Map, f64)>) -> History {
        let mut h = History::default();
        for (name, props, at) in events {
            let Some(id) = props.get("survey_id").and_then(Value::as_str) else {
                continue;
            };
            if !valid_id(id) {
                continue;
            }
            let latest = |t: &mut f64| *t = t.max(at);
            match name {
                "Survey Shown" => h.update(id, |m| latest(&mut m.shown_ms)),
                "Survey Answered" => h.update(id, |m| latest(&mut m.answered_ms)),
                "Survey Dismissed" => h.update(id, |m| latest(&mut m.dismissed_ms)),
                _ => {}
            }
        }
        h
    }

    /// Takes in marks from elsewhere (another device): the later of each.
    pub fn merge(&mut self, other: &History) {
        for (id, o) in &other.surveys {
            self.update(id, |m| {
                m.shown_ms = m.shown_ms.max(o.shown_ms);
                m.answered_ms = m.answered_ms.max(o.answered_ms);
                m.dismissed_ms = m.dismissed_ms.max(o.dismissed_ms);
            });
        }
    }

    /// As stored: `open|t1,t2|id:shown:answered:dismissed|…` (ids are letters, digits, `-`
    /// and `_`, so the separators never occur in them).
    pub fn encode(&self) -> String {
        let mut s = String::new();
        push_uint(&mut s, self.open_until_ms.max(0.0) as u64);
        s.push('|');
        for (i, t) in self.prompts.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            push_uint(&mut s, t.max(0.0) as u64);
        }
        for (id, m) in &self.surveys {
            s.push('|');
            s.push_str(id);
            for t in [m.shown_ms, m.answered_ms, m.dismissed_ms] {
                s.push(':');
                push_uint(&mut s, t.max(0.0) as u64);
            }
        }
        s
    }

    /// Reads [`History::encode`]'s text; anything unreadable is left out (a damaged value
    /// costs at most a throttle, never a crash).
    pub fn decode(text: &str) -> History {
        let num = |s: &str| crate::num::parse_u64(s).map_or(0.0, |n| n as f64);
        let mut parts = crate::text::split(text, b'|');
        let mut h = History {
            open_until_ms: parts.next().map_or(0.0, num),
            ..History::default()
        };
        if let Some(p) = parts.next() {
            for t in crate::text::split(p, b',') {
                if !t.is_empty() {
                    h.prompts.push(num(t));
                }
            }
        }
        for entry in parts {
            let mut f = crate::text::split(entry, b':');
            let (Some(id), Some(s), Some(a), Some(d), None) =
                (f.next(), f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            if valid_id(id) {
                h.surveys.push((
                    id.to_owned(),
                    Marks {
                        shown_ms: num(s),
                        answered_ms: num(a),
                        dismissed_ms: num(d),
                    },
                ));
            }
        }
        h
    }
}

/// Whether `id` may name a survey: 1-64 letters, digits, `-` and `_`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a check knows about the visitor and the moment.
pub struct Context<'a> {
    pub now_ms: f64,
    /// The visitor may be asked: consent (or no consent needed) and no DNT/GPC refusal.
    pub may_ask: bool,
    /// Visitor attributes for the audience condition.
    pub attributes: &'a Value,
    pub saved_groups: &'a Map,
    pub re: &'a dyn RegexEngine,
    /// The anonymous id: stable on this device, so a visitor's sample never flips when
    /// they sign in.
    pub anonymous_id: &'a str,
    /// Fresh from storage: written by every tab.
    pub history: &'a History,
    pub prompts: &'a Prompts,
    /// The page's code asked with `{force: true}`: sampling, audience, throttles and the
    /// weekly cap and gap are skipped; consent and "one prompt on screen" never are.
    pub force: bool,
}

/// Whether survey `s` may show now, or why not (the first rule that refuses, in the order
/// of [`Why`]).
pub fn check(s: &Survey, c: &Context) -> Result<(), Why> {
    if s.broken {
        return Err(Why::Broken);
    }
    if !c.may_ask {
        return Err(Why::Consent);
    }
    if c.now_ms < c.history.open_until_ms {
        return Err(Why::PromptOpen);
    }
    if c.force {
        return Ok(());
    }
    if let Some(cond) = &s.condition {
        if !eval_condition(cond, c.attributes, c.saved_groups, c.re) {
            return Err(Why::Audience);
        }
    }
    if !in_sample(&s.id, c.anonymous_id, s.sample) {
        return Err(Why::Sampled);
    }
    let m = c.history.marks(&s.id);
    if m.answered_ms > 0.0 && c.now_ms - m.answered_ms < s.resurvey_days * DAY_MS {
        return Err(Why::Answered);
    }
    // Shown and left unanswered counts as a dismissal: the visitor saw it and moved on.
    let left = m.dismissed_ms.max(if m.shown_ms > m.answered_ms {
        m.shown_ms
    } else {
        0.0
    });
    if left > 0.0 && c.now_ms - left < s.dismiss_wait_days * DAY_MS {
        return Err(Why::Dismissed);
    }
    c.history.may_prompt(c.now_ms, c.prompts)
}

/// Sticky sampling: the same visitor is always in or out of a survey's sample (GrowthBook's
/// hash of the survey id and the anonymous id), whatever triggers it and how often.
pub fn in_sample(survey_id: &str, anonymous_id: &str, sample: f64) -> bool {
    if sample >= 1.0 {
        return true;
    }
    bucket::hash(survey_id, anonymous_id, 1).is_some_and(|n| n < sample)
}

/// The surveys a page view schedules, with when they are due (`now` + their shortest
/// delay).
pub fn on_page_view(surveys: &Surveys, now_ms: f64) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for s in surveys.list.iter().filter(|s| !s.broken) {
        let mut shortest: Option<f64> = None;
        for t in &s.triggers {
            if let Trigger::Delay(ms) = t {
                shortest = Some(shortest.map_or(*ms, |d| d.min(*ms)));
            }
        }
        if let Some(delay) = shortest {
            out.push((s.id.clone(), now_ms + delay));
        }
    }
    out
}

/// The surveys an event triggers: a trigger names it and its condition (if any) matches
/// the event's properties.
pub fn on_event(
    surveys: &Surveys,
    name: &str,
    properties: &Value,
    saved_groups: &Map,
    re: &dyn RegexEngine,
) -> Vec<String> {
    let mut out = Vec::new();
    for s in surveys.list.iter().filter(|s| !s.broken) {
        let triggered = s.triggers.iter().any(|t| match t {
            Trigger::Event(event, cond) => {
                event_matches((event, cond.as_ref()), name, properties, saved_groups, re)
            }
            _ => false,
        });
        if triggered {
            out.push(s.id.clone());
        }
    }
    out
}

/// The surveys a scroll depth (percent of the page) triggers.
pub fn on_scroll(surveys: &Surveys, percent: f64) -> Vec<String> {
    let mut out = Vec::new();
    for s in surveys.list.iter().filter(|s| !s.broken) {
        if s.triggers
            .iter()
            .any(|t| matches!(t, Trigger::Scroll(p) if percent >= *p))
        {
            out.push(s.id.clone());
        }
    }
    out
}

/// The deepest scroll depth any survey waits for (the page side reports depth only while
/// some survey waits for it; None: no survey does).
pub fn scroll_depths(surveys: &Surveys) -> Option<f64> {
    let mut least: Option<f64> = None;
    for s in surveys.list.iter().filter(|s| !s.broken) {
        for t in &s.triggers {
            if let Trigger::Scroll(p) = t {
                least = Some(least.map_or(*p, |l| l.min(*p)));
            }
        }
    }
    least
}

/// A comment as sent: trimmed and at most [`MAX_COMMENT_CHARS`] characters (cut at a
/// character boundary, never inside one).
pub fn cap_comment(text: &str) -> String {
    text.trim().chars().take(MAX_COMMENT_CHARS).collect()
}

/// The properties every survey event carries.
pub fn properties(survey_id: &str, submission_id: &str) -> Map {
    let mut p = Map::new();
    p.set("survey_id", survey_id.into());
    p.set("submission_id", submission_id.into());
    p
}
