//! Deterministic fake runs for tests of the store's consumers (reports, CLI).
//!
//! The numbers look like MovieLens-100k results (close to the paper's) but are synthetic: they
//! come from a fixed hash, never from a model. Calling a builder again adds another run of the
//! same experiment with identical values.

use std::path::Path;

use serde_json::{Value, json};

use crate::error::StoreError;
use crate::ids::{RunId, TrialId};
use crate::store::Store;
use crate::types::{EpochRow, FoldRecord, NewRun, RunStatus, SettingSpec, TrialKey, TrialRole};

/// Number of folds of every fixture trial.
pub const DEMO_FOLDS: usize = 5;

/// Experiment name of [`populate_demo`].
pub const DEMO_EXPERIMENT: &str = "demo-ml100k";

/// Experiment name of [`populate_cold_start_demo`].
pub const COLD_START_EXPERIMENT: &str = "demo-cold-start";

/// Reveal counts of [`populate_cold_start_demo`].
pub const COLD_START_REVEALS: [u32; 6] = [1, 2, 5, 10, 20, 50];

/// The sweep grid of the demo (learning rate x hidden units) for `lfg` on `per-user`.
pub const DEMO_SWEEP_LR: [f64; 3] = [0.001, 0.003, 0.01];
/// See [`DEMO_SWEEP_LR`].
pub const DEMO_SWEEP_HIDDEN: [u32; 2] = [64, 128];

const DEMO_SPEC: &str = r#"# synthetic demo experiment (fixture)
[[setting]]
name = "per-user"
dataset = "ml-100k"
protocol = "per-user"
k = 5
seed = 42
models = ["svd", "bias-svd", "svd-pp", "lfg"]

[[setting]]
name = "new-user"
dataset = "ml-100k"
protocol = "new-user"
reveal = 0.1
k = 5
seed = 42
models = ["svd/no-retrain", "bias-svd/no-retrain", "bias-svd/fold-in", "bias-svd/retrain", "lfg/generate"]
"#;

const COLD_START_SPEC: &str = r#"# synthetic cold-start curve (fixture)
[[setting]]
name = "cold-start"
dataset = "ml-100k"
protocol = "new-user"
reveal-counts = [1, 2, 5, 10, 20, 50]
k = 5
seed = 7
models = ["lfg/generate", "bias-svd/fold-in", "item-mean"]
"#;

/// splitmix64: a fixed hash of the inputs, for reproducible jitter.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Deterministic value in [-1, 1) from a list of integers.
fn jitter(parts: &[u64]) -> f64 {
    let h = parts.iter().fold(0x1234_5678_u64, |acc, &p| mix(acc ^ p));
    // 53 random bits -> [0, 1) -> [-1, 1)
    ((h >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

fn name_code(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn demo_run(
    store: &Store,
    name: &str,
    spec: &str,
    args: &[&str],
) -> Result<(crate::ExperimentId, RunId), StoreError> {
    let exp = store.ensure_experiment(name, spec)?;
    let run = store.start_run(
        exp.id,
        &NewRun {
            git_commit: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
            git_dirty: Some(false),
            host: Some("demo-host".to_owned()),
            lfg_version: "0.1.0".to_owned(),
            cli_args: args.iter().map(|s| (*s).to_owned()).collect(),
        },
    )?;
    Ok((exp.id, run))
}

/// A learning curve of `n` epochs converging to `target` (validation) with noise from `key`.
fn curve(n: u32, target: f64, with_valid: bool, key: u64) -> Vec<EpochRow> {
    (1..=n)
        .map(|e| {
            let t = f64::from(e);
            let decay = (-t / 4.0).exp();
            EpochRow {
                epoch: e,
                train_loss: 0.55 + 0.9 * decay + 0.004 * jitter(&[key, u64::from(e), 1]),
                valid_rmse: with_valid.then(|| {
                    // decreases, then overfits slightly after epoch ~14
                    target
                        + 0.25 * decay
                        + 0.0004 * (t - 14.0).max(0.0).powi(2)
                        + 0.002 * jitter(&[key, u64::from(e), 2])
                }),
                seconds: 0.05 + 0.01 * jitter(&[key, u64::from(e), 3]).abs(),
            }
        })
        .collect()
}

struct FakeTrial<'a> {
    setting: &'a str,
    model: &'a str,
    strategy: Option<&'a str>,
    reveal: Option<u32>,
    role: TrialRole,
    hyperparameters: Value,
    /// Mean RMSE the folds scatter around.
    rmse: f64,
    /// Epochs per fold (0: none).
    epochs: u32,
    fit_seconds: f64,
    extra_serve: Option<f64>,
}

fn write_trial(store: &Store, run: RunId, t: &FakeTrial<'_>) -> Result<TrialId, StoreError> {
    let trial = store.upsert_trial(
        run,
        &TrialKey {
            setting: t.setting.to_owned(),
            model: t.model.to_owned(),
            strategy: t.strategy.map(str::to_owned),
            reveal: t.reveal,
            role: t.role,
            hyperparameters: t.hyperparameters.clone(),
        },
    )?;
    let key = name_code(t.setting)
        ^ name_code(t.model).rotate_left(7)
        ^ name_code(t.strategy.unwrap_or("")).rotate_left(13)
        ^ u64::from(t.reveal.unwrap_or(0)).rotate_left(29)
        ^ name_code(&t.hyperparameters.to_string()).rotate_left(41);
    for index in 0..DEMO_FOLDS {
        let k = key ^ (index as u64).wrapping_mul(0x9E37);
        let rmse = t.rmse + 0.006 * jitter(&[k, 10]);
        let (train_size, test_size) = if t.role == TrialRole::Sweep {
            (64_000, 16_000)
        } else {
            (80_000, 20_000)
        };
        let mut extra = json!({});
        if let (Some(serve), Value::Object(map)) = (t.extra_serve, &mut extra) {
            map.insert(
                "serve-seconds-per-user".to_owned(),
                json!(serve * (1.0 + 0.1 * jitter(&[k, 20]))),
            );
            map.insert("new-users".to_owned(), json!(189));
            if let Some(r) = t.reveal {
                map.insert("revealed".to_owned(), json!(r));
            }
        }
        store.record_fold(
            trial,
            &FoldRecord {
                index,
                seed: 42_000 + index as u64,
                train_size,
                test_size,
                fit_seconds: t.fit_seconds * (1.0 + 0.05 * jitter(&[k, 30])),
                predict_seconds: 0.02 * (1.0 + 0.05 * jitter(&[k, 31])),
                metrics: vec![
                    ("rmse".to_owned(), rmse),
                    ("mae".to_owned(), 0.787 * rmse + 0.003 * jitter(&[k, 11])),
                    (
                        "per-user-rmse".to_owned(),
                        rmse + 0.012 + 0.004 * jitter(&[k, 12]),
                    ),
                ],
                epochs: curve(t.epochs, rmse, t.model == "lfg", k),
                extra: if t.extra_serve.is_some() {
                    extra
                } else {
                    Value::Null
                },
            },
        )?;
    }
    Ok(trial)
}

/// Validation RMSE of the demo sweep at (lr, hidden): a smooth bowl with its minimum at
/// lr = 0.003, hidden = 128.
pub fn demo_sweep_rmse(lr: f64, hidden: u32) -> f64 {
    let dl = (lr.log10() - 0.003f64.log10()).powi(2);
    let dh = if hidden == 128 { 0.0 } else { 0.004 };
    0.915 + 0.02 * dl + dh
}

/// Fills a complete, realistic fake run and returns its id: experiment [`DEMO_EXPERIMENT`],
/// settings `per-user` (svd, bias-svd, svd-pp, lfg; 20 epochs each; an lfg sweep of
/// 3 x 2 grid points with role `sweep`, the best one chosen for the final lfg trial) and
/// `new-user` (svd and bias-svd `no-retrain`, bias-svd `fold-in` and `retrain`, lfg `generate`,
/// with `serve-seconds-per-user` in the fold extra), [`DEMO_FOLDS`] folds each, metrics `rmse`,
/// `mae`, `per-user-rmse`, one model artifact; status completed.
pub fn populate_demo(store: &Store) -> Result<RunId, StoreError> {
    let (exp, run) = demo_run(
        store,
        DEMO_EXPERIMENT,
        DEMO_SPEC,
        &["lfg", "run", "demo.toml"],
    )?;
    store.ensure_setting(
        exp,
        &SettingSpec {
            name: "per-user".to_owned(),
            description: Some("per-user 80/20 split, 5 folds (paper Tables 1-2)".to_owned()),
            dataset: "ml-100k".to_owned(),
            protocol: "per-user".to_owned(),
            params: json!({"k": 5, "seed": 42, "test-fraction": 0.2}),
        },
    )?;
    store.ensure_setting(
        exp,
        &SettingSpec {
            name: "new-user".to_owned(),
            description: Some(
                "new users, 10% of their ratings revealed (paper Tables 3-4)".to_owned(),
            ),
            dataset: "ml-100k".to_owned(),
            protocol: "new-user".to_owned(),
            params: json!({"k": 5, "seed": 42, "reveal": 0.1}),
        },
    )?;

    let svd = json!({"factors": 100, "epochs": 20, "lr": 0.005, "reg": 0.02});
    let fin = |setting, model, strategy, hp: &Value, rmse, epochs, fit, serve| FakeTrial {
        setting,
        model,
        strategy,
        reveal: None,
        role: TrialRole::Final,
        hyperparameters: hp.clone(),
        rmse,
        epochs,
        fit_seconds: fit,
        extra_serve: serve,
    };

    // Sweep of lfg on the per-user setting: validation metrics only.
    let mut best: Option<(f64, f64, u32)> = None;
    for &lr in &DEMO_SWEEP_LR {
        for &hidden in &DEMO_SWEEP_HIDDEN {
            let v = demo_sweep_rmse(lr, hidden);
            if best.is_none_or(|(b, _, _)| v < b) {
                best = Some((v, lr, hidden));
            }
            write_trial(
                store,
                run,
                &FakeTrial {
                    setting: "per-user",
                    model: "lfg",
                    strategy: None,
                    reveal: None,
                    role: TrialRole::Sweep,
                    hyperparameters: json!({"lr": lr, "hidden": hidden, "epochs": 20}),
                    rmse: v,
                    epochs: 20,
                    fit_seconds: 3.0,
                    extra_serve: None,
                },
            )?;
        }
    }
    let (_, lr, hidden) = best.unwrap_or((0.0, 0.003, 128));
    let lfg = json!({"lr": lr, "hidden": hidden, "epochs": 20});

    let trials = [
        fin("per-user", "svd", None, &svd, 0.9404, 20, 1.1, None),
        fin("per-user", "bias-svd", None, &svd, 0.9136, 20, 1.2, None),
        fin("per-user", "svd-pp", None, &svd, 0.9105, 20, 9.5, None),
        fin("per-user", "lfg", None, &lfg, 0.9120, 20, 3.4, None),
        fin(
            "new-user",
            "svd",
            Some("no-retrain"),
            &svd,
            1.1274,
            20,
            1.0,
            Some(2e-6),
        ),
        fin(
            "new-user",
            "bias-svd",
            Some("no-retrain"),
            &svd,
            1.0305,
            20,
            1.1,
            Some(2e-6),
        ),
        fin(
            "new-user",
            "bias-svd",
            Some("fold-in"),
            &svd,
            0.9710,
            20,
            1.1,
            Some(4e-5),
        ),
        fin(
            "new-user",
            "bias-svd",
            Some("retrain"),
            &svd,
            0.9650,
            20,
            1.1,
            Some(0.9),
        ),
        fin(
            "new-user",
            "lfg",
            Some("generate"),
            &lfg,
            0.9255,
            20,
            3.2,
            Some(3e-5),
        ),
    ];
    let mut lfg_trial = None;
    for t in &trials {
        let id = write_trial(store, run, t)?;
        if t.model == "lfg" && t.setting == "per-user" {
            lfg_trial = Some(id);
        }
    }
    store.add_artifact(
        run,
        lfg_trial,
        Some(0),
        "model",
        Path::new("results/models/demo-ml100k/lfg-fold0"),
    )?;
    store.finish_run(run, RunStatus::Completed)?;
    Ok(run)
}

/// Fills a fake cold-start-curve run ([`COLD_START_EXPERIMENT`], setting `cold-start`): models
/// `lfg`/`generate`, `bias-svd`/`fold-in` and `item-mean` (no strategy), one final trial per
/// reveal count in [`COLD_START_REVEALS`], [`DEMO_FOLDS`] folds each, RMSE decreasing with the
/// reveal count (LFG best at few ratings); status completed.
pub fn populate_cold_start_demo(store: &Store) -> Result<RunId, StoreError> {
    let (exp, run) = demo_run(
        store,
        COLD_START_EXPERIMENT,
        COLD_START_SPEC,
        &["lfg", "run", "cold-start.toml"],
    )?;
    store.ensure_setting(
        exp,
        &SettingSpec {
            name: "cold-start".to_owned(),
            description: Some("RMSE against number of revealed ratings".to_owned()),
            dataset: "ml-100k".to_owned(),
            protocol: "new-user".to_owned(),
            params: json!({"k": 5, "seed": 7, "reveal-counts": COLD_START_REVEALS}),
        },
    )?;
    let models: [(&str, Option<&str>, f64, f64); 3] = [
        ("lfg", Some("generate"), 0.985, 0.918),
        ("bias-svd", Some("fold-in"), 1.060, 0.955),
        ("item-mean", None, 1.032, 1.028),
    ];
    for (model, strategy, start, end) in models {
        for &r in &COLD_START_REVEALS {
            // log-linear interpolation between 1 and 50 revealed ratings
            let t = f64::from(r).ln() / 50f64.ln();
            write_trial(
                store,
                run,
                &FakeTrial {
                    setting: "cold-start",
                    model,
                    strategy,
                    reveal: Some(r),
                    role: TrialRole::Final,
                    hyperparameters: json!({"model": model}),
                    rmse: start + (end - start) * t,
                    epochs: 0,
                    fit_seconds: 1.0,
                    extra_serve: Some(3e-5),
                },
            )?;
        }
    }
    store.finish_run(run, RunStatus::Completed)?;
    Ok(run)
}
