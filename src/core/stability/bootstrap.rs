//! Per-segment bootstrap stability (Hennig's `clusterboot`, R package fpc).
//!
//! For each replicate `b` a resample of the rows is drawn ([`resample`]), clustered again
//! and compared with the original partition restricted to the resampled rows: the value of
//! segment `i` is the largest Jaccard similarity between `i ∩ resample` and any new
//! segment ([`max_jaccard`]), `NaN` when no row of `i` was drawn.
//!
//! Reproducibility: replicate `b` draws everything (its rows, then the seed of its k-means
//! restarts) from its own random stream, seeded from `(seed, b)` by SplitMix64. A
//! replicate's result therefore depends only on `(seed, b)`, never on the number of
//! threads or on how the caller splits `0..n_boot` into chunks.

use ndarray::{Array2, ArrayView2, ArrayView3};
use rand::seq::index;
use rand::{Rng, RngCore};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::clustering::{CentroidClustering, FitRequest, Start};
pub use crate::numerics::rng::replicate_rng;
use crate::numerics::{checked_len, try_array2, try_filled, try_filled_dims, try_with_capacity};
use crate::params::{at_least, finite_non_negative, invalid, Checked, Params};
use crate::{CoreError, CoreResult, Interrupt};

/// How the rows of a replicate are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `n` draws with replacement, duplicates dropped (fpc's `bootmethod = "boot"` with
    /// `multipleboot = FALSE`): about 63% of the rows, each once.
    Bootstrap,
    /// `size` distinct rows drawn without replacement (fpc's `"subset"`).
    Subsample {
        /// Number of rows per replicate, `1 <= size <= n`.
        size: usize,
    },
}

/// Settings of the fast path: one clustering fit of every replicate.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapConfig {
    /// Clusters of every refit.
    pub n_clusters: usize,
    /// Restarts of every refit.
    pub n_init: usize,
    /// Iterations per restart.
    pub max_iter: usize,
    /// Relative convergence tolerance of every refit.
    pub tol: f64,
    /// `true`: greedy k-means++ seeding; `false`: random distinct rows.
    pub plus_plus: bool,
    /// How replicates draw their rows.
    pub scheme: Scheme,
    /// Base seed of the replicates' random streams.
    pub seed: u64,
}

impl Params for BootstrapConfig {
    fn validate(&self) -> CoreResult<()> {
        at_least("n_clusters", self.n_clusters, 1)?;
        at_least("n_init", self.n_init, 1)?;
        at_least("max_iter", self.max_iter, 1)?;
        finite_non_negative("tol", self.tol)?;
        if let Scheme::Subsample { size: 0 } = self.scheme {
            return Err(invalid("subsample_fraction", "gives 0 rows per replicate"));
        }
        Ok(())
    }
}

/// [`BootstrapConfig`] that passed [`Params::check`]: what [`kmeans_replicates`] takes.
pub type BootstrapValidConfig = Checked<BootstrapConfig>;

/// Output of a block of replicates.
#[derive(Debug, Clone)]
pub struct Replicates {
    /// `(replicates, n_segments)` maximal Jaccard values; `NaN` where the segment had no
    /// row in the resample or the replicate was skipped.
    pub jaccard: Array2<f64>,
    /// Replicates skipped because the resample had fewer rows than clusters.
    pub skipped: Vec<bool>,
}

/// Sorted distinct row indices of one replicate drawn from `rng` (see [`Scheme`]).
pub fn resample(n: usize, scheme: Scheme, rng: &mut Xoshiro256PlusPlus) -> CoreResult<Vec<usize>> {
    if n == 0 {
        return Err(CoreError::EmptyInput("cannot resample 0 rows".into()));
    }
    match scheme {
        Scheme::Bootstrap => {
            // A bit per row (n / 8 bytes: stays in cache), read back word by word.
            let mut drawn = try_filled(n.div_ceil(64), 0u64, "the resample's row bits")?;
            for _ in 0..n {
                let i = rng.gen_range(0..n);
                drawn[i / 64] |= 1 << (i % 64);
            }
            let mut rows = try_with_capacity(n - n / 3, "the resampled rows")?;
            for (w, &word) in drawn.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    rows.push(w * 64 + bits.trailing_zeros() as usize);
                    bits &= bits - 1;
                }
            }
            Ok(rows)
        }
        Scheme::Subsample { size } => {
            if size == 0 || size > n {
                return Err(CoreError::InvalidParameter {
                    name: "subsample_fraction",
                    reason: format!("gives {size} rows per replicate; need 1..={n}"),
                });
            }
            let mut rows = index::sample(rng, n, size).into_vec();
            rows.sort_unstable();
            Ok(rows)
        }
    }
}

/// Rows of replicate `b` and the seed of its k-means restarts, both from its own stream.
pub fn replicate_draw(
    n: usize,
    scheme: Scheme,
    seed: u64,
    b: u64,
) -> CoreResult<(Vec<usize>, u64)> {
    let mut rng = replicate_rng(seed, b);
    let rows = resample(n, scheme, &mut rng)?;
    Ok((rows, rng.next_u64()))
}

/// For each original segment `i` in `0..n_segments`, the largest Jaccard similarity
/// `|A_i ∩ B_j| / |A_i ∪ B_j|` between `A_i = {t : original[t] == i}` and a new segment
/// `B_j = {t : new[t] == j}`; `NaN` when `A_i` is empty, `0` when no new segment meets it.
///
/// Negative labels (noise) belong to no segment on either side. One pass over the rows
/// plus an `n_segments x n_new` table: O(m + k^2).
pub fn max_jaccard(original: &[i32], new: &[i32], n_segments: usize) -> CoreResult<Vec<f64>> {
    if original.len() != new.len() {
        return Err(CoreError::ShapeMismatch {
            what: "new labels (one per resampled row)",
            expected: original.len(),
            got: new.len(),
        });
    }
    if let Some(&bad) = original
        .iter()
        .find(|&&l| l >= 0 && l as usize >= n_segments)
    {
        return Err(CoreError::InvalidParameter {
            name: "labels",
            reason: format!("original label {bad} is not below n_segments={n_segments}"),
        });
    }
    let n_new = new.iter().map(|&l| l.max(-1) + 1).max().unwrap_or(0) as usize;
    let mut table = try_filled_dims(
        &[n_segments, n_new],
        0usize,
        "the Jaccard contingency table",
    )?;
    let mut size_a = try_filled(n_segments, 0usize, "segment sizes")?;
    let mut size_b = try_filled(n_new, 0usize, "cluster sizes")?;
    for (&a, &b) in original.iter().zip(new) {
        if b >= 0 {
            size_b[b as usize] += 1;
        }
        if a >= 0 {
            size_a[a as usize] += 1;
            if b >= 0 {
                table[a as usize * n_new + b as usize] += 1;
            }
        }
    }
    let mut out = try_with_capacity(n_segments, "the Jaccard indices")?;
    out.extend((0..n_segments).map(|i| {
        if size_a[i] == 0 {
            return f64::NAN;
        }
        let row = &table[i * n_new..(i + 1) * n_new];
        row.iter()
            .zip(&size_b)
            .map(|(&both, &sb)| both as f64 / (size_a[i] + sb - both) as f64)
            .fold(0.0, f64::max)
    }));
    Ok(out)
}

fn check_inputs(x: &ArrayView2<'_, f64>, labels: &[i32], n_segments: usize) -> CoreResult<()> {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return Err(CoreError::EmptyInput(format!(
            "X has shape ({n}, {d}); at least one row and one column are required"
        )));
    }
    if !x.is_standard_layout() {
        return Err(CoreError::InvalidParameter {
            name: "x",
            reason: "must be a C-contiguous (row-major) array".into(),
        });
    }
    if labels.len() != n {
        return Err(CoreError::ShapeMismatch {
            what: "labels (one per row of X)",
            expected: n,
            got: labels.len(),
        });
    }
    if n_segments == 0 {
        return Err(CoreError::InvalidParameter {
            name: "n_segments",
            reason: "must be >= 1".into(),
        });
    }
    Ok(())
}

/// The rows `rows` of the C-contiguous `x`, gathered into a new C-contiguous array.
fn gather(x: &ArrayView2<'_, f64>, rows: &[usize]) -> CoreResult<Array2<f64>> {
    let d = x.ncols();
    let xs = x.as_slice().ok_or_else(|| CoreError::InvalidParameter {
        name: "x",
        reason: "must be a C-contiguous (row-major) array".into(),
    })?;
    let mut out = try_with_capacity(
        checked_len::<f64>(&[rows.len(), d], "the resampled rows")?,
        "the resampled rows",
    )?;
    // Runs of consecutive rows are copied in one piece.
    let mut t = 0;
    while t < rows.len() {
        let (first, mut end) = (rows[t], rows[t] + 1);
        t += 1;
        while t < rows.len() && rows[t] == end {
            end += 1;
            t += 1;
        }
        out.extend_from_slice(&xs[first * d..end * d]);
    }
    Array2::from_shape_vec((rows.len(), d), out)
        .map_err(|e| CoreError::Internal(format!("gathered rows: {e}")))
}

/// Cluster the gathered rows and compare with the restricted original labels.
fn one_replicate(
    x: &ArrayView2<'_, f64>,
    labels: &[i32],
    n_segments: usize,
    rows: &[usize],
    clustering: &dyn CentroidClustering,
    request: &FitRequest<'_>,
) -> CoreResult<Option<Vec<f64>>> {
    if rows.len() < request.n_clusters {
        return Ok(None);
    }
    let sub = gather(x, rows)?;
    let fitted = clustering.fit(sub.view(), request)?;
    let mut original = try_with_capacity(rows.len(), "the resample's original labels")?;
    original.extend(rows.iter().map(|&i| labels[i]));
    max_jaccard(
        &original,
        fitted.labels.as_slice().unwrap_or(&[]),
        n_segments,
    )
    .map(Some)
}

fn collect(
    results: Vec<CoreResult<Option<Vec<f64>>>>,
    n_segments: usize,
) -> CoreResult<Replicates> {
    let mut jaccard = try_array2(
        (results.len(), n_segments),
        f64::NAN,
        "the replicates' results",
    )?;
    let mut skipped = try_filled(results.len(), false, "the replicates' flags")?;
    for (r, res) in results.into_iter().enumerate() {
        match res? {
            Some(values) => {
                for (slot, v) in jaccard.row_mut(r).iter_mut().zip(values) {
                    *slot = v;
                }
            }
            None => skipped[r] = true,
        }
    }
    Ok(Replicates { jaccard, skipped })
}

/// Replicates `start..end` of the k-means fast path, in parallel (one rayon task per
/// replicate, collected in order).
///
/// `labels` is the original partition (`0..n_segments`, one per row of the C-contiguous
/// `x`). A replicate whose resample has fewer rows than `n_clusters` is skipped (its row
/// is `NaN`, flagged in [`Replicates::skipped`]). Errors: empty or non-finite `x`, shape
/// mismatches, k-means parameters out of range.
pub fn kmeans_replicates(
    x: ArrayView2<'_, f64>,
    labels: &[i32],
    n_segments: usize,
    config: &BootstrapValidConfig,
    clustering: &dyn CentroidClustering,
    (start, end): (usize, usize),
    stop: &Interrupt,
) -> CoreResult<Replicates> {
    check_inputs(&x, labels, n_segments)?;
    if start > end {
        return Err(CoreError::InvalidParameter {
            name: "start",
            reason: format!("start={start} is after end={end}"),
        });
    }
    let n = x.nrows();
    let start_with = if config.plus_plus {
        Start::PlusPlus
    } else {
        Start::Random
    };
    let mut results = try_with_capacity(end - start, "the replicates' results")?;
    results.par_extend((start..end).into_par_iter().map(|b| {
        let (rows, kseed) = replicate_draw(n, config.scheme, config.seed, b as u64)?;
        let request = FitRequest {
            n_clusters: config.n_clusters,
            n_init: config.n_init,
            max_iter: config.max_iter,
            tol: config.tol,
            seed: kseed,
            start: start_with,
            stop,
        };
        one_replicate(&x, labels, n_segments, &rows, clustering, &request)
    }));
    collect(results, n_segments)
}

/// Replicates on given resamples from given initial centres (one k-means run each): the
/// test hook that lets an outside implementation be fed identical inputs.
///
/// `rows[b]` are the row indices of replicate `b` (each `< n`), `centres[b]` its `(k, d)`
/// starting centres; each replicate is one run of at most `max_iter` iterations to `tol`
/// (`k` comes from `centres`); `stop` is checked as in [`kmeans_replicates`].
pub fn kmeans_replicates_given(
    x: ArrayView2<'_, f64>,
    labels: &[i32],
    n_segments: usize,
    rows: &[Vec<usize>],
    centres: ArrayView3<'_, f64>,
    clustering: &dyn CentroidClustering,
    (max_iter, tol, stop): (usize, f64, &Interrupt),
) -> CoreResult<Replicates> {
    check_inputs(&x, labels, n_segments)?;
    let (r, k, _) = centres.dim();
    if r != rows.len() {
        return Err(CoreError::ShapeMismatch {
            what: "initial centres (one block per replicate)",
            expected: rows.len(),
            got: r,
        });
    }
    let n = x.nrows();
    if let Some(&bad) = rows.iter().flatten().find(|&&i| i >= n) {
        return Err(CoreError::InvalidParameter {
            name: "indices",
            reason: format!("row {bad} is out of range for {n} rows"),
        });
    }
    let mut results = try_with_capacity(r, "the replicates' results")?;
    results.par_extend((0..r).into_par_iter().map(|b| {
        let request = FitRequest {
            n_clusters: k,
            n_init: 1,
            max_iter,
            tol,
            seed: 0,
            start: Start::Given(centres.index_axis(ndarray::Axis(0), b)),
            stop,
        };
        one_replicate(&x, labels, n_segments, &rows[b], clustering, &request)
    }));
    collect(results, n_segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    // A real k-means as the injected clustering (tests may use any feature as an oracle).
    use crate::kmeans::{Algorithm, KMeansClustering};

    const AUTO: KMeansClustering = KMeansClustering {
        algorithm: Algorithm::Auto,
    };
    const LLOYD: KMeansClustering = KMeansClustering {
        algorithm: Algorithm::Lloyd,
    };
    static STOP: std::sync::LazyLock<Interrupt> = std::sync::LazyLock::new(Interrupt::new);

    fn config(scheme: Scheme, seed: u64) -> BootstrapConfig {
        BootstrapConfig {
            n_clusters: 3,
            n_init: 1,
            max_iter: 300,
            tol: 1e-4,
            plus_plus: true,
            scheme,
            seed,
        }
    }
    use ndarray::{s, Array3};

    fn reference_jaccard(a: &[i32], b: &[i32], k: usize) -> Vec<f64> {
        (0..k as i32)
            .map(|i| {
                let in_a: Vec<bool> = a.iter().map(|&l| l == i).collect();
                if !in_a.iter().any(|&v| v) {
                    return f64::NAN;
                }
                let mut best = 0.0f64;
                for j in 0..=b.iter().copied().max().unwrap_or(-1) {
                    let inter = (0..a.len()).filter(|&t| in_a[t] && b[t] == j).count();
                    let union = (0..a.len()).filter(|&t| in_a[t] || b[t] == j).count();
                    if union > 0 {
                        best = best.max(inter as f64 / union as f64);
                    }
                }
                best
            })
            .collect()
    }

    #[test]
    fn jaccard_matches_definition() {
        let mut rng = replicate_rng(3, 0);
        for _ in 0..50 {
            let m = rng.gen_range(1..40);
            let a: Vec<i32> = (0..m).map(|_| rng.gen_range(-1..4)).collect();
            let b: Vec<i32> = (0..m).map(|_| rng.gen_range(-1..5)).collect();
            let got = max_jaccard(&a, &b, 4).unwrap();
            let want = reference_jaccard(&a, &b, 4);
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g.is_nan() && w.is_nan()) || (g - w).abs() < 1e-15,
                    "{g} {w}"
                );
            }
        }
        assert!(max_jaccard(&[0, 5], &[0, 0], 2).is_err());
        assert!(max_jaccard(&[0], &[0, 0], 2).is_err());
    }

    #[test]
    fn resamples_are_sorted_distinct_and_reproducible() {
        let (rows, seed) = replicate_draw(1000, Scheme::Bootstrap, 42, 7).unwrap();
        assert!(rows.windows(2).all(|w| w[0] < w[1]));
        assert!(rows.len() > 550 && rows.len() < 720, "{}", rows.len());
        assert_eq!(
            replicate_draw(1000, Scheme::Bootstrap, 42, 7).unwrap(),
            (rows, seed)
        );
        let (sub, _) = replicate_draw(1000, Scheme::Subsample { size: 500 }, 42, 7).unwrap();
        assert_eq!(sub.len(), 500);
        assert!(sub.windows(2).all(|w| w[0] < w[1]));
        assert!(replicate_draw(10, Scheme::Subsample { size: 11 }, 0, 0).is_err());
    }

    fn blobs() -> (Array2<f64>, Vec<i32>) {
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        let mut rng = replicate_rng(1, 1);
        for c in 0..3 {
            for _ in 0..60 {
                rows.push(20.0 * c as f64 + rng.gen::<f64>());
                rows.push(rng.gen::<f64>());
                labels.push(c);
            }
        }
        (Array2::from_shape_vec((180, 2), rows).unwrap(), labels)
    }

    #[test]
    fn separated_blobs_are_perfectly_stable_and_chunking_is_irrelevant() {
        let (x, labels) = blobs();
        let config = config(Scheme::Bootstrap, 9).check().unwrap();
        let all = kmeans_replicates(x.view(), &labels, 3, &config, &AUTO, (0, 10), &STOP).unwrap();
        assert!(all.jaccard.iter().all(|&v| v == 1.0));
        let config = BootstrapConfig {
            scheme: Scheme::Subsample { size: 90 },
            ..config.into_inner()
        }
        .check()
        .unwrap();
        let all = kmeans_replicates(x.view(), &labels, 3, &config, &AUTO, (0, 6), &STOP).unwrap();
        let head = kmeans_replicates(x.view(), &labels, 3, &config, &AUTO, (0, 2), &STOP).unwrap();
        let tail = kmeans_replicates(x.view(), &labels, 3, &config, &AUTO, (2, 6), &STOP).unwrap();
        assert_eq!(all.jaccard.slice(s![0..2, ..]), head.jaccard);
        assert_eq!(all.jaccard.slice(s![2..6, ..]), tail.jaccard);
    }

    #[test]
    fn given_path_and_errors() {
        let (x, labels) = blobs();
        let rows = vec![(0..180).step_by(2).collect::<Vec<_>>(), vec![0, 1]];
        let centres =
            Array3::from_shape_vec((2, 3, 2), [0.5, 0.5, 20.5, 0.5, 40.5, 0.5].repeat(2)).unwrap();
        let out = kmeans_replicates_given(
            x.view(),
            &labels,
            3,
            &rows,
            centres.view(),
            &LLOYD,
            (300, 1e-4, &STOP),
        )
        .unwrap();
        assert!(out.jaccard.row(0).iter().all(|&v| v == 1.0));
        assert_eq!(out.skipped, vec![false, true]);
        let bad = vec![vec![0, 1, 999]];
        assert!(kmeans_replicates_given(
            x.view(),
            &labels,
            3,
            &bad,
            centres.slice(s![0..1, .., ..]),
            &LLOYD,
            (300, 1e-4, &STOP),
        )
        .is_err());
        let config = config(Scheme::Bootstrap, 0).check().unwrap();
        assert!(matches!(
            kmeans_replicates(x.view(), &labels[..10], 3, &config, &AUTO, (0, 1), &STOP),
            Err(CoreError::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn sizes_the_machine_cannot_hold_are_errors() {
        let is_allocation = |r: CoreResult<()>| matches!(r, Err(CoreError::Allocation { .. }));
        let mut rng = replicate_rng(0, 0);
        assert!(is_allocation(
            resample(usize::MAX / 2, Scheme::Bootstrap, &mut rng).map(|_| ())
        ));
        assert!(is_allocation(
            max_jaccard(&[0], &[0], usize::MAX / 4).map(|_| ())
        ));
        assert!(is_allocation(
            max_jaccard(&[0], &[0], usize::MAX).map(|_| ())
        ));
        let (x, labels) = blobs();
        let config = config(Scheme::Bootstrap, 0).check().unwrap();
        let huge = (0, usize::MAX / 4);
        let out = kmeans_replicates(x.view(), &labels, 3, &config, &AUTO, huge, &STOP);
        assert!(is_allocation(out.map(|_| ())));
        // A segment count the data never uses still sizes the results when it fits.
        let wide = kmeans_replicates(x.view(), &labels, 1000, &config, &AUTO, (0, 2), &STOP);
        assert_eq!(wide.unwrap().jaccard.dim(), (2, 1000));
    }
}
