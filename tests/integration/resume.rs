//! Killing `lfg run` mid-run and resuming it: no fold lost, none duplicated, same numbers.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Synthetic, Workspace, fold_rmse, lfg_bin};

const FOLDS: usize = 6;

fn experiment() -> String {
    format!(
        r#"
[experiment]
name = "resume"
seed = 3
dataset = {{ csv = "ratings.csv" }}

[[setting]]
name = "per-user"
protocol = {{ kind = "per-user", folds = {FOLDS} }}
metrics = ["rmse", "mae"]

[[setting.model]]
model = "svd-pp"
factors = 8
epochs = 40

[[setting.model]]
model = "bias-svd"
factors = 8
epochs = 80
"#
    )
}

/// Completed folds per result row, from `lfg show latest --json` (None: no run yet).
fn completed(ws: &Workspace) -> Option<Vec<Vec<u64>>> {
    let out = ws.output(&["show", "latest", "--json"]);
    if !out.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(
        v["results"]
            .as_array()?
            .iter()
            .map(|r| {
                r["fold_indices"]
                    .as_array()
                    .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
                    .unwrap_or_default()
            })
            .collect(),
    )
}

/// Starts `lfg run` of the experiment in a fresh workspace (synthetic data from `seed`) and
/// returns once at least one fold is committed: the workspace, the spec path, the running
/// child (stderr piped) and the number of committed folds.
fn start_run_until_first_fold(seed: u64) -> (Workspace, String, Child, usize) {
    let ws = Workspace::new(Synthetic {
        users: 300,
        items: 120,
        per_user: 40,
        seed,
    });
    let f = ws.write("exp.toml", &experiment());
    let mut child = Command::new(lfg_bin())
        .current_dir(ws.path())
        .env("LFG_STORE", ws.path().join("lfg.sqlite"))
        .args(["run", &f, "--jobs", "1", "--no-report", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lfg run");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            let out = child.wait_with_output().expect("wait");
            panic!(
                "lfg run ended ({}) before any check could interrupt it: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if let Some(rows) = completed(&ws) {
            let n: usize = rows.iter().map(Vec::len).sum();
            if n >= 1 {
                return (ws, f, child, n);
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no fold finished in 120 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn kill_mid_run_then_resume_loses_and_duplicates_nothing() {
    let (ws, f, mut child, done_at_kill) = start_run_until_first_fold(5);
    child.kill().expect("kill");
    let _ = child.wait();
    let total = 2 * FOLDS;
    let after_kill: usize = completed(&ws)
        .expect("run recorded")
        .iter()
        .map(Vec::len)
        .sum();
    assert!(after_kill >= done_at_kill);
    assert!(
        after_kill < total,
        "the run finished before the kill ({after_kill}/{total}): enlarge the workload"
    );
    let runs = ws.json(&["runs", "--json"]);
    assert_eq!(
        runs[0]["status"], "running",
        "a killed run is left as it was: {runs}"
    );

    ws.cmd(&[
        "run",
        &f,
        "--resume",
        "--jobs",
        "2",
        "--no-report",
        "--quiet",
    ])
    .assert()
    .success();
    let runs = ws.json(&["runs", "--json"]);
    assert_eq!(
        runs.as_array().map(Vec::len),
        Some(1),
        "resume continues the same run"
    );
    assert_eq!(runs[0]["status"], "completed");
    let rows = completed(&ws).expect("rows");
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!(
            *r,
            (0..FOLDS as u64).collect::<Vec<_>>(),
            "every fold exactly once"
        );
    }
    // Nothing left to resume.
    let again = ws.output(&["run", &f, "--resume", "--no-report", "--quiet"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to resume"));

    // The interrupted-and-resumed numbers equal an uninterrupted run's.
    ws.cmd(&[
        "run",
        &f,
        "--fresh",
        "--no-report",
        "--quiet",
        "--store",
        "fresh.sqlite",
    ])
    .assert()
    .success();
    let resumed = ws.json(&["show", "latest", "--json"]);
    let fresh = ws.json(&["show", "latest", "--json", "--store", "fresh.sqlite"]);
    assert_eq!(fold_rmse(&resumed), fold_rmse(&fresh));
}

#[test]
fn ctrl_c_stops_cleanly_marks_the_run_interrupted_and_resume_finishes_it() {
    let (ws, f, child, _) = start_run_until_first_fold(6);
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill -INT");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "exit code of an interrupted run: {stderr}"
    );
    assert!(
        stderr.contains("--resume"),
        "tells how to continue: {stderr}"
    );
    let runs = ws.json(&["runs", "--json"]);
    assert_eq!(runs[0]["status"], "interrupted", "{runs}");
    let partial: usize = completed(&ws).expect("rows").iter().map(Vec::len).sum();
    assert!(
        (1..2 * FOLDS).contains(&partial),
        "{partial} folds before resume"
    );

    ws.cmd(&["run", &f, "--resume", "--no-report", "--quiet"])
        .assert()
        .success();
    let runs = ws.json(&["runs", "--json"]);
    assert_eq!(runs.as_array().map(Vec::len), Some(1));
    assert_eq!(runs[0]["status"], "completed");
    for r in completed(&ws).expect("rows") {
        assert_eq!(
            r,
            (0..FOLDS as u64).collect::<Vec<_>>(),
            "every fold exactly once"
        );
    }
}
