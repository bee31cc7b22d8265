//! Helpers shared by the models: parameter checks, input validation, vector kernels,
//! initialisation and the per-epoch shuffle.

use lfg_core::{Rng, Triplets, derive_seed};
use serde::{Deserialize, Serialize};

use crate::BaselineError;

/// Seed path of the factor initialisation stream (epochs use `[epoch]`, from 1).
pub(crate) const INIT_STREAM: u64 = u64::MAX;
/// Seed path of the truncated SVD's random test matrix.
pub(crate) const SKETCH_STREAM: u64 = u64::MAX - 1;

/// Largest number of latent factors accepted (a guard against typos such as `5000`).
pub(crate) const MAX_FACTORS: usize = 4096;

pub(crate) fn check_factors(model: &'static str, k: usize) -> Result<(), BaselineError> {
    if k == 0 || k > MAX_FACTORS {
        return Err(BaselineError::param(
            model,
            "factors",
            k,
            "must be in 1..=4096",
        ));
    }
    Ok(())
}

pub(crate) fn check_epochs(model: &'static str, epochs: usize) -> Result<(), BaselineError> {
    if epochs == 0 || epochs > 100_000 {
        return Err(BaselineError::param(
            model,
            "epochs",
            epochs,
            "must be in 1..=100000",
        ));
    }
    Ok(())
}

/// A learning rate: finite, in (0, 1].
pub(crate) fn check_lr(
    model: &'static str,
    param: &'static str,
    v: f32,
) -> Result<(), BaselineError> {
    if !(v.is_finite() && v > 0.0 && v <= 1.0) {
        return Err(BaselineError::param(
            model,
            param,
            v,
            "must be finite and in (0, 1]",
        ));
    }
    Ok(())
}

/// A regularisation weight or standard deviation: finite, >= 0.
pub(crate) fn check_nonneg(
    model: &'static str,
    param: &'static str,
    v: f32,
) -> Result<(), BaselineError> {
    if !(v.is_finite() && v >= 0.0) {
        return Err(BaselineError::param(
            model,
            param,
            v,
            "must be finite and >= 0",
        ));
    }
    Ok(())
}

pub(crate) fn check_finite(
    model: &'static str,
    param: &'static str,
    v: f32,
) -> Result<(), BaselineError> {
    if !v.is_finite() {
        return Err(BaselineError::param(model, param, v, "must be finite"));
    }
    Ok(())
}

/// Validates training triplets before any work: consistent lengths, at least one rating,
/// indices inside the index space, finite ratings, a sane scale.
pub(crate) fn check_train(model: &'static str, t: &Triplets) -> Result<(), BaselineError> {
    let bad = |detail: String| BaselineError::InvalidData { model, detail };
    if t.user.len() != t.rating.len() || t.item.len() != t.rating.len() {
        return Err(bad(format!(
            "column lengths differ: user {}, item {}, rating {}",
            t.user.len(),
            t.item.len(),
            t.rating.len()
        )));
    }
    if t.rating.is_empty() {
        return Err(bad("no rating to fit on".into()));
    }
    if !(t.scale.min.is_finite() && t.scale.max.is_finite() && t.scale.min <= t.scale.max) {
        return Err(bad(format!(
            "rating scale [{}, {}] is not a finite interval",
            t.scale.min, t.scale.max
        )));
    }
    for (row, ((&u, &i), &r)) in t.user.iter().zip(&t.item).zip(&t.rating).enumerate() {
        if u >= t.n_users {
            return Err(bad(format!("row {row}: user {u} >= n_users {}", t.n_users)));
        }
        if i >= t.n_items {
            return Err(bad(format!("row {row}: item {i} >= n_items {}", t.n_items)));
        }
        if !r.is_finite() {
            return Err(bad(format!("row {row}: rating {r} is not finite")));
        }
    }
    Ok(())
}

/// Which users and items have at least one training rating.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    /// `users[u]`: user `u` has a training rating.
    pub users: Vec<bool>,
    /// `items[i]`: item `i` has a training rating.
    pub items: Vec<bool>,
}

impl Seen {
    pub(crate) fn from_train(t: &Triplets) -> Self {
        let mut users = vec![false; t.n_users as usize];
        let mut items = vec![false; t.n_items as usize];
        for (&u, &i) in t.user.iter().zip(&t.item) {
            users[u as usize] = true;
            items[i as usize] = true;
        }
        Self { users, items }
    }

    #[inline]
    pub(crate) fn user(&self, u: u32) -> bool {
        self.users.get(u as usize).copied().unwrap_or(false)
    }

    #[inline]
    pub(crate) fn item(&self, i: u32) -> bool {
        self.items.get(i as usize).copied().unwrap_or(false)
    }
}

/// Dot product with eight fixed partial sums: vectorises, and its rounding depends only on
/// the length (never on threads, optimisation level or instruction set).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ca, ra) = a[..n].as_chunks::<8>();
    let (cb, rb) = b[..n].as_chunks::<8>();
    let mut acc = [0f32; 8];
    for (x, y) in ca.iter().zip(cb) {
        acc = fma8(acc, x, y);
    }
    finish_dot(acc, ra, rb)
}

/// Horizontal sum of the eight lanes (halves, then quarters, then pairs), then the tail.
#[inline(always)]
pub(crate) fn finish_dot(acc: [f32; 8], ra: &[f32], rb: &[f32]) -> f32 {
    let h = [
        acc[0] + acc[4],
        acc[1] + acc[5],
        acc[2] + acc[6],
        acc[3] + acc[7],
    ];
    let mut s = (h[0] + h[2]) + (h[1] + h[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// `acc + x * y` lane by lane (two roundings per lane, never fused), written out so that
/// it becomes one vector multiply and one vector add.
#[inline(always)]
fn fma8(acc: [f32; 8], x: &[f32; 8], y: &[f32; 8]) -> [f32; 8] {
    [
        acc[0] + x[0] * y[0],
        acc[1] + x[1] * y[1],
        acc[2] + x[2] * y[2],
        acc[3] + x[3] * y[3],
        acc[4] + x[4] * y[4],
        acc[5] + x[5] * y[5],
        acc[6] + x[6] * y[6],
        acc[7] + x[7] * y[7],
    ]
}

/// `n` values drawn from `N(mean, std)` (f64 draws rounded to f32).
pub(crate) fn normal_vec(rng: &mut Rng, n: usize, mean: f32, std: f32) -> Vec<f32> {
    if std == 0.0 {
        return vec![mean; n];
    }
    (0..n)
        .map(|_| rng.normal_with(f64::from(mean), f64::from(std)) as f32)
        .collect()
}

/// The initialisation stream of a fit.
pub(crate) fn init_rng(seed: u64) -> Rng {
    Rng::new(derive_seed(seed, &[INIT_STREAM]))
}

/// Resets `order` to `0..n` and shuffles it with the stream of `epoch` (from 1): each
/// epoch's order depends only on `(seed, epoch)`.
pub(crate) fn epoch_order(order: &mut Vec<u32>, n: usize, seed: u64, epoch: usize) -> Rng {
    order.clear();
    order.extend(0..n as u32);
    let mut rng = Rng::new(derive_seed(seed, &[epoch as u64]));
    rng.shuffle(order);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_naive_sum_within_rounding() {
        for n in [0usize, 1, 7, 8, 9, 50, 64, 100] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let naive: f64 = a
                .iter()
                .zip(&b)
                .map(|(&x, &y)| f64::from(x) * f64::from(y))
                .sum();
            assert!((f64::from(dot(&a, &b)) - naive).abs() < 1e-5, "n = {n}");
        }
    }

    #[test]
    fn check_train_names_the_bad_row() {
        let mut t = Triplets::with_capacity(2, 2, lfg_core::RatingScale::MOVIELENS, 2);
        t.push(0, 0, 3.0);
        t.push(0, 2, 3.0);
        let e = check_train("svd", &t).unwrap_err().to_string();
        assert!(e.contains("row 1") && e.contains("item 2"), "{e}");
        let mut t = Triplets::with_capacity(2, 2, lfg_core::RatingScale::MOVIELENS, 1);
        t.push(1, 0, f32::NAN);
        let e = check_train("svd", &t).unwrap_err().to_string();
        assert!(e.contains("row 0") && e.contains("not finite"), "{e}");
        let t = Triplets::with_capacity(2, 2, lfg_core::RatingScale::MOVIELENS, 0);
        assert!(check_train("svd", &t).is_err());
    }
}
