-- Linkage sync server on PostgreSQL, schema version 1: the concepts of the SQLite schema (server/sql/001..009)
-- in one file. FROZEN once released: add a new numbered file instead (the runner records each in
-- schema_migrations). Paths compare byte-wise (COLLATE "C"): scope checks are range scans
-- [path, upper_bound(path)) and must not depend on the cluster's locale.

CREATE TABLE org_nodes (
    id        TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES org_nodes(id),
    level     TEXT NOT NULL,
    name      TEXT NOT NULL,
    code      TEXT NOT NULL,
    path      TEXT COLLATE "C" NOT NULL UNIQUE,
    boundary  TEXT
);
CREATE INDEX org_nodes_parent ON org_nodes(parent_id);

CREATE TABLE users (
    id                     TEXT PRIMARY KEY,
    name                   TEXT NOT NULL,
    role                   TEXT NOT NULL,
    node_id                TEXT NOT NULL REFERENCES org_nodes(id),
    password_hash          TEXT NOT NULL,
    failed_sign_ins        BIGINT NOT NULL DEFAULT 0,
    locked                 BOOLEAN NOT NULL DEFAULT false,
    disabled               BOOLEAN NOT NULL DEFAULT false,
    must_change_password   BOOLEAN NOT NULL DEFAULT false,
    password_changed_at_ms BIGINT
);
CREATE INDEX users_node ON users(node_id);
CREATE INDEX users_role ON users(role, id);

-- One row per enrolled installation; tokens only as SHA-256 (hex).
CREATE TABLE devices (
    device_id             TEXT PRIMARY KEY,
    user_id               TEXT NOT NULL REFERENCES users(id),
    device_name           TEXT NOT NULL DEFAULT '',
    token_hash            TEXT NOT NULL UNIQUE,
    expires_at_ms         BIGINT NOT NULL,
    revoked               BOOLEAN NOT NULL DEFAULT false,
    created_at_ms         BIGINT NOT NULL,
    secret_hash           TEXT,
    pending_token_hash    TEXT UNIQUE,
    pending_expires_at_ms BIGINT,
    last_seen_at_ms       BIGINT
);
CREATE INDEX devices_user ON devices(user_id);

CREATE TABLE households (
    id             TEXT PRIMARY KEY,
    group_id       TEXT NOT NULL REFERENCES org_nodes(id),
    path           TEXT COLLATE "C" NOT NULL,
    head_name      TEXT NOT NULL,
    members        BIGINT NOT NULL DEFAULT 0,
    phone          TEXT,
    id_number      TEXT,
    address        TEXT NOT NULL,
    lat            DOUBLE PRECISION,
    lon            DOUBLE PRECISION,
    tags           TEXT NOT NULL DEFAULT '[]',
    risk_level     TEXT NOT NULL,
    county_contact BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX households_path ON households(path);

-- The change feed and the idempotency record of every accepted op (as in SQLite). seq follows the writing
-- transactions' ids: (xid << 12) + the row's ordinal in its transaction; readers serve only seq below
-- (snapshot xmin << 12), so a row that commits late is never skipped (see the feed-ordering ADR in docs/adr).
CREATE TABLE changes (
    seq            BIGINT PRIMARY KEY,
    op_id          TEXT NOT NULL UNIQUE,
    body_sha256    TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    path           TEXT COLLATE "C" NOT NULL,
    broadcast      BOOLEAN NOT NULL DEFAULT false,
    op_json        TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL
);
CREATE INDEX changes_path ON changes(path, seq);

-- Receipt order of events: id (a sequence) within an issue, which is locked while an event is judged.
CREATE TABLE issue_events (
    id             BIGSERIAL PRIMARY KEY,
    event_id       TEXT NOT NULL UNIQUE,
    issue_id       TEXT NOT NULL,
    hlc            TEXT NOT NULL,
    at_ms          BIGINT NOT NULL,
    actor_id       TEXT NOT NULL,
    action         TEXT NOT NULL,
    body           TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL
);
CREATE INDEX issue_events_issue ON issue_events(issue_id, id);

CREATE TABLE issues (
    id              TEXT PRIMARY KEY,
    path            TEXT COLLATE "C" NOT NULL,
    state           TEXT NOT NULL,
    owner_node_id   TEXT NOT NULL,
    assignee_id     TEXT,
    reporter_id     TEXT NOT NULL,
    category        TEXT NOT NULL,
    urgency         TEXT NOT NULL,
    title           TEXT NOT NULL,
    reported_at_ms  BIGINT NOT NULL,
    last_hlc        TEXT NOT NULL,
    accepted_at_ms  BIGINT,
    resolved_at_ms  BIGINT,
    clock           TEXT,
    escalated_at_ms BIGINT,
    verifications   TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX issues_path ON issues(path, reported_at_ms);
CREATE INDEX issues_owner ON issues(owner_node_id, state);
CREATE INDEX issues_open ON issues(id) WHERE state NOT IN ('closed', 'rejected', 'merged');

CREATE TABLE visits (
    id              TEXT PRIMARY KEY,
    household_id    TEXT NOT NULL,
    visitor_id      TEXT NOT NULL,
    visitor_level   TEXT NOT NULL,
    path            TEXT COLLATE "C" NOT NULL,
    verdict         TEXT NOT NULL,
    distance_m      DOUBLE PRECISION,
    started_at_ms   BIGINT NOT NULL,
    amends_visit_id TEXT
);
CREATE INDEX visits_path ON visits(path, started_at_ms);

CREATE TABLE directives (
    id             TEXT PRIMARY KEY,
    issuer_id      TEXT NOT NULL,
    issuer_node_id TEXT NOT NULL,
    target_node_id TEXT NOT NULL,
    target_path    TEXT COLLATE "C" NOT NULL,
    body           TEXT NOT NULL,
    issued_at_ms   BIGINT NOT NULL
);
CREATE INDEX directives_target ON directives(target_path);

CREATE TABLE directive_acks (
    directive_id   TEXT NOT NULL REFERENCES directives(id),
    node_id        TEXT NOT NULL,
    acked_by       TEXT NOT NULL,
    acked_at_ms    BIGINT NOT NULL,
    relayed_by     TEXT,
    relayed_at_ms  BIGINT,
    received_at_ms BIGINT,
    PRIMARY KEY (directive_id, node_id)
);

CREATE TABLE directive_household_acks (
    directive_id   TEXT NOT NULL REFERENCES directives(id),
    household_id   TEXT NOT NULL,
    means          TEXT NOT NULL,
    recorded_by    TEXT NOT NULL,
    at_ms          BIGINT NOT NULL,
    received_at_ms BIGINT,
    PRIMARY KEY (directive_id, household_id)
);

CREATE TABLE directive_task_reports (
    directive_id   TEXT NOT NULL REFERENCES directives(id),
    node_id        TEXT NOT NULL,
    reported_by    TEXT NOT NULL,
    at_ms          BIGINT NOT NULL,
    note           TEXT NOT NULL,
    evidence       TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL DEFAULT 'pending',
    reviewed_by    TEXT,
    reviewed_at_ms BIGINT,
    review_reason  TEXT,
    received_at_ms BIGINT,
    PRIMARY KEY (directive_id, node_id)
);

CREATE TABLE directive_reminders (
    seq          BIGSERIAL PRIMARY KEY,
    directive_id TEXT NOT NULL REFERENCES directives(id),
    node_id      TEXT NOT NULL,
    reminded_by  TEXT NOT NULL,
    at_ms        BIGINT NOT NULL
);
CREATE INDEX directive_reminders_node ON directive_reminders(directive_id, node_id);

CREATE TABLE household_field_clocks (
    household_id TEXT NOT NULL REFERENCES households(id),
    field        TEXT NOT NULL,
    hlc          TEXT NOT NULL,
    PRIMARY KEY (household_id, field)
);

CREATE TABLE household_point_moves (
    seq          BIGSERIAL PRIMARY KEY,
    household_id TEXT NOT NULL,
    mover_id     TEXT NOT NULL,
    prev_lat     DOUBLE PRECISION,
    prev_lon     DOUBLE PRECISION,
    moved_at_ms  BIGINT NOT NULL
);
CREATE INDEX household_point_moves_household ON household_point_moves(household_id, seq);

CREATE TABLE county_settings (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    config_json   TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE TABLE county_calendars (
    year           BIGINT PRIMARY KEY,
    file_json      TEXT NOT NULL,
    imported_at_ms BIGINT NOT NULL
);

CREATE TABLE evidence_refs (
    hash      TEXT NOT NULL,
    path      TEXT COLLATE "C" NOT NULL,
    broadcast BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (hash, path)
);

CREATE TABLE blob_citations (
    hash        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    cited_at_ms BIGINT NOT NULL,
    PRIMARY KEY (hash, user_id)
);

-- Blob bytes live in <data-dir>/blobs/ (a directory every server of the deployment shares).
CREATE TABLE blobs (
    hash            TEXT PRIMARY KEY,
    size            BIGINT,
    received_bytes  BIGINT NOT NULL DEFAULT 0,
    complete        BOOLEAN NOT NULL DEFAULT false,
    uploader_user   TEXT,
    uploader_device TEXT,
    started_at_ms   BIGINT,
    updated_at_ms   BIGINT
);
CREATE INDEX blobs_partial_by_device ON blobs(uploader_device) WHERE NOT complete;

-- Hash-chained audit trail; appends are serialized by an advisory lock (several servers write it).
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at_ms     BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    address   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at_ms);

CREATE TABLE audit_anchor (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    seq          BIGINT NOT NULL,
    hash         TEXT NOT NULL,
    pruned_at_ms BIGINT NOT NULL
);

CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
