//! The PostgreSQL backend (DESIGN §15: deployments that outgrow one county's SQLite file): the same
//! [`Storage`] contract over a shared database, so several stateless `linkage-server serve` processes can
//! serve one prefecture or province. Chosen with `--database postgres://…`.
//!
//! * Schema: `server/pg/NNN-*.sql`, applied in order and recorded in `schema_migrations` ([`migrate`]).
//! * Pushes: one transaction per batch, judged by the same op rules (`apply.rs`) through [`ledger::PgLedger`];
//!   concurrent writers on several servers are serialized where the rules read-then-write (an issue's events,
//!   a household's field clocks, the audit chain) by transaction-scoped advisory locks; an op id reused by two
//!   servers at once loses the unique-key race and its batch is judged again (then it is a duplicate).
//! * The change feed is ordered by the writing transaction's id, and readers serve only rows below their
//!   snapshot's `xmin`, so a row that commits late is never skipped (ADR 0015, [`feed`]).
//! * The overdue sweep runs on one server at a time (a session advisory lock); blobs live as files in a
//!   directory every server shares (`<data-dir>/blobs`), uploads serialized per hash by advisory locks.

pub mod feed;
pub mod from_sqlite;
pub mod ledger;
pub mod migrate;
pub mod pool;

use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use linkage_protocol::model::Role;
use linkage_protocol::rules::scope;
use linkage_protocol::sync::{Change, OpOutcome};
use linkage_protocol::wire::{Bundle, BundleHousehold, BundleNode, BundleUser, CountyConfig, Operation};
use postgres::types::ToSql;
use postgres::{GenericClient, Row};

use crate::apply::{self, NodeInfo, UserInfo};
use crate::audit;
use crate::error::{Error, Result};
use crate::sqlite::{enum_str, parse_enum, sha256_hex};
use crate::storage::{
    Account, BlobGc, BlobGcPolicy, BlobLimits, BlobState, BlobWrite, Counts, DeviceRow, Enrolment, NewEnrolment, NewUser, PlacedHousehold,
    PlacedNode, Storage, TokenRecord, Uploader,
};
use pool::{Conn, Pool, Stmts};

/// Parameters of one statement.
pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Advisory lock class of this application (two-key form); the second key names the lock.
const LOCK_CLASS: i32 = 0x4c4b; // "LK"
const LOCK_SWEEP: i32 = 1;
const LOCK_BLOB_GC: i32 = 2;
const LOCK_AUDIT: i32 = 3;

/// Creates a new empty database named `name` (letters, digits, `_`) on the cluster of `admin_url` and returns
/// its URL: each test of the PostgreSQL run gets its own (`LINKAGE_TEST_DATABASE`), as does the bench.
pub fn create_database(admin_url: &str, name: &str) -> Result<String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::Invalid(format!("database name '{name}'")));
    }
    let pool = Pool::new(admin_url, 1)?;
    pool.run(|c| Ok(c.client.batch_execute(&format!("CREATE DATABASE {name}"))?))?;
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let Some(slash) = base.rfind('/').filter(|&i| i > "postgres://".len()) else {
        return Ok(format!("{base}/{name}{query}"));
    };
    Ok(format!("{}/{name}{query}", &base[..slash]))
}

/// A database of its own for one test when `LINKAGE_TEST_DATABASE` names a cluster (the PostgreSQL run of
/// the test suite), else `None` (SQLite).
pub fn test_database() -> Option<String> {
    let admin = std::env::var("LINKAGE_TEST_DATABASE").ok().filter(|u| is_postgres_url(u))?;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    Some(create_database(&admin, &name).unwrap_or_else(|e| panic!("LINKAGE_TEST_DATABASE: {e}")))
}

/// The first column of the one row `sql` returns, as a number (tests count rows with it).
#[doc(hidden)]
pub fn query_i64(url: &str, sql: &str) -> Result<i64> {
    Pool::new(url, 1)?.run(|c| Ok(c.client.query_one(sql, &[])?.get::<_, i64>(0)))
}

/// Whether `url` names a PostgreSQL database (`--database`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Statements on one client (a connection or a transaction) with the connection's prepared statements.
pub struct Db<'a, C: GenericClient> {
    pub c: &'a mut C,
    pub stmts: &'a mut Stmts,
}

impl<C: GenericClient> Db<'_, C> {
    fn prepared(&mut self, sql: &'static str) -> Result<postgres::Statement> {
        pool::stmt(self.c, self.stmts, sql)
    }

    /// Every row.
    pub fn q(&mut self, sql: &'static str, p: Params<'_>) -> Result<Vec<Row>> {
        let s = self.prepared(sql)?;
        Ok(self.c.query(&s, p)?)
    }

    /// At most one row.
    pub fn opt(&mut self, sql: &'static str, p: Params<'_>) -> Result<Option<Row>> {
        let s = self.prepared(sql)?;
        Ok(self.c.query_opt(&s, p)?)
    }

    /// Exactly one row.
    pub fn one(&mut self, sql: &'static str, p: Params<'_>) -> Result<Row> {
        let s = self.prepared(sql)?;
        Ok(self.c.query_one(&s, p)?)
    }

    /// Rows changed.
    pub fn exec(&mut self, sql: &'static str, p: Params<'_>) -> Result<u64> {
        let s = self.prepared(sql)?;
        Ok(self.c.execute(&s, p)?)
    }
}

fn db(conn: &mut Conn) -> Db<'_, postgres::Client> {
    Db { c: &mut conn.client, stmts: &mut conn.stmts }
}

/// Runs `f` in a transaction of `conn`, committed if it returns `Ok`.
fn in_tx<T>(conn: &mut Conn, f: impl FnOnce(&mut Db<'_, postgres::Transaction<'_>>) -> Result<T>) -> Result<T> {
    let Conn { client, stmts, .. } = conn;
    let mut tx = client.transaction()?;
    let out = f(&mut Db { c: &mut tx, stmts })?;
    tx.commit()?;
    Ok(out)
}

/// The PostgreSQL storage: a connection pool, the shared blob directory, the feed head of this process.
#[derive(Debug)]
pub struct PgStorage {
    pool: std::sync::Arc<Pool>,
    blob_dir: PathBuf,
    feed: std::sync::Arc<tokio::sync::watch::Sender<i64>>,
    /// Wakes the thread that keeps the head current ([`feed::keep_head`]); it ends when this is dropped.
    nudge: std::sync::mpsc::Sender<feed::Nudge>,
    /// Hears the other servers' feed commits (`LISTEN`, [`feed::listen`]); stops when this is dropped.
    _listener: feed::Listener,
}

impl PgStorage {
    /// Connects to `url`, applies the pending migrations, and keeps blobs under `data_dir/blobs` (a directory
    /// shared by every server of the deployment).
    pub fn open(url: &str, data_dir: &Path) -> Result<PgStorage> {
        let blob_dir = data_dir.join("blobs");
        fs::create_dir_all(&blob_dir)?;
        let pool = std::sync::Arc::new(Pool::new(url, 16)?);
        pool.run(|conn| migrate::migrate(&mut conn.client))?;
        let head = pool.run(|conn| feed::head(&mut db(conn)))?;
        let feed = std::sync::Arc::new(tokio::sync::watch::Sender::new(head));
        let (nudge, nudges) = std::sync::mpsc::channel();
        // This storage's name on the feed channel (its own announcements are not news to it).
        let instance = uuid::Uuid::new_v4().simple().to_string();
        std::thread::Builder::new().name("linkage-feed-head".into()).spawn({
            let (pool, feed, instance) = (pool.clone(), feed.clone(), instance.clone());
            move || feed::keep_head(pool, feed, nudges, instance)
        })?;
        let _listener = feed::listen(pool.config().clone(), instance, nudge.clone())?;
        // A commit of another server between the head read above and LISTEN: read the head once more.
        let _ = nudge.send(feed::Nudge::Remote);
        Ok(PgStorage { pool, blob_dir, feed, nudge, _listener })
    }

    /// After a commit of this process that added to the feed: publishes the feed's head if it moved forward
    /// (waiters wake), has the other servers told and the head followed until rows held back by an older open
    /// transaction become servable.
    fn publish_head(&self) -> Result<i64> {
        self.publish_head_after(feed::Nudge::Local)
    }

    /// [`Self::publish_head`]; `why` says whether this process committed (then the other servers are told).
    fn publish_head_after(&self, why: feed::Nudge) -> Result<i64> {
        let _ = self.nudge.send(why);
        let head = self.pool.run(|conn| feed::head(&mut db(conn)))?;
        self.feed.send_if_modified(|h| {
            let moved = head > *h;
            if moved {
                *h = head;
            }
            moved
        });
        Ok(head)
    }

    fn blob_paths(&self, hash: &str) -> (PathBuf, PathBuf) {
        (self.blob_dir.join(hash), self.blob_dir.join(format!("{hash}.part")))
    }

    /// Runs `f` on a pooled connection (see [`Pool::run`]).
    pub fn run<T: Send>(&self, f: impl FnOnce(&mut Conn) -> Result<T> + Send) -> Result<T> {
        self.pool.run(f)
    }
}

fn map_user(r: &Row) -> Result<(UserInfo, String)> {
    Ok((
        UserInfo {
            id: r.get(0),
            name: r.get(1),
            role: parse_enum(r.get::<_, &str>(2))?,
            node_id: r.get(3),
            node_path: r.get(4),
            node_level: parse_enum(r.get::<_, &str>(5))?,
        },
        r.get(6),
    ))
}

pub(crate) fn query_user<C: GenericClient>(db: &mut Db<'_, C>, id: &str) -> Result<Option<(UserInfo, String)>> {
    const SQL: &str = "SELECT u.id, u.name, u.role, u.node_id, n.path, n.level, u.password_hash
        FROM users u JOIN org_nodes n ON n.id = u.node_id WHERE u.id = $1";
    db.opt(SQL, &[&id])?.map(|r| map_user(&r)).transpose()
}

pub(crate) fn query_node<C: GenericClient>(db: &mut Db<'_, C>, id: &str) -> Result<Option<NodeInfo>> {
    db.opt("SELECT id, parent_id, level, name, path FROM org_nodes WHERE id = $1", &[&id])?
        .map(|r| Ok(NodeInfo { id: r.get(0), parent_id: r.get(1), level: parse_enum(r.get::<_, &str>(2))?, name: r.get(3), path: r.get(4) }))
        .transpose()
}

/// The county's settings as stored (defaults when none were set) with every imported yearly calendar.
pub(crate) fn read_county_config<C: GenericClient>(db: &mut Db<'_, C>) -> Result<CountyConfig> {
    let base = db.opt("SELECT config_json FROM county_settings WHERE id = 1", &[])?;
    let mut config: CountyConfig = match base {
        Some(r) => serde_json::from_str(r.get::<_, &str>(0))?,
        None => CountyConfig::default(),
    };
    config.calendars.clear();
    for r in db.q("SELECT file_json FROM county_calendars ORDER BY year", &[])? {
        config.calendars.push(serde_json::from_str(r.get::<_, &str>(0))?);
    }
    Ok(config)
}

/// Puts the county's current settings into the change feed (broadcast from the county node).
fn feed_county_config(db: &mut Db<'_, postgres::Transaction<'_>>, now_ms: i64) -> Result<()> {
    let config = read_county_config(db)?;
    config.validate().map_err(|e| Error::Invalid(format!("county settings: {e}")))?;
    let county = db.opt("SELECT path FROM org_nodes WHERE level = 'county' ORDER BY path LIMIT 1", &[])?;
    let Some(county) = county else { return Ok(()) };
    let path: String = county.get(0);
    let op = Operation {
        op_id: uuid::Uuid::now_v7().to_string(),
        hlc: linkage_protocol::hlc::Hlc { wall_ms: now_ms, counter: 0 }.encode(apply::SYSTEM_ACTOR),
        body: linkage_protocol::wire::OpBody::CountyConfigSet(linkage_protocol::wire::CountyConfigSet { config, set_at_ms: now_ms }),
    };
    let mut seqs = feed::SeqAllocator::default();
    let seq = seqs.next(db)?;
    db.exec(
        "INSERT INTO changes (seq, op_id, body_sha256, user_id, path, broadcast, op_json, received_at_ms)
         VALUES ($1, $2, '', $3, $4, true, $5, $6)",
        &[&seq, &op.op_id, &apply::SYSTEM_ACTOR, &path, &serde_json::to_string(&op)?, &now_ms],
    )?;
    Ok(())
}

/// Puts a form publication or retirement into the change feed, broadcast from `path`.
fn feed_system_op(db: &mut Db<'_, postgres::Transaction<'_>>, body: linkage_protocol::wire::OpBody, path: &str, now_ms: i64) -> Result<()> {
    let op = Operation {
        op_id: uuid::Uuid::now_v7().to_string(),
        hlc: linkage_protocol::hlc::Hlc { wall_ms: now_ms, counter: 0 }.encode(apply::SYSTEM_ACTOR),
        body,
    };
    let seq = feed::SeqAllocator::default().next(db)?;
    db.exec(
        "INSERT INTO changes (seq, op_id, body_sha256, user_id, path, broadcast, op_json, received_at_ms)
         VALUES ($1, $2, '', $3, $4, true, $5, $6)",
        &[&seq, &op.op_id, &apply::SYSTEM_ACTOR, &path, &serde_json::to_string(&op)?, &now_ms],
    )?;
    Ok(())
}

/// Appends one audit row in `db`'s transaction, chained to the newest row (or the prune anchor, or genesis);
/// appends from several servers are serialized by an advisory lock.
fn append_audit(db: &mut Db<'_, postgres::Transaction<'_>>, e: &audit::Event, now_ms: i64) -> Result<()> {
    db.exec("SELECT pg_advisory_xact_lock($1, $2)", &[&LOCK_CLASS, &LOCK_AUDIT])?;
    let last = db.opt("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", &[])?.map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1)));
    let (prev_seq, prev_hash) = match last {
        Some(l) => l,
        None => audit_anchor(db)?.unwrap_or((0, audit::GENESIS.to_string())),
    };
    let seq = prev_seq + 1;
    let detail = e.detail.to_string();
    let action = e.action.as_str();
    let hash = audit::row_hash(&prev_hash, seq, now_ms, &e.actor, action, &e.subject, &e.address, &detail);
    db.exec(
        "INSERT INTO audit_log (seq, at_ms, actor, action, subject, address, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[&seq, &now_ms, &e.actor, &action, &e.subject, &e.address, &detail, &prev_hash, &hash],
    )?;
    Ok(())
}

fn audit_anchor<C: GenericClient>(db: &mut Db<'_, C>) -> Result<Option<(i64, String)>> {
    Ok(db.opt("SELECT seq, hash FROM audit_anchor WHERE id = 1", &[])?.map(|r| (r.get(0), r.get(1))))
}

fn map_audit(r: &Row) -> audit::Row {
    audit::Row {
        seq: r.get(0),
        at_ms: r.get(1),
        actor: r.get(2),
        action: r.get(3),
        subject: r.get(4),
        address: r.get(5),
        detail: r.get(6),
        prev_hash: r.get(7),
        hash: r.get(8),
    }
}

/// Compares two byte strings in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A storage error worth judging the batch again: another server won a race on the same op id, event id or
/// row (unique key), or two batches locked in opposite orders (deadlock detected).
fn retryable(e: &Error) -> bool {
    use postgres::error::SqlState;
    match e {
        Error::Postgres(pe) => pe.code().is_some_and(|c| {
            *c == SqlState::UNIQUE_VIOLATION || *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
        }),
        _ => false,
    }
}

impl Storage for PgStorage {
    fn user_credentials(&self, user_id: &str) -> Result<Option<(UserInfo, String)>> {
        self.run(|c| query_user(&mut db(c), user_id))
    }

    fn device_revoked(&self, device_id: &str) -> Result<Option<bool>> {
        self.run(|c| Ok(db(c).opt("SELECT revoked FROM devices WHERE device_id = $1", &[&device_id])?.map(|r| r.get(0))))
    }

    fn account(&self, user_id: &str) -> Result<Option<Account>> {
        self.run(|c| {
            let mut db = db(c);
            let Some((user, password_hash)) = query_user(&mut db, user_id)? else { return Ok(None) };
            let r = db.one("SELECT failed_sign_ins, locked, disabled, must_change_password FROM users WHERE id = $1", &[&user_id])?;
            Ok(Some(Account {
                user,
                password_hash,
                failed_sign_ins: r.get::<_, i64>(0).max(0) as u32,
                locked: r.get(1),
                disabled: r.get(2),
                must_change_password: r.get(3),
            }))
        })
    }

    fn sign_in_failed(&self, user_id: &str, lock_after: u32) -> Result<(u32, bool)> {
        self.run(|c| {
            in_tx(c, |db| {
                let Some(r) = db.opt("SELECT failed_sign_ins, locked FROM users WHERE id = $1 FOR UPDATE", &[&user_id])? else { return Ok((0, false)) };
                let failed = r.get::<_, i64>(0) + 1;
                let was_locked: bool = r.get(1);
                let lock_now = !was_locked && failed >= i64::from(lock_after.max(1));
                db.exec("UPDATE users SET failed_sign_ins = $2, locked = locked OR $3 WHERE id = $1", &[&user_id, &failed, &lock_now])?;
                Ok((failed as u32, lock_now))
            })
        })
    }

    fn sign_in_succeeded(&self, user_id: &str) -> Result<()> {
        self.run(|c| db(c).exec("UPDATE users SET failed_sign_ins = 0 WHERE id = $1 AND failed_sign_ins != 0", &[&user_id]).map(drop))
    }

    fn unlock_user(&self, user_id: &str) -> Result<bool> {
        self.run(|c| Ok(db(c).exec("UPDATE users SET locked = false, failed_sign_ins = 0 WHERE id = $1", &[&user_id])? == 1))
    }

    fn disable_user(&self, user_id: &str) -> Result<Option<u32>> {
        self.run(|c| {
            in_tx(c, |db| {
                if db.exec("UPDATE users SET disabled = true WHERE id = $1", &[&user_id])? == 0 {
                    return Ok(None);
                }
                let n = db.exec("UPDATE devices SET revoked = true, pending_token_hash = NULL WHERE user_id = $1 AND NOT revoked", &[&user_id])?;
                Ok(Some(n as u32))
            })
        })
    }

    fn set_password(&self, user_id: &str, password_hash: &str, must_change: bool, now_ms: i64) -> Result<u32> {
        self.run(|c| {
            in_tx(c, |db| {
                let changed = db.exec(
                    "UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at_ms = $4 WHERE id = $1",
                    &[&user_id, &password_hash, &must_change, &now_ms],
                )?;
                if changed == 0 {
                    return Err(Error::NotFound(format!("user '{user_id}'")));
                }
                let n = db.exec(
                    "UPDATE devices SET token_hash = 'signed-out:' || device_id, pending_token_hash = NULL, pending_expires_at_ms = NULL
                     WHERE user_id = $1 AND token_hash NOT LIKE 'signed-out:%'",
                    &[&user_id],
                )?;
                Ok(n as u32)
            })
        })
    }

    fn enroll_device(&self, e: &NewEnrolment) -> Result<Enrolment> {
        self.run(|c| {
            in_tx(c, |db| {
                // Two enrolments of one device id at once (two servers): the second waits for the first.
                db.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 4))", &[&e.device_id])?;
                let existing = db.opt("SELECT user_id, secret_hash, revoked FROM devices WHERE device_id = $1", &[&e.device_id])?;
                if let Some(r) = existing {
                    let (owner, secret, revoked): (String, Option<String>, bool) = (r.get(0), r.get(1), r.get(2));
                    let same_installation = match (&secret, &e.secret_hash) {
                        (Some(stored), Some(given)) => constant_time_eq(stored.as_bytes(), given.as_bytes()),
                        (Some(_), None) => false,
                        (None, _) => owner == e.user_id,
                    };
                    if !same_installation {
                        return Ok(Enrolment::Taken);
                    }
                    if revoked {
                        return Ok(Enrolment::Revoked);
                    }
                }
                db.exec(
                    "INSERT INTO devices (device_id, user_id, device_name, token_hash, expires_at_ms, revoked, created_at_ms, secret_hash, last_seen_at_ms)
                     VALUES ($1, $2, $3, $4, $5, false, $6, $7, $6)
                     ON CONFLICT (device_id) DO UPDATE SET user_id = excluded.user_id, device_name = excluded.device_name,
                       token_hash = excluded.token_hash, expires_at_ms = excluded.expires_at_ms,
                       secret_hash = coalesce(devices.secret_hash, excluded.secret_hash), pending_token_hash = NULL,
                       pending_expires_at_ms = NULL, last_seen_at_ms = excluded.last_seen_at_ms",
                    &[&e.device_id, &e.user_id, &e.device_name, &e.token_hash, &e.expires_at_ms, &e.now_ms, &e.secret_hash],
                )?;
                Ok(Enrolment::Enrolled)
            })
        })
    }

    fn token(&self, token_hash: &str, now_ms: i64) -> Result<Option<TokenRecord>> {
        self.run(|c| {
            let mut db = db(c);
            let row = db.opt(
                "SELECT device_id, expires_at_ms, revoked, user_id, coalesce(pending_token_hash = $1, false), pending_expires_at_ms, last_seen_at_ms
                 FROM devices WHERE token_hash = $1
                 UNION ALL
                 SELECT device_id, expires_at_ms, revoked, user_id, true, pending_expires_at_ms, last_seen_at_ms
                 FROM devices WHERE pending_token_hash = $1
                 LIMIT 1",
                &[&token_hash],
            )?;
            let Some(r) = row else { return Ok(None) };
            let device_id: String = r.get(0);
            let mut expires_at_ms: i64 = r.get(1);
            let revoked: bool = r.get(2);
            let user_id: String = r.get(3);
            let pending: bool = r.get(4);
            let pending_expires: Option<i64> = r.get(5);
            let last_seen: Option<i64> = r.get(6);
            if pending && !revoked {
                db.exec(
                    "UPDATE devices SET token_hash = pending_token_hash, expires_at_ms = pending_expires_at_ms,
                       pending_token_hash = NULL, pending_expires_at_ms = NULL, last_seen_at_ms = $2
                     WHERE device_id = $1 AND pending_token_hash IS NOT NULL",
                    &[&device_id, &now_ms],
                )?;
                expires_at_ms = pending_expires.unwrap_or(expires_at_ms);
            } else if last_seen.is_none_or(|t| now_ms - t > 3_600_000) {
                db.exec("UPDATE devices SET last_seen_at_ms = $2 WHERE device_id = $1", &[&device_id, &now_ms])?;
            }
            let Some((user, _)) = query_user(&mut db, &user_id)? else { return Ok(None) };
            Ok(Some(TokenRecord { device_id, expires_at_ms, revoked, user }))
        })
    }

    fn rotate_token(&self, device_id: &str, current_hash: &str, new_hash: &str, expires_at_ms: i64) -> Result<bool> {
        self.run(|c| {
            Ok(db(c).exec(
                "UPDATE devices SET pending_token_hash = $3, pending_expires_at_ms = $4 WHERE device_id = $1 AND token_hash = $2 AND NOT revoked",
                &[&device_id, &current_hash, &new_hash, &expires_at_ms],
            )? == 1)
        })
    }

    fn revoke_device(&self, device_id: &str) -> Result<bool> {
        self.run(|c| Ok(db(c).exec("UPDATE devices SET revoked = true, pending_token_hash = NULL WHERE device_id = $1", &[&device_id])? == 1))
    }

    fn devices(&self, user_id: Option<&str>) -> Result<Vec<DeviceRow>> {
        self.run(|c| {
            let rows = db(c).q(
                "SELECT device_id, user_id, device_name, created_at_ms, expires_at_ms, last_seen_at_ms, revoked,
                        secret_hash IS NOT NULL, token_hash LIKE 'signed-out:%'
                 FROM devices WHERE $1::text IS NULL OR user_id = $1 ORDER BY user_id, device_id",
                &[&user_id],
            )?;
            Ok(rows
                .iter()
                .map(|r| DeviceRow {
                    device_id: r.get(0),
                    user_id: r.get(1),
                    device_name: r.get(2),
                    created_at_ms: r.get(3),
                    expires_at_ms: r.get(4),
                    last_seen_at_ms: r.get(5),
                    revoked: r.get(6),
                    bound: r.get(7),
                    signed_out: r.get(8),
                })
                .collect())
        })
    }

    fn put_user(&self, user: &NewUser) -> Result<()> {
        self.run(|c| {
            db(c).exec(
                "INSERT INTO users (id, name, role, node_id, password_hash) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, node_id = excluded.node_id,
                   password_hash = excluded.password_hash",
                &[&user.id, &user.name, &enum_str(&user.role), &user.node_id, &user.password_hash],
            )?;
            Ok(())
        })
    }

    fn audit(&self, event: &audit::Event, now_ms: i64) -> Result<()> {
        self.run(|c| in_tx(c, |db| append_audit(db, event, now_ms)))
    }

    fn audit_rows(&self, from_ms: i64, to_ms: i64) -> Result<Vec<audit::Row>> {
        self.run(|c| {
            let rows = db(c).q(
                "SELECT seq, at_ms, actor, action, subject, address, detail, prev_hash, hash FROM audit_log
                 WHERE at_ms >= $1 AND at_ms < $2 ORDER BY seq",
                &[&from_ms, &to_ms],
            )?;
            Ok(rows.iter().map(map_audit).collect())
        })
    }

    fn audit_verify(&self) -> Result<audit::Verification> {
        self.run(|c| {
            in_tx(c, |db| {
                let anchor = audit_anchor(db)?;
                let rows = db.q("SELECT seq, at_ms, actor, action, subject, address, detail, prev_hash, hash FROM audit_log ORDER BY seq", &[])?;
                Ok(audit::verify(anchor, rows.iter().map(map_audit)))
            })
        })
    }

    fn audit_prune(&self, before_ms: i64, now_ms: i64) -> Result<u64> {
        self.run(|c| {
            in_tx(c, |db| {
                db.exec("SELECT pg_advisory_xact_lock($1, $2)", &[&LOCK_CLASS, &LOCK_AUDIT])?;
                let last = db.opt(
                    "SELECT seq, hash FROM audit_log WHERE seq < coalesce((SELECT min(seq) FROM audit_log WHERE at_ms >= $1), 4611686018427387904)
                     ORDER BY seq DESC LIMIT 1",
                    &[&before_ms],
                )?;
                let Some(last) = last else { return Ok(0) };
                let (seq, hash): (i64, String) = (last.get(0), last.get(1));
                let n = db.exec("DELETE FROM audit_log WHERE seq <= $1", &[&seq])?;
                db.exec(
                    "INSERT INTO audit_anchor (id, seq, hash, pruned_at_ms) VALUES (1, $1, $2, $3)
                     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, pruned_at_ms = excluded.pruned_at_ms",
                    &[&seq, &hash, &now_ms],
                )?;
                let event = audit::Event::new("server", audit::Action::AuditPruned, "audit_log", "")
                    .with(serde_json::json!({ "rows": n, "through_seq": seq, "before_ms": before_ms }));
                append_audit(db, &event, now_ms)?;
                Ok(n)
            })
        })
    }

    fn server_meta(&self, key: &str) -> Result<Option<String>> {
        self.run(|c| Ok(db(c).opt("SELECT value FROM server_meta WHERE key = $1", &[&key])?.map(|r| r.get(0))))
    }

    fn set_server_meta(&self, key: &str, value: &str) -> Result<()> {
        self.run(|c| {
            db(c).exec(
                "INSERT INTO server_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )?;
            Ok(())
        })
    }

    fn node(&self, id: &str) -> Result<Option<NodeInfo>> {
        self.run(|c| query_node(&mut db(c), id))
    }

    fn has_county(&self) -> Result<bool> {
        self.run(|c| Ok(db(c).one("SELECT EXISTS (SELECT 1 FROM org_nodes WHERE level = 'county')", &[])?.get(0)))
    }

    fn county_config(&self) -> Result<CountyConfig> {
        self.run(|c| read_county_config(&mut db(c)))
    }

    fn set_county_config(&self, config: &CountyConfig, now_ms: i64) -> Result<()> {
        config.validate().map_err(|e| Error::Invalid(format!("county settings: {e}")))?;
        self.run(|c| {
            in_tx(c, |db| {
                db.exec("LOCK TABLE county_settings IN EXCLUSIVE MODE", &[])?;
                let base = CountyConfig { calendars: Vec::new(), ..config.clone() };
                db.exec(
                    "INSERT INTO county_settings (id, config_json, updated_at_ms) VALUES (1, $1, $2)
                     ON CONFLICT (id) DO UPDATE SET config_json = excluded.config_json, updated_at_ms = excluded.updated_at_ms",
                    &[&serde_json::to_string(&base)?, &now_ms],
                )?;
                db.exec("DELETE FROM county_calendars", &[])?;
                for file in &config.calendars {
                    let year = file.get("year").and_then(serde_json::Value::as_i64).unwrap_or_default();
                    db.exec(
                        "INSERT INTO county_calendars (year, file_json, imported_at_ms) VALUES ($1, $2, $3)",
                        &[&year, &file.to_string(), &now_ms],
                    )?;
                }
                feed_county_config(db, now_ms)
            })
        })?;
        self.publish_head()?;
        Ok(())
    }

    fn import_calendar(&self, year_file: &str, now_ms: i64) -> Result<i32> {
        let year = self.run(|c| {
            in_tx(c, |db| {
                db.exec("LOCK TABLE county_settings IN EXCLUSIVE MODE", &[])?;
                let current = read_county_config(db)?;
                let (_, year) = linkage_protocol::rules::county::with_calendar_year(&current, year_file)
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                let value: serde_json::Value = serde_json::from_str(year_file)?;
                db.exec(
                    "INSERT INTO county_calendars (year, file_json, imported_at_ms) VALUES ($1, $2, $3)
                     ON CONFLICT (year) DO UPDATE SET file_json = excluded.file_json, imported_at_ms = excluded.imported_at_ms",
                    &[&i64::from(year), &value.to_string(), &now_ms],
                )?;
                feed_county_config(db, now_ms)?;
                Ok(year)
            })
        })?;
        self.publish_head()?;
        Ok(year)
    }

    fn import_org(&self, nodes: &[PlacedNode], households: &[PlacedHousehold]) -> Result<()> {
        self.run(|c| {
            in_tx(c, |db| {
                for PlacedNode { node: n, path } in nodes {
                    let boundary = if n.boundary.is_empty() { None } else { Some(serde_json::to_string(&n.boundary)?) };
                    db.exec(
                        "INSERT INTO org_nodes (id, parent_id, level, name, code, path, boundary) VALUES ($1, $2, $3, $4, $5, $6, $7)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, code = excluded.code, boundary = excluded.boundary",
                        &[&n.id, &n.parent_id, &enum_str(&n.level), &n.name.trim(), &n.code, path, &boundary],
                    )?;
                }
                for PlacedHousehold { household: h, path } in households {
                    db.exec(
                        "INSERT INTO households (id, group_id, path, head_name, members, phone, id_number, address, lat, lon, tags, risk_level, county_contact)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                         ON CONFLICT (id) DO UPDATE SET group_id = excluded.group_id, path = excluded.path, head_name = excluded.head_name,
                           members = excluded.members, phone = excluded.phone, id_number = excluded.id_number, address = excluded.address,
                           lat = excluded.lat, lon = excluded.lon, tags = excluded.tags, risk_level = excluded.risk_level,
                           county_contact = excluded.county_contact",
                        &[
                            &h.id,
                            &h.group_id,
                            path,
                            &h.head_name.trim(),
                            &i64::from(h.members),
                            &h.phone,
                            &h.id_number,
                            &h.address.trim(),
                            &h.lat,
                            &h.lon,
                            &serde_json::to_string(&h.tags)?,
                            &enum_str(&h.risk_level),
                            &h.county_contact,
                        ],
                    )?;
                }
                Ok(())
            })
        })
    }

    fn apply_ops(&self, user: &UserInfo, ops: &[Operation], now_ms: i64) -> Result<Vec<OpOutcome>> {
        let outcomes = self.run(|c| {
            let mut attempt = 0;
            loop {
                // Without savepoints first (the rules decide every refusal before their first write); should
                // a refused op have written, the batch is judged again with a savepoint around each op.
                let r = match ledger::apply_batch(c, user, ops, now_ms, false) {
                    Ok(Some(outcomes)) => Ok(outcomes),
                    Ok(None) => ledger::apply_batch(c, user, ops, now_ms, true).map(Option::unwrap_or_default),
                    Err(e) => Err(e),
                };
                match r {
                    Err(e) if retryable(&e) && attempt < 5 => attempt += 1,
                    r => return r,
                }
            }
        })?;
        if outcomes.iter().any(|o| matches!(o, OpOutcome::Applied)) {
            self.publish_head()?;
        }
        Ok(outcomes)
    }

    fn sweep_overdue(&self, now_ms: i64, rules: &linkage_protocol::rules::sla::SlaRules) -> Result<u32> {
        const PAGE: i64 = 500;
        let marked = self.run(|c| {
            // One sweeping server at a time: the others skip this round.
            let got: bool = db(c).one("SELECT pg_try_advisory_lock($1, $2)", &[&LOCK_CLASS, &LOCK_SWEEP])?.get(0);
            if !got {
                return Ok(0);
            }
            let swept = (|| {
                let mut marked = 0u32;
                let mut after = String::new();
                loop {
                    let (n, page_len, last) = ledger::sweep_page(c, &after, PAGE, now_ms, rules)?;
                    marked += n;
                    let Some(last) = last else { break };
                    if page_len < PAGE {
                        break;
                    }
                    after = last;
                }
                Ok(marked)
            })();
            db(c).exec("SELECT pg_advisory_unlock($1, $2)", &[&LOCK_CLASS, &LOCK_SWEEP])?;
            swept
        })?;
        self.publish_head()?;
        Ok(marked)
    }

    fn feed_head(&self) -> tokio::sync::watch::Receiver<i64> {
        self.feed.subscribe()
    }

    fn refresh_feed_head(&self) -> Result<i64> {
        self.publish_head_after(feed::Nudge::Remote)
    }

    fn changes(&self, scope_path: &str, after: i64, limit: u32) -> Result<(Vec<Change>, bool)> {
        self.run(|c| feed::changes(c, scope_path, after, limit))
    }

    fn bundle(&self, node_path: &str) -> Result<Bundle> {
        self.run(|c| {
            in_tx(c, |db| {
                let upper = scope::upper_bound(node_path);
                let ancestors = scope::ancestor_paths(node_path);
                let mut nodes = Vec::new();
                let node_rows = [
                    db.q(
                        "SELECT id, parent_id, level, name, code, boundary FROM org_nodes WHERE path = ANY($1)
                         ORDER BY length(path) - length(replace(path, '/', '')), path",
                        &[&ancestors],
                    )?,
                    db.q(
                        "SELECT id, parent_id, level, name, code, boundary FROM org_nodes WHERE path >= $1 AND path < $2
                         ORDER BY length(path) - length(replace(path, '/', '')), path",
                        &[&node_path, &upper],
                    )?,
                ];
                for r in node_rows.iter().flatten() {
                    let boundary: Option<String> = r.get(5);
                    nodes.push(BundleNode {
                        id: r.get(0),
                        parent_id: r.get(1),
                        level: parse_enum(r.get::<_, &str>(2))?,
                        name: r.get(3),
                        code: r.get(4),
                        boundary: boundary.map(|b| serde_json::from_str(&b)).transpose()?.unwrap_or_default(),
                    });
                }
                let mut households = Vec::new();
                for r in db.q(
                    "SELECT id, group_id, head_name, members, phone, id_number, address, lat, lon, tags, risk_level, county_contact
                     FROM households WHERE path >= $1 AND path < $2 ORDER BY path",
                    &[&node_path, &upper],
                )? {
                    households.push(BundleHousehold {
                        id: r.get(0),
                        group_id: r.get(1),
                        head_name: r.get(2),
                        members: u32::try_from(r.get::<_, i64>(3)).unwrap_or(0),
                        phone: r.get(4),
                        id_number: r.get(5),
                        address: r.get(6),
                        lat: r.get(7),
                        lon: r.get(8),
                        tags: serde_json::from_str(r.get::<_, &str>(9))?,
                        risk_level: parse_enum(r.get::<_, &str>(10))?,
                        county_contact: r.get(11),
                    });
                }
                let mut users = Vec::new();
                for r in db.q(
                    "SELECT u.id, u.name, u.role, u.node_id, n.path, n.level, u.password_hash
                     FROM users u JOIN org_nodes n ON n.id = u.node_id WHERE n.path >= $1 AND n.path < $2 ORDER BY u.id",
                    &[&node_path, &upper],
                )? {
                    let (u, _) = map_user(&r)?;
                    users.push(BundleUser { id: u.id, name: u.name, role: u.role, node_id: u.node_id });
                }
                let config = Some(read_county_config(db)?);
                Ok(Bundle { nodes, households, users, config })
            })
        })
    }

    fn blob_state(&self, hash: &str) -> Result<BlobState> {
        let (done, part) = self.blob_paths(hash);
        if let Ok(m) = fs::metadata(&done) {
            return Ok(BlobState::Complete(m.len()));
        }
        Ok(match fs::metadata(&part) {
            Ok(m) => BlobState::Partial(m.len()),
            Err(_) => BlobState::Absent,
        })
    }

    fn blob_write(&self, hash: &str, offset: u64, bytes: &[u8], last: bool, up: Uploader<'_>, limits: &BlobLimits) -> Result<BlobWrite> {
        let (done, part) = self.blob_paths(hash);
        self.run(|c| {
            // Uploads of one hash (from any server) one at a time; collection waits for uploads in progress.
            db(c).exec("SELECT pg_advisory_lock_shared($1, $2)", &[&LOCK_CLASS, &LOCK_BLOB_GC])?;
            db(c).exec("SELECT pg_advisory_lock(hashtextextended($1, 3))", &[&hash])?;
            let r = (|| -> Result<BlobWrite> {
                let mut db = db(c);
                if let Ok(m) = fs::metadata(&done) {
                    return Ok(BlobWrite::Complete(m.len()));
                }
                let received = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
                if offset > received {
                    return Ok(BlobWrite::OffsetMismatch(received));
                }
                let end = offset + bytes.len() as u64;
                if end > limits.max_size {
                    let _ = fs::remove_file(&part);
                    db.exec("DELETE FROM blobs WHERE hash = $1 AND NOT complete", &[&hash])?;
                    return Ok(BlobWrite::TooLarge);
                }
                if !last {
                    let r = db.one(
                        "SELECT count(*), coalesce(sum(received_bytes), 0)::bigint FROM blobs
                         WHERE NOT complete AND uploader_device = $1 AND hash != $2",
                        &[&up.device_id, &hash],
                    )?;
                    let (count, held): (i64, i64) = (r.get(0), r.get(1));
                    if count as u64 >= u64::from(limits.partials_per_device) || held as u64 + end > limits.partial_bytes_per_device {
                        return Ok(BlobWrite::TooManyUnfinished);
                    }
                }
                let mut file = fs::OpenOptions::new().create(true).truncate(false).read(true).write(true).open(&part)?;
                file.set_len(offset)?;
                file.seek(SeekFrom::Start(offset))?;
                file.write_all(bytes)?;
                file.sync_all()?;
                drop(file);
                let end_i = end as i64;
                if !last {
                    db.exec(
                        "INSERT INTO blobs (hash, received_bytes, complete, uploader_user, uploader_device, started_at_ms, updated_at_ms)
                         VALUES ($1, $2, false, $3, $4, $5, $5)
                         ON CONFLICT (hash) DO UPDATE SET received_bytes = excluded.received_bytes,
                             uploader_user = excluded.uploader_user, uploader_device = excluded.uploader_device,
                             started_at_ms = coalesce(blobs.started_at_ms, excluded.started_at_ms), updated_at_ms = excluded.updated_at_ms",
                        &[&hash, &end_i, &up.user_id, &up.device_id, &up.now_ms],
                    )?;
                    return Ok(BlobWrite::Partial(end));
                }
                let content = fs::read(&part)?;
                if sha256_hex(&content) != hash {
                    fs::remove_file(&part)?;
                    db.exec("DELETE FROM blobs WHERE hash = $1", &[&hash])?;
                    return Ok(BlobWrite::HashMismatch);
                }
                fs::rename(&part, &done)?;
                db.exec(
                    "INSERT INTO blobs (hash, size, received_bytes, complete, uploader_user, uploader_device, started_at_ms, updated_at_ms)
                     VALUES ($1, $2, $2, true, $3, $4, $5, $5)
                     ON CONFLICT (hash) DO UPDATE SET size = excluded.size, received_bytes = excluded.received_bytes, complete = true,
                         uploader_user = excluded.uploader_user, uploader_device = excluded.uploader_device,
                         started_at_ms = coalesce(blobs.started_at_ms, excluded.started_at_ms), updated_at_ms = excluded.updated_at_ms",
                    &[&hash, &end_i, &up.user_id, &up.device_id, &up.now_ms],
                )?;
                Ok(BlobWrite::Complete(end))
            })();
            db(c).exec("SELECT pg_advisory_unlock(hashtextextended($1, 3))", &[&hash])?;
            db(c).exec("SELECT pg_advisory_unlock_shared($1, $2)", &[&LOCK_CLASS, &LOCK_BLOB_GC])?;
            r
        })
    }

    fn blob_cited_by(&self, hash: &str, user_id: &str) -> Result<bool> {
        self.run(|c| {
            Ok(db(c).one("SELECT EXISTS (SELECT 1 FROM blob_citations WHERE hash = $1 AND user_id = $2)", &[&hash, &user_id])?.get(0))
        })
    }

    fn blob_gc(&self, now_ms: i64, policy: &BlobGcPolicy) -> Result<BlobGc> {
        self.run(|c| {
            db(c).exec("SELECT pg_advisory_lock($1, $2)", &[&LOCK_CLASS, &LOCK_BLOB_GC])?;
            let r = self.collect(c, now_ms, policy);
            db(c).exec("SELECT pg_advisory_unlock($1, $2)", &[&LOCK_CLASS, &LOCK_BLOB_GC])?;
            r
        })
    }

    fn blob_read(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        match fs::read(self.blob_paths(hash).0) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn blob_referenced_within(&self, hash: &str, scope_path: &str) -> Result<bool> {
        let upper = scope::upper_bound(scope_path);
        self.run(|c| {
            Ok(db(c)
                .one(
                    "SELECT EXISTS (SELECT 1 FROM evidence_refs WHERE hash = $1
                         AND ((path >= $2 AND path < $3) OR (broadcast AND left($2, length(path)) = path)))",
                    &[&hash, &scope_path, &upper],
                )?
                .get(0))
        })
    }

    fn counts(&self) -> Result<Counts> {
        self.run(|c| {
            let r = db(c).one(
                "SELECT (SELECT count(*) FROM org_nodes), (SELECT count(*) FROM households), (SELECT count(*) FROM users),
                        (SELECT count(*) FROM issues), (SELECT count(*) FROM issue_events), (SELECT count(*) FROM visits),
                        (SELECT count(*) FROM directives), (SELECT count(*) FROM changes WHERE op_json != '')",
                &[],
            )?;
            let n = |i: usize| r.get::<_, i64>(i) as u64;
            Ok(Counts {
                nodes: n(0),
                households: n(1),
                users: n(2),
                issues: n(3),
                issue_events: n(4),
                visits: n(5),
                directives: n(6),
                changes: n(7),
            })
        })
    }

    fn publish_form(&self, def: &linkage_protocol::forms::FormDef, now_ms: i64) -> Result<String> {
        let path = self.run(|c| {
            in_tx(c, |db| {
                db.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 5))", &[&def.form_id])?;
                let target = match &def.target.node_id {
                    Some(id) => db.opt("SELECT path FROM org_nodes WHERE id = $1", &[id])?,
                    None => db.opt("SELECT path FROM org_nodes WHERE level = 'county' ORDER BY path LIMIT 1", &[])?,
                };
                let Some(target) = target else {
                    return Err(Error::Invalid(match &def.target.node_id {
                        Some(id) => format!("组织节点「{id}」不存在 / unknown node"),
                        None => "还没有县级组织节点：请先导入组织架构（import --nodes） / import the org tree first".into(),
                    }));
                };
                let target_path: String = target.get(0);
                let newest: Option<i64> = db.one("SELECT max(version) FROM forms WHERE form_id = $1", &[&def.form_id])?.get(0);
                if let Some(v) = newest.filter(|&v| v >= i64::from(def.version)) {
                    return Err(Error::Invalid(format!(
                        "问卷「{}」已有第 {v} 版：新版本号须大于 {v}（在 settings 表的 version 列填写）/ version must be above {v}",
                        def.form_id
                    )));
                }
                db.exec(
                    "INSERT INTO forms (form_id, version, title, def_json, target_path, published_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&def.form_id, &i64::from(def.version), &def.title.zh, &serde_json::to_string(def)?, &target_path, &now_ms],
                )?;
                let body = linkage_protocol::wire::OpBody::FormPublished(linkage_protocol::wire::FormPublication { form: def.clone(), published_at_ms: now_ms });
                feed_system_op(db, body, &target_path, now_ms)?;
                Ok(target_path)
            })
        })?;
        self.publish_head()?;
        Ok(path)
    }

    fn retire_form(&self, form_id: &str, version: u32, now_ms: i64) -> Result<bool> {
        let done = self.run(|c| {
            in_tx(c, |db| {
                let v = i64::from(version);
                let target = db.opt(
                    "SELECT target_path FROM forms WHERE form_id = $1 AND version = $2 AND retired_at_ms IS NULL FOR UPDATE",
                    &[&form_id, &v],
                )?;
                let Some(target) = target else { return Ok(false) };
                let path: String = target.get(0);
                db.exec("UPDATE forms SET retired_at_ms = $3 WHERE form_id = $1 AND version = $2", &[&form_id, &v, &now_ms])?;
                let body = linkage_protocol::wire::OpBody::FormRetired(linkage_protocol::wire::FormRetirement {
                    form_id: form_id.to_string(),
                    version,
                    retired_at_ms: now_ms,
                });
                feed_system_op(db, body, &path, now_ms)?;
                Ok(true)
            })
        })?;
        if done {
            self.publish_head()?;
        }
        Ok(done)
    }

    fn forms(&self) -> Result<Vec<crate::storage::FormRow>> {
        self.run(|c| {
            let rows = db(c).q(
                "SELECT f.form_id, f.version, f.title, f.target_path, f.published_at_ms, f.retired_at_ms,
                        (SELECT count(*) FROM form_responses r WHERE r.form_id = f.form_id AND r.form_version = f.version)
                 FROM forms f ORDER BY f.form_id, f.version",
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|r| crate::storage::FormRow {
                    form_id: r.get(0),
                    version: u32::try_from(r.get::<_, i64>(1)).unwrap_or(0),
                    title: r.get(2),
                    target_path: r.get(3),
                    published_at_ms: r.get(4),
                    retired_at_ms: r.get(5),
                    responses: r.get::<_, i64>(6) as u64,
                })
                .collect())
        })
    }

    fn users_with_role(&self, role: Role, limit: u32) -> Result<Vec<UserInfo>> {
        self.run(|c| {
            let rows = db(c).q(
                "SELECT u.id, u.name, u.role, u.node_id, n.path, n.level, u.password_hash
                 FROM users u JOIN org_nodes n ON n.id = u.node_id WHERE u.role = $1 ORDER BY u.id LIMIT $2",
                &[&enum_str(&role), &i64::from(limit)],
            )?;
            rows.iter().map(|r| Ok(map_user(r)?.0)).collect()
        })
    }

    fn read_snapshot(&self, f: &mut (dyn FnMut(&crate::readtx::ReadTx<'_>) -> Result<()> + Send)) -> Result<()> {
        self.run(|conn| {
            let Conn { client, reads, .. } = conn;
            // One snapshot for every statement; the server refuses any write in it.
            let tx = client.build_transaction().isolation_level(postgres::IsolationLevel::RepeatableRead).read_only(true).start()?;
            let read = crate::readtx::ReadTx::postgres(tx, reads);
            f(&read)?;
            read.finish()
        })
    }
}

impl PgStorage {
    /// Blob collection (under the exclusive collection lock).
    fn collect(&self, c: &mut Conn, now_ms: i64, policy: &BlobGcPolicy) -> Result<BlobGc> {
        let mut out = BlobGc::default();
        let remove = |path: &Path| -> Result<u64> {
            match fs::metadata(path) {
                Ok(m) => {
                    fs::remove_file(path)?;
                    Ok(m.len())
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
                Err(e) => Err(e.into()),
            }
        };
        let mut db = db(c);
        let before = now_ms - policy.partial_ttl_ms;
        for r in db.q("SELECT hash FROM blobs WHERE NOT complete AND coalesce(updated_at_ms, 0) < $1", &[&before])? {
            let hash: String = r.get(0);
            out.bytes_freed += remove(&self.blob_paths(&hash).1)?;
            db.exec("DELETE FROM blobs WHERE hash = $1 AND NOT complete", &[&hash])?;
            out.partials_expired += 1;
        }
        let before = now_ms - policy.unreferenced_grace_ms;
        for r in db.q(
            "SELECT hash FROM blobs b WHERE complete AND coalesce(updated_at_ms, 0) < $1
             AND NOT EXISTS (SELECT 1 FROM evidence_refs r WHERE r.hash = b.hash)",
            &[&before],
        )? {
            let hash: String = r.get(0);
            out.bytes_freed += remove(&self.blob_paths(&hash).0)?;
            db.exec("DELETE FROM blobs WHERE hash = $1", &[&hash])?;
            out.unreferenced_removed += 1;
        }
        for entry in fs::read_dir(&self.blob_dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let (hash, partial) = match name.strip_suffix(".part") {
                Some(h) => (h.to_string(), true),
                None => (name.clone(), false),
            };
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                continue;
            }
            let meta = entry.metadata()?;
            let modified_ms = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_millis() as i64);
            let stray = if partial {
                modified_ms < now_ms - policy.partial_ttl_ms
                    && !db.one("SELECT EXISTS (SELECT 1 FROM blobs WHERE hash = $1 AND NOT complete)", &[&hash])?.get::<_, bool>(0)
            } else {
                modified_ms < now_ms - policy.unreferenced_grace_ms
                    && !db.one("SELECT EXISTS (SELECT 1 FROM blobs WHERE hash = $1)", &[&hash])?.get::<_, bool>(0)
                    && !db.one("SELECT EXISTS (SELECT 1 FROM evidence_refs WHERE hash = $1)", &[&hash])?.get::<_, bool>(0)
            };
            if stray {
                out.bytes_freed += remove(&entry.path())?;
                out.stray_files_removed += 1;
            }
        }
        Ok(out)
    }
}
