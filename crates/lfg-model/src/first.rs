//! The first Linear layer on the host, applied to the non-zero input entries only.
//!
//! On the CPU backends the first layer (`n_items x hidden[0]` weights, most of the network)
//! is kept out of burn's autodiff graph: its output `z = x W + b` is computed here from the
//! sparse batch and enters the graph as a leaf; after `backward`, the gradient of `z` gives
//! `dW = x^T dz` (again over the non-zero entries only) and `db = sum_rows(dz)`, and
//! [`crate::adam::FusedAdam`] updates `W` and `b` in place. Same function as the dense layer
//! (sums in another order: rounding-level differences); every sum runs in a fixed order, so
//! the result does not depend on the number of threads.

use rayon::prelude::*;

use crate::weights::Dense;

/// Input rows of the weight gradient per parallel task of the backward pass.
const ROWS: usize = 256;

/// The first layer's parameters and gradient buffers.
pub(crate) struct HostFirstLayer {
    /// Weights and bias (`w` row-major `[d_in, d_out]`).
    pub layer: Dense,
    /// Gradient of `w`, reused across steps.
    pub grad_w: Vec<f32>,
    /// Gradient of `b`.
    pub grad_b: Vec<f32>,
}

/// The non-zero input entries of a batch (row-major order).
pub(crate) struct SparseRows<'a> {
    pub b: usize,
    pub rows: &'a [i64],
    pub cols: &'a [i64],
    pub vals: &'a [f32],
}

impl SparseRows<'_> {
    /// `[start, end)` of each row's entries (rows are sorted).
    fn row_ranges(&self) -> Vec<(usize, usize)> {
        let mut ranges = vec![(0, 0); self.b];
        let mut start = 0;
        while start < self.rows.len() {
            let r = self.rows[start];
            let mut end = start;
            while end < self.rows.len() && self.rows[end] == r {
                end += 1;
            }
            if let Some(slot) = usize::try_from(r).ok().and_then(|r| ranges.get_mut(r)) {
                *slot = (start, end);
            }
            start = end;
        }
        ranges
    }
}

impl HostFirstLayer {
    pub fn new(layer: Dense) -> Self {
        let (n_w, n_b) = (layer.w.len(), layer.b.len());
        Self {
            layer,
            grad_w: vec![0.0; n_w],
            grad_b: vec![0.0; n_b],
        }
    }

    /// `z = x W + b`, `[b, d_out]` row-major.
    pub fn forward(&self, x: &SparseRows<'_>) -> Vec<f32> {
        let h = self.layer.d_out;
        let w = &self.layer.w;
        let ranges = x.row_ranges();
        let mut z = vec![0f32; x.b * h];
        z.par_chunks_mut(h.max(1))
            .zip(ranges.par_iter())
            .for_each(|(zr, &(s, e))| {
                for k in s..e {
                    let c = x.cols[k] as usize;
                    let v = x.vals[k];
                    let wr = &w[c * h..(c + 1) * h];
                    for (o, &wv) in zr.iter_mut().zip(wr) {
                        *o += wv * v;
                    }
                }
                for (o, &bv) in zr.iter_mut().zip(&self.layer.b) {
                    *o += bv;
                }
            });
        z
    }

    /// Fills `grad_w = x^T dz` and `grad_b = sum_rows(dz)` from `dz` (`[b, d_out]`).
    pub fn backward(&mut self, x: &SparseRows<'_>, dz: &[f32]) {
        let h = self.layer.d_out.max(1);
        // Tasks own blocks of input rows of `grad_w`; each scans the entries in their (fixed)
        // order, so every element sums the same terms in the same order whatever the number of
        // threads.
        self.grad_w
            .par_chunks_mut(ROWS * h)
            .enumerate()
            .for_each(|(t, block)| {
                block.fill(0.0);
                let (c0, c1) = (t * ROWS, t * ROWS + block.len() / h);
                for k in 0..x.vals.len() {
                    let c = x.cols[k] as usize;
                    if c < c0 || c >= c1 {
                        continue;
                    }
                    let (r, v) = (x.rows[k] as usize, x.vals[k]);
                    let gr = &mut block[(c - c0) * h..(c - c0 + 1) * h];
                    for (g, &d) in gr.iter_mut().zip(&dz[r * h..(r + 1) * h]) {
                        *g += d * v;
                    }
                }
            });
        for (j, gb) in self.grad_b.iter_mut().enumerate() {
            *gb = (0..x.b).map(|r| dz[r * h + j]).sum();
        }
    }
}
