//! How fast audience conditions and bucketing run: `cargo bench --bench conditions`.
//!
//! A realistic rule set (the kind a site configures for its content slots and surveys)
//! against a realistic visitor, evaluated for about two seconds on one core.

use std::hint::black_box;
use std::time::{Duration, Instant};

use engagekit::bucket::hash;
use engagekit::condition::{eval_condition, validate_condition};
use engagekit::json::{Map, Value};
use engagekit::regex::RegressEngine;

const RULES: &str = r#"[
  {"$and": [{"score": {"$gte": 60}}, {"lifecycle": {"$in": ["active", "returning"]}}]},
  {"$or": [{"utm.source": {"$in": ["newsletter", "partner", "twitter", "linkedin"]}},
           {"referrer": {"$regex": "^https://(www\\.)?example\\.org/"}}]},
  {"page.path": {"$regex": "^/(pricing|plans)(/|$)"}, "device": {"$ne": "bot"}},
  {"traits.email": {"$exists": true}, "traits.plan": {"$nin": ["enterprise"]}},
  {"app.version": {"$vgte": "2.4.0", "$vlt": "3.0.0"}, "language": {"$in": ["en", "en-GB", "fr"]}},
  {"$nor": [{"counts.Signed Up": {"$gt": 0}}], "sessions": {"$gte": 3},
   "tags": {"$elemMatch": {"$eq": "beta"}}}
]"#;

const VISITOR: &str = r#"{
  "anonymousId": "3f1c9f0e-5b7a-4d7e-9a51-2c1f7b2d9e44",
  "userId": "user-1842",
  "score": 72,
  "tier": "high",
  "lifecycle": "returning",
  "sessions": 5,
  "daysSinceFirstSeen": 12,
  "page": {"url": "https://shop.example.com/pricing?ref=nav", "path": "/pricing", "query": "ref=nav"},
  "referrer": "https://www.example.org/blog/launch",
  "utm": {"source": "newsletter", "medium": "email", "campaign": "spring"},
  "device": "desktop",
  "browser": "firefox",
  "language": "en-GB",
  "timezone": "Europe/London",
  "app": {"version": "2.7.1"},
  "traits": {"email": "ada@example.com", "plan": "team", "company": "Analytical Engines"},
  "counts": {"Signed Up": 0, "Checklist Completed": 1},
  "tags": ["early-adopter", "beta"]
}"#;

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
    let visitor = parse(VISITOR);
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
    let attributes = visitor.as_object().map_or(0, Map::len);
    println!(
        "conditions: {:.0} evaluations/s (rule set of {} rules, {} attributes; {} of the rules match)",
        sets_per_second * rules.len() as f64,
        rules.len(),
        attributes,
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

    let id = "3f1c9f0e-5b7a-4d7e-9a51-2c1f7b2d9e44";
    let hashes_per_second = per_second(Duration::from_secs(1), || {
        black_box(hash(black_box("hero-cta-experiment"), black_box(id), 2));
    });
    println!("hash: {hashes_per_second:.0} hashes/s (version 2, 36-character visitor id)");
}
