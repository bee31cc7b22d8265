//! Typed errors of the data crate.
//!
//! Every error about a file's contents names the file and, where there is one, the 1-based
//! line. Errors about missing data say how to get it.

use std::path::{Path, PathBuf};

/// Everything that can go wrong while locating, fetching, loading or splitting data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A data file does not exist.
    #[error(
        "{path}: file not found. {hint}",
        path = path.display()
    )]
    MissingFile {
        /// Where the file was expected.
        path: PathBuf,
        /// How to get it (fetch command, data directory settings).
        hint: String,
    },

    /// An I/O error other than "not found".
    #[error("{path}: {source}", path = path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The file holds no data line.
    #[error("{path}: the file is empty (no data line)", path = path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },

    /// The file's bytes are not in the expected text encoding.
    #[error("{path}:{line}: bad encoding: {detail}", path = path.display())]
    BadEncoding {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first bad byte.
        line: usize,
        /// What was expected and found.
        detail: String,
    },

    /// A line has the wrong number of fields.
    #[error(
        "{path}:{line}: expected {expected} fields separated by {sep:?}, found {found}",
        path = path.display()
    )]
    FieldCount {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The expected number of fields, e.g. `4` or `3 or 4`.
        expected: String,
        /// The separator.
        sep: String,
        /// The number of fields found.
        found: usize,
    },

    /// A field that must be a number is not.
    #[error(
        "{path}:{line}: field `{field}` is not a valid {kind}: {value:?}",
        path = path.display()
    )]
    NotNumeric {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The field's name.
        field: String,
        /// `integer` or `number`.
        kind: &'static str,
        /// The text found.
        value: String,
    },

    /// A rating lies outside the data set's rating scale.
    #[error(
        "{path}:{line}: rating {value} is outside the scale [{min}, {max}]",
        path = path.display()
    )]
    RatingOutOfRange {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The rating found.
        value: f32,
        /// Smallest valid rating.
        min: f32,
        /// Largest valid rating.
        max: f32,
    },

    /// The same (user, item) pair is rated twice.
    #[error(
        "{path}:{line}: duplicate rating of item {item} by user {user} (first at line {first_line})",
        path = path.display()
    )]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// 1-based line of the second occurrence.
        line: usize,
        /// 1-based line of the first occurrence.
        first_line: usize,
        /// Raw user id.
        user: i64,
        /// Raw item id.
        item: i64,
    },

    /// The same id is listed twice in a users or items file.
    #[error(
        "{path}:{line}: {what} id {id} is listed twice (first at line {first_line})",
        path = path.display()
    )]
    DuplicateId {
        /// The file.
        path: PathBuf,
        /// 1-based line of the second occurrence.
        line: usize,
        /// 1-based line of the first occurrence.
        first_line: usize,
        /// `user` or `item`.
        what: &'static str,
        /// The raw id.
        id: i64,
    },

    /// A rating refers to a user or item missing from the side file.
    #[error(
        "{path}:{line}: {what} {id} is not listed in {side}",
        path = path.display(),
        side = side_file.display()
    )]
    UnknownId {
        /// The ratings file.
        path: PathBuf,
        /// 1-based line of the rating.
        line: usize,
        /// `user` or `item`.
        what: &'static str,
        /// The raw id.
        id: i64,
        /// The users or items file that should list it.
        side_file: PathBuf,
    },

    /// A field holds a value outside its allowed set (gender, occupation, age, header...).
    #[error(
        "{path}:{line}: invalid {field} {value:?}: {reason}",
        path = path.display()
    )]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The field's name.
        field: String,
        /// The text found.
        value: String,
        /// What is allowed.
        reason: String,
    },

    /// A line of a predefined split file does not match a rating of the loaded data set.
    #[error(
        "{path}:{line}: no rating of item {item} by user {user} with value {rating} in the loaded data set",
        path = path.display()
    )]
    UnmatchedRating {
        /// The split file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Raw user id.
        user: i64,
        /// Raw item id.
        item: i64,
        /// The rating in the split file.
        rating: f32,
    },

    /// Polars failed in a way the line checker could not pin to a line.
    #[error("{path}: could not read the table: {source}", path = path.display())]
    Polars {
        /// The file.
        path: PathBuf,
        /// The Polars error.
        #[source]
        source: polars::error::PolarsError,
    },

    /// An invalid argument (dataset name, fold count, fraction...).
    #[error("invalid {name}: {reason}")]
    InvalidArgument {
        /// The parameter.
        name: &'static str,
        /// Why it is rejected.
        reason: String,
    },

    /// A download failed (connection, HTTP status, read error).
    #[error("download of {url} failed: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },

    /// A download ended before the announced length.
    #[error("download of {url} is truncated: got {got} of {expected} bytes")]
    Truncated {
        /// The URL.
        url: String,
        /// Bytes announced by `Content-Length`.
        expected: u64,
        /// Bytes received.
        got: u64,
    },

    /// A downloaded file does not have the pinned SHA-256.
    #[error("checksum mismatch for {url}: expected sha256 {expected}, got {actual}")]
    Checksum {
        /// The URL.
        url: String,
        /// The pinned digest (hex).
        expected: String,
        /// The digest of what was received (hex).
        actual: String,
    },

    /// A downloaded archive could not be extracted.
    #[error("{path}: bad zip archive: {reason}", path = path.display())]
    Archive {
        /// The archive (or the URL it came from).
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl DataError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The 1-based line the error points at, when it points at one.
    pub fn line(&self) -> Option<usize> {
        match self {
            DataError::BadEncoding { line, .. }
            | DataError::FieldCount { line, .. }
            | DataError::NotNumeric { line, .. }
            | DataError::RatingOutOfRange { line, .. }
            | DataError::Duplicate { line, .. }
            | DataError::DuplicateId { line, .. }
            | DataError::UnknownId { line, .. }
            | DataError::BadValue { line, .. }
            | DataError::UnmatchedRating { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// The hint printed when a MovieLens file is missing.
pub(crate) fn fetch_hint(dataset: &str, path: &Path) -> String {
    let dir = path
        .parent()
        .and_then(Path::parent)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| ".".to_string());
    format!(
        "Run `lfg data fetch {dataset}` to download it, or set LFG_DATA_DIR (or --data-dir) to \
         the folder that holds `{dataset}/` (looked in data dir {dir}; expected the file at {})",
        path.display()
    )
}
