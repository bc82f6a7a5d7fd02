//! The site configuration: one JSON document, deserialised once into typed structs.
//!
//! Reading never panics: each problem names the JSON path of the bad field
//! (`tracking.flushAt: expected a whole number of at least 1, got a string`; the browser's
//! build, without `validate`, says only what was expected and shortens a few long messages)
//! and falls back as [`Config::from_value`] says. With `validate` unknown keys are errors
//! too, so a typo does not silently do nothing. The document arrives as a [`Value`] (the
//! browser parsed it), so no serde code is compiled into the wasm for it.

use crate::prelude::*;
pub mod compact;
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

/// A problem found while reading, boxed so that passing it up (`?`) moves one pointer: a
/// bare `ConfigError` is two `String`s, and every `?` copied them, ~30 B of wasm a field.
pub(crate) type Bad = Box<ConfigError>;

impl ConfigError {
    /// The same problem, saying what engagekit does about it.
    pub fn then(mut self, consequence: &str) -> ConfigError {
        self.message.push_str("; ");
        self.message.push_str(consequence);
        self
    }
}

/// Adds `e` to `problems`, saying what engagekit does about it (one copy of the code for
/// every place that reports). Takes the box as every reader returns it: unboxing at each
/// call site is the code this saves.
#[allow(clippy::boxed_local)]
#[inline(never)]
pub(crate) fn report(problems: &mut Vec<ConfigError>, e: Bad, consequence: &str) {
    problems.push(e.then(consequence));
}

impl ConfigError {
    /// `config <path>: <message>`, for the console.
    pub fn text(&self) -> String {
        crate::text::cat(&["config ", &self.path, ": ", &self.message])
    }
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.text())
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
    /// NPS surveys and the cap every prompt shares.
    #[cfg(feature = "surveys")]
    pub surveys: crate::survey::Surveys,
    /// Onboarding checklists.
    #[cfg(feature = "checklists")]
    pub checklists: crate::checklist::Checklists,
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

impl Privacy {
    /// What applies when the site's privacy settings cannot be read: the strictest, so a typo
    /// never sends events the site meant to hold until consent.
    pub const FAIL_CLOSED: Privacy = Privacy {
        require_consent: true,
        honor_dnt: true,
    };
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
    /// Reads a configuration document. Problems stay local and are all reported, each naming
    /// its path: a section that cannot be read falls back to its defaults (`privacy` fails
    /// closed: consent required), an unknown top-level key is ignored, and inside `content` a
    /// bad slot shows the page's default and a bad rule never matches. So a typo in one place
    /// never switches off the rest of the document. `re` checks the regular expressions in
    /// audience conditions.
    pub fn from_value(v: &Value, re: &dyn RegexEngine) -> (Config, Vec<ConfigError>) {
        let mut problems = Vec::new();
        let root = match Obj::new(v, "") {
            Ok(root) => root,
            Err(e) => return (Config::default(), vec![*e]),
        };
        // A loop that pushes, not a collecting chain: less wasm.
        let allowed_origins = root.map.get("allowedOrigins").map(|v| {
            let list = match v {
                Value::Array(a) => Some(a.as_slice()),
                _ => None,
            };
            let mut origins = Vec::new();
            for o in list.unwrap_or_default() {
                match o.as_str() {
                    Some(o) => origins.push(o.to_owned()),
                    None => break,
                }
            }
            if list.map(<[Value]>::len) != Some(origins.len()) {
                origins.clear();
                report(
                    &mut problems,
                    root.error("allowedOrigins", "expected an array of strings"),
                    "the collector accepts no origin",
                );
            }
            origins
        });
        let privacy = read_section(&root, "privacy", Privacy::parse).unwrap_or_else(|e| {
            report(
                &mut problems,
                e,
                "nothing is sent before consent until this is fixed",
            );
            Privacy::FAIL_CLOSED
        });
        let mut config = Config {
            tracking: section(&root, "tracking", Tracking::parse, &mut problems),
            privacy,
            score: section(&root, "score", ScoreConfig::parse, &mut problems),
            allowed_origins,
            ..Config::default()
        };
        widgets(&root, re, &mut config, &mut problems);
        surveys(&root, re, &mut config, &mut problems);
        checklists(&root, re, &mut config, &mut problems);
        // `$schema`: where an editor finds the config's JSON Schema (`/v1/config/
        // schema.json`); nothing to the module.
        #[cfg(feature = "validate")]
        if let Err(e) = root.string("$schema") {
            report(&mut problems, e, "ignored");
        }
        if let Err(e) = root.no_other_keys(&[
            "$schema",
            "tracking",
            "privacy",
            "score",
            "allowedOrigins",
            "audience",
            "content",
            "surveys",
            "prompts",
            "checklists",
        ]) {
            report(&mut problems, e, "ignored");
        }
        (config, problems)
    }
}

/// The section under `key`, read by `parse`; its defaults when absent or unreadable (the
/// problem goes to `problems`).
fn section<T: Default>(
    root: &Obj,
    key: &str,
    parse: fn(&Obj) -> Result<T, Bad>,
    problems: &mut Vec<ConfigError>,
) -> T {
    read_section(root, key, parse).unwrap_or_else(|e| {
        let mut consequence = String::from(key);
        consequence.push_str(" uses its defaults");
        report(problems, e, &consequence);
        T::default()
    })
}

/// The section under `key`, read by `parse`; its defaults when absent.
fn read_section<T: Default>(
    obj: &Obj,
    key: &str,
    parse: fn(&Obj) -> Result<T, Bad>,
) -> Result<T, Bad> {
    Ok(obj
        .obj(key)?
        .map(|o| parse(&o))
        .transpose()?
        .unwrap_or_default())
}

/// `audience` and `content`: read by the build with widgets; the tracking module only checks
/// they are objects.
fn widgets(root: &Obj, re: &dyn RegexEngine, config: &mut Config, problems: &mut Vec<ConfigError>) {
    #[cfg(feature = "widgets")]
    {
        config.audience = section(root, "audience", Audience::parse, problems);
        match root.obj("content") {
            Ok(Some(o)) => config.content = crate::content::parse(&o, re, problems),
            Ok(None) => {}
            Err(e) => report(problems, e, "no content slot is personalised"),
        }
    }
    #[cfg(not(feature = "widgets"))]
    {
        let _ = (re, &config);
        for key in ["audience", "content"] {
            if let Err(e) = root.obj(key) {
                report(problems, e, "ignored");
            }
        }
    }
}

/// `surveys` and `prompts`, where the build reads them (the `surveys` feature); elsewhere
/// only checked to be objects.
fn surveys(root: &Obj, re: &dyn RegexEngine, config: &mut Config, problems: &mut Vec<ConfigError>) {
    #[cfg(feature = "surveys")]
    {
        config.surveys.prompts = section(root, "prompts", crate::survey::parse_prompts, problems);
        match root.obj("surveys") {
            Ok(Some(o)) => config.surveys.list = crate::survey::parse(&o, re, problems),
            Ok(None) => {}
            Err(e) => report(problems, e, "no survey shows"),
        }
    }
    #[cfg(not(feature = "surveys"))]
    {
        let _ = (re, &config);
        for key in ["surveys", "prompts"] {
            if let Err(e) = root.obj(key) {
                report(problems, e, "ignored");
            }
        }
    }
}

/// `checklists`, where the build reads them (the `checklists` feature); elsewhere only
/// checked to be an object.
fn checklists(
    root: &Obj,
    re: &dyn RegexEngine,
    config: &mut Config,
    problems: &mut Vec<ConfigError>,
) {
    match root.obj("checklists") {
        #[cfg(feature = "checklists")]
        Ok(Some(o)) => config.checklists.list = crate::checklist::parse(&o, re, problems),
        Ok(_) => {}
        Err(e) => report(problems, e, "no checklist shows"),
    }
    #[cfg(not(feature = "checklists"))]
    let _ = (re, &config);
}

impl Tracking {
    fn parse(t: &Obj) -> Result<Tracking, Bad> {
        let d = Tracking::default();
        let tracking = Tracking {
            flush_at: t.count("flushAt", d.flush_at, 1)?,
            flush_interval_ms: t.count("flushIntervalMs", d.flush_interval_ms, 0)?,
            autocapture: read_section(t, "autocapture", Autocapture::parse)?,
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
    fn parse(a: &Obj) -> Result<Autocapture, Bad> {
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
    fn parse(p: &Obj) -> Result<Privacy, Bad> {
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
    fn parse(sc: &Obj) -> Result<ScoreConfig, Bad> {
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
pub(crate) mod tests {
    use super::*;

    /// The config, or the first problem found.
    pub(crate) fn parse(text: &str) -> Result<Config, ConfigError> {
        let (config, mut problems) = read(text);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems.remove(0))
        }
    }

    /// The config and every problem found in it.
    pub(crate) fn read(text: &str) -> (Config, Vec<ConfigError>) {
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
        // The browser's build says only what was expected.
        if cfg!(feature = "validate") {
            assert!(e.message.contains("got a string"), "{}", e.message);
        }
    }

    #[test]
    #[cfg_attr(
        not(feature = "validate"),
        ignore = "checks what only the validate feature reports"
    )]
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
    fn a_bad_section_falls_back_alone_and_every_problem_is_reported() {
        let (c, problems) = read(
            r#"{"tracking":{"flushAt":"ten"},"score":{"halfLifeDays":3,"scale":-1},
                "privacy":{"honorDnt":false},"colour":"red"}"#,
        );
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        // An unknown key is reported where configs are published (`validate`).
        let unknown = if cfg!(feature = "validate") {
            &["colour"][..]
        } else {
            &[]
        };
        assert_eq!(
            paths,
            [&["tracking.flushAt", "score.scale"][..], unknown].concat()
        );
        assert_eq!(
            c.tracking,
            Tracking::default(),
            "the bad section has its defaults"
        );
        assert_eq!(c.score, ScoreConfig::default());
        assert!(!c.privacy.honor_dnt, "a good section stays in force");
    }

    #[test]
    fn unreadable_privacy_settings_fail_closed() {
        let (c, problems) = read(r#"{"privacy":{"requireConsent":"yes"}}"#);
        assert_eq!(problems[0].path, "privacy.requireConsent");
        assert_eq!(c.privacy, Privacy::FAIL_CLOSED);
        assert!(c.privacy.require_consent && c.privacy.honor_dnt);
    }

    #[test]
    fn not_an_object_is_refused() {
        let e = parse("[1]").unwrap_err();
        assert_eq!(e.path, ".");
        if cfg!(feature = "validate") {
            assert!(e.message.contains("got an array"), "{}", e.message);
        }
    }
}
