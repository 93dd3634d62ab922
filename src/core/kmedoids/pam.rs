//! PAM (Kaufman & Rousseeuw 1990): the BUILD initialisation and the SWAP phase, which
//! makes the best of all `k (n - k)` swaps at each iteration. Each candidate's `k` swaps
//! are evaluated at once in O(n) (FastPAM1, Schubert & Rousseeuw 2021), which gives the
//! same swaps as the original O(k n) evaluation; candidates are evaluated in parallel.

use std::ops::Range;

use rayon::prelude::*;

use super::fasterpam::best_swap;
use super::KMedoidsParams;
use super::{
    check_medoids, finish, nearest_all, removal_loss, swap_threshold, Dissimilarities, KMedoidsFit,
};
use crate::numerics::{try_filled, try_with_capacity, Float};
use crate::params::{at_least, invalid, Checked};
use crate::{CoreError, CoreResult};

/// The best of `a` and `b` by (value, index), the lowest index on ties: the same winner
/// whatever the order of a parallel reduction.
fn better(a: (usize, f64), b: (usize, f64)) -> (usize, f64) {
    if b.1 < a.1 || (b.1 == a.1 && b.0 < a.0) {
        b
    } else {
        a
    }
}

/// BUILD's best candidate among the points `candidates` after `medoids`, as
/// `(point, score)` with the score to minimise (`None` when every candidate is a medoid).
///
/// With no medoid yet, the score is the point's total dissimilarity to all points; then it
/// is minus the total lowering of every point's dissimilarity to its nearest medoid. Ties
/// go to the lowest index, so the best of consecutive ranges (the lowest score, the first
/// range on ties) is the best of their union.
pub fn build_candidates<F: Float>(
    d: &Dissimilarities<'_, F>,
    medoids: &[usize],
    candidates: Range<usize>,
) -> CoreResult<Option<(usize, f64)>> {
    let n = d.n();
    if !medoids.is_empty() {
        check_medoids(medoids, n)?;
    }
    check_range(&candidates, n)?;
    let near: Vec<f64> = if medoids.is_empty() {
        Vec::new()
    } else {
        let mut near = try_with_capacity(n, "the nearest medoid distances")?;
        near.extend(nearest_all(d, medoids).iter().map(|s| s.d_near));
        near
    };
    let mut is_medoid = try_filled(n, false, "the medoid flags")?;
    for &m in medoids {
        is_medoid[m] = true;
    }
    let best = candidates
        .into_par_iter()
        .filter(|&c| !is_medoid[c])
        .map(|c| {
            let row = d.row(c);
            let score = if medoids.is_empty() {
                row.iter().map(|v| v.to_f64()).sum::<f64>()
            } else {
                -row.iter()
                    .zip(&near)
                    .map(|(&v, &dn)| (dn - v.to_f64()).max(0.0))
                    .sum::<f64>()
            };
            (c, score)
        })
        .reduce(|| (usize::MAX, f64::INFINITY), better);
    Ok((best.0 != usize::MAX).then_some(best))
}

/// The next medoid of PAM's BUILD after `medoids`: with none, the point of smallest total
/// dissimilarity to all points; then the point that lowers the total dissimilarity of
/// every point to its nearest medoid the most (the lowest index on ties).
pub fn build_step<F: Float>(d: &Dissimilarities<'_, F>, medoids: &[usize]) -> CoreResult<usize> {
    match build_candidates(d, medoids, 0..d.n())? {
        Some((c, _)) => Ok(c),
        None => Err(CoreError::NotEnoughSamples {
            n_samples: d.n(),
            n_clusters: medoids.len() + 1,
        }),
    }
}

fn check_range(candidates: &Range<usize>, n: usize) -> CoreResult<()> {
    if candidates.start > candidates.end || candidates.end > n {
        return Err(invalid(
            "candidates",
            format!(
                "candidates {}..{} are outside the {n} points",
                candidates.start, candidates.end
            ),
        ));
    }
    Ok(())
}

/// PAM's BUILD: `k` medoids, one [`build_step`] at a time.
pub fn build<F: Float>(d: &Dissimilarities<'_, F>, k: usize) -> CoreResult<Vec<usize>> {
    at_least("n_clusters", k, 1)?;
    if k > d.n() {
        return Err(CoreError::NotEnoughSamples {
            n_samples: d.n(),
            n_clusters: k,
        });
    }
    let mut medoids = Vec::with_capacity(k);
    for _ in 0..k {
        let next = build_step(d, &medoids)?;
        medoids.push(next);
    }
    Ok(medoids)
}

/// PAM's best swap with a candidate among the points `candidates`: `(candidate, medoid
/// slot, change of the loss)`, the lowest change (the lowest candidate index, then slot, on
/// ties), or `None` when no swap there lowers the loss (by more than its rounding error).
/// The best of consecutive ranges (the lowest change, the first range on ties) is the
/// best of their union.
pub fn pam_best_swap<F: Float>(
    d: &Dissimilarities<'_, F>,
    medoids: &[usize],
    candidates: Range<usize>,
) -> CoreResult<Option<(usize, usize, f64)>> {
    let n = d.n();
    check_medoids(medoids, n)?;
    check_range(&candidates, n)?;
    let state = nearest_all(d, medoids);
    let removal = removal_loss(&state, medoids.len());
    let (c, (slot, change)) = candidates
        .into_par_iter()
        .filter(|&c| state[c].d_near > 0.0)
        .map(|c| (c, best_swap(d, c, &state, &removal)))
        .reduce(
            || (usize::MAX, (0, f64::INFINITY)),
            |a, b| {
                let (i, v) = better((a.0, a.1 .1), (b.0, b.1 .1));
                if i == a.0 {
                    (i, (a.1 .0, v))
                } else {
                    (i, (b.1 .0, v))
                }
            },
        );
    Ok((c != usize::MAX && change < swap_threshold(&state)).then_some((c, slot, change)))
}

/// One iteration of PAM's SWAP: make the best swap of all if it lowers the loss (returns
/// `true`), else leave `medoids` as they are (`false`: converged).
pub fn pam_swap_step<F: Float>(
    d: &Dissimilarities<'_, F>,
    medoids: &mut [usize],
) -> CoreResult<bool> {
    match pam_best_swap(d, medoids, 0..d.n())? {
        Some((c, slot, _)) => {
            medoids[slot] = c;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// PAM's SWAP phase from the initial `medoids`, at most `params.max_iter` swaps.
pub fn pam<F: Float>(
    d: &Dissimilarities<'_, F>,
    medoids: &[usize],
    params: &Checked<KMedoidsParams>,
) -> CoreResult<KMedoidsFit> {
    let max_iter = params.max_iter;
    let mut medoids = medoids.to_vec();
    let mut swaps = 0;
    let mut converged = false;
    while swaps < max_iter {
        if !pam_swap_step(d, &mut medoids)? {
            converged = true;
            break;
        }
        swaps += 1;
    }
    finish(d, medoids, swaps + usize::from(converged), swaps, converged)
}

#[cfg(test)]
mod tests {
    use super::super::test_data::points;
    use super::*;
    use crate::params::Params;

    fn total(x: &ndarray::Array2<f64>, m: &[usize]) -> f64 {
        (0..x.nrows())
            .map(|o| m.iter().map(|&j| x[[o, j]]).fold(f64::INFINITY, f64::min))
            .sum()
    }

    #[test]
    fn build_is_greedy_and_swap_takes_the_best_swap() {
        let x = points(120, 11);
        let d = Dissimilarities::new(x.view()).unwrap();
        let medoids = build(&d, 4).unwrap();
        // Greedy by brute force.
        let mut greedy: Vec<usize> = Vec::new();
        for _ in 0..4 {
            let best = (0..120)
                .filter(|c| !greedy.contains(c))
                .map(|c| {
                    let mut t = greedy.clone();
                    t.push(c);
                    (c, total(&x, &t))
                })
                .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
            greedy.push(best.0);
        }
        assert_eq!(medoids, greedy);
        // One SWAP iteration = the best single swap by brute force.
        let start = vec![0, 1, 2, 3];
        let mut best = (start.clone(), total(&x, &start));
        for c in 0..120 {
            if start.contains(&c) {
                continue;
            }
            for i in 0..4 {
                let mut t = start.clone();
                t[i] = c;
                let l = total(&x, &t);
                if l < best.1 - 1e-12 {
                    best = (t, l);
                }
            }
        }
        let mut m = start.clone();
        assert!(pam_swap_step(&d, &mut m).unwrap());
        assert_eq!(m, best.0);
        let fit = pam(&d, &medoids, &KMedoidsParams::default().check().unwrap()).unwrap();
        assert!(fit.converged);
        assert!(fit.loss <= total(&x, &medoids) + 1e-12);
        let mut again = fit.medoids.clone();
        assert!(!pam_swap_step(&d, &mut again).unwrap());
        assert!(matches!(
            build(&d, 121),
            Err(CoreError::NotEnoughSamples { .. })
        ));
    }

    #[test]
    fn the_best_of_ranges_is_the_best_of_all() {
        // Ties everywhere: the lowest index must still win across ranges.
        let x = points(90, 4).mapv(|v| v.round());
        let d = Dissimilarities::new(x.view()).unwrap();
        let medoids = [5, 40];
        let whole = build_candidates(&d, &medoids, 0..90).unwrap().unwrap();
        let swap = pam_best_swap(&d, &medoids, 0..90).unwrap();
        assert!(swap.is_some());
        for cut in [1, 13, 45, 89] {
            let (a, b) = (
                build_candidates(&d, &medoids, 0..cut).unwrap(),
                build_candidates(&d, &medoids, cut..90).unwrap(),
            );
            let joined = match (a, b) {
                (Some(a), Some(b)) => better(a, b),
                (a, b) => a.or(b).unwrap(),
            };
            assert_eq!(joined, whole);
            let (a, b) = (
                pam_best_swap(&d, &medoids, 0..cut).unwrap(),
                pam_best_swap(&d, &medoids, cut..90).unwrap(),
            );
            let joined = match (a, b) {
                (Some(a), Some(b)) if b.2 < a.2 => Some(b),
                (Some(a), _) => Some(a),
                (None, b) => b,
            };
            assert_eq!(joined, swap);
        }
        assert_eq!(build_candidates(&d, &[], 3..3).unwrap(), None);
        assert!(build_candidates(&d, &[], 3..91).is_err());
    }
}
