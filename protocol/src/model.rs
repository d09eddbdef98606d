//! Domain vocabulary shared by phones and server: the five org levels, roles, issue states and actions,
//! visit kinds and verdicts, directive kinds. These are the words of DESIGN §2–6; the wire format and the
//! rules are written in them, so both sides agree on every value.

use serde::{Deserialize, Serialize};

/// A level of the five-level chain (五级联动): 县 → 乡镇 → 村(社区)党支部 → 村民小组/联户单元 → 户.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrgLevel {
    /// 县 — county.
    County,
    /// 乡镇 — township.
    Township,
    /// 村(社区)党支部 — village (community) party branch.
    Branch,
    /// 村民小组 / 联户单元 — villager group / liaison unit.
    Group,
    /// 户 — household.
    Household,
}

impl OrgLevel {
    /// The level directly below this one, if any.
    pub fn child(self) -> Option<OrgLevel> {
        match self {
            OrgLevel::County => Some(OrgLevel::Township),
            OrgLevel::Township => Some(OrgLevel::Branch),
            OrgLevel::Branch => Some(OrgLevel::Group),
            OrgLevel::Group => Some(OrgLevel::Household),
            OrgLevel::Household => None,
        }
    }

    /// Depth from the county (county = 0).
    pub fn depth(self) -> usize {
        self as usize
    }

    /// Every level, top-down.
    pub const ALL: [OrgLevel; 5] = [
        OrgLevel::County,
        OrgLevel::Township,
        OrgLevel::Branch,
        OrgLevel::Group,
        OrgLevel::Household,
    ];
}

/// The role a user holds at the one node they are bound to (DESIGN §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 县级干部 — county staff, bound to the county.
    CountyStaff,
    /// 乡镇干部 — township staff, bound to a township.
    TownshipStaff,
    /// 网格员 — grid worker, bound to a village branch.
    GridWorker,
    /// 联户长 — liaison head, bound to a villager group.
    LiaisonHead,
    /// 支部书记 / 村干部 — branch secretary, bound to a village branch: handles the issues that land at the
    /// branch (county setting `intake`), settles them in the village or escalates them to the township (ADR 0008).
    BranchSecretary,
}

impl Role {
    /// The org level a user of this role is bound to.
    pub fn level(self) -> OrgLevel {
        match self {
            Role::CountyStaff => OrgLevel::County,
            Role::TownshipStaff => OrgLevel::Township,
            Role::GridWorker => OrgLevel::Branch,
            Role::LiaisonHead => OrgLevel::Group,
            Role::BranchSecretary => OrgLevel::Branch,
        }
    }

    /// Staff who own and handle issues at their node (乡镇/县级干部, and 支部书记 at a village branch).
    pub fn handles_issues(self) -> bool {
        matches!(self, Role::CountyStaff | Role::TownshipStaff | Role::BranchSecretary)
    }

    /// Every role.
    pub const ALL: [Role; 5] =
        [Role::CountyStaff, Role::TownshipStaff, Role::GridWorker, Role::LiaisonHead, Role::BranchSecretary];
}

/// Risk rating of a household (高/中/低).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// 低 — low.
    Low,
    /// 中 — medium.
    Medium,
    /// 高 — high.
    High,
}

/// Issue category (诉求类别); with urgency it selects the time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum IssueCategory {
    /// 基础设施 — infrastructure.
    Infrastructure,
    /// 矛盾纠纷 — dispute.
    Dispute,
    /// 民生救助 — livelihood aid.
    LivelihoodAid,
    /// 安全隐患 — safety hazard.
    SafetyHazard,
    /// 环境卫生 — sanitation.
    Sanitation,
    /// 护林防火 — forest fire prevention.
    ForestFire,
    /// 信访 — petition.
    Petition,
    /// 政策咨询 — policy consultation.
    PolicyConsultation,
    /// 其他 — other.
    Other,
}

impl IssueCategory {
    /// Every category.
    pub const ALL: [IssueCategory; 9] = [
        IssueCategory::Infrastructure,
        IssueCategory::Dispute,
        IssueCategory::LivelihoodAid,
        IssueCategory::SafetyHazard,
        IssueCategory::Sanitation,
        IssueCategory::ForestFire,
        IssueCategory::Petition,
        IssueCategory::PolicyConsultation,
        IssueCategory::Other,
    ];
}

/// Urgency (紧急程度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// 一般 — normal.
    Normal,
    /// 紧急 — urgent.
    Urgent,
    /// 特急 — critical.
    Critical,
}

/// State of an issue: a fold over its events (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueState {
    /// 上报
    Reported,
    /// 受理 (also the state after an escalation, now owned by the level above)
    Accepted,
    /// 交办 (also the state after a failed verification: 返工)
    Assigned,
    /// 处置中
    InProgress,
    /// 办结, waiting for the return visit
    Resolved,
    /// 结案
    Closed,
    /// 不予受理
    Rejected,
    /// 合并 into another issue
    Merged,
}

impl IssueState {
    /// Every state.
    pub const ALL: [IssueState; 8] = [
        IssueState::Reported,
        IssueState::Accepted,
        IssueState::Assigned,
        IssueState::InProgress,
        IssueState::Resolved,
        IssueState::Closed,
        IssueState::Rejected,
        IssueState::Merged,
    ];

    /// No further action is possible.
    pub fn is_terminal(self) -> bool {
        matches!(self, IssueState::Closed | IssueState::Rejected | IssueState::Merged)
    }

    /// Stable snake_case name (the serde name), used in SQL columns.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Reported => "reported",
            IssueState::Accepted => "accepted",
            IssueState::Assigned => "assigned",
            IssueState::InProgress => "in_progress",
            IssueState::Resolved => "resolved",
            IssueState::Closed => "closed",
            IssueState::Rejected => "rejected",
            IssueState::Merged => "merged",
        }
    }
}

/// The resident's verdict at the return visit (回访满意度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意 — satisfied.
    Satisfied,
    /// 基本满意 — basically satisfied.
    BasicallySatisfied,
    /// 不满意 — dissatisfied: the issue goes back for rework (返工)
    Dissatisfied,
}

/// The kind of an action on an issue, without its payload: what the rule table is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    /// 挂起: the time-limit clock stops (waiting on something outside the handler's control).
    Suspend,
    /// 恢复: the clock runs again.
    Resume,
    /// 延期申请: asks the level above for more working days.
    RequestExtension,
    /// 延期审批: the level above approves or denies the request.
    DecideExtension,
    /// 督办: the level above supervises the issue (普通 / 黄牌 / 红牌).
    Supervise,
    /// 就地解决: the grid worker who reported it resolved it on the spot, with photos; still verified.
    ResolveOnSpot,
    /// 超期标记: the server's sweep marks an overdue step (proposed for escalation). Never a user's action.
    MarkOverdue,
    /// 补充反映: someone reporting the same matter (是这件，不重复上报) adds their note and photos to the open
    /// issue instead of filing a second one. Anyone in scope; changes no state, stops no clock.
    Join,
}

impl IssueActionKind {
    /// Every action that applies to an existing issue (all but `Report`).
    pub const ON_EXISTING: [IssueActionKind; 16] = [
        IssueActionKind::Accept,
        IssueActionKind::Reject,
        IssueActionKind::Merge,
        IssueActionKind::Assign,
        IssueActionKind::Start,
        IssueActionKind::Resolve,
        IssueActionKind::Escalate,
        IssueActionKind::Verify,
        IssueActionKind::Suspend,
        IssueActionKind::Resume,
        IssueActionKind::RequestExtension,
        IssueActionKind::DecideExtension,
        IssueActionKind::Supervise,
        IssueActionKind::ResolveOnSpot,
        IssueActionKind::MarkOverdue,
        IssueActionKind::Join,
    ];
}

/// How strongly the level above supervises an issue (督办).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SupervisionLevel {
    /// 普通督办 — normal supervision.
    Normal,
    /// 黄牌督办 — yellow card.
    Yellow,
    /// 红牌督办 — red card.
    Red,
}

/// Kind of household visit (入户走访).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    /// 常规走访 — routine visit.
    Routine,
    /// 回访 — return visit for an issue.
    ReturnVisit,
    /// 下访 / 约访 — petition visit.
    PetitionVisit,
    /// 应急排查 — emergency check.
    EmergencyCheck,
}

/// Whether a visit's GPS fix places the visitor at the household (graded, never a hard block).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnSiteVerdict {
    /// 在场 — within the on-site radius with a good fix.
    OnSite,
    /// 距离过远 — good fix, but farther than the on-site radius.
    TooFar,
    /// 定位精度差 — the fix's accuracy is worse than the allowed maximum.
    PoorFix,
    /// 无定位 — no fix was available.
    NoFix,
    /// 模拟定位 — the OS flagged the location as mocked.
    Mocked,
    /// 无参照点 — the household has no recorded point to compare with (departure from DESIGN §4, see docs/adr).
    NoReference,
    /// The fix was taken before the visit started (a last-known position) or is older than the county's
    /// maximum fix age (default 120 s): it proves nothing about where the visitor is (added in wire v1.1;
    /// see docs/adr).
    StaleFix,
}

/// Kind of directive (指令).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DirectiveKind {
    /// 通知 — notice.
    Notice,
    /// 预警 — alert (e.g. 护林防火).
    Alert,
    /// 任务 — task, with a due time.
    Task,
}

/// How a liaison head reached a household with a directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AckMeans {
    /// 入户 — by a visit.
    Visit,
    /// 电话 — by phone.
    Phone,
    /// 当面 — in person.
    InPerson,
}

/// A GPS fix as the phone's location provider reported it (WGS-84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct GpsFix {
    pub lat: f64,
    pub lon: f64,
    /// Horizontal accuracy radius in metres (68% confidence, as Android and iOS report it).
    pub accuracy_m: f64,
    /// When the fix was taken, unix milliseconds.
    #[serde(deserialize_with = "crate::wire::whole::deserialize")]
    pub fix_time_ms: i64,
    /// The OS flagged the fix as coming from a mock location provider.
    pub mocked: bool,
}

/// The one who acts: a signed-in user at their node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    pub node_id: String,
    /// Materialized path of the user's node, e.g. `/c1/t1/`.
    pub node_path: String,
}

impl Actor {
    /// True when `path` lies under (or at) this actor's node.
    pub fn sees(&self, path: &str) -> bool {
        crate::rules::scope::within(&self.node_path, path)
    }
}
