//! Cooperative interruption: the one way long core work stops early.
//!
//! The caller creates an [`Interrupt`], hands a reference to the work, and calls
//! [`Interrupt::request`] from another thread when the work should stop (the Python
//! bindings do so when Ctrl-C arrives). Long loops call [`Interrupt::check`] at points
//! where stopping is cheap (once per iteration, per block of rows, per restart, per
//! replicate), often enough that at most about 0.1 s of work passes between two checks;
//! a requested stop then surfaces as [`CoreError::Interrupted`] and no partial result.
//!
//! A check is one relaxed atomic load, so it costs nothing next to the work it guards.
//! Work that finishes without checking simply returns its result: the caller decides
//! what a stop requested meanwhile means (the bindings raise `KeyboardInterrupt`).
//!
//! Shared (not in a feature folder) because every long kernel takes one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::{CoreError, CoreResult};

/// A stop request shared between the caller and the work (clones share the request).
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    requested: Arc<AtomicBool>,
}

impl Interrupt {
    /// A fresh token, not requested. Rust callers that never stop work early pass
    /// `&Interrupt::new()`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the work to stop at its next check (from any thread).
    pub fn request(&self) {
        self.requested.store(true, Ordering::Relaxed);
    }

    /// Whether a stop was requested.
    #[inline]
    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::Relaxed)
    }

    /// `Err(CoreError::Interrupted)` once a stop was requested, else `Ok(())`.
    #[inline]
    pub fn check(&self) -> CoreResult<()> {
        if self.is_requested() {
            Err(CoreError::Interrupted)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reaches_every_clone() {
        let stop = Interrupt::new();
        let seen_by_work = stop.clone();
        assert!(seen_by_work.check().is_ok());
        stop.request();
        assert!(seen_by_work.is_requested());
        assert_eq!(seen_by_work.check(), Err(CoreError::Interrupted));
        // Another token is independent.
        assert!(Interrupt::new().check().is_ok());
    }

    #[test]
    fn a_request_from_another_thread_stops_a_loop() {
        let stop = Interrupt::new();
        let out = std::thread::scope(|s| {
            let worker = s.spawn(|| -> CoreResult<()> {
                loop {
                    stop.check()?;
                    std::hint::spin_loop();
                }
            });
            stop.request();
            worker.join().unwrap()
        });
        assert_eq!(out, Err(CoreError::Interrupted));
    }
}
