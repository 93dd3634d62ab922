//! k-prototypes and k-modes clustering of mixed tables (Huang 1997, 1998).
//!
//! A row's cost against a prototype is the squared Euclidean distance on the numeric
//! columns plus `gamma` times the number of categorical columns where the levels differ
//! (see [`cost`]); a prototype is the mean of its rows' numeric values and the mode of
//! each categorical column. k-modes is the case without numeric columns (`gamma = 1`).
//!
//! * [`fit`] runs `n_init` restarts (in parallel waves, one random stream per restart) of
//!   [`Algorithm::Huang`] (kmodes' incremental updates, the same labels, prototypes and
//!   cost from the same start) or [`Algorithm::Lloyd`] (batch updates, parallel over
//!   rows), from [`Init`] prototypes, and keeps the lowest cost (the first on ties).
//! * [`predict`], [`labels_cost`] and [`transform`] use fitted prototypes.
//! * [`partial`]: the batch iteration on partitioned data (Dask, Spark) from mergeable
//!   per-partition statistics.
//!
//! Reproducibility: every parallel sum is reduced over a fixed row partition in order, so
//! results are bit-identical on any number of threads.

mod cost;
mod huang;
mod init;
mod lloyd;
pub mod partial;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

pub use cost::Prototypes;
use cost::Table;

use crate::error::check_weights;
use crate::mixed::MixedView;
use crate::numerics::rng::{restart_wave, run_restarts_in_waves, SEQUENTIAL_RESTARTS_ROWS};
use crate::numerics::RestartStreams;
use crate::params::{at_least, invalid, Checked, Params};
use crate::{CoreError, CoreResult, Interrupt};

/// Rows per block of every parallel pass of k-prototypes (assignment, seeding, the
/// batch step and its per-partition statistics): the fixed [`RowBlocks`] partition whose
/// block order is the reduction order of their sums, so it is part of the numbers (the
/// in-memory and the partitioned runs must use the same one).
///
/// [`RowBlocks`]: crate::numerics::RowBlocks
pub(crate) const BLOCK_ROWS: usize = 4096;

/// Which k-prototypes iteration to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Huang's incremental updates in row order (kmodes' algorithm; sequential).
    Huang,
    /// Batch updates: assign every row, then recompute every prototype (parallel).
    Lloyd,
}

impl Algorithm {
    /// Parse `"huang"` or `"lloyd"`.
    pub fn parse(name: &str) -> CoreResult<Self> {
        match name {
            "huang" => Ok(Algorithm::Huang),
            "lloyd" => Ok(Algorithm::Lloyd),
            other => Err(invalid(
                "algorithm",
                format!("must be 'huang' or 'lloyd', got {other:?}"),
            )),
        }
    }
}

/// How restarts pick their initial prototypes.
#[derive(Debug, Clone)]
pub enum Init<'a> {
    /// Cao et al. (2009): density times cost, deterministic (one restart).
    Cao,
    /// Huang (1998): values drawn by frequency, each moved to its closest distinct row.
    Huang,
    /// `k` distinct rows drawn by weight.
    Random,
    /// Greedy k-means++ seeding on the k-prototypes cost.
    PlusPlus,
    /// These prototypes (one restart): numeric `(k, p)` and level codes `(k, q)`.
    Given(ArrayView2<'a, f64>, ArrayView2<'a, i32>),
}

impl Init<'_> {
    /// Parse `"cao"`, `"huang"`, `"random"` or `"k-prototypes++"`.
    pub fn parse(name: &str) -> CoreResult<Self> {
        match name {
            "cao" => Ok(Init::Cao),
            "huang" => Ok(Init::Huang),
            "random" => Ok(Init::Random),
            "k-prototypes++" => Ok(Init::PlusPlus),
            other => Err(invalid(
                "init",
                format!(
                    "must be 'cao', 'huang', 'random', 'k-prototypes++' or prototypes, got {other:?}"
                ),
            )),
        }
    }
}

/// Hyper-parameters of [`fit`].
#[derive(Debug, Clone)]
pub struct KPrototypesParams {
    /// Number of clusters `k >= 1`.
    pub n_clusters: usize,
    /// Restarts (`>= 1`; one for [`Init::Cao`] and [`Init::Given`]).
    pub n_init: usize,
    /// Maximum iterations per restart (`>= 1`).
    pub max_iter: usize,
    /// Weight of one categorical mismatch (finite, `> 0`).
    pub gamma: f64,
    /// Iteration algorithm.
    pub algorithm: Algorithm,
    /// Seed of the restarts' random streams.
    pub seed: u64,
}

impl Default for KPrototypesParams {
    fn default() -> Self {
        KPrototypesParams {
            n_clusters: 8,
            n_init: 1,
            max_iter: 100,
            gamma: 1.0,
            algorithm: Algorithm::Lloyd,
            seed: 0,
        }
    }
}

impl Params for KPrototypesParams {
    fn validate(&self) -> CoreResult<()> {
        at_least("n_clusters", self.n_clusters, 1)?;
        at_least("n_init", self.n_init, 1)?;
        at_least("max_iter", self.max_iter, 1)?;
        if self.gamma.is_nan() || self.gamma <= 0.0 || self.gamma.is_infinite() {
            return Err(invalid(
                "gamma",
                format!("must be finite and > 0, got {}", self.gamma),
            ));
        }
        Ok(())
    }
}

/// A fitted model (the best restart).
#[derive(Debug, Clone)]
pub struct KPrototypesFit {
    /// The prototypes.
    pub prototypes: Prototypes,
    /// Cluster of every row (its closest final prototype, the first on ties), `i32`.
    pub labels: Array1<i32>,
    /// Weighted sum of every row's cost against its prototype.
    pub cost: f64,
    /// Iterations of the best restart.
    pub n_iter: usize,
    /// Whether the best restart converged (no row changed cluster, or the cost stopped
    /// decreasing) rather than stopping at `max_iter`.
    pub converged: bool,
}

/// One restart's result.
pub(crate) struct RunResult {
    protos: Prototypes,
    labels: Vec<i32>,
    cost: f64,
    n_iter: usize,
    converged: bool,
}

/// The most frequent level of a column of (weighted) counts, the smallest code on ties
/// (kmodes' `get_max_value_key`).
pub(crate) fn mode_of(counts: &[f64]) -> i32 {
    let mut best = 0usize;
    for (l, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = l;
        }
    }
    best as i32
}

/// The rows as slices, checked: contiguous, finite numbers, and (for `fit`) codes that are
/// levels (`allow_special` admits the unseen/missing codes at predict time).
fn table<'t, 'v: 't, 'w: 't>(
    x: &MixedView<'v>,
    weights: Option<&'w [f64]>,
    gamma: f64,
    allow_special: bool,
) -> CoreResult<Table<'t>> {
    let n = x.n_rows();
    let (num, cat) = (x.numeric(), x.categorical());
    let layout = |what: &str| invalid("x", format!("the {what} block must be C-contiguous"));
    let num_slice = if num.ncols() == 0 {
        &[][..]
    } else {
        num.to_slice().ok_or_else(|| layout("numeric"))?
    };
    let cat_slice = if cat.ncols() == 0 {
        &[][..]
    } else {
        cat.to_slice().ok_or_else(|| layout("categorical"))?
    };
    let bad = num_slice.par_iter().filter(|v| !v.is_finite()).count();
    if bad > 0 {
        return Err(CoreError::NonFinite(format!(
            "the numeric columns have {bad} NaN or infinite value(s)"
        )));
    }
    if !allow_special && cat_slice.par_iter().any(|&c| c < 0) {
        return Err(invalid(
            "x",
            "categorical codes must be levels: a missing value cannot be clustered (use \
             missing='level' to make it a level of its own)"
                .to_string(),
        ));
    }
    check_weights(weights, n)?;
    Ok(Table {
        num: num_slice,
        p: num.ncols(),
        cat: cat_slice,
        q: cat.ncols(),
        n,
        n_levels: x.n_levels(),
        w: weights,
        gamma,
    })
}

/// Prototypes from their two blocks, checked against the table's columns and levels.
fn prototypes_of(
    numeric: ArrayView2<'_, f64>,
    categorical: ArrayView2<'_, i32>,
    p: usize,
    n_levels: &[usize],
    what: &'static str,
) -> CoreResult<Prototypes> {
    if numeric.nrows() != categorical.nrows() {
        return Err(CoreError::ShapeMismatch {
            what: "prototype rows (numeric and categorical parts)",
            expected: numeric.nrows(),
            got: categorical.nrows(),
        });
    }
    let protos = Prototypes {
        k: numeric.nrows(),
        p: numeric.ncols(),
        q: categorical.ncols(),
        numeric: numeric.iter().copied().collect(),
        categorical: categorical.iter().copied().collect(),
    };
    protos.check(p, n_levels, what)?;
    Ok(protos)
}

/// The number of distinct rows of `x`, counted up to `limit` (the scan stops there).
pub fn distinct_rows(x: &MixedView<'_>, limit: usize) -> CoreResult<usize> {
    let t = table(x, None, 1.0, true)?;
    Ok(count_distinct(&t, limit))
}

fn count_distinct(t: &Table<'_>, limit: usize) -> usize {
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut count = 0usize;
    for i in 0..t.n {
        if count >= limit {
            break;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for &v in t.num_row(i) {
            // +0.0 and -0.0 are the same number.
            (if v == 0.0 { 0u64 } else { v.to_bits() }).hash(&mut h);
        }
        t.cat_row(i).hash(&mut h);
        let bucket = seen.entry(h.finish()).or_default();
        let same = |j: usize| {
            t.num_row(i).iter().zip(t.num_row(j)).all(|(a, b)| a == b)
                && t.cat_row(i) == t.cat_row(j)
        };
        if !bucket.iter().any(|&j| same(j)) {
            bucket.push(i);
            count += 1;
        }
    }
    count
}

/// Fit k-prototypes to `x` with optional sample weights.
///
/// Errors: empty input, NaN/infinity, a missing code in the categorical block, fewer rows
/// (or distinct rows) than clusters, invalid weights, given prototypes of the wrong shape
/// or with codes that are not levels; [`CoreError::Interrupted`] once `stop` is requested
/// (checked before each restart and during each run).
pub fn fit(
    x: &MixedView<'_>,
    weights: Option<&[f64]>,
    params: &Checked<KPrototypesParams>,
    init: &Init<'_>,
    stop: &Interrupt,
) -> CoreResult<KPrototypesFit> {
    fit_in_waves(x, weights, params, init, stop, None)
}

/// [`fit`] with `wave` restarts at a time (None: the choice described there).
fn fit_in_waves(
    x: &MixedView<'_>,
    weights: Option<&[f64]>,
    params: &Checked<KPrototypesParams>,
    init: &Init<'_>,
    stop: &Interrupt,
    wave: Option<usize>,
) -> CoreResult<KPrototypesFit> {
    let k = params.n_clusters;
    let t = table(x, weights, params.gamma, false)?;
    if t.n < k {
        return Err(CoreError::NotEnoughSamples {
            n_samples: t.n,
            n_clusters: k,
        });
    }
    let distinct = count_distinct(&t, k);
    if distinct < k {
        return Err(invalid(
            "n_clusters",
            format!("X has only {distinct} distinct row(s), fewer than n_clusters={k}"),
        ));
    }
    let given = match init {
        Init::Given(num, cat) => {
            let protos = prototypes_of(*num, *cat, t.p, t.n_levels, "init")?;
            if protos.k != k {
                return Err(CoreError::ShapeMismatch {
                    what: "init (rows = n_clusters)",
                    expected: k,
                    got: protos.k,
                });
            }
            Some(protos)
        }
        _ => None,
    };
    let n_init = match init {
        Init::Given(..) | Init::Cao => 1,
        _ => params.n_init,
    };
    // Restarts run in waves and only the best result is kept, so the per-row memory does
    // not grow with `n_init`: the batch iteration is parallel over rows, so on large inputs
    // its restarts run one after another (one run's buffers plus the best labels);
    // Huang's is sequential, so its restarts run in waves of at least two per thread
    // (more on small inputs, see `restart_wave`). The wave does not change the result (a stream per restart, the best picked in
    // restart order, the first on ties).
    let wave = match (wave, params.algorithm) {
        (Some(w), _) => w,
        (None, Algorithm::Lloyd) if t.n >= SEQUENTIAL_RESTARTS_ROWS => 1,
        (None, _) => restart_wave(t.n),
    };
    let mut best: Option<RunResult> = None;
    let mut streams = RestartStreams::new(params.seed, 0);
    let run_one = |_: usize, mut rng| {
        let start = match (init, &given) {
            (_, Some(protos)) => protos.clone(),
            (Init::Cao, _) => init::cao(&t, k)?,
            (Init::Huang, _) => init::huang(&t, k, &mut rng),
            (Init::Random, _) => init::random_rows(&t, k, &mut rng)?,
            (Init::PlusPlus, _) => init::plus_plus(&t, k, &mut rng)?,
            (Init::Given(..), None) => {
                return Err(CoreError::Internal("given prototypes not read".into()))
            }
        };
        match params.algorithm {
            Algorithm::Huang => huang::run(&t, start, params.max_iter, stop),
            Algorithm::Lloyd => lloyd::run(&t, start, params.max_iter, stop),
        }
    };
    run_restarts_in_waves(n_init, wave, &mut streams, stop, run_one, |run| {
        if best.as_ref().is_none_or(|b| run.cost < b.cost) {
            best = Some(run);
        }
    })?;
    let best = best.ok_or_else(|| CoreError::Internal("no k-prototypes restart ran".into()))?;
    Ok(KPrototypesFit {
        prototypes: best.protos,
        labels: Array1::from_vec(best.labels),
        cost: best.cost,
        n_iter: best.n_iter,
        converged: best.converged,
    })
}

/// Checked table and prototypes for the functions that use given prototypes
/// (`allow_special`: codes unseen in fit or missing are admitted, as at predict time).
fn against<'t, 'v: 't, 'w: 't>(
    x: &MixedView<'v>,
    weights: Option<&'w [f64]>,
    (numeric, categorical): (ArrayView2<'_, f64>, ArrayView2<'_, i32>),
    gamma: f64,
    allow_special: bool,
) -> CoreResult<(Table<'t>, Prototypes)> {
    if gamma.is_nan() || gamma <= 0.0 || gamma.is_infinite() {
        return Err(invalid(
            "gamma",
            format!("must be finite and > 0, got {gamma}"),
        ));
    }
    let t = table(x, weights, gamma, allow_special)?;
    let protos = prototypes_of(numeric, categorical, t.p, t.n_levels, "prototypes")?;
    if protos.k == 0 {
        return Err(CoreError::EmptyInput("no prototypes".into()));
    }
    Ok((t, protos))
}

/// The closest prototype of every row (the first on ties). A code that is not a level
/// (unseen in fit, or missing) matches no prototype. [`CoreError::Interrupted`] once
/// `stop` is requested (checked before each block of [`BLOCK_ROWS`] rows, as in
/// [`labels_cost`] and [`transform`]).
pub fn predict(
    x: &MixedView<'_>,
    numeric: ArrayView2<'_, f64>,
    categorical: ArrayView2<'_, i32>,
    gamma: f64,
    stop: &Interrupt,
) -> CoreResult<Array1<i32>> {
    let (t, protos) = against(x, None, (numeric, categorical), gamma, true)?;
    Ok(Array1::from_vec(lloyd::assign(&t, &protos, stop)?.0))
}

/// Labels and the weighted total cost against given prototypes.
pub fn labels_cost(
    x: &MixedView<'_>,
    weights: Option<&[f64]>,
    numeric: ArrayView2<'_, f64>,
    categorical: ArrayView2<'_, i32>,
    gamma: f64,
    stop: &Interrupt,
) -> CoreResult<(Array1<i32>, f64)> {
    let (t, protos) = against(x, weights, (numeric, categorical), gamma, true)?;
    let (labels, costs) = lloyd::assign(&t, &protos, stop)?;
    Ok((Array1::from_vec(labels), lloyd::total_cost(&t, &costs)))
}

/// The cost of every row against every prototype, `(n, k)`.
pub fn transform(
    x: &MixedView<'_>,
    numeric: ArrayView2<'_, f64>,
    categorical: ArrayView2<'_, i32>,
    gamma: f64,
    stop: &Interrupt,
) -> CoreResult<Array2<f64>> {
    let (t, protos) = against(x, None, (numeric, categorical), gamma, true)?;
    let k = protos.k;
    let mut out = Array2::<f64>::zeros((t.n, k));
    out.as_slice_mut()
        .ok_or_else(|| CoreError::Internal("output layout".into()))?
        .par_chunks_mut(BLOCK_ROWS * k)
        .enumerate()
        .try_for_each(|(b, block)| {
            stop.check()?;
            for (o, row) in block.chunks_exact_mut(k).enumerate() {
                for (c, v) in row.iter_mut().enumerate() {
                    *v = t.cost(b * BLOCK_ROWS + o, &protos, c);
                }
            }
            Ok::<(), CoreError>(())
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests;
