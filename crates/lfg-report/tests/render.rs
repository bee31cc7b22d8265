//! Render the fixture report and check every output file.

use std::fs::File;
use std::path::Path;

use lfg_report::fixture::demo_input;
use lfg_report::{ReportInput, ReportOptions, escape_html, markdown_tables, render};

fn png_size(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(File::open(path).expect("png exists"));
    let mut reader = decoder.read_info().expect("valid png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png decodes");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn renders_fixture_report() {
    let input = demo_input();
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = ReportOptions::default();
    let files = render(&input, dir.path(), &opts).expect("render");

    // charts: every kind is present for the fixture
    let names: Vec<&str> = files.charts.iter().map(|c| c.name.as_str()).collect();
    for expected in [
        "ml100k-per-user-rmse-folds",
        "ml100k-per-user-paper-vs-ours",
        "ml100k-per-user-learning-lfg",
        "ml100k-per-user-sweep-lfg-scatter",
        "ml100k-per-user-sweep-lfg-heatmap",
        "ml100k-per-user-timing",
        "ml100k-new-user-paper-vs-ours",
        "ml100k-new-user-sweep-bias-svd-parallel",
        "ml100k-new-user-cold-start",
    ] {
        assert!(
            names.contains(&expected),
            "missing chart {expected}: {names:?}"
        );
    }
    // a 2-parameter sweep gets a heatmap, not parallel coordinates; 3 parameters the reverse
    assert!(!names.contains(&"ml100k-per-user-sweep-lfg-parallel"));
    assert!(!names.contains(&"ml100k-new-user-sweep-bias-svd-heatmap"));

    for c in &files.charts {
        let (w, h, pixels) = png_size(&c.png);
        assert_eq!((w, h), (c.width, c.height), "{}", c.name);
        // not blank: many distinct byte values, and not all white
        let non_white = pixels.iter().filter(|b| **b < 250).count();
        assert!(
            non_white > pixels.len() / 200,
            "{} looks blank ({non_white} dark bytes)",
            c.name
        );
        let svg = std::fs::read_to_string(&c.svg).expect("svg exists");
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{}",
            c.name
        );
        assert!(svg.contains("<text"), "{} has no text", c.name);
    }
    // standard charts use the configured size
    let folds = files
        .charts
        .iter()
        .find(|c| c.name == "ml100k-per-user-rmse-folds")
        .expect("fold chart");
    assert_eq!(
        (folds.width, folds.height),
        (opts.chart_width, opts.chart_height)
    );

    // HTML: self-contained, holds the table values and links every chart
    let html = std::fs::read_to_string(&files.index_html).expect("index.html");
    assert!(
        html.contains("<style>") && !html.contains("<link"),
        "CSS must be inline"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network refs"
    );
    assert!(!html.contains("{{"), "unfilled template key");
    for s in &input.settings {
        for m in &s.models {
            let v = m.metric_values("rmse");
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            assert!(
                html.contains(&format!("{mean:.4}")),
                "{} mean {mean:.4}",
                m.label()
            );
            for x in &v {
                assert!(
                    html.contains(&format!("{x:.4}")),
                    "{} fold value {x:.4}",
                    m.label()
                );
            }
            assert!(html.contains(&escape_html(&m.label())));
        }
    }
    for c in &files.charts {
        let png = c.png.file_name().and_then(|f| f.to_str()).expect("name");
        assert!(
            html.contains(&format!("src=\"{png}\"")),
            "{png} not on the page"
        );
    }
    // paper numbers and metadata
    for v in ["0.9404", "0.9136", "0.9130", "1.1274", "1.0305", "0.9255"] {
        assert!(html.contains(v), "paper value {v}");
    }
    for v in [
        "c21358e",
        "lab-2core",
        "3f9a0c1d",
        "runs 7 and 8 (sweep-ml100k)",
    ] {
        assert!(html.contains(v), "metadata {v}");
    }
    assert!(html.contains("id=\"summary\""));

    // Markdown file equals markdown_tables; CSVs exist with rows
    let md = std::fs::read_to_string(&files.markdown).expect("tables.md");
    assert_eq!(md, markdown_tables(&input).expect("markdown"));
    assert_eq!(files.csv.len(), 6);
    let folds_csv = std::fs::read_to_string(dir.path().join("folds.csv")).expect("folds.csv");
    // 2 settings x 4 models x 5 folds x 5 metrics + header
    assert_eq!(folds_csv.lines().count(), 2 * 4 * 5 * 5 + 1);

    // the JSON input reads back (floats up to serde_json's last-digit rounding)
    let back: ReportInput =
        serde_json::from_slice(&std::fs::read(&files.input_json).expect("json")).expect("parse");
    assert_eq!(back.run, input.run);
    assert_eq!(back.settings.len(), input.settings.len());
    for (b, s) in back.settings.iter().zip(&input.settings) {
        assert_eq!(b.name, s.name);
        for (bm, m) in b.models.iter().zip(&s.models) {
            for (x, y) in bm.metric_values("rmse").iter().zip(m.metric_values("rmse")) {
                assert!((x - y).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn best_cell_is_highlighted_per_direction() {
    let input = demo_input();
    let dir = tempfile::tempdir().expect("tempdir");
    let files = render(
        &input,
        dir.path(),
        &ReportOptions {
            charts: false,
            ..ReportOptions::default()
        },
    )
    .expect("render");
    assert!(files.charts.is_empty());
    let html = std::fs::read_to_string(&files.index_html).expect("index.html");
    let s = &input.settings[0];
    // lowest mean RMSE and highest mean ndcg@10 are the highlighted cells
    let mean = |m: &lfg_report::ModelReport, k: &str| {
        let v = m.metric_values(k);
        v.iter().sum::<f64>() / v.len() as f64
    };
    let best_rmse = s
        .models
        .iter()
        .map(|m| mean(m, "rmse"))
        .fold(f64::INFINITY, f64::min);
    let best_ndcg = s
        .models
        .iter()
        .map(|m| mean(m, "ndcg@10"))
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(html.contains(&format!("<td class=\"best\">{best_rmse:.4} ± ")));
    assert!(html.contains(&format!("<td class=\"best\">{best_ndcg:.4} ± ")));
}

#[test]
fn html_escapes_user_text() {
    let mut input = demo_input();
    input.settings[0].description = "<script>alert(1)</script>".into();
    input.settings[0].models[0].model = "svd<b>".into();
    let dir = tempfile::tempdir().expect("tempdir");
    let files = render(
        &input,
        dir.path(),
        &ReportOptions {
            charts: false,
            ..ReportOptions::default()
        },
    )
    .expect("render");
    let html = std::fs::read_to_string(&files.index_html).expect("index.html");
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("svd<b>"));
}

#[test]
fn rejects_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut input = demo_input();
    input.settings[1].name = "ML100K per user".into(); // same file stem as "ml100k-per-user"
    let e = render(&input, dir.path(), &ReportOptions::default()).expect_err("duplicate stems");
    assert!(e.to_string().contains("ml100k-per-user"), "{e}");

    let mut input = demo_input();
    input.settings[0].paper_table = Some(7);
    let e = markdown_tables(&input).expect_err("no table 7");
    assert!(e.to_string().contains("paper-table = 7"), "{e}");

    let small = ReportOptions {
        chart_width: 10,
        ..ReportOptions::default()
    };
    assert!(render(&demo_input(), dir.path(), &small).is_err());
}
