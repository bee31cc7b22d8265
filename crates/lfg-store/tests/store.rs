//! Integration tests of the store through its public API only.

use std::time::{Duration, Instant};

use lfg_store::{
    EpochRow, FoldRecord, FoldStatus, NewRun, RunId, RunStatus, SettingSpec, Store, StoreError,
    StoreOptions, TrialId, TrialKey, TrialRole, fixture,
};
use rayon::prelude::*;
use serde_json::json;
use sqlx::Connection;

fn setting(name: &str, protocol: &str) -> SettingSpec {
    SettingSpec {
        name: name.into(),
        description: Some(format!("{name} setting")),
        dataset: "ml-100k".into(),
        protocol: protocol.into(),
        params: json!({"k": 5}),
    }
}

fn key(setting: &str, model: &str, hp: serde_json::Value) -> TrialKey {
    TrialKey {
        setting: setting.into(),
        model: model.into(),
        strategy: None,
        reveal: None,
        role: TrialRole::Final,
        hyperparameters: hp,
    }
}

fn fold(index: usize, seed: u64, rmse: f64) -> FoldRecord {
    FoldRecord {
        index,
        seed,
        train_size: 800,
        test_size: 200,
        fit_seconds: 1.5,
        predict_seconds: 0.25,
        metrics: vec![("rmse".into(), rmse), ("mae".into(), rmse * 0.8)],
        epochs: (1..=3)
            .map(|e| EpochRow {
                epoch: e,
                train_loss: 1.0 / f64::from(e),
                valid_rmse: Some(rmse + 0.1 / f64::from(e)),
                seconds: 0.01,
            })
            .collect(),
        extra: json!({"revealed": 3}),
    }
}

/// Experiment with one setting `s`, a started run and one trial.
fn one_trial(store: &Store, spec: &str) -> (RunId, TrialId) {
    let exp = store.ensure_experiment("exp", spec).expect("experiment");
    store
        .ensure_setting(exp.id, &setting("s", "per-user"))
        .expect("setting");
    let run = store
        .start_run(
            exp.id,
            &NewRun {
                lfg_version: "0.1.0".into(),
                ..NewRun::default()
            },
        )
        .expect("run");
    let trial = store
        .upsert_trial(run, &key("s", "svd", json!({"factors": 10, "lr": 0.01})))
        .expect("trial");
    (run, trial)
}

#[test]
fn migrations_run_on_fresh_file_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested/deeper/lfg.sqlite");
    let run = {
        let store = Store::open(&path).expect("open fresh");
        assert!(path.exists(), "database file created with parent folders");
        let (run, trial) = one_trial(&store, "spec-1");
        store.record_fold(trial, &fold(0, 7, 0.9)).expect("fold");
        run
    };
    // Reopen: migrations already applied, data still there.
    let store = Store::open(&path).expect("reopen");
    let runs = store.list_runs().expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].run, run);
    let detail = store.run_detail(run).expect("detail");
    assert_eq!(detail.results[0].metric("rmse"), vec![0.9]);
    // WAL mode is on for files.
    let mode: String = tokio_free_pragma(&path, "PRAGMA journal_mode");
    assert_eq!(mode.to_ascii_lowercase(), "wal");
}

/// Reads one pragma through a separate plain connection.
fn tokio_free_pragma(path: &std::path::Path, sql: &'static str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect_with(
            &sqlx::sqlite::SqliteConnectOptions::new().filename(path),
        )
        .await
        .expect("connect");
        let (v,): (String,) = sqlx::query_as(sql)
            .fetch_one(&mut conn)
            .await
            .expect("pragma");
        v
    })
}

#[test]
fn not_a_database_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("garbage.sqlite");
    std::fs::write(&path, vec![b'x'; 4096]).expect("write");
    let err = Store::open(&path).expect_err("must fail");
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("garbage.sqlite") && msg.contains("not a SQLite database"),
        "{msg}"
    );
}

#[test]
fn in_memory_store_works_and_trials_are_idempotent() {
    let store = Store::open_in_memory().expect("memory");
    let (run, trial) = one_trial(&store, "spec");
    // Same key, keys in another order: same trial.
    let again = store
        .upsert_trial(run, &key("s", "svd", json!({"lr": 0.01, "factors": 10})))
        .expect("again");
    assert_eq!(trial, again);
    // Strategy / reveal / role / hyperparameters each make a distinct trial.
    let mut k = key("s", "svd", json!({"factors": 10, "lr": 0.01}));
    k.strategy = Some("fold-in".into());
    let t2 = store.upsert_trial(run, &k).expect("t2");
    k.reveal = Some(5);
    let t3 = store.upsert_trial(run, &k).expect("t3");
    k.role = TrialRole::Sweep;
    let t4 = store.upsert_trial(run, &k).expect("t4");
    let ids = [trial, t2, t3, t4];
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert_eq!(store.upsert_trial(run, &k).expect("t4 again"), t4);
    // Unknown setting and unknown run are typed errors.
    let err = store
        .upsert_trial(run, &key("nope", "svd", json!({})))
        .expect_err("setting");
    assert!(matches!(err, StoreError::UnknownSetting { ref setting, .. } if setting == "nope"));
    let err = store
        .upsert_trial(RunId(999), &key("s", "svd", json!({})))
        .expect_err("run");
    assert!(matches!(err, StoreError::UnknownRun(RunId(999))), "{err:?}");
}

#[test]
fn fold_validation_and_duplicates() {
    let store = Store::open_in_memory().expect("memory");
    let (_, trial) = one_trial(&store, "spec");
    let mut bad = fold(0, 1, 0.9);
    bad.metrics.push(("rmse".into(), 1.0));
    let err = store
        .record_fold(trial, &bad)
        .expect_err("duplicate metric");
    assert!(matches!(err, StoreError::DuplicateMetric { ref name, .. } if name == "rmse"));
    let mut bad = fold(0, 1, 0.9);
    bad.epochs[1].epoch = 1;
    assert!(matches!(
        store.record_fold(trial, &bad),
        Err(StoreError::DuplicateEpoch { epoch: 1, .. })
    ));
    assert!(store.finished_folds(trial).expect("f").is_empty());

    store.record_fold(trial, &fold(0, 1, 0.9)).expect("ok");
    let err = store
        .record_fold(trial, &fold(0, 1, 0.9))
        .expect_err("dup fold");
    assert!(
        matches!(err, StoreError::DuplicateFold { index: 0, .. }),
        "{err:?}"
    );
    assert!(matches!(
        store.record_fold(TrialId(12345), &fold(1, 1, 0.9)),
        Err(StoreError::UnknownTrial(TrialId(12345)))
    ));

    // A failed fold is not finished, and a later success replaces it.
    store
        .record_failed_fold(trial, 1, 2, "diverged")
        .expect("failed");
    assert_eq!(store.finished_folds(trial).expect("f"), vec![0]);
    let run = store.resolve_run("latest").expect("latest");
    let failed = &store.run_detail(run).expect("detail").results[0].folds[1];
    assert_eq!(failed.status, FoldStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("diverged"));
    assert!(failed.metrics.is_empty());
    store.record_fold(trial, &fold(1, 2, 0.95)).expect("retry");
    assert_eq!(store.finished_folds(trial).expect("f"), vec![0, 1]);

    // NaN metrics round-trip as NaN, u64 seeds above i64::MAX round-trip exactly.
    let mut odd = fold(2, u64::MAX - 3, f64::NAN);
    odd.metrics = vec![("rmse".into(), f64::NAN)];
    store.record_fold(trial, &odd).expect("nan");
    let detail = store.run_detail(run).expect("detail");
    let f2 = &detail.results[0].folds[2];
    assert_eq!(f2.seed, u64::MAX - 3);
    assert!(f2.metrics["rmse"].is_nan());
    let s = detail.results[0].metric_summary("rmse");
    assert_eq!(s.n, 2, "NaN excluded from the summary");
}

#[test]
fn resume_helpers_return_exactly_the_missing_folds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lfg.sqlite");
    let (run, trial) = {
        let store = Store::open(&path).expect("open");
        let (run, trial) = one_trial(&store, "spec");
        for i in [0, 2, 3] {
            store
                .record_fold(trial, &fold(i, 100 + i as u64, 0.9))
                .expect("fold");
        }
        store
            .record_failed_fold(trial, 4, 104, "oom")
            .expect("failed");
        store.mark_interrupted(run).expect("interrupt");
        (run, trial)
    };
    // A new process resumes.
    let store = Store::open(&path).expect("reopen");
    let latest = store
        .latest_run_for_experiment("exp")
        .expect("q")
        .expect("some run");
    assert_eq!(latest.run, run);
    assert_eq!(latest.status, RunStatus::Interrupted);
    assert!(latest.finished.is_some());
    // by spec hash too
    assert_eq!(
        store
            .latest_run_for_experiment(&lfg_store::sha256_hex("spec"))
            .expect("q")
            .map(|s| s.run),
        Some(run)
    );
    assert!(
        store
            .latest_run_for_experiment("other")
            .expect("q")
            .is_none()
    );

    store.resume_run(run).expect("resume");
    let info = store.run_info(run).expect("info");
    assert_eq!(info.status, RunStatus::Running);
    assert!(info.finished.is_none());
    // Same key -> same trial id on resume.
    let again = store
        .upsert_trial(run, &key("s", "svd", json!({"factors": 10, "lr": 0.01})))
        .expect("trial");
    assert_eq!(again, trial);
    assert_eq!(store.finished_folds(trial).expect("f"), vec![0, 2, 3]);
    assert_eq!(store.missing_folds(trial, 5).expect("m"), vec![1, 4]);
    for i in store.missing_folds(trial, 5).expect("m") {
        store
            .record_fold(trial, &fold(i, 100 + i as u64, 0.9))
            .expect("fold");
    }
    assert!(store.missing_folds(trial, 5).expect("m").is_empty());
    store.finish_run(run, RunStatus::Completed).expect("finish");
    let detail = store.run_detail(run).expect("detail");
    let idx: Vec<usize> = detail.results[0].folds.iter().map(|f| f.index).collect();
    assert_eq!(idx, vec![0, 1, 2, 3, 4], "no duplicated or lost fold");
    assert_eq!(detail.run.status, RunStatus::Completed);
    assert!(matches!(
        store.finish_run(RunId(77), RunStatus::Failed),
        Err(StoreError::UnknownRun(RunId(77)))
    ));
}

#[test]
fn reuse_of_finished_folds_across_runs_of_the_same_spec() {
    let store = Store::open_in_memory().expect("memory");
    let (run1, t1) = one_trial(&store, "spec-A");
    store.record_fold(t1, &fold(0, 10, 0.91)).expect("f0");
    store.record_fold(t1, &fold(1, 11, 0.92)).expect("f1");
    store
        .finish_run(run1, RunStatus::Completed)
        .expect("finish");

    // Second run of the identical spec.
    let (run2, t2) = one_trial(&store, "spec-A");
    assert_ne!(run1, run2);
    let reused = store.reuse_fold(t2, 0, 10).expect("reuse").expect("found");
    // wrong seed, or a fold that was never computed: nothing to reuse
    assert!(store.reuse_fold(t2, 1, 999).expect("reuse").is_none());
    assert!(store.reuse_fold(t2, 2, 12).expect("reuse").is_none());
    // already present: not reused twice
    assert!(store.reuse_fold(t2, 0, 10).expect("reuse").is_none());
    assert_eq!(store.finished_folds(t2).expect("f"), vec![0]);

    let d1 = store.run_detail(run1).expect("d1");
    let d2 = store.run_detail(run2).expect("d2");
    let (src, dst) = (&d1.results[0].folds[0], &d2.results[0].folds[0]);
    assert_eq!(dst.fold, reused);
    assert_eq!(dst.reused_from, Some(src.fold));
    assert_eq!(dst.metrics, src.metrics);
    assert_eq!(dst.epochs, src.epochs);
    assert_eq!(dst.extra, src.extra);
    assert_eq!((dst.fit_seconds, dst.seed), (src.fit_seconds, src.seed));

    // A third run reusing from the second points at the original fold.
    let (run3, t3) = one_trial(&store, "spec-A");
    let _ = run3;
    store.reuse_fold(t3, 0, 10).expect("reuse").expect("found");
    let d3 = store.run_detail(run3).expect("d3");
    assert_eq!(d3.results[0].folds[0].reused_from, Some(src.fold));

    // Different spec, or different hyperparameters: never reused.
    let (_, t4) = one_trial(&store, "spec-B");
    assert!(store.reuse_fold(t4, 0, 10).expect("reuse").is_none());
    let other = store
        .upsert_trial(run2, &key("s", "svd", json!({"factors": 20, "lr": 0.01})))
        .expect("other");
    assert!(store.reuse_fold(other, 0, 10).expect("reuse").is_none());
}

#[test]
fn concurrent_writers_from_rayon_threads_all_land() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lfg.sqlite");
    let store = Store::open(&path).expect("open");
    let (run, _) = one_trial(&store, "spec");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(8)
        .build()
        .expect("pool");
    // 6 models x 5 folds written from 8 threads; trials created concurrently too.
    let jobs: Vec<(usize, usize)> = (0..6).flat_map(|m| (0..5).map(move |f| (m, f))).collect();
    pool.install(|| {
        jobs.par_iter().for_each(|&(m, f)| {
            let trial = store
                .upsert_trial(run, &key("s", &format!("model-{m}"), json!({"m": m})))
                .expect("trial");
            store
                .record_fold(trial, &fold(f, (m * 10 + f) as u64, 0.9 + m as f64 / 100.0))
                .expect("fold");
        });
    });
    // A second Store on the same file (as another process would) writes concurrently.
    let other = Store::open(&path).expect("second handle");
    std::thread::scope(|s| {
        s.spawn(|| {
            let t = other
                .upsert_trial(run, &key("s", "other", json!({})))
                .expect("t");
            for f in 0..5 {
                other.record_fold(t, &fold(f, f as u64, 1.0)).expect("fold");
            }
        });
        s.spawn(|| {
            let t = store
                .upsert_trial(run, &key("s", "mine", json!({})))
                .expect("t");
            for f in 0..5 {
                store.record_fold(t, &fold(f, f as u64, 1.0)).expect("fold");
            }
        });
    });
    let detail = store.run_detail(run).expect("detail");
    // svd (from one_trial, no folds) + 6 models + 2 more
    assert_eq!(detail.results.len(), 9);
    let folds: usize = detail.results.iter().map(|t| t.folds.len()).sum();
    assert_eq!(folds, 40);
    for t in detail.results.iter().filter(|t| t.model != "svd") {
        assert_eq!(
            t.completed_fold_indices(),
            vec![0, 1, 2, 3, 4],
            "{}",
            t.model
        );
        assert!(
            t.folds
                .iter()
                .all(|f| f.metrics.len() == 2 && f.epochs.len() == 3)
        );
    }
}

#[test]
fn locked_database_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("locked.sqlite");
    let opts = StoreOptions {
        busy_timeout: Duration::from_millis(200),
        ..StoreOptions::default()
    };
    let store = Store::open_with(&path, opts).expect("open");
    let exp = store.ensure_experiment("e", "spec").expect("exp");
    store
        .ensure_setting(exp.id, &setting("s", "per-user"))
        .expect("setting");
    let run0 = store.start_run(exp.id, &NewRun::default()).expect("run");
    let trial = store
        .upsert_trial(run0, &key("s", "m", json!({})))
        .expect("trial");

    // Another connection (as another lfg process would) holds an exclusive write transaction.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let mut conn = rt
        .block_on(sqlx::SqliteConnection::connect_with(
            &sqlx::sqlite::SqliteConnectOptions::new().filename(&path),
        ))
        .expect("connect");
    rt.block_on(sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn))
        .expect("lock");

    let started = Instant::now();
    let err = store
        .start_run(exp.id, &NewRun::default())
        .expect_err("locked");
    let waited = started.elapsed();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("locked.sqlite") && msg.contains("is locked by another lfg process"),
        "{msg}"
    );
    assert!(
        waited >= Duration::from_millis(150),
        "busy timeout honoured: {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "did not hang: {waited:?}");
    // Multi-statement writes (BEGIN IMMEDIATE transactions) report the same error.
    let err = store
        .record_fold(trial, &fold(0, 1, 0.9))
        .expect_err("locked fold");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let err = store
        .upsert_trial(run0, &key("s", "m2", json!({})))
        .expect_err("locked trial");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");

    // Opening a migrated database needs no write lock (so `lfg show` works during a run);
    // its writes fail the same way, and multi-statement writes too.
    let second = Store::open_with(&path, opts).expect("open while locked");
    let err = second.ensure_experiment("e2", "spec2").expect_err("locked");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let err = second
        .ensure_setting(exp.id, &setting("s", "per-user"))
        .expect_err("locked");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");

    // Reads still work in WAL mode while a writer holds the lock.
    assert_eq!(store.list_experiments().expect("read").len(), 1);

    rt.block_on(sqlx::query("COMMIT").execute(&mut conn))
        .expect("unlock");
    store
        .start_run(exp.id, &NewRun::default())
        .expect("works after unlock");
    store
        .record_fold(trial, &fold(0, 1, 0.9))
        .expect("fold after unlock");
    assert_eq!(store.finished_folds(trial).expect("f"), vec![0]);
}

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
}

#[test]
fn queries_on_the_demo_fixture() {
    let store = Store::open_in_memory().expect("memory");
    let run = fixture::populate_demo(&store).expect("demo");
    let cold = fixture::populate_cold_start_demo(&store).expect("cold");

    // list_runs / resolve_run
    let runs = store.list_runs().expect("runs");
    assert_eq!(
        runs.iter().map(|r| r.run).collect::<Vec<_>>(),
        vec![run, cold]
    );
    assert!(
        runs.iter()
            .all(|r| r.status == RunStatus::Completed && r.finished.is_some())
    );
    assert_eq!(runs[0].experiment, fixture::DEMO_EXPERIMENT);
    assert_eq!(store.resolve_run("latest").expect("latest"), cold);
    assert_eq!(store.resolve_run(&run.to_string()).expect("id"), run);
    assert_eq!(
        store.resolve_run(fixture::DEMO_EXPERIMENT).expect("name"),
        run
    );
    assert!(matches!(
        store.resolve_run("424242"),
        Err(StoreError::UnknownRun(RunId(424242)))
    ));
    assert!(matches!(
        store.resolve_run("no-such"),
        Err(StoreError::UnknownRunRef(_))
    ));
    assert_eq!(store.list_experiments().expect("exps").len(), 2);

    // run_detail
    let d = store.run_detail(run).expect("detail");
    assert_eq!(d.run.host.as_deref(), Some("demo-host"));
    assert_eq!(d.run.git_dirty, Some(false));
    assert_eq!(d.run.cli_args, vec!["lfg", "run", "demo.toml"]);
    assert_eq!(
        d.settings
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        vec!["per-user", "new-user"]
    );
    assert_eq!(d.results_for("per-user").count(), 4);
    assert_eq!(d.results_for("new-user").count(), 5);
    for t in &d.results {
        assert_eq!(t.folds.len(), fixture::DEMO_FOLDS);
        assert_eq!(t.metric_names(), vec!["mae", "per-user-rmse", "rmse"]);
        let rmse = t.metric("rmse");
        assert!(
            rmse.iter().all(|v| (0.85..1.2).contains(v)),
            "{}: {rmse:?}",
            t.model
        );
        assert!(t.fit_seconds().iter().all(|s| *s > 0.0));
        assert_eq!(t.predict_seconds().len(), fixture::DEMO_FOLDS);
        assert!(t.folds.iter().all(|f| f.epochs.len() == 20));
    }
    let by = |setting: &str, model: &str, strategy: Option<&str>| {
        d.results
            .iter()
            .find(|t| t.setting == setting && t.model == model && t.strategy.as_deref() == strategy)
            .expect("trial present")
    };
    let svd = by("per-user", "svd", None).metric_summary("rmse");
    let lfg_new = by("new-user", "lfg", Some("generate"));
    assert!((svd.mean - 0.9404).abs() < 0.01, "{svd:?}");
    assert!(svd.std > 0.0 && svd.std < 0.01);
    let stats = by("per-user", "svd", None).metric_stats();
    assert_eq!(stats["rmse"].folds.len(), fixture::DEMO_FOLDS);
    assert!((stats["rmse"].mean - svd.mean).abs() < 1e-15);
    let manual_mean = stats["mae"].folds.iter().sum::<f64>() / stats["mae"].folds.len() as f64;
    assert!((stats["mae"].mean - manual_mean).abs() < 1e-12);
    assert_eq!(lfg_new.protocol, "new-user");
    assert!(
        lfg_new.folds[0].extra["serve-seconds-per-user"]
            .as_f64()
            .is_some()
    );
    // learning curves of lfg carry a validation RMSE
    assert!(
        by("per-user", "lfg", None).folds[0]
            .epochs
            .iter()
            .all(|e| e.valid_rmse.is_some())
    );
    assert_eq!(d.artifacts.len(), 1);
    assert_eq!(
        d.artifacts[0].trial,
        Some(by("per-user", "lfg", None).trial)
    );

    // sweeps: one group, 6 candidates, exactly one chosen, and it is the lowest validation RMSE
    assert_eq!(d.sweeps.len(), 1);
    let g = &d.sweeps[0];
    assert_eq!((g.setting.as_str(), g.model.as_str()), ("per-user", "lfg"));
    assert_eq!(g.final_trial, Some(by("per-user", "lfg", None).trial));
    assert_eq!(g.trials.len(), 6);
    let chosen: Vec<_> = g.trials.iter().filter(|t| t.chosen).collect();
    assert_eq!(chosen.len(), 1);
    let best = g
        .trials
        .iter()
        .map(|t| t.mean_metrics["rmse"])
        .fold(f64::INFINITY, f64::min);
    assert_eq!(chosen[0].mean_metrics["rmse"], best);
    assert_eq!(chosen[0].trial.hyperparameters["lr"], json!(0.003));

    // cold-start: one trial per (model, reveal)
    let c = store.run_detail(cold).expect("cold");
    assert_eq!(c.results.len(), 3 * fixture::COLD_START_REVEALS.len());
    let lfg_curve: Vec<f64> = c
        .results
        .iter()
        .filter(|t| t.model == "lfg")
        .map(|t| t.metric_summary("rmse").mean)
        .collect();
    assert_eq!(lfg_curve.len(), 6);
    assert!(lfg_curve.first() > lfg_curve.last(), "{lfg_curve:?}");

    // compare: a second identical demo run -> every key matches, diffs tiny
    let run_b = fixture::populate_demo(&store).expect("demo 2");
    let cmp = store.compare_runs(run, run_b).expect("compare");
    assert_eq!(cmp.rows.len(), 9 * 3);
    for row in &cmp.rows {
        assert_eq!(row.same_hyperparameters, Some(true));
        let diff = row.diff.expect("both sides");
        assert!(diff.abs() < 1e-12, "{row:?}");
    }
    // compare with the cold-start run: disjoint keys -> one side missing everywhere
    let cmp = store.compare_runs(run, cold).expect("compare disjoint");
    assert!(
        cmp.rows
            .iter()
            .all(|r| r.diff.is_none() && (r.a.is_none() != r.b.is_none()))
    );
    assert!(matches!(
        store.compare_runs(run, RunId(999)),
        Err(StoreError::UnknownRun(_))
    ));

    // everything serialises to JSON with the documented shapes
    let runs_json = serde_json::to_value(&runs).expect("json");
    for key in ["run", "experiment", "status", "started", "finished"] {
        assert!(runs_json[0].get(key).is_some(), "missing {key}");
    }
    assert_eq!(runs_json[0]["status"], json!("completed"));
    let dj = serde_json::to_value(&d).expect("json");
    assert_eq!(dj["results"][0]["setting"], json!("per-user"));
    assert!(dj["results"][0]["folds"][0]["metrics"]["rmse"].is_f64());
}
