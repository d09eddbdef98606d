//! Long-poll at scale (a bench binary, not a timed test): 1,000 phones hold `GET /v1/changes?wait=30` on one
//! server (the real `linkage-server serve` process over the demo county of 20,000 households) while nothing
//! changes; then the county issues a 护林防火 alert to the whole county and every phone's pull is answered.
//! Prints, per round, how many phones received the alert and the latency from the start of the county's push
//! to each answer (p50 / p99 / max), and the server process's resident memory idle and with every phone
//! waiting.
//!
//! `cargo bench -p linkage-server --bench longpoll` (`LINKAGE_BENCH_PHONES=200` for a quick run).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use linkage_protocol::hlc::Hlc;
use linkage_protocol::model::{DirectiveKind, Role};
use linkage_protocol::sync::{paths, OpOutcome, PullResponse, PushRequest, PushResponse};
use linkage_protocol::wire::{Directive, OpBody, Operation};
use linkage_server::sqlite::SqliteStorage;
use linkage_server::storage::Storage;
use linkage_server::{auth, demo};

const ROUNDS: usize = 3;
const WAIT_SECS: u32 = 30;

/// Resident memory of a process, MiB (Linux /proc).
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let phones: usize = std::env::var("LINKAGE_BENCH_PHONES").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now().timestamp_millis();

    // The demo county, and one enrolled device per phone (tokens made here: 1,000 Argon2 sign-ins would
    // measure password hashing, not the feed).
    let storage = SqliteStorage::open(dir.path()).unwrap();
    demo::seed(&storage, demo::DEFAULT_HOUSEHOLDS, now).unwrap();
    let heads = storage.users_with_role(Role::LiaisonHead, 100_000).unwrap();
    let enroll = |device: &str, user: &str| {
        let token = auth::new_token().unwrap();
        let enrolment = linkage_server::storage::NewEnrolment {
            device_id: device.into(),
            device_name: "压测手机".into(),
            secret_hash: None,
            user_id: user.into(),
            token_hash: auth::token_hash(&token),
            expires_at_ms: now + auth::TOKEN_TTL_MS,
            now_ms: now,
        };
        storage.enroll_device(&enrolment).unwrap();
        token
    };
    let tokens: Vec<String> = (0..phones).map(|i| enroll(&format!("bench-phone-{i}"), &heads[i % heads.len()].id)).collect();
    let county_token = enroll("bench-county", "cs1");
    drop(storage);
    println!("long-poll benchmark: {phones} phones ({} liaison heads) waiting with wait={WAIT_SECS} on one server", heads.len().min(phones));

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_linkage-server"))
            .args(["serve", "--data-dir", &dir.path().to_string_lossy(), "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{port}");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::builder().pool_max_idle_per_host(phones + 8).timeout(Duration::from_secs(60)).build().unwrap();
        for _ in 0..200 {
            if http.get(format!("{base}{}", paths::OPENAPI)).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let tokens = Arc::new(tokens);
        let head = |http: reqwest::Client, token: String| {
            let base = base.clone();
            async move {
                let mut cursor = 0;
                loop {
                    let page: PullResponse = http
                        .get(format!("{base}{}?after={cursor}&limit=1000", paths::PULL))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    cursor = page.next_cursor;
                    if !page.has_more {
                        return cursor;
                    }
                }
            }
        };
        println!("  server RSS idle (demo county loaded, no phone waiting): {:.1} MiB", rss_mib(pid));
        let mut all = Vec::new();
        for round in 1..=ROUNDS {
            // The county's cursor is the feed head (it sees everything).
            let cursor = head(http.clone(), county_token.clone()).await;
            let waiters: Vec<_> = (0..phones)
                .map(|i| {
                    let (http, tokens, base) = (http.clone(), tokens.clone(), base.clone());
                    tokio::spawn(async move {
                        let resp = http
                            .get(format!("{base}{}?after={cursor}&wait={WAIT_SECS}", paths::PULL))
                            .bearer_auth(&tokens[i])
                            .send()
                            .await;
                        let at = Instant::now();
                        let page: Option<PullResponse> = match resp {
                            Ok(r) if r.status().is_success() => r.json().await.ok(),
                            _ => None,
                        };
                        (at, page.is_some_and(|p| !p.changes.is_empty()))
                    })
                })
                .collect();
            // Every phone's request is held by now (nothing changed since the cursor).
            tokio::time::sleep(Duration::from_secs(3)).await;
            let early = waiters.iter().filter(|w| w.is_finished()).count();
            let rss_waiting = rss_mib(pid);
            let alert = Directive {
                id: uuid::Uuid::now_v7().to_string(),
                issuer_id: "cs1".into(),
                issuer_node_id: "hl".into(),
                target_node_id: "hl".into(),
                kind: DirectiveKind::Alert,
                title: format!("护林防火：森林火险橙色预警（第{round}次）"),
                body: "即日起全县禁止一切野外用火，联户长逐户告知".into(),
                due_at_ms: Some(now + 6 * 3_600_000),
                issued_at_ms: chrono::Utc::now().timestamp_millis(),
                evidence: vec![],
            };
            let op = Operation {
                op_id: uuid::Uuid::now_v7().to_string(),
                hlc: Hlc { wall_ms: alert.issued_at_ms, counter: 0 }.encode("bench-county"),
                body: OpBody::DirectiveIssued(alert),
            };
            let sent = Instant::now();
            let pushed: PushResponse = http
                .post(format!("{base}{}", paths::PUSH))
                .bearer_auth(&county_token)
                .json(&PushRequest { ops: vec![op] })
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(pushed.results[0].outcome, OpOutcome::Applied);
            let push_ms = sent.elapsed().as_secs_f64() * 1e3;
            let mut latencies = Vec::with_capacity(phones);
            let mut reached = 0;
            for w in waiters {
                let (at, got) = w.await.unwrap();
                if got {
                    reached += 1;
                    latencies.push(at.saturating_duration_since(sent));
                }
            }
            latencies.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            if latencies.is_empty() {
                println!("  round {round}: no phone received the alert ({early} answered early)");
                continue;
            }
            println!(
                "  round {round}: {reached}/{phones} phones got the alert (answered before it: {early}); push {push_ms:.1} ms; \
                 latency p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms; server RSS with {phones} waiting {rss_waiting:.1} MiB",
                ms(percentile(&latencies, 0.5)),
                ms(percentile(&latencies, 0.99)),
                ms(*latencies.last().unwrap())
            );
            all.extend(latencies);
        }
        all.sort();
        if !all.is_empty() {
            println!(
                "  all rounds: p50 {:.1} ms  p99 {:.1} ms (goal p99 <= 1000 ms on loopback)",
                all[all.len() / 2].as_secs_f64() * 1e3,
                percentile(&all, 0.99).as_secs_f64() * 1e3
            );
        }
    });
    drop(server);
}
