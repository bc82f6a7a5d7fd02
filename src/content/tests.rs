use super::*;
use crate::config::tests::{parse as config, read};
use crate::regex::RegressEngine;

fn slot(json: &str) -> Slot {
    let c = config(&format!(r#"{{"content":{{"slots":{{"hero":{json}}}}}}}"#)).unwrap();
    c.content.slots.into_iter().next().unwrap()
}

fn attrs(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

fn page_has(names: &'static [&'static str]) -> impl Fn(&str) -> bool {
    move |v| names.contains(&v)
}

fn run(s: &Slot, a: &str, sticky: Option<usize>) -> Decision {
    decide(
        s,
        &attrs(a),
        &Map::new(),
        &RegressEngine::default(),
        &page_has(&["returning", "power", "bold"]),
        sticky,
    )
}

const RULES: &str = r#"{"rules":[
    {"name":"power users","if":{"tier":"high"},"variant":"power"},
    {"if":{"lifecycle":{"$in":["returning","active"]}},"variant":"returning"}
]}"#;

#[test]
fn first_matching_rule_wins() {
    let s = slot(RULES);
    let d = run(&s, r#"{"tier":"high","lifecycle":"returning"}"#, None);
    assert_eq!(
        (d.variant.as_str(), d.reason, d.rule.as_deref()),
        ("power", Reason::Rule, Some("power users"))
    );
    let d = run(&s, r#"{"tier":"low","lifecycle":"active"}"#, None);
    assert_eq!(
        (d.variant.as_str(), d.rule.as_deref()),
        ("returning", Some("rule 2"))
    );
}

#[test]
fn no_match_keeps_the_default() {
    let d = run(&slot(RULES), r#"{"tier":"low","lifecycle":"new"}"#, None);
    assert_eq!(
        (d.variant.as_str(), d.reason, d.warning),
        ("default", Reason::Default, None)
    );
}

#[test]
fn a_rule_naming_an_undefined_variant_falls_back_with_a_warning() {
    let s = slot(r#"{"rules":[{"if":{},"variant":"missing"},{"if":{},"variant":"power"}]}"#);
    let d = run(&s, "{}", None);
    assert_eq!(
        (d.variant.as_str(), d.reason),
        ("default", Reason::Fallback)
    );
    assert!(d.warning.unwrap().contains("\"missing\""));
}

#[test]
fn structured_variants_in_config_count_as_defined() {
    let s = slot(
        r#"{"rules":[{"if":{},"variant":"promo"}],"variants":{"promo":{"title":"Hi","cta":{"label":"Go","href":"/pricing"}}}}"#,
    );
    let d = run(&s, "{}", None);
    assert_eq!(d.variant, "promo");
    let v = structured(&s, "promo").unwrap();
    assert_eq!(v.title.as_deref(), Some("Hi"));
    assert_eq!(v.cta_href.as_deref(), Some("/pricing"));
}

const EXPERIMENT: &str =
    r#"{"experiment":{"key":"hero-cta","variations":["default","bold"],"weights":[0.5,0.5]}}"#;

#[test]
fn experiment_assigns_deterministically_by_the_hash_attribute() {
    let s = slot(EXPERIMENT);
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..200 {
        let a = format!(r#"{{"id":"visitor-{i}"}}"#);
        let d1 = run(&s, &a, None);
        let d2 = run(&s, &a, None);
        assert_eq!(d1, d2, "same visitor, same variant");
        assert_eq!(d1.reason, Reason::Experiment);
        seen.insert(d1.variant);
    }
    assert_eq!(seen.len(), 2, "both variations are used");
}

#[test]
fn assignments_are_sticky_when_weights_change() {
    let before = slot(EXPERIMENT);
    let after = slot(
        r#"{"experiment":{"key":"hero-cta","variations":["default","bold"],"weights":[0.0,1.0]}}"#,
    );
    let mut moved = 0;
    for i in 0..50 {
        let a = format!(r#"{{"id":"v{i}"}}"#);
        let first = run(&before, &a, None);
        let (_, index) = first.experiment.clone().unwrap();
        let later = run(&after, &a, Some(index));
        assert_eq!(
            later.variant, first.variant,
            "a visitor keeps the first variant"
        );
        if run(&after, &a, None).variant != first.variant {
            moved += 1;
        }
    }
    assert!(
        moved > 0,
        "without stickiness the new weights would have moved some visitors"
    );
}

#[test]
fn rules_come_before_the_experiment_and_coverage_excludes() {
    let s = slot(
        r#"{"rules":[{"if":{"tier":"high"},"variant":"power"}],
        "experiment":{"key":"e","variations":["default","bold"],"coverage":0}}"#,
    );
    assert_eq!(
        run(&s, r#"{"tier":"high","id":"a"}"#, None).variant,
        "power"
    );
    let d = run(&s, r#"{"tier":"low","id":"a"}"#, None);
    assert_eq!((d.variant.as_str(), d.reason), ("default", Reason::Default));
}

#[test]
fn a_visitor_without_the_hash_attribute_sees_the_default() {
    let d = run(&slot(EXPERIMENT), "{}", None);
    assert_eq!(d.reason, Reason::Default);
}

#[test]
fn bad_slot_config_names_the_path() {
    let err = |json: &str| {
        config(&format!(r#"{{"content":{{"slots":{{"hero":{json}}}}}}}"#)).unwrap_err()
    };
    // Conditions are checked where configs are published (`validate`).
    if cfg!(feature = "validate") {
        assert_eq!(
            err(r#"{"rules":[{"if":{"age":{"$gtx":1}},"variant":"a"}]}"#).path,
            "content.slots.hero.rules[0].if"
        );
    }
    assert_eq!(
        err(r#"{"rules":[{"if":{}}]}"#).path,
        "content.slots.hero.rules[0].variant"
    );
    assert_eq!(
        err(r#"{"experiment":{"key":"e","variations":["a"]}}"#).path,
        "content.slots.hero.experiment.variations"
    );
    assert_eq!(
        err(r#"{"experiment":{"key":"e","variations":["a","b"],"weights":[1]}}"#).path,
        "content.slots.hero.experiment.weights"
    );
    assert_eq!(
        err(r#"{"variants":{"x":{"cta":{"label":"l","href":"javascript:alert(1)"}}}}"#).path,
        "content.slots.hero.variants.x.cta.href"
    );
    assert_eq!(
        err(r#"{"variants":{"x":{"image":"data:image/png;base64,AA"}}}"#).path,
        "content.slots.hero.variants.x.image"
    );
    if cfg!(feature = "validate") {
        assert_eq!(err(r#"{"rulez":[]}"#).path, "content.slots.hero.rulez");
        assert_eq!(
            err(r#"{"rules":[{"if":{"path":{"$regex":"("}},"variant":"a"}]}"#).path,
            "content.slots.hero.rules[0].if"
        );
    }
}

#[test]
fn only_http_links_and_site_paths_are_safe() {
    assert!(safe_url("https://a.test/x"));
    assert!(safe_url("http://a.test/x"));
    assert!(safe_url("/pricing"));
    assert!(!safe_url("//evil.test/x"));
    assert!(!safe_url("javascript:alert(1)"));
    assert!(!safe_url(" JavaScript:alert(1)"));
    assert!(!safe_url("data:text/html,<script>"));
    assert!(
        !safe_url("/\\evil.test/x"),
        "browsers read /\\host as //host"
    );
    assert!(
        !safe_url("java\tscript:alert(1)"),
        "browsers strip tabs inside URLs"
    );
    assert!(!safe_url("/\n/evil.test"));
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn the_goal_is_read_and_unknown_keys_are_refused() {
    let c = config(r#"{"content":{"goal":"Signed Up","slots":{}}}"#).unwrap();
    assert_eq!(c.content.goal.as_deref(), Some("Signed Up"));
    assert_eq!(
        config(r#"{"content":{"hideMs":300}}"#).unwrap_err().path,
        "content.hideMs",
        "hiding is the snippet's setting, not the config's"
    );
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn a_bad_rule_never_matches_and_the_next_rule_still_applies() {
    let (c, problems) = read(
        r#"{"content":{"slots":{"hero":{"rules":[
            {"if":{"tier":{"$gtx":1}},"variant":"power"},
            {"if":{"tier":"high"},"variant":"returning"}]}}}}"#,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "content.slots.hero.rules[0].if");
    assert!(
        problems[0].message.contains("never matches"),
        "{}",
        problems[0].message
    );
    let s = &c.content.slots[0];
    assert!(!s.broken);
    let d = run(s, r#"{"tier":"high"}"#, None);
    assert_eq!(
        (d.variant.as_str(), d.rule.as_deref()),
        ("returning", Some("rule 2"))
    );
}

#[test]
fn a_broken_slot_shows_the_default_and_the_others_keep_working() {
    let (c, problems) = read(
        r#"{"tracking":{"flushAt":3},"content":{"slots":{
            "hero":{"experiment":{"key":"e","variations":["a"]}},
            "side":{"rules":[{"if":{},"variant":"power"}]}}}}"#,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "content.slots.hero.experiment.variations");
    assert_eq!(
        c.tracking.flush_at, 3,
        "the rest of the document stays in force"
    );
    let hero = &c.content.slots[0];
    assert!(hero.broken);
    let d = run(hero, r#"{"id":"x"}"#, None);
    assert_eq!(
        (d.variant.as_str(), d.reason),
        ("default", Reason::Fallback)
    );
    assert_eq!(run(&c.content.slots[1], "{}", None).variant, "power");
}

#[test]
fn structured_variants_take_a_heading_level_and_a_complete_cta() {
    let s = slot(r#"{"variants":{"x":{"title":"Hi","heading":1}}}"#);
    assert_eq!(structured(&s, "x").unwrap().heading, 1);
    let s = slot(r#"{"variants":{"x":{"title":"Hi"}}}"#);
    assert_eq!(structured(&s, "x").unwrap().heading, 2, "h2 by default");
    let err = |json: &str| {
        config(&format!(r#"{{"content":{{"slots":{{"hero":{json}}}}}}}"#)).unwrap_err()
    };
    assert_eq!(
        err(r#"{"variants":{"x":{"heading":7}}}"#).path,
        "content.slots.hero.variants.x.heading"
    );
    assert_eq!(
        err(r#"{"variants":{"x":{"cta":{"label":"Go"}}}}"#).path,
        "content.slots.hero.variants.x.cta"
    );
}

#[test]
fn weights_are_shares_and_an_image_needs_its_description() {
    let s = slot(r#"{"experiment":{"key":"e","variations":["a","b"],"weights":[3,1]}}"#);
    assert_eq!(s.experiment.unwrap().weights, [0.75, 0.25]);
    let err = |json: &str| {
        config(&format!(r#"{{"content":{{"slots":{{"hero":{json}}}}}}}"#)).unwrap_err()
    };
    assert_eq!(
        err(r#"{"experiment":{"key":"e","variations":["a","b"],"weights":[0,0]}}"#).path,
        "content.slots.hero.experiment.weights"
    );
    let e = err(r#"{"variants":{"x":{"image":"/a.png"}}}"#);
    assert_eq!(e.path, "content.slots.hero.variants.x.imageAlt");
    assert!(e.message.contains("decorative"), "{}", e.message);
    let s = slot(r#"{"variants":{"x":{"image":"/a.png","imageAlt":""}}}"#);
    assert_eq!(structured(&s, "x").unwrap().image_alt.as_deref(), Some(""));
}

#[test]
fn experiments_in_disjoint_slices_of_a_namespace_never_share_a_visitor() {
    let exp = |key: &str, start: f64, end: f64| {
        slot(&format!(
            r#"{{"experiment":{{"key":"{key}","variations":["default","bold"],"namespace":["pricing",{start},{end}]}}}}"#
        ))
    };
    let (first, second) = (exp("e1", 0.0, 0.5), exp("e2", 0.5, 1.0));
    let (mut in_first, mut in_second) = (0, 0);
    for i in 0..200 {
        let a = format!(r#"{{"id":"v{i}"}}"#);
        let one = run(&first, &a, None).experiment.is_some();
        let two = run(&second, &a, None).experiment.is_some();
        assert!(!(one && two), "visitor v{i} is in both");
        in_first += usize::from(one);
        in_second += usize::from(two);
    }
    assert!(in_first > 60 && in_second > 60, "{in_first} / {in_second}");
    let outside = (0..200)
        .map(|i| format!(r#"{{"id":"v{i}"}}"#))
        .find(|a| run(&first, a, None).experiment.is_none())
        .unwrap();
    assert_eq!(
        run(&first, &outside, Some(1)).variant,
        "bold",
        "a visitor assigned before keeps the variation"
    );
    assert_eq!(
        config(r#"{"content":{"slots":{"hero":{"experiment":{"key":"e","variations":["a","b"],"namespace":["n",0.6,0.2]}}}}}"#)
            .unwrap_err()
            .path,
        "content.slots.hero.experiment.namespace"
    );
}
