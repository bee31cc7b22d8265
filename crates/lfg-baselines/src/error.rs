//! Errors of the baselines crate.

use std::path::PathBuf;

/// Everything that can go wrong while checking, fitting, saving or loading a baseline.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// A hyperparameter is out of its valid range (checked before any work).
    #[error("invalid hyperparameter `{param}` of model `{model}`: {value} ({reason})")]
    InvalidParam {
        /// Model name, e.g. `bias-svd`.
        model: &'static str,
        /// Parameter name as written in experiment files, e.g. `lr-factors`.
        param: &'static str,
        /// The offending value.
        value: String,
        /// What a valid value looks like.
        reason: &'static str,
    },
    /// The training triplets are unusable (checked before any work).
    #[error("invalid training set for model `{model}`: {detail}")]
    InvalidData {
        /// Model name.
        model: &'static str,
        /// What is wrong, naming the row when there is one.
        detail: String,
    },
    /// A linear-algebra routine failed (truncated SVD).
    #[error("model `{model}`: linear algebra failed: {detail}")]
    Linalg {
        /// Model name.
        model: &'static str,
        /// What failed.
        detail: String,
    },
    /// Reading or writing a model file failed.
    #[error("cannot {action} model file {}: {source}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A model file is not valid JSON for a fitted baseline.
    #[error("model file {} is not a valid fitted baseline: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The underlying error (with line and column).
        #[source]
        source: serde_json::Error,
    },
    /// Serialising a model to JSON failed.
    #[error("cannot serialise model `{model}` to JSON: {source}")]
    Serialize {
        /// Model name.
        model: &'static str,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
}

impl BaselineError {
    pub(crate) fn param(
        model: &'static str,
        param: &'static str,
        value: impl std::fmt::Display,
        reason: &'static str,
    ) -> Self {
        Self::InvalidParam {
            model,
            param,
            value: value.to_string(),
            reason,
        }
    }
}
