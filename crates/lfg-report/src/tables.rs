//! Table contents shared by the Markdown, CSV and HTML outputs, and the Markdown/CSV writers.

use std::fmt::Write as _;

use crate::ReportError;
use crate::input::{ModelReport, PairedComparison, ReportInput, SettingReport};
use crate::paper::{PaperTable, PaperVsOurs, paper_vs_ours};
use crate::stats::{Stats, lower_is_better, stats};

/// Metrics shown first, in this order; any other metric follows alphabetically.
const METRIC_ORDER: &[&str] = &["rmse", "mae", "per-user-rmse"];

/// A column of the summary table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Column {
    Metric(String),
    FitSeconds,
    PredictSeconds,
    ServeMsPerUser,
}

impl Column {
    pub(crate) fn header(&self) -> String {
        match self {
            Column::Metric(m) => metric_title(m),
            Column::FitSeconds => "fit (s)".into(),
            Column::PredictSeconds => "predict (s)".into(),
            Column::ServeMsPerUser => "serve (ms/user)".into(),
        }
    }
    pub(crate) fn key(&self) -> String {
        match self {
            Column::Metric(m) => m.clone(),
            Column::FitSeconds => "fit-seconds".into(),
            Column::PredictSeconds => "predict-seconds".into(),
            Column::ServeMsPerUser => "serve-ms-per-user".into(),
        }
    }
    fn lower_is_better(&self) -> bool {
        match self {
            Column::Metric(m) => lower_is_better(m),
            _ => true,
        }
    }
    fn values(&self, m: &ModelReport) -> Vec<f64> {
        match self {
            Column::Metric(name) => m.metric_values(name),
            Column::FitSeconds => m.folds.iter().map(|f| f.fit_seconds).collect(),
            Column::PredictSeconds => m.folds.iter().map(|f| f.predict_seconds).collect(),
            Column::ServeMsPerUser => m
                .folds
                .iter()
                .filter_map(|f| f.serve_seconds_per_user.map(|s| s * 1e3))
                .collect(),
        }
    }
    fn is_time(&self) -> bool {
        !matches!(self, Column::Metric(_))
    }
}

/// Human title of a metric name.
pub(crate) fn metric_title(m: &str) -> String {
    match m {
        "rmse" => "RMSE".into(),
        "mae" => "MAE".into(),
        "per-user-rmse" => "per-user RMSE".into(),
        other => other.to_string(),
    }
}

/// Metrics recorded by any model of a setting, in display order.
pub(crate) fn setting_metrics(s: &SettingReport) -> Vec<String> {
    let mut all: Vec<String> = s
        .models
        .iter()
        .flat_map(|m| m.folds.iter().flat_map(|f| f.metrics.keys().cloned()))
        .collect();
    all.sort();
    all.dedup();
    let mut out: Vec<String> = METRIC_ORDER
        .iter()
        .filter(|m| all.iter().any(|a| a == *m))
        .map(|m| m.to_string())
        .collect();
    out.extend(
        all.into_iter()
            .filter(|m| !METRIC_ORDER.contains(&m.as_str())),
    );
    out
}

/// The setting's headline metric: `rmse` when recorded, else the first metric.
pub(crate) fn primary_metric(s: &SettingReport) -> Option<String> {
    setting_metrics(s).into_iter().next()
}

/// Mean ± std per model and column, with the best row per column.
#[derive(Debug, Clone)]
pub(crate) struct SummaryTable {
    pub columns: Vec<Column>,
    pub labels: Vec<String>,
    /// `cells[row][col]`
    pub cells: Vec<Vec<Option<Stats>>>,
    /// Best row per column (ties: first).
    pub best: Vec<Option<usize>>,
}

pub(crate) fn summary_table(s: &SettingReport) -> SummaryTable {
    let mut columns: Vec<Column> = setting_metrics(s).into_iter().map(Column::Metric).collect();
    columns.push(Column::FitSeconds);
    columns.push(Column::PredictSeconds);
    if s.models
        .iter()
        .any(|m| m.folds.iter().any(|f| f.serve_seconds_per_user.is_some()))
    {
        columns.push(Column::ServeMsPerUser);
    }
    let labels = s.models.iter().map(ModelReport::label).collect();
    let cells: Vec<Vec<Option<Stats>>> = s
        .models
        .iter()
        .map(|m| columns.iter().map(|c| stats(&c.values(m))).collect())
        .collect();
    let best = columns
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let lower = c.lower_is_better();
            let mut best: Option<(usize, f64)> = None;
            for (ri, row) in cells.iter().enumerate() {
                if let Some(st) = row[ci] {
                    let better = match best {
                        None => true,
                        Some((_, b)) => {
                            if lower {
                                st.mean < b
                            } else {
                                st.mean > b
                            }
                        }
                    };
                    if better {
                        best = Some((ri, st.mean));
                    }
                }
            }
            // a single model is not "best" of anything
            best.filter(|_| cells.iter().filter(|r| r[ci].is_some()).count() > 1)
                .map(|(r, _)| r)
        })
        .collect();
    SummaryTable {
        columns,
        labels,
        cells,
        best,
    }
}

/// Format a metric value (4 decimals).
pub(crate) fn f4(x: f64) -> String {
    format!("{x:.4}")
}

/// Format a signed difference (4 decimals, explicit sign, true minus sign).
pub(crate) fn signed4(x: f64) -> String {
    if x < 0.0 {
        format!("\u{2212}{:.4}", -x)
    } else {
        format!("+{x:.4}")
    }
}

/// Format a time in seconds (or ms) with about 3 significant digits.
pub(crate) fn fmt_time(x: f64) -> String {
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a >= 0.01 {
        format!("{x:.3}")
    } else if a == 0.0 {
        "0".into()
    } else {
        format!("{x:.2e}")
    }
}

/// Format `mean ± std` of a time: both with the decimals that give the mean about three
/// significant digits (scientific below 0.001).
pub(crate) fn fmt_time_pm(mean: f64, std: f64) -> String {
    let a = mean.abs();
    let d = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else if a >= 0.1 {
        3
    } else if a >= 0.01 {
        4
    } else if a >= 0.001 {
        5
    } else {
        return format!("{mean:.2e} ± {std:.1e}");
    };
    format!("{mean:.d$} ± {std:.d$}")
}

/// Format one summary cell: `mean ± std` (metrics: 4 decimals; times: see [`fmt_time_pm`]).
pub(crate) fn fmt_cell(col: &Column, st: &Stats) -> String {
    if col.is_time() {
        fmt_time_pm(st.mean, st.std)
    } else {
        format!("{} ± {}", f4(st.mean), f4(st.std))
    }
}

/// Format a p-value.
pub(crate) fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// `p = 0.012` or `p < 0.001`, for sentences.
pub(crate) fn p_clause(p: f64) -> String {
    let p = fmt_p(p);
    if p.starts_with('<') {
        format!("p {p}")
    } else {
        format!("p = {p}")
    }
}

/// ` A − B (method): d, 95% CI [lo, hi], p = x.` for a summary sentence; `name` renders the
/// model names (escaped for HTML), `note` wraps the "not significant" remark.
pub(crate) fn comparison_clause(
    c: &PairedComparison,
    name: impl Fn(&str) -> String,
    note: (&str, &str),
) -> String {
    let mut out = format!(
        " {} \u{2212} {} ({}): {}, 95% CI [{}, {}]",
        name(&c.a),
        name(&c.b),
        name(&c.method),
        signed4(c.mean_diff),
        signed4(c.ci_low),
        signed4(c.ci_high)
    );
    if let Some(p) = c.p_value {
        let _ = write!(out, ", {}", p_clause(p));
    }
    if c.ci_low <= 0.0 && c.ci_high >= 0.0 {
        let _ = write!(
            out,
            " {}interval includes 0: not significant at 95%{}",
            note.0, note.1
        );
    }
    out.push('.');
    out
}

/// One line of the report summary for a setting.
#[derive(Debug, Clone)]
pub(crate) struct SettingSummary {
    pub metric: String,
    pub n_folds: usize,
    pub winner: String,
    pub winner_stats: Stats,
    pub runner_up: Option<(String, Stats)>,
    /// Paired comparison winner - runner-up, oriented that way.
    pub comparison: Option<PairedComparison>,
    pub paper: Option<(&'static PaperTable, Vec<PaperVsOurs>)>,
}

pub(crate) fn setting_summary(s: &SettingReport) -> Result<Option<SettingSummary>, ReportError> {
    let Some(metric) = primary_metric(s) else {
        return Ok(None);
    };
    let lower = lower_is_better(&metric);
    let mut ranked: Vec<(String, Stats)> = s
        .models
        .iter()
        .filter_map(|m| stats(&m.metric_values(&metric)).map(|st| (m.label(), st)))
        .collect();
    ranked.sort_by(|a, b| {
        let o = a.1.mean.total_cmp(&b.1.mean);
        if lower { o } else { o.reverse() }
    });
    let mut it = ranked.into_iter();
    let Some((winner, winner_stats)) = it.next() else {
        return Ok(None);
    };
    let runner_up = it.next();
    let comparison = runner_up.as_ref().and_then(|(ru, _)| {
        s.comparisons.iter().find_map(|c| {
            if c.metric != metric {
                None
            } else if c.a == winner && &c.b == ru {
                Some(c.clone())
            } else if &c.a == ru && c.b == winner {
                Some(PairedComparison {
                    a: c.b.clone(),
                    b: c.a.clone(),
                    mean_diff: -c.mean_diff,
                    ci_low: -c.ci_high,
                    ci_high: -c.ci_low,
                    ..c.clone()
                })
            } else {
                None
            }
        })
    });
    Ok(Some(SettingSummary {
        n_folds: winner_stats.n,
        metric,
        winner,
        winner_stats,
        runner_up,
        comparison,
        paper: paper_vs_ours(s)?,
    }))
}

/// Plain-text (Markdown) sentence of a setting summary.
pub(crate) fn summary_sentence_md(sum: &SettingSummary) -> String {
    let mut out = format!(
        "**{}** is best on {} ({} ± {} over {} folds)",
        sum.winner,
        metric_title(&sum.metric),
        f4(sum.winner_stats.mean),
        f4(sum.winner_stats.std),
        sum.n_folds
    );
    if let Some((ru, st)) = &sum.runner_up {
        let gap = (st.mean - sum.winner_stats.mean).abs();
        let _ = write!(out, ", ahead of {ru} ({}) by {}", f4(st.mean), f4(gap));
    }
    out.push('.');
    if let Some(c) = &sum.comparison {
        out.push_str(&comparison_clause(c, |x| x.to_string(), ("(", ")")));
    }
    if let Some((table, rows)) = &sum.paper {
        let parts: Vec<String> = rows
            .iter()
            .map(|r| match (r.ours_mean, r.diff) {
                (Some(o), Some(d)) => format!(
                    "{} {} vs {} ({})",
                    r.model,
                    f4(o),
                    f4(r.paper_mean),
                    signed4(d)
                ),
                _ => format!("{} not run (paper {})", r.model, f4(r.paper_mean)),
            })
            .collect();
        let _ = write!(
            out,
            " Paper Table {} (ours vs paper): {}.",
            table.number,
            parts.join("; ")
        );
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn md_table(out: &mut String, header: &[String], align_right_from: usize, rows: &[Vec<String>]) {
    let _ = writeln!(
        out,
        "| {} |",
        header
            .iter()
            .map(|h| md_escape(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let seps: Vec<&str> = (0..header.len())
        .map(|i| if i >= align_right_from { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "|{}|", seps.join("|"));
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

/// Run metadata as (key, value) pairs, in display order.
pub(crate) fn run_meta_pairs(input: &ReportInput) -> Vec<(&'static str, String)> {
    let r = &input.run;
    let mut v = vec![
        ("Run", r.run_id.clone()),
        ("Experiment", r.experiment.clone()),
        (
            "Commit",
            match &r.commit {
                Some(c) if r.dirty => format!("{c} (dirty work tree)"),
                Some(c) => c.clone(),
                None => "unknown".into(),
            },
        ),
        ("Date", r.date.clone()),
        ("Host", r.host.clone()),
        ("lfg version", r.lfg_version.clone()),
        ("Spec hash", r.spec_hash.clone()),
        (
            "Hyperparameters chosen by",
            r.tuned_by.clone().unwrap_or_else(|| "not recorded".into()),
        ),
    ];
    if let Some(w) = r.wall_seconds {
        v.push(("Wall time (s)", fmt_time(w)));
    }
    v
}

/// Anchor/file-name slug of a setting name.
pub(crate) fn slug(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "setting".into() } else { s }
}

/// The report's tables as Markdown: run metadata, then per setting the summary sentence,
/// mean ± std per model (best in bold), paper vs ours, paired comparisons, the cold-start
/// table and the per-fold values of the headline metric.
///
/// This is what `lfg report --format markdown` prints and what `tables.md` holds.
pub fn markdown_tables(input: &ReportInput) -> Result<String, ReportError> {
    let mut out = String::new();
    let r = &input.run;
    let _ = writeln!(out, "## Results: {}\n", md_escape(&r.experiment));
    let meta = run_meta_pairs(input);
    let meta_line: Vec<String> = meta
        .iter()
        .filter(|(k, _)| *k != "Experiment")
        .map(|(k, v)| format!("{k}: `{}`", md_escape(v)))
        .collect();
    let _ = writeln!(out, "{}\n", meta_line.join(" · "));

    for s in &input.settings {
        let _ = writeln!(
            out,
            "### {} ({}, {})\n",
            md_escape(&s.name),
            md_escape(&s.dataset),
            md_escape(&s.protocol)
        );
        if !s.description.is_empty() {
            let _ = writeln!(out, "{}\n", md_escape(&s.description));
        }
        if let Some(sum) = setting_summary(s)? {
            let _ = writeln!(out, "{}\n", summary_sentence_md(&sum));
        }

        let t = summary_table(s);
        if !t.labels.is_empty() {
            let mut header = vec!["Model".to_string()];
            header.extend(t.columns.iter().map(Column::header));
            let rows: Vec<Vec<String>> = t
                .labels
                .iter()
                .enumerate()
                .map(|(ri, l)| {
                    let mut row = vec![md_escape(l)];
                    for (ci, c) in t.columns.iter().enumerate() {
                        row.push(match &t.cells[ri][ci] {
                            Some(st) if t.best[ci] == Some(ri) => {
                                format!("**{}**", fmt_cell(c, st))
                            }
                            Some(st) => fmt_cell(c, st),
                            None => "–".into(),
                        });
                    }
                    row
                })
                .collect();
            md_table(&mut out, &header, 1, &rows);
            let n = t
                .cells
                .iter()
                .flatten()
                .flatten()
                .map(|s| s.n)
                .max()
                .unwrap_or(0);
            let _ = writeln!(
                out,
                "Mean ± std over {n} folds; **bold** = best per column (lower is better for errors and times, higher for ranking metrics).\n"
            );
        }

        if let Some((table, rows)) = paper_vs_ours(s)? {
            let _ = writeln!(
                out,
                "#### Paper vs ours (Table {}: {})\n",
                table.number,
                md_escape(&table.title)
            );
            let header: Vec<String> = [
                "Model",
                "Our row",
                "Paper RMSE",
                "Ours (mean ± std)",
                "Ours − paper",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.model.clone(),
                        md_escape(r.ours_label.as_deref().unwrap_or("not run")),
                        f4(r.paper_mean),
                        match (r.ours_mean, r.ours_std) {
                            (Some(m), Some(sd)) => format!("{} ± {}", f4(m), f4(sd)),
                            _ => "–".into(),
                        },
                        r.diff.map(signed4).unwrap_or_else(|| "–".into()),
                    ]
                })
                .collect();
            md_table(&mut out, &header, 2, &rows);
        }

        if !s.comparisons.is_empty() {
            let _ = writeln!(out, "#### Paired comparisons across folds\n");
            let header: Vec<String> = ["A", "B", "Metric", "Mean A − B", "95% CI", "p", "Method"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let rows: Vec<Vec<String>> = s
                .comparisons
                .iter()
                .map(|c| {
                    vec![
                        md_escape(&c.a),
                        md_escape(&c.b),
                        md_escape(&metric_title(&c.metric)),
                        signed4(c.mean_diff),
                        format!("[{}, {}]", signed4(c.ci_low), signed4(c.ci_high)),
                        c.p_value.map(fmt_p).unwrap_or_else(|| "–".into()),
                        md_escape(&c.method),
                    ]
                })
                .collect();
            md_table(&mut out, &header, 3, &rows);
        }

        if let Some((reveals, rows)) = cold_start_table(s) {
            let _ = writeln!(out, "#### Cold start: RMSE by number of revealed ratings\n");
            let mut header = vec!["Model".to_string()];
            header.extend(reveals.iter().map(|r| r.to_string()));
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|(label, cells)| {
                    let mut row = vec![md_escape(label)];
                    row.extend(cells.iter().map(|c| match c {
                        Some(st) => format!("{} ± {}", f4(st.mean), f4(st.std)),
                        None => "–".into(),
                    }));
                    row
                })
                .collect();
            md_table(&mut out, &header, 1, &rows);
        }

        if let Some(metric) = primary_metric(s) {
            let folds = fold_numbers(s);
            if !folds.is_empty() {
                let _ = writeln!(out, "#### {} per fold\n", metric_title(&metric));
                let mut header = vec!["Model".to_string()];
                header.extend(folds.iter().map(|f| format!("Fold {f}")));
                header.push("Mean".into());
                let rows: Vec<Vec<String>> = s
                    .models
                    .iter()
                    .map(|m| {
                        let mut row = vec![md_escape(&m.label())];
                        for f in &folds {
                            row.push(
                                m.folds
                                    .iter()
                                    .find(|x| x.fold == *f)
                                    .and_then(|x| x.metrics.get(&metric))
                                    .map(|v| f4(*v))
                                    .unwrap_or_else(|| "–".into()),
                            );
                        }
                        row.push(
                            stats(&m.metric_values(&metric))
                                .map(|s| f4(s.mean))
                                .unwrap_or_else(|| "–".into()),
                        );
                        row
                    })
                    .collect();
                md_table(&mut out, &header, 1, &rows);
            }
        }
    }
    Ok(out)
}

/// Distinct fold numbers of a setting, sorted.
pub(crate) fn fold_numbers(s: &SettingReport) -> Vec<u32> {
    let mut f: Vec<u32> = s
        .models
        .iter()
        .flat_map(|m| m.folds.iter().map(|f| f.fold))
        .collect();
    f.sort_unstable();
    f.dedup();
    f
}

/// Labels of the models with cold-start points, in first-appearance order.
pub(crate) fn cold_start_models(s: &SettingReport) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in &s.cold_start {
        if !out.contains(&p.model) {
            out.push(p.model.clone());
        }
    }
    out
}

/// Reveal counts and, per model, stats of its fold RMSEs at each count.
#[allow(clippy::type_complexity)]
pub(crate) fn cold_start_table(
    s: &SettingReport,
) -> Option<(Vec<u32>, Vec<(String, Vec<Option<Stats>>)>)> {
    if s.cold_start.is_empty() {
        return None;
    }
    let mut reveals: Vec<u32> = s.cold_start.iter().map(|p| p.revealed).collect();
    reveals.sort_unstable();
    reveals.dedup();
    let rows = cold_start_models(s)
        .into_iter()
        .map(|m| {
            let cells = reveals
                .iter()
                .map(|r| {
                    s.cold_start
                        .iter()
                        .find(|p| p.model == m && p.revealed == *r)
                        .and_then(|p| stats(&p.fold_rmse))
                })
                .collect();
            (m, cells)
        })
        .collect();
    Some((reveals, rows))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_line(out: &mut String, fields: &[String]) {
    let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    out.push_str(&line.join(","));
    out.push('\n');
}

fn opt_num(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

/// CSV files of the report: (file name, contents).
pub(crate) fn csv_files(input: &ReportInput) -> Result<Vec<(&'static str, String)>, ReportError> {
    let mut summary = String::new();
    csv_line(
        &mut summary,
        &[
            "setting",
            "dataset",
            "protocol",
            "model",
            "strategy",
            "column",
            "n",
            "mean",
            "std",
            "ci95_low",
            "ci95_high",
            "best",
        ]
        .map(String::from),
    );
    let mut folds = String::new();
    csv_line(
        &mut folds,
        &[
            "setting",
            "model",
            "strategy",
            "fold",
            "metric",
            "value",
            "fit_seconds",
            "predict_seconds",
            "serve_seconds_per_user",
        ]
        .map(String::from),
    );
    let mut paper = String::new();
    csv_line(
        &mut paper,
        &[
            "setting",
            "paper_table",
            "model",
            "our_row",
            "paper_mean",
            "ours_mean",
            "ours_std",
            "ours_minus_paper",
        ]
        .map(String::from),
    );
    let mut comparisons = String::new();
    csv_line(
        &mut comparisons,
        &[
            "setting",
            "a",
            "b",
            "metric",
            "mean_diff",
            "ci95_low",
            "ci95_high",
            "p_value",
            "method",
        ]
        .map(String::from),
    );
    let mut cold = String::new();
    csv_line(
        &mut cold,
        &["setting", "model", "revealed", "fold", "rmse"].map(String::from),
    );
    let mut sweeps = String::new();
    csv_line(
        &mut sweeps,
        &[
            "setting",
            "model",
            "trial",
            "params_json",
            "metric_name",
            "metric",
        ]
        .map(String::from),
    );

    for s in &input.settings {
        let t = summary_table(s);
        for (ri, m) in s.models.iter().enumerate() {
            for (ci, c) in t.columns.iter().enumerate() {
                if let Some(st) = t.cells[ri][ci] {
                    csv_line(
                        &mut summary,
                        &[
                            s.name.clone(),
                            s.dataset.clone(),
                            s.protocol.clone(),
                            m.model.clone(),
                            m.strategy.clone().unwrap_or_default(),
                            c.key(),
                            st.n.to_string(),
                            format!("{}", st.mean),
                            format!("{}", st.std),
                            format!("{}", st.ci_low),
                            format!("{}", st.ci_high),
                            (t.best[ci] == Some(ri)).to_string(),
                        ],
                    );
                }
            }
            for f in &m.folds {
                for (metric, v) in &f.metrics {
                    csv_line(
                        &mut folds,
                        &[
                            s.name.clone(),
                            m.model.clone(),
                            m.strategy.clone().unwrap_or_default(),
                            f.fold.to_string(),
                            metric.clone(),
                            format!("{v}"),
                            format!("{}", f.fit_seconds),
                            format!("{}", f.predict_seconds),
                            opt_num(f.serve_seconds_per_user),
                        ],
                    );
                }
            }
        }
        if let Some((table, rows)) = paper_vs_ours(s)? {
            for r in rows {
                csv_line(
                    &mut paper,
                    &[
                        s.name.clone(),
                        table.number.to_string(),
                        r.model.clone(),
                        r.ours_label.clone().unwrap_or_default(),
                        format!("{}", r.paper_mean),
                        opt_num(r.ours_mean),
                        opt_num(r.ours_std),
                        opt_num(r.diff),
                    ],
                );
            }
        }
        for c in &s.comparisons {
            csv_line(
                &mut comparisons,
                &[
                    s.name.clone(),
                    c.a.clone(),
                    c.b.clone(),
                    c.metric.clone(),
                    format!("{}", c.mean_diff),
                    format!("{}", c.ci_low),
                    format!("{}", c.ci_high),
                    opt_num(c.p_value),
                    c.method.clone(),
                ],
            );
        }
        for p in &s.cold_start {
            for (i, v) in p.fold_rmse.iter().enumerate() {
                csv_line(
                    &mut cold,
                    &[
                        s.name.clone(),
                        p.model.clone(),
                        p.revealed.to_string(),
                        (i + 1).to_string(),
                        format!("{v}"),
                    ],
                );
            }
        }
        for sw in &s.sweeps {
            for (i, tr) in sw.trials.iter().enumerate() {
                let params = serde_json::to_string(&tr.params).unwrap_or_default();
                csv_line(
                    &mut sweeps,
                    &[
                        s.name.clone(),
                        sw.model.clone(),
                        (i + 1).to_string(),
                        params,
                        sw.metric.clone(),
                        format!("{}", tr.metric),
                    ],
                );
            }
        }
    }
    Ok(vec![
        ("summary.csv", summary),
        ("folds.csv", folds),
        ("paper_vs_ours.csv", paper),
        ("comparisons.csv", comparisons),
        ("cold_start.csv", cold),
        ("sweeps.csv", sweeps),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("ML-100k / per user"), "ml-100k-per-user");
        assert_eq!(slug("***"), "setting");
    }

    #[test]
    fn number_formats() {
        assert_eq!(signed4(-0.00281), "\u{2212}0.0028");
        assert_eq!(signed4(0.0007), "+0.0007");
        assert_eq!(fmt_time(123.4), "123");
        assert_eq!(fmt_time(1.234), "1.23");
        assert_eq!(fmt_time(0.0123), "0.012");
        assert_eq!(fmt_p(0.0004), "< 0.001");
        assert_eq!(fmt_time_pm(0.019, 0.00128), "0.0190 ± 0.0013");
        assert_eq!(fmt_time_pm(92.08, 5.75), "92.1 ± 5.8");
    }
}
