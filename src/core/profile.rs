//! Segment profiles: per segment x feature count, mean, variance and median in one pass
//! over the data (parallel over features), plus the moments of "everyone else" that a
//! segment-vs-rest Welch test needs.
//!
//! NaN values are skipped per feature (a customer missing one feature still counts for
//! the others); infinities are rejected. Means use a corrected two-pass algorithm and the
//! rest-of-population moments are merged with Chan et al.'s pairwise update (the shared
//! [`Moments`] of `numerics`), so a small segment inside a large population loses no
//! precision to cancellation.

use std::cmp::Ordering;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::error::{CoreError, CoreResult};
use crate::numerics::{checked_plus_one, try_array2, try_filled, try_with_capacity, Moments};
use crate::Interrupt;

/// Grouped statistics of every feature: `k` segments x `d` features, plus the population.
#[derive(Debug, Clone)]
pub struct SegmentMoments {
    /// Non-NaN values per segment (rows) and feature (columns), `(k + 1, d)`; the last
    /// row is the whole population.
    pub counts: Array2<f64>,
    /// Means, `(k + 1, d)` (NaN where the count is 0).
    pub means: Array2<f64>,
    /// Sample variances (ddof = 1), `(k + 1, d)` (NaN where the count is below 2).
    pub variances: Array2<f64>,
    /// Medians (mean of the two middle values for an even count), `(k + 1, d)`.
    pub medians: Array2<f64>,
    /// Mean of everyone outside each segment, `(k, d)`.
    pub rest_means: Array2<f64>,
    /// Sample variance of everyone outside each segment, `(k, d)`.
    pub rest_variances: Array2<f64>,
}

fn median_in_place(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let mid = n / 2;
    // NaN were left out, so partial_cmp always answers (and is cheaper than total_cmp).
    let (lower, upper, _) =
        values.select_nth_unstable_by(mid, |a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let lower_max = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        lower_max + (upper - lower_max) / 2.0
    }
}

/// Per-feature result: for each segment then the population, (moments, median); then
/// the rest-of-population moments per segment.
struct FeatureStats {
    groups: Vec<(Moments, f64)>,
    rest: Vec<Moments>,
}

fn slice_moments(values: &[f64]) -> Moments {
    if values.is_empty() {
        return Moments::EMPTY;
    }
    let n = values.len() as f64;
    let first = values.iter().sum::<f64>() / n;
    // Corrected two-pass: the sum of deviations fixes the rounding of the first mean.
    let (mut dev, mut dev2) = (0.0, 0.0);
    for &x in values {
        let d = x - first;
        dev += d;
        dev2 += d * d;
    }
    Moments {
        count: n,
        mean: first + dev / n,
        m2: (dev2 - dev * dev / n).max(0.0),
    }
}

/// Leave the NaN of one feature out, in place (every segment stays one contiguous slice,
/// `bounds[g]..bounds[g + 1]`), and return the bounds with each segment's moments.
/// `values` are in segment order (`offsets[g]..offsets[g + 1]` is segment `g`).
fn group_moments(
    values: &mut Vec<f64>,
    offsets: &[usize],
) -> CoreResult<(Vec<usize>, Vec<Moments>)> {
    let n_groups = offsets.len() - 1;
    let mut bounds = try_filled(offsets.len(), 0usize, "segment bounds")?;
    let mut write = 0usize;
    for g in 0..n_groups {
        for read in offsets[g]..offsets[g + 1] {
            let v = values[read];
            if !v.is_nan() {
                values[write] = v;
                write += 1;
            }
        }
        bounds[g + 1] = write;
    }
    values.truncate(write);
    let mut moments = try_with_capacity(n_groups, "segment moments")?;
    moments.extend((0..n_groups).map(|g| slice_moments(&values[bounds[g]..bounds[g + 1]])));
    Ok((bounds, moments))
}

/// The population's moments and, per segment, those of everyone else, from the
/// segments' moments: everyone but segment g = prefix(0..g) combined with
/// suffix(g+1..k), O(k).
fn pool(groups: &[Moments]) -> CoreResult<(Moments, Vec<Moments>)> {
    let n_groups = groups.len();
    let slots = checked_plus_one::<Moments>(n_groups, "segment moments")?;
    let mut prefix = try_filled(slots, Moments::EMPTY, "segment moments")?;
    for g in 0..n_groups {
        prefix[g + 1] = prefix[g].merged(&groups[g]);
    }
    let mut suffix = try_filled(slots, Moments::EMPTY, "segment moments")?;
    for g in (0..n_groups).rev() {
        suffix[g] = groups[g].merged(&suffix[g + 1]);
    }
    let mut rest = try_with_capacity(n_groups, "rest-of-population moments")?;
    rest.extend((0..n_groups).map(|g| prefix[g].merged(&suffix[g + 1])));
    Ok((prefix[n_groups], rest))
}

/// Statistics of one feature from its values already in segment order
/// (`offsets[g]..offsets[g + 1]` is segment `g`).
fn feature_stats(mut values: Vec<f64>, offsets: &[usize]) -> CoreResult<FeatureStats> {
    let (bounds, moments) = group_moments(&mut values, offsets)?;
    let (population, rest) = pool(&moments)?;
    let mut groups = try_with_capacity(bounds.len(), "segment moments")?;
    // The median reorders the slice, which the moments no longer need.
    groups.extend(
        moments
            .iter()
            .enumerate()
            .map(|(g, &m)| (m, median_in_place(&mut values[bounds[g]..bounds[g + 1]]))),
    );
    groups.push((population, median_in_place(&mut values)));
    Ok(FeatureStats { groups, rest })
}

/// Features copied per sweep over the rows: bounds the extra memory to
/// `FEATURE_BLOCK * n_samples` floats. A memory tile, not a reduction order: each feature
/// is reduced in row order by one thread.
const FEATURE_BLOCK: usize = 8;

/// Copy features `start..start + width` into one segment-ordered vector each, in one
/// sequential sweep over the rows (row `i` goes to position `position[i]`).
fn scatter_block(
    x: ArrayView2<f64>,
    position: &[usize],
    (start, width): (usize, usize),
    stop: &Interrupt,
) -> CoreResult<Vec<Vec<f64>>> {
    let n = x.nrows();
    let mut out = Vec::with_capacity(width);
    for _ in 0..width {
        out.push(try_filled(n, 0.0, "a feature's values in segment order")?);
    }
    match x.as_slice() {
        Some(flat) if x.ncols() > 0 => {
            let d = x.ncols();
            for (rows, positions) in flat.chunks(CHECK_ROWS * d).zip(position.chunks(CHECK_ROWS)) {
                stop.check()?;
                for (row, &p) in rows.chunks_exact(d).zip(positions) {
                    for (dst, &v) in out.iter_mut().zip(&row[start..start + width]) {
                        dst[p] = v;
                    }
                }
            }
        }
        _ => {
            for (i, (row, &p)) in x.outer_iter().zip(position).enumerate() {
                if i % CHECK_ROWS == 0 {
                    stop.check()?;
                }
                for (jj, dst) in out.iter_mut().enumerate() {
                    dst[p] = row[start + jj];
                }
            }
        }
    }
    Ok(out)
}

/// Rows of a sequential sweep between two checks for a requested stop (a few ms).
const CHECK_ROWS: usize = 1 << 18;

/// Checked segment codes and the counting sort of the rows by segment: `(offsets,
/// position)`, row `i` going to `position[i]`, segment `g` at `offsets[g]..offsets[g+1]`.
fn segment_order(
    x: ArrayView2<f64>,
    codes: &[i64],
    n_groups: usize,
) -> CoreResult<(Vec<usize>, Vec<usize>)> {
    let (n, d) = x.dim();
    if codes.len() != n {
        return Err(CoreError::ShapeMismatch {
            what: "labels",
            expected: n,
            got: codes.len(),
        });
    }
    if n_groups == 0 {
        return Err(CoreError::InvalidParameter {
            name: "n_groups",
            reason: "must be >= 1, got 0".into(),
        });
    }
    let mut ucodes = try_with_capacity(n, "segment codes")?;
    for &c in codes {
        match usize::try_from(c) {
            Ok(u) if u < n_groups => ucodes.push(u),
            _ => {
                return Err(CoreError::InvalidParameter {
                    name: "labels",
                    reason: format!("segment code {c} outside 0..{n_groups}"),
                })
            }
        }
    }
    if let Some(j) = (0..d).find(|&j| x.column(j).iter().any(|v| v.is_infinite())) {
        return Err(CoreError::NonFinite(format!(
            "column {j} contains infinity"
        )));
    }
    let slots = checked_plus_one::<usize>(n_groups, "segment offsets")?;
    let mut offsets = try_filled(slots, 0usize, "segment offsets")?;
    for &g in &ucodes {
        offsets[g + 1] += 1;
    }
    for g in 0..n_groups {
        offsets[g + 1] += offsets[g];
    }
    let mut next = try_with_capacity(slots, "segment offsets")?;
    next.extend_from_slice(&offsets);
    let mut position = try_with_capacity(n, "row positions in segment order")?;
    position.extend(ucodes.iter().map(|&g| {
        next[g] += 1;
        next[g] - 1
    }));
    Ok((offsets, position))
}

/// `f` on every feature's segment-ordered values: one sequential sweep over the rows per
/// block of features (strided column reads of a C-ordered matrix would cost one cache
/// line per value), then parallel over the features of the block, in feature order.
/// A stop requested through `stop` is seen every [`CHECK_ROWS`] rows of a sweep and
/// before each feature's statistics (one feature's selection is not interrupted).
fn per_feature<T: Send>(
    x: ArrayView2<f64>,
    position: &[usize],
    stop: &Interrupt,
    f: impl Fn(Vec<f64>) -> CoreResult<T> + Sync,
) -> CoreResult<Vec<T>> {
    let d = x.ncols();
    let mut out = Vec::with_capacity(d);
    for start in (0..d).step_by(FEATURE_BLOCK) {
        let width = FEATURE_BLOCK.min(d - start);
        let block = scatter_block(x, position, (start, width), stop)?;
        let stats = block
            .into_par_iter()
            .map(|values| {
                stop.check()?;
                f(values)
            })
            .collect::<CoreResult<Vec<_>>>()?;
        out.extend(stats);
    }
    Ok(out)
}

/// Grouped moments and medians of every column of `x` by segment code.
///
/// `codes[i]` in `0..n_groups` is the segment of row `i`. NaN entries are skipped per
/// feature; infinities raise [`CoreError::NonFinite`]. Work is parallel over features
/// and deterministic (each feature is reduced in row order by one thread). A stop
/// requested through `stop` ends the work early with [`CoreError::Interrupted`].
pub fn segment_moments(
    x: ArrayView2<f64>,
    codes: &[i64],
    n_groups: usize,
    stop: &Interrupt,
) -> CoreResult<SegmentMoments> {
    let (n, d) = x.dim();
    if n == 0 {
        return Err(CoreError::EmptyInput("no rows to profile".into()));
    }
    let (offsets, position) = segment_order(x, codes, n_groups)?;
    let stats = per_feature(x, &position, stop, |values| feature_stats(values, &offsets))?;
    let table = |rows| try_array2((rows, d), 0.0, "the profile tables");
    let mut out = SegmentMoments {
        counts: table(n_groups + 1)?,
        means: table(n_groups + 1)?,
        variances: table(n_groups + 1)?,
        medians: table(n_groups + 1)?,
        rest_means: table(n_groups)?,
        rest_variances: table(n_groups)?,
    };
    for (j, fs) in stats.iter().enumerate() {
        for (g, (m, med)) in fs.groups.iter().enumerate() {
            out.counts[[g, j]] = m.count;
            out.means[[g, j]] = m.mean;
            out.variances[[g, j]] = m.sample_variance();
            out.medians[[g, j]] = *med;
        }
        for (g, r) in fs.rest.iter().enumerate() {
            out.rest_means[[g, j]] = r.mean;
            out.rest_variances[[g, j]] = r.sample_variance();
        }
    }
    Ok(out)
}

/// Mergeable per segment x feature moments of one row block (a partition of a
/// distributed profile): count, mean and centred sum of squares, `(n_groups, d)` each.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMoments {
    /// Non-NaN values.
    pub counts: Array2<f64>,
    /// Their means (NaN where the count is 0).
    pub means: Array2<f64>,
    /// Sums of squared deviations from the means.
    pub m2: Array2<f64>,
}

impl GroupMoments {
    fn get(&self, g: usize, j: usize) -> Moments {
        Moments {
            count: self.counts[[g, j]],
            mean: self.means[[g, j]],
            m2: self.m2[[g, j]],
        }
    }

    fn set(&mut self, g: usize, j: usize, m: Moments) {
        self.counts[[g, j]] = m.count;
        self.means[[g, j]] = m.mean;
        self.m2[[g, j]] = m.m2;
    }

    /// Add the moments of another, disjoint block (Chan's update, cell by cell).
    pub fn merge(&mut self, other: &GroupMoments) -> CoreResult<()> {
        if self.counts.dim() != other.counts.dim() {
            return Err(CoreError::InvalidParameter {
                name: "moments",
                reason: format!(
                    "blocks of shape {:?} and {:?} cannot be merged",
                    self.counts.dim(),
                    other.counts.dim()
                ),
            });
        }
        let (k, d) = self.counts.dim();
        for g in 0..k {
            for j in 0..d {
                let m = self.get(g, j).merged(&other.get(g, j));
                self.set(g, j, m);
            }
        }
        Ok(())
    }
}

/// The per segment x feature moments of one row block (zero rows allowed): the partial
/// statistics of [`segment_moments`] without the medians (those need every value).
pub fn segment_partial_moments(
    x: ArrayView2<f64>,
    codes: &[i64],
    n_groups: usize,
    stop: &Interrupt,
) -> CoreResult<GroupMoments> {
    let d = x.ncols();
    let (offsets, position) = segment_order(x, codes, n_groups)?;
    let stats = per_feature(x, &position, stop, |mut values| {
        Ok(group_moments(&mut values, &offsets)?.1)
    })?;
    let table = || try_array2((n_groups, d), 0.0, "the profile moments");
    let mut out = GroupMoments {
        counts: table()?,
        means: table()?,
        m2: table()?,
    };
    for (j, moments) in stats.iter().enumerate() {
        for (g, &m) in moments.iter().enumerate() {
            out.set(g, j, m);
        }
    }
    Ok(out)
}

/// [`segment_moments`] from merged [`GroupMoments`]: counts, means and variances of the
/// segments and the population, and the rest-of-population moments; the medians are NaN
/// (the caller finds them with an order-statistics pass).
pub fn finish_segment_moments(m: &GroupMoments) -> CoreResult<SegmentMoments> {
    let (k, d) = m.counts.dim();
    let table = |rows, value| try_array2((rows, d), value, "the profile tables");
    let mut out = SegmentMoments {
        counts: table(k + 1, 0.0)?,
        means: table(k + 1, 0.0)?,
        variances: table(k + 1, 0.0)?,
        medians: table(k + 1, f64::NAN)?,
        rest_means: table(k, 0.0)?,
        rest_variances: table(k, 0.0)?,
    };
    let mut groups = try_with_capacity(k, "segment moments")?;
    for j in 0..d {
        groups.clear();
        groups.extend((0..k).map(|g| m.get(g, j)));
        let (population, rest) = pool(&groups)?;
        for (g, s) in groups
            .iter()
            .chain(std::iter::once(&population))
            .enumerate()
        {
            out.counts[[g, j]] = s.count;
            out.means[[g, j]] = s.mean;
            out.variances[[g, j]] = s.sample_variance();
        }
        for (g, r) in rest.iter().enumerate() {
            out.rest_means[[g, j]] = r.mean;
            out.rest_variances[[g, j]] = r.sample_variance();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(1.0)
    }

    #[test]
    fn moments_medians_and_rest_match_direct_formulas() {
        let x = array![
            [1.0, 10.0],
            [2.0, f64::NAN],
            [4.0, 30.0],
            [8.0, 40.0],
            [16.0, 50.0]
        ];
        let codes = [0, 0, 1, 1, 1];
        let s = segment_moments(x.view(), &codes, 2, &Interrupt::new()).unwrap();
        assert_eq!(s.counts.column(0).to_vec(), vec![2.0, 3.0, 5.0]);
        assert_eq!(s.counts.column(1).to_vec(), vec![1.0, 3.0, 4.0]);
        assert!(close(s.means[[0, 0]], 1.5));
        assert!(close(s.means[[1, 0]], 28.0 / 3.0));
        assert!(close(s.means[[2, 0]], 31.0 / 5.0));
        assert!(close(s.variances[[0, 0]], 0.5));
        // segment 1 of feature 0: 4, 8, 16 -> mean 28/3, var = sum dev^2 / 2
        let m = 28.0 / 3.0;
        let v = ((4.0 - m) * (4.0 - m) + (8.0 - m) * (8.0 - m) + (16.0 - m) * (16.0 - m)) / 2.0;
        assert!(close(s.variances[[1, 0]], v));
        assert!(s.variances[[0, 1]].is_nan()); // one value
        assert_eq!(s.medians[[0, 0]], 1.5);
        assert_eq!(s.medians[[1, 0]], 8.0);
        assert_eq!(s.medians[[2, 1]], 35.0);
        // rest of segment 0 = segment 1 here
        assert!(close(s.rest_means[[0, 0]], s.means[[1, 0]]));
        assert!(close(s.rest_variances[[0, 0]], s.variances[[1, 0]]));
        assert!(close(s.rest_means[[1, 1]], 10.0));
    }

    #[test]
    fn wide_and_fortran_ordered_inputs_agree_with_direct_formulas() {
        // 11 features > FEATURE_BLOCK: two sweeps; the F-ordered copy takes the generic path.
        let (n, d, k) = (37usize, 11usize, 3usize);
        let x = Array2::from_shape_fn((n, d), |(i, j)| {
            ((i * 7 + j * 13) % 17) as f64 + 0.5 * j as f64
        });
        let codes: Vec<i64> = (0..n).map(|i| ((i * 5) % k) as i64).collect();
        let c = segment_moments(x.view(), &codes, k, &Interrupt::new()).unwrap();
        let f_order = x.t().as_standard_layout().into_owned().reversed_axes();
        assert!(f_order.as_slice().is_none());
        let f = segment_moments(f_order.view(), &codes, k, &Interrupt::new()).unwrap();
        assert_eq!(c.means, f.means);
        assert_eq!(c.medians, f.medians);
        assert_eq!(c.rest_variances, f.rest_variances);
        for j in 0..d {
            for g in 0..k {
                let mut vals: Vec<f64> = (0..n)
                    .filter(|&i| codes[i] == g as i64)
                    .map(|i| x[[i, j]])
                    .collect();
                let m = vals.iter().sum::<f64>() / vals.len() as f64;
                let v =
                    vals.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (vals.len() - 1) as f64;
                vals.sort_by(f64::total_cmp);
                let h = vals.len() / 2;
                let med = if vals.len() % 2 == 1 {
                    vals[h]
                } else {
                    (vals[h - 1] + vals[h]) / 2.0
                };
                assert!(close(c.means[[g, j]], m));
                assert!(close(c.variances[[g, j]], v));
                assert!(close(c.medians[[g, j]], med));
            }
        }
    }

    #[test]
    fn merged_partial_moments_finish_to_the_in_memory_statistics() {
        let (n, d, k) = (53usize, 10usize, 4usize);
        let x = Array2::from_shape_fn((n, d), |(i, j)| {
            if (i + j) % 11 == 0 {
                f64::NAN
            } else {
                1e6 + ((i * 7 + j * 13) % 17) as f64 + 0.5 * j as f64
            }
        });
        let codes: Vec<i64> = (0..n).map(|i| ((i * 5) % (k - 1)) as i64).collect(); // k-1 empty
        let whole = segment_moments(x.view(), &codes, k, &Interrupt::new()).unwrap();
        for cuts in [vec![0, n], vec![0, 0, 20, 21, n]] {
            let mut merged: Option<GroupMoments> = None;
            for w in cuts.windows(2) {
                let part = x.slice(ndarray::s![w[0]..w[1], ..]);
                let p = segment_partial_moments(part, &codes[w[0]..w[1]], k, &Interrupt::new())
                    .unwrap();
                match merged.as_mut() {
                    None => merged = Some(p),
                    Some(m) => m.merge(&p).unwrap(),
                }
            }
            let f = finish_segment_moments(&merged.unwrap()).unwrap();
            assert_eq!(f.counts, whole.counts);
            for (a, b) in [
                (&f.means, &whole.means),
                (&f.variances, &whole.variances),
                (&f.rest_means, &whole.rest_means),
                (&f.rest_variances, &whole.rest_variances),
            ] {
                // Means of ~1e6 carry ~1e-10 absolute rounding into the merge's delta:
                // variances of ~24 agree to ~1e-11 relative (one ulp of the mean).
                for (u, v) in a.iter().zip(b.iter()) {
                    let near = (u - v).abs() <= 1e-10 * v.abs().max(1.0);
                    assert!((u.is_nan() && v.is_nan()) || near, "{u} vs {v}");
                }
            }
            assert!(f.medians.iter().all(|v| v.is_nan()));
        }
        let a = segment_partial_moments(x.view(), &codes, k, &Interrupt::new()).unwrap();
        let mut b = segment_partial_moments(x.view(), &codes, k + 1, &Interrupt::new()).unwrap();
        assert!(matches!(
            b.merge(&a),
            Err(CoreError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn empty_segment_gives_nan() {
        let x = array![[1.0], [2.0]];
        let s = segment_moments(x.view(), &[0, 0], 2, &Interrupt::new()).unwrap();
        assert_eq!(s.counts[[1, 0]], 0.0);
        assert!(s.means[[1, 0]].is_nan() && s.medians[[1, 0]].is_nan());
        assert!(close(s.rest_means[[1, 0]], 1.5));
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let x = array![[1.0], [f64::INFINITY]];
        assert!(matches!(
            segment_moments(x.view(), &[0, 1], 2, &Interrupt::new()),
            Err(CoreError::NonFinite(_))
        ));
        let x = array![[1.0], [2.0]];
        assert!(matches!(
            segment_moments(x.view(), &[0], 2, &Interrupt::new()),
            Err(CoreError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            segment_moments(x.view(), &[0, 2], 2, &Interrupt::new()),
            Err(CoreError::InvalidParameter { .. })
        ));
        assert!(matches!(
            segment_moments(x.view(), &[0, -1], 2, &Interrupt::new()),
            Err(CoreError::InvalidParameter { .. })
        ));
        let empty = Array2::<f64>::zeros((0, 1));
        assert!(matches!(
            segment_moments(empty.view(), &[], 1, &Interrupt::new()),
            Err(CoreError::EmptyInput(_))
        ));
    }

    #[test]
    fn large_offset_keeps_precision() {
        // 1e9 + small values: naive sum of squares would cancel catastrophically.
        let vals = [1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0, 1e9 + 4.0];
        let x = Array2::from_shape_vec((4, 1), vals.to_vec()).unwrap();
        let s = segment_moments(x.view(), &[0, 0, 1, 1], 2, &Interrupt::new()).unwrap();
        assert!(close(s.variances[[0, 0]], 0.5));
        assert!(close(s.variances[[2, 0]], 5.0 / 3.0));
        assert!(close(s.rest_variances[[0, 0]], 0.5));
    }

    #[test]
    fn a_requested_stop_is_an_interruption() {
        let x = Array2::from_shape_fn((100, 3), |(i, j)| (i * j) as f64);
        let codes: Vec<i64> = (0..100).map(|i| i % 2).collect();
        let stop = Interrupt::new();
        stop.request();
        assert!(matches!(
            segment_moments(x.view(), &codes, 2, &stop),
            Err(CoreError::Interrupted)
        ));
        assert!(matches!(
            segment_partial_moments(x.view(), &codes, 2, &stop),
            Err(CoreError::Interrupted)
        ));
    }

    #[test]
    fn sizes_the_machine_cannot_hold_are_errors() {
        let x = array![[1.0, 2.0]];
        let stop = Interrupt::new();
        for n_groups in [usize::MAX, usize::MAX / 16] {
            match segment_moments(x.view(), &[0], n_groups, &stop) {
                Err(CoreError::Allocation { what, .. }) => assert_eq!(what, "segment offsets"),
                other => panic!("{other:?}"),
            }
            let partial = segment_partial_moments(x.view(), &[0], n_groups, &stop);
            assert!(
                matches!(partial, Err(CoreError::Allocation { .. })),
                "{partial:?}"
            );
        }
        // More segments than rows are allowed when they fit: (k + 1) x d tables.
        assert_eq!(
            segment_moments(x.view(), &[0], 1000, &stop)
                .unwrap()
                .counts
                .dim(),
            (1001, 2)
        );
    }
}
