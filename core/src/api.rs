//! The exported API types: display-ready records the shells lay out without further rules (DESIGN §10),
//! kept separate from the store's internal rows. The shared vocabulary enums of `linkage-protocol` cross the
//! FFI as UniFFI remote types (declared here, defined there), so there is one definition of each.

use linkage_protocol::labels::{Label, Locale};
pub use linkage_protocol::model::{
    AckMeans, DirectiveKind, GpsFix, IssueActionKind, IssueCategory, IssueState, OnSiteVerdict, OrgLevel, RiskLevel,
    SupervisionLevel,
    Role, Satisfaction, Urgency, VisitKind,
};
pub use linkage_protocol::rules::sla::Light;

use crate::store;

// ---- Shared vocabulary, exported as remote types -------------------------------------------------------

#[uniffi::remote(Enum)]
pub enum OrgLevel {
    County,
    Township,
    Branch,
    Group,
    Household,
}

#[uniffi::remote(Enum)]
pub enum Role {
    CountyStaff,
    TownshipStaff,
    GridWorker,
    LiaisonHead,
    BranchSecretary,
}

#[uniffi::remote(Enum)]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

#[uniffi::remote(Enum)]
pub enum IssueCategory {
    Infrastructure,
    Dispute,
    LivelihoodAid,
    SafetyHazard,
    Sanitation,
    ForestFire,
    Petition,
    PolicyConsultation,
    Other,
}

#[uniffi::remote(Enum)]
pub enum Urgency {
    Normal,
    Urgent,
    Critical,
}

#[uniffi::remote(Enum)]
pub enum IssueState {
    Reported,
    Accepted,
    Assigned,
    InProgress,
    Resolved,
    Closed,
    Rejected,
    Merged,
}

#[uniffi::remote(Enum)]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

#[uniffi::remote(Enum)]
pub enum IssueActionKind {
    Report,
    Accept,
    Reject,
    Merge,
    Assign,
    Start,
    Resolve,
    Escalate,
    Verify,
    Suspend,
    Resume,
    RequestExtension,
    DecideExtension,
    Supervise,
    ResolveOnSpot,
    MarkOverdue,
    Join,
}

#[uniffi::remote(Enum)]
pub enum SupervisionLevel {
    Normal,
    Yellow,
    Red,
}

#[uniffi::remote(Enum)]
pub enum VisitKind {
    Routine,
    ReturnVisit,
    PetitionVisit,
    EmergencyCheck,
}

#[uniffi::remote(Enum)]
pub enum OnSiteVerdict {
    OnSite,
    TooFar,
    PoorFix,
    NoFix,
    Mocked,
    NoReference,
    StaleFix,
}

#[uniffi::remote(Enum)]
pub enum DirectiveKind {
    Notice,
    Alert,
    Task,
}

#[uniffi::remote(Enum)]
pub enum AckMeans {
    Visit,
    Phone,
    InPerson,
}

#[uniffi::remote(Enum)]
pub enum Light {
    Green,
    Yellow,
    Red,
    None,
}

#[uniffi::remote(Record)]
pub struct GpsFix {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    pub fix_time_ms: i64,
    pub mocked: bool,
}

// ---- Records --------------------------------------------------------------------------------------------

/// Who is signed in on this device.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Session {
    pub user_id: String,
    pub user_name: String,
    pub role: Role,
    pub role_label: String,
    pub node_id: String,
    pub node_name: String,
    pub node_level: OrgLevel,
    /// The screens and buttons this role has (home screen, 就地解决, inbox, household acknowledgements, ...).
    pub capabilities: crate::actions::Capabilities,
}

/// What a bundle load stored.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BundleSummary {
    pub nodes: u32,
    pub households: u32,
    pub users: u32,
}

/// Filters and paging for the household list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HouseholdQuery {
    /// Prefix of the head's name (fast, indexed).
    #[uniffi(default = None)]
    pub text: Option<String>,
    /// Part of the address.
    #[uniffi(default = None)]
    pub address: Option<String>,
    #[uniffi(default = None)]
    pub tag: Option<String>,
    #[uniffi(default = None)]
    pub risk: Option<RiskLevel>,
    #[uniffi(default = 0)]
    pub offset: u32,
    #[uniffi(default = 50)]
    pub limit: u32,
}

/// A household as lists show it; phone and ID number masked.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HouseholdSummary {
    pub id: String,
    pub head_name: String,
    pub members: u32,
    pub address: String,
    pub group_id: String,
    pub group_name: String,
    pub phone_masked: Option<String>,
    pub id_number_masked: Option<String>,
    pub tags: Vec<String>,
    pub risk_level: RiskLevel,
    pub risk_label: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Last on-site visit at the signed-in user's level.
    pub last_onsite_ms: Option<i64>,
}

/// One page of households.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HouseholdPage {
    pub items: Vec<HouseholdSummary>,
    pub total: u64,
    /// Offset of the next page, or `None` on the last page.
    pub next_offset: Option<u32>,
}

/// One correction to a household's ledger entry (民生台账更正). Only the fields given change.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum HouseholdChange {
    /// 户主姓名
    HeadName { name: String },
    /// 家庭人口
    Members { count: u32 },
    /// 联系电话 (personal data; `None` clears it)
    Phone { phone: Option<String> },
    /// 住址
    Address { address: String },
    /// The house's WGS-84 point (`None` clears it)
    Location { point: Option<MapPoint> },
    /// 重点人群标签 (replaces the whole set)
    Tags { tags: Vec<String> },
    /// 风险等级
    Risk { level: RiskLevel },
}

impl From<HouseholdChange> for linkage_protocol::wire::HouseholdField {
    fn from(c: HouseholdChange) -> Self {
        use linkage_protocol::wire::HouseholdField as F;
        match c {
            HouseholdChange::HeadName { name } => F::HeadName(name),
            HouseholdChange::Members { count } => F::Members(count),
            HouseholdChange::Phone { phone } => F::Phone(phone),
            HouseholdChange::Address { address } => F::Address(address),
            HouseholdChange::Location { point } => F::Location(point.map(|p| (p.lat, p.lon))),
            HouseholdChange::Tags { tags } => F::Tags(tags),
            HouseholdChange::Risk { level } => F::RiskLevel(level),
        }
    }
}

/// A household due for a visit.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OverdueHousehold {
    pub household: HouseholdSummary,
    /// Days past due; `None` when never visited at this level.
    pub days_overdue: Option<i64>,
    /// Metres from the fix the list was asked from.
    pub distance_m: Option<f64>,
}

/// One page of overdue households, nearest first.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OverduePage {
    pub items: Vec<OverdueHousehold>,
    pub total: u64,
    pub next_offset: Option<u32>,
}

/// The visit form's content.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitDraft {
    pub household_id: String,
    pub kind: VisitKind,
    pub started_at_ms: i64,
    pub ended_at_ms: i64,
    pub fix: Option<GpsFix>,
    pub notes: String,
    /// SHA-256 hashes of evidence photos.
    #[uniffi(default = [])]
    pub evidence: Vec<String>,
    /// The issue this is a return visit for.
    #[uniffi(default = None)]
    pub issue_id: Option<String>,
}

/// A stored visit.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitSummary {
    pub id: String,
    pub household_id: String,
    pub visitor_id: String,
    pub visitor_name: Option<String>,
    pub kind: VisitKind,
    pub kind_label: String,
    pub started_at_ms: i64,
    pub ended_at_ms: i64,
    pub verdict: OnSiteVerdict,
    pub verdict_label: String,
    /// What the verdict means for the visitor, in the display language (e.g. 定位已过期 → wait for a fresh fix).
    pub verdict_advice: String,
    pub distance_m: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub notes: String,
    pub evidence: Vec<String>,
    pub issue_id: Option<String>,
    pub amends_visit_id: Option<String>,
}

/// A year that has started (or starts within 30 days) without the county's holiday calendar: time limits
/// there count Monday to Friday only. The staff home shows it as a banner.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CalendarWarning {
    pub years: Vec<i32>,
    /// What is wrong and who must act, in the display language.
    pub message: String,
}

/// The visit form's live verdict (`FieldApp::preview_verdict`): what saving now would record.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VerdictPreview {
    pub verdict: OnSiteVerdict,
    pub verdict_label: String,
    /// What to do about it (e.g. wait for a fresh fix, step outside), in the display language.
    pub advice: String,
    /// True only for `OnSite`: the visit would count for the household's visit cadence.
    pub on_site: bool,
    pub distance_m: Option<f64>,
    /// Age of the fix in whole seconds at the time of the preview (`None` without a fix).
    pub fix_age_s: Option<i64>,
}

/// The report form's content.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IssueDraft {
    pub category: IssueCategory,
    pub urgency: Urgency,
    pub title: String,
    pub description: String,
    /// The household concerned; or leave empty and give `node_id`.
    pub household_id: Option<String>,
    #[uniffi(default = None)]
    pub node_id: Option<String>,
    #[uniffi(default = None)]
    pub location: Option<GpsFix>,
    #[uniffi(default = [])]
    pub evidence: Vec<String>,
    /// A UUID the form made when it opened; submitting the same form twice returns `Conflict`.
    #[uniffi(default = None)]
    pub client_op_id: Option<String>,
}

/// An action on an issue.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum IssueCommand {
    /// 受理
    Accept,
    /// 不予受理, with the reason told to the reporter (一次性告知)
    Reject { reason: String },
    /// 合并 into the surviving issue
    Merge { into_issue_id: String },
    /// 交办 to a grid worker or staff member
    Assign { assignee_id: String },
    /// 开始处置
    Start,
    /// 办结, with what was done and photos
    Resolve { note: String, evidence: Vec<String> },
    /// 上报上级: ownership moves to the level above
    Escalate { reason: String },
    /// 回访核实 with the resident's satisfaction
    Verify { satisfaction: Satisfaction, note: String },
    /// 挂起: the time-limit clock stops (owning staff), with the reason
    Suspend { reason: String },
    /// 恢复: the clock runs again
    Resume,
    /// 申请延期 of the resolve limit by some working days (1–30), to the level above
    RequestExtension { working_days: u32, reason: String },
    /// 延期审批 by the level above
    DecideExtension { approved: bool, note: String },
    /// 督办 by the level above: 普通 / 黄牌 / 红牌
    Supervise { level: SupervisionLevel, note: String },
}

/// Which issues to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IssueListKind {
    /// Owned by my node: the triage queue, deadline first.
    Owned,
    /// Assigned to me, deadline first.
    AssignedToMe,
    /// Reported by me, newest first.
    ReportedByMe,
    /// Everything in my area, newest first.
    InArea,
}

/// An issue as lists show it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IssueSummary {
    pub id: String,
    pub title: String,
    pub category: IssueCategory,
    pub category_label: String,
    pub urgency: Urgency,
    pub urgency_label: String,
    pub state: IssueState,
    pub state_label: String,
    pub owner_node_id: String,
    pub assignee_id: Option<String>,
    pub household_id: Option<String>,
    pub reporter_id: String,
    pub reported_at_ms: i64,
    /// Deadline of the current step (accept, then resolve); `None` when no clock runs.
    pub due_at_ms: Option<i64>,
    pub light: Light,
    pub rework_count: u32,
    pub escalation_count: u32,
    pub merged_into: Option<String>,
    pub satisfaction: Option<Satisfaction>,
    /// 督办 by the level above, shown on every device in scope.
    pub supervision: Option<SupervisionLevel>,
    /// 普通督办 / 黄牌督办 / 红牌督办, or empty.
    pub supervision_label: String,
    /// 挂起: the clock is stopped (the light is frozen).
    pub suspended: bool,
    /// Working days of a 延期 request waiting for the level above.
    pub pending_extension_days: Option<u32>,
    /// Overdue at its level (the light is red, or the server's sweep marked it): proposed for escalation.
    pub overdue: bool,
    /// 就地解决 by the reporting grid worker.
    pub resolved_on_spot: bool,
}

/// One page of issues.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IssuePage {
    pub items: Vec<IssueSummary>,
    pub total: u64,
    pub next_offset: Option<u32>,
}

/// The issue page: the summary, the description and what this user may do now.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IssueDetail {
    pub summary: IssueSummary,
    pub description: String,
    pub node_id: String,
    pub location: Option<GpsFix>,
    /// Every action the rules allow this user now (raw kinds, for logic and tests).
    pub allowed_actions: Vec<IssueActionKind>,
    /// The buttons to draw: the allowed actions that are buttons, each with what its dialog needs (labels,
    /// text, photos, days, choices, person picker) in the display language. Send one with `perform_action`.
    pub actions: Vec<crate::actions::ActionSpec>,
}

/// One entry of an issue's timeline.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TimelineEntry {
    pub event_id: String,
    pub action: IssueActionKind,
    pub action_label: String,
    pub actor_id: String,
    /// Who took the step, to show: the person's name (also for people outside this phone's area: the event
    /// carries it), the system, or the role (县级干部) — never an id.
    pub actor_name: String,
    pub at_ms: i64,
    pub detail: String,
    /// The photos this step brought (a report's, a resolution's, a 补充反映's): evidence hashes, shown with it
    /// (the issue's `record_photos(IssueReport / Resolution)` lists them with their thumbnails).
    pub evidence: Vec<String>,
    /// Still waiting to be sent.
    pub pending_sync: bool,
}

/// The directive composer's content.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DirectiveDraft {
    pub target_node_id: String,
    pub kind: DirectiveKind,
    pub title: String,
    pub body: String,
    pub due_at_ms: Option<i64>,
    /// Photos to send with it (evidence hashes from `add_evidence`), e.g. a map of the fire-risk area.
    #[uniffi(default = [])]
    pub evidence: Vec<String>,
}

/// A directive as the inbox shows it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DirectiveSummary {
    pub id: String,
    pub kind: DirectiveKind,
    pub kind_label: String,
    pub title: String,
    pub body: String,
    pub issuer_name: Option<String>,
    pub issuer_node_id: String,
    pub target_node_id: String,
    pub issued_at_ms: i64,
    pub due_at_ms: Option<i64>,
    pub acknowledged_at_ms: Option<i64>,
    pub relayed_at_ms: Option<i64>,
    pub households_acknowledged: u32,
    pub households_total: u32,
    pub overdue: bool,
    /// When my node reported the task done (tasks only).
    pub completed_at_ms: Option<i64>,
    /// 签收 is open to me for my node (the shared directive rules decide; show the button only then).
    pub can_acknowledge: bool,
    /// 转发 to the level below is open to me (after acknowledging, once).
    pub can_relay: bool,
    /// 上报完成情况 is open to me (a task, acknowledged, not yet reported — or sent back by the issuer).
    pub can_report_completion: bool,
    /// The issuer's photos (evidence hashes: `evidence_thumbnail` / `open_evidence` fetch them).
    pub evidence: Vec<String>,
    /// The latest reminder (催办) to my node while it has not signed for it: show "已催办" prominently.
    pub reminded_at_ms: Option<i64>,
    /// Where my node's completion report stands: 待审核 / 已通过 / 已退回 (`None`: not reported).
    pub report_status_label: Option<String>,
    /// Why the issuer sent my node's report back (退回); report again.
    pub report_return_reason: Option<String>,
    /// Completion reports waiting for my review (the issuing node, tasks only): 待审核 N.
    pub reports_waiting: u32,
}

/// Acknowledgements at one level.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LevelCoverage {
    pub level: OrgLevel,
    pub level_label: String,
    pub acknowledged: u32,
    pub total: u32,
    /// `100 × acknowledged ÷ total` (`None` when the level has nobody, never NaN).
    pub percent: Option<f64>,
    /// The percent as shown: "100%", "66.7%", or "—" for an empty level.
    pub percent_text: String,
}

/// A node that has not acknowledged.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SilentNode {
    pub node_id: String,
    pub name: String,
    pub level: OrgLevel,
    pub level_label: String,
    /// The latest reminder (催办) sent to it for this directive.
    pub reminded_at_ms: Option<i64>,
}

/// A node's completion report of a task (任务完成情况) as the issuer reviews it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TaskReportSummary {
    pub directive_id: String,
    /// The task's title (待我审批 gathers reports of several tasks).
    pub directive_title: String,
    pub node_id: String,
    pub node_name: String,
    pub level_label: String,
    pub reported_by_name: String,
    pub at_ms: i64,
    pub note: String,
    /// Photos (evidence hashes: `evidence_thumbnail` / `open_evidence`).
    pub evidence: Vec<String>,
    /// 待审核 / 已通过 / 已退回.
    pub status_label: String,
    /// Waiting for review (待审核).
    pub waiting: bool,
    pub review_reason: Option<String>,
    pub reviewed_at_ms: Option<i64>,
    /// 通过 and 退回 are open to me now (the issuing node, a waiting report): show the two buttons only then.
    pub can_review: bool,
}

/// One page of a task's completion reports: the waiting ones first.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TaskReportPage {
    pub items: Vec<TaskReportSummary>,
    pub total: u64,
    /// Offset of the next page, or `None` on the last page.
    pub next_offset: Option<u32>,
}

/// One page of a directive's silent nodes, top-down.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SilentNodePage {
    pub items: Vec<SilentNode>,
    pub total: u64,
    /// Offset of the next page, or `None` on the last page.
    pub next_offset: Option<u32>,
}

/// How far a directive has reached.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DirectiveCoverage {
    pub directive_id: String,
    pub levels: Vec<LevelCoverage>,
    /// Nodes in view that have not acknowledged (the list, paged: `directive_silent_nodes`).
    pub silent_total: u32,
    /// Nodes in view that reported a task done (任务完成; 0 for notices and alerts).
    pub tasks_completed: u32,
}

/// One page of directives, newest first.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DirectivePage {
    pub items: Vec<DirectiveSummary>,
    pub total: u64,
    /// Offset of the next page, or `None` on the last page.
    pub next_offset: Option<u32>,
}

/// How and when a household was told of a directive, and by whom (户户告知).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HouseholdAckRecord {
    pub at_ms: i64,
    pub means: AckMeans,
    /// 入户 / 电话 / 当面.
    pub means_label: String,
    pub recorded_by: String,
    /// Who recorded it, to show: the name, or 工作人员 when this phone holds no record of them — never an id.
    pub recorded_by_name: String,
}

/// A household of a directive's area and its acknowledgement, `None` while it is still untold.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HouseholdAcknowledgement {
    pub household: HouseholdSummary,
    pub acknowledgement: Option<HouseholdAckRecord>,
}

/// One page of a directive's households: the untold first.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HouseholdAckPage {
    pub items: Vec<HouseholdAcknowledgement>,
    pub total: u64,
    /// Households already told, of all `total`.
    pub acknowledged: u64,
    /// Offset of the next page, or `None` on the last page.
    pub next_offset: Option<u32>,
}

/// What the sync bar shows.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OutboxStatus {
    pub pending: u64,
    pub quarantined: u64,
    pub oldest_pending_age_ms: Option<i64>,
    /// The server this device syncs with, once connected.
    pub server_url: Option<String>,
    pub last_sync_at_ms: Option<i64>,
    /// Why the last sync failed, if it did (cleared by the next success): the technical text, for "详情".
    pub last_error: Option<String>,
    /// The last failure in the user's words (message, next step, code), if the last sync failed.
    pub last_error_message: Option<crate::error::ErrorMessage>,
    /// Server clock minus this phone's clock, used for deadlines.
    pub clock_offset_ms: i64,
}

/// An operation the server refused, kept with its reason (never silently dropped).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QuarantinedOperation {
    pub op_id: String,
    pub kind: String,
    /// What kind of operation it is, in the display language (入户走访, 诉求办理, ...).
    pub kind_label: String,
    /// Stable code: conflict, out_of_scope, illegal_transition, not_permitted, invalid_input, ...
    pub reason_code: String,
    /// Why the server refused it, in the display language.
    pub reason_label: String,
    /// What the user should do about it, in the display language.
    pub next_step: String,
    /// The server's technical message: for "详情" only.
    pub message: String,
    pub created_at_ms: i64,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncReport {
    pub pushed: u32,
    pub duplicates: u32,
    pub rejected: u32,
    pub uploaded: u32,
    pub pulled: u32,
    pub clock_offset_ms: i64,
    /// The progress observer threw during the sync: the sync finished without it (the failure was logged).
    pub observer_failed: bool,
}

/// What a photo is evidence for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum EvidenceTarget {
    /// A household visit.
    Visit { visit_id: String },
    /// An issue's report.
    IssueReport { issue_id: String },
    /// An issue's resolution (办结).
    Resolution { issue_id: String },
    /// A directive acknowledgement or task completion.
    Acknowledgement { directive_id: String },
}

/// A stored evidence photo.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EvidenceSummary {
    /// SHA-256 of the stored JPEG: what records refer to.
    pub hash: String,
    pub path: String,
    pub thumbnail_path: String,
    pub byte_size: u64,
    pub width: u32,
    pub height: u32,
    pub captured_at_ms: i64,
    /// The text stamped on the photo (time, coordinates, accuracy, record code).
    pub watermark: String,
    /// `pending` until uploaded, then `uploaded`.
    pub upload_state: String,
}

/// A point in a map SDK's coordinate system.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct MapPoint {
    pub lat: f64,
    pub lon: f64,
}

// ---- Conversions from store rows ------------------------------------------------------------------------

pub(crate) fn next_offset(offset: u32, shown: usize, total: u64) -> Option<u32> {
    let next = u64::from(offset) + shown as u64;
    (shown > 0 && next < total).then_some(next as u32)
}

pub(crate) fn session(s: &store::Session, l: Locale) -> Session {
    Session {
        user_id: s.actor.user_id.clone(),
        user_name: s.user_name.clone(),
        role: s.actor.role,
        role_label: s.actor.role.label(l).into(),
        node_id: s.actor.node_id.clone(),
        node_name: s.node_name.clone(),
        node_level: s.node_level,
        capabilities: crate::actions::capabilities(s.actor.role),
    }
}

pub(crate) fn household(h: store::HouseholdRow, l: Locale) -> HouseholdSummary {
    HouseholdSummary {
        risk_label: h.risk_level.label(l).into(),
        id: h.id,
        head_name: h.head_name,
        members: h.members,
        address: h.address,
        group_id: h.group_id,
        group_name: h.group_name,
        phone_masked: h.phone_masked,
        id_number_masked: h.id_number_masked,
        tags: h.tags,
        risk_level: h.risk_level,
        lat: h.lat,
        lon: h.lon,
        last_onsite_ms: h.last_onsite_ms,
    }
}

pub(crate) fn visit(v: store::VisitRow, l: Locale) -> VisitSummary {
    VisitSummary {
        kind_label: v.kind.label(l).into(),
        verdict_label: v.verdict.label(l).into(),
        verdict_advice: linkage_protocol::labels::verdict_advice(v.verdict, l).into(),
        id: v.id,
        household_id: v.household_id,
        visitor_id: v.visitor_id,
        visitor_name: v.visitor_name,
        kind: v.kind,
        started_at_ms: v.started_at_ms,
        ended_at_ms: v.ended_at_ms,
        verdict: v.verdict,
        distance_m: v.distance_m,
        accuracy_m: v.accuracy_m,
        notes: v.notes,
        evidence: v.evidence,
        issue_id: v.issue_id,
        amends_visit_id: v.amends_visit_id,
    }
}

pub(crate) fn issue(r: store::IssueRow, l: Locale) -> IssueSummary {
    let p = r.projection;
    let suspended = p.suspended();
    IssueSummary {
        supervision: p.supervision,
        supervision_label: p.supervision.map_or(String::new(), |s| s.label(l).into()),
        suspended,
        pending_extension_days: p.pending_extension_days,
        overdue: r.light == Light::Red || p.overdue_step.is_some(),
        resolved_on_spot: p.resolved_on_spot,
        category_label: p.category.label(l).into(),
        urgency_label: p.urgency.label(l).into(),
        state_label: p.state.label(l).into(),
        id: p.id,
        title: p.title,
        category: p.category,
        urgency: p.urgency,
        state: p.state,
        owner_node_id: p.owner_node_id,
        assignee_id: p.assignee_id,
        household_id: p.household_id,
        reporter_id: p.reporter_id,
        reported_at_ms: p.reported_at_ms,
        due_at_ms: r.due_at_ms.filter(|_| r.light != Light::None),
        light: r.light,
        rework_count: p.rework_count,
        escalation_count: p.escalation_count,
        merged_into: p.merged_into,
        satisfaction: p.satisfaction,
    }
}

pub(crate) fn timeline(t: store::TimelineRow, l: Locale) -> TimelineEntry {
    TimelineEntry {
        action_label: t.action.label(l).into(),
        event_id: t.event_id,
        action: t.action,
        actor_id: t.actor_id,
        actor_name: t.actor_name,
        at_ms: t.at_ms,
        detail: t.detail,
        evidence: t.evidence,
        pending_sync: t.pending_sync,
    }
}

pub(crate) fn directive(d: store::DirectiveRow, l: Locale) -> DirectiveSummary {
    let x = d.directive;
    DirectiveSummary {
        kind_label: x.kind.label(l).into(),
        id: x.id,
        kind: x.kind,
        title: x.title,
        body: x.body,
        issuer_name: d.issuer_name,
        issuer_node_id: x.issuer_node_id,
        target_node_id: x.target_node_id,
        issued_at_ms: x.issued_at_ms,
        due_at_ms: x.due_at_ms,
        acknowledged_at_ms: d.my_acknowledged_at_ms,
        relayed_at_ms: d.my_relayed_at_ms,
        households_acknowledged: d.households_acknowledged,
        households_total: d.households_total,
        overdue: d.overdue,
        completed_at_ms: d.my_completed_at_ms,
        can_acknowledge: d.can_acknowledge,
        can_relay: d.can_relay,
        can_report_completion: d.can_report_completion,
        evidence: x.evidence,
        reminded_at_ms: d.my_reminded_at_ms,
        report_status_label: d.my_report_status.map(|st| report_status_label(st, l).to_string()),
        report_return_reason: d.my_report_return_reason,
        reports_waiting: d.reports_waiting,
    }
}

/// 待审核 / 已通过 / 已退回.
pub(crate) fn report_status_label(st: linkage_protocol::rules::directive::TaskReportStatus, l: Locale) -> &'static str {
    use linkage_protocol::rules::directive::TaskReportStatus::*;
    match st {
        Pending => l.pick("待审核", "Waiting for review"),
        Accepted => l.pick("已通过", "Accepted"),
        Returned => l.pick("已退回", "Sent back"),
    }
}

pub(crate) fn task_report(r: store::TaskReportRow, l: Locale) -> TaskReportSummary {
    TaskReportSummary {
        level_label: r.node_level.label(l).into(),
        status_label: report_status_label(r.status, l).into(),
        waiting: r.status == linkage_protocol::rules::directive::TaskReportStatus::Pending,
        reported_by_name: linkage_protocol::labels::actor_label(&r.reported_by, r.reported_by_name.as_deref(), None, l),
        directive_id: r.directive_id,
        directive_title: r.directive_title,
        node_id: r.node_id,
        node_name: r.node_name,
        at_ms: r.at_ms,
        note: r.note,
        evidence: r.evidence,
        review_reason: r.review_reason,
        reviewed_at_ms: r.reviewed_at_ms,
        can_review: r.can_review,
    }
}

pub(crate) fn silent_node(n: store::SilentNodeRow, l: Locale) -> SilentNode {
    SilentNode { level_label: n.level.label(l).into(), node_id: n.id, name: n.name, level: n.level, reminded_at_ms: n.reminded_at_ms }
}

pub(crate) fn household_ack(r: store::HouseholdAckRow, l: Locale) -> HouseholdAcknowledgement {
    HouseholdAcknowledgement {
        household: household(r.household, l),
        acknowledgement: r.acknowledgement.map(|a| HouseholdAckRecord {
            at_ms: a.at_ms,
            means: a.means,
            means_label: a.means.label(l).into(),
            recorded_by_name: linkage_protocol::labels::actor_label(&a.recorded_by, a.recorded_by_name.as_deref(), None, l),
            recorded_by: a.recorded_by,
        }),
    }
}

pub(crate) fn coverage(id: &str, c: store::DirectiveCoverageRow, l: Locale) -> DirectiveCoverage {
    DirectiveCoverage {
        directive_id: id.to_string(),
        levels: c
            .levels
            .into_iter()
            .map(|(level, acknowledged, total)| {
                let percent = linkage_protocol::rules::measures::percent(acknowledged, total);
                LevelCoverage {
                    level,
                    level_label: level.label(l).into(),
                    acknowledged,
                    total,
                    percent,
                    percent_text: crate::overview::pct_text(percent),
                }
            })
            .collect(),
        silent_total: c.silent_total,
        tasks_completed: c.tasks_completed,
    }
}

impl From<IssueCommand> for store::IssueCommand {
    fn from(c: IssueCommand) -> Self {
        match c {
            IssueCommand::Accept => store::IssueCommand::Accept,
            IssueCommand::Reject { reason } => store::IssueCommand::Reject { reason },
            IssueCommand::Merge { into_issue_id } => store::IssueCommand::Merge { into_issue_id },
            IssueCommand::Assign { assignee_id } => store::IssueCommand::Assign { assignee_id },
            IssueCommand::Start => store::IssueCommand::Start,
            IssueCommand::Resolve { note, evidence } => store::IssueCommand::Resolve { note, evidence },
            IssueCommand::Escalate { reason } => store::IssueCommand::Escalate { reason },
            IssueCommand::Verify { satisfaction, note } => store::IssueCommand::Verify { satisfaction, note },
            IssueCommand::Suspend { reason } => store::IssueCommand::Suspend { reason },
            IssueCommand::Resume => store::IssueCommand::Resume,
            IssueCommand::RequestExtension { working_days, reason } => store::IssueCommand::RequestExtension { working_days, reason },
            IssueCommand::DecideExtension { approved, note } => store::IssueCommand::DecideExtension { approved, note },
            IssueCommand::Supervise { level, note } => store::IssueCommand::Supervise { level, note },
        }
    }
}

pub(crate) fn evidence(e: store::EvidenceRow) -> EvidenceSummary {
    EvidenceSummary {
        hash: e.hash,
        path: e.path.to_string_lossy().into_owned(),
        thumbnail_path: e.thumbnail_path.to_string_lossy().into_owned(),
        byte_size: e.byte_size,
        width: e.width,
        height: e.height,
        captured_at_ms: e.captured_at_ms,
        watermark: e.watermark,
        upload_state: e.upload_state,
    }
}

impl From<EvidenceTarget> for store::EvidenceTarget {
    fn from(t: EvidenceTarget) -> Self {
        match t {
            EvidenceTarget::Visit { visit_id } => store::EvidenceTarget::Visit(visit_id),
            EvidenceTarget::IssueReport { issue_id } => store::EvidenceTarget::IssueReport(issue_id),
            EvidenceTarget::Resolution { issue_id } => store::EvidenceTarget::Resolution(issue_id),
            EvidenceTarget::Acknowledgement { directive_id } => store::EvidenceTarget::Acknowledgement(directive_id),
        }
    }
}

impl From<IssueListKind> for store::IssueListScope {
    fn from(k: IssueListKind) -> Self {
        match k {
            IssueListKind::Owned => store::IssueListScope::Owned,
            IssueListKind::AssignedToMe => store::IssueListScope::AssignedToMe,
            IssueListKind::ReportedByMe => store::IssueListScope::ReportedByMe,
            IssueListKind::InArea => store::IssueListScope::InArea,
        }
    }
}

// ---- Field workflows: duplicate suggestions, visit coverage, directive silence, measures -------------------

/// An open issue that may be the same problem as the report being drafted (重复诉求提示).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DuplicateSuggestion {
    pub issue: IssueSummary,
    /// Metres from the draft's place (its GPS fix, else its household's point).
    pub distance_m: f64,
}

/// Visit coverage (走访覆盖率) under one org node.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CoverageNode {
    pub node_id: String,
    pub name: String,
    pub level: OrgLevel,
    pub level_label: String,
    /// Households under the node (county level: the county's contact households).
    pub households: u32,
    /// Of those, visited on site at the user's level within the cadence interval.
    pub visited: u32,
    /// `100 × visited ÷ households`; `None` when the node has no households.
    pub percent: Option<f64>,
}

/// The visit coverage screen for the signed-in user's area.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitCoverage {
    /// Whose visits count: the user's level, and its interval (`None`: no cadence; any on-site visit counts).
    pub level: OrgLevel,
    pub level_label: String,
    pub interval_days: Option<u32>,
    /// The user's own node.
    pub total: CoverageNode,
    /// How many townships, branches and groups lie below it (the rows, paged: `visit_coverage_rows`).
    pub row_total: u64,
    /// Households never visited on site at the user's level (list: `never_visited_households`).
    pub never_visited: u32,
}

/// A child node silent past its acknowledgement window on a directive (逾期未签收).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SilentChild {
    pub directive_id: String,
    pub directive_title: String,
    pub directive_kind: DirectiveKind,
    pub kind_label: String,
    pub issued_at_ms: i64,
    /// When the node should have signed for it.
    pub deadline_ms: i64,
    pub node_id: String,
    pub node_name: String,
    pub node_level: OrgLevel,
    pub level_label: String,
    /// How long past the deadline.
    pub overdue_ms: i64,
}

/// One page of silent child nodes, most overdue first.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SilentChildPage {
    pub items: Vec<SilentChild>,
    pub total: u64,
    pub next_offset: Option<u32>,
}

/// A count out of a cohort, with the percentage (`None` for an empty cohort, never NaN).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct MeasureRate {
    pub numerator: u32,
    pub denominator: u32,
    pub percent: Option<f64>,
}

/// Issues reported in the period now in one state.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StateCount {
    pub state: IssueState,
    pub state_label: String,
    pub count: u32,
}

/// Issue measures of a period; each definition is in `linkage_protocol::rules::measures`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IssueMeasures {
    /// Issues reported in the period.
    pub reported: u32,
    /// Those, by current state (every state).
    pub by_state: Vec<StateCount>,
    /// 支部办结: of those, closed while a village branch owns them (settled in the village, ADR 0008).
    pub settled_at_branch: u32,
    /// 按期受理率: of issues accepted in the period, accepted within the accept limit.
    pub accepted_on_time: MeasureRate,
    /// 按期办结率: of issues whose resolve deadline fell in the period (and has passed), resolved by it.
    pub resolved_on_time: MeasureRate,
    /// 返工率: of return-visit verifications in the period, 不满意 (sent back for rework).
    pub rework: MeasureRate,
    /// 满意率: of the same verifications, 满意 + 基本满意.
    pub satisfied: MeasureRate,
    /// Of issues accepted in the period, escalated to the level above before its end.
    pub escalated: MeasureRate,
    /// Median report → acceptance of issues accepted in the period.
    pub median_accept_ms: Option<i64>,
    /// Median acceptance → resolution of issues resolved in the period.
    pub median_resolve_ms: Option<i64>,
}

/// Issue measures of one child node (a township for the county).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NodeIssueMeasures {
    pub node_id: String,
    pub name: String,
    pub level: OrgLevel,
    pub level_label: String,
    pub issues: IssueMeasures,
}

/// Directive acknowledgement at one level, pooled over the directives issued in the period.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AckLevelMeasure {
    pub level: OrgLevel,
    pub level_label: String,
    /// Acknowledged ÷ reached (node × directive) pairs.
    pub coverage: MeasureRate,
    /// Acknowledged within the window ÷ reached pairs.
    pub in_time: MeasureRate,
    /// Median issue → acknowledgement.
    pub median_latency_ms: Option<i64>,
}

/// The measures screen (考核指标) for the user's area and a period `[from_ms, to_ms)`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Measures {
    pub from_ms: i64,
    pub to_ms: i64,
    pub issues: IssueMeasures,
    /// The same per direct child of the user's node.
    pub by_child: Vec<NodeIssueMeasures>,
    /// Directives issued in the period that reach the area.
    pub directives: u32,
    pub acknowledgements: Vec<AckLevelMeasure>,
    /// Visit coverage now, at the user's level, for the whole area.
    pub visit_coverage: CoverageNode,
    pub visit_interval_days: Option<u32>,
}

pub(crate) fn issue_input(draft: IssueDraft) -> store::IssueInput {
    store::IssueInput {
        category: draft.category,
        urgency: draft.urgency,
        title: draft.title,
        description: draft.description,
        household_id: draft.household_id,
        node_id: draft.node_id,
        location: draft.location,
        evidence: draft.evidence,
        client_op_id: draft.client_op_id,
    }
}

pub(crate) fn coverage_node(c: store::CoverageRow, l: Locale) -> CoverageNode {
    CoverageNode {
        level_label: c.level.label(l).into(),
        percent: linkage_protocol::rules::measures::percent(c.visited, c.households),
        node_id: c.node_id,
        name: c.name,
        level: c.level,
        households: c.households,
        visited: c.visited,
    }
}

pub(crate) fn visit_coverage(r: store::VisitCoverageReport, row_total: u64, l: Locale) -> VisitCoverage {
    VisitCoverage {
        level: r.level,
        level_label: r.level.label(l).into(),
        interval_days: r.interval_days,
        total: coverage_node(r.total, l),
        row_total,
        never_visited: r.never_visited,
    }
}

/// One page of visit coverage rows (townships, branches, groups in tree order).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CoverageNodePage {
    pub items: Vec<CoverageNode>,
    pub total: u64,
    /// Offset of the next page, or `None` on the last page.
    pub next_offset: Option<u32>,
}

pub(crate) fn silent_child(r: store::SilentChildRow, l: Locale) -> SilentChild {
    SilentChild {
        kind_label: r.directive_kind.label(l).into(),
        level_label: r.node_level.label(l).into(),
        directive_id: r.directive_id,
        directive_title: r.directive_title,
        directive_kind: r.directive_kind,
        issued_at_ms: r.issued_at_ms,
        deadline_ms: r.deadline_ms,
        node_id: r.node_id,
        node_name: r.node_name,
        node_level: r.node_level,
        overdue_ms: r.overdue_ms,
    }
}

fn rate(r: linkage_protocol::rules::measures::Rate) -> MeasureRate {
    MeasureRate { numerator: r.numerator, denominator: r.denominator, percent: r.percent() }
}

fn issue_measures(m: linkage_protocol::rules::measures::IssueMeasures, l: Locale) -> IssueMeasures {
    IssueMeasures {
        reported: m.reported,
        by_state: m
            .by_state
            .into_iter()
            .map(|(state, count)| StateCount { state, state_label: state.label(l).into(), count })
            .collect(),
        settled_at_branch: m.settled_at_branch,
        accepted_on_time: rate(m.accepted_on_time),
        resolved_on_time: rate(m.resolved_on_time),
        rework: rate(m.rework),
        satisfied: rate(m.satisfied),
        escalated: rate(m.escalated),
        median_accept_ms: m.median_accept_ms,
        median_resolve_ms: m.median_resolve_ms,
    }
}

pub(crate) fn measures(r: store::MeasuresReport, l: Locale) -> Measures {
    Measures {
        from_ms: r.period.from_ms,
        to_ms: r.period.to_ms,
        issues: issue_measures(r.issues, l),
        by_child: r
            .by_child
            .into_iter()
            .map(|(n, m)| NodeIssueMeasures {
                level_label: n.level.label(l).into(),
                node_id: n.id,
                name: n.name,
                level: n.level,
                issues: issue_measures(m, l),
            })
            .collect(),
        directives: r.directives,
        acknowledgements: r
            .acknowledgements
            .into_iter()
            .map(|a| AckLevelMeasure {
                level: a.level,
                level_label: a.level.label(l).into(),
                coverage: rate(a.coverage),
                in_time: rate(a.in_time),
                median_latency_ms: a.median_latency_ms,
            })
            .collect(),
        visit_coverage: coverage_node(r.visits, l),
        visit_interval_days: r.visit_interval_days,
    }
}

// ---- People and the org tree ---------------------------------------------------------------------------

/// A user of the area (人员): name, role and where they work — what the pickers show.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Person {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    pub role_label: String,
    pub node_id: String,
    pub node_name: String,
    pub node_level: OrgLevel,
    pub level_label: String,
}

/// One page of people.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PersonPage {
    pub items: Vec<Person>,
    pub total: u64,
    /// Offset of the next page, or `None` on the last page.
    pub next_offset: Option<u32>,
}

/// One node of the org tree (组织树) below a root.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OrgNode {
    pub node_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub level: OrgLevel,
    pub level_label: String,
    /// Levels below the root (its children: 1), for indenting.
    pub depth: u32,
    /// Direct child nodes.
    pub children: u32,
    /// Households under the node.
    pub households: u32,
}

/// One page of the org tree, in tree order (each node before its children).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OrgNodePage {
    pub items: Vec<OrgNode>,
    pub total: u64,
    /// Offset of the next page, or `None` on the last page.
    pub next_offset: Option<u32>,
}

pub(crate) fn person(p: store::PersonRow, l: Locale) -> Person {
    Person {
        role_label: p.role.label(l).into(),
        level_label: p.node_level.label(l).into(),
        user_id: p.user_id,
        name: p.name,
        role: p.role,
        node_id: p.node_id,
        node_name: p.node_name,
        node_level: p.node_level,
    }
}

pub(crate) fn org_node(n: store::OrgNodeRow, l: Locale) -> OrgNode {
    OrgNode {
        level_label: n.level.label(l).into(),
        node_id: n.id,
        parent_id: n.parent_id,
        name: n.name,
        level: n.level,
        depth: n.depth,
        children: n.children,
        households: n.households,
    }
}

// ---- Photos of records, from this phone or the server ----------------------------------------------------

/// A photo of a record (visit, report, resolution, task), wherever it was taken.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RecordPhoto {
    /// SHA-256: what the record refers to; pass it to `evidence_thumbnail` / `open_evidence`.
    pub hash: String,
    /// Taken on this phone (kept until uploaded and never evicted).
    pub taken_here: bool,
    /// The thumbnail's file when it is on the phone now; `None`: call `evidence_thumbnail`.
    pub thumbnail_path: Option<String>,
    /// The full photo's file when it is on the phone now; `None`: call `open_evidence`.
    pub path: Option<String>,
}

/// How full the downloaded-photo cache is.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct PhotoCacheStatus {
    pub bytes: u64,
    pub photos: u32,
    pub limit_bytes: u64,
}

pub(crate) fn record_photo(p: store::RecordPhotoRow) -> RecordPhoto {
    let path = |p: Option<std::path::PathBuf>| p.map(|x| x.to_string_lossy().into_owned());
    RecordPhoto { hash: p.hash, taken_here: p.own, thumbnail_path: path(p.thumbnail_path), path: path(p.path) }
}

pub(crate) fn cache_status(u: store::CacheUsage) -> PhotoCacheStatus {
    PhotoCacheStatus { bytes: u.bytes, photos: u.photos, limit_bytes: u.limit_bytes }
}
