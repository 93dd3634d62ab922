//! Initial centres: greedy k-means++ and weighted random rows (scikit-learn's semantics,
//! with segwise's own random streams, so the chosen rows differ from scikit-learn's).

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::common::{group_rows, prefetch, sq_dist, Data};
use crate::numerics::{simd::with_avx2, Float};
use crate::{CoreError, CoreResult, Interrupt};

/// The random streams of restarts and the runner of restarts in waves (shared with every
/// feature that restarts).
pub(crate) use crate::numerics::rng::{restart_wave, run_restarts, run_restarts_in_waves};
pub use crate::numerics::{restart_rng, RestartStreams};

/// Candidates per block of the seeding kernel (one AVX2 vector of `f64`). This and the two
/// constants below are register/cache tiling, not a reduction order: the reductions run
/// over the shared row groups ([`super::common::row_groups`]).
const LANES: usize = 4;

/// Candidate rows laid out for the seeding kernel: blocks of [`LANES`] candidates,
/// feature-major inside a block (`blocks[(b * d + j) * LANES + l]`), zero-padded. The
/// layout of `CentreBlocks`, with half its lanes: a step has `2 + ln k` candidates, four
/// for k <= 20, which would leave half of an eight-lane block empty.
struct Candidates<F> {
    blocks: Vec<F>,
    t: usize,
    d: usize,
}

impl<F: Float> Candidates<F> {
    fn new(data: &Data<'_, F>, rows: &[usize]) -> Self {
        let (t, d) = (rows.len(), data.d);
        let mut blocks = vec![F::zero(); t.div_ceil(LANES) * d * LANES];
        for (c, &i) in rows.iter().enumerate() {
            let (b, l) = (c / LANES, c % LANES);
            for (j, &v) in data.row(i).iter().enumerate() {
                blocks[(b * d + j) * LANES + l] = v;
            }
        }
        Candidates { blocks, t, d }
    }

    fn n_blocks(&self) -> usize {
        self.t.div_ceil(LANES)
    }

    /// Squared distances of `R` rows to the candidates of block `b`, computed together:
    /// the `R` accumulation chains are independent, so the CPU overlaps them (one row
    /// alone waits on each of its additions). Each row's sum runs over the features in
    /// order, so a row's distances do not depend on `R`.
    #[inline(always)]
    fn block<const R: usize>(&self, b: usize, rows: [&[F]; R]) -> [[f64; LANES]; R] {
        let d = self.d;
        let block = &self.blocks[b * d * LANES..(b + 1) * d * LANES];
        // Rows cut to `d` values: the indexing below needs no bounds checks.
        let mut cut: [&[F]; R] = [&[]; R];
        for (c, row) in cut.iter_mut().zip(rows) {
            *c = &row[..d];
        }
        let mut acc = [[F::zero(); LANES]; R];
        for (j, cj) in block.chunks_exact(LANES).enumerate().take(d) {
            for (a, row) in acc.iter_mut().zip(&cut) {
                let x = row[j];
                for l in 0..LANES {
                    let t = x - cj[l];
                    a[l] += t * t;
                }
            }
        }
        let mut out = [[0.0f64; LANES]; R];
        for (o, a) in out.iter_mut().zip(&acc) {
            for (v, &s) in o.iter_mut().zip(a) {
                *v = s.to_f64();
            }
        }
        out
    }
}

/// Rows a seeding pass computes together (four independent accumulation chains).
const ROWS: usize = 4;
/// Quads of rows prefetched ahead of the one computed.
const AHEAD: usize = 2;
/// Rows selected at a time from a group (a stack buffer of their offsets): which rows a
/// step computes is decided chunk by chunk, so no per-row index is kept.
const CHUNK: usize = 256;
/// Distances to the candidates that a group keeps from [`Group::evaluate`] for
/// [`Group::accept`]: 2^14 (128 KiB plus the rows' offsets; at most 4 MiB over the 32
/// groups, whatever `n`): the 2,048-row groups of inputs up to 65,536 rows with k <= 20
/// (four candidates). A group with more rows times candidate slots computes the best
/// candidate's distances again in `accept` instead (the same kernel, so the same values):
/// a second pass, which for small inputs, with candidates that fit in one block, doubles
/// the seeding's arithmetic (0.44 -> 0.68 ms on a 6,321 x 12 bootstrap resample, k = 8),
/// and which keeps the memory of large inputs at the two buffers per restart.
const KEPT_DISTANCES: usize = 1 << 14;

/// Which rows of a group the last [`Group::evaluate`] computed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Computed {
    /// None: no candidate can be closer to any row than its closest centre.
    None,
    /// Every row.
    All,
    /// The rows with `closest > reach[nearest]`.
    Reachable,
}

/// One group of rows of the seeding (rows `start..start + closest.len()`): each row's
/// squared distance to its closest chosen centre and the number of that centre, written
/// straight into the caller's buffers (the k-means run's bounds and labels).
struct Group<'b> {
    start: usize,
    closest: &'b mut [f64],
    nearest: &'b mut [i32],
    /// `sum_i w_i * closest_i` over the group.
    sum: f64,
    /// `max_i closest_i` over the group.
    widest: f64,
    /// `min_i closest_i` over the group.
    narrowest: f64,
    /// Whether centre `j` may be some row's closest (it was at some point).
    present: Vec<bool>,
    computed: Computed,
    /// Whether the last [`Self::evaluate`] kept its distances in [`Self::kept`].
    keep: bool,
    /// Distances of the rows the last step computed to its candidates (`a * stride + c`
    /// for the `a`-th computed row, in row order), when [`Self::keep`].
    kept: Vec<f64>,
    /// Offsets of the rows the last step computed (the first [`Self::n_kept`]), when
    /// [`Self::keep`].
    kept_rows: Vec<u32>,
    n_kept: usize,
    /// Candidate slots per kept row (`LANES` times the step's blocks).
    stride: usize,
}

impl<'b> Group<'b> {
    /// Rows `start..start + closest.len()` with their squared distances to the first centre.
    #[inline(always)]
    fn new<F: Float>(
        data: &Data<'_, F>,
        start: usize,
        closest: &'b mut [f64],
        nearest: &'b mut [i32],
        k: usize,
        first: &[F],
    ) -> Self {
        let mut present = vec![false; k];
        present[0] = true;
        // A plain loop: an iterator adaptor here may not be inlined into the SIMD build.
        for (o, c) in closest.iter_mut().enumerate() {
            *c = sq_dist(data.row(start + o), first).to_f64();
        }
        nearest.fill(0);
        let mut group = Group {
            start,
            closest,
            nearest,
            sum: 0.0,
            widest: 0.0,
            narrowest: 0.0,
            present,
            computed: Computed::None,
            keep: false,
            kept: Vec::new(),
            kept_rows: Vec::new(),
            n_kept: 0,
            stride: 0,
        };
        group.summarise(data);
        group
    }

    /// Recompute [`Self::sum`], [`Self::widest`] and [`Self::narrowest`].
    #[inline(always)]
    fn summarise<F: Float>(&mut self, data: &Data<'_, F>) {
        // Four running sums (rows modulo 4) keep the additions' latency off the path.
        let mut acc = [0.0f64; 4];
        let mut widest = [0.0f64; 4];
        let mut narrowest = [f64::INFINITY; 4];
        let mut quads = self.closest.chunks_exact(4);
        for (q, c) in (&mut quads).enumerate() {
            for l in 0..4 {
                acc[l] += c[l] * data.weight(self.start + 4 * q + l);
                widest[l] = widest[l].max(c[l]);
                narrowest[l] = narrowest[l].min(c[l]);
            }
        }
        let body = self.closest.len() - quads.remainder().len();
        for (l, &c) in quads.remainder().iter().enumerate() {
            acc[l] += c * data.weight(self.start + body + l);
            widest[l] = widest[l].max(c);
            narrowest[l] = narrowest[l].min(c);
        }
        self.sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        self.widest = widest.iter().fold(0.0, |a, &b| a.max(b));
        self.narrowest = narrowest.iter().fold(f64::INFINITY, |a, &b| a.min(b));
    }

    /// Offsets of the rows of `from..to` that the last [`Self::evaluate`] computes, into
    /// `out`; returns how many.
    #[inline(always)]
    fn select(&self, from: usize, to: usize, reach: &[f64], out: &mut [u32; CHUNK]) -> usize {
        match self.computed {
            Computed::None => 0,
            Computed::All => {
                for (slot, o) in out.iter_mut().zip(from..to) {
                    *slot = o as u32;
                }
                to - from
            }
            Computed::Reachable => {
                // Branch-free compaction: which rows are skipped is data-dependent and
                // would defeat the branch predictor.
                let mut m = 0;
                for o in from..to {
                    out[m] = o as u32;
                    m += usize::from(self.closest[o] > reach[self.nearest[o] as usize]);
                }
                m
            }
        }
    }

    /// `body(self, offsets)` for each [`CHUNK`] of the group's rows with the offsets of
    /// those the last [`Self::evaluate`] computes, in row order. A chunk is selected whole
    /// before `body` sees it, so `body` may change the rows the selection reads.
    #[inline(always)]
    fn for_each_selected(&mut self, reach: &[f64], mut body: impl FnMut(&mut Self, &[u32])) {
        let mut active = [0u32; CHUNK];
        let len = self.closest.len();
        let mut from = 0;
        while from < len {
            let to = (from + CHUNK).min(len);
            let m = self.select(from, to, reach, &mut active);
            body(self, &active[..m]);
            from = to;
        }
    }

    /// Squared distances of the selected rows `active` to the candidates of block `b`,
    /// four rows at a time (prefetching ahead: selected rows are sparse, which defeats the
    /// hardware prefetcher), each passed in row order to `visit(offset, distances)`.
    #[inline(always)]
    fn distances<F: Float>(
        &self,
        data: &Data<'_, F>,
        cands: &Candidates<F>,
        b: usize,
        active: &[u32],
        mut visit: impl FnMut(usize, &[f64; LANES]),
    ) {
        let start = self.start;
        let mut quads = active.chunks_exact(ROWS);
        let mut ahead = active.iter().skip(AHEAD * ROWS);
        for q in &mut quads {
            for &o in ahead.by_ref().take(ROWS) {
                prefetch(data.row(start + o as usize));
            }
            let rows = [
                data.row(start + q[0] as usize),
                data.row(start + q[1] as usize),
                data.row(start + q[2] as usize),
                data.row(start + q[3] as usize),
            ];
            let dist = cands.block::<ROWS>(b, rows);
            for (&o, di) in q.iter().zip(&dist) {
                visit(o as usize, di);
            }
        }
        for &o in quads.remainder() {
            let [di] = cands.block::<1>(b, [data.row(start + o as usize)]);
            visit(o as usize, &di);
        }
    }

    /// The step's candidates against this group. A row whose closest centre `j` has
    /// `||c_j - x_c||^2 >= 4 * closest` for every candidate `c` is skipped: by the
    /// triangle inequality no candidate is closer to it (`reach[j]` is that bound shrunk
    /// by `F::ROUNDING_SLACK` against rounding), so its minima are its `closest`, as the
    /// full computation gives. Returns the group's part of each candidate's potential
    /// `sum_i w_i * min(closest_i, ||x_i - x_c||^2)`. The distances are kept for
    /// [`Self::accept`] when the group's rows times candidate slots are at most `limit`.
    #[inline(always)]
    fn evaluate<F: Float>(
        &mut self,
        data: &Data<'_, F>,
        cands: &Candidates<F>,
        reach: &[f64],
        limit: usize,
    ) -> Vec<f64> {
        let t = cands.t;
        // The whole group at once: its farthest row against the smallest reach of its
        // centres (all skipped), its nearest row against the largest (all computed).
        let (floor, ceiling) = reach
            .iter()
            .zip(&self.present)
            .filter(|&(_, &p)| p)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (&r, _)| {
                (lo.min(r), hi.max(r))
            });
        self.computed = if self.widest <= floor {
            Computed::None
        } else if self.narrowest > ceiling {
            Computed::All
        } else {
            Computed::Reachable
        };
        let mut pots = vec![self.sum; t];
        if self.computed == Computed::None {
            return pots;
        }
        // Sum of `w * (min - closest)` per candidate, in row order for each candidate.
        let mut deltas = vec![[0.0f64; LANES]; cands.n_blocks()];
        let len = self.closest.len();
        let stride = cands.n_blocks() * LANES;
        // At most every row is computed: keep when that many distances fit.
        let keep = len.saturating_mul(stride) <= limit;
        self.keep = keep;
        self.stride = stride;
        let mut kept = std::mem::take(&mut self.kept);
        let mut kept_rows = std::mem::take(&mut self.kept_rows);
        if keep {
            // Sized once: the group and the number of candidates do not change.
            kept.resize(len * stride, 0.0);
            kept_rows.resize(len, 0);
        }
        // Rows computed in the chunks before this one.
        let mut base = 0;
        self.for_each_selected(reach, |g, active| {
            for (b, delta) in deltas.iter_mut().enumerate() {
                // A local copy stays in registers (the stores into `kept` could alias
                // `deltas` for all the compiler knows).
                let mut acc = *delta;
                let mut a = base;
                g.distances(data, cands, b, active, |o, dist| {
                    let closest = g.closest[o];
                    let w = data.weight(g.start + o);
                    for (dl, &v) in acc.iter_mut().zip(dist) {
                        *dl += w * (v.min(closest) - closest);
                    }
                    if keep {
                        kept[a * stride + b * LANES..][..LANES].copy_from_slice(dist);
                    }
                    a += 1;
                });
                *delta = acc;
            }
            if keep {
                kept_rows[base..base + active.len()].copy_from_slice(active);
            }
            base += active.len();
        });
        self.n_kept = if keep { base } else { 0 };
        self.kept = kept;
        self.kept_rows = kept_rows;
        for (b, delta) in deltas.iter().enumerate() {
            for (p, dl) in pots[b * LANES..].iter_mut().zip(delta) {
                *p += dl;
            }
        }
        pots
    }

    /// Make candidate `best` of the last [`Self::evaluate`] the chosen centre `index`: the
    /// rows that step computed move to it when their distance to it is smaller (the kept
    /// distance, or else computed again with the same kernel, so the same value).
    #[inline(always)]
    fn accept<F: Float>(
        &mut self,
        data: &Data<'_, F>,
        cands: &Candidates<F>,
        reach: &[f64],
        best: usize,
        index: u32,
    ) {
        if self.computed == Computed::None {
            return;
        }
        let changed = if self.keep {
            self.move_kept(best, index)
        } else {
            self.move_recomputed(data, cands, reach, best, index)
        };
        if changed {
            self.present[index as usize] = true;
            self.summarise(data);
        }
    }

    /// [`Self::accept`] from the kept distances; returns whether a row moved.
    #[inline(always)]
    fn move_kept(&mut self, best: usize, index: u32) -> bool {
        let mut changed = false;
        let rows = &self.kept_rows[..self.n_kept];
        for (&o, dist) in rows.iter().zip(self.kept.chunks_exact(self.stride)) {
            let (o, v) = (o as usize, dist[best]);
            if v < self.closest[o] {
                self.closest[o] = v;
                self.nearest[o] = index as i32;
                changed = true;
            }
        }
        changed
    }

    /// [`Self::accept`] with the best candidate's distances computed again; returns
    /// whether a row moved.
    #[inline(always)]
    fn move_recomputed<F: Float>(
        &mut self,
        data: &Data<'_, F>,
        cands: &Candidates<F>,
        reach: &[f64],
        best: usize,
        index: u32,
    ) -> bool {
        let mut changed = false;
        let (b, lane) = (best / LANES, best % LANES);
        let mut moved = [(0u32, 0.0f64); CHUNK];
        self.for_each_selected(reach, |g, active| {
            let mut n_moved = 0;
            g.distances(data, cands, b, active, |o, dist| {
                if dist[lane] < g.closest[o] {
                    moved[n_moved] = (o as u32, dist[lane]);
                    n_moved += 1;
                }
            });
            for &(o, v) in &moved[..n_moved] {
                g.closest[o as usize] = v;
                g.nearest[o as usize] = index as i32;
            }
            changed |= n_moved > 0;
        });
        changed
    }
}

/// Row drawn with probability proportional to `value(g, o)` (row `o` of group `g`): the
/// first row whose running sum reaches `u * total` (numpy's `searchsorted` on the
/// cumulative sum, side left), found through the group sums `sums` and one scan of one
/// group of `sizes[g]` rows. Returns `(g, o)`.
pub(crate) fn draw_row(
    sums: &[f64],
    sizes: &[usize],
    u: f64,
    value: impl Fn(usize, usize) -> f64,
) -> (usize, usize) {
    let total: f64 = sums.iter().sum();
    let target = u * total;
    let mut prefix = 0.0;
    let mut g = sums.len() - 1;
    for (h, &s) in sums.iter().enumerate() {
        if prefix + s >= target {
            g = h;
            break;
        }
        prefix += s;
    }
    let mut acc = prefix;
    for o in 0..sizes[g] {
        acc += value(g, o);
        if acc >= target {
            return (g, o);
        }
    }
    // Rounding left the target just above the group's running sum: its last row that can
    // be drawn (or its last row).
    let o = (0..sizes[g])
        .rev()
        .find(|&o| value(g, o) > 0.0)
        .unwrap_or(sizes[g] - 1);
    (g, o)
}

/// Centres from k-means++ seeding and, for every row, its closest centre (the first on
/// ties) and the squared distance to it: the state a first k-means sweep starts from.
pub struct Seeded<F> {
    /// `k * d` centres, row-major, in the order they were chosen.
    pub centres: Vec<F>,
    /// Closest centre of each row.
    pub nearest: Vec<i32>,
    /// Squared distance of each row to its closest centre.
    pub closest: Vec<f64>,
}

/// [`kmeans_plusplus_into`] with buffers of its own.
pub fn kmeans_plusplus<F: Float>(
    data: &Data<'_, F>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
    stop: &Interrupt,
) -> CoreResult<Seeded<F>> {
    let mut nearest = vec![0i32; data.n];
    let mut closest = vec![0.0f64; data.n];
    let centres = kmeans_plusplus_into(data, k, rng, stop, &mut nearest, &mut closest)?;
    Ok(Seeded {
        centres,
        nearest,
        closest,
    })
}

/// Greedy k-means++ (scikit-learn's `_kmeans_plusplus`): the first centre is drawn with
/// probability proportional to the weight; each next one is the best, by potential, of
/// `2 + floor(ln k)` candidates drawn proportionally to `weight * closest squared distance`.
/// Returns the `k * d` centres (row-major, in the order chosen) and leaves each row's
/// closest centre (the first on ties) in `nearest` and its squared distance in `closest`
/// (both of length `n`; the caller's buffers, so a k-means run starts from them without
/// a copy).
///
/// Each step is one pass over the rows for all candidates together, skipping the rows
/// that the triangle inequality proves unchanged; the rows it computed then move to the
/// best candidate, with the distances that pass kept when a group's rows times candidate
/// slots are at most [`KEPT_DISTANCES`], else with the best candidate's distances
/// computed again (a second pass). Groups of rows are fixed by `n` alone and every sum
/// runs in a fixed order, so the centres do not depend on the number of threads. Memory:
/// the two buffers, O(k) per group and at most [`KEPT_DISTANCES`] distances per group.
///
/// Checks `stop` before each centre (one pass over the rows).
pub fn kmeans_plusplus_into<F: Float>(
    data: &Data<'_, F>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
    stop: &Interrupt,
    nearest: &mut [i32],
    closest: &mut [f64],
) -> CoreResult<Vec<F>> {
    seed_into(data, k, rng, stop, nearest, closest, KEPT_DISTANCES)
}

/// [`kmeans_plusplus_into`] keeping at most `limit` distances per group (the tests run
/// both ways of moving rows to the best candidate on the same data).
fn seed_into<F: Float>(
    data: &Data<'_, F>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
    stop: &Interrupt,
    nearest: &mut [i32],
    closest: &mut [f64],
    limit: usize,
) -> CoreResult<Vec<F>> {
    let n = data.n;
    if nearest.len() != n || closest.len() != n {
        return Err(CoreError::Internal(
            "seeding buffers of the wrong length".into(),
        ));
    }
    let trials = 2 + (k as f64).ln().floor() as usize;
    let rows = group_rows(n);
    let ranges: Vec<(usize, usize)> = (0..n.div_ceil(rows))
        .map(|g| (g * rows, ((g + 1) * rows).min(n)))
        .collect();
    let sizes: Vec<usize> = ranges.iter().map(|&(a, b)| b - a).collect();
    let row_of = |(g, o): (usize, usize)| g * rows + o;

    let weights: Vec<f64> = ranges
        .iter()
        .map(|&(a, b)| (a..b).map(|i| data.weight(i)).sum())
        .collect();
    let first = row_of(draw_row(&weights, &sizes, rng.gen(), |g, o| {
        data.weight(g * rows + o)
    }));
    let mut chosen = vec![first];
    let mut groups: Vec<Group> = closest
        .par_chunks_mut(rows)
        .zip(nearest.par_chunks_mut(rows))
        .enumerate()
        .map(|(g, (c, near))| {
            with_avx2(
                #[inline(always)]
                || Group::new(data, g * rows, c, near, k, data.row(first)),
            )
        })
        .collect();

    let shrink = 1.0 / (4.0 * (1.0 + F::ROUNDING_SLACK));
    for index in 1..k {
        stop.check()?;
        let sums: Vec<f64> = groups.iter().map(|g| g.sum).collect();
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                row_of(draw_row(&sums, &sizes, rng.gen(), |g, o| {
                    data.weight(g * rows + o) * groups[g].closest[o]
                }))
            })
            .collect();
        let reach: Vec<f64> = chosen
            .iter()
            .map(|&j| {
                candidates
                    .iter()
                    .map(|&c| sq_dist(data.row(j), data.row(c)).to_f64() * shrink)
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let cands = Candidates::new(data, &candidates);
        let parts: Vec<Vec<f64>> = groups
            .par_iter_mut()
            .map(|g| {
                with_avx2(
                    #[inline(always)]
                    || g.evaluate(data, &cands, &reach, limit),
                )
            })
            .collect();
        let mut pots = vec![0.0f64; trials];
        for part in parts {
            for (p, v) in pots.iter_mut().zip(part) {
                *p += v;
            }
        }
        let mut best = 0;
        for (c, &p) in pots.iter().enumerate() {
            if p < pots[best] {
                best = c;
            }
        }
        chosen.push(candidates[best]);
        groups.par_iter_mut().for_each(|g| {
            with_avx2(
                #[inline(always)]
                || g.accept(data, &cands, &reach, best, index as u32),
            )
        });
    }
    let mut centres = Vec::with_capacity(k * data.d);
    for &i in &chosen {
        centres.extend_from_slice(data.row(i));
    }
    Ok(centres)
}

/// `k` distinct rows drawn with probability proportional to their weight, without
/// replacement (Efraimidis-Spirakis keys `ln(u) / w`, same law as numpy's sequential
/// `choice(replace=False, p=w)`). Rows with zero weight are never drawn.
pub fn random_rows<F: Float>(
    data: &Data<'_, F>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> CoreResult<Vec<F>> {
    let chosen = random_row_indices(data.n, |i| data.weight(i), k, rng)?;
    let mut centres = Vec::with_capacity(k * data.d);
    for &i in &chosen {
        centres.extend_from_slice(data.row(i));
    }
    Ok(centres)
}

/// The rows [`random_rows`] takes, in order, from `n` rows weighted by `weight` (shared
/// with the sparse input, whose rows are not slices).
pub(crate) fn random_row_indices(
    n: usize,
    weight: impl Fn(usize) -> f64,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> CoreResult<Vec<usize>> {
    let positive = (0..n).filter(|&i| weight(i) > 0.0).count();
    if positive < k {
        return Err(CoreError::InvalidWeights(format!(
            "init='random' needs n_clusters={k} rows with positive weight, found {positive}"
        )));
    }
    let mut keys: Vec<(f64, usize)> = (0..n)
        .map(|i| {
            let u: f64 = rng.gen();
            let w = weight(i);
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
    Ok(keys.into_iter().map(|(_, i)| i).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::SeedableRng;

    fn view<'a, F: Float>(x: &'a [F], d: usize, w: Option<&'a [f64]>) -> Data<'a, F> {
        Data {
            x,
            n: x.len() / d,
            d,
            w,
        }
    }

    /// Clustered rows with a few exact duplicates, and weights (some zero) if asked.
    fn sample(n: usize, d: usize, weighted: bool, seed: u64) -> (Vec<f64>, Option<Vec<f64>>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut x = Vec::with_capacity(n * d);
        for i in 0..n {
            if i % 97 == 5 {
                let j = rng.gen_range(0..i);
                x.extend_from_within(j * d..(j + 1) * d);
                continue;
            }
            let c = rng.gen_range(0..6) as f64;
            for j in 0..d {
                x.push(4.0 * c * ((j % 3) as f64 - 1.0) + rng.gen::<f64>());
            }
        }
        let w = weighted.then(|| {
            (0..n)
                .map(|i| {
                    if i % 7 == 0 {
                        0.0
                    } else {
                        rng.gen::<f64>() * 3.0
                    }
                })
                .collect()
        });
        (x, w)
    }

    /// Greedy k-means++ written plainly (scikit-learn's `_kmeans_plusplus` with one
    /// cumulative sum and every distance computed), on the same random numbers.
    fn plain<F: Float>(data: &Data<'_, F>, k: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<usize> {
        let n = data.n;
        let trials = 2 + (k as f64).ln().floor() as usize;
        let search = |values: &dyn Fn(usize) -> f64, u: f64| {
            let total: f64 = (0..n).map(values).sum();
            let mut acc = 0.0;
            for i in 0..n {
                acc += values(i);
                if acc >= u * total {
                    return i;
                }
            }
            n - 1
        };
        let dist = |i: usize, c: usize| sq_dist(data.row(i), data.row(c)).to_f64();
        let mut chosen = vec![search(&|i| data.weight(i), rng.gen())];
        let mut closest: Vec<f64> = (0..n).map(|i| dist(i, chosen[0])).collect();
        for _ in 1..k {
            let candidates: Vec<usize> = (0..trials)
                .map(|_| search(&|i| data.weight(i) * closest[i], rng.gen()))
                .collect();
            let pot = |c: usize| -> f64 {
                (0..n)
                    .map(|i| data.weight(i) * closest[i].min(dist(i, c)))
                    .sum()
            };
            let best = *candidates
                .iter()
                .min_by(|&&a, &&b| pot(a).total_cmp(&pot(b)))
                .unwrap();
            chosen.push(best);
            for (i, c) in closest.iter_mut().enumerate() {
                *c = c.min(dist(i, best));
            }
        }
        chosen
    }

    #[test]
    fn seeding_matches_plain_greedy_kmeanspp_and_reports_closest_centres() {
        // 5000 rows: three row groups, so group sums, two-level draws and whole-group
        // pruning are all exercised.
        for (seed, weighted, k) in [
            (1, false, 1),
            (2, false, 2),
            (3, true, 5),
            (4, false, 9),
            (5, true, 23),
        ] {
            let (x, w) = sample(5000, 5, weighted, seed);
            let data = view(&x, 5, w.as_deref());
            let seeded =
                kmeans_plusplus(&data, k, &mut restart_rng(seed, 0), &Interrupt::new()).unwrap();
            let chosen = plain(&data, k, &mut restart_rng(seed, 0));
            let expected: Vec<f64> = chosen.iter().flat_map(|&i| data.row(i).to_vec()).collect();
            assert_eq!(seeded.centres, expected, "seed {seed}, k {k}");
            for i in 0..data.n {
                let dists: Vec<f64> = (0..k)
                    .map(|c| sq_dist(data.row(i), &seeded.centres[c * 5..(c + 1) * 5]))
                    .collect();
                let min = dists.iter().copied().fold(f64::INFINITY, f64::min);
                let first = dists.iter().position(|&v| v == min).unwrap();
                assert!((seeded.closest[i] - min).abs() <= 1e-12 * min.max(1.0));
                assert_eq!(seeded.nearest[i] as usize, first, "row {i}");
            }
        }
    }

    #[test]
    fn seeding_of_identical_rows_and_f32() {
        let x = vec![2.5f32; 300 * 3];
        let data = view(&x, 3, None);
        let seeded = kmeans_plusplus(&data, 4, &mut restart_rng(0, 0), &Interrupt::new()).unwrap();
        assert_eq!(seeded.centres, vec![2.5f32; 12]);
        assert!(seeded.closest.iter().all(|&c| c == 0.0));
        let (x64, _) = sample(3000, 4, false, 9);
        let x32: Vec<f32> = x64.iter().map(|&v| v as f32).collect();
        let data = view(&x32, 4, None);
        let seeded = kmeans_plusplus(&data, 6, &mut restart_rng(9, 0), &Interrupt::new()).unwrap();
        let chosen = plain(&data, 6, &mut restart_rng(9, 0));
        let expected: Vec<f32> = chosen.iter().flat_map(|&i| data.row(i).to_vec()).collect();
        assert_eq!(seeded.centres, expected);
    }

    /// Both ways of moving rows to a step's best candidate (the distances kept from the
    /// evaluation, or computed again) give bit-identical centres, distances and labels.
    #[test]
    fn kept_and_recomputed_distances_give_the_same_seeding() {
        fn both<F: Float>(data: &Data<'_, F>, k: usize, seed: u64) {
            let run = |limit: usize| {
                let mut nearest = vec![0i32; data.n];
                let mut closest = vec![0.0f64; data.n];
                let stop = Interrupt::new();
                let mut rng = restart_rng(seed, 0);
                let centres =
                    seed_into(data, k, &mut rng, &stop, &mut nearest, &mut closest, limit).unwrap();
                (centres, nearest, closest)
            };
            let kept = run(usize::MAX);
            let again = run(0);
            assert_eq!(kept.0, again.0, "centres, seed {seed}, k {k}");
            assert_eq!(kept.1, again.1, "labels, seed {seed}, k {k}");
            let bits = |v: &[f64]| v.iter().map(|c| c.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&kept.2),
                bits(&again.2),
                "distances, seed {seed}, k {k}"
            );
            assert_eq!(
                kmeans_plusplus_into(
                    data,
                    k,
                    &mut restart_rng(seed, 0),
                    &Interrupt::new(),
                    &mut vec![0; data.n],
                    &mut vec![0.0; data.n]
                )
                .unwrap(),
                kept.0
            );
        }
        // k = 23 has five candidates: two blocks, the best one in either.
        for (seed, weighted, k) in [(11, false, 8), (12, true, 23), (13, false, 40)] {
            let (x, w) = sample(5000, 5, weighted, seed);
            both(&view(&x, 5, w.as_deref()), k, seed);
        }
        let (x64, _) = sample(3000, 4, false, 14);
        let x32: Vec<f32> = x64.iter().map(|&v| v as f32).collect();
        both(&view(&x32, 4, None), 7, 14);
    }
}
