//! Shared test helpers: synthetic ratings and a std-only MovieLens-100k split reader.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use lfg_core::{RatingScale, Rng, Triplets};

/// Ratings from a rank-3 model plus noise, rounded and clipped to 1..5, about `density`
/// of the `n_users x n_items` pairs.
pub fn synthetic(n_users: u32, n_items: u32, density: f64, seed: u64) -> Triplets {
    let mut rng = Rng::new(seed);
    let k = 3;
    let uf: Vec<f64> = (0..n_users as usize * k).map(|_| rng.normal()).collect();
    let vf: Vec<f64> = (0..n_items as usize * k).map(|_| rng.normal()).collect();
    let ub: Vec<f64> = (0..n_users).map(|_| rng.normal() * 0.5).collect();
    let ib: Vec<f64> = (0..n_items).map(|_| rng.normal() * 0.5).collect();
    let mut t = Triplets::with_capacity(n_users, n_items, RatingScale::MOVIELENS, 0);
    for u in 0..n_users as usize {
        for i in 0..n_items as usize {
            if !rng.bernoulli(density) {
                continue;
            }
            let d: f64 = (0..k).map(|f| uf[u * k + f] * vf[i * k + f]).sum::<f64>() * 0.5;
            let r = (3.5 + ub[u] + ib[i] + d + rng.normal() * 0.3)
                .round()
                .clamp(1.0, 5.0);
            t.push(u as u32, i as u32, r as f32);
        }
    }
    t
}

/// `LFG_DATA_DIR/ml-100k`, or `None` (with a notice) when absent; panics when `CI=true`.
#[allow(clippy::print_stderr)]
pub fn ml100k_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LFG_DATA_DIR").map(|d| PathBuf::from(d).join("ml-100k"));
    match dir {
        Some(d) if d.join("u1.base").is_file() => Some(d),
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true but LFG_DATA_DIR/ml-100k/u1.base is missing");
            }
            eprintln!("skipping: set LFG_DATA_DIR to a folder holding ml-100k/ to run this test");
            None
        }
    }
}

/// Reads an ML-100k split file (`user \t item \t rating \t timestamp`, ids from 1) into
/// triplets over the full ML-100k index space (943 users, 1682 items, index = id - 1).
pub fn read_split(path: &Path) -> Triplets {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut t = Triplets::with_capacity(943, 1682, RatingScale::MOVIELENS, 100_000);
    for (n, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let parse = |s: &str| -> u32 {
            s.trim()
                .parse()
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1))
        };
        assert!(
            f.len() >= 3,
            "{}:{}: expected 4 tab-separated fields",
            path.display(),
            n + 1
        );
        let (u, i, r) = (parse(f[0]), parse(f[1]), parse(f[2]));
        assert!(
            (1..=943).contains(&u) && (1..=1682).contains(&i),
            "{}:{}",
            path.display(),
            n + 1
        );
        t.push(u - 1, i - 1, r as f32);
    }
    t
}

/// RMSE of `model` on `test`.
pub fn rmse(model: &dyn lfg_core::Predictor, test: &Triplets) -> f64 {
    let sse: f64 = (0..test.len())
        .map(|r| {
            let e = f64::from(model.predict(test.user[r], test.item[r]) - test.rating[r]);
            e * e
        })
        .sum();
    (sse / test.len() as f64).sqrt()
}
