//! The phone's offline store: one SQLite file in WAL mode with `synchronous=FULL` (the last commit survives
//! power loss; only a form draft's answers commit with NORMAL, `Store::write_draft`), one writer connection,
//! every write inside one transaction together with its outbox operation.
//! Aggregates live in their own modules (`org`, `households`, `visits`, `issues`, `directives`, `outbox`) as
//! `impl Store` blocks, as do the read-only field workflows over them (`duplicates`, `coverage`, `silence`,
//! `measures`); this module holds the connection, the session and the write-transaction helper.

pub mod cipher;
mod coverage;
mod directive_followup;
mod directives;
mod drafts;
mod duplicates;
pub(crate) mod evidence;
mod evidence_cache;
mod households;
mod issues;
mod measures;
mod org;
mod outbox;
mod people;
pub mod schema;
mod silence;
mod sync_state;
mod triage;
mod visits;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use linkage_protocol::hlc::Hlc;
use linkage_protocol::labels::Locale;
use linkage_protocol::model::{Actor, OrgLevel, Role};
use linkage_protocol::rules::ack_window::AckWindowPolicy;
use linkage_protocol::rules::cadence::CadencePolicy;
use linkage_protocol::rules::duplicates::DuplicatePolicy;
use linkage_protocol::rules::geo::OnSitePolicy;
use linkage_protocol::rules::sla::SlaRules;
use linkage_protocol::wire::{OpBody, Operation};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::de::DeserializeOwned;

pub use coverage::{CoverageRow, VisitCoverageReport};
pub use directive_followup::TaskReportRow;
pub use directives::{DirectiveCoverageRow, DirectiveInput, DirectiveRow, HouseholdAckInfo, HouseholdAckRow, SilentNodeRow};
pub use drafts::{DraftFieldsRow, DraftKind, DraftRow, DraftSubmitted};
pub use duplicates::DuplicateRow;
pub use evidence::{EvidenceRow, EvidenceTarget};
pub use evidence_cache::{CacheUsage, PhotoFetch, PhotoSize, RecordPhotoRow, DEFAULT_CACHE_LIMIT_BYTES};
pub use households::{HouseholdFilter, HouseholdRow, OverdueRow};
pub use issues::{IssueCommand, IssueInput, IssueListScope, IssueRow, TimelineRow};
pub use measures::MeasuresReport;
pub use org::{BundleCounts, NodeRow};
pub use outbox::OutboxCounts;
pub use people::{OrgNodeRow, PersonRow};
pub use silence::SilentChildRow;
pub use sync_state::{PendingBlob, QuarantinedOp, SyncMeta};
pub use triage::{DashboardNode, DashboardReport, MergeRow, OverviewFilter, DECISIONS, OPEN_STATES};
pub use visits::{VisitInput, VisitRow};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::observe::{ChangeTopic, Topics};

/// County-configurable policies the rules take as input.
#[derive(Debug, Clone)]
pub struct Policies {
    pub on_site: OnSitePolicy,
    pub cadence: CadencePolicy,
    /// Time limits over the working-day calendar (shared, read-only while writing).
    pub sla: Arc<SlaRules>,
    /// Radius and window of duplicate suggestions (defaults: 200 m, 14 days).
    pub duplicates: DuplicatePolicy,
    /// Directive acknowledgement windows by kind (defaults: alert 2 h, notice 24 h).
    pub ack_windows: AckWindowPolicy,
    /// What personal data each role receives; a role that does not see every tag may not correct tags.
    pub privacy: linkage_protocol::rules::privacy::PrivacyPolicy,
    /// Where a liaison head's report lands first (the township, or the village branch; `rules::intake`).
    pub intake: linkage_protocol::rules::intake::IntakePolicy,
}

impl Default for Policies {
    fn default() -> Self {
        Policies {
            on_site: OnSitePolicy::default(),
            cadence: CadencePolicy::default(),
            sla: Arc::new(SlaRules::china_default()),
            duplicates: DuplicatePolicy::default(),
            ack_windows: AckWindowPolicy::default(),
            privacy: Default::default(),
            intake: Default::default(),
        }
    }
}

impl Policies {
    /// The policies a county's (validated) configuration sets.
    pub fn from_config(config: &linkage_protocol::wire::CountyConfig) -> Policies {
        // The same construction as the server's (protocol::rules::county).
        let r = linkage_protocol::rules::county::CountyRules::from_config(config);
        Policies {
            on_site: r.on_site,
            cadence: r.cadence,
            sla: Arc::new(r.sla),
            duplicates: r.duplicates,
            ack_windows: r.ack_windows,
            privacy: r.privacy,
            intake: r.intake,
        }
    }
}

/// The signed-in user of this device: who acts, plus display facts.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub user_name: String,
    pub node_name: String,
    pub node_level: OrgLevel,
}

/// The local database and the state that goes with it.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    clock: Arc<dyn Clock>,
    device_id: String,
    hlc: Hlc,
    session: Option<Session>,
    /// Where evidence photos are stored: `<db dir>/evidence`.
    evidence_dir: PathBuf,
    /// Server clock minus device clock, learned at each sync.
    clock_offset_ms: i64,
    pub(crate) policies: Policies,
    pub(crate) locale: Locale,
    /// Topics changed by committed writes since the facade last took them (for the change observer).
    changed: Topics,
    /// Whether a committed write queued an operation since the facade last asked (a sync is then due).
    queued_op: bool,
    /// A draft that the next write transaction turns into its record: deleted in that same transaction.
    finishing_draft: Option<String>,
    /// Compiled forms and the live evaluation of the form draft being filled (问卷).
    pub(crate) forms: crate::forms::FormCache,
    /// Whether [`Store::set_bulk_load`] turned fsync off (`synchronous=OFF` until it is turned back).
    bulk_load: bool,
}

/// A write transaction: the change and its outbox operation commit together or not at all.
pub(crate) struct Tx<'a> {
    pub(crate) tx: Transaction<'a>,
    pub(crate) now_ms: i64,
    device_id: &'a str,
    hlc: &'a mut Hlc,
    /// What this transaction changes, handed to the change observer once it commits.
    pub(crate) topics: Topics,
    queued_op: bool,
}

impl Tx<'_> {
    /// The next hybrid-logical-clock reading, encoded.
    pub(crate) fn next_hlc(&mut self) -> String {
        *self.hlc = self.hlc.tick(self.now_ms);
        self.hlc.encode(self.device_id)
    }

    /// Appends an operation to the outbox. A reused op id is refused (`DuplicateOperation`), which aborts the
    /// whole transaction so the change it describes is not stored either.
    pub(crate) fn enqueue(&mut self, op_id: &str, hlc: &str, body: &OpBody) -> Result<()> {
        let payload = serde_json::to_string(body)?;
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO outbox (op_id, kind, payload, hlc, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(op_id) DO NOTHING",
            )?
            .execute(rusqlite::params![op_id, body.kind(), payload, hlc, self.now_ms])?;
        if inserted == 0 {
            return Err(Error::DuplicateOperation { op_id: op_id.to_string() });
        }
        self.topics.add(Topics::of_op(body).with(ChangeTopic::Outbox));
        self.queued_op = true;
        self.tx
            .prepare_cached("INSERT INTO meta (key, value) VALUES ('hlc', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value")?
            .execute([hlc])?;
        Ok(())
    }

    /// A new operation with a fresh UUIDv7 op id.
    pub(crate) fn new_op(&mut self, body: OpBody) -> Operation {
        let hlc = self.next_hlc();
        Operation { op_id: new_id(), hlc, body }
    }

    /// Enqueues an operation built with [`Tx::new_op`].
    pub(crate) fn enqueue_op(&mut self, op: &Operation) -> Result<()> {
        self.enqueue(&op.op_id, &op.hlc, &op.body)
    }
}

/// A new time-ordered id (UUIDv7) for records and operations.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl Store {
    /// Opens (creating or migrating) the database file at `path`.
    /// Plain SQLite: only Rust tests and benchmarks; the shells open with a key ([`Store::open_encrypted`]).
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        Store::open_with_key(path, None, clock)
    }

    /// Opens (creating or migrating) the SQLCipher database at `path` with `key`. A plain store found there is
    /// encrypted in place first; a file under another key is [`Error::WrongKey`] and stays untouched.
    pub fn open_encrypted(path: &Path, key: &cipher::StoreKey, clock: Arc<dyn Clock>) -> Result<Store> {
        Store::open_with_key(path, Some(key), clock)
    }

    fn open_with_key(path: &Path, key: Option<&cipher::StoreKey>, clock: Arc<dyn Clock>) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let evidence_dir = path.parent().unwrap_or(Path::new(".")).join("evidence");
        let conn = match key {
            Some(key) => cipher::open_keyed(path, key)?,
            None => Connection::open(path)?,
        };
        let mut store = Store::from_connection(conn, clock, evidence_dir)?;
        // Photos of forms never saved, files of a kill mid-ingest: nothing refers to them any more.
        store.sweep_orphan_evidence()?;
        Ok(store)
    }

    /// An in-memory store (tests).
    pub fn open_in_memory(clock: Arc<dyn Clock>) -> Result<Store> {
        let evidence_dir = std::env::temp_dir().join(format!("linkage-evidence-{}", new_id()));
        Store::from_connection(Connection::open_in_memory()?, clock, evidence_dir)
    }

    fn from_connection(mut conn: Connection, clock: Arc<dyn Clock>, evidence_dir: PathBuf) -> Result<Store> {
        // WAL for concurrent readers, FULL so an acknowledged save survives power loss.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // The statements of a pulled page (visits, issue events and their projections, coverage) and of a save
        // (with the coverage triggers compiled in) stay prepared (rusqlite keeps 16 by default).
        conn.set_prepared_statement_cache_capacity(128);
        schema::migrate(&mut conn)?;
        let device_id = match meta_get(&conn, "device_id")? {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
                meta_set(&conn, "device_id", &id)?;
                id
            }
        };
        let hlc = meta_get(&conn, "hlc")?.and_then(|s| Hlc::parse(&s)).unwrap_or_default();
        let policies = match meta_get(&conn, "county_config")? {
            Some(json) => Policies::from_config(&serde_json::from_str(&json)?),
            None => Policies::default(),
        };
        // Issues stored before schema 8, or under other time-limit rules (a new shipped calendar): their
        // measure facts are worked out again.
        measures::ensure_measure_facts(&mut conn, &policies.sla)?;
        let clock_offset_ms = meta_get(&conn, "clock_offset_ms")?.and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut store = Store {
            conn,
            clock,
            device_id,
            hlc,
            session: None,
            evidence_dir,
            clock_offset_ms,
            policies,
            locale: Locale::ZhCn,
            changed: Topics::NONE,
            queued_op: false,
            finishing_draft: None,
            forms: Default::default(),
            bulk_load: false,
        };
        if let Some(user_id) = meta_get(&store.conn, "session_user_id")? {
            // A session whose user vanished (bundle replaced) is simply dropped.
            store.session = store.load_session(&user_id).ok();
        }
        Ok(store)
    }

    /// Current time as the store sees it: the device clock corrected by the server offset.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms() + self.clock_offset_ms
    }

    /// A time read from the device's own clock — a platform GPS fix's time, the moment a form opened — on
    /// the clock this store stamps records with (`now_ms`: the device's corrected by the server offset). A
    /// visit is graded by comparing its fix's time with its own start and end (`geo::assess`, on the phone
    /// and again on the server), so the three must be on one clock: a fix left on the device's clock while
    /// the visit's times are corrected grades a fresh fix 定位已过期 on any phone whose clock is off (by as
    /// little as the half round trip of its last sync).
    pub fn on_record_clock(&self, device_ms: i64) -> i64 {
        device_ms.saturating_add(self.clock_offset_ms)
    }

    /// `fix` as the platform gave it (its time on the device's clock) with its time on the record clock
    /// ([`Store::on_record_clock`]); a time that is no real time (≤ 0) is kept, to be refused as such.
    pub fn fix_on_record_clock(&self, fix: linkage_protocol::model::GpsFix) -> linkage_protocol::model::GpsFix {
        if fix.fix_time_ms <= 0 {
            return fix;
        }
        linkage_protocol::model::GpsFix { fix_time_ms: self.on_record_clock(fix.fix_time_ms), ..fix }
    }

    /// The device's own clock, without the server offset (for measuring the offset).
    pub fn device_now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// This installation's device id (part of every HLC reading).
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// Runs `f` in one IMMEDIATE write transaction; commits on success, rolls back on any error.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let now_ms = self.now_ms();
        // A submitted draft goes in the same transaction as the record it becomes (or not at all).
        let finishing = self.finishing_draft.take();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut hlc = self.hlc;
        let (out, topics, queued_op) = {
            let mut w = Tx { tx, now_ms, device_id: &self.device_id, hlc: &mut hlc, topics: Topics::NONE, queued_op: false };
            let out = f(&mut w)?;
            if let Some(draft_id) = &finishing {
                drafts::delete_draft_rows(&w.tx, draft_id)?;
                w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            }
            w.tx.commit()?;
            (out, w.topics, w.queued_op)
        };
        self.hlc = hlc;
        self.changed.add(topics);
        self.queued_op |= queued_op;
        Ok(out)
    }

    /// Runs `f` like [`Store::write`] (one IMMEDIATE transaction, all or nothing) but commits it with
    /// `synchronous=NORMAL`: for a form draft being filled, one small commit per answer (ADR 0014). In WAL mode
    /// a NORMAL commit is in the WAL file when this returns, so it survives the app being killed (DESIGN §11
    /// asks that of drafts); it skips the fsync, so a power cut or OS crash before the next synced commit or
    /// checkpoint may lose the latest answers, never corrupt the file. The connection is set back to FULL
    /// before this returns, whatever `f` did, so every other write — a submitted response with its outbox
    /// operation included — stays FULL. During a bulk load (`synchronous=OFF`) it changes nothing.
    pub(crate) fn write_draft<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        if self.bulk_load {
            return self.write(f);
        }
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let out = self.write(f);
        let restored = self.conn.pragma_update(None, "synchronous", "FULL");
        let out = out?;
        restored?;
        Ok(out)
    }

    /// Records that `topics` changed outside [`Store::write`] (session, sync bookkeeping).
    pub(crate) fn touch(&mut self, topics: Topics) {
        self.changed.add(topics);
    }

    /// The topics changed since the last call, and whether an operation was queued meanwhile; both reset.
    pub fn take_changes(&mut self) -> (Topics, bool) {
        (std::mem::take(&mut self.changed), std::mem::take(&mut self.queued_op))
    }

    /// Re-encrypts the store with `new_key` (the old key stops working once this returns).
    pub fn rekey(&mut self, new_key: &cipher::StoreKey) -> Result<()> {
        cipher::rekey(&self.conn, new_key)
    }

    /// Turns fsync on commit off (`true`) or back to FULL (`false`). Only for bulk seeding, such as a
    /// benchmark's or a first import's: a crash meanwhile may lose the latest commits, never corrupt.
    pub fn set_bulk_load(&mut self, on: bool) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", if on { "OFF" } else { "FULL" })?;
        self.bulk_load = on;
        Ok(())
    }

    /// Read access to the connection.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The signed-in session, or `NotSignedIn`.
    pub fn session(&self) -> Result<&Session> {
        self.session.as_ref().ok_or(Error::NotSignedIn)
    }

    pub(crate) fn actor(&self) -> Result<&Actor> {
        Ok(&self.session()?.actor)
    }

    /// Signs `user_id` in on this device (the user must exist in the loaded bundle).
    pub fn sign_in(&mut self, user_id: &str) -> Result<Session> {
        let session = self.load_session(user_id)?;
        meta_set(&self.conn, "session_user_id", user_id)?;
        self.session = Some(session.clone());
        self.touch(Topics::all());
        Ok(session)
    }

    /// Signs out; local data stays (it belongs to the device's scope, not the user).
    pub fn sign_out(&mut self) -> Result<()> {
        self.conn.execute("DELETE FROM meta WHERE key = 'session_user_id'", [])?;
        self.session = None;
        self.touch(Topics::all());
        Ok(())
    }

    fn load_session(&self, user_id: &str) -> Result<Session> {
        linkage_protocol::validate::id("user_id", user_id)?;
        self.conn
            .query_row(
                "SELECT u.name, u.role, u.node_id, n.path, n.name, n.level
                 FROM users u JOIN org_nodes n ON n.id = u.node_id WHERE u.id = ?1",
                [user_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?
            .map(|(user_name, role, node_id, node_path, node_name, level)| {
                Ok(Session {
                    actor: Actor { user_id: user_id.to_string(), role: parse_enum::<Role>(&role)?, node_id, node_path },
                    user_name,
                    node_name,
                    node_level: parse_enum(&level)?,
                })
            })
            .unwrap_or_else(|| Err(Error::not_found("user", user_id)))
    }
}

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub(crate) fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// The snake_case name of a unit enum (its serde name), for SQL columns.
pub(crate) use linkage_protocol::wire::unit_name as enum_str;

/// Parses a unit enum from its snake_case SQL form.
pub(crate) fn parse_enum<T: DeserializeOwned>(s: &str) -> Result<T> {
    linkage_protocol::wire::from_unit_name(s).ok_or_else(|| Error::Corrupt(format!("unknown value '{s}' in the database")))
}

/// Clamps a requested page size to 1..=PAGE_SIZE_MAX.
pub(crate) fn page_limit(limit: u32) -> u32 {
    limit.clamp(1, linkage_protocol::validate::limits::PAGE_SIZE_MAX)
}

#[cfg(test)]
pub(crate) mod testing {
    //! A small fixture county for unit tests: county c → townships t1, t2 → branches b1 (t1), b2 (t2) →
    //! groups g1, g2 (b1), g3 (b2) → households; one user per role.
    use super::*;
    use crate::clock::ManualClock;

    pub const NOW: i64 = 1_780_000_000_000; // 2026-05-28

    /// The fixture shared with the integration and Kotlin binding tests.
    pub fn bundle_json() -> String {
        include_str!("../../tests/fixtures/bundle.json").to_string()
    }

    pub fn store() -> (Store, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(NOW));
        let mut store = Store::open_in_memory(clock.clone()).unwrap();
        store.load_bundle(&bundle_json()).unwrap();
        (store, clock)
    }

    /// A `FieldApp` on a file store in a temporary directory with the fixture bundle loaded, its clock at
    /// [`NOW`]. Keep the directory alive as long as the app.
    pub fn app() -> (Arc<crate::facade::FieldApp>, tempfile::TempDir) {
        let (app, _, dir) = app_with_clock();
        (app, dir)
    }

    /// [`app`] with its clock, for tests that move time.
    pub fn app_with_clock() -> (Arc<crate::facade::FieldApp>, Arc<ManualClock>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("bundle.json");
        std::fs::write(&bundle, bundle_json()).unwrap();
        let clock = Arc::new(ManualClock::new(NOW));
        let app = crate::facade::FieldApp::open_with_clock(&dir.path().join("linkage.db"), clock.clone()).unwrap();
        app.load_bundle(bundle.to_string_lossy().into_owned()).unwrap();
        (app, clock, dir)
    }

    /// Every row of every table, for "nothing changed" assertions.
    pub fn snapshot(store: &Store) -> Vec<String> {
        let conn = store.conn();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let mut out = Vec::new();
        for t in tables {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {t}")).unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    let mut s = format!("{t}:");
                    for i in 0..n {
                        s.push_str(&format!("{:?}|", r.get_ref(i)?));
                    }
                    Ok(s)
                })
                .unwrap();
            let mut rows: Vec<String> = rows.map(|r| r.unwrap()).collect();
            rows.sort();
            out.extend(rows);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn pragmas_are_wal_and_full_on_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(crate::clock::ManualClock::new(NOW));
        let store = Store::open(&dir.path().join("a/b/linkage.db"), clock).unwrap();
        let mode: String = store.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        let sync: i64 = store.conn().query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "FULL");
    }

    #[test]
    fn session_survives_reopen_and_device_id_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("linkage.db");
        let clock = Arc::new(crate::clock::ManualClock::new(NOW));
        let device = {
            let mut s = Store::open(&path, clock.clone()).unwrap();
            s.load_bundle(&bundle_json()).unwrap();
            s.sign_in("gw").unwrap();
            s.device_id().to_string()
        };
        let s = Store::open(&path, clock).unwrap();
        assert_eq!(s.device_id(), device);
        assert_eq!(s.session().unwrap().actor.user_id, "gw");
        assert_eq!(s.session().unwrap().node_level, OrgLevel::Branch);
    }

    /// A store written before encryption (plain SQLite, WAL, signed in) is encrypted in place on the first
    /// keyed open: rows, session and device id kept; afterwards it opens only with that key (`WrongKey`
    /// otherwise, file untouched), and after a re-key only with the new one.
    #[test]
    fn plain_store_is_migrated_in_place_then_needs_its_key() {
        use cipher::StoreKey;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("linkage.db");
        let clock = Arc::new(crate::clock::ManualClock::new(NOW));
        let device = {
            let mut s = Store::open(&path, clock.clone()).unwrap();
            s.load_bundle(&bundle_json()).unwrap();
            s.sign_in("gw").unwrap();
            s.device_id().to_string()
        };
        assert!(cipher::is_plain_sqlite(&path).unwrap());
        let key = StoreKey::from_bytes(&[0x5A; 32]).unwrap();
        {
            let s = Store::open_encrypted(&path, &key, clock.clone()).unwrap();
            assert_eq!(s.device_id(), device);
            assert_eq!(s.session().unwrap().actor.user_id, "gw");
            let mode: String = s.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
            assert_eq!(mode, "wal");
        }
        assert!(!cipher::is_plain_sqlite(&path).unwrap());
        assert!(Store::open(&path, clock.clone()).is_err(), "no key, no store");
        let before = std::fs::read(&path).unwrap();
        let other = StoreKey::from_bytes(&[0x5B; 32]).unwrap();
        assert!(matches!(Store::open_encrypted(&path, &other, clock.clone()), Err(Error::WrongKey)));
        assert_eq!(std::fs::read(&path).unwrap(), before, "a wrong key changes nothing");
        {
            let mut s = Store::open_encrypted(&path, &key, clock.clone()).unwrap();
            s.rekey(&other).unwrap();
            s.sign_in("gw").unwrap();
        }
        assert!(matches!(Store::open_encrypted(&path, &key, clock.clone()), Err(Error::WrongKey)));
        let s = Store::open_encrypted(&path, &other, clock).unwrap();
        assert_eq!(s.session().unwrap().actor.user_id, "gw");
    }

    #[test]
    fn sign_in_errors() {
        let (mut s, _) = store();
        assert!(matches!(s.session(), Err(Error::NotSignedIn)));
        assert!(matches!(s.sign_in("nobody"), Err(Error::NotFound { .. })));
        assert!(matches!(s.sign_in("../x"), Err(Error::Field(_))));
        s.sign_in("ts").unwrap();
        s.sign_out().unwrap();
        assert!(matches!(s.session(), Err(Error::NotSignedIn)));
    }
}
