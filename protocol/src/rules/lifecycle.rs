//! The issue lifecycle of DESIGN §5: which actions are legal from which state, who may take each, and the fold
//! of an issue's append-only event log into its current state. Phone and server both call `authorize` before
//! writing an event and `IssueProjection::apply` to fold one, so they can never disagree on an issue's state.

use super::{Denial, RuleError};
use super::sla::{SlaStep, Suspension};
use crate::model::{Actor, IssueActionKind, IssueCategory, IssueState, Role, Satisfaction, SupervisionLevel, Urgency};
use crate::wire::{IssueAction, IssueEvent, IssueReport};

/// The facts about an issue that the permission rules look at.
#[derive(Debug, Clone, Copy)]
pub struct IssueFacts<'a> {
    pub state: IssueState,
    /// Materialized path of the issue (scope).
    pub path: &'a str,
    /// The node whose staff own the issue now (a township, or the county after escalation; a village branch
    /// when a liaison head's report landed there by the county's intake setting, `rules::intake`).
    pub owner_node_id: &'a str,
    pub assignee_id: Option<&'a str>,
    /// Whether the owner node has a parent to escalate to.
    pub owner_has_parent: bool,
    /// Who reported it (就地解决 is the reporter's).
    pub reporter_id: &'a str,
    /// 挂起: the clock is stopped.
    pub suspended: bool,
    /// A 延期 request waits for the level above.
    pub extension_pending: bool,
}

impl IssueFacts<'_> {
    /// The materialized path of the owner node: the issue's path up to the owner's segment (the owner is
    /// always an ancestor of the issue's node).
    pub fn owner_path(&self) -> Option<&str> {
        let needle = format!("/{}/", self.owner_node_id);
        self.path.find(&needle).map(|i| &self.path[..i + needle.len()])
    }
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
        IssueActionKind::Suspend
        | IssueActionKind::Resume
        | IssueActionKind::RequestExtension
        | IssueActionKind::DecideExtension => &[Accepted, Assigned, InProgress],
        IssueActionKind::Supervise | IssueActionKind::MarkOverdue | IssueActionKind::Join => {
            &[Reported, Accepted, Assigned, InProgress, Resolved]
        }
        IssueActionKind::ResolveOnSpot => &[Reported],
    }
}

/// Beyond the state, some actions depend on the issue's flags: suspend only a running clock, resume only a
/// stopped one, request an extension only when none is pending, decide only a pending one.
fn legal_with_flags(action: IssueActionKind, suspended: bool, extension_pending: bool) -> bool {
    match action {
        IssueActionKind::Suspend => !suspended,
        IssueActionKind::Resume => suspended,
        IssueActionKind::RequestExtension => !extension_pending,
        IssueActionKind::DecideExtension => extension_pending,
        _ => true,
    }
}

/// Staff of a level strictly above the owner (the county over a township): may supervise and decide
/// extension requests.
fn is_above_owner(actor: &Actor, issue: &IssueFacts<'_>) -> bool {
    matches!(actor.role, Role::TownshipStaff | Role::CountyStaff)
        && issue.owner_path().is_some_and(|owner| owner != actor.node_path && super::scope::within(&actor.node_path, owner))
}

/// Staff of the owning node: township or county staff, or the branch secretary (支部书记) of a branch that
/// owns the issue (ADR 0008). A grid worker of the branch is never the owner; the secretary assigns to them.
fn is_owner_staff(actor: &Actor, issue: &IssueFacts<'_>) -> bool {
    actor.role.handles_issues() && actor.node_id == issue.owner_node_id
}

/// Decides whether `actor` may take `action` on the issue now. Checks, in order: scope (else `OutOfScope`),
/// state (else `IllegalTransition`), then the actor's role and relation to the issue (else `NotPermitted`).
pub fn authorize(actor: &Actor, issue: &IssueFacts<'_>, action: IssueActionKind) -> Result<(), RuleError> {
    if !actor.sees(issue.path) {
        return Err(RuleError::OutOfScope);
    }
    if !legal_from(action).contains(&issue.state) || !legal_with_flags(action, issue.suspended, issue.extension_pending) {
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
        IssueActionKind::Suspend | IssueActionKind::Resume => {
            owner.then_some(()).ok_or(RuleError::NotPermitted(Denial::NotOwnerStaff))
        }
        IssueActionKind::RequestExtension => {
            (owner || assignee).then_some(()).ok_or(RuleError::NotPermitted(Denial::NotAssignee))
        }
        IssueActionKind::DecideExtension | IssueActionKind::Supervise => {
            is_above_owner(actor, issue).then_some(()).ok_or(RuleError::NotPermitted(Denial::NotAboveOwner))
        }
        IssueActionKind::ResolveOnSpot => (actor.role == Role::GridWorker && actor.user_id == issue.reporter_id)
            .then_some(())
            .ok_or(RuleError::NotPermitted(Denial::NotOnSpotReporter)),
        IssueActionKind::MarkOverdue => Err(RuleError::NotPermitted(Denial::SystemOnly)),
        // Anyone who may report about the issue's place may add to it (the scope was checked above).
        IssueActionKind::Join => Ok(()),
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

/// May the issue at `issue_path` be assigned to a user with `assignee_role` whose node lies at
/// `assignee_path`? The assignee must be staff or a grid worker (not a liaison head) within the owning level's
/// subtree (else `InvalidAssignee`), and must work where the issue is: the issue's node lies at or under the
/// assignee's node — the grid worker of the issue's own branch, not of a neighbouring one (else
/// `AssigneeOutsideArea`). Phone and server judge an assignment with this one function.
pub fn check_assignee(owner_path: &str, issue_path: &str, assignee_role: Role, assignee_path: &str) -> Result<(), RuleError> {
    if assignee_role == Role::LiaisonHead || !super::scope::within(owner_path, assignee_path) {
        return Err(RuleError::NotPermitted(Denial::InvalidAssignee));
    }
    if !super::scope::within(assignee_path, issue_path) {
        return Err(RuleError::NotPermitted(Denial::AssigneeOutsideArea));
    }
    Ok(())
}

/// Most working days one extension (延期) may ask for.
pub const MAX_EXTENSION_DAYS: u32 = 30;

/// Checks and normalizes (trims) the free-text and photo payload of an action, shared by phone and server:
/// reasons, notes, evidence lists, extension days. References to stored entities (merge target, assignee,
/// escalation target) are checked where the entities are. The field named in the error is the form's field.
pub fn normalize_payload(action: IssueAction) -> Result<IssueAction, crate::validate::FieldError> {
    use crate::validate::{self, limits, FieldError};
    let reason = |r: &str| validate::text("reason", r, 1, limits::REASON);
    let note = |n: &str, min| validate::text("note", n, min, limits::NOTE);
    Ok(match action {
        IssueAction::Reject { reason: r } => IssueAction::Reject { reason: reason(&r)? },
        IssueAction::Escalate { reason: r, to_node_id } => IssueAction::Escalate { reason: reason(&r)?, to_node_id },
        IssueAction::Suspend { reason: r } => IssueAction::Suspend { reason: reason(&r)? },
        IssueAction::Resolve { note: n, evidence } => {
            validate::evidence("evidence", &evidence)?;
            IssueAction::Resolve { note: note(&n, 1)?, evidence }
        }
        IssueAction::Verify { satisfaction, note: n } => IssueAction::Verify { satisfaction, note: note(&n, 0)? },
        IssueAction::RequestExtension { working_days, reason: r } => {
            if !(1..=MAX_EXTENSION_DAYS).contains(&working_days) {
                return Err(FieldError::new("working_days", format!("must be 1 to {MAX_EXTENSION_DAYS} working days")));
            }
            IssueAction::RequestExtension { working_days, reason: reason(&r)? }
        }
        IssueAction::DecideExtension { approved, note: n } => IssueAction::DecideExtension { approved, note: note(&n, 0)? },
        IssueAction::Supervise { level, note: n } => IssueAction::Supervise { level, note: note(&n, 0)? },
        IssueAction::ResolveOnSpot { note: n, evidence } => {
            let n = note(&n, 1)?;
            if evidence.is_empty() {
                return Err(FieldError::new("evidence", "an on-the-spot resolution needs at least one photo"));
            }
            validate::evidence("evidence", &evidence)?;
            IssueAction::ResolveOnSpot { note: n, evidence }
        }
        IssueAction::Join { note: n, evidence } => {
            validate::evidence("evidence", &evidence)?;
            IssueAction::Join { note: note(&n, 0)?, evidence }
        }
        other @ (IssueAction::Report(_)
        | IssueAction::Accept
        | IssueAction::Merge { .. }
        | IssueAction::Assign { .. }
        | IssueAction::Start
        | IssueAction::Resume
        | IssueAction::MarkOverdue { .. }) => other,
    })
}

/// [`normalize_payload`] as a check only (the server judges what the phone already normalized).
pub fn validate_payload(action: &IssueAction) -> Result<(), crate::validate::FieldError> {
    normalize_payload(action.clone()).map(drop)
}

/// Whether an action's dialog asks for free text, and if so whether it may be left empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextNeed {
    None,
    Optional,
    Required,
}

/// The one choice an action's dialog asks for, when it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceNeed {
    /// 群众满意度: 满意 / 基本满意 / 不满意 (verify).
    Satisfaction,
    /// 督办级别: 普通 / 黄牌 / 红牌 (supervise).
    SupervisionLevel,
    /// 同意 / 不同意 (decide an extension).
    Decision,
}

/// What an action needs before it can be sent: exactly what [`normalize_payload`] and the reference checks
/// will demand, so a dialog built from it is never refused for a missing part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionNeeds {
    pub text: TextNeed,
    /// The payload field the text goes into (`reason` or `note`), when there is text.
    pub text_field: Option<&'static str>,
    pub max_text_chars: usize,
    pub min_photos: u32,
    pub max_photos: u32,
    /// Inclusive range of working days (request an extension).
    pub days: Option<(u32, u32)>,
    pub choice: Option<ChoiceNeed>,
    /// A person picked from the people in scope who may take the issue (assign).
    pub person: bool,
    /// Another issue picked (merge into).
    pub other_issue: bool,
}

/// Actions that are never a button on an existing issue's page: reporting (and 就地解决, 补充反映) is the report
/// form, 超期预警 is the server's sweep.
pub fn is_button(action: IssueActionKind) -> bool {
    !matches!(action, IssueActionKind::Report | IssueActionKind::ResolveOnSpot | IssueActionKind::MarkOverdue | IssueActionKind::Join)
}

/// What `action`'s dialog must collect (see [`ActionNeeds`]).
pub fn needs(action: IssueActionKind) -> ActionNeeds {
    use crate::validate::limits;
    let none = ActionNeeds {
        text: TextNeed::None,
        text_field: None,
        max_text_chars: 0,
        min_photos: 0,
        max_photos: 0,
        days: None,
        choice: None,
        person: false,
        other_issue: false,
    };
    let reason = ActionNeeds { text: TextNeed::Required, text_field: Some("reason"), max_text_chars: limits::REASON, ..none };
    let note = |text| ActionNeeds { text, text_field: Some("note"), max_text_chars: limits::NOTE, ..none };
    let photos = limits::EVIDENCE_PER_RECORD as u32;
    match action {
        IssueActionKind::Accept | IssueActionKind::Start | IssueActionKind::Resume | IssueActionKind::MarkOverdue => none,
        IssueActionKind::Report => ActionNeeds { max_photos: photos, ..none },
        IssueActionKind::Join => ActionNeeds { max_photos: photos, ..note(TextNeed::Optional) },
        IssueActionKind::Reject | IssueActionKind::Escalate | IssueActionKind::Suspend => reason,
        IssueActionKind::Resolve => ActionNeeds { max_photos: photos, ..note(TextNeed::Required) },
        IssueActionKind::ResolveOnSpot => ActionNeeds { min_photos: 1, max_photos: photos, ..note(TextNeed::Required) },
        IssueActionKind::Verify => ActionNeeds { choice: Some(ChoiceNeed::Satisfaction), ..note(TextNeed::Optional) },
        IssueActionKind::RequestExtension => ActionNeeds { days: Some((1, MAX_EXTENSION_DAYS)), ..reason },
        IssueActionKind::DecideExtension => ActionNeeds { choice: Some(ChoiceNeed::Decision), ..note(TextNeed::Optional) },
        IssueActionKind::Supervise => ActionNeeds { choice: Some(ChoiceNeed::SupervisionLevel), ..note(TextNeed::Optional) },
        IssueActionKind::Assign => ActionNeeds { person: true, ..none },
        IssueActionKind::Merge => ActionNeeds { other_issue: true, ..none },
    }
}

/// Every action `actor` may take on the issue now (for the issue page's buttons). A 补充反映 (`Join`) is open to
/// everyone in scope but is made from the report form (是这件，不重复上报), never listed here.
pub fn allowed_actions(actor: &Actor, issue: &IssueFacts<'_>) -> Vec<IssueActionKind> {
    IssueActionKind::ON_EXISTING
        .into_iter()
        .filter(|a| *a != IssueActionKind::Join && authorize(actor, issue, *a).is_ok())
        .collect()
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
    /// 挂起 intervals; the last is open while suspended. They stop the time-limit clock.
    pub suspensions: Vec<Suspension>,
    /// Approved 延期, in working days, added to the resolve limit in order.
    pub extensions_days: Vec<u32>,
    /// Working days of a request waiting for the level above.
    pub pending_extension_days: Option<u32>,
    /// Strongest supervision (督办) the level above has put on it.
    pub supervision: Option<SupervisionLevel>,
    /// The step the server's sweep found overdue (proposed for escalation), until the step changes.
    pub overdue_step: Option<SlaStep>,
    /// Resolved in one step by the reporting grid worker (就地解决).
    pub resolved_on_spot: bool,
}

impl IssueProjection {
    /// The latest time the issue's events claim (report, accept, assign, resolve, close, suspensions): what the
    /// next action follows (`rules::times`).
    pub fn latest_at_ms(&self) -> i64 {
        let steps = [self.accepted_at_ms, self.assigned_at_ms, self.resolved_at_ms, self.closed_at_ms];
        let pauses = self.suspensions.iter().flat_map(|s| [Some(s.from_ms), s.to_ms]);
        steps.into_iter().chain(pauses).flatten().fold(self.reported_at_ms, i64::max)
    }

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
            suspensions: Vec::new(),
            extensions_days: Vec::new(),
            pending_extension_days: None,
            supervision: None,
            overdue_step: None,
            resolved_on_spot: false,
        }
    }

    /// Whether the clock is stopped (an open 挂起).
    pub fn suspended(&self) -> bool {
        self.suspensions.last().is_some_and(|s| s.to_ms.is_none())
    }

    fn end_suspension(&mut self, at: i64) {
        if let Some(last) = self.suspensions.last_mut() {
            if last.to_ms.is_none() {
                last.to_ms = Some(at.max(last.from_ms));
            }
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
            reporter_id: &self.reporter_id,
            suspended: self.suspended(),
            extension_pending: self.pending_extension_days.is_some(),
        }
    }

    /// Folds one more event in. Checks only that the transition is legal from the current state (permission
    /// was checked when the event was made); on error the projection is unchanged.
    pub fn apply(&mut self, event: &IssueEvent) -> Result<(), RuleError> {
        let kind = event.action.kind();
        if !legal_from(kind).contains(&self.state) || !legal_with_flags(kind, self.suspended(), self.pending_extension_days.is_some()) {
            return Err(RuleError::IllegalTransition { from: self.state, action: kind });
        }
        let at = event.at_ms;
        // A step change ends an open suspension and clears the sweep's overdue mark of the old step.
        if matches!(
            kind,
            IssueActionKind::Accept
                | IssueActionKind::Reject
                | IssueActionKind::Merge
                | IssueActionKind::Assign
                | IssueActionKind::Start
                | IssueActionKind::Resolve
                | IssueActionKind::Escalate
                | IssueActionKind::Verify
                | IssueActionKind::ResolveOnSpot
        ) {
            self.overdue_step = None;
            if matches!(kind, IssueActionKind::Reject | IssueActionKind::Merge | IssueActionKind::Resolve | IssueActionKind::Escalate) {
                self.end_suspension(at);
            }
        }
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
            IssueAction::Suspend { .. } => self.suspensions.push(Suspension { from_ms: at, to_ms: None }),
            IssueAction::Resume => self.end_suspension(at),
            IssueAction::RequestExtension { working_days, .. } => self.pending_extension_days = Some(*working_days),
            IssueAction::DecideExtension { approved, .. } => {
                if let Some(days) = self.pending_extension_days.take() {
                    if *approved {
                        self.extensions_days.push(days);
                    }
                }
            }
            IssueAction::Supervise { level, .. } => {
                self.supervision = Some(self.supervision.map_or(*level, |l| l.max(*level)));
            }
            IssueAction::ResolveOnSpot { .. } => {
                self.state = IssueState::Resolved;
                self.accepted_at_ms = Some(at);
                self.assigned_at_ms = Some(at);
                self.resolved_at_ms = Some(at);
                self.assignee_id = Some(event.actor_id.clone());
                self.resolved_on_spot = true;
            }
            IssueAction::MarkOverdue { step, .. } => self.overdue_step = Some(*step),
            // One more report of the same matter: recorded in the log, the state and clocks are as they were.
            IssueAction::Join { .. } => {}
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
mod needs_tests {
    use super::*;
    use crate::model::{Satisfaction, SupervisionLevel};

    /// A payload for `kind` filled exactly as its needs say (minimum text and photos), or with one part left
    /// out; the shared payload check must accept the first and refuse the second whenever the part is required.
    fn payload(kind: IssueActionKind, text: &str, photos: usize, days: u32) -> Option<IssueAction> {
        let evidence: Vec<String> = (0..photos).map(|i| format!("{i:064x}")).collect();
        Some(match kind {
            IssueActionKind::Reject => IssueAction::Reject { reason: text.into() },
            IssueActionKind::Escalate => IssueAction::Escalate { reason: text.into(), to_node_id: "c".into() },
            IssueActionKind::Suspend => IssueAction::Suspend { reason: text.into() },
            IssueActionKind::Resolve => IssueAction::Resolve { note: text.into(), evidence },
            IssueActionKind::ResolveOnSpot => IssueAction::ResolveOnSpot { note: text.into(), evidence },
            IssueActionKind::Verify => IssueAction::Verify { satisfaction: Satisfaction::Satisfied, note: text.into() },
            IssueActionKind::RequestExtension => IssueAction::RequestExtension { working_days: days, reason: text.into() },
            IssueActionKind::DecideExtension => IssueAction::DecideExtension { approved: true, note: text.into() },
            IssueActionKind::Supervise => IssueAction::Supervise { level: SupervisionLevel::Red, note: text.into() },
            IssueActionKind::Join => IssueAction::Join { note: text.into(), evidence },
            _ => return None,
        })
    }

    #[test]
    fn needs_agree_with_the_payload_check() {
        for kind in IssueActionKind::ON_EXISTING {
            let n = needs(kind);
            let days = n.days.map_or(0, |d| d.0);
            let Some(full) = payload(kind, "说明", n.min_photos as usize, days) else {
                assert_eq!((n.text, n.min_photos, n.days), (TextNeed::None, 0, None), "{kind:?}");
                continue;
            };
            assert!(validate_payload(&full).is_ok(), "{kind:?}");
            let no_text = payload(kind, " ", n.min_photos as usize, days).unwrap();
            assert_eq!(validate_payload(&no_text).is_err(), n.text == TextNeed::Required, "{kind:?} text");
            if n.min_photos > 0 {
                assert!(validate_payload(&payload(kind, "说明", n.min_photos as usize - 1, days).unwrap()).is_err(), "{kind:?}");
            }
            if n.max_photos > 0 {
                assert!(validate_payload(&payload(kind, "说明", n.max_photos as usize + 1, days).unwrap()).is_err(), "{kind:?}");
            }
            if let Some((lo, hi)) = n.days {
                assert!(validate_payload(&payload(kind, "说明", 0, hi).unwrap()).is_ok());
                assert!(validate_payload(&payload(kind, "说明", 0, lo - 1).unwrap()).is_err());
                assert!(validate_payload(&payload(kind, "说明", 0, hi + 1).unwrap()).is_err());
            }
            let long = "字".repeat(n.max_text_chars + 1);
            assert!(validate_payload(&payload(kind, &long, n.min_photos as usize, days).unwrap()).is_err(), "{kind:?} long");
        }
        assert!(needs(IssueActionKind::Assign).person && needs(IssueActionKind::Merge).other_issue);
        assert!(!is_button(IssueActionKind::ResolveOnSpot) && is_button(IssueActionKind::Verify) && !is_button(IssueActionKind::Join));
    }
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
            ("branch_secretary", actor("bs", Role::BranchSecretary, "b1", "/c/t1/b1/")),
        ];
        // Columns: Reported Accepted Assigned InProgress Resolved Closed Rejected Merged
        // ok = allowed, IT = IllegalTransition, OW = NotPermitted(NotOwnerStaff),
        // AS = NotPermitted(NotAssignee), AB = NotPermitted(NotAboveOwner), RS = NotPermitted(NotOnSpotReporter),
        // SY = NotPermitted(SystemOnly), OS = OutOfScope. The issue was reported by the grid worker "gw" (the
        // assignee row), its clock runs (not suspended) and no extension is pending.
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
            ("county", IssueActionKind::Suspend, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::RequestExtension, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Supervise, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("county", IssueActionKind::ResolveOnSpot, ["RS", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Suspend, ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::RequestExtension, ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::ResolveOnSpot, ["RS", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Suspend, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::RequestExtension, ["IT", "AS", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::ResolveOnSpot, ["ok", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Suspend, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::RequestExtension, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::ResolveOnSpot, ["RS", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Suspend, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::RequestExtension, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::ResolveOnSpot, ["RS", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Accept, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Reject, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Merge, ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Assign, ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Start, ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Resolve, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Suspend, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::RequestExtension, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::ResolveOnSpot, ["RS", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            // 补充反映: anyone who sees the issue adds to it while it is open; a closed one takes a new report.
            ("county", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("owner", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("branch_secretary", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
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
                    reporter_id: "gw",
                    suspended: false,
                    extension_pending: false,
                };
                let got = match authorize(actor, &facts, *action) {
                    Ok(()) => "ok",
                    Err(RuleError::IllegalTransition { from, action: a }) => {
                        assert_eq!((from, a), (*state, *action));
                        "IT"
                    }
                    Err(RuleError::NotPermitted(Denial::NotOwnerStaff)) => "OW",
                    Err(RuleError::NotPermitted(Denial::NotAssignee)) => "AS",
                    Err(RuleError::NotPermitted(Denial::NotAboveOwner)) => "AB",
                    Err(RuleError::NotPermitted(Denial::NotOnSpotReporter)) => "RS",
                    Err(RuleError::NotPermitted(Denial::SystemOnly)) => "SY",
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
                    reporter_id: "gw",
                    suspended: false,
                    extension_pending: false,
                };
                assert_eq!(authorize(outsider, &facts, action), Err(RuleError::OutOfScope));
                checked += 1;
            }
        }
        assert_eq!(table.len(), 6 * IssueActionKind::ON_EXISTING.len(), "every actor × every action");
        assert_eq!(checked, 7 * 16 * 8);
    }

    /// Exhaustive at the village branch (ADR 0008): an issue of household h1 reported by the liaison head `lh`
    /// landed at branch `b1` (county setting `intake`), so its branch secretary `bs` is the owning staff: accept,
    /// reject, merge, assign within the village, settle (办结), verify (回访), suspend, ask the township for an
    /// extension, or escalate to the township; the township and county above may only supervise (and decide
    /// extensions). Written out by hand like the township table; same codes.
    #[test]
    fn every_state_action_role_at_the_branch() {
        let actors = [
            ("secretary", actor("bs", Role::BranchSecretary, "b1", "/c/t1/b1/")),
            ("township", actor("ts", Role::TownshipStaff, "t1", "/c/t1/")),
            ("county", actor("cs", Role::CountyStaff, "c", "/c/")),
            ("assignee", actor("gw", Role::GridWorker, "b1", "/c/t1/b1/")),
            ("grid_worker", actor("gw2", Role::GridWorker, "b1", "/c/t1/b1/")),
            ("liaison", actor("lh", Role::LiaisonHead, "g1", "/c/t1/b1/g1/")),
        ];
        let table: &[(&str, IssueActionKind, [&str; 8])] = &[
            ("secretary", IssueActionKind::Accept, ["ok", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::Reject, ["ok", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::Merge, ["ok", "ok", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::Assign, ["IT", "ok", "ok", "IT", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::Start, ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::Resolve, ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::Escalate, ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "ok", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::Suspend, ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::RequestExtension, ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::ResolveOnSpot, ["RS", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Accept, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Reject, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Merge, ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Assign, ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Start, ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Resolve, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Suspend, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::RequestExtension, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Supervise, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("township", IssueActionKind::ResolveOnSpot, ["RS", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("township", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Accept, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Reject, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Merge, ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Assign, ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Start, ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Resolve, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Suspend, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::RequestExtension, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Supervise, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("county", IssueActionKind::ResolveOnSpot, ["RS", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("county", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Accept, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Reject, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Merge, ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Assign, ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Start, ["IT", "IT", "ok", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Resolve, ["IT", "AS", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Suspend, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::RequestExtension, ["IT", "AS", "ok", "ok", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::ResolveOnSpot, ["RS", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Accept, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Reject, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Merge, ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Assign, ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Start, ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Resolve, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Suspend, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::RequestExtension, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::ResolveOnSpot, ["RS", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Accept, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Reject, ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Merge, ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Assign, ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Start, ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Resolve, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Verify, ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Suspend, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Resume, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::RequestExtension, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::ResolveOnSpot, ["RS", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::MarkOverdue, ["SY", "SY", "SY", "SY", "SY", "IT", "IT", "IT"]),
            ("secretary", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("township", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("county", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("assignee", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("grid_worker", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
            ("liaison", IssueActionKind::Join, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT"]),
        ];
        let mut checked = 0;
        for (who, action, row) in table {
            let actor = &actors.iter().find(|(n, _)| n == who).unwrap().1;
            for (state, expected) in IssueState::ALL.iter().zip(row) {
                let has_assignee = matches!(state, Assigned | InProgress | Resolved | Closed);
                let facts = IssueFacts {
                    state: *state,
                    path: "/c/t1/b1/g1/h1/",
                    owner_node_id: "b1",
                    assignee_id: has_assignee.then_some("gw"),
                    owner_has_parent: true,
                    reporter_id: "lh",
                    suspended: false,
                    extension_pending: false,
                };
                assert_eq!(facts.owner_path(), Some("/c/t1/b1/"));
                let got = match authorize(actor, &facts, *action) {
                    Ok(()) => "ok",
                    Err(RuleError::IllegalTransition { from, action: a }) => {
                        assert_eq!((from, a), (*state, *action));
                        "IT"
                    }
                    Err(RuleError::NotPermitted(Denial::NotOwnerStaff)) => "OW",
                    Err(RuleError::NotPermitted(Denial::NotAssignee)) => "AS",
                    Err(RuleError::NotPermitted(Denial::NotAboveOwner)) => "AB",
                    Err(RuleError::NotPermitted(Denial::NotOnSpotReporter)) => "RS",
                    Err(RuleError::NotPermitted(Denial::SystemOnly)) => "SY",
                    Err(other) => panic!("unexpected {other:?}"),
                };
                assert_eq!(got, *expected, "{who} {action:?} from {state:?}");
                checked += 1;
            }
        }
        // The secretary of the neighbouring village sees nothing of it.
        let outsider = actor("bs2", Role::BranchSecretary, "b2", "/c/t1/b2/");
        for state in IssueState::ALL {
            for action in IssueActionKind::ON_EXISTING {
                let facts = IssueFacts {
                    state,
                    path: "/c/t1/b1/g1/h1/",
                    owner_node_id: "b1",
                    assignee_id: None,
                    owner_has_parent: true,
                    reporter_id: "lh",
                    suspended: false,
                    extension_pending: false,
                };
                assert_eq!(authorize(&outsider, &facts, action), Err(RuleError::OutOfScope));
                checked += 1;
            }
        }
        assert_eq!(table.len(), 6 * IssueActionKind::ON_EXISTING.len(), "every actor × every action");
        assert_eq!(checked, 7 * 16 * 8);
        // An extension the secretary asks for is decided by the township above; after 上报乡镇 the township
        // owns it and the secretary may no longer act as owner.
        let pending = IssueFacts {
            state: InProgress,
            path: "/c/t1/b1/g1/h1/",
            owner_node_id: "b1",
            assignee_id: Some("gw"),
            owner_has_parent: true,
            reporter_id: "lh",
            suspended: false,
            extension_pending: true,
        };
        assert_eq!(authorize(&actors[1].1, &pending, IssueActionKind::DecideExtension), Ok(()));
        assert_eq!(authorize(&actors[0].1, &pending, IssueActionKind::DecideExtension), Err(RuleError::NotPermitted(Denial::NotAboveOwner)));
        let escalated = IssueFacts { owner_node_id: "t1", state: Accepted, assignee_id: None, extension_pending: false, ..pending };
        assert_eq!(authorize(&actors[1].1, &escalated, IssueActionKind::Assign), Ok(()));
        assert_eq!(authorize(&actors[0].1, &escalated, IssueActionKind::Assign), Err(RuleError::NotPermitted(Denial::NotOwnerStaff)));
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
            reporter_id: "lh",
            suspended: false,
            extension_pending: false,
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
    fn payloads_are_trimmed_and_refused_with_their_field() {
        let trimmed = normalize_payload(IssueAction::Reject { reason: "  不属于本镇  ".into() }).unwrap();
        assert_eq!(trimmed, IssueAction::Reject { reason: "不属于本镇".into() });
        let field = |a| normalize_payload(a).unwrap_err().field;
        assert_eq!(field(IssueAction::Reject { reason: " ".into() }), "reason");
        assert_eq!(field(IssueAction::Escalate { reason: String::new(), to_node_id: "c".into() }), "reason");
        assert_eq!(field(IssueAction::Resolve { note: "ok".into(), evidence: vec!["x".into()] }), "evidence");
        assert_eq!(field(IssueAction::Resolve { note: " ".into(), evidence: vec![] }), "note");
        assert_eq!(field(IssueAction::Verify { satisfaction: Satisfaction::Satisfied, note: "长".repeat(2_001) }), "note");
        assert_eq!(field(IssueAction::RequestExtension { working_days: 0, reason: "x".into() }), "working_days");
        assert_eq!(field(IssueAction::ResolveOnSpot { note: "当场".into(), evidence: vec![] }), "evidence");
        assert_eq!(normalize_payload(IssueAction::Accept).unwrap(), IssueAction::Accept);
        assert!(validate_payload(&IssueAction::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() }).is_ok());
    }

    #[test]
    fn flags_gate_suspend_resume_and_extension_decisions() {
        let owner = actor("ts", Role::TownshipStaff, "t1", "/c/t1/");
        let county = actor("cs", Role::CountyStaff, "c", "/c/");
        let base = IssueFacts {
            state: InProgress,
            path: "/c/t1/b1/g1/h1/",
            owner_node_id: "t1",
            assignee_id: Some("gw"),
            owner_has_parent: true,
            reporter_id: "lh",
            suspended: true,
            extension_pending: true,
        };
        assert_eq!(base.owner_path(), Some("/c/t1/"));
        let it = |a| Err(RuleError::IllegalTransition { from: InProgress, action: a });
        assert_eq!(authorize(&owner, &base, IssueActionKind::Suspend), it(IssueActionKind::Suspend), "already suspended");
        assert_eq!(authorize(&owner, &base, IssueActionKind::Resume), Ok(()));
        assert_eq!(authorize(&owner, &base, IssueActionKind::RequestExtension), it(IssueActionKind::RequestExtension), "one pending");
        assert_eq!(authorize(&county, &base, IssueActionKind::DecideExtension), Ok(()), "the level above decides");
        assert_eq!(
            authorize(&owner, &base, IssueActionKind::DecideExtension),
            Err(RuleError::NotPermitted(Denial::NotAboveOwner)),
            "not one's own request"
        );
        // After escalation the county owns it: nobody is above to supervise.
        let escalated = IssueFacts { owner_node_id: "c", owner_has_parent: false, ..base };
        assert_eq!(escalated.owner_path(), Some("/c/"));
        assert_eq!(authorize(&county, &escalated, IssueActionKind::Supervise), Err(RuleError::NotPermitted(Denial::NotAboveOwner)));
        assert_eq!(authorize(&county, &escalated, IssueActionKind::Resume), Ok(()));
    }

    #[test]
    fn fold_suspension_extension_supervision_and_overdue_mark() {
        let events = vec![
            ev(1, report()),
            ev(2, IssueAction::Accept),
            ev(3, IssueAction::MarkOverdue { step: SlaStep::Resolve, due_at_ms: 2_500 }),
            ev(4, IssueAction::Suspend { reason: "等待县水利局勘测".into() }),
            ev(5, IssueAction::Suspend { reason: "twice".into() }),
            ev(6, IssueAction::Supervise { level: SupervisionLevel::Red, note: "限期办结".into() }),
            ev(7, IssueAction::Supervise { level: SupervisionLevel::Yellow, note: "降不下来".into() }),
            ev(8, IssueAction::Resume),
            ev(9, IssueAction::RequestExtension { working_days: 5, reason: "材料未到".into() }),
            ev(10, IssueAction::RequestExtension { working_days: 9, reason: "twice".into() }),
            ev(11, IssueAction::DecideExtension { approved: true, note: "同意".into() }),
            ev(12, IssueAction::RequestExtension { working_days: 3, reason: "再延".into() }),
            ev(13, IssueAction::DecideExtension { approved: false, note: "不同意".into() }),
            ev(14, IssueAction::Suspend { reason: "again".into() }),
            ev(15, IssueAction::Resolve { note: "修好".into(), evidence: vec![] }),
        ];
        let (p, skipped) = fold(&events).unwrap();
        let skipped: Vec<&str> = skipped.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(skipped, ["e5", "e10"], "a second suspend and a second pending request are illegal");
        assert_eq!(p.suspensions, vec![Suspension { from_ms: 4_000, to_ms: Some(8_000) }, Suspension { from_ms: 14_000, to_ms: Some(15_000) }]);
        assert!(!p.suspended(), "resolving ends the open suspension");
        assert_eq!(p.extensions_days, vec![5], "approved only");
        assert_eq!(p.pending_extension_days, None);
        assert_eq!(p.supervision, Some(SupervisionLevel::Red), "the strongest supervision stays");
        assert_eq!(p.overdue_step, None, "the mark belonged to the resolve step, which ended");
        assert_eq!(p.state, IssueState::Resolved);
    }

    #[test]
    fn on_the_spot_resolution_still_goes_to_verification() {
        let mut on_spot = ev(2, IssueAction::ResolveOnSpot { note: "当场疏通".into(), evidence: vec!["ab".repeat(32)] });
        on_spot.actor_id = "gw".into();
        let events = [ev(1, report()), on_spot];
        let (p, skipped) = fold(&events).unwrap();
        assert!(skipped.is_empty());
        assert_eq!((p.state, p.resolved_on_spot, p.assignee_id.as_deref()), (IssueState::Resolved, true, Some("gw")));
        assert_eq!((p.accepted_at_ms, p.resolved_at_ms), (Some(2_000), Some(2_000)));
        assert_eq!(legal_from(IssueActionKind::Verify), &[IssueState::Resolved]);
    }

    #[test]
    fn issue_clock_pauses_while_suspended_and_extends_by_approved_days() {
        use crate::rules::sla::{Light, SlaRules};
        let rules = SlaRules::china_default();
        // Wed 2026-06-03 09:00 CST (a working day), normal infrastructure issue.
        let t0 = 1_780_448_400_000;
        let mut e = vec![ev(1, report()), ev(2, IssueAction::Accept)];
        e[0].at_ms = t0;
        e[1].at_ms = t0;
        let (plain, _) = fold(&e).unwrap();
        let base_deadline = rules.issue_clock(&plain).unwrap().deadline_ms(t0);
        // Suspended for exactly one working day (Wed 09:00 → Thu 09:00), then 2 working days approved.
        let mut s = ev(3, IssueAction::Suspend { reason: "等待勘测".into() });
        s.at_ms = t0;
        let mut r = ev(4, IssueAction::Resume);
        r.at_ms = t0 + 86_400_000;
        let mut q = ev(5, IssueAction::RequestExtension { working_days: 2, reason: "材料".into() });
        q.at_ms = t0 + 86_400_000;
        let mut d = ev(6, IssueAction::DecideExtension { approved: true, note: String::new() });
        d.at_ms = t0 + 86_400_000;
        e.extend([s, r, q, d]);
        let (p, _) = fold(&e).unwrap();
        let clock = rules.issue_clock(&p).unwrap();
        let deadline = clock.deadline_ms(t0 + 86_400_000);
        assert!(deadline > base_deadline);
        // 1 working day suspended + 2 extension days = 3 working days later (no holidays in that June week
        // would make it longer than 5 calendar days).
        assert!(deadline - base_deadline >= 3 * 86_400_000 && deadline - base_deadline <= 5 * 86_400_000, "{}", deadline - base_deadline);
        // While suspended the light is frozen.
        let mut paused = e[..3].to_vec();
        paused[2].at_ms = t0 + 3_600_000;
        let (ps, _) = fold(&paused).unwrap();
        let c = rules.issue_clock(&ps).unwrap();
        assert!(c.is_paused(t0 + 100 * 86_400_000));
        assert_eq!(c.light(t0 + 100 * 86_400_000), Light::Green, "a paused clock does not turn red");
    }

    #[test]
    fn assignee_must_be_inside_the_owner_and_not_a_liaison_head() {
        let h1 = "/c/t1/b1/g1/h1/";
        assert_eq!(check_assignee("/c/t1/", h1, Role::GridWorker, "/c/t1/b1/"), Ok(()));
        assert_eq!(check_assignee("/c/t1/", h1, Role::TownshipStaff, "/c/t1/"), Ok(()));
        assert!(check_assignee("/c/t1/", h1, Role::GridWorker, "/c/t2/b1/").is_err());
        assert!(check_assignee("/c/t1/", h1, Role::LiaisonHead, "/c/t1/b1/g1/").is_err());
        // Owned by the branch: assigned within the village only (its grid workers or its secretary).
        assert_eq!(check_assignee("/c/t1/b1/", h1, Role::GridWorker, "/c/t1/b1/"), Ok(()));
        assert_eq!(check_assignee("/c/t1/b1/", h1, Role::BranchSecretary, "/c/t1/b1/"), Ok(()));
        let inv = Err(RuleError::NotPermitted(Denial::InvalidAssignee));
        assert_eq!(check_assignee("/c/t1/b1/", h1, Role::TownshipStaff, "/c/t1/"), inv, "the township is above the village");
        assert_eq!(check_assignee("/c/t1/b1/", h1, Role::GridWorker, "/c/t1/b2/"), inv, "a neighbouring village");
        assert_eq!(check_assignee("/c/t1/b1/", h1, Role::LiaisonHead, "/c/t1/b1/g1/"), inv);
    }

    /// Every role at every place of the tree, for an issue of household h1 (`/c/t1/b1/g1/h1/`) owned by the
    /// township t1 and, after escalation, by the county: only staff or grid workers at the issue's node or a
    /// level above it, inside the owner's subtree, may take it.
    #[test]
    fn assignee_area_exhaustive() {
        let issue = "/c/t1/b1/g1/h1/";
        let inv = Err(RuleError::NotPermitted(Denial::InvalidAssignee));
        let out = Err(RuleError::NotPermitted(Denial::AssigneeOutsideArea));
        // (node path, owner t1 for [county, township, grid worker, liaison head], owner county for the same)
        type Verdicts<'a> = [&'a Result<(), RuleError>; 4];
        let places: [(&str, Verdicts<'_>, Verdicts<'_>); 7] = [
            ("/c/", [&inv, &inv, &inv, &inv], [&Ok(()), &Ok(()), &Ok(()), &inv]),
            ("/c/t1/", [&Ok(()), &Ok(()), &Ok(()), &inv], [&Ok(()), &Ok(()), &Ok(()), &inv]),
            ("/c/t2/", [&inv, &inv, &inv, &inv], [&out, &out, &out, &inv]),
            ("/c/t1/b1/", [&Ok(()), &Ok(()), &Ok(()), &inv], [&Ok(()), &Ok(()), &Ok(()), &inv]),
            ("/c/t1/b2/", [&out, &out, &out, &inv], [&out, &out, &out, &inv]),
            ("/c/t1/b1/g1/", [&Ok(()), &Ok(()), &Ok(()), &inv], [&Ok(()), &Ok(()), &Ok(()), &inv]),
            ("/c/t1/b1/g2/", [&out, &out, &out, &inv], [&out, &out, &out, &inv]),
        ];
        let roles = [Role::CountyStaff, Role::TownshipStaff, Role::GridWorker, Role::LiaisonHead];
        for (path, under_township, under_county) in places {
            for (owner, expected) in [("/c/t1/", under_township), ("/c/", under_county)] {
                for (role, want) in roles.iter().zip(expected) {
                    assert_eq!(&check_assignee(owner, issue, *role, path), want, "{role:?} at {path}, owner {owner}");
                }
            }
        }
    }

    fn ev(n: u32, action: IssueAction) -> IssueEvent {
        IssueEvent {
            event_id: format!("e{n}"),
            issue_id: "i1".into(),
            actor_id: "u".into(),
            actor_role: Role::TownshipStaff,
            actor_node_id: "t1".into(),
            actor_name: None,
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

    /// 补充反映 changes nothing but the log: the state, the owner, the clocks and the latest step stay; a
    /// closed issue takes no more (a new report instead); an oversize note or photo list is refused.
    #[test]
    fn a_join_changes_no_state_and_only_joins_open_issues() {
        let join = || IssueAction::Join { note: "我家门口也坏了".into(), evidence: vec![format!("{:064x}", 7)] };
        let (mut p, _) = fold(&[ev(1, report()), ev(2, IssueAction::Accept)]).unwrap();
        let before = p.clone();
        p.apply(&ev(3, join())).unwrap();
        assert_eq!(IssueProjection { last_hlc: before.last_hlc.clone(), ..p.clone() }, before);
        assert_eq!(p.latest_at_ms(), before.latest_at_ms(), "a join moves no step time");
        let (mut closed, _) = fold(&[
            ev(1, report()),
            ev(2, IssueAction::Accept),
            ev(3, IssueAction::Resolve { note: "修好".into(), evidence: vec![] }),
            ev(4, IssueAction::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() }),
        ])
        .unwrap();
        assert_eq!(closed.apply(&ev(5, join())), Err(RuleError::IllegalTransition { from: Closed, action: IssueActionKind::Join }));
        assert_eq!(normalize_payload(IssueAction::Join { note: "  补充  ".into(), evidence: vec![] }).unwrap(), IssueAction::Join { note: "补充".into(), evidence: vec![] });
        let too_many = IssueAction::Join { note: String::new(), evidence: (0..21).map(|i| format!("{i:064x}")).collect() };
        assert_eq!(validate_payload(&too_many).unwrap_err().field, "evidence");
    }

    #[test]
    fn apply_leaves_projection_untouched_on_error() {
        let (mut p, _) = fold(&[ev(1, report())]).unwrap();
        let before = p.clone();
        assert!(p.apply(&ev(2, IssueAction::Start)).is_err());
        assert_eq!(p, before);
    }
}
