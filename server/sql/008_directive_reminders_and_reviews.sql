-- Directives, schema version 8: reminders (催办) sent to silent nodes, the issuer's review of task completion
-- reports (通过 / 退回 with a reason; a returned report is replaced by the node's next one), and photos attached to
-- a directive, which the whole target subtree may read (evidence_refs.broadcast = 1: readable by whoever's node
-- lies under the path, as well as above it).
-- FROZEN once released: never edit; add a new numbered file instead.
CREATE TABLE directive_reminders (
    seq          INTEGER PRIMARY KEY,
    directive_id TEXT NOT NULL REFERENCES directives(id),
    node_id      TEXT NOT NULL,
    reminded_by  TEXT NOT NULL,
    at_ms        INTEGER NOT NULL
);
CREATE INDEX directive_reminders_node ON directive_reminders(directive_id, node_id);

ALTER TABLE directive_task_reports ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE directive_task_reports ADD COLUMN reviewed_by TEXT;
ALTER TABLE directive_task_reports ADD COLUMN reviewed_at_ms INTEGER;
ALTER TABLE directive_task_reports ADD COLUMN review_reason TEXT;

ALTER TABLE evidence_refs ADD COLUMN broadcast INTEGER NOT NULL DEFAULT 0;
