use super::*;
use crate::regex::RegressEngine;

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

fn eval_with_groups(condition: &str, attributes: &str, groups: &str) -> bool {
    let Value::Object(groups) = json(groups) else {
        panic!("groups must be an object")
    };
    eval_condition(
        &json(condition),
        &json(attributes),
        &groups,
        &RegressEngine::new(),
    )
}

fn matches(condition: &str, attributes: &str) -> bool {
    eval_with_groups(condition, attributes, "{}")
}

fn validate(condition: &str) -> Result<(), String> {
    validate_condition(&json(condition), &RegressEngine::new())
}

#[test]
fn unknown_operator_never_passes_even_negated() {
    assert!(!matches(r#"{"name": {"$regx": "x"}}"#, r#"{"name": "x"}"#));
    assert!(!matches(
        r#"{"$not": {"name": {"$regx": "x"}}}"#,
        r#"{"name": "x"}"#
    ));
    assert!(!matches(
        r#"{"name": {"$not": {"$regx": "x"}}}"#,
        r#"{"name": "x"}"#
    ));
    assert!(!matches(
        r#"{"$nor": [{"name": {"$regx": "x"}}]}"#,
        r#"{"name": "x"}"#
    ));
}

#[test]
fn a_decided_branch_outweighs_an_unknown_one() {
    // $or with a passing branch passes; $and with a failing branch fails, so $not passes.
    assert!(matches(
        r#"{"$or": [{"a": {"$bogus": 1}}, {"a": 1}]}"#,
        r#"{"a": 1}"#
    ));
    assert!(matches(
        r#"{"$not": {"$and": [{"a": {"$bogus": 1}}, {"a": 2}]}}"#,
        r#"{"a": 1}"#
    ));
}

#[test]
fn bad_regex_is_no_match_whatever_the_attribute() {
    assert!(!matches(r#"{"a": {"$regex": "("}}"#, r#"{"a": "("}"#));
    assert!(!matches(
        r#"{"a": {"$not": {"$regex": "("}}}"#,
        r#"{"a": "x"}"#
    ));
    assert!(!matches(r#"{"a": {"$not": {"$regex": "("}}}"#, r#"{}"#));
    assert!(!matches(r#"{"a": {"$regexi": 5}}"#, r#"{"a": "5"}"#));
}

#[test]
fn malformed_logic_is_no_match() {
    assert!(!matches(r#"{"$and": {"a": 1}}"#, r#"{"a": 1}"#));
    assert!(!matches(r#"{"$not": {"$or": "a"}}"#, r#"{"a": 1}"#));
    assert!(!matches(r#"[{"a": 1}]"#, r#"{"a": 1}"#));
}

#[test]
fn dotted_paths_reach_into_objects_and_arrays() {
    assert!(matches(
        r#"{"user.plan.tier": "pro"}"#,
        r#"{"user": {"plan": {"tier": "pro"}}}"#
    ));
    assert!(matches(
        r#"{"items.1.id": 7}"#,
        r#"{"items": [{"id": 3}, {"id": 7}]}"#
    ));
    assert!(!matches(
        r#"{"items.01.id": 7}"#,
        r#"{"items": [{"id": 3}, {"id": 7}]}"#
    ));
    assert!(matches(
        r#"{"user.plan": {"$exists": false}}"#,
        r#"{"user": "free"}"#
    ));
}

#[test]
fn whole_values_compare_strictly() {
    assert!(matches(
        r#"{"a": {"$eq": {"x": [1, "2"]}}}"#,
        r#"{"a": {"x": [1, "2"]}}"#
    ));
    assert!(!matches(
        r#"{"a": {"$eq": {"x": [1, 2]}}}"#,
        r#"{"a": {"x": [1, "2"]}}"#
    ));
    assert!(matches(r#"{"a": {"$in": [[1], 2]}}"#, r#"{"a": 2}"#));
}

#[test]
fn strings_order_by_utf16_units() {
    // U+FF61 is one unit above the surrogates; U+1F600 starts with the surrogate 0xD83D.
    assert_eq!(cmp_utf16("\u{1F600}", "\u{FF61}"), Ordering::Less);
    assert_eq!("\u{1F600}".cmp("\u{FF61}"), Ordering::Greater);
    assert!(matches(
        r#"{"a": {"$lt": "\uff61"}}"#,
        r#"{"a": "\ud83d\ude00"}"#
    ));
}

#[test]
fn case_insensitive_operators() {
    assert!(matches(r#"{"c": {"$ini": ["US"]}}"#, r#"{"c": "us"}"#));
    assert!(matches(r#"{"t": {"$alli": ["ONE"]}}"#, r#"{"t": ["one"]}"#));
    assert!(!matches(
        r#"{"t": {"$nini": ["us"]}}"#,
        r#"{"t": ["x", "US"]}"#
    ));
}

#[test]
fn saved_groups_must_be_arrays() {
    let groups = r#"{"g": [1, 2], "bad": "1"}"#;
    assert!(eval_with_groups(
        r#"{"id": {"$inGroup": "g"}}"#,
        r#"{"id": 2}"#,
        groups
    ));
    assert!(!eval_with_groups(
        r#"{"id": {"$inGroup": "bad"}}"#,
        r#"{"id": "1"}"#,
        groups
    ));
    assert!(eval_with_groups(
        r#"{"id": {"$notInGroup": "bad"}}"#,
        r#"{"id": "1"}"#,
        groups
    ));
}

#[test]
fn validate_accepts_a_realistic_rule() {
    let rule = r#"{
        "$and": [
            {"score": {"$gte": 40}},
            {"$or": [{"plan": {"$in": ["pro", "team"]}}, {"tags": {"$elemMatch": {"$eq": "beta"}}}]},
            {"page.path": {"$regex": "^/pricing"}},
            {"app.version": {"$vgte": "2.1.0"}},
            {"items": {"$elemMatch": {"$or": [{"a": 1}]}}},
            {"traits.email": {"$exists": true}, "country": "FR"}
        ]
    }"#;
    assert_eq!(validate(rule), Ok(()));
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn validate_names_the_path_of_an_unknown_operator() {
    let rule = r#"{"$and": [{"age": {"$gt": 1}}, {"age": {"$gtx": 5}}]}"#;
    assert_eq!(
        validate(rule),
        Err("$and[1].age.$gtx: unknown operator".to_owned())
    );
    let nested = r#"{"$or": [{"$not": {"tags": {"$elemMatch": {"$size": {"$big": 1}}}}}]}"#;
    assert_eq!(
        validate(nested),
        Err("$or[0].$not.tags.$elemMatch.$size.$big: unknown operator".to_owned())
    );
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn validate_reports_shapes_and_bad_regex() {
    assert_eq!(
        validate(r#"{"$and": {"a": 1}}"#),
        Err("$and: expected an array of conditions".to_owned())
    );
    assert_eq!(
        validate(r#"{"$or": [5]}"#),
        Err("$or[0]: expected an object".to_owned())
    );
    assert_eq!(
        validate(r#""a""#),
        Err("condition: expected an object".to_owned())
    );
    assert_eq!(
        validate(r#"{"url": {"$regex": "[("}}"#),
        Err("url.$regex: invalid regular expression".to_owned())
    );
    assert_eq!(
        validate(r#"{"t": {"$in": "a"}}"#),
        Err("t.$in: expected an array".to_owned())
    );
    assert_eq!(
        validate(r#"{"t": {"$all": [{"$eqq": 1}]}}"#),
        Err("t.$all[0].$eqq: unknown operator".to_owned())
    );
    assert!(validate(r#"{"t": {"$type": "undefined"}}"#).is_err());
    assert_eq!(
        validate(r#"{"v": {"$vgt": true}}"#),
        Err("v.$vgt: expected a version string".to_owned())
    );
    // Eval reads a number as a version; a config writes versions as strings.
    assert!(validate(r#"{"v": {"$vgt": 2}}"#).is_err());
}

#[test]
fn validate_treats_literal_objects_as_values() {
    // Mixed keys make a literal object to compare, not operators.
    assert_eq!(validate(r#"{"a": {"$gtx": 1, "b": 2}}"#), Ok(()));
    assert_eq!(validate(r#"{}"#), Ok(()));
}

/// The version operators in the order of each row of expected answers below.
const VERSION_OPS: [&str; 6] = ["$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte"];
/// The answers for an attribute that is the same version as the argument...
const SAME: [bool; 6] = [true, false, false, true, false, true];
/// ... a later one ...
const LATER: [bool; 6] = [false, true, true, true, false, false];
/// ... an earlier one ...
const EARLIER: [bool; 6] = [false, true, false, false, true, true];
/// ... and no version of the argument's kind: only `$vne` holds.
const NOT_A_VERSION: [bool; 6] = [false, true, false, false, false, false];

/// Every version operator against an attribute of every JSON type: `(attribute, answers)`,
/// the answers in [`VERSION_OPS`] order; `None` for an absent attribute.
fn check_version_ops(argument: &str, rows: &[(Option<&str>, [bool; 6])]) {
    for (attribute, answers) in rows {
        let attributes = match attribute {
            Some(v) => format!(r#"{{"v": {v}}}"#),
            None => "{}".to_owned(),
        };
        for (op, want) in VERSION_OPS.iter().zip(answers) {
            let condition = format!(r#"{{"v": {{"{op}": {argument}}}}}"#);
            assert_eq!(
                matches(&condition, &attributes),
                *want,
                "{condition} against {attributes}"
            );
        }
    }
}

#[test]
fn version_string_operators_against_every_type() {
    check_version_ops(
        r#""2.0.0""#,
        &[
            (None, NOT_A_VERSION),
            (Some("null"), NOT_A_VERSION),
            (Some("true"), NOT_A_VERSION),
            (Some("false"), NOT_A_VERSION),
            // Strict types: a number is not a version string, even one that reads the same.
            (Some("2"), NOT_A_VERSION),
            (Some("10"), NOT_A_VERSION),
            (Some(r#"["2.0.0"]"#), NOT_A_VERSION),
            (Some(r#"{"v": "2.0.0"}"#), NOT_A_VERSION),
            (Some(r#""2.0.0""#), SAME),
            (Some(r#""v2.0.0+build""#), SAME),
            (Some(r#""10.0.0""#), LATER),
            (Some(r#""2.0.0-rc.1""#), EARLIER),
            (Some(r#""""#), EARLIER),
        ],
    );
}

#[test]
fn version_number_operators_compare_numbers_as_versions() {
    check_version_ops(
        "2",
        &[
            (None, NOT_A_VERSION),
            (Some("null"), NOT_A_VERSION),
            (Some("true"), NOT_A_VERSION),
            (Some(r#""2""#), NOT_A_VERSION),
            (Some("[2]"), NOT_A_VERSION),
            (Some(r#"{"v": 2}"#), NOT_A_VERSION),
            (Some("2"), SAME),
            (Some("2.0"), SAME),
            // 10 > 2 as versions, though "10" < "2" as strings.
            (Some("10"), LATER),
            (Some("1.5"), EARLIER),
        ],
    );
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn version_operator_without_a_version_never_matches() {
    // The argument is the rule's author's mistake: no visitor matches, negated or not.
    for argument in ["null", "true", "[\"1.0.0\"]", r#"{"a": 1}"#] {
        for op in VERSION_OPS {
            let condition = format!(r#"{{"v": {{"{op}": {argument}}}}}"#);
            assert!(!matches(&condition, r#"{"v": "1.0.0"}"#), "{condition}");
            assert!(!matches(&condition, "{}"), "{condition}");
            let negated = format!(r#"{{"v": {{"$not": {{"{op}": {argument}}}}}}}"#);
            assert!(!matches(&negated, r#"{"v": "1.0.0"}"#), "{negated}");
            assert!(validate(&condition).is_err(), "{condition}");
        }
    }
}

#[test]
fn negated_version_operators_are_their_complements() {
    // `$not` of `$veq` is `$vne` for every attribute type, absent included.
    for attributes in [
        "{}",
        r#"{"v": null}"#,
        r#"{"v": 2}"#,
        r#"{"v": "2.0.0"}"#,
        r#"{"v": "3.0.0"}"#,
        r#"{"v": ["2.0.0"]}"#,
    ] {
        assert_eq!(
            matches(r#"{"v": {"$not": {"$veq": "2.0.0"}}}"#, attributes),
            matches(r#"{"v": {"$vne": "2.0.0"}}"#, attributes),
            "{attributes}"
        );
    }
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn logical_operators_inside_an_attribute_never_match_even_negated() {
    // `$and`, `$or`, `$nor` combine conditions; in a value's place they are unknown
    // operators, so neither they nor their negation match anyone.
    for op in ["$or", "$and", "$nor"] {
        let plain = format!(r#"{{"name": {{"{op}": [{{"name": "x"}}]}}}}"#);
        let negated = format!(r#"{{"name": {{"$not": {{"{op}": [{{"name": "x"}}]}}}}}}"#);
        for attributes in [r#"{"name": "x"}"#, r#"{"name": "y"}"#, "{}"] {
            assert!(!matches(&plain, attributes), "{plain} against {attributes}");
            assert!(
                !matches(&negated, attributes),
                "{negated} against {attributes}"
            );
        }
        assert_eq!(
            validate(&negated),
            Err(format!(
                "name.$not.{op}: unknown operator here: $and, $or and $nor combine \
                 conditions, so they go around an attribute, not inside it"
            ))
        );
    }
}

#[test]
fn logical_operators_around_an_attribute_negate_as_usual() {
    // The neighbours of the case above: the same logic written around the attribute.
    let or = r#"{"$not": {"$or": [{"name": "x"}, {"name": "z"}]}}"#;
    let and = r#"{"$not": {"$and": [{"name": "x"}, {"age": 1}]}}"#;
    let nor = r#"{"$not": {"$nor": [{"name": "x"}]}}"#;
    let not = r#"{"$not": {"$not": {"name": "x"}}}"#;
    assert!(!matches(or, r#"{"name": "x"}"#));
    assert!(matches(or, r#"{"name": "y"}"#));
    assert!(matches(or, "{}"));
    assert!(!matches(and, r#"{"name": "x", "age": 1}"#));
    assert!(matches(and, r#"{"name": "x", "age": 2}"#));
    assert!(matches(nor, r#"{"name": "x"}"#));
    assert!(!matches(nor, r#"{"name": "y"}"#));
    assert!(matches(not, r#"{"name": "x"}"#));
    assert!(!matches(not, r#"{"name": "y"}"#));
    for rule in [or, and, nor, not] {
        assert_eq!(validate(rule), Ok(()), "{rule}");
    }
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn not_inside_an_attribute_is_an_operator_on_its_value() {
    // `$not` is the one logical operator that also works on a value.
    let twice = r#"{"name": {"$not": {"$not": "x"}}}"#;
    assert!(matches(twice, r#"{"name": "x"}"#));
    assert!(!matches(twice, r#"{"name": "y"}"#));
    assert!(!matches(twice, "{}"));
    let once = r#"{"name": {"$not": {"$in": ["x", "z"]}}}"#;
    assert!(!matches(once, r#"{"name": "x"}"#));
    assert!(matches(once, r#"{"name": "y"}"#));
    assert!(matches(once, "{}"));
    assert_eq!(validate(twice), Ok(()));
    // Inside $elemMatch, `$or` is a condition on each element's fields...
    let elements = r#"{"items": {"$not": {"$elemMatch": {"$or": [{"a": 1}]}}}}"#;
    assert!(!matches(elements, r#"{"items": [{"a": 1}]}"#));
    assert!(matches(elements, r#"{"items": [{"a": 2}]}"#));
    // ... but under an element's `$not` it is in a value's place again.
    let element_not = r#"{"items": {"$elemMatch": {"$not": {"$or": [{"a": 1}]}}}}"#;
    assert!(!matches(element_not, r#"{"items": [{"a": 2}]}"#));
    assert!(validate(element_not).is_err());
}

/// `inner` wrapped `levels` times by `wrap`, built in a loop (serde_json refuses to parse
/// more than 128 levels, and a recursive builder would be what these tests guard against).
fn nest(levels: usize, inner: Value, wrap: impl Fn(Value) -> Value) -> Value {
    (0..levels).fold(inner, |v, _| wrap(v))
}

fn object(key: &str, value: Value) -> Value {
    let mut m = Map::new();
    m.insert(key.to_owned(), value);
    Value::Object(m)
}

fn eval_values(condition: &Value, attributes: &Value) -> bool {
    eval_condition(condition, attributes, &Map::new(), &RegressEngine::new())
}

const TOO_DEEP: &str = "nested deeper than 64 levels; this condition never matches";

/// A rule nested `DEEP` levels: eval stops at the bound and says no, negated too, and
/// validate says where. The attributes are as deep as the rule where it matters, so that
/// only the bound stops the walk. (A `Value` this deep still drops by recursion, one frame
/// a level: fine at 5,000 levels on a test thread's stack, not at 10,000.)
fn assert_too_deep(condition: Value, attributes: &Value, path: &str) {
    assert!(!eval_values(&condition, attributes));
    assert_eq!(
        validate_condition(&condition, &RegressEngine::new()),
        Err(format!("{path}: {TOO_DEEP}"))
    );
    let negated = object("$not", condition);
    assert!(!eval_values(&negated, attributes));
}

const DEEP: usize = 5_000;

fn path_of(first: &str, repeated: &str, times: usize) -> String {
    let mut parts = vec![first];
    parts.extend(std::iter::repeat_n(repeated, times));
    parts.retain(|p| !p.is_empty());
    parts.join(".")
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn not_chains_deeper_than_the_bound_never_match() {
    let rule = nest(DEEP, json(r#"{"a": 1}"#), |v| object("$not", v));
    assert_too_deep(rule, &json(r#"{"a": 1}"#), &path_of("", "$not", 64));
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn and_or_nor_chains_deeper_than_the_bound_never_match() {
    for op in ["$and", "$or", "$nor"] {
        let rule = nest(DEEP / 2, json(r#"{"a": 1}"#), |v| {
            object(op, Value::Array(vec![v]))
        });
        let path = path_of("", &format!("{op}[0]"), 64);
        assert_too_deep(rule, &json(r#"{"a": 1}"#), &path);
    }
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn not_chains_inside_an_attribute_deeper_than_the_bound_never_match() {
    let rule = object("a", nest(DEEP, json("1"), |v| object("$not", v)));
    assert_too_deep(rule, &json(r#"{"a": 1}"#), &path_of("a", "$not", 63));
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn elem_match_chains_deeper_than_the_bound_never_match() {
    // On the elements themselves: [[[...[1]...]]] against $elemMatch of $elemMatch of ...
    let rule = object(
        "a",
        nest(DEEP, json(r#"{"$eq": 1}"#), |v| object("$elemMatch", v)),
    );
    let attributes = object("a", nest(DEEP, json("1"), |v| Value::Array(vec![v])));
    assert_too_deep(rule, &attributes, &path_of("a", "$elemMatch", 63));
    // On the elements' fields: {"a": [{"a": [...]}]} against {"a": {"$elemMatch": {"a": ...}}},
    // two levels a step.
    let rule = nest(DEEP / 2, json(r#"{"a": 1}"#), |v| {
        object("a", object("$elemMatch", v))
    });
    let attributes = nest(DEEP / 2, json(r#"{"a": 1}"#), |v| {
        object("a", Value::Array(vec![v]))
    });
    assert_too_deep(rule, &attributes, &path_of("", "a.$elemMatch", 32));
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn literals_deeper_than_the_bound_never_match() {
    let deep = || nest(DEEP, json("1"), |v| Value::Array(vec![v]));
    let attributes = object("a", deep());
    assert_too_deep(object("a", deep()), &attributes, "a");
    assert_too_deep(
        object("a", object("$in", Value::Array(vec![deep()]))),
        &attributes,
        "a.$in[0]",
    );
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn validate_stops_at_the_bound_on_any_operator() {
    let rule = object("a", nest(DEEP, json("1"), |v| object("$size", v)));
    assert_eq!(
        validate_condition(&rule, &RegressEngine::new()),
        Err(format!("{}: {TOO_DEEP}", path_of("a", "$size", 63)))
    );
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn the_bound_is_64_levels() {
    // 63 `$not`s around {"a": 1} make 64 nested conditions: fine, and an odd count negates.
    let at_bound = nest(63, json(r#"{"a": 1}"#), |v| object("$not", v));
    assert!(eval_values(&at_bound, &json(r#"{"a": 2}"#)));
    assert!(!eval_values(&at_bound, &json(r#"{"a": 1}"#)));
    assert_eq!(validate_condition(&at_bound, &RegressEngine::new()), Ok(()));
    // 64 make 65: too deep, whatever the attributes.
    let beyond = nest(64, json(r#"{"a": 1}"#), |v| object("$not", v));
    assert!(!eval_values(&beyond, &json(r#"{"a": 1}"#)));
    assert!(!eval_values(&beyond, &json(r#"{"a": 2}"#)));
    assert!(validate_condition(&beyond, &RegressEngine::new()).is_err());
    // A literal: the attribute's value is level 1 (its condition is level 0), so its
    // arrays may take levels 1 to 63.
    let arrays = |levels| nest(levels, json("1"), |v| Value::Array(vec![v]));
    assert!(eval_values(
        &object("a", arrays(63)),
        &object("a", arrays(63))
    ));
    assert!(!eval_values(
        &object("a", arrays(64)),
        &object("a", arrays(64))
    ));
    // A deep attribute alone decides as usual: it is no number, so it is not 1.
    let deep = object("a", arrays(DEEP));
    assert!(eval_values(&json(r#"{"a": {"$ne": 1}}"#), &deep));
    assert!(!eval_values(&json(r#"{"a": 1}"#), &deep));
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn nested_quantifiers_never_run() {
    let rule = r#"{"query.ref": {"$regex": "(a+)+$"}}"#;
    let attributes = format!(r#"{{"query": {{"ref": "{}!"}}}}"#, "a".repeat(24));
    let started = std::time::Instant::now();
    assert!(!matches(rule, &attributes));
    assert!(!matches(
        r#"{"query.ref": {"$not": {"$regex": "(a+)+$"}}}"#,
        &attributes
    ));
    // Run, the pattern would backtrack about 2^24 times before failing.
    let elapsed = started.elapsed();
    assert!(elapsed.as_millis() < 100, "{elapsed:?}");
    assert_eq!(
        validate(rule),
        Err(
            "query.ref.$regex: a repeated group holding a quantifier or alternatives \
             ((a+)+, (a|aa)*, (.*a){20}) can take exponential time; this condition never \
             matches"
                .to_owned()
        )
    );
    assert!(validate(r#"{"ua": {"$regexi": "(mobile|tablet)+"}}"#).is_err());
    assert_eq!(
        validate(r#"{"ua": {"$regexi": "(mobile|tablet)"}}"#),
        Ok(())
    );
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn backreference_before_its_group_is_refused_before_the_engine() {
    let rule = r#"{"a": {"$regex": "(?:)(a)|\\2"}}"#;
    assert!(!matches(rule, r#"{"a": "a"}"#));
    assert!(!matches(
        r#"{"a": {"$not": {"$regex": "(?:)(a)|\\2"}}}"#,
        r#"{"a": "b"}"#
    ));
    assert_eq!(
        validate(rule),
        Err(
            "a.$regex: a backreference \\N before N groups have opened; this condition \
             never matches"
                .to_owned()
        )
    );
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn patterns_with_groups_nested_past_the_bound_are_refused_before_the_engine() {
    // regress compiles groups recursively: ~800 levels ran out of the wasm's 1 MiB stack.
    // Run where that stack is all there is, so a slip is a crash, not a pass.
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let deep = format!("{}a{}", "(".repeat(5_000), ")".repeat(5_000));
            let rule = format!(r#"{{"a": {{"$regex": "{deep}"}}}}"#);
            assert!(!matches(&rule, r#"{"a": "a"}"#));
            let negated = format!(r#"{{"a": {{"$not": {{"$regex": "{deep}"}}}}}}"#);
            assert!(!matches(&negated, r#"{"a": "b"}"#));
            assert_eq!(
                validate(&rule),
                Err(
                    "a.$regex: groups nested deeper than 32 levels; this condition never \
                     matches"
                        .to_owned()
                )
            );
            let shallow = format!("{}a{}", "(".repeat(32), ")".repeat(32));
            assert!(matches(
                &format!(r#"{{"a": {{"$regex": "^{shallow}$"}}}}"#),
                r#"{"a": "a"}"#
            ));
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn regex_looks_at_most_1000_characters() {
    let rule = r#"{"u": {"$regex": "^a"}}"#;
    let negated = r#"{"u": {"$not": {"$regex": "^b"}}}"#;
    let text = |s: String| format!(r#"{{"u": "{s}"}}"#);
    assert!(matches(rule, &text("a".repeat(1000))));
    assert!(matches(negated, &text("a".repeat(1000))));
    // One more and we cannot tell: neither the pattern nor its negation matches.
    assert!(!matches(rule, &text("a".repeat(1001))));
    assert!(!matches(negated, &text("a".repeat(1001))));
    // Counted as JavaScript counts `length`: an emoji is two.
    let emoji = r#"{"u": {"$regex": "^\ud83d\ude00"}}"#;
    assert!(matches(emoji, &text("\u{1F600}".repeat(500))));
    assert!(!matches(emoji, &text("\u{1F600}".repeat(500) + "a")));
    // Other operators still see the whole value.
    assert!(matches(
        r#"{"u": {"$type": "string"}}"#,
        &text("a".repeat(5000))
    ));
}
