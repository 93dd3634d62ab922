//! Mini-batch k-means (scikit-learn 1.9's `MiniBatchKMeans`): batches drawn with
//! probability proportional to the sample weight, per-centre learning rates from the
//! accumulated weights, random reassignment of low-weight centres, early stopping on an
//! exponentially weighted average of the batch inertia.
//!
//! The random streams are segwise's own (xoshiro256++), so batches differ from
//! scikit-learn's; quality is comparable, results are not bit-equal to it. A run is
//! sequential over batches (each step is small); the final labelling pass is parallel.

use rand::seq::index::sample as sample_indices;
use rand::Rng;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::common::{assign_labels_inertia, CentreBlocks, Data, STOP_ROWS};
use super::init::{kmeans_plusplus, random_rows, restart_rng, run_restarts, RestartStreams};
use super::{check_data, checked_tolerance, contiguous_data, param, Init};
use crate::error::check_weights;
use crate::numerics::{simd::with_avx2, try_with_capacity, Float};
use crate::params::{at_least, finite_non_negative, Checked, Params};
use crate::{CoreError, CoreResult, Interrupt};
use ndarray::{Array1, Array2, ArrayView2};

/// Hyper-parameters of [`fit`] (scikit-learn's names and meanings).
#[derive(Debug, Clone)]
pub struct MiniBatchParams {
    /// Number of clusters.
    pub n_clusters: usize,
    /// Passes over the data: `max_iter * n / batch_size` steps at most.
    pub max_iter: usize,
    /// Rows per batch (capped at `n`).
    pub batch_size: usize,
    /// Relative tolerance on the squared centre change per step (0 disables it).
    pub tol: f64,
    /// Stop after this many steps without improvement of the smoothed inertia.
    pub max_no_improvement: Option<usize>,
    /// Rows sampled to initialise (default `3 * batch_size`, at least `3 * k`).
    pub init_size: Option<usize>,
    /// Initialisations compared on a validation sample.
    pub n_init: usize,
    /// Centres whose accumulated weight is below this fraction of the largest are moved
    /// onto random batch rows.
    pub reassignment_ratio: f64,
    /// Whether to label all rows at the end (else the inertia is estimated).
    pub compute_labels: bool,
    /// Seed of the random streams.
    pub seed: u64,
}

impl Params for MiniBatchParams {
    fn validate(&self) -> CoreResult<()> {
        at_least("n_clusters", self.n_clusters, 1)?;
        at_least("max_iter", self.max_iter, 1)?;
        at_least("batch_size", self.batch_size, 1)?;
        at_least("n_init", self.n_init, 1)?;
        finite_non_negative("reassignment_ratio", self.reassignment_ratio)?;
        finite_non_negative("tol", self.tol)
    }
}

/// [`MiniBatchParams`] that passed [`Params::check`]: what [`fit`] takes.
pub type MiniBatchValidParams = Checked<MiniBatchParams>;

/// Result of [`fit`].
#[derive(Debug, Clone)]
pub struct MiniBatchFit<F> {
    /// Centres `(k, d)`.
    pub centres: Array2<F>,
    /// Accumulated weight per centre (the learning-rate state for `partial_fit`).
    pub counts: Array1<f64>,
    /// Labels of all rows against the final centres (when `compute_labels`).
    pub labels: Option<Array1<i32>>,
    /// Inertia of all rows (exact when `compute_labels`, else the smoothed estimate).
    pub inertia: f64,
    /// Batches processed.
    pub n_steps: usize,
    /// Passes over the data, `ceil(n_steps * batch_size / n)`.
    pub n_iter: usize,
    /// Rows seen since the last reassignment check (state for `partial_fit`).
    pub n_since_last_reassign: usize,
}

/// Centres from `init` computed on `data` (all rows) with `rng`.
pub(crate) fn init_centres<F: Float>(
    data: &Data<'_, F>,
    k: usize,
    init: &Init<'_, F>,
    restart: usize,
    rng: &mut Xoshiro256PlusPlus,
    stop: &Interrupt,
) -> CoreResult<Vec<F>> {
    match init {
        Init::KMeansPlusPlus => Ok(kmeans_plusplus(data, k, rng, stop)?.centres),
        Init::Random => random_rows(data, k, rng),
        Init::Given(arr) => {
            let r = restart.min(arr.dim().0.saturating_sub(1));
            Ok(arr
                .index_axis(ndarray::Axis(0), r)
                .iter()
                .copied()
                .collect())
        }
    }
}

/// One mini-batch update (scikit-learn's `_mini_batch_step`) on the rows `batch`
/// (`b * d`, weights `w`), updating `centres` and `counts` in place. Returns the batch
/// inertia (against the centres before the update) and the squared centre change.
/// Checks `stop` every [`STOP_ROWS`] rows of the batch (before their arithmetic and
/// before any centre moves: a stopped step leaves `centres` and `counts` unchanged).
#[allow(clippy::too_many_arguments)]
pub fn step<F: Float>(
    batch: &[F],
    w: Option<&[f64]>,
    b: usize,
    d: usize,
    centres: &mut [F],
    counts: &mut [f64],
    random_reassign: bool,
    reassignment_ratio: f64,
    rng: &mut Xoshiro256PlusPlus,
    stop: &Interrupt,
) -> CoreResult<(f64, f64)> {
    let k = counts.len();
    let data = Data {
        x: batch,
        n: b,
        d,
        w,
    };
    let blocks = CentreBlocks::new(centres, k, d);
    let mut labels = vec![0usize; b];
    let mut sums = vec![0.0f64; k * d];
    let mut wsum = vec![0.0f64; k];
    let inertia = with_avx2(
        #[inline(always)]
        || {
            let mut buf = vec![F::zero(); blocks.padded()];
            let mut inertia = 0.0;
            for (i, lab) in labels.iter_mut().enumerate() {
                if i % STOP_ROWS == 0 {
                    stop.check()?;
                }
                let row = data.row(i);
                let (c, dist) = blocks.closest(row, &mut buf);
                *lab = c;
                let wi = data.weight(i);
                inertia += dist.to_f64() * wi;
                wsum[c] += wi;
                for (s, &v) in sums[c * d..(c + 1) * d].iter_mut().zip(row) {
                    *s += v.to_f64() * wi;
                }
            }
            Ok(inertia)
        },
    )?;
    let shift = update_centres(
        centres,
        counts,
        (&sums, &wsum),
        b,
        (random_reassign, reassignment_ratio),
        rng,
        |row, out| out.copy_from_slice(data.row(row)),
    );
    Ok((inertia, shift))
}

/// The M-step half of [`step`] (shared with the sparse step): move each centre with
/// batch weight `wsum[c] > 0` to the running mean of its accumulated weight `counts[c]`
/// and the batch sums, then (when `reassign.0`) move the centres whose count is below
/// `reassign.1` times the largest onto random rows of the batch (`copy_row(r, out)`
/// writes batch row `r`). Returns the squared centre change.
pub(crate) fn update_centres<F: Float>(
    centres: &mut [F],
    counts: &mut [f64],
    (sums, wsum): (&[f64], &[f64]),
    b: usize,
    (random_reassign, reassignment_ratio): (bool, f64),
    rng: &mut Xoshiro256PlusPlus,
    copy_row: impl Fn(usize, &mut [F]),
) -> f64 {
    let k = counts.len();
    let d = centres.len() / k.max(1);
    let old: Vec<F> = centres.to_vec();
    for c in 0..k {
        if wsum[c] > 0.0 {
            let total = counts[c] + wsum[c];
            for j in 0..d {
                let v = (centres[c * d + j].to_f64() * counts[c] + sums[c * d + j]) / total;
                centres[c * d + j] = F::from_f64(v);
            }
            counts[c] = total;
        }
    }
    if random_reassign && reassignment_ratio > 0.0 {
        let max = counts.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut to_reassign: Vec<bool> = counts
            .iter()
            .map(|&c| c < reassignment_ratio * max)
            .collect();
        let limit = b / 2;
        if to_reassign.iter().filter(|&&t| t).count() > limit {
            // keep only the `limit` lowest counts (stable: lowest index first on ties)
            let mut order: Vec<usize> = (0..k).collect();
            order.sort_by(|&a, &c| counts[a].total_cmp(&counts[c]).then(a.cmp(&c)));
            for &c in &order[limit..] {
                to_reassign[c] = false;
            }
        }
        let targets: Vec<usize> = (0..k).filter(|&c| to_reassign[c]).collect();
        if !targets.is_empty() {
            let picks = sample_indices(rng, b, targets.len().min(b));
            for (&c, row) in targets.iter().zip(picks.iter()) {
                copy_row(row, &mut centres[c * d..(c + 1) * d]);
            }
            let floor = counts
                .iter()
                .zip(&to_reassign)
                .filter(|(_, &t)| !t)
                .map(|(&c, _)| c)
                .fold(f64::INFINITY, f64::min);
            if floor.is_finite() {
                for &c in &targets {
                    counts[c] = floor;
                }
            }
        }
    }
    old.iter()
        .zip(centres.iter())
        .map(|(&a, &b)| {
            let t = a.to_f64() - b.to_f64();
            t * t
        })
        .sum()
}

/// scikit-learn's `_mini_batch_convergence`: an exponentially weighted average of the
/// batch inertia per row, stopped by a small centre change (`tol`) or by
/// `max_no_improvement` steps without a new minimum of the average.
pub(crate) struct EarlyStop {
    /// The smoothed batch inertia per row (None before the second step).
    pub ewa: Option<f64>,
    ewa_min: Option<f64>,
    no_improvement: usize,
}

impl EarlyStop {
    pub(crate) fn new() -> Self {
        EarlyStop {
            ewa: None,
            ewa_min: None,
            no_improvement: 0,
        }
    }

    /// Record step `i` (its batch inertia and squared centre change); true to stop.
    pub(crate) fn stop_after(
        &mut self,
        i: usize,
        (batch_inertia, shift): (f64, f64),
        (batch, n): (usize, usize),
        tol: f64,
        max_no_improvement: Option<usize>,
    ) -> bool {
        if i == 0 {
            return false;
        }
        let bi = batch_inertia / batch as f64;
        let alpha = (batch as f64 * 2.0 / (n as f64 + 1.0)).min(1.0);
        let e = match self.ewa {
            None => bi,
            Some(e) => e * (1.0 - alpha) + bi * alpha,
        };
        self.ewa = Some(e);
        if tol > 0.0 && shift <= tol {
            return true;
        }
        if self.ewa_min.is_none_or(|m| e < m) {
            self.no_improvement = 0;
            self.ewa_min = Some(e);
        } else {
            self.no_improvement += 1;
        }
        max_no_improvement.is_some_and(|m| self.no_improvement >= m)
    }
}

/// Draw `b` row indices with replacement, with probability proportional to `cum`'s
/// increments (`cum` is the running sum of the weights).
pub(crate) fn draw_weighted(
    cum: &[f64],
    b: usize,
    rng: &mut Xoshiro256PlusPlus,
    out: &mut Vec<usize>,
) {
    out.clear();
    let total = cum.last().copied().unwrap_or(0.0);
    let last = cum.len().saturating_sub(1);
    for _ in 0..b {
        let t = rng.gen::<f64>() * total;
        out.push(cum.partition_point(|&c| c <= t).min(last));
    }
}

/// Resolved batch and init sizes (scikit-learn's `_check_params_vs_input`).
pub fn effective_sizes(params: &MiniBatchParams, n: usize) -> (usize, usize) {
    let batch = params.batch_size.min(n).max(1);
    let k = params.n_clusters;
    let mut init_size = match params.init_size {
        None if 3 * batch < k => 3 * k,
        None => 3 * batch,
        Some(s) if s < k => 3 * k,
        Some(s) => s,
    };
    init_size = init_size.min(n);
    (batch, init_size)
}

/// Fit mini-batch k-means on `x` with optional weights. Checks `stop` before each
/// initialisation and each batch ([`CoreError::Interrupted`]).
pub fn fit<F: Float>(
    x: ArrayView2<'_, F>,
    weights: Option<&[f64]>,
    params: &MiniBatchValidParams,
    init: &Init<'_, F>,
    stop: &Interrupt,
) -> CoreResult<MiniBatchFit<F>> {
    let k = params.n_clusters;
    let (n, d) = x.dim();
    let xs = contiguous_data(&x, "X")?;
    check_shapes(n, d, k, init)?;
    check_weights(weights, n)?;
    let data = Data {
        x: xs,
        n,
        d,
        w: weights,
    };
    let tol = checked_tolerance(&data, params.tol)?;
    let (batch, init_size) = effective_sizes(params, n);
    let mut rng = restart_rng(params.seed, 0);

    // Validation rows for comparing initialisations.
    let gather = |idx: &[usize]| -> (Vec<F>, Option<Vec<f64>>) {
        let mut rows = Vec::with_capacity(idx.len() * d);
        for &i in idx {
            rows.extend_from_slice(data.row(i));
        }
        (rows, weights.map(|w| idx.iter().map(|&i| w[i]).collect()))
    };
    let valid_idx: Vec<usize> = (0..init_size).map(|_| rng.gen_range(0..n)).collect();
    let (valid_x, valid_w) = gather(&valid_idx);
    let valid = Data {
        x: &valid_x,
        n: init_size,
        d,
        w: valid_w.as_deref(),
    };
    let candidate = |r: usize, mut irng| -> CoreResult<(Vec<F>, f64)> {
        let centres = match init {
            Init::Given(_) => init_centres(&data, k, init, r, &mut irng, stop)?,
            _ => {
                let idx: Vec<usize> = (0..init_size).map(|_| irng.gen_range(0..n)).collect();
                let (sx, sw) = gather(&idx);
                let sub = Data {
                    x: &sx,
                    n: init_size,
                    d,
                    w: sw.as_deref(),
                };
                init_centres(&sub, k, init, r, &mut irng, stop)?
            }
        };
        let (_, inertia) = assign_labels_inertia(&valid, &centres, k, stop)?;
        Ok((centres, inertia))
    };
    let mut centres = best_start(init, params, stop, candidate)?;

    let mut counts = vec![0.0f64; k];
    let (cum, sum_of_weights) = cumulative_weights(n, |i| data.weight(i))?;
    // max_iter may be huge (a run stopped by tolerance, no-improvement or Ctrl-C).
    let n_steps = params.max_iter.saturating_mul(n) / batch;
    let mut idx = Vec::with_capacity(batch);
    let mut batch_x: Vec<F> = Vec::with_capacity(batch * d);
    let mut early = EarlyStop::new();
    let mut n_since = 0usize;
    let mut steps_done = 0usize;
    for i in 0..n_steps {
        stop.check()?;
        draw_weighted(&cum, batch, &mut rng, &mut idx);
        batch_x.clear();
        for &r in &idx {
            batch_x.extend_from_slice(data.row(r));
        }
        let reassign;
        (n_since, reassign) = advance_clock(n_since, batch, &counts);
        let outcome = step(
            &batch_x,
            None,
            batch,
            d,
            &mut centres,
            &mut counts,
            reassign,
            params.reassignment_ratio,
            &mut rng,
            stop,
        )?;
        steps_done = i + 1;
        if early.stop_after(i, outcome, (batch, n), tol, params.max_no_improvement) {
            break;
        }
    }
    let labelled = if params.compute_labels {
        Some(assign_labels_inertia(&data, &centres, k, stop)?)
    } else {
        None
    };
    let ewa_inertia = early.ewa.unwrap_or(0.0) * sum_of_weights;
    finish(
        centres,
        counts,
        labelled,
        ewa_inertia,
        (steps_done, batch, n, n_since),
    )
}

/// What both mini-batch fits (dense and sparse) check before their first draw: at least
/// `k` rows, and given centres of shape `(k, d)`.
pub(crate) fn check_shapes<F: Float>(
    n: usize,
    d: usize,
    k: usize,
    init: &Init<'_, F>,
) -> CoreResult<()> {
    if n < k {
        return Err(CoreError::NotEnoughSamples {
            n_samples: n,
            n_clusters: k,
        });
    }
    if let Init::Given(arr) = init {
        let (_, kk, dd) = arr.dim();
        if kk != k || dd != d {
            return Err(CoreError::ShapeMismatch {
                what: "init (n_clusters, n_features)",
                expected: k * d,
                got: kk * dd,
            });
        }
    }
    Ok(())
}

/// The starting centres of a mini-batch fit, as scikit-learn chooses them: of the
/// candidates (each given start, or `params.n_init` seedings), the one with the lowest
/// inertia on the validation rows, the first on ties. `candidate(r, rng)` gives candidate
/// `r`'s centres and that inertia.
pub(crate) fn best_start<F: Float>(
    init: &Init<'_, F>,
    params: &MiniBatchValidParams,
    stop: &Interrupt,
    candidate: impl Fn(usize, Xoshiro256PlusPlus) -> CoreResult<(Vec<F>, f64)> + Sync + Send,
) -> CoreResult<Vec<F>> {
    let n_init = match init {
        Init::Given(arr) => arr.dim().0.max(1),
        _ => params.n_init,
    };
    let mut best: Option<(Vec<F>, f64)> = None;
    let mut streams = RestartStreams::new(params.seed, 1);
    run_restarts(n_init, &mut streams, stop, candidate, |cand| {
        if best.as_ref().is_none_or(|b| cand.1 < b.1) {
            best = Some(cand);
        }
    })?;
    best.map(|b| b.0)
        .ok_or_else(|| CoreError::Internal("no initialisation ran".into()))
}

/// The running sums of the `n` row weights (batches are drawn in proportion to them) and
/// their total.
pub(crate) fn cumulative_weights(
    n: usize,
    weight: impl Fn(usize) -> f64,
) -> CoreResult<(Vec<f64>, f64)> {
    let mut cum = try_with_capacity(n, "cumulative weights")?;
    let mut acc = 0.0;
    for i in 0..n {
        acc += weight(i);
        cum.push(acc);
    }
    Ok((cum, acc))
}

/// scikit-learn's reassignment clock after `n` more rows: the clock after, and whether
/// to reassign now (a centre without weight yet, or `>= 10 k` rows since the last
/// reassignment; the clock then restarts at 0).
pub(crate) fn advance_clock(n_since: usize, n: usize, counts: &[f64]) -> (usize, bool) {
    let n_since = n_since + n;
    if counts.contains(&0.0) || n_since >= 10 * counts.len() {
        (0, true)
    } else {
        (n_since, false)
    }
}

/// A mini-batch fit's result from its final state: the labels and inertia of every row
/// (`labelled`, when asked for) or else the smoothed batch inertia scaled to all rows
/// (`ewa_inertia`), and the step count, batch size, rows and reassignment clock.
pub(crate) fn finish<F: Float>(
    centres: Vec<F>,
    counts: Vec<f64>,
    labelled: Option<(Vec<i32>, f64)>,
    ewa_inertia: f64,
    (steps_done, batch, n, n_since): (usize, usize, usize, usize),
) -> CoreResult<MiniBatchFit<F>> {
    let k = counts.len();
    let (labels, inertia) = match labelled {
        Some((labels, inertia)) => (Some(Array1::from_vec(labels)), inertia),
        None => (None, ewa_inertia),
    };
    let d = centres.len() / k.max(1);
    let centres = Array2::from_shape_vec((k, d), centres)
        .map_err(|e| CoreError::Internal(format!("centre shape: {e}")))?;
    Ok(MiniBatchFit {
        centres,
        counts: Array1::from_vec(counts),
        labels,
        inertia,
        n_steps: steps_done,
        n_iter: (steps_done * batch).div_ceil(n),
        n_since_last_reassign: n_since,
    })
}

/// One `partial_fit` step on the rows `x` (with weights), updating `centres` and
/// `counts` in place; `n_since_last_reassign` carries scikit-learn's reassignment clock.
/// The random stream is derived from `seed` and `step_index`. Returns the updated clock.
/// Checks `stop` as [`step`] ([`CoreError::Interrupted`], `centres` and `counts` then
/// unchanged).
#[allow(clippy::too_many_arguments)]
pub fn partial_step<F: Float>(
    x: ArrayView2<'_, F>,
    weights: Option<&[f64]>,
    centres: &mut [F],
    counts: &mut [f64],
    n_since_last_reassign: usize,
    reassignment_ratio: f64,
    seed: u64,
    step_index: u64,
    stop: &Interrupt,
) -> CoreResult<usize> {
    let (n, d) = x.dim();
    let xs = check_data(&x, "X")?;
    let k = counts.len();
    if k == 0 || centres.len() != k * d {
        return Err(CoreError::ShapeMismatch {
            what: "centres (n_clusters * n_features)",
            expected: k * d,
            got: centres.len(),
        });
    }
    check_weights(weights, n)?;
    let (mut rng, n_since, reassign) =
        partial_clock(seed, step_index, n_since_last_reassign, n, counts);
    step(
        xs,
        weights,
        n,
        d,
        centres,
        counts,
        reassign,
        reassignment_ratio,
        &mut rng,
        stop,
    )?;
    Ok(n_since)
}

/// The random stream of `partial_fit` step `step_index`, the reassignment clock after
/// `n` more rows, and whether to reassign (a centre without weight yet, or `>= 10 k` rows
/// since the last reassignment; the clock then restarts).
pub(crate) fn partial_clock(
    seed: u64,
    step_index: u64,
    n_since_last_reassign: usize,
    n: usize,
    counts: &[f64],
) -> (Xoshiro256PlusPlus, usize, bool) {
    let rng =
        Xoshiro256PlusPlus::seed_from_u64(seed ^ step_index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let (n_since, reassign) = advance_clock(n_since_last_reassign, n, counts);
    (rng, n_since, reassign)
}

/// The rows the first `partial_fit` call seeds on, and the random stream it goes on with:
/// `init_size.max(n_clusters)` rows drawn with replacement, or `None` for all rows (given
/// centres, or `init_size >= n`). Errors for `n_clusters == 0` or `n < n_clusters`.
pub(crate) fn initial_sample(
    n: usize,
    n_clusters: usize,
    given: bool,
    init_size: usize,
    seed: u64,
) -> CoreResult<(Option<Vec<usize>>, Xoshiro256PlusPlus)> {
    if n_clusters == 0 {
        return Err(param("n_clusters", "must be >= 1, got 0".into()));
    }
    if n < n_clusters {
        return Err(CoreError::NotEnoughSamples {
            n_samples: n,
            n_clusters,
        });
    }
    let mut rng = restart_rng(seed, 1);
    let sample = (init_size < n && !given).then(|| {
        let size = init_size.max(n_clusters);
        (0..size).map(|_| rng.gen_range(0..n)).collect()
    });
    Ok((sample, rng))
}

/// Initial centres for the first `partial_fit` call: `init` run on `init_size` rows
/// drawn with replacement (all rows when `init_size >= n`), as scikit-learn.
pub fn initial_centres<F: Float>(
    x: ArrayView2<'_, F>,
    weights: Option<&[f64]>,
    n_clusters: usize,
    init: &Init<'_, F>,
    init_size: usize,
    seed: u64,
    stop: &Interrupt,
) -> CoreResult<Array2<F>> {
    let (n, d) = x.dim();
    let xs = check_data(&x, "X")?;
    let given = matches!(init, Init::Given(_));
    let (sample, mut rng) = initial_sample(n, n_clusters, given, init_size, seed)?;
    check_weights(weights, n)?;
    let data = Data {
        x: xs,
        n,
        d,
        w: weights,
    };
    let centres = if let Some(idx) = sample {
        let size = idx.len();
        let mut rows = Vec::with_capacity(size * d);
        for &i in &idx {
            rows.extend_from_slice(data.row(i));
        }
        let sw: Option<Vec<f64>> = weights.map(|w| idx.iter().map(|&i| w[i]).collect());
        let sub = Data {
            x: &rows,
            n: size,
            d,
            w: sw.as_deref(),
        };
        init_centres(&sub, n_clusters, init, 0, &mut rng, stop)?
    } else {
        init_centres(&data, n_clusters, init, 0, &mut rng, stop)?
    };
    Array2::from_shape_vec((n_clusters, d), centres)
        .map_err(|e| CoreError::Internal(format!("centre shape: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requested_stop_ends_the_partial_step_and_leaves_the_state() {
        let x = Array2::from_shape_fn((3_000, 2), |(i, j)| ((i * 7 + j) % 11) as f64);
        let mut centres = vec![0.0, 0.0, 5.0, 5.0];
        let mut counts = vec![1.0, 1.0];
        let stop = Interrupt::new();
        stop.request();
        let got = partial_step(
            x.view(),
            None,
            &mut centres,
            &mut counts,
            0,
            0.01,
            0,
            0,
            &stop,
        );
        assert_eq!(got, Err(CoreError::Interrupted));
        assert_eq!(
            (centres.clone(), counts.clone()),
            (vec![0.0, 0.0, 5.0, 5.0], vec![1.0, 1.0])
        );
        let go = Interrupt::new();
        assert!(partial_step(
            x.view(),
            None,
            &mut centres,
            &mut counts,
            0,
            0.01,
            0,
            0,
            &go
        )
        .is_ok());
        assert!(counts[0] + counts[1] > 2.0);
    }

    #[test]
    fn minibatch_finds_separated_blobs() {
        let mut v = Vec::new();
        for i in 0..3000 {
            let c = (i % 3) as f64;
            let t = i as f64 * 0.618;
            v.push(c * 20.0 + t.sin());
            v.push(-c * 10.0 + t.cos());
        }
        let x = Array2::from_shape_vec((3000, 2), v).unwrap();
        let p = MiniBatchParams {
            n_clusters: 3,
            max_iter: 100,
            batch_size: 256,
            tol: 0.0,
            max_no_improvement: Some(10),
            init_size: None,
            n_init: 1,
            reassignment_ratio: 0.01,
            compute_labels: true,
            seed: 1,
        };
        let f = fit(
            x.view(),
            None,
            &p.check_ref().unwrap(),
            &Init::KMeansPlusPlus,
            &Interrupt::new(),
        )
        .unwrap();
        let labels = f.labels.unwrap();
        for i in 3..3000 {
            assert_eq!(labels[i], labels[i % 3]);
        }
        assert!(f.n_steps >= 2);
        assert!((f.counts.sum() - (f.n_steps * 256) as f64).abs() < 1e-6);
    }

    #[test]
    fn params_check_names_each_parameter() {
        let good = MiniBatchParams {
            n_clusters: 2,
            max_iter: 10,
            batch_size: 16,
            tol: 0.0,
            max_no_improvement: None,
            init_size: None,
            n_init: 1,
            reassignment_ratio: 0.01,
            compute_labels: true,
            seed: 0,
        };
        assert!(good.check_ref().is_ok());
        for (bad, name) in [
            (
                MiniBatchParams {
                    max_iter: 0,
                    ..good.clone()
                },
                "max_iter",
            ),
            (
                MiniBatchParams {
                    batch_size: 0,
                    ..good.clone()
                },
                "batch_size",
            ),
            (
                MiniBatchParams {
                    n_init: 0,
                    ..good.clone()
                },
                "n_init",
            ),
            (
                MiniBatchParams {
                    reassignment_ratio: -1.0,
                    ..good.clone()
                },
                "reassignment_ratio",
            ),
        ] {
            match bad.check() {
                Err(CoreError::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}
