//! Result views for the CLI: `lfg show`, `lfg compare`, `lfg export` (JSON shapes and text
//! tables), built from the store's typed query results only.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lfg_store::{FoldStatus, MetricSummary, RunComparison, RunDetail, TrialResult};
use serde::Serialize;

/// Mean, sample std and per-fold values of one quantity (`null` where undefined).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stat {
    /// Mean over completed folds.
    pub mean: Option<f64>,
    /// Sample standard deviation (n - 1).
    pub std: Option<f64>,
    /// Values in fold order.
    pub folds: Vec<Option<f64>>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl Stat {
    /// Summary of `values` (NaN values are `null` and excluded from mean/std).
    pub fn of(values: &[f64]) -> Self {
        let s = MetricSummary::of(values);
        Self {
            mean: finite(s.mean),
            std: finite(s.std),
            folds: values.iter().map(|&v| finite(v)).collect(),
        }
    }
}

/// One row of `lfg show --json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShowResult {
    /// Setting name.
    pub setting: String,
    /// Protocol kind.
    pub protocol: String,
    /// Data set.
    pub dataset: String,
    /// Model label.
    pub model: String,
    /// New-user strategy, or null.
    pub strategy: Option<String>,
    /// Revealed ratings per new user (cold-start curve), or null.
    pub reveal: Option<u32>,
    /// Hyperparameters as recorded.
    pub hyperparameters: serde_json::Value,
    /// Completed fold indices (from 0), in order.
    pub fold_indices: Vec<usize>,
    /// Metric name -> statistics.
    pub metrics: BTreeMap<String, Stat>,
    /// Fit seconds.
    pub fit_seconds: Stat,
    /// Predict seconds (whole test fold).
    pub predict_seconds: Stat,
    /// Seconds to serve one new user, when measured.
    pub serve_seconds_per_user: Option<Stat>,
    /// Folds recorded as failed.
    pub failed_folds: Vec<usize>,
}

/// `lfg show --json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShowOutput {
    /// Run id.
    pub run: i64,
    /// Experiment name.
    pub experiment: String,
    /// Run status.
    pub status: String,
    /// Start time.
    pub started: String,
    /// End time.
    pub finished: Option<String>,
    /// Spec hash.
    pub spec_hash: String,
    /// Final trials.
    pub results: Vec<ShowResult>,
}

fn show_result(t: &TrialResult) -> ShowResult {
    let completed: Vec<_> = t
        .folds
        .iter()
        .filter(|f| f.status == FoldStatus::Completed)
        .collect();
    let metrics = t
        .metric_names()
        .into_iter()
        .map(|name| {
            let stat = Stat::of(&t.metric(&name));
            (name, stat)
        })
        .collect();
    let serve: Vec<f64> = completed
        .iter()
        .map(|f| {
            f.extra
                .get("serve-seconds-per-user")
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(f64::NAN)
        })
        .collect();
    ShowResult {
        setting: t.setting.clone(),
        protocol: t.protocol.clone(),
        dataset: t.dataset.clone(),
        model: t.model.clone(),
        strategy: t.strategy.clone(),
        reveal: t.reveal,
        hyperparameters: t.hyperparameters.clone(),
        fold_indices: t.completed_fold_indices(),
        metrics,
        fit_seconds: Stat::of(&t.fit_seconds()),
        predict_seconds: Stat::of(&t.predict_seconds()),
        serve_seconds_per_user: serve
            .iter()
            .any(|v| v.is_finite())
            .then(|| Stat::of(&serve)),
        failed_folds: t
            .folds
            .iter()
            .filter(|f| f.status == FoldStatus::Failed)
            .map(|f| f.index)
            .collect(),
    }
}

/// Builds `lfg show`'s data from a run's detail.
pub fn show(detail: &RunDetail) -> ShowOutput {
    ShowOutput {
        run: detail.run.run.get(),
        experiment: detail.run.experiment.clone(),
        status: detail.run.status.to_string(),
        started: detail.run.started.clone(),
        finished: detail.run.finished.clone(),
        spec_hash: detail.run.spec_hash.clone(),
        results: detail.results.iter().map(show_result).collect(),
    }
}

fn fmt_opt(x: Option<f64>, digits: usize) -> String {
    match x {
        Some(v) => format!("{v:.digits$}"),
        None => "-".into(),
    }
}

fn row_label(r: &ShowResult) -> String {
    let mut s = r.model.clone();
    if let Some(st) = &r.strategy
        && !s.contains(st.as_str())
    {
        let _ = write!(s, " ({st})");
    }
    if let Some(c) = r.reveal {
        let _ = write!(s, " @{c}");
    }
    s
}

/// `lfg show` as text: per setting, one line per model with mean ± std of each metric, then
/// per-fold values of each metric.
pub fn show_text(out: &ShowOutput) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "run {} · {} · {} · started {}{}",
        out.run,
        out.experiment,
        out.status,
        out.started,
        out.finished
            .as_ref()
            .map(|f| format!(" · finished {f}"))
            .unwrap_or_default()
    );
    let mut settings: Vec<&str> = Vec::new();
    for r in &out.results {
        if !settings.contains(&r.setting.as_str()) {
            settings.push(&r.setting);
        }
    }
    for setting in settings {
        let rows: Vec<&ShowResult> = out
            .results
            .iter()
            .filter(|r| r.setting == setting)
            .collect();
        let Some(first) = rows.first() else { continue };
        let _ = writeln!(s, "\n== {setting} ({}, {})", first.protocol, first.dataset);
        let mut metric_names: Vec<&str> = Vec::new();
        for r in &rows {
            for k in r.metrics.keys() {
                if !metric_names.contains(&k.as_str()) {
                    metric_names.push(k);
                }
            }
        }
        // Errors first, then ranking metrics.
        metric_names.sort_by_key(|m| (!matches!(*m, "rmse" | "mae" | "per-user-rmse"), *m));
        let labels: Vec<String> = rows.iter().map(|r| row_label(r)).collect();
        let w = labels.iter().map(String::len).max().unwrap_or(5).max(5);
        let _ = write!(s, "{:<w$}  {:>5}", "model", "folds");
        for m in &metric_names {
            let _ = write!(s, "  {:>17}", m);
        }
        let _ = writeln!(s, "  {:>9}", "fit s");
        for (r, label) in rows.iter().zip(&labels) {
            let _ = write!(s, "{label:<w$}  {:>5}", r.fold_indices.len());
            for m in &metric_names {
                let cell = match r.metrics.get(*m) {
                    Some(st) => format!("{} ± {}", fmt_opt(st.mean, 4), fmt_opt(st.std, 4)),
                    None => "-".into(),
                };
                let _ = write!(s, "  {cell:>17}");
            }
            let _ = writeln!(s, "  {:>9}", fmt_opt(r.fit_seconds.mean, 2));
            if !r.failed_folds.is_empty() {
                let _ = writeln!(s, "{:<w$}  failed folds: {:?}", "", r.failed_folds);
            }
        }
        for m in metric_names
            .iter()
            .filter(|m| matches!(**m, "rmse" | "mae"))
        {
            let _ = writeln!(s, "\n{m} per fold:");
            let n = rows
                .iter()
                .flat_map(|r| r.fold_indices.iter().copied())
                .max()
                .map_or(0, |x| x + 1);
            let _ = write!(s, "{:<w$}", "model");
            for f in 0..n {
                let _ = write!(s, "  {:>7}", format!("fold {}", f + 1));
            }
            let _ = writeln!(s);
            for (r, label) in rows.iter().zip(&labels) {
                let _ = write!(s, "{label:<w$}");
                let vals = r.metrics.get(*m);
                for f in 0..n {
                    let v = r
                        .fold_indices
                        .iter()
                        .position(|&i| i == f)
                        .and_then(|p| vals.and_then(|st| st.folds.get(p).copied().flatten()));
                    let _ = write!(s, "  {:>7}", fmt_opt(v, 4));
                }
                let _ = writeln!(s);
            }
        }
    }
    s
}

/// `lfg compare` as text.
pub fn compare_text(c: &RunComparison) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "a = run {} ({}, {})\nb = run {} ({}, {})\n",
        c.a.run, c.a.experiment, c.a.started, c.b.run, c.b.experiment, c.b.started
    );
    let _ = writeln!(
        s,
        "{:<14} {:<24} {:<16} {:>17} {:>17} {:>9}  same hp",
        "setting", "model", "metric", "a", "b", "b - a"
    );
    for r in &c.rows {
        let mut label = r.model.clone();
        if let Some(st) = &r.strategy
            && !label.contains(st.as_str())
        {
            let _ = write!(label, " ({st})");
        }
        if let Some(v) = r.reveal {
            let _ = write!(label, " @{v}");
        }
        let cell = |m: &Option<MetricSummary>| match m {
            Some(m) => format!(
                "{} ± {}",
                fmt_opt(finite(m.mean), 4),
                fmt_opt(finite(m.std), 4)
            ),
            None => "-".into(),
        };
        let _ = writeln!(
            s,
            "{:<14} {:<24} {:<16} {:>17} {:>17} {:>9}  {}",
            r.setting,
            label,
            r.metric,
            cell(&r.a),
            cell(&r.b),
            r.diff
                .map(|d| format!("{d:+.4}"))
                .unwrap_or_else(|| "-".into()),
            match r.same_hyperparameters {
                Some(true) => "yes",
                Some(false) => "no",
                None => "-",
            }
        );
    }
    s
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `lfg export --format csv`: one line per (trial, fold, metric), final and sweep trials.
pub fn export_csv(detail: &RunDetail) -> String {
    let mut s = String::from(
        "run,experiment,setting,protocol,dataset,model,strategy,reveal,role,hyperparameters,fold,status,seed,train_size,test_size,fit_seconds,predict_seconds,metric,value\n",
    );
    let sweep_trials = detail
        .sweeps
        .iter()
        .flat_map(|g| g.trials.iter().map(|t| &t.trial));
    for t in detail.results.iter().chain(sweep_trials) {
        for f in &t.folds {
            let metrics: Vec<(&String, &f64)> = f.metrics.iter().collect();
            let base = [
                detail.run.run.to_string(),
                csv_field(&detail.run.experiment),
                csv_field(&t.setting),
                csv_field(&t.protocol),
                csv_field(&t.dataset),
                csv_field(&t.model),
                csv_field(t.strategy.as_deref().unwrap_or("")),
                t.reveal.map(|r| r.to_string()).unwrap_or_default(),
                t.role.to_string(),
                csv_field(&t.hyperparameters.to_string()),
                (f.index + 1).to_string(),
                f.status.as_str().to_string(),
                f.seed.to_string(),
                f.train_size.map(|x| x.to_string()).unwrap_or_default(),
                f.test_size.map(|x| x.to_string()).unwrap_or_default(),
                f.fit_seconds.map(|x| x.to_string()).unwrap_or_default(),
                f.predict_seconds.map(|x| x.to_string()).unwrap_or_default(),
            ]
            .join(",");
            if metrics.is_empty() {
                let _ = writeln!(s, "{base},,");
            }
            for (name, v) in metrics {
                let v = if v.is_finite() {
                    v.to_string()
                } else {
                    String::new()
                };
                let _ = writeln!(s, "{base},{},{v}", csv_field(name));
            }
        }
    }
    s
}
