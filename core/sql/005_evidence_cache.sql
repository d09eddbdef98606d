-- Schema version 5: photos of other people's records downloaded on demand (DESIGN §7: the township verifying a
-- resolution sees the grid worker's visit photo). Files live under `<evidence dir>/cache/` named by their
-- SHA-256 (checked on arrival), with a thumbnail made on the phone; the cache is size-capped and evicts the
-- least recently used photos (full-size files first, thumbnails last). The phone's own evidence is never here.
CREATE TABLE evidence_cache (
    hash            TEXT PRIMARY KEY,
    -- Size of the full-size file; 0 once it was evicted and only the thumbnail is kept.
    byte_size       INTEGER NOT NULL,
    thumb_byte_size INTEGER NOT NULL,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    fetched_at_ms   INTEGER NOT NULL,
    last_used_at_ms INTEGER NOT NULL
);
CREATE INDEX evidence_cache_lru ON evidence_cache(last_used_at_ms);
