//! The op rules' view of one PostgreSQL transaction ([`apply::Ledger`]), the push batch and the sweep page.
//! Where the rules read and then write on the strength of what they read, a transaction-scoped advisory
//! lock makes concurrent batches (on this or another server) take turns: an issue's event log (the fold and
//! the next event), a household's field clocks (last writer wins by HLC). Receipt order is the order events
//! are inserted under that lock (`issue_events.id`).
//!
//! Round trips are what a push costs on PostgreSQL (each statement waits for the server), so a batch asks
//! once for what it can ask once: the idempotency records of all its op ids, which of its event ids exist and
//! the households its reports and visits name (one `= ANY($1)` query each, answered afterwards from memory
//! together with what the batch itself wrote), the county settings, nodes and users it reads (unchanged by
//! ops); an issue event and its projection row are one statement; the batch's feed rows are one
//! `INSERT … unnest` just before the commit. What still costs a round trip per op is what must see other
//! servers' commits at that moment: the issue lock and its fold (one round trip, two statements), and the
//! op's own write.

use linkage_protocol::rules::directive::TaskReportStatus;
use linkage_protocol::rules::lifecycle::IssueProjection;
use linkage_protocol::sync::{OpOutcome, RejectCode};
use linkage_protocol::wire::{
    Directive, DirectiveReminder, HouseholdAck, HouseholdField, IssueAction, IssueEvent, NodeAck, NodeRelay, Operation, TaskReport, TaskReview,
    Visit,
};

use super::feed::SeqAllocator;
use super::pool::Conn;
use super::{query_node, query_user, read_county_config, Db};
use crate::apply::{self, HouseholdInfo, Ledger, NodeInfo, UserInfo, VisitInfo};
use crate::error::{Error, Result};
use crate::sqlite::{clock_json, enum_str, parse_enum, sha256_hex};

type Tx<'t> = postgres::Transaction<'t>;

/// Feed rows of a transaction not yet inserted (column by column, for one `unnest`).
#[derive(Debug, Default)]
pub struct PendingChanges {
    seq: Vec<i64>,
    op_id: Vec<String>,
    body_sha256: Vec<String>,
    user_id: Vec<String>,
    path: Vec<String>,
    broadcast: Vec<bool>,
    op_json: Vec<String>,
    received_at_ms: Vec<i64>,
}

/// The ledger of one transaction.
pub struct PgLedger<'a, 't> {
    pub db: Db<'a, Tx<'t>>,
    config: Option<linkage_protocol::wire::CountyConfig>,
    households: std::collections::HashMap<String, Option<HouseholdInfo>>,
    nodes: std::collections::HashMap<String, Option<NodeInfo>>,
    users: std::collections::HashMap<String, Option<UserInfo>>,
    /// Idempotency records (op id → body hash, stored op) of the op ids asked for in one query
    /// ([`PgLedger::prefetch`]) and of the feed rows this transaction wrote; `None`: asked, not found.
    ops: std::collections::HashMap<String, Option<(String, String)>>,
    /// Event ids asked for in one query, and whether they exist (including the events this transaction wrote).
    events: std::collections::HashMap<String, bool>,
    /// Events written by the op being judged (forgotten again if a savepoint rolls it back).
    op_events: Vec<String>,
    pending: PendingChanges,
    /// Who cites the evidence of the ops applied (`None` outside a push).
    citer: Option<(String, i64)>,
    pub seqs: SeqAllocator,
    /// Writes made (to tell whether a refused op wrote anything).
    pub writes: u64,
}

impl<'a, 't> PgLedger<'a, 't> {
    pub fn new(db: Db<'a, Tx<'t>>) -> PgLedger<'a, 't> {
        PgLedger {
            db,
            config: None,
            households: Default::default(),
            nodes: Default::default(),
            users: Default::default(),
            ops: Default::default(),
            events: Default::default(),
            op_events: Vec::new(),
            pending: PendingChanges::default(),
            citer: None,
            seqs: SeqAllocator::default(),
            writes: 0,
        }
    }

    fn write(&mut self, sql: &'static str, p: super::Params<'_>) -> Result<u64> {
        self.writes += 1;
        self.db.exec(sql, p)
    }

    fn county_config(&mut self) -> Result<&linkage_protocol::wire::CountyConfig> {
        if self.config.is_none() {
            self.config = Some(read_county_config(&mut self.db)?);
        }
        Ok(self.config.as_ref().expect("just read"))
    }

    /// Asks once for the idempotency records of `ops` and for which of their issue events exist.
    pub fn prefetch(&mut self, ops: &[Operation]) -> Result<()> {
        let ids: Vec<&str> = ops.iter().map(|o| o.op_id.as_str()).collect();
        for id in &ids {
            self.ops.insert((*id).to_string(), None);
        }
        for r in self.db.q("SELECT op_id, body_sha256, op_json FROM changes WHERE op_id = ANY($1)", &[&ids])? {
            self.ops.insert(r.get(0), Some((r.get(1), r.get(2))));
        }
        let events: Vec<&str> = ops
            .iter()
            .filter_map(|o| match &o.body {
                linkage_protocol::wire::OpBody::IssueEvent(e) => Some(e.event_id.as_str()),
                _ => None,
            })
            .collect();
        if !events.is_empty() {
            for id in &events {
                self.events.insert((*id).to_string(), false);
            }
            for r in self.db.q("SELECT event_id FROM issue_events WHERE event_id = ANY($1)", &[&events])? {
                self.events.insert(r.get(0), true);
            }
        }
        // The households reports and visits name (read once a batch anyway: see `households`).
        let households: Vec<&str> = ops
            .iter()
            .filter_map(|o| match &o.body {
                linkage_protocol::wire::OpBody::IssueEvent(IssueEvent { action: IssueAction::Report(r), .. }) => r.household_id.as_deref(),
                linkage_protocol::wire::OpBody::VisitRecorded(v) => Some(v.household_id.as_str()),
                _ => None,
            })
            .filter(|id| !self.households.contains_key(*id))
            .collect();
        if !households.is_empty() {
            for id in &households {
                self.households.insert((*id).to_string(), None);
            }
            for r in self.db.q("SELECT id, group_id, path, lat, lon FROM households WHERE id = ANY($1)", &[&households])? {
                self.households.insert(r.get(0), Some(household_info(&r)));
            }
        }
        Ok(())
    }

    /// The idempotency record of an op id: (body hash, stored op) if it was used.
    fn op_record(&mut self, op_id: &str) -> Result<Option<(String, String)>> {
        if let Some(known) = self.ops.get(op_id) {
            return Ok(known.clone());
        }
        Ok(self.db.opt("SELECT body_sha256, op_json FROM changes WHERE op_id = $1", &[&op_id])?.map(|r| (r.get(0), r.get(1))))
    }

    /// Adds a feed row numbered in commit order (inserted with the others by [`PgLedger::flush`]).
    pub fn insert_change(&mut self, op_id: &str, body_sha256: &str, user_id: &str, path: &str, broadcast: bool, op_json: &str, at_ms: i64) -> Result<()> {
        let seq = self.seqs.next(&mut self.db)?;
        self.writes += 1;
        self.ops.insert(op_id.to_string(), Some((body_sha256.to_string(), op_json.to_string())));
        let p = &mut self.pending;
        p.seq.push(seq);
        p.op_id.push(op_id.to_string());
        p.body_sha256.push(body_sha256.to_string());
        p.user_id.push(user_id.to_string());
        p.path.push(path.to_string());
        p.broadcast.push(broadcast);
        p.op_json.push(op_json.to_string());
        p.received_at_ms.push(at_ms);
        Ok(())
    }

    /// Inserts the transaction's feed rows (one statement); call before committing.
    pub fn flush(&mut self) -> Result<()> {
        if self.pending.seq.is_empty() {
            return Ok(());
        }
        let p = std::mem::take(&mut self.pending);
        self.db.exec(
            "INSERT INTO changes (seq, op_id, body_sha256, user_id, path, broadcast, op_json, received_at_ms)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::text[], $8::bigint[])",
            &[&p.seq, &p.op_id, &p.body_sha256, &p.user_id, &p.path, &p.broadcast, &p.op_json, &p.received_at_ms],
        )?;
        Ok(())
    }

    /// Forgets what the op being judged wrote, after its savepoint was rolled back.
    fn forget_op(&mut self) {
        for id in self.op_events.drain(..) {
            self.events.insert(id, false);
        }
        self.households.clear();
    }
}

impl Ledger for PgLedger<'_, '_> {
    fn node(&mut self, id: &str) -> Result<Option<NodeInfo>> {
        // Ops never change the org tree: a node read once serves the rest of the batch.
        if let Some(known) = self.nodes.get(id) {
            return Ok(known.clone());
        }
        let found = query_node(&mut self.db, id)?;
        self.nodes.insert(id.to_string(), found.clone());
        Ok(found)
    }

    fn privacy_policy(&mut self) -> Result<linkage_protocol::rules::privacy::PrivacyPolicy> {
        Ok(linkage_protocol::rules::county::CountyRules::from_config(self.county_config()?).privacy)
    }

    fn on_site_policy(&mut self) -> Result<linkage_protocol::rules::geo::OnSitePolicy> {
        Ok(self.county_config()?.on_site)
    }

    fn user(&mut self, id: &str) -> Result<Option<UserInfo>> {
        // Ops never change accounts: a user read once serves the rest of the batch.
        if let Some(known) = self.users.get(id) {
            return Ok(known.clone());
        }
        let found = query_user(&mut self.db, id)?.map(|(u, _)| u);
        self.users.insert(id.to_string(), found.clone());
        Ok(found)
    }

    fn household(&mut self, id: &str) -> Result<Option<HouseholdInfo>> {
        if let Some(known) = self.households.get(id) {
            return Ok(known.clone());
        }
        let found = self.db.opt("SELECT id, group_id, path, lat, lon FROM households WHERE id = $1", &[&id])?.map(|r| household_info(&r));
        self.households.insert(id.to_string(), found.clone());
        Ok(found)
    }

    fn issue(&mut self, id: &str) -> Result<Option<IssueProjection>> {
        // The fold and the next event of this issue are one step: other batches wait here until this one ends.
        // The lock and the fold go in one round trip: two statements of one simple query, each run with a
        // snapshot of its own (READ COMMITTED), so the fold, planned and run after the lock is granted, sees
        // every event committed by the batch that held it before.
        let id_literal = quote_literal(id);
        let answer = self.db.c.simple_query(&format!(
            "SELECT pg_advisory_xact_lock(hashtextextended({id_literal}, 1)) AS locked;
             SELECT body FROM issue_events WHERE issue_id = {id_literal} ORDER BY id"
        ))?;
        let bodies = answer.iter().filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) if r.columns().first().is_some_and(|c| c.name() == "body") => r.get(0),
            _ => None,
        });
        let mut projection: Option<IssueProjection> = None;
        for body in bodies {
            let event: IssueEvent = serde_json::from_str(body)?;
            match (&mut projection, &event.action) {
                (None, IssueAction::Report(report)) => projection = Some(IssueProjection::from_report(&event, report)),
                (Some(p), _) => p.apply(&event).map_err(|e| Error::Corrupt(format!("issue {id}: stored event no longer folds: {e}")))?,
                (None, _) => return Err(Error::Corrupt(format!("issue {id} does not start with its report"))),
            }
        }
        Ok(projection)
    }

    fn event_exists(&mut self, event_id: &str) -> Result<bool> {
        if let Some(known) = self.events.get(event_id) {
            return Ok(*known);
        }
        Ok(self.db.one("SELECT EXISTS (SELECT 1 FROM issue_events WHERE event_id = $1)", &[&event_id])?.get(0))
    }

    fn visit(&mut self, id: &str) -> Result<Option<VisitInfo>> {
        Ok(self
            .db
            .opt("SELECT household_id, visitor_id FROM visits WHERE id = $1", &[&id])?
            .map(|r| VisitInfo { household_id: r.get(0), visitor_id: r.get(1) }))
    }

    fn directive_target(&mut self, id: &str) -> Result<Option<(String, String)>> {
        Ok(self.db.opt("SELECT target_path, issuer_node_id FROM directives WHERE id = $1", &[&id])?.map(|r| (r.get(0), r.get(1))))
    }

    fn node_ack(&mut self, directive_id: &str, node_id: &str) -> Result<Option<bool>> {
        Ok(self
            .db
            .opt("SELECT relayed_at_ms IS NOT NULL FROM directive_acks WHERE directive_id = $1 AND node_id = $2", &[&directive_id, &node_id])?
            .map(|r| r.get(0)))
    }

    fn node_ack_at(&mut self, directive_id: &str, node_id: &str) -> Result<Option<i64>> {
        Ok(self
            .db
            .opt("SELECT acked_at_ms FROM directive_acks WHERE directive_id = $1 AND node_id = $2", &[&directive_id, &node_id])?
            .map(|r| r.get(0)))
    }

    fn directive_issued_at(&mut self, id: &str) -> Result<Option<i64>> {
        Ok(self.db.opt("SELECT issued_at_ms FROM directives WHERE id = $1", &[&id])?.map(|r| r.get(0)))
    }

    fn household_acked(&mut self, directive_id: &str, household_id: &str) -> Result<bool> {
        Ok(self
            .db
            .one(
                "SELECT EXISTS (SELECT 1 FROM directive_household_acks WHERE directive_id = $1 AND household_id = $2)",
                &[&directive_id, &household_id],
            )?
            .get(0))
    }

    fn put_issue_event(&mut self, event: &IssueEvent, p: &IssueProjection, received_at_ms: i64) -> Result<()> {
        let escalated_at = matches!(event.action, IssueAction::Escalate { .. }).then_some(event.at_ms);
        let verification = match &event.action {
            IssueAction::Verify { satisfaction, .. } => Some(serde_json::to_string(&(event.at_ms, enum_str(satisfaction)))?),
            _ => None,
        };
        // The event and the issue's projection row in one statement (one round trip).
        self.write(
            "WITH event AS (
               INSERT INTO issue_events (event_id, issue_id, hlc, at_ms, actor_id, action, body, received_at_ms)
               VALUES ($17, $24, $18, $19, $20, $21, $22, $23))
             INSERT INTO issues (id, path, state, owner_node_id, assignee_id, reporter_id, category, urgency, title, reported_at_ms, last_hlc,
               accepted_at_ms, resolved_at_ms, clock, escalated_at_ms, verifications)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
               CASE WHEN $16::text IS NULL THEN '[]' ELSE jsonb_build_array($16::text::jsonb)::text END)
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, owner_node_id = excluded.owner_node_id,
               assignee_id = excluded.assignee_id, last_hlc = excluded.last_hlc, accepted_at_ms = excluded.accepted_at_ms,
               resolved_at_ms = excluded.resolved_at_ms, clock = excluded.clock,
               escalated_at_ms = least(issues.escalated_at_ms, excluded.escalated_at_ms),
               verifications = CASE WHEN $16::text IS NULL THEN issues.verifications
                 ELSE (issues.verifications::jsonb || jsonb_build_array($16::text::jsonb))::text END",
            &[
                &p.id,
                &p.path,
                &p.state.as_str(),
                &p.owner_node_id,
                &p.assignee_id,
                &p.reporter_id,
                &enum_str(&p.category),
                &enum_str(&p.urgency),
                &p.title,
                &p.reported_at_ms,
                &p.last_hlc,
                &p.accepted_at_ms,
                &p.resolved_at_ms,
                &clock_json(p)?,
                &escalated_at,
                &verification,
                &event.event_id,
                &event.hlc,
                &event.at_ms,
                &event.actor_id,
                &enum_str(&event.action.kind()),
                &serde_json::to_string(event)?,
                &received_at_ms,
                &event.issue_id,
            ],
        )?;
        self.events.insert(event.event_id.clone(), true);
        self.op_events.push(event.event_id.clone());
        Ok(())
    }

    fn put_visit(&mut self, v: &Visit, path: &str) -> Result<bool> {
        let inserted = self.write(
            "INSERT INTO visits (id, household_id, visitor_id, visitor_level, path, verdict, distance_m, started_at_ms, amends_visit_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
            &[
                &v.id,
                &v.household_id,
                &v.visitor_id,
                &enum_str(&v.visitor_level),
                &path,
                &enum_str(&v.verdict),
                &v.distance_m,
                &v.started_at_ms,
                &v.amends_visit_id,
            ],
        )?;
        Ok(inserted == 1)
    }

    fn put_directive(&mut self, d: &Directive, target_path: &str) -> Result<()> {
        self.write(
            "INSERT INTO directives (id, issuer_id, issuer_node_id, target_node_id, target_path, body, issued_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&d.id, &d.issuer_id, &d.issuer_node_id, &d.target_node_id, &target_path, &serde_json::to_string(d)?, &d.issued_at_ms],
        )?;
        Ok(())
    }

    fn put_node_ack(&mut self, ack: &NodeAck, received_at_ms: i64) -> Result<()> {
        self.write(
            "INSERT INTO directive_acks (directive_id, node_id, acked_by, acked_at_ms, received_at_ms) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (directive_id, node_id) DO NOTHING",
            &[&ack.directive_id, &ack.node_id, &ack.user_id, &ack.at_ms, &received_at_ms],
        )?;
        Ok(())
    }

    fn put_relay(&mut self, relay: &NodeRelay) -> Result<()> {
        self.write(
            "UPDATE directive_acks SET relayed_by = $3, relayed_at_ms = $4
             WHERE directive_id = $1 AND node_id = $2 AND relayed_at_ms IS NULL",
            &[&relay.directive_id, &relay.node_id, &relay.user_id, &relay.at_ms],
        )?;
        Ok(())
    }

    fn put_household_ack(&mut self, ack: &HouseholdAck, received_at_ms: i64) -> Result<()> {
        self.write(
            "INSERT INTO directive_household_acks (directive_id, household_id, means, recorded_by, at_ms, received_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (directive_id, household_id) DO NOTHING",
            &[&ack.directive_id, &ack.household_id, &enum_str(&ack.means), &ack.user_id, &ack.at_ms, &received_at_ms],
        )?;
        Ok(())
    }

    fn directive_kind(&mut self, id: &str) -> Result<Option<linkage_protocol::model::DirectiveKind>> {
        let kind: Option<Option<String>> = self.db.opt("SELECT body::jsonb ->> 'kind' FROM directives WHERE id = $1", &[&id])?.map(|r| r.get(0));
        kind.flatten().map(|k| parse_enum(&k)).transpose()
    }

    fn task_report(&mut self, directive_id: &str, node_id: &str) -> Result<Option<(TaskReportStatus, i64)>> {
        let row = self.db.opt("SELECT status, at_ms FROM directive_task_reports WHERE directive_id = $1 AND node_id = $2", &[&directive_id, &node_id])?;
        row.map(|r| Ok((parse_enum(r.get::<_, &str>(0))?, r.get(1)))).transpose()
    }

    fn put_task_report(&mut self, r: &TaskReport, received_at_ms: i64) -> Result<()> {
        self.write(
            "INSERT INTO directive_task_reports (directive_id, node_id, reported_by, at_ms, note, evidence, received_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (directive_id, node_id) DO UPDATE SET
             reported_by = excluded.reported_by, at_ms = excluded.at_ms, note = excluded.note, evidence = excluded.evidence,
             received_at_ms = excluded.received_at_ms,
             status = 'pending', reviewed_by = NULL, reviewed_at_ms = NULL, review_reason = NULL
             WHERE directive_task_reports.status = 'returned'",
            &[&r.directive_id, &r.node_id, &r.user_id, &r.at_ms, &r.note, &serde_json::to_string(&r.evidence)?, &received_at_ms],
        )?;
        Ok(())
    }

    fn put_task_review(&mut self, r: &TaskReview) -> Result<()> {
        let status = if r.accepted { "accepted" } else { "returned" };
        self.write(
            "UPDATE directive_task_reports SET status = $3, reviewed_by = $4, reviewed_at_ms = $5, review_reason = $6
             WHERE directive_id = $1 AND node_id = $2 AND status = 'pending'",
            &[&r.directive_id, &r.node_id, &status, &r.user_id, &r.at_ms, &r.reason],
        )?;
        Ok(())
    }

    fn put_reminder(&mut self, r: &DirectiveReminder) -> Result<()> {
        self.write(
            "INSERT INTO directive_reminders (directive_id, node_id, reminded_by, at_ms) VALUES ($1, $2, $3, $4)",
            &[&r.directive_id, &r.node_id, &r.user_id, &r.at_ms],
        )?;
        Ok(())
    }

    fn put_point_move(&mut self, household_id: &str, mover_id: &str, previous: Option<(f64, f64)>, at_ms: i64) -> Result<()> {
        self.write(
            "INSERT INTO household_point_moves (household_id, mover_id, prev_lat, prev_lon, moved_at_ms) VALUES ($1, $2, $3, $4, $5)",
            &[&household_id, &mover_id, &previous.map(|p| p.0), &previous.map(|p| p.1), &at_ms],
        )?;
        Ok(())
    }

    fn point_moves(&mut self, household_id: &str) -> Result<Vec<linkage_protocol::rules::point_moves::PointMove>> {
        let rows = self.db.q(
            "SELECT mover_id, prev_lat, prev_lon, moved_at_ms FROM household_point_moves WHERE household_id = $1 ORDER BY seq",
            &[&household_id],
        )?;
        Ok(rows
            .iter()
            .map(|r| linkage_protocol::rules::point_moves::PointMove {
                mover_id: r.get(0),
                previous: r.get::<_, Option<f64>>(1).zip(r.get::<_, Option<f64>>(2)),
                moved_at_ms: r.get(3),
            })
            .collect())
    }

    fn household_field_clock(&mut self, household_id: &str, field: &str) -> Result<Option<String>> {
        // Last writer wins by HLC: the compare and the write of one household's fields take turns.
        self.db.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 2))", &[&household_id])?;
        Ok(self
            .db
            .opt("SELECT hlc FROM household_field_clocks WHERE household_id = $1 AND field = $2", &[&household_id, &field])?
            .map(|r| r.get(0)))
    }

    fn put_household_field(&mut self, household_id: &str, field: &HouseholdField, hlc: &str) -> Result<()> {
        self.households.remove(household_id);
        let text = |v: &str| v.to_string();
        match field {
            HouseholdField::HeadName(v) => self.write("UPDATE households SET head_name = $2 WHERE id = $1", &[&household_id, &text(v)])?,
            HouseholdField::Members(v) => self.write("UPDATE households SET members = $2 WHERE id = $1", &[&household_id, &i64::from(*v)])?,
            HouseholdField::Phone(v) => self.write("UPDATE households SET phone = $2 WHERE id = $1", &[&household_id, v])?,
            HouseholdField::Address(v) => self.write("UPDATE households SET address = $2 WHERE id = $1", &[&household_id, &text(v)])?,
            HouseholdField::Location(v) => {
                self.write("UPDATE households SET lat = $2, lon = $3 WHERE id = $1", &[&household_id, &v.map(|p| p.0), &v.map(|p| p.1)])?
            }
            HouseholdField::Tags(v) => self.write("UPDATE households SET tags = $2 WHERE id = $1", &[&household_id, &serde_json::to_string(v)?])?,
            HouseholdField::RiskLevel(v) => self.write("UPDATE households SET risk_level = $2 WHERE id = $1", &[&household_id, &enum_str(v)])?,
        };
        self.write(
            "INSERT INTO household_field_clocks (household_id, field, hlc) VALUES ($1, $2, $3)
             ON CONFLICT (household_id, field) DO UPDATE SET hlc = excluded.hlc",
            &[&household_id, &field.name(), &hlc],
        )?;
        Ok(())
    }

    fn put_broadcast_evidence_refs(&mut self, hashes: &[String], path: &str) -> Result<()> {
        self.put_evidence_refs(hashes, path)?;
        for h in hashes {
            self.write("UPDATE evidence_refs SET broadcast = true WHERE hash = $1 AND path = $2", &[h, &path])?;
        }
        Ok(())
    }

    fn put_evidence_refs(&mut self, hashes: &[String], path: &str) -> Result<()> {
        for h in hashes {
            self.write("INSERT INTO evidence_refs (hash, path) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[h, &path])?;
        }
        if let Some((user_id, at_ms)) = self.citer.clone() {
            for h in hashes {
                self.write(
                    "INSERT INTO blob_citations (hash, user_id, cited_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[h, &user_id, &at_ms],
                )?;
            }
        }
        Ok(())
    }
}

impl apply::FormLedger for PgLedger<'_, '_> {
    fn form(&mut self, form_id: &str, version: u32) -> Result<Option<apply::StoredForm>> {
        let row = self.db.opt(
            "SELECT def_json, target_path, retired_at_ms FROM forms WHERE form_id = $1 AND version = $2",
            &[&form_id, &i64::from(version)],
        )?;
        row.map(|r| {
            Ok(apply::StoredForm {
                def: serde_json::from_str(r.get::<_, &str>(0))?,
                target_path: r.get(1),
                retired: r.get::<_, Option<i64>>(2).is_some(),
            })
        })
        .transpose()
    }

    fn form_response_exists(&mut self, response_id: &str) -> Result<bool> {
        Ok(self.db.one("SELECT EXISTS (SELECT 1 FROM form_responses WHERE response_id = $1)", &[&response_id])?.get(0))
    }

    fn household_tags(&mut self, household_id: &str) -> Result<Vec<String>> {
        Ok(match self.db.opt("SELECT tags FROM households WHERE id = $1", &[&household_id])? {
            Some(r) => serde_json::from_str(r.get::<_, &str>(0))?,
            None => Vec::new(),
        })
    }

    fn put_form_response(&mut self, r: &linkage_protocol::wire::FormResponse, path: &str, received_at_ms: i64) -> Result<()> {
        self.write(
            "INSERT INTO form_responses (response_id, form_id, form_version, respondent_id, node_id, household_id, visit_id,
                 path, started_at_ms, submitted_at_ms, received_at_ms, answers_json)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &r.response_id,
                &r.form_id,
                &i64::from(r.form_version),
                &r.respondent_id,
                &r.node_id,
                &r.household_id,
                &r.visit_id,
                &path,
                &r.started_at_ms,
                &r.submitted_at_ms,
                &received_at_ms,
                &serde_json::to_string(&r.answers)?,
            ],
        )?;
        Ok(())
    }
}

fn household_info(r: &postgres::Row) -> HouseholdInfo {
    HouseholdInfo { id: r.get(0), group_id: r.get(1), path: r.get(2), point: r.get::<_, Option<f64>>(3).zip(r.get::<_, Option<f64>>(4)) }
}

/// `value` as an SQL string literal, whatever `standard_conforming_strings` says (as libpq's
/// `PQescapeLiteral`): quotes doubled, and with backslashes an `E'…'` literal with them doubled.
fn quote_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    if value.contains('\\') {
        out.push_str(" E");
    }
    out.push('\'');
    for ch in value.chars() {
        match ch {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `changes.body_sha256` of a row whose `op_json` is the op exactly as sent (see the SQLite backend).
const BODY_IS_OP_JSON: &str = "";

/// One push batch in one transaction. Without savepoints, returns `None` (and commits nothing) when a refused
/// op wrote something.
pub fn apply_batch(conn: &mut Conn, user: &UserInfo, ops: &[Operation], now_ms: i64, savepoints: bool) -> Result<Option<Vec<OpOutcome>>> {
    let Conn { client, stmts, .. } = conn;
    let mut tx = client.transaction()?;
    let mut outcomes = Vec::with_capacity(ops.len());
    {
        let mut ledger = PgLedger::new(Db { c: &mut tx, stmts });
        ledger.citer = Some((user.id.clone(), now_ms));
        ledger.prefetch(ops)?;
        for op in ops {
            if savepoints {
                ledger.households.clear();
                ledger.op_events.clear();
                ledger.db.c.batch_execute("SAVEPOINT op")?;
            }
            let before = ledger.writes;
            let outcome = apply_one(&mut ledger, user, op, now_ms)?;
            if matches!(outcome, OpOutcome::Rejected { .. }) && ledger.writes != before {
                if !savepoints {
                    return Ok(None); // dropping `tx` rolls the batch back
                }
                ledger.db.c.batch_execute("ROLLBACK TO SAVEPOINT op")?;
                ledger.forget_op();
            }
            if savepoints {
                ledger.db.c.batch_execute("RELEASE SAVEPOINT op")?;
            }
            outcomes.push(outcome);
        }
        ledger.flush()?;
    }
    tx.commit()?;
    Ok(Some(outcomes))
}

/// Judges and stores one op inside the batch's transaction (a refusal writes nothing).
fn apply_one(ledger: &mut PgLedger<'_, '_>, user: &UserInfo, op: &Operation, now_ms: i64) -> Result<OpOutcome> {
    let json = serde_json::to_string(op)?;
    if let Some((hash, stored)) = ledger.op_record(&op.op_id)? {
        let same = if hash == BODY_IS_OP_JSON {
            stored == json || serde_json::from_str::<Operation>(&stored).is_ok_and(|s| s == *op)
        } else {
            hash == sha256_hex(json.as_bytes())
        };
        return Ok(if same {
            OpOutcome::Duplicate
        } else {
            OpOutcome::Rejected { code: RejectCode::Conflict, message: format!("op id '{}' was already used for a different operation", op.op_id) }
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
            ledger.insert_change(&op.op_id, &hash, &user.id, &path, applied.broadcast && applied.changed, &op_json, now_ms)?;
            Ok(OpOutcome::Applied)
        }
    }
}

/// One page of the overdue sweep in its own transaction: returns (issues marked, page length, last id).
pub fn sweep_page(
    conn: &mut Conn,
    after: &str,
    page: i64,
    now_ms: i64,
    rules: &linkage_protocol::rules::sla::SlaRules,
) -> Result<(u32, i64, Option<String>)> {
    let Conn { client, stmts, .. } = conn;
    let mut tx = client.transaction()?;
    let (marked, len, last) = {
        let mut ledger = PgLedger::new(Db { c: &mut tx, stmts });
        let ids: Vec<String> = ledger
            .db
            .q(
                "SELECT id FROM issues WHERE state NOT IN ('closed', 'rejected', 'merged') AND id > $1 ORDER BY id LIMIT $2",
                &[&after, &page],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut marked = 0;
        for id in &ids {
            let Some(apply::Applied { op: Some(op), path, .. }) = apply::sweep_issue(&mut ledger, id, now_ms, rules)? else { continue };
            let json = serde_json::to_string(&op)?;
            ledger.insert_change(&op.op_id, BODY_IS_OP_JSON, apply::SYSTEM_ACTOR, &path, false, &json, now_ms)?;
            marked += 1;
        }
        ledger.flush()?;
        (marked, ids.len() as i64, ids.last().cloned())
    };
    tx.commit()?;
    Ok((marked, len, last))
}

#[cfg(test)]
mod tests {
    use super::quote_literal;

    #[test]
    fn literals_are_quoted_whatever_they_hold() {
        assert_eq!(quote_literal("0190-ab_c"), "'0190-ab_c'");
        assert_eq!(quote_literal("a'b"), "'a''b'");
        assert_eq!(quote_literal("a\\'; DROP TABLE issues; --"), " E'a\\\\''; DROP TABLE issues; --'");
    }
}
