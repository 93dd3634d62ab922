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
