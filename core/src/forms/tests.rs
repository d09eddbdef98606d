//! The form model, drafts and submission over a real store (fixture county).

use linkage_protocol::forms::FormDef;
use linkage_protocol::labels::Locale;
use linkage_protocol::model::GpsFix;

use super::api::*;
use crate::error::Error;
use crate::store::testing::*;
use crate::store::Store;

const ZH: Locale = Locale::ZhCn;

/// A small 防返贫 household check (core/tests/fixtures/form_fpj_check.json, shared with the Kotlin host tests
/// and the benchmark): a page of basics (skip logic, a constraint), a housing group (photo, position,
/// multi-select), a roster repeat, and a calculation on its own page.
pub(crate) fn check_form(version: u32) -> FormDef {
    let mut def: FormDef = serde_json::from_str(include_str!("../../tests/fixtures/form_fpj_check.json")).unwrap();
    def.version = version;
    def
}

fn phone() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(crate::clock::ManualClock::new(NOW));
    let mut s = Store::open(&dir.path().join("phone.db"), clock).unwrap();
    s.load_bundle(&bundle_json()).unwrap();
    s.sign_in("gw").unwrap();
    s.receive_form(&check_form(1)).unwrap();
    (s, dir)
}

fn text(v: &str) -> FormAnswer {
    FormAnswer::Text { value: v.into() }
}

fn item<'a>(m: &'a FormModel, path: &str) -> Option<&'a FormItem> {
    m.items.iter().find(|i| i.path == path)
}

fn count(s: &Store, sql: &str) -> i64 {
    s.conn().query_row(&format!("SELECT count(*) FROM {sql}"), [], |r| r.get(0)).unwrap()
}

#[test]
fn the_model_follows_skip_logic_constraints_and_calculations() {
    let (mut s, _dir) = phone();
    let forms = s.forms(ZH).unwrap();
    assert_eq!(forms.len(), 1);
    assert_eq!((forms[0].title.as_str(), forms[0].question_count, forms[0].open_drafts), ("防返贫监测走访表", 10, 0));
    let m = s.start_form_draft("fpj-check", Some("h1"), None, None, ZH).unwrap();
    assert_eq!(m.pages.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(), ["防返贫监测走访表", "住房情况", "家庭成员", "防返贫监测走访表"]);
    assert_eq!(m.subject_label.as_deref(), Some("张建国"));
    // Page 1: the amount is hidden until 有稳定收入 = 是.
    assert_eq!(m.items.iter().map(|i| i.path.as_str()).collect::<Vec<_>>(), ["respondent", "age", "has_income"]);
    assert_eq!((m.missing, m.errors, m.complete), (2, 0, false));
    assert!(m.items.iter().all(|i| i.error.is_none()), "missing answers are not errors before a submit");
    let id = m.draft_id.clone();
    let m = s.set_form_answer(&id, "has_income", FormAnswer::Choice { id: "yes".into() }, ZH).unwrap();
    let choices = &item(&m, "has_income").unwrap().choices;
    assert_eq!(choices.iter().map(|c| (c.label.as_str(), c.selected)).collect::<Vec<_>>(), [("是", true), ("否", false)]);
    assert!(item(&m, "income").unwrap().required);
    assert_eq!(m.missing, 2, "the amount is now required, 有稳定收入 answered");
    // A constraint break is kept and shown in Chinese; mending it clears it.
    let m = s.set_form_answer(&id, "age", text("12"), ZH).unwrap();
    assert_eq!(item(&m, "age").unwrap().error.as_deref(), Some("年龄应在 16 到 120 岁之间"));
    assert_eq!((m.errors, m.status_text.as_str()), (1, "还有 2 题必答未填"));
    let m = s.set_form_answer(&id, "age", text("1a"), ZH).unwrap();
    assert_eq!(item(&m, "age").unwrap().text, "1a", "what was typed stays");
    assert_eq!(item(&m, "age").unwrap().error.as_deref(), Some("请填写整数（如 12）"));
    let m = s.set_form_answer(&id, "age", text("67"), ZH).unwrap();
    assert_eq!((item(&m, "age").unwrap().error.clone(), m.errors), (None, 0));
    // 否 hides the amount again; an answer to it now is refused and nothing changes.
    s.set_form_answer(&id, "income", text("1200.5"), ZH).unwrap();
    let m = s.set_form_answer(&id, "has_income", FormAnswer::Choice { id: "no".into() }, ZH).unwrap();
    assert!(item(&m, "income").is_none());
    let before = snapshot(&s);
    assert!(matches!(s.set_form_answer(&id, "income", text("800"), ZH), Err(Error::Field(f)) if f.field == "answer"));
    assert!(matches!(s.set_form_answer(&id, "has_income", FormAnswer::Choice { id: "maybe".into() }, ZH), Err(Error::Field(_))));
    assert!(matches!(s.set_form_answer(&id, "age", FormAnswer::Choice { id: "yes".into() }, ZH), Err(Error::Field(_))));
    assert!(matches!(s.set_form_answer(&id, "nosuch", text("x"), ZH), Err(Error::Field(_))));
    assert!(matches!(s.set_form_answer(&id, "members[1]/m_name", text("x"), ZH), Err(Error::Field(_))), "no such entry yet");
    assert_eq!(snapshot(&s), before);

    // The housing page: a multi-select opens the detail question.
    let m = s.form_model(&id, Some(1), ZH).unwrap();
    assert_eq!(m.items.iter().map(|i| i.path.as_str()).collect::<Vec<_>>(), ["problems", "house_photo", "spot"]);
    let m = s.set_form_answer(&id, "problems", FormAnswer::Choices { ids: vec!["crack".into(), "leak".into()] }, ZH).unwrap();
    assert!(item(&m, "detail").is_some());
    let fix = GpsFix { lat: 35.5801, lon: 109.2601, accuracy_m: 8.0, fix_time_ms: NOW, mocked: false };
    let m = s.set_form_answer(&id, "spot", FormAnswer::Location { fix }, ZH).unwrap();
    assert_eq!(item(&m, "spot").unwrap().fix, Some(fix));

    // The roster: entries added and removed; the count follows.
    let m = s.add_form_instance(&id, "members", ZH).unwrap();
    assert_eq!(m.page, 2);
    s.add_form_instance(&id, "members", ZH).unwrap();
    s.set_form_answer(&id, "members[1]/m_name", text("张建国"), ZH).unwrap();
    let m = s.set_form_answer(&id, "members[2]/m_name", text("张小明"), ZH).unwrap();
    let rows: Vec<_> = m.items.iter().map(|i| (i.path.as_str(), i.item.clone())).collect();
    assert_eq!(rows[0], ("members[1]", FormItemKind::RepeatInstance { index: 1, can_remove: true }));
    assert_eq!(rows.last().unwrap(), &("members", FormItemKind::RepeatAdd));
    assert_eq!(item(&m, "members[2]/m_name").unwrap().label, "姓名");
    let m = s.form_model(&id, Some(3), ZH).unwrap();
    assert_eq!((item(&m, "member_count").unwrap().text.as_str(), item(&m, "member_count").unwrap().read_only), ("2", true));
    s.set_form_answer(&id, "members[2]/m_age", text("9"), ZH).unwrap();
    let m = s.remove_form_instance(&id, "members[1]", ZH).unwrap();
    assert_eq!(item(&m, "members[1]/m_name").unwrap().text, "张小明", "later entries move up");
    assert_eq!(item(&m, "members[1]/m_age").unwrap().text, "9");
    assert!(item(&m, "members[2]/m_name").is_none());
}

#[test]
fn a_draft_survives_a_new_process_and_submits_once_through_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("phone.db");
    let clock = std::sync::Arc::new(crate::clock::ManualClock::new(NOW));
    let id = {
        let mut s = Store::open(&db, clock.clone()).unwrap();
        s.load_bundle(&bundle_json()).unwrap();
        s.sign_in("gw").unwrap();
        s.receive_form(&check_form(1)).unwrap();
        let m = s.start_form_draft("fpj-check", Some("h1"), None, None, ZH).unwrap();
        let id = m.draft_id;
        s.set_form_answer(&id, "respondent", text("张建国"), ZH).unwrap();
        s.set_form_answer(&id, "age", text("8"), ZH).unwrap();
        s.set_form_answer(&id, "has_income", FormAnswer::Choice { id: "yes".into() }, ZH).unwrap();
        s.add_form_instance(&id, "members", ZH).unwrap();
        s.set_form_answer(&id, "members[1]/m_name", text("张建国"), ZH).unwrap();
        s.set_form_answer(&id, "members[1]/m_age", text("6x"), ZH).unwrap();
        id
    };
    // A new process: the draft is there, on the page it was on, with what was typed.
    let mut s = Store::open(&db, clock).unwrap();
    let m = s.form_model(&id, None, ZH).unwrap();
    assert_eq!(m.page, 2);
    assert_eq!(item(&m, "members[1]/m_age").unwrap().text, "6x");
    assert_eq!(s.form_drafts(ZH).unwrap().iter().map(|d| (d.draft_id.as_str(), d.answered)).collect::<Vec<_>>(), [(id.as_str(), 5)]);
    assert_eq!(s.start_form_draft("fpj-check", Some("h1"), None, None, ZH).unwrap().draft_id, id, "opening the form again resumes it");

    // Refused while anything is wrong: nothing submitted, the problems shown from then on.
    let before = count(&s, "outbox");
    assert!(matches!(s.submit_form(&id, ZH), Err(Error::Field(f)) if f.field == "answer"));
    assert_eq!((count(&s, "outbox"), count(&s, "form_responses")), (before, 0));
    let m = s.form_model(&id, None, ZH).unwrap();
    assert_eq!(item(&m, "members[1]/m_age").unwrap().error.as_deref(), Some("请填写整数（如 12）"));
    s.set_form_answer(&id, "members[1]/m_age", text("66"), ZH).unwrap();
    assert!(s.submit_form(&id, ZH).is_err());
    let m = s.form_model(&id, Some(0), ZH).unwrap();
    assert_eq!(item(&m, "age").unwrap().error.as_deref(), Some("年龄应在 16 到 120 岁之间"));
    assert_eq!(item(&m, "income").unwrap().error.as_deref(), Some("此题必须回答"), "missing answers shown after a refused submit");
    s.set_form_answer(&id, "age", text("66"), ZH).unwrap();
    s.set_form_answer(&id, "income", text("900"), ZH).unwrap();
    let m = s.form_model(&id, None, ZH).unwrap();
    assert!(m.complete, "{}", m.status_text);

    let done = s.submit_form(&id, ZH).unwrap();
    assert_eq!((done.form_id.as_str(), done.version, done.household_id.as_deref(), done.answered), ("fpj-check", 1, Some("h1"), 6));
    assert_eq!(count(&s, "form_responses"), 1);
    assert_eq!(count(&s, &format!("outbox WHERE kind = 'form_response_submitted' AND op_id = '{id}'")), 1);
    let payload: String = s.conn().query_row("SELECT payload FROM outbox WHERE op_id = ?1", [&id], |r| r.get(0)).unwrap();
    let linkage_protocol::wire::OpBody::FormResponseSubmitted(r) = serde_json::from_str(&payload).unwrap() else { panic!("a response") };
    assert_eq!((r.node_id.as_str(), r.respondent_id.as_str(), r.answers.repeats["members"].len()), ("g1", "gw", 1));
    assert_eq!((count(&s, "form_drafts"), count(&s, "form_draft_answers")), (0, 0));
    assert!(matches!(s.submit_form(&id, ZH), Err(Error::NotFound { .. })), "a retry finds no draft");
    assert_eq!(count(&s, "form_responses"), 1);
}

#[test]
fn photos_go_through_the_evidence_pipeline_and_discarding_removes_them() {
    let (mut s, dir) = phone();
    let m = s.start_form_draft("fpj-check", Some("h2"), None, None, ZH).unwrap();
    let id = m.draft_id;
    let file = crate::store::evidence::tests::jpeg(dir.path(), "roof.jpg", 640, 480);
    let m = s.set_form_answer(&id, "house_photo", FormAnswer::Photo { path: file.to_string_lossy().into(), fix: None }, ZH).unwrap();
    let photo = item(&m, "house_photo").unwrap().photo.clone().expect("the photo");
    assert!(photo.watermark.contains("问卷调查"), "{}", photo.watermark);
    assert_eq!(count(&s, "evidence_refs WHERE entity_kind = 'form_draft'"), 1);
    // A file that is no photo: refused, nothing stored, the answer unchanged.
    let bad = dir.path().join("x.jpg");
    std::fs::write(&bad, "不是照片").unwrap();
    let before = snapshot(&s);
    assert!(s.set_form_answer(&id, "house_photo", FormAnswer::Photo { path: bad.to_string_lossy().into(), fix: None }, ZH).is_err());
    assert_eq!(snapshot(&s), before);
    // A photo for a question that is not an image question: refused before any file is written.
    assert!(s.set_form_answer(&id, "respondent", FormAnswer::Photo { path: file.to_string_lossy().into(), fix: None }, ZH).is_err());
    assert_eq!(snapshot(&s), before);
    s.discard_form_draft(&id).unwrap();
    assert_eq!((count(&s, "evidence"), count(&s, "form_drafts")), (0, 0));
    assert!(!std::path::Path::new(&photo.path).exists());
}

#[test]
fn forms_reach_only_their_targets_and_retired_versions_take_no_response() {
    let (mut s, _dir) = phone();
    // The form is for grid workers under 石堡镇 (t1).
    s.sign_in("lh").unwrap();
    assert!(s.forms(ZH).unwrap().is_empty());
    assert!(matches!(s.start_form_draft("fpj-check", None, None, None, ZH), Err(Error::NotFound { .. })));
    s.sign_in("gw").unwrap();
    assert!(matches!(s.start_form_draft("fpj-check", Some("h4"), None, None, ZH), Err(Error::NotFound { .. })), "h4 is outside gw's area");
    let m = s.start_form_draft("fpj-check", None, None, None, ZH).unwrap();
    // A definition that does not compile is refused whole.
    let mut broken = check_form(2);
    broken.questions[3].relevant = Some("${nosuch} = 1".into());
    let before = snapshot(&s);
    assert!(matches!(s.receive_form(&broken), Err(Error::Field(_))));
    assert_eq!(snapshot(&s), before);
    // Version 1 retired: its open draft cannot be submitted; new drafts take the new version.
    s.receive_form(&check_form(2)).unwrap();
    s.write(|w| super::retire_form(&w.tx, "fpj-check", 1)).unwrap();
    assert_eq!(s.forms(ZH).unwrap()[0].version, 2);
    let before = snapshot(&s);
    assert!(matches!(s.submit_form(&m.draft_id, ZH), Err(Error::Field(f)) if f.field == "form_version"));
    assert_eq!(snapshot(&s), before);
    assert_eq!(s.start_form_draft("fpj-check", None, None, None, ZH).unwrap().version, 2);
}

/// The child process of [`a_draft_survives_the_app_being_killed`]: fills a draft in the store it is given,
/// prints the draft id, and dies by `abort` (no destructor, no close, no checkpoint: the answers are only
/// in the WAL, committed with `synchronous=NORMAL`).
#[test]
#[ignore = "run as a child process by a_draft_survives_the_app_being_killed"]
fn draft_writer_then_killed() {
    let Some(db) = std::env::var_os("LINKAGE_KILLED_DRAFT_DB") else { return };
    let clock = std::sync::Arc::new(crate::clock::ManualClock::new(NOW));
    let mut s = Store::open(std::path::Path::new(&db), clock).unwrap();
    s.load_bundle(&bundle_json()).unwrap();
    s.sign_in("gw").unwrap();
    s.receive_form(&check_form(1)).unwrap();
    let id = s.start_form_draft("fpj-check", Some("h1"), None, None, ZH).unwrap().draft_id;
    s.set_form_answer(&id, "respondent", text("张建国"), ZH).unwrap();
    s.set_form_answer(&id, "age", text("67"), ZH).unwrap();
    s.add_form_instance(&id, "members", ZH).unwrap();
    s.set_form_answer(&id, "members[1]/m_age", text("6x"), ZH).unwrap();
    println!("draft-id={id}");
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    std::process::abort();
}

/// Drafts commit with `synchronous=NORMAL` (ADR 0014): a process killed right after its answers — no clean
/// close, nothing checkpointed — leaves them all in the store the next process opens.
#[test]
fn a_draft_survives_the_app_being_killed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("phone.db");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["forms::tests::draft_writer_then_killed", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("LINKAGE_KILLED_DRAFT_DB", &db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the child was to die by abort: {stdout}");
    let id = stdout.split("draft-id=").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap_or_else(|| panic!("no draft id: {stdout}")).to_string();
    let wal = std::fs::metadata(dir.path().join("phone.db-wal")).map(|m| m.len()).unwrap_or(0);
    assert!(wal > 0, "the answers are in the WAL (not checkpointed by a clean close)");
    let clock = std::sync::Arc::new(crate::clock::ManualClock::new(NOW));
    let mut s = Store::open(&db, clock).unwrap();
    let m = s.form_model(&id, None, ZH).unwrap();
    assert_eq!((m.page, item(&m, "members[1]/m_age").unwrap().text.as_str()), (2, "6x"));
    let m = s.form_model(&id, Some(0), ZH).unwrap();
    assert_eq!(item(&m, "respondent").unwrap().text, "张建国");
    assert_eq!(item(&m, "age").unwrap().text, "67");
    assert_eq!(s.form_drafts(ZH).unwrap().iter().map(|d| (d.draft_id.as_str(), d.answered)).collect::<Vec<_>>(), [(id.as_str(), 3)]);
}

fn synchronous(s: &Store) -> i64 {
    s.conn().query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap()
}

/// A draft's write commits with NORMAL (1) and leaves the connection at FULL (2), also when it fails; every
/// other write, the submitted response with its outbox operation included, commits FULL.
#[test]
fn draft_writes_commit_normal_and_everything_else_full() {
    let (mut s, _dir) = phone();
    assert_eq!(synchronous(&s), 2);
    let inside = |w: &mut crate::store::Tx<'_>| -> crate::error::Result<i64> { Ok(w.tx.query_row("PRAGMA synchronous", [], |r| r.get(0))?) };
    assert_eq!(s.write_draft(inside).unwrap(), 1, "a draft commits NORMAL");
    assert_eq!(synchronous(&s), 2, "and FULL is back after it");
    assert_eq!(s.write(inside).unwrap(), 2, "any other write commits FULL");
    assert!(s.write_draft(|_| -> crate::error::Result<()> { Err(Error::invalid("x", "refused")) }).is_err());
    assert_eq!(synchronous(&s), 2, "FULL is back after a failed draft write too");

    let id = s.start_form_draft("fpj-check", Some("h1"), None, None, ZH).unwrap().draft_id;
    assert_eq!(synchronous(&s), 2);
    s.set_form_answer(&id, "respondent", text("张建国"), ZH).unwrap();
    assert_eq!(synchronous(&s), 2, "after an answer");
    s.set_form_answer(&id, "age", text("67"), ZH).unwrap();
    s.set_form_answer(&id, "has_income", FormAnswer::Choice { id: "no".into() }, ZH).unwrap();
    s.add_form_instance(&id, "members", ZH).unwrap();
    s.set_form_answer(&id, "members[1]/m_name", text("张建国"), ZH).unwrap();
    s.set_form_answer(&id, "members[1]/m_age", text("67"), ZH).unwrap();
    assert_eq!(synchronous(&s), 2, "after a repeat entry");
    s.submit_form(&id, ZH).unwrap();
    assert_eq!(synchronous(&s), 2, "after the submit");

    // During a bulk load (OFF) a draft write leaves OFF alone.
    s.set_bulk_load(true).unwrap();
    assert_eq!(s.write_draft(inside).unwrap(), 0);
    assert_eq!(synchronous(&s), 0);
    s.set_bulk_load(false).unwrap();
    assert_eq!(synchronous(&s), 2);
}
