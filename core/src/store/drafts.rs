//! Drafts (草稿) of the forms a user fills in — a visit, an issue report, a task completion, a resolution
//! (办结) or a verification (回访) — stored as the user types, so a killed app loses nothing (as ODK Collect
//! saves a form in progress). A draft's photos go through the evidence pipeline and are linked to it
//! (`evidence_refs` kind `draft`). Submitting runs the same rules as the direct calls and turns the draft into
//! its record in ONE transaction: the record, its outbox operation and the draft's deletion commit together,
//! so a kill at any moment leaves either the draft or the record, never both or neither. Discarding deletes the
//! draft and the photos no other record uses.

use linkage_protocol::model::{GpsFix, IssueCategory, Satisfaction, Urgency, VisitKind};
use linkage_protocol::rules::geo;
use linkage_protocol::validate::limits;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{enum_str, new_id, parse_enum, DirectiveRow, EvidenceRow, EvidenceTarget, IssueCommand, IssueInput, IssueRow, Store, VisitInput, VisitRow};
use crate::api::IssueActionKind;
use crate::error::{Error, Result};
use crate::observe::{ChangeTopic, Topics};

/// Which form a draft is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum DraftKind {
    /// 入户走访: a visit to a household.
    Visit,
    /// 上报诉求: an issue report about a household or a place.
    IssueReport,
    /// 任务完成情况: the completion report of a task directive.
    TaskCompletion,
    /// 办结: resolving an issue, with a note and photos.
    Resolution,
    /// 回访: verifying a resolved issue with the resident's satisfaction.
    Verification,
}

impl DraftKind {
    /// Whether this form takes photos.
    pub fn takes_photos(self) -> bool {
        !matches!(self, DraftKind::Verification)
    }

    /// The draft form an issue action is filled in (办结 → resolution, 回访 → verification); the other actions
    /// are a dialog sent at once.
    pub fn for_action(action: IssueActionKind) -> Option<DraftKind> {
        match action {
            IssueActionKind::Resolve => Some(DraftKind::Resolution),
            IssueActionKind::Verify => Some(DraftKind::Verification),
            _ => None,
        }
    }

    /// The issue action a submitted draft of this kind performs.
    pub fn action(self) -> Option<IssueActionKind> {
        match self {
            DraftKind::Resolution => Some(IssueActionKind::Resolve),
            DraftKind::Verification => Some(IssueActionKind::Verify),
            _ => None,
        }
    }
}

/// What the user has typed or picked so far. Texts are kept as typed (trimmed and fully checked on submit).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftFieldsRow {
    pub visit_kind: Option<VisitKind>,
    pub category: Option<IssueCategory>,
    pub urgency: Option<Urgency>,
    pub title: String,
    /// Visit notes (民情日记), issue description, task note, resolution note or verification note.
    pub notes: String,
    pub satisfaction: Option<Satisfaction>,
    /// The latest GPS fix the form had (the visit's fix, the report's location).
    pub fix: Option<GpsFix>,
    /// Issue reports by a grid worker: what was done on the spot (就地解决情况), saved as typed like the rest.
    pub on_spot_note: String,
}

impl DraftFieldsRow {
    /// Nothing typed, picked or photographed by the user: the defaults a form fills in by itself (visit kind,
    /// category, urgency, the GPS fix) do not count.
    fn is_blank(&self) -> bool {
        self.title.trim().is_empty() && self.notes.trim().is_empty() && self.on_spot_note.trim().is_empty() && self.satisfaction.is_none()
    }
}

/// What a draft is about; fixed when it starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Subject {
    household_id: Option<String>,
    node_id: Option<String>,
    issue_id: Option<String>,
    directive_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    subject: Subject,
    fields: DraftFieldsRow,
}

/// A stored draft with its photos.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftRow {
    pub id: String,
    pub kind: DraftKind,
    pub household_id: Option<String>,
    pub node_id: Option<String>,
    pub issue_id: Option<String>,
    pub directive_id: Option<String>,
    /// What the draft is about in words: the household's head, the issue's or directive's title, the place.
    pub subject_label: Option<String>,
    pub fields: DraftFieldsRow,
    /// Photos in the order they were taken.
    pub photos: Vec<EvidenceRow>,
    pub started_at_ms: i64,
    pub updated_at_ms: i64,
}

/// The record a submitted draft became.
#[derive(Debug, Clone)]
pub enum DraftSubmitted {
    Visit(VisitRow),
    Issue(Box<IssueRow>),
    Directive(DirectiveRow),
}

/// Deletes a draft and its photo links (not the photos) inside a transaction.
pub(crate) fn delete_draft_rows(tx: &rusqlite::Connection, draft_id: &str) -> Result<()> {
    tx.execute("DELETE FROM evidence_refs WHERE entity_kind = 'draft' AND entity_id = ?1", [draft_id])?;
    tx.execute("DELETE FROM drafts WHERE id = ?1", [draft_id])?;
    Ok(())
}

fn check_text(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::invalid(field, format!("at most {max} characters")));
    }
    Ok(())
}

impl Store {
    /// Starts (or resumes) a visit draft for a household in scope. `issue_id` ties it to an issue (回访 visit).
    /// `opened_at_ms` is when the form opened (the visit's start; fixes older than it are stale), taken as is
    /// within the last 10 minutes, else now. An open visit draft of the same user for the same household is
    /// returned instead of a second one.
    pub fn start_visit_draft(
        &mut self,
        household_id: &str,
        kind: VisitKind,
        issue_id: Option<&str>,
        opened_at_ms: Option<i64>,
    ) -> Result<DraftRow> {
        self.actor()?;
        self.household_with_path(household_id)?;
        if let Some(issue_id) = issue_id {
            self.issue_row(issue_id)?;
        }
        let subject = Subject { household_id: Some(household_id.into()), issue_id: issue_id.map(Into::into), ..Subject::default() };
        let fields = DraftFieldsRow { visit_kind: Some(kind), ..DraftFieldsRow::default() };
        let now = self.now_ms();
        // The form's opening, read from the device's clock, on the record clock its fixes are graded on.
        let started = opened_at_ms.map(|t| self.on_record_clock(t)).filter(|t| (now - 600_000..=now).contains(t));
        self.start_draft_at(DraftKind::Visit, household_id, subject, fields, started)
    }

    /// Starts (or resumes) an issue report draft about a household, or else a node (a place), in scope.
    pub fn start_issue_draft(&mut self, household_id: Option<&str>, node_id: Option<&str>) -> Result<DraftRow> {
        let actor = self.actor()?.clone();
        let key = match (household_id, node_id) {
            (Some(h), _) => {
                self.household_with_path(h)?;
                h
            }
            (None, Some(n)) => {
                linkage_protocol::validate::id("node_id", n)?;
                let node = self.node(n).map_err(|_| Error::not_found("node", n))?;
                if !actor.sees(&node.path) {
                    return Err(Error::not_found("node", n));
                }
                n
            }
            (None, None) => return Err(Error::invalid("household_id", "name the household or the place the issue is about")),
        };
        let subject = Subject {
            household_id: household_id.map(Into::into),
            node_id: if household_id.is_none() { node_id.map(Into::into) } else { None },
            ..Subject::default()
        };
        let fields = DraftFieldsRow { urgency: Some(Urgency::Normal), ..DraftFieldsRow::default() };
        self.start_draft(DraftKind::IssueReport, key, subject, fields)
    }

    /// Starts (or resumes) the completion report of a task directive my node may report on now.
    pub fn start_task_completion_draft(&mut self, directive_id: &str) -> Result<DraftRow> {
        let actor = self.actor()?.clone();
        let (row, target_path) = self.directive_with_path(directive_id)?;
        linkage_protocol::rules::directive::authorize_task_report(
            &actor,
            super::directives::facts(&row, &target_path),
            row.directive.kind,
            row.my_acknowledged_at_ms.is_some(),
        )?;
        let subject = Subject { directive_id: Some(directive_id.into()), ..Subject::default() };
        self.start_draft(DraftKind::TaskCompletion, directive_id, subject, DraftFieldsRow::default())
    }

    /// Starts (or resumes) a resolution (办结) or verification (回访) draft of an issue, if the user may take
    /// that action on it now.
    pub fn start_issue_action_draft(&mut self, issue_id: &str, kind: DraftKind) -> Result<DraftRow> {
        let Some(action) = kind.action() else {
            return Err(Error::invalid("kind", "only resolution and verification drafts act on an issue"));
        };
        if !self.allowed_issue_actions(issue_id)?.contains(&action) {
            let facts_state = self.issue_row(issue_id)?.projection.state;
            return Err(Error::Rule(linkage_protocol::rules::RuleError::IllegalTransition { from: facts_state, action }));
        }
        let subject = Subject { issue_id: Some(issue_id.into()), ..Subject::default() };
        self.start_draft(kind, issue_id, subject, DraftFieldsRow::default())
    }

    fn start_draft(&mut self, kind: DraftKind, subject_id: &str, subject: Subject, fields: DraftFieldsRow) -> Result<DraftRow> {
        self.start_draft_at(kind, subject_id, subject, fields, None)
    }

    fn start_draft_at(
        &mut self,
        kind: DraftKind,
        subject_id: &str,
        subject: Subject,
        fields: DraftFieldsRow,
        started_at_ms: Option<i64>,
    ) -> Result<DraftRow> {
        let user_id = self.actor()?.user_id.clone();
        let existing: Option<String> = self
            .conn()
            .query_row(
                "SELECT id FROM drafts WHERE user_id = ?1 AND kind = ?2 AND subject_id = ?3 ORDER BY updated_at_ms DESC LIMIT 1",
                params![user_id, enum_str(&kind), subject_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return self.draft(&id);
        }
        let id = new_id();
        let json = serde_json::to_string(&Stored { subject, fields })?;
        self.write(|w| {
            w.tx.execute(
                "INSERT INTO drafts (id, kind, subject_id, user_id, fields, started_at_ms, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id, enum_str(&kind), subject_id, user_id, json, started_at_ms.unwrap_or(w.now_ms), w.now_ms],
            )?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(())
        })?;
        self.draft(&id)
    }

    /// Saves what the user typed so far (every keystroke may call this; one small write). Texts over their
    /// limit or an invalid fix are refused and the stored draft stays as it was.
    pub fn update_draft(&mut self, draft_id: &str, fields: DraftFieldsRow) -> Result<DraftRow> {
        let user_id = self.actor()?.user_id.clone();
        check_text("title", &fields.title, limits::TITLE)?;
        check_text("notes", &fields.notes, limits::DESCRIPTION.max(limits::NOTE))?;
        check_text("on_spot_note", &fields.on_spot_note, limits::NOTE)?;
        if let Some(fix) = &fields.fix {
            geo::validate_fix(fix)?;
        }
        let (subject, _) = self.stored(draft_id, &user_id)?;
        let json = serde_json::to_string(&Stored { subject, fields })?;
        self.write(|w| {
            w.tx.execute("UPDATE drafts SET fields = ?2, updated_at_ms = ?3 WHERE id = ?1", params![draft_id, json, w.now_ms])?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(())
        })?;
        self.draft(draft_id)
    }

    fn stored(&self, draft_id: &str, user_id: &str) -> Result<(Subject, DraftFieldsRow)> {
        let json: String = self
            .conn()
            .query_row("SELECT fields FROM drafts WHERE id = ?1 AND user_id = ?2", params![draft_id, user_id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::not_found("draft", draft_id))?;
        let s: Stored = serde_json::from_str(&json)?;
        Ok((s.subject, s.fields))
    }

    /// One draft of the signed-in user, with its photos. A submitted or discarded draft is `NotFound`.
    pub fn draft(&self, draft_id: &str) -> Result<DraftRow> {
        let user_id = &self.actor()?.user_id;
        let (kind, started_at_ms, updated_at_ms): (String, i64, i64) = self
            .conn()
            .query_row(
                "SELECT kind, started_at_ms, updated_at_ms FROM drafts WHERE id = ?1 AND user_id = ?2",
                params![draft_id, user_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| Error::not_found("draft", draft_id))?;
        let (subject, fields) = self.stored(draft_id, user_id)?;
        let subject_label = self.subject_label(&subject)?;
        Ok(DraftRow {
            id: draft_id.to_string(),
            kind: parse_enum(&kind)?,
            subject_label,
            household_id: subject.household_id,
            node_id: subject.node_id,
            issue_id: subject.issue_id,
            directive_id: subject.directive_id,
            fields,
            photos: self.list_evidence(&EvidenceTarget::Draft(draft_id.to_string()))?,
            started_at_ms,
            updated_at_ms,
        })
    }

    fn subject_label(&self, subject: &Subject) -> Result<Option<String>> {
        let (sql, id) = match subject {
            Subject { issue_id: Some(id), .. } => ("SELECT title FROM issues WHERE id = ?1", id),
            Subject { directive_id: Some(id), .. } => ("SELECT title FROM directives WHERE id = ?1", id),
            Subject { household_id: Some(id), .. } => ("SELECT head_name FROM households WHERE id = ?1", id),
            Subject { node_id: Some(id), .. } => ("SELECT name FROM org_nodes WHERE id = ?1", id),
            _ => return Ok(None),
        };
        Ok(self.conn().prepare_cached(sql)?.query_row([id], |r| r.get(0)).optional()?)
    }

    /// The signed-in user's drafts, most recently edited first (the "continue where you left off" list).
    pub fn drafts(&self) -> Result<Vec<DraftRow>> {
        let user_id = self.actor()?.user_id.clone();
        let ids: Vec<String> = self
            .conn()
            .prepare_cached("SELECT id FROM drafts WHERE user_id = ?1 ORDER BY updated_at_ms DESC, id DESC")?
            .query_map([&user_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| self.draft(id)).collect()
    }

    /// Adds a camera file to a draft through the evidence pipeline (watermarked with `fix`, else the draft's
    /// latest fix). A submitted, discarded or unknown draft is `NotFound`, checked before any file is written.
    pub fn add_draft_photo(&mut self, draft_id: &str, input: &std::path::Path, fix: Option<GpsFix>) -> Result<DraftRow> {
        let draft = self.draft(draft_id)?;
        if !draft.kind.takes_photos() {
            return Err(Error::invalid("draft_id", "this form takes no photos"));
        }
        if draft.photos.len() >= limits::EVIDENCE_PER_RECORD {
            return Err(Error::invalid("evidence", format!("at most {} photos per record", limits::EVIDENCE_PER_RECORD)));
        }
        self.add_evidence(input, fix.or(draft.fields.fix), Some(EvidenceTarget::Draft(draft_id.to_string())))?;
        self.write(|w| {
            w.tx.execute("UPDATE drafts SET updated_at_ms = ?2 WHERE id = ?1", params![draft_id, w.now_ms])?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(())
        })?;
        self.draft(draft_id)
    }

    /// Takes a photo off a draft; the photo is deleted unless a record or another draft uses it.
    pub fn remove_draft_photo(&mut self, draft_id: &str, hash: &str) -> Result<DraftRow> {
        self.draft(draft_id)?;
        self.write(|w| {
            let removed = w.tx.execute(
                "DELETE FROM evidence_refs WHERE entity_kind = 'draft' AND entity_id = ?1 AND hash = ?2",
                params![draft_id, hash],
            )?;
            if removed == 0 {
                return Err(Error::not_found("photo", hash));
            }
            w.tx.execute("UPDATE drafts SET updated_at_ms = ?2 WHERE id = ?1", params![draft_id, w.now_ms])?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(())
        })?;
        self.delete_evidence_if_unused(hash)?;
        self.draft(draft_id)
    }

    /// Discards a draft and deletes the photos only it used.
    pub fn discard_draft(&mut self, draft_id: &str) -> Result<()> {
        let draft = self.draft(draft_id)?;
        self.write(|w| {
            delete_draft_rows(&w.tx, draft_id)?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(())
        })?;
        for photo in &draft.photos {
            self.delete_evidence_if_unused(&photo.hash)?;
        }
        Ok(())
    }

    /// The form is closing: a draft with nothing typed, picked or photographed is deleted (nothing to continue,
    /// so it never clutters the "继续填写" list); any other draft is kept. Returns whether it was kept.
    pub fn close_draft(&mut self, draft_id: &str) -> Result<bool> {
        let draft = self.draft(draft_id)?;
        if !draft.photos.is_empty() || !draft.fields.is_blank() {
            return Ok(true);
        }
        self.discard_draft(draft_id)?;
        Ok(false)
    }

    fn report_input(d: &DraftRow, photos: Vec<String>) -> Result<IssueInput> {
        let f = d.fields.clone();
        Ok(IssueInput {
            category: f.category.ok_or_else(|| Error::invalid("category", "required"))?,
            urgency: f.urgency.unwrap_or(Urgency::Normal),
            title: f.title,
            description: f.notes,
            household_id: d.household_id.clone(),
            node_id: d.node_id.clone(),
            location: f.fix,
            evidence: photos,
            // The draft's id is the report's op id: a second submit can never make a second issue.
            client_op_id: Some(d.id.clone()),
        })
    }

    /// 就地解决 from a report draft: the report, its on-the-spot resolution (the draft's `on_spot_note` and
    /// photos) and the draft's deletion commit in ONE transaction, so a kill or a retry can never leave an
    /// issue next to its draft, or make a second issue. A refusal (not a grid worker, no photo, no note)
    /// leaves the draft as it was.
    pub fn submit_draft_resolved_on_spot(&mut self, draft_id: &str) -> Result<IssueRow> {
        let d = self.draft(draft_id)?;
        if d.kind != DraftKind::IssueReport {
            return Err(Error::invalid("draft_id", "only an issue report can be resolved on the spot"));
        }
        let input = Self::report_input(&d, d.photos.iter().map(|p| p.hash.clone()).collect())?;
        self.finishing_draft = Some(draft_id.to_string());
        let result = self.report_resolved_on_spot(input, &d.fields.on_spot_note);
        // Still set only when refused before the write.
        self.finishing_draft = None;
        result
    }

    /// Submits a draft: the same rules as the direct call judge it (a refusal leaves the draft as it was), and
    /// the record, its outbox operation and the draft's deletion commit in one transaction.
    pub fn submit_draft(&mut self, draft_id: &str) -> Result<DraftSubmitted> {
        let d = self.draft(draft_id)?;
        let photos: Vec<String> = d.photos.iter().map(|p| p.hash.clone()).collect();
        let f = d.fields.clone();
        let missing = |field: &'static str| Error::invalid(field, "required");
        // The next write transaction (the record's) deletes the draft too.
        self.finishing_draft = Some(draft_id.to_string());
        let result = (|| -> Result<DraftSubmitted> {
            Ok(match d.kind {
                DraftKind::Visit => DraftSubmitted::Visit(self.record_visit(VisitInput {
                    household_id: d.household_id.clone().ok_or_else(|| missing("household_id"))?,
                    kind: f.visit_kind.unwrap_or(VisitKind::Routine),
                    started_at_ms: d.started_at_ms,
                    ended_at_ms: self.now_ms().max(d.started_at_ms),
                    // Kept as the platform gave it in the draft; graded on the record clock, as the visit's times.
                    fix: f.fix.map(|x| self.fix_on_record_clock(x)),
                    notes: f.notes,
                    evidence: photos,
                    issue_id: d.issue_id.clone(),
                })?),
                DraftKind::IssueReport => DraftSubmitted::Issue(Box::new(self.report_issue(Self::report_input(&d, photos)?)?)),
                DraftKind::TaskCompletion => {
                    let directive_id = d.directive_id.clone().ok_or_else(|| missing("directive_id"))?;
                    DraftSubmitted::Directive(self.report_task_completion(&directive_id, &f.notes, &photos)?)
                }
                DraftKind::Resolution => {
                    let issue_id = d.issue_id.clone().ok_or_else(|| missing("issue_id"))?;
                    DraftSubmitted::Issue(Box::new(self.perform_issue_action(&issue_id, IssueCommand::Resolve { note: f.notes, evidence: photos })?))
                }
                DraftKind::Verification => {
                    let issue_id = d.issue_id.clone().ok_or_else(|| missing("issue_id"))?;
                    let satisfaction = f.satisfaction.ok_or_else(|| missing("satisfaction"))?;
                    // A form with a GPS fix was filled at the household: the 回访 is a visit too.
                    let on_site = f.fix.is_some() && self.issue_row(&issue_id)?.projection.household_id.is_some();
                    if on_site {
                        let fix = f.fix.map(|x| self.fix_on_record_clock(x));
                        let (row, _) = self.verify_on_visit(&issue_id, satisfaction, &f.notes, fix, d.started_at_ms)?;
                        DraftSubmitted::Issue(Box::new(row))
                    } else {
                        DraftSubmitted::Issue(Box::new(self.perform_issue_action(&issue_id, IssueCommand::Verify { satisfaction, note: f.notes })?))
                    }
                }
            })
        })();
        // Still set: no write ran (refused before, or nothing new to record such as a repeated task report).
        let unconsumed = self.finishing_draft.take();
        let submitted = result?;
        if unconsumed.is_some() {
            self.write(|w| {
                delete_draft_rows(&w.tx, draft_id)?;
                w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
                Ok(())
            })?;
        }
        Ok(submitted)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::evidence::tests::jpeg;
    use linkage_protocol::model::IssueState;
    use linkage_protocol::wire::IssueAction;

    fn phone() -> (Store, tempfile::TempDir) {
        let (mut s, _) = store();
        let dir = tempfile::tempdir().unwrap();
        s.evidence_dir = dir.path().join("evidence");
        s.sign_in("gw").unwrap();
        (s, dir)
    }

    fn count(s: &Store, table: &str) -> i64 {
        s.conn().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_visit_draft_saves_as_typed_resumes_and_submits_once_with_its_photos() {
        let (mut s, dir) = phone();
        let d = s.start_visit_draft("h1", VisitKind::Routine, None, None).unwrap();
        assert_eq!((d.kind, d.household_id.as_deref(), d.photos.len()), (DraftKind::Visit, Some("h1"), 0));
        // Opening the same form again resumes the draft.
        assert_eq!(s.start_visit_draft("h1", VisitKind::Routine, None, None).unwrap().id, d.id);
        let fix = GpsFix { lat: 35.5801, lon: 109.2601, accuracy_m: 8.0, fix_time_ms: NOW, mocked: false };
        let fields = DraftFieldsRow { notes: "老人腿脚不便".into(), fix: Some(fix), ..d.fields.clone() };
        s.update_draft(&d.id, fields).unwrap();
        let with_photo = s.add_draft_photo(&d.id, &jpeg(dir.path(), "a.jpg", 640, 480), None).unwrap();
        assert_eq!(with_photo.photos.len(), 1);
        assert!(with_photo.photos[0].watermark.contains("N 35.58010"), "the draft's fix stamps the photo");
        s.add_draft_photo(&d.id, &jpeg(dir.path(), "b.jpg", 480, 640), None).unwrap();
        assert_eq!(s.drafts().unwrap().len(), 1);
        // The photos are in use by the draft: not deletable as strays.
        assert!(matches!(s.delete_evidence(&with_photo.photos[0].hash), Err(Error::EvidenceInUse)));

        let DraftSubmitted::Visit(v) = s.submit_draft(&d.id).unwrap() else { panic!("a visit") };
        assert_eq!((v.notes.as_str(), v.evidence.len(), v.started_at_ms), ("老人腿脚不便", 2, d.started_at_ms));
        assert_eq!((count(&s, "visits"), count(&s, "drafts")), (1, 0));
        assert_eq!(count(&s, "evidence_refs WHERE entity_kind = 'draft'"), 0);
        assert!(matches!(s.submit_draft(&d.id), Err(Error::NotFound { .. })));
        assert!(matches!(s.add_draft_photo(&d.id, &jpeg(dir.path(), "c.jpg", 64, 64), None), Err(Error::NotFound { .. })));
        assert_eq!(count(&s, "visits"), 1);
        assert_eq!(count(&s, "evidence"), 2, "no photo stored for a submitted draft");
    }

    #[test]
    fn bad_drafts_are_typed_and_change_nothing() {
        let (mut s, dir) = phone();
        let before = snapshot(&s);
        assert!(matches!(s.start_visit_draft("nobody", VisitKind::Routine, None, None), Err(Error::NotFound { .. })));
        assert!(matches!(s.start_issue_draft(Some("h4"), None), Err(Error::NotFound { .. })), "outside gw's area");
        assert!(matches!(s.start_issue_draft(None, None), Err(Error::Field(_))));
        assert_eq!(snapshot(&s), before);

        let d = s.start_issue_draft(Some("h1"), None).unwrap();
        let stored = snapshot(&s);
        let long = DraftFieldsRow { title: "长".repeat(limits::TITLE + 1), ..DraftFieldsRow::default() };
        assert!(matches!(s.update_draft(&d.id, long), Err(Error::Field(_))));
        let nan = GpsFix { lat: f64::NAN, lon: 1.0, accuracy_m: 1.0, fix_time_ms: 0, mocked: false };
        assert!(matches!(s.update_draft(&d.id, DraftFieldsRow { fix: Some(nan), ..DraftFieldsRow::default() }), Err(Error::Field(_))));
        // Submitting without a category: refused, the draft stays as it was.
        assert!(matches!(s.submit_draft(&d.id), Err(Error::Field(_))));
        assert!(s.finishing_draft.is_none());
        assert_eq!(snapshot(&s), stored);
        // A text file is no photo: nothing stored, the draft unchanged.
        let text = dir.path().join("x.jpg");
        std::fs::write(&text, "不是照片").unwrap();
        assert!(s.add_draft_photo(&d.id, &text, None).is_err());
        assert_eq!(snapshot(&s), stored);
        // Another user does not see my drafts.
        s.sign_in("gw2").unwrap();
        assert!(matches!(s.draft(&d.id), Err(Error::NotFound { .. })));
        assert!(s.drafts().unwrap().is_empty());
    }

    #[test]
    fn discarding_deletes_the_draft_and_its_photos_and_a_report_submits_once() {
        let (mut s, dir) = phone();
        let d = s.start_issue_draft(Some("h1"), None).unwrap();
        let d = s.add_draft_photo(&d.id, &jpeg(dir.path(), "a.jpg", 320, 240), None).unwrap();
        let photo = d.photos[0].clone();
        s.discard_draft(&d.id).unwrap();
        assert!(!photo.path.exists() && !photo.thumbnail_path.exists());
        assert_eq!((count(&s, "drafts"), count(&s, "evidence")), (0, 0));
        assert!(matches!(s.add_draft_photo(&d.id, &jpeg(dir.path(), "b.jpg", 32, 32), None), Err(Error::NotFound { .. })));
        assert!(matches!(s.discard_draft(&d.id), Err(Error::NotFound { .. })));

        let d = s.start_issue_draft(Some("h1"), None).unwrap();
        let fields = DraftFieldsRow {
            category: Some(IssueCategory::SafetyHazard),
            title: " 桥梁护栏断裂 ".into(),
            ..d.fields.clone()
        };
        s.update_draft(&d.id, fields).unwrap();
        let DraftSubmitted::Issue(issue) = s.submit_draft(&d.id).unwrap() else { panic!("an issue") };
        assert_eq!((issue.projection.title.as_str(), issue.projection.urgency), ("桥梁护栏断裂", Urgency::Normal));
        assert_eq!((count(&s, "issues"), count(&s, "drafts")), (1, 0));
        let (topics, queued) = s.take_changes();
        assert!(queued && topics.contains(ChangeTopic::Issues) && topics.contains(ChangeTopic::Drafts));
    }

    /// 是这件，不重复上报: the draft's words and photos join the existing issue as a 补充反映 — one event, its
    /// outbox op and the draft's deletion in one transaction; the photos become the issue's report photos. A
    /// closed issue or a foreign one refuses, and the draft stays as it was.
    #[test]
    fn joining_an_existing_issue_keeps_the_reporters_note_and_photos() {
        let (mut s, dir) = phone();
        let existing = s.report_issue(crate::store::issues::tests_support::draft()).unwrap().projection.id;
        let d = s.start_issue_draft(Some("h1"), None).unwrap();
        let fields = DraftFieldsRow { category: Some(IssueCategory::SafetyHazard), title: "护栏断了".into(), notes: " 孩子上学经过，很危险 ".into(), ..d.fields.clone() };
        s.update_draft(&d.id, fields).unwrap();
        let photo = s.add_draft_photo(&d.id, &jpeg(dir.path(), "a.jpg", 320, 240), None).unwrap().photos[0].hash.clone();
        let ops_before = s.pending_operations(100).unwrap().len();

        let row = s.join_issue_from_draft(&d.id, &existing).unwrap();
        assert_eq!(row.projection.state, IssueState::Reported, "a join changes no state");
        assert_eq!((count(&s, "issues"), count(&s, "drafts")), (1, 0), "no second issue, the draft gone");
        let ops = s.pending_operations(100).unwrap();
        assert_eq!(ops.len(), ops_before + 1);
        let linkage_protocol::wire::OpBody::IssueEvent(e) = &ops.last().unwrap().body else { panic!("an issue event") };
        assert_eq!(e.action, IssueAction::Join { note: "护栏断了：孩子上学经过，很危险".into(), evidence: vec![photo.clone()] });
        let last = s.issue_timeline(&existing).unwrap().pop().unwrap();
        assert_eq!((last.action, last.detail.as_str(), last.evidence.clone()), (IssueActionKind::Join, "护栏断了：孩子上学经过，很危险", vec![photo.clone()]));
        let photos = s.record_photos(&crate::store::EvidenceTarget::IssueReport(existing.clone())).unwrap();
        assert_eq!(photos.iter().map(|p| p.hash.clone()).collect::<Vec<_>>(), [photo.clone()]);
        assert!(s.delete_evidence(&photo).is_err(), "the photo is the issue's now");

        // A closed issue takes no join: the draft stays, nothing written.
        let d2 = s.start_issue_draft(Some("h1"), None).unwrap();
        s.update_draft(&d2.id, DraftFieldsRow { title: "又坏了".into(), ..d2.fields.clone() }).unwrap();
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&existing, IssueCommand::Reject { reason: "已修复".into() }).unwrap();
        s.sign_in("gw").unwrap();
        let before = snapshot(&s);
        assert!(matches!(s.join_issue_from_draft(&d2.id, &existing), Err(Error::Field(f)) if f.field == "issue_id"));
        // Another township's issue is not there for this user.
        assert!(matches!(s.join_issue_from_draft(&d2.id, "nope"), Err(Error::NotFound { .. })));
        assert_eq!(snapshot(&s), before);
    }

    #[test]
    fn on_spot_from_a_draft_is_one_transaction_and_never_two_issues() {
        let (mut s, dir) = phone();
        let d = s.start_issue_draft(Some("h1"), None).unwrap();
        let fields = DraftFieldsRow {
            category: Some(IssueCategory::Infrastructure),
            title: "排水沟堵塞".into(),
            on_spot_note: "已当场清理疏通".into(),
            ..d.fields.clone()
        };
        s.update_draft(&d.id, fields).unwrap();
        // No photo: refused before anything is written; the draft (and its typed note) stays.
        let stored = snapshot(&s);
        assert!(matches!(s.submit_draft_resolved_on_spot(&d.id), Err(Error::Field(f)) if f.field == "evidence"));
        assert!(s.finishing_draft.is_none());
        assert_eq!(snapshot(&s), stored);
        assert_eq!(s.draft(&d.id).unwrap().fields.on_spot_note, "已当场清理疏通");
        s.add_draft_photo(&d.id, &jpeg(dir.path(), "a.jpg", 320, 240), None).unwrap();

        // Refused inside the transaction (a liaison head may not resolve on the spot; the report event was
        // already appended when the rule said no): rolled back whole, the draft kept.
        let photos = count(&s, "evidence");
        s.sign_in("lh").unwrap();
        let lh = s.start_issue_draft(Some("h1"), None).unwrap();
        let lh_fields = DraftFieldsRow { category: Some(IssueCategory::Infrastructure), title: "路灯".into(), on_spot_note: "修好了".into(), ..lh.fields.clone() };
        s.update_draft(&lh.id, lh_fields).unwrap();
        s.add_draft_photo(&lh.id, &jpeg(dir.path(), "b.jpg", 320, 240), None).unwrap();
        let before = snapshot(&s);
        assert!(matches!(s.submit_draft_resolved_on_spot(&lh.id), Err(Error::Rule(_))));
        assert_eq!(snapshot(&s), before);
        assert_eq!(count(&s, "issues"), 0);
        s.discard_draft(&lh.id).unwrap();
        assert_eq!(count(&s, "evidence"), photos);

        s.sign_in("gw").unwrap();
        let row = s.submit_draft_resolved_on_spot(&d.id).unwrap();
        assert_eq!((row.projection.state, row.projection.resolved_on_spot), (linkage_protocol::model::IssueState::Resolved, true));
        assert_eq!((count(&s, "issues"), count(&s, "issue_events"), count(&s, "drafts")), (1, 2, 0));
        assert_eq!(count(&s, "outbox"), 2, "the report and the resolution queued together");
        // The draft's id is the report's op id; the photo moved to the issue.
        assert_eq!(count(&s, &format!("issue_events WHERE event_id = '{}'", d.id)), 1);
        assert_eq!(count(&s, "evidence_refs WHERE entity_kind = 'draft'"), 0);
        assert_eq!(count(&s, "evidence"), photos);
        // A retry (a double tap, a resent call after a lost answer): the draft is gone, nothing new.
        assert!(matches!(s.submit_draft_resolved_on_spot(&d.id), Err(Error::NotFound { .. })));
        assert!(matches!(s.submit_draft(&d.id), Err(Error::NotFound { .. })));
        assert_eq!(count(&s, "issues"), 1);
        // Only report drafts can be resolved on the spot.
        let v = s.start_visit_draft("h1", VisitKind::Routine, None, None).unwrap();
        assert!(matches!(s.submit_draft_resolved_on_spot(&v.id), Err(Error::Field(_))));
    }

    #[test]
    fn closing_an_untouched_form_leaves_no_draft_and_the_list_names_subjects() {
        let (mut s, dir) = phone();
        // Opened and left: the defaults the form filled in (kind, urgency, a fix) are not work to continue.
        let d = s.start_visit_draft("h1", VisitKind::Routine, None, None).unwrap();
        let fix = GpsFix { lat: 35.5801, lon: 109.2601, accuracy_m: 8.0, fix_time_ms: NOW, mocked: false };
        s.update_draft(&d.id, DraftFieldsRow { fix: Some(fix), ..d.fields.clone() }).unwrap();
        assert!(!s.close_draft(&d.id).unwrap());
        assert_eq!(count(&s, "drafts"), 0);
        // Typed text, or only a photo: kept.
        let d = s.start_visit_draft("h1", VisitKind::Routine, None, None).unwrap();
        s.update_draft(&d.id, DraftFieldsRow { notes: "腿脚不便".into(), ..d.fields.clone() }).unwrap();
        assert!(s.close_draft(&d.id).unwrap());
        let r = s.start_issue_draft(None, Some("g1")).unwrap();
        s.add_draft_photo(&r.id, &jpeg(dir.path(), "a.jpg", 64, 64), None).unwrap();
        assert!(s.close_draft(&r.id).unwrap());
        let labels: Vec<_> = s.drafts().unwrap().into_iter().map(|d| (d.kind, d.subject_label)).collect();
        let head: String = s.conn().query_row("SELECT head_name FROM households WHERE id = 'h1'", [], |r| r.get(0)).unwrap();
        let group: String = s.conn().query_row("SELECT name FROM org_nodes WHERE id = 'g1'", [], |r| r.get(0)).unwrap();
        assert_eq!(labels, [(DraftKind::IssueReport, Some(group)), (DraftKind::Visit, Some(head))]);
        assert!(matches!(s.close_draft("no-such-draft"), Err(Error::NotFound { .. })));
    }

    #[test]
    fn resolution_and_verification_drafts_follow_the_lifecycle() {
        let (mut s, _dir) = phone();
        let issue = s.report_issue(crate::store::issues::tests_support::draft()).unwrap();
        // gw may not resolve a reported issue: no draft.
        assert!(matches!(s.start_issue_action_draft(&issue.projection.id, DraftKind::Resolution), Err(Error::Rule(_))));
        assert!(matches!(s.start_issue_action_draft(&issue.projection.id, DraftKind::Visit), Err(Error::Field(_))));
        assert!(s.start_issue_action_draft(&issue.projection.id, DraftKind::Verification).is_err());
        assert_eq!(count(&s, "drafts"), 0);
        let id = issue.projection.id.clone();
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&id, IssueCommand::Accept).unwrap();
        s.perform_issue_action(&id, IssueCommand::Assign { assignee_id: "gw".into() }).unwrap();
        s.sign_in("gw").unwrap();
        s.perform_issue_action(&id, IssueCommand::Start).unwrap();
        let d = s.start_issue_action_draft(&id, DraftKind::Resolution).unwrap();
        let d = s.add_draft_photo(&d.id, &jpeg(_dir.path(), "fixed.jpg", 320, 240), None).unwrap();
        s.update_draft(&d.id, DraftFieldsRow { notes: "已送煤500斤".into(), ..DraftFieldsRow::default() }).unwrap();
        let DraftSubmitted::Issue(resolved) = s.submit_draft(&d.id).unwrap() else { panic!("an issue") };
        assert_eq!(resolved.projection.state, linkage_protocol::model::IssueState::Resolved);
        assert_eq!(count(&s, "evidence_refs WHERE entity_kind = 'issue_resolution'"), 1);

        s.sign_in("ts").unwrap();
        let v = s.start_issue_action_draft(&id, DraftKind::Verification).unwrap();
        // Photos are not part of a verification; no satisfaction yet: refused, draft kept.
        assert!(matches!(s.add_draft_photo(&v.id, &jpeg(_dir.path(), "v.jpg", 32, 32), None), Err(Error::Field(_))));
        assert!(matches!(s.submit_draft(&v.id), Err(Error::Field(_))));
        let fields = DraftFieldsRow { satisfaction: Some(Satisfaction::Satisfied), notes: "群众满意".into(), ..v.fields.clone() };
        s.update_draft(&v.id, fields).unwrap();
        let DraftSubmitted::Issue(closed) = s.submit_draft(&v.id).unwrap() else { panic!("an issue") };
        assert_eq!(closed.projection.state, linkage_protocol::model::IssueState::Closed);
        assert_eq!(count(&s, "drafts"), 0);
    }
}
