//! `lfg`: the command-line interface of the Latent Factor Generator research platform.
//!
//! Exit codes: 0 success, 1 error (invalid experiment file, missing data, locked store, ...),
//! 2 usage error (clap), 3 run interrupted (finish it with `lfg run --resume`).

mod cli;
mod commands;
mod data_cmd;
mod output;
mod recommend;
mod report_cmd;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command};

fn init_tracing(cli: &Cli) {
    let default = if cli.quiet {
        "error"
    } else {
        match cli.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli);
    let result = match &cli.command {
        Command::Run(args) => commands::run(&cli, args),
        Command::Check { file, json } => commands::check(file, *json),
        Command::Runs { json } => commands::runs(&cli, *json),
        Command::Show { run, json } => commands::show(&cli, run, *json),
        Command::Compare { a, b, json } => commands::compare(&cli, a, b, *json),
        Command::Export { run, format, out } => {
            commands::export(&cli, run, *format, out.as_deref())
        }
        Command::Data(cmd) => data_cmd::data(&cli, cmd),
        Command::Report {
            target,
            out,
            format,
        } => report_cmd::report(&cli, target, out.as_deref(), *format),
        Command::Recommend(args) => recommend::recommend(&cli, args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            output::error(&e);
            ExitCode::FAILURE
        }
    }
}
