//! Display labels: zh-CN first, English as the fallback. Kept in the core so the Kotlin and Swift shells
//! show the same words without each keeping its own table.

use crate::model::*;
use crate::rules::sla::Light;
use crate::rules::Denial;
use crate::sync::RejectCode;

/// Which language to label in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    ZhCn,
    En,
}

impl Locale {
    /// `zh*` → Chinese; anything else → English.
    pub fn from_tag(tag: &str) -> Locale {
        if tag.to_ascii_lowercase().starts_with("zh") {
            Locale::ZhCn
        } else {
            Locale::En
        }
    }

    /// The text for this locale.
    pub fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Locale::ZhCn => zh,
            Locale::En => en,
        }
    }
}

/// Anything with a display label.
pub trait Label {
    fn label(&self, locale: Locale) -> &'static str;
}

macro_rules! labels {
    ($ty:ty { $($variant:ident => $zh:literal, $en:literal;)* }) => {
        impl Label for $ty {
            fn label(&self, locale: Locale) -> &'static str {
                match self { $(<$ty>::$variant => locale.pick($zh, $en),)* }
            }
        }
    };
}

labels!(IssueState {
    Reported => "上报", "Reported"; Accepted => "受理", "Accepted"; Assigned => "交办", "Assigned";
    InProgress => "处置中", "In progress"; Resolved => "办结待回访", "Resolved"; Closed => "结案", "Closed";
    Rejected => "不予受理", "Rejected"; Merged => "已合并", "Merged";
});
labels!(IssueCategory {
    Infrastructure => "基础设施", "Infrastructure"; Dispute => "矛盾纠纷", "Dispute";
    LivelihoodAid => "民生救助", "Livelihood aid"; SafetyHazard => "安全隐患", "Safety hazard";
    Sanitation => "环境卫生", "Sanitation"; ForestFire => "护林防火", "Forest fire prevention";
    Petition => "信访", "Petition"; PolicyConsultation => "政策咨询", "Policy question"; Other => "其他", "Other";
});
labels!(Urgency { Normal => "一般", "Normal"; Urgent => "紧急", "Urgent"; Critical => "特急", "Critical"; });
labels!(Satisfaction {
    Satisfied => "满意", "Satisfied"; BasicallySatisfied => "基本满意", "Basically satisfied";
    Dissatisfied => "不满意", "Dissatisfied";
});
labels!(IssueActionKind {
    Report => "上报", "Report"; Accept => "受理", "Accept"; Reject => "不予受理", "Reject"; Merge => "合并", "Merge";
    Assign => "交办", "Assign"; Start => "开始处置", "Start"; Resolve => "办结", "Resolve";
    Escalate => "上报上级", "Escalate"; Verify => "回访核实", "Verify"; Suspend => "挂起", "Suspend";
    Resume => "恢复办理", "Resume"; RequestExtension => "申请延期", "Request extension";
    DecideExtension => "延期审批", "Decide extension"; Supervise => "督办", "Supervise";
    ResolveOnSpot => "就地解决", "Resolved on the spot"; MarkOverdue => "超期预警", "Marked overdue";
    Join => "补充反映", "Also reported";
});
labels!(SupervisionLevel { Normal => "普通督办", "Supervised"; Yellow => "黄牌督办", "Yellow card"; Red => "红牌督办", "Red card"; });
labels!(OnSiteVerdict {
    OnSite => "在现场", "On site"; TooFar => "距离过远", "Too far"; PoorFix => "定位精度差", "Poor GPS fix";
    NoFix => "无定位", "No GPS fix"; Mocked => "疑似虚拟定位", "Mock location"; NoReference => "住户未标注位置", "Household not located";
    StaleFix => "定位已过期", "Stale GPS fix";
});
labels!(VisitKind {
    Routine => "常规走访", "Routine visit"; ReturnVisit => "回访", "Return visit";
    PetitionVisit => "下访/约访", "Petition visit"; EmergencyCheck => "应急排查", "Emergency check";
});
labels!(DirectiveKind { Notice => "通知", "Notice"; Alert => "预警", "Alert"; Task => "任务", "Task"; });
labels!(AckMeans { Visit => "入户", "Visit"; Phone => "电话", "Phone"; InPerson => "当面", "In person"; });
labels!(Role {
    CountyStaff => "县级干部", "County staff"; TownshipStaff => "乡镇干部", "Township staff";
    GridWorker => "网格员", "Grid worker"; LiaisonHead => "联户长", "Household liaison head";
    BranchSecretary => "支部书记", "Branch secretary";
});
labels!(OrgLevel {
    County => "县", "County"; Township => "乡镇", "Township"; Branch => "村党支部", "Village branch";
    Group => "村民小组", "Villager group"; Household => "户", "Household";
});
labels!(RiskLevel { Low => "低风险", "Low risk"; Medium => "中风险", "Medium risk"; High => "高风险", "High risk"; });
labels!(Light { Green => "正常", "On time"; Yellow => "临期", "Due soon"; Red => "超期", "Overdue"; None => "", ""; });

labels!(Denial {
    NotOwnerStaff => "只有诉求所属层级的干部可以办理此事项", "Only staff of the level that owns the issue may do this";
    NotAssignee => "只有承办人（或所属层级的干部）可以办理此事项", "Only the assigned handler (or the owning staff) may do this";
    InvalidAssignee => "只能交办给本辖区内的网格员或干部", "Assign only to a grid worker or staff within the owning level";
    NotDirectiveIssuer => "只有县、乡镇干部或村支部可以下达指令", "Only county or township staff, or a village branch, may issue directives";
    NotHouseholdLiaison => "只有本户的联户长或网格员可以登记告知情况", "Only the household's liaison head or grid worker may record this";
    NotOwnNode => "只能为本单位签收或转发", "You may only acknowledge or relay for your own unit";
    OwnDirective => "本单位下达的指令无需本单位签收、转发或上报", "Your own unit's directive needs no acknowledgement, relay or report from it";
    AssigneeOutsideArea => "只能交办给诉求所在地或其上级、且在受理层级内的人员", "Assign only to someone working where the issue is, or above it, within the owning level";
    NotAboveOwner => "只有上一级的干部可以督办或审批", "Only staff of the level above may do this";
    NotOnSpotReporter => "只有上报该诉求的网格员可以就地解决", "Only the grid worker who reported the issue may resolve it on the spot";
    SystemOnly => "超期预警由系统自动生成", "Only the system marks an issue overdue";
    NotTaskIssuer => "只有下达任务的单位可以审核完成情况", "Only the unit that issued the task may review its reports";
    TagsNotAllVisible => "您看不到该户的全部标签，不能修改标签，请联系网格员或乡镇干部", "You cannot see all of this household's tags, so you cannot change them; ask the grid worker or township staff";
});

labels!(RejectCode {
    Conflict => "与服务器上已有的记录重复或冲突", "It conflicts with a record already on the server";
    OutOfScope => "该记录已不在您的管辖范围内", "The record is no longer in your area";
    IllegalTransition => "办理状态已被他人改变，这一步已不能进行", "Someone else changed the record first; this step is no longer possible";
    NotPermitted => "您的账号无权进行这项操作", "Your account may not do this";
    InvalidInput => "提交的内容不完整或有误", "Something in it is missing or wrong";
    UnknownReference => "涉及的住户、诉求或指令在服务器上不存在", "A household, issue or directive it refers to does not exist on the server";
    ActorMismatch => "该操作不是用当前账号做出的", "It was made under another account";
    ImpossibleTime => "记录的时间不合理：早于所依据的事项，或晚于当前时间", "Its time is impossible: before what it follows, or in the future";
});

/// What the user should do about an operation the server refused (kept in quarantine, never dropped).
pub fn reject_next_step(code: RejectCode, locale: Locale) -> &'static str {
    match code {
        RejectCode::Conflict => locale.pick("无需重复提交；请刷新后查看最新记录", "No need to resend: refresh to see the latest record"),
        RejectCode::OutOfScope | RejectCode::NotPermitted | RejectCode::ActorMismatch => locale.pick(
            "请联系乡镇或县里的系统管理员核实账号和辖区",
            "Ask your township or county administrator to check your account and area",
        ),
        RejectCode::IllegalTransition => locale.pick("请刷新后查看最新状态，按需重新办理", "Refresh to see the latest state and redo the step if still needed"),
        RejectCode::InvalidInput => locale.pick("请检查内容后重新填写提交", "Check the content and submit it again"),
        RejectCode::ImpossibleTime => {
            locale.pick("请把手机时间设为自动（网络时间）后重新办理", "Set the phone's clock to automatic (network time), then redo the step")
        }
        RejectCode::UnknownReference => {
            locale.pick("请先同步以获取最新数据，再重新办理", "Sync to get the latest data, then redo the step")
        }
    }
}

/// What the user should do when a denial stops them.
pub fn denial_next_step(locale: Locale) -> &'static str {
    locale.pick("如需办理，请联系有权限的干部", "Ask someone who is allowed to do it")
}

/// The kind of a queued operation (`OpBody::kind`) as the quarantine list names it; unknown kinds (from a
/// newer release) get a general word.
pub fn op_kind_label(kind: &str, locale: Locale) -> &'static str {
    match kind {
        "issue_event" => locale.pick("诉求办理", "Issue step"),
        "visit_recorded" => locale.pick("入户走访", "Visit"),
        "directive_issued" => locale.pick("下达指令", "Directive"),
        "node_acknowledged" => locale.pick("指令签收", "Directive acknowledgement"),
        "directive_relayed" => locale.pick("指令转发", "Directive relay"),
        "household_acknowledged" => locale.pick("住户告知登记", "Household acknowledgement"),
        "household_edited" => locale.pick("住户信息更正", "Household correction"),
        "task_reported" => locale.pick("任务完成情况", "Task completion report"),
        "directive_reminded" => locale.pick("指令催办", "Directive reminder"),
        "task_report_reviewed" => locale.pick("任务完成情况审核", "Task report review"),
        "form_response_submitted" => locale.pick("问卷答卷", "Form response"),
        "form_published" => locale.pick("问卷发布", "Form published"),
        "form_retired" => locale.pick("问卷停用", "Form retired"),
        _ => locale.pick("操作", "Operation"),
    }
}

/// What the visitor should do about a verdict, shown under it on the visit form (live preview and result).
pub fn verdict_advice(v: OnSiteVerdict, locale: Locale) -> &'static str {
    match v {
        OnSiteVerdict::OnSite => locale.pick("已在住户附近，可以保存走访", "You are at the household; the visit can be saved"),
        OnSiteVerdict::TooFar => locale.pick(
            "离住户较远，请到户后再保存；如确实无法到户，请在民情日记中说明",
            "Far from the household: save once you are there, or say why in the notes",
        ),
        OnSiteVerdict::PoorFix => locale.pick("定位精度不够，请到室外开阔处稍等片刻", "The GPS fix is imprecise: step outside and wait a moment"),
        OnSiteVerdict::NoFix => locale.pick("尚未定位，请打开定位服务并稍候", "No position yet: turn on location and wait a moment"),
        OnSiteVerdict::Mocked => locale.pick("检测到虚拟定位，请关闭模拟定位软件后重新定位", "Mock location detected: turn off the mock-location app and try again"),
        OnSiteVerdict::NoReference => locale.pick(
            "该户尚未标注位置，走访照常保存，但不计为在现场",
            "The household has no location on file: the visit is saved but not counted as on site",
        ),
        OnSiteVerdict::StaleFix => locale.pick(
            "定位是旧的（早于本次走访或已超过时限），正在重新定位，请稍候",
            "The position is old (from before this visit or past the time limit): waiting for a fresh fix",
        ),
    }
}

/// The user id of steps the server takes itself (超期预警, `mark_overdue`).
pub const SYSTEM_ACTOR_ID: &str = "system";

/// Who took an issue's step, as every screen names it: the person's name (`name`: the phone's own record of
/// the person, else the name the event carries), the system for the server's own steps, else the actor's
/// role (`县级干部`) — never a user id, which means nothing to a reader.
/// With no role known either, a generic 工作人员.
pub fn actor_label(actor_id: &str, name: Option<&str>, role: Option<Role>, locale: Locale) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        _ if actor_id == SYSTEM_ACTOR_ID => locale.pick("系统", "System").to_string(),
        Some(n) => n.to_string(),
        None => role.map_or_else(|| locale.pick("工作人员", "Staff member"), |r| r.label(locale)).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name when one is known, the system for its own steps, the role otherwise; the id never.
    #[test]
    fn actors_are_named_never_by_id() {
        let county = Some(Role::CountyStaff);
        assert_eq!(actor_label("cs", Some("张三"), county, Locale::ZhCn), "张三");
        assert_eq!(actor_label("cs", None, county, Locale::ZhCn), "县级干部");
        assert_eq!(actor_label("cs", Some("  "), county, Locale::ZhCn), "县级干部");
        assert_eq!(actor_label("lh", None, None, Locale::ZhCn), "工作人员");
        assert_eq!(actor_label(SYSTEM_ACTOR_ID, None, Some(Role::TownshipStaff), Locale::ZhCn), "系统");
        assert_eq!(actor_label("cs", None, county, Locale::En), "County staff");
    }

    #[test]
    fn chinese_first_english_fallback() {
        assert_eq!(IssueState::Closed.label(Locale::from_tag("zh-CN")), "结案");
        assert_eq!(IssueState::Closed.label(Locale::from_tag("en-US")), "Closed");
        assert_eq!(IssueCategory::ForestFire.label(Locale::ZhCn), "护林防火");
    }

    /// Every reject code and denial reads as plain Chinese with an English fallback, and says what to do.
    #[test]
    fn every_reject_code_and_denial_has_words_and_a_next_step() {
        let chinese = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for code in RejectCode::ALL {
            assert!(chinese(code.label(Locale::ZhCn)), "{code:?}");
            assert!(chinese(reject_next_step(code, Locale::ZhCn)), "{code:?}");
            assert!(!code.label(Locale::En).is_empty() && !chinese(code.label(Locale::En)));
            assert!(!reject_next_step(code, Locale::En).is_empty());
        }
        for d in Denial::ALL {
            assert!(chinese(d.label(Locale::ZhCn)), "{d:?}");
            assert!(!chinese(d.label(Locale::En)));
        }
        for v in [OnSiteVerdict::OnSite, OnSiteVerdict::TooFar, OnSiteVerdict::PoorFix, OnSiteVerdict::NoFix, OnSiteVerdict::Mocked, OnSiteVerdict::NoReference, OnSiteVerdict::StaleFix] {
            assert!(chinese(verdict_advice(v, Locale::ZhCn)) && chinese(v.label(Locale::ZhCn)), "{v:?}");
        }
        assert_eq!(op_kind_label("visit_recorded", Locale::ZhCn), "入户走访");
        assert_eq!(op_kind_label("from_the_future", Locale::ZhCn), "操作");
    }
}
