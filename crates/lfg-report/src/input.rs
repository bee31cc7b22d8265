//! [`ReportInput`]: plain data holding everything a report shows.
//!
//! It is filled from the store only (see [`crate::load_from_store`]) or built by hand in
//! tests; rendering never recomputes results from ratings. Everything is `serde`
//! (de)serialisable so a report input can be dumped to JSON and rendered elsewhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything one report needs: the run's metadata and one section per setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReportInput {
    /// Where the results come from.
    pub run: RunMeta,
    /// One entry per experiment setting (dataset x protocol x ...), in spec order.
    pub settings: Vec<SettingReport>,
}

/// Run metadata, so that a report can always be traced back to its run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RunMeta {
    /// Store run id, as displayed (e.g. `"42"`).
    pub run_id: String,
    /// Experiment name (the spec's `name`).
    pub experiment: String,
    /// Git commit the run was made from, when known.
    pub commit: Option<String>,
    /// Whether the work tree had uncommitted changes.
    pub dirty: bool,
    /// Start date/time of the run (RFC 3339 text, as stored).
    pub date: String,
    /// Host name of the machine that ran it.
    pub host: String,
    /// `lfg` version that produced the run.
    pub lfg_version: String,
    /// Hash of the experiment spec.
    pub spec_hash: String,
    /// Which sweep run chose the hyperparameters, if known (free text, e.g.
    /// `"run 17 (sweep-lfg-ml100k)"`).
    pub tuned_by: Option<String>,
    /// Wall-clock seconds of the whole run, if known.
    pub wall_seconds: Option<f64>,
}

/// One setting of an experiment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SettingReport {
    /// Setting name (unique within the run).
    pub name: String,
    /// Evaluation protocol, e.g. `"per-user"` or `"new-user"`.
    pub protocol: String,
    /// Dataset id, e.g. `"ml-100k"`.
    pub dataset: String,
    /// Free-text description from the spec.
    pub description: String,
    /// Paper table (1..=4) this setting reproduces, when tagged in the spec. When `None`,
    /// the paper table is matched by dataset and protocol (see [`crate::paper`]).
    pub paper_table: Option<u8>,
    /// One row per model variant (model x strategy).
    pub models: Vec<ModelReport>,
    /// Per-epoch training curves (any model that reports epochs).
    pub learning_curves: Vec<LearningCurve>,
    /// Hyperparameter sweeps whose trials belong to this setting.
    pub sweeps: Vec<SweepReport>,
    /// Cold-start curve points (RMSE against number of revealed ratings).
    pub cold_start: Vec<ColdStartPoint>,
    /// Paired comparisons across folds, precomputed by the caller.
    pub comparisons: Vec<PairedComparison>,
}

/// One model variant within a setting, with its per-fold results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ModelReport {
    /// Model label as recorded (the runner's label: the model kind such as `"svd"`,
    /// `"bias-svd"`, `"lfg"`, or `"bias-svd-fold-in"`, or the spec's `name`). Paper rows are
    /// matched on it (see [`crate::paper`]).
    pub model: String,
    /// New-user strategy (`"no-retrain"`, `"fold-in"`, `"retrain"`, ...), if any.
    pub strategy: Option<String>,
    /// Hyperparameters as recorded (JSON object).
    pub hyperparams: serde_json::Value,
    /// Results per fold, in fold order.
    pub folds: Vec<FoldResult>,
}

impl ModelReport {
    /// Display label: `model`, or `model (strategy)` when the model name does not already
    /// mention the strategy (the runner labels e.g. `bias-svd-fold-in`).
    pub fn label(&self) -> String {
        match &self.strategy {
            Some(s) if !s.is_empty() && !self.model.contains(s.as_str()) => {
                format!("{} ({s})", self.model)
            }
            _ => self.model.clone(),
        }
    }

    /// Values of `metric` over the folds that recorded it, in fold order.
    pub fn metric_values(&self, metric: &str) -> Vec<f64> {
        self.folds
            .iter()
            .filter_map(|f| f.metrics.get(metric).copied())
            .filter(|v| v.is_finite())
            .collect()
    }
}

/// Results of one model on one fold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FoldResult {
    /// Fold number as shown to users (1-based).
    pub fold: u32,
    /// Metric name -> value. Names used by the platform: `rmse`, `mae`, `per-user-rmse`,
    /// ranking metrics such as `precision@10`, `recall@10`, `ndcg@10`.
    pub metrics: BTreeMap<String, f64>,
    /// Seconds spent fitting.
    pub fit_seconds: f64,
    /// Seconds spent predicting the whole test set.
    pub predict_seconds: f64,
    /// Seconds to serve one new user (fold-in, generation or retrain), when measured.
    pub serve_seconds_per_user: Option<f64>,
}

/// Training curve of one model on one fold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LearningCurve {
    /// Model label (as [`ModelReport::label`]).
    pub model: String,
    /// Fold number (1-based).
    pub fold: u32,
    /// One point per epoch.
    pub points: Vec<EpochPoint>,
}

/// One epoch of a learning curve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct EpochPoint {
    /// Epoch number (1-based).
    pub epoch: u32,
    /// Mean training loss over the epoch.
    pub train_loss: Option<f64>,
    /// RMSE on the inner validation split, when evaluated.
    pub valid_rmse: Option<f64>,
}

/// The trials of one hyperparameter sweep.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SweepReport {
    /// Model swept.
    pub model: String,
    /// Validation metric name (e.g. `"valid-rmse"`).
    pub metric: String,
    /// Whether lower values of `metric` are better.
    pub lower_is_better: bool,
    /// Sweep run that produced the trials, when different from the report's run.
    pub run_id: Option<String>,
    /// The trials.
    pub trials: Vec<SweepTrial>,
}

/// One sweep trial: the swept hyperparameters and the validation metric it reached.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SweepTrial {
    /// Swept hyperparameters only (name -> JSON value: numbers, booleans or strings).
    pub params: BTreeMap<String, serde_json::Value>,
    /// Validation metric (mean over inner folds when there are several).
    pub metric: f64,
}

/// One point of the cold-start curve.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ColdStartPoint {
    /// Model label.
    pub model: String,
    /// Number of revealed ratings per new user.
    pub revealed: u32,
    /// RMSE on each fold.
    pub fold_rmse: Vec<f64>,
}

/// A paired comparison of two model rows across folds (A - B), computed by the caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PairedComparison {
    /// Label of model A.
    pub a: String,
    /// Label of model B.
    pub b: String,
    /// Metric compared (e.g. `"rmse"`).
    pub metric: String,
    /// Mean over folds of A - B.
    pub mean_diff: f64,
    /// Lower end of the 95% interval of the mean difference.
    pub ci_low: f64,
    /// Upper end of the 95% interval of the mean difference.
    pub ci_high: f64,
    /// p-value, when a test was run.
    pub p_value: Option<f64>,
    /// How the interval/p was computed (e.g. `"paired t-test"`, `"bootstrap"`).
    pub method: String,
}
