//! Fold-in of one new user with 20 revealed ratings into a bias-svd model with k = 50
//! (target: under 50 microseconds), and the same through the `NewUserPredictor` trait with
//! 20 query items.

use criterion::{Criterion, criterion_group, criterion_main};
use lfg_baselines::{BaselineParams, FoldInOptions, FoldInWorkspace, SvdParams, SvdPpParams};
use lfg_core::model::NoObserver;
use lfg_core::{NewUserPredictor, RatingScale, Rng, Triplets};
use std::hint::black_box;

fn data() -> Triplets {
    let mut rng = Rng::new(1);
    let mut t = Triplets::with_capacity(300, 1682, RatingScale::MOVIELENS, 30_000);
    for _ in 0..30_000 {
        t.push(
            rng.below(300) as u32,
            rng.below(1682) as u32,
            (1 + rng.below(5)) as f32,
        );
    }
    t
}

fn bench(c: &mut Criterion) {
    let t = data();
    let revealed: Vec<(u32, f32)> = (0..20u32)
        .map(|j| (j * 37 % 1682, (1 + j % 5) as f32))
        .collect();
    let query: Vec<u32> = (0..20u32).map(|j| j * 53 % 1682).collect();
    let opts = FoldInOptions::default();
    for (name, p) in [
        (
            "bias-svd",
            BaselineParams::BiasSvd(SvdParams {
                epochs: 2,
                ..Default::default()
            }),
        ),
        (
            "svd-pp",
            BaselineParams::SvdPp(SvdPpParams {
                epochs: 2,
                ..Default::default()
            }),
        ),
    ] {
        let m = p.fit(&t, 0, &NoObserver).expect("fit");
        let mut ws = FoldInWorkspace::new();
        c.bench_function(&format!("fold_in/{name}/k50/20_ratings"), |b| {
            b.iter(|| {
                m.fold_in_into(black_box(&revealed), &opts, &mut ws);
                black_box(ws.user_bias())
            })
        });
        let mut out = vec![0f32; query.len()];
        c.bench_function(
            &format!("predict_new_user/{name}/k50/20_ratings_20_queries"),
            |b| {
                b.iter(|| {
                    m.predict_new_user(black_box(&revealed), &[], &query, &mut out);
                    black_box(out[0])
                })
            },
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
