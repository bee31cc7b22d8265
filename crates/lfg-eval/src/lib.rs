//! Evaluation for `lfg`: rating and ranking metrics, fold statistics and paired comparisons.
//!
//! Pure functions over slices of dense indices, predictions and truths; the crate depends on
//! no other `lfg` crate but `lfg-core` (for its random-number generator), so the runner and
//! the reports take every figure from the same code.
//!
//! - Rating metrics ([`rating`]): [`rmse`], [`mae`] (the paper's definitions, over all test
//!   ratings, accumulated in `f64`), [`per_user_rmse`] (mean of each user's RMSE, as Cornac),
//!   [`prediction_coverage`], and [`RatingMetrics::compute`] for all of them in one pass.
//! - Ranking metrics ([`ranking`]): Precision/Recall/NDCG/MAP/hit rate@k and catalogue
//!   coverage of top-k lists over items the user did not rate in training
//!   ([`ranking_metrics`]); the protocol, including which users are averaged, is documented
//!   in the module.
//! - Fold statistics ([`fold_stats`]): mean, sample std, Student-t 95% interval, min, max.
//! - Paired comparisons ([`compare`]): [`paired_t_test`], [`bootstrap_rmse_diff`] (seeded,
//!   resampling users) and [`comparison_sentence`].
//! - The Student t distribution ([`special`]), implemented here: CDF via the regularised
//!   incomplete beta function, quantile by bisection.
//!
//! The functions named in the design contract return `f64`/plain structs and never panic:
//! undefined results (empty input, mismatched lengths, one fold) are NaN, written `null` in
//! JSON. Functions that can be handed inconsistent data (`RatingMetrics::compute`,
//! `ranking_metrics`, `bootstrap_rmse_diff`) validate it and return [`EvalError`].

pub mod compare;
pub mod error;
mod nan_null;
pub mod ranking;
pub mod rating;
mod rng;
pub mod special;
pub mod stats;

pub use compare::{
    BootstrapCi, Difference, PairedTest, bootstrap_rmse_diff, bootstrap_rmse_diff_level,
    comparison_sentence, paired_t_test,
};
pub use error::EvalError;
pub use ranking::{
    RankingConfig, RankingInput, RankingMetrics, ranking_metrics, ranking_metrics_dense, top_k,
};
pub use rating::{RatingMetrics, mae, per_user_rmse, prediction_coverage, rmse};
pub use special::{student_t_cdf, student_t_quantile, student_t_two_sided_p};
pub use stats::{FoldStats, fold_stats};
