//! Shared fixtures: a phone (FieldApp on a temp file with a manual clock) loaded with the fixture county.

use std::path::PathBuf;
use std::sync::Arc;

use linkage_core::clock::ManualClock;
use linkage_core::FieldApp;

pub const NOW: i64 = 1_780_000_000_000;

pub struct Phone {
    pub app: Arc<FieldApp>,
    pub clock: Arc<ManualClock>,
    pub db: PathBuf,
    _dir: tempfile::TempDir,
}

pub fn fixture_path() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/bundle.json").to_string()
}

pub fn phone() -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("linkage.db");
    let clock = Arc::new(ManualClock::new(NOW));
    let app = FieldApp::open_with_clock(&db, clock.clone()).unwrap();
    app.load_bundle(fixture_path()).unwrap();
    Phone { app, clock, db, _dir: dir }
}

/// Every row of every table of the phone's database file, read through a second connection.
pub fn db_rows(phone: &Phone) -> Vec<String> {
    db_rows_of(&phone.db)
}

/// Every row of every table of the database file at `db`, read through a second connection.
pub fn db_rows_of(db: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {t}")).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|")))
            .unwrap()
            .map(|r| format!("{t}:{}", r.unwrap()))
            .collect();
        rows.sort();
        out.extend(rows);
    }
    out
}
