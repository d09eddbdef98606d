-- Linkage phone store, schema version 1. FROZEN: never edit; add a new numbered file instead.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- The org tree (组织树): county, townships, branches, groups. Households live in their own table.
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
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    role    TEXT NOT NULL,
    node_id TEXT NOT NULL REFERENCES org_nodes(id)
);
CREATE INDEX users_node ON users(node_id);

-- 民生台账. phone and id_number are personal data: shown masked, never logged.
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
    risk_level     TEXT NOT NULL,
    county_contact INTEGER NOT NULL DEFAULT 0,
    updated_hlc    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX households_path ON households(path);
-- Covering (name, path): a name-prefix search checks scope without touching the table.
CREATE INDEX households_name ON households(head_name, path);

CREATE TABLE household_tags (
    household_id TEXT NOT NULL REFERENCES households(id),
    tag          TEXT NOT NULL,
    PRIMARY KEY (household_id, tag)
) WITHOUT ROWID;
CREATE INDEX household_tags_tag ON household_tags(tag, household_id);

-- 入户走访: immutable; corrections are new rows with amends_visit_id.
CREATE TABLE visits (
    id              TEXT PRIMARY KEY,
    household_id    TEXT NOT NULL REFERENCES households(id),
    visitor_id      TEXT NOT NULL,
    visitor_level   TEXT NOT NULL,
    kind            TEXT NOT NULL,
    started_at_ms   INTEGER NOT NULL,
    ended_at_ms     INTEGER NOT NULL,
    lat             REAL,
    lon             REAL,
    accuracy_m      REAL,
    fix_time_ms     INTEGER,
    mocked          INTEGER,
    distance_m      REAL,
    verdict         TEXT NOT NULL,
    notes           TEXT NOT NULL,
    issue_id        TEXT,
    amends_visit_id TEXT REFERENCES visits(id),
    hlc             TEXT NOT NULL
);
CREATE INDEX visits_household ON visits(household_id, started_at_ms);

-- Last on-site visit per household per level: what the cadence rules read.
CREATE TABLE household_last_visit (
    household_id     TEXT NOT NULL,
    level            TEXT NOT NULL,
    last_onsite_ms   INTEGER NOT NULL,
    PRIMARY KEY (household_id, level)
) WITHOUT ROWID;

-- Issues (诉求): the projection (fold) of issue_events, kept for indexed queries.
CREATE TABLE issues (
    id               TEXT PRIMARY KEY,
    path             TEXT NOT NULL,
    node_id          TEXT NOT NULL,
    household_id     TEXT,
    category         TEXT NOT NULL,
    urgency          TEXT NOT NULL,
    title            TEXT NOT NULL,
    description      TEXT NOT NULL,
    state            TEXT NOT NULL,
    owner_node_id    TEXT NOT NULL,
    reporter_id      TEXT NOT NULL,
    assignee_id      TEXT,
    rework_count     INTEGER NOT NULL DEFAULT 0,
    escalation_count INTEGER NOT NULL DEFAULT 0,
    merged_into      TEXT,
    satisfaction     TEXT,
    lat              REAL,
    lon              REAL,
    reported_at_ms   INTEGER NOT NULL,
    accepted_at_ms   INTEGER,
    assigned_at_ms   INTEGER,
    resolved_at_ms   INTEGER,
    closed_at_ms     INTEGER,
    step_started_ms  INTEGER,
    due_at_ms        INTEGER,
    last_hlc         TEXT NOT NULL
);
-- Queues stream in deadline order (no clock = last) and stop after one page; states filter on the way.
CREATE INDEX issues_owner_queue ON issues(owner_node_id, coalesce(due_at_ms, 9223372036854775807), id);
CREATE INDEX issues_owner_state ON issues(owner_node_id, state);
CREATE INDEX issues_assignee ON issues(assignee_id, coalesce(due_at_ms, 9223372036854775807), id);
CREATE INDEX issues_reporter ON issues(reporter_id, reported_at_ms);
CREATE INDEX issues_path ON issues(path);
CREATE INDEX issues_household ON issues(household_id);

-- The append-only log behind each issue.
CREATE TABLE issue_events (
    event_id  TEXT PRIMARY KEY,
    issue_id  TEXT NOT NULL,
    hlc       TEXT NOT NULL,
    at_ms     INTEGER NOT NULL,
    actor_id  TEXT NOT NULL,
    action    TEXT NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX issue_events_issue ON issue_events(issue_id, hlc);

-- Photos a record refers to, by SHA-256.
CREATE TABLE evidence_refs (
    entity_kind TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (entity_kind, entity_id, hash)
) WITHOUT ROWID;
CREATE INDEX evidence_refs_hash ON evidence_refs(hash);

-- 指令下达
CREATE TABLE directives (
    id             TEXT PRIMARY KEY,
    issuer_id      TEXT NOT NULL,
    issuer_node_id TEXT NOT NULL,
    target_node_id TEXT NOT NULL,
    target_path    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    due_at_ms      INTEGER,
    issued_at_ms   INTEGER NOT NULL
);
CREATE INDEX directives_target ON directives(target_path, issued_at_ms);

CREATE TABLE directive_acks (
    directive_id TEXT NOT NULL REFERENCES directives(id),
    node_id      TEXT NOT NULL,
    acked_by     TEXT NOT NULL,
    acked_at_ms  INTEGER NOT NULL,
    relayed_by   TEXT,
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

-- Operations waiting to be pushed. Written in the same transaction as the change they describe.
CREATE TABLE outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id         TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    hlc           TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending',
    reason        TEXT
);
CREATE INDEX outbox_state ON outbox(state, seq);
