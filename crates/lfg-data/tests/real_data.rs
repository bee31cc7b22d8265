//! Checks on the real MovieLens files in `LFG_DATA_DIR` (skipped with a warning when absent,
//! failing when `CI=true`).

use std::time::Instant;

use lfg_data::testing::{real_data_dir, real_dataset_dir};
use lfg_data::{DatasetId, load, split, summary};

#[test]
fn ml100k_counts_features_and_predefined_folds() {
    let Some(dir) = real_data_dir() else { return };
    let d = load(&DatasetId::Ml100k, &dir).unwrap();
    let s = summary(&d);
    assert_eq!((s.ratings, s.users, s.items), (100_000, 943, 1_682));
    assert_eq!(s.min_ratings_per_user, 20);
    assert_eq!(s.rating_histogram.len(), 5);
    assert_eq!(
        s.rating_histogram.iter().map(|h| h.1).sum::<usize>(),
        100_000
    );
    assert!((s.density - 100_000.0 / (943.0 * 1682.0)).abs() < 1e-12);
    assert!(s.has_timestamps);
    assert_eq!(s.feature_width, 31);
    assert_eq!(d.users.occupations.len(), 21);
    assert_eq!(d.items.genres.len(), 19);
    assert_eq!(d.features.n_rows(), 943);
    for u in 0..943 {
        let r = d.features.row(u);
        assert!((0.0..=1.0).contains(&r[0]));
        assert_eq!(r[1..8].iter().sum::<f32>(), 1.0);
        assert_eq!(r[8..10].iter().sum::<f32>(), 1.0);
        assert_eq!(r[10..].iter().sum::<f32>(), 1.0);
    }
    // u.item is Latin-1: at least one decoded non-ASCII title
    assert!(d.items.rows.iter().any(|i| !i.title.is_ascii()));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["ratings"], 100_000);

    let folds = split::predefined(&d.ratings, &dir).unwrap();
    let mut tested = vec![0u8; d.ratings.len()];
    for f in &folds {
        assert_eq!(f.train.len() + f.test.len(), 100_000);
        assert_eq!(f.test.len(), 20_000);
        for &t in &f.test {
            tested[t as usize] += 1;
        }
    }
    assert!(tested.iter().all(|&c| c == 1));
}

#[test]
fn ml1m_counts_and_load_time() {
    let Some(dir) = real_dataset_dir("ml-1m", "ratings.dat") else {
        return;
    };
    let t = Instant::now();
    let d = load(&DatasetId::Ml1m, &dir).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let s = summary(&d);
    assert_eq!((s.ratings, s.users, s.items), (1_000_209, 6_040, 3_706));
    assert_eq!(s.min_ratings_per_user, 20);
    let hist: Vec<usize> = s.rating_histogram.iter().map(|h| h.1).collect();
    assert_eq!(hist, vec![56_174, 107_557, 261_197, 348_971, 226_310]);
    assert_eq!(s.feature_width, 31);
    assert!(!s.has_timestamps, "the shared copy has 3 fields");
    assert!(d.items.rows.iter().any(|i| i.title.contains(':')));
    assert!(
        d.items.rows.iter().any(|i| !i.title.is_ascii()),
        "Latin-1 titles decoded"
    );
    tracing::info!(secs, "ML-1M load (debug build)");
    // debug build: generous bound, the release benchmark checks speed
    assert!(secs < 20.0, "ML-1M took {secs:.2} s to load");

    // the paper's splits on real data: a quick sanity check of sizes
    let folds = split::per_user_kfold(&d.ratings, 5, 7);
    let total: usize = folds.iter().map(|f| f.test.len()).sum();
    assert_eq!(total, 1_000_209);
    let nu = split::new_user_kfold(&d.ratings, 5, split::Reveal::default(), 7);
    assert_eq!(nu.iter().map(|f| f.new_users.len()).sum::<usize>(), 6_040);
}
