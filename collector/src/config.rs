//! Site configuration: each writeKey's config object, served as-is; the collector reads
//! `allowedOrigins` itself (for CORS and to refuse events from other pages).
//!
//! Two sources. By default the configs live in the database, versioned
//! ([`crate::config_db`]): a fresh database is seeded from the `--config` file, the admin
//! API publishes new versions, and each publish replaces that site's entry in memory at
//! once (no restart, new ETag). With `--config-from-file` the file stays the source of
//! truth, as before: product teams edit it while the collector runs, so every lookup first
//! compares the file's mtime and length with the loaded copy and re-reads it when they
//! changed (a stat per request is far cheaper than the requests it serves); a file that
//! fails to parse after an edit keeps the last good copy live, so a half-saved file never
//! takes every site down.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use serde_json::Value;

use crate::config_db::{ConfigDb, Version};
use crate::http_util::strong_etag;
use crate::json_text::replace_lone_surrogates;

/// One site's config, pre-serialized so each request serves bytes with a stable ETag.
#[derive(Debug)]
pub struct Site {
    /// The document as published (the editor, reports and beacon replay read it).
    pub json: Vec<u8>,
    /// What `/v1/config/{writeKey}` serves the browser: the document as read and compiled
    /// (`Config::served`), which the module reads without checks.
    pub served: Vec<u8>,
    /// The ETag of `served`.
    pub etag: String,
    /// `None` means the config has no `allowedOrigins`: any origin may call.
    pub allowed_origins: Option<Vec<String>>,
}

impl Site {
    pub fn allows_origin(&self, origin: &str) -> bool {
        match &self.allowed_origins {
            None => true,
            Some(list) => list.iter().any(|o| o == "*" || o == origin),
        }
    }
}

pub type Sites = HashMap<String, Arc<Site>>;

/// File identity used to notice edits without reading the file.
type Stamp = Option<(SystemTime, u64)>;

struct Loaded {
    stamp: Stamp,
    sites: Arc<Sites>,
}

pub struct ConfigStore {
    source: Source,
}

enum Source {
    File {
        path: PathBuf,
        loaded: RwLock<Loaded>,
    },
    Db {
        db: ConfigDb,
        sites: RwLock<Arc<Sites>>,
    },
}

impl ConfigStore {
    /// Configs from the database at `db`, versioned; a database with none yet is seeded
    /// from the config file at `seed` (a missing file seeds nothing, with a warning).
    pub fn open_db(db: &Path, seed: &Path) -> Result<Self, String> {
        let db = ConfigDb::open(db)?;
        if db.is_empty()? {
            seed_from(&db, seed)?;
        }
        let mut sites = Sites::new();
        for version in db.latest_all()? {
            sites.insert(
                version.write_key.clone(),
                Arc::new(site_of(&version.write_key, &version.config)),
            );
        }
        Ok(ConfigStore {
            source: Source::Db {
                db,
                sites: RwLock::new(Arc::new(sites)),
            },
        })
    }

    /// The versioned store, when configs live in the database.
    pub fn db(&self) -> Option<&ConfigDb> {
        match &self.source {
            Source::Db { db, .. } => Some(db),
            Source::File { .. } => None,
        }
    }

    /// Serves `version` from now on (after a publish).
    pub fn install(&self, version: &Version) {
        if let Source::Db { sites, .. } = &self.source {
            let site = Arc::new(site_of(&version.write_key, &version.config));
            let mut sites = sites.write().unwrap_or_else(|p| p.into_inner());
            let mut next = Sites::clone(&sites);
            next.insert(version.write_key.clone(), site);
            *sites = Arc::new(next);
        }
    }

    /// Configs from the file at `path`, re-read when it changes. A missing or broken file
    /// starts the collector with no sites and one warning, so a fresh checkout still comes
    /// up and explains itself.
    pub fn open(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let stamp = stamp_of(&path);
        let sites = if stamp.is_none() {
            warn(&format!(
                "config file {} not found; starting with no sites",
                path.display()
            ));
            Sites::new()
        } else {
            read_sites(&path).unwrap_or_else(|e| {
                warn(&format!("{e}; starting with no sites"));
                Sites::new()
            })
        };
        ConfigStore {
            source: Source::File {
                path,
                loaded: RwLock::new(Loaded {
                    stamp,
                    sites: Arc::new(sites),
                }),
            },
        }
    }

    /// The current sites: from memory, or re-reading the file first if it changed on disk.
    pub fn sites(&self) -> Arc<Sites> {
        let (path, loaded) = match &self.source {
            Source::Db { sites, .. } => {
                return sites.read().unwrap_or_else(|p| p.into_inner()).clone();
            }
            Source::File { path, loaded } => (path, loaded),
        };
        let stamp = stamp_of(path);
        {
            let loaded = loaded.read().unwrap_or_else(|p| p.into_inner());
            if loaded.stamp == stamp || stamp.is_none() {
                // Unchanged, or briefly missing while an editor swaps files: keep serving.
                return loaded.sites.clone();
            }
        }
        let mut loaded = loaded.write().unwrap_or_else(|p| p.into_inner());
        if loaded.stamp != stamp {
            loaded.stamp = stamp;
            match read_sites(path) {
                Ok(sites) => {
                    eprintln!(
                        "engagekit collector: reloaded {} ({} sites)",
                        path.display(),
                        sites.len()
                    );
                    loaded.sites = Arc::new(sites);
                }
                Err(e) => warn(&format!("{e}; keeping the previous config")),
            }
        }
        loaded.sites.clone()
    }

    pub fn site(&self, write_key: &str) -> Option<Arc<Site>> {
        self.sites().get(write_key).cloned()
    }
}

fn warn(msg: &str) {
    eprintln!("engagekit collector: warning: {msg}");
}

fn stamp_of(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn read_sites(path: &Path) -> Result<Sites, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    parse_sites(&text).map_err(|e| format!("config file {}: {e}", path.display()))
}

/// Publishes each site of the file at `path` as its version 1 (a fresh database).
fn seed_from(db: &ConfigDb, path: &Path) -> Result<(), String> {
    if stamp_of(path).is_none() {
        warn(&format!(
            "config file {} not found; starting with no sites (publish them with PUT /api/config)",
            path.display()
        ));
        return Ok(());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    let docs = parse_docs(&text).map_err(|e| format!("config file {}: {e}", path.display()))?;
    let author = format!("seeded from {}", path.display());
    for (key, cfg) in docs {
        let warnings = config_problems(&cfg);
        db.publish(&key, &cfg, &author, &warnings, None, Some(0))
            .map_err(|e| format!("cannot seed site {key}: {e:?}"))?;
    }
    Ok(())
}

/// The file's sites: writeKey → document. A site that is not an object is skipped with a
/// warning rather than failing the file, so one team's typo does not take the others down.
fn parse_docs(text: &str) -> Result<Vec<(String, Value)>, String> {
    let root: Value = serde_json::from_slice(&replace_lone_surrogates(text.as_bytes()))
        .map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(map) = root else {
        return Err("expected an object mapping writeKey to site config".into());
    };
    Ok(map
        .into_iter()
        .filter(|(key, cfg)| {
            let ok = cfg.is_object();
            if !ok {
                warn(&format!("{key}: expected an object; site skipped"));
            }
            ok
        })
        .collect())
}

/// Parses the whole file (see [`parse_docs`]).
pub fn parse_sites(text: &str) -> Result<Sites, String> {
    Ok(parse_docs(text)?
        .into_iter()
        .map(|(key, cfg)| {
            let site = Arc::new(site_of(&key, &cfg));
            (key, site)
        })
        .collect())
}

/// One site as served: its bytes, their ETag, its allowed origins. Warns about what the
/// browser module will warn about.
fn site_of(key: &str, cfg: &Value) -> Site {
    let allowed_origins = match cfg.get("allowedOrigins") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(origins_of(key, items)),
        Some(_) => {
            // Fail closed: a mistyped allow-list must not silently allow everyone.
            warn(&format!(
                "{key}.allowedOrigins: expected an array of strings; no origin allowed"
            ));
            Some(Vec::new())
        }
    };
    let (config, problems) = read(cfg);
    for problem in problems {
        warn(&format!("{key}: {problem}"));
    }
    let json = serde_json::to_vec(cfg).unwrap_or_else(|_| b"{}".to_vec());
    let served = serde_json::to_vec(&config.served()).unwrap_or_else(|_| b"{}".to_vec());
    let etag = strong_etag(&served);
    Site {
        json,
        served,
        etag,
        allowed_origins,
    }
}

/// The config as the browser module runs it, and each problem with its path and what
/// happens about it. A document that is not JSON the core can hold runs as the defaults.
fn read(cfg: &Value) -> (engagekit::config::Config, Vec<String>) {
    let core: engagekit::json::Value = match serde_json::from_value(cfg.clone()) {
        Ok(v) => v,
        Err(e) => return (Default::default(), vec![e.to_string()]),
    };
    let (config, problems) =
        engagekit::config::Config::from_value(&core, &engagekit::regex::RegressEngine::default());
    (config, problems.iter().map(ToString::to_string).collect())
}

/// What the browser module will warn about this site config, each problem with its path
/// and what the browser does about it.
pub fn config_problems(cfg: &Value) -> Vec<String> {
    read(cfg).1
}

fn origins_of(key: &str, items: &[Value]) -> Vec<String> {
    items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| match v.as_str() {
            Some(s) => Some(s.trim_end_matches('/').to_owned()),
            None => {
                warn(&format!(
                    "{key}.allowedOrigins[{i}]: expected a string; ignored"
                ));
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_configs_are_checked_with_the_browser_modules_reader() {
        let bad: Value = serde_json::from_str(
            r#"{"tracking":{"flushAt":"ten"},"content":{"slots":{"hero":{"rules":[{"if":{"a":{"$bad":1}},"variant":"x"}]}}}}"#,
        )
        .unwrap();
        let problems = config_problems(&bad);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("tracking.flushAt"), "{problems:?}");
        assert!(
            problems[1].contains("content.slots.hero.rules[0].if")
                && problems[1].contains("never matches"),
            "{problems:?}"
        );
        let good: Value =
            serde_json::from_str(r#"{"tracking":{"flushAt":3},"allowedOrigins":[]}"#).unwrap();
        assert_eq!(config_problems(&good), Vec::<String>::new());
        let demo: Value = serde_json::from_str(include_str!("../../config/demo.json")).unwrap();
        for (key, site) in demo.as_object().unwrap() {
            assert_eq!(
                config_problems(site),
                Vec::<String>::new(),
                "demo site {key}"
            );
        }
    }

    #[test]
    fn absent_allowed_origins_allows_any_origin() {
        let sites = parse_sites(r#"{"k": {"tracking": {}}}"#).unwrap();
        assert!(sites["k"].allows_origin("https://anywhere.example"));
    }

    #[test]
    fn allowed_origins_ignores_a_trailing_slash_in_the_config() {
        let sites = parse_sites(r#"{"k": {"allowedOrigins": ["https://a.example/"]}}"#).unwrap();
        assert!(sites["k"].allows_origin("https://a.example"));
        assert!(!sites["k"].allows_origin("https://b.example"));
    }

    #[test]
    fn mistyped_allowed_origins_allows_no_origin() {
        let sites = parse_sites(r#"{"k": {"allowedOrigins": "https://a.example"}}"#).unwrap();
        assert!(!sites["k"].allows_origin("https://a.example"));
    }

    #[test]
    fn a_site_that_is_not_an_object_is_skipped_not_fatal() {
        let sites = parse_sites(r#"{"bad": 3, "good": {}}"#).unwrap();
        assert!(sites.contains_key("good"));
        assert!(!sites.contains_key("bad"));
    }

    #[test]
    fn etag_changes_when_what_is_served_changes() {
        let a = parse_sites(r#"{"k": {"tracking": {"flushAt": 1}}}"#).unwrap();
        let b = parse_sites(r#"{"k": {"tracking": {"flushAt": 2}}}"#).unwrap();
        assert_ne!(a["k"].etag, b["k"].etag);
        assert!(a["k"].etag.starts_with('"') && a["k"].etag.ends_with('"'));
        // A key the module ignores serves the same bytes: browsers keep their copy.
        let c = parse_sites(r#"{"k": {"tracking": {"flushAt": 1}, "x": 1}}"#).unwrap();
        assert_eq!(a["k"].etag, c["k"].etag);
    }
}
