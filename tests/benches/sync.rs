//! Sync throughput and wire size over loopback (`scripts/bench-sync.sh`).
//!
//! Ours: the real `linkage-server` (auth on every request, the shared rules judging every op, idempotency by
//! op id, one durable SQLite transaction per batch, gzip bodies) driven by the sync engine's own push loop
//! (`linkage_core::sync::push_batches`: the phone's HTTP client and batch size, one request in flight, the
//! next batch encoded meanwhile) with N visit operations as a phone records them, then a second user pulls
//! the N changes in the phone's page size.
//! Reference, measured in the same run: a raw axum + SQLite server that inserts the same visit records in one
//! transaction per request (same WAL + synchronous=FULL) and pages them back, plain JSON, no auth, no rules,
//! no idempotency. Prints ops/s of each, the ratio ours/raw, and wire bytes per op compressed vs raw JSON.
//!
//! `LINKAGE_BENCH_OPS` (default 100000) sets N; `LINKAGE_BENCH_ROUNDS` (default 5) the rounds of raw then
//! ours on fresh databases, whose medians are reported; `LINKAGE_BENCH_BATCH` the push batch (default: the
//! phone's); `LINKAGE_BENCH_ONLY=apply|ours|push` runs one part alone for profiling.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use linkage_core::sync::{RetryPolicy, ServerClient, SyncLimits};
use linkage_protocol::model::{GpsFix, OrgLevel, VisitKind};
use linkage_protocol::sync::{paths, PullResponse, PushRequest, PushResponse, SignInRequest, SignInResponse};
use linkage_protocol::wire::{Bundle, OpBody, Operation, Visit};
use linkage_server::import;
use linkage_server::sqlite::SqliteStorage;
use linkage_server::storage::Storage;
use serde::Deserialize;

const PASSWORD: &str = "bench-password-1";

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// The fixture county on a fresh data dir, with every fixture user.
fn seeded_storage(dir: &std::path::Path) -> Arc<SqliteStorage> {
    let storage = SqliteStorage::open(dir).unwrap();
    import::import_bundle(&storage, fixture_bundle(), &linkage_server::auth::hash_password(PASSWORD).unwrap()).unwrap();
    Arc::new(storage)
}

fn fixture_bundle() -> Bundle {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/bundle.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The visits a grid worker of 石堡村 records: realistic notes, a GPS fix, one op each, graded on site by the
/// phone's own rule (`geo::assess` against the household's point) exactly as `Store::record_visit` does, so
/// the server's grading agrees and it stores the op as sent.
fn visit_ops(n: usize) -> Vec<Operation> {
    let bundle = fixture_bundle();
    let households: Vec<(String, Option<(f64, f64)>)> = ["h1", "h2", "h3"]
        .iter()
        .map(|id| {
            let h = bundle.households.iter().find(|h| h.id == *id).unwrap();
            (h.id.clone(), h.lat.zip(h.lon))
        })
        .collect();
    let policy = linkage_protocol::rules::geo::OnSitePolicy::default();
    let now = now_ms();
    (0..n)
        .map(|i| {
            let id = uuid::Uuid::now_v7().to_string();
            let hlc = linkage_protocol::hlc::Hlc { wall_ms: now - 86_400_000 + i as i64, counter: 0 }.encode("bench-phone");
            let (household_id, point) = &households[i % 3];
            let fix = GpsFix {
                lat: point.map_or(35.58, |p| p.0) + (i % 97) as f64 * 1e-6,
                lon: point.map_or(109.26, |p| p.1) + (i % 89) as f64 * 1e-6,
                accuracy_m: 8.0 + (i % 20) as f64,
                fix_time_ms: now - 3_030_000,
                mocked: false,
            };
            let window = linkage_protocol::rules::geo::FixWindow { started_at_ms: now - 3_600_000, at_ms: now - 3_000_000 };
            let assessment = linkage_protocol::rules::geo::assess(Some(&fix), *point, &policy, window);
            Operation {
                op_id: id.clone(),
                hlc,
                body: OpBody::VisitRecorded(Visit {
                    id,
                    household_id: household_id.clone(),
                    visitor_id: "gw".into(),
                    visitor_level: OrgLevel::Branch,
                    kind: VisitKind::Routine,
                    started_at_ms: now - 3_600_000,
                    ended_at_ms: now - 3_000_000,
                    fix: Some(fix),
                    distance_m: assessment.distance_m,
                    verdict: assessment.verdict,
                    notes: format!("第{i}次走访：家中安好，老人身体尚可，冬季取暖已落实，叮嘱注意用火安全。"),
                    evidence: vec![],
                    issue_id: None,
                    amends_visit_id: None,
                }),
            }
        })
        .collect()
}

fn serve_on(rt: &tokio::runtime::Runtime, router: Router) -> String {
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, router).await });
    url
}

// ---- The raw reference server ------------------------------------------------------------------------------

#[derive(Clone)]
struct Raw(Arc<Mutex<rusqlite::Connection>>);

#[derive(Deserialize)]
struct After {
    after: i64,
    limit: i64,
}

async fn raw_push(State(raw): State<Raw>, Json(visits): Json<Vec<Visit>>) -> Json<usize> {
    let n = tokio::task::spawn_blocking(move || {
        let mut conn = raw.0.lock().unwrap();
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO visits (id, household_id, visitor_id, body) VALUES (?1, ?2, ?3, ?4)")
                .unwrap();
            for v in &visits {
                stmt.execute(rusqlite::params![v.id, v.household_id, v.visitor_id, serde_json::to_string(v).unwrap()]).unwrap();
            }
        }
        tx.commit().unwrap();
        visits.len()
    })
    .await
    .unwrap();
    Json(n)
}

async fn raw_pull(State(raw): State<Raw>, Query(q): Query<After>) -> Json<(Vec<serde_json::Value>, i64)> {
    let page = tokio::task::spawn_blocking(move || {
        let conn = raw.0.lock().unwrap();
        let mut stmt = conn.prepare_cached("SELECT seq, body FROM visits WHERE seq > ?1 ORDER BY seq LIMIT ?2").unwrap();
        let rows: Vec<(i64, String)> =
            stmt.query_map([q.after, q.limit], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
        let last = rows.last().map_or(q.after, |r| r.0);
        (rows.into_iter().map(|(_, b)| serde_json::from_str(&b).unwrap()).collect(), last)
    })
    .await
    .unwrap();
    Json(page)
}

fn raw_router(dir: &std::path::Path) -> Router {
    let conn = rusqlite::Connection::open(dir.join("raw.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE visits (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, household_id TEXT NOT NULL,
         visitor_id TEXT NOT NULL, body TEXT NOT NULL)",
    )
    .unwrap();
    Router::new()
        .route("/raw/push", post(raw_push))
        .route("/raw/pull", get(raw_pull))
        .layer(axum::extract::DefaultBodyLimit::max(64 << 20))
        .with_state(Raw(Arc::new(Mutex::new(conn))))
}

// ---- Measurements -------------------------------------------------------------------------------------------

struct Figures {
    push: Duration,
    push_bytes: u64,
    pull: Duration,
    pull_bytes: u64,
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

async fn token(url: &str, user: &str) -> String {
    let req = SignInRequest { user_id: user.into(), password: PASSWORD.into(), device_id: format!("bench-{user}"), device_name: String::new(), device_secret: String::new() };
    let resp = reqwest::Client::new().post(format!("{url}{}", paths::SIGN_IN)).json(&req).send().await.unwrap();
    resp.json::<SignInResponse>().await.unwrap().token
}

async fn ours(url: &str, ops: &[Operation], limits: SyncLimits) -> Figures {
    let gw = ServerClient::new(url, Some(token(url, "gw").await), RetryPolicy::default()).unwrap();
    let started = Instant::now();
    let mut push_bytes = 0u64;
    // The sync engine's own push loop (one request in flight, the next batch encoded meanwhile), fed from
    // memory instead of a phone's outbox.
    let mut batches = ops.chunks(limits.push_batch as usize);
    linkage_core::sync::push_batches(
        &gw,
        now_ms,
        || Ok(batches.next().map(<[Operation]>::to_vec).unwrap_or_default()),
        |_, answer: linkage_core::sync::http::Exchange<PushResponse>, _| {
            push_bytes += answer.request_bytes as u64;
            assert!(answer.body.results.iter().all(|r| matches!(r.outcome, linkage_protocol::sync::OpOutcome::Applied)));
            Ok(())
        },
    )
    .await
    .unwrap();
    let push = started.elapsed();
    if std::env::var("LINKAGE_BENCH_ONLY").as_deref() == Ok("push") {
        return Figures { push, push_bytes, pull: push, pull_bytes: 0 };
    }

    // The township pulls every change, gzip on the wire as the phone asks for it.
    let ts = token(url, "ts").await;
    let http = reqwest::Client::builder().no_gzip().build().unwrap();
    let started = Instant::now();
    let (mut cursor, mut pulled, mut pull_bytes) = (0i64, 0usize, 0u64);
    loop {
        let resp = http
            .get(format!("{url}{}?after={cursor}&limit={}", paths::PULL, limits.pull_page))
            .bearer_auth(&ts)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        let gzipped = resp.headers().get("content-encoding").is_some_and(|v| v == "gzip");
        let bytes = resp.bytes().await.unwrap();
        pull_bytes += bytes.len() as u64;
        let page: PullResponse = serde_json::from_slice(&if gzipped { gunzip(&bytes) } else { bytes.to_vec() }).unwrap();
        pulled += page.changes.len();
        cursor = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(pulled, ops.len());
    Figures { push, push_bytes, pull: started.elapsed(), pull_bytes }
}

async fn raw(url: &str, ops: &[Operation], limits: SyncLimits) -> Figures {
    let visits: Vec<Visit> = ops
        .iter()
        .map(|op| match &op.body {
            OpBody::VisitRecorded(v) => v.clone(),
            _ => unreachable!(),
        })
        .collect();
    let http = reqwest::Client::builder().no_gzip().build().unwrap();
    let started = Instant::now();
    let mut push_bytes = 0u64;
    for batch in visits.chunks(limits.push_batch as usize) {
        let body = serde_json::to_vec(batch).unwrap();
        push_bytes += body.len() as u64;
        let resp = http.post(format!("{url}/raw/push")).header("content-type", "application/json").body(body).send().await.unwrap();
        assert!(resp.status().is_success());
        resp.bytes().await.unwrap();
    }
    let push = started.elapsed();
    let started = Instant::now();
    let (mut cursor, mut pulled, mut pull_bytes) = (0i64, 0usize, 0u64);
    loop {
        let resp = http.get(format!("{url}/raw/pull?after={cursor}&limit={}", limits.pull_page)).send().await.unwrap();
        let bytes = resp.bytes().await.unwrap();
        pull_bytes += bytes.len() as u64;
        let (page, last): (Vec<serde_json::Value>, i64) = serde_json::from_slice(&bytes).unwrap();
        pulled += page.len();
        cursor = last;
        if page.len() < limits.pull_page as usize {
            break;
        }
    }
    assert_eq!(pulled, visits.len());
    Figures { push, push_bytes, pull: started.elapsed(), pull_bytes }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is ignored too.
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<usize>().ok());
    let n = env("LINKAGE_BENCH_OPS").unwrap_or(100_000);
    // Rounds of raw then ours, each on fresh databases; the medians are reported (this machine is noisy).
    let rounds = env("LINKAGE_BENCH_ROUNDS").unwrap_or(5).max(1);
    // The phone's own batch and page sizes, unless overridden (LINKAGE_BENCH_BATCH) to see their effect.
    let mut limits = SyncLimits::default();
    if let Some(b) = env("LINKAGE_BENCH_BATCH") {
        limits.push_batch = b as u32;
    }
    let only = std::env::var("LINKAGE_BENCH_ONLY").ok();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ops = visit_ops(n);
    println!(
        "bench-sync: {n} visit ops, push batch {}, pull page {}, loopback, SQLite WAL synchronous=FULL, {rounds} round(s)",
        limits.push_batch, limits.pull_page
    );
    let rate = |d: Duration| n as f64 / d.as_secs_f64();

    if matches!(only.as_deref(), Some("ours" | "push")) {
        // For profiling our HTTP path alone (`push`: without the pull).
        let url = serve_on(&rt, unmetered_router(seeded_storage(&dir.path().join("ours"))));
        let o = rt.block_on(ours(&url, &ops, limits));
        println!("ours push {:.0} ops/s, pull {:.0} ops/s", rate(o.push), rate(o.pull));
        return;
    }

    // Where the time goes: the server's judging and storing alone (no HTTP), and the phone's encoding alone.
    let direct = seeded_storage(&dir.path().join("direct"));
    let (gw, _) = direct.user_credentials("gw").unwrap().unwrap();
    let started = Instant::now();
    for batch in ops.chunks(limits.push_batch as usize) {
        direct.apply_ops(&gw, batch, now_ms()).unwrap();
    }
    let apply_only = started.elapsed();
    // The township's pull, its parts without HTTP: the scoped query and the ops parsed (`changes`), then the
    // pages encoded as the server answers them (JSON, then gzip).
    let (ts, _) = direct.user_credentials("ts").unwrap().unwrap();
    let started = Instant::now();
    let (mut cursor, mut pages) = (0i64, Vec::new());
    loop {
        let (changes, has_more) = direct.changes(&ts.node_path, cursor, limits.pull_page).unwrap();
        cursor = changes.last().map_or(cursor, |c| c.seq);
        pages.push(changes);
        if !has_more {
            break;
        }
    }
    let query_only = started.elapsed();
    let started = Instant::now();
    let mut json_bytes = 0usize;
    for changes in &pages {
        json_bytes += serde_json::to_vec(&PullResponse { changes: changes.clone(), next_cursor: 0, has_more: true, server_time_ms: 0 }).unwrap().len();
    }
    let json_only = started.elapsed();
    let started = Instant::now();
    for changes in &pages {
        let json = serde_json::to_vec(&PullResponse { changes: changes.clone(), next_cursor: 0, has_more: true, server_time_ms: 0 }).unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &json).unwrap();
        enc.finish().unwrap();
    }
    let json_gzip = started.elapsed();
    drop(pages);
    drop(direct);
    if only.as_deref() == Some("apply") {
        // For profiling the server's judging and storing alone.
        println!("server apply_ops alone: {:.0} ops/s", rate(apply_only));
        return;
    }
    let started = Instant::now();
    let mut encoded = 0usize;
    for batch in ops.chunks(limits.push_batch as usize) {
        let json = serde_json::to_vec(&PushRequest { ops: batch.to_vec() }).unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &json).unwrap();
        encoded += enc.finish().unwrap().len();
    }
    let encode_only = started.elapsed();
    let bodies: Vec<Vec<u8>> =
        ops.chunks(limits.push_batch as usize).map(|b| serde_json::to_vec(&PushRequest { ops: b.to_vec() }).unwrap()).collect();
    let started = Instant::now();
    for body in &bodies {
        let req: PushRequest = serde_json::from_slice(body).unwrap();
        assert_eq!(req.ops.len().min(1), 1);
    }
    let decode_only = started.elapsed();

    let (mut o_push, mut r_push, mut o_pull, mut r_pull, mut push_ratio, mut pull_ratio) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut wire_push, mut wire_pull) = ((0, 0), (0, 0));
    for round in 0..rounds {
        let here = dir.path().join(format!("round-{round}"));
        std::fs::create_dir_all(&here).unwrap();
        let raw_url = serve_on(&rt, raw_router(&here));
        let ours_url = serve_on(&rt, unmetered_router(seeded_storage(&here.join("ours"))));
        let r = rt.block_on(raw(&raw_url, &ops, limits));
        let o = rt.block_on(ours(&ours_url, &ops, limits));
        println!(
            "  round {}: push ours {:.0} raw {:.0} ops/s ({:.2}); pull ours {:.0} raw {:.0} ops/s ({:.2})",
            round + 1,
            rate(o.push),
            rate(r.push),
            rate(o.push) / rate(r.push),
            rate(o.pull),
            rate(r.pull),
            rate(o.pull) / rate(r.pull)
        );
        o_push.push(rate(o.push));
        r_push.push(rate(r.push));
        o_pull.push(rate(o.pull));
        r_pull.push(rate(r.pull));
        push_ratio.push(rate(o.push) / rate(r.push));
        pull_ratio.push(rate(o.pull) / rate(r.pull));
        (wire_push, wire_pull) = ((o.push_bytes, r.push_bytes), (o.pull_bytes, r.pull_bytes));
    }
    let per_op = |b: u64| b as f64 / n as f64;
    println!("medians of {rounds} round(s):");
    println!("push  ours {:>9.0} ops/s  {:>7.1} B/op on the wire (gzip JSON)", median(o_push), per_op(wire_push.0));
    println!("push  raw  {:>9.0} ops/s  {:>7.1} B/op on the wire (plain JSON)", median(r_push), per_op(wire_push.1));
    println!("pull  ours {:>9.0} ops/s  {:>7.1} B/op on the wire (gzip JSON)", median(o_pull), per_op(wire_pull.0));
    println!("pull  raw  {:>9.0} ops/s  {:>7.1} B/op on the wire (plain JSON)", median(r_pull), per_op(wire_pull.1));
    println!(
        "  parts: server apply_ops alone (no HTTP) {:.0} ops/s; push body JSON decode alone {:.0} ops/s; phone JSON+gzip alone {:.0} ops/s ({encoded} B)",
        rate(apply_only),
        rate(decode_only),
        rate(encode_only)
    );
    println!(
        "  parts: pull's scoped query with the ops parsed alone {:.0} ops/s; pages to JSON alone {:.0} ops/s ({json_bytes} B); JSON+gzip {:.0} ops/s",
        rate(query_only),
        rate(json_only),
        rate(json_gzip)
    );
    let spread = |v: &[f64]| (v.iter().copied().fold(f64::INFINITY, f64::min), v.iter().copied().fold(f64::NEG_INFINITY, f64::max));
    let (push_lo, push_hi) = spread(&push_ratio);
    let (pull_lo, pull_hi) = spread(&pull_ratio);
    println!(
        "ratio ours/raw ops/s (median of the rounds' ratios): push {:.2} (spread {push_lo:.2}..{push_hi:.2}, target >= 0.6), \
         pull {:.2} (spread {pull_lo:.2}..{pull_hi:.2}, target >= 0.9)",
        median(push_ratio.clone()),
        median(pull_ratio.clone())
    );
    println!(
        "wire compressed/raw: push {:.3}, pull {:.3} (target <= 0.167)",
        wire_push.0 as f64 / wire_push.1 as f64,
        wire_pull.0 as f64 / wire_pull.1 as f64
    );
}

/// The server's router without the per-device work cap: the benchmark measures sync throughput, which the cap
/// (10,000 ops and 600 requests per device per minute) would cut into.
fn unmetered_router(storage: std::sync::Arc<linkage_server::sqlite::SqliteStorage>) -> axum::Router {
    let limits = linkage_server::guard::Limits { ops_per_minute: u32::MAX / 2, requests_per_minute: u32::MAX / 2, ..Default::default() };
    linkage_server::api::router_with_config(storage, linkage_server::api::Config { limits, trust_forwarded_for: false, ..Default::default() })
}
