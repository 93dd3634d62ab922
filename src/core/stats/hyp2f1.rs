//! The Gauss hypergeometric function `2F1(a, b; c; z)` for `|z| < 1`, in log space, with
//! its derivatives in every argument.
//!
//! The buy-till-you-die likelihoods (Pareto/NBD) and predictions (BG/NBD, MBG/NBD) need
//! `2F1` with large first arguments (`r + s + x` grows with a customer's purchases), where
//! the terms of the series grow far beyond `f64` before they shrink. The series is summed
//! with a running scale (the partial sums are rescaled by `2^-800` whenever they pass
//! `2^800`), so the result is `ln |2F1|` and its sign, never an overflow. The derivatives of
//! `ln 2F1` in `a`, `b`, `c` and `z` are summed alongside, term by term
//! (`d (a)_n / da = (a)_n * sum_{k<n} 1 / (a + k)`): they are exact for the series, not
//! finite differences, so likelihood gradients built on them are analytic.
//!
//! With `a, b, c > 0` and `0 <= z < 1` every term is positive and the sum loses no
//! precision; the fitting code only calls it there. Other real arguments (`c` not a
//! non-positive integer) work as well, with the usual cancellation of an alternating sum.

/// Terms summed at most before the series is declared not converged (`z` very close to 1).
const MAX_TERMS: usize = 2_000_000;
const EPS: f64 = 1e-17;
/// Partial sums are rescaled past this size (2^800) to stay inside `f64`.
const BIG: f64 = 6.668_014_432_879_854e240;
const LN_BIG: f64 = 554.517_744_447_956_2;

/// `ln |2F1(a, b; c; z)|`, its sign, and the derivatives of `ln |2F1|` in each argument.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyp2f1 {
    /// `ln |2F1(a, b; c; z)|`.
    pub ln_abs: f64,
    /// The sign of `2F1(a, b; c; z)` (1 or -1).
    pub sign: f64,
    /// `d ln|2F1| / da`.
    pub d_a: f64,
    /// `d ln|2F1| / db`.
    pub d_b: f64,
    /// `d ln|2F1| / dc`.
    pub d_c: f64,
    /// `d ln|2F1| / dz`.
    pub d_z: f64,
}

/// `2F1(a, b; c; z)` by its power series for `|z| < 1`, in log space, with derivatives.
///
/// Returns `None` when the arguments are outside the series' domain (`|z| >= 1`, a NaN,
/// `c` a non-positive integer) or when the series has not converged after two million
/// terms (`z` within ~1e-5 of 1 with large `b`): callers report that, never a wrong number.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<Hyp2f1> {
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z.is_finite()) || z.abs() >= 1.0 {
        return None;
    }
    if c <= 0.0 && c == c.floor() {
        return None;
    }
    // term t_n = (a)_n (b)_n / ((c)_n n!) z^n; da_n = sum_{k<n} 1/(a+k) (likewise b, c).
    let mut term = 1.0;
    let (mut da, mut db, mut dc) = (0.0, 0.0, 0.0);
    let (mut sum, mut sum_a, mut sum_b, mut sum_c, mut sum_n) = (1.0, 0.0, 0.0, 0.0, 0.0);
    let mut ln_scale = 0.0;
    let mut converged = false;
    for n in 0..MAX_TERMS {
        let nf = n as f64;
        let ratio = (a + nf) * (b + nf) / ((c + nf) * (nf + 1.0)) * z;
        da += 1.0 / (a + nf);
        db += 1.0 / (b + nf);
        dc += 1.0 / (c + nf);
        term *= ratio;
        if term == 0.0 {
            // a or b is a non-positive integer: the series is a polynomial.
            converged = true;
            break;
        }
        let n1 = nf + 1.0;
        sum += term;
        sum_a += term * da;
        sum_b += term * db;
        sum_c += term * dc;
        sum_n += term * n1;
        if term.abs() > BIG || sum.abs() > BIG {
            let s = 1.0 / BIG;
            term *= s;
            sum *= s;
            sum_a *= s;
            sum_b *= s;
            sum_c *= s;
            sum_n *= s;
            ln_scale += LN_BIG;
        }
        // Once the terms shrink geometrically, the tail is below term * r / (1 - r).
        let next = ((a + n1) * (b + n1) / ((c + n1) * (n1 + 1.0)) * z).abs();
        if next < 1.0 {
            let tail = term.abs() / (1.0 - next);
            let size = sum.abs();
            if tail <= EPS * size
                && tail * (1.0 + da.abs() + db.abs() + dc.abs() + n1) <= EPS * size.max(1e-300)
            {
                converged = true;
                break;
            }
        }
    }
    if !converged || sum == 0.0 || !sum.is_finite() {
        return None;
    }
    let d_z = if z == 0.0 {
        a * b / c
    } else {
        sum_n / (z * sum)
    };
    Some(Hyp2f1 {
        ln_abs: sum.abs().ln() + ln_scale,
        sign: sum.signum(),
        d_a: sum_a / sum,
        d_b: sum_b / sum,
        d_c: -sum_c / sum,
        d_z,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(a: f64, b: f64, c: f64, z: f64) -> f64 {
        let h = hyp2f1(a, b, c, z).unwrap();
        h.sign * h.ln_abs.exp()
    }

    #[test]
    fn closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z.
        for &z in &[0.01f64, 0.3, 0.9, 0.999, -0.5] {
            let want = -(-z).ln_1p() / z;
            assert!(
                (value(1.0, 1.0, 2.0, z) / want - 1.0).abs() < 1e-13,
                "z={z}"
            );
        }
        // 2F1(a, b; b; z) = (1 - z)^-a.
        let want = (1.0f64 - 0.7).powf(-2.5);
        assert!((value(2.5, 3.1, 3.1, 0.7) / want - 1.0).abs() < 1e-13);
        // 2F1(1/2, 1; 3/2; z^2) = atanh(z) / z.
        let z: f64 = 0.8;
        assert!((value(0.5, 1.0, 1.5, z * z) / (z.atanh() / z) - 1.0).abs() < 1e-13);
        // A polynomial: 2F1(-2, b; c; z) = 1 - 2bz/c + b(b+1)z^2/(c(c+1)).
        let (b, c, z) = (1.5, 2.5, 0.4);
        let want = 1.0 - 2.0 * b * z / c + b * (b + 1.0) * z * z / (c * (c + 1.0));
        assert!((value(-2.0, b, c, z) / want - 1.0).abs() < 1e-14);
    }

    #[test]
    fn large_arguments_stay_in_log_space() {
        // 2F1(a, b; b; z) = (1 - z)^-a even where the value overflows f64.
        let h = hyp2f1(900.0, 2.0, 2.0, 0.9).unwrap();
        let want = -900.0 * 0.1f64.ln();
        assert!((h.ln_abs / want - 1.0).abs() < 1e-12);
        assert!(want > 709.0);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for &(a, b, c, z) in &[
            (3.2, 1.6, 4.2, 0.35),
            (40.0, 1.61, 41.0, 0.09),
            (0.24, 2.4, 2.2, 0.9),
            (1.5, 0.7, 0.3, 0.6),
        ] {
            let h = hyp2f1(a, b, c, z).unwrap();
            let ln = |a: f64, b: f64, c: f64, z: f64| hyp2f1(a, b, c, z).unwrap().ln_abs;
            let e = 1e-6;
            let fd = [
                (ln(a + e, b, c, z) - ln(a - e, b, c, z)) / (2.0 * e),
                (ln(a, b + e, c, z) - ln(a, b - e, c, z)) / (2.0 * e),
                (ln(a, b, c + e, z) - ln(a, b, c - e, z)) / (2.0 * e),
                (ln(a, b, c, z + e) - ln(a, b, c, z - e)) / (2.0 * e),
            ];
            for (got, want) in [h.d_a, h.d_b, h.d_c, h.d_z].iter().zip(fd) {
                assert!(
                    (got - want).abs() < 1e-7 * want.abs().max(1.0),
                    "{got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn outside_the_domain_is_none() {
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_none());
        assert!(hyp2f1(1.0, 1.0, -2.0, 0.5).is_none());
        assert!(hyp2f1(f64::NAN, 1.0, 2.0, 0.5).is_none());
    }
}
