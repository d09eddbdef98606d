//! Several stateless servers behind one PostgreSQL database (DESIGN §15, ADR 0015), with real phones: phones
//! syncing through two servers at once lose and duplicate nothing and each phone's ops keep their receipt
//! order; a photo sent through one server is opened through the other (one shared blob folder); a phone
//! long-polling one server is woken by a commit on the other (`LISTEN`/`NOTIFY`: these test servers have no
//! periodic head recheck, so without it the wait would run to its end); the overdue sweep started on both at
//! once marks each step once. PostgreSQL only (`LINKAGE_TEST_DATABASE`): one SQLite file has one server.

use std::time::{Duration, Instant};

use linkage_core::api::*;
use linkage_protocol::rules::sla::SlaRules;

use crate::server::*;
use crate::sync_story::{heating_issue, photo};

/// Two servers over one database and data directory; `None` (test skipped) on SQLite.
fn two_servers() -> Option<(TestServer, TestServer)> {
    let first = TestServer::start();
    let Some(second) = first.another() else {
        eprintln!("skipped: several servers need PostgreSQL (LINKAGE_TEST_DATABASE)");
        return None;
    };
    assert_ne!(first.url(), second.url());
    Some((first, second))
}

fn visit(app: &linkage_core::FieldApp, household: &str, notes: &str) -> String {
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

#[test]
fn phones_syncing_through_two_servers_at_once_lose_nothing_duplicate_nothing_and_keep_each_phones_order() {
    let Some((a, b)) = two_servers() else { return };
    let rt = runtime();
    rt.block_on(async {
        // Two phones on each server; the grid workers' and liaison heads' households overlap (h1..h5).
        let gw = connected_phone(&a.url(), "gw").await;
        let gw2 = connected_phone(&a.url(), "gw2").await;
        let lh = connected_phone(&b.url(), "lh").await;
        let lh2 = connected_phone(&b.url(), "lh2").await;
        let phones = [("gw", &gw, ["h1", "h3"]), ("gw2", &gw2, ["h4", "h4"]), ("lh", &lh, ["h1", "h2"]), ("lh2", &lh2, ["h3", "h5"])];
        let mut made = 0;
        for round in 0..4 {
            for (user, p, households) in &phones {
                for h in households {
                    visit(&p.app, h, &format!("{user} 第{round}轮 {h}"));
                    made += 1;
                }
                if round % 2 == 0 {
                    p.app.report_issue(IssueDraft { title: format!("{user} 第{round}轮"), household_id: Some(households[0].into()), ..heating_issue() }).unwrap();
                    made += 1;
                }
            }
            // All four push at once (batches of 3: several transactions each), half through each server.
            let (r1, r2, r3, r4) = tokio::join!(gw.app.sync(None), gw2.app.sync(None), lh.app.sync(None), lh2.app.sync(None));
            for r in [r1, r2, r3, r4] {
                assert_eq!(r.unwrap().rejected, 0);
            }
        }
        for (_, p, _) in &phones {
            p.app.sync(None).await.unwrap();
            assert_eq!(p.app.outbox_status().unwrap().pending, 0);
        }
        // Every op once on the server (the feed's key is the op id; no event twice).
        assert_eq!(a.count("SELECT count(*) FROM changes"), made);
        assert_eq!(a.count("SELECT count(DISTINCT op_id) FROM changes"), made);
        assert_eq!(a.count("SELECT count(*) FROM visits"), 4 * 2 * 4);
        assert_eq!(a.count("SELECT count(*) FROM issues"), 4 * 2);
        assert_eq!(a.count("SELECT count(*) FROM (SELECT event_id FROM issue_events GROUP BY event_id HAVING count(*) > 1) AS twice"), 0);
        // Each phone's ops in the feed in the order the phone made them (its clock readings increase).
        let feed = a.texts("SELECT user_id, op_json FROM changes ORDER BY seq");
        for (user, _, _) in &phones {
            let clocks: Vec<String> = feed
                .iter()
                .filter(|r| r[0].as_deref() == Some(*user))
                .map(|r| serde_json::from_str::<linkage_protocol::wire::Operation>(r[1].as_deref().unwrap()).unwrap().hlc)
                .collect();
            assert_eq!(clocks.len(), made as usize / 4, "{user}");
            assert!(clocks.windows(2).all(|w| w[0] < w[1]), "{user}: receipt order kept: {clocks:?}");
        }
        // What one server took, the phones of the other see: lh (server B) holds gw's visits to h1 (server A).
        let on_h1 = lh.app.household_visits("h1".into(), 100).unwrap();
        assert_eq!(on_h1.len(), 8, "4 rounds × (gw + lh)");
        let gw_h3 = gw.app.household_visits("h3".into(), 100).unwrap();
        assert_eq!(gw_h3.len(), 8, "4 rounds × (gw + lh2 through the other server)");
    });
}

#[test]
fn a_photo_sent_through_one_server_opens_through_the_other() {
    let Some((a, b)) = two_servers() else { return };
    let rt = runtime();
    rt.block_on(async {
        let gw = connected_phone(&a.url(), "gw").await;
        let ts = connected_phone(&b.url(), "ts").await;
        let fix = GpsFix { lat: 35.58003, lon: 109.26002, accuracy_m: 8.0, fix_time_ms: now_ms(), mocked: false };
        let shot = gw.app.add_evidence(photo(gw.dir.path(), "shared.png"), Some(fix), None).unwrap();
        let issue = gw.app.report_issue(IssueDraft { evidence: vec![shot.hash.clone()], ..heating_issue() }).unwrap();
        let r = gw.app.sync(None).await.unwrap();
        assert_eq!((r.pushed, r.uploaded), (1, 1));

        ts.app.sync(None).await.unwrap();
        assert!(ts.app.issue(issue.id.clone()).is_ok());
        let full = ts.app.open_evidence(shot.hash.clone()).await.unwrap();
        assert_eq!(std::fs::read(&full).unwrap(), std::fs::read(&shot.path).unwrap(), "byte for byte, through the other server");
        assert_eq!(b.count(&format!("SELECT count(*) FROM blobs WHERE hash = '{}' AND complete", shot.hash)), 1);
    });
}

#[test]
fn a_phone_waiting_on_one_server_is_woken_by_a_commit_on_the_other() {
    let Some((a, b)) = two_servers() else { return };
    let rt = runtime();
    rt.block_on(async {
        let cs = connected_phone(&a.url(), "cs").await;
        let lh = connected_phone(&b.url(), "lh").await;
        lh.app.sync(None).await.unwrap();
        const WAIT: u32 = 30;
        let waiting = async {
            let started = Instant::now();
            let report = lh.app.pull_wait(WAIT, None).await.unwrap();
            (report, started.elapsed())
        };
        let county = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let alert = DirectiveDraft {
                target_node_id: "t1".into(),
                kind: DirectiveKind::Alert,
                title: "护林防火：森林火险橙色预警".into(),
                body: "即日起禁止一切野外用火".into(),
                due_at_ms: Some(now_ms() + 6 * 3_600_000),
                evidence: vec![],
            };
            let alert = cs.app.issue_directive(alert).unwrap();
            assert_eq!(cs.app.sync(None).await.unwrap().pushed, 1);
            (alert, Instant::now())
        };
        let ((report, elapsed), (alert, pushed_at)) = tokio::join!(waiting, county);
        assert!(report.pulled >= 1, "{report:?}");
        assert!(elapsed < Duration::from_secs(WAIT.into()), "woken by the other server's commit, not by the end of the wait: {elapsed:?}");
        eprintln!("woken {:?} after the push through the other server returned", Instant::now().saturating_duration_since(pushed_at));
        lh.app.sign_in("lh".into()).unwrap();
        assert_eq!(lh.app.directive_inbox(0, 10).unwrap().items.iter().map(|d| d.id.clone()).collect::<Vec<_>>(), [alert.id]);
    });
}

#[test]
fn the_overdue_sweep_started_on_two_servers_at_once_marks_each_step_once() {
    let Some((a, b)) = two_servers() else { return };
    let rt = runtime();
    let id = rt.block_on(async {
        let lh = connected_phone(&a.url(), "lh").await;
        let id = lh.app.report_issue(IssueDraft { urgency: Urgency::Critical, ..heating_issue() }).unwrap().id;
        lh.app.sync(None).await.unwrap();
        id
    });
    let rules = SlaRules::china_default();
    let later = now_ms() + 30 * 24 * 3_600_000;
    let barrier = std::sync::Barrier::new(2);
    let marked: u32 = std::thread::scope(|s| {
        let runs: Vec<_> = [&a, &b]
            .into_iter()
            .map(|server| {
                let (barrier, rules) = (&barrier, &rules);
                s.spawn(move || {
                    barrier.wait();
                    server.storage().sweep_overdue(later, rules).unwrap()
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).sum()
    });
    // Whichever ran (one at a time, or one skipping while the other swept), the issue is marked once.
    assert_eq!(marked, 1);
    assert_eq!(a.count(&format!("SELECT count(*) FROM issue_events WHERE issue_id = '{id}' AND action = 'mark_overdue'")), 1);
    assert_eq!(b.storage().sweep_overdue(later, &rules).unwrap(), 0, "marked once per step");
}
