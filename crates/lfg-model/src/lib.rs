//! The Latent Factor Generator (LFG) network of the paper (section 3), in burn.
//!
//! A generator network maps a user's input row `I = [E, H_masked]` (side features `E` and the
//! training ratings `H` over all items, each observed entry masked to 0 with probability `p`
//! during training) to `k` latent factors `U_G` and a bias `bu_G`; predictions are
//! `H_pred = U_G . M + bu_G + bi_T + mu` with trainable item factors `M` (initialised from an
//! upstream factorisation) and item biases `bi_T` (initialised to 0). The loss is the MSE over
//! the observed training positions.
//!
//! - [`fit`] trains on [`LfgTrainData`] with [`LfgConfig`] and reports [`lfg_core::EpochReport`]s;
//! - [`LfgModel`] generates factors for any user ([`LfgModel::generate`]), predicts known
//!   users ([`lfg_core::Predictor`]) and new users ([`lfg_core::NewUserPredictor`]) without
//!   retraining, ranks items ([`LfgModel::recommend`]) and saves/loads itself.
//!
//! Training runs on a burn device (Flex CPU by default; `cpu`, `cuda`, `wgpu` behind cargo
//! features). On the CPU backends the first layer (applied to the non-zero inputs only) and the
//! Adam update run in plain Rust, with the same arithmetic as burn's versions. Inference runs
//! in plain Rust on the CPU with the first layer applied sparsely.

mod adam;
mod batch;
mod config;
mod error;
mod first;
mod model;
mod net;
mod train;
mod weights;

#[cfg(test)]
mod tests;

pub use config::{DeviceChoice, LfgConfig, LossMode, MuMode};
pub use error::LfgError;
pub use model::{LfgModel, UserInput};
pub use train::{ItemInit, LfgTrainData, fit};
