//! Drafts through the exported object (DESIGN §11): the visit, issue report, task completion, resolution (办结)
//! and verification (回访) forms are drafts the core stores as the user types, with their photos, so the shells
//! keep no form state that a killed process could lose. The shells start or resume a draft when a form opens,
//! save every edit with `update_draft`, list `drafts()` to offer "continue", and `submit_draft` or
//! `discard_draft` when the user is done. Records here, rules in `store::drafts`.

use linkage_protocol::labels::Locale;

use linkage_protocol::wire::{from_unit_name, unit_name};

use crate::actions::{self, ActionSpec};
use crate::api::{self, DirectiveSummary, EvidenceSummary, GpsFix, IssueActionKind, IssueCategory, IssueSummary, Satisfaction, Urgency, VisitKind, VisitSummary};
use crate::error::{ApiError, Error};
use crate::facade::FieldApp;
use crate::store::{self, DraftKind};

/// What the user has typed or picked so far. Texts are kept as typed; submit trims and checks them.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct DraftFields {
    /// Visit drafts: the kind of visit.
    #[uniffi(default = None)]
    pub visit_kind: Option<VisitKind>,
    /// Issue reports: category (required to submit) and urgency.
    #[uniffi(default = None)]
    pub category: Option<IssueCategory>,
    #[uniffi(default = None)]
    pub urgency: Option<Urgency>,
    /// Issue reports: the title.
    #[uniffi(default = "")]
    pub title: String,
    /// Visit notes (民情日记), issue description, task note, resolution note or verification note.
    #[uniffi(default = "")]
    pub notes: String,
    /// The picked `ActionChoice.id` of the draft's `action` (verification: the resident's satisfaction, one
    /// of the spec's `choices`; required to submit). An id not among the choices is `InvalidInput`.
    #[uniffi(default = None)]
    pub choice: Option<String>,
    /// The latest GPS fix the form had (the visit's fix, the report's location); photos are stamped with it.
    #[uniffi(default = None)]
    pub fix: Option<GpsFix>,
    /// Issue reports of a grid worker: what was done on the spot (就地解决情况), for
    /// `submit_draft_resolved_on_spot`.
    #[uniffi(default = "")]
    pub on_spot_note: String,
}

/// A draft as the form shows it, with its photos in the order taken.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Draft {
    pub id: String,
    pub kind: DraftKind,
    /// "走访记录", "上报诉求", "任务完成情况", "办结", "回访".
    pub kind_label: String,
    pub household_id: Option<String>,
    pub node_id: Option<String>,
    pub issue_id: Option<String>,
    pub directive_id: Option<String>,
    /// What the draft is about, for the "继续填写" list: the household's head, the issue's or directive's
    /// title, or the place.
    pub subject_label: Option<String>,
    pub fields: DraftFields,
    pub photos: Vec<EvidenceSummary>,
    /// Whether the form offers a camera button (verifications take no photos).
    pub takes_photos: bool,
    /// Resolution and verification drafts: the spec of the action submitting performs (its text label and
    /// limit, photos, and the choices such as 满意 / 基本满意 / 不满意), so the form draws what the core says.
    pub action: Option<ActionSpec>,
    /// When the form was opened (a visit's start time) and last edited.
    pub started_at_ms: i64,
    pub updated_at_ms: i64,
}

/// The record a submitted draft became.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum SubmittedRecord {
    Visit { visit: VisitSummary },
    Issue { issue: IssueSummary },
    Directive { directive: DirectiveSummary },
}

fn kind_label(kind: DraftKind, l: Locale) -> String {
    let (zh, en) = match kind {
        DraftKind::Visit => ("走访记录", "Visit"),
        DraftKind::IssueReport => ("上报诉求", "Issue report"),
        DraftKind::TaskCompletion => ("任务完成情况", "Task completion"),
        DraftKind::Resolution => ("办结", "Resolution"),
        DraftKind::Verification => ("回访", "Verification"),
    };
    match l {
        Locale::ZhCn => zh.into(),
        Locale::En => en.into(),
    }
}

fn draft(d: store::DraftRow, l: Locale) -> Draft {
    Draft {
        kind_label: kind_label(d.kind, l),
        takes_photos: d.kind.takes_photos(),
        action: d.kind.action().map(|a| actions::spec(a, l)),
        subject_label: d.subject_label,
        id: d.id,
        kind: d.kind,
        household_id: d.household_id,
        node_id: d.node_id,
        issue_id: d.issue_id,
        directive_id: d.directive_id,
        fields: DraftFields {
            visit_kind: d.fields.visit_kind,
            category: d.fields.category,
            urgency: d.fields.urgency,
            title: d.fields.title,
            notes: d.fields.notes,
            choice: d.fields.satisfaction.map(|v| unit_name(&v)),
            fix: d.fields.fix,
            on_spot_note: d.fields.on_spot_note,
        },
        photos: d.photos.into_iter().map(api::evidence).collect(),
        started_at_ms: d.started_at_ms,
        updated_at_ms: d.updated_at_ms,
    }
}

fn fields_row(f: DraftFields) -> Result<store::DraftFieldsRow, Error> {
    let satisfaction = match f.choice.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(id) => Some(from_unit_name::<Satisfaction>(id).ok_or_else(|| Error::invalid("choice", "not one of the form's choices"))?),
    };
    Ok(store::DraftFieldsRow {
        visit_kind: f.visit_kind,
        category: f.category,
        urgency: f.urgency,
        title: f.title,
        notes: f.notes,
        satisfaction,
        fix: f.fix,
        on_spot_note: f.on_spot_note,
    })
}

#[uniffi::export]
impl FieldApp {
    /// Opens the visit form for a household in scope: a new draft, or the user's open draft for it (resume).
    /// `issue_id` ties the visit to an issue; `opened_at_ms` is when the form opened (the visit's start; taken
    /// within the last 10 minutes, else now). An unknown household is `NotFound` and nothing is stored.
    /// I/O: DB write. Not the UI thread.
    pub fn start_visit_draft(
        &self,
        household_id: String,
        kind: VisitKind,
        issue_id: Option<String>,
        opened_at_ms: Option<i64>,
    ) -> Result<Draft, ApiError> {
        self.with(|s, l| Ok(draft(s.start_visit_draft(&household_id, kind, issue_id.as_deref(), opened_at_ms)?, l)))
    }

    /// Opens the report form for a household (or, without one, a node such as a group's forest) in scope: a
    /// new draft or the open one. I/O: DB write.
    pub fn start_issue_draft(&self, household_id: Option<String>, node_id: Option<String>) -> Result<Draft, ApiError> {
        self.with(|s, l| Ok(draft(s.start_issue_draft(household_id.as_deref(), node_id.as_deref())?, l)))
    }

    /// Opens the completion report (任务完成情况) of a task directive my node acknowledged. I/O: DB write.
    pub fn start_task_completion_draft(&self, directive_id: String) -> Result<Draft, ApiError> {
        self.with(|s, l| Ok(draft(s.start_task_completion_draft(&directive_id)?, l)))
    }

    /// Opens the resolution form (办结, note and photos) of an issue the user may resolve now. I/O: DB write.
    pub fn start_resolution_draft(&self, issue_id: String) -> Result<Draft, ApiError> {
        self.with(|s, l| Ok(draft(s.start_issue_action_draft(&issue_id, DraftKind::Resolution)?, l)))
    }

    /// Opens the verification form (回访, satisfaction and note) of an issue the user may verify now.
    /// I/O: DB write.
    pub fn start_verification_draft(&self, issue_id: String) -> Result<Draft, ApiError> {
        self.with(|s, l| Ok(draft(s.start_issue_action_draft(&issue_id, DraftKind::Verification)?, l)))
    }

    /// Opens the draft form of an issue action whose `ActionSpec.draft` is set (办结, 回访): a new draft, or the
    /// user's open one for that issue (resume). Any other action, or one the user may not take now, is refused
    /// and nothing is stored. I/O: DB write.
    pub fn start_action_draft(&self, issue_id: String, action: IssueActionKind) -> Result<Draft, ApiError> {
        self.with(|s, l| {
            let kind = DraftKind::for_action(action).ok_or_else(|| Error::invalid("action", "this action is a dialog, not a draft form"))?;
            Ok(draft(s.start_issue_action_draft(&issue_id, kind)?, l))
        })
    }

    /// Saves the form as typed (call it on every edit; one small DB write). A text over its limit or an
    /// invalid fix is `InvalidInput` and the stored draft stays as it was.
    pub fn update_draft(&self, draft_id: String, fields: DraftFields) -> Result<Draft, ApiError> {
        self.with(|s, l| Ok(draft(s.update_draft(&draft_id, fields_row(fields)?)?, l)))
    }

    /// One of the signed-in user's drafts. I/O: DB read.
    pub fn draft(&self, draft_id: String) -> Result<Draft, ApiError> {
        self.with(|s, l| Ok(draft(s.draft(&draft_id)?, l)))
    }

    /// The signed-in user's drafts, most recently edited first ("continue where you left off").
    /// I/O: DB read.
    pub fn drafts(&self) -> Result<Vec<Draft>, ApiError> {
        self.with(|s, l| Ok(s.drafts()?.into_iter().map(|d| draft(d, l)).collect()))
    }

    /// Adds a camera file to a draft through the evidence pipeline (see `add_evidence`), stamped with `fix`
    /// or else the draft's latest fix. A submitted, discarded or unknown draft is `NotFound` and no file is
    /// stored. I/O: reads the file, writes two files and the DB (~0.1–0.2 s for 12 MP). Not the UI thread.
    pub fn add_draft_photo(&self, draft_id: String, path: String, fix: Option<GpsFix>) -> Result<Draft, ApiError> {
        self.with(|s, l| Ok(draft(s.add_draft_photo(&draft_id, std::path::Path::new(&path), fix)?, l)))
    }

    /// Takes a photo off a draft; the file is deleted unless something else uses it. I/O: DB write, files.
    pub fn remove_draft_photo(&self, draft_id: String, hash: String) -> Result<Draft, ApiError> {
        self.with(|s, l| Ok(draft(s.remove_draft_photo(&draft_id, &hash)?, l)))
    }

    /// Submits a draft: judged by the same rules as the direct calls (a refusal leaves the draft as it was);
    /// the record, its outbox operation and the draft's deletion commit in one transaction, so a kill never
    /// leaves both or neither. I/O: DB write.
    pub fn submit_draft(&self, draft_id: String) -> Result<SubmittedRecord, ApiError> {
        self.with(|s, l| {
            Ok(match s.submit_draft(&draft_id)? {
                store::DraftSubmitted::Visit(v) => SubmittedRecord::Visit { visit: api::visit(v, l) },
                store::DraftSubmitted::Issue(i) => SubmittedRecord::Issue { issue: api::issue(*i, l) },
                store::DraftSubmitted::Directive(d) => SubmittedRecord::Directive { directive: api::directive(d, l) },
            })
        })
    }

    /// 就地解决 from an issue report draft (grid workers, `Capabilities.resolve_on_spot`): the report, its
    /// on-the-spot resolution with the draft's photos and `on_spot_note`, and the draft's deletion commit in
    /// one transaction — a kill or a retry never makes two issues (the draft's id is the report's op id). A
    /// refusal leaves the draft as it was. I/O: DB write.
    pub fn submit_draft_resolved_on_spot(&self, draft_id: String) -> Result<IssueSummary, ApiError> {
        self.with(|s, l| Ok(api::issue(s.submit_draft_resolved_on_spot(&draft_id)?, l)))
    }

    /// The form is closing (the user went back): a draft with nothing typed, picked or photographed is
    /// deleted, so the "继续填写" list holds only real work; returns whether the draft was kept. I/O: DB.
    pub fn close_draft(&self, draft_id: String) -> Result<bool, ApiError> {
        self.with(|s, _| s.close_draft(&draft_id))
    }

    /// Discards a draft and deletes the photos only it used. I/O: DB write, files.
    pub fn discard_draft(&self, draft_id: String) -> Result<(), ApiError> {
        self.with(|s, _| s.discard_draft(&draft_id))
    }
}
