-- Schema version 4: issue events by receipt time, as server/sql/011 on SQLite. The measures export (on either
-- backend since the portable reads, ADR 0016) lists the steps of a period received well after their claimed
-- time (补录); with this index that query reads only the events received in the period.
-- FROZEN once released: add a new numbered file instead.
CREATE INDEX issue_events_received ON issue_events(received_at_ms);
