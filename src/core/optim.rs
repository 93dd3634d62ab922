//! Minimising a smooth function of a few parameters, and its observed information.
//!
//! * [`minimize`]: BFGS with box bounds (a projected quasi-Newton method): variables held at
//!   a bound by their gradient are frozen for the step, the step is projected onto the box,
//!   and an Armijo backtracking line search with safeguarded quadratic interpolation accepts
//!   it. The curvature pair of a step updates the inverse Hessian only when `s'y > 0`, so
//!   the approximation stays positive definite. Converged means the projected gradient's
//!   largest entry is at most `gtol`; anything else is reported as such ([`Status`]), never
//!   dressed up as an optimum.
//! * [`hessian_from_gradient`]: the Hessian by central differences of an analytic gradient
//!   (for the standard errors of maximum-likelihood estimates), and [`invert_spd`], the
//!   inverse of a small symmetric positive definite matrix by Cholesky.
//!
//! Shared (not in a feature folder) so that every model fitted by maximum likelihood uses
//! the same optimiser. Models with positive parameters optimise their logarithms (the
//! bounds then keep the parameters inside a range where the likelihood is computable).

use crate::{CoreError, CoreResult};

/// Armijo's sufficient-decrease constant.
const C1: f64 = 1e-4;
/// Backtracking steps tried before the line search gives up.
const MAX_BACKTRACK: usize = 60;

/// How [`minimize`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The projected gradient is below `gtol`.
    Converged,
    /// `max_iter` iterations ran out first.
    MaxIter,
    /// No step along the search direction lowered the function (often: the optimum is
    /// flat or at a bound, or `gtol` is below what the function's rounding allows).
    LineSearchFailed,
    /// The function fell by less than [`FLAT_RTOL`] of its size on [`FLAT_ITERATIONS`]
    /// steps in a row while the gradient stayed above `gtol`: a ridge or a supremum at
    /// infinity (a parameter running off), where more steps buy nothing.
    Flat,
}

/// A step "buys nothing" when the function falls by less than this share of its size.
pub const FLAT_RTOL: f64 = 1e-13;
/// Consecutive such steps after which [`minimize`] stops with [`Status::Flat`].
pub const FLAT_ITERATIONS: usize = 20;

impl Status {
    /// A short explanation for convergence reports.
    pub fn describe(self) -> &'static str {
        match self {
            Status::Converged => "converged",
            Status::MaxIter => "reached max_iter before the gradient fell below tol",
            Status::LineSearchFailed => {
                "the line search found no lower value before the gradient fell below tol"
            }
            Status::Flat => {
                "the objective stopped decreasing (a flat ridge or a parameter running off) \
                 before the gradient fell below tol"
            }
        }
    }
}

/// Settings of [`minimize`].
#[derive(Clone, Debug, PartialEq)]
pub struct MinimizeOptions {
    /// Iterations (accepted steps) at most.
    pub max_iter: usize,
    /// Converged when every entry of the projected gradient is at most this in size.
    pub gtol: f64,
    /// Lower bound of each variable (`-inf` for none).
    pub lower: Vec<f64>,
    /// Upper bound of each variable (`inf` for none).
    pub upper: Vec<f64>,
    /// Largest change of any variable in one step (keeps the first steps sane).
    pub max_step: f64,
}

/// The outcome of [`minimize`].
#[derive(Clone, Debug, PartialEq)]
pub struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// The function's value there.
    pub value: f64,
    /// The gradient there.
    pub grad: Vec<f64>,
    /// Largest entry of the projected gradient there.
    pub projected_grad: f64,
    /// Accepted steps.
    pub n_iter: usize,
    /// Function (and gradient) evaluations.
    pub n_eval: usize,
    /// Why it stopped.
    pub status: Status,
    /// Which variables ended on a bound.
    pub at_bound: Vec<bool>,
}

fn project(x: &mut [f64], lower: &[f64], upper: &[f64]) {
    for ((v, &lo), &hi) in x.iter_mut().zip(lower).zip(upper) {
        *v = v.clamp(lo, hi);
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Variables a bound holds: at the bound with the gradient pointing out of the box.
fn held(x: &[f64], g: &[f64], lower: &[f64], upper: &[f64]) -> Vec<bool> {
    (0..x.len())
        .map(|i| (x[i] <= lower[i] && g[i] > 0.0) || (x[i] >= upper[i] && g[i] < 0.0))
        .collect()
}

fn projected_norm(g: &[f64], held: &[bool]) -> f64 {
    g.iter()
        .zip(held)
        .filter(|(_, &h)| !h)
        .fold(0.0, |m, (v, _)| m.max(v.abs()))
}

/// Minimise `objective` (which writes the gradient into its second argument and returns
/// the value; a NaN or infinite value counts as "too far") from `x0` inside the box.
///
/// Errors only on bad settings or when the function is not finite at the (projected)
/// starting point; a run that does not converge returns its best point with its
/// [`Status`].
pub fn minimize<F>(mut objective: F, x0: &[f64], opts: &MinimizeOptions) -> CoreResult<Minimum>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x0.len();
    if opts.lower.len() != n || opts.upper.len() != n {
        return Err(CoreError::ShapeMismatch {
            what: "bounds",
            expected: n,
            got: opts.lower.len().min(opts.upper.len()),
        });
    }
    if opts
        .lower
        .iter()
        .zip(&opts.upper)
        .any(|(lo, hi)| lo.is_nan() || hi.is_nan() || lo > hi)
    {
        return Err(CoreError::InvalidParameter {
            name: "bounds",
            reason: "every lower bound must be <= its upper bound".into(),
        });
    }
    let mut x = x0.to_vec();
    project(&mut x, &opts.lower, &opts.upper);
    let mut g = vec![0.0; n];
    let mut f = objective(&x, &mut g);
    let mut n_eval = 1;
    if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Err(CoreError::NonFinite(format!(
            "the objective is not finite at the starting point {x:?}"
        )));
    }
    // Inverse Hessian approximation, row-major n x n.
    let identity = |h: &mut Vec<f64>| {
        h.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..n {
            h[i * n + i] = 1.0;
        }
    };
    let mut h = vec![0.0; n * n];
    identity(&mut h);
    let mut fresh = true;
    let mut status = Status::MaxIter;
    let mut n_iter = 0;
    let mut flat_steps = 0;
    let (mut x_new, mut g_new, mut d) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    while n_iter < opts.max_iter {
        let frozen = held(&x, &g, &opts.lower, &opts.upper);
        if projected_norm(&g, &frozen) <= opts.gtol {
            status = Status::Converged;
            break;
        }
        for i in 0..n {
            d[i] = if frozen[i] {
                0.0
            } else {
                -(0..n)
                    .filter(|&j| !frozen[j])
                    .map(|j| h[i * n + j] * g[j])
                    .sum::<f64>()
            };
        }
        if dot(&g, &d) >= 0.0 {
            identity(&mut h);
            fresh = true;
            for i in 0..n {
                d[i] = if frozen[i] { 0.0 } else { -g[i] };
            }
        }
        let longest = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if longest > opts.max_step {
            d.iter_mut().for_each(|v| *v *= opts.max_step / longest);
        }
        // Armijo backtracking along the projected path x(t) = P(x + t d).
        let mut t = 1.0;
        let mut accepted = false;
        let mut f_new = f64::INFINITY;
        for _ in 0..MAX_BACKTRACK {
            for i in 0..n {
                x_new[i] = x[i] + t * d[i];
            }
            project(&mut x_new, &opts.lower, &opts.upper);
            let step: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
            let slope = dot(&g, &step);
            if step.iter().all(|s| *s == 0.0) {
                break;
            }
            f_new = objective(&x_new, &mut g_new);
            n_eval += 1;
            let finite = f_new.is_finite() && g_new.iter().all(|v| v.is_finite());
            if finite && f_new <= f + C1 * slope {
                accepted = true;
                break;
            }
            // Minimum of the quadratic through f, the slope and f_new, kept in [0.1, 0.5] t.
            let shrink = if finite && slope < 0.0 {
                let q = -slope * t / (2.0 * (f_new - f - slope));
                (q / t).clamp(0.1, 0.5)
            } else {
                0.1
            };
            t *= shrink;
        }
        if !accepted {
            if fresh {
                status = Status::LineSearchFailed;
                break;
            }
            // A stale curvature model: restart from steepest descent once.
            identity(&mut h);
            fresh = true;
            continue;
        }
        n_iter += 1;
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            if fresh {
                // Scale the identity to the curvature just seen (Nocedal & Wright 6.20).
                let scale = sy / dot(&y, &y);
                h.iter_mut().for_each(|v| *v *= scale);
                fresh = false;
            }
            bfgs_update(&mut h, &s, &y, sy);
        }
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        let decrease = f - f_new;
        f = f_new;
        if decrease <= FLAT_RTOL * f.abs().max(1.0) {
            flat_steps += 1;
            if flat_steps >= FLAT_ITERATIONS {
                status = Status::Flat;
                break;
            }
        } else {
            flat_steps = 0;
        }
    }
    let frozen = held(&x, &g, &opts.lower, &opts.upper);
    let projected_grad = projected_norm(&g, &frozen);
    if status != Status::Converged && projected_grad <= opts.gtol {
        status = Status::Converged;
    }
    let at_bound = (0..n)
        .map(|i| x[i] <= opts.lower[i] || x[i] >= opts.upper[i])
        .collect();
    Ok(Minimum {
        x,
        value: f,
        grad: g,
        projected_grad,
        n_iter,
        n_eval,
        status,
        at_bound,
    })
}

/// `H <- (I - rho s y') H (I - rho y s') + rho s s'` with `rho = 1 / s'y`.
fn bfgs_update(h: &mut [f64], s: &[f64], y: &[f64], sy: f64) {
    let n = s.len();
    let rho = 1.0 / sy;
    let hy: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| h[i * n + j] * y[j]).sum())
        .collect();
    let yhy = dot(y, &hy);
    for i in 0..n {
        for j in 0..n {
            h[i * n + j] +=
                -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
        }
    }
}

/// The Hessian (row-major) of a function at `x` by central differences of its analytic
/// `gradient`, with step `rel_step * max(|x_i|, 1e-8)` in variable `i`; symmetrised.
pub fn hessian_from_gradient<G>(mut gradient: G, x: &[f64], rel_step: f64) -> Vec<f64>
where
    G: FnMut(&[f64], &mut [f64]),
{
    let n = x.len();
    let mut hess = vec![0.0; n * n];
    let (mut up, mut down) = (vec![0.0; n], vec![0.0; n]);
    let mut point = x.to_vec();
    for i in 0..n {
        let step = rel_step * x[i].abs().max(1e-8);
        point[i] = x[i] + step;
        gradient(&point, &mut up);
        point[i] = x[i] - step;
        gradient(&point, &mut down);
        point[i] = x[i];
        for j in 0..n {
            hess[i * n + j] = (up[j] - down[j]) / (2.0 * step);
        }
    }
    for i in 0..n {
        for j in 0..i {
            let mean = 0.5 * (hess[i * n + j] + hess[j * n + i]);
            hess[i * n + j] = mean;
            hess[j * n + i] = mean;
        }
    }
    hess
}

/// The inverse of a symmetric positive definite `n x n` matrix (row-major) by Cholesky,
/// or `None` when it is not positive definite (or not finite).
pub fn invert_spd(a: &[f64], n: usize) -> Option<Vec<f64>> {
    if a.len() != n * n || a.iter().any(|v| !v.is_finite()) {
        return None;
    }
    // a = L L'.
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = a[i * n + j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    // Columns of the inverse: solve L L' x = e_c.
    let mut inv = vec![0.0; n * n];
    let mut z = vec![0.0; n];
    for c in 0..n {
        for i in 0..n {
            let e = if i == c { 1.0 } else { 0.0 };
            z[i] = (e - (0..i).map(|k| l[i * n + k] * z[k]).sum::<f64>()) / l[i * n + i];
        }
        for i in (0..n).rev() {
            let v = (z[i]
                - (i + 1..n)
                    .map(|k| l[k * n + i] * inv[k * n + c])
                    .sum::<f64>())
                / l[i * n + i];
            inv[i * n + c] = v;
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(n: usize, lo: f64, hi: f64) -> MinimizeOptions {
        MinimizeOptions {
            max_iter: 500,
            gtol: 1e-10,
            lower: vec![lo; n],
            upper: vec![hi; n],
            max_step: 10.0,
        }
    }

    fn rosenbrock(x: &[f64], g: &mut [f64]) -> f64 {
        let (a, b) = (x[0], x[1]);
        g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
        g[1] = 200.0 * (b - a * a);
        (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
    }

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let m = minimize(rosenbrock, &[-1.2, 1.0], &opts(2, -10.0, 10.0)).unwrap();
        assert_eq!(m.status, Status::Converged);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-8 && (m.x[1] - 1.0).abs() < 1e-8,
            "{:?}",
            m.x
        );
    }

    #[test]
    fn stops_when_the_objective_is_flat() {
        // exp(-x) has its infimum at infinity; with gtol = 0 only the flat rule stops it.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = -(-x[0]).exp();
            (-x[0]).exp()
        };
        let mut o = opts(1, 0.0, f64::INFINITY);
        o.gtol = 0.0;
        let m = minimize(f, &[0.0], &o).unwrap();
        assert_eq!(m.status, Status::Flat);
        assert!(m.n_iter < 100 && m.x[0] > 20.0, "{m:?}");
    }

    #[test]
    fn stops_on_an_active_bound() {
        // min (x - 3)^2 + (y + 1)^2 on [0, 2]^2 is at (2, 0): both held by bounds.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * (x[0] - 3.0);
            g[1] = 2.0 * (x[1] + 1.0);
            (x[0] - 3.0).powi(2) + (x[1] + 1.0).powi(2)
        };
        let m = minimize(f, &[1.0, 1.0], &opts(2, 0.0, 2.0)).unwrap();
        assert_eq!(m.status, Status::Converged);
        assert_eq!(m.x, vec![2.0, 0.0]);
        assert_eq!(m.at_bound, vec![true, true]);
    }

    #[test]
    fn reports_running_out_of_iterations() {
        let mut o = opts(2, -10.0, 10.0);
        o.max_iter = 3;
        let m = minimize(rosenbrock, &[-1.2, 1.0], &o).unwrap();
        assert_eq!(m.status, Status::MaxIter);
        assert_eq!(m.n_iter, 3);
    }

    #[test]
    fn non_finite_start_is_an_error() {
        let f = |_: &[f64], _: &mut [f64]| f64::NAN;
        assert!(matches!(
            minimize(f, &[0.0], &opts(1, -1.0, 1.0)),
            Err(CoreError::NonFinite(_))
        ));
    }

    #[test]
    fn hessian_and_inverse_of_a_quadratic() {
        // f = x'Ax / 2 with A = [[4, 1], [1, 3]]: Hessian A, inverse [[3, -1], [-1, 4]] / 11.
        let grad = |x: &[f64], g: &mut [f64]| {
            g[0] = 4.0 * x[0] + x[1];
            g[1] = x[0] + 3.0 * x[1];
        };
        let h = hessian_from_gradient(grad, &[0.3, -2.0], 1e-5);
        for (got, want) in h.iter().zip([4.0, 1.0, 1.0, 3.0]) {
            assert!((got - want).abs() < 1e-8);
        }
        let inv = invert_spd(&h, 2).unwrap();
        for (got, want) in inv
            .iter()
            .zip([3.0 / 11.0, -1.0 / 11.0, -1.0 / 11.0, 4.0 / 11.0])
        {
            assert!((got - want).abs() < 1e-8);
        }
        assert!(invert_spd(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }
}
