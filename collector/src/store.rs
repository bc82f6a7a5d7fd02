//! Event storage in one SQLite file (WAL mode, `synchronous=NORMAL`).
//!
//! One connection behind a `Mutex`, used from `spawn_blocking`, rather than a pool: SQLite
//! admits one writer at a time anyway, and ingest is almost all writes, so a pool would
//! only add `SQLITE_BUSY` retries between its own connections. The reads here (debug
//! listing, stats, health) are rare and short. Each batch is one transaction, so a batch
//! is stored whole or not at all, and idempotency comes from the
//! `UNIQUE(write_key, message_id)` constraint with `INSERT OR IGNORE`.
//!
//! The product-team reports ([`Store::exposure_counts`]) are one SQL query each: SQLite
//! does the per-visitor work (first exposure, last goal event) next to the data, and only
//! one row per variant comes back for the statistics in Rust.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection};
use serde_json::{json, Map, Value};

use crate::error::ApiError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
  id           INTEGER PRIMARY KEY,
  write_key    TEXT NOT NULL,
  message_id   TEXT NOT NULL,
  type         TEXT NOT NULL,
  event        TEXT,
  anonymous_id TEXT,
  user_id      TEXT,
  timestamp    TEXT,
  received_at  INTEGER NOT NULL,
  json         TEXT NOT NULL,
  UNIQUE (write_key, message_id)
);
CREATE INDEX IF NOT EXISTS events_by_anonymous_id ON events (write_key, anonymous_id);
CREATE INDEX IF NOT EXISTS events_by_user_id ON events (write_key, user_id);
CREATE INDEX IF NOT EXISTS events_by_received_at ON events (write_key, received_at);
CREATE INDEX IF NOT EXISTS events_by_event ON events (write_key, event);
CREATE TABLE IF NOT EXISTS rejected_origins (
  write_key TEXT PRIMARY KEY,
  count     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS drops (
  id          INTEGER PRIMARY KEY,
  write_key   TEXT NOT NULL,
  count       INTEGER NOT NULL,
  received_at INTEGER NOT NULL
);
";

/// The most dropped events one batch can report. A real client's queue drops far fewer
/// (its bounds are a few thousand events); anything above this is a bug or a forgery, and
/// clamping it keeps every site's sum of drops far inside SQLite's 64-bit integers.
pub const MAX_DROPPED_PER_BATCH: u64 = u32::MAX as u64;

/// One validated event, ready to insert.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub message_id: String,
    pub kind: String,
    pub event: Option<String>,
    pub anonymous_id: Option<String>,
    pub user_id: Option<String>,
    pub timestamp: Option<String>,
    pub json: String,
}

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
/// distinct visitors whose first such exposure for that key was to that variant, and those of them whose last goal event is at or after that first exposure
/// (which is the same as having any goal event then or later).
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

/// What happened to a batch: how many events were new and how many were already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inserted {
    pub accepted: usize,
    pub duplicates: usize,
}

#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        // WAL lets a reader (e.g. `sqlite3` during a demo) look while we write;
        // NORMAL is durable across process crashes in WAL mode, which is what matters here.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on the blocking pool, so SQLite never stalls the
    /// async workers that serve other requests.
    async fn with_conn<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        let out = tokio::task::spawn_blocking(move || {
            let mut guard = lock(&conn);
            f(&mut guard)
        })
        .await??;
        Ok(out)
    }

    /// Stores a batch's events and its dropped count (clamped to [`MAX_DROPPED_PER_BATCH`])
    /// in one transaction.
    pub async fn insert_batch(
        &self,
        write_key: String,
        events: Vec<NewEvent>,
        dropped: u64,
    ) -> Result<Inserted, ApiError> {
        self.with_conn(move |conn| {
            let now = now_ms();
            let tx = conn.transaction()?;
            let mut inserted = Inserted {
                accepted: 0,
                duplicates: 0,
            };
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR IGNORE INTO events (write_key, message_id, type, event,
                       anonymous_id, user_id, timestamp, received_at, json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                for e in &events {
                    let changed = stmt.execute(params![
                        write_key,
                        e.message_id,
                        e.kind,
                        e.event,
                        e.anonymous_id,
                        e.user_id,
                        e.timestamp,
                        now,
                        e.json
                    ])?;
                    if changed == 0 {
                        inserted.duplicates += 1;
                    } else {
                        inserted.accepted += 1;
                    }
                }
            }
            if dropped > 0 {
                tx.execute(
                    "INSERT INTO drops (write_key, count, received_at) VALUES (?1, ?2, ?3)",
                    params![write_key, clamp_dropped(dropped), now],
                )?;
            }
            tx.commit()?;
            Ok(inserted)
        })
        .await
    }

    /// Counts one request refused because its origin is not in the site's `allowedOrigins`:
    /// one row per site, so a flood of refusals cannot grow the database.
    pub async fn count_rejected_origin(&self, write_key: String) -> Result<(), ApiError> {
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO rejected_origins (write_key, count) VALUES (?1, 1)
                 ON CONFLICT (write_key) DO UPDATE SET count = count + 1",
                [write_key],
            )
            .map(|_| ())
        })
        .await
    }

    /// Deletes a visitor's events for one site; returns how many rows went.
    pub async fn delete_visitor(
        &self,
        write_key: String,
        anonymous_id: String,
        user_id: Option<String>,
    ) -> Result<usize, ApiError> {
        self.with_conn(move |conn| {
            conn.execute(
                "DELETE FROM events WHERE write_key = ?1
                   AND (anonymous_id = ?2 OR (?3 IS NOT NULL AND user_id = ?3))",
                params![write_key, anonymous_id, user_id],
            )
        })
        .await
    }

    /// The newest events first, each as the JSON the client sent plus server fields.
    pub async fn recent_events(&self, write_key: String, limit: u32) -> Result<Value, ApiError> {
        self.with_conn(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT json, received_at FROM events WHERE write_key = ?1
                 ORDER BY received_at DESC, id DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![write_key, limit], |row| {
                let text: String = row.get(0)?;
                let received_at: i64 = row.get(1)?;
                let mut event = serde_json::from_str::<Value>(&text).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut event {
                    map.insert("receivedAt".into(), json!(received_at));
                }
                Ok(event)
            })?;
            Ok(Value::Array(rows.collect::<rusqlite::Result<Vec<_>>>()?))
        })
        .await
    }

    pub async fn stats(&self, write_key: String) -> Result<Value, ApiError> {
        self.with_conn(move |conn| {
            let events: i64 = conn.query_row(
                "SELECT COUNT(*) FROM events WHERE write_key = ?1",
                [&write_key],
                |r| r.get(0),
            )?;
            let by_type = count_by(
                conn,
                "SELECT type, COUNT(*) FROM events WHERE write_key = ?1 GROUP BY type",
                &write_key,
            )?;
            let by_event = count_by(
                conn,
                "SELECT event, COUNT(*) FROM events WHERE write_key = ?1 AND event IS NOT NULL
                 GROUP BY event",
                &write_key,
            )?;
            // TOTAL, not SUM: SUM fails with "integer overflow" once the counts pass
            // i64::MAX, which would make stats fail for the site for good. Rows from before
            // the clamp on insert are clamped here too.
            let dropped: f64 = conn.query_row(
                "SELECT TOTAL(MIN(MAX(count, 0), ?2)) FROM drops WHERE write_key = ?1",
                params![write_key, clamp_dropped(u64::MAX)],
                |r| r.get(0),
            )?;
            // Exact below 2^53; `as` saturates beyond, where precision no longer matters.
            let dropped = dropped as u64;
            let rejected_origins: i64 = conn.query_row(
                "SELECT COALESCE(MAX(count), 0) FROM rejected_origins WHERE write_key = ?1",
                [&write_key],
                |r| r.get(0),
            )?;
            Ok(json!({
                "events": events,
                "byType": by_type,
                "byEvent": by_event,
                "dropped": dropped,
                "rejectedOrigins": rejected_origins,
            }))
        })
        .await
    }

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
                let from = parse_time(conn, query.from.as_deref())?;
                let to = parse_time(conn, query.to.as_deref())?;
                let (Ok(from), Ok(to)) = (from, to) else {
                    return Ok(Err(if from.is_err() { "from" } else { "to" }));
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
        result.map_err(|name| {
            ApiError::BadRequest(format!(
                "{name}: expected an ISO 8601 date or date-time, e.g. 2025-01-31T00:00:00Z"
            ))
        })
    }

    /// A trivial query, so health reports a database that cannot answer.
    pub async fn ping(&self) -> Result<(), ApiError> {
        self.with_conn(|conn| conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)))
            .await
            .map(|_| ())
    }
}

/// Seconds since the epoch for an ISO 8601 bound, read by SQLite so it matches how event
/// timestamps are read. `Ok(Err(()))` when SQLite cannot read it.
fn parse_time(conn: &Connection, text: Option<&str>) -> rusqlite::Result<Result<Option<f64>, ()>> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(Ok(None));
    };
    let t: Option<f64> = conn.query_row("SELECT unixepoch(?1, 'subsec')", [text], |r| r.get(0))?;
    Ok(t.map(Some).ok_or(()))
}

fn count_by(conn: &Connection, sql: &str, write_key: &str) -> rusqlite::Result<Map<String, Value>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([write_key], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut map = Map::new();
    for row in rows {
        let (key, n) = row?;
        map.insert(key, json!(n));
    }
    Ok(map)
}

/// A panic while holding the lock cannot leave SQLite half-written (the transaction rolls
/// back on drop), so a poisoned lock is safe to keep using.
fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

/// A batch's dropped count as stored: at most [`MAX_DROPPED_PER_BATCH`].
fn clamp_dropped(dropped: u64) -> i64 {
    i64::try_from(dropped.min(MAX_DROPPED_PER_BATCH)).unwrap_or(i64::MAX)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stats_survive_dropped_rows_stored_before_the_clamp() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("events.db")).unwrap();
        store
            .with_conn(|conn| {
                for _ in 0..3 {
                    conn.execute(
                        "INSERT INTO drops (write_key, count, received_at) VALUES ('k', ?1, 0)",
                        [i64::MAX],
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let stats = store.stats("k".into()).await.unwrap();
        assert_eq!(stats["dropped"], 3 * MAX_DROPPED_PER_BATCH);
    }
}
