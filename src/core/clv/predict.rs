//! Predictions of a fitted purchase-count model for many customers (lifetimes' names), and
//! customer lifetime value by lifetimes' discounted-cash-flow convention.
//!
//! Every customer is independent, so the work is split across threads with no effect on
//! the numbers.

use rayon::prelude::*;

use super::{bgnbd, check_history, gammagamma, mbgnbd, paretonbd, Model};
use crate::params::invalid;
use crate::{CoreError, CoreResult, Interrupt};

/// What to predict for each customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// E[Y(t) | x, t_x, T]: expected repeat purchases in the next `t`.
    ConditionalExpectedPurchases,
    /// P(alive | x, t_x, T).
    ProbabilityAlive,
}

impl Quantity {
    /// "conditional_expected_purchases" or "probability_alive".
    pub fn parse(name: &str) -> CoreResult<Quantity> {
        match name {
            "conditional_expected_purchases" => Ok(Quantity::ConditionalExpectedPurchases),
            "probability_alive" => Ok(Quantity::ProbabilityAlive),
            other => Err(invalid(
                "quantity",
                format!("must be 'conditional_expected_purchases' or 'probability_alive', got {other:?}"),
            )),
        }
    }
}

fn check_params(p: &[f64]) -> CoreResult<[f64; 4]> {
    if p.len() != 4 {
        return Err(CoreError::ShapeMismatch {
            what: "params",
            expected: 4,
            got: p.len(),
        });
    }
    if p.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(invalid(
            "params",
            format!("must be finite and > 0, got {p:?}"),
        ));
    }
    Ok([p[0], p[1], p[2], p[3]])
}

impl Model {
    /// E[X(t)] for a new customer.
    pub fn expected_purchases(self, p: &[f64; 4], t: f64) -> f64 {
        match self {
            Model::BetaGeo => bgnbd::expected_purchases(p, t),
            Model::ParetoNbd => paretonbd::expected_purchases(p, t),
            Model::ModifiedBetaGeo => mbgnbd::expected_purchases(p, t),
        }
    }

    /// E[Y(t) | x, t_x, T].
    pub fn conditional_expected_purchases(
        self,
        p: &[f64; 4],
        t: f64,
        x: f64,
        t_x: f64,
        big_t: f64,
    ) -> f64 {
        match self {
            Model::BetaGeo => bgnbd::conditional_expected_purchases(p, t, x, t_x, big_t),
            Model::ParetoNbd => paretonbd::conditional_expected_purchases(p, t, x, t_x, big_t),
            Model::ModifiedBetaGeo => mbgnbd::conditional_expected_purchases(p, t, x, t_x, big_t),
        }
    }

    /// P(alive | x, t_x, T).
    pub fn probability_alive(self, p: &[f64; 4], x: f64, t_x: f64, big_t: f64) -> f64 {
        match self {
            Model::BetaGeo => bgnbd::probability_alive(p, x, t_x, big_t),
            Model::ParetoNbd => paretonbd::probability_alive(p, x, t_x, big_t),
            Model::ModifiedBetaGeo => mbgnbd::probability_alive(p, x, t_x, big_t),
        }
    }
}

fn check_lengths(n: usize, cols: &[(&'static str, usize)]) -> CoreResult<()> {
    for &(what, got) in cols {
        if got != n {
            return Err(CoreError::ShapeMismatch {
                what,
                expected: n,
                got,
            });
        }
    }
    Ok(())
}

fn check_horizon(t: f64) -> CoreResult<()> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(invalid("t", format!("must be finite and >= 0, got {t}")))
    }
}

/// E[X(t)] of a new customer for each horizon in `t`.
pub fn expected_purchases(model: Model, params: &[f64], t: &[f64]) -> CoreResult<Vec<f64>> {
    let p = check_params(params)?;
    t.iter().try_for_each(|&v| check_horizon(v))?;
    Ok(t.par_iter()
        .map(|&v| model.expected_purchases(&p, v))
        .collect())
}

/// One [`Quantity`] per customer (`t` is the horizon of the expected purchases).
/// Checks `stop` before each customer ([`CoreError::Interrupted`]; a customer costs
/// microseconds with the Pareto/NBD's hypergeometric functions).
#[allow(clippy::too_many_arguments)]
pub fn per_customer(
    model: Model,
    params: &[f64],
    quantity: Quantity,
    t: f64,
    x: &[f64],
    t_x: &[f64],
    big_t: &[f64],
    stop: &Interrupt,
) -> CoreResult<Vec<f64>> {
    let p = check_params(params)?;
    check_horizon(t)?;
    check_lengths(x.len(), &[("recency", t_x.len()), ("T", big_t.len())])?;
    (0..x.len()).try_for_each(|i| check_history(x[i], t_x[i], big_t[i]))?;
    (0..x.len())
        .into_par_iter()
        .map(|i| {
            stop.check()?;
            Ok(match quantity {
                Quantity::ConditionalExpectedPurchases => {
                    model.conditional_expected_purchases(&p, t, x[i], t_x[i], big_t[i])
                }
                Quantity::ProbabilityAlive => model.probability_alive(&p, x[i], t_x[i], big_t[i]),
            })
        })
        .collect()
}

/// Settings of [`customer_lifetime_value`] (lifetimes' convention).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Horizon {
    /// Number of months summed.
    pub months: usize,
    /// Length of a month in the time unit of `T` (30 for days, 4.345 for weeks).
    pub month_length: f64,
    /// Monthly discount rate.
    pub discount_rate: f64,
}

/// Discounted value of each customer's expected purchases over `horizon.months` months:
/// `sum_k spend * (E[Y(k L)] - E[Y((k-1) L)]) / (1 + d)^k` (lifetimes'
/// `customer_lifetime_value`), with `spend` the expected spend per purchase. Checks
/// `stop` before each customer ([`CoreError::Interrupted`]).
#[allow(clippy::too_many_arguments)]
pub fn customer_lifetime_value(
    model: Model,
    params: &[f64],
    x: &[f64],
    t_x: &[f64],
    big_t: &[f64],
    spend: &[f64],
    horizon: Horizon,
    stop: &Interrupt,
) -> CoreResult<Vec<f64>> {
    let p = check_params(params)?;
    check_lengths(
        x.len(),
        &[
            ("recency", t_x.len()),
            ("T", big_t.len()),
            ("spend", spend.len()),
        ],
    )?;
    if !(horizon.month_length.is_finite() && horizon.month_length > 0.0) {
        return Err(invalid(
            "freq",
            format!("month length must be > 0, got {}", horizon.month_length),
        ));
    }
    if !(horizon.discount_rate.is_finite() && horizon.discount_rate > -1.0) {
        return Err(invalid(
            "discount_rate",
            format!("must be finite and > -1, got {}", horizon.discount_rate),
        ));
    }
    (0..x.len()).try_for_each(|i| check_history(x[i], t_x[i], big_t[i]))?;
    (0..x.len())
        .into_par_iter()
        .map(|i| {
            stop.check()?;
            let mut value = 0.0;
            let mut before = 0.0;
            for k in 1..=horizon.months {
                let t = k as f64 * horizon.month_length;
                let upto = model.conditional_expected_purchases(&p, t, x[i], t_x[i], big_t[i]);
                value += spend[i] * (upto - before) / (1.0 + horizon.discount_rate).powi(k as i32);
                before = upto;
            }
            Ok(value)
        })
        .collect()
}

/// E[M | x, m] of the Gamma-Gamma model for each customer.
pub fn expected_average_spend(params: &[f64], x: &[f64], m: &[f64]) -> CoreResult<Vec<f64>> {
    if params.len() != 3 || params.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(invalid(
            "params",
            format!("must be 3 finite values > 0, got {params:?}"),
        ));
    }
    check_lengths(x.len(), &[("monetary_value", m.len())])?;
    let p = [params[0], params[1], params[2]];
    Ok(x.par_iter()
        .zip(m.par_iter())
        .map(|(&x, &m)| gammagamma::expected_average_spend(&p, x, m))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requested_stop_ends_the_per_customer_passes() {
        let (x, t_x, big_t, spend) = ([0.0, 2.0, 5.0], [0.0, 10.0, 30.0], [40.0; 3], [5.0; 3]);
        let params = [0.5, 10.0, 0.7, 3.0];
        let horizon = Horizon {
            months: 3,
            month_length: 30.0,
            discount_rate: 0.01,
        };
        let quantity = Quantity::ProbabilityAlive;
        let go = Interrupt::new();
        let stop = Interrupt::new();
        stop.request();
        for model in [Model::BetaGeo, Model::ParetoNbd] {
            assert!(per_customer(model, &params, quantity, 1.0, &x, &t_x, &big_t, &go).is_ok());
            assert_eq!(
                per_customer(model, &params, quantity, 1.0, &x, &t_x, &big_t, &stop),
                Err(CoreError::Interrupted)
            );
            let clv =
                |s| customer_lifetime_value(model, &params, &x, &t_x, &big_t, &spend, horizon, s);
            assert!(clv(&go).is_ok());
            assert_eq!(clv(&stop), Err(CoreError::Interrupted));
        }
    }
}
