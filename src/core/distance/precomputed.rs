//! A precomputed dissimilarity matrix: the checks it must pass and its rows as a
//! [`Pairwise`] source.

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::Pairwise;
use crate::numerics::Float;
use crate::{CoreError, CoreResult, Interrupt};

/// A square dissimilarity matrix in row-major order, read by rows (`d[i][j]` is row `i`'s
/// dissimilarity to `j`). Methods that assume it symmetric check it with
/// [`Dissimilarities::check`]`(true)`.
#[derive(Clone, Copy)]
pub struct Dissimilarities<'a, F> {
    data: &'a [F],
    n: usize,
}

/// What [`Dissimilarities::check`] found, for error messages.
#[derive(Debug, Default, Clone, Copy)]
struct MatrixScan {
    non_finite: usize,
    negative: usize,
    first_bad: Option<(usize, usize)>,
    diagonal: Option<usize>,
    largest: f64,
    asymmetry: f64,
    asymmetric_at: Option<(usize, usize)>,
}

impl MatrixScan {
    fn merge(mut self, o: MatrixScan) -> MatrixScan {
        self.non_finite += o.non_finite;
        self.negative += o.negative;
        self.first_bad = match (self.first_bad, o.first_bad) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.diagonal = match (self.diagonal, o.diagonal) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.largest = self.largest.max(o.largest);
        if o.asymmetry > self.asymmetry {
            self.asymmetry = o.asymmetry;
            self.asymmetric_at = o.asymmetric_at;
        }
        self
    }
}

/// Side of the square tiles the symmetry check reads in pairs.
const CHECK_TILE: usize = 64;

impl<'a, F: Float> Dissimilarities<'a, F> {
    /// Wrap a square, C-contiguous matrix (values are checked by [`Self::check`]).
    pub fn new(d: ArrayView2<'a, F>) -> CoreResult<Self> {
        let (n, m) = d.dim();
        if n != m {
            return Err(CoreError::ShapeMismatch {
                what: "columns of the square dissimilarity matrix",
                expected: n,
                got: m,
            });
        }
        if n == 0 {
            return Err(CoreError::EmptyInput(
                "the dissimilarity matrix has no rows".into(),
            ));
        }
        let data = d.to_slice().ok_or_else(|| CoreError::InvalidParameter {
            name: "dissimilarities",
            reason: "must be C-contiguous".into(),
        })?;
        Ok(Self { data, n })
    }

    /// Number of points.
    #[inline]
    pub fn n(&self) -> usize {
        self.n
    }

    /// Row `i`: the dissimilarities from point `i` to every point.
    #[inline(always)]
    pub fn row(&self, i: usize) -> &'a [F] {
        &self.data[i * self.n..(i + 1) * self.n]
    }

    /// Check the values: finite, >= 0, a zero diagonal (at most `100 * eps` of `F`, as
    /// scikit-learn), and with `symmetric`, `|d[i][j] - d[j][i]|` at most `1e-8` (`1e-4`
    /// for `f32`) of the largest value. One parallel pass over pairs of tiles, checking
    /// `stop` before each band of [`CHECK_TILE`] rows ([`CoreError::Interrupted`]).
    pub fn check(&self, symmetric: bool, stop: &Interrupt) -> CoreResult<()> {
        let n = self.n;
        let eps = if F::ROUNDING_SLACK < 1e-8 {
            f64::EPSILON
        } else {
            f64::from(f32::EPSILON)
        };
        let tiles = n.div_ceil(CHECK_TILE);
        let scan = (0..tiles)
            .into_par_iter()
            .map(|ti| {
                stop.check()?;
                let mut s = MatrixScan::default();
                let rows = ti * CHECK_TILE..((ti + 1) * CHECK_TILE).min(n);
                for i in rows.clone() {
                    for (j, &v) in self.row(i).iter().enumerate() {
                        let v = v.to_f64();
                        if !v.is_finite() || v < 0.0 {
                            if v.is_finite() {
                                s.negative += 1;
                            } else {
                                s.non_finite += 1;
                            }
                            s.first_bad = s.first_bad.or(Some((i, j)));
                        } else {
                            s.largest = s.largest.max(v);
                        }
                    }
                    let diag = self.row(i)[i].to_f64();
                    if diag.abs() > 100.0 * eps && s.diagonal.is_none() {
                        s.diagonal = Some(i);
                    }
                }
                if symmetric {
                    // Tile (ti, tj) against its mirror (tj, ti): both stay in cache.
                    for tj in ti..tiles {
                        let cols = tj * CHECK_TILE..((tj + 1) * CHECK_TILE).min(n);
                        for i in rows.clone() {
                            let row = self.row(i);
                            for j in cols.clone().filter(|&j| j > i) {
                                let diff = (row[j].to_f64() - self.row(j)[i].to_f64()).abs();
                                if diff > s.asymmetry {
                                    s.asymmetry = diff;
                                    s.asymmetric_at = Some((i, j));
                                }
                            }
                        }
                    }
                }
                Ok(s)
            })
            .try_reduce(MatrixScan::default, |a, b| Ok(a.merge(b)))?;
        if scan.non_finite + scan.negative > 0 {
            let (i, j) = scan.first_bad.unwrap_or((0, 0));
            return Err(CoreError::NonFinite(format!(
                "the dissimilarity matrix has {} NaN or infinite and {} negative value(s), \
                 the first at row {i}, column {j}; dissimilarities must be finite and >= 0",
                scan.non_finite, scan.negative
            )));
        }
        if let Some(i) = scan.diagonal {
            return Err(CoreError::InvalidParameter {
                name: "dissimilarities",
                reason: format!(
                    "the diagonal must be zero (a point's dissimilarity to itself), but row \
                     {i} has {}",
                    self.row(i)[i].to_f64()
                ),
            });
        }
        let tolerance = if eps == f64::EPSILON { 1e-8 } else { 1e-4 };
        if symmetric && scan.asymmetry > tolerance * scan.largest {
            let (i, j) = scan.asymmetric_at.unwrap_or((0, 0));
            return Err(CoreError::InvalidParameter {
                name: "dissimilarities",
                reason: format!(
                    "the matrix must be symmetric, but d[{i}][{j}] = {} and d[{j}][{i}] = {}",
                    self.row(i)[j].to_f64(),
                    self.row(j)[i].to_f64()
                ),
            });
        }
        Ok(())
    }
}

impl<F: Float> Pairwise for Dissimilarities<'_, F> {
    fn n_left(&self) -> usize {
        self.n
    }

    fn n_right(&self) -> usize {
        self.n
    }

    fn row_tile(&self, i: usize, j0: usize, out: &mut [f64]) {
        let row = &self.row(i)[j0..j0 + out.len()];
        for (o, &v) in out.iter_mut().zip(row) {
            *o = v.to_f64();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn checks_the_matrix() {
        let go = Interrupt::new();
        let good = array![[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]];
        let d = Dissimilarities::new(good.view()).unwrap();
        assert!(d.check(true, &go).is_ok());
        let mut bad = good.clone();
        bad[[0, 2]] = -1.0;
        let err = Dissimilarities::new(bad.view())
            .unwrap()
            .check(false, &go)
            .unwrap_err();
        assert!(err
            .to_string()
            .contains("1 negative value(s), the first at row 0, column 2"));
        bad[[0, 2]] = f64::NAN;
        assert!(matches!(
            Dissimilarities::new(bad.view()).unwrap().check(false, &go),
            Err(CoreError::NonFinite(_))
        ));
        let mut diag = good.clone();
        diag[[1, 1]] = 0.5;
        let err = Dissimilarities::new(diag.view())
            .unwrap()
            .check(false, &go)
            .unwrap_err();
        assert!(err.to_string().contains("row 1 has 0.5"));
        let mut asym = good.clone();
        asym[[2, 1]] = 2.5;
        let d = Dissimilarities::new(asym.view()).unwrap();
        assert!(d.check(false, &go).is_ok());
        let err = d.check(true, &go).unwrap_err();
        assert!(
            err.to_string().contains("d[1][2] = 3 and d[2][1] = 2.5"),
            "{err}"
        );
        let rect = ndarray::Array2::<f64>::zeros((2, 3));
        assert!(matches!(
            Dissimilarities::new(rect.view()),
            Err(CoreError::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn a_requested_stop_ends_the_check() {
        let n = 200;
        let m = ndarray::Array2::from_shape_fn((n, n), |(i, j)| i.abs_diff(j) as f64);
        let d = Dissimilarities::new(m.view()).unwrap();
        assert!(d.check(true, &Interrupt::new()).is_ok());
        let stop = Interrupt::new();
        stop.request();
        assert_eq!(d.check(true, &stop), Err(CoreError::Interrupted));
        assert_eq!(d.check(false, &stop), Err(CoreError::Interrupted));
    }
}
