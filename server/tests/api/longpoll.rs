//! The long-polling pull: woken by the sweep's writes, answered early on shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use linkage_protocol::sync::{paths, PullResponse};
use linkage_server::storage::Storage;

use crate::common::*;

#[tokio::test]
async fn the_overdue_sweep_wakes_a_waiting_pull_in_scope() {
    let s = start().await;
    let lh = s.token("lh1").await;
    let ts = s.token("ts1").await;
    let pushed = s.push(&lh, vec![report("lh1", &uuid(), "h1")]).await;
    assert!(matches!(pushed.results[0].outcome, linkage_protocol::sync::OpOutcome::Applied));
    let head = s.pull(&ts, 0, 100).await.next_cursor;

    let url = s.url(&format!("{}?after={head}&wait=30", paths::PULL));
    let waiting = tokio::spawn({
        let http = s.http.clone();
        async move {
            let started = Instant::now();
            let page: PullResponse = http.get(url).bearer_auth(ts).send().await.unwrap().json().await.unwrap();
            (page, started.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Ten days on, the report was never accepted: the sweep marks it, in the feed.
    let storage = s.storage.clone();
    let marked = tokio::task::spawn_blocking(move || {
        storage.sweep_overdue(now_ms() + 10 * 86_400_000, &linkage_protocol::rules::sla::SlaRules::china_default())
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(marked, 1);
    let (page, elapsed) = waiting.await.unwrap();
    assert_eq!(page.changes.len(), 1, "the sweep's mark");
    assert!(page.next_cursor > head);
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
}

#[tokio::test]
async fn a_shutting_down_server_answers_waiting_pulls_with_an_empty_page() {
    let s = start().await;
    let token = s.token("lh1").await;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = linkage_server::api::router_with_shutdown(s.storage.clone() as Arc<dyn Storage>, Default::default(), shutdown);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let waiting = tokio::spawn(async move {
        let started = Instant::now();
        let resp = reqwest::Client::new().get(format!("{base}{}?after=0&wait=30", paths::PULL)).bearer_auth(token).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let page: PullResponse = resp.json().await.unwrap();
        (page, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(true).unwrap();
    let (page, elapsed) = waiting.await.unwrap();
    assert!(page.changes.is_empty());
    assert_eq!(page.next_cursor, 0);
    assert!(elapsed < Duration::from_secs(30), "answered on shutdown, not at the end of the wait: {elapsed:?}");
}
