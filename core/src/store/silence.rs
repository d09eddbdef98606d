//! Directive silence (逾期未签收, DESIGN §6): a node that has not acknowledged (签收) a directive past its
//! acknowledgement window is flagged to its parent, which chases it by phone. This is the parent's list: the
//! direct children of the signed-in user's node that are silent past their window on directives that reach
//! them, most overdue first. The window is the shared rule of `linkage_protocol::rules::ack_window`.

use linkage_protocol::model::{DirectiveKind, OrgLevel};
use linkage_protocol::rules::ack_window;
use rusqlite::params;

use super::{page_limit, parse_enum, Store};
use crate::error::Result;

/// A child node silent past its window on one directive.
#[derive(Debug, Clone, PartialEq)]
pub struct SilentChildRow {
    pub directive_id: String,
    pub directive_title: String,
    pub directive_kind: DirectiveKind,
    pub issued_at_ms: i64,
    /// When the node should have acknowledged by.
    pub deadline_ms: i64,
    pub node_id: String,
    pub node_name: String,
    pub node_level: OrgLevel,
    /// How long past the deadline, at the time of the query.
    pub overdue_ms: i64,
}

impl Store {
    /// Direct children of the user's node that have not acknowledged a directive reaching them (its target
    /// subtree contains them; the issuing node itself owes no acknowledgement) and whose window has passed,
    /// most overdue first, then by directive and node; paged, with the total.
    pub fn silent_nodes_for_me(&self, offset: u32, limit: u32) -> Result<(Vec<SilentChildRow>, u64)> {
        let actor = self.actor()?;
        let now = self.now_ms();
        let policy = self.policies.ack_windows;
        // Unacknowledged (directive, child) pairs; the window (which depends on kind and due time) is the
        // shared rule's, applied below.
        let mut stmt = self.conn().prepare_cached(
            "SELECT d.id, d.title, d.kind, d.issued_at_ms, d.due_at_ms, n.id, n.name, n.level
             FROM org_nodes n JOIN directives d ON substr(n.path, 1, length(d.target_path)) = d.target_path
             WHERE n.parent_id = ?1 AND n.id <> d.issuer_node_id
               AND NOT EXISTS (SELECT 1 FROM directive_acks a WHERE a.directive_id = d.id AND a.node_id = n.id)",
        )?;
        let mut rows = stmt
            .query_map(params![actor.node_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })?
            .filter_map(|r| {
                let parsed = r.map_err(crate::error::Error::from).and_then(|(id, title, kind, issued, due, node_id, node_name, level)| {
                    let kind: DirectiveKind = parse_enum(&kind)?;
                    let deadline = ack_window::ack_deadline_ms(kind, issued, due, &policy);
                    let Some(overdue_ms) = ack_window::silent_for_ms(deadline, None, now) else { return Ok(None) };
                    Ok(Some(SilentChildRow {
                        directive_id: id,
                        directive_title: title,
                        directive_kind: kind,
                        issued_at_ms: issued,
                        deadline_ms: deadline.unwrap_or(issued),
                        node_id,
                        node_name,
                        node_level: parse_enum(&level)?,
                        overdue_ms,
                    }))
                });
                parsed.transpose()
            })
            .collect::<Result<Vec<_>>>()?;
        rows.sort_by(|a, b| {
            b.overdue_ms
                .cmp(&a.overdue_ms)
                .then_with(|| a.directive_id.cmp(&b.directive_id))
                .then_with(|| a.node_id.cmp(&b.node_id))
        });
        let total = rows.len() as u64;
        Ok((rows.into_iter().skip(offset as usize).take(page_limit(limit) as usize).collect(), total))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::DirectiveInput;
    use super::*;

    const H: i64 = 3_600_000;

    fn fire_alert() -> DirectiveInput {
        DirectiveInput {
            target_node_id: "c".into(),
            kind: DirectiveKind::Alert,
            title: "护林防火橙色预警".into(),
            body: "严禁野外用火，联户长逐户告知".into(),
            due_at_ms: Some(NOW + 24 * H),
            evidence: vec![],
        }
    }

    #[test]
    fn fire_alert_silence_is_flagged_to_the_parent_after_two_hours() {
        let (mut s, clock) = store();
        s.sign_in("cs").unwrap();
        let d = s.issue_directive(fire_alert()).unwrap().directive.id;
        // A notice from the township t1 to its own subtree (24 h window).
        s.sign_in("ts").unwrap();
        let notice = s
            .issue_directive(DirectiveInput { target_node_id: "t1".into(), kind: DirectiveKind::Notice, due_at_ms: None, title: "秋季防火会议通知".into(), ..fire_alert() })
            .unwrap()
            .directive
            .id;
        s.acknowledge_directive(&d).unwrap(); // t1 signs for the alert within the window

        // Exactly at the 2 h deadline nobody is silent yet.
        clock.advance_ms(2 * H);
        s.sign_in("cs").unwrap();
        assert_eq!(s.silent_nodes_for_me(0, 10).unwrap().1, 0);

        clock.advance_ms(H);
        // The county sees t2 silent on the alert for 1 h; t1 acknowledged; the notice is t1's, not the county's
        // to chase (t1 issued it, so t1 owes no acknowledgement, and it does not reach t2).
        let (rows, total) = s.silent_nodes_for_me(0, 10).unwrap();
        assert_eq!(total, 1);
        assert_eq!((rows[0].node_id.as_str(), rows[0].directive_id.as_str()), ("t2", d.as_str()));
        assert_eq!((rows[0].overdue_ms, rows[0].deadline_ms), (H, NOW + 2 * H));
        assert_eq!((rows[0].directive_kind, rows[0].node_level), (DirectiveKind::Alert, OrgLevel::Township));
        assert_eq!(rows[0].directive_title, "护林防火橙色预警");

        // t1 sees its branch b1 silent on the alert; the notice's 24 h window is still open.
        s.sign_in("ts").unwrap();
        let (rows, _) = s.silent_nodes_for_me(0, 10).unwrap();
        assert_eq!(rows.iter().map(|r| (r.node_id.as_str(), r.directive_id.as_str())).collect::<Vec<_>>(), [("b1", d.as_str())]);

        // A day later b1 is silent on both; the alert longer overdue comes first.
        clock.advance_ms(24 * H);
        let (rows, total) = s.silent_nodes_for_me(0, 10).unwrap();
        assert_eq!(total, 2);
        assert_eq!(rows.iter().map(|r| r.directive_id.as_str()).collect::<Vec<_>>(), [d.as_str(), notice.as_str()]);
        assert_eq!(rows[0].overdue_ms, 25 * H);
        assert_eq!(rows[1].overdue_ms, 3 * H);
        assert_eq!(s.silent_nodes_for_me(1, 1).unwrap().0[0].directive_id, notice);

        // Once b1 signs for the alert (late), it is no longer silent on it.
        s.sign_in("gw").unwrap();
        s.acknowledge_directive(&d).unwrap();
        // The grid worker's children (groups g1, g2) are now silent on both.
        assert_eq!(s.silent_nodes_for_me(0, 10).unwrap().1, 4);
        s.sign_in("ts").unwrap();
        let (rows, _) = s.silent_nodes_for_me(0, 10).unwrap();
        assert_eq!(rows.iter().map(|r| r.directive_id.as_str()).collect::<Vec<_>>(), [notice.as_str()]);
        // A liaison head's children are households, not nodes: nothing to flag.
        s.sign_in("lh").unwrap();
        assert_eq!(s.silent_nodes_for_me(0, 10).unwrap().1, 0);
    }
}
