//! `svd-pp` (Koren 2008, Surprise's `SVDpp`): `mu + b_u + b_i + q_i . (p_u + |N(u)|^-1/2
//! sum_{j in N(u)} y_j)`, fitted by SGD with an O(k)-per-rating update that is exactly
//! Surprise's per-rating update (see [`SvdPpModel::fit`]).

mod algorithm;
mod hyperparams;

pub use algorithm::SvdPpModel;
pub(crate) use algorithm::implicit_sum;
pub use hyperparams::SvdPpParams;

/// Model name in experiment files.
pub const NAME: &str = "svd-pp";
