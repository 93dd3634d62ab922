//! Random streams: one reproducible stream per restart (or replicate), whatever thread
//! runs it.

use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

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
