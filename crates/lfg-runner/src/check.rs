//! `lfg check`: every hyperparameter of every model row and sweep candidate, checked by the
//! model crates without loading data.

use serde::Serialize;

use crate::error::{Diagnostic, SpecErrors};
use crate::models::{ParamProblem, model_params};
use crate::seeds;
use crate::source::{KeyPath, Source};
use crate::spec::{ExperimentSpec, Reveal};
use crate::sweep::TuneOn;

/// What a valid experiment will run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckSummary {
    /// Experiment name.
    pub experiment: String,
    /// Normalised spec hash.
    pub spec_hash: String,
    /// One line per setting.
    pub settings: Vec<SettingPlan>,
    /// Total (model x fold) jobs, sweeps included.
    pub jobs: usize,
}

/// The plan of one setting.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SettingPlan {
    /// Setting name.
    pub name: String,
    /// Data set label.
    pub dataset: String,
    /// Protocol kind.
    pub protocol: String,
    /// Folds.
    pub folds: usize,
    /// Model labels.
    pub models: Vec<String>,
    /// Sweep candidates over all models.
    pub sweep_candidates: usize,
    /// Jobs of the setting.
    pub jobs: usize,
}

fn diag(src: &Source<'_>, base: &KeyPath, p: ParamProblem, context: Option<String>) -> Diagnostic {
    let path = match &p.key {
        Some(k) => k
            .split('.')
            .fold(base.clone(), |acc, part| acc.join(part.to_string())),
        None => base.clone(),
    };
    let message = match context {
        Some(c) => format!("{c}: {}", p.message),
        None => p.message,
    };
    src.at_path(&path, message)
}

/// Checks every model's hyperparameters (and every sweep candidate's) with the model crates.
pub fn check_spec(spec: &ExperimentSpec) -> Result<CheckSummary, SpecErrors> {
    let src = Source::new(&spec.file, &spec.text);
    let mut diags = Vec::new();
    let mut settings = Vec::new();
    let mut total = 0;
    for (i, s) in spec.settings.iter().enumerate() {
        let folds = s.protocol.folds();
        let reveals = match &s.protocol {
            crate::spec::Protocol::NewUser {
                reveal: Reveal::Counts(c),
                ..
            } => c.len(),
            _ => 1,
        };
        let mut jobs = 0;
        let mut n_candidates = 0;
        for (j, m) in s.models.iter().enumerate() {
            let mpath = KeyPath::root()
                .join("setting")
                .join(i)
                .join("model")
                .join(j);
            if let Err(p) = model_params(m) {
                diags.push(diag(&src, &mpath, p, None));
                continue;
            }
            // Final jobs: one per fold (all reveal counts share a fit unless retraining).
            let per_fold = match m.strategy {
                Some(crate::spec::Strategy::Retrain) => reveals,
                _ => 1,
            };
            jobs += folds * per_fold;
            if let Some(sw) = &m.sweep {
                let cands = sw.candidates(seeds::sweep_seed(s, &m.label));
                n_candidates += cands.len();
                let tune_folds = match sw.tune_on {
                    TuneOn::FirstFold => 1,
                    TuneOn::EveryFold => folds,
                };
                jobs += cands.len() * tune_folds;
                if !sw.evaluate_best {
                    jobs -= folds * per_fold;
                }
                for c in &cands {
                    if let Err(p) = model_params(&m.with_values(&c.values)) {
                        let values: Vec<String> =
                            c.values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                        let spath = match &p.key {
                            Some(k) if c.values.contains_key(k) => {
                                mpath.join("sweep").join("params").join(k.as_str())
                            }
                            _ => mpath.clone(),
                        };
                        let p = ParamProblem { key: None, ..p };
                        diags.push(diag(
                            &src,
                            &spath,
                            p,
                            Some(format!(
                                "sweep candidate #{} ({})",
                                c.index,
                                values.join(", ")
                            )),
                        ));
                        break;
                    }
                }
            }
        }
        total += jobs;
        settings.push(SettingPlan {
            name: s.name.clone(),
            dataset: s.dataset.label(),
            protocol: s.protocol.kind().to_string(),
            folds,
            models: s.models.iter().map(|m| m.label.clone()).collect(),
            sweep_candidates: n_candidates,
            jobs,
        });
    }
    if !diags.is_empty() {
        return Err(SpecErrors(diags));
    }
    Ok(CheckSummary {
        experiment: spec.name.clone(),
        spec_hash: spec.hash(),
        settings,
        jobs: total,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn spec(text: &str) -> ExperimentSpec {
        ExperimentSpec::parse(text, Path::new("x.toml")).expect("parses")
    }

    const HEAD: &str = "[experiment]\nname = \"x\"\nseed = 1\ndataset = \"ml-100k\"\n[[setting]]\nname = \"s\"\nprotocol = { kind = \"per-user\", folds = 3 }\n[[setting.model]]\n";

    #[test]
    fn shipped_experiments_pass_the_model_checks() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments");
        for name in [
            "paper-ml100k.toml",
            "paper-ml1m.toml",
            "sweep-lfg-ml100k.toml",
            "cold-start-ml100k.toml",
        ] {
            let s = ExperimentSpec::load(&dir.join(name)).expect("loads");
            let summary = check_spec(&s).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(summary.jobs > 0);
        }
    }

    #[test]
    fn model_crate_errors_point_at_the_key() {
        let e = check_spec(&spec(&format!("{HEAD}model = \"svd\"\nfactors = 0\n")))
            .expect_err("factors = 0");
        let d = &e.0[0];
        assert_eq!(d.key.as_deref(), Some("setting[0].model[0].factors"), "{d}");
        assert_eq!(d.line, 10, "{d}");
        let e = check_spec(&spec(&format!(
            "{HEAD}model = \"lfg\"\nlearning-rat = 0.1\n"
        )))
        .expect_err("unknown key");
        let d = &e.0[0];
        assert_eq!(
            d.key.as_deref(),
            Some("setting[0].model[0].learning-rat"),
            "{d}"
        );
        assert!(d.message.contains("unknown field `learning-rat`"), "{d}");
        let e = check_spec(&spec(&format!(
            "{HEAD}model = \"lfg\"\nupstream = {{ model = \"svd\", epochs = 0 }}\n"
        )))
        .expect_err("bad upstream");
        assert_eq!(
            e.0[0].key.as_deref(),
            Some("setting[0].model[0].upstream.epochs"),
            "{}",
            e.0[0]
        );
    }

    #[test]
    fn every_sweep_candidate_is_checked() {
        let text = format!(
            "{HEAD}model = \"bias-svd\"\n[setting.model.sweep]\nmethod = \"grid\"\nparams = {{ factors = [4, 0] }}\n"
        );
        let e = check_spec(&spec(&text)).expect_err("factors = 0 candidate");
        let d = &e.0[0];
        assert_eq!(
            d.key.as_deref(),
            Some("setting[0].model[0].sweep.params.factors"),
            "{d}"
        );
        assert!(
            d.message.contains("sweep candidate #1 (factors = 0)"),
            "{d}"
        );
    }

    #[test]
    fn plan_counts_jobs() {
        let text = format!(
            "{HEAD}model = \"svd\"\n[setting.model.sweep]\nmethod = \"grid\"\nparams = {{ factors = [4, 8] }}\n"
        );
        let s = check_spec(&spec(&text)).expect("valid");
        // 2 candidates x 3 folds (every-fold tuning) + 3 final folds.
        assert_eq!(s.jobs, 9);
        assert_eq!(s.settings[0].sweep_candidates, 2);
    }
}
