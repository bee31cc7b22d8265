//! SGD for `svd` and `bias-svd`.
//!
//! For each training rating, in the order of [`SgdOrder`] (`by-user`: users shuffled per epoch
//! with `derive_seed(seed, [epoch])`, each user's ratings in file order; `shuffle`: all
//! ratings shuffled per epoch with that stream):
//!
//! ```text
//! e    = r - (mu + b_u + b_i + p_u . q_i)          (svd: e = r - p_u . q_i)
//! b_u += lr_bias    (e - reg_bias b_u)             (bias-svd only)
//! b_i += lr_bias    (e - reg_bias b_i)
//! p_u += lr_factors (e q_i - reg_factors p_u)      (both with the old p_u, q_i)
//! q_i += lr_factors (e p_u - reg_factors q_i)
//! ```
//!
//! These are Surprise's `SVD.sgd` equations (the factor updates are computed in the
//! equivalent form `p_u = (1 - lr reg) p_u + (lr e) q_i`, which rounds differently in the
//! last bit and takes fewer instructions). Surprise visits ratings grouped by user in file
//! order every epoch without shuffling; `by-user` shuffles only the users (packed once per
//! fit, so an epoch builds no permutation of all ratings), which changes results by noise.
//! Factors start from `N(init_mean, init_std)` (users then items, from
//! `derive_seed(seed, [u64::MAX])`), biases from 0. Arithmetic is f32.

use std::time::Instant;

use lfg_core::{EpochObserver, EpochReport, RatingScale, Triplets};
use serde::{Deserialize, Serialize};

use super::{SgdOrder, SvdParams, name};
use crate::BaselineError;
use crate::common::{Seen, check_train, dot, epoch_order, init_rng, normal_vec};
use crate::lanes::{Lanes8, Portable, dot8, update_rows8};

/// A fitted `svd` or `bias-svd` model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SvdModel {
    /// Whether the model has biases (`bias-svd`).
    pub biased: bool,
    /// Number of latent factors k.
    pub factors: usize,
    /// Mean training rating `mu` (the placeholder `svd` predicts for unknown users).
    pub global_mean: f32,
    /// `p_u`, row-major `n_users x k`.
    pub user_factors: Vec<f32>,
    /// `q_i`, row-major `n_items x k`.
    pub item_factors: Vec<f32>,
    /// `b_u` (empty for `svd`).
    pub user_bias: Vec<f32>,
    /// `b_i` (empty for `svd`).
    pub item_bias: Vec<f32>,
    /// Factor regularisation of the fit (fold-in reuses it).
    pub reg_factors: f32,
    /// Bias regularisation of the fit (fold-in reuses it).
    pub reg_bias: f32,
    /// Users and items with training ratings.
    pub seen: Seen,
    /// Rating scale predictions are clipped to.
    pub scale: RatingScale,
}

/// SGD state; `step` is one update, kept separate so tests can check it by hand.
pub(crate) struct SgdSvd {
    pub biased: bool,
    pub k: usize,
    pub mu: f32,
    pub lr_b: f32,
    pub lr_f: f32,
    pub reg_b: f32,
    pub reg_f: f32,
    pub pu: Vec<f32>,
    pub qi: Vec<f32>,
    pub bu: Vec<f32>,
    pub bi: Vec<f32>,
}

impl SgdSvd {
    pub(crate) fn init(
        p: &SvdParams,
        biased: bool,
        mu: f32,
        n_users: usize,
        n_items: usize,
        seed: u64,
    ) -> Self {
        let k = p.factors;
        let mut rng = init_rng(seed);
        let pu = normal_vec(&mut rng, n_users * k, p.init_mean, p.init_std);
        let qi = normal_vec(&mut rng, n_items * k, p.init_mean, p.init_std);
        let (bu, bi) = if biased {
            (vec![0.0; n_users], vec![0.0; n_items])
        } else {
            (Vec::new(), Vec::new())
        };
        Self {
            biased,
            k,
            mu,
            lr_b: p.lr_bias,
            lr_f: p.lr_factors,
            reg_b: p.reg_bias,
            reg_f: p.reg_factors,
            pu,
            qi,
            bu,
            bi,
        }
    }

    /// One epoch visiting `rows[o]` for `o` in `order`; returns the sum of squared errors.
    /// Runs under `pulp` dispatch so the loops are compiled for the best instruction set
    /// available (AVX2 where present). The arithmetic is the same on every instruction set (no fused
    /// multiply-add, fixed summation order), so the bits do not depend on the CPU features.
    ///
    /// `rows` are the training `(user, item, rating)` packed once per fit (one cache line
    /// per rating read, not three); the loop prefetches the rows and factor rows it will
    /// visit a few ratings ahead.
    pub(crate) fn epoch(&mut self, rows: &[(u32, u32, f32)], order: &[u32]) -> f64 {
        pulp::Arch::new().dispatch(Epoch {
            s: self,
            rows,
            order,
        })
    }

    /// [`Self::epoch`] on the portable backend only (the reference the AVX2 kernels match).
    #[cfg(test)]
    pub(crate) fn epoch_portable(&mut self, rows: &[(u32, u32, f32)], order: &[u32]) -> f64 {
        Epoch {
            s: self,
            rows,
            order,
        }
        .run(Portable, |_| {})
    }

    /// [`Self::epoch_by_user`] on the portable backend only.
    #[cfg(test)]
    pub(crate) fn epoch_by_user_portable(&mut self, by: &ByUser, order: &[u32]) -> f64 {
        EpochByUser { s: self, by, order }.run(Portable)
    }

    /// One epoch visiting the users `by.users[o]` for `o` in `order`, each user's ratings in
    /// packed order; returns the sum of squared errors.
    pub(crate) fn epoch_by_user(&mut self, by: &ByUser, order: &[u32]) -> f64 {
        pulp::Arch::new().dispatch(EpochByUser { s: self, by, order })
    }

    /// One SGD update on rating `r` of `(u, i)`; returns the error before the update.
    #[cfg(test)]
    pub(crate) fn step(&mut self, u: usize, i: usize, r: f32) -> f32 {
        self.step_with(Portable, u, i, r)
    }

    /// [`SgdSvd::step`] with a given dot-product kernel (bit-identical kernels only).
    #[inline(always)]
    fn step_with<L: Lanes8>(&mut self, l: L, u: usize, i: usize, r: f32) -> f32 {
        let (k, c) = (self.k, self.coef());
        let pu = &mut self.pu[u * k..(u + 1) * k];
        let qi = &mut self.qi[i * k..(i + 1) * k];
        let d = dot8(l, pu, qi);
        let err = if c.biased {
            c.error_and_biases(r, d, &mut self.bu[u], &mut self.bi[i])
        } else {
            r - d
        };
        update_rows8(l, pu, qi, c.keep, c.lr_f * err);
        err
    }

    #[inline(always)]
    fn coef(&self) -> Coef {
        Coef {
            biased: self.biased,
            mu: self.mu,
            lr_b: self.lr_b,
            reg_b: self.reg_b,
            lr_f: self.lr_f,
            keep: 1.0 - self.lr_f * self.reg_f,
        }
    }
}

/// The constants of an update, copied out of [`SgdSvd`] so that the epoch loops keep them
/// in registers.
#[derive(Clone, Copy)]
struct Coef {
    biased: bool,
    mu: f32,
    lr_b: f32,
    reg_b: f32,
    lr_f: f32,
    /// `1 - lr_f reg_f`.
    keep: f32,
}

impl Coef {
    /// `e = r - (mu + b_u + b_i + d)`, then the bias updates (both with the old biases).
    #[inline(always)]
    fn error_and_biases(&self, r: f32, d: f32, bu: &mut f32, bi: &mut f32) -> f32 {
        let e = r - (self.mu + *bu + *bi + d);
        *bu += self.lr_b * (e - self.reg_b * *bu);
        *bi += self.lr_b * (e - self.reg_b * *bi);
        e
    }
}

/// Runs `$run::<K>(args)` when `$k` is one of the factor counts with an epoch loop compiled
/// for that exact row length (fully unrolled rows, no per-rating length checks): the
/// paper's k = 50, Surprise's default 100, and 20. Every other k runs `$dynamic`, the same
/// arithmetic with run-time row lengths; both give the same bits.
macro_rules! with_fixed_k {
    ($k:expr, $run:ident($($arg:expr),*), $dynamic:expr) => {
        match $k {
            20 => $run::<20, _>($($arg),*),
            50 => $run::<50, _>($($arg),*),
            100 => $run::<100, _>($($arg),*),
            _ => $dynamic,
        }
    };
}

/// One shuffled-order epoch with rows of the compile-time length `K` (see [`with_fixed_k`]).
#[inline(always)]
fn epoch_shuffle_k<const K: usize, L: Lanes8>(
    l: L,
    s: &mut SgdSvd,
    rows: &[(u32, u32, f32)],
    order: &[u32],
    prefetch: impl Fn(*const f32),
) -> f64 {
    let c = s.coef();
    let SgdSvd { pu, qi, bu, bi, .. } = s;
    let (pu, _) = pu.as_chunks_mut::<K>();
    let (qi, _) = qi.as_chunks_mut::<K>();
    let mut sse = 0f64;
    for (t, &o) in order.iter().enumerate() {
        if let Some(&o2) = order.get(t + 2 * PREFETCH_AHEAD) {
            prefetch(std::ptr::from_ref(&rows[o2 as usize]).cast::<f32>());
        }
        if let Some(&o1) = order.get(t + PREFETCH_AHEAD) {
            let (u1, i1, _) = rows[o1 as usize];
            prefetch_row(&prefetch, &pu[u1 as usize]);
            prefetch_row(&prefetch, &qi[i1 as usize]);
        }
        let (u, i, r) = rows[o as usize];
        let (u, i) = (u as usize, i as usize);
        let (p, q) = (&mut pu[u], &mut qi[i]);
        let d = dot8(l, p, q);
        let e = if c.biased {
            c.error_and_biases(r, d, &mut bu[u], &mut bi[i])
        } else {
            r - d
        };
        update_rows8(l, p, q, c.keep, c.lr_f * e);
        sse += f64::from(e) * f64::from(e);
    }
    sse
}

/// How many ratings ahead the shuffled-order loop prefetches the factor rows.
const PREFETCH_AHEAD: usize = 6;

/// Prefetches every cache line of `row` (a hint only: no effect on results).
#[inline(always)]
fn prefetch_row<const K: usize>(prefetch: &impl Fn(*const f32), row: &[f32; K]) {
    let mut j = 0;
    while j < K {
        prefetch(&row[j]);
        j += 16;
    }
    if K > 0 {
        prefetch(&row[K - 1]);
    }
}

/// One shuffled-order epoch with run-time row lengths.
#[inline(always)]
fn epoch_shuffle_dyn<L: Lanes8>(
    l: L,
    s: &mut SgdSvd,
    rows: &[(u32, u32, f32)],
    order: &[u32],
) -> f64 {
    let mut sse = 0f64;
    for &o in order {
        let (u, i, r) = rows[o as usize];
        let e = s.step_with(l, u as usize, i as usize, r);
        sse += f64::from(e) * f64::from(e);
    }
    sse
}

/// One by-user epoch with rows of the compile-time length `K`: `p_u` and `b_u` live in
/// locals for the user's whole run (the same values the row would hold, so the same bits).
#[inline(always)]
fn epoch_by_user_k<const K: usize, L: Lanes8>(
    l: L,
    s: &mut SgdSvd,
    by: &ByUser,
    order: &[u32],
) -> f64 {
    let c = s.coef();
    let SgdSvd { pu, qi, bu, bi, .. } = s;
    let (pu, _) = pu.as_chunks_mut::<K>();
    let (qi, _) = qi.as_chunks_mut::<K>();
    let mut sse = 0f64;
    for &j in order {
        let (u, run) = by.run(j as usize);
        let mut p = pu[u];
        let mut b_u = if c.biased { bu[u] } else { 0.0 };
        for &(i, r) in run {
            let i = i as usize;
            let q = &mut qi[i];
            let d = dot8(l, &p, q);
            let e = if c.biased {
                c.error_and_biases(r, d, &mut b_u, &mut bi[i])
            } else {
                r - d
            };
            update_rows8(l, &mut p, q, c.keep, c.lr_f * e);
            sse += f64::from(e) * f64::from(e);
        }
        pu[u] = p;
        if c.biased {
            bu[u] = b_u;
        }
    }
    sse
}

/// One by-user epoch with run-time row lengths.
#[inline(always)]
fn epoch_by_user_dyn<L: Lanes8>(l: L, s: &mut SgdSvd, by: &ByUser, order: &[u32]) -> f64 {
    let mut sse = 0f64;
    for &j in order {
        let (u, run) = by.run(j as usize);
        for &(i, r) in run {
            let e = s.step_with(l, u, i as usize, r);
            sse += f64::from(e) * f64::from(e);
        }
    }
    sse
}

/// One epoch as a `pulp` kernel: `with_simd` is inlined into a function compiled for the
/// detected instruction set, and the steps and `dot` are inlined into it.
struct Epoch<'a> {
    s: &'a mut SgdSvd,
    rows: &'a [(u32, u32, f32)],
    order: &'a [u32],
}

impl Epoch<'_> {
    #[inline(always)]
    fn run<L: Lanes8>(self, l: L, prefetch: impl Fn(*const f32) + Copy) -> f64 {
        let Self { s, rows, order } = self;
        with_fixed_k!(
            s.k,
            epoch_shuffle_k(l, s, rows, order, prefetch),
            epoch_shuffle_dyn(l, s, rows, order)
        )
    }
}

impl pulp::WithSimd for Epoch<'_> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> f64 {
        // `dispatch` picks V3 whenever the CPU has AVX2, so this branch then runs inside
        // AVX2 code; its explicit 8-lane kernels give the same bits as the portable ones.
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            return self.run(v3, |p: *const f32| {
                v3.sse
                    ._mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>());
            });
        }
        self.run(Portable, |_| {})
    }
}

/// Training ratings grouped by user, packed once per fit: user `users[j]` has the ratings
/// `ratings[start[j]..start[j + 1]]` as `(item, rating)`, in training-file order.
pub(crate) struct ByUser {
    pub users: Vec<u32>,
    pub start: Vec<u32>,
    pub ratings: Vec<(u32, f32)>,
}

impl ByUser {
    /// Counting sort of `train` by user (stable, so file order within a user); users with no
    /// rating are left out.
    pub(crate) fn pack(train: &Triplets) -> Self {
        let mut count = vec![0u32; train.n_users as usize + 1];
        for &u in &train.user {
            count[u as usize + 1] += 1;
        }
        let users: Vec<u32> = (0..train.n_users)
            .filter(|&u| count[u as usize + 1] > 0)
            .collect();
        for u in 0..train.n_users as usize {
            count[u + 1] += count[u];
        }
        let start: Vec<u32> = users
            .iter()
            .map(|&u| count[u as usize])
            .chain(std::iter::once(count[train.n_users as usize]))
            .collect();
        let mut next = count;
        let mut ratings = vec![(0u32, 0f32); train.len()];
        for ((&u, &i), &r) in train.user.iter().zip(&train.item).zip(&train.rating) {
            let slot = &mut next[u as usize];
            ratings[*slot as usize] = (i, r);
            *slot += 1;
        }
        Self {
            users,
            start,
            ratings,
        }
    }

    /// User `users[j]` and its ratings.
    #[inline(always)]
    fn run(&self, j: usize) -> (usize, &[(u32, f32)]) {
        let (a, b) = (self.start[j] as usize, self.start[j + 1] as usize);
        (self.users[j] as usize, &self.ratings[a..b])
    }
}

/// The training ratings as `(user, item, rating)` rows, in file order.
fn pack_rows(train: &Triplets) -> Vec<(u32, u32, f32)> {
    train
        .user
        .iter()
        .zip(&train.item)
        .zip(&train.rating)
        .map(|((&u, &i), &r)| (u, i, r))
        .collect()
}

/// One by-user epoch as a `pulp` kernel (see [`Epoch`]).
struct EpochByUser<'a> {
    s: &'a mut SgdSvd,
    by: &'a ByUser,
    order: &'a [u32],
}

impl EpochByUser<'_> {
    #[inline(always)]
    fn run<L: Lanes8>(self, l: L) -> f64 {
        let Self { s, by, order } = self;
        with_fixed_k!(
            s.k,
            epoch_by_user_k(l, s, by, order),
            epoch_by_user_dyn(l, s, by, order)
        )
    }
}

impl pulp::WithSimd for EpochByUser<'_> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            return self.run(v3);
        }
        self.run(Portable)
    }
}

impl SvdModel {
    /// Fits `svd` (`biased = false`) or `bias-svd`; reports the mean squared training error of
    /// each epoch (errors measured before each update, as SGD sees them).
    pub fn fit(
        params: &SvdParams,
        biased: bool,
        train: &Triplets,
        seed: u64,
        obs: &dyn EpochObserver,
    ) -> Result<Self, BaselineError> {
        let model = name(biased);
        params.check_as(model)?;
        check_train(model, train)?;
        let mu = train.mean() as f32;
        let mut s = SgdSvd::init(
            params,
            biased,
            mu,
            train.n_users as usize,
            train.n_items as usize,
            seed,
        );
        let mut order = Vec::new();
        let (by_user, rows) = match params.order {
            SgdOrder::Shuffle => (None, pack_rows(train)),
            SgdOrder::ByUser => (Some(ByUser::pack(train)), Vec::new()),
        };
        let fit_start = Instant::now();
        for epoch in 1..=params.epochs {
            let start = Instant::now();
            let sse = match &by_user {
                Some(b) => {
                    epoch_order(&mut order, b.users.len(), seed, epoch);
                    s.epoch_by_user(b, &order)
                }
                None => {
                    epoch_order(&mut order, train.len(), seed, epoch);
                    s.epoch(&rows, &order)
                }
            };
            let mse = sse / train.len() as f64;
            tracing::debug!(model, epoch, train_mse = mse, "epoch done");
            obs.on_epoch(&EpochReport {
                epoch,
                train_loss: mse,
                valid_rmse: None,
                seconds: start.elapsed().as_secs_f64(),
            });
        }
        tracing::info!(
            model,
            k = params.factors,
            epochs = params.epochs,
            seconds = fit_start.elapsed().as_secs_f64(),
            "fitted"
        );
        Ok(Self {
            biased,
            factors: params.factors,
            global_mean: mu,
            user_factors: s.pu,
            item_factors: s.qi,
            user_bias: s.bu,
            item_bias: s.bi,
            reg_factors: params.reg_factors,
            reg_bias: params.reg_bias,
            seen: Seen::from_train(train),
            scale: train.scale,
        })
    }

    #[inline]
    pub(crate) fn item_row(&self, i: u32) -> &[f32] {
        let k = self.factors;
        &self.item_factors[i as usize * k..(i as usize + 1) * k]
    }

    /// Surprise's estimate: `bias-svd` adds `b_u` for a known user, `b_i` for a known item and
    /// `p_u . q_i` when both are known; `svd` predicts `p_u . q_i` when both are known and the
    /// global mean otherwise. Clipped.
    #[inline]
    pub fn predict(&self, u: u32, i: u32) -> f32 {
        let (ku, ki) = (self.seen.user(u), self.seen.item(i));
        let k = self.factors;
        let dot_ui = || {
            let p = &self.user_factors[u as usize * k..(u as usize + 1) * k];
            dot(p, self.item_row(i))
        };
        let est = if self.biased {
            let mut est = self.global_mean;
            if ku {
                est += self.user_bias[u as usize];
            }
            if ki {
                est += self.item_bias[i as usize];
            }
            if ku && ki {
                est += dot_ui();
            }
            est
        } else if ku && ki {
            dot_ui()
        } else {
            self.global_mean
        };
        self.scale.clip(est)
    }

    /// The paper's no-retrain answer for a new user: `mu + b_i` (`bias-svd`) or `mu` (`svd`).
    #[inline]
    pub fn predict_unknown_user(&self, i: u32) -> f32 {
        if self.biased && self.seen.item(i) {
            self.scale
                .clip(self.global_mean + self.item_bias[i as usize])
        } else {
            self.scale.clip(self.global_mean)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lfg_core::model::NoObserver;

    fn state(biased: bool) -> SgdSvd {
        let p = SvdParams {
            factors: 2,
            lr_bias: 0.1,
            lr_factors: 0.05,
            reg_bias: 0.2,
            reg_factors: 0.5,
            ..SvdParams::default()
        };
        let mut s = SgdSvd::init(&p, biased, 3.5, 1, 1, 0);
        s.pu.copy_from_slice(&[0.1, 0.2]);
        s.qi.copy_from_slice(&[0.3, -0.1]);
        if biased {
            s.bu[0] = 0.2;
            s.bi[0] = -0.4;
        }
        s
    }

    #[test]
    fn one_svd_step_matches_hand_computation() {
        let mut s = state(false);
        // dot = 0.03 - 0.02 = 0.01; e = 4 - 0.01 = 3.99
        let e = s.step(0, 0, 4.0);
        assert!((e - 3.99).abs() < 1e-6);
        // p0 = 0.1 + 0.05 (3.99*0.3 - 0.5*0.1) = 0.1 + 0.05*1.147 = 0.15735
        // p1 = 0.2 + 0.05 (3.99*-0.1 - 0.5*0.2) = 0.2 + 0.05*-0.499 = 0.17505
        // q0 = 0.3 + 0.05 (3.99*0.1 - 0.5*0.3) = 0.3 + 0.05*0.249 = 0.31245
        // q1 = -0.1 + 0.05 (3.99*0.2 - 0.5*-0.1) = -0.1 + 0.05*0.848 = -0.0576
        let want_p = [0.15735f32, 0.17505];
        let want_q = [0.31245f32, -0.0576];
        for f in 0..2 {
            assert!((s.pu[f] - want_p[f]).abs() < 1e-6, "p{f} {}", s.pu[f]);
            assert!((s.qi[f] - want_q[f]).abs() < 1e-6, "q{f} {}", s.qi[f]);
        }
        assert!(s.bu.is_empty() && s.bi.is_empty());
    }

    #[test]
    fn one_bias_svd_step_matches_hand_computation() {
        let mut s = state(true);
        // pred = 3.5 + 0.2 - 0.4 + 0.01 = 3.31; e = 0.69
        let e = s.step(0, 0, 4.0);
        assert!((e - 0.69).abs() < 1e-6, "{e}");
        // bu = 0.2 + 0.1 (0.69 - 0.2*0.2) = 0.265; bi = -0.4 + 0.1 (0.69 + 0.08) = -0.323
        assert!((s.bu[0] - 0.265).abs() < 1e-6, "{}", s.bu[0]);
        assert!((s.bi[0] + 0.323).abs() < 1e-6, "{}", s.bi[0]);
        // p0 = 0.1 + 0.05 (0.69*0.3 - 0.05) = 0.10785; p1 = 0.2 + 0.05 (-0.069 - 0.1) = 0.19155
        // q0 = 0.3 + 0.05 (0.069 - 0.15) = 0.29595; q1 = -0.1 + 0.05 (0.138 + 0.05) = -0.0906
        let want_p = [0.10785f32, 0.19155];
        let want_q = [0.29595f32, -0.0906];
        for f in 0..2 {
            assert!((s.pu[f] - want_p[f]).abs() < 1e-6, "p{f} {}", s.pu[f]);
            assert!((s.qi[f] - want_q[f]).abs() < 1e-6, "q{f} {}", s.qi[f]);
        }
    }

    #[test]
    fn fit_one_rating_one_epoch_equals_one_step() {
        // init-std 0 makes the initial factors known: every entry is init-mean.
        let p = SvdParams {
            factors: 3,
            epochs: 1,
            init_mean: 0.2,
            init_std: 0.0,
            ..SvdParams::default()
        };
        let mut t = Triplets::with_capacity(2, 2, RatingScale::MOVIELENS, 2);
        t.push(1, 0, 5.0);
        t.push(0, 1, 3.0);
        // Two ratings on disjoint users/items: the order does not matter.
        let m = SvdModel::fit(&p, true, &t, 9, &NoObserver).unwrap();
        let mu = 4.0f32;
        // user 1 / item 0: e = 5 - (4 + 0 + 0 + 3*0.04) = 0.88
        let e = 0.88f32;
        let b = 0.005 * e;
        assert!((m.user_bias[1] - b).abs() < 1e-7 && (m.item_bias[0] - b).abs() < 1e-7);
        let f = 0.2 + 0.005 * (e * 0.2 - 0.02 * 0.2);
        for x in &m.user_factors[3..6] {
            assert!((x - f).abs() < 1e-7, "{x} vs {f}");
        }
        assert!((m.global_mean - mu).abs() < 1e-7);
        // Unseen (user 0 seen via item 1): both users seen; check prediction formula.
        let pred = mu + m.user_bias[1] + m.item_bias[0] + 3.0 * f * f;
        assert!((m.predict(1, 0) - pred).abs() < 1e-6);
    }

    /// The `(user, item, rating)` sequence a by-user epoch visits.
    fn by_user_visits(b: &ByUser, seed: u64, epoch: usize) -> Vec<(u32, u32, f32)> {
        let mut order = Vec::new();
        epoch_order(&mut order, b.users.len(), seed, epoch);
        order
            .iter()
            .flat_map(|&j| {
                let (u, run) = b.run(j as usize);
                run.iter().map(move |&(i, r)| (u as u32, i, r))
            })
            .collect()
    }

    #[test]
    fn by_user_visits_every_rating_once_per_epoch_and_is_seed_deterministic() {
        // 40 users (some without ratings), 30 items, ratings in a scrambled file order.
        let mut rng = lfg_core::Rng::new(3);
        let mut t = Triplets::with_capacity(40, 30, RatingScale::MOVIELENS, 300);
        for row in 0..300u32 {
            let u = (rng.below(35) as u32 * 7) % 40;
            t.push(u, row % 30, (1 + row % 5) as f32);
        }
        let b = ByUser::pack(&t);
        let key = |&(u, i, r): &(u32, u32, f32)| (u, i, r.to_bits());
        let mut want: Vec<_> = t
            .user
            .iter()
            .zip(&t.item)
            .zip(&t.rating)
            .map(|((&u, &i), &r)| key(&(u, i, r)))
            .collect();
        want.sort_unstable();
        for epoch in 1..=3 {
            let seq = by_user_visits(&b, 11, epoch);
            let mut got: Vec<_> = seq.iter().map(key).collect();
            got.sort_unstable();
            assert_eq!(got, want, "epoch {epoch}: not every rating exactly once");
            // Each user's ratings form one contiguous run, in file order.
            let mut done = std::collections::HashSet::new();
            let mut k = 0;
            while k < seq.len() {
                let u = seq[k].0;
                assert!(
                    done.insert(u),
                    "epoch {epoch}: user {u} visited in two runs"
                );
                let file: Vec<_> = (0..t.len())
                    .filter(|&r| t.user[r] == u)
                    .map(|r| (u, t.item[r], t.rating[r]))
                    .collect();
                assert_eq!(&seq[k..k + file.len()], &file[..], "user {u}");
                k += file.len();
            }
            assert_eq!(seq, by_user_visits(&b, 11, epoch), "same seed, same order");
        }
        assert_ne!(by_user_visits(&b, 11, 1), by_user_visits(&b, 11, 2));
        assert_ne!(by_user_visits(&b, 11, 1), by_user_visits(&b, 12, 1));
    }

    /// Three epochs of both SGD orders through the dispatched kernels (AVX2 where the CPU
    /// has it) and through the portable kernels: the fitted factors and biases must agree
    /// bit for bit. k = 20 and 50 run the fixed-length kernels (tails of 4 and 2 lanes), 13
    /// and 8 the run-time-length ones.
    #[test]
    fn dispatched_kernels_equal_portable_kernels_bit_for_bit() {
        #[cfg(target_arch = "x86_64")]
        if pulp::x86::V3::try_new().is_none() {
            tracing::warn!("no AVX2 here: the dispatched kernels are the portable ones");
        }
        let mut rng = lfg_core::Rng::new(33);
        let (n_users, n_items) = (40u32, 30u32);
        let mut t = Triplets::with_capacity(n_users, n_items, RatingScale::MOVIELENS, 900);
        for _ in 0..900 {
            t.push(
                rng.below(u64::from(n_users)) as u32,
                rng.below(u64::from(n_items)) as u32,
                (1 + rng.below(5)) as f32,
            );
        }
        let rows = pack_rows(&t);
        let by = ByUser::pack(&t);
        let bits = |s: &SgdSvd| -> Vec<u32> {
            [&s.pu, &s.qi, &s.bu, &s.bi]
                .iter()
                .flat_map(|v| v.iter().map(|x| x.to_bits()))
                .collect()
        };
        for k in [13usize, 20, 50, 8] {
            for biased in [false, true] {
                let p = SvdParams {
                    factors: k,
                    ..SvdParams::default()
                };
                let new = || SgdSvd::init(&p, biased, 3.0, 40, 30, 5);
                let (mut a, mut b, mut c, mut d) = (new(), new(), new(), new());
                let mut order = Vec::new();
                for epoch in 1..=3 {
                    epoch_order(&mut order, rows.len(), 6, epoch);
                    let (ea, eb) = (a.epoch(&rows, &order), b.epoch_portable(&rows, &order));
                    assert_eq!(ea.to_bits(), eb.to_bits(), "shuffle k {k} biased {biased}");
                    epoch_order(&mut order, by.users.len(), 6, epoch);
                    let (ec, ed) = (
                        c.epoch_by_user(&by, &order),
                        d.epoch_by_user_portable(&by, &order),
                    );
                    assert_eq!(ec.to_bits(), ed.to_bits(), "by-user k {k} biased {biased}");
                }
                assert_eq!(bits(&a), bits(&b), "shuffle k {k} biased {biased}");
                assert_eq!(bits(&c), bits(&d), "by-user k {k} biased {biased}");
                assert_ne!(bits(&a), bits(&new()), "the epochs must change the model");
            }
        }
    }

    #[test]
    fn fixed_length_kernels_equal_run_time_length_kernels_bit_for_bit() {
        let mut rng = lfg_core::Rng::new(21);
        let mut t = Triplets::with_capacity(30, 25, RatingScale::MOVIELENS, 400);
        for row in 0..400u32 {
            t.push(
                rng.below(30) as u32,
                rng.below(25) as u32,
                (1 + row % 5) as f32,
            );
        }
        let rows = pack_rows(&t);
        let by = ByUser::pack(&t);
        let mut order = Vec::new();
        epoch_order(&mut order, by.users.len(), 4, 1);
        let mut shuffled = Vec::new();
        epoch_order(&mut shuffled, rows.len(), 4, 1);
        for biased in [false, true] {
            let p = SvdParams {
                factors: 20,
                ..SvdParams::default()
            };
            let new = || SgdSvd::init(&p, biased, 3.5, 30, 25, 7);
            let bits = |s: &SgdSvd| -> Vec<u32> {
                [&s.pu, &s.qi, &s.bu, &s.bi]
                    .iter()
                    .flat_map(|v| v.iter().map(|x| x.to_bits()))
                    .collect()
            };
            let (mut a, mut b) = (new(), new());
            let (ea, eb) = (
                epoch_shuffle_k::<20, _>(Portable, &mut a, &rows, &shuffled, |_| {}),
                epoch_shuffle_dyn(Portable, &mut b, &rows, &shuffled),
            );
            assert_eq!(ea.to_bits(), eb.to_bits(), "biased {biased}");
            assert_eq!(bits(&a), bits(&b), "shuffle, biased {biased}");
            let (ea, eb) = (
                epoch_by_user_k::<20, _>(Portable, &mut a, &by, &order),
                epoch_by_user_dyn(Portable, &mut b, &by, &order),
            );
            assert_eq!(ea.to_bits(), eb.to_bits(), "biased {biased}");
            assert_eq!(bits(&a), bits(&b), "by-user, biased {biased}");
        }
    }

    #[test]
    fn both_orders_are_seed_deterministic_and_differ() {
        let mut rng = lfg_core::Rng::new(8);
        let mut t = Triplets::with_capacity(20, 15, RatingScale::MOVIELENS, 200);
        for row in 0..200u32 {
            t.push(
                rng.below(20) as u32,
                rng.below(15) as u32,
                (1 + row % 5) as f32,
            );
        }
        let fit = |order, seed| {
            let p = SvdParams {
                factors: 4,
                epochs: 3,
                order,
                ..SvdParams::default()
            };
            SvdModel::fit(&p, true, &t, seed, &NoObserver).unwrap()
        };
        for order in [SgdOrder::Shuffle, SgdOrder::ByUser] {
            assert_eq!(fit(order, 5), fit(order, 5), "{order:?}");
            assert_ne!(fit(order, 5), fit(order, 6), "{order:?}");
        }
        assert_ne!(fit(SgdOrder::Shuffle, 5), fit(SgdOrder::ByUser, 5));
    }
}
