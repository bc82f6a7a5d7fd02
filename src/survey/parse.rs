//! Reading `surveys` and `prompts` from the config. A survey that cannot be read is off
//! (one problem with its path); the other surveys and everything else keep working.
//!
//! What decides when a survey shows (id, `if`, triggers, sample, throttles) is read in
//! full everywhere. What the card shows (texts, placement, theme) is checked in full only
//! with the `validate` feature (native builds: the collector checks every config it
//! publishes, with messages that name the field); the browser's reader checks only that
//! the texts are objects by locale, so the wasm does not carry a validator for them. The
//! card then treats every value as text and ignores what it cannot use.

use super::{valid_id, Prompts, Survey, Trigger};
use crate::condition::validate_condition;
use crate::config::{read::Obj, report, Bad, ConfigError};
use crate::prelude::*;
use crate::regex::RegexEngine;

/// Reads `prompts`.
pub(crate) fn parse_prompts(p: &Obj) -> Result<Prompts, Bad> {
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
            ui: crate::json::Map::new(),
            condition: None,
            triggers: Vec::new(),
            sample: 1.0,
            resurvey_days: 90.0,
            dismiss_wait_days: 14.0,
            broken: false,
        };
        let read = obj.child(id, value).and_then(|s| {
            if !valid_id(id) {
                return Err(obj.error(id, "a survey id is 1-64 letters, digits, - and _"));
            }
            read_survey(&s, &mut survey, re)
        });
        if let Err(e) = read {
            report(problems, e, "this survey is off");
            survey.broken = true;
        }
        list.push(survey);
    }
    list
}

fn read_survey(s: &Obj, survey: &mut Survey, re: &dyn RegexEngine) -> Result<(), Bad> {
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
    crate::card::read(
        s,
        &mut survey.ui,
        &["bottom-right", "bottom-left", "center"],
        texts,
    )?;
    if let Some(c) = s.map.get("if") {
        validate_condition(c, re).map_err(|e| s.error("if", &e))?;
        survey.condition = Some(c.clone());
    }
    let triggers = s.array("triggers")?.map_or(&[][..], Vec::as_slice);
    for (i, t) in triggers.iter().enumerate() {
        let t = s.item("triggers", i as u64, t)?;
        survey.triggers.push(read_trigger(&t, re)?);
    }
    survey.sample = s.number("sample", 1.0, (0.0, 1.0), "from 0 to 1")?;
    survey.resurvey_days = s.number("resurveyDays", 90.0, (0.0, 3650.0), "from 0 to 3650")?;
    survey.dismiss_wait_days =
        s.number("dismissWaitDays", 14.0, (0.0, 3650.0), "from 0 to 3650")?;
    Ok(())
}

fn read_trigger(t: &Obj, re: &dyn RegexEngine) -> Result<Trigger, Bad> {
    // In full where configs are published; the browser's build names the keys only.
    const ONE_OF: &str = if cfg!(feature = "validate") {
        "expected one of {\"delayMs\": ms}, {\"event\": name, \"where\": condition}, {\"scrollPercent\": 0-100}"
    } else {
        "expected delayMs, event or scrollPercent"
    };
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

/// The full check of a survey's texts in one locale (with `validate`; see [`crate::card`]).
#[cfg_attr(not(feature = "validate"), allow(dead_code))]
fn texts(t: &Obj) -> Result<(), Bad> {
    t.no_other_keys(&[
        "question", "low", "high", "followUp", "thanks", "send", "close",
    ])?;
    for key in ["question", "low", "high", "thanks"] {
        t.string(key)?.ok_or_else(|| t.error(key, "required"))?;
    }
    for key in ["send", "close"] {
        t.string(key)?;
    }
    if let Some(f) = t.obj("followUp")? {
        const CATEGORIES: [&str; 3] = ["detractor", "passive", "promoter"];
        f.no_other_keys(&CATEGORIES)?;
        for key in CATEGORIES {
            if let Some(q) = f.obj(key)? {
                q.no_other_keys(&["question", "placeholder"])?;
                q.string("question")?
                    .ok_or_else(|| q.error("question", "required"))?;
                q.string("placeholder")?;
            }
        }
    }
    Ok(())
}
