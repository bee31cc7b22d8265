//! Experiment specs (TOML), sweeps and the parallel runner of `lfg`.
//!
//! - [`spec`]: the typed, strictly validated form of `experiments/*.toml`
//!   ([`ExperimentSpec::load`]); errors name file, `line:column` and key;
//! - [`sweep`]: grid and seeded random hyperparameter search on inner validation splits;
//! - [`check`]: every hyperparameter checked by the model crates, without data (`lfg check`);
//! - [`runner`]: the parallel runner ([`run_experiment`]) recording into `lfg-store`;
//! - [`results`]: the views `lfg show`, `lfg compare` and `lfg export` print;
//! - [`seeds`]: seed derivation, `derive_seed(setting_seed, &[setting, trial, fold])`.

pub mod check;
pub mod data;
pub mod error;
pub mod models;
pub mod results;
pub mod runner;
pub mod seeds;
pub mod source;
pub mod spec;
pub mod sweep;

pub use check::{CheckSummary, check_spec};
pub use error::{Diagnostic, RunError, SpecError, SpecErrors};
pub use runner::{RunOptions, RunOutcome, run_experiment};
pub use spec::{
    DatasetSpec, ExperimentSpec, Metric, ModelKind, ModelSpec, Protocol, Reveal, SettingSpec,
    Strategy, UpstreamKind, UpstreamSpec,
};
pub use sweep::{Candidate, ParamSpace, SweepMethod, SweepSpec, TuneOn};
