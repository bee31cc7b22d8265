//! Inputs written by the runner and typed results read by the CLI and the reports.
//!
//! Every result type is `Serialize` so the CLI can print it as JSON.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{ExperimentId, FoldId, RunId, TrialId};

/// Status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Started and not finished (or killed without a chance to mark it).
    Running,
    /// Every trial and fold finished.
    Completed,
    /// Stopped by an error.
    Failed,
    /// Stopped by Ctrl-C / a signal; `lfg run --resume` finishes it.
    Interrupted,
}

impl RunStatus {
    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "running" => Ok(Self::Running),
            "completed" => Ok(Self::Completed),
            "failed" => Ok(Self::Failed),
            "interrupted" => Ok(Self::Interrupted),
            other => Err(other.to_owned()),
        }
    }
}

/// Role of a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrialRole {
    /// A sweep candidate, evaluated on inner validation splits of training data only.
    Sweep,
    /// The evaluated configuration, on the test folds.
    Final,
}

impl TrialRole {
    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sweep => "sweep",
            Self::Final => "final",
        }
    }
}

impl fmt::Display for TrialRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TrialRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sweep" => Ok(Self::Sweep),
            "final" => Ok(Self::Final),
            other => Err(other.to_owned()),
        }
    }
}

/// Status of a recorded fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FoldStatus {
    /// Fit, predicted and scored; metrics present.
    Completed,
    /// Failed with an error message; no metrics. A later `record_fold` replaces it.
    Failed,
}

impl FoldStatus {
    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

impl FromStr for FoldStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "completed" => Ok(Self::Completed),
            "failed" => Ok(Self::Failed),
            other => Err(other.to_owned()),
        }
    }
}

// ---------------------------------------------------------------- inputs

/// Provenance of a run, written once by [`crate::Store::start_run`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewRun {
    /// `git rev-parse HEAD`, when known.
    pub git_commit: Option<String>,
    /// Whether the work tree had uncommitted changes, when known.
    pub git_dirty: Option<bool>,
    /// Host name, when known.
    pub host: Option<String>,
    /// `CARGO_PKG_VERSION` of the binary.
    pub lfg_version: String,
    /// The command line (stored as a JSON array).
    pub cli_args: Vec<String>,
}

/// One evaluation setting of an experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingSpec {
    /// Unique within the experiment, e.g. `per-user`.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Dataset label, e.g. `ml-100k`.
    pub dataset: String,
    /// Protocol label: `per-user`, `new-user`, `random`, `predefined`.
    pub protocol: String,
    /// Protocol parameters (k, seed, reveal, metrics...), free JSON.
    pub params: Value,
}

/// Identity of a trial within a run. `upsert_trial` with an equal key returns the same trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialKey {
    /// Name of a setting registered with [`crate::Store::ensure_setting`].
    pub setting: String,
    /// Model label as written in the experiment file, e.g. `bias-svd`.
    pub model: String,
    /// New-user strategy (`no-retrain`, `fold-in`, `retrain`, `generate`); `None` otherwise.
    pub strategy: Option<String>,
    /// Number of revealed ratings per new user (cold-start curve); `None` otherwise.
    pub reveal: Option<u32>,
    /// Sweep candidate or final configuration.
    pub role: TrialRole,
    /// Hyperparameters. Hashed in canonical form (keys sorted), so key order does not matter.
    pub hyperparameters: Value,
}

/// One epoch of a learning curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochRow {
    /// Epoch number (as reported by the model, usually from 1).
    pub epoch: u32,
    /// Training loss (NaN when unknown).
    pub train_loss: f64,
    /// Validation RMSE when a validation set was given.
    pub valid_rmse: Option<f64>,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
}

/// Everything about one finished fold, written in one transaction by [`crate::Store::record_fold`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldRecord {
    /// Fold index (0-based).
    pub index: usize,
    /// The seed the fold was run with.
    pub seed: u64,
    /// Number of training ratings.
    pub train_size: usize,
    /// Number of test (or validation, for sweeps) ratings.
    pub test_size: usize,
    /// Seconds spent fitting.
    pub fit_seconds: f64,
    /// Seconds spent predicting the test set.
    pub predict_seconds: f64,
    /// Metric name and value, e.g. `("rmse", 0.91)`. Names must be unique. NaN is stored as NULL
    /// and read back as NaN.
    pub metrics: Vec<(String, f64)>,
    /// Learning curve (empty for models without epochs).
    pub epochs: Vec<EpochRow>,
    /// Anything else (e.g. `{"serve-seconds-per-user": 1e-4, "revealed": 5}`); `Value::Null` if none.
    pub extra: Value,
}

// ---------------------------------------------------------------- results

/// An experiment row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Experiment {
    /// Row id.
    pub id: ExperimentId,
    /// Experiment name.
    pub name: String,
    /// SHA-256 (hex) of the spec text, or the caller's hash.
    pub spec_hash: String,
    /// Creation time (UTC, ISO-8601).
    pub created: String,
}

/// One line of `lfg runs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// Run id.
    pub run: RunId,
    /// Experiment name.
    pub experiment: String,
    /// Status.
    pub status: RunStatus,
    /// Start time (UTC, ISO-8601).
    pub started: String,
    /// End time, `None` while running.
    pub finished: Option<String>,
    /// Experiment id.
    pub experiment_id: ExperimentId,
    /// Spec hash of the experiment.
    pub spec_hash: String,
}

/// Full metadata of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    /// Run id.
    pub run: RunId,
    /// Experiment name.
    pub experiment: String,
    /// Experiment id.
    pub experiment_id: ExperimentId,
    /// Spec hash.
    pub spec_hash: String,
    /// The experiment file text this run executed.
    pub spec_text: String,
    /// Status.
    pub status: RunStatus,
    /// Start time.
    pub started: String,
    /// End time.
    pub finished: Option<String>,
    /// Git commit.
    pub git_commit: Option<String>,
    /// Work tree had uncommitted changes.
    pub git_dirty: Option<bool>,
    /// Host name.
    pub host: Option<String>,
    /// lfg version.
    pub lfg_version: String,
    /// Command line.
    pub cli_args: Vec<String>,
    /// Failure / interruption message.
    pub message: Option<String>,
}

/// A registered setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingInfo {
    /// Setting name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Dataset label.
    pub dataset: String,
    /// Protocol label.
    pub protocol: String,
    /// Protocol parameters.
    pub params: Value,
}

/// One recorded fold, as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldResult {
    /// Row id.
    pub fold: FoldId,
    /// Fold index.
    pub index: usize,
    /// Seed.
    pub seed: u64,
    /// Completed or failed.
    pub status: FoldStatus,
    /// Training ratings (None for failed folds).
    pub train_size: Option<usize>,
    /// Test ratings.
    pub test_size: Option<usize>,
    /// Fit seconds.
    pub fit_seconds: Option<f64>,
    /// Predict seconds.
    pub predict_seconds: Option<f64>,
    /// When it was recorded.
    pub finished: String,
    /// Error message of a failed fold.
    pub error: Option<String>,
    /// The original fold when this one was reused from an earlier run.
    pub reused_from: Option<FoldId>,
    /// Metric values by name.
    pub metrics: BTreeMap<String, f64>,
    /// Learning curve, ordered by epoch.
    pub epochs: Vec<EpochRow>,
    /// Extra JSON.
    pub extra: Value,
}

/// Mean and sample standard deviation over folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MetricSummary {
    /// Number of finite values used.
    pub n: usize,
    /// Mean (NaN when n = 0).
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator; 0 when n = 1, NaN when n = 0).
    pub std: f64,
}

impl MetricSummary {
    /// Summary of the finite values among `values`.
    pub fn of(values: &[f64]) -> Self {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let n = finite.len();
        if n == 0 {
            return Self {
                n,
                mean: f64::NAN,
                std: f64::NAN,
            };
        }
        let mean = finite.iter().sum::<f64>() / n as f64;
        let std = if n > 1 {
            (finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Self { n, mean, std }
    }
}

/// A metric over folds: summary plus the per-fold values (the `lfg show --json` shape).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricFolds {
    /// Mean over finite fold values.
    pub mean: f64,
    /// Sample standard deviation.
    pub std: f64,
    /// Number of finite values.
    pub n: usize,
    /// Values in fold order (completed folds; NaN where missing).
    pub folds: Vec<f64>,
}

impl MetricFolds {
    /// Summary and values of `values`.
    pub fn of(values: Vec<f64>) -> Self {
        let s = MetricSummary::of(&values);
        Self {
            mean: s.mean,
            std: s.std,
            n: s.n,
            folds: values,
        }
    }
}

/// One trial with all its folds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialResult {
    /// Trial id.
    pub trial: TrialId,
    /// Setting name.
    pub setting: String,
    /// Protocol of the setting.
    pub protocol: String,
    /// Dataset of the setting.
    pub dataset: String,
    /// Model label.
    pub model: String,
    /// New-user strategy.
    pub strategy: Option<String>,
    /// Revealed ratings per new user (cold-start curve).
    pub reveal: Option<u32>,
    /// Sweep or final.
    pub role: TrialRole,
    /// Hyperparameters as written.
    pub hyperparameters: Value,
    /// Hash of the canonical hyperparameters.
    pub hparams_hash: String,
    /// Folds ordered by index.
    pub folds: Vec<FoldResult>,
}

impl TrialResult {
    fn completed(&self) -> impl Iterator<Item = &FoldResult> {
        self.folds
            .iter()
            .filter(|f| f.status == FoldStatus::Completed)
    }

    /// Values of a metric over completed folds, in fold order (NaN where a fold lacks it).
    pub fn metric(&self, name: &str) -> Vec<f64> {
        self.completed()
            .map(|f| f.metrics.get(name).copied().unwrap_or(f64::NAN))
            .collect()
    }

    /// Mean and std of a metric over completed folds.
    pub fn metric_summary(&self, name: &str) -> MetricSummary {
        MetricSummary::of(&self.metric(name))
    }

    /// Every metric with mean, std and per-fold values, by name.
    pub fn metric_stats(&self) -> BTreeMap<String, MetricFolds> {
        self.metric_names()
            .into_iter()
            .map(|m| {
                let v = self.metric(&m);
                (m, MetricFolds::of(v))
            })
            .collect()
    }

    /// Every metric name present in any fold, sorted.
    pub fn metric_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .folds
            .iter()
            .flat_map(|f| f.metrics.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Fit seconds over completed folds, in fold order.
    pub fn fit_seconds(&self) -> Vec<f64> {
        self.completed()
            .map(|f| f.fit_seconds.unwrap_or(f64::NAN))
            .collect()
    }

    /// Predict seconds over completed folds, in fold order.
    pub fn predict_seconds(&self) -> Vec<f64> {
        self.completed()
            .map(|f| f.predict_seconds.unwrap_or(f64::NAN))
            .collect()
    }

    /// Indices of completed folds.
    pub fn completed_fold_indices(&self) -> Vec<usize> {
        self.completed().map(|f| f.index).collect()
    }
}

/// One sweep candidate with its validation metrics averaged over folds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepTrial {
    /// The candidate (role = sweep).
    pub trial: TrialResult,
    /// Mean of each metric over its completed folds (validation metrics).
    pub mean_metrics: BTreeMap<String, f64>,
    /// True when a final trial of the same group has the same hyperparameters hash.
    pub chosen: bool,
}

/// The sweep of one (setting, model, strategy, reveal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepGroup {
    /// Setting name.
    pub setting: String,
    /// Model label.
    pub model: String,
    /// Strategy.
    pub strategy: Option<String>,
    /// Reveal count.
    pub reveal: Option<u32>,
    /// The final trial evaluated with the chosen hyperparameters, when recorded.
    pub final_trial: Option<TrialId>,
    /// Candidates in creation order.
    pub trials: Vec<SweepTrial>,
}

/// A saved artifact (e.g. a model directory).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Artifact {
    /// Row id.
    pub id: i64,
    /// Run.
    pub run: RunId,
    /// Trial, when the artifact belongs to one.
    pub trial: Option<TrialId>,
    /// Fold index, when it belongs to one fold.
    pub fold_index: Option<usize>,
    /// Free label, e.g. `model`.
    pub kind: String,
    /// Path as given.
    pub path: String,
    /// When recorded.
    pub created: String,
}

/// Everything about one run: what `lfg show` and the reports read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunDetail {
    /// Metadata.
    pub run: RunInfo,
    /// Settings of the experiment, in registration order.
    pub settings: Vec<SettingInfo>,
    /// Final trials (role = final), by setting order then creation order.
    pub results: Vec<TrialResult>,
    /// Sweep candidates grouped by (setting, model, strategy, reveal).
    pub sweeps: Vec<SweepGroup>,
    /// Saved artifacts.
    pub artifacts: Vec<Artifact>,
}

impl RunDetail {
    /// Final trials of one setting.
    pub fn results_for<'a>(&'a self, setting: &'a str) -> impl Iterator<Item = &'a TrialResult> {
        self.results.iter().filter(move |t| t.setting == setting)
    }
}

/// One (setting, model, strategy, reveal, metric) line of a run comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    /// Setting name.
    pub setting: String,
    /// Model label.
    pub model: String,
    /// Strategy.
    pub strategy: Option<String>,
    /// Reveal count.
    pub reveal: Option<u32>,
    /// Metric name.
    pub metric: String,
    /// Summary in run a (`None`: key absent from a).
    pub a: Option<MetricSummary>,
    /// Summary in run b.
    pub b: Option<MetricSummary>,
    /// `b.mean - a.mean` when both exist.
    pub diff: Option<f64>,
    /// Whether both runs used the same hyperparameters (`None` if one side is missing).
    pub same_hyperparameters: Option<bool>,
}

/// `lfg compare a b`: final trials of two runs joined on (setting, model, strategy, reveal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunComparison {
    /// Run a.
    pub a: RunSummary,
    /// Run b.
    pub b: RunSummary,
    /// Rows sorted by setting, model, strategy, reveal, metric.
    pub rows: Vec<ComparisonRow>,
}
