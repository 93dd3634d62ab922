//! Mergeable first and second moments: of one variable ([`Moments`]) and of a pair of
//! variables ([`CoMoments`]), both merged by [`pooled_moment`], the one place Chan, Golub &
//! LeVeque's pairwise update is written.

/// Chan, Golub & LeVeque's pairwise update: the centred second moment (`du == dv`) or
/// cross moment of two disjoint parts together, from each part's moment (`a`, `b`), their
/// counts (`na`, `nb`, both > 0) and the differences `du`, `dv` between their means (the
/// second part's minus the first's). Exact in exact arithmetic; the same inputs give the
/// same bits, so merging fixed parts in a fixed order is deterministic.
#[inline]
fn pooled_moment(a: f64, b: f64, na: f64, nb: f64, du: f64, dv: f64) -> f64 {
    a + (b + du * dv * (na * nb / (na + nb)))
}

/// Count, mean and centred second moment of one variable over a set of rows (or a
/// column's non-NaN values), merged with [`pooled_moment`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Number (or total weight) of values.
    pub count: f64,
    /// Their mean (NaN when `count == 0`).
    pub mean: f64,
    /// Sum of squared deviations from the mean (0 when `count == 0`).
    pub m2: f64,
}

impl Moments {
    /// Moments of no values.
    pub const EMPTY: Moments = Moments {
        count: 0.0,
        mean: f64::NAN,
        m2: 0.0,
    };

    /// Add the moments of another, disjoint set of values (Chan et al.'s pairwise update);
    /// an empty part adds nothing, whatever its mean.
    #[inline]
    pub fn merge(&mut self, other: &Moments) {
        let (na, nb) = (self.count, other.count);
        if nb == 0.0 {
            return;
        }
        if na == 0.0 {
            *self = *other;
            return;
        }
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.m2 = pooled_moment(self.m2, other.m2, na, nb, delta, delta);
        self.mean += delta * (nb / n);
        self.count = n;
    }

    /// The two parts together ([`Self::merge`]).
    #[inline]
    pub fn merged(mut self, other: &Moments) -> Moments {
        self.merge(other);
        self
    }

    /// Sample variance (ddof = 1); NaN for fewer than two values.
    pub fn sample_variance(&self) -> f64 {
        if self.count < 2.0 {
            f64::NAN
        } else {
            self.m2 / (self.count - 1.0)
        }
    }
}

/// Count, sums and centred second moments of `y` and an auxiliary `x` over a set of rows:
/// everything a mean, a variance, a covariance or a regression slope needs, in a form that
/// merges exactly (in exact arithmetic) across row blocks, chunks or machines.
///
/// Centred moments instead of raw sums of squares keep the variance exact to rounding even
/// when the mean is large (the raw sum of squares is `m2_y + sum_y^2 / count`). Merging is
/// Chan, Golub & LeVeque's pairwise update ([`pooled_moment`]); merging the same parts in the same order gives
/// the same bits, so callers merge fixed blocks in block order. A variable that is not
/// used (no auxiliary column) simply keeps its zeros.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CoMoments {
    /// Number (or total weight) of rows.
    pub count: f64,
    /// `sum y`.
    pub sum_y: f64,
    /// `sum (y - mean_y)^2`.
    pub m2_y: f64,
    /// `sum x`.
    pub sum_x: f64,
    /// `sum (x - mean_x)^2`.
    pub m2_x: f64,
    /// `sum (x - mean_x)(y - mean_y)`.
    pub c_xy: f64,
}

impl CoMoments {
    /// Moments of no rows.
    pub const EMPTY: CoMoments = CoMoments {
        count: 0.0,
        sum_y: 0.0,
        m2_y: 0.0,
        sum_x: 0.0,
        m2_x: 0.0,
        c_xy: 0.0,
    };

    /// Mean of `y` (NaN for no rows).
    #[inline]
    pub fn mean_y(&self) -> f64 {
        self.sum_y / self.count
    }

    /// Mean of `x` (NaN for no rows).
    #[inline]
    pub fn mean_x(&self) -> f64 {
        self.sum_x / self.count
    }

    /// Add the moments of another, disjoint set of rows (Chan et al.'s pairwise update).
    #[inline]
    pub fn merge(&mut self, other: &CoMoments) {
        let (na, nb) = (self.count, other.count);
        if nb == 0.0 {
            return;
        }
        if na == 0.0 {
            *self = *other;
            return;
        }
        let dy = other.mean_y() - self.mean_y();
        let dx = other.mean_x() - self.mean_x();
        self.m2_y = pooled_moment(self.m2_y, other.m2_y, na, nb, dy, dy);
        self.m2_x = pooled_moment(self.m2_x, other.m2_x, na, nb, dx, dx);
        self.c_xy = pooled_moment(self.c_xy, other.c_xy, na, nb, dx, dy);
        self.count = na + nb;
        self.sum_y += other.sum_y;
        self.sum_x += other.sum_x;
    }

    /// Moments of `(y, x)` pairs computed directly, in two passes (means, then centred
    /// sums): the reference a block reduction is merged into.
    pub fn two_pass(y: &[f64], x: &[f64]) -> CoMoments {
        let count = y.len() as f64;
        if y.is_empty() {
            return CoMoments::EMPTY;
        }
        let sum_y: f64 = y.iter().sum();
        let sum_x: f64 = x.iter().sum();
        let (my, mx) = (sum_y / count, sum_x / count);
        let mut out = CoMoments {
            count,
            sum_y,
            sum_x,
            ..CoMoments::EMPTY
        };
        for (&yv, &xv) in y.iter().zip(x) {
            let (dy, dx) = (yv - my, xv - mx);
            out.m2_y += dy * dy;
            out.m2_x += dx * dx;
            out.c_xy += dx * dy;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> (Vec<f64>, Vec<f64>) {
        let y = (0..n)
            .map(|i| 1e6 + ((i * 7919) % 1000) as f64 / 10.0)
            .collect();
        let x = (0..n).map(|i| ((i * 31) % 17) as f64 - 3.0).collect();
        (y, x)
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn merged_blocks_match_two_pass_for_any_partition() {
        let (y, x) = data(10_007);
        let direct = CoMoments::two_pass(&y, &x);
        for cuts in [
            vec![0, 10_007],
            vec![0, 1, 5000, 10_007],
            vec![0, 333, 334, 9000, 10_007],
        ] {
            let mut merged = CoMoments::EMPTY;
            for w in cuts.windows(2) {
                merged.merge(&CoMoments::two_pass(&y[w[0]..w[1]], &x[w[0]..w[1]]));
            }
            assert_eq!(merged.count, direct.count);
            for (a, b) in [
                (merged.sum_y, direct.sum_y),
                (merged.m2_y, direct.m2_y),
                (merged.sum_x, direct.sum_x),
                (merged.m2_x, direct.m2_x),
                (merged.c_xy, direct.c_xy),
            ] {
                assert!(close(a, b, 1e-10), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn merging_empty_is_the_identity() {
        let (y, x) = data(10);
        let m = CoMoments::two_pass(&y, &x);
        let mut a = CoMoments::EMPTY;
        a.merge(&m);
        assert_eq!(a, m);
        let mut b = m;
        b.merge(&CoMoments::EMPTY);
        assert_eq!(b, m);
        assert!((m.mean_y() - y.iter().sum::<f64>() / 10.0).abs() < 1e-9);
    }

    /// The one-variable moments of `values`, two-pass.
    fn one(values: &[f64]) -> Moments {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let m2 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        Moments { count: n, mean, m2 }
    }

    #[test]
    fn one_variable_merge_matches_two_pass_and_the_pair_form() {
        let (y, x) = data(10_007);
        let direct = one(&y);
        let mut merged = Moments::EMPTY;
        let mut pair = CoMoments::EMPTY;
        for w in [0, 1, 5000, 9999, 10_007].windows(2) {
            merged.merge(&one(&y[w[0]..w[1]]));
            pair.merge(&CoMoments::two_pass(&y[w[0]..w[1]], &x[w[0]..w[1]]));
        }
        assert_eq!(merged.count, direct.count);
        assert!(close(merged.mean, direct.mean, 1e-14));
        assert!(close(merged.m2, direct.m2, 1e-10));
        assert!(close(merged.m2, pair.m2_y, 1e-10));
        assert!(close(merged.sample_variance(), direct.m2 / 10_006.0, 1e-10));
    }

    #[test]
    fn one_variable_empty_is_the_identity_and_small_counts_have_no_variance() {
        let m = one(&[1.0, 2.0, 4.0]);
        assert_eq!(Moments::EMPTY.merged(&m), m);
        assert_eq!(m.merged(&Moments::EMPTY), m);
        assert!(one(&[3.0]).sample_variance().is_nan());
        assert!(Moments::EMPTY.sample_variance().is_nan());
    }
}
