//! The issue lifecycle of DESIGN §5: which actions are legal from which state, who may take each, and the fold
//! of an issue's append-only event log into its current state. Phone and server both call `authorize` before
//! writing an event and `IssueProjection::apply` to fold one, so they can never disagree on an issue's state.

use super::{Denial, RuleError};
use crate::model::{Actor, IssueActionKind, IssueCategory, IssueState, Role, Satisfaction, Urgency};
use crate::wire::{IssueAction, IssueEvent, IssueReport};

/// The facts about an issue that the permission rules look at.
#[derive(Debug, Clone, Copy)]
pub struct IssueFacts<'a> {
    pub state: IssueState,
    /// Materialized path of the issue (scope).
    pub path: &'a str,
    /// The node whose staff own the issue now (a township, or the county after escalation).
    pub owner_node_id: &'a str,
    pub assignee_id: Option<&'a str>,
    /// Whether the owner node has a parent to escalate to.
    pub owner_has_parent: bool,
}

/// States from which `action` is legal (for anyone).
pub fn legal_from(action: IssueActionKind) -> &'static [IssueState] {
    use IssueState::*;
    match action {
        IssueActionKind::Report => &[],
        IssueActionKind::Accept | IssueActionKind::Reject => &[Reported],
        IssueActionKind::Merge => &[Reported, Accepted],
        IssueActionKind::Assign => &[Accepted, Assigned],
        IssueActionKind::Start => &[Assigned],
        IssueActionKind::Resolve | IssueActionKind::Escalate => &[Accepted, Assigned, InProgress],
        IssueActionKind::Verify => &[Resolved],
    }
}

fn is_owner_staff(actor: &Actor, issue: &IssueFacts<'_>) -> bool {
    matches!(actor.role, Role::TownshipStaff | Role::CountyStaff) && actor.node_id == issue.owner_node_id
}

/// Decides whether `actor` may take `action` on the issue now. Checks, in order: scope (else `OutOfScope`),
/// state (else `IllegalTransition`), then the actor's role and relation to the issue (else `NotPermitted`).
pub fn authorize(actor: &Actor, issue: &IssueFacts<'_>, action: IssueActionKind) -> Result<(), RuleError> {
    if !actor.sees(issue.path) {
        return Err(RuleError::OutOfScope);
    }
    if !legal_from(action).contains(&issue.state) {
        return Err(RuleError::IllegalTransition { from: issue.state, action });
    }
    let owner = is_owner_staff(actor, issue);
    let assignee = issue.assignee_id == Some(actor.user_id.as_str());
    match action {
        IssueActionKind::Report => unreachable!("Report has no legal source state"),
        IssueActionKind::Accept
        | IssueActionKind::Reject
        | IssueActionKind::Merge
        | IssueActionKind::Assign
        | IssueActionKind::Verify => owner.then_some(()).ok_or(RuleError::NotPermitted(Denial::NotOwnerStaff)),
        IssueActionKind::Escalate => {
            if !owner {
                Err(RuleError::NotPermitted(Denial::NotOwnerStaff))
            } else if !issue.owner_has_parent {
                Err(RuleError::NoHigherLevel)
            } else {
                Ok(())
            }
        }
        IssueActionKind::Start => assignee.then_some(()).ok_or(RuleError::NotPermitted(Denial::NotAssignee)),
        IssueActionKind::Resolve => {
            (owner || assignee).then_some(()).ok_or(RuleError::NotPermitted(Denial::NotAssignee))
        }
    }
}

/// May `actor` report an issue about a node at `path`? Anyone may report within their own scope.
pub fn authorize_report(actor: &Actor, path: &str) -> Result<(), RuleError> {
    if actor.sees(path) {
        Ok(())
    } else {
        Err(RuleError::OutOfScope)
    }
}

/// May the issue be assigned to a user with `assignee_role` whose node lies at `assignee_path`?
/// The assignee must work within the owning level's subtree and be staff or a grid worker (not a liaison head).
pub fn check_assignee(owner_path: &str, assignee_role: Role, assignee_path: &str) -> Result<(), RuleError> {
    if assignee_role == Role::LiaisonHead || !super::scope::within(owner_path, assignee_path) {
        return Err(RuleError::NotPermitted(Denial::InvalidAssignee));
    }
    Ok(())
}

/// Every action `actor` may take on the issue now (for the issue page's buttons).
pub fn allowed_actions(actor: &Actor, issue: &IssueFacts<'_>) -> Vec<IssueActionKind> {
    IssueActionKind::ON_EXISTING.into_iter().filter(|a| authorize(actor, issue, *a).is_ok()).collect()
}

/// The current state of an issue: the fold of its events.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueProjection {
    pub id: String,
    pub state: IssueState,
    pub category: IssueCategory,
    pub urgency: Urgency,
    pub title: String,
    pub description: String,
    pub node_id: String,
    pub path: String,
    pub household_id: Option<String>,
    pub owner_node_id: String,
    pub reporter_id: String,
    pub assignee_id: Option<String>,
    /// Times the resident was dissatisfied and the issue went back (返工).
    pub rework_count: u32,
    pub escalation_count: u32,
    pub merged_into: Option<String>,
    pub satisfaction: Option<Satisfaction>,
    pub location: Option<crate::model::GpsFix>,
    pub reported_at_ms: i64,
    pub accepted_at_ms: Option<i64>,
    pub assigned_at_ms: Option<i64>,
    pub resolved_at_ms: Option<i64>,
    pub closed_at_ms: Option<i64>,
    pub last_hlc: String,
}

impl IssueProjection {
    /// A new issue from its report event.
    pub fn from_report(event: &IssueEvent, report: &IssueReport) -> IssueProjection {
        IssueProjection {
            id: event.issue_id.clone(),
            state: IssueState::Reported,
            category: report.category,
            urgency: report.urgency,
            title: report.title.clone(),
            description: report.description.clone(),
            node_id: report.node_id.clone(),
            path: report.path.clone(),
            household_id: report.household_id.clone(),
            owner_node_id: report.owner_node_id.clone(),
            reporter_id: event.actor_id.clone(),
            assignee_id: None,
            rework_count: 0,
            escalation_count: 0,
            merged_into: None,
            satisfaction: None,
            location: report.location,
            reported_at_ms: event.at_ms,
            accepted_at_ms: None,
            assigned_at_ms: None,
            resolved_at_ms: None,
            closed_at_ms: None,
            last_hlc: event.hlc.clone(),
        }
    }

    /// The facts the permission rules need.
    pub fn facts(&self, owner_has_parent: bool) -> IssueFacts<'_> {
        IssueFacts {
            state: self.state,
            path: &self.path,
            owner_node_id: &self.owner_node_id,
            assignee_id: self.assignee_id.as_deref(),
            owner_has_parent,
        }
    }

    /// Folds one more event in. Checks only that the transition is legal from the current state (permission
    /// was checked when the event was made); on error the projection is unchanged.
    pub fn apply(&mut self, event: &IssueEvent) -> Result<(), RuleError> {
        let kind = event.action.kind();
        if !legal_from(kind).contains(&self.state) {
            return Err(RuleError::IllegalTransition { from: self.state, action: kind });
        }
        let at = event.at_ms;
        match &event.action {
            IssueAction::Report(_) => unreachable!("checked by legal_from"),
            IssueAction::Accept => {
                self.state = IssueState::Accepted;
                self.accepted_at_ms = Some(at);
            }
            IssueAction::Reject { .. } => {
                self.state = IssueState::Rejected;
                self.closed_at_ms = Some(at);
            }
            IssueAction::Merge { into_issue_id } => {
                self.state = IssueState::Merged;
                self.merged_into = Some(into_issue_id.clone());
                self.closed_at_ms = Some(at);
            }
            IssueAction::Assign { assignee_id } => {
                self.state = IssueState::Assigned;
                self.assignee_id = Some(assignee_id.clone());
                self.assigned_at_ms = Some(at);
            }
            IssueAction::Start => self.state = IssueState::InProgress,
            IssueAction::Resolve { .. } => {
                self.state = IssueState::Resolved;
                self.resolved_at_ms = Some(at);
            }
            IssueAction::Escalate { to_node_id, .. } => {
                self.state = IssueState::Accepted;
                self.owner_node_id = to_node_id.clone();
                self.assignee_id = None;
                self.escalation_count += 1;
            }
            IssueAction::Verify { satisfaction, .. } => {
                self.satisfaction = Some(*satisfaction);
                if *satisfaction == Satisfaction::Dissatisfied {
                    // 返工: back to the same handler, or to the owning staff if it was resolved at their level.
                    self.state = IssueState::Assigned;
                    self.rework_count += 1;
                    self.resolved_at_ms = None;
                } else {
                    self.state = IssueState::Closed;
                    self.closed_at_ms = Some(at);
                }
            }
        }
        self.last_hlc = event.hlc.clone();
        Ok(())
    }
}

/// Folds a whole log (any order; sorted by HLC here). The first event must be the report. Events that are not
/// legal at their point in the order (concurrent edits from two devices) are skipped and returned, never lost.
pub fn fold(events: &[IssueEvent]) -> Option<(IssueProjection, Vec<&IssueEvent>)> {
    let mut sorted: Vec<&IssueEvent> = events.iter().collect();
    sorted.sort_by(|a, b| a.hlc.cmp(&b.hlc).then_with(|| a.event_id.cmp(&b.event_id)));
    fold_ordered(&sorted)
}

/// Folds a log in the order given. The server's receipt order is the authority: the server folds in that
/// order, and a phone folds the events the server has accepted in the server's order, then its own unsent
/// events (which the server will receive after them), so both arrive at the same state.
pub fn fold_ordered<'e>(sorted: &[&'e IssueEvent]) -> Option<(IssueProjection, Vec<&'e IssueEvent>)> {
    let (first, rest) = sorted.split_first()?;
    let IssueAction::Report(report) = &first.action else { return None };
    let mut projection = IssueProjection::from_report(first, report);
    let mut skipped = Vec::new();
    for event in rest {
        if projection.apply(event).is_err() {
            skipped.push(*event);
        }
    }
    Some((projection, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use IssueState::*;

    fn actor(user: &str, role: Role, node: &str, path: &str) -> Actor {
        Actor { user_id: user.into(), role, node_id: node.into(), node_path: path.into() }
    }

    /// Exhaustive: every state × every action × every kind of actor → allowed or the precise error.
    /// The issue lives at `/c/t1/b1/g1/h1/`, is owned by township `t1` and, where it has one, assigned to `gw`.
    /// The expected table is written out by hand from DESIGN §5, not computed from the rule code.
    #[test]
    fn every_state_action_role() {
        let actors = [
            ("county", actor("cs", Role::CountyStaff, "c", "/c/")),
            ("owner", actor("ts", Role::TownshipStaff, "t1", "/c/t1/")),
            ("other_township", actor("ts2", Role::TownshipStaff, "t2", "/c/t2/")),
            ("assignee", actor("gw", Role::GridWorker, "b1", "/c/t1/b1/")),
            ("grid_worker", actor("gw2", Role::GridWorker, "b1", "/c/t1/b1/")),
            ("liaison", actor("lh", Role::LiaisonHead, "g1", "/c/t1/b1/g1/")),
        ];
        // Columns: Reported Accepted Assigned InProgress Resolved Closed Rejected Merged
        // ok = allowed, IT = IllegalTransition, OW = NotPermitted(NotOwnerStaff),
        // AS = NotPermitted(NotAssignee), OS = OutOfScope
        let table: &[(&str, IssueActionKind, [&str; 8])] = &[
            ("county", IssueActionKind::Accept, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Reject, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Merge, ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Assign, ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Start, ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Resolve, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Accept, ["ok", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Reject, ["ok", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Merge, ["ok", "ok", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Assign, ["IT", "ok", "ok", "IT", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Start, ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Resolve, ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Escalate, ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "ok", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Accept, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Reject, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Merge, ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Assign, ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Start, ["IT", "IT", "ok", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Resolve, ["IT", "AS", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Accept, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Reject, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Merge, ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Assign, ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Start, ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Resolve, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Accept, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Reject, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Merge, ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Assign, ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Start, ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Resolve, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT"]),
        ];
        let mut checked = 0;
        for (who, action, row) in table {
            let actor = &actors.iter().find(|(n, _)| n == who).unwrap().1;
            for (state, expected) in IssueState::ALL.iter().zip(row) {
                let has_assignee = matches!(state, Assigned | InProgress | Resolved | Closed);
                let facts = IssueFacts {
                    state: *state,
                    path: "/c/t1/b1/g1/h1/",
                    owner_node_id: "t1",
                    assignee_id: has_assignee.then_some("gw"),
                    owner_has_parent: true,
                };
                let got = match authorize(actor, &facts, *action) {
                    Ok(()) => "ok",
                    Err(RuleError::IllegalTransition { from, action: a }) => {
                        assert_eq!((from, a), (*state, *action));
                        "IT"
                    }
                    Err(RuleError::NotPermitted(Denial::NotOwnerStaff)) => "OW",
                    Err(RuleError::NotPermitted(Denial::NotAssignee)) => "AS",
                    Err(RuleError::OutOfScope) => "OS",
                    Err(other) => panic!("unexpected {other:?}"),
                };
                assert_eq!(got, *expected, "{who} {action:?} from {state:?}");
                checked += 1;
            }
        }
        // The other township's staff cannot see the issue at all, whatever the state and action.
        let (_, outsider) = &actors[2];
        for state in IssueState::ALL {
            for action in IssueActionKind::ON_EXISTING {
                let facts = IssueFacts {
                    state,
                    path: "/c/t1/b1/g1/h1/",
                    owner_node_id: "t1",
                    assignee_id: None,
                    owner_has_parent: true,
                };
                assert_eq!(authorize(outsider, &facts, action), Err(RuleError::OutOfScope));
                checked += 1;
            }
        }
        assert_eq!(checked, 6 * 8 * 8);
    }

    #[test]
    fn county_cannot_escalate_further_but_owns_after_escalation() {
        let county = actor("cs", Role::CountyStaff, "c", "/c/");
        let facts = IssueFacts {
            state: Accepted,
            path: "/c/t1/b1/",
            owner_node_id: "c",
            assignee_id: None,
            owner_has_parent: false,
        };
        assert_eq!(authorize(&county, &facts, IssueActionKind::Escalate), Err(RuleError::NoHigherLevel));
        assert_eq!(authorize(&county, &facts, IssueActionKind::Assign), Ok(()));
        let township = actor("ts", Role::TownshipStaff, "t1", "/c/t1/");
        assert_eq!(
            authorize(&township, &facts, IssueActionKind::Assign),
            Err(RuleError::NotPermitted(Denial::NotOwnerStaff))
        );
    }

    #[test]
    fn assignee_must_be_inside_the_owner_and_not_a_liaison_head() {
        assert_eq!(check_assignee("/c/t1/", Role::GridWorker, "/c/t1/b1/"), Ok(()));
        assert_eq!(check_assignee("/c/t1/", Role::TownshipStaff, "/c/t1/"), Ok(()));
        assert!(check_assignee("/c/t1/", Role::GridWorker, "/c/t2/b1/").is_err());
        assert!(check_assignee("/c/t1/", Role::LiaisonHead, "/c/t1/b1/g1/").is_err());
    }

    fn ev(n: u32, action: IssueAction) -> IssueEvent {
        IssueEvent {
            event_id: format!("e{n}"),
            issue_id: "i1".into(),
            actor_id: "u".into(),
            actor_role: Role::TownshipStaff,
            actor_node_id: "t1".into(),
            hlc: format!("{:015}-000000-d", n),
            at_ms: i64::from(n) * 1000,
            action,
        }
    }

    fn report() -> IssueAction {
        IssueAction::Report(IssueReport {
            category: IssueCategory::Infrastructure,
            urgency: Urgency::Normal,
            title: "路灯坏了".into(),
            description: String::new(),
            node_id: "g1".into(),
            path: "/c/t1/b1/g1/".into(),
            household_id: None,
            owner_node_id: "t1".into(),
            location: None,
            evidence: vec![],
        })
    }

    #[test]
    fn fold_full_story_with_rework_and_escalation() {
        let events = vec![
            ev(1, report()),
            ev(2, IssueAction::Accept),
            ev(3, IssueAction::Assign { assignee_id: "gw".into() }),
            ev(4, IssueAction::Start),
            ev(5, IssueAction::Resolve { note: "修好".into(), evidence: vec![] }),
            ev(6, IssueAction::Verify { satisfaction: Satisfaction::Dissatisfied, note: "又坏了".into() }),
            ev(7, IssueAction::Escalate { reason: "需县里协调".into(), to_node_id: "c".into() }),
            ev(8, IssueAction::Assign { assignee_id: "gw".into() }),
            ev(9, IssueAction::Resolve { note: "更换线路".into(), evidence: vec![] }),
            ev(10, IssueAction::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() }),
        ];
        // Order of the input does not matter.
        let mut shuffled = events.clone();
        shuffled.reverse();
        let (p, skipped) = fold(&shuffled).unwrap();
        assert!(skipped.is_empty());
        assert_eq!(p.state, Closed);
        assert_eq!(p.rework_count, 1);
        assert_eq!(p.escalation_count, 1);
        assert_eq!(p.owner_node_id, "c");
        assert_eq!(p.accepted_at_ms, Some(2000));
        assert_eq!(p.closed_at_ms, Some(10_000));
        assert_eq!(p.satisfaction, Some(Satisfaction::Satisfied));
    }

    #[test]
    fn fold_skips_a_concurrent_conflicting_event_and_keeps_it() {
        // Two staff phones: one rejects, the other accepts, offline. The earlier HLC wins; the other is kept.
        let events = vec![ev(1, report()), ev(3, IssueAction::Accept), ev(2, IssueAction::Reject { reason: "重复".into() })];
        let (p, skipped) = fold(&events).unwrap();
        assert_eq!(p.state, Rejected);
        assert_eq!(p.accepted_at_ms, None);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].event_id, "e3");
        assert!(fold(&[ev(1, IssueAction::Accept)]).is_none());
    }

    #[test]
    fn apply_leaves_projection_untouched_on_error() {
        let (mut p, _) = fold(&[ev(1, report())]).unwrap();
        let before = p.clone();
        assert!(p.apply(&ev(2, IssueAction::Start)).is_err());
        assert_eq!(p, before);
    }
}
