//! The township day (乡镇干部的一天), phones syncing through the real server: five new reports triaged with the
//! pickers (交办 to a person the core offers, with their load), one merged into the issue the core suggests,
//! one resolved with photos through the 办结 draft and verified on a GPS 回访 (a return visit linked to the
//! issue), one extension requested by the township and approved by the county from its overview and dashboard.
//! No ids are typed: every id the test sends comes from a picker, a queue or an overview the core returned.

use linkage_core::actions::{ActionForm, IssueFilter};
use linkage_core::clock::Clock;
use linkage_core::api::*;
use linkage_core::{DraftFields, SubmittedRecord};
use linkage_core::overview::{FigureList, IssueQuery, OverviewFilter};

use crate::server::*;
use crate::sync_story::photo;

fn report(title: &str, household: &str, category: IssueCategory) -> IssueDraft {
    IssueDraft {
        category,
        urgency: Urgency::Normal,
        title: title.into(),
        description: "群众反映".into(),
        household_id: Some(household.into()),
        node_id: None,
        location: None,
        evidence: vec![],
        client_op_id: None,
    }
}

#[test]
fn township_day_triage_merge_resolve_revisit_and_extension() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let lh = connected_phone(&url, "lh").await;
        let gw = connected_phone(&url, "gw").await;
        let ts = connected_phone(&url, "ts").await;
        let cs = connected_phone(&url, "cs").await;

        // Morning: five new reports from the liaison head and the grid worker; one is the same coal shortage.
        let coal = lh.app.report_issue(report("冬季取暖缺煤", "h1", IssueCategory::LivelihoodAid)).unwrap();
        let road = lh.app.report_issue(report("村道塌陷", "h2", IssueCategory::Infrastructure)).unwrap();
        let again = lh.app.report_issue(report("张家又说没煤了", "h1", IssueCategory::LivelihoodAid)).unwrap();
        gw.app.report_issue(report("邻里宅基地纠纷", "h3", IssueCategory::Dispute)).unwrap();
        gw.app.report_issue(report("危房墙体开裂", "h5", IssueCategory::SafetyHazard)).unwrap();
        lh.app.sync(None).await.unwrap();
        gw.app.sync(None).await.unwrap();

        // The township triages from its 待受理 queue.
        ts.app.sync(None).await.unwrap();
        let new = ts.app.issue_queue(IssueFilter::New, 0, 20).unwrap();
        assert_eq!(new.total, 5);
        // The duplicate: merged into the issue the core suggests (same category, same household, same day).
        let merge = ts.app.merge_candidates(again.id.clone(), None, 0, 10).unwrap();
        assert_eq!(merge.items.iter().map(|m| (m.issue.id.clone(), m.suggested)).collect::<Vec<_>>(), [(coal.id.clone(), true)]);
        ts.app
            .perform_action(again.id.clone(), IssueActionKind::Merge, ActionForm { other_issue_id: Some(merge.items[0].issue.id.clone()), ..Default::default() })
            .unwrap();
        // The other four: accepted, then assigned to the person picked from the core's picker — the grid worker,
        // whose load grows with each assignment.
        let mut loads = Vec::new();
        for issue in new.items.iter().filter(|i| i.id != again.id) {
            ts.app.perform_action(issue.id.clone(), IssueActionKind::Accept, ActionForm::default()).unwrap();
            let spec = ts.app.issue(issue.id.clone()).unwrap().actions.into_iter().find(|a| a.kind == IssueActionKind::Assign).unwrap();
            assert!(spec.needs_person);
            let picker = ts.app.assignee_picker(issue.id.clone()).unwrap();
            let worker = picker.iter().find(|o| o.person.role == Role::GridWorker).expect("the grid worker is offered");
            loads.push(worker.open_issues);
            ts.app
                .perform_action(issue.id.clone(), IssueActionKind::Assign, ActionForm { person_id: Some(worker.person.user_id.clone()), ..Default::default() })
                .unwrap();
        }
        assert_eq!(loads, [0, 1, 2, 3], "each pick shows what the worker already carries");
        assert_eq!(ts.app.issue_queue(IssueFilter::New, 0, 20).unwrap().total, 0);
        // The road needs more time: 申请延期 to the county.
        ts.app
            .perform_action(road.id.clone(), IssueActionKind::RequestExtension, ActionForm { working_days: Some(5), text: "需交通局鉴定".into(), ..Default::default() })
            .unwrap();
        ts.app.sync(None).await.unwrap();

        // The grid worker resolves the coal shortage with photos through the 办结 draft.
        gw.app.sync(None).await.unwrap();
        let mine = gw.app.assigned_to_me(0, 20).unwrap();
        assert_eq!(mine.total, 4);
        gw.app.perform_action(coal.id.clone(), IssueActionKind::Start, ActionForm::default()).unwrap();
        let d = gw.app.start_action_draft(coal.id.clone(), IssueActionKind::Resolve).unwrap();
        gw.app.update_draft(d.id.clone(), DraftFields { notes: "已协调送煤 500 公斤".into(), ..d.fields.clone() }).unwrap();
        let with_photo = gw.app.add_draft_photo(d.id.clone(), photo(gw.dir.path(), "coal.png"), None).unwrap();
        assert_eq!(with_photo.photos.len(), 1);
        let SubmittedRecord::Issue { issue } = gw.app.submit_draft(d.id.clone()).unwrap() else { panic!("an issue") };
        assert_eq!(issue.state, IssueState::Resolved);
        gw.app.sync(None).await.unwrap();

        // The township verifies on a 回访 at the household: the verification form with a live GPS fix.
        ts.app.sync(None).await.unwrap();
        assert_eq!(ts.app.record_photos(EvidenceTarget::Resolution { issue_id: coal.id.clone() }).unwrap().len(), 1, "the resolution's photo");
        let v = ts.app.start_action_draft(coal.id.clone(), IssueActionKind::Verify).unwrap();
        let satisfied = v.action.as_ref().unwrap().choices[0].clone();
        assert_eq!(satisfied.label, "满意");
        // A fix taken after the form opened, stamped by the device's clock as the platform does (the core puts
        // it on the server-corrected clock the draft was stamped with).
        let fix = GpsFix { lat: 35.5801, lon: 109.2601, accuracy_m: 6.0, fix_time_ms: now_ms(), mocked: false };
        ts.app.update_draft(v.id.clone(), DraftFields { choice: Some(satisfied.id), notes: "老人说煤够烧了".into(), fix: Some(fix), ..v.fields.clone() }).unwrap();
        let SubmittedRecord::Issue { issue } = ts.app.submit_draft(v.id.clone()).unwrap() else { panic!("an issue") };
        assert_eq!((issue.state, issue.satisfaction), (IssueState::Closed, Some(Satisfaction::Satisfied)));
        let visit = ts.app.household_visits("h1".into(), 5).unwrap().into_iter().find(|x| x.issue_id.as_deref() == Some(coal.id.as_str())).unwrap();
        assert_eq!((visit.kind, visit.verdict), (VisitKind::ReturnVisit, OnSiteVerdict::OnSite));
        ts.app.sync(None).await.unwrap();

        // The county: the request waits for it in the overview and on the dashboard; approved from there.
        cs.app.sync(None).await.unwrap();
        let open = cs.app.issue_overview(IssueQuery { node_id: None, filter: OverviewFilter::Open }, 0, 50).unwrap();
        assert_eq!(open.total, 3, "every open issue of the county, not only escalations");
        let dashboard = cs.app.dashboard(now_ms() - 86_400_000, now_ms() + 1).unwrap();
        let waiting = dashboard.own.figures.iter().find(|f| f.label == "待我审批").unwrap().clone();
        assert_eq!(waiting.value_text, "1");
        let Some(FigureList::Issues { query }) = waiting.list else { panic!("the list behind it") };
        let page = cs.app.issue_overview(query, 0, 10).unwrap();
        assert_eq!(page.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(), [road.id.clone()]);
        assert_eq!(page.items[0].pending_extension_days, Some(5));
        let t1 = dashboard.children.iter().find(|c| c.name == "石堡镇").unwrap();
        assert_eq!(t1.figures.iter().find(|f| f.label == "未结案").unwrap().value_text, "3");
        let decide = cs.app.issue(road.id.clone()).unwrap().actions.into_iter().find(|a| a.kind == IssueActionKind::DecideExtension).unwrap();
        let approve = decide.choices.iter().find(|c| c.label == "同意延期").unwrap().id.clone();
        cs.app
            .perform_action(road.id.clone(), IssueActionKind::DecideExtension, ActionForm { choice: Some(approve), text: "同意".into(), ..Default::default() })
            .unwrap();
        assert_eq!(cs.app.issue_overview(IssueQuery { node_id: None, filter: OverviewFilter::WaitingForMe }, 0, 10).unwrap().total, 0);
        cs.app.sync(None).await.unwrap();

        // Back at the township: the extension is granted; the day's visit reached the server.
        ts.app.sync(None).await.unwrap();
        let road_now = ts.app.issue(road.id.clone()).unwrap().summary;
        assert_eq!(road_now.pending_extension_days, None);
        let last = ts.app.issue_timeline(road.id.clone()).unwrap().pop().unwrap();
        assert_eq!((last.action, last.actor_id.as_str()), (IssueActionKind::DecideExtension, "cs"), "the county's approval reached the township");
        // The township's phone holds no record of the county's people: the step carries its actor's name.
        assert_eq!(last.actor_name, "县干部", "named, never the id");
        assert!(ts.app.issue_timeline(road.id.clone()).unwrap().iter().all(|e| e.actor_name != e.actor_id), "no step shows an id");
        assert_eq!(server.count(&format!("SELECT count(*) FROM visits WHERE id = '{}' AND verdict = 'on_site'", visit.id)), 1);
        for p in [&lh, &gw, &ts, &cs] {
            assert_eq!(p.app.outbox_status().unwrap().pending, 0);
            assert_eq!(p.app.quarantined_operations().unwrap().len(), 0, "the server accepted every step");
        }
    });
}

/// A visit recorded on a phone whose clock is off, and received by the server hours later, keeps the verdict the
/// phone gave it, on the server and on the county's phone: the fix's time (the device's clock, as the platform
/// stamps fixes) and the visit's own start and end (the core's server-corrected clock) are graded on one clock
/// by the one rule (`geo::assess`), whenever the op arrives. Before, the fix stayed on the device's clock and a
/// fresh fix taken right after the form opened was graded 定位已过期 on a phone whose clock ran behind.
#[test]
fn a_visit_synced_hours_late_from_a_phone_with_a_wrong_clock_keeps_its_on_site_verdict() {
    const MINUTE: i64 = 60_000;
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        // The grid worker's phone clock is 7 minutes slow (its sync measures the offset); the county's is right.
        let gw = connected_phone_at(&url, "gw", now_ms() - 7 * MINUTE).await;
        let cs = connected_phone(&url, "cs").await;
        let app = &gw.phone.app;
        // Three hours ago, offline: the visit form opens (its moment read from the device's clock, as the shells
        // do) and a fresh fix arrives 20 s later, stamped by the device's clock.
        gw.clock.set(now_ms() - 7 * MINUTE - 180 * MINUTE);
        let d = app.start_visit_draft("h1".into(), VisitKind::Routine, None, Some(gw.clock.now_ms())).unwrap();
        gw.clock.advance_ms(20_000);
        let fix = GpsFix { lat: 35.5801, lon: 109.2601, accuracy_m: 6.0, fix_time_ms: gw.clock.now_ms(), mocked: false };
        let preview = app.preview_verdict("h1".into(), Some(fix.clone()), d.started_at_ms).unwrap();
        assert_eq!(preview.verdict, OnSiteVerdict::OnSite, "the live preview");
        app.update_draft(d.id.clone(), DraftFields { notes: "入户走访，家中安好".into(), fix: Some(fix), ..d.fields.clone() }).unwrap();
        gw.clock.advance_ms(40_000);
        let SubmittedRecord::Visit { visit } = app.submit_draft(d.id.clone()).unwrap() else { panic!("a visit") };
        assert_eq!((visit.verdict, visit.verdict_label.as_str()), (OnSiteVerdict::OnSite, "在现场"), "graded on the phone");

        // Back in signal three hours later: the server receives the visit long after it was recorded.
        gw.clock.set(now_ms() - 7 * MINUTE);
        app.sync(None).await.unwrap();
        assert_eq!(app.outbox_status().unwrap().pending, 0);
        assert!(app.quarantined_operations().unwrap().is_empty());
        assert_eq!(server.count(&format!("SELECT count(*) FROM visits WHERE id = '{}' AND verdict = 'on_site'", visit.id)), 1, "the server's grading");
        // The copy the county receives says the same.
        cs.app.sync(None).await.unwrap();
        let copy = cs.app.household_visits("h1".into(), 10).unwrap().into_iter().find(|v| v.id == visit.id).expect("the county has it");
        assert_eq!((copy.verdict, copy.verdict_label.as_str()), (OnSiteVerdict::OnSite, "在现场"));
    });
}
