//! Neumaier's compensated summation.

/// A running sum with Neumaier's compensation (Kahan-Babuska): the lost low-order bits of
/// every addition are collected in a second term, so the error stays a few ulps of the
/// result whatever the number of terms (also when a term is larger than the running sum,
/// where Kahan's variant loses it).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    /// The empty sum.
    pub const ZERO: CompensatedSum = CompensatedSum {
        sum: 0.0,
        compensation: 0.0,
    };

    /// Add one term.
    #[inline(always)]
    pub fn add(&mut self, value: f64) {
        let t = self.sum + value;
        // Branch-free select of the smaller operand's lost bits (keeps loops vectorizable).
        let big_sum = self.sum.abs() >= value.abs();
        let lost = if big_sum {
            (self.sum - t) + value
        } else {
            (value - t) + self.sum
        };
        self.compensation += lost;
        self.sum = t;
    }

    /// Add another compensated sum (both its parts).
    #[inline(always)]
    pub fn merge(&mut self, other: &CompensatedSum) {
        self.add(other.sum);
        self.add(other.compensation);
    }

    /// The compensated value.
    #[inline(always)]
    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

impl FromIterator<f64> for CompensatedSum {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut s = CompensatedSum::ZERO;
        for v in iter {
            s.add(v);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_what_naive_summation_loses() {
        // 1 + 1e100 + 1 - 1e100 = 2: Kahan gives 0, Neumaier 2.
        let s: CompensatedSum = [1.0, 1e100, 1.0, -1e100].into_iter().collect();
        assert_eq!(s.value(), 2.0);
        // Ten million copies of 0.1: the naive sum drifts by ~1e-4.
        let mut c = CompensatedSum::ZERO;
        let mut naive = 0.0f64;
        for _ in 0..10_000_000 {
            c.add(0.1);
            naive += 0.1;
        }
        assert!((c.value() - 1e6).abs() < 1e-9);
        assert!((naive - 1e6).abs() > 1e-6);
    }

    #[test]
    fn merge_equals_sequential_within_an_ulp() {
        let values: Vec<f64> = (0..10_000)
            .map(|i| ((i * 7919) % 1013) as f64 * 1e-3 + 1e8)
            .collect();
        let whole: CompensatedSum = values.iter().copied().collect();
        let mut left: CompensatedSum = values[..3333].iter().copied().collect();
        let right: CompensatedSum = values[3333..].iter().copied().collect();
        left.merge(&right);
        let exact: f64 = values.iter().map(|v| v - 1e8).sum::<f64>() + 1e12;
        assert!((whole.value() - exact).abs() <= 1e-3);
        assert!((left.value() - whole.value()).abs() <= f64::EPSILON * whole.value());
    }
}
