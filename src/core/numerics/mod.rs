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
//! * [`quadrature`]: adaptive Gauss-Kronrod integration of several integrands at once.
//! * [`rng`]: SplitMix64 and the seeded stream of each bootstrap replicate (one stream per
//!   replicate, so results do not depend on the number of threads).
//! * [`Moments`] (one variable: count, mean, centred second moment) and [`CoMoments`] (a
//!   pair of variables: count, sums, centred second and cross moments): the mergeable
//!   sufficient statistics that add up across blocks, chunks and machines, both merged by
//!   one function (Chan et al.'s pairwise update, written once in `moments.rs`).
//! * [`CsrView`]: a checked, borrowed CSR matrix (scipy's layout), the one sparse input
//!   type of the sparse kernels.
//! * [`restart_rng`]: the random stream of one restart or replicate, independent of the
//!   thread that runs it; [`rng::run_restarts_in_waves`] runs restarts in parallel waves
//!   and hands their results over in restart order.
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
pub mod quadrature;
pub mod rng;
pub mod simd;
mod sparse;
mod sum;

pub use alloc::{
    checked_len, checked_plus_one, try_array2, try_filled, try_filled_dims, try_with_capacity,
};
pub use blocks::RowBlocks;
pub use float::Float;
pub use moments::{CoMoments, Moments};
pub use rng::{restart_rng, RestartStreams};
pub use sparse::{CsrView, Finite};
pub use sum::CompensatedSum;
