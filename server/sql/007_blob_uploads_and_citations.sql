-- Who cited which photo: the user whose applied record names the hash. Only they may upload it (#12 item 5:
-- the uploader's own records decide what is accepted; the phone pushes its records before their photos).
CREATE TABLE blob_citations (
    hash        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    cited_at_ms INTEGER NOT NULL,
    PRIMARY KEY (hash, user_id)
) WITHOUT ROWID;

-- Uploads: who sent the bytes and when (partial uploads are capped per device and expire; unreferenced
-- complete blobs are collected after a grace period). NULL for rows written before this schema (treated as old).
ALTER TABLE blobs ADD COLUMN uploader_user TEXT;
ALTER TABLE blobs ADD COLUMN uploader_device TEXT;
ALTER TABLE blobs ADD COLUMN started_at_ms INTEGER;
ALTER TABLE blobs ADD COLUMN updated_at_ms INTEGER;
CREATE INDEX blobs_partial_by_device ON blobs(uploader_device) WHERE complete = 0;

-- Photos cited before this schema and not yet uploaded completely: their citer is the user of the feed row that
-- names the hash (so a phone resuming an upload across the upgrade is not refused).
INSERT OR IGNORE INTO blob_citations (hash, user_id, cited_at_ms)
SELECT r.hash, c.user_id, c.received_at_ms
FROM evidence_refs r JOIN changes c ON c.op_json != '' AND instr(c.op_json, r.hash) > 0
WHERE r.hash NOT IN (SELECT hash FROM blobs WHERE complete = 1);
