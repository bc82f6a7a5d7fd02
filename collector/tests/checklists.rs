//! The onboarding checklist funnel: distinct visitors per stage (an identified visitor on
//! two browsers counts once), steps in the config's order whatever order visitors did them
//! in, unknown steps counted apart, dismissals, the median time from first shown, and the
//! range, from events posted through `/v1/batch`.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{json, Value};

const KEY: &str = "onboarded";
const RANGE: &str = "from=2025-03-01&to=2025-05-01";
/// The config's order, not the order visitors do them in: connect-app before invite-team.
const STEPS: [&str; 3] = ["create-board", "connect-app", "invite-team"];

fn app() -> TestApp {
    let steps: Vec<Value> = STEPS
        .iter()
        .map(|id| json!({"id": id, "title": format!("Do {id}")}))
        .collect();
    let config = json!({
        KEY: {"checklists": {
            "setup": {"title": "Get started", "steps": steps},
            "other-list": {"steps": [{"id": "create-board"}]},
            "broken": ["not", "an", "object"],
        }},
        "plain": {"tracking": {}},
    });
    TestApp::with_config_text(&config.to_string())
}

/// One test's checklist events, numbered so every messageId is new.
struct Log(Vec<Value>);

impl Log {
    /// A `track` event from a browser (`anonymous`), of an identified visitor when `user`.
    fn track(&mut self, who: (&str, Option<&str>), event: &str, time: &str, properties: Value) {
        let mut e = json!({
            "type": "track",
            "event": event,
            "messageId": format!("m{}", self.0.len()),
            "anonymousId": who.0,
            "properties": properties,
            "timestamp": time,
        });
        if let Some(user) = who.1 {
            e["userId"] = user.into();
        }
        self.0.push(e);
    }

    fn shown(&mut self, who: (&str, Option<&str>), time: &str, open: bool) {
        let p = json!({"checklist_id": "setup", "open": open});
        self.track(who, "Checklist Shown", time, p);
    }

    fn step(&mut self, who: (&str, Option<&str>), time: &str, step: Value) {
        let p = json!({"checklist_id": "setup", "step_id": step, "completed_count": 1,
            "total": STEPS.len(), "how": "event"});
        self.track(who, "Checklist Step Completed", time, p);
    }

    fn completed(&mut self, who: (&str, Option<&str>), time: &str) {
        let p = json!({"checklist_id": "setup", "total": STEPS.len()});
        self.track(who, "Checklist Completed", time, p);
    }

    fn dismissed(&mut self, who: (&str, Option<&str>), time: &str) {
        let p = json!({"checklist_id": "setup", "completed_count": 1});
        self.track(who, "Checklist Dismissed", time, p);
    }

    async fn post(self, t: &TestApp) {
        t.post_events(KEY, &self.0).await;
    }
}

/// The visitors, and what each one did. Times from a visitor's first `Checklist Shown` are
/// in the comments, in milliseconds.
fn events() -> Log {
    let mut log = Log(Vec::new());
    // A: the launcher, then the list; every step, in order; then completed.
    let a = ("a1", None);
    log.shown(a, "2025-03-10T09:00:00.000Z", false);
    log.shown(a, "2025-03-10T09:01:00.000Z", true);
    log.step(a, "2025-03-10T09:02:00.000Z", json!("create-board")); // 120 000
    log.step(a, "2025-03-10T09:05:00.000Z", json!("invite-team")); // 300 000
    log.step(a, "2025-03-10T09:10:00.000Z", json!("connect-app")); // 600 000
    log.completed(a, "2025-03-10T09:10:00.250Z"); // 600 250

    // U: one identified visitor on a laptop and a phone (two anonymous ids). The phone
    // repeats create-board; its times are written in +02:00. Dismissed on both.
    let laptop = ("u1-laptop", Some("u1"));
    let phone = ("u1-phone", Some("u1"));
    log.shown(laptop, "2025-03-10T10:00:00.000Z", true);
    log.step(laptop, "2025-03-10T10:00:30.000Z", json!("create-board")); // 30 000
    log.dismissed(laptop, "2025-03-10T10:00:40.000Z");
    log.shown(phone, "2025-03-10T13:00:00.000+02:00", false);
    log.step(
        phone,
        "2025-03-10T13:01:00.000+02:00",
        json!("create-board"),
    );
    log.step(phone, "2025-03-10T13:02:00.000+02:00", json!("invite-team")); // 7 320 000
    log.dismissed(phone, "2025-03-10T13:03:00.000+02:00");

    // C: only the launcher; connect-app done anyway; a step id that is not a string.
    let c = ("c1", None);
    log.shown(c, "2025-03-11T08:00:00.000Z", false);
    log.step(c, "2025-03-11T08:00:45.000Z", json!("connect-app")); // 45 000
    log.step(c, "2025-03-11T08:01:00.000Z", json!(7));
    log.dismissed(c, "2025-03-11T08:02:00.000Z");

    // D: steps out of order, a step the config no longer has, dismissed twice.
    let d = ("d1", None);
    log.shown(d, "2025-03-12T08:00:00.000Z", true);
    log.step(d, "2025-03-12T08:01:00.000Z", json!("invite-team")); // 60 000
    log.step(d, "2025-03-12T08:01:30.000Z", json!("create-board")); // 90 000
    log.step(d, "2025-03-12T08:02:00.000Z", json!("old-step"));
    log.dismissed(d, "2025-03-12T08:03:00.000Z");
    log.dismissed(d, "2025-03-12T08:04:00.000Z");

    // E: the list opened on two page views, nothing done.
    let e = ("e1", None);
    log.shown(e, "2025-03-13T08:00:00.000Z", true);
    log.shown(e, "2025-03-13T08:05:00.000Z", true);

    // F: create-board before the checklist showed: counted, but no time from shown.
    let f = ("f1", None);
    log.step(f, "2025-03-14T07:59:50.000Z", json!("create-board"));
    log.shown(f, "2025-03-14T08:00:00.000Z", true);

    // H: shown and create-board before `from`, completed inside the range.
    let h = ("h1", None);
    log.shown(h, "2025-02-27T10:00:00.000Z", true);
    log.step(h, "2025-02-27T10:01:00.000Z", json!("create-board")); // 60 000
    log.completed(h, "2025-03-02T09:00:00.000Z"); // 255 600 000

    // Z: at `to` (exclusive), with an unknown step.
    let z = ("z1", None);
    log.shown(z, "2025-05-01T00:00:00.000Z", false);
    log.step(z, "2025-05-01T00:00:01.000Z", json!("old-step"));

    // Other checklists (one defined, one not) and one without an id: not this funnel.
    for list in [json!("other-list"), json!("ghost"), Value::Null] {
        let p = json!({"checklist_id": list, "open": true});
        log.track(a, "Checklist Shown", "2025-03-15T08:00:00.000Z", p);
        let p = json!({"checklist_id": list, "step_id": "create-board", "completed_count": 1,
            "total": 1, "how": "page"});
        log.track(a, "Checklist Step Completed", "2025-03-15T08:00:01.000Z", p);
    }
    log
}

async fn report(t: &TestApp, query: &str) -> Value {
    let r = t
        .get(&format!("/api/reports/checklists?writeKey={KEY}&{query}"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

/// The stages expected: visitors at eligible, shown, each step of [`STEPS`] and
/// completed, and the medians of the step and completed stages.
fn stages(visitors: [u64; 6], medians: [Option<f64>; 4]) -> Value {
    let conversion =
        |i: usize| (visitors[i - 1] > 0).then(|| visitors[i] as f64 / visitors[i - 1] as f64);
    let mut out = vec![
        json!({"stage": "eligible", "visitors": visitors[0]}),
        json!({"stage": "shown", "visitors": visitors[1], "conversion": conversion(1)}),
    ];
    for (i, step) in STEPS.iter().enumerate() {
        out.push(
            json!({"stage": "step", "step": step, "visitors": visitors[i + 2],
            "conversion": conversion(i + 2), "medianMsFromShown": medians[i]}),
        );
    }
    out.push(json!({"stage": "completed", "visitors": visitors[5],
        "conversion": conversion(5), "medianMsFromShown": medians[3]}));
    Value::Array(out)
}

#[tokio::test]
async fn counts_distinct_visitors_per_stage_in_the_configs_order() {
    let t = app();
    events().post(&t).await;
    let r = report(&t, &format!("checklist=setup&{RANGE}")).await;
    assert_eq!(r["checklist"], "setup");
    assert_eq!(r["from"], "2025-03-01");
    assert_eq!(r["to"], "2025-05-01");
    // eligible: A U C D E F; shown (open): A U D E F; create-board: A U D F;
    // connect-app: A C; invite-team: A U D (more than connect-app: done in any order);
    // completed: A H (H's shown is before the range, so H has no time from shown).
    // Medians: create-board of 30 000, 90 000, 120 000 (F's is negative, left out);
    // connect-app of 45 000 and 600 000; invite-team of 60 000, 300 000, 7 320 000.
    let expected = stages(
        [6, 5, 4, 2, 3, 2],
        [
            Some(90_000.0),
            Some(322_500.0),
            Some(300_000.0),
            Some(600_250.0),
        ],
    );
    assert_eq!(r["stages"], expected);
    assert_eq!(r["stages"][4]["conversion"], 1.5);
    // U, C, D: U once for both browsers, D once for two dismissals.
    assert_eq!(r["dismissed"], 3);
    // D's old-step and C's step id 7; Z's old-step is outside the range.
    assert_eq!(r["unknownSteps"], 2);
}

#[tokio::test]
async fn without_a_range_every_stored_event_counts() {
    let t = app();
    events().post(&t).await;
    let r = report(&t, "checklist=setup").await;
    assert_eq!(r["from"], Value::Null);
    assert_eq!(r["to"], Value::Null);
    // H and Z join: H at shown, create-board (60 000) and with a time to completion
    // (2 days 23 hours: 255 600 000), Z only as eligible.
    let expected = stages(
        [8, 6, 5, 2, 3, 2],
        [
            Some(75_000.0),
            Some(322_500.0),
            Some(300_000.0),
            Some((600_250.0 + 255_600_000.0) / 2.0),
        ],
    );
    assert_eq!(r["stages"], expected);
    assert_eq!(r["dismissed"], 3);
    assert_eq!(r["unknownSteps"], 3);
}

#[tokio::test]
async fn each_checklist_counts_only_its_own_events() {
    let t = app();
    events().post(&t).await;
    let r = report(&t, "checklist=other-list").await;
    assert_eq!(
        r["stages"],
        json!([
            {"stage": "eligible", "visitors": 1},
            {"stage": "shown", "visitors": 1, "conversion": 1.0},
            {"stage": "step", "step": "create-board", "visitors": 1, "conversion": 1.0,
             "medianMsFromShown": 1000.0},
            {"stage": "completed", "visitors": 0, "conversion": 0.0, "medianMsFromShown": null},
        ])
    );
    assert_eq!(r["dismissed"], 0);
    assert_eq!(r["unknownSteps"], 0);
}

#[tokio::test]
async fn a_checklist_nobody_saw_has_zeros_and_no_conversions() {
    let t = app();
    events().post(&t).await;
    let r = report(&t, "checklist=setup&from=2030-01-01").await;
    assert_eq!(r["stages"], stages([0; 6], [None; 4]));
    assert_eq!(r["dismissed"], 0);
    assert_eq!(r["unknownSteps"], 0);
}

#[tokio::test]
async fn needs_the_admin_credential() {
    let t = app();
    let uri = format!("/api/reports/checklists?writeKey={KEY}&checklist=setup");
    assert_eq!(t.get_as(&uri, None).await.status, StatusCode::UNAUTHORIZED);
    let wrong = t.get_as(&uri, Some("not-the-secret")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // The credential is checked before anything else is said about the request.
    let bad = t
        .get_as("/api/reports/checklists?checklist=ghost&from=never", None)
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
}

async fn error(t: &TestApp, query: &str, status: StatusCode) -> String {
    t.error(&format!("/api/reports/checklists?{query}"), status)
        .await
}

#[tokio::test]
async fn bad_requests_name_what_is_wrong() {
    let t = app();
    let e = error(&t, &format!("writeKey={KEY}"), StatusCode::BAD_REQUEST).await;
    assert!(e.starts_with("checklist:"), "{e}");
    let q = format!("writeKey={KEY}&checklist=");
    let e = error(&t, &q, StatusCode::BAD_REQUEST).await;
    assert!(e.starts_with("checklist:"), "{e}");
    let q = format!("writeKey={KEY}&checklist=setup&from=yesterday");
    let e = error(&t, &q, StatusCode::BAD_REQUEST).await;
    assert!(e.starts_with("from:"), "{e}");
    let q = format!("writeKey={KEY}&checklist=setup&to=soon");
    let e = error(&t, &q, StatusCode::BAD_REQUEST).await;
    assert!(e.starts_with("to:"), "{e}");
    let e = error(&t, "checklist=setup", StatusCode::BAD_REQUEST).await;
    assert!(e.starts_with("writeKey:"), "{e}");
}

#[tokio::test]
async fn a_checklist_the_config_does_not_define_is_not_found() {
    let t = app();
    events().post(&t).await;
    for id in ["ghost", "broken"] {
        let q = format!("writeKey={KEY}&checklist={id}");
        let e = error(&t, &q, StatusCode::NOT_FOUND).await;
        assert!(e.contains(&format!("\"{id}\"")), "{e}");
    }
    let e = error(&t, "writeKey=plain&checklist=setup", StatusCode::NOT_FOUND).await;
    assert!(e.contains("\"setup\""), "{e}");
    error(
        &t,
        "writeKey=nosuchsite&checklist=setup",
        StatusCode::NOT_FOUND,
    )
    .await;
}
