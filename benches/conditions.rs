//! How fast audiences run: `cargo bench --bench conditions`.
//!
//! A realistic rule set (the kind a site configures for its content slots and surveys) over
//! a realistic visitor, whose attributes are assembled exactly as the module assembles them
//! for a decision; then whole slot decisions (attributes, rules, experiment), and the
//! bucketing hash. Each figure is measured for about two seconds on one core.

use std::hint::black_box;
use std::time::{Duration, Instant};

use engagekit::attributes::{attributes, Audience, Facts};
use engagekit::bucket::hash;
use engagekit::condition::{eval_condition, validate_condition};
use engagekit::config::Config;
use engagekit::content;
use engagekit::context::PageInfo;
use engagekit::event::Identity;
use engagekit::json::{Map, Value};
use engagekit::regex::RegressEngine;
use engagekit::session::Session;

const RULES: &str = r#"[
  {"$and": [{"score": {"$gte": 60}}, {"lifecycle": {"$in": ["active", "returning"]}}]},
  {"$or": [{"utm.source": {"$in": ["newsletter", "partner", "twitter", "linkedin"]}},
           {"referrer": {"$regex": "^https://(www\\.)?example\\.org/"}}]},
  {"path": {"$regex": "^/(pricing|plans)(/|$)"}, "device": {"$ne": "bot"}},
  {"traits.email": {"$exists": true}, "traits.plan": {"$nin": ["enterprise"]}},
  {"traits.appVersion": {"$vgte": "2.4.0", "$vlt": "3.0.0"}, "language": {"$in": ["en", "en-GB", "fr"]}},
  {"$nor": [{"counts.Signed Up": {"$gt": 0}}], "sessions": {"$gte": 3},
   "traits.tags": {"$elemMatch": {"$eq": "beta"}}}
]"#;

/// A hero slot as a site would configure it: three rules, then an experiment.
const SLOT: &str = r#"{"content": {"slots": {"hero": {
  "rules": [
    {"name": "enterprise", "if": {"traits.plan": "enterprise"}, "variant": "enterprise"},
    {"name": "campaign", "if": {"utm.campaign": {"$in": ["spring", "summer"]}, "device": "mobile"}, "variant": "campaign"},
    {"name": "at risk", "if": {"lifecycle": "at-risk", "tier": {"$ne": "low"}}, "variant": "winback"}
  ],
  "experiment": {"key": "hero-copy", "variations": ["default", "bold", "calm"], "weights": [0.4, 0.3, 0.3]}
}}}}"#;

const DAY_MS: f64 = 86_400_000.0;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("bench fixtures are valid JSON")
}

/// Runs `step` in batches until `budget` has passed; returns calls per second.
fn per_second(budget: Duration, mut step: impl FnMut()) -> f64 {
    const BATCH: u64 = 1_000;
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < budget {
        for _ in 0..BATCH {
            step();
        }
        calls += BATCH;
    }
    calls as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let Value::Array(rules) = parse(RULES) else {
        panic!("RULES must be an array")
    };
    let Value::Object(traits) = parse(
        r#"{"email": "ada@example.com", "plan": "team", "company": "Analytical Engines",
            "appVersion": "2.7.1", "tags": ["early-adopter", "beta"]}"#,
    ) else {
        panic!("traits must be an object")
    };
    let Value::Object(counts) =
        parse(r#"{"Page Viewed": 14, "Signed Up": 0, "Checklist Completed": 1}"#)
    else {
        panic!("counts must be an object")
    };
    let identity = Identity {
        anonymous_id: "3f1c9f0e-5b7a-4d7e-9a51-2c1f7b2d9e44".into(),
        user_id: Some("user-1842".into()),
        traits,
    };
    let page = PageInfo {
        url: "https://shop.example.com/pricing?ref=nav&utm_source=newsletter&utm_medium=email&utm_campaign=spring".into(),
        path: "/pricing".into(),
        search: "?ref=nav&utm_source=newsletter&utm_medium=email&utm_campaign=spring".into(),
        title: "Pricing".into(),
        referrer: "https://www.example.org/blog/launch".into(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into(),
        locale: "en-GB".into(),
        timezone: "Europe/London".into(),
        screen: (1920.0, 1080.0, 1.0),
        query: Vec::new(),
    }
    .with_query();
    let now = 40.0 * DAY_MS;
    let session = Session {
        id: now - 60_000.0,
        last_ms: now,
        count: 5,
        idle_before_ms: 2.0 * DAY_MS,
    };
    let facts = Facts {
        identity: &identity,
        page: &page,
        score: 72.0,
        session: Some(&session),
        first_seen_ms: now - 12.0 * DAY_MS,
        counts: &counts,
        now_ms: now,
    };
    let audience = Audience::default();
    let visitor = attributes(&facts, &audience);
    let groups = Map::new();
    let re = RegressEngine::new();
    for (i, rule) in rules.iter().enumerate() {
        assert_eq!(validate_condition(rule, &re), Ok(()), "rule {i}");
    }
    let matching = rules
        .iter()
        .filter(|r| eval_condition(r, &visitor, &groups, &re))
        .count();

    // One "evaluation" is one rule checked against the visitor.
    let sets_per_second = per_second(Duration::from_secs(2), || {
        for rule in &rules {
            black_box(eval_condition(
                black_box(rule),
                black_box(&visitor),
                &groups,
                &re,
            ));
        }
    });
    let count = |v: &Value| match v {
        Value::Object(m) => m.len(),
        _ => 0,
    };
    println!(
        "conditions: {:.0} evaluations/s (rule set of {} rules over {} visitor attributes; {} of the rules match)",
        sets_per_second * rules.len() as f64,
        rules.len(),
        count(&visitor),
        matching
    );

    // Per rule, to show where the time goes.
    for (i, rule) in rules.iter().enumerate() {
        let rate = per_second(Duration::from_millis(200), || {
            black_box(eval_condition(
                black_box(rule),
                black_box(&visitor),
                &groups,
                &re,
            ));
        });
        println!("  rule {i}: {rate:.0} evaluations/s");
    }

    // A whole decision, as the module makes one per slot per page view: assemble the
    // attributes, try the rules in order, then bucket into the experiment.
    let (config, problems) = Config::from_value(&parse(SLOT), &re);
    assert!(problems.is_empty(), "{problems:?}");
    let slot = &config.content.slots[0];
    let defined = |v: &str| matches!(v, "enterprise" | "campaign" | "winback" | "bold" | "calm");
    let decision = content::decide(slot, &visitor, &groups, &re, &defined, None);
    let decisions_per_second = per_second(Duration::from_secs(2), || {
        let attrs = attributes(black_box(&facts), &audience);
        black_box(content::decide(slot, &attrs, &groups, &re, &defined, None));
    });
    println!(
        "decisions: {decisions_per_second:.0} slot decisions/s (attributes assembled, 3 rules, a 3-way experiment; this visitor: {} by {})",
        decision.variant,
        decision.reason.as_str()
    );

    let id = "3f1c9f0e-5b7a-4d7e-9a51-2c1f7b2d9e44";
    let hashes_per_second = per_second(Duration::from_secs(1), || {
        black_box(hash(black_box("hero-cta-experiment"), black_box(id), 2));
    });
    println!("hash: {hashes_per_second:.0} hashes/s (version 2, 36-character visitor id)");
}
