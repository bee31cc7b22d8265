//! The burn module trained by [`crate::fit`]: generator, item factors `M` and item biases.

use burn::module::{Module, Param, RunningState};
use burn::nn::{BatchNorm, BatchNormConfig, Linear};
use burn::tensor::activation::leaky_relu;
use burn::tensor::{Device, IndexingUpdateOp, Int, Tensor, TensorData};

use crate::weights::{Dense, NetWeights, Norm};

/// `Linear -> LeakyReLU -> BatchNorm -> (Linear -> LeakyReLU)* -> Linear -> Tanh` plus the
/// trainable item factors and item biases.
#[derive(Module, Debug)]
pub(crate) struct LfgNet {
    /// Generator layers, input first.
    pub layers: Vec<Linear>,
    /// BatchNorm after the first LeakyReLU.
    pub norm: BatchNorm,
    /// Item factors `M`, `[k, n_items]`.
    pub items: Param<Tensor<2>>,
    /// Item biases `bi_T`, `[n_items]`.
    pub item_bias: Param<Tensor<1>>,
}

/// A batch of generator inputs.
#[allow(clippy::large_enum_variant)] // one short-lived value per batch
pub(crate) enum NetInput {
    /// Dense rows `[batch, d_in]`.
    Dense(Tensor<2>),
    /// The first layer's output `x W + b`, `[batch, hidden[0]]`, computed outside the network
    /// ([`crate::first::HostFirstLayer`]).
    FirstLayer(Tensor<2>),
    /// The non-zero entries only: the first layer gathers the weight rows of the non-zero
    /// columns and scatter-adds them into their rows (same function as the dense product,
    /// far fewer operations on sparse rating rows).
    Sparse {
        /// Number of rows.
        b: usize,
        /// Row of each entry, `[nnz]`.
        rows: Tensor<1, Int>,
        /// Column of each entry, `[nnz]`.
        cols: Tensor<1, Int>,
        /// Value of each entry, `[nnz, 1]`.
        vals: Tensor<2>,
    },
}

/// The `mu` term of a batch.
#[allow(clippy::large_enum_variant)] // one short-lived value per batch
pub(crate) enum MuTerm {
    /// One value for every user.
    Scalar(f32),
    /// One value per user, `[batch, 1]`.
    PerUser(Tensor<2>),
}

fn p2(v: &[f32], shape: [usize; 2], device: &Device) -> Param<Tensor<2>> {
    Param::from_data(TensorData::new(v.to_vec(), shape), device)
}

fn p1(v: &[f32], device: &Device) -> Param<Tensor<1>> {
    Param::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

fn t1(v: &[f32], device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

fn read(t: Tensor<1>) -> Result<Vec<f32>, String> {
    t.into_data()
        .try_into_vec::<f32>()
        .map_err(|e| format!("{e:?}"))
}

fn read2(t: Tensor<2>) -> Result<Vec<f32>, String> {
    t.into_data()
        .try_into_vec::<f32>()
        .map_err(|e| format!("{e:?}"))
}

impl LfgNet {
    /// Builds the module on `device` from plain weights.
    pub fn from_weights(
        w: &NetWeights,
        bn_momentum: f64,
        freeze_items: bool,
        device: &Device,
    ) -> Self {
        let layers = w
            .layers
            .iter()
            .map(|l| Linear {
                weight: p2(&l.w, [l.d_in, l.d_out], device),
                bias: Some(p1(&l.b, device)),
            })
            .collect();
        let mut norm = BatchNormConfig::new(w.norm.gamma.len())
            .with_epsilon(w.norm.eps)
            .with_momentum(bn_momentum)
            .init(device);
        norm.gamma = p1(&w.norm.gamma, device);
        norm.beta = p1(&w.norm.beta, device);
        norm.running_mean = RunningState::new(t1(&w.norm.mean, device));
        norm.running_var = RunningState::new(t1(&w.norm.var, device));
        let items = p2(&w.items, [w.k, w.n_items], device);
        let items = if freeze_items {
            items.set_require_grad(false)
        } else {
            items
        };
        Self {
            layers,
            norm,
            items,
            item_bias: p1(&w.item_bias, device),
        }
    }

    /// Copies the parameters back into plain weights shaped like `like`.
    pub fn to_weights(&self, like: &NetWeights) -> Result<NetWeights, String> {
        let mut layers = Vec::with_capacity(self.layers.len());
        for (l, shape) in self.layers.iter().zip(&like.layers) {
            let w = read2(l.weight.val())?;
            let b = match &l.bias {
                Some(b) => read(b.val())?,
                None => vec![0.0; shape.d_out],
            };
            if w.len() != shape.d_in * shape.d_out || b.len() != shape.d_out {
                return Err(format!(
                    "layer of shape {}x{} expected, found {} weights and {} biases",
                    shape.d_in,
                    shape.d_out,
                    w.len(),
                    b.len()
                ));
            }
            layers.push(Dense {
                d_in: shape.d_in,
                d_out: shape.d_out,
                w,
                b,
            });
        }
        if layers.len() != like.layers.len() {
            return Err(format!(
                "{} layers expected, found {}",
                like.layers.len(),
                layers.len()
            ));
        }
        let norm = Norm {
            gamma: read(self.norm.gamma.val())?,
            beta: read(self.norm.beta.val())?,
            mean: read(self.norm.running_mean.value_sync())?,
            var: read(self.norm.running_var.value_sync())?,
            eps: self.norm.epsilon,
        };
        let items = read2(self.items.val())?;
        let item_bias = read(self.item_bias.val())?;
        if items.len() != like.k * like.n_items || item_bias.len() != like.n_items {
            return Err("item factors or item biases have the wrong size".into());
        }
        Ok(NetWeights {
            layers,
            norm,
            items,
            item_bias,
            k: like.k,
            n_items: like.n_items,
            feature_width: like.feature_width,
            slope: like.slope,
        })
    }

    /// Generator output `[batch, k + 1]` (factors then bias). `dropout[l]`, when present, is
    /// the (already scaled) keep mask applied after hidden layer `l`.
    pub fn generate(&self, x: NetInput, slope: f64, dropout: &[Option<Tensor<2>>]) -> Tensor<2> {
        let n = self.layers.len();
        let first = &self.layers[0];
        let z = match x {
            NetInput::Dense(x) => first.forward(x),
            NetInput::FirstLayer(z) => z,
            NetInput::Sparse {
                b,
                rows,
                cols,
                vals,
            } => {
                let w = first.weight.val();
                let [_, h] = w.dims();
                let device = vals.device();
                let mut acc = Tensor::<2>::zeros([b, h], &device);
                if vals.dims()[0] > 0 {
                    let contrib = w.select(0, cols) * vals;
                    acc = acc.select_assign(0, rows, contrib, IndexingUpdateOp::Add);
                }
                match &first.bias {
                    Some(bias) => acc + bias.val().unsqueeze_dim::<2>(0),
                    None => acc,
                }
            }
        };
        let drop = |l: usize, h: Tensor<2>| match dropout.get(l) {
            Some(Some(m)) => h * m.clone(),
            _ => h,
        };
        let mut h = leaky_relu(z, slope);
        h = drop(0, self.norm.forward(h));
        for (l, layer) in self.layers.iter().enumerate().take(n - 1).skip(1) {
            h = drop(l, leaky_relu(layer.forward(h), slope));
        }
        self.layers[n - 1].forward(h).tanh()
    }

    /// `H_pred = U_G . M + bu_G + bi_T + mu`, `[batch, n_items]`.
    pub fn predict(&self, out: Tensor<2>, k: usize, mu: MuTerm) -> Tensor<2> {
        let u = out.clone().narrow(1, 0, k);
        let bu = out.narrow(1, k, 1);
        let pred = u.matmul(self.items.val()) + bu + self.item_bias.val().unsqueeze_dim::<2>(0);
        match mu {
            MuTerm::Scalar(m) => pred.add_scalar(m),
            MuTerm::PerUser(t) => pred + t,
        }
    }
}
