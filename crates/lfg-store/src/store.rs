//! The synchronous [`Store`] facade: open, migrations and writes.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{SqlSafeStr, Sqlite, Transaction};
use tokio::runtime::Runtime;

use crate::error::{StoreError, classify, classify_migration};
use crate::ids::{ExperimentId, FoldId, RunId, TrialId};
use crate::types::{
    Experiment, FoldRecord, NewRun, RunStatus, RunSummary, SettingSpec, TrialKey, TrialRole,
};

/// The schema, migration 1. Kept in `migrations/` so `sqlx migrate` tooling can read it too.
const MIGRATION_0001: &str = include_str!("../migrations/0001_init.sql");

/// Default wait for a lock held by another process before reporting [`StoreError::Locked`].
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Default database location, relative to the working directory.
pub const DEFAULT_STORE_PATH: &str = "results/lfg.sqlite";

/// How long a caller waits for this process's single writer connection.
const WRITER_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(600);

/// Options for [`Store::open_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// SQLite busy timeout: how long to wait for another process's lock.
    pub busy_timeout: Duration,
    /// Connections for reads (writes always go through one connection).
    pub read_connections: u32,
}

impl Default for StoreOptions {
    /// `busy_timeout` 5 s, 4 read connections.
    fn default() -> Self {
        Self {
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            read_connections: 4,
        }
    }
}

/// SHA-256 (lower-case hex) of a text, the default experiment spec hash.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// JSON with object keys sorted recursively, whatever serde_json's map order is.
pub fn canonical_json(value: &Value) -> String {
    fn canon(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    if let Some(inner) = map.get(k) {
                        out.insert(k.clone(), canon(inner));
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(canon).collect()),
            other => other.clone(),
        }
    }
    // Serialising a `Value` cannot fail (all keys are strings).
    serde_json::to_string(&canon(value)).unwrap_or_default()
}

/// Hash of hyperparameters: SHA-256 of their canonical JSON.
pub fn hyperparameters_hash(value: &Value) -> String {
    sha256_hex(&canonical_json(value))
}

/// The schema migrations, embedded in the binary.
pub(crate) fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        Cow::Borrowed("init"),
        MigrationType::Simple,
        MIGRATION_0001.into_sql_str(),
        false,
    )])
}

pub(crate) fn seed_to_db(seed: u64) -> i64 {
    i64::from_ne_bytes(seed.to_ne_bytes())
}

pub(crate) fn seed_from_db(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

pub(crate) fn to_i64(what: &'static str, v: usize) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::OutOfRange {
        what,
        value: v.to_string(),
    })
}

/// NaN and infinities are stored as NULL (SQLite has no NaN).
pub(crate) fn float_to_db(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The tracking store: a synchronous facade over an async sqlx SQLite pool.
///
/// `Store` is `Send + Sync`; share it by reference (or `Arc`) between rayon workers. All writes
/// of this process go through one connection (SQLite has a single writer); multi-statement writes
/// use `BEGIN IMMEDIATE` so that two processes never deadlock, and a lock held by another
/// process longer than the busy timeout is reported as [`StoreError::Locked`].
///
/// Do not call its methods from inside an async runtime (they block on their own runtime).
pub struct Store {
    pub(crate) rt: Runtime,
    pub(crate) writer: SqlitePool,
    pub(crate) reader: SqlitePool,
    pub(crate) location: String,
    pub(crate) busy_timeout: Duration,
    #[cfg(test)]
    pub(crate) fail_before_commit: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location)
            .field("busy_timeout", &self.busy_timeout)
            .finish_non_exhaustive()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Close connections cleanly (checkpoints the WAL) unless we are inside a runtime.
        if tokio::runtime::Handle::try_current().is_err() {
            let (w, r) = (self.writer.clone(), self.reader.clone());
            self.rt.block_on(async move {
                r.close().await;
                w.close().await;
            });
        }
    }
}

fn runtime() -> Result<Runtime, StoreError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("lfg-store")
        .enable_all()
        .build()
        .map_err(StoreError::Runtime)
}

impl Store {
    /// Opens (creating if needed, with its parent folders) the database at `path`, with WAL
    /// mode, foreign keys on and a 5 s busy timeout, and applies pending migrations.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, StoreOptions::default())
    }

    /// [`Store::open`] with explicit options.
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let location = path.display().to_string();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: PathBuf::from(parent),
                source,
            })?;
        }
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout);
        let rt = runtime()?;
        let busy = options.busy_timeout;
        // Two processes opening a new file at once (say `lfg run` and `lfg show`) can meet
        // SQLITE_BUSY without SQLite's busy handler waiting (switching to WAL), or both apply
        // migration 1 (one then finds its tables already there): the whole open is retried,
        // and a retry sees the other's committed migration, until the busy timeout has passed.
        // A migration that keeps failing is reported after that.
        let deadline = std::time::Instant::now() + busy;
        let (writer, reader) = loop {
            let attempt = rt.block_on(async {
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(WRITER_ACQUIRE_TIMEOUT)
                    .connect_with(connect.clone())
                    .await
                    .map_err(|e| classify(e, &location, busy, "opening the database"))?;
                migrator()
                    .run(&writer)
                    .await
                    .map_err(|e| classify_migration(e, &location, busy))?;
                let reader = SqlitePoolOptions::new()
                    .max_connections(options.read_connections.max(1))
                    .acquire_timeout(WRITER_ACQUIRE_TIMEOUT)
                    .connect_lazy_with(connect.clone());
                Ok::<_, StoreError>((writer, reader))
            });
            match attempt {
                Err(StoreError::Locked { .. } | StoreError::Migration { .. })
                    if std::time::Instant::now() < deadline =>
                {
                    tracing::debug!(store = %location, "store busy at open; retrying");
                    std::thread::sleep(Duration::from_millis(25));
                }
                other => break other?,
            }
        };
        tracing::debug!(store = %location, "opened store");
        Ok(Self::assemble(rt, writer, reader, location, busy))
    }

    /// A fresh private in-memory database (for tests), migrated.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let location = ":memory:".to_owned();
        let busy = DEFAULT_BUSY_TIMEOUT;
        let connect = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| classify(e, &location, busy, "parsing in-memory options"))?
            .journal_mode(SqliteJournalMode::Memory)
            .foreign_keys(true)
            .busy_timeout(busy);
        let rt = runtime()?;
        let pool = rt.block_on(async {
            // One connection that never expires: the database lives as long as it does.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(WRITER_ACQUIRE_TIMEOUT)
                .connect_with(connect)
                .await
                .map_err(|e| classify(e, &location, busy, "opening an in-memory database"))?;
            migrator()
                .run(&pool)
                .await
                .map_err(|e| classify_migration(e, &location, busy))?;
            Ok::<_, StoreError>(pool)
        })?;
        Ok(Self::assemble(rt, pool.clone(), pool, location, busy))
    }

    fn assemble(
        rt: Runtime,
        writer: SqlitePool,
        reader: SqlitePool,
        location: String,
        busy_timeout: Duration,
    ) -> Self {
        Self {
            rt,
            writer,
            reader,
            location,
            busy_timeout,
            #[cfg(test)]
            fail_before_commit: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The database path as given to `open` (or `:memory:`).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Maps an sqlx error to a [`StoreError`] naming this database.
    pub(crate) fn err(&self, context: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        let context = context.to_owned();
        move |e| classify(e, &self.location, self.busy_timeout, context.clone())
    }

    pub(crate) fn json_err(
        &self,
        what: &'static str,
    ) -> impl Fn(serde_json::Error) -> StoreError + '_ {
        move |source| StoreError::Json {
            location: self.location.clone(),
            what,
            source,
        }
    }

    pub(crate) fn corrupt(&self, what: &'static str, value: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            location: self.location.clone(),
            what,
            value: value.into(),
        }
    }

    async fn begin_write(&self, context: &str) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(self.err(context))
    }

    // ------------------------------------------------------------ experiments and runs

    /// Finds or creates the experiment `(name, sha256(spec_text))`.
    pub fn ensure_experiment(&self, name: &str, spec_text: &str) -> Result<Experiment, StoreError> {
        self.ensure_experiment_with_hash(name, spec_text, &sha256_hex(spec_text))
    }

    /// Finds or creates the experiment `(name, spec_hash)` with a caller-computed hash (e.g. of a
    /// normalised spec). The stored spec text is the one of the first call.
    pub fn ensure_experiment_with_hash(
        &self,
        name: &str,
        spec_text: &str,
        spec_hash: &str,
    ) -> Result<Experiment, StoreError> {
        self.rt.block_on(async {
            let ctx = format!("registering experiment '{name}'");
            sqlx::query(
                "INSERT INTO experiments (name, spec_hash, spec_text) VALUES (?, ?, ?) \
                 ON CONFLICT (name, spec_hash) DO NOTHING",
            )
            .bind(name)
            .bind(spec_hash)
            .bind(spec_text)
            .execute(&self.writer)
            .await
            .map_err(self.err(&ctx))?;
            let (id, created): (i64, String) = sqlx::query_as(
                "SELECT id, created FROM experiments WHERE name = ? AND spec_hash = ?",
            )
            .bind(name)
            .bind(spec_hash)
            .fetch_one(&self.writer)
            .await
            .map_err(self.err(&ctx))?;
            Ok(Experiment {
                id: ExperimentId(id),
                name: name.to_owned(),
                spec_hash: spec_hash.to_owned(),
                created,
            })
        })
    }

    /// Registers (or updates the description/params of) a setting of an experiment.
    pub fn ensure_setting(
        &self,
        experiment: ExperimentId,
        setting: &SettingSpec,
    ) -> Result<(), StoreError> {
        let params =
            serde_json::to_string(&setting.params).map_err(self.json_err("setting params"))?;
        self.rt.block_on(async {
            sqlx::query(
                "INSERT INTO settings (experiment_id, name, description, dataset, protocol, params) \
                 VALUES (?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (experiment_id, name) DO UPDATE SET description = excluded.description, \
                 dataset = excluded.dataset, protocol = excluded.protocol, params = excluded.params",
            )
            .bind(experiment.0)
            .bind(&setting.name)
            .bind(&setting.description)
            .bind(&setting.dataset)
            .bind(&setting.protocol)
            .bind(params)
            .execute(&self.writer)
            .await
            .map_err(self.err(&format!(
                "registering setting '{}' of experiment {experiment}",
                setting.name
            )))?;
            Ok(())
        })
    }

    /// Starts a run of an experiment (status `running`).
    pub fn start_run(&self, experiment: ExperimentId, run: &NewRun) -> Result<RunId, StoreError> {
        let args = serde_json::to_string(&run.cli_args).map_err(self.json_err("cli args"))?;
        self.rt.block_on(async {
            let res = sqlx::query(
                "INSERT INTO runs (experiment_id, status, git_commit, git_dirty, host, lfg_version, cli_args) \
                 VALUES (?, 'running', ?, ?, ?, ?, ?)",
            )
            .bind(experiment.0)
            .bind(&run.git_commit)
            .bind(run.git_dirty)
            .bind(&run.host)
            .bind(&run.lfg_version)
            .bind(args)
            .execute(&self.writer)
            .await
            .map_err(self.err(&format!("starting a run of experiment {experiment}")))?;
            let id = RunId(res.last_insert_rowid());
            tracing::info!(run = %id, experiment = %experiment, "run started");
            Ok(id)
        })
    }

    /// Sets a run's status. `Running` clears the end time (resume); any other status sets it to
    /// now. `message` is stored for failed/interrupted runs (`None` clears it).
    pub fn set_run_status(
        &self,
        run: RunId,
        status: RunStatus,
        message: Option<&str>,
    ) -> Result<(), StoreError> {
        self.rt.block_on(async {
            let res = sqlx::query(
                "UPDATE runs SET status = ?, message = ?, finished = CASE WHEN ? = 'running' THEN NULL \
                 ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END WHERE id = ?",
            )
            .bind(status.as_str())
            .bind(message)
            .bind(status.as_str())
            .bind(run.0)
            .execute(&self.writer)
            .await
            .map_err(self.err(&format!("setting the status of run {run}")))?;
            if res.rows_affected() == 0 {
                return Err(StoreError::UnknownRun(run));
            }
            tracing::info!(run = %run, status = %status, "run status");
            Ok(())
        })
    }

    /// Ends a run with `status` (completed / failed / interrupted).
    pub fn finish_run(&self, run: RunId, status: RunStatus) -> Result<(), StoreError> {
        self.set_run_status(run, status, None)
    }

    /// Marks a run interrupted (Ctrl-C, signal). Its finished folds stay; `resume_run` continues it.
    pub fn mark_interrupted(&self, run: RunId) -> Result<(), StoreError> {
        self.set_run_status(run, RunStatus::Interrupted, Some("interrupted"))
    }

    /// Puts a run back to `running` for `lfg run --resume`.
    pub fn resume_run(&self, run: RunId) -> Result<(), StoreError> {
        self.set_run_status(run, RunStatus::Running, None)
    }

    /// The most recent run of the experiment whose name or spec hash is `name_or_hash`.
    pub fn latest_run_for_experiment(
        &self,
        name_or_hash: &str,
    ) -> Result<Option<RunSummary>, StoreError> {
        let rows = self.run_summaries(
            "WHERE e.name = ? OR e.spec_hash = ? ORDER BY r.id DESC LIMIT 1",
            &[name_or_hash, name_or_hash],
        )?;
        Ok(rows.into_iter().next())
    }

    // ------------------------------------------------------------ trials and folds

    /// Finds or creates the trial `key` in `run`. Equal keys (hyperparameters compared by their
    /// canonical hash) return the same id, so the runner can call this again on resume.
    pub fn upsert_trial(&self, run: RunId, key: &TrialKey) -> Result<TrialId, StoreError> {
        let hparams = serde_json::to_string(&key.hyperparameters)
            .map_err(self.json_err("hyperparameters"))?;
        let hash = hyperparameters_hash(&key.hyperparameters);
        let ctx = format!(
            "registering trial {}/{} of run {run}",
            key.setting, key.model
        );
        self.rt.block_on(async {
            let mut tx = self.begin_write(&ctx).await?;
            let setting: Option<(i64,)> = sqlx::query_as(
                "SELECT s.id FROM settings s JOIN runs r ON r.experiment_id = s.experiment_id \
                 WHERE r.id = ? AND s.name = ?",
            )
            .bind(run.0)
            .bind(&key.setting)
            .fetch_optional(&mut *tx)
            .await
            .map_err(self.err(&ctx))?;
            let Some((setting_id,)) = setting else {
                let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM runs WHERE id = ?")
                    .bind(run.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(self.err(&ctx))?;
                return Err(match exists {
                    None => StoreError::UnknownRun(run),
                    Some(_) => StoreError::UnknownSetting {
                        run,
                        setting: key.setting.clone(),
                    },
                });
            };
            sqlx::query(
                "INSERT INTO trials (run_id, setting_id, model, strategy, reveal, role, hyperparameters, hparams_hash) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(run.0)
            .bind(setting_id)
            .bind(&key.model)
            .bind(&key.strategy)
            .bind(key.reveal)
            .bind(key.role.as_str())
            .bind(&hparams)
            .bind(&hash)
            .execute(&mut *tx)
            .await
            .map_err(self.err(&ctx))?;
            let (id,): (i64,) = sqlx::query_as(
                "SELECT id FROM trials WHERE run_id = ? AND setting_id = ? AND model = ? \
                 AND strategy IS ? AND reveal IS ? AND role = ? AND hparams_hash = ?",
            )
            .bind(run.0)
            .bind(setting_id)
            .bind(&key.model)
            .bind(&key.strategy)
            .bind(key.reveal)
            .bind(key.role.as_str())
            .bind(&hash)
            .fetch_one(&mut *tx)
            .await
            .map_err(self.err(&ctx))?;
            tx.commit().await.map_err(self.err(&ctx))?;
            Ok(TrialId(id))
        })
    }

    /// Records a finished fold with its metrics, epochs and extra JSON in ONE transaction: either
    /// everything is stored or nothing is. A previously recorded *failed* fold with the same index
    /// is replaced; a *completed* one is an error ([`StoreError::DuplicateFold`]).
    pub fn record_fold(&self, trial: TrialId, fold: &FoldRecord) -> Result<FoldId, StoreError> {
        let index = fold.index;
        let mut names: Vec<&str> = fold.metrics.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(StoreError::DuplicateMetric {
                trial,
                index,
                name: w[0].to_owned(),
            });
        }
        let mut epochs: Vec<u32> = fold.epochs.iter().map(|e| e.epoch).collect();
        epochs.sort_unstable();
        if let Some(w) = epochs.windows(2).find(|w| w[0] == w[1]) {
            return Err(StoreError::DuplicateEpoch {
                trial,
                index,
                epoch: w[0],
            });
        }
        let fold_index = to_i64("fold index", index)?;
        let train_size = to_i64("train size", fold.train_size)?;
        let test_size = to_i64("test size", fold.test_size)?;
        let extra = serde_json::to_string(&fold.extra).map_err(self.json_err("fold extra"))?;
        let ctx = format!("recording fold {index} of trial {trial}");
        self.rt.block_on(async {
            let mut tx = self.begin_write(&ctx).await?;
            self.clear_failed_fold(&mut tx, trial, index, fold_index, &ctx)
                .await?;
            let res = sqlx::query(
                "INSERT INTO folds (trial_id, fold_index, seed, status, train_size, test_size, \
                 fit_seconds, predict_seconds, extra) VALUES (?, ?, ?, 'completed', ?, ?, ?, ?, ?)",
            )
            .bind(trial.0)
            .bind(fold_index)
            .bind(seed_to_db(fold.seed))
            .bind(train_size)
            .bind(test_size)
            .bind(float_to_db(fold.fit_seconds))
            .bind(float_to_db(fold.predict_seconds))
            .bind(&extra)
            .execute(&mut *tx)
            .await
            .map_err(self.err(&ctx))?;
            let fold_id = res.last_insert_rowid();
            for (name, value) in &fold.metrics {
                sqlx::query("INSERT INTO metrics (fold_id, name, value) VALUES (?, ?, ?)")
                    .bind(fold_id)
                    .bind(name)
                    .bind(float_to_db(*value))
                    .execute(&mut *tx)
                    .await
                    .map_err(self.err(&ctx))?;
            }
            for e in &fold.epochs {
                sqlx::query(
                    "INSERT INTO epochs (fold_id, epoch, train_loss, valid_rmse, seconds) \
                     VALUES (?, ?, ?, ?, ?)",
                )
                .bind(fold_id)
                .bind(e.epoch)
                .bind(float_to_db(e.train_loss))
                .bind(e.valid_rmse.and_then(float_to_db))
                .bind(float_to_db(e.seconds))
                .execute(&mut *tx)
                .await
                .map_err(self.err(&ctx))?;
            }
            #[cfg(test)]
            if self
                .fail_before_commit
                .load(std::sync::atomic::Ordering::SeqCst)
            {
                // Dropping `tx` rolls back, exactly as a crash before COMMIT would.
                return Err(StoreError::OutOfRange {
                    what: "injected failure",
                    value: ctx,
                });
            }
            tx.commit().await.map_err(self.err(&ctx))?;
            tracing::debug!(trial = %trial, fold = index, "fold recorded");
            Ok(FoldId(fold_id))
        })
    }

    /// Records a fold that failed (no metrics), so reports can show it. Resume retries it:
    /// failed folds are not in [`Store::finished_folds`], and `record_fold` replaces them.
    pub fn record_failed_fold(
        &self,
        trial: TrialId,
        index: usize,
        seed: u64,
        error: &str,
    ) -> Result<FoldId, StoreError> {
        let fold_index = to_i64("fold index", index)?;
        let ctx = format!("recording failed fold {index} of trial {trial}");
        self.rt.block_on(async {
            let mut tx = self.begin_write(&ctx).await?;
            self.clear_failed_fold(&mut tx, trial, index, fold_index, &ctx)
                .await?;
            let res = sqlx::query(
                "INSERT INTO folds (trial_id, fold_index, seed, status, error) \
                 VALUES (?, ?, ?, 'failed', ?)",
            )
            .bind(trial.0)
            .bind(fold_index)
            .bind(seed_to_db(seed))
            .bind(error)
            .execute(&mut *tx)
            .await
            .map_err(self.err(&ctx))?;
            tx.commit().await.map_err(self.err(&ctx))?;
            Ok(FoldId(res.last_insert_rowid()))
        })
    }

    /// Inside a write transaction: checks the trial exists, refuses a completed fold with the
    /// same index and deletes a failed one.
    async fn clear_failed_fold(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        trial: TrialId,
        index: usize,
        fold_index: i64,
        ctx: &str,
    ) -> Result<(), StoreError> {
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM trials WHERE id = ?")
            .bind(trial.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(self.err(ctx))?;
        if exists.is_none() {
            return Err(StoreError::UnknownTrial(trial));
        }
        let existing: Option<(i64, String)> =
            sqlx::query_as("SELECT id, status FROM folds WHERE trial_id = ? AND fold_index = ?")
                .bind(trial.0)
                .bind(fold_index)
                .fetch_optional(&mut **tx)
                .await
                .map_err(self.err(ctx))?;
        match existing {
            Some((_, status)) if status == "completed" => {
                Err(StoreError::DuplicateFold { trial, index })
            }
            Some((id, _)) => {
                sqlx::query("DELETE FROM folds WHERE id = ?")
                    .bind(id)
                    .execute(&mut **tx)
                    .await
                    .map_err(self.err(ctx))?;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Indices of the completed folds of a trial, ascending. Resume runs exactly the others.
    pub fn finished_folds(&self, trial: TrialId) -> Result<Vec<usize>, StoreError> {
        self.rt.block_on(async {
            let rows: Vec<(i64,)> = sqlx::query_as(
                "SELECT fold_index FROM folds WHERE trial_id = ? AND status = 'completed' \
                 ORDER BY fold_index",
            )
            .bind(trial.0)
            .fetch_all(&self.reader)
            .await
            .map_err(self.err(&format!("listing finished folds of trial {trial}")))?;
            rows.into_iter()
                .map(|(i,)| {
                    usize::try_from(i).map_err(|_| self.corrupt("folds.fold_index", i.to_string()))
                })
                .collect()
        })
    }

    /// Fold indices in `0..k` not yet completed for a trial, ascending.
    pub fn missing_folds(&self, trial: TrialId, k: usize) -> Result<Vec<usize>, StoreError> {
        let done = self.finished_folds(trial)?;
        Ok((0..k).filter(|i| done.binary_search(i).is_err()).collect())
    }

    /// Reuses a finished fold from an earlier run.
    ///
    /// Looks for a *completed* fold in another run whose experiment has the same spec hash as
    /// this trial's run, with the same setting name, model, strategy, reveal count, role,
    /// hyperparameters hash, fold index and seed. When found, copies it (sizes, timings, extra,
    /// metrics and epochs) into `trial` in one transaction, with `reused_from` pointing at the
    /// original fold (the first run that computed it, following earlier reuses), and returns the
    /// new fold id. Returns `None` when there is nothing to reuse or when `trial` already has a
    /// completed fold with this index. The most recent matching fold wins.
    pub fn reuse_fold(
        &self,
        trial: TrialId,
        index: usize,
        seed: u64,
    ) -> Result<Option<FoldId>, StoreError> {
        let fold_index = to_i64("fold index", index)?;
        let ctx = format!("reusing fold {index} for trial {trial}");
        self.rt.block_on(async {
            let mut tx = self.begin_write(&ctx).await?;
            let src: Option<(i64, Option<i64>)> = sqlx::query_as(
                "SELECT f.id, f.reused_from FROM trials t \
                 JOIN runs r ON r.id = t.run_id \
                 JOIN experiments e ON e.id = r.experiment_id \
                 JOIN settings s ON s.id = t.setting_id \
                 JOIN experiments e2 ON e2.spec_hash = e.spec_hash \
                 JOIN runs r2 ON r2.experiment_id = e2.id AND r2.id <> r.id \
                 JOIN trials t2 ON t2.run_id = r2.id AND t2.model = t.model \
                      AND t2.strategy IS t.strategy AND t2.reveal IS t.reveal \
                      AND t2.role = t.role AND t2.hparams_hash = t.hparams_hash \
                 JOIN settings s2 ON s2.id = t2.setting_id AND s2.name = s.name \
                 JOIN folds f ON f.trial_id = t2.id AND f.fold_index = ? AND f.seed = ? \
                      AND f.status = 'completed' \
                 WHERE t.id = ? ORDER BY f.id DESC LIMIT 1",
            )
            .bind(fold_index)
            .bind(seed_to_db(seed))
            .bind(trial.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(self.err(&ctx))?;
            let Some((src_id, src_origin)) = src else {
                return Ok(None);
            };
            let existing: Option<(String,)> =
                sqlx::query_as("SELECT status FROM folds WHERE trial_id = ? AND fold_index = ?")
                    .bind(trial.0)
                    .bind(fold_index)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(self.err(&ctx))?;
            match existing {
                Some((status,)) if status == "completed" => return Ok(None),
                Some(_) => {
                    sqlx::query("DELETE FROM folds WHERE trial_id = ? AND fold_index = ?")
                        .bind(trial.0)
                        .bind(fold_index)
                        .execute(&mut *tx)
                        .await
                        .map_err(self.err(&ctx))?;
                }
                None => {}
            }
            let origin = src_origin.unwrap_or(src_id);
            let res = sqlx::query(
                "INSERT INTO folds (trial_id, fold_index, seed, status, train_size, test_size, \
                 fit_seconds, predict_seconds, extra, reused_from) \
                 SELECT ?, fold_index, seed, status, train_size, test_size, fit_seconds, \
                 predict_seconds, extra, ? FROM folds WHERE id = ?",
            )
            .bind(trial.0)
            .bind(origin)
            .bind(src_id)
            .execute(&mut *tx)
            .await
            .map_err(self.err(&ctx))?;
            let new_id = res.last_insert_rowid();
            sqlx::query(
                "INSERT INTO metrics (fold_id, name, value) SELECT ?, name, value FROM metrics \
                 WHERE fold_id = ?",
            )
            .bind(new_id)
            .bind(src_id)
            .execute(&mut *tx)
            .await
            .map_err(self.err(&ctx))?;
            sqlx::query(
                "INSERT INTO epochs (fold_id, epoch, train_loss, valid_rmse, seconds) \
                 SELECT ?, epoch, train_loss, valid_rmse, seconds FROM epochs WHERE fold_id = ?",
            )
            .bind(new_id)
            .bind(src_id)
            .execute(&mut *tx)
            .await
            .map_err(self.err(&ctx))?;
            tx.commit().await.map_err(self.err(&ctx))?;
            tracing::debug!(trial = %trial, fold = index, from = src_id, "fold reused");
            Ok(Some(FoldId(new_id)))
        })
    }

    /// Records a saved artifact (e.g. a model directory) of a run, trial or fold.
    pub fn add_artifact(
        &self,
        run: RunId,
        trial: Option<TrialId>,
        fold_index: Option<usize>,
        kind: &str,
        path: &Path,
    ) -> Result<i64, StoreError> {
        let fold_index = fold_index.map(|i| to_i64("fold index", i)).transpose()?;
        let path = path.display().to_string();
        self.rt.block_on(async {
            let res = sqlx::query(
                "INSERT INTO artifacts (run_id, trial_id, fold_index, kind, path) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(run.0)
            .bind(trial.map(|t| t.0))
            .bind(fold_index)
            .bind(kind)
            .bind(&path)
            .execute(&self.writer)
            .await
            .map_err(self.err(&format!("recording artifact {path} of run {run}")))?;
            Ok(res.last_insert_rowid())
        })
    }

    /// Parses a stored role.
    pub(crate) fn parse_role(&self, s: &str) -> Result<TrialRole, StoreError> {
        TrialRole::from_str(s).map_err(|v| self.corrupt("trials.role", v))
    }
}
