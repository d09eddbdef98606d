//! The full story across devices through a real server on loopback: a liaison head reports offline, the
//! township triages, the grid worker resolves with a photo after an on-site visit, the township verifies. Each
//! phone ends up with exactly what its scope allows (asserted on the pulled data), and direct HTTP calls
//! outside a scope are refused with 403.

use linkage_core::api::*;
use linkage_core::ApiError;
use linkage_protocol::sync::paths;

use crate::server::*;


/// A small camera-like PNG (a gradient) the grid worker "takes".
pub fn photo(dir: &std::path::Path, name: &str) -> String {
    let img = image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]));
    let path = dir.join(name);
    img.save(&path).unwrap();
    path.to_string_lossy().into_owned()
}


pub fn heating_issue() -> IssueDraft {
    IssueDraft {
        category: IssueCategory::LivelihoodAid,
        urgency: Urgency::Urgent,
        title: "冬季取暖困难".into(),
        description: "张建国家煤炭不足，老人独居".into(),
        household_id: Some("h1".into()),
        node_id: None,
        location: None,
        evidence: vec![],
        client_op_id: None,
    }
}

fn ids(page: &IssuePage) -> Vec<String> {
    page.items.iter().map(|i| i.id.clone()).collect()
}

fn household_ids(app: &linkage_core::FieldApp) -> Vec<String> {
    let page = app.list_households(HouseholdQuery { text: None, address: None, tag: None, risk: None, offset: 0, limit: 100 }).unwrap();
    let mut ids: Vec<String> = page.items.into_iter().map(|h| h.id).collect();
    ids.sort();
    ids
}

#[test]
fn report_triage_resolve_with_photo_verify_across_phones() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let lh = connected_phone(&url, "lh").await;
        let ts = connected_phone(&url, "ts").await;
        let gw = connected_phone(&url, "gw").await;
        let ts2 = connected_phone(&url, "ts2").await;
        let lh2 = connected_phone(&url, "lh2").await;

        // Scope of the downloaded bundles: each phone holds only its subtree's households.
        assert_eq!(household_ids(&lh.app), ["h1", "h2"], "liaison head of 一组");
        assert_eq!(household_ids(&lh2.app), ["h3", "h5"], "liaison head of 二组");
        assert_eq!(household_ids(&gw.app), ["h1", "h2", "h3", "h5"], "grid worker of 石堡村");
        assert_eq!(household_ids(&ts2.app), ["h4"], "the other township");

        // 1. The liaison head reports while offline: it waits in the outbox.
        let issue = lh.app.report_issue(heating_issue()).unwrap();
        assert_eq!(lh.app.outbox_status().unwrap().pending, 1);
        let r = lh.app.sync(None).await.unwrap();
        assert_eq!((r.pushed, r.rejected), (1, 0));
        assert_eq!(lh.app.outbox_status().unwrap().pending, 0);

        // 2. The township pulls it into its triage queue, accepts and assigns it to the grid worker.
        ts.app.sync(None).await.unwrap();
        let queue = ts.app.triage_queue(vec![IssueState::Reported], 0, 50).unwrap();
        assert_eq!(ids(&queue), vec![issue.id.clone()]);
        ts.app.perform_issue_action(issue.id.clone(), IssueCommand::Accept).unwrap();
        ts.app.perform_issue_action(issue.id.clone(), IssueCommand::Assign { assignee_id: "gw".into() }).unwrap();
        assert_eq!(ts.app.sync(None).await.unwrap().pushed, 2);

        // 3. The grid worker pulls the assignment, visits on site with a photo, resolves with the photo.
        gw.app.sync(None).await.unwrap();
        let mine = gw.app.list_issues(IssueListKind::AssignedToMe, vec![], 0, 10).unwrap();
        assert_eq!(ids(&mine), vec![issue.id.clone()]);
        let fix = GpsFix { lat: 35.58003, lon: 109.26002, accuracy_m: 8.0, fix_time_ms: now_ms(), mocked: false };
        let shot = gw.app.add_evidence(photo(gw.dir.path(), "camera.png"), Some(fix), None).unwrap();
        let visit = gw
            .app
            .record_visit(VisitDraft {
                household_id: "h1".into(),
                kind: VisitKind::Routine,
                started_at_ms: now_ms() - 600_000,
                ended_at_ms: now_ms(),
                fix: Some(fix),
                notes: "送去两吨煤，老人身体尚好".into(),
                evidence: vec![shot.hash.clone()],
                issue_id: Some(issue.id.clone()),
            })
            .unwrap();
        assert_eq!(visit.verdict, OnSiteVerdict::OnSite);
        gw.app.perform_issue_action(issue.id.clone(), IssueCommand::Start).unwrap();
        gw.app
            .perform_issue_action(issue.id.clone(), IssueCommand::Resolve { note: "已送煤两吨".into(), evidence: vec![shot.hash.clone()] })
            .unwrap();
        let r = gw.app.sync(None).await.unwrap();
        assert_eq!((r.pushed, r.uploaded, r.rejected), (3, 1, 0));
        assert_eq!(gw.app.list_evidence(EvidenceTarget::Visit { visit_id: visit.id.clone() }).unwrap()[0].upload_state, "uploaded");

        // The server holds the photo, byte for byte.
        let ts_token = raw_token(&url, "ts", "ts-laptop").await;
        let http = reqwest::Client::new();
        let blob_url = format!("{url}{}", paths::BLOB.replace("{hash}", &shot.hash));
        let got = http.get(&blob_url).bearer_auth(&ts_token).send().await.unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.unwrap().as_ref(), std::fs::read(&shot.path).unwrap().as_slice());

        // 4. The township verifies 满意 after the return visit: closed.
        ts.app.sync(None).await.unwrap();
        let resolved = ts.app.issue(issue.id.clone()).unwrap();
        assert_eq!(resolved.summary.state, IssueState::Resolved);
        let closed = ts
            .app
            .perform_issue_action(issue.id.clone(), IssueCommand::Verify { satisfaction: Satisfaction::Satisfied, note: "回访满意".into() })
            .unwrap();
        assert_eq!(closed.state, IssueState::Closed);
        ts.app.sync(None).await.unwrap();

        // 5. Status flows back to the reporter, and every phone in scope agrees on the whole timeline.
        lh.app.sync(None).await.unwrap();
        gw.app.sync(None).await.unwrap();
        let reported = lh.app.list_issues(IssueListKind::ReportedByMe, vec![], 0, 10).unwrap();
        assert_eq!((reported.items[0].state, reported.items[0].satisfaction), (IssueState::Closed, Some(Satisfaction::Satisfied)));
        let timeline: Vec<_> = ts.app.issue_timeline(issue.id.clone()).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(timeline.len(), 6);
        for phone in [&lh, &gw] {
            let theirs: Vec<_> = phone.app.issue_timeline(issue.id.clone()).unwrap().into_iter().map(|e| e.action).collect();
            assert_eq!(theirs, timeline);
        }
        assert_eq!(lh.app.household_visits("h1".into(), 10).unwrap().len(), 1, "the visit reached the liaison head of 一组");

        // 6. Out of scope: the other township's phones pulled nothing of it ...
        ts2.app.sync(None).await.unwrap();
        lh2.app.sync(None).await.unwrap();
        assert!(matches!(ts2.app.issue(issue.id.clone()), Err(ApiError::NotFound { .. })));
        assert_eq!(ts2.app.list_issues(IssueListKind::InArea, vec![], 0, 10).unwrap().total, 0);
        assert!(ts2.app.household_visits("h1".into(), 10).is_err() || ts2.app.household_visits("h1".into(), 10).unwrap().is_empty());
        // ... 二组's liaison head sees neither the issue nor the visit of 一组's household.
        assert_eq!(lh2.app.list_issues(IssueListKind::InArea, vec![], 0, 10).unwrap().total, 0);

        // ... and direct HTTP outside the scope answers 404, as for a photo that does not exist.
        let ts2_token = raw_token(&url, "ts2", "ts2-laptop").await;
        let lh2_token = raw_token(&url, "lh2", "lh2-laptop").await;
        for token in [&ts2_token, &lh2_token] {
            let resp = http.get(&blob_url).bearer_auth(token).send().await.unwrap();
            assert_eq!(resp.status(), 404, "photo of another scope");
        }
        let resp = http.get(format!("{url}{}?after=0", paths::PULL)).bearer_auth(&ts2_token).send().await.unwrap();
        let feed: linkage_protocol::sync::PullResponse = resp.json().await.unwrap();
        assert!(feed.changes.iter().all(|c| !serde_json::to_string(&c.op).unwrap().contains(&issue.id)), "feed leaks nothing");
        let no_token = http.get(format!("{url}{}?after=0", paths::PULL)).send().await.unwrap();
        assert_eq!(no_token.status(), 401);
    });
}

/// Enrolment shows its progress: the households of the scope stored so far, ending at all of them.
#[test]
fn enrolment_reports_the_households_stored() {
    use linkage_core::sync::{SyncObserver, SyncPhase};
    struct Seen(std::sync::Mutex<Vec<(SyncPhase, u64, u64)>>);
    impl SyncObserver for Seen {
        fn on_progress(&self, phase: SyncPhase, done: u64, total: u64) -> Result<(), linkage_core::sync::CallbackError> {
            self.0.lock().unwrap().push((phase, done, total));
            Ok(())
        }
    }
    let rt = runtime();
    let server = TestServer::start();
    rt.block_on(async {
        let p = new_phone();
        let seen = std::sync::Arc::new(Seen(std::sync::Mutex::new(Vec::new())));
        p.app.connect_with_progress(server.url(), "gw".into(), PASSWORD.into(), Some(seen.clone())).await.unwrap();
        let seen = seen.0.lock().unwrap().clone();
        assert_eq!(seen.first(), Some(&(SyncPhase::Households, 0, 4)), "{seen:?}");
        assert_eq!(seen.last(), Some(&(SyncPhase::Households, 4, 4)), "grid worker of 石堡村: h1 h2 h3 h5");
        assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1), "never goes back: {seen:?}");
        assert_eq!(household_ids(&p.app), ["h1", "h2", "h3", "h5"]);
    });
}

/// A first enrolment asks for the feed's first page beside the bundle and applies it once the bundle is
/// stored: the history is on the phone from the first page on before any sync, and the first sync pulls only
/// the rest (the page size of the phone's syncs is 4 here, the enrolment's page the default), nothing twice.
#[test]
fn enrolment_applies_the_first_feed_page_and_the_first_sync_the_rest() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        // History in the grid worker's scope: six issues reported by the liaison head.
        let lh = connected_phone(&url, "lh").await;
        let mut reported = Vec::new();
        for _ in 0..6 {
            reported.push(lh.app.report_issue(heating_issue()).unwrap().id);
        }
        assert_eq!(lh.app.sync(None).await.unwrap().pushed, 6);
        reported.sort();

        // The township's phone enrols: the issues are there at once, before any sync.
        let ts = connected_phone(&url, "ts").await;
        let mut held = ids(&ts.app.triage_queue(vec![IssueState::Reported], 0, 50).unwrap());
        held.sort();
        assert_eq!(held, reported, "the first page came with the enrolment");
        let first = ts.app.sync(None).await.unwrap();
        assert_eq!(first.pulled, 0, "nothing pulled twice: {first:?}");
        // A later report reaches it by the usual pull.
        let late = lh.app.report_issue(heating_issue()).unwrap();
        lh.app.sync(None).await.unwrap();
        assert_eq!(ts.app.sync(None).await.unwrap().pulled, 1);
        assert!(ids(&ts.app.triage_queue(vec![IssueState::Reported], 0, 50).unwrap()).contains(&late.id));
    });
}
