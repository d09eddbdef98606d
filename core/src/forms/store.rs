//! The forms' SQLite side: form definitions as the feed delivered them (per version, retired ones kept), the
//! drafts being filled (one row per answer: an answer is one small write, and a draft with a 100-member roster
//! opens with one indexed scan), and submitted responses, written with their outbox operation in one
//! transaction. A draft's writes commit with `synchronous=NORMAL` (`Store::write_draft`: in WAL they survive a
//! killed app, and an answer costs no fsync); the submitted response commits FULL like every other record.
//! The draft being filled keeps its evaluation session in memory ([`FormCache`]), so an answer re-evaluates
//! only what depends on it; the database stays the truth (a draft changed under the cache, or a new process,
//! is simply read again).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use linkage_protocol::forms::{
    self as pf, validate_response, AnswerValue, Answers, CompiledForm, FormClock, FormDef, FormSession, GeoAnswer, Problem,
    QuestionKind as Kind, RepeatInstance,
};
use linkage_protocol::labels::Locale;
use linkage_protocol::model::GpsFix;
use linkage_protocol::rules::geo;
use linkage_protocol::wire::{FormResponse, OpBody};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::api::{FormAnswer, FormChoice, FormDraftSummary, FormItem, FormItemKind, FormModel, FormPageTab, FormSummary, QuestionKind, SubmittedForm};
use super::layout::Layout;
use crate::error::{Error, Result};
use crate::observe::{ChangeTopic, Topics};
use crate::store::{new_id, EvidenceTarget, Store};

/// A compiled form version with its layout (immutable, shared).
#[derive(Debug)]
pub(crate) struct Compiled {
    pub form: Arc<CompiledForm>,
    pub layout: Layout,
}

/// What an answer row holds besides the answer itself: the text as typed (kept when it is not yet a number
/// or a date, so nothing typed is lost) and a geopoint's whole fix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Stored {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    a: Option<AnswerValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fix: Option<GpsFix>,
}

/// A question's place: its index and, inside a repeat, the instance (from 0).
type Place = (usize, Option<u32>);

/// The draft being filled, evaluated.
#[derive(Debug)]
struct OpenDraft {
    id: String,
    user_id: String,
    compiled: Arc<Compiled>,
    session: FormSession,
    /// Typed texts and fixes by place (only where they add to the answer).
    extra: HashMap<Place, Stored>,
    page: u32,
    show_missing: bool,
    node_id: String,
    household_id: Option<String>,
    visit_id: Option<String>,
    started_at_ms: i64,
    updated_at_ms: i64,
}

/// Compiled forms by (form id, version), and the open draft's live evaluation.
#[derive(Default)]
pub struct FormCache {
    compiled: HashMap<(String, u32), Arc<Compiled>>,
    open: Option<OpenDraft>,
}

impl std::fmt::Debug for FormCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormCache").field("compiled", &self.compiled.len()).field("open", &self.open.as_ref().map(|o| &o.id)).finish()
    }
}

/// Stores a form definition the feed delivered (a version is immutable: a second delivery is a no-op). A
/// definition this release cannot compile is skipped, never half-stored. Returns whether it was new.
pub(crate) fn persist_form(tx: &Connection, def: &FormDef, now_ms: i64) -> Result<bool> {
    if CompiledForm::compile(def.clone()).is_err() {
        return Ok(false);
    }
    let inserted = tx.execute(
        "INSERT INTO forms (form_id, version, title, definition, received_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(form_id, version) DO NOTHING",
        params![def.form_id, def.version, def.title.zh, serde_json::to_string(def)?, now_ms],
    )?;
    Ok(inserted > 0)
}

/// Marks a form version retired: no new draft or response; open drafts of it can no longer be submitted.
pub(crate) fn retire_form(tx: &Connection, form_id: &str, version: u32) -> Result<bool> {
    Ok(tx.execute("UPDATE forms SET retired = 1 WHERE form_id = ?1 AND version = ?2 AND retired = 0", params![form_id, version])? > 0)
}

/// `members[2]/age` → ("age", Some(("members", 1))); `members[2]` → ("", Some(("members", 1))); `age` → ("age", None).
fn parse_path(path: &str) -> Result<(String, Option<(String, u32)>)> {
    let bad = || Error::invalid("answer", "not a question of this form");
    let (head, tail) = match path.split_once('/') {
        Some((h, t)) => (h, Some(t)),
        None => (path, None),
    };
    match head.split_once('[') {
        None if tail.is_none() => Ok((head.to_string(), None)),
        None => Err(bad()),
        Some((repeat, rest)) => {
            let k: u32 = rest.strip_suffix(']').and_then(|n| n.parse().ok()).filter(|&k| k >= 1).ok_or_else(bad)?;
            Ok((tail.unwrap_or("").to_string(), Some((repeat.to_string(), k - 1))))
        }
    }
}

fn row_path(form: &CompiledForm, (i, k): Place) -> String {
    let node = &form.nodes[i];
    match (node.repeat, k) {
        (Some(r), Some(k)) => format!("{}[{}]/{}", form.nodes[r].name, k + 1, node.name),
        _ => node.name.clone(),
    }
}

fn count_path(repeat: &str) -> String {
    format!("{repeat}#")
}

fn localized(t: &pf::LocalText, l: Locale) -> String {
    t.get(match l {
        Locale::ZhCn => "zh",
        Locale::En => "en",
    })
    .to_string()
}

fn problem_text(p: &Problem, l: Locale) -> String {
    match l {
        Locale::ZhCn => p.to_string(),
        Locale::En => p.message_en(),
    }
}

fn kind(k: Kind) -> QuestionKind {
    match k {
        Kind::Text => QuestionKind::Text,
        Kind::Integer => QuestionKind::Integer,
        Kind::Decimal => QuestionKind::Decimal,
        Kind::SelectOne => QuestionKind::SelectOne,
        Kind::SelectMultiple => QuestionKind::SelectMultiple,
        Kind::Date => QuestionKind::Date,
        Kind::Geopoint => QuestionKind::Geopoint,
        Kind::Image => QuestionKind::Image,
        Kind::Note | Kind::Group | Kind::Repeat => QuestionKind::Note,
        Kind::Calculate => QuestionKind::Calculate,
    }
}

/// Why a typed text is not (yet) an answer of its kind, in the user's words.
fn unreadable(k: Kind, l: Locale) -> String {
    let (zh, en) = match k {
        Kind::Integer => ("请填写整数（如 12）", "Enter a whole number (e.g. 12)"),
        Kind::Decimal => ("请填写数字（如 3.5）", "Enter a number (e.g. 3.5)"),
        _ => ("日期须为 年-月-日（如 2026-12-02）", "Enter a date as YYYY-MM-DD"),
    };
    l.pick(zh, en).to_string()
}

/// A typed text read as an answer of `k`: `Ok(None)` when blank, `Err(())` when not readable yet.
fn read_text(k: Kind, text: &str) -> std::result::Result<Option<AnswerValue>, ()> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match k {
        Kind::Text => Ok(Some(AnswerValue::Text(text.to_string()))),
        Kind::Integer => t.parse::<i64>().map(|n| Some(AnswerValue::Integer(n))).map_err(|_| ()),
        Kind::Decimal => match t.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Some(AnswerValue::Decimal(n))),
            _ => Err(()),
        },
        Kind::Date => {
            if t.len() == 10 && chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok() {
                Ok(Some(AnswerValue::Date(t.to_string())))
            } else {
                Err(())
            }
        }
        _ => Err(()),
    }
}

/// How an answer reads on the screen.
fn answer_text(a: &AnswerValue) -> String {
    match a {
        AnswerValue::Text(s) | AnswerValue::Date(s) | AnswerValue::Choice(s) => s.clone(),
        AnswerValue::Integer(n) => n.to_string(),
        AnswerValue::Decimal(n) => n.to_string(),
        AnswerValue::Choices(cs) => cs.join(" "),
        AnswerValue::Geopoint(g) => format!("N {:.5} E {:.5} ±{:.0} m", g.lat, g.lon, g.accuracy_m),
        AnswerValue::Image(h) => h.clone(),
    }
}

fn pick(l: Locale, zh: String, en: String) -> String {
    match l {
        Locale::ZhCn => zh,
        Locale::En => en,
    }
}

/// Counts of a page or of the whole form.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    questions: u32,
    answered: u32,
    errors: u32,
    missing: u32,
}

impl Store {
    fn compiled(&mut self, form_id: &str, version: u32) -> Result<Arc<Compiled>> {
        if let Some(c) = self.forms.compiled.get(&(form_id.to_string(), version)) {
            return Ok(Arc::clone(c));
        }
        let json: String = self
            .conn()
            .query_row("SELECT definition FROM forms WHERE form_id = ?1 AND version = ?2", params![form_id, version], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::not_found("form", form_id))?;
        let def: FormDef = serde_json::from_str(&json)?;
        let form = CompiledForm::compile(def).map_err(|e| Error::Corrupt(format!("stored form {form_id} v{version}: {e:?}")))?;
        let layout = Layout::of(&form);
        let c = Arc::new(Compiled { form: Arc::new(form), layout });
        self.forms.compiled.insert((form_id.to_string(), version), Arc::clone(&c));
        Ok(c)
    }

    /// Stores a form definition delivered outside the feed (a county's file; tests), as the feed would.
    pub fn receive_form(&mut self, def: &FormDef) -> Result<bool> {
        CompiledForm::compile(def.clone()).map_err(|errors| {
            let first = errors.first().map(ToString::to_string).unwrap_or_default();
            Error::invalid("form", format!("the form definition is refused: {first}"))
        })?;
        self.write(|w| {
            let new = persist_form(&w.tx, def, w.now_ms)?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(new)
        })
    }

    /// Whether the signed-in user is one the form is for (role, and a node at or under the target's).
    fn form_admits_me(&self, def: &FormDef) -> Result<bool> {
        let actor = self.actor()?;
        let in_subtree = match &def.target.node_id {
            None => true,
            Some(id) => actor.node_path.split('/').any(|seg| seg == id),
        };
        Ok(in_subtree && def.target.admits_role(actor.role))
    }

    /// The newest version of each form that is for me and not retired.
    fn my_forms(&self) -> Result<Vec<FormDef>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT definition FROM forms f WHERE retired = 0
             AND version = (SELECT max(version) FROM forms g WHERE g.form_id = f.form_id AND g.retired = 0)
             ORDER BY title, form_id",
        )?;
        let defs = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::new();
        for json in defs {
            let def: FormDef = serde_json::from_str(&json)?;
            if self.form_admits_me(&def)? {
                out.push(def);
            }
        }
        Ok(out)
    }

    /// The forms this user may fill now.
    pub fn forms(&mut self, l: Locale) -> Result<Vec<FormSummary>> {
        let user_id = self.actor()?.user_id.clone();
        let defs = self.my_forms()?;
        let mut out = Vec::with_capacity(defs.len());
        for def in defs {
            let c = self.compiled(&def.form_id, def.version)?;
            let open_drafts: u32 = self.conn().query_row(
                "SELECT count(*) FROM form_drafts WHERE user_id = ?1 AND form_id = ?2",
                params![user_id, def.form_id],
                |r| r.get(0),
            )?;
            out.push(FormSummary {
                form_id: def.form_id.clone(),
                version: def.version,
                title: localized(&def.title, l),
                question_count: c.layout.question_count,
                open_drafts,
            });
        }
        Ok(out)
    }

    /// Starts a draft of the form's newest version for me (or resumes my open draft of it for the same
    /// household, node and visit). `visit_id` ties it to a saved visit (its household is the form's); a
    /// household must be in scope and among those the form targets (e.g. tagged 低保); without one, `node_id`
    /// names the place surveyed (a village for a village questionnaire; default: the user's own node).
    pub fn start_form_draft(
        &mut self,
        form_id: &str,
        household_id: Option<&str>,
        node_id: Option<&str>,
        visit_id: Option<&str>,
        l: Locale,
    ) -> Result<FormModel> {
        let actor = self.actor()?.clone();
        let user_id = actor.user_id.clone();
        let def = self
            .my_forms()?
            .into_iter()
            .find(|d| d.form_id == form_id)
            .ok_or_else(|| Error::not_found("form", form_id))?;
        let mut household = household_id.map(str::to_string);
        if let Some(visit_id) = visit_id {
            let visit = self.visit(visit_id)?;
            match &household {
                Some(h) if h != &visit.household_id => {
                    return Err(Error::invalid("visit_id", "the visit is to another household"));
                }
                _ => household = Some(visit.household_id.clone()),
            }
        }
        let node = match (&household, node_id) {
            (Some(h), _) => {
                let row = self.household(h)?;
                if !def.target.admits_household(&row.tags) {
                    return Err(Error::invalid("household_id", "this form is not for this household (its tags)"));
                }
                row.group_id
            }
            (None, Some(n)) => {
                linkage_protocol::validate::id("node_id", n)?;
                let node = self.node(n).map_err(|_| Error::not_found("node", n))?;
                if !actor.sees(&node.path) {
                    return Err(Error::not_found("node", n));
                }
                n.to_string()
            }
            (None, None) => actor.node_id.clone(),
        };
        let existing: Option<String> = self
            .conn()
            .query_row(
                "SELECT id FROM form_drafts WHERE user_id = ?1 AND form_id = ?2 AND version = ?3
                 AND household_id IS ?4 AND visit_id IS ?5 AND node_id = ?6 ORDER BY updated_at_ms DESC LIMIT 1",
                params![user_id, form_id, def.version, household, visit_id, node],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return self.form_model(&id, None, l);
        }
        let id = new_id();
        self.write_draft(|w| {
            w.tx.execute(
                "INSERT INTO form_drafts (id, form_id, version, user_id, node_id, household_id, visit_id, started_at_ms, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![id, form_id, def.version, user_id, node, household, visit_id, w.now_ms],
            )?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(())
        })?;
        self.form_model(&id, None, l)
    }

    /// Takes the open draft out of the cache (reading it from the database when the cache does not hold it
    /// as stored: another draft, another user, a change made elsewhere). Put it back with [`Store::keep`].
    fn take_draft(&mut self, draft_id: &str) -> Result<OpenDraft> {
        let user_id = self.actor()?.user_id.clone();
        let stored: Option<i64> = self
            .conn()
            .prepare_cached("SELECT updated_at_ms FROM form_drafts WHERE id = ?1 AND user_id = ?2")?
            .query_row(params![draft_id, user_id], |r| r.get(0))
            .optional()?;
        let Some(updated_at_ms) = stored else {
            self.forms.open = None;
            return Err(Error::not_found("form_draft", draft_id));
        };
        match self.forms.open.take() {
            Some(o) if o.id == draft_id && o.user_id == user_id && o.updated_at_ms == updated_at_ms => Ok(o),
            _ => self.load_draft(draft_id, &user_id),
        }
    }

    fn keep(&mut self, open: OpenDraft) {
        self.forms.open = Some(open);
    }

    fn load_draft(&mut self, draft_id: &str, user_id: &str) -> Result<OpenDraft> {
        let (form_id, version, household_id, visit_id, page, show_missing, started_at_ms, updated_at_ms, node_id): (
            String,
            u32,
            Option<String>,
            Option<String>,
            u32,
            bool,
            i64,
            i64,
            String,
        ) = self.conn().query_row(
            "SELECT form_id, version, household_id, visit_id, page, show_missing, started_at_ms, updated_at_ms, node_id
             FROM form_drafts WHERE id = ?1",
            [draft_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
        )?;
        let compiled = self.compiled(&form_id, version)?;
        let form = &compiled.form;
        let mut answers = Answers::default();
        let mut extra = HashMap::new();
        let mut stmt = self.conn().prepare_cached("SELECT path, value FROM form_draft_answers WHERE draft_id = ?1")?;
        let rows = stmt.query_map([draft_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut in_repeats: Vec<(String, u32, String, Stored)> = Vec::new();
        for row in rows {
            let (path, value) = row?;
            if let Some(repeat) = path.strip_suffix('#') {
                counts.insert(repeat.to_string(), value.parse().unwrap_or(0));
                continue;
            }
            let stored: Stored = serde_json::from_str(&value)?;
            let Ok((name, place)) = parse_path(&path) else { continue };
            match place {
                None => {
                    if let Some(i) = form.index(&name) {
                        if let Some(a) = &stored.a {
                            answers.values.insert(name, a.clone());
                        }
                        if stored.raw.is_some() || stored.fix.is_some() {
                            extra.insert((i, None), stored);
                        }
                    }
                }
                Some((repeat, k)) => in_repeats.push((repeat, k, name, stored)),
            }
        }
        drop(stmt);
        for (repeat, n) in &counts {
            answers.repeats.insert(repeat.clone(), vec![RepeatInstance::default(); *n]);
        }
        for (repeat, k, name, stored) in in_repeats {
            let (Some(list), Some(i)) = (answers.repeats.get_mut(&repeat), form.index(&name)) else { continue };
            let Some(inst) = list.get_mut(k as usize) else { continue };
            if let Some(a) = &stored.a {
                inst.values.insert(name, a.clone());
            }
            if stored.raw.is_some() || stored.fix.is_some() {
                extra.insert((i, Some(k)), stored);
            }
        }
        let session = FormSession::new(Arc::clone(form), &answers, FormClock::china_at_ms(self.now_ms()));
        Ok(OpenDraft {
            id: draft_id.to_string(),
            user_id: user_id.to_string(),
            compiled,
            session,
            extra,
            page,
            show_missing,
            node_id,
            household_id,
            visit_id,
            started_at_ms,
            updated_at_ms,
        })
    }

    /// A draft's model: its saved page, or `page` (which is then saved).
    pub fn form_model(&mut self, draft_id: &str, page: Option<u32>, l: Locale) -> Result<FormModel> {
        let mut open = self.take_draft(draft_id)?;
        if let Some(p) = page {
            if p as usize >= open.compiled.layout.pages.len() {
                self.keep(open);
                return Err(Error::invalid("page", "the form has no such page"));
            }
            if p != open.page {
                let t = self.write_draft(|w| {
                    w.tx.execute("UPDATE form_drafts SET page = ?2, updated_at_ms = ?3 WHERE id = ?1", params![draft_id, p, w.now_ms])?;
                    Ok(w.now_ms)
                })?;
                open.page = p;
                open.updated_at_ms = t;
            }
        }
        let model = self.model(&open, l);
        self.keep(open);
        model
    }

    /// Takes one answer: checked (the question exists and is shown now, the answer is of its kind and one of
    /// its choices), applied to the evaluation, stored in one small write. A constraint break is stored and
    /// shown as the question's error (the form cannot be submitted until it is mended); anything refused
    /// changes nothing. A photo goes through the evidence pipeline first.
    pub fn set_form_answer(&mut self, draft_id: &str, path: &str, answer: FormAnswer, l: Locale) -> Result<FormModel> {
        let open = self.take_draft(draft_id)?;
        match self.apply_answer(open, path, answer) {
            Ok(open) => {
                let model = self.model(&open, l);
                self.keep(open);
                model
            }
            Err(e) => Err(e),
        }
    }

    fn apply_answer(&mut self, mut open: OpenDraft, path: &str, answer: FormAnswer) -> Result<OpenDraft> {
        let form = Arc::clone(&open.compiled.form);
        let (name, place) = parse_path(path)?;
        let instance = place.as_ref().map(|(_, k)| *k);
        let i = form.index(&name).ok_or_else(|| Error::invalid("answer", "the form has no such question"))?;
        if let Some((repeat, _)) = &place {
            if form.nodes[i].repeat.map(|r| form.nodes[r].name.as_str()) != Some(repeat.as_str()) {
                return Err(Error::invalid("answer", "the question is not in that repeat"));
            }
        }
        let item = open.session.item(&name, instance).ok_or_else(|| Error::invalid("answer", "no such entry of the repeat"))?;
        if !item.visible {
            return Err(Error::invalid("answer", "the question is not shown now (skip logic): it takes no answer"));
        }
        let k = form.nodes[i].kind;
        if !k.is_answerable() {
            return Err(Error::invalid("answer", "this row takes no answer"));
        }
        let wrong = || Error::invalid("answer", format!("this question takes a {:?} answer", k));
        let mut stored = Stored::default();
        let mut photo: Option<String> = None;
        match answer {
            FormAnswer::Text { value } => {
                if !matches!(k, Kind::Text | Kind::Integer | Kind::Decimal | Kind::Date) {
                    return Err(wrong());
                }
                match read_text(k, &value) {
                    Ok(a) => {
                        stored.a = a;
                        if k != Kind::Text && stored.a.as_ref().is_some_and(|a| answer_text(a) != value) {
                            stored.raw = Some(value);
                        }
                    }
                    Err(()) => stored.raw = Some(value),
                }
                if stored.raw.as_ref().is_some_and(|r| r.chars().count() > pf::eval::MAX_TEXT_ANSWER) {
                    return Err(Error::invalid("answer", "text too long"));
                }
            }
            FormAnswer::Choice { id } => {
                if k != Kind::SelectOne {
                    return Err(wrong());
                }
                stored.a = Some(AnswerValue::Choice(id));
            }
            FormAnswer::Choices { ids } => {
                if k != Kind::SelectMultiple {
                    return Err(wrong());
                }
                stored.a = if ids.is_empty() { None } else { Some(AnswerValue::Choices(ids)) };
            }
            FormAnswer::Location { fix } => {
                if k != Kind::Geopoint {
                    return Err(wrong());
                }
                geo::validate_fix(&fix)?;
                stored.a = Some(AnswerValue::Geopoint(GeoAnswer { lat: fix.lat, lon: fix.lon, accuracy_m: fix.accuracy_m }));
                stored.fix = Some(fix);
            }
            FormAnswer::Photo { path: file, fix } => {
                if k != Kind::Image {
                    return Err(wrong());
                }
                // Checked first so a refused answer stores no photo either.
                open.session.clone().set_answer(&name, instance, Some(AnswerValue::Image("0".repeat(64))))
                    .map_err(|p| Error::invalid("answer", p.message_en()))?;
                let row = self.add_evidence(std::path::Path::new(&file), fix, Some(EvidenceTarget::FormDraft(open.id.clone())))?;
                photo = Some(row.hash.clone());
                stored.a = Some(AnswerValue::Image(row.hash));
            }
            FormAnswer::Clear => {}
        }
        let before = open.session.answers().image_hashes();
        if let Err(p) = open.session.set_answer(&name, instance, stored.a.clone()) {
            if let Some(hash) = &photo {
                self.drop_draft_photo(&open.id, hash)?;
            }
            return Err(Error::invalid("answer", p.message_en()));
        }
        let row = row_path(&form, (i, instance));
        let page = open.compiled.layout.page_of[i] as u32;
        let draft_id = open.id.clone();
        let json = if stored == Stored::default() { None } else { Some(serde_json::to_string(&stored)?) };
        let written = self.write_draft(|w| {
            match &json {
                Some(v) => w.tx.prepare_cached(
                    "INSERT INTO form_draft_answers (draft_id, path, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(draft_id, path) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![draft_id, row, v])?,
                None => w.tx.prepare_cached("DELETE FROM form_draft_answers WHERE draft_id = ?1 AND path = ?2")?.execute(params![draft_id, row])?,
            };
            w.tx.prepare_cached("UPDATE form_drafts SET page = ?2, updated_at_ms = ?3 WHERE id = ?1")?.execute(params![draft_id, page, w.now_ms])?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(w.now_ms)
        });
        let now = match written {
            Ok(t) => t,
            // The session already holds the answer: drop it (the next call reads the draft again).
            Err(e) => return Err(e),
        };
        open.updated_at_ms = now;
        open.page = page;
        if stored.raw.is_some() || stored.fix.is_some() {
            open.extra.insert((i, instance), stored);
        } else {
            open.extra.remove(&(i, instance));
        }
        // A replaced or cleared photo no answer cites any more goes (unless something else uses it).
        let after = open.session.answers().image_hashes();
        for hash in before.iter().filter(|h| !after.contains(h)) {
            self.drop_draft_photo(&open.id, hash)?;
        }
        Ok(open)
    }

    fn drop_draft_photo(&mut self, draft_id: &str, hash: &str) -> Result<()> {
        self.write(|w| {
            w.tx.execute("DELETE FROM evidence_refs WHERE entity_kind = 'form_draft' AND entity_id = ?1 AND hash = ?2", params![draft_id, hash])?;
            Ok(())
        })?;
        self.delete_evidence_if_unused(hash)?;
        Ok(())
    }

    /// Adds an entry at the end of a repeat (a member to the household roster).
    pub fn add_form_instance(&mut self, draft_id: &str, repeat: &str, l: Locale) -> Result<FormModel> {
        let mut open = self.take_draft(draft_id)?;
        let form = Arc::clone(&open.compiled.form);
        let r = form.index(repeat).filter(|&r| form.nodes[r].kind == Kind::Repeat).ok_or_else(|| Error::invalid("repeat", "not a repeat of this form"))?;
        if !open.session.item_at(r, None).is_some_and(|it| it.visible) {
            self.keep(open);
            return Err(Error::invalid("repeat", "the repeat is not shown now (skip logic)"));
        }
        if let Err(p) = open.session.add_instance(repeat) {
            self.keep(open);
            return Err(Error::invalid("repeat", p.message_en()));
        }
        let count = open.session.instance_count(repeat);
        let page = open.compiled.layout.page_of[r] as u32;
        let now = self.write_draft(|w| {
            w.tx.prepare_cached(
                "INSERT INTO form_draft_answers (draft_id, path, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(draft_id, path) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![draft_id, count_path(repeat), count.to_string()])?;
            w.tx.execute("UPDATE form_drafts SET page = ?2, updated_at_ms = ?3 WHERE id = ?1", params![draft_id, page, w.now_ms])?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(w.now_ms)
        })?;
        open.updated_at_ms = now;
        open.page = page;
        let model = self.model(&open, l);
        self.keep(open);
        model
    }

    /// Removes one entry of a repeat (`members[2]`); later entries move up.
    pub fn remove_form_instance(&mut self, draft_id: &str, path: &str, l: Locale) -> Result<FormModel> {
        let mut open = self.take_draft(draft_id)?;
        let form = Arc::clone(&open.compiled.form);
        let (rest, place) = parse_path(path)?;
        let Some((repeat, k)) = place.filter(|_| rest.is_empty()) else {
            self.keep(open);
            return Err(Error::invalid("repeat", "name an entry of a repeat, such as members[2]"));
        };
        let Some(r) = form.index(&repeat).filter(|&r| form.nodes[r].kind == Kind::Repeat) else {
            self.keep(open);
            return Err(Error::invalid("repeat", "not a repeat of this form"));
        };
        let before = open.session.answers().image_hashes();
        if let Err(p) = open.session.remove_instance(&repeat, k) {
            self.keep(open);
            return Err(Error::invalid("repeat", p.message_en()));
        }
        let count = open.session.instance_count(&repeat);
        // The repeat's rows again, renumbered: entries after the removed one move up by one.
        let prefix = format!("{repeat}[");
        let mut rows: Vec<(String, String)> = self
            .conn()
            .prepare_cached("SELECT path, value FROM form_draft_answers WHERE draft_id = ?1 AND substr(path, 1, length(?2)) = ?2")?
            .query_map(params![draft_id, prefix], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.retain_mut(|(p, _)| match parse_path(p) {
            Ok((name, Some((_, j)))) if j != k => {
                let j = if j > k { j - 1 } else { j };
                *p = format!("{repeat}[{}]/{name}", j + 1);
                true
            }
            _ => false,
        });
        let page = open.compiled.layout.page_of[r] as u32;
        let now = self.write_draft(|w| {
            w.tx.execute("DELETE FROM form_draft_answers WHERE draft_id = ?1 AND substr(path, 1, length(?2)) = ?2", params![draft_id, prefix])?;
            for (p, v) in &rows {
                w.tx.prepare_cached("INSERT INTO form_draft_answers (draft_id, path, value) VALUES (?1, ?2, ?3)")?.execute(params![draft_id, p, v])?;
            }
            w.tx.execute(
                "INSERT INTO form_draft_answers (draft_id, path, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(draft_id, path) DO UPDATE SET value = excluded.value",
                params![draft_id, count_path(&repeat), count.to_string()],
            )?;
            w.tx.execute("UPDATE form_drafts SET page = ?2, updated_at_ms = ?3 WHERE id = ?1", params![draft_id, page, w.now_ms])?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(w.now_ms)
        })?;
        open.extra = open
            .extra
            .into_iter()
            .filter_map(|((q, inst), v)| match inst {
                Some(j) if form.nodes[q].repeat == Some(r) => match j.cmp(&k) {
                    std::cmp::Ordering::Equal => None,
                    std::cmp::Ordering::Greater => Some(((q, Some(j - 1)), v)),
                    std::cmp::Ordering::Less => Some(((q, Some(j)), v)),
                },
                _ => Some(((q, inst), v)),
            })
            .collect();
        open.updated_at_ms = now;
        open.page = page;
        let after = open.session.answers().image_hashes();
        for hash in before.iter().filter(|h| !after.contains(h)) {
            self.drop_draft_photo(&open.id, hash)?;
        }
        let model = self.model(&open, l);
        self.keep(open);
        model
    }

    /// The user's open form drafts, most recently edited first.
    pub fn form_drafts(&mut self, l: Locale) -> Result<Vec<FormDraftSummary>> {
        let user_id = self.actor()?.user_id.clone();
        let rows: Vec<(String, String, u32, Option<String>, i64)> = self
            .conn()
            .prepare_cached(
                "SELECT d.id, d.form_id, d.version, d.household_id, d.updated_at_ms FROM form_drafts d
                 WHERE d.user_id = ?1 ORDER BY d.updated_at_ms DESC, d.id DESC",
            )?
            .query_map([&user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (draft_id, form_id, version, household_id, updated_at_ms) in rows {
            let c = self.compiled(&form_id, version)?;
            let answered: u32 = self.conn().query_row(
                "SELECT count(*) FROM form_draft_answers WHERE draft_id = ?1 AND substr(path, -1) != '#'",
                [&draft_id],
                |r| r.get(0),
            )?;
            out.push(FormDraftSummary {
                draft_id,
                form_id,
                title: localized(&c.form.def.title, l),
                subject_label: self.household_label(household_id.as_deref())?,
                answered,
                updated_at_ms,
            });
        }
        Ok(out)
    }

    fn household_label(&self, household_id: Option<&str>) -> Result<Option<String>> {
        let Some(id) = household_id else { return Ok(None) };
        Ok(self.conn().prepare_cached("SELECT head_name FROM households WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?)
    }

    /// Discards a draft with its answers and the photos only it used.
    pub fn discard_form_draft(&mut self, draft_id: &str) -> Result<()> {
        let open = self.take_draft(draft_id)?;
        let hashes = open.session.answers().image_hashes();
        self.write(|w| {
            w.tx.execute("DELETE FROM evidence_refs WHERE entity_kind = 'form_draft' AND entity_id = ?1", [draft_id])?;
            w.tx.execute("DELETE FROM form_draft_answers WHERE draft_id = ?1", [draft_id])?;
            w.tx.execute("DELETE FROM form_drafts WHERE id = ?1", [draft_id])?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(())
        })?;
        for hash in &hashes {
            self.delete_evidence_if_unused(hash)?;
        }
        Ok(())
    }

    /// Submits a draft: refused (nothing stored, the draft kept and from now on showing what is missing) when
    /// the form version was retired, an answer is unreadable, or `validate_response` — the server's own
    /// judgement — finds a problem. Accepted: the response, its outbox operation and the draft's deletion
    /// commit in one transaction; its photos move from the draft to the response.
    pub fn submit_form(&mut self, draft_id: &str, l: Locale) -> Result<SubmittedForm> {
        let mut open = self.take_draft(draft_id)?;
        let form = Arc::clone(&open.compiled.form);
        let (form_id, version) = (form.def.form_id.clone(), form.def.version);
        let retired: bool = self
            .conn()
            .query_row("SELECT retired FROM forms WHERE form_id = ?1 AND version = ?2", params![form_id, version], |r| r.get(0))?;
        if retired {
            self.keep(open);
            return Err(Error::invalid("form_version", "this version of the form was retired by the county: start the new version"));
        }
        let unread = open.extra.iter().find(|((i, k), s)| {
            s.a.is_none() && s.raw.as_ref().is_some_and(|r| !r.trim().is_empty()) && open.session.item_at(*i, k.map(|k| k as usize)).is_some_and(|it| it.visible)
        });
        let now = self.now_ms();
        let answers = open.session.visible_answers();
        let problem = match unread {
            Some(((i, k), _)) => Some((*i, *k, unreadable(form.nodes[*i].kind, Locale::En))),
            None => match validate_response(&form, &answers, FormClock::china_at_ms(now)) {
                Ok(()) => None,
                Err(errors) => errors.first().map(|e| (form.index(&e.question).unwrap_or(0), e.instance, e.to_string())),
            },
        };
        if let Some((i, k, reason)) = problem {
            // Nothing is submitted; the form now shows every missing answer, on the page of the first problem.
            let page = open.compiled.layout.page_of[i] as u32;
            let at = self.write_draft(|w| {
                w.tx.execute("UPDATE form_drafts SET show_missing = 1, page = ?2, updated_at_ms = ?3 WHERE id = ?1", params![draft_id, page, w.now_ms])?;
                Ok(w.now_ms)
            })?;
            open.show_missing = true;
            open.page = page;
            open.updated_at_ms = at;
            let path = row_path(&form, (i, k));
            self.keep(open);
            return Err(Error::invalid("answer", format!("{path}: {reason}")));
        }
        let actor = self.actor()?.clone();
        let answered = count_answers(&answers);
        let mut response = FormResponse {
            // The draft's id is the response's (and its operation's): a retried submit is one response.
            response_id: draft_id.to_string(),
            form_id: form_id.clone(),
            form_version: version,
            respondent_id: actor.user_id.clone(),
            node_id: open.node_id.clone(),
            household_id: open.household_id.clone(),
            visit_id: open.visit_id.clone(),
            started_at_ms: open.started_at_ms,
            submitted_at_ms: now,
            evidence: answers.image_hashes(),
            answers,
        };
        // A plain (FULL) write: the response and its outbox operation survive a power cut once this returns.
        let submitted_at = self.write(|w| {
            response.submitted_at_ms = w.now_ms;
            persist_response(&w.tx, &response)?;
            let hlc = w.next_hlc();
            w.enqueue(&response.response_id, &hlc, &OpBody::FormResponseSubmitted(response.clone()))?;
            w.tx.execute("DELETE FROM evidence_refs WHERE entity_kind = 'form_draft' AND entity_id = ?1", [draft_id])?;
            w.tx.execute("DELETE FROM form_draft_answers WHERE draft_id = ?1", [draft_id])?;
            w.tx.execute("DELETE FROM form_drafts WHERE id = ?1", [draft_id])?;
            w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
            Ok(w.now_ms)
        })?;
        self.forms.open = None;
        Ok(SubmittedForm {
            response_id: response.response_id,
            form_id,
            version,
            title: localized(&form.def.title, l),
            household_id: response.household_id,
            visit_id: response.visit_id,
            answered,
            submitted_at_ms: submitted_at,
        })
    }

    /// The model of the open draft's page.
    fn model(&self, open: &OpenDraft, l: Locale) -> Result<FormModel> {
        let c = &open.compiled;
        let form = &c.form;
        let layout = &c.layout;
        let page_index = (open.page as usize).min(layout.pages.len().saturating_sub(1));
        // Tallies per page and for the whole form, from the whole evaluation.
        let mut tallies = vec![Tally::default(); layout.pages.len()];
        let mut total = Tally::default();
        for it in open.session.evaluation().items {
            if !it.visible || !it.kind.is_answerable() {
                continue;
            }
            let extra = open.extra.get(&(it.index, it.instance));
            let typed = extra.and_then(|e| e.raw.as_ref()).is_some_and(|r| !r.trim().is_empty());
            let unreadable = it.answer.is_none() && typed;
            let t = &mut tallies[layout.page_of[it.index]];
            t.questions += 1;
            total.questions += 1;
            if it.answer.is_some() || typed {
                t.answered += 1;
                total.answered += 1;
            }
            match &it.problem {
                _ if unreadable => {
                    t.errors += 1;
                    total.errors += 1;
                }
                Some(Problem::Required) => {
                    total.missing += 1;
                    if open.show_missing {
                        t.errors += 1;
                    }
                }
                Some(_) => {
                    t.errors += 1;
                    total.errors += 1;
                }
                None => {}
            }
        }
        let pages = layout
            .pages
            .iter()
            .zip(&tallies)
            .enumerate()
            .map(|(k, (p, t))| FormPageTab { index: k as u32, label: localized(&p.label, l), questions: t.questions, answered: t.answered, errors: t.errors })
            .collect();
        let page = &layout.pages[page_index];
        let mut items = Vec::new();
        self.page_items(open, page.start, page.end, None, page.root, l, &mut items)?;
        let complete = total.errors == 0 && total.missing == 0;
        let status_text = if total.missing > 0 {
            pick(l, format!("还有 {} 题必答未填", total.missing), format!("{} required question(s) unanswered", total.missing))
        } else if total.errors > 0 {
            pick(l, format!("有 {} 处填写有误", total.errors), format!("{} answer(s) to correct", total.errors))
        } else {
            l.pick("已填完，可以提交", "Complete: ready to submit").to_string()
        };
        Ok(FormModel {
            draft_id: open.id.clone(),
            form_id: form.def.form_id.clone(),
            version: form.def.version,
            title: localized(&form.def.title, l),
            household_id: open.household_id.clone(),
            subject_label: self.household_label(open.household_id.as_deref())?,
            visit_id: open.visit_id.clone(),
            pages,
            page: page_index as u32,
            items,
            errors: total.errors,
            missing: total.missing,
            complete,
            status_text,
            started_at_ms: open.started_at_ms,
            updated_at_ms: open.updated_at_ms,
        })
    }

    /// The rows of questions `start..end` (in instance `k` of their repeat), skipping what is not relevant.
    #[allow(clippy::too_many_arguments)]
    fn page_items(&self, open: &OpenDraft, start: usize, end: usize, k: Option<u32>, root: Option<usize>, l: Locale, out: &mut Vec<FormItem>) -> Result<()> {
        let c = &open.compiled;
        let form = &c.form;
        let layout = &c.layout;
        let mut i = start;
        while i < end {
            let node = &form.nodes[i];
            let kk = if node.repeat.is_some() { k.map(|k| k as usize) } else { None };
            let Some(it) = open.session.item_at(i, kk) else {
                i = layout.end[i];
                continue;
            };
            if !it.visible {
                i = layout.end[i];
                continue;
            }
            let depth = layout.depth[i];
            let base = |item: FormItemKind, path: String, label: String, depth: u32| FormItem {
                path,
                item,
                depth,
                label,
                hint: String::new(),
                required: false,
                read_only: true,
                text: String::new(),
                choices: Vec::new(),
                fix: None,
                photo: None,
                error: None,
            };
            match node.kind {
                Kind::Group => {
                    if root != Some(i) {
                        out.push(base(FormItemKind::Section, row_path(form, (i, k)), localized(&node.label, l), depth));
                    }
                    i += 1;
                }
                Kind::Repeat => {
                    let label = localized(&node.label, l);
                    if root != Some(i) {
                        out.push(base(FormItemKind::Section, node.name.clone(), label.clone(), depth));
                    }
                    let n = open.session.instance_count(&node.name) as u32;
                    for inst in 0..n {
                        out.push(base(
                            FormItemKind::RepeatInstance { index: inst + 1, can_remove: true },
                            format!("{}[{}]", node.name, inst + 1),
                            format!("{label} {}", inst + 1),
                            depth,
                        ));
                        self.page_items(open, i + 1, layout.end[i], Some(inst), root, l, out)?;
                    }
                    if n < node.max_instances {
                        out.push(base(FormItemKind::RepeatAdd, node.name.clone(), pick(l, format!("添加{label}"), format!("Add {label}")), depth));
                    }
                    i = layout.end[i];
                }
                _ => {
                    let extra = open.extra.get(&(i, k));
                    let raw = extra.and_then(|e| e.raw.clone());
                    let typed = raw.as_ref().is_some_and(|r| !r.trim().is_empty());
                    let text = match (&raw, &it.answer) {
                        (Some(r), _) => r.clone(),
                        (None, Some(a)) if node.kind != Kind::Image => answer_text(a),
                        _ if node.kind == Kind::Calculate => it.value.as_text(),
                        _ => String::new(),
                    };
                    let picked: Vec<&str> = match &it.answer {
                        Some(AnswerValue::Choice(c)) => vec![c.as_str()],
                        Some(AnswerValue::Choices(cs)) => cs.iter().map(String::as_str).collect(),
                        _ => Vec::new(),
                    };
                    let choices = layout.choices[i]
                        .iter()
                        .map(|(id, label)| FormChoice { id: id.clone(), label: localized(label, l), selected: picked.contains(&id.as_str()) })
                        .collect();
                    let photo = match &it.answer {
                        Some(AnswerValue::Image(h)) => self.evidence(h).ok().map(crate::api::evidence),
                        _ => None,
                    };
                    let fix = match (&it.answer, extra.and_then(|e| e.fix)) {
                        (Some(AnswerValue::Geopoint(_)), Some(f)) => Some(f),
                        (Some(AnswerValue::Geopoint(g)), None) => Some(GpsFix { lat: g.lat, lon: g.lon, accuracy_m: g.accuracy_m, fix_time_ms: 0, mocked: false }),
                        _ => None,
                    };
                    let error = if it.answer.is_none() && typed {
                        Some(unreadable(node.kind, l))
                    } else {
                        match &it.problem {
                            Some(Problem::Required) if !open.show_missing => None,
                            Some(p) => Some(problem_text(p, l)),
                            None => None,
                        }
                    };
                    out.push(FormItem {
                        path: row_path(form, (i, k)),
                        item: FormItemKind::Question { kind: kind(node.kind) },
                        depth,
                        label: localized(&node.label, l),
                        hint: node.hint.as_ref().map(|h| localized(h, l)).unwrap_or_default(),
                        required: node.required,
                        read_only: !node.kind.is_answerable(),
                        text,
                        choices,
                        fix,
                        photo,
                        error,
                    });
                    i += 1;
                }
            }
        }
        Ok(())
    }
}

fn count_answers(a: &Answers) -> u32 {
    (a.values.len() + a.repeats.values().flatten().map(|i| i.values.len()).sum::<usize>()) as u32
}

/// Stores a response (made here, or pulled in scope) once; its photos are referenced by it.
pub(crate) fn persist_response(tx: &Connection, r: &FormResponse) -> Result<bool> {
    let inserted = tx.execute(
        "INSERT INTO form_responses (id, form_id, version, user_id, node_id, household_id, visit_id, answers, submitted_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO NOTHING",
        params![
            r.response_id,
            r.form_id,
            r.form_version,
            r.respondent_id,
            r.node_id,
            r.household_id,
            r.visit_id,
            serde_json::to_string(&r.answers)?,
            r.submitted_at_ms
        ],
    )?;
    if inserted > 0 {
        for hash in &r.evidence {
            tx.execute("INSERT OR IGNORE INTO evidence_refs (entity_kind, entity_id, hash) VALUES ('form_response', ?1, ?2)", params![r.response_id, hash])?;
        }
    }
    Ok(inserted > 0)
}
