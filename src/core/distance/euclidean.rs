//! Euclidean distance between the rows of two numeric arrays.

use ndarray::ArrayView2;

use super::Pairwise;
use crate::{CoreError, CoreResult};

/// Euclidean distances `sqrt(sum_f (a_f - b_f)^2)` from direct differences: `d(x, y)` and
/// `d(y, x)` are the same bits and `d(x, x) == 0` (no dot-product expansion).
pub struct Euclidean<'a> {
    left: ArrayView2<'a, f64>,
    /// The right table, column-major: `right_t[f * m + j]` is feature `f` of row `j`.
    right_t: Vec<f64>,
    m: usize,
}

impl<'a> Euclidean<'a> {
    /// Distances between the rows of `left` and `right` (same number of columns, finite).
    pub fn new(left: ArrayView2<'a, f64>, right: ArrayView2<'_, f64>) -> CoreResult<Self> {
        if left.ncols() != right.ncols() {
            return Err(CoreError::ShapeMismatch {
                what: "columns of the right table",
                expected: left.ncols(),
                got: right.ncols(),
            });
        }
        if left.iter().chain(right.iter()).any(|v| !v.is_finite()) {
            return Err(CoreError::NonFinite(
                "Euclidean distances need finite values".into(),
            ));
        }
        let (m, d) = right.dim();
        let mut right_t = vec![0.0; m * d];
        for (j, row) in right.rows().into_iter().enumerate() {
            for (f, &v) in row.iter().enumerate() {
                right_t[f * m + j] = v;
            }
        }
        Ok(Self { left, right_t, m })
    }
}

impl Pairwise for Euclidean<'_> {
    fn n_left(&self) -> usize {
        self.left.nrows()
    }

    fn n_right(&self) -> usize {
        self.m
    }

    fn row_tile(&self, i: usize, j0: usize, out: &mut [f64]) {
        let width = out.len();
        out.fill(0.0);
        for (f, &a) in self.left.row(i).iter().enumerate() {
            let col = &self.right_t[f * self.m + j0..f * self.m + j0 + width];
            for (o, &b) in out.iter_mut().zip(col) {
                let t = a - b;
                *o += t * t;
            }
        }
        for o in out.iter_mut() {
            *o = o.sqrt();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn symmetric_with_zero_diagonal() {
        let x = array![[0.1, 0.7, -3.0], [2.5, 1e-3, 4.0], [0.3, 0.3, 0.3]];
        let e = Euclidean::new(x.view(), x.view()).unwrap();
        let mut rows = [[0.0; 3]; 3];
        for (i, r) in rows.iter_mut().enumerate() {
            e.row_tile(i, 0, r);
            assert_eq!(r[i], 0.0);
        }
        for (i, row) in rows.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                assert_eq!(v.to_bits(), rows[j][i].to_bits());
            }
        }
        let bad = array![[f64::NAN, 0.0, 0.0]];
        assert!(matches!(
            Euclidean::new(x.view(), bad.view()),
            Err(CoreError::NonFinite(_))
        ));
        assert!(Euclidean::new(x.view(), array![[1.0]].view()).is_err());
    }
}
