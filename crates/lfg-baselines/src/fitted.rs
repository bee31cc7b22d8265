//! A fitted baseline of any kind: prediction, new users, upstream factors, save and load.

use std::path::Path;

use lfg_core::{NewUserPredictor, Predictor};
use serde::{Deserialize, Serialize};

use crate::fold_in::{FoldInOptions, FoldInWorkspace};
use crate::{
    BaselineError, BaselineModel, GlobalMeanModel, SvdModel, SvdPpModel, TruncatedSvdModel,
};

/// A fitted baseline, tagged by model name when serialised.
///
/// [`Predictor`] scores known users; [`NewUserPredictor`] serves new users by fold-in with
/// the model's own regularisation (see [`crate::fold_in`]); [`FittedBaseline::no_retrain`]
/// gives the paper's protocol instead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum FittedBaseline {
    /// `global-mean`.
    GlobalMean(GlobalMeanModel),
    /// `baseline`.
    Baseline(BaselineModel),
    /// `svd`.
    Svd(SvdModel),
    /// `bias-svd`.
    BiasSvd(SvdModel),
    /// `svd-pp`.
    SvdPp(SvdPpModel),
    /// `truncated-svd`.
    TruncatedSvd(TruncatedSvdModel),
}

impl FittedBaseline {
    /// The model name used in experiment files.
    pub fn name(&self) -> &'static str {
        match self {
            FittedBaseline::GlobalMean(_) => crate::global_mean::NAME,
            FittedBaseline::Baseline(_) => crate::baseline::NAME,
            FittedBaseline::Svd(_) => crate::svd::NAME_SVD,
            FittedBaseline::BiasSvd(_) => crate::svd::NAME_BIAS_SVD,
            FittedBaseline::SvdPp(_) => crate::svd_pp::NAME,
            FittedBaseline::TruncatedSvd(_) => crate::truncated_svd::NAME,
        }
    }

    /// Item factors, row-major `n_items x k`, and k (`q_i` for the SGD models,
    /// `V_k sqrt(S_k)` for `truncated-svd`); `None` for models without factors.
    pub fn item_factors(&self) -> Option<(&[f32], usize)> {
        match self {
            FittedBaseline::Svd(m) | FittedBaseline::BiasSvd(m) => {
                Some((&m.item_factors, m.factors))
            }
            FittedBaseline::SvdPp(m) => Some((&m.item_factors, m.factors)),
            FittedBaseline::TruncatedSvd(m) => Some((&m.item_factors, m.factors)),
            FittedBaseline::GlobalMean(_) | FittedBaseline::Baseline(_) => None,
        }
    }

    /// User factors, row-major `n_users x k`, and k; `None` for models without factors.
    pub fn user_factors(&self) -> Option<(&[f32], usize)> {
        match self {
            FittedBaseline::Svd(m) | FittedBaseline::BiasSvd(m) => {
                Some((&m.user_factors, m.factors))
            }
            FittedBaseline::SvdPp(m) => Some((&m.user_factors, m.factors)),
            FittedBaseline::TruncatedSvd(m) => Some((&m.user_factors, m.factors)),
            FittedBaseline::GlobalMean(_) | FittedBaseline::Baseline(_) => None,
        }
    }

    /// Item biases `b_i`; `None` for models without biases.
    pub fn item_bias(&self) -> Option<&[f32]> {
        match self {
            FittedBaseline::Baseline(m) => Some(&m.item_bias),
            FittedBaseline::BiasSvd(m) => Some(&m.item_bias),
            FittedBaseline::SvdPp(m) => Some(&m.item_bias),
            _ => None,
        }
    }

    /// User biases `b_u`; `None` for models without biases.
    pub fn user_bias(&self) -> Option<&[f32]> {
        match self {
            FittedBaseline::Baseline(m) => Some(&m.user_bias),
            FittedBaseline::BiasSvd(m) => Some(&m.user_bias),
            FittedBaseline::SvdPp(m) => Some(&m.user_bias),
            _ => None,
        }
    }

    /// Mean training rating `mu`.
    pub fn global_mean(&self) -> f32 {
        match self {
            FittedBaseline::GlobalMean(m) => m.global_mean,
            FittedBaseline::Baseline(m) => m.global_mean,
            FittedBaseline::Svd(m) | FittedBaseline::BiasSvd(m) => m.global_mean,
            FittedBaseline::SvdPp(m) => m.global_mean,
            FittedBaseline::TruncatedSvd(m) => m.global_mean,
        }
    }

    /// The paper's no-retrain prediction for a user the model has not seen.
    #[inline]
    pub fn predict_unknown_user(&self, i: u32) -> f32 {
        match self {
            FittedBaseline::GlobalMean(m) => m.predict(),
            FittedBaseline::Baseline(m) => m.predict_item_only(i),
            FittedBaseline::Svd(m) | FittedBaseline::BiasSvd(m) => m.predict_unknown_user(i),
            FittedBaseline::SvdPp(m) => m.predict_unknown_user(i),
            FittedBaseline::TruncatedSvd(m) => m.scale.clip(m.global_mean),
        }
    }

    /// The model as JSON.
    pub fn to_json(&self) -> Result<String, BaselineError> {
        serde_json::to_string(self).map_err(|source| BaselineError::Serialize {
            model: self.name(),
            source,
        })
    }

    /// Writes the model as JSON to `path`.
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        let json = self.to_json()?;
        std::fs::write(path, json).map_err(|source| BaselineError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a model written by [`FittedBaseline::save`].
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| BaselineError::Json {
            path: path.to_path_buf(),
            source,
        })
    }
}

impl Predictor for FittedBaseline {
    #[inline]
    fn predict(&self, user: u32, item: u32) -> f32 {
        match self {
            FittedBaseline::GlobalMean(m) => m.predict(),
            FittedBaseline::Baseline(m) => m.predict(user, item),
            FittedBaseline::Svd(m) | FittedBaseline::BiasSvd(m) => m.predict(user, item),
            FittedBaseline::SvdPp(m) => m.predict(user, item),
            FittedBaseline::TruncatedSvd(m) => m.predict(user, item),
        }
    }

    fn knows_user(&self, user: u32) -> bool {
        match self {
            FittedBaseline::GlobalMean(_) => false,
            FittedBaseline::Baseline(m) => m.seen.user(user),
            FittedBaseline::Svd(m) | FittedBaseline::BiasSvd(m) => m.seen.user(user),
            FittedBaseline::SvdPp(m) => m.seen.user(user),
            FittedBaseline::TruncatedSvd(m) => m.seen.user(user),
        }
    }
}

impl NewUserPredictor for FittedBaseline {
    /// Fold-in with the model's own regularisation ([`FoldInOptions::default`]).
    fn predict_new_user(
        &self,
        revealed: &[(u32, f32)],
        features: &[f32],
        query_items: &[u32],
        out: &mut [f32],
    ) {
        self.fold_in(FoldInOptions::default()).predict_new_user(
            revealed,
            features,
            query_items,
            out,
        );
    }
}

impl FittedBaseline {
    /// Folds in one new user into a fresh workspace (convenience for inspection; the
    /// [`NewUserPredictor`] path reuses a per-thread workspace).
    pub fn fold_in_user(&self, revealed: &[(u32, f32)], opts: &FoldInOptions) -> FoldInWorkspace {
        let mut ws = FoldInWorkspace::new();
        self.fold_in_into(revealed, opts, &mut ws);
        ws
    }
}
