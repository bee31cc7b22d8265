//! Hyperparameters of `svd` and `bias-svd`.

use serde::{Deserialize, Serialize};

use crate::BaselineError;
use crate::common::{check_epochs, check_factors, check_finite, check_lr, check_nonneg};

/// Hyperparameters of `svd` and `bias-svd`. Defaults are Surprise's `SVD` defaults except
/// `factors`, which defaults to the paper's k = 50 (Surprise: 100). `svd` ignores the bias
/// options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct SvdParams {
    /// Number of latent factors k (default 50).
    pub factors: usize,
    /// Passes over the training ratings (default 20).
    pub epochs: usize,
    /// Learning rate of `b_u` and `b_i` (default 0.005).
    pub lr_bias: f32,
    /// Learning rate of `p_u` and `q_i` (default 0.005).
    pub lr_factors: f32,
    /// L2 regularisation of `b_u` and `b_i` (default 0.02).
    pub reg_bias: f32,
    /// L2 regularisation of `p_u` and `q_i` (default 0.02).
    pub reg_factors: f32,
    /// Mean of the normal factor initialisation (default 0).
    pub init_mean: f32,
    /// Standard deviation of the normal factor initialisation (default 0.1).
    pub init_std: f32,
    /// Order in which SGD visits the training ratings each epoch (default `shuffle`;
    /// `by-user` is Surprise's order).
    pub order: SgdOrder,
}

/// Order in which SGD visits the training ratings within an epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SgdOrder {
    /// Every rating in an order shuffled per epoch (the textbook SGD).
    #[default]
    Shuffle,
    /// Users in an order shuffled per epoch, each user's ratings contiguous in training-file
    /// order (as Surprise, which does not shuffle users). No per-epoch permutation of all
    /// ratings is built, but each rating waits for the previous update of `p_u`, so on a
    /// CPU with AVX-512 it is about 1.3x slower than `shuffle`.
    ByUser,
}

impl Default for SvdParams {
    fn default() -> Self {
        Self {
            factors: 50,
            epochs: 20,
            lr_bias: 0.005,
            lr_factors: 0.005,
            reg_bias: 0.02,
            reg_factors: 0.02,
            init_mean: 0.0,
            init_std: 0.1,
            order: SgdOrder::default(),
        }
    }
}

impl SvdParams {
    /// Checks every option for `model` (`svd` or `bias-svd`); errors name the parameter.
    pub(crate) fn check_as(&self, model: &'static str) -> Result<(), BaselineError> {
        check_factors(model, self.factors)?;
        check_epochs(model, self.epochs)?;
        check_lr(model, "lr-bias", self.lr_bias)?;
        check_lr(model, "lr-factors", self.lr_factors)?;
        check_nonneg(model, "reg-bias", self.reg_bias)?;
        check_nonneg(model, "reg-factors", self.reg_factors)?;
        check_finite(model, "init-mean", self.init_mean)?;
        check_nonneg(model, "init-std", self.init_std)?;
        Ok(())
    }

    /// Checks every option; errors name the parameter.
    pub fn check(&self) -> Result<(), BaselineError> {
        self.check_as(super::NAME_BIAS_SVD)
    }
}
