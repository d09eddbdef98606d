-- Linkage phone store, schema version 7: the return visits (回访核实) and escalations are the only events the
-- measures read beyond each issue's projection; a partial index on them lets a township's quarter find them
-- without visiting every event of every issue. FROZEN once released: never edit; add a new numbered file.
CREATE INDEX issue_events_measured ON issue_events(issue_id) WHERE action IN ('verify', 'escalate');
