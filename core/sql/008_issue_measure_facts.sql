-- Linkage phone store, schema version 8: what the measures (考核指标) read of each issue, one narrow row per
-- issue kept by the store in the same transaction as the issue's events (local actions, pulls, refusals):
-- its deadlines under the time-limit rules in force (the costly part to work out at read time), its lifecycle
-- times, its first escalation and its return visits. Keyed by path first, so an area's quarter is one range of
-- this table instead of every issue row and every verify/escalate event decoded.
-- The store fills the table for issues stored before this version when it opens (and again whenever the
-- time-limit rules change: meta 'measure_facts_rules' names the rules the rows were computed under).
-- FROZEN once released: never edit; add a new numbered file instead.
CREATE TABLE issue_measure_facts (
    path                TEXT NOT NULL,
    reported_at_ms      INTEGER NOT NULL,
    issue_id            TEXT NOT NULL,
    state               TEXT NOT NULL,
    accepted_at_ms      INTEGER,
    resolved_at_ms      INTEGER,
    accept_deadline_ms  INTEGER,
    resolve_deadline_ms INTEGER,
    escalated_at_ms     INTEGER,
    -- NULL: no return visit; otherwise [[at_ms, "satisfied" | "basically_satisfied" | "dissatisfied"], ...].
    verifications       TEXT,
    PRIMARY KEY (path, reported_at_ms, issue_id)
) WITHOUT ROWID;
