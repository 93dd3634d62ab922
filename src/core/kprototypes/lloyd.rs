//! Batch k-prototypes: every row is assigned to its closest prototype (in parallel), then
//! every prototype becomes the weighted mean and mode of its rows, until no row changes
//! cluster or the cost stops decreasing ([`converged`]). Each step can only lower the
//! cost, but rows tied between prototypes can change cluster without lowering it and
//! cycle; the cost test ends such runs (as kmodes' `ncost >= cost`). Labels and cost are
//! those of the final prototypes.
//!
//! Reproducibility: assignments are per row; the numeric sums are reduced over the fixed
//! row blocks of [`RowBlocks`] in block order and the level counts per column in row
//! order, so results are bit-identical on any number of threads.

use std::ops::Range;

use rayon::prelude::*;

use super::cost::{Prototypes, Table};
use super::{mode_of, RunResult, BLOCK_ROWS};
use crate::numerics::{try_filled, CompensatedSum, RowBlocks};
use crate::{CoreError, CoreResult, Interrupt};

/// Relative decrease of the cost at or below which a batch step counts as no decrease:
/// far above the rounding of the cost (a compensated sum of per-row costs, within a few
/// ulps whatever the row partition; numeric prototypes merged from partitions differ by
/// ~1e-15 relative), so the in-memory and the partitioned runs stop at the same step.
const COST_RTOL: f64 = 1e-13;

/// The stopping rule of the batch iteration, in memory and on partitions: converged when
/// no row changed cluster, or when the cost `new_cost` of the step is not lower than the
/// previous step's `cost` (beyond [`COST_RTOL`]).
pub fn converged(labels_changed: bool, cost: f64, new_cost: f64) -> bool {
    !labels_changed || new_cost >= cost - COST_RTOL * cost.abs()
}

/// Labels and per-row costs of every row against `protos`; checks `stop` before each
/// block of [`BLOCK_ROWS`] rows.
pub(super) fn assign(
    t: &Table<'_>,
    protos: &Prototypes,
    stop: &Interrupt,
) -> CoreResult<(Vec<i32>, Vec<f64>)> {
    let mut labels = try_filled(t.n, 0i32, "k-prototypes labels")?;
    let mut costs = try_filled(t.n, 0.0f64, "k-prototypes row costs")?;
    assign_into(t, protos, &mut labels, &mut costs, stop)?;
    Ok((labels, costs))
}

/// [`assign`] into buffers of `t.n` slots.
fn assign_into(
    t: &Table<'_>,
    protos: &Prototypes,
    labels: &mut [i32],
    costs: &mut [f64],
    stop: &Interrupt,
) -> CoreResult<()> {
    labels
        .par_chunks_mut(BLOCK_ROWS)
        .zip(costs.par_chunks_mut(BLOCK_ROWS))
        .enumerate()
        .try_for_each(|(b, (lab, cost))| {
            stop.check()?;
            let start = b * BLOCK_ROWS;
            for (o, (l, c)) in lab.iter_mut().zip(cost.iter_mut()).enumerate() {
                let (best, d) = t.closest(start + o, protos);
                *l = best as i32;
                *c = d;
            }
            Ok::<(), CoreError>(())
        })
}

/// The weighted sum of the per-row costs, reduced in block order.
pub(super) fn total_cost(t: &Table<'_>, costs: &[f64]) -> f64 {
    let blocks = RowBlocks::fixed(t.n, BLOCK_ROWS);
    let sum = blocks.reduce(
        CompensatedSum::ZERO,
        |_, rows: Range<usize>| {
            let mut s = CompensatedSum::ZERO;
            for i in rows {
                s.add(costs[i] * t.weight(i));
            }
            s
        },
        |total, part| total.merge(&part),
    );
    sum.value()
}

/// Give every empty cluster one of the rows farthest from their prototype (scikit-learn's
/// relocation for k-means): the largest costs first, the lower row first on ties.
fn relocate_empty(labels: &mut [i32], costs: &mut [f64], k: usize) -> usize {
    let mut members = vec![0usize; k];
    for &l in labels.iter() {
        members[l as usize] += 1;
    }
    let empty: Vec<usize> = (0..k).filter(|&c| members[c] == 0).collect();
    for &c in &empty {
        let mut best: Option<(usize, f64)> = None;
        for (i, &d) in costs.iter().enumerate() {
            let donor = labels[i] as usize;
            if members[donor] > 1 && best.is_none_or(|(_, b)| d > b) {
                best = Some((i, d));
            }
        }
        if let Some((i, _)) = best {
            members[labels[i] as usize] -= 1;
            members[c] += 1;
            labels[i] = c as i32;
            costs[i] = 0.0;
        }
    }
    empty.len()
}

/// Weighted means and modes of the clusters of `labels`; a cluster without weight keeps
/// its prototype.
fn update(t: &Table<'_>, labels: &[i32], protos: &mut Prototypes) {
    let (k, p) = (protos.k, t.p);
    let blocks = RowBlocks::fixed(t.n, BLOCK_ROWS);
    let (sums, weights) = blocks.reduce(
        (vec![0.0f64; k * p], vec![0.0f64; k]),
        |_, rows: Range<usize>| {
            let mut sums = vec![0.0f64; k * p];
            let mut weights = vec![0.0f64; k];
            for i in rows {
                let c = labels[i] as usize;
                let w = t.weight(i);
                weights[c] += w;
                for (s, &x) in sums[c * p..(c + 1) * p].iter_mut().zip(t.num_row(i)) {
                    *s += x * w;
                }
            }
            (sums, weights)
        },
        |(total_sums, total_weights), (sums, weights)| {
            for (a, b) in total_sums.iter_mut().zip(&sums) {
                *a += b;
            }
            for (a, b) in total_weights.iter_mut().zip(&weights) {
                *a += b;
            }
        },
    );
    for c in 0..k {
        if weights[c] > 0.0 {
            for j in 0..p {
                protos.numeric[c * p + j] = sums[c * p + j] / weights[c];
            }
        }
    }
    let q = t.q;
    let modes: Vec<Vec<Option<i32>>> = (0..q)
        .into_par_iter()
        .map(|j| {
            let levels = t.n_levels[j];
            let mut counts = vec![0.0f64; k * levels];
            for i in 0..t.n {
                let c = labels[i] as usize;
                counts[c * levels + t.cat[i * q + j] as usize] += t.weight(i);
            }
            (0..k)
                .map(|c| (weights[c] > 0.0).then(|| mode_of(&counts[c * levels..(c + 1) * levels])))
                .collect()
        })
        .collect();
    for (j, column) in modes.iter().enumerate() {
        for (c, mode) in column.iter().enumerate() {
            if let Some(m) = mode {
                protos.categorical[c * q + j] = *m;
            }
        }
    }
}

/// One run from `start` (`k` prototypes); checks `stop` before each iteration.
pub(super) fn run(
    t: &Table<'_>,
    start: Prototypes,
    max_iter: usize,
    stop: &Interrupt,
) -> CoreResult<RunResult> {
    let k = start.k;
    let mut protos = start;
    // The current and the next step's labels and costs, swapped after each step.
    let (mut labels, mut costs) = assign(t, &protos, stop)?;
    let mut new_labels = try_filled(t.n, 0i32, "k-prototypes labels")?;
    let mut new_costs = try_filled(t.n, 0.0f64, "k-prototypes row costs")?;
    let mut cost = total_cost(t, &costs);
    let mut n_iter = 0;
    let mut done = false;
    while n_iter < max_iter && !done {
        stop.check()?;
        relocate_empty(&mut labels, &mut costs, k);
        update(t, &labels, &mut protos);
        n_iter += 1;
        assign_into(t, &protos, &mut new_labels, &mut new_costs, stop)?;
        let changed = new_labels
            .par_iter()
            .zip(labels.par_iter())
            .any(|(a, b)| a != b);
        let new_cost = total_cost(t, &new_costs);
        done = converged(changed, cost, new_cost);
        std::mem::swap(&mut labels, &mut new_labels);
        std::mem::swap(&mut costs, &mut new_costs);
        cost = new_cost;
    }
    Ok(RunResult {
        protos,
        labels,
        cost,
        n_iter,
        converged: done,
    })
}
