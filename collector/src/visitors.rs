//! `GET /v1/visitors/{writeKey}/{userId}?hash=HEX`: an identified visitor's own state, so
//! their checklist progress and survey history follow them to another browser.
//!
//! The state is rebuilt from the events stored for that userId with the module's own core
//! ([`Progress::from_events`], [`History::from_events`]). Only a request carrying the
//! visitor's identity hash is answered: HMAC-SHA256 of the userId with the site's identity
//! secret, in hex, computed by the site's own server and handed to its page (as Intercom's
//! identity verification does). The secret is the site's own ([`crate::identity`]), else the
//! collector's (`ENGAGEKIT_IDENTITY_SECRET`), and never reaches a browser; with neither set,
//! the endpoint answers 404 and progress stays on each device. No one reads another visitor's state: a wrong or missing hash gets 403
//! or 401 and nothing else.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engagekit::checklist::Progress;
use engagekit::config::Config;
use engagekit::json::{Map, Value as CoreValue};
use engagekit::regex::RegressEngine;
use engagekit::survey::History;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Map as JsonMap};
use sha2::Sha256;

use crate::app::AppState;
use crate::config_db::now_ms;
use crate::error::ApiError;

/// The environment variable that sets the identity secret.
pub const IDENTITY_ENV: &str = "ENGAGEKIT_IDENTITY_SECRET";
/// Shortest identity secret accepted (as for the admin secret).
pub const MIN_SECRET_CHARS: usize = 24;

#[derive(Debug, Deserialize)]
pub struct VisitorParams {
    hash: Option<String>,
}

/// The identity hash of `user_id`: HMAC-SHA256 with `secret`, lowercase hex. What the site's
/// server computes (e.g. in Node: `crypto.createHmac('sha256', secret).update(userId)
/// .digest('hex')`).
pub fn user_hash(secret: &[u8], user_id: &str) -> String {
    let mut mac = mac(secret);
    mac.update(user_id.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length; this never fails.
    <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!())
}

/// Whether `hash` (hex, either case) is `user_id`'s identity hash, compared in constant
/// time.
pub fn verify(secret: &[u8], user_id: &str, hash: &str) -> bool {
    let Some(bytes) = hex(hash) else {
        return false;
    };
    let mut mac = mac(secret);
    mac.update(user_id.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The visitor's checklist progress (by checklist of the site's config) and survey history.
pub async fn get_visitor(
    State(state): State<AppState>,
    Path((write_key, user_id)): Path<(String, String)>,
    Query(q): Query<VisitorParams>,
) -> Result<Response, ApiError> {
    let site = state
        .config
        .site(&write_key)
        .ok_or_else(|| ApiError::NotFound(format!("no site config for writeKey {write_key:?}")))?;
    let secrets = state.identity.valid(&write_key, now_ms());
    if secrets.is_empty() {
        return Err(ApiError::NotFound(format!(
            "identity verification is not set up for this site (POST /api/identity-secret, \
             or {IDENTITY_ENV} for every site)"
        )));
    }
    let hash = q.hash.filter(|h| !h.is_empty()).ok_or_else(|| {
        ApiError::Unauthorized("hash: required, the visitor's identity hash".into())
    })?;
    if !secrets
        .iter()
        .any(|s| verify(s.as_bytes(), &user_id, &hash))
    {
        return Err(ApiError::Forbidden(
            "hash: not this visitor's identity hash".into(),
        ));
    }
    let rows = state
        .store
        .visitor_events(write_key.clone(), user_id.clone())
        .await?;
    let events: Vec<(String, Map, f64)> = rows
        .into_iter()
        .filter_map(|(name, json, at)| {
            let props: CoreValue = serde_json::from_value(json.get("properties")?.clone()).ok()?;
            Some((name, props.as_object()?.clone(), at))
        })
        .collect();
    let borrowed = || events.iter().map(|(n, p, at)| (n.as_str(), p, *at));
    let config: Option<CoreValue> = serde_json::from_slice(&site.json).ok();
    let mut checklists = JsonMap::new();
    if let Some(config) = config {
        let (config, _) = Config::from_value(&config, &RegressEngine::default());
        for c in &config.checklists.list {
            let p = Progress::from_events(&c.id, borrowed());
            checklists.insert(
                c.id.clone(),
                serde_json::to_value(p.to_value()).unwrap_or_default(),
            );
        }
    }
    let surveys = History::from_events(borrowed()).encode();
    let mut res = Json(json!({
        "userId": user_id,
        "checklists": checklists,
        "surveys": surveys,
    }))
    .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_hmac_sha256_in_hex_and_only_the_right_one_verifies() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            user_hash(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let secret = b"a site secret of enough length";
        let good = user_hash(secret, "user-1");
        assert!(verify(secret, "user-1", &good));
        assert!(verify(secret, "user-1", &good.to_uppercase()));
        assert!(!verify(secret, "user-2", &good), "another visitor's hash");
        assert!(!verify(b"another secret of enough length", "user-1", &good));
        assert!(!verify(secret, "user-1", &good[..62]), "truncated");
        assert!(!verify(secret, "user-1", "zz"), "not hex");
        assert!(!verify(secret, "user-1", &"é".repeat(32)), "not ascii");
    }
}
