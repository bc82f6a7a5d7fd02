//! The counts behind the onboarding checklist funnel ([`Store::checklist_counts`]): per
//! visitor of one checklist, SQLite finds the first `Checklist Shown` (and whether any of
//! them opened the list), the first completion of each step the config defines and the
//! first `Checklist Completed`, and returns one row per stage with its visitors and the
//! median time from first shown. It builds no report; [`crate::reports`] does.

use std::collections::HashMap;

use rusqlite::params;

use super::{time_range, Store};
use crate::error::ApiError;

/// One checklist's events to count.
#[derive(Debug, Clone)]
pub struct ChecklistQuery {
    pub checklist: String,
    /// The step ids the config defines; `Checklist Step Completed` events naming any other
    /// step are only counted, as unknown.
    pub steps: Vec<String>,
    /// ISO 8601 bounds on the event timestamp: `from` inclusive, `to` exclusive.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The visitors who reached a step (or completed the checklist), and the median over
/// them of the milliseconds from their first `Checklist Shown` to reaching it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reached {
    pub visitors: u64,
    /// `None` when no visitor who reached it has a `Checklist Shown` at or before.
    pub median_ms: Option<f64>,
}

/// Everything the funnel counts, in its time range. Visitors are distinct: the event's
/// `user_id` when it has one, else the `user_id` its `anonymous_id` was later identified
/// with (any event of that anonymous id carrying one: the first), else the `anonymous_id`;
/// so what a visitor did before signing in and after counts as one visitor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChecklistCounts {
    /// Visitors with any `Checklist Shown`.
    pub eligible: u64,
    /// Visitors with a `Checklist Shown` whose `open` is `true`.
    pub shown: u64,
    /// By step id, the configured steps some visitor completed (absent: nobody did).
    pub steps: HashMap<String, Reached>,
    pub completed: Reached,
    /// Visitors with a `Checklist Dismissed`.
    pub dismissed: u64,
    /// `Checklist Step Completed` events whose `step_id` is not a step of the config (or is
    /// missing, or not a string).
    pub unknown_steps: u64,
}

/// The checklist's events in the range, and per visitor their first shown and the first
/// time they reached each stage. Parameters: `?1` writeKey, `?2` checklist id, `?3`/`?4`
/// from and to (seconds), `?5` the configured step ids as a JSON array.
///
/// Times are the event's own `timestamp`, normalised by SQLite, else the time it was
/// received, as in the other reports, and are rounded to whole milliseconds so that a
/// difference is exact. Only events inside the range count, every stage alike: a visitor
/// first shown before `from` who completes a step inside it counts at the step, not as
/// shown. A time from shown is only taken when it is not negative (a clock that went back,
/// or a shown outside the range); the visitor still counts at the stage.
const SQL: &str = "
WITH
ranged AS (
  SELECT id, event, json, visitor, CAST(round(t * 1000) AS INTEGER) AS ms
  FROM (
    SELECT id, event, json,
      COALESCE(unixepoch(timestamp, 'subsec'), received_at / 1000.0) AS t,
      COALESCE(NULLIF(user_id, ''),
        (SELECT u.user_id FROM events u
          WHERE u.write_key = e.write_key AND u.anonymous_id = e.anonymous_id
            AND u.user_id IS NOT NULL AND u.user_id != ''
          ORDER BY u.id LIMIT 1),
        NULLIF(anonymous_id, '')) AS visitor
    FROM events e
    WHERE write_key = ?1 AND type = 'track'
      AND event IN ('Checklist Shown', 'Checklist Step Completed', 'Checklist Completed',
        'Checklist Dismissed')
      AND json_type(json, '$.properties.checklist_id') = 'text'
      AND json_extract(json, '$.properties.checklist_id') = ?2
  )
  WHERE visitor IS NOT NULL AND (?3 IS NULL OR t >= ?3) AND (?4 IS NULL OR t < ?4)
),
configured(step) AS (SELECT value FROM json_each(?5)),
shown AS (
  SELECT visitor, MIN(ms) AS ms,
    MAX(json_type(json, '$.properties.open') = 'true') AS opened
  FROM ranged WHERE event = 'Checklist Shown' GROUP BY visitor
),
steps AS (
  SELECT id, visitor, ms, json_extract(json, '$.properties.step_id') AS step
  FROM ranged
  WHERE event = 'Checklist Step Completed'
    AND json_type(json, '$.properties.step_id') = 'text'
    AND json_extract(json, '$.properties.step_id') IN (SELECT step FROM configured)
),
reached AS (
  SELECT 'step' AS kind, step, visitor, MIN(ms) AS ms FROM steps GROUP BY step, visitor
  UNION ALL
  SELECT 'completed', NULL, visitor, MIN(ms) FROM ranged
  WHERE event = 'Checklist Completed' GROUP BY visitor
),
timed AS (
  SELECT r.kind, r.step, r.ms - s.ms AS ms FROM reached r JOIN shown s USING (visitor)
  WHERE r.ms >= s.ms
),
ordered AS (
  SELECT kind, step, ms,
    ROW_NUMBER() OVER (PARTITION BY kind, step ORDER BY ms) AS rn,
    COUNT(*) OVER (PARTITION BY kind, step) AS n
  FROM timed
),
medians AS (
  SELECT kind, step, AVG(ms) AS ms FROM ordered
  WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY kind, step
),
counted AS (
  SELECT kind, step, COUNT(*) AS visitors FROM reached GROUP BY kind, step
)
SELECT 'eligible', NULL, COUNT(*), NULL FROM shown
UNION ALL
SELECT 'shown', NULL, COUNT(*), NULL FROM shown WHERE opened
UNION ALL
SELECT c.kind, c.step, c.visitors, m.ms
FROM counted c LEFT JOIN medians m ON m.kind = c.kind AND m.step IS c.step
UNION ALL
SELECT 'dismissed', NULL, COUNT(DISTINCT visitor), NULL FROM ranged
WHERE event = 'Checklist Dismissed'
UNION ALL
SELECT 'unknown', NULL, COUNT(*), NULL FROM ranged
WHERE event = 'Checklist Step Completed' AND id NOT IN (SELECT id FROM steps)
";

impl Store {
    /// The counts behind the checklist funnel; see [`SQL`]. A `from`/`to` SQLite cannot
    /// read as a date-time is a 400 naming the parameter.
    pub async fn checklist_counts(
        &self,
        write_key: String,
        query: ChecklistQuery,
    ) -> Result<ChecklistCounts, ApiError> {
        let steps = serde_json::Value::from(query.steps).to_string();
        let result = self
            .with_conn(move |conn| {
                let (from, to) = match time_range(conn, query.from.as_deref(), query.to.as_deref())?
                {
                    Ok(range) => range,
                    Err(bound) => return Ok(Err(bound)),
                };
                let mut counts = ChecklistCounts::default();
                let mut stmt = conn.prepare_cached(SQL)?;
                let mut rows = stmt.query(params![write_key, query.checklist, from, to, steps])?;
                while let Some(r) = rows.next()? {
                    let kind: String = r.get(0)?;
                    let step: Option<String> = r.get(1)?;
                    let n = u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0);
                    let reached = Reached {
                        visitors: n,
                        median_ms: r.get(3)?,
                    };
                    match (kind.as_str(), step) {
                        ("eligible", _) => counts.eligible = n,
                        ("shown", _) => counts.shown = n,
                        ("step", Some(step)) => {
                            counts.steps.insert(step, reached);
                        }
                        ("completed", _) => counts.completed = reached,
                        ("dismissed", _) => counts.dismissed = n,
                        ("unknown", _) => counts.unknown_steps = n,
                        _ => {}
                    }
                }
                Ok(Ok(counts))
            })
            .await?;
        result.map_err(super::bad_time)
    }
}
