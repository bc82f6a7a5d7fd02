//! Visitor attributes: the facts audience conditions are written against.
//!
//! Assembled from what the tracker already knows (identity, traits, score, sessions, event
//! counts) and what the shell read from the page (URL, referrer, user agent, language,
//! timezone). Names are stable and documented in the README, since product teams write
//! conditions against them: `traits.plan`, `score`, `tier`, `lifecycle`, `path`,
//! `query.ref`, `utm.source`, `device`, `browser`, `counts.Signed Up`, ...

#[cfg(feature = "widgets")]
use crate::config::{read::Obj, Bad};
use crate::context::{self, PageInfo};
use crate::event::Identity;
use crate::json::{Map, Value};
use crate::session::Session;

const DAY_MS: f64 = 86_400_000.0;

/// `audience` in the config: bands and thresholds behind `tier` and `lifecycle`.
#[derive(Debug, Clone, PartialEq)]
pub struct Audience {
    /// Score at which `tier` becomes `mid`.
    pub tier_mid: f64,
    /// Score at which `tier` becomes `high`.
    pub tier_high: f64,
    /// Sessions after which a visitor is `active`.
    pub active_sessions: u32,
    /// Days away after which a returning visitor is `at-risk`.
    pub at_risk_days: f64,
    /// Saved groups for `$inGroup` / `$notInGroup`.
    pub saved_groups: Map,
}

impl Default for Audience {
    fn default() -> Self {
        Audience {
            tier_mid: 25.0,
            tier_high: 60.0,
            active_sessions: 5,
            at_risk_days: 14.0,
            saved_groups: Map::new(),
        }
    }
}

impl Audience {
    /// Reads `audience`.
    #[cfg(feature = "widgets")]
    pub(crate) fn parse(obj: &Obj) -> Result<Audience, Bad> {
        let d = Audience::default();
        let mut a = d.clone();
        if let Some(t) = obj.obj("tiers")? {
            // Without `high`, `mid` may not pass high's default: `mid` would never be reached.
            let mid_max = if t.map.contains_key("high") {
                100.0
            } else {
                d.tier_high
            };
            let mid_range = if mid_max < 100.0 {
                "from 0 to 60 (tiers.high's default; set tiers.high to go higher)"
            } else {
                "from 0 to 100"
            };
            a.tier_mid = t.number("mid", d.tier_mid, (0.0, mid_max), mid_range)?;
            a.tier_high = t.number(
                "high",
                d.tier_high,
                (a.tier_mid, 100.0),
                "from tiers.mid to 100",
            )?;
            t.no_other_keys(&["mid", "high"])?;
        }
        if let Some(l) = obj.obj("lifecycle")? {
            a.active_sessions = l.count("activeSessions", d.active_sessions, 1)?;
            a.at_risk_days = l.number(
                "atRiskDays",
                d.at_risk_days,
                (0.0, 3650.0),
                "from 0 to 3650",
            )?;
            l.no_other_keys(&["activeSessions", "atRiskDays"])?;
        }
        if let Some(g) = obj.obj("savedGroups")? {
            for (name, members) in g.map {
                if !matches!(members, Value::Array(_)) {
                    return Err(g.error(name, "expected an array of values"));
                }
            }
            a.saved_groups = g.map.clone();
        }
        obj.no_other_keys(&["tiers", "lifecycle", "savedGroups"])?;
        Ok(a)
    }

    /// `low`, `mid` or `high` for a 0-100 score.
    pub fn tier(&self, score: f64) -> &'static str {
        if score >= self.tier_high {
            "high"
        } else if score >= self.tier_mid {
            "mid"
        } else {
            "low"
        }
    }

    /// `new` (first session), `at-risk` (back after a long absence), `active` (many
    /// sessions), else `returning`.
    pub fn lifecycle(&self, session: Option<&Session>) -> &'static str {
        match session {
            None => "new",
            Some(s) if s.count <= 1 => "new",
            Some(s) if s.idle_before_ms >= self.at_risk_days * DAY_MS => "at-risk",
            Some(s) if s.count >= self.active_sessions => "active",
            Some(_) => "returning",
        }
    }
}

/// Everything attributes are made of.
pub struct Facts<'a> {
    /// Who the visitor is.
    pub identity: &'a Identity,
    /// The page and browser.
    pub page: &'a PageInfo,
    /// Engagement score, 0-100.
    pub score: f64,
    /// The current session.
    pub session: Option<&'a Session>,
    /// When this browser was first seen, Unix ms.
    pub first_seen_ms: f64,
    /// Times each event name was recorded.
    pub counts: &'a Map,
    /// Now, Unix ms.
    pub now_ms: f64,
}

/// The attribute object conditions are evaluated against.
pub fn attributes(f: &Facts, audience: &Audience) -> Value {
    let mut a = Map::new();
    let id = f
        .identity
        .user_id
        .as_deref()
        .unwrap_or(&f.identity.anonymous_id);
    a.set("id", id.into());
    a.set("anonymousId", f.identity.anonymous_id.as_str().into());
    if let Some(u) = &f.identity.user_id {
        a.set("userId", u.as_str().into());
    }
    a.set("loggedIn", f.identity.user_id.is_some().into());
    a.set("traits", f.identity.traits.clone().into());
    a.set("score", f.score.into());
    a.set("tier", audience.tier(f.score).into());
    a.set("lifecycle", audience.lifecycle(f.session).into());
    a.set(
        "sessions",
        f64::from(f.session.map_or(0, |s| s.count)).into(),
    );
    let days = crate::num::floor((f.now_ms - f.first_seen_ms).max(0.0) / DAY_MS);
    a.set("daysSinceFirstSeen", days.into());
    a.set("counts", f.counts.clone().into());
    let p = f.page;
    a.set("url", p.url.as_str().into());
    a.set("path", p.path.as_str().into());
    let query: Map = p
        .query
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().into()))
        .collect();
    a.set("query", query.into());
    a.set("referrer", p.referrer.as_str().into());
    let mut utm = Map::new();
    for (k, v) in context::campaign(&p.query) {
        // Segment calls utm_campaign `name`; audiences use the parameter's own word.
        utm.insert(if k == "name" { "campaign".into() } else { k }, v);
    }
    a.set("utm", utm.into());
    a.set("device", device(&p.user_agent).into());
    a.set("browser", browser(&p.user_agent).into());
    a.set("language", p.locale.as_str().into());
    a.set("timezone", p.timezone.as_str().into());
    Value::Object(a)
}

/// Whether `needle` occurs in `haystack`. A plain byte scan, for user agents are short:
/// `str::contains` brings a two-way searcher and the formatting of string-slicing panics
/// into the wasm (several KB).
fn contains(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    (0..=h.len()).any(|i| h.get(i..).is_some_and(|t| t.starts_with(n)))
}

/// `bot`, `tablet`, `mobile` or `desktop`, from the user agent.
pub fn device(ua: &str) -> &'static str {
    let l = ua.to_ascii_lowercase();
    let has = |s: &str| contains(&l, s);
    if has("bot") || has("crawler") || has("spider") || has("headlesschrome") {
        "bot"
    } else if has("ipad") || has("tablet") || (has("android") && !has("mobile")) {
        "tablet"
    } else if has("mobi") || has("iphone") || has("ipod") {
        "mobile"
    } else {
        "desktop"
    }
}

/// `edge`, `opera`, `samsung`, `firefox`, `chrome`, `safari` or `other`, from the user agent.
pub fn browser(ua: &str) -> &'static str {
    let has = |s: &str| contains(ua, s);
    if has("Edg/") {
        "edge"
    } else if has("OPR/") {
        "opera"
    } else if has("SamsungBrowser/") {
        "samsung"
    } else if has("Firefox/") || has("FxiOS/") {
        "firefox"
    } else if has("Chrome/") || has("CriOS/") || has("Chromium/") {
        "chrome"
    } else if has("Safari/") {
        "safari"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
    const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    const EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0";
    const IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/604.1";
    const FIREFOX_ANDROID_TABLET: &str =
        "Mozilla/5.0 (Android 13; Tablet; rv:120.0) Gecko/120.0 Firefox/120.0";
    const GOOGLEBOT: &str =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    #[test]
    fn reads_device_and_browser_from_the_user_agent() {
        assert_eq!((device(IPHONE), browser(IPHONE)), ("mobile", "safari"));
        assert_eq!(
            (device(CHROME_MAC), browser(CHROME_MAC)),
            ("desktop", "chrome")
        );
        assert_eq!(browser(EDGE), "edge");
        assert_eq!(device(IPAD), "tablet");
        assert_eq!(
            (
                device(FIREFOX_ANDROID_TABLET),
                browser(FIREFOX_ANDROID_TABLET)
            ),
            ("tablet", "firefox")
        );
        assert_eq!(device(GOOGLEBOT), "bot");
        assert_eq!(browser(""), "other");
    }

    fn session(count: u32, idle_days: f64) -> Session {
        Session {
            id: 1.0,
            last_ms: 1.0,
            count,
            idle_before_ms: idle_days * DAY_MS,
        }
    }

    #[test]
    fn lifecycle_stages_follow_the_thresholds() {
        let a = Audience::default();
        assert_eq!(a.lifecycle(None), "new");
        assert_eq!(a.lifecycle(Some(&session(1, 0.0))), "new");
        assert_eq!(a.lifecycle(Some(&session(2, 1.0))), "returning");
        assert_eq!(a.lifecycle(Some(&session(5, 1.0))), "active");
        assert_eq!(
            a.lifecycle(Some(&session(9, 14.0))),
            "at-risk",
            "a long absence outranks activity"
        );
    }

    #[test]
    fn tiers_follow_configured_bands() {
        let a = Audience {
            tier_mid: 10.0,
            tier_high: 50.0,
            ..Audience::default()
        };
        assert_eq!(a.tier(9.9), "low");
        assert_eq!(a.tier(10.0), "mid");
        assert_eq!(a.tier(50.0), "high");
    }

    #[test]
    fn attributes_carry_every_documented_fact() {
        let mut traits = Map::new();
        traits.insert("plan".into(), "pro".into());
        let identity = Identity {
            anonymous_id: "anon".into(),
            user_id: Some("u1".into()),
            traits,
        };
        let page = PageInfo {
            url: "https://a.test/pricing?ref=x&utm_source=news&utm_campaign=spring".into(),
            path: "/pricing".into(),
            search: "?ref=x&utm_source=news&utm_campaign=spring".into(),
            referrer: "https://search.test/".into(),
            user_agent: IPHONE.into(),
            locale: "fr-FR".into(),
            timezone: "Europe/Paris".into(),
            ..PageInfo::default()
        }
        .with_query();
        let mut counts = Map::new();
        counts.insert("Signed Up".into(), 2.0.into());
        let s = session(3, 1.0);
        let facts = Facts {
            identity: &identity,
            page: &page,
            score: 72.0,
            session: Some(&s),
            first_seen_ms: 0.0,
            counts: &counts,
            now_ms: 3.5 * DAY_MS,
        };
        let a = attributes(&facts, &Audience::default());
        let at = |p: &str| crate::condition::lookup(&a, p).clone();
        assert_eq!(at("id"), Value::from("u1"));
        assert_eq!(at("anonymousId"), Value::from("anon"));
        assert_eq!(at("loggedIn"), Value::Bool(true));
        assert_eq!(at("traits.plan"), Value::from("pro"));
        assert_eq!(at("score"), Value::Number(72.0));
        assert_eq!(at("tier"), Value::from("high"));
        assert_eq!(at("lifecycle"), Value::from("returning"));
        assert_eq!(at("sessions"), Value::Number(3.0));
        assert_eq!(at("daysSinceFirstSeen"), Value::Number(3.0));
        assert_eq!(at("counts.Signed Up"), Value::Number(2.0));
        assert_eq!(at("path"), Value::from("/pricing"));
        assert_eq!(at("query.ref"), Value::from("x"));
        assert_eq!(at("utm.source"), Value::from("news"));
        assert_eq!(at("utm.campaign"), Value::from("spring"));
        assert_eq!(at("referrer"), Value::from("https://search.test/"));
        assert_eq!(at("device"), Value::from("mobile"));
        assert_eq!(at("browser"), Value::from("safari"));
        assert_eq!(at("language"), Value::from("fr-FR"));
        assert_eq!(at("timezone"), Value::from("Europe/Paris"));
    }

    #[test]
    fn an_anonymous_visitor_is_identified_by_the_anonymous_id() {
        let identity = Identity {
            anonymous_id: "anon".into(),
            ..Identity::default()
        };
        let facts = Facts {
            identity: &identity,
            page: &PageInfo::default(),
            score: 0.0,
            session: None,
            first_seen_ms: 0.0,
            counts: &Map::new(),
            now_ms: 0.0,
        };
        let a = attributes(&facts, &Audience::default());
        assert_eq!(a.get("id"), Some(&Value::from("anon")));
        assert_eq!(a.get("userId"), None);
        assert_eq!(a.get("lifecycle"), Some(&Value::from("new")));
        assert_eq!(a.get("tier"), Some(&Value::from("low")));
    }
}
