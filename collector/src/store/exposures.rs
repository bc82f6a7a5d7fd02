//! The counts behind the product-team reports ([`Store::exposure_counts`]): one SQL query
//! per report, so SQLite does the per-visitor work (first exposure, last goal event) next
//! to the data and only one row per defined variant comes back for the statistics in
//! Rust, plus one more that sums the exposures naming anything the config does not define.

use rusqlite::params;
use serde_json::{json, Map, Value};

use super::{time_range, Store};
use crate::error::ApiError;

/// What a report counts: which event exposes a visitor, where in its JSON the report's
/// key (slot, experiment) and variant are, and which event is each key's goal.
#[derive(Debug, Clone)]
pub struct ExposureQuery {
    /// The exposure event's name, e.g. `Content Viewed`.
    pub event: &'static str,
    /// JSON paths into the stored event, e.g. `$.properties.slot`.
    pub key_path: &'static str,
    pub variant_path: &'static str,
    /// A number that orders the variants (`variation_index`), when the event has one.
    pub order_path: Option<&'static str>,
    /// Goal event per key; keys not listed use `default_goal`.
    pub goals: Map<String, Value>,
    pub default_goal: Option<String>,
    /// ISO 8601 bounds on the event timestamp: `from` inclusive, `to` exclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The `(key, variant)` pairs the site's config defines. Only these are counted per
    /// variant; exposures naming anything else are only summed, in [`Unknown`].
    pub defined: Vec<(String, String)>,
}

/// Exposure events, in the report's time range, whose key or variant the config does not
/// define: how many, and how many distinct `(key, variant)` pairs they name. Two numbers
/// however many names are invented, so such events cannot grow a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unknown {
    pub events: u64,
    pub names: u64,
}

/// What a report counts: a row per defined key and variant, and the rest summed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposures {
    pub rows: Vec<VariantCount>,
    pub unknown: Unknown,
}

/// One report row: how many visitors were first exposed to `variant` of `key`, and how
/// many of them then sent the key's goal event.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantCount {
    pub key: String,
    pub variant: String,
    pub exposures: u64,
    pub conversions: u64,
    /// The smallest order number seen for the variant (see [`ExposureQuery::order_path`]).
    pub order: Option<i64>,
}

/// Per key and variant the config defines (`?10`, a JSON array of `[key, variant]`):
/// distinct visitors whose first such exposure for that key was to that variant, and those
/// of them whose last goal event is at or after that first exposure (which is the same as
/// having any goal event then or later).
///
/// A visitor is their userId when any of their events carries one, so a visitor who signs
/// in on a second device stays one visitor; otherwise their anonymousId. Times are the
/// event's own `timestamp`, normalised by SQLite so `…Z`, `…+02:00` and missing
/// milliseconds compare correctly; an event without a readable timestamp uses the time it
/// was received.
const EXPOSURE_SQL: &str = "
WITH
goals(key, goal) AS (SELECT key, value FROM json_each(?2) WHERE type = 'text'),
defined(key, variant) AS (
  SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?10)
),
wanted(event) AS (SELECT ?3 UNION SELECT goal FROM goals UNION SELECT ?4),
ids AS (
  SELECT anonymous_id, MIN(user_id) AS user_id FROM events
  WHERE write_key = ?1 AND user_id IS NOT NULL AND anonymous_id IS NOT NULL
  GROUP BY anonymous_id
),
timed AS (
  SELECT e.id, e.event, e.json,
    COALESCE('u:' || e.user_id, 'u:' || ids.user_id, 'a:' || e.anonymous_id) AS visitor,
    COALESCE(unixepoch(e.timestamp, 'subsec'), e.received_at / 1000.0) AS t
  FROM events e LEFT JOIN ids ON ids.anonymous_id = e.anonymous_id
  WHERE e.write_key = ?1 AND e.type = 'track' AND e.event IN (SELECT event FROM wanted)
),
ranged AS (
  SELECT * FROM timed WHERE (?5 IS NULL OR t >= ?5) AND (?6 IS NULL OR t < ?6)
),
exposed AS (
  SELECT id, visitor, t,
    CAST(json_extract(json, ?7) AS TEXT) AS key,
    CAST(json_extract(json, ?8) AS TEXT) AS variant,
    json_extract(json, ?9) AS ord
  FROM ranged WHERE event = ?3
    -- A default shown because the decision came too late or the config was broken is not
    -- an exposure engagekit chose; counting it would mix, e.g., slow visitors bucketed into
    -- another variation into the control.
    AND COALESCE(json_extract(json, '$.properties.reason'), '') NOT IN ('timeout', 'fallback')
),
firsts AS (
  SELECT key, variant, ord, visitor, t FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY key, visitor ORDER BY t, id) AS rn
    FROM exposed WHERE (key, variant) IN (SELECT key, variant FROM defined)
  ) WHERE rn = 1
),
last_goal AS (
  SELECT visitor, event, MAX(t) AS t FROM ranged
  WHERE event IN (SELECT goal FROM goals) OR event = ?4
  GROUP BY visitor, event
)
SELECT f.key, f.variant, COUNT(*), COALESCE(SUM(g.t >= f.t), 0), MIN(CAST(f.ord AS INTEGER))
FROM firsts f
LEFT JOIN last_goal g ON g.visitor = f.visitor
  AND g.event = COALESCE((SELECT goal FROM goals WHERE goals.key = f.key), ?4)
GROUP BY f.key, f.variant
ORDER BY f.key, f.variant
";

/// The exposure events [`EXPOSURE_SQL`] leaves out because the config does not define their
/// key and variant (a missing key or variant included), in the same time range: their
/// number and the number of distinct `[key, variant]` pairs. Parameters: `?1` writeKey,
/// `?2` defined pairs, `?3`/`?4` key and variant paths, `?5` exposure event, `?6`/`?7`
/// from and to.
const UNKNOWN_SQL: &str = "
WITH
defined(key, variant) AS (
  SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2)
),
exposed AS (
  SELECT CAST(json_extract(json, ?3) AS TEXT) AS key,
    CAST(json_extract(json, ?4) AS TEXT) AS variant,
    COALESCE(unixepoch(timestamp, 'subsec'), received_at / 1000.0) AS t
  FROM events WHERE write_key = ?1 AND type = 'track' AND event = ?5
)
SELECT COUNT(*), COUNT(DISTINCT json_array(key, variant)) FROM exposed e
WHERE (?6 IS NULL OR t >= ?6) AND (?7 IS NULL OR t < ?7)
  AND NOT EXISTS (SELECT 1 FROM defined d WHERE d.key = e.key AND d.variant = e.variant)
";

impl Store {
    /// The counts behind a report; see [`EXPOSURE_SQL`] and [`UNKNOWN_SQL`]. A `from`/`to`
    /// SQLite cannot read as a date-time is a 400 naming the parameter.
    pub async fn exposure_counts(
        &self,
        write_key: String,
        query: ExposureQuery,
    ) -> Result<Exposures, ApiError> {
        let goals = Value::Object(query.goals).to_string();
        let defined = json!(query.defined).to_string();
        let result = self
            .with_conn(move |conn| {
                let (from, to) = match time_range(conn, query.from.as_deref(), query.to.as_deref())?
                {
                    Ok(range) => range,
                    Err(bound) => return Ok(Err(bound)),
                };
                let mut stmt = conn.prepare_cached(EXPOSURE_SQL)?;
                let rows = stmt.query_map(
                    params![
                        write_key,
                        goals,
                        query.event,
                        query.default_goal,
                        from,
                        to,
                        query.key_path,
                        query.variant_path,
                        query.order_path,
                        defined,
                    ],
                    |r| {
                        Ok(VariantCount {
                            key: r.get(0)?,
                            variant: r.get(1)?,
                            exposures: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                            conversions: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                            order: r.get(4)?,
                        })
                    },
                )?;
                let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
                let unknown = conn.prepare_cached(UNKNOWN_SQL)?.query_row(
                    params![
                        write_key,
                        defined,
                        query.key_path,
                        query.variant_path,
                        query.event,
                        from,
                        to,
                    ],
                    |r| {
                        Ok(Unknown {
                            events: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                            names: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                        })
                    },
                )?;
                Ok(Ok(Exposures { rows, unknown }))
            })
            .await?;
        result.map_err(super::bad_time)
    }
}
