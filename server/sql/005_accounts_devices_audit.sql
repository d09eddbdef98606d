-- Schema version 5: account protection (lock-out, disabled accounts, forced change of an initial password),
-- devices bound to a device secret with a grace token for lost refresh answers, the hash-chained audit trail
-- (审计记录, 等保 2.0 安全审计, kept ≥ 180 days), and server facts (a demo seeding's progress).
-- FROZEN once released: never edit; add a new numbered file instead.

-- Consecutive failed sign-ins (reset by a success); locked = 1 after the county's limit, until
-- `linkage-server user unlock`. disabled = 1: `user disable` (the account can no longer sign in, its devices
-- were revoked). must_change_password = 1: an initial or reset password; sign-in answers
-- `password_change_required` until the user chooses a new one.
ALTER TABLE users ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at_ms INTEGER;

-- secret_hash: SHA-256 of the device secret the phone made at enrolment (NULL: enrolled by an older phone
-- without one). A device id enrolled with a secret answers only to that secret. pending_token_hash: the token
-- a refresh issued that the phone has not used yet; the current token_hash stays valid until it is used.
ALTER TABLE devices ADD COLUMN secret_hash TEXT;
ALTER TABLE devices ADD COLUMN pending_token_hash TEXT;
ALTER TABLE devices ADD COLUMN pending_expires_at_ms INTEGER;
ALTER TABLE devices ADD COLUMN last_seen_at_ms INTEGER;
CREATE UNIQUE INDEX devices_pending_token ON devices(pending_token_hash) WHERE pending_token_hash IS NOT NULL;
CREATE INDEX devices_user ON devices(user_id);

-- Append-only and hash-chained: hash = SHA-256 of (prev_hash, seq, at_ms, actor, action, subject, address,
-- detail) as a JSON array; prev_hash of the first row ever is 64 zeros. Rows are only removed by the retention
-- prune (oldest first), which records the hash it pruned up to in audit_anchor.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at_ms     INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    address   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at_ms);

-- Where the chain starts after a retention prune: the last pruned row's seq and hash.
CREATE TABLE audit_anchor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    seq       INTEGER NOT NULL,
    hash      TEXT NOT NULL,
    pruned_at_ms INTEGER NOT NULL
);

-- Facts about this server's data directory, e.g. demo_seed = started | complete.
CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
