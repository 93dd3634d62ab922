//! Exact small-sample computations: Fisher's exact test and the Beta–binomial
//! probability that one arm beats another. Both are deterministic closed-form sums.

use crate::stats::special::ln_gamma;
use crate::{CoreError, CoreResult, Interrupt};

/// Alternative hypothesis of a one- or two-sided test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    /// `H1: effect != 0`.
    TwoSided,
    /// `H1: effect < 0` (for Fisher: odds ratio < 1, small `a`).
    Less,
    /// `H1: effect > 0` (for Fisher: odds ratio > 1, large `a`).
    Greater,
}

impl Alternative {
    /// Parse `"two-sided"`, `"less"` or `"greater"`.
    pub fn parse(s: &str) -> CoreResult<Self> {
        match s {
            "two-sided" => Ok(Self::TwoSided),
            "less" => Ok(Self::Less),
            "greater" => Ok(Self::Greater),
            other => Err(CoreError::InvalidParameter {
                name: "alternative",
                reason: format!("must be 'two-sided', 'less' or 'greater', got {other:?}"),
            }),
        }
    }
}

/// Fisher's exact test on the 2x2 table `[[a, b], [c, d]]`.
///
/// Returns `(odds_ratio, p_value)` with the sample odds ratio `a d / (b c)` (inf or NaN
/// when a zero is in the denominator, as scipy). The p-value conditions on both margins
/// (hypergeometric law of `a`). The two-sided p-value sums the probabilities of every table
/// no more likely than the observed one, with a relative tolerance of `1e-7` on ties.
///
/// The probabilities are built from the ratio of successive hypergeometric terms,
/// normalised by their sum, so no factorial is ever formed.
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64, alt: Alternative) -> (f64, f64) {
    let (af, bf, cf, df) = (a as f64, b as f64, c as f64, d as f64);
    let odds = if bf * cf > 0.0 {
        af * df / (bf * cf)
    } else if af * df > 0.0 {
        f64::INFINITY
    } else {
        f64::NAN
    };
    let r1 = a + b;
    let r2 = c + d;
    let c1 = a + c;
    let lo = c1.saturating_sub(r2);
    let hi = r1.min(c1);
    if lo == hi {
        return (odds, 1.0);
    }
    // log weights relative to k = lo, by the ratio of successive terms.
    let len = (hi - lo + 1) as usize;
    let mut logw = Vec::with_capacity(len);
    let mut acc = 0.0f64;
    logw.push(0.0);
    for k in lo..hi {
        let kf = k as f64;
        let num = (r1 as f64 - kf) * (c1 as f64 - kf);
        let den = (kf + 1.0) * (r2 as f64 - c1 as f64 + kf + 1.0);
        acc += num.ln() - den.ln();
        logw.push(acc);
    }
    let max = logw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = logw.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = w.iter().sum();
    let obs = (a - lo) as usize;
    let p = match alt {
        Alternative::Less => w[..=obs].iter().sum::<f64>() / total,
        Alternative::Greater => w[obs..].iter().sum::<f64>() / total,
        Alternative::TwoSided => {
            let cut = w[obs] * (1.0 + 1e-7);
            w.iter().filter(|&&x| x <= cut).sum::<f64>() / total
        }
    };
    (odds, p.min(1.0))
}

/// The most terms [`prob_b_beats_a`] sums (`alpha_b <= MAX_BETA_TERMS`): about 0.4 s on
/// one core. Larger counts are refused with an error instead of running for minutes.
pub const MAX_BETA_TERMS: u64 = 100_000_000;

/// Terms summed between two checks of the stop request (a few milliseconds).
const TERMS_PER_CHECK: u64 = 1 << 20;

/// `P(p_B > p_A)` for independent `p_A ~ Beta(alpha_a, beta_a)`, `p_B ~ Beta(alpha_b, beta_b)`.
///
/// Evan Miller's closed form
/// `sum_{i=0}^{alpha_b - 1} B(alpha_a + i, beta_a + beta_b) /
///  ((beta_b + i) B(1 + i, beta_b) B(alpha_a, beta_a))`,
/// which needs an integer `alpha_b`. The terms are accumulated in log space through their
/// ratio (`B(x + 1, y) / B(x, y) = x / (x + y)`), so only the first one needs `ln_gamma`.
///
/// Errors: parameters that are not finite and positive, a non-integer `alpha_b` or one
/// above [`MAX_BETA_TERMS`], [`CoreError::Interrupted`] once `stop` is requested.
pub fn prob_b_beats_a(
    alpha_a: f64,
    beta_a: f64,
    alpha_b: f64,
    beta_b: f64,
    stop: &Interrupt,
) -> CoreResult<f64> {
    for (name, v) in [
        ("alpha_a", alpha_a),
        ("beta_a", beta_a),
        ("alpha_b", alpha_b),
        ("beta_b", beta_b),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return Err(CoreError::InvalidParameter {
                name: "beta parameters",
                reason: format!("{name} must be finite and > 0, got {v}"),
            });
        }
    }
    if alpha_b.fract() != 0.0 {
        return Err(CoreError::InvalidParameter {
            name: "alpha_b",
            reason: format!("the closed form needs an integer alpha_b, got {alpha_b}"),
        });
    }
    if alpha_b > MAX_BETA_TERMS as f64 {
        return Err(CoreError::InvalidParameter {
            name: "alpha_b",
            reason: format!(
                "the exact sum has alpha_b = {alpha_b} terms; at most {MAX_BETA_TERMS} are \
                 supported"
            ),
        });
    }
    let m = alpha_b as u64;
    // ln t_0 = ln B(alpha_a, beta_a + beta_b) - ln B(alpha_a, beta_a).
    let log_t0 = ln_gamma(beta_a + beta_b) - ln_gamma(alpha_a + beta_a + beta_b) - ln_gamma(beta_a)
        + ln_gamma(alpha_a + beta_a);
    // t_{i+1} / t_i = (alpha_a + i)(beta_b + i) / ((alpha_a + beta_a + beta_b + i)(1 + i)):
    // a product in linear space (no log per term), rescaled before it could overflow.
    // Terms are kept relative to exp(log_scale).
    let mut log_scale = log_t0;
    let mut t = 1.0f64;
    let mut sum = 1.0f64;
    let ab = alpha_a + beta_a + beta_b;
    for i in 0..m.saturating_sub(1) {
        if i % TERMS_PER_CHECK == 0 {
            stop.check()?;
        }
        let i = i as f64;
        t *= ((alpha_a + i) * (beta_b + i)) / ((ab + i) * (1.0 + i));
        sum += t;
        if t > 1e200 {
            log_scale += t.ln();
            sum /= t;
            t = 1.0;
        }
    }
    Ok((log_scale + sum.ln()).exp().clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fisher_tea_tasting() {
        // Fisher's lady tasting tea: [[3, 1], [1, 3]], one-sided p = 17/70.
        let (or, p) = fisher_exact(3, 1, 1, 3, Alternative::Greater);
        assert!((or - 9.0).abs() < 1e-12);
        assert!((p - 17.0 / 70.0).abs() < 1e-14);
        let (_, p2) = fisher_exact(3, 1, 1, 3, Alternative::TwoSided);
        assert!((p2 - 34.0 / 70.0).abs() < 1e-14);
    }

    #[test]
    fn beta_symmetry() {
        let p = prob_b_beats_a(3.0, 5.0, 3.0, 5.0, &Interrupt::new()).unwrap();
        assert!((p - 0.5).abs() < 1e-13);
        let p1 = prob_b_beats_a(11.0, 91.0, 21.0, 81.0, &Interrupt::new()).unwrap();
        let p2 = prob_b_beats_a(21.0, 81.0, 11.0, 91.0, &Interrupt::new()).unwrap();
        assert!((p1 + p2 - 1.0).abs() < 1e-12);
        assert!(prob_b_beats_a(1.0, 1.0, 1.5, 1.0, &Interrupt::new()).is_err());
    }

    #[test]
    fn beta_sums_are_bounded_and_stop_when_asked() {
        let huge = (MAX_BETA_TERMS + 1) as f64;
        assert!(matches!(
            prob_b_beats_a(1.0, 1.0, huge, 1.0, &Interrupt::new()),
            Err(CoreError::InvalidParameter {
                name: "alpha_b",
                ..
            })
        ));
        let stop = Interrupt::new();
        stop.request();
        assert_eq!(
            prob_b_beats_a(5.0, 6.0, 1e7, 6.0, &stop),
            Err(CoreError::Interrupted)
        );
    }
}
