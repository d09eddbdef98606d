-- Schema version 6: drafts (草稿) of the forms a user is filling in — a visit, an issue report, a task
-- completion, a resolution (办结) or a verification (回访) — saved as the user types, so a killed app loses
-- nothing. A draft's photos are evidence_refs rows with entity_kind 'draft'. Submitting turns the draft into
-- its record and deletes it in the same transaction; discarding deletes it and the photos only it used.
CREATE TABLE drafts (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    subject_id    TEXT,
    user_id       TEXT NOT NULL,
    fields        TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX drafts_user ON drafts(user_id, updated_at_ms);
