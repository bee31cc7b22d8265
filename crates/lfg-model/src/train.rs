//! The training loop: mini-batches of users, masking, autodiff, Adam, early stopping.

use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use lfg_core::{EpochObserver, EpochReport, FeatureMatrix, Rng, Triplets, UserIndex, derive_seed};
use rayon::prelude::*;

use crate::LfgError;
use crate::adam::{AdamParams, Optim};
use crate::batch::{Batch, BatchSpec, build_batch, dropout_masks};
use crate::config::{LfgConfig, MuMode};
use crate::first::{HostFirstLayer, SparseRows};
use crate::model::{LfgModel, ModelMeta, generate_raw};
use crate::net::{LfgNet, MuTerm, NetInput};
use crate::weights::{ItemStart, NetWeights, Scratch};

/// Where the initial item factors `M` come from.
#[derive(Clone, Copy, Debug)]
pub enum ItemInit<'a> {
    /// Upstream item factors, row-major `n_items x k` (e.g. a truncated SVD's `V`).
    Factors {
        /// `n_items * k` values.
        data: &'a [f32],
        /// Number of factors per item.
        k: usize,
    },
    /// Normal random factors with standard deviation `random-init-std` (the "random" upstream).
    Random,
}

/// What [`fit`] trains on.
#[derive(Clone, Copy, Debug)]
pub struct LfgTrainData<'a> {
    /// Training ratings (the rating matrix `H`), over the whole index space.
    pub train: &'a Triplets,
    /// Side features `E`, one row per user index (`FeatureMatrix::empty()` for none).
    pub features: &'a FeatureMatrix,
    /// Initial item factors.
    pub item_init: ItemInit<'a>,
    /// Validation ratings (an inner split of the training data, never the test fold): reported
    /// each epoch and used by early stopping / restore-best.
    pub valid: Option<&'a Triplets>,
}

fn check_data(cfg: &LfgConfig, data: &LfgTrainData<'_>) -> Result<usize, LfgError> {
    let t = data.train;
    let (nu, ni) = (t.n_users as usize, t.n_items as usize);
    if ni == 0 || nu == 0 {
        return Err(LfgError::Data("the training index space is empty".into()));
    }
    if t.user.len() != t.rating.len() || t.item.len() != t.rating.len() {
        return Err(LfgError::Data(
            "train: user/item/rating lengths differ".into(),
        ));
    }
    if let Some(r) = (0..t.len())
        .find(|&r| t.user[r] as usize >= nu || t.item[r] as usize >= ni || !t.rating[r].is_finite())
    {
        return Err(LfgError::Data(format!(
            "train rating #{r} (user {}, item {}, rating {}) is out of range or not finite",
            t.user[r], t.item[r], t.rating[r]
        )));
    }
    let f = data.features;
    if f.width > 0 && (f.n_rows() < nu || f.data.len() != f.n_rows() * f.width) {
        return Err(LfgError::Data(format!(
            "features: {} values of width {} do not cover {nu} users",
            f.data.len(),
            f.width
        )));
    }
    if f.data.iter().any(|x| !x.is_finite()) {
        return Err(LfgError::Data("features contain a non-finite value".into()));
    }
    if let Some(v) = data.valid {
        if v.n_users != t.n_users || v.n_items != t.n_items {
            return Err(LfgError::Data(
                "valid: index space differs from train".into(),
            ));
        }
        if let Some(r) = (0..v.len()).find(|&r| {
            v.user[r] as usize >= nu || v.item[r] as usize >= ni || !v.rating[r].is_finite()
        }) {
            return Err(LfgError::Data(format!(
                "valid rating #{r} is out of range or not finite"
            )));
        }
    } else if cfg.patience.is_some() {
        return Err(LfgError::param(
            "patience",
            "early stopping needs validation ratings (LfgTrainData::valid)",
        ));
    }
    match data.item_init {
        ItemInit::Factors { data: d, k } => {
            if k != cfg.k {
                return Err(LfgError::param(
                    "k",
                    format!("{} differs from the upstream factors' width {k}", cfg.k),
                ));
            }
            if d.len() != ni * k {
                return Err(LfgError::Data(format!(
                    "upstream item factors: {} values, expected n_items * k = {ni} * {k}",
                    d.len()
                )));
            }
            if d.iter().any(|x| !x.is_finite()) {
                return Err(LfgError::Data(
                    "upstream item factors contain a non-finite value".into(),
                ));
            }
            Ok(k)
        }
        ItemInit::Random => Ok(cfg.k),
    }
}

/// Everything one training step needs besides the network.
pub(crate) struct StepCtx<'a> {
    pub cfg: &'a LfgConfig,
    pub k: usize,
    pub mu_global: f32,
    pub device: &'a Device,
    /// Feed the first layer the non-zero entries only (training default) instead of dense rows.
    pub sparse: bool,
}

fn tensor2(v: Vec<f32>, shape: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v, shape), device)
}

/// Mean squared error of `batch` (a scalar tensor, tracked when `device` is autodiff). Takes
/// the batch by value: its buffers become the input tensors without a copy. `first_out`, when
/// given, is the first layer's output (computed by [`HostFirstLayer`]) and the batch's input
/// is not read.
pub(crate) fn batch_loss(
    net: &LfgNet,
    batch: Batch,
    masks: Vec<Option<Vec<f32>>>,
    ctx: &StepCtx<'_>,
    first_out: Option<Tensor<2>>,
) -> Tensor<1> {
    let b = batch.b;
    let n = batch.target.len() / b.max(1);
    let d_in = batch.input.len() / b.max(1);
    let hidden = &ctx.cfg.hidden;
    let nnz = batch.vals.len();
    let x = if let Some(z) = first_out {
        NetInput::FirstLayer(z)
    } else if ctx.sparse {
        NetInput::Sparse {
            b,
            rows: Tensor::from_data(TensorData::new(batch.rows, [nnz]), ctx.device),
            cols: Tensor::from_data(TensorData::new(batch.cols, [nnz]), ctx.device),
            vals: tensor2(batch.vals, [nnz, 1], ctx.device),
        }
    } else {
        NetInput::Dense(tensor2(batch.input, [b, d_in], ctx.device))
    };
    let drop: Vec<Option<Tensor<2>>> = masks
        .into_iter()
        .zip(hidden)
        .map(|(m, &h)| m.map(|m| tensor2(m, [b, h], ctx.device)))
        .collect();
    let out = net.generate(x, ctx.cfg.leaky_slope, &drop);
    let mu = match ctx.cfg.mu {
        MuMode::Global => MuTerm::Scalar(ctx.mu_global),
        MuMode::UserInput => MuTerm::PerUser(tensor2(batch.mu_user, [b, 1], ctx.device)),
    };
    let pred = net.predict(out, ctx.k, mu);
    let target = tensor2(batch.target, [b, n], ctx.device);
    let mask = tensor2(batch.mask, [b, n], ctx.device);
    let sq = ((pred - target) * mask).square();
    // Row sums then a short sum: each reduction is sequential, so the value does not depend
    // on the number of threads.
    sq.sum_dim(1)
        .sum()
        .mul_scalar(1.0 / batch.count.max(1) as f64)
}

/// RMSE (clipped predictions) of `valid` with each user generated from their training row.
pub(crate) fn validation_rmse(
    cfg: &LfgConfig,
    weights: &NetWeights,
    mu_global: f32,
    train: &UserIndex,
    features: &FeatureMatrix,
    valid: &UserIndex,
    scale: lfg_core::RatingScale,
) -> f64 {
    let users: Vec<usize> = (0..valid.n_rows())
        .filter(|&u| valid.row_len(u) > 0)
        .collect();
    let per_user: Vec<(f64, usize)> = users
        .par_iter()
        .map_init(Scratch::default, |scratch, &u| {
            let (items, ratings) = train.row(u);
            let pairs: Vec<(u32, f32)> =
                items.iter().copied().zip(ratings.iter().copied()).collect();
            let (clean, _) = crate::model::sanitize(&pairs, weights.n_items);
            let feats = if features.width > 0 {
                features.row(u)
            } else {
                &[]
            };
            let (g, mu) = generate_raw(cfg, weights, mu_global, &clean, feats, scratch);
            let (vi, vr) = valid.row(u);
            let mut sse = 0f64;
            for (&i, &r) in vi.iter().zip(vr) {
                let p = scale.clip(weights.score(&g, i as usize) + mu);
                sse += f64::from(p - r).powi(2);
            }
            (sse, vi.len())
        })
        .collect();
    let (sse, n) = per_user
        .iter()
        .fold((0f64, 0usize), |(s, c), &(a, b)| (s + a, c + b));
    if n == 0 {
        f64::NAN
    } else {
        (sse / n as f64).sqrt()
    }
}

/// Trains an LFG model. Every random choice (initialisation, shuffling, masking, dropout)
/// flows from `seed`; the same seed gives bit-identical weights.
pub fn fit(
    cfg: &LfgConfig,
    data: LfgTrainData<'_>,
    seed: u64,
    obs: &dyn EpochObserver,
) -> Result<LfgModel, LfgError> {
    cfg.check()?;
    let k = check_data(cfg, &data)?;
    let train = data.train;
    let features = data.features;
    let n_users = train.n_users as usize;
    let n_items = train.n_items as usize;
    let idx = train.by_user();
    let users: Vec<u32> = (0..n_users as u32)
        .filter(|&u| idx.row_len(u as usize) > 0)
        .collect();
    if users.len() < 2 {
        return Err(LfgError::Data(format!(
            "{} user(s) with training ratings; BatchNorm needs at least 2",
            users.len()
        )));
    }
    let mu_global = train.mean() as f32;

    let mut init_rng = Rng::new(derive_seed(seed, &[0]));
    let start = match data.item_init {
        ItemInit::Factors { data, .. } => ItemStart::Factors(data),
        ItemInit::Random => ItemStart::Random(cfg.random_init_std),
    };
    let initial = NetWeights::init(
        features.width,
        n_items,
        &cfg.hidden,
        k,
        cfg.leaky_slope,
        cfg.batchnorm_epsilon,
        start,
        &mut init_rng,
    );
    let device = cfg.device.device()?.autodiff();
    let mut net = LfgNet::from_weights(&initial, cfg.batchnorm_momentum, cfg.freeze_items, &device);
    // CPU backends: the first layer runs on the host over the non-zero inputs (`first.rs`).
    let host = cfg.device.is_host();
    let mut host_first = host.then(|| HostFirstLayer::new(initial.layers[0].clone()));
    let first_ids = (
        net.layers[0].weight.id,
        net.layers[0].bias.as_ref().map(|b| b.id),
    );
    let h0 = initial.layers[0].d_out;
    let mut optim = Optim::new(
        AdamParams {
            beta1: cfg.beta1 as f32,
            beta2: cfg.beta2 as f32,
            epsilon: cfg.epsilon as f32,
        },
        host,
    );
    let spec = BatchSpec {
        n_items,
        mask_rate: cfg.mask_rate,
        mask_rate_max: cfg.mask_rate_max,
        loss: cfg.loss,
        mu: cfg.mu,
        mu_global,
    };
    let ctx = StepCtx {
        cfg,
        k,
        mu_global,
        device: &device,
        sparse: true,
    };
    let valid_idx = data.valid.map(Triplets::by_user);
    tracing::info!(
        n_users,
        n_items,
        train = train.len(),
        params = net.num_params(),
        device = cfg.device.name(),
        "lfg-model: training"
    );

    let mut best: Option<(f64, usize, NetWeights)> = None;
    let mut last = initial.clone();
    let mut bad_epochs = 0usize;
    let mut epochs_run = 0usize;
    for epoch in 1..=cfg.epochs {
        let t0 = Instant::now();
        let mut rng = Rng::new(derive_seed(seed, &[1, epoch as u64]));
        let mut order = users.clone();
        rng.shuffle(&mut order);
        let (mut sse, mut count) = (0f64, 0usize);
        let (mut masked, mut observed) = (0usize, 0usize);
        for chunk in order.chunks(cfg.batch_size) {
            if chunk.len() < 2 {
                continue; // BatchNorm cannot normalise a single user
            }
            let mut batch = build_batch(chunk, &idx, features, &spec, Some(&mut rng));
            if batch.count == 0 {
                continue;
            }
            let masks = dropout_masks(batch.b, &cfg.hidden, cfg.dropout, &mut rng);
            let batch_count = batch.count;
            masked += batch.masked;
            observed += batch.observed;
            count += batch_count;
            let b = batch.b;
            let sparse = host_first.as_ref().map(|_| {
                (
                    std::mem::take(&mut batch.rows),
                    std::mem::take(&mut batch.cols),
                    std::mem::take(&mut batch.vals),
                )
            });
            let z = match (&host_first, &sparse) {
                (Some(first), Some((rows, cols, vals))) => {
                    let x = SparseRows {
                        b,
                        rows,
                        cols,
                        vals,
                    };
                    Some(tensor2(first.forward(&x), [b, h0], &device).require_grad())
                }
                _ => None,
            };
            let loss = batch_loss(&net, batch, masks, &ctx, z.clone());
            let value = loss.clone().into_scalar::<f32>() as f64;
            sse += value * batch_count as f64;
            let grads = loss.backward();
            if let (Some(first), Some((rows, cols, vals)), Some(z)) =
                (host_first.as_mut(), &sparse, &z)
            {
                let dz = z
                    .grad(&grads)
                    .ok_or_else(|| LfgError::Data("no gradient reached the first layer".into()))?
                    .into_data()
                    .try_into_vec::<f32>()
                    .map_err(|e| LfgError::Data(format!("first-layer gradient: {e:?}")))?;
                let x = SparseRows {
                    b,
                    rows,
                    cols,
                    vals,
                };
                first.backward(&x, &dz);
                let HostFirstLayer {
                    layer,
                    grad_w,
                    grad_b,
                } = first;
                optim.step_slice(
                    first_ids.0,
                    cfg.learning_rate,
                    &mut layer.w,
                    grad_w,
                    cfg.weight_decay as f32,
                );
                if let Some(id) = first_ids.1 {
                    optim.step_slice(id, cfg.learning_rate, &mut layer.b, grad_b, 0.0);
                }
            }
            let grads = GradientsParams::from_grads(grads, &net);
            net = optim.step(
                cfg.learning_rate,
                net,
                grads,
                cfg.weight_decay,
                cfg.item_weight_decay,
            );
        }
        let train_loss = if count > 0 { sse / count as f64 } else { 0.0 };
        if !train_loss.is_finite() {
            return Err(LfgError::Diverged {
                epoch,
                loss: train_loss,
            });
        }
        let mut now = net.to_weights(&initial).map_err(LfgError::Data)?;
        if let Some(first) = &host_first {
            now.layers[0] = first.layer.clone();
        }
        let valid_rmse = valid_idx
            .as_ref()
            .map(|v| validation_rmse(cfg, &now, mu_global, &idx, features, v, train.scale));
        epochs_run = epoch;
        let report = EpochReport {
            epoch,
            train_loss,
            valid_rmse,
            seconds: t0.elapsed().as_secs_f64(),
        };
        tracing::debug!(
            epoch,
            train_loss,
            ?valid_rmse,
            seconds = report.seconds,
            mask_fraction = masked as f64 / observed.max(1) as f64,
            "lfg-model: epoch"
        );
        obs.on_epoch(&report);
        let mut stop = false;
        if let Some(r) = valid_rmse {
            if best.as_ref().is_none_or(|b| r < b.0) {
                best = Some((r, epoch, now.clone()));
                bad_epochs = 0;
            } else {
                bad_epochs += 1;
                stop = cfg.patience.is_some_and(|p| bad_epochs >= p);
            }
        }
        last = now;
        if stop {
            tracing::info!(epoch, "lfg-model: early stop");
            break;
        }
    }
    let (weights, best_epoch) = match best {
        Some((_, e, w)) if cfg.restore_best => (w, e),
        _ => (last, epochs_run),
    };
    let meta = ModelMeta {
        n_users,
        n_items,
        feature_width: features.width,
        k,
        mu_global,
        scale: train.scale,
        epochs_run,
        best_epoch,
    };
    Ok(LfgModel::assemble(
        cfg.clone(),
        weights,
        meta,
        &idx,
        features,
    ))
}
