//! `GET /api/reports/nps?writeKey=K&survey=ID[&from=ISO&to=ISO][&interval=week|month]`:
//! one NPS survey's submissions shown and answered, the score distribution, the Net
//! Promoter Score with its 95% interval, its trend per week or month, and the latest
//! comments.
//!
//! Only a survey the site's config defines can be reported (read with the browser module's
//! own config reader), so ids invented by whoever holds the public writeKey never become a
//! report. What the page sends is not trusted: a submission counts once, with its last
//! valid score; a category is always recomputed from that score; answers without a usable
//! score are only counted, as `invalid`. The counting is SQL in [`crate::store`]; this
//! module reads the request, and does the categories and statistics (in [`crate::stats`]).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use engagekit::config::Config;
use engagekit::regex::RegressEngine;
use engagekit::survey::{Category, MAX_COMMENT_CHARS};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::site_for;
use crate::app::AppState;
use crate::error::ApiError;
use crate::stats::{nps as net_score, nps_ci95};
use crate::store::{Interval, NpsBucket, NpsCounts, NpsQuery};

/// The most comments a report lists, newest first.
const MAX_COMMENTS: u32 = 50;

#[derive(Debug, Deserialize)]
pub struct NpsParams {
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
    survey: Option<String>,
    from: Option<String>,
    to: Option<String>,
    interval: Option<String>,
}

/// The NPS report of one survey (see the module documentation).
pub async fn nps(
    State(state): State<AppState>,
    query: Result<Query<NpsParams>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(format!("query: {}", e.body_text())))?;
    let (write_key, site) = site_for(&state, q.write_key.as_deref(), &headers)?;
    let survey = q.survey.filter(|s| !s.is_empty()).ok_or_else(|| {
        ApiError::BadRequest("survey: required, the id of a survey in the site's config".into())
    })?;
    if !is_defined(&site.json, &survey) {
        return Err(ApiError::NotFound(format!(
            "survey {survey:?} is not in the site's config"
        )));
    }
    let interval = match q.interval.as_deref().filter(|i| !i.is_empty()) {
        None => Interval::Week,
        Some(text) => Interval::parse(text)
            .ok_or_else(|| ApiError::BadRequest("interval: expected week or month".into()))?,
    };
    let from = q.from.filter(|t| !t.is_empty());
    let to = q.to.filter(|t| !t.is_empty());
    let counts = state
        .store
        .nps_counts(
            write_key,
            NpsQuery {
                survey: survey.clone(),
                from: from.clone(),
                to: to.clone(),
                interval,
                comments: MAX_COMMENTS,
            },
        )
        .await?;
    let mut report = report(&counts);
    if let Value::Object(map) = &mut report {
        map.insert("survey".into(), survey.into());
        map.insert("from".into(), from.into());
        map.insert("to".into(), to.into());
        map.insert("interval".into(), interval.as_str().into());
    }
    Ok(Json(report))
}

/// Whether the site's config defines the survey, as the browser module reads it (a survey
/// whose config is broken is still defined: it may have run before it broke).
fn is_defined(config: &[u8], survey: &str) -> bool {
    serde_json::from_slice::<engagekit::json::Value>(config)
        .map(|v| Config::from_value(&v, &RegressEngine::default()).0.surveys)
        .is_ok_and(|s| s.list.iter().any(|s| s.id == survey))
}

/// The report's numbers, from the counts.
fn report(counts: &NpsCounts) -> Value {
    let mut total = Tally::default();
    for bucket in &counts.buckets {
        total.add(bucket);
    }
    let [detractor, passive, promoter] = total.categories();
    let answered = total.answered();
    let trend: Vec<Value> = counts
        .buckets
        .iter()
        .map(|b| {
            let mut t = Tally::default();
            t.add(b);
            json!({
                "start": b.start,
                "shown": t.shown,
                "answered": t.answered(),
                "nps": t.nps(),
                "ci95": t.ci95(),
            })
        })
        .collect();
    let comments: Vec<Value> = counts
        .comments
        .iter()
        .map(|c| {
            json!({
                "at": c.at,
                "category": Category::of(c.score).as_str(),
                "score": c.score,
                // Ingest bounds an event, not a comment; the module never sends longer.
                "comment": c.comment.chars().take(MAX_COMMENT_CHARS).collect::<String>(),
            })
        })
        .collect();
    json!({
        "shown": total.shown,
        "answered": answered,
        "responseRate": (total.shown > 0).then(|| answered as f64 / total.shown as f64),
        "dismissed": counts.dismissed,
        "categories": {"detractor": detractor, "passive": passive, "promoter": promoter},
        "distribution": total.scores,
        "nps": total.nps(),
        "ci95": total.ci95(),
        "trend": trend,
        "comments": comments,
        "invalid": counts.invalid,
    })
}

/// Submissions shown, and final scores counted per score 0-10, over one interval or all.
#[derive(Debug, Default)]
struct Tally {
    shown: u64,
    scores: [u64; 11],
}

impl Tally {
    fn add(&mut self, bucket: &NpsBucket) {
        self.shown += bucket.shown;
        for (sum, n) in self.scores.iter_mut().zip(bucket.scores) {
            *sum += n;
        }
    }

    fn answered(&self) -> u64 {
        self.scores.iter().sum()
    }

    /// Detractors, passives and promoters, by the core's own reading of a score.
    fn categories(&self) -> [u64; 3] {
        let mut out = [0; 3];
        for (score, n) in (0u8..).zip(self.scores) {
            let i = match Category::of(score) {
                Category::Detractor => 0,
                Category::Passive => 1,
                Category::Promoter => 2,
            };
            out[i] += n;
        }
        out
    }

    fn nps(&self) -> Option<f64> {
        let [detractors, _, promoters] = self.categories();
        net_score(promoters, detractors, self.answered())
    }

    fn ci95(&self) -> Option<[f64; 2]> {
        let [detractors, _, promoters] = self.categories();
        nps_ci95(promoters, detractors, self.answered()).map(|(low, high)| [low, high])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(start: &str, shown: u64, scores: [u64; 11]) -> NpsBucket {
        NpsBucket {
            start: start.into(),
            shown,
            scores,
        }
    }

    #[test]
    fn categories_follow_the_score_not_anything_sent() {
        let mut t = Tally::default();
        t.add(&bucket("2025-03-03", 5, [1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]));
        assert_eq!(t.categories(), [2, 2, 2]);
        assert_eq!(t.answered(), 6);
        assert_eq!(t.nps(), Some(0.0));
    }

    #[test]
    fn an_empty_report_has_no_rate_score_or_interval() {
        let r = report(&NpsCounts::default());
        assert_eq!(r["shown"], 0);
        assert_eq!(r["responseRate"], Value::Null);
        assert_eq!(r["nps"], Value::Null);
        assert_eq!(r["ci95"], Value::Null);
        assert_eq!(r["distribution"], json!([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        assert_eq!(r["trend"], json!([]));
    }
}
