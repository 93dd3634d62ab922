//! Are the segments real? Bootstrap stability, choosing k, and drift over time.

pub mod bootstrap;
pub mod choose_k;
pub mod drift;
