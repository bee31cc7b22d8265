//! The parallel experiment runner.
//!
//! 1. Load each data set once; split every setting into folds (seeded, see [`crate::seeds`]).
//!    A setting with `reveal = { counts = [...] }` yields one fold set per count.
//! 2. Sweeps: every candidate is fitted on an inner split of TRAINING rows
//!    (`lfg_data::split::inner_validation`) and scored on the held-out training rows; sweep
//!    trials are recorded with role `sweep`. The best candidate (lowest validation RMSE, or
//!    MAE) is chosen per fold (`tune-on = "every-fold"`) or once (`"first-fold"`).
//! 3. Final trials: (model x fold) jobs run in parallel on a local rayon pool of `--jobs`
//!    threads. Each job fits on the fold's training rows (LFG: minus an inner validation split
//!    for early stopping; its upstream item factors are fitted on the same rows), predicts the
//!    test rows, scores them with `lfg-eval`, and commits the fold (metrics, epochs, timings)
//!    in one store transaction. Under the new-user protocol models serve each new user from
//!    the revealed ratings (`no-retrain`, `fold-in`, `generate`) or are fitted again on
//!    train + revealed (`retrain`); the serving time per new user is recorded.
//!    Reveal counts of a cold-start curve share one fit per fold (the training rows do not
//!    depend on the count), except for `retrain`.
//!
//! Seeds depend only on the spec, so results do not depend on `--jobs` or scheduling.
//! Finished folds are never recomputed on `--resume`, and folds of an identical earlier run
//! (same spec hash, trial and seed) are copied instead of recomputed unless `reuse` is off.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use lfg_core::{EpochReport, FeatureMatrix, Fold, Ratings, Triplets};
use lfg_eval::{RankingConfig, RankingInput, RatingMetrics, ranking_metrics};
use lfg_store::{
    EpochRow, FoldRecord, NewRun, RunId, RunStatus, SettingSpec as StoreSetting, Store, TrialId,
    TrialKey, TrialRole,
};
use rayon::prelude::*;
use serde_json::json;

use crate::data::{self, LoadedData};
use crate::error::RunError;
use crate::models::{self, FitInput, Fitted, ModelParams, NewUserServer};
use crate::seeds;
use crate::spec::{ExperimentSpec, Metric, ModelKind, ModelSpec, Protocol, SettingSpec, Strategy};
use crate::sweep::{Candidate, SelectBy, TuneOn};

/// How to run an experiment.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Worker threads (0: one per core).
    pub jobs: usize,
    /// Continue the latest unfinished run of the same spec instead of starting a new one.
    pub resume: bool,
    /// Copy finished folds of identical earlier runs instead of recomputing them.
    pub reuse: bool,
    /// Where data sets live (`<dir>/ml-100k`, ...).
    pub data_dir: PathBuf,
    /// Draw progress bars (hide them with `--quiet` or when stderr is not a terminal).
    pub progress: bool,
    /// Provenance recorded with the run.
    pub provenance: NewRun,
    /// Set to stop scheduling new jobs (Ctrl-C); committed folds stay.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Save each final model row's fold-1 model under this folder
    /// (`<dir>/<setting>/<model>[-reveal-N]`, for `lfg recommend`), recorded as artifacts.
    pub save_models: Option<PathBuf>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            jobs: 0,
            resume: false,
            reuse: true,
            data_dir: PathBuf::from("data"),
            progress: false,
            provenance: NewRun::default(),
            interrupt: None,
            save_models: None,
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RunOutcome {
    /// The run id.
    pub run: RunId,
    /// Whether this continued an earlier run.
    pub resumed: bool,
    /// Fold records planned (sweep and final; one per reveal count).
    pub folds_total: usize,
    /// Fold records computed now.
    pub folds_computed: usize,
    /// Fold records already present (resume) or copied from an identical run.
    pub folds_skipped: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// One instance of a setting: the fold set of one reveal count (or the only one).
struct Instance {
    reveal: Option<u32>,
    folds: Vec<Fold>,
}

struct SettingData<'a> {
    spec: &'a SettingSpec,
    data: &'a LoadedData,
    instances: Vec<Instance>,
}

/// Where one fold result goes.
#[derive(Clone, Copy, Debug)]
struct Target {
    instance: usize,
    trial: TrialId,
}

struct Job<'a> {
    setting: &'a SettingData<'a>,
    label: String,
    model: ModelSpec,
    params: ModelParams,
    role: TrialRole,
    fold: usize,
    seed: u64,
    targets: Vec<Target>,
    extra: serde_json::Value,
    sweep_metric: SelectBy,
    run: RunId,
    save_dir: Option<PathBuf>,
}

fn store_err(e: lfg_store::StoreError) -> RunError {
    RunError::Store(e.to_string())
}

fn protocol_json(s: &SettingSpec) -> serde_json::Value {
    json!({
        "protocol": serde_json::to_value(&s.protocol).unwrap_or_default(),
        "seed": s.seed,
        "metrics": s.metrics.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        "validation": s.validation,
        "paper-table": s.paper_table,
    })
}

/// Runs (or resumes) `spec`, recording into `store`.
pub fn run_experiment(
    spec: &ExperimentSpec,
    store: &Store,
    opts: &RunOptions,
) -> Result<RunOutcome, RunError> {
    let started = Instant::now();
    crate::check::check_spec(spec).map_err(|e| RunError::Spec(e.into()))?;
    let hash = spec.hash();
    let exp = store
        .ensure_experiment_with_hash(&spec.name, &spec.text, &hash)
        .map_err(store_err)?;
    for s in &spec.settings {
        store
            .ensure_setting(
                exp.id,
                &StoreSetting {
                    name: s.name.clone(),
                    description: (!s.description.is_empty()).then(|| s.description.clone()),
                    dataset: s.dataset.label(),
                    protocol: s.protocol.kind().to_string(),
                    params: protocol_json(s),
                },
            )
            .map_err(store_err)?;
    }

    // Data first: a missing data set fails before a run row exists.
    let mut loaded: HashMap<crate::spec::DatasetSpec, LoadedData> = HashMap::new();
    for s in &spec.settings {
        let d = spec.resolve_dataset(&s.dataset);
        if let std::collections::hash_map::Entry::Vacant(slot) = loaded.entry(d.clone()) {
            let t = Instant::now();
            let data = data::load(&d, &opts.data_dir)?;
            tracing::info!(
                dataset = %d,
                ratings = data.ratings.len(),
                seconds = t.elapsed().as_secs_f64(),
                "loaded data set"
            );
            slot.insert(data);
        }
    }

    let (run, resumed) = if opts.resume {
        let latest = store
            .latest_run_for_experiment(&hash)
            .map_err(store_err)?
            .ok_or_else(|| {
                RunError::NothingToResume(format!(
                    "no earlier run of this spec (experiment `{}`, hash {})",
                    spec.name,
                    &hash[..12]
                ))
            })?;
        if latest.status == RunStatus::Completed {
            return Err(RunError::NothingToResume(format!(
                "the latest run of this spec (run {}) is completed",
                latest.run
            )));
        }
        store.resume_run(latest.run).map_err(store_err)?;
        tracing::info!(run = %latest.run, "resuming run");
        (latest.run, true)
    } else {
        (
            store
                .start_run(exp.id, &opts.provenance)
                .map_err(store_err)?,
            false,
        )
    };

    let result = execute(spec, store, opts, run, &loaded);
    let seconds = started.elapsed().as_secs_f64();
    match result {
        Ok((total, computed, skipped)) => {
            store
                .finish_run(run, RunStatus::Completed)
                .map_err(store_err)?;
            Ok(RunOutcome {
                run,
                resumed,
                folds_total: total,
                folds_computed: computed,
                folds_skipped: skipped,
                seconds,
            })
        }
        Err(e @ RunError::Interrupted { .. }) => {
            let _ = store.set_run_status(run, RunStatus::Interrupted, Some(&e.to_string()));
            Err(e)
        }
        Err(e) => {
            if let Err(se) = store.set_run_status(run, RunStatus::Failed, Some(&e.to_string())) {
                tracing::error!(error = %se, "could not mark the run failed");
            }
            Err(e)
        }
    }
}

fn split_setting<'a>(
    spec: &ExperimentSpec,
    s: &'a SettingSpec,
    data: &'a LoadedData,
    data_dir: &std::path::Path,
) -> Result<SettingData<'a>, RunError> {
    let seed = seeds::split_seed(s);
    let r = &data.ratings;
    let instances = match &s.protocol {
        Protocol::PerUser { folds } => vec![Instance {
            reveal: None,
            folds: data::per_user_kfold(r, *folds, seed),
        }],
        Protocol::Random { folds } => vec![Instance {
            reveal: None,
            folds: data::random_kfold(r, *folds, seed),
        }],
        Protocol::Predefined => vec![Instance {
            reveal: None,
            folds: data::predefined(r, &spec.resolve_dataset(&s.dataset), data_dir)?,
        }],
        Protocol::NewUser { folds, reveal } => match reveal {
            crate::spec::Reveal::Fraction(f) => vec![Instance {
                reveal: None,
                folds: data::new_user_kfold_fraction(r, *folds, *f, seed),
            }],
            crate::spec::Reveal::Count(c) => vec![Instance {
                reveal: Some(*c as u32),
                folds: data::new_user_kfold_count(r, *folds, *c, seed),
            }],
            crate::spec::Reveal::Counts(cs) => cs
                .iter()
                .map(|&c| Instance {
                    reveal: Some(c as u32),
                    folds: data::new_user_kfold_count(r, *folds, c, seed),
                })
                .collect(),
        },
    };
    for inst in &instances {
        if inst.folds.is_empty() {
            return Err(RunError::Data(format!(
                "setting `{}`: the split produced no fold",
                s.name
            )));
        }
    }
    Ok(SettingData {
        spec: s,
        data,
        instances,
    })
}

struct Progress {
    multi: MultiProgress,
    overall: ProgressBar,
}

impl Progress {
    fn new(enabled: bool, total: u64, name: &str) -> Self {
        let multi = MultiProgress::with_draw_target(if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let overall = multi.add(ProgressBar::new(total));
        overall.set_style(
            ProgressStyle::with_template(
                "{prefix:.bold} [{bar:30}] {pos}/{len} folds, {elapsed_precise} elapsed, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        overall.set_prefix(name.to_string());
        Self { multi, overall }
    }

    fn job_bar(&self, label: String, epochs: Option<usize>) -> ProgressBar {
        let bar = match epochs {
            Some(n) => {
                let b = self.multi.add(ProgressBar::new(n as u64));
                b.set_style(
                    ProgressStyle::with_template(
                        "  {prefix} [{bar:20}] epoch {pos}/{len} ETA {eta} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                b
            }
            None => {
                let b = self.multi.add(ProgressBar::new_spinner());
                b.set_style(
                    ProgressStyle::with_template("  {spinner} {prefix} {elapsed} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                b.enable_steady_tick(Duration::from_millis(200));
                b
            }
        };
        bar.set_prefix(label);
        bar
    }
}

type Counts = (usize, usize, usize);

fn execute(
    spec: &ExperimentSpec,
    store: &Store,
    opts: &RunOptions,
    run: RunId,
    loaded: &HashMap<crate::spec::DatasetSpec, LoadedData>,
) -> Result<Counts, RunError> {
    let mut settings = Vec::new();
    for s in &spec.settings {
        let data = loaded
            .get(&spec.resolve_dataset(&s.dataset))
            .ok_or_else(|| RunError::Data(format!("data set {} not loaded", s.dataset)))?;
        settings.push(split_setting(spec, s, data, &opts.data_dir)?);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .thread_name(|i| format!("lfg-job-{i}"))
        .build()
        .map_err(|e| RunError::ThreadPool(e.to_string()))?;

    let mut finished_cache: HashMap<TrialId, Vec<usize>> = HashMap::new();
    let mut total = 0;
    let mut skipped = 0;

    // ---- Phase 1: sweeps.
    let mut sweep_jobs = Vec::new();
    // (setting idx, model idx) -> candidate trial ids and candidates
    let mut sweep_trials: BTreeMap<(usize, usize), Vec<(Candidate, TrialId)>> = BTreeMap::new();
    for (si, sd) in settings.iter().enumerate() {
        for (mi, m) in sd.spec.models.iter().enumerate() {
            let Some(sw) = &m.sweep else { continue };
            let cands = sw.candidates(seeds::sweep_seed(sd.spec, &m.label));
            let tune_folds: Vec<usize> = match sw.tune_on {
                TuneOn::FirstFold => vec![0],
                TuneOn::EveryFold => (0..sd.instances[0].folds.len()).collect(),
            };
            let mut ids = Vec::new();
            for c in cands {
                let cm = m.with_values(&c.values);
                let params = models::model_params(&cm)
                    .map_err(|p| RunError::Invalid(format!("{}: {}", m.label, p.message)))?;
                let trial = store
                    .upsert_trial(
                        run,
                        &TrialKey {
                            setting: sd.spec.name.clone(),
                            model: m.label.clone(),
                            strategy: cm.strategy.map(|s| s.to_string()),
                            reveal: None,
                            role: TrialRole::Sweep,
                            hyperparameters: models::hyperparameters_json(&cm),
                        },
                    )
                    .map_err(store_err)?;
                let tkey = seeds::trial_key(&m.label, Some(c.index));
                for &f in &tune_folds {
                    total += 1;
                    let seed = seeds::job_seed(sd.spec, tkey, f);
                    if already_done(store, opts, &mut finished_cache, trial, f, seed)? {
                        skipped += 1;
                        continue;
                    }
                    sweep_jobs.push(Job {
                        setting: sd,
                        label: format!("{}/{} #{}", sd.spec.name, m.label, c.index),
                        model: cm.clone(),
                        params: params.clone(),
                        role: TrialRole::Sweep,
                        fold: f,
                        seed,
                        targets: vec![Target { instance: 0, trial }],
                        extra: json!({ "candidate": c.index }),
                        sweep_metric: sw.metric,
                        run,
                        save_dir: None,
                    });
                }
                ids.push((c, trial));
            }
            sweep_trials.insert((si, mi), ids);
        }
    }

    // Final jobs are planned after the sweep, but their number is known now.
    let final_count: usize = settings
        .iter()
        .map(|sd| {
            sd.spec
                .models
                .iter()
                .filter(|m| m.sweep.as_ref().is_none_or(|s| s.evaluate_best))
                .map(|_| sd.instances.len() * sd.instances[0].folds.len())
                .sum::<usize>()
        })
        .sum();
    let progress = Progress::new(opts.progress, (total + final_count) as u64, &spec.name);
    progress.overall.inc(skipped as u64);

    let computed = AtomicUsize::new(0);
    run_jobs(&pool, store, opts, &progress, &sweep_jobs, &computed)?;

    // ---- Choose the best candidates from the store (includes folds of earlier runs).
    let mut chosen: BTreeMap<(usize, usize), Vec<Option<Candidate>>> = BTreeMap::new();
    if !sweep_trials.is_empty() {
        let results = store.run_trials(run).map_err(store_err)?;
        let by_id: HashMap<TrialId, &lfg_store::TrialResult> =
            results.iter().map(|t| (t.trial, t)).collect();
        for (&(si, mi), cands) in &sweep_trials {
            let sd = &settings[si];
            let m = &sd.spec.models[mi];
            let Some(sw) = &m.sweep else { continue };
            let n_folds = sd.instances[0].folds.len();
            let metric = sw.metric.as_str();
            let score = |trial: TrialId, fold: Option<usize>| -> f64 {
                let Some(t) = by_id.get(&trial) else {
                    return f64::NAN;
                };
                let vals: Vec<f64> = t
                    .folds
                    .iter()
                    .filter(|f| f.status == lfg_store::FoldStatus::Completed)
                    .filter(|f| fold.is_none_or(|x| x == f.index))
                    .filter_map(|f| f.metrics.get(metric).copied())
                    .filter(|v| v.is_finite())
                    .collect();
                if vals.is_empty() {
                    f64::NAN
                } else {
                    vals.iter().sum::<f64>() / vals.len() as f64
                }
            };
            let best = |fold: Option<usize>| -> Option<Candidate> {
                cands
                    .iter()
                    .map(|(c, t)| (c, score(*t, fold)))
                    .filter(|(_, s)| s.is_finite())
                    // Ties go to the earlier candidate.
                    .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.index.cmp(&b.0.index)))
                    .map(|(c, _)| c.clone())
            };
            let per_fold = match sw.tune_on {
                TuneOn::FirstFold => vec![best(Some(0)); n_folds],
                TuneOn::EveryFold => (0..n_folds).map(|f| best(Some(f))).collect(),
            };
            for (f, c) in per_fold.iter().enumerate() {
                match c {
                    Some(c) => tracing::info!(
                        setting = %sd.spec.name, model = %m.label, fold = f,
                        candidate = c.index, "sweep chose candidate"
                    ),
                    None => tracing::warn!(
                        setting = %sd.spec.name, model = %m.label, fold = f,
                        "no sweep candidate finished; the fold is not evaluated"
                    ),
                }
            }
            chosen.insert((si, mi), per_fold);
        }
    }

    // ---- Phase 2: final trials.
    let mut final_jobs = Vec::new();
    for (si, sd) in settings.iter().enumerate() {
        for (mi, m) in sd.spec.models.iter().enumerate() {
            if m.sweep.as_ref().is_some_and(|s| !s.evaluate_best) {
                continue;
            }
            let n_folds = sd.instances[0].folds.len();
            let per_fold = chosen.get(&(si, mi));
            // One final trial per distinct choice would split the folds of a row; instead the
            // row's hyperparameters are the chosen ones when every fold agrees, and the base
            // ones marked `tuned-per-fold` otherwise (each fold's choice is in its `extra`).
            let unanimous: Option<Option<&Candidate>> = match per_fold {
                None => Some(None),
                Some(v) => {
                    let first = v.first().and_then(|c| c.as_ref());
                    v.iter()
                        .all(|c| c.as_ref().map(|c| c.index) == first.map(|c| c.index))
                        .then_some(first)
                }
            };
            let row_model = match unanimous {
                Some(Some(c)) => m.with_values(&c.values),
                _ => m.with_values(&toml::Table::new()),
            };
            let mut hyper = models::hyperparameters_json(&row_model);
            if unanimous.is_none()
                && let serde_json::Value::Object(map) = &mut hyper
            {
                map.insert("tuned-per-fold".into(), json!(true));
            }
            let mut trials = Vec::new();
            for inst in &sd.instances {
                let trial = store
                    .upsert_trial(
                        run,
                        &TrialKey {
                            setting: sd.spec.name.clone(),
                            model: m.label.clone(),
                            strategy: m.strategy.map(|s| s.to_string()),
                            reveal: inst.reveal,
                            role: TrialRole::Final,
                            hyperparameters: hyper.clone(),
                        },
                    )
                    .map_err(store_err)?;
                trials.push(trial);
            }
            let tkey = seeds::trial_key(&m.label, None);
            for f in 0..n_folds {
                let fold_model = match per_fold.map(|v| v[f].as_ref()) {
                    Some(Some(c)) => m.with_values(&c.values),
                    Some(None) => {
                        // No candidate finished for this fold: count it as skipped.
                        skipped += sd.instances.len();
                        progress.overall.inc(sd.instances.len() as u64);
                        continue;
                    }
                    None => m.with_values(&toml::Table::new()),
                };
                let extra = match per_fold.map(|v| v[f].as_ref()) {
                    Some(Some(c)) => json!({ "chosen": c.values, "candidate": c.index }),
                    _ => serde_json::Value::Null,
                };
                let params = models::model_params(&fold_model)
                    .map_err(|p| RunError::Invalid(format!("{}: {}", m.label, p.message)))?;
                let seed = seeds::job_seed(sd.spec, tkey, f);
                let mut targets = Vec::new();
                for (ii, &trial) in trials.iter().enumerate() {
                    total += 1;
                    if already_done(store, opts, &mut finished_cache, trial, f, seed)? {
                        skipped += 1;
                        progress.overall.inc(1);
                    } else {
                        targets.push(Target {
                            instance: ii,
                            trial,
                        });
                    }
                }
                if targets.is_empty() {
                    continue;
                }
                // Retraining fits per reveal count; other strategies share one fit.
                let groups: Vec<Vec<Target>> = if m.strategy == Some(Strategy::Retrain) {
                    targets.into_iter().map(|t| vec![t]).collect()
                } else {
                    vec![targets]
                };
                for g in groups {
                    final_jobs.push(Job {
                        setting: sd,
                        label: format!("{}/{} fold {}", sd.spec.name, m.label, f + 1),
                        model: fold_model.clone(),
                        params: params.clone(),
                        role: TrialRole::Final,
                        fold: f,
                        seed,
                        targets: g,
                        extra: extra.clone(),
                        sweep_metric: SelectBy::Rmse,
                        run,
                        save_dir: (f == 0)
                            .then(|| opts.save_models.as_ref().map(|d| d.join(&sd.spec.name)))
                            .flatten(),
                    });
                }
            }
        }
    }
    progress.overall.set_length(total as u64);
    run_jobs(&pool, store, opts, &progress, &final_jobs, &computed)?;
    progress.overall.finish_and_clear();
    Ok((total, computed.load(Ordering::SeqCst), skipped))
}

fn already_done(
    store: &Store,
    opts: &RunOptions,
    cache: &mut HashMap<TrialId, Vec<usize>>,
    trial: TrialId,
    fold: usize,
    seed: u64,
) -> Result<bool, RunError> {
    if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(trial) {
        slot.insert(store.finished_folds(trial).map_err(store_err)?);
    }
    if cache.get(&trial).is_some_and(|d| d.contains(&fold)) {
        return Ok(true);
    }
    if opts.reuse
        && store
            .reuse_fold(trial, fold, seed)
            .map_err(store_err)?
            .is_some()
    {
        tracing::debug!(%trial, fold, "reused a fold of an identical earlier run");
        return Ok(true);
    }
    Ok(false)
}

fn run_jobs(
    pool: &rayon::ThreadPool,
    store: &Store,
    opts: &RunOptions,
    progress: &Progress,
    jobs: &[Job<'_>],
    computed: &AtomicUsize,
) -> Result<(), RunError> {
    let stop = AtomicBool::new(false);
    let errors: Mutex<Vec<RunError>> = Mutex::new(Vec::new());
    let interrupted = || {
        opts.interrupt
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
    };
    pool.install(|| {
        jobs.par_iter().for_each(|job| {
            if stop.load(Ordering::SeqCst) || interrupted() {
                return;
            }
            match run_job(job, store, progress) {
                Ok(n) => {
                    computed.fetch_add(n, Ordering::SeqCst);
                    progress.overall.inc(n as u64);
                }
                Err(e) => {
                    // A store failure (locked, disk full) stops the run; a model failure was
                    // recorded as a failed fold and stops it too, after the running jobs.
                    stop.store(true, Ordering::SeqCst);
                    if let Ok(mut v) = errors.lock() {
                        v.push(e);
                    }
                }
            }
        });
    });
    let mut errors = errors.into_inner().unwrap_or_default();
    if !errors.is_empty() {
        return Err(errors.swap_remove(0));
    }
    if interrupted() {
        let done = computed.load(Ordering::SeqCst);
        return Err(RunError::Interrupted {
            done,
            total: jobs.len(),
        });
    }
    Ok(())
}

/// Fitted model plus what the fit cost.
struct FitResult {
    fitted: Fitted,
    seconds: f64,
    epochs: Vec<EpochRow>,
    train_size: usize,
    valid_size: usize,
}

fn fit_model(job: &Job<'_>, train_rows: &[u32], bar: &ProgressBar) -> Result<FitResult, String> {
    let r = &job.setting.data.ratings;
    let features = &job.setting.data.features;
    let epochs = Mutex::new(Vec::new());
    let obs = |rep: &EpochReport| {
        if let Ok(mut v) = epochs.lock() {
            v.push(EpochRow {
                epoch: rep.epoch as u32,
                train_loss: rep.train_loss,
                valid_rmse: rep.valid_rmse,
                seconds: rep.seconds,
            });
        }
        bar.set_position(rep.epoch as u64);
        bar.set_message(match rep.valid_rmse {
            Some(v) => format!("loss {:.4} valid {:.4}", rep.train_loss, v),
            None => format!("loss {:.4}", rep.train_loss),
        });
    };
    // LFG keeps an inner validation split of the training rows for early stopping.
    let (fit_rows, valid_rows) = if job.model.model == ModelKind::Lfg {
        let seed = seeds::inner_seed(job.setting.spec, job.fold);
        data::inner_validation(r, train_rows, job.setting.spec.validation, seed)
    } else {
        (train_rows.to_vec(), Vec::new())
    };
    let train = r.select(&fit_rows);
    let valid = (!valid_rows.is_empty()).then(|| r.select(&valid_rows));
    let input = FitInput {
        train: &train,
        valid: valid.as_ref(),
        features,
    };
    let t = Instant::now();
    let fitted = models::fit(&job.params, &input, job.seed, &obs)?;
    let seconds = t.elapsed().as_secs_f64();
    Ok(FitResult {
        fitted,
        seconds,
        epochs: epochs.into_inner().unwrap_or_default(),
        train_size: fit_rows.len(),
        valid_size: valid_rows.len(),
    })
}

fn epochs_hint(p: &ModelParams) -> Option<usize> {
    match p {
        ModelParams::Lfg { config, .. } => Some(config.epochs),
        _ => None,
    }
}

/// Runs one job; returns the number of fold records committed.
fn run_job(job: &Job<'_>, store: &Store, progress: &Progress) -> Result<usize, RunError> {
    let bar = progress.job_bar(job.label.clone(), epochs_hint(&job.params));
    let result = match job.role {
        TrialRole::Sweep => run_sweep_job(job, store, &bar),
        TrialRole::Final => run_final_job(job, store, &bar),
    };
    bar.finish_and_clear();
    progress.multi.remove(&bar);
    result
}

fn model_error(job: &Job<'_>, message: String) -> RunError {
    RunError::Model {
        setting: job.setting.spec.name.clone(),
        model: job.model.label.clone(),
        fold: job.fold,
        message,
    }
}

fn fail(job: &Job<'_>, store: &Store, message: String) -> RunError {
    for t in &job.targets {
        if let Err(e) = store.record_failed_fold(t.trial, job.fold, job.seed, &message) {
            tracing::error!(error = %e, "could not record a failed fold");
        }
    }
    model_error(job, message)
}

fn run_sweep_job(job: &Job<'_>, store: &Store, bar: &ProgressBar) -> Result<usize, RunError> {
    let sd = job.setting;
    let r = &sd.data.ratings;
    let fold = &sd.instances[0].folds[job.fold];
    let seed = seeds::inner_seed(sd.spec, job.fold);
    let (fit_rows, valid_rows) = data::inner_validation(r, &fold.train, sd.spec.validation, seed);
    if valid_rows.is_empty() {
        return Err(fail(
            job,
            store,
            "the inner validation split is empty (too few training ratings per user)".into(),
        ));
    }
    let fit = match fit_model(job, &fit_rows, bar) {
        Ok(f) => f,
        Err(m) => return Err(fail(job, store, m)),
    };
    let valid = r.select(&valid_rows);
    let t = Instant::now();
    let mut pred = vec![0f32; valid.len()];
    fit.fitted
        .predictor()
        .predict_many(&valid.user, &valid.item, &mut pred);
    let predict_seconds = t.elapsed().as_secs_f64();
    let m = RatingMetrics::compute(&valid.user, &pred, &valid.rating, None)
        .map_err(|e| RunError::Eval(e.to_string()))?;
    let record = FoldRecord {
        index: job.fold,
        seed: job.seed,
        train_size: fit.train_size,
        test_size: valid.len(),
        fit_seconds: fit.seconds,
        predict_seconds,
        metrics: vec![("rmse".into(), m.rmse), ("mae".into(), m.mae)],
        epochs: fit.epochs,
        extra: json!({
            "candidate": job.extra.get("candidate"),
            "selected-by": job.sweep_metric.as_str(),
            "inner-valid-size": fit.valid_size,
        }),
    };
    store
        .record_fold(job.targets[0].trial, &record)
        .map_err(store_err)?;
    Ok(1)
}

fn run_final_job(job: &Job<'_>, store: &Store, bar: &ProgressBar) -> Result<usize, RunError> {
    let sd = job.setting;
    let r = &sd.data.ratings;
    let mut shared: Option<(Vec<u32>, FitResult)> = None;
    let mut n = 0;
    for t in &job.targets {
        let fold = &sd.instances[t.instance].folds[job.fold];
        let retrain = job.model.strategy == Some(Strategy::Retrain);
        let train_rows: Vec<u32> = if retrain {
            let mut v = fold.train.clone();
            v.extend_from_slice(&fold.revealed);
            v
        } else {
            fold.train.clone()
        };
        let reuse = shared.as_ref().is_some_and(|(rows, _)| *rows == train_rows);
        if !reuse {
            match fit_model(job, &train_rows, bar) {
                Ok(f) => shared = Some((train_rows, f)),
                Err(m) => return Err(fail(job, store, m)),
            }
        }
        let Some((_, fit)) = shared.as_ref() else {
            return Err(model_error(job, "no fitted model".into()));
        };
        if let Some(dir) = &job.save_dir {
            let mut name = job.model.label.clone();
            if let Some(c) = sd.instances[t.instance].reveal {
                name.push_str(&format!("-reveal-{c}"));
            }
            let saved = std::fs::create_dir_all(dir)
                .map_err(|e| format!("creating {}: {e}", dir.display()))
                .and_then(|()| fit.fitted.save(&dir.join(name)));
            match saved {
                Ok(path) => {
                    store
                        .add_artifact(job.run, Some(t.trial), Some(job.fold), "model", &path)
                        .map_err(store_err)?;
                }
                Err(e) => tracing::warn!(error = %e, "could not save the model"),
            }
        }
        let ev = evaluate(job, r, &sd.data.features, fold, fit, retrain)
            .map_err(|m| fail(job, store, m))?;
        let mut extra = serde_json::Map::new();
        if let serde_json::Value::Object(m) = &job.extra {
            extra.extend(m.clone());
        }
        if let Some(s) = ev.serve_seconds_per_user {
            extra.insert("serve-seconds-per-user".into(), json!(s));
        }
        if fold.is_new_user() {
            extra.insert("new-users".into(), json!(fold.new_users.len()));
            extra.insert("revealed-ratings".into(), json!(fold.revealed.len()));
        }
        if let Some(c) = sd.instances[t.instance].reveal {
            extra.insert("revealed".into(), json!(c));
        }
        if fit.valid_size > 0 {
            extra.insert("inner-valid-size".into(), json!(fit.valid_size));
        }
        let record = FoldRecord {
            index: job.fold,
            seed: job.seed,
            train_size: fit.train_size,
            test_size: fold.test.len(),
            fit_seconds: fit.seconds,
            predict_seconds: ev.predict_seconds,
            metrics: ev.metrics,
            epochs: fit.epochs.clone(),
            extra: serde_json::Value::Object(extra),
        };
        store.record_fold(t.trial, &record).map_err(store_err)?;
        n += 1;
    }
    Ok(n)
}

/// User `u`'s feature row (empty when the data set has no features).
fn feature_row(features: &FeatureMatrix, u: u32) -> &[f32] {
    if features.width == 0 || (u as usize) >= features.n_rows() {
        &[]
    } else {
        features.row(u as usize)
    }
}

struct Evaluation {
    metrics: Vec<(String, f64)>,
    predict_seconds: f64,
    serve_seconds_per_user: Option<f64>,
}

fn evaluate(
    job: &Job<'_>,
    r: &Ratings,
    features: &FeatureMatrix,
    fold: &Fold,
    fit: &FitResult,
    retrain: bool,
) -> Result<Evaluation, String> {
    let test = r.select(&fold.test);
    if test.is_empty() {
        return Err("the test fold is empty".into());
    }
    let n_items = r.n_items();
    let mut pred = vec![0f32; test.len()];
    let mut known = vec![true; test.len()];
    let feats = |u: u32| feature_row(features, u);
    let server: Option<NewUserServer<'_>> = match job.model.strategy {
        Some(s) if fold.is_new_user() && !retrain => Some(models::new_user_server(&fit.fitted, s)?),
        _ => None,
    };
    let revealed = r.select(&fold.revealed).by_user();
    let predictor = fit.fitted.predictor();
    let t = Instant::now();
    let serve_seconds_per_user;
    match &server {
        None => {
            predictor.predict_many(&test.user, &test.item, &mut pred);
            for (k, &u) in known.iter_mut().zip(&test.user) {
                *k = predictor.knows_user(u);
            }
            serve_seconds_per_user = retrain.then_some(fit.seconds);
        }
        Some(server) => {
            // Serve each new user once: revealed ratings in, predictions for its test items out.
            let by_user = test.by_user();
            let mut pairs: Vec<(u32, f32)> = Vec::new();
            let mut out = Vec::new();
            let mut row_of: Vec<Vec<usize>> = vec![Vec::new(); r.n_users()];
            for (row, &u) in test.user.iter().enumerate() {
                row_of[u as usize].push(row);
            }
            for &u in &fold.new_users {
                let (items, _) = by_user.row(u as usize);
                if items.is_empty() {
                    continue;
                }
                let (ri, rr) = revealed.row(u as usize);
                pairs.clear();
                pairs.extend(ri.iter().copied().zip(rr.iter().copied()));
                out.clear();
                out.resize(items.len(), 0.0);
                server.serve(&pairs, feats(u), items, &mut out);
                // `by_user` keeps input order within a row, as `row_of` does.
                for (&row, &p) in row_of[u as usize].iter().zip(&out) {
                    pred[row] = p;
                    known[row] = server.personalised() && !pairs.is_empty();
                }
            }
            let n_users = fold.new_users.len().max(1);
            serve_seconds_per_user = Some(t.elapsed().as_secs_f64() / n_users as f64);
        }
    }
    let predict_seconds = t.elapsed().as_secs_f64();
    let rm = RatingMetrics::compute(&test.user, &pred, &test.rating, Some(&known))
        .map_err(|e| format!("metrics: {e}"))?;
    let mut out: Vec<(String, f64)> = Vec::new();
    let mut ranking: BTreeMap<usize, lfg_eval::RankingMetrics> = BTreeMap::new();
    let ks: Vec<usize> = job
        .setting
        .spec
        .metrics
        .iter()
        .filter_map(Metric::ranking_k)
        .collect();
    if !ks.is_empty() {
        // Items a user rated in training (or revealed) are never recommended to them.
        let mut seen: Triplets = r.select(&fold.train);
        seen.extend(&r.select(&fold.revealed));
        let input = RankingInput {
            n_users: r.n_users(),
            n_items,
            train_users: &seen.user,
            train_items: &seen.item,
            test_users: &test.user,
            test_items: &test.item,
            test_ratings: &test.rating,
        };
        let all_items: Vec<u32> = (0..n_items as u32).collect();
        for k in ks {
            if ranking.contains_key(&k) {
                continue;
            }
            let cfg = RankingConfig {
                k,
                ..RankingConfig::default()
            };
            let res = match &server {
                None => ranking_metrics(&cfg, &input, |u, scores| {
                    for (i, s) in scores.iter_mut().enumerate() {
                        *s = predictor.predict(u, i as u32);
                    }
                }),
                Some(server) => ranking_metrics(&cfg, &input, |u, scores| {
                    let (ri, rr) = revealed.row(u as usize);
                    let pairs: Vec<(u32, f32)> =
                        ri.iter().copied().zip(rr.iter().copied()).collect();
                    server.serve(&pairs, feats(u), &all_items, scores);
                }),
            }
            .map_err(|e| format!("ranking metrics: {e}"))?;
            ranking.insert(k, res);
        }
    }
    for m in &job.setting.spec.metrics {
        let v = match m {
            Metric::Rmse => rm.rmse,
            Metric::Mae => rm.mae,
            Metric::PerUserRmse => rm.per_user_rmse,
            Metric::Coverage => rm.coverage,
            Metric::Precision(k) => ranking.get(k).map_or(f64::NAN, |x| x.precision),
            Metric::Recall(k) => ranking.get(k).map_or(f64::NAN, |x| x.recall),
            Metric::Ndcg(k) => ranking.get(k).map_or(f64::NAN, |x| x.ndcg),
            Metric::Map(k) => ranking.get(k).map_or(f64::NAN, |x| x.map),
            Metric::HitRate(k) => ranking.get(k).map_or(f64::NAN, |x| x.hit_rate),
            Metric::CatalogueCoverage(k) => {
                ranking.get(k).map_or(f64::NAN, |x| x.catalogue_coverage)
            }
        };
        out.push((m.to_string(), v));
    }
    Ok(Evaluation {
        metrics: out,
        predict_seconds,
        serve_seconds_per_user,
    })
}
