use super::*;
use crate::config::Config;
use crate::regex::RegressEngine;
use serde_json::json;

const DAY: f64 = DAY_MS;
const HOUR: f64 = HOUR_MS;
const T0: f64 = 1_800_000_000_000.0;

fn value(v: serde_json::Value) -> Value {
    serde_json::from_value(v).unwrap()
}

/// The config's surveys and the problems the reader found.
fn read(config: serde_json::Value) -> (Surveys, Vec<String>) {
    let (c, problems) = Config::from_value(&value(config), &RegressEngine::default());
    (c.surveys, problems.iter().map(|p| p.text()).collect())
}

fn texts() -> serde_json::Value {
    json!({"en": {"question": "How likely are you to recommend us?", "low": "Not likely",
                  "high": "Very likely", "thanks": "Thank you!"}})
}

fn survey(extra: serde_json::Value) -> Survey {
    let mut s = json!({"text": texts()});
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    let (surveys, problems) = read(json!({"surveys": {"nps": s}}));
    assert_eq!(problems, Vec::<String>::new());
    surveys.list.into_iter().next().unwrap()
}

struct Ctx {
    now: f64,
    may_ask: bool,
    attrs: Value,
    id: String,
    history: History,
    prompts: Prompts,
    force: bool,
}

impl Ctx {
    fn new() -> Ctx {
        Ctx {
            now: T0,
            may_ask: true,
            attrs: value(json!({"path": "/pricing", "tier": "high"})),
            id: "visitor-1".into(),
            history: History::default(),
            prompts: Prompts::default(),
            force: false,
        }
    }

    fn check(&self, s: &Survey) -> Result<(), Why> {
        let groups = Map::new();
        let re = RegressEngine::default();
        check(
            s,
            &Context {
                now_ms: self.now,
                may_ask: self.may_ask,
                attributes: &self.attrs,
                saved_groups: &groups,
                re: &re,
                anonymous_id: &self.id,
                history: &self.history,
                prompts: &self.prompts,
                force: self.force,
            },
        )
    }
}

#[test]
fn a_survey_for_everyone_shows_to_a_fresh_visitor() {
    assert_eq!(Ctx::new().check(&survey(json!({}))), Ok(()));
}

#[test]
fn a_visitor_without_consent_is_never_asked_even_by_force() {
    let s = survey(json!({}));
    let mut c = Ctx::new();
    c.may_ask = false;
    assert_eq!(c.check(&s), Err(Why::Consent));
    c.force = true;
    assert_eq!(c.check(&s), Err(Why::Consent));
}

#[test]
fn the_audience_condition_is_the_existing_condition_language() {
    let s = survey(json!({"if": {"path": {"$regex": "^/pricing"}, "tier": "high"}}));
    let mut c = Ctx::new();
    assert_eq!(c.check(&s), Ok(()));
    c.attrs = value(json!({"path": "/blog", "tier": "high"}));
    assert_eq!(c.check(&s), Err(Why::Audience));
    c.force = true;
    assert_eq!(c.check(&s), Ok(()), "the page's code may ask anyone");
}

#[test]
fn sampling_is_sticky_per_visitor_and_close_to_the_share() {
    let s = survey(json!({"sample": 0.3}));
    let mut c = Ctx::new();
    let mut asked = 0;
    for i in 0..2_000 {
        c.id = format!("visitor-{i}");
        let first = c.check(&s);
        // The same visitor gets the same answer however often and whenever it is asked.
        for later in [T0 + HOUR, T0 + 40.0 * DAY] {
            c.now = later;
            assert_eq!(c.check(&s), first, "visitor-{i}");
        }
        c.now = T0;
        assert!(matches!(first, Ok(()) | Err(Why::Sampled)));
        asked += usize::from(first.is_ok());
    }
    assert!(
        (540..=660).contains(&asked),
        "{asked} of 2,000 in a 30% sample"
    );
    assert!(in_sample("nps", "anyone", 1.0));
    assert!(!in_sample("nps", "anyone", 0.0));
    // Another survey draws another sample from the same visitors.
    let other: Vec<bool> = (0..200)
        .map(|i| in_sample("csat", &format!("visitor-{i}"), 0.3))
        .collect();
    let this: Vec<bool> = (0..200)
        .map(|i| in_sample("nps", &format!("visitor-{i}"), 0.3))
        .collect();
    assert_ne!(other, this);
}

#[test]
fn an_answer_holds_the_survey_back_for_resurvey_days() {
    let s = survey(json!({"resurveyDays": 30}));
    let mut c = Ctx::new();
    c.history.shown("nps", T0);
    c.history.answered("nps", T0 + 1_000.0);
    c.history.closed();
    c.prompts.max_per_week = 100;
    c.prompts.min_gap_hours = 0.0;
    c.now = T0 + 29.0 * DAY;
    assert_eq!(c.check(&s), Err(Why::Answered));
    c.now = T0 + 30.0 * DAY + 1_000.0;
    assert_eq!(c.check(&s), Ok(()));
    c.now = T0 + 2.0 * DAY;
    c.force = true;
    assert_eq!(c.check(&s), Ok(()), "force skips the throttles");
}

#[test]
fn a_dismissal_or_a_survey_left_unanswered_waits_dismiss_wait_days() {
    let s = survey(json!({"dismissWaitDays": 14, "resurveyDays": 90}));
    let mut c = Ctx::new();
    c.prompts.min_gap_hours = 0.0;
    c.history.shown("nps", T0);
    c.history.dismissed("nps", T0 + 5_000.0);
    c.history.closed();
    c.now = T0 + 13.0 * DAY;
    assert_eq!(c.check(&s), Err(Why::Dismissed));
    c.now = T0 + 15.0 * DAY;
    assert_eq!(c.check(&s), Ok(()));

    // Shown, then the tab closed: no answer, no dismissal; the same wait applies.
    let mut c = Ctx::new();
    c.prompts.min_gap_hours = 0.0;
    c.history.shown("nps", T0);
    c.history.closed();
    c.now = T0 + DAY;
    assert_eq!(c.check(&s), Err(Why::Dismissed));
    c.now = T0 + 14.0 * DAY + 1.0;
    assert_eq!(c.check(&s), Ok(()));
}

#[test]
fn one_prompt_on_screen_at_a_time_across_tabs_even_by_force() {
    let s = survey(json!({}));
    let mut c = Ctx::new();
    // Another tab (or another prompt) shows a checklist: its lock is in the shared history.
    c.history.shown("onboarding", T0);
    c.prompts.min_gap_hours = 0.0;
    c.now = T0 + 1_000.0;
    assert_eq!(c.check(&s), Err(Why::PromptOpen));
    c.force = true;
    assert_eq!(c.check(&s), Err(Why::PromptOpen));
    // Renewed while open, it keeps the lock; once closed, or after its lease, it frees it.
    c.history.renew(T0 + 50_000.0);
    c.now = T0 + 100_000.0;
    assert_eq!(c.check(&s), Err(Why::PromptOpen));
    c.history.closed();
    assert_eq!(c.check(&s), Ok(()));
    let mut abandoned = Ctx::new();
    abandoned.prompts.min_gap_hours = 0.0;
    abandoned.history.shown("onboarding", T0);
    abandoned.now = T0 + LEASE_MS + 1.0;
    assert_eq!(
        abandoned.check(&s),
        Ok(()),
        "a closed tab frees the lock after its lease"
    );
}

#[test]
fn the_prompt_cap_is_per_rolling_week_with_a_gap_between_prompts() {
    let s = survey(json!({}));
    let mut c = Ctx::new();
    c.prompts = Prompts {
        max_per_week: 2,
        min_gap_hours: 24.0,
    };
    c.history.shown("a", T0);
    c.history.closed();
    c.now = T0 + 23.0 * HOUR;
    assert_eq!(c.check(&s), Err(Why::MinGap));
    c.now = T0 + 25.0 * HOUR;
    assert_eq!(c.check(&s), Ok(()));
    c.history.shown("b", c.now);
    c.history.closed();
    c.now = T0 + 3.0 * DAY;
    assert_eq!(
        c.check(&s),
        Err(Why::WeeklyCap),
        "two prompts this week already"
    );
    c.force = true;
    assert_eq!(c.check(&s), Ok(()), "force skips the cap");
    c.force = false;
    c.now = T0 + 7.0 * DAY + 1.0;
    assert_eq!(
        c.check(&s),
        Ok(()),
        "the first one has left the rolling week"
    );
    c.prompts.max_per_week = 0;
    assert_eq!(c.check(&s), Err(Why::WeeklyCap), "0 turns prompts off");
}

#[test]
fn the_first_refusal_is_reported_in_a_fixed_order() {
    // Out of the audience, sampled out, answered and capped at once: audience is named.
    let s = survey(json!({"if": {"tier": "low"}, "sample": 0.0}));
    let mut c = Ctx::new();
    c.history.shown("nps", T0);
    c.history.answered("nps", T0);
    c.history.closed();
    c.now = T0 + HOUR;
    assert_eq!(c.check(&s), Err(Why::Audience));
    c.attrs = value(json!({"tier": "low"}));
    assert_eq!(c.check(&s), Err(Why::Sampled));
    let s = survey(json!({"if": {"tier": "low"}}));
    assert_eq!(c.check(&s), Err(Why::Answered));
}

#[test]
fn triggers_delay_event_with_condition_scroll() {
    let (surveys, problems) = read(json!({"surveys": {
        "after-delay": {"text": texts(), "triggers": [{"delayMs": 5000}, {"delayMs": 2000}]},
        "on-signup": {"text": texts(), "triggers": [{"event": "Plan Selected", "where": {"plan": "pro"}}]},
        "on-any-signup": {"text": texts(), "triggers": [{"event": "Signed Up"}]},
        "on-scroll": {"text": texts(), "triggers": [{"scrollPercent": 60}]},
        "by-code": {"text": texts()},
    }}));
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(
        on_page_view(&surveys, T0),
        vec![("after-delay".to_owned(), T0 + 2000.0)]
    );
    let groups = Map::new();
    let re = RegressEngine::default();
    let props = |v| value(v);
    assert_eq!(
        on_event(
            &surveys,
            "Plan Selected",
            &props(json!({"plan": "pro"})),
            &groups,
            &re
        ),
        ["on-signup"]
    );
    assert!(on_event(
        &surveys,
        "Plan Selected",
        &props(json!({"plan": "team"})),
        &groups,
        &re
    )
    .is_empty());
    assert_eq!(
        on_event(&surveys, "Signed Up", &props(json!({})), &groups, &re),
        ["on-any-signup"]
    );
    assert!(on_scroll(&surveys, 59.0).is_empty());
    assert_eq!(on_scroll(&surveys, 75.0), ["on-scroll"]);
    assert_eq!(scroll_depths(&surveys), Some(60.0));
}

#[test]
#[cfg_attr(
    not(feature = "validate"),
    ignore = "checks what only the validate feature reports"
)]
fn a_bad_survey_is_off_with_one_warning_and_the_rest_keeps_working() {
    let (surveys, problems) = read(json!({
        "tracking": {"flushAt": 5},
        "surveys": {
            "good": {"text": texts(), "triggers": [{"delayMs": 1000}]},
            "no-text": {"triggers": [{"delayMs": 1000}]},
            "bad-sample": {"text": texts(), "sample": 2},
            "bad-trigger": {"text": texts(), "triggers": [{"whenever": true}]},
            "bad-theme": {"text": texts(), "theme": {"accent": "red; background: url(https://x/)"}},
            "bad-if": {"text": texts(), "if": {"tier": {"$bogus": 1}}},
            "bad id!": {"text": texts()},
            "missing-thanks": {"text": {"en": {"question": "q", "low": "l", "high": "h"}}},
        },
        "prompts": {"maxPerWeek": 3},
    }));
    assert_eq!(problems.len(), 7, "{problems:#?}");
    for path in [
        "surveys.no-text.text",
        "surveys.bad-sample.sample",
        "surveys.bad-trigger.triggers[0]",
        "surveys.bad-theme.theme.accent",
        "surveys.bad-if.if",
        "surveys.bad id!",
        "surveys.missing-thanks.text.en.thanks",
    ] {
        let p = problems
            .iter()
            .find(|p| p.starts_with(&format!("config {path}:")));
        assert!(
            p.is_some_and(|p| p.ends_with("this survey is off")),
            "{path} in {problems:#?}"
        );
    }
    let on: Vec<&str> = surveys
        .list
        .iter()
        .filter(|s| !s.broken)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(on, ["good"]);
    assert_eq!(surveys.prompts.max_per_week, 3);
    assert_eq!(
        on_page_view(&surveys, T0).len(),
        1,
        "a broken survey never triggers"
    );
    let broken = surveys.list.iter().find(|s| s.id == "no-text").unwrap();
    assert_eq!(Ctx::new().check(broken), Err(Why::Broken));
}

#[test]
fn config_reads_every_field() {
    let s = survey(json!({
        "text": {
            "fr": {"question": "Recommanderiez-vous ?", "low": "Pas du tout", "high": "Tout à fait",
                   "thanks": "Merci !", "send": "Envoyer", "close": "Fermer",
                   "followUp": {"detractor": {"question": "Que faudrait-il changer ?", "placeholder": "…"}}},
            "en": {"question": "Recommend us?", "low": "No", "high": "Yes", "thanks": "Thanks",
                   "followUp": {"promoter": {"question": "What do you like?"}}}
        },
        "defaultLocale": "fr",
        "placement": "bottom-left",
        "theme": {"accent": "#0b5fff", "radius": "12px", "font": "\"Inter\", system-ui, sans-serif"},
        "sample": 0.5,
        "resurveyDays": 60,
        "dismissWaitDays": 7
    }));
    assert_eq!(s.sample, 0.5);
    assert_eq!((s.resurvey_days, s.dismiss_wait_days), (60.0, 7.0));
    // The card gets the texts by locale and the presentation as written; it chooses the
    // locale itself (www/card.js, tested in tests/e2e/card.test.mjs).
    let card = s.card();
    assert_eq!(card.get("id"), Some(&Value::from(s.id.as_str())));
    assert_eq!(card.get("defaultLocale"), Some(&Value::from("fr")));
    assert_eq!(card.get("placement"), Some(&Value::from("bottom-left")));
    let text = card.get("text").and_then(Value::as_object).unwrap();
    let fr = text.get("fr").and_then(Value::as_object).unwrap();
    assert_eq!(fr.get("send"), Some(&Value::from("Envoyer")));
    assert_eq!(text.keys().count(), 2);
    let theme = card.get("theme").and_then(Value::as_object).unwrap();
    assert_eq!(theme.keys().count(), 3);
}

#[test]
fn categories_follow_the_nps_bands() {
    let c: Vec<&str> = (0..=10).map(|n| Category::of(n).as_str()).collect();
    assert_eq!(c[..7], ["detractor"; 7]);
    assert_eq!(c[7..9], ["passive"; 2]);
    assert_eq!(c[9..], ["promoter"; 2]);
}

#[test]
fn history_survives_storage_and_damage() {
    let mut h = History::default();
    h.shown("nps", T0);
    h.answered("nps", T0 + 1.0);
    h.shown("csat", T0 + 2.0);
    h.dismissed("csat", T0 + 3.0);
    let text = h.encode();
    assert_eq!(History::decode(&text), h);
    let damaged = History::decode("junk|1,x,3|nps:1:2|ok:1:2:3|bad id:1:2:3");
    assert_eq!(damaged.open_until_ms, 0.0);
    assert_eq!(damaged.prompts, [1.0, 0.0, 3.0]);
    assert_eq!(damaged.surveys.len(), 1);
    assert_eq!(damaged.marks("ok").dismissed_ms, 3.0);
    assert_eq!(History::decode(""), History::default());
}

#[test]
fn a_week_of_prompts_is_all_the_history_keeps() {
    let mut h = History::default();
    for day in 0..30 {
        h.shown("nps", T0 + f64::from(day) * DAY);
        h.closed();
    }
    assert_eq!(h.prompts.len(), 7);
}

#[test]
fn comments_are_capped_at_a_character_boundary() {
    let long = "é".repeat(MAX_COMMENT_CHARS + 10);
    let c = cap_comment(&format!("  {long}  "));
    assert_eq!(c.chars().count(), MAX_COMMENT_CHARS);
    assert!(c.chars().all(|ch| ch == 'é'));
}

#[test]
fn marks_rebuilt_from_events_hold_throttles_on_another_device() {
    let props = |id: &str| {
        let mut m = Map::new();
        m.set("survey_id", id.into());
        m
    };
    let (nps, other, bad) = (props("nps"), props("other"), props("bad id!"));
    let events = [
        ("Survey Shown", &nps, T0),
        ("Survey Answered", &nps, T0 + 10.0),
        ("Survey Shown", &other, T0 + 20.0),
        ("Survey Dismissed", &other, T0 + 30.0),
        ("Survey Shown", &nps, T0 - 5.0),
        ("Survey Answered", &bad, T0),
        ("Page Viewed", &nps, T0 + 99.0),
    ];
    let remote = History::from_events(events);
    assert_eq!(
        remote.marks("nps"),
        Marks {
            shown_ms: T0,
            answered_ms: T0 + 10.0,
            dismissed_ms: 0.0
        }
    );
    assert_eq!(remote.marks("other").dismissed_ms, T0 + 30.0);
    assert_eq!(remote.surveys.len(), 2, "only valid ids");
    // This device never saw the survey; with the other device's marks it holds back.
    let mut here = History::default();
    here.merge(&remote);
    let mut c = Ctx::new();
    c.history = here;
    c.now = T0 + DAY;
    assert_eq!(c.check(&survey(json!({}))), Err(Why::Answered));
}
