//! Property tests: invariants that must hold for any input.

use lfg_eval::{
    RankingConfig, RankingInput, RankingMetrics, RatingMetrics, bootstrap_rmse_diff, fold_stats,
    mae, paired_t_test, per_user_rmse, ranking_metrics_dense, rmse, student_t_cdf,
    student_t_quantile,
};
use proptest::prelude::*;

/// (users, pred, truth) of equal length >= 1.
fn rating_triplets() -> impl Strategy<Value = (Vec<u32>, Vec<f32>, Vec<f32>)> {
    (1_usize..60).prop_flat_map(|n| {
        (
            prop::collection::vec(0_u32..12, n),
            prop::collection::vec(0.5_f32..5.5, n),
            prop::collection::vec(1.0_f32..5.0, n),
        )
    })
}

fn permute<T: Copy>(xs: &[T], perm: &[usize]) -> Vec<T> {
    perm.iter().map(|&p| xs[p]).collect()
}

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #[test]
    fn rmse_dominates_mae_and_both_are_nonnegative((users, pred, truth) in rating_triplets()) {
        let r = rmse(&pred, &truth);
        let m = mae(&pred, &truth);
        prop_assert!(m >= 0.0);
        prop_assert!(r + 1e-12 >= m, "rmse {r} < mae {m}");
        let pu = per_user_rmse(&users, &pred, &truth);
        prop_assert!(pu >= 0.0 && pu.is_finite());
        // the mean of per-user RMSEs lies between the smallest and largest error magnitude
        let max_err = pred.iter().zip(&truth).map(|(&p, &t)| (f64::from(p) - f64::from(t)).abs()).fold(0.0, f64::max);
        prop_assert!(pu <= max_err + 1e-9 && r <= max_err + 1e-9);
    }

    #[test]
    fn zero_error_gives_zero((users, _pred, truth) in rating_triplets()) {
        prop_assert_eq!(rmse(&truth, &truth), 0.0);
        prop_assert_eq!(mae(&truth, &truth), 0.0);
        prop_assert_eq!(per_user_rmse(&users, &truth, &truth), 0.0);
        let m = RatingMetrics::compute(&users, &truth, &truth, None).unwrap();
        prop_assert_eq!((m.rmse, m.mae, m.per_user_rmse, m.coverage), (0.0, 0.0, 0.0, 1.0));
    }

    #[test]
    fn rating_metrics_ignore_input_order(
        (users, pred, truth) in rating_triplets(),
        seed in any::<u64>(),
    ) {
        let mut perm: Vec<usize> = (0..users.len()).collect();
        // Fisher-Yates driven by the seed
        let mut s = seed;
        for i in (1..perm.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            perm.swap(i, (s >> 33) as usize % (i + 1));
        }
        let (u2, p2, t2) = (permute(&users, &perm), permute(&pred, &perm), permute(&truth, &perm));
        prop_assert!(rel_close(rmse(&pred, &truth), rmse(&p2, &t2)));
        prop_assert!(rel_close(mae(&pred, &truth), mae(&p2, &t2)));
        prop_assert!(rel_close(per_user_rmse(&users, &pred, &truth), per_user_rmse(&u2, &p2, &t2)));
        let a = RatingMetrics::compute(&users, &pred, &truth, None).unwrap();
        let b = RatingMetrics::compute(&u2, &p2, &t2, None).unwrap();
        prop_assert!(rel_close(a.rmse, b.rmse) && rel_close(a.per_user_rmse, b.per_user_rmse));
        prop_assert_eq!(a.n_users, b.n_users);
    }
}

/// A random fold: per (user, item) cell, train / test / nothing; ratings 1..=5; scores.
#[derive(Debug, Clone)]
struct Fold {
    n_users: usize,
    n_items: usize,
    train: Vec<(u32, u32)>,
    test: Vec<(u32, u32, f32)>,
    scores: Vec<f32>,
}

fn folds() -> impl Strategy<Value = Fold> {
    (1_usize..8, 1_usize..25).prop_flat_map(|(n_users, n_items)| {
        let cells = n_users * n_items;
        (
            prop::collection::vec(0_u8..6, cells),
            prop::collection::vec(1_u8..=5, cells),
            // coarse scores so ties are frequent
            prop::collection::vec(0_u8..8, cells),
        )
            .prop_map(move |(kind, rating, score)| {
                let mut train = vec![];
                let mut test = vec![];
                for u in 0..n_users {
                    for i in 0..n_items {
                        let c = u * n_items + i;
                        match kind[c] {
                            0 | 1 => train.push((u as u32, i as u32)),
                            2 | 3 => test.push((u as u32, i as u32, f32::from(rating[c]))),
                            _ => {}
                        }
                    }
                }
                Fold {
                    n_users,
                    n_items,
                    train,
                    test,
                    scores: score.iter().map(|&s| f32::from(s)).collect(),
                }
            })
    })
}

fn eval(f: &Fold, k: usize, scores: &[f32]) -> RankingMetrics {
    let tu: Vec<u32> = f.train.iter().map(|x| x.0).collect();
    let ti: Vec<u32> = f.train.iter().map(|x| x.1).collect();
    let su: Vec<u32> = f.test.iter().map(|x| x.0).collect();
    let si: Vec<u32> = f.test.iter().map(|x| x.1).collect();
    let sr: Vec<f32> = f.test.iter().map(|x| x.2).collect();
    let input = RankingInput {
        n_users: f.n_users,
        n_items: f.n_items,
        train_users: &tu,
        train_items: &ti,
        test_users: &su,
        test_items: &si,
        test_ratings: &sr,
    };
    ranking_metrics_dense(&RankingConfig { k, threshold: 4.0 }, &input, scores).unwrap()
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn ranking_metrics_lie_in_unit_interval(f in folds(), k in 1_usize..12) {
        let m = eval(&f, k, &f.scores);
        prop_assert!(m.n_users_evaluated <= m.n_users_listed && m.n_users_listed <= f.n_users);
        prop_assert!((0.0..=1.0).contains(&m.catalogue_coverage));
        prop_assert!(m.n_items_recommended <= f.n_items.min(m.n_users_listed * k));
        if m.n_users_evaluated == 0 {
            prop_assert!(m.precision.is_nan() && m.ndcg.is_nan() && m.map.is_nan());
        } else {
            for v in [m.precision, m.recall, m.ndcg, m.map, m.hit_rate] {
                prop_assert!((0.0..=1.0 + 1e-12).contains(&v), "{m:?}");
            }
            // a user with any hit has hit = 1 >= each per-user metric; zero hits zero all
            for v in [m.precision, m.recall, m.ndcg, m.map] {
                prop_assert!(v <= m.hit_rate + 1e-12, "{m:?}");
            }
        }
    }

    #[test]
    fn ranking_metrics_ignore_row_order(f in folds(), k in 1_usize..6) {
        let mut g = f.clone();
        g.train.reverse();
        g.test.reverse();
        let third = g.test.len() / 3;
        g.test.rotate_left(third);
        let a = eval(&f, k, &f.scores);
        let b = eval(&g, k, &g.scores);
        for (x, y) in [(a.precision, b.precision), (a.recall, b.recall), (a.ndcg, b.ndcg),
                       (a.map, b.map), (a.hit_rate, b.hit_rate)] {
            prop_assert!(same(x, y), "{a:?} vs {b:?}");
        }
        prop_assert_eq!(a.n_items_recommended, b.n_items_recommended);
    }

    #[test]
    fn an_oracle_scorer_is_perfect(f in folds(), k in 1_usize..6) {
        // score = held-out rating on test cells, 0 elsewhere: every relevant item outranks the
        // rest, so NDCG = MAP = hit = 1.
        let mut scores = vec![0.0_f32; f.n_users * f.n_items];
        for &(u, i, r) in &f.test {
            scores[u as usize * f.n_items + i as usize] = r;
        }
        let m = eval(&f, k, &scores);
        if m.n_users_evaluated > 0 {
            prop_assert!((m.ndcg - 1.0).abs() < 1e-12, "{m:?}");
            prop_assert!((m.map - 1.0).abs() < 1e-12, "{m:?}");
            prop_assert_eq!(m.hit_rate, 1.0);
        }
        // and it can never do worse than the given scores
        let base = eval(&f, k, &f.scores);
        if base.n_users_evaluated > 0 {
            prop_assert!(m.ndcg + 1e-12 >= base.ndcg && m.precision + 1e-12 >= base.precision);
        }
    }

    #[test]
    fn ranking_is_thread_count_independent(f in folds()) {
        let many = eval(&f, 3, &f.scores);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let one = pool.install(|| eval(&f, 3, &f.scores));
        prop_assert!(same(many.ndcg, one.ndcg) && same(many.map, one.map));
        prop_assert_eq!(many.n_items_recommended, one.n_items_recommended);
    }
}

proptest! {
    #[test]
    fn fold_stats_are_ordered(xs in prop::collection::vec(0.5_f64..1.5, 2..15), shift in -1.0_f64..1.0) {
        let s = fold_stats(&xs);
        prop_assert!(s.min <= s.mean + 1e-15 && s.mean <= s.max + 1e-15);
        prop_assert!(s.std >= 0.0);
        prop_assert!(s.ci95_low <= s.mean && s.mean <= s.ci95_high);
        prop_assert!(((s.ci95_low + s.ci95_high) / 2.0 - s.mean).abs() < 1e-12);
        let shifted: Vec<f64> = xs.iter().map(|x| x + shift).collect();
        let t = fold_stats(&shifted);
        prop_assert!((t.std - s.std).abs() < 1e-9);
        prop_assert!((t.mean - s.mean - shift).abs() < 1e-12);
        let mut rev = xs.clone();
        rev.reverse();
        let r = fold_stats(&rev);
        prop_assert!(rel_close(r.mean, s.mean) && (r.std - s.std).abs() < 1e-12);
    }

    #[test]
    fn paired_t_is_antisymmetric_with_valid_p(
        a in prop::collection::vec(0.5_f64..1.5, 2..12),
        noise in prop::collection::vec(-0.1_f64..0.1, 12),
    ) {
        let b: Vec<f64> = a.iter().zip(&noise).map(|(x, e)| x + e).collect();
        let ab = paired_t_test(&a, &b);
        let ba = paired_t_test(&b, &a);
        prop_assert!((0.0..=1.0).contains(&ab.p_value), "{ab:?}");
        prop_assert!((ab.t + ba.t).abs() <= 1e-9 * ab.t.abs().max(1.0));
        prop_assert!((ab.p_value - ba.p_value).abs() < 1e-12);
        prop_assert!(ab.ci95_low <= ab.mean_diff && ab.mean_diff <= ab.ci95_high);
        // the interval excludes 0 exactly when p < 0.05
        let excludes_zero = ab.ci95_low > 0.0 || ab.ci95_high < 0.0;
        if (ab.p_value - 0.05).abs() > 1e-9 {
            prop_assert_eq!(excludes_zero, ab.p_value < 0.05, "{:?}", ab);
        }
    }

    #[test]
    fn t_quantile_is_monotone_and_inverts_cdf(p in 0.0005_f64..0.9995, q in 0.0005_f64..0.9995, df in 1.0_f64..200.0) {
        let (tp, tq) = (student_t_quantile(p, df), student_t_quantile(q, df));
        prop_assert!((student_t_cdf(tp, df) - p).abs() < 1e-10);
        if p < q {
            prop_assert!(tp < tq);
        }
        prop_assert!((student_t_quantile(1.0 - p, df) + tp).abs() < 1e-8 * tp.abs().max(1.0));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn bootstrap_interval_is_ordered_and_seeded((users, pred, truth) in rating_triplets(), seed in any::<u64>()) {
        let pred_b: Vec<f32> = truth.iter().map(|t| t + 0.5).collect();
        let a = bootstrap_rmse_diff(&users, &pred, &pred_b, &truth, 64, seed).unwrap();
        prop_assert!(a.low <= a.high);
        prop_assert!((a.diff - (rmse(&pred, &truth) - rmse(&pred_b, &truth))).abs() < 1e-12);
        let b = bootstrap_rmse_diff(&users, &pred, &pred_b, &truth, 64, seed).unwrap();
        prop_assert_eq!(a, b);
    }
}
