//! Enrolment benchmark (issue item 5; a bench binary, not a timed test): a county staff phone enrols against
//! the demo county (20,000 households with the demo's issue and visit history) on loopback — the scope's
//! bundle downloaded and stored with progress (households stored; the feed's first page asked for beside the
//! bundle and applied after it), then the first sync pulling the rest of the history —
//! timed against a raw bulk insert of the same rows (nodes, households, users and every pulled change as one
//! row each, rusqlite, one transaction, WAL + synchronous=FULL) in the same run. The phone's store is
//! SQLCipher (ADR 0005) and so is the reference the goal's ratio is taken against: the same bulk insert into
//! a SQLCipher file keyed as the store is (a raw 256-bit key, no key derivation), so both pay the same page
//! encryption. The ratio against the same insert into a plain file is printed beside it for comparison
//! (`LINKAGE_BENCH_PLAIN=1`: the phone's store plain too). The sign-in before it
//! (the server's argon2id password check, slow on purpose and the same for a phone of one household) is
//! timed apart and reported, not counted in the ratio. Prints each round with its parts (sign-in; bundle
//! download until the first progress report; storing; first sync), the median ratio (goal <= 2x), the bytes
//! on the wire both ways (counted by a TCP relay between phone and server) and how often the progress was
//! reported. The phone runs the sync engine's own enrolment steps (`sync::sign_in_device`,
//! `sync::download_scope`, `sync::run`) on a store of its own, as `FieldApp::connect` and `sync` do.
//!
//! `cargo bench -p integration-tests --bench enrol` (`LINKAGE_BENCH_HOUSEHOLDS=2000` for a quick run).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use linkage_core::clock::SystemClock;
use linkage_core::store::Store;
use linkage_core::sync::{SyncLimits, SyncObserver, SyncPhase};
use linkage_protocol::sync::{paths, PullResponse, SignInRequest, SignInResponse};
use linkage_protocol::wire::Bundle;
use linkage_server::demo;
use linkage_server::sqlite::SqliteStorage;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Rounds (`LINKAGE_BENCH_ROUNDS`, default 3); the medians are reported.
fn rounds() -> usize {
    std::env::var("LINKAGE_BENCH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3).max(1)
}

/// Bytes relayed phone → server and server → phone.
#[derive(Default)]
struct Wire {
    up: AtomicU64,
    down: AtomicU64,
}

/// A TCP relay in front of `upstream` that counts the bytes each way.
async fn relay(upstream: std::net::SocketAddr, wire: Arc<Wire>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let wire = wire.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { return };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let w = wire.clone();
                let up = tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 || sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        w.up.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    let _ = sw.shutdown().await;
                });
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = sr.read(&mut buf).await {
                    if n == 0 || cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    wire.down.fetch_add(n as u64, Ordering::Relaxed);
                }
                let _ = cw.shutdown().await;
                let _ = up.await;
            });
        }
    });
    url
}

/// The last households-stored report, how many reports there were, and when the first came (the bundle is
/// downloaded and parsed by then).
struct Progress(Mutex<(u64, u64, u32, Option<Instant>)>);

impl SyncObserver for Progress {
    fn on_progress(&self, phase: SyncPhase, done: u64, total: u64) -> Result<(), linkage_core::sync::CallbackError> {
        if phase == SyncPhase::Households {
            let mut p = self.0.lock().unwrap();
            *p = (done, total, p.2 + 1, p.3.or(Some(Instant::now())));
        }
        Ok(())
    }
}

/// The store's key in this benchmark, and the same key as SQLCipher's raw-key literal for the raw reference.
const KEY: [u8; 32] = [0x42; 32];

/// The same rows as bare rusqlite inserts in one transaction (no rules, no indexes but the keys, no change
/// feed bookkeeping): the floor an enrolment could reach on this disk. `keyed`: a SQLCipher file under the
/// store's key ([`KEY`], keyed as the store keys its file), else a plain file.
fn raw_insert(path: &std::path::Path, bundle: &Bundle, changes: &[String], keyed: bool) -> Duration {
    let started = Instant::now();
    let mut conn = rusqlite::Connection::open(path).unwrap();
    if keyed {
        let hex: String = KEY.iter().map(|b| format!("{b:02X}")).collect();
        conn.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";")).unwrap();
    }
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE nodes (id TEXT PRIMARY KEY, parent_id TEXT, level TEXT, name TEXT, code TEXT, boundary TEXT);
         CREATE TABLE households (id TEXT PRIMARY KEY, group_id TEXT, head_name TEXT, members INTEGER, phone TEXT, id_number TEXT,
           address TEXT, lat REAL, lon REAL, tags TEXT, risk_level TEXT, county_contact INTEGER);
         CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT, role TEXT, node_id TEXT);
         CREATE TABLE changes (seq INTEGER PRIMARY KEY, op_json TEXT);",
    )
    .unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut n = tx.prepare("INSERT INTO nodes VALUES (?1, ?2, ?3, ?4, ?5, ?6)").unwrap();
        for node in &bundle.nodes {
            let boundary = serde_json::to_string(&node.boundary).unwrap();
            n.execute(rusqlite::params![node.id, node.parent_id, format!("{:?}", node.level), node.name, node.code, boundary]).unwrap();
        }
        let mut h = tx.prepare("INSERT INTO households VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)").unwrap();
        for x in &bundle.households {
            h.execute(rusqlite::params![
                x.id,
                x.group_id,
                x.head_name,
                x.members,
                x.phone,
                x.id_number,
                x.address,
                x.lat,
                x.lon,
                serde_json::to_string(&x.tags).unwrap(),
                format!("{:?}", x.risk_level),
                x.county_contact
            ])
            .unwrap();
        }
        let mut u = tx.prepare("INSERT INTO users VALUES (?1, ?2, ?3, ?4)").unwrap();
        for x in &bundle.users {
            u.execute(rusqlite::params![x.id, x.name, format!("{:?}", x.role), x.node_id]).unwrap();
        }
        let mut c = tx.prepare("INSERT INTO changes (op_json) VALUES (?1)").unwrap();
        for op in changes {
            c.execute([op]).unwrap();
        }
    }
    tx.commit().unwrap();
    started.elapsed()
}

fn main() {
    let households: u32 = std::env::var("LINKAGE_BENCH_HOUSEHOLDS").ok().and_then(|s| s.parse().ok()).unwrap_or(demo::DEFAULT_HOUSEHOLDS);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open(&dir.path().join("server")).unwrap());
    let seeded = demo::seed(storage.as_ref(), households, chrono_now()).unwrap().unwrap();
    let wire = Arc::new(Wire::default());
    let url = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = unmetered_router(storage.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        relay(addr, wire.clone()).await
    });
    println!("enrolment benchmark: county staff cs1 enrols on the demo county ({households} households, {} ops of history), loopback", seeded.ops_applied);

    // What the phone receives, fetched once (untimed) for the raw reference: the bundle and every change.
    let (bundle, changes) = rt.block_on(async {
        let http = reqwest::Client::new();
        let req = SignInRequest { user_id: "cs1".into(), password: demo::DEMO_PASSWORD.into(), device_id: "bench-raw".into(), device_name: String::new(), device_secret: String::new() };
        let token = http.post(format!("{url}{}", paths::SIGN_IN)).json(&req).send().await.unwrap().json::<SignInResponse>().await.unwrap().token;
        let bundle: Bundle = http.get(format!("{url}{}", paths::BUNDLE)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let mut changes = Vec::new();
        let mut cursor = 0;
        loop {
            let page: PullResponse = http
                .get(format!("{url}{}?after={cursor}&limit=1000", paths::PULL))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            changes.extend(page.changes.iter().map(|c| serde_json::to_string(&c.op).unwrap()));
            cursor = page.next_cursor;
            if !page.has_more {
                break;
            }
        }
        (bundle, changes)
    });

    // The phone's store is SQLCipher (ADR 0005); LINKAGE_BENCH_PLAIN=1 measures a plain store for comparison.
    let plain = std::env::var("LINKAGE_BENCH_PLAIN").is_ok_and(|v| v == "1");
    println!("phone store: {}", if plain { "plain SQLite (LINKAGE_BENCH_PLAIN=1)" } else { "SQLCipher, raw 256-bit key (as on the phone)" });
    let mut ratios = Vec::new();
    let mut plain_ratios = Vec::new();
    let mut with_sign_in = Vec::new();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for round in 1..=rounds() {
        let raw_keyed = raw_insert(&dir.path().join(format!("raw-keyed-{round}.db")), &bundle, &changes, true);
        let raw_plain = raw_insert(&dir.path().join(format!("raw-plain-{round}.db")), &bundle, &changes, false);
        // The goal's reference: the raw insert into the same kind of file as the phone's store.
        let raw = if plain { raw_plain } else { raw_keyed };
        let phone_dir = dir.path().join(format!("phone-{round}"));
        std::fs::create_dir_all(&phone_dir).unwrap();
        let path = phone_dir.join("linkage.db");
        let store = if plain {
            Store::open(&path, Arc::new(SystemClock)).unwrap()
        } else {
            let key = linkage_core::store::cipher::StoreKey::from_bytes(&KEY).unwrap();
            Store::open_encrypted(&path, &key, Arc::new(SystemClock)).unwrap()
        };
        let store = Mutex::new(store);
        let limits = SyncLimits::default();
        let progress = Arc::new(Progress(Mutex::new((0, 0, 0, None))));
        // Sign-in: timed apart (the server's password hash check), not part of the ratio.
        let started = Instant::now();
        let signed = rt
            .block_on(linkage_core::sync::sign_in_device(&store, &url, "cs1", demo::DEMO_PASSWORD, None, limits.retry))
            .unwrap();
        let sign_in = started.elapsed();
        wire.up.store(0, Ordering::Relaxed);
        wire.down.store(0, Ordering::Relaxed);
        // Timed: the scope downloaded and stored, then the first sync pulling the history.
        let started = Instant::now();
        rt.block_on(linkage_core::sync::download_scope(&store, signed, Some(progress.as_ref()))).unwrap();
        let scope = started.elapsed();
        let pulled = rt.block_on(linkage_core::sync::run(&store, None, limits)).unwrap().pulled;
        let ours = started.elapsed();
        let (done, total, reports, first) = *progress.0.lock().unwrap();
        let download = first.map_or(Duration::ZERO, |t| t - started);
        let ratio = ours.as_secs_f64() / raw.as_secs_f64();
        let plain_ratio = ours.as_secs_f64() / raw_plain.as_secs_f64();
        println!(
            "  round {round}: ours {:.0} ms = bundle download+parse {:.0} + storing {:.0} ({done}/{total} households, {reports} progress reports) \
             + first sync {:.0} ({pulled} changes pulled, {} with the bundle); sign-in before it {:.0} ms (not counted) \
             vs raw bulk insert {:.0} ms{}: ratio {ratio:.2} ({:.2} with the sign-in; vs the raw insert into a plain file \
             {:.0} ms: {plain_ratio:.2}); wire down {:.1} KiB, up {:.1} KiB",
            ms(ours),
            ms(download),
            ms(scope - download),
            ms(ours - scope),
            changes.len() as u64 - u64::from(pulled),
            ms(sign_in),
            ms(raw),
            if plain { " (plain file)" } else { " (SQLCipher file, same key)" },
            (ours + sign_in).as_secs_f64() / raw.as_secs_f64(),
            ms(raw_plain),
            wire.down.load(Ordering::Relaxed) as f64 / 1024.0,
            wire.up.load(Ordering::Relaxed) as f64 / 1024.0
        );
        ratios.push(ratio);
        plain_ratios.push(plain_ratio);
        with_sign_in.push((ours + sign_in).as_secs_f64() / raw.as_secs_f64());
    }
    with_sign_in.sort_by(f64::total_cmp);
    ratios.sort_by(f64::total_cmp);
    plain_ratios.sort_by(f64::total_cmp);
    println!(
        "median ratio enrolment (download + store + first sync) / raw bulk insert of the same rows into {}: {:.2} (goal <= 2; \
         {:.2} with the sign-in; {:.2} against the raw insert into a plain file); rows: {} nodes, {} households, {} users, {} changes",
        if plain { "a plain file" } else { "a SQLCipher file under the same key" },
        ratios[ratios.len() / 2],
        with_sign_in[with_sign_in.len() / 2],
        plain_ratios[plain_ratios.len() / 2],
        bundle.nodes.len(),
        bundle.households.len(),
        bundle.users.len(),
        changes.len()
    );
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// The server's router without the per-device work cap: the benchmark measures sync throughput, which the cap
/// (10,000 ops and 600 requests per device per minute) would cut into.
fn unmetered_router(storage: std::sync::Arc<linkage_server::sqlite::SqliteStorage>) -> axum::Router {
    let limits = linkage_server::guard::Limits { ops_per_minute: u32::MAX / 2, requests_per_minute: u32::MAX / 2, ..Default::default() };
    linkage_server::api::router_with_config(storage, linkage_server::api::Config { limits, trust_forwarded_for: false, ..Default::default() })
}
