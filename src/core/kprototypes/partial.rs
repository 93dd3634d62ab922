//! Batch k-prototypes (and k-modes) on data split into partitions (Dask, Spark): each
//! kernel returns mergeable partial statistics of one partition, the caller adds them up
//! in a fixed order and finishes with a pure function of the merged statistics, which is
//! exactly one step of [`super::lloyd::run`].
//!
//! * [`lloyd_partial`]: against the current prototypes, per-cluster weighted numeric sums,
//!   weights, row counts, weighted per-(cluster, column, level) counts, the cost, and a
//!   fingerprint of the labels (to tell, without keeping labels between passes, whether
//!   any row changed cluster).
//! * [`farthest_rows`]: the rows that may seed an empty cluster.
//! * [`lloyd_finish`]: the in-memory relocation of empty clusters applied to the merged
//!   statistics, then the new prototypes (weighted means and modes, the smallest code on
//!   ties) and the relocated labels' fingerprint.
//! * [`converged`]: the in-memory run's stopping rule, applied by the caller to the
//!   fingerprints and costs of two consecutive passes.
//!
//! The fingerprint is two wrapping sums of 64-bit hashes of `(global row index, label)`:
//! equal fingerprints mean equal labels except with probability about `2^-128` per
//! comparison (a sum of hashes changes with every changed row).

use std::ops::Range;

use ndarray::{Array1, Array2, ArrayView2};

use super::cost::Table;
pub use super::lloyd::converged;
use super::{against, mode_of, prototypes_of, Prototypes, BLOCK_ROWS};
use crate::mixed::MixedView;
use crate::numerics::rng::splitmix64;
use crate::numerics::{CompensatedSum, RowBlocks};
use crate::params::invalid;
use crate::{CoreError, CoreResult, Interrupt};

/// Keys of the two independent label hashes.
const FINGERPRINT_KEYS: [u64; 2] = [0x5EC5_0D1A_7A11_0001, 0xC1A5_5E5A_B1E5_0002];

/// The two hashes of row `index` carrying `label`.
#[inline]
pub fn label_hash(index: u64, label: usize) -> [u64; 2] {
    FINGERPRINT_KEYS.map(|key| splitmix64(splitmix64(index ^ key) ^ label as u64))
}

/// Partial statistics of one batch step on one partition (or merged over several).
#[derive(Debug, Clone, PartialEq)]
pub struct LloydPartial {
    /// `(k, p)` weighted numeric sums of the rows closest to each prototype.
    pub sums: Array2<f64>,
    /// `(k,)` summed weights of those rows.
    pub weights: Array1<f64>,
    /// `(k,)` number of those rows.
    pub members: Array1<i64>,
    /// `(k, L)` weighted level counts, `L` the total number of levels: column `j`'s levels
    /// are at `offset_j .. offset_j + n_levels[j]`, the columns one after the other.
    pub level_counts: Array2<f64>,
    /// Weighted cost of the rows against their closest prototype.
    pub cost: f64,
    /// Wrapping sums of [`label_hash`] over the rows.
    pub fingerprint: [u64; 2],
}

/// One block's statistics (flat buffers).
struct BlockStats {
    sums: Vec<f64>,
    weights: Vec<f64>,
    members: Vec<i64>,
    counts: Vec<f64>,
    cost: CompensatedSum,
    fingerprint: [u64; 2],
}

impl BlockStats {
    fn zeros(k: usize, p: usize, total_levels: usize) -> Self {
        BlockStats {
            sums: vec![0.0; k * p],
            weights: vec![0.0; k],
            members: vec![0; k],
            counts: vec![0.0; k * total_levels],
            cost: CompensatedSum::ZERO,
            fingerprint: [0, 0],
        }
    }

    fn merge(&mut self, other: &BlockStats) {
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
        for (a, b) in self.weights.iter_mut().zip(&other.weights) {
            *a += b;
        }
        for (a, b) in self.members.iter_mut().zip(&other.members) {
            *a += b;
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.cost.merge(&other.cost);
        for (a, b) in self.fingerprint.iter_mut().zip(other.fingerprint) {
            *a = a.wrapping_add(b);
        }
    }
}

fn block_stats(
    t: &Table<'_>,
    protos: &Prototypes,
    offsets: &[usize],
    total_levels: usize,
    rows: Range<usize>,
    offset: u64,
) -> BlockStats {
    let (k, p, q) = (protos.k, t.p, t.q);
    let mut s = BlockStats::zeros(k, p, total_levels);
    for i in rows {
        let (c, d) = t.closest(i, protos);
        let w = t.weight(i);
        s.weights[c] += w;
        s.members[c] += 1;
        for (acc, &x) in s.sums[c * p..(c + 1) * p].iter_mut().zip(t.num_row(i)) {
            *acc += x * w;
        }
        let counts = &mut s.counts[c * total_levels..(c + 1) * total_levels];
        for (j, &code) in t.cat_row(i).iter().enumerate().take(q) {
            counts[offsets[j] + code as usize] += w;
        }
        s.cost.add(d * w);
        let h = label_hash(offset + i as u64, c);
        for (a, b) in s.fingerprint.iter_mut().zip(h) {
            *a = a.wrapping_add(b);
        }
    }
    s
}

/// One partition's statistics against the prototypes `(numeric (k, p), categorical (k, q))`
/// (the E-step of the batch iteration): every row is assigned to its closest prototype
/// (the first on ties) and the statistics are reduced over fixed row blocks in block
/// order. `offset` is the global index of the partition's first row. Checks `stop`
/// before each block of [`BLOCK_ROWS`] rows ([`CoreError::Interrupted`]), as
/// [`farthest_rows`] does.
pub fn lloyd_partial(
    x: &MixedView<'_>,
    weights: Option<&[f64]>,
    numeric: ArrayView2<'_, f64>,
    categorical: ArrayView2<'_, i32>,
    gamma: f64,
    offset: u64,
    stop: &Interrupt,
) -> CoreResult<LloydPartial> {
    let (t, protos) = against(x, weights, (numeric, categorical), gamma, false)?;
    let (k, p) = (protos.k, t.p);
    let (offsets, total_levels) = t.level_offsets();
    let blocks = RowBlocks::fixed(t.n, BLOCK_ROWS);
    let stats = blocks.try_reduce(
        BlockStats::zeros(k, p, total_levels),
        |_, rows| {
            stop.check()?;
            Ok(block_stats(
                &t,
                &protos,
                &offsets,
                total_levels,
                rows,
                offset,
            ))
        },
        |total, part| total.merge(&part),
    )?;
    let shape = |e: ndarray::ShapeError| CoreError::Internal(format!("partial shape: {e}"));
    Ok(LloydPartial {
        sums: Array2::from_shape_vec((k, p), stats.sums).map_err(shape)?,
        weights: Array1::from_vec(stats.weights),
        members: Array1::from_vec(stats.members),
        level_counts: Array2::from_shape_vec((k, total_levels), stats.counts).map_err(shape)?,
        cost: stats.cost.value(),
        fingerprint: stats.fingerprint,
    })
}

/// Rows of one partition that may seed an empty cluster, farthest first (ties by global
/// index).
#[derive(Debug, Clone, PartialEq)]
pub struct FarRows {
    /// Cost of each row against its closest prototype.
    pub cost: Array1<f64>,
    /// Global row index.
    pub index: Array1<u64>,
    /// Closest prototype (first on ties).
    pub label: Array1<i64>,
    /// Sample weight.
    pub weight: Array1<f64>,
    /// Numeric part of the rows, `(m, p)`.
    pub numeric: Array2<f64>,
    /// Categorical codes of the rows, `(m, q)`.
    pub categorical: Array2<i32>,
}

/// Order of the relocation: the largest cost first, the lower global index on ties.
fn by_cost_desc<'a>(
    cost: &'a [f64],
    index: &'a [u64],
) -> impl Fn(&usize, &usize) -> std::cmp::Ordering + 'a {
    move |a, b| {
        cost[*b]
            .total_cmp(&cost[*a])
            .then(index[*a].cmp(&index[*b]))
    }
}

/// The `n_far` rows of one partition with the largest cost against their closest
/// prototype (see [`FarRows`]). With `n_far = (empty clusters) + k` from every
/// partition, the merged candidates hold every row the in-memory relocation can pick.
#[allow(clippy::too_many_arguments)]
pub fn farthest_rows(
    x: &MixedView<'_>,
    weights: Option<&[f64]>,
    numeric: ArrayView2<'_, f64>,
    categorical: ArrayView2<'_, i32>,
    gamma: f64,
    n_far: usize,
    offset: u64,
    stop: &Interrupt,
) -> CoreResult<FarRows> {
    let (t, protos) = against(x, weights, (numeric, categorical), gamma, false)?;
    let closest: Vec<(usize, f64)> = (0..t.n)
        .map(|i| {
            if i % BLOCK_ROWS == 0 {
                stop.check()?;
            }
            Ok(t.closest(i, &protos))
        })
        .collect::<CoreResult<_>>()?;
    let cost: Vec<f64> = closest.iter().map(|c| c.1).collect();
    let index: Vec<u64> = (0..t.n).map(|i| offset + i as u64).collect();
    let order_fn = by_cost_desc(&cost, &index);
    let mut order: Vec<usize> = (0..t.n).collect();
    let m = n_far.min(t.n);
    if m < t.n {
        order.select_nth_unstable_by(m, &order_fn);
    }
    order.truncate(m);
    order.sort_by(&order_fn);
    let mut num = Vec::with_capacity(m * t.p);
    let mut cat = Vec::with_capacity(m * t.q);
    for &i in &order {
        num.extend_from_slice(t.num_row(i));
        cat.extend_from_slice(t.cat_row(i));
    }
    let shape = |e: ndarray::ShapeError| CoreError::Internal(format!("rows shape: {e}"));
    Ok(FarRows {
        cost: order.iter().map(|&i| cost[i]).collect(),
        index: order.iter().map(|&i| index[i]).collect(),
        label: order.iter().map(|&i| closest[i].0 as i64).collect(),
        weight: order.iter().map(|&i| t.weight(i)).collect(),
        numeric: Array2::from_shape_vec((m, t.p), num).map_err(shape)?,
        categorical: Array2::from_shape_vec((m, t.q), cat).map_err(shape)?,
    })
}

/// The result of [`lloyd_finish`].
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// The new prototypes.
    pub prototypes: Prototypes,
    /// The fingerprint of the labels after relocation (compare with the next pass's).
    pub fingerprint: [u64; 2],
    /// Rows moved to empty clusters.
    pub relocated: usize,
}

fn check_far(far: &FarRows, k: usize, p: usize, n_levels: &[usize]) -> CoreResult<()> {
    let m = far.index.len();
    if far.cost.len() != m
        || far.label.len() != m
        || far.weight.len() != m
        || far.numeric.dim() != (m, p)
        || far.categorical.dim() != (m, n_levels.len())
    {
        return Err(CoreError::ShapeMismatch {
            what: "farthest rows (one entry per row)",
            expected: m,
            got: far.numeric.nrows(),
        });
    }
    if far.label.iter().any(|&c| c < 0 || c as usize >= k) {
        return Err(invalid("far", format!("labels must lie in 0..{k}")));
    }
    for row in far.categorical.rows() {
        for (j, &code) in row.iter().enumerate() {
            if code < 0 || code as usize >= n_levels[j] {
                return Err(invalid(
                    "far",
                    format!("code {code} in categorical column {j} is not a level"),
                ));
            }
        }
    }
    if far
        .cost
        .iter()
        .chain(far.weight.iter())
        .any(|v| !v.is_finite())
        || far.numeric.iter().any(|v| !v.is_finite())
    {
        return Err(CoreError::NonFinite(
            "farthest rows hold NaN or infinite values".into(),
        ));
    }
    Ok(())
}

/// The M-step from merged statistics (`stats`, every partition's [`LloydPartial`] added
/// up) against the prototypes they were computed with: empty clusters (no rows) take the
/// rows of `far` (every partition's [`farthest_rows`], in any order) exactly as the
/// in-memory relocation picks them (for each empty cluster in order, the row of largest
/// cost whose cluster keeps a row, the lowest global index on ties); then every cluster
/// with weight becomes the weighted mean and mode (the smallest code on ties) of its rows.
/// `far` is needed only when a cluster is empty.
pub fn lloyd_finish(
    stats: &LloydPartial,
    numeric: ArrayView2<'_, f64>,
    categorical: ArrayView2<'_, i32>,
    n_levels: &[usize],
    far: Option<&FarRows>,
) -> CoreResult<Finished> {
    let p = numeric.ncols();
    let old = prototypes_of(numeric, categorical, p, n_levels, "prototypes")?;
    let (k, q) = (old.k, old.q);
    let total_levels: usize = n_levels.iter().sum();
    if stats.sums.dim() != (k, p)
        || stats.weights.len() != k
        || stats.members.len() != k
        || stats.level_counts.dim() != (k, total_levels)
    {
        return Err(CoreError::ShapeMismatch {
            what: "merged statistics (one row per prototype)",
            expected: k,
            got: stats.weights.len(),
        });
    }
    let mut sums: Vec<f64> = stats.sums.iter().copied().collect();
    let mut weights = stats.weights.to_vec();
    let mut members = stats.members.to_vec();
    let mut counts: Vec<f64> = stats.level_counts.iter().copied().collect();
    let mut fingerprint = stats.fingerprint;
    let mut offsets = Vec::with_capacity(q);
    let mut acc = 0usize;
    for &l in n_levels {
        offsets.push(acc);
        acc += l;
    }
    let empty: Vec<usize> = (0..k).filter(|&c| members[c] == 0).collect();
    let mut relocated = 0usize;
    if !empty.is_empty() {
        let far = far.ok_or_else(|| {
            invalid(
                "far",
                format!(
                    "{} cluster(s) are empty: the farthest rows are needed to relocate them",
                    empty.len()
                ),
            )
        })?;
        check_far(far, k, p, n_levels)?;
        let cost = far.cost.as_slice().unwrap_or(&[]);
        let index = far.index.as_slice().unwrap_or(&[]);
        let mut order: Vec<usize> = (0..far.index.len()).collect();
        order.sort_by(by_cost_desc(cost, index));
        let mut moved = vec![false; order.len()];
        for &c in &empty {
            let pick = order
                .iter()
                .copied()
                .find(|&r| !moved[r] && members[far.label[r] as usize] > 1);
            let Some(r) = pick else { continue };
            moved[r] = true;
            relocated += 1;
            let (from, w) = (far.label[r] as usize, far.weight[r]);
            members[from] -= 1;
            members[c] += 1;
            weights[from] -= w;
            weights[c] += w;
            for (j, &x) in far.numeric.row(r).iter().enumerate() {
                sums[from * p + j] -= x * w;
                sums[c * p + j] += x * w;
            }
            for (j, &code) in far.categorical.row(r).iter().enumerate() {
                let l = offsets[j] + code as usize;
                counts[from * total_levels + l] -= w;
                counts[c * total_levels + l] += w;
            }
            let (h_from, h_to) = (label_hash(far.index[r], from), label_hash(far.index[r], c));
            for s in 0..2 {
                fingerprint[s] = fingerprint[s].wrapping_sub(h_from[s]).wrapping_add(h_to[s]);
            }
        }
    }
    let mut new = old;
    for c in 0..k {
        if weights[c] > 0.0 {
            for j in 0..p {
                new.numeric[c * p + j] = sums[c * p + j] / weights[c];
            }
            let row = &counts[c * total_levels..(c + 1) * total_levels];
            for j in 0..q {
                new.categorical[c * q + j] = mode_of(&row[offsets[j]..offsets[j] + n_levels[j]]);
            }
        }
    }
    Ok(Finished {
        prototypes: new,
        fingerprint,
        relocated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kprototypes::{fit, Algorithm, Init, KPrototypesParams};
    use crate::params::Params;
    use ndarray::{s, Array2};

    fn table_data(n: usize) -> (Array2<f64>, Array2<i32>, Vec<usize>) {
        let num = Array2::from_shape_fn((n, 2), |(i, j)| {
            ((i * 7 + j * 3) % 11) as f64 + if i % 3 == 0 { 20.0 } else { 0.0 }
        });
        let cat = Array2::from_shape_fn((n, 2), |(i, j)| ((i * (j + 2)) % (3 + j)) as i32);
        (num, cat, vec![3, 4])
    }

    fn add(a: &mut LloydPartial, b: &LloydPartial) {
        a.sums += &b.sums;
        a.weights += &b.weights;
        a.members += &b.members;
        a.level_counts += &b.level_counts;
        a.cost += b.cost;
        for s in 0..2 {
            a.fingerprint[s] = a.fingerprint[s].wrapping_add(b.fingerprint[s]);
        }
    }

    /// The partitioned batch iteration, driven as the Dask engine drives it.
    fn partitioned_run(
        num: &Array2<f64>,
        cat: &Array2<i32>,
        levels: &[usize],
        cuts: &[usize],
        start: (Array2<f64>, Array2<i32>),
        max_iter: usize,
    ) -> (Array2<f64>, Array2<i32>, usize, f64) {
        let gamma = 1.5;
        let (mut pn, mut pc) = start;
        let k = pn.nrows();
        let pass = |pn: &Array2<f64>, pc: &Array2<i32>| {
            let mut total: Option<LloydPartial> = None;
            for w in cuts.windows(2) {
                let (a, b) = (w[0], w[1]);
                if a == b {
                    continue; // the engine skips a partition without rows
                }
                let view = MixedView::new(
                    num.slice(s![a..b, ..]),
                    cat.slice(s![a..b, ..]),
                    levels,
                    false,
                )
                .unwrap();
                let part = lloyd_partial(
                    &view,
                    None,
                    pn.view(),
                    pc.view(),
                    gamma,
                    a as u64,
                    &Interrupt::new(),
                )
                .unwrap();
                match total.as_mut() {
                    None => total = Some(part),
                    Some(t) => add(t, &part),
                }
            }
            total.unwrap()
        };
        let mut stats = pass(&pn, &pc);
        let mut n_iter = 0;
        let mut done = false;
        while n_iter < max_iter && !done {
            let n_empty = stats.members.iter().filter(|&&m| m == 0).count();
            let far = if n_empty > 0 {
                let mut all: Option<FarRows> = None;
                for w in cuts.windows(2) {
                    let (a, b) = (w[0], w[1]);
                    let view = MixedView::new(
                        num.slice(s![a..b, ..]),
                        cat.slice(s![a..b, ..]),
                        levels,
                        false,
                    )
                    .unwrap();
                    let f = farthest_rows(
                        &view,
                        None,
                        pn.view(),
                        pc.view(),
                        gamma,
                        n_empty + k,
                        a as u64,
                        &Interrupt::new(),
                    )
                    .unwrap();
                    all = Some(match all {
                        None => f,
                        Some(g) => FarRows {
                            cost: ndarray::concatenate![ndarray::Axis(0), g.cost, f.cost],
                            index: ndarray::concatenate![ndarray::Axis(0), g.index, f.index],
                            label: ndarray::concatenate![ndarray::Axis(0), g.label, f.label],
                            weight: ndarray::concatenate![ndarray::Axis(0), g.weight, f.weight],
                            numeric: ndarray::concatenate![ndarray::Axis(0), g.numeric, f.numeric],
                            categorical: ndarray::concatenate![
                                ndarray::Axis(0),
                                g.categorical,
                                f.categorical
                            ],
                        },
                    });
                }
                all
            } else {
                None
            };
            let finished =
                lloyd_finish(&stats, pn.view(), pc.view(), levels, far.as_ref()).unwrap();
            let pr = finished.prototypes;
            pn = Array2::from_shape_vec((k, pr.p), pr.numeric).unwrap();
            pc = Array2::from_shape_vec((k, pr.q), pr.categorical).unwrap();
            n_iter += 1;
            let new = pass(&pn, &pc);
            done = converged(
                new.fingerprint != finished.fingerprint,
                stats.cost,
                new.cost,
            );
            stats = new;
        }
        (pn, pc, n_iter, stats.cost)
    }

    fn in_memory(
        num: &Array2<f64>,
        cat: &Array2<i32>,
        levels: &[usize],
        start: &(Array2<f64>, Array2<i32>),
        max_iter: usize,
    ) -> crate::kprototypes::KPrototypesFit {
        let view = MixedView::new(num.view(), cat.view(), levels, false).unwrap();
        let params = KPrototypesParams {
            n_clusters: start.0.nrows(),
            n_init: 1,
            max_iter,
            gamma: 1.5,
            algorithm: Algorithm::Lloyd,
            seed: 0,
        }
        .check()
        .unwrap();
        fit(
            &view,
            None,
            &params,
            &Init::Given(start.0.view(), start.1.view()),
            &crate::Interrupt::new(),
        )
        .unwrap()
    }

    #[test]
    fn partitioned_run_equals_the_in_memory_batch_run() {
        let (num, cat, levels) = table_data(300);
        let start = (
            num.slice(s![0..4, ..]).to_owned(),
            cat.slice(s![0..4, ..]).to_owned(),
        );
        let want = in_memory(&num, &cat, &levels, &start, 100);
        for cuts in [
            vec![0, 300],
            vec![0, 7, 7, 150, 299, 300],
            vec![0, 100, 200, 300],
        ] {
            let (pn, pc, n_iter, cost) =
                partitioned_run(&num, &cat, &levels, &cuts, start.clone(), 100);
            assert_eq!(pc.as_slice().unwrap(), &want.prototypes.categorical[..]);
            for (a, b) in pn.iter().zip(&want.prototypes.numeric) {
                assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
            }
            assert_eq!(n_iter, want.n_iter);
            assert!((cost - want.cost).abs() <= 1e-12 * want.cost);
        }
    }

    #[test]
    fn empty_clusters_are_relocated_as_in_memory() {
        let (num, cat, levels) = table_data(120);
        // Two identical far-away starting prototypes: the second gets no row at first.
        let mut start = (
            num.slice(s![0..3, ..]).to_owned(),
            cat.slice(s![0..3, ..]).to_owned(),
        );
        start.0.row_mut(2).fill(1e3);
        start.0.row_mut(1).fill(1e3);
        let want = in_memory(&num, &cat, &levels, &start, 50);
        let (pn, pc, n_iter, _) =
            partitioned_run(&num, &cat, &levels, &[0, 50, 60, 120], start, 50);
        assert_eq!(pc.as_slice().unwrap(), &want.prototypes.categorical[..]);
        for (a, b) in pn.iter().zip(&want.prototypes.numeric) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
        }
        assert_eq!(n_iter, want.n_iter);
    }

    #[test]
    fn max_iter_stops_early_with_the_same_prototypes() {
        let (num, cat, levels) = table_data(200);
        let start = (
            num.slice(s![0..5, ..]).to_owned(),
            cat.slice(s![0..5, ..]).to_owned(),
        );
        let want = in_memory(&num, &cat, &levels, &start, 1);
        let (pn, pc, n_iter, _) = partitioned_run(&num, &cat, &levels, &[0, 64, 200], start, 1);
        assert_eq!(n_iter, 1);
        assert_eq!(pc.as_slice().unwrap(), &want.prototypes.categorical[..]);
        for (a, b) in pn.iter().zip(&want.prototypes.numeric) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0));
        }
    }

    #[test]
    fn a_requested_stop_ends_the_partition_passes() {
        let (num, cat, levels) = table_data(10);
        let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
        let pn = num.slice(s![0..2, ..]).to_owned();
        let pc = cat.slice(s![0..2, ..]).to_owned();
        let stop = Interrupt::new();
        stop.request();
        assert_eq!(
            lloyd_partial(&view, None, pn.view(), pc.view(), 1.0, 0, &stop).map(drop),
            Err(CoreError::Interrupted)
        );
        assert_eq!(
            farthest_rows(&view, None, pn.view(), pc.view(), 1.0, 3, 0, &stop).map(drop),
            Err(CoreError::Interrupted)
        );
    }

    #[test]
    fn finish_needs_the_far_rows_for_an_empty_cluster_and_checks_them() {
        let (num, cat, levels) = table_data(10);
        let view = MixedView::new(num.view(), cat.view(), &levels, false).unwrap();
        let mut pn = num.slice(s![0..2, ..]).to_owned();
        pn.row_mut(1).fill(1e6);
        let pc = cat.slice(s![0..2, ..]).to_owned();
        let stats =
            lloyd_partial(&view, None, pn.view(), pc.view(), 1.0, 0, &Interrupt::new()).unwrap();
        assert_eq!(stats.members[1], 0);
        let err = lloyd_finish(&stats, pn.view(), pc.view(), &levels, None).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let mut far = farthest_rows(
            &view,
            None,
            pn.view(),
            pc.view(),
            1.0,
            3,
            0,
            &Interrupt::new(),
        )
        .unwrap();
        far.label[0] = 7;
        assert!(lloyd_finish(&stats, pn.view(), pc.view(), &levels, Some(&far)).is_err());
        let err = lloyd_partial(
            &view,
            None,
            pn.view(),
            pc.view(),
            f64::NAN,
            0,
            &Interrupt::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("gamma"));
    }

    #[test]
    fn the_stop_is_no_changed_label_or_no_lower_cost() {
        assert!(converged(false, 10.0, 9.0));
        assert!(!converged(true, 10.0, 9.0));
        assert!(converged(true, 10.0, 10.0));
        assert!(converged(true, 10.0, 10.5));
        // A decrease within rounding is no decrease; one just above it is.
        assert!(converged(true, 10.0, 10.0 * (1.0 - 1e-14)));
        assert!(!converged(true, 10.0, 10.0 * (1.0 - 1e-12)));
        assert!(converged(true, 0.0, 0.0));
    }

    #[test]
    fn the_fingerprint_sees_one_changed_label() {
        let a = label_hash(17, 2);
        let b = label_hash(17, 3);
        assert_ne!(a, b);
        assert_ne!(label_hash(16, 2), a);
    }
}
