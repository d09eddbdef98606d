-- Linkage phone store, schema version 10: whether an issue was closed (结案) while a village branch owned it
-- (支部办结, ADR 0008), so the measures count what the village settled (protocol::rules::measures). Rows written
-- before this version hold 0; no branch owned an issue before the branch secretary role existed.
-- FROZEN once released: never edit; add a new numbered file instead.
ALTER TABLE issue_measure_facts ADD COLUMN settled_at_branch INTEGER NOT NULL DEFAULT 0;
