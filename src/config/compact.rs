//! The compiled config: the form the browser's module reads (issue 7, "config validation
//! with messages done where it is cheap").
//!
//! The collector reads each site's document with [`Config::from_value`] (every check, every
//! message) and serves what it read as positional JSON: each section a flat array of the
//! typed fields in a fixed order, a list as its length and then its items, an option as 0
//! or 1 and then its value, conditions and card texts as the JSON they are. The wasm reads
//! that with a cursor and no paths, keys or messages: about 8 KB less in the widgets build.
//!
//! One list of fields per type ([`Compact::fields`]) serves both directions, so the writer
//! (native: the collector, and the compile chunk that checks an inline config in the
//! browser) and the reader (the wasm) cannot drift apart. The reader trusts the shape but
//! never panics on a tampered one: a value of the wrong type leaves the field's default, a
//! length is bounded by what is left, and a document that is not a compiled config of this
//! version is refused whole (the module then holds everything until consent).

use crate::prelude::*;

use super::{Autocapture, Config, Privacy, ScoreConfig, Tracking};
use crate::json::{Map, Value};

/// The compiled form's version: the first item of `compiled`. A module only reads its own.
pub const VERSION: f64 = 1.0;

/// Reads or writes a type's fields, in order.
pub trait Codec: Sized {
    fn num(&mut self, x: &mut f64);
    fn flag(&mut self, x: &mut bool);
    fn text(&mut self, x: &mut String);
    fn value(&mut self, x: &mut Value);
    /// Writes `n`, or reads a count (no more than the items left).
    fn count(&mut self, n: usize) -> usize;

    fn whole(&mut self, x: &mut u32) {
        let mut f = f64::from(*x);
        self.num(&mut f);
        // Saturating, and NaN → 0.
        *x = f as u32;
    }

    fn map(&mut self, x: &mut Map) {
        let mut v = Value::Object(core::mem::take(x));
        self.value(&mut v);
        if let Value::Object(m) = v {
            *x = m;
        }
    }

    fn opt<T: Default>(&mut self, x: &mut Option<T>, f: impl FnOnce(&mut Self, &mut T)) {
        if self.count(usize::from(x.is_some())) > 0 {
            f(self, x.get_or_insert_with(T::default));
        } else {
            *x = None;
        }
    }

    /// A list: written item by item, or read into `v` (empty, as every default list is).
    fn list<T: Default>(&mut self, v: &mut Vec<T>, mut f: impl FnMut(&mut Self, &mut T)) {
        let n = self.count(v.len());
        // A loop that pushes: resize_with's generic extend cost the wasm more.
        for i in 0..n {
            if i == v.len() {
                v.push(T::default());
            }
            if let Some(x) = v.get_mut(i) {
                f(self, x);
            }
        }
    }

    fn opt_text(&mut self, x: &mut Option<String>) {
        self.opt(x, Self::text);
    }

    fn all<T: Compact + Default>(&mut self, v: &mut Vec<T>) {
        self.list(v, |c, x| x.fields(c));
    }

    /// An enum's variant, `tag` the one `x` holds: writes it, or reads one and makes `x` that
    /// variant (`make(tag)`, its fields defaults) when it is another.
    fn variant<T>(&mut self, x: &mut T, tag: usize, make: impl FnOnce(usize) -> T) {
        let read = self.count(tag);
        if read != tag {
            *x = make(read);
        }
    }
}

/// A type in the compiled config: its fields, in the order both directions use.
pub trait Compact {
    fn fields<C: Codec>(&mut self, c: &mut C);
}

/// Reads a section: a flat array, front to back.
pub struct Reader {
    items: alloc::vec::IntoIter<Value>,
}

impl Reader {
    pub fn new(items: Vec<Value>) -> Reader {
        Reader {
            items: items.into_iter(),
        }
    }
}

impl Codec for Reader {
    fn num(&mut self, x: &mut f64) {
        if let Some(Value::Number(n)) = self.items.next() {
            *x = n;
        }
    }

    fn flag(&mut self, x: &mut bool) {
        if let Some(Value::Bool(b)) = self.items.next() {
            *x = b;
        }
    }

    fn text(&mut self, x: &mut String) {
        if let Some(Value::String(s)) = self.items.next() {
            *x = s;
        }
    }

    fn value(&mut self, x: &mut Value) {
        if let Some(v) = self.items.next() {
            *x = v;
        }
    }

    fn count(&mut self, _: usize) -> usize {
        let mut n = 0.0;
        self.num(&mut n);
        (n as usize).min(self.items.len())
    }
}

/// Writes a section.
#[derive(Default)]
pub struct Writer {
    pub items: Vec<Value>,
}

impl Codec for Writer {
    fn num(&mut self, x: &mut f64) {
        self.items.push(Value::Number(*x));
    }

    fn flag(&mut self, x: &mut bool) {
        self.items.push(Value::Bool(*x));
    }

    fn text(&mut self, x: &mut String) {
        self.items.push(Value::String(x.clone()));
    }

    fn value(&mut self, x: &mut Value) {
        self.items.push(x.clone());
    }

    fn count(&mut self, n: usize) -> usize {
        self.items.push(Value::Number(n as f64));
        n
    }
}

impl Compact for Tracking {
    fn fields<C: Codec>(&mut self, c: &mut C) {
        c.whole(&mut self.flush_at);
        c.whole(&mut self.flush_interval_ms);
        self.autocapture.fields(c);
        c.whole(&mut self.max_queue_events);
        c.whole(&mut self.max_queue_bytes);
        c.whole(&mut self.session_timeout_minutes);
    }
}

impl Compact for Autocapture {
    fn fields<C: Codec>(&mut self, c: &mut C) {
        c.flag(&mut self.pageviews);
        c.flag(&mut self.clicks);
    }
}

impl Compact for Privacy {
    fn fields<C: Codec>(&mut self, c: &mut C) {
        c.flag(&mut self.require_consent);
        c.flag(&mut self.honor_dnt);
    }
}

impl Compact for ScoreConfig {
    fn fields<C: Codec>(&mut self, c: &mut C) {
        c.map(&mut self.weights);
        c.num(&mut self.half_life_days);
        c.num(&mut self.scale);
    }
}

/// The sections every build reads: tracking, privacy, score. (`allowedOrigins` is the
/// collector's alone, so it is not compiled.)
struct Main<'a>(&'a mut Config);

impl Compact for Main<'_> {
    fn fields<C: Codec>(&mut self, c: &mut C) {
        self.0.tracking.fields(c);
        self.0.privacy.fields(c);
        // Last, so the tracking build, which keeps no score, reads the fields before it and
        // stops.
        #[cfg(feature = "widgets")]
        self.0.score.fields(c);
    }
}

/// One section as an array.
fn write(section: &mut impl Compact) -> Value {
    let mut w = Writer::default();
    section.fields(&mut w);
    Value::Array(w.items)
}

/// Reads one section from `compiled[i]`; a missing or malformed one keeps its defaults and
/// says so.
fn read(sections: &mut [Value], i: usize, section: &mut impl Compact) -> bool {
    match sections.get_mut(i).map(core::mem::take) {
        Some(Value::Array(items)) => {
            section.fields(&mut Reader::new(items));
            true
        }
        _ => false,
    }
}

impl Config {
    /// The compiled form: `[VERSION, main, audience, content, surveys, checklists]`.
    pub fn compile(&self) -> Value {
        let mut c = self.clone();
        #[cfg_attr(not(feature = "widgets"), allow(unused_mut))]
        let mut out = vec![Value::Number(VERSION), write(&mut Main(&mut c))];
        #[cfg(feature = "widgets")]
        {
            out.push(write(&mut c.audience));
            out.push(write(&mut c.content));
        }
        #[cfg(feature = "surveys")]
        out.push(write(&mut c.surveys));
        #[cfg(feature = "checklists")]
        out.push(write(&mut c.checklists));
        Value::Array(out)
    }

    /// What the collector serves at `/v1/config/{writeKey}` (and the compile chunk hands the
    /// module for an inline config): `privacy` as read, for the loader's keep-on-close
    /// beacon; `build`, for its choice of build ([`Config::build`]); `compiled`, for the module.
    pub fn served(&self) -> Value {
        let mut doc = Map::new();
        let mut privacy = Map::new();
        privacy.insert(
            "requireConsent".into(),
            Value::Bool(self.privacy.require_consent),
        );
        privacy.insert("honorDnt".into(), Value::Bool(self.privacy.honor_dnt));
        doc.insert("privacy".into(), Value::Object(privacy));
        doc.insert("build".into(), Value::String(self.build().into()));
        doc.insert("compiled".into(), self.compile());
        Value::Object(doc)
    }

    /// The smallest build of the module that runs this config (scripts/build.sh): `core`
    /// (tracking), `content` (+ audiences and content slots), `surveys` (+ NPS surveys) or
    /// `widgets` (+ onboarding checklists). The tracking build keeps no audience state
    /// (score, event counts, first seen), so a config with score weights (whose `score()`
    /// the site reads) takes the content build.
    pub fn build(&self) -> &'static str {
        #[cfg(feature = "checklists")]
        if !self.checklists.list.is_empty() {
            return "widgets";
        }
        #[cfg(feature = "surveys")]
        if !self.surveys.list.is_empty() {
            return "surveys";
        }
        if self.content.slots.is_empty() && self.score.weights.is_empty() {
            "core"
        } else {
            "content"
        }
    }

    /// What the module runs with when a served config is not a compiled config of this
    /// version: the defaults with consent required, so nothing is sent before consent.
    pub fn held() -> Config {
        Config {
            privacy: Privacy::FAIL_CLOSED,
            ..Config::default()
        }
    }

    /// Reads the compiled form. None when it is not one of this version (or its main section
    /// is missing): the caller then holds everything until consent. A later section that is
    /// missing keeps its defaults.
    pub fn from_compiled(v: Value) -> Option<Config> {
        let Value::Array(mut sections) = v else {
            return None;
        };
        // Compared as a number: comparing `Value`s would bring their generic equality into
        // the tracking build (0.4 KB).
        if sections.first().and_then(Value::as_f64) != Some(VERSION) {
            return None;
        }
        let mut config = Config::default();
        if !read(&mut sections, 1, &mut Main(&mut config)) {
            return None;
        }
        #[cfg(feature = "widgets")]
        {
            read(&mut sections, 2, &mut config.audience);
            read(&mut sections, 3, &mut config.content);
        }
        #[cfg(feature = "surveys")]
        read(&mut sections, 4, &mut config.surveys);
        #[cfg(feature = "checklists")]
        read(&mut sections, 5, &mut config.checklists);
        Some(config)
    }
}

#[cfg(feature = "widgets")]
mod widgets {
    use super::{Codec, Compact};
    use crate::attributes::Audience;
    use crate::content::{Content, Experiment, Rule, Slot, Structured};

    impl Compact for Audience {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.num(&mut self.tier_mid);
            c.num(&mut self.tier_high);
            c.whole(&mut self.active_sessions);
            c.num(&mut self.at_risk_days);
            c.map(&mut self.saved_groups);
        }
    }

    impl Compact for Content {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.all(&mut self.slots);
            c.opt_text(&mut self.goal);
        }
    }

    impl Compact for Slot {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.text(&mut self.name);
            c.opt_text(&mut self.goal);
            c.all(&mut self.rules);
            c.opt(&mut self.experiment, |c, e| e.fields(c));
            c.list(&mut self.variants, |c, (name, v)| {
                c.text(name);
                v.fields(c);
            });
            c.flag(&mut self.broken);
        }
    }

    impl Compact for Rule {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.text(&mut self.name);
            c.opt(&mut self.condition, C::value);
            c.text(&mut self.variant);
        }
    }

    impl Compact for Experiment {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.text(&mut self.key);
            c.list(&mut self.variations, C::text);
            c.list(&mut self.weights, C::num);
            c.num(&mut self.coverage);
            c.text(&mut self.hash_attribute);
            c.opt(&mut self.namespace, |c, (name, start, end)| {
                c.text(name);
                c.num(start);
                c.num(end);
            });
        }
    }

    impl Compact for Structured {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.opt_text(&mut self.title);
            let mut heading = u32::from(self.heading);
            c.whole(&mut heading);
            self.heading = u8::try_from(heading).unwrap_or(2);
            c.opt_text(&mut self.body);
            c.opt_text(&mut self.cta_label);
            c.opt_text(&mut self.cta_href);
            c.opt_text(&mut self.image);
            c.opt_text(&mut self.image_alt);
        }
    }
}

#[cfg(feature = "surveys")]
mod surveys {
    use super::{Codec, Compact};
    use crate::prelude::*;
    use crate::survey::{Prompts, Survey, Surveys, Trigger};

    impl Compact for Surveys {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.all(&mut self.list);
            self.prompts.fields(c);
        }
    }

    impl Compact for Prompts {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.whole(&mut self.max_per_week);
            c.num(&mut self.min_gap_hours);
        }
    }

    impl Compact for Survey {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.text(&mut self.id);
            c.map(&mut self.ui);
            c.opt(&mut self.condition, C::value);
            c.all(&mut self.triggers);
            c.num(&mut self.sample);
            c.num(&mut self.resurvey_days);
            c.num(&mut self.dismiss_wait_days);
            c.flag(&mut self.broken);
        }
    }

    /// A tag (0 delay, 1 event, 2 scroll), then the variant's fields.
    impl Compact for Trigger {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            let tag = match self {
                Trigger::Delay(_) => 0,
                Trigger::Event(..) => 1,
                Trigger::Scroll(_) => 2,
            };
            c.variant(self, tag, |tag| match tag {
                1 => Trigger::Event(String::new(), None),
                2 => Trigger::Scroll(0.0),
                _ => Trigger::Delay(0.0),
            });
            match self {
                Trigger::Delay(ms) | Trigger::Scroll(ms) => c.num(ms),
                Trigger::Event(name, condition) => {
                    c.text(name);
                    c.opt(condition, C::value);
                }
            }
        }
    }
}

#[cfg(feature = "checklists")]
mod checklists {
    use super::{Codec, Compact};
    use crate::checklist::{Checklist, Checklists, DoneWhen, Step};
    use crate::json::Value;
    use crate::prelude::*;

    impl Compact for Checklists {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.all(&mut self.list);
        }
    }

    impl Compact for Checklist {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.text(&mut self.id);
            c.map(&mut self.ui);
            c.opt(&mut self.condition, C::value);
            c.flag(&mut self.ordered);
            c.flag(&mut self.dismissible);
            c.flag(&mut self.auto_open);
            c.all(&mut self.steps);
            c.flag(&mut self.broken);
        }
    }

    impl Compact for Step {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            c.text(&mut self.id);
            c.opt_text(&mut self.href);
            c.list(&mut self.after, C::text);
            self.done_when.fields(c);
            c.flag(&mut self.manual);
        }
    }

    /// A tag (0 by hand, 1 event, 2 page), then the variant's fields.
    impl Compact for DoneWhen {
        fn fields<C: Codec>(&mut self, c: &mut C) {
            let tag = match self {
                DoneWhen::Hand => 0,
                DoneWhen::Event(..) => 1,
                DoneWhen::Page(_) => 2,
            };
            c.variant(self, tag, |tag| match tag {
                1 => DoneWhen::Event(String::new(), None),
                2 => DoneWhen::Page(Value::Null),
                _ => DoneWhen::Hand,
            });
            match self {
                DoneWhen::Hand => {}
                DoneWhen::Event(name, condition) => {
                    c.text(name);
                    c.opt(condition, C::value);
                }
                DoneWhen::Page(condition) => c.value(condition),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regex::RegressEngine;

    fn read(text: &str) -> Config {
        let v: Value = serde_json::from_str(text).unwrap();
        let (config, problems) = Config::from_value(&v, &RegressEngine::default());
        assert!(problems.is_empty(), "{problems:?}");
        config
    }

    /// Through JSON text, as the collector serves it and the browser parses it.
    fn round_trip(config: &Config) -> Option<Config> {
        let text = serde_json::to_string(&config.compile()).unwrap();
        Config::from_compiled(serde_json::from_str(&text).unwrap())
    }

    fn demo() -> Config {
        let text = include_str!("../../config/demo.json");
        let sites: serde_json::Value = serde_json::from_str(text).unwrap();
        let site = sites.as_object().unwrap().values().next().unwrap();
        read(&site.to_string())
    }

    #[test]
    fn the_demo_config_reads_back_as_it_was_read() {
        let config = demo();
        assert!(!config.content.slots.is_empty());
        assert!(!config.surveys.list.is_empty());
        assert!(!config.checklists.list.is_empty());
        let back = round_trip(&config).unwrap();
        assert_eq!(
            back,
            Config {
                allowed_origins: None,
                ..config
            }
        );
    }

    #[test]
    fn every_variant_and_option_reads_back() {
        let config = read(
            r#"{
            "tracking": {"flushAt": 3, "flushIntervalMs": 250, "autocapture": {"pageviews": false, "clicks": true},
                "maxQueueEvents": 7, "maxQueueBytes": 90000, "sessionTimeoutMinutes": 5},
            "privacy": {"requireConsent": true, "honorDnt": false},
            "score": {"weights": {"Signed Up": 30}, "halfLifeDays": 3, "scale": 10},
            "audience": {"savedGroups": {"vip": ["u-1"]}, "tiers": {"mid": 30, "high": 60}},
            "content": {"goal": "Signed Up", "slots": {
                "hero": {"goal": "Clicked", "rules": [{"name": "r", "if": {"score": {"$gte": 10}}, "variant": "b"}],
                    "variants": {"b": {"title": "T", "heading": 3, "body": "B", "cta": {"label": "Go", "href": "/go"},
                        "image": "/i.png", "imageAlt": ""}}},
                "cta": {"experiment": {"key": "cta", "variations": ["a", "b"], "weights": [0.25, 0.75],
                    "coverage": 0.5, "hashAttribute": "userId", "namespace": ["ns", 0, 0.5]}}}},
            "surveys": {"nps": {"text": {"en": {"question": "How likely?", "low": "No", "high": "Yes", "thanks": "Thanks"}},
                "if": {"tier": "high"}, "triggers": [{"event": "Signed Up", "where": {"plan": "pro"}},
                {"event": "Upgraded"}, {"scrollPercent": 50}, {"delayMs": 10}],
                "sample": 0.5, "resurveyDays": 90, "dismissWaitDays": 3}},
            "prompts": {"maxPerWeek": 3, "minGapHours": 1},
            "checklists": {"tour": {"text": {"en": {"title": "Tour"}}, "if": {"tier": "high"}, "order": "ordered",
                "autoOpen": true, "dismissible": false,
                "steps": [{"id": "a", "event": "Signed Up", "where": {"plan": "pro"}, "href": "/a"},
                          {"id": "b", "event": "Upgraded"},
                          {"id": "c", "page": {"path": "/app"}, "after": ["a", "b"]},
                          {"id": "d", "manual": true}]}}
        }"#,
        );
        let back = round_trip(&config).unwrap();
        assert_eq!(back, config);
        let served = config.served();
        let served = served.as_object().unwrap();
        assert_eq!(served.get("build"), Some(&Value::from("widgets")));
        let privacy = served.get("privacy").and_then(Value::as_object).unwrap();
        assert_eq!(privacy.get("requireConsent"), Some(&Value::Bool(true)));
        assert_eq!(privacy.get("honorDnt"), Some(&Value::Bool(false)));
        let build = |doc: &str| read(doc).build();
        assert_eq!(build("{}"), "core");
        assert_eq!(build(r#"{"content": {"slots": {"hero": {}}}}"#), "content");
        // The tracking build keeps no score: a site that weighs events reads one.
        assert_eq!(build(r#"{"score": {"halfLifeDays": 3}}"#), "core");
        assert_eq!(
            build(r#"{"score": {"weights": {"Signed Up": 30}}}"#),
            "content"
        );
        let survey = r#""nps": {"text": {"en": {"question": "Q?", "low": "No", "high": "Yes", "thanks": "Thanks"}}}"#;
        assert_eq!(build(&format!(r#"{{"surveys": {{{survey}}}}}"#)), "surveys");
        let checklist =
            r#""tour": {"text": {"en": {"title": "T"}}, "steps": [{"id": "a", "manual": true}]}"#;
        assert_eq!(
            build(&format!(r#"{{"checklists": {{{checklist}}}}}"#)),
            "widgets"
        );
    }

    #[test]
    fn what_is_not_this_versions_compiled_form_is_refused_whole() {
        for text in [
            "null",
            "{}",
            "[]",
            "[2, []]",
            "[\"1\", []]",
            "[1]",
            "[1, {}]",
            "[1, null]",
        ] {
            let v: Value = serde_json::from_str(text).unwrap();
            assert_eq!(Config::from_compiled(v), None, "{text}");
        }
        assert_eq!(Config::held().privacy, Privacy::FAIL_CLOSED);
    }

    #[test]
    fn a_tampered_section_keeps_defaults_and_allocates_no_more_than_it_holds() {
        // Wrong types keep each field's default; an absurd length reads what is there.
        let v: Value = serde_json::from_str(
            r#"[1, ["x", 1e300, {}, true, -5, null, null, true, false, "w", 1, 2],
                 [], [1e18, "slot"], [1e18], "checklists"]"#,
        )
        .unwrap();
        let config = Config::from_compiled(v).unwrap();
        assert_eq!(config.tracking.flush_at, Tracking::default().flush_at);
        assert_eq!(config.tracking.flush_interval_ms, u32::MAX);
        assert_eq!(config.tracking.max_queue_events, 0);
        assert_eq!(config.content.slots.len(), 1);
        assert_eq!(config.content.slots[0].name, "slot");
        assert!(config.surveys.list.is_empty());
        assert_eq!(config.checklists, Default::default());
    }
}
