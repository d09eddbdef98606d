//! Sync under faults, through a real server on loopback: a fault-injecting proxy (dropped connections, delays,
//! 500s, answers cut after the server committed), the server killed and restarted in the middle of a push, an
//! op the server's rules reject (quarantined while later ops go through), and a revoked device that wipes.
//! After recovery every record exists exactly once on the server and on every phone.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use linkage_core::api::*;
use linkage_core::sync::SyncPhase;
use linkage_core::{ApiError, FieldApp};

use crate::fault_proxy::{Fault, FaultProxy};
use crate::server::*;
use crate::sync_story::heating_issue;


/// Households of 一组 (the liaison head's) and of 石堡村 (the grid worker's).
const G1: &[&str] = &["h1", "h2"];
const B1: &[&str] = &["h1", "h2", "h3", "h5"];


/// `n` reports cycling over `households` (which must be in the signed-in user's scope).
fn report(app: &FieldApp, households: &[&str], n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let household = households[i % households.len()];
            let draft = IssueDraft { title: format!("问题{i}"), household_id: Some(household.into()), ..heating_issue() };
            app.report_issue(draft).unwrap().id
        })
        .collect()
}

fn visit(app: &FieldApp, household: &str, notes: &str) -> String {
    let fix = GpsFix { lat: 35.58, lon: 109.26, accuracy_m: 12.0, fix_time_ms: now_ms(), mocked: false };
    app.record_visit(VisitDraft {
        household_id: household.into(),
        kind: VisitKind::Routine,
        started_at_ms: now_ms() - 60_000,
        ended_at_ms: now_ms(),
        fix: Some(fix),
        notes: notes.into(),
        evidence: vec![],
        issue_id: None,
    })
    .unwrap()
    .id
}

/// Syncs until a sync succeeds (each failed sync keeps everything queued); panics after `tries`.
async fn sync_until_ok(app: &FieldApp, tries: usize) {
    for _ in 0..tries {
        match app.sync(None).await {
            Ok(_) => return,
            Err(ApiError::Network { .. }) => {}
            Err(e) => panic!("unexpected sync error {e:?}"),
        }
    }
    panic!("sync did not recover after {tries} tries");
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn issue_ids_in_area(app: &FieldApp) -> Vec<String> {
    sorted(app.list_issues(IssueListKind::InArea, vec![], 0, 500).unwrap().items.into_iter().map(|i| i.id).collect())
}

#[test]
fn proxy_faults_lose_nothing_and_duplicate_nothing() {
    let rt = runtime();
    let server = TestServer::start();
    rt.block_on(async {
        let proxy = FaultProxy::start(server.addr).await;
        let lh = connected_phone(&proxy.url(), "lh").await;
        let gw = connected_phone(&proxy.url(), "gw").await;
        let ts = connected_phone(&proxy.url(), "ts").await;

        let mut reported = report(&lh.app, G1, 4);
        reported.extend(report(&gw.app, B1, 5));
        let visits: Vec<String> = (0..4).map(|i| visit(&gw.app, B1[i], &format!("走访{i}"))).collect();
        let local_ops = 4 + 5 + 4;

        // Every kind of fault, several of them after the server has committed (the phone must resend and get
        // "duplicate", never a second record).
        proxy.plan([
            Fault::CutResponse,
            Fault::DropRequest,
            Fault::ServerError,
            Fault::Delay(Duration::from_millis(150)),
            Fault::CutResponse,
            Fault::CutResponse,
            Fault::Pass,
            Fault::ServerError,
            Fault::CutResponse,
            Fault::DropRequest,
            Fault::CutResponse,
        ]);
        sync_until_ok(&lh.app, 8).await;
        sync_until_ok(&gw.app, 8).await;
        let seen = proxy.seen();
        assert!(seen.iter().filter(|(_, f)| *f == Fault::CutResponse).count() >= 5, "{seen:?}");

        // The server holds each op exactly once.
        assert_eq!(server.count("SELECT count(*) FROM changes"), local_ops);
        assert_eq!(server.count("SELECT count(*) FROM issues"), 9);
        assert_eq!(server.count("SELECT count(*) FROM visits"), 4);
        assert_eq!(server.count("SELECT count(*) FROM (SELECT event_id FROM issue_events GROUP BY event_id HAVING count(*) > 1) AS twice"), 0);
        for phone in [&lh, &gw] {
            let status = phone.app.outbox_status().unwrap();
            assert_eq!((status.pending, status.quarantined), (0, 0));
        }

        // Every phone pulls everything in its scope once, through more faults.
        proxy.plan([Fault::CutResponse, Fault::ServerError, Fault::DropRequest, Fault::CutResponse]);
        sync_until_ok(&ts.app, 8).await;
        sync_until_ok(&lh.app, 8).await;
        sync_until_ok(&gw.app, 8).await;
        assert_eq!(issue_ids_in_area(&ts.app), sorted(reported.clone()));
        assert_eq!(issue_ids_in_area(&gw.app), sorted(reported.clone()));
        // 一组's liaison head sees the issues of 一组's households (h1, h2) only.
        let mut lh_expected = reported[..4].to_vec();
        lh_expected.extend(reported[4..].iter().enumerate().filter(|(i, _)| i % 4 < 2).map(|(_, id)| id.clone()));
        assert_eq!(issue_ids_in_area(&lh.app), sorted(lh_expected));
        let mut ts_visits = 0;
        for h in ["h1", "h2", "h3", "h5"] {
            ts_visits += ts.app.household_visits(h.into(), 50).unwrap().len();
        }
        assert_eq!(ts_visits, visits.len(), "each visit once on the township's phone");
    });
}

#[test]
fn server_killed_mid_push_then_restarted_keeps_every_op_once() {
    let rt = runtime();
    let server = Arc::new(Mutex::new(TestServer::start()));
    let url = server.lock().unwrap().url();
    rt.block_on(async {
        let lh = connected_phone(&url, "lh").await;
        let ids = report(&lh.app, G1, 20); // 7 batches of 3

        // Kill the server as soon as the second batch has been answered: the push is cut off midway.
        struct KillAfter {
            server: Arc<Mutex<TestServer>>,
            killed: Mutex<bool>,
        }
        impl linkage_core::sync::SyncObserver for KillAfter {
            fn on_progress(&self, phase: SyncPhase, done: u64, _total: u64) -> Result<(), linkage_core::sync::CallbackError> {
                let mut killed = self.killed.lock().unwrap();
                if phase == SyncPhase::Push && done >= 6 && !*killed {
                    self.server.lock().unwrap().kill();
                    *killed = true;
                }
                Ok(())
            }
        }
        let observer = Arc::new(KillAfter { server: server.clone(), killed: Mutex::new(false) });
        let first = lh.app.sync(Some(observer.clone())).await;
        assert!(matches!(first, Err(ApiError::Network { .. })), "{first:?}");
        assert!(*observer.killed.lock().unwrap());
        let pending = lh.app.outbox_status().unwrap().pending;
        assert!(pending > 0 && pending <= 14, "two batches settled before the crash, {pending} pending");
        assert!(lh.app.outbox_status().unwrap().last_error.is_some(), "the sync bar shows the failure");

        // Offline meanwhile: more work queues up.
        let more = report(&lh.app, G1, 2);
        server.lock().unwrap().restart();
        let r = lh.app.sync(None).await.unwrap();
        assert_eq!(r.rejected, 0);
        assert_eq!(lh.app.outbox_status().unwrap().pending, 0);
        {
            let s = server.lock().unwrap();
            assert_eq!(s.count("SELECT count(*) FROM changes"), 22);
            assert_eq!(s.count("SELECT count(*) FROM issues"), 22);
        }

        let ts = connected_phone(&url, "ts").await;
        ts.app.sync(None).await.unwrap();
        let mut all = ids.clone();
        all.extend(more);
        assert_eq!(issue_ids_in_area(&ts.app), sorted(all));
    });
}

/// A liaison head's report that the township's office PC rejects while its field phone (same user, two devices,
/// both offline after seeing the report) accepts it: neither has synced its step yet. Returns the issue id, the
/// office and the field phone.
pub async fn office_rejects_while_field_accepts(url: &str) -> (String, SyncPhone, SyncPhone) {
    let lh = connected_phone(url, "lh").await;
    let id = lh.app.report_issue(heating_issue()).unwrap().id;
    lh.app.sync(None).await.unwrap();
    let office = connected_phone(url, "ts").await;
    let field = connected_phone(url, "ts").await;
    office.app.sync(None).await.unwrap();
    field.app.sync(None).await.unwrap();
    office.app.perform_issue_action(id.clone(), IssueCommand::Reject { reason: "不属于本镇职责".into() }).unwrap();
    field.app.perform_issue_action(id.clone(), IssueCommand::Accept).unwrap();
    (id, office, field)
}

#[test]
fn an_op_the_server_rejects_is_quarantined_and_later_ops_go_through() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let (id, office, field) = office_rejects_while_field_accepts(&url).await;
        let later = field
            .app
            .report_issue(IssueDraft { title: "道路塌方".into(), category: IssueCategory::SafetyHazard, ..heating_issue() })
            .unwrap()
            .id;

        office.app.sync(None).await.unwrap();
        let r = field.app.sync(None).await.unwrap();
        assert_eq!((r.pushed, r.rejected), (1, 1), "the accept is refused, the new report goes through");
        let status = field.app.outbox_status().unwrap();
        assert_eq!((status.pending, status.quarantined), (0, 1));
        let q = field.app.quarantined_operations().unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].reason_code, "illegal_transition");
        assert!(!q[0].message.is_empty());
        // It stays listed (never silently dropped) across further syncs, and does not block them.
        field.app.sync(None).await.unwrap();
        assert_eq!(field.app.quarantined_operations().unwrap().len(), 1);
        assert_eq!(server.count(&format!("SELECT count(*) FROM issues WHERE id = '{later}'")), 1);
        // The server's truth (rejected) reaches the phone whose op was refused.
        assert_eq!(field.app.issue(id).unwrap().summary.state, IssueState::Rejected);
    });
}

#[test]
fn a_revoked_device_wipes_its_data_and_photos() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let gw = connected_phone(&url, "gw").await;
        visit(&gw.app, "h1", "走访");
        gw.app.sync(None).await.unwrap();
        let shot = gw.app.add_evidence(crate::sync_story::photo(gw.dir.path(), "p.png"), None, None).unwrap();
        assert!(std::path::Path::new(&shot.path).exists());

        let device = server.texts("SELECT device_id FROM devices WHERE user_id = 'gw'")[0][0].clone().unwrap();
        assert!(server.storage().revoke_device(&device).unwrap());

        let r = gw.app.sync(None).await;
        assert!(matches!(r, Err(ApiError::DeviceWiped)), "{r:?}");
        assert!(gw.app.session().is_none());
        assert!(!std::path::Path::new(&shot.path).exists(), "evidence photos are deleted");
        assert_eq!(gw.app.outbox_status().unwrap().pending, 0);
        assert!(gw.app.household("h1".into()).is_err(), "households are gone");
        let conn = rusqlite::Connection::open(&gw.db).unwrap();
        let visits: i64 = conn.query_row("SELECT count(*) FROM visits", [], |r| r.get(0)).unwrap();
        let households: i64 = conn.query_row("SELECT count(*) FROM households", [], |r| r.get(0)).unwrap();
        assert_eq!((visits, households), (0, 0));
        // The revoked token stays refused: signing in again is the only way back.
        assert!(matches!(gw.app.sync(None).await, Err(ApiError::NotSignedIn) | Err(ApiError::AuthRequired { .. }) | Err(ApiError::DeviceWiped)));
    });
}

#[test]
fn a_token_near_expiry_is_refreshed_by_the_next_sync() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let lh = connected_phone(&url, "lh").await;
        let token_of = |db: &std::path::Path| -> String {
            let conn = rusqlite::Connection::open(db).unwrap();
            conn.query_row("SELECT value FROM meta WHERE key = 'server_token'", [], |r| r.get(0)).unwrap()
        };
        let old = token_of(&lh.db);
        // Pretend weeks went by: the stored expiry is a day away.
        let conn = rusqlite::Connection::open(&lh.db).unwrap();
        conn.execute("UPDATE meta SET value = ?1 WHERE key = 'server_token_expires_ms'", [(now_ms() + 86_400_000).to_string()]).unwrap();
        drop(conn);
        lh.app.report_issue(heating_issue()).unwrap();
        assert_eq!(lh.app.sync(None).await.unwrap().pushed, 1);
        let new = token_of(&lh.db);
        assert_ne!(new, old, "refreshed");
        let pull = format!("{url}{}?after=0", linkage_protocol::sync::paths::PULL);
        let http = reqwest::Client::new();
        assert_eq!(http.get(&pull).bearer_auth(&old).send().await.unwrap().status(), 401, "the old token is dead");
        assert_eq!(http.get(&pull).bearer_auth(&new).send().await.unwrap().status(), 200);
        // The next sync does not refresh again (a month is left).
        lh.app.sync(None).await.unwrap();
        assert_eq!(token_of(&lh.db), new);
    });
}

#[test]
fn a_refresh_whose_answer_is_lost_does_not_lock_the_phone_out() {
    let rt = runtime();
    let server = TestServer::start();
    rt.block_on(async {
        let proxy = FaultProxy::start(server.addr).await;
        let lh = connected_phone(&proxy.url(), "lh").await;
        let token_of = |db: &std::path::Path| -> String {
            let conn = rusqlite::Connection::open(db).unwrap();
            conn.query_row("SELECT value FROM meta WHERE key = 'server_token'", [], |r| r.get(0)).unwrap()
        };
        let expire_soon = |db: &std::path::Path| {
            let conn = rusqlite::Connection::open(db).unwrap();
            conn.execute("UPDATE meta SET value = ?1 WHERE key = 'server_token_expires_ms'", [(now_ms() + 86_400_000).to_string()]).unwrap();
        };
        let old = token_of(&lh.db);
        expire_soon(&lh.db);
        lh.app.report_issue(heating_issue()).unwrap();
        // Every try of the refresh reaches the server, which commits a new token, and every answer is lost.
        let attempts = test_limits().retry.attempts as usize;
        proxy.plan(std::iter::repeat_n(Fault::CutResponse, attempts));
        let report = lh.app.sync(None).await.unwrap();
        assert_eq!(report.pushed, 1, "the sync went on with the token it had");
        let refreshes = proxy.seen().iter().filter(|(line, f)| line.contains("/v1/auth/refresh") && *f == Fault::CutResponse).count();
        assert_eq!(refreshes, attempts, "{:?}", proxy.seen());
        assert_eq!(token_of(&lh.db), old, "no new token arrived");
        // The next sync refreshes for real; from the new token's first use the old one is dead.
        lh.app.report_issue(heating_issue()).unwrap();
        assert_eq!(lh.app.sync(None).await.unwrap().pushed, 1);
        let new = token_of(&lh.db);
        assert_ne!(new, old);
        let pull = format!("{}{}?after=0", server.url(), linkage_protocol::sync::paths::PULL);
        let http = reqwest::Client::new();
        assert_eq!(http.get(&pull).bearer_auth(&old).send().await.unwrap().status(), 401);
        assert_eq!(http.get(&pull).bearer_auth(&new).send().await.unwrap().status(), 200);
        assert_eq!(server.count("SELECT count(*) FROM issues"), 2);
    });
}
