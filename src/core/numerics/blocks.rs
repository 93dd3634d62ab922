//! The fixed row partition behind every deterministic parallel reduction.

use std::ops::Range;

use rayon::prelude::*;

/// Blocks reduced in parallel before they are merged (in order): bounds the memory held by
/// block results without touching the result, which depends on the partition only.
const IN_FLIGHT: usize = 64;

/// `n` rows cut into consecutive blocks of `rows_per_block` rows (the last one shorter).
///
/// The partition is a function of `n` (and the caller's constants) only, never of the
/// number of threads. Reducing each block on its own and merging the block results in
/// block order therefore gives bit-identical results on any pool size, which is how every
/// parallel reduction of the core stays reproducible. How large a block is is the
/// feature's choice (it changes the rounding of the result, so it is part of the
/// feature's numbers and stays fixed); how blocks are scheduled is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowBlocks {
    n: usize,
    rows: usize,
}

impl RowBlocks {
    /// Blocks of exactly `rows` rows (at least 1), the last one shorter.
    #[inline]
    pub fn fixed(n: usize, rows: usize) -> Self {
        RowBlocks {
            n,
            rows: rows.max(1),
        }
    }

    /// At most `max_blocks` blocks, each at least `min_rows` rows (fewer, larger blocks
    /// for small inputs).
    #[inline]
    pub fn bounded(n: usize, min_rows: usize, max_blocks: usize) -> Self {
        let by_count = n.div_ceil(max_blocks.max(1));
        Self::fixed(n, by_count.max(min_rows))
    }

    /// Number of rows partitioned.
    #[inline]
    pub fn n_rows(&self) -> usize {
        self.n
    }

    /// Rows per block (the last block may have fewer).
    #[inline]
    pub fn rows_per_block(&self) -> usize {
        self.rows
    }

    /// Number of blocks (0 for no rows).
    #[inline]
    pub fn len(&self) -> usize {
        self.n.div_ceil(self.rows)
    }

    /// True when there are no rows.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Rows of block `b`.
    #[inline]
    pub fn range(&self, b: usize) -> Range<usize> {
        let start = (b * self.rows).min(self.n);
        start..(start + self.rows).min(self.n)
    }

    /// `map(block index, rows)` of every block, run in parallel, returned in block order.
    pub fn map<A, M>(&self, map: M) -> Vec<A>
    where
        A: Send,
        M: Fn(usize, Range<usize>) -> A + Sync + Send,
    {
        (0..self.len())
            .into_par_iter()
            .map(|b| map(b, self.range(b)))
            .collect()
    }

    /// Ordered reduction: `map` every block (in parallel), then `merge` the block results
    /// into `init` strictly in block order. The result depends on the partition only.
    pub fn reduce<A, T, M, G>(&self, init: T, map: M, mut merge: G) -> T
    where
        A: Send,
        M: Fn(usize, Range<usize>) -> A + Sync + Send,
        G: FnMut(&mut T, A),
    {
        let out: Result<T, std::convert::Infallible> =
            self.try_reduce(init, |b, r| Ok(map(b, r)), |t, a| merge(t, a));
        match out {
            Ok(t) => t,
            Err(never) => match never {},
        }
    }

    /// [`Self::reduce`] with a fallible `map`: the first error in block order is returned.
    pub fn try_reduce<A, E, T, M, G>(&self, mut init: T, map: M, mut merge: G) -> Result<T, E>
    where
        A: Send,
        E: Send,
        M: Fn(usize, Range<usize>) -> Result<A, E> + Sync + Send,
        G: FnMut(&mut T, A),
    {
        let n_blocks = self.len();
        let mut first = 0;
        while first < n_blocks {
            let last = (first + IN_FLIGHT).min(n_blocks);
            let parts: Vec<Result<A, E>> = (first..last)
                .into_par_iter()
                .map(|b| map(b, self.range(b)))
                .collect();
            for part in parts {
                merge(&mut init, part?);
            }
            first = last;
        }
        Ok(init)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(f)
    }

    fn block_sum(values: &[f64], blocks: RowBlocks) -> f64 {
        blocks.reduce(
            0.0,
            |_, r| values[r].iter().sum::<f64>(),
            |t: &mut f64, a| *t += a,
        )
    }

    #[test]
    fn partitions_cover_the_rows_once() {
        for (n, rows) in [(0, 4), (1, 4), (10, 3), (12, 3), (100_000, 4096)] {
            let b = RowBlocks::fixed(n, rows);
            let covered: Vec<usize> = (0..b.len()).flat_map(|i| b.range(i)).collect();
            assert_eq!(covered, (0..n).collect::<Vec<_>>());
        }
        let b = RowBlocks::bounded(100_000, 2048, 32);
        assert_eq!((b.rows_per_block(), b.len()), (3125, 32));
        assert_eq!(RowBlocks::bounded(5000, 2048, 32).rows_per_block(), 2048);
        assert_eq!(RowBlocks::bounded(0, 2048, 32).len(), 0);
    }

    #[test]
    fn same_bits_on_one_and_two_threads() {
        // More blocks than IN_FLIGHT, values whose sum depends on the order.
        let values: Vec<f64> = (0..300_000i32)
            .map(|i| (f64::from(i) * 0.618).sin() * 10f64.powi(i % 17 - 8))
            .collect();
        let blocks = RowBlocks::fixed(values.len(), 1000);
        let one = on_threads(1, || block_sum(&values, blocks));
        let two = on_threads(2, || block_sum(&values, blocks));
        assert_eq!(one.to_bits(), two.to_bits());
        // The result is the sequential sum of the block sums in block order.
        let sequential = (0..blocks.len())
            .map(|b| values[blocks.range(b)].iter().sum::<f64>())
            .fold(0.0, |t, a| t + a);
        assert_eq!(one.to_bits(), sequential.to_bits());
    }

    #[test]
    fn map_keeps_block_order_and_errors_come_in_order() {
        let blocks = RowBlocks::fixed(1000, 7);
        let starts = on_threads(2, || blocks.map(|_, r| r.start));
        assert_eq!(starts, (0..1000).step_by(7).collect::<Vec<_>>());
        let err = blocks.try_reduce(
            0usize,
            |b, _| if b % 50 == 3 { Err(b) } else { Ok(1usize) },
            |t, a| *t += a,
        );
        assert_eq!(err, Err(3));
    }
}
