//! The admin API over site configs, the back end of the product team's editor:
//! - `GET /api/config?writeKey=K[&version=N]`: the latest (or version N) with its metadata;
//! - `PUT /api/config?writeKey=K`: publish `{"config": {...}, "author", "note",
//!   "baseVersion", "acknowledgeWarnings"}` as a new version, live at once (new ETag, no
//!   restart). A document the browser module's reader has warnings about is refused (409,
//!   with the warnings and their paths) unless `acknowledgeWarnings` is true; one that is not
//!   JSON, or not an object, is refused with where it broke. `baseVersion` refuses a publish
//!   over a version the editor never saw;
//! - `GET /api/config/versions?writeKey=K`: the history, newest first;
//! - `GET /api/config/diff?writeKey=K[&from=A&to=B]`: what changed, path by path (default:
//!   the latest against the one before);
//! - `POST /api/config/rollback?writeKey=K` `{"version": N}`: publishes version N's document
//!   again as a new version (history is never rewritten).
//!
//! All admin only. When the collector runs from a config file (`--config-from-file`), the
//! file is the source of truth: reads work, writes answer 409.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::auth::AdminOnly;
use crate::config::config_problems;
use crate::config_db::{diff, ConfigDb, PublishError, Version};
use crate::error::ApiError;

/// Longest `author` and `note` kept.
const MAX_LABEL_CHARS: usize = 200;
/// Longest writeKey a new site may have.
const MAX_KEY_CHARS: usize = 100;

#[derive(Debug, Deserialize)]
pub struct ConfigQuery {
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
    version: Option<i64>,
    from: Option<i64>,
    to: Option<i64>,
}

pub(crate) type ConfigQueryResult = Result<Query<ConfigQuery>, QueryRejection>;

fn parse(query: ConfigQueryResult) -> Result<(ConfigQuery, String), ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(format!("query: {}", e.body_text())))?;
    let key = q
        .write_key
        .clone()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::BadRequest("writeKey: required, names the site".into()))?;
    Ok((q, key))
}

/// The site (`writeKey`) an admin request names.
pub(crate) fn site_query(query: ConfigQueryResult) -> Result<String, ApiError> {
    parse(query).map(|(_, key)| key)
}

fn db(state: &AppState) -> Result<&ConfigDb, ApiError> {
    state.config.db().ok_or_else(|| {
        ApiError::Conflict(
            "the collector runs from its --config file (--config-from-file): edit the file; \
             the API is read-only"
                .into(),
        )
    })
}

/// Runs a database call off the async workers.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&ConfigDb) -> Result<T, String> + Send + 'static,
) -> Result<T, ApiError> {
    let config = state.config.clone();
    tokio::task::spawn_blocking(move || match config.db() {
        Some(db) => f(db).map_err(ApiError::Storage),
        None => Err(ApiError::Conflict("no config database".into())),
    })
    .await?
}

/// `GET /api/config`.
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminOnly,
    query: ConfigQueryResult,
) -> Result<Json<Value>, ApiError> {
    let (q, key) = parse(query)?;
    if state.config.db().is_none() {
        // From a file: the document as loaded, unversioned.
        let site = state
            .config
            .site(&key)
            .ok_or_else(|| ApiError::NotFound(format!("no site with writeKey {key:?}")))?;
        let config: Value = serde_json::from_slice(&site.json).unwrap_or(Value::Null);
        return Ok(Json(json!({
            "writeKey": key, "version": null, "source": "file",
            "warnings": config_problems(&config), "config": config,
        })));
    }
    let version = q.version;
    let k = key.clone();
    let found = blocking(&state, move |db| db.get(&k, version)).await?;
    found
        .map(|v| Json(v.to_json(false)))
        .ok_or_else(|| not_found(&key, version))
}

fn not_found(key: &str, version: Option<i64>) -> ApiError {
    match version {
        Some(n) => ApiError::NotFound(format!("site {key:?} has no version {n}")),
        None => ApiError::NotFound(format!("no site with writeKey {key:?}")),
    }
}

/// `GET /api/config/versions`.
pub async fn versions(
    State(state): State<AppState>,
    _admin: AdminOnly,
    query: ConfigQueryResult,
) -> Result<Json<Value>, ApiError> {
    let (_, key) = parse(query)?;
    db(&state)?;
    let k = key.clone();
    let history = blocking(&state, move |db| db.history(&k)).await?;
    if history.is_empty() {
        return Err(not_found(&key, None));
    }
    let list: Vec<Value> = history.iter().map(|v| v.to_json(true)).collect();
    Ok(Json(json!({ "writeKey": key, "versions": list })))
}

/// `GET /api/config/diff`.
pub async fn diff_versions(
    State(state): State<AppState>,
    _admin: AdminOnly,
    query: ConfigQueryResult,
) -> Result<Json<Value>, ApiError> {
    let (q, key) = parse(query)?;
    db(&state)?;
    let k = key.clone();
    let (from, to) = (q.from, q.to);
    let pair = blocking(&state, move |db| {
        let Some(to) = db.get(&k, to)? else {
            return Ok(Err(to));
        };
        let from_n = from.unwrap_or(to.version - 1);
        match db.get(&k, Some(from_n))? {
            Some(from) => Ok(Ok((from, to))),
            None => Ok(Err(Some(from_n))),
        }
    })
    .await?;
    let (from, to) = pair.map_err(|missing| not_found(&key, missing))?;
    Ok(Json(json!({
        "writeKey": key,
        "from": from.version,
        "to": to.version,
        "changes": diff(&from.config, &to.config),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Publish {
    config: Value,
    author: Option<String>,
    note: Option<String>,
    base_version: Option<i64>,
    #[serde(default)]
    acknowledge_warnings: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rollback {
    version: i64,
    author: Option<String>,
}

/// The request body as JSON, lone surrogates kept (as U+FFFD) and a syntax error named by
/// line and column.
pub(crate) fn body_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let text = crate::json_text::replace_lone_surrogates(body);
    serde_json::from_slice(&text).map_err(|e| ApiError::BadRequest(format!("body: {e}")))
}

fn label(value: Option<String>, field: &str, default: &str) -> Result<String, ApiError> {
    let v = value.unwrap_or_else(|| default.to_owned());
    if v.chars().count() > MAX_LABEL_CHARS {
        return Err(ApiError::BadRequest(format!(
            "{field}: longer than {MAX_LABEL_CHARS} characters"
        )));
    }
    Ok(v)
}

/// `PUT /api/config`.
pub async fn put(
    State(state): State<AppState>,
    _admin: AdminOnly,
    query: ConfigQueryResult,
    body: Bytes,
) -> Response {
    match put_inner(&state, query, &body).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn put_inner(
    state: &AppState,
    query: ConfigQueryResult,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (_, key) = parse(query)?;
    db(state)?;
    if key.chars().count() > MAX_KEY_CHARS
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ApiError::BadRequest(format!(
            "writeKey: letters, digits, - and _ only, at most {MAX_KEY_CHARS}"
        )));
    }
    let req: Publish = body_json(body)?;
    if !req.config.is_object() {
        return Err(ApiError::BadRequest(
            "config: expected an object (the site's config document)".into(),
        ));
    }
    let warnings = config_problems(&req.config);
    if !warnings.is_empty() && !req.acknowledge_warnings {
        return Ok((
            StatusCode::CONFLICT,
            Json(json!({
                "error": format!(
                    "the browser module would warn about {} problem(s) in this config and skip \
                     what they name; fix them, or publish with \"acknowledgeWarnings\": true",
                    warnings.len()
                ),
                "warnings": warnings,
            })),
        )
            .into_response());
    }
    let author = label(req.author, "author", "admin")?;
    let note = req.note.map(|n| label(Some(n), "note", "")).transpose()?;
    let version = publish(
        state,
        key,
        req.config,
        author,
        warnings,
        note,
        req.base_version,
    )
    .await?;
    Ok(Json(version.to_json(false)).into_response())
}

/// `POST /api/config/rollback`.
pub async fn rollback(
    State(state): State<AppState>,
    _admin: AdminOnly,
    query: ConfigQueryResult,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let (_, key) = parse(query)?;
    db(&state)?;
    let req: Rollback = body_json(&body)?;
    let author = label(req.author, "author", "admin")?;
    let (k, n) = (key.clone(), req.version);
    let old = blocking(&state, move |db| db.get(&k, Some(n)))
        .await?
        .ok_or_else(|| not_found(&key, Some(n)))?;
    let warnings = config_problems(&old.config);
    let note = format!("rollback to version {n}");
    let version = publish(&state, key, old.config, author, warnings, Some(note), None).await?;
    Ok(Json(version.to_json(false)))
}

async fn publish(
    state: &AppState,
    key: String,
    config: Value,
    author: String,
    warnings: Vec<String>,
    note: Option<String>,
    base: Option<i64>,
) -> Result<Version, ApiError> {
    let store = state.config.clone();
    tokio::task::spawn_blocking(move || {
        let db = store
            .db()
            .ok_or_else(|| ApiError::Conflict("no config database".into()))?;
        let version = db
            .publish(&key, &config, &author, &warnings, note.as_deref(), base)
            .map_err(|e| match e {
                PublishError::Stale(latest) => ApiError::Conflict(format!(
                    "baseVersion: the site is at version {latest} now; reload, merge and \
                     publish again"
                )),
                PublishError::Db(e) => ApiError::Storage(e),
            })?;
        store.install(&version);
        Ok(version)
    })
    .await?
}
