//! `GET /api/reports/content` and `GET /api/reports/experiments`: for each slot (or
//! experiment) and variant, how many visitors saw it, how many of them then reached the
//! goal event, and whether the difference from the control is more than chance.
//!
//! Only the slots and experiments the site's config defines are listed, each with the
//! variants its config can show; exposure events naming anything else (a typo, an old
//! slot, or names invented by whoever holds the public writeKey) are summed into one
//! `unknown` entry, so they can neither pose as results nor grow the report.
//!
//! The goal names come from the site's config on every request, so a product team that
//! adds or changes a goal sees the report follow at once, over all stored events: goals
//! are read at report time, never baked in at ingest. The counting is SQL in
//! [`crate::store`]; this module picks goals and controls and does the statistics in
//! [`crate::stats`].

use std::cmp::Reverse;
use std::collections::BTreeSet;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use engagekit::config::Config;
use engagekit::content::Content;
use engagekit::regex::RegressEngine;

use crate::api::site_for;
use crate::app::AppState;
use crate::error::ApiError;
use crate::stats::two_proportion_p;
use crate::store::{ExposureQuery, Exposures, VariantCount};

/// The variant treated as the control when present: what a slot shows without a rule.
const DEFAULT_VARIANT: &str = "default";
const SIGNIFICANCE: f64 = 0.05;

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub async fn content(
    State(state): State<AppState>,
    query: Result<Query<ReportQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let kind = Kind {
        event: "Content Viewed",
        key_path: "$.properties.slot",
        variant_path: "$.properties.variant",
        order_path: None,
        key_name: "slot",
        list_name: "slots",
        goals: |g| &g.by_slot,
        defined: |d| &d.slots,
    };
    exposure_report(&state, query, &headers, kind).await
}

pub async fn experiments(
    State(state): State<AppState>,
    query: Result<Query<ReportQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let kind = Kind {
        event: "Experiment Viewed",
        key_path: "$.properties.experiment_id",
        variant_path: "$.properties.variation_id",
        order_path: Some("$.properties.variation_index"),
        key_name: "experiment",
        list_name: "experiments",
        goals: |g| &g.by_experiment,
        defined: |d| &d.experiments,
    };
    exposure_report(&state, query, &headers, kind).await
}

/// What distinguishes the two reports: which exposure event, where its key and variant are,
/// and which goals apply.
struct Kind {
    event: &'static str,
    key_path: &'static str,
    variant_path: &'static str,
    order_path: Option<&'static str>,
    key_name: &'static str,
    list_name: &'static str,
    goals: fn(&Goals) -> &Map<String, Value>,
    defined: fn(&Defined) -> &BTreeSet<(String, String)>,
}

/// Exposures and conversions per key and variant, for either report.
async fn exposure_report(
    state: &AppState,
    query: Result<Query<ReportQuery>, QueryRejection>,
    headers: &HeaderMap,
    kind: Kind,
) -> Result<Json<Value>, ApiError> {
    let Request {
        write_key,
        from,
        to,
        goals,
        defined,
    } = prepare(state, query, headers)?;
    let by_key = (kind.goals)(&goals);
    let Exposures { rows, unknown } = state
        .store
        .exposure_counts(
            write_key,
            ExposureQuery {
                event: kind.event,
                key_path: kind.key_path,
                variant_path: kind.variant_path,
                order_path: kind.order_path,
                goals: by_key.clone(),
                default_goal: goals.default.clone(),
                from,
                to,
                defined: (kind.defined)(&defined).iter().cloned().collect(),
            },
        )
        .await?;
    let rows = report(&rows, kind.key_name, |key| goals.for_key(by_key, key));
    Ok(Json(json!({
        kind.list_name: rows,
        "unknown": {"events": unknown.events, "names": unknown.names},
    })))
}

/// What both reports start from: the site's writeKey and config, and the time range.
struct Request {
    write_key: String,
    from: Option<String>,
    to: Option<String>,
    goals: Goals,
    defined: Defined,
}

fn prepare(
    state: &AppState,
    query: Result<Query<ReportQuery>, QueryRejection>,
    headers: &HeaderMap,
) -> Result<Request, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(format!("query: {}", e.body_text())))?;
    let (write_key, site) = site_for(state, q.write_key.as_deref(), headers)?;
    // The config was valid JSON when loaded, so this cannot fail in practice; if it did,
    // an empty config simply means "no goals".
    let config = serde_json::from_slice(&site.json).unwrap_or(Value::Null);
    // The browser module's own reader, so the report knows exactly the names it can send.
    let content = serde_json::from_slice::<engagekit::json::Value>(&site.json)
        .map(|v| Config::from_value(&v, &RegressEngine::default()).0.content)
        .unwrap_or_default();
    Ok(Request {
        write_key,
        from: q.from,
        to: q.to,
        goals: Goals::of(&config),
        defined: Defined::of(&content),
    })
}

/// The `(name, variant)` pairs the config defines, as `Content Viewed` and `Experiment
/// Viewed` report them: per slot, `default` and every variant a rule, the experiment or
/// the slot's own `variants` can show; per experiment, its variations. The module sends no
/// other name, so anything else did not come from it.
#[derive(Debug, Default)]
struct Defined {
    slots: BTreeSet<(String, String)>,
    experiments: BTreeSet<(String, String)>,
}

impl Defined {
    fn of(content: &Content) -> Self {
        let mut defined = Defined::default();
        for slot in &content.slots {
            let variations = slot.experiment.iter().flat_map(|e| &e.variations);
            let shown = [DEFAULT_VARIANT]
                .into_iter()
                .chain(slot.rules.iter().map(|r| r.variant.as_str()))
                .chain(variations.map(String::as_str))
                .chain(slot.variants.iter().map(|(name, _)| name.as_str()));
            for variant in shown {
                defined
                    .slots
                    .insert((slot.name.clone(), variant.to_owned()));
            }
            if let Some(e) = &slot.experiment {
                for variation in &e.variations {
                    defined
                        .experiments
                        .insert((e.key.clone(), variation.clone()));
                }
            }
        }
        defined
    }
}

/// The goal events a site's config names: `content.goal` for everything, overridden per
/// slot by `content.slots.<slot>.goal`; an experiment takes the goal of the slot whose
/// `experiment.key` names it. Anything that is not a non-empty string is ignored, as the
/// browser module would reject it anyway.
#[derive(Debug, Default)]
struct Goals {
    default: Option<String>,
    by_slot: Map<String, Value>,
    by_experiment: Map<String, Value>,
}

impl Goals {
    fn of(config: &Value) -> Self {
        let content = &config["content"];
        let default = goal_of(content);
        let mut goals = Goals {
            default: default.clone(),
            ..Goals::default()
        };
        let Some(slots) = content["slots"].as_object() else {
            return goals;
        };
        for (name, slot) in slots {
            let goal = goal_of(slot).or_else(|| default.clone());
            let Some(goal) = goal else { continue };
            goals.by_slot.insert(name.clone(), goal.clone().into());
            if let Some(experiment) = slot["experiment"]["key"].as_str() {
                goals
                    .by_experiment
                    .entry(experiment.to_owned())
                    .or_insert_with(|| goal.into());
            }
        }
        goals
    }

    fn for_key(&self, map: &Map<String, Value>, key: &str) -> Option<String> {
        map.get(key)
            .and_then(Value::as_str)
            .map(String::from)
            .or_else(|| self.default.clone())
    }
}

fn goal_of(v: &Value) -> Option<String> {
    v["goal"]
        .as_str()
        .filter(|g| !g.is_empty())
        .map(String::from)
}

/// Groups the rows by key (already sorted by key, then variant) into report entries.
fn report(
    counts: &[VariantCount],
    key_name: &str,
    goal_for: impl Fn(&str) -> Option<String>,
) -> Vec<Value> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < counts.len() {
        let key = &counts[start].key;
        let end = counts[start..]
            .iter()
            .position(|c| &c.key != key)
            .map_or(counts.len(), |n| start + n);
        let goal = goal_for(key);
        let mut entry = Map::new();
        entry.insert(key_name.into(), key.as_str().into());
        entry.insert("goal".into(), goal.clone().into());
        entry.extend(variants(&counts[start..end], goal.is_some()));
        out.push(Value::Object(entry));
        start = end;
    }
    out
}

/// The control: `default` if any visitor saw it; else the variant reported with order 0
/// (an experiment's first variation); else the one most visitors saw, ties broken by name
/// so the report is stable.
fn control_index(rows: &[VariantCount]) -> Option<usize> {
    rows.iter()
        .position(|r| r.variant == DEFAULT_VARIANT)
        .or_else(|| rows.iter().position(|r| r.order == Some(0)))
        .or_else(|| {
            rows.iter()
                .enumerate()
                .max_by_key(|(_, r)| (r.exposures, Reverse(&r.variant)))
                .map(|(i, _)| i)
        })
}

/// `control` and `variants` for one key: the control first, then the rest by name.
fn variants(rows: &[VariantCount], has_goal: bool) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(ci) = control_index(rows) else {
        return out;
    };
    let control = &rows[ci];
    let rate = |r: &VariantCount| {
        (has_goal && r.exposures > 0).then(|| r.conversions as f64 / r.exposures as f64)
    };
    let control_rate = rate(control);
    let row = |r: &VariantCount, is_control: bool| {
        let own_rate = rate(r);
        let (uplift, p) = if is_control || !has_goal {
            (None, None)
        } else {
            // (rate − control) / control, written as a ratio of integer products so that
            // e.g. 15/30 against 6/30 gives exactly 1.5, not 1.4999999999999998.
            let uplift = (control_rate.is_some_and(|c| c > 0.0) && r.exposures > 0).then(|| {
                (r.conversions as f64 * control.exposures as f64)
                    / (control.conversions as f64 * r.exposures as f64)
                    - 1.0
            });
            let p = two_proportion_p(
                (control.conversions, control.exposures),
                (r.conversions, r.exposures),
            );
            (uplift, p)
        };
        json!({
            "variant": r.variant,
            "exposures": r.exposures,
            "conversions": has_goal.then_some(r.conversions),
            "rate": own_rate,
            "uplift": uplift,
            "pValue": p,
            "significant": p.map(|p| p < SIGNIFICANCE),
        })
    };
    let mut list = vec![row(control, true)];
    list.extend(
        rows.iter()
            .enumerate()
            .filter(|(i, _)| *i != ci)
            .map(|(_, r)| row(r, false)),
    );
    out.insert("control".into(), control.variant.as_str().into());
    out.insert("variants".into(), Value::Array(list));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(variant: &str, exposures: u64, conversions: u64) -> VariantCount {
        VariantCount {
            key: "hero".into(),
            variant: variant.into(),
            exposures,
            conversions,
            order: None,
        }
    }

    #[test]
    fn slot_goal_overrides_the_content_goal_and_experiments_follow_their_slot() {
        let config = json!({"content": {"goal": "Signed Up", "slots": {
            "hero": {"goal": "Trial Started", "experiment": {"key": "hero-cta"}},
            "footer": {"rules": []},
            "side": {"goal": 3},
        }}});
        let g = Goals::of(&config);
        assert_eq!(
            g.for_key(&g.by_slot, "hero").as_deref(),
            Some("Trial Started")
        );
        assert_eq!(
            g.for_key(&g.by_slot, "footer").as_deref(),
            Some("Signed Up")
        );
        assert_eq!(g.for_key(&g.by_slot, "side").as_deref(), Some("Signed Up"));
        assert_eq!(
            g.for_key(&g.by_slot, "unknown").as_deref(),
            Some("Signed Up")
        );
        assert_eq!(
            g.for_key(&g.by_experiment, "hero-cta").as_deref(),
            Some("Trial Started")
        );
        assert_eq!(
            g.for_key(&g.by_experiment, "other").as_deref(),
            Some("Signed Up")
        );
    }

    #[test]
    fn defined_names_are_the_ones_the_module_can_report() {
        let config: engagekit::json::Value = serde_json::from_str(
            r#"{"content": {"slots": {
                "hero": {"rules": [{"variant": "promo"}],
                         "experiment": {"key": "hero-cta", "variations": ["default", "bold"]},
                         "variants": {"plain": {"title": "Hi"}}},
                "footer": {}
            }}}"#,
        )
        .unwrap();
        let content = Config::from_value(&config, &RegressEngine::default())
            .0
            .content;
        let d = Defined::of(&content);
        let pairs = |set: &BTreeSet<(String, String)>| {
            set.iter()
                .map(|(k, v)| format!("{k}/{v}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            pairs(&d.slots),
            [
                "footer/default",
                "hero/bold",
                "hero/default",
                "hero/plain",
                "hero/promo"
            ]
        );
        assert_eq!(pairs(&d.experiments), ["hero-cta/bold", "hero-cta/default"]);
    }

    #[test]
    fn no_goal_anywhere_means_no_goal() {
        let g = Goals::of(&json!({"content": {"slots": {"hero": {}}}}));
        assert_eq!(g.for_key(&g.by_slot, "hero"), None);
        let g = Goals::of(&json!({"tracking": {}}));
        assert_eq!(g.for_key(&g.by_experiment, "x"), None);
    }

    #[test]
    fn control_is_default_then_order_zero_then_most_exposed() {
        let rows = [count("bold", 9, 0), count("default", 2, 0)];
        assert_eq!(control_index(&rows), Some(1));
        let mut rows = [count("a", 9, 0), count("b", 2, 0)];
        rows[1].order = Some(0);
        assert_eq!(control_index(&rows), Some(1));
        let rows = [count("a", 2, 0), count("b", 9, 0), count("c", 9, 0)];
        assert_eq!(control_index(&rows), Some(1));
        assert_eq!(control_index(&[]), None);
    }

    #[test]
    fn zero_control_rate_has_no_uplift_but_still_a_test() {
        let rows = [count("default", 10, 0), count("bold", 10, 5)];
        let v = variants(&rows, true);
        let bold = &v["variants"][1];
        assert_eq!(bold["uplift"], Value::Null);
        assert_eq!(bold["rate"], 0.5);
        assert!(bold["pValue"].as_f64().is_some());
    }
}
