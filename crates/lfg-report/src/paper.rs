//! The paper's four result tables, as data (`data/paper_tables.toml`, embedded).
//!
//! A setting is compared with a paper table when it is tagged with `paper-table = N`, or,
//! untagged, when its dataset and protocol match a table's (ML-100k / ML-1M x per-user /
//! new-user). Our row for a paper model (`svd`, `bias-svd`, `lfg`) is the first model row of
//! that kind whose strategy is absent or one of [`PAPER_STRATEGIES`] (the paper's
//! no-retrain protocol for new users).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::ReportError;
use crate::input::{ModelReport, SettingReport};
use crate::stats::stats;

const PAPER_TOML: &str = include_str!("../data/paper_tables.toml");

/// Strategies that count as "the paper's protocol" when matching our rows to paper rows.
pub const PAPER_STRATEGIES: &[&str] = &["no-retrain", "paper", "generate", "none"];

/// All of the paper's tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperTables {
    /// Tables 1..=4 in order.
    #[serde(rename = "table")]
    pub tables: Vec<PaperTable>,
}

/// One of the paper's tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperTable {
    /// Table number in the paper (1..=4).
    pub number: u8,
    /// Caption as printed.
    pub title: String,
    /// `ml-100k` or `ml-1m`.
    pub dataset: String,
    /// `per-user` or `new-user`.
    pub protocol: String,
    /// Metric (`rmse`).
    pub metric: String,
    /// One row per model.
    pub models: Vec<PaperModel>,
}

/// One model's row in a paper table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperModel {
    /// `svd`, `bias-svd` or `lfg`.
    pub model: String,
    /// Per-fold values (folds 1..=5).
    pub folds: Vec<f64>,
    /// The printed average.
    pub average: f64,
}

/// The embedded paper tables, parsed once.
pub fn paper_tables() -> Result<&'static PaperTables, ReportError> {
    static TABLES: OnceLock<Result<PaperTables, String>> = OnceLock::new();
    TABLES
        .get_or_init(|| toml::from_str::<PaperTables>(PAPER_TOML).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| ReportError::PaperData(e.clone()))
}

fn norm_dataset(d: &str) -> Option<&'static str> {
    let d: String = d
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if d.ends_with("100k") {
        Some("ml-100k")
    } else if d.ends_with("1m") {
        Some("ml-1m")
    } else {
        None
    }
}

fn norm_protocol(p: &str) -> Option<&'static str> {
    let p: String = p
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if p.contains("newuser") || p.contains("realtime") {
        Some("new-user")
    } else if p.contains("peruser") {
        Some("per-user")
    } else {
        None
    }
}

/// Normalise a model kind to the paper's names (`svd`, `bias-svd`, `lfg`).
pub fn paper_model_name(model: &str) -> String {
    let m: String = model
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    match m.as_str() {
        "svd" | "funksvd" => "svd".into(),
        "biassvd" => "bias-svd".into(),
        "lfg" => "lfg".into(),
        _ => model.to_ascii_lowercase(),
    }
}

/// The paper table a setting reproduces: its `paper-table` tag, else a dataset+protocol match.
pub fn paper_table_for(
    setting: &SettingReport,
) -> Result<Option<&'static PaperTable>, ReportError> {
    let tables = paper_tables()?;
    if let Some(n) = setting.paper_table {
        return tables
            .tables
            .iter()
            .find(|t| t.number == n)
            .map(Some)
            .ok_or_else(|| ReportError::UnknownPaperTable {
                setting: setting.name.clone(),
                table: n,
            });
    }
    // A cold-start curve (reveal counts) is not the paper's protocol, whatever its data set.
    if !setting.cold_start.is_empty() {
        return Ok(None);
    }
    let (Some(d), Some(p)) = (
        norm_dataset(&setting.dataset),
        norm_protocol(&setting.protocol),
    ) else {
        return Ok(None);
    };
    Ok(tables
        .tables
        .iter()
        .find(|t| t.dataset == d && t.protocol == p))
}

/// Our model row standing for paper model `paper_model` (see the module docs).
pub fn our_row<'a>(setting: &'a SettingReport, paper_model: &str) -> Option<&'a ModelReport> {
    setting.models.iter().find(|m| {
        paper_model_name(&m.model) == paper_model
            && m.strategy.as_deref().is_none_or(|s| {
                s.is_empty() || PAPER_STRATEGIES.contains(&s.to_ascii_lowercase().as_str())
            })
    })
}

/// Paper vs ours for one paper model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaperVsOurs {
    /// Paper model name.
    pub model: String,
    /// Label of our matching row, if any.
    pub ours_label: Option<String>,
    /// Paper's printed average.
    pub paper_mean: f64,
    /// Paper's per-fold values.
    pub paper_folds: Vec<f64>,
    /// Our mean over folds.
    pub ours_mean: Option<f64>,
    /// Our sample std over folds.
    pub ours_std: Option<f64>,
    /// Our per-fold values.
    pub ours_folds: Vec<f64>,
    /// ours - paper (negative: we are better on an error metric).
    pub diff: Option<f64>,
}

/// Paper-vs-ours rows of a setting, or `None` when it reproduces no paper table.
pub fn paper_vs_ours(
    setting: &SettingReport,
) -> Result<Option<(&'static PaperTable, Vec<PaperVsOurs>)>, ReportError> {
    let Some(table) = paper_table_for(setting)? else {
        return Ok(None);
    };
    let rows = table
        .models
        .iter()
        .map(|pm| {
            let row = our_row(setting, &pm.model);
            let ours_folds = row
                .map(|r| r.metric_values(&table.metric))
                .unwrap_or_default();
            let st = stats(&ours_folds);
            PaperVsOurs {
                model: pm.model.clone(),
                ours_label: row.map(ModelReport::label),
                paper_mean: pm.average,
                paper_folds: pm.folds.clone(),
                ours_mean: st.map(|s| s.mean),
                ours_std: st.map(|s| s.std),
                ours_folds,
                diff: st.map(|s| s.mean - pm.average),
            }
        })
        .collect();
    Ok(Some((table, rows)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::ColdStartPoint;

    #[test]
    fn tables_parse_and_averages_match_folds() {
        let t = paper_tables().expect("embedded tables parse");
        assert_eq!(
            t.tables.iter().map(|t| t.number).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        for table in &t.tables {
            assert_eq!(table.models.len(), 3);
            for m in &table.models {
                assert_eq!(m.folds.len(), 5, "table {} {}", table.number, m.model);
                let mean = m.folds.iter().sum::<f64>() / 5.0;
                // the printed average is the fold mean rounded to 4 decimals
                assert!(
                    (mean - m.average).abs() <= 0.00006,
                    "table {} {}: mean {mean} vs printed {}",
                    table.number,
                    m.model,
                    m.average
                );
            }
        }
        // spot checks against the paper text
        assert_eq!(t.tables[0].models[2].average, 0.9130);
        assert_eq!(t.tables[3].models[0].folds[1], 1.1218);
    }

    #[test]
    fn matching_by_tag_and_by_dataset_protocol() {
        let mut s = SettingReport {
            name: "x".into(),
            dataset: "ml-1m".into(),
            protocol: "new-user".into(),
            ..Default::default()
        };
        assert_eq!(paper_table_for(&s).expect("ok").map(|t| t.number), Some(4));
        let mut curve = s.clone();
        curve.cold_start.push(ColdStartPoint::default());
        assert!(
            paper_table_for(&curve).expect("ok").is_none(),
            "a cold-start curve is not Table 4"
        );
        s.dataset = "MovieLens-100k".into();
        s.protocol = "per_user".into();
        assert_eq!(paper_table_for(&s).expect("ok").map(|t| t.number), Some(1));
        s.dataset = "csv".into();
        assert!(paper_table_for(&s).expect("ok").is_none());
        s.paper_table = Some(2);
        assert_eq!(paper_table_for(&s).expect("ok").map(|t| t.number), Some(2));
        s.paper_table = Some(9);
        assert!(paper_table_for(&s).is_err());
    }

    #[test]
    fn our_row_skips_non_paper_strategies() {
        let s = SettingReport {
            models: vec![
                ModelReport {
                    model: "bias-svd".into(),
                    strategy: Some("fold-in".into()),
                    ..Default::default()
                },
                ModelReport {
                    model: "BiasSVD".into(),
                    strategy: Some("no-retrain".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        assert_eq!(
            our_row(&s, "bias-svd").map(ModelReport::label).as_deref(),
            Some("BiasSVD (no-retrain)")
        );
        assert!(our_row(&s, "lfg").is_none());
    }
}
