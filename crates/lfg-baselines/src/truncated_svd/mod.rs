//! `truncated-svd`: the k leading singular triplets of the mean-centred training matrix
//! (missing entries = 0), user factors `U sqrt(S)`, item factors `V sqrt(S)` (the paper's
//! "upstream" for LFG). Exact (faer's dense SVD) or randomised (Halko, Martinsson & Tropp
//! 2011, with power iterations) on the sparse matrix.

mod algorithm;
mod hyperparams;

pub use algorithm::TruncatedSvdModel;
pub use hyperparams::{SvdSolver, TruncatedSvdParams};

/// Model name in experiment files.
pub const NAME: &str = "truncated-svd";
