//! Typed store errors.

use std::path::PathBuf;
use std::time::Duration;

use crate::ids::{RunId, TrialId};

/// Everything that can go wrong in the store. Messages name the database file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLITE_BUSY after the busy timeout: another process holds the write lock.
    #[error(
        "database {location} is locked by another lfg process (waited {waited:?}); \
         wait for it to finish or choose another file with --store"
    )]
    Locked {
        /// Database file.
        location: String,
        /// The busy timeout that expired.
        waited: Duration,
    },
    /// The file exists but is not a SQLite database.
    #[error("{location} is not a SQLite database (is --store pointing at the right file?)")]
    NotADatabase {
        /// Database file.
        location: String,
    },
    /// Creating the parent folder of the database failed.
    #[error("cannot create folder {path} for the database: {source}")]
    CreateDir {
        /// Folder that could not be created.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The tokio runtime backing the synchronous facade could not start.
    #[error("cannot start the store's tokio runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// Applying the schema migrations failed.
    #[error("migrating database {location} failed: {source}")]
    Migration {
        /// Database file.
        location: String,
        /// Underlying sqlx error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// Any other SQLite error, with what the store was doing.
    #[error("database {location}: {context}: {source}")]
    Database {
        /// Database file.
        location: String,
        /// What the store was doing.
        context: String,
        /// Underlying sqlx error.
        #[source]
        source: sqlx::Error,
    },
    /// No run with this id.
    #[error("unknown run id {0} (see `lfg runs`)")]
    UnknownRun(RunId),
    /// A run reference (`latest`, id, experiment name or spec hash) matched nothing.
    #[error(
        "no run matches '{0}' (expected a run id, `latest`, an experiment name or a spec hash; see `lfg runs`)"
    )]
    UnknownRunRef(String),
    /// No trial with this id.
    #[error("unknown trial id {0}")]
    UnknownTrial(TrialId),
    /// The setting was not registered for the run's experiment.
    #[error("setting '{setting}' is not registered for the experiment of run {run}")]
    UnknownSetting {
        /// Run of the trial.
        run: RunId,
        /// Setting name.
        setting: String,
    },
    /// A completed fold with this index already exists for the trial.
    #[error("fold {index} of trial {trial} is already recorded as completed")]
    DuplicateFold {
        /// Trial.
        trial: TrialId,
        /// Fold index.
        index: usize,
    },
    /// The same metric name appears twice in one fold record.
    #[error("metric '{name}' appears twice in the record of fold {index} of trial {trial}")]
    DuplicateMetric {
        /// Trial.
        trial: TrialId,
        /// Fold index.
        index: usize,
        /// Metric name.
        name: String,
    },
    /// The same epoch number appears twice in one fold record.
    #[error("epoch {epoch} appears twice in the record of fold {index} of trial {trial}")]
    DuplicateEpoch {
        /// Trial.
        trial: TrialId,
        /// Fold index.
        index: usize,
        /// Epoch number.
        epoch: u32,
    },
    /// A value does not fit the database (e.g. a count above i64::MAX).
    #[error("{what} = {value} is out of range for the database")]
    OutOfRange {
        /// Which field.
        what: &'static str,
        /// Its value, printed.
        value: String,
    },
    /// A JSON column could not be (de)serialised.
    #[error("database {location}: invalid JSON in {what}: {source}")]
    Json {
        /// Database file.
        location: String,
        /// Which column.
        what: &'static str,
        /// Underlying serde_json error.
        #[source]
        source: serde_json::Error,
    },
    /// A stored value is not one the store writes (hand-edited or newer database).
    #[error("database {location}: unexpected value '{value}' in {what}")]
    Corrupt {
        /// Database file.
        location: String,
        /// Which column.
        what: &'static str,
        /// The value found.
        value: String,
    },
}

/// SQLite primary result codes we classify.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_NOTADB: i64 = 26;

/// Primary SQLite result code of an sqlx error, if it is a database error.
pub(crate) fn sqlite_code(err: &sqlx::Error) -> Option<i64> {
    match err {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|c| c.parse::<i64>().ok())
            .map(|c| c & 0xff),
        _ => None,
    }
}

/// Turns an sqlx error into a [`StoreError`], recognising locks and non-databases.
pub(crate) fn classify(
    err: sqlx::Error,
    location: &str,
    busy_timeout: Duration,
    context: impl Into<String>,
) -> StoreError {
    match sqlite_code(&err) {
        Some(SQLITE_BUSY | SQLITE_LOCKED) => StoreError::Locked {
            location: location.to_owned(),
            waited: busy_timeout,
        },
        Some(SQLITE_NOTADB) => StoreError::NotADatabase {
            location: location.to_owned(),
        },
        _ => StoreError::Database {
            location: location.to_owned(),
            context: context.into(),
            source: err,
        },
    }
}

/// Same for migration errors: a lock or a non-database inside a migration is reported as such.
pub(crate) fn classify_migration(
    err: sqlx::migrate::MigrateError,
    location: &str,
    busy_timeout: Duration,
) -> StoreError {
    use sqlx::migrate::MigrateError;
    let inner = match &err {
        MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => sqlite_code(e),
        _ => None,
    };
    match inner {
        Some(SQLITE_BUSY | SQLITE_LOCKED) => StoreError::Locked {
            location: location.to_owned(),
            waited: busy_timeout,
        },
        Some(SQLITE_NOTADB) => StoreError::NotADatabase {
            location: location.to_owned(),
        },
        _ => StoreError::Migration {
            location: location.to_owned(),
            source: err,
        },
    }
}
