//! DBSCAN through `linfa_clustering::Dbscan`, with scikit-learn's conventions.
//!
//! Conventions checked against linfa-clustering 0.8.1 and scikit-learn 1.9:
//! * a point is *core* when at least `min_samples` points, itself included, lie within
//!   `eps` (Euclidean, `<=`); linfa's `min_points` counts the same way (its range query
//!   returns the point itself) and its KD-tree compares squared distances with `eps^2`.
//! * clusters are started at the lowest-index unvisited core point and grown completely
//!   before the next one starts, in both libraries, so cluster numbers agree; a border
//!   point within reach of two clusters joins the one started first in both.
//! * linfa requires `min_points >= 2`; `min_samples == 1` (every point is core, clusters
//!   are the connected components of the eps-graph) is computed here with linfa-nn's
//!   KD-tree in the same order.
//! * linfa panics on an empty input and on NaN; both are rejected before calling it.

use linfa::prelude::*;
use linfa_clustering::Dbscan;
use linfa_nn::distance::L2Dist;
use linfa_nn::{CommonNearestNeighbour, NearestNeighbour, NearestNeighbourIndex};
use ndarray::{Array1, ArrayView2};
use rayon::prelude::*;

use crate::error::check_finite_nonempty;
use crate::params::{at_least, invalid, Checked, Params};
use crate::{CoreError, CoreResult};

/// DBSCAN result: labels (noise = -1) and the sorted indices of the core samples.
#[derive(Debug, Clone, PartialEq)]
pub struct DbscanFit {
    /// Cluster of every sample, `0..n_clusters`, or -1 for noise.
    pub labels: Array1<i32>,
    /// Indices of the core samples, ascending.
    pub core_sample_indices: Array1<i64>,
}

/// Hyper-parameters of [`dbscan`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DbscanParams {
    /// Neighbourhood radius (Euclidean), finite and `> 0`.
    pub eps: f64,
    /// Neighbours (the point itself included) that make a core sample, `>= 1`.
    pub min_samples: usize,
}

impl Params for DbscanParams {
    fn validate(&self) -> CoreResult<()> {
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(invalid(
                "eps",
                format!("must be a finite number > 0, got {}", self.eps),
            ));
        }
        at_least("min_samples", self.min_samples, 1)
    }
}

/// [`DbscanParams`] that passed [`Params::check`]: what [`dbscan`] takes.
pub type DbscanValidParams = Checked<DbscanParams>;

fn range_query(
    nn: &dyn NearestNeighbourIndex<f64>,
    x: ArrayView2<'_, f64>,
    i: usize,
    eps: f64,
) -> CoreResult<Vec<usize>> {
    nn.within_range(x.row(i), eps)
        .map(|hits| hits.into_iter().map(|(_, j)| j).collect())
        .map_err(|e| CoreError::Internal(format!("range query failed: {e}")))
}

/// Cluster `x` with DBSCAN (Euclidean). `min_samples` counts the point itself.
///
/// Errors: empty or non-finite `x` (the parameters were checked by [`Params::check`]).
pub fn dbscan(x: ArrayView2<'_, f64>, params: &DbscanValidParams) -> CoreResult<DbscanFit> {
    let DbscanParams { eps, min_samples } = **params;
    check_finite_nonempty(x)?;
    // linfa's KD-tree needs contiguous rows.
    let owned = x.as_standard_layout();
    let x = owned.view();
    let n = x.nrows();
    let nn = CommonNearestNeighbour::KdTree
        .from_batch(&x, L2Dist)
        .map_err(|e| CoreError::Internal(format!("building the KD-tree failed: {e}")))?;
    let nn_ref: &dyn NearestNeighbourIndex<f64> = &*nn;

    if min_samples == 1 {
        // Every sample is core; linfa needs min_points >= 2.
        return Ok(DbscanFit {
            labels: connected_components(nn_ref, x, eps)?,
            core_sample_indices: (0..n as i64).collect(),
        });
    }
    let params = Dbscan::params(min_samples)
        .tolerance(eps)
        .check()
        .map_err(|e| CoreError::InvalidParameter {
            name: "min_samples",
            reason: e.to_string(),
        })?;
    let labels: Array1<i32> = params
        .transform(&x)
        .iter()
        .map(|m| match m {
            Some(c) => i32::try_from(*c).unwrap_or(i32::MAX),
            None => -1,
        })
        .collect();

    // linfa does not report which samples are core: count neighbourhoods again, in
    // parallel. Noise is never core, so only clustered samples are queried, grouped by
    // cluster and roughly sorted in space, which keeps the KD-tree walks cache-friendly.
    let mut candidates: Vec<usize> = (0..n).filter(|&i| labels[i] >= 0).collect();
    candidates.sort_by(|&a, &b| {
        labels[a]
            .cmp(&labels[b])
            .then(x[[a, 0]].total_cmp(&x[[b, 0]]))
    });
    let is_core: Vec<bool> = candidates
        .par_iter()
        .with_min_len(256)
        .map(|&i| range_query(nn_ref, x, i, eps).map(|v| v.len() >= min_samples))
        .collect::<CoreResult<_>>()?;
    let mut core: Vec<i64> = candidates
        .iter()
        .zip(&is_core)
        .filter(|(_, &c)| c)
        .map(|(&i, _)| i as i64)
        .collect();
    core.sort_unstable();
    let core_sample_indices = Array1::from(core);

    Ok(DbscanFit {
        labels,
        core_sample_indices,
    })
}

/// Connected components of the eps-graph, numbered by their lowest index.
fn connected_components(
    nn: &dyn NearestNeighbourIndex<f64>,
    x: ArrayView2<'_, f64>,
    eps: f64,
) -> CoreResult<Array1<i32>> {
    let n = x.nrows();
    let mut labels = Array1::from_elem(n, -1i32);
    let mut current = 0i32;
    let mut stack = Vec::new();
    for i in 0..n {
        if labels[i] >= 0 {
            continue;
        }
        labels[i] = current;
        stack.push(i);
        while let Some(p) = stack.pop() {
            for q in range_query(nn, x, p, eps)? {
                if labels[q] < 0 {
                    labels[q] = current;
                    stack.push(q);
                }
            }
        }
        current += 1;
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn run(x: ArrayView2<'_, f64>, eps: f64, min_samples: usize) -> CoreResult<DbscanFit> {
        dbscan(x, &DbscanParams { eps, min_samples }.check()?)
    }

    #[test]
    fn core_border_noise() {
        let x = array![
            [0.0, 2.0], // noise... within 1.1 of nothing but (0, 1)
            [0.0, 0.0], // core
            [0.0, 1.0],
            [0.0, -1.0],
            [-1.0, 0.0],
            [1.0, 0.0],
            [10.0, 10.0],
        ];
        let fit = run(x.view(), 1.0, 5).unwrap();
        // (0, 0) has 5 points within distance 1 (<=, itself included): core.
        assert_eq!(fit.core_sample_indices.to_vec(), vec![1]);
        assert_eq!(fit.labels.to_vec(), vec![-1, 0, 0, 0, 0, 0, -1]);
        // min_samples = 1: every point is core, components of the eps-graph.
        let fit1 = run(x.view(), 1.0, 1).unwrap();
        assert_eq!(fit1.labels.to_vec(), vec![0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(fit1.core_sample_indices.len(), 7);
    }

    #[test]
    fn rejects_bad_input() {
        let empty = ndarray::Array2::<f64>::zeros((0, 2));
        assert!(matches!(
            run(empty.view(), 0.5, 5),
            Err(CoreError::EmptyInput(_))
        ));
        let x = array![[0.0, f64::NAN]];
        assert!(matches!(
            run(x.view(), 0.5, 5),
            Err(CoreError::NonFinite(_))
        ));
        let x = array![[0.0, 1.0]];
        assert!(matches!(
            run(x.view(), 0.0, 5),
            Err(CoreError::InvalidParameter { name: "eps", .. })
        ));
        assert!(matches!(
            run(x.view(), 1.0, 0),
            Err(CoreError::InvalidParameter {
                name: "min_samples",
                ..
            })
        ));
    }
}
