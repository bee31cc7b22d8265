//! Factor rows laid out for the SGD kernels.
//!
//! Each row holds its `k` factors, zeros up to a whole number of eight-lane chunks
//! ([`lanes_for`]), more zeros, and its bias in the last lane of the row stride, a multiple
//! of 16 floats (64 bytes). The kernels run on the whole chunks: a zero lane adds `0 * 0` to
//! the dot product, which is what [`crate::lanes::dot8`] pads a partial chunk with anyway,
//! and an update keeps it zero, so the bits are those of the `k` factors alone, without the
//! cost of padding a partial chunk on every step. The first row starts on a 64-byte boundary, so
//! every row does: a 16-lane load or store never splits across two cache lines, and a row's
//! bias shares the row's cache lines (one bounds check, no separate bias array). The stride
//! changes only where the numbers live, never which operations run on them.

/// Floats per cache line.
const LINE: usize = 16;

/// The factor lanes the kernels run on for `k` factors: `k` rounded up to whole eight-lane
/// chunks (the lanes from `k` on are zero).
pub(crate) const fn lanes_for(k: usize) -> usize {
    k.next_multiple_of(8)
}

/// The row stride for `k` factors: the factor lanes and the bias rounded up to a whole
/// number of cache lines.
pub(crate) const fn stride_for(k: usize) -> usize {
    (lanes_for(k) + 1).next_multiple_of(LINE)
}

/// The factor lanes ([`lanes_for`]`(k)`) and the bias (the last lane) of a row of a
/// [`Rows`].
#[inline(always)]
pub(crate) fn parts(row: &mut [f32], k: usize) -> (&mut [f32], &mut f32) {
    let (b, f) = row.split_last_mut().expect("a row has a bias lane");
    (&mut f[..lanes_for(k)], b)
}

/// `n` rows of `k` factors and a bias (see the module documentation).
pub(crate) struct Rows {
    buf: Vec<f32>,
    /// Index of the first row in `buf` (chosen for 64-byte alignment).
    off: usize,
    n: usize,
    k: usize,
    stride: usize,
}

impl Rows {
    /// Rows from `factors` (row-major `n x k`), biases 0.
    pub(crate) fn new(factors: &[f32], n: usize, k: usize) -> Self {
        assert_eq!(factors.len(), n * k, "factors must be n x k");
        let stride = stride_for(k);
        let mut buf = vec![0f32; n * stride + LINE];
        // `align_offset` counts in f32; a 4-byte aligned pointer always reaches 64 within 15.
        let off = match buf.as_ptr().align_offset(4 * LINE) {
            o if o < LINE => o,
            _ => 0,
        };
        if k > 0 {
            for (row, f) in buf[off..off + n * stride]
                .chunks_exact_mut(stride)
                .zip(factors.chunks_exact(k))
            {
                row[..k].copy_from_slice(f);
            }
        }
        Self {
            buf,
            off,
            n,
            k,
            stride,
        }
    }

    /// The row stride in floats.
    #[cfg(test)]
    pub(crate) fn stride(&self) -> usize {
        self.stride
    }

    fn data(&self) -> &[f32] {
        &self.buf[self.off..self.off + self.n * self.stride]
    }

    /// The rows as arrays of the stride `S` (which must be [`stride_for`]`(k)`).
    #[inline]
    pub(crate) fn lines_mut<const S: usize>(&mut self) -> &mut [[f32; S]] {
        assert_eq!(S, self.stride, "row stride");
        let (rows, _) = self.buf[self.off..self.off + self.n * self.stride].as_chunks_mut::<S>();
        rows
    }

    /// Row `r`: its factor lanes (see [`parts`]) and its bias.
    #[inline(always)]
    pub(crate) fn row_mut(&mut self, r: usize) -> (&mut [f32], &mut f32) {
        let s = self.stride;
        parts(
            &mut self.buf[self.off + r * s..self.off + (r + 1) * s],
            self.k,
        )
    }

    /// Sets the bias of row `r`.
    #[cfg(test)]
    pub(crate) fn set_bias(&mut self, r: usize, b: f32) {
        *self.row_mut(r).1 = b;
    }

    /// The factors, row-major `n x k`.
    pub(crate) fn factors(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.n * self.k);
        for row in self.data().chunks_exact(self.stride) {
            out.extend_from_slice(&row[..self.k]);
        }
        out
    }

    /// The biases, one per row.
    pub(crate) fn biases(&self) -> Vec<f32> {
        self.data()
            .chunks_exact(self.stride)
            .map(|row| row[self.stride - 1])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_aligned_padded_and_round_trip() {
        for (n, k) in [
            (0usize, 5usize),
            (1, 1),
            (3, 2),
            (7, 15),
            (6, 8),
            (5, 16),
            (4, 50),
            (2, 100),
        ] {
            let f: Vec<f32> = (0..n * k).map(|x| x as f32 * 0.5 - 3.0).collect();
            let mut r = Rows::new(&f, n, k);
            assert_eq!(r.stride() % LINE, 0);
            assert!(r.stride() > k, "room for the bias");
            assert_eq!(r.factors(), f, "n {n} k {k}");
            assert_eq!(r.biases(), vec![0.0; n]);
            if n > 0 {
                r.set_bias(n - 1, 2.5);
                assert_eq!(r.biases()[n - 1], 2.5);
                assert_eq!(r.factors(), f, "the bias lane is not a factor");
                let (lanes, _) = r.row_mut(n - 1);
                assert_eq!(lanes.len(), k.next_multiple_of(8));
                assert!(lanes[k..].iter().all(|&x| x == 0.0), "zero padding");
                let first = r.row_mut(0).0.as_ptr();
                assert_eq!(first.align_offset(64), 0, "64-byte aligned rows");
            }
        }
        assert_eq!(stride_for(20), 32);
        assert_eq!(stride_for(50), 64);
        assert_eq!(stride_for(100), 112);
        assert_eq!(stride_for(15), 32, "16 factor lanes and the bias");
        assert_eq!(stride_for(8), 16);
        assert_eq!(stride_for(16), 32);
        assert_eq!(stride_for(63), 80, "64 factor lanes and the bias");
    }
}
