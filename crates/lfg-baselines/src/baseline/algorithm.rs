//! Fitting and prediction of the `baseline` model.

use std::time::Instant;

use lfg_core::{EpochObserver, EpochReport, RatingScale, Triplets};
use serde::{Deserialize, Serialize};

use super::NAME;
use super::hyperparams::{BaselineMethod, BaselineOnlyParams};
use crate::BaselineError;
use crate::common::{Seen, check_train, epoch_order};

/// A fitted `mu + b_u + b_i` model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BaselineModel {
    /// Mean training rating `mu`.
    pub global_mean: f32,
    /// `b_u`, one per user of the index space (0 for users without training ratings).
    pub user_bias: Vec<f32>,
    /// `b_i`, one per item of the index space (0 for items without training ratings).
    pub item_bias: Vec<f32>,
    /// How the biases were fitted (fold-in follows the same objective).
    pub method: BaselineMethod,
    /// Regularisation of user biases used in the fit.
    pub reg_user: f32,
    /// Users and items with training ratings.
    pub seen: Seen,
    /// Rating scale predictions are clipped to.
    pub scale: RatingScale,
}

impl BaselineModel {
    /// Fits the biases; reports the training MSE after each epoch.
    pub fn fit(
        params: &BaselineOnlyParams,
        train: &Triplets,
        seed: u64,
        obs: &dyn EpochObserver,
    ) -> Result<Self, BaselineError> {
        params.check()?;
        check_train(NAME, train)?;
        let p = params.resolved();
        let mu = train.mean() as f32;
        let mut bu = vec![0f32; train.n_users as usize];
        let mut bi = vec![0f32; train.n_items as usize];
        match p.method {
            BaselineMethod::Als => {
                let by_user = train.by_user();
                let by_item = train.by_item();
                for epoch in 1..=p.epochs {
                    let start = Instant::now();
                    // Items first, then users, as Surprise.
                    for (i, b) in bi.iter_mut().enumerate() {
                        let (users, ratings) = by_item.row(i);
                        let dev: f64 = users
                            .iter()
                            .zip(ratings)
                            .map(|(&u, &r)| f64::from(r - mu - bu[u as usize]))
                            .sum();
                        *b = (dev / (f64::from(p.reg_item) + users.len() as f64)) as f32;
                    }
                    for (u, b) in bu.iter_mut().enumerate() {
                        let (items, ratings) = by_user.row(u);
                        let dev: f64 = items
                            .iter()
                            .zip(ratings)
                            .map(|(&i, &r)| f64::from(r - mu - bi[i as usize]))
                            .sum();
                        *b = (dev / (f64::from(p.reg_user) + items.len() as f64)) as f32;
                    }
                    let sse: f64 = (0..train.len())
                        .map(|r| {
                            let e = train.rating[r]
                                - (mu + bu[train.user[r] as usize] + bi[train.item[r] as usize]);
                            f64::from(e) * f64::from(e)
                        })
                        .sum();
                    report(obs, epoch, sse / train.len() as f64, start);
                }
            }
            BaselineMethod::Sgd => {
                let mut order = Vec::with_capacity(train.len());
                for epoch in 1..=p.epochs {
                    let start = Instant::now();
                    epoch_order(&mut order, train.len(), seed, epoch);
                    let mut sse = 0f64;
                    for &r in &order {
                        let r = r as usize;
                        let (u, i) = (train.user[r] as usize, train.item[r] as usize);
                        let e = train.rating[r] - (mu + bu[u] + bi[i]);
                        sse += f64::from(e) * f64::from(e);
                        bu[u] += p.lr * (e - p.reg_user * bu[u]);
                        bi[i] += p.lr * (e - p.reg_item * bi[i]);
                    }
                    report(obs, epoch, sse / train.len() as f64, start);
                }
            }
        }
        Ok(Self {
            global_mean: mu,
            user_bias: bu,
            item_bias: bi,
            method: p.method,
            reg_user: p.reg_user,
            seen: Seen::from_train(train),
            scale: train.scale,
        })
    }

    /// `mu + b_u + b_i` (biases of unseen users/items are 0), clipped.
    #[inline]
    pub fn predict(&self, u: u32, i: u32) -> f32 {
        let bu = self.user_bias.get(u as usize).copied().unwrap_or(0.0);
        let bi = self.item_bias.get(i as usize).copied().unwrap_or(0.0);
        self.scale.clip(self.global_mean + bu + bi)
    }

    /// `mu + b_i` (the paper's no-retrain answer for a new user), clipped.
    #[inline]
    pub fn predict_item_only(&self, i: u32) -> f32 {
        let bi = self.item_bias.get(i as usize).copied().unwrap_or(0.0);
        self.scale.clip(self.global_mean + bi)
    }
}

fn report(obs: &dyn EpochObserver, epoch: usize, mse: f64, start: Instant) {
    tracing::debug!(model = NAME, epoch, train_mse = mse, "epoch done");
    obs.on_epoch(&EpochReport {
        epoch,
        train_loss: mse,
        valid_rmse: None,
        seconds: start.elapsed().as_secs_f64(),
    });
}
