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
}

/// Everything the server stores.
pub trait Storage: Send + Sync + 'static {
    /// A user with their node, and the password hash.
    fn user_credentials(&self, user_id: &str) -> Result<Option<(UserInfo, String)>>;
    /// Whether the device was revoked (`None`: never enrolled).
    fn device_revoked(&self, device_id: &str) -> Result<Option<bool>>;
    /// Binds (or rebinds) a device to a user with a new token hash, replacing any earlier token.
    fn enroll_device(&self, device_id: &str, device_name: &str, user_id: &str, token_hash: &str, expires_at_ms: i64, now_ms: i64) -> Result<()>;
    /// The device and user a token hash belongs to.
    fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>>;
    /// Replaces the device's token (refresh); false if `old_hash` is no longer the device's token.
    fn replace_token(&self, device_id: &str, old_hash: &str, new_hash: &str, expires_at_ms: i64) -> Result<bool>;
    /// Revokes a device: its token answers `device_revoked` with a wipe order. False if unknown.
    fn revoke_device(&self, device_id: &str) -> Result<bool>;
    /// Creates or updates a user.
    fn put_user(&self, user: &NewUser) -> Result<()>;
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
    /// Writes `bytes` at `offset`; `last` says the upload ends with these bytes (verify and complete).
    fn blob_write(&self, hash: &str, offset: u64, bytes: &[u8], last: bool, max_size: u64) -> Result<BlobWrite>;
    /// The complete blob's bytes.
    fn blob_read(&self, hash: &str) -> Result<Option<Vec<u8>>>;
    /// Whether some record under `scope_path` refers to the blob.
    fn blob_referenced_within(&self, hash: &str, scope_path: &str) -> Result<bool>;
    /// Row counts.
    fn counts(&self) -> Result<Counts>;
    /// Users of a role, ordered by id (demo banner, tests).
    fn users_with_role(&self, role: Role, limit: u32) -> Result<Vec<UserInfo>>;
}
