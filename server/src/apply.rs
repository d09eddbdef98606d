//! Judging one pushed operation against the server's state with the shared rules of `linkage-protocol` —
//! exactly the checks the phone's store makes before it writes (core/src/store/{issues,visits,directives}.rs),
//! so an op the phone accepted offline is accepted here unless the world changed meanwhile. The logic is
//! written against the [`Ledger`] trait (reads and writes inside one transaction), not SQL, so a second
//! storage backend reuses it unchanged. Invariant: every refusal is decided before the first write, so a
//! refused op leaves nothing behind and a batch needs no savepoint per op (the SQLite backend checks this
//! and falls back to savepoints if it is ever broken).

use linkage_protocol::model::{Actor, IssueActionKind, OrgLevel, Role};
use linkage_protocol::rules::directive::{self as drules, DirectiveFacts, DirectiveInputError};
use linkage_protocol::rules::geo::{self, OnSitePolicy};
use linkage_protocol::rules::household_edit;
use linkage_protocol::rules::times::{self, Predecessor};
use linkage_protocol::rules::visit as visit_rules;
use linkage_protocol::rules::sla::{Light, SlaRules};
use linkage_protocol::rules::lifecycle::{self, IssueProjection};
use linkage_protocol::rules::{intake, Denial, RuleError};
use linkage_protocol::sync::RejectCode;
use linkage_protocol::validate::{self, limits, FieldError};
use linkage_protocol::wire::{
    Directive, FormResponse, HouseholdAck, HouseholdEdit, HouseholdField, IssueAction, IssueEvent, NodeAck, NodeRelay, OpBody, Operation,
    DirectiveReminder, TaskReport, TaskReview, Visit,
};
use linkage_protocol::rules::directive::TaskReportStatus;

use crate::error::Result;

/// How far in the future a phone-supplied time may lie (clock skew) before it is refused (as on the phone).
pub use linkage_protocol::validate::limits::FUTURE_SKEW_MS;

/// An org node as the rules need it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInfo {
    pub id: String,
    pub parent_id: Option<String>,
    pub level: OrgLevel,
    pub name: String,
    pub path: String,
}

/// A user with the path of their node.
#[derive(Debug, Clone, PartialEq)]
pub struct UserInfo {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub node_id: String,
    pub node_path: String,
    pub node_level: OrgLevel,
}

impl UserInfo {
    /// The user as the rules' actor.
    pub fn actor(&self) -> Actor {
        Actor { user_id: self.id.clone(), role: self.role, node_id: self.node_id.clone(), node_path: self.node_path.clone() }
    }
}

/// A household's place and point.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdInfo {
    pub id: String,
    pub group_id: String,
    pub path: String,
    pub point: Option<(f64, f64)>,
}

/// What the rules need to know about an earlier visit.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitInfo {
    pub household_id: String,
    pub visitor_id: String,
}

/// Reads and writes of one transaction, as the op rules see them. Implemented by each storage backend.
pub trait Ledger: FormLedger {
    /// An org node by id.
    fn node(&mut self, id: &str) -> Result<Option<NodeInfo>>;
    /// A user by id, with their node's path.
    fn user(&mut self, id: &str) -> Result<Option<UserInfo>>;
    /// A household by id.
    fn household(&mut self, id: &str) -> Result<Option<HouseholdInfo>>;
    /// The issue's projection: its events folded in receipt order (the order the server accepted them).
    fn issue(&mut self, id: &str) -> Result<Option<IssueProjection>>;
    /// Whether an issue event with this id is stored.
    fn event_exists(&mut self, event_id: &str) -> Result<bool>;
    /// An earlier visit.
    fn visit(&mut self, id: &str) -> Result<Option<VisitInfo>>;
    /// A directive's target path.
    fn directive_target(&mut self, id: &str) -> Result<Option<(String, String)>>;
    /// `Some(relayed)` when the node acknowledged the directive.
    fn node_ack(&mut self, directive_id: &str, node_id: &str) -> Result<Option<bool>>;
    /// When the node acknowledged (签收) the directive, if it did.
    fn node_ack_at(&mut self, directive_id: &str, node_id: &str) -> Result<Option<i64>>;
    /// When the directive was issued, if it exists.
    fn directive_issued_at(&mut self, id: &str) -> Result<Option<i64>>;
    /// Whether a household acknowledgement is recorded.
    fn household_acked(&mut self, directive_id: &str, household_id: &str) -> Result<bool>;
    /// Stores an event and the issue's new projection.
    fn put_issue_event(&mut self, event: &IssueEvent, projection: &IssueProjection, received_at_ms: i64) -> Result<()>;
    /// Stores a visit under the household's path; false (and nothing written) if its id is taken.
    fn put_visit(&mut self, visit: &Visit, path: &str) -> Result<bool>;
    /// Stores a directive.
    fn put_directive(&mut self, directive: &Directive, target_path: &str) -> Result<()>;
    /// Stores a node's acknowledgement and when the server received it.
    fn put_node_ack(&mut self, ack: &NodeAck, received_at_ms: i64) -> Result<()>;
    /// Marks the node's acknowledgement as relayed.
    fn put_relay(&mut self, relay: &NodeRelay) -> Result<()>;
    /// Stores a household acknowledgement and when the server received it.
    fn put_household_ack(&mut self, ack: &HouseholdAck, received_at_ms: i64) -> Result<()>;
    /// The kind of a directive.
    fn directive_kind(&mut self, id: &str) -> Result<Option<linkage_protocol::model::DirectiveKind>>;
    /// Whether the node reported completion of the task.
    /// A node's completion report of a task: where it stands and when it was made.
    fn task_report(&mut self, directive_id: &str, node_id: &str) -> Result<Option<(TaskReportStatus, i64)>>;
    /// Stores the issuer's review of a waiting report.
    fn put_task_review(&mut self, review: &TaskReview) -> Result<()>;
    /// Stores a reminder (催办) to a silent node.
    fn put_reminder(&mut self, reminder: &DirectiveReminder) -> Result<()>;
    /// Stores a task completion report and when the server received it.
    fn put_task_report(&mut self, report: &TaskReport, received_at_ms: i64) -> Result<()>;
    /// The HLC of the last edit that set a household field (`None`: only the import set it).
    fn household_field_clock(&mut self, household_id: &str, field: &str) -> Result<Option<String>>;
    /// Sets one household field and its clock.
    fn put_household_field(&mut self, household_id: &str, field: &HouseholdField, hlc: &str) -> Result<()>;
    /// Records that `mover_id` moved the household's point away from `previous`, applied at `at_ms`.
    fn put_point_move(&mut self, household_id: &str, mover_id: &str, previous: Option<(f64, f64)>, at_ms: i64) -> Result<()>;
    /// The applied moves of a household's point, oldest first.
    fn point_moves(&mut self, household_id: &str) -> Result<Vec<linkage_protocol::rules::point_moves::PointMove>>;
    /// The county's on-site policy (radius, GPS accuracy, maximum fix age) for grading visits.
    fn on_site_policy(&mut self) -> Result<OnSitePolicy>;
    /// The county's privacy policy (which roles may see, and so correct, sensitive tags).
    fn privacy_policy(&mut self) -> Result<linkage_protocol::rules::privacy::PrivacyPolicy>;
    /// Records that a record at `path` refers to these photos (who may download them).
    fn put_evidence_refs(&mut self, hashes: &[String], path: &str) -> Result<()>;
    /// Records photos readable by the whole subtree under `path` (a directive's, for everyone it reaches).
    fn put_broadcast_evidence_refs(&mut self, hashes: &[String], path: &str) -> Result<()>;
}

/// A stored form version as the rules need it.
#[derive(Debug, Clone)]
pub struct StoredForm {
    pub def: linkage_protocol::forms::FormDef,
    /// The subtree it was published to.
    pub target_path: String,
    pub retired: bool,
}

/// Reads and writes for form responses (问卷答卷), part of every backend's [`Ledger`].
pub trait FormLedger {
    /// A form version.
    fn form(&mut self, form_id: &str, version: u32) -> Result<Option<StoredForm>>;
    /// Whether a response with this id is stored.
    fn form_response_exists(&mut self, response_id: &str) -> Result<bool>;
    /// A household's tags (targeting by tag).
    fn household_tags(&mut self, household_id: &str) -> Result<Vec<String>>;
    /// Stores an accepted response under `path`.
    fn put_form_response(&mut self, response: &FormResponse, path: &str, received_at_ms: i64) -> Result<()>;
}

/// Why an op is refused: the stable code and a message for the quarantine list.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub code: RejectCode,
    pub message: String,
}

impl Reject {
    /// A rejection with a code and message.
    pub fn new(code: RejectCode, message: impl Into<String>) -> Reject {
        Reject { code, message: message.into() }
    }
}

impl From<RuleError> for Reject {
    fn from(e: RuleError) -> Reject {
        let code = match e {
            RuleError::OutOfScope => RejectCode::OutOfScope,
            RuleError::IllegalTransition { .. } | RuleError::NoHigherLevel | RuleError::DirectiveStep(_) => {
                RejectCode::IllegalTransition
            }
            RuleError::NotPermitted(_) => RejectCode::NotPermitted,
        };
        Reject::new(code, e.to_string())
    }
}

impl From<times::TimeError> for Reject {
    fn from(e: times::TimeError) -> Reject {
        Reject::new(RejectCode::ImpossibleTime, e.to_string())
    }
}

impl From<FieldError> for Reject {
    fn from(e: FieldError) -> Reject {
        Reject::new(RejectCode::InvalidInput, e.to_string())
    }
}

impl From<visit_rules::VisitError> for Reject {
    fn from(e: visit_rules::VisitError) -> Reject {
        match e {
            visit_rules::VisitError::Field(f) => f.into(),
            visit_rules::VisitError::Fix(c) => c.into(),
        }
    }
}

impl From<geo::CoordinateError> for Reject {
    fn from(e: geo::CoordinateError) -> Reject {
        Reject::new(RejectCode::InvalidInput, format!("fix: {e}"))
    }
}

impl From<DirectiveInputError> for Reject {
    fn from(e: DirectiveInputError) -> Reject {
        match e {
            DirectiveInputError::Rule(r) => r.into(),
            other => Reject::new(RejectCode::InvalidInput, other.to_string()),
        }
    }
}

/// An op the rules accepted: what goes into the change feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The op as the server stores it when that differs from what was sent (a visit whose on-site grading
    /// the server corrected); `None`: stored exactly as sent (no copy of the op is made).
    pub op: Option<Operation>,
    /// The path that scopes the change.
    pub path: String,
    /// Also visible to every node under `path` (directives reach their whole target subtree).
    pub broadcast: bool,
    /// False when the op changed nothing (a repeated acknowledgement): no change row is written.
    pub changed: bool,
}

type Judged = std::result::Result<Applied, Reject>;

fn unknown(what: &str, id: &str) -> Reject {
    Reject::new(RejectCode::UnknownReference, format!("{what} '{id}' does not exist on the server"))
}

fn mismatch(field: &str) -> Reject {
    Reject::new(RejectCode::ActorMismatch, format!("{field} is not the signed-in user's"))
}

/// Validates `op` as made by `user` and, if the rules accept it, writes its effects through `ledger`.
/// `Err` is a storage failure; `Ok(Err(reject))` is a refusal (the caller rolls the transaction back).
pub fn apply(ledger: &mut dyn Ledger, user: &UserInfo, op: &Operation, now_ms: i64) -> Result<Judged> {
    if let Err(e) = validate::id("op_id", &op.op_id) {
        return Ok(Err(e.into()));
    }
    let actor = user.actor();
    match &op.body {
        OpBody::IssueEvent(event) => issue_event(ledger, user, &actor, op, event, now_ms),
        OpBody::VisitRecorded(visit) => visit_recorded(ledger, user, &actor, op, visit, now_ms),
        OpBody::DirectiveIssued(d) => directive_issued(ledger, &actor, d, now_ms),
        OpBody::NodeAcknowledged(ack) => node_acknowledged(ledger, &actor, ack, now_ms),
        OpBody::DirectiveRelayed(relay) => directive_relayed(ledger, &actor, relay, now_ms),
        OpBody::HouseholdAcknowledged(ack) => household_acknowledged(ledger, &actor, ack, now_ms),
        OpBody::HouseholdEdited(edit) => household_edited(ledger, user, &actor, edit, now_ms),
        OpBody::TaskReported(report) => task_reported(ledger, &actor, report, now_ms),
        OpBody::DirectiveReminded(reminder) => directive_reminded(ledger, &actor, reminder, now_ms),
        OpBody::TaskReportReviewed(review) => task_report_reviewed(ledger, &actor, review, now_ms),
        // The county's settings come from the server's administrators, never from a phone.
        OpBody::CountyConfigSet(_) | OpBody::FormPublished(_) | OpBody::FormRetired(_) => {
            Ok(Err(Reject::from(RuleError::NotPermitted(Denial::SystemOnly))))
        }
        OpBody::FormResponseSubmitted(r) => form_response_submitted(ledger, &actor, r, now_ms),
    }
}

/// Early return of a refusal from inside a function returning `Result<Judged>`.
macro_rules! check {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Ok(Err(Reject::from(e))),
        }
    };
}

macro_rules! refuse {
    ($r:expr) => {
        return Ok(Err($r))
    };
}

fn issue_event(
    ledger: &mut dyn Ledger,
    user: &UserInfo,
    actor: &Actor,
    op: &Operation,
    event: &IssueEvent,
    now_ms: i64,
) -> Result<Judged> {
    if event.actor_id != user.id {
        refuse!(mismatch("actor_id"));
    }
    if event.actor_role != user.role || event.actor_node_id != user.node_id {
        refuse!(Reject::new(RejectCode::ActorMismatch, "actor_role/actor_node_id differ from the user's role and node"));
    }
    check!(validate::id("event_id", &event.event_id));
    check!(validate::id("issue_id", &event.issue_id));
    if ledger.event_exists(&event.event_id)? {
        refuse!(Reject::new(RejectCode::Conflict, format!("event id '{}' is already used", event.event_id)));
    }
    check!(times::check("at_ms", event.at_ms, None, now_ms));
    let projection = if let IssueAction::Report(report) = &event.action {
        // As Store::report_issue: place, scope, text, fix, evidence, first owner.
        if ledger.issue(&event.issue_id)?.is_some() {
            refuse!(Reject::new(RejectCode::Conflict, format!("issue '{}' already exists", event.issue_id)));
        }
        check!(validate::id("node_id", &report.node_id));
        let (node_id, path) = match &report.household_id {
            Some(hid) => {
                check!(validate::id("household_id", hid));
                let Some(h) = ledger.household(hid)? else { refuse!(unknown("household", hid)) };
                (h.group_id, h.path)
            }
            None => {
                let Some(n) = ledger.node(&report.node_id)? else { refuse!(unknown("node", &report.node_id)) };
                (n.id, n.path)
            }
        };
        check!(lifecycle::authorize_report(actor, &path));
        if report.node_id != node_id || report.path != path {
            refuse!(Reject::new(RejectCode::InvalidInput, "node_id/path do not match the household or node reported on"));
        }
        check!(validate::text("title", &report.title, 1, limits::TITLE));
        check!(validate::text("description", &report.description, 0, limits::DESCRIPTION));
        if let Some(fix) = &report.location {
            check!(geo::validate_fix(fix));
        }
        check!(linkage_protocol::rules::report_place::check(report.household_id.as_deref(), report.location.as_ref(), &report.description));
        check!(validate::evidence("evidence", &report.evidence));
        // The township, or the branch for a liaison head's report (county setting `intake`, ADR 0008).
        if !intake::is_first_owner(&path, actor.role, &report.owner_node_id) {
            refuse!(Reject::new(RejectCode::InvalidInput, "owner_node_id must be the first owner of the issue's path"));
        }
        ledger.put_evidence_refs(&report.evidence, &path)?;
        IssueProjection::from_report(event, report)
    } else {
        // As Store::perform_issue_action: the rules first, then the payload.
        let Some(mut projection) = ledger.issue(&event.issue_id)? else { refuse!(unknown("issue", &event.issue_id)) };
        let Some(owner) = ledger.node(&projection.owner_node_id)? else {
            refuse!(unknown("node", &projection.owner_node_id))
        };
        let kind = event.action.kind();
        check!(lifecycle::authorize(actor, &projection.facts(owner.parent_id.is_some()), kind));
        // Not before the issue's latest step (an accept before its report, a close before its resolve).
        check!(times::check("at_ms", event.at_ms, Some(Predecessor { what: "issue's previous step", at_ms: projection.latest_at_ms() }), now_ms));
        // Texts and photo lists: the shared check the phone normalized them with.
        check!(lifecycle::validate_payload(&event.action));
        match &event.action {
            IssueAction::Merge { into_issue_id } => {
                check!(validate::id("into_issue_id", into_issue_id));
                if *into_issue_id == projection.id {
                    refuse!(Reject::new(RejectCode::InvalidInput, "into_issue_id: an issue cannot be merged into itself"));
                }
                match ledger.issue(into_issue_id)? {
                    Some(target) if actor.sees(&target.path) => {
                        if target.state.is_terminal() {
                            refuse!(Reject::new(RejectCode::InvalidInput, "into_issue_id: the surviving issue must still be open"));
                        }
                    }
                    _ => refuse!(unknown("issue", into_issue_id)),
                }
            }
            IssueAction::Assign { assignee_id } => {
                check!(validate::id("assignee_id", assignee_id));
                let Some(assignee) = ledger.user(assignee_id)? else { refuse!(unknown("user", assignee_id)) };
                check!(lifecycle::check_assignee(&owner.path, &projection.path, assignee.role, &assignee.node_path));
            }
            IssueAction::Escalate { to_node_id, .. } if owner.parent_id.as_deref() != Some(to_node_id.as_str()) => {
                refuse!(Reject::new(RejectCode::InvalidInput, "to_node_id must be the parent of the owning node"));
            }
            _ => {}
        }
        debug_assert_ne!(kind, IssueActionKind::Report);
        check!(projection.apply(event));
        // Judged: only now write (the photos of a resolution become readable in the issue's scope).
        if let IssueAction::Resolve { evidence, .. } | IssueAction::ResolveOnSpot { evidence, .. } | IssueAction::Join { evidence, .. } =
            &event.action
        {
            ledger.put_evidence_refs(evidence, &projection.path)?;
        }
        projection
    };
    // The actor's name, carried to every phone that receives the step (a township's phone holds no record of
    // the county's people), is the one this server's user record has: a differing name is replaced. An event
    // without one (an older app) is kept as sent; phones then show the actor's role.
    let named = event
        .actor_name
        .as_deref()
        .is_some_and(|n| n != user.name)
        .then(|| IssueEvent { actor_name: Some(user.name.clone()), ..event.clone() });
    let stored = named.as_ref().unwrap_or(event);
    ledger.put_issue_event(stored, &projection, now_ms)?;
    let op = named.map(|e| Operation { body: OpBody::IssueEvent(e), op_id: op.op_id.clone(), hlc: op.hlc.clone() });
    Ok(Ok(Applied { op, path: projection.path, broadcast: false, changed: true }))
}

fn visit_recorded(
    ledger: &mut dyn Ledger,
    user: &UserInfo,
    actor: &Actor,
    op: &Operation,
    visit: &Visit,
    now_ms: i64,
) -> Result<Judged> {
    if visit.visitor_id != user.id {
        refuse!(mismatch("visitor_id"));
    }
    check!(validate::id("visit.id", &visit.id));
    check!(validate::id("household_id", &visit.household_id));
    if visit.visitor_level != user.node_level {
        refuse!(Reject::new(RejectCode::InvalidInput, "visitor_level must be the level of the visitor's node"));
    }
    let Some(household) = ledger.household(&visit.household_id)? else { refuse!(unknown("household", &visit.household_id)) };
    if !actor.sees(&household.path) {
        refuse!(Reject::from(RuleError::OutOfScope));
    }
    check!(times::check("ended_at_ms", visit.ended_at_ms, None, now_ms));
    check!(visit_rules::check_content(visit.started_at_ms, visit.ended_at_ms, visit.fix.as_ref(), &visit.notes, &visit.evidence, now_ms));
    if let Some(issue_id) = &visit.issue_id {
        match ledger.issue(issue_id)? {
            Some(issue) if actor.sees(&issue.path) => {}
            _ => refuse!(unknown("issue", issue_id)),
        }
    }
    if let Some(original) = &visit.amends_visit_id {
        let Some(o) = ledger.visit(original)? else { refuse!(unknown("visit", original)) };
        if o.visitor_id != user.id {
            refuse!(Reject::from(RuleError::NotPermitted(Denial::NotAssignee)));
        }
        if o.household_id != visit.household_id {
            refuse!(Reject::new(RejectCode::InvalidInput, "an amendment must concern the same household"));
        }
    }
    // The server grades the fix itself; the phone's verdict is advisory.
    // With the visit's own times, so a stale fix (before the visit, or too old at its end) is graded stale here
    // too, whenever the op arrives.
    let window = geo::FixWindow { started_at_ms: visit.started_at_ms, at_ms: visit.ended_at_ms };
    let policy = ledger.on_site_policy()?;
    // A point the visitor moved recently is not their reference: graded against the point before their move.
    let moves = ledger.point_moves(&household.id)?;
    let reference = linkage_protocol::rules::point_moves::reference_point(household.point, &moves, &visit.visitor_id, visit.ended_at_ms);
    let assessment = geo::assess(visit.fix.as_ref(), reference, &policy, window);
    // The phone graded with the same rule, so normally the op is stored as sent; a differing grading (an old
    // app, a moved household point, a tampered op) is replaced by the server's.
    let agrees = assessment.verdict == visit.verdict && assessment.distance_m == visit.distance_m;
    let corrected = (!agrees).then(|| Visit { verdict: assessment.verdict, distance_m: assessment.distance_m, ..visit.clone() });
    let stored = corrected.as_ref().unwrap_or(visit);
    // The first write of the op, and the uniqueness check of the visit id in one statement.
    if !ledger.put_visit(stored, &household.path)? {
        refuse!(Reject::new(RejectCode::Conflict, format!("visit '{}' already exists", visit.id)));
    }
    ledger.put_evidence_refs(&stored.evidence, &household.path)?;
    let op = corrected.map(|v| Operation { body: OpBody::VisitRecorded(v), op_id: op.op_id.clone(), hlc: op.hlc.clone() });
    Ok(Ok(Applied { op, path: household.path, broadcast: false, changed: true }))
}

/// A filled form (问卷答卷): the respondent is the user, the form version exists and still takes responses,
/// the subject (household or node) lies in the user's scope and the form's target, the linked visit exists,
/// the photos are exactly the image answers', and the answers pass the form's own rules — judged by
/// `forms::validate_response`, the function the phone ran before queuing it, on the day it was submitted.
fn form_response_submitted(ledger: &mut dyn Ledger, actor: &Actor, r: &FormResponse, now_ms: i64) -> Result<Judged> {
    use linkage_protocol::forms::{validate_response, CompiledForm, FormClock};
    if r.respondent_id != actor.user_id {
        refuse!(mismatch("respondent_id"));
    }
    check!(validate::id("response_id", &r.response_id));
    check!(validate::id("form_id", &r.form_id));
    check!(validate::id("node_id", &r.node_id));
    if let Some(h) = &r.household_id {
        check!(validate::id("household_id", h));
    }
    if let Some(v) = &r.visit_id {
        check!(validate::id("visit_id", v));
    }
    check!(times::check("submitted_at_ms", r.submitted_at_ms, None, now_ms));
    if r.started_at_ms > r.submitted_at_ms {
        refuse!(Reject::new(RejectCode::ImpossibleTime, "started_at_ms: 开始填写时间晚于提交时间 (started after it was submitted)"));
    }
    let Some(form) = ledger.form(&r.form_id, r.form_version)? else {
        refuse!(Reject::new(
            RejectCode::UnknownReference,
            format!("问卷「{}」第 {} 版在服务器上不存在 (form version does not exist)", r.form_id, r.form_version)
        ))
    };
    if form.retired {
        refuse!(Reject::new(
            RejectCode::IllegalTransition,
            format!(
                "问卷「{}」第 {} 版已停用，不再接收答卷；请同步后用新版本重新填写 (this form version is retired)",
                form.def.title.zh, r.form_version
            )
        ));
    }
    if ledger.form_response_exists(&r.response_id)? {
        refuse!(Reject::new(RejectCode::Conflict, format!("response '{}' already exists", r.response_id)));
    }
    let path = match &r.household_id {
        Some(hid) => {
            let Some(h) = ledger.household(hid)? else { refuse!(unknown("household", hid)) };
            if h.group_id != r.node_id {
                refuse!(Reject::new(RejectCode::InvalidInput, "node_id: 须为住户所在的组 (must be the household's group)"));
            }
            if !form.def.target.admits_household(&ledger.household_tags(hid)?) {
                refuse!(Reject::new(RejectCode::NotPermitted, "此住户不在该问卷的对象范围内（住户标签不符） (household not targeted by its tags)"));
            }
            h.path
        }
        None => {
            let Some(n) = ledger.node(&r.node_id)? else { refuse!(unknown("node", &r.node_id)) };
            n.path
        }
    };
    if !linkage_protocol::rules::scope::within(&actor.node_path, &path) {
        refuse!(Reject::from(RuleError::OutOfScope));
    }
    if !linkage_protocol::rules::scope::within(&form.target_path, &path) || !form.def.target.admits_role(actor.role) {
        refuse!(Reject::new(RejectCode::NotPermitted, "该问卷不是下发给此用户或此地区的 (form not targeted at this user or area)"));
    }
    if let Some(vid) = &r.visit_id {
        let Some(v) = ledger.visit(vid)? else { refuse!(unknown("visit", vid)) };
        if r.household_id.as_ref().is_some_and(|h| *h != v.household_id) {
            refuse!(Reject::new(RejectCode::InvalidInput, "visit_id: 走访的住户与答卷的住户不同 (visit is of another household)"));
        }
    }
    check!(validate::evidence("evidence", &r.evidence));
    if r.evidence != r.answers.image_hashes() {
        refuse!(Reject::new(RejectCode::InvalidInput, "evidence: 须正好列出照片题的全部照片 (must list exactly the image answers' photos)"));
    }
    let compiled = match CompiledForm::compile(form.def) {
        Ok(c) => std::sync::Arc::new(c),
        Err(e) => return Err(crate::Error::Corrupt(format!("stored form {} v{} does not compile: {e:?}", r.form_id, r.form_version))),
    };
    if let Err(errors) = validate_response(&compiled, &r.answers, FormClock::china_at_ms(r.submitted_at_ms)) {
        let shown: Vec<String> = errors.iter().take(5).map(ToString::to_string).collect();
        let more = if errors.len() > 5 { format!("；另有 {} 处", errors.len() - 5) } else { String::new() };
        refuse!(Reject::new(RejectCode::InvalidInput, format!("答卷有误：{}{more}", shown.join("；"))));
    }
    ledger.put_form_response(r, &path, now_ms)?;
    ledger.put_evidence_refs(&r.evidence, &path)?;
    Ok(Ok(Applied { op: None, path, broadcast: false, changed: true }))
}

fn directive_issued(ledger: &mut dyn Ledger, actor: &Actor, d: &Directive, now_ms: i64) -> Result<Judged> {
    if d.issuer_id != actor.user_id {
        refuse!(mismatch("issuer_id"));
    }
    if d.issuer_node_id != actor.node_id {
        refuse!(mismatch("issuer_node_id"));
    }
    check!(validate::id("directive.id", &d.id));
    check!(validate::id("target_node_id", &d.target_node_id));
    if ledger.directive_target(&d.id)?.is_some() {
        refuse!(Reject::new(RejectCode::Conflict, format!("directive '{}' already exists", d.id)));
    }
    check!(times::check("issued_at_ms", d.issued_at_ms, None, now_ms));
    let Some(target) = ledger.node(&d.target_node_id)? else { refuse!(unknown("node", &d.target_node_id)) };
    // The due time is judged against the moment of issue, as the phone judged it offline.
    check!(drules::authorize_issue(actor, &target.path, d.kind, d.due_at_ms, d.issued_at_ms));
    check!(validate::text("title", &d.title, 1, limits::TITLE));
    check!(validate::text("body", &d.body, 1, limits::DESCRIPTION));
    check!(validate::evidence("evidence", &d.evidence));
    ledger.put_directive(d, &target.path)?;
    ledger.put_broadcast_evidence_refs(&d.evidence, &target.path)?;
    Ok(Ok(Applied { op: None, path: target.path, broadcast: true, changed: true }))
}

/// The directive's target path and issuing node, or the refusal; checks the op speaks for the user and their
/// own node.
fn own_node_step(
    ledger: &mut dyn Ledger,
    actor: &Actor,
    directive_id: &str,
    user_id: &str,
    node_id: Option<&str>,
) -> Result<std::result::Result<(String, String), Reject>> {
    if user_id != actor.user_id {
        return Ok(Err(mismatch("user_id")));
    }
    if node_id.is_some_and(|n| n != actor.node_id) {
        return Ok(Err(Reject::from(RuleError::NotPermitted(Denial::NotOwnNode))));
    }
    if let Err(e) = validate::id("directive_id", directive_id) {
        return Ok(Err(e.into()));
    }
    Ok(ledger.directive_target(directive_id)?.ok_or_else(|| unknown("directive", directive_id)))
}

fn node_acknowledged(ledger: &mut dyn Ledger, actor: &Actor, ack: &NodeAck, now_ms: i64) -> Result<Judged> {
    let (target, issuer) = check!(own_node_step(ledger, actor, &ack.directive_id, &ack.user_id, Some(&ack.node_id))?);
    check!(drules::authorize_acknowledge(actor, DirectiveFacts { target_path: &target, issuer_node_id: &issuer }));
    let issued = ledger.directive_issued_at(&ack.directive_id)?.map(|at_ms| Predecessor { what: "directive", at_ms });
    check!(times::check("at_ms", ack.at_ms, issued, now_ms));
    // The first acknowledgement stands; a second one (another user of the node) changes nothing.
    let changed = ledger.node_ack(&ack.directive_id, &ack.node_id)?.is_none();
    if changed {
        ledger.put_node_ack(ack, now_ms)?;
    }
    Ok(Ok(Applied { op: None, path: actor.node_path.clone(), broadcast: false, changed }))
}

fn directive_relayed(ledger: &mut dyn Ledger, actor: &Actor, relay: &NodeRelay, now_ms: i64) -> Result<Judged> {
    let (target, issuer) = check!(own_node_step(ledger, actor, &relay.directive_id, &relay.user_id, Some(&relay.node_id))?);
    let state = ledger.node_ack(&relay.directive_id, &relay.node_id)?;
    check!(drules::authorize_relay(actor, DirectiveFacts { target_path: &target, issuer_node_id: &issuer }, state.is_some()));
    let acked = ledger.node_ack_at(&relay.directive_id, &relay.node_id)?.map(|at_ms| Predecessor { what: "acknowledgement", at_ms });
    check!(times::check("at_ms", relay.at_ms, acked, now_ms));
    let changed = state == Some(false);
    if changed {
        ledger.put_relay(relay)?;
    }
    Ok(Ok(Applied { op: None, path: actor.node_path.clone(), broadcast: false, changed }))
}

/// A node's task completion report: its own node, a task, acknowledged first; the first report stands unless
/// the issuer sent it back (退回), then the new one takes its place.
fn task_reported(ledger: &mut dyn Ledger, actor: &Actor, report: &TaskReport, now_ms: i64) -> Result<Judged> {
    let (target, issuer) = check!(own_node_step(ledger, actor, &report.directive_id, &report.user_id, Some(&report.node_id))?);
    let Some(kind) = ledger.directive_kind(&report.directive_id)? else { refuse!(unknown("directive", &report.directive_id)) };
    let acked = ledger.node_ack(&report.directive_id, &report.node_id)?.is_some();
    check!(drules::authorize_task_report(actor, DirectiveFacts { target_path: &target, issuer_node_id: &issuer }, kind, acked));
    let note = check!(drules::validate_task_report(&report.note, &report.evidence));
    if note != report.note {
        refuse!(Reject::new(RejectCode::InvalidInput, "note: not trimmed"));
    }
    let acked_at = ledger.node_ack_at(&report.directive_id, &report.node_id)?.map(|at_ms| Predecessor { what: "acknowledgement", at_ms });
    check!(times::check("at_ms", report.at_ms, acked_at, now_ms));
    let previous = ledger.task_report(&report.directive_id, &report.node_id)?;
    let changed = drules::report_replaces(previous.map(|p| p.0)) && previous.is_none_or(|(_, at)| report.at_ms > at);
    if changed {
        ledger.put_task_report(report, now_ms)?;
        ledger.put_evidence_refs(&report.evidence, &actor.node_path)?;
    }
    Ok(Ok(Applied { op: None, path: actor.node_path.clone(), broadcast: false, changed }))
}

/// A reminder (催办) to a node that has not signed for the directive, from a node above it in the area.
fn directive_reminded(ledger: &mut dyn Ledger, actor: &Actor, r: &DirectiveReminder, now_ms: i64) -> Result<Judged> {
    let (target, issuer) = check!(own_node_step(ledger, actor, &r.directive_id, &r.user_id, None)?);
    check!(validate::id("node_id", &r.node_id));
    let Some(node) = ledger.node(&r.node_id)? else { refuse!(unknown("node", &r.node_id)) };
    let acked = ledger.node_ack(&r.directive_id, &r.node_id)?.is_some();
    check!(drules::authorize_remind(actor, DirectiveFacts { target_path: &target, issuer_node_id: &issuer }, &r.node_id, &node.path, acked));
    let issued = ledger.directive_issued_at(&r.directive_id)?.map(|at_ms| Predecessor { what: "directive", at_ms });
    check!(times::check("at_ms", r.at_ms, issued, now_ms));
    ledger.put_reminder(r)?;
    // Reaches the reminded node and everyone under it (its phones), and the chain above it.
    Ok(Ok(Applied { op: None, path: node.path, broadcast: true, changed: true }))
}

/// The issuer's decision on a node's waiting completion report: 通过, or 退回 with a reason.
fn task_report_reviewed(ledger: &mut dyn Ledger, actor: &Actor, r: &TaskReview, now_ms: i64) -> Result<Judged> {
    let (target, issuer) = check!(own_node_step(ledger, actor, &r.directive_id, &r.user_id, None)?);
    check!(validate::id("node_id", &r.node_id));
    let Some(node) = ledger.node(&r.node_id)? else { refuse!(unknown("node", &r.node_id)) };
    let report = ledger.task_report(&r.directive_id, &r.node_id)?;
    if let Some((status, at)) = report {
        if status != TaskReportStatus::Pending && at == r.report_at_ms {
            // The same report reviewed again (another issuing staff, a retry): nothing changes.
            return Ok(Ok(Applied { op: None, path: node.path, broadcast: false, changed: false }));
        }
        if at != r.report_at_ms {
            refuse!(Reject::from(RuleError::DirectiveStep("the report was replaced by a newer one")));
        }
    }
    check!(drules::authorize_task_review(actor, DirectiveFacts { target_path: &target, issuer_node_id: &issuer }, report.map(|p| p.0)));
    let reason = check!(drules::validate_review_reason(r.accepted, &r.reason));
    if reason != r.reason {
        refuse!(Reject::new(RejectCode::InvalidInput, "reason: not trimmed"));
    }
    let reported = report.map(|(_, at_ms)| Predecessor { what: "report", at_ms });
    check!(times::check("at_ms", r.at_ms, reported, now_ms));
    ledger.put_task_review(r)?;
    Ok(Ok(Applied { op: None, path: node.path, broadcast: false, changed: true }))
}

fn household_acknowledged(ledger: &mut dyn Ledger, actor: &Actor, ack: &HouseholdAck, now_ms: i64) -> Result<Judged> {
    let (target, _) = check!(own_node_step(ledger, actor, &ack.directive_id, &ack.user_id, None)?);
    let issued = ledger.directive_issued_at(&ack.directive_id)?.map(|at_ms| Predecessor { what: "directive", at_ms });
    check!(times::check("at_ms", ack.at_ms, issued, now_ms));
    check!(validate::id("household_id", &ack.household_id));
    let Some(household) = ledger.household(&ack.household_id)? else { refuse!(unknown("household", &ack.household_id)) };
    let own_acked = ledger.node_ack(&ack.directive_id, &actor.node_id)?.is_some();
    check!(drules::authorize_household_ack(actor, &target, &household.path, own_acked));
    let changed = !ledger.household_acked(&ack.directive_id, &ack.household_id)?;
    if changed {
        ledger.put_household_ack(ack, now_ms)?;
    }
    Ok(Ok(Applied { op: None, path: household.path, broadcast: false, changed }))
}

/// A household correction: validated and scoped like on the phone, then merged field by field — only the
/// fields whose stored clock is older than the edit's HLC are written. The op goes out in the feed as sent, so
/// every phone runs the same merge and converges on the same values.
fn household_edited(
    ledger: &mut dyn Ledger,
    user: &UserInfo,
    actor: &Actor,
    edit: &HouseholdEdit,
    now_ms: i64,
) -> Result<Judged> {
    if edit.editor_id != user.id || edit.editor_role != user.role {
        refuse!(mismatch("editor_id"));
    }
    check!(validate::id("household_id", &edit.household_id));
    let Some(hlc) = linkage_protocol::hlc::Hlc::parse(&edit.hlc) else {
        refuse!(Reject::new(RejectCode::InvalidInput, "hlc: not a hybrid-logical-clock time"));
    };
    check!(times::check("at_ms", edit.at_ms, None, now_ms));
    // A far-future HLC would pin the fields it sets against every later correction (last writer wins).
    check!(times::check("hlc", hlc.wall_ms, None, now_ms));
    let fields = check!(household_edit::validate(&edit.fields));
    if fields != edit.fields {
        refuse!(Reject::new(RejectCode::InvalidInput, "fields: not normalized (trimmed, without repeated tags)"));
    }
    let Some(household) = ledger.household(&edit.household_id)? else { refuse!(unknown("household", &edit.household_id)) };
    check!(household_edit::authorize(actor, &household.path));
    let privacy = ledger.privacy_policy()?;
    if !edit.fields.iter().all(|f| privacy.may_edit(actor.role, f)) {
        refuse!(Reject::from(RuleError::NotPermitted(Denial::TagsNotAllVisible)));
    }
    let mut changed = false;
    for field in &edit.fields {
        let stored = ledger.household_field_clock(&edit.household_id, field.name())?;
        if household_edit::takes(stored.as_deref(), &edit.hlc) {
            if let HouseholdField::Location(to) = field {
                if *to != household.point {
                    // Kept with the server's receipt time: the mover's own visits are graded against the old point.
                    ledger.put_point_move(&edit.household_id, &edit.editor_id, household.point, now_ms)?;
                }
            }
            ledger.put_household_field(&edit.household_id, field, &edit.hlc)?;
            changed = true;
        }
    }
    Ok(Ok(Applied { op: None, path: household.path, broadcast: false, changed }))
}

/// Who the overdue sweep acts as in an issue's log (shown as 系统 in timelines).
pub const SYSTEM_ACTOR: &str = linkage_protocol::labels::SYSTEM_ACTOR_ID;

/// The overdue sweep for one issue (督办: flagged at its level and proposed for escalation even when no phone
/// is online): when the clock of the issue's current step has run out (red, not paused) and the step is not
/// marked yet, appends a `MarkOverdue` event by [`SYSTEM_ACTOR`] and returns its operation for the change
/// feed. Written against the [`Ledger`], like every op.
pub fn sweep_issue(ledger: &mut dyn Ledger, issue_id: &str, now_ms: i64, rules: &SlaRules) -> Result<Option<Applied>> {
    let Some(mut projection) = ledger.issue(issue_id)? else { return Ok(None) };
    let Some((step, _)) = SlaRules::issue_step(&projection) else { return Ok(None) };
    let Some(clock) = rules.issue_clock(&projection) else { return Ok(None) };
    if projection.overdue_step == Some(step) || clock.is_paused(now_ms) || clock.light(now_ms) != Light::Red {
        return Ok(None);
    }
    let Some(owner) = ledger.node(&projection.owner_node_id)? else { return Ok(None) };
    let role = match owner.level {
        OrgLevel::County => Role::CountyStaff,
        OrgLevel::Branch => Role::BranchSecretary,
        _ => Role::TownshipStaff,
    };
    let hlc = linkage_protocol::hlc::Hlc { wall_ms: now_ms, counter: 0 }.encode("server");
    let event = IssueEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        issue_id: issue_id.to_string(),
        actor_id: SYSTEM_ACTOR.to_string(),
        actor_role: role,
        actor_node_id: owner.id,
        actor_name: None,
        hlc: hlc.clone(),
        at_ms: now_ms,
        action: IssueAction::MarkOverdue { step, due_at_ms: clock.deadline_ms(now_ms) },
    };
    if projection.apply(&event).is_err() {
        return Ok(None);
    }
    ledger.put_issue_event(&event, &projection, now_ms)?;
    let op = Operation { op_id: event.event_id.clone(), hlc, body: OpBody::IssueEvent(event) };
    Ok(Some(Applied { op: Some(op), path: projection.path, broadcast: false, changed: true }))
}
