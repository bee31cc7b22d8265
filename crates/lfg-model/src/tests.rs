//! Unit tests on tiny synthetic data (internal API).

use burn::tensor::{Device, Tensor, TensorData};
use lfg_core::{FeatureMatrix, NewUserPredictor, Predictor, RatingScale, Rng, Triplets};

use crate::batch::{BatchSpec, build_batch};
use crate::net::{LfgNet, MuTerm, NetInput};
use crate::train::{StepCtx, batch_loss};
use crate::weights::{ItemStart, NetWeights};
use crate::{ItemInit, LfgConfig, LfgModel, LfgTrainData, LossMode, MuMode, fit};

/// Low-rank ratings (rank 3) plus noise, clipped to 1..5, on about half the pairs.
fn synthetic(n_users: u32, n_items: u32, density: f64, seed: u64) -> (Triplets, FeatureMatrix) {
    let mut rng = Rng::new(seed);
    let uf: Vec<f64> = (0..n_users * 3).map(|_| rng.normal()).collect();
    let vf: Vec<f64> = (0..n_items * 3).map(|_| rng.normal()).collect();
    let mut t = Triplets::with_capacity(n_users, n_items, RatingScale::MOVIELENS, 0);
    for u in 0..n_users {
        for i in 0..n_items {
            if rng.bernoulli(density) {
                let dot: f64 = (0..3)
                    .map(|f| uf[(u * 3 + f) as usize] * vf[(i * 3 + f) as usize])
                    .sum();
                let r = (3.5 + 0.6 * dot + 0.2 * rng.normal())
                    .round()
                    .clamp(1.0, 5.0);
                t.push(u, i, r as f32);
            }
        }
    }
    let features = FeatureMatrix {
        width: 2,
        data: (0..n_users)
            .flat_map(|u| [(u % 2) as f32, (u % 3) as f32 / 2.0])
            .collect(),
        names: vec!["a".into(), "b".into()],
    };
    (t, features)
}

fn small_cfg() -> LfgConfig {
    LfgConfig {
        k: 4,
        hidden: vec![16, 8],
        batch_size: 8,
        epochs: 6,
        learning_rate: 5e-3,
        ..LfgConfig::default()
    }
}

fn upstream(n_items: usize, k: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n_items * k)
        .map(|_| rng.normal_with(0.0, 0.3) as f32)
        .collect()
}

fn train_small(seed: u64) -> (LfgModel, Triplets, FeatureMatrix) {
    let (t, f) = synthetic(40, 30, 0.5, 11);
    let up = upstream(30, 4, 5);
    let cfg = small_cfg();
    let data = LfgTrainData {
        train: &t,
        features: &f,
        item_init: ItemInit::Factors { data: &up, k: 4 },
        valid: None,
    };
    let m = fit(&cfg, data, seed, &lfg_core::model::NoObserver).unwrap();
    (m, t, f)
}

/// Weights of a tiny network over `synthetic`'s two demographic features: `hidden` layers,
/// `k` factors, item factors drawn from `N(0, item_std)`, all from `seed`.
fn tiny_weights(
    n_items: usize,
    hidden: &[usize],
    k: usize,
    item_std: f64,
    seed: u64,
) -> NetWeights {
    NetWeights::init(
        2,
        n_items,
        hidden,
        k,
        0.01,
        1e-5,
        ItemStart::Random(item_std),
        &mut Rng::new(seed),
    )
}

/// The configuration of a tiny network: `hidden` layers and `k` factors, the rest default.
fn tiny_cfg(hidden: &[usize], k: usize) -> LfgConfig {
    LfgConfig {
        hidden: hidden.to_vec(),
        k,
        ..LfgConfig::default()
    }
}

/// A training step's context for a tiny network (`mu` = 3.5, sparse first layer).
fn tiny_ctx<'a>(cfg: &'a LfgConfig, device: &'a Device) -> StepCtx<'a> {
    StepCtx {
        cfg,
        k: cfg.k,
        mu_global: 3.5,
        device,
        sparse: true,
    }
}

/// The batch of users `0..n_users` of `t` (all their training ratings as inputs).
fn first_users_batch(
    t: &Triplets,
    f: &FeatureMatrix,
    n_users: u32,
    spec: &BatchSpec,
    rng: Option<&mut Rng>,
) -> crate::batch::Batch {
    let users: Vec<u32> = (0..n_users).collect();
    build_batch(&users, &t.by_user(), f, spec, rng)
}

fn spec(n_items: usize, mask_rate: f64, loss: LossMode) -> BatchSpec {
    BatchSpec {
        n_items,
        mask_rate,
        mask_rate_max: None,
        loss,
        mu: MuMode::Global,
        mu_global: 3.5,
    }
}

#[test]
fn network_shapes() {
    let (t, f) = synthetic(10, 12, 0.5, 1);
    let w = tiny_weights(12, &[16, 8], 4, 0.1, 1);
    assert_eq!(w.d_in(), 14);
    assert_eq!(w.hidden(), vec![16, 8]);
    let device = Device::flex();
    let net = LfgNet::from_weights(&w, 0.1, false, &device);
    let b = first_users_batch(&t, &f, 5, &spec(12, 0.0, LossMode::Observed), None);
    let x = Tensor::<2>::from_data(TensorData::new(b.input.clone(), [5, 14]), &device);
    let out = net.generate(NetInput::Dense(x), 0.01, &[]);
    assert_eq!(out.dims(), [5, 5]);
    let vals = out.clone().into_data().try_into_vec::<f32>().unwrap();
    assert!(vals.iter().all(|v| v.abs() <= 1.0), "tanh output");
    let pred = net.predict(out, 4, MuTerm::Scalar(3.5));
    assert_eq!(pred.dims(), [5, 12]);
}

#[test]
fn masking_rate_matches_p() {
    let (t, f) = synthetic(200, 100, 0.5, 2);
    let idx = t.by_user();
    let users: Vec<u32> = (0..200).collect();
    for p in [0.1, 0.3] {
        let mut rng = Rng::new(9);
        let b = build_batch(
            &users,
            &idx,
            &f,
            &spec(100, p, LossMode::Observed),
            Some(&mut rng),
        );
        assert_eq!(b.observed, t.len());
        let rate = b.masked as f64 / b.observed as f64;
        let sd = (p * (1.0 - p) / b.observed as f64).sqrt();
        assert!((rate - p).abs() < 4.0 * sd, "p={p} rate={rate}");
        // Masked entries are zero in the input but still targets; observed loss covers all.
        let zeros = (0..200)
            .flat_map(|r| {
                let (items, _) = idx.row(r);
                items
                    .iter()
                    .map(move |&i| (r, i as usize))
                    .collect::<Vec<_>>()
            })
            .filter(|&(r, i)| b.input[r * 102 + 2 + i] == 0.0)
            .count();
        assert_eq!(zeros, b.masked);
        assert_eq!(b.count, b.observed);
        // Masked loss mode counts exactly the masked entries.
        let mut rng = Rng::new(9);
        let bm = build_batch(
            &users,
            &idx,
            &f,
            &spec(100, p, LossMode::Masked),
            Some(&mut rng),
        );
        assert_eq!(bm.count, b.masked);
    }
    // No masking without an RNG (evaluation).
    let b = build_batch(&users, &idx, &f, &spec(100, 0.5, LossMode::Observed), None);
    assert_eq!(b.masked, 0);
}

#[test]
fn per_user_mask_rate_spans_the_range() {
    let (t, f) = synthetic(400, 100, 0.5, 3);
    let idx = t.by_user();
    let users: Vec<u32> = (0..400).collect();
    let ranged = BatchSpec {
        mask_rate_max: Some(0.9),
        ..spec(100, 0.1, LossMode::Observed)
    };
    let mut rng = Rng::new(4);
    let b = build_batch(&users, &idx, &f, &ranged, Some(&mut rng));
    // Overall rate near the middle of [0.1, 0.9).
    let rate = b.masked as f64 / b.observed as f64;
    assert!((rate - 0.5).abs() < 0.05, "rate={rate}");
    // Per-user rates spread over the range: some users keep most ratings, some lose most.
    let per_user: Vec<f64> = (0..400)
        .map(|r| {
            let (items, _) = idx.row(r);
            let zeros = items
                .iter()
                .filter(|&&i| b.input[r * 102 + 2 + i as usize] == 0.0)
                .count();
            zeros as f64 / items.len() as f64
        })
        .collect();
    assert!(per_user.iter().any(|&x| x < 0.25), "no lightly masked user");
    assert!(per_user.iter().any(|&x| x > 0.75), "no heavily masked user");
    // A fixed rate keeps every user near it.
    let mut rng = Rng::new(4);
    let fixed = build_batch(
        &users,
        &idx,
        &f,
        &spec(100, 0.5, LossMode::Observed),
        Some(&mut rng),
    );
    assert!(fixed.masked.abs_diff(b.masked) < b.observed / 10);
    // Checked before any work: the upper end must not be below mask-rate.
    let bad = LfgConfig {
        mask_rate: 0.4,
        mask_rate_max: Some(0.2),
        ..LfgConfig::default()
    };
    let e = bad.check().unwrap_err().to_string();
    assert!(e.contains("mask-rate-max"), "{e}");
}

#[test]
fn loss_ignores_missing_entries() {
    let (t, f) = synthetic(8, 10, 0.5, 3);
    let cfg = tiny_cfg(&[8], 3);
    let w = tiny_weights(10, &[8], 3, 0.3, 2);
    let device = Device::flex();
    let net = LfgNet::from_weights(&w, 0.1, false, &device);
    let ctx = tiny_ctx(&cfg, &device);
    let b = first_users_batch(&t, &f, 8, &spec(10, 0.0, LossMode::Observed), None);
    let loss = |b: &crate::batch::Batch| {
        batch_loss(&net, b.clone(), vec![None], &ctx, None).into_scalar::<f32>()
    };
    let base = loss(&b);
    assert!(base.is_finite() && base > 0.0);
    // The dense first layer computes the same function (rounding aside).
    let dense_ctx = StepCtx {
        sparse: false,
        ..ctx
    };
    let dense = batch_loss(&net, b.clone(), vec![None], &dense_ctx, None).into_scalar::<f32>();
    assert!(
        (dense - base).abs() <= 1e-5 * base,
        "dense {dense} vs sparse {base}"
    );
    let missing = b.mask.iter().position(|&m| m == 0.0).unwrap();
    let observed = b.mask.iter().position(|&m| m == 1.0).unwrap();
    let mut b2 = b.clone();
    b2.target[missing] = 1000.0;
    assert_eq!(loss(&b2).to_bits(), base.to_bits());
    let mut b3 = b.clone();
    b3.target[observed] += 2.0;
    assert!((loss(&b3) - base).abs() > 1e-4);
}

#[test]
fn gradients_reach_item_factors_and_biases() {
    let (t, f) = synthetic(8, 10, 0.5, 4);
    let cfg = tiny_cfg(&[8], 3);
    let w = tiny_weights(10, &[8], 3, 0.3, 3);
    let device = Device::flex().autodiff();
    let b = first_users_batch(
        &t,
        &f,
        8,
        &spec(10, 0.1, LossMode::Observed),
        Some(&mut Rng::new(1)),
    );
    let ctx = tiny_ctx(&cfg, &device);
    for freeze in [false, true] {
        let net = LfgNet::from_weights(&w, 0.1, freeze, &device);
        let grads = batch_loss(&net, b.clone(), vec![None], &ctx, None).backward();
        let abs_sum = |g: Option<Vec<f32>>| g.map(|g| g.iter().map(|x| x.abs()).sum::<f32>());
        let gm = abs_sum(
            net.items
                .val()
                .grad(&grads)
                .map(|g| g.into_data().try_into_vec::<f32>().unwrap()),
        );
        let gb = abs_sum(
            net.item_bias
                .val()
                .grad(&grads)
                .map(|g| g.into_data().try_into_vec::<f32>().unwrap()),
        );
        let gw = abs_sum(
            net.layers[0]
                .weight
                .val()
                .grad(&grads)
                .map(|g| g.into_data().try_into_vec::<f32>().unwrap()),
        );
        assert!(gb.is_some_and(|g| g > 0.0), "bi gradient {gb:?}");
        assert!(gw.is_some_and(|g| g > 0.0), "first layer gradient {gw:?}");
        if freeze {
            assert!(gm.is_none_or(|g| g == 0.0), "frozen M got gradient {gm:?}");
        } else {
            assert!(gm.is_some_and(|g| g > 0.0), "M gradient {gm:?}");
        }
    }
}

#[test]
fn batchnorm_uses_running_statistics_at_inference() {
    let (m, t, f) = train_small(7);
    let idx = t.by_user();
    // Running statistics moved away from their initial values during training.
    assert!(m.weights.norm.mean.iter().any(|&x| x.abs() > 1e-3));
    let row = |u: usize| -> Vec<(u32, f32)> {
        let (i, r) = idx.row(u);
        i.iter().copied().zip(r.iter().copied()).collect()
    };
    let alone = m.generate(&row(3), f.row(3));
    let r0 = row(0);
    let r3 = row(3);
    let r9 = row(9);
    let many = m.generate_many(&[(&r0, f.row(0)), (&r3, f.row(3)), (&r9, f.row(9))]);
    assert_eq!(many[1], alone);
    // burn's own inference forward (plain device => BatchNorm in inference mode) gives the
    // same factors for user 3 whatever the batch, and matches the sparse Rust path.
    let device = Device::flex();
    let net = LfgNet::from_weights(&m.weights, 0.1, false, &device);
    let sp = spec(30, 0.0, LossMode::Observed);
    let mut outs = Vec::new();
    for users in [vec![3u32, 0, 1], vec![5, 3], vec![3, 4, 5, 6, 7, 8, 9, 10]] {
        let b = build_batch(&users, &idx, &f, &sp, None);
        let pos = users.iter().position(|&u| u == 3).unwrap();
        let x = Tensor::<2>::from_data(TensorData::new(b.input, [users.len(), 32]), &device);
        let out = net
            .generate(NetInput::Dense(x), m.cfg.leaky_slope, &[])
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        outs.push(out[pos * 5..pos * 5 + 5].to_vec());
    }
    for o in &outs {
        for (a, b) in o.iter().zip(&outs[0]) {
            assert!((a - b).abs() < 1e-6);
        }
        for (a, b) in o[..4].iter().zip(&alone.0) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        assert!((o[4] - alone.1).abs() < 1e-4);
    }
}

#[test]
fn same_seed_same_model_and_training_reduces_loss() {
    let (t, f) = synthetic(40, 30, 0.5, 11);
    let up = upstream(30, 4, 5);
    let cfg = LfgConfig {
        dropout: 0.2,
        weight_decay: 1e-4,
        ..small_cfg()
    };
    let run = |seed: u64| {
        let losses = std::sync::Mutex::new(Vec::new());
        let obs = |r: &lfg_core::EpochReport| losses.lock().unwrap().push(r.train_loss);
        let data = LfgTrainData {
            train: &t,
            features: &f,
            item_init: ItemInit::Factors { data: &up, k: 4 },
            valid: None,
        };
        let m = fit(&cfg, data, seed, &obs).unwrap();
        (m, losses.into_inner().unwrap())
    };
    let (a, la) = run(1);
    let (b, lb) = run(1);
    let (c, _) = run(2);
    assert_eq!(la.len(), cfg.epochs);
    assert_eq!(la, lb);
    assert_eq!(a.weights, b.weights);
    assert_eq!(a.user_table, b.user_table);
    assert_ne!(a.weights, c.weights);
    assert!(la[la.len() - 1] < la[0] * 0.9, "loss did not fall: {la:?}");
}

#[test]
fn save_load_round_trip_is_bit_identical() {
    let (m, t, f) = train_small(3);
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let l = LfgModel::load(dir.path()).unwrap();
    assert_eq!(l.weights, m.weights);
    for u in 0..40u32 {
        for i in 0..30u32 {
            assert_eq!(l.predict(u, i).to_bits(), m.predict(u, i).to_bits());
        }
    }
    let revealed = [(1u32, 4.0f32), (7, 2.0), (3, 5.0)];
    let q: Vec<u32> = (0..30).collect();
    let (mut a, mut b) = (vec![0f32; 30], vec![0f32; 30]);
    m.predict_new_user(&revealed, f.row(0), &q, &mut a);
    l.predict_new_user(&revealed, f.row(0), &q, &mut b);
    assert_eq!(a, b);
    assert_eq!(
        l.recommend(&revealed, f.row(0), 5),
        m.recommend(&revealed, f.row(0), 5)
    );
    assert_eq!(t.n_items as usize, l.n_items());
    // A damaged file is a typed error, not a panic.
    std::fs::write(dir.path().join("users.bin"), b"junk").unwrap();
    let e = LfgModel::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("users.bin"), "{e}");
}

#[test]
fn known_users_match_generation_and_recommend_excludes_revealed() {
    let (m, t, f) = train_small(4);
    let idx = t.by_user();
    let (items, ratings) = idx.row(5);
    let row: Vec<(u32, f32)> = items.iter().copied().zip(ratings.iter().copied()).collect();
    let (g, bu) = m.generate(&row, f.row(5));
    let (tf, tb) = m.user_factors(5).unwrap();
    assert_eq!(tf, &g[..]);
    assert_eq!(tb, bu);
    assert!(m.knows_user(5));
    let mut out = vec![0f32; 1];
    m.predict_new_user(&row, f.row(5), &[2], &mut out);
    assert_eq!(out[0].to_bits(), m.predict(5, 2).to_bits());

    let rec = m.recommend(&row, f.row(5), 10);
    assert_eq!(rec.len(), 10.min(30 - row.len()));
    assert!(rec.iter().all(|(i, _)| !items.contains(i)));
    assert!(rec.windows(2).all(|w| w[0].1 >= w[1].1));
    let scores = m.score_all(&row, f.row(5));
    let best_unrated = (0..30u32)
        .filter(|i| !items.contains(i))
        .map(|i| scores[i as usize])
        .fold(f32::MIN, f32::max);
    assert_eq!(rec[0].1, best_unrated);
    // Bad input is ignored, not a panic.
    let (g2, _) = m.generate(&[(9999, 3.0), (1, f32::NAN)], &[1.0]);
    assert_eq!(g2.len(), 4);
}

#[test]
fn early_stopping_stops_and_restores_best() {
    let (t, f) = synthetic(40, 30, 0.6, 12);
    // Inner validation: every 5th rating.
    let mut tr = Triplets::with_capacity(40, 30, RatingScale::MOVIELENS, 0);
    let mut va = tr.clone();
    for r in 0..t.len() {
        let dst = if r % 5 == 0 { &mut va } else { &mut tr };
        dst.push(t.user[r], t.item[r], t.rating[r]);
    }
    let cfg = LfgConfig {
        epochs: 40,
        patience: Some(2),
        learning_rate: 3e-2,
        ..small_cfg()
    };
    let reports = std::sync::Mutex::new(Vec::new());
    let obs = |r: &lfg_core::EpochReport| reports.lock().unwrap().push(r.clone());
    let data = LfgTrainData {
        train: &tr,
        features: &f,
        item_init: ItemInit::Random,
        valid: Some(&va),
    };
    let m = fit(&cfg, data, 1, &obs).unwrap();
    let reps = reports.into_inner().unwrap();
    assert!(
        reps.iter()
            .all(|r| r.valid_rmse.is_some_and(f64::is_finite))
    );
    let best = reps
        .iter()
        .min_by(|a, b| a.valid_rmse.unwrap().total_cmp(&b.valid_rmse.unwrap()))
        .unwrap();
    assert_eq!(m.best_epoch(), best.epoch);
    assert_eq!(m.epochs_run(), reps.len());
    assert!(
        reps.len() < cfg.epochs,
        "a fast learning rate overfits, so training stops early"
    );
    assert_eq!(
        reps.len(),
        best.epoch + 2,
        "stopped after `patience` epochs without progress"
    );
    // The restored model reproduces the best validation RMSE.
    let mut sse = 0f64;
    for r in 0..va.len() {
        let p = m.predict(va.user[r], va.item[r]);
        sse += f64::from(p - va.rating[r]).powi(2);
    }
    let rmse = (sse / va.len() as f64).sqrt();
    assert!(
        (rmse - best.valid_rmse.unwrap()).abs() < 1e-9,
        "{rmse} vs {:?}",
        best.valid_rmse
    );
    // Early stopping without validation data is refused.
    let data = LfgTrainData {
        train: &tr,
        features: &f,
        item_init: ItemInit::Random,
        valid: None,
    };
    let e = fit(&cfg, data, 1, &lfg_core::model::NoObserver).unwrap_err();
    assert!(e.to_string().contains("patience"));
}

#[test]
fn bad_inputs_are_typed_errors() {
    let (t, f) = synthetic(10, 12, 0.5, 1);
    let up = upstream(12, 3, 1);
    let data = LfgTrainData {
        train: &t,
        features: &f,
        item_init: ItemInit::Factors { data: &up, k: 3 },
        valid: None,
    };
    let e = fit(&small_cfg(), data, 1, &lfg_core::model::NoObserver).unwrap_err();
    assert!(e.to_string().contains("`k`"), "{e}");
    let cfg = LfgConfig {
        k: 3,
        ..small_cfg()
    };
    let short = &up[..10];
    let data = LfgTrainData {
        item_init: ItemInit::Factors { data: short, k: 3 },
        ..data
    };
    assert!(fit(&cfg, data, 1, &lfg_core::model::NoObserver).is_err());
}

#[test]
fn weight_decay_shrinks_generator_weights_and_user_input_mu_trains() {
    let (t, f) = synthetic(40, 30, 0.5, 11);
    let norm = |m: &LfgModel| -> f64 {
        m.weights
            .layers
            .iter()
            .flat_map(|l| &l.w)
            .map(|&x| f64::from(x).powi(2))
            .sum()
    };
    let run = |cfg: LfgConfig| {
        let data = LfgTrainData {
            train: &t,
            features: &f,
            item_init: ItemInit::Random,
            valid: None,
        };
        fit(&cfg, data, 3, &lfg_core::model::NoObserver).unwrap()
    };
    let plain = run(small_cfg());
    let decayed = run(LfgConfig {
        weight_decay: 5.0,
        ..small_cfg()
    });
    assert!(
        norm(&decayed) < 0.8 * norm(&plain),
        "{} vs {}",
        norm(&decayed),
        norm(&plain)
    );
    // Item factors are not decayed by the generator's weight decay (same start, similar size).
    assert_eq!(decayed.item_bias().len(), 30);

    let m = run(LfgConfig {
        mu: MuMode::UserInput,
        loss: LossMode::Masked,
        mask_rate: 0.3,
        ..small_cfg()
    });
    let idx = t.by_user();
    let (items, ratings) = idx.row(2);
    let mean = ratings.iter().map(|&r| f64::from(r)).sum::<f64>() / ratings.len() as f64;
    assert!((f64::from(m.user_mu[2]) - mean).abs() < 1e-5);
    let row: Vec<(u32, f32)> = items.iter().copied().zip(ratings.iter().copied()).collect();
    let mut out = [0f32; 3];
    m.predict_new_user(&row, f.row(2), &[0, 1, 2], &mut out);
    for (q, o) in out.iter().enumerate() {
        assert_eq!(o.to_bits(), m.predict(2, q as u32).to_bits());
        assert!((1.0..=5.0).contains(o));
    }
}

#[test]
fn fused_adam_matches_burn_adam() {
    use burn::optim::GradientsParams;

    use crate::adam::{AdamParams, Optim};

    let (t, f) = synthetic(12, 10, 0.5, 6);
    let cfg = tiny_cfg(&[8, 6], 3);
    let w = tiny_weights(10, &[8, 6], 3, 0.3, 8);
    let device = Device::flex().autodiff();
    let ctx = tiny_ctx(&cfg, &device);
    let idx = t.by_user();
    let params = AdamParams {
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
    };
    for (decay, item_decay, freeze) in [(0.0, 0.0, false), (0.05, 0.02, false), (0.01, 0.0, true)] {
        let train = |fused: bool| {
            let mut net = LfgNet::from_weights(&w, 0.1, freeze, &device);
            let mut optim = Optim::new(params, fused);
            let mut rng = Rng::new(3);
            for step in 0..6u32 {
                let users: Vec<u32> = (0..6).map(|u| (u + step * 6) % 12).collect();
                let b = build_batch(
                    &users,
                    &idx,
                    &f,
                    &spec(10, 0.1, LossMode::Observed),
                    Some(&mut rng),
                );
                let loss = batch_loss(&net, b, vec![None, None], &ctx, None);
                let grads = GradientsParams::from_grads(loss.backward(), &net);
                net = optim.step(0.01, net, grads, decay, item_decay);
            }
            net.to_weights(&w).unwrap()
        };
        let (a, b) = (train(true), train(false));
        let bits = |w: &NetWeights| -> Vec<u32> {
            let mut v: Vec<f32> = w
                .layers
                .iter()
                .flat_map(|l| l.w.iter().chain(&l.b))
                .copied()
                .collect();
            v.extend(
                w.norm
                    .gamma
                    .iter()
                    .chain(&w.norm.beta)
                    .chain(&w.items)
                    .chain(&w.item_bias),
            );
            v.iter().map(|x| x.to_bits()).collect()
        };
        assert_eq!(
            bits(&a),
            bits(&b),
            "decay {decay}, item decay {item_decay}, freeze {freeze}"
        );
        // The steps moved the weights, and a frozen M stayed where it started.
        assert_ne!(a.layers[0].w, w.layers[0].w);
        assert_eq!(a.items == w.items, freeze);
    }
}

#[test]
fn host_first_layer_matches_burn_linear_and_its_gradients() {
    use crate::first::{HostFirstLayer, SparseRows};

    let (t, f) = synthetic(9, 14, 0.4, 12);
    let w = tiny_weights(14, &[8], 3, 0.3, 4);
    let batch = first_users_batch(
        &t,
        &f,
        9,
        &spec(14, 0.2, LossMode::Observed),
        Some(&mut Rng::new(2)),
    );
    let (b, d_in, h) = (batch.b, 16, 8);
    let layer = w.layers[0].clone();
    assert_eq!((layer.d_in, layer.d_out), (d_in, h));
    // A random upstream gradient: the loss is sum(z * r).
    let mut rng = Rng::new(5);
    let r: Vec<f32> = (0..b * h).map(|_| rng.normal() as f32).collect();

    let device = Device::flex().autodiff();
    let net = LfgNet::from_weights(&w, 0.1, false, &device);
    let x = Tensor::<2>::from_data(TensorData::new(batch.input.clone(), [b, d_in]), &device);
    let z = net.layers[0].forward(x);
    let rt = Tensor::<2>::from_data(TensorData::new(r.clone(), [b, h]), &device);
    let grads = (z.clone() * rt).sum().backward();
    let read = |t: Tensor<2>| t.into_data().try_into_vec::<f32>().unwrap();
    let z_burn = read(z);
    let gw_burn = read(net.layers[0].weight.val().grad(&grads).unwrap());
    let gb_burn: Vec<f32> = net.layers[0]
        .bias
        .as_ref()
        .unwrap()
        .val()
        .grad(&grads)
        .unwrap()
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();

    let mut host = HostFirstLayer::new(layer);
    let xs = SparseRows {
        b,
        rows: &batch.rows,
        cols: &batch.cols,
        vals: &batch.vals,
    };
    let z_host = host.forward(&xs);
    host.backward(&xs, &r);
    let close = |a: &[f32], b: &[f32], what: &str| {
        assert_eq!(a.len(), b.len(), "{what}");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-5 * (1.0 + x.abs()),
                "{what}[{i}]: {x} vs {y}"
            );
        }
    };
    close(&z_host, &z_burn, "z");
    close(&host.grad_w, &gw_burn, "dW");
    close(&host.grad_b, &gb_burn, "db");
    // Not vacuous: some weight rows get no gradient (columns absent from the batch), others do.
    assert!(host.grad_w.iter().any(|&g| g != 0.0));
    // A second backward overwrites (does not accumulate) the gradient buffers.
    host.backward(&xs, &r);
    close(&host.grad_w, &gw_burn, "dW after a second backward");
}
