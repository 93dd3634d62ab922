//! Tables of numeric and categorical columns, as the mixed-type methods read them.
//!
//! The Python funnel (`_validation.check_mixed`) turns a customer table into two blocks:
//! the numeric columns as one row-major `f64` array and the categorical columns as one
//! row-major `i32` array of level codes, plus the number of levels of each categorical
//! column. [`MixedView`] is that pair, checked once; k-prototypes, k-modes and Gower read
//! it instead of each validating its own.

use ndarray::ArrayView2;

use crate::{CoreError, CoreResult};

/// Code of a missing categorical value: methods that allow it skip the column (Gower).
pub const MISSING: i32 = -1;
/// Code of a level that `fit` never saw: it matches no level (a mismatch everywhere).
pub const UNSEEN: i32 = -2;

/// A checked table of `n` rows: numeric columns and categorical level codes.
#[derive(Debug, Clone, Copy)]
pub struct MixedView<'a> {
    numeric: ArrayView2<'a, f64>,
    categorical: ArrayView2<'a, i32>,
    n_levels: &'a [usize],
}

impl<'a> MixedView<'a> {
    /// Check and wrap the two blocks.
    ///
    /// Both must have the same number of rows (either may have no columns, not both),
    /// `n_levels` one entry per categorical column, and every code must be in
    /// `0..n_levels[j]`, or [`MISSING`] / [`UNSEEN`] where `allow_special` is set.
    pub fn new(
        numeric: ArrayView2<'a, f64>,
        categorical: ArrayView2<'a, i32>,
        n_levels: &'a [usize],
        allow_special: bool,
    ) -> CoreResult<Self> {
        let n = numeric.nrows();
        if categorical.nrows() != n {
            return Err(CoreError::ShapeMismatch {
                what: "categorical rows",
                expected: n,
                got: categorical.nrows(),
            });
        }
        if categorical.ncols() != n_levels.len() {
            return Err(CoreError::ShapeMismatch {
                what: "n_levels",
                expected: categorical.ncols(),
                got: n_levels.len(),
            });
        }
        if n == 0 || numeric.ncols() + categorical.ncols() == 0 {
            return Err(CoreError::EmptyInput(format!(
                "a table of {n} row(s), {} numeric and {} categorical column(s)",
                numeric.ncols(),
                categorical.ncols()
            )));
        }
        for (j, column) in categorical.columns().into_iter().enumerate() {
            let levels = i64::try_from(n_levels[j]).unwrap_or(i64::MAX);
            let bad = column.iter().find(|&&c| {
                let special = c == MISSING || c == UNSEEN;
                !(i64::from(c) >= 0 && i64::from(c) < levels || allow_special && special)
            });
            if let Some(&code) = bad {
                return Err(CoreError::InvalidParameter {
                    name: "categorical",
                    reason: format!(
                        "column {j} holds code {code}, outside 0..{} (its number of levels)",
                        n_levels[j]
                    ),
                });
            }
        }
        Ok(Self {
            numeric,
            categorical,
            n_levels,
        })
    }

    /// Number of rows.
    #[inline]
    pub fn n_rows(&self) -> usize {
        self.numeric.nrows()
    }

    /// The numeric block (rows x numeric columns).
    #[inline]
    pub fn numeric(&self) -> ArrayView2<'a, f64> {
        self.numeric
    }

    /// The categorical block (rows x categorical columns) of level codes.
    #[inline]
    pub fn categorical(&self) -> ArrayView2<'a, i32> {
        self.categorical
    }

    /// Number of levels of each categorical column.
    #[inline]
    pub fn n_levels(&self) -> &'a [usize] {
        self.n_levels
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn checks_shapes_and_codes() {
        let num = array![[1.0], [2.0], [3.0]];
        let cat = array![[0, 1], [1, MISSING], [2, 0]];
        let levels = [3usize, 2];
        let view = MixedView::new(num.view(), cat.view(), &levels, true).unwrap();
        assert_eq!(view.n_rows(), 3);
        assert_eq!(view.n_levels(), &levels);
        assert!(matches!(
            MixedView::new(num.view(), cat.view(), &levels, false),
            Err(CoreError::InvalidParameter {
                name: "categorical",
                ..
            })
        ));
        let short = [3usize, 1];
        assert!(MixedView::new(num.view(), cat.view(), &short, true).is_err());
        assert!(matches!(
            MixedView::new(num.view(), cat.slice(ndarray::s![..2, ..]), &levels, true),
            Err(CoreError::ShapeMismatch { .. })
        ));
        let none = ndarray::Array2::<f64>::zeros((0, 1));
        let no_cat = ndarray::Array2::<i32>::zeros((0, 0));
        assert!(matches!(
            MixedView::new(none.view(), no_cat.view(), &[], true),
            Err(CoreError::EmptyInput(_))
        ));
    }
}
