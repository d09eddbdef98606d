//! The audit trail (审计记录; 等保 2.0 安全审计, 网络安全法 Art. 21: kept ≥ 6 months): who signed in or failed to,
//! lock-outs, token refreshes and revocations, user and device administration, bundle and blob downloads, imports
//! and exports. Rows are appended to one table, each carrying the SHA-256 of the row before it (a hash chain), so
//! `linkage-server audit verify` finds the first row edited or deleted since it was written. Rows older than the
//! retention period (≥ 180 days, configurable) are pruned oldest first; the prune leaves an anchor (the last pruned
//! row's hash) the chain continues from.
//!
//! Limits (docs/security.md): the chain has no secret key, so someone who can write the database file can
//! recompute it; deleting the newest rows leaves a valid shorter chain. Both are caught by comparing with a head
//! (seq, hash) kept elsewhere: the serving process logs the head daily and `audit verify` prints it.

use serde::Serialize;

/// The hash before the first row ever written.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Shortest retention a county may configure (等保 2.0: ≥ 6 months).
pub const MIN_RETENTION_DAYS: u32 = 180;

/// What happened. The names are the `action` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignInFailed,
    SignInThrottled,
    AccountLocked,
    AccountUnlocked,
    PasswordChanged,
    TokenRefreshed,
    TokensRevoked,
    DeviceTakeoverRefused,
    DeviceRevoked,
    UserSaved,
    UserDisabled,
    BundleDownload,
    BlobDownload,
    BlobUploadRefused,
    BlobsCollected,
    Import,
    MeasuresExport,
    AuditExport,
    AuditPruned,
    CalendarImport,
    CountySettingsSet,
    DirectiveIssued,
    FormImported,
    FormRetired,
    FormExport,
}

impl Action {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignInThrottled => "sign_in_throttled",
            Action::AccountLocked => "account_locked",
            Action::AccountUnlocked => "account_unlocked",
            Action::PasswordChanged => "password_changed",
            Action::TokenRefreshed => "token_refreshed",
            Action::TokensRevoked => "tokens_revoked",
            Action::DeviceTakeoverRefused => "device_takeover_refused",
            Action::DeviceRevoked => "device_revoked",
            Action::UserSaved => "user_saved",
            Action::UserDisabled => "user_disabled",
            Action::BundleDownload => "bundle_download",
            Action::BlobDownload => "blob_download",
            Action::BlobUploadRefused => "blob_upload_refused",
            Action::BlobsCollected => "blobs_collected",
            Action::Import => "import",
            Action::MeasuresExport => "measures_export",
            Action::AuditExport => "audit_export",
            Action::AuditPruned => "audit_pruned",
            Action::CalendarImport => "calendar_import",
            Action::CountySettingsSet => "county_settings_set",
            Action::DirectiveIssued => "directive_issued",
            Action::FormImported => "form_imported",
            Action::FormRetired => "form_retired",
            Action::FormExport => "form_export",
        }
    }
}

/// One event to record. `actor` is a user id, or `cli:<os user>` for the operator's commands; `subject` what it
/// acted on (a user, device, node, blob hash, file name); `address` the client's IP (empty for the CLI);
/// `detail` a small JSON object (never a password, token or personal data of residents).
#[derive(Debug, Clone)]
pub struct Event {
    pub actor: String,
    pub action: Action,
    pub subject: String,
    pub address: String,
    pub detail: serde_json::Value,
}

impl Event {
    /// An event with an empty detail.
    pub fn new(actor: impl Into<String>, action: Action, subject: impl Into<String>, address: impl Into<String>) -> Event {
        Event { actor: actor.into(), action, subject: subject.into(), address: address.into(), detail: serde_json::json!({}) }
    }

    /// The same event with this detail.
    pub fn with(mut self, detail: serde_json::Value) -> Event {
        self.detail = detail;
        self
    }
}

/// The operator behind a CLI command: `cli:<$USER>` (or `cli` when unknown).
pub fn cli_actor() -> String {
    match std::env::var("USER").or_else(|_| std::env::var("LOGNAME")) {
        Ok(u) if !u.is_empty() => format!("cli:{}", u.chars().filter(|c| !c.is_control()).take(32).collect::<String>()),
        _ => "cli".into(),
    }
}

/// A stored row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub address: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a row: SHA-256 of its fields and the previous hash, as one JSON array (unambiguous).
#[allow(clippy::too_many_arguments)]
pub fn row_hash(prev_hash: &str, seq: i64, at_ms: i64, actor: &str, action: &str, subject: &str, address: &str, detail: &str) -> String {
    let fields = serde_json::json!([prev_hash, seq, at_ms, actor, action, subject, address, detail]);
    crate::sqlite::sha256_hex(fields.to_string().as_bytes())
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Rows checked.
    pub rows: u64,
    /// The newest row's seq and hash (compare with a head kept elsewhere to detect deleted newest rows).
    pub head: Option<(i64, String)>,
    /// The first problem, if any.
    pub problem: Option<Problem>,
}

/// The first break in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Rows `from..=to` are missing (deleted), found before row `to + 1`.
    Missing { from: i64, to: i64 },
    /// The row's content no longer hashes to its stored hash (edited).
    Altered { seq: i64 },
    /// The row's `prev_hash` is not the hash of the row before (that row or this link was changed).
    Unlinked { seq: i64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing { from, to } if from == to => write!(f, "row {from} was deleted (审计记录被删除)"),
            Problem::Missing { from, to } => write!(f, "rows {from}–{to} were deleted (审计记录被删除)"),
            Problem::Altered { seq } => write!(f, "row {seq} was altered (审计记录被篡改)"),
            Problem::Unlinked { seq } => write!(f, "row {seq} does not follow the row before it (审计链断开)"),
        }
    }
}

/// Walks rows in seq order from the anchor (`(seq, hash)` of the last pruned row; `None`: from the start) and
/// reports the first break. `rows` yields rows oldest first.
pub fn verify(anchor: Option<(i64, String)>, rows: impl IntoIterator<Item = Row>) -> Verification {
    let (mut expected_seq, mut prev) = match anchor {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let mut count = 0;
    let mut head = None;
    for row in rows {
        count += 1;
        if row.seq != expected_seq {
            return Verification { rows: count, head, problem: Some(Problem::Missing { from: expected_seq, to: row.seq - 1 }) };
        }
        let recomputed = row_hash(&row.prev_hash, row.seq, row.at_ms, &row.actor, &row.action, &row.subject, &row.address, &row.detail);
        if recomputed != row.hash {
            return Verification { rows: count, head, problem: Some(Problem::Altered { seq: row.seq }) };
        }
        if row.prev_hash != prev {
            return Verification { rows: count, head, problem: Some(Problem::Unlinked { seq: row.seq }) };
        }
        prev = row.hash.clone();
        expected_seq += 1;
        head = Some((row.seq, row.hash));
    }
    Verification { rows: count, head, problem: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Row> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let hash = row_hash(&prev, seq, seq * 10, "ts1", "sign_in", "ts1", "127.0.0.1", "{}");
                let row = Row {
                    seq,
                    at_ms: seq * 10,
                    actor: "ts1".into(),
                    action: "sign_in".into(),
                    subject: "ts1".into(),
                    address: "127.0.0.1".into(),
                    detail: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                row
            })
            .collect()
    }

    #[test]
    fn verify_finds_the_first_edited_or_deleted_row() {
        let rows = chain(5);
        let ok = verify(None, rows.clone());
        assert_eq!((ok.rows, ok.problem.clone()), (5, None));
        assert_eq!(ok.head.unwrap().0, 5);

        let mut edited = rows.clone();
        edited[2].actor = "cs".into();
        assert_eq!(verify(None, edited).problem, Some(Problem::Altered { seq: 3 }));

        // Edited and re-hashed without fixing the next link: the next row no longer follows it.
        let mut rehashed = rows.clone();
        rehashed[1].subject = "lh1".into();
        let r = &rehashed[1];
        rehashed[1].hash = row_hash(&r.prev_hash, r.seq, r.at_ms, &r.actor, &r.action, &r.subject, &r.address, &r.detail);
        assert_eq!(verify(None, rehashed).problem, Some(Problem::Unlinked { seq: 3 }));

        let mut deleted = rows.clone();
        deleted.remove(3);
        assert_eq!(verify(None, deleted).problem, Some(Problem::Missing { from: 4, to: 4 }));
        let first_gone = rows[1..].to_vec();
        assert_eq!(verify(None, first_gone.clone()).problem, Some(Problem::Missing { from: 1, to: 1 }));
        // After a prune the anchor says where the chain resumes.
        assert_eq!(verify(Some((1, rows[0].hash.clone())), first_gone).problem, None);
    }
}
