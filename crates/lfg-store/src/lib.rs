//! lfg-store: the SQLite experiment-tracking store.
//!
//! A synchronous facade ([`Store`]) over an async sqlx `SqlitePool` driven by a private tokio
//! runtime, so the (synchronous, rayon-parallel) runner can call it from any thread.
//!
//! - Schema: `migrations/0001_init.sql`, embedded and applied at open (`_sqlx_migrations`).
//! - Files are opened in WAL mode, `synchronous = NORMAL`, foreign keys on, 5 s busy timeout.
//!   A lock held by another process beyond the timeout is [`StoreError::Locked`].
//! - Every finished fold (row, metrics, epochs, extra JSON) is written in one transaction
//!   ([`Store::record_fold`]): a killed process leaves either the whole fold or nothing.
//! - Resume: [`Store::finished_folds`] / [`Store::missing_folds`] per trial,
//!   [`Store::latest_run_for_experiment`], [`Store::resume_run`], [`Store::mark_interrupted`].
//! - Reuse across runs of an identical spec: [`Store::reuse_fold`].
//! - Typed, `Serialize` query results: [`Store::list_runs`], [`Store::run_detail`],
//!   [`Store::compare_runs`], [`Store::resolve_run`].
//!
//! ```no_run
//! use lfg_store::{FoldRecord, NewRun, SettingSpec, Store, TrialKey, TrialRole};
//! # fn main() -> Result<(), lfg_store::StoreError> {
//! let store = Store::open("results/lfg.sqlite")?;
//! let exp = store.ensure_experiment("paper-ml100k", "...toml text...")?;
//! store.ensure_setting(exp.id, &SettingSpec {
//!     name: "per-user".into(), description: None, dataset: "ml-100k".into(),
//!     protocol: "per-user".into(), params: serde_json::json!({"k": 5}),
//! })?;
//! let run = store.start_run(exp.id, &NewRun { lfg_version: "0.1.0".into(), ..NewRun::default() })?;
//! let trial = store.upsert_trial(run, &TrialKey {
//!     setting: "per-user".into(), model: "svd".into(), strategy: None, reveal: None,
//!     role: TrialRole::Final, hyperparameters: serde_json::json!({"factors": 100}),
//! })?;
//! for index in store.missing_folds(trial, 5)? {
//!     # let seed = 0;
//!     if store.reuse_fold(trial, index, seed)?.is_some() { continue; }
//!     store.record_fold(trial, &FoldRecord {
//!         index, seed, train_size: 80_000, test_size: 20_000, fit_seconds: 1.0,
//!         predict_seconds: 0.1, metrics: vec![("rmse".into(), 0.94)], epochs: vec![],
//!         extra: serde_json::Value::Null,
//!     })?;
//! }
//! store.finish_run(run, lfg_store::RunStatus::Completed)?;
//! # Ok(()) }
//! ```

mod error;
pub mod fixture;
mod ids;
mod queries;
mod store;
mod types;

pub use error::StoreError;
pub use ids::{ExperimentId, FoldId, RunId, TrialId};
pub use store::{
    DEFAULT_BUSY_TIMEOUT, DEFAULT_STORE_PATH, Store, StoreOptions, canonical_json,
    hyperparameters_hash, sha256_hex,
};
pub use types::{
    Artifact, ComparisonRow, EpochRow, Experiment, FoldRecord, FoldResult, FoldStatus, MetricFolds,
    MetricSummary, NewRun, RunComparison, RunDetail, RunInfo, RunStatus, RunSummary, SettingInfo,
    SettingSpec, SweepGroup, SweepTrial, TrialKey, TrialResult, TrialRole,
};

#[cfg(test)]
mod unit_tests;
