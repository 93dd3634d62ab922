//! segwise's Python extension (`segwise._core`).
//!
//! The engine is the `segwise-core` crate (`src/core`: pure Rust, usable as a library,
//! with linfa trait implementations), re-exported here as [`core`]; [`bindings`] is the
//! only Rust code that knows Python.

pub mod bindings;
pub use segwise_core as core;
