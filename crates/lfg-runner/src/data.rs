//! The runner's view of `lfg-data`: loading and splitting.

use std::path::Path;

use lfg_core::{FeatureMatrix, Fold, Ratings};

use crate::error::RunError;
use crate::spec::DatasetSpec;

/// A loaded data set: ratings and per-user features.
pub struct LoadedData {
    /// Every rating.
    pub ratings: Ratings,
    /// One feature row per dense user index.
    pub features: FeatureMatrix,
}

/// The data crate's id of a data set.
pub fn dataset_id(d: &DatasetSpec) -> lfg_data::DatasetId {
    match d {
        DatasetSpec::Ml100k => lfg_data::DatasetId::Ml100k,
        DatasetSpec::Ml1m => lfg_data::DatasetId::Ml1m,
        DatasetSpec::Csv(p) => lfg_data::DatasetId::Csv(p.clone()),
    }
}

/// Loads a data set from `data_dir` (csv paths are used as given).
pub fn load(d: &DatasetSpec, data_dir: &Path) -> Result<LoadedData, RunError> {
    let ds = lfg_data::load(&dataset_id(d), data_dir).map_err(|e| RunError::Data(e.to_string()))?;
    Ok(LoadedData {
        ratings: ds.ratings,
        features: ds.features,
    })
}

/// Per-user k-fold.
pub fn per_user_kfold(r: &Ratings, k: usize, seed: u64) -> Vec<Fold> {
    lfg_data::split::per_user_kfold(r, k, seed)
}

/// Random k-fold over all ratings.
pub fn random_kfold(r: &Ratings, k: usize, seed: u64) -> Vec<Fold> {
    lfg_data::split::random_kfold(r, k, seed)
}

/// New-user k-fold revealing a fraction of each new user's ratings.
pub fn new_user_kfold_fraction(r: &Ratings, k: usize, fraction: f64, seed: u64) -> Vec<Fold> {
    lfg_data::split::new_user_kfold(r, k, lfg_data::split::Reveal::Fraction(fraction), seed)
}

/// New-user k-fold revealing `count` ratings of each new user.
pub fn new_user_kfold_count(r: &Ratings, k: usize, count: usize, seed: u64) -> Vec<Fold> {
    lfg_data::split::new_user_kfold(r, k, lfg_data::split::Reveal::Count(count), seed)
}

/// The official ML-100k u1..u5 folds.
pub fn predefined(r: &Ratings, d: &DatasetSpec, data_dir: &Path) -> Result<Vec<Fold>, RunError> {
    if *d != DatasetSpec::Ml100k {
        return Err(RunError::Data(format!(
            "predefined folds exist only for ml-100k, not {d}"
        )));
    }
    lfg_data::split::predefined(r, data_dir).map_err(|e| RunError::Data(e.to_string()))
}

/// Inner validation split of training rows (per-user holdout of `fraction`).
pub fn inner_validation(
    r: &Ratings,
    train_rows: &[u32],
    fraction: f64,
    seed: u64,
) -> (Vec<u32>, Vec<u32>) {
    lfg_data::split::inner_validation(r, train_rows, fraction, seed)
}
