//! Screens that refresh themselves and sync that runs by itself, phone ↔ real server on loopback: the change
//! observer hears about a pulled issue without anyone calling `sync`, the foreground loop pushes a write after
//! the debounce, the sync state goes offline when the server dies and back to idle when it returns, and a
//! throwing observer never undoes a write.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use linkage_core::api::*;
use linkage_core::clock::SystemClock;
use linkage_core::sync::RetryPolicy;
use linkage_core::{
    ChangeObserver, ChangeTopic, DraftFields, FieldApp, CallbackError, ScheduledSyncResult, SchedulePolicy, SyncState, SyncStateObserver, SyncStatus,
};

use crate::server::*;
use crate::sync_story::heating_issue;

/// Quick timings so the test runs in seconds (the rules are the production ones, tested in core).
fn quick() -> SchedulePolicy {
    SchedulePolicy {
        debounce_ms: 50,
        max_write_delay_ms: 500,
        foreground_interval_ms: 200,
        retry: RetryPolicy { attempts: u32::MAX, base: Duration::from_millis(100), max: Duration::from_millis(400) },
        long_poll_wait_secs: 1,
    }
}

async fn auto_phone(url: &str, user: &str) -> SyncPhone {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("linkage.db");
    let app = FieldApp::open_with_schedule(&db, Arc::new(SystemClock), test_limits(), quick()).unwrap();
    app.connect(url.into(), user.into(), PASSWORD.into()).await.unwrap();
    SyncPhone { app, db, dir }
}

struct Topics(mpsc::Sender<Vec<ChangeTopic>>);
impl ChangeObserver for Topics {
    fn on_changed(&self, topics: Vec<ChangeTopic>) -> Result<(), CallbackError> {
        let _ = self.0.send(topics);
        Ok(())
    }
}

#[derive(Default)]
struct States(Mutex<Vec<SyncStatus>>);
impl SyncStateObserver for States {
    fn on_sync_state(&self, status: SyncStatus) -> Result<(), CallbackError> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(status);
        Ok(())
    }
}

struct Throws;
impl ChangeObserver for Throws {
    fn on_changed(&self, _: Vec<ChangeTopic>) -> Result<(), CallbackError> {
        Err(CallbackError::Failed { reason: "the screen was gone".into() })
    }
}

/// Waits (generously: this is liveness, not speed) until `f` holds.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(30), "never happened: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_open_screen_hears_of_a_pulled_issue_and_writes_sync_by_themselves() {
    let mut server = TestServer::start();
    let url = server.url();
    let rt = runtime();
    let (ts, gw) = rt.block_on(async { (auto_phone(&url, "ts").await, auto_phone(&url, "gw").await) });

    let (tx, rx) = mpsc::channel();
    ts.app.observe_changes(Some(Arc::new(Topics(tx))));
    let states = Arc::new(States::default());
    gw.app.observe_sync_state(Some(states.clone()));
    assert_eq!(states.0.lock().unwrap()[0].state, SyncState::Idle, "the current status comes at once");
    ts.app.clone().app_foregrounded();
    gw.app.clone().app_foregrounded();

    // The grid worker reports; nobody calls sync: the debounce pushes it, the township's loop pulls it.
    let issue = gw.app.report_issue(heating_issue()).unwrap();
    eventually("the township's screen is told about issues", || {
        rx.try_iter().any(|topics| topics.contains(&ChangeTopic::Issues))
    });
    let queue = ts.app.triage_queue(vec![], 0, 50).unwrap();
    assert!(queue.items.iter().any(|i| i.id == issue.id), "the open triage screen re-queries and lists it");
    eventually("the grid worker's outbox drained and its sync ended", || {
        let s = gw.app.sync_status().unwrap();
        s.pending == 0 && s.state == SyncState::Idle
    });
    {
        let seen = states.0.lock().unwrap();
        assert!(seen.iter().any(|s| s.pending == 1), "the write showed as waiting");
        assert!(seen.iter().any(|s| matches!(s.state, SyncState::Syncing { .. })), "then syncing");
        assert!(
            seen.iter().any(|s| s.state == SyncState::Idle && s.headline == "已全部同步" && s.last_synced_text.starts_with("上次同步：")),
            "and back to all synced: {:?}", seen.iter().map(|s| (s.headline.clone(), s.pending)).collect::<Vec<_>>()
        );
    }

    // The server dies: the next write's sync fails and the bar says offline (chip), changes kept.
    server.kill();
    let second = gw.app.report_issue(IssueDraft { title: "村道塌方".into(), ..heating_issue() }).unwrap();
    eventually("the phone shows it is offline", || gw.app.sync_status().unwrap().offline);
    let offline = gw.app.sync_status().unwrap();
    assert_eq!(offline.offline_chip.as_deref(), Some("离线"));
    assert!(offline.headline.starts_with("离线"), "{}", offline.headline);
    assert_eq!(offline.pending, 1);
    // It comes back: the backoff retries find it, without a user or a network event.
    server.restart();
    eventually("back in sync", || {
        let s = gw.app.sync_status().unwrap();
        s.state == SyncState::Idle && s.pending == 0
    });
    eventually("the township lists the second issue", || {
        ts.app.triage_queue(vec![], 0, 50).unwrap().items.iter().any(|i| i.id == second.id)
    });

    // Leaving the app with nothing unsynced: no background work needed. The OS scheduler's entry point works.
    assert!(!gw.app.app_backgrounded());
    assert_eq!(rt.block_on(gw.app.run_scheduled_sync()), ScheduledSyncResult::Synced);
    assert!(!ts.app.app_backgrounded());
}

#[test]
fn a_throwing_observer_is_a_typed_error_and_the_write_stays() {
    let phone = crate::common::phone();
    let app = &phone.app;
    app.sign_in("gw".into()).unwrap();
    app.observe_changes(Some(Arc::new(Throws)));
    let issue = app.report_issue(heating_issue()).unwrap();
    assert_eq!(app.change_observer_failures(), 1);
    assert_eq!(app.issue(issue.id.clone()).unwrap().summary.id, issue.id, "the write is committed");
    let draft = app.start_visit_draft("h1".into(), VisitKind::Routine, None, None).unwrap();
    assert_eq!((app.change_observer_failures(), app.drafts().unwrap()[0].id.clone()), (2, draft.id.clone()));
    // A phone never connected: the OS scheduler is told there is nothing to do.
    let rt = runtime();
    assert_eq!(rt.block_on(app.run_scheduled_sync()), ScheduledSyncResult::NotConnected);
    assert!(matches!(app.sync_status().unwrap().state, SyncState::NeedsSignIn { .. }));

    // Coalesced: one notification per call, with every topic the call touched; reads notify nothing.
    let (tx, rx) = mpsc::channel();
    app.observe_changes(Some(Arc::new(Topics(tx))));
    app.update_draft(draft.id.clone(), DraftFields { notes: "腿脚不便".into(), ..draft.fields.clone() }).unwrap();
    app.drafts().unwrap();
    app.submit_draft(draft.id.clone()).unwrap();
    let got: Vec<Vec<ChangeTopic>> = rx.try_iter().collect();
    assert_eq!(
        got,
        [
            vec![ChangeTopic::Drafts],
            vec![ChangeTopic::Households, ChangeTopic::Visits, ChangeTopic::Drafts, ChangeTopic::Outbox]
        ]
    );
}

/// A fire alert (护林防火预警) reaches a phone in the foreground through the long poll: its periodic sync is
/// an hour away and nobody calls `sync`, yet its open inbox is told within the liveness bound.
#[test]
fn a_fire_alert_reaches_a_foreground_phone_through_the_long_poll() {
    let server = TestServer::start();
    let url = server.url();
    let rt = runtime();
    let hourly = SchedulePolicy { foreground_interval_ms: 3_600_000, long_poll_wait_secs: 30, ..quick() };
    let gw = rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("linkage.db");
        let app = FieldApp::open_with_schedule(&db, Arc::new(SystemClock), test_limits(), hourly).unwrap();
        app.connect(url.clone(), "gw".into(), PASSWORD.into()).await.unwrap();
        SyncPhone { app, db, dir }
    });
    let cs = rt.block_on(connected_phone(&url, "cs"));
    let (tx, rx) = mpsc::channel();
    gw.app.observe_changes(Some(Arc::new(Topics(tx))));
    gw.app.clone().app_foregrounded();
    eventually("the first foreground sync is done", || gw.app.sync_status().unwrap().state == SyncState::Idle
        && gw.app.sync_status().unwrap().last_synced_at_ms.is_some());
    std::thread::sleep(Duration::from_millis(200)); // the loop is now holding its long poll open

    let alert = cs
        .app
        .issue_directive(DirectiveDraft {
            target_node_id: "c".into(),
            kind: DirectiveKind::Alert,
            title: "森林火险橙色预警".into(),
            body: "严禁野外用火".into(),
            due_at_ms: None,
            evidence: vec![],
        })
        .unwrap();
    rt.block_on(cs.app.sync(None)).unwrap();
    eventually("the grid worker's open inbox is told", || rx.try_iter().any(|t| t.contains(&ChangeTopic::Directives)));
    assert!(gw.app.directives_to_acknowledge(0, 10).unwrap().items.iter().any(|d| d.id == alert.id));
    gw.app.app_backgrounded();
}
