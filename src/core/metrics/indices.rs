//! Centroid-based indices: Calinski-Harabasz, Davies-Bouldin and the simplified silhouette.
//!
//! Each is one or two O(n * d) passes over fixed row chunks whose partial results are added
//! in chunk order, so the value does not depend on the number of threads.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use super::check_finite_nonempty;
use super::partition::{check_number_of_labels, Partition};
use crate::core::{CoreError, CoreResult};

/// Rows per parallel chunk.
const CHUNK: usize = 8192;

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Sum of `per_row(cluster, row)` (a `width`-vector) per cluster, over fixed chunks.
fn chunked_cluster_sums<F>(
    x: ArrayView2<'_, f64>,
    part: &Partition,
    width: usize,
    per_row: F,
) -> Array2<f64>
where
    F: Fn(usize, &[f64], &mut [f64]) + Sync,
{
    let k = part.n_clusters();
    let n = x.nrows();
    let partials: Vec<Array2<f64>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|ci| {
            let mut acc = Array2::<f64>::zeros((k, width));
            let mut row_buf = vec![0.0; x.ncols()];
            for i in ci * CHUNK..((ci + 1) * CHUNK).min(n) {
                let c = part.ids[i] as usize;
                let row = x.row(i);
                let slice = match row.as_slice() {
                    Some(s) => s,
                    None => {
                        row_buf
                            .iter_mut()
                            .zip(row.iter())
                            .for_each(|(b, &v)| *b = v);
                        &row_buf
                    }
                };
                if let Some(out) = acc.row_mut(c).into_slice() {
                    per_row(c, slice, out);
                }
            }
            acc
        })
        .collect();
    let mut total = Array2::<f64>::zeros((k, width));
    for p in &partials {
        total += p;
    }
    total
}

/// Cluster centroids (k x d). Each cluster's mean is taken relative to its first member,
/// so a cluster of identical points has exactly that point as centroid.
fn centroids(x: ArrayView2<'_, f64>, part: &Partition) -> Array2<f64> {
    let k = part.n_clusters();
    let d = x.ncols();
    let mut pivot = Array2::<f64>::zeros((k, d));
    let mut seen = vec![false; k];
    for (i, &c) in part.ids.iter().enumerate() {
        let c = c as usize;
        if !seen[c] {
            seen[c] = true;
            pivot.row_mut(c).assign(&x.row(i));
        }
    }
    let pv = &pivot;
    let dev = chunked_cluster_sums(x, part, d, |c, row, out| {
        for ((o, &v), &p) in out.iter_mut().zip(row).zip(pv.row(c).iter()) {
            *o += v - p;
        }
    });
    let mut cent = pivot;
    for (c, mut row) in cent.axis_iter_mut(Axis(0)).enumerate() {
        let cnt = part.counts[c] as f64;
        row.zip_mut_with(&dev.row(c), |m, &s| *m += s / cnt);
    }
    cent
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
pub fn calinski_harabasz_score(x: ArrayView2<'_, f64>, labels: &[i64]) -> CoreResult<f64> {
    let part = prepare(x, labels)?;
    let (n, k) = (x.nrows(), part.n_clusters());
    let cent = centroids(x, &part);
    let mut mean = Array1::<f64>::zeros(x.ncols());
    for (c, row) in cent.axis_iter(Axis(0)).enumerate() {
        mean.scaled_add(part.counts[c] as f64 / n as f64, &row);
    }
    let mut extra = 0.0;
    for (c, row) in cent.axis_iter(Axis(0)).enumerate() {
        let d2: f64 = row.iter().zip(&mean).map(|(a, b)| (a - b) * (a - b)).sum();
        extra += part.counts[c] as f64 * d2;
    }
    let cref = &cent;
    let intra = chunked_cluster_sums(x, &part, 1, |c, row, out| {
        out[0] += row
            .iter()
            .zip(cref.row(c).iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>();
    })
    .sum();
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
pub fn davies_bouldin_score(x: ArrayView2<'_, f64>, labels: &[i64]) -> CoreResult<f64> {
    let part = prepare(x, labels)?;
    let k = part.n_clusters();
    let cent = centroids(x, &part);
    let cref = &cent;
    let sums = chunked_cluster_sums(x, &part, 1, |c, row, out| {
        out[0] += row
            .iter()
            .zip(cref.row(c).iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
    });
    let intra: Vec<f64> = (0..k)
        .map(|c| sums[[c, 0]] / part.counts[c] as f64)
        .collect();
    let cent_rows: Vec<Vec<f64>> = cent.axis_iter(Axis(0)).map(|r| r.to_vec()).collect();
    let mut cd = Array2::<f64>::zeros((k, k));
    for i in 0..k {
        for j in 0..k {
            if i != j {
                cd[[i, j]] = distance(&cent_rows[i], &cent_rows[j]);
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
            let dist = cd[[i, j]];
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
) -> CoreResult<Array1<f64>> {
    check_finite_nonempty(x)?;
    let n = x.nrows();
    let (ids, counts, cent): (Vec<u32>, Vec<usize>, Array2<f64>) = match centers {
        None => {
            let part = Partition::new(labels, n)?;
            check_number_of_labels(part.n_clusters(), n)?;
            let cent = centroids(x, &part);
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
    let k = cent.nrows();
    let cent_rows: Vec<Vec<f64>> = cent.axis_iter(Axis(0)).map(|r| r.to_vec()).collect();
    let scores: Vec<f64> = (0..n)
        .into_par_iter()
        .with_min_len(1024)
        .map(|i| {
            let own = ids[i] as usize;
            if counts[own] < 2 {
                return 0.0;
            }
            let row: Vec<f64> = x.row(i).to_vec();
            let a = distance(&row, &cent_rows[own]);
            let mut b = f64::INFINITY;
            for (c, cr) in cent_rows.iter().enumerate().take(k) {
                if c != own {
                    b = b.min(distance(&row, cr));
                }
            }
            let denom = a.max(b);
            if denom > 0.0 {
                (b - a) / denom
            } else {
                0.0
            }
        })
        .collect();
    Ok(Array1::from(scores))
}

/// Mean simplified silhouette over all samples; see [`simplified_silhouette_samples`].
pub fn simplified_silhouette_score(
    x: ArrayView2<'_, f64>,
    labels: &[i64],
    centers: Option<ArrayView2<'_, f64>>,
) -> CoreResult<f64> {
    let s = simplified_silhouette_samples(x, labels, centers)?;
    Ok(s.sum() / s.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn calinski_harabasz_small() {
        // Two clusters on a line: means 0.5 and 10.5, grand mean 5.5.
        let x = array![[0.0], [1.0], [10.0], [11.0]];
        let ch = calinski_harabasz_score(x.view(), &[0, 0, 1, 1]).unwrap();
        let extra = 2.0 * 25.0 * 2.0;
        let intra = 4.0 * 0.25;
        assert!((ch - extra * 2.0 / intra).abs() < 1e-12);
        // Zero within-cluster dispersion -> 1.0.
        let x = array![[0.0], [0.0], [3.0], [3.0]];
        assert_eq!(
            calinski_harabasz_score(x.view(), &[0, 0, 1, 1]).unwrap(),
            1.0
        );
    }

    #[test]
    fn davies_bouldin_small() {
        // scikit-learn's docstring example: 0.12...
        let x = array![[0.0, 1.0], [1.0, 1.0], [3.0, 4.0]];
        let db = davies_bouldin_score(x.view(), &[0, 0, 1]).unwrap();
        let want = 0.5 / (2.5f64 * 2.5 + 3.0 * 3.0).sqrt();
        assert!((db - want).abs() < 1e-12);
        let x = array![[0.0], [0.0], [3.0], [3.0]];
        assert_eq!(davies_bouldin_score(x.view(), &[0, 0, 1, 1]).unwrap(), 0.0);
    }

    #[test]
    fn simplified_small() {
        let x = array![[0.0], [2.0], [10.0], [12.0]];
        let s = simplified_silhouette_samples(x.view(), &[0, 0, 1, 1], None).unwrap();
        // Sample 0: a = 1 (centroid 1), b = 11 -> 10/11.
        assert!((s[0] - 10.0 / 11.0).abs() < 1e-12);
        let c = array![[1.0], [11.0], [100.0]];
        let s2 = simplified_silhouette_samples(x.view(), &[0, 0, 1, 1], Some(c.view())).unwrap();
        assert_eq!(s, s2);
        assert!(simplified_silhouette_samples(x.view(), &[0, 0, 1, 3], Some(c.view())).is_err());
    }
}
