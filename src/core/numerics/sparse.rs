//! Compressed sparse rows (scipy's CSR layout) as a borrowed, checked view: the one sparse
//! type the sparse kernels read (scalers' column statistics, silhouette distances).
//!
//! The view never densifies: row `i` is `indices[indptr[i]..indptr[i+1]]` (strictly
//! increasing column numbers) with the matching `data`. [`CsrView::new`] checks the layout
//! once, so kernels index without re-checking and cannot read out of bounds.

use super::Float;
use crate::{CoreError, CoreResult};

/// A checked CSR matrix borrowed from its three arrays.
#[derive(Debug, Clone, Copy)]
pub struct CsrView<'a, T> {
    n_rows: usize,
    n_cols: usize,
    indptr: &'a [i64],
    indices: &'a [i64],
    data: &'a [T],
}

/// What [`CsrView::new`] accepts in `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finite {
    /// Every stored value finite.
    All,
    /// NaN allowed (statistics skip it), infinity not.
    AllowNan,
}

fn invalid(reason: String) -> CoreError {
    CoreError::InvalidParameter {
        name: "X (sparse)",
        reason,
    }
}

impl<'a, T: Float> CsrView<'a, T> {
    /// Check and wrap a CSR matrix of shape `(n_rows, n_cols)`: `indptr` has `n_rows + 1`
    /// non-decreasing offsets from 0 to `nnz`, every row's column numbers are strictly
    /// increasing and below `n_cols` (scipy's canonical format), and the stored values are
    /// finite (or NaN, with [`Finite::AllowNan`]).
    pub fn new(
        n_rows: usize,
        n_cols: usize,
        indptr: &'a [i64],
        indices: &'a [i64],
        data: &'a [T],
        finite: Finite,
    ) -> CoreResult<Self> {
        if n_rows == 0 || n_cols == 0 {
            return Err(CoreError::EmptyInput(format!(
                "X has shape ({n_rows}, {n_cols}); at least one row and one column are required"
            )));
        }
        if indptr.len() != n_rows + 1 {
            return Err(CoreError::ShapeMismatch {
                what: "indptr",
                expected: n_rows + 1,
                got: indptr.len(),
            });
        }
        if indices.len() != data.len() {
            return Err(CoreError::ShapeMismatch {
                what: "indices",
                expected: data.len(),
                got: indices.len(),
            });
        }
        let nnz = data.len() as i64;
        if indptr[0] != 0 || indptr[n_rows] != nnz {
            return Err(invalid(format!(
                "indptr must run from 0 to nnz={nnz}, got {}..{}",
                indptr[0], indptr[n_rows]
            )));
        }
        for (i, w) in indptr.windows(2).enumerate() {
            if w[1] < w[0] {
                return Err(invalid(format!("indptr decreases at row {i}")));
            }
            let cols = &indices[w[0] as usize..w[1] as usize];
            if let Some(&bad) = cols.iter().find(|&&c| c < 0 || c >= n_cols as i64) {
                return Err(invalid(format!(
                    "row {i} has column index {bad}, outside 0..{n_cols}"
                )));
            }
            if cols.windows(2).any(|p| p[1] <= p[0]) {
                return Err(invalid(format!(
                    "row {i} has unsorted or duplicate column indices (call sum_duplicates())"
                )));
            }
        }
        let bad = data
            .iter()
            .filter(|v| !(v.is_finite() || (finite == Finite::AllowNan && v.is_nan())))
            .count();
        if bad > 0 {
            let what = if finite == Finite::AllowNan {
                "infinity"
            } else {
                "NaN or infinity"
            };
            return Err(CoreError::NonFinite(format!(
                "{bad} stored value(s) of the sparse X are {what}"
            )));
        }
        Ok(CsrView {
            n_rows,
            n_cols,
            indptr,
            indices,
            data,
        })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored values.
    pub fn nnz(&self) -> usize {
        self.data.len()
    }

    /// Row `i`: its column numbers (strictly increasing) and values.
    #[inline]
    pub fn row(&self, i: usize) -> (&'a [i64], &'a [T]) {
        let (lo, hi) = (self.indptr[i] as usize, self.indptr[i + 1] as usize);
        (&self.indices[lo..hi], &self.data[lo..hi])
    }

    /// The stored values, row after row.
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    /// The column number of every stored value.
    pub fn indices(&self) -> &'a [i64] {
        self.indices
    }

    /// Squared Euclidean norm of every row (NaN-free input), in f64.
    pub fn row_sq_norms(&self) -> Vec<f64> {
        (0..self.n_rows)
            .map(|i| self.row(i).1.iter().map(|v| v.to_f64() * v.to_f64()).sum())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_canonical_csr_and_reads_rows() {
        // [[1, 0, 2], [0, 0, 0], [0, 3, 0]]
        let (indptr, indices, data) = ([0i64, 2, 2, 3], [0i64, 2, 1], [1.0f64, 2.0, 3.0]);
        let x = CsrView::new(3, 3, &indptr, &indices, &data, Finite::All).unwrap();
        assert_eq!(x.nnz(), 3);
        assert_eq!(x.row(0), (&indices[0..2], &data[0..2]));
        assert!(x.row(1).0.is_empty());
        assert_eq!(x.row_sq_norms(), vec![5.0, 0.0, 9.0]);
    }

    #[test]
    fn rejects_broken_layouts() {
        let data = [1.0f64, 2.0];
        let bad = [
            (vec![0i64, 2], vec![0i64, 5]),    // index out of range
            (vec![0i64, 2], vec![1i64, 0]),    // unsorted
            (vec![0i64, 2], vec![1i64, 1]),    // duplicate
            (vec![0i64, 3], vec![0i64, 1]),    // indptr past nnz
            (vec![1i64, 2], vec![0i64, 1]),    // indptr not from 0
            (vec![0i64, 1, 2], vec![0i64, 1]), // wrong number of rows
        ];
        for (indptr, indices) in bad {
            assert!(CsrView::new(1, 3, &indptr, &indices, &data, Finite::All).is_err());
        }
        let (indptr, indices) = ([0i64, 2], [0i64, 1]);
        let nan = [1.0f64, f64::NAN];
        assert!(CsrView::new(1, 3, &indptr, &indices, &nan, Finite::All).is_err());
        assert!(CsrView::new(1, 3, &indptr, &indices, &nan, Finite::AllowNan).is_ok());
        let inf = [1.0f64, f64::INFINITY];
        assert!(CsrView::new(1, 3, &indptr, &indices, &inf, Finite::AllowNan).is_err());
        assert!(CsrView::new(0, 3, &[0i64], &[], &[] as &[f64], Finite::All).is_err());
    }
}
