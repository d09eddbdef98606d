//! `linkage-server migrate --to postgres://…`: moves a county's SQLite data directory to PostgreSQL when it
//! outgrows one machine. Every table is copied row by row in one PostgreSQL transaction (all or nothing) into an
//! empty database at the newest schema; feed sequence numbers are kept (phones keep their cursors) and new ones
//! start above them (`feed_origin`); the audit chain is copied with its hashes, so it verifies as before.
//! Blobs stay where they are: serve with the same `--data-dir` (its `blobs/` folder) and `--database`.
//! A database that already holds data (another county) is refused, naming it: one county per database (ADR
//! 0015 says why); a prefecture puts its counties in several databases of one cluster.
//! A table the copier does not know (added to SQLite but not here) stops the move before anything is written.

use std::path::Path;

use postgres::types::ToSql;
use rusqlite::types::ValueRef;

use crate::error::{Error, Result};

/// How a SQLite value becomes a PostgreSQL one.
#[derive(Debug, Clone, Copy)]
enum Ty {
    /// TEXT
    T,
    /// BIGINT
    I,
    /// INTEGER (int4)
    N,
    /// DOUBLE PRECISION
    F,
    /// BOOLEAN from 0/1
    B,
}
use Ty::*;

/// Every table of the SQLite schema with its columns (SQLite name, PostgreSQL name, type).
const TABLES: &[(&str, &[(&str, &str, Ty)])] = &[
    ("org_nodes", &[("id", "id", T), ("parent_id", "parent_id", T), ("level", "level", T), ("name", "name", T), ("code", "code", T), ("path", "path", T), ("boundary", "boundary", T)]),
    ("users", &[("id", "id", T), ("name", "name", T), ("role", "role", T), ("node_id", "node_id", T), ("password_hash", "password_hash", T), ("failed_sign_ins", "failed_sign_ins", I), ("locked", "locked", B), ("disabled", "disabled", B), ("must_change_password", "must_change_password", B), ("password_changed_at_ms", "password_changed_at_ms", I)]),
    ("devices", &[("device_id", "device_id", T), ("user_id", "user_id", T), ("device_name", "device_name", T), ("token_hash", "token_hash", T), ("expires_at_ms", "expires_at_ms", I), ("revoked", "revoked", B), ("created_at_ms", "created_at_ms", I), ("secret_hash", "secret_hash", T), ("pending_token_hash", "pending_token_hash", T), ("pending_expires_at_ms", "pending_expires_at_ms", I), ("last_seen_at_ms", "last_seen_at_ms", I)]),
    ("households", &[("id", "id", T), ("group_id", "group_id", T), ("path", "path", T), ("head_name", "head_name", T), ("members", "members", I), ("phone", "phone", T), ("id_number", "id_number", T), ("address", "address", T), ("lat", "lat", F), ("lon", "lon", F), ("tags", "tags", T), ("risk_level", "risk_level", T), ("county_contact", "county_contact", B)]),
    ("changes", &[("seq", "seq", I), ("op_id", "op_id", T), ("body_sha256", "body_sha256", T), ("user_id", "user_id", T), ("path", "path", T), ("broadcast", "broadcast", B), ("op_json", "op_json", T), ("received_at_ms", "received_at_ms", I)]),
    ("issue_events", &[("rowid", "id", I), ("event_id", "event_id", T), ("issue_id", "issue_id", T), ("hlc", "hlc", T), ("at_ms", "at_ms", I), ("actor_id", "actor_id", T), ("action", "action", T), ("body", "body", T), ("received_at_ms", "received_at_ms", I)]),
    ("issues", &[("id", "id", T), ("path", "path", T), ("state", "state", T), ("owner_node_id", "owner_node_id", T), ("assignee_id", "assignee_id", T), ("reporter_id", "reporter_id", T), ("category", "category", T), ("urgency", "urgency", T), ("title", "title", T), ("reported_at_ms", "reported_at_ms", I), ("last_hlc", "last_hlc", T), ("accepted_at_ms", "accepted_at_ms", I), ("resolved_at_ms", "resolved_at_ms", I), ("clock", "clock", T), ("escalated_at_ms", "escalated_at_ms", I), ("verifications", "verifications", T)]),
    ("visits", &[("id", "id", T), ("household_id", "household_id", T), ("visitor_id", "visitor_id", T), ("visitor_level", "visitor_level", T), ("path", "path", T), ("verdict", "verdict", T), ("distance_m", "distance_m", F), ("started_at_ms", "started_at_ms", I), ("amends_visit_id", "amends_visit_id", T)]),
    ("directives", &[("id", "id", T), ("issuer_id", "issuer_id", T), ("issuer_node_id", "issuer_node_id", T), ("target_node_id", "target_node_id", T), ("target_path", "target_path", T), ("body", "body", T), ("issued_at_ms", "issued_at_ms", I)]),
    ("directive_acks", &[("directive_id", "directive_id", T), ("node_id", "node_id", T), ("acked_by", "acked_by", T), ("acked_at_ms", "acked_at_ms", I), ("relayed_by", "relayed_by", T), ("relayed_at_ms", "relayed_at_ms", I), ("received_at_ms", "received_at_ms", I)]),
    ("directive_household_acks", &[("directive_id", "directive_id", T), ("household_id", "household_id", T), ("means", "means", T), ("recorded_by", "recorded_by", T), ("at_ms", "at_ms", I), ("received_at_ms", "received_at_ms", I)]),
    ("directive_task_reports", &[("directive_id", "directive_id", T), ("node_id", "node_id", T), ("reported_by", "reported_by", T), ("at_ms", "at_ms", I), ("note", "note", T), ("evidence", "evidence", T), ("status", "status", T), ("reviewed_by", "reviewed_by", T), ("reviewed_at_ms", "reviewed_at_ms", I), ("review_reason", "review_reason", T), ("received_at_ms", "received_at_ms", I)]),
    ("directive_reminders", &[("seq", "seq", I), ("directive_id", "directive_id", T), ("node_id", "node_id", T), ("reminded_by", "reminded_by", T), ("at_ms", "at_ms", I)]),
    ("household_field_clocks", &[("household_id", "household_id", T), ("field", "field", T), ("hlc", "hlc", T)]),
    ("household_point_moves", &[("seq", "seq", I), ("household_id", "household_id", T), ("mover_id", "mover_id", T), ("prev_lat", "prev_lat", F), ("prev_lon", "prev_lon", F), ("moved_at_ms", "moved_at_ms", I)]),
    ("county_settings", &[("id", "id", N), ("config_json", "config_json", T), ("updated_at_ms", "updated_at_ms", I)]),
    ("county_calendars", &[("year", "year", I), ("file_json", "file_json", T), ("imported_at_ms", "imported_at_ms", I)]),
    ("evidence_refs", &[("hash", "hash", T), ("path", "path", T), ("broadcast", "broadcast", B)]),
    ("blob_citations", &[("hash", "hash", T), ("user_id", "user_id", T), ("cited_at_ms", "cited_at_ms", I)]),
    ("blobs", &[("hash", "hash", T), ("size", "size", I), ("received_bytes", "received_bytes", I), ("complete", "complete", B), ("uploader_user", "uploader_user", T), ("uploader_device", "uploader_device", T), ("started_at_ms", "started_at_ms", I), ("updated_at_ms", "updated_at_ms", I)]),
    ("audit_log", &[("seq", "seq", I), ("at_ms", "at_ms", I), ("actor", "actor", T), ("action", "action", T), ("subject", "subject", T), ("address", "address", T), ("detail", "detail", T), ("prev_hash", "prev_hash", T), ("hash", "hash", T)]),
    ("audit_anchor", &[("id", "id", N), ("seq", "seq", I), ("hash", "hash", T), ("pruned_at_ms", "pruned_at_ms", I)]),
    ("server_meta", &[("key", "key", T), ("value", "value", T)]),
    ("forms", &[("form_id", "form_id", T), ("version", "version", I), ("title", "title", T), ("def_json", "def_json", T), ("target_path", "target_path", T), ("published_at_ms", "published_at_ms", I), ("retired_at_ms", "retired_at_ms", I)]),
    ("form_responses", &[("response_id", "response_id", T), ("form_id", "form_id", T), ("form_version", "form_version", I), ("respondent_id", "respondent_id", T), ("node_id", "node_id", T), ("household_id", "household_id", T), ("visit_id", "visit_id", T), ("path", "path", T), ("started_at_ms", "started_at_ms", I), ("submitted_at_ms", "submitted_at_ms", I), ("received_at_ms", "received_at_ms", I), ("answers_json", "answers_json", T)]),
];

/// Sequences to move past the copied rows: (table, column).
const SERIALS: &[(&str, &str)] = &[("issue_events", "id"), ("directive_reminders", "seq"), ("household_point_moves", "seq")];

/// Rows copied per table, in copy order.
#[derive(Debug, Default)]
pub struct Moved {
    pub tables: Vec<(&'static str, u64)>,
    /// The first feed number PostgreSQL hands out (above every copied row).
    pub feed_base: i64,
}

fn value(v: ValueRef<'_>, ty: Ty, table: &str, column: &str) -> Result<Box<dyn ToSql + Sync>> {
    let bad = || Error::Corrupt(format!("{table}.{column}: unexpected value {v:?}"));
    Ok(match (ty, v) {
        (T, ValueRef::Null) => Box::new(None::<String>),
        (T, ValueRef::Text(t)) => Box::new(String::from_utf8(t.to_vec()).map_err(|_| bad())?),
        (I, ValueRef::Null) => Box::new(None::<i64>),
        (I, ValueRef::Integer(i)) => Box::new(i),
        (N, ValueRef::Integer(i)) => Box::new(i32::try_from(i).map_err(|_| bad())?),
        (F, ValueRef::Null) => Box::new(None::<f64>),
        (F, ValueRef::Real(f)) => Box::new(f),
        (F, ValueRef::Integer(i)) => Box::new(i as f64),
        (B, ValueRef::Null) => Box::new(None::<bool>),
        (B, ValueRef::Integer(i)) => Box::new(i != 0),
        _ => return Err(bad()),
    })
}

/// Copies the SQLite database of `data_dir` into the (empty) PostgreSQL database at `url`.
pub fn move_county(data_dir: &Path, url: &str) -> Result<Moved> {
    // Migrated to the newest SQLite schema first (the copier knows that one).
    drop(crate::sqlite::SqliteStorage::open(data_dir)?);
    let src = rusqlite::Connection::open_with_flags(data_dir.join(crate::measures::DB_FILE), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let known: Vec<&str> = TABLES.iter().map(|t| t.0).collect();
    let present: Vec<String> = src
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if let Some(unknown) = present.iter().find(|t| !known.contains(&t.as_str())) {
        return Err(Error::Invalid(format!("table '{unknown}' is not known to `migrate`: nothing was moved")));
    }
    let pool = super::pool::Pool::new(url, 1)?;
    pool.run(move |conn| {
        super::migrate::migrate(&mut conn.client)?;
        let client = &mut conn.client;
        let used: bool = client
            .query_one("SELECT EXISTS (SELECT 1 FROM org_nodes) OR EXISTS (SELECT 1 FROM changes) OR EXISTS (SELECT 1 FROM users)", &[])?
            .get(0);
        if used {
            // One county per database (ADR 0015, "One county per database"): its settings, audit chain and
            // feed numbers are the county's own, so a second county is not merged in.
            let counties: Vec<String> = client
                .query("SELECT name || '（' || id || '）' FROM org_nodes WHERE level = 'county' ORDER BY path", &[])?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let held = if counties.is_empty() { "数据".to_string() } else { format!("县{}的数据", counties.join("、")) };
            return Err(Error::Invalid(format!(
                "该 PostgreSQL 数据库已存有{held}：一个数据库只容一个县（县设置、审计链和变更序号都属于一个县），\
                 未迁移任何数据。请在同一集群上为本县新建一个空数据库（CREATE DATABASE），再迁入该库"
            )));
        }
        // One snapshot of the source for the whole copy.
        src.execute_batch("BEGIN")?;
        let mut tx = client.transaction()?;
        let mut moved = Moved::default();
        for (table, columns) in TABLES {
            if !present.iter().any(|p| p == table) {
                continue;
            }
            let select = format!("SELECT {} FROM {table}", columns.iter().map(|c| c.0).collect::<Vec<_>>().join(", "));
            let insert = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                columns.iter().map(|c| c.1).collect::<Vec<_>>().join(", "),
                (1..=columns.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
            );
            let stmt = tx.prepare(&insert)?;
            let mut q = src.prepare(&select)?;
            let mut rows = q.query([])?;
            let mut n = 0u64;
            while let Some(row) = rows.next()? {
                let mut values = Vec::with_capacity(columns.len());
                for (i, (column, _, ty)) in columns.iter().enumerate() {
                    values.push(value(row.get_ref(i)?, *ty, table, column)?);
                }
                let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
                tx.execute(&stmt, &params)?;
                n += 1;
            }
            moved.tables.push((table, n));
        }
        for (table, column) in SERIALS {
            tx.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
            ))?;
        }
        moved.feed_base = tx.query_one("SELECT coalesce(max(seq), 0) + 1 FROM changes", &[])?.get(0);
        tx.execute("UPDATE feed_origin SET base = $1 WHERE id = 1", &[&moved.feed_base])?;
        tx.commit()?;
        src.execute_batch("COMMIT")?;
        Ok(moved)
    })
}
