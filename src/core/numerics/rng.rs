//! Seeded random streams: one independent, reproducible stream per replicate.

use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

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
