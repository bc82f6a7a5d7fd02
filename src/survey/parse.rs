//! Reading `surveys` and `prompts` from the config. A survey that cannot be read is off
//! (one problem with its path); the other surveys and everything else keep working.

use super::{valid_id, FollowUp, Placement, Prompts, Survey, Texts, Trigger};
use crate::condition::validate_condition;
use crate::config::{read::Obj, ConfigError};
use crate::prelude::*;
use crate::regex::RegexEngine;

/// The theme's custom properties (`--ek-<name>` on the card).
const THEME_KEYS: [&str; 5] = ["accent", "background", "text", "radius", "font"];
/// Longest theme value.
const MAX_THEME_CHARS: usize = 120;

/// Reads `prompts`.
pub(crate) fn parse_prompts(p: &Obj) -> Result<Prompts, ConfigError> {
    let d = Prompts::default();
    let prompts = Prompts {
        max_per_week: p.count("maxPerWeek", d.max_per_week, 0)?,
        min_gap_hours: p.number(
            "minGapHours",
            d.min_gap_hours,
            (0.0, 24.0 * 365.0),
            "from 0 to 8760",
        )?,
    };
    p.no_other_keys(&["maxPerWeek", "minGapHours"])?;
    Ok(prompts)
}

/// Reads `surveys`; every problem goes to `problems`.
pub(crate) fn parse(
    obj: &Obj,
    re: &dyn RegexEngine,
    problems: &mut Vec<ConfigError>,
) -> Vec<Survey> {
    let mut list = Vec::new();
    for (id, value) in obj.map {
        let mut survey = Survey {
            id: id.clone(),
            texts: Vec::new(),
            placement: Placement::default(),
            theme: Vec::new(),
            condition: None,
            triggers: Vec::new(),
            sample: 1.0,
            resurvey_days: 90.0,
            dismiss_wait_days: 14.0,
            broken: false,
        };
        let read = Obj::new(value, &obj.path_of(id)).and_then(|s| {
            if !valid_id(id) {
                return Err(obj.error(id, "a survey id is 1-64 letters, digits, - and _"));
            }
            read_survey(&s, &mut survey, re)
        });
        if let Err(e) = read {
            problems.push(e.then("this survey is off"));
            survey.broken = true;
        }
        list.push(survey);
    }
    list
}

fn read_survey(s: &Obj, survey: &mut Survey, re: &dyn RegexEngine) -> Result<(), ConfigError> {
    s.no_other_keys(&[
        "text",
        "defaultLocale",
        "placement",
        "theme",
        "if",
        "triggers",
        "sample",
        "resurveyDays",
        "dismissWaitDays",
    ])?;
    let text = s
        .obj("text")?
        .ok_or_else(|| s.error("text", "required: the survey's texts by locale"))?;
    for (locale, value) in text.map {
        let t = Obj::new(value, &text.path_of(locale))?;
        survey.texts.push((locale.clone(), read_texts(&t)?));
    }
    if survey.texts.is_empty() {
        return Err(s.error("text", "expected at least one locale, e.g. \"en\""));
    }
    if let Some(default) = s.string("defaultLocale")? {
        // The fallback goes first (rebuilt rather than swapped: no index that could panic).
        let (first, rest): (Vec<_>, Vec<_>) = core::mem::take(&mut survey.texts)
            .into_iter()
            .partition(|(l, _)| *l == default);
        if first.is_empty() {
            return Err(s.error("defaultLocale", "expected one of the locales under text"));
        }
        survey.texts = first.into_iter().chain(rest).collect();
    }
    survey.placement = match s.string("placement")?.as_deref() {
        None | Some("bottom-right") => Placement::BottomRight,
        Some("bottom-left") => Placement::BottomLeft,
        Some("center") => Placement::Center,
        Some(_) => return Err(s.error("placement", "expected bottom-right, bottom-left or center")),
    };
    if let Some(theme) = s.obj("theme")? {
        theme.no_other_keys(&THEME_KEYS)?;
        for key in THEME_KEYS {
            if let Some(v) = theme.string(key)? {
                if !plain_css_value(&v) {
                    return Err(
                        theme.error(key, "expected a plain CSS value (no ; { } < > \\ or url())")
                    );
                }
                survey.theme.push((key.to_owned(), v));
            }
        }
    }
    if let Some(c) = s.map.get("if") {
        validate_condition(c, re).map_err(|e| s.error("if", &e))?;
        survey.condition = Some(c.clone());
    }
    for (i, t) in (0u64..).zip(s.array("triggers")?.into_iter().flatten()) {
        let path = crate::text::cat(&[&s.path_of("triggers"), "[", &crate::text::uint(i), "]"]);
        let t = Obj::new(t, &path)?;
        survey.triggers.push(read_trigger(&t, re)?);
    }
    survey.sample = s.number("sample", 1.0, (0.0, 1.0), "from 0 to 1")?;
    survey.resurvey_days = s.number("resurveyDays", 90.0, (0.0, 3650.0), "from 0 to 3650")?;
    survey.dismiss_wait_days =
        s.number("dismissWaitDays", 14.0, (0.0, 3650.0), "from 0 to 3650")?;
    Ok(())
}

fn read_texts(t: &Obj) -> Result<Texts, ConfigError> {
    t.no_other_keys(&[
        "question", "low", "high", "followUp", "thanks", "send", "close",
    ])?;
    let required = |key: &str| t.string(key)?.ok_or_else(|| t.error(key, "required"));
    let mut texts = Texts {
        question: required("question")?,
        low: required("low")?,
        high: required("high")?,
        thanks: required("thanks")?,
        send: t.string("send")?.unwrap_or_else(|| "Send".into()),
        close: t.string("close")?.unwrap_or_else(|| "Close".into()),
        follow_up: [None, None, None],
    };
    if let Some(f) = t.obj("followUp")? {
        const CATEGORIES: [&str; 3] = ["detractor", "passive", "promoter"];
        f.no_other_keys(&CATEGORIES)?;
        for (slot, key) in texts.follow_up.iter_mut().zip(CATEGORIES) {
            if let Some(q) = f.obj(key)? {
                q.no_other_keys(&["question", "placeholder"])?;
                *slot = Some(FollowUp {
                    question: q
                        .string("question")?
                        .ok_or_else(|| q.error("question", "required"))?,
                    placeholder: q.string("placeholder")?.unwrap_or_default(),
                });
            }
        }
    }
    Ok(texts)
}

fn read_trigger(t: &Obj, re: &dyn RegexEngine) -> Result<Trigger, ConfigError> {
    const ONE_OF: &str = "expected one of {\"delayMs\": ms}, {\"event\": name, \"where\": condition}, {\"scrollPercent\": 0-100}";
    if t.map.get("delayMs").is_some() {
        t.no_other_keys(&["delayMs"])?;
        return Ok(Trigger::Delay(f64::from(t.count("delayMs", 0, 0)?)));
    }
    if t.map.get("scrollPercent").is_some() {
        t.no_other_keys(&["scrollPercent"])?;
        return Ok(Trigger::Scroll(t.number(
            "scrollPercent",
            0.0,
            (0.0, 100.0),
            "from 0 to 100",
        )?));
    }
    if let Some(name) = t.string("event")? {
        t.no_other_keys(&["event", "where"])?;
        let condition = match t.map.get("where") {
            None => None,
            Some(c) => {
                validate_condition(c, re).map_err(|e| t.error("where", &e))?;
                Some(c.clone())
            }
        };
        return Ok(Trigger::Event(name, condition));
    }
    Err(t.invalid(ONE_OF))
}

/// Whether `v` is a plain CSS value that cannot end its declaration, open a block or a tag,
/// escape, or load anything (`url()`, `image-set()`, `@import`).
fn plain_css_value(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    !v.is_empty()
        && v.chars().count() <= MAX_THEME_CHARS
        && !v.contains([';', '{', '}', '<', '>', '\\', '@'])
        && !["url(", "image(", "image-set(", "expression("]
            .iter()
            .any(|f| lower.contains(f))
}
