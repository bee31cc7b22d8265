//! Typed errors of the runner.

use std::fmt;
use std::path::PathBuf;

/// One problem in an experiment file, located by file, line, column and key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The experiment file.
    pub file: PathBuf,
    /// Line, from 1 (0 when unknown).
    pub line: usize,
    /// Column in characters, from 1 (0 when unknown).
    pub column: usize,
    /// Dotted key path, e.g. `setting[1].model[0].factors`, when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Why an experiment file was rejected: every problem found, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecErrors(pub Vec<Diagnostic>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

/// Errors of loading and checking experiment specs.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("{}: cannot read experiment file: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but is invalid.
    #[error(transparent)]
    Invalid(#[from] SpecErrors),
}

/// Errors of running an experiment.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The experiment file is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A model named in the spec cannot be built by this build of `lfg`.
    #[error("model `{model}` not available: {reason}")]
    ModelUnavailable {
        /// The model kind.
        model: String,
        /// Why.
        reason: String,
    },
    /// A model failed to fit or predict.
    #[error("setting `{setting}`, model `{model}`, fold {fold}: {message}")]
    Model {
        /// Setting name.
        setting: String,
        /// Model label.
        model: String,
        /// Fold index.
        fold: usize,
        /// The model crate's error, rendered.
        message: String,
    },
    /// Loading the data set or splitting it failed.
    #[error("data: {0}")]
    Data(String),
    /// The tracking store failed.
    #[error("store: {0}")]
    Store(String),
    /// A metric could not be computed.
    #[error("metric: {0}")]
    Eval(String),
    /// `--resume` found nothing to resume.
    #[error("nothing to resume: {0}")]
    NothingToResume(String),
    /// The run was interrupted (Ctrl-C); finished folds are committed.
    #[error("interrupted: {done} of {total} fold jobs finished and committed; rerun with --resume")]
    Interrupted {
        /// Jobs committed.
        done: usize,
        /// Jobs planned.
        total: usize,
    },
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    ThreadPool(String),
    /// Some other invalid input.
    #[error("{0}")]
    Invalid(String),
}
