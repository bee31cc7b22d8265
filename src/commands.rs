//! `lfg run`, `check`, `runs`, `show`, `compare`, `export`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use lfg_runner::{ExperimentSpec, RunError, RunOptions, results};
use lfg_store::{NewRun, Store, StoreOptions};
use serde::Serialize;

use crate::cli::{Cli, ExportFormat, RunArgs};
use crate::output;

/// Exit code of an interrupted run.
pub const EXIT_INTERRUPTED: u8 = 3;

/// Opens the store named by `--store`.
pub fn open_store(cli: &Cli) -> Result<Store> {
    if !(cli.lock_timeout.is_finite() && cli.lock_timeout >= 0.0) {
        anyhow::bail!(
            "--lock-timeout {}: expected a number of seconds >= 0",
            cli.lock_timeout
        );
    }
    let options = StoreOptions {
        busy_timeout: std::time::Duration::from_secs_f64(cli.lock_timeout),
        ..StoreOptions::default()
    };
    Ok(Store::open_with(&cli.store, options)?)
}

/// The data folder: `--data-dir`, else `LFG_DATA_DIR`, else `./data`.
pub fn data_dir(cli: &Cli) -> PathBuf {
    lfg_data::data_dir(cli.data_dir.as_deref())
}

fn git(args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(args)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn host() -> Option<String> {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|h| !h.is_empty())
        })
}

fn provenance() -> NewRun {
    let commit = git(&["rev-parse", "HEAD"]);
    let dirty = commit
        .as_ref()
        .and_then(|_| git(&["status", "--porcelain", "--untracked-files=no"]))
        .map(|s| !s.is_empty());
    NewRun {
        git_commit: commit,
        git_dirty: dirty,
        host: host(),
        lfg_version: env!("CARGO_PKG_VERSION").to_string(),
        cli_args: std::env::args().collect(),
    }
}

/// A flag set by the first Ctrl-C (or SIGTERM): the runner starts no new fold, lets the
/// running ones commit, marks the run `interrupted` and returns. A second Ctrl-C exits at
/// once; every fold committed so far is kept (each fold is one transaction) and
/// `lfg run --resume` picks up the rest.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&flag);
    let installed = ctrlc::set_handler(move || {
        if f.swap(true, Ordering::SeqCst) {
            output::note("lfg: second interrupt: exiting now; committed folds are kept");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        output::note(
            "lfg: interrupt: finishing the running folds (Ctrl-C again to exit now); rerun with --resume",
        );
    });
    if let Err(e) = installed {
        tracing::warn!(error = %e, "could not install the Ctrl-C handler");
    }
    flag
}

/// Downloads the MovieLens data sets `spec` needs and the data folder lacks (a fresh clone
/// runs the paper jobs with no setup); `--no-fetch` turns this off.
fn fetch_missing(cli: &Cli, spec: &ExperimentSpec) -> Result<()> {
    let dir = data_dir(cli);
    let mut needed: Vec<(&str, &str)> = Vec::new();
    for d in std::iter::once(&spec.dataset).chain(spec.settings.iter().map(|s| &s.dataset)) {
        let want = match d {
            lfg_runner::DatasetSpec::Ml100k => ("ml-100k", "u.data"),
            lfg_runner::DatasetSpec::Ml1m => ("ml-1m", "ratings.dat"),
            lfg_runner::DatasetSpec::Csv(_) => continue,
        };
        if !needed.contains(&want) {
            needed.push(want);
        }
    }
    for (name, key_file) in needed {
        if dir.join(name).join(key_file).is_file() {
            continue;
        }
        output::note(&format!(
            "lfg: {name} is not in {} (set --data-dir or LFG_DATA_DIR to use a copy); downloading it from GroupLens",
            dir.display()
        ));
        let opts = lfg_data::fetch::FetchOptions {
            progress: !cli.quiet && std::io::stderr().is_terminal(),
            ..lfg_data::fetch::FetchOptions::default()
        };
        lfg_data::fetch::fetch(name, &dir, &opts).with_context(|| {
            format!("{name} is missing from {} and could not be downloaded (rerun with --no-fetch to skip downloading)", dir.display())
        })?;
    }
    Ok(())
}

/// `lfg run`.
pub fn run(cli: &Cli, args: &RunArgs) -> Result<ExitCode> {
    let spec = ExperimentSpec::load(&args.file)?;
    if !args.no_fetch {
        fetch_missing(cli, &spec)?;
    }
    let store = open_store(cli)?;
    let opts = RunOptions {
        jobs: args.jobs.unwrap_or(0),
        resume: args.resume,
        reuse: !args.fresh,
        data_dir: data_dir(cli),
        progress: !cli.quiet && std::io::stderr().is_terminal(),
        provenance: provenance(),
        interrupt: Some(interrupt_flag()),
        save_models: args.save_models.clone(),
    };
    let outcome = match lfg_runner::run_experiment(&spec, &store, &opts) {
        Ok(o) => o,
        Err(e @ RunError::Interrupted { .. }) => {
            output::note(&format!("lfg: {e}"));
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        }
        Err(e) => return Err(e.into()),
    };
    if !cli.quiet {
        output::note(&format!(
            "run {} of `{}` {}: {} fold(s) computed, {} already done, {:.1} s",
            outcome.run,
            spec.name,
            if outcome.resumed {
                "resumed and finished"
            } else {
                "finished"
            },
            outcome.folds_computed,
            outcome.folds_skipped,
            outcome.seconds
        ));
    }
    let detail = store.run_detail(outcome.run)?;
    if !cli.quiet {
        output::out(&results::show_text(&results::show(&detail)));
    }
    if !args.no_report {
        let dir = args
            .report_dir
            .clone()
            .unwrap_or_else(|| Path::new("reports").join(&spec.name));
        match crate::report_cmd::write_html(&store, outcome.run, &dir) {
            Ok(index) => {
                if !cli.quiet {
                    output::note(&format!("report: {}", index.display()));
                }
            }
            // The results are committed; a report failure must not hide them.
            Err(e) => output::note(&format!(
                "lfg: warning: the report was not written: {e:#} (retry with `lfg report {}`)",
                outcome.run
            )),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `lfg check`.
pub fn check(file: &Path, json: bool) -> Result<ExitCode> {
    let spec = ExperimentSpec::load(file)?;
    let summary = lfg_runner::check_spec(&spec).map_err(lfg_runner::SpecError::from)?;
    if json {
        output::json(&summary)?;
    } else {
        let mut s = format!(
            "{}: ok: experiment `{}` (spec {}), {} job(s)\n",
            file.display(),
            summary.experiment,
            &summary.spec_hash[..12],
            summary.jobs
        );
        for p in &summary.settings {
            s.push_str(&format!(
                "  {}: {} on {}, {} folds, models: {}{}\n",
                p.name,
                p.protocol,
                p.dataset,
                p.folds,
                p.models.join(", "),
                if p.sweep_candidates > 0 {
                    format!(" ({} sweep candidates)", p.sweep_candidates)
                } else {
                    String::new()
                }
            ));
        }
        output::out(&s);
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of `lfg runs --json`.
#[derive(Serialize)]
struct RunLine {
    run: i64,
    experiment: String,
    status: String,
    started: String,
    finished: Option<String>,
}

/// `lfg runs`.
pub fn runs(cli: &Cli, json: bool) -> Result<ExitCode> {
    let store = open_store(cli)?;
    let runs = store.list_runs()?;
    let lines: Vec<RunLine> = runs
        .iter()
        .map(|r| RunLine {
            run: r.run.get(),
            experiment: r.experiment.clone(),
            status: r.status.to_string(),
            started: r.started.clone(),
            finished: r.finished.clone(),
        })
        .collect();
    if json {
        output::json(&lines)?;
        return Ok(ExitCode::SUCCESS);
    }
    if lines.is_empty() {
        output::out(&format!("no runs in {}", cli.store.display()));
        return Ok(ExitCode::SUCCESS);
    }
    let w = lines
        .iter()
        .map(|l| l.experiment.len())
        .max()
        .unwrap_or(10)
        .max(10);
    let mut s = format!(
        "{:>5}  {:<w$}  {:<11}  {:<25}  {}\n",
        "run", "experiment", "status", "started", "finished"
    );
    for l in &lines {
        s.push_str(&format!(
            "{:>5}  {:<w$}  {:<11}  {:<25}  {}\n",
            l.run,
            l.experiment,
            l.status,
            l.started,
            l.finished.as_deref().unwrap_or("-")
        ));
    }
    output::out(&s);
    Ok(ExitCode::SUCCESS)
}

/// `lfg show`.
pub fn show(cli: &Cli, run: &str, json: bool) -> Result<ExitCode> {
    let store = open_store(cli)?;
    let id = store.resolve_run(run)?;
    let detail = store.run_detail(id)?;
    let view = results::show(&detail);
    if json {
        output::json(&view)?;
    } else {
        output::out(&results::show_text(&view));
    }
    Ok(ExitCode::SUCCESS)
}

/// `lfg compare`.
pub fn compare(cli: &Cli, a: &str, b: &str, json: bool) -> Result<ExitCode> {
    let store = open_store(cli)?;
    let (a, b) = (store.resolve_run(a)?, store.resolve_run(b)?);
    let c = store.compare_runs(a, b)?;
    if json {
        output::json(&c)?;
    } else {
        output::out(&results::compare_text(&c));
    }
    Ok(ExitCode::SUCCESS)
}

/// `lfg export`.
pub fn export(cli: &Cli, run: &str, format: ExportFormat, out: Option<&Path>) -> Result<ExitCode> {
    let store = open_store(cli)?;
    let id = store.resolve_run(run)?;
    let detail = store.run_detail(id)?;
    let text = match format {
        ExportFormat::Csv => results::export_csv(&detail),
        ExportFormat::Json => serde_json::to_string_pretty(&detail)? + "\n",
    };
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => output::out(&text),
    }
    Ok(ExitCode::SUCCESS)
}
