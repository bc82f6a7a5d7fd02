//! `config.schema.json` against the config reader. The reader decides what a site config may
//! contain; the schema only describes it to editors, so for every case here the schema must
//! accept a document exactly when the reader reports no problem with it. The few rules JSON
//! Schema cannot state (a regular expression that compiles, a field bounded by another) are
//! checked against the reader alone, so the schema stays looser there and never stricter.

use serde_json::{json, Value};

use engagekit_collector::config::config_problems;

const SCHEMA: &str = include_str!("../config.schema.json");
const DEMO: &str = include_str!("../../config/demo.json");
const README: &str = include_str!("../../README.md");

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("config.schema.json is JSON")
}

/// One document and whether the reader takes it without a problem.
struct Case {
    name: String,
    valid: bool,
    config: Value,
}

fn case(name: &str, valid: bool, config: Value) -> Case {
    Case {
        name: name.to_owned(),
        valid,
        config,
    }
}

fn ok(name: &str, config: Value) -> Case {
    case(name, true, config)
}

fn bad(name: &str, config: Value) -> Case {
    case(name, false, config)
}

fn tracking(t: Value) -> Value {
    json!({ "tracking": t })
}

fn audience(a: Value) -> Value {
    json!({ "audience": a })
}

fn slot(s: Value) -> Value {
    json!({ "content": { "slots": { "hero": s } } })
}

fn rule(r: Value) -> Value {
    slot(json!({ "rules": [r] }))
}

/// A rule shown when `condition` matches.
fn when(condition: Value) -> Value {
    rule(json!({ "if": condition, "variant": "v" }))
}

/// An experiment: `extra` fields over a minimal valid one.
fn experiment(extra: Value) -> Value {
    let mut e = json!({ "key": "cta-copy", "variations": ["default", "team"] });
    for (k, v) in extra.as_object().into_iter().flatten() {
        e[k] = v.clone();
    }
    slot(json!({ "experiment": e }))
}

fn variant(v: Value) -> Value {
    slot(json!({ "variants": { "team": v } }))
}

/// The section of README.md under `heading`, up to the next `## ` heading.
fn readme_section(heading: &str) -> &'static str {
    let start = README
        .find(heading)
        .unwrap_or_else(|| panic!("README.md has no {heading:?} section"));
    let rest = &README[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// The ```json blocks of a README section.
fn json_blocks(section: &str) -> Vec<&str> {
    section
        .split("```json\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect()
}

/// Documents that must be valid as they are: the demo sites, README's whole example configs
/// and, as rule conditions, README's example conditions.
fn published() -> Vec<Case> {
    let mut cases = Vec::new();
    let demo: Value = serde_json::from_str(DEMO).expect("the demo config is JSON");
    for (key, site) in demo.as_object().expect("writeKey → config") {
        cases.push(ok(&format!("demo site {key}"), site.clone()));
    }
    let configs: Vec<Value> = json_blocks(readme_section("## Configuration\n"))
        .into_iter()
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
        .filter(Value::is_object)
        .collect();
    assert!(
        !configs.is_empty(),
        "README's Configuration section has a whole example config"
    );
    for (i, c) in configs.into_iter().enumerate() {
        cases.push(ok(&format!("README Configuration example {}", i + 1), c));
    }
    let conditions: Vec<&str> = json_blocks(readme_section("## Audiences"))
        .into_iter()
        .flat_map(str::lines)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(!conditions.is_empty(), "README has example conditions");
    for c in conditions {
        let condition: Value = serde_json::from_str(c).expect("README condition is JSON");
        cases.push(ok(&format!("README condition {c}"), when(condition)));
    }
    cases
}

/// Every field, valid (bounds included) and invalid (wrong type, out of range, unknown key).
fn hand_written() -> Vec<Case> {
    vec![
        // The document.
        ok("empty document", json!({})),
        bad("document is an array", json!([1])),
        bad("document is a string", json!("tracking")),
        bad("document is null", json!(null)),
        bad("unknown top-level key", json!({ "colour": "red" })),
        ok(
            "a $schema key names the schema for editors",
            json!({ "$schema": "http://127.0.0.1:8080/v1/config/schema.json" }),
        ),
        bad("a $schema that is not a string", json!({ "$schema": 1 })),
        ok("allowedOrigins empty", json!({ "allowedOrigins": [] })),
        ok(
            "allowedOrigins list",
            json!({ "allowedOrigins": ["https://a.test", "*", ""] }),
        ),
        bad("allowedOrigins a string", json!({ "allowedOrigins": "*" })),
        bad(
            "allowedOrigins of numbers",
            json!({ "allowedOrigins": [1] }),
        ),
        bad("allowedOrigins null", json!({ "allowedOrigins": null })),
        // tracking
        ok("tracking empty", tracking(json!({}))),
        bad("tracking an array", tracking(json!([]))),
        bad("tracking null", tracking(json!(null))),
        bad("tracking unknown key", tracking(json!({ "flushEvery": 3 }))),
        ok(
            "flushAt at its minimum 1",
            tracking(json!({ "flushAt": 1 })),
        ),
        ok(
            "flushAt at its maximum",
            tracking(json!({ "flushAt": 4_294_967_295_u64 })),
        ),
        ok("flushAt a whole float", tracking(json!({ "flushAt": 5.0 }))),
        bad("flushAt 0", tracking(json!({ "flushAt": 0 }))),
        bad("flushAt negative", tracking(json!({ "flushAt": -1 }))),
        bad(
            "flushAt above u32",
            tracking(json!({ "flushAt": 4_294_967_296_u64 })),
        ),
        bad("flushAt fractional", tracking(json!({ "flushAt": 1.5 }))),
        bad("flushAt a string", tracking(json!({ "flushAt": "ten" }))),
        ok(
            "flushIntervalMs 0",
            tracking(json!({ "flushIntervalMs": 0 })),
        ),
        bad(
            "flushIntervalMs negative",
            tracking(json!({ "flushIntervalMs": -1 })),
        ),
        bad(
            "flushIntervalMs fractional",
            tracking(json!({ "flushIntervalMs": 1.5 })),
        ),
        ok("maxQueueEvents 1", tracking(json!({ "maxQueueEvents": 1 }))),
        bad("maxQueueEvents 0", tracking(json!({ "maxQueueEvents": 0 }))),
        ok(
            "maxQueueBytes at one event's limit",
            tracking(json!({ "maxQueueBytes": 32768 })),
        ),
        bad(
            "maxQueueBytes below one event's limit",
            tracking(json!({ "maxQueueBytes": 32767 })),
        ),
        ok(
            "sessionTimeoutMinutes 1",
            tracking(json!({ "sessionTimeoutMinutes": 1 })),
        ),
        bad(
            "sessionTimeoutMinutes 0",
            tracking(json!({ "sessionTimeoutMinutes": 0 })),
        ),
        ok(
            "autocapture both switches",
            tracking(json!({ "autocapture": { "pageviews": false, "clicks": true } })),
        ),
        bad(
            "autocapture clicks a string",
            tracking(json!({ "autocapture": { "clicks": "yes" } })),
        ),
        bad(
            "autocapture unknown key",
            tracking(json!({ "autocapture": { "scrolls": true } })),
        ),
        bad(
            "autocapture a boolean",
            tracking(json!({ "autocapture": true })),
        ),
        // privacy
        ok(
            "privacy both flags",
            json!({ "privacy": { "requireConsent": true, "honorDnt": false } }),
        ),
        bad(
            "privacy honorDnt 1",
            json!({ "privacy": { "honorDnt": 1 } }),
        ),
        bad(
            "privacy requireConsent a string",
            json!({ "privacy": { "requireConsent": "yes" } }),
        ),
        bad("privacy unknown key", json!({ "privacy": { "dnt": true } })),
        bad("privacy an array", json!({ "privacy": [] })),
        // score
        ok(
            "score weights of any sign and name",
            json!({ "score": { "weights": { "Signed Up": 10, "Page Viewed": -1, "": 0.5 } } }),
        ),
        bad(
            "score weight a string",
            json!({ "score": { "weights": { "Signed Up": "lots" } } }),
        ),
        bad(
            "score weight null",
            json!({ "score": { "weights": { "Signed Up": null } } }),
        ),
        bad(
            "score weights an array",
            json!({ "score": { "weights": [] } }),
        ),
        ok(
            "halfLifeDays just above 0",
            json!({ "score": { "halfLifeDays": 0.001 } }),
        ),
        bad("halfLifeDays 0", json!({ "score": { "halfLifeDays": 0 } })),
        bad(
            "halfLifeDays negative",
            json!({ "score": { "halfLifeDays": -1 } }),
        ),
        bad(
            "halfLifeDays a string",
            json!({ "score": { "halfLifeDays": "7" } }),
        ),
        ok("scale tiny", json!({ "score": { "scale": 1e-9 } })),
        bad("scale 0", json!({ "score": { "scale": 0 } })),
        bad("score unknown key", json!({ "score": { "decay": 7 } })),
        // audience
        ok("audience empty", audience(json!({}))),
        bad("audience a string", audience(json!("x"))),
        bad("audience unknown key", audience(json!({ "segments": {} }))),
        ok(
            "tiers both 0",
            audience(json!({ "tiers": { "mid": 0, "high": 0 } })),
        ),
        ok(
            "tiers both 100",
            audience(json!({ "tiers": { "mid": 100, "high": 100 } })),
        ),
        ok(
            "tiers high equal to mid",
            audience(json!({ "tiers": { "mid": 10.5, "high": 10.5 } })),
        ),
        bad(
            "tiers mid below 0",
            audience(json!({ "tiers": { "mid": -0.1 } })),
        ),
        bad(
            "tiers mid above 100",
            audience(json!({ "tiers": { "mid": 100.5 } })),
        ),
        bad(
            "tiers high above 100",
            audience(json!({ "tiers": { "high": 101 } })),
        ),
        ok(
            "tiers high alone at mid's default",
            audience(json!({ "tiers": { "high": 25 } })),
        ),
        bad(
            "tiers high alone below mid's default",
            audience(json!({ "tiers": { "high": 24.9 } })),
        ),
        // high would keep its default, 60, below mid, so `mid` would never be reached.
        bad(
            "tiers mid alone above high's default",
            audience(json!({ "tiers": { "mid": 80 } })),
        ),
        ok(
            "tiers mid alone at high's default",
            audience(json!({ "tiers": { "mid": 60 } })),
        ),
        bad(
            "tiers mid a string",
            audience(json!({ "tiers": { "mid": "25" } })),
        ),
        bad(
            "tiers unknown key",
            audience(json!({ "tiers": { "low": 0 } })),
        ),
        ok(
            "lifecycle at its lower bounds",
            audience(json!({ "lifecycle": { "activeSessions": 1, "atRiskDays": 0 } })),
        ),
        ok(
            "lifecycle atRiskDays at its maximum",
            audience(json!({ "lifecycle": { "atRiskDays": 3650 } })),
        ),
        bad(
            "lifecycle activeSessions 0",
            audience(json!({ "lifecycle": { "activeSessions": 0 } })),
        ),
        bad(
            "lifecycle activeSessions fractional",
            audience(json!({ "lifecycle": { "activeSessions": 2.5 } })),
        ),
        bad(
            "lifecycle atRiskDays above 3650",
            audience(json!({ "lifecycle": { "atRiskDays": 3650.1 } })),
        ),
        bad(
            "lifecycle atRiskDays negative",
            audience(json!({ "lifecycle": { "atRiskDays": -1 } })),
        ),
        bad(
            "lifecycle unknown key",
            audience(json!({ "lifecycle": { "newSessions": 1 } })),
        ),
        ok(
            "savedGroups of any values",
            audience(json!({ "savedGroups": { "beta": ["u1", 2, null], "none": [] } })),
        ),
        bad(
            "savedGroups group a string",
            audience(json!({ "savedGroups": { "beta": "u1" } })),
        ),
        bad(
            "savedGroups an array",
            audience(json!({ "savedGroups": [] })),
        ),
        // content
        ok("content empty", json!({ "content": {} })),
        bad("content an array", json!({ "content": [] })),
        bad("content unknown key", json!({ "content": { "slot": {} } })),
        ok(
            "content goal",
            json!({ "content": { "goal": "Signed Up" } }),
        ),
        bad("content goal empty", json!({ "content": { "goal": "" } })),
        bad("content goal a number", json!({ "content": { "goal": 1 } })),
        bad(
            "content slots an array",
            json!({ "content": { "slots": [] } }),
        ),
        ok("slot empty", slot(json!({}))),
        bad("slot a string", slot(json!("hero"))),
        bad("slot unknown key", slot(json!({ "rule": [] }))),
        ok("slot goal", slot(json!({ "goal": "Trial Started" }))),
        bad("slot goal empty", slot(json!({ "goal": "" }))),
        ok("slot rules empty", slot(json!({ "rules": [] }))),
        bad("slot rules an object", slot(json!({ "rules": {} }))),
        bad("slot rule a number", slot(json!({ "rules": [1] }))),
        ok("rule without condition", rule(json!({ "variant": "v" }))),
        ok(
            "rule with a name",
            rule(json!({ "name": "engaged", "if": {}, "variant": "v" })),
        ),
        bad("rule without variant", rule(json!({ "if": {} }))),
        bad("rule variant empty", rule(json!({ "variant": "" }))),
        bad(
            "rule name empty",
            rule(json!({ "name": "", "variant": "v" })),
        ),
        bad(
            "rule unknown key",
            rule(json!({ "when": {}, "variant": "v" })),
        ),
        // conditions
        ok("condition empty", when(json!({}))),
        ok("condition bare value", when(json!({ "tier": "high" }))),
        ok(
            "condition a path starting with $",
            when(json!({ "$foo": 1 })),
        ),
        ok(
            "condition value an object with a plain key (a literal)",
            when(json!({ "age": { "$gt": 1, "x": 2 } })),
        ),
        ok(
            "condition value an array literal (not read as operators)",
            when(json!({ "a": [{ "$gtx": 1 }] })),
        ),
        ok("condition operators empty", when(json!({ "age": {} }))),
        bad("condition an array", when(json!([]))),
        bad("condition null", when(json!(null))),
        bad("condition a string", when(json!("tier"))),
        bad(
            "condition unknown operator",
            when(json!({ "age": { "$gtx": 1 } })),
        ),
        bad(
            "condition $and as an operator",
            when(json!({ "age": { "$and": [] } })),
        ),
        ok(
            "condition ordered operators",
            when(json!({ "age": { "$gt": 1, "$lte": 9 }, "name": { "$gte": "b", "$lt": "c" } })),
        ),
        bad(
            "condition $gt a boolean",
            when(json!({ "age": { "$gt": true } })),
        ),
        bad(
            "condition $lt null",
            when(json!({ "age": { "$lt": null } })),
        ),
        ok(
            "condition $eq, $ne and $exists take anything",
            when(json!({ "a": { "$eq": { "$gtx": 1 }, "$ne": null }, "b": { "$exists": "yes" } })),
        ),
        ok(
            "condition $and empty",
            when(json!({ "$and": [], "tier": "high" })),
        ),
        bad("condition $and an object", when(json!({ "$and": {} }))),
        bad("condition $and of numbers", when(json!({ "$and": [1] }))),
        ok(
            "condition $or",
            when(json!({ "$or": [{ "a": 1 }, { "b": { "$lt": 2 } }] })),
        ),
        bad("condition $nor a string", when(json!({ "$nor": "x" }))),
        bad(
            "condition $or with a bad operator inside",
            when(json!({ "$or": [{ "a": { "$bad": 1 } }] })),
        ),
        ok("condition $not", when(json!({ "$not": { "a": 1 } }))),
        bad("condition $not an array", when(json!({ "$not": [] }))),
        ok(
            "condition nested deeply",
            when(json!({ "$or": [{ "$and": [{ "$not": { "a": { "$regexi": "x" } } }] }] })),
        ),
        ok(
            "condition $in family",
            when(json!({ "a": { "$in": [1, "x"], "$nin": [], "$ini": ["X"], "$nini": [] } })),
        ),
        bad(
            "condition $in a string",
            when(json!({ "plan": { "$in": "pro" } })),
        ),
        ok(
            "condition $all of values and operators",
            when(json!({ "tags": { "$all": [{ "$gt": 1 }, "a"], "$alli": [] } })),
        ),
        bad(
            "condition $all with an unknown operator",
            when(json!({ "tags": { "$all": [{ "$gtx": 1 }] } })),
        ),
        bad(
            "condition $alli a string",
            when(json!({ "tags": { "$alli": "a" } })),
        ),
        ok(
            "condition $elemMatch of operators",
            when(json!({ "tags": { "$elemMatch": { "$gt": 1 } } })),
        ),
        ok(
            "condition $elemMatch of fields",
            when(json!({ "items": { "$elemMatch": { "name": "x", "n": { "$lt": 3 } } } })),
        ),
        ok(
            "condition $elemMatch with a logical key is a condition",
            when(json!({ "items": { "$elemMatch": { "$or": [{ "a": 1 }], "$gt": 2 } } })),
        ),
        bad(
            "condition $elemMatch unknown operator",
            when(json!({ "tags": { "$elemMatch": { "$gtx": 1 } } })),
        ),
        bad(
            "condition $elemMatch field with an unknown operator",
            when(json!({ "items": { "$elemMatch": { "name": { "$foo": 1 } } } })),
        ),
        bad(
            "condition $elemMatch $or of numbers",
            when(json!({ "items": { "$elemMatch": { "$or": [1] } } })),
        ),
        bad(
            "condition $elemMatch a number",
            when(json!({ "tags": { "$elemMatch": 3 } })),
        ),
        ok(
            "condition $size",
            when(json!({ "a": { "$size": 2 }, "b": { "$size": { "$gt": 1 } } })),
        ),
        bad(
            "condition $size with an unknown operator",
            when(json!({ "a": { "$size": { "$bad": 1 } } })),
        ),
        ok(
            "condition operator $not",
            when(json!({ "age": { "$not": 5 } })),
        ),
        bad(
            "condition operator $not with an unknown operator",
            when(json!({ "age": { "$not": { "$gtx": 1 } } })),
        ),
        ok(
            "condition $inGroup",
            when(json!({ "id": { "$inGroup": "beta" }, "x": { "$notInGroup": "" } })),
        ),
        bad(
            "condition $inGroup a number",
            when(json!({ "id": { "$inGroup": 1 } })),
        ),
        ok(
            "condition $type of each name",
            when(json!({ "$and": [
                { "a": { "$type": "null" } }, { "a": { "$type": "boolean" } },
                { "a": { "$type": "number" } }, { "a": { "$type": "string" } },
                { "a": { "$type": "array" } }, { "a": { "$type": "object" } }
            ] })),
        ),
        bad(
            "condition $type integer",
            when(json!({ "a": { "$type": "integer" } })),
        ),
        bad(
            "condition $type a number",
            when(json!({ "a": { "$type": 1 } })),
        ),
        ok(
            "condition version operators",
            when(json!({ "v": {
                "$veq": "1.2.3", "$vne": "v2", "$vgt": "", "$vgte": "1.0.0-beta", "$vlt": "9", "$vlte": "9.9"
            } })),
        ),
        bad(
            "condition $vgt a number",
            when(json!({ "v": { "$vgt": 1 } })),
        ),
        ok(
            "condition $regex and $regexi",
            when(json!({ "path": { "$regex": "^/blog/" }, "language": { "$regexi": "^FR" } })),
        ),
        bad(
            "condition $regex a number",
            when(json!({ "path": { "$regex": 1 } })),
        ),
        // experiment
        ok("experiment minimal", experiment(json!({}))),
        bad("experiment an array", slot(json!({ "experiment": [] }))),
        bad(
            "experiment without key",
            slot(json!({ "experiment": { "variations": ["a", "b"] } })),
        ),
        bad(
            "experiment without variations",
            slot(json!({ "experiment": { "key": "k" } })),
        ),
        bad("experiment key empty", experiment(json!({ "key": "" }))),
        bad("experiment unknown key", experiment(json!({ "seed": "x" }))),
        bad(
            "experiment one variation",
            experiment(json!({ "variations": ["a"] })),
        ),
        bad(
            "experiment variation empty",
            experiment(json!({ "variations": ["a", ""] })),
        ),
        bad(
            "experiment variations a string",
            experiment(json!({ "variations": "a" })),
        ),
        ok(
            "experiment three variations",
            experiment(json!({ "variations": ["default", "a", "b"] })),
        ),
        ok(
            "experiment weights shares",
            experiment(json!({ "weights": [3, 1] })),
        ),
        ok(
            "experiment weights with a 0",
            experiment(json!({ "weights": [0, 1] })),
        ),
        bad(
            "experiment weights all 0",
            experiment(json!({ "weights": [0, 0] })),
        ),
        bad(
            "experiment weight negative",
            experiment(json!({ "weights": [-1, 2] })),
        ),
        bad(
            "experiment weights strings",
            experiment(json!({ "weights": ["1", "1"] })),
        ),
        bad(
            "experiment weights empty",
            experiment(json!({ "weights": [] })),
        ),
        bad(
            "experiment weights a number",
            experiment(json!({ "weights": 1 })),
        ),
        ok(
            "experiment coverage 0",
            experiment(json!({ "coverage": 0 })),
        ),
        ok(
            "experiment coverage 1",
            experiment(json!({ "coverage": 1 })),
        ),
        bad(
            "experiment coverage above 1",
            experiment(json!({ "coverage": 1.01 })),
        ),
        bad(
            "experiment coverage negative",
            experiment(json!({ "coverage": -0.01 })),
        ),
        ok(
            "experiment hashAttribute",
            experiment(json!({ "hashAttribute": "traits.company" })),
        ),
        bad(
            "experiment hashAttribute empty",
            experiment(json!({ "hashAttribute": "" })),
        ),
        ok(
            "experiment namespace whole",
            experiment(json!({ "namespace": ["ns", 0, 1] })),
        ),
        ok(
            "experiment namespace slice",
            experiment(json!({ "namespace": ["ns", 0.5, 0.75] })),
        ),
        bad(
            "experiment namespace end above 1",
            experiment(json!({ "namespace": ["ns", 0, 1.5] })),
        ),
        bad(
            "experiment namespace start negative",
            experiment(json!({ "namespace": ["ns", -0.1, 0.5] })),
        ),
        bad(
            "experiment namespace name empty",
            experiment(json!({ "namespace": ["", 0, 1] })),
        ),
        bad(
            "experiment namespace too long",
            experiment(json!({ "namespace": ["ns", 0, 1, 2] })),
        ),
        bad(
            "experiment namespace too short",
            experiment(json!({ "namespace": ["ns", 0] })),
        ),
        bad(
            "experiment namespace a string",
            experiment(json!({ "namespace": "ns" })),
        ),
        // variants
        ok(
            "variant with every field",
            variant(json!({
                "title": "<img src=x onerror=alert(1)>", "heading": 1, "body": "Free for 14 days.",
                "cta": { "label": "Start", "href": "https://a.test/app?trial=team" },
                "image": "/img/team.png", "imageAlt": ""
            })),
        ),
        ok("variant empty", variant(json!({}))),
        bad("variant a string", variant(json!("team"))),
        bad("variants an array", slot(json!({ "variants": [] }))),
        bad(
            "variant unknown key",
            variant(json!({ "html": "<b>x</b>" })),
        ),
        bad("variant title empty", variant(json!({ "title": "" }))),
        bad("variant body a number", variant(json!({ "body": 1 }))),
        ok("variant heading 6", variant(json!({ "heading": 6 }))),
        bad("variant heading 0", variant(json!({ "heading": 0 }))),
        bad("variant heading 7", variant(json!({ "heading": 7 }))),
        bad(
            "variant heading fractional",
            variant(json!({ "heading": 2.5 })),
        ),
        bad(
            "variant image without alt",
            variant(json!({ "image": "/a.png" })),
        ),
        ok(
            "variant alt without image",
            variant(json!({ "imageAlt": "a team" })),
        ),
        bad(
            "variant imageAlt a number",
            variant(json!({ "image": "/a.png", "imageAlt": 1 })),
        ),
        ok(
            "variant image root path",
            variant(json!({ "image": "/", "imageAlt": "" })),
        ),
        ok(
            "variant image upper-case scheme",
            variant(json!({ "image": "HTTPS://A.TEST/x.png", "imageAlt": "" })),
        ),
        ok(
            "variant image with a BOM (neither whitespace nor control)",
            variant(json!({ "image": "https://a.test/\u{feff}", "imageAlt": "" })),
        ),
        bad(
            "variant image javascript:",
            variant(json!({ "image": "javascript:alert(1)", "imageAlt": "" })),
        ),
        bad(
            "variant image another site by //",
            variant(json!({ "image": "//evil.test/x.png", "imageAlt": "" })),
        ),
        bad(
            "variant image another site by /\\",
            variant(json!({ "image": "/\\evil.test/x.png", "imageAlt": "" })),
        ),
        bad(
            "variant image ftp",
            variant(json!({ "image": "ftp://a.test/x.png", "imageAlt": "" })),
        ),
        bad(
            "variant image empty",
            variant(json!({ "image": "", "imageAlt": "" })),
        ),
        bad(
            "variant image with a space",
            variant(json!({ "image": "https://a.test/x y.png", "imageAlt": "" })),
        ),
        bad(
            "variant image with a tab",
            variant(json!({ "image": "/a\tb.png", "imageAlt": "" })),
        ),
        bad(
            "variant image with a no-break space",
            variant(json!({ "image": "https://a.test/\u{a0}", "imageAlt": "" })),
        ),
        bad(
            "variant image with a line separator",
            variant(json!({ "image": "/a\u{2028}", "imageAlt": "" })),
        ),
        bad(
            "variant image with a DEL",
            variant(json!({ "image": "/a\u{7f}", "imageAlt": "" })),
        ),
        bad(
            "variant image with whitespace after the slash",
            variant(json!({ "image": "/\u{3000}x", "imageAlt": "" })),
        ),
        bad(
            "variant cta without href",
            variant(json!({ "cta": { "label": "Start" } })),
        ),
        bad(
            "variant cta label empty",
            variant(json!({ "cta": { "label": "", "href": "/app" } })),
        ),
        bad(
            "variant cta href javascript:",
            variant(json!({ "cta": { "label": "Start", "href": "javascript:void(0)" } })),
        ),
        bad(
            "variant cta unknown key",
            variant(json!({ "cta": { "label": "Start", "href": "/app", "target": "_blank" } })),
        ),
        bad("variant cta a string", variant(json!({ "cta": "/app" }))),
        // Surveys and the prompt cap.
        ok("survey minimal", survey(json!({}))),
        ok(
            "survey every field",
            survey(json!({
                "text": { "fr": texts(), "en": texts() },
                "defaultLocale": "en",
                "placement": "center",
                "theme": { "accent": "#0b5fff", "radius": "12px", "font": "\"Inter\", system-ui" },
                "if": { "tier": "high" },
                "triggers": [
                    { "delayMs": 3000 },
                    { "event": "Signed Up", "where": { "plan": "pro" } },
                    { "scrollPercent": 50 }
                ],
                "sample": 0.25,
                "resurveyDays": 60,
                "dismissWaitDays": 0
            })),
        ),
        ok(
            "survey follow-ups",
            survey(json!({ "text": { "en": {
                "question": "q", "low": "l", "high": "h", "thanks": "t", "send": "Go", "close": "X",
                "followUp": { "detractor": { "question": "Why?", "placeholder": "…" }, "promoter": { "question": "What?" } }
            } } })),
        ),
        bad("survey without text", json!({ "surveys": { "nps": {} } })),
        bad("survey text empty", survey(json!({ "text": {} }))),
        bad(
            "survey text without thanks",
            survey(json!({ "text": { "en": { "question": "q", "low": "l", "high": "h" } } })),
        ),
        bad(
            "survey text unknown key",
            survey(
                json!({ "text": { "en": { "question": "q", "low": "l", "high": "h", "thanks": "t", "title": "x" } } }),
            ),
        ),
        bad(
            "survey follow-up without question",
            survey(json!({ "text": { "en": {
            "question": "q", "low": "l", "high": "h", "thanks": "t", "followUp": { "passive": { "placeholder": "p" } } } } })),
        ),
        bad(
            "survey follow-up unknown category",
            survey(json!({ "text": { "en": {
            "question": "q", "low": "l", "high": "h", "thanks": "t", "followUp": { "neutral": { "question": "q" } } } } })),
        ),
        bad(
            "survey id with a space",
            json!({ "surveys": { "my survey": { "text": { "en": texts() } } } }),
        ),
        bad(
            "survey placement top",
            survey(json!({ "placement": "top" })),
        ),
        bad("survey sample above 1", survey(json!({ "sample": 1.5 }))),
        bad(
            "survey resurvey negative",
            survey(json!({ "resurveyDays": -1 })),
        ),
        bad(
            "survey theme with a semicolon",
            survey(json!({ "theme": { "accent": "red; color: blue" } })),
        ),
        bad(
            "survey theme with url()",
            survey(json!({ "theme": { "background": "URL(https://x.test/a.png)" } })),
        ),
        bad(
            "survey theme unknown key",
            survey(json!({ "theme": { "shadow": "none" } })),
        ),
        bad(
            "survey trigger unknown",
            survey(json!({ "triggers": [{ "whenever": true }] })),
        ),
        bad(
            "survey trigger delay negative",
            survey(json!({ "triggers": [{ "delayMs": -5 }] })),
        ),
        bad(
            "survey trigger scroll above 100",
            survey(json!({ "triggers": [{ "scrollPercent": 120 }] })),
        ),
        bad(
            "survey trigger event with extra key",
            survey(json!({ "triggers": [{ "event": "E", "delayMs": 5 }] })),
        ),
        bad("survey unknown key", survey(json!({ "color": "red" }))),
        bad(
            "survey audience unknown operator",
            survey(json!({ "if": { "tier": { "$gtx": 1 } } })),
        ),
        ok(
            "prompts",
            json!({ "prompts": { "maxPerWeek": 0, "minGapHours": 0 } }),
        ),
        bad(
            "prompts fractional",
            json!({ "prompts": { "maxPerWeek": 1.5 } }),
        ),
        bad(
            "prompts gap over a year",
            json!({ "prompts": { "minGapHours": 9000 } }),
        ),
        bad("prompts unknown key", json!({ "prompts": { "perDay": 1 } })),
        ok(
            "checklist, every field",
            checklist(json!({
                "text": { "en": { "title": "Get started", "launcher": "Start", "completed": "Done!",
                    "dismiss": "Dismiss", "close": "Close", "locked": "Later", "markDone": "Tick",
                    "done": "done", "count": "{done}/{total}", "progress": "{done} of {total}",
                    "steps": { "a": { "title": "A", "description": "d", "action": "Go" } } } },
                "defaultLocale": "en", "placement": "bottom-left", "theme": { "accent": "#123" },
                "if": { "path": "/app" }, "order": "ordered", "dismissible": false, "autoOpen": true,
                "steps": [
                    { "id": "a", "event": "A", "where": { "plan": "pro" }, "href": "/app" },
                    { "id": "b", "page": { "path": "/pricing" }, "after": ["a"] },
                    { "id": "c", "manual": true }
                ]
            })),
        ),
        bad("checklist without steps", checklist(json!({ "steps": [] }))),
        bad(
            "checklist step with an event and a page",
            checklist(json!({ "steps": [{ "id": "a", "event": "A", "page": { "path": "/" } }] })),
        ),
        bad(
            "checklist step with where but no event",
            checklist(json!({ "steps": [{ "id": "a", "where": { "plan": "pro" } }] })),
        ),
        bad(
            "checklist step id with a space",
            checklist(json!({ "steps": [{ "id": "a b" }] })),
        ),
        bad(
            "checklist step javascript link",
            checklist(json!({ "steps": [{ "id": "a", "href": "javascript:alert(1)" }] })),
        ),
        bad(
            "checklist placement center",
            checklist(json!({ "placement": "center" })),
        ),
        bad(
            "checklist order random",
            checklist(json!({ "order": "random" })),
        ),
        bad(
            "checklist text without title",
            checklist(json!({ "text": { "en": { "launcher": "x" } } })),
        ),
    ]
}

/// A checklist `onboarding` with English texts, one step, and `extra` over them.
fn checklist(extra: Value) -> Value {
    let mut c = json!({ "text": { "en": { "title": "Get started" } }, "steps": [{ "id": "a", "event": "A" }] });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    json!({ "checklists": { "onboarding": c } })
}

fn texts() -> Value {
    json!({ "question": "How likely are you to recommend us?", "low": "Not likely", "high": "Very likely", "thanks": "Thank you!" })
}

/// A survey `nps` with English texts and `extra` over them.
fn survey(extra: Value) -> Value {
    let mut s = json!({ "text": { "en": texts() } });
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    json!({ "surveys": { "nps": s } })
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema() {
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema()) {
        panic!("config.schema.json: {e} at {}", e.instance_path());
    }
}

/// Editors show a property's title and description: every property declared has both.
#[test]
fn every_property_has_a_title_and_a_description() {
    fn walk(node: &Value, path: &str, missing: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    for (name, prop) in props {
                        if prop.get("title").is_none() || prop.get("description").is_none() {
                            missing.push(format!("{path}/properties/{name}"));
                        }
                    }
                }
                // `if`/`then`/`else` only narrow properties declared elsewhere.
                for (k, v) in map
                    .iter()
                    .filter(|(k, _)| !["if", "then", "else"].contains(&k.as_str()))
                {
                    walk(v, &format!("{path}/{k}"), missing);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{path}/{i}"), missing);
                }
            }
            _ => {}
        }
    }
    let mut missing = Vec::new();
    walk(&schema(), "#", &mut missing);
    assert!(
        missing.is_empty(),
        "without title or description: {missing:?}"
    );
}

#[test]
fn the_schema_accepts_exactly_what_the_reader_accepts() {
    let validator = jsonschema::draft202012::new(&schema()).expect("the schema compiles");
    let cases: Vec<Case> = published().into_iter().chain(hand_written()).collect();
    let mut failures = Vec::new();
    for c in &cases {
        let problems = config_problems(&c.config);
        let schema_error = validator
            .validate(&c.config)
            .err()
            .map(|e| format!("{e} at {}", e.instance_path()));
        let reader_ok = problems.is_empty();
        if reader_ok != c.valid || schema_error.is_none() != reader_ok {
            failures.push(format!(
                "{}: expected {}; reader {} {problems:?}; schema {} {}",
                c.name,
                verdict(c.valid),
                verdict(reader_ok),
                verdict(schema_error.is_none()),
                schema_error.unwrap_or_default(),
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn verdict(valid: bool) -> &'static str {
    if valid {
        "accepts"
    } else {
        "rejects"
    }
}

/// What JSON Schema cannot express: the schema accepts these, the reader does not.
#[test]
fn the_reader_alone_rejects_what_the_schema_cannot_express() {
    let cases = [
        // A bound set by another field's value: draft 2020-12 has no `$data`.
        bad(
            "tiers high below mid",
            audience(json!({ "tiers": { "mid": 50, "high": 40 } })),
        ),
        // Lengths of two arrays compared: one weight per variation.
        bad(
            "experiment more weights than variations",
            experiment(json!({ "weights": [1, 1, 1] })),
        ),
        bad(
            "experiment fewer weights than variations",
            experiment(json!({ "variations": ["a", "b", "c"], "weights": [1, 1] })),
        ),
        // A value that must be one of another field's keys.
        bad(
            "survey default locale not among them",
            survey(json!({ "defaultLocale": "de" })),
        ),
        // Two items of one array compared: start < end.
        bad(
            "experiment namespace empty slice",
            experiment(json!({ "namespace": ["ns", 0.5, 0.5] })),
        ),
        bad(
            "experiment namespace reversed",
            experiment(json!({ "namespace": ["ns", 0.6, 0.4] })),
        ),
        // Whether a pattern compiles (in the reader's JavaScript regex engine): a schema's
        // `format: "regex"` is an annotation most validators skip, and its engine may differ.
        bad(
            "condition $regex that does not compile",
            when(json!({ "path": { "$regex": "(" } })),
        ),
        bad(
            "condition $regexi that does not compile, nested",
            when(json!({ "$or": [{ "a": { "$not": { "$regexi": "[" } } }] })),
        ),
    ];
    for c in cases {
        let problems = config_problems(&c.config);
        assert_eq!(
            problems.is_empty(),
            c.valid,
            "{}: reader {} {problems:?}",
            c.name,
            verdict(problems.is_empty())
        );
    }
}
