//! `lfg data check|fetch`.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;
use lfg_data::{DatasetId, FetchOptions};

use crate::cli::{Cli, DataCommand};
use crate::commands::data_dir;
use crate::output;

/// `lfg data ...`.
pub fn data(cli: &Cli, cmd: &DataCommand) -> Result<ExitCode> {
    match cmd {
        DataCommand::Check { dataset, json } => {
            let id: DatasetId = dataset.parse()?;
            let ds = lfg_data::load(&id, &data_dir(cli))?;
            let s = lfg_data::summary(&ds);
            if *json {
                output::json(&s)?;
            } else {
                let hist: Vec<String> = s
                    .rating_histogram
                    .iter()
                    .map(|(v, n)| format!("{v}: {n}"))
                    .collect();
                output::out(&format!(
                    "{}: {} users, {} items, {} ratings (density {:.4}%), mean rating {:.3}\n\
                     ratings per user: min {}, median {}, max {}; per item: min {}, max {}\n\
                     rating histogram: {}\n\
                     timestamps: {}; user feature width: {}",
                    s.dataset,
                    s.users,
                    s.items,
                    s.ratings,
                    s.density * 100.0,
                    s.mean_rating,
                    s.min_ratings_per_user,
                    s.median_ratings_per_user,
                    s.max_ratings_per_user,
                    s.min_ratings_per_item,
                    s.max_ratings_per_item,
                    hist.join(", "),
                    if s.has_timestamps { "yes" } else { "no" },
                    s.feature_width
                ));
            }
        }
        DataCommand::Fetch { dataset } => {
            let opts = FetchOptions {
                progress: !cli.quiet && std::io::stderr().is_terminal(),
                ..FetchOptions::default()
            };
            let dir = lfg_data::fetch::fetch(dataset, &data_dir(cli), &opts)?;
            if !cli.quiet {
                output::note(&format!("{dataset} is in {}", dir.display()));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
