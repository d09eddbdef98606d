//! Store benchmark (a bench binary, not timed tests): seeds a county of 100,000 households (50 branches of
//! 2,000) with visit history and 100,000 issues with history through the real store API, then times the
//! screens' hot queries and a FULL-synced visit save against a raw one-row rusqlite FULL commit measured in the
//! same run on the same disk, and prints the ratios.
//!
//! Run: `cargo bench -p linkage-core --bench store` (set LINKAGE_BENCH_SCALE=0.1 for a quick run). The store is
//! encrypted as on the phone; LINKAGE_BENCH_PLAIN=1 opens it plain. The raw reference commit is made on a plain
//! file and, when the store is encrypted, also on a SQLCipher file under the same key (each page written is
//! encrypted and authenticated: the reference for what the visit transaction adds on the phone's store).
//! LINKAGE_BENCH_ONLY=writes seeds the households and visits only (no issues) and times only the visit save
//! against the raw commit; LINKAGE_BENCH_ROUNDS (default 5) sets the rounds of that comparison.

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

/// A county whose township `t` has `branches[t]` branches; every branch has `groups_per` groups of
/// `households_per` households. Households are numbered in tree order (`h0..` are branch `t0b0`'s).
fn bundle(branches: &[usize], groups_per: usize, households_per: usize) -> Bundle {
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
    for (t, &branches_per) in branches.iter().enumerate() {
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
    stats(
        (0..runs)
            .map(|i| {
                let start = Instant::now();
                std::hint::black_box(f(i));
                start.elapsed()
            })
            .collect(),
    )
}

/// Median and 90th percentile of the samples.
fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 9 / 10])
}

fn row(name: &str, (median, p90): (Duration, Duration)) {
    println!("{name:<48} median {:>9.3} ms   p90 {:>9.3} ms", median.as_secs_f64() * 1e3, p90.as_secs_f64() * 1e3);
}

fn main() {
    let scale: f64 = std::env::var("LINKAGE_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    // 8 townships with 50 branches between them (6 or 7 each) × 10 groups × 200 households = 100,000
    // households; every branch has 2,000.
    let n_branches = ((50.0 * scale).round() as usize).max(1);
    let townships = n_branches.min(8);
    let branches: Vec<usize> = (0..townships).map(|t| n_branches / townships + usize::from(t < n_branches % townships)).collect();
    let (groups_per, households_per) = (10, 200);
    let per_branch = groups_per * households_per;
    // (township, branch, number of its first household) of every branch, in tree order.
    let mut all_branches = Vec::new();
    for (t, &n) in branches.iter().enumerate() {
        for b in 0..n {
            all_branches.push((t, b, all_branches.len() * per_branch));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW - 200 * DAY));
    // The phone's store is SQLCipher (ADR 0005); LINKAGE_BENCH_PLAIN=1 measures a plain store for comparison.
    let plain = std::env::var("LINKAGE_BENCH_PLAIN").is_ok_and(|v| v == "1");
    let path = dir.path().join("bench.db");
    let mut store = if plain {
        Store::open(&path, clock.clone()).unwrap()
    } else {
        let key = linkage_core::store::cipher::StoreKey::from_bytes(&[0x42; 32]).unwrap();
        Store::open_encrypted(&path, &key, clock.clone()).unwrap()
    };
    println!("store: {}", if plain { "plain SQLite (LINKAGE_BENCH_PLAIN=1)" } else { "SQLCipher (as on the phone)" });
    store.set_bulk_load(true).unwrap();

    let t0 = Instant::now();
    let b = bundle(&branches, groups_per, households_per);
    let n_households = b.households.len();
    store.load_bundle(&serde_json::to_string(&b).unwrap()).unwrap();
    println!(
        "seeded {n_households} households ({} townships, {} branches of {per_branch}) in {:.1} s",
        branches.len(),
        all_branches.len(),
        t0.elapsed().as_secs_f64()
    );

    // Visit history: three households in four got an on-site visit from their grid worker some time in the
    // last 200 days (so about a third of those are within the 60-day branch cadence); the rest never did.
    let t_visits = Instant::now();
    let mut rng = Rng(7);
    let mut n_visits = 0usize;
    for &(t, br, first) in &all_branches {
        store.sign_in(&format!("gw{t}_{br}")).unwrap();
        for hh in &b.households[first..first + per_branch] {
            if rng.below(4) == 0 {
                continue;
            }
            let end = NOW - 1 - rng.below((200 * DAY) as u64) as i64;
            clock.set(end + 60_000);
            let (lat, lon) = (hh.lat.unwrap(), hh.lon.unwrap());
            store
                .record_visit(VisitInput {
                    household_id: hh.id.clone(),
                    kind: VisitKind::Routine,
                    started_at_ms: end - 1_200_000,
                    ended_at_ms: end,
                    fix: Some(GpsFix { lat, lon, accuracy_m: 8.0, fix_time_ms: end - 30_000, mocked: false }),
                    notes: "入户走访".into(),
                    evidence: vec![],
                    issue_id: None,
                })
                .unwrap();
            n_visits += 1;
        }
    }
    println!("seeded {n_visits} on-site visits in {:.1} s", t_visits.elapsed().as_secs_f64());
    let writes_only = std::env::var("LINKAGE_BENCH_ONLY").is_ok_and(|v| v == "writes");
    if writes_only {
        println!("LINKAGE_BENCH_ONLY=writes: no issues seeded, no queries timed");
    } else {
        seed_issues_and_time_queries(&mut store, &clock, &all_branches, per_branch, scale);
    }
    clock.set(NOW);
    store.set_bulk_load(false).unwrap();
    time_writes(&mut store, dir.path(), !plain);
}

/// 100k issues (scaled) with history, then the screens' hot queries.
fn seed_issues_and_time_queries(store: &mut Store, clock: &ManualClock, all_branches: &[(usize, usize, usize)], per_branch: usize, scale: f64) {

    // 100k issues (scaled) with history, reported by grid workers over 200 days, worked by their townships.
    let t1 = Instant::now();
    let n_issues = (100_000.0 * scale) as usize;
    let mut rng = Rng(42);
    let all_branches = all_branches.to_vec();
    let categories = IssueCategory::ALL;
    let mut events = 0usize;
    for i in 0..n_issues {
        let &(t, br, first) = rng.pick(&all_branches);
        let h = first + rng.below(per_branch as u64) as usize;
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

    // Issue 5's phone-side figures: visit coverage and the quarter's measures for a township (12,500 hh).
    store.sign_in("ts0").unwrap();
    let cov = store.visit_coverage().unwrap();
    println!("township t0 visit coverage: {} rows", cov.rows.len());
    row("visit coverage (township, per branch/group)", time(20, |_| store.visit_coverage().unwrap()));
    let quarter = (NOW - 90 * DAY, NOW);
    let ours = time(20, |_| store.measures(quarter.0, quarter.1).unwrap());
    row("measures for a quarter (township)", ours);
    // The same from scratch (every issue's log folded, deadlines worked out): what the stored facts save.
    let scratch = time(3, |_| store.measures_from_scratch(quarter.0, quarter.1).unwrap());
    row("  same, from scratch (every log folded)", scratch);
    println!("ratio measures / from scratch: median {:.3}", ours.0.as_secs_f64() / scratch.0.as_secs_f64());
}

/// A visit save (row + outbox + coverage triggers, FULL) against a raw one-row FULL commit on the same disk,
/// interleaved, in rounds: on a plain file, and (`encrypted`: the store is SQLCipher) on a SQLCipher file
/// under the store's key, the same kind of file as the store's.
fn time_writes(store: &mut Store, dir: &std::path::Path, encrypted: bool) {
    println!("\n-- writes (synchronous=FULL, WAL, same disk) --");
    store.sign_in("gw0_0").unwrap();
    let visit = |i: usize| VisitInput {
        household_id: format!("h{}", i % 2000),
        kind: VisitKind::Routine,
        started_at_ms: NOW - 600_000,
        ended_at_ms: NOW - 60_000,
        fix: Some(GpsFix { lat: 35.3, lon: 109.1, accuracy_m: 8.0, fix_time_ms: NOW - 90_000, mocked: false }),
        notes: "入户走访，家中安好".into(),
        evidence: vec![],
        issue_id: None,
    };
    // The raw references: one table, one row per commit. The SQLCipher one is keyed as the store's key is
    // (a raw 256-bit key: no key derivation), so each commit pays the same page encryption as the store's.
    let raw_file = |name: &str, key: Option<&str>| {
        let c = rusqlite::Connection::open(dir.join(name)).unwrap();
        if let Some(hex) = key {
            c.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";")).unwrap();
        }
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.pragma_update(None, "synchronous", "FULL").unwrap();
        c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, household TEXT, notes TEXT, at INTEGER)").unwrap();
        c
    };
    let mut raws = vec![("raw rusqlite one-row commit (FULL, plain file)", raw_file("raw.db", None))];
    if encrypted {
        raws.push(("raw rusqlite one-row commit (FULL, SQLCipher file)", raw_file("raw-cipher.db", Some(&"42".repeat(32)))));
    }
    // Interleaved, so all see the same disk and page-cache conditions; in rounds, to show the spread.
    let rounds: usize = std::env::var("LINKAGE_BENCH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5).max(1);
    let runs = 300;
    let mut all_ours = Vec::new();
    let mut all_raw: Vec<Vec<Duration>> = vec![Vec::new(); raws.len()];
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); raws.len()];
    for round in 0..rounds {
        let mut ours = Vec::with_capacity(runs);
        let mut raw_times: Vec<Vec<Duration>> = vec![Vec::with_capacity(runs); raws.len()];
        for i in round * runs..(round + 1) * runs {
            let start = Instant::now();
            std::hint::black_box(store.record_visit(visit(i)).unwrap());
            ours.push(start.elapsed());
            for ((_, raw), times) in raws.iter_mut().zip(raw_times.iter_mut()) {
                let start = Instant::now();
                let tx = raw.transaction().unwrap();
                tx.execute("INSERT INTO t (household, notes, at) VALUES (?1, ?2, ?3)", rusqlite::params![format!("h{i}"), "入户走访", NOW])
                    .unwrap();
                tx.commit().unwrap();
                times.push(start.elapsed());
            }
        }
        all_ours.extend_from_slice(&ours);
        let o = stats(ours);
        let mut line = format!("round {}: record visit median {:.3} ms", round + 1, o.0.as_secs_f64() * 1e3);
        for (k, times) in raw_times.into_iter().enumerate() {
            all_raw[k].extend_from_slice(&times);
            let b = stats(times);
            let ratio = o.0.as_secs_f64() / b.0.as_secs_f64();
            line += &format!("; {} {:.3} ms: ratio {ratio:.2}", if k == 0 { "raw plain" } else { "raw SQLCipher" }, b.0.as_secs_f64() * 1e3);
            ratios[k].push(ratio);
        }
        println!("{line}");
    }
    let ours = stats(all_ours);
    row("record visit (row + outbox, one tx, FULL)", ours);
    for ((name, _), times) in raws.iter().zip(all_raw) {
        row(name, stats(times));
    }
    for ((name, _), mut medians) in raws.iter().zip(ratios) {
        medians.sort_by(f64::total_cmp);
        println!(
            "ratio record-visit / {name}: median of rounds {:.2}, spread {:.2}–{:.2} (target ≤ 1.25)",
            medians[medians.len() / 2],
            medians[0],
            medians[medians.len() - 1]
        );
    }
}
