//! Machine-readable outputs: `lfg data check --json` and `lfg check --json`.

use crate::common::{Synthetic, Workspace, small_experiment};

#[test]
fn data_check_json_on_a_csv() {
    let ws = Workspace::new(Synthetic::default());
    let v = ws.json(&["data", "check", "ratings.csv", "--json"]);
    assert_eq!(v["users"], 60);
    assert_eq!(v["items"], 40);
    assert_eq!(v["ratings"], 60 * 20);
    assert!(v["dataset"].is_string());
    let hist: u64 = v["rating_histogram"]
        .as_array()
        .expect("histogram")
        .iter()
        .map(|p| p[1].as_u64().expect("count"))
        .sum();
    assert_eq!(hist, 1200);
}

#[test]
fn data_check_json_on_real_movielens() {
    let Some(dir) = lfg_data::testing::real_data_dir() else {
        return;
    };
    let ws = Workspace::new(Synthetic::default());
    let out = ws
        .cmd(&["data", "check", "ml-100k", "--json"])
        .env("LFG_DATA_DIR", &dir)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["dataset"], "ml-100k");
    assert_eq!(v["users"], 943);
    assert_eq!(v["items"], 1682);
    assert_eq!(v["ratings"], 100_000);
}

#[test]
fn check_json_plans_the_jobs() {
    let ws = Workspace::new(Synthetic::default());
    let f = ws.write("exp.toml", &small_experiment("plan", 4));
    let v = ws.json(&["check", &f, "--json"]);
    assert_eq!(v["experiment"], "plan");
    assert_eq!(v["spec_hash"].as_str().map(str::len), Some(64));
    // 2 settings x 3 models x 4 folds.
    assert_eq!(v["jobs"], 24);
    assert_eq!(v["settings"][1]["protocol"], "new-user");
}

#[test]
fn shipped_experiments_pass_check() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    for name in [
        "paper-ml100k.toml",
        "paper-ml1m.toml",
        "sweep-lfg-ml100k.toml",
        "cold-start-ml100k.toml",
    ] {
        let ws = Workspace::new(Synthetic::default());
        let path = dir.join(name);
        let out = ws.output(&["check", path.to_str().expect("utf-8 path")]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
