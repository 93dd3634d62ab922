//! Hamerly's exact accelerated k-means (Hamerly 2010, "Making k-means even faster").
//!
//! Each row keeps an upper bound on the distance to its centre and a lower bound on the
//! distance to every other centre; a row whose upper bound is below
//! `max(lower bound, half the distance from its centre to the nearest other centre)`
//! cannot change label, so its distances are not computed. The labels per iteration are
//! those of Lloyd's algorithm from the same start (up to floating-point ties), so centres,
//! inertia and the iteration count match [`super::lloyd`].
//!
//! A row is skipped only when its bound wins by a relative margin
//! ([`KFloat::BOUND_SLACK`], far above rounding error), so distance ties and near-ties are
//! always settled by the same distance kernel and tie rule (lowest index) as Lloyd's and
//! `predict`'s: the final labels equal `predict(x, centres)` exactly.
//!
//! Centre sums are kept per cluster and updated only for rows that change label (in
//! `f64`, deltas reduced in fixed group order): after the first iteration a row that keeps
//! its label is never read again, which is what makes an iteration cheap.

use rayon::prelude::*;

use super::common::{
    average_centres, centre_shifts, group_rows, relocate_empty_clusters, sq_dist, sq_dist_f64,
    with_simd, CentreBlocks, Data, KFloat, Sums,
};
use super::lloyd::RunResult;

/// Half the distance from each centre to its nearest other centre.
fn half_nearest_centre<F: KFloat>(centres: &[F], k: usize, d: usize) -> Vec<f64> {
    let mut s = vec![f64::INFINITY; k];
    for a in 0..k {
        for b in (a + 1)..k {
            let dist = sq_dist_f64(&centres[a * d..(a + 1) * d], &centres[b * d..(b + 1) * d])
                .sqrt()
                * 0.5;
            if dist < s[a] {
                s[a] = dist;
            }
            if dist < s[b] {
                s[b] = dist;
            }
        }
    }
    s
}

/// For each cluster `a`, the largest shift among the other centres.
fn max_other_shift(shifts: &[f64]) -> Vec<f64> {
    let k = shifts.len();
    let (mut i1, mut m1, mut m2) = (0usize, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (c, &p) in shifts.iter().enumerate() {
        if p > m1 {
            m2 = m1;
            m1 = p;
            i1 = c;
        } else if p > m2 {
            m2 = p;
        }
    }
    (0..k)
        .map(|c| if c == i1 { m2.max(0.0) } else { m1.max(0.0) })
        .collect()
}

/// Per-group changes of the cluster sums.
struct Delta {
    sums: Option<Sums>,
    count: Vec<i64>,
    positive: Vec<i64>,
    changed: usize,
}

/// One Hamerly run from `init`; same contract as [`super::lloyd::run`].
pub fn run<F: KFloat>(
    data: &Data<'_, F>,
    init: &[F],
    k: usize,
    max_iter: usize,
    tol: f64,
) -> RunResult<F> {
    let (d, n) = (data.d, data.n);
    let rows = group_rows(n);
    let mut centres = init.to_vec();
    let mut new_centres = vec![F::zero(); k * d];
    let mut labels = vec![-1i32; n];
    let mut upper = vec![0.0f64; n];
    let mut lower = vec![0.0f64; n];
    let mut sums = Sums::zeros(k, d);
    let mut count = vec![0i64; k];
    let mut positive = vec![0i64; k];
    // Shifts of the last centre update, applied to the bounds lazily in the next pass.
    let mut shifts = vec![0.0f64; k];
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
        let half = half_nearest_centre(&centres, k, d);
        let other = max_other_shift(&shifts);
        let slack = 1.0 + F::BOUND_SLACK;
        let blocks = CentreBlocks::new(&centres, k, d);
        let cref = &centres;
        let parts: Vec<Delta> = labels
            .par_chunks_mut(rows)
            .zip(upper.par_chunks_mut(rows))
            .zip(lower.par_chunks_mut(rows))
            .enumerate()
            .map(|(g, ((lab, up), lo))| {
                with_simd(
                    #[inline(always)]
                    || {
                        let mut delta = Delta {
                            sums: None,
                            count: vec![0; k],
                            positive: vec![0; k],
                            changed: 0,
                        };
                        let mut buf = vec![F::zero(); blocks.padded()];
                        let start = g * rows;
                        for o in 0..lab.len() {
                            let i = start + o;
                            let row = data.row(i);
                            let old = lab[o];
                            let new_label;
                            if old < 0 {
                                let (c, d1, d2) = blocks.closest_two(row, &mut buf);
                                up[o] = d1.to_f64().sqrt();
                                lo[o] = d2.map_or(f64::INFINITY, |v| v.to_f64().sqrt());
                                new_label = c;
                            } else {
                                let a = old as usize;
                                up[o] += shifts[a];
                                lo[o] -= other[a];
                                let m = half[a].max(lo[o]);
                                if up[o] * slack < m {
                                    continue;
                                }
                                up[o] = sq_dist(row, &cref[a * d..(a + 1) * d]).to_f64().sqrt();
                                if up[o] * slack < m {
                                    continue;
                                }
                                let (c, d1, d2) = blocks.closest_two(row, &mut buf);
                                up[o] = d1.to_f64().sqrt();
                                lo[o] = d2.map_or(f64::INFINITY, |v| v.to_f64().sqrt());
                                if c == a {
                                    continue;
                                }
                                new_label = c;
                            }
                            let w = data.weight(i);
                            let s = delta.sums.get_or_insert_with(|| Sums::zeros(k, d));
                            if old >= 0 {
                                let a = old as usize;
                                s.sub(a, row, w);
                                delta.count[a] -= 1;
                                delta.positive[a] -= (w > 0.0) as i64;
                            }
                            s.add(new_label, row, w);
                            delta.count[new_label] += 1;
                            delta.positive[new_label] += (w > 0.0) as i64;
                            delta.changed += 1;
                            lab[o] = new_label as i32;
                        }
                        delta
                    },
                )
            })
            .collect();
        let mut changed = 0;
        for part in &parts {
            if let Some(s) = &part.sums {
                sums.merge(s);
            }
            for c in 0..k {
                count[c] += part.count[c];
                positive[c] += part.positive[c];
            }
            changed += part.changed;
        }
        // A cluster with no (positively weighted) row has exactly zero sums; reset them so
        // rounding left by incremental updates cannot fake a non-empty cluster.
        for c in 0..k {
            if positive[c] == 0 {
                sums.w[c] = 0.0;
                sums.s[c * d..(c + 1) * d].fill(0.0);
            }
        }
        let mut msum = sums.clone();
        relocate_empty_clusters(data, &centres, &labels, &mut msum);
        average_centres(&msum, k, d, &mut new_centres);
        shifts = centre_shifts(&centres, &new_centres, k, d);
        let shift_tot: f64 = shifts.iter().map(|s| s * s).sum();
        std::mem::swap(&mut centres, &mut new_centres);
        if changed == 0 || shift_tot <= tol {
            break;
        }
    }
    let inertia = final_assignment(
        data,
        &centres,
        k,
        &mut labels,
        &mut upper,
        &mut lower,
        &shifts,
    );
    RunResult {
        centres,
        labels,
        inertia,
        n_iter,
    }
}

/// Labels against the final centres (bound-pruned) and the weighted inertia.
fn final_assignment<F: KFloat>(
    data: &Data<'_, F>,
    centres: &[F],
    k: usize,
    labels: &mut [i32],
    upper: &mut [f64],
    lower: &mut [f64],
    shifts: &[f64],
) -> f64 {
    let d = data.d;
    let rows = group_rows(data.n);
    let half = half_nearest_centre(centres, k, d);
    let other = max_other_shift(shifts);
    let slack = 1.0 + F::BOUND_SLACK;
    let blocks = CentreBlocks::new(centres, k, d);
    let parts: Vec<f64> = labels
        .par_chunks_mut(rows)
        .zip(upper.par_chunks_mut(rows))
        .zip(lower.par_chunks_mut(rows))
        .enumerate()
        .map(|(g, ((lab, up), lo))| {
            with_simd(
                #[inline(always)]
                || {
                    let mut buf = vec![F::zero(); blocks.padded()];
                    let mut inertia = 0.0;
                    let start = g * rows;
                    for o in 0..lab.len() {
                        let i = start + o;
                        let row = data.row(i);
                        let mut a = lab[o].max(0) as usize;
                        lo[o] -= other[a];
                        let m = half[a].max(lo[o]);
                        let mut dd = sq_dist_f64(row, &centres[a * d..(a + 1) * d]);
                        if dd.sqrt() * slack >= m {
                            let (c, _, _) = blocks.closest_two(row, &mut buf);
                            if c != a {
                                a = c;
                                lab[o] = c as i32;
                                dd = sq_dist_f64(row, &centres[a * d..(a + 1) * d]);
                            }
                        }
                        up[o] = dd.sqrt();
                        inertia += dd * data.weight(i);
                    }
                    inertia
                },
            )
        })
        .collect();
    parts.iter().sum()
}
