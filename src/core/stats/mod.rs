//! Shared statistics: what more than one feature computes its tests, criteria and
//! agreement scores from.
//!
//! * [`special`]: special functions (log-gamma, digamma, incomplete beta and gamma) and the
//!   distributions built on them (normal, Student t, chi-square: cdf, sf, quantiles), with
//!   no outside crate; used by the A/B tests, the agreement metrics and drift.
//! * [`hyp2f1`]: the Gauss hypergeometric function in log space with its derivatives in
//!   every argument (the buy-till-you-die likelihoods and predictions of `clv`).
//! * [`partition`]: labels -> dense cluster ids and sizes (scikit-learn's `LabelEncoder`
//!   order), the one label encoding of the metrics and stability analyses.
//! * [`contingency`]: the contingency table of two partitions and the adjusted Rand index.
//! * [`selection`]: numpy's linear quantiles (the one implementation every quantile of the
//!   core uses) and exact order statistics of data split into partitions.
//!
//! They live here, not in a feature folder, so that features never import each other.

pub mod contingency;
pub mod hyp2f1;
pub mod partition;
pub mod selection;
pub mod special;
