//! A synthetic, deterministic [`ReportInput`] for tests, examples and screenshots.
//!
//! Two settings shaped like the paper's ML-100k experiments (per-user: Table 1; new users:
//! Table 3), four model rows each, five folds, learning curves, a two-parameter sweep grid, a
//! three-parameter sweep, a cold-start curve and paired comparisons. The numbers are made up
//! (close to the paper's scale); no randomness is involved.

use std::collections::BTreeMap;

use serde_json::json;

use crate::input::{
    ColdStartPoint, EpochPoint, FoldResult, LearningCurve, ModelReport, PairedComparison,
    ReportInput, RunMeta, SettingReport, SweepReport, SweepTrial,
};

/// Deterministic jitter in [-amp/2, amp/2] from an integer key.
fn jitter(key: u64, amp: f64) -> f64 {
    let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    ((h % 1000) as f64 / 999.0 - 0.5) * amp
}

fn folds(base: f64, key: u64, fit: f64, serve: Option<f64>) -> Vec<FoldResult> {
    (1..=5u32)
        .map(|f| {
            let k = key * 31 + f as u64;
            let rmse = base + 0.002 * (f as f64 - 3.0) + jitter(k, 0.004);
            let mut metrics = BTreeMap::new();
            metrics.insert("rmse".to_string(), rmse);
            metrics.insert("mae".to_string(), rmse * 0.787 + jitter(k + 7, 0.002));
            metrics.insert(
                "per-user-rmse".to_string(),
                rmse * 1.03 + jitter(k + 11, 0.003),
            );
            metrics.insert(
                "precision@10".to_string(),
                (1.25 - rmse) * 0.9 + jitter(k + 13, 0.01),
            );
            metrics.insert(
                "ndcg@10".to_string(),
                (1.3 - rmse) * 1.1 + jitter(k + 17, 0.01),
            );
            FoldResult {
                fold: f,
                metrics,
                fit_seconds: fit * (1.0 + jitter(k + 19, 0.2)),
                predict_seconds: fit * 0.01 * (1.0 + jitter(k + 23, 0.2)),
                serve_seconds_per_user: serve.map(|s| s * (1.0 + jitter(k + 29, 0.3))),
            }
        })
        .collect()
}

fn model(
    name: &str,
    strategy: Option<&str>,
    hp: serde_json::Value,
    f: Vec<FoldResult>,
) -> ModelReport {
    ModelReport {
        model: name.into(),
        strategy: strategy.map(str::to_string),
        hyperparams: hp,
        folds: f,
    }
}

fn curves(model: &str, key: u64, start: f64, end: f64) -> Vec<LearningCurve> {
    (1..=5u32)
        .map(|fold| LearningCurve {
            model: model.into(),
            fold,
            points: (1..=30u32)
                .map(|e| {
                    let t = e as f64;
                    let k = key * 1000 + fold as u64 * 50 + e as u64;
                    EpochPoint {
                        epoch: e,
                        train_loss: Some(0.55 + 0.6 * (-t / 6.0).exp() + jitter(k, 0.01)),
                        valid_rmse: Some(
                            end + (start - end) * (-t / 5.0).exp()
                                + 0.0004 * (t - 20.0).max(0.0)
                                + 0.002 * (fold as f64 - 3.0)
                                + jitter(k + 3, 0.003),
                        ),
                    }
                })
                .collect(),
        })
        .collect()
}

fn comparison(a: &str, b: &str, d: f64, half: f64, p: f64) -> PairedComparison {
    PairedComparison {
        a: a.into(),
        b: b.into(),
        metric: "rmse".into(),
        mean_diff: d,
        ci_low: d - half,
        ci_high: d + half,
        p_value: Some(p),
        method: "paired t-test".into(),
    }
}

/// The fixture input.
pub fn demo_input() -> ReportInput {
    let svd_hp = json!({"factors": 100, "epochs": 20, "lr": 0.005, "reg": 0.02});
    let lfg_hp = json!({"hidden": 128, "learning-rate": 0.001, "epochs": 30, "dropout": 0.1});

    // two-parameter grid: learning-rate x hidden
    let mut grid = Vec::new();
    for (i, lr) in [1e-4, 3e-4, 1e-3, 3e-3].iter().enumerate() {
        for (j, h) in [64u32, 128, 256].iter().enumerate() {
            let dist = ((i as f64) - 2.0).powi(2) * 0.006 + ((j as f64) - 1.0).powi(2) * 0.003;
            grid.push(SweepTrial {
                params: BTreeMap::from([
                    ("learning-rate".to_string(), json!(lr)),
                    ("hidden".to_string(), json!(h)),
                ]),
                metric: 0.905 + dist + jitter((i * 3 + j) as u64, 0.002),
            });
        }
    }
    // three-parameter random search: factors x reg x init (categorical)
    let mut random = Vec::new();
    for t in 0..14u64 {
        let factors = [20u32, 50, 100, 150, 200][(t % 5) as usize];
        let reg = 0.005 * 2f64.powi((t % 4) as i32);
        let init = ["normal", "uniform"][(t % 2) as usize];
        let metric = 0.915
            + (reg - 0.02).abs() * 0.8
            + (factors as f64 - 100.0).abs() * 1e-4
            + if init == "uniform" { 0.003 } else { 0.0 }
            + jitter(t + 100, 0.002);
        random.push(SweepTrial {
            params: BTreeMap::from([
                ("factors".to_string(), json!(factors)),
                ("reg".to_string(), json!(reg)),
                ("init".to_string(), json!(init)),
            ]),
            metric,
        });
    }

    let per_user = SettingReport {
        name: "ml100k-per-user".into(),
        protocol: "per-user".into(),
        dataset: "ml-100k".into(),
        description: "Per-user 80/20 split, 5 folds (paper Table 1).".into(),
        paper_table: Some(1),
        models: vec![
            model("svd", None, svd_hp.clone(), folds(0.9410, 1, 1.9, None)),
            model(
                "bias-svd",
                None,
                svd_hp.clone(),
                folds(0.9128, 2, 2.1, None),
            ),
            model("lfg", None, lfg_hp.clone(), folds(0.9101, 3, 14.0, None)),
            model("svd-pp", None, svd_hp.clone(), folds(0.9095, 4, 95.0, None)),
        ],
        learning_curves: curves("lfg", 1, 1.02, 0.912),
        sweeps: vec![SweepReport {
            model: "lfg".into(),
            metric: "valid-rmse".into(),
            lower_is_better: true,
            run_id: Some("7".into()),
            trials: grid,
        }],
        cold_start: Vec::new(),
        comparisons: vec![comparison("lfg", "bias-svd", -0.0027, 0.0019, 0.021)],
    };

    let reveals = [1u32, 2, 5, 10, 20, 50];
    let mut cold = Vec::new();
    for (mi, (name, hi, lo)) in [
        ("lfg", 1.00, 0.905),
        ("bias-svd (fold-in)", 1.04, 0.925),
        ("item-mean", 1.03, 1.02),
    ]
    .iter()
    .enumerate()
    {
        for (ri, r) in reveals.iter().enumerate() {
            let m = lo + (hi - lo) * (-(*r as f64) / 6.0).exp();
            cold.push(ColdStartPoint {
                model: (*name).into(),
                revealed: *r,
                fold_rmse: (0..5u64)
                    .map(|f| m + jitter(mi as u64 * 100 + ri as u64 * 10 + f, 0.02))
                    .collect(),
            });
        }
    }

    let new_user = SettingReport {
        name: "ml100k-new-user".into(),
        protocol: "new-user".into(),
        dataset: "ml-100k".into(),
        description: "20% of users held out as new users; 5 folds (paper Table 3).".into(),
        // Tagged: a setting with a cold-start curve is matched to a paper table only by tag.
        paper_table: Some(3),
        models: vec![
            model(
                "svd",
                Some("no-retrain"),
                svd_hp.clone(),
                folds(1.1290, 5, 1.5, Some(2e-6)),
            ),
            model(
                "bias-svd",
                Some("no-retrain"),
                svd_hp.clone(),
                folds(1.0301, 6, 1.7, Some(2e-6)),
            ),
            model(
                "bias-svd",
                Some("fold-in"),
                svd_hp,
                folds(0.9402, 7, 1.7, Some(1.5e-4)),
            ),
            model("lfg", None, lfg_hp, folds(0.9243, 8, 11.0, Some(4e-5))),
        ],
        learning_curves: curves("lfg", 2, 1.05, 0.93),
        sweeps: vec![SweepReport {
            model: "bias-svd".into(),
            metric: "valid-rmse".into(),
            lower_is_better: true,
            run_id: Some("8".into()),
            trials: random,
        }],
        cold_start: cold,
        comparisons: vec![
            comparison("lfg", "bias-svd (fold-in)", -0.0159, 0.006, 0.002),
            comparison("lfg", "bias-svd (no-retrain)", -0.1058, 0.02, 0.0001),
        ],
    };

    ReportInput {
        run: RunMeta {
            run_id: "42".into(),
            experiment: "paper-ml100k".into(),
            commit: Some("c21358e".into()),
            dirty: false,
            date: "2026-12-04T15:00:00Z".into(),
            host: "lab-2core".into(),
            lfg_version: "0.1.0".into(),
            spec_hash: "3f9a0c1d".into(),
            tuned_by: Some("runs 7 and 8 (sweep-ml100k)".into()),
            wall_seconds: Some(212.0),
        },
        settings: vec![per_user, new_user],
    }
}
