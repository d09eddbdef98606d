-- When the server received each acknowledgement (签收, of a node or recorded for a household) and each task
-- completion report: the measures count the claimed time (at_ms, bounded by the shared time rules) and the
-- export lists, beside it, the receipt time where the two differ by more than the allowed clock skew. Rows
-- stored before this version have no receipt time (NULL) and are not listed.
ALTER TABLE directive_acks ADD COLUMN received_at_ms INTEGER;
ALTER TABLE directive_household_acks ADD COLUMN received_at_ms INTEGER;
ALTER TABLE directive_task_reports ADD COLUMN received_at_ms INTEGER;
