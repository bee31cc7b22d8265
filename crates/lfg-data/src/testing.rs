//! Helpers for tests (in this and other crates) that need the real MovieLens data.
//!
//! Rule: a test that needs real data calls [`real_data_dir`] (or [`real_dataset_dir`]) and
//! returns early when it gets `None` (the data is absent on this machine: the test is skipped
//! with a warning). When the environment variable `CI` is `true`, missing data is an error:
//! the helper panics, so CI never passes by skipping.

use std::path::{Path, PathBuf};

use crate::DATA_DIR_ENV;

/// `LFG_DATA_DIR` when it holds `ml-100k/u.data`; otherwise `None` with a warning.
///
/// # Panics
/// When the data is absent and env `CI` is `true`.
pub fn real_data_dir() -> Option<PathBuf> {
    real_dataset_dir("ml-100k", "u.data")
}

/// `LFG_DATA_DIR` when it holds `<name>/<file>` (e.g. `("ml-1m", "ratings.dat")`);
/// otherwise `None` with a warning.
///
/// # Panics
/// When the data is absent and env `CI` is `true`.
pub fn real_dataset_dir(name: &str, file: &str) -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let dir = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty());
    let reason = match &dir {
        Some(d) if Path::new(d).join(name).join(file).is_file() => {
            return Some(PathBuf::from(d));
        }
        Some(d) => format!(
            "{} does not exist",
            Path::new(d).join(name).join(file).display()
        ),
        None => format!("{DATA_DIR_ENV} is not set"),
    };
    let msg = format!(
        "real {name} data not found ({reason}); set {DATA_DIR_ENV} to the folder holding \
         `{name}/` (e.g. LFG_DATA_DIR=/work/shared/data) or run `lfg data fetch {name}`"
    );
    if ci {
        panic!("CI=true and {msg}");
    }
    tracing::warn!("skipping test: {msg}");
    None
}
