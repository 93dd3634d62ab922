//! The exact Euclidean silhouette in O(n + one block) memory.
//!
//! Samples are sorted by cluster and stored column-major (`d x n`), so the distances from
//! one sample to every member of a cluster are a contiguous, vectorisable sweep. Blocks of
//! rows are processed in parallel against column tiles that stay in cache; each row keeps
//! only its `k` per-cluster distance sums. Distances are computed from direct differences
//! (`sqrt(sum (x_i - x_j)^2)`), which is more accurate than the dot-product expansion.
//!
//! The inner kernel (4 rows x 8 samples) is chosen at run time: AVX-512F, AVX2 + FMA, or
//! portable code. Each row's sums are accumulated in a fixed order, so the result does not
//! depend on the number of threads (it may differ in the last bits between kernels).

use std::ops::Range;

use ndarray::{Array1, ArrayView2};
use rayon::prelude::*;

use crate::distance::{Pairwise, TILE as DISTANCE_TILE};
use crate::error::check_finite_nonempty;
use crate::numerics::simd::{self, Level};
use crate::numerics::try_filled_dims;
use crate::numerics::CsrView;
use crate::stats::partition::{check_number_of_labels, Partition};
use crate::{CoreError, CoreResult, Interrupt};

// The constants below are SIMD and cache tiling. None sets a reduction order over row
// blocks: each row's per-cluster sums are accumulated in a fixed sample order, and the
// symmetric path's WORKERS accumulators are a fixed count merged in worker order.

/// Samples per inner step (one AVX-512 or two AVX2 registers of f64).
const LANES: usize = 8;
/// Rows evaluated together against one loaded column chunk.
const MICRO_ROWS: usize = 4;
/// Rows per parallel task.
const ROW_BLOCK: usize = 64;
/// Columns per cache tile (`d * COL_TILE * 8` bytes).
const COL_TILE: usize = 2048;

/// Samples sorted by cluster, column-major.
struct SortedColumns {
    /// `xt[f * n + p]` = feature `f` of the sample at sorted position `p`.
    xt: Vec<f64>,
    n: usize,
    d: usize,
    /// Cluster `c` occupies sorted positions `starts[c]..starts[c + 1]`.
    starts: Vec<usize>,
}

impl SortedColumns {
    fn new(x: ArrayView2<'_, f64>, order: &[usize], starts: Vec<usize>) -> CoreResult<Self> {
        let (n, d) = x.dim();
        let mut xt = try_filled_dims(&[n, d], 0.0, "the silhouette's copy of X")?;
        for (p, &i) in order.iter().enumerate() {
            for (f, &v) in x.row(i).iter().enumerate() {
                xt[f * n + p] = v;
            }
        }
        Ok(Self { xt, n, d, starts })
    }
}

/// Distances from `MICRO_ROWS` query rows to `LANES` consecutive sorted samples.
trait ChunkKernel {
    /// Write `dist(q_r, sample j + t)` into `out[r][t]`.
    ///
    /// # Safety
    /// The CPU must support the kernel's instruction set; `j + LANES <= data.n` and
    /// `q.len() >= MICRO_ROWS * data.d`.
    unsafe fn distances(
        data: &SortedColumns,
        q: &[f64],
        j: usize,
        out: &mut [[f64; LANES]; MICRO_ROWS],
    );
}

/// Portable kernel (any CPU).
struct ScalarKernel;

impl ChunkKernel for ScalarKernel {
    #[inline(always)]
    unsafe fn distances(
        data: &SortedColumns,
        q: &[f64],
        j: usize,
        out: &mut [[f64; LANES]; MICRO_ROWS],
    ) {
        let (n, d) = (data.n, data.d);
        let mut d2 = [[0.0f64; LANES]; MICRO_ROWS];
        for f in 0..d {
            let seg = &data.xt[f * n + j..f * n + j + LANES];
            let col: [f64; LANES] = std::array::from_fn(|t| seg[t]);
            for r in 0..MICRO_ROWS {
                let qf = q[r * d + f];
                for t in 0..LANES {
                    let diff = col[t] - qf;
                    d2[r][t] += diff * diff;
                }
            }
        }
        for r in 0..MICRO_ROWS {
            for t in 0..LANES {
                out[r][t] = d2[r][t].sqrt();
            }
        }
    }
}

/// AVX-512F kernel: one register holds the 8 samples.
#[cfg(target_arch = "x86_64")]
struct Avx512Kernel;

#[cfg(target_arch = "x86_64")]
impl ChunkKernel for Avx512Kernel {
    #[inline(always)]
    unsafe fn distances(
        data: &SortedColumns,
        q: &[f64],
        j: usize,
        out: &mut [[f64; LANES]; MICRO_ROWS],
    ) {
        use std::arch::x86_64::*;
        let (n, d) = (data.n, data.d);
        debug_assert!(j + LANES <= n && q.len() >= MICRO_ROWS * d);
        let base = data.xt.as_ptr();
        // SAFETY (whole block): the caller guarantees AVX-512F and that the 8 loads at
        // f * n + j stay inside row f of xt; `out` rows hold exactly 8 f64.
        unsafe {
            let mut d2 = [_mm512_setzero_pd(); MICRO_ROWS];
            for f in 0..d {
                let col = _mm512_loadu_pd(base.add(f * n + j));
                for (r, acc) in d2.iter_mut().enumerate() {
                    let diff = _mm512_sub_pd(col, _mm512_set1_pd(q[r * d + f]));
                    *acc = _mm512_fmadd_pd(diff, diff, *acc);
                }
            }
            for (o, v) in out.iter_mut().zip(d2) {
                _mm512_storeu_pd(o.as_mut_ptr(), sqrt_avx512(v));
            }
        }
    }
}

/// Square root of 8 non-negative doubles, faster than `vsqrtpd` on AMD Zen 4/5, where
/// the 512-bit square root is the kernel's bottleneck: a 14-bit reciprocal square-root
/// estimate, one Newton step (about 28 bits) and one Newton correction of the root
/// itself, accurate to a few ulp (tested <= 4 eps). Zero maps to zero; vectors holding a
/// subnormal or infinite value use `vsqrtpd`.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn sqrt_avx512(x: std::arch::x86_64::__m512d) -> std::arch::x86_64::__m512d {
    use std::arch::x86_64::*;
    // SAFETY: AVX-512F is guaranteed by the caller.
    unsafe {
        let half = _mm512_set1_pd(0.5);
        let three_halves = _mm512_set1_pd(1.5);
        let y0 = _mm512_rsqrt14_pd(x);
        // y1 = y0 * (1.5 - 0.5 * x * y0^2)
        let t = _mm512_mul_pd(_mm512_mul_pd(x, half), _mm512_mul_pd(y0, y0));
        let y1 = _mm512_mul_pd(y0, _mm512_sub_pd(three_halves, t));
        // s = s0 + (y1 / 2) * (x - s0^2), with s0 = x * y1
        let s0 = _mm512_mul_pd(x, y1);
        let r = _mm512_fnmadd_pd(s0, s0, x);
        let s = _mm512_fmadd_pd(_mm512_mul_pd(y1, half), r, s0);
        // Zero gives 0 * inf = NaN above; subnormals (rsqrt14 flushes them) and infinity
        // are rare enough to take the exact instruction for the whole vector.
        let normal = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(x, _mm512_set1_pd(f64::MIN_POSITIVE))
            & _mm512_cmp_pd_mask::<_CMP_LE_OQ>(x, _mm512_set1_pd(f64::MAX));
        let zero = _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(x, _mm512_setzero_pd());
        if normal | zero != 0xFF {
            return _mm512_sqrt_pd(x);
        }
        _mm512_maskz_mov_pd(normal, s)
    }
}

/// AVX2 + FMA kernel: two registers hold the 8 samples.
#[cfg(target_arch = "x86_64")]
struct Avx2Kernel;

#[cfg(target_arch = "x86_64")]
impl ChunkKernel for Avx2Kernel {
    #[inline(always)]
    unsafe fn distances(
        data: &SortedColumns,
        q: &[f64],
        j: usize,
        out: &mut [[f64; LANES]; MICRO_ROWS],
    ) {
        use std::arch::x86_64::*;
        let (n, d) = (data.n, data.d);
        debug_assert!(j + LANES <= n && q.len() >= MICRO_ROWS * d);
        let base = data.xt.as_ptr();
        // SAFETY (whole block): the caller guarantees AVX2 + FMA and that the 8 loads at
        // f * n + j stay inside row f of xt; `out` rows hold exactly 8 f64.
        unsafe {
            let mut d2 = [_mm256_setzero_pd(); 2 * MICRO_ROWS];
            for f in 0..d {
                let p = base.add(f * n + j);
                let (lo, hi) = (_mm256_loadu_pd(p), _mm256_loadu_pd(p.add(4)));
                for r in 0..MICRO_ROWS {
                    let qf = _mm256_set1_pd(q[r * d + f]);
                    let a = _mm256_sub_pd(lo, qf);
                    let b = _mm256_sub_pd(hi, qf);
                    d2[2 * r] = _mm256_fmadd_pd(a, a, d2[2 * r]);
                    d2[2 * r + 1] = _mm256_fmadd_pd(b, b, d2[2 * r + 1]);
                }
            }
            for (r, o) in out.iter_mut().enumerate() {
                _mm256_storeu_pd(o.as_mut_ptr(), _mm256_sqrt_pd(d2[2 * r]));
                _mm256_storeu_pd(o.as_mut_ptr().add(4), _mm256_sqrt_pd(d2[2 * r + 1]));
            }
        }
    }
}

/// Run `$body` with `$K` bound to the kernel type of the instruction-set level `$level`,
/// compiled for that level through the shared dispatch ([`crate::numerics::simd`]).
///
/// `$body` runs in an unsafe context: it may call the kernels' unsafe sweeps, whose one
/// requirement (the CPU supports `$K`'s instruction set) the detection guarantees.
macro_rules! with_kernel {
    ($level:expr, $K:ident => $body:expr) => {
        match $level {
            // SAFETY: the level was chosen by runtime feature detection (`Level::detect`).
            #[cfg(target_arch = "x86_64")]
            Level::Avx512F => unsafe {
                simd::avx512f(
                    #[inline(always)]
                    || {
                        type $K = Avx512Kernel;
                        $body
                    },
                )
            },
            // SAFETY: as above, for AVX2 + FMA.
            #[cfg(target_arch = "x86_64")]
            Level::Avx2Fma => unsafe {
                simd::avx2_fma(
                    #[inline(always)]
                    || {
                        type $K = Avx2Kernel;
                        $body
                    },
                )
            },
            // SAFETY: the portable kernel runs on any CPU.
            Level::Portable => unsafe {
                type $K = ScalarKernel;
                $body
            },
        }
    };
}

/// Scalar distance from one query row to the sorted sample `j`.
#[inline(always)]
fn distance_to(data: &SortedColumns, q: &[f64], j: usize) -> f64 {
    let mut s = 0.0;
    for (f, &qf) in q.iter().enumerate().take(data.d) {
        let diff = data.xt[f * data.n + j] - qf;
        s += diff * diff;
    }
    s.sqrt()
}

/// Per-cluster distance sums (`rows_padded x k`) for the block whose query rows are `q`
/// (`rows_padded x d`, `rows_padded` a multiple of `MICRO_ROWS`).
///
/// # Safety
/// The CPU must support `K`'s instruction set.
#[inline(always)]
unsafe fn block_sums_with<K: ChunkKernel>(
    data: &SortedColumns,
    cid: &[u32],
    q: &[f64],
    sums: &mut [f64],
    k: usize,
) {
    let d = data.d;
    let rows = q.len() / d;
    let mut t0 = 0;
    while t0 < data.n {
        let t1 = (t0 + COL_TILE).min(data.n);
        let mut r0 = 0;
        while r0 < rows {
            let qm = &q[r0 * d..(r0 + MICRO_ROWS) * d];
            let sm = &mut sums[r0 * k..(r0 + MICRO_ROWS) * k];
            // SAFETY: forwarded; t1 <= n and qm holds MICRO_ROWS rows.
            unsafe { sweep::<K, false>(data, cid, qm, &[], (t0, t1), sm, &mut []) };
            r0 += MICRO_ROWS;
        }
        t0 = t1;
    }
}

/// Per-cluster distance sums for the sorted rows `p0..p0 + rows`, returned as
/// `rows_padded x k` (extra rows repeat the last one and are ignored).
fn block_sums(simd: Level, data: &SortedColumns, cid: &[u32], p0: usize, rows: usize) -> Vec<f64> {
    let (n, d) = (data.n, data.d);
    let k = data.starts.len() - 1;
    let padded = rows.div_ceil(MICRO_ROWS) * MICRO_ROWS;
    let mut q = vec![0.0f64; padded * d];
    for r in 0..padded {
        let src = p0 + r.min(rows - 1);
        for f in 0..d {
            q[r * d + f] = data.xt[f * n + src];
        }
    }
    let mut sums = vec![0.0f64; padded * k];
    with_kernel!(simd, K => block_sums_with::<K>(data, cid, &q, &mut sums, k));
    sums
}

/// Side of the square tiles of the symmetric path (a multiple of `LANES` and `MICRO_ROWS`).
const TILE: usize = 256;
/// Fixed number of accumulators of the symmetric path, whatever the thread count, so the
/// result is the same on 1 or many threads.
const WORKERS: usize = 8;
/// Largest memory for the symmetric path's accumulators (`WORKERS x n x k` f64).
const SYMMETRIC_BUDGET_BYTES: usize = 128 << 20;

/// Distances from the `MICRO_ROWS` rows in `q` to sorted samples `j0..j1`, added per
/// cluster of the samples to `row_sums` (`MICRO_ROWS x k`). The one sweep of both paths:
///
/// * `MIRROR = false` (row-by-row path): `row_cid` and `col_sums` are unused (empty).
/// * `MIRROR = true` (pair-once path, off-diagonal tiles): the same distances are also added
///   to `col_sums` (`k x (j1 - j0)`) under the clusters `row_cid` of the `valid =
///   row_cid.len()` real rows (the others are padding).
///
/// Chunks inside one cluster accumulate in lanes and are flushed when the cluster changes;
/// chunks that straddle a cluster boundary add lane by lane. `MIRROR` is a constant so the
/// row-by-row instantiation carries no mirroring code.
///
/// # Safety
/// As [`ChunkKernel::distances`]; `j1 <= data.n`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn sweep<K: ChunkKernel, const MIRROR: bool>(
    data: &SortedColumns,
    cid: &[u32],
    q: &[f64],
    row_cid: &[u32],
    (j0, j1): (usize, usize),
    row_sums: &mut [f64],
    col_sums: &mut [f64],
) {
    let (d, k) = (data.d, row_sums.len() / MICRO_ROWS);
    let width = j1 - j0;
    let valid = row_cid.len();
    let one_cluster = MIRROR && valid == MICRO_ROWS && row_cid.iter().all(|&c| c == row_cid[0]);
    let mut dist = [[0.0f64; LANES]; MICRO_ROWS];
    let mut acc = [[0.0f64; LANES]; MICRO_ROWS];
    let mut cur = usize::MAX;
    let flush = |acc: &mut [[f64; LANES]; MICRO_ROWS], cur: usize, sums: &mut [f64]| {
        if cur != usize::MAX {
            for (r, lanes) in acc.iter_mut().enumerate() {
                sums[r * k + cur] += lanes.iter().sum::<f64>();
                *lanes = [0.0; LANES];
            }
        }
    };
    let mut j = j0;
    while j + LANES <= j1 {
        // SAFETY: forwarded from the caller; j + LANES <= j1 <= n.
        unsafe { K::distances(data, q, j, &mut dist) };
        let (first, last) = (cid[j] as usize, cid[j + LANES - 1] as usize);
        if first == last {
            if first != cur {
                flush(&mut acc, cur, row_sums);
                cur = first;
            }
            for r in 0..MICRO_ROWS {
                for t in 0..LANES {
                    acc[r][t] += dist[r][t];
                }
            }
        } else {
            for (r, row) in dist.iter().enumerate() {
                for (t, &v) in row.iter().enumerate() {
                    row_sums[r * k + cid[j + t] as usize] += v;
                }
            }
        }
        if MIRROR {
            let off = j - j0;
            if one_cluster {
                let c = row_cid[0] as usize;
                let col = &mut col_sums[c * width + off..c * width + off + LANES];
                for (t, o) in col.iter_mut().enumerate() {
                    *o += (dist[0][t] + dist[1][t]) + (dist[2][t] + dist[3][t]);
                }
            } else {
                for (r, &c) in row_cid.iter().enumerate() {
                    let col = &mut col_sums[c as usize * width + off..][..LANES];
                    for (o, &v) in col.iter_mut().zip(&dist[r]) {
                        *o += v;
                    }
                }
            }
        }
        j += LANES;
    }
    flush(&mut acc, cur, row_sums);
    for (jj, &c) in cid.iter().enumerate().take(j1).skip(j) {
        for r in 0..MICRO_ROWS {
            let v = distance_to(data, &q[r * d..(r + 1) * d], jj);
            row_sums[r * k + c as usize] += v;
            if MIRROR && r < valid {
                col_sums[row_cid[r] as usize * width + jj - j0] += v;
            }
        }
    }
}

/// Add tile `(ti, tj)` (`ti <= tj`) to the per-sample cluster sums `acc` (`n x k`): rows
/// of tile `ti` against samples of tile `tj`, and, off the diagonal, the mirrored pairs.
///
/// # Safety
/// The CPU must support `K`'s instruction set.
#[inline(always)]
unsafe fn tile_with<K: ChunkKernel>(
    data: &SortedColumns,
    cid: &[u32],
    (ti, tj): (usize, usize),
    acc: &mut [f64],
    k: usize,
) {
    let (n, d) = (data.n, data.d);
    let (i0, i1) = (ti * TILE, ((ti + 1) * TILE).min(n));
    let (j0, j1) = (tj * TILE, ((tj + 1) * TILE).min(n));
    let rows = i1 - i0;
    let padded = rows.div_ceil(MICRO_ROWS) * MICRO_ROWS;
    let mut q = vec![0.0f64; padded * d];
    for r in 0..padded {
        let src = i0 + r.min(rows - 1);
        for f in 0..d {
            q[r * d + f] = data.xt[f * n + src];
        }
    }
    let mirror = ti != tj;
    let width = j1 - j0;
    let mut row_sums = vec![0.0f64; padded * k];
    let mut col_sums = vec![0.0f64; if mirror { k * width } else { 0 }];
    let mut r0 = 0;
    while r0 < padded {
        let valid = MICRO_ROWS.min(rows - r0);
        let qm = &q[r0 * d..(r0 + MICRO_ROWS) * d];
        let rc = &cid[i0 + r0..i0 + r0 + valid];
        let rs = &mut row_sums[r0 * k..(r0 + MICRO_ROWS) * k];
        // SAFETY: forwarded; j1 <= n and qm holds MICRO_ROWS rows.
        unsafe {
            if mirror {
                sweep::<K, true>(data, cid, qm, rc, (j0, j1), rs, &mut col_sums);
            } else {
                sweep::<K, false>(data, cid, qm, rc, (j0, j1), rs, &mut col_sums);
            }
        }
        r0 += MICRO_ROWS;
    }
    for (a, s) in acc[i0 * k..i1 * k].iter_mut().zip(&row_sums) {
        *a += s;
    }
    if mirror {
        for c in 0..k {
            for (jj, &v) in col_sums[c * width..(c + 1) * width].iter().enumerate() {
                acc[(j0 + jj) * k + c] += v;
            }
        }
    }
}

/// Per-sample cluster sums (`n x k`, sorted order) computing each pair once.
///
/// The upper triangle of tiles is dealt round-robin to `WORKERS` accumulators, each
/// filled sequentially and added in worker order: the same result on any thread count.
fn cluster_sums_symmetric(
    simd: Level,
    data: &SortedColumns,
    cid: &[u32],
    k: usize,
    stop: &Interrupt,
) -> CoreResult<Vec<f64>> {
    let n = data.n;
    let m = n.div_ceil(TILE);
    let partials: Vec<Vec<f64>> = (0..WORKERS)
        .into_par_iter()
        .map(|w| {
            let mut acc = try_filled_dims(&[n, k], 0.0f64, "silhouette cluster sums")?;
            let mut t = 0usize;
            for ti in 0..m {
                stop.check()?;
                for tj in ti..m {
                    if t % WORKERS == w {
                        with_kernel!(simd, K => tile_with::<K>(data, cid, (ti, tj), &mut acc, k));
                    }
                    t += 1;
                }
            }
            Ok(acc)
        })
        .collect::<CoreResult<_>>()?;
    let mut total = try_filled_dims(&[n, k], 0.0f64, "silhouette cluster sums")?;
    for p in &partials {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    Ok(total)
}

/// Silhouette from per-cluster distance sums `row` of a sample of cluster `own`.
fn score_from_sums(row: &[f64], own: usize, counts: &[usize]) -> f64 {
    let size = counts[own];
    if size < 2 {
        return 0.0;
    }
    let a = row[own] / (size - 1) as f64;
    let mut b = f64::INFINITY;
    for (c, (&s, &cnt)) in row.iter().zip(counts).enumerate() {
        if c != own {
            b = b.min(s / cnt as f64);
        }
    }
    let denom = a.max(b);
    if denom > 0.0 {
        (b - a) / denom
    } else {
        0.0
    }
}

/// Silhouette coefficient of every sample (Euclidean), as scikit-learn's
/// `silhouette_samples`.
///
/// `s = (b - a) / max(a, b)` with `a` the mean distance to the other members of the
/// sample's cluster and `b` the smallest mean distance to another cluster. Samples alone in
/// their cluster score 0, and so do samples with `a == b == 0`.
///
/// Errors: empty or non-finite `x`, `labels.len() != n`, negative labels, a number of
/// distinct labels outside `2..=n - 1`, [`crate::CoreError::Interrupted`] once `stop` is
/// requested (checked every few milliseconds of work).
pub fn silhouette_samples(
    x: ArrayView2<'_, f64>,
    labels: &[i64],
    stop: &Interrupt,
) -> CoreResult<Array1<f64>> {
    silhouette_samples_with(x, labels, Level::detect(), None, stop)
}

/// `symmetric`: force the pair-once path (`Some(true)`) or the row-by-row path; `None`
/// picks the pair-once path when its accumulators fit `SYMMETRIC_BUDGET_BYTES`.
fn silhouette_samples_with(
    x: ArrayView2<'_, f64>,
    labels: &[i64],
    simd: Level,
    symmetric: Option<bool>,
    stop: &Interrupt,
) -> CoreResult<Array1<f64>> {
    check_finite_nonempty(x)?;
    let n = x.nrows();
    let part = Partition::new(labels, n)?;
    let k = part.n_clusters();
    check_number_of_labels(k, n)?;
    let (order, starts) = part.sorted_order();
    let data = SortedColumns::new(x, &order, starts)?;
    let cid: Vec<u32> = order.iter().map(|&i| part.ids[i]).collect();

    let symmetric = symmetric.unwrap_or_else(|| {
        WORKERS
            .checked_mul(n)
            .and_then(|v| v.checked_mul(k))
            .and_then(|v| v.checked_mul(8))
            .is_some_and(|bytes| bytes <= SYMMETRIC_BUDGET_BYTES)
    });
    let mut sorted_scores = vec![0.0f64; n];
    if symmetric {
        let sums = cluster_sums_symmetric(simd, &data, &cid, k, stop)?;
        for (p, score) in sorted_scores.iter_mut().enumerate() {
            *score = score_from_sums(&sums[p * k..(p + 1) * k], cid[p] as usize, &part.counts);
        }
    } else {
        // Large n * k: each row computes all its distances (twice the work, O(n + block)
        // memory).
        sorted_scores
            .par_chunks_mut(ROW_BLOCK)
            .enumerate()
            .try_for_each(|(b, chunk)| {
                stop.check()?;
                let p0 = b * ROW_BLOCK;
                let sums = block_sums(simd, &data, &cid, p0, chunk.len());
                for (r, score) in chunk.iter_mut().enumerate() {
                    let own = cid[p0 + r] as usize;
                    *score = score_from_sums(&sums[r * k..(r + 1) * k], own, &part.counts);
                }
                Ok::<(), crate::CoreError>(())
            })?;
    }
    let mut scores = Array1::zeros(n);
    for (p, &i) in order.iter().enumerate() {
        scores[i] = sorted_scores[p];
    }
    Ok(scores)
}

/// Mean silhouette coefficient over all samples (scikit-learn's `silhouette_score`
/// without sampling; subsample the rows first for `sample_size`).
pub fn silhouette_score(
    x: ArrayView2<'_, f64>,
    labels: &[i64],
    stop: &Interrupt,
) -> CoreResult<f64> {
    let s = silhouette_samples(x, labels, stop)?;
    Ok(s.sum() / s.len() as f64)
}

/// [`silhouette_samples`] of a CSR matrix, without densifying it: the distance of rows
/// `i` and `j` is `sqrt(max(|x_i|^2 + |x_j|^2 - 2 x_i . x_j, 0))` with exact sparse dot
/// products (scikit-learn's `euclidean_distances` on sparse input). Row `i` is scattered
/// into one dense scratch row per thread, so each dot product costs the stored values of
/// row `j`: O(n * nnz) time, O(d) memory per thread. Each row's sums run over the other
/// rows in order, so the result does not depend on the number of threads. A stop
/// requested through `stop` ends the work at the next row (`CoreError::Interrupted`).
pub fn csr_silhouette_samples(
    x: &CsrView<'_, f64>,
    labels: &[i64],
    stop: &Interrupt,
) -> CoreResult<Array1<f64>> {
    let n = x.n_rows();
    let part = Partition::new(labels, n)?;
    let k = part.n_clusters();
    check_number_of_labels(k, n)?;
    let norms = x.row_sq_norms();
    let scores: Vec<f64> = (0..n)
        .into_par_iter()
        .with_min_len(16)
        .map_init(
            || (vec![0.0f64; x.n_cols()], vec![0.0f64; k]),
            |(dense, sums), i| {
                if stop.is_requested() {
                    return 0.0;
                }
                let (cols, vals) = x.row(i);
                for (&c, &v) in cols.iter().zip(vals) {
                    dense[c as usize] = v;
                }
                sums.iter_mut().for_each(|s| *s = 0.0);
                for j in (0..n).filter(|&j| j != i) {
                    let (cj, vj) = x.row(j);
                    let dot: f64 = cj
                        .iter()
                        .zip(vj)
                        .map(|(&c, &v)| dense[c as usize] * v)
                        .sum();
                    let sq = (norms[i] + norms[j] - 2.0 * dot).max(0.0);
                    sums[part.ids[j] as usize] += sq.sqrt();
                }
                for &c in cols {
                    dense[c as usize] = 0.0;
                }
                score_from_sums(sums, part.ids[i] as usize, &part.counts)
            },
        )
        .collect();
    stop.check()?;
    Ok(Array1::from(scores))
}

/// Rows per parallel task of [`silhouette_rows`].
const ROWS_PER_TASK: usize = 16;

/// Silhouette coefficients of the samples `rows` under any distance: `metric` measures
/// the samples against themselves (a precomputed matrix, Gower, ...), `labels` has one
/// label per sample. scikit-learn's definition and edge cases (as
/// [`silhouette_samples`]); each row's per-cluster sums run over the samples in index
/// order, so the result does not depend on the number of threads or on how the rows are
/// split between calls.
///
/// Errors: a metric that is not square, `rows` outside the samples, labels as for
/// [`silhouette_samples`], an undefined (NaN) distance, and [`CoreError::Interrupted`]
/// once `stop` is requested (checked before each tile of distances).
pub fn silhouette_rows<P: Pairwise>(
    metric: &P,
    labels: &[i64],
    rows: Range<usize>,
    stop: &Interrupt,
) -> CoreResult<Array1<f64>> {
    let n = metric.n_right();
    if metric.n_left() != n {
        return Err(CoreError::ShapeMismatch {
            what: "rows of the square distance matrix",
            expected: n,
            got: metric.n_left(),
        });
    }
    let part = Partition::new(labels, n)?;
    let k = part.n_clusters();
    check_number_of_labels(k, n)?;
    if rows.start > rows.end || rows.end > n {
        return Err(CoreError::InvalidParameter {
            name: "rows",
            reason: format!(
                "rows {}..{} are outside the {n} samples",
                rows.start, rows.end
            ),
        });
    }
    let mut scores = Array1::zeros(rows.len());
    let undefined = std::sync::atomic::AtomicUsize::new(usize::MAX);
    if let Some(out) = scores.as_slice_mut() {
        out.par_chunks_mut(ROWS_PER_TASK)
            .enumerate()
            .try_for_each(|(task, chunk)| {
                let mut buf = [0.0f64; DISTANCE_TILE];
                let mut sums = vec![0.0f64; k];
                for (r, score) in chunk.iter_mut().enumerate() {
                    let i = rows.start + task * ROWS_PER_TASK + r;
                    sums.fill(0.0);
                    let mut j0 = 0;
                    while j0 < n {
                        stop.check()?;
                        let width = DISTANCE_TILE.min(n - j0);
                        metric.row_tile(i, j0, &mut buf[..width]);
                        for (&v, &c) in buf[..width].iter().zip(&part.ids[j0..j0 + width]) {
                            sums[c as usize] += v;
                        }
                        j0 += width;
                    }
                    if sums.iter().any(|v| v.is_nan()) {
                        undefined.fetch_min(i, std::sync::atomic::Ordering::Relaxed);
                    }
                    *score = score_from_sums(&sums, part.ids[i] as usize, &part.counts);
                }
                Ok(())
            })?;
    }
    let first = undefined.into_inner();
    if first != usize::MAX {
        return Err(CoreError::NonFinite(format!(
            "the distance from sample {first} to some sample is undefined (NaN)"
        )));
    }
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CoreError;
    use ndarray::Array2;

    /// Straightforward O(n^2) reference.
    fn naive(x: &Array2<f64>, labels: &[i64]) -> Vec<f64> {
        let n = x.nrows();
        let kmax = *labels.iter().max().unwrap() as usize + 1;
        let mut counts = vec![0usize; kmax];
        for &l in labels {
            counts[l as usize] += 1;
        }
        (0..n)
            .map(|i| {
                let mut sums = vec![0.0; kmax];
                for j in 0..n {
                    let d: f64 = x
                        .row(i)
                        .iter()
                        .zip(x.row(j).iter())
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f64>()
                        .sqrt();
                    sums[labels[j] as usize] += d;
                }
                let own = labels[i] as usize;
                if counts[own] < 2 {
                    return 0.0;
                }
                let a = sums[own] / (counts[own] - 1) as f64;
                let b = (0..kmax)
                    .filter(|&c| c != own && counts[c] > 0)
                    .map(|c| sums[c] / counts[c] as f64)
                    .fold(f64::INFINITY, f64::min);
                if a.max(b) > 0.0 {
                    (b - a) / a.max(b)
                } else {
                    0.0
                }
            })
            .collect()
    }

    #[test]
    fn matches_naive_reference() {
        // Deterministic pseudo-random data with odd sizes to exercise tails.
        let (n, d) = (611, 5);
        let mut state = 12345u64;
        let x = Array2::from_shape_fn((n, d), |_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        });
        let labels: Vec<i64> = (0..n as i64).map(|i| (i * 7 + 3) % 4 * 10).collect();
        let want = naive(&x, &labels);
        let mut kernels = vec![Level::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                kernels.push(Level::Avx2Fma);
            }
            if std::is_x86_feature_detected!("avx512f") {
                kernels.push(Level::Avx512F);
            }
        }
        // Many tiny clusters: most 8-sample chunks straddle a cluster boundary.
        let small: Vec<i64> = (0..n as i64).map(|i| (i * 13) % 50).collect();
        let want_small = naive(&x, &small);
        for simd in kernels {
            for sym in [Some(false), Some(true)] {
                let got = silhouette_samples_with(x.view(), &labels, simd, sym, &Interrupt::new())
                    .unwrap();
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-12, "{simd:?} {sym:?}: {g} vs {w}");
                }
                let got = silhouette_samples_with(x.view(), &small, simd, sym, &Interrupt::new())
                    .unwrap();
                for (g, w) in got.iter().zip(&want_small) {
                    assert!((g - w).abs() < 1e-12, "{simd:?} {sym:?} small: {g} vs {w}");
                }
            }
        }
        // A singleton cluster scores 0.
        let mut l2 = labels.clone();
        l2[0] = 99;
        let got = silhouette_samples(x.view(), &l2, &Interrupt::new()).unwrap();
        assert_eq!(got[0], 0.0);
        let want = naive(&x, &l2);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12);
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn fast_sqrt_is_accurate() {
        if !std::is_x86_feature_detected!("avx512f") {
            return;
        }
        use std::arch::x86_64::*;
        let mut values = vec![
            0.0,
            1e-320,
            5e-310,
            2.2250738585072014e-308,
            1e-300,
            1.0,
            2.0,
        ];
        values.extend([f64::MAX, 0.0, 4.0, 9.0, 1e-10, 0.0, 0.0, 0.0]);
        let mut v = 1e-200f64;
        while v < 1e300 {
            values.extend([v, v * 1.37, v * 2.9, v * 7.77]);
            v *= 1e7;
        }
        let mut state = 99u64;
        for _ in 0..4000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            values.push((state >> 11) as f64 / (1u64 << 53) as f64 * 1e3);
        }
        while values.len() % 8 != 0 {
            values.push(3.0);
        }
        let mut worst = 0.0f64;
        for chunk in values.chunks_exact(8) {
            let mut out = [0.0f64; 8];
            // SAFETY: AVX-512F checked above; both buffers hold 8 f64.
            unsafe {
                let x = _mm512_loadu_pd(chunk.as_ptr());
                _mm512_storeu_pd(out.as_mut_ptr(), sqrt_avx512(x));
            }
            for (&x, &got) in chunk.iter().zip(&out) {
                let want = x.sqrt();
                if want == 0.0 {
                    assert_eq!(got, 0.0);
                } else {
                    let rel = ((got - want) / want).abs();
                    assert!(rel.is_finite(), "sqrt({x}) = {got}");
                    worst = worst.max(rel);
                }
            }
        }
        assert!(worst <= 4.0 * f64::EPSILON, "worst relative error {worst}");
    }

    #[test]
    fn any_distance_matches_the_euclidean_path() {
        let (n, d) = (203, 3);
        let x = Array2::from_shape_fn((n, d), |(i, f)| ((i * 31 + f * 17) % 29) as f64 * 0.37);
        let labels: Vec<i64> = (0..n as i64).map(|i| (i * 5) % 4).collect();
        let want = silhouette_samples(x.view(), &labels, &Interrupt::new()).unwrap();
        let dist = crate::distance::Euclidean::new(x.view(), x.view()).unwrap();
        let whole = silhouette_rows(&dist, &labels, 0..n, &Interrupt::new()).unwrap();
        for (g, w) in whole.iter().zip(want.iter()) {
            assert!((g - w).abs() < 1e-12);
        }
        let mut matrix = Array2::<f64>::zeros((n, n));
        crate::distance::fill(&dist, 0, matrix.view_mut(), &crate::Interrupt::new()).unwrap();
        let pre = crate::distance::Dissimilarities::new(matrix.view()).unwrap();
        let mut parts = silhouette_rows(&pre, &labels, 0..50, &Interrupt::new())
            .unwrap()
            .to_vec();
        parts.extend(silhouette_rows(&pre, &labels, 50..n, &Interrupt::new()).unwrap());
        assert_eq!(parts, whole.to_vec());
        assert!(silhouette_rows(&pre, &labels, 10..n + 1, &Interrupt::new()).is_err());
        matrix[[3, 7]] = f64::NAN;
        let pre = crate::distance::Dissimilarities::new(matrix.view()).unwrap();
        let stop = Interrupt::new();
        stop.request();
        assert_eq!(
            silhouette_rows(&pre, &labels, 0..n, &stop).map(drop),
            Err(CoreError::Interrupted)
        );
        let err = silhouette_rows(&pre, &labels, 0..n, &Interrupt::new()).unwrap_err();
        assert!(err.to_string().contains("sample 3"), "{err}");
    }

    #[test]
    fn errors() {
        let x = Array2::<f64>::zeros((4, 2));
        assert!(matches!(
            silhouette_samples(x.view(), &[0, 0, 0, 0], &Interrupt::new()),
            Err(CoreError::InvalidParameter { .. })
        ));
        assert!(matches!(
            silhouette_samples(x.view(), &[0, 1, 2, 3], &Interrupt::new()),
            Err(CoreError::InvalidParameter { .. })
        ));
        assert!(matches!(
            silhouette_samples(x.view(), &[0, 1], &Interrupt::new()),
            Err(CoreError::ShapeMismatch { .. })
        ));
        let mut bad = x.clone();
        bad[[1, 1]] = f64::NAN;
        assert!(matches!(
            silhouette_samples(bad.view(), &[0, 1, 0, 1], &Interrupt::new()),
            Err(CoreError::NonFinite(_))
        ));
        let empty = Array2::<f64>::zeros((0, 2));
        assert!(matches!(
            silhouette_samples(empty.view(), &[], &Interrupt::new()),
            Err(CoreError::EmptyInput(_))
        ));
        // All points identical: a = b = 0 -> 0.
        let s = silhouette_score(x.view(), &[0, 1, 0, 1], &Interrupt::new()).unwrap();
        assert_eq!(s, 0.0);
    }

    #[test]
    fn sparse_equals_dense_on_integer_data() {
        use crate::numerics::{CsrView, Finite};
        // integer counts: the dot-product expansion is exact, so both paths agree closely
        let n = 120;
        let mut dense = Array2::<f64>::zeros((n, 7));
        let (mut indptr, mut indices, mut data) = (vec![0i64], vec![], vec![]);
        for i in 0..n {
            for j in 0..7 {
                if (i * 7 + j * 3) % 5 == 0 {
                    let v = ((i + j) % 4 + 1) as f64;
                    dense[[i, j]] = v;
                    indices.push(j as i64);
                    data.push(v);
                }
            }
            indptr.push(indices.len() as i64);
        }
        let labels: Vec<i64> = (0..n as i64).map(|i| i % 3).collect();
        let x = CsrView::new(n, 7, &indptr, &indices, &data, Finite::All).unwrap();
        let sparse = csr_silhouette_samples(&x, &labels, &Interrupt::new()).unwrap();
        let reference = silhouette_samples(dense.view(), &labels, &Interrupt::new()).unwrap();
        for (a, b) in sparse.iter().zip(reference.iter()) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        assert!(csr_silhouette_samples(&x, &vec![0; n], &Interrupt::new()).is_err());
    }
}
