//! Forms (问卷, issue #15) on the server: the 筠连 example questionnaire imported from its XLSForm and sent
//! to the phones it targets in the change feed; responses judged with the shared `validate_response`
//! (hidden answers, broken constraints, retired versions, scope and target refused with their reasons);
//! tabulation by hand-checked counts; the XLSX export; a malformed XLSForm refused row by row.

use std::path::{Path, PathBuf};

use linkage_protocol::forms::{AnswerValue, Answers, GeoAnswer, RepeatInstance};
use linkage_protocol::model::{GpsFix, OnSiteVerdict, OrgLevel, Role, VisitKind};
use linkage_protocol::sync::{OpOutcome, RejectCode};
use linkage_protocol::wire::{FormResponse, OpBody, Operation, Visit};
use linkage_server::forms;

use crate::common::{now_ms, start, uuid, TestServer};

pub(crate) fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/forms/yunlian-village-questionnaire.xlsx")
}

fn op(body: OpBody) -> Operation {
    let at = now_ms();
    Operation { op_id: uuid(), hlc: linkage_protocol::hlc::Hlc { wall_ms: at, counter: 0 }.encode("test"), body }
}

fn text(s: &str) -> AnswerValue {
    AnswerValue::Text(s.into())
}

fn choice(s: &str) -> AnswerValue {
    AnswerValue::Choice(s.into())
}

/// A complete, valid answer set for the village questionnaire.
pub(crate) fn village_answers(village_type: &str, households: i64, satisfaction: &str, problems: &[(&str, &str)]) -> Answers {
    let mut a = Answers::default();
    let v = &mut a.values;
    v.insert("interview_date".into(), AnswerValue::Date("2026-11-30".into()));
    v.insert("village_type".into(), choice(village_type));
    v.insert("merged".into(), choice("yes"));
    v.insert("merged_count".into(), AnswerValue::Integer(3));
    v.insert("households".into(), AnswerValue::Integer(households));
    v.insert("population".into(), AnswerValue::Integer(households * 3));
    v.insert("groups".into(), AnswerValue::Integer(8));
    v.insert("office_space".into(), choice("barely"));
    v.insert("idle_assets".into(), AnswerValue::Integer(2));
    v.insert("idle_asset_use".into(), AnswerValue::Choices(vec!["lease".into(), "public_service".into()]));
    v.insert("school_access".into(), choice("yes"));
    v.insert("collective_income".into(), AnswerValue::Decimal(12.5));
    v.insert("main_industry".into(), text("茶叶"));
    v.insert("committee_members".into(), AnswerValue::Integer(7));
    v.insert("service_satisfaction".into(), choice(satisfaction));
    if satisfaction == "unsatisfied" {
        v.insert("dissatisfaction_reason".into(), text("办事要跑镇上"));
    }
    v.insert("grids".into(), AnswerValue::Integer(4));
    v.insert("liaison_heads".into(), AnswerValue::Integer(20));
    v.insert("office_location".into(), AnswerValue::Geopoint(GeoAnswer { lat: 28.16, lon: 104.51, accuracy_m: 8.0 }));
    if !problems.is_empty() {
        a.repeats.insert(
            "problems".into(),
            problems
                .iter()
                .map(|(task, p)| RepeatInstance { values: [("problem_task".to_string(), choice(task)), ("problem".to_string(), text(p))].into() })
                .collect(),
        );
    }
    a
}

fn response(user: &str, node: &str, household: Option<&str>, visit: Option<&str>, answers: Answers) -> FormResponse {
    let at = now_ms();
    FormResponse {
        response_id: uuid(),
        form_id: "yunlian_village".into(),
        form_version: 1,
        respondent_id: user.into(),
        node_id: node.into(),
        household_id: household.map(Into::into),
        visit_id: visit.map(Into::into),
        started_at_ms: at - 600_000,
        submitted_at_ms: at,
        evidence: answers.image_hashes(),
        answers,
    }
}

async fn push_one(s: &TestServer, token: &str, body: OpBody) -> OpOutcome {
    s.push(token, vec![op(body)]).await.results.remove(0).outcome
}

fn rejected(outcome: &OpOutcome) -> (RejectCode, String) {
    match outcome {
        OpOutcome::Rejected { code, message } => (*code, message.clone()),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

async fn forms_in_feed(s: &TestServer, user: &str) -> Vec<(String, u32, bool)> {
    let token = s.token(user).await;
    let page = s.pull(&token, 0, 1000).await;
    page.changes
        .iter()
        .filter_map(|c| match &c.op.body {
            OpBody::FormPublished(p) => Some((p.form.form_id.clone(), p.form.version, true)),
            OpBody::FormRetired(r) => Some((r.form_id.clone(), r.version, false)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_example_questionnaire_reaches_the_phones_it_targets() {
    let s = start().await;
    let imported = forms::import_xlsform(s.storage.as_ref(), &example(), None, &[], now_ms()).unwrap();
    assert_eq!((imported.def.form_id.as_str(), imported.def.version, imported.target_path.as_str()), ("yunlian_village", 1, "/c/"));
    assert_eq!(imported.def.title.zh, "筠连县两项改革“后半篇”文章村组访谈问卷");
    assert_eq!(imported.def.title.en.as_deref(), Some("Yunlian County village interview on the two reforms"));
    let compiled = linkage_protocol::forms::CompiledForm::compile(imported.def.clone()).unwrap();
    let answerable_outside_repeats =
        compiled.nodes.iter().filter(|n| n.kind.is_answerable() && n.repeat.is_none()).count();
    assert_eq!(answerable_outside_repeats, 30, "the 30-item village questionnaire");
    // A second form only for township t2's liaison heads, for households tagged 低保.
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("check.xlsx");
    write_xlsx(&small, &[("survey", SMALL_SURVEY), ("choices", SMALL_CHOICES), ("settings", &[&["form_id", "version", "form_title", "household_tags"], &["dibao_check", "3", "低保户排查表", "低保"]])]);
    let check = forms::import_xlsform(s.storage.as_ref(), &small, Some("t2"), &[Role::LiaisonHead], now_ms()).unwrap();
    assert_eq!((check.def.version, check.target_path.as_str()), (3, "/c/t2/"));
    assert_eq!(check.def.target.household_tags, vec!["低保".to_string()]);
    // Every phone under the county gets the questionnaire; only t2's subtree gets the check.
    assert_eq!(forms_in_feed(&s, "gw1").await, vec![("yunlian_village".into(), 1, true)]);
    assert_eq!(forms_in_feed(&s, "lh2").await, vec![("yunlian_village".into(), 1, true), ("dibao_check".into(), 3, true)]);
    assert_eq!(forms_in_feed(&s, "cs").await.len(), 2);
    // The same version again is refused; nothing changes.
    let err = forms::import_xlsform(s.storage.as_ref(), &example(), None, &[], now_ms()).unwrap_err().to_string();
    assert!(err.contains("已有第 1 版"), "{err}");
    assert_eq!(s.storage.forms().unwrap().len(), 2);
    // The check is for liaison heads of t2 and 低保 households only.
    let lh2 = s.token("lh2").await;
    let mut ok = Answers::default();
    ok.values.insert("heating".into(), choice("yes"));
    let mut r = response("lh2", "g2", Some("h2"), None, ok.clone());
    r.form_id = "dibao_check".into();
    r.form_version = 3;
    assert_eq!(push_one(&s, &lh2, OpBody::FormResponseSubmitted(r.clone())).await, OpOutcome::Applied);
    let gw2 = s.token("gw2").await;
    let mut by_grid_worker = r.clone();
    by_grid_worker.response_id = uuid();
    by_grid_worker.respondent_id = "gw2".into();
    let (code, message) = rejected(&push_one(&s, &gw2, OpBody::FormResponseSubmitted(by_grid_worker)).await);
    assert_eq!(code, RejectCode::NotPermitted, "{message}");
}

const SMALL_SURVEY: &[&[&str]] = &[
    &["type", "name", "label", "required", "relevant"],
    &["select_one yn", "heating", "冬季取暖有保障吗", "yes", ""],
    &["text", "need", "需要什么帮助", "yes", "${heating} = 'no'"],
];
const SMALL_CHOICES: &[&[&str]] = &[&["list_name", "name", "label"], &["yn", "yes", "是"], &["yn", "no", "否"]];

/// Writes an .xlsx with these sheets of text cells (the first row is the header).
fn write_xlsx(path: &Path, sheets: &[(&str, &[&[&str]])]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet().set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    sheet.write(r as u32, c as u16, *cell).unwrap();
                }
            }
        }
    }
    book.save(path).unwrap();
}

#[tokio::test]
async fn responses_are_judged_with_the_shared_rules_and_tabulated() {
    let s = start().await;
    forms::import_xlsform(s.storage.as_ref(), &example(), None, &[], now_ms()).unwrap();
    let (gw1, gw2) = (s.token("gw1").await, s.token("gw2").await);
    // A visit to h1 by gw1 on the spot; the household response links it.
    let at = now_ms() - 20 * 60_000;
    let visit_id = uuid();
    let visit = OpBody::VisitRecorded(Visit {
        id: visit_id.clone(),
        household_id: "h1".into(),
        visitor_id: "gw1".into(),
        visitor_level: OrgLevel::Branch,
        kind: VisitKind::Routine,
        started_at_ms: at,
        ended_at_ms: at + 600_000,
        fix: Some(GpsFix { lat: 35.5, lon: 109.8, accuracy_m: 8.0, fix_time_ms: at + 590_000, mocked: false }),
        distance_m: Some(0.0),
        verdict: OnSiteVerdict::OnSite,
        notes: "入户访谈".into(),
        evidence: vec![],
        issue_id: None,
        amends_visit_id: None,
    });
    assert_eq!(push_one(&s, &gw1, visit).await, OpOutcome::Applied);

    // Three valid responses: b1 (key village, satisfied, 2 problems), h1 with the visit (weak, unsatisfied),
    // b2 by gw2 (key, basically satisfied, 1 problem).
    let r1 = response("gw1", "b1", None, None, village_answers("key", 300, "satisfied", &[("governance", "矛盾纠纷多"), ("resources", "阵地不足")]));
    let r2 = response("gw1", "g1", Some("h1"), Some(&visit_id), village_answers("weak", 100, "unsatisfied", &[]));
    let r3 = response("gw2", "b2", None, None, village_answers("key", 500, "basically", &[("development", "产业单一")]));
    let first = op(OpBody::FormResponseSubmitted(r1.clone()));
    assert_eq!(s.push(&gw1, vec![first.clone()]).await.results[0].outcome, OpOutcome::Applied);
    for (token, r) in [(&gw1, &r2), (&gw2, &r3)] {
        assert_eq!(push_one(&s, token, OpBody::FormResponseSubmitted(r.clone())).await, OpOutcome::Applied, "{}", r.node_id);
    }
    // The same op again is a duplicate; the same response id in a new op a conflict.
    assert_eq!(s.push(&gw1, vec![first]).await.results[0].outcome, OpOutcome::Duplicate);
    assert_eq!(rejected(&push_one(&s, &gw1, OpBody::FormResponseSubmitted(r1.clone())).await).0, RejectCode::Conflict);

    // Refusals, each with its reason; nothing is stored.
    let base = || response("gw1", "b1", None, None, village_answers("key", 300, "satisfied", &[]));
    let mut hidden = base();
    hidden.answers.values.insert("dissatisfaction_reason".into(), text("不该有"));
    let (code, message) = rejected(&push_one(&s, &gw1, OpBody::FormResponseSubmitted(hidden)).await);
    assert_eq!(code, RejectCode::InvalidInput);
    assert!(message.contains("「不满意的主要原因」：此题在当前情况下不显示，不应有答案"), "{message}");
    let mut broken = base();
    broken.answers.values.insert("population".into(), AnswerValue::Integer(10));
    broken.answers.values.remove("main_industry");
    let (code, message) = rejected(&push_one(&s, &gw1, OpBody::FormResponseSubmitted(broken)).await);
    assert_eq!(code, RejectCode::InvalidInput);
    assert!(message.contains("「户籍人口（人）」：户籍人口不应少于户数") && message.contains("「主导产业」：此题必须回答"), "{message}");
    let mut wrong_type = base();
    wrong_type.answers.values.insert("households".into(), text("三百"));
    assert!(rejected(&push_one(&s, &gw1, OpBody::FormResponseSubmitted(wrong_type)).await).1.contains("答案类型不对"));
    let mut photo_unlisted = base();
    photo_unlisted.answers.values.insert("meeting_photo".into(), AnswerValue::Image("ab".repeat(32)));
    assert!(rejected(&push_one(&s, &gw1, OpBody::FormResponseSubmitted(photo_unlisted)).await).1.starts_with("evidence"));
    let mut elsewhere = base();
    elsewhere.node_id = "b2".into();
    assert_eq!(rejected(&push_one(&s, &gw1, OpBody::FormResponseSubmitted(elsewhere)).await).0, RejectCode::OutOfScope);
    let mut someone_else = base();
    someone_else.respondent_id = "gw2".into();
    assert_eq!(rejected(&push_one(&s, &gw1, OpBody::FormResponseSubmitted(someone_else)).await).0, RejectCode::ActorMismatch);
    let mut no_version = base();
    no_version.form_version = 2;
    assert_eq!(rejected(&push_one(&s, &gw1, OpBody::FormResponseSubmitted(no_version)).await).0, RejectCode::UnknownReference);
    let mut other_visit = base();
    other_visit.household_id = Some("h1".into());
    other_visit.node_id = "g1".into();
    other_visit.visit_id = Some("nope".into());
    assert_eq!(rejected(&push_one(&s, &gw1, OpBody::FormResponseSubmitted(other_visit)).await).0, RejectCode::UnknownReference);
    let from_server = op(OpBody::FormRetired(linkage_protocol::wire::FormRetirement { form_id: "yunlian_village".into(), version: 1, retired_at_ms: now_ms() }));
    assert_eq!(rejected(&s.push(&gw1, vec![from_server]).await.results[0].outcome).0, RejectCode::NotPermitted);

    // Tabulation, counted by hand: 3 responses; b1 1, g1 (h1) 1, b2 1; village types key 2 / weak 1;
    // households mean (300 + 100 + 500) / 3 = 300, total 900; persons per household 3 each; satisfaction
    // one of each; dissatisfaction reason answered once; problems 3 over the three responses (2 + 0 + 1),
    // problem_count (calculated) mean 1.
    let conn = s.storage.clone();
    let data = forms::load(conn.as_ref(), "yunlian_village", None, None).unwrap();
    let t = forms::tabulate(&data);
    assert_eq!(t.responses, 3);
    assert_eq!(t.per_node, vec![("b1".into(), "节点b1".into(), 1), ("b2".into(), "节点b2".into(), 1), ("g1".into(), "节点g1".into(), 1)]);
    let q = |name: &str| t.questions.iter().find(|q| q.name == name).unwrap().clone();
    assert_eq!(q("village_type").frequencies.iter().map(|f| (f.1.as_str(), f.2)).collect::<Vec<_>>(), vec![("特色重点村", 2), ("相对薄弱村", 1), ("一般村", 0)]);
    assert_eq!((q("households").answered, q("households").mean, q("households").sum), (3, Some(300.0), Some(900.0)));
    assert_eq!(q("persons_per_household").mean, Some(3.0));
    assert_eq!(q("service_satisfaction").frequencies.iter().map(|f| f.2).collect::<Vec<_>>(), vec![1, 1, 1]);
    assert_eq!(q("dissatisfaction_reason").answered, 1);
    assert_eq!(q("problem").answered, 3);
    assert_eq!(q("problem_task").frequencies.iter().map(|f| f.2).collect::<Vec<_>>(), vec![1, 1, 0, 1]);
    assert_eq!(q("problem_count").mean, Some(1.0));
    assert_eq!(q("idle_asset_use").frequencies.iter().map(|f| f.2).collect::<Vec<_>>(), vec![3, 3, 0, 0]);
    assert!(t.text().contains("共 3 份答卷"));
    // Within township t1 only r1 and r2.
    assert_eq!(forms::tabulate(&forms::load(conn.as_ref(), "yunlian_village", Some(1), Some("t1")).unwrap()).responses, 2);

    // The export: one row per response with household, node, visit time and verdict; a sheet per repeat.
    let bytes = forms::export_xlsx(&data).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut workbook = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/workbook.xml").unwrap(), &mut workbook).unwrap();
    for sheet in ["答卷", "突出问题清单", "统计"] {
        assert!(workbook.contains(&format!("name=\"{sheet}\"")), "{workbook}");
    }
    let mut strings = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/sharedStrings.xml").unwrap(), &mut strings).unwrap();
    for expected in ["在场", "王秀英", "h1", "节点b2", "矛盾纠纷多", "出租、改作公共服务场所", "户主", "定位结论"] {
        assert!(strings.contains(expected), "{expected}");
    }
    let mut problems = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet2.xml").unwrap(), &mut problems).unwrap();
    assert_eq!(problems.matches("<row").count(), 4, "a header and the 3 problems");

    // Retired: a new response is refused clearly; the stored ones stay and still tabulate.
    assert!(s.storage.retire_form("yunlian_village", 1, now_ms()).unwrap());
    assert!(!s.storage.retire_form("yunlian_village", 1, now_ms()).unwrap());
    let (code, message) = rejected(&push_one(&s, &gw1, OpBody::FormResponseSubmitted(base())).await);
    assert_eq!(code, RejectCode::IllegalTransition);
    assert!(message.contains("已停用"), "{message}");
    assert_eq!(forms::tabulate(&forms::load(conn.as_ref(), "yunlian_village", None, None).unwrap()).responses, 3);
    assert_eq!(forms_in_feed(&s, "gw2").await, vec![("yunlian_village".into(), 1, true), ("yunlian_village".into(), 1, false)]);
}

#[tokio::test]
async fn a_malformed_xlsform_is_refused_naming_each_row_and_reason() {
    let s = start().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.xlsx");
    write_xlsx(
        &bad,
        &[
            (
                "survey",
                &[
                    &["type", "name", "label", "relevant", "constraint"],
                    &["texte", "a", "未知题型", "", ""],
                    &["integer", "b", "坏表达式", "${b2} >", ""],
                    &["integer", "c", "重复一", "", ""],
                    &["text", "c", "重复二", "", ""],
                    &["select_one colours", "d", "缺选项表", "", ""],
                    &["integer", "e", "坏约束", "", ". > foo(1)"],
                    &["begin_group", "g", "没结束的分组", "", ""],
                    &["text", "f", "在组里", "", ""],
                ],
            ),
            ("choices", &[&["list_name", "name", "label"], &["yn", "yes", "是"]]),
            ("settings", &[&["form_id"], &["bad_form"]]),
        ],
    );
    let err = forms::import_xlsform(s.storage.as_ref(), &bad, None, &[], now_ms()).unwrap_err().to_string();
    for expected in [
        "survey 表第 2 行：未知题型「texte」",
        "survey 表第 5 行：题目名称「c」与第 4 行重复",
        "survey 表第 6 行：choices 表里没有选项列表「colours」",
        "survey 表第 8 行：「g」的 begin 没有对应的 end",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
    assert!(s.storage.forms().unwrap().is_empty(), "nothing stored");
    // Once the rows' own faults are mended, the expressions are judged by the shared compiler, by row.
    let half = dir.path().join("half.xlsx");
    write_xlsx(
        &half,
        &[
            (
                "survey",
                &[
                    &["type", "name", "label", "relevant", "constraint", "calculation"],
                    &["integer", "b", "坏表达式", "${b2} > 1", "", ""],
                    &["integer", "e", "坏约束", "", ". > foo(1)", ""],
                    &["calculate", "x", "", "", "", "${y} + 1"],
                    &["calculate", "y", "", "", "", "${x} + 1"],
                ],
            ),
            ("settings", &[&["form_id"], &["bad_form"]]),
        ],
    );
    let err = forms::import_xlsform(s.storage.as_ref(), &half, None, &[], now_ms()).unwrap_err().to_string();
    for expected in ["survey 表第 2 行：题目「b」的 relevant 表达式有误：引用了不存在的题目 ${b2}", "survey 表第 3 行：题目「e」的 constraint 表达式有误：未知函数 foo()"] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
    let cycle = dir.path().join("cycle.xlsx");
    write_xlsx(
        &cycle,
        &[
            ("survey", &[&["type", "name", "label", "calculation"], &["calculate", "x", "", "${y} + 1"], &["calculate", "y", "", "${x} + 1"]]),
            ("settings", &[&["form_id"], &["cycle"]]),
        ],
    );
    let err = forms::import_xlsform(s.storage.as_ref(), &cycle, None, &[], now_ms()).unwrap_err().to_string();
    assert!(err.contains("survey 表第 2 行") && err.contains("形成循环：x、y"), "{err}");
    let not_xlsx = dir.path().join("notes.xlsx");
    std::fs::write(&not_xlsx, "not a workbook").unwrap();
    assert!(forms::import_xlsform(s.storage.as_ref(), &not_xlsx, None, &[], now_ms()).unwrap_err().to_string().contains("无法读取 XLSX 文件"));
    assert!(s.storage.forms().unwrap().is_empty());
}

#[test]
fn the_cli_imports_reports_and_exports_and_exits_non_zero_on_a_bad_form() {
    const BIN: &str = env!("CARGO_BIN_EXE_linkage-server");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::write(dir.path().join("nodes.csv"), "id,parent_id,level,name,code,boundary\nyl,,县,筠连县,511529000000,\nxs,yl,乡镇,巡司镇,511529101000,\n").unwrap();
    // On the test's own PostgreSQL database in the suite's PostgreSQL run (report and export read either backend).
    let db: Vec<String> = linkage_server::postgres::test_database().map(|url| vec!["--database".into(), url]).unwrap_or_default();
    let run = |args: &[&str]| std::process::Command::new(BIN).args(&db).args(args).arg("--data-dir").arg(&data).output().unwrap();
    assert!(run(&["import", "--nodes", dir.path().join("nodes.csv").to_str().unwrap()]).status.success());
    let out = run(&["form", "import", example().to_str().unwrap(), "--node", "xs", "--role", "grid_worker"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("下发到 /yl/xs/"));
    let bad = dir.path().join("bad.xlsx");
    write_xlsx(&bad, &[("survey", &[&["type", "name", "label"], &["integr", "n", "人数"]]), ("settings", &[&["form_id"], &["x"]])]);
    let out = run(&["form", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("survey 表第 2 行：未知题型「integr」"));
    let list = String::from_utf8(run(&["form", "list"]).stdout).unwrap();
    assert!(list.contains("yunlian_village\t第 1 版\t使用中\t/yl/xs/\t0 份答卷"), "{list}");
    let report = String::from_utf8(run(&["form", "report", "yunlian_village"]).stdout).unwrap();
    assert!(report.contains("共 0 份答卷"), "{report}");
    let out_file = dir.path().join("out.xlsx");
    assert!(run(&["form", "export", "yunlian_village", "--out", out_file.to_str().unwrap()]).status.success());
    assert!(std::fs::metadata(&out_file).unwrap().len() > 1000);
    assert!(run(&["form", "retire", "yunlian_village", "--version", "1"]).status.success());
    assert!(!run(&["form", "retire", "yunlian_village", "--version", "1"]).status.success());
}
