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
//! ([`Float::ROUNDING_SLACK`], far above rounding error), so distance ties and near-ties are
//! always settled by the same distance kernel and tie rule (lowest index) as Lloyd's and
//! `predict`'s: the final labels equal `predict(x, centres)` exactly.
//!
//! Centre sums are kept per cluster and updated only for rows that change label (in
//! `f64`, deltas reduced in fixed group order): after the first iteration a row that keeps
//! its label is never read again, which is what makes an iteration cheap.

use rayon::prelude::*;

use super::check_finite;
use super::common::{
    average_centres, centre_shifts, group_rows, prefetch, relocate_empty_clusters, sq_dist,
    sq_dist_f64, tolerance_from_moments, CentreBlocks, Data, GroupMoments, Sums,
};
use super::lloyd::RunResult;
use crate::numerics::{simd::with_avx2, Float};
use crate::{CoreError, CoreResult, Interrupt};

/// Rows per bound-test block in a sweep (see the prefetching note in [`run`]): a prefetch
/// window inside one row group, not a reduction order.
const SWEEP_BLOCK: usize = 64;
/// Blocks whose rows are tested ahead of the block being computed (see [`bounded_sweep`]).
const LOOKAHEAD: usize = 4;

/// A row's bounds as stored, relative to its centre's drift so that a row its bounds
/// settle is only read, never written: with `D[a]` the summed shifts of centre `a` and
/// `E[a]` the summed largest shifts of the other centres (both since the run began), a
/// row of cluster `a` stores `U = upper - D[a]` and `L = lower + E[a]` when its bounds
/// are set; later its bounds are `U + D[a]` and `L - E[a]`, which is Hamerly's update
/// applied lazily. (An eager update rewrites every row's bounds every iteration, and the
/// bound pass is limited by memory traffic.)
///
/// What is stored is `U` and the gap `G = L - s * U` (`s` the rounding slack of the bound
/// test): the lower-bound test `(U + D[a]) * s < L - E[a]` is then `G > s * D[a] + E[a]`,
/// so a sweep settles most rows by comparing the two stored `f32` values with two
/// per-cluster thresholds, branch-free, before anything is widened (see [`Unsettled`]).
///
/// `U` is rounded up and `G` down to `f32`, and both are packed in one 8-byte slot (which
/// holds the seeding's squared distance before the first sweep): rounding outward keeps
/// them valid bounds, so a few more rows fail the tests than with exact values and the
/// labels are unchanged. Bounds beyond `f32`'s range stop pruning (upper infinite, gap
/// `f32::MAX` or minus infinity) but stay valid.
#[inline(always)]
fn pack(up: f32, lo: f32) -> f64 {
    f64::from_bits(u64::from(up.to_bits()) | (u64::from(lo.to_bits()) << 32))
}

/// The stored `(U, G)` of a [`pack`]ed slot, widened to `f64`.
#[inline(always)]
fn unpack(slot: f64) -> (f64, f64) {
    let bits = slot.to_bits();
    (
        f64::from(f32::from_bits(bits as u32)),
        f64::from(stored_gap(slot)),
    )
}

/// The stored gap `G` of a slot, as stored.
#[inline(always)]
fn stored_gap(slot: f64) -> f32 {
    f32::from_bits((slot.to_bits() >> 32) as u32)
}

/// The slot of a row whose bounds, relative to its centre's drift (see [`pack`]), are
/// `upper` and `lower`: `U` rounded up, then `G = lower - slack * U` rounded down (with a
/// margin for the two roundings of computing `G` here and `L` in [`relative_bounds`]).
#[inline(always)]
fn store(upper: f64, lower: f64, slack: f64) -> f64 {
    let u = up_f32(upper);
    let su = slack * f64::from(u);
    let margin = (lower.abs() + su.abs()) * GAP_ROUNDING;
    // An infinite bound (one cluster) keeps its gap infinite (`f32::MAX` once stored).
    let gap = if margin.is_finite() {
        lower - su - margin
    } else {
        lower - su
    };
    pack(u, down_f32(gap))
}

/// The relative bounds `(U, L)` of a slot, `L = G + slack * U` (valid: at most the
/// `lower` it was stored from); an infinite `U` gives no lower bound.
#[inline(always)]
fn relative_bounds(slot: f64, slack: f64) -> (f64, f64) {
    let (u, g) = unpack(slot);
    let lower = if u.is_finite() {
        g + slack * u
    } else {
        f64::NEG_INFINITY
    };
    (u, lower)
}

/// Relative widening that makes rounding to the nearest `f32` land outward: above the
/// `2^-24` relative error of that rounding (and far above `f64`'s).
const WIDEN: f64 = 1.0 / (1u64 << 22) as f64;
/// Absolute widening, above half the smallest `f32` step (`2^-150`, subnormals).
const TINY: f64 = 1e-44;
/// Relative margin (to the terms' size) covering the `f64` rounding of `G` and of `L`
/// recomputed from it: a few units of `2^-53`.
const GAP_ROUNDING: f64 = 1.0 / (1u64 << 50) as f64;

/// An `f32` at or above `x` (within about `2^-21` relative; `-f32::MAX` at least, so a
/// value below `f32`'s range never rounds down to minus infinity); branch-free.
#[inline(always)]
fn up_f32(x: f64) -> f32 {
    let y = x + (x.abs() * WIDEN + TINY);
    let lowest = -f64::from(f32::MAX);
    // Comparisons, not `max`: a NaN stays NaN.
    (if y < lowest { lowest } else { y }) as f32
}

/// An `f32` at or below `x` (within about `2^-21` relative; `f32::MAX` at most, so a
/// value beyond `f32`'s range never rounds up to infinity); branch-free.
#[inline(always)]
fn down_f32(x: f64) -> f32 {
    let margin = x.abs() * WIDEN + TINY;
    let y = if margin < f64::MAX { x - margin } else { x }; // infinite x
    let highest = f64::from(f32::MAX);
    (if y > highest { highest } else { y }) as f32
}

/// Half the distance from each centre to its nearest other centre.
fn half_nearest_centre<F: Float>(centres: &[F], k: usize, d: usize) -> Vec<f64> {
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
    /// Variance moments of the group (first sweep, when the tolerance is measured there).
    moments: Option<GroupMoments>,
    count: Vec<i64>,
    positive: Vec<i64>,
    changed: usize,
}

impl Delta {
    fn new(k: usize) -> Self {
        Delta {
            sums: None,
            moments: None,
            count: vec![0; k],
            positive: vec![0; k],
            changed: 0,
        }
    }

    /// Row `row` (weight `w`) moves from cluster `old` (`< 0`: none yet) to `new`.
    #[inline(always)]
    fn relabel<F: Float>(&mut self, row: &[F], w: f64, old: i32, new: usize, k: usize) {
        let s = self.sums.get_or_insert_with(|| Sums::zeros(k, row.len()));
        if old >= 0 {
            let a = old as usize;
            s.sub(a, row, w);
            self.count[a] -= 1;
            self.positive[a] -= (w > 0.0) as i64;
        }
        s.add(new, row, w);
        self.count[new] += 1;
        self.positive[new] += (w > 0.0) as i64;
        self.changed += 1;
    }
}

/// Centre-dependent inputs of one sweep.
struct SweepCentres<'c, F> {
    blocks: CentreBlocks<F>,
    centres: &'c [F],
    /// Half the distance from each centre to its nearest other centre.
    half: Vec<f64>,
    /// Summed shifts of each centre (`D`, see [`pack`]).
    drift: &'c [f64],
    /// Summed largest shifts of the other centres (`E`).
    other_drift: &'c [f64],
    /// The bound test's factor, `1 + F::ROUNDING_SLACK`.
    slack: f64,
    /// Per cluster `a`, `half[a] / s - D[a]` rounded down to `f32`: a row of `a` whose
    /// stored `U` is below it is settled by the half-distance test. Padded with zeros to
    /// [`THRESHOLD_LANES`] entries when `k` is smaller (one vector, see [`unsettled_bits`]).
    settled_upper: Vec<f32>,
    /// Per cluster `a`, `s * D[a] + E[a]` rounded up to `f32`: a row of `a` whose stored
    /// gap `G` exceeds it is settled by its lower bound (see [`pack`]). Padded as
    /// `settled_upper`.
    settled_gap: Vec<f32>,
}

impl<'c, F: Float> SweepCentres<'c, F> {
    fn new(centres: &'c [F], k: usize, d: usize, drift: &'c [f64], other_drift: &'c [f64]) -> Self {
        let slack = 1.0 + F::ROUNDING_SLACK;
        let half = half_nearest_centre(centres, k, d);
        let mut settled_upper: Vec<f32> = half
            .iter()
            .zip(drift)
            .map(|(h, dr)| down_f32(h / slack - dr))
            .collect();
        let mut settled_gap: Vec<f32> = drift
            .iter()
            .zip(other_drift)
            .map(|(dr, od)| up_f32(slack * dr + od))
            .collect();
        // No row has a padding cluster's label: the values never take part.
        settled_upper.resize(k.max(THRESHOLD_LANES), 0.0);
        settled_gap.resize(k.max(THRESHOLD_LANES), 0.0);
        SweepCentres {
            blocks: CentreBlocks::new(centres, k, d),
            centres,
            half,
            drift,
            other_drift,
            slack,
            settled_upper,
            settled_gap,
        }
    }
}

/// Store the result of a full distance computation for row `o` (offset in the group).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn settle<F: Float>(
    data: &Data<'_, F>,
    k: usize,
    start: usize,
    o: usize,
    (c, d1, d2): (usize, F, Option<F>),
    sc: &SweepCentres<'_, F>,
    lab: &mut [i32],
    bd: &mut [f64],
    delta: &mut Delta,
) {
    let lower = d2.map_or(f64::INFINITY, |v| v.to_f64().sqrt());
    bd[o] = store(
        d1.to_f64().sqrt() - sc.drift[c],
        lower + sc.other_drift[c],
        sc.slack,
    );
    if c as i32 != lab[o] {
        delta.relabel(data.row(start + o), data.weight(start + o), lab[o], c, k);
        lab[o] = c as i32;
    }
}

/// Where the first sweep of [`run`] starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstSweep {
    /// From the centres alone: every distance is computed.
    Plain,
    /// From k-means++ seeding ([`super::init::kmeans_plusplus_into`]) on the same
    /// centres: the workspace's labels hold each row's closest seed (the first on ties)
    /// and its bounds slots the exact squared distance to it.
    Seeded,
}

/// First sweep: every row gets its closest centre and exact bounds; with
/// `measure_variance`, the group's [`GroupMoments`] are accumulated on the way.
///
/// From the seeding state no distance is computed: a row's label is its closest seed `a`
/// and its upper bound the exact distance `u` to it; its lower bound is
/// `2 * half(a) - u`, since every other centre is at least `2 * half(a)` from `a`
/// (triangle inequality). A row those bounds do not settle gets its distances in the
/// next sweep, like any row whose bounds fail.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn first_sweep<F: Float>(
    data: &Data<'_, F>,
    measure_variance: bool,
    sc: &SweepCentres<'_, F>,
    k: usize,
    start: usize,
    first: FirstSweep,
    lab: &mut [i32],
    bd: &mut [f64],
) -> Delta {
    let mut delta = Delta::new(k);
    let len = lab.len();
    let mut moments = measure_variance.then(|| GroupMoments::new(data.row(start)));
    if first == FirstSweep::Seeded {
        for o in 0..len {
            let row = data.row(start + o);
            if let Some(m) = moments.as_mut() {
                m.add(row);
            }
            let a = lab[o].max(0) as usize;
            // The first sweep: no drift yet.
            let u = bd[o].sqrt();
            bd[o] = store(u, (2.0 * sc.half[a] - u).max(0.0), sc.slack);
            delta.relabel(row, data.weight(start + o), -1, a, k);
        }
        delta.moments = moments;
        return delta;
    }
    lab.fill(-1);
    let mut buf = vec![F::zero(); 2 * sc.blocks.padded()];
    let mut o = 0;
    while o + 1 < len {
        let (row_a, row_b) = (data.row(start + o), data.row(start + o + 1));
        if let Some(m) = moments.as_mut() {
            m.add(row_a);
            m.add(row_b);
        }
        let [ra, rb] = sc.blocks.closest_two_pair(row_a, row_b, &mut buf);
        settle(data, k, start, o, ra, sc, lab, bd, &mut delta);
        settle(data, k, start, o + 1, rb, sc, lab, bd, &mut delta);
        o += 2;
    }
    if o < len {
        if let Some(m) = moments.as_mut() {
            m.add(data.row(start + o));
        }
        let r = sc.blocks.closest_two(data.row(start + o), &mut buf);
        settle(data, k, start, o, r, sc, lab, bd, &mut delta);
    }
    delta.moments = moments;
    delta
}

/// Later sweeps: bounds moved by the shifts since they were set (see [`pack`]); only
/// rows they do not certify are read, and only those rows' bounds are written.
///
/// Rows go in blocks: the bound tests of a block (cheap, see [`Unsettled`]) prefetch the
/// rows that fail them, and those rows are computed [`LOOKAHEAD`] blocks later, when their
/// data has arrived (computed at once, each sparse failing row would wait on memory: that
/// wait was most of a late iteration's time). A failing row's upper bound is tightened to the
/// exact distance, and the rows still not certified get all their distances, two rows at
/// a time. Label changes are applied in row order, so the sums are those of a plain
/// row-by-row sweep.
#[inline(always)]
fn bounded_sweep<F: Float>(
    data: &Data<'_, F>,
    sc: &SweepCentres<'_, F>,
    k: usize,
    start: usize,
    lab: &mut [i32],
    bd: &mut [f64],
) -> Delta {
    let d = data.d;
    let slack = sc.slack;
    let slack2 = slack * slack;
    let mut delta = Delta::new(k);
    let mut buf = vec![F::zero(); 2 * sc.blocks.padded()];
    let n_blocks = lab.len().div_ceil(SWEEP_BLOCK);
    // Blocks in flight: the rows of block `b + LOOKAHEAD` are tested (and the failing
    // ones prefetched) before those of block `b` are computed, so their data has that
    // much work to arrive in.
    let mut ring: [Unsettled; LOOKAHEAD + 1] = std::array::from_fn(|_| Unsettled::new());
    for (b, slot) in ring.iter_mut().enumerate().take(LOOKAHEAD.min(n_blocks)) {
        slot.collect(sc, b * SWEEP_BLOCK, lab, bd, data, start);
    }
    for b in 0..n_blocks {
        if b + LOOKAHEAD < n_blocks {
            ring[(b + LOOKAHEAD) % (LOOKAHEAD + 1)].collect(
                sc,
                (b + LOOKAHEAD) * SWEEP_BLOCK,
                lab,
                bd,
                data,
                start,
            );
        }
        let cur = &mut ring[b % (LOOKAHEAD + 1)];
        // Tighten: keep (in place, in order) the rows the exact upper bound does not
        // settle. Compared squared (m >= 0), so the square root is only taken for settled
        // rows; the slack dwarfs the rounding difference between the two forms of the test.
        let mut n_full = 0;
        for t in 0..cur.n {
            let o = cur.rows[t];
            let a = lab[o].max(0) as usize;
            let dd = sq_dist(data.row(start + o), &sc.centres[a * d..(a + 1) * d]).to_f64();
            let m = sc.half[a].max(cur.lower[t]);
            if dd * slack2 < m * m {
                // `L` is kept: the stored relative lower bound, `lower` + `E[a]`.
                bd[o] = store(
                    dd.sqrt() - sc.drift[a],
                    cur.lower[t] + sc.other_drift[a],
                    slack,
                );
            } else {
                // The bounds are set by the full computation below.
                cur.rows[n_full] = o;
                n_full += 1;
            }
        }
        let todo = &cur.rows[..n_full];
        let mut t = 0;
        while t + 1 < n_full {
            let (oa, ob) = (todo[t], todo[t + 1]);
            let (row_a, row_b) = (data.row(start + oa), data.row(start + ob));
            let [ra, rb] = sc.blocks.closest_two_pair(row_a, row_b, &mut buf);
            settle(data, k, start, oa, ra, sc, lab, bd, &mut delta);
            settle(data, k, start, ob, rb, sc, lab, bd, &mut delta);
            t += 2;
        }
        if t < n_full {
            let o = todo[t];
            let r = sc.blocks.closest_two(data.row(start + o), &mut buf);
            settle(data, k, start, o, r, sc, lab, bd, &mut delta);
        }
    }
    delta
}

/// The rows of one block of a sweep that the bounds do not settle, with their current
/// lower bounds (for the tightening test).
struct Unsettled {
    rows: [usize; SWEEP_BLOCK],
    lower: [f64; SWEEP_BLOCK],
    n: usize,
}

impl Unsettled {
    fn new() -> Self {
        Unsettled {
            rows: [0; SWEEP_BLOCK],
            lower: [0.0; SWEEP_BLOCK],
            n: 0,
        }
    }

    /// Test the block of rows from `block_start`: first on the stored `f32` values
    /// against the per-cluster thresholds, branch-free (bit `j` set for each row they do
    /// not settle), then those rows on their bounds in `f64`; the rows still unsettled are
    /// kept and their data prefetched.
    #[inline(always)]
    fn collect<F: Float>(
        &mut self,
        sc: &SweepCentres<'_, F>,
        block_start: usize,
        lab: &[i32],
        bd: &[f64],
        data: &Data<'_, F>,
        start: usize,
    ) {
        let block_end = (block_start + SWEEP_BLOCK).min(lab.len());
        let mut unsettled = unsettled_bits(
            &lab[block_start..block_end],
            &bd[block_start..block_end],
            &sc.settled_upper,
            &sc.settled_gap,
        );
        self.n = 0;
        while unsettled != 0 {
            let o = block_start + unsettled.trailing_zeros() as usize;
            unsettled &= unsettled - 1;
            let a = lab[o].max(0) as usize;
            let (up, lo) = relative_bounds(bd[o], sc.slack);
            let (up, lo) = (up + sc.drift[a], lo - sc.other_drift[a]);
            if up * sc.slack >= sc.half[a].max(lo) {
                prefetch(data.row(start + o));
                self.rows[self.n] = o;
                self.lower[self.n] = lo;
                self.n += 1;
            }
        }
    }
}

/// Thresholds in one vector of the bound test: `k <= THRESHOLD_LANES` clusters take the
/// vector path of [`unsettled_bits`].
const THRESHOLD_LANES: usize = 8;

/// Bit `j` set for each row `j` of a block (at most 64 rows) that the stored `f32`
/// values do not settle: `U < settled_upper[a]` or `G > settled_gap[a]` for its cluster
/// `a` (NaN compares false: such a row is never settled here). Eight rows at a time with
/// AVX2 when the CPU has it and the thresholds are one vector ([`THRESHOLD_LANES`]
/// entries, `k <= 8` padded; each row's are picked by a lane permutation instead of a
/// gather); the same bits either way.
#[inline(always)]
fn unsettled_bits(lab: &[i32], bd: &[f64], settled_upper: &[f32], settled_gap: &[f32]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if settled_upper.len() == THRESHOLD_LANES
            && settled_gap.len() == THRESHOLD_LANES
            && crate::numerics::simd::has_avx2()
        {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { unsettled_bits_avx2(lab, bd, settled_upper, settled_gap) };
        }
    }
    unsettled_bits_scalar(lab, bd, settled_upper, settled_gap, 0)
}

/// [`unsettled_bits`] of rows `from..` of the block, one row at a time.
#[inline(always)]
fn unsettled_bits_scalar(
    lab: &[i32],
    bd: &[f64],
    settled_upper: &[f32],
    settled_gap: &[f32],
    from: usize,
) -> u64 {
    let mut unsettled = 0u64;
    for (j, (&l, &slot)) in lab.iter().zip(bd).enumerate().skip(from) {
        let a = l.max(0) as usize;
        let bits = slot.to_bits();
        let (up, gap) = (
            f32::from_bits(bits as u32),
            f32::from_bits((bits >> 32) as u32),
        );
        let settled = (up < settled_upper[a]) | (gap > settled_gap[a]);
        unsettled |= u64::from(!settled) << j;
    }
    unsettled
}

/// [`unsettled_bits`] with AVX2 for `k <= 8`: per eight rows, the slots' `U` and `G`
/// halves are separated by shuffles, each row's thresholds taken from the two threshold
/// vectors by its label (`permutevar8x32`), and the two comparisons packed into a mask.
///
/// # Safety
/// The CPU must support AVX2; `settled_upper` and `settled_gap` hold exactly
/// [`THRESHOLD_LANES`] values, every label is below that (or negative: treated as
/// cluster 0), and `lab`, `bd` have the same length, at most 64.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn unsettled_bits_avx2(
    lab: &[i32],
    bd: &[f64],
    settled_upper: &[f32],
    settled_gap: &[f32],
) -> u64 {
    use std::arch::x86_64::*;
    let tu = _mm256_loadu_ps(settled_upper.as_ptr());
    let tg = _mm256_loadu_ps(settled_gap.as_ptr());
    let zero = _mm256_setzero_si256();
    let len = lab.len().min(bd.len());
    let mut unsettled = 0u64;
    let mut j = 0;
    while j + 8 <= len {
        let labels = _mm256_max_epi32(_mm256_loadu_si256(lab.as_ptr().add(j).cast()), zero);
        // Slots j..j+4 and j+4..j+8 as f32 pairs (U, G).
        let lo = _mm256_loadu_ps(bd.as_ptr().add(j).cast::<f32>());
        let hi = _mm256_loadu_ps(bd.as_ptr().add(j + 4).cast::<f32>());
        // In-lane shuffles give rows (0, 1, 4, 5, 2, 3, 6, 7); swapping the middle 64-bit
        // lanes restores row order.
        let ups = _mm256_shuffle_ps::<0b10_00_10_00>(lo, hi);
        let gaps = _mm256_shuffle_ps::<0b11_01_11_01>(lo, hi);
        let ups = _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(
            ups,
        )));
        let gaps = _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(
            gaps,
        )));
        let settled = _mm256_or_ps(
            _mm256_cmp_ps::<_CMP_LT_OQ>(ups, _mm256_permutevar8x32_ps(tu, labels)),
            _mm256_cmp_ps::<_CMP_GT_OQ>(gaps, _mm256_permutevar8x32_ps(tg, labels)),
        );
        let settled = _mm256_movemask_ps(settled) as u32 as u64;
        unsettled |= (!settled & 0xff) << j;
        j += 8;
    }
    unsettled | unsettled_bits_scalar(lab, bd, settled_upper, settled_gap, j)
}

/// The convergence tolerance of [`run`].
#[derive(Debug, Clone, Copy)]
pub enum Tolerance {
    /// Absolute: already scaled by the data's variance.
    Absolute(f64),
    /// Relative: scaled by the mean feature variance, measured during the first sweep
    /// (which reads every row anyway) instead of in a separate pass; bit-identical to
    /// [`super::common::tolerance`]. A NaN or infinity in the data is then reported
    /// as [`CoreError::NonFinite`] by the run.
    Relative(f64),
}

/// One Hamerly run from `init`; same contract as [`super::lloyd::run`]. Errors only
/// with [`Tolerance::Relative`] on non-finite data.
///
/// The run works in the caller's buffers, so restarts run one after another reuse them:
/// `labels` (length `n`, moved into the result) and `bounds` (length `n`, left holding
/// packed bounds). With [`FirstSweep::Seeded`] they hold the seeding state on entry and
/// the first sweep computes no distance. Checks `stop` before each iteration.
#[allow(clippy::too_many_arguments)]
pub fn run<F: Float>(
    data: &Data<'_, F>,
    init: &[F],
    k: usize,
    max_iter: usize,
    tolerance: Tolerance,
    first: FirstSweep,
    mut labels: Vec<i32>,
    bounds: &mut [f64],
    stop: &Interrupt,
) -> CoreResult<RunResult<F>> {
    let mut tol = match tolerance {
        Tolerance::Absolute(t) => t,
        Tolerance::Relative(_) => f64::NAN, // set after the first sweep
    };
    let (d, n) = (data.d, data.n);
    if labels.len() != n || bounds.len() != n {
        return Err(CoreError::Internal(
            "Hamerly buffers of the wrong length".into(),
        ));
    }
    let rows = group_rows(n);
    let mut centres = init.to_vec();
    let mut new_centres = vec![F::zero(); k * d];
    let mut sums = Sums::zeros(k, d);
    let mut count = vec![0i64; k];
    let mut positive = vec![0i64; k];
    // Summed shifts of each centre and summed largest shifts of the others (see [`pack`]).
    let mut drift = vec![0.0f64; k];
    let mut other_drift = vec![0.0f64; k];
    let mut n_iter = 0;
    for it in 0..max_iter {
        stop.check()?;
        n_iter = it + 1;
        let sc = SweepCentres::new(&centres, k, d, &drift, &other_drift);
        let mut parts: Vec<Delta> = labels
            .par_chunks_mut(rows)
            .zip(bounds.par_chunks_mut(rows))
            .enumerate()
            .map(|(g, (lab, bd))| {
                let measure = it == 0 && matches!(tolerance, Tolerance::Relative(_));
                // Both calls sit inside the closure so they are inlined into the SIMD
                // build (a function pointer would call the baseline build).
                with_avx2(
                    #[inline(always)]
                    || {
                        if it == 0 {
                            first_sweep(data, measure, &sc, k, g * rows, first, lab, bd)
                        } else {
                            bounded_sweep(data, &sc, k, g * rows, lab, bd)
                        }
                    },
                )
            })
            .collect();
        if let (0, Tolerance::Relative(rel)) = (it, tolerance) {
            let moments: Vec<GroupMoments> =
                parts.iter_mut().filter_map(|p| p.moments.take()).collect();
            if moments.len() != parts.len() {
                return Err(CoreError::Internal("variance moments missing".into()));
            }
            // The mean variance itself (`rel = 1`, a factor that changes no bit), so that
            // non-finite data is caught with `tol = 0` too.
            let mean_variance = tolerance_from_moments(&moments, n, d, 1.0);
            if !mean_variance.is_finite() {
                // NaN/infinity in X (an error), or finite data whose variance overflows.
                check_finite(data.x, "X")?;
            }
            tol = if rel == 0.0 { 0.0 } else { mean_variance * rel };
        }
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
        let shifts = centre_shifts(&centres, &new_centres, k, d);
        for ((dr, od), (s, o)) in drift
            .iter_mut()
            .zip(other_drift.iter_mut())
            .zip(shifts.iter().zip(max_other_shift(&shifts)))
        {
            *dr += s;
            *od += o;
        }
        let shift_tot: f64 = shifts.iter().map(|s| s * s).sum();
        std::mem::swap(&mut centres, &mut new_centres);
        if changed == 0 || shift_tot <= tol {
            break;
        }
    }
    let inertia = final_assignment(data, &centres, k, &mut labels, bounds, &other_drift);
    Ok(RunResult {
        centres,
        labels,
        inertia,
        n_iter,
    })
}

/// Labels against the final centres (bound-pruned) and the weighted inertia. The bounds
/// are not needed afterwards, so they are only read.
fn final_assignment<F: Float>(
    data: &Data<'_, F>,
    centres: &[F],
    k: usize,
    labels: &mut [i32],
    bounds: &[f64],
    other_drift: &[f64],
) -> f64 {
    let d = data.d;
    let rows = group_rows(data.n);
    let half = half_nearest_centre(centres, k, d);
    let slack = 1.0 + F::ROUNDING_SLACK;
    // The test `sqrt(dd) * slack < m` squared (m >= 0); the slack dwarfs the rounding.
    let slack2 = slack * slack;
    let blocks = CentreBlocks::new(centres, k, d);
    let parts: Vec<f64> = labels
        .par_chunks_mut(rows)
        .zip(bounds.par_chunks(rows))
        .enumerate()
        .map(|(g, (lab, bd))| {
            with_avx2(
                #[inline(always)]
                || {
                    let mut buf = vec![F::zero(); blocks.padded()];
                    let mut inertia = 0.0;
                    let start = g * rows;
                    for o in 0..lab.len() {
                        let i = start + o;
                        let row = data.row(i);
                        let mut a = lab[o].max(0) as usize;
                        let m = half[a].max(relative_bounds(bd[o], slack).1 - other_drift[a]);
                        let mut dd = sq_dist_f64(row, &centres[a * d..(a + 1) * d]);
                        if dd * slack2 >= m * m {
                            let (c, _, _) = blocks.closest_two(row, &mut buf);
                            if c != a {
                                a = c;
                                lab[o] = c as i32;
                                dd = sq_dist_f64(row, &centres[a * d..(a + 1) * d]);
                            }
                        }
                        inertia += dd * data.weight(i);
                    }
                    inertia
                },
            )
        })
        .collect();
    parts.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every length up to 64, labels of every cluster (and -1), slots with
    /// values around the thresholds, NaN and infinities: the vector and scalar bound
    /// tests give the same bits.
    #[test]
    fn vector_bound_test_equals_the_scalar_one() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let specials = [f32::NAN, f32::INFINITY, -f32::INFINITY, f32::MAX, 0.0, -0.0];
        for k in 1..=8usize {
            // Padded as `SweepCentres` pads them, so the vector path is taken.
            let mut upper: Vec<f32> = (0..k).map(|c| c as f32 * 0.5 + 0.25).collect();
            let mut gap: Vec<f32> = (0..k).map(|c| 2.0 - c as f32 * 0.3).collect();
            upper.resize(THRESHOLD_LANES, 0.0);
            gap.resize(THRESHOLD_LANES, 0.0);
            for len in 0..=64usize {
                let lab: Vec<i32> = (0..len)
                    .map(|_| (next() % (k as u64 + 1)) as i32 - 1)
                    .collect();
                let bd: Vec<f64> = (0..len)
                    .map(|_| {
                        let mut value = || {
                            let r = next();
                            if r % 11 == 0 {
                                specials[(r / 11 % 6) as usize]
                            } else {
                                (r % 1000) as f32 / 250.0 - 1.0
                            }
                        };
                        pack(value(), value())
                    })
                    .collect();
                let scalar = unsettled_bits_scalar(&lab, &bd, &upper, &gap, 0);
                assert_eq!(
                    unsettled_bits(&lab, &bd, &upper, &gap),
                    scalar,
                    "k={k} len={len}"
                );
            }
        }
    }

    #[test]
    fn stored_bounds_round_outward() {
        let mut values = vec![
            0.0,
            -0.0,
            1e-46,
            1e-45,
            1.4e-45,
            3e-39,
            1.1754942e-38,
            1e-30,
            0.1,
            1.0,
            1.0 + 1e-12,
            3.0,
            1e10,
            3.4e38,
            f64::from(f32::MAX),
            3.5e38,
            1e100,
            f64::MAX,
        ];
        // Values spread over the range, with every rounding position inside an f32 step.
        let mut v = 1.234_567_890_123e-40;
        while v < 1e40 {
            values.push(v);
            values.push(v * (1.0 + 1e-9));
            v *= 7.77;
        }
        for &x in &values {
            for x in [x, -x] {
                let (u, l) = (up_f32(x), down_f32(x));
                assert!(f64::from(u) >= x, "up {x:e} -> {u:e}");
                assert!(f64::from(l) <= x, "down {x:e} -> {l:e}");
                if x.abs() > 1e-30 && x.abs() < 1e38 {
                    // Tight: a few f32 steps.
                    assert!(f64::from(u) <= x + x.abs() * 1e-6, "{x:e} -> {u:e}");
                    assert!(f64::from(l) >= x - x.abs() * 1e-6, "{x:e} -> {l:e}");
                }
                let (pu, pl) = unpack(pack(u, l));
                assert_eq!((pu, pl), (f64::from(u), f64::from(l)));
                assert_eq!(stored_gap(pack(u, l)).to_bits(), l.to_bits());
            }
        }
        // A slot's bounds are valid for what was stored: upper at or above, lower at or
        // below, within a few f32 steps of the upper's scale.
        let slack = 1.0 + f64::ROUNDING_SLACK;
        for &up in &values {
            for &lo in &values {
                for (up, lo) in [(up, lo), (up, up + lo), (up * 0.5, up)] {
                    let (u, l) = relative_bounds(store(up, lo, slack), slack);
                    assert!(u >= up && l <= lo, "({up:e}, {lo:e}) -> ({u:e}, {l:e})");
                    if up < 1e38 && lo < 1e38 && up > 1e-30 {
                        let scale = up.max(lo);
                        assert!(l >= lo - scale * 1e-6, "({up:e}, {lo:e}) -> {l:e}");
                    }
                }
            }
        }
        // One cluster: no second centre, the gap stays infinite; beyond f32's range the
        // upper bound is infinite and gives no lower bound.
        let (u, l) = relative_bounds(store(2.0, f64::INFINITY, slack), slack);
        assert!(u >= 2.0 && l >= 1e38, "{u} {l}");
        let (u, l) = relative_bounds(store(1e300, 1e301, slack), slack);
        assert!(u.is_infinite() && l == f64::NEG_INFINITY);
        assert_eq!(up_f32(f64::INFINITY), f32::INFINITY);
        assert_eq!(down_f32(f64::INFINITY), f32::MAX);
        assert!(up_f32(f64::NAN).is_nan() && down_f32(f64::NAN).is_nan());
    }
}
