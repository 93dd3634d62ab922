//! Initial prototypes: Cao et al.'s density method, Huang's frequency-based method, random
//! rows, and k-prototypes++ (greedy k-means++ seeding on the k-prototypes cost).
//!
//! Every method returns `k` rows of the table (so a prototype is always a real
//! combination of levels). The random ones draw from the restart's own stream.

use std::ops::Range;

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::cost::{Prototypes, Table};
use super::BLOCK_ROWS;
use crate::numerics::{try_filled, try_with_capacity, RowBlocks};
use crate::{CoreError, CoreResult};

/// The first row with the largest value (as `np.argmax`), computed over fixed blocks.
fn argmax(values: &[f64]) -> usize {
    let blocks = RowBlocks::fixed(values.len(), BLOCK_ROWS);
    let best = blocks.reduce(
        None::<(usize, f64)>,
        |_, rows: Range<usize>| {
            let mut best: Option<(usize, f64)> = None;
            for i in rows {
                if best.is_none_or(|(_, b)| values[i] > b) {
                    best = Some((i, values[i]));
                }
            }
            best
        },
        |total, part| {
            if let Some((i, v)) = part {
                if total.is_none_or(|(_, b)| v > b) {
                    *total = Some((i, v));
                }
            }
        },
    );
    best.map_or(0, |(i, _)| i)
}

/// Cao, Liang & Bai (2009), as kmodes' `init_cao`: the densest row first (density: the
/// mean relative frequency of the row's levels), then each time the row maximising
/// `density * cost to the closest chosen prototype`. Deterministic. With sample weights
/// the frequencies are weighted; the cost is the full k-prototypes cost.
pub(super) fn cao(t: &Table<'_>, k: usize) -> CoreResult<Prototypes> {
    let (n, q) = (t.n, t.q);
    let total_weight: f64 = match t.w {
        Some(w) => w.iter().sum(),
        None => n as f64,
    };
    let mut density = try_filled(n, 0.0f64, "Cao's row densities")?;
    for j in 0..q {
        let mut freq = try_filled(t.n_levels[j], 0.0f64, "Cao's level frequencies")?;
        for i in 0..n {
            freq[t.cat[i * q + j] as usize] += t.weight(i);
        }
        density.par_iter_mut().enumerate().for_each(|(i, d)| {
            *d += freq[t.cat[i * q + j] as usize] / total_weight / q as f64;
        });
    }
    if q == 0 {
        density.iter_mut().for_each(|d| *d = 1.0);
    }
    let mut rows = vec![argmax(&density)];
    let mut score = try_filled(n, f64::INFINITY, "Cao's row scores")?;
    while rows.len() < k {
        let last = Prototypes::from_rows(t, &rows[rows.len() - 1..]);
        score.par_iter_mut().enumerate().for_each(|(i, s)| {
            let d = t.cost(i, &last, 0) * density[i];
            if d < *s {
                *s = d;
            }
        });
        rows.push(argmax(&score));
    }
    Ok(Prototypes::from_rows(t, &rows))
}

/// A row drawn with probability proportional to its weight.
fn weighted_row(t: &Table<'_>, rng: &mut Xoshiro256PlusPlus) -> usize {
    match t.w {
        None => rng.gen_range(0..t.n),
        Some(w) => {
            let total: f64 = w.iter().sum();
            let mut target = rng.gen::<f64>() * total;
            for (i, &wi) in w.iter().enumerate() {
                if wi > 0.0 {
                    if target < wi {
                        return i;
                    }
                    target -= wi;
                }
            }
            w.iter().rposition(|&wi| wi > 0.0).unwrap_or(0)
        }
    }
}

/// Huang (1998), as kmodes' `init_huang`: each column of each prototype takes the value
/// of a row drawn at random (so levels by their frequency, numbers by their
/// distribution); then each prototype in turn is replaced by its closest row not equal to
/// a prototype already chosen (the closest row if all are).
pub(super) fn huang(t: &Table<'_>, k: usize, rng: &mut Xoshiro256PlusPlus) -> Prototypes {
    let (p, q) = (t.p, t.q);
    let mut drawn = Prototypes {
        k,
        p,
        q,
        numeric: vec![0.0; k * p],
        categorical: vec![0; k * q],
    };
    for j in 0..p {
        for c in 0..k {
            drawn.numeric[c * p + j] = t.num[weighted_row(t, rng) * p + j];
        }
    }
    for j in 0..q {
        for c in 0..k {
            drawn.categorical[c * q + j] = t.cat[weighted_row(t, rng) * q + j];
        }
    }
    let mut rows: Vec<usize> = Vec::with_capacity(k);
    for c in 0..k {
        let blocks = RowBlocks::fixed(t.n, BLOCK_ROWS);
        let pick = |distinct: bool| {
            blocks.reduce(
                None::<(usize, f64)>,
                |_, range: Range<usize>| {
                    let mut best: Option<(usize, f64)> = None;
                    for i in range {
                        let d = t.cost(i, &drawn, c);
                        if best.is_none_or(|(_, b)| d < b)
                            && !(distinct && rows.iter().any(|&r| t.same_rows(r, i)))
                        {
                            best = Some((i, d));
                        }
                    }
                    best
                },
                |total, part| {
                    if let Some((i, d)) = part {
                        if total.is_none_or(|(_, b)| d < b) {
                            *total = Some((i, d));
                        }
                    }
                },
            )
        };
        let chosen = pick(true).or_else(|| pick(false)).map_or(0, |(i, _)| i);
        rows.push(chosen);
    }
    Prototypes::from_rows(t, &rows)
}

/// `k` distinct rows drawn without replacement, with probability proportional to the
/// weight (Efraimidis & Spirakis' keys `u^(1/w)`; uniform without weights).
pub(super) fn random_rows(
    t: &Table<'_>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> CoreResult<Prototypes> {
    let rows: Vec<usize> = match t.w {
        None => rand::seq::index::sample(rng, t.n, k).into_vec(),
        Some(w) => {
            let mut keyed: Vec<(f64, usize)> =
                try_with_capacity(w.len(), "the rows' sampling keys")?;
            keyed.extend(
                w.iter()
                    .enumerate()
                    .filter(|(_, &wi)| wi > 0.0)
                    .map(|(i, &wi)| (rng.gen::<f64>().powf(1.0 / wi), i)),
            );
            if keyed.len() < k {
                return Err(CoreError::InvalidWeights(format!(
                    "{} row(s) have a positive weight, fewer than n_clusters={k}",
                    keyed.len()
                )));
            }
            keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            keyed.into_iter().take(k).map(|(_, i)| i).collect()
        }
    };
    Ok(Prototypes::from_rows(t, &rows))
}

/// Greedy k-means++ on the k-prototypes cost (scikit-learn's seeding with `2 + ln k`
/// candidates per step): the first row drawn by weight, then each time the candidate,
/// among rows drawn with probability proportional to `weight * cost to the closest
/// chosen prototype`, that lowers the total of those costs most.
pub(super) fn plus_plus(
    t: &Table<'_>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> CoreResult<Prototypes> {
    let n = t.n;
    let blocks = RowBlocks::fixed(n, BLOCK_ROWS);
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut rows = vec![weighted_row(t, rng)];
    let first = Prototypes::from_rows(t, &rows);
    let mut closest = try_filled(n, 0.0f64, "the seeding costs")?;
    closest
        .par_iter_mut()
        .with_min_len(BLOCK_ROWS)
        .enumerate()
        .for_each(|(i, d)| *d = t.cost(i, &first, 0));
    while rows.len() < k {
        // Block totals of weight * cost, in block order: the draw reads them.
        let block_totals: Vec<f64> = blocks.map(|_, range| {
            range
                .map(|i| closest[i] * t.weight(i))
                .fold(0.0, |a, b| a + b)
        });
        let potential: f64 = block_totals.iter().sum();
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                if potential.is_nan() || potential <= 0.0 {
                    return weighted_row(t, rng);
                }
                let mut target = rng.gen::<f64>() * potential;
                for (b, &total) in block_totals.iter().enumerate() {
                    if target < total || b + 1 == block_totals.len() {
                        let range = blocks.range(b);
                        let last = range.end - 1;
                        for i in range {
                            let m = closest[i] * t.weight(i);
                            if target < m && m > 0.0 {
                                return i;
                            }
                            target -= m;
                        }
                        return last;
                    }
                    target -= total;
                }
                n - 1
            })
            .collect();
        let protos = Prototypes::from_rows(t, &candidates);
        // Potential after adding each candidate, reduced in block order.
        let potentials = blocks.reduce(
            vec![0.0f64; candidates.len()],
            |_, range: Range<usize>| {
                let mut part = vec![0.0f64; candidates.len()];
                for i in range {
                    let w = t.weight(i);
                    for (c, s) in part.iter_mut().enumerate() {
                        *s += closest[i].min(t.cost(i, &protos, c)) * w;
                    }
                }
                part
            },
            |total, part| {
                for (a, b) in total.iter_mut().zip(&part) {
                    *a += b;
                }
            },
        );
        let mut best = 0;
        for c in 1..candidates.len() {
            if potentials[c] < potentials[best] {
                best = c;
            }
        }
        rows.push(candidates[best]);
        closest.par_iter_mut().enumerate().for_each(|(i, d)| {
            let e = t.cost(i, &protos, best);
            if e < *d {
                *d = e;
            }
        });
    }
    Ok(Prototypes::from_rows(t, &rows))
}
