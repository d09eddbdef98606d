//! Measures (考核指标) for the signed-in user's area and a period: the issue measures, acknowledgement coverage
//! and latency of the directives issued in the period, and visit coverage now. The arithmetic and every
//! definition live in `linkage_protocol::rules::measures` (shared with the server's export); this module only
//! gathers the inputs with a few indexed queries.
//!
//! Each issue's measure facts (`IssueFacts`: deadlines, lifecycle times, first escalation, return visits) are
//! kept in `issue_measure_facts` (schema 8) by the issue write paths, in the same transaction as the events:
//! a township's quarter reads one narrow row per issue instead of decoding every projection and working out
//! every deadline on the working-day calendar. The rows depend on the time-limit rules; when those change
//! (county settings, a new shipped calendar) every row is recomputed in the transaction that changes them, or
//! when the store opens (meta `measure_facts_rules`). `Store::measures_from_scratch` folds every issue's log
//! instead: the definition the rows must reproduce (a randomized test compares both).

use std::collections::HashMap;

use linkage_protocol::model::{IssueState, OrgLevel, Satisfaction};
use linkage_protocol::rules::lifecycle::{self, IssueProjection};
use linkage_protocol::rules::measures::{self, AckSample, IssueFacts, IssueHistory, IssueMeasures, LevelAckMeasure, Period};
use linkage_protocol::rules::sla::SlaRules;
use linkage_protocol::rules::{ack_window, scope};
use linkage_protocol::wire::{IssueAction, IssueEvent};
use rusqlite::{params, Connection, OptionalExtension, ToSql};

use super::{parse_enum, CoverageRow, NodeRow, Store};
use crate::error::{Error, Result};

/// Issues reported more than this long before the period starts are not considered: their resolve deadline
/// cannot fall in the period unless a resolve limit exceeds a year.
pub const LOOKBACK_MS: i64 = 366 * 86_400_000;

/// The meta key naming the time-limit rules the rows of `issue_measure_facts` were computed under.
const FACTS_RULES_KEY: &str = "measure_facts_rules";

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
    /// The measures of `[from_ms, to_ms)` for the user's area, computed now, from the issues' measure facts.
    pub fn measures(&self, from_ms: i64, to_ms: i64) -> Result<MeasuresReport> {
        self.measures_with(from_ms, to_ms, Store::stored_facts)
    }

    /// [`Store::measures`] from scratch: every issue's log in the area folded (as the store folds it), its
    /// facts worked out under the current rules. The definition the stored facts must reproduce (tests and the
    /// store benchmark compare both).
    #[doc(hidden)]
    pub fn measures_from_scratch(&self, from_ms: i64, to_ms: i64) -> Result<MeasuresReport> {
        self.measures_with(from_ms, to_ms, Store::facts_from_scratch)
    }

    fn measures_with(
        &self,
        from_ms: i64,
        to_ms: i64,
        load: fn(&Store, &str, Period) -> Result<Vec<IssueFacts>>,
    ) -> Result<MeasuresReport> {
        if from_ms >= to_ms {
            return Err(Error::invalid("to_ms", "the period must end after it starts"));
        }
        let actor = self.actor()?.clone();
        let period = Period { from_ms, to_ms };
        let now = self.now_ms();
        let facts = load(self, &actor.node_path, period)?;
        // One pass: each issue's contribution is added to the area and to its child's row.
        let children = self.children(&actor.node_id)?;
        let areas: Vec<&str> = children.iter().map(|c| c.path.as_str()).collect();
        let (issues, per_child) = measures::issue_measures_of_facts_by_area(&facts, &areas, period, now);
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

    /// The stored facts of the issues in the area reported in `[from − LOOKBACK, to)`: one range of
    /// `issue_measure_facts`.
    fn stored_facts(&self, scope_path: &str, period: Period) -> Result<Vec<IssueFacts>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT path, reported_at_ms, state, accepted_at_ms, resolved_at_ms, accept_deadline_ms, resolve_deadline_ms,
                    escalated_at_ms, verifications, settled_at_branch
             FROM issue_measure_facts WHERE path >= ?1 AND path < ?2 AND reported_at_ms >= ?3 AND reported_at_ms < ?4",
        )?;
        let since = period.from_ms.saturating_sub(LOOKBACK_MS);
        let mut rows = stmt.query(params![scope_path, scope::upper_bound(scope_path), since, period.to_ms])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let state = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
            let state = *IssueState::ALL
                .iter()
                .find(|s| s.as_str() == state)
                .ok_or_else(|| Error::invalid("issue_measure_facts.state", format!("unknown state '{state}'")))?;
            let verifications = match r.get_ref(8)?.as_str_or_null().map_err(rusqlite::Error::from)? {
                None => Vec::new(),
                Some(json) => serde_json::from_str(json)?,
            };
            out.push(IssueFacts {
                path: r.get(0)?,
                state,
                reported_at_ms: r.get(1)?,
                accepted_at_ms: r.get(3)?,
                resolved_at_ms: r.get(4)?,
                accept_deadline_ms: r.get(5)?,
                resolve_deadline_ms: r.get(6)?,
                escalated_at_ms: r.get(7)?,
                verifications,
                settled_at_branch: r.get(9)?,
            });
        }
        Ok(out)
    }

    /// The facts of the same issues as [`Store::stored_facts`], from scratch: each issue's log folded.
    fn facts_from_scratch(&self, scope_path: &str, period: Period) -> Result<Vec<IssueFacts>> {
        let since = period.from_ms.saturating_sub(LOOKBACK_MS);
        let sla = self.policies.sla.clone();
        let mut out = Vec::new();
        fold_logs(
            self.conn(),
            "JOIN issues i ON i.id = e.issue_id WHERE i.path >= ?1 AND i.path < ?2 AND i.reported_at_ms >= ?3 AND i.reported_at_ms < ?4 AND",
            params![scope_path, scope::upper_bound(scope_path), since, period.to_ms],
            |p, events| {
                out.push(IssueFacts::of(&IssueHistory { projection: p, events }, &sla));
                Ok(())
            },
        )?;
        Ok(out)
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

/// Folds every issue log selected by `filter` (SQL placed between `FROM issue_events e` and the refused
/// test; it ends with `WHERE …  AND` or is just `WHERE`) exactly as the store's refold does — not refused, the
/// server's order, then this phone's unsent events by HLC — and hands each projection to `each` with the verify
/// and escalate events the fold kept (the history the projection forgets).
fn fold_logs(
    conn: &Connection,
    filter: &str,
    args: &[&dyn ToSql],
    mut each: impl FnMut(&IssueProjection, &[IssueEvent]) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(&format!(
        "SELECT e.issue_id, e.body FROM issue_events e {filter} e.refused = 0
         ORDER BY e.issue_id, e.server_seq IS NULL, e.server_seq, e.hlc, e.event_id"
    ))?;
    let mut rows = stmt.query(args)?;
    let mut current: Option<String> = None;
    let mut log: Vec<IssueEvent> = Vec::new();
    let mut finish = |log: &mut Vec<IssueEvent>| -> Result<()> {
        let ordered: Vec<&IssueEvent> = log.iter().collect();
        if let Some((p, skipped)) = lifecycle::fold_ordered(&ordered) {
            let kept = measured_events(&ordered, &skipped);
            each(&p, &kept)?;
        }
        log.clear();
        Ok(())
    };
    while let Some(r) = rows.next()? {
        let issue_id = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        if current.as_deref() != Some(issue_id) {
            finish(&mut log)?;
            current = Some(issue_id.to_string());
        }
        log.push(serde_json::from_str(r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?)?);
    }
    finish(&mut log)
}

/// The verify and escalate events of a folded log that the fold applied (not skipped).
fn measured_events(ordered: &[&IssueEvent], skipped: &[&IssueEvent]) -> Vec<IssueEvent> {
    ordered
        .iter()
        .filter(|e| matches!(e.action, IssueAction::Verify { .. } | IssueAction::Escalate { .. }))
        .filter(|e| !skipped.iter().any(|s| std::ptr::eq(*s, **e)))
        .map(|e| (*e).clone())
        .collect()
}

/// Writes an issue's measure facts (replacing its row).
fn write_facts(tx: &Connection, issue_id: &str, f: &IssueFacts) -> Result<()> {
    let verifications = if f.verifications.is_empty() { None } else { Some(serde_json::to_string(&f.verifications)?) };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO issue_measure_facts (path, reported_at_ms, issue_id, state, accepted_at_ms, resolved_at_ms,
           accept_deadline_ms, resolve_deadline_ms, escalated_at_ms, verifications, settled_at_branch)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        f.path,
        f.reported_at_ms,
        issue_id,
        f.state.as_str(),
        f.accepted_at_ms,
        f.resolved_at_ms,
        f.accept_deadline_ms,
        f.resolve_deadline_ms,
        f.escalated_at_ms,
        verifications,
        f.settled_at_branch
    ])?;
    Ok(())
}

/// The facts of an issue just refolded from its whole log (`ordered`, of which the fold skipped `skipped`).
pub(crate) fn save_facts_of_fold(
    tx: &Connection,
    p: &IssueProjection,
    ordered: &[&IssueEvent],
    skipped: &[&IssueEvent],
    sla: &SlaRules,
) -> Result<()> {
    let events = measured_events(ordered, skipped);
    write_facts(tx, &p.id, &IssueFacts::of(&IssueHistory { projection: p, events: &events }, sla))
}

/// The facts of an issue after this phone applied `event` to its projection (giving `p`): the event is the
/// last of the log, so the facts are the previous row's escalation and return visits plus this event's.
pub(crate) fn save_facts_after_append(tx: &Connection, p: &IssueProjection, event: &IssueEvent, sla: &SlaRules) -> Result<()> {
    let mut facts = IssueFacts::of(&IssueHistory { projection: p, events: std::slice::from_ref(event) }, sla);
    let before: Option<(Option<i64>, Option<String>)> = tx
        .prepare_cached(
            "SELECT escalated_at_ms, verifications FROM issue_measure_facts WHERE path = ?1 AND reported_at_ms = ?2 AND issue_id = ?3",
        )?
        .query_row(params![p.path, p.reported_at_ms, p.id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((escalated_at_ms, verifications)) = before {
        facts.escalated_at_ms = match (escalated_at_ms, facts.escalated_at_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(json) = verifications {
            let mut all: Vec<(i64, Satisfaction)> = serde_json::from_str(&json)?;
            all.append(&mut facts.verifications);
            facts.verifications = all;
        }
    }
    write_facts(tx, &p.id, &facts)
}

/// Removes the facts of an issue whose projection is being deleted (its report was refused).
pub(crate) fn delete_facts(tx: &Connection, issue_id: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM issue_measure_facts WHERE (path, reported_at_ms, issue_id) IN (SELECT path, reported_at_ms, id FROM issues WHERE id = ?1)",
        [issue_id],
    )?;
    Ok(())
}

/// What names a set of time-limit rules in meta `measure_facts_rules`: a digest of the whole rule set (policy
/// and calendar), so a changed county setting or a newly shipped calendar year is noticed.
fn rules_fingerprint(sla: &SlaRules) -> String {
    linkage_protocol::digest::sha256_hex(format!("{sla:?}").as_bytes())
}

/// Recomputes every issue's measure facts under `sla` (the rules changed, or a database from before schema 8):
/// every log folded, in the caller's transaction; records the rules in meta.
pub(crate) fn refresh_measure_facts(tx: &Connection, sla: &SlaRules) -> Result<()> {
    tx.execute("DELETE FROM issue_measure_facts", [])?;
    fold_logs(tx, "WHERE", &[], |p, events| write_facts(tx, &p.id, &IssueFacts::of(&IssueHistory { projection: p, events }, sla)))?;
    super::meta_set(tx, FACTS_RULES_KEY, &rules_fingerprint(sla))
}

/// [`refresh_measure_facts`] unless the facts were computed under `sla` already (a county setting delivered
/// again unchanged costs one meta read).
pub(crate) fn refresh_measure_facts_if_stale(tx: &Connection, sla: &SlaRules) -> Result<()> {
    if super::meta_get(tx, FACTS_RULES_KEY)?.as_deref() == Some(rules_fingerprint(sla).as_str()) {
        return Ok(());
    }
    refresh_measure_facts(tx, sla)
}

/// [`refresh_measure_facts_if_stale`] in its own transaction (when the store opens).
pub(crate) fn ensure_measure_facts(conn: &mut Connection, sla: &SlaRules) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    refresh_measure_facts_if_stale(&tx, sla)?;
    tx.commit()?;
    Ok(())
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
                evidence: vec![],
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

    /// The issue part of a report (the rows compared by the equality tests).
    fn issue_part(m: &MeasuresReport) -> (IssueMeasures, Vec<(String, IssueMeasures)>) {
        (m.issues.clone(), m.by_child.iter().map(|(n, m)| (n.id.clone(), m.clone())).collect())
    }

    /// Every stored facts row against the facts of every issue's log folded from scratch.
    fn assert_facts_equal(s: &Store, context: &str) {
        let everything = Period { from_ms: i64::MIN / 4, to_ms: i64::MAX / 4 };
        let sorted = |mut v: Vec<IssueFacts>| {
            v.sort_by_key(|f| format!("{f:?}"));
            v
        };
        let stored = sorted(s.stored_facts("/c/", everything).unwrap());
        assert_eq!(stored, sorted(s.facts_from_scratch("/c/", everything).unwrap()), "{context}");
    }

    /// Property: over random histories on two phones that sync through a simulated server (local actions by
    /// every role, most of them refused by the rules; pushed ops refused at random, so refolds drop them; both
    /// phones acting on the same issues, so pulled events reorder logs and the fold skips some), a county
    /// setting that changes the time limits midway, and an upgrade from schema 7, the measures from the stored
    /// facts equal the measures of every log folded from scratch, for every user and random periods and "now"s.
    #[test]
    fn stored_facts_equal_from_scratch_over_random_histories() {
        use linkage_protocol::model::{IssueCategory, Urgency};
        use linkage_protocol::sync::{Change, RejectCode};
        let mut seed = 0x51_7cc1_b727_220au64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let (mut a, clock_a) = store();
        let (mut b, clock_b) = store();
        let users = ["cs", "ts", "ts2", "gw", "gw2", "lh", "lh2"];
        let households = ["h1", "h2", "h3", "h4", "h5"];
        let mut issues: Vec<String> = Vec::new();
        let mut server: Vec<Change> = Vec::new();
        let mut cursors = [0usize; 2];
        let mut t = NOW;
        let (mut refused, mut verified, mut escalated) = (0, 0, 0);
        let compared = std::cell::Cell::new(0);
        let everything = Period { from_ms: 0, to_ms: i64::MAX / 4 };
        let check = |a: &mut Store, b: &mut Store, next: &mut dyn FnMut(u64) -> u64, context: &str| {
            for (name, phone) in [("a", a), ("b", b)] {
                assert_facts_equal(phone, &format!("{context}, phone {name}"));
                for user in ["cs", "ts", "ts2", "gw"] {
                    phone.sign_in(user).unwrap();
                    let from = NOW - 5 * DAY + next(40 * DAY as u64) as i64;
                    let to = from + (1 + next(30) as i64) * DAY;
                    let got = phone.measures(from, to).unwrap();
                    let want = phone.measures_from_scratch(from, to).unwrap();
                    assert_eq!(issue_part(&got), issue_part(&want), "{context}, phone {name}, {user}, [{from}, {to})");
                    compared.set(compared.get() + got.issues.reported);
                }
            }
        };
        for round in 0..14 {
            for _ in 0..40 {
                t += next(DAY as u64) as i64;
                clock_a.set(t);
                clock_b.set(t);
                let phone = if next(2) == 0 { &mut a } else { &mut b };
                phone.sign_in(["gw", "gw2", "lh", "lh2"][next(4) as usize]).unwrap();
                if issues.is_empty() || next(5) == 0 {
                    let input = IssueInput {
                        household_id: Some(households[next(5) as usize].into()),
                        urgency: [Urgency::Normal, Urgency::Urgent, Urgency::Critical][next(3) as usize],
                        category: IssueCategory::ALL[next(IssueCategory::ALL.len() as u64) as usize],
                        ..draft()
                    };
                    for user in ["gw", "gw2", "lh", "lh2"] {
                        phone.sign_in(user).unwrap();
                        if let Ok(r) = phone.report_issue(input.clone()) {
                            issues.push(r.projection.id);
                            break;
                        }
                    }
                    continue;
                }
                // Half the time one of the latest few issues, so that one issue sees several steps between syncs.
                let n = issues.len() as u64;
                let id = issues[(if next(2) == 0 { n - 1 - next(n.min(3)) } else { next(n) }) as usize].clone();
                // Mostly the issue's next step here (else the rules refuse nearly everything), sometimes anything.
                let state: Option<String> =
                    phone.conn().query_row("SELECT state FROM issues WHERE id = ?1", [&id], |r| r.get(0)).optional().unwrap();
                let pick = match (state.as_deref(), next(6)) {
                    (_, 0) | (None, _) => next(12),
                    (Some("reported"), k) => [0, 0, 9, 0, 0][k as usize - 1],
                    (Some("accepted"), k) => [2, 2, 8, 10, 4][k as usize - 1],
                    (Some("assigned"), k) => [3, 3, 8, 10, 3][k as usize - 1],
                    (Some("in_progress"), k) => [4, 4, 10, 8, 4][k as usize - 1],
                    (Some("resolved"), k) => [6, 7, 6, 7, 6][k as usize - 1],
                    _ => next(12),
                };
                let command = match pick {
                    0 | 1 => IssueCommand::Accept,
                    2 => IssueCommand::Assign { assignee_id: ["gw", "gw2"][next(2) as usize].into() },
                    3 => IssueCommand::Start,
                    4 | 5 => IssueCommand::Resolve { note: "已处置".into(), evidence: vec![] },
                    6 | 7 => IssueCommand::Verify {
                        satisfaction: [Satisfaction::Satisfied, Satisfaction::BasicallySatisfied, Satisfaction::Dissatisfied][next(3) as usize],
                        note: String::new(),
                    },
                    8 => IssueCommand::Escalate { reason: "需上级协调".into() },
                    9 => IssueCommand::Reject { reason: "不属实".into() },
                    10 => IssueCommand::Suspend { reason: "等待材料".into() },
                    _ => IssueCommand::Resume,
                };
                // Whoever may do it (the rules refuse the others, changing nothing).
                let first = next(users.len() as u64) as usize;
                for k in 0..users.len() {
                    phone.sign_in(users[(first + k) % users.len()]).unwrap();
                    if phone.perform_issue_action(&id, command.clone()).is_ok() {
                        verified += u32::from(matches!(command, IssueCommand::Verify { .. }));
                        escalated += u32::from(matches!(command, IssueCommand::Escalate { .. }));
                        break;
                    }
                }
            }
            check(&mut a, &mut b, &mut next, &format!("round {round}, before syncing"));
            // Sync: each phone pushes (the server refuses one op in seven: the phone refolds without it), then
            // each pulls what it has not seen, its own ops included.
            for phone in [&mut a, &mut b] {
                let ops = phone.pending_operations(1000).unwrap();
                for op in ops {
                    if next(7) == 0 {
                        phone.quarantine(&op.op_id, RejectCode::NotPermitted, "refused").unwrap();
                        refused += 1;
                    } else {
                        server.push(Change { seq: server.len() as i64 + 1, received_at_ms: t, op: op.clone() });
                        phone.mark_pushed(&[op.op_id]).unwrap();
                    }
                }
            }
            if round == 10 {
                // The county's settings come back to the defaults through the change feed (both phones pull them).
                let config: linkage_protocol::wire::CountyConfig = serde_json::from_str("{}").unwrap();
                let op = linkage_protocol::wire::Operation {
                    op_id: "cfg-1".into(),
                    hlc: format!("{t:015}-000000-server"),
                    body: linkage_protocol::wire::OpBody::CountyConfigSet(linkage_protocol::wire::CountyConfigSet { config, set_at_ms: t }),
                };
                server.push(Change { seq: server.len() as i64 + 1, received_at_ms: t, op });
            }
            for (i, phone) in [&mut a, &mut b].into_iter().enumerate() {
                phone.apply_changes(&server[cursors[i]..], server.len() as i64).unwrap();
                cursors[i] = server.len();
            }
            if round == 7 {
                // The county tightens its time limits: every deadline moves, in the transaction that sets them.
                let config = r#"{"nodes":[],"config":{"sla":{"rules":[{"step":"accept","limit":{"amount":3,"unit":"calendar_hours"}},{"step":"resolve","limit":{"amount":2,"unit":"working_days"}}]}}}"#;
                let before = a.stored_facts("/c/", everything).unwrap();
                a.load_bundle(config).unwrap();
                assert_ne!(a.stored_facts("/c/", everything).unwrap(), before, "the deadlines moved");
            }
            check(&mut a, &mut b, &mut next, &format!("round {round}, synced"));
        }
        // A page refolds each issue it touched once, after its last event: two fresh phones pulling the whole
        // feed, one in two pages (split after the settings change, which takes effect when its page commits)
        // and one change per page, hold the same issues, logs and facts.
        let (mut whole, clock_whole) = store();
        let (mut single, clock_single) = store();
        clock_whole.set(t);
        clock_single.set(t);
        let split = server.iter().position(|c| c.op.op_id == "cfg-1").unwrap() + 1;
        whole.apply_changes(&server[..split], split as i64).unwrap();
        whole.apply_changes(&server[split..], server.len() as i64).unwrap();
        for (i, change) in server.iter().enumerate() {
            single.apply_changes(std::slice::from_ref(change), i as i64 + 1).unwrap();
        }
        let records = |s: &Store| -> Vec<String> { snapshot(s).into_iter().filter(|r| !r.starts_with("meta:")).collect() };
        let held = records(&whole);
        assert!(held.iter().filter(|r| r.starts_with("issues:")).count() > 20, "the feed holds issues");
        assert_eq!(held, records(&single), "one page per change gives the same store");
        assert_facts_equal(&whole, "a fresh phone pulling the feed");
        let compared = compared.get();
        assert!(refused > 5 && verified > 5 && escalated > 2 && compared > 100, "{refused} {verified} {escalated} {compared}");
    }

    /// A database of schema 7 (no facts table) gains the facts of the issues it holds when the store opens:
    /// the measures are the same as before the upgrade.
    #[test]
    fn upgrade_from_schema_7_fills_the_facts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let clock = std::sync::Arc::new(crate::clock::ManualClock::new(NOW));
        let before = {
            let mut s = Store::open(&path, clock.clone()).unwrap();
            s.load_bundle(&bundle_json()).unwrap();
            s.sign_in("gw").unwrap();
            let id = s.report_issue(draft()).unwrap().projection.id;
            clock.set(NOW + H);
            s.sign_in("ts").unwrap();
            s.perform_issue_action(&id, IssueCommand::Accept).unwrap();
            s.perform_issue_action(&id, IssueCommand::Escalate { reason: "需县里协调".into() }).unwrap();
            s.sign_in("gw").unwrap();
            s.report_issue(draft()).unwrap();
            s.sign_in("cs").unwrap();
            let m = s.measures(NOW - DAY, NOW + DAY).unwrap();
            assert_eq!((m.issues.reported, m.issues.escalated.numerator), (2, 1));
            // Back to what a schema-7 database holds (schema 9's directive columns and table undone too).
            s.conn()
                .execute_batch(
                    "DROP TABLE issue_measure_facts; DELETE FROM meta WHERE key = 'measure_facts_rules';
                     ALTER TABLE directives DROP COLUMN evidence; DROP TABLE directive_reminders;
                     ALTER TABLE directive_task_reports DROP COLUMN status; ALTER TABLE directive_task_reports DROP COLUMN reviewed_by;
                     ALTER TABLE directive_task_reports DROP COLUMN reviewed_at_ms; ALTER TABLE directive_task_reports DROP COLUMN review_reason;
                     DROP TABLE form_draft_answers; DROP TABLE form_drafts; DROP TABLE forms; DROP TABLE form_responses;
                     PRAGMA user_version = 7;",
                )
                .unwrap();
            issue_part(&m)
        };
        let mut s = Store::open(&path, clock).unwrap();
        let v: i64 = s.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, super::super::schema::CURRENT_VERSION);
        let n: i64 = s.conn().query_row("SELECT count(*) FROM issue_measure_facts", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2);
        s.sign_in("cs").unwrap();
        assert_eq!(issue_part(&s.measures(NOW - DAY, NOW + DAY).unwrap()), before);
        assert_facts_equal(&s, "after the upgrade");
    }

}
