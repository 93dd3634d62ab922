//! FasterPAM (Schubert & Rousseeuw 2021, Algorithm 2): eager swaps with the O(k)
//! evaluation of all `k` swaps of one candidate.
//!
//! For a candidate point `c`, the change of the loss when medoid `i` is replaced by `c`
//! is `removal_loss[i] + acc + delta[i]`, where, over all points `o` with nearest medoid
//! `n(o)` at `d_n(o)` and second nearest at `d_s(o)`:
//!
//! * `removal_loss[i] = sum_{o: n(o) = i} (d_s(o) - d_n(o))` (the loss of removing `i`);
//! * if `d(o, c) < d_n(o)`, `o` moves to `c` whichever medoid leaves:
//!   `acc += d(o, c) - d_n(o)`, and `delta[n(o)] += d_n(o) - d_s(o)` undoes the removal
//!   loss counted for it;
//! * else if `d(o, c) < d_s(o)`, `o` goes to `c` only if `n(o)` leaves:
//!   `delta[n(o)] += d(o, c) - d_s(o)`.
//!
//! Candidates are visited in index order, cyclically; the best swap of a candidate is
//! made at once when it lowers the loss (by more than its rounding error), and the run ends after a full cycle of
//! candidates without a swap (or after `max_iter` passes over the candidates).
//! Candidates at dissimilarity 0 from a medoid (the medoids and their duplicates) cannot
//! lower the loss and are skipped.

use rayon::prelude::*;

use super::KMedoidsParams;
use super::{
    check_medoids, finish, nearest_all, removal_loss, swap_threshold, update_after_swap,
    Dissimilarities, KMedoidsFit, Nearest,
};
use crate::numerics::Float;
use crate::params::Checked;
use crate::CoreResult;

/// Where a FasterPAM run stands between calls of [`fasterpam_steps`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FasterPamState {
    /// The next candidate to evaluate.
    pub cursor: usize,
    /// Candidates visited since the last swap (the run has converged at `n`).
    pub since_swap: usize,
    /// Passes over the candidates started.
    pub passes: usize,
    /// Swaps made.
    pub swaps: usize,
}

/// The best swap for candidate `c`: (medoid slot, change of the loss); exact for any
/// non-medoid candidate, so PAM's SWAP uses it too.
pub(super) fn best_swap<F: Float>(
    d: &Dissimilarities<'_, F>,
    c: usize,
    state: &[Nearest],
    removal: &[f64],
) -> (usize, f64) {
    let row = d.row(c);
    let k = removal.len();
    if k == 1 {
        let change: f64 = row
            .iter()
            .zip(state)
            .map(|(&v, s)| v.to_f64() - s.d_near)
            .sum();
        return (0, change);
    }
    let mut delta = removal.to_vec();
    let mut acc = 0.0;
    for (&v, s) in row.iter().zip(state) {
        let v = v.to_f64();
        if v < s.d_near {
            acc += v - s.d_near;
            delta[s.near as usize] += s.d_near - s.d_second;
        } else if v < s.d_second {
            delta[s.near as usize] += v - s.d_second;
        }
    }
    let mut best = (0, delta[0]);
    for (i, &v) in delta.iter().enumerate().skip(1) {
        if v < best.1 {
            best = (i, v);
        }
    }
    (best.0, best.1 + acc)
}

/// Continue a FasterPAM run from `medoids` and `progress` for at most `budget`
/// candidates (at least 1), or until it converges or starts pass `params.max_iter + 1`.
///
/// Returns `true` when the run has converged (a full cycle without a swap). `medoids` and
/// `progress` are updated in place; calling again with them continues the same run, so
/// the result does not depend on the budget.
pub fn fasterpam_steps<F: Float>(
    d: &Dissimilarities<'_, F>,
    medoids: &mut [usize],
    progress: &mut FasterPamState,
    params: &Checked<KMedoidsParams>,
    budget: usize,
) -> CoreResult<bool> {
    let max_iter = params.max_iter;
    let n = d.n();
    check_medoids(medoids, n)?;
    let k = medoids.len();
    let mut state = nearest_all(d, medoids);
    let mut removal = removal_loss(&state, k);
    let mut threshold = swap_threshold(&state);
    // Candidates evaluated together: speculative beyond the first improving one.
    let batch = 2 * rayon::current_num_threads().max(1);
    let mut left = budget.max(1);
    progress.cursor %= n;
    while progress.since_swap < n && left > 0 {
        // A new pass starts at candidate 0 (and a run's first call starts one).
        if progress.cursor == 0 || progress.passes == 0 {
            if progress.passes >= max_iter {
                return Ok(false);
            }
            progress.passes += 1;
        }
        // The next candidates, within this pass, the budget and the cycle.
        let span = batch
            .min(n - progress.cursor)
            .min(left)
            .min(n - progress.since_swap);
        let first = progress.cursor;
        let candidates: Vec<usize> = (first..first + span)
            .filter(|&c| state[c].d_near > 0.0)
            .collect();
        let found = if candidates.len() > 1 {
            let evaluated: Vec<(usize, usize, f64)> = candidates
                .par_iter()
                .map(|&c| {
                    let (slot, change) = best_swap(d, c, &state, &removal);
                    (c, slot, change)
                })
                .collect();
            evaluated.into_iter().find(|e| e.2 < threshold)
        } else {
            candidates
                .first()
                .map(|&c| {
                    let (slot, change) = best_swap(d, c, &state, &removal);
                    (c, slot, change)
                })
                .filter(|e| e.2 < threshold)
        };
        let consumed = match found {
            Some((c, slot, _)) => {
                medoids[slot] = c;
                update_after_swap(d, medoids, slot, &mut state);
                removal = removal_loss(&state, k);
                threshold = swap_threshold(&state);
                progress.swaps += 1;
                // The cycle restarts after the swapped candidate.
                progress.since_swap = 0;
                c - first + 1
            }
            None => {
                progress.since_swap += span;
                span
            }
        };
        left = left.saturating_sub(consumed);
        progress.cursor = (first + consumed) % n;
    }
    Ok(progress.since_swap >= n)
}

/// FasterPAM from the initial `medoids` to convergence or `params.max_iter` passes.
pub fn fasterpam<F: Float>(
    d: &Dissimilarities<'_, F>,
    medoids: &[usize],
    params: &Checked<KMedoidsParams>,
) -> CoreResult<KMedoidsFit> {
    let mut medoids = medoids.to_vec();
    let mut progress = FasterPamState::default();
    let converged = fasterpam_steps(d, &mut medoids, &mut progress, params, usize::MAX)?;
    finish(d, medoids, progress.passes, progress.swaps, converged)
}

#[cfg(test)]
mod tests {
    use super::super::test_data::points;
    use super::super::{assign, pam};
    use super::*;
    use crate::params::Params;
    use crate::Interrupt;

    fn max_iter(max_iter: usize) -> Checked<KMedoidsParams> {
        KMedoidsParams { max_iter }.check().unwrap()
    }
    use ndarray::Array2;

    /// The textbook sequential FasterPAM, evaluating each swap by brute force.
    fn brute_force(x: &Array2<f64>, init: &[usize]) -> (Vec<usize>, f64) {
        let n = x.nrows();
        let loss = |m: &[usize]| -> f64 {
            (0..n)
                .map(|o| m.iter().map(|&j| x[[o, j]]).fold(f64::INFINITY, f64::min))
                .sum()
        };
        let mut medoids = init.to_vec();
        let mut current = loss(&medoids);
        let mut last_swap: Option<usize> = None;
        'outer: loop {
            let mut swapped = false;
            for c in 0..n {
                if last_swap == Some(c) {
                    break 'outer;
                }
                if medoids.iter().any(|&m| x[[c, m]] == 0.0) {
                    continue;
                }
                let mut best = (0, f64::INFINITY);
                for i in 0..medoids.len() {
                    let mut trial = medoids.clone();
                    trial[i] = c;
                    let l = loss(&trial);
                    if l < best.1 {
                        best = (i, l);
                    }
                }
                if best.1 < current - 1e-9 {
                    medoids[best.0] = c;
                    current = best.1;
                    last_swap = Some(c);
                    swapped = true;
                }
            }
            if !swapped {
                break;
            }
        }
        (medoids, current)
    }

    #[test]
    fn same_swaps_as_the_textbook_algorithm() {
        for (n, k, seed) in [(60, 3, 1), (150, 5, 2), (97, 1, 3), (40, 7, 4)] {
            let x = points(n, seed);
            let d = Dissimilarities::new(x.view()).unwrap();
            let init: Vec<usize> = (0..k).map(|i| i * 3).collect();
            let fit = fasterpam(&d, &init, &max_iter(100)).unwrap();
            let (want, loss) = brute_force(&x, &init);
            assert_eq!(fit.medoids, want, "n={n} k={k}");
            assert!((fit.loss - loss).abs() < 1e-9 * loss.max(1.0));
            assert!(fit.converged);
            let (labels, _) = assign(&d, &fit.medoids, &Interrupt::new()).unwrap();
            assert_eq!(fit.labels, labels);
        }
    }

    #[test]
    fn any_budget_and_thread_count_give_the_same_run() {
        let x = points(400, 9);
        let d = Dissimilarities::new(x.view()).unwrap();
        let init = [0, 1, 2, 3, 4, 5];
        let whole = fasterpam(&d, &init, &max_iter(100)).unwrap();
        for budget in [1, 7, 399, 401] {
            let mut medoids = init.to_vec();
            let mut progress = FasterPamState::default();
            while !fasterpam_steps(&d, &mut medoids, &mut progress, &max_iter(100), budget).unwrap()
            {
            }
            assert_eq!(medoids, whole.medoids, "budget {budget}");
            assert_eq!(progress.swaps, whole.n_swaps);
        }
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let fit = pool.install(|| fasterpam(&d, &init, &max_iter(100)).unwrap());
            assert_eq!(fit, whole);
        }
        // Never worse than where it started, and a local optimum PAM cannot improve.
        let start: f64 = assign(&d, &init, &Interrupt::new()).unwrap().1.iter().sum();
        assert!(whole.loss < start);
        let polished = pam(&d, &whole.medoids, &max_iter(100)).unwrap();
        assert_eq!(polished.medoids, whole.medoids);
    }

    #[test]
    fn max_iter_stops_early() {
        let x = points(200, 5);
        let d = Dissimilarities::new(x.view()).unwrap();
        let fit = fasterpam(&d, &[0, 1, 2, 3], &max_iter(1)).unwrap();
        assert_eq!(fit.n_iter, 1);
        let full = fasterpam(&d, &[0, 1, 2, 3], &max_iter(100)).unwrap();
        assert!(full.loss <= fit.loss);
        assert!(full.n_iter >= 2);
        // Every point a medoid: nothing to do.
        let all: Vec<usize> = (0..200).collect();
        let fit = fasterpam(&d, &all, &max_iter(100)).unwrap();
        assert_eq!(fit.loss, 0.0);
        assert!(fit.converged);
    }
}
