//! The NPS survey report: submissions shown and answered (a changed score counts once, by
//! its last valid answer), dismissals, invalid answers, the score and its interval, the
//! trend per week and month, and the comments, from events posted through `/v1/batch`.

mod common;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{json, Value};

const KEY: &str = "surveyed";
const RANGE: &str = "from=2025-03-01&to=2025-05-01";
/// Φ⁻¹(0.975), for the 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

fn app() -> TestApp {
    let text = json!({"en": {"question": "How likely are you to recommend us?",
        "low": "Not likely", "high": "Very likely", "thanks": "Thank you!"}});
    let config = json!({
        KEY: {"surveys": {"nps": {"text": text}, "onboarding": {"text": text}}},
        "plain": {"tracking": {}},
    });
    TestApp::with_config_text(&config.to_string())
}

/// The survey events of one test, numbered so every messageId is new.
struct Log(Vec<Value>);

impl Log {
    fn track(&mut self, event: &str, survey: &str, sub: Option<&str>, time: &str, more: Value) {
        let mut properties = json!({"survey_id": survey});
        if let Some(sub) = sub {
            properties["submission_id"] = sub.into();
        }
        for (k, v) in more.as_object().unwrap() {
            properties[k] = v.clone();
        }
        self.0.push(json!({
            "type": "track",
            "event": event,
            "messageId": format!("m{}", self.0.len()),
            "anonymousId": format!("visitor-{}", sub.unwrap_or("none")),
            "properties": properties,
            "timestamp": time,
        }));
    }

    fn shown(&mut self, sub: &str, time: &str) {
        let more = json!({"trigger": "delay", "locale": "en"});
        self.track("Survey Shown", "nps", Some(sub), time, more);
    }

    fn answered(&mut self, sub: &str, time: &str, score: Value) {
        // The category sent is always "promoter", to show it is never read.
        let more = json!({"score": score, "category": "promoter"});
        self.track("Survey Answered", "nps", Some(sub), time, more);
    }

    fn comment(&mut self, sub: &str, time: &str, category: &str, comment: &str) {
        let more = json!({"category": category, "comment": comment});
        self.track("Survey Comment", "nps", Some(sub), time, more);
    }

    fn dismissed(&mut self, sub: &str, time: &str, step: &str) {
        self.track(
            "Survey Dismissed",
            "nps",
            Some(sub),
            time,
            json!({"step": step}),
        );
    }

    async fn post(self, t: &TestApp) {
        t.post_events(KEY, &self.0).await;
    }
}

/// Per submission of survey `nps` inside [`RANGE`]: the week (Monday) and month its
/// `Survey Shown` and final answer fall in, and its final valid score. The events behind
/// it are in [`events`]; everything else the tests expect is computed from this table.
const SUBMISSIONS: [(&str, &str, &str, Option<u8>); 9] = [
    ("s1", "2025-03-03", "2025-03-01", Some(9)),
    ("s2", "2025-03-03", "2025-03-01", Some(10)),
    ("s3", "2025-03-03", "2025-03-01", Some(8)),
    ("s4", "2025-03-03", "2025-03-01", None),
    ("s5", "2025-03-10", "2025-03-01", Some(2)),
    ("s6", "2025-03-10", "2025-03-01", None),
    ("s7", "2025-03-10", "2025-03-01", Some(6)),
    ("s8", "2025-03-31", "2025-03-01", Some(7)),
    ("s9", "2025-03-31", "2025-04-01", Some(9)),
];

/// Submissions dismissed at the score step without a valid answer: s4 and s6.
const DISMISSED: u64 = 2;
/// Answers that cannot count, in the range: s6's four and one without a submission id.
const INVALID: u64 = 5;

fn events() -> Log {
    let mut log = Log(Vec::new());
    // s1 changes 3 to 9 and comments; the category it sends is wrong.
    log.shown("s1", "2025-03-03T10:00:00.000Z");
    log.answered("s1", "2025-03-03T10:01:00.000Z", json!(3));
    log.answered("s1", "2025-03-03T10:02:00.000Z", json!(9));
    log.comment(
        "s1",
        "2025-03-03T10:03:00.000Z",
        "detractor",
        "Love the new editor",
    );
    // s2 answers, then closes the thank-you step: answered, not dismissed.
    log.shown("s2", "2025-03-04T09:00:00.000Z");
    log.answered("s2", "2025-03-04T09:01:00.000Z", json!(10));
    log.dismissed("s2", "2025-03-04T09:02:00.000Z", "thanks");
    log.shown("s3", "2025-03-05T12:00:00.000Z");
    log.answered("s3", "2025-03-05T12:01:00.000Z", json!(8));
    log.comment(
        "s3",
        "2025-03-05T12:02:00.000Z",
        "promoter",
        "Fine, a bit slow",
    );
    // s4 is shown late on Sunday in UTC (Monday in +02:00) and dismissed at the score.
    log.shown("s4", "2025-03-10T00:30:00.000+02:00");
    log.dismissed("s4", "2025-03-10T00:31:00.000+02:00", "score");
    // s5 answers, then closes the comment step.
    log.shown("s5", "2025-03-10T08:00:00.000Z");
    log.answered("s5", "2025-03-10T08:01:00.000Z", json!(2));
    log.dismissed("s5", "2025-03-10T08:02:00.000Z", "comment");
    // s6 sends only scores that cannot count, comments, and is dismissed at the score.
    log.shown("s6", "2025-03-11T08:00:00.000Z");
    log.answered("s6", "2025-03-11T08:01:00.000Z", json!(11));
    log.answered("s6", "2025-03-11T08:02:00.000Z", json!("7"));
    log.answered("s6", "2025-03-11T08:03:00.000Z", json!(6.5));
    log.answered("s6", "2025-03-11T08:04:00.000Z", json!(true));
    log.comment(
        "s6",
        "2025-03-11T08:05:00.000Z",
        "promoter",
        "no score, no comment",
    );
    log.dismissed("s6", "2025-03-11T08:06:00.000Z", "score");
    // s7: the answer sent last is the earlier one (09:01Z, written in +02:00), so 6 counts.
    // Its dismissal at the score step does not count: it has an answer.
    log.shown("s7", "2025-03-12T09:00:00.000Z");
    log.dismissed("s7", "2025-03-12T09:00:30.000Z", "score");
    log.answered("s7", "2025-03-12T10:05:00.000Z", json!(6));
    log.answered("s7", "2025-03-12T11:01:00.000+02:00", json!(0));
    // s8 in the last week of March, its score written as 7.0.
    log.shown("s8", "2025-03-31T23:30:00.000Z");
    log.answered("s8", "2025-03-31T23:31:00.000Z", json!(7.0));
    // s9 in the same week, the next month.
    log.shown("s9", "2025-04-02T10:00:00.000Z");
    log.answered("s9", "2025-04-02T10:01:00.000Z", json!(9));
    log.comment(
        "s9",
        "2025-04-02T10:02:00.000Z",
        "promoter",
        "Great support",
    );
    // An answer without a submission id.
    let score = json!({"score": 5, "category": "detractor"});
    log.track(
        "Survey Answered",
        "nps",
        None,
        "2025-03-15T10:00:00.000Z",
        score,
    );
    // Outside the range: before `from`, and at `to` (exclusive).
    log.shown("s10", "2025-02-20T10:00:00.000Z");
    log.answered("s10", "2025-02-20T10:01:00.000Z", json!(0));
    log.comment(
        "s10",
        "2025-02-20T10:02:00.000Z",
        "detractor",
        "Too old to list",
    );
    log.answered("s10", "2025-02-20T10:03:00.000Z", json!(12));
    log.shown("s11", "2025-05-01T00:00:00.000Z");
    log.answered("s11", "2025-05-01T00:00:01.000Z", json!(10));
    // Other surveys, one of them not in the config.
    for survey in ["onboarding", "other"] {
        let sub = Some("o1");
        log.track(
            "Survey Shown",
            survey,
            sub,
            "2025-03-05T10:00:00.000Z",
            json!({}),
        );
        let score = json!({"score": 0, "category": "detractor"});
        log.track(
            "Survey Answered",
            survey,
            sub,
            "2025-03-05T10:01:00.000Z",
            score,
        );
    }
    log
}

/// NPS and its 95% interval, computed here from the scores.
fn expected_nps(scores: &[u8]) -> (Value, Value) {
    if scores.is_empty() {
        return (Value::Null, Value::Null);
    }
    let n = scores.len() as f64;
    let promoters = scores.iter().filter(|&&s| s >= 9).count() as f64 / n;
    let detractors = scores.iter().filter(|&&s| s <= 6).count() as f64 / n;
    let nps = 100.0 * (promoters - detractors);
    if scores.len() < 2 {
        return (json!(nps), Value::Null);
    }
    let variance = promoters + detractors - (promoters - detractors).powi(2);
    let se = 100.0 * (variance / n).sqrt();
    let ci = json!([(nps - Z95 * se).max(-100.0), (nps + Z95 * se).min(100.0)]);
    (json!(nps), ci)
}

fn close(actual: &Value, expected: &Value) {
    match (actual, expected) {
        (Value::Null, Value::Null) => {}
        (Value::Array(a), Value::Array(e)) if a.len() == e.len() => {
            a.iter().zip(e).for_each(|(a, e)| close(a, e));
        }
        _ => {
            let (a, e) = (actual.as_f64(), expected.as_f64());
            let ok = a.zip(e).is_some_and(|(a, e)| (a - e).abs() < 1e-9);
            assert!(ok, "{actual} != {expected}");
        }
    }
}

async fn report(t: &TestApp, query: &str) -> Value {
    let r = t
        .get(&format!("/api/reports/nps?writeKey={KEY}&{query}"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

/// The trend expected from [`SUBMISSIONS`], bucketed by week (`by_month` false) or month.
fn expected_trend(by_month: bool) -> Vec<Value> {
    let mut buckets: BTreeMap<&str, (u64, Vec<u8>)> = BTreeMap::new();
    for (_, week, month, score) in SUBMISSIONS {
        let b = buckets
            .entry(if by_month { month } else { week })
            .or_default();
        b.0 += 1;
        b.1.extend(score);
    }
    buckets
        .into_iter()
        .map(|(start, (shown, scores))| {
            let (nps, ci95) = expected_nps(&scores);
            json!({"start": start, "shown": shown, "answered": scores.len(), "nps": nps, "ci95": ci95})
        })
        .collect()
}

fn assert_trend(actual: &Value, expected: &[Value]) {
    let actual = actual.as_array().unwrap();
    assert_eq!(actual.len(), expected.len(), "{actual:?}");
    for (a, e) in actual.iter().zip(expected) {
        for key in ["start", "shown", "answered"] {
            assert_eq!(a[key], e[key], "{key} in {a}");
        }
        close(&a["nps"], &e["nps"]);
        close(&a["ci95"], &e["ci95"]);
    }
}

#[tokio::test]
async fn counts_each_submission_once_by_its_last_valid_score() {
    let t = app();
    events().post(&t).await;
    let r = report(&t, &format!("survey=nps&{RANGE}&interval=week")).await;

    let scores: Vec<u8> = SUBMISSIONS.iter().filter_map(|s| s.3).collect();
    let shown = SUBMISSIONS.len();
    assert_eq!(r["survey"], "nps");
    assert_eq!(r["from"], "2025-03-01");
    assert_eq!(r["to"], "2025-05-01");
    assert_eq!(r["interval"], "week");
    assert_eq!(r["shown"], shown);
    assert_eq!(r["answered"], scores.len());
    close(
        &r["responseRate"],
        &json!(scores.len() as f64 / shown as f64),
    );
    assert_eq!(r["dismissed"], DISMISSED);
    assert_eq!(r["invalid"], INVALID);

    let count =
        |range: std::ops::RangeInclusive<u8>| scores.iter().filter(|s| range.contains(s)).count();
    assert_eq!(
        r["categories"],
        json!({"detractor": count(0..=6), "passive": count(7..=8), "promoter": count(9..=10)})
    );
    let distribution: Vec<usize> = (0..=10).map(|s| count(s..=s)).collect();
    assert_eq!(r["distribution"], json!(distribution));

    let (nps, ci95) = expected_nps(&scores);
    close(&r["nps"], &nps);
    close(&r["ci95"], &ci95);
    assert_trend(&r["trend"], &expected_trend(false));
}

#[tokio::test]
async fn trend_is_by_monday_week_by_default_or_by_month() {
    let t = app();
    events().post(&t).await;
    let weekly = report(&t, &format!("survey=nps&{RANGE}")).await;
    assert_eq!(weekly["interval"], "week");
    assert_trend(&weekly["trend"], &expected_trend(false));

    let monthly = report(&t, &format!("survey=nps&{RANGE}&interval=month")).await;
    assert_eq!(monthly["interval"], "month");
    assert_trend(&monthly["trend"], &expected_trend(true));
    // The totals do not depend on the interval.
    for key in [
        "shown",
        "answered",
        "nps",
        "ci95",
        "distribution",
        "comments",
    ] {
        assert_eq!(weekly[key], monthly[key], "{key}");
    }
}

#[tokio::test]
async fn comments_are_newest_first_with_the_category_of_the_final_score() {
    let t = app();
    events().post(&t).await;
    let r = report(&t, &format!("survey=nps&{RANGE}")).await;
    assert_eq!(
        r["comments"],
        json!([
            {"at": "2025-04-02T10:02:00.000Z", "category": "promoter", "score": 9,
             "comment": "Great support"},
            {"at": "2025-03-05T12:02:00.000Z", "category": "passive", "score": 8,
             "comment": "Fine, a bit slow"},
            {"at": "2025-03-03T10:03:00.000Z", "category": "promoter", "score": 9,
             "comment": "Love the new editor"},
        ])
    );
}

#[tokio::test]
async fn without_a_range_every_stored_submission_counts() {
    let t = app();
    events().post(&t).await;
    let r = report(&t, "survey=nps").await;
    // s10 and s11 join; s10's last answer (12) is invalid, so its 0 counts.
    assert_eq!(r["shown"], SUBMISSIONS.len() + 2);
    let answered = SUBMISSIONS.iter().filter(|s| s.3.is_some()).count();
    assert_eq!(r["answered"], answered + 2);
    assert_eq!(r["invalid"], INVALID + 1);
    assert_eq!(r["from"], Value::Null);
    assert_eq!(r["comments"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_survey_without_answers_has_no_rate_score_or_interval() {
    let t = app();
    events().post(&t).await;
    let r = report(&t, "survey=nps&from=2030-01-01").await;
    assert_eq!(r["shown"], 0);
    assert_eq!(r["answered"], 0);
    assert_eq!(r["responseRate"], Value::Null);
    assert_eq!(r["nps"], Value::Null);
    assert_eq!(r["ci95"], Value::Null);
    assert_eq!(r["distribution"], json!([0u64; 11].to_vec()));
    assert_eq!(r["trend"], json!([]));
    assert_eq!(r["comments"], json!([]));
}

#[tokio::test]
async fn lists_the_latest_fifty_comments() {
    let t = app();
    let mut log = Log(Vec::new());
    for i in 0..55 {
        let sub = format!("c{i}");
        let time = |s: u32| format!("2025-03-10T10:{i:02}:{s:02}.000Z");
        log.shown(&sub, &time(0));
        log.answered(&sub, &time(1), json!(i % 11));
        log.comment(&sub, &time(2), "detractor", &format!("comment {i}"));
    }
    log.post(&t).await;
    let r = report(&t, "survey=nps").await;
    let comments = r["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 50);
    assert_eq!(comments[0]["comment"], "comment 54");
    assert_eq!(comments[49]["comment"], "comment 5");
    assert_eq!(comments[0]["score"], 54 % 11);
    assert_eq!(comments[0]["category"], "promoter");
}

#[tokio::test]
async fn needs_the_admin_credential() {
    let t = app();
    let uri = format!("/api/reports/nps?writeKey={KEY}&survey=nps");
    assert_eq!(t.get_as(&uri, None).await.status, StatusCode::UNAUTHORIZED);
    let wrong = t.get_as(&uri, Some("not-the-secret")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // The credential is checked before anything else is said about the request.
    let bad = t
        .get_as("/api/reports/nps?survey=nope&interval=day", None)
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
}

async fn error(t: &TestApp, query: &str, status: StatusCode) -> String {
    t.error(&format!("/api/reports/nps?{query}"), status).await
}

#[tokio::test]
async fn bad_requests_name_what_is_wrong() {
    let t = app();
    let e = error(&t, &format!("writeKey={KEY}"), StatusCode::BAD_REQUEST).await;
    assert!(e.starts_with("survey:"), "{e}");
    let e = error(
        &t,
        &format!("writeKey={KEY}&survey="),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(e.starts_with("survey:"), "{e}");
    let q = format!("writeKey={KEY}&survey=nps&interval=day");
    let e = error(&t, &q, StatusCode::BAD_REQUEST).await;
    assert!(e.starts_with("interval:"), "{e}");
    let q = format!("writeKey={KEY}&survey=nps&from=yesterday");
    let e = error(&t, &q, StatusCode::BAD_REQUEST).await;
    assert!(e.starts_with("from:"), "{e}");
    let e = error(&t, "survey=nps", StatusCode::BAD_REQUEST).await;
    assert!(e.starts_with("writeKey:"), "{e}");
}

#[tokio::test]
async fn a_survey_the_config_does_not_define_is_not_found() {
    let t = app();
    events().post(&t).await;
    let e = error(
        &t,
        &format!("writeKey={KEY}&survey=other"),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(e.contains("\"other\""), "{e}");
    let e = error(&t, "writeKey=plain&survey=nps", StatusCode::NOT_FOUND).await;
    assert!(e.contains("\"nps\""), "{e}");
    error(&t, "writeKey=nosuchsite&survey=nps", StatusCode::NOT_FOUND).await;
}
