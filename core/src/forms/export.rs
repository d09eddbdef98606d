//! The form calls of `FieldApp` (问卷, 排查表). Each returns display-ready records; rules and evaluation stay
//! in the core. Every call does blocking disk I/O: call it from a background dispatcher, never the UI thread.

use super::api::{FormAnswer, FormDraftSummary, FormModel, FormSummary, SubmittedForm};
use crate::error::ApiError;
use crate::facade::FieldApp;

#[uniffi::export]
impl FieldApp {
    /// The forms the signed-in user may fill now: delivered by the sync feed, targeted to the user's node and
    /// role, the newest version that is not retired, with the user's open drafts of each. I/O: DB read.
    pub fn forms(&self) -> Result<Vec<FormSummary>, ApiError> {
        self.with(|s, l| s.forms(l))
    }

    /// Loads form definitions from a JSON file (one definition, or an array of them) as the sync feed would
    /// deliver them: for a form handed over outside sync, and tests. A definition that does not compile is
    /// refused whole with the reason (nothing stored). Returns how many were new. I/O: reads the file, DB write.
    pub fn load_forms(&self, path: String) -> Result<u32, ApiError> {
        let json = std::fs::read_to_string(&path).map_err(|e| ApiError::InvalidInput {
            field: "path".into(),
            reason: format!("cannot read the form file: {}", e.kind()),
        })?;
        self.with(|s, _| {
            let defs: Vec<linkage_protocol::forms::FormDef> = match serde_json::from_str(&json) {
                Ok(list) => list,
                Err(_) => vec![serde_json::from_str(&json)?],
            };
            let mut new = 0;
            for def in &defs {
                new += u32::from(s.receive_form(def)?);
            }
            Ok(new)
        })
    }

    /// Opens a form: a new draft of its newest version, or the user's open draft of it for the same household,
    /// node and visit (resume). `household_id`: the household it is about (in scope, and one the form
    /// targets); else `node_id`: the place surveyed (a village, in scope; default the user's own node);
    /// `visit_id`: a saved visit it is part of (入户走访; its household is taken). An unknown, retired or
    /// untargeted form is `NotFound`; nothing is stored on a refusal. I/O: DB write.
    pub fn start_form_draft(
        &self,
        form_id: String,
        household_id: Option<String>,
        node_id: Option<String>,
        visit_id: Option<String>,
    ) -> Result<FormModel, ApiError> {
        self.with(|s, l| s.start_form_draft(&form_id, household_id.as_deref(), node_id.as_deref(), visit_id.as_deref(), l))
    }

    /// A draft's model on its saved page (after a restart: exactly where the user was). I/O: DB read (the
    /// first call after a restart reads the draft's answers and evaluates the form, ~ms).
    pub fn form_draft(&self, draft_id: String) -> Result<FormModel, ApiError> {
        self.with(|s, l| s.form_model(&draft_id, None, l))
    }

    /// Goes to page `page` of the draft (index into `FormModel.pages`); the page is saved. I/O: DB write.
    pub fn form_draft_page(&self, draft_id: String, page: u32) -> Result<FormModel, ApiError> {
        self.with(|s, l| s.form_model(&draft_id, Some(page), l))
    }

    /// Takes one answer for the question at `path` (`FormItem.path`) and returns the updated model of its
    /// page: skip logic, calculations and errors re-evaluated by the core. The answer is stored before this
    /// returns (one small write), so a killed app keeps it. Refused with `InvalidInput` and nothing stored:
    /// a question not shown now, a wrong kind of answer, a choice not in the list, an invalid fix, a photo the
    /// pipeline rejects (`BadPhoto`). A constraint break is stored and shown as the question's `error`.
    /// I/O: DB write; a photo is read, processed and written (~0.1–0.2 s for 12 MP). Not the UI thread.
    pub fn set_answer(&self, draft_id: String, path: String, answer: FormAnswer) -> Result<FormModel, ApiError> {
        self.with(|s, l| s.set_form_answer(&draft_id, &path, answer, l))
    }

    /// Adds an entry at the end of the repeat at `path` (the `RepeatAdd` row's path). Refused past the
    /// repeat's maximum. I/O: DB write.
    pub fn add_repeat_instance(&self, draft_id: String, path: String) -> Result<FormModel, ApiError> {
        self.with(|s, l| s.add_form_instance(&draft_id, &path, l))
    }

    /// Removes the repeat entry at `path` (a `RepeatInstance` row's path, e.g. `members[2]`) with its
    /// answers; later entries move up. I/O: DB write.
    pub fn remove_repeat_instance(&self, draft_id: String, path: String) -> Result<FormModel, ApiError> {
        self.with(|s, l| s.remove_form_instance(&draft_id, &path, l))
    }

    /// Submits the draft: validated whole by the same rules the server judges it by. Refused (a required
    /// answer missing, an answer in error, a retired form version): `InvalidInput` naming the first problem,
    /// nothing submitted, and the draft's model from then on shows every missing answer on the page of the
    /// first one. Accepted: the response, its outbox operation and the draft's deletion commit in one
    /// transaction (a retry finds no draft: `NotFound`). I/O: DB write.
    pub fn submit_form(&self, draft_id: String) -> Result<SubmittedForm, ApiError> {
        self.with(|s, l| s.submit_form(&draft_id, l))
    }

    /// The user's unfinished forms, most recently edited first (继续填写). I/O: DB read.
    pub fn form_drafts(&self) -> Result<Vec<FormDraftSummary>, ApiError> {
        self.with(|s, l| s.form_drafts(l))
    }

    /// Discards a draft, its answers and the photos only it used. I/O: DB write, files.
    pub fn discard_form_draft(&self, draft_id: String) -> Result<(), ApiError> {
        self.with(|s, _| s.discard_form_draft(&draft_id))
    }
}
