//! Huang's incremental k-prototypes, step for step as kmodes 0.12 runs it.
//!
//! Rows are assigned to the initial prototypes in row order, the prototypes are set to the
//! means and modes of their rows, then each iteration visits the rows in order and moves
//! a row to its closest prototype at once, updating the two prototypes involved before the
//! next row: the means from running sums, the modes by kmodes' rules (the receiving
//! cluster's mode changes only when the row's level becomes strictly more frequent; the
//! losing cluster's mode is recomputed when it loses a row of its mode, ties to the
//! smallest code). The run stops when an iteration moves nothing or does not lower the
//! cost (computed after every iteration against the current prototypes).
//!
//! Where kmodes draws at random (an empty cluster after the initial assignment, where it
//! restarts from new random prototypes; a cluster emptied by a move, which it refills
//! with a random row of the largest cluster), this takes the row farthest from its
//! prototype instead, deterministically; results then differ from kmodes'.

use rayon::prelude::*;

use super::cost::{Prototypes, Table};
use super::{mode_of, RunResult, BLOCK_ROWS};
use crate::numerics::try_filled;
use crate::{CoreResult, Interrupt};

/// Rows of a sequential pass between two checks for a requested stop.
const CHECK_ROWS: usize = 1 << 14;

/// Running sums, counts and level frequencies of every cluster.
struct State {
    k: usize,
    p: usize,
    offsets: Vec<usize>,
    n_total_levels: usize,
    sums: Vec<f64>,
    weights: Vec<f64>,
    members: Vec<usize>,
    counts: Vec<f64>,
    labels: Vec<i32>,
}

impl State {
    fn new(t: &Table<'_>, k: usize) -> CoreResult<Self> {
        let (offsets, n_total_levels) = t.level_offsets();
        Ok(State {
            k,
            p: t.p,
            offsets,
            n_total_levels,
            sums: vec![0.0; k * t.p],
            weights: vec![0.0; k],
            members: vec![0; k],
            counts: vec![0.0; k * n_total_levels],
            labels: try_filled(t.n, -1, "k-prototypes labels")?,
        })
    }

    #[inline]
    fn freq(&self, c: usize, j: usize) -> &[f64] {
        let start = c * self.n_total_levels + self.offsets[j];
        let len = if j + 1 < self.offsets.len() {
            self.offsets[j + 1] - self.offsets[j]
        } else {
            self.n_total_levels - self.offsets[j]
        };
        &self.counts[start..start + len]
    }

    #[inline]
    fn count_index(&self, c: usize, j: usize, code: i32) -> usize {
        c * self.n_total_levels + self.offsets[j] + code as usize
    }

    /// Add row `i` to cluster `c` (numeric sums and level counts only).
    fn add(&mut self, t: &Table<'_>, i: usize, c: usize) {
        let w = t.weight(i);
        for (s, &x) in self.sums[c * self.p..(c + 1) * self.p]
            .iter_mut()
            .zip(t.num_row(i))
        {
            *s += x * w;
        }
        self.weights[c] += w;
        self.members[c] += 1;
        for (j, &code) in t.cat_row(i).iter().enumerate() {
            let at = self.count_index(c, j, code);
            self.counts[at] += w;
        }
        self.labels[i] = c as i32;
    }

    /// Move row `i` from its cluster to `to`, updating both clusters' modes as kmodes'
    /// `_move_point_cat` does, then both numeric means.
    fn move_row(&mut self, t: &Table<'_>, protos: &mut Prototypes, i: usize, to: usize) {
        let from = self.labels[i] as usize;
        let w = t.weight(i);
        let p = self.p;
        for (j, &x) in t.num_row(i).iter().enumerate() {
            self.sums[to * p + j] += x * w;
            self.sums[from * p + j] -= x * w;
        }
        self.weights[to] += w;
        self.weights[from] -= w;
        self.members[to] += 1;
        self.members[from] -= 1;
        let q = protos.q;
        for (j, &code) in t.cat_row(i).iter().enumerate() {
            let at = self.count_index(to, j, code);
            self.counts[at] += w;
            let mode = protos.categorical[to * q + j];
            if self.counts[self.count_index(to, j, mode)] < self.counts[at] {
                protos.categorical[to * q + j] = code;
            }
            let at = self.count_index(from, j, code);
            self.counts[at] -= w;
            if protos.categorical[from * q + j] == code {
                protos.categorical[from * q + j] = mode_of(self.freq(from, j));
            }
        }
        self.labels[i] = to as i32;
        for c in [to, from] {
            self.set_mean(protos, c);
        }
    }

    /// The numeric prototype of `c`: its weighted mean (0 when it holds no weight, as
    /// kmodes).
    fn set_mean(&self, protos: &mut Prototypes, c: usize) {
        let p = self.p;
        let w = self.weights[c];
        for j in 0..p {
            protos.numeric[c * p + j] = if w != 0.0 {
                self.sums[c * p + j] / w
            } else {
                0.0
            };
        }
    }

    /// Means and modes of every cluster (the initial update).
    fn set_all(&self, protos: &mut Prototypes) {
        for c in 0..self.k {
            self.set_mean(protos, c);
            for j in 0..protos.q {
                protos.categorical[c * protos.q + j] = mode_of(self.freq(c, j));
            }
        }
    }

    /// The member of cluster `from` with the largest cost to its prototype (first on ties).
    fn farthest_member(&self, t: &Table<'_>, protos: &Prototypes, from: usize) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for i in 0..t.n {
            if self.labels[i] as usize == from {
                let d = t.cost(i, protos, from);
                if best.is_none_or(|(_, b)| d > b) {
                    best = Some((i, d));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// The largest cluster (by rows; the first on ties, as `argmax`).
    fn largest(&self) -> usize {
        let mut best = 0;
        for c in 1..self.k {
            if self.members[c] > self.members[best] {
                best = c;
            }
        }
        best
    }
}

/// Labels against `protos` (closest, first on ties) into `labels`, with the cost summed
/// in row order (`costs`: a buffer of `t.n` slots).
fn labels_cost(t: &Table<'_>, protos: &Prototypes, labels: &mut [i32], costs: &mut [f64]) -> f64 {
    labels
        .par_iter_mut()
        .zip(costs.par_iter_mut())
        .with_min_len(BLOCK_ROWS)
        .enumerate()
        .for_each(|(i, (l, d))| {
            let (c, e) = t.closest(i, protos);
            *l = c as i32;
            *d = e;
        });
    let mut cost = 0.0;
    for (i, &d) in costs.iter().enumerate() {
        cost += match t.w {
            Some(w) => d * w[i],
            None => d,
        };
    }
    cost
}

/// One run from `start` (`k` prototypes); checks `stop` every [`CHECK_ROWS`] rows of
/// its sequential passes.
pub(super) fn run(
    t: &Table<'_>,
    start: Prototypes,
    max_iter: usize,
    stop: &Interrupt,
) -> CoreResult<RunResult> {
    let k = start.k;
    let mut protos = start;
    let mut state = State::new(t, k)?;
    for i in 0..t.n {
        if i % CHECK_ROWS == 0 {
            stop.check()?;
        }
        let (c, _) = t.closest(i, &protos);
        state.add(t, i, c);
    }
    // An empty cluster takes the row farthest from its prototype (kmodes restarts instead).
    for c in 0..k {
        if state.members[c] == 0 {
            let from = state.largest();
            if let Some(i) = state.farthest_member(t, &protos, from) {
                let w = t.weight(i);
                let p = state.p;
                for (j, &x) in t.num_row(i).iter().enumerate() {
                    state.sums[from * p + j] -= x * w;
                }
                state.weights[from] -= w;
                state.members[from] -= 1;
                for (j, &code) in t.cat_row(i).iter().enumerate() {
                    let at = state.count_index(from, j, code);
                    state.counts[at] -= w;
                }
                state.add(t, i, c);
            }
        }
    }
    state.set_all(&mut protos);

    let mut labels = try_filled(t.n, 0i32, "k-prototypes labels")?;
    let mut costs = try_filled(t.n, 0.0f64, "k-prototypes row costs")?;
    let mut cost = labels_cost(t, &protos, &mut labels, &mut costs);
    labels.copy_from_slice(&state.labels);
    let mut n_iter = 0;
    let mut converged = false;
    while n_iter < max_iter && !converged {
        n_iter += 1;
        let mut moves = 0usize;
        for i in 0..t.n {
            if i % CHECK_ROWS == 0 {
                stop.check()?;
            }
            let (c, _) = t.closest(i, &protos);
            let old = state.labels[i] as usize;
            if c == old {
                continue;
            }
            moves += 1;
            state.move_row(t, &mut protos, i, c);
            if state.members[old] == 0 {
                let from = state.largest();
                if let Some(r) = state.farthest_member(t, &protos, from) {
                    state.move_row(t, &mut protos, r, old);
                }
            }
        }
        let new_cost = labels_cost(t, &protos, &mut labels, &mut costs);
        converged = moves == 0 || new_cost >= cost;
        cost = new_cost;
    }
    Ok(RunResult {
        protos,
        labels,
        cost,
        n_iter,
        converged,
    })
}
