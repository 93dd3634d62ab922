//! Customer lifetime value: the buy-till-you-die models fitted by maximum likelihood, their
//! predictions, the Gamma-Gamma spend model, and per-segment bootstrap summaries.
//!
//! * [`Model`]: BG/NBD (Fader, Hardie & Lee 2005), Pareto/NBD (Schmittlein, Morrison &
//!   Colombo 1987, in Fader & Hardie's 2005 form) and MBG/NBD (Batislam, Denizel & Filiztekin
//!   2007): per-customer log-likelihoods with analytic gradients ([`bgnbd`], [`paretonbd`],
//!   [`mbgnbd`]), predictions ([`predict`]).
//! * [`fit`]: the customers compressed to distinct `(x, t_x, T)` rows with weights, time
//!   rescaled so the longest `T` is 1 (as lifetimes does), BFGS with bounds on the log
//!   parameters ([`crate::optim`]), then the estimates in the caller's time unit with the
//!   observed information (Hessian of the total negative log-likelihood).
//! * [`gammagamma`]: the Gamma-Gamma model of spend per transaction (Fader & Hardie 2013).
//! * [`segments`]: per-segment means and totals with bootstrap intervals (customers
//!   resampled within segments, one seeded stream per replicate).

pub mod bgnbd;
pub mod gammagamma;
pub mod mbgnbd;
pub mod paretonbd;
pub mod predict;
pub mod segments;

use crate::numerics::{try_with_capacity, CompensatedSum, RowBlocks};
use crate::optim::{hessian_from_gradient, invert_spd, minimize, MinimizeOptions, Status};
use crate::params::{invalid, Checked, Params};
use crate::{CoreError, CoreResult, Interrupt};

/// Rows per block of the likelihood sums (fixed: part of the numbers, not of the schedule).
const BLOCK_ROWS: usize = 512;
/// Log-parameters are kept in `[-LOG_BOUND, LOG_BOUND]` (about 2e-9 to 5e8 in rescaled time).
pub const LOG_BOUND: f64 = 20.0;

/// The purchase-count models (all have four parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// BG/NBD: `r, alpha, a, b`.
    BetaGeo,
    /// Pareto/NBD: `r, alpha, s, beta`.
    ParetoNbd,
    /// MBG/NBD: `r, alpha, a, b`.
    ModifiedBetaGeo,
}

impl Model {
    /// The model named `name` ("bgnbd", "paretonbd", "mbgnbd").
    pub fn parse(name: &str) -> CoreResult<Model> {
        match name {
            "bgnbd" => Ok(Model::BetaGeo),
            "paretonbd" => Ok(Model::ParetoNbd),
            "mbgnbd" => Ok(Model::ModifiedBetaGeo),
            other => Err(invalid(
                "model",
                format!("must be 'bgnbd', 'paretonbd' or 'mbgnbd', got {other:?}"),
            )),
        }
    }

    /// Parameter names, as in the papers.
    pub fn names(self) -> [&'static str; 4] {
        match self {
            Model::BetaGeo | Model::ModifiedBetaGeo => ["r", "alpha", "a", "b"],
            Model::ParetoNbd => ["r", "alpha", "s", "beta"],
        }
    }

    /// Which parameters are rates in units of time (rescaled with time).
    fn time_scaled(self) -> [bool; 4] {
        match self {
            Model::BetaGeo | Model::ModifiedBetaGeo => [false, true, false, false],
            Model::ParetoNbd => [false, true, false, true],
        }
    }

    /// Log-likelihood of one customer and its gradient in the (natural) parameters.
    pub fn log_likelihood(
        self,
        p: &[f64; 4],
        x: f64,
        t_x: f64,
        t: f64,
        grad: &mut [f64; 4],
    ) -> f64 {
        match self {
            Model::BetaGeo => bgnbd::log_likelihood(p, x, t_x, t, grad),
            Model::ParetoNbd => paretonbd::log_likelihood(p, x, t_x, t, grad),
            Model::ModifiedBetaGeo => mbgnbd::log_likelihood(p, x, t_x, t, grad),
        }
    }
}

/// Customers as distinct `(x, t_x, T)` rows with the total weight of each.
#[derive(Clone, Debug, PartialEq)]
pub struct Customers {
    /// Repeat purchases.
    pub x: Vec<f64>,
    /// Time of the last purchase since the first.
    pub t_x: Vec<f64>,
    /// Time since the first purchase (age).
    pub t: Vec<f64>,
    /// Number (or weight) of customers with that row.
    pub weight: Vec<f64>,
}

/// Check one customer history: `x` a whole number >= 0, `0 <= t_x <= T`, `t_x = 0` when
/// `x = 0`, all finite. The Python layer says which rows; this is the core's own guard.
pub fn check_history(x: f64, t_x: f64, t: f64) -> CoreResult<()> {
    if !(x.is_finite() && t_x.is_finite() && t.is_finite()) {
        return Err(CoreError::NonFinite("frequency, recency or T".into()));
    }
    if x < 0.0 || x.fract() != 0.0 {
        return Err(invalid(
            "frequency",
            format!("must be a whole number >= 0, got {x}"),
        ));
    }
    if t_x < 0.0 || t_x > t {
        return Err(invalid(
            "recency",
            format!("must be in [0, T], got recency={t_x} with T={t}"),
        ));
    }
    if x == 0.0 && t_x != 0.0 {
        return Err(invalid(
            "recency",
            format!("must be 0 for a customer with frequency 0, got {t_x}"),
        ));
    }
    Ok(())
}

/// Compress customer histories to distinct rows (sorted by `(x, t_x, T)`), summing weights.
pub fn compress(
    x: &[f64],
    t_x: &[f64],
    t: &[f64],
    weight: Option<&[f64]>,
) -> CoreResult<Customers> {
    let n = x.len();
    for (what, len) in [("recency", t_x.len()), ("T", t.len())] {
        if len != n {
            return Err(CoreError::ShapeMismatch {
                what,
                expected: n,
                got: len,
            });
        }
    }
    crate::error::check_weights(weight, n)?;
    if n == 0 {
        return Err(CoreError::EmptyInput("no customers".into()));
    }
    for i in 0..n {
        check_history(x[i], t_x[i], t[i])?;
    }
    let (rows, weight) = distinct_rows([x, t_x, t], weight)?;
    let column = |c: usize| -> CoreResult<Vec<f64>> {
        let mut out = try_with_capacity(rows.len(), "the customers' purchase patterns")?;
        out.extend(rows.iter().map(|r| r[c]));
        Ok(out)
    };
    Ok(Customers {
        x: column(0)?,
        t_x: column(1)?,
        t: column(2)?,
        weight,
    })
}

/// The distinct rows of `K` equal-length columns, sorted, with the summed weight of each
/// (Fader & Hardie's compression of customers into purchase patterns). The patterns grow
/// as found: at most one per row, so no more than the columns already hold.
pub(crate) fn distinct_rows<const K: usize>(
    cols: [&[f64]; K],
    weight: Option<&[f64]>,
) -> CoreResult<(Vec<[f64; K]>, Vec<f64>)> {
    let n = cols[0].len();
    let row = |i: usize| cols.map(|c| c[i]);
    let mut order = try_with_capacity(n, "the customers' sort order")?;
    order.extend(0..n);
    order.sort_unstable_by(|&i, &j| {
        let (a, b) = (row(i), row(j));
        a.iter()
            .zip(&b)
            .map(|(u, v)| u.total_cmp(v))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(i.cmp(&j))
    });
    let mut rows: Vec<[f64; K]> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    for i in order {
        let w = weight.map_or(1.0, |w| w[i]);
        let r = row(i);
        match (rows.last(), weights.last_mut()) {
            (Some(last), Some(total)) if *last == r => *total += w,
            _ => {
                rows.push(r);
                weights.push(w);
            }
        }
    }
    Ok((rows, weights))
}

/// Settings of [`fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct FitParams {
    /// L2 penalty on the parameters (in rescaled time), added to the mean negative
    /// log-likelihood, as lifetimes' `penalizer_coef`.
    pub penalizer: f64,
    /// Iterations of the optimiser at most.
    pub max_iter: usize,
    /// Converged when the gradient of the objective in the log parameters is below this.
    pub tol: f64,
    /// Starting parameters (in the caller's time unit); `None` starts from all ones in
    /// rescaled time.
    pub init: Option<Vec<f64>>,
}

impl Params for FitParams {
    fn validate(&self) -> CoreResult<()> {
        if !(self.penalizer >= 0.0 && self.penalizer.is_finite()) {
            return Err(invalid(
                "penalizer",
                format!("must be finite and >= 0, got {}", self.penalizer),
            ));
        }
        if self.max_iter == 0 {
            return Err(invalid("max_iter", "must be >= 1"));
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return Err(invalid(
                "tol",
                format!("must be finite and > 0, got {}", self.tol),
            ));
        }
        if let Some(init) = &self.init {
            if init.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
                return Err(invalid("initial_params", "must be finite and > 0"));
            }
        }
        Ok(())
    }
}

/// A fitted model.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// Estimates in the caller's time unit, in the order of the model's names.
    pub params: Vec<f64>,
    /// Total (weighted) log-likelihood at the estimates, without the penalty.
    pub log_likelihood: f64,
    /// Optimiser iterations.
    pub n_iter: usize,
    /// Why the optimiser stopped.
    pub status: Status,
    /// Largest entry of the projected gradient at the end.
    pub grad_norm: f64,
    /// Which parameters ended on the bound of the search box.
    pub at_bound: Vec<bool>,
    /// Observed information: Hessian of the total negative log-likelihood in the natural
    /// parameters (row-major `k x k`).
    pub hessian: Vec<f64>,
    /// Its inverse (the asymptotic covariance), NaN when it is not positive definite.
    pub covariance: Vec<f64>,
    /// Customers fitted (total weight).
    pub n_customers: f64,
}

/// Weighted sum of per-row log-likelihoods and their gradients (deterministic block order).
///
/// `stop` is checked before each block; once a stop is requested the value and gradient
/// are NaN (the optimiser then ends within a few evaluations, and [`maximise`] and the
/// fits report [`CoreError::Interrupted`] instead of what it found).
pub(crate) fn total_log_likelihood<const K: usize, L>(
    n: usize,
    stop: &Interrupt,
    row: L,
) -> (f64, [f64; K])
where
    L: Fn(usize, &mut [f64; K]) -> f64 + Sync + Send,
{
    let blocks = RowBlocks::fixed(n, BLOCK_ROWS);
    let total = blocks.try_reduce(
        (CompensatedSum::ZERO, [CompensatedSum::ZERO; K]),
        |_, rows| {
            stop.check()?;
            let mut value = CompensatedSum::ZERO;
            let mut grad = [CompensatedSum::ZERO; K];
            let mut g = [0.0; K];
            for i in rows {
                value.add(row(i, &mut g));
                for (s, gi) in grad.iter_mut().zip(g) {
                    s.add(gi);
                }
            }
            Ok::<_, CoreError>((value, grad))
        },
        |acc, (value, grad)| {
            acc.0.merge(&value);
            for (a, b) in acc.1.iter_mut().zip(grad.iter()) {
                a.merge(b);
            }
        },
    );
    match total {
        Ok((value, grad)) => (value.value(), grad.map(|s| s.value())),
        Err(_) => (f64::NAN, [f64::NAN; K]),
    }
}

/// Maximise a penalised likelihood over log parameters and report it in natural ones.
///
/// `ll(p, grad)` is the weighted total log-likelihood at natural parameters `p` (in the
/// scale the optimiser sees) with its gradient; `total_weight` normalises it to a mean;
/// `start` are natural starting values. Returns the optimiser's outcome and the estimates.
pub(crate) fn maximise<const K: usize, L>(
    ll: L,
    total_weight: f64,
    start: [f64; K],
    penalizer: f64,
    params: &Checked<FitParams>,
    stop: &Interrupt,
) -> CoreResult<(crate::optim::Minimum, [f64; K])>
where
    L: Fn(&[f64; K], &mut [f64; K]) -> f64,
{
    let objective = |theta: &[f64], g: &mut [f64]| {
        let mut p = [0.0; K];
        for (pi, t) in p.iter_mut().zip(theta) {
            *pi = t.exp();
        }
        let mut grad = [0.0; K];
        let value = ll(&p, &mut grad);
        let mut penalty = 0.0;
        for k in 0..K {
            penalty += p[k] * p[k];
            // d/dtheta = p * d/dp; minimise the mean negative log-likelihood + penalty.
            g[k] = p[k] * (-grad[k] / total_weight + 2.0 * penalizer * p[k]);
        }
        -value / total_weight + penalizer * penalty
    };
    let theta0: Vec<f64> = start
        .iter()
        .map(|v| v.ln().clamp(-LOG_BOUND, LOG_BOUND))
        .collect();
    let opts = MinimizeOptions {
        max_iter: params.max_iter,
        gtol: params.tol,
        lower: vec![-LOG_BOUND; K],
        upper: vec![LOG_BOUND; K],
        max_step: 3.0,
    };
    let m = minimize(objective, &theta0, &opts);
    // A stop makes the objective NaN: whatever the optimiser made of that, report the stop.
    stop.check()?;
    let m = m?;
    let mut p = [0.0; K];
    for (pi, t) in p.iter_mut().zip(&m.x) {
        *pi = t.exp();
    }
    Ok((m, p))
}

/// Observed information and covariance of the natural parameters from a gradient.
pub(crate) fn information<const K: usize, G>(grad: G, p: &[f64; K]) -> (Vec<f64>, Vec<f64>)
where
    G: Fn(&[f64; K], &mut [f64; K]),
{
    let hessian = hessian_from_gradient(
        |q: &[f64], out: &mut [f64]| {
            let mut qq = [0.0; K];
            qq.copy_from_slice(q);
            let mut g = [0.0; K];
            grad(&qq, &mut g);
            // The negative log-likelihood's gradient.
            for (o, gi) in out.iter_mut().zip(g) {
                *o = -gi;
            }
        },
        p,
        1e-5,
    );
    let covariance = invert_spd(&hessian, K).unwrap_or_else(|| vec![f64::NAN; K * K]);
    (hessian, covariance)
}

/// Fit a purchase-count model to customer histories (see the module docs).
///
/// A stop requested through `stop` ends the fit within one block of customers
/// ([`CoreError::Interrupted`]).
pub fn fit(
    model: Model,
    customers: &Customers,
    params: &Checked<FitParams>,
    stop: &Interrupt,
) -> CoreResult<Fit> {
    let n = customers.x.len();
    if n == 0 {
        return Err(CoreError::EmptyInput("no customers".into()));
    }
    let t_max = customers.t.iter().fold(0.0f64, |m, &v| m.max(v));
    if t_max.is_nan() || t_max <= 0.0 {
        return Err(invalid(
            "T",
            "every customer has T = 0: no time has passed since any first purchase",
        ));
    }
    if customers.x.iter().all(|&x| x == 0.0) {
        return Err(invalid(
            "frequency",
            "no customer made a repeat purchase (every frequency is 0): the purchase rate \
             cannot be estimated",
        ));
    }
    let scale = 1.0 / t_max;
    let scaled = model.time_scaled();
    let total_weight: f64 = customers.weight.iter().sum();
    let ll_at = |p: &[f64; 4], s: f64, g: &mut [f64; 4]| {
        total_log_likelihood::<4, _>(n, stop, |i, gi| {
            let w = customers.weight[i];
            let v = model.log_likelihood(
                p,
                customers.x[i],
                customers.t_x[i] * s,
                customers.t[i] * s,
                gi,
            );
            for v in gi.iter_mut() {
                *v *= w;
            }
            w * v
        })
        .into_pair(g)
    };
    let start = match &params.init {
        Some(init) => {
            if init.len() != 4 {
                return Err(CoreError::ShapeMismatch {
                    what: "initial_params",
                    expected: 4,
                    got: init.len(),
                });
            }
            let mut p = [0.0; 4];
            for k in 0..4 {
                p[k] = if scaled[k] { init[k] * scale } else { init[k] };
            }
            p
        }
        None => [1.0; 4],
    };
    let (m, p_scaled) = maximise(
        |p, g| ll_at(p, scale, g),
        total_weight,
        start,
        params.penalizer,
        params,
        stop,
    )?;
    let mut p = p_scaled;
    for k in 0..4 {
        if scaled[k] {
            p[k] /= scale;
        }
    }
    let mut g = [0.0; 4];
    let log_likelihood = ll_at(&p, 1.0, &mut g);
    let (hessian, covariance) = information(
        |q, out| {
            ll_at(q, 1.0, out);
        },
        &p,
    );
    stop.check()?;
    Ok(Fit {
        params: p.to_vec(),
        log_likelihood,
        n_iter: m.n_iter,
        status: m.status,
        grad_norm: m.projected_grad,
        at_bound: m.at_bound,
        hessian,
        covariance,
        n_customers: total_weight,
    })
}

/// `(value, gradient)` written into a caller's gradient buffer.
trait IntoPair<const K: usize> {
    fn into_pair(self, g: &mut [f64; K]) -> f64;
}

impl<const K: usize> IntoPair<K> for (f64, [f64; K]) {
    fn into_pair(self, g: &mut [f64; K]) -> f64 {
        *g = self.1;
        self.0
    }
}

/// The logistic function `1 / (1 + e^-z)`, accurate in both tails (`0` at `-inf`, `1` at
/// `+inf`).
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(e^a + e^b)` without overflow (either may be `-inf`).
pub(crate) fn log_add_exp(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((a - m).exp() + (b - m).exp()).ln()
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::Model;

    /// Central differences of a model's log-likelihood against its analytic gradient.
    pub fn check_gradient(model: Model, p: [f64; 4], x: f64, t_x: f64, t: f64) {
        let mut g = [0.0; 4];
        model.log_likelihood(&p, x, t_x, t, &mut g);
        for k in 0..4 {
            // Five-point central differences: truncation error O(h^4), so the step can be
            // large enough that rounding in the likelihood (a few ulps of a value that
            // loses digits when s and beta are large) stays far below the tolerance.
            let h = 1e-3 * p[k];
            let mut scratch = [0.0; 4];
            let mut at = |step: f64| {
                let mut q = p;
                q[k] += step;
                model.log_likelihood(&q, x, t_x, t, &mut scratch)
            };
            let fd = (8.0 * (at(h) - at(-h)) - (at(2.0 * h) - at(-2.0 * h))) / (12.0 * h);
            assert!(
                (g[k] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
                "{model:?} d/d{} at x={x} t_x={t_x} T={t}: analytic {} vs numeric {fd}",
                model.names()[k],
                g[k]
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compress_merges_equal_rows() {
        let c = compress(&[1.0, 0.0, 1.0], &[2.0, 0.0, 2.0], &[5.0, 5.0, 5.0], None).unwrap();
        assert_eq!(c.x, vec![0.0, 1.0]);
        assert_eq!(c.weight, vec![1.0, 2.0]);
    }

    #[test]
    fn bad_histories_are_errors() {
        assert!(compress(&[1.5], &[1.0], &[2.0], None).is_err());
        assert!(compress(&[1.0], &[3.0], &[2.0], None).is_err());
        assert!(compress(&[0.0], &[1.0], &[2.0], None).is_err());
        assert!(compress(&[-1.0], &[0.0], &[2.0], None).is_err());
        assert!(compress(&[], &[], &[], None).is_err());
    }

    /// Unpenalized fit settings of the tests below.
    fn plain_params() -> Checked<FitParams> {
        FitParams {
            penalizer: 0.0,
            max_iter: 100,
            tol: 1e-7,
            init: None,
        }
        .check()
        .unwrap()
    }

    #[test]
    fn no_repeat_buyers_cannot_be_fitted() {
        let c = compress(&[0.0, 0.0], &[0.0, 0.0], &[3.0, 4.0], None).unwrap();
        let params = plain_params();
        assert!(matches!(
            fit(Model::BetaGeo, &c, &params, &Interrupt::new()),
            Err(CoreError::InvalidParameter {
                name: "frequency",
                ..
            })
        ));
    }

    #[test]
    fn a_requested_stop_ends_the_fit() {
        let c = compress(&[0.0, 2.0, 5.0], &[0.0, 3.0, 8.0], &[9.0, 9.0, 10.0], None).unwrap();
        let params = plain_params();
        let stop = Interrupt::new();
        stop.request();
        for model in [Model::BetaGeo, Model::ParetoNbd] {
            assert_eq!(fit(model, &c, &params, &stop), Err(CoreError::Interrupted));
        }
        assert_eq!(
            gammagamma::fit(&[1.0, 2.0], &[3.0, 5.0], None, &params, &stop),
            Err(CoreError::Interrupted)
        );
    }
}
