//! segwise's engine: pure Rust on `ndarray` views and slices, no Python.
//!
//! Every function is stateless: fit functions return owned arrays, predict
//! functions take them back. Errors are [`error::CoreError`].

pub mod abtest;
pub mod clustering;
pub mod dbscan;
pub mod distance;
pub mod error;
pub mod interrupt;
pub mod kmeans;
pub mod kmedoids;
pub mod kprototypes;
pub mod metrics;
pub mod mixed;
pub mod numerics;
pub mod params;
pub mod profile;
pub mod rfm;
pub mod scaling;
pub mod stability;
pub mod stats;

pub use error::{CoreError, CoreResult};
pub use interrupt::Interrupt;
