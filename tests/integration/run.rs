//! `lfg check`, `run`, `show`, `runs`, `export`, `compare` on a small experiment.

use predicates::str::contains;

use crate::common::{Synthetic, Workspace, fold_rmse, small_experiment};

#[test]
fn run_then_show_runs_export_compare() {
    let ws = Workspace::new(Synthetic::default());
    let f = ws.write("exp.toml", &small_experiment("e2e", 3));
    ws.cmd(&["check", &f])
        .assert()
        .success()
        .stdout(contains("ok: experiment `e2e`"));
    ws.cmd(&["run", &f, "--jobs", "2", "--no-report", "--quiet"])
        .assert()
        .success();

    let show = ws.json(&["show", "latest", "--json"]);
    assert_eq!(show["experiment"], "e2e");
    assert_eq!(show["status"], "completed");
    let results = show["results"].as_array().expect("results");
    assert_eq!(results.len(), 6, "{show:#}");
    for r in results {
        let label = format!("{}/{}", r["setting"], r["model"]);
        assert_eq!(r["fold_indices"], serde_json::json!([0, 1, 2]), "{label}");
        let rmse = &r["metrics"]["rmse"];
        let folds = rmse["folds"].as_array().expect("folds");
        assert_eq!(folds.len(), 3, "{label}");
        let mean = rmse["mean"].as_f64().expect("mean");
        let recomputed = folds.iter().map(|v| v.as_f64().expect("f64")).sum::<f64>() / 3.0;
        assert!(
            (mean - recomputed).abs() < 1e-9,
            "{label}: mean {mean} vs {recomputed}"
        );
        assert!(rmse["std"].as_f64().expect("std") >= 0.0, "{label}");
        // Ratings are 1..5 around 3.4. Plain SVD (no biases, 15 epochs from ~0) is still far
        // off; every model with a mean or biases is well under the scale's width.
        let bound = if r["model"] == "svd" { 4.0 } else { 1.6 };
        assert!(mean > 0.1 && mean < bound, "{label}: rmse {mean}");
        assert!(r["fit_seconds"]["mean"].as_f64().expect("fit") >= 0.0);
        assert!(r["hyperparameters"].is_object(), "{label}");
        let new_user = r["setting"] == "new-user";
        assert_eq!(r["strategy"].is_string(), new_user, "{label}");
        assert_eq!(r["serve_seconds_per_user"].is_object(), new_user, "{label}");
    }
    // The paper's no-retrain protocol never personalises; fold-in always does.
    let coverage = |model: &str, strategy: &str| {
        results
            .iter()
            .find(|r| r["model"] == model && r["strategy"] == strategy)
            .and_then(|r| r["metrics"]["coverage"]["mean"].as_f64())
            .unwrap_or_else(|| panic!("{model} {strategy} coverage"))
    };
    assert_eq!(coverage("bias-svd", "no-retrain"), 0.0);
    assert!(coverage("bias-svd-fold-in", "fold-in") > 0.99);
    assert!(coverage("lfg", "generate") > 0.99);
    let per_user_lfg = results
        .iter()
        .find(|r| r["setting"] == "per-user" && r["model"] == "lfg")
        .expect("lfg row");
    assert!(per_user_lfg["metrics"]["ndcg@5"]["mean"].as_f64().is_some());

    let runs = ws.json(&["runs", "--json"]);
    let runs = runs.as_array().expect("runs array");
    assert_eq!(runs.len(), 1);
    for key in ["run", "experiment", "status", "started", "finished"] {
        assert!(runs[0].get(key).is_some(), "runs --json lacks {key}");
    }
    assert_eq!(runs[0]["status"], "completed");
    assert!(runs[0]["finished"].is_string());

    let text = ws.output(&["show", "latest"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("rmse per fold"), "{text}");
    assert!(text.contains("bias-svd-fold-in"), "{text}");

    let csv = ws.output(&["export", "latest", "--format", "csv"]);
    assert!(csv.status.success());
    let csv = String::from_utf8_lossy(&csv.stdout);
    let mut lines = csv.lines();
    assert!(lines.next().expect("header").ends_with(",metric,value"));
    // 6 rows x 3 folds, 5 or 3 metrics each.
    assert_eq!(lines.filter(|l| l.contains(",rmse,")).count(), 18, "{csv}");
    let exported = ws.json(&["export", "latest", "--format", "json"]);
    assert_eq!(exported["results"].as_array().map(Vec::len), Some(6));

    ws.cmd(&["compare", "1", "latest"])
        .assert()
        .success()
        .stdout(contains("rmse"));
    let cmp = ws.json(&["compare", "1", "1", "--json"]);
    assert!(cmp["rows"].as_array().is_some_and(|r| !r.is_empty()));
}

#[test]
fn results_do_not_depend_on_the_number_of_jobs() {
    let ws = Workspace::new(Synthetic::default());
    let f = ws.write("exp.toml", &small_experiment("jobs", 3));
    for (store, jobs) in [("a.sqlite", "1"), ("b.sqlite", "3")] {
        ws.cmd(&[
            "run",
            &f,
            "--jobs",
            jobs,
            "--no-report",
            "--quiet",
            "--store",
            store,
        ])
        .assert()
        .success();
    }
    let a = ws.json(&["show", "latest", "--json", "--store", "a.sqlite"]);
    let b = ws.json(&["show", "latest", "--json", "--store", "b.sqlite"]);
    assert_eq!(fold_rmse(&a), fold_rmse(&b));
}

#[test]
fn rerunning_an_identical_spec_reuses_finished_folds() {
    let ws = Workspace::new(Synthetic::default());
    let f = ws.write("exp.toml", &small_experiment("reuse", 2));
    ws.cmd(&["run", &f, "--no-report", "--quiet"])
        .assert()
        .success();
    let out = ws.output(&["run", &f, "--no-report"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0 fold(s) computed"), "{err}");
    let runs = ws.json(&["runs", "--json"]);
    assert_eq!(runs.as_array().map(Vec::len), Some(2));
    let first = ws.json(&["show", "1", "--json"]);
    let second = ws.json(&["show", "2", "--json"]);
    assert_eq!(fold_rmse(&first), fold_rmse(&second));
}

#[test]
fn saved_models_recommend_for_a_new_user() {
    let ws = Workspace::new(Synthetic::default());
    let f = ws.write("exp.toml", &small_experiment("rec", 2));
    ws.cmd(&[
        "run",
        &f,
        "--no-report",
        "--quiet",
        "--save-models",
        "models",
    ])
    .assert()
    .success();
    std::fs::write(
        ws.path().join("me.csv"),
        "item,rating\n101,5\n102,1\n110,4\n",
    )
    .expect("write");
    for model in [
        "models/new-user/bias-svd-fold-in.json",
        "models/new-user/lfg",
    ] {
        assert!(ws.path().join(model).exists(), "{model} was not saved");
        let v = ws.json(&[
            "recommend",
            "--model",
            model,
            "--ratings",
            "me.csv",
            "--top",
            "5",
            "--dataset",
            "ratings.csv",
            "--json",
        ]);
        let recs = v.as_array().expect("array");
        assert_eq!(recs.len(), 5, "{model}");
        let scores: Vec<f64> = recs
            .iter()
            .map(|r| r["score"].as_f64().expect("score"))
            .collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "{model}: {scores:?}"
        );
        for r in recs {
            let item = r["item"].as_i64().expect("item");
            assert!((101..=140).contains(&item), "{model}: raw id {item}");
            assert!(
                ![101, 102, 110].contains(&item),
                "{model}: recommended a rated item"
            );
            assert!(r["score"].as_f64().expect("score").is_finite());
        }
    }
}
