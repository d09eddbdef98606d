//! What the shells need to draw an issue's action buttons and dialogs, the queue's filter chips and the
//! role's screens (可办事项) — all decided here from the shared rules (`protocol::rules::lifecycle::needs`,
//! `protocol::rules::scope::capabilities`), so the Kotlin and Swift shells keep no table of their own. The
//! shells fill an [`ActionForm`] and the core builds the command, refusing a missing part as `InvalidInput`.

use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::model::{IssueActionKind, IssueState, Role, Satisfaction, SupervisionLevel};
use linkage_protocol::rules::lifecycle::{self, ChoiceNeed};
use linkage_protocol::rules::scope::{self, HomeScreen};
use linkage_protocol::wire::{from_unit_name, unit_name};

use crate::api::IssueCommand;
use crate::error::{Error, Result};
use crate::store::DraftKind;

/// Whether a dialog asks for free text, and whether it may stay empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TextNeed {
    None,
    Optional,
    Required,
}

/// One option of an action's choice (satisfaction, supervision level, decision).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ActionChoice {
    /// Stable id to put into `ActionForm.choice` (`satisfied`, `red`, `approve`, ...).
    pub id: String,
    pub label: String,
}

/// One button of the issue page and everything its dialog asks for, in the display language.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ActionSpec {
    pub kind: IssueActionKind,
    /// The button's words (受理, 交办, ...).
    pub label: String,
    /// Free text: none, optional or required; its field label (原因 / 说明) and length limit.
    pub text: TextNeed,
    pub text_label: String,
    pub max_text_chars: u32,
    /// Photos the dialog takes (both 0: no camera button).
    pub min_photos: u32,
    pub max_photos: u32,
    /// Working days (申请延期): the inclusive range, and the field label.
    pub min_days: Option<u32>,
    pub max_days: Option<u32>,
    pub days_label: String,
    /// One choice to pick (empty: none), and its label (群众满意度, 督办级别, 审批意见).
    pub choices: Vec<ActionChoice>,
    pub choice_label: String,
    /// 交办: a person picked from the people in scope who may take the issue (the people picker), put into
    /// `ActionForm.person_id`.
    pub needs_person: bool,
    pub person_label: String,
    /// 合并: another issue picked (its id into `ActionForm.other_issue_id`).
    pub needs_other_issue: bool,
    pub other_issue_label: String,
    /// True when the action takes nothing: the shell may send it on a tap (after a confirmation).
    pub immediate: bool,
    /// Set for the actions filled in as a draft form the core keeps as the user types (办结 → `Resolution`,
    /// 回访 → `Verification`): the shell opens `start_action_draft(issue, kind)` instead of a dialog.
    pub draft: Option<DraftKind>,
}

/// What the user filled into an action's dialog. Unused parts are ignored.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct ActionForm {
    #[uniffi(default = "")]
    pub text: String,
    #[uniffi(default = [])]
    pub evidence: Vec<String>,
    #[uniffi(default = None)]
    pub working_days: Option<u32>,
    /// The picked `ActionChoice.id`.
    #[uniffi(default = None)]
    pub choice: Option<String>,
    #[uniffi(default = None)]
    pub person_id: Option<String>,
    #[uniffi(default = None)]
    pub other_issue_id: Option<String>,
}

/// The triage queue's filter chips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IssueFilter {
    /// 未结案: every state still being worked on (verification included).
    Open,
    /// 待受理: reported, not yet accepted.
    New,
    /// 待回访: resolved, waiting for the return visit.
    ToVerify,
    /// 超期: open and past its deadline.
    Overdue,
    /// 全部.
    All,
}

impl IssueFilter {
    /// Every filter, in chip order.
    pub const ALL: [IssueFilter; 5] = [IssueFilter::Open, IssueFilter::New, IssueFilter::ToVerify, IssueFilter::Overdue, IssueFilter::All];

    /// The states the filter lists (empty: every state).
    pub fn states(self) -> Vec<IssueState> {
        use IssueState::*;
        match self {
            IssueFilter::Open | IssueFilter::Overdue => vec![Reported, Accepted, Assigned, InProgress, Resolved],
            IssueFilter::New => vec![Reported],
            IssueFilter::ToVerify => vec![Resolved],
            IssueFilter::All => vec![],
        }
    }

    /// Whether only issues past their deadline are listed.
    pub fn overdue_only(self) -> bool {
        self == IssueFilter::Overdue
    }

    pub fn label(self, l: Locale) -> &'static str {
        match self {
            IssueFilter::Open => l.pick("未结案", "Open"),
            IssueFilter::New => l.pick("待受理", "To accept"),
            IssueFilter::ToVerify => l.pick("待回访", "To verify"),
            IssueFilter::Overdue => l.pick("超期", "Overdue"),
            IssueFilter::All => l.pick("全部", "All"),
        }
    }
}

/// A filter chip: the filter and its words.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IssueFilterSpec {
    pub filter: IssueFilter,
    pub label: String,
}

/// The first screen of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Home {
    /// 网格员: today's visits, assigned issues, directives to sign.
    Today,
    /// 联户长: my group's households, directives, my reports.
    Liaison,
    /// 乡镇/县级干部: the triage queue.
    Triage,
    /// 支部书记: the branch's own queue (issues landing at the village, `issue_queue`) and the issues the
    /// township gave the secretary to work (`assigned_to_me`); directives in the inbox (ADR 0008).
    Branch,
}

/// What the signed-in user may do at all: which screens and buttons the shells show (each step is still
/// checked by its rule when taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Capabilities {
    pub home: Home,
    /// The report form offers 就地解决 (a grid worker reporting an issue already solved).
    pub resolve_on_spot: bool,
    /// The directive inbox (every role: 签收, 转发 where the rules allow; the county sees its own directives
    /// there with their coverage).
    pub directive_inbox: bool,
    /// The directive page lists households to record their acknowledgement (入户/电话/当面).
    pub record_household_acks: bool,
    /// The directive composer and the coverage per level (county, township, and a branch for its groups).
    pub issue_directives: bool,
    /// The triage queue (受理, 交办, ...).
    pub triage: bool,
}

/// The capabilities of `role`.
pub fn capabilities(role: Role) -> Capabilities {
    let c = scope::capabilities(role);
    Capabilities {
        home: match c.home {
            HomeScreen::Today => Home::Today,
            HomeScreen::Liaison => Home::Liaison,
            HomeScreen::Triage => Home::Triage,
            HomeScreen::Branch => Home::Branch,
        },
        resolve_on_spot: c.resolve_on_spot,
        directive_inbox: c.directive_inbox,
        record_household_acks: c.record_household_acks,
        issue_directives: c.issue_directives,
        triage: c.triage,
    }
}

const APPROVE: &str = "approve";
const DENY: &str = "deny";

fn choices(need: ChoiceNeed, l: Locale) -> (Vec<ActionChoice>, &'static str) {
    let choice = |id: String, label: &str| ActionChoice { id, label: label.into() };
    match need {
        ChoiceNeed::Satisfaction => (
            [Satisfaction::Satisfied, Satisfaction::BasicallySatisfied, Satisfaction::Dissatisfied]
                .iter()
                .map(|s| choice(unit_name(s), s.label(l)))
                .collect(),
            l.pick("群众满意度", "Resident's satisfaction"),
        ),
        ChoiceNeed::SupervisionLevel => (
            [SupervisionLevel::Normal, SupervisionLevel::Yellow, SupervisionLevel::Red]
                .iter()
                .map(|s| choice(unit_name(s), s.label(l)))
                .collect(),
            l.pick("督办级别", "Supervision level"),
        ),
        ChoiceNeed::Decision => (
            vec![choice(APPROVE.into(), l.pick("同意延期", "Approve")), choice(DENY.into(), l.pick("不同意", "Deny"))],
            l.pick("审批意见", "Decision"),
        ),
    }
}

/// The spec of one action in the display language.
pub fn spec(kind: IssueActionKind, l: Locale) -> ActionSpec {
    let n = lifecycle::needs(kind);
    let (choices, choice_label) = n.choice.map_or((Vec::new(), ""), |c| choices(c, l));
    let text_label = match n.text_field {
        Some("reason") => l.pick("原因", "Reason"),
        Some(_) if kind == IssueActionKind::Resolve || kind == IssueActionKind::ResolveOnSpot => l.pick("办理情况", "What was done"),
        Some(_) => l.pick("说明", "Note"),
        None => "",
    };
    ActionSpec {
        kind,
        label: kind.label(l).into(),
        text: match n.text {
            lifecycle::TextNeed::None => TextNeed::None,
            lifecycle::TextNeed::Optional => TextNeed::Optional,
            lifecycle::TextNeed::Required => TextNeed::Required,
        },
        text_label: text_label.into(),
        max_text_chars: n.max_text_chars as u32,
        min_photos: n.min_photos,
        max_photos: n.max_photos,
        min_days: n.days.map(|d| d.0),
        max_days: n.days.map(|d| d.1),
        days_label: if n.days.is_some() { l.pick("延期天数（工作日）", "Extra working days").into() } else { String::new() },
        choices,
        choice_label: choice_label.into(),
        needs_person: n.person,
        person_label: if n.person { l.pick("交办给", "Assign to").into() } else { String::new() },
        needs_other_issue: n.other_issue,
        other_issue_label: if n.other_issue { l.pick("合并到", "Merge into").into() } else { String::new() },
        immediate: n.text == lifecycle::TextNeed::None && n.choice.is_none() && !n.person && !n.other_issue && n.days.is_none(),
        draft: DraftKind::for_action(kind),
    }
}

/// The button specs for the actions the rules allow now (never 上报, 就地解决 or 超期预警).
pub fn button_specs(allowed: &[IssueActionKind], l: Locale) -> Vec<ActionSpec> {
    allowed.iter().copied().filter(|k| lifecycle::is_button(*k)).map(|k| spec(k, l)).collect()
}

fn required(field: &'static str, what: &str) -> Error {
    Error::invalid(field, format!("choose {what}"))
}

/// The command for an action and its filled dialog. A missing choice, person, issue or day count is
/// `InvalidInput` naming the field; text, photos and ranges are checked by the shared payload rules.
pub fn command(kind: IssueActionKind, form: ActionForm) -> Result<IssueCommand> {
    let choice = form.choice.as_deref();
    Ok(match kind {
        IssueActionKind::Accept => IssueCommand::Accept,
        IssueActionKind::Start => IssueCommand::Start,
        IssueActionKind::Resume => IssueCommand::Resume,
        IssueActionKind::Reject => IssueCommand::Reject { reason: form.text },
        IssueActionKind::Escalate => IssueCommand::Escalate { reason: form.text },
        IssueActionKind::Suspend => IssueCommand::Suspend { reason: form.text },
        IssueActionKind::Resolve => IssueCommand::Resolve { note: form.text, evidence: form.evidence },
        IssueActionKind::Assign => IssueCommand::Assign {
            assignee_id: form.person_id.filter(|p| !p.trim().is_empty()).ok_or_else(|| required("assignee_id", "a person"))?,
        },
        IssueActionKind::Merge => IssueCommand::Merge {
            into_issue_id: form
                .other_issue_id
                .filter(|p| !p.trim().is_empty())
                .ok_or_else(|| required("into_issue_id", "an issue"))?,
        },
        IssueActionKind::Verify => IssueCommand::Verify {
            satisfaction: choice.and_then(from_unit_name).ok_or_else(|| required("satisfaction", "a satisfaction"))?,
            note: form.text,
        },
        IssueActionKind::Supervise => IssueCommand::Supervise {
            level: choice.and_then(from_unit_name).ok_or_else(|| required("level", "a level"))?,
            note: form.text,
        },
        IssueActionKind::DecideExtension => IssueCommand::DecideExtension {
            approved: match choice {
                Some(APPROVE) => true,
                Some(DENY) => false,
                _ => return Err(required("approved", "approve or deny")),
            },
            note: form.text,
        },
        IssueActionKind::RequestExtension => IssueCommand::RequestExtension {
            working_days: form.working_days.ok_or_else(|| required("working_days", "a number of working days"))?,
            reason: form.text,
        },
        IssueActionKind::Report | IssueActionKind::ResolveOnSpot | IssueActionKind::MarkOverdue | IssueActionKind::Join => {
            return Err(Error::invalid("action", "taken on the report form or by the server, never on an issue's page"));
        }
    })
}

/// The filter chips in the display language.
pub fn filters(l: Locale) -> Vec<IssueFilterSpec> {
    IssueFilter::ALL.iter().map(|&filter| IssueFilterSpec { filter, label: filter.label(l).into() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_spec_whose_form_builds_its_command() {
        for kind in IssueActionKind::ON_EXISTING {
            let s = spec(kind, Locale::ZhCn);
            assert!(!s.label.is_empty());
            if !lifecycle::is_button(kind) {
                assert!(command(kind, ActionForm::default()).is_err());
                continue;
            }
            // A form filled as the spec says builds a command; each missing pick is refused with its field.
            let form = ActionForm {
                text: "说明".into(),
                working_days: s.min_days,
                choice: s.choices.first().map(|c| c.id.clone()),
                person_id: s.needs_person.then(|| "gw".into()),
                other_issue_id: s.needs_other_issue.then(|| "i2".into()),
                evidence: vec![],
            };
            assert!(command(kind, form.clone()).is_ok(), "{kind:?}");
            for (missing, field) in [
                (ActionForm { choice: None, ..form.clone() }, !s.choices.is_empty()),
                (ActionForm { person_id: Some(" ".into()), ..form.clone() }, s.needs_person),
                (ActionForm { other_issue_id: None, ..form.clone() }, s.needs_other_issue),
                (ActionForm { working_days: None, ..form.clone() }, s.min_days.is_some()),
            ] {
                assert_eq!(matches!(command(kind, missing), Err(Error::Field(_))), field, "{kind:?}");
            }
            assert_eq!(s.immediate, matches!(kind, IssueActionKind::Accept | IssueActionKind::Start | IssueActionKind::Resume));
        }
        let verify = spec(IssueActionKind::Verify, Locale::ZhCn);
        assert_eq!(verify.choices.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(), ["满意", "基本满意", "不满意"]);
        assert_eq!((verify.choice_label.as_str(), verify.text), ("群众满意度", TextNeed::Optional));
        assert_eq!(verify.draft, Some(DraftKind::Verification));
        assert_eq!(spec(IssueActionKind::Resolve, Locale::ZhCn).draft, Some(DraftKind::Resolution));
        assert_eq!(spec(IssueActionKind::Assign, Locale::ZhCn).draft, None);
        let ext = spec(IssueActionKind::RequestExtension, Locale::ZhCn);
        assert_eq!((ext.min_days, ext.max_days, ext.text), (Some(1), Some(30), TextNeed::Required));
        let assign = spec(IssueActionKind::Assign, Locale::ZhCn);
        assert!(assign.needs_person && assign.person_label == "交办给");
        let on_spot = spec(IssueActionKind::ResolveOnSpot, Locale::ZhCn);
        assert_eq!((on_spot.min_photos, on_spot.max_photos), (1, 20));
        assert!(matches!(
            command(IssueActionKind::Verify, ActionForm { choice: Some("thrilled".into()), ..Default::default() }),
            Err(Error::Field(f)) if f.field == "satisfaction"
        ));
        assert_eq!(
            command(IssueActionKind::DecideExtension, ActionForm { choice: Some("deny".into()), text: "尽快".into(), ..Default::default() }).unwrap(),
            IssueCommand::DecideExtension { approved: false, note: "尽快".into() }
        );
    }

    #[test]
    fn filters_and_buttons() {
        let f = filters(Locale::ZhCn);
        assert_eq!(f.iter().map(|x| x.label.as_str()).collect::<Vec<_>>(), ["未结案", "待受理", "待回访", "超期", "全部"]);
        assert_eq!(IssueFilter::ToVerify.states(), [IssueState::Resolved]);
        let b = button_specs(&[IssueActionKind::Accept, IssueActionKind::ResolveOnSpot, IssueActionKind::MarkOverdue], Locale::En);
        assert_eq!(b.iter().map(|s| s.kind).collect::<Vec<_>>(), [IssueActionKind::Accept]);
        assert_eq!(capabilities(Role::GridWorker).home, Home::Today);
        let secretary = capabilities(Role::BranchSecretary);
        assert_eq!((secretary.home, secretary.triage, secretary.issue_directives), (Home::Branch, true, true));
        assert!(secretary.directive_inbox && !secretary.resolve_on_spot && !secretary.record_household_acks);
        assert!(capabilities(Role::GridWorker).resolve_on_spot && !capabilities(Role::TownshipStaff).resolve_on_spot);
        assert!(capabilities(Role::LiaisonHead).record_household_acks && capabilities(Role::CountyStaff).directive_inbox);
        assert!(capabilities(Role::GridWorker).issue_directives && !capabilities(Role::LiaisonHead).issue_directives);
    }
}
