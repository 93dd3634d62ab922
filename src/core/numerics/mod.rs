//! Shared numerics: what every feature's kernels are built from.
//!
//! * [`Float`]: the one element trait (`f32` and `f64`) of every generic kernel.
//! * [`CompensatedSum`]: Neumaier's compensated sum, for long sums that must stay exact to
//!   a few ulps whatever their length.
//! * [`simd`]: runtime CPU feature detection and the `#[target_feature]` wrappers that
//!   compile a kernel for AVX2 / AVX-512 while keeping a portable fallback.
//! * [`RowBlocks`]: the fixed partition of rows into blocks that depends only on the
//!   number of rows, never on the thread count, and the ordered reduction over it: every
//!   parallel reduction of the core merges block results in block order, so results are
//!   bit-identical on 1 or many threads.
//! * [`CoMoments`]: mergeable count / sums / centred second moments of a pair of
//!   variables (Chan et al.'s pairwise update), the sufficient statistics that add up across
//!   blocks, chunks and machines.
//! * [`restart_rng`]: the random stream of one restart or replicate, independent of the
//!   thread that runs it.
//!
//! * [`alloc`]: fallible allocation of buffers sized by user input ([`try_filled`],
//!   [`try_with_capacity`], [`checked_len`]): an error naming the buffer and its bytes,
//!   never an abort.
//!
//! These live here, not in a feature folder, so that no feature reaches into another one
//! for its building blocks.

pub mod alloc;
mod blocks;
mod float;
mod moments;
mod rng;
pub mod simd;
mod sum;

pub use alloc::{checked_len, try_filled, try_filled_dims, try_with_capacity};
pub use blocks::RowBlocks;
pub use float::Float;
pub use moments::CoMoments;
pub use rng::{restart_rng, RestartStreams};
pub use sum::CompensatedSum;
