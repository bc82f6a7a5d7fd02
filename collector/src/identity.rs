//! Identity secrets, one per site: what [`crate::visitors`] verifies an identified visitor's
//! hash with. Each site's own secret lives in the events database (its own connection, like
//! [`crate::auth`]) and in memory; the collector-wide `ENGAGEKIT_IDENTITY_SECRET` serves only
//! the sites that have none of their own.
//!
//! The admin API, the back end of the site's settings:
//! - `GET /api/identity-secret?writeKey=K`: which secret the site uses (`site`, `collector`
//!   or `none`), when it was set, until when the one before it is still accepted. Never the
//!   secret itself;
//! - `POST /api/identity-secret?writeKey=K` (body empty, or `{"secret": "…"}` of 24+
//!   characters, and/or `{"grace": false}`): sets a new one, random unless given, and
//!   answers it once. The one it replaces stays valid for [`PREVIOUS_VALID_MS`] (24 h), so
//!   the site's servers can move to the new one without signing every visitor out of their
//!   progress on other devices; with `"grace": false` it stops at once (it leaked);
//! - `DELETE /api/identity-secret?writeKey=K`: the site goes back to the collector-wide one.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rusqlite::{params, Connection};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::auth::{random_token, AdminOnly};
use crate::config_api::{body_json, site_query, ConfigQueryResult};
use crate::config_db::{iso8601, now_ms};
use crate::error::ApiError;
use crate::visitors::MIN_SECRET_CHARS;

/// How long a replaced secret is still accepted: a day for the site to deploy the new one.
pub const PREVIOUS_VALID_MS: i64 = 24 * 3_600_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS identity_secrets (
  write_key      TEXT PRIMARY KEY,
  secret         TEXT NOT NULL,
  set_at         INTEGER NOT NULL,
  previous       TEXT,
  previous_until INTEGER
);
";

#[derive(Debug, Clone, PartialEq)]
struct SiteSecret {
    secret: String,
    /// Unix ms.
    set_at: i64,
    /// The secret this one replaced and until when (unix ms) it is accepted.
    previous: Option<(String, i64)>,
}

/// The sites' own identity secrets and the collector-wide fallback.
pub struct IdentitySecrets {
    db: Mutex<Connection>,
    sites: RwLock<HashMap<String, SiteSecret>>,
    fallback: RwLock<Option<String>>,
}

impl IdentitySecrets {
    /// Reads the sites' secrets from the database at `db` (the events database).
    pub fn open(db: &Path) -> Result<IdentitySecrets, String> {
        let conn = crate::store::open_beside(db, SCHEMA)?;
        let sites = {
            let mut stmt = conn
                .prepare(
                    "SELECT write_key, secret, set_at, previous, previous_until
                     FROM identity_secrets",
                )
                .map_err(|e| e.to_string())?;
            let rows = stmt
                .query_map([], |r| {
                    let previous: Option<String> = r.get(3)?;
                    let until: Option<i64> = r.get(4)?;
                    Ok((
                        r.get::<_, String>(0)?,
                        SiteSecret {
                            secret: r.get(1)?,
                            set_at: r.get(2)?,
                            previous: previous.zip(until),
                        },
                    ))
                })
                .map_err(|e| e.to_string())?;
            rows.collect::<Result<HashMap<_, _>, _>>()
                .map_err(|e| e.to_string())?
        };
        Ok(IdentitySecrets {
            db: Mutex::new(conn),
            sites: RwLock::new(sites),
            fallback: RwLock::new(None),
        })
    }

    /// Uses `secret` for every site without one of its own (`ENGAGEKIT_IDENTITY_SECRET`).
    pub fn set_fallback(&self, secret: &str) -> Result<(), String> {
        check_strength(secret, crate::visitors::IDENTITY_ENV)?;
        *self.fallback.write().unwrap_or_else(|p| p.into_inner()) = Some(secret.to_owned());
        Ok(())
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fallback(&self) -> Option<String> {
        self.fallback
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The secrets a hash for `write_key` may be made with at `now` (unix ms): the site's own
    /// and, for a day after a rotation, the one before it; else the collector-wide one; none
    /// when neither is set.
    pub fn valid(&self, write_key: &str, now: i64) -> Vec<String> {
        let sites = self.sites.read().unwrap_or_else(|p| p.into_inner());
        match sites.get(write_key) {
            Some(s) => {
                let mut out = vec![s.secret.clone()];
                if let Some((prev, until)) = &s.previous {
                    if now < *until {
                        out.push(prev.clone());
                    }
                }
                out
            }
            None => self.fallback().into_iter().collect(),
        }
    }

    /// Which secret `write_key` uses, without the secret.
    pub fn status(&self, write_key: &str, now: i64) -> Value {
        let sites = self.sites.read().unwrap_or_else(|p| p.into_inner());
        self.describe(write_key, sites.get(write_key), now)
    }

    fn describe(&self, write_key: &str, site: Option<&SiteSecret>, now: i64) -> Value {
        match site {
            Some(s) => json!({
                "writeKey": write_key,
                "source": "site",
                "setAt": iso8601(s.set_at),
                "previousValidUntil": s.previous.as_ref()
                    .filter(|(_, until)| now < *until)
                    .map(|(_, until)| iso8601(*until)),
            }),
            None => json!({
                "writeKey": write_key,
                "source": if self.fallback().is_some() { "collector" } else { "none" },
            }),
        }
    }

    /// Gives `write_key` `secret` (checked) or a new random one; returns it with the site's
    /// status. With `grace`, the one it replaces stays valid for [`PREVIOUS_VALID_MS`] (one
    /// previous secret: rotating again within the day ends the older one's grace); without,
    /// it stops at once (a leaked secret). Setting the secret the site already has changes
    /// nothing, so a retried request keeps the grace it started; with `grace` false it ends
    /// the previous one's.
    pub fn rotate(
        &self,
        write_key: &str,
        secret: Option<&str>,
        grace: bool,
        now: i64,
    ) -> Result<(String, Value), ApiError> {
        let secret = match secret {
            Some(s) => {
                check_strength(s, "secret").map_err(ApiError::BadRequest)?;
                s.to_owned()
            }
            None => random_token().map_err(ApiError::Storage)?,
        };
        // The connection's lock makes rotations one at a time; the map's lock is taken only
        // to read and to swap, so verifying visitors never waits on the disk.
        let conn = self.conn();
        let current = self
            .sites
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(write_key)
            .cloned();
        if let Some(same) = current
            .as_ref()
            .filter(|c| c.secret == secret && (grace || c.previous.is_none()))
        {
            return Ok((secret, self.describe(write_key, Some(same), now)));
        }
        let previous = current
            .map(|s| s.secret)
            .or_else(|| self.fallback())
            .filter(|p| grace && *p != secret)
            .map(|p| (p, now + PREVIOUS_VALID_MS));
        let site = SiteSecret {
            secret: secret.clone(),
            set_at: now,
            previous,
        };
        let (prev, until) = site.previous.clone().unzip();
        conn.execute(
            "INSERT INTO identity_secrets (write_key, secret, set_at, previous, previous_until)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (write_key) DO UPDATE SET secret = ?2, set_at = ?3,
               previous = ?4, previous_until = ?5",
            params![write_key, site.secret, site.set_at, prev, until],
        )
        .map_err(|e| ApiError::Storage(e.to_string()))?;
        let status = self.describe(write_key, Some(&site), now);
        self.sites
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(write_key.to_owned(), site);
        Ok((secret, status))
    }

    /// Drops `write_key`'s own secret: it goes back to the collector-wide one (or none).
    pub fn remove(&self, write_key: &str) -> Result<(), ApiError> {
        let conn = self.conn();
        conn.execute(
            "DELETE FROM identity_secrets WHERE write_key = ?1",
            [write_key],
        )
        .map_err(|e| ApiError::Storage(e.to_string()))?;
        self.sites
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(write_key);
        Ok(())
    }
}

fn check_strength(secret: &str, name: &str) -> Result<(), String> {
    if secret.chars().count() < MIN_SECRET_CHARS {
        return Err(format!("{name}: at least {MIN_SECRET_CHARS} characters"));
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotate {
    secret: Option<String>,
    /// `false`: the replaced secret stops at once instead of a day later (it leaked).
    grace: Option<bool>,
}

/// The site named by the query, which must have a config.
fn site(state: &AppState, query: ConfigQueryResult) -> Result<String, ApiError> {
    let key = site_query(query)?;
    if state.config.site(&key).is_none() {
        return Err(ApiError::NotFound(format!("no site with writeKey {key:?}")));
    }
    Ok(key)
}

/// `GET /api/identity-secret`.
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminOnly,
    query: ConfigQueryResult,
) -> Result<Json<Value>, ApiError> {
    let key = site(&state, query)?;
    Ok(Json(state.identity.status(&key, now_ms())))
}

/// `POST /api/identity-secret`: the new secret, shown this once.
pub async fn post(
    State(state): State<AppState>,
    _admin: AdminOnly,
    query: ConfigQueryResult,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = site(&state, query)?;
    let req: Rotate = if body.iter().all(u8::is_ascii_whitespace) {
        Rotate::default()
    } else {
        body_json(&body)?
    };
    let now = now_ms();
    let grace = req.grace.unwrap_or(true);
    let (secret, mut body) = state
        .identity
        .rotate(&key, req.secret.as_deref(), grace, now)?;
    body["secret"] = secret.into();
    let mut res = Json(body).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `DELETE /api/identity-secret`.
pub async fn delete(
    State(state): State<AppState>,
    _admin: AdminOnly,
    query: ConfigQueryResult,
) -> Result<Json<Value>, ApiError> {
    let key = site(&state, query)?;
    state.identity.remove(&key)?;
    Ok(Json(state.identity.status(&key, now_ms())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENV: &str = "a collector-wide secret, long enough";

    #[test]
    fn a_site_secret_replaces_the_collector_wide_one_and_the_old_one_lasts_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let ids = IdentitySecrets::open(&path).unwrap();
        ids.set_fallback(ENV).unwrap();
        assert_eq!(ids.valid("a", 0), [ENV]);
        assert_eq!(ids.status("a", 0)["source"], "collector");

        let (one, _) = ids.rotate("a", None, true, 1_000).unwrap();
        assert!(one.len() >= MIN_SECRET_CHARS);
        assert_eq!(ids.valid("a", 1_000), [one.clone(), ENV.to_owned()]);
        assert_eq!(ids.valid("a", 1_000 + PREVIOUS_VALID_MS), vec![one.clone()]);
        assert_eq!(ids.valid("b", 1_000), [ENV], "other sites keep theirs");

        let (two, status) = ids
            .rotate("a", Some("the site's chosen secret, 24+"), true, 2_000)
            .unwrap();
        assert_eq!(status["source"], "site");
        // The same secret again (a retried request) keeps the grace it started.
        let (again, _) = ids
            .rotate("a", Some("the site's chosen secret, 24+"), true, 2_500)
            .unwrap();
        assert_eq!(again, two);
        assert_eq!(ids.valid("a", 2_000), [two.clone(), one.clone()]);
        assert!(ids.rotate("a", Some("short"), true, 3_000).is_err());

        // Without grace (a leaked secret), the one replaced stops at once.
        let sealed = IdentitySecrets::open(&dir.path().join("u.db")).unwrap();
        let (first, _) = sealed.rotate("s", None, true, 0).unwrap();
        let (second, status) = sealed.rotate("s", None, false, 10).unwrap();
        assert_eq!(sealed.valid("s", 10), [second]);
        assert_ne!(first, sealed.valid("s", 10)[0]);
        assert_eq!(status["previousValidUntil"], Value::Null);
        // Or, found out later, by sending the current one again without grace.
        let (third, _) = sealed.rotate("s", None, true, 20).unwrap();
        assert_eq!(sealed.valid("s", 20).len(), 2);
        sealed.rotate("s", Some(&third), false, 30).unwrap();
        assert_eq!(sealed.valid("s", 30), [third]);

        // Kept across a restart.
        let again = IdentitySecrets::open(&path).unwrap();
        assert_eq!(again.valid("a", 2_000), [two, one]);
        assert_eq!(again.valid("b", 2_000), Vec::<String>::new());
        again.remove("a").unwrap();
        assert_eq!(again.status("a", 0)["source"], "none");
        assert!(IdentitySecrets::open(&path)
            .unwrap()
            .valid("a", 0)
            .is_empty());
    }
}
