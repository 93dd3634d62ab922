//! The clustering seam: what analyses that refit a clustering many times (bootstrap
//! stability, the choice of k) need from a centroid-based algorithm.
//!
//! Those analyses take a `&dyn` [`CentroidClustering`] instead of calling k-means
//! themselves, so they depend on this shared contract only, never on the `kmeans` feature
//! folder; the bindings (or a Rust user) hand them the k-means implementation
//! (`kmeans::KMeansClustering`), and tests can hand them anything.

use ndarray::{Array1, Array2, ArrayView2};

use crate::{CoreResult, Interrupt};

/// How the restarts of a fit pick their initial centres.
#[derive(Debug, Clone, Copy)]
pub enum Start<'a> {
    /// Greedy k-means++ seeding.
    PlusPlus,
    /// `k` distinct rows drawn at random.
    Random,
    /// These `(k, d)` centres (one restart).
    Given(ArrayView2<'a, f64>),
}

/// One fit: `n_clusters` centres, `n_init` restarts (the best kept), each iterating at most
/// `max_iter` times until the relative shift is below `tol`, random streams from `seed`.
#[derive(Debug, Clone, Copy)]
pub struct FitRequest<'a> {
    /// Number of clusters.
    pub n_clusters: usize,
    /// Restarts (ignored by [`Start::Given`], which is one).
    pub n_init: usize,
    /// Iterations per restart.
    pub max_iter: usize,
    /// Relative convergence tolerance.
    pub tol: f64,
    /// Seed of the restarts' random streams.
    pub seed: u64,
    /// Initial centres.
    pub start: Start<'a>,
    /// Checked between restarts and iterations: a requested stop ends the fit with
    /// `CoreError::Interrupted`.
    pub stop: &'a Interrupt,
}

/// A fitted centroid model.
#[derive(Debug, Clone)]
pub struct CentroidFit {
    /// Centres `(k, d)`.
    pub centres: Array2<f64>,
    /// Cluster of every row (`0..k`).
    pub labels: Array1<i32>,
    /// Sum of squared distances to the assigned centres.
    pub inertia: f64,
}

/// A centroid-based clustering algorithm, as the stability analyses use it.
pub trait CentroidClustering: Sync {
    /// Fit `x` (C-contiguous, finite) as requested.
    fn fit(&self, x: ArrayView2<'_, f64>, request: &FitRequest<'_>) -> CoreResult<CentroidFit>;
    /// The closest of `centres` for every row of `x` (first on ties).
    fn predict(
        &self,
        x: ArrayView2<'_, f64>,
        centres: ArrayView2<'_, f64>,
    ) -> CoreResult<Array1<i32>>;
}
