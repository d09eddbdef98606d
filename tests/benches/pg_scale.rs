//! PostgreSQL scale benchmark (issue #16, point 4; a bench binary, not a timed test): a province of
//! counties (20,000 households each: 1,000,000 households make 50 counties) with two issues per household and
//! their history, laid out as ADR 0015 deploys it — **one database per county on one cluster** — and seeded
//! with `COPY` (fast; each county one transaction), then measured on the real backend:
//!
//! 1. **push** — ops judged and stored through the server's rules (`Storage::apply_ops`, batches of 100 as a
//!    phone pushes: a grid worker's reports, then the township accepting them) into the first county's
//!    database, against a raw insert loop of the same rows in the same run (each op's feed row and issue event
//!    row, plain prepared `INSERT`s, one transaction per batch of the same size, into tables with the same
//!    indexes). Median of rounds; the ratio is rules ÷ raw (goal ≥ 0.5).
//! 2. **feed** — a township's whole feed pulled through `Storage::changes` in pages of 500 (what
//!    `GET /v1/changes` reads), timed.
//! 3. **measures** — `measures::compute` for one county, and for every county of the province in turn.
//!
//! ```sh
//! cargo bench -p integration-tests --bench pg_scale -- --database postgres://…/NAME [--scale 100000]
//!     [--resume-from seed|push|feed|measures]
//! ```
//! County `cNN` lives in the database `NAME_cNN` of the cluster `--database` names (created if missing; the
//! connection to NAME creates them). `scripts/bench-postgres.sh [--scale N]` runs it on a throwaway durable
//! cluster. `--resume-from seed` continues a seeding that stopped (counties already seeded are kept); `push`,
//! `feed`, `measures` skip the seeding and start at that step on databases seeded before.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use linkage_protocol::hlc::Hlc;
use linkage_protocol::model::{GpsFix, IssueCategory, OrgLevel, Role, Satisfaction, Urgency};
use linkage_protocol::rules::lifecycle::IssueProjection;
use linkage_protocol::rules::scope;
use linkage_protocol::sync::OpOutcome;
use linkage_protocol::wire::{IssueAction, IssueEvent, IssueReport, OpBody, Operation};
use linkage_server::apply::UserInfo;
use linkage_server::demo::Rng;
use linkage_server::measures::{self, DateRange, MeasuresPolicy};
use linkage_server::storage::Storage;

/// Households per county (the demo county's size).
const COUNTY_HOUSEHOLDS: u32 = 20_000;
const TOWNSHIPS: usize = 8;
const BRANCHES_PER_TOWNSHIP: usize = 8;
const GROUPS_PER_BRANCH: usize = 6;
/// Issues per household.
const ISSUES_PER_HOUSEHOLD: u32 = 2;
/// Ops per push batch, batches per round (half reports, half accepts), rounds.
const BATCH: usize = 100;
const BATCHES: usize = 20;
const ROUNDS: usize = 5;
const DAY_MS: i64 = 24 * 3600 * 1000;
const PASSWORD: &str = "linkage2026";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Seed,
    Push,
    Feed,
    Measures,
}

struct Args {
    database: String,
    scale: u32,
    resume_from: Option<Step>,
    data_dir: PathBuf,
}

fn args() -> Args {
    let mut database = std::env::var("LINKAGE_BENCH_DATABASE").ok();
    let mut scale = 100_000;
    let mut resume_from = None;
    let mut data_dir = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--database" => database = it.next(),
            "--scale" => scale = it.next().and_then(|s| s.parse().ok()).expect("--scale N (households)"),
            "--data-dir" => data_dir = it.next().map(PathBuf::from),
            "--resume-from" => {
                resume_from = Some(match it.next().as_deref() {
                    Some("seed") => Step::Seed,
                    Some("push") => Step::Push,
                    Some("feed") => Step::Feed,
                    Some("measures") => Step::Measures,
                    other => panic!("--resume-from seed|push|feed|measures, not {other:?}"),
                })
            }
            "--bench" => {} // cargo bench passes it
            other => panic!("unknown argument {other}"),
        }
    }
    let Some(database) = database else {
        eprintln!("pg_scale: needs --database postgres://… (or LINKAGE_BENCH_DATABASE); scripts/bench-postgres.sh starts a cluster");
        std::process::exit(2);
    };
    let data_dir = data_dir.unwrap_or_else(|| std::env::temp_dir().join("linkage-pg-scale"));
    Args { database, scale, resume_from, data_dir }
}

/// The province's shape at a scale.
#[derive(Debug, Clone, Copy)]
struct Province {
    counties: usize,
    households_per_county: u32,
}

impl Province {
    fn at(scale: u32) -> Province {
        let counties = (scale / COUNTY_HOUSEHOLDS).max(1) as usize;
        Province { counties, households_per_county: scale / counties as u32 }
    }
}

fn county_id(c: usize) -> String {
    format!("c{:02}", c + 1)
}

fn enum_text<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v).expect("serializable") {
        serde_json::Value::String(s) => s,
        other => panic!("not a unit enum: {other}"),
    }
}

/// One `COPY … FROM STDIN` text-format table being filled.
struct CopyRows {
    table: &'static str,
    columns: &'static str,
    buf: Vec<u8>,
    rows: u64,
}

/// A column value for [`CopyRows::row`].
enum V<'a> {
    S(&'a str),
    I(i64),
    F(f64),
    B(bool),
    Null,
}

impl CopyRows {
    fn new(table: &'static str, columns: &'static str) -> CopyRows {
        CopyRows { table, columns, buf: Vec::new(), rows: 0 }
    }

    fn row(&mut self, values: &[V<'_>]) {
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.buf.push(b'\t');
            }
            match v {
                V::S(s) => {
                    for b in s.bytes() {
                        match b {
                            b'\\' => self.buf.extend_from_slice(b"\\\\"),
                            b'\t' => self.buf.extend_from_slice(b"\\t"),
                            b'\n' => self.buf.extend_from_slice(b"\\n"),
                            b'\r' => self.buf.extend_from_slice(b"\\r"),
                            _ => self.buf.push(b),
                        }
                    }
                }
                V::I(n) => write!(self.buf, "{n}").expect("in memory"),
                V::F(f) => write!(self.buf, "{f}").expect("in memory"),
                V::B(b) => self.buf.push(if *b { b't' } else { b'f' }),
                V::Null => self.buf.extend_from_slice(b"\\N"),
            }
        }
        self.buf.push(b'\n');
        self.rows += 1;
    }

    fn send(self, tx: &mut postgres::Transaction<'_>) -> u64 {
        let mut w = tx.copy_in(&format!("COPY {} ({}) FROM STDIN", self.table, self.columns)).expect("COPY");
        w.write_all(&self.buf).expect("COPY rows");
        w.finish().expect("COPY end");
        self.rows
    }
}

/// A county's places and staff.
struct CountyPlan {
    id: String,
    path: String,
    townships: Vec<(String, String, UserInfo)>,
    /// (branch id, path, grid worker, township index)
    branches: Vec<(String, String, UserInfo, usize)>,
    /// (group id, path, liaison head, branch index)
    groups: Vec<(String, String, UserInfo, usize)>,
    county_user: UserInfo,
}

fn user(id: String, role: Role, node_id: &str, path: &str, level: OrgLevel) -> UserInfo {
    UserInfo { name: format!("测试{id}"), id, role, node_id: node_id.to_string(), node_path: path.to_string(), node_level: level }
}

fn plan(c: usize) -> CountyPlan {
    let id = county_id(c);
    let path = scope::child_path("/", &id);
    let county_user = user(format!("{id}-cs"), Role::CountyStaff, &id, &path, OrgLevel::County);
    let (mut townships, mut branches, mut groups) = (Vec::new(), Vec::new(), Vec::new());
    for t in 0..TOWNSHIPS {
        let tid = format!("{id}-t{}", t + 1);
        let tpath = scope::child_path(&path, &tid);
        let tuser = user(format!("{id}-ts{}", t + 1), Role::TownshipStaff, &tid, &tpath, OrgLevel::Township);
        townships.push((tid.clone(), tpath.clone(), tuser));
        for b in 0..BRANCHES_PER_TOWNSHIP {
            let bid = format!("{tid}-b{}", b + 1);
            let bpath = scope::child_path(&tpath, &bid);
            let gw = user(format!("{id}-gw{}-{}", t + 1, b + 1), Role::GridWorker, &bid, &bpath, OrgLevel::Branch);
            for g in 0..GROUPS_PER_BRANCH {
                let gid = format!("{bid}-g{}", g + 1);
                let gpath = scope::child_path(&bpath, &gid);
                let lh = user(format!("{id}-lh{}-{}-{}", t + 1, b + 1, g + 1), Role::LiaisonHead, &gid, &gpath, OrgLevel::Group);
                groups.push((gid, gpath, lh, branches.len()));
            }
            branches.push((bid, bpath, gw, t));
        }
    }
    CountyPlan { id, path, townships, branches, groups, county_user }
}

fn uuid(rng: &mut Rng, at_ms: i64) -> String {
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    random[8..].copy_from_slice(&rng.next_u64().to_le_bytes()[..2]);
    uuid::Builder::from_unix_timestamp_millis(at_ms.max(0) as u64, &random).into_uuid().to_string()
}

fn event(rng: &mut Rng, actor: &UserInfo, issue_id: &str, at_ms: i64, action: IssueAction) -> IssueEvent {
    IssueEvent {
        event_id: uuid(rng, at_ms),
        issue_id: issue_id.to_string(),
        actor_id: actor.id.clone(),
        actor_role: actor.role,
        actor_node_id: actor.node_id.clone(),
        actor_name: Some(actor.name.clone()),
        hlc: Hlc { wall_ms: at_ms, counter: 0 }.encode("bench"),
        at_ms,
        action,
    }
}

const CATEGORIES: [(IssueCategory, &str); 5] = [
    (IssueCategory::Infrastructure, "村道塌方需修复"),
    (IssueCategory::Dispute, "宅基地边界纠纷"),
    (IssueCategory::LivelihoodAid, "冬季取暖困难"),
    (IssueCategory::SafetyHazard, "危房漏雨"),
    (IssueCategory::Sanitation, "垃圾清运不及时"),
];

fn report(rng: &mut Rng, reporter: &UserInfo, group_id: &str, hid: &str, hpath: &str, owner: &str, at: i64) -> IssueReport {
    let (category, title) = CATEGORIES[rng.below(CATEGORIES.len())];
    IssueReport {
        category,
        urgency: if rng.chance(0.1) { Urgency::Urgent } else { Urgency::Normal },
        title: title.to_string(),
        description: format!("{}反映：{title}，请尽快处理。", reporter.name),
        node_id: group_id.to_string(),
        path: hpath.to_string(),
        household_id: Some(hid.to_string()),
        owner_node_id: owner.to_string(),
        location: Some(GpsFix { lat: 35.5, lon: 109.8, accuracy_m: 12.0, fix_time_ms: at, mocked: false }),
        evidence: Vec::new(),
    }
}

/// Seeds one county in one transaction. `seq`, `event_id`: the next feed number and event row id.
fn seed_county(client: &mut postgres::Client, c: usize, p: Province, password_hash: &str, now_ms: i64, seq: &mut i64, event_row: &mut i64) -> u64 {
    let cp = plan(c);
    let mut rng = Rng::new(0x5CA1E ^ ((c as u64) << 20));
    let mut nodes = CopyRows::new("org_nodes", "id, parent_id, level, name, code, path");
    let mut users = CopyRows::new("users", "id, name, role, node_id, password_hash");
    let level = |l: OrgLevel| enum_text(&l);
    nodes.row(&[V::S(&cp.id), V::Null, V::S(&level(OrgLevel::County)), V::S(&format!("测试{}县", c + 1)), V::S(&format!("61{:04}000000", c + 1)), V::S(&cp.path)]);
    let put_user = |users: &mut CopyRows, u: &UserInfo| {
        users.row(&[V::S(&u.id), V::S(&u.name), V::S(&enum_text(&u.role)), V::S(&u.node_id), V::S(password_hash)]);
    };
    put_user(&mut users, &cp.county_user);
    for (i, (tid, tpath, tu)) in cp.townships.iter().enumerate() {
        nodes.row(&[V::S(tid), V::S(&cp.id), V::S(&level(OrgLevel::Township)), V::S(&format!("第{}镇", i + 1)), V::S(&format!("{tid}-code")), V::S(tpath)]);
        put_user(&mut users, tu);
    }
    for (i, (bid, bpath, gw, t)) in cp.branches.iter().enumerate() {
        nodes.row(&[V::S(bid), V::S(&cp.townships[*t].0), V::S(&level(OrgLevel::Branch)), V::S(&format!("第{}村", i + 1)), V::S(&format!("{bid}-code")), V::S(bpath)]);
        put_user(&mut users, gw);
    }
    for (i, (gid, gpath, lh, b)) in cp.groups.iter().enumerate() {
        nodes.row(&[V::S(gid), V::S(&cp.branches[*b].0), V::S(&level(OrgLevel::Group)), V::S(&format!("第{}组", i % GROUPS_PER_BRANCH + 1)), V::S(&format!("{gid}-code")), V::S(gpath)]);
        put_user(&mut users, lh);
    }
    let mut households = CopyRows::new("households", "id, group_id, path, head_name, members, phone, id_number, address, lat, lon, tags, risk_level, county_contact");
    let mut events = CopyRows::new("issue_events", "id, event_id, issue_id, hlc, at_ms, actor_id, action, body, received_at_ms");
    let mut issues = CopyRows::new(
        "issues",
        "id, path, state, owner_node_id, assignee_id, reporter_id, category, urgency, title, reported_at_ms, last_hlc, accepted_at_ms, resolved_at_ms, clock, escalated_at_ms, verifications",
    );
    let mut changes = CopyRows::new("changes", "seq, op_id, body_sha256, user_id, path, broadcast, op_json, received_at_ms");
    for k in 0..p.households_per_county as usize {
        let gi = k % cp.groups.len();
        let (gid, gpath, lh, bi) = &cp.groups[gi];
        let (_, _, gw, ti) = &cp.branches[*bi];
        let (tid, _, ts) = &cp.townships[*ti];
        let hid = format!("{}-h{:06}", cp.id, k + 1);
        let hpath = scope::child_path(gpath, &hid);
        households.row(&[
            V::S(&hid),
            V::S(gid),
            V::S(&hpath),
            V::S("测试户主"),
            V::I(1 + rng.below(6) as i64),
            V::S("13300000000"),
            V::Null,
            V::S(&format!("测试地址{}号", k + 1)),
            V::F(35.5),
            V::F(109.8),
            V::S("[]"),
            V::S("low"),
            V::B(false),
        ]);
        for _ in 0..ISSUES_PER_HOUSEHOLD {
            let mut at = now_ms - DAY_MS * (1 + rng.below(90) as i64);
            let issue_id = uuid(&mut rng, at);
            let reporter = if rng.chance(0.6) { lh } else { gw };
            let r = report(&mut rng, reporter, gid, &hid, &hpath, tid, at);
            let first = event(&mut rng, reporter, &issue_id, at, IssueAction::Report(r));
            let IssueAction::Report(r) = &first.action else { unreachable!() };
            let mut projection = IssueProjection::from_report(&first, r);
            let mut story = vec![first];
            let next = |rng: &mut Rng, at: &mut i64, p: f64| {
                *at += 3_600_000 * (2 + rng.below(70) as i64);
                *at < now_ms - 60_000 && rng.chance(p)
            };
            if next(&mut rng, &mut at, 0.85) {
                story.push(event(&mut rng, ts, &issue_id, at, IssueAction::Accept));
                if next(&mut rng, &mut at, 0.85) {
                    story.push(event(&mut rng, ts, &issue_id, at, IssueAction::Assign { assignee_id: gw.id.clone() }));
                    if next(&mut rng, &mut at, 0.8) {
                        story.push(event(&mut rng, gw, &issue_id, at, IssueAction::Start));
                        if next(&mut rng, &mut at, 0.8) {
                            story.push(event(&mut rng, gw, &issue_id, at, IssueAction::Resolve { note: "已现场处置完毕".into(), evidence: Vec::new() }));
                            if next(&mut rng, &mut at, 0.8) {
                                let satisfaction = if rng.chance(0.85) { Satisfaction::Satisfied } else { Satisfaction::Dissatisfied };
                                story.push(event(&mut rng, ts, &issue_id, at, IssueAction::Verify { satisfaction, note: "电话回访".into() }));
                            }
                        }
                    }
                }
            }
            let mut verifications = Vec::new();
            for (i, e) in story.iter().enumerate() {
                if i > 0 {
                    projection.apply(e).unwrap_or_else(|err| panic!("seeded history does not fold: {err}"));
                }
                if let IssueAction::Verify { satisfaction, .. } = &e.action {
                    verifications.push(serde_json::json!([e.at_ms, enum_text(satisfaction)]));
                }
                let body = serde_json::to_string(e).expect("json");
                events.row(&[
                    V::I(*event_row),
                    V::S(&e.event_id),
                    V::S(&issue_id),
                    V::S(&e.hlc),
                    V::I(e.at_ms),
                    V::S(&e.actor_id),
                    V::S(&enum_text(&e.action.kind())),
                    V::S(&body),
                    V::I(e.at_ms),
                ]);
                *event_row += 1;
                let op = Operation { op_id: uuid(&mut rng, e.at_ms), hlc: e.hlc.clone(), body: OpBody::IssueEvent(e.clone()) };
                let op_json = serde_json::to_string(&op).expect("json");
                // body_sha256 '' = the row's op_json is the op exactly as sent (as the rules store it).
                changes.row(&[V::I(*seq), V::S(&op.op_id), V::S(""), V::S(&e.actor_id), V::S(&projection.path), V::B(false), V::S(&op_json), V::I(e.at_ms)]);
                *seq += 1;
            }
            let clock = linkage_server::sqlite::ClockInputs { suspensions: projection.suspensions.clone(), extensions_days: projection.extensions_days.clone() };
            issues.row(&[
                V::S(&projection.id),
                V::S(&projection.path),
                V::S(projection.state.as_str()),
                V::S(&projection.owner_node_id),
                projection.assignee_id.as_deref().map_or(V::Null, V::S),
                V::S(&projection.reporter_id),
                V::S(&enum_text(&projection.category)),
                V::S(&enum_text(&projection.urgency)),
                V::S(&projection.title),
                V::I(projection.reported_at_ms),
                V::S(&projection.last_hlc),
                projection.accepted_at_ms.map_or(V::Null, V::I),
                projection.resolved_at_ms.map_or(V::Null, V::I),
                V::S(&serde_json::to_string(&clock).expect("json")),
                V::Null,
                V::S(&serde_json::Value::Array(verifications).to_string()),
            ]);
        }
    }
    let mut tx = client.transaction().expect("begin");
    let mut rows = 0;
    for table in [nodes, users, households, issues, events, changes] {
        rows += table.send(&mut tx);
    }
    tx.commit().expect("commit county");
    rows
}

/// The URL of county `c`'s database: the `--database` URL with `_cNN` appended to its database name.
fn county_url(base: &str, c: usize) -> String {
    let (url, query) = base.split_once('?').map_or((base, None), |(u, q)| (u, Some(q)));
    let (server, name) = url.rsplit_once('/').expect("postgres://…/database");
    let name = if name.is_empty() { "postgres" } else { name };
    let mut out = format!("{server}/{name}_{}", county_id(c));
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The database name in a URL made by [`county_url`].
fn database_name(url: &str) -> &str {
    url.split('?').next().and_then(|u| u.rsplit_once('/')).map(|(_, n)| n).expect("postgres://…/database")
}

fn seed(a: &Args, p: Province, now_ms: i64) {
    let mut admin = postgres::Client::connect(&a.database, postgres::NoTls).expect("connect");
    let hash = linkage_server::auth::hash_password(PASSWORD).expect("hash");
    let t0 = Instant::now();
    let mut rows = 0u64;
    let mut seeded = 0;
    for c in 0..p.counties {
        let url = county_url(&a.database, c);
        let name = database_name(&url);
        let exists: bool = admin.query_one("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", &[&name]).expect("query").get(0);
        if !exists {
            // Identifiers cannot be parameters; the name is made of [a-z0-9_] by county_url.
            assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "database name {name}");
            admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create database");
        }
        // The schema (migrations) comes from the server itself.
        drop(linkage_server::storage::open(Some(&url), &a.data_dir).expect("open storage"));
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        let present: bool = client.query_one("SELECT EXISTS (SELECT 1 FROM org_nodes WHERE id = $1)", &[&county_id(c)]).expect("query").get(0);
        if present {
            assert!(a.resume_from == Some(Step::Seed), "county {} is already in {name}: --resume-from seed (or a fresh cluster)", county_id(c));
            continue;
        }
        let mut seq: i64 = 1;
        let mut event_row: i64 = 1;
        let tc = Instant::now();
        rows += seed_county(&mut client, c, p, &hash, now_ms, &mut seq, &mut event_row);
        // New feed rows are numbered above the seeded ones (as after `migrate`); events continue their receipt order.
        client
            .batch_execute(
                "UPDATE feed_origin SET base = (SELECT coalesce(max(seq), 0) + 1 FROM changes) WHERE id = 1;
                 SELECT setval(pg_get_serial_sequence('issue_events', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM issue_events), false);
                 ANALYZE",
            )
            .expect("finish seeding");
        seeded += 1;
        eprintln!("seeded county {} ({} households) into {name} in {:.1} s", county_id(c), p.households_per_county, tc.elapsed().as_secs_f64());
    }
    let secs = t0.elapsed().as_secs_f64();
    let (mut h, mut i, mut e, mut ch) = (0i64, 0i64, 0i64, 0i64);
    for c in 0..p.counties {
        let mut client = postgres::Client::connect(&county_url(&a.database, c), postgres::NoTls).expect("connect");
        let counts = client
            .query_one("SELECT (SELECT count(*) FROM households), (SELECT count(*) FROM issues), (SELECT count(*) FROM issue_events), (SELECT count(*) FROM changes)", &[])
            .expect("counts");
        h += counts.get::<_, i64>(0);
        i += counts.get::<_, i64>(1);
        e += counts.get::<_, i64>(2);
        ch += counts.get::<_, i64>(3);
    }
    let size: i64 = admin.query_one("SELECT sum(pg_database_size(oid))::bigint FROM pg_database", &[]).expect("size").get(0);
    println!(
        "seed: {seeded} counties by COPY in {secs:.1} s ({:.0} rows/s); province ({} databases, {:.1} GB on disk): {h} households, {i} issues, {e} issue events, {ch} feed rows",
        rows as f64 / secs.max(1e-9),
        p.counties,
        size as f64 / 1e9
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One round's ops: `BATCHES` batches alternating a grid worker's reports and the township accepting them.
fn round_ops(rng: &mut Rng, cp: &CountyPlan, round: usize, now_ms: i64) -> Vec<(UserInfo, Vec<Operation>)> {
    let (tid, _, ts) = &cp.townships[0];
    let (_, _, gw, _) = &cp.branches[0];
    let groups: Vec<&(String, String, UserInfo, usize)> = cp.groups.iter().filter(|g| g.1.starts_with(&cp.branches[0].1)).collect();
    let mut out = Vec::new();
    for b in 0..BATCHES / 2 {
        let at = now_ms - 3_600_000 + (round * BATCHES + b) as i64 * 1000;
        let mut reports = Vec::new();
        let mut accepts = Vec::new();
        for k in 0..BATCH {
            let (gid, gpath, _, _) = groups[k % groups.len()];
            // Households of this branch's groups (seeded: household k sits in group k mod groups).
            let hid = household_of(cp, gid, k);
            let hpath = scope::child_path(gpath, &hid);
            let issue_id = uuid(rng, at);
            let r = report(rng, gw, gid, &hid, &hpath, tid, at);
            let e = event(rng, gw, &issue_id, at, IssueAction::Report(r));
            reports.push(Operation { op_id: uuid(rng, at), hlc: e.hlc.clone(), body: OpBody::IssueEvent(e) });
            let a = event(rng, ts, &issue_id, at + 500, IssueAction::Accept);
            accepts.push(Operation { op_id: uuid(rng, at + 500), hlc: a.hlc.clone(), body: OpBody::IssueEvent(a) });
        }
        out.push((gw.clone(), reports));
        out.push((ts.clone(), accepts));
    }
    out
}

/// A seeded household of group `gid` (the `n`-th one, within the first hundreds).
fn household_of(cp: &CountyPlan, gid: &str, n: usize) -> String {
    let gi = cp.groups.iter().position(|g| g.0 == gid).expect("group of the plan");
    let k = gi + (n / cp.groups.len().max(1) % 3) * cp.groups.len();
    format!("{}-h{:06}", cp.id, k + 1)
}

fn push(url: &str, storage: &dyn Storage, now_ms: i64) {
    let cp = plan(0);
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    // The same columns and indexes as `changes` and `issue_events` (the latter spelled out: its `id` sequence
    // must be one of its own).
    client
        .batch_execute(
            "DROP TABLE IF EXISTS raw_changes, raw_events;
             CREATE TABLE raw_changes (LIKE changes INCLUDING INDEXES);
             CREATE TABLE raw_events (id BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, issue_id TEXT NOT NULL, hlc TEXT NOT NULL,
               at_ms BIGINT NOT NULL, actor_id TEXT NOT NULL, action TEXT NOT NULL, body TEXT NOT NULL, received_at_ms BIGINT NOT NULL);
             CREATE INDEX raw_events_issue ON raw_events(issue_id, id);
             CREATE INDEX raw_events_received ON raw_events(received_at_ms);",
        )
        .expect("raw tables");
    let ins_change = client
        .prepare("INSERT INTO raw_changes (seq, op_id, body_sha256, user_id, path, broadcast, op_json, received_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .expect("prepare");
    let ins_event = client
        .prepare("INSERT INTO raw_events (event_id, issue_id, hlc, at_ms, actor_id, action, body, received_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .expect("prepare");
    let mut rng = Rng::new(0xB0B);
    let (mut rules_rates, mut raw_rates) = (Vec::new(), Vec::new());
    let mut raw_seq: i64 = 1;
    for round in 0..ROUNDS {
        let batches = round_ops(&mut rng, &cp, round, now_ms);
        let n: usize = batches.iter().map(|b| b.1.len()).sum();
        let t0 = Instant::now();
        for (user, ops) in &batches {
            let outcomes = storage.apply_ops(user, ops, now_ms).expect("push");
            for (op, o) in ops.iter().zip(&outcomes) {
                assert!(matches!(o, OpOutcome::Applied), "op {} by {} not applied: {o:?}", op.body.kind(), user.id);
            }
        }
        let rules = n as f64 / t0.elapsed().as_secs_f64();
        // The same rows, raw: each op's feed row and event row as the rules stored them.
        let mut raw_batches = Vec::new();
        for (_, ops) in &batches {
            let ids: Vec<&str> = ops.iter().map(|o| o.op_id.as_str()).collect();
            let rows = client
                .query(
                    "SELECT c.op_id, c.body_sha256, c.user_id, c.path, c.broadcast, c.op_json, c.received_at_ms,
                            e.event_id, e.issue_id, e.hlc, e.at_ms, e.actor_id, e.action, e.body, e.received_at_ms
                     FROM changes c JOIN issue_events e ON e.event_id = (c.op_json::jsonb -> 'body' ->> 'event_id')
                     WHERE c.op_id = ANY($1) ORDER BY c.seq",
                    &[&ids],
                )
                .expect("stored rows");
            assert_eq!(rows.len(), ops.len(), "every pushed op has its feed row and event row");
            raw_batches.push(rows);
        }
        let t1 = Instant::now();
        for rows in &raw_batches {
            let mut tx = client.transaction().expect("begin");
            for r in rows {
                let op_id = format!("{}-raw", r.get::<_, &str>(0));
                tx.execute(&ins_change, &[&raw_seq, &op_id, &r.get::<_, &str>(1), &r.get::<_, &str>(2), &r.get::<_, &str>(3), &r.get::<_, bool>(4), &r.get::<_, &str>(5), &r.get::<_, i64>(6)])
                    .expect("raw change");
                raw_seq += 1;
                let event_id = format!("{}-raw", r.get::<_, &str>(7));
                tx.execute(&ins_event, &[&event_id, &r.get::<_, &str>(8), &r.get::<_, &str>(9), &r.get::<_, i64>(10), &r.get::<_, &str>(11), &r.get::<_, &str>(12), &r.get::<_, &str>(13), &r.get::<_, i64>(14)])
                    .expect("raw event");
            }
            tx.commit().expect("commit");
        }
        let raw = n as f64 / t1.elapsed().as_secs_f64();
        println!("push round {}: {n} ops, rules {rules:.0} ops/s, raw {raw:.0} ops/s, ratio {:.2}", round + 1, rules / raw);
        rules_rates.push(rules);
        raw_rates.push(raw);
    }
    let (rules, raw) = (median(rules_rates), median(raw_rates));
    println!(
        "push (median of {ROUNDS} rounds, batches of {BATCH}): rules {rules:.0} ops/s, raw insert loop {raw:.0} ops/s, ratio {:.2} (goal >= 0.5)",
        rules / raw
    );
    client.batch_execute("DROP TABLE raw_changes, raw_events").expect("drop raw tables");
}

fn feed(storage: &dyn Storage) {
    let cp = plan(0);
    let (_, tpath, _) = &cp.townships[0];
    let mut times = Vec::new();
    let mut pulled = 0;
    for _ in 0..ROUNDS {
        let t0 = Instant::now();
        let (mut after, mut n) = (0i64, 0usize);
        loop {
            let (page, more) = storage.changes(tpath, after, 500).expect("pull");
            n += page.len();
            if let Some(last) = page.last() {
                after = last.seq;
            }
            if !more {
                break;
            }
        }
        times.push(t0.elapsed().as_secs_f64());
        pulled = n;
    }
    println!("feed: township {} pulled whole, {pulled} changes in pages of 500: {:.2} s (median of {ROUNDS})", cp.townships[0].0, median(times));
}

fn measures_step(a: &Args, first: &dyn Storage, p: Province, now_ms: i64) {
    let today = chrono::DateTime::from_timestamp_millis(now_ms).expect("now").date_naive();
    let dates = DateRange { from: today - chrono::Duration::days(29), to: today };
    let policy = MeasuresPolicy::for_county(&first.county_config().expect("county config"));
    let mut times = Vec::new();
    let mut issues = 0;
    for _ in 0..ROUNDS {
        let t0 = Instant::now();
        let r = measures::compute(first, &county_id(0), dates, now_ms, &policy).expect("measures");
        times.push(t0.elapsed().as_secs_f64());
        issues = r.rows.first().map_or(0, |row| row.issues.reported);
    }
    println!("measures: county {} ({issues} issues reported in 30 days): {:.3} s (median of {ROUNDS})", county_id(0), median(times));
    // The province: each county's database opened (as its servers have it open) and computed in turn.
    let (mut computing, mut opening) = (0.0, 0.0);
    for c in 0..p.counties {
        let t0 = Instant::now();
        let storage = linkage_server::storage::open(Some(&county_url(&a.database, c)), &a.data_dir).expect("open storage");
        let policy = MeasuresPolicy::for_county(&storage.county_config().expect("county config"));
        let t1 = Instant::now();
        measures::compute(&*storage, &county_id(c), dates, now_ms, &policy).expect("measures");
        computing += t1.elapsed().as_secs_f64();
        opening += (t1 - t0).as_secs_f64();
    }
    println!(
        "measures: whole province ({} counties, one after the other): {computing:.2} s computing (+ {opening:.2} s opening the databases)",
        p.counties
    );
}

fn main() {
    let a = args();
    let p = Province::at(a.scale);
    let now_ms = chrono::Utc::now().timestamp_millis();
    println!(
        "pg_scale: {} households in {} counties of {}, {} issues per household, on {}",
        p.households_per_county as usize * p.counties,
        p.counties,
        p.households_per_county,
        ISSUES_PER_HOUSEHOLD,
        a.database.split('@').next_back().unwrap_or("?")
    );
    let from = a.resume_from.unwrap_or(Step::Seed);
    if from <= Step::Seed {
        seed(&a, p, now_ms);
    }
    let first = county_url(&a.database, 0);
    let storage = linkage_server::storage::open(Some(&first), &a.data_dir).expect("open storage");
    if from <= Step::Push {
        push(&first, &*storage, now_ms);
    }
    if from <= Step::Feed {
        feed(&*storage);
    }
    measures_step(&a, &*storage, p, now_ms);
}
