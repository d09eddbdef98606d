//! Measures (考核指标) for the signed-in user's area and a period: the issue measures, acknowledgement coverage
//! and latency of the directives issued in the period, and visit coverage now. The arithmetic and every
//! definition live in `linkage_protocol::rules::measures` (shared with the server's export); this module only
//! gathers the inputs with a few indexed queries.

use std::collections::HashMap;

use linkage_protocol::model::{IssueActionKind, OrgLevel};
use linkage_protocol::rules::lifecycle::IssueProjection;
use linkage_protocol::rules::measures::{self, AckSample, IssueHistory, IssueMeasures, LevelAckMeasure, Period};
use linkage_protocol::rules::{ack_window, scope};
use linkage_protocol::wire::IssueEvent;
use rusqlite::params;

use super::{enum_str, parse_enum, CoverageRow, NodeRow, Store};
use crate::error::{Error, Result};

/// Issues reported more than this long before the period starts are not considered: their resolve deadline
/// cannot fall in the period unless a resolve limit exceeds a year.
pub const LOOKBACK_MS: i64 = 366 * 86_400_000;

/// Verify and escalate events, by issue id.
type EventsByIssue = HashMap<String, Vec<IssueEvent>>;

/// Everything the measures screen shows.
#[derive(Debug, Clone)]
pub struct MeasuresReport {
    pub period: Period,
    /// The user's whole area.
    pub issues: IssueMeasures,
    /// The same per direct child of the user's node (by township for the county), in path order.
    pub by_child: Vec<(NodeRow, IssueMeasures)>,
    /// Directives issued in the period that reach the area.
    pub directives: u32,
    /// Acknowledgement per level, pooled over those directives, within the area.
    pub acknowledgements: Vec<LevelAckMeasure>,
    /// Visit coverage now at the user's level (see `visit_coverage`).
    pub visit_level: OrgLevel,
    pub visit_interval_days: Option<u32>,
    pub visits: CoverageRow,
}

impl Store {
    /// The measures of `[from_ms, to_ms)` for the user's area, computed now.
    pub fn measures(&self, from_ms: i64, to_ms: i64) -> Result<MeasuresReport> {
        if from_ms >= to_ms {
            return Err(Error::invalid("to_ms", "the period must end after it starts"));
        }
        let actor = self.actor()?.clone();
        let period = Period { from_ms, to_ms };
        let now = self.now_ms();
        let (projections, events) = self.issues_for_measures(&actor.node_path, period)?;
        let sla = self.policies.sla.clone();
        let no_events: Vec<IssueEvent> = Vec::new();
        let histories: Vec<IssueHistory<'_>> = projections
            .iter()
            .map(|p| IssueHistory { projection: p, events: events.get(&p.id).unwrap_or(&no_events) })
            .collect();
        // One pass: each issue's deadlines are worked out once and added to the area and to its child's row.
        let children = self.children(&actor.node_id)?;
        let areas: Vec<&str> = children.iter().map(|c| c.path.as_str()).collect();
        let (issues, per_child) = measures::issue_measures_by_area(&histories, &areas, period, now, &sla);
        let by_child = children.into_iter().zip(per_child).collect();
        let (directives, samples) = self.ack_samples(&actor.node_path, period)?;
        let coverage = self.visit_coverage()?;
        Ok(MeasuresReport {
            period,
            issues,
            by_child,
            directives,
            acknowledgements: measures::ack_measures(&samples),
            visit_level: coverage.level,
            visit_interval_days: coverage.interval_days,
            visits: coverage.total,
        })
    }

    fn children(&self, node_id: &str) -> Result<Vec<NodeRow>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, parent_id, level, name, path FROM org_nodes WHERE parent_id = ?1 ORDER BY path",
        )?;
        let rows = stmt.query_map([node_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.map(|r| {
            let (id, parent_id, level, name, path) = r?;
            Ok(NodeRow { id, parent_id, level: parse_enum(&level)?, name, path })
        })
        .collect()
    }

    /// Projections of the issues in the area reported in `[from − LOOKBACK, to)`, with their verify and
    /// escalate events (the history the projection does not keep).
    fn issues_for_measures(
        &self,
        scope_path: &str,
        period: Period,
    ) -> Result<(Vec<IssueProjection>, EventsByIssue)> {
        let upper = scope::upper_bound(scope_path);
        let since = period.from_ms.saturating_sub(LOOKBACK_MS);
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {} FROM issues WHERE path >= ?1 AND path < ?2 AND reported_at_ms >= ?3 AND reported_at_ms < ?4",
            super::issues::COLUMNS
        ))?;
        let projections = stmt
            .query_map(params![scope_path, upper, since, period.to_ms], super::issues::map_issue)?
            .map(|r| Ok(super::issues::read_projection(r?)?.0))
            .collect::<Result<Vec<_>>>()?;
        // The action names are literals so that the partial index on exactly these events (schema 7) applies.
        debug_assert_eq!((enum_str(&IssueActionKind::Verify), enum_str(&IssueActionKind::Escalate)), ("verify".into(), "escalate".into()));
        let mut stmt = self.conn().prepare_cached(
            "SELECT e.body FROM issue_events e JOIN issues i ON i.id = e.issue_id
             WHERE e.action IN ('verify', 'escalate') AND i.path >= ?1 AND i.path < ?2 AND i.reported_at_ms >= ?3 AND i.reported_at_ms < ?4",
        )?;
        let mut events: HashMap<String, Vec<IssueEvent>> = HashMap::new();
        let bodies = stmt.query_map(params![scope_path, upper, since, period.to_ms], |r| r.get::<_, String>(0))?;
        for body in bodies {
            let event: IssueEvent = serde_json::from_str(&body?)?;
            events.entry(event.issue_id.clone()).or_default().push(event);
        }
        Ok((projections, events))
    }

    /// Directives issued in the period whose target subtree overlaps the area, and one sample per directive
    /// and level: the nodes (and households) it reached inside the area, except the issuing node, and the
    /// latencies of their acknowledgements.
    fn ack_samples(&self, scope_path: &str, period: Period) -> Result<(u32, Vec<AckSample>)> {
        let policy = self.policies.ack_windows;
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, kind, issued_at_ms, due_at_ms, issuer_node_id, target_path FROM directives
             WHERE issued_at_ms >= ?1 AND issued_at_ms < ?2
               AND ((target_path >= ?3 AND target_path < ?4) OR substr(?3, 1, length(target_path)) = target_path)",
        )?;
        let directives = stmt
            .query_map(params![period.from_ms, period.to_ms, scope_path, scope::upper_bound(scope_path)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut samples = Vec::new();
        for (id, kind, issued, due, issuer_node, target_path) in &directives {
            let kind = parse_enum(kind)?;
            let window_ms = ack_window::ack_deadline_ms(kind, *issued, *due, &policy).map(|d| d - issued);
            // The part of the target the user can see: the deeper of the target and the user's node.
            let view = if scope::within(target_path, scope_path) { scope_path } else { target_path.as_str() };
            let upper = scope::upper_bound(view);
            let mut by_level: HashMap<OrgLevel, AckSample> = HashMap::new();
            let mut stmt = self.conn().prepare_cached(
                "SELECT n.level, a.acked_at_ms FROM org_nodes n
                 LEFT JOIN directive_acks a ON a.directive_id = ?1 AND a.node_id = n.id
                 WHERE n.path >= ?2 AND n.path < ?3 AND n.id <> ?4",
            )?;
            let rows = stmt.query_map(params![id, view, upper, issuer_node], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
            })?;
            for row in rows {
                let (level, acked) = row?;
                let level: OrgLevel = parse_enum(&level)?;
                let sample = by_level
                    .entry(level)
                    .or_insert_with(|| AckSample { level, reached: 0, latencies_ms: vec![], window_ms });
                sample.reached += 1;
                if let Some(at) = acked {
                    sample.latencies_ms.push(at - issued);
                }
            }
            let reached: u32 = self.conn().query_row(
                "SELECT count(*) FROM households WHERE path >= ?1 AND path < ?2",
                params![view, upper],
                |r| r.get(0),
            )?;
            let mut stmt = self.conn().prepare_cached(
                "SELECT ha.at_ms FROM directive_household_acks ha JOIN households h ON h.id = ha.household_id
                 WHERE ha.directive_id = ?1 AND h.path >= ?2 AND h.path < ?3",
            )?;
            let latencies_ms = stmt
                .query_map(params![id, view, upper], |r| r.get::<_, i64>(0))?
                .map(|r| r.map(|at| at - issued))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut levels: Vec<AckSample> = by_level.into_values().collect();
            levels.sort_by_key(|s| s.level);
            samples.extend(levels);
            samples.push(AckSample { level: OrgLevel::Household, reached, latencies_ms, window_ms });
        }
        Ok((directives.len() as u32, samples))
    }
}

#[cfg(test)]
mod tests {
    use super::super::issues::tests_support::draft;
    use super::super::testing::*;
    use super::super::{DirectiveInput, IssueCommand, IssueInput};
    use super::*;
    use linkage_protocol::model::{DirectiveKind, Satisfaction, Urgency};
    use linkage_protocol::rules::measures::Rate;

    const H: i64 = 3_600_000;
    const DAY: i64 = 24 * H;

    /// A small story, every issue 特急 (accept within 2 calendar hours, resolve within 24), so each number
    /// below is worked out by hand from the times in the comments.
    #[test]
    fn hand_computed_measures_for_the_county_and_a_township() {
        let (mut s, clock) = store();
        let critical = || IssueInput { urgency: Urgency::Critical, ..draft() };
        let at = |clock: &crate::clock::ManualClock, t: i64| clock.set(NOW + t);

        // NOW: the county issues a fire alert to the whole county; A is reported.
        s.sign_in("cs").unwrap();
        let alert = s
            .issue_directive(DirectiveInput {
                target_node_id: "c".into(),
                kind: DirectiveKind::Alert,
                title: "护林防火橙色预警".into(),
                body: "严禁野外用火".into(),
                due_at_ms: Some(NOW + DAY),
            })
            .unwrap()
            .directive
            .id;
        s.sign_in("gw").unwrap();
        let a = s.report_issue(critical()).unwrap().projection.id;
        // +1h: t1 accepts A (1 h: on time) and assigns it; t1 signs for the alert (1 h); B is reported.
        at(&clock, H);
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&a, IssueCommand::Accept).unwrap();
        s.perform_issue_action(&a, IssueCommand::Assign { assignee_id: "gw".into() }).unwrap();
        s.acknowledge_directive(&alert).unwrap();
        s.sign_in("lh").unwrap();
        let b = s.report_issue(critical()).unwrap().projection.id;
        // +2h: C reported in t2 (never accepted); D reported in t1.
        at(&clock, 2 * H);
        s.sign_in("gw2").unwrap();
        let _c = s.report_issue(IssueInput { household_id: Some("h4".into()), ..critical() }).unwrap();
        s.sign_in("lh").unwrap();
        let d = s.report_issue(critical()).unwrap().projection.id;
        // +3h: t1 rejects D; b1 signs for the alert (3 h: past the 2 h window).
        at(&clock, 3 * H);
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&d, IssueCommand::Reject { reason: "不属实".into() }).unwrap();
        s.sign_in("gw").unwrap();
        s.acknowledge_directive(&alert).unwrap();
        // +4h: t1 accepts B (3 h after its report: late). +5h: t1 escalates B; gw resolves A.
        at(&clock, 4 * H);
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&b, IssueCommand::Accept).unwrap();
        at(&clock, 5 * H);
        s.perform_issue_action(&b, IssueCommand::Escalate { reason: "需县里协调".into() }).unwrap();
        s.sign_in("gw").unwrap();
        s.perform_issue_action(&a, IssueCommand::Resolve { note: "已处置".into(), evidence: vec![] }).unwrap();
        // +6h: t1's return visit on A: 满意.
        at(&clock, 6 * H);
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&a, IssueCommand::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() }).unwrap();
        // +30h: the county resolves B (deadline 4h + 24h = 28h: late); +31h: 不满意 → rework.
        at(&clock, 30 * H);
        s.sign_in("cs").unwrap();
        s.perform_issue_action(&b, IssueCommand::Resolve { note: "县里协调".into(), evidence: vec![] }).unwrap();
        at(&clock, 31 * H);
        s.perform_issue_action(&b, IssueCommand::Verify { satisfaction: Satisfaction::Dissatisfied, note: String::new() })
            .unwrap();

        // +40h: the county looks at [NOW, NOW + 10 d).
        at(&clock, 40 * H);
        let m = s.measures(NOW, NOW + 10 * DAY).unwrap();
        let i = &m.issues;
        // Reported: A B C D. States now: C Reported; B Assigned (rework); A Closed; D Rejected.
        assert_eq!(i.reported, 4);
        assert_eq!(i.by_state.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [1, 0, 1, 0, 0, 1, 1, 0]);
        // Accepted: A (1 h, on time), B (3 h, late) → 1 of 2; median (1 h + 3 h) / 2 = 2 h.
        assert_eq!(i.accepted_on_time, Rate { numerator: 1, denominator: 2 });
        assert_eq!(i.median_accept_ms, Some(2 * H));
        // Escalated: B → 1 of 2.
        assert_eq!(i.escalated, Rate { numerator: 1, denominator: 2 });
        // Due for resolution before now (40 h): A (due 25 h, resolved 5 h: on time), B (due 28 h, its resolution
        // overturned by the failed return visit) → 1 of 2.
        assert_eq!(i.resolved_on_time, Rate { numerator: 1, denominator: 2 });
        // Current resolutions in the period: only A, 5 h − 1 h = 4 h.
        assert_eq!(i.median_resolve_ms, Some(4 * H));
        // Return visits: A 满意, B 不满意 → rework 1 of 2, satisfaction 1 of 2.
        assert_eq!(i.rework, Rate { numerator: 1, denominator: 2 });
        assert_eq!(i.satisfied, Rate { numerator: 1, denominator: 2 });
        assert_eq!(i.satisfied.percent(), Some(50.0));
        // By township: t1 has A B D, t2 has C (nothing accepted: no rate, not NaN).
        assert_eq!(m.by_child.iter().map(|(n, m)| (n.id.as_str(), m.reported)).collect::<Vec<_>>(), [("t1", 3), ("t2", 1)]);
        assert_eq!(m.by_child[1].1.accepted_on_time.percent(), None);
        // The alert reached (the county itself excluded) t1 t2 | b1 b2 | g1 g2 g3 | 5 households.
        // Acknowledged: t1 after 1 h (in the 2 h window), b1 after 3 h (late).
        assert_eq!(m.directives, 1);
        let acks: Vec<_> =
            m.acknowledgements.iter().map(|l| (l.level, l.coverage, l.in_time, l.median_latency_ms)).collect();
        assert_eq!(
            acks,
            [
                (OrgLevel::Township, Rate { numerator: 1, denominator: 2 }, Rate { numerator: 1, denominator: 2 }, Some(H)),
                (OrgLevel::Branch, Rate { numerator: 1, denominator: 2 }, Rate { numerator: 0, denominator: 2 }, Some(3 * H)),
                (OrgLevel::Group, Rate { numerator: 0, denominator: 3 }, Rate { numerator: 0, denominator: 3 }, None),
                (OrgLevel::Household, Rate { numerator: 0, denominator: 5 }, Rate { numerator: 0, denominator: 5 }, None),
            ]
        );
        // Visits: the county's one contact household (h3), not visited.
        assert_eq!((m.visit_level, m.visits.households, m.visits.visited), (OrgLevel::County, 1, 0));

        // The township sees its own area: A B D; the alert within t1 (t1 itself, b1, g1 g2, 4 households).
        s.sign_in("ts").unwrap();
        let m = s.measures(NOW, NOW + 10 * DAY).unwrap();
        assert_eq!(m.issues.reported, 3);
        assert_eq!(m.by_child.iter().map(|(n, _)| n.id.as_str()).collect::<Vec<_>>(), ["b1"]);
        let reached: Vec<_> = m.acknowledgements.iter().map(|l| (l.level, l.coverage)).collect();
        assert_eq!(
            reached,
            [
                (OrgLevel::Township, Rate { numerator: 1, denominator: 1 }),
                (OrgLevel::Branch, Rate { numerator: 1, denominator: 1 }),
                (OrgLevel::Group, Rate { numerator: 0, denominator: 2 }),
                (OrgLevel::Household, Rate { numerator: 0, denominator: 4 }),
            ]
        );
        // A period before anything happened: counts are zero and rates are None.
        let empty = s.measures(NOW - 10 * DAY, NOW).unwrap();
        assert_eq!((empty.issues.reported, empty.directives), (0, 0));
        assert_eq!(empty.issues.resolved_on_time.percent(), None);
        assert!(matches!(s.measures(NOW, NOW), Err(Error::Field(_))));
    }
}
