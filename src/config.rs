//! The site configuration: one JSON document, deserialised once into typed structs.
//!
//! Parsing never panics and never half-succeeds: a bad document yields one error that names
//! the JSON path of the first bad field (`tracking.flushAt: invalid type: string "x", expected
//! u32`), and the shell falls back to the defaults. This module knows nothing of where the
//! document came from (inline, fetched, a test file).

use serde::Deserialize;

use crate::json::Map;

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
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Config {
    /// Batching, autocapture and queue bounds.
    pub tracking: Tracking,
    /// Consent and Do-Not-Track handling.
    pub privacy: Privacy,
    /// Engagement score weights and decay.
    pub score: ScoreConfig,
    /// Origins the collector accepts events from; the browser module ignores it.
    pub allowed_origins: Option<Vec<String>>,
}

/// How events are batched and what is captured automatically.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
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
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
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
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
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
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
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
    /// Reads a configuration from any serde deserializer, naming the path of a bad field.
    pub fn from_deserializer<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Config, ConfigError> {
        let config: Config = serde_path_to_error::deserialize(d).map_err(|e| {
            let path = e.path().to_string();
            ConfigError {
                path,
                message: e.into_inner().to_string(),
            }
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks ranges that types alone cannot express.
    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |path: &str, message: &str| {
            Err(ConfigError {
                path: path.to_owned(),
                message: message.to_owned(),
            })
        };
        let t = &self.tracking;
        if t.flush_at == 0 {
            return bad("tracking.flushAt", "must be at least 1");
        }
        if t.max_queue_events == 0 {
            return bad("tracking.maxQueueEvents", "must be at least 1");
        }
        if t.max_queue_bytes < crate::batch::MAX_EVENT_BYTES as u32 {
            return bad("tracking.maxQueueBytes", "must be at least 32768");
        }
        if t.session_timeout_minutes == 0 {
            return bad("tracking.sessionTimeoutMinutes", "must be at least 1");
        }
        let s = &self.score;
        if !(s.half_life_days.is_finite() && s.half_life_days > 0.0) {
            return bad("score.halfLifeDays", "must be a positive number");
        }
        if !(s.scale.is_finite() && s.scale > 0.0) {
            return bad("score.scale", "must be a positive number");
        }
        for (name, w) in &s.weights {
            if !w.as_f64().is_some_and(f64::is_finite) {
                return Err(ConfigError {
                    path: format!("score.weights.{name}"),
                    message: "expected a number".to_owned(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let mut de = serde_json::Deserializer::from_str(text);
        Config::from_deserializer(&mut de)
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
        assert!(e.message.contains("invalid type"), "{}", e.message);
    }

    #[test]
    fn unknown_field_names_the_path_so_typos_are_caught() {
        let e = parse(r#"{"tracking":{"flushEvery":3}}"#).unwrap_err();
        assert_eq!(e.path, "tracking.flushEvery");
        assert!(e.message.contains("unknown field"), "{}", e.message);
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
    fn negative_half_life_is_refused() {
        let e = parse(r#"{"score":{"halfLifeDays":-1}}"#).unwrap_err();
        assert_eq!(e.path, "score.halfLifeDays");
    }

    #[test]
    fn not_an_object_is_refused() {
        let e = parse("[1]").unwrap_err();
        assert!(e.message.contains("invalid type"), "{}", e.message);
    }
}
