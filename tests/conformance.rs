//! Runs the language-neutral GrowthBook cases in `tests/vectors/` against the core.
//!
//! Every `*.json` file in `tests/vectors/` is run, or only the file named by
//! `ENGAGEKIT_VECTORS`. Each failing case is printed as `FAIL section: name — expected X,
//! got Y`, then one closing line `conformance: N passed, M failed`; any failure fails the
//! test. Floats are read exactly (serde_json's `float_roundtrip`, on for the dev-dependency)
//! and compared as GrowthBook's own test compares them: floored to 8 decimals.

#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::path::{Path, PathBuf};

use engagekit::bucket::{
    choose_variation, get_bucket_ranges, get_equal_weights, hash, in_namespace, Range,
};
use engagekit::condition::eval_condition;
use engagekit::json::{Map, Value};
use engagekit::regex::RegressEngine;

/// What one case produced, against what it expected.
struct Outcome {
    name: String,
    expected: Value,
    got: Value,
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    report: String,
}

impl Tally {
    fn record(&mut self, section: &str, outcome: Outcome) {
        if outcome.expected == outcome.got {
            self.passed += 1;
        } else {
            self.failed += 1;
            self.report.push_str(&format!(
                "FAIL {section}: {} — expected {}, got {}\n",
                outcome.name,
                outcome.expected.to_json(),
                outcome.got.to_json()
            ));
        }
    }

    fn malformed(&mut self, section: &str, index: usize, case: &Value) {
        self.record(
            section,
            Outcome {
                name: format!("case {index} (malformed: {})", case.to_json()),
                expected: Value::from("a case of the documented shape"),
                got: Value::Null,
            },
        );
    }
}

/// GrowthBook's test rounds with `Math.floor(n * 1e8) / 1e8`.
fn round(n: f64) -> f64 {
    (n * 1e8).floor() / 1e8
}

fn rounded(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::Number(round(*n)),
        Value::Array(items) => Value::Array(items.iter().map(rounded).collect()),
        other => other.clone(),
    }
}

fn ranges_value(ranges: &[Range]) -> Value {
    Value::Array(
        ranges
            .iter()
            .map(|&(a, b)| Value::Array(vec![Value::Number(a), Value::Number(b)]))
            .collect(),
    )
}

fn ranges_of(v: &Value) -> Option<Vec<Range>> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|r| match r {
                Value::Array(pair) if pair.len() == 2 => {
                    Some((pair[0].as_f64()?, pair[1].as_f64()?))
                }
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn numbers(v: &Value) -> Option<Vec<f64>> {
    match v {
        Value::Array(items) => items.iter().map(Value::as_f64).collect(),
        _ => None,
    }
}

fn run_case(section: &str, case: &[Value], re: &RegressEngine) -> Option<Outcome> {
    let outcome = match (section, case) {
        ("evalCondition", [name, condition, attributes, expected, rest @ ..])
            if rest.len() <= 1 =>
        {
            let groups = match rest.first() {
                None | Some(Value::Null) => Map::new(),
                Some(g) => g.as_object()?.clone(),
            };
            Outcome {
                name: name.as_str()?.to_owned(),
                expected: expected.clone(),
                got: Value::Bool(eval_condition(condition, attributes, &groups, re)),
            }
        }
        ("hash", [seed, value, version, expected]) => {
            let (seed, value, version) = (seed.as_str()?, value.as_str()?, version.as_f64()?);
            // Only whole, non-negative versions name a hash version; anything else is unknown.
            let version =
                if version.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&version) {
                    version as u32
                } else {
                    u32::MAX
                };
            Outcome {
                name: format!("hash({seed:?}, {value:?}, {version})"),
                expected: rounded(expected),
                got: hash(seed, value, version).map_or(Value::Null, |h| Value::Number(round(h))),
            }
        }
        ("getBucketRange", [name, Value::Array(args), expected]) if args.len() == 3 => {
            let n = args[0].as_f64()?;
            // A missing coverage means full coverage, as in the SDK.
            let coverage = match &args[1] {
                Value::Null => 1.0,
                c => c.as_f64()?,
            };
            let weights = match &args[2] {
                Value::Null => None,
                w => Some(numbers(w)?),
            };
            let ranges = get_bucket_ranges(n.max(0.0) as usize, coverage, weights.as_deref());
            Outcome {
                name: name.as_str()?.to_owned(),
                expected: rounded(expected),
                got: rounded(&ranges_value(&ranges)),
            }
        }
        ("chooseVariation", [name, n, ranges, expected]) => Outcome {
            name: name.as_str()?.to_owned(),
            expected: expected.clone(),
            got: Value::Number(f64::from(choose_variation(
                n.as_f64()?,
                &ranges_of(ranges)?,
            ))),
        },
        ("inNamespace", [name, id, Value::Array(ns), expected]) if ns.len() == 3 => Outcome {
            name: name.as_str()?.to_owned(),
            expected: expected.clone(),
            got: Value::Bool(in_namespace(
                id.as_str()?,
                (ns[0].as_str()?, ns[1].as_f64()?, ns[2].as_f64()?),
            )),
        },
        ("getEqualWeights", [n, expected]) => {
            let n = n.as_f64()?;
            Outcome {
                name: format!("getEqualWeights({n})"),
                expected: rounded(expected),
                got: rounded(&Value::Array(
                    get_equal_weights(n.max(0.0) as usize)
                        .into_iter()
                        .map(Value::Number)
                        .collect(),
                )),
            }
        }
        _ => return None,
    };
    Some(outcome)
}

const SECTIONS: [&str; 6] = [
    "evalCondition",
    "hash",
    "getBucketRange",
    "chooseVariation",
    "inNamespace",
    "getEqualWeights",
];

fn run_file(path: &Path, tally: &mut Tally) {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    // One engine per file, as one page keeps one engine.
    let re = RegressEngine::new();
    for section in SECTIONS {
        let Some(cases) = doc.get(section) else {
            continue;
        };
        let Value::Array(cases) = cases else {
            tally.malformed(section, 0, cases);
            continue;
        };
        for (i, case) in cases.iter().enumerate() {
            let outcome = match case {
                Value::Array(items) => run_case(section, items, &re),
                _ => None,
            };
            match outcome {
                Some(outcome) => tally.record(section, outcome),
                None => tally.malformed(section, i, case),
            }
        }
    }
}

fn vector_files() -> Vec<PathBuf> {
    if let Some(file) = std::env::var_os("ENGAGEKIT_VECTORS") {
        return vec![PathBuf::from(file)];
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn growthbook_vectors_pass() {
    let files = vector_files();
    assert!(!files.is_empty(), "no *.json files in tests/vectors");
    let mut tally = Tally::default();
    for file in &files {
        run_file(file, &mut tally);
    }
    // Written to stdout itself rather than through print!, so the summary shows even when
    // the test harness captures the output of passing tests.
    let summary = format!(
        "{}conformance: {} passed, {} failed\n",
        tally.report, tally.passed, tally.failed
    );
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(summary.as_bytes());
    let _ = out.flush();
    assert_eq!(
        tally.failed, 0,
        "{} conformance case(s) failed",
        tally.failed
    );
}

/// The vectors' numbers must be read exactly, or a range bound copied from an SDK's output
/// stops being the number the SDK computed: without its `float_roundtrip` feature (turned on
/// for the dev-dependency in Cargo.toml), serde_json reads `0.45599999999999996` as `0.456`.
#[test]
fn bucket_ranges_match_the_sdk_bit_for_bit() {
    // [numVariations, coverage, weights] and what the GrowthBook npm SDK
    // (@growthbook/growthbook 1.8.0, in node_modules) returns for them, pasted as printed by
    //   node -e 'const u = require("@growthbook/growthbook/dist/cjs/util.js");
    //     console.log(JSON.stringify(u.getBucketRanges(3, 1,
    //       JSON.parse("[0.33599999999999997, 0.12, 0.544]"))))'
    // and the same for the second case.
    let cases = r#"[
        [[3, 1, [0.33599999999999997, 0.12, 0.544]],
         [[0,0.33599999999999997],[0.33599999999999997,0.45599999999999996],[0.45599999999999996,1]]],
        [[2, 1, [0.45599999999999996, 0.544]],
         [[0,0.45599999999999996],[0.45599999999999996,1]]]
    ]"#;
    let Value::Array(cases) = serde_json::from_str(cases).unwrap() else {
        panic!("cases must be an array")
    };
    for case in &cases {
        let Value::Array(case) = case else {
            panic!("a case must be [args, ranges]")
        };
        let [args @ Value::Array(arg_items), sdk] = case.as_slice() else {
            panic!("a case must be [args, ranges]")
        };
        let [n, coverage, weights] = arg_items.as_slice() else {
            panic!("args must be [n, coverage, weights]")
        };
        let ranges = get_bucket_ranges(
            n.as_f64().unwrap() as usize,
            coverage.as_f64().unwrap(),
            Some(&numbers(weights).unwrap()),
        );
        // Not rounded, unlike the vectors' comparison: the point is the last bit.
        assert_eq!(ranges, ranges_of(sdk).unwrap(), "{}", args.to_json());
    }
    let read = |text: &str| serde_json::from_str::<Value>(text).unwrap().as_f64();
    assert_eq!(read("0.33599999999999997"), Some(0.33599999999999997));
    assert_eq!(read("0.45599999999999996"), Some(0.45599999999999996));
}
