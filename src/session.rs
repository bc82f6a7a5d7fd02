//! Sessions: a visit ends after a stretch of inactivity.
//!
//! A session is identified by the Unix ms at which it started (as Amplitude does), so the id
//! also tells when it began. The shell stores the session and calls [`touch`] on every event.

use crate::prelude::*;
/// The current session.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Session {
    /// Session id: its start time, Unix ms.
    pub id: f64,
    /// Last activity, Unix ms.
    pub last_ms: f64,
    /// How many sessions this visitor has had, this one included.
    pub count: u32,
    /// How long the visitor had been away when this session began (0 for the first).
    pub idle_before_ms: f64,
}

/// The session after activity at `now_ms`: the same one, or a new one when the last
/// activity is older than `timeout_ms` (or there was none).
pub fn touch(prev: Option<Session>, now_ms: f64, timeout_ms: f64) -> Session {
    match prev {
        Some(s) if now_ms - s.last_ms < timeout_ms => Session {
            last_ms: now_ms.max(s.last_ms),
            ..s
        },
        other => Session {
            id: now_ms,
            last_ms: now_ms,
            count: other.map_or(0, |s| s.count).saturating_add(1),
            idle_before_ms: other.map_or(0.0, |s| (now_ms - s.last_ms).max(0.0)),
        },
    }
}

/// Session as text for storage: `id,last,count,idle`, whole numbers (times are whole ms).
pub fn encode(s: &Session) -> String {
    let mut out = String::new();
    for (i, n) in [
        s.id as u64,
        s.last_ms as u64,
        u64::from(s.count),
        s.idle_before_ms as u64,
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        crate::text::push_uint(&mut out, n);
    }
    out
}

/// Reads what [`encode`] wrote.
pub fn decode(text: &str) -> Option<Session> {
    let mut parts = crate::text::split(text, b',');
    let id = crate::num::parse_u64(parts.next()?)? as f64;
    let last_ms = crate::num::parse_u64(parts.next()?)? as f64;
    let count = parts
        .next()
        .and_then(crate::num::parse_u64)
        .and_then(|c| c.try_into().ok())
        .unwrap_or(1);
    let idle_before_ms = parts.next().and_then(crate::num::parse_u64).unwrap_or(0) as f64;
    Some(Session {
        id,
        last_ms,
        count,
        idle_before_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const THIRTY_MIN: f64 = 30.0 * 60_000.0;

    #[test]
    fn first_activity_starts_session_one() {
        let s = touch(None, 1_000.0, THIRTY_MIN);
        assert_eq!(
            s,
            Session {
                id: 1_000.0,
                last_ms: 1_000.0,
                count: 1,
                idle_before_ms: 0.0,
            }
        );
    }

    #[test]
    fn activity_within_the_timeout_keeps_the_session() {
        let s = touch(None, 0.0, THIRTY_MIN);
        let s2 = touch(Some(s), THIRTY_MIN - 1.0, THIRTY_MIN);
        assert_eq!(s2.id, 0.0);
        assert_eq!(s2.count, 1);
        let s3 = touch(Some(s2), 2.0 * THIRTY_MIN - 2.0, THIRTY_MIN);
        assert_eq!(s3.id, 0.0, "the timeout counts from the last activity");
    }

    #[test]
    fn thirty_minutes_of_inactivity_ends_the_session() {
        let s = touch(None, 0.0, THIRTY_MIN);
        let s2 = touch(Some(s), THIRTY_MIN, THIRTY_MIN);
        assert_eq!(s2.id, THIRTY_MIN);
        assert_eq!(s2.count, 2);
        assert_eq!(
            s2.idle_before_ms, THIRTY_MIN,
            "how long the visitor was away"
        );
    }

    #[test]
    fn encodes_and_decodes() {
        let s = Session {
            id: 5.0,
            last_ms: 9.0,
            idle_before_ms: 3.0,
            count: 3,
        };
        assert_eq!(decode(&encode(&s)), Some(s));
        assert_eq!(decode("garbage"), None);
    }
}
