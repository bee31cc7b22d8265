//! `svd` (FunkSVD, `r = p_u . q_i`) and `bias-svd` (`r = mu + b_u + b_i + p_u . q_i`), fitted
//! by SGD with Surprise's `SVD` update equations.

mod algorithm;
mod hyperparams;
mod rows;
mod visit;

pub use algorithm::SvdModel;
pub use hyperparams::{SgdOrder, SvdParams};

/// Name of the unbiased model in experiment files.
pub const NAME_SVD: &str = "svd";
/// Name of the biased model in experiment files.
pub const NAME_BIAS_SVD: &str = "bias-svd";

/// The model name for `biased`.
pub(crate) fn name(biased: bool) -> &'static str {
    if biased { NAME_BIAS_SVD } else { NAME_SVD }
}
