//! Shared building blocks of the k-means kernels: the fixed row groups (a
//! [`RowBlocks`] partition, which makes every reduction independent of the thread count),
//! the distance kernels and the M-step helpers (relocation of empty clusters, averaging).
//! The float trait and the SIMD dispatch are the crate's shared ones ([`crate::numerics`]).

use rayon::prelude::*;

use crate::numerics::simd::with_avx2;
use crate::numerics::{CoMoments, Float, RowBlocks};
use crate::{CoreResult, Interrupt};

/// Hint the CPU to start loading `row` into the cache (no effect on results; a no-op
/// off x86-64). Used where rows are visited sparsely, which defeats the hardware
/// prefetcher.
#[inline(always)]
pub fn prefetch<F>(row: &[F]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let bytes = std::mem::size_of_val(row);
        let p = row.as_ptr().cast::<i8>();
        let mut off = 0;
        while off < bytes {
            // SAFETY: `p + off` lies inside `row`; a prefetch never faults or writes.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.add(off)) };
            off += 64;
        }
        if bytes > 0 {
            // SAFETY: the last byte of `row` (its line may not be covered by the loop).
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.add(bytes - 1)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// Centres per SIMD-friendly block in [`CentreBlocks`].
pub const LANES: usize = 8;
/// At most this many row groups: per-group partial sums are reduced in group order.
const MAX_GROUPS: usize = 32;
/// Groups are at least this many rows (fewer groups for small inputs).
const MIN_GROUP_ROWS: usize = 2048;

/// The row groups of `n` rows: a [`RowBlocks::bounded`] partition that depends on `n`
/// only, never on the number of threads, so reductions over groups (in group order) are
/// bit-identical on any pool size.
pub fn row_groups(n: usize) -> RowBlocks {
    RowBlocks::bounded(n, MIN_GROUP_ROWS, MAX_GROUPS)
}

/// Rows per group of [`row_groups`]`(n)`.
pub fn group_rows(n: usize) -> usize {
    row_groups(n).rows_per_block()
}

/// Read-only view of the data: `n` rows of `d` features, row-major, plus optional weights.
#[derive(Clone, Copy)]
pub struct Data<'a, F> {
    /// Row-major values, `n * d`.
    pub x: &'a [F],
    /// Number of rows.
    pub n: usize,
    /// Number of features.
    pub d: usize,
    /// Optional sample weights (length `n`).
    pub w: Option<&'a [f64]>,
}

impl<'a, F: Float> Data<'a, F> {
    /// Row `i`.
    #[inline(always)]
    pub fn row(&self, i: usize) -> &'a [F] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
    /// Weight of row `i` (1 when unweighted).
    #[inline(always)]
    pub fn weight(&self, i: usize) -> f64 {
        match self.w {
            Some(w) => w[i],
            None => 1.0,
        }
    }
}

/// Squared Euclidean distance, computed in `F`.
#[inline(always)]
pub fn sq_dist<F: Float>(a: &[F], b: &[F]) -> F {
    let mut acc = [F::zero(); 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (xa, xb) in (&mut ca).zip(&mut cb) {
        for l in 0..4 {
            let t = xa[l] - xb[l];
            acc[l] += t * t;
        }
    }
    let mut tail = F::zero();
    for (&p, &q) in ca.remainder().iter().zip(cb.remainder()) {
        let t = p - q;
        tail += t * t;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Squared Euclidean distance accumulated in `f64` (for inertia).
#[inline(always)]
pub fn sq_dist_f64<F: Float>(a: &[F], b: &[F]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (xa, xb) in (&mut ca).zip(&mut cb) {
        for l in 0..4 {
            let t = xa[l].to_f64() - xb[l].to_f64();
            acc[l] += t * t;
        }
    }
    let mut tail = 0.0;
    for (&p, &q) in ca.remainder().iter().zip(cb.remainder()) {
        let t = p.to_f64() - q.to_f64();
        tail += t * t;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Centres transposed into blocks of [`LANES`] centres: `blocks[b][j][l]` is feature `j` of
/// centre `b * LANES + l`, so the distance of one row to a block of centres is a loop over
/// features of `LANES`-wide vector operations. Padding centres are zeros and never chosen.
pub struct CentreBlocks<F> {
    blocks: Vec<F>,
    n_blocks: usize,
    k: usize,
    d: usize,
}

impl<F: Float> CentreBlocks<F> {
    /// Build from row-major centres (`k * d`).
    pub fn new(centres: &[F], k: usize, d: usize) -> Self {
        let n_blocks = k.div_ceil(LANES);
        let mut blocks = vec![F::zero(); n_blocks * d * LANES];
        for c in 0..k {
            let (b, l) = (c / LANES, c % LANES);
            for j in 0..d {
                blocks[(b * d + j) * LANES + l] = centres[c * d + j];
            }
        }
        CentreBlocks {
            blocks,
            n_blocks,
            k,
            d,
        }
    }

    /// Number of centres.
    pub fn n_centres(&self) -> usize {
        self.k
    }

    /// Number of padded centre slots (`n_blocks * LANES`).
    pub fn padded(&self) -> usize {
        self.n_blocks * LANES
    }

    /// Squared distances of `row` to every centre, into `out` (length [`Self::padded`]).
    #[inline(always)]
    pub fn distances(&self, row: &[F], out: &mut [F]) {
        let d = self.d;
        for (block, dst) in self
            .blocks
            .chunks_exact(d * LANES)
            .zip(out.chunks_exact_mut(LANES))
        {
            let mut acc = [F::zero(); LANES];
            for (&xj, cj) in row.iter().zip(block.chunks_exact(LANES)) {
                for l in 0..LANES {
                    let t = xj - cj[l];
                    acc[l] += t * t;
                }
            }
            dst.copy_from_slice(&acc);
        }
    }

    /// Squared distances of two rows to every centre, computed together: the two
    /// accumulation chains are independent, so the CPU overlaps them (one row alone is
    /// bound by the latency of its additions). Bit-identical to two [`Self::distances`].
    #[inline(always)]
    pub fn distances_pair(&self, row_a: &[F], row_b: &[F], out_a: &mut [F], out_b: &mut [F]) {
        let d = self.d;
        for ((block, dst_a), dst_b) in self
            .blocks
            .chunks_exact(d * LANES)
            .zip(out_a.chunks_exact_mut(LANES))
            .zip(out_b.chunks_exact_mut(LANES))
        {
            let mut acc_a = [F::zero(); LANES];
            let mut acc_b = [F::zero(); LANES];
            for ((&xa, &xb), cj) in row_a.iter().zip(row_b).zip(block.chunks_exact(LANES)) {
                for l in 0..LANES {
                    let ta = xa - cj[l];
                    acc_a[l] += ta * ta;
                    let tb = xb - cj[l];
                    acc_b[l] += tb * tb;
                }
            }
            dst_a.copy_from_slice(&acc_a);
            dst_b.copy_from_slice(&acc_b);
        }
    }

    /// Index and squared distance of the smallest of `dist[..k]` (first index on ties).
    #[inline(always)]
    fn argmin(&self, dist: &[F]) -> (usize, F) {
        // Branch-free scan (selects, no mispredicted jumps).
        let mut best = 0usize;
        let mut best_d = dist[0];
        for (c, &v) in dist[..self.k].iter().enumerate().skip(1) {
            let lt = v < best_d;
            best = if lt { c } else { best };
            best_d = if lt { v } else { best_d };
        }
        (best, best_d)
    }

    /// As [`Self::argmin`], plus the second smallest value (`None` when `k == 1`).
    #[inline(always)]
    fn argmin_two(&self, dist: &[F]) -> (usize, F, Option<F>) {
        let mut best = 0usize;
        let mut best_d = dist[0];
        if self.k == 1 {
            return (best, best_d, None);
        }
        let mut second = dist[1];
        if second < best_d {
            std::mem::swap(&mut second, &mut best_d);
            best = 1;
        }
        for (c, &v) in dist[..self.k].iter().enumerate().skip(2) {
            let lt = v < best_d;
            // second = min(second, max(best, v)) covers all three cases.
            let hi = if lt { best_d } else { v };
            second = if hi < second { hi } else { second };
            best = if lt { c } else { best };
            best_d = if lt { v } else { best_d };
        }
        (best, best_d, Some(second))
    }

    /// Index and squared distance of the closest centre (first index on ties).
    #[inline(always)]
    pub fn closest(&self, row: &[F], buf: &mut [F]) -> (usize, F) {
        self.distances(row, buf);
        self.argmin(buf)
    }

    /// [`Self::closest`] of two rows at once (see [`Self::distances_pair`]); `buf` holds
    /// two padded distance rows.
    #[inline(always)]
    pub fn closest_pair(&self, row_a: &[F], row_b: &[F], buf: &mut [F]) -> [(usize, F); 2] {
        let (da, db) = buf.split_at_mut(self.padded());
        self.distances_pair(row_a, row_b, da, db);
        [self.argmin(da), self.argmin(db)]
    }

    /// Closest centre, its squared distance and the second smallest squared distance
    /// (`None` when `k == 1`).
    #[inline(always)]
    pub fn closest_two(&self, row: &[F], buf: &mut [F]) -> (usize, F, Option<F>) {
        self.distances(row, buf);
        self.argmin_two(buf)
    }

    /// [`Self::closest_two`] of two rows at once; `buf` holds two padded distance rows.
    #[inline(always)]
    pub fn closest_two_pair(
        &self,
        row_a: &[F],
        row_b: &[F],
        buf: &mut [F],
    ) -> [(usize, F, Option<F>); 2] {
        let (da, db) = buf.split_at_mut(self.padded());
        self.distances_pair(row_a, row_b, da, db);
        [self.argmin_two(da), self.argmin_two(db)]
    }
}

/// Per-cluster weighted sums of points and weights, in `f64`.
#[derive(Clone)]
pub struct Sums {
    /// `k * d` weighted coordinate sums.
    pub s: Vec<f64>,
    /// `k` weight sums.
    pub w: Vec<f64>,
}

impl Sums {
    /// Zeroed sums.
    pub fn zeros(k: usize, d: usize) -> Self {
        Sums {
            s: vec![0.0; k * d],
            w: vec![0.0; k],
        }
    }

    /// Add `weight * row` to cluster `c`.
    #[inline(always)]
    pub fn add<F: Float>(&mut self, c: usize, row: &[F], weight: f64) {
        let d = row.len();
        for (s, &v) in self.s[c * d..(c + 1) * d].iter_mut().zip(row) {
            *s += v.to_f64() * weight;
        }
        self.w[c] += weight;
    }

    /// Subtract `weight * row` from cluster `c`.
    #[inline(always)]
    pub fn sub<F: Float>(&mut self, c: usize, row: &[F], weight: f64) {
        let d = row.len();
        for (s, &v) in self.s[c * d..(c + 1) * d].iter_mut().zip(row) {
            *s -= v.to_f64() * weight;
        }
        self.w[c] -= weight;
    }

    /// Add another partial sum (used in group order).
    pub fn merge(&mut self, other: &Sums) {
        for (a, b) in self.s.iter_mut().zip(&other.s) {
            *a += b;
        }
        for (a, b) in self.w.iter_mut().zip(&other.w) {
            *a += b;
        }
    }
}

/// Move the farthest points into empty clusters, as scikit-learn's
/// `_relocate_empty_clusters_dense`: a cluster is empty when its weight is zero; the
/// `n_empty` points farthest (squared distance to their assigned *old* centre) seed them,
/// farthest first, and their weight moves from their old cluster. Nothing happens when
/// every point sits on its centre. Returns whether anything moved.
pub fn relocate_empty_clusters<F: Float>(
    data: &Data<'_, F>,
    centres_old: &[F],
    labels: &[i32],
    sums: &mut Sums,
) -> bool {
    let d = data.d;
    let empty = empty_clusters(sums);
    if empty.is_empty() {
        return false;
    }
    let rows = group_rows(data.n);
    let dist: Vec<f64> = labels
        .par_chunks(rows)
        .enumerate()
        .flat_map_iter(|(g, lab)| {
            let start = g * rows;
            lab.iter().enumerate().map(move |(o, &a)| {
                let c = a.max(0) as usize;
                sq_dist_f64(data.row(start + o), &centres_old[c * d..(c + 1) * d])
            })
        })
        .collect();
    let max = dist.iter().cloned().fold(0.0f64, f64::max);
    if max == 0.0 {
        return false;
    }
    let mut order: Vec<usize> = (0..data.n).collect();
    let n_empty = empty.len().min(data.n);
    let by_distance_desc = |a: &usize, b: &usize| dist[*b].total_cmp(&dist[*a]).then(a.cmp(b));
    if n_empty < data.n {
        order.select_nth_unstable_by(n_empty, by_distance_desc);
    }
    order.truncate(n_empty);
    order.sort_by(by_distance_desc);
    let far: Vec<FarRow<'_, F>> = order
        .iter()
        .map(|&i| FarRow {
            weight: data.weight(i),
            label: labels[i].max(0) as usize,
            row: data.row(i),
        })
        .collect();
    move_to_empty(sums, &empty, &far);
    true
}

/// A row chosen to seed an empty cluster: its weight, its current cluster and its values.
pub struct FarRow<'a, F> {
    /// Sample weight of the row.
    pub weight: f64,
    /// Cluster the row is assigned to (against the old centres).
    pub label: usize,
    /// The row's values.
    pub row: &'a [F],
}

/// The M-step half of [`relocate_empty_clusters`], shared with the distributed Lloyd step:
/// the `i`-th empty cluster gets the `i`-th row of `far` (farthest first) and that row's
/// weight leaves its old cluster.
pub fn move_to_empty<F: Float>(sums: &mut Sums, empty: &[usize], far: &[FarRow<'_, F>]) {
    for (&new_c, f) in empty.iter().zip(far) {
        let d = f.row.len();
        let old_c = f.label;
        for j in 0..d {
            let v = f.row[j].to_f64() * f.weight;
            sums.s[old_c * d + j] -= v;
            sums.s[new_c * d + j] = v;
        }
        sums.w[new_c] = f.weight;
        sums.w[old_c] -= f.weight;
    }
}

/// Clusters whose weight is zero (the ones [`relocate_empty_clusters`] fills).
pub fn empty_clusters(sums: &Sums) -> Vec<usize> {
    sums.w
        .iter()
        .enumerate()
        .filter(|(_, &w)| w == 0.0)
        .map(|(c, _)| c)
        .collect()
}

/// Centres from sums: `s / w`; a cluster with zero weight takes the centre of the heaviest
/// cluster (scikit-learn's `_average_centers`, using the averaged centre).
pub fn average_centres<F: Float>(sums: &Sums, k: usize, d: usize, out: &mut [F]) {
    let mut heaviest = 0usize;
    for c in 1..k {
        if sums.w[c] > sums.w[heaviest] {
            heaviest = c;
        }
    }
    for c in 0..k {
        let src = if sums.w[c] > 0.0 { c } else { heaviest };
        let w = sums.w[src];
        for j in 0..d {
            let v = if w > 0.0 {
                sums.s[src * d + j] / w
            } else {
                sums.s[src * d + j]
            };
            out[c * d + j] = F::from_f64(v);
        }
    }
}

/// Euclidean shift of each centre (in `f64`), as scikit-learn's `_center_shift`.
pub fn centre_shifts<F: Float>(old: &[F], new: &[F], k: usize, d: usize) -> Vec<f64> {
    (0..k)
        .map(|c| sq_dist_f64(&old[c * d..(c + 1) * d], &new[c * d..(c + 1) * d]).sqrt())
        .collect()
}

/// Rows between two checks of the stop request in the single passes (a check is one
/// atomic load; 1,024 rows against 1,000 centres of 1,000 features are ~1 s of work).
pub const STOP_ROWS: usize = 1024;

/// Labels (closest centre, first on ties) and weighted inertia of every row against
/// `centres`; inertia is accumulated in `f64` per group and reduced in group order.
/// Checks `stop` every [`STOP_ROWS`] rows (before their arithmetic, so a pass that is
/// not stopped gives the same result).
pub fn assign_labels_inertia<F: Float>(
    data: &Data<'_, F>,
    centres: &[F],
    k: usize,
    stop: &Interrupt,
) -> CoreResult<(Vec<i32>, f64)> {
    let d = data.d;
    let blocks = CentreBlocks::new(centres, k, d);
    let mut labels = vec![0i32; data.n];
    let rows = group_rows(data.n);
    let work = |g: usize, lab: &mut [i32]| -> CoreResult<f64> {
        with_avx2(
            #[inline(always)]
            || {
                let mut buf = vec![F::zero(); 2 * blocks.padded()];
                let mut inertia = 0.0;
                let start = g * rows;
                let mut record = |o: usize, c: usize, lab: &mut [i32]| {
                    let i = start + o;
                    lab[o] = c as i32;
                    inertia +=
                        sq_dist_f64(data.row(i), &centres[c * d..(c + 1) * d]) * data.weight(i);
                };
                // Two rows at a time (independent chains overlap), in row order.
                let mut o = 0;
                while o + 1 < lab.len() {
                    if o % STOP_ROWS == 0 {
                        stop.check()?;
                    }
                    let [(ca, _), (cb, _)] =
                        blocks.closest_pair(data.row(start + o), data.row(start + o + 1), &mut buf);
                    record(o, ca, lab);
                    record(o + 1, cb, lab);
                    o += 2;
                }
                if o < lab.len() {
                    if o % STOP_ROWS == 0 {
                        stop.check()?;
                    }
                    let (c, _) = blocks.closest(data.row(start + o), &mut buf);
                    record(o, c, lab);
                }
                Ok(inertia)
            },
        )
    };
    let parts: Vec<f64> = if data.n <= rows {
        vec![work(0, &mut labels)?]
    } else {
        labels
            .par_chunks_mut(rows)
            .enumerate()
            .map(|(g, lab)| work(g, lab))
            .collect::<CoreResult<_>>()?
    };
    Ok((labels, parts.iter().sum()))
}

/// Distances (not squared) of every row to every centre, row-major `n * k`. Checks
/// `stop` every [`STOP_ROWS`] rows.
pub fn all_distances<F: Float>(
    data: &Data<'_, F>,
    centres: &[F],
    k: usize,
    stop: &Interrupt,
) -> CoreResult<Vec<F>> {
    let d = data.d;
    let mut out = vec![F::zero(); data.n * k];
    let rows = group_rows(data.n);
    let work = |g: usize, dst: &mut [F]| -> CoreResult<()> {
        let start = g * rows;
        for (o, drow) in dst.chunks_exact_mut(k).enumerate() {
            if o % STOP_ROWS == 0 {
                stop.check()?;
            }
            let row = data.row(start + o);
            for (c, v) in drow.iter_mut().enumerate() {
                *v = F::from_f64(sq_dist_f64(row, &centres[c * d..(c + 1) * d]).sqrt());
            }
        }
        Ok(())
    };
    if data.n <= rows {
        work(0, &mut out)?;
    } else {
        out.par_chunks_mut(rows * k)
            .enumerate()
            .try_for_each(|(g, dst)| work(g, dst))?;
    }
    Ok(out)
}

/// Per-feature moments of one row group, for [`tolerance`]: sums of `x - s` and
/// `(x - s)^2` with `s` the group's first row (a shift that keeps the sums' cancellation
/// small). Rows must be added in order; the group's moments are then the same wherever
/// they are accumulated (the variance pass, or fused into a k-means sweep).
pub struct GroupMoments {
    shift: Vec<f64>,
    s1: Vec<f64>,
    s2: Vec<f64>,
}

impl GroupMoments {
    /// Empty moments shifted by `first_row`, the group's first row.
    pub fn new<F: Float>(first_row: &[F]) -> Self {
        let d = first_row.len();
        GroupMoments {
            shift: first_row.iter().map(|v| v.to_f64()).collect(),
            s1: vec![0.0; d],
            s2: vec![0.0; d],
        }
    }

    /// Add the next row of the group.
    #[inline(always)]
    pub fn add<F: Float>(&mut self, row: &[F]) {
        for (((a, b), v), s) in self
            .s1
            .iter_mut()
            .zip(self.s2.iter_mut())
            .zip(row)
            .zip(&self.shift)
        {
            let t = v.to_f64() - s;
            *a += t;
            *b += t * t;
        }
    }

    /// The group's per-feature moments ([`CoMoments`] with `y` the feature) over its
    /// `count` rows.
    pub fn finish(&self, count: usize) -> Vec<CoMoments> {
        let cnt = count as f64;
        self.s1
            .iter()
            .zip(&self.s2)
            .zip(&self.shift)
            .map(|((a, b), s)| {
                // Rounding can leave a tiny negative; NaN (non-finite data) must stay NaN.
                let m2 = b - a * a / cnt;
                CoMoments {
                    count: cnt,
                    sum_y: s * cnt + a,
                    m2_y: if m2 < 0.0 { 0.0 } else { m2 },
                    ..CoMoments::EMPTY
                }
            })
            .collect()
    }
}

/// Merge per-feature moments `part` into `total` (Chan et al.'s update, feature by feature).
pub fn merge_feature_moments(total: &mut [CoMoments], part: &[CoMoments]) {
    for (t, p) in total.iter_mut().zip(part) {
        t.merge(p);
    }
}

/// `tol * mean(per-feature variance)` from merged per-feature moments (scikit-learn's
/// `_tolerance`: population variances, unweighted).
pub fn tolerance_of(moments: &[CoMoments], tol: f64) -> f64 {
    if tol == 0.0 || moments.is_empty() {
        return 0.0;
    }
    let mean_var = moments.iter().map(|m| m.m2_y / m.count).sum::<f64>() / moments.len() as f64;
    mean_var * tol
}

/// Per-feature moments of all rows from the moments of the groups of
/// [`group_rows`]`(n)` rows, merged in group order.
pub fn feature_moments_from_groups(groups: &[GroupMoments], n: usize, d: usize) -> Vec<CoMoments> {
    let rows = group_rows(n);
    let mut total = vec![CoMoments::EMPTY; d];
    for (g, moments) in groups.iter().enumerate() {
        let len = rows.min(n - g * rows);
        merge_feature_moments(&mut total, &moments.finish(len));
    }
    total
}

/// `tol * mean(per-feature variance)` from the moments of the groups of
/// [`group_rows`]`(n)` rows, in group order (Chan et al.'s merge).
pub fn tolerance_from_moments(groups: &[GroupMoments], n: usize, d: usize, tol: f64) -> f64 {
    tolerance_of(&feature_moments_from_groups(groups, n, d), tol)
}

/// Per-feature moments of every row: each row group accumulates its [`GroupMoments`]
/// (in parallel) and the groups are merged in group order. The partial statistic of one
/// partition in the distributed fit, and the in-memory [`tolerance`]'s one pass.
pub fn feature_moments<F: Float>(data: &Data<'_, F>) -> Vec<CoMoments> {
    if data.n == 0 {
        return vec![CoMoments::EMPTY; data.d];
    }
    let rows = group_rows(data.n);
    let n_groups = data.n.div_ceil(rows);
    let parts: Vec<GroupMoments> = (0..n_groups)
        .into_par_iter()
        .map(|g| {
            with_avx2(
                #[inline(always)]
                || {
                    let start = g * rows;
                    let end = (start + rows).min(data.n);
                    let mut moments = GroupMoments::new(data.row(start));
                    for i in start..end {
                        moments.add(data.row(i));
                    }
                    moments
                },
            )
        })
        .collect();
    feature_moments_from_groups(&parts, data.n, data.d)
}

/// `tol * mean(per-feature variance of X)` (scikit-learn's `_tolerance`, unweighted): the
/// [`feature_moments`] of all rows, then [`tolerance_of`].
pub fn tolerance<F: Float>(data: &Data<'_, F>, tol: f64) -> f64 {
    if tol == 0.0 {
        return 0.0;
    }
    tolerance_of(&feature_moments(data), tol)
}
