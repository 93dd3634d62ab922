//! scaling (to be written).
