//! Schema migrations of the PostgreSQL backend: `server/pg/NNN-*.sql`, each applied once in its own
//! transaction and recorded in `schema_migrations` (version, name, when). Servers starting together take
//! turns (an advisory lock); a database newer than this server is refused.

use postgres::Client;

use crate::error::{Error, Result};

/// The migrations, in order: (version, file name, SQL).
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "001-initial.sql", include_str!("../../pg/001-initial.sql")),
    (2, "002-feed-origin.sql", include_str!("../../pg/002-feed-origin.sql")),
    (3, "003-forms.sql", include_str!("../../pg/003-forms.sql")),
    (4, "004-issue-events-received-index.sql", include_str!("../../pg/004-issue-events-received-index.sql")),
];

/// The schema version of the database (0: empty).
pub fn version(client: &mut Client) -> Result<i32> {
    let exists: bool = client.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])?.get(0);
    if !exists {
        return Ok(0);
    }
    Ok(client.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[])?.get(0))
}

/// Brings the database to the newest version (or to `upto`, for upgrade tests).
pub fn migrate_to(client: &mut Client, upto: i32) -> Result<()> {
    client.execute("SELECT pg_advisory_lock($1, 0)", &[&super::LOCK_CLASS])?;
    let r = (|| {
        client.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    INTEGER PRIMARY KEY,
                 name       TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )?;
        let current = version(client)?;
        let newest = MIGRATIONS.last().map_or(0, |m| m.0);
        if current > newest {
            return Err(Error::Corrupt(format!("database schema {current} is newer than this server ({newest})")));
        }
        for (v, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current && m.0 <= upto) {
            let mut tx = client.transaction()?;
            tx.batch_execute(sql)?;
            tx.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", &[v, name])?;
            tx.commit()?;
        }
        Ok(())
    })();
    client.execute("SELECT pg_advisory_unlock($1, 0)", &[&super::LOCK_CLASS])?;
    r
}

/// Brings the database to the newest version.
pub fn migrate(client: &mut Client) -> Result<()> {
    migrate_to(client, i32::MAX)
}
