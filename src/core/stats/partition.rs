//! Labels -> dense cluster ids, sizes and a label-sorted order.

use crate::{CoreError, CoreResult};

/// A partition of `n` samples into `n_clusters` non-empty clusters.
///
/// Cluster ids are dense (`0..n_clusters`) and follow the sorted order of the original
/// label values, like scikit-learn's `LabelEncoder`.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    /// Dense cluster id of every sample.
    pub ids: Vec<u32>,
    /// Number of samples in each cluster (all > 0).
    pub counts: Vec<usize>,
}

impl Partition {
    /// Encode `labels` (non-negative integers) for `n_samples` samples.
    pub fn new(labels: &[i64], n_samples: usize) -> CoreResult<Self> {
        if labels.len() != n_samples {
            return Err(CoreError::ShapeMismatch {
                what: "labels (one per sample of X)",
                expected: n_samples,
                got: labels.len(),
            });
        }
        let mut max = 0i64;
        for &l in labels {
            if l < 0 {
                return Err(CoreError::InvalidParameter {
                    name: "labels",
                    reason: format!("labels must be >= 0 here, got {l}"),
                });
            }
            max = max.max(l);
        }
        let width = usize::try_from(max).unwrap_or(usize::MAX);
        // Small label values: a direct table; otherwise sort the distinct values.
        let code: Vec<(i64, u32)> = if width <= 4 * n_samples + 1024 {
            let mut seen = vec![false; width + 1];
            for &l in labels {
                seen[l as usize] = true;
            }
            let mut next = 0u32;
            let mut table = Vec::new();
            for (v, &s) in seen.iter().enumerate() {
                if s {
                    table.push((v as i64, next));
                    next += 1;
                }
            }
            table
        } else {
            let mut distinct = labels.to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            distinct
                .into_iter()
                .enumerate()
                .map(|(i, v)| (v, i as u32))
                .collect()
        };
        let n_clusters = code.len();
        let ids: Vec<u32> = if width <= 4 * n_samples + 1024 {
            let mut lut = vec![0u32; width + 1];
            for &(v, c) in &code {
                lut[v as usize] = c;
            }
            labels.iter().map(|&l| lut[l as usize]).collect()
        } else {
            labels
                .iter()
                .map(|l| match code.binary_search_by_key(l, |&(v, _)| v) {
                    Ok(pos) => code[pos].1,
                    Err(_) => 0, // unreachable: every label is in `code`
                })
                .collect()
        };
        let mut counts = vec![0usize; n_clusters];
        for &c in &ids {
            counts[c as usize] += 1;
        }
        Ok(Self { ids, counts })
    }

    /// Number of (non-empty) clusters.
    pub fn n_clusters(&self) -> usize {
        self.counts.len()
    }

    /// Sample indices sorted by cluster (stable) and the start of each cluster in that order
    /// (`starts.len() == n_clusters + 1`).
    pub fn sorted_order(&self) -> (Vec<usize>, Vec<usize>) {
        let k = self.n_clusters();
        let mut starts = vec![0usize; k + 1];
        for c in 0..k {
            starts[c + 1] = starts[c] + self.counts[c];
        }
        let mut next = starts.clone();
        let mut order = vec![0usize; self.ids.len()];
        for (i, &c) in self.ids.iter().enumerate() {
            order[next[c as usize]] = i;
            next[c as usize] += 1;
        }
        (order, starts)
    }
}

/// scikit-learn's rule: the number of labels must be in `2..=n_samples - 1`.
pub fn check_number_of_labels(n_labels: usize, n_samples: usize) -> CoreResult<()> {
    if !(n_labels > 1 && n_labels < n_samples) {
        return Err(CoreError::InvalidParameter {
            name: "labels",
            reason: format!(
                "Number of labels is {n_labels}. Valid values are 2 to n_samples - 1 (inclusive)"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_codes_follow_sorted_values() {
        let p = Partition::new(&[7, 3, 7, 10], 4).unwrap();
        assert_eq!(p.ids, vec![1, 0, 1, 2]);
        assert_eq!(p.counts, vec![1, 2, 1]);
        let big = Partition::new(&[i64::MAX, 0, i64::MAX], 3).unwrap();
        assert_eq!(big.ids, vec![1, 0, 1]);
        let (order, starts) = p.sorted_order();
        assert_eq!(order, vec![1, 0, 2, 3]);
        assert_eq!(starts, vec![0, 1, 3, 4]);
    }

    #[test]
    fn bad_labels() {
        assert!(matches!(
            Partition::new(&[0, 1], 3),
            Err(CoreError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            Partition::new(&[0, -1], 2),
            Err(CoreError::InvalidParameter { .. })
        ));
        assert!(check_number_of_labels(1, 5).is_err());
        assert!(check_number_of_labels(5, 5).is_err());
        assert!(check_number_of_labels(2, 3).is_ok());
    }
}
