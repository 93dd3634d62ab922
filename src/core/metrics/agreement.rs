//! Agreement between two partitions of the same samples, with scikit-learn's definitions
//! and special cases (`sklearn.metrics.cluster`, 1.9): the contingency table, the
//! adjusted Rand index, mutual-information scores and Fowlkes-Mallows.
//!
//! Everything is computed from the sparse contingency table (its non-zero cells and
//! margins) in O(n + cells) time, except the expected mutual information of AMI, which
//! costs O(sum over cells of min(a_i, b_j)) like scikit-learn's.

use rayon::prelude::*;

pub use crate::stats::contingency::{adjusted_rand_score, Contingency};
use crate::stats::special::ln_gamma;
use crate::{CoreError, CoreResult};

/// Fowlkes-Mallows index `tk / sqrt(pk qk)` (0.0 when `tk == 0`, as scikit-learn).
pub fn fowlkes_mallows_score(c: &Contingency) -> f64 {
    let (sum_sq, rows_sq, cols_sq) = c.squares();
    let n = c.n as u128;
    let tk = sum_sq as f64 - n as f64;
    if tk == 0.0 {
        return 0.0;
    }
    let pk = cols_sq as f64 - n as f64;
    let qk = rows_sq as f64 - n as f64;
    (tk / pk).sqrt() * (tk / qk).sqrt()
}

/// Entropy (natural log) of cluster sizes, scikit-learn's `entropy`: 1.0 for no samples,
/// 0.0 for a single cluster.
pub fn entropy(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return 1.0;
    }
    let sizes: Vec<f64> = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| c as f64)
        .collect();
    if sizes.len() == 1 {
        return 0.0;
    }
    let (total, log_total) = (total as f64, (total as f64).ln());
    -sizes
        .iter()
        .map(|&p| (p / total) * (p.ln() - log_total))
        .sum::<f64>()
}

/// Mutual information (natural log) of the table, scikit-learn's `mutual_info_score`:
/// terms below machine epsilon are dropped and the sum is clipped at 0.
pub fn mutual_info_score(c: &Contingency) -> f64 {
    if c.rows.len() <= 1 || c.cols.len() <= 1 {
        return 0.0;
    }
    let total = c.n as f64;
    let log_total = total.ln();
    let sum: f64 = c
        .cells
        .iter()
        .map(|&(i, j, nij)| {
            let p = nij as f64 / total;
            let outer = c.rows[i as usize] as f64 * c.cols[j as usize] as f64;
            let log_outer = -outer.ln() + 2.0 * log_total;
            let term = p * ((nij as f64).ln() - log_total) + p * log_outer;
            if term.abs() < f64::EPSILON {
                0.0
            } else {
                term
            }
        })
        .sum();
    sum.max(0.0)
}

/// Expected mutual information of two random partitions with the table's margins
/// (Vinh, Epps & Bailey 2010), summed like scikit-learn's `expected_mutual_information`.
/// Rows are summed in parallel and the row totals added in order (thread-independent).
pub fn expected_mutual_info(c: &Contingency) -> f64 {
    if c.rows.len() <= 1 || c.cols.len() <= 1 {
        return 0.0;
    }
    let n = c.n as f64;
    let ln_n = n.ln();
    let gln_n1 = ln_gamma(n + 1.0);
    let max_size = c.rows.iter().chain(&c.cols).copied().max().unwrap_or(0) as usize;
    let gln_nij: Vec<f64> = (0..=max_size).map(|v| ln_gamma(v as f64 + 1.0)).collect();
    let prep = |v: &[u64]| -> Vec<(f64, f64, f64, f64)> {
        v.iter()
            .map(|&s| {
                let s = s as f64;
                (s, s.ln(), ln_gamma(s + 1.0), ln_gamma(n - s + 1.0))
            })
            .collect()
    };
    let (rows, cols) = (prep(&c.rows), prep(&c.cols));
    let per_row: Vec<f64> = rows
        .par_iter()
        .map(|&(a, ln_a, gln_a, gln_na)| {
            let mut acc = 0.0;
            for &(b, ln_b, gln_b, gln_nb) in &cols {
                let start = (a + b - n).max(1.0) as usize;
                let end = a.min(b) as usize;
                for nij in start..=end {
                    let v = nij as f64;
                    let term1 = v / n;
                    let term2 = (ln_n + v.ln()) - ln_a - ln_b;
                    let gln = gln_a + gln_b + gln_na + gln_nb
                        - (gln_nij[nij] + gln_n1)
                        - gln_nij[(a - v) as usize]
                        - gln_nij[(b - v) as usize]
                        - ln_gamma(n - a - b + v + 1.0);
                    acc += term1 * term2 * gln.exp();
                }
            }
            acc
        })
        .collect();
    per_row.iter().sum()
}

/// How to average the two entropies in the normalised mutual-information scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AverageMethod {
    /// `min(h1, h2)`
    Min,
    /// `sqrt(h1 h2)`
    Geometric,
    /// `(h1 + h2) / 2` (scikit-learn's default)
    Arithmetic,
    /// `max(h1, h2)`
    Max,
}

impl AverageMethod {
    /// Parse `"min"`, `"geometric"`, `"arithmetic"` or `"max"`.
    pub fn parse(name: &str) -> CoreResult<Self> {
        Ok(match name {
            "min" => AverageMethod::Min,
            "geometric" => AverageMethod::Geometric,
            "arithmetic" => AverageMethod::Arithmetic,
            "max" => AverageMethod::Max,
            other => {
                return Err(CoreError::InvalidParameter {
                    name: "average_method",
                    reason: format!(
                        "must be 'min', 'geometric', 'arithmetic' or 'max', got {other:?}"
                    ),
                })
            }
        })
    }

    fn average(self, u: f64, v: f64) -> f64 {
        match self {
            AverageMethod::Min => u.min(v),
            AverageMethod::Geometric => (u * v).sqrt(),
            AverageMethod::Arithmetic => (u + v) / 2.0,
            AverageMethod::Max => u.max(v),
        }
    }
}

/// Both partitions are a single cluster, or there are no samples: scikit-learn returns 1.0.
fn trivially_identical(c: &Contingency) -> bool {
    (c.rows.len() == 1 && c.cols.len() == 1) || c.n == 0
}

/// Normalised mutual information `MI / average(H1, H2)` (scikit-learn's special cases:
/// 1.0 for one cluster each or no samples, 0.0 when MI is 0).
pub fn normalized_mutual_info_score(c: &Contingency, method: AverageMethod) -> f64 {
    if trivially_identical(c) {
        return 1.0;
    }
    let mi = mutual_info_score(c);
    if mi == 0.0 {
        return 0.0;
    }
    mi / method.average(entropy(&c.rows), entropy(&c.cols))
}

/// Adjusted mutual information `(MI - E[MI]) / (average(H1, H2) - E[MI])` with
/// scikit-learn's special cases (1.0 for one cluster each or no samples, 0.0 when only one
/// side has a single cluster) and its guard that keeps numerator and denominator at least
/// machine epsilon away from 0, sign preserved.
pub fn adjusted_mutual_info_score(c: &Contingency, method: AverageMethod) -> f64 {
    if trivially_identical(c) {
        return 1.0;
    }
    if c.rows.len() == 1 || c.cols.len() == 1 {
        return 0.0;
    }
    let mi = mutual_info_score(c);
    let emi = expected_mutual_info(c);
    let normalizer = method.average(entropy(&c.rows), entropy(&c.cols));
    let mut denominator = normalizer - emi;
    denominator = if denominator < 0.0 {
        denominator.min(-f64::EPSILON)
    } else {
        denominator.max(f64::EPSILON)
    };
    // The same guard on the numerator: a perfect match whose MI equals its expectation
    // (e.g. every sample its own cluster in both) scores eps / eps = 1.
    let mut numerator = mi - emi;
    numerator = if numerator < 0.0 {
        numerator.min(-f64::EPSILON)
    } else {
        numerator.max(f64::EPSILON)
    };
    numerator / denominator
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(a: &[i64], b: &[i64]) -> Contingency {
        Contingency::from_labels(a, b).unwrap()
    }

    #[test]
    fn contingency_counts_cells_and_margins() {
        let c = table(&[0, 0, 1, 1, 2], &[5, 5, 5, 7, 7]);
        assert_eq!(c.rows, vec![2, 2, 1]);
        assert_eq!(c.cols, vec![3, 2]);
        assert_eq!(c.dense(), vec![2, 0, 1, 1, 0, 1]);
        assert_eq!(c.n, 5);
    }

    #[test]
    fn identical_partitions_score_one_up_to_renaming() {
        let c = table(&[0, 0, 1, 1, 2, 2], &[9, 9, 4, 4, 1, 1]);
        assert_eq!(adjusted_rand_score(&c), 1.0);
        assert!((adjusted_mutual_info_score(&c, AverageMethod::Arithmetic) - 1.0).abs() < 1e-12);
        assert!((normalized_mutual_info_score(&c, AverageMethod::Max) - 1.0).abs() < 1e-12);
        assert!((fowlkes_mallows_score(&c) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn hubert_arabie_small_example() {
        // ARI of [0,0,1,1] vs [0,0,1,2]: pairs tp = 1, fn = 1, fp = 0, tn = 4 (unordered),
        // ARI = (6 * 1 - 1 * 2) / (0.5 * 6 * (2 + 1) - 1 * 2) = 4 / 7.
        let c = table(&[0, 0, 1, 1], &[0, 0, 1, 2]);
        assert!((adjusted_rand_score(&c) - 4.0 / 7.0).abs() < 1e-15);
    }

    #[test]
    fn length_mismatch_is_an_error() {
        assert!(matches!(
            Contingency::from_labels(&[0, 1], &[0]),
            Err(CoreError::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn sparse_and_dense_tables_agree() {
        // Every sample its own cluster on one side: 3000 x 3 cells (dense path) vs a
        // 3000 x 3000 table (sparse path) must give the same margins.
        let a: Vec<i64> = (0..3000).collect();
        let b: Vec<i64> = (0..3000).map(|i| i % 3).collect();
        let c = table(&a, &b);
        assert_eq!(c.cells.len(), 3000);
        let c2 = table(&a, &a);
        assert_eq!(c2.cells.len(), 3000);
        assert_eq!(adjusted_rand_score(&c2), 1.0);
    }
}
