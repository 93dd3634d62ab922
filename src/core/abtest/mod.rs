//! Per-segment A/B statistics: sufficient statistics in one parallel pass
//! ([`suffstats`]), exact small-sample computations ([`exact`]) and the score tests and
//! intervals of two proportions ([`score`]); the distributions
//! the tests need are the shared [`crate::stats::special`]. Everything above the sufficient statistics is a
//! pure function of them (in Python, `segwise.abtest`).

pub mod exact;
pub mod score;
pub mod suffstats;

pub use exact::{fisher_exact, prob_b_beats_a, Alternative, MAX_BETA_TERMS};
pub use score::{score_interval_diff, score_interval_ratio, score_stat_diff, score_stat_ratio};
pub use suffstats::{block_rows, segment_arm_block_stats, segment_arm_stats, CellStats, Codes};
