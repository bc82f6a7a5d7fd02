//! Site configs in the database, versioned. Every publish appends a version (the whole
//! site document, who published it, when, and the warnings the browser module's reader gave
//! for it); nothing is ever rewritten, so history, diffs and rollbacks (a rollback is a new
//! version holding an old document) come for free. The collector serves each site's latest
//! version from memory ([`crate::config::ConfigStore`]), so reads never touch SQLite.
//!
//! Its own connection to the events database, like [`crate::auth`]: config writes are rare
//! admin actions and must not queue behind ingest on the store's connection.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS config_versions (
  id           INTEGER PRIMARY KEY,
  write_key    TEXT NOT NULL,
  version      INTEGER NOT NULL,
  json         TEXT NOT NULL,
  author       TEXT NOT NULL,
  published_at INTEGER NOT NULL,
  warnings     TEXT NOT NULL,
  note         TEXT,
  UNIQUE (write_key, version)
);
";

/// One published version of a site's config.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub write_key: String,
    pub version: i64,
    pub config: Value,
    pub author: String,
    /// Unix ms.
    pub published_at: i64,
    /// What the browser module's reader said about it, each with its path.
    pub warnings: Vec<String>,
    /// Why it was published, e.g. `rollback to version 3`.
    pub note: Option<String>,
}

impl Version {
    /// The version as the admin API shows it; with the document unless `summary`.
    pub fn to_json(&self, summary: bool) -> Value {
        let mut v = json!({
            "writeKey": self.write_key,
            "version": self.version,
            "author": self.author,
            "publishedAt": iso8601(self.published_at),
            "warnings": self.warnings,
            "note": self.note,
        });
        if !summary {
            v["config"] = self.config.clone();
        }
        v
    }
}

/// Why a publish did not happen.
#[derive(Debug)]
pub enum PublishError {
    /// Someone published since the version the editor started from (the latest is given).
    Stale(i64),
    Db(String),
}

pub struct ConfigDb {
    conn: Mutex<Connection>,
}

impl ConfigDb {
    pub fn open(db: &Path) -> Result<ConfigDb, String> {
        let conn = crate::store::open_beside(db, SCHEMA)?;
        Ok(ConfigDb {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic mid-statement cannot leave a half-written version: each write is one
        // statement (or one transaction, rolled back on drop).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether no site has a version yet (a fresh database, to seed from `--config`).
    pub fn is_empty(&self) -> Result<bool, String> {
        self.conn()
            .query_row(
                "SELECT NOT EXISTS (SELECT 1 FROM config_versions)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| e.to_string())
    }

    /// The latest version of every site.
    pub fn latest_all(&self) -> Result<Vec<Version>, String> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT write_key, version, json, author, published_at, warnings, note
                 FROM config_versions c
                 WHERE version = (SELECT MAX(version) FROM config_versions
                                  WHERE write_key = c.write_key)
                 ORDER BY write_key",
            )
            .map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map([], read_version)
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())
    }

    /// Version `version` of a site, or its latest when `None`.
    pub fn get(&self, write_key: &str, version: Option<i64>) -> Result<Option<Version>, String> {
        let conn = self.conn();
        let sql = "SELECT write_key, version, json, author, published_at, warnings, note
                   FROM config_versions WHERE write_key = ?1 AND version = COALESCE(?2,
                     (SELECT MAX(version) FROM config_versions WHERE write_key = ?1))";
        conn.query_row(sql, params![write_key, version], read_version)
            .optional()
            .map_err(|e| e.to_string())
    }

    /// A site's versions, newest first.
    pub fn history(&self, write_key: &str) -> Result<Vec<Version>, String> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT write_key, version, json, author, published_at, warnings, note
                 FROM config_versions WHERE write_key = ?1 ORDER BY version DESC",
            )
            .map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map([write_key], read_version)
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())
    }

    /// Appends a version. With `base`, only if the site's latest version is still `base`
    /// (0: the site must not exist yet), so two editors never overwrite each other unseen.
    pub fn publish(
        &self,
        write_key: &str,
        config: &Value,
        author: &str,
        warnings: &[String],
        note: Option<&str>,
        base: Option<i64>,
    ) -> Result<Version, PublishError> {
        let db = |e: rusqlite::Error| PublishError::Db(e.to_string());
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(db)?;
        let latest: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM config_versions WHERE write_key = ?1",
                [write_key],
                |r| r.get(0),
            )
            .map_err(db)?;
        if base.is_some_and(|b| b != latest) {
            return Err(PublishError::Stale(latest));
        }
        let version = Version {
            write_key: write_key.to_owned(),
            version: latest + 1,
            config: config.clone(),
            author: author.to_owned(),
            published_at: now_ms(),
            warnings: warnings.to_vec(),
            note: note.map(str::to_owned),
        };
        tx.execute(
            "INSERT INTO config_versions
               (write_key, version, json, author, published_at, warnings, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                version.write_key,
                version.version,
                config.to_string(),
                version.author,
                version.published_at,
                Value::from(version.warnings.clone()).to_string(),
                version.note,
            ],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(version)
    }
}

fn read_version(r: &Row<'_>) -> rusqlite::Result<Version> {
    let json: String = r.get(2)?;
    let warnings: String = r.get(5)?;
    Ok(Version {
        write_key: r.get(0)?,
        version: r.get(1)?,
        config: serde_json::from_str(&json).unwrap_or(Value::Null),
        author: r.get(3)?,
        published_at: r.get(4)?,
        warnings: serde_json::from_str(&warnings).unwrap_or_default(),
        note: r.get(6)?,
    })
}

/// What changed from `a` to `b`, as `{path, op, from, to}` entries (`op`: `added`,
/// `removed`, `changed`), objects compared key by key and anything else as a whole, so a
/// product team sees `tracking.flushAt: 20 → 10` rather than two documents.
pub fn diff(a: &Value, b: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    diff_at("", a, b, &mut out);
    out
}

fn diff_at(path: &str, a: &Value, b: &Value, out: &mut Vec<Value>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, va) in x {
                let p = join(path, key);
                match y.get(key) {
                    Some(vb) => diff_at(&p, va, vb, out),
                    None => out.push(json!({"path": p, "op": "removed", "from": va})),
                }
            }
            for (key, vb) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                out.push(json!({"path": join(path, key), "op": "added", "to": vb}));
            }
        }
        _ if a == b => {}
        _ => out.push(json!({"path": if path.is_empty() { "." } else { path }, "op": "changed", "from": a, "to": b})),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Unix ms as `2026-11-30T19:00:00.000Z` (UTC), the civil-from-days algorithm (Howard
/// Hinnant's), so no date crate is needed for one format.
pub fn iso8601(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1_000 % 60,
        rem % 1_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, ConfigDb) {
        let dir = tempfile::tempdir().unwrap();
        let db = ConfigDb::open(&dir.path().join("t.db")).unwrap();
        (dir, db)
    }

    #[test]
    fn publishing_appends_versions_and_the_latest_wins() {
        let (_dir, db) = db();
        assert!(db.is_empty().unwrap());
        let one = db
            .publish("k", &json!({"a": 1}), "ann", &[], None, Some(0))
            .unwrap();
        assert_eq!(one.version, 1);
        let two = db
            .publish("k", &json!({"a": 2}), "bob", &["w".into()], None, Some(1))
            .unwrap();
        assert_eq!(two.version, 2);
        db.publish("other", &json!({}), "ann", &[], None, None)
            .unwrap();
        assert_eq!(db.get("k", None).unwrap().unwrap(), two);
        assert_eq!(db.get("k", Some(1)).unwrap().unwrap(), one);
        assert_eq!(db.get("k", Some(9)).unwrap(), None);
        let latest = db.latest_all().unwrap();
        assert_eq!(latest.len(), 2);
        assert_eq!(latest[0].config, json!({"a": 2}));
        let history: Vec<i64> = db.history("k").unwrap().iter().map(|v| v.version).collect();
        assert_eq!(history, [2, 1]);
        assert!(!db.is_empty().unwrap());
    }

    #[test]
    fn a_publish_from_a_stale_base_is_refused() {
        let (_dir, db) = db();
        db.publish("k", &json!({"a": 1}), "ann", &[], None, Some(0))
            .unwrap();
        let stale = db.publish("k", &json!({"a": 9}), "bob", &[], None, Some(0));
        assert!(matches!(stale, Err(PublishError::Stale(1))));
        assert_eq!(db.get("k", None).unwrap().unwrap().config, json!({"a": 1}));
    }

    #[test]
    fn diff_names_each_changed_path() {
        let a = json!({"tracking": {"flushAt": 20, "clicks": true}, "x": [1]});
        let b = json!({"tracking": {"flushAt": 10}, "x": [1], "content": {"slots": {}}});
        assert_eq!(
            diff(&a, &b),
            vec![
                json!({"path": "tracking.clicks", "op": "removed", "from": true}),
                json!({"path": "tracking.flushAt", "op": "changed", "from": 20, "to": 10}),
                json!({"path": "content", "op": "added", "to": {"slots": {}}}),
            ]
        );
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn dates_are_iso_8601_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_796_065_200_123), "2026-11-30T19:00:00.123Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
