//! Tests that need the crate-internal failure injection.

use std::sync::atomic::Ordering;

use serde_json::json;

use crate::{EpochRow, FoldRecord, NewRun, SettingSpec, Store, StoreError, TrialKey, TrialRole};

fn count(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    store.rt.block_on(async {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&store.reader)
            .await
            .expect("count query");
        n
    })
}

#[test]
fn fold_write_is_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("db.sqlite")).expect("open");
    let exp = store
        .ensure_experiment("atomic", "spec")
        .expect("experiment");
    store
        .ensure_setting(
            exp.id,
            &SettingSpec {
                name: "s".into(),
                description: None,
                dataset: "d".into(),
                protocol: "per-user".into(),
                params: json!(null),
            },
        )
        .expect("setting");
    let run = store.start_run(exp.id, &NewRun::default()).expect("run");
    let trial = store
        .upsert_trial(
            run,
            &TrialKey {
                setting: "s".into(),
                model: "m".into(),
                strategy: None,
                reveal: None,
                role: TrialRole::Final,
                hyperparameters: json!({}),
            },
        )
        .expect("trial");
    let record = FoldRecord {
        index: 0,
        seed: 1,
        train_size: 10,
        test_size: 2,
        fit_seconds: 0.1,
        predict_seconds: 0.01,
        metrics: vec![("rmse".into(), 0.9), ("mae".into(), 0.7)],
        epochs: vec![
            EpochRow {
                epoch: 1,
                train_loss: 1.0,
                valid_rmse: Some(1.0),
                seconds: 0.1,
            },
            EpochRow {
                epoch: 2,
                train_loss: 0.8,
                valid_rmse: None,
                seconds: 0.1,
            },
        ],
        extra: json!({"x": 1}),
    };

    // Failure after the fold, its metrics and epochs were inserted, before COMMIT.
    store.fail_before_commit.store(true, Ordering::SeqCst);
    let err = store
        .record_fold(trial, &record)
        .expect_err("injected failure");
    assert!(
        matches!(
            err,
            StoreError::OutOfRange {
                what: "injected failure",
                ..
            }
        ),
        "{err}"
    );
    for table in ["folds", "metrics", "epochs"] {
        assert_eq!(count(&store, table), 0, "partial rows left in {table}");
    }
    assert!(store.finished_folds(trial).expect("finished").is_empty());

    // The same write then succeeds completely.
    store.fail_before_commit.store(false, Ordering::SeqCst);
    store.record_fold(trial, &record).expect("record");
    assert_eq!(count(&store, "folds"), 1);
    assert_eq!(count(&store, "metrics"), 2);
    assert_eq!(count(&store, "epochs"), 2);
    assert_eq!(store.finished_folds(trial).expect("finished"), vec![0]);
}
