//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): parameters
//! `r, alpha` (gamma purchase rates) and `a, b` (beta dropout probability).

use super::{log_add_exp, sigmoid};
use crate::stats::hyp2f1::hyp2f1;
use crate::stats::special::{digamma, ln_gamma};

/// Log-likelihood of one customer (FHL 2005, eq. 6, in the log form of their note 004)
/// and its gradient in `(r, alpha, a, b)`.
pub fn log_likelihood(p: &[f64; 4], x: f64, t_x: f64, t: f64, grad: &mut [f64; 4]) -> f64 {
    let [r, alpha, a, b] = *p;
    let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
    let ln_at = (alpha + t).ln();
    let ln_ax = (alpha + t_x).ln();
    let a3 = -(r + x) * ln_at;
    // The second term exists for repeat buyers only.
    let (tail, w4) = if x > 0.0 {
        let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * ln_ax;
        let tail = log_add_exp(a3, a4);
        (tail, (a4 - tail).exp())
    } else {
        (a3, 0.0)
    };
    let w3 = 1.0 - w4;
    let (dg_ab, dg_abx) = (digamma(a + b), digamma(a + b + x));
    grad[0] = digamma(r + x) - digamma(r) + alpha.ln() - w3 * ln_at - w4 * ln_ax;
    grad[1] = r / alpha - (r + x) * (w3 / (alpha + t) + w4 / (alpha + t_x));
    grad[2] = dg_ab - dg_abx + w4 / a;
    grad[3] = dg_ab + digamma(b + x)
        - digamma(b)
        - dg_abx
        - if x > 0.0 { w4 / (b + x - 1.0) } else { 0.0 };
    a1 + a2 + tail
}

/// `ln` of the odds that a customer is dead (0 odds, `-inf`, for `x = 0`).
fn ln_dead_odds(p: &[f64; 4], x: f64, t_x: f64, t: f64) -> f64 {
    let [r, alpha, a, b] = *p;
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    a.ln() - (b + x - 1.0).ln() + (r + x) * ((alpha + t).ln() - (alpha + t_x).ln())
}

/// P(alive | x, t_x, T) (Fader, Hardie & Lee's note 021).
pub fn probability_alive(p: &[f64; 4], x: f64, t_x: f64, t: f64) -> f64 {
    sigmoid(-ln_dead_odds(p, x, t_x, t))
}

/// `(c / d) * (1 - F * base^e)` with `F = 2F1(ha, hb; hc; z)` in log space; NaN when the
/// series does not converge.
pub(crate) fn scaled_one_minus(factor: f64, h: (f64, f64, f64, f64), ln_base: f64) -> f64 {
    match hyp2f1(h.0, h.1, h.2, h.3) {
        Some(f) => factor * (1.0 - f.sign * (f.ln_abs + ln_base).exp()),
        None => f64::NAN,
    }
}

/// E[X(t)]: expected repeat purchases in `(0, t]` of a new customer (FHL 2005, eq. 9).
pub fn expected_purchases(p: &[f64; 4], t: f64) -> f64 {
    let [r, alpha, a, b] = *p;
    if t == 0.0 {
        return 0.0;
    }
    scaled_one_minus(
        (a + b - 1.0) / (a - 1.0),
        (r, b, a + b - 1.0, t / (alpha + t)),
        r * (alpha / (alpha + t)).ln(),
    )
}

/// E[Y(t) | x, t_x, T]: expected repeat purchases in the next `t` (FHL 2005, eq. 10).
pub fn conditional_expected_purchases(p: &[f64; 4], t: f64, x: f64, t_x: f64, big_t: f64) -> f64 {
    let [r, alpha, a, b] = *p;
    if t == 0.0 {
        return 0.0;
    }
    let numerator = scaled_one_minus(
        (a + b + x - 1.0) / (a - 1.0),
        (r + x, b + x, a + b + x - 1.0, t / (alpha + big_t + t)),
        (r + x) * ((alpha + big_t) / (alpha + big_t + t)).ln(),
    );
    numerator * sigmoid(-ln_dead_odds(p, x, t_x, big_t))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::check_gradient;
    use super::super::Model;

    #[test]
    fn gradient_is_exact() {
        for &(x, t_x, t) in &[
            (0.0, 0.0, 38.86),
            (2.0, 30.43, 38.86),
            (14.0, 1.0, 30.0),
            (1.0, 5.0, 5.0),
        ] {
            check_gradient(Model::BetaGeo, [0.243, 4.414, 0.793, 2.426], x, t_x, t);
            check_gradient(Model::BetaGeo, [1.3, 0.2, 3.0, 0.4], x, t_x, t);
        }
    }
}
