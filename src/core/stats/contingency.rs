//! The contingency table of two partitions of the same samples and the pair-counting
//! statistic built on it (the adjusted Rand index). Shared: cluster-agreement metrics,
//! the choice of k and drift between segmentations all count co-occurrences this way.

use std::collections::HashMap;

use super::partition::Partition;
use crate::{CoreError, CoreResult};

/// The contingency table of two partitions of `n` samples: rows are the first
/// partition's clusters, columns the second's (both in sorted label order).
#[derive(Debug, Clone, PartialEq)]
pub struct Contingency {
    /// Size of every row cluster.
    pub rows: Vec<u64>,
    /// Size of every column cluster.
    pub cols: Vec<u64>,
    /// Non-zero cells `(row, col, count)`, sorted by `(row, col)`.
    pub cells: Vec<(u32, u32, u64)>,
    /// Number of samples.
    pub n: u64,
}

/// Dense tables up to this many cells; beyond it a hash map of the non-zero cells.
const DENSE_LIMIT: usize = 1 << 22;

impl Contingency {
    /// Build the table from two label vectors (non-negative integers, any values).
    pub fn from_labels(a: &[i64], b: &[i64]) -> CoreResult<Self> {
        if a.len() != b.len() {
            return Err(CoreError::ShapeMismatch {
                what: "labels_pred (one label per entry of labels_true)",
                expected: a.len(),
                got: b.len(),
            });
        }
        let pa = Partition::new(a, a.len())?;
        let pb = Partition::new(b, b.len())?;
        Ok(Self::from_partitions(&pa, &pb))
    }

    /// Build the table from two encoded partitions of the same samples.
    pub fn from_partitions(a: &Partition, b: &Partition) -> Self {
        let (ka, kb) = (a.n_clusters(), b.n_clusters());
        let mut cells: Vec<(u32, u32, u64)> = if ka.saturating_mul(kb) <= DENSE_LIMIT {
            let mut dense = vec![0u64; ka * kb];
            for (&i, &j) in a.ids.iter().zip(&b.ids) {
                dense[i as usize * kb + j as usize] += 1;
            }
            dense
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(idx, &c)| ((idx / kb) as u32, (idx % kb) as u32, c))
                .collect()
        } else {
            let mut map: HashMap<(u32, u32), u64> = HashMap::new();
            for (&i, &j) in a.ids.iter().zip(&b.ids) {
                *map.entry((i, j)).or_insert(0) += 1;
            }
            map.into_iter().map(|((i, j), c)| (i, j, c)).collect()
        };
        cells.sort_unstable();
        Contingency {
            rows: a.counts.iter().map(|&c| c as u64).collect(),
            cols: b.counts.iter().map(|&c| c as u64).collect(),
            cells,
            n: a.ids.len() as u64,
        }
    }

    /// The dense `(rows, cols)` table in row-major order.
    pub fn dense(&self) -> Vec<u64> {
        let kb = self.cols.len();
        let mut out = vec![0u64; self.rows.len() * kb];
        for &(i, j, c) in &self.cells {
            out[i as usize * kb + j as usize] = c;
        }
        out
    }

    /// `sum n_ij^2`, `sum a_i^2`, `sum b_j^2` in exact integers.
    pub fn squares(&self) -> (u128, u128, u128) {
        let sq = |v: u64| (v as u128) * (v as u128);
        (
            self.cells.iter().map(|&(_, _, c)| sq(c)).sum(),
            self.rows.iter().map(|&c| sq(c)).sum(),
            self.cols.iter().map(|&c| sq(c)).sum(),
        )
    }
}

/// Adjusted Rand index (Hubert & Arabie 1985) from the pair-confusion matrix, exactly as
/// scikit-learn 1.9: 1.0 when no pair is split differently (including empty input and
/// identical partitions), otherwise `2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn))`.
pub fn adjusted_rand_score(c: &Contingency) -> f64 {
    let (sum_sq, rows_sq, cols_sq) = c.squares();
    let n = c.n as u128;
    // Ordered pairs, as scikit-learn's pair_confusion_matrix.
    let tp = sum_sq - n;
    let fp = cols_sq - sum_sq; // together in the second partition only
    let fneg = rows_sq - sum_sq; // together in the first partition only
    let tn = n * n - fp - fneg - sum_sq;
    if fneg == 0 && fp == 0 {
        return 1.0;
    }
    let (tp, fp, fneg, tn) = (tp as f64, fp as f64, fneg as f64, tn as f64);
    2.0 * (tp * tn - fneg * fp) / ((tp + fneg) * (fneg + tn) + (tp + fp) * (fp + tn))
}
