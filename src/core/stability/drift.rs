//! Segments over time: label alignment (Hungarian assignment), migration, PSI.
//!
//! * [`linear_sum_assignment`]: the shortest-augmenting-path (Jonker-Volgenant / Crouse)
//!   solver with `scipy.optimize.linear_sum_assignment`'s semantics and tie-breaking.
//! * [`align_by_overlap`], [`align_by_centers`]: match a refit's segments to a reference.
//! * [`migration_counts`]: the (weighted) before x after table in O(n + k^2).
//! * [`psi_features`], [`psi_from_counts`], [`psi_critical_value`], [`chi2_isf`](crate::stats::special::chi2_isf): the
//!   population stability index with Yurdakul & Naranjo's chi-square critical values.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::numerics::try_with_capacity;
use crate::stats::contingency::Contingency;
use crate::stats::selection::{lerp, linear_plan};
use crate::stats::special::{chi2_isf, chi2_sf};
use crate::{CoreError, CoreResult, Interrupt};

/// Values binned between two checks for a requested stop (a few ms).
const CHECK_VALUES: usize = 1 << 18;

// ---------------------------------------------------------------------------------------
// Linear sum assignment
// ---------------------------------------------------------------------------------------

/// Minimum-cost (or maximum with `maximize`) complete matching of the smaller side of a
/// rectangular `cost` matrix, exactly as `scipy.optimize.linear_sum_assignment`: returns
/// `(row_ind, col_ind)` with `row_ind` sorted and `min(n_rows, n_cols)` pairs.
///
/// `+inf` (or `-inf` with `maximize`) marks a forbidden pair, as in scipy; NaN and the
/// other infinity are rejected with [`CoreError::NonFinite`]; a matrix whose forbidden
/// pairs leave no complete matching is rejected with [`CoreError::InvalidParameter`].
pub fn linear_sum_assignment(
    cost: ArrayView2<'_, f64>,
    maximize: bool,
) -> CoreResult<(Vec<usize>, Vec<usize>)> {
    let (nr0, nc0) = cost.dim();
    if nr0 == 0 || nc0 == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    // A tall matrix is transposed so that every row gets a column (scipy does the same).
    let transpose = nc0 < nr0;
    let (nr, nc) = if transpose { (nc0, nr0) } else { (nr0, nc0) };
    let mut c = vec![0.0; nr * nc];
    for ((i, j), &v) in cost.indexed_iter() {
        let (r, k) = if transpose { (j, i) } else { (i, j) };
        c[r * nc + k] = if maximize { -v } else { v };
    }
    let bad_nan = c.iter().filter(|v| v.is_nan()).count();
    let bad_inf = c.iter().filter(|&&v| v == f64::NEG_INFINITY).count();
    if bad_nan + bad_inf > 0 {
        let sign = if maximize { "+inf" } else { "-inf" };
        return Err(CoreError::NonFinite(format!(
            "cost matrix has {bad_nan} NaN and {bad_inf} {sign} entries (only {} marks a \
             forbidden pair)",
            if maximize { "-inf" } else { "+inf" }
        )));
    }

    let mut u = vec![0.0; nr];
    let mut v = vec![0.0; nc];
    let mut shortest = vec![f64::INFINITY; nc];
    let mut path = vec![usize::MAX; nc];
    let mut col4row = vec![usize::MAX; nr];
    let mut row4col = vec![usize::MAX; nc];
    let mut sr = vec![false; nr];
    let mut sc = vec![false; nc];
    let mut remaining = vec![0usize; nc];

    for cur_row in 0..nr {
        // Shortest augmenting path from `cur_row` (Dijkstra on reduced costs).
        let mut min_val = 0.0;
        let mut n_remaining = nc;
        for (it, r) in remaining.iter_mut().enumerate() {
            // Reverse order: a constant matrix gives the identity matching (scipy #11602).
            *r = nc - it - 1;
        }
        sr.iter_mut().for_each(|x| *x = false);
        sc.iter_mut().for_each(|x| *x = false);
        shortest.iter_mut().for_each(|x| *x = f64::INFINITY);
        let mut i = cur_row;
        let sink = loop {
            let mut index = usize::MAX;
            let mut lowest = f64::INFINITY;
            sr[i] = true;
            for (it, &j) in remaining[..n_remaining].iter().enumerate() {
                let r = min_val + c[i * nc + j] - u[i] - v[j];
                if r < shortest[j] {
                    path[j] = i;
                    shortest[j] = r;
                }
                // Among equal minima prefer a free column: it ends the path now.
                if shortest[j] < lowest || (shortest[j] == lowest && row4col[j] == usize::MAX) {
                    lowest = shortest[j];
                    index = it;
                }
            }
            min_val = lowest;
            if min_val == f64::INFINITY || index == usize::MAX {
                return Err(CoreError::InvalidParameter {
                    name: "cost",
                    reason: "cost matrix is infeasible: the forbidden (infinite) entries \
                             leave no complete matching"
                        .into(),
                });
            }
            let j = remaining[index];
            sc[j] = true;
            n_remaining -= 1;
            remaining[index] = remaining[n_remaining];
            if row4col[j] == usize::MAX {
                break j;
            }
            i = row4col[j];
        };

        // Update the dual variables.
        u[cur_row] += min_val;
        for r in 0..nr {
            if sr[r] && r != cur_row {
                u[r] += min_val - shortest[col4row[r]];
            }
        }
        for j in 0..nc {
            if sc[j] {
                v[j] -= min_val - shortest[j];
            }
        }
        // Augment along the path.
        let mut j = sink;
        loop {
            let r = path[j];
            row4col[j] = r;
            std::mem::swap(&mut col4row[r], &mut j);
            if r == cur_row {
                break;
            }
        }
    }

    if transpose {
        // Rows of the original are the columns here: sort the pairs by them.
        let mut pairs: Vec<(usize, usize)> = col4row
            .iter()
            .enumerate()
            .map(|(r, &col)| (col, r))
            .collect();
        pairs.sort_unstable();
        Ok(pairs.into_iter().unzip())
    } else {
        Ok(((0..nr).collect(), col4row))
    }
}

// ---------------------------------------------------------------------------------------
// Label alignment
// ---------------------------------------------------------------------------------------

/// Match the segments of `new` to those of `reference` (same customers, dense codes
/// `0..k`) by maximising the total overlap of the contingency table.
///
/// Returns, for every new code, the matched reference code (or -1 when unmatched: more
/// new than reference segments, or a matched pair that shares no customer), and the
/// dense `(k_new, k_ref)` overlap table in row-major order.
pub fn align_by_overlap(new: &[i64], reference: &[i64]) -> CoreResult<(Vec<i64>, Vec<u64>)> {
    if new.is_empty() {
        return Err(CoreError::EmptyInput(
            "no customer is labelled in both label vectors".into(),
        ));
    }
    let table = Contingency::from_labels(new, reference)?;
    let (k_new, k_ref) = (table.rows.len(), table.cols.len());
    let dense = table.dense();
    let cost = ArrayView2::from_shape((k_new, k_ref), &dense)
        .map_err(|e| CoreError::Internal(e.to_string()))?
        .mapv(|c| c as f64);
    let (rows, cols) = linear_sum_assignment(cost.view(), true)?;
    let mut mapping = vec![-1i64; k_new];
    for (r, c) in rows.into_iter().zip(cols) {
        if dense[r * k_ref + c] > 0 {
            mapping[r] = c as i64;
        }
    }
    Ok((mapping, dense))
}

/// Match new centres `(k_new, d)` to reference centres `(k_ref, d)` by minimising the sum
/// of Euclidean distances. Returns the matched reference row of every new row (-1 when
/// `k_new > k_ref` leaves it unmatched) and the `(k_new, k_ref)` distance matrix.
pub fn align_by_centers(
    new: ArrayView2<'_, f64>,
    reference: ArrayView2<'_, f64>,
) -> CoreResult<(Vec<i64>, Vec<f64>)> {
    if new.ncols() != reference.ncols() {
        return Err(CoreError::ShapeMismatch {
            what: "number of features of the new centres (reference centres' count)",
            expected: reference.ncols(),
            got: new.ncols(),
        });
    }
    if new.nrows() == 0 || reference.nrows() == 0 || new.ncols() == 0 {
        return Err(CoreError::EmptyInput("no centres to align".into()));
    }
    if new.iter().chain(reference.iter()).any(|v| !v.is_finite()) {
        return Err(CoreError::NonFinite(
            "centres contain NaN or infinity".into(),
        ));
    }
    let (k_new, k_ref) = (new.nrows(), reference.nrows());
    let mut dist = vec![0.0; k_new * k_ref];
    for (i, a) in new.outer_iter().enumerate() {
        for (j, b) in reference.outer_iter().enumerate() {
            let d2: f64 = a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum();
            dist[i * k_ref + j] = d2.sqrt();
        }
    }
    if dist.iter().any(|v| !v.is_finite()) {
        return Err(CoreError::NonFinite(
            "distances between centres overflowed; rescale the features".into(),
        ));
    }
    let cost = ArrayView2::from_shape((k_new, k_ref), &dist)
        .map_err(|e| CoreError::Internal(e.to_string()))?;
    Ok((align_by_cost(cost)?, dist))
}

/// Match new segments (rows of `cost`) to reference segments (columns) by minimising the
/// total cost (e.g. a clustering's own cost between prototypes). Returns the matched
/// reference column of every row, -1 when there are more rows than columns.
pub fn align_by_cost(cost: ArrayView2<'_, f64>) -> CoreResult<Vec<i64>> {
    if cost.nrows() == 0 || cost.ncols() == 0 {
        return Err(CoreError::EmptyInput("no segments to align".into()));
    }
    let (rows, cols) = linear_sum_assignment(cost, false)?;
    let mut mapping = vec![-1i64; cost.nrows()];
    for (r, c) in rows.into_iter().zip(cols) {
        mapping[r] = c as i64;
    }
    Ok(mapping)
}

// ---------------------------------------------------------------------------------------
// Migration
// ---------------------------------------------------------------------------------------

fn check_codes(codes: &[i64], k: usize, what: &'static str) -> CoreResult<()> {
    if let Some(&bad) = codes.iter().find(|&&c| c < 0 || c as u64 >= k as u64) {
        return Err(CoreError::InvalidParameter {
            name: what,
            reason: format!("codes must be in 0..{k}, got {bad}"),
        });
    }
    Ok(())
}

/// The `(k_before, k_after)` migration table in row-major order: how many customers (or
/// how much weight) went from each `before` state to each `after` state. O(n + k^2).
///
/// Unweighted counts come from the agreement core's [`Contingency`]; weights (finite,
/// non-negative) are summed directly.
pub fn migration_counts(
    before: &[i64],
    after: &[i64],
    k_before: usize,
    k_after: usize,
    weights: Option<&[f64]>,
) -> CoreResult<Vec<f64>> {
    if before.len() != after.len() {
        return Err(CoreError::ShapeMismatch {
            what: "labels_after (one label per entry of labels_before)",
            expected: before.len(),
            got: after.len(),
        });
    }
    check_codes(before, k_before, "labels_before")?;
    check_codes(after, k_after, "labels_after")?;
    let mut out = vec![0.0; k_before * k_after];
    if let Some(w) = weights {
        crate::error::check_weights(Some(w), before.len())?;
        for ((&b, &a), &wi) in before.iter().zip(after).zip(w) {
            out[b as usize * k_after + a as usize] += wi;
        }
        return Ok(out);
    }
    if before.is_empty() {
        return Ok(out);
    }
    // The contingency core numbers the labels present in sorted order; map them back.
    let present = |codes: &[i64], k: usize| -> Vec<usize> {
        let mut seen = vec![false; k];
        codes.iter().for_each(|&c| seen[c as usize] = true);
        (0..k).filter(|&c| seen[c]).collect()
    };
    let (rows, cols) = (present(before, k_before), present(after, k_after));
    let table = Contingency::from_labels(before, after)?;
    for &(i, j, n) in &table.cells {
        out[rows[i as usize] * k_after + cols[j as usize]] = n as f64;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Population stability index
// ---------------------------------------------------------------------------------------

/// Yurdakul & Naranjo's critical value of the PSI at level `alpha` for `n_bins` bins and
/// samples of `n_ref` and `n_cur`: `chi2.isf(alpha, B - 1) * (1/N + 1/M)`. NaN for one bin.
pub fn psi_critical_value(n_ref: f64, n_cur: f64, n_bins: usize, alpha: f64) -> f64 {
    if n_bins < 2 || n_ref <= 0.0 || n_cur <= 0.0 {
        return f64::NAN;
    }
    chi2_isf(alpha, (n_bins - 1) as f64) * (1.0 / n_ref + 1.0 / n_cur)
}

/// p-value of a PSI under "no shift": `P(chi2(B - 1) > psi / (1/N + 1/M))`; NaN for one bin.
pub fn psi_p_value(psi: f64, n_ref: f64, n_cur: f64, n_bins: usize) -> f64 {
    if n_bins < 2 || n_ref <= 0.0 || n_cur <= 0.0 {
        return f64::NAN;
    }
    chi2_sf(psi / (1.0 / n_ref + 1.0 / n_cur), (n_bins - 1) as f64)
}

/// PSI of two count vectors over the same bins: `sum (a - e) ln(a / e)` with `e` the
/// reference share and `a` the current share. A share that is exactly zero is replaced by
/// `epsilon` (the other shares are left as they are). Returns the PSI, the per-bin terms
/// and the number of bins where `epsilon` was used.
pub fn psi_from_counts(
    reference: &[f64],
    current: &[f64],
    epsilon: f64,
) -> CoreResult<(f64, Vec<f64>, usize)> {
    if reference.len() != current.len() {
        return Err(CoreError::ShapeMismatch {
            what: "current counts (one per reference bin)",
            expected: reference.len(),
            got: current.len(),
        });
    }
    if !(epsilon > 0.0 && epsilon < 1.0) {
        return Err(CoreError::InvalidParameter {
            name: "epsilon",
            reason: format!("must be in (0, 1), got {epsilon}"),
        });
    }
    if reference
        .iter()
        .chain(current)
        .any(|&c| !c.is_finite() || c < 0.0)
    {
        return Err(CoreError::InvalidParameter {
            name: "counts",
            reason: "counts must be finite and >= 0".into(),
        });
    }
    let (tr, tc): (f64, f64) = (reference.iter().sum(), current.iter().sum());
    if tr <= 0.0 || tc <= 0.0 {
        return Err(CoreError::EmptyInput(
            "the reference or the current sample is empty".into(),
        ));
    }
    let mut n_eps = 0usize;
    let terms: Vec<f64> = reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| {
            let (mut e, mut a) = (r / tr, c / tc);
            if e == 0.0 && a == 0.0 {
                return 0.0;
            }
            if e == 0.0 {
                e = epsilon;
                n_eps += 1;
            }
            if a == 0.0 {
                a = epsilon;
                n_eps += 1;
            }
            (a - e) * (a / e).ln()
        })
        .collect();
    Ok((terms.iter().sum(), terms, n_eps))
}

/// Bins and counts of one feature.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureBins {
    /// Inner bin edges (sorted, distinct, below the reference maximum); the bins are
    /// `(-inf, e0], (e0, e1], ..., (e_last, +inf)`, right-closed like `pandas.cut`.
    pub edges: Vec<f64>,
    /// Reference count per value bin (`edges.len() + 1` entries).
    pub reference: Vec<u64>,
    /// Current count per value bin.
    pub current: Vec<u64>,
    /// NaN values in the reference (the "missing" bin).
    pub reference_missing: u64,
    /// NaN values in the current sample.
    pub current_missing: u64,
}

/// Place the order statistics `ks` (sorted, distinct indices) of `v` at their sorted
/// positions, like a sort would, by recursive selection.
fn select_many(v: &mut [f64], ks: &[usize], stop: &Interrupt) -> CoreResult<()> {
    if ks.is_empty() || v.len() <= 1 {
        return Ok(());
    }
    stop.check()?;
    let mid = ks.len() / 2;
    let k = ks[mid];
    v.select_nth_unstable_by(k, f64::total_cmp);
    let (left, rest) = v.split_at_mut(k);
    select_many(left, &ks[..mid], stop)?;
    let right_ks: Vec<usize> = ks[mid + 1..].iter().map(|&x| x - k - 1).collect();
    select_many(&mut rest[1..], &right_ks, stop)
}

/// The quantiles `i / n_bins` (`i = 1..n_bins`) the bins are made from, as the pairs of
/// ranks among the `n` non-NaN reference values each one reads (numpy's linear method),
/// plus the maximum's rank: what a caller with the data in partitions searches for.
/// The buffer is sized by `n_bins` (a parameter): reserved fallibly, an
/// [`CoreError::Allocation`] rather than an abort when it is huge.
pub fn edge_ranks(n: usize, n_bins: usize) -> CoreResult<Vec<usize>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut ks: Vec<usize> = try_with_capacity(
        n_bins.saturating_sub(1).saturating_mul(2).saturating_add(1),
        "the order statistics",
    )?;
    ks.extend(
        (1..n_bins)
            .flat_map(|i| {
                let (lo, hi, _) = linear_plan(n, i as f64 / n_bins as f64);
                [lo, hi]
            })
            .chain(std::iter::once(n - 1)),
    );
    ks.sort_unstable();
    ks.dedup();
    Ok(ks)
}

/// The inner bin edges from the reference's order statistics: `order(rank)` is the value
/// of that rank among the `n` non-NaN values, for the ranks of [`edge_ranks`]. Quantiles
/// `i / n_bins`, duplicates removed, edges at or above the maximum dropped (the top bin is
/// open, so a bin beyond the maximum would always be empty in the reference). The
/// `n_bins`-sized buffer is reserved fallibly ([`CoreError::Allocation`]).
pub fn quantile_edges(
    n: usize,
    n_bins: usize,
    order: impl Fn(usize) -> f64,
) -> CoreResult<Vec<f64>> {
    let mut edges: Vec<f64> = try_with_capacity(n_bins.saturating_sub(1), "the bin edges")?;
    if n == 0 {
        return Ok(edges);
    }
    let max = order(n - 1);
    for i in 1..n_bins {
        let (lo, hi, t) = linear_plan(n, i as f64 / n_bins as f64);
        let e = lerp(order(lo), order(hi), t);
        if e < max && edges.last().is_none_or(|&last| e > last) {
            edges.push(e);
        }
    }
    Ok(edges)
}

/// Counts of `values` in the right-closed bins of `edges` (`(-inf, e0], (e0, e1], ...,
/// (e_last, +inf)`, a value on an edge goes left, as `pandas.cut`) and the number of NaN:
/// the partial statistic of one chunk of data, added across chunks. Infinities are
/// rejected. A stop requested through `stop` is seen every [`CHECK_VALUES`] values.
pub fn bin_counts(values: &[f64], edges: &[f64], stop: &Interrupt) -> CoreResult<(Vec<u64>, u64)> {
    if values.iter().any(|v| v.is_infinite()) {
        return Err(CoreError::NonFinite(
            "feature values contain infinity".into(),
        ));
    }
    if edges.iter().any(|e| !e.is_finite()) || edges.windows(2).any(|w| w[0] >= w[1]) {
        return Err(CoreError::InvalidParameter {
            name: "edges",
            reason: "bin edges must be finite and strictly increasing".into(),
        });
    }
    let mut counts = vec![0u64; edges.len() + 1];
    let mut missing = 0u64;
    for chunk in values.chunks(CHECK_VALUES) {
        stop.check()?;
        for &x in chunk {
            if x.is_nan() {
                missing += 1;
            } else {
                // Right-closed bins: bin index = number of edges strictly below the value.
                counts[edges.partition_point(|&e| e < x)] += 1;
            }
        }
    }
    Ok((counts, missing))
}

/// Decile-style bins from the reference's quantiles `i / n_bins` (numpy's linear method),
/// duplicate edges removed and edges at or above the reference maximum dropped (the top
/// bin is open, so a bin beyond the maximum would always be empty in the reference).
/// NaN values go to a separate count; infinities are rejected.
pub fn feature_bins(
    reference: &[f64],
    current: &[f64],
    n_bins: usize,
    stop: &Interrupt,
) -> CoreResult<FeatureBins> {
    if reference.iter().chain(current).any(|v| v.is_infinite()) {
        return Err(CoreError::NonFinite(
            "feature values contain infinity".into(),
        ));
    }
    let mut values: Vec<f64> = reference.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = values.len();
    // Only the order statistics the quantiles read (and the maximum) are needed: a
    // multi-select costs O(n log q) instead of a full sort's O(n log n).
    // Buffers sized by `n_bins` (a parameter) are reserved fallibly: an error rather than
    // an abort when it is huge. The edges' own reservation comes first, so a huge `n_bins`
    // is reported as "the bin edges" before any work.
    drop(try_with_capacity::<f64>(
        n_bins.saturating_sub(1),
        "the bin edges",
    )?);
    select_many(&mut values, &edge_ranks(n, n_bins)?, stop)?;
    let edges = quantile_edges(n, n_bins, |k| values[k])?;
    let (reference_counts, reference_missing) = bin_counts(reference, &edges, stop)?;
    let (current_counts, current_missing) = bin_counts(current, &edges, stop)?;
    Ok(FeatureBins {
        edges,
        reference: reference_counts,
        current: current_counts,
        reference_missing,
        current_missing,
    })
}

/// Bins for the columns `columns` (all when `None`) of `reference` `(N, d)` and `current`
/// `(M, d)`, in parallel over the features (each feature is independent, so the result
/// does not depend on the number of threads). A stop requested through `stop` ends the
/// work within a few milliseconds ([`CoreError::Interrupted`]).
pub fn psi_features(
    reference: ArrayView2<'_, f64>,
    current: ArrayView2<'_, f64>,
    n_bins: usize,
    columns: Option<std::ops::Range<usize>>,
    stop: &Interrupt,
) -> CoreResult<Vec<FeatureBins>> {
    if reference.ncols() != current.ncols() {
        return Err(CoreError::ShapeMismatch {
            what: "number of features of current (reference's count)",
            expected: reference.ncols(),
            got: current.ncols(),
        });
    }
    if reference.nrows() == 0 || current.nrows() == 0 {
        return Err(CoreError::EmptyInput(format!(
            "reference has {} rows and current has {}; both need at least one",
            reference.nrows(),
            current.nrows()
        )));
    }
    if n_bins < 2 {
        return Err(CoreError::InvalidParameter {
            name: "bins",
            reason: format!("must be >= 2, got {n_bins}"),
        });
    }
    let columns = columns.unwrap_or(0..reference.ncols());
    if columns.end > reference.ncols() || columns.start > columns.end {
        return Err(CoreError::InvalidParameter {
            name: "columns",
            reason: format!(
                "range {}..{} is outside 0..{}",
                columns.start,
                columns.end,
                reference.ncols()
            ),
        });
    }
    columns
        .into_par_iter()
        .map(|j| {
            stop.check()?;
            let r: Vec<f64> = reference.column(j).to_vec();
            let c: Vec<f64> = current.column(j).to_vec();
            feature_bins(&r, &c, n_bins, stop)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn total(cost: &ndarray::Array2<f64>, r: &[usize], c: &[usize]) -> f64 {
        r.iter().zip(c).map(|(&i, &j)| cost[[i, j]]).sum()
    }

    #[test]
    fn lsa_square_known() {
        // scipy's docstring example: optimum 5 with rows [0,1,2] -> cols [1,0,2].
        let cost = array![[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]];
        let (r, c) = linear_sum_assignment(cost.view(), false).unwrap();
        assert_eq!(r, vec![0, 1, 2]);
        assert_eq!(c, vec![1, 0, 2]);
        assert_eq!(total(&cost, &r, &c), 5.0);
    }

    #[test]
    fn lsa_rectangular_and_brute_force() {
        // Tall matrix: every column gets a row; compare with all permutations.
        let cost = array![[7.0, 2.0], [1.0, 9.0], [3.0, 1.0], [4.0, 4.0]];
        let (r, c) = linear_sum_assignment(cost.view(), false).unwrap();
        assert_eq!(r.len(), 2);
        assert!(r.windows(2).all(|w| w[0] < w[1]));
        let mut best = f64::INFINITY;
        for a in 0..4 {
            for b in 0..4 {
                if a != b {
                    best = best.min(cost[[a, 0]] + cost[[b, 1]]);
                }
            }
        }
        assert_eq!(total(&cost, &r, &c), best);
        let (r, c) = linear_sum_assignment(cost.view(), true).unwrap();
        assert_eq!(total(&cost, &r, &c), 9.0 + 7.0);
    }

    #[test]
    fn lsa_constant_is_identity_and_errors() {
        let cost = ndarray::Array2::<f64>::ones((3, 3));
        let (_, c) = linear_sum_assignment(cost.view(), false).unwrap();
        assert_eq!(c, vec![0, 1, 2]);
        let bad = array![[f64::NAN, 1.0]];
        assert!(matches!(
            linear_sum_assignment(bad.view(), false),
            Err(CoreError::NonFinite(_))
        ));
        let infeasible = array![[f64::INFINITY, f64::INFINITY], [1.0, 2.0]];
        assert!(matches!(
            linear_sum_assignment(infeasible.view(), false),
            Err(CoreError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn cost_alignment_matches_rows_and_leaves_extra_rows_unmatched() {
        // 3 new segments, 2 reference ones: the optimum 1 + 1 leaves row 2 out.
        let cost = array![[5.0, 1.0], [1.0, 6.0], [2.0, 2.0]];
        assert_eq!(align_by_cost(cost.view()).unwrap(), vec![1, 0, -1]);
        let empty = ndarray::Array2::<f64>::zeros((0, 2));
        assert!(matches!(
            align_by_cost(empty.view()),
            Err(CoreError::EmptyInput(_))
        ));
    }

    #[test]
    fn overlap_alignment_swaps_ids() {
        let reference = [0, 0, 0, 1, 1, 2, 2];
        let new = [1, 1, 1, 2, 2, 0, 0];
        let (m, _) = align_by_overlap(&new, &reference).unwrap();
        assert_eq!(m, vec![2, 0, 1]);
    }

    #[test]
    fn migration_counts_weighted_and_not() {
        let before = [0, 0, 1, 2];
        let after = [0, 1, 1, 1];
        let c = migration_counts(&before, &after, 4, 3, None).unwrap();
        assert_eq!(
            c,
            vec![1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
        );
        let w = migration_counts(&before, &after, 4, 3, Some(&[2.0, 1.0, 1.0, 0.5])).unwrap();
        assert_eq!(w[0], 2.0);
        assert_eq!(w[2 * 3 + 1], 0.5);
        assert!(migration_counts(&before, &after[..3], 4, 3, None).is_err());
    }

    #[test]
    fn psi_by_hand() {
        // shares e = (.5, .5), a = (.25, .75)
        let (psi, _, n_eps) = psi_from_counts(&[2.0, 2.0], &[1.0, 3.0], 1e-4).unwrap();
        let want = (0.25f64 - 0.5) * (0.5f64).ln() + (0.75f64 - 0.5) * (1.5f64).ln();
        assert!((psi - want).abs() < 1e-15);
        assert_eq!(n_eps, 0);
    }

    #[test]
    fn multi_select_matches_sort() {
        let mut v: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1009) as f64 * 0.5)
            .collect();
        let mut sorted = v.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let ks = [0, 1, 99, 100, 500, 998, 999];
        select_many(&mut v, &ks, &Interrupt::new()).unwrap();
        for &k in &ks {
            assert_eq!(v[k], sorted[k]);
        }
    }

    #[test]
    fn constant_feature_has_one_bin() {
        let b = feature_bins(&[3.0; 10], &[1.0, 5.0, f64::NAN], 10, &Interrupt::new()).unwrap();
        assert!(b.edges.is_empty());
        assert_eq!(b.reference, vec![10]);
        assert_eq!(b.current, vec![2]);
        assert_eq!(b.current_missing, 1);
    }

    #[test]
    fn bins_beyond_memory_are_an_error_not_an_abort() {
        match feature_bins(&[1.0, 2.0], &[1.0], usize::MAX / 4, &Interrupt::new()) {
            Err(CoreError::Allocation { what, .. }) => assert_eq!(what, "the bin edges"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_requested_stop_is_an_interruption() {
        let x = ndarray::Array2::from_shape_fn((100, 2), |(i, j)| (i + j) as f64);
        let stop = Interrupt::new();
        stop.request();
        assert!(matches!(
            psi_features(x.view(), x.view(), 10, None, &stop),
            Err(CoreError::Interrupted)
        ));
        assert_eq!(
            bin_counts(&[1.0, 2.0], &[1.5], &stop),
            Err(CoreError::Interrupted)
        );
    }
}
