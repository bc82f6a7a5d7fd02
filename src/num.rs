//! The float functions std adds to `f64`, which a `no_std` wasm lacks: there they are the
//! browser's `Math` (an import each, instead of a few hundred bytes of libm apiece).

#[cfg(target_arch = "wasm32")]
use js_sys::Math;

/// e to the power `x`.
pub fn exp(x: f64) -> f64 {
    #[cfg(target_arch = "wasm32")]
    return Math::exp(x);
    #[cfg(not(target_arch = "wasm32"))]
    return x.exp();
}

/// The largest whole number ≤ `x`.
pub fn floor(x: f64) -> f64 {
    #[cfg(target_arch = "wasm32")]
    return Math::floor(x);
    #[cfg(not(target_arch = "wasm32"))]
    return x.floor();
}

/// `x` rounded to the nearest whole number, halves away from zero (std's `f64::round`, not
/// `Math.round`, which rounds -0.5 up to -0).
pub fn round(x: f64) -> f64 {
    #[cfg(target_arch = "wasm32")]
    return if x < 0.0 {
        -Math::round(-x)
    } else {
        Math::round(x)
    };
    #[cfg(not(target_arch = "wasm32"))]
    return x.round();
}

/// 2 to the power `n`, exactly, for 0 ≤ n ≤ 1023.
pub fn pow2(n: u32) -> f64 {
    f64::from_bits((1023 + u64::from(n.min(1023))) << 52)
}

/// A whole number written in decimal digits alone (what the module writes in storage, and
/// HTTP's delta-seconds), or None: no sign, no space, none past `u64::MAX`. One small
/// function for every integer the module reads, where `str::parse` would compile once per
/// integer type.
pub fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |n, b| {
        let digit = u64::from(b.wrapping_sub(b'0'));
        if digit > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(digit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_decimal_digits_alone() {
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(parse_u64("0042"), Some(42));
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1.5",
            "1e3",
            "18446744073709551616",
            "٣",
        ] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn powers_of_two_are_exact() {
        assert_eq!(pow2(0), 1.0);
        assert_eq!(pow2(10), 1024.0);
        assert_eq!(pow2(30), 1_073_741_824.0);
    }
}
