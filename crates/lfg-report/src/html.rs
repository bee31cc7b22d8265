//! The self-contained `index.html` (embedded template and CSS, charts referenced beside it).

use std::fmt::Write as _;
use std::path::Path;

use crate::ReportError;
use crate::charts::ChartFile;
use crate::input::{ReportInput, SettingReport};
use crate::paper::paper_vs_ours;
use crate::stats::stats;
use crate::tables::{
    Column, cold_start_table, f4, fmt_cell, fmt_p, fold_numbers, metric_title, run_meta_pairs,
    setting_metrics, setting_summary, signed4, slug, summary_table,
};

const TEMPLATE: &str = include_str!("../templates/index.html");
const CSS: &str = include_str!("../templates/style.css");

/// Escape text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Replace each `{{key}}` of `template` by its value, in one pass (values are not rescanned).
pub(crate) fn fill(template: &str, values: &[(&str, String)]) -> Result<String, ReportError> {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| ReportError::Template(format!("unclosed {{{{ at byte {start}")))?;
        let key = after[..end].trim();
        let value = values
            .iter()
            .find(|(k, _)| *k == key)
            .ok_or_else(|| ReportError::Template(format!("no value for {{{{{key}}}}}")))?;
        out.push_str(&value.1);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn e(s: &str) -> String {
    escape_html(s)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn summary_html(input: &ReportInput) -> Result<String, ReportError> {
    let mut out = String::from("<ul>\n");
    for s in &input.settings {
        let Some(sum) = setting_summary(s)? else {
            continue;
        };
        let _ = write!(
            out,
            "<li><a class=\"setting\" href=\"#{}\">{}</a> <span class=\"note\">({}, {})</span>: <b>{}</b> is best on {} with {} ± {} over {} folds",
            slug(&s.name),
            e(&s.name),
            e(&s.dataset),
            e(&s.protocol),
            e(&sum.winner),
            e(&metric_title(&sum.metric)),
            f4(sum.winner_stats.mean),
            f4(sum.winner_stats.std),
            sum.n_folds
        );
        if let Some((ru, st)) = &sum.runner_up {
            let _ = write!(
                out,
                ", ahead of {} ({}) by <b>{}</b>",
                e(ru),
                f4(st.mean),
                f4((st.mean - sum.winner_stats.mean).abs())
            );
        }
        out.push('.');
        if let Some(c) = &sum.comparison {
            out.push_str(&crate::tables::comparison_clause(c, e, ("<i>(", ")</i>")));
        }
        if let Some((table, rows)) = &sum.paper {
            let parts: Vec<String> = rows
                .iter()
                .map(|r| match (r.ours_mean, r.diff) {
                    (Some(o), Some(d)) => format!(
                        "{} {} vs {} (<span style=\"color:{}\">{}</span>)",
                        e(&r.model),
                        f4(o),
                        f4(r.paper_mean),
                        if d <= 0.0 { "#137333" } else { "#b3261e" },
                        signed4(d)
                    ),
                    _ => format!("{} not run (paper {})", e(&r.model), f4(r.paper_mean)),
                })
                .collect();
            let _ = write!(
                out,
                "<br><span class=\"note\">Paper Table {}, ours vs paper:</span> {}.",
                table.number,
                parts.join("; ")
            );
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>");
    Ok(out)
}

fn summary_table_html(s: &SettingReport) -> String {
    let t = summary_table(s);
    if t.labels.is_empty() {
        return "<p class=\"note\">No model results recorded.</p>".into();
    }
    let mut out = String::from(
        "<div class=\"scroll\"><table class=\"summary-table\">\n<tr><th class=\"l\">Model</th>",
    );
    for c in &t.columns {
        let _ = write!(out, "<th>{}</th>", e(&c.header()));
    }
    out.push_str("</tr>\n");
    for (ri, label) in t.labels.iter().enumerate() {
        let _ = write!(out, "<tr><td class=\"l\">{}</td>", e(label));
        for (ci, c) in t.columns.iter().enumerate() {
            match &t.cells[ri][ci] {
                Some(st) => {
                    let cls = if t.best[ci] == Some(ri) {
                        " class=\"best\""
                    } else {
                        ""
                    };
                    let _ = write!(out, "<td{cls}>{}</td>", e(&fmt_cell(c, st)));
                }
                None => out.push_str("<td>–</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n");
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
        "<p class=\"note\">Mean ± std over {n} folds. Highlighted: best per column (lower is better for errors and times, higher for ranking metrics).</p>"
    );
    out
}

fn paper_html(s: &SettingReport) -> Result<String, ReportError> {
    let Some((table, rows)) = paper_vs_ours(s)? else {
        return Ok(String::new());
    };
    let mut out = format!(
        "<h3>Paper vs ours — Table {}: {}</h3>\n<div class=\"scroll\"><table>\n<tr><th class=\"l\">Model</th><th class=\"l\">Our row</th>",
        table.number,
        e(&table.title)
    );
    let nf = rows.iter().map(|r| r.paper_folds.len()).max().unwrap_or(0);
    out.push_str("<th>Paper avg</th><th>Ours mean ± std</th><th>Ours − paper</th>");
    for f in 1..=nf {
        let _ = write!(out, "<th>Fold {f}<br>paper / ours</th>");
    }
    out.push_str("</tr>\n");
    for r in &rows {
        let _ = write!(
            out,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td>",
            e(&r.model),
            e(r.ours_label.as_deref().unwrap_or("not run"))
        );
        let _ = write!(out, "<td>{}</td>", f4(r.paper_mean));
        match (r.ours_mean, r.ours_std, r.diff) {
            (Some(m), Some(sd), Some(d)) => {
                let cls = if d <= 0.0 { "good" } else { "bad" };
                let _ = write!(
                    out,
                    "<td>{} ± {}</td><td class=\"{cls}\">{}</td>",
                    f4(m),
                    f4(sd),
                    signed4(d)
                );
            }
            _ => out.push_str("<td>–</td><td>–</td>"),
        }
        for f in 0..nf {
            let p = r.paper_folds.get(f).map(|v| f4(*v)).unwrap_or_default();
            let o = r
                .ours_folds
                .get(f)
                .map(|v| f4(*v))
                .unwrap_or_else(|| "–".into());
            let _ = write!(out, "<td>{p} / {o}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n<p class=\"note\">Green: ours at or below the paper's RMSE; red: above. Our per-fold splits are our own seeded splits, not the paper's, so fold-by-fold values are not paired.</p>\n");
    Ok(out)
}

fn comparisons_html(s: &SettingReport) -> String {
    if s.comparisons.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<h3>Paired comparisons across folds</h3>\n<table>\n<tr><th class=\"l\">A</th><th class=\"l\">B</th><th class=\"l\">Metric</th><th>Mean A − B</th><th>95% CI</th><th>p</th><th class=\"l\">Method</th></tr>\n",
    );
    for c in &s.comparisons {
        let _ = writeln!(
            out,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>[{}, {}]</td><td>{}</td><td class=\"l\">{}</td></tr>",
            e(&c.a),
            e(&c.b),
            e(&metric_title(&c.metric)),
            signed4(c.mean_diff),
            signed4(c.ci_low),
            signed4(c.ci_high),
            c.p_value.map(fmt_p).unwrap_or_else(|| "–".into()),
            e(&c.method)
        );
    }
    out.push_str("</table>\n");
    out
}

fn cold_start_html(s: &SettingReport) -> String {
    let Some((reveals, rows)) = cold_start_table(s) else {
        return String::new();
    };
    let mut out = String::from(
        "<h3>Cold start: RMSE by number of revealed ratings</h3>\n<table>\n<tr><th class=\"l\">Model</th>",
    );
    for r in &reveals {
        let _ = write!(out, "<th>{r}</th>");
    }
    out.push_str("</tr>\n");
    // best per column (lowest mean RMSE)
    let best: Vec<Option<usize>> = (0..reveals.len())
        .map(|ci| {
            rows.iter()
                .enumerate()
                .filter_map(|(ri, (_, cells))| cells[ci].map(|s| (ri, s.mean)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(ri, _)| ri)
        })
        .collect();
    for (ri, (label, cells)) in rows.iter().enumerate() {
        let _ = write!(out, "<tr><td class=\"l\">{}</td>", e(label));
        for (ci, c) in cells.iter().enumerate() {
            match c {
                Some(st) => {
                    let cls = if best[ci] == Some(ri) && rows.len() > 1 {
                        " class=\"best\""
                    } else {
                        ""
                    };
                    let _ = write!(out, "<td{cls}>{} ± {}</td>", f4(st.mean), f4(st.std));
                }
                None => out.push_str("<td>–</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

fn fold_detail_html(s: &SettingReport) -> String {
    let folds = fold_numbers(s);
    if folds.is_empty() {
        return String::new();
    }
    let mut out = String::from("<details>\n<summary>Per-fold detail</summary>\n");
    let mut cols: Vec<Column> = setting_metrics(s).into_iter().map(Column::Metric).collect();
    cols.push(Column::FitSeconds);
    cols.push(Column::PredictSeconds);
    if s.models
        .iter()
        .any(|m| m.folds.iter().any(|f| f.serve_seconds_per_user.is_some()))
    {
        cols.push(Column::ServeMsPerUser);
    }
    for c in &cols {
        let _ = write!(
            out,
            "<h3>{}</h3>\n<table>\n<tr><th class=\"l\">Model</th>",
            e(&c.header())
        );
        for f in &folds {
            let _ = write!(out, "<th>Fold {f}</th>");
        }
        out.push_str("<th>Mean</th><th>Std</th></tr>\n");
        for m in &s.models {
            let _ = write!(out, "<tr><td class=\"l\">{}</td>", e(&m.label()));
            let mut vals = Vec::new();
            for f in &folds {
                let v = m.folds.iter().find(|x| x.fold == *f).and_then(|x| match c {
                    Column::Metric(name) => x.metrics.get(name).copied(),
                    Column::FitSeconds => Some(x.fit_seconds),
                    Column::PredictSeconds => Some(x.predict_seconds),
                    Column::ServeMsPerUser => x.serve_seconds_per_user.map(|v| v * 1e3),
                });
                let text = match (v, c) {
                    (Some(v), Column::Metric(_)) => f4(v),
                    (Some(v), _) => crate::tables::fmt_time(v),
                    (None, _) => "–".into(),
                };
                if let Some(v) = v {
                    vals.push(v);
                }
                let _ = write!(out, "<td>{text}</td>");
            }
            match stats(&vals) {
                Some(st) if matches!(c, Column::Metric(_)) => {
                    let _ = write!(out, "<td>{}</td><td>{}</td>", f4(st.mean), f4(st.std));
                }
                Some(st) => {
                    let _ = write!(
                        out,
                        "<td>{}</td><td>{}</td>",
                        crate::tables::fmt_time(st.mean),
                        crate::tables::fmt_time(st.std)
                    );
                }
                None => out.push_str("<td>–</td><td>–</td>"),
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
    out.push_str("</details>\n");
    out
}

fn hyperparams_html(s: &SettingReport) -> String {
    if s.models.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<details>\n<summary>Hyperparameters</summary>\n<table>\n<tr><th class=\"l\">Model</th><th class=\"l\">Hyperparameters</th></tr>\n",
    );
    for m in &s.models {
        let json = serde_json::to_string_pretty(&m.hyperparams).unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td class=\"l\">{}</td><td class=\"l\"><pre>{}</pre></td></tr>",
            e(&m.label()),
            e(&json)
        );
    }
    out.push_str("</table>\n</details>\n");
    out
}

fn charts_html(charts: &[&ChartFile]) -> String {
    if charts.is_empty() {
        return String::new();
    }
    let mut out = String::from("<div class=\"charts\">\n");
    for c in charts {
        let wide = c.name.ends_with("-scatter") && c.width > 1100;
        let png = file_name(&c.png);
        let svg = file_name(&c.svg);
        let _ = writeln!(
            out,
            "<figure{}><a href=\"{}\"><img src=\"{}\" alt=\"{}\" width=\"{}\" height=\"{}\" loading=\"lazy\"></a><figcaption><b>{}</b>. {} <a href=\"{}\">SVG</a> · <a href=\"{}\">PNG</a></figcaption></figure>",
            if wide { " class=\"wide\"" } else { "" },
            e(&svg),
            e(&png),
            e(&c.title),
            c.width,
            c.height,
            e(&c.title),
            e(&c.caption),
            e(&svg),
            e(&png)
        );
    }
    out.push_str("</div>\n");
    out
}

/// The whole `index.html`.
pub(crate) fn index_html(
    input: &ReportInput,
    title: &str,
    charts: &[ChartFile],
) -> Result<String, ReportError> {
    let r = &input.run;
    let meta_line = format!(
        "Run {} · commit {}{} · {} · {}",
        e(&r.run_id),
        e(r.commit.as_deref().unwrap_or("unknown")),
        if r.dirty { " (dirty)" } else { "" },
        e(&r.date),
        e(&r.host)
    );
    let mut nav = String::from("<a href=\"#summary\">Summary</a>");
    for s in &input.settings {
        let _ = write!(nav, "<a href=\"#{}\">{}</a>", slug(&s.name), e(&s.name));
    }
    nav.push_str("<a href=\"#run\">Run metadata</a>");

    let mut settings = String::new();
    for s in &input.settings {
        let _ = write!(
            settings,
            "<section id=\"{}\">\n<h2>{} <span class=\"note\">{} · {}</span></h2>\n",
            slug(&s.name),
            e(&s.name),
            e(&s.dataset),
            e(&s.protocol)
        );
        if !s.description.is_empty() {
            let _ = writeln!(settings, "<p class=\"desc\">{}</p>", e(&s.description));
        }
        settings.push_str("<h3>Results</h3>\n");
        settings.push_str(&summary_table_html(s));
        settings.push_str(&paper_html(s)?);
        settings.push_str(&comparisons_html(s));
        settings.push_str(&cold_start_html(s));
        let mine: Vec<&ChartFile> = charts.iter().filter(|c| c.setting == s.name).collect();
        if !mine.is_empty() {
            settings.push_str("<h3>Charts</h3>\n");
            settings.push_str(&charts_html(&mine));
        }
        settings.push_str(&fold_detail_html(s));
        settings.push_str(&hyperparams_html(s));
        settings.push_str("</section>\n");
    }

    let mut run_table = String::from("<table>\n");
    for (k, v) in run_meta_pairs(input) {
        let _ = writeln!(
            run_table,
            "<tr><th class=\"l\">{}</th><td class=\"l\">{}</td></tr>",
            e(k),
            e(&v)
        );
    }
    run_table.push_str("</table>\n");

    fill(
        TEMPLATE,
        &[
            ("title", e(title)),
            ("css", CSS.to_string()),
            ("meta_line", meta_line),
            ("nav", nav),
            ("summary", summary_html(input)?),
            ("settings", settings),
            ("run_table", run_table),
            ("version", e(env!("CARGO_PKG_VERSION"))),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn fill_is_single_pass_and_strict() {
        let out = fill(
            "a {{x}} b {{ y }}",
            &[("x", "{{y}}".into()), ("y", "2".into())],
        )
        .expect("fills");
        assert_eq!(out, "a {{y}} b 2");
        assert!(fill("{{nope}}", &[]).is_err());
        assert!(fill("{{open", &[]).is_err());
    }
}
