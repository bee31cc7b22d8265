//! Per-user side information (the paper's auxiliary matrix E).

use serde::{Deserialize, Serialize};

/// A dense, row-major `n_users x width` matrix of user features, one row per dense user
/// index, with a name for each column.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureMatrix {
    /// Number of columns.
    pub width: usize,
    /// Row-major values, `n_users * width` long.
    pub data: Vec<f32>,
    /// One name per column, e.g. `age`, `gender=F`, `occupation=doctor`.
    pub names: Vec<String>,
}

impl FeatureMatrix {
    /// A matrix with no columns (models then see ratings only).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Number of rows; zero when `width` is zero.
    pub fn n_rows(&self) -> usize {
        self.data.len().checked_div(self.width).unwrap_or(0)
    }

    /// The features of user `u` (empty when the matrix has no columns).
    #[inline]
    pub fn row(&self, u: usize) -> &[f32] {
        if self.width == 0 {
            return &[];
        }
        &self.data[u * self.width..(u + 1) * self.width]
    }
}
