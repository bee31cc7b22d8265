//! The trained model: generation for any user, prediction, ranking, save/load.

use std::path::Path;

use lfg_core::{FeatureMatrix, NewUserPredictor, Predictor, RatingScale, UserIndex};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::LfgError;
use crate::config::{LfgConfig, MuMode};
use crate::net::LfgNet;
use crate::weights::{NetWeights, Scratch};

/// A trained LFG model.
///
/// Known (training) users are served from a table of factors generated from their training
/// rows when training finished; any other user is generated on demand from revealed ratings
/// and features, with BatchNorm in inference mode (running statistics), so a user's factors
/// never depend on other users.
#[derive(Clone, Debug)]
pub struct LfgModel {
    pub(crate) cfg: LfgConfig,
    pub(crate) weights: NetWeights,
    pub(crate) meta: ModelMeta,
    /// `n_users x (k + 1)`: generated factors then bias of each user.
    pub(crate) user_table: Vec<f32>,
    /// `mu` of each user.
    pub(crate) user_mu: Vec<f32>,
    /// Whether each user had training ratings.
    pub(crate) known: Vec<bool>,
}

/// One user as inference input: `(revealed (item, rating) pairs, feature row)`.
pub type UserInput<'a> = (&'a [(u32, f32)], &'a [f32]);

/// Scalars saved next to the configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ModelMeta {
    pub n_users: usize,
    pub n_items: usize,
    pub feature_width: usize,
    pub k: usize,
    pub mu_global: f32,
    pub scale: RatingScale,
    pub epochs_run: usize,
    pub best_epoch: usize,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SavedModel {
    format: String,
    config: LfgConfig,
    meta: ModelMeta,
}

const FORMAT: &str = "lfg-model/1";
const CONFIG_FILE: &str = "config.json";
const NET_FILE: &str = "net.bpk";
const USERS_FILE: &str = "users.bin";
const USERS_MAGIC: &[u8; 8] = b"LFGUSER1";

/// Cleans revealed ratings: drops items outside `0..n_items` and non-finite ratings, keeps the
/// last of repeated items, sorts by item.
pub(crate) fn sanitize(revealed: &[(u32, f32)], n_items: usize) -> (Vec<(u32, f32)>, usize) {
    let mut v: Vec<(u32, f32)> = revealed
        .iter()
        .copied()
        .filter(|&(i, r)| (i as usize) < n_items && r.is_finite())
        .collect();
    let dropped = revealed.len() - v.len();
    v.sort_by_key(|&(i, _)| i); // stable: repeated items keep input order
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(v.len());
    for (i, r) in v {
        match out.last_mut() {
            Some(last) if last.0 == i => last.1 = r,
            _ => out.push((i, r)),
        }
    }
    (out, dropped)
}

impl LfgModel {
    /// Builds the model from trained weights, generating the user table from `train`.
    pub(crate) fn assemble(
        cfg: LfgConfig,
        weights: NetWeights,
        meta: ModelMeta,
        train: &UserIndex,
        features: &FeatureMatrix,
    ) -> Self {
        let kk = meta.k + 1;
        let rows: Vec<(Vec<f32>, f32, bool)> = (0..meta.n_users)
            .into_par_iter()
            .map_init(Scratch::default, |scratch, u| {
                let (items, ratings) = train.row(u);
                let pairs: Vec<(u32, f32)> =
                    items.iter().copied().zip(ratings.iter().copied()).collect();
                let (clean, _) = sanitize(&pairs, meta.n_items);
                let feats = if features.width > 0 {
                    features.row(u)
                } else {
                    &[]
                };
                let (out, mu) =
                    generate_raw(&cfg, &weights, meta.mu_global, &clean, feats, scratch);
                (out, mu, !items.is_empty())
            })
            .collect();
        let mut user_table = Vec::with_capacity(meta.n_users * kk);
        let mut user_mu = Vec::with_capacity(meta.n_users);
        let mut known = Vec::with_capacity(meta.n_users);
        for (out, mu, k) in rows {
            user_table.extend_from_slice(&out);
            user_mu.push(mu);
            known.push(k);
        }
        Self {
            cfg,
            weights,
            meta,
            user_table,
            user_mu,
            known,
        }
    }

    /// The configuration the model was trained with.
    pub fn config(&self) -> &LfgConfig {
        &self.cfg
    }

    /// Number of latent factors `k`.
    pub fn k(&self) -> usize {
        self.meta.k
    }

    /// Size of the item index space.
    pub fn n_items(&self) -> usize {
        self.meta.n_items
    }

    /// Size of the user index space of the training data.
    pub fn n_users(&self) -> usize {
        self.meta.n_users
    }

    /// Width of the feature rows the network expects.
    pub fn feature_width(&self) -> usize {
        self.meta.feature_width
    }

    /// The global mean rating `mu` of the training data.
    pub fn global_mean(&self) -> f32 {
        self.meta.mu_global
    }

    /// The rating scale predictions are clipped to.
    pub fn scale(&self) -> RatingScale {
        self.meta.scale
    }

    /// Number of epochs run (early stopping may end training before `epochs`).
    pub fn epochs_run(&self) -> usize {
        self.meta.epochs_run
    }

    /// The epoch whose weights the model holds.
    pub fn best_epoch(&self) -> usize {
        self.meta.best_epoch
    }

    /// The tuned item factors `M`, row-major `k x n_items`.
    pub fn item_factors(&self) -> &[f32] {
        &self.weights.items
    }

    /// The tuned item biases `bi_T`.
    pub fn item_bias(&self) -> &[f32] {
        &self.weights.item_bias
    }

    /// The generated factors and bias of training user `u` (from their training row), or None
    /// when `u` is outside the index space.
    pub fn user_factors(&self, u: u32) -> Option<(&[f32], f32)> {
        let u = u as usize;
        if u >= self.meta.n_users {
            return None;
        }
        let kk = self.meta.k + 1;
        let row = &self.user_table[u * kk..(u + 1) * kk];
        Some((&row[..self.meta.k], row[self.meta.k]))
    }

    fn fit_features<'a>(&self, features: &'a [f32], buf: &'a mut Vec<f32>) -> &'a [f32] {
        let w = self.meta.feature_width;
        if features.len() == w {
            return features;
        }
        tracing::warn!(
            expected = w,
            got = features.len(),
            "lfg-model: feature row has the wrong width; padding with zeros / truncating"
        );
        buf.clear();
        buf.extend(features.iter().copied().take(w));
        buf.resize(w, 0.0);
        buf
    }

    /// Generator output (`k` factors, then bias) and `mu` for any user.
    fn generate_full(&self, revealed: &[(u32, f32)], features: &[f32]) -> (Vec<f32>, f32) {
        let mut buf = Vec::new();
        let feats = self.fit_features(features, &mut buf);
        let (clean, dropped) = sanitize(revealed, self.meta.n_items);
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "lfg-model: ignored revealed ratings with an unknown item or a non-finite value"
            );
        }
        let mut scratch = Scratch::default();
        generate_raw(
            &self.cfg,
            &self.weights,
            self.meta.mu_global,
            &clean,
            feats,
            &mut scratch,
        )
    }

    /// Generates the latent factors `U_G` (length `k`) and the user bias `bu_G` of any user,
    /// existing or new, from their `(item, rating)` pairs and feature row, without retraining.
    ///
    /// Items outside the index space and non-finite ratings are ignored (with a warning);
    /// a repeated item keeps its last rating; a feature row of the wrong width is zero-padded
    /// or truncated (with a warning).
    pub fn generate(&self, revealed: &[(u32, f32)], features: &[f32]) -> (Vec<f32>, f32) {
        let (mut out, _) = self.generate_full(revealed, features);
        let bias = out[self.meta.k];
        out.truncate(self.meta.k);
        (out, bias)
    }

    /// Unclipped predicted ratings of every item for a user described by `revealed` and
    /// `features`.
    pub fn score_all(&self, revealed: &[(u32, f32)], features: &[f32]) -> Vec<f32> {
        let (out, mu) = self.generate_full(revealed, features);
        let mut scores = Vec::with_capacity(self.meta.n_items);
        self.weights.score_all(&out, &mut scores);
        for s in &mut scores {
            *s += mu;
        }
        scores
    }

    /// The `top_n` items with the highest predicted rating for a user described by `revealed`
    /// and `features`, excluding the revealed items, best first (ties: lower item index first).
    /// Scores are unclipped predicted ratings so that items above the scale keep their order.
    pub fn recommend(
        &self,
        revealed: &[(u32, f32)],
        features: &[f32],
        top_n: usize,
    ) -> Vec<(u32, f32)> {
        let scores = self.score_all(revealed, features);
        let mut seen = vec![false; self.meta.n_items];
        for &(i, _) in revealed {
            if let Some(s) = seen.get_mut(i as usize) {
                *s = true;
            }
        }
        let mut cand: Vec<(u32, f32)> = scores
            .iter()
            .enumerate()
            .filter(|&(i, s)| !seen[i] && s.is_finite())
            .map(|(i, &s)| (i as u32, s))
            .collect();
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if top_n == 0 {
            return Vec::new();
        }
        if cand.len() > top_n {
            cand.select_nth_unstable_by(top_n - 1, order);
            cand.truncate(top_n);
        }
        cand.sort_unstable_by(order);
        cand
    }

    /// Generates many users at once (in parallel; each user's result is independent of the
    /// others). Each input is `(revealed, features)`; each output is `(factors, bias)`.
    pub fn generate_many(&self, users: &[UserInput<'_>]) -> Vec<(Vec<f32>, f32)> {
        users
            .par_iter()
            .map(|&(r, f)| self.generate(r, f))
            .collect()
    }

    /// Saves the model into directory `dir` (created if needed): `config.json` (configuration
    /// and sizes), `net.bpk` (burn record of the network, burnpack format) and `users.bin`
    /// (the generated training-user table, little-endian f32).
    pub fn save(&self, dir: &Path) -> Result<(), LfgError> {
        std::fs::create_dir_all(dir).map_err(|e| LfgError::io(dir, e))?;
        let saved = SavedModel {
            format: FORMAT.into(),
            config: self.cfg.clone(),
            meta: self.meta.clone(),
        };
        let path = dir.join(CONFIG_FILE);
        let json = serde_json::to_string_pretty(&saved)
            .map_err(|e| LfgError::format(&path, e.to_string()))?;
        std::fs::write(&path, json).map_err(|e| LfgError::io(&path, e))?;

        let path = dir.join(NET_FILE);
        let net = LfgNet::from_weights(
            &self.weights,
            self.cfg.batchnorm_momentum,
            false,
            &burn::tensor::Device::flex(),
        );
        burn::module::Module::into_record(net)
            .save(&path)
            .map_err(|e| LfgError::format(&path, e.to_string()))?;

        let path = dir.join(USERS_FILE);
        let n = self.meta.n_users;
        let mut bytes = Vec::with_capacity(24 + 4 * (self.user_table.len() + n) + n);
        bytes.extend_from_slice(USERS_MAGIC);
        bytes.extend_from_slice(&(n as u64).to_le_bytes());
        bytes.extend_from_slice(&((self.meta.k + 1) as u64).to_le_bytes());
        for x in self.user_table.iter().chain(&self.user_mu) {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        bytes.extend(self.known.iter().map(|&k| u8::from(k)));
        std::fs::write(&path, bytes).map_err(|e| LfgError::io(&path, e))
    }

    /// Loads a model saved by [`LfgModel::save`]; predictions are bit-identical.
    pub fn load(dir: &Path) -> Result<Self, LfgError> {
        let path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| LfgError::io(&path, e))?;
        let saved: SavedModel =
            serde_json::from_str(&text).map_err(|e| LfgError::format(&path, e.to_string()))?;
        if saved.format != FORMAT {
            return Err(LfgError::format(
                &path,
                format!("format `{}` is not `{FORMAT}`", saved.format),
            ));
        }
        let (cfg, meta) = (saved.config, saved.meta);
        cfg.check()
            .map_err(|e| LfgError::format(&path, e.to_string()))?;
        if meta.n_items == 0 || meta.k != cfg.k {
            return Err(LfgError::format(&path, "inconsistent sizes (n-items, k)"));
        }

        let path = dir.join(NET_FILE);
        let like = NetWeights::shaped(
            meta.feature_width,
            meta.n_items,
            &cfg.hidden,
            meta.k,
            cfg.leaky_slope,
            cfg.batchnorm_epsilon,
        );
        let template = LfgNet::from_weights(
            &like,
            cfg.batchnorm_momentum,
            false,
            &burn::tensor::Device::flex(),
        );
        let record = burn::store::ModuleRecord::load(&path)
            .map_err(|e| LfgError::format(&path, e.to_string()))?;
        let net = burn::module::Module::try_load_record(template, record)
            .map_err(|e| LfgError::format(&path, e.to_string()))?;
        let weights = net
            .to_weights(&like)
            .map_err(|e| LfgError::format(&path, e))?;

        let path = dir.join(USERS_FILE);
        let bytes = std::fs::read(&path).map_err(|e| LfgError::io(&path, e))?;
        let n = meta.n_users;
        let kk = meta.k + 1;
        let expect = 24 + 4 * (n * kk + n) + n;
        if bytes.len() != expect || &bytes[..8] != USERS_MAGIC {
            return Err(LfgError::format(
                &path,
                format!(
                    "{} bytes, expected {expect} with magic LFGUSER1",
                    bytes.len()
                ),
            ));
        }
        let u64_at = |o: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[o..o + 8]);
            u64::from_le_bytes(b) as usize
        };
        if u64_at(8) != n || u64_at(16) != kk {
            return Err(LfgError::format(
                &path,
                "user table sizes differ from config.json",
            ));
        }
        let floats: Vec<f32> = bytes[24..24 + 4 * (n * kk + n)]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let user_table = floats[..n * kk].to_vec();
        let user_mu = floats[n * kk..].to_vec();
        let known = bytes[24 + 4 * (n * kk + n)..]
            .iter()
            .map(|&b| b != 0)
            .collect();
        Ok(Self {
            cfg,
            weights,
            meta,
            user_table,
            user_mu,
            known,
        })
    }
}

/// Generator output and `mu` for clean inputs.
pub(crate) fn generate_raw(
    cfg: &LfgConfig,
    weights: &NetWeights,
    mu_global: f32,
    clean: &[(u32, f32)],
    features: &[f32],
    scratch: &mut Scratch,
) -> (Vec<f32>, f32) {
    let mut out = Vec::with_capacity(weights.k + 1);
    weights.generate_into(features, clean, scratch, &mut out);
    let mu = match cfg.mu {
        MuMode::UserInput if !clean.is_empty() => {
            (clean.iter().map(|&(_, r)| f64::from(r)).sum::<f64>() / clean.len() as f64) as f32
        }
        _ => mu_global,
    };
    (out, mu)
}

impl Predictor for LfgModel {
    fn predict(&self, user: u32, item: u32) -> f32 {
        let (u, i) = (user as usize, item as usize);
        let scale = self.meta.scale;
        if u >= self.meta.n_users {
            return scale.clip(self.meta.mu_global);
        }
        let kk = self.meta.k + 1;
        let row = &self.user_table[u * kk..(u + 1) * kk];
        if i >= self.meta.n_items {
            return scale.clip(self.user_mu[u] + row[self.meta.k]);
        }
        scale.clip(self.weights.score(row, i) + self.user_mu[u])
    }

    fn knows_user(&self, user: u32) -> bool {
        self.known.get(user as usize).copied().unwrap_or(false)
    }
}

impl NewUserPredictor for LfgModel {
    fn predict_new_user(
        &self,
        revealed: &[(u32, f32)],
        features: &[f32],
        query_items: &[u32],
        out: &mut [f32],
    ) {
        let (g, mu) = self.generate_full(revealed, features);
        let scale = self.meta.scale;
        for (o, &i) in out.iter_mut().zip(query_items) {
            *o = if (i as usize) < self.meta.n_items {
                scale.clip(self.weights.score(&g, i as usize) + mu)
            } else {
                scale.clip(g[self.meta.k] + mu)
            };
        }
    }
}
