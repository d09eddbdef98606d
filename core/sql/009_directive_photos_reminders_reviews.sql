-- Linkage phone store, schema version 9: a directive's photos (the issuer's, SHA-256 list; the files are in
-- evidence_refs kind 'directive'), the reminders (催办) sent to silent nodes, and the issuer's review of task
-- completion reports (pending 待审核 / accepted 已通过 / returned 已退回 with a reason; a returned report is
-- replaced by the node's next one).
-- FROZEN once released: never edit; add a new numbered file instead.
ALTER TABLE directives ADD COLUMN evidence TEXT NOT NULL DEFAULT '[]';

CREATE TABLE directive_reminders (
    directive_id TEXT NOT NULL REFERENCES directives(id),
    node_id      TEXT NOT NULL,
    reminded_by  TEXT NOT NULL,
    at_ms        INTEGER NOT NULL,
    PRIMARY KEY (directive_id, node_id, reminded_by, at_ms)
) WITHOUT ROWID;

ALTER TABLE directive_task_reports ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE directive_task_reports ADD COLUMN reviewed_by TEXT;
ALTER TABLE directive_task_reports ADD COLUMN reviewed_at_ms INTEGER;
ALTER TABLE directive_task_reports ADD COLUMN review_reason TEXT;
