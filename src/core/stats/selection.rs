//! Order statistics and numpy's linear quantiles, in memory and over partitions.
//!
//! * [`linear_plan`] and [`lerp`]: numpy's default (`method="linear"`) quantile, the two
//!   order statistics it reads and its interpolation, bit for bit (`np.percentile`,
//!   `np.nanmedian`, `np.quantile`): every quantile of the core goes through them.
//! * Exact order statistics of data split into partitions (Dask, Spark), without moving
//!   the data: a rank is searched for inside a bracket `[lo, hi]` of values. Each round,
//!   every partition reports for the bracket ([`bracket_partial`]) how many of its values
//!   lie below, on each end and strictly inside, plus either all of its inside values
//!   (when few) or evenly spaced order statistics of them (a summary whose ranks are
//!   known); [`bracket_step`] then either finds the value or narrows the bracket to two
//!   summary values guaranteed to enclose it. Each round shrinks the inside count by about
//!   `summary / 2`, so a few rounds find the exact value; ties are settled by the counts on
//!   the ends, so a round always makes progress.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::{CoreError, CoreResult};

/// numpy's 'linear' method for the quantile `q` in `[0, 1]` of `n >= 1` sorted values: the
/// ranks `(lo, hi)` it reads and the weight `gamma` of the upper one (virtual index
/// `(n - 1) q`).
pub fn linear_plan(n: usize, q: f64) -> (usize, usize, f64) {
    let virtual_index = (n - 1) as f64 * q;
    let previous = virtual_index.floor();
    let lo = (previous.max(0.0) as usize).min(n - 1);
    (lo, (lo + 1).min(n - 1), virtual_index - previous)
}

/// numpy's `_lerp` between two neighbours, bit for bit.
pub fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// A bracket of values of one column (within one group of rows, or all rows) that
/// contains the order statistic being searched for. Both ends are inclusive and may be
/// infinite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bracket {
    /// Column of the data.
    pub column: usize,
    /// Rows whose group code equals this (`-1`: every row).
    pub group: i64,
    /// Lower end.
    pub lo: f64,
    /// Upper end (`>= lo`).
    pub hi: f64,
}

impl Bracket {
    /// The whole range of a column: the first round's bracket.
    pub fn everything(column: usize, group: i64) -> Self {
        Bracket {
            column,
            group,
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
        }
    }
}

/// One partition's counts and values for one [`Bracket`] (NaN values are ignored).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BracketPart {
    /// Values `< lo`.
    pub below: u64,
    /// Values `== lo`.
    pub equal_lo: u64,
    /// Values `== hi` (0 when `lo == hi`).
    pub equal_hi: u64,
    /// Values strictly between `lo` and `hi`.
    pub inner: u64,
    /// Sorted: every inner value (when `inner <= max_values`), or a summary of them.
    pub values: Vec<f64>,
    /// Rank of each of `values` among the inner values (0-based, ascending).
    pub ranks: Vec<u64>,
}

impl BracketPart {
    /// Whether `values` holds every inner value.
    pub fn complete(&self) -> bool {
        self.values.len() as u64 == self.inner
    }

    /// Bounds on the number of inner values `< t` (`strict`) or `<= t`.
    fn count_bounds(&self, t: f64, strict: bool) -> (u64, u64) {
        let a = if strict {
            self.values.partition_point(|&v| v < t)
        } else {
            self.values.partition_point(|&v| v <= t)
        };
        // values[..a] pass, values[a..] do not; ranks are those of the full inner set.
        let lower = if a == 0 { 0 } else { self.ranks[a - 1] + 1 };
        let upper = if a == self.values.len() {
            self.inner
        } else {
            self.ranks[a]
        };
        (lower, upper)
    }
}

/// Order statistics of `values` at the ascending, distinct ranks `ranks` (0-based;
/// reorders `values`). Selects the middle rank first, then recurses into the two sides,
/// so every later selection searches only its own part of the data.
pub fn order_statistics(values: &mut [f64], ranks: &[usize]) -> Vec<f64> {
    fn go(values: &mut [f64], offset: usize, ranks: &[usize], out: &mut [f64]) {
        if ranks.is_empty() {
            return;
        }
        let mid = ranks.len() / 2;
        let k = ranks[mid] - offset;
        let (left, v, right) = values.select_nth_unstable_by(k, f64::total_cmp);
        out[mid] = *v;
        let (out_left, out_right) = out.split_at_mut(mid);
        go(left, offset, &ranks[..mid], out_left);
        go(
            right,
            offset + k + 1,
            &ranks[mid + 1..],
            &mut out_right[1..],
        );
    }
    let mut out = vec![f64::NAN; ranks.len()];
    go(values, 0, ranks, &mut out);
    out
}

/// Counts and values of one bracket over `column` (the rows of `group`).
fn one_bracket<I: Iterator<Item = f64>>(
    column: I,
    lo: f64,
    hi: f64,
    max_values: usize,
    summary: usize,
) -> BracketPart {
    let mut part = BracketPart::default();
    let mut inner = Vec::new();
    for v in column {
        if v.is_nan() {
            continue;
        }
        if v < lo {
            part.below += 1;
        } else if v == lo {
            part.equal_lo += 1;
        } else if v < hi {
            inner.push(v);
        } else if v == hi {
            part.equal_hi += 1;
        }
    }
    let m = inner.len();
    part.inner = m as u64;
    if m <= max_values {
        inner.sort_unstable_by(f64::total_cmp);
        part.ranks = (0..m as u64).collect();
        part.values = inner;
    } else {
        // `summary` evenly spaced ranks, the minimum and the maximum included.
        let s = summary.clamp(2, m);
        let mut ranks: Vec<usize> = (0..s).map(|i| i * (m - 1) / (s - 1)).collect();
        ranks.dedup();
        part.values = order_statistics(&mut inner, &ranks);
        part.ranks = ranks.iter().map(|&r| r as u64).collect();
    }
    part
}

/// One partition's [`BracketPart`] of every bracket (NaN ignored). `groups` holds a group
/// code per row when brackets select groups. A part returns all of its inner values when
/// there are at most `max_values`, else `summary` evenly spaced order statistics of them.
/// Brackets with the same column, group and ends are computed once.
pub fn bracket_partial(
    x: ArrayView2<'_, f64>,
    groups: Option<&[i64]>,
    brackets: &[Bracket],
    max_values: usize,
    summary: usize,
) -> CoreResult<Vec<BracketPart>> {
    let (n, d) = x.dim();
    if let Some(g) = groups {
        if g.len() != n {
            return Err(CoreError::ShapeMismatch {
                what: "group codes (one per row)",
                expected: n,
                got: g.len(),
            });
        }
    }
    if summary < 2 || max_values < summary {
        return Err(CoreError::InvalidParameter {
            name: "summary",
            reason: format!("need 2 <= summary <= max_values, got {summary} and {max_values}"),
        });
    }
    for b in brackets {
        if b.column >= d {
            return Err(CoreError::InvalidParameter {
                name: "brackets",
                reason: format!("column {} is outside 0..{d}", b.column),
            });
        }
        if b.group >= 0 && groups.is_none() {
            return Err(CoreError::InvalidParameter {
                name: "brackets",
                reason: "a bracket selects a group but no group codes were given".into(),
            });
        }
        if b.lo.is_nan() || b.hi.is_nan() || b.lo > b.hi {
            return Err(CoreError::InvalidParameter {
                name: "brackets",
                reason: format!("ends must satisfy lo <= hi, got [{}, {}]", b.lo, b.hi),
            });
        }
    }
    let key = |b: &Bracket| (b.column, b.group, b.lo.to_bits(), b.hi.to_bits());
    let mut distinct: Vec<Bracket> = Vec::new();
    let mut which: Vec<usize> = Vec::with_capacity(brackets.len());
    for b in brackets {
        match distinct.iter().position(|o| key(o) == key(b)) {
            Some(i) => which.push(i),
            None => {
                which.push(distinct.len());
                distinct.push(*b);
            }
        }
    }
    let parts: Vec<BracketPart> = distinct
        .par_iter()
        .map(|b| {
            let col = x.column(b.column);
            let values = col
                .iter()
                .enumerate()
                .filter(|(i, _)| b.group < 0 || groups.is_some_and(|g| g[*i] == b.group))
                .map(|(_, &v)| v);
            one_bracket(values, b.lo, b.hi, max_values, summary)
        })
        .collect();
    Ok(which.into_iter().map(|i| parts[i].clone()).collect())
}

/// What one round of the search found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// The order statistic.
    Found(f64),
    /// A narrower bracket that still contains it.
    Narrow {
        /// New lower end (a data value).
        lo: f64,
        /// New upper end (a data value).
        hi: f64,
    },
}

/// The next step of the search for the order statistic of 0-based `rank` (among all
/// non-NaN values of the bracket's rows, every partition together) from every
/// partition's [`BracketPart`] of the bracket `[lo, hi]`.
pub fn bracket_step(rank: u64, lo: f64, hi: f64, parts: &[BracketPart]) -> CoreResult<Step> {
    let sum = |f: fn(&BracketPart) -> u64| parts.iter().map(f).sum::<u64>();
    let (below, equal_lo, inner, equal_hi) = (
        sum(|p| p.below),
        sum(|p| p.equal_lo),
        sum(|p| p.inner),
        sum(|p| p.equal_hi),
    );
    let outside = || {
        CoreError::Internal(format!(
            "rank {rank} is not inside the bracket [{lo}, {hi}] ({below} values below, \
             {} inside)",
            equal_lo + inner + equal_hi
        ))
    };
    if rank < below {
        return Err(outside());
    }
    let r = rank - below;
    if r < equal_lo {
        return Ok(Step::Found(lo));
    }
    let r = r - equal_lo;
    if r >= inner {
        return if r - inner < equal_hi {
            Ok(Step::Found(hi))
        } else {
            Err(outside())
        };
    }
    if parts.iter().all(BracketPart::complete) {
        let mut all: Vec<f64> = parts
            .iter()
            .flat_map(|p| p.values.iter().copied())
            .collect();
        let v = order_statistics(&mut all, &[r as usize]);
        return Ok(Step::Found(v[0]));
    }
    // Candidate ends: every reported value, each with guaranteed bounds on the counts.
    let mut candidates: Vec<f64> = parts
        .iter()
        .flat_map(|p| p.values.iter().copied())
        .collect();
    candidates.sort_unstable_by(f64::total_cmp);
    candidates.dedup();
    // Largest t with (at most) r values < t: the value of rank r is >= t.
    let most_below = |t: f64| parts.iter().map(|p| p.count_bounds(t, true).1).sum::<u64>();
    let new_lo = candidates.partition_point(|&t| most_below(t) <= r);
    // Smallest t with (at least) r + 1 values <= t: the value of rank r is <= t.
    let least_upto = |t: f64| {
        parts
            .iter()
            .map(|p| p.count_bounds(t, false).0)
            .sum::<u64>()
    };
    let new_hi = candidates.partition_point(|&t| least_upto(t) < r + 1);
    let lo = if new_lo > 0 {
        candidates[new_lo - 1]
    } else {
        lo
    };
    let hi = candidates.get(new_hi).copied().unwrap_or(hi);
    Ok(Step::Narrow { lo, hi })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Search every rank of `column` over the given partitions, as a caller would.
    fn search(x: &Array2<f64>, cuts: &[usize], rank: u64, max_values: usize) -> (f64, usize) {
        let mut b = Bracket::everything(0, -1);
        for round in 1..100 {
            let parts: Vec<BracketPart> = cuts
                .windows(2)
                .map(|w| {
                    bracket_partial(
                        x.slice(ndarray::s![w[0]..w[1], ..]),
                        None,
                        &[b],
                        max_values,
                        4,
                    )
                    .unwrap()
                    .remove(0)
                })
                .collect();
            match bracket_step(rank, b.lo, b.hi, &parts).unwrap() {
                Step::Found(v) => return (v, round),
                Step::Narrow { lo, hi } => {
                    assert!(lo >= b.lo && hi <= b.hi && (lo, hi) != (b.lo, b.hi));
                    b.lo = lo;
                    b.hi = hi;
                }
            }
        }
        panic!("no progress")
    }

    #[test]
    fn exact_order_statistics_over_partitions() {
        // Many ties, a NaN, negative values, uneven partitions (one empty).
        let n = 3000;
        let mut values: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 613) as f64 / 7.0 - 20.0)
            .collect();
        values[17] = f64::NAN;
        for v in values.iter_mut().skip(100).take(400) {
            *v = 3.0;
        }
        let x = Array2::from_shape_vec((n, 1), values.clone()).unwrap();
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        for cuts in [vec![0, n], vec![0, 1000, 1000, 2500, n]] {
            for rank in [0u64, 1, 499, 1500, 2998] {
                for max_values in [4, 16, 10_000] {
                    let (v, _) = search(&x, &cuts, rank, max_values);
                    assert_eq!(v, sorted[rank as usize], "rank {rank}");
                }
            }
        }
    }

    #[test]
    fn all_equal_values_are_found_at_once() {
        let x = Array2::from_elem((500, 1), 2.5);
        let (v, rounds) = search(&x, &[0, 200, 500], 321, 4);
        assert_eq!(v, 2.5);
        assert!(rounds <= 3);
    }

    #[test]
    fn linear_plan_matches_numpy_rules() {
        assert_eq!(linear_plan(5, 0.5), (2, 3, 0.0));
        assert_eq!(linear_plan(4, 0.5), (1, 2, 0.5));
        assert_eq!(linear_plan(1, 0.25), (0, 0, 0.0));
        assert_eq!(lerp(1.0, 3.0, 0.5), 2.0);
    }

    #[test]
    fn groups_select_rows() {
        let x = Array2::from_shape_vec((6, 1), vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0]).unwrap();
        let g = [0i64, 1, 0, 1, 0, 1];
        let p = bracket_partial(x.view(), Some(&g), &[Bracket::everything(0, 1)], 8, 4).unwrap();
        assert_eq!(p[0].values, vec![10.0, 20.0, 30.0]);
        assert!(bracket_partial(x.view(), None, &[Bracket::everything(0, 1)], 8, 4).is_err());
    }
}
