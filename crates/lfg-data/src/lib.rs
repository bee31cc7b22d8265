//! MovieLens and `ratings.csv` loading, demographic features, splitters, fetch and summaries.
//!
//! - [`load`] reads a [`Dataset`] (ML-100k, ML-1M or a generic `ratings.csv`) with Polars as
//!   the table engine. Users and items get dense indices `0..n` in sorted raw-id order.
//! - [`features`] builds the paper's auxiliary matrix E from the users file.
//! - [`split`] cuts a data set into deterministic cross-validation folds.
//! - [`summary`] describes a data set (`lfg data check`).
//! - [`fetch`] downloads the official GroupLens archives.
//! - [`testing`] locates the real data for other crates' tests.
//!
//! Data location ([`data_dir`]): `--data-dir`, else `LFG_DATA_DIR`, else `./data`; each data
//! set lives in its own folder: `<dir>/ml-100k/u.data`, `<dir>/ml-1m/ratings.dat`.
//!
//! Every problem in a file is a [`DataError`] naming the file and line; nothing panics on
//! bad input.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use lfg_core::{FeatureMatrix, Ratings};
use serde::{Deserialize, Serialize};

pub mod error;
pub mod features;
pub mod fetch;
mod index;
pub mod meta;
pub mod movielens;
pub mod split;
pub mod summary;
mod table;
pub mod testing;

pub use error::DataError;
pub use fetch::FetchOptions;
pub use meta::{Gender, Item, Items, User, Users};
pub use split::Reveal;
pub use summary::{DataSummary, summary};

/// Which data set to load.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DatasetId {
    /// MovieLens-100k (`<data_dir>/ml-100k/`).
    #[serde(rename = "ml-100k")]
    Ml100k,
    /// MovieLens-1M (`<data_dir>/ml-1m/`).
    #[serde(rename = "ml-1m")]
    Ml1m,
    /// A generic `ratings.csv` with header `userId,movieId,rating[,timestamp]` (a relative
    /// path is taken relative to the current directory, not the data directory).
    #[serde(rename = "csv")]
    Csv(PathBuf),
}

impl DatasetId {
    /// Short name: `ml-100k`, `ml-1m` or `csv`.
    pub fn name(&self) -> &'static str {
        match self {
            DatasetId::Ml100k => "ml-100k",
            DatasetId::Ml1m => "ml-1m",
            DatasetId::Csv(_) => "csv",
        }
    }
}

impl fmt::Display for DatasetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetId::Csv(p) => write!(f, "csv:{}", p.display()),
            other => f.write_str(other.name()),
        }
    }
}

impl FromStr for DatasetId {
    type Err = DataError;

    /// `ml-100k`, `ml-1m`, `csv:<path>` or a path ending in `.csv`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ml-100k" => Ok(DatasetId::Ml100k),
            "ml-1m" => Ok(DatasetId::Ml1m),
            _ => {
                if let Some(p) = s.strip_prefix("csv:") {
                    Ok(DatasetId::Csv(PathBuf::from(p)))
                } else if s.ends_with(".csv") {
                    Ok(DatasetId::Csv(PathBuf::from(s)))
                } else {
                    Err(DataError::InvalidArgument {
                        name: "dataset",
                        reason: format!(
                            "unknown data set {s:?}: expected ml-100k, ml-1m, csv:<path> or a \
                             path ending in .csv"
                        ),
                    })
                }
            }
        }
    }
}

/// A loaded data set.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Which data set this is.
    pub id: DatasetId,
    /// Every rating, with dense user and item indices.
    pub ratings: Ratings,
    /// One row per dense user (empty without a users file).
    pub users: Users,
    /// One row per dense item (empty without an items file).
    pub items: Items,
    /// Demographic features, one row per dense user (width 0 without a users file); see
    /// [`features`].
    pub features: FeatureMatrix,
}

/// The environment variable naming the data directory.
pub const DATA_DIR_ENV: &str = "LFG_DATA_DIR";

/// The data directory: `explicit` (`--data-dir`), else `LFG_DATA_DIR`, else `./data`.
pub fn data_dir(explicit: Option<&Path>) -> PathBuf {
    resolve_data_dir(explicit, std::env::var_os(DATA_DIR_ENV))
}

/// [`data_dir`] with the environment value passed in (an empty value counts as unset).
fn resolve_data_dir(explicit: Option<&Path>, env: Option<std::ffi::OsString>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    match env {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from("data"),
    }
}

/// Loads a data set from `data_dir` (MovieLens: `<data_dir>/<name>/`; `Csv`: its own path).
pub fn load(id: &DatasetId, data_dir: &Path) -> Result<Dataset, DataError> {
    match id {
        DatasetId::Ml100k => movielens::load_ml100k(data_dir),
        DatasetId::Ml1m => movielens::load_ml1m(data_dir),
        DatasetId::Csv(path) => movielens::load_csv(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_ids_parse_and_serialise() {
        assert_eq!("ml-100k".parse::<DatasetId>().unwrap(), DatasetId::Ml100k);
        assert_eq!("ml-1m".parse::<DatasetId>().unwrap(), DatasetId::Ml1m);
        assert_eq!(
            "csv:x/r.txt".parse::<DatasetId>().unwrap(),
            DatasetId::Csv("x/r.txt".into())
        );
        assert_eq!(
            "a/ratings.csv".parse::<DatasetId>().unwrap(),
            DatasetId::Csv("a/ratings.csv".into())
        );
        assert!("ml-10m".parse::<DatasetId>().is_err());
        assert_eq!(
            serde_json::to_string(&DatasetId::Ml100k).unwrap(),
            "\"ml-100k\""
        );
        assert_eq!(
            serde_json::to_string(&DatasetId::Csv("r.csv".into())).unwrap(),
            "{\"csv\":\"r.csv\"}"
        );
        let back: DatasetId = serde_json::from_str("\"ml-1m\"").unwrap();
        assert_eq!(back, DatasetId::Ml1m);
        assert_eq!(DatasetId::Ml1m.to_string(), "ml-1m");
    }

    #[test]
    fn data_dir_precedence() {
        assert_eq!(data_dir(Some(Path::new("/x/y"))), PathBuf::from("/x/y"));
        let env = Some(std::ffi::OsString::from("/env/dir"));
        assert_eq!(
            resolve_data_dir(Some(Path::new("/x")), env.clone()),
            PathBuf::from("/x")
        );
        assert_eq!(resolve_data_dir(None, env), PathBuf::from("/env/dir"));
        assert_eq!(
            resolve_data_dir(None, Some("".into())),
            PathBuf::from("data")
        );
        assert_eq!(resolve_data_dir(None, None), PathBuf::from("data"));
    }
}
