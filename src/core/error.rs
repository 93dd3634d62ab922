//! The core's error type and the input checks every feature shares. Every fallible core
//! function returns [`CoreResult`]; the bindings layer maps each variant to its own Python
//! exception class.

use ndarray::ArrayView2;
use thiserror::Error;

/// Everything that can go wrong in the pure-Rust core.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoreError {
    /// The input has no rows (or no columns).
    #[error("empty input: {0}")]
    EmptyInput(String),
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    /// Fewer samples than clusters (or another minimum).
    #[error("n_samples={n_samples} should be >= n_clusters={n_clusters}")]
    NotEnoughSamples { n_samples: usize, n_clusters: usize },
    /// Two inputs that must agree in shape do not.
    #[error("shape mismatch for {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// NaN or infinity where finite values are required.
    #[error("input contains NaN or infinity: {0}")]
    NonFinite(String),
    /// Sample weights that are negative, non-finite or all zero.
    #[error("invalid sample weights: {0}")]
    InvalidWeights(String),
    /// A buffer sized by the input or a parameter cannot be allocated (more memory than
    /// the machine or the address space holds): reported, never an abort.
    #[error("cannot allocate {} for {what}", human_bytes(*bytes))]
    Allocation { what: String, bytes: u128 },
    /// The caller asked the work to stop (Ctrl-C): there is no result.
    #[error("interrupted")]
    Interrupted,
    /// An invariant broke inside the core (a bug): reported, never a panic.
    #[error("internal error in segwise core: {0}")]
    Internal(String),
}

/// `bytes` for people: "512 bytes", "1.5 KiB", ..., "8.0 TiB", "6.4e+06 EiB".
pub fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value >= 1024.0 {
        format!("{value:.1e} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Result alias used throughout the core.
pub type CoreResult<T> = Result<T, CoreError>;

/// Validate optional sample weights against `n` samples: finite, non-negative, not all zero.
pub fn check_weights(weights: Option<&[f64]>, n: usize) -> CoreResult<()> {
    if check_weight_values(weights, n)? <= 0.0 && weights.is_some() {
        return Err(CoreError::InvalidWeights("all weights are zero".into()));
    }
    Ok(())
}

/// The checks of [`check_weights`] that hold for a part of the data (a partition may have
/// only zero weights): the right length, finite and non-negative. Returns the total weight
/// (`n` when unweighted), so the caller can check the whole.
pub fn check_weight_values(weights: Option<&[f64]>, n: usize) -> CoreResult<f64> {
    let Some(w) = weights else {
        return Ok(n as f64);
    };
    if w.len() != n {
        return Err(CoreError::ShapeMismatch {
            what: "sample_weight",
            expected: n,
            got: w.len(),
        });
    }
    let mut bad = 0usize;
    let mut total = 0.0;
    for &x in w {
        if !x.is_finite() || x < 0.0 {
            bad += 1;
        } else {
            total += x;
        }
    }
    if bad > 0 {
        return Err(CoreError::InvalidWeights(format!(
            "{bad} of {n} weights are negative or not finite"
        )));
    }
    Ok(total)
}

/// Reject empty input and NaN/infinity in `x`.
pub fn check_finite_nonempty(x: ArrayView2<'_, f64>) -> CoreResult<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(CoreError::EmptyInput(format!(
            "X has shape ({}, {}); at least one sample and one feature are required",
            x.nrows(),
            x.ncols()
        )));
    }
    let bad = x.iter().filter(|v| !v.is_finite()).count();
    if bad > 0 {
        return Err(CoreError::NonFinite(format!(
            "X has {bad} NaN or infinite value(s)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_words() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(8_000_000_000_000), "7.3 TiB");
        let e = CoreError::Allocation {
            what: "the bins".into(),
            bytes: 24 << 30,
        };
        assert_eq!(e.to_string(), "cannot allocate 24.0 GiB for the bins");
        assert_eq!(CoreError::Interrupted.to_string(), "interrupted");
    }

    #[test]
    fn weights_checked() {
        assert!(check_weights(None, 3).is_ok());
        assert!(check_weights(Some(&[1.0, 0.0, 2.0]), 3).is_ok());
        assert!(matches!(
            check_weights(Some(&[1.0]), 3),
            Err(CoreError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            check_weights(Some(&[1.0, -1.0, 0.0]), 3),
            Err(CoreError::InvalidWeights(_))
        ));
        assert!(matches!(
            check_weights(Some(&[0.0, 0.0]), 2),
            Err(CoreError::InvalidWeights(_))
        ));
    }
}
