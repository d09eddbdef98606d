//! Display labels: zh-CN first, English as the fallback. Kept in the core so the Kotlin and Swift shells
//! show the same words without each keeping its own table.

use crate::model::*;
use crate::rules::sla::Light;

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

    fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
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
});
labels!(SupervisionLevel { Normal => "普通督办", "Supervised"; Yellow => "黄牌督办", "Yellow card"; Red => "红牌督办", "Red card"; });
labels!(OnSiteVerdict {
    OnSite => "在现场", "On site"; TooFar => "距离过远", "Too far"; PoorFix => "定位精度差", "Poor GPS fix";
    NoFix => "无定位", "No GPS fix"; Mocked => "疑似虚拟定位", "Mock location"; NoReference => "住户未标注位置", "Household not located";
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
});
labels!(OrgLevel {
    County => "县", "County"; Township => "乡镇", "Township"; Branch => "村党支部", "Village branch";
    Group => "村民小组", "Villager group"; Household => "户", "Household";
});
labels!(RiskLevel { Low => "低风险", "Low risk"; Medium => "中风险", "Medium risk"; High => "高风险", "High risk"; });
labels!(Light { Green => "正常", "On time"; Yellow => "临期", "Due soon"; Red => "超期", "Overdue"; None => "", ""; });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_first_english_fallback() {
        assert_eq!(IssueState::Closed.label(Locale::from_tag("zh-CN")), "结案");
        assert_eq!(IssueState::Closed.label(Locale::from_tag("en-US")), "Closed");
        assert_eq!(IssueCategory::ForestFire.label(Locale::ZhCn), "护林防火");
    }
}
