//! Hyperparameters of `truncated-svd`.

use serde::{Deserialize, Serialize};

use super::NAME;
use crate::BaselineError;
use crate::common::check_factors;

/// Which SVD algorithm computes the leading triplets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SvdSolver {
    /// `exact` when the dense matrix has at most 2,000,000 entries (ML-100k), else
    /// `randomized` (ML-1M).
    #[default]
    Auto,
    /// faer's dense thin SVD of the whole centred matrix.
    Exact,
    /// Randomised range finder with power iterations on the sparse matrix, then an exact SVD
    /// of the small projected matrix.
    Randomized,
}

/// Hyperparameters of `truncated-svd`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct TruncatedSvdParams {
    /// Number of singular triplets kept, k (default 50, the paper's k).
    pub factors: usize,
    /// Algorithm (default `auto`).
    pub solver: SvdSolver,
    /// Extra sketch columns of the randomised solver (default 10).
    pub oversampling: usize,
    /// Power iterations of the randomised solver (default 4).
    pub power_iterations: usize,
}

impl Default for TruncatedSvdParams {
    fn default() -> Self {
        Self {
            factors: 50,
            solver: SvdSolver::Auto,
            oversampling: 10,
            power_iterations: 4,
        }
    }
}

impl TruncatedSvdParams {
    /// Checks every option; errors name the parameter.
    pub fn check(&self) -> Result<(), BaselineError> {
        check_factors(NAME, self.factors)?;
        if self.oversampling > 1000 {
            return Err(BaselineError::param(
                NAME,
                "oversampling",
                self.oversampling,
                "must be <= 1000",
            ));
        }
        if self.power_iterations > 100 {
            return Err(BaselineError::param(
                NAME,
                "power-iterations",
                self.power_iterations,
                "must be <= 100",
            ));
        }
        Ok(())
    }
}
