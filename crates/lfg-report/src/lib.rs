//! Reports of `lfg` runs: a self-contained `index.html`, every chart as PNG and SVG
//! (plotters), and the tables as Markdown and CSV.
//!
//! The input is [`ReportInput`], plain data read from the tracking store (nothing is
//! recomputed from ratings). [`render`] writes a report folder; [`markdown_tables`] returns
//! the tables alone (for `lfg report --format markdown` and the README).
//!
//! Chart text is drawn with DejaVu Sans compiled into the binary ([`font`]), so PNGs render
//! the same on a machine without any installed font. The paper's four tables are data
//! embedded from `data/paper_tables.toml` ([`paper`]); every setting that reproduces one of
//! them shows paper vs ours with the difference.

pub mod charts;
pub mod fixture;
pub mod font;
pub mod html;
pub mod input;
pub mod paper;
mod stats;
mod store;
pub mod tables;

use std::path::{Path, PathBuf};

pub use charts::ChartFile;
pub use html::escape_html;
pub use input::{
    ColdStartPoint, EpochPoint, FoldResult, LearningCurve, ModelReport, PairedComparison,
    ReportInput, RunMeta, SettingReport, SweepReport, SweepTrial,
};
pub use paper::{PaperModel, PaperTable, PaperTables, PaperVsOurs, paper_tables};
pub use stats::lower_is_better;
pub use store::{from_detail, load_from_store};
pub use tables::markdown_tables;

/// Errors of report generation.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// plotters failed to draw or encode a chart.
    #[error("chart {chart}: {message}")]
    Chart {
        /// Chart file stem.
        chart: String,
        /// What went wrong.
        message: String,
    },
    /// The embedded font could not be parsed.
    #[error("embedded font {name} could not be registered with plotters")]
    Font {
        /// Font file.
        name: &'static str,
    },
    /// The embedded paper tables did not parse (a build defect).
    #[error("embedded paper tables (crates/lfg-report/data/paper_tables.toml): {0}")]
    PaperData(String),
    /// A setting is tagged with a paper table that does not exist.
    #[error("setting {setting:?}: paper-table = {table}, but the paper has tables 1 to 4 only")]
    UnknownPaperTable {
        /// Setting name.
        setting: String,
        /// The tag.
        table: u8,
    },
    /// The embedded HTML template is malformed (a build defect).
    #[error("HTML template (crates/lfg-report/templates/index.html): {0}")]
    Template(String),
    /// Reading the run from the store failed.
    #[error("reading the run from the store: {0}")]
    Store(#[from] lfg_store::StoreError),
    /// The report input is unusable.
    #[error("invalid report input: {0}")]
    Input(String),
}

/// Rendering options.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// Page title; default: `"lfg report: <experiment> (run <id>)"`.
    pub title: Option<String>,
    /// Width in pixels of the standard charts (default 1000).
    pub chart_width: u32,
    /// Height in pixels of the standard charts (default 560). Timing and sweep charts scale
    /// their height with the number of models / parameters.
    pub chart_height: u32,
    /// Draw charts (default true). Without charts only `index.html`, `tables.md` and CSVs
    /// are written.
    pub charts: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            title: None,
            chart_width: 1000,
            chart_height: 560,
            charts: true,
        }
    }
}

/// What [`render`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFiles {
    /// The report folder.
    pub dir: PathBuf,
    /// `<dir>/index.html`.
    pub index_html: PathBuf,
    /// `<dir>/tables.md` (same text as [`markdown_tables`]).
    pub markdown: PathBuf,
    /// `<dir>/report-input.json`: the exact input rendered (for re-rendering and audits).
    pub input_json: PathBuf,
    /// CSV files: `summary.csv`, `folds.csv`, `paper_vs_ours.csv`, `comparisons.csv`,
    /// `cold_start.csv`, `sweeps.csv`.
    pub csv: Vec<PathBuf>,
    /// Every chart (PNG + SVG each), in page order.
    pub charts: Vec<ChartFile>,
}

fn write(path: PathBuf, contents: &[u8]) -> Result<PathBuf, ReportError> {
    std::fs::write(&path, contents).map_err(|source| ReportError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Check the parts of the input that rendering relies on.
fn check_input(input: &ReportInput, opts: &ReportOptions) -> Result<(), ReportError> {
    if opts.chart_width < 320 || opts.chart_height < 240 {
        return Err(ReportError::Input(format!(
            "chart size {}x{} is too small (at least 320x240)",
            opts.chart_width, opts.chart_height
        )));
    }
    let mut names: Vec<String> = input
        .settings
        .iter()
        .map(|s| tables::slug(&s.name))
        .collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(ReportError::Input(format!(
            "two settings share the file name stem {:?}; setting names must differ in letters or digits",
            w[0]
        )));
    }
    Ok(())
}

/// Write the report for `input` into `out_dir` (created if missing): `index.html`,
/// `tables.md`, CSV tables, `report-input.json` and every chart as `<name>.png` + `<name>.svg`.
pub fn render(
    input: &ReportInput,
    out_dir: &Path,
    opts: &ReportOptions,
) -> Result<ReportFiles, ReportError> {
    check_input(input, opts)?;
    std::fs::create_dir_all(out_dir).map_err(|source| ReportError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut charts = Vec::new();
    if opts.charts {
        font::ensure_fonts()?;
        for s in &input.settings {
            for spec in charts::setting_specs(s, opts.chart_width, opts.chart_height)? {
                tracing::debug!(chart = %spec.name, "rendering chart");
                charts.push(charts::render_spec(&spec, out_dir)?);
            }
        }
    }
    let title = opts.title.clone().unwrap_or_else(|| {
        format!(
            "lfg report: {} (run {})",
            input.run.experiment, input.run.run_id
        )
    });
    let html = html::index_html(input, &title, &charts)?;
    let index_html = write(out_dir.join("index.html"), html.as_bytes())?;
    let markdown = write(
        out_dir.join("tables.md"),
        markdown_tables(input)?.as_bytes(),
    )?;
    let json = serde_json::to_vec_pretty(input)
        .map_err(|e| ReportError::Input(format!("cannot serialise the input: {e}")))?;
    let input_json = write(out_dir.join("report-input.json"), &json)?;
    let csv = tables::csv_files(input)?
        .into_iter()
        .map(|(name, text)| write(out_dir.join(name), text.as_bytes()))
        .collect::<Result<Vec<_>, _>>()?;
    tracing::info!(dir = %out_dir.display(), charts = charts.len(), "report written");
    Ok(ReportFiles {
        dir: out_dir.to_path_buf(),
        index_html,
        markdown,
        input_json,
        csv,
        charts,
    })
}
