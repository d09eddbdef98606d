//! The op rules' view of one PostgreSQL transaction ([`apply::Ledger`]), the push batch and the sweep page.
//! Where the rules read and then write on the strength of what they read, a transaction-scoped advisory
//! lock makes concurrent batches (on this or another server) take turns: an issue's event log (the fold and
//! the next event), a household's field clocks (last writer wins by HLC). Receipt order is the order events
//! are inserted under that lock (`issue_events.id`).
//!
//! Round trips are what a push costs on PostgreSQL (each statement waits for the server), so a batch asks
//! once for what it can ask once and writes once what it can write once:
//! * before judging: the idempotency records of all its op ids, which of its event ids exist and the
//!   households its reports and visits name (one `= ANY($1)` query each), then in one round trip the
//!   transaction's feed numbers, the locks of every issue its events name (in id order) and, once they are
//!   granted, those issues' events (folded in memory) — [`PgLedger::prefetch`];
//! * judging: op by op in receipt order, in memory, over what was fetched and what the batch itself wrote
//!   (the county settings, nodes and users it reads are read once: ops do not change them);
//! * after judging: the batch's issue events (numbered in receipt order), the issues' projection rows (one
//!   upsert per issue) and its feed rows, each one multi-row statement — [`PgLedger::flush`], before the
//!   commit.
//! A batch of report and workflow ops thus costs a fixed handful of round trips, whatever its length; what
//! still costs a round trip per op are the rarer ops (visits, directives, household edits, forms) and an
//! issue the batch did not name up front (a merge's surviving issue is named; the sweep locks its page).

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
use linkage_protocol::validate;

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

/// An issue event of this transaction not yet inserted, with the issue's projection after it.
#[derive(Debug)]
struct PendingEvent {
    event: IssueEvent,
    projection: IssueProjection,
    received_at_ms: i64,
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
    /// Issues locked by this transaction and their projection as stored when the lock was granted (`None`: no
    /// such issue); what the batch wrote since is in `pending_events`.
    issues: std::collections::HashMap<String, Option<IssueProjection>>,
    /// Issues locked while judging the op being judged (forgotten if a savepoint rolls it back: so is the lock).
    op_issues: Vec<String>,
    /// Issue events of this transaction in receipt order, inserted by [`PgLedger::flush`].
    pending_events: Vec<PendingEvent>,
    /// `pending_events.len()` when the op being judged began.
    op_start: usize,
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
            issues: Default::default(),
            op_issues: Vec::new(),
            pending_events: Vec::new(),
            op_start: 0,
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
        // The issues the new ops' events name (and a merge's surviving issue), locked and folded at once; the
        // feed numbers first, if anything may be written (the transaction's id is then older than any batch
        // that waits on these locks after it, as when numbers were taken at the first write).
        let new_ops: Vec<&Operation> = ops.iter().filter(|o| matches!(self.ops.get(&o.op_id), Some(None))).collect();
        let mut issues: Vec<&str> = new_ops
            .iter()
            .filter_map(|o| match &o.body {
                linkage_protocol::wire::OpBody::IssueEvent(e) => Some(e),
                _ => None,
            })
            .flat_map(|e| {
                let into = match &e.action {
                    IssueAction::Merge { into_issue_id } => Some(into_issue_id.as_str()),
                    _ => None,
                };
                std::iter::once(e.issue_id.as_str()).chain(into)
            })
            .filter(|id| validate::id("issue_id", id).is_ok() && !self.issues.contains_key(*id))
            .collect();
        issues.sort_unstable();
        issues.dedup();
        self.lock_issues(&issues, !new_ops.is_empty())
    }

    /// Locks `ids` (valid ids, sorted: batches lock in one order) and reads their events once the locks are
    /// granted, folded into their projections; with `number`, first takes the transaction's feed numbers.
    /// One round trip: statements of one simple query, each run with a snapshot of its own (READ COMMITTED),
    /// so the read, planned and run after the locks are granted, sees every event committed by the batches
    /// that held them before.
    pub fn lock_issues(&mut self, ids: &[&str], number: bool) -> Result<()> {
        let number = number && !self.seqs.started();
        if ids.is_empty() && !number {
            return Ok(());
        }
        let mut sql = String::new();
        if number {
            sql.push_str(super::feed::START_SQL);
            sql.push_str(" AS feed_start;\n");
        }
        if !ids.is_empty() {
            let list = ids.iter().map(|id| quote_literal(id)).collect::<Vec<_>>().join(",");
            sql.push_str(&format!(
                "SELECT pg_advisory_xact_lock(hashtextextended(id, 1)) AS locked FROM unnest(ARRAY[{list}]::text[]) AS id;\n\
                 SELECT issue_id, body FROM issue_events WHERE issue_id = ANY(ARRAY[{list}]::text[]) ORDER BY issue_id, id"
            ));
        }
        let answer = self.db.c.simple_query(&sql)?;
        for id in ids {
            self.issues.insert((*id).to_string(), None);
            self.op_issues.push((*id).to_string());
        }
        for m in &answer {
            let postgres::SimpleQueryMessage::Row(r) = m else { continue };
            match r.columns().first().map(|c| c.name()) {
                Some("feed_start") => {
                    let start = r.get(0).and_then(|v| v.parse().ok()).ok_or_else(|| Error::Corrupt("feed start".into()))?;
                    self.seqs.start_at(start);
                }
                Some("issue_id") => {
                    let (Some(id), Some(body)) = (r.get(0), r.get(1)) else { continue };
                    let event: IssueEvent = serde_json::from_str(body)?;
                    let slot = self.issues.entry(id.to_string()).or_insert(None);
                    match slot.as_mut() {
                        Some(p) => p.apply(&event).map_err(|e| Error::Corrupt(format!("issue {id}: stored event no longer folds: {e}")))?,
                        None => match &event.action {
                            IssueAction::Report(report) => *slot = Some(IssueProjection::from_report(&event, report)),
                            _ => return Err(Error::Corrupt(format!("issue {id} does not start with its report"))),
                        },
                    }
                }
                _ => {}
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

    /// Inserts the transaction's issue events, the issues' projection rows and its feed rows (one statement
    /// each); call before committing.
    pub fn flush(&mut self) -> Result<()> {
        self.flush_events()?;
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

    /// The pending issue events, numbered in receipt order (the sequence's numbers, taken under the issues'
    /// locks, sorted and given out in the order the events were judged), and each issue's row as its last
    /// event left it: the escalation time the earliest of the stored one and the batch's, the batch's
    /// verifications appended to the stored ones.
    fn flush_events(&mut self) -> Result<()> {
        if self.pending_events.is_empty() {
            return Ok(());
        }
        let events = std::mem::take(&mut self.pending_events);
        self.op_start = 0;
        let (mut event_id, mut issue_id, mut hlc, mut at_ms, mut actor_id, mut action, mut body, mut received) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // One row per issue: (its last projection, earliest escalation, verifications in order).
        let mut rows: Vec<(&IssueProjection, Option<i64>, Vec<(i64, String)>)> = Vec::new();
        let mut row_of: std::collections::HashMap<&str, usize> = Default::default();
        for e in &events {
            let ev = &e.event;
            event_id.push(ev.event_id.as_str());
            issue_id.push(ev.issue_id.as_str());
            hlc.push(ev.hlc.as_str());
            at_ms.push(ev.at_ms);
            actor_id.push(ev.actor_id.as_str());
            action.push(enum_str(&ev.action.kind()));
            body.push(serde_json::to_string(ev)?);
            received.push(e.received_at_ms);
            let i = *row_of.entry(e.projection.id.as_str()).or_insert_with(|| {
                rows.push((&e.projection, None, Vec::new()));
                rows.len() - 1
            });
            let row = &mut rows[i];
            row.0 = &e.projection;
            if matches!(ev.action, IssueAction::Escalate { .. }) {
                row.1 = Some(row.1.map_or(ev.at_ms, |t| t.min(ev.at_ms)));
            }
            if let IssueAction::Verify { satisfaction, .. } = &ev.action {
                row.2.push((ev.at_ms, enum_str(satisfaction)));
            }
        }
        let mut c = IssueColumns::default();
        for (p, escalated_at, verifications) in &rows {
            c.id.push(p.id.as_str());
            c.path.push(p.path.as_str());
            c.state.push(p.state.as_str());
            c.owner.push(p.owner_node_id.as_str());
            c.assignee.push(p.assignee_id.as_deref());
            c.reporter.push(p.reporter_id.as_str());
            c.category.push(enum_str(&p.category));
            c.urgency.push(enum_str(&p.urgency));
            c.title.push(p.title.as_str());
            c.reported_at.push(p.reported_at_ms);
            c.last_hlc.push(p.last_hlc.as_str());
            c.accepted_at.push(p.accepted_at_ms);
            c.resolved_at.push(p.resolved_at_ms);
            c.clock.push(clock_json(p)?);
            c.escalated_at.push(*escalated_at);
            c.verifications.push(serde_json::to_string(verifications)?);
        }
        self.db.exec(
            "WITH numbers AS (SELECT nextval('issue_events_id_seq') AS id FROM generate_series(1, cardinality($1::text[]))),
               ordered AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM numbers),
               event AS (
                 INSERT INTO issue_events (id, event_id, issue_id, hlc, at_ms, actor_id, action, body, received_at_ms)
                 SELECT o.id, e.event_id, e.issue_id, e.hlc, e.at_ms, e.actor_id, e.action, e.body, e.received_at_ms
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[])
                   WITH ORDINALITY AS e(event_id, issue_id, hlc, at_ms, actor_id, action, body, received_at_ms, k)
                 JOIN ordered o USING (k))
             INSERT INTO issues (id, path, state, owner_node_id, assignee_id, reporter_id, category, urgency, title, reported_at_ms, last_hlc,
               accepted_at_ms, resolved_at_ms, clock, escalated_at_ms, verifications)
             SELECT i.id, i.path, i.state, i.owner_node_id, i.assignee_id, i.reporter_id, i.category, i.urgency, i.title, i.reported_at_ms,
               i.last_hlc, i.accepted_at_ms, i.resolved_at_ms, i.clock, i.escalated_at_ms, i.verifications::jsonb::text
             FROM unnest($9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
                 $18::bigint[], $19::text[], $20::bigint[], $21::bigint[], $22::text[], $23::bigint[], $24::text[])
               AS i(id, path, state, owner_node_id, assignee_id, reporter_id, category, urgency, title, reported_at_ms, last_hlc,
                 accepted_at_ms, resolved_at_ms, clock, escalated_at_ms, verifications)
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, owner_node_id = excluded.owner_node_id,
               assignee_id = excluded.assignee_id, last_hlc = excluded.last_hlc, accepted_at_ms = excluded.accepted_at_ms,
               resolved_at_ms = excluded.resolved_at_ms, clock = excluded.clock,
               escalated_at_ms = least(issues.escalated_at_ms, excluded.escalated_at_ms),
               verifications = CASE WHEN excluded.verifications = '[]' THEN issues.verifications
                 ELSE (issues.verifications::jsonb || excluded.verifications::jsonb)::text END",
            &[
                &event_id,
                &issue_id,
                &hlc,
                &at_ms,
                &actor_id,
                &action,
                &body,
                &received,
                &c.id,
                &c.path,
                &c.state,
                &c.owner,
                &c.assignee,
                &c.reporter,
                &c.category,
                &c.urgency,
                &c.title,
                &c.reported_at,
                &c.last_hlc,
                &c.accepted_at,
                &c.resolved_at,
                &c.clock,
                &c.escalated_at,
                &c.verifications,
            ],
        )?;
        drop(c);
        drop(rows);
        drop(row_of);
        for e in events {
            self.issues.insert(e.projection.id.clone(), Some(e.projection));
        }
        Ok(())
    }

    /// Marks the start of the next op's judgement (what [`PgLedger::forget_op`] undoes).
    fn begin_op(&mut self) {
        self.op_events.clear();
        self.op_issues.clear();
        self.op_start = self.pending_events.len();
    }

    /// Forgets what the op being judged wrote, after its savepoint was rolled back.
    fn forget_op(&mut self) {
        for id in self.op_events.drain(..) {
            self.events.insert(id, false);
        }
        for id in self.op_issues.drain(..) {
            self.issues.remove(&id);
        }
        self.pending_events.truncate(self.op_start);
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
        // The fold and the next event of this issue are one step: other batches wait on its lock until this
        // one ends. Locked and folded up front for the issues a batch names ([`PgLedger::prefetch`]), here
        // for any other; then as this batch left it.
        if let Some(e) = self.pending_events.iter().rev().find(|e| e.projection.id == id) {
            return Ok(Some(e.projection.clone()));
        }
        if !self.issues.contains_key(id) {
            if validate::id("issue_id", id).is_err() {
                return Ok(None); // never stored (every stored id was valid)
            }
            self.lock_issues(&[id], false)?;
        }
        Ok(self.issues.get(id).cloned().flatten())
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
        // Inserted with the batch's others, the issue's row with them ([`PgLedger::flush`]).
        self.writes += 1;
        self.pending_events.push(PendingEvent { event: event.clone(), projection: p.clone(), received_at_ms });
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

/// Projection rows of the issues a transaction wrote, column by column (for one `unnest`).
#[derive(Default)]
struct IssueColumns<'a> {
    id: Vec<&'a str>,
    path: Vec<&'a str>,
    state: Vec<&'a str>,
    owner: Vec<&'a str>,
    assignee: Vec<Option<&'a str>>,
    reporter: Vec<&'a str>,
    category: Vec<String>,
    urgency: Vec<String>,
    title: Vec<&'a str>,
    reported_at: Vec<i64>,
    last_hlc: Vec<&'a str>,
    accepted_at: Vec<Option<i64>>,
    resolved_at: Vec<Option<i64>>,
    clock: Vec<String>,
    escalated_at: Vec<Option<i64>>,
    verifications: Vec<String>,
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
            ledger.begin_op();
            if savepoints {
                ledger.households.clear();
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
        // The page's issues locked and folded in one round trip (feed numbers only if one is marked).
        let mut sorted: Vec<&str> = ids.iter().map(String::as_str).filter(|id| validate::id("issue_id", id).is_ok()).collect();
        sorted.sort_unstable();
        ledger.lock_issues(&sorted, false)?;
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
