//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987) in the form of Fader & Hardie's note
//! 009 ("A note on deriving the Pareto/NBD model and related expressions", 2005):
//! parameters `r, alpha` (gamma purchase rates) and `s, beta` (gamma dropout rates).
//!
//! The likelihood's second term, `A0`, is a difference of two `2F1` terms; both are taken in
//! log space with their derivatives ([`crate::stats::hyp2f1`]), choosing the branch
//! (`alpha >= beta` or not) that keeps the series argument in `[0, 1)`. When that argument
//! is close to 1 (one of `alpha`, `beta` far smaller than the other), the series needs
//! thousands of terms: the same quantity, an integral over `(t_x, T)`, is then computed by
//! adaptive Gauss-Kronrod quadrature instead ([`crate::numerics::quadrature`]).

use super::{log_add_exp, sigmoid};
use crate::numerics::quadrature::integrate;
use crate::stats::hyp2f1::hyp2f1;
use crate::stats::special::{digamma, ln_gamma};

/// `ln A0` and its gradient in `(r, alpha, s, beta)`; `-inf` when `t_x = T` (A0 = 0).
/// NaN when a series does not converge.
fn ln_a0(p: &[f64; 4], x: f64, t_x: f64, t: f64, grad: &mut [f64; 4]) -> f64 {
    let [r, alpha, s, beta] = *p;
    let ha = r + s + x;
    let alpha_max = alpha >= beta;
    let (big, hb) = if alpha_max {
        (alpha, s + 1.0)
    } else {
        (beta, r + x)
    };
    let diff = (alpha - beta).abs();
    // u(tau) = ln 2F1(ha, hb; ha + 1; diff / (big + tau)) - ha ln(big + tau), and its gradient.
    let term = |tau: f64, g: &mut [f64; 4]| -> f64 {
        let m = big + tau;
        let z = diff / m;
        let Some(f) = hyp2f1(ha, hb, ha + 1.0, z) else {
            *g = [f64::NAN; 4];
            return f64::NAN;
        };
        let ln_m = m.ln();
        let d_ac = f.d_a + f.d_c;
        // dz/d(big) and dz/d(small) for z = (big - small) / (big + tau).
        let dz_big = (tau + big - diff) / (m * m);
        let dz_small = -1.0 / m;
        if alpha_max {
            g[0] = d_ac - ln_m;
            g[2] = d_ac + f.d_b - ln_m;
            g[1] = f.d_z * dz_big - ha / m;
            g[3] = f.d_z * dz_small;
        } else {
            g[0] = d_ac + f.d_b - ln_m;
            g[2] = d_ac - ln_m;
            g[3] = f.d_z * dz_big - ha / m;
            g[1] = f.d_z * dz_small;
        }
        f.ln_abs - ha * ln_m
    };
    let (mut g1, mut g2) = ([0.0; 4], [0.0; 4]);
    let u1 = term(t_x, &mut g1);
    if t_x >= t {
        *grad = [0.0; 4];
        return f64::NEG_INFINITY;
    }
    let u2 = term(t, &mut g2);
    // A0 = e^u1 - e^u2 > 0 (the integral of a positive function over (t_x, T)).
    let q = (u2 - u1).exp();
    let ln_diff = u1 + (-q).ln_1p();
    for k in 0..4 {
        grad[k] = (g1[k] - q * g2[k]) / (1.0 - q);
    }
    ln_diff
}

/// The 2F1 series is used when it needs at most about this many terms; otherwise (a
/// series argument near 1, or a large second argument) the integral is summed by
/// quadrature instead.
const SERIES_MAX_TERMS: f64 = 400.0;

/// `ln I` and its gradient in `(r, alpha, s, beta)`, where
/// `I = int_{t_x}^{T} (alpha + tau)^-(r + x) (beta + tau)^-(s + 1) d tau`
/// (`s I` is the second term of the likelihood; `I = A0 / (r + s + x)` in note 009).
/// `-inf` when `t_x = T`; NaN when neither method reaches full precision.
fn ln_integral(p: &[f64; 4], x: f64, t_x: f64, t: f64, grad: &mut [f64; 4]) -> f64 {
    *grad = [0.0; 4];
    if t_x >= t {
        return f64::NEG_INFINITY;
    }
    let [r, alpha, s, beta] = *p;
    let z = (alpha - beta).abs() / (alpha.max(beta) + t_x);
    // The terms peak near n = b z / (1 - z) (b the series' second argument) and then shrink
    // by a factor z each: about (b z + 40) / (1 - z) terms reach full precision.
    let b = if alpha >= beta { s + 1.0 } else { r + x };
    if (b * z + 40.0) / (1.0 - z) <= SERIES_MAX_TERMS {
        let ha = r + s + x;
        let v = ln_a0(p, x, t_x, t, grad);
        grad[0] -= 1.0 / ha;
        grad[2] -= 1.0 / ha;
        v - ha.ln()
    } else {
        ln_integral_quadrature(p, x, t_x, t, grad)
    }
}

/// [`ln_integral`] by adaptive Gauss-Kronrod quadrature in `u = ln((m + tau) / (m + t_x))`
/// with `m = min(alpha, beta)`: the power of `m + tau` becomes an exponential and the other
/// factor a smooth function of `u`, whatever the ratio of `alpha` to `beta`.
fn ln_integral_quadrature(p: &[f64; 4], x: f64, t_x: f64, t: f64, grad: &mut [f64; 4]) -> f64 {
    let [r, alpha, s, beta] = *p;
    let (pa, pb) = (r + x, s + 1.0);
    let alpha_small = alpha <= beta;
    let (m, big, p_m, p_big) = if alpha_small {
        (alpha, beta, pa, pb)
    } else {
        (beta, alpha, pb, pa)
    };
    let c = m + t_x;
    let d = big - m;
    let upper = ((m + t) / c).ln();
    // Integrand scaled by its value at tau = t_x: c^(1 - p_m) (big + t_x)^-p_big.
    let ln_scale = (1.0 - p_m) * c.ln() - p_big * (big + t_x).ln();
    let integrand = |u: f64| -> [f64; 5] {
        let e = c * u.exp();
        let tau = e - m;
        // ln((d + e) / (d + c)) as ln_1p: the ratio is near 1 when `big` is large, and
        // `p_big` times its rounding error would swamp the tolerance.
        let ln_ratio = (c * u.exp_m1() / (d + c)).ln_1p();
        let g = (-(p_m - 1.0) * u - p_big * ln_ratio).exp();
        let (a_tau, b_tau) = (alpha + tau, beta + tau);
        [
            g,
            -a_tau.ln() * g,
            -pa / a_tau * g,
            -b_tau.ln() * g,
            -pb / b_tau * g,
        ]
    };
    match integrate(integrand, 0.0, upper, 1e-14, 1e-300, 500) {
        Some(v) if v[0] > 0.0 => {
            for k in 0..4 {
                grad[k] = v[k + 1] / v[0];
            }
            ln_scale + v[0].ln()
        }
        _ => {
            *grad = [f64::NAN; 4];
            f64::NAN
        }
    }
}

/// The two log terms of the likelihood (after the common factor) with their gradients.
fn branches(
    p: &[f64; 4],
    x: f64,
    t_x: f64,
    t: f64,
    g1: &mut [f64; 4],
    g2: &mut [f64; 4],
) -> (f64, f64) {
    let [r, alpha, s, beta] = *p;
    let (ln_at, ln_bt) = ((alpha + t).ln(), (beta + t).ln());
    let b1 = -(r + x) * ln_at - s * ln_bt;
    *g1 = [-ln_at, -(r + x) / (alpha + t), -ln_bt, -s / (beta + t)];
    let b2 = s.ln() + ln_integral(p, x, t_x, t, g2);
    g2[2] += 1.0 / s;
    (b1, b2)
}

/// Log-likelihood of one customer (note 009, eq. 18) and its gradient in `(r, alpha, s, beta)`.
pub fn log_likelihood(p: &[f64; 4], x: f64, t_x: f64, t: f64, grad: &mut [f64; 4]) -> f64 {
    let [r, alpha, s, beta] = *p;
    let (mut g1, mut g2) = ([0.0; 4], [0.0; 4]);
    let (b1, b2) = branches(p, x, t_x, t, &mut g1, &mut g2);
    let tail = log_add_exp(b1, b2);
    let w2 = if b2 == f64::NEG_INFINITY {
        0.0
    } else {
        (b2 - tail).exp()
    };
    let w1 = 1.0 - w2;
    let head = [
        digamma(r + x) - digamma(r) + alpha.ln(),
        r / alpha,
        beta.ln(),
        s / beta,
    ];
    for k in 0..4 {
        let from2 = if w2 == 0.0 { 0.0 } else { w2 * g2[k] };
        grad[k] = head[k] + w1 * g1[k] + from2;
    }
    ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln() + tail
}

/// P(alive | x, t_x, T) (note 009, eq. 37).
pub fn probability_alive(p: &[f64; 4], x: f64, t_x: f64, t: f64) -> f64 {
    let (mut g1, mut g2) = ([0.0; 4], [0.0; 4]);
    let (b1, b2) = branches(p, x, t_x, t, &mut g1, &mut g2);
    sigmoid(b1 - b2)
}

/// `(1 - (1 + u)^-(e)) / e` for `u >= 0`, with its limit `ln(1 + u)` at `e = 0`.
fn one_minus_power_over(e: f64, u: f64) -> f64 {
    let l = u.ln_1p();
    if (e * l).abs() < 1e-12 {
        l
    } else {
        -(-e * l).exp_m1() / e
    }
}

/// E[X(t)] of a new customer (note 009, eq. 27).
pub fn expected_purchases(p: &[f64; 4], t: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    r * beta / alpha * one_minus_power_over(s - 1.0, t / beta)
}

/// E[Y(t) | x, t_x, T] (note 009, eq. 41).
pub fn conditional_expected_purchases(p: &[f64; 4], t: f64, x: f64, t_x: f64, big_t: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    (r + x) * (beta + big_t) / (alpha + big_t)
        * one_minus_power_over(s - 1.0, t / (beta + big_t))
        * probability_alive(p, x, t_x, big_t)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::check_gradient;
    use super::super::Model;

    #[test]
    fn series_and_quadrature_agree() {
        let mut g1 = [0.0; 4];
        let mut g2 = [0.0; 4];
        for &(p, x, t_x, t) in &[
            ([0.55, 10.58, 0.61, 11.67], 2.0, 30.43, 38.86),
            ([1.3, 7.0, 0.4, 0.9], 14.0, 1.0, 30.0),
            ([0.5, 0.2, 0.7, 1.5], 0.0, 0.0, 40.0),
            ([0.2, 3.0, 1.2, 0.4], 300.0, 200.0, 400.0),
        ] {
            let a = super::ln_a0(&p, x, t_x, t, &mut g1) - (p[0] + p[2] + x).ln();
            g1[0] -= 1.0 / (p[0] + p[2] + x);
            g1[2] -= 1.0 / (p[0] + p[2] + x);
            let b = super::ln_integral_quadrature(&p, x, t_x, t, &mut g2);
            assert!((a - b).abs() < 1e-12 * a.abs().max(1.0), "{a} vs {b}");
            for k in 0..4 {
                assert!(
                    (g1[k] - g2[k]).abs() < 1e-9 * g1[k].abs().max(1.0),
                    "{g1:?} vs {g2:?}"
                );
            }
        }
    }

    #[test]
    fn gradient_is_exact_on_both_branches() {
        for &(x, t_x, t) in &[
            (0.0, 0.0, 38.86),
            (2.0, 30.43, 38.86),
            (14.0, 1.0, 30.0),
            (1.0, 5.0, 5.0),
        ] {
            // alpha < beta (CDNOW's estimates) and alpha > beta.
            check_gradient(Model::ParetoNbd, [0.553, 10.58, 0.606, 11.67], x, t_x, t);
            check_gradient(Model::ParetoNbd, [1.3, 7.0, 0.4, 0.9], x, t_x, t);
            // One rate far below the other: the quadrature path.
            check_gradient(Model::ParetoNbd, [0.8, 1e-3, 0.5, 6.0], x, t_x, t);
            check_gradient(Model::ParetoNbd, [0.8, 9.0, 0.5, 2e-3], x, t_x, t);
            // s and beta large (dropout rates nearly homogeneous): a fit can head there.
            check_gradient(Model::ParetoNbd, [0.49, 3.6, 1e4, 1.2e7], x, t_x, t);
        }
    }
}
