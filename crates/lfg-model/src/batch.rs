//! Dense mini-batches built on the CPU from the sparse training rows.

use lfg_core::{FeatureMatrix, Rng, UserIndex};

use crate::config::{LossMode, MuMode};

/// One mini-batch in dense row-major form.
#[derive(Clone, Debug)]
pub(crate) struct Batch {
    /// Number of users.
    pub b: usize,
    /// Input `I = [E, H_masked]`, `[b, feature_width + n_items]`.
    pub input: Vec<f32>,
    /// The non-zero entries of `input` as (row, column, value), row-major order.
    pub rows: Vec<i64>,
    /// Columns of the non-zero input entries.
    pub cols: Vec<i64>,
    /// Values of the non-zero input entries.
    pub vals: Vec<f32>,
    /// Targets `H` (0 where missing), `[b, n_items]`.
    pub target: Vec<f32>,
    /// 1 where the loss counts, else 0, `[b, n_items]`.
    pub mask: Vec<f32>,
    /// Number of positions the loss counts.
    pub count: usize,
    /// Observed entries that were masked out of the input.
    pub masked: usize,
    /// Observed entries in the batch.
    pub observed: usize,
    /// Per-user `mu` (mean of the unmasked input ratings, or the global mean).
    pub mu_user: Vec<f32>,
}

/// Settings of batch construction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchSpec {
    pub n_items: usize,
    pub mask_rate: f64,
    /// Upper end of a per-user mask rate drawn in `[mask_rate, max)`; None: fixed rate.
    pub mask_rate_max: Option<f64>,
    pub loss: LossMode,
    pub mu: MuMode,
    pub mu_global: f32,
}

/// Builds the batch of `users`; `rng` drives the masking (None: no masking, evaluation).
pub(crate) fn build_batch(
    users: &[u32],
    idx: &UserIndex,
    features: &FeatureMatrix,
    spec: &BatchSpec,
    mut rng: Option<&mut Rng>,
) -> Batch {
    let b = users.len();
    let w = features.width;
    let n = spec.n_items;
    let d_in = w + n;
    let mut input = vec![0f32; b * d_in];
    let mut target = vec![0f32; b * n];
    let mut mask = vec![0f32; b * n];
    let mut mu_user = Vec::with_capacity(b);
    let (mut rows, mut cols, mut vals) = (Vec::new(), Vec::new(), Vec::new());
    let (mut count, mut masked, mut observed) = (0, 0, 0);
    for (r, &u) in users.iter().enumerate() {
        let u = u as usize;
        if w > 0 {
            input[r * d_in..r * d_in + w].copy_from_slice(features.row(u));
        }
        let (items, ratings) = idx.row(u);
        let (mut sum, mut seen) = (0f64, 0usize);
        // Without `mask_rate_max` no extra draw is made, so fixed-rate runs keep their stream.
        let rate = match (rng.as_deref_mut(), spec.mask_rate_max) {
            (Some(g), Some(hi)) => g.uniform(spec.mask_rate, hi),
            _ => spec.mask_rate,
        };
        for (&i, &y) in items.iter().zip(ratings) {
            let i = i as usize;
            let hidden = match rng.as_deref_mut() {
                Some(g) if rate > 0.0 => g.bernoulli(rate),
                _ => false,
            };
            observed += 1;
            // A repeated (user, item) pair: the last occurrence wins, as in `sanitize`.
            let slot = r * n + i;
            if mask[slot] != 0.0 {
                mask[slot] = 0.0;
                count -= 1;
            }
            if hidden {
                masked += 1;
                input[r * d_in + w + i] = 0.0;
            } else {
                input[r * d_in + w + i] = y;
                sum += f64::from(y);
                seen += 1;
            }
            target[r * n + i] = y;
            let counts = match spec.loss {
                LossMode::Observed => true,
                LossMode::Masked => hidden,
            };
            if counts {
                mask[r * n + i] = 1.0;
                count += 1;
            }
        }
        for (c, &x) in input[r * d_in..(r + 1) * d_in].iter().enumerate() {
            if x != 0.0 {
                rows.push(r as i64);
                cols.push(c as i64);
                vals.push(x);
            }
        }
        mu_user.push(match spec.mu {
            MuMode::UserInput if seen > 0 => (sum / seen as f64) as f32,
            _ => spec.mu_global,
        });
    }
    Batch {
        b,
        input,
        rows,
        cols,
        vals,
        target,
        mask,
        count,
        masked,
        observed,
        mu_user,
    }
}

/// Scaled keep masks for dropout after each hidden layer (`None` when `p == 0`).
pub(crate) fn dropout_masks(
    b: usize,
    hidden: &[usize],
    p: f64,
    rng: &mut Rng,
) -> Vec<Option<Vec<f32>>> {
    hidden
        .iter()
        .map(|&h| {
            (p > 0.0).then(|| {
                let keep = (1.0 / (1.0 - p)) as f32;
                (0..b * h)
                    .map(|_| if rng.bernoulli(p) { 0.0 } else { keep })
                    .collect()
            })
        })
        .collect()
}
