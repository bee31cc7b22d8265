//! Command-line interface definition (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Latent Factor Generator research platform: run experiments, track results, report.
#[derive(Debug, Parser)]
#[command(name = "lfg", version, about, propagate_version = true)]
pub struct Cli {
    /// Only print errors (no progress bars, no log lines).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// More log output (-v: info, -vv: debug, -vvv: trace). `RUST_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// The SQLite tracking store.
    #[arg(
        long,
        global = true,
        env = "LFG_STORE",
        default_value = "results/lfg.sqlite",
        value_name = "PATH"
    )]
    pub store: PathBuf,

    /// Seconds to wait for another process's lock on the store before giving up.
    #[arg(long, global = true, default_value_t = 5.0, value_name = "SECONDS")]
    pub lock_timeout: f64,

    /// Where data sets live (`<DIR>/ml-100k`, `<DIR>/ml-1m`); default: $LFG_DATA_DIR, else ./data.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats of `lfg export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One line per (trial, fold, metric).
    Csv,
    /// The full run detail.
    Json,
}

/// Output formats of `lfg report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A folder with index.html, charts (PNG + SVG), Markdown and CSV tables.
    Html,
    /// The Markdown tables on stdout.
    Markdown,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an experiment file and record every fold in the store.
    Run(RunArgs),
    /// Validate an experiment file (syntax, keys, every hyperparameter) without running it.
    Check {
        /// The experiment file.
        file: PathBuf,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the runs in the store.
    Runs {
        /// Print JSON: [{"run", "experiment", "status", "started", "finished"}].
        #[arg(long)]
        json: bool,
    },
    /// Show a run: per setting and model, mean and std of each metric over folds, per fold.
    Show {
        /// Run id, or `latest`.
        #[arg(default_value = "latest")]
        run: String,
        /// Print JSON (shape documented in the README).
        #[arg(long)]
        json: bool,
    },
    /// Compare two runs model by model (b - a).
    Compare {
        /// Run a (id or `latest`).
        a: String,
        /// Run b (id or `latest`).
        b: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export a run's fold-level results.
    Export {
        /// Run id, or `latest`.
        run: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Write to this file instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Data sets: check or fetch.
    #[command(subcommand)]
    Data(DataCommand),
    /// Write a report of a run (or of the latest run of an experiment).
    Report {
        /// Run id, `latest`, an experiment name, or an experiment file.
        target: String,
        /// Output folder (default reports/<experiment>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
        format: ReportFormat,
    },
    /// Recommend items to a new user from a saved model (LFG generation or baseline fold-in).
    Recommend(RecommendArgs),
}

/// `lfg run` arguments.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The experiment file.
    pub file: PathBuf,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Finish the latest interrupted run of the same spec (only missing folds are computed).
    #[arg(long)]
    pub resume: bool,
    /// Recompute every fold, even those an identical earlier run already finished.
    #[arg(long)]
    pub fresh: bool,
    /// Do not write the report after the run.
    #[arg(long)]
    pub no_report: bool,
    /// Report folder (default reports/<experiment>/).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// Fail instead of downloading a missing MovieLens data set (default: fetch it from
    /// GroupLens into the data folder, checksum verified, as `lfg data fetch` does).
    #[arg(long)]
    pub no_fetch: bool,
    /// Save every model row's fold-1 model under DIR/<setting>/ (for `lfg recommend`).
    #[arg(long, value_name = "DIR")]
    pub save_models: Option<PathBuf>,
}

/// `lfg data` subcommands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Load a data set and print its summary.
    Check {
        /// `ml-100k`, `ml-1m`, or a path to a ratings.csv.
        dataset: String,
        /// Print JSON: {"dataset", "users", "items", "ratings", ...}.
        #[arg(long)]
        json: bool,
    },
    /// Download a data set (official GroupLens zip, checksum verified) into the data folder.
    Fetch {
        /// `ml-100k` or `ml-1m`.
        dataset: String,
    },
}

/// `lfg recommend` arguments.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// A saved model: an LFG model folder, or a baseline's JSON file.
    #[arg(long)]
    pub model: PathBuf,
    /// The new user's ratings: CSV lines `item,rating` (a header line is skipped).
    #[arg(long)]
    pub ratings: PathBuf,
    /// Number of recommendations.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Map raw item ids of this data set (`ml-100k`, `ml-1m`) to the model's dense indices
    /// and print titles; without it, items are dense indices.
    #[arg(long)]
    pub dataset: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}
