//! SVD-family baselines for `lfg`: the models the paper compares the Latent Factor Generator
//! against, and the upstream factorisation LFG starts from.
//!
//! | model (`model = ...`) | prediction | fit |
//! |---|---|---|
//! | `global-mean` | `mu` | mean of the training ratings |
//! | `baseline` | `mu + b_u + b_i` | ALS or SGD, as Surprise's `BaselineOnly` |
//! | `svd` | `p_u . q_i` | SGD with L2 (FunkSVD, Surprise's `SVD(biased=False)`) |
//! | `bias-svd` | `mu + b_u + b_i + p_u . q_i` | SGD with L2 (Surprise's `SVD()`) |
//! | `svd-pp` | `mu + b_u + b_i + q_i . (p_u + |N(u)|^-1/2 sum_j y_j)` | SGD (Koren 2008, Surprise's `SVDpp`) |
//! | `truncated-svd` | `mu + u_u . v_i` | k leading singular triplets of the centred matrix (faer) |
//!
//! Every prediction is clipped to the rating scale. Fitting is a pure function of the
//! hyperparameters, the training triplets and a `seed`: the same inputs give bit-identical
//! models whatever the number of threads (SGD is sequential within a model; run folds and
//! models in parallel instead).
//!
//! New users (the paper's second experiment) are served three ways: [`FittedBaseline::no_retrain`]
//! (the paper's protocol), fold-in ([`FittedBaseline`]'s own [`lfg_core::NewUserPredictor`], or
//! [`FittedBaseline::fold_in`] with explicit options), and retraining, which is simply
//! [`BaselineParams::fit`] on train + revealed ratings (done by the runner).

pub mod baseline;
mod common;
pub mod error;
mod fitted;
pub mod fold_in;
pub mod global_mean;
mod lanes;
mod params;
pub mod svd;
pub mod svd_pp;
pub mod truncated_svd;

pub use baseline::{BaselineMethod, BaselineModel, BaselineOnlyParams};
pub use common::Seen;
pub use error::BaselineError;
pub use fitted::FittedBaseline;
pub use fold_in::{
    FoldIn, FoldInOptions, FoldInWorkspace, NewUserAdapter, NewUserStrategy, NoRetrain,
};
pub use global_mean::GlobalMeanModel;
pub use params::BaselineParams;
pub use svd::{SgdOrder, SvdModel, SvdParams};
pub use svd_pp::{SvdPpModel, SvdPpParams};
pub use truncated_svd::{SvdSolver, TruncatedSvdModel, TruncatedSvdParams};
