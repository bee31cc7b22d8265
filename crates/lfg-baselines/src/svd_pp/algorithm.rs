//! SGD for `svd-pp`.

use std::time::Instant;

use lfg_core::{EpochObserver, EpochReport, RatingScale, Triplets};
use serde::{Deserialize, Serialize};

use super::{NAME, SvdPpParams};
use crate::BaselineError;
use crate::common::{Seen, check_train, dot, epoch_order, init_rng, normal_vec};

/// A fitted `svd-pp` model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SvdPpModel {
    /// Number of latent factors k.
    pub factors: usize,
    /// Mean training rating `mu`.
    pub global_mean: f32,
    /// `p_u`, row-major `n_users x k`.
    pub user_factors: Vec<f32>,
    /// `q_i`, row-major `n_items x k`.
    pub item_factors: Vec<f32>,
    /// `y_j`, row-major `n_items x k`.
    pub implicit_factors: Vec<f32>,
    /// `b_u`.
    pub user_bias: Vec<f32>,
    /// `b_i`.
    pub item_bias: Vec<f32>,
    /// Cached `|N(u)|^-1/2 sum_{j in N(u)} y_j` over each user's training items,
    /// row-major `n_users x k` (zero for users without training ratings).
    pub user_implicit: Vec<f32>,
    /// Factor regularisation of the fit (fold-in reuses it).
    pub reg_factors: f32,
    /// Bias regularisation of the fit (fold-in reuses it).
    pub reg_bias: f32,
    /// Users and items with training ratings.
    pub seen: Seen,
    /// Rating scale predictions are clipped to.
    pub scale: RatingScale,
}

/// Adds `|items|^-1/2 sum_{j in items} y_j` into `out` (which is zeroed first).
pub(crate) fn implicit_sum(
    y: &[f32],
    k: usize,
    items: impl ExactSizeIterator<Item = u32>,
    out: &mut [f32],
) {
    out.fill(0.0);
    let n = items.len();
    if n == 0 {
        return;
    }
    for j in items {
        let yj = &y[j as usize * k..(j as usize + 1) * k];
        for (o, &v) in out.iter_mut().zip(yj) {
            *o += v;
        }
    }
    let inv = 1.0 / (n as f32).sqrt();
    for o in out.iter_mut() {
        *o *= inv;
    }
}

impl SvdPpModel {
    /// Fits `svd-pp`; reports the mean squared training error of each epoch (errors measured
    /// before each update).
    ///
    /// Each epoch visits the users in an order shuffled with `derive_seed(seed, [epoch])`, and
    /// each user's ratings in an order shuffled from the same stream. Per rating `(u, i, r)`
    /// with `N = N(u)`, `s = |N|^-1/2 sum_{j in N} y_j`:
    ///
    /// ```text
    /// e    = r - (mu + b_u + b_i + q_i . (p_u + s))
    /// b_u += lr_b (e - reg_b b_u);  b_i += lr_b (e - reg_b b_i)
    /// p_u += lr_f (e q_i - reg_f p_u)
    /// q_i += lr_f (e (p_u + s) - reg_f q_i)
    /// y_j += lr_f (e |N|^-1/2 q_i - reg_f y_j)   for every j in N      (old p_u, q_i)
    /// ```
    ///
    /// These are Surprise's `SVDpp.sgd` equations. Surprise recomputes `s` and rewrites every
    /// `y_j` for each rating (O(|N(u)| k) per rating). Since every `y_j` of the user receives
    /// the same affine update `y_j <- c y_j + lr_f e |N|^-1/2 q_i` (`c = 1 - lr_f reg_f`), we
    /// keep `s` exactly up to date in O(k) (`s <- c s + lr_f e q_i`), accumulate the shared
    /// update (`g <- c g + lr_f e |N|^-1/2 q_i`, `a <- c a`) and apply `y_j <- a y_j + g`
    /// once at the end of the user's ratings. This is the same algorithm, not an
    /// approximation, up to f32 rounding (and assuming a user rates an item at most once).
    /// The only difference from Surprise is the visiting order (shuffled users instead of
    /// file order).
    pub fn fit(
        params: &SvdPpParams,
        train: &Triplets,
        seed: u64,
        obs: &dyn EpochObserver,
    ) -> Result<Self, BaselineError> {
        params.check()?;
        check_train(NAME, train)?;
        let k = params.factors;
        let (n_users, n_items) = (train.n_users as usize, train.n_items as usize);
        let mu = train.mean() as f32;
        let mut rng = init_rng(seed);
        let mut p = normal_vec(&mut rng, n_users * k, params.init_mean, params.init_std);
        let mut q = normal_vec(&mut rng, n_items * k, params.init_mean, params.init_std);
        let mut y = normal_vec(&mut rng, n_items * k, params.init_mean, params.init_std);
        let mut bu = vec![0f32; n_users];
        let mut bi = vec![0f32; n_items];
        let by_user = train.by_user();
        let (lr_b, lr_f, reg_b, reg_f) = (
            params.lr_bias,
            params.lr_factors,
            params.reg_bias,
            params.reg_factors,
        );
        let keep = 1.0 - lr_f * reg_f;
        let mut users = Vec::with_capacity(n_users);
        let mut pos: Vec<u32> = Vec::new();
        let mut s = vec![0f32; k];
        let mut g = vec![0f32; k];
        let mut z = vec![0f32; k];
        let fit_start = Instant::now();
        for epoch in 1..=params.epochs {
            let start = Instant::now();
            let mut rng = epoch_order(&mut users, n_users, seed, epoch);
            let mut sse = 0f64;
            for &u in &users {
                let u = u as usize;
                let (items, ratings) = by_user.row(u);
                let n = items.len();
                if n == 0 {
                    continue;
                }
                pos.clear();
                pos.extend(0..n as u32);
                crate::common::shuffle(&mut rng, &mut pos);
                let inv = 1.0 / (n as f32).sqrt();
                implicit_sum(&y, k, items.iter().copied(), &mut s);
                g.fill(0.0);
                let mut decay = 1f32;
                let pu = &mut p[u * k..(u + 1) * k];
                for &t in &pos {
                    let (i, r) = (items[t as usize] as usize, ratings[t as usize]);
                    let qi = &mut q[i * k..(i + 1) * k];
                    for ((zf, &pf), &sf) in z.iter_mut().zip(pu.iter()).zip(&s) {
                        *zf = pf + sf;
                    }
                    let e = r - (mu + bu[u] + bi[i] + dot(qi, &z));
                    sse += f64::from(e) * f64::from(e);
                    bu[u] += lr_b * (e - reg_b * bu[u]);
                    bi[i] += lr_b * (e - reg_b * bi[i]);
                    let le = lr_f * e;
                    let lei = le * inv;
                    for f in 0..k {
                        let (p0, q0) = (pu[f], qi[f]);
                        pu[f] += lr_f * (e * q0 - reg_f * p0);
                        qi[f] += lr_f * (e * z[f] - reg_f * q0);
                        s[f] = keep * s[f] + le * q0;
                        g[f] = keep * g[f] + lei * q0;
                    }
                    decay *= keep;
                }
                for &j in items {
                    let yj = &mut y[j as usize * k..(j as usize + 1) * k];
                    for (v, &gf) in yj.iter_mut().zip(&g) {
                        *v = decay * *v + gf;
                    }
                }
            }
            let mse = sse / train.len() as f64;
            tracing::debug!(model = NAME, epoch, train_mse = mse, "epoch done");
            obs.on_epoch(&EpochReport {
                epoch,
                train_loss: mse,
                valid_rmse: None,
                seconds: start.elapsed().as_secs_f64(),
            });
        }
        let mut user_implicit = vec![0f32; n_users * k];
        for (u, out) in user_implicit.chunks_exact_mut(k).enumerate() {
            implicit_sum(&y, k, by_user.row(u).0.iter().copied(), out);
        }
        tracing::info!(
            model = NAME,
            k,
            epochs = params.epochs,
            seconds = fit_start.elapsed().as_secs_f64(),
            "fitted"
        );
        Ok(Self {
            factors: k,
            global_mean: mu,
            user_factors: p,
            item_factors: q,
            implicit_factors: y,
            user_bias: bu,
            item_bias: bi,
            user_implicit,
            reg_factors: reg_f,
            reg_bias: reg_b,
            seen: Seen::from_train(train),
            scale: train.scale,
        })
    }

    #[inline]
    pub(crate) fn item_row(&self, i: u32) -> &[f32] {
        let k = self.factors;
        &self.item_factors[i as usize * k..(i as usize + 1) * k]
    }

    /// Surprise's estimate: `mu`, plus `b_u` for a known user, `b_i` for a known item, and
    /// `q_i . (p_u + s_u)` when both are known. Clipped.
    #[inline]
    pub fn predict(&self, u: u32, i: u32) -> f32 {
        let (ku, ki) = (self.seen.user(u), self.seen.item(i));
        let mut est = self.global_mean;
        if ku {
            est += self.user_bias[u as usize];
        }
        if ki {
            est += self.item_bias[i as usize];
        }
        if ku && ki {
            let k = self.factors;
            let (a, b) = (u as usize * k, (u as usize + 1) * k);
            let q = self.item_row(i);
            est += dot(q, &self.user_factors[a..b]) + dot(q, &self.user_implicit[a..b]);
        }
        self.scale.clip(est)
    }

    /// The paper's no-retrain answer for a new user: `mu + b_i`.
    #[inline]
    pub fn predict_unknown_user(&self, i: u32) -> f32 {
        let bi = if self.seen.item(i) {
            self.item_bias[i as usize]
        } else {
            0.0
        };
        self.scale.clip(self.global_mean + bi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lfg_core::model::NoObserver;

    /// Surprise's per-rating algorithm, written naively (recompute s, update every y_j).
    #[allow(clippy::too_many_arguments)]
    fn naive_user_block(
        k: usize,
        mu: f32,
        p: &mut [f32],
        q: &mut [f32],
        y: &mut [f32],
        bu: &mut f32,
        bi: &mut [f32],
        items: &[u32],
        ratings: &[f32],
        lr: f32,
        reg: f32,
    ) {
        let inv = 1.0 / (items.len() as f64).sqrt();
        for (&i, &r) in items.iter().zip(ratings) {
            let i = i as usize;
            let mut s = vec![0f64; k];
            for &j in items {
                for f in 0..k {
                    s[f] += f64::from(y[j as usize * k + f]) * inv;
                }
            }
            let mut d = 0f64;
            for f in 0..k {
                d += f64::from(q[i * k + f]) * (f64::from(p[f]) + s[f]);
            }
            let e = f64::from(r) - (f64::from(mu + *bu + bi[i]) + d);
            *bu += lr * (e as f32 - reg * *bu);
            bi[i] += lr * (e as f32 - reg * bi[i]);
            for f in 0..k {
                let (p0, q0) = (p[f], q[i * k + f]);
                p[f] += lr * (e as f32 * q0 - reg * p0);
                q[i * k + f] += lr * ((e * (f64::from(p0) + s[f])) as f32 - reg * q0);
                for &j in items {
                    let v = &mut y[j as usize * k + f];
                    *v += lr * ((e * f64::from(q0) * inv) as f32 - reg * *v);
                }
            }
        }
    }

    #[test]
    fn lazy_implicit_update_equals_surprise_per_rating_update() {
        // One user rating 4 items: the user block is the whole epoch, so the lazy algorithm
        // must reproduce the naive one (in the shuffled order the fit used).
        let k = 5;
        let params = SvdPpParams {
            factors: k,
            epochs: 1,
            lr_bias: 0.05,
            lr_factors: 0.05,
            reg_bias: 0.1,
            reg_factors: 0.1,
            ..SvdPpParams::default()
        };
        let mut t = Triplets::with_capacity(1, 4, RatingScale::MOVIELENS, 4);
        for (i, r) in [(0u32, 5.0f32), (1, 1.0), (2, 4.0), (3, 2.0)] {
            t.push(0, i, r);
        }
        let seed = 11;
        let m = SvdPpModel::fit(&params, &t, seed, &NoObserver).unwrap();
        // Rebuild the same init and the same visiting order.
        let mut rng = init_rng(seed);
        let mut p = normal_vec(&mut rng, k, 0.0, 0.1);
        let mut q = normal_vec(&mut rng, 4 * k, 0.0, 0.1);
        let mut y = normal_vec(&mut rng, 4 * k, 0.0, 0.1);
        let mut users = Vec::new();
        let mut rng = epoch_order(&mut users, 1, seed, 1);
        let mut pos: Vec<u32> = (0..4).collect();
        rng.shuffle(&mut pos);
        // Row 0 lists items 0..4 in input order, so position t is item t.
        let rows = [5.0f32, 1.0, 4.0, 2.0];
        let items: Vec<u32> = pos.clone();
        let ratings: Vec<f32> = pos.iter().map(|&t| rows[t as usize]).collect();
        let (mut bu, mut bi) = (0f32, vec![0f32; 4]);
        naive_user_block(
            k, 3.0, &mut p, &mut q, &mut y, &mut bu, &mut bi, &items, &ratings, 0.05, 0.1,
        );
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);
        assert!((m.user_bias[0] - bu).abs() < 1e-5);
        assert!(close(&m.item_bias, &bi));
        assert!(close(&m.user_factors, &p), "{:?} vs {p:?}", m.user_factors);
        assert!(close(&m.item_factors, &q));
        assert!(
            close(&m.implicit_factors, &y),
            "{:?} vs {y:?}",
            m.implicit_factors
        );
    }
}
