//! Filling a [`ReportInput`] from the tracking store (reads only; nothing is recomputed
//! from ratings).

use std::collections::BTreeMap;

use lfg_store::{FoldStatus, RunDetail, RunId, Store, TrialResult};
use serde_json::Value;

use crate::ReportError;
use crate::input::{
    ColdStartPoint, EpochPoint, FoldResult, LearningCurve, ModelReport, PairedComparison,
    ReportInput, RunMeta, SettingReport, SweepReport, SweepTrial,
};
use crate::stats::lower_is_better;

/// Read run `run` from `store` and map it to a [`ReportInput`].
///
/// - settings in registration order; `paper-table` from the setting's stored params;
/// - final trials without a reveal count are the model rows (completed folds only, fold
///   numbers 1-based, `serve-seconds-per-user` from each fold's extra JSON), their epochs the
///   learning curves; final trials with a reveal count are cold-start points;
/// - sweep groups become [`SweepReport`]s over the hyperparameters that vary between
///   candidates (nested objects flattened as `parent.key`), scored by `rmse` when recorded;
/// - paired comparisons: a paired t-test (`lfg_eval::paired_t_test`, folds matched by index)
///   of the best row on the headline metric against every other row;
/// - `tuned-by`: a `# tuned-by: ...` comment line of the spec text when present, else this
///   run's own sweeps when it has any.
pub fn load_from_store(store: &Store, run: RunId) -> Result<ReportInput, ReportError> {
    let detail = store.run_detail(run)?;
    Ok(from_detail(&detail))
}

fn tuned_by(detail: &RunDetail) -> Option<String> {
    let from_spec = detail.run.spec_text.lines().find_map(|l| {
        let l = l.trim_start();
        let rest = l.strip_prefix('#')?.trim_start();
        let rest = rest
            .strip_prefix("tuned-by:")
            .or_else(|| rest.strip_prefix("tuned_by:"))?;
        Some(rest.trim().to_string())
    });
    from_spec.or_else(|| {
        let chosen = detail
            .sweeps
            .iter()
            .filter(|g| g.trials.iter().any(|t| t.chosen))
            .count();
        (!detail.sweeps.is_empty()).then(|| {
            format!(
                "sweeps of this run (run {}): {} sweep group(s) on inner validation splits of training data; {} chose one candidate for every fold, {} chose per fold (each fold's choice is in its fold record)",
                detail.run.run,
                detail.sweeps.len(),
                chosen,
                detail.sweeps.len() - chosen
            )
        })
    })
}

fn label(model: &str, strategy: Option<&str>) -> String {
    ModelReport {
        model: model.to_string(),
        strategy: strategy.map(str::to_string),
        ..ModelReport::default()
    }
    .label()
}

fn completed(t: &TrialResult) -> impl Iterator<Item = &lfg_store::FoldResult> {
    t.folds.iter().filter(|f| f.status == FoldStatus::Completed)
}

fn model_row(t: &TrialResult) -> ModelReport {
    ModelReport {
        model: t.model.clone(),
        strategy: t.strategy.clone(),
        hyperparams: t.hyperparameters.clone(),
        folds: completed(t)
            .map(|f| FoldResult {
                fold: f.index as u32 + 1,
                metrics: f
                    .metrics
                    .iter()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(k, v)| (k.clone(), *v))
                    .collect(),
                fit_seconds: f.fit_seconds.unwrap_or(f64::NAN),
                predict_seconds: f.predict_seconds.unwrap_or(f64::NAN),
                serve_seconds_per_user: f
                    .extra
                    .get("serve-seconds-per-user")
                    .and_then(Value::as_f64),
            })
            .collect(),
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

fn comparisons(models: &[ModelReport]) -> Vec<PairedComparison> {
    let metric = if models
        .iter()
        .any(|m| m.folds.iter().any(|f| f.metrics.contains_key("rmse")))
    {
        "rmse".to_string()
    } else {
        match models
            .iter()
            .flat_map(|m| m.folds.iter().flat_map(|f| f.metrics.keys()))
            .next()
        {
            Some(m) => m.clone(),
            None => return Vec::new(),
        }
    };
    let lower = lower_is_better(&metric);
    let mean = |m: &ModelReport| {
        let v = m.metric_values(&metric);
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let Some(best) = models
        .iter()
        .filter_map(|m| mean(m).map(|x| (m, x)))
        .min_by(|a, b| {
            let o = a.1.total_cmp(&b.1);
            if lower { o } else { o.reverse() }
        })
        .map(|(m, _)| m)
    else {
        return Vec::new();
    };
    let by_fold = |m: &ModelReport| -> BTreeMap<u32, f64> {
        m.folds
            .iter()
            .filter_map(|f| f.metrics.get(&metric).map(|v| (f.fold, *v)))
            .collect()
    };
    let b_vals = by_fold(best);
    models
        .iter()
        .filter(|m| m.label() != best.label())
        .filter_map(|other| {
            let o_vals = by_fold(other);
            let (a, b): (Vec<f64>, Vec<f64>) = b_vals
                .iter()
                .filter_map(|(f, v)| o_vals.get(f).map(|o| (*v, *o)))
                .unzip();
            let t = lfg_eval::paired_t_test(&a, &b);
            (t.n >= 2 && t.mean_diff.is_finite() && t.ci95_low.is_finite()).then(|| {
                PairedComparison {
                    a: best.label(),
                    b: other.label(),
                    metric: metric.clone(),
                    mean_diff: t.mean_diff,
                    ci_low: t.ci95_low,
                    ci_high: t.ci95_high,
                    p_value: t.p_value.is_finite().then_some(t.p_value),
                    method: format!("paired t-test, {} folds", t.n),
                }
            })
        })
        .collect()
}

/// Map a run detail (as returned by [`Store::run_detail`]) to a [`ReportInput`].
pub fn from_detail(detail: &RunDetail) -> ReportInput {
    let r = &detail.run;
    let run = RunMeta {
        run_id: r.run.to_string(),
        experiment: r.experiment.clone(),
        commit: r.git_commit.clone(),
        dirty: r.git_dirty.unwrap_or(false),
        date: r.started.clone(),
        host: r.host.clone().unwrap_or_default(),
        lfg_version: r.lfg_version.clone(),
        spec_hash: r.spec_hash.clone(),
        tuned_by: tuned_by(detail),
        wall_seconds: None,
    };
    let settings = detail
        .settings
        .iter()
        .map(|s| {
            let trials: Vec<&TrialResult> = detail.results_for(&s.name).collect();
            let models: Vec<ModelReport> = trials
                .iter()
                .filter(|t| t.reveal.is_none())
                .map(|t| model_row(t))
                .collect();
            let learning_curves = trials
                .iter()
                .filter(|t| t.reveal.is_none())
                .flat_map(|t| {
                    let l = label(&t.model, t.strategy.as_deref());
                    completed(t)
                        .filter(|f| !f.epochs.is_empty())
                        .map(move |f| LearningCurve {
                            model: l.clone(),
                            fold: f.index as u32 + 1,
                            points: f
                                .epochs
                                .iter()
                                .map(|e| EpochPoint {
                                    epoch: e.epoch,
                                    train_loss: e.train_loss.is_finite().then_some(e.train_loss),
                                    valid_rmse: e.valid_rmse.filter(|v| v.is_finite()),
                                })
                                .collect(),
                        })
                })
                .collect();
            let cold_start = trials
                .iter()
                .filter_map(|t| {
                    t.reveal.map(|r| ColdStartPoint {
                        model: label(&t.model, t.strategy.as_deref()),
                        revealed: r,
                        fold_rmse: t
                            .metric("rmse")
                            .into_iter()
                            .filter(|v| v.is_finite())
                            .collect(),
                    })
                })
                .filter(|p| !p.fold_rmse.is_empty())
                .collect();
            let sweeps = detail
                .sweeps
                .iter()
                .filter(|g| g.setting == s.name && g.reveal.is_none())
                .filter_map(|g| {
                    let metric = if g.trials.iter().any(|t| t.mean_metrics.contains_key("rmse")) {
                        "rmse".to_string()
                    } else {
                        g.trials
                            .iter()
                            .flat_map(|t| t.mean_metrics.keys())
                            .next()?
                            .clone()
                    };
                    let flat: Vec<BTreeMap<String, Value>> = g
                        .trials
                        .iter()
                        .map(|t| {
                            let mut m = BTreeMap::new();
                            flatten("", &t.trial.hyperparameters, &mut m);
                            m
                        })
                        .collect();
                    // swept = keys whose value differs between candidates
                    let mut keys: Vec<&String> = flat.iter().flat_map(|m| m.keys()).collect();
                    keys.sort();
                    keys.dedup();
                    let swept: Vec<String> = keys
                        .into_iter()
                        .filter(|k| {
                            let first = flat.first().and_then(|m| m.get(*k));
                            flat.iter().any(|m| m.get(*k) != first)
                        })
                        .cloned()
                        .collect();
                    let trials = g
                        .trials
                        .iter()
                        .zip(&flat)
                        .filter_map(|(t, f)| {
                            t.mean_metrics
                                .get(&metric)
                                .filter(|v| v.is_finite())
                                .map(|v| SweepTrial {
                                    params: swept
                                        .iter()
                                        .filter_map(|k| f.get(k).map(|x| (k.clone(), x.clone())))
                                        .collect(),
                                    metric: *v,
                                })
                        })
                        .collect::<Vec<_>>();
                    (!trials.is_empty()).then(|| SweepReport {
                        model: label(&g.model, g.strategy.as_deref()),
                        lower_is_better: lower_is_better(&metric),
                        metric: format!("valid-{metric}"),
                        run_id: Some(r.run.to_string()),
                        trials,
                    })
                })
                .collect();
            let comparisons = comparisons(&models);
            SettingReport {
                name: s.name.clone(),
                protocol: s.protocol.clone(),
                dataset: s.dataset.clone(),
                description: s.description.clone().unwrap_or_default(),
                paper_table: s
                    .params
                    .get("paper-table")
                    .or_else(|| s.params.get("paper_table"))
                    .and_then(Value::as_u64)
                    .and_then(|n| u8::try_from(n).ok()),
                models,
                learning_curves,
                sweeps,
                cold_start,
                comparisons,
            }
        })
        .collect();
    ReportInput { run, settings }
}
