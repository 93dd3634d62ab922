//! The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma
//! model of monetary value"): a customer's `x` repeat transactions average `m`; spend per
//! transaction is gamma(p, nu) with nu ~ gamma(q, v) across customers.

use super::{distinct_rows, information, maximise, total_log_likelihood, Fit, FitParams};
use crate::numerics::try_with_capacity;
use crate::params::{invalid, Checked};
use crate::stats::special::{digamma, ln_gamma};
use crate::{CoreError, CoreResult, Interrupt};

/// Log-likelihood of one repeat buyer (note 025, eq. 1a, with the Jacobian of the mean)
/// and its gradient in `(p, q, v)`.
pub fn log_likelihood(par: &[f64; 3], x: f64, m: f64, grad: &mut [f64; 3]) -> f64 {
    let [p, q, v] = *par;
    let px = p * x;
    let ln_xmv = (x * m + v).ln();
    let dg = digamma(px + q);
    grad[0] = x * (dg - digamma(px) + m.ln() + x.ln() - ln_xmv);
    grad[1] = dg - digamma(q) + v.ln() - ln_xmv;
    grad[2] = q / v - (px + q) / (x * m + v);
    ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q) + q * v.ln() + (px - 1.0) * m.ln() + px * x.ln()
        - (px + q) * ln_xmv
}

/// Fit the Gamma-Gamma model on the customers with `x > 0` (the others carry no spend
/// information); their `m` must be positive.
pub fn fit(
    x: &[f64],
    m: &[f64],
    weight: Option<&[f64]>,
    params: &Checked<FitParams>,
    stop: &Interrupt,
) -> CoreResult<Fit> {
    let n = x.len();
    if m.len() != n {
        return Err(CoreError::ShapeMismatch {
            what: "monetary_value",
            expected: n,
            got: m.len(),
        });
    }
    crate::error::check_weights(weight, n)?;
    let mut keep = try_with_capacity(n, "the repeat buyers")?;
    keep.extend((0..n).filter(|&i| x[i] > 0.0));
    if keep.is_empty() {
        return Err(invalid(
            "frequency",
            "no customer made a repeat purchase: the spend model has nothing to fit",
        ));
    }
    for &i in &keep {
        if !(x[i].is_finite() && x[i].fract() == 0.0 && m[i].is_finite() && m[i] > 0.0) {
            return Err(invalid(
                "monetary_value",
                format!("repeat buyers need a whole frequency and a positive finite spend, got frequency={} monetary_value={}", x[i], m[i]),
            ));
        }
    }
    let kept = |v: &[f64]| -> CoreResult<Vec<f64>> {
        let mut out = try_with_capacity(keep.len(), "the repeat buyers")?;
        out.extend(keep.iter().map(|&i| v[i]));
        Ok(out)
    };
    let (xs, ms) = (kept(x)?, kept(m)?);
    let ws = weight.map(kept).transpose()?;
    let (rows, w) = distinct_rows([&xs, &ms], ws.as_deref())?;
    let total_weight: f64 = w.iter().sum();
    if total_weight.is_nan() || total_weight <= 0.0 {
        return Err(CoreError::InvalidWeights(
            "the repeat buyers' weights are all zero".into(),
        ));
    }
    let ll = |par: &[f64; 3], g: &mut [f64; 3]| {
        let (value, grad) = total_log_likelihood::<3, _>(rows.len(), stop, |i, gi| {
            let v = log_likelihood(par, rows[i][0], rows[i][1], gi);
            for g in gi.iter_mut() {
                *g *= w[i];
            }
            w[i] * v
        });
        *g = grad;
        value
    };
    let start = match &params.init {
        Some(init) if init.len() == 3 => [init[0], init[1], init[2]],
        Some(init) => {
            return Err(CoreError::ShapeMismatch {
                what: "initial_params",
                expected: 3,
                got: init.len(),
            })
        }
        None => [1.0; 3],
    };
    let (opt, par) = maximise(ll, total_weight, start, params.penalizer, params, stop)?;
    let mut g = [0.0; 3];
    let log_likelihood = ll(&par, &mut g);
    let (hessian, covariance) = information(
        |q, out| {
            ll(q, out);
        },
        &par,
    );
    stop.check()?;
    Ok(Fit {
        params: par.to_vec(),
        log_likelihood,
        n_iter: opt.n_iter,
        status: opt.status,
        grad_norm: opt.projected_grad,
        at_bound: opt.at_bound,
        hessian,
        covariance,
        n_customers: total_weight,
    })
}

/// E[M | x, m]: a customer's expected spend per transaction (note 025, eq. 5); the
/// population mean `p v / (q - 1)` for `x = 0`. NaN when `q <= 1` (no finite mean).
pub fn expected_average_spend(par: &[f64; 3], x: f64, m: f64) -> f64 {
    let [p, q, v] = *par;
    if q <= 1.0 {
        return f64::NAN;
    }
    let weight = p * x / (p * x + q - 1.0);
    let population = v * p / (q - 1.0);
    if x == 0.0 {
        population
    } else {
        (1.0 - weight) * population + weight * m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_is_exact() {
        for &(x, m) in &[(1.0, 20.0), (7.0, 35.5), (30.0, 3.2)] {
            let par = [6.25, 3.74, 15.44];
            let mut g = [0.0; 3];
            log_likelihood(&par, x, m, &mut g);
            for k in 0..3 {
                let h = 1e-6 * par[k];
                let (mut up, mut down) = (par, par);
                up[k] += h;
                down[k] -= h;
                let mut s = [0.0; 3];
                let fd = (log_likelihood(&up, x, m, &mut s) - log_likelihood(&down, x, m, &mut s))
                    / (2.0 * h);
                assert!(
                    (g[k] - fd).abs() < 1e-6 * fd.abs().max(1.0),
                    "k={k}: {} vs {fd}",
                    g[k]
                );
            }
        }
    }

    #[test]
    fn spend_shrinks_towards_the_population_mean() {
        let par = [6.25, 3.74, 15.44];
        let pop = expected_average_spend(&par, 0.0, 0.0);
        assert!((pop - 6.25 * 15.44 / 2.74).abs() < 1e-12);
        let one = expected_average_spend(&par, 1.0, 100.0);
        assert!(one > pop && one < 100.0);
        assert!(expected_average_spend(&[1.0, 0.5, 1.0], 1.0, 3.0).is_nan());
    }
}
