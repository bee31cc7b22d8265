//! Speed of every metric on synthetic data the size of an ML-1M test fold: 6,040 users,
//! 3,706 items, ~1M ratings of which 20% (~200k) held out; top-10 lists.
//!
//! `CARGO_TARGET_DIR=/work/target-release cargo bench -p lfg-eval --bench metrics`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lfg_eval::{
    RankingConfig, RankingInput, RatingMetrics, bootstrap_rmse_diff, fold_stats, mae,
    paired_t_test, per_user_rmse, ranking_metrics, rmse, student_t_quantile,
};

const N_USERS: u32 = 6_040;
const N_ITEMS: u32 = 3_706;
const PER_USER: u32 = 165; // 6,040 x 165 = 996,600 ratings

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u32) -> u32 {
        (((self.next() >> 32) * u64::from(n)) >> 32) as u32
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

struct Data {
    train_users: Vec<u32>,
    train_items: Vec<u32>,
    test_users: Vec<u32>,
    test_items: Vec<u32>,
    test_ratings: Vec<f32>,
    pred_a: Vec<f32>,
    pred_b: Vec<f32>,
    known: Vec<bool>,
    scores: Vec<f32>,
}

fn synthetic() -> Data {
    let mut rng = SplitMix(2024);
    let mut d = Data {
        train_users: vec![],
        train_items: vec![],
        test_users: vec![],
        test_items: vec![],
        test_ratings: vec![],
        pred_a: vec![],
        pred_b: vec![],
        known: vec![],
        scores: vec![0.0; (N_USERS * N_ITEMS) as usize],
    };
    let mut taken = vec![false; N_ITEMS as usize];
    for u in 0..N_USERS {
        taken.iter_mut().for_each(|t| *t = false);
        let row = &mut d.scores[(u * N_ITEMS) as usize..((u + 1) * N_ITEMS) as usize];
        row.iter_mut().for_each(|s| *s = rng.unit());
        for _ in 0..PER_USER {
            let mut i = rng.below(N_ITEMS);
            while taken[i as usize] {
                i = (i + 1) % N_ITEMS;
            }
            taken[i as usize] = true;
            let r = (1 + rng.below(5)) as f32;
            if rng.below(5) == 0 {
                d.test_users.push(u);
                d.test_items.push(i);
                d.test_ratings.push(r);
                d.pred_a
                    .push((r + 0.9 * (rng.unit() - 0.5) * 2.0).clamp(1.0, 5.0));
                d.pred_b
                    .push((r + (rng.unit() - 0.5) * 2.0).clamp(1.0, 5.0));
                d.known.push(rng.below(50) != 0);
                row[i as usize] += 0.2 * r; // liked items score higher
            } else {
                d.train_users.push(u);
                d.train_items.push(i);
            }
        }
    }
    d
}

fn bench(c: &mut Criterion) {
    let d = synthetic();
    let n = d.test_ratings.len();
    let input = RankingInput {
        n_users: N_USERS as usize,
        n_items: N_ITEMS as usize,
        train_users: &d.train_users,
        train_items: &d.train_items,
        test_users: &d.test_users,
        test_items: &d.test_items,
        test_ratings: &d.test_ratings,
    };
    let cfg = RankingConfig::default();
    let ni = N_ITEMS as usize;
    let score = |u: u32, out: &mut [f32]| {
        let s = u as usize * ni;
        out.copy_from_slice(&d.scores[s..s + ni]);
    };
    let m = ranking_metrics(&cfg, &input, score).expect("valid synthetic input");
    let r = RatingMetrics::compute(&d.test_users, &d.pred_a, &d.test_ratings, Some(&d.known))
        .expect("valid synthetic input");
    tracing_free_report(n, d.train_users.len(), &r, &m);

    let mut g = c.benchmark_group(format!("ml1m-fold-{n}-test-ratings"));
    g.bench_function("rmse", |b| {
        b.iter(|| rmse(black_box(&d.pred_a), &d.test_ratings))
    });
    g.bench_function("mae", |b| {
        b.iter(|| mae(black_box(&d.pred_a), &d.test_ratings))
    });
    g.bench_function("per_user_rmse", |b| {
        b.iter(|| per_user_rmse(&d.test_users, black_box(&d.pred_a), &d.test_ratings))
    });
    g.bench_function("rating_metrics_compute", |b| {
        b.iter(|| {
            RatingMetrics::compute(
                &d.test_users,
                black_box(&d.pred_a),
                &d.test_ratings,
                Some(&d.known),
            )
        })
    });
    g.sample_size(10);
    g.bench_function("ranking_metrics_top10", |b| {
        b.iter(|| ranking_metrics(&cfg, black_box(&input), score))
    });
    g.bench_function("bootstrap_rmse_diff_1000", |b| {
        b.iter(|| {
            bootstrap_rmse_diff(
                &d.test_users,
                black_box(&d.pred_a),
                &d.pred_b,
                &d.test_ratings,
                1_000,
                7,
            )
        })
    });
    g.finish();

    let folds_a = [0.8712, 0.8655, 0.8701, 0.8689, 0.8744];
    let folds_b = [0.8801, 0.8723, 0.8790, 0.8750, 0.8812];
    c.bench_function("fold_stats_5", |b| {
        b.iter(|| fold_stats(black_box(&folds_a)))
    });
    c.bench_function("paired_t_test_5", |b| {
        b.iter(|| paired_t_test(black_box(&folds_a), &folds_b))
    });
    c.bench_function("t_quantile_df4", |b| {
        b.iter(|| student_t_quantile(black_box(0.975), 4.0))
    });
}

/// Prints the metric values once so the bench output shows what was measured (benches are
/// binaries, not library code).
#[allow(clippy::print_stdout)]
fn tracing_free_report(
    n_test: usize,
    n_train: usize,
    r: &RatingMetrics,
    m: &lfg_eval::RankingMetrics,
) {
    println!(
        "synthetic fold: {n_train} train / {n_test} test ratings; rmse {:.4} mae {:.4} \
         per-user {:.4} coverage {:.4}; P@10 {:.4} R@10 {:.4} NDCG@10 {:.4} MAP@10 {:.4} \
         hit {:.4} catalogue {:.4} ({} users evaluated of {})",
        r.rmse,
        r.mae,
        r.per_user_rmse,
        r.coverage,
        m.precision,
        m.recall,
        m.ndcg,
        m.map,
        m.hit_rate,
        m.catalogue_coverage,
        m.n_users_evaluated,
        m.n_users_listed
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
