//! Invalid experiment files: errors name the file, `line:column` and key (snapshots of the
//! CLI's stderr), and nothing is written to the store.

use crate::common::{Synthetic, Workspace};

const BASE: &str = r#"[experiment]
name = "bad"
seed = 1
dataset = { csv = "ratings.csv" }

[[setting]]
name = "per-user"
protocol = { kind = "per-user", folds = 3 }
metrics = ["rmse", "mae"]

[[setting.model]]
model = "bias-svd"
factors = 4
epochs = 5
"#;

/// `lfg check bad.toml` on `BASE` with `from` replaced by `to`: its stderr (must fail).
fn check_error(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    let ws = Workspace::new(Synthetic::default());
    let f = ws.write("bad.toml", &BASE.replacen(from, to, 1));
    let out = ws.output(&["check", &f]);
    assert_eq!(out.status.code(), Some(1), "lfg check must fail");
    assert!(out.stdout.is_empty());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn base_file_is_valid() {
    let ws = Workspace::new(Synthetic::default());
    let f = ws.write("ok.toml", BASE);
    ws.cmd(&["check", &f]).assert().success();
}

#[test]
fn unknown_key() {
    insta::assert_snapshot!(check_error("metrics =", "metric ="));
}

#[test]
fn wrong_type() {
    insta::assert_snapshot!(check_error("seed = 1", "seed = \"one\""));
}

#[test]
fn impossible_folds() {
    insta::assert_snapshot!(check_error("folds = 3", "folds = 1"));
}

#[test]
fn unknown_model() {
    insta::assert_snapshot!(check_error("model = \"bias-svd\"", "model = \"bias_svd\""));
}

#[test]
fn unknown_hyperparameter() {
    insta::assert_snapshot!(check_error("epochs = 5", "epochs = 5\nlrr = 0.1"));
}

#[test]
fn invalid_hyperparameter_value() {
    insta::assert_snapshot!(check_error("factors = 4", "factors = 0"));
}

#[test]
fn strategy_outside_new_user_protocol() {
    insta::assert_snapshot!(check_error(
        "epochs = 5",
        "epochs = 5\nstrategy = \"fold-in\""
    ));
}

#[test]
fn bad_sweep_candidate() {
    insta::assert_snapshot!(check_error(
        "epochs = 5",
        "epochs = 5\n[setting.model.sweep]\nmethod = \"grid\"\nparams = { factors = [4, -2] }"
    ));
}

#[test]
fn toml_syntax_error() {
    insta::assert_snapshot!(check_error("seed = 1", "seed = "));
}

#[test]
fn missing_file() {
    let ws = Workspace::new(Synthetic::default());
    let out = ws.output(&["check", "nope.toml"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stderr));
}

#[test]
fn an_invalid_file_is_not_run_and_the_store_is_untouched() {
    let ws = Workspace::new(Synthetic::default());
    let f = ws.write("bad.toml", &BASE.replace("folds = 3", "folds = 0"));
    let out = ws.output(&["run", &f, "--no-report"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml:8:"));
    assert!(!ws.path().join("lfg.sqlite").exists());
}

#[test]
fn missing_movielens_data_says_how_to_fetch_it() {
    let ws = Workspace::new(Synthetic::default());
    let f = ws.write(
        "ml.toml",
        &BASE.replace(
            "dataset = { csv = \"ratings.csv\" }",
            "dataset = \"ml-100k\"",
        ),
    );
    // `--no-fetch`: no download attempt (a plain `run` would fetch the data set from GroupLens).
    let out = ws.output(&["run", &f, "--no-report", "--no-fetch"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lfg data fetch ml-100k"), "{err}");
    // The failed attempt left no run behind.
    assert_eq!(ws.json(&["runs", "--json"]), serde_json::json!([]));
}
