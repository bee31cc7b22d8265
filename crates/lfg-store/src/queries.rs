//! Typed read queries used by the CLI and the reports.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

use serde_json::Value;
use sqlx::AssertSqlSafe;

use crate::error::StoreError;
use crate::ids::{ExperimentId, FoldId, RunId, TrialId};
use crate::store::{Store, seed_from_db};
use crate::types::{
    Artifact, ComparisonRow, EpochRow, Experiment, FoldResult, FoldStatus, RunComparison,
    RunDetail, RunInfo, RunStatus, RunSummary, SettingInfo, SweepGroup, SweepTrial, TrialResult,
    TrialRole,
};

type SummaryRow = (i64, String, String, Option<String>, i64, String, String);
type TrialRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    String,
    String,
    String,
);
type FoldRow = (
    i64,
    i64,
    i64,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<f64>,
    Option<f64>,
    String,
    String,
    Option<String>,
    Option<i64>,
);

type EpochDbRow = (i64, i64, Option<f64>, Option<f64>, Option<f64>);

/// Group key of a trial across runs / within a sweep.
type GroupKey = (String, String, Option<String>, Option<u32>);

fn nan(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

impl Store {
    fn usize_col(&self, what: &'static str, v: i64) -> Result<usize, StoreError> {
        usize::try_from(v).map_err(|_| self.corrupt(what, v.to_string()))
    }

    fn status(&self, s: &str) -> Result<RunStatus, StoreError> {
        RunStatus::from_str(s).map_err(|v| self.corrupt("runs.status", v))
    }

    pub(crate) fn run_summaries(
        &self,
        tail: &str,
        args: &[&str],
    ) -> Result<Vec<RunSummary>, StoreError> {
        let sql = format!(
            "SELECT r.id, e.name, r.started, r.finished, e.id, e.spec_hash, r.status \
             FROM runs r JOIN experiments e ON e.id = r.experiment_id {tail}"
        );
        let rows: Vec<SummaryRow> = self.rt.block_on(async {
            let mut q = sqlx::query_as(AssertSqlSafe(sql));
            for a in args {
                q = q.bind(*a);
            }
            q.fetch_all(&self.reader)
                .await
                .map_err(self.err("listing runs"))
        })?;
        rows.into_iter()
            .map(
                |(id, experiment, started, finished, eid, spec_hash, status)| {
                    Ok(RunSummary {
                        run: RunId(id),
                        experiment,
                        status: self.status(&status)?,
                        started,
                        finished,
                        experiment_id: ExperimentId(eid),
                        spec_hash,
                    })
                },
            )
            .collect()
    }

    /// Every run, oldest first.
    pub fn list_runs(&self) -> Result<Vec<RunSummary>, StoreError> {
        self.run_summaries("ORDER BY r.id", &[])
    }

    /// Every experiment, oldest first.
    pub fn list_experiments(&self) -> Result<Vec<Experiment>, StoreError> {
        let rows: Vec<(i64, String, String, String)> = self.rt.block_on(async {
            sqlx::query_as("SELECT id, name, spec_hash, created FROM experiments ORDER BY id")
                .fetch_all(&self.reader)
                .await
                .map_err(self.err("listing experiments"))
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, name, spec_hash, created)| Experiment {
                id: ExperimentId(id),
                name,
                spec_hash,
                created,
            })
            .collect())
    }

    /// Resolves what a user typed: `latest` (most recent run), a run id, or an experiment name /
    /// spec hash (its most recent run).
    pub fn resolve_run(&self, reference: &str) -> Result<RunId, StoreError> {
        let r = reference.trim();
        if r.eq_ignore_ascii_case("latest") {
            let rows = self.run_summaries("ORDER BY r.id DESC LIMIT 1", &[])?;
            return rows
                .first()
                .map(|s| s.run)
                .ok_or_else(|| StoreError::UnknownRunRef(reference.to_owned()));
        }
        if let Ok(id) = r.parse::<i64>() {
            let rows = self.run_summaries("WHERE r.id = ?", &[r])?;
            return rows
                .first()
                .map(|s| s.run)
                .ok_or(StoreError::UnknownRun(RunId(id)));
        }
        self.latest_run_for_experiment(r)?
            .map(|s| s.run)
            .ok_or_else(|| StoreError::UnknownRunRef(reference.to_owned()))
    }

    /// Metadata of one run.
    pub fn run_info(&self, run: RunId) -> Result<RunInfo, StoreError> {
        type Row = (
            i64,
            String,
            i64,
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<bool>,
            Option<String>,
            String,
            String,
            Option<String>,
        );
        let row: Option<Row> = self.rt.block_on(async {
            sqlx::query_as(
                "SELECT r.id, e.name, e.id, e.spec_hash, e.spec_text, r.status, r.started, \
                 r.finished, r.git_commit, r.git_dirty, r.host, r.lfg_version, r.cli_args, r.message \
                 FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?",
            )
            .bind(run.0)
            .fetch_optional(&self.reader)
            .await
            .map_err(self.err(&format!("reading run {run}")))
        })?;
        let Some((
            id,
            experiment,
            eid,
            spec_hash,
            spec_text,
            status,
            started,
            finished,
            git_commit,
            git_dirty,
            host,
            lfg_version,
            cli_args,
            message,
        )) = row
        else {
            return Err(StoreError::UnknownRun(run));
        };
        Ok(RunInfo {
            run: RunId(id),
            experiment,
            experiment_id: ExperimentId(eid),
            spec_hash,
            spec_text,
            status: self.status(&status)?,
            started,
            finished,
            git_commit,
            git_dirty,
            host,
            lfg_version,
            cli_args: serde_json::from_str(&cli_args).map_err(self.json_err("runs.cli_args"))?,
            message,
        })
    }

    /// Artifacts of a run, in recording order.
    pub fn run_artifacts(&self, run: RunId) -> Result<Vec<Artifact>, StoreError> {
        type Row = (i64, i64, Option<i64>, Option<i64>, String, String, String);
        let rows: Vec<Row> = self.rt.block_on(async {
            sqlx::query_as(
                "SELECT id, run_id, trial_id, fold_index, kind, path, created FROM artifacts \
                 WHERE run_id = ? ORDER BY id",
            )
            .bind(run.0)
            .fetch_all(&self.reader)
            .await
            .map_err(self.err(&format!("listing artifacts of run {run}")))
        })?;
        rows.into_iter()
            .map(|(id, run, trial, fold_index, kind, path, created)| {
                Ok(Artifact {
                    id,
                    run: RunId(run),
                    trial: trial.map(TrialId),
                    fold_index: fold_index
                        .map(|i| self.usize_col("artifacts.fold_index", i))
                        .transpose()?,
                    kind,
                    path,
                    created,
                })
            })
            .collect()
    }

    /// Settings of an experiment in registration order.
    pub fn settings(&self, experiment: ExperimentId) -> Result<Vec<SettingInfo>, StoreError> {
        let rows: Vec<(String, Option<String>, String, String, String)> =
            self.rt.block_on(async {
                sqlx::query_as(
                    "SELECT name, description, dataset, protocol, params FROM settings \
                     WHERE experiment_id = ? ORDER BY id",
                )
                .bind(experiment.0)
                .fetch_all(&self.reader)
                .await
                .map_err(self.err(&format!("listing settings of experiment {experiment}")))
            })?;
        rows.into_iter()
            .map(|(name, description, dataset, protocol, params)| {
                Ok(SettingInfo {
                    name,
                    description,
                    dataset,
                    protocol,
                    params: serde_json::from_str(&params)
                        .map_err(self.json_err("settings.params"))?,
                })
            })
            .collect()
    }

    /// Every trial of a run (sweep and final) with all folds, metrics and epochs, ordered by
    /// setting registration order, then trial creation order; folds by index.
    pub fn run_trials(&self, run: RunId) -> Result<Vec<TrialResult>, StoreError> {
        let ctx = format!("reading trials of run {run}");
        let (trials, folds, metrics, epochs) = self.rt.block_on(async {
            let trials: Vec<TrialRow> = sqlx::query_as(
                "SELECT t.id, s.name, s.protocol, s.dataset, t.model, t.strategy, t.reveal, t.role, \
                 t.hyperparameters, t.hparams_hash FROM trials t JOIN settings s ON s.id = t.setting_id \
                 WHERE t.run_id = ? ORDER BY s.id, t.id",
            )
            .bind(run.0)
            .fetch_all(&self.reader)
            .await
            .map_err(self.err(&ctx))?;
            let folds: Vec<FoldRow> = sqlx::query_as(
                "SELECT f.id, f.trial_id, f.fold_index, f.seed, f.status, f.train_size, f.test_size, \
                 f.fit_seconds, f.predict_seconds, f.finished, f.extra, f.error, f.reused_from \
                 FROM folds f JOIN trials t ON t.id = f.trial_id WHERE t.run_id = ? \
                 ORDER BY f.trial_id, f.fold_index",
            )
            .bind(run.0)
            .fetch_all(&self.reader)
            .await
            .map_err(self.err(&ctx))?;
            let metrics: Vec<(i64, String, Option<f64>)> = sqlx::query_as(
                "SELECT m.fold_id, m.name, m.value FROM metrics m JOIN folds f ON f.id = m.fold_id \
                 JOIN trials t ON t.id = f.trial_id WHERE t.run_id = ?",
            )
            .bind(run.0)
            .fetch_all(&self.reader)
            .await
            .map_err(self.err(&ctx))?;
            let epochs: Vec<EpochDbRow> = sqlx::query_as(
                "SELECT e.fold_id, e.epoch, e.train_loss, e.valid_rmse, e.seconds FROM epochs e \
                 JOIN folds f ON f.id = e.fold_id JOIN trials t ON t.id = f.trial_id \
                 WHERE t.run_id = ? ORDER BY e.fold_id, e.epoch",
            )
            .bind(run.0)
            .fetch_all(&self.reader)
            .await
            .map_err(self.err(&ctx))?;
            Ok::<_, StoreError>((trials, folds, metrics, epochs))
        })?;

        let mut metric_map: HashMap<i64, BTreeMap<String, f64>> = HashMap::new();
        for (fold, name, value) in metrics {
            metric_map.entry(fold).or_default().insert(name, nan(value));
        }
        let mut epoch_map: HashMap<i64, Vec<EpochRow>> = HashMap::new();
        for (fold, epoch, train_loss, valid_rmse, seconds) in epochs {
            let epoch = u32::try_from(epoch)
                .map_err(|_| self.corrupt("epochs.epoch", epoch.to_string()))?;
            epoch_map.entry(fold).or_default().push(EpochRow {
                epoch,
                train_loss: nan(train_loss),
                valid_rmse,
                seconds: nan(seconds),
            });
        }
        let mut fold_map: HashMap<i64, Vec<FoldResult>> = HashMap::new();
        for (
            id,
            trial,
            index,
            seed,
            status,
            train_size,
            test_size,
            fit_seconds,
            predict_seconds,
            finished,
            extra,
            error,
            reused_from,
        ) in folds
        {
            let status =
                FoldStatus::from_str(&status).map_err(|v| self.corrupt("folds.status", v))?;
            fold_map.entry(trial).or_default().push(FoldResult {
                fold: FoldId(id),
                index: self.usize_col("folds.fold_index", index)?,
                seed: seed_from_db(seed),
                status,
                train_size: train_size
                    .map(|v| self.usize_col("folds.train_size", v))
                    .transpose()?,
                test_size: test_size
                    .map(|v| self.usize_col("folds.test_size", v))
                    .transpose()?,
                fit_seconds,
                predict_seconds,
                finished,
                error,
                reused_from: reused_from.map(FoldId),
                metrics: metric_map.remove(&id).unwrap_or_default(),
                epochs: epoch_map.remove(&id).unwrap_or_default(),
                extra: serde_json::from_str::<Value>(&extra)
                    .map_err(self.json_err("folds.extra"))?,
            });
        }
        trials
            .into_iter()
            .map(
                |(id, setting, protocol, dataset, model, strategy, reveal, role, hparams, hash)| {
                    Ok(TrialResult {
                        trial: TrialId(id),
                        setting,
                        protocol,
                        dataset,
                        model,
                        strategy,
                        reveal: reveal
                            .map(|r| {
                                u32::try_from(r)
                                    .map_err(|_| self.corrupt("trials.reveal", r.to_string()))
                            })
                            .transpose()?,
                        role: self.parse_role(&role)?,
                        hyperparameters: serde_json::from_str(&hparams)
                            .map_err(self.json_err("trials.hyperparameters"))?,
                        hparams_hash: hash,
                        folds: fold_map.remove(&id).unwrap_or_default(),
                    })
                },
            )
            .collect()
    }

    /// Everything about a run: metadata, settings, final trials with per-fold metrics, timings and
    /// learning curves, sweeps with validation metrics and the chosen candidate, artifacts.
    pub fn run_detail(&self, run: RunId) -> Result<RunDetail, StoreError> {
        let info = self.run_info(run)?;
        let settings = self.settings(info.experiment_id)?;
        let trials = self.run_trials(run)?;
        let artifacts = self.run_artifacts(run)?;
        let (results, sweep_trials): (Vec<TrialResult>, Vec<TrialResult>) =
            trials.into_iter().partition(|t| t.role == TrialRole::Final);
        let mut sweeps: Vec<SweepGroup> = Vec::new();
        for t in sweep_trials {
            let key: GroupKey = group_key(&t);
            let final_trial = results.iter().find(|f| group_key(f) == key);
            let chosen = final_trial.is_some_and(|f| f.hparams_hash == t.hparams_hash);
            let mean_metrics = t
                .metric_names()
                .into_iter()
                .map(|m| {
                    let s = t.metric_summary(&m);
                    (m, s.mean)
                })
                .collect();
            let entry = SweepTrial {
                trial: t,
                mean_metrics,
                chosen,
            };
            match sweeps.iter_mut().find(|g| {
                (
                    g.setting.clone(),
                    g.model.clone(),
                    g.strategy.clone(),
                    g.reveal,
                ) == key
            }) {
                Some(g) => g.trials.push(entry),
                None => sweeps.push(SweepGroup {
                    setting: key.0,
                    model: key.1,
                    strategy: key.2,
                    reveal: key.3,
                    final_trial: final_trial.map(|f| f.trial),
                    trials: vec![entry],
                }),
            }
        }
        Ok(RunDetail {
            run: info,
            settings,
            results,
            sweeps,
            artifacts,
        })
    }

    /// Compares the final trials of two runs, joined on (setting, model, strategy, reveal); one
    /// row per metric present on either side. `diff = b.mean - a.mean`.
    pub fn compare_runs(&self, a: RunId, b: RunId) -> Result<RunComparison, StoreError> {
        let summary = |run: RunId| -> Result<RunSummary, StoreError> {
            let id = run.0.to_string();
            self.run_summaries("WHERE r.id = ?", &[&id])?
                .into_iter()
                .next()
                .ok_or(StoreError::UnknownRun(run))
        };
        let (sa, sb) = (summary(a)?, summary(b)?);
        let finals = |run: RunId| -> Result<BTreeMap<GroupKey, TrialResult>, StoreError> {
            Ok(self
                .run_trials(run)?
                .into_iter()
                .filter(|t| t.role == TrialRole::Final)
                .map(|t| (group_key(&t), t))
                .collect())
        };
        let (ta, tb) = (finals(a)?, finals(b)?);
        let keys: BTreeSet<&GroupKey> = ta.keys().chain(tb.keys()).collect();
        let mut rows = Vec::new();
        for key in keys {
            let (x, y) = (ta.get(key), tb.get(key));
            let metrics: BTreeSet<String> = x
                .into_iter()
                .chain(y)
                .flat_map(TrialResult::metric_names)
                .collect();
            let same = match (x, y) {
                (Some(x), Some(y)) => Some(x.hparams_hash == y.hparams_hash),
                _ => None,
            };
            for metric in metrics {
                let sa = x.map(|t| t.metric_summary(&metric));
                let sb = y.map(|t| t.metric_summary(&metric));
                let diff = match (sa, sb) {
                    (Some(p), Some(q)) => Some(q.mean - p.mean),
                    _ => None,
                };
                rows.push(ComparisonRow {
                    setting: key.0.clone(),
                    model: key.1.clone(),
                    strategy: key.2.clone(),
                    reveal: key.3,
                    metric,
                    a: sa,
                    b: sb,
                    diff,
                    same_hyperparameters: same,
                });
            }
        }
        Ok(RunComparison { a: sa, b: sb, rows })
    }
}

fn group_key(t: &TrialResult) -> GroupKey {
    (
        t.setting.clone(),
        t.model.clone(),
        t.strategy.clone(),
        t.reveal,
    )
}
