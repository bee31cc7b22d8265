//! The model choice of an experiment file.

use lfg_core::{EpochObserver, Triplets};
use serde::{Deserialize, Serialize};

use crate::{
    BaselineError, BaselineModel, BaselineOnlyParams, FittedBaseline, GlobalMeanModel, SvdModel,
    SvdParams, SvdPpModel, SvdPpParams, TruncatedSvdModel, TruncatedSvdParams,
};

/// A baseline and its hyperparameters, tagged by model name:
///
/// ```toml
/// model = "bias-svd"
/// factors = 50
/// epochs = 20
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "Repr", into = "Repr")]
pub enum BaselineParams {
    /// `global-mean`.
    GlobalMean,
    /// `baseline` (`mu + b_u + b_i`).
    Baseline(BaselineOnlyParams),
    /// `svd` (FunkSVD).
    Svd(SvdParams),
    /// `bias-svd`.
    BiasSvd(SvdParams),
    /// `svd-pp`.
    SvdPp(SvdPpParams),
    /// `truncated-svd`.
    TruncatedSvd(TruncatedSvdParams),
}

impl BaselineParams {
    /// The model name used in experiment files.
    pub fn name(&self) -> &'static str {
        match self {
            BaselineParams::GlobalMean => crate::global_mean::NAME,
            BaselineParams::Baseline(_) => crate::baseline::NAME,
            BaselineParams::Svd(_) => crate::svd::NAME_SVD,
            BaselineParams::BiasSvd(_) => crate::svd::NAME_BIAS_SVD,
            BaselineParams::SvdPp(_) => crate::svd_pp::NAME,
            BaselineParams::TruncatedSvd(_) => crate::truncated_svd::NAME,
        }
    }

    /// Checks every hyperparameter; errors name the model and the parameter.
    pub fn check(&self) -> Result<(), BaselineError> {
        match self {
            BaselineParams::GlobalMean => Ok(()),
            BaselineParams::Baseline(p) => p.check(),
            BaselineParams::Svd(p) => p.check_as(crate::svd::NAME_SVD),
            BaselineParams::BiasSvd(p) => p.check_as(crate::svd::NAME_BIAS_SVD),
            BaselineParams::SvdPp(p) => p.check(),
            BaselineParams::TruncatedSvd(p) => p.check(),
        }
    }

    /// Fits the model on `train`. Deterministic in `seed`: factor initialisation uses
    /// `derive_seed(seed, [u64::MAX])`, epoch `e` (from 1) shuffles with
    /// `derive_seed(seed, [e])`. Reports each epoch to `obs`.
    pub fn fit(
        &self,
        train: &Triplets,
        seed: u64,
        obs: &dyn EpochObserver,
    ) -> Result<FittedBaseline, BaselineError> {
        self.check()?;
        Ok(match self {
            BaselineParams::GlobalMean => {
                FittedBaseline::GlobalMean(GlobalMeanModel::fit(train, obs)?)
            }
            BaselineParams::Baseline(p) => {
                FittedBaseline::Baseline(BaselineModel::fit(p, train, seed, obs)?)
            }
            BaselineParams::Svd(p) => {
                FittedBaseline::Svd(SvdModel::fit(p, false, train, seed, obs)?)
            }
            BaselineParams::BiasSvd(p) => {
                FittedBaseline::BiasSvd(SvdModel::fit(p, true, train, seed, obs)?)
            }
            BaselineParams::SvdPp(p) => {
                FittedBaseline::SvdPp(SvdPpModel::fit(p, train, seed, obs)?)
            }
            BaselineParams::TruncatedSvd(p) => {
                FittedBaseline::TruncatedSvd(TruncatedSvdModel::fit(p, train, seed, obs)?)
            }
        })
    }
}

/// No options (rejects any key but `model`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoParams {}

/// The serde form of [`BaselineParams`]: identical, except that `global-mean` carries an
/// empty option table, so that unknown keys are rejected for it too.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case")]
enum Repr {
    GlobalMean(NoParams),
    Baseline(BaselineOnlyParams),
    Svd(SvdParams),
    BiasSvd(SvdParams),
    SvdPp(SvdPpParams),
    TruncatedSvd(TruncatedSvdParams),
}

impl From<Repr> for BaselineParams {
    fn from(r: Repr) -> Self {
        match r {
            Repr::GlobalMean(NoParams {}) => BaselineParams::GlobalMean,
            Repr::Baseline(p) => BaselineParams::Baseline(p),
            Repr::Svd(p) => BaselineParams::Svd(p),
            Repr::BiasSvd(p) => BaselineParams::BiasSvd(p),
            Repr::SvdPp(p) => BaselineParams::SvdPp(p),
            Repr::TruncatedSvd(p) => BaselineParams::TruncatedSvd(p),
        }
    }
}

impl From<BaselineParams> for Repr {
    fn from(p: BaselineParams) -> Self {
        match p {
            BaselineParams::GlobalMean => Repr::GlobalMean(NoParams {}),
            BaselineParams::Baseline(p) => Repr::Baseline(p),
            BaselineParams::Svd(p) => Repr::Svd(p),
            BaselineParams::BiasSvd(p) => Repr::BiasSvd(p),
            BaselineParams::SvdPp(p) => Repr::SvdPp(p),
            BaselineParams::TruncatedSvd(p) => Repr::TruncatedSvd(p),
        }
    }
}
