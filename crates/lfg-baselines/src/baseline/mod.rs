//! `baseline`: `mu + b_u + b_i`, regularised, fitted by ALS or SGD exactly as Surprise's
//! `BaselineOnly` (same update equations, same defaults).

mod algorithm;
mod hyperparams;

pub use algorithm::BaselineModel;
pub use hyperparams::{BaselineMethod, BaselineOnlyParams};

/// Model name in experiment files.
pub const NAME: &str = "baseline";
