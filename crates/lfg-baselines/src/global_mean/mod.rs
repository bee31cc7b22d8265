//! `global-mean`: predicts the mean training rating for every pair.

use std::time::Instant;

use lfg_core::{EpochObserver, EpochReport, RatingScale, Triplets};
use serde::{Deserialize, Serialize};

use crate::BaselineError;
use crate::common::check_train;

/// Model name in experiment files.
pub const NAME: &str = "global-mean";

/// A fitted global mean.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GlobalMeanModel {
    /// Mean training rating.
    pub global_mean: f32,
    /// Rating scale predictions are clipped to.
    pub scale: RatingScale,
}

impl GlobalMeanModel {
    /// Fits the mean of `train`; reports one epoch with the training MSE.
    pub fn fit(train: &Triplets, obs: &dyn EpochObserver) -> Result<Self, BaselineError> {
        check_train(NAME, train)?;
        let start = Instant::now();
        let mu = train.mean();
        let mse = train
            .rating
            .iter()
            .map(|&r| (f64::from(r) - mu).powi(2))
            .sum::<f64>()
            / train.len() as f64;
        obs.on_epoch(&EpochReport {
            epoch: 1,
            train_loss: mse,
            valid_rmse: None,
            seconds: start.elapsed().as_secs_f64(),
        });
        Ok(Self {
            global_mean: mu as f32,
            scale: train.scale,
        })
    }

    /// The clipped mean.
    #[inline]
    pub fn predict(&self) -> f32 {
        self.scale.clip(self.global_mean)
    }
}
