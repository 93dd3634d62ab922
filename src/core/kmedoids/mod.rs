//! k-medoids on a dissimilarity matrix: PAM's BUILD initialisation, PAM's best-swap
//! iteration and FasterPAM's eager swaps (Schubert & Rousseeuw 2021, "Fast and eager
//! k-medoids clustering: O(k) runtime improvement of the PAM, CLARA, and CLARANS
//! algorithms", Information Systems 101), implemented from the paper.
//!
//! Every algorithm is exposed in bounded steps ([`build_step`], [`pam_swap_step`],
//! [`fasterpam_steps`]) that the caller loops over, so a long run can stop between steps
//! (Ctrl-C in Python); [`build`], [`pam`] and [`fasterpam`] run them to the end. The state
//! between steps is the medoid indices (plus FasterPAM's cursor), so a run resumed from
//! them is the same run.
//!
//! Results are deterministic and do not depend on the number of threads: every sum runs
//! over the points in index order, ties go to the first medoid slot or the lowest
//! candidate index, and FasterPAM's parallel evaluation is speculative (candidates after
//! the first improving one are evaluated again after the swap), so it performs exactly
//! the sequential algorithm's swaps.

mod fasterpam;
mod pam;

use ndarray::ArrayView2;
use rayon::prelude::*;

pub use fasterpam::{fasterpam, fasterpam_steps, FasterPamState};
pub use pam::{build, build_step, pam, pam_swap_step};

use crate::numerics::Float;
use crate::{CoreError, CoreResult};

/// A square dissimilarity matrix in row-major order (`d[i][j]`, read by rows; the
/// algorithms assume it symmetric, which [`Dissimilarities::check`] verifies).
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
    /// for `f32`) of the largest value. One parallel pass over pairs of tiles.
    pub fn check(&self, symmetric: bool) -> CoreResult<()> {
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
                    for i in rows {
                        let row = self.row(i);
                        for (j, &v) in row.iter().enumerate().skip(i + 1) {
                            let diff = (v.to_f64() - self.row(j)[i].to_f64()).abs();
                            if diff > s.asymmetry {
                                s.asymmetry = diff;
                                s.asymmetric_at = Some((i, j));
                            }
                        }
                    }
                }
                s
            })
            .reduce(MatrixScan::default, MatrixScan::merge);
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

/// Check medoid indices: `1..=n` distinct points, each `< n`.
pub fn check_medoids(medoids: &[usize], n: usize) -> CoreResult<()> {
    let k = medoids.len();
    if k == 0 {
        return Err(CoreError::InvalidParameter {
            name: "medoids",
            reason: "at least one medoid is required".into(),
        });
    }
    if k > n {
        return Err(CoreError::NotEnoughSamples {
            n_samples: n,
            n_clusters: k,
        });
    }
    let mut seen = vec![false; n];
    for &m in medoids {
        if m >= n {
            return Err(CoreError::InvalidParameter {
                name: "medoids",
                reason: format!("medoid index {m} is out of range for {n} points"),
            });
        }
        if std::mem::replace(&mut seen[m], true) {
            return Err(CoreError::InvalidParameter {
                name: "medoids",
                reason: format!("medoid index {m} appears twice; medoids must be distinct"),
            });
        }
    }
    Ok(())
}

/// Nearest and second-nearest medoid slot of one point (`second == NONE` when `k == 1`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Nearest {
    near: u32,
    second: u32,
    d_near: f64,
    d_second: f64,
}

const NONE: u32 = u32::MAX;

impl Nearest {
    /// Scan every medoid: ordered by (distance, slot), so ties go to the lower slot.
    fn scan<F: Float>(d: &Dissimilarities<'_, F>, o: usize, medoids: &[usize]) -> Self {
        let row = d.row(o);
        let mut best = Nearest {
            near: NONE,
            second: NONE,
            d_near: f64::INFINITY,
            d_second: f64::INFINITY,
        };
        for (slot, &m) in medoids.iter().enumerate() {
            best.offer(slot as u32, row[m].to_f64());
        }
        best
    }

    /// Take medoid `slot` at distance `v` into account; slots must be offered in
    /// increasing order, or be new (see [`Self::offer_new`]).
    #[inline(always)]
    fn offer(&mut self, slot: u32, v: f64) {
        if v < self.d_near {
            self.second = self.near;
            self.d_second = self.d_near;
            self.near = slot;
            self.d_near = v;
        } else if v < self.d_second {
            self.second = slot;
            self.d_second = v;
        }
    }

    /// Take a medoid that replaced `slot` (neither nearest nor second here) into account,
    /// keeping the (distance, slot) order that a full scan would give.
    #[inline(always)]
    fn offer_new(&mut self, slot: u32, v: f64) {
        let before = |d: f64, s: u32| v < d || (v == d && slot < s);
        if before(self.d_near, self.near) {
            self.second = self.near;
            self.d_second = self.d_near;
            self.near = slot;
            self.d_near = v;
        } else if self.second == NONE || before(self.d_second, self.second) {
            self.second = slot;
            self.d_second = v;
        }
    }
}

/// Nearest / second-nearest medoids of every point (in parallel; each point on its own).
fn nearest_all<F: Float>(d: &Dissimilarities<'_, F>, medoids: &[usize]) -> Vec<Nearest> {
    (0..d.n())
        .into_par_iter()
        .with_min_len(1024)
        .map(|o| Nearest::scan(d, o, medoids))
        .collect()
}

/// After medoid `slot` became point `c`: update every point's nearest / second-nearest,
/// giving what [`nearest_all`] would.
fn update_after_swap<F: Float>(
    d: &Dissimilarities<'_, F>,
    medoids: &[usize],
    slot: usize,
    state: &mut [Nearest],
) {
    let row_c = d.row(medoids[slot]);
    let slot = slot as u32;
    state
        .par_iter_mut()
        .with_min_len(1024)
        .enumerate()
        .for_each(|(o, s)| {
            if s.near == slot || s.second == slot {
                *s = Nearest::scan(d, o, medoids);
            } else {
                s.offer_new(slot, row_c[o].to_f64());
            }
        });
}

/// `sum over points o with nearest slot i of (d_second(o) - d_near(o))`: the loss of
/// removing medoid `i` alone (`k == 1`: 0).
fn removal_loss(state: &[Nearest], k: usize) -> Vec<f64> {
    let mut loss = vec![0.0; k];
    if k > 1 {
        for s in state {
            loss[s.near as usize] += s.d_second - s.d_near;
        }
    }
    loss
}

/// The nearest medoid slot of every point (the first slot on ties) and its
/// dissimilarity.
pub fn assign<F: Float>(
    d: &Dissimilarities<'_, F>,
    medoids: &[usize],
) -> CoreResult<(Vec<i64>, Vec<f64>)> {
    check_medoids(medoids, d.n())?;
    let state = nearest_all(d, medoids);
    Ok(state.iter().map(|s| (i64::from(s.near), s.d_near)).unzip())
}

/// A finished k-medoids run.
#[derive(Debug, Clone, PartialEq)]
pub struct KMedoidsFit {
    /// Medoid indices, one per cluster (cluster `c` is medoid slot `c`).
    pub medoids: Vec<usize>,
    /// Cluster (medoid slot) of every point.
    pub labels: Vec<i64>,
    /// Sum of every point's dissimilarity to its medoid.
    pub loss: f64,
    /// Iterations: FasterPAM passes over the candidates, or PAM swaps (+1 for the final
    /// check that finds none).
    pub n_iter: usize,
    /// Swaps performed.
    pub n_swaps: usize,
    /// Whether the run stopped because no swap improves the loss (not at `max_iter`).
    pub converged: bool,
}

fn finish<F: Float>(
    d: &Dissimilarities<'_, F>,
    medoids: Vec<usize>,
    n_iter: usize,
    n_swaps: usize,
    converged: bool,
) -> CoreResult<KMedoidsFit> {
    let (labels, dists) = assign(d, &medoids)?;
    Ok(KMedoidsFit {
        medoids,
        labels,
        loss: dists.iter().sum(),
        n_iter,
        n_swaps,
        converged,
    })
}

#[cfg(test)]
pub(crate) mod test_data {
    use ndarray::Array2;

    /// Euclidean dissimilarities of `n` pseudo-random points in the plane, in clumps.
    pub fn points(n: usize, seed: u64) -> Array2<f64> {
        let mut state = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let c = (i % 5) as f64 * 3.0;
                (c + next(), c * 0.5 + next())
            })
            .collect();
        Array2::from_shape_fn((n, n), |(i, j)| {
            ((pts[i].0 - pts[j].0).powi(2) + (pts[i].1 - pts[j].1).powi(2)).sqrt()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn checks_the_matrix() {
        let good = array![[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]];
        let d = Dissimilarities::new(good.view()).unwrap();
        assert!(d.check(true).is_ok());
        let mut bad = good.clone();
        bad[[0, 2]] = -1.0;
        let err = Dissimilarities::new(bad.view())
            .unwrap()
            .check(false)
            .unwrap_err();
        assert!(err
            .to_string()
            .contains("1 negative value(s), the first at row 0, column 2"));
        bad[[0, 2]] = f64::NAN;
        assert!(matches!(
            Dissimilarities::new(bad.view()).unwrap().check(false),
            Err(CoreError::NonFinite(_))
        ));
        let mut diag = good.clone();
        diag[[1, 1]] = 0.5;
        let err = Dissimilarities::new(diag.view())
            .unwrap()
            .check(false)
            .unwrap_err();
        assert!(err.to_string().contains("row 1 has 0.5"));
        let mut asym = good.clone();
        asym[[2, 1]] = 2.5;
        let d = Dissimilarities::new(asym.view()).unwrap();
        assert!(d.check(false).is_ok());
        let err = d.check(true).unwrap_err();
        assert!(
            err.to_string().contains("d[1][2] = 3 and d[2][1] = 2.5"),
            "{err}"
        );
        let rect = ndarray::Array2::<f64>::zeros((2, 3));
        assert!(matches!(
            Dissimilarities::new(rect.view()),
            Err(CoreError::ShapeMismatch { .. })
        ));
        assert!(check_medoids(&[0, 0], 3).is_err());
        assert!(check_medoids(&[3], 3).is_err());
        assert!(check_medoids(&[], 3).is_err());
        assert!(matches!(
            check_medoids(&[0, 1, 2, 3], 3),
            Err(CoreError::NotEnoughSamples { .. })
        ));
    }

    #[test]
    fn incremental_update_equals_a_full_scan() {
        let x = test_data::points(300, 3);
        // Ties: a matrix with many equal values.
        let ties = x.mapv(|v| (v * 2.0).round());
        for m in [x, ties] {
            let d = Dissimilarities::new(m.view()).unwrap();
            let mut medoids = vec![3, 50, 120, 7];
            let mut state = nearest_all(&d, &medoids);
            for (slot, c) in [(1, 200), (0, 51), (3, 299), (2, 4)] {
                medoids[slot] = c;
                update_after_swap(&d, &medoids, slot, &mut state);
                assert_eq!(state, nearest_all(&d, &medoids));
            }
        }
    }
}
