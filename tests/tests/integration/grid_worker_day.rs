//! 网格员的一天 (the grid worker's day) through the real server: search a household that is not overdue (it is
//! not on the overdue list, so only search reaches it), correct its phone number, report smoke on a hillside
//! from a place with no household (GPS point + description; the duplicate check runs first and finds nothing;
//! a second worker's report of the same smoke is offered it and joins it instead of filing a second — its note
//! and photo reach the township on the existing issue as a 补充反映), record
//! two visits; the branch's visit coverage moves by two households. The township sees all of it after sync.
//! A report about no household with neither a point nor a description is refused (the server's side:
//! `server/tests/api/push.rs`).

use linkage_core::api::*;
use linkage_core::{ApiError, DraftFields};

use crate::server::*;

fn fix_at(lat: f64, lon: f64) -> GpsFix {
    GpsFix { lat, lon, accuracy_m: 8.0, fix_time_ms: now_ms() - 1_000, mocked: false }
}

fn visit(household: &str, at: (f64, f64)) -> VisitDraft {
    let now = now_ms();
    VisitDraft {
        household_id: household.into(),
        kind: VisitKind::Routine,
        started_at_ms: now - 600_000,
        ended_at_ms: now,
        fix: Some(fix_at(at.0, at.1)),
        notes: "入户走访，家中安好".into(),
        evidence: vec![],
        issue_id: None,
    }
}

#[test]
fn grid_worker_day_search_correct_report_from_a_place_and_visit() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        // Earlier (a colleague's round): 张建国 (h1) was visited on site, so he is not overdue.
        let gw = connected_phone(&url, "gw").await;
        let app = &gw.app;
        assert_eq!(app.record_visit(visit("h1", (35.5801, 109.2601))).unwrap().verdict, OnSiteVerdict::OnSite);
        app.sync(None).await.unwrap();

        // Morning: the overdue list does not hold h1; search by name does, with his visits and issues paged.
        let overdue = app.overdue_households(None, 0, 50).unwrap();
        assert!(overdue.items.iter().all(|o| o.household.id != "h1"));
        let found = app.list_households(HouseholdQuery { text: Some("张建".into()), address: None, tag: None, risk: None, offset: 0, limit: 10 }).unwrap();
        assert_eq!(found.items.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["h1"]);
        let visits = app.household_visit_page("h1".into(), 0, 10).unwrap();
        assert_eq!((visits.total, visits.next_offset), (1, None));
        let coverage_before = app.visit_coverage().unwrap().total;

        // His phone number changed: corrected through the field-wise edit (masked on screen).
        let corrected = app.edit_household("h1".into(), vec![HouseholdChange::Phone { phone: Some("13987654321".into()) }]).unwrap();
        assert_eq!(corrected.phone_masked.as_deref(), Some("139****4321"));

        // Smoke on the hillside above 二组: a place, no household. No similar report yet.
        let smoke = IssueDraft {
            category: IssueCategory::ForestFire,
            urgency: Urgency::Critical,
            title: "后山冒烟".into(),
            description: "二组后山松树林有烟，距村道约五百米".into(),
            household_id: None,
            node_id: Some("g2".into()),
            location: Some(fix_at(35.5952, 109.2755)),
            evidence: vec![],
            client_op_id: None,
        };
        assert!(app.suggest_duplicates(smoke.clone()).unwrap().is_empty());
        let reported = app.report_issue(smoke.clone()).unwrap();
        assert_eq!(reported.household_id, None);

        // A place report needs a point or a description: refused, nothing stored.
        let nowhere = IssueDraft { location: None, description: "山上".into(), ..smoke.clone() };
        let refused = app.report_issue(nowhere).unwrap_err();
        assert!(matches!(&refused, ApiError::InvalidInput { field, .. } if field == "location"), "{refused:?}");

        // Two visits: 张秀英 (h2) and 李明 (h3), on site.
        assert_eq!(app.record_visit(visit("h2", (35.5811, 109.2621))).unwrap().verdict, OnSiteVerdict::OnSite);
        assert_eq!(app.record_visit(visit("h3", (35.5901, 109.2701))).unwrap().verdict, OnSiteVerdict::OnSite);
        let coverage_after = app.visit_coverage().unwrap().total;
        assert_eq!(coverage_after.households, coverage_before.households);
        assert_eq!(coverage_after.visited, coverage_before.visited + 2, "{coverage_before:?} → {coverage_after:?}");
        assert!(coverage_after.percent > coverage_before.percent);
        app.sync(None).await.unwrap();
        assert_eq!(app.outbox_status().unwrap().pending, 0);
        let refused = app.quarantined_operations().unwrap();
        assert!(refused.is_empty(), "{refused:?}");

        // On the server: the new number, the place report (no household), three visits.
        assert_eq!(server.count("SELECT count(*) FROM households WHERE id = 'h1' AND phone = '13987654321'"), 1);
        assert_eq!(server.count("SELECT count(*) FROM visits"), 3);

        // The liaison head of 二组 sees the same smoke: offered the existing report, joins it instead.
        let lh2 = connected_phone(&url, "lh2").await;
        lh2.app.sync(None).await.unwrap();
        let draft = lh2.app.start_issue_draft(None, Some("g2".into())).unwrap();
        // What the liaison head typed and photographed before the suggestion came up is not lost.
        let typed = DraftFields {
            category: Some(IssueCategory::ForestFire),
            title: "后山着火".into(),
            notes: "烟往村子方向飘，已通知组里村民不要上山".into(),
            ..draft.fields.clone()
        };
        lh2.app.update_draft(draft.id.clone(), typed).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let shot = lh2.app.add_draft_photo(draft.id.clone(), crate::sync_story::photo(dir.path(), "smoke.png"), None).unwrap().photos[0].hash.clone();
        let near = IssueDraft { location: Some(fix_at(35.5950, 109.2750)), ..smoke.clone() };
        let offered = lh2.app.suggest_duplicates(near).unwrap();
        assert_eq!(offered.iter().map(|d| d.issue.id.clone()).collect::<Vec<_>>(), [reported.id.clone()]);
        let joined = lh2.app.join_existing_issue(draft.id.clone(), reported.id.clone()).unwrap();
        assert_eq!(joined.summary.id, reported.id);
        assert!(lh2.app.drafts().unwrap().is_empty(), "the draft is gone, no second issue");
        let timeline = lh2.app.issue_timeline(reported.id.clone()).unwrap();
        let last = timeline.last().unwrap();
        assert_eq!((last.action, last.action_label.as_str(), last.evidence.clone()), (IssueActionKind::Join, "补充反映", vec![shot.clone()]));
        assert_eq!(last.detail, "后山着火：烟往村子方向飘，已通知组里村民不要上山");
        lh2.app.sync(None).await.unwrap();
        assert!(lh2.app.quarantined_operations().unwrap().is_empty());
        assert_eq!(server.count("SELECT count(*) FROM issues WHERE category = 'forest_fire'"), 1);
        // The server judged and applied the 补充反映: in the issue's log, its photo uploaded and cited.
        assert_eq!(server.count(&format!("SELECT count(*) FROM issue_events WHERE issue_id = '{}' AND action = 'join'", reported.id)), 1);
        assert_eq!(server.count(&format!("SELECT count(*) FROM blobs WHERE hash = '{shot}'")), 1);

        // The township: the report in its queue; the branch's coverage at the township level is its own.
        let ts = connected_phone(&url, "ts").await;
        ts.app.sync(None).await.unwrap();
        let queue = ts.app.triage_queue(vec![], 0, 20).unwrap();
        assert!(queue.items.iter().any(|i| i.id == reported.id && i.household_id.is_none()));
        // The township sees who else reported it, with the photo among the report's (fetched from the server).
        let timeline = ts.app.issue_timeline(reported.id.clone()).unwrap();
        let join = timeline.iter().find(|t| t.action == IssueActionKind::Join).expect("the 补充反映 in the timeline");
        assert_eq!((join.actor_id.as_str(), join.evidence.clone()), ("lh2", vec![shot.clone()]));
        let photos = ts.app.record_photos(EvidenceTarget::IssueReport { issue_id: reported.id.clone() }).unwrap();
        assert_eq!(photos.iter().map(|p| p.hash.clone()).collect::<Vec<_>>(), [shot.clone()]);
        assert!(std::path::Path::new(&ts.app.evidence_thumbnail(shot.clone()).await.unwrap()).exists());
        let h1 = ts.app.household("h1".into()).unwrap();
        assert_eq!(h1.phone_masked.as_deref(), Some("139****4321"));
        let page = ts.app.household_visit_page("h1".into(), 0, 10).unwrap();
        assert_eq!(page.total, 1);
    });
}
