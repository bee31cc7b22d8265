//! Helpers shared by the models: parameter checks, input validation, vector kernels,
//! initialisation and the per-epoch shuffle.

use lfg_core::{Rng, Triplets, derive_seed};
use serde::{Deserialize, Serialize};

use crate::BaselineError;
use crate::lanes::{Portable, dot8};

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

/// The dot product every model uses, in training and prediction alike: [`dot8`] on the
/// portable backend (the same bits as the AVX2 kernels, see [`crate::lanes`]).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot8(Portable, a, b)
}

/// `n` values drawn from `N(mean, std)` (f64 draws rounded to f32).
pub(crate) fn normal_vec(rng: &mut Rng, n: usize, mean: f32, std: f32) -> Vec<f32> {
    if std == 0.0 {
        return vec![mean; n];
    }
    let mut out = vec![0f32; n];
    rng.fill_normal_f32(&mut out, f64::from(mean), f64::from(std));
    out
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
    let mut rng = epoch_rng(seed, epoch);
    shuffle(&mut rng, order);
    rng
}

/// The stream of `epoch` (from 1) of a fit with `seed`.
pub(crate) fn epoch_rng(seed: u64, epoch: usize) -> Rng {
    Rng::new(derive_seed(seed, &[epoch as u64]))
}

/// Exactly [`Rng::shuffle`] (the same swaps from the same draws), faster: Lemire's
/// rejection threshold `2^64 mod n` is computed only in the rare case that can reject
/// (`low < n`), instead of one 64-bit division per element.
pub(crate) fn shuffle<T>(rng: &mut Rng, xs: &mut [T]) {
    for i in (1..xs.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        xs.swap(i, j);
    }
}

/// Exactly [`Rng::below`] for `n > 0` (same result, same draws consumed).
#[inline(always)]
fn below(rng: &mut Rng, n: u64) -> u64 {
    let mut m = u128::from(rng.next_u64()) * u128::from(n);
    if (m as u64) < n {
        let t = n.wrapping_neg() % n;
        while (m as u64) < t {
            m = u128::from(rng.next_u64()) * u128::from(n);
        }
    }
    (m >> 64) as u64
}

/// Test data: `n` ratings of `n_users x n_items` (MovieLens scale) from the stream `seed`,
/// each row drawing its user, then its item, then `rating(row, rng)`.
#[cfg(test)]
pub(crate) fn random_triplets(
    seed: u64,
    (n_users, n_items): (u32, u32),
    n: usize,
    mut rating: impl FnMut(usize, &mut Rng) -> f32,
) -> Triplets {
    let mut rng = Rng::new(seed);
    let mut t = Triplets::with_capacity(n_users, n_items, lfg_core::RatingScale::MOVIELENS, n);
    for row in 0..n {
        let u = rng.below(u64::from(n_users)) as u32;
        let i = rng.below(u64::from(n_items)) as u32;
        let r = rating(row, &mut rng);
        t.push(u, i, r);
    }
    t
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
    fn shuffle_equals_rng_shuffle_draw_for_draw() {
        for (seed, n) in [
            (1u64, 0usize),
            (2, 1),
            (3, 2),
            (4, 17),
            (5, 1000),
            (6, 100_003),
        ] {
            let mut a = Rng::new(seed);
            let mut b = Rng::new(seed);
            let mut xa: Vec<u32> = (0..n as u32).collect();
            let mut xb = xa.clone();
            a.shuffle(&mut xa);
            shuffle(&mut b, &mut xb);
            assert_eq!(xa, xb, "n = {n}");
            assert_eq!(a.next_u64(), b.next_u64(), "n = {n}: streams diverged");
        }
        // Large n makes rejections (low < 2^64 mod n) likely enough to be exercised.
        let n = (1u64 << 63) + 12345;
        let mut a = Rng::new(9);
        let mut b = Rng::new(9);
        for _ in 0..10_000 {
            assert_eq!(a.below(n), below(&mut b, n));
        }
        assert_eq!(a.next_u64(), b.next_u64());
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
