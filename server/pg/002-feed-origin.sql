-- Schema version 2: where the feed's sequence starts. A county moved from its SQLite server
-- (`linkage-server migrate --to postgres://…`) keeps its rows' sequence numbers, so phones keep their
-- cursors; every new row is numbered base + (xid << 12) + ordinal, above all of them.
-- FROZEN once released: add a new numbered file instead.
CREATE TABLE feed_origin (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    base BIGINT NOT NULL
);
INSERT INTO feed_origin (id, base) VALUES (1, 0);
