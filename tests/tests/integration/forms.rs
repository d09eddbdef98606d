//! Forms end to end (问卷, issue #15): the 筠连 village questionnaire imported on the server from its XLSForm,
//! delivered to the grid workers' phones by the sync feed, filled offline (skip logic, constraints, a repeat
//! of problems), submitted through the outbox, judged by the server with the same rules, and tabulated on
//! the server with counts checked by hand.

use std::path::Path;

use linkage_core::forms::{FormAnswer, FormModel};
use linkage_core::ApiError;
use linkage_server::forms;

use crate::server::{connected_phone, now_ms, runtime, SyncPhone, TestServer};

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/forms/yunlian-village-questionnaire.xlsx")
}

fn answer(phone: &SyncPhone, draft: &str, path: &str, value: &str) -> FormModel {
    phone
        .app
        .set_answer(draft.into(), path.into(), FormAnswer::Text { value: value.into() })
        .unwrap_or_else(|e| panic!("{path} = {value}: {e:?}"))
}

fn pick(phone: &SyncPhone, draft: &str, path: &str, id: &str) -> FormModel {
    phone.app.set_answer(draft.into(), path.into(), FormAnswer::Choice { id: id.into() }).unwrap_or_else(|e| panic!("{path} = {id}: {e:?}"))
}

/// Fills the questionnaire for `village` as the phone's user: the required answers, then `problems`.
fn fill(phone: &SyncPhone, village: &str, kind: &str, households: &str, satisfaction: &str, problems: &[(&str, &str)]) -> String {
    let m = phone.app.start_form_draft("yunlian_village".into(), None, Some(village.into()), None).unwrap();
    let d = m.draft_id.clone();
    answer(phone, &d, "interview_date", "2026-12-01");
    pick(phone, &d, "village_type", kind);
    pick(phone, &d, "merged", "no");
    answer(phone, &d, "households", households);
    let population = (households.parse::<i64>().unwrap() * 3).to_string();
    answer(phone, &d, "population", &population);
    answer(phone, &d, "groups", "6");
    pick(phone, &d, "office_space", "enough");
    pick(phone, &d, "school_access", "yes");
    answer(phone, &d, "collective_income", "8.5");
    answer(phone, &d, "main_industry", "茶叶");
    answer(phone, &d, "committee_members", "5");
    pick(phone, &d, "service_satisfaction", satisfaction);
    if satisfaction == "unsatisfied" {
        answer(phone, &d, "dissatisfaction_reason", "办事要跑镇上");
    }
    answer(phone, &d, "grids", "3");
    for (k, (task, text)) in problems.iter().enumerate() {
        phone.app.add_repeat_instance(d.clone(), "problems".into()).unwrap();
        pick(phone, &d, &format!("problems[{}]/problem_task", k + 1), task);
        answer(phone, &d, &format!("problems[{}]/problem", k + 1), text);
    }
    d
}

#[test]
fn the_village_questionnaire_is_filled_on_phones_synced_and_tabulated() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    let imported = forms::import_xlsform(server.storage(), &example(), None, &[], now_ms()).unwrap();
    assert_eq!(imported.target_path, "/c/");
    rt.block_on(async {
        let gw = connected_phone(&url, "gw").await;
        let gw2 = connected_phone(&url, "gw2").await;
        for p in [&gw, &gw2] {
            p.app.sync(None).await.unwrap();
        }
        let offered = gw.app.forms().unwrap();
        assert_eq!(offered.iter().map(|f| (f.form_id.as_str(), f.version)).collect::<Vec<_>>(), [("yunlian_village", 1)]);
        assert_eq!(offered[0].title, "筠连县两项改革“后半篇”文章村组访谈问卷");

        // gw (石堡村, b1): a weak village, unsatisfied, two problems. Along the way the phone applies the
        // form's rules offline: the reason question appears only when unsatisfied; a population below the
        // household count breaks its constraint; a question hidden by skip logic takes no answer.
        let d1 = fill(&gw, "b1", "weak", "200", "satisfied", &[("governance", "矛盾纠纷多"), ("resources", "活动阵地不足")]);
        assert!(matches!(
            gw.app.set_answer(d1.clone(), "dissatisfaction_reason".into(), FormAnswer::Text { value: "x".into() }),
            Err(ApiError::InvalidInput { .. })
        ));
        let m = pick(&gw, &d1, "service_satisfaction", "unsatisfied");
        assert!(m.missing >= 1 && !m.complete, "the reason is now required");
        assert!(matches!(gw.app.submit_form(d1.clone()), Err(ApiError::InvalidInput { .. })), "refused while the reason is missing");
        answer(&gw, &d1, "dissatisfaction_reason", "办事要跑镇上");
        let m = answer(&gw, &d1, "population", "100");
        assert!(m.errors >= 1 && !m.complete, "population below households breaks the constraint");
        let m = answer(&gw, &d1, "population", "600");
        assert!(m.complete, "{}", m.status_text);
        let r1 = gw.app.submit_form(d1).unwrap();

        // gw2 (圪台村, b2): a key village, basically satisfied, one problem.
        let d2 = fill(&gw2, "b2", "key", "400", "basically", &[("development", "产业单一")]);
        let r2 = gw2.app.submit_form(d2).unwrap();
        // A second response from gw for the same village, no problems.
        let d3 = fill(&gw, "b1", "key", "210", "satisfied", &[]);
        let r3 = gw.app.submit_form(d3).unwrap();

        for p in [&gw, &gw2] {
            p.app.sync(None).await.unwrap();
        }
        assert_eq!(server.count("SELECT COUNT(*) FROM form_responses"), 3);
        let ids: Vec<String> =
            server.texts("SELECT response_id FROM form_responses ORDER BY response_id").into_iter().map(|r| r[0].clone().unwrap()).collect();
        let mut expected = vec![r1.response_id.clone(), r2.response_id.clone(), r3.response_id.clone()];
        expected.sort();
        assert_eq!(ids, expected, "every submitted response reached the server and was accepted");

        // Tabulated on the server, counted by hand: 3 responses, b1 2 and b2 1; village types key 2, weak 1;
        // households (200 + 400 + 210) / 3 = 270, total 810; satisfaction satisfied 1 (r3), basically 1,
        // unsatisfied 1; 3 problems (2 + 1 + 0) — tasks: resources 1, development 1, governance 1; the
        // merged count never asked (every answer 'no'). Read through the server's storage (either backend).
        let conn = server.storage();
        let t = forms::tabulate(&forms::load(conn, "yunlian_village", None, None).unwrap());
        assert_eq!(t.responses, 3);
        assert_eq!(t.per_node.iter().map(|(id, _, n)| (id.as_str(), *n)).collect::<Vec<_>>(), [("b2", 1), ("b1", 2)]);
        let q = |name: &str| t.questions.iter().find(|q| q.name == name).unwrap().clone();
        let counts = |name: &str| q(name).frequencies.iter().map(|f| (f.0.clone(), f.2)).collect::<Vec<_>>();
        assert_eq!(counts("village_type"), [("key".to_string(), 2), ("weak".to_string(), 1), ("ordinary".to_string(), 0)]);
        assert_eq!((q("households").mean, q("households").sum), (Some(270.0), Some(810.0)));
        assert_eq!(counts("service_satisfaction"), [("satisfied".to_string(), 1), ("basically".to_string(), 1), ("unsatisfied".to_string(), 1)]);
        assert_eq!(q("dissatisfaction_reason").answered, 1);
        assert_eq!(q("problem").answered, 3);
        assert_eq!(counts("problem_task").iter().map(|c| c.1).collect::<Vec<_>>(), [1, 1, 0, 1]);
        assert_eq!(q("merged_count").answered, 0);
        assert_eq!(q("persons_per_household").mean, Some(3.0), "every village 3 persons per household");
        // Within 石堡镇 (t1): gw's two responses.
        assert_eq!(forms::tabulate(&forms::load(conn, "yunlian_village", None, Some("t1")).unwrap()).responses, 2);
    });
}
