//! Render the synthetic fixture report: `cargo run -p lfg-report --example render_fixture -- <out-dir>`.

use std::path::PathBuf;
use std::process::ExitCode;

use lfg_report::{ReportOptions, fixture::demo_input, render};

fn main() -> ExitCode {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/fixture-report"));
    match render(&demo_input(), &out, &ReportOptions::default()) {
        Ok(files) => {
            #[allow(clippy::print_stdout)]
            {
                println!("{}", files.index_html.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("render_fixture: {e}");
            }
            ExitCode::FAILURE
        }
    }
}
