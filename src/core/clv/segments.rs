//! Per-segment means with bootstrap replicates: customers resampled with replacement
//! within their segment (segment sizes stay fixed), one seeded stream per replicate.

use ndarray::{Array3, ArrayView2};
use rand::Rng;
use rayon::prelude::*;

use crate::numerics::rng::replicate_rng;
use crate::numerics::{try_filled, try_filled_dims, CompensatedSum};
use crate::params::invalid;
use crate::{CoreError, CoreResult, Interrupt};

/// Most values one call returns (8 GB of f64): larger requests are refused, not aborted.
const MAX_CELLS: usize = 1 << 30;

/// Rows of each segment `0..n_segments` (labels below 0 belong to none).
fn members(labels: &[i32], n_segments: usize) -> CoreResult<Vec<Vec<usize>>> {
    let mut rows = try_filled(n_segments, Vec::new(), "the segments' rows")?;
    for (i, &l) in labels.iter().enumerate() {
        if l < 0 {
            continue;
        }
        let Some(seg) = rows.get_mut(l as usize) else {
            return Err(invalid(
                "labels",
                format!("label {l} is not below n_segments={n_segments}"),
            ));
        };
        seg.push(i);
    }
    Ok(rows)
}

/// Bootstrap replicates `start..end` of the per-segment means of each column of `values`
/// (customers x statistics): an array `(end - start, n_segments, n_statistics)`. Replicate
/// `b` draws from its own stream (`seed`, `b`), so any range of replicates, on any number
/// of threads, gives the same numbers. An empty segment's means are NaN. A stop
/// requested through `stop` is seen before each replicate ([`CoreError::Interrupted`]).
pub fn bootstrap_means(
    values: ArrayView2<'_, f64>,
    labels: &[i32],
    n_segments: usize,
    seed: u64,
    (start, end): (usize, usize),
    stop: &Interrupt,
) -> CoreResult<Array3<f64>> {
    let (n, k) = values.dim();
    if labels.len() != n {
        return Err(CoreError::ShapeMismatch {
            what: "labels",
            expected: n,
            got: labels.len(),
        });
    }
    if start > end {
        return Err(invalid(
            "start",
            format!("must be <= end, got {start} > {end}"),
        ));
    }
    crate::error::check_finite_nonempty(values)?;
    if n_segments > n {
        return Err(invalid(
            "n_segments",
            format!("{n_segments} segments for {n} customers: at most one per customer"),
        ));
    }
    let cells = (end - start)
        .checked_mul(n_segments)
        .and_then(|c| c.checked_mul(k))
        .filter(|&c| c <= MAX_CELLS);
    if cells.is_none() {
        return Err(invalid(
            "n_bootstrap",
            format!(
                "{} replicates x {n_segments} segments x {k} statistics is more than {MAX_CELLS} \
                 values to hold; run fewer replicates at a time",
                end - start
            ),
        ));
    }
    let rows = members(labels, n_segments)?;
    let what = "the bootstrap replicates' means";
    let mut out = try_filled_dims(&[end - start, n_segments, k], f64::NAN, what)?;
    let cells = (n_segments * k).max(1);
    out.par_chunks_mut(cells)
        .zip(start..end)
        .try_for_each_init(
            // Per-thread scratch of one sum per statistic (a column of `values`).
            || vec![CompensatedSum::ZERO; k],
            |sums, (out, b)| {
                stop.check()?;
                let mut rng = replicate_rng(seed, b as u64);
                for (s, seg) in rows.iter().enumerate() {
                    if seg.is_empty() {
                        continue;
                    }
                    sums.fill(CompensatedSum::ZERO);
                    for _ in 0..seg.len() {
                        let i = seg[rng.gen_range(0..seg.len())];
                        for (j, sum) in sums.iter_mut().enumerate() {
                            sum.add(values[(i, j)]);
                        }
                    }
                    for (j, sum) in sums.iter().enumerate() {
                        out[s * k + j] = sum.value() / seg.len() as f64;
                    }
                }
                Ok::<(), CoreError>(())
            },
        )?;
    Array3::from_shape_vec((end - start, n_segments, k), out)
        .map_err(|e| CoreError::Internal(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn replicates_are_reproducible_in_any_range() {
        let v = array![
            [1.0, 10.0],
            [2.0, 20.0],
            [3.0, 30.0],
            [4.0, 40.0],
            [5.0, 50.0]
        ];
        let labels = [0, 0, 1, 1, 1];
        let all = bootstrap_means(v.view(), &labels, 2, 7, (0, 6), &Interrupt::new()).unwrap();
        let tail = bootstrap_means(v.view(), &labels, 2, 7, (4, 6), &Interrupt::new()).unwrap();
        assert_eq!(all.slice(ndarray::s![4..6, .., ..]), tail);
        // Every mean lies within its segment's range; column 2 is 10x column 1.
        for b in 0..6 {
            assert!((1.0..=2.0).contains(&all[(b, 0, 0)]));
            assert!((3.0..=5.0).contains(&all[(b, 1, 0)]));
            assert!((all[(b, 1, 1)] - 10.0 * all[(b, 1, 0)]).abs() < 1e-12);
        }
    }

    #[test]
    fn labels_out_of_range_are_errors() {
        let v = array![[1.0], [2.0]];
        assert!(bootstrap_means(v.view(), &[0, 3], 2, 0, (0, 1), &Interrupt::new()).is_err());
        assert!(bootstrap_means(v.view(), &[0], 2, 0, (0, 1), &Interrupt::new()).is_err());
    }

    #[test]
    fn a_requested_stop_is_an_interruption() {
        let v = ndarray::Array2::from_shape_fn((4, 1), |(i, _)| i as f64);
        let stop = Interrupt::new();
        stop.request();
        assert_eq!(
            bootstrap_means(v.view(), &[0, 0, 1, 1], 2, 0, (0, 3), &stop),
            Err(CoreError::Interrupted)
        );
    }

    #[test]
    fn sizes_the_machine_cannot_hold_are_errors() {
        match members(&[0, -1], usize::MAX / 4) {
            Err(CoreError::Allocation { what, .. }) => assert_eq!(what, "the segments' rows"),
            other => panic!("{other:?}"),
        }
    }
}
