//! Schema versions and migrations. The version lives in `PRAGMA user_version`; each version has exactly one
//! migration step, a `.sql` file under `core/sql/` included at compile time. Old files are frozen: an upgrade
//! from any older version must produce the same schema as a fresh database (tested below).

use rusqlite::Connection;

use crate::error::{Error, Result};

/// Migration steps, in order: `MIGRATIONS[i]` upgrades version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../sql/001_initial.sql"),
    include_str!("../../sql/002_evidence.sql"),
    include_str!("../../sql/003_server_order_and_field_clocks.sql"),
    include_str!("../../sql/004_coverage_counts.sql"),
    include_str!("../../sql/005_evidence_cache.sql"),
    include_str!("../../sql/006_drafts.sql"),
    include_str!("../../sql/007_measure_events_index.sql"),
    include_str!("../../sql/008_issue_measure_facts.sql"),
    include_str!("../../sql/009_directive_photos_reminders_reviews.sql"),
    include_str!("../../sql/010_issue_measure_facts_branch.sql"),
    include_str!("../../sql/011_forms.sql"),
];

/// The schema version this build writes.
pub const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`CURRENT_VERSION`], one step per version, each step in its own transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, CURRENT_VERSION)
}

pub(crate) fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT_VERSION {
        return Err(Error::SchemaTooNew { found, supported: CURRENT_VERSION });
    }
    for version in found..target {
        let tx = conn.transaction()?;
        tx.execute_batch(MIGRATIONS[version as usize])?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) fn schema_dump(conn: &Connection) -> Vec<(String, String, String)> {
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(|r| r.unwrap()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgraded_v1_equals_fresh_schema_and_keeps_data() {
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate(&mut fresh).unwrap();

        let mut old = Connection::open_in_memory().unwrap();
        migrate_to(&mut old, 1).unwrap();
        old.execute(
            "INSERT INTO org_nodes (id, parent_id, level, name, code, path) VALUES ('c', NULL, 'county', '黄龙县', '610631000000', '/c/')",
            [],
        )
        .unwrap();
        migrate(&mut old).unwrap();

        assert_eq!(schema_dump(&old), schema_dump(&fresh));
        let v: i64 = old.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, CURRENT_VERSION);
        let name: String = old.query_row("SELECT name FROM org_nodes WHERE id = 'c'", [], |r| r.get(0)).unwrap();
        assert_eq!(name, "黄龙县");
    }

    /// Version 4 backfills the coverage aggregates from the households and last visits already stored, and its
    /// triggers keep them up to date from then on.
    #[test]
    fn upgrade_to_v4_backfills_the_coverage_aggregates() {
        let mut old = Connection::open_in_memory().unwrap();
        migrate_to(&mut old, 3).unwrap();
        old.execute_batch(
            "INSERT INTO org_nodes (id, parent_id, level, name, code, path) VALUES ('c', NULL, 'county', '县', '1', '/c/');
             INSERT INTO org_nodes (id, parent_id, level, name, code, path) VALUES ('t', 'c', 'township', '镇', '2', '/c/t/');
             INSERT INTO org_nodes (id, parent_id, level, name, code, path) VALUES ('b', 't', 'branch', '村', '3', '/c/t/b/');
             INSERT INTO org_nodes (id, parent_id, level, name, code, path) VALUES ('g', 'b', 'group', '组', '4', '/c/t/b/g/');
             INSERT INTO households (id, group_id, path, head_name, address, risk_level, county_contact)
               VALUES ('h1', 'g', '/c/t/b/g/h1/', '张', '1号', 'low', 1), ('h2', 'g', '/c/t/b/g/h2/', '李', '2号', 'low', 0),
                      ('h3', 'g', '/c/t/b/g/h3/', '王', '3号', 'low', 0);
             INSERT INTO household_last_visit (household_id, level, last_onsite_ms)
               VALUES ('h1', 'branch', 86400000 * 10 + 5), ('h2', 'branch', 86400000 * 10 + 9), ('h1', 'county', 86400000 * 3);",
        )
        .unwrap();
        migrate(&mut old).unwrap();
        let counts: (i64, i64) =
            old.query_row("SELECT households, county_contacts FROM group_household_counts WHERE group_id = 'g'", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!(counts, (3, 1));
        let days = |conn: &Connection| -> Vec<(String, i64, i64, i64)> {
            conn.prepare("SELECT level, day, households, county_contacts FROM group_visit_days WHERE households > 0 ORDER BY level, day")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(days(&old), [("branch".to_string(), 10, 2, 1), ("county".to_string(), 3, 1, 1)]);
        // A later visit moves h2 to another day; a new household and its group counts follow.
        old.execute_batch(
            "UPDATE household_last_visit SET last_onsite_ms = 86400000 * 12 WHERE household_id = 'h2' AND level = 'branch';
             INSERT INTO households (id, group_id, path, head_name, address, risk_level, county_contact)
               VALUES ('h4', 'g', '/c/t/b/g/h4/', '赵', '4号', 'low', 1);",
        )
        .unwrap();
        assert_eq!(days(&old), [("branch".to_string(), 10, 1, 1), ("branch".to_string(), 12, 1, 0), ("county".to_string(), 3, 1, 1)]);
        let n: i64 = old.query_row("SELECT households FROM group_household_counts WHERE group_id = 'g'", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 4);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", CURRENT_VERSION + 1).unwrap();
        assert!(matches!(migrate(&mut conn), Err(Error::SchemaTooNew { .. })));
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let before = schema_dump(&conn);
        migrate(&mut conn).unwrap();
        assert_eq!(schema_dump(&conn), before);
    }
}
