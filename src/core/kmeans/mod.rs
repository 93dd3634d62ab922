//! k-means clustering with scikit-learn's semantics (`sklearn.cluster.KMeans`, 1.9).
//!
//! * [`fit`] runs `n_init` restarts (one random stream per restart; in parallel on small
//!   inputs, one after another, each parallel inside, on large ones) of
//!   [`Algorithm::Lloyd`] or the exact accelerated [`Algorithm::Hamerly`] from greedy
//!   k-means++, weighted random rows or given centres, and keeps the lowest inertia.
//! * [`predict`], [`transform`] and [`score`] use fitted centres.
//!
//! Memory: beyond the data, a fit of `n` rows takes about 16 bytes per row (a label and
//! a packed pair of `f32` bounds for the running restart, plus the best restart's
//! labels), whatever `n_init`; k-means++ seeding writes its state into the same buffers.
//!
//! Reproducibility: rows are split into a fixed partition that depends only on the
//! number of rows; partial sums are reduced in partition order, so results are
//! bit-identical whatever the number of threads.
//!
//! Unlike scikit-learn (its issue #34074), labels and inertia are always recomputed
//! against the final centres, so `labels == predict(x, centres)` holds for every fit.

// Index loops over features/clusters read closer to the maths than iterator chains.
#![allow(clippy::needless_range_loop)]

mod common;
pub mod hamerly;
pub mod init;
mod linfa_impl;
pub mod lloyd;
pub mod minibatch;
pub mod partial;
pub mod sparse;

use ndarray::{Array1, Array2, ArrayView2, ArrayView3};
use rayon::prelude::*;

use crate::numerics::{try_filled, Float};
use common::{all_distances, assign_labels_inertia, tolerance, Data};
pub use linfa_impl::{KMeansLinfaError, SegwiseKMeans};
pub use lloyd::RunResult;

use crate::clustering::{CentroidClustering, CentroidFit, FitRequest, Start};
use crate::error::check_weights;
use crate::params::{at_least, finite_non_negative, Checked, Params};
use crate::{CoreError, CoreResult, Interrupt};

/// Which k-means iteration to run. Both give the same labels, centres, inertia and
/// iteration count from the same start (up to floating-point ties).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Lloyd's algorithm: every distance every iteration.
    Lloyd,
    /// Hamerly's bounds: skips rows that provably keep their label.
    Hamerly,
    /// Pick by shape: see [`Algorithm::resolve`].
    Auto,
}

impl Algorithm {
    /// Parse `"lloyd"`, `"hamerly"`, `"elkan"` (an alias of the exact bound-based
    /// algorithm, which is Hamerly's here) or `"auto"`.
    pub fn parse(name: &str) -> CoreResult<Self> {
        match name {
            "lloyd" => Ok(Algorithm::Lloyd),
            "hamerly" | "elkan" => Ok(Algorithm::Hamerly),
            "auto" => Ok(Algorithm::Auto),
            other => Err(CoreError::InvalidParameter {
                name: "algorithm",
                reason: format!(
                    "must be one of 'auto', 'lloyd', 'hamerly', 'elkan', got {other:?}"
                ),
            }),
        }
    }

    /// The concrete algorithm: Hamerly unless `k == 1`. Measured on blobs (2 threads):
    /// Hamerly is 3-7x faster than Lloyd whenever a run takes more than a handful of
    /// iterations (k = 8..200, d = 3..400), and about 25% faster on runs of about five
    /// iterations, where the first (full) pass dominates.
    pub fn resolve(self, k: usize, _d: usize) -> Algorithm {
        match self {
            Algorithm::Auto if k == 1 => Algorithm::Lloyd,
            Algorithm::Auto => Algorithm::Hamerly,
            other => other,
        }
    }
}

/// How restarts pick their initial centres.
#[derive(Debug, Clone)]
pub enum Init<'a, F> {
    /// Greedy k-means++ (scikit-learn's default).
    KMeansPlusPlus,
    /// `k` distinct rows drawn with probability proportional to the weight.
    Random,
    /// Given centres, one `(k, d)` slice per restart: shape `(n_init, k, d)`.
    Given(ArrayView3<'a, F>),
}

/// Hyper-parameters of [`fit`].
#[derive(Debug, Clone)]
pub struct KMeansParams {
    /// Number of clusters `k >= 1`.
    pub n_clusters: usize,
    /// Number of restarts (ignored for [`Init::Given`], which has its own count).
    pub n_init: usize,
    /// Maximum iterations per restart (`>= 1`).
    pub max_iter: usize,
    /// Relative tolerance: convergence when the summed squared centre shift is
    /// `<= tol * mean per-feature variance of x` (scikit-learn's `_tolerance`).
    pub tol: f64,
    /// Iteration algorithm.
    pub algorithm: Algorithm,
    /// Seed of the random streams (one per restart).
    pub seed: u64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        KMeansParams {
            n_clusters: 8,
            n_init: 1,
            max_iter: 300,
            tol: 1e-4,
            algorithm: Algorithm::Auto,
            seed: 0,
        }
    }
}

impl Params for KMeansParams {
    fn validate(&self) -> CoreResult<()> {
        at_least("n_clusters", self.n_clusters, 1)?;
        at_least("max_iter", self.max_iter, 1)?;
        finite_non_negative("tol", self.tol)?;
        // Given centres bring their own restart count, but 0 restarts is never meaningful.
        at_least("n_init", self.n_init, 1)
    }
}

/// [`KMeansParams`] that passed [`Params::check`]: what [`fit`] takes.
pub type KMeansValidParams = Checked<KMeansParams>;

/// A fitted k-means model (the best restart).
#[derive(Debug, Clone)]
pub struct KMeansFit<F> {
    /// Centres `(k, d)`.
    pub centres: Array2<F>,
    /// Label of each row (closest final centre), `i32`.
    pub labels: Array1<i32>,
    /// Weighted sum of squared distances to the assigned centre.
    pub inertia: f64,
    /// Iterations of the best restart.
    pub n_iter: usize,
}

pub(crate) fn param(name: &'static str, reason: String) -> CoreError {
    CoreError::InvalidParameter { name, reason }
}

/// Contiguous row-major data, not yet finite-checked.
pub(crate) fn contiguous_data<'a, F: Float>(
    x: &'a ArrayView2<'_, F>,
    what: &str,
) -> CoreResult<&'a [F]> {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return Err(CoreError::EmptyInput(format!(
            "{what} has shape ({n}, {d}); at least one row and one column are required"
        )));
    }
    x.as_slice().ok_or_else(|| CoreError::InvalidParameter {
        name: "x",
        reason: "must be a C-contiguous (row-major) array".into(),
    })
}

/// Error unless every value is finite.
fn check_finite<F: Float>(slice: &[F], what: &str) -> CoreResult<()> {
    let count_bad = |c: &[F]| c.iter().filter(|v| !v.is_finite()).count();
    // Small inputs stay on the calling thread: waking the pool costs more than the scan.
    let bad = if slice.len() <= 1 << 16 {
        count_bad(slice)
    } else {
        slice.par_chunks(1 << 16).map(count_bad).sum::<usize>()
    };
    if bad > 0 {
        return Err(CoreError::NonFinite(format!(
            "{what} has {bad} NaN or infinite value(s)"
        )));
    }
    Ok(())
}

/// Contiguous row-major data, finite-checked.
pub(crate) fn check_data<'a, F: Float>(
    x: &'a ArrayView2<'_, F>,
    what: &str,
) -> CoreResult<&'a [F]> {
    let slice = contiguous_data(x, what)?;
    check_finite(slice, what)?;
    Ok(slice)
}

/// The absolute tolerance, also validating that `data` is finite: the variance pass
/// reads every value once and a NaN or infinity makes its result non-finite, so the
/// explicit scan only runs when that happens (or when `tol == 0`).
pub(crate) fn checked_tolerance<F: Float>(data: &Data<'_, F>, tol: f64) -> CoreResult<f64> {
    if tol > 0.0 {
        let t = tolerance(data, tol);
        if t.is_finite() {
            return Ok(t);
        }
        check_finite(data.x, "X")?;
        return Ok(t); // finite data whose variance overflows
    }
    check_finite(data.x, "X")?;
    Ok(0.0)
}

/// Fit k-means to `x` (`n * d`, C-contiguous) with optional sample weights.
///
/// Errors: empty or non-finite `x`, `n < k`, invalid weights, parameters out of range,
/// given centres of the wrong shape, [`CoreError::Interrupted`] once `stop` is requested
/// (checked before each restart, seeding step and iteration).
pub fn fit<F: Float>(
    x: ArrayView2<'_, F>,
    weights: Option<&[f64]>,
    params: &KMeansValidParams,
    init: &Init<'_, F>,
    stop: &Interrupt,
) -> CoreResult<KMeansFit<F>> {
    fit_in_waves(x, weights, params, init, stop, None)
}

/// [`fit`] with `wave` restarts run at a time (`None`: by the number of rows, see
/// [`SEQUENTIAL_RESTARTS_ROWS`]); the result does not depend on it.
fn fit_in_waves<F: Float>(
    x: ArrayView2<'_, F>,
    weights: Option<&[f64]>,
    params: &KMeansValidParams,
    init: &Init<'_, F>,
    stop: &Interrupt,
    wave: Option<usize>,
) -> CoreResult<KMeansFit<F>> {
    let k = params.n_clusters;
    let (n, d) = x.dim();
    let xs = contiguous_data(&x, "X")?;
    if n < k {
        return Err(CoreError::NotEnoughSamples {
            n_samples: n,
            n_clusters: k,
        });
    }
    check_weights(weights, n)?;
    let data = Data {
        x: xs,
        n,
        d,
        w: weights,
    };
    let n_init = restart_count(init, params, d)?;
    let algorithm = params.algorithm.resolve(k, d);
    // A single Hamerly run measures the variance in its first sweep instead of a separate
    // pass (with `tol = 0` too, where that pass would only look for non-finite values), and
    // reports non-finite data then (seeding on such data runs to its end, its centres are
    // discarded with the error).
    let fused_tolerance = n_init == 1 && algorithm == Algorithm::Hamerly;
    let tol = if fused_tolerance {
        hamerly::Tolerance::Relative(params.tol)
    } else {
        hamerly::Tolerance::Absolute(checked_tolerance(&data, params.tol)?)
    };
    // Buffers of a label and a bounds slot per row, handed from one restart to the next:
    // restarts run one after another on large inputs, so one run's buffers plus the best
    // run's labels are all the per-row memory a fit takes, whatever `n_init`.
    let labels_pool = BufferPool::<i32>::new(n, "k-means labels");
    let bounds_pool = BufferPool::<f64>::new(n, "k-means bounds");
    let run_one = |r: usize, mut rng| -> CoreResult<RunResult<F>> {
        let mut labels = labels_pool.take()?;
        let mut bounds = bounds_pool.take()?;
        let result = (|| {
            let (start, first) = match init {
                Init::Given(arr) => (
                    arr.index_axis(ndarray::Axis(0), r)
                        .iter()
                        .copied()
                        .collect(),
                    hamerly::FirstSweep::Plain,
                ),
                Init::KMeansPlusPlus => (
                    init::kmeans_plusplus_into(&data, k, &mut rng, stop, &mut labels, &mut bounds)?,
                    hamerly::FirstSweep::Seeded,
                ),
                Init::Random => (
                    init::random_rows(&data, k, &mut rng)?,
                    hamerly::FirstSweep::Plain,
                ),
            };
            match (algorithm, tol) {
                (Algorithm::Hamerly, _) => hamerly::run(
                    &data,
                    &start,
                    k,
                    params.max_iter,
                    tol,
                    first,
                    std::mem::take(&mut labels),
                    &mut bounds,
                    stop,
                ),
                (_, hamerly::Tolerance::Absolute(t)) => {
                    lloyd::run(&data, &start, k, params.max_iter, t, stop)
                }
                (_, hamerly::Tolerance::Relative(_)) => Err(CoreError::Internal(
                    "a measured tolerance is only supported by Hamerly".into(),
                )),
            }
        })();
        bounds_pool.give(bounds);
        labels_pool.give(labels);
        result
    };
    let wave = match wave {
        Some(w) => w,
        None if n >= SEQUENTIAL_RESTARTS_ROWS => 1,
        None => init::restart_wave(n),
    };
    best_restart(n_init, params.seed, (k, d), wave, stop, run_one, |labels| {
        labels_pool.give(labels)
    })
}

/// Run restarts `0..n_init` ([`init::run_restarts_in_waves`], `wave` at a time, random
/// streams from `seed`) and keep the lowest inertia, unless it is the same partition as
/// the best so far (scikit-learn's `_is_same_clustering`: a better-by-rounding copy is
/// not kept). The labels of discarded runs go to `recycle`. Shared by the dense and the
/// sparse fit.
pub(crate) fn best_restart<F: Float>(
    n_init: usize,
    seed: u64,
    (k, d): (usize, usize),
    wave: usize,
    stop: &Interrupt,
    run_one: impl Fn(usize, rand_xoshiro::Xoshiro256PlusPlus) -> CoreResult<RunResult<F>> + Sync + Send,
    mut recycle: impl FnMut(Vec<i32>),
) -> CoreResult<KMeansFit<F>> {
    let mut best: Option<RunResult<F>> = None;
    let mut streams = init::RestartStreams::new(seed, 0);
    init::run_restarts_in_waves(n_init, wave, &mut streams, stop, run_one, |run| {
        let better = match &best {
            None => true,
            Some(b) => run.inertia < b.inertia && !same_clustering(&run.labels, &b.labels, k),
        };
        let spare = if better {
            best.replace(run).map(|old| old.labels)
        } else {
            Some(run.labels)
        };
        if let Some(labels) = spare {
            recycle(labels);
        }
    })?;
    let best = best.ok_or_else(|| CoreError::Internal("no k-means restart ran".into()))?;
    let centres = Array2::from_shape_vec((k, d), best.centres)
        .map_err(|e| CoreError::Internal(format!("centre shape: {e}")))?;
    Ok(KMeansFit {
        centres,
        labels: Array1::from_vec(best.labels),
        inertia: best.inertia,
        n_iter: best.n_iter,
    })
}

pub use crate::numerics::rng::SEQUENTIAL_RESTARTS_ROWS;

/// Spare per-row buffers of length `n`, handed from a finished restart to the next one.
struct BufferPool<T> {
    n: usize,
    what: &'static str,
    spare: std::sync::Mutex<Vec<Vec<T>>>,
}

impl<T: Clone + Default> BufferPool<T> {
    fn new(n: usize, what: &'static str) -> Self {
        BufferPool {
            n,
            what,
            spare: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A spare buffer, or a new one (contents unspecified); a failed allocation is
    /// [`CoreError::Allocation`].
    fn take(&self) -> CoreResult<Vec<T>> {
        let spare = match self.spare.lock() {
            Ok(mut pool) => pool.pop(),
            Err(_) => None, // a panicking restart poisoned it: allocate instead
        };
        match spare {
            Some(buffer) => Ok(buffer),
            None => try_filled(self.n, T::default(), self.what),
        }
    }

    /// Keep `buffer` for a later restart (dropped unless it has the full length).
    fn give(&self, buffer: Vec<T>) {
        if buffer.len() == self.n {
            if let Ok(mut pool) = self.spare.lock() {
                pool.push(buffer);
            }
        }
    }
}

/// Number of restarts: `params.n_init`, or the count of given initial centres, checked
/// (shape `(r, k, d)` with `r >= 1`, finite).
fn restart_count<F: Float>(
    init: &Init<'_, F>,
    params: &KMeansParams,
    d: usize,
) -> CoreResult<usize> {
    let k = params.n_clusters;
    let Init::Given(arr) = init else {
        return Ok(params.n_init);
    };
    let (r, kk, dd) = arr.dim();
    if r == 0 {
        return Err(param("init", "no initial centres given".into()));
    }
    if kk != k {
        return Err(CoreError::ShapeMismatch {
            what: "init (rows = n_clusters)",
            expected: k,
            got: kk,
        });
    }
    if dd != d {
        return Err(CoreError::ShapeMismatch {
            what: "init (columns = n_features)",
            expected: d,
            got: dd,
        });
    }
    if arr.iter().any(|v| !v.is_finite()) {
        return Err(CoreError::NonFinite(
            "init has NaN or infinite values".into(),
        ));
    }
    Ok(r)
}

/// Whether two labelings are equal up to a permutation of the labels (scikit-learn's
/// `_is_same_clustering`: a better-by-rounding copy of the same partition is not kept).
fn same_clustering(a: &[i32], b: &[i32], k: usize) -> bool {
    let mut map = vec![-1i32; k];
    for (&la, &lb) in a.iter().zip(b) {
        let slot = &mut map[la.max(0) as usize];
        if *slot == -1 {
            *slot = lb;
        } else if *slot != lb {
            return false;
        }
    }
    true
}

fn check_centres<'a, F: Float>(centres: &'a ArrayView2<'_, F>, d: usize) -> CoreResult<&'a [F]> {
    let (k, dc) = centres.dim();
    if k == 0 {
        return Err(param("centres", "no centres".into()));
    }
    if dc != d {
        return Err(CoreError::ShapeMismatch {
            what: "X columns vs centres",
            expected: dc,
            got: d,
        });
    }
    let cs = centres
        .as_slice()
        .ok_or_else(|| param("centres", "must be a C-contiguous (row-major) array".into()))?;
    // k x d values, next to the n x k x d of any pass against them.
    check_finite(cs, "centres")?;
    Ok(cs)
}

/// Closest centre of each row (first index on ties), as `i32`.
///
/// Errors: non-finite `x` or `centres` ([`CoreError::NonFinite`] naming which), a
/// shape mismatch, [`CoreError::Interrupted`] once `stop` is requested (checked every
/// [`common::STOP_ROWS`] rows). The same holds for [`labels_inertia`] and [`transform`].
pub fn predict<F: Float>(
    x: ArrayView2<'_, F>,
    centres: ArrayView2<'_, F>,
    stop: &Interrupt,
) -> CoreResult<Array1<i32>> {
    let (n, d) = x.dim();
    let xs = check_data(&x, "X")?;
    let cs = check_centres(&centres, d)?;
    let data = Data {
        x: xs,
        n,
        d,
        w: None,
    };
    let (labels, _) = assign_labels_inertia(&data, cs, centres.nrows(), stop)?;
    Ok(Array1::from_vec(labels))
}

/// Labels and weighted inertia of `x` against `centres` (`score` is minus the inertia).
pub fn labels_inertia<F: Float>(
    x: ArrayView2<'_, F>,
    centres: ArrayView2<'_, F>,
    weights: Option<&[f64]>,
    stop: &Interrupt,
) -> CoreResult<(Array1<i32>, f64)> {
    let (n, d) = x.dim();
    let xs = check_data(&x, "X")?;
    let cs = check_centres(&centres, d)?;
    check_weights(weights, n)?;
    let data = Data {
        x: xs,
        n,
        d,
        w: weights,
    };
    let (labels, inertia) = assign_labels_inertia(&data, cs, centres.nrows(), stop)?;
    Ok((Array1::from_vec(labels), inertia))
}

/// Euclidean distance of every row to every centre, `(n, k)`.
pub fn transform<F: Float>(
    x: ArrayView2<'_, F>,
    centres: ArrayView2<'_, F>,
    stop: &Interrupt,
) -> CoreResult<Array2<F>> {
    let (n, d) = x.dim();
    let xs = check_data(&x, "X")?;
    let cs = check_centres(&centres, d)?;
    let k = centres.nrows();
    let data = Data {
        x: xs,
        n,
        d,
        w: None,
    };
    let out = all_distances(&data, cs, k, stop)?;
    Array2::from_shape_vec((n, k), out).map_err(|e| CoreError::Internal(format!("shape: {e}")))
}

/// k-means as the [`CentroidClustering`] the stability analyses refit: every request
/// becomes one [`fit`] with this iteration algorithm.
#[derive(Debug, Clone, Copy)]
pub struct KMeansClustering {
    /// Iteration algorithm of every fit.
    pub algorithm: Algorithm,
}

impl CentroidClustering for KMeansClustering {
    fn fit(&self, x: ArrayView2<'_, f64>, request: &FitRequest<'_>) -> CoreResult<CentroidFit> {
        let params = KMeansParams {
            n_clusters: request.n_clusters,
            n_init: request.n_init,
            max_iter: request.max_iter,
            tol: request.tol,
            algorithm: self.algorithm,
            seed: request.seed,
        }
        .check()?;
        let stop = request.stop;
        let fitted = match request.start {
            Start::PlusPlus => fit(x, None, &params, &Init::KMeansPlusPlus, stop)?,
            Start::Random => fit(x, None, &params, &Init::Random, stop)?,
            Start::Given(centres) => fit(
                x,
                None,
                &params,
                &Init::Given(centres.insert_axis(ndarray::Axis(0))),
                stop,
            )?,
        };
        Ok(CentroidFit {
            centres: fitted.centres,
            labels: fitted.labels,
            inertia: fitted.inertia,
        })
    }

    fn predict(
        &self,
        x: ArrayView2<'_, f64>,
        centres: ArrayView2<'_, f64>,
    ) -> CoreResult<Array1<i32>> {
        // Callers check their own stop between the fits and predictions they make.
        predict(x, centres, &Interrupt::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`fit`] through [`Params::check`], as every caller does.
    fn fit_checked<F: Float>(
        x: ArrayView2<'_, F>,
        weights: Option<&[f64]>,
        params: &KMeansParams,
        init: &Init<'_, F>,
    ) -> CoreResult<KMeansFit<F>> {
        fit(x, weights, &params.check_ref()?, init, &Interrupt::new())
    }
    use ndarray::{array, Array3};

    fn blobs() -> Array2<f64> {
        let mut rows = Vec::new();
        for c in 0..3 {
            for i in 0..50 {
                let t = i as f64 * 0.37;
                rows.push(10.0 * c as f64 + t.sin());
                rows.push(-5.0 * c as f64 + t.cos());
            }
        }
        Array2::from_shape_vec((150, 2), rows).unwrap()
    }

    #[test]
    fn hamerly_from_the_seeding_state_equals_a_plain_first_sweep() {
        // Overlapping blobs: some rows are settled by the seeds, some are not.
        let n = 3000;
        let x: Vec<f64> = (0..n * 3)
            .map(|v| {
                let (i, j) = (v / 3, v % 3);
                let t = (i as f64 * 0.713 + j as f64 * 1.37).sin();
                3.0 * ((i % 5) as f64) * (j as f64 - 1.0) + 2.0 * t
            })
            .collect();
        for w in [
            None,
            Some((0..n).map(|i| (i % 4) as f64).collect::<Vec<f64>>()),
        ] {
            let data = Data {
                x: &x,
                n,
                d: 3,
                w: w.as_deref(),
            };
            for k in [1, 4, 7] {
                let stop = Interrupt::new();
                let seeded =
                    init::kmeans_plusplus(&data, k, &mut init::restart_rng(3, 0), &stop).unwrap();
                let tol = hamerly::Tolerance::Absolute(1e-6);
                let run = |first, labels, bounds: &mut [f64]| {
                    hamerly::run(
                        &data,
                        &seeded.centres,
                        k,
                        300,
                        tol,
                        first,
                        labels,
                        bounds,
                        &stop,
                    )
                    .unwrap()
                };
                let a = run(
                    hamerly::FirstSweep::Seeded,
                    seeded.nearest.clone(),
                    &mut seeded.closest.clone(),
                );
                // Plain, in buffers holding garbage (as reused buffers do).
                let b = run(hamerly::FirstSweep::Plain, vec![5; n], &mut vec![-1.0; n]);
                assert_eq!(a.labels, b.labels);
                assert_eq!(a.centres, b.centres);
                assert_eq!(a.n_iter, b.n_iter);
                assert_eq!(a.inertia, b.inertia);
            }
        }
    }

    #[test]
    fn restarts_one_after_another_equal_restarts_in_parallel() {
        // Overlapping blobs: restarts end in different local optima.
        let n = 4000;
        let x: Vec<f64> = (0..n * 3)
            .map(|v| {
                let (i, j) = (v / 3, v % 3);
                let t = (i as f64 * 0.531 + j as f64 * 2.11).sin();
                2.0 * ((i % 7) as f64) * (j as f64 - 1.0) + 3.0 * t
            })
            .collect();
        let x = Array2::from_shape_vec((n, 3), x).unwrap();
        for (init, algorithm) in [
            (Init::KMeansPlusPlus, Algorithm::Hamerly),
            (Init::Random, Algorithm::Hamerly),
            (Init::KMeansPlusPlus, Algorithm::Lloyd),
        ] {
            let params = KMeansParams {
                n_clusters: 6,
                n_init: 7,
                algorithm,
                seed: 11,
                ..Default::default()
            }
            .check()
            .unwrap();
            let stop = Interrupt::new();
            let fits: Vec<KMeansFit<f64>> = [Some(1), Some(3), Some(16), None]
                .into_iter()
                .map(|wave| fit_in_waves(x.view(), None, &params, &init, &stop, wave).unwrap())
                .collect();
            for f in &fits[1..] {
                assert_eq!(f.labels, fits[0].labels);
                assert_eq!(f.centres, fits[0].centres);
                assert_eq!(f.inertia.to_bits(), fits[0].inertia.to_bits());
                assert_eq!(f.n_iter, fits[0].n_iter);
            }
        }
    }

    #[test]
    fn lloyd_and_hamerly_agree() {
        let x = blobs();
        let init = Array3::from_shape_vec((1, 3, 2), vec![0.0, 0.0, 1.0, 1.0, 2.0, 2.0]).unwrap();
        let mut p = KMeansParams {
            n_clusters: 3,
            algorithm: Algorithm::Lloyd,
            ..Default::default()
        };
        let a = fit_checked(x.view(), None, &p, &Init::Given(init.view())).unwrap();
        p.algorithm = Algorithm::Hamerly;
        let b = fit_checked(x.view(), None, &p, &Init::Given(init.view())).unwrap();
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.n_iter, b.n_iter);
        assert!((a.inertia - b.inertia).abs() <= 1e-9 * a.inertia);
        let pred = predict(x.view(), a.centres.view(), &Interrupt::new()).unwrap();
        assert_eq!(pred, a.labels);
    }

    #[test]
    fn a_requested_stop_ends_predict_score_and_transform() {
        let x = Array2::from_shape_fn((5_000, 3), |(i, j)| ((i * 7 + j) % 11) as f64);
        let c = array![[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]];
        let go = Interrupt::new();
        let stop = Interrupt::new();
        stop.request();
        let stopped = Err(CoreError::Interrupted);
        // Not requested: the same answers as a token never seen by the work.
        assert!(predict(x.view(), c.view(), &go).is_ok());
        assert_eq!(
            predict(x.view(), c.view(), &stop).map(drop),
            stopped.clone()
        );
        assert_eq!(
            labels_inertia(x.view(), c.view(), None, &stop).map(drop),
            stopped.clone()
        );
        assert_eq!(transform(x.view(), c.view(), &stop).map(drop), stopped);
        // A one-row call checks too (before its arithmetic).
        assert!(predict(x.slice(ndarray::s![..1, ..]), c.view(), &stop).is_err());
    }

    #[test]
    fn non_finite_centres_are_refused_by_name() {
        let x = array![[0.0, 1.0]];
        let c = array![[0.0, 0.0], [f64::NAN, 1.0]];
        let err = predict(x.view(), c.view(), &Interrupt::new()).unwrap_err();
        assert!(
            matches!(&err, CoreError::NonFinite(m) if m.starts_with("centres")),
            "{err}"
        );
    }

    #[test]
    fn kmeanspp_finds_blobs() {
        let x = blobs();
        let p = KMeansParams {
            n_clusters: 3,
            n_init: 3,
            seed: 7,
            ..Default::default()
        };
        let f = fit_checked(x.view(), None, &p, &Init::KMeansPlusPlus).unwrap();
        let mut counts = [0; 3];
        for &l in &f.labels {
            counts[l as usize] += 1;
        }
        assert_eq!(counts, [50, 50, 50]);
        let r = fit_checked(x.view(), None, &p, &Init::Random).unwrap();
        assert!((r.inertia - f.inertia).abs() < 1e-6 * f.inertia);
    }

    #[test]
    fn errors_are_typed() {
        let x = array![[0.0, 1.0], [1.0, 2.0]];
        let p = KMeansParams {
            n_clusters: 3,
            ..Default::default()
        };
        assert!(matches!(
            fit_checked(x.view(), None, &p, &Init::KMeansPlusPlus),
            Err(CoreError::NotEnoughSamples { .. })
        ));
        let p = KMeansParams {
            n_clusters: 0,
            ..Default::default()
        };
        assert!(matches!(
            fit_checked(x.view(), None, &p, &Init::KMeansPlusPlus),
            Err(CoreError::InvalidParameter {
                name: "n_clusters",
                ..
            })
        ));
        let bad = array![[f64::NAN, 1.0], [1.0, 2.0]];
        let p = KMeansParams {
            n_clusters: 1,
            ..Default::default()
        };
        assert!(matches!(
            fit_checked(bad.view(), None, &p, &Init::KMeansPlusPlus),
            Err(CoreError::NonFinite(_))
        ));
        // Seeded on non-finite data (the first Hamerly sweep finds it), any init.
        for bad_value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut big = blobs();
            big[[70, 1]] = bad_value;
            for init in [Init::KMeansPlusPlus, Init::Random] {
                for n_init in [1, 2] {
                    let p = KMeansParams {
                        n_clusters: 3,
                        n_init,
                        algorithm: Algorithm::Hamerly,
                        ..Default::default()
                    };
                    assert!(matches!(
                        fit_checked(big.view(), None, &p, &init),
                        Err(CoreError::NonFinite(_))
                    ));
                }
            }
        }
    }

    #[test]
    fn tolerance_matches_two_pass_variance() {
        // large offset: the one-pass shifted sums must not cancel catastrophically
        let (n, d) = (10_000usize, 3usize);
        let x: Vec<f64> = (0..n * d)
            .map(|i| 1e6 + ((i * 7919 % 1000) as f64) * 0.37 + (i % d) as f64)
            .collect();
        let data = Data {
            x: &x,
            n,
            d,
            w: None,
        };
        let mut expected = 0.0;
        for j in 0..d {
            let mean = (0..n).map(|i| x[i * d + j]).sum::<f64>() / n as f64;
            expected += (0..n).map(|i| (x[i * d + j] - mean).powi(2)).sum::<f64>() / n as f64;
        }
        expected /= d as f64;
        let got = tolerance(&data, 1e-4) / 1e-4;
        assert!(
            (got - expected).abs() <= 1e-10 * expected,
            "{got} vs {expected}"
        );
        assert_eq!(tolerance(&data, 0.0), 0.0);
    }

    #[test]
    fn hamerly_measured_tolerance_matches_separate_pass() {
        let x = blobs();
        let (n, d) = x.dim();
        let data = Data {
            x: x.as_slice().unwrap(),
            n,
            d,
            w: None,
        };
        let init = [0.0, 0.0, 1.0, 1.0, 2.0, 2.0];
        let stop = Interrupt::new();
        let run = |tol| {
            let plain = hamerly::FirstSweep::Plain;
            hamerly::run(
                &data,
                &init,
                3,
                300,
                tol,
                plain,
                vec![0; n],
                &mut vec![0.0; n],
                &stop,
            )
            .unwrap()
        };
        for rel in [0.0, 1e-4, 1.0, 50.0] {
            let a = run(hamerly::Tolerance::Absolute(tolerance(&data, rel)));
            let b = run(hamerly::Tolerance::Relative(rel));
            assert_eq!(a.labels, b.labels);
            assert_eq!(a.n_iter, b.n_iter);
            assert_eq!(a.centres, b.centres);
            assert_eq!(a.inertia.to_bits(), b.inertia.to_bits());
        }
        let mut bad = x.clone();
        bad[[70, 1]] = f64::NAN;
        let data = Data {
            x: bad.as_slice().unwrap(),
            n,
            d,
            w: None,
        };
        for rel in [0.0, 1e-4] {
            assert!(matches!(
                hamerly::run(
                    &data,
                    &init,
                    3,
                    300,
                    hamerly::Tolerance::Relative(rel),
                    hamerly::FirstSweep::Plain,
                    vec![0; n],
                    &mut vec![0.0; n],
                    &stop
                ),
                Err(CoreError::NonFinite(_))
            ));
        }
    }

    #[test]
    fn empty_cluster_is_relocated() {
        let x: Array2<f64> = array![[0.0], [0.1], [0.2], [10.0]];
        let init = Array3::from_shape_vec((1, 2, 1), vec![0.0, 1000.0]).unwrap();
        for alg in [Algorithm::Lloyd, Algorithm::Hamerly] {
            let p = KMeansParams {
                n_clusters: 2,
                algorithm: alg,
                ..Default::default()
            };
            let f = fit_checked(x.view(), None, &p, &Init::Given(init.view())).unwrap();
            assert_eq!(f.labels.to_vec(), vec![0, 0, 0, 1]);
            assert!((f.centres[[1, 0]] - 10.0_f64).abs() < 1e-12);
        }
    }
}
