-- Schema version 2: evidence photo records (DESIGN §7). Files live in the app's evidence directory named by
-- their SHA-256; this table records what the pipeline produced and whether the server has the blob yet.
CREATE TABLE evidence (
    hash           TEXT PRIMARY KEY,
    byte_size      INTEGER NOT NULL,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    captured_at_ms INTEGER NOT NULL,
    lat            REAL,
    lon            REAL,
    accuracy_m     REAL,
    watermark      TEXT NOT NULL,
    entity_kind    TEXT,
    entity_id      TEXT,
    upload_state   TEXT NOT NULL DEFAULT 'pending',
    created_at_ms  INTEGER NOT NULL
);
CREATE INDEX evidence_entity ON evidence(entity_kind, entity_id);
CREATE INDEX evidence_upload ON evidence(upload_state);
