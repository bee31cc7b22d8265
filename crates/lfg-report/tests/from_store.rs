//! Render from a fixture database (lfg-store's deterministic demo runs).

use lfg_report::{ReportOptions, load_from_store, markdown_tables, render};
use lfg_store::Store;
use lfg_store::fixture::{DEMO_FOLDS, populate_cold_start_demo, populate_demo};

#[test]
fn report_from_fixture_database() {
    let store = Store::open_in_memory().expect("store");
    let run = populate_demo(&store).expect("demo run");
    let input = load_from_store(&store, run).expect("load");

    assert_eq!(input.run.run_id, run.to_string());
    let names: Vec<&str> = input.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["per-user", "new-user"]);
    let per_user = &input.settings[0];
    assert_eq!(per_user.models.len(), 4);
    for m in &per_user.models {
        assert_eq!(m.folds.len(), DEMO_FOLDS, "{}", m.label());
        assert!(m.folds.iter().all(|f| f.metrics.contains_key("rmse")));
        assert_eq!(
            m.folds.iter().map(|f| f.fold).collect::<Vec<_>>(),
            (1..=DEMO_FOLDS as u32).collect::<Vec<_>>()
        );
    }
    // matched to paper Table 1 by dataset + protocol
    let md = markdown_tables(&input).expect("markdown");
    assert!(md.contains("Paper vs ours (Table 1:"), "{md}");
    assert!(md.contains("Paper vs ours (Table 3:"), "{md}");
    // learning curves from the stored epochs, the lfg sweep with its two swept parameters
    assert!(!per_user.learning_curves.is_empty());
    let sweep = per_user.sweeps.first().expect("lfg sweep");
    assert_eq!(sweep.trials.len(), 6);
    assert_eq!(
        sweep.trials[0].params.len(),
        2,
        "{:?}",
        sweep.trials[0].params
    );
    // new-user rows carry the serve time; comparisons are paired over the 5 folds
    let new_user = &input.settings[1];
    assert!(
        new_user
            .models
            .iter()
            .any(|m| m.folds.iter().all(|f| f.serve_seconds_per_user.is_some()))
    );
    assert_eq!(new_user.comparisons.len(), new_user.models.len() - 1);
    for c in &new_user.comparisons {
        assert!(c.ci_low <= c.mean_diff && c.mean_diff <= c.ci_high, "{c:?}");
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let files = render(&input, dir.path(), &ReportOptions::default()).expect("render");
    assert!(
        files
            .charts
            .iter()
            .any(|c| c.name == "per-user-sweep-lfg-heatmap")
    );
    let html = std::fs::read_to_string(&files.index_html).expect("html");
    let rmse = per_user.models[0].metric_values("rmse");
    assert!(html.contains(&format!("{:.4}", rmse[0])));

    // cold-start run: reveal trials become curve points
    let run2 = populate_cold_start_demo(&store).expect("cold-start run");
    let cold = load_from_store(&store, run2).expect("load");
    let s = &cold.settings[0];
    assert_eq!(s.cold_start.len(), 3 * 6, "{:?}", s.cold_start);
    assert!(s.cold_start.iter().all(|p| p.fold_rmse.len() == DEMO_FOLDS));
    let files = render(
        &cold,
        dir.path().join("cold").as_path(),
        &ReportOptions::default(),
    )
    .expect("render");
    assert!(
        files
            .charts
            .iter()
            .any(|c| c.name == "cold-start-cold-start")
    );
}
