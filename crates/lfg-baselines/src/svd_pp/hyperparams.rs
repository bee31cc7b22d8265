//! Hyperparameters of `svd-pp`.

use serde::{Deserialize, Serialize};

use super::NAME;
use crate::BaselineError;
use crate::common::{check_epochs, check_factors, check_finite, check_lr, check_nonneg};

/// Hyperparameters of `svd-pp`. Defaults are Surprise's `SVDpp` defaults (lr 0.007,
/// reg 0.02, init N(0, 0.1), 20 epochs) except `factors`, which defaults to the paper's
/// k = 50 (Surprise: 20). The implicit factors `y_j` use the factor learning rate and
/// regularisation, as with Surprise's `lr_all`/`reg_all`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct SvdPpParams {
    /// Number of latent factors k (default 50).
    pub factors: usize,
    /// Passes over the training ratings (default 20).
    pub epochs: usize,
    /// Learning rate of `b_u` and `b_i` (default 0.007).
    pub lr_bias: f32,
    /// Learning rate of `p_u`, `q_i` and `y_j` (default 0.007).
    pub lr_factors: f32,
    /// L2 regularisation of `b_u` and `b_i` (default 0.02).
    pub reg_bias: f32,
    /// L2 regularisation of `p_u`, `q_i` and `y_j` (default 0.02).
    pub reg_factors: f32,
    /// Mean of the normal factor initialisation (default 0).
    pub init_mean: f32,
    /// Standard deviation of the normal factor initialisation (default 0.1).
    pub init_std: f32,
}

impl Default for SvdPpParams {
    fn default() -> Self {
        Self {
            factors: 50,
            epochs: 20,
            lr_bias: 0.007,
            lr_factors: 0.007,
            reg_bias: 0.02,
            reg_factors: 0.02,
            init_mean: 0.0,
            init_std: 0.1,
        }
    }
}

impl SvdPpParams {
    /// Checks every option; errors name the parameter.
    pub fn check(&self) -> Result<(), BaselineError> {
        check_factors(NAME, self.factors)?;
        check_epochs(NAME, self.epochs)?;
        check_lr(NAME, "lr-bias", self.lr_bias)?;
        check_lr(NAME, "lr-factors", self.lr_factors)?;
        check_nonneg(NAME, "reg-bias", self.reg_bias)?;
        check_nonneg(NAME, "reg-factors", self.reg_factors)?;
        check_finite(NAME, "init-mean", self.init_mean)?;
        check_nonneg(NAME, "init-std", self.init_std)?;
        Ok(())
    }
}
