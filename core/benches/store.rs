//! Store benchmark (a bench binary, not timed tests): seeds a county of 100,000 households and 100,000
//! issues with history through the real store API, then times the screens' hot queries and a FULL-synced
//! visit save against a raw one-row rusqlite FULL commit measured in the same run on the same disk.
//!
//! Run: `cargo bench -p linkage-core --bench store` (set LINKAGE_BENCH_SCALE=0.1 for a quick run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use linkage_core::clock::ManualClock;
use linkage_core::store::{HouseholdFilter, IssueCommand, IssueInput, IssueListScope, Store, VisitInput};
use linkage_protocol::model::{GpsFix, IssueCategory, IssueState, RiskLevel, Role, Satisfaction, Urgency, VisitKind};
use linkage_protocol::wire::{Bundle, BundleHousehold, BundleNode, BundleUser};

const NOW: i64 = 1_780_000_000_000;
const DAY: i64 = 86_400_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "胡", "朱", "郭", "何", "罗", "高", "林"];
const GIVEN: &[&str] = &["建国", "秀英", "桂兰", "志强", "玉梅", "德明", "海燕", "长江", "春花", "国庆", "红梅", "永福", "淑珍", "小军", "丽娟", "光明"];
const TAGS: &[&str] = &["低保", "独居老人", "残疾", "留守儿童", "脱贫监测户"];

fn bundle(townships: usize, branches_per: usize, groups_per: usize, households_per: usize) -> Bundle {
    let mut rng = Rng(0x5eed);
    let mut nodes = vec![BundleNode {
        id: "c".into(),
        parent_id: None,
        level: linkage_protocol::model::OrgLevel::County,
        name: "黄龙县".into(),
        code: "610631000000".into(),
        boundary: vec![],
    }];
    let mut households = Vec::new();
    let mut users = vec![BundleUser { id: "cs".into(), name: "县干部".into(), role: Role::CountyStaff, node_id: "c".into() }];
    for t in 0..townships {
        let tid = format!("t{t}");
        nodes.push(BundleNode {
            id: tid.clone(),
            parent_id: Some("c".into()),
            level: linkage_protocol::model::OrgLevel::Township,
            name: format!("第{t}镇"),
            code: format!("6106311{t:02}000"),
            boundary: vec![],
        });
        users.push(BundleUser { id: format!("ts{t}"), name: "镇干部".into(), role: Role::TownshipStaff, node_id: tid.clone() });
        for b in 0..branches_per {
            let bid = format!("{tid}b{b}");
            nodes.push(BundleNode {
                id: bid.clone(),
                parent_id: Some(tid.clone()),
                level: linkage_protocol::model::OrgLevel::Branch,
                name: format!("第{b}村党支部"),
                code: format!("6106311{t:02}{b:03}"),
                boundary: vec![],
            });
            users.push(BundleUser { id: format!("gw{t}_{b}"), name: "网格员".into(), role: Role::GridWorker, node_id: bid.clone() });
            let (clat, clon) = (35.3 + t as f64 * 0.05, 109.1 + b as f64 * 0.02);
            for g in 0..groups_per {
                let gid = format!("{bid}g{g}");
                nodes.push(BundleNode {
                    id: gid.clone(),
                    parent_id: Some(bid.clone()),
                    level: linkage_protocol::model::OrgLevel::Group,
                    name: format!("{g}组"),
                    code: format!("6106311{t:02}{b:03}{g:03}"),
                    boundary: vec![],
                });
                for h in 0..households_per {
                    let n = households.len();
                    households.push(BundleHousehold {
                        id: format!("h{n}"),
                        group_id: gid.clone(),
                        head_name: format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN)),
                        members: 1 + rng.below(6) as u32,
                        phone: Some(format!("138{:08}", rng.below(100_000_000))),
                        id_number: None,
                        address: format!("第{b}村{g}组{h}号"),
                        lat: Some(clat + (rng.below(2000) as f64 - 1000.0) * 0.00001),
                        lon: Some(clon + (rng.below(2000) as f64 - 1000.0) * 0.00001),
                        tags: if rng.below(5) == 0 { vec![rng.pick(TAGS).to_string()] } else { vec![] },
                        risk_level: *rng.pick(&[RiskLevel::Low, RiskLevel::Low, RiskLevel::Medium, RiskLevel::High]),
                        county_contact: rng.below(50) == 0,
                    });
                }
            }
        }
    }
    Bundle { nodes, households, users, config: None }
}

/// Median and 90th percentile of `runs` timings of `f`.
fn time<T>(runs: usize, mut f: impl FnMut(usize) -> T) -> (Duration, Duration) {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|i| {
            let start = Instant::now();
            std::hint::black_box(f(i));
            start.elapsed()
        })
        .collect();
    samples.sort();
    (samples[runs / 2], samples[runs * 9 / 10])
}

fn row(name: &str, (median, p90): (Duration, Duration)) {
    println!("{name:<48} median {:>9.3} ms   p90 {:>9.3} ms", median.as_secs_f64() * 1e3, p90.as_secs_f64() * 1e3);
}

fn main() {
    let scale: f64 = std::env::var("LINKAGE_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    // 8 townships × ~6 branches × 10 groups × 200 households ≈ 100k households; a branch has 2,000.
    let branches_per = ((6.25 * scale).round() as usize).max(1);
    let households_per = 200;
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW - 200 * DAY));
    let mut store = Store::open(&dir.path().join("bench.db"), clock.clone()).unwrap();
    store.set_bulk_load(true).unwrap();

    let t0 = Instant::now();
    let b = bundle(8, branches_per, 10, households_per);
    let n_households = b.households.len();
    store.load_bundle(&serde_json::to_string(&b).unwrap()).unwrap();
    println!("seeded {n_households} households in {:.1} s", t0.elapsed().as_secs_f64());

    // 100k issues (scaled) with history, reported by grid workers over 200 days, worked by their townships.
    let t1 = Instant::now();
    let n_issues = (100_000.0 * scale) as usize;
    let mut rng = Rng(42);
    let categories = IssueCategory::ALL;
    let mut events = 0usize;
    for i in 0..n_issues {
        let t = rng.below(8) as usize;
        let br = rng.below(branches_per as u64) as usize;
        let h = (t * branches_per + br) * 10 * households_per + rng.below((10 * households_per) as u64) as usize;
        clock.set(NOW - 200 * DAY + (i as i64) * (200 * DAY / n_issues as i64));
        store.sign_in(&format!("gw{t}_{br}")).unwrap();
        let id = store
            .report_issue(IssueInput {
                category: *rng.pick(&categories),
                urgency: *rng.pick(&[Urgency::Normal, Urgency::Normal, Urgency::Urgent, Urgency::Critical]),
                title: format!("{}反映问题{}", rng.pick(SURNAMES), i),
                description: "入户走访时群众反映".into(),
                household_id: Some(format!("h{h}")),
                node_id: None,
                location: None,
                evidence: vec![],
                client_op_id: None,
            })
            .unwrap()
            .projection
            .id;
        events += 1;
        let depth = rng.below(10); // 0-1 reported, 2-3 accepted, 4 assigned, 5 in progress, 6 resolved, 7-9 closed
        if depth < 2 {
            continue;
        }
        store.sign_in(&format!("ts{t}")).unwrap();
        store.perform_issue_action(&id, IssueCommand::Accept).unwrap();
        events += 1;
        if depth < 4 {
            continue;
        }
        store.perform_issue_action(&id, IssueCommand::Assign { assignee_id: format!("gw{t}_{br}") }).unwrap();
        events += 1;
        if depth < 5 {
            continue;
        }
        store.sign_in(&format!("gw{t}_{br}")).unwrap();
        store.perform_issue_action(&id, IssueCommand::Start).unwrap();
        events += 1;
        if depth < 6 {
            continue;
        }
        store.perform_issue_action(&id, IssueCommand::Resolve { note: "已处理".into(), evidence: vec![] }).unwrap();
        events += 1;
        if depth < 7 {
            continue;
        }
        store.sign_in(&format!("ts{t}")).unwrap();
        store
            .perform_issue_action(&id, IssueCommand::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() })
            .unwrap();
        events += 1;
    }
    println!("seeded {n_issues} issues with {events} events in {:.1} s", t1.elapsed().as_secs_f64());
    clock.set(NOW);
    store.set_bulk_load(false).unwrap();

    println!("\n-- queries (synchronous=FULL, WAL) --");
    store.sign_in("ts0").unwrap();
    let open = [IssueState::Reported, IssueState::Accepted, IssueState::Assigned, IssueState::InProgress];
    let (page, total) = store.list_issues(IssueListScope::Owned, &open, 0, 50).unwrap();
    println!("township t0 triage queue: {total} open issues, page of {}", page.len());
    row("triage queue top-50 (township, open states)", time(200, |_| store.list_issues(IssueListScope::Owned, &open, 0, 50).unwrap()));

    store.sign_in("gw0_0").unwrap();
    let here = Some((35.3, 109.1));
    let (_, overdue) = store.overdue_households(here, 0, 50).unwrap();
    println!("branch t0b0: {overdue} overdue households");
    row("overdue nearest-first page (branch, 2,000 hh)", time(200, |_| store.overdue_households(here, 0, 50).unwrap()));

    store.sign_in("cs").unwrap();
    let names = ["王建国", "李秀", "张", "刘志强", "陈玉梅"];
    let filter = |i: usize| HouseholdFilter { text: Some(names[i % names.len()].into()), limit: 50, ..Default::default() };
    let (hits, total) = store.list_households(&filter(0)).unwrap();
    println!("county search '王建国': {total} matches, page of {}", hits.len());
    row("search households by name (county, 100k)", time(200, |i| store.list_households(&filter(i)).unwrap()));

    println!("\n-- writes (synchronous=FULL, WAL, same disk) --");
    store.sign_in("gw0_0").unwrap();
    let visit = |i: usize| VisitInput {
        household_id: format!("h{}", i % 2000),
        kind: VisitKind::Routine,
        started_at_ms: NOW - 600_000,
        ended_at_ms: NOW - 60_000,
        fix: Some(GpsFix { lat: 35.3, lon: 109.1, accuracy_m: 8.0, fix_time_ms: NOW - 300_000, mocked: false }),
        notes: "入户走访，家中安好".into(),
        evidence: vec![],
        issue_id: None,
    };
    let ours = time(300, |i| store.record_visit(visit(i)).unwrap());
    row("record visit (row + outbox, one tx, FULL)", ours);

    let raw = rusqlite::Connection::open(dir.path().join("raw.db")).unwrap();
    raw.pragma_update(None, "journal_mode", "WAL").unwrap();
    raw.pragma_update(None, "synchronous", "FULL").unwrap();
    raw.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, household TEXT, notes TEXT, at INTEGER)").unwrap();
    let mut raw = raw;
    let baseline = time(300, |i| {
        let tx = raw.transaction().unwrap();
        tx.execute("INSERT INTO t (household, notes, at) VALUES (?1, ?2, ?3)", rusqlite::params![format!("h{i}"), "入户走访", NOW])
            .unwrap();
        tx.commit().unwrap();
    });
    row("raw rusqlite one-row commit (FULL)", baseline);
    println!(
        "\nratio record-visit / raw-commit (median): {:.2}",
        ours.0.as_secs_f64() / baseline.0.as_secs_f64()
    );
}
