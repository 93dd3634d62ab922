//! MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD where a customer may also drop
//! out right after the first purchase; parameters `r, alpha, a, b`.

use super::bgnbd::scaled_one_minus;
use super::{log_add_exp, sigmoid};
use crate::stats::special::{digamma, ln_gamma};

/// Log-likelihood of one customer and its gradient in `(r, alpha, a, b)`.
pub fn log_likelihood(p: &[f64; 4], x: f64, t_x: f64, t: f64, grad: &mut [f64; 4]) -> f64 {
    let [r, alpha, a, b] = *p;
    let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let a2 = ln_gamma(a + b) + ln_gamma(b + x + 1.0) - ln_gamma(b) - ln_gamma(a + b + x + 1.0);
    let ln_at = (alpha + t).ln();
    let ln_ax = (alpha + t_x).ln();
    let a3 = -(r + x) * ln_at;
    let a4 = a.ln() - (b + x).ln() + (r + x) * (ln_at - ln_ax);
    let w4 = sigmoid(a4);
    let (dg_ab, dg_abx) = (digamma(a + b), digamma(a + b + x + 1.0));
    grad[0] = digamma(r + x) - digamma(r) + alpha.ln() - ln_at + w4 * (ln_at - ln_ax);
    grad[1] = r / alpha - (r + x) / (alpha + t)
        + w4 * (r + x) * (1.0 / (alpha + t) - 1.0 / (alpha + t_x));
    grad[2] = dg_ab - dg_abx + w4 / a;
    grad[3] = dg_ab + digamma(b + x + 1.0) - digamma(b) - dg_abx - w4 / (b + x);
    a1 + a2 + a3 + log_add_exp(a4, 0.0)
}

fn ln_dead_odds(p: &[f64; 4], x: f64, t_x: f64, t: f64) -> f64 {
    let [r, alpha, a, b] = *p;
    a.ln() - (b + x).ln() + (r + x) * ((alpha + t).ln() - (alpha + t_x).ln())
}

/// P(alive | x, t_x, T) (Batislam et al. 2007, appendix A, eq. 5).
pub fn probability_alive(p: &[f64; 4], x: f64, t_x: f64, t: f64) -> f64 {
    sigmoid(-ln_dead_odds(p, x, t_x, t))
}

/// E[X(t)] of a new customer.
pub fn expected_purchases(p: &[f64; 4], t: f64) -> f64 {
    let [r, alpha, a, b] = *p;
    if t == 0.0 {
        return 0.0;
    }
    scaled_one_minus(
        b / (a - 1.0),
        (r, b + 1.0, a + b, t / (alpha + t)),
        r * (alpha / (alpha + t)).ln(),
    )
}

/// E[Y(t) | x, t_x, T] (Wagner & Hoppe 2008, as lifetimes).
pub fn conditional_expected_purchases(p: &[f64; 4], t: f64, x: f64, t_x: f64, big_t: f64) -> f64 {
    let [r, alpha, a, b] = *p;
    if t == 0.0 {
        return 0.0;
    }
    let numerator = scaled_one_minus(
        (a + b + x) / (a - 1.0),
        (r + x, b + x + 1.0, a + b + x, t / (alpha + big_t + t)),
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
            check_gradient(
                Model::ModifiedBetaGeo,
                [0.525, 6.18, 0.891, 1.614],
                x,
                t_x,
                t,
            );
            check_gradient(Model::ModifiedBetaGeo, [1.3, 0.2, 3.0, 0.4], x, t_x, t);
        }
    }
}
