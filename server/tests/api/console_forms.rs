//! Forms on the console (issue #15 point 3): an XLSForm uploaded by the county is checked as `form import`
//! checks it (every bad row named, nothing stored) and published to its target; the list shows the versions
//! reaching the caller's area with the responses of that area; a township tabulates and exports only its own
//! area, with figures counted by hand from the responses pushed by phones; county staff retire a version.

use std::path::Path;

use linkage_protocol::forms::{AnswerValue, Answers};
use linkage_protocol::sync::OpOutcome;
use linkage_protocol::wire::{FormResponse, OpBody, Operation};
use linkage_server::console::forms::{FormActionAnswer, FormImportAnswer, FormReport, FormsPage};

use crate::common::{now_ms, start, uuid, TestServer};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An .xlsx with these sheets of text cells (the first row is the header).
fn workbook(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
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
    book.save_to_buffer().unwrap()
}

const CHOICES: &[&[&str]] = &[&["list_name", "name", "label"], &["yn", "yes", "是"], &["yn", "no", "否"]];
const SURVEY: &[&[&str]] = &[
    &["type", "name", "label", "required", "relevant"],
    &["select_one yn", "heating", "冬季取暖有保障吗", "yes", ""],
    &["text", "need", "需要什么帮助", "", "${heating} = 'no'"],
    &["integer", "elders", "家中老人数", "", ""],
];

fn winter_check() -> Vec<u8> {
    workbook(&[("survey", SURVEY), ("choices", CHOICES), ("settings", &[&["form_id", "form_title"], &["winter_check", "冬季安全排查表"]])])
}

async fn upload(s: &TestServer, token: &str, query: &str, bytes: Vec<u8>) -> (u16, String) {
    let resp = s.http.post(s.url(&format!("/v1/console/forms/import{query}"))).bearer_auth(token).header("content-type", XLSX).body(bytes).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn get<T: serde::de::DeserializeOwned>(s: &TestServer, token: &str, path: &str) -> (u16, Option<T>) {
    let resp = s.http.get(s.url(path)).bearer_auth(token).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, if status == 200 { Some(resp.json().await.unwrap()) } else { None })
}

fn answer(heating: &str, need: Option<&str>, elders: i64) -> Answers {
    let mut a = Answers::default();
    a.values.insert("heating".into(), AnswerValue::Choice(heating.into()));
    if let Some(n) = need {
        a.values.insert("need".into(), AnswerValue::Text(n.into()));
    }
    a.values.insert("elders".into(), AnswerValue::Integer(elders));
    a
}

async fn respond(s: &TestServer, user: &str, node: &str, household: Option<&str>, answers: Answers) {
    let at = now_ms();
    let r = FormResponse {
        response_id: uuid(),
        form_id: "winter_check".into(),
        form_version: 1,
        respondent_id: user.into(),
        node_id: node.into(),
        household_id: household.map(Into::into),
        visit_id: None,
        started_at_ms: at - 60_000,
        submitted_at_ms: at,
        evidence: vec![],
        answers,
    };
    let op = Operation { op_id: uuid(), hlc: linkage_protocol::hlc::Hlc { wall_ms: at, counter: 0 }.encode("test"), body: OpBody::FormResponseSubmitted(r) };
    let token = s.token(user).await;
    assert_eq!(s.push(&token, vec![op]).await.results[0].outcome, OpOutcome::Applied, "{user}");
}

#[tokio::test]
async fn an_xlsform_is_checked_row_by_row_and_imported_all_or_nothing() {
    let s = start().await;
    let cs = s.token("cs").await;
    // Unknown type, duplicate name, missing choices list: each named with its row; nothing stored.
    let bad = workbook(&[
        (
            "survey",
            &[
                &["type", "name", "label"],
                &["text", "name1", "姓名"],
                &["texte", "q2", "题二"],
                &["integer", "name1", "重复"],
                &["select_one colours", "q4", "颜色"],
            ],
        ),
        ("choices", CHOICES),
        ("settings", &[&["form_id"], &["bad_form"]]),
    ]);
    let (status, body) = upload(&s, &cs, "", bad).await;
    assert_eq!(status, 200, "{body}");
    let answer: FormImportAnswer = serde_json::from_str(&body).unwrap();
    assert!(!answer.stored);
    assert!(answer.message.starts_with("导入未完成：发现 3 处问题"), "{}", answer.message);
    let rows: Vec<(&str, u32)> = answer.problems.iter().map(|p| (p.sheet.as_str(), p.row)).collect();
    assert_eq!(rows, vec![("survey", 3), ("survey", 4), ("survey", 5)]);
    assert!(answer.problems[0].text.contains("survey 表第 3 行：未知题型「texte」"), "{:?}", answer.problems);
    assert!(answer.problems[1].reason.contains("与第 2 行重复"));
    assert!(answer.problems[2].reason.contains("没有选项列表「colours」"));
    // A bad expression, from the shared compiler, on its row.
    let bad_expr: &[&[&str]] = &[&["type", "name", "label", "relevant"], &["integer", "a", "甲", ""], &["text", "b", "乙", "${a} > > 1"]];
    let (_, body) = upload(&s, &cs, "", workbook(&[("survey", bad_expr), ("settings", &[&["form_id"], &["expr_form"]])])).await;
    let answer: FormImportAnswer = serde_json::from_str(&body).unwrap();
    assert_eq!((answer.stored, answer.problems.len(), answer.problems[0].row), (false, 1, 3), "{body}");
    // Not a workbook at all: a problem of the file, in plain words.
    let (_, body) = upload(&s, &cs, "", b"id,name\n1,2\n".to_vec()).await;
    let answer: FormImportAnswer = serde_json::from_str(&body).unwrap();
    assert!(!answer.stored && answer.problems[0].reason.contains("请确认是 Excel 的 .xlsx 格式"), "{body}");
    assert!(s.storage.forms().unwrap().is_empty());

    // The example questionnaire: checked only, then imported for t1's grid workers.
    let example = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/forms/yunlian-village-questionnaire.xlsx")).unwrap();
    let (_, body) = upload(&s, &cs, "?dry_run=true", example.clone()).await;
    let answer: FormImportAnswer = serde_json::from_str(&body).unwrap();
    assert!(!answer.stored && answer.problems.is_empty() && answer.message.starts_with("检查通过"), "{body}");
    assert_eq!((answer.form_id.as_deref(), answer.version), (Some("yunlian_village"), Some(1)));
    assert!(s.storage.forms().unwrap().is_empty(), "a dry run stores nothing");
    let (_, body) = upload(&s, &cs, "?node=t1&roles=grid_worker", example.clone()).await;
    let answer: FormImportAnswer = serde_json::from_str(&body).unwrap();
    assert!(answer.stored, "{body}");
    assert_eq!((answer.target_name.as_deref(), answer.roles_label.as_deref()), (Some("节点t1"), Some("网格员")));
    let stored = s.storage.forms().unwrap();
    assert_eq!((stored.len(), stored[0].target_path.as_str()), (1, "/c/t1/"));
    // The same version again: a problem of the settings row; still one version.
    let (_, body) = upload(&s, &cs, "", example.clone()).await;
    let answer: FormImportAnswer = serde_json::from_str(&body).unwrap();
    assert!(!answer.stored && answer.problems[0].sheet == "settings" && answer.problems[0].reason.contains("已有第 1 版"), "{body}");
    assert_eq!(s.storage.forms().unwrap().len(), 1);

    // Refusals: a township, an empty or oversized file, a node outside the county, an unknown role.
    let ts1 = s.token("ts1").await;
    assert_eq!(upload(&s, &ts1, "", winter_check()).await.0, 403);
    assert_eq!(upload(&s, &cs, "", Vec::new()).await.0, 400);
    let (status, body) = upload(&s, &cs, "", vec![b'a'; 9 * 1024 * 1024]).await;
    assert_eq!(status, 413);
    assert!(body.contains("文件过大"), "{body}");
    assert_eq!(upload(&s, &cs, "?node=nowhere", winter_check()).await.0, 404);
    assert_eq!(upload(&s, &cs, "?roles=mayor", winter_check()).await.0, 400);
    assert_eq!(s.storage.forms().unwrap().len(), 1);
}

#[tokio::test]
async fn forms_are_listed_tabulated_exported_and_retired_within_the_callers_area() {
    let s = start().await;
    let cs = s.token("cs").await;
    let (_, body) = upload(&s, &cs, "", winter_check()).await;
    assert!(serde_json::from_str::<FormImportAnswer>(&body).unwrap().stored, "{body}");
    // Three phones answer: t1 has two responses, t2 one.
    respond(&s, "lh1", "g1", Some("h1"), answer("yes", None, 2)).await;
    respond(&s, "gw1", "b1", None, answer("no", Some("棉被"), 1)).await;
    respond(&s, "lh2", "g2", Some("h2"), answer("no", Some("煤"), 3)).await;

    let page = get::<FormsPage>(&s, &cs, "/v1/console/forms").await.1.unwrap();
    assert!(page.can_manage);
    let f = &page.forms[0];
    assert_eq!((f.form_id.as_str(), f.version, f.questions, f.responses, f.roles_label.as_str(), f.state_label.as_str()), ("winter_check", 1, 3, 3, "所有角色", "使用中"));
    assert_eq!(f.target_name, "节点c");
    assert!(page.nodes.iter().any(|n| n.id == "b2" && n.label == "节点t2 / 节点b2"));
    assert!(page.nodes.iter().all(|n| n.id != "g1"), "groups are not offered");

    // The county's tabulation, by hand: heating yes 1 / no 2 of 3; need answered twice; elders 2 + 1 + 3.
    let r = get::<FormReport>(&s, &cs, "/v1/console/forms/winter_check/report").await.1.unwrap();
    assert_eq!((r.responses, r.node_id.as_str(), r.versions.clone()), (3, "c", vec![1]));
    assert_eq!(r.children.iter().map(|c| (c.node_id.as_str(), c.responses)).collect::<Vec<_>>(), vec![("t1", 2), ("t2", 1)]);
    let q = |r: &FormReport, name: &str| r.questions.iter().find(|q| q.name == name).unwrap().clone();
    let heating = q(&r, "heating");
    assert_eq!(heating.frequencies.iter().map(|f| (f.label.as_str(), f.count, f.percent)).collect::<Vec<_>>(), vec![("是", 1, Some(33.3)), ("否", 2, Some(66.7))]);
    assert_eq!(q(&r, "need").answered, 2);
    assert_eq!((q(&r, "elders").mean, q(&r, "elders").sum), (Some(2.0), Some(6.0)));

    // A township sees its area only: two responses, 1.5 elders on average; t2 and its nodes are refused.
    let ts1 = s.token("ts1").await;
    let page = get::<FormsPage>(&s, &ts1, "/v1/console/forms").await.1.unwrap();
    assert!(!page.can_manage);
    assert_eq!(page.forms[0].responses, 2);
    assert!(page.nodes.iter().all(|n| n.id != "t2" && n.id != "b2"));
    let r = get::<FormReport>(&s, &ts1, "/v1/console/forms/winter_check/report").await.1.unwrap();
    assert_eq!((r.responses, r.node_id.as_str()), (2, "t1"));
    assert_eq!((q(&r, "elders").mean, q(&r, "elders").sum), (Some(1.5), Some(3.0)));
    assert_eq!(q(&r, "heating").frequencies.iter().map(|f| f.count).collect::<Vec<_>>(), vec![1, 1]);
    assert_eq!(get::<FormReport>(&s, &ts1, "/v1/console/forms/winter_check/report?node=t2").await.0, 404);
    assert_eq!(get::<FormReport>(&s, &ts1, "/v1/console/forms/winter_check/report?version=2").await.0, 404);
    assert_eq!(get::<FormReport>(&s, &ts1, "/v1/console/forms/nothing/report").await.0, 404);
    let b1 = get::<FormReport>(&s, &ts1, "/v1/console/forms/winter_check/report?node=b1").await.1.unwrap();
    assert_eq!(b1.responses, 2);

    // The export of t1 as XLSX: its two responses, not t2's.
    let resp = s.http.get(s.url("/v1/console/forms/winter_check/export")).bearer_auth(&ts1).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("form-winter_check-v1-t1.xlsx"));
    let bytes = resp.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut strings = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/sharedStrings.xml").unwrap(), &mut strings).unwrap();
    assert!(strings.contains("棉被") && !strings.contains("煤"), "{strings}");
    let other = s.http.get(s.url("/v1/console/forms/winter_check/export?node=t2")).bearer_auth(&ts1).send().await.unwrap();
    assert_eq!(other.status(), 404);

    // A form targeted at t2 only does not reach t1's list or tabulation.
    let (_, body) = upload(&s, &cs, "?node=t2", workbook(&[("survey", SURVEY), ("choices", CHOICES), ("settings", &[&["form_id"], &["t2_only"]])])).await;
    assert!(serde_json::from_str::<FormImportAnswer>(&body).unwrap().stored, "{body}");
    let page = get::<FormsPage>(&s, &ts1, "/v1/console/forms").await.1.unwrap();
    assert!(page.forms.iter().all(|f| f.form_id != "t2_only"));
    assert_eq!(get::<FormReport>(&s, &ts1, "/v1/console/forms/t2_only/report").await.0, 404);
    // A form elsewhere and no form at all: the one answer of the console for ids out of scope (same words).
    let said = |path: &'static str| {
        let req = s.http.get(s.url(path)).bearer_auth(ts1.clone());
        async move { req.send().await.unwrap().json::<serde_json::Value>().await.unwrap()["message"].as_str().unwrap().to_string() }
    };
    let elsewhere = said("/v1/console/forms/t2_only/report").await;
    assert_eq!(elsewhere, said("/v1/console/forms/nothing/report").await);
    assert_eq!(elsewhere, "这份问卷不存在，或不在您的管辖范围内 / not found or not in your scope");

    // Retire: county staff only, once; the phones are told.
    let retire = |token: &str| s.http.post(s.url("/v1/console/forms/winter_check/retire?version=1")).bearer_auth(token.to_string()).send();
    assert_eq!(retire(&ts1).await.unwrap().status(), 403);
    let resp = retire(&cs).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.json::<FormActionAnswer>().await.unwrap().message.contains("已停用"));
    assert_eq!(retire(&cs).await.unwrap().status(), 404);
    let page = get::<FormsPage>(&s, &cs, "/v1/console/forms").await.1.unwrap();
    assert_eq!(page.forms.iter().find(|f| f.form_id == "winter_check").unwrap().state_label, "已停用");
    let lh1 = s.token("lh1").await;
    assert!(s.pull(&lh1, 0, 1000).await.changes.iter().any(|c| matches!(&c.op.body, OpBody::FormRetired(r) if r.form_id == "winter_check")));
}
