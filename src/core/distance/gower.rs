//! Gower's distance between the rows of two mixed tables, as R's
//! `cluster::daisy(x, metric = "gower")` computes it (Gower 1971; Kaufman & Rousseeuw
//! 1990, ch. 1).
//!
//! For rows `i` and `j`, with column weights `w_f`:
//!
//! ```text
//! d(i, j) = sum_f w_f delta_ijf d_ijf / sum_f w_f delta_ijf
//! ```
//!
//! * numeric column: `d_ijf = |x_if - x_jf| / R_f`, with `R_f` the column's range (a
//!   constant column has `R_f = 0`, read as 1 as daisy does, so it adds 0);
//! * ordinal column (an ordered categorical): the levels' ranks are treated as numbers,
//!   `|r_if - r_jf| / (range of the ranks)`; the caller passes the ranks already scaled;
//! * nominal column: `d_ijf = 0` when the levels match, 1 otherwise;
//! * `delta_ijf = 0` when either value is missing (NaN, or the code
//!   [`MISSING`](crate::mixed::MISSING)), else 1: the pair is compared on the columns both
//!   rows have, and the weights are renormalised. A pair with no such column has no
//!   distance (NaN; daisy's `NA`), unless the caller gives it one
//!   ([`GowerParams::undefined`]).
//!
//! Numeric and ordinal terms are capped at 1: they only exceed 1 for rows outside the
//! range the scales were taken from (new customers scored against a fitted model). A
//! level `fit` never saw ([`UNSEEN`](crate::mixed::UNSEEN)) is at distance 1 from every
//! level. Columns of weight 0 are left out.
//!
//! Each distance sums its columns in a fixed order (numeric, ordinal, nominal) and is
//! computed on its own, so the matrix is exactly symmetric and the same on any number of
//! threads.

use super::{Pairwise, TILE};
use crate::mixed::{MixedView, MISSING, UNSEEN};
use crate::numerics::simd;
use crate::params::{invalid, Checked, Params};
use crate::{CoreError, CoreResult};

/// The scales and weights of a Gower distance: everything but the rows. [`Params::check`]
/// checks the values; their lengths are checked against the tables by [`Gower::new`].
#[derive(Debug, Clone, Copy)]
pub struct GowerParams<'a> {
    /// Origin of each numeric column (its minimum), one per numeric column.
    pub numeric_min: &'a [f64],
    /// Range of each numeric column (>= 0; 0 is read as 1).
    pub numeric_range: &'a [f64],
    /// Which categorical columns are ordinal, one per categorical column.
    pub ordinal: &'a [bool],
    /// Scaled rank of every level of every categorical column, the columns' levels one
    /// after the other (`sum(n_levels)` values); read for ordinal columns only.
    pub level_rank: &'a [f64],
    /// Weight of each column, the numeric columns first, then the categorical ones (>= 0,
    /// finite, not all 0).
    pub weights: &'a [f64],
    /// The distance of a pair with no column observed in both: NaN (daisy's `NA`), or a
    /// value in `[0, 1]` chosen by the caller (k-medoids takes 1, the largest).
    pub undefined: f64,
}

/// Value of an unseen ordinal level: far from every scaled rank in `[0, 1]` (and from the
/// other side's sentinel), so the capped term is 1.
const UNSEEN_RANK: [f64; 2] = [4.0, -4.0];
/// Code of an unseen nominal level on each side: matches nothing, not even the other side.
const UNSEEN_CODE: [f64; 2] = [-2.0, -3.0];

/// One table prepared for the kernel: scaled numeric and ordinal values and nominal codes
/// as `f64` (NaN = missing), row-major (left) or column-major (right).
struct Side {
    n: usize,
    /// Numeric then ordinal columns, scaled.
    values: Vec<f64>,
    /// Nominal columns' level codes.
    codes: Vec<f64>,
    /// Per row: any missing value among the kept columns.
    row_missing: Vec<bool>,
}

/// The kept columns: which numeric columns, ordinal and nominal categorical columns, and
/// their weights in kernel order.
struct Columns {
    numeric: Vec<usize>,
    ordinal: Vec<usize>,
    nominal: Vec<usize>,
    /// Weights of `numeric` then `ordinal` columns.
    value_weights: Vec<f64>,
    /// Weights of `nominal` columns.
    code_weights: Vec<f64>,
    /// Offset of each categorical column's levels in `level_rank`.
    level_offset: Vec<usize>,
}

/// Gower's distance between the rows of a left and a right table (see the module docs).
pub struct Gower {
    left: Side,
    right: Side,
    /// `right.row_missing.any()`.
    right_missing: bool,
    n_values: usize,
    n_codes: usize,
    value_weights: Vec<f64>,
    code_weights: Vec<f64>,
    total_weight: f64,
    undefined: f64,
}

impl Params for GowerParams<'_> {
    fn validate(&self) -> CoreResult<()> {
        for (&lo, &r) in self.numeric_min.iter().zip(self.numeric_range) {
            if !lo.is_finite() || !r.is_finite() || r < 0.0 {
                return Err(invalid(
                    "numeric_range",
                    format!("column origins and ranges must be finite and ranges >= 0, got origin {lo} and range {r}"),
                ));
            }
        }
        if !(self.undefined.is_nan() || (0.0..=1.0).contains(&self.undefined)) {
            return Err(invalid(
                "undefined",
                format!("must be NaN or in [0, 1], got {}", self.undefined),
            ));
        }
        if self.level_rank.iter().any(|r| !r.is_finite()) {
            return Err(invalid("level_rank", "level ranks must be finite"));
        }
        let mut total = 0.0;
        for &w in self.weights {
            if !w.is_finite() || w < 0.0 {
                return Err(invalid(
                    "weights",
                    format!("column weights must be finite and >= 0, got {w}"),
                ));
            }
            total += w;
        }
        if total <= 0.0 {
            return Err(invalid("weights", "at least one column weight must be > 0"));
        }
        Ok(())
    }
}

impl Columns {
    fn new(view: &MixedView<'_>, params: &GowerParams<'_>) -> CoreResult<Self> {
        let p_num = view.numeric().ncols();
        let p_cat = view.categorical().ncols();
        let n_levels = view.n_levels();
        let expect = |name: &'static str, got: usize, want: usize| {
            if got == want {
                Ok(())
            } else {
                Err(CoreError::ShapeMismatch {
                    what: name,
                    expected: want,
                    got,
                })
            }
        };
        expect("numeric_min", params.numeric_min.len(), p_num)?;
        expect("numeric_range", params.numeric_range.len(), p_num)?;
        expect("ordinal", params.ordinal.len(), p_cat)?;
        expect("weights", params.weights.len(), p_num + p_cat)?;
        let total_levels = n_levels.iter().try_fold(0usize, |a, &b| a.checked_add(b));
        expect(
            "level_rank",
            params.level_rank.len(),
            total_levels.unwrap_or(usize::MAX),
        )?;
        let mut level_offset = Vec::with_capacity(p_cat);
        let mut off = 0usize;
        for &l in n_levels {
            level_offset.push(off);
            off += l;
        }
        let w = params.weights;
        let numeric: Vec<usize> = (0..p_num).filter(|&f| w[f] > 0.0).collect();
        let kept_cat = |want_ordinal: bool| -> Vec<usize> {
            (0..p_cat)
                .filter(|&g| w[p_num + g] > 0.0 && params.ordinal[g] == want_ordinal)
                .collect()
        };
        let ordinal = kept_cat(true);
        let nominal = kept_cat(false);
        let value_weights = numeric
            .iter()
            .map(|&f| w[f])
            .chain(ordinal.iter().map(|&g| w[p_num + g]))
            .collect();
        let code_weights = nominal.iter().map(|&g| w[p_num + g]).collect();
        Ok(Self {
            numeric,
            ordinal,
            nominal,
            value_weights,
            code_weights,
            level_offset,
        })
    }

    /// Prepare `view`: `side` 0 (left, row-major) or 1 (right, column-major).
    fn side(&self, view: &MixedView<'_>, params: &GowerParams<'_>, side: usize) -> Side {
        let n = view.n_rows();
        let num = view.numeric();
        let cat = view.categorical();
        let q = self.numeric.len() + self.ordinal.len();
        let c = self.nominal.len();
        let mut values = vec![0.0; n * q];
        let mut codes = vec![0.0; n * c];
        let mut row_missing = vec![false; n];
        let at = |i: usize, f: usize, width: usize| {
            if side == 0 {
                i * width + f
            } else {
                f * n + i
            }
        };
        for i in 0..n {
            let mut missing = false;
            for (f, &col) in self.numeric.iter().enumerate() {
                let x = num[[i, col]];
                let range = params.numeric_range[col];
                let scale = if range > 0.0 { range } else { 1.0 };
                missing |= x.is_nan();
                values[at(i, f, q)] = (x - params.numeric_min[col]) / scale;
            }
            for (t, &g) in self.ordinal.iter().enumerate() {
                let code = cat[[i, g]];
                let v = match code {
                    MISSING => f64::NAN,
                    UNSEEN => UNSEEN_RANK[side],
                    // Codes were checked to be < n_levels by MixedView.
                    _ => params.level_rank[self.level_offset[g] + code as usize],
                };
                missing |= v.is_nan();
                values[at(i, self.numeric.len() + t, q)] = v;
            }
            for (t, &g) in self.nominal.iter().enumerate() {
                let v = match cat[[i, g]] {
                    MISSING => f64::NAN,
                    UNSEEN => UNSEEN_CODE[side],
                    code => f64::from(code),
                };
                missing |= v.is_nan();
                codes[at(i, t, c)] = v;
            }
            row_missing[i] = missing;
        }
        Side {
            n,
            values,
            codes,
            row_missing,
        }
    }
}

impl Gower {
    /// Gower distances between the rows of `left` and `right`, two tables with the same
    /// columns (the same numeric columns, and categorical columns coded against the same
    /// levels), under the checked scales and weights `params`.
    pub fn new(
        left: &MixedView<'_>,
        right: &MixedView<'_>,
        params: &Checked<GowerParams<'_>>,
    ) -> CoreResult<Self> {
        let params: &GowerParams<'_> = params;
        if left.numeric().ncols() != right.numeric().ncols() {
            return Err(CoreError::ShapeMismatch {
                what: "numeric columns of the right table",
                expected: left.numeric().ncols(),
                got: right.numeric().ncols(),
            });
        }
        if left.n_levels() != right.n_levels() {
            return Err(invalid(
                "categorical",
                "both tables must have the same categorical columns and levels",
            ));
        }
        if left
            .numeric()
            .iter()
            .chain(right.numeric().iter())
            .any(|v| v.is_infinite())
        {
            return Err(CoreError::NonFinite(
                "Gower distances allow NaN (missing) but not infinity".into(),
            ));
        }
        let cols = Columns::new(left, params)?;
        let total_weight = cols.value_weights.iter().chain(&cols.code_weights).sum();
        let left_side = cols.side(left, params, 0);
        let right_side = cols.side(right, params, 1);
        Ok(Self {
            right_missing: right_side.row_missing.iter().any(|&m| m),
            left: left_side,
            right: right_side,
            n_values: cols.value_weights.len(),
            n_codes: cols.code_weights.len(),
            value_weights: cols.value_weights,
            code_weights: cols.code_weights,
            total_weight,
            undefined: params.undefined,
        })
    }

    /// Rows with no missing value on either side: one denominator for every pair.
    #[inline(always)]
    fn complete_tile(&self, a: &[f64], ac: &[f64], j0: usize, out: &mut [f64]) {
        let (m, width) = (self.right.n, out.len());
        out.fill(0.0);
        for (f, (&x, &w)) in a.iter().zip(&self.value_weights).enumerate() {
            let col = &self.right.values[f * m + j0..f * m + j0 + width];
            for (o, &b) in out.iter_mut().zip(col) {
                let t = (x - b).abs();
                *o += w * if t < 1.0 { t } else { 1.0 };
            }
        }
        for (g, (&x, &w)) in ac.iter().zip(&self.code_weights).enumerate() {
            let col = &self.right.codes[g * m + j0..g * m + j0 + width];
            for (o, &b) in out.iter_mut().zip(col) {
                *o += if b != x { w } else { 0.0 };
            }
        }
        let total = self.total_weight;
        for o in out.iter_mut() {
            *o /= total;
        }
    }

    /// Pairs that may miss values: each pair has its own denominator.
    #[inline(always)]
    fn missing_tile(&self, a: &[f64], ac: &[f64], j0: usize, out: &mut [f64]) {
        let (m, width) = (self.right.n, out.len());
        let mut den_buf = [0.0f64; TILE];
        let den = &mut den_buf[..width];
        out.fill(0.0);
        for (f, (&x, &w)) in a.iter().zip(&self.value_weights).enumerate() {
            if x.is_nan() {
                continue;
            }
            let col = &self.right.values[f * m + j0..f * m + j0 + width];
            for ((o, d), &b) in out.iter_mut().zip(den.iter_mut()).zip(col) {
                let t = (x - b).abs();
                let present = !b.is_nan();
                *o += if present {
                    w * if t < 1.0 { t } else { 1.0 }
                } else {
                    0.0
                };
                *d += if present { w } else { 0.0 };
            }
        }
        for (g, (&x, &w)) in ac.iter().zip(&self.code_weights).enumerate() {
            if x.is_nan() {
                continue;
            }
            let col = &self.right.codes[g * m + j0..g * m + j0 + width];
            for ((o, d), &b) in out.iter_mut().zip(den.iter_mut()).zip(col) {
                let present = !b.is_nan();
                *o += if present && b != x { w } else { 0.0 };
                *d += if present { w } else { 0.0 };
            }
        }
        for (o, &d) in out.iter_mut().zip(den.iter()) {
            *o = if d > 0.0 { *o / d } else { self.undefined };
        }
    }
}

impl Pairwise for Gower {
    fn n_left(&self) -> usize {
        self.left.n
    }

    fn n_right(&self) -> usize {
        self.right.n
    }

    fn row_tile(&self, i: usize, j0: usize, out: &mut [f64]) {
        let a = &self.left.values[i * self.n_values..(i + 1) * self.n_values];
        let ac = &self.left.codes[i * self.n_codes..(i + 1) * self.n_codes];
        if self.right_missing || self.left.row_missing[i] {
            simd::with_avx2(
                #[inline(always)]
                || self.missing_tile(a, ac, j0, out),
            )
        } else {
            simd::with_avx2(
                #[inline(always)]
                || self.complete_tile(a, ac, j0, out),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distance::fill;
    use ndarray::{array, Array2};

    /// Straightforward daisy: every pair and column, in input column order.
    fn naive(
        num: &Array2<f64>,
        cat: &Array2<i32>,
        p: &GowerParams<'_>,
        offsets: &[usize],
    ) -> Array2<f64> {
        let n = num.nrows();
        let p_num = num.ncols();
        Array2::from_shape_fn((n, n), |(i, j)| {
            let (mut s, mut den) = (0.0, 0.0);
            for f in 0..p_num {
                let (a, b) = (num[[i, f]], num[[j, f]]);
                if a.is_nan() || b.is_nan() {
                    continue;
                }
                let r = if p.numeric_range[f] > 0.0 {
                    p.numeric_range[f]
                } else {
                    1.0
                };
                s += p.weights[f] * ((a - p.numeric_min[f]) / r - (b - p.numeric_min[f]) / r).abs();
                den += p.weights[f];
            }
            for g in 0..cat.ncols() {
                let (a, b) = (cat[[i, g]], cat[[j, g]]);
                if a == MISSING || b == MISSING {
                    continue;
                }
                let w = p.weights[p_num + g];
                let t = if p.ordinal[g] {
                    (p.level_rank[offsets[g] + a as usize] - p.level_rank[offsets[g] + b as usize])
                        .abs()
                } else if a == b {
                    0.0
                } else {
                    1.0
                };
                s += w * t;
                den += w;
            }
            if den > 0.0 {
                s / den
            } else {
                f64::NAN
            }
        })
    }

    fn matrix(g: &Gower) -> Array2<f64> {
        let mut out = Array2::zeros((g.n_left(), g.n_right()));
        fill(g, 0, out.view_mut(), &crate::Interrupt::new()).unwrap();
        out
    }

    #[test]
    fn matches_the_definition_with_missing_values_weights_and_ordinals() {
        let n = 40;
        let num = Array2::from_shape_fn((n, 2), |(i, f)| {
            if (i + f) % 9 == 4 {
                f64::NAN
            } else {
                ((i * 37 + f * 11) % 23) as f64 * 1.5 - 7.0
            }
        });
        let cat = Array2::from_shape_fn((n, 3), |(i, g)| {
            if (i * 3 + g) % 11 == 5 {
                MISSING
            } else {
                ((i * (g + 2)) % (g + 3)) as i32
            }
        });
        let levels = [3usize, 4, 5];
        let view = MixedView::new(num.view(), cat.view(), &levels, true).unwrap();
        let min: Vec<f64> = (0..2)
            .map(|f| {
                num.column(f)
                    .iter()
                    .cloned()
                    .filter(|v| !v.is_nan())
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let max: Vec<f64> = (0..2)
            .map(|f| {
                num.column(f)
                    .iter()
                    .cloned()
                    .filter(|v| !v.is_nan())
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .collect();
        let range: Vec<f64> = min.iter().zip(&max).map(|(a, b)| b - a).collect();
        // column 1 ordinal with ranks 0, 1/3, 2/3, 1
        let mut ranks = vec![0.0; 12];
        for l in 0..4 {
            ranks[3 + l] = l as f64 / 3.0;
        }
        let params = GowerParams {
            numeric_min: &min,
            numeric_range: &range,
            ordinal: &[false, true, false],
            level_rank: &ranks,
            weights: &[1.0, 2.0, 0.5, 1.0, 3.0],
            undefined: f64::NAN,
        };
        let g = Gower::new(&view, &view, &params.check().unwrap()).unwrap();
        let got = matrix(&g);
        let want = naive(&num, &cat, &params, &[0, 3, 7]);
        for (a, b) in got.iter().zip(want.iter()) {
            assert!((a - b).abs() <= 1e-14, "{a} vs {b}");
        }
        for i in 0..n {
            assert_eq!(got[[i, i]], 0.0);
            for j in 0..n {
                assert_eq!(got[[i, j]].to_bits(), got[[j, i]].to_bits());
            }
        }
        // Zero weight drops a column entirely (its missing values no longer matter).
        let no_num = GowerParams {
            weights: &[0.0, 0.0, 1.0, 1.0, 1.0],
            ..params
        };
        let g = Gower::new(&view, &view, &no_num.check().unwrap()).unwrap();
        let want = naive(&num, &cat, &no_num, &[0, 3, 7]);
        for (a, b) in matrix(&g).iter().zip(want.iter()) {
            assert!((a - b).abs() <= 1e-14 || (a.is_nan() && b.is_nan()));
        }
    }

    #[test]
    fn complete_rows_constant_columns_unseen_levels_and_capping() {
        let num = array![[1.0, 5.0], [3.0, 5.0], [2.0, 5.0]];
        let cat = array![[0], [1], [0]];
        let view = MixedView::new(num.view(), cat.view(), &[2], true).unwrap();
        let params = GowerParams {
            numeric_min: &[1.0, 5.0],
            numeric_range: &[2.0, 0.0],
            ordinal: &[false],
            level_rank: &[0.0, 0.0],
            weights: &[1.0, 1.0, 1.0],
            undefined: f64::NAN,
        };
        let g = Gower::new(&view, &view, &params.check().unwrap()).unwrap();
        let d = matrix(&g);
        // rows 0 and 1: (|1-3|/2 + 0 + 1) / 3
        assert_eq!(d[[0, 1]], 2.0 / 3.0);
        assert_eq!(d[[0, 2]], 0.5 / 3.0);
        // A new row far outside the range and with an unseen level: each term capped at 1.
        let new_num = array![[100.0, 5.0]];
        let new_cat = array![[UNSEEN]];
        let new = MixedView::new(new_num.view(), new_cat.view(), &[2], true).unwrap();
        let g = Gower::new(&new, &view, &params.check().unwrap()).unwrap();
        let d = matrix(&g);
        assert_eq!(d.row(0).to_vec(), vec![2.0 / 3.0; 3]);
    }

    #[test]
    fn undefined_pairs_and_bad_parameters() {
        let num = array![[1.0], [f64::NAN]];
        let cat = array![[MISSING], [0]];
        let view = MixedView::new(num.view(), cat.view(), &[1], true).unwrap();
        let params = GowerParams {
            numeric_min: &[1.0],
            numeric_range: &[0.0],
            ordinal: &[false],
            level_rank: &[0.0],
            weights: &[1.0, 1.0],
            undefined: f64::NAN,
        };
        let g = Gower::new(&view, &view, &params.check().unwrap()).unwrap();
        let d = matrix(&g);
        assert!(d[[0, 1]].is_nan() && d[[1, 0]].is_nan());
        assert_eq!(d[[0, 0]], 0.0);
        let one = GowerParams {
            undefined: 1.0,
            ..params
        };
        let d = matrix(&Gower::new(&view, &view, &one.check().unwrap()).unwrap());
        assert_eq!((d[[0, 1]], d[[1, 0]], d[[1, 1]]), (1.0, 1.0, 0.0));
        let bad = GowerParams {
            undefined: 2.0,
            ..params
        };
        assert!(matches!(
            bad.check(),
            Err(CoreError::InvalidParameter {
                name: "undefined",
                ..
            })
        ));
        for (weights, range) in [([0.0, 0.0], 0.0), ([1.0, -1.0], 0.0), ([1.0, 1.0], -1.0)] {
            let bad = GowerParams {
                weights: &weights,
                numeric_range: &[range],
                ..params
            };
            assert!(matches!(
                bad.check(),
                Err(CoreError::InvalidParameter { .. })
            ));
        }
        let short = GowerParams {
            weights: &[1.0],
            ..params
        };
        assert!(matches!(
            Gower::new(&view, &view, &short.check().unwrap()),
            Err(CoreError::ShapeMismatch { .. })
        ));
        let inf = array![[f64::INFINITY], [0.0]];
        let bad_view = MixedView::new(inf.view(), cat.view(), &[1], true).unwrap();
        assert!(matches!(
            Gower::new(&bad_view, &view, &params.check().unwrap()),
            Err(CoreError::NonFinite(_))
        ));
    }
}
