-- Linkage sync server, schema version 1. FROZEN once released: add a new numbered file instead.

-- The org tree (组织树). path is the materialized path '/county/township/.../' used for every scope check.
CREATE TABLE org_nodes (
    id        TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES org_nodes(id),
    level     TEXT NOT NULL,
    name      TEXT NOT NULL,
    code      TEXT NOT NULL,
    path      TEXT NOT NULL UNIQUE,
    boundary  TEXT
);
CREATE INDEX org_nodes_parent ON org_nodes(parent_id);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    node_id       TEXT NOT NULL REFERENCES org_nodes(id),
    password_hash TEXT NOT NULL
);
CREATE INDEX users_node ON users(node_id);

-- One row per enrolled installation; the token is stored only as its SHA-256 (hex).
CREATE TABLE devices (
    device_id     TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    device_name   TEXT NOT NULL DEFAULT '',
    token_hash    TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    revoked       INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX devices_token ON devices(token_hash);

-- 民生台账 (same fields as the phone's store) with the household's materialized path.
CREATE TABLE households (
    id             TEXT PRIMARY KEY,
    group_id       TEXT NOT NULL REFERENCES org_nodes(id),
    path           TEXT NOT NULL,
    head_name      TEXT NOT NULL,
    members        INTEGER NOT NULL DEFAULT 0,
    phone          TEXT,
    id_number      TEXT,
    address        TEXT NOT NULL,
    lat            REAL,
    lon            REAL,
    tags           TEXT NOT NULL DEFAULT '[]',
    risk_level     TEXT NOT NULL,
    county_contact INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX households_path ON households(path);

-- Every accepted operation: its id and the SHA-256 of its canonical body (the idempotency key: same id and
-- body = duplicate, same id and another body = conflict) and its place in the change feed, with a monotonic
-- sequence (rows are never deleted). path scopes the change; broadcast = 1 (directives) also reaches nodes
-- below path. An op that changed nothing (a repeated acknowledgement) is kept for idempotency only, with
-- path '' and op_json '': no scope ever pulls it.
CREATE TABLE changes (
    seq            INTEGER PRIMARY KEY,
    op_id          TEXT NOT NULL UNIQUE,
    body_sha256    TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    path           TEXT NOT NULL,
    broadcast      INTEGER NOT NULL DEFAULT 0,
    op_json        TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL
);
CREATE INDEX changes_path ON changes(path, seq);

CREATE TABLE issue_events (
    rowid          INTEGER PRIMARY KEY,
    event_id       TEXT NOT NULL UNIQUE,
    issue_id       TEXT NOT NULL,
    hlc            TEXT NOT NULL,
    at_ms          INTEGER NOT NULL,
    actor_id       TEXT NOT NULL,
    action         TEXT NOT NULL,
    body           TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL
);
CREATE INDEX issue_events_issue ON issue_events(issue_id, hlc);

-- The projection of issue_events (their fold in receipt order) for indexed queries; the log is the truth.
CREATE TABLE issues (
    id            TEXT PRIMARY KEY,
    path          TEXT NOT NULL,
    state         TEXT NOT NULL,
    owner_node_id TEXT NOT NULL,
    assignee_id   TEXT,
    reporter_id   TEXT NOT NULL,
    category      TEXT NOT NULL,
    urgency       TEXT NOT NULL,
    title         TEXT NOT NULL,
    reported_at_ms INTEGER NOT NULL,
    last_hlc      TEXT NOT NULL
);
CREATE INDEX issues_path ON issues(path);
CREATE INDEX issues_owner ON issues(owner_node_id, state);

-- The visit itself travels in the change feed (changes.op_json); these are the columns rules and measures query.
-- No foreign keys on this hot insert path: the op rules (apply.rs) check the household and the amended visit
-- exist before a visit is stored, and rows are never deleted.
CREATE TABLE visits (
    id              TEXT PRIMARY KEY,
    household_id    TEXT NOT NULL,
    visitor_id      TEXT NOT NULL,
    visitor_level   TEXT NOT NULL,
    path            TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    distance_m      REAL,
    started_at_ms   INTEGER NOT NULL,
    amends_visit_id TEXT
) WITHOUT ROWID;

CREATE TABLE directives (
    id             TEXT PRIMARY KEY,
    issuer_id      TEXT NOT NULL,
    issuer_node_id TEXT NOT NULL,
    target_node_id TEXT NOT NULL,
    target_path    TEXT NOT NULL,
    body           TEXT NOT NULL,
    issued_at_ms   INTEGER NOT NULL
);
CREATE INDEX directives_target ON directives(target_path);

CREATE TABLE directive_acks (
    directive_id  TEXT NOT NULL REFERENCES directives(id),
    node_id       TEXT NOT NULL,
    acked_by      TEXT NOT NULL,
    acked_at_ms   INTEGER NOT NULL,
    relayed_by    TEXT,
    relayed_at_ms INTEGER,
    PRIMARY KEY (directive_id, node_id)
) WITHOUT ROWID;

CREATE TABLE directive_household_acks (
    directive_id TEXT NOT NULL REFERENCES directives(id),
    household_id TEXT NOT NULL,
    means        TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    at_ms        INTEGER NOT NULL,
    PRIMARY KEY (directive_id, household_id)
) WITHOUT ROWID;

-- Which records (by path) refer to which photo: a blob is readable by whoever sees one of its records.
CREATE TABLE evidence_refs (
    hash TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (hash, path)
) WITHOUT ROWID;

-- Evidence photos, content-addressed; bytes live in <data-dir>/blobs/<hash> (partial uploads as <hash>.part).
CREATE TABLE blobs (
    hash           TEXT PRIMARY KEY,
    size           INTEGER,
    received_bytes INTEGER NOT NULL DEFAULT 0,
    complete       INTEGER NOT NULL DEFAULT 0
);
