//! Directives (指令下达) on the phone: issue to a subtree, the inbox of directives reaching the user's node,
//! acknowledgement (签收) and relay by each node, household acknowledgements recorded by liaison heads, and the
//! coverage an issuer watches (per level, with the silent nodes). Repeating an acknowledgement is harmless.

use linkage_protocol::model::{AckMeans, DirectiveKind, OrgLevel};
use linkage_protocol::rules::{directive as rules, scope};
use linkage_protocol::validate::{self, limits};
use linkage_protocol::wire::{self, HouseholdAck, NodeAck, NodeRelay, OpBody, TaskReport};
use rusqlite::{params, OptionalExtension, Row};

use super::{enum_str, new_id, page_limit, parse_enum, Store};
use crate::error::{Error, Result};

/// What the directive composer hands in.
#[derive(Debug, Clone)]
pub struct DirectiveInput {
    pub target_node_id: String,
    pub kind: DirectiveKind,
    pub title: String,
    pub body: String,
    pub due_at_ms: Option<i64>,
    /// Photos attached by the issuer (evidence hashes from `add_evidence`).
    pub evidence: Vec<String>,
}

/// A directive as the inbox shows it to the signed-in user.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectiveRow {
    pub directive: wire::Directive,
    pub issuer_name: Option<String>,
    pub my_acknowledged_at_ms: Option<i64>,
    pub my_relayed_at_ms: Option<i64>,
    /// Households under the user's node that acknowledged, and how many there are.
    pub households_acknowledged: u32,
    pub households_total: u32,
    /// Past the due time and the user's node has not acknowledged.
    pub overdue: bool,
    /// When the user's node reported the task done (tasks only).
    pub my_completed_at_ms: Option<i64>,
    /// What the user may do next for their node, judged by the shared directive rules (the shells show
    /// exactly these buttons): 签收, 转发, 上报完成情况.
    pub can_acknowledge: bool,
    pub can_relay: bool,
    pub can_report_completion: bool,
    /// The latest reminder (催办) sent to the user's node, while it has not signed for it.
    pub my_reminded_at_ms: Option<i64>,
    /// Where my node's completion report stands with the issuer, and why it was sent back (退回).
    pub my_report_status: Option<rules::TaskReportStatus>,
    pub my_report_return_reason: Option<String>,
    /// Completion reports waiting for the user's review (the issuing node only; 待审核).
    pub reports_waiting: u32,
}

/// Acknowledgement coverage of one directive, seen from the signed-in user's node.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectiveCoverageRow {
    /// (level, acknowledged nodes, nodes) for each org level below the top of the view, and households.
    pub levels: Vec<(OrgLevel, u32, u32)>,
    /// How many nodes in the view have not acknowledged (list: [`Store::directive_silent_nodes`]).
    pub silent_total: u32,
    /// Nodes in the view that reported a task done (0 for notices and alerts).
    pub tasks_completed: u32,
}

/// A node of a directive's view that has not acknowledged it.
#[derive(Debug, Clone, PartialEq)]
pub struct SilentNodeRow {
    pub id: String,
    pub name: String,
    pub level: OrgLevel,
    /// The latest reminder (催办) sent to it for this directive.
    pub reminded_at_ms: Option<i64>,
}

/// A household of a directive's view and its acknowledgement (户户告知), if recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdAckRow {
    pub household: super::HouseholdRow,
    pub acknowledgement: Option<HouseholdAckInfo>,
}

/// When, how and by whom a household's acknowledgement was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdAckInfo {
    pub at_ms: i64,
    pub means: AckMeans,
    pub recorded_by: String,
    pub recorded_by_name: Option<String>,
}

const SELECT: &str = "SELECT d.id, d.issuer_id, d.issuer_node_id, d.target_node_id, d.kind, d.title, d.body, d.due_at_ms,
    d.issued_at_ms, u.name, a.acked_at_ms, a.relayed_at_ms, d.target_path
    FROM directives d LEFT JOIN users u ON u.id = d.issuer_id
    LEFT JOIN directive_acks a ON a.directive_id = d.id AND a.node_id = ?1";

type RawDirective = (wire::Directive, String, Option<String>, Option<i64>, Option<i64>, String);

fn map_directive(r: &Row<'_>) -> rusqlite::Result<RawDirective> {
    Ok((
        wire::Directive {
            id: r.get(0)?,
            issuer_id: r.get(1)?,
            issuer_node_id: r.get(2)?,
            target_node_id: r.get(3)?,
            kind: DirectiveKind::Notice,
            title: r.get(5)?,
            body: r.get(6)?,
            due_at_ms: r.get(7)?,
            issued_at_ms: r.get(8)?,
            evidence: vec![],
        },
        r.get(4)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
    ))
}

impl Store {
    /// Issues a directive to the subtree under `target_node_id`; the issuing node counts as acknowledged.
    pub fn issue_directive(&mut self, input: DirectiveInput) -> Result<DirectiveRow> {
        let actor = self.actor()?.clone();
        validate::id("target_node_id", &input.target_node_id)?;
        let target = self.node(&input.target_node_id)?;
        let now = self.now_ms();
        rules::authorize_issue(&actor, &target.path, input.kind, input.due_at_ms, now)?;
        validate::evidence("evidence", &input.evidence)?;
        let directive = wire::Directive {
            evidence: input.evidence.clone(),
            id: new_id(),
            issuer_id: actor.user_id.clone(),
            issuer_node_id: actor.node_id.clone(),
            target_node_id: target.id.clone(),
            kind: input.kind,
            title: validate::text("title", &input.title, 1, limits::TITLE)?,
            body: validate::text("body", &input.body, 1, limits::DESCRIPTION)?,
            due_at_ms: input.due_at_ms,
            issued_at_ms: now,
        };
        self.write(|w| {
            persist_directive(&w.tx, &directive, &target.path)?;
            let op = w.new_op(OpBody::DirectiveIssued(directive.clone()));
            w.enqueue_op(&op)
        })?;
        self.directive(&directive.id)
    }

    /// Directives whose target subtree contains the user's node, and those the user's node issued (to follow
    /// them up: coverage, 催办, task reports), newest first, paged, with the total; with
    /// `unacknowledged_only`, only those the user's node still has to sign for (签收): not acknowledged yet and
    /// not issued by the user's own node (the issuer never signs for its own directive, ADR 0002).
    pub fn directive_inbox(&self, unacknowledged_only: bool, offset: u32, limit: u32) -> Result<(Vec<DirectiveRow>, u64)> {
        let actor = self.actor()?;
        let filter = if unacknowledged_only { "AND a.acked_at_ms IS NULL AND d.issuer_node_id <> ?1" } else { "" };
        let mut stmt = self.conn().prepare_cached(&format!(
            "{SELECT} WHERE (substr(?2, 1, length(d.target_path)) = d.target_path OR d.issuer_node_id = ?1) {filter}
             ORDER BY d.issued_at_ms DESC, d.id DESC LIMIT ?3 OFFSET ?4"
        ))?;
        let rows = stmt.query_map(params![actor.node_id, actor.node_path, page_limit(limit), offset], map_directive)?;
        let items = rows.map(|r| self.finish_directive(r?)).collect::<Result<Vec<_>>>()?;
        let total: u64 = self.conn().query_row(
            &format!(
                "SELECT count(*) FROM directives d
                 LEFT JOIN directive_acks a ON a.directive_id = d.id AND a.node_id = ?1
                 WHERE (substr(?2, 1, length(d.target_path)) = d.target_path OR d.issuer_node_id = ?1) {filter}"
            ),
            params![actor.node_id, actor.node_path],
            |r| r.get(0),
        )?;
        Ok((items, total))
    }

    /// One directive that reaches the user's node or that the user can see the target of.
    pub fn directive(&self, id: &str) -> Result<DirectiveRow> {
        Ok(self.directive_with_path(id)?.0)
    }

    pub(super) fn directive_with_path(&self, id: &str) -> Result<(DirectiveRow, String)> {
        let actor = self.actor()?;
        validate::id("directive_id", id)?;
        let raw = self
            .conn()
            .query_row(&format!("{SELECT} WHERE d.id = ?2"), params![actor.node_id, id], map_directive)
            .optional()?;
        let Some(raw) = raw else { return Err(Error::not_found("directive", id)) };
        let target_path = raw.5.clone();
        if !scope::within(&target_path, &actor.node_path) && !actor.sees(&target_path) {
            return Err(Error::not_found("directive", id));
        }
        Ok((self.finish_directive(raw)?, target_path))
    }

    fn finish_directive(&self, raw: RawDirective) -> Result<DirectiveRow> {
        let actor = self.actor()?;
        let (mut directive, kind, issuer_name, acked, relayed, target_path) = raw;
        directive.kind = parse_enum(&kind)?;
        let evidence: String =
            self.conn().query_row("SELECT evidence FROM directives WHERE id = ?1", [&directive.id], |r| r.get(0))?;
        directive.evidence = serde_json::from_str(&evidence)?;
        let (households_acknowledged, households_total): (u32, u32) = self.conn().query_row(
            "SELECT count(ha.household_id), count(*) FROM households h
             LEFT JOIN directive_household_acks ha ON ha.directive_id = ?1 AND ha.household_id = h.id
             WHERE h.path >= ?2 AND h.path < ?3",
            params![directive.id, actor.node_path, scope::upper_bound(&actor.node_path)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let overdue = acked.is_none() && directive.due_at_ms.is_some_and(|due| due < self.now_ms());
        let my_report: Option<(i64, String, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT at_ms, status, review_reason FROM directive_task_reports WHERE directive_id = ?1 AND node_id = ?2",
                params![directive.id, actor.node_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let my_report_status: Option<rules::TaskReportStatus> = my_report.as_ref().map(|r| parse_enum(&r.1)).transpose()?;
        let returned = my_report_status == Some(rules::TaskReportStatus::Returned);
        let my_completed_at_ms = my_report.as_ref().filter(|_| !returned).map(|r| r.0);
        let my_report_return_reason = my_report.and_then(|r| r.2).filter(|_| returned);
        let my_reminded_at_ms: Option<i64> = if acked.is_none() {
            self.conn().query_row(
                "SELECT max(at_ms) FROM directive_reminders WHERE directive_id = ?1 AND node_id = ?2",
                params![directive.id, actor.node_id],
                |r| r.get(0),
            )?
        } else {
            None
        };
        let reports_waiting: u32 = if actor.node_id == directive.issuer_node_id && directive.kind == DirectiveKind::Task {
            self.conn().query_row(
                "SELECT count(*) FROM directive_task_reports WHERE directive_id = ?1 AND status = 'pending'",
                [&directive.id],
                |r| r.get(0),
            )?
        } else {
            0
        };
        let facts = rules::DirectiveFacts { target_path: &target_path, issuer_node_id: &directive.issuer_node_id };
        let can_acknowledge = acked.is_none() && rules::authorize_acknowledge(actor, facts).is_ok();
        let can_relay = relayed.is_none() && rules::authorize_relay(actor, facts, acked.is_some()).is_ok();
        let can_report_completion = rules::report_replaces(my_report_status)
            && rules::authorize_task_report(actor, facts, directive.kind, acked.is_some()).is_ok();
        Ok(DirectiveRow {
            directive,
            issuer_name,
            my_acknowledged_at_ms: acked,
            my_relayed_at_ms: relayed,
            households_acknowledged,
            households_total,
            overdue,
            my_completed_at_ms,
            can_acknowledge,
            can_relay,
            can_report_completion,
            my_reminded_at_ms,
            my_report_status,
            my_report_return_reason,
            reports_waiting,
        })
    }

    /// Acknowledges (签收) the directive for the user's node. Doing it again changes nothing.
    pub fn acknowledge_directive(&mut self, id: &str) -> Result<DirectiveRow> {
        let actor = self.actor()?.clone();
        let (row, target_path) = self.directive_with_path(id)?;
        rules::authorize_acknowledge(&actor, facts(&row, &target_path))?;
        if row.my_acknowledged_at_ms.is_some() {
            return Ok(row);
        }
        self.write(|w| {
            let ack = NodeAck { directive_id: id.to_string(), node_id: actor.node_id.clone(), user_id: actor.user_id.clone(), at_ms: w.now_ms };
            persist_node_ack(&w.tx, &ack)?;
            let op = w.new_op(OpBody::NodeAcknowledged(ack));
            w.enqueue_op(&op)
        })?;
        self.directive(id)
    }

    /// Relays (转发) the directive to the level below; the user's node must have acknowledged it first.
    pub fn relay_directive(&mut self, id: &str) -> Result<DirectiveRow> {
        let actor = self.actor()?.clone();
        let (row, target_path) = self.directive_with_path(id)?;
        rules::authorize_relay(&actor, facts(&row, &target_path), row.my_acknowledged_at_ms.is_some())?;
        if row.my_relayed_at_ms.is_some() {
            return Ok(row);
        }
        self.write(|w| {
            let relay = NodeRelay { directive_id: id.to_string(), node_id: actor.node_id.clone(), user_id: actor.user_id.clone(), at_ms: w.now_ms };
            persist_relay(&w.tx, &relay)?;
            let op = w.new_op(OpBody::DirectiveRelayed(relay));
            w.enqueue_op(&op)
        })?;
        self.directive(id)
    }

    /// Records that a household got the directive, and how. The first record per household stands.
    pub fn record_household_ack(&mut self, id: &str, household_id: &str, means: AckMeans) -> Result<DirectiveRow> {
        let actor = self.actor()?.clone();
        let (row, target_path) = self.directive_with_path(id)?;
        let (_, household_path) = self.household_with_path(household_id)?;
        rules::authorize_household_ack(&actor, &target_path, &household_path, row.my_acknowledged_at_ms.is_some())?;
        let exists: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM directive_household_acks WHERE directive_id = ?1 AND household_id = ?2)",
            [id, household_id],
            |r| r.get(0),
        )?;
        if exists {
            return Ok(row);
        }
        self.write(|w| {
            let ack = HouseholdAck {
                directive_id: id.to_string(),
                household_id: household_id.to_string(),
                means,
                user_id: actor.user_id.clone(),
                at_ms: w.now_ms,
            };
            persist_household_ack(&w.tx, &ack)?;
            let op = w.new_op(OpBody::HouseholdAcknowledged(ack));
            w.enqueue_op(&op)
        })?;
        self.directive(id)
    }

    /// Reports the user's node's completion of a task (任务完成情况) with a note and photos, after the node
    /// acknowledged it. The first report of a node stands (a repeated one changes nothing) unless the issuer
    /// sent it back (退回): then the new report takes its place.
    pub fn report_task_completion(&mut self, id: &str, note: &str, evidence: &[String]) -> Result<DirectiveRow> {
        let actor = self.actor()?.clone();
        let (row, target_path) = self.directive_with_path(id)?;
        rules::authorize_task_report(&actor, facts(&row, &target_path), row.directive.kind, row.my_acknowledged_at_ms.is_some())?;
        let note = rules::validate_task_report(note, evidence)?;
        if !rules::report_replaces(row.my_report_status) {
            return Ok(row);
        }
        self.write(|w| {
            let report = TaskReport {
                directive_id: id.to_string(),
                node_id: actor.node_id.clone(),
                user_id: actor.user_id.clone(),
                at_ms: w.now_ms,
                note,
                evidence: evidence.to_vec(),
            };
            persist_task_report(&w.tx, &report)?;
            let op = w.new_op(OpBody::TaskReported(report));
            w.enqueue_op(&op)
        })?;
        self.directive(id)
    }

    /// Coverage of a directive within the part of its target subtree the user can see.
    pub fn directive_coverage(&self, id: &str) -> Result<DirectiveCoverageRow> {
        let actor = self.actor()?;
        let (row, target_path) = self.directive_with_path(id)?;
        // The issuing node does not sign for its own directive: it is neither counted nor silent.
        let issuer_node = row.directive.issuer_node_id;
        // The view is the deeper of the target and the user's node.
        let view = if scope::within(&target_path, &actor.node_path) { actor.node_path.clone() } else { target_path };
        let upper = scope::upper_bound(&view);
        let mut levels = Vec::new();
        let mut stmt = self.conn().prepare_cached(
            "SELECT n.level, count(a.node_id), count(*) FROM org_nodes n
             LEFT JOIN directive_acks a ON a.directive_id = ?1 AND a.node_id = n.id
             WHERE n.path >= ?2 AND n.path < ?3 AND n.id != ?4 GROUP BY n.level",
        )?;
        let mut by_level = stmt
            .query_map(params![id, view, upper, issuer_node], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?, r.get::<_, u32>(2)?)))?
            .map(|r| {
                let (l, a, t) = r?;
                Ok((parse_enum::<OrgLevel>(&l)?, a, t))
            })
            .collect::<Result<Vec<_>>>()?;
        by_level.sort_by_key(|(l, _, _)| *l);
        levels.extend(by_level);
        let (ha, ht): (u32, u32) = self.conn().query_row(
            "SELECT count(ha.household_id), count(*) FROM households h
             LEFT JOIN directive_household_acks ha ON ha.directive_id = ?1 AND ha.household_id = h.id
             WHERE h.path >= ?2 AND h.path < ?3",
            params![id, view, upper],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        levels.push((OrgLevel::Household, ha, ht));
        let silent_total: u32 = self.conn().query_row(
            "SELECT count(*) FROM org_nodes n
             WHERE n.path >= ?2 AND n.path < ?3 AND n.id != ?4
               AND NOT EXISTS (SELECT 1 FROM directive_acks a WHERE a.directive_id = ?1 AND a.node_id = n.id)",
            params![id, view, upper, issuer_node],
            |r| r.get(0),
        )?;
        let tasks_completed: u32 = self.conn().query_row(
            "SELECT count(*) FROM directive_task_reports r JOIN org_nodes n ON n.id = r.node_id
             WHERE r.directive_id = ?1 AND n.path >= ?2 AND n.path < ?3",
            params![id, view, upper],
            |r| r.get(0),
        )?;
        Ok(DirectiveCoverageRow { levels, silent_total, tasks_completed })
    }

    /// The part of the directive's target the user sees: the deeper of the target and the user's node, with
    /// the issuing node (which does not sign) and the directive row.
    fn directive_view(&self, id: &str) -> Result<(DirectiveRow, String)> {
        let actor = self.actor()?;
        let (row, target_path) = self.directive_with_path(id)?;
        let view = if scope::within(&target_path, &actor.node_path) { actor.node_path.clone() } else { target_path };
        Ok((row, view))
    }

    /// The nodes of the directive's view that have not acknowledged it (the issuing node never counts),
    /// top-down (county, townships, branches, groups) and by path, paged, with the total.
    pub fn directive_silent_nodes(&self, id: &str, offset: u32, limit: u32) -> Result<(Vec<SilentNodeRow>, u64)> {
        let (row, view) = self.directive_view(id)?;
        let upper = scope::upper_bound(&view);
        let issuer_node = row.directive.issuer_node_id;
        let mut stmt = self.conn().prepare_cached(
            "SELECT n.id, n.name, n.level,
                (SELECT max(r.at_ms) FROM directive_reminders r WHERE r.directive_id = ?1 AND r.node_id = n.id)
             FROM org_nodes n
             WHERE n.path >= ?2 AND n.path < ?3 AND n.id != ?4
               AND NOT EXISTS (SELECT 1 FROM directive_acks a WHERE a.directive_id = ?1 AND a.node_id = n.id)
             ORDER BY length(n.path) - length(replace(n.path, '/', '')), n.path LIMIT ?5 OFFSET ?6",
        )?;
        let items = stmt
            .query_map(params![id, view, upper, issuer_node, page_limit(limit), offset], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<i64>>(3)?))
            })?
            .map(|r| {
                let (id, name, level, reminded_at_ms) = r?;
                Ok(SilentNodeRow { id, name, level: parse_enum(&level)?, reminded_at_ms })
            })
            .collect::<Result<Vec<_>>>()?;
        let total: u64 = self.conn().query_row(
            "SELECT count(*) FROM org_nodes n
             WHERE n.path >= ?2 AND n.path < ?3 AND n.id != ?4
               AND NOT EXISTS (SELECT 1 FROM directive_acks a WHERE a.directive_id = ?1 AND a.node_id = n.id)",
            params![id, view, upper, issuer_node],
            |r| r.get(0),
        )?;
        Ok((items, total))
    }

    /// Every household of the directive's view with its acknowledgement (when, how, by whom) or none: the
    /// households still untold first, then the told ones, each by path; paged, with the total. A liaison head
    /// reopening a directive sees who is still to be told. Personal data masked as in every household list.
    /// Returns the page, the total and how many of the total were told.
    pub fn directive_households(&self, id: &str, offset: u32, limit: u32) -> Result<(Vec<HouseholdAckRow>, u64, u64)> {
        let (_, view) = self.directive_view(id)?;
        let upper = scope::upper_bound(&view);
        let mut stmt = self.conn().prepare_cached(
            "SELECT h.id, ha.at_ms, ha.means, ha.recorded_by, u.name FROM households h
             LEFT JOIN directive_household_acks ha ON ha.directive_id = ?1 AND ha.household_id = h.id
             LEFT JOIN users u ON u.id = ha.recorded_by
             WHERE h.path >= ?2 AND h.path < ?3
             ORDER BY ha.household_id IS NOT NULL, h.path LIMIT ?4 OFFSET ?5",
        )?;
        type Raw = (String, Option<i64>, Option<String>, Option<String>, Option<String>);
        let raw = stmt
            .query_map(params![id, view, upper, page_limit(limit), offset], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<Vec<Raw>>>()?;
        let mut items = Vec::with_capacity(raw.len());
        for (household_id, at_ms, means, recorded_by, recorded_by_name) in raw {
            let acknowledgement = match (at_ms, means, recorded_by) {
                (Some(at_ms), Some(means), Some(recorded_by)) => {
                    Some(HouseholdAckInfo { at_ms, means: parse_enum(&means)?, recorded_by, recorded_by_name })
                }
                _ => None,
            };
            items.push(HouseholdAckRow { household: self.household(&household_id)?, acknowledgement });
        }
        let (total, acknowledged): (u64, u64) = self.conn().query_row(
            "SELECT count(*), count(ha.household_id) FROM households h
             LEFT JOIN directive_household_acks ha ON ha.directive_id = ?1 AND ha.household_id = h.id
             WHERE h.path >= ?2 AND h.path < ?3",
            params![id, view, upper],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((items, total, acknowledged))
    }
}

/// The facts the cascade rules judge a step of this directive by.
pub(super) fn facts<'a>(row: &'a DirectiveRow, target_path: &'a str) -> rules::DirectiveFacts<'a> {
    rules::DirectiveFacts { target_path, issuer_node_id: &row.directive.issuer_node_id }
}

/// Stores a directive (local or pulled); one already stored is kept. Returns whether it was new.
pub(crate) fn persist_directive(tx: &rusqlite::Connection, d: &wire::Directive, target_path: &str) -> Result<bool> {
    let inserted = tx.execute(
        "INSERT INTO directives (id, issuer_id, issuer_node_id, target_node_id, target_path, kind, title, body, due_at_ms, issued_at_ms, evidence)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(id) DO NOTHING",
        params![
            d.id,
            d.issuer_id,
            d.issuer_node_id,
            d.target_node_id,
            target_path,
            enum_str(&d.kind),
            d.title,
            d.body,
            d.due_at_ms,
            d.issued_at_ms,
            serde_json::to_string(&d.evidence)?
        ],
    )?;
    for hash in &d.evidence {
        tx.execute("INSERT OR IGNORE INTO evidence_refs (entity_kind, entity_id, hash) VALUES ('directive', ?1, ?2)", params![d.id, hash])?;
    }
    Ok(inserted > 0)
}

/// Stores a node's acknowledgement; the first one stands. Returns whether it was new.
pub(crate) fn persist_node_ack(tx: &rusqlite::Connection, ack: &NodeAck) -> Result<bool> {
    let inserted = tx.execute(
        "INSERT INTO directive_acks (directive_id, node_id, acked_by, acked_at_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(directive_id, node_id) DO NOTHING",
        params![ack.directive_id, ack.node_id, ack.user_id, ack.at_ms],
    )?;
    Ok(inserted > 0)
}

/// Stores a relay. A relay implies the node's acknowledgement, so one arriving first creates it. Returns
/// whether anything was new (the acknowledgement or the relay).
pub(crate) fn persist_relay(tx: &rusqlite::Connection, relay: &NodeRelay) -> Result<bool> {
    let acked = persist_node_ack(
        tx,
        &NodeAck { directive_id: relay.directive_id.clone(), node_id: relay.node_id.clone(), user_id: relay.user_id.clone(), at_ms: relay.at_ms },
    )?;
    let relayed = tx.execute(
        "UPDATE directive_acks SET relayed_by = ?3, relayed_at_ms = ?4
         WHERE directive_id = ?1 AND node_id = ?2 AND relayed_at_ms IS NULL",
        params![relay.directive_id, relay.node_id, relay.user_id, relay.at_ms],
    )?;
    Ok(acked || relayed > 0)
}

/// Stores a household's acknowledgement; the first one stands. Returns whether it was new.
pub(crate) fn persist_household_ack(tx: &rusqlite::Connection, ack: &HouseholdAck) -> Result<bool> {
    let inserted = tx.execute(
        "INSERT INTO directive_household_acks (directive_id, household_id, means, recorded_by, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(directive_id, household_id) DO NOTHING",
        params![ack.directive_id, ack.household_id, enum_str(&ack.means), ack.user_id, ack.at_ms],
    )?;
    Ok(inserted > 0)
}

/// Stores a task completion report and links its photos; the first one of a node stands unless the issuer sent
/// it back (then a later report replaces it). Whether it was new.
pub(crate) fn persist_task_report(tx: &rusqlite::Connection, r: &TaskReport) -> Result<bool> {
    let inserted = tx.execute(
        "INSERT INTO directive_task_reports (directive_id, node_id, reported_by, at_ms, note, evidence)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(directive_id, node_id) DO UPDATE SET
         reported_by = excluded.reported_by, at_ms = excluded.at_ms, note = excluded.note, evidence = excluded.evidence,
         status = 'pending', reviewed_by = NULL, reviewed_at_ms = NULL, review_reason = NULL
         WHERE directive_task_reports.status = 'returned' AND directive_task_reports.at_ms < excluded.at_ms",
        params![r.directive_id, r.node_id, r.user_id, r.at_ms, r.note, serde_json::to_string(&r.evidence)?],
    )?;
    for hash in &r.evidence {
        tx.execute(
            "INSERT OR IGNORE INTO evidence_refs (entity_kind, entity_id, hash) VALUES ('task_report', ?1, ?2)",
            params![r.directive_id, hash],
        )?;
    }
    Ok(inserted > 0)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use linkage_protocol::rules::RuleError;

    fn fire_alert() -> DirectiveInput {
        DirectiveInput {
            target_node_id: "t1".into(),
            kind: DirectiveKind::Alert,
            title: "森林火险橙色预警".into(),
            body: "严禁野外用火，联户长逐户告知".into(),
            due_at_ms: Some(NOW + 86_400_000),
            evidence: vec![],
        }
    }

    #[test]
    fn fire_alert_cascades_to_households() {
        let (mut s, _) = store();
        s.sign_in("cs").unwrap();
        let d = s.issue_directive(fire_alert()).unwrap().directive.id;

        s.sign_in("ts").unwrap();
        let inbox = s.directive_inbox(false, 0, 10).unwrap().0;
        assert_eq!(inbox.len(), 1);
        // The next steps as the rules allow them: sign for it first; an alert takes no completion report.
        assert_eq!((inbox[0].can_acknowledge, inbox[0].can_relay, inbox[0].can_report_completion), (true, false, false));
        assert_eq!(s.directive_inbox(true, 0, 10).unwrap().0.len(), 1);
        let acked = s.acknowledge_directive(&d).unwrap();
        assert_eq!((acked.can_acknowledge, acked.can_relay), (false, true));
        assert!(s.directive_inbox(true, 0, 10).unwrap().0.is_empty(), "acknowledged: no longer to sign for");
        assert_eq!(s.directive_inbox(false, 0, 10).unwrap().0.len(), 1);
        assert!(!s.relay_directive(&d).unwrap().can_relay);

        s.sign_in("lh").unwrap();
        let inbox = s.directive_inbox(false, 0, 10).unwrap().0;
        assert_eq!((inbox[0].households_acknowledged, inbox[0].households_total), (0, 2));
        assert!(matches!(s.relay_directive(&d), Err(Error::Rule(RuleError::DirectiveStep(_)))));
        assert!(matches!(
            s.record_household_ack(&d, "h1", AckMeans::Phone),
            Err(Error::Rule(RuleError::DirectiveStep(_)))
        ));
        s.acknowledge_directive(&d).unwrap();
        s.acknowledge_directive(&d).unwrap(); // idempotent
        s.record_household_ack(&d, "h1", AckMeans::Visit).unwrap();
        let row = s.record_household_ack(&d, "h2", AckMeans::Phone).unwrap();
        assert_eq!((row.households_acknowledged, row.households_total), (2, 2));
        assert!(matches!(s.record_household_ack(&d, "h3", AckMeans::Phone), Err(Error::NotFound { .. })));

        s.sign_in("ts2").unwrap();
        assert!(s.directive_inbox(false, 0, 10).unwrap().0.is_empty(), "t2 is outside the target");

        s.sign_in("cs").unwrap();
        let cov = s.directive_coverage(&d).unwrap();
        assert_eq!(
            cov.levels,
            vec![(OrgLevel::Township, 1, 1), (OrgLevel::Branch, 0, 1), (OrgLevel::Group, 1, 2), (OrgLevel::Household, 2, 4)]
        );
        assert_eq!(cov.silent_total, 2);
        let (silent, total) = s.directive_silent_nodes(&d, 0, 10).unwrap();
        assert_eq!((silent.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), total), (vec!["b1", "g2"], 2));
        let (page, total) = s.directive_silent_nodes(&d, 1, 1).unwrap();
        assert_eq!((page.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), total), (vec!["g2"], 2));
        assert_eq!(s.outbox_counts().unwrap().pending, 6, "issue, 2 acks, relay, 2 households; the repeated ack adds none");
    }

    #[test]
    fn the_issuer_is_not_asked_to_sign_for_its_own_directive() {
        // County staff alert the whole county: their own node is in the target, yet it is not theirs to sign.
        let (mut s, _) = store();
        s.sign_in("cs").unwrap();
        let d = s.issue_directive(DirectiveInput { target_node_id: "c".into(), ..fire_alert() }).unwrap();
        assert_eq!((d.can_acknowledge, d.can_relay, d.can_report_completion), (false, false, false));
        let (to_sign, total) = s.directive_inbox(true, 0, 10).unwrap();
        assert!(to_sign.is_empty() && total == 0, "not in the issuer's own 待签收 list");
        let (all, total) = s.directive_inbox(false, 0, 10).unwrap();
        assert_eq!((all.len(), total, all[0].can_acknowledge), (1, 1, false), "still in the inbox, without 签收");
        let before = snapshot(&s);
        assert!(matches!(
            s.acknowledge_directive(&d.directive.id),
            Err(Error::Rule(RuleError::NotPermitted(linkage_protocol::rules::Denial::OwnDirective)))
        ));
        assert_eq!(snapshot(&s), before, "the refusal wrote nothing");
        // A township of the county does sign for it.
        s.sign_in("ts").unwrap();
        let (to_sign, total) = s.directive_inbox(true, 0, 10).unwrap();
        assert_eq!((to_sign.len(), total, to_sign[0].can_acknowledge), (1, 1, true));
    }

    #[test]
    fn inbox_silent_nodes_and_households_are_paged_and_counted() {
        let (mut s, _) = store();
        s.sign_in("cs").unwrap();
        let first = s.issue_directive(fire_alert()).unwrap().directive.id;
        let second = s.issue_directive(DirectiveInput { title: "第二条".into(), ..fire_alert() }).unwrap().directive.id;
        s.sign_in("lh").unwrap();
        let (page, total) = s.directive_inbox(false, 0, 1).unwrap();
        assert_eq!((page.len(), total), (1, 2));
        let (page2, _) = s.directive_inbox(false, 1, 1).unwrap();
        assert_ne!(page[0].directive.id, page2[0].directive.id);
        s.acknowledge_directive(&first).unwrap();
        assert_eq!(s.directive_inbox(true, 0, 10).unwrap().1, 1);
        s.record_household_ack(&first, "h2", AckMeans::InPerson).unwrap();
        // The liaison head's group g1 has h1 and h2: the untold h1 first, then h2 with when, how and by whom.
        let (rows, total, told) = s.directive_households(&first, 0, 10).unwrap();
        assert_eq!((total, told), (2, 1));
        assert_eq!(rows.iter().map(|r| r.household.id.as_str()).collect::<Vec<_>>(), ["h1", "h2"]);
        assert!(rows[0].acknowledgement.is_none());
        let ack = rows[1].acknowledgement.as_ref().unwrap();
        assert_eq!((ack.at_ms, ack.means, ack.recorded_by.as_str(), ack.recorded_by_name.as_deref()), (NOW, AckMeans::InPerson, "lh", Some("联户长")));
        let (one, total, _) = s.directive_households(&first, 1, 1).unwrap();
        assert_eq!((one[0].household.id.as_str(), total), ("h2", 2));
        assert!(s.directive_households(&second, 0, 10).unwrap().0.iter().all(|r| r.acknowledgement.is_none()));
        // The county sees every household of the target township t1 (h1, h2, h3, h5).
        s.sign_in("cs").unwrap();
        assert_eq!(s.directive_households(&first, 0, 2).unwrap().1, 4);
        assert!(matches!(s.directive_households("nope", 0, 10), Err(Error::NotFound { .. })));
    }

    #[test]
    fn a_page_pulled_twice_changes_nothing_and_counts_nothing_new() {
        // Phone A makes one change of every kind; phone B pulls them, then gets the same page again (a retry
        // after a lost response). The second time nothing is new and no record changes; only the clock moves.
        let (mut a, _) = store();
        a.sign_in("cs").unwrap();
        let d = a.issue_directive(fire_alert()).unwrap().directive.id;
        a.sign_in("ts").unwrap();
        a.acknowledge_directive(&d).unwrap();
        a.relay_directive(&d).unwrap();
        a.sign_in("gw").unwrap();
        a.acknowledge_directive(&d).unwrap();
        a.relay_directive(&d).unwrap();
        a.record_visit(crate::store::VisitInput {
            household_id: "h1".into(),
            kind: linkage_protocol::model::VisitKind::Routine,
            started_at_ms: NOW - 60_000,
            ended_at_ms: NOW,
            fix: None,
            notes: "走访".into(),
            evidence: vec![],
            issue_id: None,
        })
        .unwrap();
        a.sign_in("lh").unwrap();
        a.acknowledge_directive(&d).unwrap();
        a.record_household_ack(&d, "h1", AckMeans::Visit).unwrap();
        let issue = a.report_issue(crate::store::issues::tests_support::draft()).unwrap().projection.id;
        a.sign_in("ts").unwrap();
        a.perform_issue_action(&issue, crate::store::IssueCommand::Accept).unwrap();
        let ops = a.pending_operations(100).unwrap();
        let kinds: std::collections::BTreeSet<&str> = ops.iter().map(|o| o.body.kind()).collect();
        assert_eq!(kinds.len(), 6, "every kind of operation: {kinds:?}");
        let changes: Vec<linkage_protocol::sync::Change> = ops
            .iter()
            .enumerate()
            .map(|(i, op)| linkage_protocol::sync::Change { seq: i as i64 + 1, received_at_ms: NOW, op: op.clone() })
            .collect();

        let (mut b, _) = store();
        assert_eq!(b.apply_changes(&changes, ops.len() as i64).unwrap() as usize, ops.len());
        let key = |k: &str| format!("meta:{:?}|", rusqlite::types::ValueRef::Text(k.as_bytes()));
        let (hlc, cursor) = (key("hlc"), key("pull_cursor"));
        let key_table = |t: &str| format!("{t}:");
        let records = |s: &Store| snapshot(s).into_iter().filter(|r| !r.starts_with(&hlc)).collect::<Vec<_>>();
        let before = records(&b);
        assert_eq!(b.apply_changes(&changes, ops.len() as i64).unwrap(), 0, "nothing is new the second time");
        assert_eq!(records(&b), before);
        assert_eq!(b.outbox_counts().unwrap().pending, 0);
        // Phone A gets its own operations back: nothing new either; its events only learn the server's order.
        let issue_events = key_table("issue_events");
        let unsequenced = |s: &Store| -> i64 {
            s.conn().query_row("SELECT count(*) FROM issue_events WHERE server_seq IS NULL", [], |r| r.get(0)).unwrap()
        };
        let others = |s: &Store| {
            records(s).into_iter().filter(|r| !r.starts_with(&cursor) && !r.starts_with(&issue_events)).collect::<Vec<_>>()
        };
        let before = others(&a);
        assert_eq!(unsequenced(&a), 2);
        assert_eq!(a.apply_changes(&changes, ops.len() as i64).unwrap(), 0);
        assert_eq!(others(&a), before);
        assert_eq!(unsequenced(&a), 0);
    }

    #[test]
    fn issuing_rules_and_bad_input_change_nothing() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let before = snapshot(&s);
        assert!(matches!(s.issue_directive(fire_alert()), Err(Error::Rule(RuleError::NotPermitted(_)))));
        s.sign_in("ts").unwrap();
        assert!(matches!(
            s.issue_directive(DirectiveInput { target_node_id: "t2".into(), ..fire_alert() }),
            Err(Error::Rule(RuleError::OutOfScope))
        ));
        assert!(matches!(
            s.issue_directive(DirectiveInput { kind: DirectiveKind::Task, due_at_ms: None, ..fire_alert() }),
            Err(Error::Field(_))
        ));
        assert!(matches!(s.issue_directive(DirectiveInput { title: "".into(), ..fire_alert() }), Err(Error::Field(_))));
        assert!(matches!(
            s.issue_directive(DirectiveInput { target_node_id: "zz".into(), ..fire_alert() }),
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            s.issue_directive(DirectiveInput { evidence: vec!["not-a-hash".into()], ..fire_alert() }),
            Err(Error::Field(f)) if f.field == "evidence"
        ));
        // A branch (its grid worker) issues to its groups, not to the township above it.
        s.sign_in("gw").unwrap();
        assert!(matches!(s.issue_directive(fire_alert()), Err(Error::Rule(RuleError::OutOfScope))));
        s.sign_in("lh").unwrap();
        assert_eq!(snapshot(&s), before);
    }
}
