/**
 * Schema history. Append only: a released migration is never edited, a change is a new entry.
 * `PRAGMA user_version` records how many have run.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','cancelled','interrupted')),
    input         TEXT NOT NULL,
    progress      REAL,
    message       TEXT NOT NULL DEFAULT '',
    result        TEXT,
    error         TEXT,
    heavy         INTEGER NOT NULL,
    device        TEXT NOT NULL,
    retry_of      TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    owner_pid     INTEGER,
    owner_token   TEXT,
    worker_pid    INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER,
    updated_at    INTEGER NOT NULL
  );
  CREATE INDEX jobs_state ON jobs(state);
  CREATE INDEX jobs_updated ON jobs(updated_at);

  CREATE TABLE engines (
    token         TEXT PRIMARY KEY,
    pid           INTEGER NOT NULL,
    host          TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    heartbeat_at  INTEGER NOT NULL
  );

  CREATE TABLE artifacts (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    path          TEXT NOT NULL UNIQUE,
    sha256        TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    job_id        TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    meta          TEXT NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL
  );
  CREATE INDEX artifacts_kind ON artifacts(kind);
  CREATE INDEX artifacts_job ON artifacts(job_id);

  CREATE TABLE artifact_parents (
    child_id      TEXT NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
    parent_id     TEXT NOT NULL REFERENCES artifacts(id) ON DELETE RESTRICT,
    PRIMARY KEY (child_id, parent_id)
  );
  CREATE INDEX artifact_parents_parent ON artifact_parents(parent_id);

  CREATE TABLE settings (
    key           TEXT PRIMARY KEY,
    value         TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
  );
  `,

  // 2: jobs can be paused (resumable kinds); artifacts carry user tags/notes and whether Whittle owns their files.
  `
  CREATE TABLE jobs_v2 (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('queued','running','paused','succeeded','failed','cancelled','interrupted')),
    input         TEXT NOT NULL,
    progress      REAL,
    message       TEXT NOT NULL DEFAULT '',
    result        TEXT,
    error         TEXT,
    heavy         INTEGER NOT NULL,
    device        TEXT NOT NULL,
    retry_of      TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    owner_pid     INTEGER,
    owner_token   TEXT,
    worker_pid    INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER,
    updated_at    INTEGER NOT NULL
  );
  INSERT INTO jobs_v2 SELECT * FROM jobs;
  DROP TABLE jobs;
  ALTER TABLE jobs_v2 RENAME TO jobs;
  CREATE INDEX jobs_state ON jobs(state);
  CREATE INDEX jobs_updated ON jobs(updated_at);

  ALTER TABLE artifacts ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE artifacts ADD COLUMN notes TEXT NOT NULL DEFAULT '';
  ALTER TABLE artifacts ADD COLUMN managed INTEGER NOT NULL DEFAULT 1;
  `,
  // 3: chat playground conversations. Messages form a tree (parent_id) so edits branch instead of overwriting.
  `
  CREATE TABLE conversations (
    id             TEXT PRIMARY KEY,
    title          TEXT NOT NULL,
    columns        TEXT NOT NULL,
    system_prompt  TEXT NOT NULL DEFAULT '',
    params         TEXT NOT NULL,
    same_seed      INTEGER NOT NULL DEFAULT 1,
    active_leaf_id TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
  );
  CREATE TABLE conversation_messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id       TEXT REFERENCES conversation_messages(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('system','user','assistant','tool')),
    content         TEXT NOT NULL,
    col             INTEGER,
    model_id        TEXT,
    metrics         TEXT,
    created_at      INTEGER NOT NULL
  );
  CREATE INDEX conversation_messages_conv ON conversation_messages(conversation_id, created_at);
  `,
  // 4: typed job outputs beyond files. Metrics stream in while a job runs (kept whatever its outcome); rows are written
  // only in the transaction that marks the job succeeded. `seq` numbers a job's rows in arrival order across kinds.
  `
  CREATE TABLE job_metrics (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    step   INTEGER,
    value  REAL NOT NULL,
    unit   TEXT,
    at     INTEGER NOT NULL
  );
  CREATE INDEX job_metrics_series ON job_metrics(job_id, name, step);
  CREATE TABLE job_rows (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    kind   TEXT NOT NULL,
    data   TEXT NOT NULL CHECK (json_valid(data)),
    PRIMARY KEY (job_id, seq)
  );
  CREATE INDEX job_rows_kind ON job_rows(job_id, kind, seq);
  `,
  // 5: the device ledger. A heavy job may declare the memory it needs on its device (needs_bytes); loaded models hold
  // leases. A heavy job is claimed only if its need fits beside the leases, and a load is refused beside a running
  // heavy job whose need it would squeeze out. Leases of engines that are gone are swept with their jobs.
  `
  ALTER TABLE jobs ADD COLUMN needs_bytes INTEGER;
  CREATE TABLE device_leases (
    holder      TEXT PRIMARY KEY,
    device      TEXT NOT NULL,
    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
    label       TEXT NOT NULL,
    owner_token TEXT NOT NULL,
    created_at  INTEGER NOT NULL
  );
  CREATE INDEX device_leases_device ON device_leases(device);
  `,
];
