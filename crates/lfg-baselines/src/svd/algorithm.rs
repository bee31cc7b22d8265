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

    /// One epoch over `train` in `order`; returns the sum of squared errors. Runs under
    /// `pulp` dispatch so the loops are compiled for the best instruction set available
    /// (AVX2 where present). The arithmetic is the same on every instruction set (no fused
    /// multiply-add, fixed summation order), so the bits do not depend on the CPU features.
    ///
    /// `ratings` are the epoch's `(user, item, rating)` already in visiting order, so that
    /// the loop reads them sequentially (only the factor rows are random accesses).
    pub(crate) fn epoch(&mut self, ratings: &[(u32, u32, f32)]) -> f64 {
        pulp::Arch::new().dispatch(Epoch { s: self, ratings })
    }

    /// One epoch visiting the users `by.users[o]` for `o` in `order`, each user's ratings in
    /// packed order; returns the sum of squared errors.
    pub(crate) fn epoch_by_user(&mut self, by: &ByUser, order: &[u32]) -> f64 {
        pulp::Arch::new().dispatch(EpochByUser { s: self, by, order })
    }

    /// One SGD update on rating `r` of `(u, i)`; returns the error before the update.
    #[inline(always)]
    pub(crate) fn step(&mut self, u: usize, i: usize, r: f32) -> f32 {
        self.step_with(u, i, r, dot)
    }

    /// [`SgdSvd::step`] with a given dot-product kernel (bit-identical kernels only).
    #[inline(always)]
    fn step_with(
        &mut self,
        u: usize,
        i: usize,
        r: f32,
        dot: impl Fn(&[f32], &[f32]) -> f32,
    ) -> f32 {
        let k = self.k;
        let pu = &mut self.pu[u * k..(u + 1) * k];
        let qi = &mut self.qi[i * k..(i + 1) * k];
        let d = dot(pu, qi);
        let err = if self.biased {
            let e = r - (self.mu + self.bu[u] + self.bi[i] + d);
            self.bu[u] += self.lr_b * (e - self.reg_b * self.bu[u]);
            self.bi[i] += self.lr_b * (e - self.reg_b * self.bi[i]);
            e
        } else {
            r - d
        };
        // p += lr (e q - reg p)  ==  keep p + (lr e) q, with keep = 1 - lr reg.
        let keep = 1.0 - self.lr_f * self.reg_f;
        let le = self.lr_f * err;
        for (pf, qf) in pu.iter_mut().zip(qi.iter_mut()) {
            let (p0, q0) = (*pf, *qf);
            *pf = keep * p0 + le * q0;
            *qf = keep * q0 + le * p0;
        }
        err
    }
}

/// One epoch as a `pulp` kernel: `with_simd` is inlined into a function compiled for the
/// detected instruction set, and `step` and `dot` are inlined into it.
struct Epoch<'a> {
    s: &'a mut SgdSvd,
    ratings: &'a [(u32, u32, f32)],
}

impl pulp::WithSimd for Epoch<'_> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> f64 {
        let mut sse = 0f64;
        // `dispatch` picks V3 whenever the CPU has AVX2, so this branch then runs inside
        // AVX2 code; its explicit 8-lane dot gives the same bits as `dot`.
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            for &(u, i, r) in self.ratings {
                let e = self
                    .s
                    .step_with(u as usize, i as usize, r, |a, b| dot_v3(v3, a, b));
                sse += f64::from(e) * f64::from(e);
            }
            return sse;
        }
        for &(u, i, r) in self.ratings {
            let e = self.s.step(u as usize, i as usize, r);
            sse += f64::from(e) * f64::from(e);
        }
        sse
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

/// One by-user epoch as a `pulp` kernel (see [`Epoch`]).
struct EpochByUser<'a> {
    s: &'a mut SgdSvd,
    by: &'a ByUser,
    order: &'a [u32],
}

impl pulp::WithSimd for EpochByUser<'_> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> f64 {
        let mut sse = 0f64;
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            for &j in self.order {
                let (u, run) = self.by.run(j as usize);
                for &(i, r) in run {
                    let e = self.s.step_with(u, i as usize, r, |a, b| dot_v3(v3, a, b));
                    sse += f64::from(e) * f64::from(e);
                }
            }
            return sse;
        }
        for &j in self.order {
            let (u, run) = self.by.run(j as usize);
            for &(i, r) in run {
                let e = self.s.step(u, i as usize, r);
                sse += f64::from(e) * f64::from(e);
            }
        }
        sse
    }
}

/// [`dot`] with explicit AVX2 vectors: the same eight lanes, the same unfused rounding, the
/// same final sum, hence the same bits.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn dot_v3(simd: pulp::x86::V3, a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ca, ra) = a[..n].as_chunks::<8>();
    let (cb, rb) = b[..n].as_chunks::<8>();
    let mut acc = simd.splat_f32x8(0.0);
    for (x, y) in ca.iter().zip(cb) {
        let (x, y): (pulp::f32x8, pulp::f32x8) = (pulp::cast(*x), pulp::cast(*y));
        acc = simd.add_f32x8(acc, simd.mul_f32x8(x, y));
    }
    crate::common::finish_dot(pulp::cast(acc), ra, rb)
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
        let mut packed: Vec<(u32, u32, f32)> = Vec::new();
        let by_user = match params.order {
            SgdOrder::Shuffle => None,
            SgdOrder::ByUser => Some(ByUser::pack(train)),
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
                    packed.clear();
                    packed.extend(order.iter().map(|&r| {
                        let r = r as usize;
                        (train.user[r], train.item[r], train.rating[r])
                    }));
                    s.epoch(&packed)
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

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_dot_is_bit_identical_to_portable_dot() {
        let Some(v3) = pulp::x86::V3::try_new() else {
            return; // no AVX2 here: only the portable kernel runs
        };
        let mut rng = lfg_core::Rng::new(5);
        for n in [1usize, 7, 8, 9, 16, 50, 64, 100] {
            let a: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
            let b: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
            assert_eq!(
                dot_v3(v3, &a, &b).to_bits(),
                dot(&a, &b).to_bits(),
                "n = {n}"
            );
        }
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
