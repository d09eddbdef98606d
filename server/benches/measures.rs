//! Measures benchmark (issue #5): a 20,000-household demo county with 100,000 issues and their history,
//! seeded through the server's own op path (`Storage::apply_ops`, every event judged by the shared lifecycle
//! rules, as the appropriate user), then the county's measures over a quarter and one township's, timed.
//!
//! `cargo bench -p linkage-server --bench measures` (or `scripts/bench-measures.sh`);
//! `LINKAGE_BENCH_ISSUES=10000` for a quick run.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::{Duration, FixedOffset, TimeZone};
use linkage_protocol::hlc::Hlc;
use linkage_protocol::model::{IssueCategory, IssueState, OrgLevel, Satisfaction, Urgency};
use linkage_protocol::sync::OpOutcome;
use linkage_protocol::wire::{IssueAction, IssueEvent, IssueReport, OpBody, Operation};
use linkage_server::demo::{self, Rng};
use linkage_server::measures::{self, DateRange, MeasuresPolicy, MeasuresReport};
use linkage_server::sqlite::SqliteStorage;
use linkage_server::storage::{Storage, UserInfo};

const HOUSEHOLDS: u32 = 20_000;
const H: i64 = 3_600_000;
const D: i64 = 24 * H;
/// Ops per `apply_ops` call (one transaction, one fsync).
const BATCH: usize = 5_000;

const CATEGORIES: [IssueCategory; 6] = [
    IssueCategory::Infrastructure,
    IssueCategory::Dispute,
    IssueCategory::LivelihoodAid,
    IssueCategory::SafetyHazard,
    IssueCategory::Sanitation,
    IssueCategory::ForestFire,
];

/// One step of an issue's story: who, when, what.
type Step = (String, i64, IssueAction);

/// A plausible issue story (the demo's shape, with rework): report, then accept or reject, maybe escalate,
/// assign, start, resolve, return visit (a 不满意 sends it back: start, resolve, 满意). Stops early at random
/// or when the next step would lie in the future.
fn story(rng: &mut Rng, now: i64, household: &str, group: &str, branch: &str, township: &str) -> Vec<Step> {
    let mut at = now - D * (1 + rng.below(200) as i64) - rng.below(24) as i64 * H;
    let category = *rng.pick(&CATEGORIES);
    let urgency = if rng.chance(0.03) { Urgency::Critical } else if rng.chance(0.12) { Urgency::Urgent } else { Urgency::Normal };
    let (t, b, g) = (township_user(township), branch_user(branch), group_user(group));
    let reporter = if rng.chance(0.6) { g } else { b.clone() };
    let report = IssueReport {
        category,
        urgency,
        title: "村道塌方需修复".into(),
        description: "村民反映：村道塌方需修复，请尽快处理。".into(),
        node_id: group.to_string(),
        path: format!("/hl/{township}/{branch}/{group}/{household}/"),
        household_id: Some(household.to_string()),
        owner_node_id: township.to_string(),
        location: None,
        evidence: vec![],
    };
    let mut steps: Vec<Step> = vec![(reporter, at, IssueAction::Report(report))];
    let next = |rng: &mut Rng, at: &mut i64, max_h: usize| {
        *at += H / 2 + rng.below(max_h * 2) as i64 * H / 2;
        *at < now - 60_000
    };
    'story: {
        if !next(rng, &mut at, 40) || rng.chance(0.05) {
            break 'story;
        }
        if rng.chance(0.07) {
            steps.push((t.clone(), at, IssueAction::Reject { reason: "不属于受理范围".into() }));
            break 'story;
        }
        steps.push((t.clone(), at, IssueAction::Accept));
        let mut owner = t.clone();
        if rng.chance(0.06) {
            if !next(rng, &mut at, 24) {
                break 'story;
            }
            steps.push((t.clone(), at, IssueAction::Escalate { reason: "超出乡镇处置能力".into(), to_node_id: "hl".into() }));
            owner = "cs1".to_string();
        }
        if !next(rng, &mut at, 24) {
            break 'story;
        }
        steps.push((owner.clone(), at, IssueAction::Assign { assignee_id: b.clone() }));
        for round in 0..2 {
            if !next(rng, &mut at, 24) || rng.chance(0.08) {
                break 'story;
            }
            steps.push((b.clone(), at, IssueAction::Start));
            if !next(rng, &mut at, 120) || rng.chance(0.08) {
                break 'story;
            }
            steps.push((b.clone(), at, IssueAction::Resolve { note: "已现场处置完毕".into(), evidence: vec![] }));
            if !next(rng, &mut at, 24) || rng.chance(0.1) {
                break 'story;
            }
            let satisfaction = if round == 1 {
                Satisfaction::Satisfied
            } else {
                *rng.pick(&[Satisfaction::Satisfied, Satisfaction::Satisfied, Satisfaction::BasicallySatisfied, Satisfaction::Dissatisfied])
            };
            steps.push((owner.clone(), at, IssueAction::Verify { satisfaction, note: "电话回访".into() }));
            if satisfaction != Satisfaction::Dissatisfied {
                break 'story;
            }
        }
    }
    steps
}

// Demo user ids by node id (demo.rs: ts{t}, gw{t}-{b}, lh{t}-{b}-{g} for hl-t{t}, hl-t{t}-b{b}, hl-t{t}-b{b}-g{g}).
fn township_user(node: &str) -> String {
    format!("ts{}", node.trim_start_matches("hl-t"))
}
fn branch_user(node: &str) -> String {
    format!("gw{}", node.trim_start_matches("hl-t").replace("-b", "-"))
}
fn group_user(node: &str) -> String {
    format!("lh{}", node.trim_start_matches("hl-t").replace("-b", "-").replace("-g", "-"))
}

fn summary(label: &str, ms: f64, r: &MeasuresReport) {
    let top = &r.rows[0];
    let i = &top.issues;
    println!(
        "  {label:<34} {ms:>8.1} ms   rows {:>2}  reported {:>6}  accepted {:>6}  due {:>6}  verified {:>6}  按期办结 {}  满意 {}  走访(支部) {}",
        r.rows.len(),
        i.reported,
        i.accepted_on_time.denominator,
        i.resolved_on_time.denominator,
        i.satisfied.denominator,
        measures::format_rate(i.resolved_on_time),
        measures::format_rate(i.satisfied),
        measures::format_rate(top.branch_visits.rate()),
    );
}

fn main() {
    let issues: usize = std::env::var("LINKAGE_BENCH_ISSUES").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    // LINKAGE_BENCH_DATA=<dir>: seed into <dir> and keep it; a later run with the same <dir> skips the seeding
    // and measures the county seeded then, at the instant it was seeded at (kept in <dir>/now-ms).
    let kept = std::env::var_os("LINKAGE_BENCH_DATA").map(std::path::PathBuf::from);
    let temp = tempfile::tempdir().unwrap();
    let dir = kept.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let now_file = dir.join("now-ms");
    if let Some(now) = std::fs::read_to_string(&now_file).ok().and_then(|s| s.trim().parse::<i64>().ok()) {
        println!("measures benchmark: the county kept in {} (seeded at {now} ms), not seeded again", dir.display());
        measure(&dir, now);
        return;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let storage = SqliteStorage::open(&dir).unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    println!("measures benchmark: {HOUSEHOLDS} households, {issues} issues (LINKAGE_BENCH_ISSUES), data in {}", dir.display());

    let t = Instant::now();
    let seeded = demo::seed(&storage, HOUSEHOLDS, now).unwrap().expect("a fresh county");
    println!("  demo::seed (org tree, households, users, demo history)  {:>8.1} s  ({} ops)", t.elapsed().as_secs_f64(), seeded.ops_applied);

    // Households with their group, branch and township.
    let bundle = storage.bundle("/hl/").unwrap();
    let parent: HashMap<&str, &str> = bundle.nodes.iter().filter_map(|n| Some((n.id.as_str(), n.parent_id.as_deref()?))).collect();
    let places: Vec<(&str, &str, &str, &str)> = bundle
        .households
        .iter()
        .map(|h| {
            let g = h.group_id.as_str();
            let b = parent[g];
            (h.id.as_str(), g, b, parent[b])
        })
        .collect();
    let users: HashMap<String, UserInfo> = bundle
        .users
        .iter()
        .map(|u| (u.id.clone(), storage.user_credentials(&u.id).unwrap().unwrap().0))
        .collect();
    assert!(bundle.nodes.iter().any(|n| n.level == OrgLevel::Township));

    // Stories, then applied step by step: the k-th step of every story in one pass, batched per user (each
    // issue's own events stay in order; their receipt order is the order they are applied in).
    let t = Instant::now();
    let mut rng = Rng::new(0xBE7C_4A55);
    let mut stories: Vec<(String, Vec<Step>)> = Vec::with_capacity(issues);
    for _ in 0..issues {
        let (h, g, b, tw) = places[rng.below(places.len())];
        stories.push((uuid::Uuid::now_v7().to_string(), story(&mut rng, now, h, g, b, tw)));
    }
    let longest = stories.iter().map(|(_, s)| s.len()).max().unwrap_or(0);
    let mut applied = 0usize;
    for k in 0..longest {
        let mut by_user: BTreeMap<&str, Vec<Operation>> = BTreeMap::new();
        for (issue_id, steps) in &stories {
            let Some((user, at, action)) = steps.get(k) else { continue };
            let u = &users[user];
            let hlc = Hlc { wall_ms: *at, counter: 0 }.encode("bench");
            let event_id = uuid::Uuid::now_v7().to_string();
            let event = IssueEvent {
                event_id: event_id.clone(),
                issue_id: issue_id.clone(),
                actor_id: u.id.clone(),
                actor_role: u.role,
                actor_node_id: u.node_id.clone(),
                actor_name: None,
                hlc: hlc.clone(),
                at_ms: *at,
                action: action.clone(),
            };
            by_user.entry(user.as_str()).or_default().push(Operation { op_id: event_id, hlc, body: OpBody::IssueEvent(event) });
        }
        for (user, ops) in by_user {
            for chunk in ops.chunks(BATCH) {
                for (op, outcome) in chunk.iter().zip(storage.apply_ops(&users[user], chunk, now).unwrap()) {
                    match outcome {
                        OpOutcome::Applied => applied += 1,
                        other => panic!("step {k} by {user} refused: {other:?} ({:?})", op.body),
                    }
                }
            }
        }
    }
    let seed_s = t.elapsed().as_secs_f64();
    let counts = storage.counts().unwrap();
    println!(
        "  {issues} issues through apply_ops          {seed_s:>8.1} s  ({applied} events, {:.0} events/s; totals: {} issues, {} events, {} visits)",
        applied as f64 / seed_s,
        counts.issues,
        counts.issue_events,
        counts.visits
    );
    drop(storage);
    if kept.is_some() {
        std::fs::write(&now_file, now.to_string()).unwrap();
    }
    measure(&dir, now);
}

/// Times the measures of the county seeded in `dir` at `now`.
fn measure(dir: &std::path::Path, now: i64) {
    // The last full quarter's worth of days: the 91 days ending yesterday (CST).
    let cst = FixedOffset::east_opt(8 * 3600).unwrap();
    let today = cst.timestamp_millis_opt(now).unwrap().date_naive();
    let dates = DateRange { from: today - Duration::days(91), to: today - Duration::days(1) };
    println!("  period {} .. {} (inclusive, CST)", dates.from, dates.to);
    let conn = measures::open_read_only(dir).unwrap();
    let policy = MeasuresPolicy::default();
    for (label, node) in [("county hl, quarter (cold)", "hl"), ("county hl, quarter (warm)", "hl"), ("township hl-t1, quarter", "hl-t1")] {
        let t = Instant::now();
        let report = measures::compute(&conn, node, dates, now, &policy).unwrap();
        summary(label, t.elapsed().as_secs_f64() * 1000.0, &report);
        if node == "hl" && label.contains("warm") {
            let t = Instant::now();
            let csv = report.to_csv().unwrap();
            let csv_ms = t.elapsed().as_secs_f64() * 1000.0;
            let t = Instant::now();
            let xlsx = report.to_xlsx().unwrap();
            let xlsx_ms = t.elapsed().as_secs_f64() * 1000.0;
            println!("  county export: csv {} bytes in {csv_ms:.1} ms, xlsx {} bytes in {xlsx_ms:.1} ms", csv.len(), xlsx.len());
            let closed = report.rows[0].in_state(IssueState::Closed);
            println!("  county now: {closed} of the period's issues closed; townships: {}", report.rows.len() - 1);
        }
    }
    // The same county quarter from scratch (every event parsed and folded): the reference the measure columns
    // must equal, and what the export cost before them.
    let t = Instant::now();
    let scratch = measures::compute_from_events(&conn, "hl", dates, now, &policy).unwrap();
    let scratch_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut fast_ms = Vec::new();
    let mut fast = None;
    // LINKAGE_BENCH_ROUNDS: more rounds (e.g. under `perf record`); the median is reported.
    let rounds: usize = std::env::var("LINKAGE_BENCH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5).max(1);
    for _ in 0..rounds {
        let t = Instant::now();
        fast = Some(measures::compute(&conn, "hl", dates, now, &policy).unwrap());
        fast_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    fast_ms.sort_by(f64::total_cmp);
    let same = format!("{:?}", fast.unwrap().rows) == format!("{:?}", scratch.rows);
    println!(
        "  county quarter: measure columns median of {rounds} {:.1} ms (rounds {}) vs from scratch (fold every event) {scratch_ms:.1} ms: ratio {:.3}; equal: {same}",
        fast_ms[rounds / 2],
        fast_ms.iter().map(|ms| format!("{ms:.1}")).collect::<Vec<_>>().join(" / "),
        fast_ms[rounds / 2] / scratch_ms
    );
    assert!(same, "the measure columns must reproduce the fold");
    let t = Instant::now();
    let year = DateRange { from: today - Duration::days(365), to: today - Duration::days(1) };
    let report = measures::compute(&conn, "hl", year, now, &policy).unwrap();
    summary("county hl, last 365 days", t.elapsed().as_secs_f64() * 1000.0, &report);
}
