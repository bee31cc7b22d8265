#![allow(clippy::print_stderr)]

//! Real-data check on MovieLens-100k fold u1: the trained LFG beats the `mu + b_u + b_i`
//! baseline on u1.test. Needs `LFG_DATA_DIR` (skipped with a notice when absent, fails when
//! `CI=true`). Every number used for training, upstream factors and early stopping comes from
//! u1.base only.

use std::path::PathBuf;

use lfg_core::{FeatureMatrix, Predictor, RatingScale, Rng, Triplets};
use lfg_model::{ItemInit, LfgConfig, LfgTrainData, fit};

const N_USERS: u32 = 943;
const N_ITEMS: u32 = 1682;

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LFG_DATA_DIR").map(PathBuf::from);
    match dir {
        Some(d) if d.join("ml-100k/u1.base").is_file() => Some(d),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but LFG_DATA_DIR/ml-100k/u1.base is missing")
        }
        _ => None,
    }
}

/// Parses `user \t item \t rating \t timestamp` lines into 0-based triplets.
fn read_split(path: &std::path::Path) -> Triplets {
    let text = std::fs::read_to_string(path).unwrap();
    let mut t = Triplets::with_capacity(N_USERS, N_ITEMS, RatingScale::MOVIELENS, 100_000);
    for (n, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        assert!(f.len() >= 3, "{}:{}: bad line", path.display(), n + 1);
        let u: u32 = f[0].parse().unwrap();
        let i: u32 = f[1].parse().unwrap();
        let r: f32 = f[2].parse().unwrap();
        t.push(u - 1, i - 1, r);
    }
    t
}

/// Regularised baseline biases: `b_i = sum(r - mu) / (n_i + 25)`, then
/// `b_u = sum(r - mu - b_i) / (n_u + 10)`.
fn baseline(t: &Triplets) -> (f32, Vec<f32>, Vec<f32>) {
    let mu = t.mean() as f32;
    let mut si = vec![0f32; N_ITEMS as usize];
    let mut ni = vec![0f32; N_ITEMS as usize];
    for r in 0..t.len() {
        si[t.item[r] as usize] += t.rating[r] - mu;
        ni[t.item[r] as usize] += 1.0;
    }
    let bi: Vec<f32> = si.iter().zip(&ni).map(|(s, n)| s / (n + 25.0)).collect();
    let mut su = vec![0f32; N_USERS as usize];
    let mut nu = vec![0f32; N_USERS as usize];
    for r in 0..t.len() {
        su[t.user[r] as usize] += t.rating[r] - mu - bi[t.item[r] as usize];
        nu[t.user[r] as usize] += 1.0;
    }
    let bu: Vec<f32> = su.iter().zip(&nu).map(|(s, n)| s / (n + 10.0)).collect();
    (mu, bu, bi)
}

/// Top-`k` right singular vectors of the baseline residual matrix (subspace iteration),
/// scaled by the square roots of the singular values: row-major `n_items x k`.
fn upstream_factors(t: &Triplets, k: usize, iters: usize) -> Vec<f32> {
    let (mu, bu, bi) = baseline(t);
    let (m, n) = (N_USERS as usize, N_ITEMS as usize);
    let mut r = vec![0f32; m * n];
    for x in 0..t.len() {
        let (u, i) = (t.user[x] as usize, t.item[x] as usize);
        r[u * n + i] = t.rating[x] - mu - bu[u] - bi[i];
    }
    let mut rng = Rng::new(17);
    let mut v: Vec<f32> = (0..n * k).map(|_| rng.normal() as f32).collect(); // n x k
    let mut norms = vec![0f32; k];
    for _ in 0..iters {
        // w = R v (m x k), v = R^T w (n x k)
        let mut w = vec![0f32; m * k];
        for u in 0..m {
            for i in 0..n {
                let x = r[u * n + i];
                if x != 0.0 {
                    for f in 0..k {
                        w[u * k + f] += x * v[i * k + f];
                    }
                }
            }
        }
        v.iter_mut().for_each(|x| *x = 0.0);
        for u in 0..m {
            for i in 0..n {
                let x = r[u * n + i];
                if x != 0.0 {
                    for f in 0..k {
                        v[i * k + f] += x * w[u * k + f];
                    }
                }
            }
        }
        // Gram-Schmidt on the columns of v; norms approximate sigma^2.
        for f in 0..k {
            for g in 0..f {
                let d: f32 = (0..n).map(|i| v[i * k + f] * v[i * k + g]).sum();
                for i in 0..n {
                    v[i * k + f] -= d * v[i * k + g];
                }
            }
            let nrm = (0..n).map(|i| v[i * k + f].powi(2)).sum::<f32>().sqrt();
            norms[f] = nrm;
            for i in 0..n {
                v[i * k + f] /= nrm.max(1e-12);
            }
        }
    }
    for i in 0..n {
        for f in 0..k {
            v[i * k + f] *= norms[f].sqrt().sqrt(); // sqrt(sigma)
        }
    }
    v
}

fn rmse(pred: impl Iterator<Item = f32>, truth: &[f32]) -> f64 {
    let (s, n) = pred.zip(truth).fold((0f64, 0usize), |(s, n), (p, &t)| {
        (s + f64::from(p - t).powi(2), n + 1)
    });
    (s / n as f64).sqrt()
}

#[test]
fn lfg_beats_baseline_on_ml100k_u1() {
    let Some(dir) = data_dir() else {
        eprintln!("skipping: LFG_DATA_DIR with ml-100k/u1.base not found");
        return;
    };
    let base = read_split(&dir.join("ml-100k/u1.base"));
    let test = read_split(&dir.join("ml-100k/u1.test"));

    let (mu, bu, bi) = baseline(&base);
    let scale = RatingScale::MOVIELENS;
    let base_rmse = rmse(
        (0..test.len())
            .map(|r| scale.clip(mu + bu[test.user[r] as usize] + bi[test.item[r] as usize])),
        &test.rating,
    );

    // Inner validation split of u1.base (every 20th rating) for early stopping.
    let mut train = Triplets::with_capacity(N_USERS, N_ITEMS, scale, base.len());
    let mut valid = Triplets::with_capacity(N_USERS, N_ITEMS, scale, base.len() / 20);
    let mut rng = Rng::new(5);
    for r in 0..base.len() {
        let dst = if rng.bernoulli(0.05) {
            &mut valid
        } else {
            &mut train
        };
        dst.push(base.user[r], base.item[r], base.rating[r]);
    }
    let k = 20;
    let up = upstream_factors(&train, k, 4);
    let cfg = LfgConfig {
        k,
        hidden: vec![256, 64],
        batch_size: 32,
        epochs: 25,
        patience: Some(3),
        learning_rate: 1e-3,
        weight_decay: 1e-3,
        dropout: 0.3,
        ..LfgConfig::default()
    };
    let features = FeatureMatrix::empty();
    let data = LfgTrainData {
        train: &train,
        features: &features,
        item_init: ItemInit::Factors { data: &up, k },
        valid: Some(&valid),
    };
    let obs = |r: &lfg_core::EpochReport| {
        eprintln!(
            "epoch {:>2} loss {:.4} valid {:.4} ({:.1}s)",
            r.epoch,
            r.train_loss,
            r.valid_rmse.unwrap_or(f64::NAN),
            r.seconds
        )
    };
    let model = fit(&cfg, data, 42, &obs).unwrap();
    let lfg_rmse = rmse(
        (0..test.len()).map(|r| model.predict(test.user[r], test.item[r])),
        &test.rating,
    );
    eprintln!(
        "ml-100k u1: baseline RMSE {base_rmse:.4}, LFG RMSE {lfg_rmse:.4} (best epoch {})",
        model.best_epoch()
    );
    assert!(
        base_rmse > 0.9 && base_rmse < 1.0,
        "baseline sanity: {base_rmse}"
    );
    assert!(
        lfg_rmse < base_rmse,
        "LFG {lfg_rmse} does not beat baseline {base_rmse}"
    );
}
