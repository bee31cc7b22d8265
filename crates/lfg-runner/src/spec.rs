//! Experiment specs: the typed form of `experiments/*.toml`.
//!
//! ```toml
//! [experiment]
//! name = "paper-ml100k"
//! description = "..."
//! seed = 42
//! dataset = "ml-100k"                 # "ml-1m", or { csv = "path/ratings.csv" }
//!
//! [[setting]]
//! name = "per-user"
//! protocol = { kind = "per-user", folds = 5 }
//! paper-table = 1
//! metrics = ["rmse", "mae", "per-user-rmse", "ndcg@10"]
//! validation = 0.1                    # inner validation fraction of training ratings
//!
//! [[setting.model]]
//! name = "svd"                        # label (defaults to the model, plus the strategy)
//! model = "svd"                       # global-mean | baseline | svd | bias-svd | svd-pp | truncated-svd | lfg
//! factors = 50                        # hyperparameters inline, checked by the model crate
//!
//! [[setting.model]]
//! model = "lfg"
//! upstream = "truncated-svd"          # or { model = "bias-svd", epochs = 20, ... }
//! [setting.model.sweep]
//! method = "grid"
//! params = { lr = [0.001, 0.003] }
//! ```
//!
//! Parsing is strict: unknown keys, wrong types and impossible values are reported with the
//! file, `line:column` and key path of the culprit ([`crate::error::Diagnostic`]). Paths in
//! `{ csv = ".." }` are relative to the experiment file's folder.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::error::{Diagnostic, SpecError, SpecErrors};
use crate::source::{KeyPath, Source};
use crate::sweep::SweepSpec;

/// Default number of folds of k-fold protocols.
pub const DEFAULT_FOLDS: usize = 5;
/// Default fraction of each new user's ratings revealed to the model.
pub const DEFAULT_REVEAL_FRACTION: f64 = 0.8;
/// Default inner validation fraction (per user, of training ratings).
pub const DEFAULT_VALIDATION: f64 = 0.1;

/// A whole experiment file, validated.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ExperimentSpec {
    /// Experiment name: letters, digits, `-`, `_`, `.`; names the report folder.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Base seed every other seed derives from.
    pub seed: u64,
    /// Default data set of the settings.
    pub dataset: DatasetSpec,
    /// Evaluation settings, in file order.
    pub settings: Vec<SettingSpec>,
    /// The file this spec was read from.
    #[serde(skip)]
    pub file: PathBuf,
    /// The file's text, verbatim (recorded in the store).
    #[serde(skip)]
    pub text: String,
}

/// Which data set a setting evaluates on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DatasetSpec {
    /// MovieLens 100k (`<data-dir>/ml-100k`).
    Ml100k,
    /// MovieLens 1M (`<data-dir>/ml-1m`).
    Ml1m,
    /// A `ratings.csv` with a header `userId,movieId,rating[,timestamp]`, path as written
    /// (relative paths are resolved against the experiment file's folder).
    Csv(PathBuf),
}

impl DatasetSpec {
    /// Short display name: `ml-100k`, `ml-1m` or the csv path.
    pub fn label(&self) -> String {
        match self {
            DatasetSpec::Ml100k => "ml-100k".into(),
            DatasetSpec::Ml1m => "ml-1m".into(),
            DatasetSpec::Csv(p) => p.display().to_string(),
        }
    }
}

impl fmt::Display for DatasetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl Serialize for DatasetSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DatasetSpec::Ml100k => s.serialize_str("ml-100k"),
            DatasetSpec::Ml1m => s.serialize_str("ml-1m"),
            DatasetSpec::Csv(p) => {
                let mut m = BTreeMap::new();
                m.insert("csv", p.display().to_string());
                m.serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for DatasetSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DatasetSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"ml-100k\", \"ml-1m\" or { csv = \"path/ratings.csv\" }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DatasetSpec, E> {
                match v {
                    "ml-100k" => Ok(DatasetSpec::Ml100k),
                    "ml-1m" => Ok(DatasetSpec::Ml1m),
                    other => Err(E::custom(format!(
                        "unknown dataset `{other}`, expected \"ml-100k\", \"ml-1m\" or {{ csv = \"path\" }}"
                    ))),
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<DatasetSpec, A::Error> {
                let mut csv: Option<PathBuf> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "csv" => csv = Some(map.next_value()?),
                        other => {
                            return Err(serde::de::Error::unknown_field(other, &["csv"]));
                        }
                    }
                }
                csv.map(DatasetSpec::Csv)
                    .ok_or_else(|| serde::de::Error::missing_field("csv"))
            }
        }
        d.deserialize_any(V)
    }
}

/// One evaluation setting: a data set, a protocol and the models compared under it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SettingSpec {
    /// Unique name within the experiment.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Data set (the experiment's unless overridden).
    pub dataset: DatasetSpec,
    /// Base seed of this setting (the experiment's unless overridden).
    pub seed: u64,
    /// How ratings are split into folds.
    pub protocol: Protocol,
    /// The paper table (1..=4) this setting reproduces, if any.
    pub paper_table: Option<u8>,
    /// Metrics computed on every test fold.
    pub metrics: Vec<Metric>,
    /// Fraction of each user's training ratings held out as the inner validation split
    /// (sweeps and early stopping); never test ratings.
    pub validation: f64,
    /// The models compared.
    pub models: Vec<ModelSpec>,
}

/// How ratings are split into folds.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Protocol {
    /// Every user's ratings cut into `folds` parts; fold f tests part f of every user.
    PerUser {
        /// Number of folds.
        folds: usize,
    },
    /// Users cut into `folds` groups; fold f's users are new, absent from training, and
    /// evaluated on their hidden ratings given the revealed ones.
    NewUser {
        /// Number of folds.
        folds: usize,
        /// What each new user reveals.
        reveal: Reveal,
    },
    /// Random k-fold over all ratings.
    Random {
        /// Number of folds.
        folds: usize,
    },
    /// The official ML-100k `u1..u5` base/test files.
    Predefined,
}

impl Protocol {
    /// `per-user`, `new-user`, `random` or `predefined`.
    pub fn kind(&self) -> &'static str {
        match self {
            Protocol::PerUser { .. } => "per-user",
            Protocol::NewUser { .. } => "new-user",
            Protocol::Random { .. } => "random",
            Protocol::Predefined => "predefined",
        }
    }

    /// Whether models serve users absent from training.
    pub fn is_new_user(&self) -> bool {
        matches!(self, Protocol::NewUser { .. })
    }

    /// Number of folds (5 for `predefined`).
    pub fn folds(&self) -> usize {
        match self {
            Protocol::PerUser { folds }
            | Protocol::NewUser { folds, .. }
            | Protocol::Random { folds } => *folds,
            Protocol::Predefined => 5,
        }
    }
}

/// What each new user reveals to the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub enum Reveal {
    /// A fraction of each new user's ratings (the rest is evaluated).
    Fraction(f64),
    /// A fixed number of ratings.
    Count(usize),
    /// One evaluation per count (a cold-start curve); expanded by the runner into one
    /// sub-setting per count.
    Counts(Vec<usize>),
}

/// A metric computed on each test fold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Root mean squared error over all test ratings.
    Rmse,
    /// Mean absolute error.
    Mae,
    /// Mean over users of each user's RMSE.
    PerUserRmse,
    /// Fraction of test pairs whose user the model knows (not a fallback prediction).
    Coverage,
    /// Precision at k (relevant: test rating >= 4).
    Precision(usize),
    /// Recall at k.
    Recall(usize),
    /// Normalised discounted cumulative gain at k.
    Ndcg(usize),
    /// Mean average precision at k.
    Map(usize),
    /// Fraction of users with a relevant item in their top k.
    HitRate(usize),
    /// Distinct items over all top-k lists / number of items.
    CatalogueCoverage(usize),
}

impl Metric {
    /// The metrics computed when a setting lists none.
    pub fn defaults() -> Vec<Metric> {
        vec![
            Metric::Rmse,
            Metric::Mae,
            Metric::PerUserRmse,
            Metric::Precision(10),
            Metric::Recall(10),
            Metric::Ndcg(10),
        ]
    }

    /// Whether smaller values are better.
    pub fn lower_is_better(&self) -> bool {
        matches!(self, Metric::Rmse | Metric::Mae | Metric::PerUserRmse)
    }

    /// The list length of a ranking metric.
    pub fn ranking_k(&self) -> Option<usize> {
        match self {
            Metric::Precision(k)
            | Metric::Recall(k)
            | Metric::Ndcg(k)
            | Metric::Map(k)
            | Metric::HitRate(k)
            | Metric::CatalogueCoverage(k) => Some(*k),
            _ => None,
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Rmse => f.write_str("rmse"),
            Metric::Mae => f.write_str("mae"),
            Metric::PerUserRmse => f.write_str("per-user-rmse"),
            Metric::Coverage => f.write_str("coverage"),
            Metric::Precision(k) => write!(f, "precision@{k}"),
            Metric::Recall(k) => write!(f, "recall@{k}"),
            Metric::Ndcg(k) => write!(f, "ndcg@{k}"),
            Metric::Map(k) => write!(f, "map@{k}"),
            Metric::HitRate(k) => write!(f, "hit-rate@{k}"),
            Metric::CatalogueCoverage(k) => write!(f, "catalogue-coverage@{k}"),
        }
    }
}

impl FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        const KNOWN: &str = "rmse, mae, per-user-rmse, coverage, precision@K, recall@K, ndcg@K, map@K, hit-rate@K, catalogue-coverage@K";
        match s {
            "rmse" => return Ok(Metric::Rmse),
            "mae" => return Ok(Metric::Mae),
            "per-user-rmse" => return Ok(Metric::PerUserRmse),
            "coverage" => return Ok(Metric::Coverage),
            _ => {}
        }
        let Some((name, k)) = s.split_once('@') else {
            return Err(format!("unknown metric `{s}`, expected one of {KNOWN}"));
        };
        let k: usize = k
            .parse()
            .ok()
            .filter(|&k| k > 0)
            .ok_or_else(|| format!("metric `{s}`: K must be a positive integer"))?;
        match name {
            "precision" => Ok(Metric::Precision(k)),
            "recall" => Ok(Metric::Recall(k)),
            "ndcg" => Ok(Metric::Ndcg(k)),
            "map" => Ok(Metric::Map(k)),
            "hit-rate" => Ok(Metric::HitRate(k)),
            "catalogue-coverage" => Ok(Metric::CatalogueCoverage(k)),
            _ => Err(format!("unknown metric `{s}`, expected one of {KNOWN}")),
        }
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The model families `lfg` can evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// The training mean.
    GlobalMean,
    /// `mu + b_u + b_i`.
    Baseline,
    /// FunkSVD `p_u . q_i`.
    Svd,
    /// `mu + b_u + b_i + p_u . q_i`.
    BiasSvd,
    /// SVD++.
    SvdPp,
    /// Truncated SVD of the centred rating matrix.
    TruncatedSvd,
    /// The Latent Factor Generator.
    Lfg,
}

impl ModelKind {
    /// The kebab-case name used in experiment files.
    pub fn as_str(&self) -> &'static str {
        match self {
            ModelKind::GlobalMean => "global-mean",
            ModelKind::Baseline => "baseline",
            ModelKind::Svd => "svd",
            ModelKind::BiasSvd => "bias-svd",
            ModelKind::SvdPp => "svd-pp",
            ModelKind::TruncatedSvd => "truncated-svd",
            ModelKind::Lfg => "lfg",
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a model serves the new users of the new-user protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// The paper's protocol: the model is not told about new users (global mean, or
    /// `mu + b_i` for biased models).
    NoRetrain,
    /// Solve the new user's factors (and bias) with item factors fixed.
    FoldIn,
    /// Fit again on training + revealed ratings.
    Retrain,
    /// LFG: generate the user's factors from the revealed ratings in one forward pass.
    Generate,
}

impl Strategy {
    /// The kebab-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Strategy::NoRetrain => "no-retrain",
            Strategy::FoldIn => "fold-in",
            Strategy::Retrain => "retrain",
            Strategy::Generate => "generate",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where LFG's initial item factors come from (fitted on the fold's training rows only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpstreamKind {
    /// Truncated SVD of the centred training matrix (the paper's upstream).
    TruncatedSvd,
    /// FunkSVD item factors.
    Svd,
    /// BiasSVD item factors.
    BiasSvd,
    /// Random initialisation (ablation).
    Random,
}

impl UpstreamKind {
    /// The kebab-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            UpstreamKind::TruncatedSvd => "truncated-svd",
            UpstreamKind::Svd => "svd",
            UpstreamKind::BiasSvd => "bias-svd",
            UpstreamKind::Random => "random",
        }
    }

    /// The model fitted for the factors, if any.
    pub fn model(&self) -> Option<ModelKind> {
        match self {
            UpstreamKind::TruncatedSvd => Some(ModelKind::TruncatedSvd),
            UpstreamKind::Svd => Some(ModelKind::Svd),
            UpstreamKind::BiasSvd => Some(ModelKind::BiasSvd),
            UpstreamKind::Random => None,
        }
    }
}

/// LFG's upstream model and its hyperparameters (its factor count is LFG's).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct UpstreamSpec {
    /// Which model.
    pub model: UpstreamKind,
    /// Its hyperparameters (checked by the baselines crate).
    pub params: toml::Table,
}

impl Default for UpstreamSpec {
    fn default() -> Self {
        Self {
            model: UpstreamKind::TruncatedSvd,
            params: toml::Table::new(),
        }
    }
}

/// One model row of a setting.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ModelSpec {
    /// Label shown in reports, unique within the setting.
    pub label: String,
    /// Which model.
    pub model: ModelKind,
    /// New-user strategy (`Some` exactly under the new-user protocol).
    pub strategy: Option<Strategy>,
    /// Hyperparameters as written (checked by the model crate).
    pub params: toml::Table,
    /// LFG's upstream (LFG only).
    pub upstream: Option<UpstreamSpec>,
    /// Hyperparameter search, if any.
    pub sweep: Option<SweepSpec>,
}

/// Keys of a `[[setting.model]]` table that are not hyperparameters.
pub const MODEL_RESERVED_KEYS: &[&str] = &["name", "model", "strategy", "upstream", "sweep"];

impl ExperimentSpec {
    /// Reads and validates an experiment file (hyperparameters are checked separately by
    /// [`crate::check::check_spec`]).
    pub fn load(path: &Path) -> Result<Self, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self::parse(&text, path)?)
    }

    /// Parses and validates `text`, naming `file` in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Self, SpecErrors> {
        let src = Source::new(file, text);
        let raw: RawFile = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                return Err(SpecErrors(vec![
                    src.at_span(e.span(), e.message().trim_end().to_string()),
                ]));
            }
        };
        let mut v = Validator {
            src: &src,
            diags: Vec::new(),
        };
        let spec = v.experiment(raw, file, text);
        if v.diags.is_empty() {
            Ok(spec)
        } else {
            Err(SpecErrors(v.diags))
        }
    }

    /// SHA-256 (hex) of the normalised spec: its canonical JSON form, so comments, key order
    /// and formatting do not change it.
    pub fn hash(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(json.as_bytes()))
    }

    /// The folder relative `csv` paths are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        self.file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// A setting's data set with relative csv paths resolved.
    pub fn resolve_dataset(&self, d: &DatasetSpec) -> DatasetSpec {
        match d {
            DatasetSpec::Csv(p) if p.is_relative() => DatasetSpec::Csv(self.base_dir().join(p)),
            other => other.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Raw (serde) layer

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFile {
    experiment: RawExperiment,
    #[serde(default)]
    setting: Vec<RawSetting>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawExperiment {
    name: String,
    #[serde(default)]
    description: String,
    seed: u64,
    dataset: DatasetSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSetting {
    name: String,
    #[serde(default)]
    description: String,
    dataset: Option<DatasetSpec>,
    seed: Option<u64>,
    protocol: RawProtocol,
    paper_table: Option<u8>,
    metrics: Option<Vec<Metric>>,
    validation: Option<f64>,
    #[serde(default)]
    model: Vec<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProtocol {
    kind: ProtocolKind,
    folds: Option<usize>,
    reveal: Option<Reveal>,
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum ProtocolKind {
    PerUser,
    NewUser,
    Random,
    Predefined,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawUpstream {
    model: UpstreamKind,
    #[serde(flatten)]
    params: toml::Table,
}

// ---------------------------------------------------------------------------------------------
// Validation

/// Whether `s` is a usable name (used in folder names): ASCII letters, digits, `-_.`.
pub fn is_valid_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

struct Validator<'s, 'a> {
    src: &'s Source<'a>,
    diags: Vec<Diagnostic>,
}

impl Validator<'_, '_> {
    fn err(&mut self, path: &KeyPath, msg: impl Into<String>) {
        self.diags.push(self.src.at_path(path, msg));
    }

    fn experiment(&mut self, raw: RawFile, file: &Path, text: &str) -> ExperimentSpec {
        let root = KeyPath::root().join("experiment");
        let e = raw.experiment;
        if !is_valid_name(&e.name) {
            self.err(
                &root.join("name"),
                format!(
                    "invalid experiment name `{}`: use ASCII letters, digits, '-', '_' or '.'",
                    e.name
                ),
            );
        }
        if raw.setting.is_empty() {
            self.err(
                &KeyPath::root(),
                "the experiment has no [[setting]]: add at least one",
            );
        }
        let mut names = BTreeSet::new();
        let mut settings = Vec::new();
        for (i, s) in raw.setting.into_iter().enumerate() {
            let path = KeyPath::root().join("setting").join(i);
            if !names.insert(s.name.clone()) {
                self.err(
                    &path.join("name"),
                    format!("duplicate setting name `{}`", s.name),
                );
            }
            settings.push(self.setting(s, &path, &e.dataset, e.seed));
        }
        ExperimentSpec {
            name: e.name,
            description: e.description,
            seed: e.seed,
            dataset: e.dataset,
            settings,
            file: file.to_path_buf(),
            text: text.to_string(),
        }
    }

    fn setting(
        &mut self,
        s: RawSetting,
        path: &KeyPath,
        dataset: &DatasetSpec,
        seed: u64,
    ) -> SettingSpec {
        if !is_valid_name(&s.name) {
            self.err(
                &path.join("name"),
                format!(
                    "invalid setting name `{}`: use ASCII letters, digits, '-', '_' or '.'",
                    s.name
                ),
            );
        }
        let dataset = s.dataset.unwrap_or_else(|| dataset.clone());
        let protocol = self.protocol(&s.protocol, &path.join("protocol"), &dataset);
        if let Some(t) = s.paper_table
            && !(1..=4).contains(&t)
        {
            self.err(
                &path.join("paper-table"),
                format!("paper-table = {t}: the paper has tables 1 to 4"),
            );
        }
        let metrics = match s.metrics {
            Some(m) if m.is_empty() => {
                self.err(&path.join("metrics"), "metrics is empty: list at least one");
                m
            }
            Some(m) => {
                let mut seen = BTreeSet::new();
                for (j, x) in m.iter().enumerate() {
                    if !seen.insert(*x) {
                        self.err(
                            &path.join("metrics").join(j),
                            format!("metric `{x}` listed twice"),
                        );
                    }
                }
                m
            }
            None => Metric::defaults(),
        };
        let validation = s.validation.unwrap_or(DEFAULT_VALIDATION);
        if !(validation > 0.0 && validation <= 0.5) {
            self.err(
                &path.join("validation"),
                format!("validation = {validation}: must be in (0, 0.5]"),
            );
        }
        if s.model.is_empty() {
            self.err(
                path,
                format!("setting `{}` has no [[setting.model]]", s.name),
            );
        }
        let mut labels = BTreeSet::new();
        let mut models = Vec::new();
        for (j, m) in s.model.into_iter().enumerate() {
            let mpath = path.join("model").join(j);
            if let Some(m) = self.model(m, &mpath, &protocol) {
                if !labels.insert(m.label.clone()) {
                    self.err(
                        &mpath.join("name"),
                        format!(
                            "duplicate model label `{}` in setting `{}`: give each row a distinct `name`",
                            m.label, s.name
                        ),
                    );
                }
                models.push(m);
            }
        }
        SettingSpec {
            name: s.name,
            description: s.description,
            dataset,
            seed: s.seed.unwrap_or(seed),
            protocol,
            paper_table: s.paper_table,
            metrics,
            validation,
            models,
        }
    }

    fn protocol(&mut self, p: &RawProtocol, path: &KeyPath, dataset: &DatasetSpec) -> Protocol {
        let folds = p.folds.unwrap_or(DEFAULT_FOLDS);
        if p.kind != ProtocolKind::Predefined && folds < 2 {
            self.err(
                &path.join("folds"),
                format!("folds = {folds}: k-fold protocols need at least 2 folds"),
            );
        }
        if p.kind != ProtocolKind::NewUser && p.reveal.is_some() {
            self.err(
                &path.join("reveal"),
                "`reveal` is only valid with kind = \"new-user\"",
            );
        }
        match p.kind {
            ProtocolKind::PerUser => Protocol::PerUser { folds },
            ProtocolKind::Random => Protocol::Random { folds },
            ProtocolKind::Predefined => {
                if p.folds.is_some() {
                    self.err(
                        &path.join("folds"),
                        "`folds` is fixed (u1..u5) for kind = \"predefined\": remove it",
                    );
                }
                if *dataset != DatasetSpec::Ml100k {
                    self.err(
                        &path.join("kind"),
                        format!("kind = \"predefined\" needs the ml-100k u1..u5 files, but the dataset is `{dataset}`"),
                    );
                }
                Protocol::Predefined
            }
            ProtocolKind::NewUser => {
                let reveal = p
                    .reveal
                    .clone()
                    .unwrap_or(Reveal::Fraction(DEFAULT_REVEAL_FRACTION));
                let rpath = path.join("reveal");
                match &reveal {
                    Reveal::Fraction(f) if !(*f > 0.0 && *f < 1.0) => self.err(
                        &rpath.join("fraction"),
                        format!("fraction = {f}: must be in (0, 1)"),
                    ),
                    Reveal::Count(0) => {
                        self.err(&rpath.join("count"), "count = 0: reveal at least 1 rating")
                    }
                    Reveal::Counts(c) if c.is_empty() => {
                        self.err(&rpath.join("counts"), "counts is empty")
                    }
                    Reveal::Counts(c) => {
                        for (i, w) in c.windows(2).enumerate() {
                            if w[1] <= w[0] {
                                self.err(
                                    &rpath.join("counts").join(i + 1),
                                    "counts must be strictly increasing",
                                );
                            }
                        }
                        if c.first() == Some(&0) {
                            self.err(
                                &rpath.join("counts").join(0usize),
                                "count 0: reveal at least 1 rating",
                            );
                        }
                    }
                    _ => {}
                }
                Protocol::NewUser { folds, reveal }
            }
        }
    }

    fn take<T: serde::de::DeserializeOwned>(
        &mut self,
        table: &mut toml::Table,
        key: &str,
        path: &KeyPath,
    ) -> Option<T> {
        let v = table.remove(key)?;
        match v.try_into::<T>() {
            Ok(x) => Some(x),
            Err(e) => {
                self.err(&path.join(key), e.message().trim_end().to_string());
                None
            }
        }
    }

    fn model(
        &mut self,
        mut t: toml::Table,
        path: &KeyPath,
        protocol: &Protocol,
    ) -> Option<ModelSpec> {
        let n_errors = self.diags.len();
        let name: Option<String> = self.take(&mut t, "name", path);
        let model: Option<ModelKind> = if t.contains_key("model") {
            self.take(&mut t, "model", path)
        } else {
            self.err(path, "missing key `model` (e.g. model = \"bias-svd\")");
            None
        };
        let strategy: Option<Strategy> = self.take(&mut t, "strategy", path);
        let upstream_value = t.remove("upstream");
        let sweep_value = t.remove("sweep");
        let model = model?;

        let strategy = if protocol.is_new_user() {
            let default = if model == ModelKind::Lfg {
                Strategy::Generate
            } else {
                Strategy::NoRetrain
            };
            let s = strategy.unwrap_or(default);
            match (model, s) {
                (ModelKind::Lfg, Strategy::Generate) => {}
                (ModelKind::Lfg, other) => self.err(
                    &path.join("strategy"),
                    format!(
                        "strategy = \"{other}\": LFG serves new users with strategy = \"generate\" only"
                    ),
                ),
                (_, Strategy::Generate) => self.err(
                    &path.join("strategy"),
                    format!(
                        "strategy = \"generate\" is LFG's; `{model}` supports no-retrain, fold-in or retrain"
                    ),
                ),
                _ => {}
            }
            Some(s)
        } else {
            if let Some(s) = strategy {
                self.err(
                    &path.join("strategy"),
                    format!(
                        "strategy = \"{s}\" applies only to the new-user protocol (this setting is {})",
                        protocol.kind()
                    ),
                );
            }
            None
        };

        let upstream = match (model, upstream_value) {
            (ModelKind::Lfg, None) => Some(UpstreamSpec::default()),
            (ModelKind::Lfg, Some(toml::Value::String(s))) => {
                match toml::Value::String(s.clone()).try_into::<UpstreamKind>() {
                    Ok(model) => Some(UpstreamSpec {
                        model,
                        params: toml::Table::new(),
                    }),
                    Err(e) => {
                        self.err(&path.join("upstream"), e.message().trim_end().to_string());
                        None
                    }
                }
            }
            (ModelKind::Lfg, Some(v)) => match v.try_into::<RawUpstream>() {
                Ok(u) => Some(UpstreamSpec {
                    model: u.model,
                    params: u.params,
                }),
                Err(e) => {
                    self.err(&path.join("upstream"), e.message().trim_end().to_string());
                    None
                }
            },
            (_, Some(_)) => {
                self.err(
                    &path.join("upstream"),
                    format!("`upstream` applies only to model = \"lfg\", not `{model}`"),
                );
                None
            }
            (_, None) => None,
        };
        if let Some(u) = &upstream
            && u.model == UpstreamKind::Random
            && !u.params.is_empty()
        {
            self.err(
                &path.join("upstream"),
                "upstream = \"random\" takes no hyperparameters",
            );
        }

        let sweep = match sweep_value {
            Some(v) => match SweepSpec::from_value(v, &path.join("sweep")) {
                Ok(s) => {
                    for k in s.params.keys() {
                        if MODEL_RESERVED_KEYS.contains(&k.as_str()) {
                            self.err(
                                &path.join("sweep").join("params").join(k.as_str()),
                                format!("`{k}` is not a hyperparameter and cannot be swept"),
                            );
                        }
                    }
                    Some(s)
                }
                Err(errs) => {
                    for (p, m) in errs {
                        self.err(&p, m);
                    }
                    None
                }
            },
            None => None,
        };

        let label = name.unwrap_or_else(|| match (protocol.is_new_user(), strategy) {
            (true, Some(s)) if model != ModelKind::Lfg && s != Strategy::NoRetrain => {
                format!("{model}-{s}")
            }
            _ => model.to_string(),
        });
        if label.trim().is_empty() {
            self.err(&path.join("name"), "model label is empty");
        }
        if self.diags.len() > n_errors {
            return None;
        }
        Some(ModelSpec {
            label,
            model,
            strategy,
            params: t,
            upstream,
            sweep,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[experiment]
name = "t"
description = "test"
seed = 42
dataset = "ml-100k"

[[setting]]
name = "per-user"
protocol = { kind = "per-user", folds = 3 }
paper-table = 1
metrics = ["rmse", "mae", "ndcg@10"]

[[setting.model]]
model = "svd"
factors = 10

[[setting.model]]
model = "lfg"
upstream = { model = "bias-svd", epochs = 3 }

[[setting]]
name = "new-user"
protocol = { kind = "new-user", reveal = { counts = [1, 5] } }

[[setting.model]]
model = "bias-svd"
strategy = "fold-in"

[[setting.model]]
model = "bias-svd"
"#;

    fn parse(text: &str) -> Result<ExperimentSpec, SpecErrors> {
        ExperimentSpec::parse(text, Path::new("exp.toml"))
    }

    #[test]
    fn parses_a_good_file() {
        let s = parse(GOOD).expect("valid");
        assert_eq!(s.settings.len(), 2);
        let pu = &s.settings[0];
        assert_eq!(pu.protocol, Protocol::PerUser { folds: 3 });
        assert_eq!(
            pu.metrics,
            vec![Metric::Rmse, Metric::Mae, Metric::Ndcg(10)]
        );
        assert_eq!(
            pu.models[0].params.get("factors"),
            Some(&toml::Value::Integer(10))
        );
        assert_eq!(pu.models[0].strategy, None);
        let up = pu.models[1].upstream.as_ref().expect("lfg upstream");
        assert_eq!(up.model, UpstreamKind::BiasSvd);
        assert_eq!(up.params.get("epochs"), Some(&toml::Value::Integer(3)));
        let nu = &s.settings[1];
        assert_eq!(
            nu.protocol,
            Protocol::NewUser {
                folds: 5,
                reveal: Reveal::Counts(vec![1, 5])
            }
        );
        assert_eq!(nu.models[0].label, "bias-svd-fold-in");
        assert_eq!(nu.models[0].strategy, Some(Strategy::FoldIn));
        assert_eq!(nu.models[1].label, "bias-svd");
        assert_eq!(nu.models[1].strategy, Some(Strategy::NoRetrain));
        assert_eq!(nu.metrics, Metric::defaults());
    }

    #[test]
    fn hash_ignores_formatting_but_not_content() {
        let a = parse(GOOD).expect("valid");
        let b = parse(&GOOD.replace("factors = 10", "factors   =   10 # comment")).expect("valid");
        let c = parse(&GOOD.replace("factors = 10", "factors = 11")).expect("valid");
        assert_eq!(a.hash(), b.hash());
        assert_ne!(a.hash(), c.hash());
        assert_eq!(a.hash().len(), 64);
    }

    fn first_error(text: &str) -> String {
        match parse(text) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.0[0].to_string(),
        }
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = first_error(&GOOD.replace("paper-table = 1", "paper-tabel = 1"));
        assert!(
            e.starts_with("exp.toml:11:1: `setting[0].paper-tabel`: unknown field `paper-tabel`"),
            "{e}"
        );
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = first_error(&GOOD.replace("seed = 42", "seed = \"x\""));
        assert!(
            e.starts_with("exp.toml:5:8: `experiment.seed`: invalid type"),
            "{e}"
        );
    }

    #[test]
    fn impossible_values_are_rejected() {
        let e = first_error(&GOOD.replace("folds = 3", "folds = 1"));
        assert!(
            e.contains("`setting[0].protocol.folds`") && e.contains("at least 2"),
            "{e}"
        );
        let e = first_error(&GOOD.replace("counts = [1, 5]", "counts = [5, 1]"));
        assert!(e.contains("strictly increasing"), "{e}");
        let e = first_error(&GOOD.replace("\"ndcg@10\"", "\"ndcg@0\""));
        assert!(e.contains("positive"), "{e}");
        let e = first_error(&GOOD.replace("strategy = \"fold-in\"", "strategy = \"generate\""));
        assert!(
            e.starts_with("exp.toml:28:1: `setting[1].model[0].strategy`"),
            "{e}"
        );
    }

    #[test]
    fn strategy_outside_new_user_is_an_error() {
        let e = first_error(&GOOD.replace("factors = 10", "factors = 10\nstrategy = \"fold-in\""));
        assert!(
            e.contains("`setting[0].model[0].strategy`") && e.contains("new-user"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_labels_are_an_error() {
        let e = first_error(&GOOD.replace("strategy = \"fold-in\"", ""));
        assert!(e.contains("duplicate model label `bias-svd`"), "{e}");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = first_error("[experiment]\nname = \n");
        assert!(e.starts_with("exp.toml:2:"), "{e}");
    }

    #[test]
    fn shipped_experiment_files_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("experiments folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                let spec = ExperimentSpec::load(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(!spec.settings.is_empty());
                n += 1;
            }
        }
        assert!(n >= 4, "expected the shipped experiment files, found {n}");
    }

    #[test]
    fn csv_dataset_form() {
        let s = parse(&GOOD.replace("dataset = \"ml-100k\"", "dataset = { csv = \"r.csv\" }"))
            .expect("valid");
        assert_eq!(s.dataset, DatasetSpec::Csv(PathBuf::from("r.csv")));
        let e =
            first_error(&GOOD.replace("dataset = \"ml-100k\"", "dataset = { cvs = \"r.csv\" }"));
        assert!(e.contains("unknown field `cvs`"), "{e}");
    }
}
