//! k-medoids on a dissimilarity matrix: PAM's BUILD initialisation, PAM's best-swap
//! iteration and FasterPAM's eager swaps (Schubert & Rousseeuw 2021, "Fast and eager
//! k-medoids clustering: O(k) runtime improvement of the PAM, CLARA, and CLARANS
//! algorithms", Information Systems 101), implemented from the paper.
//!
//! Every algorithm is exposed in bounded steps ([`build_candidates`] and
//! [`pam_best_swap`] over a range of candidates, [`fasterpam_steps`] over a budget of
//! candidates) that the caller loops over, so a long run can stop between steps (Ctrl-C in
//! Python); [`build`], [`pam`] and [`fasterpam`] run them to the end. The state
//! between steps is the medoid indices (plus FasterPAM's cursor), so a run resumed from
//! them is the same run.
//!
//! A swap is made only when it lowers the loss by more than the loss's rounding error
//! (`n * eps * loss`): equivalent medoids (ties) would otherwise swap back and forth on
//! changes of a few ulps.
//!
//! Results are deterministic and do not depend on the number of threads: every sum runs
//! over the points in index order, ties go to the first medoid slot or the lowest
//! candidate index, and FasterPAM's parallel evaluation is speculative (candidates after
//! the first improving one are evaluated again after the swap), so it performs exactly
//! the sequential algorithm's swaps.

mod fasterpam;
mod pam;

use rayon::prelude::*;

pub use fasterpam::{fasterpam, fasterpam_steps, FasterPamState};
pub use pam::{build, build_candidates, build_step, pam, pam_best_swap, pam_swap_step};

pub use crate::distance::Dissimilarities;
use crate::numerics::{try_filled, Float};
use crate::params::{at_least, invalid, Params};
use crate::{CoreError, CoreResult, Interrupt};

/// Hyper-parameters of the swap phase ([`pam`], [`fasterpam`], [`fasterpam_steps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KMedoidsParams {
    /// At most this many PAM swaps, or FasterPAM passes over the candidates (`>= 1`).
    pub max_iter: usize,
}

impl Default for KMedoidsParams {
    fn default() -> Self {
        KMedoidsParams { max_iter: 100 }
    }
}

impl Params for KMedoidsParams {
    fn validate(&self) -> CoreResult<()> {
        at_least("max_iter", self.max_iter, 1)
    }
}

/// Check medoid indices: `1..=n` distinct points, each `< n`.
pub fn check_medoids(medoids: &[usize], n: usize) -> CoreResult<()> {
    let k = medoids.len();
    if k == 0 {
        return Err(invalid("medoids", "at least one medoid is required"));
    }
    if k > n {
        return Err(CoreError::NotEnoughSamples {
            n_samples: n,
            n_clusters: k,
        });
    }
    let mut seen = try_filled(n, false, "the medoid flags")?;
    for &m in medoids {
        if m >= n {
            return Err(invalid(
                "medoids",
                format!("medoid index {m} is out of range for {n} points"),
            ));
        }
        if std::mem::replace(&mut seen[m], true) {
            return Err(invalid(
                "medoids",
                format!("medoid index {m} appears twice; medoids must be distinct"),
            ));
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

/// The change of the loss a swap must beat: minus the rounding error of the loss, a sum
/// of `n` distances (`n * eps * loss`). Swaps between equivalent medoids (ties) have a
/// change of a few ulps either way; taking those would swap forever.
fn swap_threshold(state: &[Nearest]) -> f64 {
    let loss: f64 = state.iter().map(|s| s.d_near).sum();
    -(loss * state.len() as f64 * f64::EPSILON)
}

/// The nearest medoid slot of every point (the first slot on ties) and its
/// dissimilarity. Checks `stop` before each point ([`CoreError::Interrupted`]).
pub fn assign<F: Float>(
    d: &Dissimilarities<'_, F>,
    medoids: &[usize],
    stop: &Interrupt,
) -> CoreResult<(Vec<i64>, Vec<f64>)> {
    check_medoids(medoids, d.n())?;
    let state: Vec<Nearest> = (0..d.n())
        .into_par_iter()
        .with_min_len(1024)
        .map(|o| {
            stop.check()?;
            Ok(Nearest::scan(d, o, medoids))
        })
        .collect::<CoreResult<_>>()?;
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
    // The fits check their own stop between steps.
    let (labels, dists) = assign(d, &medoids, &Interrupt::new())?;
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

    #[test]
    fn sizes_the_machine_cannot_hold_are_errors() {
        // The per-point buffers of a fit are sized by the n x n matrix it holds; the medoid
        // check takes n from its caller.
        match check_medoids(&[0], usize::MAX / 2) {
            Err(CoreError::Allocation { what, .. }) => assert_eq!(what, "the medoid flags"),
            other => panic!("{other:?}"),
        }
        assert!(check_medoids(&[0, 2], 3).is_ok());
    }

    #[test]
    fn a_requested_stop_ends_assign() {
        let m = test_data::points(300, 1);
        let d = Dissimilarities::new(m.view()).unwrap();
        let (labels, _) = assign(&d, &[0, 5], &Interrupt::new()).unwrap();
        assert_eq!((labels[0], labels[5]), (0, 1));
        let stop = Interrupt::new();
        stop.request();
        assert_eq!(
            assign(&d, &[0, 5], &stop).map(drop),
            Err(CoreError::Interrupted)
        );
    }

    #[test]
    fn params_name_the_parameter() {
        assert_eq!(KMedoidsParams::default().check().unwrap().max_iter, 100);
        match (KMedoidsParams { max_iter: 0 }).check() {
            Err(CoreError::InvalidParameter { name, reason }) => {
                assert_eq!((name, reason.as_str()), ("max_iter", "must be >= 1, got 0"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn checks_medoid_indices() {
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
