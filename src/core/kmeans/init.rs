//! Initial centres: greedy k-means++ and weighted random rows (scikit-learn's semantics,
//! with segwise's own random streams, so the chosen rows differ from scikit-learn's).

use rand::Rng;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::common::{group_rows, sq_dist, with_simd, CentreBlocks, Data, KFloat};
use crate::core::{CoreError, CoreResult};

/// The random stream of restart `restart`: the seed's stream jumped `restart` times
/// (2^128 steps each), so restarts never share random numbers and each is reproducible
/// whatever thread runs it.
pub fn restart_rng(seed: u64, restart: usize) -> Xoshiro256PlusPlus {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    for _ in 0..restart {
        rng.jump();
    }
    rng
}

/// First index whose cumulative sum is `>= target` (numpy's `searchsorted`, side left),
/// clipped to the last index.
fn search_cumulative(cum: &[f64], target: f64) -> usize {
    let idx = cum.partition_point(|&c| c < target);
    idx.min(cum.len().saturating_sub(1))
}

/// Weighted squared distances `w_i * min(closest_i, ||x_i - c||^2)` reduced per group in
/// group order; also returns the updated minimum distances when `update` is set.
fn potential_with<F: KFloat>(
    data: &Data<'_, F>,
    closest: &[f64],
    centre: &[F],
    new_closest: Option<&mut [f64]>,
) -> f64 {
    let rows = group_rows(data.n);
    let part = |g: usize, dst: Option<&mut [f64]>| -> f64 {
        with_simd(
            #[inline(always)]
            || {
                let start = g * rows;
                let end = (start + rows).min(data.n);
                let mut pot = 0.0;
                match dst {
                    Some(dst) => {
                        for (o, i) in (start..end).enumerate() {
                            let v = sq_dist(data.row(i), centre).to_f64().min(closest[i]);
                            dst[o] = v;
                            pot += v * data.weight(i);
                        }
                    }
                    None => {
                        for i in start..end {
                            let v = sq_dist(data.row(i), centre).to_f64().min(closest[i]);
                            pot += v * data.weight(i);
                        }
                    }
                }
                pot
            },
        )
    };
    let parts: Vec<f64> = match new_closest {
        Some(dst) => dst
            .par_chunks_mut(rows)
            .enumerate()
            .map(|(g, c)| part(g, Some(c)))
            .collect(),
        None => (0..data.n.div_ceil(rows))
            .into_par_iter()
            .map(|g| part(g, None))
            .collect(),
    };
    parts.iter().sum()
}

/// Potentials `sum_i w_i * min(closest_i, ||x_i - x_c||^2)` of every candidate row `c`,
/// in one pass over the data (candidates as a block of centres), reduced in group order.
fn candidate_potentials<F: KFloat>(
    data: &Data<'_, F>,
    closest: &[f64],
    candidates: &[usize],
) -> Vec<f64> {
    let (n, d) = (data.n, data.d);
    let t = candidates.len();
    let mut rows = Vec::with_capacity(t * d);
    for &c in candidates {
        rows.extend_from_slice(data.row(c));
    }
    let blocks = CentreBlocks::new(&rows, t, d);
    let group = group_rows(n);
    let parts: Vec<Vec<f64>> = (0..n.div_ceil(group))
        .into_par_iter()
        .map(|g| {
            with_simd(
                #[inline(always)]
                || {
                    let mut buf = vec![F::zero(); blocks.padded()];
                    let mut pot = vec![0.0f64; t];
                    let end = ((g + 1) * group).min(n);
                    for i in g * group..end {
                        blocks.distances(data.row(i), &mut buf);
                        let w = data.weight(i);
                        let ci = closest[i];
                        for (p, v) in pot.iter_mut().zip(&buf[..t]) {
                            *p += v.to_f64().min(ci) * w;
                        }
                    }
                    pot
                },
            )
        })
        .collect();
    let mut total = vec![0.0f64; t];
    for part in parts {
        for (a, b) in total.iter_mut().zip(part) {
            *a += b;
        }
    }
    total
}

/// Greedy k-means++ (scikit-learn's `_kmeans_plusplus`): the first centre is drawn with
/// probability proportional to the weight; each next one is the best, by potential, of
/// `2 + floor(ln k)` candidates drawn proportionally to `weight * closest squared distance`.
pub fn kmeans_plusplus<F: KFloat>(
    data: &Data<'_, F>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<F> {
    let (n, d) = (data.n, data.d);
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centres = Vec::with_capacity(k * d);
    let mut cum = vec![0.0f64; n];
    let mut acc = 0.0;
    for (i, c) in cum.iter_mut().enumerate() {
        acc += data.weight(i);
        *c = acc;
    }
    let first = search_cumulative(&cum, rng.gen::<f64>() * acc);
    centres.extend_from_slice(data.row(first));
    let mut closest = vec![f64::INFINITY; n];
    let mut scratch = vec![0.0f64; n];
    let mut pot = potential_with(data, &closest, data.row(first), Some(&mut scratch));
    std::mem::swap(&mut closest, &mut scratch);
    for _ in 1..k {
        let mut acc = 0.0;
        for (i, c) in cum.iter_mut().enumerate() {
            acc += data.weight(i) * closest[i];
            *c = acc;
        }
        let candidates: Vec<usize> = (0..trials)
            .map(|_| search_cumulative(&cum, rng.gen::<f64>() * pot))
            .collect();
        let pots = candidate_potentials(data, &closest, &candidates);
        let mut best = candidates[0];
        let mut best_pot = f64::INFINITY;
        for (&cand, &p) in candidates.iter().zip(&pots) {
            if p < best_pot {
                best_pot = p;
                best = cand;
            }
        }
        pot = potential_with(data, &closest, data.row(best), Some(&mut scratch));
        std::mem::swap(&mut closest, &mut scratch);
        centres.extend_from_slice(data.row(best));
    }
    centres
}

/// `k` distinct rows drawn with probability proportional to their weight, without
/// replacement (Efraimidis-Spirakis keys `ln(u) / w`, same law as numpy's sequential
/// `choice(replace=False, p=w)`). Rows with zero weight are never drawn.
pub fn random_rows<F: KFloat>(
    data: &Data<'_, F>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> CoreResult<Vec<F>> {
    let n = data.n;
    let positive = (0..n).filter(|&i| data.weight(i) > 0.0).count();
    if positive < k {
        return Err(CoreError::InvalidWeights(format!(
            "init='random' needs n_clusters={k} rows with positive weight, found {positive}"
        )));
    }
    let mut keys: Vec<(f64, usize)> = (0..n)
        .map(|i| {
            let u: f64 = rng.gen();
            let w = data.weight(i);
            let key = if w > 0.0 {
                (1.0 - u).ln() / w
            } else {
                f64::NEG_INFINITY
            };
            (key, i)
        })
        .collect();
    let by_key_desc = |a: &(f64, usize), b: &(f64, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    if k < n {
        keys.select_nth_unstable_by(k, by_key_desc);
    }
    keys.truncate(k);
    keys.sort_by(by_key_desc);
    let mut centres = Vec::with_capacity(k * data.d);
    for &(_, i) in &keys {
        centres.extend_from_slice(data.row(i));
    }
    Ok(centres)
}
