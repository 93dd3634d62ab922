//! Cluster-quality metrics with scikit-learn's definitions and edge cases.
//!
//! * [`silhouette_samples`] / [`silhouette_score`]: the exact silhouette (Rousseeuw 1987),
//!   Euclidean, O(n^2) time but O(n + one block) memory, multi-threaded;
//!   [`silhouette_rows`]: the same on any [`crate::distance::Pairwise`] distance (a
//!   precomputed matrix, Gower), a range of rows at a time.
//! * [`calinski_harabasz_score`], [`davies_bouldin_score`]: O(n * d) passes.
//! * [`simplified_silhouette_samples`] / [`simplified_silhouette_score`]: the O(n * k)
//!   centroid-based statistic of Hruschka et al. (2004), a *different* statistic.
//!
//! * [`agreement`]: ARI, AMI, NMI, Fowlkes-Mallows and the contingency table of two
//!   partitions.
//!
//! Labels are non-negative integers (`i64`); any set of distinct values is allowed and is
//! re-encoded densely in sorted order (as scikit-learn's `LabelEncoder`).

pub mod agreement;
mod indices;
mod silhouette;

pub use crate::stats::partition::{check_number_of_labels, Partition};
pub use indices::{
    calinski_harabasz_score, davies_bouldin_score, simplified_silhouette_samples,
    simplified_silhouette_score,
};
pub use silhouette::{silhouette_rows, silhouette_samples, silhouette_score};
