//! The body of the `bench_epoch*` examples (one per global allocator).

use std::time::Instant;

use lfg_core::{EpochReport, FeatureMatrix, RatingScale, Rng, Triplets};
use lfg_model::{DeviceChoice, ItemInit, LfgConfig, LfgTrainData, fit};

struct Args {
    shape: String,
    epochs: usize,
    batch_size: usize,
    hidden: Vec<usize>,
    device: DeviceChoice,
    seed: u64,
    label: Option<String>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        shape: "ml-100k".into(),
        epochs: 3,
        batch_size: 64,
        hidden: vec![512, 256],
        device: DeviceChoice::Flex,
        seed: 1,
        label: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--shape" => a.shape = val()?,
            "--epochs" => a.epochs = val()?.parse().map_err(|e| format!("--epochs: {e}"))?,
            "--batch-size" => {
                a.batch_size = val()?.parse().map_err(|e| format!("--batch-size: {e}"))?
            }
            "--hidden" => {
                a.hidden = val()?
                    .split(',')
                    .map(|s| s.parse().map_err(|e| format!("--hidden: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--device" => {
                a.device = serde_json::from_value(serde_json::Value::String(val()?))
                    .map_err(|e| format!("--device: {e}"))?
            }
            "--label" => a.label = Some(val()?),
            "--seed" => a.seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(a)
}

/// Random ratings with the density of the named data set.
fn synthetic(shape: &str, seed: u64) -> Result<Triplets, String> {
    let (nu, ni, n) = match shape {
        "ml-100k" => (943u32, 1682u32, 100_000usize),
        "ml-1m" => (6040, 3706, 1_000_209),
        other => return Err(format!("unknown shape {other} (ml-100k, ml-1m)")),
    };
    let mut rng = Rng::new(seed);
    let per_user = n / nu as usize;
    let mut t = Triplets::with_capacity(nu, ni, RatingScale::MOVIELENS, n);
    for u in 0..nu {
        let mut items = rng.permutation(ni as usize);
        items.truncate(per_user);
        items.sort_unstable();
        for i in items {
            t.push(u, i, (1 + rng.below(5)) as f32);
        }
    }
    Ok(t)
}

/// Runs the benchmark; `alloc` names the global allocator in the default label.
pub fn run(alloc: &str) {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench_epoch: {e}");
            std::process::exit(2);
        }
    };
    let train = match synthetic(&args.shape, args.seed) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bench_epoch: {e}");
            std::process::exit(2);
        }
    };
    let cfg = LfgConfig {
        hidden: args.hidden.clone(),
        batch_size: args.batch_size,
        epochs: args.epochs,
        device: args.device,
        ..LfgConfig::default()
    };
    let features = FeatureMatrix::empty();
    let data = LfgTrainData {
        train: &train,
        features: &features,
        item_init: ItemInit::Random,
        valid: None,
    };
    let secs = std::sync::Mutex::new(Vec::new());
    let obs = |r: &EpochReport| {
        if let Ok(mut s) = secs.lock() {
            s.push(r.seconds);
        }
    };
    let model = match fit(&cfg, data, args.seed, &obs) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("bench_epoch: {e}");
            std::process::exit(1);
        }
    };
    let secs = secs.into_inner().unwrap_or_default();
    // Steady state: skip the first epoch (allocations, thread pool start-up) when there are more.
    let steady: Vec<f64> = if secs.len() > 1 {
        secs[1..].to_vec()
    } else {
        secs.clone()
    };
    let mean = steady.iter().sum::<f64>() / steady.len().max(1) as f64;

    // New-user latency: generate factors from 20 revealed ratings and rank every item.
    let mut rng = Rng::new(99);
    let revealed: Vec<(u32, f32)> = (0..20)
        .map(|_| {
            (
                rng.below(model.n_items() as u64) as u32,
                (1 + rng.below(5)) as f32,
            )
        })
        .collect();
    let reps: u32 = 2000;
    let t0 = Instant::now();
    let mut sink = 0usize;
    for _ in 0..reps {
        sink += model.recommend(&revealed, &[], 10).len();
    }
    let per_user_ms = t0.elapsed().as_secs_f64() * 1e3 / f64::from(reps);
    // Fingerprint of the trained weights: equal across runs and thread counts (determinism).
    let checksum = model
        .item_factors()
        .iter()
        .chain(model.item_bias())
        .fold(0u64, |h, x| {
            (h ^ u64::from(x.to_bits())).wrapping_mul(0x0100_0000_01b3)
        });
    println!(
        "{{\"impl\":\"{}\",\"shape\":\"{}\",\"users\":{},\"items\":{},\"ratings\":{},\"batch_size\":{},\"hidden\":{:?},\"epochs\":{},\"seconds_per_epoch\":{:.4},\"epoch_seconds\":{:?},\"new_user_rank_ms\":{:.4},\"top10\":{},\"checksum\":\"{checksum:016x}\"}}",
        args.label
            .clone()
            .unwrap_or_else(|| format!("lfg-burn-{}{alloc}", args.device.name())),
        args.shape,
        train.n_users,
        train.n_items,
        train.len(),
        args.batch_size,
        args.hidden,
        args.epochs,
        mean,
        secs.iter()
            .map(|s| (s * 1e4).round() / 1e4)
            .collect::<Vec<_>>(),
        per_user_ms,
        sink / reps as usize
    );
}
