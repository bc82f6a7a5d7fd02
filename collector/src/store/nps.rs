//! The counts behind the NPS report ([`Store::nps_counts`]): per submission of one survey,
//! SQLite picks the first `Survey Shown` and the last valid `Survey Answered`, and returns
//! one row per interval and score, the dismissals, the invalid answers and the latest
//! comments. It never trusts a category the page sent and computes no statistics; the
//! report does, in Rust.

use std::collections::BTreeMap;

use rusqlite::params;

use super::{time_range, Store};
use crate::error::ApiError;

/// How the trend is bucketed, by the event's UTC timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// Weeks starting on Monday.
    Week,
    /// Calendar months.
    Month,
}

impl Interval {
    /// `week` or `month`, as the query string and the report name it.
    pub fn parse(text: &str) -> Option<Interval> {
        match text {
            "week" => Some(Interval::Week),
            "month" => Some(Interval::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }
}

/// One survey's events to count.
#[derive(Debug, Clone)]
pub struct NpsQuery {
    pub survey: String,
    /// ISO 8601 bounds on the event timestamp: `from` inclusive, `to` exclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub interval: Interval,
    /// The most comments returned, newest first.
    pub comments: u32,
}

/// One interval of the trend: submissions first shown in it, and the final scores of the
/// submissions whose last valid answer falls in it, counted per score 0-10.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpsBucket {
    /// The interval's first day, `YYYY-MM-DD`.
    pub start: String,
    pub shown: u64,
    pub scores: [u64; 11],
}

/// A comment, with its submission's final score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpsComment {
    /// When it was sent, normalised to `YYYY-MM-DDTHH:MM:SS.SSSZ`.
    pub at: String,
    pub score: u8,
    pub comment: String,
}

/// Everything the NPS report counts, in its time range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NpsCounts {
    /// Intervals with at least one submission shown or answered, oldest first.
    pub buckets: Vec<NpsBucket>,
    /// Submissions dismissed at the score step that have no valid answer.
    pub dismissed: u64,
    /// `Survey Answered` events that cannot count: no submission id, or a score that is
    /// not an integer from 0 to 10.
    pub invalid: u64,
    pub comments: Vec<NpsComment>,
}

/// The survey's events in the range, and each submission's last valid answer. Parameters:
/// `?1` writeKey, `?2` survey id, `?3`/`?4` from and to (seconds), `?5` `week` or `month`.
///
/// A submission is its `submission_id` (a non-empty string) within the survey. A score is
/// valid when it is a JSON number with an integer value from 0 to 10: `7.0` counts (a
/// Segment library in another language may write it), `"7"`, `true` and `6.5` do not.
/// Times are the event's own `timestamp`, normalised by SQLite, else the time it was
/// received, as in the other reports; weeks start on Monday, UTC.
const BASE_SQL: &str = "
WITH
ranged AS (
  SELECT id, event, json, t,
    CASE ?5 WHEN 'month' THEN date(t, 'unixepoch', 'start of month')
      ELSE date(t, 'unixepoch', '-6 days', 'weekday 1') END AS bucket,
    CASE WHEN json_type(json, '$.properties.submission_id') = 'text'
      THEN NULLIF(json_extract(json, '$.properties.submission_id'), '') END AS sub
  FROM (
    SELECT id, event, json, COALESCE(unixepoch(timestamp, 'subsec'), received_at / 1000.0) AS t
    FROM events
    WHERE write_key = ?1 AND type = 'track'
      AND event IN ('Survey Shown', 'Survey Answered', 'Survey Comment', 'Survey Dismissed')
      AND json_type(json, '$.properties.survey_id') = 'text'
      AND json_extract(json, '$.properties.survey_id') = ?2
  )
  WHERE (?3 IS NULL OR t >= ?3) AND (?4 IS NULL OR t < ?4)
),
answers AS (
  SELECT id, sub, t, bucket, CAST(json_extract(json, '$.properties.score') AS INTEGER) AS score
  FROM ranged
  WHERE event = 'Survey Answered' AND sub IS NOT NULL
    AND json_type(json, '$.properties.score') IN ('integer', 'real')
    AND json_extract(json, '$.properties.score') BETWEEN 0 AND 10
    AND json_extract(json, '$.properties.score')
      = CAST(json_extract(json, '$.properties.score') AS INTEGER)
),
final AS (
  SELECT sub, bucket, score FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY sub ORDER BY t DESC, id DESC) AS rn FROM answers
  ) WHERE rn = 1
)
";

/// Rows `(kind, bucket, score, count)`: `shown` per bucket of each submission's first
/// `Survey Shown`; `answered` per bucket and final score; one `dismissed` and one
/// `invalid` total.
const COUNTS_SQL: &str = "
SELECT 'shown', bucket, NULL, COUNT(*) FROM (
  SELECT bucket, ROW_NUMBER() OVER (PARTITION BY sub ORDER BY t, id) AS rn
  FROM ranged WHERE event = 'Survey Shown' AND sub IS NOT NULL
) WHERE rn = 1 GROUP BY bucket
UNION ALL
SELECT 'answered', bucket, score, COUNT(*) FROM final GROUP BY bucket, score
UNION ALL
SELECT 'dismissed', NULL, NULL, COUNT(DISTINCT sub) FROM ranged
WHERE event = 'Survey Dismissed' AND json_extract(json, '$.properties.step') = 'score'
  AND sub IS NOT NULL AND sub NOT IN (SELECT sub FROM final)
UNION ALL
SELECT 'invalid', NULL, NULL, COUNT(*) FROM ranged
WHERE event = 'Survey Answered' AND id NOT IN (SELECT id FROM answers)
";

/// The latest `?6` non-blank comments of submissions with a valid answer, newest first,
/// each with its submission's final score (the category the page sent is not read).
const COMMENTS_SQL: &str = "
SELECT strftime('%Y-%m-%dT%H:%M:%fZ', c.t, 'unixepoch'), f.score,
  json_extract(c.json, '$.properties.comment')
FROM ranged c JOIN final f ON f.sub = c.sub
WHERE c.event = 'Survey Comment' AND json_type(c.json, '$.properties.comment') = 'text'
  AND trim(json_extract(c.json, '$.properties.comment')) <> ''
ORDER BY c.t DESC, c.id DESC
LIMIT ?6
";

impl Store {
    /// The counts behind the NPS report; see [`BASE_SQL`]. A `from`/`to` SQLite cannot
    /// read as a date-time is a 400 naming the parameter.
    pub async fn nps_counts(
        &self,
        write_key: String,
        query: NpsQuery,
    ) -> Result<NpsCounts, ApiError> {
        let result = self
            .with_conn(move |conn| {
                let (from, to) = match time_range(conn, query.from.as_deref(), query.to.as_deref())?
                {
                    Ok(range) => range,
                    Err(bound) => return Ok(Err(bound)),
                };
                let interval = query.interval.as_str();
                let mut counts = NpsCounts::default();
                // By start date, so the buckets come out oldest first.
                let mut buckets = BTreeMap::<String, (u64, [u64; 11])>::new();
                let mut stmt = conn.prepare_cached(&format!("{BASE_SQL}{COUNTS_SQL}"))?;
                let mut rows = stmt.query(params![write_key, query.survey, from, to, interval])?;
                while let Some(r) = rows.next()? {
                    let kind: String = r.get(0)?;
                    let bucket: Option<String> = r.get(1)?;
                    let score: Option<i64> = r.get(2)?;
                    let n = u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0);
                    match (kind.as_str(), bucket) {
                        ("dismissed", _) => counts.dismissed = n,
                        ("invalid", _) => counts.invalid = n,
                        ("shown", Some(start)) => buckets.entry(start).or_default().0 += n,
                        ("answered", Some(start)) => {
                            let scores = &mut buckets.entry(start).or_default().1;
                            let slot = score.and_then(|s| usize::try_from(s).ok());
                            if let Some(slot) = slot.and_then(|s| scores.get_mut(s)) {
                                *slot += n;
                            }
                        }
                        _ => {}
                    }
                }
                counts.buckets = buckets
                    .into_iter()
                    .map(|(start, (shown, scores))| NpsBucket {
                        start,
                        shown,
                        scores,
                    })
                    .collect();
                let mut stmt = conn.prepare_cached(&format!("{BASE_SQL}{COMMENTS_SQL}"))?;
                let rows = stmt.query_map(
                    params![write_key, query.survey, from, to, interval, query.comments],
                    |r| {
                        Ok(NpsComment {
                            at: r.get(0)?,
                            score: u8::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                            comment: r.get(2)?,
                        })
                    },
                )?;
                counts.comments = rows.collect::<rusqlite::Result<_>>()?;
                Ok(Ok(counts))
            })
            .await?;
        result.map_err(super::bad_time)
    }
}
