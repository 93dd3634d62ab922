//! k-means on compressed sparse rows (scipy's CSR, read through [`CsrView`]) without
//! densifying the data: only the centres are dense.
//!
//! Distances use the expansion `||x||^2 - 2 x.c + ||c||^2` with the row norms computed
//! once and the centre norms once per iteration (scikit-learn's sparse kernels do the
//! same); `x.c` runs over the row's stored values only. Centres are held transposed
//! (`d x k`, in `f64`) so that one stored value updates the partial products of every
//! centre in one contiguous loop.
//!
//! * [`fit`] is Lloyd's algorithm (the bound-based Hamerly variant has no sparse kernel:
//!   `algorithm="hamerly"/"elkan"` falls back to it, with the same result from the same
//!   start), seeded by the same greedy k-means++ as the dense path on the same random
//!   numbers, so a seed gives the same initial rows as on the dense copy of the data
//!   (unless a draw lands within rounding of a boundary between two rows).
//! * [`labels_inertia`] and [`transform`] use given centres.
//! * [`minibatch_fit`], [`minibatch_partial_step`] and [`minibatch_initial_centres`] are
//!   the dense mini-batch functions on sparse rows (same random streams; each batch is
//!   copied out of the CSR as a small CSR).
//!
//! Reproducibility: rows are split into the fixed groups of
//! [`super::common::row_groups`]; the E-step runs over groups in parallel, the centre sums
//! are accumulated per cluster in row order (in parallel over clusters), and every other
//! reduction runs in group order, so results are bit-identical on any number of threads.
//! Memory beyond the input: a label and a distance per row, and a few `k x d` buffers
//! (allocated with a checked size).

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::common::{average_centres, centre_shifts, group_rows, Sums, STOP_ROWS};
use super::init::{draw_row, random_row_indices, restart_rng};
use super::lloyd::RunResult;
use super::minibatch::{self, MiniBatchFit, MiniBatchValidParams};
use super::{best_restart, check_centres, restart_count, Init, KMeansFit, KMeansValidParams};
use crate::error::check_weights;
use crate::numerics::{try_filled, try_filled_dims, try_with_capacity, CsrView, Float};
use crate::{CoreError, CoreResult, Interrupt};
use ndarray::{Array1, Array2, ArrayView2};

/// A checked CSR matrix with its optional sample weights and squared row norms.
pub struct SparseData<'a, F> {
    /// The rows.
    pub x: CsrView<'a, F>,
    /// Optional sample weights (length `n`).
    pub w: Option<&'a [f64]>,
    /// `||x_i||^2` of every row, in `f64`.
    pub norms: Vec<f64>,
}

impl<'a, F: Float> SparseData<'a, F> {
    /// Wrap `x` with its weights (checked: length, finite, non-negative, not all zero when
    /// given) and compute the squared row norms (in parallel, per row: the same bits on any
    /// number of threads).
    pub fn new(x: CsrView<'a, F>, w: Option<&'a [f64]>) -> CoreResult<Self> {
        let n = x.n_rows();
        check_weights(w, n)?;
        let mut norms = try_filled(n, 0.0f64, "row norms")?;
        norms.par_iter_mut().enumerate().for_each(|(i, out)| {
            let (_, vals) = x.row(i);
            *out = vals.iter().map(|v| v.to_f64() * v.to_f64()).sum();
        });
        Ok(SparseData { x, w, norms })
    }

    /// Number of rows.
    pub fn n(&self) -> usize {
        self.x.n_rows()
    }

    /// Number of columns.
    pub fn d(&self) -> usize {
        self.x.n_cols()
    }

    /// Weight of row `i` (1 when unweighted).
    #[inline(always)]
    pub fn weight(&self, i: usize) -> f64 {
        self.w.map_or(1.0, |w| w[i])
    }

    /// Row `i` written into the dense `out` (length `d`, zeroed first).
    fn densify_row(&self, i: usize, out: &mut [F]) {
        out.fill(F::zero());
        let (cols, vals) = self.x.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            out[j as usize] = v;
        }
    }
}

/// Dense points (centres or seeding candidates) transposed for sparse rows:
/// `t[j * m + c]` is feature `j` of point `c`, in `f64`, with each point's squared norm.
struct Transposed {
    t: Vec<f64>,
    norms: Vec<f64>,
    m: usize,
}

impl Transposed {
    /// From `m` row-major points of `d` features.
    fn new<F: Float>(points: &[F], m: usize, d: usize) -> CoreResult<Self> {
        let mut t = try_filled_dims(&[m, d], 0.0f64, "transposed centres")?;
        let mut norms = vec![0.0f64; m];
        for c in 0..m {
            let p = &points[c * d..(c + 1) * d];
            let mut s = 0.0;
            for (j, &v) in p.iter().enumerate() {
                let v = v.to_f64();
                t[j * m + c] = v;
                s += v * v;
            }
            norms[c] = s;
        }
        Ok(Transposed { t, norms, m })
    }

    /// `x.p` of one sparse row with every point, into `out` (length `m`). Each product
    /// sums the row's stored values in column order, whatever `m`.
    #[inline(always)]
    fn dots<F: Float>(&self, cols: &[i64], vals: &[F], out: &mut [f64]) {
        out.fill(0.0);
        let m = self.m;
        for (&j, &v) in cols.iter().zip(vals) {
            let v = v.to_f64();
            let col = &self.t[j as usize * m..(j as usize + 1) * m];
            for (o, &p) in out.iter_mut().zip(col) {
                *o += v * p;
            }
        }
    }

    /// Squared distance from a row of squared norm `norm` to point `c`, given `dot = x.p_c`.
    #[inline(always)]
    fn sq_dist(&self, norm: f64, dot: f64, c: usize) -> f64 {
        (norm - 2.0 * dot + self.norms[c]).max(0.0)
    }

    /// Closest point of one row (the first on ties, compared on `||p||^2 - 2 x.p` as
    /// scikit-learn) and the squared distance to it.
    #[inline(always)]
    fn closest<F: Float>(
        &self,
        cols: &[i64],
        vals: &[F],
        norm: f64,
        buf: &mut [f64],
    ) -> (usize, f64) {
        self.dots(cols, vals, buf);
        let mut best = 0;
        let mut best_v = f64::INFINITY;
        for (c, &dot) in buf.iter().enumerate() {
            let v = self.norms[c] - 2.0 * dot;
            if v < best_v {
                best = c;
                best_v = v;
            }
        }
        (best, (norm + best_v).max(0.0))
    }
}

/// The row range of every group of [`group_rows`]`(n)` rows.
fn group_ranges(n: usize) -> Vec<(usize, usize)> {
    let rows = group_rows(n);
    (0..n.div_ceil(rows))
        .map(|g| (g * rows, ((g + 1) * rows).min(n)))
        .collect()
}

/// Closest centre and its squared distance for every row, and the weighted inertia
/// (summed per group, groups in order).
fn assign<F: Float>(
    data: &SparseData<'_, F>,
    centres: &Transposed,
    labels: &mut [i32],
    dists: &mut [f64],
    stop: &Interrupt,
) -> CoreResult<f64> {
    let rows = group_rows(data.n());
    let parts: Vec<f64> = labels
        .par_chunks_mut(rows)
        .zip(dists.par_chunks_mut(rows))
        .enumerate()
        .map(|(g, (lab, dist))| {
            let mut buf = vec![0.0f64; centres.m];
            let mut inertia = 0.0;
            for (o, (l, dd)) in lab.iter_mut().zip(dist.iter_mut()).enumerate() {
                if o % STOP_ROWS == 0 {
                    stop.check()?;
                }
                let i = g * rows + o;
                let (cols, vals) = data.x.row(i);
                let (c, dist) = centres.closest(cols, vals, data.norms[i], &mut buf);
                *l = c as i32;
                *dd = dist;
                inertia += dist * data.weight(i);
            }
            Ok(inertia)
        })
        .collect::<CoreResult<_>>()?;
    Ok(parts.iter().sum())
}

/// Weighted sums of the rows of each cluster: the rows of a cluster are added in row
/// order (clusters in parallel), so the sums do not depend on the number of threads.
fn cluster_sums<F: Float>(data: &SparseData<'_, F>, labels: &[i32], k: usize) -> CoreResult<Sums> {
    let d = data.d();
    // Rows of each cluster, in row order (a counting sort of the labels).
    let mut start = vec![0usize; k + 1];
    for &l in labels {
        start[l as usize + 1] += 1;
    }
    for c in 0..k {
        start[c + 1] += start[c];
    }
    let mut next = start.clone();
    let mut members = try_filled(labels.len(), 0usize, "cluster members")?;
    for (i, &l) in labels.iter().enumerate() {
        members[next[l as usize]] = i;
        next[l as usize] += 1;
    }
    let mut s = try_filled_dims(&[k, d], 0.0f64, "centre sums")?;
    let mut w = vec![0.0f64; k];
    s.par_chunks_mut(d)
        .zip(w.par_iter_mut())
        .enumerate()
        .for_each(|(c, (sum, wsum))| {
            for &i in &members[start[c]..start[c + 1]] {
                let wi = data.weight(i);
                let (cols, vals) = data.x.row(i);
                for (&j, &v) in cols.iter().zip(vals) {
                    sum[j as usize] += v.to_f64() * wi;
                }
                *wsum += wi;
            }
        });
    Ok(Sums { s, w })
}

/// scikit-learn's `_relocate_empty_clusters_sparse`: each empty cluster (zero weight)
/// takes one of the rows farthest from their (old) centre, farthest first (lowest row
/// on ties), whose weight leaves its old cluster. Nothing moves when every row sits on
/// its centre.
fn relocate_empty_clusters<F: Float>(
    data: &SparseData<'_, F>,
    labels: &[i32],
    dists: &[f64],
    sums: &mut Sums,
) {
    let d = data.d();
    let empty: Vec<usize> = (0..sums.w.len()).filter(|&c| sums.w[c] == 0.0).collect();
    if empty.is_empty() || dists.iter().cloned().fold(0.0f64, f64::max) == 0.0 {
        return;
    }
    let n = data.n();
    let n_empty = empty.len().min(n);
    let mut order: Vec<usize> = (0..n).collect();
    let by_distance_desc = |a: &usize, b: &usize| dists[*b].total_cmp(&dists[*a]).then(a.cmp(b));
    if n_empty < n {
        order.select_nth_unstable_by(n_empty, by_distance_desc);
    }
    order.truncate(n_empty);
    order.sort_by(by_distance_desc);
    for (&new_c, &i) in empty.iter().zip(&order) {
        let old_c = labels[i] as usize;
        let wi = data.weight(i);
        let (cols, vals) = data.x.row(i);
        sums.s[new_c * d..(new_c + 1) * d].fill(0.0);
        for (&j, &v) in cols.iter().zip(vals) {
            let v = v.to_f64() * wi;
            sums.s[old_c * d + j as usize] -= v;
            sums.s[new_c * d + j as usize] = v;
        }
        sums.w[new_c] = wi;
        sums.w[old_c] -= wi;
    }
}

/// `tol * mean(per-column variance)` with the implicit zeros counted (scikit-learn's
/// `_tolerance` on sparse input: unweighted population variances). Two passes over the
/// stored values in order: the column means, then the squared deviations.
pub fn tolerance<F: Float>(x: &CsrView<'_, F>, tol: f64) -> CoreResult<f64> {
    if tol == 0.0 {
        return Ok(0.0);
    }
    let (n, d) = (x.n_rows() as f64, x.n_cols());
    let mut sum = try_filled(d, 0.0f64, "column sums")?;
    let mut stored = try_filled(d, 0usize, "column counts")?;
    for (&j, &v) in x.indices().iter().zip(x.data()) {
        sum[j as usize] += v.to_f64();
        stored[j as usize] += 1;
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let mut m2: Vec<f64> = (0..d)
        .map(|j| (x.n_rows() - stored[j]) as f64 * mean[j] * mean[j])
        .collect();
    for (&j, &v) in x.indices().iter().zip(x.data()) {
        let t = v.to_f64() - mean[j as usize];
        m2[j as usize] += t * t;
    }
    Ok(m2.iter().map(|m| m / n).sum::<f64>() / d as f64 * tol)
}

/// Greedy k-means++ (scikit-learn's `_kmeans_plusplus`) on sparse rows: the dense
/// path's [`super::init::kmeans_plusplus`] on the same random numbers (the first row
/// drawn in proportion to the weight, then the best by potential of `2 + floor(ln k)`
/// candidates drawn in proportion to `weight * closest squared distance`, both through
/// the same two-level draw over the same row groups). Returns the chosen rows, in order.
/// Checks `stop` before each centre.
pub fn kmeans_plusplus<F: Float>(
    data: &SparseData<'_, F>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
    stop: &Interrupt,
) -> CoreResult<Vec<usize>> {
    let (n, d) = (data.n(), data.d());
    let trials = 2 + (k as f64).ln().floor() as usize;
    let rows = group_rows(n);
    let ranges = group_ranges(n);
    let sizes: Vec<usize> = ranges.iter().map(|&(a, b)| b - a).collect();
    let weights: Vec<f64> = ranges
        .iter()
        .map(|&(a, b)| (a..b).map(|i| data.weight(i)).sum())
        .collect();
    let (g, o) = draw_row(&weights, &sizes, rng.gen(), |g, o| {
        data.weight(g * rows + o)
    });
    let mut chosen = vec![g * rows + o];
    let mut closest = try_filled(n, 0.0f64, "seeding distances")?;
    let mut dense = vec![F::zero(); trials.max(1) * d];
    data.densify_row(chosen[0], &mut dense[..d]);
    let first = Transposed::new(&dense[..d], 1, d)?;
    closest
        .par_chunks_mut(rows)
        .enumerate()
        .for_each(|(g, out)| {
            let mut buf = [0.0f64];
            for (o, c) in out.iter_mut().enumerate() {
                let i = g * rows + o;
                let (cols, vals) = data.x.row(i);
                first.dots(cols, vals, &mut buf);
                *c = first.sq_dist(data.norms[i], buf[0], 0);
            }
        });
    // Weighted group sums as the dense seeding forms them (four running sums, rows
    // modulo 4), so the draws see the same totals.
    let group_sum = |closest: &[f64], (a, b): (usize, usize)| -> f64 {
        let mut acc = [0.0f64; 4];
        for (q, i) in (a..b).enumerate() {
            acc[q % 4] += closest[i] * data.weight(i);
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3])
    };
    for _ in 1..k {
        stop.check()?;
        let sums: Vec<f64> = ranges.iter().map(|&r| group_sum(&closest, r)).collect();
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let (g, o) = draw_row(&sums, &sizes, rng.gen(), |g, o| {
                    let i = g * rows + o;
                    data.weight(i) * closest[i]
                });
                g * rows + o
            })
            .collect();
        for (t, &c) in candidates.iter().enumerate() {
            data.densify_row(c, &mut dense[t * d..(t + 1) * d]);
        }
        let cands = Transposed::new(&dense, trials, d)?;
        // Each candidate's potential `sum_i w_i * min(closest_i, ||x_i - x_c||^2)`.
        let parts: Vec<Vec<f64>> = closest
            .par_chunks(rows)
            .enumerate()
            .map(|(g, part)| {
                let mut buf = vec![0.0f64; trials];
                let mut pots = vec![0.0f64; trials];
                for (o, &cl) in part.iter().enumerate() {
                    let i = g * rows + o;
                    let (cols, vals) = data.x.row(i);
                    cands.dots(cols, vals, &mut buf);
                    let w = data.weight(i);
                    for (t, p) in pots.iter_mut().enumerate() {
                        *p += w * cands.sq_dist(data.norms[i], buf[t], t).min(cl);
                    }
                }
                pots
            })
            .collect();
        let mut pots = vec![0.0f64; trials];
        for part in parts {
            for (p, v) in pots.iter_mut().zip(part) {
                *p += v;
            }
        }
        let mut best = 0;
        for (t, &p) in pots.iter().enumerate() {
            if p < pots[best] {
                best = t;
            }
        }
        chosen.push(candidates[best]);
        let one = Transposed::new(&dense[best * d..(best + 1) * d], 1, d)?;
        closest
            .par_chunks_mut(rows)
            .enumerate()
            .for_each(|(g, out)| {
                let mut buf = [0.0f64];
                for (o, c) in out.iter_mut().enumerate() {
                    let i = g * rows + o;
                    let (cols, vals) = data.x.row(i);
                    one.dots(cols, vals, &mut buf);
                    *c = c.min(one.sq_dist(data.norms[i], buf[0], 0));
                }
            });
    }
    Ok(chosen)
}

/// The rows `chosen`, dense and row-major.
fn dense_rows<F: Float>(data: &SparseData<'_, F>, chosen: &[usize]) -> CoreResult<Vec<F>> {
    let d = data.d();
    let mut out = try_filled_dims(&[chosen.len(), d], F::zero(), "initial centres")?;
    for (c, &i) in chosen.iter().enumerate() {
        data.densify_row(i, &mut out[c * d..(c + 1) * d]);
    }
    Ok(out)
}

/// One Lloyd run from `init` (`k * d`) with the absolute tolerance `tol`: the dense
/// [`super::lloyd::run`] on sparse rows (same stopping rules, labels and inertia of the
/// final centres). Checks `stop` before each iteration.
pub fn lloyd<F: Float>(
    data: &SparseData<'_, F>,
    init: &[F],
    k: usize,
    max_iter: usize,
    tol: f64,
    stop: &Interrupt,
) -> CoreResult<RunResult<F>> {
    let (n, d) = (data.n(), data.d());
    let mut centres = init.to_vec();
    let mut new_centres = try_filled_dims(&[k, d], F::zero(), "centres")?;
    let mut labels = try_filled(n, -1i32, "labels")?;
    let mut previous = try_filled(n, -1i32, "labels")?;
    let mut dists = try_filled(n, 0.0f64, "distances")?;
    let mut n_iter = 0;
    for it in 0..max_iter {
        stop.check()?;
        n_iter = it + 1;
        std::mem::swap(&mut labels, &mut previous);
        let blocks = Transposed::new(&centres, k, d)?;
        assign(data, &blocks, &mut labels, &mut dists, stop)?;
        let changed = labels.iter().zip(&previous).any(|(a, b)| a != b);
        let mut sums = cluster_sums(data, &labels, k)?;
        relocate_empty_clusters(data, &labels, &dists, &mut sums);
        average_centres(&sums, k, d, &mut new_centres);
        let shift_tot: f64 = centre_shifts(&centres, &new_centres, k, d)
            .iter()
            .map(|s| s * s)
            .sum();
        std::mem::swap(&mut centres, &mut new_centres);
        if !changed || shift_tot <= tol {
            break;
        }
    }
    let blocks = Transposed::new(&centres, k, d)?;
    let inertia = assign(data, &blocks, &mut labels, &mut dists, stop)?;
    Ok(RunResult {
        centres,
        labels,
        inertia,
        n_iter,
    })
}

/// Fit k-means to the sparse `x` with optional sample weights: the dense [`super::fit`]
/// (restarts, seeding, stopping rules, choice of the best restart) with Lloyd's
/// iteration whatever `params.algorithm` says.
///
/// Errors: `n < k`, invalid weights, given centres of the wrong shape or not finite,
/// a buffer too large to allocate, [`CoreError::Interrupted`] once `stop` is requested.
pub fn fit<F: Float>(
    x: CsrView<'_, F>,
    weights: Option<&[f64]>,
    params: &KMeansValidParams,
    init: &Init<'_, F>,
    stop: &Interrupt,
) -> CoreResult<KMeansFit<F>> {
    let k = params.n_clusters;
    let (n, d) = (x.n_rows(), x.n_cols());
    if n < k {
        return Err(CoreError::NotEnoughSamples {
            n_samples: n,
            n_clusters: k,
        });
    }
    let n_init = restart_count(init, params, d)?;
    let data = SparseData::new(x, weights)?;
    let tol = tolerance(&data.x, params.tol)?;
    let run_one = |r: usize, mut rng| -> CoreResult<RunResult<F>> {
        let start = match init {
            Init::Given(arr) => arr
                .index_axis(ndarray::Axis(0), r)
                .iter()
                .copied()
                .collect(),
            Init::KMeansPlusPlus => dense_rows(&data, &kmeans_plusplus(&data, k, &mut rng, stop)?)?,
            Init::Random => dense_rows(
                &data,
                &random_row_indices(n, |i| data.weight(i), k, &mut rng)?,
            )?,
        };
        lloyd(&data, &start, k, params.max_iter, tol, stop)
    };
    let wave = super::init::restart_wave(n);
    best_restart(n_init, params.seed, (k, d), wave, stop, run_one, drop)
}

/// Labels (closest centre, first on ties) and weighted inertia of the sparse `x`
/// against `centres` (`predict` and `score`). Checks `stop` every
/// [`STOP_ROWS`] rows, as does [`transform`].
pub fn labels_inertia<F: Float>(
    x: CsrView<'_, F>,
    centres: ArrayView2<'_, F>,
    weights: Option<&[f64]>,
    stop: &Interrupt,
) -> CoreResult<(Array1<i32>, f64)> {
    let cs = check_centres(&centres, x.n_cols())?;
    let data = SparseData::new(x, weights)?;
    let (labels, inertia) = labels_and_inertia(&data, cs, centres.nrows(), stop)?;
    Ok((Array1::from_vec(labels), inertia))
}

/// Euclidean distance of every sparse row to every centre, `(n, k)`.
pub fn transform<F: Float>(
    x: CsrView<'_, F>,
    centres: ArrayView2<'_, F>,
    stop: &Interrupt,
) -> CoreResult<Array2<F>> {
    let cs = check_centres(&centres, x.n_cols())?;
    let k = centres.nrows();
    let data = SparseData::new(x, None)?;
    let blocks = Transposed::new(cs, k, data.d())?;
    let n = data.n();
    let mut out = try_filled_dims(&[n, k], F::zero(), "distances")?;
    let rows = group_rows(n);
    out.par_chunks_mut(rows * k)
        .enumerate()
        .try_for_each(|(g, dst)| {
            let mut buf = vec![0.0f64; k];
            for (o, drow) in dst.chunks_exact_mut(k).enumerate() {
                if o % STOP_ROWS == 0 {
                    stop.check()?;
                }
                let i = g * rows + o;
                let (cols, vals) = data.x.row(i);
                blocks.dots(cols, vals, &mut buf);
                for (c, v) in drow.iter_mut().enumerate() {
                    *v = F::from_f64(blocks.sq_dist(data.norms[i], buf[c], c).sqrt());
                }
            }
            Ok::<(), CoreError>(())
        })?;
    Array2::from_shape_vec((n, k), out).map_err(|e| CoreError::Internal(format!("shape: {e}")))
}

/// Rows of a [`SparseData`] copied into a CSR of their own (a mini-batch, a validation or
/// seeding sample), with their weights when `weighted`.
struct Gathered<F> {
    indptr: Vec<i64>,
    indices: Vec<i64>,
    data: Vec<F>,
    w: Option<Vec<f64>>,
    n: usize,
    d: usize,
}

impl<F: Float> Gathered<F> {
    fn new(from: &SparseData<'_, F>, rows: &[usize], weighted: bool) -> CoreResult<Self> {
        let nnz: usize = rows.iter().map(|&i| from.x.row(i).0.len()).sum();
        let mut indices = try_with_capacity(nnz, "sampled rows")?;
        let mut data = try_with_capacity(nnz, "sampled rows")?;
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0i64);
        for &i in rows {
            let (cols, vals) = from.x.row(i);
            indices.extend_from_slice(cols);
            data.extend_from_slice(vals);
            indptr.push(indices.len() as i64);
        }
        let w = match (weighted, from.w) {
            (true, Some(w)) => Some(rows.iter().map(|&i| w[i]).collect()),
            _ => None,
        };
        Ok(Gathered {
            indptr,
            indices,
            data,
            w,
            n: rows.len(),
            d: from.d(),
        })
    }

    fn view(&self) -> CoreResult<SparseData<'_, F>> {
        let x = CsrView::new(
            self.n,
            self.d,
            &self.indptr,
            &self.indices,
            &self.data,
            crate::numerics::Finite::All,
        )?;
        SparseData::new(x, self.w.as_deref())
    }
}

/// Initial centres from `init` on `data` (restart `restart` of given centres), as the
/// dense [`minibatch::init_centres`] on the same random numbers.
fn seed_centres<F: Float>(
    data: &SparseData<'_, F>,
    k: usize,
    init: &Init<'_, F>,
    restart: usize,
    rng: &mut Xoshiro256PlusPlus,
    stop: &Interrupt,
) -> CoreResult<Vec<F>> {
    match init {
        Init::KMeansPlusPlus => dense_rows(data, &kmeans_plusplus(data, k, rng, stop)?),
        Init::Random => dense_rows(
            data,
            &random_row_indices(data.n(), |i| data.weight(i), k, rng)?,
        ),
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

/// Labels and weighted inertia of `data` against row-major `centres` (`k * d`).
fn labels_and_inertia<F: Float>(
    data: &SparseData<'_, F>,
    centres: &[F],
    k: usize,
    stop: &Interrupt,
) -> CoreResult<(Vec<i32>, f64)> {
    let blocks = Transposed::new(centres, k, data.d())?;
    let mut labels = try_filled(data.n(), 0i32, "labels")?;
    let mut dists = try_filled(data.n(), 0.0f64, "distances")?;
    let inertia = assign(data, &blocks, &mut labels, &mut dists, stop)?;
    Ok((labels, inertia))
}

/// One mini-batch update (the dense [`minibatch::step`]) on the sparse rows of `batch`,
/// with their weights; updates `centres` and `counts` in place. Returns the batch inertia
/// (against the centres before the update) and the squared centre change. Checks `stop`
/// every [`STOP_ROWS`] rows, before any centre moves.
pub fn minibatch_step<F: Float>(
    batch: &SparseData<'_, F>,
    centres: &mut [F],
    counts: &mut [f64],
    reassign: (bool, f64),
    rng: &mut Xoshiro256PlusPlus,
    stop: &Interrupt,
) -> CoreResult<(f64, f64)> {
    let (k, d) = (counts.len(), batch.d());
    let blocks = Transposed::new(centres, k, d)?;
    let mut sums = try_filled_dims(&[k, d], 0.0f64, "centre sums")?;
    let mut wsum = vec![0.0f64; k];
    let mut buf = vec![0.0f64; k];
    let mut inertia = 0.0;
    for i in 0..batch.n() {
        if i % STOP_ROWS == 0 {
            stop.check()?;
        }
        let (cols, vals) = batch.x.row(i);
        let (c, dist) = blocks.closest(cols, vals, batch.norms[i], &mut buf);
        let w = batch.weight(i);
        inertia += dist * w;
        wsum[c] += w;
        for (&j, &v) in cols.iter().zip(vals) {
            sums[c * d + j as usize] += v.to_f64() * w;
        }
    }
    let shift = minibatch::update_centres(
        centres,
        counts,
        (&sums, &wsum),
        batch.n(),
        reassign,
        rng,
        |r, out| batch.densify_row(r, out),
    );
    Ok((inertia, shift))
}

/// Mini-batch k-means on the sparse `x`: the dense [`minibatch::fit`] (same random
/// streams, sizes, reassignment and early stopping; batches copied out of the CSR, never
/// densified). Checks `stop` before each initialisation and each batch.
pub fn minibatch_fit<F: Float>(
    x: CsrView<'_, F>,
    weights: Option<&[f64]>,
    params: &MiniBatchValidParams,
    init: &Init<'_, F>,
    stop: &Interrupt,
) -> CoreResult<MiniBatchFit<F>> {
    let k = params.n_clusters;
    let (n, d) = (x.n_rows(), x.n_cols());
    minibatch::check_shapes(n, d, k, init)?;
    let data = SparseData::new(x, weights)?;
    let tol = tolerance(&data.x, params.tol)?;
    let (batch, init_size) = minibatch::effective_sizes(params, n);
    let mut rng = restart_rng(params.seed, 0);
    let valid_idx: Vec<usize> = (0..init_size).map(|_| rng.gen_range(0..n)).collect();
    let valid_rows = Gathered::new(&data, &valid_idx, true)?;
    let valid = valid_rows.view()?;
    let candidate = |r: usize, mut irng| -> CoreResult<(Vec<F>, f64)> {
        let centres = match init {
            Init::Given(_) => seed_centres(&data, k, init, r, &mut irng, stop)?,
            _ => {
                let idx: Vec<usize> = (0..init_size).map(|_| irng.gen_range(0..n)).collect();
                let sample = Gathered::new(&data, &idx, true)?;
                seed_centres(&sample.view()?, k, init, r, &mut irng, stop)?
            }
        };
        let (_, inertia) = labels_and_inertia(&valid, &centres, k, stop)?;
        Ok((centres, inertia))
    };
    let mut centres = minibatch::best_start(init, params, stop, candidate)?;

    let mut counts = vec![0.0f64; k];
    let (cum, total_weight) = minibatch::cumulative_weights(n, |i| data.weight(i))?;
    let n_steps = params.max_iter.saturating_mul(n) / batch;
    let mut idx = Vec::with_capacity(batch);
    let mut early = minibatch::EarlyStop::new();
    let mut n_since = 0usize;
    let mut steps_done = 0usize;
    for i in 0..n_steps {
        stop.check()?;
        minibatch::draw_weighted(&cum, batch, &mut rng, &mut idx);
        // Drawn in proportion to the weight, so the batch itself is unweighted.
        let rows = Gathered::new(&data, &idx, false)?;
        let reassign;
        (n_since, reassign) = minibatch::advance_clock(n_since, batch, &counts);
        let outcome = minibatch_step(
            &rows.view()?,
            &mut centres,
            &mut counts,
            (reassign, params.reassignment_ratio),
            &mut rng,
            stop,
        )?;
        steps_done = i + 1;
        if early.stop_after(i, outcome, (batch, n), tol, params.max_no_improvement) {
            break;
        }
    }
    let labelled = if params.compute_labels {
        Some(labels_and_inertia(&data, &centres, k, stop)?)
    } else {
        None
    };
    let ewa_inertia = early.ewa.unwrap_or(0.0) * total_weight;
    minibatch::finish(
        centres,
        counts,
        labelled,
        ewa_inertia,
        (steps_done, batch, n, n_since),
    )
}

/// One `partial_fit` step on the sparse `x` (the dense [`minibatch::partial_step`]):
/// updates `centres` and `counts` in place and returns the reassignment clock. Checks
/// `stop` as [`minibatch_step`].
#[allow(clippy::too_many_arguments)]
pub fn minibatch_partial_step<F: Float>(
    x: CsrView<'_, F>,
    weights: Option<&[f64]>,
    centres: &mut [F],
    counts: &mut [f64],
    n_since_last_reassign: usize,
    reassignment_ratio: f64,
    seed: u64,
    step_index: u64,
    stop: &Interrupt,
) -> CoreResult<usize> {
    let (n, d) = (x.n_rows(), x.n_cols());
    let k = counts.len();
    if k == 0 || centres.len() != k * d {
        return Err(CoreError::ShapeMismatch {
            what: "centres (n_clusters * n_features)",
            expected: k * d,
            got: centres.len(),
        });
    }
    let data = SparseData::new(x, weights)?;
    let (mut rng, n_since, reassign) =
        minibatch::partial_clock(seed, step_index, n_since_last_reassign, n, counts);
    minibatch_step(
        &data,
        centres,
        counts,
        (reassign, reassignment_ratio),
        &mut rng,
        stop,
    )?;
    Ok(n_since)
}

/// Initial centres for the first `partial_fit` call on the sparse `x` (the dense
/// [`minibatch::initial_centres`] on the same random numbers).
pub fn minibatch_initial_centres<F: Float>(
    x: CsrView<'_, F>,
    weights: Option<&[f64]>,
    n_clusters: usize,
    init: &Init<'_, F>,
    init_size: usize,
    seed: u64,
    stop: &Interrupt,
) -> CoreResult<Array2<F>> {
    let (n, d) = (x.n_rows(), x.n_cols());
    let data = SparseData::new(x, weights)?;
    let given = matches!(init, Init::Given(_));
    let (sample, mut rng) = minibatch::initial_sample(n, n_clusters, given, init_size, seed)?;
    let centres = match sample {
        Some(idx) => {
            let sample = Gathered::new(&data, &idx, true)?;
            seed_centres(&sample.view()?, n_clusters, init, 0, &mut rng, stop)?
        }
        None => seed_centres(&data, n_clusters, init, 0, &mut rng, stop)?,
    };
    Array2::from_shape_vec((n_clusters, d), centres)
        .map_err(|e| CoreError::Internal(format!("centre shape: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kmeans::common::Data;
    use crate::kmeans::init;
    use crate::kmeans::KMeansParams;
    use crate::numerics::Finite;
    use crate::params::Params;

    /// A basket-like matrix: mostly zeros, small counts, some empty rows; as CSR and dense.
    fn basket(n: usize, d: usize, seed: u64) -> (Vec<i64>, Vec<i64>, Vec<f64>, Vec<f64>) {
        let mut rng = restart_rng(seed, 0);
        let (mut indptr, mut indices, mut data) = (vec![0i64], Vec::new(), Vec::new());
        let mut dense = vec![0.0; n * d];
        for i in 0..n {
            let group = i % 4;
            for j in 0..d {
                let p = if j % 4 == group { 0.4 } else { 0.03 };
                if i % 37 != 3 && rng.gen::<f64>() < p {
                    let v = (1 + rng.gen_range(0..5)) as f64 * 0.5;
                    indices.push(j as i64);
                    data.push(v);
                    dense[i * d + j] = v;
                }
            }
            indptr.push(indices.len() as i64);
        }
        (indptr, indices, data, dense)
    }

    #[test]
    fn seeding_picks_the_rows_of_the_dense_seeding() {
        let (n, d) = (5000, 30);
        let (indptr, indices, values, dense) = basket(n, d, 1);
        let x = CsrView::new(n, d, &indptr, &indices, &values, Finite::All).unwrap();
        let w: Vec<f64> = (0..n).map(|i| ((i * 7) % 5) as f64 * 0.5).collect();
        for (weights, k, seed) in [(None, 1, 0), (None, 6, 2), (Some(&w[..]), 9, 4)] {
            let data = SparseData::new(x, weights).unwrap();
            let stop = Interrupt::new();
            let chosen = kmeans_plusplus(&data, k, &mut restart_rng(seed, 0), &stop).unwrap();
            let dense_data = Data {
                x: &dense,
                n,
                d,
                w: weights,
            };
            let seeded =
                init::kmeans_plusplus(&dense_data, k, &mut restart_rng(seed, 0), &stop).unwrap();
            assert_eq!(dense_rows(&data, &chosen).unwrap(), seeded.centres);
        }
    }

    #[test]
    fn fit_equals_the_dense_fit() {
        let (n, d) = (3000, 20);
        let (indptr, indices, values, dense) = basket(n, d, 3);
        let x = CsrView::new(n, d, &indptr, &indices, &values, Finite::All).unwrap();
        let xd = Array2::from_shape_vec((n, d), dense).unwrap();
        let params = KMeansParams {
            n_clusters: 5,
            n_init: 2,
            seed: 11,
            algorithm: crate::kmeans::Algorithm::Lloyd,
            ..Default::default()
        }
        .check()
        .unwrap();
        let stop = Interrupt::new();
        let a = fit(x, None, &params, &Init::KMeansPlusPlus, &stop).unwrap();
        let b = crate::kmeans::fit(xd.view(), None, &params, &Init::KMeansPlusPlus, &stop).unwrap();
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.n_iter, b.n_iter);
        for (p, q) in a.centres.iter().zip(b.centres.iter()) {
            assert!((p - q).abs() <= 1e-12 * q.abs().max(1.0));
        }
        assert!((a.inertia - b.inertia).abs() <= 1e-9 * b.inertia);
        let (labels, inertia) = labels_inertia(x, a.centres.view(), None, &stop).unwrap();
        assert_eq!(labels, a.labels);
        assert!((inertia - a.inertia).abs() <= 1e-12 * a.inertia);
        let dist = transform(x, a.centres.view(), &stop).unwrap();
        let dist_dense = crate::kmeans::transform(xd.view(), a.centres.view(), &stop).unwrap();
        for (p, q) in dist.iter().zip(dist_dense.iter()) {
            assert!((p - q).abs() <= 1e-9 * q.max(1.0));
        }
        // A requested stop: no labels, inertia or distances.
        stop.request();
        let stopped = Err(CoreError::Interrupted);
        assert_eq!(
            labels_inertia(x, a.centres.view(), None, &stop).map(drop),
            stopped
        );
        assert_eq!(transform(x, a.centres.view(), &stop).map(drop), stopped);
    }

    #[test]
    fn empty_cluster_takes_the_farthest_row() {
        // [[0], [0.1], [0.2], [10]] with a second centre far away: it ends up at 10.
        let (indptr, indices, values) = ([0i64, 0, 1, 2, 3], [0i64, 0, 0], [0.1f64, 0.2, 10.0]);
        let x = CsrView::new(4, 1, &indptr, &indices, &values, Finite::All).unwrap();
        let data = SparseData::new(x, None).unwrap();
        let run = lloyd(&data, &[0.0, 1000.0], 2, 300, 0.0, &Interrupt::new()).unwrap();
        assert_eq!(run.labels, vec![0, 0, 0, 1]);
        assert!((run.centres[1] - 10.0).abs() < 1e-12);
    }

    #[test]
    fn tolerance_counts_the_implicit_zeros() {
        // columns [1, 0, 3] and [0, 0, 0]: variances 14/9 and 0
        let (indptr, indices, values) = ([0i64, 1, 1, 2], [0i64, 0], [1.0f64, 3.0]);
        let x = CsrView::new(3, 2, &indptr, &indices, &values, Finite::All).unwrap();
        let t = tolerance(&x, 1.0).unwrap();
        assert!((t - 14.0 / 9.0 / 2.0).abs() < 1e-15);
    }
}
