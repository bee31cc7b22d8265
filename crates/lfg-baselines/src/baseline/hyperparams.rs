//! Hyperparameters of the `baseline` model.

use serde::{Deserialize, Serialize};

use super::NAME;
use crate::BaselineError;
use crate::common::{check_epochs, check_lr, check_nonneg};

/// How the biases are fitted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineMethod {
    /// Alternating least squares (Surprise's default): items then users, each a closed form
    /// `b = sum(residual) / (reg + count)`.
    #[default]
    Als,
    /// Stochastic gradient descent over shuffled ratings:
    /// `b_u += lr (e - reg_user b_u)`, `b_i += lr (e - reg_item b_i)`.
    Sgd,
}

/// Hyperparameters of `baseline`. Unset options take Surprise's `BaselineOnly` defaults for the
/// chosen method: ALS `epochs = 10, reg-user = 15, reg-item = 10`; SGD `epochs = 20,
/// reg-user = reg-item = 0.02, lr = 0.005`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct BaselineOnlyParams {
    /// `als` (default) or `sgd`.
    pub method: BaselineMethod,
    /// Passes over the data (default 10 for ALS, 20 for SGD).
    pub epochs: Option<usize>,
    /// Regularisation of user biases (default 15 for ALS, 0.02 for SGD).
    pub reg_user: Option<f32>,
    /// Regularisation of item biases (default 10 for ALS, 0.02 for SGD).
    pub reg_item: Option<f32>,
    /// SGD learning rate (default 0.005; unused by ALS).
    pub lr: f32,
}

impl Default for BaselineOnlyParams {
    fn default() -> Self {
        Self {
            method: BaselineMethod::Als,
            epochs: None,
            reg_user: None,
            reg_item: None,
            lr: 0.005,
        }
    }
}

/// Hyperparameters with the method's defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Resolved {
    pub method: BaselineMethod,
    pub epochs: usize,
    pub reg_user: f32,
    pub reg_item: f32,
    pub lr: f32,
}

impl BaselineOnlyParams {
    /// The options with unset ones replaced by the method's defaults.
    pub(crate) fn resolved(&self) -> Resolved {
        let (epochs, reg_user, reg_item) = match self.method {
            BaselineMethod::Als => (10, 15.0, 10.0),
            BaselineMethod::Sgd => (20, 0.02, 0.02),
        };
        Resolved {
            method: self.method,
            epochs: self.epochs.unwrap_or(epochs),
            reg_user: self.reg_user.unwrap_or(reg_user),
            reg_item: self.reg_item.unwrap_or(reg_item),
            lr: self.lr,
        }
    }

    /// Checks every option; errors name the parameter.
    pub fn check(&self) -> Result<(), BaselineError> {
        let r = self.resolved();
        check_epochs(NAME, r.epochs)?;
        check_nonneg(NAME, "reg-user", r.reg_user)?;
        check_nonneg(NAME, "reg-item", r.reg_item)?;
        check_lr(NAME, "lr", r.lr)?;
        if r.method == BaselineMethod::Als && (r.reg_user == 0.0 || r.reg_item == 0.0) {
            // An item or user with no rating would divide 0 by 0.
            let (param, v) = if r.reg_user == 0.0 {
                ("reg-user", r.reg_user)
            } else {
                ("reg-item", r.reg_item)
            };
            return Err(BaselineError::param(
                NAME,
                param,
                v,
                "must be > 0 for method als",
            ));
        }
        Ok(())
    }
}
