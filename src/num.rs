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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_two_are_exact() {
        assert_eq!(pow2(0), 1.0);
        assert_eq!(pow2(10), 1024.0);
        assert_eq!(pow2(30), 1_073_741_824.0);
    }
}
