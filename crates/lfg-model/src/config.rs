//! Hyperparameters of the LFG network and its training.

use serde::{Deserialize, Serialize};

use crate::LfgError;

/// Which value of the global offset `mu` enters `H_pred = U_G . M + bu_G + bi_T + mu`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MuMode {
    /// The mean of all training ratings (default).
    #[default]
    Global,
    /// The mean of the ratings the network sees in its input row (after masking); the global
    /// mean when the row is empty. Closest to the paper's wording "the average of input ratings".
    UserInput,
}

/// Which positions the MSE loss runs over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossMode {
    /// Every observed training position `T` (the paper's loss, default).
    #[default]
    Observed,
    /// Only the observed positions that were masked out of the input (denoising objective).
    Masked,
}

/// The burn device training runs on. Inference always runs in plain Rust on the CPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceChoice {
    /// burn's pure-Rust Flex CPU backend (always available; the fastest CPU backend measured,
    /// see `benches/README.md`).
    #[default]
    Flex,
    /// burn's CubeCL CPU backend (cargo feature `cpu`).
    Cpu,
    /// CUDA GPU 0 (cargo feature `cuda`).
    Cuda,
    /// The default wgpu adapter (cargo feature `wgpu`).
    Wgpu,
}

impl DeviceChoice {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Flex => "flex",
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
            Self::Wgpu => "wgpu",
        }
    }

    /// Whether the backend was compiled in.
    pub fn available(self) -> bool {
        match self {
            Self::Flex => true,
            Self::Cpu => cfg!(feature = "cpu"),
            Self::Cuda => cfg!(feature = "cuda"),
            Self::Wgpu => cfg!(feature = "wgpu"),
        }
    }

    /// Whether the backend computes on the host CPU (tensor data in host memory).
    pub(crate) fn is_host(self) -> bool {
        matches!(self, Self::Flex | Self::Cpu)
    }

    /// The plain (non-autodiff) burn device.
    pub fn device(self) -> Result<burn::tensor::Device, LfgError> {
        use burn::tensor::Device;
        match self {
            Self::Flex => Ok(Device::flex()),
            #[cfg(feature = "cpu")]
            Self::Cpu => Ok(Device::cpu()),
            #[cfg(feature = "cuda")]
            Self::Cuda => Ok(Device::cuda(0)),
            #[cfg(feature = "wgpu")]
            Self::Wgpu => Ok(Device::wgpu(Default::default())),
            #[allow(unreachable_patterns)]
            other => Err(LfgError::DeviceUnavailable(other.name())),
        }
    }
}

/// Every option of the LFG model (TOML/JSON, kebab-case). Defaults follow section 3 of the
/// paper where it is specific; the rest are documented choices.
///
/// The generator is `Linear -> LeakyReLU -> BatchNorm -> (Linear -> LeakyReLU)* -> Linear -> Tanh`:
/// `hidden[0]` is the width of the first Linear layer (followed by BatchNorm), each further entry
/// adds a `Linear -> LeakyReLU` block, and the output layer has `k + 1` units (user factors and
/// user bias).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct LfgConfig {
    /// Number of latent factors when the upstream is random (`ItemInit::Random`); with upstream
    /// factors it must equal their width. Default 50 (the paper's truncation `k`).
    pub k: usize,
    /// Hidden layer widths (at least one). Default `[512, 256]` (the paper gives none).
    pub hidden: Vec<usize>,
    /// Probability of masking each observed input rating to 0 during training. Default 0.1.
    pub mask_rate: f64,
    /// When set, each training user's mask rate is drawn anew for every batch, uniformly in
    /// `[mask-rate, mask-rate-max)`, so the generator also learns from nearly empty rows (what a
    /// cold-start user gives it). Default: unset, one fixed rate (the paper's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mask_rate_max: Option<f64>,
    /// Negative slope of the LeakyReLU activations. Default 0.01 (PyTorch's default).
    pub leaky_slope: f64,
    /// Adam learning rate. Default 1e-3.
    pub learning_rate: f64,
    /// Adam beta1. Default 0.9.
    pub beta1: f64,
    /// Adam beta2. Default 0.999.
    pub beta2: f64,
    /// Adam epsilon. Default 1e-8 (PyTorch/Keras convention; burn's own default is 1e-5).
    pub epsilon: f64,
    /// Users per mini-batch. Default 64.
    pub batch_size: usize,
    /// Maximum number of epochs. Default 30.
    pub epochs: usize,
    /// L2 penalty (coupled, as PyTorch Adam's `weight_decay`) on the generator's Linear weights
    /// (not biases, BatchNorm, item factors or item biases). Default 0.
    pub weight_decay: f64,
    /// L2 penalty on the item factors `M` and item biases `bi_T`. Default 0.
    pub item_weight_decay: f64,
    /// Dropout probability after every hidden layer (training only). Default 0.
    pub dropout: f64,
    /// Early stopping: stop after this many epochs without a better validation RMSE (needs a
    /// validation set). Default: none (run all epochs).
    pub patience: Option<usize>,
    /// Keep the epoch with the best validation RMSE rather than the last one (needs a validation
    /// set). Default true.
    pub restore_best: bool,
    /// Keep the upstream item factors `M` fixed. Default false (the paper tunes them).
    pub freeze_items: bool,
    /// Which `mu` enters the prediction. Default `global`.
    pub mu: MuMode,
    /// Which positions the loss covers. Default `observed`.
    pub loss: LossMode,
    /// BatchNorm momentum of the running statistics. Default 0.1 (PyTorch's default).
    pub batchnorm_momentum: f64,
    /// BatchNorm epsilon. Default 1e-5 (PyTorch's default).
    pub batchnorm_epsilon: f64,
    /// Standard deviation of the normal item factors for `ItemInit::Random`. Default 0.1.
    pub random_init_std: f64,
    /// The burn device for training. Default `flex`.
    pub device: DeviceChoice,
}

impl Default for LfgConfig {
    fn default() -> Self {
        Self {
            k: 50,
            hidden: vec![512, 256],
            mask_rate: 0.1,
            mask_rate_max: None,
            leaky_slope: 0.01,
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            batch_size: 64,
            epochs: 30,
            weight_decay: 0.0,
            item_weight_decay: 0.0,
            dropout: 0.0,
            patience: None,
            restore_best: true,
            freeze_items: false,
            mu: MuMode::Global,
            loss: LossMode::Observed,
            batchnorm_momentum: 0.1,
            batchnorm_epsilon: 1e-5,
            random_init_std: 0.1,
            device: DeviceChoice::Flex,
        }
    }
}

/// burn's `Config` trait (JSON save/load); serde attributes stay ours (kebab-case, strict).
impl burn::config::Config for LfgConfig {}

fn finite_in(
    param: &'static str,
    x: f64,
    lo: f64,
    hi: f64,
    lo_open: bool,
    hi_open: bool,
) -> Result<(), LfgError> {
    let ok = x.is_finite()
        && if lo_open { x > lo } else { x >= lo }
        && if hi_open { x < hi } else { x <= hi };
    if ok {
        Ok(())
    } else {
        let (l, r) = (
            if lo_open { "(" } else { "[" },
            if hi_open { ")" } else { "]" },
        );
        Err(LfgError::param(
            param,
            format!("{x} is not in {l}{lo}, {hi}{r}"),
        ))
    }
}

impl LfgConfig {
    /// Validates every option; run before any work.
    pub fn check(&self) -> Result<(), LfgError> {
        if self.k == 0 || self.k > 4096 {
            return Err(LfgError::param(
                "k",
                format!("{} is not in 1..=4096", self.k),
            ));
        }
        if self.hidden.is_empty() {
            return Err(LfgError::param("hidden", "needs at least one hidden layer"));
        }
        if let Some(&w) = self.hidden.iter().find(|&&w| w == 0 || w > 65536) {
            return Err(LfgError::param(
                "hidden",
                format!("layer width {w} is not in 1..=65536"),
            ));
        }
        finite_in("mask-rate", self.mask_rate, 0.0, 1.0, false, true)?;
        if let Some(hi) = self.mask_rate_max {
            finite_in("mask-rate-max", hi, 0.0, 1.0, false, true)?;
            if hi < self.mask_rate {
                return Err(LfgError::param(
                    "mask-rate-max",
                    format!("{hi} is below mask-rate {}", self.mask_rate),
                ));
            }
        }
        finite_in("leaky-slope", self.leaky_slope, 0.0, 1.0, false, false)?;
        finite_in("learning-rate", self.learning_rate, 0.0, 10.0, true, false)?;
        finite_in("beta1", self.beta1, 0.0, 1.0, false, true)?;
        finite_in("beta2", self.beta2, 0.0, 1.0, false, true)?;
        finite_in("epsilon", self.epsilon, 0.0, 1.0, true, false)?;
        if self.batch_size < 2 {
            return Err(LfgError::param(
                "batch-size",
                format!(
                    "{} < 2 (BatchNorm needs two users per batch)",
                    self.batch_size
                ),
            ));
        }
        if self.epochs == 0 {
            return Err(LfgError::param("epochs", "must be at least 1"));
        }
        finite_in(
            "weight-decay",
            self.weight_decay,
            0.0,
            f64::MAX,
            false,
            false,
        )?;
        finite_in(
            "item-weight-decay",
            self.item_weight_decay,
            0.0,
            f64::MAX,
            false,
            false,
        )?;
        finite_in("dropout", self.dropout, 0.0, 1.0, false, true)?;
        if self.patience == Some(0) {
            return Err(LfgError::param("patience", "must be at least 1 when set"));
        }
        if self.loss == LossMode::Masked
            && self.mask_rate == 0.0
            && self.mask_rate_max.is_none_or(|m| m == 0.0)
        {
            return Err(LfgError::param(
                "loss",
                "`masked` needs mask-rate > 0 (nothing would be masked)",
            ));
        }
        finite_in(
            "batchnorm-momentum",
            self.batchnorm_momentum,
            0.0,
            1.0,
            false,
            false,
        )?;
        finite_in(
            "batchnorm-epsilon",
            self.batchnorm_epsilon,
            0.0,
            1.0,
            true,
            false,
        )?;
        finite_in(
            "random-init-std",
            self.random_init_std,
            0.0,
            100.0,
            false,
            false,
        )?;
        if !self.device.available() {
            return Err(LfgError::DeviceUnavailable(self.device.name()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_round_trip_kebab_case() {
        let c = LfgConfig::default();
        c.check().unwrap();
        let j = serde_json::to_string(&c).unwrap();
        assert!(j.contains("\"mask-rate\":0.1") && j.contains("\"freeze-items\":false"));
        let back: LfgConfig = serde_json::from_str(&j).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn unknown_fields_and_bad_values_are_rejected() {
        assert!(serde_json::from_str::<LfgConfig>(r#"{"mask_rate": 0.2}"#).is_err());
        let c: LfgConfig = serde_json::from_str(r#"{"mu": "user-input", "hidden": [8]}"#).unwrap();
        assert_eq!(c.mu, MuMode::UserInput);
        let bad = LfgConfig {
            mask_rate: 1.0,
            ..LfgConfig::default()
        };
        let e = bad.check().unwrap_err().to_string();
        assert!(e.contains("mask-rate"), "{e}");
        let bad = LfgConfig {
            hidden: vec![],
            ..LfgConfig::default()
        };
        assert!(bad.check().unwrap_err().to_string().contains("hidden"));
        let bad = LfgConfig {
            batch_size: 1,
            ..LfgConfig::default()
        };
        assert!(bad.check().is_err());
    }
}
