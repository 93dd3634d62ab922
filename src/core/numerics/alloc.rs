//! Fallible allocation of buffers whose size follows from user input.
//!
//! Rust aborts the whole process when an allocation fails. Every buffer whose length
//! depends on a parameter or on the data (per sample, per bin, per restart, per
//! replicate...) is therefore reserved here: the size is computed with checked arithmetic
//! and reserved with `try_reserve_exact`, so a size the machine cannot hold becomes
//! [`CoreError::Allocation`], naming the buffer and its size in bytes, never an abort.

use ndarray::Array2;

use crate::{CoreError, CoreResult};

/// The error for `count` elements of `elem_bytes` bytes each, named `what`.
pub fn allocation_error(what: &str, count: u128, elem_bytes: usize) -> CoreError {
    CoreError::Allocation {
        what: what.to_owned(),
        bytes: count.saturating_mul(elem_bytes as u128),
    }
}

/// The product of `dims` (a buffer's element count), or [`CoreError::Allocation`] for
/// `what` when it does not fit in `usize`.
pub fn checked_len<T>(dims: &[usize], what: &str) -> CoreResult<usize> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            let count = dims
                .iter()
                .fold(1u128, |acc, &d| acc.saturating_mul(d as u128));
            allocation_error(what, count, std::mem::size_of::<T>())
        })
}

/// `count + 1` (offsets of `count` groups, with their end), or [`CoreError::Allocation`]
/// for `what` when it does not fit in `usize`.
pub fn checked_plus_one<T>(count: usize, what: &str) -> CoreResult<usize> {
    count
        .checked_add(1)
        .ok_or_else(|| allocation_error(what, count as u128 + 1, std::mem::size_of::<T>()))
}

/// An empty vector with room for `count` elements, or [`CoreError::Allocation`].
pub fn try_with_capacity<T>(count: usize, what: &str) -> CoreResult<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(count)
        .map_err(|_| allocation_error(what, count as u128, std::mem::size_of::<T>()))?;
    Ok(v)
}

/// `count` copies of `value`, or [`CoreError::Allocation`].
pub fn try_filled<T: Clone>(count: usize, value: T, what: &str) -> CoreResult<Vec<T>> {
    let mut v = try_with_capacity(count, what)?;
    v.resize(count, value);
    Ok(v)
}

/// A buffer of the element count `dims` multiply to, filled with `value`: [`checked_len`]
/// then [`try_filled`].
pub fn try_filled_dims<T: Clone>(dims: &[usize], value: T, what: &str) -> CoreResult<Vec<T>> {
    try_filled(checked_len::<T>(dims, what)?, value, what)
}

/// A `(rows, cols)` array filled with `value`: [`try_filled_dims`] in standard layout.
pub fn try_array2<T: Clone>(
    (rows, cols): (usize, usize),
    value: T,
    what: &str,
) -> CoreResult<Array2<T>> {
    let data = try_filled_dims(&[rows, cols], value, what)?;
    Array2::from_shape_vec((rows, cols), data)
        .map_err(|e| CoreError::Internal(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_the_machine_cannot_hold_are_errors() {
        let v = try_filled(4, 0u8, "counts").unwrap();
        assert_eq!(v, vec![0u8; 4]);
        assert_eq!(try_filled_dims(&[2, 3], 1.5f64, "table").unwrap().len(), 6);
        // More bytes than any address space: an error naming the buffer and its size.
        match try_filled(usize::MAX / 2, 0u64, "neighbour counts") {
            Err(CoreError::Allocation { what, bytes }) => {
                assert_eq!(what, "neighbour counts");
                assert_eq!(bytes, (usize::MAX / 2) as u128 * 8);
            }
            other => panic!("{other:?}"),
        }
        // A product that overflows usize is reported with its true size.
        match checked_len::<f64>(&[1 << 40, 1 << 40], "bins") {
            Err(CoreError::Allocation { bytes, .. }) => assert_eq!(bytes, 8u128 << 80),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            try_array2((2, 3), 0.5f64, "a").unwrap(),
            Array2::from_elem((2, 3), 0.5)
        );
        assert!(matches!(
            try_array2((1 << 40, 1 << 40), 0.0f64, "a"),
            Err(CoreError::Allocation { .. })
        ));
        assert_eq!(checked_plus_one::<u8>(3, "o").unwrap(), 4);
        match checked_plus_one::<u64>(usize::MAX, "offsets") {
            Err(CoreError::Allocation { bytes, .. }) => {
                assert_eq!(bytes, (usize::MAX as u128 + 1) * 8)
            }
            other => panic!("{other:?}"),
        }
        let err = try_with_capacity::<f64>(usize::MAX / 8, "x").unwrap_err();
        assert!(err.to_string().contains("x"), "{err}");
    }
}
