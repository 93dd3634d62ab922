//! The k-prototypes dissimilarity of a row to a prototype and the table it is read from.
//!
//! `cost(x, c) = sum_j (x_j - c_j)^2 + gamma * #{categorical j : x_j != c_j}` (Huang 1997).
//! The squared distance is summed in numpy's pairwise order (`np.sum(..., axis=1)` on a
//! row), so that `algorithm = Huang` reproduces kmodes' floating-point values exactly and
//! with them every comparison it makes.

use crate::{CoreError, CoreResult};

/// A validated table of `n` rows as row-major slices, with the cost's weight `gamma`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table<'a> {
    /// Numeric block, `n * p`.
    pub num: &'a [f64],
    /// Number of numeric columns.
    pub p: usize,
    /// Categorical level codes, `n * q`.
    pub cat: &'a [i32],
    /// Number of categorical columns.
    pub q: usize,
    /// Number of rows.
    pub n: usize,
    /// Levels of each categorical column.
    pub n_levels: &'a [usize],
    /// Sample weights (None: every row 1).
    pub w: Option<&'a [f64]>,
    /// Weight of one categorical mismatch.
    pub gamma: f64,
}

impl<'a> Table<'a> {
    #[inline]
    pub fn num_row(&self, i: usize) -> &'a [f64] {
        &self.num[i * self.p..(i + 1) * self.p]
    }

    #[inline]
    pub fn cat_row(&self, i: usize) -> &'a [i32] {
        &self.cat[i * self.q..(i + 1) * self.q]
    }

    #[inline]
    pub fn weight(&self, i: usize) -> f64 {
        self.w.map_or(1.0, |w| w[i])
    }

    /// The cost of row `i` against prototype `c` of `protos`.
    #[inline]
    pub fn cost(&self, i: usize, protos: &Prototypes, c: usize) -> f64 {
        cost(
            self.num_row(i),
            self.cat_row(i),
            protos.num_row(c),
            protos.cat_row(c),
            self.gamma,
        )
    }

    /// The closest prototype of row `i` (the first on ties, as `np.argmin`) and its cost.
    #[inline]
    pub fn closest(&self, i: usize, protos: &Prototypes) -> (usize, f64) {
        let (x, y) = (self.num_row(i), self.cat_row(i));
        let mut best = (0, f64::INFINITY);
        for c in 0..protos.k {
            let d = cost(x, y, protos.num_row(c), protos.cat_row(c), self.gamma);
            if d < best.1 {
                best = (c, d);
            }
        }
        best
    }

    /// Offsets of each categorical column's levels in a flat `levels` vector, and the total.
    pub fn level_offsets(&self) -> (Vec<usize>, usize) {
        let mut offsets = Vec::with_capacity(self.q);
        let mut total = 0usize;
        for &l in self.n_levels {
            offsets.push(total);
            total += l;
        }
        (offsets, total)
    }

    /// Whether rows `i` and `j` are identical.
    #[inline]
    pub fn same_rows(&self, i: usize, j: usize) -> bool {
        self.num_row(i) == self.num_row(j) && self.cat_row(i) == self.cat_row(j)
    }
}

/// `k` prototypes: a numeric part `k * p` and categorical level codes `k * q`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prototypes {
    /// Number of prototypes.
    pub k: usize,
    /// Numeric columns.
    pub p: usize,
    /// Categorical columns.
    pub q: usize,
    /// Numeric part, row-major `k * p`.
    pub numeric: Vec<f64>,
    /// Categorical part (level codes), row-major `k * q`.
    pub categorical: Vec<i32>,
}

impl Prototypes {
    /// `k` prototypes copied from rows `rows` of the table.
    pub(crate) fn from_rows(t: &Table<'_>, rows: &[usize]) -> Self {
        let mut numeric = Vec::with_capacity(rows.len() * t.p);
        let mut categorical = Vec::with_capacity(rows.len() * t.q);
        for &i in rows {
            numeric.extend_from_slice(t.num_row(i));
            categorical.extend_from_slice(t.cat_row(i));
        }
        Prototypes {
            k: rows.len(),
            p: t.p,
            q: t.q,
            numeric,
            categorical,
        }
    }

    /// Numeric part of prototype `c`.
    #[inline]
    pub fn num_row(&self, c: usize) -> &[f64] {
        &self.numeric[c * self.p..(c + 1) * self.p]
    }

    /// Categorical part of prototype `c`.
    #[inline]
    pub fn cat_row(&self, c: usize) -> &[i32] {
        &self.categorical[c * self.q..(c + 1) * self.q]
    }

    /// Check the shape against a table of `p` numeric and `q` categorical columns with
    /// `n_levels` levels, finite numeric values and codes that are levels.
    pub(crate) fn check(&self, p: usize, n_levels: &[usize], what: &'static str) -> CoreResult<()> {
        if self.p != p {
            return Err(CoreError::ShapeMismatch {
                what,
                expected: p,
                got: self.p,
            });
        }
        if self.q != n_levels.len() {
            return Err(CoreError::ShapeMismatch {
                what,
                expected: n_levels.len(),
                got: self.q,
            });
        }
        if self.numeric.len() != self.k * p || self.categorical.len() != self.k * self.q {
            return Err(CoreError::Internal(format!(
                "{what}: buffers of the wrong length"
            )));
        }
        if self.numeric.iter().any(|v| !v.is_finite()) {
            return Err(CoreError::NonFinite(format!(
                "{what} has NaN or infinite numeric values"
            )));
        }
        for c in 0..self.k {
            for (j, &code) in self.cat_row(c).iter().enumerate() {
                if code < 0 || code as usize >= n_levels[j] {
                    return Err(CoreError::InvalidParameter {
                        name: "init",
                        reason: format!(
                            "{what}: prototype {c} has code {code} in categorical column {j}, \
                             outside 0..{}",
                            n_levels[j]
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

/// numpy's pairwise sum of `(a_j - b_j)^2` (`numpy/_core/src/umath/loops_utils.h.src`):
/// a plain loop below 8 terms, eight accumulators up to 128, halves beyond.
#[inline]
pub(crate) fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n < 8 {
        let mut res = 0.0;
        for j in 0..n {
            let d = a[j] - b[j];
            res += d * d;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        for (j, r) in r.iter_mut().enumerate() {
            let d = a[j] - b[j];
            *r = d * d;
        }
        let end = n - n % 8;
        let mut i = 8;
        while i < end {
            for (j, r) in r.iter_mut().enumerate() {
                let d = a[i + j] - b[i + j];
                *r += d * d;
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            let d = a[i] - b[i];
            res += d * d;
            i += 1;
        }
        res
    } else {
        let mut half = n / 2;
        half -= half % 8;
        squared_distance(&a[..half], &b[..half]) + squared_distance(&a[half..n], &b[half..n])
    }
}

/// Number of positions where the codes differ.
#[inline]
pub(crate) fn mismatches(a: &[i32], b: &[i32]) -> u32 {
    a.iter().zip(b).map(|(x, y)| u32::from(x != y)).sum()
}

/// The k-prototypes cost of a row against a prototype.
#[inline]
pub(crate) fn cost(xn: &[f64], xc: &[i32], cn: &[f64], cc: &[i32], gamma: f64) -> f64 {
    squared_distance(xn, cn) + gamma * f64::from(mismatches(xc, cc))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// numpy's pairwise summation written out, as the oracle.
    fn numpy_pairwise(v: &[f64]) -> f64 {
        if v.len() < 8 {
            v.iter().fold(0.0, |r, x| r + x)
        } else if v.len() <= 128 {
            let mut r: Vec<f64> = v[..8].to_vec();
            let end = v.len() - v.len() % 8;
            for i in (8..end).step_by(8) {
                for j in 0..8 {
                    r[j] += v[i + j];
                }
            }
            let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for x in &v[end..] {
                res += x;
            }
            res
        } else {
            let mut half = v.len() / 2;
            half -= half % 8;
            numpy_pairwise(&v[..half]) + numpy_pairwise(&v[half..])
        }
    }

    #[test]
    fn squared_distance_sums_in_numpys_order() {
        for n in [0usize, 1, 3, 7, 8, 9, 15, 16, 17, 100, 128, 129, 300] {
            let a: Vec<f64> = (0..n).map(|i| ((i as f64) * 1.37).sin() * 1e3).collect();
            let b: Vec<f64> = (0..n).map(|i| ((i as f64) * 0.71).cos() * 1e-2).collect();
            let sq: Vec<f64> = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).collect();
            assert_eq!(
                squared_distance(&a, &b).to_bits(),
                numpy_pairwise(&sq).to_bits()
            );
        }
    }

    #[test]
    fn cost_adds_gamma_per_mismatch() {
        assert_eq!(
            cost(&[1.0, 2.0], &[0, 1, 2], &[0.0, 0.0], &[0, 2, 2], 0.5),
            5.5
        );
        assert_eq!(mismatches(&[1, -2], &[1, 0]), 1);
    }
}
