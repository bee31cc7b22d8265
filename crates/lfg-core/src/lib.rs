//! Core types shared by every `lfg` crate.
//!
//! This crate is deliberately light (no Polars, burn, sqlx or plotters) so that model and
//! evaluation crates can depend on it without pulling heavy dependencies:
//!
//! - [`Ratings`]: the typed rating table every loader returns (dense indices plus raw ids);
//! - [`Triplets`] and [`UserIndex`]: the training view models fit on;
//! - [`Fold`]: one train/test split, including the new-user protocol's revealed ratings;
//! - [`FeatureMatrix`]: per-user side information (the paper's auxiliary matrix E);
//! - [`rng`]: a small, explicit, seedable RNG and seed derivation (no hidden global RNG);
//! - [`model`]: the traits that tie fitting, prediction and new-user inference together.

pub mod features;
pub mod fold;
pub mod model;
pub mod ratings;
pub mod rng;

pub use features::FeatureMatrix;
pub use fold::Fold;
pub use model::{EpochObserver, EpochReport, NewUserPredictor, Predictor};
pub use ratings::{RatingScale, Ratings, Triplets, UserIndex};
pub use rng::{Rng, derive_seed};
