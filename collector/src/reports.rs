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
//! [`crate::store`]; [`site`] reads goals and names from the config; this module picks
//! controls and does the statistics in [`crate::stats`].
//!
//! `GET /api/reports/nps`, the NPS survey report, is in [`nps`]; `GET
//! /api/reports/checklists`, the onboarding checklist funnel, in [`checklists`].

use std::cmp::Reverse;
use std::collections::BTreeSet;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use engagekit::config::Config;
use engagekit::regex::RegressEngine;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::api::site_for;
use crate::app::AppState;
use crate::error::ApiError;
use crate::stats::two_proportion_p;
use crate::store::{ExposureQuery, Exposures, VariantCount};

mod checklists;
mod nps;
mod site;

pub use checklists::checklists;
pub use nps::nps;

use site::{Defined, Goals};

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
