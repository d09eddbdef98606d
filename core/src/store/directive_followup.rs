//! Following a directive up (督促落实, DESIGN §6): the reminders (催办) a node above sends to nodes that have not
//! signed for it, and the completion reports of a task (任务完成情况) as the issuer reviews them — accept (通过)
//! or send back (退回) with a reason, after which the node reports again. Who may do each is the shared rule of
//! `linkage_protocol::rules::directive`; each step is one operation written with its record.

use linkage_protocol::model::OrgLevel;
use linkage_protocol::rules::directive::{self as rules, TaskReportStatus};
use linkage_protocol::rules::scope;
use linkage_protocol::validate;
use linkage_protocol::wire::{DirectiveReminder, OpBody, TaskReview};
use rusqlite::params;

use super::directives::facts;
use super::{page_limit, parse_enum, Store};
use crate::error::Result;

/// A node's completion report of a task, as the issuer reviews it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskReportRow {
    pub directive_id: String,
    /// The task's title, for lists that gather reports of several tasks (待我审批).
    pub directive_title: String,
    pub node_id: String,
    pub node_name: String,
    pub node_level: OrgLevel,
    pub reported_by: String,
    pub reported_by_name: Option<String>,
    pub at_ms: i64,
    pub note: String,
    pub evidence: Vec<String>,
    pub status: TaskReportStatus,
    pub review_reason: Option<String>,
    pub reviewed_at_ms: Option<i64>,
    /// 通过 / 退回 are open to the user now (the issuing node, a waiting report).
    pub can_review: bool,
}

impl Store {
    /// Reminds (催办) every node of the directive's view that has not signed for it (as
    /// `directive_silent_nodes` lists them): one reminder operation per node, all in one transaction. Their
    /// phones get it with their next sync and show it on the directive. Returns how many were reminded.
    pub fn remind_silent_nodes(&mut self, id: &str) -> Result<u32> {
        let actor = self.actor()?.clone();
        let (row, target_path) = self.directive_with_path(id)?;
        let (silent, _) = self.directive_silent_nodes(id, 0, u32::MAX)?;
        let mut nodes = Vec::with_capacity(silent.len());
        for n in silent {
            let node = self.node(&n.id)?;
            // The nodes above the user in the view (none when the view is the user's own subtree) are not theirs.
            if rules::authorize_remind(&actor, facts(&row, &target_path), &node.id, &node.path, false).is_ok() {
                nodes.push(node.id);
            }
        }
        if nodes.is_empty() {
            return Ok(0);
        }
        let count = nodes.len() as u32;
        self.write(|w| {
            for node_id in nodes {
                let r = DirectiveReminder { directive_id: id.to_string(), node_id, user_id: actor.user_id.clone(), at_ms: w.now_ms };
                persist_reminder(&w.tx, &r)?;
                let op = w.new_op(OpBody::DirectiveReminded(r));
                w.enqueue_op(&op)?;
            }
            Ok(())
        })?;
        Ok(count)
    }

    /// Reminds (催办) one node that has not signed for the directive.
    pub fn remind_node(&mut self, id: &str, node_id: &str) -> Result<()> {
        let actor = self.actor()?.clone();
        let (row, target_path) = self.directive_with_path(id)?;
        validate::id("node_id", node_id)?;
        let node = self.node(node_id)?;
        let acked: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM directive_acks WHERE directive_id = ?1 AND node_id = ?2)",
            [id, node_id],
            |r| r.get(0),
        )?;
        rules::authorize_remind(&actor, facts(&row, &target_path), &node.id, &node.path, acked)?;
        self.write(|w| {
            let r = DirectiveReminder { directive_id: id.to_string(), node_id: node.id.clone(), user_id: actor.user_id.clone(), at_ms: w.now_ms };
            persist_reminder(&w.tx, &r)?;
            let op = w.new_op(OpBody::DirectiveReminded(r));
            w.enqueue_op(&op)
        })
    }

    /// The completion reports of a task in the user's view: waiting ones (待审核) first, then by node path;
    /// paged, with the total.
    pub fn directive_task_reports(&self, id: &str, offset: u32, limit: u32) -> Result<(Vec<TaskReportRow>, u64)> {
        let actor = self.actor()?.clone();
        let (row, target_path) = self.directive_with_path(id)?;
        let view = if scope::within(&target_path, &actor.node_path) { actor.node_path.clone() } else { target_path.clone() };
        let upper = scope::upper_bound(&view);
        let mut stmt = self.conn().prepare_cached(
            "SELECT r.node_id, n.name, n.level, r.reported_by, u.name, r.at_ms, r.note, r.evidence, r.status,
                    r.review_reason, r.reviewed_at_ms
             FROM directive_task_reports r JOIN org_nodes n ON n.id = r.node_id LEFT JOIN users u ON u.id = r.reported_by
             WHERE r.directive_id = ?1 AND n.path >= ?2 AND n.path < ?3
             ORDER BY r.status <> 'pending', n.path LIMIT ?4 OFFSET ?5",
        )?;
        type Raw = (String, String, String, String, Option<String>, i64, String, String, String, Option<String>, Option<i64>);
        let raw = stmt
            .query_map(params![id, view, upper, page_limit(limit), offset], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?))
            })?
            .collect::<rusqlite::Result<Vec<Raw>>>()?;
        let mut items = Vec::with_capacity(raw.len());
        for (node_id, node_name, level, reported_by, reported_by_name, at_ms, note, evidence, status, review_reason, reviewed_at_ms) in raw {
            let status: TaskReportStatus = parse_enum(&status)?;
            let can_review = rules::authorize_task_review(&actor, facts(&row, &target_path), Some(status)).is_ok();
            items.push(TaskReportRow {
                directive_id: id.to_string(),
                directive_title: row.directive.title.clone(),
                node_id,
                node_name,
                node_level: parse_enum(&level)?,
                reported_by,
                reported_by_name,
                at_ms,
                note,
                evidence: serde_json::from_str(&evidence)?,
                status,
                review_reason,
                reviewed_at_ms,
                can_review,
            });
        }
        let total: u64 = self.conn().query_row(
            "SELECT count(*) FROM directive_task_reports r JOIN org_nodes n ON n.id = r.node_id
             WHERE r.directive_id = ?1 AND n.path >= ?2 AND n.path < ?3",
            params![id, view, upper],
            |r| r.get(0),
        )?;
        Ok((items, total))
    }

    /// The completion reports waiting for the user's review (待我审批, beside the issues waiting for a decision):
    /// every waiting report the shared rule lets the user accept or send back now, oldest first; paged, with
    /// the total.
    pub fn task_reports_waiting_for_me(&self, offset: u32, limit: u32) -> Result<(Vec<TaskReportRow>, u64)> {
        let directives: Vec<String> = self
            .conn()
            .prepare_cached("SELECT DISTINCT directive_id FROM directive_task_reports WHERE status = 'pending' ORDER BY directive_id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut waiting = Vec::new();
        for id in directives {
            match self.directive_task_reports(&id, 0, u32::MAX) {
                Ok((rows, _)) => waiting.extend(rows.into_iter().filter(|r| r.can_review && r.status == TaskReportStatus::Pending)),
                // A directive outside the user's view: none of its reports are theirs to review.
                Err(crate::error::Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        waiting.sort_by(|a, b| (a.at_ms, &a.directive_id, &a.node_id).cmp(&(b.at_ms, &b.directive_id, &b.node_id)));
        let total = waiting.len() as u64;
        Ok((waiting.into_iter().skip(offset as usize).take(page_limit(limit) as usize).collect(), total))
    }

    /// Accepts (通过) a node's waiting completion report, or sends it back (退回) with a reason (required).
    /// Bad input or a report not waiting: a typed error, nothing written.
    pub fn review_task_report(&mut self, id: &str, node_id: &str, accepted: bool, reason: &str) -> Result<TaskReportRow> {
        let actor = self.actor()?.clone();
        let (row, target_path) = self.directive_with_path(id)?;
        validate::id("node_id", node_id)?;
        let report: Option<(String, i64)> = rusqlite::OptionalExtension::optional(self.conn().query_row(
            "SELECT status, at_ms FROM directive_task_reports WHERE directive_id = ?1 AND node_id = ?2",
            [id, node_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        ))?;
        let status = report.as_ref().map(|r| parse_enum::<TaskReportStatus>(&r.0)).transpose()?;
        rules::authorize_task_review(&actor, facts(&row, &target_path), status)?;
        let reason = rules::validate_review_reason(accepted, reason)?;
        let report_at_ms = report.map(|r| r.1).unwrap_or_default();
        self.write(|w| {
            let review = TaskReview {
                directive_id: id.to_string(),
                node_id: node_id.to_string(),
                accepted,
                reason,
                user_id: actor.user_id.clone(),
                report_at_ms,
                at_ms: w.now_ms.max(report_at_ms),
            };
            persist_task_review(&w.tx, &review)?;
            let op = w.new_op(OpBody::TaskReportReviewed(review));
            w.enqueue_op(&op)
        })?;
        let (rows, _) = self.directive_task_reports(id, 0, u32::MAX)?;
        rows.into_iter().find(|r| r.node_id == node_id).ok_or_else(|| crate::error::Error::not_found("task_report", node_id))
    }
}

/// Stores a reminder (local or pulled); the same one twice is kept once. Whether it was new.
pub(crate) fn persist_reminder(tx: &rusqlite::Connection, r: &DirectiveReminder) -> Result<bool> {
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO directive_reminders (directive_id, node_id, reminded_by, at_ms)
         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM directives WHERE id = ?1)",
        params![r.directive_id, r.node_id, r.user_id, r.at_ms],
    )?;
    Ok(inserted > 0)
}

/// Stores the issuer's review of the report it names (a review of an older, replaced report changes nothing).
/// Whether anything changed.
pub(crate) fn persist_task_review(tx: &rusqlite::Connection, r: &TaskReview) -> Result<bool> {
    let changed = tx.execute(
        "UPDATE directive_task_reports SET status = ?3, reviewed_by = ?4, reviewed_at_ms = ?5, review_reason = ?6
         WHERE directive_id = ?1 AND node_id = ?2 AND status = 'pending' AND at_ms = ?7",
        params![
            r.directive_id,
            r.node_id,
            if r.accepted { "accepted" } else { "returned" },
            r.user_id,
            r.at_ms,
            if r.accepted { None } else { Some(r.reason.as_str()) },
            r.report_at_ms
        ],
    )?;
    Ok(changed > 0)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::DirectiveInput;
    use super::*;
    use crate::error::Error;
    use linkage_protocol::model::DirectiveKind;
    use linkage_protocol::rules::{Denial, RuleError};

    fn alert() -> DirectiveInput {
        DirectiveInput {
            target_node_id: "t1".into(),
            kind: DirectiveKind::Alert,
            title: "护林防火预警".into(),
            body: "严禁野外用火".into(),
            due_at_ms: None,
            evidence: vec![],
        }
    }

    #[test]
    fn the_issuer_reminds_the_silent_nodes_and_they_see_it() {
        let (mut s, clock) = store();
        s.sign_in("cs").unwrap();
        let d = s.issue_directive(alert()).unwrap().directive.id;
        // The county's alert to 石堡镇 is in the county's own inbox, to follow it up (not to sign).
        let (own, total) = s.directive_inbox(false, 0, 10).unwrap();
        assert_eq!((own[0].directive.id.as_str(), total, own[0].can_acknowledge), (d.as_str(), 1, false));
        assert_eq!(s.directive_inbox(true, 0, 10).unwrap().1, 0);
        s.sign_in("ts2").unwrap();
        assert_eq!(s.directive_inbox(false, 0, 10).unwrap().1, 0, "not another township's");
        s.sign_in("ts").unwrap();
        s.acknowledge_directive(&d).unwrap();
        s.sign_in("cs").unwrap();
        clock.advance_ms(3 * 3_600_000);
        // Silent under t1: b1, g1, g2.
        assert_eq!(s.remind_silent_nodes(&d).unwrap(), 3);
        let (silent, _) = s.directive_silent_nodes(&d, 0, 10).unwrap();
        assert!(silent.iter().all(|n| n.reminded_at_ms == Some(NOW + 3 * 3_600_000)));
        assert_eq!(s.outbox_counts().unwrap().pending, 5, "issue, ack, three reminders");
        // Reminding a node that signed is refused, and writes nothing.
        let before = snapshot(&s);
        assert!(matches!(s.remind_node(&d, "t1"), Err(Error::Rule(RuleError::DirectiveStep(_)))));
        assert_eq!(snapshot(&s), before);
        // The reminded branch sees the reminder on the directive until it signs.
        s.sign_in("gw").unwrap();
        assert_eq!(s.directive(&d).unwrap().my_reminded_at_ms, Some(NOW + 3 * 3_600_000));
        // The branch chases its own groups; not the township above it.
        clock.advance_ms(60_000);
        s.acknowledge_directive(&d).unwrap();
        assert_eq!(s.directive(&d).unwrap().my_reminded_at_ms, None);
        s.remind_node(&d, "g1").unwrap();
        assert!(matches!(s.remind_node(&d, "t1"), Err(Error::Rule(RuleError::OutOfScope))));
        assert_eq!(s.remind_silent_nodes(&d).unwrap(), 2, "both groups below the branch, still silent");
    }

    #[test]
    fn a_task_report_is_accepted_or_sent_back_and_reported_again() {
        let (mut s, clock) = store();
        s.sign_in("ts").unwrap();
        let task = s
            .issue_directive(DirectiveInput { kind: DirectiveKind::Task, due_at_ms: Some(NOW + 72 * 3_600_000), ..alert() })
            .unwrap()
            .directive
            .id;
        s.sign_in("gw").unwrap();
        s.acknowledge_directive(&task).unwrap();
        clock.advance_ms(1000);
        s.report_task_completion(&task, "已清理可燃物", &[]).unwrap();
        s.sign_in("ts").unwrap();
        assert_eq!(s.directive(&task).unwrap().reports_waiting, 1);
        // 待我审批 lists it beside the issues, with the task's title; the dashboard counts it.
        let (waiting, n) = s.task_reports_waiting_for_me(0, 10).unwrap();
        assert_eq!((n, waiting[0].directive_id.as_str(), waiting[0].directive_title.as_str(), waiting[0].node_id.as_str()), (1, task.as_str(), "护林防火预警", "b1"));
        assert_eq!(s.dashboard(NOW - 86_400_000, NOW + 86_400_000).unwrap().waiting_for_me, 1);
        s.sign_in("cs").unwrap();
        assert_eq!(s.task_reports_waiting_for_me(0, 10).unwrap().1, 0, "the county did not issue it: not the county's to review");
        s.sign_in("ts").unwrap();
        let (reports, total) = s.directive_task_reports(&task, 0, 10).unwrap();
        assert_eq!((total, reports[0].node_id.as_str(), reports[0].status, reports[0].can_review), (1, "b1", TaskReportStatus::Pending, true));
        // Sending back needs a reason; nothing is written without one.
        let before = snapshot(&s);
        assert!(matches!(s.review_task_report(&task, "b1", false, "  "), Err(Error::Field(f)) if f.field == "reason"));
        assert_eq!(snapshot(&s), before);
        clock.advance_ms(1000);
        let back = s.review_task_report(&task, "b1", false, "照片看不清，请补拍").unwrap();
        assert_eq!((back.status, back.review_reason.as_deref(), back.can_review), (TaskReportStatus::Returned, Some("照片看不清，请补拍"), false));
        assert!(matches!(s.review_task_report(&task, "b1", true, ""), Err(Error::Rule(RuleError::DirectiveStep(_)))));
        // The branch sees why and reports again.
        s.sign_in("gw").unwrap();
        let row = s.directive(&task).unwrap();
        assert_eq!((row.my_report_status, row.my_report_return_reason.as_deref(), row.can_report_completion), (Some(TaskReportStatus::Returned), Some("照片看不清，请补拍"), true));
        assert_eq!(row.my_completed_at_ms, None);
        clock.advance_ms(1000);
        let again = s.report_task_completion(&task, "已补拍清理前后照片", &[]).unwrap();
        assert_eq!((again.my_report_status, again.can_report_completion), (Some(TaskReportStatus::Pending), false));
        // Only the issuing node reviews.
        s.sign_in("cs").unwrap();
        assert!(matches!(s.review_task_report(&task, "b1", true, ""), Err(Error::Rule(RuleError::NotPermitted(Denial::NotTaskIssuer)))));
        s.sign_in("ts").unwrap();
        assert_eq!(s.task_reports_waiting_for_me(0, 10).unwrap().1, 1, "reported again: waiting again");
        let ok = s.review_task_report(&task, "b1", true, "").unwrap();
        assert_eq!((ok.status, ok.note.as_str()), (TaskReportStatus::Accepted, "已补拍清理前后照片"));
        assert_eq!(s.task_reports_waiting_for_me(0, 10).unwrap().1, 0);
        assert_eq!(s.directive(&task).unwrap().reports_waiting, 0);
        // report, review, report, review, issue, ack: six operations, in order.
        let kinds: Vec<&str> = s.pending_operations(100).unwrap().iter().map(|o| o.body.kind()).collect::<Vec<_>>().leak().to_vec();
        assert_eq!(kinds.iter().filter(|k| **k == "task_report_reviewed").count(), 2);
    }

    #[test]
    fn pulled_reminders_and_reviews_apply_once() {
        let (mut a, clock) = store();
        a.sign_in("ts").unwrap();
        let task = a
            .issue_directive(DirectiveInput { kind: DirectiveKind::Task, due_at_ms: Some(NOW + 72 * 3_600_000), ..alert() })
            .unwrap()
            .directive
            .id;
        a.sign_in("gw").unwrap();
        a.acknowledge_directive(&task).unwrap();
        a.report_task_completion(&task, "已完成", &[]).unwrap();
        a.sign_in("ts").unwrap();
        clock.advance_ms(1000);
        a.remind_node(&task, "g1").unwrap();
        a.review_task_report(&task, "b1", false, "请补充照片").unwrap();
        let ops = a.pending_operations(100).unwrap();
        let changes: Vec<linkage_protocol::sync::Change> = ops
            .iter()
            .enumerate()
            .map(|(i, op)| linkage_protocol::sync::Change { seq: i as i64 + 1, received_at_ms: NOW, op: op.clone() })
            .collect();
        let (mut b, _) = store();
        assert_eq!(b.apply_changes(&changes, ops.len() as i64).unwrap() as usize, ops.len());
        assert_eq!(b.apply_changes(&changes, ops.len() as i64).unwrap(), 0, "nothing new the second time");
        b.sign_in("lh").unwrap();
        assert_eq!(b.directive(&task).unwrap().my_reminded_at_ms, Some(NOW + 1000));
        b.sign_in("gw").unwrap();
        assert_eq!(b.directive(&task).unwrap().my_report_return_reason.as_deref(), Some("请补充照片"));
    }
}
