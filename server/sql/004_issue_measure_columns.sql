-- Schema version 4: what the measures (考核指标) read of each issue, kept on its projection row by the op rules
-- in the same transaction as the event, so a county's quarter is computed from one row per issue instead of
-- parsing and folding every event of every issue.
-- FROZEN once released: never edit; add a new numbered file instead.
ALTER TABLE issues ADD COLUMN accepted_at_ms INTEGER;
ALTER TABLE issues ADD COLUMN resolved_at_ms INTEGER;
-- The time-limit clock's inputs: {"suspensions":[{"from_ms":..,"to_ms":..}],"extensions_days":[..]}.
-- NULL: not projected yet (a database upgraded from version 3 or older; the server backfills it when it opens).
ALTER TABLE issues ADD COLUMN clock TEXT;
-- The first escalation's time (escalate events' at_ms), and every return visit as [at_ms, "satisfaction"].
ALTER TABLE issues ADD COLUMN escalated_at_ms INTEGER;
ALTER TABLE issues ADD COLUMN verifications TEXT NOT NULL DEFAULT '[]';
CREATE INDEX issues_path_reported ON issues(path, reported_at_ms);
