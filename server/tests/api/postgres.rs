//! What only the PostgreSQL backend has to prove (run when `LINKAGE_TEST_DATABASE` names a cluster, as
//! scripts/test.sh's second run does; each test on its own database): the change feed never skips a row that
//! commits late, concurrent writers lose and duplicate nothing, the sweep runs on one server at a time, and a
//! database of an older schema is upgraded in place.

use std::sync::Arc;

use linkage_protocol::sync::OpOutcome;
use linkage_protocol::wire::IssueAction;
use linkage_server::storage::Storage;

use crate::common::{event, report, start};

fn on_postgres() -> bool {
    let pg = linkage_server::storage::testing_postgres();
    if !pg {
        eprintln!("skipped: runs on PostgreSQL only (LINKAGE_TEST_DATABASE)");
    }
    pg
}

/// On PostgreSQL only: a runtime and the fixture county served on it from a database of its own (both kept
/// alive by the caller while the test runs), its storage and the database's URL (`None`: on SQLite, skipped).
fn pg_fixture() -> Option<(tokio::runtime::Runtime, crate::common::TestServer, Arc<dyn Storage>, String)> {
    if !on_postgres() {
        return None;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(start());
    let (storage, url) = (s.storage.clone(), s.database.clone().unwrap());
    Some((rt, s, storage, url))
}

/// A client of the test's database. These tests run on the test's own thread, outside the runtime that
/// serves the HTTP API (the synchronous client blocks on a runtime of its own).
fn client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

/// Every change of the scope after `after`, page by page.
fn pull_all(storage: &dyn Storage, scope: &str, mut after: i64) -> (Vec<(i64, String)>, i64) {
    let mut out = Vec::new();
    loop {
        let (page, more) = storage.changes(scope, after, 50).unwrap();
        for c in &page {
            out.push((c.seq, c.op.op_id.clone()));
        }
        if let Some(last) = page.last() {
            after = last.seq;
        }
        if !more {
            return (out, after);
        }
    }
}

/// [`pull_all`] again until at least `n` rows came (a transaction of another test on the same cluster may hold
/// rows back for a moment: served late, never skipped), for at most 30 s.
fn pull_at_least(storage: &dyn Storage, scope: &str, after: i64, n: usize) -> Vec<(i64, String)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (mut rows, mut cursor) = pull_all(storage, scope, after);
    while rows.len() < n && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let (more, c) = pull_all(storage, scope, cursor);
        rows.extend(more);
        cursor = c;
    }
    rows
}

/// A push that took its feed number first but commits last is served after the rows that committed before
/// it, and the reader's cursor never passes it meanwhile (ADR 0015).
#[test]
fn a_row_that_commits_late_is_served_late_never_skipped() {
    let Some((_rt, _server, storage, url)) = pg_fixture() else { return };
    let (gw2, _) = storage.user_credentials("gw2").unwrap().unwrap();
    let (ts1, _) = storage.user_credentials("ts1").unwrap().unwrap();
    let now = common_now();
    assert_eq!(storage.apply_ops(&ts1, &[report("ts1", "held", "h1")], now).unwrap(), vec![OpOutcome::Applied]);
    let (before, cursor) = pull_all(storage.as_ref(), "/c/", 0);
    assert_eq!(before.len(), 1);

    // Batch A: a new report (its feed row written, so its transaction has its id) then the acceptance of
    // issue `held`, which waits: this test holds the issue's lock as another batch judging it would.
    let mut holder = client(&url);
    holder.execute("SELECT pg_advisory_lock(hashtextextended('held', 1))", &[]).unwrap();
    let early = report("ts1", "early", "h1");
    let accept = event("ts1", "held", IssueAction::Accept);
    let (early_id, accept_id) = (early.op_id.clone(), accept.op_id.clone());
    let a = std::thread::spawn({
        let (storage, ts1) = (storage.clone(), ts1.clone());
        move || storage.apply_ops(&ts1, &[early, accept], now)
    });
    // Wait until A waits on the issue's lock, its report's feed row written.
    let mut watcher = client(&url);
    let a_xid = (0..2_000)
        .find_map(|_| {
            let row = watcher
                .query_opt(
                    "SELECT a.backend_xid::text::bigint FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                     WHERE l.locktype = 'advisory' AND NOT l.granted",
                    &[],
                )
                .unwrap();
            if row.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            row.map(|r| r.get::<_, i64>(0))
        })
        .expect("batch A never waited on the issue's lock");

    // Batch B commits meanwhile (another phone, another township): a later transaction.
    let late = report("gw2", "later", "h2");
    let late_id = late.op_id.clone();
    assert_eq!(storage.apply_ops(&gw2, &[late], now).unwrap(), vec![OpOutcome::Applied]);
    let b_seq: i64 = watcher.query_one("SELECT seq FROM changes WHERE op_id = $1", &[&late_id]).unwrap().get(0);
    assert!(b_seq >> 12 > a_xid, "B's transaction began after A's ({} > {a_xid})", b_seq >> 12);
    // B is committed but A is not: a reader is not served B yet (served, its cursor would pass A's row).
    let (while_a_runs, cursor2) = pull_all(storage.as_ref(), "/c/", cursor);
    assert!(while_a_runs.is_empty(), "a row above an open transaction was served: {while_a_runs:?}");

    // A ends: the reader, from where it stood, gets A's rows and then B's.
    holder.execute("SELECT pg_advisory_unlock(hashtextextended('held', 1))", &[]).unwrap();
    assert_eq!(a.join().unwrap().unwrap(), vec![OpOutcome::Applied, OpOutcome::Applied]);
    let after_a = pull_at_least(storage.as_ref(), "/c/", cursor2, 3);
    let ids: Vec<&str> = after_a.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids, vec![early_id.as_str(), accept_id.as_str(), late_id.as_str()], "A's rows first (its transaction began first), none skipped");
    assert!(after_a.windows(2).all(|w| w[0].0 < w[1].0));
}

fn common_now() -> i64 {
    crate::common::now_ms()
}

/// Eight writers push at once (two servers' worth of phones) while a reader follows the feed: the reader ends
/// with every applied op exactly once, in increasing sequence, and resent batches come back as duplicates.
#[test]
fn concurrent_writers_lose_and_duplicate_nothing_and_the_reader_skips_nothing() {
    let Some((_rt, _server, storage, _)) = pg_fixture() else { return };
    let users: Vec<_> = ["gw1", "gw2", "lh1", "lh2"].iter().map(|u| storage.user_credentials(u).unwrap().unwrap().0).collect();
    let now = common_now();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = std::thread::spawn({
        let (storage, done) = (storage.clone(), done.clone());
        move || {
            let mut seen = Vec::new();
            let mut cursor = 0;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let (page, c) = pull_all(storage.as_ref(), "/c/", cursor);
                cursor = c;
                seen.extend(page);
                if finished {
                    return (seen, cursor);
                }
            }
        }
    });
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let storage = storage.clone();
            let user = users[w % users.len()].clone();
            std::thread::spawn(move || {
                let household = if user.node_path.starts_with("/c/t1/") { "h1" } else { "h2" };
                let mut applied = Vec::new();
                for batch in 0..6 {
                    let ops: Vec<_> = (0..5).map(|i| report(&user.id, &format!("w{w}-b{batch}-{i}"), household)).collect();
                    let outcomes = storage.apply_ops(&user, &ops, now).unwrap();
                    assert!(outcomes.iter().all(|o| *o == OpOutcome::Applied), "{outcomes:?}");
                    // The phone did not hear the answer and sends the batch again.
                    let again = storage.apply_ops(&user, &ops, now).unwrap();
                    assert!(again.iter().all(|o| *o == OpOutcome::Duplicate), "{again:?}");
                    applied.extend(ops.into_iter().map(|o| o.op_id));
                }
                applied
            })
        })
        .collect();
    let mut applied: Vec<String> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut seen, cursor) = reader.join().unwrap();
    seen.extend(pull_at_least(storage.as_ref(), "/c/", cursor, applied.len().saturating_sub(seen.len())));
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "the feed is served in increasing sequence");
    let mut seen_ids: Vec<String> = seen.into_iter().map(|(_, id)| id).collect();
    seen_ids.sort();
    applied.sort();
    assert_eq!(applied.len(), 8 * 6 * 5);
    assert_eq!(seen_ids, applied, "every applied op reached the reader exactly once");
    assert_eq!(storage.counts().unwrap().issues, 240);
}

/// The overdue sweep runs on one server at a time: while another holds the sweep's lock this one skips its
/// round; then it sweeps.
#[test]
fn the_overdue_sweep_runs_on_one_server_at_a_time() {
    let Some((_rt, _server, storage, url)) = pg_fixture() else { return };
    let (gw1, _) = storage.user_credentials("gw1").unwrap().unwrap();
    let now = common_now();
    assert_eq!(storage.apply_ops(&gw1, &[report("gw1", "late-one", "h1")], now).unwrap(), vec![OpOutcome::Applied]);
    let rules = linkage_protocol::rules::sla::SlaRules::china_default();
    let later = now + 40 * 24 * 3_600_000;
    // Another server sweeping: it holds the lock (the same key PgStorage takes).
    let mut other = client(&url);
    let got: bool = other.query_one("SELECT pg_try_advisory_lock(19531, 1)", &[]).unwrap().get(0);
    assert!(got);
    assert_eq!(storage.sweep_overdue(later, &rules).unwrap(), 0, "skipped: another server sweeps");
    other.execute("SELECT pg_advisory_unlock(19531, 1)", &[]).unwrap();
    assert_eq!(storage.sweep_overdue(later, &rules).unwrap(), 1);
    let feed = pull_at_least(storage.as_ref(), "/c/", 0, 2);
    assert_eq!(feed.len(), 2, "the report and the sweep's mark");
}

/// The same op with fresh op and event ids, about issue `issue` (its times and clock kept).
fn twin(op: &linkage_protocol::wire::Operation, issue: &str) -> linkage_protocol::wire::Operation {
    let mut op = op.clone();
    let id = crate::common::uuid();
    op.op_id = id.clone();
    if let linkage_protocol::wire::OpBody::IssueEvent(e) = &mut op.body {
        e.event_id = id;
        e.issue_id = issue.into();
    }
    op
}

/// A batch's events are judged in memory and inserted together at its end (one statement for the events,
/// one upsert per issue): an issue's whole story pushed in a few batches is stored exactly as when each step
/// is its own batch — events in receipt order, the issue's row (state, owner, times, escalation,
/// verifications) alike — and a refused step in the middle of a batch leaves nothing behind.
#[test]
fn a_story_in_one_batch_is_stored_as_step_by_step() {
    use linkage_protocol::model::Satisfaction;
    let Some((_rt, _server, storage, url)) = pg_fixture() else { return };
    let user = |id: &str| storage.user_credentials(id).unwrap().unwrap().0;
    let (ts1, cs, gw1) = (user("ts1"), user("cs"), user("gw1"));
    let now = common_now();
    let batches = vec![
        (
            ts1.clone(),
            vec![
                report("ts1", "story", "h1"),
                event("ts1", "story", IssueAction::Accept),
                // Refused (a township assigns a liaison head): judged in memory, nothing of it stored.
                event("ts1", "story", IssueAction::Assign { assignee_id: "lh1".into() }),
                event("ts1", "story", IssueAction::Escalate { reason: "需县级协调".into(), to_node_id: "c".into() }),
            ],
        ),
        (cs.clone(), vec![event("cs", "story", IssueAction::Assign { assignee_id: "gw1".into() })]),
        (gw1.clone(), vec![event("gw1", "story", IssueAction::Start), event("gw1", "story", IssueAction::Resolve { note: "已送煤".into(), evidence: vec![] })]),
        (cs.clone(), vec![event("cs", "story", IssueAction::Verify { satisfaction: Satisfaction::Satisfied, note: "电话回访".into() })]),
    ];
    let mut batched = Vec::new();
    let mut stepwise = Vec::new();
    for (who, ops) in &batches {
        let outcomes = storage.apply_ops(who, ops, now).unwrap();
        for (op, outcome) in ops.iter().zip(&outcomes) {
            let refused = matches!(&op.body, linkage_protocol::wire::OpBody::IssueEvent(e)
                if matches!(&e.action, IssueAction::Assign { assignee_id } if assignee_id == "lh1"));
            assert_eq!(matches!(outcome, OpOutcome::Applied), !refused, "{outcome:?}");
            if refused {
                continue;
            }
            batched.push(op.op_id.clone());
            // The same step about a twin issue, one op per batch.
            let single = twin(op, "story-twin");
            assert_eq!(storage.apply_ops(who, std::slice::from_ref(&single), now).unwrap(), vec![OpOutcome::Applied]);
            stepwise.push(single.op_id);
        }
    }
    let mut c = client(&url);
    let events = |c: &mut postgres::Client, issue: &str| -> Vec<String> {
        c.query("SELECT event_id FROM issue_events WHERE issue_id = $1 ORDER BY id", &[&issue]).unwrap().iter().map(|r| r.get(0)).collect()
    };
    assert_eq!(events(&mut c, "story"), batched, "receipt order kept within and across batches");
    assert_eq!(events(&mut c, "story-twin"), stepwise);
    let row = |c: &mut postgres::Client, issue: &str| -> String {
        c.query_one(
            "SELECT row(state, owner_node_id, assignee_id, reporter_id, category, urgency, title, reported_at_ms, last_hlc, accepted_at_ms,
                    resolved_at_ms, clock, escalated_at_ms, verifications)::text FROM issues WHERE id = $1",
            &[&issue],
        )
        .unwrap()
        .get(0)
    };
    let (story, twin_row) = (row(&mut c, "story"), row(&mut c, "story-twin"));
    assert_eq!(story, twin_row);
    assert!(story.starts_with("(closed,c,gw1,ts1,"), "{story}");
    let (escalated, verifications): (Option<i64>, String) = {
        let r = c.query_one("SELECT escalated_at_ms, verifications FROM issues WHERE id = 'story'", &[]).unwrap();
        (r.get(0), r.get(1))
    };
    assert!(escalated.is_some());
    assert!(verifications.contains("satisfied"), "{verifications}");
    // Sent again: every op a duplicate, nothing written.
    for (who, ops) in &batches {
        let again = storage.apply_ops(who, ops, now).unwrap();
        assert!(again.iter().all(|o| !matches!(o, OpOutcome::Applied)), "{again:?}");
    }
    assert_eq!(events(&mut c, "story"), batched);
}

/// A database at schema 1 (before the feed's origin) is upgraded when a server opens it: its rows and feed
/// stay, new rows are numbered after them, and the version table records each migration.
#[test]
fn a_schema_1_database_is_upgraded_in_place() {
    if !on_postgres() {
        return;
    }
    let url = linkage_server::postgres::test_database().unwrap();
    {
        let mut c = client(&url);
        linkage_server::postgres::migrate::migrate_to(&mut c, 1).unwrap();
        c.batch_execute(
            "INSERT INTO org_nodes (id, parent_id, level, name, code, path) VALUES ('c', NULL, 'county', '黄龙县', '610631000000', '/c/');
             BEGIN;
             INSERT INTO changes (seq, op_id, body_sha256, user_id, path, broadcast, op_json, received_at_ms)
             SELECT (pg_current_xact_id()::text::bigint << 12), 'old-op', 'x', 'system', '', false, '', 1;
             COMMIT;",
        )
        .unwrap();
        assert_eq!(linkage_server::postgres::migrate::version(&mut c).unwrap(), 1);
    }
    let dir = tempfile::tempdir().unwrap();
    let storage = linkage_server::postgres::PgStorage::open(&url, dir.path()).unwrap();
    assert_eq!(storage.counts().unwrap().nodes, 1, "data kept");
    let old_seq: i64 = {
        let mut c = client(&url);
        assert_eq!(linkage_server::postgres::migrate::version(&mut c).unwrap(), linkage_server::postgres::migrate::MIGRATIONS.len() as i32);
        let names: Vec<String> = c.query("SELECT name FROM schema_migrations ORDER BY version", &[]).unwrap().iter().map(|r| r.get(0)).collect();
        assert_eq!(names[..2], ["001-initial.sql", "002-feed-origin.sql"]);
        c.query_one("SELECT seq FROM changes WHERE op_id = 'old-op'", &[]).unwrap().get(0)
    };
    // New settings go into the feed after the old row.
    let config = linkage_protocol::wire::CountyConfig::default();
    storage.set_county_config(&config, 2).unwrap();
    let changes = pull_at_least(&storage, "/c/", 0, 1);
    assert_eq!(changes.len(), 1);
    assert!(changes[0].0 > old_seq);
    // The head follows once no older transaction (of any database of the cluster) is still open.
    let head = (0..500).map(|_| storage.refresh_feed_head().unwrap()).find(|&h| h == changes[0].0 || {
        std::thread::sleep(std::time::Duration::from_millis(10));
        false
    });
    assert_eq!(head, Some(changes[0].0));
}

/// `linkage-server migrate --to` moves a county's SQLite data to PostgreSQL: the same rows, the same feed with
/// the same numbers (phones keep their cursors), the audit chain intact, accounts that still sign in; new feed
/// rows are numbered after the old ones.
#[test]
fn a_county_moves_from_sqlite_to_postgres_with_its_feed_and_audit_chain() {
    if !on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let now = common_now();
    let summary = {
        let sqlite = linkage_server::sqlite::SqliteStorage::open(dir.path()).unwrap();
        let s = linkage_server::demo::seed(&sqlite, 200, now).unwrap().expect("seeded");
        sqlite.audit(&linkage_server::audit::Event::new("test", linkage_server::audit::Action::Import, "seed", ""), now).unwrap();
        s
    };
    let sqlite = linkage_server::sqlite::SqliteStorage::open(dir.path()).unwrap();
    let url = linkage_server::postgres::test_database().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_linkage-server"))
        .args(["migrate", "--data-dir", dir.path().to_str().unwrap(), "--to", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("changes"), "{}", String::from_utf8_lossy(&out.stdout));
    let pg = linkage_server::postgres::PgStorage::open(&url, dir.path()).unwrap();
    assert_eq!(pg.counts().unwrap(), sqlite.counts().unwrap());
    let county = "/hl/";
    let (a, b) = (sqlite.bundle(county).unwrap(), pg.bundle(county).unwrap());
    assert_eq!((a.nodes, a.households, a.users, a.config), (b.nodes, b.households, b.users, b.config));
    let (old_feed, old_head) = pull_all(&sqlite, county, 0);
    let (new_feed, _) = pull_all(&pg, county, 0);
    assert!(!old_feed.is_empty());
    assert_eq!(new_feed, old_feed, "same rows, same numbers");
    // A phone half-way through the feed goes on from its cursor.
    let (mid_seq, _) = old_feed[old_feed.len() / 2].clone();
    assert_eq!(pull_all(&pg, county, mid_seq).0, pull_all(&sqlite, county, mid_seq).0);
    // The audit chain came with its hashes (plus the migrate command's own row, chained to them).
    let (va, vb) = (sqlite.audit_verify().unwrap(), pg.audit_verify().unwrap());
    assert_eq!((vb.problem, vb.rows), (None, va.rows + 1));
    // Accounts still sign in; their pushes land after the old feed.
    let (user, hash) = pg.user_credentials(&summary.sample_users[2].id).unwrap().unwrap();
    assert!(linkage_server::auth::verify_password(linkage_server::demo::DEMO_PASSWORD, &hash));
    pg.set_county_config(&pg.county_config().unwrap(), now).unwrap();
    let after = pull_at_least(&pg, county, old_head, 1);
    assert_eq!(after.len(), 1);
    assert!(after[0].0 > old_head, "{} > {old_head}", after[0].0);
    let _ = user;
    // A second move into the same (now used) database is refused, naming the county there; nothing changed.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_linkage-server"))
        .args(["migrate", "--data-dir", dir.path().to_str().unwrap(), "--to", &url])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let refusal = String::from_utf8_lossy(&again.stderr);
    assert!(refusal.contains("已存有县黄龙县（hl）的数据") && refusal.contains("一个数据库只容一个县"), "{refusal}");
    assert_eq!(pg.counts().unwrap().changes, sqlite.counts().unwrap().changes + 1);
}

/// A `linkage-server serve` process on a free loopback port, killed when dropped.
struct ServeProcess {
    child: std::process::Child,
    base: String,
}

impl ServeProcess {
    fn start(url: &str, data_dir: &std::path::Path) -> ServeProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_linkage-server"))
            .args(["serve", "--database", url, "--data-dir", data_dir.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = std::io::BufReader::new(stderr).lines();
        let base = loop {
            let line = lines.next().expect("server exited before listening").unwrap();
            if let Some(addr) = line.strip_prefix("linkage-server listening on ") {
                break addr.trim().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        ServeProcess { child, base }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two `serve` processes on one database, four phones pushing to both at once and resending each batch to
/// the other: every op is stored once, each phone's ops reach the feed in the order it pushed them (served
/// alike by both servers).
#[test]
fn two_servers_on_one_database_lose_nothing_duplicate_nothing_and_keep_each_phones_order() {
    use linkage_protocol::sync::{paths, PullResponse, PushRequest, PushResponse, SignInRequest, SignInResponse};
    if !on_postgres() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The fixture county on a database of its own, then two servers over it and one shared blob folder.
    let fixture = rt.block_on(start());
    let url = fixture.database.clone().unwrap();
    let shared = tempfile::tempdir().unwrap();
    let servers = [ServeProcess::start(&url, shared.path()), ServeProcess::start(&url, shared.path())];
    assert_ne!(servers[0].base, servers[1].base);
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let http = reqwest::Client::new();
    let phones = ["gw1", "gw2", "lh1", "lh2"];
    let pushed: Vec<(String, Vec<String>)> = rt.block_on(async {
        let tasks: Vec<_> = phones
            .iter()
            .enumerate()
            .map(|(p, user)| {
                let (http, bases, user) = (http.clone(), bases.clone(), user.to_string());
                tokio::spawn(async move {
                    let mut tokens = Vec::new();
                    for (i, base) in bases.iter().enumerate() {
                        let req = SignInRequest {
                            user_id: user.clone(),
                            password: crate::common::PASSWORD.into(),
                            device_id: format!("dev-{user}-{i}"),
                            device_name: "测试机".into(),
                            device_secret: String::new(),
                        };
                        let r = http.post(format!("{base}{}", paths::SIGN_IN)).json(&req).send().await.unwrap();
                        assert_eq!(r.status(), 200);
                        tokens.push(r.json::<SignInResponse>().await.unwrap().token);
                    }
                    let household = if user.ends_with('1') { "h1" } else { "h2" };
                    let mut order = Vec::new();
                    for batch in 0..8 {
                        let ops: Vec<_> = (0..5).map(|i| report(&user, &format!("{user}-{batch}-{i}"), household)).collect();
                        let (first, second) = ((p + batch) % 2, (p + batch + 1) % 2);
                        let push = |server: usize, ops: Vec<linkage_protocol::wire::Operation>| {
                            let (http, base, token) = (http.clone(), bases[server].clone(), tokens[server].clone());
                            async move {
                                let r = http.post(format!("{base}{}", paths::PUSH)).bearer_auth(token).json(&PushRequest { ops }).send().await.unwrap();
                                assert_eq!(r.status(), 200);
                                r.json::<PushResponse>().await.unwrap()
                            }
                        };
                        let answer = push(first, ops.clone()).await;
                        assert!(answer.results.iter().all(|r| r.outcome == OpOutcome::Applied), "{answer:?}");
                        // The answer was lost: the phone sends the batch again, this time to the other server.
                        let again = push(second, ops.clone()).await;
                        assert!(again.results.iter().all(|r| r.outcome == OpOutcome::Duplicate), "{again:?}");
                        order.extend(ops.into_iter().map(|o| o.op_id));
                    }
                    (user, order)
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    // The county's whole feed, from each server.
    let cs_feed = |server: usize| {
        let (http, base) = (http.clone(), bases[server].clone());
        async move {
            let req = SignInRequest { user_id: "cs".into(), password: crate::common::PASSWORD.into(), device_id: format!("dev-cs-{server}"), device_name: "县".into(), device_secret: String::new() };
            let token = http.post(format!("{base}{}", paths::SIGN_IN)).json(&req).send().await.unwrap().json::<SignInResponse>().await.unwrap().token;
            let mut after = 0;
            let mut ids = Vec::new();
            loop {
                let page: PullResponse = http
                    .get(format!("{base}{}?after={after}&limit=100", paths::PULL))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                ids.extend(page.changes.iter().map(|c| c.op.op_id.clone()));
                after = page.changes.last().map_or(after, |c| c.seq);
                if !page.has_more {
                    return ids;
                }
            }
        }
    };
    // (Another test's transaction on the cluster may hold rows back for a moment: served late, never skipped.)
    let (feed_a, feed_b) = rt.block_on(async {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let feeds = (cs_feed(0).await, cs_feed(1).await);
            if (feeds.0.len() >= 160 && feeds.1.len() >= 160) || std::time::Instant::now() >= deadline {
                return feeds;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    });
    assert_eq!(feed_a, feed_b, "both servers serve one feed");
    assert_eq!(feed_a.len(), 4 * 8 * 5, "every op once");
    for (user, order) in &pushed {
        let served: Vec<&String> = feed_a.iter().filter(|id| order.contains(id)).collect();
        assert_eq!(served, order.iter().collect::<Vec<_>>(), "{user}: receipt order kept");
    }
    assert_eq!(fixture.storage.counts().unwrap().issues, 160);
    drop(servers);
}
