//! The embedded default backend (DESIGN §9: one county fits on one machine): one SQLite file in the data
//! directory (WAL, synchronous=FULL), one connection behind a mutex that writers and readers share, schema
//! migrations by `PRAGMA user_version` from `server/sql/*.sql`, and evidence blobs as files under
//! `<data-dir>/blobs/` named by their SHA-256 (`<hash>.part` while an upload is incomplete).

use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use linkage_protocol::model::{OrgLevel, Role};
use linkage_protocol::rules::lifecycle::IssueProjection;
use linkage_protocol::rules::scope;
use linkage_protocol::sync::{Change, OpOutcome, RejectCode};
use linkage_protocol::rules::directive::TaskReportStatus;
use linkage_protocol::wire::{CountyConfig, DirectiveReminder, HouseholdField, TaskReport, TaskReview, 
    Bundle, BundleHousehold, BundleNode, BundleUser, Directive, HouseholdAck, IssueAction, IssueEvent, NodeAck,
    NodeRelay, Operation, Visit,
};
use rusqlite::{params, CachedStatement, Connection, OptionalExtension, TransactionBehavior};
use serde::de::DeserializeOwned;

use crate::apply::{self, HouseholdInfo, Ledger, NodeInfo, UserInfo, VisitInfo};
use crate::error::{Error, Result};
use crate::audit;
use crate::storage::{
    Account, BlobGc, BlobGcPolicy, BlobLimits, BlobState, BlobWrite, Counts, Uploader, DeviceRow, Enrolment, NewEnrolment, NewUser, PlacedHousehold, PlacedNode, Storage,
    TokenRecord,
};

/// Schema migrations, one per version; index + 1 is the version it brings the database to.
const MIGRATIONS: &[&str] = &[
    include_str!("../sql/001_initial.sql"),
    include_str!("../sql/002_household_clocks_and_task_reports.sql"),
    include_str!("../sql/003_county_settings.sql"),
    include_str!("../sql/004_issue_measure_columns.sql"),
    include_str!("../sql/005_accounts_devices_audit.sql"),
    include_str!("../sql/006_household_point_moves.sql"),
    include_str!("../sql/007_blob_uploads_and_citations.sql"),
    include_str!("../sql/008_directive_reminders_and_reviews.sql"),
    include_str!("../sql/009_receipt_times_of_acks_and_reports.sql"),
    include_str!("../sql/010_forms.sql"),
    include_str!("../sql/011_issue_events_received_index.sql"),
];

/// `issues.clock`: the time-limit clock's inputs of a projection (挂起 intervals, approved 延期).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ClockInputs {
    #[serde(default)]
    pub suspensions: Vec<linkage_protocol::rules::sla::Suspension>,
    #[serde(default)]
    pub extensions_days: Vec<u32>,
}

/// The `clock` column of a projection.
pub(crate) fn clock_json(p: &IssueProjection) -> Result<String> {
    Ok(serde_json::to_string(&ClockInputs { suspensions: p.suspensions.clone(), extensions_days: p.extensions_days.clone() })?)
}

/// Schema version 4 added the measure columns of `issues`: fills them for issues stored before (their events
/// folded in receipt order, as the op rules fold them), in one transaction.
fn backfill_measure_columns(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let ids: Vec<String> =
        tx.prepare("SELECT id FROM issues WHERE clock IS NULL")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    if ids.is_empty() {
        return Ok(());
    }
    {
        let mut ledger = SqlLedger::new(&tx);
        let mut events = tx.prepare("SELECT body FROM issue_events WHERE issue_id = ?1 ORDER BY rowid")?;
        for id in &ids {
            let Some(p) = ledger.issue(id)? else { continue };
            let mut escalated: Option<i64> = None;
            let mut verifications = Vec::new();
            for body in events.query_map([id], |r| r.get::<_, String>(0))? {
                let e: IssueEvent = serde_json::from_str(&body?)?;
                match &e.action {
                    IssueAction::Escalate { .. } => escalated = Some(escalated.map_or(e.at_ms, |t| t.min(e.at_ms))),
                    IssueAction::Verify { satisfaction, .. } => verifications.push((e.at_ms, enum_str(satisfaction))),
                    _ => {}
                }
            }
            tx.execute(
                "UPDATE issues SET accepted_at_ms = ?2, resolved_at_ms = ?3, clock = ?4, escalated_at_ms = ?5, verifications = ?6 WHERE id = ?1",
                params![id, p.accepted_at_ms, p.resolved_at_ms, clock_json(&p)?, escalated, serde_json::to_string(&verifications)?],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The SQLite storage in a data directory.
#[derive(Debug)]
pub struct SqliteStorage {
    conn: Mutex<Connection>,
    /// The database file (read-only connections for the snapshots of `Storage::read_snapshot`).
    db_path: PathBuf,
    blob_dir: PathBuf,
    /// Serializes blob file writes (uploads of the same hash from two devices).
    blob_lock: Mutex<()>,
    /// The change feed's head, published after each commit that adds to the feed ([`Storage::feed_head`]).
    feed: tokio::sync::watch::Sender<i64>,
}

/// The unit enum's snake_case name (its serde name), as stored in SQL.
pub use linkage_protocol::wire::unit_name as enum_str;

/// Parses a unit enum from its SQL form.
pub fn parse_enum<T: DeserializeOwned>(s: &str) -> Result<T> {
    linkage_protocol::wire::from_unit_name(s).ok_or_else(|| Error::Corrupt(format!("unknown value '{s}'")))
}

pub use linkage_protocol::digest::sha256_hex;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SqliteStorage {
    /// Opens (creating and migrating) the database in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<SqliteStorage> {
        fs::create_dir_all(data_dir)?;
        let blob_dir = data_dir.join("blobs");
        fs::create_dir_all(&blob_dir)?;
        let db_path = data_dir.join("linkage.db");
        let mut conn = Connection::open(&db_path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // 8 KiB pages for a new database (an existing one keeps its size): the feed is append-mostly rows of
        // ~1 KB, so fewer, larger WAL frames per pushed batch (measured ~4% faster pushes than 4 KiB).
        conn.pragma_update(None, "page_size", 8192)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Each pushed op runs in a savepoint: keep its statement journal in memory, not in a temp file.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Every statement of the op rules stays prepared (rusqlite keeps 16 by default; the rules use more).
        conn.set_prepared_statement_cache_capacity(128);
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
        if version > MIGRATIONS.len() {
            return Err(Error::Corrupt(format!("database schema {version} is newer than this server ({})", MIGRATIONS.len())));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        backfill_measure_columns(&mut conn)?;
        let head = feed_head_of(&conn)?;
        Ok(SqliteStorage { conn: Mutex::new(conn), db_path, blob_dir, blob_lock: Mutex::new(()), feed: tokio::sync::watch::Sender::new(head) })
    }

    /// Publishes the feed's head read on `conn` (after a commit) if it moved forward; waiters wake.
    fn publish_head(&self, conn: &Connection) -> Result<i64> {
        let head = feed_head_of(conn)?;
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
}

/// The highest sequence number of the change feed (0 when empty): one step down the primary key.
fn feed_head_of(conn: &Connection) -> Result<i64> {
    Ok(conn.prepare_cached("SELECT coalesce(max(seq), 0) FROM changes")?.query_row([], |r| r.get(0))?)
}

const AUDIT_SELECT: &str = "SELECT seq, at_ms, actor, action, subject, address, detail, prev_hash, hash FROM audit_log";

fn map_audit(r: &rusqlite::Row<'_>) -> rusqlite::Result<audit::Row> {
    Ok(audit::Row {
        seq: r.get(0)?,
        at_ms: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        subject: r.get(4)?,
        address: r.get(5)?,
        detail: r.get(6)?,
        prev_hash: r.get(7)?,
        hash: r.get(8)?,
    })
}

fn audit_anchor(conn: &Connection) -> Result<Option<(i64, String)>> {
    Ok(conn.query_row("SELECT seq, hash FROM audit_anchor WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
}

/// Appends one audit row in `tx`, chained to the newest row (or the prune anchor, or the genesis hash).
fn append_audit(tx: &Connection, e: &audit::Event, now_ms: i64) -> Result<()> {
    let last: Option<(i64, String)> =
        tx.prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    let (prev_seq, prev_hash) = match last {
        Some(l) => l,
        None => audit_anchor(tx)?.unwrap_or((0, audit::GENESIS.to_string())),
    };
    let seq = prev_seq + 1;
    let detail = e.detail.to_string();
    let action = e.action.as_str();
    let hash = audit::row_hash(&prev_hash, seq, now_ms, &e.actor, action, &e.subject, &e.address, &detail);
    tx.prepare_cached(
        "INSERT INTO audit_log (seq, at_ms, actor, action, subject, address, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![seq, now_ms, e.actor, action, e.subject, e.address, detail, prev_hash, hash])?;
    Ok(())
}

/// Compares two byte strings in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const USER_SELECT: &str = "SELECT u.id, u.name, u.role, u.node_id, n.path, n.level, u.password_hash
    FROM users u JOIN org_nodes n ON n.id = u.node_id";

fn map_user(r: &rusqlite::Row<'_>) -> rusqlite::Result<(UserInfo, String, String, String)> {
    Ok((
        UserInfo {
            id: r.get(0)?,
            name: r.get(1)?,
            role: Role::CountyStaff,
            node_id: r.get(3)?,
            node_path: r.get(4)?,
            node_level: OrgLevel::County,
        },
        r.get(2)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn finish_user(raw: (UserInfo, String, String, String)) -> Result<(UserInfo, String)> {
    let (mut u, role, level, hash) = raw;
    u.role = parse_enum(&role)?;
    u.node_level = parse_enum(&level)?;
    Ok((u, hash))
}

fn query_user(conn: &Connection, id: &str) -> Result<Option<(UserInfo, String)>> {
    conn.query_row(&format!("{USER_SELECT} WHERE u.id = ?1"), [id], map_user).optional()?.map(finish_user).transpose()
}

fn query_node(conn: &Connection, id: &str) -> Result<Option<NodeInfo>> {
    conn.prepare_cached("SELECT id, parent_id, level, name, path FROM org_nodes WHERE id = ?1")?.query_row([id], |r| {
        Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
    })
    .optional()?
    .map(|(id, parent_id, level, name, path)| Ok(NodeInfo { id, parent_id, level: parse_enum(&level)?, name, path }))
    .transpose()
}

/// The op rules' view of one SQLite transaction. Households are looked up once per batch (a phone's batch
/// keeps coming back to the same few); an edit of a household drops it from the cache.
/// The statements every pushed op runs are held for the whole batch (not looked up in rusqlite's cache per op).
struct SqlLedger<'a> {
    tx: &'a Connection,
    /// The county's on-site policy, read once per transaction.
    on_site: Option<linkage_protocol::rules::geo::OnSitePolicy>,
    households: std::collections::HashMap<String, Option<HouseholdInfo>>,
    /// Each household's point moves, read once per batch (every visit is graded against them); a move of the
    /// household's point drops its entry.
    point_moves: std::collections::HashMap<String, Vec<linkage_protocol::rules::point_moves::PointMove>>,
    /// The batch's ops already in the feed before the batch began (op id → body hash and feed copy), read in
    /// one query ([`SqlLedger::prefetch_seen`]) instead of one lookup per op.
    seen_before: Option<std::collections::HashMap<String, (String, String)>>,
    /// Op ids met earlier in this batch: a repeat is looked up in the table (the earlier one may be stored).
    batch_ids: std::collections::HashSet<String>,
    seen_op: Option<CachedStatement<'a>>,
    insert_change: Option<CachedStatement<'a>>,
    insert_visit: Option<CachedStatement<'a>>,
    /// The user whose ops are applied, and when: evidence the ops cite is recorded as theirs (`blob_citations`,
    /// who may upload it). `None` outside a push (the sweep, backfills).
    citer: Option<(String, i64)>,
}

/// The statement in `slot`, prepared (through the connection's cache) on first use.
fn held<'s, 'a>(slot: &'s mut Option<CachedStatement<'a>>, tx: &'a Connection, sql: &str) -> Result<&'s mut CachedStatement<'a>> {
    if slot.is_none() {
        *slot = Some(tx.prepare_cached(sql)?);
    }
    Ok(slot.as_mut().expect("just prepared"))
}

impl<'a> SqlLedger<'a> {
    fn new(tx: &'a Connection) -> SqlLedger<'a> {
        SqlLedger {
            tx,
            on_site: None,
            households: std::collections::HashMap::new(),
            point_moves: std::collections::HashMap::new(),
            seen_before: None,
            batch_ids: std::collections::HashSet::new(),
            seen_op: None,
            insert_change: None,
            insert_visit: None,
            citer: None,
        }
    }

    /// Reads which of `ops` the feed already holds, in one statement (the idempotency check of a batch).
    fn prefetch_seen(&mut self, ops: &[Operation]) -> Result<()> {
        let ids = serde_json::to_string(&ops.iter().map(|op| op.op_id.as_str()).collect::<Vec<_>>())?;
        let mut stmt = self
            .tx
            .prepare_cached("SELECT op_id, body_sha256, op_json FROM changes WHERE op_id IN (SELECT value FROM json_each(?1))")?;
        let found = stmt
            .query_map([ids], |r| Ok((r.get::<_, String>(0)?, (r.get::<_, String>(1)?, r.get::<_, String>(2)?))))?
            .collect::<rusqlite::Result<std::collections::HashMap<_, _>>>()?;
        self.seen_before = Some(found);
        self.batch_ids.clear();
        Ok(())
    }

    /// The stored body hash and feed copy of `op_id`, if the feed holds it.
    fn seen(&mut self, op_id: &str) -> Result<Option<(String, String)>> {
        let first_in_batch = self.batch_ids.insert(op_id.to_string());
        if let (true, Some(before)) = (first_in_batch, self.seen_before.as_mut()) {
            return Ok(before.remove(op_id));
        }
        Ok(held(&mut self.seen_op, self.tx, "SELECT body_sha256, op_json FROM changes WHERE op_id = ?1")?
            .query_row([op_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn household_uncached(&self, id: &str) -> Result<Option<HouseholdInfo>> {
        Ok(self
            .tx.prepare_cached("SELECT id, group_id, path, lat, lon FROM households WHERE id = ?1")?.query_row([id], |r| {
                Ok(HouseholdInfo {
                    id: r.get(0)?,
                    group_id: r.get(1)?,
                    path: r.get(2)?,
                    point: r.get::<_, Option<f64>>(3)?.zip(r.get::<_, Option<f64>>(4)?),
                })
            })
            .optional()?)
    }
}

impl Ledger for SqlLedger<'_> {
    fn node(&mut self, id: &str) -> Result<Option<NodeInfo>> {
        query_node(self.tx, id)
    }

    fn privacy_policy(&mut self) -> Result<linkage_protocol::rules::privacy::PrivacyPolicy> {
        let config = read_county_config(self.tx)?;
        Ok(linkage_protocol::rules::county::CountyRules::from_config(&config).privacy)
    }

    fn on_site_policy(&mut self) -> Result<linkage_protocol::rules::geo::OnSitePolicy> {
        if self.on_site.is_none() {
            self.on_site = Some(read_county_config(self.tx)?.on_site);
        }
        Ok(self.on_site.expect("just read"))
    }

    fn user(&mut self, id: &str) -> Result<Option<UserInfo>> {
        Ok(query_user(self.tx, id)?.map(|(u, _)| u))
    }

    fn household(&mut self, id: &str) -> Result<Option<HouseholdInfo>> {
        if let Some(known) = self.households.get(id) {
            return Ok(known.clone());
        }
        let found = self.household_uncached(id)?;
        self.households.insert(id.to_string(), found.clone());
        Ok(found)
    }

    fn issue(&mut self, id: &str) -> Result<Option<IssueProjection>> {
        let mut stmt = self.tx.prepare_cached("SELECT body FROM issue_events WHERE issue_id = ?1 ORDER BY rowid")?;
        let bodies = stmt.query_map([id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut projection: Option<IssueProjection> = None;
        for body in bodies {
            let event: IssueEvent = serde_json::from_str(&body)?;
            match (&mut projection, &event.action) {
                (None, IssueAction::Report(report)) => projection = Some(IssueProjection::from_report(&event, report)),
                (Some(p), _) => p.apply(&event).map_err(|e| Error::Corrupt(format!("issue {id}: stored event no longer folds: {e}")))?,
                (None, _) => return Err(Error::Corrupt(format!("issue {id} does not start with its report"))),
            }
        }
        Ok(projection)
    }

    fn event_exists(&mut self, event_id: &str) -> Result<bool> {
        Ok(self.tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM issue_events WHERE event_id = ?1)")?.query_row([event_id], |r| r.get(0))?)
    }

    fn visit(&mut self, id: &str) -> Result<Option<VisitInfo>> {
        Ok(self
            .tx.prepare_cached("SELECT household_id, visitor_id FROM visits WHERE id = ?1")?.query_row([id], |r| {
                Ok(VisitInfo { household_id: r.get(0)?, visitor_id: r.get(1)? })
            })
            .optional()?)
    }

    fn directive_target(&mut self, id: &str) -> Result<Option<(String, String)>> {
        Ok(self
            .tx
            .prepare_cached("SELECT target_path, issuer_node_id FROM directives WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn node_ack_at(&mut self, directive_id: &str, node_id: &str) -> Result<Option<i64>> {
        Ok(self
            .tx
            .prepare_cached("SELECT acked_at_ms FROM directive_acks WHERE directive_id = ?1 AND node_id = ?2")?
            .query_row([directive_id, node_id], |r| r.get(0))
            .optional()?)
    }

    fn directive_issued_at(&mut self, id: &str) -> Result<Option<i64>> {
        Ok(self.tx.prepare_cached("SELECT issued_at_ms FROM directives WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?)
    }

    fn node_ack(&mut self, directive_id: &str, node_id: &str) -> Result<Option<bool>> {
        Ok(self
            .tx.prepare_cached("SELECT relayed_at_ms IS NOT NULL FROM directive_acks WHERE directive_id = ?1 AND node_id = ?2")?.query_row([directive_id, node_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn household_acked(&mut self, directive_id: &str, household_id: &str) -> Result<bool> {
        Ok(self.tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM directive_household_acks WHERE directive_id = ?1 AND household_id = ?2)")?.query_row([directive_id, household_id],
            |r| r.get(0),
        )?)
    }

    fn put_issue_event(&mut self, event: &IssueEvent, p: &IssueProjection, received_at_ms: i64) -> Result<()> {
        self.tx.prepare_cached("INSERT INTO issue_events (event_id, issue_id, hlc, at_ms, actor_id, action, body, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?.execute(params![
                event.event_id,
                event.issue_id,
                event.hlc,
                event.at_ms,
                event.actor_id,
                enum_str(&event.action.kind()),
                serde_json::to_string(event)?,
                received_at_ms
            ],
        )?;
        // The measure columns: the projection's times and clock inputs, the first escalation, each return visit.
        let escalated_at = matches!(event.action, IssueAction::Escalate { .. }).then_some(event.at_ms);
        let verification = match &event.action {
            IssueAction::Verify { satisfaction, .. } => Some(serde_json::to_string(&(event.at_ms, enum_str(satisfaction)))?),
            _ => None,
        };
        self.tx.prepare_cached("INSERT INTO issues (id, path, state, owner_node_id, assignee_id, reporter_id, category, urgency, title, reported_at_ms, last_hlc,
               accepted_at_ms, resolved_at_ms, clock, escalated_at_ms, verifications)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, CASE WHEN ?16 IS NULL THEN '[]' ELSE json_array(json(?16)) END)
             ON CONFLICT(id) DO UPDATE SET state = excluded.state, owner_node_id = excluded.owner_node_id,
               assignee_id = excluded.assignee_id, last_hlc = excluded.last_hlc, accepted_at_ms = excluded.accepted_at_ms,
               resolved_at_ms = excluded.resolved_at_ms, clock = excluded.clock,
               escalated_at_ms = coalesce(min(escalated_at_ms, excluded.escalated_at_ms), escalated_at_ms, excluded.escalated_at_ms),
               verifications = CASE WHEN ?16 IS NULL THEN verifications ELSE json_insert(verifications, '$[#]', json(?16)) END")?.execute(params![
                p.id,
                p.path,
                p.state.as_str(),
                p.owner_node_id,
                p.assignee_id,
                p.reporter_id,
                enum_str(&p.category),
                enum_str(&p.urgency),
                p.title,
                p.reported_at_ms,
                p.last_hlc,
                p.accepted_at_ms,
                p.resolved_at_ms,
                clock_json(p)?,
                escalated_at,
                verification
            ],
        )?;
        Ok(())
    }

    fn put_visit(&mut self, v: &Visit, path: &str) -> Result<bool> {
        let inserted = held(&mut self.insert_visit, self.tx, "INSERT OR IGNORE INTO visits (id, household_id, visitor_id, visitor_level, path, verdict, distance_m, started_at_ms, amends_visit_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?.execute(params![
                v.id,
                v.household_id,
                v.visitor_id,
                enum_str(&v.visitor_level),
                path,
                enum_str(&v.verdict),
                v.distance_m,
                v.started_at_ms,
                v.amends_visit_id
            ],
        )?;
        Ok(inserted == 1)
    }

    fn put_directive(&mut self, d: &Directive, target_path: &str) -> Result<()> {
        self.tx.prepare_cached("INSERT INTO directives (id, issuer_id, issuer_node_id, target_node_id, target_path, body, issued_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute(params![d.id, d.issuer_id, d.issuer_node_id, d.target_node_id, target_path, serde_json::to_string(d)?, d.issued_at_ms],
        )?;
        Ok(())
    }

    fn put_node_ack(&mut self, ack: &NodeAck, received_at_ms: i64) -> Result<()> {
        self.tx.prepare_cached("INSERT INTO directive_acks (directive_id, node_id, acked_by, acked_at_ms, received_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(directive_id, node_id) DO NOTHING")?.execute(params![ack.directive_id, ack.node_id, ack.user_id, ack.at_ms, received_at_ms],
        )?;
        Ok(())
    }

    fn put_relay(&mut self, relay: &NodeRelay) -> Result<()> {
        self.tx.prepare_cached("UPDATE directive_acks SET relayed_by = ?3, relayed_at_ms = ?4
             WHERE directive_id = ?1 AND node_id = ?2 AND relayed_at_ms IS NULL")?.execute(params![relay.directive_id, relay.node_id, relay.user_id, relay.at_ms],
        )?;
        Ok(())
    }

    fn put_household_ack(&mut self, ack: &HouseholdAck, received_at_ms: i64) -> Result<()> {
        self.tx.prepare_cached("INSERT INTO directive_household_acks (directive_id, household_id, means, recorded_by, at_ms, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(directive_id, household_id) DO NOTHING")?.execute(params![ack.directive_id, ack.household_id, enum_str(&ack.means), ack.user_id, ack.at_ms, received_at_ms],
        )?;
        Ok(())
    }

    fn directive_kind(&mut self, id: &str) -> Result<Option<linkage_protocol::model::DirectiveKind>> {
        let kind: Option<String> =
            self.tx.prepare_cached("SELECT json_extract(body, '$.kind') FROM directives WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?;
        kind.map(|k| parse_enum(&k)).transpose()
    }

    fn task_report(&mut self, directive_id: &str, node_id: &str) -> Result<Option<(TaskReportStatus, i64)>> {
        let row: Option<(String, i64)> = self
            .tx
            .prepare_cached("SELECT status, at_ms FROM directive_task_reports WHERE directive_id = ?1 AND node_id = ?2")?
            .query_row([directive_id, node_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(status, at)| Ok((parse_enum(&status)?, at))).transpose()
    }

    fn put_task_report(&mut self, r: &TaskReport, received_at_ms: i64) -> Result<()> {
        // A new report takes the place of one the issuer sent back (the apply rules checked that).
        self.tx.prepare_cached("INSERT INTO directive_task_reports (directive_id, node_id, reported_by, at_ms, note, evidence, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(directive_id, node_id) DO UPDATE SET
             reported_by = excluded.reported_by, at_ms = excluded.at_ms, note = excluded.note, evidence = excluded.evidence,
             received_at_ms = excluded.received_at_ms,
             status = 'pending', reviewed_by = NULL, reviewed_at_ms = NULL, review_reason = NULL
             WHERE directive_task_reports.status = 'returned'")?.execute(params![r.directive_id, r.node_id, r.user_id, r.at_ms, r.note, serde_json::to_string(&r.evidence)?, received_at_ms],
        )?;
        Ok(())
    }

    fn put_task_review(&mut self, r: &TaskReview) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE directive_task_reports SET status = ?3, reviewed_by = ?4, reviewed_at_ms = ?5, review_reason = ?6
                 WHERE directive_id = ?1 AND node_id = ?2 AND status = 'pending'",
            )?
            .execute(params![
                r.directive_id,
                r.node_id,
                if r.accepted { "accepted" } else { "returned" },
                r.user_id,
                r.at_ms,
                r.reason
            ])?;
        Ok(())
    }

    fn put_reminder(&mut self, r: &DirectiveReminder) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO directive_reminders (directive_id, node_id, reminded_by, at_ms) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![r.directive_id, r.node_id, r.user_id, r.at_ms])?;
        Ok(())
    }

    fn put_point_move(&mut self, household_id: &str, mover_id: &str, previous: Option<(f64, f64)>, at_ms: i64) -> Result<()> {
        self.point_moves.remove(household_id);
        self.tx.execute(
            "INSERT INTO household_point_moves (household_id, mover_id, prev_lat, prev_lon, moved_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![household_id, mover_id, previous.map(|p| p.0), previous.map(|p| p.1), at_ms],
        )?;
        Ok(())
    }

    fn point_moves(&mut self, household_id: &str) -> Result<Vec<linkage_protocol::rules::point_moves::PointMove>> {
        if let Some(known) = self.point_moves.get(household_id) {
            return Ok(known.clone());
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT mover_id, prev_lat, prev_lon, moved_at_ms FROM household_point_moves WHERE household_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([household_id], |r| {
            let (lat, lon): (Option<f64>, Option<f64>) = (r.get(1)?, r.get(2)?);
            Ok(linkage_protocol::rules::point_moves::PointMove {
                mover_id: r.get(0)?,
                previous: lat.zip(lon),
                moved_at_ms: r.get(3)?,
            })
        })?;
        let moves: Vec<_> = rows.collect::<rusqlite::Result<_>>()?;
        self.point_moves.insert(household_id.to_string(), moves.clone());
        Ok(moves)
    }

    fn household_field_clock(&mut self, household_id: &str, field: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT hlc FROM household_field_clocks WHERE household_id = ?1 AND field = ?2")?
            .query_row([household_id, field], |r| r.get(0))
            .optional()?)
    }

    fn put_household_field(&mut self, household_id: &str, field: &HouseholdField, hlc: &str) -> Result<()> {
        self.households.remove(household_id);
        let tx = self.tx;
        let set = |column: &str, value: &dyn rusqlite::ToSql| -> Result<()> {
            tx.execute(&format!("UPDATE households SET {column} = ?2 WHERE id = ?1"), params![household_id, value])?;
            Ok(())
        };
        match field {
            HouseholdField::HeadName(v) => set("head_name", v)?,
            HouseholdField::Members(v) => set("members", v)?,
            HouseholdField::Phone(v) => set("phone", v)?,
            HouseholdField::Address(v) => set("address", v)?,
            HouseholdField::Location(v) => {
                tx.execute(
                    "UPDATE households SET lat = ?2, lon = ?3 WHERE id = ?1",
                    params![household_id, v.map(|p| p.0), v.map(|p| p.1)],
                )?;
            }
            HouseholdField::Tags(v) => set("tags", &serde_json::to_string(v)?)?,
            HouseholdField::RiskLevel(v) => set("risk_level", &enum_str(v))?,
        }
        tx.prepare_cached(
            "INSERT INTO household_field_clocks (household_id, field, hlc) VALUES (?1, ?2, ?3)
             ON CONFLICT(household_id, field) DO UPDATE SET hlc = excluded.hlc",
        )?
        .execute(params![household_id, field.name(), hlc])?;
        Ok(())
    }

    fn put_broadcast_evidence_refs(&mut self, hashes: &[String], path: &str) -> Result<()> {
        // Cited like any record's photos (the issuer uploads them), and readable by the whole subtree.
        self.put_evidence_refs(hashes, path)?;
        let mut stmt = self.tx.prepare_cached("UPDATE evidence_refs SET broadcast = 1 WHERE hash = ?1 AND path = ?2")?;
        for h in hashes {
            stmt.execute(params![h, path])?;
        }
        Ok(())
    }

    fn put_evidence_refs(&mut self, hashes: &[String], path: &str) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        let mut stmt = self.tx.prepare_cached("INSERT OR IGNORE INTO evidence_refs (hash, path) VALUES (?1, ?2)")?;
        for h in hashes {
            stmt.execute(params![h, path])?;
        }
        if let Some((user_id, at_ms)) = &self.citer {
            let mut cite =
                self.tx.prepare_cached("INSERT OR IGNORE INTO blob_citations (hash, user_id, cited_at_ms) VALUES (?1, ?2, ?3)")?;
            for h in hashes {
                cite.execute(params![h, user_id, at_ms])?;
            }
        }
        Ok(())
    }
}

impl apply::FormLedger for SqlLedger<'_> {
    fn form(&mut self, form_id: &str, version: u32) -> Result<Option<apply::StoredForm>> {
        let row: Option<(String, String, Option<i64>)> = self
            .tx
            .prepare_cached("SELECT def_json, target_path, retired_at_ms FROM forms WHERE form_id = ?1 AND version = ?2")?
            .query_row(params![form_id, version], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        row.map(|(def, target_path, retired)| {
            Ok(apply::StoredForm { def: serde_json::from_str(&def)?, target_path, retired: retired.is_some() })
        })
        .transpose()
    }

    fn form_response_exists(&mut self, response_id: &str) -> Result<bool> {
        Ok(self.tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM form_responses WHERE response_id = ?1)")?.query_row([response_id], |r| r.get(0))?)
    }

    fn household_tags(&mut self, household_id: &str) -> Result<Vec<String>> {
        let tags: Option<String> =
            self.tx.prepare_cached("SELECT tags FROM households WHERE id = ?1")?.query_row([household_id], |r| r.get(0)).optional()?;
        Ok(match tags {
            Some(t) => serde_json::from_str(&t)?,
            None => Vec::new(),
        })
    }

    fn put_form_response(&mut self, r: &linkage_protocol::wire::FormResponse, path: &str, received_at_ms: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO form_responses (response_id, form_id, form_version, respondent_id, node_id, household_id, visit_id,
                     path, started_at_ms, submitted_at_ms, received_at_ms, answers_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                r.response_id,
                r.form_id,
                r.form_version,
                r.respondent_id,
                r.node_id,
                r.household_id,
                r.visit_id,
                path,
                r.started_at_ms,
                r.submitted_at_ms,
                received_at_ms,
                serde_json::to_string(&r.answers)?
            ])?;
        Ok(())
    }
}

/// Puts a form publication or retirement into the change feed, broadcast from `path` (every phone of the
/// subtree pulls it; each shows only the forms for its role), inside the caller's transaction.
fn feed_form_op(tx: &Connection, body: linkage_protocol::wire::OpBody, path: &str, now_ms: i64) -> Result<()> {
    let op = Operation {
        op_id: uuid::Uuid::now_v7().to_string(),
        hlc: linkage_protocol::hlc::Hlc { wall_ms: now_ms, counter: 0 }.encode(apply::SYSTEM_ACTOR),
        body,
    };
    tx.prepare_cached(
        "INSERT INTO changes (op_id, body_sha256, user_id, path, broadcast, op_json, received_at_ms)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)",
    )?
    .execute(params![op.op_id, BODY_IS_OP_JSON, apply::SYSTEM_ACTOR, path, serde_json::to_string(&op)?, now_ms])?;
    Ok(())
}

/// One push batch in one IMMEDIATE transaction. Without savepoints, returns `None` (and commits nothing)
/// when a refused op changed rows.
fn apply_batch(conn: &mut Connection, user: &UserInfo, ops: &[Operation], now_ms: i64, savepoints: bool) -> Result<Option<Vec<OpOutcome>>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut ledger = SqlLedger::new(&tx);
    ledger.citer = Some((user.id.clone(), now_ms));
    ledger.prefetch_seen(ops)?;
    let mut outcomes = Vec::with_capacity(ops.len());
    for op in ops {
        if savepoints {
            // A rolled-back op may have touched a cached household: look them up afresh.
            ledger.households.clear();
            ledger.point_moves.clear();
            tx.prepare_cached("SAVEPOINT op")?.execute([])?;
        }
        let before = tx.total_changes();
        let outcome = apply_one(&mut ledger, user, op, now_ms)?;
        if matches!(outcome, OpOutcome::Rejected { .. }) && tx.total_changes() != before {
            if !savepoints {
                return Ok(None); // dropping `tx` rolls the batch back
            }
            tx.prepare_cached("ROLLBACK TO op")?.execute([])?;
        }
        if savepoints {
            tx.prepare_cached("RELEASE op")?.execute([])?;
        }
        outcomes.push(outcome);
    }
    drop(ledger);
    tx.commit()?;
    Ok(Some(outcomes))
}

/// The county's settings as stored: the settings document (defaults when none was set) with every imported
/// yearly calendar. Works on a read-only connection (the measures export).
pub fn read_county_config(conn: &Connection) -> Result<CountyConfig> {
    let base: Option<String> = conn
        .query_row("SELECT config_json FROM county_settings WHERE id = 1", [], |r| r.get(0))
        .optional()?;
    let mut config: CountyConfig = match base {
        Some(json) => serde_json::from_str(&json)?,
        None => CountyConfig::default(),
    };
    config.calendars.clear();
    let mut stmt = conn.prepare_cached("SELECT file_json FROM county_calendars ORDER BY year")?;
    for file in stmt.query_map([], |r| r.get::<_, String>(0))? {
        config.calendars.push(serde_json::from_str(&file?)?);
    }
    Ok(config)
}

/// Puts the county's current settings into the change feed (broadcast from the county node, so every
/// phone of the county pulls them), inside the caller's transaction. Without a county node there are no
/// phones to tell yet: the bundle carries the settings when they enrol.
fn feed_county_config(tx: &Connection, now_ms: i64) -> Result<()> {
    let config = read_county_config(tx)?;
    config.validate().map_err(|e| Error::Invalid(format!("county settings: {e}")))?;
    let county: Option<String> =
        tx.query_row("SELECT path FROM org_nodes WHERE level = 'county' ORDER BY path LIMIT 1", [], |r| r.get(0)).optional()?;
    let Some(path) = county else { return Ok(()) };
    let op = Operation {
        op_id: uuid::Uuid::now_v7().to_string(),
        hlc: linkage_protocol::hlc::Hlc { wall_ms: now_ms, counter: 0 }.encode(apply::SYSTEM_ACTOR),
        body: linkage_protocol::wire::OpBody::CountyConfigSet(linkage_protocol::wire::CountyConfigSet { config, set_at_ms: now_ms }),
    };
    tx.prepare_cached(
        "INSERT INTO changes (op_id, body_sha256, user_id, path, broadcast, op_json, received_at_ms)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)",
    )?
    .execute(params![op.op_id, BODY_IS_OP_JSON, apply::SYSTEM_ACTOR, path, serde_json::to_string(&op)?, now_ms])?;
    Ok(())
}

/// `changes.body_sha256` of a row whose `op_json` is the op exactly as sent (canonical JSON): the body itself
/// is the idempotency key, so no hash is computed or stored (most rows). A row whose feed copy differs from
/// what was sent (the server corrected a visit's grading) or that has no feed copy (a change of nothing)
/// keeps the SHA-256 of the sent body instead.
const BODY_IS_OP_JSON: &str = "";

/// Judges and stores one op inside the batch's transaction (a refusal writes nothing).
fn apply_one(ledger: &mut SqlLedger<'_>, user: &UserInfo, op: &Operation, now_ms: i64) -> Result<OpOutcome> {
    let tx = ledger.tx;
    // Serialized once: the feed's copy when the server stores the op as sent, and the idempotency key.
    let json = {
        // Sized for a typical op up front (no regrowth while writing).
        let mut buf = Vec::with_capacity(1024);
        serde_json::to_writer(&mut buf, op)?;
        String::from_utf8(buf).map_err(|e| Error::Corrupt(format!("op JSON is not UTF-8: {e}")))?
    };
    if let Some((hash, stored)) = ledger.seen(&op.op_id)? {
        let same = if hash == BODY_IS_OP_JSON {
            // Compared as values should the JSON form of an op ever change between server versions.
            stored == json || serde_json::from_str::<Operation>(&stored).is_ok_and(|s| s == *op)
        } else {
            hash == sha256_hex(json.as_bytes())
        };
        return Ok(if same {
            OpOutcome::Duplicate
        } else {
            OpOutcome::Rejected {
                code: RejectCode::Conflict,
                message: format!("op id '{}' was already used for a different operation", op.op_id),
            }
        });
    }
    match apply::apply(ledger, user, op, now_ms)? {
        Err(reject) => Ok(OpOutcome::Rejected { code: reject.code, message: reject.message }),
        Ok(applied) => {
            let (hash, path, op_json) = match (applied.changed, &applied.op) {
                (false, _) => (sha256_hex(json.as_bytes()), String::new(), String::new()),
                (true, None) => (BODY_IS_OP_JSON.to_string(), applied.path, json),
                (true, Some(stored)) => (sha256_hex(json.as_bytes()), applied.path, serde_json::to_string(stored)?),
            };
            held(
                &mut ledger.insert_change,
                tx,
                "INSERT INTO changes (op_id, body_sha256, user_id, path, broadcast, op_json, received_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![op.op_id, hash, user.id, path, applied.broadcast && applied.changed, op_json, now_ms])?;
            Ok(OpOutcome::Applied)
        }
    }
}

/// A page of the change feed for a scope: the rows after the cursor, in sequence order. The walk is the
/// feed's own order (the primary key from the cursor on), each row kept when its path is in the scope or a
/// broadcast from an ancestor; it stops after `limit + 1` kept rows. The unary `+` keeps the planner off the
/// `changes_path` index: with it, some SQLite versions (SQLCipher's 3.46, linked when the server is built with
/// the phone core) chose a MULTI-INDEX OR that read every change of the scope after the cursor and sorted
/// them, for every page — a township's first sync grew with the square of its feed (a 50,000-change pull ran
/// at 0.3× the raw loop). Tested by `the_feed_page_walks_the_feed_in_order`.
const PAGE_SQL: &str = "SELECT seq, received_at_ms, op_json FROM changes
     WHERE seq > ?1 AND ((+path >= ?2 AND +path < ?3) OR (+broadcast = 1 AND +path IN (SELECT value FROM json_each(?4))))
     ORDER BY seq LIMIT ?5";

impl Storage for SqliteStorage {
    fn user_credentials(&self, user_id: &str) -> Result<Option<(UserInfo, String)>> {
        query_user(&lock(&self.conn), user_id)
    }

    fn device_revoked(&self, device_id: &str) -> Result<Option<bool>> {
        Ok(lock(&self.conn)
            .query_row("SELECT revoked FROM devices WHERE device_id = ?1", [device_id], |r| r.get(0))
            .optional()?)
    }

    fn account(&self, user_id: &str) -> Result<Option<Account>> {
        let conn = lock(&self.conn);
        let Some((user, password_hash)) = query_user(&conn, user_id)? else { return Ok(None) };
        let (failed, locked, disabled, must_change): (i64, bool, bool, bool) = conn.query_row(
            "SELECT failed_sign_ins, locked, disabled, must_change_password FROM users WHERE id = ?1",
            [user_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        Ok(Some(Account {
            user,
            password_hash,
            failed_sign_ins: failed.max(0) as u32,
            locked,
            disabled,
            must_change_password: must_change,
        }))
    }

    fn sign_in_failed(&self, user_id: &str, lock_after: u32) -> Result<(u32, bool)> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(i64, bool)> = tx
            .query_row("SELECT failed_sign_ins, locked FROM users WHERE id = ?1", [user_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((failed, was_locked)) = row else { return Ok((0, false)) };
        let failed = failed + 1;
        let lock_now = !was_locked && failed >= i64::from(lock_after.max(1));
        tx.execute(
            "UPDATE users SET failed_sign_ins = ?2, locked = locked OR ?3 WHERE id = ?1",
            params![user_id, failed, lock_now],
        )?;
        tx.commit()?;
        Ok((failed as u32, lock_now))
    }

    fn sign_in_succeeded(&self, user_id: &str) -> Result<()> {
        lock(&self.conn).execute("UPDATE users SET failed_sign_ins = 0 WHERE id = ?1 AND failed_sign_ins != 0", [user_id])?;
        Ok(())
    }

    fn unlock_user(&self, user_id: &str) -> Result<bool> {
        Ok(lock(&self.conn).execute("UPDATE users SET locked = 0, failed_sign_ins = 0 WHERE id = ?1", [user_id])? == 1)
    }

    fn disable_user(&self, user_id: &str) -> Result<Option<u32>> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if tx.execute("UPDATE users SET disabled = 1 WHERE id = ?1", [user_id])? == 0 {
            return Ok(None);
        }
        let n = tx.execute("UPDATE devices SET revoked = 1, pending_token_hash = NULL WHERE user_id = ?1 AND revoked = 0", [user_id])?;
        tx.commit()?;
        Ok(Some(n as u32))
    }

    fn set_password(&self, user_id: &str, password_hash: &str, must_change: bool, now_ms: i64) -> Result<u32> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE users SET password_hash = ?2, must_change_password = ?3, password_changed_at_ms = ?4 WHERE id = ?1",
            params![user_id, password_hash, must_change, now_ms],
        )?;
        if changed == 0 {
            return Err(Error::NotFound(format!("user '{user_id}'")));
        }
        // Tokens are stored only as hashes: a value no SHA-256 hex can equal ends them (unique per device).
        let n = tx.execute(
            "UPDATE devices SET token_hash = 'signed-out:' || device_id, pending_token_hash = NULL, pending_expires_at_ms = NULL
             WHERE user_id = ?1 AND token_hash NOT LIKE 'signed-out:%'",
            [user_id],
        )?;
        tx.commit()?;
        Ok(n as u32)
    }

    fn enroll_device(&self, e: &NewEnrolment) -> Result<Enrolment> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(String, Option<String>, bool)> = tx
            .query_row("SELECT user_id, secret_hash, revoked FROM devices WHERE device_id = ?1", [&e.device_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        if let Some((owner, secret, revoked)) = existing {
            let same_installation = match (&secret, &e.secret_hash) {
                (Some(stored), Some(given)) => constant_time_eq(stored.as_bytes(), given.as_bytes()),
                // Bound to a secret: a request without it is another installation.
                (Some(_), None) => false,
                // An older phone's device: only its own user may re-enrol it (and bind it to a secret now).
                (None, _) => owner == e.user_id,
            };
            if !same_installation {
                return Ok(Enrolment::Taken);
            }
            if revoked {
                return Ok(Enrolment::Revoked);
            }
        }
        tx.execute(
            "INSERT INTO devices (device_id, user_id, device_name, token_hash, expires_at_ms, revoked, created_at_ms, secret_hash, last_seen_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?6)
             ON CONFLICT(device_id) DO UPDATE SET user_id = excluded.user_id, device_name = excluded.device_name,
               token_hash = excluded.token_hash, expires_at_ms = excluded.expires_at_ms,
               secret_hash = coalesce(devices.secret_hash, excluded.secret_hash), pending_token_hash = NULL,
               pending_expires_at_ms = NULL, last_seen_at_ms = excluded.last_seen_at_ms",
            params![e.device_id, e.user_id, e.device_name, e.token_hash, e.expires_at_ms, e.now_ms, e.secret_hash],
        )?;
        tx.commit()?;
        Ok(Enrolment::Enrolled)
    }

    fn token(&self, token_hash: &str, now_ms: i64) -> Result<Option<TokenRecord>> {
        let conn = lock(&self.conn);
        let row = conn
            .prepare_cached(
                "SELECT device_id, expires_at_ms, revoked, user_id, pending_token_hash = ?1, pending_expires_at_ms, last_seen_at_ms
                 FROM devices WHERE token_hash = ?1
                 UNION ALL
                 SELECT device_id, expires_at_ms, revoked, user_id, 1, pending_expires_at_ms, last_seen_at_ms
                 FROM devices WHERE pending_token_hash = ?1",
            )?
            .query_row([token_hash], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<bool>>(4)?.unwrap_or(false),
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                ))
            })
            .optional()?;
        let Some((device_id, mut expires_at_ms, revoked, user_id, pending, pending_expires, last_seen)) = row else { return Ok(None) };
        if pending && !revoked {
            // First use of the refreshed token: it becomes the device's token; the previous one ends now.
            conn.execute(
                "UPDATE devices SET token_hash = pending_token_hash, expires_at_ms = pending_expires_at_ms,
                   pending_token_hash = NULL, pending_expires_at_ms = NULL, last_seen_at_ms = ?2
                 WHERE device_id = ?1 AND pending_token_hash IS NOT NULL",
                params![device_id, now_ms],
            )?;
            expires_at_ms = pending_expires.unwrap_or(expires_at_ms);
        } else if last_seen.is_none_or(|t| now_ms - t > 3_600_000) {
            // Last seen, to the hour (`device list`): at most one write per device and hour.
            conn.prepare_cached("UPDATE devices SET last_seen_at_ms = ?2 WHERE device_id = ?1")?.execute(params![device_id, now_ms])?;
        }
        let Some((user, _)) = query_user(&conn, &user_id)? else { return Ok(None) };
        Ok(Some(TokenRecord { device_id, expires_at_ms, revoked, user }))
    }

    fn rotate_token(&self, device_id: &str, current_hash: &str, new_hash: &str, expires_at_ms: i64) -> Result<bool> {
        let n = lock(&self.conn).execute(
            "UPDATE devices SET pending_token_hash = ?3, pending_expires_at_ms = ?4
             WHERE device_id = ?1 AND token_hash = ?2 AND revoked = 0",
            params![device_id, current_hash, new_hash, expires_at_ms],
        )?;
        Ok(n == 1)
    }

    fn revoke_device(&self, device_id: &str) -> Result<bool> {
        Ok(lock(&self.conn).execute("UPDATE devices SET revoked = 1, pending_token_hash = NULL WHERE device_id = ?1", [device_id])? == 1)
    }

    fn devices(&self, user_id: Option<&str>) -> Result<Vec<DeviceRow>> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare(
            "SELECT device_id, user_id, device_name, created_at_ms, expires_at_ms, last_seen_at_ms, revoked,
                    secret_hash IS NOT NULL, token_hash LIKE 'signed-out:%'
             FROM devices WHERE ?1 IS NULL OR user_id = ?1 ORDER BY user_id, device_id",
        )?;
        let rows = stmt.query_map([user_id], |r| {
            Ok(DeviceRow {
                device_id: r.get(0)?,
                user_id: r.get(1)?,
                device_name: r.get(2)?,
                created_at_ms: r.get(3)?,
                expires_at_ms: r.get(4)?,
                last_seen_at_ms: r.get(5)?,
                revoked: r.get(6)?,
                bound: r.get(7)?,
                signed_out: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn put_user(&self, user: &NewUser) -> Result<()> {
        lock(&self.conn).execute(
            "INSERT INTO users (id, name, role, node_id, password_hash) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, role = excluded.role, node_id = excluded.node_id,
               password_hash = excluded.password_hash",
            params![user.id, user.name, enum_str(&user.role), user.node_id, user.password_hash],
        )?;
        Ok(())
    }

    fn audit(&self, event: &audit::Event, now_ms: i64) -> Result<()> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        append_audit(&tx, event, now_ms)?;
        tx.commit()?;
        Ok(())
    }

    fn audit_rows(&self, from_ms: i64, to_ms: i64) -> Result<Vec<audit::Row>> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare(&format!("{AUDIT_SELECT} WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY seq"))?;
        let rows = stmt.query_map([from_ms, to_ms], map_audit)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn audit_verify(&self) -> Result<audit::Verification> {
        let conn = lock(&self.conn);
        let anchor = audit_anchor(&conn)?;
        let mut stmt = conn.prepare(&format!("{AUDIT_SELECT} ORDER BY seq"))?;
        let rows = stmt.query_map([], map_audit)?;
        let mut failed = None;
        let verification = audit::verify(
            anchor,
            rows.map_while(|r| match r {
                Ok(row) => Some(row),
                Err(e) => {
                    failed = Some(e);
                    None
                }
            }),
        );
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(verification),
        }
    }

    fn audit_prune(&self, before_ms: i64, now_ms: i64) -> Result<u64> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Oldest first, stopping at the first row to keep: the anchor is the last row removed.
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, hash FROM audit_log WHERE seq < coalesce((SELECT min(seq) FROM audit_log WHERE at_ms >= ?1), 1 << 62)
                 ORDER BY seq DESC LIMIT 1",
                [before_ms],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((seq, hash)) = last else { return Ok(0) };
        let n = tx.execute("DELETE FROM audit_log WHERE seq <= ?1", [seq])?;
        tx.execute(
            "INSERT INTO audit_anchor (id, seq, hash, pruned_at_ms) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, pruned_at_ms = excluded.pruned_at_ms",
            params![seq, hash, now_ms],
        )?;
        let event = audit::Event::new("server", audit::Action::AuditPruned, "audit_log", "")
            .with(serde_json::json!({ "rows": n, "through_seq": seq, "before_ms": before_ms }));
        append_audit(&tx, &event, now_ms)?;
        tx.commit()?;
        Ok(n as u64)
    }

    fn server_meta(&self, key: &str) -> Result<Option<String>> {
        Ok(lock(&self.conn).query_row("SELECT value FROM server_meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    fn set_server_meta(&self, key: &str, value: &str) -> Result<()> {
        lock(&self.conn).execute(
            "INSERT INTO server_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn node(&self, id: &str) -> Result<Option<NodeInfo>> {
        query_node(&lock(&self.conn), id)
    }

    fn has_county(&self) -> Result<bool> {
        Ok(lock(&self.conn).query_row("SELECT EXISTS (SELECT 1 FROM org_nodes WHERE level = 'county')", [], |r| r.get(0))?)
    }

    fn county_config(&self) -> Result<CountyConfig> {
        read_county_config(&lock(&self.conn))
    }

    fn set_county_config(&self, config: &CountyConfig, now_ms: i64) -> Result<()> {
        config.validate().map_err(|e| Error::Invalid(format!("county settings: {e}")))?;
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let base = CountyConfig { calendars: Vec::new(), ..config.clone() };
        tx.execute(
            "INSERT INTO county_settings (id, config_json, updated_at_ms) VALUES (1, ?1, ?2)
             ON CONFLICT(id) DO UPDATE SET config_json = excluded.config_json, updated_at_ms = excluded.updated_at_ms",
            params![serde_json::to_string(&base)?, now_ms],
        )?;
        tx.execute("DELETE FROM county_calendars", [])?;
        for file in &config.calendars {
            let year = file.get("year").and_then(serde_json::Value::as_i64).unwrap_or_default();
            tx.execute(
                "INSERT INTO county_calendars (year, file_json, imported_at_ms) VALUES (?1, ?2, ?3)",
                params![year, file.to_string(), now_ms],
            )?;
        }
        feed_county_config(&tx, now_ms)?;
        tx.commit()?;
        self.publish_head(&conn)?;
        Ok(())
    }

    fn import_calendar(&self, year_file: &str, now_ms: i64) -> Result<i32> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = read_county_config(&tx)?;
        let (_, year) = linkage_protocol::rules::county::with_calendar_year(&current, year_file)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        // Stored compact, as parsed (the file's formatting is not kept).
        let value: serde_json::Value = serde_json::from_str(year_file)?;
        tx.execute(
            "INSERT INTO county_calendars (year, file_json, imported_at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(year) DO UPDATE SET file_json = excluded.file_json, imported_at_ms = excluded.imported_at_ms",
            params![year, value.to_string(), now_ms],
        )?;
        feed_county_config(&tx, now_ms)?;
        tx.commit()?;
        self.publish_head(&conn)?;
        Ok(year)
    }

    fn import_org(&self, nodes: &[PlacedNode], households: &[PlacedHousehold]) -> Result<()> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut node_stmt = tx.prepare_cached(
                "INSERT INTO org_nodes (id, parent_id, level, name, code, path, boundary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, code = excluded.code, boundary = excluded.boundary",
            )?;
            for PlacedNode { node: n, path } in nodes {
                let boundary = if n.boundary.is_empty() { None } else { Some(serde_json::to_string(&n.boundary)?) };
                node_stmt.execute(params![n.id, n.parent_id, enum_str(&n.level), n.name.trim(), n.code, path, boundary])?;
            }
            let mut hh_stmt = tx.prepare_cached(
                "INSERT INTO households (id, group_id, path, head_name, members, phone, id_number, address, lat, lon, tags, risk_level, county_contact)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT(id) DO UPDATE SET group_id = excluded.group_id, path = excluded.path, head_name = excluded.head_name,
                   members = excluded.members, phone = excluded.phone, id_number = excluded.id_number, address = excluded.address,
                   lat = excluded.lat, lon = excluded.lon, tags = excluded.tags, risk_level = excluded.risk_level,
                   county_contact = excluded.county_contact",
            )?;
            for PlacedHousehold { household: h, path } in households {
                hh_stmt.execute(params![
                    h.id,
                    h.group_id,
                    path,
                    h.head_name.trim(),
                    h.members,
                    h.phone,
                    h.id_number,
                    h.address.trim(),
                    h.lat,
                    h.lon,
                    serde_json::to_string(&h.tags)?,
                    enum_str(&h.risk_level),
                    h.county_contact
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn apply_ops(&self, user: &UserInfo, ops: &[Operation], now_ms: i64) -> Result<Vec<OpOutcome>> {
        let mut conn = lock(&self.conn);
        // The op rules decide every refusal before their first write (apply.rs), so a batch needs no
        // savepoint per op — they cost a page copy per touched page per op. Should a refused op ever have
        // written something (a bug), the batch is redone with a savepoint around each op.
        let outcomes = match apply_batch(&mut conn, user, ops, now_ms, false)? {
            Some(outcomes) => outcomes,
            None => apply_batch(&mut conn, user, ops, now_ms, true)?.unwrap_or_default(),
        };
        if outcomes.iter().any(|o| matches!(o, OpOutcome::Applied)) {
            self.publish_head(&conn)?;
        }
        Ok(outcomes)
    }

    fn sweep_overdue(&self, now_ms: i64, rules: &linkage_protocol::rules::sla::SlaRules) -> Result<u32> {
        // In pages of open issues, each its own short transaction: phones pushing meanwhile wait for one
        // page at most, not for a fold of every open issue in the county.
        const PAGE: i64 = 500;
        let mut marked = 0;
        let mut after = String::new();
        loop {
            let mut conn = lock(&self.conn);
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let page: Vec<String> = tx
                .prepare_cached(
                    "SELECT id FROM issues WHERE state NOT IN ('closed', 'rejected', 'merged') AND id > ?1 ORDER BY id LIMIT ?2",
                )?
                .query_map(params![after, PAGE], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let Some(last) = page.last().cloned() else { break };
            let mut ledger = SqlLedger::new(&tx);
            for id in &page {
                let Some(apply::Applied { op: Some(op), path, .. }) = apply::sweep_issue(&mut ledger, id, now_ms, rules)? else { continue };
                let json = serde_json::to_string(&op)?;
                tx.prepare_cached(
                    "INSERT INTO changes (op_id, body_sha256, user_id, path, broadcast, op_json, received_at_ms)
                     VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)",
                )?
                .execute(params![op.op_id, BODY_IS_OP_JSON, apply::SYSTEM_ACTOR, path, json, now_ms])?;
                marked += 1;
            }
            drop(ledger);
            tx.commit()?;
            self.publish_head(&conn)?;
            if (page.len() as i64) < PAGE {
                break;
            }
            after = last;
        }
        Ok(marked)
    }

    fn feed_head(&self) -> tokio::sync::watch::Receiver<i64> {
        self.feed.subscribe()
    }

    fn refresh_feed_head(&self) -> Result<i64> {
        self.publish_head(&lock(&self.conn))
    }

    fn changes(&self, scope_path: &str, after: i64, limit: u32) -> Result<(Vec<Change>, bool)> {
        let conn = lock(&self.conn);
        let ancestors = serde_json::to_string(&scope::ancestor_paths(scope_path))?;
        let mut stmt = conn.prepare_cached(PAGE_SQL)?;
        let rows = stmt.query_map(
            params![after, scope_path, scope::upper_bound(scope_path), ancestors, i64::from(limit) + 1],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)),
        )?;
        let mut changes = Vec::new();
        for row in rows {
            let (seq, received_at_ms, json) = row?;
            changes.push(Change { seq, received_at_ms, op: serde_json::from_str(&json)? });
        }
        let has_more = changes.len() > limit as usize;
        changes.truncate(limit as usize);
        Ok((changes, has_more))
    }

    fn bundle(&self, node_path: &str) -> Result<Bundle> {
        let conn = lock(&self.conn);
        let depth_order = "ORDER BY length(path) - length(replace(path, '/', '')), path";
        let map_node = |r: &rusqlite::Row<'_>| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?, r.get::<_, Option<String>>(5)?))
        };
        let mut nodes = Vec::new();
        let ancestors = serde_json::to_string(&scope::ancestor_paths(node_path))?;
        let upper = scope::upper_bound(node_path);
        for (sql, args) in [
            (format!("SELECT id, parent_id, level, name, code, boundary FROM org_nodes WHERE path IN (SELECT value FROM json_each(?1)) {depth_order}"), [ancestors.as_str(), ""]),
            (format!("SELECT id, parent_id, level, name, code, boundary FROM org_nodes WHERE path >= ?1 AND path < ?2 {depth_order}"), [node_path, upper.as_str()]),
        ] {
            let mut stmt = conn.prepare(&sql)?;
            let rows: Vec<_> = if args[1].is_empty() {
                stmt.query_map([args[0]], map_node)?.collect::<rusqlite::Result<_>>()?
            } else {
                stmt.query_map(args, map_node)?.collect::<rusqlite::Result<_>>()?
            };
            for (id, parent_id, level, name, code, boundary) in rows {
                nodes.push(BundleNode {
                    id,
                    parent_id,
                    level: parse_enum(&level)?,
                    name,
                    code,
                    boundary: boundary.map(|b| serde_json::from_str(&b)).transpose()?.unwrap_or_default(),
                });
            }
        }
        let mut stmt = conn.prepare(
            "SELECT id, group_id, head_name, members, phone, id_number, address, lat, lon, tags, risk_level, county_contact
             FROM households WHERE path >= ?1 AND path < ?2 ORDER BY path",
        )?;
        let mut households = Vec::new();
        let rows = stmt.query_map([node_path, upper.as_str()], |r| {
            Ok((
                BundleHousehold {
                    id: r.get(0)?,
                    group_id: r.get(1)?,
                    head_name: r.get(2)?,
                    members: r.get(3)?,
                    phone: r.get(4)?,
                    id_number: r.get(5)?,
                    address: r.get(6)?,
                    lat: r.get(7)?,
                    lon: r.get(8)?,
                    tags: Vec::new(),
                    risk_level: linkage_protocol::model::RiskLevel::Low,
                    county_contact: r.get(11)?,
                },
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
            ))
        })?;
        for row in rows {
            let (mut h, tags, risk) = row?;
            h.tags = serde_json::from_str(&tags)?;
            h.risk_level = parse_enum(&risk)?;
            households.push(h);
        }
        let mut stmt = conn.prepare(&format!("{USER_SELECT} WHERE n.path >= ?1 AND n.path < ?2 ORDER BY u.id"))?;
        let users = stmt
            .query_map([node_path, upper.as_str()], map_user)?
            .map(|r| {
                let (u, _) = finish_user(r?)?;
                Ok(BundleUser { id: u.id, name: u.name, role: u.role, node_id: u.node_id })
            })
            .collect::<Result<Vec<_>>>()?;
        let config = Some(read_county_config(&conn)?);
        Ok(Bundle { nodes, households, users, config })
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
        let _guard = lock(&self.blob_lock);
        let (done, part) = self.blob_paths(hash);
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
            lock(&self.conn).execute("DELETE FROM blobs WHERE hash = ?1 AND complete = 0", [hash])?;
            return Ok(BlobWrite::TooLarge);
        }
        if !last {
            // An upload left unfinished holds disk until it resumes or expires: a device may hold only so many.
            let (count, held): (i64, i64) = lock(&self.conn).query_row(
                "SELECT count(*), coalesce(sum(received_bytes), 0) FROM blobs
                 WHERE complete = 0 AND uploader_device = ?1 AND hash != ?2",
                params![up.device_id, hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
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
        let conn = lock(&self.conn);
        if !last {
            conn.execute(
                "INSERT INTO blobs (hash, received_bytes, complete, uploader_user, uploader_device, started_at_ms, updated_at_ms)
                 VALUES (?1, ?2, 0, ?3, ?4, ?5, ?5)
                 ON CONFLICT(hash) DO UPDATE SET received_bytes = excluded.received_bytes,
                     uploader_user = excluded.uploader_user, uploader_device = excluded.uploader_device,
                     started_at_ms = coalesce(blobs.started_at_ms, excluded.started_at_ms), updated_at_ms = excluded.updated_at_ms",
                params![hash, end as i64, up.user_id, up.device_id, up.now_ms],
            )?;
            return Ok(BlobWrite::Partial(end));
        }
        let content = fs::read(&part)?;
        if sha256_hex(&content) != hash {
            fs::remove_file(&part)?;
            conn.execute("DELETE FROM blobs WHERE hash = ?1", [hash])?;
            return Ok(BlobWrite::HashMismatch);
        }
        fs::rename(&part, &done)?;
        conn.execute(
            "INSERT INTO blobs (hash, size, received_bytes, complete, uploader_user, uploader_device, started_at_ms, updated_at_ms)
             VALUES (?1, ?2, ?2, 1, ?3, ?4, ?5, ?5)
             ON CONFLICT(hash) DO UPDATE SET size = excluded.size, received_bytes = excluded.received_bytes, complete = 1,
                 uploader_user = excluded.uploader_user, uploader_device = excluded.uploader_device,
                 started_at_ms = coalesce(blobs.started_at_ms, excluded.started_at_ms), updated_at_ms = excluded.updated_at_ms",
            params![hash, end as i64, up.user_id, up.device_id, up.now_ms],
        )?;
        Ok(BlobWrite::Complete(end))
    }

    fn blob_cited_by(&self, hash: &str, user_id: &str) -> Result<bool> {
        Ok(lock(&self.conn).query_row(
            "SELECT EXISTS (SELECT 1 FROM blob_citations WHERE hash = ?1 AND user_id = ?2)",
            params![hash, user_id],
            |r| r.get(0),
        )?)
    }

    fn blob_gc(&self, now_ms: i64, policy: &BlobGcPolicy) -> Result<BlobGc> {
        let _guard = lock(&self.blob_lock);
        let conn = lock(&self.conn);
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
        let hashes = |sql: &str, before: i64| -> Result<Vec<String>> {
            Ok(conn.prepare(sql)?.query_map([before], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
        };
        // Unfinished uploads not continued in time (rows older than this schema count as old).
        for hash in hashes("SELECT hash FROM blobs WHERE complete = 0 AND coalesce(updated_at_ms, 0) < ?1", now_ms - policy.partial_ttl_ms)? {
            out.bytes_freed += remove(&self.blob_paths(&hash).1)?;
            conn.execute("DELETE FROM blobs WHERE hash = ?1 AND complete = 0", [&hash])?;
            out.partials_expired += 1;
        }
        // Complete blobs that no record refers to, after the grace period.
        for hash in hashes(
            "SELECT hash FROM blobs b WHERE complete = 1 AND coalesce(updated_at_ms, 0) < ?1
             AND NOT EXISTS (SELECT 1 FROM evidence_refs r WHERE r.hash = b.hash)",
            now_ms - policy.unreferenced_grace_ms,
        )? {
            out.bytes_freed += remove(&self.blob_paths(&hash).0)?;
            conn.execute("DELETE FROM blobs WHERE hash = ?1", [&hash])?;
            out.unreferenced_removed += 1;
        }
        // Files without a row saying they are wanted (a crash between a write and its row, or a row removed by
        // hand): a `.part` past the upload expiry, a complete file no record refers to past the grace period.
        // Names that are not blob names are left alone.
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
                    && !conn.query_row("SELECT EXISTS (SELECT 1 FROM blobs WHERE hash = ?1 AND complete = 0)", [&hash], |r| r.get::<_, bool>(0))?
            } else {
                modified_ms < now_ms - policy.unreferenced_grace_ms
                    && !conn.query_row("SELECT EXISTS (SELECT 1 FROM blobs WHERE hash = ?1)", [&hash], |r| r.get::<_, bool>(0))?
                    && !conn.query_row("SELECT EXISTS (SELECT 1 FROM evidence_refs WHERE hash = ?1)", [&hash], |r| r.get::<_, bool>(0))?
            };
            if stray {
                out.bytes_freed += remove(&entry.path())?;
                out.stray_files_removed += 1;
            }
        }
        Ok(out)
    }

    fn blob_read(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        match fs::read(self.blob_paths(hash).0) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn blob_referenced_within(&self, hash: &str, scope_path: &str) -> Result<bool> {
        Ok(lock(&self.conn).query_row(
            "SELECT EXISTS (SELECT 1 FROM evidence_refs WHERE hash = ?1
                 AND ((path >= ?2 AND path < ?3) OR (broadcast = 1 AND substr(?2, 1, length(path)) = path)))",
            params![hash, scope_path, scope::upper_bound(scope_path)],
            |r| r.get(0),
        )?)
    }

    fn counts(&self) -> Result<Counts> {
        let conn = lock(&self.conn);
        let count = |table: &str| -> Result<u64> {
            Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0))? as u64)
        };
        Ok(Counts {
            nodes: count("org_nodes")?,
            households: count("households")?,
            users: count("users")?,
            issues: count("issues")?,
            issue_events: count("issue_events")?,
            visits: count("visits")?,
            directives: count("directives")?,
            changes: count("changes WHERE op_json != ''")?,
        })
    }

    fn read_snapshot(&self, f: &mut (dyn FnMut(&crate::readtx::ReadTx<'_>) -> Result<()> + Send)) -> Result<()> {
        // A connection of its own (never the writer's): the snapshot holds no lock the writer waits for (WAL).
        let conn = Connection::open_with_flags(&self.db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Deferred: the snapshot is taken at the first read; rolled back (nothing written) when dropped.
        let tx = conn.unchecked_transaction()?;
        let read = crate::readtx::ReadTx::sqlite(&tx);
        let out = f(&read);
        out
    }

    fn publish_form(&self, def: &linkage_protocol::forms::FormDef, now_ms: i64) -> Result<String> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let target: Option<String> = match &def.target.node_id {
            Some(id) => tx.query_row("SELECT path FROM org_nodes WHERE id = ?1", [id], |r| r.get(0)).optional()?,
            None => tx.query_row("SELECT path FROM org_nodes WHERE level = 'county' ORDER BY path LIMIT 1", [], |r| r.get(0)).optional()?,
        };
        let Some(target_path) = target else {
            return Err(Error::Invalid(match &def.target.node_id {
                Some(id) => format!("组织节点「{id}」不存在 / unknown node"),
                None => "还没有县级组织节点：请先导入组织架构（import --nodes） / import the org tree first".into(),
            }));
        };
        let target_path = target_path.as_str();
        let newest: Option<u32> =
            tx.query_row("SELECT MAX(version) FROM forms WHERE form_id = ?1", [&def.form_id], |r| r.get(0))?;
        if let Some(v) = newest.filter(|&v| v >= def.version) {
            return Err(Error::Invalid(format!(
                "问卷「{}」已有第 {v} 版：新版本号须大于 {v}（在 settings 表的 version 列填写）/ version must be above {v}",
                def.form_id
            )));
        }
        tx.execute(
            "INSERT INTO forms (form_id, version, title, def_json, target_path, published_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![def.form_id, def.version, def.title.zh, serde_json::to_string(def)?, target_path, now_ms],
        )?;
        let body = linkage_protocol::wire::OpBody::FormPublished(linkage_protocol::wire::FormPublication { form: def.clone(), published_at_ms: now_ms });
        feed_form_op(&tx, body, target_path, now_ms)?;
        tx.commit()?;
        self.publish_head(&conn)?;
        Ok(target_path.to_string())
    }

    fn retire_form(&self, form_id: &str, version: u32, now_ms: i64) -> Result<bool> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let target: Option<String> = tx
            .query_row("SELECT target_path FROM forms WHERE form_id = ?1 AND version = ?2 AND retired_at_ms IS NULL", params![form_id, version], |r| r.get(0))
            .optional()?;
        let Some(path) = target else { return Ok(false) };
        tx.execute("UPDATE forms SET retired_at_ms = ?3 WHERE form_id = ?1 AND version = ?2", params![form_id, version, now_ms])?;
        let body = linkage_protocol::wire::OpBody::FormRetired(linkage_protocol::wire::FormRetirement {
            form_id: form_id.to_string(),
            version,
            retired_at_ms: now_ms,
        });
        feed_form_op(&tx, body, &path, now_ms)?;
        tx.commit()?;
        self.publish_head(&conn)?;
        Ok(true)
    }

    fn forms(&self) -> Result<Vec<crate::storage::FormRow>> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare(
            "SELECT f.form_id, f.version, f.title, f.target_path, f.published_at_ms, f.retired_at_ms,
                    (SELECT COUNT(*) FROM form_responses r WHERE r.form_id = f.form_id AND r.form_version = f.version)
             FROM forms f ORDER BY f.form_id, f.version",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(crate::storage::FormRow {
                form_id: r.get(0)?,
                version: r.get(1)?,
                title: r.get(2)?,
                target_path: r.get(3)?,
                published_at_ms: r.get(4)?,
                retired_at_ms: r.get(5)?,
                responses: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn users_with_role(&self, role: Role, limit: u32) -> Result<Vec<UserInfo>> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare(&format!("{USER_SELECT} WHERE u.role = ?1 ORDER BY u.id LIMIT ?2"))?;
        let rows = stmt.query_map(params![enum_str(&role), limit], map_user)?;
        rows.map(|r| Ok(finish_user(r?)?.0)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The feed page's plan: the primary key walked from the cursor in order, no index on the path and no
    /// sort of the scope's rows (whichever SQLite is linked; see `PAGE_SQL`).
    #[test]
    fn the_feed_page_walks_the_feed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path()).unwrap();
        let conn = lock(&storage.conn);
        // Statistics that make the path index look selective, as a grown feed's ANALYZE would.
        conn.execute_batch("ANALYZE; INSERT OR REPLACE INTO sqlite_stat1 (tbl, idx, stat) VALUES ('changes', 'changes_path', '1000000 20 1'), ('changes', NULL, '1000000'); ANALYZE sqlite_schema;").unwrap();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {PAGE_SQL}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params![0, "/c/t1", "/c/t1\u{10ffff}", "[\"/c\", \"/c/t1\"]", 501], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let text = plan.join(" | ");
        assert!(text.contains("SEARCH changes USING INTEGER PRIMARY KEY (rowid>?)"), "{text}");
        assert!(!text.contains("changes_path"), "{text}");
        assert!(!text.contains("TEMP B-TREE"), "{text}");
    }

    /// A version-2 database (issues stored before the measure columns) opens at the current version with the columns
    /// filled from the fold of each issue's events.
    #[test]
    fn upgrade_to_v3_backfills_the_measure_columns() {
        use linkage_protocol::model::{IssueCategory, Satisfaction, Urgency};
        use linkage_protocol::wire::IssueReport;
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join("linkage.db")).unwrap();
            for (i, sql) in MIGRATIONS.iter().take(2).enumerate() {
                conn.execute_batch(sql).unwrap();
                conn.pragma_update(None, "user_version", (i + 1) as i64).unwrap();
            }
            let t = 1_780_000_000_000i64;
            let ev = |n: i64, action: IssueAction| IssueEvent {
                event_id: format!("e{n}"),
                issue_id: "i1".into(),
                actor_id: "ts1".into(),
                actor_role: Role::TownshipStaff,
                actor_node_id: "t1".into(),
                actor_name: None,
                hlc: format!("{:015}-000000-d", t + n),
                at_ms: t + n * 3_600_000,
                action,
            };
            let report = IssueReport {
                category: IssueCategory::SafetyHazard,
                urgency: Urgency::Critical,
                title: "桥梁护栏断裂".into(),
                description: String::new(),
                node_id: "g1".into(),
                path: "/c/t1/b1/g1/".into(),
                household_id: None,
                owner_node_id: "t1".into(),
                location: None,
                evidence: vec![],
            };
            let events = [
                ev(0, IssueAction::Report(report)),
                ev(1, IssueAction::Accept),
                ev(2, IssueAction::Escalate { reason: "需县里协调".into(), to_node_id: "c".into() }),
                ev(3, IssueAction::Resolve { note: "已处置".into(), evidence: vec![] }),
                ev(4, IssueAction::Verify { satisfaction: Satisfaction::Dissatisfied, note: String::new() }),
            ];
            for e in &events {
                conn.execute(
                    "INSERT INTO issue_events (event_id, issue_id, hlc, at_ms, actor_id, action, body, received_at_ms)
                     VALUES (?1, 'i1', ?2, ?3, 'ts1', ?4, ?5, ?3)",
                    params![e.event_id, e.hlc, e.at_ms, enum_str(&e.action.kind()), serde_json::to_string(e).unwrap()],
                )
                .unwrap();
            }
            conn.execute(
                "INSERT INTO issues (id, path, state, owner_node_id, reporter_id, category, urgency, title, reported_at_ms, last_hlc)
                 VALUES ('i1', '/c/t1/b1/g1/', 'assigned', 'c', 'ts1', 'safety_hazard', 'critical', '桥梁护栏断裂', ?1, '')",
                [t],
            )
            .unwrap();
        }
        let s = SqliteStorage::open(dir.path()).unwrap();
        let conn = lock(&s.conn);
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        let row: (Option<i64>, Option<i64>, Option<String>, Option<i64>, String) = conn
            .query_row("SELECT accepted_at_ms, resolved_at_ms, clock, escalated_at_ms, verifications FROM issues WHERE id = 'i1'", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap();
        let t = 1_780_000_000_000i64;
        // 不满意 sent it back: no current resolution.
        assert_eq!(row.0, Some(t + 3_600_000));
        assert_eq!(row.1, None);
        assert_eq!(row.2.as_deref(), Some(r#"{"suspensions":[],"extensions_days":[]}"#));
        assert_eq!(row.3, Some(t + 2 * 3_600_000));
        assert_eq!(row.4, format!(r#"[[{},"dissatisfied"]]"#, t + 4 * 3_600_000));
    }

    #[test]
    fn migrates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path()).unwrap();
        assert_eq!(s.counts().unwrap(), Counts::default());
        drop(s);
        let s = SqliteStorage::open(dir.path()).unwrap();
        let v: i64 = lock(&s.conn).pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

    /// A database of schema 2 (before county settings) upgrades in place: its data stays, the county reads
    /// the default settings, and a calendar can be imported.
    #[test]
    fn upgrades_a_schema_4_database_to_accounts_devices_and_audit() {
        let dir = tempfile::tempdir().unwrap();
        let hash = crate::auth::hash_password("password-1").unwrap();
        {
            let conn = Connection::open(dir.path().join(crate::measures::DB_FILE)).unwrap();
            for sql in &MIGRATIONS[..4] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 4).unwrap();
            conn.execute(
                "INSERT INTO org_nodes (id, parent_id, level, name, code, path) VALUES ('c', NULL, 'county', '黄龙县', '610631000000', '/c/')",
                [],
            )
            .unwrap();
            conn.execute("INSERT INTO users (id, name, role, node_id, password_hash) VALUES ('cs', '县', 'county_staff', 'c', ?1)", [&hash]).unwrap();
            conn.execute(
                "INSERT INTO devices (device_id, user_id, token_hash, expires_at_ms, created_at_ms) VALUES ('old-phone', 'cs', ?1, ?2, 0)",
                params!["ab".repeat(32), i64::MAX],
            )
            .unwrap();
        }
        let s = SqliteStorage::open(dir.path()).unwrap();
        let a = s.account("cs").unwrap().unwrap();
        assert_eq!((a.locked, a.disabled, a.must_change_password, a.failed_sign_ins), (false, false, false, 0), "existing users keep working");
        assert!(s.token(&"ab".repeat(32), 1).unwrap().is_some(), "enrolled phones keep their token");
        let d = &s.devices(None).unwrap()[0];
        assert!(!d.bound, "an old phone's device has no secret yet");
        // Its own user re-enrols it and binds it to the secret now sent; another user cannot.
        let mut e = NewEnrolment {
            device_id: "old-phone".into(),
            device_name: String::new(),
            secret_hash: Some("cd".repeat(32)),
            user_id: "someone".into(),
            token_hash: "ef".repeat(32),
            expires_at_ms: i64::MAX,
            now_ms: 2,
        };
        assert_eq!(s.enroll_device(&e).unwrap(), Enrolment::Taken);
        e.user_id = "cs".into();
        assert_eq!(s.enroll_device(&e).unwrap(), Enrolment::Enrolled);
        assert!(s.devices(None).unwrap()[0].bound);
        assert_eq!(s.audit_verify().unwrap(), audit::Verification { rows: 0, head: None, problem: None });
    }

    #[test]
    fn upgrades_a_schema_2_database_to_county_settings() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(crate::measures::DB_FILE)).unwrap();
            for sql in &MIGRATIONS[..2] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 2).unwrap();
            conn.execute(
                "INSERT INTO org_nodes (id, parent_id, level, name, code, path) VALUES ('c', NULL, 'county', '黄龙县', '610631000000', '/c/')",
                [],
            )
            .unwrap();
        }
        let s = SqliteStorage::open(dir.path()).unwrap();
        assert_eq!(s.counts().unwrap().nodes, 1, "data kept");
        assert_eq!(s.county_config().unwrap(), CountyConfig::default());
        let year = s.import_calendar(r#"{"year":2027,"holidays":[{"name":"元旦","from":"2027-01-01"}]}"#, 1).unwrap();
        assert_eq!((year, s.county_config().unwrap().calendars.len()), (2027, 1));
        assert_eq!(s.counts().unwrap().changes, 1, "the new settings are in the feed");
    }
}
