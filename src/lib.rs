//! segwise: customer segmentation with a Rust core.
//!
//! [`core`] is the engine (pure Rust, usable as a library, with linfa trait
//! implementations); [`bindings`] is the only place that knows Python.

pub mod bindings;
pub mod core;
