//! Plain-Rust copy of the network's parameters and the inference path built on it.
//!
//! Training runs in burn; inference (validation, the user table, new users, ranking) runs on
//! this copy: the first layer is applied sparsely (only the revealed ratings and non-zero
//! features contribute), BatchNorm uses its running statistics, and each user's output depends
//! on that user alone, never on the rest of a batch.

use lfg_core::Rng;

/// One dense layer, `y = x W + b` with `W` row-major `[d_in, d_out]` (burn's layout).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Dense {
    pub d_in: usize,
    pub d_out: usize,
    pub w: Vec<f32>,
    pub b: Vec<f32>,
}

impl Dense {
    /// PyTorch/burn default init: `U(-1/sqrt(d_in), 1/sqrt(d_in))` for weights and bias.
    fn init(d_in: usize, d_out: usize, rng: &mut Rng) -> Self {
        let bound = 1.0 / (d_in as f64).sqrt();
        let mut u = || rng.uniform(-bound, bound) as f32;
        let w = (0..d_in * d_out).map(|_| u()).collect();
        let b = (0..d_out).map(|_| u()).collect();
        Self { d_in, d_out, w, b }
    }

    /// `out = b + x W` for a dense `x`.
    fn apply(&self, x: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(&self.b);
        for (j, &xj) in x.iter().enumerate() {
            if xj != 0.0 {
                axpy(xj, &self.w[j * self.d_out..(j + 1) * self.d_out], out);
            }
        }
    }
}

/// BatchNorm parameters and running statistics.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Norm {
    pub gamma: Vec<f32>,
    pub beta: Vec<f32>,
    pub mean: Vec<f32>,
    pub var: Vec<f32>,
    pub eps: f64,
}

impl Norm {
    fn new(n: usize, eps: f64) -> Self {
        Self {
            gamma: vec![1.0; n],
            beta: vec![0.0; n],
            mean: vec![0.0; n],
            var: vec![1.0; n],
            eps,
        }
    }
}

/// Every trained quantity of an LFG model, in plain vectors.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NetWeights {
    /// Generator layers: `layers[0]` is followed by BatchNorm, the last one by Tanh.
    pub layers: Vec<Dense>,
    pub norm: Norm,
    /// Item factors `M`, row-major `[k, n_items]`.
    pub items: Vec<f32>,
    /// Item biases `bi_T`.
    pub item_bias: Vec<f32>,
    pub k: usize,
    pub n_items: usize,
    pub feature_width: usize,
    pub slope: f32,
}

#[inline]
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

#[inline]
pub(crate) fn leaky(x: f32, slope: f32) -> f32 {
    if x >= 0.0 { x } else { x * slope }
}

/// Where the initial item factors come from.
pub(crate) enum ItemStart<'a> {
    /// Row-major `n_items x k` upstream factors (transposed into `M`).
    Factors(&'a [f32]),
    /// `N(0, std^2)`.
    Random(f64),
}

/// Scratch space for [`NetWeights::generate_into`].
#[derive(Default)]
pub(crate) struct Scratch {
    a: Vec<f32>,
    b: Vec<f32>,
}

impl NetWeights {
    #[allow(clippy::too_many_arguments)]
    pub fn init(
        feature_width: usize,
        n_items: usize,
        hidden: &[usize],
        k: usize,
        slope: f64,
        bn_eps: f64,
        start: ItemStart<'_>,
        rng: &mut Rng,
    ) -> Self {
        let mut dims = vec![feature_width + n_items];
        dims.extend_from_slice(hidden);
        dims.push(k + 1);
        let layers = dims
            .windows(2)
            .map(|w| Dense::init(w[0], w[1], rng))
            .collect();
        let mut items = vec![0f32; k * n_items];
        match start {
            ItemStart::Factors(f) => {
                for i in 0..n_items {
                    for f_ in 0..k {
                        items[f_ * n_items + i] = f[i * k + f_];
                    }
                }
            }
            ItemStart::Random(std) => {
                for x in &mut items {
                    *x = rng.normal_with(0.0, std) as f32;
                }
            }
        }
        Self {
            layers,
            norm: Norm::new(hidden[0], bn_eps),
            items,
            item_bias: vec![0.0; n_items],
            k,
            n_items,
            feature_width,
            slope: slope as f32,
        }
    }

    /// Zero weights of the right shapes (a template to load a record into).
    pub fn shaped(
        feature_width: usize,
        n_items: usize,
        hidden: &[usize],
        k: usize,
        slope: f64,
        bn_eps: f64,
    ) -> Self {
        let mut dims = vec![feature_width + n_items];
        dims.extend_from_slice(hidden);
        dims.push(k + 1);
        let layers = dims
            .windows(2)
            .map(|w| Dense {
                d_in: w[0],
                d_out: w[1],
                w: vec![0.0; w[0] * w[1]],
                b: vec![0.0; w[1]],
            })
            .collect();
        Self {
            layers,
            norm: Norm::new(hidden[0], bn_eps),
            items: vec![0.0; k * n_items],
            item_bias: vec![0.0; n_items],
            k,
            n_items,
            feature_width,
            slope: slope as f32,
        }
    }

    /// Input width `feature_width + n_items`.
    #[cfg(test)]
    pub fn d_in(&self) -> usize {
        self.feature_width + self.n_items
    }

    /// Hidden widths.
    #[cfg(test)]
    pub fn hidden(&self) -> Vec<usize> {
        self.layers[..self.layers.len() - 1]
            .iter()
            .map(|l| l.d_out)
            .collect()
    }

    /// Generator output (`k` factors then the bias) for one input row given sparsely:
    /// `features` (length `feature_width`) and `(item, rating)` pairs with distinct, in-range
    /// items. Writes `k + 1` values into `out`.
    pub fn generate_into(
        &self,
        features: &[f32],
        ratings: &[(u32, f32)],
        scratch: &mut Scratch,
        out: &mut Vec<f32>,
    ) {
        let first = &self.layers[0];
        let h = &mut scratch.a;
        h.clear();
        h.extend_from_slice(&first.b);
        for (j, &x) in features.iter().enumerate() {
            if x != 0.0 {
                axpy(x, &first.w[j * first.d_out..(j + 1) * first.d_out], h);
            }
        }
        for &(i, r) in ratings {
            let j = self.feature_width + i as usize;
            if r != 0.0 {
                axpy(r, &first.w[j * first.d_out..(j + 1) * first.d_out], h);
            }
        }
        let n = &self.norm;
        for (c, x) in h.iter_mut().enumerate() {
            let a = leaky(*x, self.slope);
            // Same expression order as burn's batch_norm inference.
            let std = (n.var[c] + n.eps as f32).sqrt();
            *x = (a - n.mean[c]) / std * n.gamma[c] + n.beta[c];
        }
        let last = self.layers.len() - 1;
        for (li, layer) in self.layers.iter().enumerate().skip(1) {
            let (src, dst) = (&scratch.a, &mut scratch.b);
            layer.apply(src, dst);
            if li == last {
                for x in dst.iter_mut() {
                    *x = x.tanh();
                }
            } else {
                for x in dst.iter_mut() {
                    *x = leaky(*x, self.slope);
                }
            }
            std::mem::swap(&mut scratch.a, &mut scratch.b);
        }
        out.clear();
        out.extend_from_slice(&scratch.a);
    }

    /// `U . M[:, i] + bu + bi[i]` (without `mu`).
    #[inline]
    pub fn score(&self, user: &[f32], item: usize) -> f32 {
        let n = self.n_items;
        let mut s = user[self.k] + self.item_bias[item];
        for (f, &u) in user[..self.k].iter().enumerate() {
            s += u * self.items[f * n + item];
        }
        s
    }

    /// Scores of every item (without `mu`) into `out`.
    pub fn score_all(&self, user: &[f32], out: &mut Vec<f32>) {
        let n = self.n_items;
        out.clear();
        out.extend_from_slice(&self.item_bias);
        let bu = user[self.k];
        for x in out.iter_mut() {
            *x += bu;
        }
        for (f, &u) in user[..self.k].iter().enumerate() {
            axpy(u, &self.items[f * n..(f + 1) * n], out);
        }
    }
}
