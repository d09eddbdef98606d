//! The long-polling pull (`GET /v1/changes?wait=`): a phone waiting on the change feed is answered as soon as
//! a change in its scope is committed, and a phone outside that scope keeps waiting and gets nothing foreign.

use std::time::{Duration, Instant};

use linkage_core::api::*;
use linkage_core::sync::{RetryPolicy, ServerClient};
use linkage_protocol::sync::paths;

use crate::server::*;

fn fire_alert() -> DirectiveDraft {
    DirectiveDraft {
        target_node_id: "t1".into(),
        kind: DirectiveKind::Alert,
        title: "护林防火：森林火险橙色预警".into(),
        body: "即日起一乡镇禁止一切野外用火，联户长逐户告知".into(),
        due_at_ms: Some(now_ms() + 6 * 3_600_000),
        evidence: vec![],
    }
}

#[test]
fn a_county_alert_wakes_a_waiting_liaison_head_and_not_a_waiter_of_another_township() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let cs = connected_phone(&url, "cs").await;
        let lh = connected_phone(&url, "lh").await;
        let ts2 = connected_phone(&url, "ts2").await;
        for p in [&lh, &ts2] {
            p.app.sync(None).await.unwrap();
        }

        const WAIT: u32 = 30;
        const FOREIGN_WAIT: u32 = 3;
        let waiting_lh = async {
            let started = Instant::now();
            let report = lh.app.pull_wait(WAIT, None).await.unwrap();
            (report, started.elapsed())
        };
        let waiting_ts2 = async {
            let started = Instant::now();
            let report = ts2.app.pull_wait(FOREIGN_WAIT, None).await.unwrap();
            (report, started.elapsed())
        };
        let county = async {
            // Both pulls are held by now (the feed had nothing for them).
            tokio::time::sleep(Duration::from_millis(500)).await;
            let alert = cs.app.issue_directive(fire_alert()).unwrap();
            assert_eq!(cs.app.sync(None).await.unwrap().pushed, 1);
            alert
        };
        let ((lh_report, lh_elapsed), (ts2_report, ts2_elapsed), alert) = tokio::join!(waiting_lh, waiting_ts2, county);

        // The liaison head's pull came back with the alert long before its wait ended.
        assert!(lh_report.pulled >= 1, "{lh_report:?}");
        assert!(lh_elapsed < Duration::from_secs(WAIT.into()), "answered by the alert, not by the end of the wait: {lh_elapsed:?}");
        lh.app.sign_in("lh".into()).unwrap();
        let inbox = lh.app.directive_inbox(0, 10).unwrap();
        assert_eq!(inbox.items.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), [alert.id.as_str()]);

        // The other township's waiter ran its whole wait and received nothing of 一乡镇's.
        assert_eq!(ts2_report.pulled, 0);
        assert!(ts2_elapsed >= Duration::from_secs(FOREIGN_WAIT.into()) - Duration::from_millis(100), "{ts2_elapsed:?}");
        ts2.app.sign_in("ts2".into()).unwrap();
        assert!(ts2.app.directive_inbox(0, 10).unwrap().items.is_empty());
    });
}

#[test]
fn a_wait_with_changes_pending_answers_at_once_and_a_wait_above_30_is_refused() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let cs = connected_phone(&url, "cs").await;
        cs.app.issue_directive(fire_alert()).unwrap();
        cs.app.sync(None).await.unwrap();

        let token = raw_token(&url, "lh", "lh-raw-device").await;
        let client = ServerClient::new(&url, Some(token.clone()), RetryPolicy::default()).unwrap();
        let started = Instant::now();
        let page = client.pull(0, 100, 30).await.unwrap().body;
        assert!(!page.changes.is_empty(), "the alert was already there");
        assert!(started.elapsed() < Duration::from_secs(30));
        // Nothing after the last one: an empty page once a short wait ends, the cursor unchanged.
        let empty = client.pull(page.next_cursor, 100, 1).await.unwrap().body;
        assert!(empty.changes.is_empty());
        assert_eq!(empty.next_cursor, page.next_cursor);

        let resp = reqwest::Client::new()
            .get(format!("{url}{}?after=0&wait=31", paths::PULL))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        let body: linkage_protocol::sync::ErrorBody = resp.json().await.unwrap();
        assert_eq!(body.code, "invalid_input");
    });
}
