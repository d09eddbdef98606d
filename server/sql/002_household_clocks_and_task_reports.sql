-- Schema version 2: household edits merge field by field (last writer wins by hybrid logical clock), as on
-- the phones. A field without a row was last set by an import (older than any edit).
CREATE TABLE household_field_clocks (
    household_id TEXT NOT NULL REFERENCES households(id),
    field        TEXT NOT NULL,
    hlc          TEXT NOT NULL,
    PRIMARY KEY (household_id, field)
) WITHOUT ROWID;

-- Completion reports of task directives (任务完成情况), one per node; photos are in evidence_refs.
CREATE TABLE directive_task_reports (
    directive_id TEXT NOT NULL REFERENCES directives(id),
    node_id      TEXT NOT NULL,
    reported_by  TEXT NOT NULL,
    at_ms        INTEGER NOT NULL,
    note         TEXT NOT NULL,
    evidence     TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (directive_id, node_id)
) WITHOUT ROWID;
