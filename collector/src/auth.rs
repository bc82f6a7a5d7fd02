//! Who may do what. The writeKey is public (it is in every page's source), so it may only
//! send events (`/v1/batch`, `/v1/calls`) and read its site's browser config
//! (`/v1/config/{key}`). Everything else under `/api` — stored events, stats, reports,
//! visitor deletion — needs the collector's admin secret, given either
//! - as `Authorization: Bearer <secret>`, for scripts and server-to-server calls (a site's
//!   own privacy flow deleting a visitor), or
//! - through a session: `POST /api/session` with the secret sets an `HttpOnly`,
//!   `SameSite=Strict` cookie for the dashboard, and every cookie-authenticated write must
//!   also carry the session's CSRF token in `X-CSRF-Token` (SameSite alone does not stop a
//!   page on another port of the same host, which is the same *site*).
//!
//! The secret is random (32 bytes), generated at first start and shown once on stderr, or
//! set from `ENGAGEKIT_ADMIN_SECRET`. Only its SHA-256 is stored (a table in the events
//! database), and every comparison is constant-time. SHA-256, not a password hash, because
//! the secret is a 256-bit random token, not something a person chose: nothing is left to
//! guess that a slow hash would protect (GitHub stores its tokens the same way). A secret set
//! from the environment must be at least [`MIN_SECRET_CHARS`] long for the same reason.
//! Session tokens are random too and kept in memory as hashes: a restart signs everyone out.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use base64::Engine;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::app::AppState;
use crate::error::ApiError;

/// The session cookie's name.
pub const COOKIE: &str = "engagekit_admin";
/// The header a cookie-authenticated write carries the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a dashboard session lasts, from sign-in.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);
/// Sessions kept at once; the oldest goes first (only the secret's holder can add one).
const MAX_SESSIONS: usize = 1_000;
/// The shortest admin secret accepted from the environment.
pub const MIN_SECRET_CHARS: usize = 24;
/// The environment variable that sets (or replaces) the admin secret at start.
pub const SECRET_ENV: &str = "ENGAGEKIT_ADMIN_SECRET";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS admin (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  secret_sha256 BLOB NOT NULL,
  set_at        INTEGER NOT NULL
);
";

type Hash = [u8; 32];

struct Session {
    csrf: String,
    expires: Instant,
}

/// The admin secret (as its hash) and the signed-in dashboard sessions.
pub struct Admin {
    secret: RwLock<Hash>,
    sessions: Mutex<HashMap<Hash, Session>>,
    db: Option<Mutex<Connection>>,
    /// A secret generated at this start, for main.rs to show once.
    pub generated: Option<String>,
}

/// How the admin secret is chosen at start.
pub enum SecretSource<'a> {
    /// The one stored in the database; a new random one when there is none (first start).
    Stored,
    /// This one (from `ENGAGEKIT_ADMIN_SECRET`), replacing any stored one.
    Given(&'a str),
    /// A new random one, replacing the stored one (`--reset-admin-secret`).
    Reset,
}

impl Admin {
    /// Reads or sets the admin secret in the database at `db` (the events database).
    pub fn open(db: &Path, source: SecretSource<'_>) -> Result<Admin, String> {
        let conn = crate::store::open_beside(db, SCHEMA)?;
        let stored: Option<Vec<u8>> = conn
            .query_row("SELECT secret_sha256 FROM admin WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| e.to_string())?;
        let stored = stored.and_then(|h| Hash::try_from(h.as_slice()).ok());
        let (hash, generated) = match (source, stored) {
            (SecretSource::Given(secret), _) => {
                check_strength(secret)?;
                (digest(secret), None)
            }
            (SecretSource::Stored, Some(hash)) => (hash, None),
            (SecretSource::Stored | SecretSource::Reset, _) => {
                let secret = random_token()?;
                (digest(&secret), Some(secret))
            }
        };
        if stored != Some(hash) {
            conn.execute(
                "INSERT INTO admin (id, secret_sha256, set_at) VALUES (1, ?1, unixepoch())
                 ON CONFLICT (id) DO UPDATE SET secret_sha256 = ?1, set_at = unixepoch()",
                params![hash.as_slice()],
            )
            .map_err(|e| e.to_string())?;
        }
        Ok(Admin {
            secret: RwLock::new(hash),
            sessions: Mutex::new(HashMap::new()),
            db: Some(Mutex::new(conn)),
            generated,
        })
    }

    /// An admin with this secret and no database (tests of other parts).
    pub fn with_secret(secret: &str) -> Admin {
        Admin {
            secret: RwLock::new(digest(secret)),
            sessions: Mutex::new(HashMap::new()),
            db: None,
            generated: None,
        }
    }

    /// Replaces the secret (kept in the database when there is one) and signs every
    /// session out.
    pub fn set_secret(&self, secret: &str) -> Result<(), String> {
        check_strength(secret)?;
        let hash = digest(secret);
        if let Some(db) = &self.db {
            db.lock()
                .unwrap_or_else(|p| p.into_inner())
                .execute(
                    "INSERT INTO admin (id, secret_sha256, set_at) VALUES (1, ?1, unixepoch())
                     ON CONFLICT (id) DO UPDATE SET secret_sha256 = ?1, set_at = unixepoch()",
                    params![hash.as_slice()],
                )
                .map_err(|e| e.to_string())?;
        }
        *self.secret.write().unwrap_or_else(|p| p.into_inner()) = hash;
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        Ok(())
    }

    /// Whether `secret` is the admin secret (constant time).
    pub fn is_secret(&self, secret: &str) -> bool {
        let stored = *self.secret.read().unwrap_or_else(|p| p.into_inner());
        digest(secret).ct_eq(&stored).into()
    }

    /// Starts a session: its cookie token and its CSRF token.
    pub fn sign_in(&self) -> Result<(String, String), ApiError> {
        let token = random_token().map_err(ApiError::Storage)?;
        let csrf = random_token().map_err(ApiError::Storage)?;
        let now = Instant::now();
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| s.expires > now);
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| *k)
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(
            digest(&token),
            Session {
                csrf: csrf.clone(),
                expires: now + SESSION_TTL,
            },
        );
        Ok((token, csrf))
    }

    /// Ends the session of this cookie token, if any.
    pub fn sign_out(&self, token: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&digest(token));
    }

    /// The CSRF token of a live session.
    pub fn session_csrf(&self, token: &str) -> Option<String> {
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions
            .get(&digest(token))
            .filter(|s| s.expires > Instant::now())
            .map(|s| s.csrf.clone())
    }

    /// Whether this request may use the admin API: a right bearer secret, or a live session
    /// cookie (with its CSRF token when the method writes).
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
        if let Some(auth) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            let (scheme, value) = auth.trim().split_once(' ').unwrap_or((auth, ""));
            if scheme.eq_ignore_ascii_case("bearer") {
                return if self.is_secret(value.trim()) {
                    Ok(())
                } else {
                    Err(ApiError::Unauthorized("wrong admin secret".into()))
                };
            }
        }
        let Some(token) = cookie(headers, COOKIE) else {
            return Err(ApiError::Unauthorized(
                "admin credential required: Authorization: Bearer <admin secret>, or sign in \
                 at /dashboard/signin.html (the writeKey only sends events)"
                    .into(),
            ));
        };
        let Some(csrf) = self.session_csrf(token) else {
            return Err(ApiError::Unauthorized(
                "session expired or signed out: sign in at /dashboard/signin.html".into(),
            ));
        };
        if !is_safe(method) {
            let given = headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let same: bool = given.as_bytes().ct_eq(csrf.as_bytes()).into();
            if !same || !same_origin(headers) {
                return Err(ApiError::Forbidden(
                    "a write with the session cookie needs the session's X-CSRF-Token from \
                     the collector's own pages"
                        .into(),
                ));
            }
        }
        Ok(())
    }
}

/// A handler argument that admits only the admin (see [`Admin::check`]).
pub struct AdminOnly;

impl FromRequestParts<AppState> for AdminOnly {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state.admin.check(&parts.method, &parts.headers)?;
        Ok(AdminOnly)
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a browser request comes from the collector's own origin: its `Origin` (sent with
/// every cross-origin and every non-GET fetch) names the `Host` it was sent to, and
/// `Sec-Fetch-Site`, where the browser sends it, says `same-origin`. A request with neither
/// (not a browser) passes: the CSRF token is the check that matters.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        if site != "same-origin" {
            return false;
        }
    }
    match (get("origin"), get("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value for a session token; `None` clears it. `Secure` when the request
/// came over HTTPS (a TLS-terminating proxy says so in `X-Forwarded-Proto`): browsers refuse
/// a `Secure` cookie over plain http except on localhost, so it cannot be unconditional.
pub fn set_cookie(token: Option<&str>, headers: &HeaderMap) -> HeaderValue {
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let value = match token {
        Some(t) => format!(
            "{COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
            SESSION_TTL.as_secs(),
            if secure { "; Secure" } else { "" }
        ),
        None => format!(
            "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            if secure { "; Secure" } else { "" }
        ),
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(""))
}

fn digest(text: &str) -> Hash {
    Sha256::digest(text.as_bytes()).into()
}

fn check_strength(secret: &str) -> Result<(), String> {
    if secret.chars().count() < MIN_SECRET_CHARS {
        return Err(format!(
            "{SECRET_ENV}: the admin secret must be at least {MIN_SECRET_CHARS} characters \
             (a random one is generated when it is not set)"
        ));
    }
    Ok(())
}

/// 32 random bytes from the OS, base64url (43 characters).
pub(crate) fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness from the OS: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-test-admin-secret-of-enough-length";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_first_start_generates_a_secret_and_keeps_only_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let first = Admin::open(&db, SecretSource::Stored).unwrap();
        let secret = first
            .generated
            .clone()
            .expect("a secret shown at first start");
        assert!(secret.len() >= 43);
        assert!(first.is_secret(&secret) && !first.is_secret("guess"));
        let conn = Connection::open(&db).unwrap();
        let stored: Vec<u8> = conn
            .query_row("SELECT secret_sha256 FROM admin", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, digest(&secret).to_vec());
        assert!(!String::from_utf8_lossy(&std::fs::read(&db).unwrap()).contains(&secret));

        let again = Admin::open(&db, SecretSource::Stored).unwrap();
        assert!(again.generated.is_none(), "shown once only");
        assert!(again.is_secret(&secret));

        let reset = Admin::open(&db, SecretSource::Reset).unwrap();
        let new = reset.generated.clone().unwrap();
        assert!(reset.is_secret(&new) && !reset.is_secret(&secret));

        let given = Admin::open(&db, SecretSource::Given(SECRET)).unwrap();
        assert!(given.generated.is_none() && given.is_secret(SECRET));
        assert!(Admin::open(&db, SecretSource::Given("short")).is_err());
    }

    #[test]
    fn bearer_and_session_cookie_admit_and_nothing_else_does() {
        let admin = Admin::with_secret(SECRET);
        let get = Method::GET;
        assert!(admin.check(&get, &headers(&[])).is_err());
        let bearer = format!("Bearer {SECRET}");
        assert!(admin
            .check(&get, &headers(&[("authorization", &bearer)]))
            .is_ok());
        assert!(admin
            .check(&get, &headers(&[("authorization", "Bearer demo")]))
            .is_err());
        assert!(admin
            .check(&get, &headers(&[("authorization", "Basic ZGVtbzo=")]))
            .is_err());

        let (token, csrf) = admin.sign_in().unwrap();
        let cookie = format!("other=1; {COOKIE}={token}");
        assert!(admin.check(&get, &headers(&[("cookie", &cookie)])).is_ok());
        let del = Method::DELETE;
        let write = |extra: &[(&'static str, &str)]| {
            let mut pairs = vec![("cookie", cookie.as_str())];
            pairs.extend_from_slice(extra);
            admin.check(&del, &headers(&pairs))
        };
        assert!(matches!(write(&[]), Err(ApiError::Forbidden(_))));
        assert!(matches!(
            write(&[(CSRF_HEADER, "wrong")]),
            Err(ApiError::Forbidden(_))
        ));
        assert!(write(&[(CSRF_HEADER, &csrf)]).is_ok());
        assert!(write(&[
            (CSRF_HEADER, &csrf),
            ("origin", "http://127.0.0.1:9"),
            ("host", "127.0.0.1:8080")
        ])
        .is_err());
        assert!(write(&[(CSRF_HEADER, &csrf), ("sec-fetch-site", "same-site")]).is_err());
        assert!(write(&[
            (CSRF_HEADER, &csrf),
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin")
        ])
        .is_ok());

        admin.sign_out(&token);
        assert!(admin.check(&get, &headers(&[("cookie", &cookie)])).is_err());
    }

    #[test]
    fn a_new_secret_signs_every_session_out() {
        let admin = Admin::with_secret(SECRET);
        let (token, _) = admin.sign_in().unwrap();
        admin
            .set_secret("another-secret-that-is-long-enough")
            .unwrap();
        assert!(admin.session_csrf(&token).is_none());
        assert!(!admin.is_secret(SECRET));
    }
}
