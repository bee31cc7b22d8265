//! Adam with each parameter's update fused into one pass over its data, in place.
//!
//! burn-optim's `Adam` runs about a dozen tensor operations per parameter and step, each
//! allocating a parameter-sized temporary (the first layer alone has `n_items x hidden[0]`
//! weights). On the CPU backends this pass does the same arithmetic, in the same order and in
//! `f32`, element by element over the parameter, gradient and moment buffers: the trained
//! weights are bit-identical to burn-optim's (see `fused_adam_matches_burn_adam` in the tests).
//! Weight decay (`g + decay * w`, added to the gradient before the moments) is fused in too.
//!
//! On an accelerator the host round trip would cost more than it saves, so [`Optim`] keeps
//! burn-optim's `Adam` there.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Tensor, TensorData};
use rayon::prelude::*;

use crate::net::LfgNet;

/// Elements per parallel chunk of the fused update (the update of one element depends on that
/// element only, so the chunking does not change any value).
const CHUNK: usize = 1 << 14;

/// Adam hyperparameters (burn-optim's names and arithmetic).
#[derive(Clone, Copy, Debug)]
pub(crate) struct AdamParams {
    pub beta1: f32,
    pub beta2: f32,
    pub epsilon: f32,
}

/// The optimizer of a training run.
pub(crate) enum Optim {
    /// Fused, in place (CPU backends).
    Fused(FusedAdam),
    /// burn-optim's `Adam` (accelerators); weight decay is added to the gradients first.
    Burn(ModuleOptimizer),
}

/// First and second moments of one parameter.
struct Moments {
    time: i32,
    m: Vec<f32>,
    v: Vec<f32>,
}

/// Adam over plain `f32` buffers.
pub(crate) struct FusedAdam {
    params: AdamParams,
    moments: HashMap<ParamId, Moments>,
}

impl FusedAdam {
    pub fn new(params: AdamParams) -> Self {
        Self {
            params,
            moments: HashMap::new(),
        }
    }

    /// One Adam step over every parameter of `module` that has a gradient in `grads`;
    /// `decay(id)` is the weight decay of a parameter (0 for none).
    pub fn step<M: Module>(
        &mut self,
        lr: f64,
        module: M,
        grads: GradientsParams,
        decay: &dyn Fn(ParamId) -> f32,
    ) -> M {
        let mut mapper = FusedMapper {
            adam: self,
            lr,
            grads,
            decay,
        };
        module.map(&mut mapper)
    }
}

impl FusedAdam {
    /// One Adam step over a parameter held outside the module (`key` names its moments).
    pub fn step_slice(&mut self, key: ParamId, lr: f64, w: &mut [f32], g: &[f32], decay: f32) {
        let n = w.len();
        let st = self.moments.entry(key).or_insert_with(|| Moments {
            time: 0,
            m: vec![0.0; n],
            v: vec![0.0; n],
        });
        st.time += 1;
        update(&self.params, st, w, g, decay, lr as f32);
    }
}

struct FusedMapper<'a> {
    adam: &'a mut FusedAdam,
    lr: f64,
    grads: GradientsParams,
    decay: &'a dyn Fn(ParamId) -> f32,
}

impl ModuleMapper for FusedMapper<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let require_grad = tensor.is_require_grad();
        let inner = tensor.inner();
        let device = inner.device();
        // Zero-copy on Flex when the parameter is not shared (the usual case after backward).
        let mut data: TensorData = inner.into_data();
        let grad: TensorData = grad.into_data();
        let updated = match (data.as_mut_slice::<f32>(), grad.as_slice::<f32>()) {
            (Ok(w), Ok(g)) if w.len() == g.len() => {
                self.adam.step_slice(id, self.lr, w, g, (self.decay)(id));
                true
            }
            _ => false,
        };
        let mut out = Tensor::from_inner(Tensor::<D>::from_data(data, &device));
        if !updated {
            // Not f32 (never the case for this network): leave the parameter as it is.
            tracing::warn!(?id, "lfg-model: fused Adam skipped a non-f32 parameter");
        }
        if require_grad {
            out = out.require_grad();
        }
        Param::from_mapped_value(id, out, mapper)
    }
}

/// The fused update of one parameter: burn-optim's `Adam::step` (and `AdaptiveMomentum`)
/// element by element, with `g + decay * w` first when `decay > 0`.
fn update(p: &AdamParams, st: &mut Moments, w: &mut [f32], g: &[f32], decay: f32, lr: f32) {
    let (b1, b2) = (p.beta1, p.beta2);
    let bc2_sqrt = (1.0 - b2.powi(st.time)).sqrt();
    let k = Coefs {
        b1,
        b2,
        f1: 1.0 - b1,
        f2: 1.0 - b2,
        combined: bc2_sqrt / (1.0 - b1.powi(st.time)),
        eps: p.epsilon * bc2_sqrt,
        decay,
        lr,
    };
    let kernel = match (st.time == 1, decay > 0.0) {
        (true, true) => kernel::<true, true>,
        (true, false) => kernel::<true, false>,
        (false, true) => kernel::<false, true>,
        (false, false) => kernel::<false, false>,
    };
    w.par_chunks_mut(CHUNK)
        .zip(g.par_chunks(CHUNK))
        .zip(st.m.par_chunks_mut(CHUNK))
        .zip(st.v.par_chunks_mut(CHUNK))
        .for_each(|(((w, g), m), v)| kernel(&k, w, g, m, v));
}

/// Scalar coefficients of one Adam step.
#[derive(Clone, Copy)]
struct Coefs {
    b1: f32,
    b2: f32,
    f1: f32,
    f2: f32,
    combined: f32,
    eps: f32,
    decay: f32,
    lr: f32,
}

/// The update of one chunk; `FIRST`: the first step (moments start from the gradient alone),
/// `DECAY`: add `decay * w` to the gradient. Branch-free inner loop (vectorised).
#[inline(never)]
fn kernel<const FIRST: bool, const DECAY: bool>(
    k: &Coefs,
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    let Coefs {
        b1,
        b2,
        f1,
        f2,
        combined,
        eps,
        decay,
        lr,
    } = *k;
    let n = w.len().min(g.len()).min(m.len()).min(v.len());
    let (w, g, m, v) = (&mut w[..n], &g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let wi = w[i];
        let gi = if DECAY { g[i] + wi * decay } else { g[i] };
        let (mi, vi) = if FIRST {
            (gi * f1, (gi * gi) * f2)
        } else {
            (m[i] * b1 + gi * f1, v[i] * b2 + (gi * gi) * f2)
        };
        m[i] = mi;
        v[i] = vi;
        w[i] = wi - ((mi * combined) / (vi.sqrt() + eps)) * lr;
    }
}

impl Optim {
    /// The optimizer: fused (`fused`, CPU backends) or burn-optim's `Adam`.
    pub fn new(params: AdamParams, fused: bool) -> Self {
        if fused {
            Self::Fused(FusedAdam::new(params))
        } else {
            Self::Burn(
                AdamConfig::new()
                    .with_beta_1(params.beta1)
                    .with_beta_2(params.beta2)
                    .with_epsilon(params.epsilon)
                    .init(),
            )
        }
    }

    /// One step over a parameter held outside the module (fused optimizer only; the
    /// accelerator path keeps every parameter in the module).
    pub fn step_slice(&mut self, key: ParamId, lr: f64, w: &mut [f32], g: &[f32], decay: f32) {
        match self {
            Self::Fused(adam) => adam.step_slice(key, lr, w, g, decay),
            Self::Burn(_) => tracing::warn!("lfg-model: host parameter with the burn optimizer"),
        }
    }

    /// One step over `net`: `weight_decay` on the Linear weights, `item_decay` on `M` and
    /// `bi_T` (both added to the gradient as `decay * w`).
    pub fn step(
        &mut self,
        lr: f64,
        net: LfgNet,
        mut grads: GradientsParams,
        weight_decay: f64,
        item_decay: f64,
    ) -> LfgNet {
        match self {
            Self::Fused(adam) => {
                let layer_ids: Vec<ParamId> = net.layers.iter().map(|l| l.weight.id).collect();
                let item_ids = [net.items.id, net.item_bias.id];
                let decay = |id: ParamId| {
                    if layer_ids.contains(&id) {
                        weight_decay as f32
                    } else if item_ids.contains(&id) {
                        item_decay as f32
                    } else {
                        0.0
                    }
                };
                adam.step(lr, net, grads, &decay)
            }
            Self::Burn(optim) => {
                add_weight_decay(&net, &mut grads, weight_decay, item_decay);
                optim.step(lr, net, grads)
            }
        }
    }
}

/// Adds `decay * w` to the gradient of every Linear weight (and of `M`, `bi_T` with the item
/// decay), as tensor operations.
fn add_weight_decay(net: &LfgNet, grads: &mut GradientsParams, decay: f64, item_decay: f64) {
    if decay > 0.0 {
        for l in &net.layers {
            let id = l.weight.id;
            if let Some(g) = grads.remove::<2>(id) {
                let w = l.weight.val().inner();
                grads.register(id, g + w.mul_scalar(decay));
            }
        }
    }
    if item_decay > 0.0 {
        let id = net.items.id;
        if let Some(g) = grads.remove::<2>(id) {
            grads.register(id, g + net.items.val().inner().mul_scalar(item_decay));
        }
        let id = net.item_bias.id;
        if let Some(g) = grads.remove::<1>(id) {
            grads.register(id, g + net.item_bias.val().inner().mul_scalar(item_decay));
        }
    }
}
