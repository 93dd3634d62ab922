//! Random streams: one reproducible stream per restart (or replicate), whatever thread
//! runs it, and one independent, reproducible stream per bootstrap replicate.

use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::{CoreResult, Interrupt};

/// SplitMix64's finaliser: a bijective mix of 64 bits (Steele, Lea & Flood 2014), used to
/// derive well-separated seeds from `(seed, index)` pairs.
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of replicate `b`: seeded from SplitMix64 of `(seed, b)`, so each
/// replicate is reproducible on its own, in O(1) whatever `b`, and the same on any number
/// of threads.
pub fn replicate_rng(seed: u64, b: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(splitmix64(seed ^ splitmix64(b)))
}

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

/// The streams [`restart_rng`]`(seed, first)`, `(seed, first + 1)`, ... in order, one jump
/// each: `n_init` restarts cost `n_init` jumps instead of `n_init^2 / 2`.
#[derive(Debug, Clone)]
pub struct RestartStreams {
    next: Xoshiro256PlusPlus,
}

impl RestartStreams {
    /// The streams of restarts `first`, `first + 1`, ...
    pub fn new(seed: u64, first: usize) -> Self {
        RestartStreams {
            next: restart_rng(seed, first),
        }
    }

    /// The next `count` streams.
    pub fn take(&mut self, count: usize) -> Vec<Xoshiro256PlusPlus> {
        (0..count)
            .map(|_| {
                let rng = self.next.clone();
                self.next.jump();
                rng
            })
            .collect()
    }
}
/// From this many rows on, a fit whose restarts are each parallel over rows (k-means,
/// batch k-prototypes) runs them one after another instead of in parallel waves: the
/// per-row buffers then exist once, not once per concurrent restart. The results do not
/// depend on the choice (each restart has its own random stream and the best is picked
/// in restart order).
pub const SEQUENTIAL_RESTARTS_ROWS: usize = 1 << 16;

/// Restarts `0..n` run in parallel waves of two per thread, restart `r` with the stream
/// taken from `streams` in order; `keep` receives the results in restart order. One wave
/// of results is held at a time (a result holds a label per row), however large `n`, and
/// `stop` is checked before each wave (the runs check it too). The results, and their
/// order, do not depend on the number of threads.
pub fn run_restarts<R: Send>(
    n: usize,
    streams: &mut RestartStreams,
    stop: &Interrupt,
    run: impl Fn(usize, Xoshiro256PlusPlus) -> CoreResult<R> + Sync + Send,
    keep: impl FnMut(R),
) -> CoreResult<()> {
    run_restarts_in_waves(n, default_wave(), streams, stop, run, keep)
}

/// Restarts per wave of [`run_restarts`]: two per thread.
pub fn default_wave() -> usize {
    2 * rayon::current_num_threads().max(1)
}

/// Rows of per-row results (labels, bounds) that the restarts of one wave may hold
/// together: see [`restart_wave`].
const WAVE_ROWS: usize = 1 << 20;

/// Restarts per wave for a fit of `n_rows` rows whose runs hold per-row buffers: at
/// least [`default_wave`], and as many as [`WAVE_ROWS`] rows of buffers allow. Each wave
/// hands its runs to the pool's threads and waits for them (two thread wake-ups, tens of
/// microseconds on a virtual machine), as much as a restart of a few hundred rows: a
/// small fit's restarts run in one wave.
pub fn restart_wave(n_rows: usize) -> usize {
    default_wave().max(WAVE_ROWS / n_rows.max(1))
}

/// [`run_restarts`] with `wave` restarts at a time (`1`: one after another, each free to
/// use the whole pool). The results and their order do not depend on `wave`.
pub fn run_restarts_in_waves<R: Send>(
    n: usize,
    wave: usize,
    streams: &mut RestartStreams,
    stop: &Interrupt,
    run: impl Fn(usize, Xoshiro256PlusPlus) -> CoreResult<R> + Sync + Send,
    mut keep: impl FnMut(R),
) -> CoreResult<()> {
    let wave = wave.max(1);
    let mut first = 0;
    while first < n {
        stop.check()?;
        let last = (first + wave).min(n);
        let results: Vec<CoreResult<R>> = streams
            .take(last - first)
            .into_par_iter()
            .enumerate()
            .map(|(i, rng)| run(first + i, rng))
            .collect();
        for result in results {
            keep(result?);
        }
        first = last;
    }
    Ok(())
}
