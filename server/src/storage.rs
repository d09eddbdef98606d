//! The storage seam: everything the HTTP layer, the CLI and the demo seeder need from the database, as one
//! trait, so a PostgreSQL backend can replace the embedded SQLite one (`sqlite::SqliteStorage`) without
//! touching handlers. Methods are blocking; async handlers call them through `tokio::task::spawn_blocking`.

use linkage_protocol::model::Role;
use linkage_protocol::sync::{Change, OpOutcome};
use linkage_protocol::wire::{Bundle, BundleHousehold, BundleNode, Operation};

pub use crate::apply::{NodeInfo, UserInfo};
use crate::error::Result;

/// A node ready to store: validated, with its materialized path.
#[derive(Debug, Clone)]
pub struct PlacedNode {
    pub node: BundleNode,
    pub path: String,
}

/// A household ready to store: validated, with its materialized path.
#[derive(Debug, Clone)]
pub struct PlacedHousehold {
    pub household: BundleHousehold,
    pub path: String,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub node_id: String,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// The device and user behind a token hash.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub device_id: String,
    pub expires_at_ms: i64,
    pub revoked: bool,
    pub user: UserInfo,
}

/// An account as sign-in sees it.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: UserInfo,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Consecutive failed sign-ins.
    pub failed_sign_ins: u32,
    /// Locked after too many failures, until `user unlock`.
    pub locked: bool,
    /// Disabled by `user disable`.
    pub disabled: bool,
    /// An initial or reset password: must be changed before a token is issued.
    pub must_change_password: bool,
}

/// A device to enrol (sign-in): binds `device_id` to the user with a new token.
#[derive(Debug, Clone)]
pub struct NewEnrolment {
    pub device_id: String,
    pub device_name: String,
    /// SHA-256 of the phone's device secret (`None`: an older phone that sends none).
    pub secret_hash: Option<String>,
    pub user_id: String,
    pub token_hash: String,
    pub expires_at_ms: i64,
    pub now_ms: i64,
}

/// What an enrolment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrolment {
    /// The device is the user's now, with the new token.
    Enrolled,
    /// The device was revoked: it must wipe itself (told only to the holder of its secret).
    Revoked,
    /// The device id belongs to another installation (another secret, or another user's secret-less device).
    Taken,
}

/// A device, for `device list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub device_id: String,
    pub user_id: String,
    pub device_name: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub last_seen_at_ms: Option<i64>,
    pub revoked: bool,
    /// Enrolled with a device secret.
    pub bound: bool,
    /// Its token was ended by a password change (sign in again).
    pub signed_out: bool,
}

/// Row counts, for the CLI and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub nodes: u64,
    pub households: u64,
    pub users: u64,
    pub issues: u64,
    pub issue_events: u64,
    pub visits: u64,
    pub directives: u64,
    pub changes: u64,
}

/// A blob's upload state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobState {
    /// Nothing received.
    Absent,
    /// This many bytes received so far.
    Partial(u64),
    /// Stored and verified; its size.
    Complete(u64),
}

/// What an upload request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobWrite {
    /// The blob is complete and its hash verified (or was already).
    Complete(u64),
    /// Bytes stored; more are expected. Total received so far.
    Partial(u64),
    /// The offset is past what was received; resume from this many bytes.
    OffsetMismatch(u64),
    /// The bytes do not hash to the name: discarded.
    HashMismatch,
    /// The blob would exceed the size limit: discarded.
    TooLarge,
    /// The bytes would leave an unfinished upload while this device already holds as many (or as many bytes of
    /// them) as allowed ([`BlobLimits`]): this request's bytes are discarded.
    TooManyUnfinished,
}

/// Who sends an upload's bytes, and when (recorded on the blob's row).
#[derive(Debug, Clone, Copy)]
pub struct Uploader<'a> {
    pub user_id: &'a str,
    pub device_id: &'a str,
    pub now_ms: i64,
}

/// Caps on uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobLimits {
    /// Largest blob.
    pub max_size: u64,
    /// Unfinished (partial) uploads one device may hold.
    pub partials_per_device: u32,
    /// Bytes of unfinished uploads one device may hold.
    pub partial_bytes_per_device: u64,
}

/// When blob collection removes what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobGcPolicy {
    /// An unfinished upload not continued for this long is removed (the phone starts it again from 0).
    pub partial_ttl_ms: i64,
    /// A complete blob that no record refers to is removed this long after its upload.
    pub unreferenced_grace_ms: i64,
}

impl Default for BlobGcPolicy {
    fn default() -> BlobGcPolicy {
        // Rural phones may stay offline for days: an upload cut on Friday may resume on Monday.
        BlobGcPolicy { partial_ttl_ms: 3 * 24 * 3600 * 1000, unreferenced_grace_ms: 7 * 24 * 3600 * 1000 }
    }
}

/// What one blob collection removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BlobGc {
    /// Unfinished uploads past their time.
    pub partials_expired: u64,
    /// Complete blobs no record refers to, past the grace period.
    pub unreferenced_removed: u64,
    /// Files in the blob directory with no row (a crash between the write and its row), past their time.
    pub stray_files_removed: u64,
    /// Bytes freed on disk.
    pub bytes_freed: u64,
}

/// A stored form version, for `form list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRow {
    pub form_id: String,
    pub version: u32,
    pub title: String,
    pub target_path: String,
    pub published_at_ms: i64,
    pub retired_at_ms: Option<i64>,
    pub responses: u64,
}

/// Opens the storage a command names: PostgreSQL when `database` is a `postgres://` URL (blobs in
/// `data_dir/blobs`, a directory every server of the deployment shares), else SQLite in `data_dir`.
pub fn open(database: Option<&str>, data_dir: &std::path::Path) -> Result<std::sync::Arc<dyn Storage>> {
    match database {
        Some(url) if crate::postgres::is_postgres_url(url) => Ok(std::sync::Arc::new(crate::postgres::PgStorage::open(url, data_dir)?)),
        Some(other) => Err(crate::Error::Invalid(format!("--database: '{other}' is not a postgres:// URL"))),
        None => Ok(std::sync::Arc::new(crate::sqlite::SqliteStorage::open(data_dir)?)),
    }
}

/// The storage a test runs on: its own PostgreSQL database when `LINKAGE_TEST_DATABASE` names a cluster
/// (the second run of the suite, scripts/test.sh), else SQLite in `data_dir`; and that database's URL.
#[doc(hidden)]
pub fn open_for_test(data_dir: &std::path::Path) -> (std::sync::Arc<dyn Storage>, Option<String>) {
    let url = crate::postgres::test_database();
    (open(url.as_deref(), data_dir).unwrap_or_else(|e| panic!("test storage: {e}")), url)
}

/// Whether the tests run on PostgreSQL (`LINKAGE_TEST_DATABASE`).
#[doc(hidden)]
pub fn testing_postgres() -> bool {
    std::env::var("LINKAGE_TEST_DATABASE").is_ok_and(|u| crate::postgres::is_postgres_url(&u))
}

/// Everything the server stores.
pub trait Storage: Send + Sync + 'static {
    /// A user with their node, and the password hash.
    fn user_credentials(&self, user_id: &str) -> Result<Option<(UserInfo, String)>>;
    /// Whether the device was revoked (`None`: never enrolled).
    fn device_revoked(&self, device_id: &str) -> Result<Option<bool>>;
    /// The account behind a user id, with its protection state.
    fn account(&self, user_id: &str) -> Result<Option<Account>>;
    /// Counts a failed sign-in of a known account; at `lock_after` consecutive failures the account locks.
    /// Returns (failures, whether this failure locked it).
    fn sign_in_failed(&self, user_id: &str, lock_after: u32) -> Result<(u32, bool)>;
    /// A successful sign-in: the failure count restarts.
    fn sign_in_succeeded(&self, user_id: &str) -> Result<()>;
    /// Unlocks a locked account (and clears its failures). False if the user is unknown.
    fn unlock_user(&self, user_id: &str) -> Result<bool>;
    /// Disables an account and revokes (wipe order) all its devices. `None` if unknown, else devices revoked.
    fn disable_user(&self, user_id: &str) -> Result<Option<u32>>;
    /// Sets a new password hash (`must_change`: an initial/reset one) and ends every token of the user (its
    /// devices must sign in again; no wipe). Returns how many devices were signed out; `NotFound` if unknown.
    fn set_password(&self, user_id: &str, password_hash: &str, must_change: bool, now_ms: i64) -> Result<u32>;
    /// Enrols a device for a user with a new token, unless the id belongs to another installation or was revoked.
    fn enroll_device(&self, e: &NewEnrolment) -> Result<Enrolment>;
    /// The device and user a token hash belongs to. A refreshed token not used yet becomes the device's token
    /// on its first use (the previous one stops working then).
    fn token(&self, token_hash: &str, now_ms: i64) -> Result<Option<TokenRecord>>;
    /// Refresh: issues `new_hash` as the device's next token while `current_hash` stays valid until the new
    /// one is first used (a lost answer cannot lock the phone out; a repeated refresh replaces the unused one).
    /// False if `current_hash` is no longer the device's token.
    fn rotate_token(&self, device_id: &str, current_hash: &str, new_hash: &str, expires_at_ms: i64) -> Result<bool>;
    /// Revokes a device: its token answers `device_revoked` with a wipe order. False if unknown.
    fn revoke_device(&self, device_id: &str) -> Result<bool>;
    /// Devices, of one user or all, ordered by user then device id.
    fn devices(&self, user_id: Option<&str>) -> Result<Vec<DeviceRow>>;
    /// Creates or updates a user.
    fn put_user(&self, user: &NewUser) -> Result<()>;
    /// Appends an event to the hash-chained audit trail.
    fn audit(&self, event: &crate::audit::Event, now_ms: i64) -> Result<()>;
    /// Audit rows with `from_ms <= at_ms < to_ms`, oldest first.
    fn audit_rows(&self, from_ms: i64, to_ms: i64) -> Result<Vec<crate::audit::Row>>;
    /// Checks the whole audit chain (from the retention anchor).
    fn audit_verify(&self) -> Result<crate::audit::Verification>;
    /// Removes audit rows older than `before_ms` (oldest first), keeping the chain's anchor. Returns rows removed.
    fn audit_prune(&self, before_ms: i64, now_ms: i64) -> Result<u64>;
    /// A fact about the data directory (`server_meta`).
    fn server_meta(&self, key: &str) -> Result<Option<String>>;
    /// Sets a fact about the data directory, durably.
    fn set_server_meta(&self, key: &str, value: &str) -> Result<()>;
    /// One org node.
    fn node(&self, id: &str) -> Result<Option<NodeInfo>>;
    /// Whether a county node exists.
    fn has_county(&self) -> Result<bool>;
    /// The county's settings (县级配置) with its imported yearly calendars; the defaults when none were set.
    fn county_config(&self) -> Result<linkage_protocol::wire::CountyConfig>;
    /// Replaces the county's settings (calendars included) after validating them, and puts them into the
    /// change feed for every phone, in one transaction. Invalid settings (`Error::Invalid`) change nothing.
    fn set_county_config(&self, config: &linkage_protocol::wire::CountyConfig, now_ms: i64) -> Result<()>;
    /// Stores a county's yearly holiday calendar (the format of `protocol/calendars/2026.json`), replacing
    /// the file of the same year, and puts the new settings into the change feed, in one transaction.
    /// Returns the year. A bad file (`Error::Invalid`, naming the problem) changes nothing.
    fn import_calendar(&self, year_file: &str, now_ms: i64) -> Result<i32>;
    /// Stores validated nodes and households in one transaction (all or nothing).
    fn import_org(&self, nodes: &[PlacedNode], households: &[PlacedHousehold]) -> Result<()>;
    /// Applies one operation as `user`, idempotently by op id, in its own transaction.
    fn apply_op(&self, user: &UserInfo, op: &Operation, now_ms: i64) -> Result<OpOutcome> {
        Ok(self.apply_ops(user, std::slice::from_ref(op), now_ms)?.remove(0))
    }
    /// Applies a pushed batch as `user`, in order, each op idempotently by op id, all in one durable
    /// transaction (one fsync per batch): a rejected op leaves no trace and does not stop the others; a storage
    /// failure applies none of them (the phone resends the batch; its ops come back as duplicates or applied).
    fn apply_ops(&self, user: &UserInfo, ops: &[Operation], now_ms: i64) -> Result<Vec<OpOutcome>>;
    /// The overdue sweep over every open issue, a page of issues per transaction: marks each issue whose current step ran
    /// out (see [`crate::apply::sweep_issue`]) and puts the mark in the change feed. Returns how many it marked.
    fn sweep_overdue(&self, now_ms: i64, rules: &linkage_protocol::rules::sla::SlaRules) -> Result<u32>;
    /// The change feed's head (its highest sequence number), published after every commit that adds to the
    /// feed in this process (pushes, the sweep, the demo seeder, in-process CLI writes). Long-polling pulls
    /// wait on it instead of polling the database.
    fn feed_head(&self) -> tokio::sync::watch::Receiver<i64>;
    /// Reads the head from the database and publishes it if it moved (a write by another process, e.g. the
    /// `sweep` command); returns it.
    fn refresh_feed_head(&self) -> Result<i64>;
    /// Changes visible at `scope_path` after `after`, at most `limit`; and whether more follow.
    fn changes(&self, scope_path: &str, after: i64, limit: u32) -> Result<(Vec<Change>, bool)>;
    /// The bundle for the subtree at `node_path`: its ancestors, subtree, households and users.
    fn bundle(&self, node_path: &str) -> Result<Bundle>;
    /// A blob's upload state.
    fn blob_state(&self, hash: &str) -> Result<BlobState>;
    /// Writes `bytes` at `offset`; `last` says the upload ends with these bytes (verify and complete). An
    /// unfinished upload is recorded with its uploader and time, within the device's caps (`limits`). The caller
    /// checks first that the uploader may send this hash ([`Storage::blob_cited_by`]).
    fn blob_write(&self, hash: &str, offset: u64, bytes: &[u8], last: bool, uploader: Uploader<'_>, limits: &BlobLimits) -> Result<BlobWrite>;
    /// Whether an applied record of `user_id` cites the blob (who may upload it).
    fn blob_cited_by(&self, hash: &str, user_id: &str) -> Result<bool>;
    /// Removes unfinished uploads past their time, complete blobs no record refers to past the grace period,
    /// and stray files; serialized with uploads.
    fn blob_gc(&self, now_ms: i64, policy: &BlobGcPolicy) -> Result<BlobGc>;
    /// The complete blob's bytes.
    fn blob_read(&self, hash: &str) -> Result<Option<Vec<u8>>>;
    /// Whether some record under `scope_path` refers to the blob.
    fn blob_referenced_within(&self, hash: &str, scope_path: &str) -> Result<bool>;
    /// Row counts.
    fn counts(&self) -> Result<Counts>;
    /// Stores a checked form version published to the subtree of `def.target.node_id` (none: the county) and
    /// puts it into the change feed for the phones there, in one transaction; returns the subtree's path. A
    /// version not above the form's newest one is refused (`Error::Invalid`): stored versions never change,
    /// so old answers keep their definition.
    fn publish_form(&self, def: &linkage_protocol::forms::FormDef, now_ms: i64) -> Result<String>;
    /// Retires a form version (its responses are refused from now on) and tells the phones. False if no such
    /// version is in force.
    fn retire_form(&self, form_id: &str, version: u32, now_ms: i64) -> Result<bool>;
    /// Every stored form version with its count of responses, by form id and version.
    fn forms(&self) -> Result<Vec<FormRow>>;
    /// Users of a role, ordered by id (demo banner, tests).
    fn users_with_role(&self, role: Role, limit: u32) -> Result<Vec<UserInfo>>;
    /// Runs `f` in one read-only snapshot transaction of the database (`crate::readtx`): the console's lists,
    /// pages and dashboard, the measures export and the form report read through it, with queries written once
    /// for both backends. Every statement of `f` sees the same committed state; nothing is written. Blocking;
    /// call [`crate::readtx::read`] for a typed answer.
    fn read_snapshot(&self, f: &mut (dyn FnMut(&crate::readtx::ReadTx<'_>) -> Result<()> + Send)) -> Result<()>;
}
