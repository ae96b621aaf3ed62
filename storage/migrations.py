"""Schema history of runs.db, as sqlite-utils migrations.

Rules for editing this file:

* Append only. A migration that has shipped may already have run on a
  user's machine; changing it would leave old and new databases with
  different schemas under the same migration name. Add ``m002_...`` instead.
* Spell the SQL out literally instead of referring to Python constants
  (such as storage.runs.STATUSES): a migration must keep creating exactly
  what it created the day it shipped, even if the constants change later.
* Every migration runs in a transaction together with the record of it
  having been applied, so a failure leaves the database untouched.
* Names count up in the order the migrations run (m001, m002, ...). A
  migration that ever shipped under another name keeps its old name in
  RENAMED, so databases that recorded the old name are not migrated twice.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("gru_desktop")

# {name a migration was recorded under in older databases: its name now}. Until 2026-12 the migration that
# ran seventh was called m009 (the numbers were taken in the order branches were planned, not merged);
# `rename_recorded` rewrites such records before anything is applied.
RENAMED = {"m009_resume_queue_monitor": "m007_resume_queue_monitor"}


def recorded_under_old_names(db: Database) -> bool:
    """Whether `db` recorded a migration under a name in RENAMED (read-only)."""
    return any(m.name in RENAMED for m in MIGRATIONS.applied(db))


def rename_recorded(db: Database) -> None:
    """Rewrite the old names of RENAMED in sqlite-utils' record of applied migrations (inside the caller's
    write transaction, before MIGRATIONS.apply). A new database has nothing to rename."""
    if not recorded_under_old_names(db):
        return
    for old, new in RENAMED.items():
        db.execute(f"UPDATE {Migrations.migrations_table} SET name = ? WHERE migration_set = ? AND name = ?",
                   [new, MIGRATIONS.name, old])


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    # Raw SQL because sqlite-utils' create() cannot express CHECK constraints
    # or ON DELETE actions on foreign keys.
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            name TEXT,
            created_at TEXT,
            finished_at TEXT,
            status TEXT NOT NULL CHECK (status IN
                ('running', 'completed', 'cancelled', 'failed', 'interrupted')),
            error TEXT,
            corpus TEXT,
            corpus_sha256 TEXT,
            config TEXT,
            vocab_size INTEGER,
            epochs_planned INTEGER,
            best_epoch INTEGER,
            best_val_loss REAL,
            best_val_accuracy REAL,
            best_val_top3 REAL,
            best_val_perplexity REAL,
            model_path TEXT,
            notes TEXT DEFAULT '',
            -- A fine-tuned run keeps pointing at nothing rather than
            -- blocking the deletion of the run it started from.
            parent_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
            pid INTEGER,
            host TEXT,
            pid_started TEXT,
            train_tokens INTEGER,
            val_tokens INTEGER
        )
        """
    )
    db.execute(
        """
        CREATE TABLE epochs (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            epoch INTEGER NOT NULL,
            train_loss REAL,
            train_accuracy REAL,
            val_loss REAL,
            val_accuracy REAL,
            val_top3 REAL,
            val_perplexity REAL,
            seconds REAL,
            tokens_per_s REAL,
            observation TEXT,
            lr REAL,
            PRIMARY KEY (run_id, epoch)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE steps (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            epoch INTEGER,
            loss REAL,
            PRIMARY KEY (run_id, step)
        )
        """
    )
    # The run list filters by status (mark_interrupted) and sorts by date.
    db.execute("CREATE INDEX idx_runs_status ON runs(status)")
    db.execute("CREATE INDEX idx_runs_created_at ON runs(created_at)")


@MIGRATIONS()
def m002_stop_reason(db: Database) -> None:
    # Why training ended, in words: completed runs can stop early or at a time limit.
    db.execute("ALTER TABLE runs ADD COLUMN stop_reason TEXT")


@MIGRATIONS()
def m003_evaluation(db: Database) -> None:
    # Where the corpus came from (a JSON list of files), so a run can be evaluated again later, and the
    # typing-quality numbers of its model on its validation text (design §1).
    db.execute("ALTER TABLE runs ADD COLUMN corpus_paths TEXT")
    for column, kind in (("eval_perplexity", "REAL"), ("eval_top1", "REAL"), ("eval_top3", "REAL"),
                         ("eval_keystroke_savings", "REAL"), ("eval_tokens", "INTEGER"), ("eval_at", "TEXT")):
        db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")


@MIGRATIONS()
def m004_baselines(db: Database) -> None:
    # Count-based baselines (interpolated Kneser-Ney trigram) per corpus and split, so the runs table can
    # show whether a GRU beats counting. The key is everything that changes the split or the vocabulary.
    db.execute(
        """
        CREATE TABLE baselines (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            corpus TEXT,
            corpus_sha256 TEXT NOT NULL,
            split_key TEXT NOT NULL,
            created_at TEXT,
            perplexity REAL,
            top1 REAL,
            top3 REAL,
            keystroke_savings REAL,
            tokens INTEGER,
            train_tokens INTEGER,
            seconds REAL,
            UNIQUE (kind, corpus_sha256, split_key)
        )
        """
    )


@MIGRATIONS()
def m005_run_marks(db: Database) -> None:
    # What the user adds to a run in the runs table: tags (a JSON list) and a star for the baseline run.
    db.execute("ALTER TABLE runs ADD COLUMN tags TEXT DEFAULT '[]'")
    db.execute("ALTER TABLE runs ADD COLUMN starred INTEGER DEFAULT 0")


@MIGRATIONS()
def m006_blend_and_samples(db: Database) -> None:
    # What suggests (design §11): the blend's weights (a JSON object gru/counts/cache) and λ, and the GRU's
    # own typing-quality numbers beside the eval_* columns, which now hold the source that suggests
    # (eval_source: "blend" or "gru"). Per epoch: sample suggestions for a few prefixes (a JSON list).
    db.execute("ALTER TABLE runs ADD COLUMN blend_weights TEXT")
    db.execute("ALTER TABLE runs ADD COLUMN blend_lambda REAL")
    db.execute("ALTER TABLE runs ADD COLUMN eval_source TEXT")
    for column, kind in (("eval_gru_perplexity", "REAL"), ("eval_gru_top1", "REAL"), ("eval_gru_top3", "REAL"),
                         ("eval_gru_keystroke_savings", "REAL"), ("eval_counts_perplexity", "REAL"),
                         ("eval_counts_top3", "REAL")):
        db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
    db.execute("ALTER TABLE epochs ADD COLUMN samples TEXT")


@MIGRATIONS()
def m007_resume_queue_monitor(db: Database) -> None:  # recorded as m009_resume_queue_monitor before 2026-12
    # 1. Runs can be 'paused' (a checkpoint to resume from) and 'queued'. SQLite cannot change a CHECK
    # constraint in place, so the table is rebuilt from its own current definition (whatever columns
    # earlier migrations added) with the longer status list. storage.db runs migrations with foreign keys
    # off, so dropping the old table does not cascade into epochs and steps.
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'runs'").fetchone()
    old = "('running', 'completed', 'cancelled', 'failed', 'interrupted')"
    new = "('running', 'completed', 'cancelled', 'failed', 'interrupted', 'paused', 'queued')"
    if old not in sql:
        raise RuntimeError("m007: unexpected runs schema, status list not found")
    # (The temporary table keeps the name it shipped with; the rename below gives the same schema either way.)
    db.execute(sql.replace(old, new).replace("CREATE TABLE runs", "CREATE TABLE runs_m009", 1))
    db.execute("INSERT INTO runs_m009 SELECT * FROM runs")
    db.execute("DROP TABLE runs")
    db.execute("ALTER TABLE runs_m009 RENAME TO runs")
    db.execute("CREATE INDEX IF NOT EXISTS idx_runs_status ON runs(status)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_runs_created_at ON runs(created_at)")
    # Where the run's resumable checkpoint is, and a pause asked for by another process (`runs pause`).
    db.execute("ALTER TABLE runs ADD COLUMN checkpoint_path TEXT")
    db.execute("ALTER TABLE runs ADD COLUMN pause_requested INTEGER DEFAULT 0")
    # 2. The system monitor, per epoch: the training process's CPU use, peak memory, threads, device.
    for column, kind in (("cpu_percent", "REAL"), ("peak_rss_mb", "REAL"), ("threads", "INTEGER"), ("device", "TEXT")):
        db.execute(f"ALTER TABLE epochs ADD COLUMN {column} {kind}")
    # 3. The run queue: settings and corpus of runs to train one after another; a sweep is a named group.
    db.execute(
        """
        CREATE TABLE queue (
            id INTEGER PRIMARY KEY,
            position INTEGER NOT NULL,
            created_at TEXT,
            name TEXT,
            sweep TEXT,
            config TEXT NOT NULL,
            corpus_paths TEXT NOT NULL DEFAULT '[]',
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
            run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
            pid INTEGER,
            host TEXT,
            pid_started TEXT,
            message TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_queue_state ON queue(state, position)")


@MIGRATIONS()
def m008_devices(db: Database) -> None:
    # Where a run trained (design §12): the device it used ('cpu', 'cuda:0', 'mps') and how many
    # processes trained it together (torchrun). Older runs trained in one process on the CPU.
    db.execute("ALTER TABLE runs ADD COLUMN device TEXT DEFAULT 'cpu'")
    db.execute("ALTER TABLE runs ADD COLUMN processes INTEGER DEFAULT 1")


@MIGRATIONS()
def m009_canary_exposure(db: Database) -> None:
    # The memorisation audit (design §17): canaries put into a run's training text (`train --canaries N`,
    # N per repetition count), their exposure after each epoch (JSON: mean bits per repetition count and
    # each canary's), and the run's last audit (JSON, secrets masked) for warnings before export or serving.
    db.execute("ALTER TABLE runs ADD COLUMN canaries INTEGER DEFAULT 0")
    db.execute("ALTER TABLE runs ADD COLUMN audit TEXT")
    db.execute("ALTER TABLE epochs ADD COLUMN canary_exposure TEXT")


@MIGRATIONS()
def m010_learn_answers(db: Database) -> None:
    # Learn (design §15): every answer to a generated question — its family, difficulty, the misconception tag of
    # the chosen option (NULL when right), time taken, mode (quiz/practice/test/predict) and the run it was about.
    db.execute(
        """
        CREATE TABLE learn_answers (
            id INTEGER PRIMARY KEY,
            answered_at TEXT,
            question_id TEXT NOT NULL,
            family TEXT NOT NULL,
            difficulty TEXT NOT NULL,
            misconception TEXT,
            correct INTEGER NOT NULL,
            chosen INTEGER,
            seconds REAL,
            mode TEXT,
            run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_learn_answers_question ON learn_answers(question_id)")


@MIGRATIONS()
def m011_run_token(db: Database) -> None:
    # The token a launcher gives a child process (`train --run-token T`), stored on the run the child creates,
    # so the launcher follows exactly that run, not "the first run after the highest id" (another process may
    # create one meanwhile). NULL for runs nobody follows.
    db.execute("ALTER TABLE runs ADD COLUMN run_token TEXT")
    db.execute("CREATE INDEX idx_runs_run_token ON runs(run_token)")


@MIGRATIONS()
def m012_personal_counts(db: Database) -> None:
    # Learning as you type (design §17): what the user finished typing, as n-grams of 1-3 words (a JSON
    # array), their count decayed to their own word-clock tick, sightings, that tick and when last seen
    # (unix time); and a few values (the word clock, paused, the personal part's fitted weight per run).
    db.execute(
        """
        CREATE TABLE personal_ngrams (
            ngram TEXT PRIMARY KEY,
            n INTEGER NOT NULL,
            count REAL NOT NULL,
            seen INTEGER NOT NULL,
            tick INTEGER NOT NULL,
            last_seen REAL NOT NULL
        )
        """
    )
    db.execute("CREATE TABLE personal_meta (key TEXT PRIMARY KEY, value TEXT)")
