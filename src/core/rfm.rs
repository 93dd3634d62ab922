//! Per-customer purchase summaries: the one pass behind RFM tables.
//!
//! Input: one row per transaction with an integer customer code (0..n_customers), an
//! integer period (days, weeks or hours since an epoch) and an amount. Rows of the same
//! customer and period are merged into one purchase (as `lifetimes` does), so the summary
//! counts purchase periods, not rows.

use rayon::prelude::*;

use super::error::{CoreError, CoreResult};

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
/// `customer[i]` must lie in `0..n_customers`. Rows need not be sorted; the sort is
/// parallel and stable on (customer, period), and each customer's amounts are added in
/// period order then row order, so the result does not depend on the number of threads.
pub fn purchase_summary(
    customer: &[i64],
    period: &[i64],
    amount: &[f64],
    n_customers: usize,
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

    let mut order: Vec<u32> = Vec::new();
    let sorted = customer
        .par_windows(2)
        .zip(period.par_windows(2))
        .all(|(c, p)| (c[0], p[0]) <= (c[1], p[1]));
    if !sorted {
        if n > u32::MAX as usize {
            return Err(CoreError::InvalidParameter {
                name: "transactions",
                reason: format!("{n} rows: at most {} are supported", u32::MAX),
            });
        }
        order = (0..n as u32).collect();
        order.par_sort_by_key(|&i| (customer[i as usize], period[i as usize]));
    }
    let row = |k: usize| if sorted { k } else { order[k] as usize };

    let mut out = PurchaseSummary {
        n_periods: vec![0; n_customers],
        n_rows: vec![0; n_customers],
        first: vec![0; n_customers],
        last: vec![0; n_customers],
        total: vec![0.0; n_customers],
        repeat_total: vec![0.0; n_customers],
    };
    let mut prev: Option<(i64, i64)> = None;
    for k in 0..n {
        let i = row(k);
        let (c, p) = (customer[i], period[i]);
        let ci = c as usize;
        let new_customer = prev.is_none_or(|(pc, _)| pc != c);
        if new_customer {
            out.first[ci] = p;
            out.n_periods[ci] = 1;
        } else if prev.is_some_and(|(_, pp)| pp != p) {
            out.n_periods[ci] += 1;
        }
        out.last[ci] = p;
        out.n_rows[ci] += 1;
        out.total[ci] += amount[i];
        if p != out.first[ci] {
            out.repeat_total[ci] += amount[i];
        }
        prev = Some((c, p));
    }
    Ok(out)
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
        let s = purchase_summary(&customer, &period, &amount, 3).unwrap();
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
        let a = purchase_summary(&customer, &period, &amount, 2).unwrap();
        let rev = |v: &[i64]| v.iter().rev().copied().collect::<Vec<_>>();
        let amount_rev: Vec<f64> = amount.iter().rev().copied().collect();
        let b = purchase_summary(&rev(&customer), &rev(&period), &amount_rev, 2).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(
            purchase_summary(&[0, 5], &[1, 1], &[1.0, 1.0], 2),
            Err(CoreError::InvalidParameter { .. })
        ));
        assert!(matches!(
            purchase_summary(&[0], &[1, 1], &[1.0], 1),
            Err(CoreError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            purchase_summary(&[0], &[1], &[f64::NAN], 1),
            Err(CoreError::NonFinite(_))
        ));
    }
}
