//! Score tests and score intervals for two independent proportions: the difference
//! `p1 - p2` (Farrington & Manning 1990; Miettinen & Nurminen 1985 with the `N / (N - 1)`
//! variance factor; Mee 1984 without it) and the ratio `p1 / p2` (Koopman 1984).
//!
//! A score statistic uses the variance at the constrained maximum-likelihood estimate
//! under the null; at the null of equality (difference 0, ratio 1) without the factor it
//! is the pooled two-proportion z. The intervals are the nulls the two-sided score test
//! does not reject at the critical value `z`: they exclude equality exactly when the
//! pooled z-test rejects. Bounds are found by bisection with a fixed number of halvings
//! (the statistic decreases in the null), so the result does not depend on a tolerance.

/// Halvings of the bracket `[-1, 1]` of a difference (2^-80 is far below f64's resolution).
const DIFF_STEPS: usize = 80;
/// Halvings of the bracket `[-60, 60]` of a log ratio.
const RATIO_STEPS: usize = 100;
/// `e^60`: beyond any ratio two finite samples can show.
const LOG_RATIO_SPAN: f64 = 60.0;

/// Constrained MLE of `(p1, p2)` under `p1 - p2 = d`: the closed-form root of the
/// likelihood cubic (Miettinen & Nurminen 1985, with `n2` in the linear coefficient where
/// statsmodels <= 0.15 has `x2`, its issue #10269).
pub fn diff_null(x1: f64, n1: f64, x2: f64, n2: f64, d: f64) -> (f64, f64) {
    let (p1, p2) = (x1 / n1, x2 / n2);
    let theta = n2 / n1;
    let a = 1.0 + theta;
    let b = -(1.0 + theta + p1 + theta * p2 + d * (theta + 2.0));
    let c = d * d + d * (2.0 * p1 + theta + 1.0) + p1 + theta * p2;
    let e = -p1 * d * (1.0 + d);
    let v = b.powi(3) / (27.0 * a.powi(3)) - b * c / (6.0 * a * a) + e / (2.0 * a);
    let s = b * b / (9.0 * a * a) - c / (3.0 * a);
    let u = if v >= 0.0 { 1.0 } else { -1.0 } * s.max(0.0).sqrt();
    let ratio = if u == 0.0 { 1.0 } else { v / u.powi(3) };
    let w = (std::f64::consts::PI + ratio.clamp(-1.0, 1.0).acos()) / 3.0;
    // max/min rather than clamp: a null outside [-1, 1] (or NaN input) must not panic.
    let q1 = (2.0 * u * w.cos() - b / (3.0 * a))
        .max(d.max(0.0))
        .min((1.0 + d).min(1.0));
    (q1, q1 - d)
}

/// Score statistic of `H0: p1 - p2 = d` (`correction`: Miettinen–Nurminen's `N / (N - 1)`).
pub fn score_stat_diff(x1: f64, n1: f64, x2: f64, n2: f64, d: f64, correction: bool) -> f64 {
    let (q1, q2) = diff_null(x1, n1, x2, n2, d);
    let mut var = q1 * (1.0 - q1) / n1 + q2 * (1.0 - q2) / n2;
    if correction {
        var *= (n1 + n2) / (n1 + n2 - 1.0);
    }
    ratio_or_inf(x1 / n1 - x2 / n2 - d, var)
}

/// Constrained MLE of `(p1, p2)` under `p1 = phi p2`: the smaller root of
/// `phi N p2^2 - (phi (n1 + x2) + x1 + n2) p2 + x1 + x2 = 0`.
pub fn ratio_null(x1: f64, n1: f64, x2: f64, n2: f64, phi: f64) -> (f64, f64) {
    let a = phi * (n1 + n2);
    let b = -(phi * (n1 + x2) + x1 + n2);
    let c = x1 + x2;
    let disc = (b * b - 4.0 * a * c).max(0.0).sqrt();
    // The smaller root as 2c / (-b + disc): no cancellation.
    let q2 = if -b + disc > 0.0 {
        2.0 * c / (-b + disc)
    } else {
        0.0
    };
    let q2 = q2.max(0.0).min((1.0 / phi).min(1.0));
    (phi * q2, q2)
}

/// Score statistic of `H0: p1 / p2 = phi` (Koopman); at `phi = 1` the pooled z.
pub fn score_stat_ratio(x1: f64, n1: f64, x2: f64, n2: f64, phi: f64) -> f64 {
    let (q1, q2) = ratio_null(x1, n1, x2, n2, phi);
    let var = q1 * (1.0 - q1) / n1 + phi * phi * q2 * (1.0 - q2) / n2;
    ratio_or_inf(x1 / n1 - phi * x2 / n2, var)
}

fn ratio_or_inf(num: f64, var: f64) -> f64 {
    if var > 0.0 {
        num / var.sqrt()
    } else if num == 0.0 {
        0.0
    } else {
        num.signum() * f64::INFINITY
    }
}

/// The `x` in `[lo, hi]` where the decreasing `stat` crosses `target`.
fn bisect(mut lo: f64, mut hi: f64, target: f64, steps: usize, stat: impl Fn(f64) -> f64) -> f64 {
    for _ in 0..steps {
        let mid = 0.5 * (lo + hi);
        if stat(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Score interval of `p1 - p2` at critical value `z`: Miettinen–Nurminen with
/// `correction`, Mee without. Clipped to `[-1, 1]`.
pub fn score_interval_diff(
    x1: f64,
    n1: f64,
    x2: f64,
    n2: f64,
    z: f64,
    correction: bool,
) -> (f64, f64) {
    let d = x1 / n1 - x2 / n2;
    let stat = |t: f64| score_stat_diff(x1, n1, x2, n2, t, correction);
    let low = bisect(-1.0, d, z, DIFF_STEPS, stat);
    let high = bisect(d, 1.0, -z, DIFF_STEPS, stat);
    (low.clamp(-1.0, 1.0), high.clamp(-1.0, 1.0))
}

/// Koopman's score interval of `p1 / p2` at critical value `z`: 0 as the lower bound
/// when `x1 = 0`, infinity as the upper bound when `x2 = 0`.
pub fn score_interval_ratio(x1: f64, n1: f64, x2: f64, n2: f64, z: f64) -> (f64, f64) {
    // The estimate (score 0) splits the bracket; a zero count puts it at an end.
    let centre = ((x1 / n1) / (x2 / n2)).ln();
    let centre = if centre.is_nan() {
        0.0
    } else {
        centre.clamp(-LOG_RATIO_SPAN, LOG_RATIO_SPAN)
    };
    let stat = |t: f64| score_stat_ratio(x1, n1, x2, n2, t.exp());
    let low = if x1 == 0.0 {
        0.0
    } else {
        bisect(-LOG_RATIO_SPAN, centre, z, RATIO_STEPS, stat).exp()
    };
    let high = if x2 == 0.0 {
        f64::INFINITY
    } else {
        bisect(centre, LOG_RATIO_SPAN, -z, RATIO_STEPS, stat).exp()
    };
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pooled_z(x1: f64, n1: f64, x2: f64, n2: f64) -> f64 {
        let p = (x1 + x2) / (n1 + n2);
        (x1 / n1 - x2 / n2) / (p * (1.0 - p) * (1.0 / n1 + 1.0 / n2)).sqrt()
    }

    #[test]
    fn at_equality_both_scores_are_the_pooled_z() {
        for &(x1, n1, x2, n2) in &[(120.0, 1000.0, 90.0, 1000.0), (3.0, 7.0, 5.0, 11.0)] {
            let z = pooled_z(x1, n1, x2, n2);
            assert!((score_stat_diff(x1, n1, x2, n2, 0.0, false) - z).abs() < 1e-12);
            assert!((score_stat_ratio(x1, n1, x2, n2, 1.0) - z).abs() < 1e-12);
        }
    }

    #[test]
    fn koopman_interval_matches_statsmodels() {
        // statsmodels confint_proportions_2indep(36, 40, 16, 80, compare="ratio",
        // method="score", correction=False).
        let (lo, hi) = score_interval_ratio(36.0, 40.0, 16.0, 80.0, 1.959963984540054);
        assert!((lo - 2.9395691922149965).abs() < 1e-9, "{lo}");
        assert!((hi - 7.15222343486603).abs() < 1e-9, "{hi}");
    }

    #[test]
    fn mee_interval_is_the_published_one() {
        // Fagerland, Lydersen & Laake (2015): 7/34 vs 1/34, Mee 95% (0.028, 0.34).
        let (lo, hi) = score_interval_diff(7.0, 34.0, 1.0, 34.0, 1.959963984540054, false);
        assert!(
            (lo - 0.028).abs() < 5e-4 && (hi - 0.34).abs() < 5e-3,
            "{lo} {hi}"
        );
    }

    #[test]
    fn impossible_input_gives_nan_or_a_bound_not_a_panic() {
        let _ = score_stat_diff(5.0, 2.0, 0.0, 3.0, -2.5, false);
        let _ = score_interval_diff(f64::NAN, 2.0, 1.0, 3.0, 1.96, true);
        let _ = score_interval_ratio(3.0, 2.0, f64::NAN, 0.0, 1.96);
    }

    #[test]
    fn zero_counts_give_open_ends() {
        let (lo, hi) = score_interval_ratio(0.0, 20.0, 5.0, 25.0, 1.96);
        assert!(lo == 0.0 && hi.is_finite() && hi > 0.0);
        let (lo, hi) = score_interval_ratio(5.0, 25.0, 0.0, 20.0, 1.96);
        assert!(lo > 0.0 && hi == f64::INFINITY);
        let (lo, hi) = score_interval_ratio(0.0, 20.0, 0.0, 25.0, 1.96);
        assert!(lo == 0.0 && hi == f64::INFINITY);
    }
}
