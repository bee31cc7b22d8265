//! Criterion benchmarks: one training epoch on the ML-100k shape, and serving one new user
//! (generate factors from 20 ratings + rank every item) on the ML-1M shape.
//! The side-by-side comparison with JAX is `benches/compare_jax.sh`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lfg_core::{FeatureMatrix, RatingScale, Rng, Triplets, model::NoObserver};
use lfg_model::{ItemInit, LfgConfig, LfgTrainData, fit};

fn synthetic(nu: u32, ni: u32, per_user: usize, seed: u64) -> Triplets {
    let mut rng = Rng::new(seed);
    let mut t = Triplets::with_capacity(nu, ni, RatingScale::MOVIELENS, nu as usize * per_user);
    for u in 0..nu {
        let mut items = rng.permutation(ni as usize);
        items.truncate(per_user);
        for i in items {
            t.push(u, i, (1 + rng.below(5)) as f32);
        }
    }
    t
}

fn bench(c: &mut Criterion) {
    let features = FeatureMatrix::empty();
    let ml100k = synthetic(943, 1682, 106, 1);
    let cfg = LfgConfig {
        epochs: 1,
        ..LfgConfig::default()
    };
    let mut g = c.benchmark_group("lfg");
    g.sample_size(10);
    g.bench_function("epoch_ml100k_flex_b64_512_256", |b| {
        b.iter(|| {
            let data = LfgTrainData {
                train: &ml100k,
                features: &features,
                item_init: ItemInit::Random,
                valid: None,
            };
            black_box(fit(&cfg, data, 1, &NoObserver).map(|m| m.n_items()))
        })
    });

    let ml1m = synthetic(6040, 3706, 165, 2);
    let small = LfgConfig {
        epochs: 1,
        batch_size: 256,
        ..LfgConfig::default()
    };
    let data = LfgTrainData {
        train: &ml1m,
        features: &features,
        item_init: ItemInit::Random,
        valid: None,
    };
    if let Ok(model) = fit(&small, data, 1, &NoObserver) {
        let mut rng = Rng::new(3);
        let revealed: Vec<(u32, f32)> = (0..20)
            .map(|_| (rng.below(3706) as u32, (1 + rng.below(5)) as f32))
            .collect();
        g.sample_size(100);
        g.bench_function("new_user_generate_and_rank_ml1m", |b| {
            b.iter(|| black_box(model.recommend(black_box(&revealed), &[], 10)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
