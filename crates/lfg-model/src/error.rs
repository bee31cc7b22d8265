//! Typed errors of the LFG model.

use std::path::PathBuf;

/// Everything that can go wrong when configuring, training, saving or loading an LFG model.
#[derive(Debug, thiserror::Error)]
pub enum LfgError {
    /// A hyperparameter is out of its valid range.
    #[error("invalid LFG hyperparameter `{param}`: {msg}")]
    InvalidParam {
        /// The kebab-case name of the parameter.
        param: &'static str,
        /// What is wrong with it.
        msg: String,
    },
    /// The training data is inconsistent (index out of range, wrong shapes, ...).
    #[error("invalid LFG training data: {0}")]
    Data(String),
    /// The requested burn device was not compiled in.
    #[error("device `{0}` is not available: build lfg-model with the cargo feature `{0}`")]
    DeviceUnavailable(&'static str),
    /// The training loss became NaN or infinite.
    #[error("LFG training diverged at epoch {epoch}: the training loss is {loss}")]
    Diverged {
        /// The epoch (from 1) whose loss was not finite.
        epoch: usize,
        /// The offending loss.
        loss: f64,
    },
    /// An I/O error on a model file.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A model file exists but cannot be understood.
    #[error("bad LFG model file {}: {msg}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        msg: String,
    },
}

impl LfgError {
    pub(crate) fn param(param: &'static str, msg: impl Into<String>) -> Self {
        Self::InvalidParam {
            param,
            msg: msg.into(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn format(path: &std::path::Path, msg: impl Into<String>) -> Self {
        Self::Format {
            path: path.to_path_buf(),
            msg: msg.into(),
        }
    }
}
