//! k-means on data split into partitions (Dask, Spark): each kernel returns mergeable
//! partial statistics of one partition, and the caller merges them in a fixed order and
//! finishes with a pure function of the merged statistics.
//!
//! * [`lloyd_partial`]: per-cluster weighted sums, weights and cost against the current
//!   centres (the E-step of [`super::lloyd`], through the same group kernel
//!   [`super::lloyd::assign_and_sum`]); [`farthest_rows`] for the rare empty cluster;
//!   [`lloyd_finish`]: relocation, averaging and the centre shift, the M-step the
//!   in-memory run uses.
//! * [`feature_moments`](super::common::feature_moments) (re-exported as
//!   [`partition_moments`]): the tolerance's per-feature moments, merged with
//!   [`CoMoments::merge`](crate::numerics::CoMoments::merge).
//! * k-means|| seeding (Bahmani et al. 2012, as Spark MLlib runs it): [`oversample_round`]
//!   (cost and the candidate rows of one round), [`random_keys`] (weighted draws without
//!   replacement, also the first centre). Every random number is a function of the seed,
//!   the round and the row's *global* index ([`row_uniform`]), so the draws do not depend on
//!   how the rows are partitioned.

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

use super::common::{
    average_centres, centre_shifts, empty_clusters, group_rows, move_to_empty, sq_dist_f64,
    CentreBlocks, Data, FarRow, Sums, STOP_ROWS,
};
pub use super::common::{merge_feature_moments, tolerance_of};
use super::lloyd::assign_and_sum;
use super::{check_centres, check_data};
use crate::error::check_weight_values;
use crate::numerics::{CoMoments, Float};
use crate::{CoreError, CoreResult, Interrupt};

/// Row-major view of a partition that may have no rows.
fn partition<'a, F: Float>(
    x: &'a ArrayView2<'_, F>,
    weights: Option<&'a [f64]>,
) -> CoreResult<Data<'a, F>> {
    let (n, d) = x.dim();
    if d == 0 {
        return Err(CoreError::EmptyInput("X has no columns".into()));
    }
    let xs: &[F] = if n == 0 {
        &[]
    } else {
        x.as_slice().ok_or_else(|| CoreError::InvalidParameter {
            name: "x",
            reason: "must be a C-contiguous (row-major) array".into(),
        })?
    };
    check_weight_values(weights, n)?;
    Ok(Data {
        x: xs,
        n,
        d,
        w: weights,
    })
}

/// The per-feature moments of one partition (count, sum, centred sum of squares per
/// feature, unweighted), also checking that every value is finite: the first pass of a
/// distributed fit. Merged across partitions they give the in-memory tolerance.
pub fn partition_moments<F: Float>(x: ArrayView2<'_, F>) -> CoreResult<Vec<CoMoments>> {
    let data = partition(&x, None)?;
    if data.n > 0 {
        check_data(&x, "X")?;
    }
    Ok(super::common::feature_moments(&data))
}

/// Partial statistics of one Lloyd step on one partition.
#[derive(Debug, Clone, PartialEq)]
pub struct LloydPartial {
    /// `(k, d)` weighted coordinate sums of the rows closest to each centre.
    pub sums: Array2<f64>,
    /// `(k,)` summed weights of those rows.
    pub weights: Array1<f64>,
    /// Weighted squared distance of the rows to their closest centre.
    pub cost: f64,
}

/// E-step of one partition against `centres`: per-cluster sums, weights and cost, reduced
/// over the fixed row groups of the partition in group order. The rows must be finite
/// (checked once by [`partition_moments`]). An empty partition gives zeros. Checks
/// `stop` every [`super::common::STOP_ROWS`] rows ([`CoreError::Interrupted`]), as
/// [`farthest_rows`] and [`oversample_round`] do.
pub fn lloyd_partial<F: Float>(
    x: ArrayView2<'_, F>,
    weights: Option<&[f64]>,
    centres: ArrayView2<'_, F>,
    stop: &Interrupt,
) -> CoreResult<LloydPartial> {
    let data = partition(&x, weights)?;
    let cs = check_centres(&centres, data.d)?;
    let (k, d) = (centres.nrows(), data.d);
    let blocks = CentreBlocks::new(cs, k, d);
    let rows = group_rows(data.n.max(1));
    let n_groups = data.n.div_ceil(rows);
    let parts: Vec<(Sums, f64)> = (0..n_groups)
        .into_par_iter()
        .map(|g| {
            let len = rows.min(data.n - g * rows);
            assign_and_sum(&data, &blocks, g * rows, len, |_, _| {}, stop)
        })
        .collect::<CoreResult<_>>()?;
    let mut sums = Sums::zeros(k, d);
    let mut cost = 0.0;
    for (part, c) in &parts {
        sums.merge(part);
        cost += c;
    }
    Ok(LloydPartial {
        sums: Array2::from_shape_vec((k, d), sums.s)
            .map_err(|e| CoreError::Internal(format!("sums shape: {e}")))?,
        weights: Array1::from_vec(sums.w),
        cost,
    })
}

/// Rows of one partition that may seed empty clusters: the `n_far` rows farthest from
/// their closest centre (squared distance as the in-memory relocation measures it),
/// farthest first, ties by global index.
#[derive(Debug, Clone, PartialEq)]
pub struct FarRows<F> {
    /// Squared distance of each row to its closest centre.
    pub distance: Array1<f64>,
    /// Global row index (`offset` + position in the partition).
    pub index: Array1<u64>,
    /// Sample weight.
    pub weight: Array1<f64>,
    /// Closest centre (first on ties).
    pub label: Array1<i64>,
    /// The rows, `(m, d)`.
    pub rows: Array2<F>,
}

/// The candidates of one partition for [`lloyd_finish`]'s relocation (see [`FarRows`]).
pub fn farthest_rows<F: Float>(
    x: ArrayView2<'_, F>,
    weights: Option<&[f64]>,
    centres: ArrayView2<'_, F>,
    n_far: usize,
    offset: u64,
    stop: &Interrupt,
) -> CoreResult<FarRows<F>> {
    let data = partition(&x, weights)?;
    let cs = check_centres(&centres, data.d)?;
    let (k, d) = (centres.nrows(), data.d);
    let blocks = CentreBlocks::new(cs, k, d);
    let mut labels = vec![0usize; data.n];
    let (_, _) = assign_and_sum(&data, &blocks, 0, data.n, |o, c| labels[o] = c, stop)?;
    let dist: Vec<f64> = labels
        .iter()
        .enumerate()
        .map(|(i, &c)| sq_dist_f64(data.row(i), &cs[c * d..(c + 1) * d]))
        .collect();
    let by_distance_desc = |a: &usize, b: &usize| dist[*b].total_cmp(&dist[*a]).then(a.cmp(b));
    let mut order: Vec<usize> = (0..data.n).collect();
    let m = n_far.min(data.n);
    if m < data.n {
        order.select_nth_unstable_by(m, by_distance_desc);
    }
    order.truncate(m);
    order.sort_by(by_distance_desc);
    let mut rows = Vec::with_capacity(m * d);
    for &i in &order {
        rows.extend_from_slice(data.row(i));
    }
    Ok(FarRows {
        distance: order.iter().map(|&i| dist[i]).collect(),
        index: order.iter().map(|&i| offset + i as u64).collect(),
        weight: order.iter().map(|&i| data.weight(i)).collect(),
        label: order.iter().map(|&i| labels[i] as i64).collect(),
        rows: Array2::from_shape_vec((m, d), rows)
            .map_err(|e| CoreError::Internal(format!("rows shape: {e}")))?,
    })
}

/// The M-step from merged statistics: empty clusters (zero weight) take the farthest rows
/// among `far` (every partition's [`farthest_rows`], in any order; the global farthest
/// first, ties by global index, as the in-memory relocation), then centres are the
/// weighted means (scikit-learn's `_average_centers`). Returns the new centres and the
/// summed squared centre shift. `far` is required only when a cluster is empty.
pub fn lloyd_finish<F: Float>(
    sums: ArrayView2<'_, f64>,
    weights: &[f64],
    centres: ArrayView2<'_, F>,
    far: Option<&FarRows<F>>,
) -> CoreResult<(Array2<F>, f64)> {
    let (k, d) = centres.dim();
    if sums.dim() != (k, d) || weights.len() != k {
        return Err(CoreError::ShapeMismatch {
            what: "partial sums (one row per centre)",
            expected: k,
            got: weights.len(),
        });
    }
    let old = check_centres(&centres, d)?;
    let mut merged = Sums {
        s: sums.iter().copied().collect(),
        w: weights.to_vec(),
    };
    let empty = empty_clusters(&merged);
    if !empty.is_empty() {
        let far = far.ok_or_else(|| CoreError::InvalidParameter {
            name: "far",
            reason: format!(
                "{} cluster(s) are empty: the farthest rows are needed to relocate them",
                empty.len()
            ),
        })?;
        let m = far.index.len();
        if far.distance.len() != m
            || far.weight.len() != m
            || far.label.len() != m
            || far.rows.dim() != (m, d)
        {
            return Err(CoreError::ShapeMismatch {
                what: "farthest rows (one entry per row)",
                expected: m,
                got: far.rows.nrows(),
            });
        }
        let rows = far
            .rows
            .as_slice()
            .ok_or_else(|| CoreError::Internal("farthest rows layout".into()))?;
        if far.label.iter().any(|&c| c < 0 || c as usize >= k) {
            return Err(CoreError::InvalidParameter {
                name: "far",
                reason: format!("labels must lie in 0..{k}"),
            });
        }
        // Nothing moves when every row sits on its centre (as in memory).
        let max = far.distance.iter().copied().fold(0.0f64, f64::max);
        if max > 0.0 {
            let mut order: Vec<usize> = (0..m).collect();
            order.sort_by(|&a, &b| {
                far.distance[b]
                    .total_cmp(&far.distance[a])
                    .then(far.index[a].cmp(&far.index[b]))
            });
            let picks: Vec<FarRow<'_, F>> = order
                .iter()
                .take(empty.len())
                .map(|&i| FarRow {
                    weight: far.weight[i],
                    label: far.label[i] as usize,
                    row: &rows[i * d..(i + 1) * d],
                })
                .collect();
            move_to_empty(&mut merged, &empty, &picks);
        }
    }
    let mut new = vec![F::zero(); k * d];
    average_centres(&merged, k, d, &mut new);
    let shift: f64 = centre_shifts(old, &new, k, d).iter().map(|s| s * s).sum();
    let centres = Array2::from_shape_vec((k, d), new)
        .map_err(|e| CoreError::Internal(format!("centre shape: {e}")))?;
    Ok((centres, shift))
}

/// SplitMix64's finaliser: a bijective 64-bit mix.
#[inline(always)]
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in `(0, 1]` for row `index` of stream `stream` under `seed`: a
/// counter-based generator, so a row's draw does not depend on which partition holds it or
/// on the order partitions run in.
#[inline(always)]
pub fn row_uniform(seed: u64, stream: u64, index: u64) -> f64 {
    let h = mix(mix(seed ^ mix(stream)) ^ index);
    ((h >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// One partition's part of a k-means|| round.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundPartial<F> {
    /// `sum w * d^2` to the closest candidate (the partition's cost).
    pub cost: f64,
    /// Global indices of the rows that may be drawn.
    pub index: Array1<u64>,
    /// Their ratios `l * w * d^2 / u`: a row is drawn iff its ratio exceeds the total cost.
    pub ratio: Array1<f64>,
    /// The rows, `(m, d)`.
    pub rows: Array2<F>,
}

/// One k-means|| round on one partition: the cost against the candidates chosen so far
/// and the rows this round may draw. A row is drawn with probability
/// `min(1, l * w * d^2 / cost)` (Bahmani et al.; Spark's `initializationSteps` rounds with
/// `l = 2k`): with `u` its uniform number, iff `l * w * d^2 / u > cost`. The total cost is
/// only known once all partitions are merged, but it is at least this partition's, so
/// only rows whose ratio exceeds the partition's own cost are returned (about `l` of them
/// in expectation) and the caller keeps those above the total. One pass per round.
pub fn oversample_round<F: Float>(
    x: ArrayView2<'_, F>,
    weights: Option<&[f64]>,
    candidates: ArrayView2<'_, F>,
    oversampling: f64,
    (seed, round, offset): (u64, u64, u64),
    stop: &Interrupt,
) -> CoreResult<RoundPartial<F>> {
    if !(oversampling.is_finite() && oversampling > 0.0) {
        return Err(CoreError::InvalidParameter {
            name: "oversampling",
            reason: format!("must be a positive number, got {oversampling}"),
        });
    }
    let data = partition(&x, weights)?;
    let cs = check_centres(&candidates, data.d)?;
    let (k, d) = (candidates.nrows(), data.d);
    let blocks = CentreBlocks::new(cs, k, d);
    let mut dist = vec![0.0f64; data.n];
    let rows = group_rows(data.n.max(1));
    let costs: Vec<f64> = dist
        .par_chunks_mut(rows)
        .enumerate()
        .map(|(g, out)| {
            let mut buf = vec![F::zero(); blocks.padded()];
            let mut cost = 0.0;
            for (o, slot) in out.iter_mut().enumerate() {
                if o % STOP_ROWS == 0 {
                    stop.check()?;
                }
                let i = g * rows + o;
                let (_, dd) = blocks.closest(data.row(i), &mut buf);
                *slot = dd.to_f64();
                cost += *slot * data.weight(i);
            }
            Ok(cost)
        })
        .collect::<CoreResult<_>>()?;
    let cost: f64 = costs.iter().sum();
    let mut index = Vec::new();
    let mut ratio = Vec::new();
    let mut picked = Vec::new();
    if cost > 0.0 {
        for (i, &dd) in dist.iter().enumerate() {
            let w = data.weight(i);
            if dd > 0.0 && w > 0.0 {
                let global = offset + i as u64;
                let r = oversampling * w * dd / row_uniform(seed, round, global);
                if r > cost {
                    index.push(global);
                    ratio.push(r);
                    picked.extend_from_slice(data.row(i));
                }
            }
        }
    }
    let m = index.len();
    Ok(RoundPartial {
        cost,
        index: Array1::from_vec(index),
        ratio: Array1::from_vec(ratio),
        rows: Array2::from_shape_vec((m, d), picked)
            .map_err(|e| CoreError::Internal(format!("rows shape: {e}")))?,
    })
}

/// Weighted draws without replacement on one partition: the `k` rows with the largest
/// Efraimidis-Spirakis keys `ln(u) / w` (the law of the in-memory `init="random"`), keys
/// from [`row_uniform`] on the global index. Merging the partitions' lists and keeping the
/// `k` largest keys (ties by global index) draws `k` rows of the whole data; `k = 1` is
/// one row drawn in proportion to its weight. Rows of weight 0 are never drawn.
pub fn random_keys<F: Float>(
    x: ArrayView2<'_, F>,
    weights: Option<&[f64]>,
    k: usize,
    (seed, stream, offset): (u64, u64, u64),
) -> CoreResult<(Array1<f64>, Array1<u64>, Array2<F>)> {
    let data = partition(&x, weights)?;
    let d = data.d;
    let mut keys: Vec<(f64, usize)> = (0..data.n)
        .filter(|&i| data.weight(i) > 0.0)
        .map(|i| {
            let u = row_uniform(seed, stream, offset + i as u64);
            (u.ln() / data.weight(i), i)
        })
        .collect();
    let by_key_desc = |a: &(f64, usize), b: &(f64, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    let m = k.min(keys.len());
    if m < keys.len() {
        keys.select_nth_unstable_by(m, by_key_desc);
    }
    keys.truncate(m);
    keys.sort_by(by_key_desc);
    let mut rows = Vec::with_capacity(m * d);
    for &(_, i) in &keys {
        rows.extend_from_slice(data.row(i));
    }
    Ok((
        keys.iter().map(|&(key, _)| key).collect(),
        keys.iter().map(|&(_, i)| offset + i as u64).collect(),
        Array2::from_shape_vec((m, d), rows)
            .map_err(|e| CoreError::Internal(format!("rows shape: {e}")))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::{fit, Algorithm, Init, KMeansParams};
    use super::*;
    use crate::params::Params;
    use ndarray::{s, Array3};

    #[test]
    fn a_requested_stop_ends_the_partition_passes() {
        let x = sample(5_000, 3);
        let c = x.slice(s![0..4, ..]).to_owned();
        let stop = Interrupt::new();
        stop.request();
        let stopped = Err(CoreError::Interrupted);
        assert_eq!(
            lloyd_partial(x.view(), None, c.view(), &stop).map(drop),
            stopped.clone()
        );
        assert_eq!(
            farthest_rows(x.view(), None, c.view(), 3, 0, &stop).map(drop),
            stopped.clone()
        );
        assert_eq!(
            oversample_round(x.view(), None, c.view(), 8.0, (1, 1, 0), &stop).map(drop),
            stopped
        );
        // Not requested: the passes run.
        assert!(lloyd_partial(x.view(), None, c.view(), &Interrupt::new()).is_ok());
    }

    fn sample(n: usize, d: usize) -> Array2<f64> {
        Array2::from_shape_fn((n, d), |(i, j)| {
            let c = (i % 5) as f64;
            4.0 * c * ((j % 3) as f64 - 1.0) + ((i * 7 + j * 13) as f64 * 0.618).sin()
        })
    }

    /// Lloyd from given centres on partitions, merged in partition order.
    fn lloyd_on_parts(
        x: &Array2<f64>,
        cuts: &[usize],
        init: &Array2<f64>,
        max_iter: usize,
        tol: f64,
    ) -> (Array2<f64>, usize) {
        let mut moments = vec![CoMoments::EMPTY; x.ncols()];
        for w in cuts.windows(2) {
            let part = partition_moments(x.slice(s![w[0]..w[1], ..])).unwrap();
            merge_feature_moments(&mut moments, &part);
        }
        let tol = tolerance_of(&moments, tol);
        let mut centres = init.clone();
        let mut n_iter = 0;
        for it in 0..max_iter {
            n_iter = it + 1;
            let (k, d) = centres.dim();
            let mut sums = Array2::zeros((k, d));
            let mut weights = Array1::zeros(k);
            for w in cuts.windows(2) {
                let p = lloyd_partial(
                    x.slice(s![w[0]..w[1], ..]),
                    None,
                    centres.view(),
                    &Interrupt::new(),
                )
                .unwrap();
                sums = sums + p.sums;
                weights = weights + p.weights;
            }
            let far = if weights.iter().any(|&w| w == 0.0) {
                let mut all: Option<FarRows<f64>> = None;
                for w in cuts.windows(2) {
                    let f = farthest_rows(
                        x.slice(s![w[0]..w[1], ..]),
                        None,
                        centres.view(),
                        k,
                        w[0] as u64,
                        &Interrupt::new(),
                    )
                    .unwrap();
                    all = Some(match all {
                        None => f,
                        Some(a) => FarRows {
                            distance: ndarray::concatenate![
                                ndarray::Axis(0),
                                a.distance,
                                f.distance
                            ],
                            index: ndarray::concatenate![ndarray::Axis(0), a.index, f.index],
                            weight: ndarray::concatenate![ndarray::Axis(0), a.weight, f.weight],
                            label: ndarray::concatenate![ndarray::Axis(0), a.label, f.label],
                            rows: ndarray::concatenate![ndarray::Axis(0), a.rows, f.rows],
                        },
                    });
                }
                all
            } else {
                None
            };
            let (new, shift) = lloyd_finish(
                sums.view(),
                weights.as_slice().unwrap(),
                centres.view(),
                far.as_ref(),
            )
            .unwrap();
            centres = new;
            if shift <= tol {
                break;
            }
        }
        (centres, n_iter)
    }

    #[test]
    fn partitioned_lloyd_equals_in_memory_lloyd() {
        let x = sample(9000, 4);
        let init = x.slice(s![0..5, ..]).to_owned();
        let params = KMeansParams {
            n_clusters: 5,
            algorithm: Algorithm::Lloyd,
            ..Default::default()
        }
        .check()
        .unwrap();
        let given = Array3::from_shape_vec((1, 5, 4), init.iter().copied().collect()).unwrap();
        let reference = fit(
            x.view(),
            None,
            &params,
            &Init::Given(given.view()),
            &crate::Interrupt::new(),
        )
        .unwrap();
        for cuts in [
            vec![0, 9000],
            vec![0, 0, 3000, 3001, 9000],
            vec![0, 1, 2, 4500, 9000, 9000],
        ] {
            let (centres, n_iter) = lloyd_on_parts(&x, &cuts, &init, 300, 1e-4);
            assert_eq!(n_iter, reference.n_iter);
            for (a, b) in centres.iter().zip(reference.centres.iter()) {
                assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn empty_cluster_is_relocated_as_in_memory() {
        let x = ndarray::array![[0.0], [0.1], [0.2], [10.0]];
        let init = ndarray::array![[0.0], [1000.0]];
        let (centres, _) = lloyd_on_parts(&x, &[0, 2, 2, 4], &init, 300, 1e-4);
        assert!((centres[[0, 0]] - 0.1_f64).abs() < 1e-12);
        assert!((centres[[1, 0]] - 10.0_f64).abs() < 1e-12);
        // Without the farthest rows an empty cluster is an error, never a silent answer.
        let p = lloyd_partial(x.view(), None, init.view(), &Interrupt::new()).unwrap();
        assert!(matches!(
            lloyd_finish(
                p.sums.view(),
                p.weights.as_slice().unwrap(),
                init.view(),
                None
            ),
            Err(CoreError::InvalidParameter { name: "far", .. })
        ));
    }

    fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(f)
    }

    #[test]
    fn partials_are_the_same_bits_on_one_and_two_threads() {
        // Several row groups, so the group merge order is exercised.
        let x = sample(20_000, 5);
        let c = x.slice(s![0..7, ..]).to_owned();
        let run = || {
            let p = lloyd_partial(x.view(), None, c.view(), &Interrupt::new()).unwrap();
            let r = oversample_round(x.view(), None, c.view(), 14.0, (3, 1, 0), &Interrupt::new())
                .unwrap();
            let m = partition_moments(x.view()).unwrap();
            (p, r, m)
        };
        let (a, b) = (on_threads(1, run), on_threads(2, run));
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
        assert_eq!(a.2, b.2);
    }

    #[test]
    fn draws_do_not_depend_on_the_partitioning() {
        let x = sample(5000, 3);
        let cands = x.slice(s![0..2, ..]).to_owned();
        let whole = oversample_round(
            x.view(),
            None,
            cands.view(),
            8.0,
            (7, 1, 0),
            &Interrupt::new(),
        )
        .unwrap();
        let mut picked = Vec::new();
        let mut cost = 0.0;
        for w in [0usize, 1234, 1234, 5000].windows(2) {
            let p = oversample_round(
                x.slice(s![w[0]..w[1], ..]),
                None,
                cands.view(),
                8.0,
                (7, 1, w[0] as u64),
                &Interrupt::new(),
            )
            .unwrap();
            cost += p.cost;
            picked.extend(p.index.iter().zip(&p.ratio).map(|(&i, &r)| (i, r)));
        }
        assert!((cost - whole.cost).abs() <= 1e-10 * cost);
        let drawn = |list: &[(u64, f64)], total: f64| -> Vec<u64> {
            list.iter()
                .filter(|(_, r)| *r > total)
                .map(|(i, _)| *i)
                .collect()
        };
        let whole_list: Vec<(u64, f64)> = whole
            .index
            .iter()
            .zip(&whole.ratio)
            .map(|(&i, &r)| (i, r))
            .collect();
        let a = drawn(&whole_list, whole.cost);
        let b = drawn(&picked, cost);
        assert_eq!(a, b);
        // About l rows per round in expectation.
        assert!(!a.is_empty() && a.len() < 40, "{}", a.len());
        let (keys, idx, _) = random_keys(x.view(), None, 3, (1, 0, 0)).unwrap();
        assert_eq!(keys.len(), 3);
        let (k2, i2, _) = random_keys(x.slice(s![2000.., ..]), None, 3, (1, 0, 2000)).unwrap();
        for (key, i) in k2.iter().zip(&i2) {
            // the same row has the same key wherever it is
            if let Some(p) = idx.iter().position(|v| v == i) {
                assert_eq!(keys[p], *key);
            }
        }
        assert!(row_uniform(1, 2, 3) > 0.0 && row_uniform(1, 2, 3) <= 1.0);
    }
}
