//! Fits svd, bias-svd and svd-pp on one ML-100k split with the hyperparameters of
//! `benches/peers/surprise_compare.py` and prints `impl model seed rmse fit_seconds` lines,
//! then the mean time of folding in one new user with 20 ratings.
//!
//! `cargo run --release -p lfg-baselines --example compare -- <ml-100k dir> [u1] [seeds]`
//!
//! Env `LFG_SVD_ORDER` (`shuffle` or `by-user`) overrides the SGD order of svd and bias-svd.
#![allow(clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::time::Instant;

use lfg_baselines::{BaselineParams, FoldInOptions, FoldInWorkspace, SvdParams, SvdPpParams};
use lfg_core::model::NoObserver;

/// Nanoseconds this thread has run on a CPU (Linux), if available.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| {
        let base = std::env::var("LFG_DATA_DIR").unwrap_or_else(|_| "data".into());
        format!("{base}/ml-100k")
    }));
    let split = args.next().unwrap_or_else(|| "u1".into());
    let seeds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let train = common::read_split(&dir.join(format!("{split}.base")));
    let test = common::read_split(&dir.join(format!("{split}.test")));
    // Same hyperparameters as the Surprise script.
    let mut svd = SvdParams {
        factors: 50,
        epochs: 20,
        ..SvdParams::default()
    };
    if let Ok(order) = std::env::var("LFG_SVD_ORDER") {
        svd.order = serde_json::from_value(serde_json::Value::String(order))
            .expect("LFG_SVD_ORDER must be shuffle or by-user");
    }
    let svdpp = SvdPpParams {
        factors: 20,
        epochs: 20,
        ..SvdPpParams::default()
    };
    let models = [
        ("svd", BaselineParams::Svd(svd.clone())),
        ("bias-svd", BaselineParams::BiasSvd(svd)),
        ("svd-pp", BaselineParams::SvdPp(svdpp)),
    ];
    for (name, p) in &models {
        for seed in 0..seeds {
            let (cpu0, start) = (thread_cpu_ns(), Instant::now());
            let m = p.fit(&train, seed, &NoObserver).expect("fit");
            let secs = start.elapsed().as_secs_f64();
            let cpu = match (cpu0, thread_cpu_ns()) {
                (Some(a), Some(b)) => (b - a) as f64 * 1e-9,
                _ => secs,
            };
            println!(
                "lfg\t{name}\t{seed}\t{:.5}\t{secs:.5}\t{cpu:.5}",
                common::rmse(&m, &test)
            );
        }
    }
    // Fold-in: every test user as a new user with (up to) 20 of its test ratings revealed.
    let m = BaselineParams::BiasSvd(SvdParams::default())
        .fit(&train, 0, &NoObserver)
        .expect("fit");
    let idx = test.by_user();
    let users: Vec<Vec<(u32, f32)>> = (0..idx.n_rows())
        .filter(|&u| idx.row_len(u) >= 20)
        .map(|u| {
            let (i, r) = idx.row(u);
            i.iter().copied().zip(r.iter().copied()).take(20).collect()
        })
        .collect();
    let mut ws = FoldInWorkspace::new();
    let opts = FoldInOptions::default();
    let reps = 200;
    let (cpu0, start) = (thread_cpu_ns(), Instant::now());
    for _ in 0..reps {
        for u in &users {
            m.fold_in_into(u, &opts, &mut ws);
        }
    }
    let n = (reps * users.len()) as f64;
    let wall = start.elapsed().as_secs_f64() / n;
    let cpu = match (cpu0, thread_cpu_ns()) {
        (Some(a), Some(b)) => (b - a) as f64 * 1e-9 / n,
        _ => wall,
    };
    println!("lfg\tfold-in-20-k50\t-\t-\t{wall:.3e}\t{cpu:.3e}");
}
