//! What a township or county leader needs beyond the queue (分拨研判与总览): the 交办 picker with each
//! person's open load, the 合并 picker (duplicate suggestions for an existing issue, or a search), the
//! county's overview of every open issue filtered by township, light, red card or "waiting for my decision",
//! and the staff dashboard's figures (measures with lights, coverage and the open issues per child node).
//! Which actions wait for the user is asked of the shared lifecycle rules (`allowed_actions`), never of a role,
//! so a new role or step (支部书记) joins without a change here.

use std::collections::HashMap;

use linkage_protocol::model::{IssueActionKind, IssueState, OrgLevel, SupervisionLevel};
use linkage_protocol::rules::duplicates::{self, DuplicateDraft};
use linkage_protocol::rules::lifecycle;
use linkage_protocol::rules::measures::{IssueMeasures, Period};
use linkage_protocol::rules::scope;
use linkage_protocol::rules::sla::Light;
use linkage_protocol::validate;
use rusqlite::types::Value;
use rusqlite::params_from_iter;

use super::issues::{finish, map_issue, COLUMNS, DEADLINE_ORDER};
use super::{enum_str, page_limit, CoverageRow, DuplicateRow, IssueRow, NodeRow, PersonRow, Store};
use crate::error::{Error, Result};

/// The actions that wait for a decision of the level above (the overview's 待我审批 filter).
pub const DECISIONS: [IssueActionKind; 1] = [IssueActionKind::DecideExtension];

/// The states the overview calls open (未结案): everything still being worked on, verification included.
pub const OPEN_STATES: [IssueState; 5] =
    [IssueState::Reported, IssueState::Accepted, IssueState::Assigned, IssueState::InProgress, IssueState::Resolved];

/// The county overview's filters (县级总览筛选).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum OverviewFilter {
    /// 全部未结案.
    Open,
    /// 红灯: past the current step's time limit (or marked overdue by the server).
    Red,
    /// 黄灯: 80 % of the limit used.
    Yellow,
    /// 绿灯.
    Green,
    /// 红牌督办.
    RedCard,
    /// 返工: sent back after a dissatisfied return visit, still open.
    Reworked,
    /// 待我审批: a decision the rules give to me (延期审批) is waiting.
    WaitingForMe,
}

impl OverviewFilter {
    /// Every filter, in chip order.
    pub const ALL: [OverviewFilter; 7] = [
        OverviewFilter::Open,
        OverviewFilter::Red,
        OverviewFilter::Yellow,
        OverviewFilter::Green,
        OverviewFilter::RedCard,
        OverviewFilter::Reworked,
        OverviewFilter::WaitingForMe,
    ];
}

/// A candidate to merge an issue into.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeRow {
    pub issue: IssueRow,
    /// Metres between the two issues' places, when both have one.
    pub distance_m: Option<f64>,
    /// Offered by the duplicate rule (same category, near, recent), not found by a search.
    pub suggested: bool,
}

/// One node's part of the dashboard.
#[derive(Debug, Clone)]
pub struct DashboardNode {
    pub node: NodeRow,
    pub issues: IssueMeasures,
    /// Open issues now, those with a red light, those under a red card.
    pub open: u32,
    pub red: u32,
    pub red_cards: u32,
    pub reworked: u32,
    /// Visit coverage now at the user's level.
    pub coverage: CoverageRow,
}

/// The staff dashboard (工作台): the user's node and each direct child.
#[derive(Debug, Clone)]
pub struct DashboardReport {
    pub period: Period,
    pub own: DashboardNode,
    pub children: Vec<DashboardNode>,
    pub visit_level: OrgLevel,
    pub visit_interval_days: Option<u32>,
    /// Child nodes silent past their window on current directives (逾期未签收).
    pub silent_nodes: u64,
    /// Decisions waiting for me: issues (延期审批) and task completion reports (通过 / 退回).
    pub waiting_for_me: u64,
}

#[derive(Default, Clone, Copy)]
struct OpenCounts {
    open: u32,
    red: u32,
    red_cards: u32,
    reworked: u32,
}

fn is_red(r: &IssueRow) -> bool {
    r.light == Light::Red || r.projection.overdue_step.is_some()
}

impl Store {
    /// The 交办 picker: [`Store::assignee_candidates`] with each person's open load (issues assigned to them
    /// and not yet resolved, as far as this phone holds them), in the same order.
    pub fn assignee_picker(&self, issue_id: &str) -> Result<Vec<(PersonRow, u32)>> {
        let people = self.assignee_candidates(issue_id)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT count(*) FROM issues WHERE assignee_id = ?1 AND state IN ('assigned', 'in_progress')",
        )?;
        people
            .into_iter()
            .map(|p| {
                let n: u32 = stmt.query_row([&p.user_id], |r| r.get(0))?;
                Ok((p, n))
            })
            .collect()
    }

    /// The 合并 picker for `issue_id`: without `search`, the open issues the duplicate rule pairs with it (same
    /// category, within the county's radius and window around its report time), nearest first; with a
    /// `search`, the open issues of the user's area whose title contains it, newest first. Never the issue
    /// itself. Paged, with the total.
    pub fn merge_candidates(&self, issue_id: &str, search: Option<&str>, offset: u32, limit: u32) -> Result<(Vec<MergeRow>, u64)> {
        let issue = self.issue_row(issue_id)?.projection;
        let point = self.issue_point(&issue)?;
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        if let Some(text) = search {
            validate::text("search", text, 1, 100)?;
            let actor = self.actor()?;
            let mut args: Vec<Value> = vec![
                actor.node_path.clone().into(),
                scope::upper_bound(&actor.node_path).into(),
                issue.id.clone().into(),
                text.to_string().into(),
            ];
            let filter = format!("path >= ?1 AND path < ?2 AND id <> ?3 AND instr(title, ?4) > 0 AND state IN ({})", open_states_sql());
            let total: i64 =
                self.conn().query_row(&format!("SELECT count(*) FROM issues WHERE {filter}"), params_from_iter(args.iter()), |r| r.get(0))?;
            args.push(i64::from(page_limit(limit)).into());
            args.push(i64::from(offset).into());
            let sql = format!("SELECT {COLUMNS} FROM issues WHERE {filter} ORDER BY reported_at_ms DESC, id DESC LIMIT ?5 OFFSET ?6");
            let now = self.now_ms();
            let mut stmt = self.conn().prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(args.iter()), map_issue)?;
            let mut items = Vec::new();
            for raw in rows {
                let row = finish(raw?, &self.policies.sla, now)?;
                let other = self.issue_point(&row.projection)?;
                let distance_m = point.zip(other).map(|(a, b)| linkage_protocol::rules::geo::distance_m(a, b));
                items.push(MergeRow { issue: row, distance_m, suggested: false });
            }
            return Ok((items, total as u64));
        }
        let Some(point) = point else { return Ok((vec![], 0)) };
        let draft = DuplicateDraft { category: issue.category, point, at_ms: issue.reported_at_ms };
        let all: Vec<DuplicateRow> = self.duplicates_near(&draft)?.into_iter().filter(|d| d.issue.projection.id != issue.id).collect();
        let total = all.len() as u64;
        let items = all
            .into_iter()
            .skip(offset as usize)
            .take(page_limit(limit) as usize)
            .map(|d| MergeRow { issue: d.issue, distance_m: Some(d.distance_m), suggested: true })
            .collect();
        Ok((items, total))
    }

    /// An issue's place: its GPS fix, else its household's point.
    fn issue_point(&self, p: &lifecycle::IssueProjection) -> Result<Option<(f64, f64)>> {
        let household = match &p.household_id {
            Some(h) if p.location.is_none() => self
                .conn()
                .query_row("SELECT lat, lon FROM households WHERE id = ?1", [h], |r| {
                    Ok(r.get::<_, Option<f64>>(0)?.zip(r.get::<_, Option<f64>>(1)?))
                })
                .ok()
                .flatten(),
            _ => None,
        };
        Ok(duplicates::draft_point(p.location.as_ref(), household))
    }

    /// The county's (or township's) overview: the open issues under `node_id` (default: the user's node; it must
    /// lie in the user's area) that pass `filter`, deadline first; paged, with the total.
    pub fn issue_overview(&self, node_id: Option<&str>, filter: OverviewFilter, offset: u32, limit: u32) -> Result<(Vec<IssueRow>, u64)> {
        let path = self.area_path(node_id)?;
        let mut args: Vec<Value> = vec![path.clone().into(), scope::upper_bound(&path).into()];
        let mut sql = format!("path >= ?1 AND path < ?2 AND state IN ({})", open_states_sql());
        match filter {
            OverviewFilter::RedCard => {
                args.push(enum_str(&SupervisionLevel::Red).into());
                sql.push_str(" AND supervision = ?3");
            }
            OverviewFilter::Reworked => sql.push_str(" AND rework_count > 0"),
            OverviewFilter::Red | OverviewFilter::Yellow | OverviewFilter::Green => sql.push_str(" AND due_at_ms IS NOT NULL"),
            OverviewFilter::WaitingForMe => sql.push_str(" AND json_extract(flow, '$.pending_extension_days') IS NOT NULL"),
            OverviewFilter::Open => {}
        }
        let keep: Option<Box<dyn Fn(&Store, &IssueRow) -> Result<bool>>> = match filter {
            OverviewFilter::Red => Some(Box::new(|_, r| Ok(is_red(r)))),
            OverviewFilter::Yellow => Some(Box::new(|_, r| Ok(!is_red(r) && r.light == Light::Yellow))),
            OverviewFilter::Green => Some(Box::new(|_, r| Ok(!is_red(r) && r.light == Light::Green))),
            OverviewFilter::WaitingForMe => Some(Box::new(|s, r| s.waits_for_me(r))),
            _ => None,
        };
        let now = self.now_ms();
        let Some(keep) = keep else {
            // Decided in SQL alone: count and page there.
            let total: i64 =
                self.conn().query_row(&format!("SELECT count(*) FROM issues WHERE {sql}"), params_from_iter(args.iter()), |r| r.get(0))?;
            let n = args.len();
            args.push(i64::from(page_limit(limit)).into());
            args.push(i64::from(offset).into());
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT {COLUMNS} FROM issues WHERE {sql} ORDER BY {DEADLINE_ORDER} LIMIT ?{} OFFSET ?{}",
                n + 1,
                n + 2
            ))?;
            let items = stmt
                .query_map(params_from_iter(args.iter()), map_issue)?
                .map(|r| finish(r?, &self.policies.sla, now))
                .collect::<Result<Vec<_>>>()?;
            return Ok((items, total as u64));
        };
        // The light depends on the calendar and pauses, the decision on the rules: judged row by row over the
        // narrowed set (open issues with a clock, or with a request pending), then paged.
        let mut stmt = self.conn().prepare_cached(&format!("SELECT {COLUMNS} FROM issues WHERE {sql} ORDER BY {DEADLINE_ORDER}"))?;
        let mut kept = Vec::new();
        for raw in stmt.query_map(params_from_iter(args.iter()), map_issue)? {
            let row = finish(raw?, &self.policies.sla, now)?;
            if keep(self, &row)? {
                kept.push(row);
            }
        }
        let total = kept.len() as u64;
        Ok((kept.into_iter().skip(offset as usize).take(page_limit(limit) as usize).collect(), total))
    }

    /// Whether the rules let the user take one of the [`DECISIONS`] on the issue now.
    fn waits_for_me(&self, r: &IssueRow) -> Result<bool> {
        let actor = self.actor()?;
        let owner = self.node(&r.projection.owner_node_id)?;
        let allowed = lifecycle::allowed_actions(actor, &r.projection.facts(owner.parent_id.is_some()));
        Ok(allowed.iter().any(|a| DECISIONS.contains(a)))
    }

    /// The path of `node_id` when it lies in the user's area (`None`: the user's node); else `NotFound`.
    fn area_path(&self, node_id: Option<&str>) -> Result<String> {
        let actor = self.actor()?;
        let Some(id) = node_id else { return Ok(actor.node_path.clone()) };
        validate::id("node_id", id)?;
        let node = self.node(id).map_err(|_| Error::not_found("node", id))?;
        if !actor.sees(&node.path) {
            return Err(Error::not_found("node", id));
        }
        Ok(node.path)
    }

    /// The staff dashboard for `[from_ms, to_ms)`: the measures of the user's node and of each direct child,
    /// visit coverage now, the open issues with red lights and red cards per node, the silent child nodes and
    /// the decisions waiting for the user. Reads the measures' stored facts and the open issues only.
    pub fn dashboard(&self, from_ms: i64, to_ms: i64) -> Result<DashboardReport> {
        let m = self.measures(from_ms, to_ms)?;
        let actor = self.actor()?.clone();
        let coverage = self.visit_coverage()?;
        let by_id: HashMap<&str, &CoverageRow> = coverage.rows.iter().map(|c| (c.node_id.as_str(), c)).collect();
        // Open issues of the area, each counted for the area and for the child it lies under.
        let children: Vec<&NodeRow> = m.by_child.iter().map(|(n, _)| n).collect();
        let mut counts = vec![OpenCounts::default(); children.len() + 1];
        let now = self.now_ms();
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM issues WHERE path >= ?1 AND path < ?2 AND state IN ({})",
            open_states_sql()
        ))?;
        for raw in stmt.query_map(rusqlite::params![actor.node_path, scope::upper_bound(&actor.node_path)], map_issue)? {
            let row = finish(raw?, &self.policies.sla, now)?;
            let child = children.iter().position(|c| scope::within(&c.path, &row.projection.path));
            for i in std::iter::once(0).chain(child.map(|c| c + 1)) {
                let c = &mut counts[i];
                c.open += 1;
                c.red += u32::from(is_red(&row));
                c.red_cards += u32::from(row.projection.supervision == Some(SupervisionLevel::Red));
                c.reworked += u32::from(row.projection.rework_count > 0);
            }
        }
        let own_node = self.node(&actor.node_id)?;
        let node = |n: NodeRow, issues: IssueMeasures, c: OpenCounts, coverage: CoverageRow| DashboardNode {
            node: n,
            issues,
            open: c.open,
            red: c.red,
            red_cards: c.red_cards,
            reworked: c.reworked,
            coverage,
        };
        let empty = |n: &NodeRow| CoverageRow { node_id: n.id.clone(), name: n.name.clone(), level: n.level, households: 0, visited: 0 };
        let children = m
            .by_child
            .into_iter()
            .enumerate()
            .map(|(i, (n, issues))| {
                let cov = by_id.get(n.id.as_str()).map_or_else(|| empty(&n), |c| (*c).clone());
                node(n, issues, counts[i + 1], cov)
            })
            .collect();
        Ok(DashboardReport {
            period: m.period,
            own: node(own_node, m.issues, counts[0], coverage.total.clone()),
            children,
            visit_level: coverage.level,
            visit_interval_days: coverage.interval_days,
            silent_nodes: self.silent_nodes_for_me(0, 1)?.1,
            waiting_for_me: self.issue_overview(None, OverviewFilter::WaitingForMe, 0, 1)?.1 + self.task_reports_waiting_for_me(0, 1)?.1,
        })
    }
}

impl Store {
    /// 回访核实 on site: the resident's satisfaction recorded as the issue's verification AND as a return visit
    /// (回访) to its household, linked to the issue, its GPS fix graded like any visit — both, their outbox
    /// operations (and a submitted draft's deletion) in ONE transaction. The rules judge the verification as
    /// `perform_issue_action` does; an issue without a household has no house to visit (`InvalidInput` on
    /// `household_id`: verify it by phone instead). Returns the issue and the visit.
    pub fn verify_on_visit(
        &mut self,
        issue_id: &str,
        satisfaction: linkage_protocol::model::Satisfaction,
        note: &str,
        fix: Option<linkage_protocol::model::GpsFix>,
        started_at_ms: i64,
    ) -> Result<(IssueRow, super::VisitRow)> {
        let actor = self.actor()?.clone();
        let mut projection = self.issue_row(issue_id)?.projection;
        let owner = self.node(&projection.owner_node_id)?;
        lifecycle::authorize(&actor, &projection.facts(owner.parent_id.is_some()), IssueActionKind::Verify)?;
        let household_id =
            projection.household_id.clone().ok_or_else(|| Error::invalid("household_id", "the issue has no household to visit"))?;
        let action = lifecycle::normalize_payload(linkage_protocol::wire::IssueAction::Verify { satisfaction, note: note.to_string() })?;
        let visit = self.build_visit(super::VisitInput {
            household_id,
            kind: linkage_protocol::model::VisitKind::ReturnVisit,
            started_at_ms,
            ended_at_ms: self.now_ms().max(started_at_ms),
            fix,
            notes: note.to_string(),
            evidence: vec![],
            issue_id: Some(issue_id.to_string()),
        })?;
        let sla = self.policies.sla.clone();
        self.write(|w| {
            super::visits::insert_visit(w, &visit)?;
            let event = super::issues::new_event(w, None, &actor, issue_id, action)?;
            projection.apply(&event)?;
            super::issues::append_event(w, &event, &projection, &sla)
        })?;
        Ok((self.issue_row(issue_id)?, self.own_visit_row(visit)?))
    }
}

fn open_states_sql() -> String {
    OPEN_STATES.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

impl Store {
    /// Households under `node_id` (default: the user's node; it must lie in the user's area) overdue for a visit
    /// at the user's own level, most overdue first; paged, with the total (the dashboard's 未走访户 list).
    pub fn overdue_households_under(&self, node_id: Option<&str>, offset: u32, limit: u32) -> Result<(Vec<super::OverdueRow>, u64)> {
        let path = self.area_path(node_id)?;
        self.overdue_households_in(&path, None, offset, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::super::issues::tests_support::draft;
    use super::super::testing::*;
    use super::super::{IssueCommand, IssueInput};
    use super::*;
    use linkage_protocol::model::{IssueCategory, Satisfaction, Urgency, VisitKind};

    fn ids(rows: &[IssueRow]) -> Vec<String> {
        rows.iter().map(|r| r.projection.id.clone()).collect()
    }

    #[test]
    fn pickers_offer_people_with_their_load_and_issues_to_merge_into() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let a = s.report_issue(draft()).unwrap().projection.id;
        let b = s.report_issue(IssueInput { title: "家中缺煤".into(), ..draft() }).unwrap().projection.id;
        // Same place, other category; and an h4 issue far away in the other township (not lh's area).
        let other = s.report_issue(IssueInput { category: IssueCategory::Dispute, title: "邻里纠纷".into(), ..draft() }).unwrap().projection.id;
        s.sign_in("ts").unwrap();
        for id in [&a, &b] {
            s.perform_issue_action(id, IssueCommand::Accept).unwrap();
        }
        s.perform_issue_action(&a, IssueCommand::Assign { assignee_id: "gw".into() }).unwrap();
        let picker = s.assignee_picker(&b).unwrap();
        let loads: Vec<(String, u32)> = picker.iter().map(|(p, n)| (p.user_id.clone(), *n)).collect();
        assert_eq!(loads, [("gw".to_string(), 1), ("ts".to_string(), 0)], "nearest first, with the open load");

        // 合并: the duplicate rule pairs b with a (same category, same household, same day), never itself.
        let (sugg, total) = s.merge_candidates(&b, None, 0, 10).unwrap();
        assert_eq!((ids(&sugg.iter().map(|m| m.issue.clone()).collect::<Vec<_>>()), total), (vec![a.clone()], 1));
        assert!(sugg[0].suggested && sugg[0].distance_m == Some(0.0));
        // A search finds by title among open issues of the area, newest first; blank means suggestions.
        let (found, total) = s.merge_candidates(&b, Some(" 纠纷 "), 0, 10).unwrap();
        assert_eq!((found.len(), total, found[0].issue.projection.id.clone(), found[0].suggested), (1, 1, other.clone(), false));
        assert_eq!(s.merge_candidates(&a, Some("缺煤"), 0, 10).unwrap().1, 1, "b only: a itself is never offered");
        assert_eq!(s.merge_candidates(&b, Some("  "), 0, 10).unwrap().1, 1);
        // The picked candidate is accepted by the merge.
        let merged = s.perform_issue_action(&b, IssueCommand::Merge { into_issue_id: sugg[0].issue.projection.id.clone() }).unwrap();
        assert_eq!(merged.projection.merged_into.as_deref(), Some(a.as_str()));
        assert_eq!(s.merge_candidates(&other, Some("缺煤"), 0, 10).unwrap().1, 0, "merged issues are closed");
        let before = snapshot(&s);
        assert!(matches!(s.merge_candidates(&a, Some(&"长".repeat(101)), 0, 10), Err(Error::Field(f)) if f.field == "search"));
        assert!(matches!(s.merge_candidates("nope", None, 0, 10), Err(Error::NotFound { .. })));
        assert_eq!(snapshot(&s), before);
    }

    #[test]
    fn the_county_overview_lists_every_open_issue_by_filter() {
        let (mut s, clock) = store();
        s.sign_in("gw").unwrap();
        let slow = s.report_issue(draft()).unwrap().projection.id;
        let critical = s.report_issue(IssueInput { urgency: Urgency::Critical, title: "山火".into(), ..draft() }).unwrap().projection.id;
        s.sign_in("gw2").unwrap();
        let t2 = s.report_issue(IssueInput { household_id: Some("h4".into()), ..draft() }).unwrap().projection.id;
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&slow, IssueCommand::Accept).unwrap();
        s.perform_issue_action(&slow, IssueCommand::RequestExtension { working_days: 3, reason: "材料未到".into() }).unwrap();
        clock.advance_ms(121 * 60_000); // the critical one is past its 2 h accept limit

        s.sign_in("cs").unwrap();
        fn all(s: &Store, f: OverviewFilter) -> Vec<String> {
            let (rows, total) = s.issue_overview(None, f, 0, 50).unwrap();
            assert_eq!(rows.len() as u64, total);
            let mut v = ids(&rows);
            v.sort();
            v
        }
        let mut every = vec![slow.clone(), critical.clone(), t2.clone()];
        every.sort();
        assert_eq!(all(&s, OverviewFilter::Open), every, "not only escalations: every open issue of the county");
        assert_eq!(all(&s, OverviewFilter::Red), [critical.clone()]);
        assert_eq!(all(&s, OverviewFilter::WaitingForMe), [slow.clone()], "the extension request waits for the county");
        assert_eq!(all(&s, OverviewFilter::RedCard), Vec::<String>::new());
        let (t1, _) = s.issue_overview(Some("t1"), OverviewFilter::Open, 0, 50).unwrap();
        assert_eq!(t1.len(), 2, "filtered by township");
        let (page, total) = s.issue_overview(None, OverviewFilter::Open, 1, 1).unwrap();
        assert_eq!((page.len(), total), (1, 3));
        s.perform_issue_action(&critical, IssueCommand::Supervise { level: SupervisionLevel::Red, note: "限今日受理".into() }).unwrap();
        assert_eq!(all(&s, OverviewFilter::RedCard), [critical.clone()]);
        s.perform_issue_action(&slow, IssueCommand::DecideExtension { approved: true, note: String::new() }).unwrap();
        assert!(all(&s, OverviewFilter::WaitingForMe).is_empty(), "decided: no longer waiting");
        // The township sees its own area only, and nothing waits for it (the county decides extensions).
        s.sign_in("ts").unwrap();
        assert_eq!(s.issue_overview(None, OverviewFilter::Open, 0, 50).unwrap().1, 2);
        assert!(matches!(s.issue_overview(Some("t2"), OverviewFilter::Open, 0, 50), Err(Error::NotFound { .. })));
        assert!(matches!(s.issue_overview(Some("bad id!"), OverviewFilter::Open, 0, 50), Err(Error::Field(_))));
    }

    #[test]
    fn a_return_visit_records_the_verification_and_a_linked_visit_at_once() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap();
        let id = s.report_issue(draft()).unwrap().projection.id;
        let place = s.report_issue(IssueInput { household_id: None, node_id: Some("g1".into()), ..draft() }).unwrap().projection.id;
        s.sign_in("ts").unwrap();
        for (i, cmd) in [
            (&id, IssueCommand::Accept),
            (&id, IssueCommand::Assign { assignee_id: "gw".into() }),
            (&place, IssueCommand::Accept),
            (&place, IssueCommand::Assign { assignee_id: "gw".into() }),
        ] {
            s.perform_issue_action(i, cmd).unwrap();
        }
        s.sign_in("gw").unwrap();
        for i in [&id, &place] {
            s.perform_issue_action(i, IssueCommand::Start).unwrap();
            s.perform_issue_action(i, IssueCommand::Resolve { note: "已送煤".into(), evidence: vec![] }).unwrap();
        }
        let fix = linkage_protocol::model::GpsFix { lat: 35.5801, lon: 109.2601, accuracy_m: 8.0, fix_time_ms: NOW - 1000, mocked: false };
        let before = snapshot(&s);
        // The grid worker may not verify their own work; a place has no house to visit: nothing written.
        assert!(matches!(s.verify_on_visit(&id, Satisfaction::Satisfied, "", Some(fix), NOW - 60_000), Err(Error::Rule(_))));
        s.sign_in("ts").unwrap();
        assert!(matches!(s.verify_on_visit(&place, Satisfaction::Satisfied, "", Some(fix), NOW - 60_000), Err(Error::Field(f)) if f.field == "household_id"));
        let pending = s.pending_operations(100).unwrap().len();
        let (row, visit) = s.verify_on_visit(&id, Satisfaction::Satisfied, "老人说煤够烧了", Some(fix), NOW - 60_000).unwrap();
        assert_eq!((row.projection.state, row.projection.satisfaction), (IssueState::Closed, Some(Satisfaction::Satisfied)));
        assert_eq!((visit.kind, visit.issue_id.as_deref(), visit.verdict), (VisitKind::ReturnVisit, Some(id.as_str()), linkage_protocol::model::OnSiteVerdict::OnSite));
        assert_eq!(s.pending_operations(100).unwrap().len(), pending + 2, "the visit and the verification, both queued");
        assert_eq!(s.household_visits("h1", 10).unwrap()[0].issue_id.as_deref(), Some(id.as_str()));
        assert_ne!(snapshot(&s), before);
    }

    #[test]
    fn the_dashboard_counts_per_child_and_lights_its_measures() {
        let (mut s, clock) = store();
        s.sign_in("gw").unwrap();
        let critical = s.report_issue(IssueInput { urgency: Urgency::Critical, ..draft() }).unwrap().projection.id;
        s.report_issue(draft()).unwrap();
        s.sign_in("gw2").unwrap();
        s.report_issue(IssueInput { household_id: Some("h4".into()), ..draft() }).unwrap();
        clock.advance_ms(121 * 60_000);
        s.sign_in("cs").unwrap();
        s.perform_issue_action(&critical, IssueCommand::Supervise { level: SupervisionLevel::Red, note: String::new() }).unwrap();
        let d = s.dashboard(NOW - 86_400_000, NOW + 86_400_000).unwrap();
        assert_eq!((d.own.open, d.own.red, d.own.red_cards), (3, 1, 1));
        let kids: Vec<(String, u32, u32)> = d.children.iter().map(|c| (c.node.id.clone(), c.open, c.red)).collect();
        assert_eq!(kids, [("t1".to_string(), 2, 1), ("t2".to_string(), 1, 0)]);
        assert_eq!(d.own.issues.reported, 3);
        assert_eq!(d.children[0].issues.reported, 2);
        // County coverage counts its contact households (h3 in t1); none visited yet.
        assert_eq!((d.own.coverage.households, d.own.coverage.visited), (1, 0));
        assert_eq!((d.children[0].coverage.households, d.children[1].coverage.households), (1, 0));
        assert_eq!(s.overdue_households_under(Some("t1"), 0, 10).unwrap().1, 1);
        assert_eq!(s.overdue_households_under(Some("t2"), 0, 10).unwrap().1, 0);
        assert_eq!((d.silent_nodes, d.waiting_for_me), (0, 0));
        assert!(matches!(s.dashboard(NOW, NOW), Err(Error::Field(_))));
    }
}
