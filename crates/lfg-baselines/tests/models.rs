//! Behaviour of every baseline through the public API: determinism, thread independence,
//! hyperparameter checks, new users, save/load, and real-data accuracy.

// Index loops read like the normal equations they implement.
#![allow(clippy::needless_range_loop)]

mod common;

use std::sync::Mutex;

use lfg_baselines::{
    BaselineMethod, BaselineOnlyParams, BaselineParams, FittedBaseline, FoldInOptions,
    NewUserStrategy, SvdParams, SvdPpParams, SvdSolver, TruncatedSvdParams,
};
use lfg_core::model::NoObserver;
use lfg_core::{EpochReport, NewUserPredictor, Predictor, Triplets};

fn small_svd() -> SvdParams {
    SvdParams {
        factors: 8,
        epochs: 15,
        ..SvdParams::default()
    }
}

fn all_models() -> Vec<BaselineParams> {
    vec![
        BaselineParams::GlobalMean,
        BaselineParams::Baseline(BaselineOnlyParams::default()),
        BaselineParams::Baseline(BaselineOnlyParams {
            method: BaselineMethod::Sgd,
            ..Default::default()
        }),
        BaselineParams::Svd(small_svd()),
        BaselineParams::BiasSvd(small_svd()),
        BaselineParams::SvdPp(SvdPpParams {
            factors: 8,
            epochs: 10,
            ..SvdPpParams::default()
        }),
        BaselineParams::TruncatedSvd(TruncatedSvdParams {
            factors: 5,
            solver: SvdSolver::Exact,
            ..Default::default()
        }),
        BaselineParams::TruncatedSvd(TruncatedSvdParams {
            factors: 5,
            solver: SvdSolver::Randomized,
            ..Default::default()
        }),
    ]
}

/// Every parameter of a model as raw bits (so -0.0 vs 0.0 or NaN would be caught).
fn bits(m: &FittedBaseline) -> Vec<u32> {
    let json: serde_json::Value = serde_json::from_str(&m.to_json().unwrap()).unwrap();
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<u32>) {
        match v {
            serde_json::Value::Number(n) => out.push((n.as_f64().unwrap() as f32).to_bits()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&json, &mut out);
    out
}

#[test]
fn same_seed_same_bits_different_seed_different_model() {
    let t = common::synthetic(50, 40, 0.4, 1);
    for p in all_models() {
        let a = p.fit(&t, 7, &NoObserver).unwrap();
        let b = p.fit(&t, 7, &NoObserver).unwrap();
        assert_eq!(bits(&a), bits(&b), "{}", p.name());
        assert_eq!(a, b);
        let c = p.fit(&t, 8, &NoObserver).unwrap();
        let seeded = matches!(
            p,
            BaselineParams::Svd(_) | BaselineParams::BiasSvd(_) | BaselineParams::SvdPp(_)
        ) || matches!(&p, BaselineParams::Baseline(b) if b.method == BaselineMethod::Sgd);
        if seeded {
            assert_ne!(bits(&a), bits(&c), "{}: the seed must matter", p.name());
        }
    }
}

#[test]
fn thread_count_does_not_change_results() {
    let t = common::synthetic(80, 60, 0.3, 2);
    let fit_with = |threads: usize, p: &BaselineParams| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| p.fit(&t, 3, &NoObserver).unwrap())
    };
    for p in all_models() {
        assert_eq!(
            bits(&fit_with(1, &p)),
            bits(&fit_with(4, &p)),
            "{}",
            p.name()
        );
    }
}

#[test]
fn models_beat_the_global_mean_on_held_out_synthetic_ratings() {
    let all = common::synthetic(120, 80, 0.5, 3);
    let (mut train, mut test) = (
        Triplets::with_capacity(all.n_users, all.n_items, all.scale, 0),
        Triplets::with_capacity(all.n_users, all.n_items, all.scale, 0),
    );
    for r in 0..all.len() {
        let dst = if r % 5 == 0 { &mut test } else { &mut train };
        dst.push(all.user[r], all.item[r], all.rating[r]);
    }
    let gm = BaselineParams::GlobalMean
        .fit(&train, 0, &NoObserver)
        .unwrap();
    let base = common::rmse(&gm, &test);
    for p in all_models().into_iter().skip(1) {
        let m = p.fit(&train, 5, &NoObserver).unwrap();
        let r = common::rmse(&m, &test);
        assert!(r < base, "{}: rmse {r} vs global mean {base}", p.name());
        for u in 0..3 {
            for i in 0..all.n_items {
                let x = m.predict(u, i);
                assert!(
                    (1.0..=5.0).contains(&x),
                    "{}: prediction {x} outside the scale",
                    p.name()
                );
            }
        }
    }
}

#[test]
fn observer_sees_every_epoch_and_the_loss_falls() {
    let t = common::synthetic(50, 40, 0.5, 4);
    let reports = Mutex::new(Vec::<EpochReport>::new());
    let obs = |r: &EpochReport| reports.lock().unwrap().push(r.clone());
    BaselineParams::BiasSvd(small_svd())
        .fit(&t, 1, &obs)
        .unwrap();
    let reports = reports.into_inner().unwrap();
    assert_eq!(
        reports.iter().map(|r| r.epoch).collect::<Vec<_>>(),
        (1..=15).collect::<Vec<_>>()
    );
    assert!(
        reports.last().unwrap().train_loss < 0.8 * reports[0].train_loss,
        "{reports:?}"
    );
    assert!(
        reports
            .iter()
            .all(|r| r.seconds >= 0.0 && r.valid_rmse.is_none())
    );
}

#[test]
fn params_from_toml_with_defaults_and_named_errors() {
    let p: BaselineParams = toml::from_str("model = \"bias-svd\"\nfactors = 10\n").unwrap();
    assert_eq!(
        p,
        BaselineParams::BiasSvd(SvdParams {
            factors: 10,
            ..SvdParams::default()
        })
    );
    let p: BaselineParams = toml::from_str("model = \"baseline\"\nmethod = \"sgd\"\n").unwrap();
    assert!(matches!(p, BaselineParams::Baseline(ref b) if b.method == BaselineMethod::Sgd));
    let p: BaselineParams = toml::from_str("model = \"global-mean\"").unwrap();
    assert_eq!(p, BaselineParams::GlobalMean);
    for p in all_models() {
        let text = toml::to_string(&p).unwrap();
        assert_eq!(
            toml::from_str::<BaselineParams>(&text).unwrap(),
            p,
            "{text}"
        );
    }
    for (text, needle) in [
        ("model = \"svd\"\nfactor = 10\n", "factor"),
        ("model = \"svd-pp\"\nlr = 0.1\n", "lr"),
        ("model = \"funk\"\n", "funk"),
        ("model = \"global-mean\"\nfactors = 3\n", "factors"),
    ] {
        let e = toml::from_str::<BaselineParams>(text)
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{text}: {e}");
    }
    let cases: Vec<(BaselineParams, &str)> = vec![
        (
            BaselineParams::Svd(SvdParams {
                lr_factors: -0.1,
                ..Default::default()
            }),
            "lr-factors",
        ),
        (
            BaselineParams::BiasSvd(SvdParams {
                reg_bias: f32::NAN,
                ..Default::default()
            }),
            "reg-bias",
        ),
        (
            BaselineParams::BiasSvd(SvdParams {
                factors: 0,
                ..Default::default()
            }),
            "factors",
        ),
        (
            BaselineParams::SvdPp(SvdPpParams {
                epochs: 0,
                ..Default::default()
            }),
            "epochs",
        ),
        (
            BaselineParams::SvdPp(SvdPpParams {
                init_std: -1.0,
                ..Default::default()
            }),
            "init-std",
        ),
        (
            BaselineParams::Baseline(BaselineOnlyParams {
                reg_user: Some(0.0),
                ..Default::default()
            }),
            "reg-user",
        ),
        (
            BaselineParams::TruncatedSvd(TruncatedSvdParams {
                oversampling: 5000,
                ..Default::default()
            }),
            "oversampling",
        ),
    ];
    let t = common::synthetic(10, 10, 0.5, 5);
    for (p, name) in cases {
        let e = p.check().unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(p.name()), "{e}");
        // fit checks before any work
        assert!(p.fit(&t, 0, &NoObserver).is_err());
    }
}

#[test]
fn save_and_load_round_trip_bit_for_bit() {
    let t = common::synthetic(40, 30, 0.5, 6);
    let dir = tempfile::tempdir().unwrap();
    for (n, p) in all_models().into_iter().enumerate() {
        let m = p.fit(&t, 9, &NoObserver).unwrap();
        let path = dir.path().join(format!("m{n}.json"));
        m.save(&path).unwrap();
        let back = FittedBaseline::load(&path).unwrap();
        assert_eq!(bits(&m), bits(&back), "{}", p.name());
        assert_eq!(m.name(), back.name());
        assert_eq!(m.predict(1, 2).to_bits(), back.predict(1, 2).to_bits());
    }
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"model\": \"svd\"}").unwrap();
    let e = FittedBaseline::load(&bad).unwrap_err().to_string();
    assert!(e.contains("bad.json"), "{e}");
    let e = FittedBaseline::load(&dir.path().join("missing.json"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.json"), "{e}");
}

#[test]
fn upstream_factors_and_biases_are_exposed() {
    let t = common::synthetic(30, 20, 0.5, 7);
    for p in all_models() {
        let m = p.fit(&t, 1, &NoObserver).unwrap();
        assert!((m.global_mean() as f64 - t.mean()).abs() < 1e-5);
        match m.item_factors() {
            Some((q, k)) => assert_eq!(q.len(), 20 * k),
            None => assert!(matches!(
                p,
                BaselineParams::GlobalMean | BaselineParams::Baseline(_)
            )),
        }
        let biased = matches!(
            p,
            BaselineParams::Baseline(_) | BaselineParams::BiasSvd(_) | BaselineParams::SvdPp(_)
        );
        assert_eq!(
            m.item_bias().map(<[f32]>::len),
            biased.then_some(20),
            "{}",
            p.name()
        );
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting (independent of the
/// crate's Cholesky).
fn gauss(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for c in 0..n {
        let piv = (c..n)
            .max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs()))
            .unwrap();
        a.swap(c, piv);
        b.swap(c, piv);
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            for j in c..n {
                a[r][j] -= f * a[c][j];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|j| a[r][j] * x[j]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x
}

/// The normal equations of `sum (t - x.w)^2 + sum_c lambda_c w_c^2`, solved independently.
fn ridge(rows: &[Vec<f64>], targets: &[f64], lambda: &[f64]) -> Vec<f64> {
    let d = lambda.len();
    let mut a = vec![vec![0.0; d]; d];
    let mut b = vec![0.0; d];
    for (x, &t) in rows.iter().zip(targets) {
        for r in 0..d {
            b[r] += x[r] * t;
            for c in 0..d {
                a[r][c] += x[r] * x[c];
            }
        }
    }
    for c in 0..d {
        a[c][c] += lambda[c];
    }
    gauss(a, b)
}

#[test]
fn fold_in_equals_the_closed_form_solution() {
    let t = common::synthetic(60, 40, 0.5, 8);
    let revealed: Vec<(u32, f32)> = (0..20u32).map(|j| (j * 2, (1 + j % 5) as f32)).collect();
    let k = 8usize;
    for p in [
        BaselineParams::Svd(small_svd()),
        BaselineParams::BiasSvd(small_svd()),
        BaselineParams::SvdPp(SvdPpParams {
            factors: k,
            epochs: 5,
            ..Default::default()
        }),
    ] {
        let m = p.fit(&t, 2, &NoObserver).unwrap();
        let (q, kk) = m.item_factors().unwrap();
        assert_eq!(kk, k);
        let n = revealed.len() as f64;
        let mu = f64::from(m.global_mean());
        let (biased, lf, lb, implicit) = match &m {
            FittedBaseline::Svd(s) => (false, s.reg_factors, s.reg_bias, vec![0.0; k]),
            FittedBaseline::BiasSvd(s) => (true, s.reg_factors, s.reg_bias, vec![0.0; k]),
            FittedBaseline::SvdPp(s) => {
                let mut imp = vec![0.0f64; k];
                for &(j, _) in &revealed {
                    for f in 0..k {
                        imp[f] += f64::from(s.implicit_factors[j as usize * k + f]) / n.sqrt();
                    }
                }
                (true, s.reg_factors, s.reg_bias, imp)
            }
            _ => unreachable!(),
        };
        let mut rows = Vec::new();
        let mut targets = Vec::new();
        for &(i, r) in &revealed {
            let qi: Vec<f64> = q[i as usize * k..(i as usize + 1) * k]
                .iter()
                .map(|&x| f64::from(x))
                .collect();
            let mut target = f64::from(r);
            if biased {
                target -= mu + f64::from(m.item_bias().unwrap()[i as usize]);
                target -= qi.iter().zip(&implicit).map(|(a, b)| a * b).sum::<f64>();
            }
            let mut row = qi;
            if biased {
                row.push(1.0);
            }
            rows.push(row);
            targets.push(target);
        }
        let mut lambda = vec![f64::from(lf) * n; k];
        if biased {
            lambda.push(f64::from(lb) * n);
        }
        let want = ridge(&rows, &targets, &lambda);
        let ws = m.fold_in_user(&revealed, &FoldInOptions::default());
        assert_eq!(ws.n_used(), 20);
        for f in 0..k {
            assert!(
                (f64::from(ws.user_factors()[f]) - want[f]).abs() < 1e-4,
                "{} p{f}",
                p.name()
            );
        }
        if biased {
            assert!(
                (f64::from(ws.user_bias()) - want[k]).abs() < 1e-4,
                "{} bias",
                p.name()
            );
        }
        // The trait path predicts from the same solution.
        let query: Vec<u32> = (0..40).collect();
        let mut out = vec![0.0; 40];
        m.predict_new_user(&revealed, &[], &query, &mut out);
        for &i in &query {
            let qi = &q[i as usize * k..(i as usize + 1) * k];
            let mut est: f64 = qi.iter().zip(&want).map(|(&a, &b)| f64::from(a) * b).sum();
            if biased {
                est += mu + want[k] + f64::from(m.item_bias().unwrap()[i as usize]);
                est += qi
                    .iter()
                    .zip(&implicit)
                    .map(|(&a, b)| f64::from(a) * b)
                    .sum::<f64>();
            }
            let est = est.clamp(1.0, 5.0);
            assert!(
                (f64::from(out[i as usize]) - est).abs() < 1e-4,
                "{} item {i}",
                p.name()
            );
        }
        // Fold-in fits the revealed ratings better than no-retrain.
        let err = |pred: &dyn NewUserPredictor| {
            let items: Vec<u32> = revealed.iter().map(|x| x.0).collect();
            let mut o = vec![0.0; items.len()];
            pred.predict_new_user(&revealed, &[], &items, &mut o);
            o.iter()
                .zip(&revealed)
                .map(|(a, b)| f64::from(a - b.1).powi(2))
                .sum::<f64>()
        };
        assert!(err(&m) < err(&m.no_retrain()), "{}", p.name());
    }
}

#[test]
fn baseline_fold_in_and_truncated_projection() {
    let t = common::synthetic(60, 40, 0.5, 9);
    let revealed = [(1u32, 5.0f32), (3, 4.0), (5, 5.0)];
    for method in [BaselineMethod::Als, BaselineMethod::Sgd] {
        let p = BaselineOnlyParams {
            method,
            ..Default::default()
        };
        let m = BaselineParams::Baseline(p.clone())
            .fit(&t, 0, &NoObserver)
            .unwrap();
        let (mu, bi) = (m.global_mean(), m.item_bias().unwrap());
        let sum: f64 = revealed
            .iter()
            .map(|&(i, r)| f64::from(r - mu - bi[i as usize]))
            .sum();
        let lambda = match method {
            BaselineMethod::Als => 15.0,
            BaselineMethod::Sgd => 0.02 * 3.0,
        };
        let ws = m.fold_in_user(&revealed, &FoldInOptions::default());
        assert!((f64::from(ws.user_bias()) - sum / (3.0 + lambda)).abs() < 1e-5);
    }
    // Truncated SVD: the fold-in of a training user's own row is that user's factor row.
    let p = TruncatedSvdParams {
        factors: 4,
        solver: SvdSolver::Exact,
        ..Default::default()
    };
    let m = BaselineParams::TruncatedSvd(p)
        .fit(&t, 0, &NoObserver)
        .unwrap();
    let idx = t.by_user();
    let (items, ratings) = idx.row(7);
    let row: Vec<(u32, f32)> = items.iter().copied().zip(ratings.iter().copied()).collect();
    let ws = m.fold_in_user(&row, &FoldInOptions::default());
    let (uf, k) = m.user_factors().unwrap();
    for f in 0..k {
        assert!((ws.user_factors()[f] - uf[7 * k + f]).abs() < 1e-4, "{f}");
    }
}

#[test]
fn no_retrain_is_the_paper_protocol() {
    let t = common::synthetic(40, 30, 0.5, 10);
    let query: Vec<u32> = (0..30).collect();
    let revealed = [(0u32, 5.0f32), (1, 1.0)];
    for p in all_models() {
        let m = p.fit(&t, 4, &NoObserver).unwrap();
        let mut out = vec![0.0; 30];
        m.no_retrain()
            .predict_new_user(&revealed, &[], &query, &mut out);
        for &i in &query {
            let want = match m.item_bias() {
                Some(b) => m.global_mean() + b[i as usize],
                None => m.global_mean(),
            };
            assert_eq!(out[i as usize], want.clamp(1.0, 5.0), "{}", p.name());
        }
        // The strategy enum selects the same adapters.
        let a = m.new_user_adapter(&NewUserStrategy::NoRetrain).unwrap();
        let mut out2 = vec![0.0; 30];
        a.predict_new_user(&revealed, &[], &query, &mut out2);
        assert_eq!(out, out2);
        assert!(m.new_user_adapter(&NewUserStrategy::Retrain).is_none());
    }
    // Out-of-range and unknown indices never panic.
    let m = BaselineParams::BiasSvd(small_svd())
        .fit(&t, 0, &NoObserver)
        .unwrap();
    assert!((1.0..=5.0).contains(&m.predict(10_000, 10_000)));
    let mut out = [0.0];
    m.predict_new_user(&[(99_999, 3.0)], &[], &[99_999], &mut out);
    assert!((1.0..=5.0).contains(&out[0]));
}

#[test]
fn ml100k_u1_accuracy() {
    let Some(dir) = common::ml100k_dir() else {
        return;
    };
    let train = common::read_split(&dir.join("u1.base"));
    let test = common::read_split(&dir.join("u1.test"));
    let fit = |p: BaselineParams| p.fit(&train, 42, &NoObserver).unwrap();
    let gm = common::rmse(&fit(BaselineParams::GlobalMean), &test);
    let bsvd = common::rmse(&fit(BaselineParams::BiasSvd(SvdParams::default())), &test);
    // Surprise's SVD() gets about 0.95 on u1 with these defaults (k = 100).
    assert!(bsvd < 0.96, "bias-svd u1 rmse {bsvd}");
    let base = common::rmse(
        &fit(BaselineParams::Baseline(BaselineOnlyParams::default())),
        &test,
    );
    assert!(base < 0.96 && base > bsvd - 0.02, "baseline u1 rmse {base}");
    let tsvd = common::rmse(
        &fit(BaselineParams::TruncatedSvd(TruncatedSvdParams {
            factors: 20,
            ..Default::default()
        })),
        &test,
    );
    assert!(tsvd < gm, "truncated-svd {tsvd} vs global mean {gm}");
}
