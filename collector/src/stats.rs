//! The statistics behind the reports: the complementary error function, the two-sided
//! normal p-value, the pooled two-proportion z-test that compares a variant's conversion
//! rate with its control's, and the Net Promoter Score with its 95% confidence interval.
//!
//! `erfc` is computed, not approximated by a fitted polynomial: below 3 by the
//! all-positive series erf(x) = 2/√π · e^(−x²) · Σ 2ⁿx^(2n+1)/(1·3···(2n+1)), which has no
//! cancellation between terms, and from 3 up by Laplace's continued fraction for erfc,
//! which converges fast exactly where the series would need many terms (the pair Numerical
//! Recipes uses for the incomplete gamma function, of which erfc(x) = Q(½, x²) is a case).
//! Both reach about 1e-15 absolute error, far inside the 1e-7 a p-value shown to three
//! decimals needs, and neither needs a table of magic constants to get right.

/// Below this the series converges in a few dozen terms; above it the continued fraction
/// at a fixed depth is accurate to the last bit (checked against libm's erfc in the tests).
const SERIES_LIMIT: f64 = 3.0;
const MAX_SERIES_TERMS: u32 = 500;
const FRACTION_DEPTH: u32 = 100;

/// The complementary error function, erfc(x) = 1 − erf(x).
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    if x < SERIES_LIMIT {
        let x2 = x * x;
        let mut term = x;
        let mut sum = x;
        for n in 1..MAX_SERIES_TERMS {
            term *= 2.0 * x2 / f64::from(2 * n + 1);
            sum += term;
            if term < sum * 1e-17 {
                break;
            }
        }
        1.0 - two_over_sqrt_pi * (-x2).exp() * sum
    } else {
        // erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))), evaluated from
        // the bottom up, which needs no convergence test.
        let mut f = x;
        for k in (1..=FRACTION_DEPTH).rev() {
            f = x + f64::from(k) / 2.0 / f;
        }
        (-x * x).exp() * two_over_sqrt_pi / 2.0 / f
    }
}

/// The two-sided p-value of a standard normal statistic: P(|Z| ≥ |z|).
pub fn two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// The z statistic of a two-proportion test of `b` against `a` (conversions, trials),
/// with the pooled standard error. `None` when it is undefined: no trials on a side, or
/// no variance at all (nobody or everybody converted on both sides).
pub fn two_proportion_z(a: (u64, u64), b: (u64, u64)) -> Option<f64> {
    let (ca, na) = (a.0 as f64, a.1 as f64);
    let (cb, nb) = (b.0 as f64, b.1 as f64);
    if na == 0.0 || nb == 0.0 {
        return None;
    }
    let pooled = (ca + cb) / (na + nb);
    let se = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    if se.is_nan() || se <= 0.0 {
        return None;
    }
    Some((cb / nb - ca / na) / se)
}

/// The two-sided p-value of [`two_proportion_z`].
pub fn two_proportion_p(a: (u64, u64), b: (u64, u64)) -> Option<f64> {
    two_proportion_z(a, b).map(two_sided_p)
}

/// The standard normal quantile for a two-sided 95% interval, Φ⁻¹(0.975).
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Net Promoter Score of `n` answers, `promoters` and `detractors` of them:
/// 100 × (promoters − detractors) / n, from −100 to 100. `None` without answers.
pub fn nps(promoters: u64, detractors: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| 100.0 * (promoters as f64 - detractors as f64) / n as f64)
}

/// The 95% confidence interval of [`nps`] by the normal approximation: each answer scores
/// +1, 0 or −1, whose variance is pP + pD − (pP − pD)², so SE = 100 × √(that / n); the
/// bounds are clamped to the score's own range, [−100, 100]. `None` below two answers,
/// where one answer says nothing about its spread.
pub fn nps_ci95(promoters: u64, detractors: u64, n: u64) -> Option<(f64, f64)> {
    if n < 2 {
        return None;
    }
    let (p, d, n) = (
        promoters as f64 / n as f64,
        detractors as f64 / n as f64,
        n as f64,
    );
    let variance = (p + d - (p - d) * (p - d)).max(0.0);
    let se = 100.0 * (variance / n).sqrt();
    let score = 100.0 * (p - d);
    let clamp = |x: f64| x.clamp(-100.0, 100.0);
    Some((clamp(score - Z95 * se), clamp(score + Z95 * se)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    #[test]
    fn erfc_matches_reference_values() {
        // Reference values from libm's erfc (glibc), to 15 significant digits.
        close(erfc(0.0), 1.0, 1e-15);
        close(erfc(0.5), 0.479_500_122_186_953_5, 1e-14);
        close(erfc(1.0), 0.157_299_207_050_285_1, 1e-14);
        close(erfc(2.0), 0.004_677_734_981_047_266, 1e-14);
        close(erfc(2.9), 4.109_787_809_945_886e-5, 1e-13);
        close(erfc(3.0), 2.209_049_699_858_544e-5, 1e-14);
        close(erfc(5.0), 1.537_459_794_428_035e-12, 1e-20);
        close(erfc(-1.0), 2.0 - 0.157_299_207_050_285_1, 1e-14);
        assert!(erfc(f64::NAN).is_nan());
        assert_eq!(erfc(f64::INFINITY), 0.0);
    }

    #[test]
    fn erfc_is_continuous_where_the_method_changes() {
        let below = erfc(SERIES_LIMIT - 1e-12);
        let above = erfc(SERIES_LIMIT);
        close(below, above, 1e-15);
    }

    #[test]
    fn z_of_1_96_is_the_five_percent_threshold() {
        close(two_sided_p(1.96), 0.049_995_790_296_440_87, 1e-12);
        close(two_sided_p(-1.96), 0.049_995_790_296_440_87, 1e-12);
        close(two_sided_p(2.5758), 0.010_000_0, 1e-6);
    }

    #[test]
    fn z_of_zero_has_p_one() {
        close(two_sided_p(0.0), 1.0, 1e-15);
    }

    #[test]
    fn textbook_two_proportion_example() {
        // Control converts 100 of 1000, the variant 130 of 1000. Pooled p = 230/2000
        // = 0.115; SE = √(0.115 · 0.885 · (1/1000 + 1/1000)) = 0.014267; z = 0.03 / SE
        // = 2.1027; two-sided p = 0.0355 (normal tables: 2 · (1 − Φ(2.10)) ≈ 0.036).
        let z = two_proportion_z((100, 1000), (130, 1000)).unwrap();
        close(z, 2.102_740_605_622_114, 1e-12);
        let p = two_proportion_p((100, 1000), (130, 1000)).unwrap();
        close(p, 0.035_488_450_466_474_73, 1e-12);
        // The test is symmetric: swapping the arms flips z, not p.
        let back = two_proportion_p((130, 1000), (100, 1000)).unwrap();
        close(back, p, 1e-15);
    }

    #[test]
    fn no_variance_or_no_trials_has_no_p_value() {
        assert_eq!(two_proportion_p((0, 10), (0, 12)), None);
        assert_eq!(two_proportion_p((10, 10), (12, 12)), None);
        assert_eq!(two_proportion_p((0, 0), (1, 12)), None);
        // One side all, one side none is still a test (pooled variance is positive).
        assert!(two_proportion_p((0, 10), (10, 10)).is_some());
    }

    #[test]
    fn nps_is_promoters_minus_detractors_in_percent() {
        assert_eq!(nps(50, 20, 100), Some(30.0));
        assert_eq!(nps(0, 3, 3), Some(-100.0));
        assert_eq!(nps(0, 0, 0), None);
    }

    #[test]
    fn nps_interval_by_the_normal_approximation() {
        // 50 promoters, 30 passives, 20 detractors: variance = 0.5 + 0.2 − 0.3² = 0.61;
        // SE = 100 · √(0.61 / 100) = 7.810249675906654; NPS 30 ± 1.959964 · SE
        // = 30 ± 15.307808.
        let (low, high) = nps_ci95(50, 20, 100).unwrap();
        close(low, 14.692_191_924_957_33, 1e-9);
        close(high, 45.307_808_075_042_67, 1e-9);
        close((low + high) / 2.0, 30.0, 1e-12);
    }

    #[test]
    fn nps_interval_is_clamped_to_the_score_range() {
        // 9 promoters of 10: variance 0.9 − 0.81 = 0.09, SE = 100 · √0.009 = 9.486833;
        // 90 + 18.59 passes 100.
        let (low, high) = nps_ci95(9, 0, 10).unwrap();
        close(low, 90.0 - Z95 * 100.0 * 0.009_f64.sqrt(), 1e-9);
        assert_eq!(high, 100.0);
        let (low, high) = nps_ci95(0, 9, 10).unwrap();
        assert_eq!(low, -100.0);
        close(high, -90.0 + Z95 * 100.0 * 0.009_f64.sqrt(), 1e-9);
    }

    #[test]
    fn nps_interval_without_spread_is_a_point() {
        assert_eq!(nps_ci95(2, 0, 2), Some((100.0, 100.0)));
        assert_eq!(nps_ci95(0, 0, 5), Some((0.0, 0.0)));
    }

    #[test]
    fn nps_interval_needs_two_answers() {
        assert_eq!(nps_ci95(1, 0, 1), None);
        assert_eq!(nps_ci95(0, 0, 0), None);
    }
}
