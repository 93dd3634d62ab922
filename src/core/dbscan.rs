//! DBSCAN through `linfa_clustering::Dbscan`, with scikit-learn's conventions.
//!
//! Conventions checked against linfa-clustering 0.8.1 and scikit-learn 1.9:
//! * a point is *core* when at least `min_samples` points, itself included, lie within
//!   `eps` (Euclidean, `<=`); linfa's `min_points` counts the same way (its range query
//!   returns the point itself) and linfa-nn's KD-tree compares squared distances with
//!   `eps^2`, as scikit-learn.
//! * clusters are started at the lowest-index unvisited core point and grown completely
//!   before the next one starts, in both libraries, so cluster numbers agree; a border
//!   point within reach of two clusters joins the one started first in both.
//! * linfa requires `min_points >= 2`; `min_samples == 1` (every point is core, clusters
//!   are the connected components of the eps-graph) is computed here with the same index
//!   in the same order. `min_samples > n` leaves every point noise, as scikit-learn, and
//!   never reaches linfa (which reserves `min_points` slots per range query).
//! * linfa panics on an empty input and on NaN; both are rejected before calling it.
//!
//! Speed: linfa-nn's KD-tree (the `kdtree` crate) gathered every neighbour of a range query
//! through two binary heaps, one allocation per tree node visited, and sorted them by
//! distance; with a large `eps` (thousands of neighbours per point) that made DBSCAN
//! about ten times slower than scikit-learn. The patched crates (`src/vendor/README.md`)
//! answer a range query by a depth-first walk that takes whole boxes within range without
//! measuring their points, in no particular order (which DBSCAN does not need).
//! linfa does not report the core samples: the index it is given records the size of each
//! sample's neighbourhood as linfa queries it, so no second pass over the neighbourhoods
//! is needed.
//!
//! Interruption: linfa's DBSCAN has no way to stop early, so the index it is given
//! answers no more range queries once a stop is requested; linfa then finishes at once
//! and its labels are dropped.

use linfa::prelude::*;
use linfa::Float as LinfaFloat;
use linfa_clustering::Dbscan;
use linfa_nn::distance::{Distance, L2Dist};
use linfa_nn::{BuildError, KdTree, NearestNeighbour, NearestNeighbourIndex, NnError};
use ndarray::{Array1, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::check_finite_nonempty;
use crate::numerics::try_with_capacity;
use crate::params::{at_least, invalid, Checked, Params};
use crate::{CoreError, CoreResult, Interrupt};

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

/// Bytes per sample that linfa's DBSCAN and the KD-trees hold at once (labels, visit
/// flags and queue, two trees of `(row view, index)` entries, one range query's result):
/// reserved once before any of it is allocated, so a size the machine cannot hold is an
/// error rather than an abort inside linfa.
const BYTES_PER_SAMPLE: usize = 256;

/// A neighbourhood size not recorded (the sample was never the centre of a range query).
const NOT_QUERIED: usize = usize::MAX;

/// linfa-nn's KD-tree, whose index stops answering range queries (returns no neighbour)
/// once `stop` is requested and records, for each row of the batch it was built on that is
/// the centre of a range query, how many points the query found (`sizes`).
#[derive(Debug, Clone)]
struct ObservedKdTree {
    stop: Interrupt,
    sizes: Arc<Vec<AtomicUsize>>,
}

/// The index [`ObservedKdTree`] builds.
struct ObservedIndex<'a, F: LinfaFloat> {
    inner: Box<dyn 'a + Send + Sync + NearestNeighbourIndex<F>>,
    stop: Interrupt,
    sizes: Arc<Vec<AtomicUsize>>,
    /// Address of the batch's first element and bytes per row (C-contiguous rows), to tell
    /// which row a query point is when it is a row of the batch itself.
    base: usize,
    row_bytes: usize,
}

impl NearestNeighbour for ObservedKdTree {
    fn from_batch_with_leaf_size<'a, F: LinfaFloat, DT: Data<Elem = F>, D: 'a + Distance<F>>(
        &self,
        batch: &'a ArrayBase<DT, Ix2>,
        leaf_size: usize,
        dist_fn: D,
    ) -> Result<Box<dyn 'a + Send + Sync + NearestNeighbourIndex<F>>, BuildError> {
        let inner = KdTree.from_batch_with_leaf_size(batch, leaf_size, dist_fn)?;
        let contiguous = batch.is_standard_layout() && batch.nrows() == self.sizes.len();
        Ok(Box::new(ObservedIndex {
            inner,
            stop: self.stop.clone(),
            sizes: Arc::clone(&self.sizes),
            base: batch.as_ptr() as usize,
            // 0 (never matches) unless the rows are the contiguous ones `sizes` counts.
            row_bytes: if contiguous {
                batch.ncols() * std::mem::size_of::<F>()
            } else {
                0
            },
        }))
    }
}

impl<F: LinfaFloat> ObservedIndex<'_, F> {
    /// The row of the batch `point` is (by address), if it is one.
    fn row_of(&self, point: &ArrayView1<'_, F>) -> Option<usize> {
        let offset = (point.as_ptr() as usize).checked_sub(self.base)?;
        if self.row_bytes == 0 || offset % self.row_bytes != 0 {
            return None;
        }
        let row = offset / self.row_bytes;
        (row < self.sizes.len()).then_some(row)
    }
}

/// What linfa-nn's queries return: rows of the index (borrowed from it) and their positions.
type Neighbours<'s, F> = Result<Vec<(ArrayView1<'s, F>, usize)>, NnError>;

impl<F: LinfaFloat> NearestNeighbourIndex<F> for ObservedIndex<'_, F> {
    fn k_nearest(&self, point: ArrayView1<'_, F>, k: usize) -> Neighbours<'_, F> {
        self.inner.k_nearest(point, k)
    }

    fn within_range(&self, point: ArrayView1<'_, F>, range: F) -> Neighbours<'_, F> {
        if self.stop.is_requested() {
            return Ok(Vec::new());
        }
        let found = self.inner.within_range(point.view(), range)?;
        if let Some(row) = self.row_of(&point) {
            self.sizes[row].store(found.len(), Ordering::Relaxed);
        }
        Ok(found)
    }
}

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

/// Reject values whose squared distances overflow (linfa-nn's tree building panics on a
/// non-finite spread): a squared distance sums `d` terms of up to `(2 max|x|)^2`.
fn check_distances_finite(x: ArrayView2<'_, f64>) -> CoreResult<()> {
    let limit = 1e153 / (x.ncols().max(1) as f64).sqrt();
    let largest = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest > limit {
        return Err(CoreError::NonFinite(format!(
            "X has values up to {largest:e} whose squared distances overflow float64; \
             rescale the data"
        )));
    }
    Ok(())
}

/// Cluster `x` with DBSCAN (Euclidean). `min_samples` counts the point itself.
///
/// Errors: empty or non-finite `x`, values whose squared distances overflow,
/// [`CoreError::Allocation`] when the index and labels cannot be allocated,
/// [`CoreError::Interrupted`] once `stop` is requested (the parameters were checked by
/// [`Params::check`]).
pub fn dbscan(
    x: ArrayView2<'_, f64>,
    params: &DbscanValidParams,
    stop: &Interrupt,
) -> CoreResult<DbscanFit> {
    let DbscanParams { eps, min_samples } = **params;
    check_finite_nonempty(x)?;
    check_distances_finite(x)?;
    let n = x.nrows();
    if min_samples > n {
        // No point can have min_samples neighbours: all noise (scikit-learn's answer).
        return Ok(DbscanFit {
            labels: Array1::from_elem(n, -1),
            core_sample_indices: Array1::from_vec(Vec::new()),
        });
    }
    drop(try_with_capacity::<[u8; BYTES_PER_SAMPLE]>(
        n,
        "DBSCAN's neighbour index and labels",
    )?);
    // linfa-nn's trees need contiguous rows.
    let owned = x.as_standard_layout();
    let x = owned.view();
    let build = || {
        KdTree
            .from_batch(&x, L2Dist)
            .map_err(|e| CoreError::Internal(format!("building the KD-tree failed: {e}")))
    };

    if min_samples == 1 {
        // Every sample is core; linfa needs min_points >= 2.
        return Ok(DbscanFit {
            labels: connected_components(&*build()?, x, eps, stop)?,
            core_sample_indices: (0..n as i64).collect(),
        });
    }
    let sizes: Arc<Vec<AtomicUsize>> =
        Arc::new((0..n).map(|_| AtomicUsize::new(NOT_QUERIED)).collect());
    let observed = ObservedKdTree {
        stop: stop.clone(),
        sizes: Arc::clone(&sizes),
    };
    let linfa_params = Dbscan::params_with(min_samples, L2Dist, observed)
        .tolerance(eps)
        .check()
        .map_err(|e| CoreError::InvalidParameter {
            name: "min_samples",
            reason: e.to_string(),
        })?;
    let memberships = linfa_params.transform(&x);
    stop.check()?;
    // linfa does not report which samples are core, but it queries the neighbourhood of
    // every sample at least once (each is either a seed candidate or joins a cluster
    // through the queue) with the sample's own row: the index recorded the sizes. A sample
    // linfa did not query (never, with linfa 0.8.1) is counted here, in parallel.
    let is_core: Vec<bool> = if sizes
        .iter()
        .any(|s| s.load(Ordering::Relaxed) == NOT_QUERIED)
    {
        let nn = build()?;
        let nn_ref: &dyn NearestNeighbourIndex<f64> = &*nn;
        (0..n)
            .into_par_iter()
            .with_min_len(64)
            .map(|i| match sizes[i].load(Ordering::Relaxed) {
                NOT_QUERIED => {
                    stop.check()?;
                    Ok(range_query(nn_ref, x, i, eps)?.len() >= min_samples)
                }
                size => Ok(size >= min_samples),
            })
            .collect::<CoreResult<_>>()?
    } else {
        sizes
            .iter()
            .map(|s| s.load(Ordering::Relaxed) >= min_samples)
            .collect()
    };
    let labels: Array1<i32> = memberships
        .iter()
        .map(|m| match m {
            Some(c) => i32::try_from(*c).unwrap_or(i32::MAX),
            None => -1,
        })
        .collect();
    let core_sample_indices = (0..n).filter(|&i| is_core[i]).map(|i| i as i64).collect();
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
    stop: &Interrupt,
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
            stop.check()?;
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
        dbscan(
            x,
            &DbscanParams { eps, min_samples }.check()?,
            &Interrupt::new(),
        )
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
        // More than n: all noise, no core sample, linfa never called.
        let all_noise = run(x.view(), 1.0, 1 << 60).unwrap();
        assert_eq!(all_noise.labels.to_vec(), vec![-1; 7]);
        assert_eq!(all_noise.core_sample_indices.len(), 0);
    }

    #[test]
    fn stops_when_asked() {
        let x = ndarray::Array2::from_shape_fn((3000, 2), |(i, j)| ((i * (7 + j)) % 101) as f64);
        let stop = Interrupt::new();
        stop.request();
        for min_samples in [1, 5] {
            let params = DbscanParams {
                eps: 1e3,
                min_samples,
            };
            assert_eq!(
                dbscan(x.view(), &params.check().unwrap(), &stop),
                Err(CoreError::Interrupted)
            );
        }
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
        let x = array![[0.0, 1e200]];
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
