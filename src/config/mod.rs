//! The site configuration: one JSON document, deserialised once into typed structs.
//!
//! Reading never panics and never half-succeeds: a bad document yields one error that names
//! the JSON path of the first bad field (`tracking.flushAt: expected a whole number ≥ 1, got
//! a string`), and the shell falls back to the defaults. Unknown keys are errors too, so a
//! typo does not silently do nothing. The document arrives as a [`Value`] (the browser parsed
//! it), so no serde code is compiled into the wasm for it.

pub(crate) mod read;

pub use read::kind;
use read::Obj;

use crate::attributes::Audience;
use crate::content::Content;
use crate::json::{Map, Value};
use crate::regex::RegexEngine;

/// A configuration problem, with the JSON path of the field at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// Dotted path to the bad field, `.` when the whole document is wrong.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "config {}: {}", self.path, self.message)
    }
}

/// The whole site configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// Batching, autocapture and queue bounds.
    pub tracking: Tracking,
    /// Consent and Do-Not-Track handling.
    pub privacy: Privacy,
    /// Engagement score weights and decay.
    pub score: ScoreConfig,
    /// Origins the collector accepts events from; the browser module ignores it.
    pub allowed_origins: Option<Vec<String>>,
    /// Tiers, lifecycle thresholds and saved groups for audience conditions.
    pub audience: Audience,
    /// Personalised content slots.
    pub content: Content,
}

/// How events are batched and what is captured automatically.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracking {
    /// Send as soon as this many events are queued.
    pub flush_at: u32,
    /// Send at most this long after the oldest queued event was tracked.
    pub flush_interval_ms: u32,
    /// What is tracked without a call from the page.
    pub autocapture: Autocapture,
    /// Bound on the persisted queue, in events.
    pub max_queue_events: u32,
    /// Bound on the persisted queue, in bytes of JSON.
    pub max_queue_bytes: u32,
    /// Inactivity after which a new session starts.
    pub session_timeout_minutes: u32,
}

impl Default for Tracking {
    fn default() -> Self {
        Tracking {
            flush_at: 20,
            flush_interval_ms: 5_000,
            autocapture: Autocapture::default(),
            max_queue_events: 1_000,
            max_queue_bytes: 500_000,
            session_timeout_minutes: 30,
        }
    }
}

/// Automatic tracking switches.
#[derive(Debug, Clone, PartialEq)]
pub struct Autocapture {
    /// A `page` event on load and on every SPA navigation.
    pub pageviews: bool,
    /// An `Element Clicked` event for clicks on links and buttons.
    pub clicks: bool,
}

impl Default for Autocapture {
    fn default() -> Self {
        Autocapture {
            pageviews: true,
            clicks: false,
        }
    }
}

/// Consent and browser privacy signals.
#[derive(Debug, Clone, PartialEq)]
pub struct Privacy {
    /// Nothing is sent or persisted until `consent('granted')`.
    pub require_consent: bool,
    /// Treat Do-Not-Track and Global Privacy Control as a refusal.
    pub honor_dnt: bool,
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            require_consent: false,
            honor_dnt: true,
        }
    }
}

/// Engagement score: event weights decaying with a half-life.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreConfig {
    /// Points per event name; `Page Viewed` weighs page views. Unlisted events weigh 0.
    pub weights: Map,
    /// Time for accumulated points to halve.
    pub half_life_days: f64,
    /// Raw points at which the 0-100 score reaches 63 (1 - 1/e); sets how fast it saturates.
    pub scale: f64,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            weights: Map::new(),
            half_life_days: 7.0,
            scale: 50.0,
        }
    }
}

impl Config {
    /// Reads a configuration document, naming the path of the first bad field. `re` checks
    /// the regular expressions in audience conditions.
    pub fn from_value(v: &Value, re: &dyn RegexEngine) -> Result<Config, ConfigError> {
        let root = Obj::new(v, "")?;
        let config = Config {
            tracking: section(&root, "tracking", Tracking::parse)?,
            privacy: section(&root, "privacy", Privacy::parse)?,
            score: section(&root, "score", ScoreConfig::parse)?,
            allowed_origins: match root.map.get("allowedOrigins") {
                None => None,
                Some(Value::Array(a)) if a.iter().all(|o| o.as_str().is_some()) => Some(
                    a.iter()
                        .filter_map(|o| o.as_str().map(str::to_owned))
                        .collect(),
                ),
                Some(_) => return Err(root.error("allowedOrigins", "expected an array of strings")),
            },
            audience: audience(&root)?,
            content: content(&root, re)?,
        };
        root.no_other_keys(&[
            "tracking",
            "privacy",
            "score",
            "allowedOrigins",
            "audience",
            "content",
        ])?;
        Ok(config)
    }
}

/// The section under `key`, read by `parse`; the defaults when absent.
fn section<T: Default>(
    root: &Obj,
    key: &str,
    parse: fn(&Obj) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    match root.obj(key)? {
        None => Ok(T::default()),
        Some(o) => parse(&o),
    }
}

/// `audience`: read by the build with audiences; the tracking module ignores it.
fn audience(root: &Obj) -> Result<Audience, ConfigError> {
    #[cfg(feature = "content")]
    return section(root, "audience", Audience::parse);
    #[cfg(not(feature = "content"))]
    {
        root.obj("audience")?;
        Ok(Audience::default())
    }
}

/// `content`: read by the build with content slots; the tracking module ignores it.
fn content(root: &Obj, re: &dyn RegexEngine) -> Result<Content, ConfigError> {
    #[cfg(feature = "content")]
    return match root.obj("content")? {
        None => Ok(Content::default()),
        Some(o) => crate::content::parse(&o, re),
    };
    #[cfg(not(feature = "content"))]
    {
        let _ = re;
        root.obj("content")?;
        Ok(Content::default())
    }
}

impl Tracking {
    fn parse(t: &Obj) -> Result<Tracking, ConfigError> {
        let d = Tracking::default();
        let tracking = Tracking {
            flush_at: t.count("flushAt", d.flush_at, 1)?,
            flush_interval_ms: t.count("flushIntervalMs", d.flush_interval_ms, 0)?,
            autocapture: section(t, "autocapture", Autocapture::parse)?,
            max_queue_events: t.count("maxQueueEvents", d.max_queue_events, 1)?,
            max_queue_bytes: t.count(
                "maxQueueBytes",
                d.max_queue_bytes,
                crate::batch::MAX_EVENT_BYTES as u32,
            )?,
            session_timeout_minutes: t.count(
                "sessionTimeoutMinutes",
                d.session_timeout_minutes,
                1,
            )?,
        };
        t.no_other_keys(&[
            "flushAt",
            "flushIntervalMs",
            "autocapture",
            "maxQueueEvents",
            "maxQueueBytes",
            "sessionTimeoutMinutes",
        ])?;
        Ok(tracking)
    }
}

impl Autocapture {
    fn parse(a: &Obj) -> Result<Autocapture, ConfigError> {
        let d = Autocapture::default();
        let out = Autocapture {
            pageviews: a.flag("pageviews", d.pageviews)?,
            clicks: a.flag("clicks", d.clicks)?,
        };
        a.no_other_keys(&["pageviews", "clicks"])?;
        Ok(out)
    }
}

impl Privacy {
    fn parse(p: &Obj) -> Result<Privacy, ConfigError> {
        let d = Privacy::default();
        let privacy = Privacy {
            require_consent: p.flag("requireConsent", d.require_consent)?,
            honor_dnt: p.flag("honorDnt", d.honor_dnt)?,
        };
        p.no_other_keys(&["requireConsent", "honorDnt"])?;
        Ok(privacy)
    }
}

impl ScoreConfig {
    fn parse(sc: &Obj) -> Result<ScoreConfig, ConfigError> {
        let d = ScoreConfig::default();
        let weights = match sc.obj("weights")? {
            None => Map::new(),
            Some(w) => {
                for (name, weight) in w.map {
                    if !weight.as_f64().is_some_and(f64::is_finite) {
                        return Err(w.error(name, "expected a number"));
                    }
                }
                w.map.clone()
            }
        };
        let score = ScoreConfig {
            weights,
            half_life_days: sc.positive("halfLifeDays", d.half_life_days)?,
            scale: sc.positive("scale", d.scale)?,
        };
        sc.no_other_keys(&["weights", "halfLifeDays", "scale"])?;
        Ok(score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_value(
            &serde_json::from_str(text).unwrap(),
            &crate::regex::RegressEngine::default(),
        )
    }

    #[test]
    fn empty_document_gives_the_documented_defaults() {
        let c = parse("{}").unwrap();
        assert_eq!(c.tracking.flush_at, 20);
        assert_eq!(c.tracking.flush_interval_ms, 5000);
        assert!(c.tracking.autocapture.pageviews);
        assert!(!c.tracking.autocapture.clicks);
        assert!(c.privacy.honor_dnt);
        assert!(!c.privacy.require_consent);
        assert_eq!(c.score.half_life_days, 7.0);
    }

    #[test]
    fn wrong_type_names_the_path() {
        let e = parse(r#"{"tracking":{"flushAt":"ten"}}"#).unwrap_err();
        assert_eq!(e.path, "tracking.flushAt");
        assert!(e.message.contains("got a string"), "{}", e.message);
    }

    #[test]
    fn unknown_field_names_the_path_so_typos_are_caught() {
        let e = parse(r#"{"tracking":{"flushEvery":3}}"#).unwrap_err();
        assert_eq!(e.path, "tracking.flushEvery");
        assert!(e.message.contains("unknown key"), "{}", e.message);
        assert!(
            e.message.contains("flushAt"),
            "lists the known keys: {}",
            e.message
        );
    }

    #[test]
    fn zero_flush_at_is_refused() {
        let e = parse(r#"{"tracking":{"flushAt":0}}"#).unwrap_err();
        assert_eq!(e.path, "tracking.flushAt");
    }

    #[test]
    fn non_numeric_weight_is_refused_with_its_event_name() {
        let e = parse(r#"{"score":{"weights":{"Signed Up":"lots"}}}"#).unwrap_err();
        assert_eq!(e.path, "score.weights.Signed Up");
    }

    #[test]
    fn fractional_counts_and_wrong_flags_are_refused() {
        assert_eq!(
            parse(r#"{"tracking":{"flushIntervalMs":1.5}}"#)
                .unwrap_err()
                .path,
            "tracking.flushIntervalMs"
        );
        assert_eq!(
            parse(r#"{"tracking":{"autocapture":{"clicks":"yes"}}}"#)
                .unwrap_err()
                .path,
            "tracking.autocapture.clicks"
        );
        assert_eq!(
            parse(r#"{"privacy":{"honorDnt":1}}"#).unwrap_err().path,
            "privacy.honorDnt"
        );
        assert_eq!(
            parse(r#"{"tracking":{"maxQueueBytes":100}}"#)
                .unwrap_err()
                .path,
            "tracking.maxQueueBytes"
        );
        assert_eq!(
            parse(r#"{"allowedOrigins":"*"}"#).unwrap_err().path,
            "allowedOrigins"
        );
    }

    #[test]
    fn a_full_document_is_read() {
        let c = parse(
            r#"{"tracking":{"flushAt":5,"flushIntervalMs":300,"autocapture":{"pageviews":false,"clicks":true},
                "maxQueueEvents":50,"maxQueueBytes":100000,"sessionTimeoutMinutes":10},
                "privacy":{"requireConsent":true,"honorDnt":false},
                "score":{"weights":{"Signed Up":10},"halfLifeDays":3,"scale":20},
                "allowedOrigins":["https://a.test"]}"#,
        )
        .unwrap();
        assert_eq!(c.tracking.flush_at, 5);
        assert_eq!(c.tracking.flush_interval_ms, 300);
        assert!(!c.tracking.autocapture.pageviews && c.tracking.autocapture.clicks);
        assert_eq!(c.tracking.max_queue_events, 50);
        assert_eq!(c.tracking.max_queue_bytes, 100_000);
        assert_eq!(c.tracking.session_timeout_minutes, 10);
        assert!(c.privacy.require_consent && !c.privacy.honor_dnt);
        assert_eq!(c.score.half_life_days, 3.0);
        assert_eq!(c.score.scale, 20.0);
        assert_eq!(c.score.weights.get("Signed Up"), Some(&Value::Number(10.0)));
        assert_eq!(c.allowed_origins, Some(vec!["https://a.test".to_string()]));
    }

    #[test]
    fn negative_half_life_is_refused() {
        let e = parse(r#"{"score":{"halfLifeDays":-1}}"#).unwrap_err();
        assert_eq!(e.path, "score.halfLifeDays");
    }

    #[test]
    fn not_an_object_is_refused() {
        let e = parse("[1]").unwrap_err();
        assert_eq!(e.path, ".");
        assert!(e.message.contains("got an array"), "{}", e.message);
    }
}
