//! Hyperparameter sweeps: grid and seeded random search.
//!
//! ```toml
//! [setting.model.sweep]
//! method = "grid"                       # every combination, last key varying fastest
//! params = { lr = [0.005, 0.01], reg = [0.02, 0.05] }
//!
//! [setting.model.sweep]
//! method = "random"
//! trials = 20
//! seed = 7                              # optional; derived from the experiment seed otherwise
//! tune-on = "every-fold"                # or "first-fold" (see [`TuneOn`])
//! evaluate-best = true                  # false: tuning only, no test fold touched
//! params = { lr = { log-uniform = [1e-4, 1e-2] }, hidden = { choice = [64, 128] },
//!            epochs = { int-uniform = [10, 40] }, dropout = { uniform = [0.0, 0.5] } }
//! ```
//!
//! Candidates are scored on an inner validation split of TRAINING ratings only (see
//! [`TuneOn`]); the best by validation RMSE (or MAE) is then evaluated on every test fold.
//! A key `upstream.<name>` sweeps a hyperparameter of LFG's upstream model.

use std::collections::BTreeMap;

use lfg_core::{Rng, derive_seed};
use serde::Serialize;

use crate::source::KeyPath;
use crate::spec::ModelSpec;

/// Largest number of candidates a sweep may expand to.
pub const MAX_CANDIDATES: usize = 10_000;

/// Grid or random search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SweepMethod {
    /// Every combination of the listed values.
    Grid,
    /// `trials` independent draws.
    Random,
}

/// Which training data candidates are scored on.
///
/// No test rating ever reaches tuning under `every-fold`: fold f's candidates are scored on an
/// inner split of fold f's training rows and the winner is evaluated on fold f's test rows.
/// `first-fold` scores candidates once, on an inner split of fold 0's training rows, which
/// contain the test rows of the other folds: use it for tuning-only experiments
/// (`evaluate-best = false`), or accept that folds 1.. are then not strictly held out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TuneOn {
    /// Nested: each fold tunes on an inner split of its own training ratings (the default;
    /// the chosen hyperparameters may differ between folds and are recorded per fold).
    #[default]
    EveryFold,
    /// One inner split of fold 0's training ratings; the winner is used on every fold.
    FirstFold,
}

/// The validation metric candidates are ranked by (lower is better).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SelectBy {
    /// Validation RMSE.
    #[default]
    Rmse,
    /// Validation MAE.
    Mae,
}

impl SelectBy {
    /// The metric's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SelectBy::Rmse => "rmse",
            SelectBy::Mae => "mae",
        }
    }
}

/// The values one hyperparameter may take.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParamSpace {
    /// An explicit list (grid values, or a uniform choice in random search).
    Values(Vec<toml::Value>),
    /// Uniform real in `[lo, hi)`.
    Uniform(f64, f64),
    /// Log-uniform real in `[lo, hi)`, `lo > 0`.
    LogUniform(f64, f64),
    /// Uniform integer in `[lo, hi]`.
    IntUniform(i64, i64),
}

impl ParamSpace {
    /// Draws one value.
    pub fn sample(&self, rng: &mut Rng) -> toml::Value {
        match self {
            ParamSpace::Values(v) => v[rng.below(v.len() as u64) as usize].clone(),
            ParamSpace::Uniform(lo, hi) => toml::Value::Float(rng.uniform(*lo, *hi)),
            ParamSpace::LogUniform(lo, hi) => {
                toml::Value::Float(rng.uniform(lo.ln(), hi.ln()).exp().clamp(*lo, *hi))
            }
            ParamSpace::IntUniform(lo, hi) => {
                let span = (*hi - *lo) as u64 + 1;
                toml::Value::Integer(*lo + rng.below(span) as i64)
            }
        }
    }
}

/// A validated `[setting.model.sweep]` table.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SweepSpec {
    /// Grid or random.
    pub method: SweepMethod,
    /// Number of random draws (random only).
    pub trials: Option<usize>,
    /// Seed of the random draws (random only; derived when absent).
    pub seed: Option<u64>,
    /// Which training data candidates are scored on.
    pub tune_on: TuneOn,
    /// Validation metric the best candidate is chosen by.
    pub metric: SelectBy,
    /// Whether the best candidate is then evaluated on the test folds (default true; false
    /// for tuning-only experiments that never touch a test fold).
    pub evaluate_best: bool,
    /// Swept hyperparameters (sorted by name).
    pub params: BTreeMap<String, ParamSpace>,
}

/// One point of a sweep: the swept hyperparameters' values.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Position in the sweep, from 0.
    pub index: usize,
    /// Hyperparameter name -> value (`upstream.<name>` for the upstream model).
    pub values: toml::Table,
}

type Errs = Vec<(KeyPath, String)>;

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn pair(v: &toml::Value) -> Option<(&toml::Value, &toml::Value)> {
    match v {
        toml::Value::Array(a) if a.len() == 2 => Some((&a[0], &a[1])),
        _ => None,
    }
}

fn parse_space(v: toml::Value, path: &KeyPath, errs: &mut Errs) -> Option<ParamSpace> {
    match v {
        toml::Value::Array(a) => {
            if a.is_empty() {
                errs.push((path.clone(), "empty list of values".into()));
                return None;
            }
            Some(ParamSpace::Values(a))
        }
        toml::Value::Table(t) if t.len() == 1 => {
            let (kind, arg) = t.into_iter().next()?;
            let apath = path.join(kind.as_str());
            match kind.as_str() {
                "choice" => match arg {
                    toml::Value::Array(a) if !a.is_empty() => Some(ParamSpace::Values(a)),
                    _ => {
                        errs.push((apath, "choice needs a non-empty list of values".into()));
                        None
                    }
                },
                "uniform" | "log-uniform" => {
                    let Some((lo, hi)) =
                        pair(&arg).and_then(|(a, b)| Some((number(a)?, number(b)?)))
                    else {
                        errs.push((apath, format!("{kind} needs two numbers [low, high]")));
                        return None;
                    };
                    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                        errs.push((apath, format!("{kind} = [{lo}, {hi}]: need low < high")));
                        return None;
                    }
                    if kind == "log-uniform" {
                        if lo <= 0.0 {
                            errs.push((
                                apath,
                                format!("log-uniform = [{lo}, {hi}]: low must be > 0"),
                            ));
                            return None;
                        }
                        Some(ParamSpace::LogUniform(lo, hi))
                    } else {
                        Some(ParamSpace::Uniform(lo, hi))
                    }
                }
                "int-uniform" => {
                    let Some((toml::Value::Integer(lo), toml::Value::Integer(hi))) = pair(&arg)
                    else {
                        errs.push((apath, "int-uniform needs two integers [low, high]".into()));
                        return None;
                    };
                    if lo > hi {
                        errs.push((
                            apath,
                            format!("int-uniform = [{lo}, {hi}]: need low <= high"),
                        ));
                        return None;
                    }
                    Some(ParamSpace::IntUniform(*lo, *hi))
                }
                other => {
                    errs.push((
                        apath,
                        format!(
                            "unknown distribution `{other}`, expected one of `uniform`, `log-uniform`, `int-uniform`, `choice`"
                        ),
                    ));
                    None
                }
            }
        }
        _ => {
            errs.push((
                path.clone(),
                "expected a list of values or one of { uniform = [a, b] }, { log-uniform = [a, b] }, { int-uniform = [a, b] }, { choice = [...] }".into(),
            ));
            None
        }
    }
}

impl SweepSpec {
    /// Validates a `sweep` table; errors carry the key path they refer to.
    pub fn from_value(v: toml::Value, path: &KeyPath) -> Result<SweepSpec, Errs> {
        let mut errs = Errs::new();
        let toml::Value::Table(mut t) = v else {
            return Err(vec![(path.clone(), "`sweep` must be a table".into())]);
        };
        const KEYS: &[&str] = &[
            "method",
            "trials",
            "seed",
            "tune-on",
            "metric",
            "evaluate-best",
            "params",
        ];
        for k in t.keys() {
            if !KEYS.contains(&k.as_str()) {
                errs.push((
                    path.join(k.as_str()),
                    format!(
                        "unknown field `{k}`, expected one of `method`, `trials`, `seed`, `tune-on`, `metric`, `evaluate-best`, `params`"
                    ),
                ));
            }
        }
        let method = match t.remove("method") {
            Some(toml::Value::String(s)) if s == "grid" => Some(SweepMethod::Grid),
            Some(toml::Value::String(s)) if s == "random" => Some(SweepMethod::Random),
            Some(other) => {
                errs.push((
                    path.join("method"),
                    format!("method = {other}: expected \"grid\" or \"random\""),
                ));
                None
            }
            None => {
                errs.push((
                    path.clone(),
                    "missing key `method` (\"grid\" or \"random\")".into(),
                ));
                None
            }
        };
        let trials = match t.remove("trials") {
            Some(toml::Value::Integer(n)) if n >= 1 => Some(n as usize),
            Some(other) => {
                errs.push((
                    path.join("trials"),
                    format!("trials = {other}: expected a positive integer"),
                ));
                None
            }
            None => None,
        };
        let seed = match t.remove("seed") {
            Some(toml::Value::Integer(n)) if n >= 0 => Some(n as u64),
            Some(other) => {
                errs.push((
                    path.join("seed"),
                    format!("seed = {other}: expected a non-negative integer"),
                ));
                None
            }
            None => None,
        };
        let tune_on = match t.remove("tune-on") {
            Some(toml::Value::String(s)) if s == "first-fold" => TuneOn::FirstFold,
            Some(toml::Value::String(s)) if s == "every-fold" => TuneOn::EveryFold,
            Some(other) => {
                errs.push((
                    path.join("tune-on"),
                    format!("tune-on = {other}: expected \"first-fold\" or \"every-fold\""),
                ));
                TuneOn::default()
            }
            None => TuneOn::default(),
        };
        let metric = match t.remove("metric") {
            Some(toml::Value::String(s)) if s == "rmse" => SelectBy::Rmse,
            Some(toml::Value::String(s)) if s == "mae" => SelectBy::Mae,
            Some(other) => {
                errs.push((
                    path.join("metric"),
                    format!("metric = {other}: expected \"rmse\" or \"mae\""),
                ));
                SelectBy::default()
            }
            None => SelectBy::default(),
        };
        let evaluate_best = match t.remove("evaluate-best") {
            Some(toml::Value::Boolean(b)) => b,
            Some(other) => {
                errs.push((
                    path.join("evaluate-best"),
                    format!("evaluate-best = {other}: expected true or false"),
                ));
                true
            }
            None => true,
        };
        let mut params = BTreeMap::new();
        match t.remove("params") {
            Some(toml::Value::Table(p)) if !p.is_empty() => {
                for (k, v) in p {
                    let ppath = path.join("params").join(k.as_str());
                    if let Some(space) = parse_space(v, &ppath, &mut errs) {
                        if method == Some(SweepMethod::Grid)
                            && !matches!(space, ParamSpace::Values(_))
                        {
                            errs.push((
                                ppath,
                                "grid search needs a list of values (distributions are for method = \"random\")".into(),
                            ));
                            continue;
                        }
                        params.insert(k, space);
                    }
                }
            }
            Some(_) => errs.push((
                path.join("params"),
                "`params` must be a non-empty table of hyperparameter = values".into(),
            )),
            None => errs.push((path.clone(), "missing key `params`".into())),
        }
        match method {
            Some(SweepMethod::Grid) => {
                if trials.is_some() {
                    errs.push((
                        path.join("trials"),
                        "`trials` is for method = \"random\"; a grid runs every combination".into(),
                    ));
                }
                if seed.is_some() {
                    errs.push((
                        path.join("seed"),
                        "`seed` is for method = \"random\"".into(),
                    ));
                }
                let n = params.values().try_fold(1usize, |acc, s| match s {
                    ParamSpace::Values(v) => acc.checked_mul(v.len()),
                    _ => Some(acc),
                });
                if n.is_none_or(|n| n > MAX_CANDIDATES) {
                    errs.push((
                        path.join("params"),
                        format!("the grid has more than {MAX_CANDIDATES} combinations"),
                    ));
                }
            }
            Some(SweepMethod::Random) => match trials {
                None => errs.push((path.clone(), "method = \"random\" needs `trials`".into())),
                Some(n) if n > MAX_CANDIDATES => errs.push((
                    path.join("trials"),
                    format!("trials = {n}: at most {MAX_CANDIDATES}"),
                )),
                _ => {}
            },
            None => {}
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(SweepSpec {
            method: method.unwrap_or(SweepMethod::Grid),
            trials,
            seed,
            tune_on,
            metric,
            evaluate_best,
            params,
        })
    }

    /// Every candidate, in a fixed order. `default_seed` seeds random search when the sweep
    /// has no `seed`.
    pub fn candidates(&self, default_seed: u64) -> Vec<Candidate> {
        match self.method {
            SweepMethod::Grid => {
                let lists: Vec<(&String, &Vec<toml::Value>)> = self
                    .params
                    .iter()
                    .filter_map(|(k, s)| match s {
                        ParamSpace::Values(v) => Some((k, v)),
                        _ => None,
                    })
                    .collect();
                let total: usize = lists.iter().map(|(_, v)| v.len()).product();
                (0..total)
                    .map(|index| {
                        let mut rest = index;
                        let mut values = toml::Table::new();
                        for (k, v) in lists.iter().rev() {
                            values.insert((*k).clone(), v[rest % v.len()].clone());
                            rest /= v.len();
                        }
                        Candidate { index, values }
                    })
                    .collect()
            }
            SweepMethod::Random => {
                let seed = self.seed.unwrap_or(default_seed);
                (0..self.trials.unwrap_or(0))
                    .map(|index| {
                        let mut rng = Rng::new(derive_seed(seed, &[index as u64]));
                        let values = self
                            .params
                            .iter()
                            .map(|(k, s)| (k.clone(), s.sample(&mut rng)))
                            .collect();
                        Candidate { index, values }
                    })
                    .collect()
            }
        }
    }
}

impl ModelSpec {
    /// This model with a candidate's values set (`upstream.<name>` goes to the upstream's
    /// hyperparameters) and no sweep.
    pub fn with_values(&self, values: &toml::Table) -> ModelSpec {
        let mut m = self.clone();
        m.sweep = None;
        for (k, v) in values {
            match (k.strip_prefix("upstream."), m.upstream.as_mut()) {
                (Some(uk), Some(up)) => {
                    up.params.insert(uk.to_string(), v.clone());
                }
                _ => {
                    m.params.insert(k.clone(), v.clone());
                }
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(src: &str) -> Result<SweepSpec, Errs> {
        let v: toml::Table = toml::from_str(src).expect("toml");
        SweepSpec::from_value(toml::Value::Table(v), &KeyPath::root().join("sweep"))
    }

    #[test]
    fn grid_is_the_cartesian_product_in_key_order() {
        let s = sweep("method = \"grid\"\nparams = { lr = [1, 2], reg = [10, 20, 30] }")
            .expect("valid");
        let c = s.candidates(0);
        assert_eq!(c.len(), 6);
        let pairs: Vec<(i64, i64)> = c
            .iter()
            .map(|c| {
                (
                    c.values["lr"].as_integer().expect("int"),
                    c.values["reg"].as_integer().expect("int"),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            vec![(1, 10), (1, 20), (1, 30), (2, 10), (2, 20), (2, 30)]
        );
    }

    #[test]
    fn random_search_is_seeded_and_in_range() {
        let src = "method = \"random\"\ntrials = 200\nseed = 7\nparams = { lr = { log-uniform = [1e-4, 1e-2] }, h = { choice = [8, 16] }, e = { int-uniform = [3, 5] }, d = { uniform = [0.0, 0.5] } }";
        let s = sweep(src).expect("valid");
        let a = s.candidates(1);
        let b = s.candidates(2); // seed given: default ignored
        assert_eq!(a, b);
        assert_eq!(a.len(), 200);
        let mut seen_e = [false; 3];
        let mut small_lr = 0;
        for c in &a {
            let lr = c.values["lr"].as_float().expect("float");
            assert!((1e-4..=1e-2).contains(&lr), "{lr}");
            if lr < 1e-3 {
                small_lr += 1;
            }
            let e = c.values["e"].as_integer().expect("int");
            assert!((3..=5).contains(&e));
            seen_e[(e - 3) as usize] = true;
            let h = c.values["h"].as_integer().expect("int");
            assert!(h == 8 || h == 16);
            let d = c.values["d"].as_float().expect("float");
            assert!((0.0..0.5).contains(&d));
        }
        assert!(seen_e.iter().all(|&x| x));
        // log-uniform: about half the draws fall below the geometric midpoint 1e-3.
        assert!((70..=130).contains(&small_lr), "{small_lr}");
        let other = sweep(&src.replace("seed = 7", "seed = 8")).expect("valid");
        assert_ne!(other.candidates(0), a);
    }

    #[test]
    fn invalid_sweeps_name_the_key() {
        let e = sweep("method = \"grid\"\nparams = { lr = { uniform = [0, 1] } }").unwrap_err();
        assert_eq!(e[0].0.to_string(), "sweep.params.lr");
        let e = sweep("method = \"random\"\nparams = { lr = [1] }").unwrap_err();
        assert!(e[0].1.contains("trials"), "{e:?}");
        let e =
            sweep("method = \"random\"\ntrials = 3\nparams = { lr = { log-uniform = [0, 1] } }")
                .unwrap_err();
        assert_eq!(e[0].0.to_string(), "sweep.params.lr.log-uniform");
        let e = sweep("method = \"grid\"\nparams = { lr = [1] }\nfoo = 1").unwrap_err();
        assert!(e[0].1.contains("unknown field `foo`"), "{e:?}");
        let e = sweep("method = \"annealing\"\nparams = { lr = [1] }").unwrap_err();
        assert_eq!(e[0].0.to_string(), "sweep.method");
    }
}
