//! Shared helpers: a synthetic data set, experiment files, and running the binary.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The built `lfg` binary.
pub fn lfg_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lfg"))
}

/// A test folder with a synthetic `ratings.csv` (MovieLens "latest" layout).
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

/// Parameters of the synthetic data: `users x items`, each user rating `per_user` items.
#[derive(Clone, Copy, Debug)]
pub struct Synthetic {
    pub users: usize,
    pub items: usize,
    pub per_user: usize,
    pub seed: u64,
}

impl Default for Synthetic {
    fn default() -> Self {
        Self {
            users: 60,
            items: 40,
            per_user: 20,
            seed: 1,
        }
    }
}

/// SplitMix64, so the data does not depend on any crate's RNG.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(state: &mut u64) -> f64 {
    (next(state) >> 11) as f64 / (1u64 << 53) as f64
}

impl Synthetic {
    /// `userId,movieId,rating,timestamp` lines of a rank-2 preference model plus noise,
    /// rounded to 1..=5. Raw ids start at 1 (users) and 101 (items).
    pub fn csv(&self) -> String {
        let mut s = self.seed;
        let uf: Vec<[f64; 2]> = (0..self.users)
            .map(|_| [unit(&mut s) * 2.0 - 1.0, unit(&mut s) * 2.0 - 1.0])
            .collect();
        let itf: Vec<[f64; 2]> = (0..self.items)
            .map(|_| [unit(&mut s) * 2.0 - 1.0, unit(&mut s) * 2.0 - 1.0])
            .collect();
        let ib: Vec<f64> = (0..self.items).map(|_| unit(&mut s) - 0.5).collect();
        let mut out = String::from("userId,movieId,rating,timestamp\n");
        for (u, f) in uf.iter().enumerate() {
            // A distinct random subset of items for each user.
            let mut items: Vec<usize> = (0..self.items).collect();
            for i in (1..items.len()).rev() {
                let j = (next(&mut s) % (i as u64 + 1)) as usize;
                items.swap(i, j);
            }
            let mut chosen: Vec<usize> = items.into_iter().take(self.per_user).collect();
            chosen.sort_unstable();
            for i in chosen {
                let g = &itf[i];
                let x =
                    3.4 + 1.2 * (f[0] * g[0] + f[1] * g[1]) + ib[i] + 0.4 * (unit(&mut s) - 0.5);
                let r = x.round().clamp(1.0, 5.0) as i64;
                out.push_str(&format!(
                    "{},{},{r},{}\n",
                    u + 1,
                    i + 101,
                    1_000_000 + u * 1000 + i
                ));
            }
        }
        out
    }
}

impl Workspace {
    /// A folder holding `ratings.csv` from `data`.
    pub fn new(data: Synthetic) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("ratings.csv"), data.csv()).expect("write ratings.csv");
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes an experiment file; returns its name (relative to the folder).
    pub fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.path().join(name), text).expect("write experiment");
        name.to_string()
    }

    /// `lfg <args>` run in the folder with its own store and data folder.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(lfg_bin());
        c.current_dir(self.path())
            .env("LFG_STORE", self.path().join("lfg.sqlite"))
            .env("LFG_DATA_DIR", self.path().join("data"))
            .env_remove("RUST_LOG")
            .args(args);
        c
    }

    /// Runs `lfg <args>`, returning its output whatever the exit status.
    pub fn output(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run lfg")
    }

    /// Runs `lfg <args>` and parses its stdout as JSON; panics on failure.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.output(args);
        assert!(
            out.status.success(),
            "lfg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "lfg {args:?}: stdout is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }
}

/// A small experiment on `ratings.csv`: per-user and new-user settings, fast models.
pub fn small_experiment(name: &str, folds: usize) -> String {
    format!(
        r#"
[experiment]
name = "{name}"
description = "synthetic end-to-end test"
seed = 7
dataset = {{ csv = "ratings.csv" }}

[[setting]]
name = "per-user"
protocol = {{ kind = "per-user", folds = {folds} }}
metrics = ["rmse", "mae", "per-user-rmse", "coverage", "ndcg@5"]

[[setting.model]]
model = "baseline"

[[setting.model]]
model = "svd"
factors = 4
epochs = 15

[[setting.model]]
model = "lfg"
upstream = "truncated-svd"
k = 4
hidden = [16]
epochs = 3
batch-size = 16

[[setting]]
name = "new-user"
protocol = {{ kind = "new-user", folds = {folds}, reveal = {{ fraction = 0.5 }} }}
metrics = ["rmse", "mae", "coverage"]

[[setting.model]]
model = "bias-svd"
factors = 4
epochs = 15

[[setting.model]]
model = "bias-svd"
strategy = "fold-in"
factors = 4
epochs = 15

[[setting.model]]
model = "lfg"
k = 4
hidden = [16]
epochs = 3
batch-size = 16
"#
    )
}

/// `(setting, model, strategy, reveal) -> per-fold RMSE` of `lfg show --json`.
pub fn fold_rmse(show: &serde_json::Value) -> Vec<(String, Vec<f64>)> {
    show["results"]
        .as_array()
        .expect("results array")
        .iter()
        .map(|r| {
            let key = format!(
                "{}/{}/{}/{}",
                r["setting"].as_str().unwrap_or("?"),
                r["model"].as_str().unwrap_or("?"),
                r["strategy"],
                r["reveal"]
            );
            let folds = r["metrics"]["rmse"]["folds"]
                .as_array()
                .expect("rmse folds")
                .iter()
                .map(|v| v.as_f64().expect("finite rmse"))
                .collect();
            (key, folds)
        })
        .collect()
}
