//! `lfg report`: a report of a run, read from the store only.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use lfg_runner::ExperimentSpec;
use lfg_store::{RunId, Store};

use crate::cli::{Cli, ReportFormat};
use crate::commands::open_store;
use crate::output;

/// Resolves a run id, `latest`, an experiment file (latest run of its spec) or an experiment
/// name (its latest run).
fn resolve(store: &Store, target: &str) -> Result<(RunId, String)> {
    let path = Path::new(target);
    if target.ends_with(".toml") && path.is_file() {
        let spec = ExperimentSpec::load(path)?;
        let run = store
            .latest_run_for_experiment(&spec.hash())?
            .with_context(|| {
                format!(
                    "no run of {} in the store yet (lfg run {target})",
                    path.display()
                )
            })?;
        return Ok((run.run, spec.name));
    }
    if let Ok(run) = store.resolve_run(target) {
        let info = store.run_info(run)?;
        return Ok((run, info.experiment));
    }
    match store.latest_run_for_experiment(target)? {
        Some(r) => Ok((r.run, r.experiment)),
        None => bail!(
            "`{target}` is neither a run id, `latest`, an experiment file nor an experiment name with runs (see `lfg runs`)"
        ),
    }
}

/// Builds the report input of `run` from the store.
fn report_input(store: &Store, run: RunId) -> Result<lfg_report::ReportInput> {
    Ok(lfg_report::load_from_store(store, run)?)
}

/// Writes the HTML report of `run` into `dir`; returns the index.html path.
pub fn write_html(store: &Store, run: RunId, dir: &Path) -> Result<PathBuf> {
    let input = report_input(store, run)?;
    let files = lfg_report::render(&input, dir, &lfg_report::ReportOptions::default())?;
    Ok(files.index_html)
}

/// `lfg report`.
pub fn report(
    cli: &Cli,
    target: &str,
    out: Option<&Path>,
    format: ReportFormat,
) -> Result<ExitCode> {
    let store = open_store(cli)?;
    let (run, experiment) = resolve(&store, target)?;
    match format {
        ReportFormat::Html => {
            let dir = out
                .map(Path::to_path_buf)
                .unwrap_or_else(|| Path::new("reports").join(&experiment));
            let index = write_html(&store, run, &dir)?;
            if !cli.quiet {
                output::note(&format!("report of run {run}: {}", index.display()));
            }
        }
        ReportFormat::Markdown => {
            let input = report_input(&store, run)?;
            let md = lfg_report::markdown_tables(&input)?;
            match out {
                Some(p) => {
                    std::fs::write(p, md).with_context(|| format!("writing {}", p.display()))?
                }
                None => output::out(&md),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
