//! The runner on a tiny synthetic data set with an in-memory store: sweeps choose by inner
//! validation, folds are complete, seeds make results reproducible.

use std::path::Path;

use lfg_runner::{ExperimentSpec, RunOptions, run_experiment};
use lfg_store::{Store, TrialRole};

/// 40 users x 30 items, 15 ratings each, from a rank-1 model (deterministic).
fn write_csv(dir: &Path) {
    let mut s = String::from("userId,movieId,rating\n");
    for u in 0..40u64 {
        for j in 0..15u64 {
            let i = (u * 7 + j * 2) % 30;
            let a = ((u * 37 + 11) % 17) as f64 / 8.0 - 1.0;
            let b = ((i * 53 + 5) % 13) as f64 / 6.0 - 1.0;
            let r = (3.2 + 1.5 * a * b + 0.3 * (((u + i) % 3) as f64 - 1.0))
                .round()
                .clamp(1.0, 5.0);
            s.push_str(&format!("{},{},{}\n", u + 1, i + 1, r));
        }
    }
    std::fs::write(dir.join("ratings.csv"), s).expect("write csv");
}

const SPEC: &str = r#"
[experiment]
name = "unit"
seed = 9
dataset = { csv = "ratings.csv" }

[[setting]]
name = "per-user"
protocol = { kind = "per-user", folds = 3 }
metrics = ["rmse", "mae", "precision@5"]

[[setting.model]]
model = "bias-svd"
epochs = 10
[setting.model.sweep]
method = "grid"
params = { factors = [2, 6], reg-factors = [0.02, 0.5] }

[[setting]]
name = "cold"
protocol = { kind = "new-user", folds = 2, reveal = { counts = [2, 5] } }
metrics = ["rmse"]

[[setting.model]]
model = "bias-svd"
strategy = "fold-in"
factors = 3
epochs = 10

[[setting.model]]
model = "baseline"
strategy = "retrain"
"#;

fn run(dir: &Path, jobs: usize) -> (Store, lfg_runner::RunOutcome) {
    let path = dir.join("unit.toml");
    std::fs::write(&path, SPEC).expect("write spec");
    let spec = ExperimentSpec::load(&path).expect("spec");
    let store = Store::open_in_memory().expect("store");
    let opts = RunOptions {
        jobs,
        ..RunOptions::default()
    };
    let outcome = run_experiment(&spec, &store, &opts).expect("run");
    (store, outcome)
}

#[test]
fn sweep_chooses_by_inner_validation_and_every_fold_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_csv(dir.path());
    let (store, outcome) = run(dir.path(), 2);
    // 4 candidates x 3 folds + 3 finals; cold: 2 models x 2 counts x 2 folds.
    assert_eq!(outcome.folds_total, 12 + 3 + 8);
    assert_eq!(outcome.folds_computed, outcome.folds_total);
    let detail = store.run_detail(outcome.run).expect("detail");
    let finals: Vec<_> = detail
        .results
        .iter()
        .filter(|t| t.role == TrialRole::Final)
        .collect();
    assert_eq!(finals.len(), 1 + 4);
    for t in &finals {
        let n = if t.setting == "per-user" { 3 } else { 2 };
        assert_eq!(
            t.completed_fold_indices(),
            (0..n).collect::<Vec<_>>(),
            "{} {}",
            t.setting,
            t.model
        );
    }
    let cold: Vec<_> = finals.iter().filter(|t| t.setting == "cold").collect();
    let mut reveals: Vec<_> = cold.iter().map(|t| (t.model.clone(), t.reveal)).collect();
    reveals.sort();
    assert_eq!(
        reveals,
        vec![
            ("baseline-retrain".to_string(), Some(2)),
            ("baseline-retrain".to_string(), Some(5)),
            ("bias-svd-fold-in".to_string(), Some(2)),
            ("bias-svd-fold-in".to_string(), Some(5)),
        ]
    );

    // Each fold's final trial used the candidate with the lowest validation RMSE on that
    // fold's inner split (recorded in the fold's `extra`).
    let group = detail.sweeps.first().expect("sweep group");
    assert_eq!(group.trials.len(), 4);
    let per_user = finals
        .iter()
        .find(|t| t.setting == "per-user")
        .expect("final");
    for fold in &per_user.folds {
        let scores: Vec<(f64, serde_json::Value)> = group
            .trials
            .iter()
            .map(|c| {
                let f = c
                    .trial
                    .folds
                    .iter()
                    .find(|f| f.index == fold.index)
                    .expect("sweep fold");
                (f.metrics["rmse"], c.trial.hyperparameters.clone())
            })
            .collect();
        let best = scores
            .iter()
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("best");
        let chosen = &fold.extra["chosen"];
        assert_eq!(chosen["factors"], best.1["factors"], "fold {}", fold.index);
        assert_eq!(
            chosen["reg-factors"], best.1["reg-factors"],
            "fold {}",
            fold.index
        );
        // Sweep folds were scored on training rows only: fewer than the fold's training rows.
        let sweep_fold = group.trials[0]
            .trial
            .folds
            .iter()
            .find(|f| f.index == fold.index)
            .expect("f");
        assert!(sweep_fold.train_size.expect("size") < fold.train_size.expect("size"));
    }
}

#[test]
fn results_are_reproducible_whatever_the_thread_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_csv(dir.path());
    let metrics = |jobs| {
        let (store, outcome) = run(dir.path(), jobs);
        let d = store.run_detail(outcome.run).expect("detail");
        d.results
            .iter()
            .map(|t| {
                (
                    t.setting.clone(),
                    t.model.clone(),
                    t.reveal,
                    t.metric("rmse"),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(metrics(1), metrics(3));
}
