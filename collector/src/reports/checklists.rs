//! `GET /api/reports/checklists?writeKey=K&checklist=ID[&from=ISO&to=ISO]`: one onboarding
//! checklist's funnel, from the visitors who saw it to those who completed it, with one
//! stage per step of its config, in the config's order.
//!
//! Stages, each counting distinct visitors (a visitor is the event's `user_id` when it has
//! one, else its `anonymous_id`, so an identified visitor on two browsers counts once):
//! `eligible`, any `Checklist Shown`; `shown`, a `Checklist Shown` with `open: true` (the
//! list itself, not only its launcher); one `step` per configured step, a `Checklist Step
//! Completed` for it; `completed`, a `Checklist Completed`. Each stage after the first has
//! its `conversion`, its visitors over the previous stage's (`null` when that is 0). Steps
//! can be done in any order, so a step can have more visitors than the stage before it,
//! and its conversion is then above 1: it is still the plain ratio. Step and completed
//! stages have `medianMsFromShown`, the median over their visitors of the time from the
//! visitor's first `Checklist Shown` (launcher or list) to their first completion of it,
//! counting only visitors with both where that is not negative. `dismissed` counts
//! visitors with a `Checklist Dismissed`; `unknownSteps` counts step events naming a step
//! the config does not define (never a stage, so names invented by whoever holds the
//! public writeKey cannot grow the report).
//!
//! `from` (inclusive) and `to` (exclusive) bound every event alike, by its timestamp, as in
//! the NPS report: the funnel is what happened inside the range.
//!
//! Only a checklist the site's config defines (`checklists.<id>` is an object) can be
//! reported. The config is read here with serde_json, not the browser module's reader. The
//! counting is SQL in [`crate::store`]; this module reads the request and the config's
//! steps, and builds the JSON.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::api::site_for;
use crate::app::AppState;
use crate::error::ApiError;
use crate::store::{ChecklistCounts, ChecklistQuery, Reached};

#[derive(Debug, Deserialize)]
pub struct ChecklistParams {
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
    checklist: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The funnel report of one checklist (see the module documentation).
pub async fn checklists(
    State(state): State<AppState>,
    query: Result<Query<ChecklistParams>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(format!("query: {}", e.body_text())))?;
    let (write_key, site) = site_for(&state, q.write_key.as_deref(), &headers)?;
    let checklist = q.checklist.filter(|s| !s.is_empty()).ok_or_else(|| {
        ApiError::BadRequest(
            "checklist: required, the id of a checklist in the site's config".into(),
        )
    })?;
    let config = serde_json::from_slice(&site.json).unwrap_or(Value::Null);
    let steps = configured_steps(&config, &checklist).ok_or_else(|| {
        ApiError::NotFound(format!(
            "checklist {checklist:?} is not in the site's config"
        ))
    })?;
    let from = q.from.filter(|t| !t.is_empty());
    let to = q.to.filter(|t| !t.is_empty());
    let counts = state
        .store
        .checklist_counts(
            write_key,
            ChecklistQuery {
                checklist: checklist.clone(),
                steps: steps.clone(),
                from: from.clone(),
                to: to.clone(),
            },
        )
        .await?;
    let mut report = report(&steps, &counts);
    if let Value::Object(map) = &mut report {
        map.insert("checklist".into(), checklist.into());
        map.insert("from".into(), from.into());
        map.insert("to".into(), to.into());
    }
    Ok(Json(report))
}

/// The step ids of the checklist, in the config's order, when the config defines it
/// (`checklists.<id>` is an object). A step without a string `id`, or repeating an earlier
/// one, is skipped: it cannot be a stage of its own.
fn configured_steps(config: &Value, checklist: &str) -> Option<Vec<String>> {
    let entry = config.get("checklists")?.get(checklist)?.as_object()?;
    let mut ids: Vec<String> = Vec::new();
    for step in entry
        .get("steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(id) = step.get("id").and_then(Value::as_str) {
            if !ids.iter().any(|s| s == id) {
                ids.push(id.to_owned());
            }
        }
    }
    Some(ids)
}

/// The report's stages and totals, from the config's steps and the counts.
fn report(steps: &[String], counts: &ChecklistCounts) -> Value {
    let mut stages = vec![json!({"stage": "eligible", "visitors": counts.eligible})];
    let mut previous = counts.eligible;
    let mut stage = |mut entry: Map<String, Value>, visitors: u64, median: Option<Option<f64>>| {
        entry.insert("visitors".into(), visitors.into());
        entry.insert("conversion".into(), conversion(visitors, previous).into());
        if let Some(median) = median {
            entry.insert("medianMsFromShown".into(), median.into());
        }
        stages.push(Value::Object(entry));
        previous = visitors;
    };
    stage(named("shown"), counts.shown, None);
    for step in steps {
        let reached = counts.steps.get(step).copied().unwrap_or_default();
        let mut entry = named("step");
        entry.insert("step".into(), step.as_str().into());
        stage(entry, reached.visitors, Some(reached.median_ms));
    }
    let Reached {
        visitors,
        median_ms,
    } = counts.completed;
    stage(named("completed"), visitors, Some(median_ms));
    json!({
        "stages": stages,
        "dismissed": counts.dismissed,
        "unknownSteps": counts.unknown_steps,
    })
}

fn named(stage: &str) -> Map<String, Value> {
    let mut entry = Map::new();
    entry.insert("stage".into(), stage.into());
    entry
}

/// A stage's visitors over the previous stage's; `None` when the previous has none. Not
/// capped at 1: steps done out of order can pass their predecessor.
fn conversion(visitors: u64, previous: u64) -> Option<f64> {
    (previous > 0).then(|| visitors as f64 / previous as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_checklist_is_defined_when_its_entry_is_an_object() {
        let config = json!({"checklists": {
            "setup": {"steps": [{"id": "b"}, {"id": "a"}, {"title": "no id"}, {"id": 3},
                {"id": "b"}, "c"]},
            "bare": {},
            "broken": [],
            "null": null,
        }});
        assert_eq!(configured_steps(&config, "setup"), Some(steps(&["b", "a"])));
        assert_eq!(configured_steps(&config, "bare"), Some(vec![]));
        assert_eq!(configured_steps(&config, "broken"), None);
        assert_eq!(configured_steps(&config, "null"), None);
        assert_eq!(configured_steps(&config, "other"), None);
        assert_eq!(configured_steps(&json!({"checklists": []}), "0"), None);
        assert_eq!(configured_steps(&Value::Null, "setup"), None);
    }

    #[test]
    fn conversion_is_the_plain_ratio_even_above_one() {
        assert_eq!(conversion(3, 4), Some(0.75));
        assert_eq!(conversion(5, 4), Some(1.25));
        assert_eq!(conversion(0, 4), Some(0.0));
        assert_eq!(conversion(0, 0), None);
        assert_eq!(conversion(2, 0), None);
    }

    #[test]
    fn stages_follow_the_config_order_with_missing_steps_at_zero() {
        let mut counts = ChecklistCounts {
            eligible: 4,
            shown: 2,
            completed: Reached {
                visitors: 1,
                median_ms: Some(9000.0),
            },
            dismissed: 1,
            unknown_steps: 2,
            ..ChecklistCounts::default()
        };
        counts.steps.insert(
            "b".into(),
            Reached {
                visitors: 3,
                median_ms: Some(1500.0),
            },
        );
        let r = report(&steps(&["a", "b"]), &counts);
        assert_eq!(
            r,
            json!({
                "stages": [
                    {"stage": "eligible", "visitors": 4},
                    {"stage": "shown", "visitors": 2, "conversion": 0.5},
                    {"stage": "step", "step": "a", "visitors": 0, "conversion": 0.0,
                     "medianMsFromShown": null},
                    {"stage": "step", "step": "b", "visitors": 3, "conversion": null,
                     "medianMsFromShown": 1500.0},
                    {"stage": "completed", "visitors": 1, "conversion": 1.0 / 3.0,
                     "medianMsFromShown": 9000.0},
                ],
                "dismissed": 1,
                "unknownSteps": 2,
            })
        );
    }

    #[test]
    fn an_empty_funnel_has_no_conversions() {
        let r = report(&[], &ChecklistCounts::default());
        assert_eq!(
            r["stages"],
            json!([
                {"stage": "eligible", "visitors": 0},
                {"stage": "shown", "visitors": 0, "conversion": null},
                {"stage": "completed", "visitors": 0, "conversion": null,
                 "medianMsFromShown": null},
            ])
        );
    }
}
