//! Event storage in one SQLite file (WAL mode, `synchronous=NORMAL`).
//!
//! One connection behind a `Mutex`, used from `spawn_blocking`, rather than a pool: SQLite
//! admits one writer at a time anyway, and ingest is almost all writes, so a pool would
//! only add `SQLITE_BUSY` retries between its own connections. The reads here (debug
//! listing, stats, health) are rare and short. Each batch is one transaction, so a batch
//! is stored whole or not at all, and idempotency comes from the
//! `UNIQUE(write_key, message_id)` constraint with `INSERT OR IGNORE`.
//!
//! The product-team reports' queries are in [`exposures`], [`nps`] and [`checklists`].

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection};
use serde_json::{json, Map, Value};

use crate::error::ApiError;

mod checklists;
mod exposures;
mod nps;

pub use checklists::{ChecklistCounts, ChecklistQuery, Reached};
pub use exposures::{ExposureQuery, Exposures, Unknown, VariantCount};
pub use nps::{Interval, NpsBucket, NpsComment, NpsCounts, NpsQuery};

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

/// A connection of its own to the events database at `db`, for a module that keeps a table
/// there (the admin secret, saved configs, identity secrets): it waits up to 5 s for the
/// store's writer and creates the module's tables (`schema`) if they are missing.
pub fn open_beside(db: &Path, schema: &str) -> Result<Connection, String> {
    let conn = Connection::open(db).map_err(|e| e.to_string())?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .and_then(|()| conn.execute_batch(schema))
        .map_err(|e| e.to_string())?;
    Ok(conn)
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
    /// The checklist and survey events stored for identified visitor `user_id`: name, the
    /// event's JSON and its time (Unix ms: its own `timestamp`, else when it was received),
    /// oldest first.
    pub async fn visitor_events(
        &self,
        write_key: String,
        user_id: String,
    ) -> Result<Vec<(String, Value, f64)>, ApiError> {
        self.with_conn(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT event, json,
                   COALESCE(unixepoch(timestamp, 'subsec') * 1000.0, received_at * 1.0) AS t
                 FROM events
                 WHERE write_key = ?1 AND user_id = ?2 AND type = 'track'
                   AND event IN ('Checklist Shown', 'Checklist Step Completed',
                     'Checklist Completed', 'Checklist Dismissed',
                     'Survey Shown', 'Survey Answered', 'Survey Dismissed')
                 ORDER BY t, id",
            )?;
            let rows = stmt.query_map(rusqlite::params![write_key, user_id], |row| {
                let json: String = row.get(1)?;
                Ok((
                    row.get::<_, String>(0)?,
                    serde_json::from_str(&json).unwrap_or(Value::Null),
                    row.get::<_, f64>(2)?,
                ))
            })?;
            rows.collect()
        })
        .await
    }

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
            let by_day = volume_by_day(conn, &write_key)?;
            Ok(json!({
                "events": events,
                "byType": by_type,
                "byEvent": by_event,
                "byDay": by_day,
                "dropped": dropped,
                "rejectedOrigins": rejected_origins,
            }))
        })
        .await
    }

    /// A trivial query, so health reports a database that cannot answer.
    pub async fn ping(&self) -> Result<(), ApiError> {
        self.with_conn(|conn| conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)))
            .await
            .map(|_| ())
    }
}

/// Days of event volume the stats chart (UTC days, today last).
pub const VOLUME_DAYS: u32 = 30;

/// Events received per UTC day over the last [`VOLUME_DAYS`] days, oldest first, days
/// without events included as 0 (a chart needs the gaps). One range count per day on the
/// `(write_key, received_at)` index.
fn volume_by_day(conn: &Connection, write_key: &str) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare(
        "WITH RECURSIVE days(d) AS (
           SELECT date('now', ?2) UNION ALL SELECT date(d, '+1 day') FROM days WHERE d < date('now')
         )
         SELECT d, (SELECT COUNT(*) FROM events WHERE write_key = ?1
                      AND received_at >= unixepoch(d) * 1000
                      AND received_at < unixepoch(d, '+1 day') * 1000)
         FROM days ORDER BY d",
    )?;
    let back = format!("-{} days", VOLUME_DAYS - 1);
    let rows = stmt.query_map(params![write_key, back], |r| {
        Ok(json!({"day": r.get::<_, String>(0)?, "events": r.get::<_, i64>(1)?}))
    })?;
    rows.collect()
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

/// Seconds since the epoch for an ISO 8601 bound of a report's range, read by SQLite so it
/// matches how event timestamps are read. `Ok(Err(()))` when SQLite cannot read it.
fn parse_time(conn: &Connection, text: Option<&str>) -> rusqlite::Result<Result<Option<f64>, ()>> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(Ok(None));
    };
    let t: Option<f64> = conn.query_row("SELECT unixepoch(?1, 'subsec')", [text], |r| r.get(0))?;
    Ok(t.map(Some).ok_or(()))
}

/// A report's `from` and `to`, in seconds (None: open).
type Range = (Option<f64>, Option<f64>);

/// A report's time range read by SQLite (seconds), or the name of the bound it cannot read
/// (`from` or `to`).
fn time_range(
    conn: &Connection,
    from: Option<&str>,
    to: Option<&str>,
) -> rusqlite::Result<Result<Range, &'static str>> {
    let from = parse_time(conn, from)?;
    let to = parse_time(conn, to)?;
    Ok(match (from, to) {
        (Ok(from), Ok(to)) => Ok((from, to)),
        (Err(()), _) => Err("from"),
        (_, Err(())) => Err("to"),
    })
}

/// The answer to a range bound SQLite cannot read (`name`: `from` or `to`).
fn bad_time(name: &'static str) -> ApiError {
    ApiError::BadRequest(format!(
        "{name}: expected an ISO 8601 date or date-time, e.g. 2025-01-31T00:00:00Z"
    ))
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
