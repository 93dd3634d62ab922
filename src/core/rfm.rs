//! Per-customer purchase summaries: the one pass behind RFM tables.
//!
//! Input: one row per transaction with an integer customer code (0..n_customers), an
//! integer period (days, weeks or hours since an epoch) and an amount. Rows of the same
//! customer and period are merged into one purchase (as `lifetimes` does), so the summary
//! counts purchase periods, not rows.

use rayon::prelude::*;

use super::error::{CoreError, CoreResult};
use crate::numerics::{checked_plus_one, try_filled, try_with_capacity};
use crate::Interrupt;

/// Rows of a sequential pass between two checks for a requested stop (a few ms).
const CHECK_ROWS: usize = 1 << 20;

/// Per-customer summary of a transaction log (one entry per customer code).
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseSummary {
    /// Number of distinct purchase periods (0 for a code with no rows).
    pub n_periods: Vec<i64>,
    /// Number of transaction rows.
    pub n_rows: Vec<i64>,
    /// First purchase period.
    pub first: Vec<i64>,
    /// Last purchase period.
    pub last: Vec<i64>,
    /// Sum of all amounts.
    pub total: Vec<f64>,
    /// Sum of the amounts outside the first purchase period (repeat purchases).
    pub repeat_total: Vec<f64>,
}

/// Summarise a transaction log per customer in one sort-and-scan pass.
///
/// `customer[i]` must lie in `0..n_customers`. Rows need not be sorted. Each customer's
/// amounts are added in period order, then row order, so the result does not depend on the
/// number of threads. A stop requested through `stop` ends the work within a few
/// milliseconds ([`CoreError::Interrupted`]).
pub fn purchase_summary(
    customer: &[i64],
    period: &[i64],
    amount: &[f64],
    n_customers: usize,
    stop: &Interrupt,
) -> CoreResult<PurchaseSummary> {
    let n = customer.len();
    if period.len() != n {
        return Err(CoreError::ShapeMismatch {
            what: "period",
            expected: n,
            got: period.len(),
        });
    }
    if amount.len() != n {
        return Err(CoreError::ShapeMismatch {
            what: "amount",
            expected: n,
            got: amount.len(),
        });
    }
    if let Some(bad) = customer
        .par_iter()
        .find_any(|&&c| c < 0 || c as u64 >= n_customers as u64)
    {
        return Err(CoreError::InvalidParameter {
            name: "customer",
            reason: format!("code {bad} outside 0..{n_customers}"),
        });
    }
    if let Some(pos) = amount.par_iter().position_any(|a| !a.is_finite()) {
        return Err(CoreError::NonFinite(format!("amount at row {pos}")));
    }

    // Bucket the rows by customer (a counting sort: stable, O(n)), then summarise each
    // customer's few rows independently and in parallel.
    let slots = checked_plus_one::<usize>(n_customers, "customer offsets")?;
    let mut offsets = try_filled(slots, 0usize, "customer offsets")?;
    for chunk in customer.chunks(CHECK_ROWS) {
        stop.check()?;
        for &c in chunk {
            offsets[c as usize + 1] += 1;
        }
    }
    for i in 0..n_customers {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = try_with_capacity(slots, "customer offsets")?;
    fill.extend_from_slice(&offsets);
    let mut rows = try_filled(n, 0usize, "rows by customer")?;
    for (first, chunk) in customer.chunks(CHECK_ROWS).enumerate() {
        stop.check()?;
        for (i, &c) in (first * CHECK_ROWS..).zip(chunk) {
            let slot = &mut fill[c as usize];
            rows[*slot] = i;
            *slot += 1;
        }
    }

    let mut per_customer = try_filled(n_customers, CustomerStats::EMPTY, "customer summaries")?;
    per_customer
        .par_iter_mut()
        .enumerate()
        .with_min_len(1024)
        .try_for_each_init(Vec::new, |buf: &mut Vec<(i64, f64)>, (c, stats)| {
            stop.check()?;
            buf.clear();
            buf.extend(
                rows[offsets[c]..offsets[c + 1]]
                    .iter()
                    .map(|&i| (period[i], amount[i])),
            );
            *stats = summarise_customer(buf);
            Ok::<(), CoreError>(())
        })?;

    let column = || try_with_capacity(n_customers, "the per-customer summary");
    let mut out = PurchaseSummary {
        n_periods: column()?,
        n_rows: column()?,
        first: column()?,
        last: column()?,
        total: try_with_capacity(n_customers, "the per-customer summary")?,
        repeat_total: try_with_capacity(n_customers, "the per-customer summary")?,
    };
    for s in per_customer {
        out.n_periods.push(s.n_periods);
        out.n_rows.push(s.n_rows);
        out.first.push(s.first);
        out.last.push(s.last);
        out.total.push(s.total);
        out.repeat_total.push(s.repeat_total);
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy)]
struct CustomerStats {
    n_periods: i64,
    n_rows: i64,
    first: i64,
    last: i64,
    total: f64,
    repeat_total: f64,
}

impl CustomerStats {
    const EMPTY: Self = CustomerStats {
        n_periods: 0,
        n_rows: 0,
        first: 0,
        last: 0,
        total: 0.0,
        repeat_total: 0.0,
    };
}

/// One customer's rows as (period, amount), in input order; sorted here by period (stably,
/// so amounts add in period order then row order).
fn summarise_customer(rows: &mut [(i64, f64)]) -> CustomerStats {
    rows.sort_by_key(|&(p, _)| p);
    let mut s = CustomerStats {
        n_periods: 0,
        n_rows: rows.len() as i64,
        first: rows.first().map_or(0, |r| r.0),
        last: rows.last().map_or(0, |r| r.0),
        total: 0.0,
        repeat_total: 0.0,
    };
    let mut prev: Option<i64> = None;
    for &(p, a) in rows.iter() {
        if prev != Some(p) {
            s.n_periods += 1;
            prev = Some(p);
        }
        s.total += a;
        if p != s.first {
            s.repeat_total += a;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_same_period_and_separates_repeats() {
        // customer 1: two rows on day 5 (one purchase), one on day 9; customer 0: day 3.
        let customer = [1, 0, 1, 1];
        let period = [5, 3, 9, 5];
        let amount = [2.0, 7.0, 4.0, 1.0];
        let s = purchase_summary(&customer, &period, &amount, 3, &Interrupt::new()).unwrap();
        assert_eq!(s.n_periods, vec![1, 2, 0]);
        assert_eq!(s.n_rows, vec![1, 3, 0]);
        assert_eq!((s.first[1], s.last[1]), (5, 9));
        assert_eq!(s.total, vec![7.0, 7.0, 0.0]);
        assert_eq!(s.repeat_total, vec![0.0, 4.0, 0.0]);
    }

    #[test]
    fn sorted_and_unsorted_input_agree() {
        let customer = [0, 0, 1, 1, 1];
        let period = [1, 2, 1, 1, 4];
        let amount = [1.0, 2.0, 3.0, 4.0, 5.0];
        let a = purchase_summary(&customer, &period, &amount, 2, &Interrupt::new()).unwrap();
        let rev = |v: &[i64]| v.iter().rev().copied().collect::<Vec<_>>();
        let amount_rev: Vec<f64> = amount.iter().rev().copied().collect();
        let b = purchase_summary(
            &rev(&customer),
            &rev(&period),
            &amount_rev,
            2,
            &Interrupt::new(),
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(
            purchase_summary(&[0, 5], &[1, 1], &[1.0, 1.0], 2, &Interrupt::new()),
            Err(CoreError::InvalidParameter { .. })
        ));
        assert!(matches!(
            purchase_summary(&[0], &[1, 1], &[1.0], 1, &Interrupt::new()),
            Err(CoreError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            purchase_summary(&[0], &[1], &[f64::NAN], 1, &Interrupt::new()),
            Err(CoreError::NonFinite(_))
        ));
    }

    #[test]
    fn a_requested_stop_is_an_interruption() {
        let stop = Interrupt::new();
        stop.request();
        assert_eq!(
            purchase_summary(&[0, 1], &[1, 2], &[1.0, 2.0], 2, &stop),
            Err(CoreError::Interrupted)
        );
    }

    #[test]
    fn sizes_the_machine_cannot_hold_are_errors() {
        let stop = Interrupt::new();
        for n_customers in [usize::MAX, usize::MAX / 16] {
            match purchase_summary(&[], &[], &[], n_customers, &stop) {
                Err(CoreError::Allocation { what, bytes }) => {
                    assert_eq!(what, "customer offsets");
                    assert!(bytes >= n_customers as u128 * 8, "{bytes}");
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
