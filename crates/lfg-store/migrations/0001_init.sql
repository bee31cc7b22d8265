-- lfg tracking store, schema version 1.
-- Timestamps are UTC ISO-8601 text written by SQLite itself (millisecond precision).
-- Seeds are u64 values stored bit-for-bit in a signed INTEGER column.

CREATE TABLE experiments (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    spec_hash   TEXT NOT NULL,
    spec_text   TEXT NOT NULL,
    created     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (name, spec_hash)
);
CREATE INDEX experiments_spec_hash ON experiments (spec_hash);

-- One experiment file holds several evaluation settings.
CREATE TABLE settings (
    id            INTEGER PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT,
    dataset       TEXT NOT NULL,
    protocol      TEXT NOT NULL,
    params        TEXT NOT NULL DEFAULT 'null',
    UNIQUE (experiment_id, name)
);

CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    started       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished      TEXT,
    status        TEXT NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    git_commit    TEXT,
    git_dirty     INTEGER CHECK (git_dirty IN (0, 1)),
    host          TEXT,
    lfg_version   TEXT NOT NULL,
    cli_args      TEXT NOT NULL DEFAULT '[]',
    message       TEXT
);
CREATE INDEX runs_experiment ON runs (experiment_id);

-- A trial is one (setting, model, strategy, reveal count, hyperparameters, role) inside a run.
-- role 'sweep': evaluated on inner validation splits of training data; 'final': on test folds.
CREATE TABLE trials (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    setting_id      INTEGER NOT NULL REFERENCES settings (id) ON DELETE CASCADE,
    model           TEXT NOT NULL,
    strategy        TEXT,
    reveal          INTEGER,
    role            TEXT NOT NULL CHECK (role IN ('sweep', 'final')),
    hyperparameters TEXT NOT NULL,
    hparams_hash    TEXT NOT NULL,
    created         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX trials_key ON trials (
    run_id, setting_id, model, IFNULL(strategy, ''), IFNULL(reveal, -1), role, hparams_hash
);

CREATE TABLE folds (
    id              INTEGER PRIMARY KEY,
    trial_id        INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
    fold_index      INTEGER NOT NULL CHECK (fold_index >= 0),
    seed            INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('completed', 'failed')),
    train_size      INTEGER,
    test_size       INTEGER,
    fit_seconds     REAL,
    predict_seconds REAL,
    extra           TEXT NOT NULL DEFAULT 'null',
    error           TEXT,
    reused_from     INTEGER REFERENCES folds (id) ON DELETE SET NULL,
    finished        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (trial_id, fold_index)
);
CREATE INDEX folds_reuse ON folds (fold_index, seed, status);

-- NULL value = not a number (SQLite cannot store NaN).
CREATE TABLE metrics (
    fold_id INTEGER NOT NULL REFERENCES folds (id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    value   REAL,
    PRIMARY KEY (fold_id, name)
) WITHOUT ROWID;

CREATE TABLE epochs (
    fold_id    INTEGER NOT NULL REFERENCES folds (id) ON DELETE CASCADE,
    epoch      INTEGER NOT NULL,
    train_loss REAL,
    valid_rmse REAL,
    seconds    REAL,
    PRIMARY KEY (fold_id, epoch)
) WITHOUT ROWID;

CREATE TABLE artifacts (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    trial_id   INTEGER REFERENCES trials (id) ON DELETE CASCADE,
    fold_index INTEGER,
    kind       TEXT NOT NULL,
    path       TEXT NOT NULL,
    created    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX artifacts_run ON artifacts (run_id);
