//! Mergeable first and second moments of a pair of variables.

/// Count, sums and centred second moments of `y` and an auxiliary `x` over a set of rows:
/// everything a mean, a variance, a covariance or a regression slope needs, in a form that
/// merges exactly (in exact arithmetic) across row blocks, chunks or machines.
///
/// Centred moments instead of raw sums of squares keep the variance exact to rounding even
/// when the mean is large (the raw sum of squares is `m2_y + sum_y^2 / count`). Merging is
/// Chan, Golub & LeVeque's pairwise update; merging the same parts in the same order gives
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
        let n = na + nb;
        let dy = other.sum_y / nb - self.sum_y / na;
        let dx = other.sum_x / nb - self.sum_x / na;
        let f = na * nb / n;
        self.m2_y += other.m2_y + dy * dy * f;
        self.m2_x += other.m2_x + dx * dx * f;
        self.c_xy += other.c_xy + dx * dy * f;
        self.count = n;
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
}
