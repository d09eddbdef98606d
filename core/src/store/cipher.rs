//! 本机数据加密 The encrypted phone store: the database file is SQLCipher (AES-256, HMAC-SHA512 per page), keyed
//! with a 256-bit raw key the shell generates on first run and keeps wrapped by the Android Keystore or the iOS
//! Keychain (DESIGN §14, ADR 0005). A raw key (`x'…'`) skips SQLCipher's PBKDF2, so opening costs no key
//! derivation. This module keys a connection, tells a wrong key from a plain (pre-encryption) file, migrates a
//! plain file in place with `sqlcipher_export`, and re-keys.
//!
//! Threads and I/O: every function here does blocking disk I/O on the calling thread.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::{Error, Result};

/// A 256-bit store key. Never printed (its `Debug` shows nothing of it); zeroed when dropped.
pub struct StoreKey([u8; 32]);

impl StoreKey {
    /// The key from exactly 32 bytes, else `InvalidInput` on field `key`.
    pub fn from_bytes(bytes: &[u8]) -> Result<StoreKey> {
        let arr: [u8; 32] =
            bytes.try_into().map_err(|_| Error::invalid("key", format!("must be 32 bytes (256 bits), got {}", bytes.len())))?;
        Ok(StoreKey(arr))
    }

    /// The key as SQLCipher's raw-key literal `x'<64 hex>'` (inside the double quotes of `PRAGMA key`).
    fn literal(&self) -> String {
        let mut s = String::with_capacity(67);
        s.push_str("x'");
        for b in self.0 {
            s.push_str(&format!("{b:02X}"));
        }
        s.push('\'');
        s
    }
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

impl Drop for StoreKey {
    fn drop(&mut self) {
        self.0.fill(0);
        std::hint::black_box(&self.0);
    }
}

/// The first 16 bytes of every plain SQLite file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Whether the file at `path` is a plain (unencrypted) SQLite database. A missing or empty file is not.
pub(crate) fn is_plain_sqlite(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let mut head = [0u8; 16];
    match f.read_exact(&mut head) {
        Ok(()) => Ok(&head == SQLITE_HEADER),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Keys `conn` (must be the first statement on it) and checks the key by reading the schema: a wrong key,
/// or a file that is not a database at all, is [`Error::WrongKey`].
pub(crate) fn key_connection(conn: &Connection, key: &StoreKey) -> Result<()> {
    // A wrong key is answered with a typed error: SQLCipher's own log lines (stderr, logcat) add nothing.
    conn.execute_batch(&format!("PRAGMA cipher_log_level = NONE; PRAGMA key = \"{}\";", key.literal()))?;
    check_readable(conn)
}

fn check_readable(conn: &Connection) -> Result<()> {
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::NotADatabase => Err(Error::WrongKey),
        Err(e) => Err(e.into()),
    }
}

/// Opens the store file at `path` encrypted with `key`. A plain SQLite file there (a store written before
/// encryption) is first encrypted in place ([`encrypt_plain_in_place`]); a file encrypted with another key is
/// [`Error::WrongKey`] and is left untouched.
pub(crate) fn open_keyed(path: &Path, key: &StoreKey) -> Result<Connection> {
    // A kill during an earlier in-place migration leaves its half-written copy: the original is intact.
    remove_if_exists(&migration_copy(path))?;
    if is_plain_sqlite(path)? {
        encrypt_plain_in_place(path, key)?;
    }
    let conn = Connection::open(path)?;
    key_connection(&conn, key)?;
    Ok(conn)
}

fn migration_copy(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".encrypting");
    path.with_file_name(name)
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Encrypts the plain SQLite database at `path` with `key`, keeping every row and the schema version:
/// `sqlcipher_export` into a sibling file, fsynced, then renamed over the original (atomic: a kill leaves
/// either the plain store or the encrypted one, never a mix). The plain file's WAL is checkpointed into it
/// first and removed, so no plain page is left beside the encrypted file.
pub(crate) fn encrypt_plain_in_place(path: &Path, key: &StoreKey) -> Result<()> {
    let copy = migration_copy(path);
    remove_if_exists(&copy)?;
    {
        let plain = Connection::open(path)?;
        // Fold the WAL into the main file and leave WAL mode (deletes `-wal` and `-shm` at close).
        plain.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0))?;
        let version: i64 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let copy_str = copy.to_str().ok_or_else(|| Error::invalid("db_path", "the path is not valid UTF-8"))?;
        plain.execute("ATTACH DATABASE ?1 AS encrypted KEY ?2", rusqlite::params![copy_str, key.literal()])?;
        plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        plain.execute_batch(&format!("PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"))?;
    }
    std::fs::File::open(&copy)?.sync_all()?;
    std::fs::rename(&copy, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename is durable once the directory is synced (best effort where directories cannot be opened).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Re-encrypts the open, keyed store with `new_key` (`PRAGMA rekey`: every page rewritten in one transaction).
/// The WAL is checkpointed first and the journal mode restored after, so no page under the old key survives
/// in the WAL.
pub(crate) fn rekey(conn: &Connection, new_key: &StoreKey) -> Result<()> {
    match conn.path().filter(|p| !p.is_empty()) {
        None => return Err(Error::invalid("key", "an in-memory store has no key")),
        Some(p) if is_plain_sqlite(Path::new(p))? => return Err(Error::invalid("key", "the store is not encrypted")),
        Some(_) => {}
    }
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0))?;
    let result = conn.execute_batch(&format!("PRAGMA rekey = \"{}\";", new_key.literal()));
    conn.query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| r.get::<_, String>(0))?;
    result?;
    check_readable(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> StoreKey {
        StoreKey::from_bytes(&[b; 32]).unwrap()
    }

    #[test]
    fn key_must_be_256_bits_and_never_prints() {
        assert!(matches!(StoreKey::from_bytes(&[1; 16]), Err(Error::Field(f)) if f.field == "key"));
        assert!(StoreKey::from_bytes(&[1; 33]).is_err());
        let k = StoreKey::from_bytes(&[0xAB; 32]).unwrap();
        assert_eq!(format!("{k:?}"), "StoreKey(…)");
        assert_eq!(k.literal(), format!("x'{}'", "AB".repeat(32)));
    }

    #[test]
    fn sqlcipher_is_linked() {
        let conn = Connection::open_in_memory().unwrap();
        let v: String = conn.query_row("PRAGMA cipher_version", [], |r| r.get(0)).unwrap();
        assert!(v.starts_with('4'), "{v}");
    }

    /// Without the key, the file is not SQLite (no header, no readable schema); with another key it is
    /// `WrongKey`; with the key every row is there.
    #[test]
    fn encrypted_file_is_unreadable_without_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let c = open_keyed(&path, &key(7)).unwrap();
            c.execute_batch("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('110101199001011234');").unwrap();
        }
        assert!(!is_plain_sqlite(&path).unwrap());
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(18).any(|w| w == b"110101199001011234"), "plaintext in the file");
        let plain = Connection::open(&path).unwrap();
        let e = plain.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).unwrap_err();
        assert_eq!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::NotADatabase), "{e}");
        assert!(matches!(open_keyed(&path, &key(8)), Err(Error::WrongKey)));
        let c = open_keyed(&path, &key(7)).unwrap();
        let x: String = c.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, "110101199001011234");
    }

    #[test]
    fn plain_file_is_encrypted_in_place_keeping_rows_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let c = Connection::open(&path).unwrap();
            c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)).unwrap();
            c.execute_batch("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('甲'); PRAGMA user_version = 5;").unwrap();
        }
        assert!(is_plain_sqlite(&path).unwrap());
        let c = open_keyed(&path, &key(3)).unwrap();
        assert!(!is_plain_sqlite(&path).unwrap());
        assert!(!migration_copy(&path).exists());
        let x: String = c.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!((x.as_str(), v), ("甲", 5));
    }

    #[test]
    fn rekey_replaces_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let c = open_keyed(&path, &key(1)).unwrap();
            c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)).unwrap();
            c.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (42);").unwrap();
            rekey(&c, &key(2)).unwrap();
            let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
            assert_eq!(mode, "wal");
            c.execute("INSERT INTO t VALUES (43)", []).unwrap();
        }
        assert!(matches!(open_keyed(&path, &key(1)), Err(Error::WrongKey)));
        let c = open_keyed(&path, &key(2)).unwrap();
        let n: i64 = c.query_row("SELECT sum(x) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 85);
    }
}
