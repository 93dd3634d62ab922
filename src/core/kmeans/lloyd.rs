//! Lloyd's algorithm (scikit-learn's `_kmeans_single_lloyd`), exact full E-step each
//! iteration; the reference the bound-based [`super::hamerly`] reproduces.

use rayon::prelude::*;

use super::common::{
    assign_labels_inertia, average_centres, centre_shifts, group_rows, relocate_empty_clusters,
    CentreBlocks, Data, Sums, STOP_ROWS,
};
use crate::numerics::{simd::with_avx2, Float};
use crate::{CoreResult, Interrupt};

/// Outcome of one k-means run from one initialisation.
#[derive(Debug, Clone)]
pub struct RunResult<F> {
    /// Final centres, row-major `k * d`.
    pub centres: Vec<F>,
    /// Label of each row against the final centres.
    pub labels: Vec<i32>,
    /// Weighted sum of squared distances to the assigned (final) centre.
    pub inertia: f64,
    /// Number of iterations run.
    pub n_iter: usize,
}

/// The E-step of rows `start..start + len` against `blocks` (the current centres), in row
/// order: `on_label(offset, cluster)` for every row, and the per-cluster weighted sums of
/// the rows plus their weighted squared distance to the closest centre (the cost). The one
/// kernel of the in-memory run and of the distributed step ([`super::partial`]). Checks
/// `stop` every [`STOP_ROWS`] rows, before their arithmetic.
#[inline(always)]
pub fn assign_and_sum<F: Float>(
    data: &Data<'_, F>,
    blocks: &CentreBlocks<F>,
    start: usize,
    len: usize,
    mut on_label: impl FnMut(usize, usize),
    stop: &Interrupt,
) -> CoreResult<(Sums, f64)> {
    with_avx2(
        #[inline(always)]
        || {
            let k = blocks.n_centres();
            let mut sums = Sums::zeros(k, data.d);
            let mut cost = 0.0f64;
            let mut buf = vec![F::zero(); 2 * blocks.padded()];
            let mut record = |o: usize, c: usize, dist: F| {
                let w = data.weight(start + o);
                on_label(o, c);
                sums.add(c, data.row(start + o), w);
                cost += dist.to_f64() * w;
            };
            // Two rows at a time (independent chains overlap), in row order.
            let mut o = 0;
            while o + 1 < len {
                if o % STOP_ROWS == 0 {
                    stop.check()?;
                }
                let [(ca, da), (cb, db)] =
                    blocks.closest_pair(data.row(start + o), data.row(start + o + 1), &mut buf);
                record(o, ca, da);
                record(o + 1, cb, db);
                o += 2;
            }
            if o < len {
                if o % STOP_ROWS == 0 {
                    stop.check()?;
                }
                let (c, dist) = blocks.closest(data.row(start + o), &mut buf);
                record(o, c, dist);
            }
            Ok((sums, cost))
        },
    )
}

/// One Lloyd run from `init` (`k * d`). `tol` is absolute (already scaled by the data's
/// variance). Stops when labels do not change (strict convergence) or when the summed
/// squared centre shift is `<= tol`, as scikit-learn; then labels and inertia are
/// recomputed against the final centres so they always agree with them. Checks `stop`
/// before each iteration.
pub fn run<F: Float>(
    data: &Data<'_, F>,
    init: &[F],
    k: usize,
    max_iter: usize,
    tol: f64,
    stop: &Interrupt,
) -> CoreResult<RunResult<F>> {
    let d = data.d;
    let rows = group_rows(data.n);
    let mut centres = init.to_vec();
    let mut new_centres = vec![F::zero(); k * d];
    let mut labels = vec![-1i32; data.n];
    let mut n_iter = 0;
    for it in 0..max_iter {
        stop.check()?;
        n_iter = it + 1;
        let blocks = CentreBlocks::new(&centres, k, d);
        let parts: Vec<(Sums, usize)> = labels
            .par_chunks_mut(rows)
            .enumerate()
            .map(|(g, lab)| {
                let mut changed = 0usize;
                let len = lab.len();
                let on_label = |o: usize, c: usize| {
                    if lab[o] != c as i32 {
                        changed += 1;
                        lab[o] = c as i32;
                    }
                };
                let (sums, _) = assign_and_sum(data, &blocks, g * rows, len, on_label, stop)?;
                Ok((sums, changed))
            })
            .collect::<CoreResult<_>>()?;
        let mut sums = Sums::zeros(k, d);
        let mut changed = 0;
        for (part, ch) in &parts {
            sums.merge(part);
            changed += ch;
        }
        relocate_empty_clusters(data, &centres, &labels, &mut sums);
        average_centres(&sums, k, d, &mut new_centres);
        let shift_tot: f64 = centre_shifts(&centres, &new_centres, k, d)
            .iter()
            .map(|s| s * s)
            .sum();
        std::mem::swap(&mut centres, &mut new_centres);
        if changed == 0 || shift_tot <= tol {
            break;
        }
    }
    let (labels, inertia) = assign_labels_inertia(data, &centres, k, stop)?;
    Ok(RunResult {
        centres,
        labels,
        inertia,
        n_iter,
    })
}
