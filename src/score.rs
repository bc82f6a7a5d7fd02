//! The engagement score: weighted events that decay with a half-life, shown as 0-100.
//!
//! Points are kept raw (so adding stays exact) together with the time they were last
//! brought up to date; decay is applied lazily when an event arrives or the score is read.
//! The 0-100 view saturates smoothly (`100·(1 − e^(−points/scale))`), so a few strong events
//! matter and a flood of weak ones cannot pin the score at 100 for ever.

use crate::config::ScoreConfig;
use crate::num::{exp, round};

const DAY_MS: f64 = 86_400_000.0;

/// Raw points as of a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Points {
    /// Points at `as_of_ms`.
    pub value: f64,
    /// When `value` was last decayed to, Unix ms.
    pub as_of_ms: f64,
}

impl Points {
    /// These points decayed to `now_ms` (never grown: a clock going backwards changes nothing).
    pub fn decayed(self, now_ms: f64, cfg: &ScoreConfig) -> Points {
        let elapsed = (now_ms - self.as_of_ms).max(0.0);
        // 0.5^(t/h) written with `exp` alone, which `score` needs anyway: one libm routine
        // in the wasm instead of three.
        let factor = exp(-core::f64::consts::LN_2 * elapsed / (cfg.half_life_days * DAY_MS));
        let value = if self.value.is_finite() {
            self.value * factor
        } else {
            0.0
        };
        Points {
            value,
            as_of_ms: now_ms.max(self.as_of_ms),
        }
    }

    /// These points after an event called `name` at `now_ms`.
    pub fn record(self, name: &str, now_ms: f64, cfg: &ScoreConfig) -> Points {
        let weight = cfg
            .weights
            .get(name)
            .and_then(|w| w.as_f64())
            .unwrap_or(0.0);
        let mut p = self.decayed(now_ms, cfg);
        p.value = (p.value + weight).max(0.0);
        p
    }

    /// The 0-100 score at `now_ms`.
    pub fn score(self, now_ms: f64, cfg: &ScoreConfig) -> f64 {
        let v = self.decayed(now_ms, cfg).value;
        let s = 100.0 * (1.0 - exp(-v / cfg.scale));
        round(s * 10.0) / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{Map, Value};

    fn cfg() -> ScoreConfig {
        let mut weights = Map::new();
        weights.insert("Signed Up".into(), Value::Number(10.0));
        weights.insert("Page Viewed".into(), Value::Number(1.0));
        weights.insert("Complained".into(), Value::Number(-5.0));
        ScoreConfig {
            weights,
            half_life_days: 7.0,
            scale: 50.0,
        }
    }

    #[test]
    fn weighted_events_add_points() {
        let c = cfg();
        let p = Points::default()
            .record("Signed Up", 0.0, &c)
            .record("Page Viewed", 0.0, &c);
        assert_eq!(p.value, 11.0);
    }

    #[test]
    fn unlisted_events_weigh_nothing() {
        let p = Points::default().record("Whatever", 0.0, &cfg());
        assert_eq!(p.value, 0.0);
    }

    #[test]
    fn points_halve_after_one_half_life() {
        let c = cfg();
        let p = Points::default().record("Signed Up", 0.0, &c);
        let later = p.decayed(7.0 * DAY_MS, &c);
        assert!((later.value - 5.0).abs() < 1e-9);
        let two = p.decayed(14.0 * DAY_MS, &c);
        assert!((two.value - 2.5).abs() < 1e-9);
    }

    #[test]
    fn score_is_zero_for_nothing_and_bounded_by_100() {
        let c = cfg();
        assert_eq!(Points::default().score(0.0, &c), 0.0);
        let mut p = Points::default();
        for _ in 0..1000 {
            p = p.record("Signed Up", 0.0, &c);
        }
        assert_eq!(p.score(0.0, &c), 100.0);
    }

    #[test]
    fn score_follows_the_documented_curve() {
        let c = cfg();
        let p = Points {
            value: 50.0,
            as_of_ms: 0.0,
        };
        assert_eq!(p.score(0.0, &c), 63.2);
    }

    #[test]
    fn negative_weights_never_push_below_zero() {
        let c = cfg();
        let p = Points::default().record("Complained", 0.0, &c);
        assert_eq!(p.value, 0.0);
    }

    #[test]
    fn a_clock_going_backwards_does_not_inflate_points() {
        let c = cfg();
        let p = Points::default().record("Signed Up", 1_000_000.0, &c);
        let back = p.decayed(0.0, &c);
        assert_eq!(back.value, 10.0);
        assert_eq!(back.as_of_ms, 1_000_000.0);
    }
}
