//! `lfg recommend`: top-N items for a new user from a saved model, without retraining.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use lfg_baselines::{FittedBaseline, FoldInOptions};
use lfg_core::NewUserPredictor;
use lfg_data::DatasetId;
use lfg_model::LfgModel;
use serde::Serialize;

use crate::cli::{Cli, RecommendArgs};
use crate::commands::data_dir;
use crate::output;

#[derive(Serialize)]
struct Recommendation {
    rank: usize,
    item: i64,
    title: Option<String>,
    score: f32,
}

/// Parses `item,rating` lines (a first line that does not parse is taken as a header).
fn read_ratings(path: &std::path::Path) -> Result<Vec<(i64, f32)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split([',', '\t', ' ']).filter(|s| !s.is_empty());
        let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
            bail!(
                "{}:{}: expected `item,rating`, found {line:?}",
                path.display(),
                n + 1
            );
        };
        match (a.parse::<i64>(), b.parse::<f32>()) {
            (Ok(i), Ok(r)) if r.is_finite() => out.push((i, r)),
            _ if n == 0 => continue, // header
            _ => bail!(
                "{}:{}: expected an integer item id and a numeric rating, found {line:?}",
                path.display(),
                n + 1
            ),
        }
    }
    if out.is_empty() {
        bail!("{}: no ratings", path.display());
    }
    Ok(out)
}

/// `lfg recommend`.
pub fn recommend(cli: &Cli, args: &RecommendArgs) -> Result<ExitCode> {
    let raw = read_ratings(&args.ratings)?;
    let dataset = match &args.dataset {
        Some(d) => {
            let id: DatasetId = d.parse()?;
            Some(lfg_data::load(&id, &data_dir(cli))?)
        }
        None => None,
    };
    // Raw ids -> dense indices when a data set is given.
    let to_dense: Option<HashMap<i64, u32>> = dataset.as_ref().map(|d| {
        d.ratings
            .item_ids
            .iter()
            .enumerate()
            .map(|(i, &id)| (id, i as u32))
            .collect()
    });
    let mut revealed = Vec::new();
    for (item, r) in raw {
        let dense = match &to_dense {
            Some(m) => *m
                .get(&item)
                .with_context(|| format!("item id {item} is not in the data set"))?,
            None => {
                u32::try_from(item).with_context(|| format!("item index {item} is negative"))?
            }
        };
        revealed.push((dense, r));
    }
    let (n_items, scores): (usize, Vec<f32>) = if args.model.is_dir() {
        let m = LfgModel::load(&args.model)?;
        let features = vec![0f32; m.feature_width()];
        let n = m.n_items();
        check_items(&revealed, n)?;
        (n, m.score_all(&revealed, &features))
    } else {
        let m = FittedBaseline::load(&args.model)?;
        let n = m
            .item_bias()
            .map(<[f32]>::len)
            .or_else(|| m.item_factors().map(|(d, k)| d.len() / k.max(1)));
        let Some(n) = n else {
            bail!("model `{}` has no item parameters to rank with", m.name());
        };
        check_items(&revealed, n)?;
        let items: Vec<u32> = (0..n as u32).collect();
        let mut out = vec![0f32; n];
        m.fold_in(FoldInOptions::default())
            .predict_new_user(&revealed, &[], &items, &mut out);
        (n, out)
    };
    let rated: std::collections::HashSet<u32> = revealed.iter().map(|&(i, _)| i).collect();
    let mut order: Vec<u32> = (0..n_items as u32).filter(|i| !rated.contains(i)).collect();
    order.sort_by(|&a, &b| {
        scores[b as usize]
            .total_cmp(&scores[a as usize])
            .then(a.cmp(&b))
    });
    let recs: Vec<Recommendation> = order
        .iter()
        .take(args.top)
        .enumerate()
        .map(|(rank, &i)| Recommendation {
            rank: rank + 1,
            item: dataset
                .as_ref()
                .and_then(|d| d.ratings.item_ids.get(i as usize).copied())
                .unwrap_or(i64::from(i)),
            title: dataset
                .as_ref()
                .and_then(|d| d.items.rows.get(i as usize).map(|r| r.title.clone())),
            score: scores[i as usize],
        })
        .collect();
    if args.json {
        output::json(&recs)?;
    } else {
        let mut s = String::new();
        for r in &recs {
            s.push_str(&format!(
                "{:>3}. {:>6}  {:.3}  {}\n",
                r.rank,
                r.item,
                r.score,
                r.title.as_deref().unwrap_or("")
            ));
        }
        output::out(&s);
    }
    Ok(ExitCode::SUCCESS)
}

fn check_items(revealed: &[(u32, f32)], n_items: usize) -> Result<()> {
    if let Some(&(i, _)) = revealed.iter().find(|&&(i, _)| i as usize >= n_items) {
        bail!(
            "item index {i} is outside the model's {n_items} items (use --dataset to map raw ids)"
        );
    }
    Ok(())
}
