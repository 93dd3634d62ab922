//! Checked hyper-parameters, one mechanism for every algorithm (as linfa's `ParamGuard`).
//!
//! An algorithm's parameters are a plain struct with public fields (`KMeansParams`,
//! `DbscanParams`, ...): unchecked, built however the caller likes. [`Params::check`]
//! validates every range rule once and wraps the struct in [`Checked`], which derefs to it
//! read-only and cannot be built any other way; the algorithm takes `&Checked<...>`, so it
//! never sees a parameter out of range and never re-validates. A failed rule is a
//! [`CoreError::InvalidParameter`] naming the parameter. The small rule helpers below keep
//! the messages uniform.
//!
//! Shared (not in a feature folder) because every feature with parameters uses it.

use std::ops::Deref;

use crate::{CoreError, CoreResult};

/// Unchecked hyper-parameters of one algorithm.
pub trait Params: Sized {
    /// Check every rule on the parameters alone (data-dependent checks, such as
    /// `n_samples >= n_clusters`, stay with the algorithm).
    fn validate(&self) -> CoreResult<()>;

    /// Validate and wrap: the only way to make a [`Checked`].
    fn check(self) -> CoreResult<Checked<Self>> {
        self.validate()?;
        Ok(Checked(self))
    }

    /// [`Self::check`] of a copy, keeping `self`.
    fn check_ref(&self) -> CoreResult<Checked<Self>>
    where
        Self: Clone,
    {
        self.clone().check()
    }
}

/// Parameters that passed [`Params::check`]; read them through `Deref`.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<P>(P);

impl<P> Checked<P> {
    /// The parameters, unchecked again (to change a field and check anew).
    pub fn into_inner(self) -> P {
        self.0
    }
}

impl<P> Deref for Checked<P> {
    type Target = P;
    #[inline]
    fn deref(&self) -> &P {
        &self.0
    }
}

/// The error for parameter `name`.
pub fn invalid(name: &'static str, reason: impl Into<String>) -> CoreError {
    CoreError::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

/// `value >= min`, else "must be >= {min}, got {value}".
pub fn at_least(name: &'static str, value: usize, min: usize) -> CoreResult<()> {
    if value >= min {
        Ok(())
    } else {
        Err(invalid(name, format!("must be >= {min}, got {value}")))
    }
}

/// `value` finite and `>= 0`, else "must be finite and >= 0, got {value}".
pub fn finite_non_negative(name: &'static str, value: f64) -> CoreResult<()> {
    if value >= 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(invalid(
            name,
            format!("must be finite and >= 0, got {value}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Toy {
        k: usize,
        tol: f64,
    }

    impl Params for Toy {
        fn validate(&self) -> CoreResult<()> {
            at_least("k", self.k, 1)?;
            finite_non_negative("tol", self.tol)
        }
    }

    #[test]
    fn check_names_the_parameter() {
        let ok = Toy { k: 2, tol: 0.0 }.check().unwrap();
        assert_eq!(ok.k, 2);
        assert_eq!(ok.clone().into_inner(), Toy { k: 2, tol: 0.0 });
        match (Toy { k: 0, tol: 0.0 }).check() {
            Err(CoreError::InvalidParameter { name, reason }) => {
                assert_eq!(name, "k");
                assert_eq!(reason, "must be >= 1, got 0");
            }
            other => panic!("{other:?}"),
        }
        let e = Toy {
            k: 1,
            tol: f64::NAN,
        }
        .check_ref()
        .unwrap_err();
        assert!(matches!(e, CoreError::InvalidParameter { name: "tol", .. }));
    }
}
