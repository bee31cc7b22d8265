//! Model dispatch: hyperparameter tables -> the model crates' typed params, fitting, and
//! prediction through the `lfg-core` traits.

use lfg_baselines::{
    BaselineOnlyParams, BaselineParams, FittedBaseline, FoldInOptions, SvdParams, SvdPpParams,
    TruncatedSvdParams,
};
use lfg_core::{EpochObserver, FeatureMatrix, NewUserPredictor, Predictor, Triplets};
use lfg_model::{ItemInit, LfgConfig, LfgModel, LfgTrainData};
use serde::de::DeserializeOwned;

use crate::spec::{ModelKind, ModelSpec, UpstreamKind, UpstreamSpec};

/// A problem with one model's hyperparameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamProblem {
    /// The key at fault, relative to the model table (`factors`, `upstream.lr`), when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

fn table_into<T: DeserializeOwned>(t: &toml::Table) -> Result<T, toml::de::Error> {
    toml::Value::Table(t.clone()).try_into::<T>()
}

/// Deserializes `params` into `T`; on failure, isolates the offending key by trying each
/// key alone (params structs are `#[serde(default)]`).
fn typed<T: DeserializeOwned>(params: &toml::Table, prefix: &str) -> Result<T, ParamProblem> {
    match table_into::<T>(params) {
        Ok(x) => Ok(x),
        Err(e) => {
            for (k, v) in params {
                let mut one = toml::Table::new();
                one.insert(k.clone(), v.clone());
                if let Err(e1) = table_into::<T>(&one) {
                    return Err(ParamProblem {
                        key: Some(format!("{prefix}{k}")),
                        message: e1.message().trim_end().to_string(),
                    });
                }
            }
            Err(ParamProblem {
                key: None,
                message: e.message().trim_end().to_string(),
            })
        }
    }
}

/// Maps a `check()` error to the key it names (the longest key of `params` quoted in it).
fn checked(
    result: Result<(), String>,
    params: &toml::Table,
    prefix: &str,
) -> Result<(), ParamProblem> {
    result.map_err(|message| {
        let key = params
            .keys()
            .filter(|k| message.contains(&format!("`{k}`")))
            .max_by_key(|k| k.len())
            .map(|k| format!("{prefix}{k}"));
        ParamProblem { key, message }
    })
}

/// The baselines crate's params for a (non-LFG) model kind.
pub fn baseline_params(
    kind: ModelKind,
    params: &toml::Table,
    prefix: &str,
) -> Result<BaselineParams, ParamProblem> {
    let p = match kind {
        ModelKind::GlobalMean => {
            if let Some(k) = params.keys().next() {
                return Err(ParamProblem {
                    key: Some(format!("{prefix}{k}")),
                    message: format!("unknown field `{k}`: global-mean has no hyperparameters"),
                });
            }
            BaselineParams::GlobalMean
        }
        ModelKind::Baseline => {
            BaselineParams::Baseline(typed::<BaselineOnlyParams>(params, prefix)?)
        }
        ModelKind::Svd => BaselineParams::Svd(typed::<SvdParams>(params, prefix)?),
        ModelKind::BiasSvd => BaselineParams::BiasSvd(typed::<SvdParams>(params, prefix)?),
        ModelKind::SvdPp => BaselineParams::SvdPp(typed::<SvdPpParams>(params, prefix)?),
        ModelKind::TruncatedSvd => {
            BaselineParams::TruncatedSvd(typed::<TruncatedSvdParams>(params, prefix)?)
        }
        ModelKind::Lfg => {
            return Err(ParamProblem {
                key: None,
                message: "lfg is not a baseline".into(),
            });
        }
    };
    checked(p.check().map_err(|e| e.to_string()), params, prefix)?;
    Ok(p)
}

/// LFG's config from its hyperparameter table.
pub fn lfg_config(params: &toml::Table) -> Result<LfgConfig, ParamProblem> {
    let c: LfgConfig = typed(params, "")?;
    checked(c.check().map_err(|e| e.to_string()), params, "")?;
    Ok(c)
}

/// The upstream model's params, with its factor count set to LFG's `k`.
pub fn upstream_params(
    up: &UpstreamSpec,
    k: usize,
) -> Result<Option<BaselineParams>, ParamProblem> {
    let Some(kind) = up.model.model() else {
        return Ok(None);
    };
    if up.params.contains_key("factors") {
        return Err(ParamProblem {
            key: Some("upstream.factors".into()),
            message: "the upstream's factor count is LFG's `k`: set `k` instead".into(),
        });
    }
    let mut t = up.params.clone();
    t.insert("factors".into(), toml::Value::Integer(k as i64));
    baseline_params(kind, &t, "upstream.").map(Some)
}

/// A model row's typed, checked parameters.
#[derive(Clone, Debug)]
pub enum ModelParams {
    /// A baseline.
    Baseline(BaselineParams),
    /// LFG with its upstream (`None`: random item factors).
    Lfg {
        /// LFG's config.
        config: Box<LfgConfig>,
        /// The upstream model fitted for the initial item factors.
        upstream: Option<BaselineParams>,
    },
}

/// Builds and checks a model's parameters (no data needed): what `lfg check` runs.
pub fn model_params(m: &ModelSpec) -> Result<ModelParams, ParamProblem> {
    match m.model {
        ModelKind::Lfg => {
            let config = lfg_config(&m.params)?;
            let up = m.upstream.clone().unwrap_or_default();
            let upstream = upstream_params(&up, config.k)?;
            Ok(ModelParams::Lfg {
                config: Box::new(config),
                upstream,
            })
        }
        kind => Ok(ModelParams::Baseline(baseline_params(kind, &m.params, "")?)),
    }
}

/// The hyperparameters of a model row as JSON (what the store records): the model's table,
/// plus `upstream` for LFG.
pub fn hyperparameters_json(m: &ModelSpec) -> serde_json::Value {
    let mut v = serde_json::to_value(&m.params).unwrap_or(serde_json::Value::Null);
    if let (Some(up), serde_json::Value::Object(map)) = (&m.upstream, &mut v) {
        let mut u = serde_json::to_value(&up.params).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(um) = &mut u {
            um.insert("model".into(), up.model.as_str().into());
        }
        map.insert("upstream".into(), u);
    }
    v
}

/// A fitted model of any family.
pub enum Fitted {
    /// A baseline.
    Baseline(Box<FittedBaseline>),
    /// LFG.
    Lfg(Box<LfgModel>),
}

impl Fitted {
    /// Saves the model: LFG into the folder `path`, a baseline as the JSON file
    /// `path.json`. Returns what was written.
    pub fn save(&self, path: &std::path::Path) -> Result<std::path::PathBuf, String> {
        match self {
            Fitted::Baseline(b) => {
                let file = path.with_extension("json");
                b.save(&file).map_err(|e| e.to_string())?;
                Ok(file)
            }
            Fitted::Lfg(m) => {
                m.save(path).map_err(|e| e.to_string())?;
                Ok(path.to_path_buf())
            }
        }
    }

    /// The fitted model as a known-user predictor.
    pub fn predictor(&self) -> &dyn Predictor {
        match self {
            Fitted::Baseline(b) => b.as_ref(),
            Fitted::Lfg(m) => m.as_ref(),
        }
    }
}

/// Training inputs of one fit.
pub struct FitInput<'a> {
    /// Training ratings.
    pub train: &'a Triplets,
    /// Inner validation ratings (LFG early stopping), from training rows only.
    pub valid: Option<&'a Triplets>,
    /// User side features.
    pub features: &'a FeatureMatrix,
}

/// Fits `params` on `input` with `seed`; `obs` receives LFG's (and SGD baselines') epochs.
pub fn fit(
    params: &ModelParams,
    input: &FitInput<'_>,
    seed: u64,
    obs: &dyn EpochObserver,
) -> Result<Fitted, String> {
    match params {
        ModelParams::Baseline(p) => p
            .fit(input.train, seed, obs)
            .map(|b| Fitted::Baseline(Box::new(b)))
            .map_err(|e| e.to_string()),
        ModelParams::Lfg { config, upstream } => {
            let up_seed = lfg_core::derive_seed(seed, &[0x7570]); // "up"
            let up_model = match upstream {
                Some(p) => Some(
                    p.fit(input.train, up_seed, &lfg_core::model::NoObserver)
                        .map_err(|e| format!("upstream {}: {e}", p.name()))?,
                ),
                None => None,
            };
            let item_init = match &up_model {
                Some(m) => {
                    let (data, k) = m
                        .item_factors()
                        .ok_or_else(|| format!("upstream {} has no item factors", m.name()))?;
                    ItemInit::Factors { data, k }
                }
                None => ItemInit::Random,
            };
            let data = LfgTrainData {
                train: input.train,
                features: input.features,
                item_init,
                valid: input.valid,
            };
            lfg_model::fit(config, data, seed, obs)
                .map(|m| Fitted::Lfg(Box::new(m)))
                .map_err(|e| e.to_string())
        }
    }
}

/// A new-user server: how a fitted model answers for a user absent from training.
pub enum NewUserServer<'a> {
    /// The paper's protocol (no look at the revealed ratings).
    NoRetrain(lfg_baselines::NoRetrain<'a>),
    /// Closed-form fold-in.
    FoldIn(lfg_baselines::FoldIn<'a>),
    /// LFG generation.
    Generate(&'a LfgModel),
}

impl NewUserServer<'_> {
    /// Scores `query` items for a new user.
    pub fn serve(&self, revealed: &[(u32, f32)], features: &[f32], query: &[u32], out: &mut [f32]) {
        match self {
            NewUserServer::NoRetrain(a) => a.predict_new_user(revealed, features, query, out),
            NewUserServer::FoldIn(a) => a.predict_new_user(revealed, features, query, out),
            NewUserServer::Generate(m) => m.predict_new_user(revealed, features, query, out),
        }
    }

    /// Whether predictions use the user's revealed ratings (coverage).
    pub fn personalised(&self) -> bool {
        !matches!(self, NewUserServer::NoRetrain(_))
    }
}

/// The new-user server of a fitted model for a strategy (`retrain` is done by the runner).
pub fn new_user_server(
    fitted: &Fitted,
    strategy: crate::spec::Strategy,
) -> Result<NewUserServer<'_>, String> {
    use crate::spec::Strategy;
    match (fitted, strategy) {
        (Fitted::Baseline(b), Strategy::NoRetrain) => Ok(NewUserServer::NoRetrain(b.no_retrain())),
        (Fitted::Baseline(b), Strategy::FoldIn) => {
            Ok(NewUserServer::FoldIn(b.fold_in(FoldInOptions::default())))
        }
        (Fitted::Lfg(m), Strategy::Generate) => Ok(NewUserServer::Generate(m)),
        (_, s) => Err(format!(
            "strategy `{s}` cannot serve new users from this model"
        )),
    }
}

/// The model kind of an upstream, for messages.
pub fn upstream_label(u: &UpstreamSpec) -> &'static str {
    match u.model {
        UpstreamKind::Random => "random",
        other => other.as_str(),
    }
}
