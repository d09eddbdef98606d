//! The store's side of sync (DESIGN §8): applying a pulled page of changes in one transaction together with
//! the new cursor; the outcome of a push (sent operations leave the outbox, rejected ones are quarantined with
//! their reason, never dropped); which evidence blobs still need uploading; the server connection, clock
//! offset and last result; and the wipe a revoked device must perform.

use linkage_protocol::hlc::Hlc;
use linkage_protocol::sync::{Change, RejectCode};
use linkage_protocol::wire::OpBody;
use rusqlite::params;

use super::{directives, enum_str, households, issues, meta_get, meta_set, visits, Store};
use crate::error::{Error, Result};
use crate::observe::{ChangeTopic, Topics};

/// An operation the server refused, kept with its reason for the user to see.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantinedOp {
    pub op_id: String,
    pub kind: String,
    pub reason_code: String,
    pub message: String,
    pub created_at_ms: i64,
}

/// An evidence file still to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingBlob {
    pub hash: String,
    pub path: std::path::PathBuf,
    pub byte_size: u64,
}

/// Where this device syncs and how the last sync went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncMeta {
    pub server_url: Option<String>,
    pub token: Option<String>,
    /// When the token expires (server time); refreshed by a sync well before.
    pub token_expires_at_ms: Option<i64>,
    pub cursor: i64,
    pub clock_offset_ms: i64,
    pub last_sync_at_ms: Option<i64>,
    pub last_error: Option<String>,
    /// The stable code (`ErrorCode::as_str`) of the last failure.
    pub last_error_code: Option<String>,
}

impl Store {
    /// Applies one pulled page: every change and the new cursor in one transaction. Changes already held
    /// (the device's own operations coming back, or a page pulled twice) are skipped. Returns how many were new.
    pub fn apply_changes(&mut self, changes: &[Change], next_cursor: i64) -> Result<u32> {
        let sla = self.policies.sla.clone();
        let mut hlc = self.hlc;
        let mut new_config = None;
        let applied = self.write(|w| {
            let mut applied = 0;
            // Issues whose log gained events in this page, refolded once each after the page's changes (each
            // issue's fold depends on its own log only, so their order does not matter).
            let mut touched_issues = std::collections::BTreeSet::new();
            for change in changes {
                if let Some(remote) = Hlc::parse(&change.op.hlc) {
                    hlc = hlc.observe(remote, w.now_ms);
                }
                let new = match &change.op.body {
                    OpBody::IssueEvent(e) => match issues::record_remote_event(&w.tx, e, change.seq)? {
                        Some(inserted) => {
                            touched_issues.insert(e.issue_id.as_str());
                            inserted
                        }
                        None => false,
                    },
                    OpBody::VisitRecorded(v) => {
                        let known: bool = w
                            .tx
                            .prepare_cached("SELECT EXISTS (SELECT 1 FROM visits WHERE id = ?1)")?
                            .query_row([&v.id], |r| r.get(0))?;
                        if !known {
                            visits::persist_visit(&w.tx, v, &change.op.hlc)?;
                        }
                        !known
                    }
                    OpBody::DirectiveIssued(d) => {
                        let target_path: Option<String> = rusqlite::OptionalExtension::optional(w.tx.query_row(
                            "SELECT path FROM org_nodes WHERE id = ?1",
                            [&d.target_node_id],
                            |r| r.get(0),
                        ))?;
                        match target_path {
                            Some(path) => directives::persist_directive(&w.tx, d, &path)?,
                            // A directive for a node this phone does not hold: not for us.
                            None => false,
                        }
                    }
                    OpBody::NodeAcknowledged(a) => directives::persist_node_ack(&w.tx, a)?,
                    OpBody::DirectiveRelayed(r) => directives::persist_relay(&w.tx, r)?,
                    OpBody::HouseholdAcknowledged(a) => directives::persist_household_ack(&w.tx, a)?,
                    OpBody::HouseholdEdited(e) => households::apply_household_edit(&w.tx, e)?,
                    OpBody::TaskReported(r) => {
                        let held: bool = w.tx.query_row(
                            "SELECT EXISTS (SELECT 1 FROM directives WHERE id = ?1)",
                            [&r.directive_id],
                            |row| row.get(0),
                        )?;
                        held && directives::persist_task_report(&w.tx, r)?
                    }
                    OpBody::DirectiveReminded(r) => super::directive_followup::persist_reminder(&w.tx, r)?,
                    OpBody::TaskReportReviewed(r) => super::directive_followup::persist_task_review(&w.tx, r)?,
                    // Forms (问卷): a version for the phone's users, a retired one, a response filled in scope.
                    OpBody::FormPublished(p) => crate::forms::persist_form(&w.tx, &p.form, w.now_ms)?,
                    OpBody::FormRetired(r) => crate::forms::retire_form(&w.tx, &r.form_id, r.version)?,
                    OpBody::FormResponseSubmitted(r) => crate::forms::persist_response(&w.tx, r)?,
                    // The county's new settings: stored with the page, in force once it commits. Settings
                    // this release cannot use are skipped (the current ones stay), never half-applied.
                    OpBody::CountyConfigSet(c) => match c.config.validate() {
                        Ok(()) => {
                            meta_set(&w.tx, "county_config", &serde_json::to_string(&c.config)?)?;
                            new_config = Some(c.config.clone());
                            true
                        }
                        Err(_) => false,
                    },
                };
                if new {
                    w.topics.add(Topics::of_op(&change.op.body));
                }
                applied += u32::from(new);
            }
            for issue_id in touched_issues {
                issues::refold_pulled(&w.tx, w.now_ms, issue_id, &sla)?;
            }
            if let Some(config) = &new_config {
                // The issues' deadlines under the county's new time limits, in the transaction that sets them.
                super::measures::refresh_measure_facts_if_stale(&w.tx, &super::Policies::from_config(config).sla)?;
            }
            meta_set(&w.tx, "pull_cursor", &next_cursor.to_string())?;
            meta_set(&w.tx, "hlc", &hlc.encode(""))?;
            Ok(applied)
        })?;
        self.hlc = self.hlc.max(hlc);
        if let Some(config) = new_config {
            self.policies = super::Policies::from_config(&config);
        }
        Ok(applied)
    }

    /// Removes operations the server stored (applied now or before) from the outbox.
    pub fn mark_pushed(&mut self, op_ids: &[String]) -> Result<()> {
        self.write(|w| {
            let mut stmt = w.tx.prepare_cached("DELETE FROM outbox WHERE op_id = ?1")?;
            for id in op_ids {
                stmt.execute([id])?;
            }
            w.topics.add(Topics::of(&[ChangeTopic::Outbox]));
            Ok(())
        })
    }

    /// Sets an operation aside with the server's reason; later operations still go.
    /// An issue event the server refused no longer counts in this phone's view of the issue (the server's
    /// truth comes back with the next pull); the operation itself stays listed with its reason.
    pub fn quarantine(&mut self, op_id: &str, code: RejectCode, message: &str) -> Result<()> {
        let sla = self.policies.sla.clone();
        self.write(|w| {
            w.tx.execute(
                "UPDATE outbox SET state = 'quarantined', reason = ?2 WHERE op_id = ?1",
                params![op_id, serde_json::to_string(&(enum_str(&code), message))?],
            )?;
            w.topics.add(Topics::of(&[ChangeTopic::Outbox, ChangeTopic::Issues]));
            issues::refuse_local_event(&w.tx, w.now_ms, op_id, &sla)
        })
    }

    /// The quarantined operations, oldest first.
    pub fn quarantined_ops(&self) -> Result<Vec<QuarantinedOp>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT op_id, kind, reason, created_at_ms FROM outbox WHERE state = 'quarantined' ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, i64>(3)?))
        })?;
        rows.map(|r| {
            let (op_id, kind, reason, created_at_ms) = r?;
            let (reason_code, message): (String, String) = reason
                .map(|s| serde_json::from_str(&s))
                .transpose()?
                .unwrap_or_else(|| ("unknown".into(), String::new()));
            Ok(QuarantinedOp { op_id, kind, reason_code, message, created_at_ms })
        })
        .collect()
    }

    /// Evidence files the server may not have yet.
    pub fn pending_blobs(&self, limit: u32) -> Result<Vec<PendingBlob>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT hash, byte_size FROM evidence WHERE upload_state = 'pending' ORDER BY created_at_ms, hash LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))?;
        rows.map(|r| {
            let (hash, byte_size) = r?;
            Ok(PendingBlob { path: self.evidence_dir().join(format!("{hash}.jpg")), hash, byte_size })
        })
        .collect()
    }

    /// Records that the server holds this blob.
    pub fn mark_uploaded(&mut self, hash: &str) -> Result<()> {
        self.write(|w| {
            w.tx.execute("UPDATE evidence SET upload_state = 'uploaded' WHERE hash = ?1", [hash])?;
            Ok(())
        })
    }

    /// The server connection and the last sync's outcome.
    pub fn sync_meta(&self) -> Result<SyncMeta> {
        let get = |k: &str| meta_get(self.conn(), k);
        Ok(SyncMeta {
            server_url: get("server_url")?,
            token: get("server_token")?,
            token_expires_at_ms: get("server_token_expires_ms")?.and_then(|s| s.parse().ok()),
            cursor: get("pull_cursor")?.and_then(|s| s.parse().ok()).unwrap_or(0),
            clock_offset_ms: self.clock_offset_ms,
            last_sync_at_ms: get("last_sync_at_ms")?.and_then(|s| s.parse().ok()),
            last_error: get("last_sync_error")?,
            last_error_code: get("last_sync_error_code")?,
        })
    }

    /// Remembers the server and this device's token with its expiry (server time).
    pub fn set_server(&mut self, url: &str, token: &str, expires_at_ms: i64) -> Result<()> {
        self.write(|w| {
            meta_set(&w.tx, "server_url", url)?;
            meta_set(&w.tx, "server_token", token)?;
            meta_set(&w.tx, "server_token_expires_ms", &expires_at_ms.to_string())
        })
    }

    /// This installation's enrolment identity on the server: an id and a 256-bit secret, both random, made at the
    /// first call and kept (also through a wipe, so a revoked installation stays recognisable). The enrolment id is
    /// not the id inside this phone's HLCs (which everyone in scope sees in the feed), and the server binds it to
    /// the secret: knowing it does not let anyone take the device over (ADR 0006).
    pub fn enrolment_identity(&mut self) -> Result<(String, String)> {
        if let (Some(id), Some(secret)) = (meta_get(self.conn(), "enrolment_id")?, meta_get(self.conn(), "device_secret")?) {
            return Ok((id, secret));
        }
        self.new_enrolment_identity()
    }

    /// Replaces the enrolment identity with a fresh one (the server said the id belongs to another installation).
    pub fn new_enrolment_identity(&mut self) -> Result<(String, String)> {
        let id = format!("e{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
        let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        self.write(|w| {
            meta_set(&w.tx, "enrolment_id", &id)?;
            meta_set(&w.tx, "device_secret", &secret)
        })?;
        Ok((id, secret))
    }

    /// Replaces the device token after a refresh.
    pub fn set_token(&mut self, token: &str, expires_at_ms: i64) -> Result<()> {
        self.write(|w| {
            meta_set(&w.tx, "server_token", token)?;
            meta_set(&w.tx, "server_token_expires_ms", &expires_at_ms.to_string())
        })
    }

    /// Records the server clock's offset from this device's clock, so deadlines stay right when the
    /// phone's clock is wrong. `now_ms` includes it from here on.
    pub fn set_clock_offset(&mut self, offset_ms: i64) -> Result<()> {
        meta_set(self.conn(), "clock_offset_ms", &offset_ms.to_string())?;
        self.clock_offset_ms = offset_ms;
        Ok(())
    }

    /// Records how a sync ended (`None` = success; else the error's stable code and technical text).
    pub fn record_sync_result(&mut self, error: Option<(&str, &str)>) -> Result<()> {
        let now = self.now_ms();
        self.write(|w| {
            match error {
                None => {
                    meta_set(&w.tx, "last_sync_at_ms", &now.to_string())?;
                    w.tx.execute("DELETE FROM meta WHERE key IN ('last_sync_error', 'last_sync_error_code')", [])?;
                }
                Some((code, detail)) => {
                    meta_set(&w.tx, "last_sync_error", detail)?;
                    meta_set(&w.tx, "last_sync_error_code", code)?;
                }
            }
            Ok(())
        })
    }

    /// Deletes every local record, the outbox, the session and the evidence files: what a revoked device
    /// must do. The device id and the enrolment identity stay so the server can recognise a re-enrolment.
    pub fn wipe(&mut self) -> Result<()> {
        let device_id = self.device_id().to_string();
        let enrolment = (meta_get(self.conn(), "enrolment_id")?, meta_get(self.conn(), "device_secret")?);
        self.write(|w| {
            // Tables reference each other; check the (empty) result at commit instead of row by row.
            w.tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
            let tables: Vec<String> = w
                .tx
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for table in tables {
                w.tx.execute(&format!("DELETE FROM {table}"), [])?;
            }
            if let (Some(id), Some(secret)) = &enrolment {
                meta_set(&w.tx, "enrolment_id", id)?;
                meta_set(&w.tx, "device_secret", secret)?;
            }
            meta_set(&w.tx, "device_id", &device_id)
        })?;
        self.session = None;
        self.touch(Topics::all());
        self.clock_offset_ms = 0;
        self.policies = super::Policies::default();
        match std::fs::remove_dir_all(self.evidence_dir()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::issues::tests_support::draft;
    use linkage_protocol::sync::Change;

    #[test]
    fn own_operations_pulled_back_are_skipped_and_others_apply() {
        let (mut phone, _) = store();
        phone.sign_in("lh").unwrap();
        phone.report_issue(draft()).unwrap();
        let ops = phone.pending_operations(10).unwrap();

        // A second phone (the township's) pulls the liaison head's report.
        let (mut town, _) = store();
        let changes: Vec<Change> =
            ops.iter().enumerate().map(|(i, op)| Change { seq: i as i64 + 1, received_at_ms: NOW, op: op.clone() }).collect();
        assert_eq!(town.apply_changes(&changes, 1).unwrap(), 1);
        assert_eq!(town.apply_changes(&changes, 1).unwrap(), 0, "a page pulled twice changes nothing");
        town.sign_in("ts").unwrap();
        let (queue, _) = town.list_issues(crate::store::IssueListScope::Owned, &[], 0, 10).unwrap();
        assert_eq!(queue.len(), 1);
        assert_eq!(town.outbox_counts().unwrap().pending, 0, "pulled changes are not re-queued");
        assert_eq!(town.sync_meta().unwrap().cursor, 1);

        // The original phone gets its own op back: skipped.
        assert_eq!(phone.apply_changes(&changes, 1).unwrap(), 0);
    }

    #[test]
    fn push_outcomes_and_quarantine() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        s.report_issue(draft()).unwrap();
        s.report_issue(draft()).unwrap();
        let ops = s.pending_operations(10).unwrap();
        s.mark_pushed(&[ops[0].op_id.clone()]).unwrap();
        s.quarantine(&ops[1].op_id, RejectCode::NotPermitted, "not yours").unwrap();
        let counts = s.outbox_counts().unwrap();
        assert_eq!((counts.pending, counts.quarantined), (0, 1));
        let q = s.quarantined_ops().unwrap();
        assert_eq!((q[0].reason_code.as_str(), q[0].message.as_str()), ("not_permitted", "not yours"));
        assert!(s.pending_operations(10).unwrap().is_empty(), "quarantined ops are not pushed again");
    }

    #[test]
    fn clock_offset_moves_now_and_wipe_clears_everything() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap();
        s.set_clock_offset(-5_000).unwrap();
        assert_eq!(s.now_ms(), NOW - 5_000);
        s.set_server("http://127.0.0.1:1", "tok", NOW + 30 * 86_400_000).unwrap();
        s.report_issue(draft()).unwrap();
        s.wipe().unwrap();
        assert!(matches!(s.session(), Err(Error::NotSignedIn)));
        assert_eq!(s.outbox_counts().unwrap().pending, 0);
        assert_eq!(s.sync_meta().unwrap().token, None);
        let households: i64 = s.conn().query_row("SELECT count(*) FROM households", [], |r| r.get(0)).unwrap();
        assert_eq!(households, 0);
        assert!(matches!(s.sign_in("gw"), Err(Error::NotFound { .. })));
    }
}
