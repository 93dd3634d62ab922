//! Centroid-based indices: Calinski-Harabasz, Davies-Bouldin and the simplified silhouette.
//!
//! Each is one or two O(n * d) passes over fixed row chunks whose partial results are added
//! in chunk order, so the value does not depend on the number of threads. A requested
//! stop is checked before each chunk (and each row of the simplified silhouette) and ends
//! the call with [`CoreError::Interrupted`].

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

use crate::error::check_finite_nonempty;
use crate::numerics::RowBlocks;
use crate::stats::partition::{check_number_of_labels, Partition};
use crate::{CoreError, CoreResult, Interrupt};

/// Rows per block of the ordered reductions ([`RowBlocks::fixed`]).
const CHUNK: usize = 8192;

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Sum of `per_row(cluster, row, out)` (a `width`-vector per cluster) over fixed row chunks,
/// added in chunk order. `xs` is the row-major data with `d` columns.
fn chunked_cluster_sums<F>(
    xs: &[f64],
    d: usize,
    part: &Partition,
    width: usize,
    per_row: F,
    stop: &Interrupt,
) -> CoreResult<Vec<f64>>
where
    F: Fn(usize, &[f64], &mut [f64]) + Sync + Send,
{
    let k = part.n_clusters();
    let n = part.ids.len();
    RowBlocks::fixed(n, CHUNK).try_reduce(
        vec![0.0f64; k * width],
        |_, rows| {
            stop.check()?;
            let mut acc = vec![0.0f64; k * width];
            let ids = &part.ids[rows.clone()];
            for (row, &c) in xs[rows.start * d..rows.end * d].chunks_exact(d).zip(ids) {
                let c = c as usize;
                per_row(c, row, &mut acc[c * width..(c + 1) * width]);
            }
            Ok(acc)
        },
        |total, part| {
            for (t, v) in total.iter_mut().zip(&part) {
                *t += v;
            }
        },
    )
}

/// First member of each cluster (k x d, row-major): the shift that keeps sums of
/// deviations small and makes a cluster of identical points have exactly that centroid.
fn pivots(xs: &[f64], d: usize, part: &Partition) -> Vec<f64> {
    let k = part.n_clusters();
    let mut pivot = vec![0.0f64; k * d];
    let mut seen = vec![false; k];
    let mut left = k;
    for (row, &c) in xs.chunks_exact(d).zip(&part.ids) {
        let c = c as usize;
        if !seen[c] {
            seen[c] = true;
            pivot[c * d..(c + 1) * d].copy_from_slice(row);
            left -= 1;
            if left == 0 {
                break;
            }
        }
    }
    pivot
}

/// Cluster centroids (k x d, row-major), each computed relative to its pivot.
fn centroids(xs: &[f64], d: usize, part: &Partition, stop: &Interrupt) -> CoreResult<Vec<f64>> {
    let pivot = pivots(xs, d, part);
    let pv = &pivot;
    let dev = chunked_cluster_sums(
        xs,
        d,
        part,
        d,
        |c, row, out| {
            for ((o, &v), &p) in out.iter_mut().zip(row).zip(&pv[c * d..(c + 1) * d]) {
                *o += v - p;
            }
        },
        stop,
    )?;
    let mut cent = pivot;
    for (c, row) in cent.chunks_exact_mut(d).enumerate() {
        let cnt = part.counts[c] as f64;
        for (m, &s) in row.iter_mut().zip(&dev[c * d..(c + 1) * d]) {
            *m += s / cnt;
        }
    }
    Ok(cent)
}

fn prepare(x: ArrayView2<'_, f64>, labels: &[i64]) -> CoreResult<Partition> {
    check_finite_nonempty(x)?;
    let part = Partition::new(labels, x.nrows())?;
    check_number_of_labels(part.n_clusters(), x.nrows())?;
    Ok(part)
}

/// Calinski-Harabasz index (variance ratio criterion), as scikit-learn's
/// `calinski_harabasz_score`: `B (n - k) / (W (k - 1))`, and 1.0 when the within-cluster
/// dispersion `W` is zero.
///
/// One pass: per cluster, sums and sums of squares of the deviations from the cluster's
/// first member (a shift that avoids cancellation; `W` is exactly 0 for constant clusters).
pub fn calinski_harabasz_score(
    x: ArrayView2<'_, f64>,
    labels: &[i64],
    stop: &Interrupt,
) -> CoreResult<f64> {
    let part = prepare(x, labels)?;
    let (n, d, k) = (x.nrows(), x.ncols(), part.n_clusters());
    let xs_owned = x.as_standard_layout();
    let xs = xs_owned.as_slice().unwrap_or(&[]);
    let pivot = pivots(xs, d, &part);
    let pv = &pivot;
    let moments = chunked_cluster_sums(
        xs,
        d,
        &part,
        2 * d,
        |c, row, out| {
            let (sum, sq) = out.split_at_mut(d);
            for f in 0..d {
                let dev = row[f] - pv[c * d + f];
                sum[f] += dev;
                sq[f] += dev * dev;
            }
        },
        stop,
    )?;
    let mut cent = vec![0.0f64; k * d];
    let mut intra = 0.0;
    for c in 0..k {
        let cnt = part.counts[c] as f64;
        let m = &moments[c * 2 * d..(c + 1) * 2 * d];
        for f in 0..d {
            let mean_dev = m[f] / cnt;
            cent[c * d + f] = pv[c * d + f] + mean_dev;
            // Sum of squares about the mean; >= 0 up to rounding.
            intra += (m[d + f] - cnt * mean_dev * mean_dev).max(0.0);
        }
    }
    let mut mean = vec![0.0f64; d];
    for c in 0..k {
        let w = part.counts[c] as f64 / n as f64;
        for f in 0..d {
            mean[f] += w * cent[c * d + f];
        }
    }
    let mut extra = 0.0;
    for c in 0..k {
        let d2: f64 = (0..d).map(|f| (cent[c * d + f] - mean[f]).powi(2)).sum();
        extra += part.counts[c] as f64 * d2;
    }
    Ok(if intra == 0.0 {
        1.0
    } else {
        extra * (n - k) as f64 / (intra * (k as f64 - 1.0))
    })
}

/// Davies-Bouldin index, as scikit-learn's `davies_bouldin_score`: the mean over clusters
/// of `max_j (s_i + s_j) / d(c_i, c_j)`, with `s_i` the mean distance of cluster `i`'s
/// members to its centroid. 0 when every `s_i` or every centroid distance is within 1e-8
/// of zero; pairs of coinciding centroids are skipped.
pub fn davies_bouldin_score(
    x: ArrayView2<'_, f64>,
    labels: &[i64],
    stop: &Interrupt,
) -> CoreResult<f64> {
    let part = prepare(x, labels)?;
    let (d, k) = (x.ncols(), part.n_clusters());
    let xs_owned = x.as_standard_layout();
    let xs = xs_owned.as_slice().unwrap_or(&[]);
    let cent = centroids(xs, d, &part, stop)?;
    let cref = &cent;
    let sums = chunked_cluster_sums(
        xs,
        d,
        &part,
        1,
        |c, row, out| {
            out[0] += distance(row, &cref[c * d..(c + 1) * d]);
        },
        stop,
    )?;
    let intra: Vec<f64> = (0..k).map(|c| sums[c] / part.counts[c] as f64).collect();
    let mut cd = vec![0.0f64; k * k];
    for i in 0..k {
        for j in 0..k {
            if i != j {
                cd[i * k + j] = distance(&cent[i * d..(i + 1) * d], &cent[j * d..(j + 1) * d]);
            }
        }
    }
    // numpy's isclose(v, 0) with default tolerances: |v| <= 1e-8.
    let near_zero = |v: f64| v.abs() <= 1e-8;
    if intra.iter().all(|&v| near_zero(v)) || cd.iter().all(|&v| near_zero(v)) {
        return Ok(0.0);
    }
    let mut total = 0.0;
    for i in 0..k {
        let mut worst = 0.0f64;
        for j in 0..k {
            let dist = cd[i * k + j];
            if dist != 0.0 {
                worst = worst.max((intra[i] + intra[j]) / dist);
            }
        }
        total += worst;
    }
    Ok(total / k as f64)
}

/// Simplified silhouette of every sample (Hruschka et al. 2004): `a` is the distance to the
/// sample's own centroid, `b` the distance to the nearest other centroid, and
/// `s = (b - a) / max(a, b)`. A different statistic from the silhouette, in O(n * k * d).
///
/// With `centers = None`, labels are re-encoded densely and the centroids are the cluster
/// means (the number of labels must be in `2..=n - 1`). With `centers` (k x d), each label
/// is a row index into `centers` (`0 <= label < k`, `k >= 2`). Samples alone in their
/// cluster, and samples with `a == b == 0`, score 0 (as in the silhouette).
pub fn simplified_silhouette_samples(
    x: ArrayView2<'_, f64>,
    labels: &[i64],
    centers: Option<ArrayView2<'_, f64>>,
    stop: &Interrupt,
) -> CoreResult<Array1<f64>> {
    check_finite_nonempty(x)?;
    let n = x.nrows();
    let (ids, counts, cent): (Vec<u32>, Vec<usize>, Array2<f64>) = match centers {
        None => {
            let part = Partition::new(labels, n)?;
            check_number_of_labels(part.n_clusters(), n)?;
            let xs_owned = x.as_standard_layout();
            let xs = xs_owned.as_slice().unwrap_or(&[]);
            let cent = Array2::from_shape_vec(
                (part.n_clusters(), x.ncols()),
                centroids(xs, x.ncols(), &part, stop)?,
            )
            .map_err(|e| CoreError::Internal(e.to_string()))?;
            (part.ids, part.counts, cent)
        }
        Some(c) => {
            if labels.len() != n {
                return Err(CoreError::ShapeMismatch {
                    what: "labels (one per sample of X)",
                    expected: n,
                    got: labels.len(),
                });
            }
            if c.ncols() != x.ncols() {
                return Err(CoreError::ShapeMismatch {
                    what: "centers (columns, one per feature of X)",
                    expected: x.ncols(),
                    got: c.ncols(),
                });
            }
            let k = c.nrows();
            if k < 2 {
                return Err(CoreError::InvalidParameter {
                    name: "centers",
                    reason: format!("at least 2 centers are required, got {k}"),
                });
            }
            if c.iter().any(|v| !v.is_finite()) {
                return Err(CoreError::NonFinite("centers has NaN or infinity".into()));
            }
            let mut counts = vec![0usize; k];
            let mut ids = Vec::with_capacity(n);
            for &l in labels {
                if l < 0 || l as u64 >= k as u64 {
                    return Err(CoreError::InvalidParameter {
                        name: "labels",
                        reason: format!(
                            "with centers, labels must be row indices 0..{k} into centers, \
                             got {l}"
                        ),
                    });
                }
                counts[l as usize] += 1;
                ids.push(l as u32);
            }
            (ids, counts, c.to_owned())
        }
    };
    let d = x.ncols();
    let cent = cent.as_standard_layout();
    let cent = cent.as_slice().unwrap_or(&[]);
    let xs_owned = x.as_standard_layout();
    let xs = xs_owned.as_slice().unwrap_or(&[]);
    let scores: Vec<f64> = xs
        .par_chunks_exact(d)
        .with_min_len(1024)
        .zip(&ids)
        .map(|(row, &own)| {
            stop.check()?;
            let own = own as usize;
            if counts[own] < 2 {
                return Ok(0.0);
            }
            let a = distance(row, &cent[own * d..(own + 1) * d]);
            let mut b = f64::INFINITY;
            for (c, cr) in cent.chunks_exact(d).enumerate() {
                if c != own {
                    b = b.min(distance(row, cr));
                }
            }
            let denom = a.max(b);
            Ok(if denom > 0.0 { (b - a) / denom } else { 0.0 })
        })
        .collect::<CoreResult<_>>()?;
    Ok(Array1::from(scores))
}

/// Mean simplified silhouette over all samples; see [`simplified_silhouette_samples`].
pub fn simplified_silhouette_score(
    x: ArrayView2<'_, f64>,
    labels: &[i64],
    centers: Option<ArrayView2<'_, f64>>,
    stop: &Interrupt,
) -> CoreResult<f64> {
    let s = simplified_silhouette_samples(x, labels, centers, stop)?;
    Ok(s.sum() / s.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// A token that is never requested.
    fn go() -> Interrupt {
        Interrupt::new()
    }

    #[test]
    fn a_requested_stop_ends_every_index() {
        let x = Array2::from_shape_fn((20_000, 3), |(i, j)| ((i * 7 + j) % 13) as f64);
        let labels: Vec<i64> = (0..20_000).map(|i| (i % 4) as i64).collect();
        let stop = Interrupt::new();
        // Not requested: a value; requested: an interruption and no value.
        assert!(calinski_harabasz_score(x.view(), &labels, &stop).is_ok());
        stop.request();
        let stopped = CoreError::Interrupted;
        assert_eq!(
            calinski_harabasz_score(x.view(), &labels, &stop),
            Err(stopped.clone())
        );
        assert_eq!(
            davies_bouldin_score(x.view(), &labels, &stop),
            Err(stopped.clone())
        );
        assert_eq!(
            simplified_silhouette_samples(x.view(), &labels, None, &stop).map(drop),
            Err(stopped.clone())
        );
        let c = Array2::<f64>::zeros((4, 3));
        assert_eq!(
            simplified_silhouette_samples(x.view(), &labels, Some(c.view()), &stop).map(drop),
            Err(stopped)
        );
    }

    #[test]
    fn calinski_harabasz_small() {
        // Two clusters on a line: means 0.5 and 10.5, grand mean 5.5.
        let x = array![[0.0], [1.0], [10.0], [11.0]];
        let ch = calinski_harabasz_score(x.view(), &[0, 0, 1, 1], &go()).unwrap();
        let extra = 2.0 * 25.0 * 2.0;
        let intra = 4.0 * 0.25;
        assert!((ch - extra * 2.0 / intra).abs() < 1e-12);
        // Zero within-cluster dispersion -> 1.0.
        let x = array![[0.0], [0.0], [3.0], [3.0]];
        assert_eq!(
            calinski_harabasz_score(x.view(), &[0, 0, 1, 1], &go()).unwrap(),
            1.0
        );
    }

    #[test]
    fn davies_bouldin_small() {
        // scikit-learn's docstring example: 0.12...
        let x = array![[0.0, 1.0], [1.0, 1.0], [3.0, 4.0]];
        let db = davies_bouldin_score(x.view(), &[0, 0, 1], &go()).unwrap();
        let want = 0.5 / (2.5f64 * 2.5 + 3.0 * 3.0).sqrt();
        assert!((db - want).abs() < 1e-12);
        let x = array![[0.0], [0.0], [3.0], [3.0]];
        assert_eq!(
            davies_bouldin_score(x.view(), &[0, 0, 1, 1], &go()).unwrap(),
            0.0
        );
    }

    #[test]
    fn simplified_small() {
        let x = array![[0.0], [2.0], [10.0], [12.0]];
        let s = simplified_silhouette_samples(x.view(), &[0, 0, 1, 1], None, &go()).unwrap();
        // Sample 0: a = 1 (centroid 1), b = 11 -> 10/11.
        assert!((s[0] - 10.0 / 11.0).abs() < 1e-12);
        let c = array![[1.0], [11.0], [100.0]];
        let s2 =
            simplified_silhouette_samples(x.view(), &[0, 0, 1, 1], Some(c.view()), &go()).unwrap();
        assert_eq!(s, s2);
        assert!(
            simplified_silhouette_samples(x.view(), &[0, 0, 1, 3], Some(c.view()), &go()).is_err()
        );
    }
}
