-- Schema version 3: what sync needs to converge with the server.
-- 1. Issue events carry the server's sequence once the server has accepted them. A phone folds accepted
--    events in that order (the server's receipt order is the authority), then its own unsent events; an event
--    the server refused (quarantined on this phone) stays in the log for the record but no longer counts.
ALTER TABLE issue_events ADD COLUMN server_seq INTEGER;
ALTER TABLE issue_events ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
CREATE INDEX issue_events_fold ON issue_events(issue_id, server_seq);

-- 2. Household edits merge field by field: the hybrid-logical-clock time of the last write each field took.
--    A field without a row was last set by the bundle (older than any edit).
CREATE TABLE household_field_clocks (
    household_id TEXT NOT NULL REFERENCES households(id),
    field        TEXT NOT NULL,
    hlc          TEXT NOT NULL,
    PRIMARY KEY (household_id, field)
) WITHOUT ROWID;

-- 3. Time limits and supervision (限时办结, 督办): an issue's 挂起 intervals, approved 延期 days, a pending
--    extension request, the sweep's overdue mark and 就地解决 live in `flow` (JSON, part of the projection);
--    the supervision level has its own column so lists can show and filter it.
ALTER TABLE issues ADD COLUMN flow TEXT NOT NULL DEFAULT '{}';
ALTER TABLE issues ADD COLUMN supervision TEXT;

-- 4. Completion reports of task directives (任务完成情况), one per node, with photos (evidence_refs).
CREATE TABLE directive_task_reports (
    directive_id TEXT NOT NULL REFERENCES directives(id),
    node_id      TEXT NOT NULL,
    reported_by  TEXT NOT NULL,
    at_ms        INTEGER NOT NULL,
    note         TEXT NOT NULL,
    evidence     TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (directive_id, node_id)
) WITHOUT ROWID;
