use super::*;
use crate::config::Config;
use crate::regex::RegressEngine;
use serde_json::json;

const T0: f64 = 1_800_000_000_000.0;

fn value(v: serde_json::Value) -> Value {
    serde_json::from_value(v).unwrap()
}

/// The config's checklists and the problems the reader found.
fn read(config: serde_json::Value) -> (Checklists, Vec<String>) {
    let (c, problems) = Config::from_value(&value(config), &RegressEngine::default());
    (c.checklists, problems.iter().map(|p| p.text()).collect())
}

fn text() -> serde_json::Value {
    json!({"en": {"title": "Get started", "steps": {"board": {"title": "Create a board"}}}})
}

/// Checklist `onboarding` with `steps` and the other fields in `extra`.
fn checklist(steps: serde_json::Value, extra: serde_json::Value) -> Checklist {
    let mut c = json!({"text": text(), "steps": steps});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    let (lists, problems) = read(json!({"checklists": {"onboarding": c}}));
    assert_eq!(problems, Vec::<String>::new());
    lists.list.into_iter().next().unwrap()
}

fn four(extra: serde_json::Value) -> Checklist {
    checklist(
        json!([
            {"id": "board", "event": "Board Created"},
            {"id": "invite", "event": "Teammate Invited", "where": {"role": {"$ne": "guest"}}},
            {"id": "pricing", "page": {"path": "/pricing.html"}},
            {"id": "tour", "manual": true}
        ]),
        extra,
    )
}

fn names(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|(n, p)| match p.get("step_id").and_then(Value::as_str) {
            Some(s) => format!("{n} {s}"),
            None => n.to_string(),
        })
        .collect()
}

fn event(c: &Checklist, name: &str, props: serde_json::Value) -> Vec<usize> {
    c.on_event(name, &value(props), &Map::new(), &RegressEngine::default())
}

#[test]
fn each_rule_completes_its_step_and_the_last_one_completes_the_checklist() {
    let c = four(json!({}));
    let mut p = Progress::default();
    assert_eq!(event(&c, "Board Created", json!({})), [0]);
    assert_eq!(
        event(&c, "Teammate Invited", json!({"role": "guest"})),
        Vec::<usize>::new(),
        "where must match"
    );
    assert_eq!(event(&c, "Teammate Invited", json!({"role": "admin"})), [1]);
    let page = value(json!({"path": "/pricing.html"}));
    assert_eq!(
        c.on_page(&page, &Map::new(), &RegressEngine::default()),
        [2]
    );
    assert!(c.wants_event("Board Created") && !c.wants_event("Signed Up"));

    assert_eq!(
        names(&c.mark(&mut p, 0, How::Event, T0)),
        ["Checklist Step Completed board"]
    );
    assert!(c.mark(&mut p, 0, How::Event, T0 + 1.0).is_empty(), "once");
    c.mark(&mut p, 1, How::Event, T0 + 2.0);
    c.mark(&mut p, 2, How::Page, T0 + 3.0);
    assert_eq!(c.done_count(&p), 3);
    let last = c.mark(&mut p, 3, How::Visitor, T0 + 4.0);
    assert_eq!(
        names(&last),
        ["Checklist Step Completed tour", "Checklist Completed"]
    );
    let step = &last[0].1;
    assert_eq!(step.get("how"), Some(&Value::from("visitor")));
    assert_eq!(step.get("completed_count"), Some(&Value::Number(4.0)));
    assert_eq!(step.get("total"), Some(&Value::Number(4.0)));
    assert_eq!(step.get("checklist_id"), Some(&Value::from("onboarding")));
    assert_eq!(p.completed_ms, T0 + 4.0);
}

#[test]
fn in_an_ordered_checklist_a_step_done_early_completes_when_its_turn_comes() {
    let c = four(json!({"order": "ordered"}));
    let mut p = Progress::default();
    // The visitor visits the pricing page first (step 3): seen, not complete yet.
    assert!(c.mark(&mut p, 2, How::Page, T0).is_empty());
    assert!(!p.is_done("pricing"));
    assert!(!c.available(2, &p) && c.available(0, &p));
    c.mark(&mut p, 0, How::Event, T0 + 10.0);
    // Step 2 done: it unlocks step 3, whose page was already seen.
    let out = c.mark(&mut p, 1, How::Event, T0 + 20.0);
    assert_eq!(
        names(&out),
        [
            "Checklist Step Completed invite",
            "Checklist Step Completed pricing"
        ]
    );
    assert!(p.is_done("pricing"));
    assert_eq!(
        out[1].1.get("how"),
        Some(&Value::from("page")),
        "how it was seen"
    );
}

#[test]
fn dependencies_hold_a_step_in_any_order() {
    let c = checklist(
        json!([
            {"id": "a", "event": "A"},
            {"id": "b", "event": "B", "after": ["c"]},
            {"id": "c", "event": "C"}
        ]),
        json!({}),
    );
    let mut p = Progress::default();
    assert!(
        c.mark(&mut p, 1, How::Event, T0).is_empty(),
        "b waits for c"
    );
    assert!(c.available(0, &p) && !c.available(1, &p) && c.available(2, &p));
    assert_eq!(
        names(&c.mark(&mut p, 2, How::Event, T0 + 1.0)),
        ["Checklist Step Completed c", "Checklist Step Completed b"],
        "c completes, which unlocks b, seen before"
    );
}

#[test]
fn progress_survives_storage_and_damage() {
    let c = four(json!({}));
    let mut p = Progress::default();
    c.mark(&mut p, 0, How::Event, T0);
    c.mark(&mut p, 3, How::Code, T0 + 5.0);
    p.shown_ms = T0 - 1.0;
    p.open = Some(false);
    let back = Progress::from_value(&p.to_value());
    assert_eq!(back, p);
    let damaged = Progress::from_value(&value(
        json!({"steps": {"board": "yes", "tour": [1, 2, "code"]}, "open": 3}),
    ));
    assert!(!damaged.is_done("board") && damaged.is_done("tour"));
    assert_eq!(damaged.open, None);
}

#[test]
fn the_card_lists_steps_with_their_state_beside_the_texts_by_locale() {
    let c = four(json!({"order": "ordered", "dismissible": false}));
    let mut p = Progress::default();
    c.mark(&mut p, 0, How::Event, T0);
    let card = c.card(&p, true);
    assert_eq!(card.get("id"), Some(&Value::from(c.id.as_str())));
    assert_eq!(
        card.get("text"),
        c.ui.get("text"),
        "the texts by locale, as written"
    );
    assert_eq!(card.get("expanded"), Some(&Value::Bool(true)));
    assert_eq!(card.get("dismissible"), Some(&Value::Bool(false)));
    let Some(Value::Array(steps)) = card.get("steps") else {
        panic!("steps")
    };
    let state: Vec<(String, bool, bool)> = steps
        .iter()
        .map(|s| {
            (
                s.get("id").and_then(Value::as_str).unwrap().to_string(),
                s.get("done") == Some(&Value::Bool(true)),
                s.get("available") == Some(&Value::Bool(true)),
            )
        })
        .collect();
    assert_eq!(
        state,
        [
            ("board".to_string(), true, true),
            ("invite".to_string(), false, true),
            ("pricing".to_string(), false, false),
            ("tour".to_string(), false, false),
        ]
    );
    assert_eq!(
        steps[0].get("title"),
        None,
        "a step's texts are under text, by locale"
    );
    assert_eq!(steps[3].get("manual"), Some(&Value::Bool(true)));
}

#[test]
fn a_bad_checklist_is_off_with_one_warning_and_the_rest_keeps_working() {
    let (lists, problems) = read(json!({
        "checklists": {
            "good": {"text": text(), "steps": [{"id": "a", "event": "A"}]},
            "no-steps": {"text": text(), "steps": []},
            "both-rules": {"text": text(), "steps": [{"id": "a", "event": "A", "page": {"path": "/"}}]},
            "bad-after": {"text": text(), "steps": [{"id": "a", "after": ["zzz"]}]},
            "circle": {"text": text(), "steps": [{"id": "a", "after": ["b"]}, {"id": "b", "after": ["a"]}]},
            "bad-href": {"text": text(), "steps": [{"id": "a", "href": "javascript:alert(1)"}]},
            "dup": {"text": text(), "steps": [{"id": "a"}, {"id": "a"}]},
            "bad-order": {"text": text(), "order": "random", "steps": [{"id": "a"}]},
            "ordered-circle": {"text": text(), "order": "ordered", "steps": [{"id": "a", "after": ["b"]}, {"id": "b"}]},
            "ordered-ok": {"text": text(), "order": "ordered", "steps": [{"id": "a"}, {"id": "b", "after": ["a"]}, {"id": "c"}]},
        }
    }));
    assert_eq!(problems.len(), 8, "{problems:#?}");
    for path in [
        "checklists.no-steps.steps",
        "checklists.both-rules.steps[0]",
        "checklists.bad-after.steps[0].after",
        "checklists.circle.steps",
        "checklists.bad-href.steps[0].href",
        "checklists.dup.steps[1].id",
        "checklists.bad-order.order",
        "checklists.ordered-circle.steps",
    ] {
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("config {path}:"))
                    && p.ends_with("this checklist is off")),
            "{path} in {problems:#?}"
        );
    }
    let on: Vec<&str> = lists
        .list
        .iter()
        .filter(|c| !c.broken)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(on, ["good", "ordered-ok"]);
    let broken = lists.list.iter().find(|c| c.id == "bad-after").unwrap();
    assert!(broken
        .on_event("A", &Value::Null, &Map::new(), &RegressEngine::default())
        .is_empty());
}

#[test]
fn progress_from_another_device_merges_in_at_its_earliest() {
    let c = four(json!({}));
    let mut here = Progress::default();
    c.mark(&mut here, 0, How::Event, T0 + 50.0);
    here.open = Some(true);
    let mut there = Progress::default();
    c.mark(&mut there, 0, How::Code, T0 + 10.0);
    c.mark(&mut there, 2, How::Page, T0 + 20.0);
    there.dismissed_ms = T0 + 30.0;
    here.merge(&there);
    assert!(here.is_done("board") && here.is_done("pricing") && !here.is_done("invite"));
    let board = here.steps.iter().find(|s| s.id == "board").unwrap();
    assert_eq!((board.done_ms, board.how), (T0 + 10.0, How::Code));
    assert_eq!(here.dismissed_ms, T0 + 30.0);
    assert_eq!(here.open, Some(true), "this device's choice");
}
