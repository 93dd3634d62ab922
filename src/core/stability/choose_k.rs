//! Choosing k: gap statistic, prediction strength, bootstrap agreement.
//!
//! * [`within_dispersion`]: R `cluster::clusGap`'s `W.k`,
//!   `0.5 * sum_r sum_{i<j in r} d_ij^p / n_r`, with an O(n d) path for `p = 2`
//!   (then `W = inertia / 2`) and a blocked, parallel O(n^2) path otherwise.
//! * [`reference_set`] / [`gap_reference_log_w`]: clusGap's uniform reference data (in the
//!   box of the rotated or original centred data) and their `log W_k`.
//! * [`prediction_strength_splits`]: Tibshirani & Walther (2005) as `fpc::prediction.strength`
//!   with k-means and centroid classification.
//! * [`bootstrap_ari`]: `flexclust::bootFlexclust`: ARI between the partitions of all rows
//!   predicted by k-means fitted on two bootstrap samples.
//!
//! Reproducibility: every k-means fit and every random draw has its own random stream,
//! derived from `(seed, criterion, k, replicate)`, so results do not depend on the number
//! of threads nor on how the replicates are split into chunks by the caller.

use std::ops::Range;

use ndarray::{Array1, Array2, Array3, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::clustering::{CentroidClustering, CentroidFit, FitRequest, Start as Initial};
use crate::numerics::rng::splitmix64;
use crate::numerics::{
    checked_len, try_array2, try_filled, try_filled_dims, try_with_capacity, RowBlocks,
};
use crate::params::{at_least, finite_non_negative, Checked, Params};
use crate::stats::contingency::{adjusted_rand_score, Contingency};
use crate::{CoreError, CoreResult, Interrupt};

/// How each k-means fit of a criterion starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Greedy k-means++ with this many restarts (the lowest inertia is kept).
    KMeansPlusPlus(usize),
    /// One run from the first `k` rows of the data being clustered (deterministic; used to
    /// compare with other implementations given the same start).
    FirstRows,
}

/// Settings shared by every k-means fit of a criterion.
#[derive(Debug, Clone, Copy)]
pub struct FitSettings {
    /// Initial centres.
    pub start: Start,
    /// Maximum iterations per run.
    pub max_iter: usize,
    /// Relative tolerance (scikit-learn's).
    pub tol: f64,
    /// Base seed; each fit derives its own stream from it.
    pub seed: u64,
}

impl Params for FitSettings {
    fn validate(&self) -> CoreResult<()> {
        if let Start::KMeansPlusPlus(n_init) = self.start {
            at_least("n_init", n_init, 1)?;
        }
        at_least("max_iter", self.max_iter, 1)?;
        finite_non_negative("tol", self.tol)
    }
}

/// [`FitSettings`] that passed [`Params::check`]: what the criteria take.
pub type FitValidSettings = Checked<FitSettings>;

/// The checked settings, the injected clustering every fit of a criterion uses, and the
/// stop request every fit checks.
pub type Fitter<'a> = (
    &'a FitValidSettings,
    &'a dyn CentroidClustering,
    &'a Interrupt,
);

/// Tags separating the random streams of the criteria.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub enum Stream {
    /// Fits of the data itself (the inertia curve).
    Data = 1,
    /// Reference sets of the gap statistic and their fits.
    GapReference = 2,
    /// Prediction-strength splits and their fits.
    PredictionStrength = 3,
    /// Bootstrap samples and their fits.
    Bootstrap = 4,
}

/// The seed of one random stream: a hash of `(seed, stream, a, b)`.
pub fn stream_seed(seed: u64, stream: Stream, a: u64, b: u64) -> u64 {
    let mut h = splitmix64(seed);
    h = splitmix64(h ^ (stream as u64));
    h = splitmix64(h ^ a);
    splitmix64(h ^ b)
}

fn invalid(name: &'static str, reason: String) -> CoreError {
    CoreError::InvalidParameter { name, reason }
}

/// Fit `k` clusters on `x` with the injected clustering; `k == 1` is one cluster at the
/// mean.
fn fit_one(
    x: ArrayView2<'_, f64>,
    k: usize,
    (settings, clustering, stop): Fitter<'_>,
    seed: u64,
) -> CoreResult<CentroidFit> {
    let n = x.nrows();
    if k == 1 {
        let centre = x
            .mean_axis(Axis(0))
            .ok_or_else(|| CoreError::EmptyInput("cannot fit one cluster to zero rows".into()))?;
        let inertia = x
            .rows()
            .into_iter()
            .map(|r| {
                r.iter()
                    .zip(&centre)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
            })
            .sum();
        return Ok(CentroidFit {
            centres: centre.insert_axis(Axis(0)),
            labels: Array1::from_vec(try_filled(n, 0, "labels")?),
            inertia,
        });
    }
    let (n_init, start) = match settings.start {
        Start::KMeansPlusPlus(r) => (r, Initial::PlusPlus),
        Start::FirstRows => {
            if n < k {
                return Err(CoreError::NotEnoughSamples {
                    n_samples: n,
                    n_clusters: k,
                });
            }
            (1, Initial::Given(x.slice(ndarray::s![..k, ..])))
        }
    };
    clustering.fit(
        x,
        &FitRequest {
            n_clusters: k,
            n_init,
            max_iter: settings.max_iter,
            tol: settings.tol,
            seed,
            start,
            stop,
        },
    )
}

/// k-means fits of `x` for every k in `ks` (in parallel), stream `(seed, Data, k, 0)`.
///
/// Returns the inertia per k, labels `(len(ks), n)` and centres `(len(ks), max k, d)`
/// (rows past k are zero).
pub fn fit_curve(
    x: ArrayView2<'_, f64>,
    ks: &[usize],
    fitter: Fitter<'_>,
) -> CoreResult<(Array1<f64>, Array2<i32>, Array3<f64>)> {
    let (n, d) = x.dim();
    check_ks(ks, n)?;
    let fits: Vec<CoreResult<CentroidFit>> = ks
        .par_iter()
        .map(|&k| {
            let seed = stream_seed(fitter.0.seed, Stream::Data, k as u64, 0);
            fit_one(x, k, fitter, seed)
        })
        .collect();
    let k_max = ks.iter().copied().max().unwrap_or(1);
    let mut inertia = Array1::zeros(ks.len());
    let mut labels = try_array2((ks.len(), n), 0, "the labels of every k")?;
    let what = "the centres of every k";
    let centres = try_filled_dims(&[ks.len(), k_max, d], 0.0, what)?;
    let mut centres = Array3::from_shape_vec((ks.len(), k_max, d), centres)
        .map_err(|e| CoreError::Internal(format!("{what}: {e}")))?;
    for (i, fit) in fits.into_iter().enumerate() {
        let fit = fit?;
        inertia[i] = fit.inertia;
        labels.row_mut(i).assign(&fit.labels);
        centres
            .index_axis_mut(Axis(0), i)
            .slice_mut(ndarray::s![..fit.centres.nrows(), ..])
            .assign(&fit.centres);
    }
    Ok((inertia, labels, centres))
}

fn check_ks(ks: &[usize], n: usize) -> CoreResult<()> {
    if ks.is_empty() {
        return Err(invalid("k_range", "no value of k given".into()));
    }
    for &k in ks {
        if k == 0 || k > n {
            return Err(invalid(
                "k_range",
                format!("k={k} is outside [1, n_samples={n}]"),
            ));
        }
    }
    Ok(())
}

/// Rows of each cluster, in row order.
fn members(labels: &[i32], k: usize) -> CoreResult<Vec<Vec<usize>>> {
    let mut out = try_filled(k, Vec::new(), "the clusters' rows")?;
    for (i, &l) in labels.iter().enumerate() {
        let slot = usize::try_from(l)
            .ok()
            .filter(|&l| l < k)
            .ok_or_else(|| invalid("labels", format!("label {l} is outside [0, {k})")))?;
        out[slot].push(i);
    }
    Ok(out)
}

/// First indices per block of the pairwise sum ([`RowBlocks::fixed`], merged in block
/// order): small because a block costs `PAIR_BLOCK * m` distances.
const PAIR_BLOCK: usize = 128;

/// `sum_{i<j} ||x_i - x_j||^p` over the rows of `rows` (`m * d`, row-major), in blocks of
/// `PAIR_BLOCK` first indices reduced in block order (thread-count independent).
fn pairwise_power_sum(
    rows: &[f64],
    m: usize,
    d: usize,
    d_power: f64,
    stop: &Interrupt,
) -> CoreResult<f64> {
    let half = d_power / 2.0;
    let block_sum = |_: usize, first: std::ops::Range<usize>| -> CoreResult<f64> {
        let mut total = 0.0;
        for i in first {
            stop.check()?;
            let a = &rows[i * d..(i + 1) * d];
            let mut acc = 0.0;
            for j in i + 1..m {
                let b = &rows[j * d..(j + 1) * d];
                let sq: f64 = a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum();
                acc += if d_power == 1.0 {
                    sq.sqrt()
                } else if d_power == 2.0 {
                    sq
                } else {
                    sq.powf(half)
                };
            }
            total += acc;
        }
        Ok(total)
    };
    RowBlocks::fixed(m, PAIR_BLOCK).try_reduce(0.0, block_sum, |t, a| *t += a)
}

/// clusGap's within-cluster dispersion
/// `W_k = 0.5 * sum_r (sum_{i<j in cluster r} ||x_i - x_j||^d_power) / n_r`.
///
/// For `d_power = 2` this equals half the k-means inertia and takes O(n d); any other
/// power needs every within-cluster pair, O(sum_r n_r^2 d), blocked and parallel,
/// checking `stop` before each row's pairs ([`CoreError::Interrupted`]).
pub fn within_dispersion(
    x: ArrayView2<'_, f64>,
    labels: &[i32],
    k: usize,
    d_power: f64,
    stop: &Interrupt,
) -> CoreResult<f64> {
    let (n, d) = x.dim();
    if labels.len() != n {
        return Err(CoreError::ShapeMismatch {
            what: "labels",
            expected: n,
            got: labels.len(),
        });
    }
    if !(d_power > 0.0 && d_power.is_finite()) {
        return Err(invalid(
            "d_power",
            format!("must be finite and > 0, got {d_power}"),
        ));
    }
    let groups = members(labels, k)?;
    let mut total = 0.0;
    for rows in groups.iter().filter(|g| !g.is_empty()) {
        stop.check()?;
        let m = rows.len();
        if d_power == 2.0 {
            // sum_{i<j} ||x_i - x_j||^2 = m * sum_i ||x_i - mean||^2 (two passes: stable)
            let mut mean = vec![0.0; d];
            for &i in rows {
                for (s, v) in mean.iter_mut().zip(x.row(i)) {
                    *s += v;
                }
            }
            mean.iter_mut().for_each(|s| *s /= m as f64);
            let ss: f64 = rows
                .iter()
                .map(|&i| {
                    x.row(i)
                        .iter()
                        .zip(&mean)
                        .map(|(v, c)| (v - c) * (v - c))
                        .sum::<f64>()
                })
                .sum();
            total += ss;
        } else {
            let what = "a cluster's rows";
            let mut buf = try_with_capacity(checked_len::<f64>(&[m, d], what)?, what)?;
            for &i in rows {
                buf.extend(x.row(i).iter().copied());
            }
            total += pairwise_power_sum(&buf, m, d, d_power, stop)? / m as f64;
        }
    }
    Ok(0.5 * total)
}

/// The box the gap statistic's reference data are drawn in.
#[derive(Debug, Clone)]
pub struct ReferenceBox<'a> {
    /// Column means of the data (`d`).
    pub centre: &'a [f64],
    /// Lower and upper bounds of each (rotated) coordinate (`q` each).
    pub lower: &'a [f64],
    /// Upper bounds.
    pub upper: &'a [f64],
    /// `V` of the centred data's SVD (`d x q`) for clusGap's `spaceH0 = "scaledPCA"`;
    /// `None` for `"original"` (then `q = d`).
    pub rotation: Option<ArrayView2<'a, f64>>,
}

impl ReferenceBox<'_> {
    fn check(&self) -> CoreResult<()> {
        let d = self.centre.len();
        let q = self.lower.len();
        if self.upper.len() != q {
            return Err(CoreError::ShapeMismatch {
                what: "reference box upper bounds",
                expected: q,
                got: self.upper.len(),
            });
        }
        match self.rotation {
            Some(v) if v.dim() != (d, q) => Err(CoreError::ShapeMismatch {
                what: "rotation columns vs box dimensions",
                expected: q,
                got: v.ncols(),
            }),
            None if q != d => Err(CoreError::ShapeMismatch {
                what: "reference box dimensions",
                expected: d,
                got: q,
            }),
            _ => Ok(()),
        }
    }
}

/// Reference set `b` of the gap statistic: `n` rows uniform in the box, rotated back and
/// shifted by the centre (clusGap: `z = z1 %*% t(V) + centre`). Stream `(seed, GapReference, b)`.
pub fn reference_set(
    n: usize,
    bx: &ReferenceBox<'_>,
    seed: u64,
    b: usize,
) -> CoreResult<Array2<f64>> {
    bx.check()?;
    let d = bx.centre.len();
    let q = bx.lower.len();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(
        seed,
        Stream::GapReference,
        b as u64,
        u64::MAX,
    ));
    let mut z1 = try_array2((n, q), 0.0, "the gap statistic's reference set")?;
    for v in z1.iter_mut() {
        *v = rng.gen::<f64>();
    }
    for mut row in z1.rows_mut() {
        for j in 0..q {
            row[j] = bx.lower[j] + (bx.upper[j] - bx.lower[j]) * row[j];
        }
    }
    let mut z = match bx.rotation {
        Some(v) => {
            let mut z = try_array2((n, d), 0.0, "the gap statistic's reference set")?;
            ndarray::linalg::general_mat_mul(1.0, &z1, &v.t(), 0.0, &mut z);
            z
        }
        None => z1,
    };
    for mut row in z.rows_mut() {
        for j in 0..d {
            row[j] += bx.centre[j];
        }
    }
    Ok(z)
}

/// `log W_k` of reference sets `refs` for k = 1..=k_max: shape `(len(refs), k_max)`.
/// Reference set `b`, fit k uses stream `(seed, GapReference, b, k)`.
pub fn gap_reference_log_w(
    n: usize,
    bx: &ReferenceBox<'_>,
    k_max: usize,
    d_power: f64,
    refs: Range<usize>,
    fitter: Fitter<'_>,
) -> CoreResult<Array2<f64>> {
    if k_max == 0 || k_max > n {
        return Err(invalid(
            "k_max",
            format!("k={k_max} is outside [1, n_samples={n}]"),
        ));
    }
    let mut rows: Vec<CoreResult<Vec<f64>>> =
        try_with_capacity(refs.len(), "the reference sets' results")?;
    rows.par_extend(refs.clone().into_par_iter().map(|b| {
        let z = reference_set(n, bx, fitter.0.seed, b)?;
        let per_k: Vec<CoreResult<f64>> = (1..=k_max)
            .into_par_iter()
            .map(|k| {
                let seed = stream_seed(fitter.0.seed, Stream::GapReference, b as u64, k as u64);
                let fit = fit_one(z.view(), k, fitter, seed)?;
                let labels = fit
                    .labels
                    .as_slice()
                    .ok_or_else(|| CoreError::Internal("labels not contiguous".into()))?;
                Ok(within_dispersion(z.view(), labels, k, d_power, fitter.2)?.ln())
            })
            .collect();
        per_k.into_iter().collect()
    }));
    let mut out = try_array2((refs.len(), k_max), 0.0, "the reference sets' results")?;
    for (i, row) in rows.into_iter().enumerate() {
        out.row_mut(i).assign(&Array1::from_vec(row?));
    }
    Ok(out)
}

/// The random permutation of split `m` (stream `(seed, PredictionStrength, m)`); the first
/// `floor(n/2)` entries are half 1, the rest half 2 (fpc's `nperm`).
pub fn split_permutation(n: usize, seed: u64, m: usize) -> CoreResult<Vec<usize>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(
        seed,
        Stream::PredictionStrength,
        m as u64,
        u64::MAX,
    ));
    let mut perm = try_with_capacity(n, "the split permutation")?;
    perm.extend(0..n);
    perm.shuffle(&mut rng);
    Ok(perm)
}

fn take_rows(x: ArrayView2<'_, f64>, idx: &[usize]) -> CoreResult<Array2<f64>> {
    let mut out = try_array2((idx.len(), x.ncols()), 0.0, "the sampled rows")?;
    for (mut row, &i) in out.rows_mut().into_iter().zip(idx) {
        row.assign(&x.row(i));
    }
    Ok(out)
}

/// Prediction strength of one half: `min_kk (sum_l c[kk,l]^2 - n_kk) / (n_kk (n_kk - 1))`
/// where `c` crosses the half's own clustering (`own`) with its classification by the
/// model fitted on the other half (`classified`), both labels in `[0, k)`. A cluster with
/// fewer than two rows scores 1 (as fpc does). The one implementation: the k-means path
/// ([`prediction_strength_splits`]) and the refits of any other clusterer (Python's
/// `stability/_refit.py`, through the bindings) both call it.
pub fn half_strength(own: &[i32], classified: &[i32], k: usize) -> CoreResult<f64> {
    if classified.len() != own.len() {
        return Err(CoreError::ShapeMismatch {
            what: "classified labels",
            expected: own.len(),
            got: classified.len(),
        });
    }
    let mut table = try_filled_dims(&[k, k], 0u64, "prediction strength table")?;
    let mut sizes = try_filled(k, 0u64, "cluster sizes")?;
    for (&a, &b) in own.iter().zip(classified) {
        let label = |l: i32, name: &'static str| {
            usize::try_from(l)
                .ok()
                .filter(|&l| l < k)
                .ok_or_else(|| invalid(name, format!("label {l} is outside [0, {k})")))
        };
        let (a, b) = (label(a, "own")?, label(b, "classified")?);
        table[a * k + b] += 1;
        sizes[a] += 1;
    }
    let mut worst = f64::INFINITY;
    for kk in 0..k {
        let nk = sizes[kk];
        let score = if nk > 1 {
            let same: u64 = table[kk * k..(kk + 1) * k].iter().map(|&c| c * c).sum();
            (same - nk) as f64 / (nk * (nk - 1)) as f64
        } else {
            1.0
        };
        worst = worst.min(score);
    }
    Ok(worst)
}

/// Prediction strength of splits `splits` for every k in `ks` (each `>= 2`): shape
/// `(len(splits), len(ks))`, the minimum over both halves of [`half_strength`].
pub fn prediction_strength_splits(
    x: ArrayView2<'_, f64>,
    ks: &[usize],
    splits: Range<usize>,
    fitter: Fitter<'_>,
) -> CoreResult<Array2<f64>> {
    let n = x.nrows();
    let half = n / 2;
    for &k in ks {
        if k < 2 || k > half {
            return Err(invalid(
                "k_range",
                format!("k={k} is outside [2, n_samples/2={half}] for prediction strength"),
            ));
        }
    }
    let jobs = jobs(splits.clone(), ks.len(), "the splits' results")?;
    let mut halves: Vec<CoreResult<(Array2<f64>, Array2<f64>)>> =
        try_with_capacity(splits.len(), "the splits' halves")?;
    halves.par_extend(splits.clone().into_par_iter().map(|m| {
        let perm = split_permutation(n, fitter.0.seed, m)?;
        Ok((take_rows(x, &perm[..half])?, take_rows(x, &perm[half..])?))
    }));
    let halves = halves.into_iter().collect::<CoreResult<Vec<_>>>()?;
    let mut values: Vec<CoreResult<f64>> = try_with_capacity(jobs.len(), "the splits' results")?;
    values.par_extend(jobs.par_iter().map(|&(m, j)| {
        let k = ks[j];
        let (a, b) = &halves[m - splits.start];
        let seed_a = stream_seed(
            fitter.0.seed,
            Stream::PredictionStrength,
            m as u64,
            2 * k as u64,
        );
        let seed_b = stream_seed(
            fitter.0.seed,
            Stream::PredictionStrength,
            m as u64,
            2 * k as u64 + 1,
        );
        let fa = fit_one(a.view(), k, fitter, seed_a)?;
        let fb = fit_one(b.view(), k, fitter, seed_b)?;
        let a_by_b = fitter.1.predict(a.view(), fb.centres.view())?;
        let b_by_a = fitter.1.predict(b.view(), fa.centres.view())?;
        let sa = half_strength(
            fa.labels.as_slice().unwrap_or(&[]),
            a_by_b.as_slice().unwrap_or(&[]),
            k,
        )?;
        let sb = half_strength(
            fb.labels.as_slice().unwrap_or(&[]),
            b_by_a.as_slice().unwrap_or(&[]),
            k,
        )?;
        Ok(sa.min(sb))
    }));
    let mut out = try_array2((splits.len(), ks.len()), 0.0, "the splits' results")?;
    for (&(m, j), v) in jobs.iter().zip(values) {
        out[[m - splits.start, j]] = v?;
    }
    Ok(out)
}

/// Every `(replicate, index of k)` pair of `reps` x `0..n_ks`, replicate-major.
fn jobs(reps: Range<usize>, n_ks: usize, what: &str) -> CoreResult<Vec<(usize, usize)>> {
    let mut out = try_with_capacity(
        checked_len::<(usize, usize)>(&[reps.len(), n_ks], what)?,
        what,
    )?;
    out.extend(reps.flat_map(|r| (0..n_ks).map(move |j| (r, j))));
    Ok(out)
}

/// The two bootstrap samples (row indices drawn with replacement) of replicate `r`,
/// stream `(seed, Bootstrap, r)`.
pub fn bootstrap_indices(n: usize, seed: u64, r: usize) -> CoreResult<(Vec<usize>, Vec<usize>)> {
    let mut rng =
        Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, Stream::Bootstrap, r as u64, u64::MAX));
    if n == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut a = try_with_capacity(n, "the bootstrap samples")?;
    let mut b = try_with_capacity(n, "the bootstrap samples")?;
    a.extend((0..n).map(|_| rng.gen_range(0..n)));
    b.extend((0..n).map(|_| rng.gen_range(0..n)));
    Ok((a, b))
}

/// The two partitions of all rows of replicate `r` for `k` clusters: k-means fitted on each
/// bootstrap sample of [`bootstrap_indices`], every row predicted by both.
pub fn bootstrap_partitions(
    x: ArrayView2<'_, f64>,
    k: usize,
    r: usize,
    fitter: Fitter<'_>,
) -> CoreResult<(Array1<i32>, Array1<i32>)> {
    let n = x.nrows();
    if k < 2 || k >= n {
        return Err(invalid(
            "k_range",
            format!("k={k} is outside [2, n_samples-1={}]", n.saturating_sub(1)),
        ));
    }
    let (ia, ib) = bootstrap_indices(n, fitter.0.seed, r)?;
    let fit = |idx: &[usize], side: u64| -> CoreResult<Array1<i32>> {
        let sample = take_rows(x, idx)?;
        let seed = stream_seed(
            fitter.0.seed,
            Stream::Bootstrap,
            r as u64,
            2 * k as u64 + side,
        );
        let f = fit_one(sample.view(), k, fitter, seed)?;
        fitter.1.predict(x, f.centres.view())
    };
    let (a, b) = rayon::join(|| fit(&ia, 0), || fit(&ib, 1));
    Ok((a?, b?))
}

/// Bootstrap ARI of replicates `reps` for every k in `ks`: shape `(len(reps), len(ks))`.
pub fn bootstrap_ari(
    x: ArrayView2<'_, f64>,
    ks: &[usize],
    reps: Range<usize>,
    fitter: Fitter<'_>,
) -> CoreResult<Array2<f64>> {
    let jobs = jobs(reps.clone(), ks.len(), "the replicates' results")?;
    let mut values: Vec<CoreResult<f64>> =
        try_with_capacity(jobs.len(), "the replicates' results")?;
    values.par_extend(jobs.par_iter().map(|&(r, j)| {
        let (a, b) = bootstrap_partitions(x, ks[j], r, fitter)?;
        let widen = |l: &Array1<i32>| -> CoreResult<Vec<i64>> {
            let mut out = try_with_capacity(l.len(), "labels")?;
            out.extend(l.iter().map(|&v| v as i64));
            Ok(out)
        };
        Ok(adjusted_rand_score(&Contingency::from_labels(
            &widen(&a)?,
            &widen(&b)?,
        )?))
    }));
    let mut out = try_array2((reps.len(), ks.len()), 0.0, "the replicates' results")?;
    for (&(r, j), v) in jobs.iter().zip(values) {
        out[[r - reps.start, j]] = v?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    // A real k-means as the injected clustering (tests may use any feature as an oracle).
    use crate::kmeans::{Algorithm, KMeansClustering};

    const KMEANS: KMeansClustering = KMeansClustering {
        algorithm: Algorithm::Auto,
    };
    use ndarray::array;

    fn settings() -> FitValidSettings {
        FitSettings {
            start: Start::KMeansPlusPlus(1),
            max_iter: 300,
            tol: 1e-4,
            seed: 3,
        }
        .check()
        .unwrap()
    }

    #[test]
    fn settings_check_names_the_parameter() {
        let bad = FitSettings {
            start: Start::KMeansPlusPlus(0),
            ..*settings()
        };
        assert!(matches!(
            bad.check(),
            Err(CoreError::InvalidParameter { name: "n_init", .. })
        ));
        let bad = FitSettings {
            tol: f64::NAN,
            ..*settings()
        };
        assert!(matches!(
            bad.check(),
            Err(CoreError::InvalidParameter { name: "tol", .. })
        ));
    }

    fn blobs() -> Array2<f64> {
        let mut v = Vec::new();
        for c in 0..3 {
            for i in 0..40 {
                let t = i as f64 * 0.77;
                v.push(20.0 * c as f64 + t.sin());
                v.push(t.cos() - 10.0 * c as f64);
            }
        }
        Array2::from_shape_vec((120, 2), v).unwrap()
    }

    #[test]
    fn dispersion_matches_pairwise_definition() {
        let x = array![[0.0, 0.0], [3.0, 4.0], [6.0, 8.0], [10.0, 0.0]];
        let labels = [0, 0, 0, 1];
        // cluster 0 pairwise distances 5, 10, 5; cluster 1 has one row
        let w1 = within_dispersion(x.view(), &labels, 2, 1.0, &Interrupt::new()).unwrap();
        assert!((w1 - 0.5 * 20.0 / 3.0).abs() < 1e-12);
        let w2 = within_dispersion(x.view(), &labels, 2, 2.0, &Interrupt::new()).unwrap();
        assert!((w2 - 0.5 * 150.0 / 3.0).abs() < 1e-12);
        let w3 = within_dispersion(x.view(), &labels, 2, 3.0, &Interrupt::new()).unwrap();
        assert!((w3 - 0.5 * 1250.0 / 3.0).abs() < 1e-9);
        assert!(within_dispersion(x.view(), &[0, 0, 0, 2], 2, 1.0, &Interrupt::new()).is_err());
    }

    #[test]
    fn a_requested_stop_ends_within_dispersion() {
        let x = array![[0.0, 0.0], [3.0, 4.0], [6.0, 8.0], [10.0, 0.0]];
        let labels = [0, 0, 0, 1];
        let stop = Interrupt::new();
        stop.request();
        for power in [1.0, 2.0, 3.0] {
            assert_eq!(
                within_dispersion(x.view(), &labels, 2, power, &stop),
                Err(CoreError::Interrupted)
            );
        }
    }

    #[test]
    fn prediction_strength_on_blobs() {
        let x = blobs();
        let ps = prediction_strength_splits(
            x.view(),
            &[2, 3, 5],
            0..4,
            (&settings(), &KMEANS, &Interrupt::new()),
        )
        .unwrap();
        for m in 0..4 {
            assert!((ps[[m, 1]] - 1.0).abs() < 1e-12);
            assert!(ps[[m, 2]] < 1.0);
        }
    }

    #[test]
    fn chunks_do_not_change_results() {
        let x = blobs();
        let all = bootstrap_ari(
            x.view(),
            &[2, 3],
            0..4,
            (&settings(), &KMEANS, &Interrupt::new()),
        )
        .unwrap();
        let tail = bootstrap_ari(
            x.view(),
            &[2, 3],
            2..4,
            (&settings(), &KMEANS, &Interrupt::new()),
        )
        .unwrap();
        assert_eq!(all.slice(ndarray::s![2.., ..]), tail);
        assert!((all[[0, 1]] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn reference_set_lies_in_box() {
        let centre = [1.0, -1.0];
        let bx = ReferenceBox {
            centre: &centre,
            lower: &[-1.0, -2.0],
            upper: &[1.0, 2.0],
            rotation: None,
        };
        let z = reference_set(500, &bx, 9, 0).unwrap();
        for r in z.rows() {
            assert!(r[0] >= 0.0 && r[0] <= 2.0 && r[1] >= -3.0 && r[1] <= 1.0);
        }
        let lw = gap_reference_log_w(
            500,
            &bx,
            3,
            2.0,
            0..2,
            (&settings(), &KMEANS, &Interrupt::new()),
        )
        .unwrap();
        assert!(lw[[0, 0]] > lw[[0, 1]] && lw[[0, 1]] > lw[[0, 2]]);
    }

    #[test]
    fn half_strength_counts_pairs() {
        // cluster 0: 3 rows split 2/1 -> (4 + 1 - 3) / 6 = 1/3; cluster 1 singleton -> 1
        let s = half_strength(&[0, 0, 0, 1], &[0, 0, 1, 1], 2).unwrap();
        assert!((s - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn half_strength_checks_its_labels() {
        assert!(matches!(
            half_strength(&[0, 1], &[0], 2),
            Err(CoreError::ShapeMismatch { .. })
        ));
        for (own, classified) in [([0, 2], [0, 1]), ([0, 1], [-1, 1])] {
            assert!(matches!(
                half_strength(&own, &classified, 2),
                Err(CoreError::InvalidParameter { .. })
            ));
        }
    }

    #[test]
    fn sizes_the_machine_cannot_hold_are_errors() {
        let is_allocation = |r: CoreResult<()>| matches!(r, Err(CoreError::Allocation { .. }));
        assert!(is_allocation(
            split_permutation(usize::MAX / 4, 0, 0).map(|_| ())
        ));
        assert!(is_allocation(
            bootstrap_indices(usize::MAX / 4, 0, 0).map(|_| ())
        ));
        assert!(is_allocation(
            half_strength(&[0], &[0], 1 << 40).map(|_| ())
        ));
        assert!(is_allocation(
            within_dispersion(
                array![[0.0]].view(),
                &[0],
                usize::MAX / 4,
                2.0,
                &Interrupt::new()
            )
            .map(|_| ())
        ));
        let bx = ReferenceBox {
            centre: &[0.0],
            lower: &[0.0],
            upper: &[1.0],
            rotation: None,
        };
        assert!(is_allocation(
            reference_set(usize::MAX / 4, &bx, 0, 0).map(|_| ())
        ));
        // One row as wide as the address space (a broadcast view: nothing is allocated).
        let zero = [0.0];
        let one = ndarray::ArrayView1::from(&zero[..]);
        let wide = one.broadcast((1, 1 << 62)).unwrap();
        assert!(is_allocation(take_rows(wide, &[0, 0]).map(|_| ())));
    }
}
