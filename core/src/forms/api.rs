//! The records the shells get for questionnaires and checklists (访谈问卷, 排查表): the form model a generic
//! form screen draws (the current page of questions with labels, kinds, choices, what is required and what is
//! in error, repeat instances, computed values) and the answers it hands back. Display-ready: labels and error
//! messages are plain zh-CN (English fallback); nothing here asks the shell to decide anything.

use crate::api::{EvidenceSummary, GpsFix};

/// A form this phone may fill: delivered by the sync feed, targeted to the user's node and role, not retired.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FormSummary {
    pub form_id: String,
    pub version: u32,
    /// 表单标题, e.g. "筠连县村（社区）调研问卷".
    pub title: String,
    /// How many questions it asks (notes and computed values not counted).
    pub question_count: u32,
    /// The user's open drafts of it (继续填写).
    pub open_drafts: u32,
}

/// What kind of answer a question takes; the screen picks its input from this alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum QuestionKind {
    /// Free text (文本).
    Text,
    /// A whole number, typed (整数).
    Integer,
    /// A number with decimals, typed (小数).
    Decimal,
    /// A date `YYYY-MM-DD` (日期).
    Date,
    /// One of the choices (单选): big buttons.
    SelectOne,
    /// Any of the choices (多选): big toggles.
    SelectMultiple,
    /// A GPS position captured with a button (定位).
    Geopoint,
    /// A photo through the camera and the evidence pipeline (照片).
    Image,
    /// Text to read, no answer (说明).
    Note,
    /// A value the form computes (计算): shown, never typed.
    Calculate,
}

/// One choice of a select question, with whether it is picked.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FormChoice {
    /// The choice's name in the form (what the answer stores).
    pub id: String,
    pub label: String,
    pub selected: bool,
}

/// What a row of the form screen is.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum FormItemKind {
    /// A question (or a note, or a computed value): draw the input for `kind`.
    Question { kind: QuestionKind },
    /// The heading of a group inside the page (a section).
    Section,
    /// The heading of one instance of a repeat ("家庭成员 2"), with a remove button when `can_remove`.
    RepeatInstance { index: u32, can_remove: bool },
    /// The button that adds an instance to a repeat ("添加家庭成员"); `path` names the repeat.
    RepeatAdd,
}

/// One row of the current page, in order. Questions that are not relevant now (skip logic) are left out.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FormItem {
    /// What to hand back to `set_answer` (a question), `add_repeat_instance` (a repeat) or
    /// `remove_repeat_instance` (an instance): the question's name, inside repeats with the instance
    /// (`members[2]/age`, instances counted from 1).
    pub path: String,
    pub item: FormItemKind,
    /// Nesting depth inside the page (0 = the page itself), for indenting sections and repeat instances.
    pub depth: u32,
    pub label: String,
    /// The form's hint under the label ("" when none).
    pub hint: String,
    /// Must be answered before the form can be submitted (必答).
    pub required: bool,
    /// Shown, not typed (notes, computed values).
    pub read_only: bool,
    /// The answer as the user typed it (text, number, date), the computed value, or "" when unanswered.
    pub text: String,
    /// Select questions: every choice with whether it is picked.
    pub choices: Vec<FormChoice>,
    /// Geopoint questions: the captured position, and its words ("N 28.16501 E 104.51234 ±8 米").
    pub fix: Option<GpsFix>,
    /// Image questions: the photo taken (thumbnail and file on the phone).
    pub photo: Option<EvidenceSummary>,
    /// What is wrong with the answer, in plain words ("年龄应在 0 到 120 岁之间", "此题必答"); `None` when fine.
    pub error: Option<String>,
}

/// A page of the form (a top-level group, or the questions outside groups), for the page strip.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FormPageTab {
    pub index: u32,
    pub label: String,
    /// Relevant questions on the page, and how many are answered.
    pub questions: u32,
    pub answered: u32,
    /// Answers in error on the page (missing required ones counted once a submit was refused).
    pub errors: u32,
}

/// A form being filled (a draft): everything the form screen draws.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FormModel {
    pub draft_id: String,
    pub form_id: String,
    pub version: u32,
    pub title: String,
    /// The household the form is about, and its head's name for the header ("张秀英户").
    pub household_id: Option<String>,
    pub subject_label: Option<String>,
    /// The visit the form is part of (入户走访), if any.
    pub visit_id: Option<String>,
    pub pages: Vec<FormPageTab>,
    /// The page shown (index into `pages`).
    pub page: u32,
    /// The page's rows.
    pub items: Vec<FormItem>,
    /// Answers in error in the whole form (constraint breaks, unreadable numbers or dates).
    pub errors: u32,
    /// Required questions still unanswered in the whole form (relevant ones only).
    pub missing: u32,
    /// Whether submitting now would be accepted (no error, nothing required missing).
    pub complete: bool,
    /// "还有 3 题必答未填" / "有 1 处填写有误" / "可以提交": the line above the submit button.
    pub status_text: String,
    pub started_at_ms: i64,
    pub updated_at_ms: i64,
}

/// One answer from the form screen.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum FormAnswer {
    /// Text, integer, decimal or date questions: the text as typed (the core reads the number or date, and
    /// keeps what was typed so a half-typed answer is never lost).
    Text { value: String },
    /// Select-one: the picked choice's `id`.
    Choice { id: String },
    /// Select-multiple: every picked choice's `id`.
    Choices { ids: Vec<String> },
    /// Geopoint: the fix the location button captured.
    Location { fix: GpsFix },
    /// Image: a camera file (path on the phone), taken through the evidence pipeline (resized, stamped,
    /// hashed); `fix` stamps it.
    Photo { path: String, fix: Option<GpsFix> },
    /// Clears the answer.
    Clear,
}

/// An open form draft, for "继续填写".
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FormDraftSummary {
    pub draft_id: String,
    pub form_id: String,
    pub title: String,
    /// The household's head or "" for a form about no household.
    pub subject_label: Option<String>,
    pub answered: u32,
    pub updated_at_ms: i64,
}

/// A submitted response (queued in the outbox with the same transaction).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SubmittedForm {
    pub response_id: String,
    pub form_id: String,
    pub version: u32,
    pub title: String,
    pub household_id: Option<String>,
    pub visit_id: Option<String>,
    pub answered: u32,
    pub submitted_at_ms: i64,
}
