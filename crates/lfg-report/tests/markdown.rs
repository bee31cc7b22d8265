//! Snapshot of the Markdown tables of the fixture report.

use lfg_report::fixture::demo_input;
use lfg_report::markdown_tables;

#[test]
fn markdown_tables_snapshot() {
    let md = markdown_tables(&demo_input()).expect("markdown");
    insta::with_settings!({filters => vec![
        (r"Run: `[^`]*`", "Run: `[RUN]`"),
        (r"Date: `[^`]*`", "Date: `[DATE]`"),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?", "[TIMESTAMP]"),
    ]}, {
        insta::assert_snapshot!(md);
    });
}

#[test]
fn markdown_marks_best_and_paper_rows() {
    let input = demo_input();
    let md = markdown_tables(&input).expect("markdown");
    // one bold cell per column with more than one value, per setting table
    assert!(md.contains("#### Paper vs ours (Table 1:"));
    assert!(md.contains("#### Paper vs ours (Table 3:"));
    assert!(md.contains("| svd | svd (no-retrain) | 1.1274 |"));
    assert!(md.contains("#### Cold start: RMSE by number of revealed ratings"));
    // every table row has the same number of cells as its header
    for block in md.split("\n\n") {
        let rows: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
        if let Some(h) = rows.first() {
            let n = h.matches(" | ").count();
            for r in &rows[2..] {
                assert_eq!(r.matches(" | ").count(), n, "row {r}");
            }
        }
    }
}
