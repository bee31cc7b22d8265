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

use super::rows::{Rows, parts};
use super::visit::{ByUser, Visits, shuffled};
use super::{SgdOrder, SvdParams, name};
use crate::BaselineError;
use crate::common::{Seen, check_train, dot, epoch_order, init_rng, normal_vec};
use crate::lanes::{Portable, RowOps};

/// A training rating `(user, item, rating)` as the kernels read it.
type Rating = (u32, u32, f32);

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
    /// `p_u` and `b_u` (the bias stays 0 for `svd`).
    pub pu: Rows,
    /// `q_i` and `b_i`.
    pub qi: Rows,
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
        Self {
            biased,
            k,
            mu,
            lr_b: p.lr_bias,
            lr_f: p.lr_factors,
            reg_b: p.reg_bias,
            reg_f: p.reg_factors,
            pu: Rows::new(&pu, n_users, k),
            qi: Rows::new(&qi, n_items, k),
        }
    }

    /// One epoch visiting the `(user, item, rating)` rows of `seq` in order (the training
    /// ratings in this epoch's shuffled order, see [`shuffled_rows`]); returns the sum of
    /// squared errors. Runs under `pulp` dispatch so the loops are compiled for the best
    /// instruction set available (AVX-512 or AVX2 where present). The arithmetic is the same
    /// on every instruction set (no fused multiply-add, fixed summation order), so the bits do
    /// not depend on the CPU features. The loop prefetches the factor rows it will visit a few
    /// ratings ahead.
    pub(crate) fn epoch<T: Copy>(&mut self, seq: &[T], dec: impl Fn(T) -> Rating + Copy) -> f64 {
        pulp::Arch::new().dispatch(Epoch { s: self, seq, dec })
    }

    /// [`Self::epoch`] on a given backend (tests compare every backend with the portable one).
    #[cfg(test)]
    pub(crate) fn epoch_on<L: RowOps>(&mut self, l: L, seq: &[Rating]) -> f64 {
        Epoch {
            s: self,
            seq,
            dec: |x| x,
        }
        .run(l, |_| {})
    }

    /// [`Self::epoch_by_user`] on a given backend.
    #[cfg(test)]
    pub(crate) fn epoch_by_user_on<L: RowOps>(&mut self, l: L, by: &ByUser, order: &[u32]) -> f64 {
        EpochByUser { s: self, by, order }.run(l)
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
    fn step_with<L: RowOps>(&mut self, l: L, u: usize, i: usize, r: f32) -> f32 {
        let c = self.coef();
        let (pu, b_u) = self.pu.row_mut(u);
        let (qi, b_i) = self.qi.row_mut(i);
        let d = l.dot(pu, qi);
        let err = if c.biased {
            c.error_and_biases(r, d, b_u, b_i)
        } else {
            r - d
        };
        l.update(pu, qi, c.keep, c.lr_f * err);
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
    ($k:expr, $run:ident::<_ $(, $g:tt)*>($($arg:expr),*), $dynamic:expr) => {
        match $k {
            20 => $run::<20, 32, _ $(, $g)*>($($arg),*),
            50 => $run::<50, 64, _ $(, $g)*>($($arg),*),
            100 => $run::<100, 112, _ $(, $g)*>($($arg),*),
            _ => $dynamic,
        }
    };
}

/// One shuffled-order epoch with rows of the compile-time length `K` and stride `S` (see
/// [`with_fixed_k`] and [`Rows`]).
#[inline(always)]
fn epoch_shuffle_k<const K: usize, const S: usize, L: RowOps, T: Copy>(
    l: L,
    s: &mut SgdSvd,
    (seq, dec): (&[T], impl Fn(T) -> Rating + Copy),
    prefetch: impl Fn(*const f32),
) -> f64 {
    if s.biased {
        epoch_shuffle_kb::<K, S, true, L, T>(l, s, (seq, dec), prefetch)
    } else {
        epoch_shuffle_kb::<K, S, false, L, T>(l, s, (seq, dec), prefetch)
    }
}

/// [`epoch_shuffle_k`] for a fixed `BIASED`.
///
/// The ratings go in pairs `(2m, 2m + 1)`. When the two share neither the user nor the item
/// they are computed together: both errors from the rows as they are, then both updates.
/// Neither rating reads a value the other writes, so this is exactly the sequential order
/// (the same bits), but the two dependency chains (dot product, error, update) overlap. A
/// pair that shares a row runs one rating after the other.
#[inline(always)]
fn epoch_shuffle_kb<const K: usize, const S: usize, const BIASED: bool, L: RowOps, T: Copy>(
    l: L,
    s: &mut SgdSvd,
    (seq, dec): (&[T], impl Fn(T) -> Rating + Copy),
    prefetch: impl Fn(*const f32),
) -> f64 {
    let c = s.coef();
    let SgdSvd { pu, qi, .. } = s;
    let (pu, qi) = (pu.lines_mut::<S>(), qi.lines_mut::<S>());
    // Prefetch addresses need no bounds check: a prefetch of any address is only a hint.
    // Only a row's first cache line is prefetched (see `PREFETCH_AHEAD`).
    let (pu_at, qi_at) = (pu.as_ptr(), qi.as_ptr());
    let rows_of = |u: u32, i: u32| {
        prefetch(pu_at.wrapping_add(u as usize).cast());
        prefetch(qi_at.wrapping_add(i as usize).cast());
    };
    let (groups, rest) = seq.as_chunks::<GROUP>();
    let mut ahead = groups
        .get(PREFETCH_AHEAD.div_ceil(GROUP)..)
        .unwrap_or_default()
        .iter();
    let mut sse = 0f64;
    for g in groups {
        if let Some(f) = ahead.next() {
            for &x in f {
                let (u, i, _) = dec(x);
                rows_of(u, i);
            }
        }
        let mut g2 = [(0u32, 0u32, 0f32); GROUP];
        for (y, &x) in g2.iter_mut().zip(g) {
            *y = dec(x);
        }
        let g = &g2;
        let (mut us, mut is) = ([0usize; GROUP], [0usize; GROUP]);
        for ((u, i), &(gu, gi, _)) in us.iter_mut().zip(is.iter_mut()).zip(g) {
            (*u, *i) = (gu as usize, gi as usize);
        }
        if let (Ok(mut ps), Ok(mut qs)) = (pu.get_disjoint_mut(us), qi.get_disjoint_mut(is)) {
            // Errors (and bias updates) first, from the rows as they are, then the factor
            // updates; see [`parts`] for the lanes of a row.
            let mut es = [0f32; GROUP];
            for ((e, (p, q)), &(_, _, r)) in es.iter_mut().zip(ps.iter_mut().zip(&mut qs)).zip(g) {
                let ((p, b_u), (q, b_i)) = (parts(&mut p[..], K), parts(&mut q[..], K));
                let d = l.dot(p, q);
                *e = if BIASED {
                    c.error_and_biases(r, d, b_u, b_i)
                } else {
                    r - d
                };
            }
            for ((p, q), e) in ps.iter_mut().zip(&mut qs).zip(es) {
                let ((p, _), (q, _)) = (parts(&mut p[..], K), parts(&mut q[..], K));
                l.update(p, q, c.keep, c.lr_f * e);
            }
            for e in es {
                sse += f64::from(e) * f64::from(e);
            }
        } else {
            for &(u, i, r) in g {
                let e = one_k::<K, S, BIASED, L>(l, c, &mut pu[u as usize], &mut qi[i as usize], r);
                sse += f64::from(e) * f64::from(e);
            }
        }
    }
    for &x in rest {
        let (u, i, r) = dec(x);
        let e = one_k::<K, S, BIASED, L>(l, c, &mut pu[u as usize], &mut qi[i as usize], r);
        sse += f64::from(e) * f64::from(e);
    }
    sse
}

/// One SGD step of [`epoch_shuffle_kb`] on rating `r` of the rows `p` and `q` (factors in
/// lanes and bias as [`parts`] splits them); returns the error.
#[inline(always)]
fn one_k<const K: usize, const S: usize, const BIASED: bool, L: RowOps>(
    l: L,
    c: Coef,
    p: &mut [f32; S],
    q: &mut [f32; S],
    r: f32,
) -> f32 {
    let ((p, b_u), (q, b_i)) = (parts(&mut p[..], K), parts(&mut q[..], K));
    let d = l.dot(p, q);
    let e = if BIASED {
        c.error_and_biases(r, d, b_u, b_i)
    } else {
        r - d
    };
    l.update(p, q, c.keep, c.lr_f * e);
    e
}

/// How many ratings ahead the shuffled-order loop prefetches the factor rows. It prefetches
/// the first cache line of each row only: the hardware's adjacent-line prefetcher brings the
/// rest. On Zen 4 (k = 50, 20 epochs, ML-100k) this was 0.6 ms per `bias-svd` fit faster
/// than prefetching every line of a row 4 ratings ahead, and no prefetching 2 ms slower.
const PREFETCH_AHEAD: usize = 8;
const GROUP: usize = 2;

/// One shuffled-order epoch with run-time row lengths.
#[inline(always)]
fn epoch_shuffle_dyn<L: RowOps, T: Copy>(
    l: L,
    s: &mut SgdSvd,
    (seq, dec): (&[T], impl Fn(T) -> Rating + Copy),
) -> f64 {
    let mut sse = 0f64;
    for &x in seq {
        let (u, i, r) = dec(x);
        let e = s.step_with(l, u as usize, i as usize, r);
        sse += f64::from(e) * f64::from(e);
    }
    sse
}

/// One by-user epoch with rows of the compile-time length `K` and stride `S`: `p_u` and
/// `b_u` live in locals for the user's whole run (the same values the row would hold, so the
/// same bits).
#[inline(always)]
fn epoch_by_user_k<const K: usize, const S: usize, L: RowOps>(
    l: L,
    s: &mut SgdSvd,
    by: &ByUser,
    order: &[u32],
) -> f64 {
    let c = s.coef();
    let SgdSvd { pu, qi, .. } = s;
    let (pu, qi) = (pu.lines_mut::<S>(), qi.lines_mut::<S>());
    let mut sse = 0f64;
    for &j in order {
        let (u, run) = by.run(j as usize);
        let mut p = pu[u];
        for &(i, r) in run {
            let q = &mut qi[i as usize];
            let ((pf, b_u), (q, b_i)) = (parts(&mut p[..], K), parts(&mut q[..], K));
            let d = l.dot(pf, q);
            let e = if c.biased {
                c.error_and_biases(r, d, b_u, b_i)
            } else {
                r - d
            };
            l.update(pf, q, c.keep, c.lr_f * e);
            sse += f64::from(e) * f64::from(e);
        }
        pu[u] = p;
    }
    sse
}

/// One by-user epoch with run-time row lengths.
#[inline(always)]
fn epoch_by_user_dyn<L: RowOps>(l: L, s: &mut SgdSvd, by: &ByUser, order: &[u32]) -> f64 {
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
struct Epoch<'a, T, D> {
    s: &'a mut SgdSvd,
    seq: &'a [T],
    dec: D,
}

impl<T: Copy, D: Fn(T) -> Rating + Copy> Epoch<'_, T, D> {
    #[inline(always)]
    fn run<L: RowOps>(self, l: L, prefetch: impl Fn(*const f32) + Copy) -> f64 {
        let Self { s, seq, dec } = self;
        with_fixed_k!(
            s.k,
            epoch_shuffle_k::<_, _>(l, s, (seq, dec), prefetch),
            epoch_shuffle_dyn(l, s, (seq, dec))
        )
    }
}

impl<T: Copy, D: Fn(T) -> Rating + Copy> pulp::WithSimd for Epoch<'_, T, D> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> f64 {
        // `dispatch` picks V4 (AVX-512) or V3 (AVX2) when the CPU has it, so these branches
        // run inside code compiled for it; their kernels give the same bits as the portable ones.
        #[cfg(target_arch = "x86_64")]
        if let Some(v4) = pulp::x86::V4::try_new() {
            return self.run(v4, |p: *const f32| {
                v4.sse
                    ._mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>());
            });
        }
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

/// One by-user epoch as a `pulp` kernel (see [`Epoch`]).
struct EpochByUser<'a> {
    s: &'a mut SgdSvd,
    by: &'a ByUser,
    order: &'a [u32],
}

impl EpochByUser<'_> {
    #[inline(always)]
    fn run<L: RowOps>(self, l: L) -> f64 {
        let Self { s, by, order } = self;
        with_fixed_k!(
            s.k,
            epoch_by_user_k::<_>(l, s, by, order),
            epoch_by_user_dyn(l, s, by, order)
        )
    }
}

impl pulp::WithSimd for EpochByUser<'_> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if let Some(v4) = pulp::x86::V4::try_new() {
            return self.run(v4);
        }
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
        let (mut order, mut codes, mut rows) = (Vec::new(), Vec::new(), Vec::new());
        let (by_user, visits) = match params.order {
            SgdOrder::Shuffle => (None, Visits::pack(train)),
            SgdOrder::ByUser => (Some(ByUser::pack(train)), Visits::Wide(Vec::new())),
        };
        let fit_start = Instant::now();
        for epoch in 1..=params.epochs {
            let start = Instant::now();
            let sse = match &by_user {
                Some(b) => {
                    epoch_order(&mut order, b.users.len(), seed, epoch);
                    s.epoch_by_user(b, &order)
                }
                None => match &visits {
                    Visits::Packed(all, codec) => {
                        shuffled(&mut codes, all, seed, epoch);
                        s.epoch(&codes, |c| codec.decode(c))
                    }
                    Visits::Wide(all) => {
                        shuffled(&mut rows, all, seed, epoch);
                        s.epoch(&rows, |x| x)
                    }
                },
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
            user_factors: s.pu.factors(),
            item_factors: s.qi.factors(),
            user_bias: if biased { s.pu.biases() } else { Vec::new() },
            item_bias: if biased { s.qi.biases() } else { Vec::new() },
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
    use super::super::visit::pack_rows;
    use super::*;
    use lfg_core::model::NoObserver;

    use crate::common::random_triplets;

    /// Every factor and bias of `s`, as bits.
    fn bits(s: &SgdSvd) -> Vec<u32> {
        [s.pu.factors(), s.qi.factors(), s.pu.biases(), s.qi.biases()]
            .iter()
            .flat_map(|v| v.iter().map(|x| x.to_bits()))
            .collect()
    }

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
        s.pu = Rows::new(&[0.1, 0.2], 1, 2);
        s.qi = Rows::new(&[0.3, -0.1], 1, 2);
        if biased {
            s.pu.set_bias(0, 0.2);
            s.qi.set_bias(0, -0.4);
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
            let (p, q) = (s.pu.factors()[f], s.qi.factors()[f]);
            assert!((p - want_p[f]).abs() < 1e-6, "p{f} {p}");
            assert!((q - want_q[f]).abs() < 1e-6, "q{f} {q}");
        }
        assert_eq!((s.pu.biases(), s.qi.biases()), (vec![0.0], vec![0.0]));
    }

    #[test]
    fn one_bias_svd_step_matches_hand_computation() {
        let mut s = state(true);
        // pred = 3.5 + 0.2 - 0.4 + 0.01 = 3.31; e = 0.69
        let e = s.step(0, 0, 4.0);
        assert!((e - 0.69).abs() < 1e-6, "{e}");
        // bu = 0.2 + 0.1 (0.69 - 0.2*0.2) = 0.265; bi = -0.4 + 0.1 (0.69 + 0.08) = -0.323
        let (bu, bi) = (s.pu.biases()[0], s.qi.biases()[0]);
        assert!((bu - 0.265).abs() < 1e-6, "{bu}");
        assert!((bi + 0.323).abs() < 1e-6, "{bi}");
        // p0 = 0.1 + 0.05 (0.69*0.3 - 0.05) = 0.10785; p1 = 0.2 + 0.05 (-0.069 - 0.1) = 0.19155
        // q0 = 0.3 + 0.05 (0.069 - 0.15) = 0.29595; q1 = -0.1 + 0.05 (0.138 + 0.05) = -0.0906
        let want_p = [0.10785f32, 0.19155];
        let want_q = [0.29595f32, -0.0906];
        for f in 0..2 {
            let (p, q) = (s.pu.factors()[f], s.qi.factors()[f]);
            assert!((p - want_p[f]).abs() < 1e-6, "p{f} {p}");
            assert!((q - want_q[f]).abs() < 1e-6, "q{f} {q}");
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

    /// Three epochs of both SGD orders through the dispatched kernels (AVX-512 or AVX2 where
    /// the CPU has it), through each SIMD backend the CPU has, and through the portable
    /// kernels: the fitted factors and biases must agree bit for bit. k = 20, 50 and 100 run
    /// the fixed-length kernels (tails of 4, 2 and 4 lanes), 13 and 8 the run-time-length
    /// ones. The shuffled order runs from the packed codes, as `fit` does.
    #[test]
    fn every_backend_gives_the_portable_bits() {
        #[cfg(target_arch = "x86_64")]
        if pulp::x86::V3::try_new().is_none() {
            tracing::warn!("no AVX2 here: the dispatched kernels are the portable ones");
        }
        let t = random_triplets(33, (40, 30), 900, |_, rng| (1 + rng.below(5)) as f32);
        let rows = pack_rows(&t);
        let Visits::Packed(codes, codec) = Visits::pack(&t) else {
            panic!("40 x 30 x 5 values fit in 32 bits");
        };
        let by = ByUser::pack(&t);
        for k in [13usize, 20, 50, 100, 8] {
            for biased in [false, true] {
                let p = SvdParams {
                    factors: k,
                    ..SvdParams::default()
                };
                let new = || SgdSvd::init(&p, biased, 3.0, 40, 30, 5);
                // [portable, dispatched, V3, V4] for each order.
                let mut shuf: Vec<SgdSvd> = (0..4).map(|_| new()).collect();
                let mut byu: Vec<SgdSvd> = (0..4).map(|_| new()).collect();
                let mut ran = [true, true, false, false];
                let (mut order, mut seq, mut cseq) = (Vec::new(), Vec::new(), Vec::new());
                for epoch in 1..=3 {
                    shuffled(&mut seq, &rows, 6, epoch);
                    shuffled(&mut cseq, &codes, 6, epoch);
                    epoch_order(&mut order, by.users.len(), 6, epoch);
                    let mut sse = vec![
                        shuf[0].epoch_on(Portable, &seq),
                        shuf[1].epoch(&cseq, |c| codec.decode(c)),
                    ];
                    let mut sse_u = vec![
                        byu[0].epoch_by_user_on(Portable, &by, &order),
                        byu[1].epoch_by_user(&by, &order),
                    ];
                    #[cfg(target_arch = "x86_64")]
                    {
                        if let Some(v3) = pulp::x86::V3::try_new() {
                            ran[2] = true;
                            sse.push(v3.vectorize(|| shuf[2].epoch_on(v3, &seq)));
                            sse_u.push(v3.vectorize(|| byu[2].epoch_by_user_on(v3, &by, &order)));
                        }
                        if let Some(v4) = pulp::x86::V4::try_new() {
                            ran[3] = true;
                            sse.push(v4.vectorize(|| shuf[3].epoch_on(v4, &seq)));
                            sse_u.push(v4.vectorize(|| byu[3].epoch_by_user_on(v4, &by, &order)));
                        }
                    }
                    for x in &sse {
                        assert_eq!(x.to_bits(), sse[0].to_bits(), "k {k} biased {biased}");
                    }
                    for x in &sse_u {
                        assert_eq!(x.to_bits(), sse_u[0].to_bits(), "k {k} biased {biased}");
                    }
                }
                for j in (1..4).filter(|&j| ran[j]) {
                    let what = format!("backend {j}, k {k}, biased {biased}");
                    assert_eq!(bits(&shuf[j]), bits(&shuf[0]), "shuffle, {what}");
                    assert_eq!(bits(&byu[j]), bits(&byu[0]), "by-user, {what}");
                }
                assert_ne!(
                    bits(&shuf[0]),
                    bits(&new()),
                    "the epochs must change the model"
                );
            }
        }
    }

    #[test]
    fn fixed_length_kernels_equal_run_time_length_kernels_bit_for_bit() {
        let t = random_triplets(21, (30, 25), 400, |row, _| (1 + row % 5) as f32);
        let rows = pack_rows(&t);
        let by = ByUser::pack(&t);
        let mut order = Vec::new();
        epoch_order(&mut order, by.users.len(), 4, 1);
        let mut seq = Vec::new();
        shuffled(&mut seq, &rows, 4, 1);
        for biased in [false, true] {
            let p = SvdParams {
                factors: 20,
                ..SvdParams::default()
            };
            let new = || SgdSvd::init(&p, biased, 3.5, 30, 25, 7);
            let (mut a, mut b) = (new(), new());
            let (ea, eb) = (
                epoch_shuffle_k::<20, 32, _, _>(Portable, &mut a, (&seq, |x| x), |_| {}),
                epoch_shuffle_dyn(Portable, &mut b, (&seq, |x| x)),
            );
            assert_eq!(ea.to_bits(), eb.to_bits(), "biased {biased}");
            assert_eq!(bits(&a), bits(&b), "shuffle, biased {biased}");
            let (ea, eb) = (
                epoch_by_user_k::<20, 32, _>(Portable, &mut a, &by, &order),
                epoch_by_user_dyn(Portable, &mut b, &by, &order),
            );
            assert_eq!(ea.to_bits(), eb.to_bits(), "biased {biased}");
            assert_eq!(bits(&a), bits(&b), "by-user, biased {biased}");
        }
    }

    #[test]
    fn both_orders_are_seed_deterministic_and_differ() {
        let t = random_triplets(8, (20, 15), 200, |row, _| (1 + row % 5) as f32);
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
