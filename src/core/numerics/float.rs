//! The element trait of the core's generic kernels.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Sub};

/// The float element types the kernels accept: `f32` and `f64`.
///
/// Kernels compute element-wise arithmetic in `Self`; statistics (sums of points, weights,
/// moments, inertia) are accumulated in `f64`, which is exact to widen to.
pub trait Float:
    Copy
    + Send
    + Sync
    + Default
    + PartialOrd
    + Debug
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + AddAssign
{
    /// A relative margin far above the rounding error of a short sum computed in `Self`
    /// (`1e-10` for `f64`, `1e-5` for `f32`): how much a computed bound must win by before
    /// a kernel relies on it (k-means' Hamerly bounds).
    const ROUNDING_SLACK: f64;
    /// Narrow from `f64` (round to nearest for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Widen to `f64` (exact).
    fn to_f64(self) -> f64;
    /// Additive identity.
    fn zero() -> Self;
    /// `true` for NaN.
    fn is_nan(self) -> bool;
    /// `true` when neither NaN nor infinite.
    fn is_finite(self) -> bool;
}

macro_rules! impl_float {
    ($t:ty, $slack:expr) => {
        impl Float for $t {
            const ROUNDING_SLACK: f64 = $slack;
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn zero() -> Self {
                0.0
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}

impl_float!(f64, 1e-10);
impl_float!(f32, 1e-5);

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip<F: Float>(v: f64) -> f64 {
        F::from_f64(v).to_f64()
    }

    #[test]
    fn conversions_and_predicates() {
        assert_eq!(roundtrip::<f64>(0.1), 0.1);
        assert_eq!(roundtrip::<f32>(0.1), f64::from(0.1f32));
        assert!(Float::is_nan(f32::NAN) && !Float::is_finite(f64::INFINITY));
        assert!(Float::is_finite(1.0f32) && <f64 as Float>::zero() == 0.0);
    }
}
