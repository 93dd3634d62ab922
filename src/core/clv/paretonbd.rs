//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987) in the form of Fader & Hardie's note
//! 009 ("A note on deriving the Pareto/NBD model and related expressions", 2005):
//! parameters `r, alpha` (gamma purchase rates) and `s, beta` (gamma dropout rates).
//!
//! The likelihood's second term, `A0`, is a difference of two `2F1` terms; both are taken in
//! log space with their derivatives ([`crate::stats::hyp2f1`]), choosing the branch
//! (`alpha >= beta` or not) that keeps the series argument in `[0, 1)`.

use super::{log_add_exp, sigmoid};
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
    let ha = r + s + x;
    let la0 = ln_a0(p, x, t_x, t, g2);
    let b2 = s.ln() - ha.ln() + la0;
    g2[0] -= 1.0 / ha;
    g2[2] += 1.0 / s - 1.0 / ha;
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
        }
    }
}
