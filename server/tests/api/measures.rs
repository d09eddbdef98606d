//! Measures export (考核指标): a small story pushed through the real API (every op judged by the server's
//! rules), then the county's and a township's measures checked against numbers worked out by hand, the CSV
//! header row, the XLSX file and the CLI's errors.
//!
//! The fixture is the one of `common.rs` (c ─ t1 ─ b1 ─ g1, c ─ t2 ─ b2 ─ g2, the same users) with one more
//! household h3 in g1, and h1 a county contact household.

use std::io::Read;
use std::path::Path;

use linkage_protocol::hlc::Hlc;
use linkage_protocol::model::{
    AckMeans, DirectiveKind, GpsFix, IssueCategory, OnSiteVerdict, OrgLevel, RiskLevel, Satisfaction, Urgency, VisitKind,
};
use linkage_protocol::sync::OpOutcome;
use linkage_protocol::wire::{
    BundleHousehold, Directive, HouseholdAck, IssueAction, IssueEvent, IssueReport, NodeAck, OpBody, Operation,
    TaskReport, Visit,
};
use linkage_server::measures::{self, DateRange, MeasuresPolicy, MeasuresReport};

use crate::common::{household, start_with, uuid, who, TestServer};

const H: i64 = 3_600_000;
const D: i64 = 24 * H;
/// 2026-03-02 00:00 China Standard Time (a Monday) = 2026-03-01T16:00:00Z: the first day of the period.
const T0: i64 = 1_772_380_800_000;
const FROM: &str = "2026-03-02";
/// Inclusive: the period is [T0, T0 + 7 d).
const TO: &str = "2026-03-08";

const POINTS: [(&str, &str, f64, f64, bool); 3] =
    [("h1", "g1", 35.5, 109.8, true), ("h3", "g1", 35.51, 109.81, false), ("h2", "g2", 35.6, 109.9, false)];

/// The fixture server with the households of [`POINTS`] (no phone, no tags, low risk; h1 a county contact).
struct Server(TestServer);

async fn start() -> Server {
    let households = POINTS
        .iter()
        .map(|&(id, group, lat, lon, county_contact)| {
            let mut h = household(id, group, lat, lon);
            h.item = BundleHousehold { phone: None, tags: vec![], risk_level: RiskLevel::Low, county_contact, ..h.item };
            h
        })
        .collect();
    Server(start_with(households).await)
}

impl std::ops::Deref for Server {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.0
    }
}

impl Server {
    /// Signs `user` in and pushes `ops` as that user; every op must be applied.
    async fn push(&self, user: &str, ops: Vec<Operation>) {
        let token = self.0.token(user).await;
        let r = self.0.push(&token, ops).await;
        assert!(r.results.iter().all(|x| x.outcome == OpOutcome::Applied), "{user}: {r:?}");
    }

    fn report(&self, node: &str) -> MeasuresReport {
        let conn = self.storage.clone();
        // Computed long after the period: everything due in it is due.
        measures::compute(conn.as_ref(), node, DateRange::parse(FROM, TO).unwrap(), T0 + 30 * D, &MeasuresPolicy::default()).unwrap()
    }
}

fn op(at: i64, body: OpBody) -> Operation {
    Operation { op_id: uuid(), hlc: Hlc { wall_ms: at, counter: 0 }.encode("test"), body }
}

/// An issue event by a fixture user at `at`.
fn ev(user: &str, issue: &str, at: i64, action: IssueAction) -> Operation {
    let (role, node) = who(user);
    let event_id = uuid();
    let hlc = Hlc { wall_ms: at, counter: 0 }.encode("test");
    Operation {
        op_id: event_id.clone(),
        hlc: hlc.clone(),
        body: OpBody::IssueEvent(IssueEvent {
            event_id,
            issue_id: issue.into(),
            actor_id: user.into(),
            actor_role: role,
            actor_node_id: node.into(),
            actor_name: None,
            hlc,
            at_ms: at,
            action,
        }),
    }
}

/// A 特急 report (accept within 2 calendar hours, resolve within 24 after acceptance) about a household.
fn report(user: &str, issue: &str, household: &str, at: i64) -> Operation {
    let (group, path, owner) = match household {
        "h1" => ("g1", "/c/t1/b1/g1/h1/", "t1"),
        "h3" => ("g1", "/c/t1/b1/g1/h3/", "t1"),
        _ => ("g2", "/c/t2/b2/g2/h2/", "t2"),
    };
    ev(
        user,
        issue,
        at,
        IssueAction::Report(IssueReport {
            category: IssueCategory::SafetyHazard,
            urgency: Urgency::Critical,
            title: "电线老化存在隐患".into(),
            description: String::new(),
            node_id: group.into(),
            path: path.into(),
            household_id: Some(household.into()),
            owner_node_id: owner.into(),
            location: None,
            evidence: vec![],
        }),
    )
}

fn accept() -> IssueAction {
    IssueAction::Accept
}
fn assign() -> IssueAction {
    IssueAction::Assign { assignee_id: "gw1".into() }
}
fn resolve() -> IssueAction {
    IssueAction::Resolve { note: "已处置".into(), evidence: vec![] }
}
fn verify(satisfaction: Satisfaction) -> IssueAction {
    IssueAction::Verify { satisfaction, note: "电话回访".into() }
}

/// A visit by `user` to a household at `at`, the fix `offset` degrees from the household's point.
fn visit(user: &str, household: &str, at: i64, offset: f64) -> Operation {
    let (_, _, lat, lon, _) = POINTS.iter().copied().find(|p| p.0 == household).unwrap();
    let level = match who(user).1 {
        "c" => OrgLevel::County,
        n if n.starts_with('t') => OrgLevel::Township,
        n if n.starts_with('b') => OrgLevel::Branch,
        _ => OrgLevel::Group,
    };
    op(
        at + 15 * 60_000,
        OpBody::VisitRecorded(Visit {
            id: uuid(),
            household_id: household.into(),
            visitor_id: user.into(),
            visitor_level: level,
            kind: VisitKind::Routine,
            started_at_ms: at,
            ended_at_ms: at + 15 * 60_000,
            fix: Some(GpsFix { lat: lat + offset, lon, accuracy_m: 10.0, fix_time_ms: at + 14 * 60_000, mocked: false }),
            distance_m: None,
            verdict: OnSiteVerdict::NoFix,
            notes: "家中安好".into(),
            evidence: vec![],
            issue_id: None,
            amends_visit_id: None,
        }),
    )
}

fn node_ack(user: &str, directive: &str, at: i64) -> Operation {
    let node = who(user).1;
    op(at, OpBody::NodeAcknowledged(NodeAck { directive_id: directive.into(), node_id: node.into(), user_id: user.into(), at_ms: at }))
}

/// The story, in the order the phones push it. Times are offsets from T0 (the period is [T0, T0 + 7 d)).
async fn story(s: &Server) {
    // A (t1, h1): reported +1h, accepted +4h (3 h > 2 h: late), resolved +10h (deadline +4h+24h = +28h: on
    // time), 满意 → closed.
    s.push("lh1", vec![report("lh1", "A", "h1", T0 + H)]).await;
    s.push("ts1", vec![ev("ts1", "A", T0 + 4 * H, accept()), ev("ts1", "A", T0 + 5 * H, assign())]).await;
    s.push("gw1", vec![ev("gw1", "A", T0 + 6 * H, IssueAction::Start), ev("gw1", "A", T0 + 10 * H, resolve())]).await;
    s.push("ts1", vec![ev("ts1", "A", T0 + 11 * H, verify(Satisfaction::Satisfied))]).await;

    // B (t1, h3): reported +1d, accepted +1d1h (on time; resolve deadline +2d1h), resolved +1d5h, 不满意 →
    // rework; resolved again +2d5h (past the deadline: late), 满意 → closed.
    s.push("gw1", vec![report("gw1", "B", "h3", T0 + D)]).await;
    s.push("ts1", vec![ev("ts1", "B", T0 + D + H, accept()), ev("ts1", "B", T0 + D + 2 * H, assign())]).await;
    s.push("gw1", vec![ev("gw1", "B", T0 + D + 3 * H, IssueAction::Start), ev("gw1", "B", T0 + D + 5 * H, resolve())]).await;
    s.push("ts1", vec![ev("ts1", "B", T0 + D + 6 * H, verify(Satisfaction::Dissatisfied))]).await;
    s.push("gw1", vec![ev("gw1", "B", T0 + D + 7 * H, IssueAction::Start), ev("gw1", "B", T0 + 2 * D + 5 * H, resolve())]).await;
    s.push("ts1", vec![ev("ts1", "B", T0 + 2 * D + 6 * H, verify(Satisfaction::Satisfied))]).await;

    // C (t1, h1): reported +2d, accepted +2d1h (on time; deadline +3d1h), escalated to the county +2d2h; the
    // county assigns, gw1 resolves +3d (on time), the county's return visit: 基本满意 → closed.
    s.push("lh1", vec![report("lh1", "C", "h1", T0 + 2 * D)]).await;
    let escalate = IssueAction::Escalate { reason: "需县级协调".into(), to_node_id: "c".into() };
    s.push("ts1", vec![ev("ts1", "C", T0 + 2 * D + H, accept()), ev("ts1", "C", T0 + 2 * D + 2 * H, escalate)]).await;
    s.push("cs", vec![ev("cs", "C", T0 + 2 * D + 3 * H, assign())]).await;
    s.push("gw1", vec![ev("gw1", "C", T0 + 2 * D + 4 * H, IssueAction::Start), ev("gw1", "C", T0 + 3 * D, resolve())]).await;
    s.push("cs", vec![ev("cs", "C", T0 + 3 * D + 2 * H, verify(Satisfaction::BasicallySatisfied))]).await;

    // t2: D reported +3d, never accepted; E reported +3d1h, rejected; F reported +4d, accepted after 30 min
    // (on time), never resolved (deadline +5d30m, inside the period: late).
    s.push("lh2", vec![report("lh2", "D", "h2", T0 + 3 * D), report("lh2", "E", "h2", T0 + 3 * D + H), report("lh2", "F", "h2", T0 + 4 * D)])
        .await;
    let reject = IssueAction::Reject { reason: "不属于受理范围".into() };
    s.push("ts2", vec![ev("ts2", "E", T0 + 3 * D + 2 * H, reject), ev("ts2", "F", T0 + 4 * D + H / 2, accept())]).await;

    // A 预警 from the county to the whole county at +1d (window 2 h): t1 signs after 1 h, b1 after 3 h, g1
    // after 4 h, g1 records h1 after 5 h. t2 (and everything below it) stays silent.
    let alert = Directive {
        id: "alert-1".into(),
        issuer_id: "cs".into(),
        issuer_node_id: "c".into(),
        target_node_id: "c".into(),
        kind: DirectiveKind::Alert,
        title: "森林防火高火险预警".into(),
        body: "严禁野外用火".into(),
        due_at_ms: None,
        issued_at_ms: T0 + D,
        evidence: vec![],
    };
    s.push("cs", vec![op(T0 + D, OpBody::DirectiveIssued(alert))]).await;
    s.push("ts1", vec![node_ack("ts1", "alert-1", T0 + D + H)]).await;
    s.push("gw1", vec![node_ack("gw1", "alert-1", T0 + D + 3 * H)]).await;
    let h1_ack = HouseholdAck { directive_id: "alert-1".into(), household_id: "h1".into(), means: AckMeans::Phone, user_id: "lh1".into(), at_ms: T0 + D + 5 * H };
    s.push("lh1", vec![node_ack("lh1", "alert-1", T0 + D + 4 * H), op(T0 + D + 5 * H, OpBody::HouseholdAcknowledged(h1_ack))]).await;

    // Visits: gw1 on site at h1 (+1d) and 0.01° (≈ 1.1 km) away from h3 (too far: not a visit on site); the
    // county at its contact household h1 (+2d); gw2 on site at h2 at +10d, after the period.
    s.push("gw1", vec![visit("gw1", "h1", T0 + D, 0.0), visit("gw1", "h3", T0 + D, 0.01)]).await;
    s.push("cs", vec![visit("cs", "h1", T0 + 2 * D, 0.0)]).await;
    s.push("gw2", vec![visit("gw2", "h2", T0 + 10 * D, 0.0)]).await;
}

fn texts(report: &MeasuresReport) -> Vec<Vec<String>> {
    report.table().iter().map(|row| row.iter().map(|c| c.text()).collect()).collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_string()).collect()
}

const HEADER: &str = "单位,节点编号,层级,上报数,待受理(件),已受理(件),已交办(件),处置中(件),已办结待回访(件),已结案(件),不予受理(件),已合并(件),\
按期受理率,按期办结率,返工率,满意率,受理时长中位数(小时),办结时长中位数(小时),上报上级率,指令数,\
乡镇级签收覆盖率,乡镇级按时签收率,乡镇级签收时长中位数(小时),村级签收覆盖率,村级按时签收率,村级签收时长中位数(小时),\
组级签收覆盖率,组级按时签收率,组级签收时长中位数(小时),户级签收覆盖率,户级按时签收率,户级签收时长中位数(小时),\
走访覆盖率(本级周期),支部走访覆盖率,支部办结(件),补录环节数(接收晚于记录10分钟以上)";

#[tokio::test]
async fn hand_computed_measures_for_the_county_and_its_townships() {
    let s = start().await;
    story(&s).await;
    let county = s.report("c");
    assert_eq!(county.period.from_ms, T0);
    assert_eq!(county.period.to_ms, T0 + 7 * D);
    assert_eq!(county.visits_as_of_ms, T0 + 7 * D);
    let table = texts(&county);
    assert_eq!(table.len(), 3, "the county, then t1 and t2");

    // County (A B C D E F).
    //   reported 6; now D 上报, F 受理, A B C 结案, E 不予受理.
    //   accepted in the period: A (3 h, late) B (1 h) C (1 h) F (0.5 h) → on time 3/4; accept times sorted
    //   0.5 1 1 3 → median (1 + 1) / 2 = 1.0 h.
    //   due for resolution: A (+28h), B (+2d1h), C (+3d1h), F (+5d30m) = 4; on time A (+10h), C (+3d) → 2/4
    //   (B's current resolution +2d5h is late, F is unresolved).
    //   return visits: A 满意, B 不满意, B 满意, C 基本满意 = 4 → 返工 1/4, 满意 3/4.
    //   current resolutions in the period: A 10h−4h = 6 h, B (2d5h − 1d1h) = 28 h, C (3d − 2d1h) = 23 h →
    //   median 23.0 h. Escalated: C of the 4 accepted → 1/4.
    //   alert (issuer c excluded): townships t1 t2 → 1/2, in time (1 h ≤ 2 h) 1/2, median 1.0 h; branches b1 b2
    //   → 1/2, in time 0/2 (3 h), 3.0 h; groups g1 g2 → 1/2, 0/2, 4.0 h; households h1 h2 h3 → 1/3, 0/3, 5.0 h.
    //   visits as of +7d: county contact households {h1}, visited by the county at +2d (≤ 90 d) → 1/1; branch
    //   level over h1 h2 h3: h1 on site (+1d), h3 too far, h2 only at +10d (after the end) → 1/3.
    #[rustfmt::skip]
    assert_eq!(table[0], row(&[
        "节点c", "c", "县", "6", "1", "1", "0", "0", "0", "3", "1", "0",
        "75.0% (3/4)", "50.0% (2/4)", "25.0% (1/4)", "75.0% (3/4)", "1.0", "23.0", "25.0% (1/4)", "1",
        "50.0% (1/2)", "50.0% (1/2)", "1.0", "50.0% (1/2)", "0.0% (0/2)", "3.0",
        "50.0% (1/2)", "0.0% (0/2)", "4.0", "33.3% (1/3)", "0.0% (0/3)", "5.0",
        "100.0% (1/1)", "33.3% (1/3)",
        // 支部办结: none of these issues was owned by a branch.
        "0",
        // No step of the period was received in it (pushed long after): nothing late to show.
        "0",
    ]));
    // t1 (A B C): 3 reported, all closed; accepted on time B C of A B C → 2/3, median of 3 1 1 = 1.0 h;
    //   resolved on time A C of A B C → 2/3, median of 6 28 23 = 23.0 h; return visits as the county's 4;
    //   escalated C → 1/3. Alert within t1: t1 itself 1/1 (in time), b1 1/1 (late), g1 1/1 (late), households
    //   h1 h3 → 1/2. Township visits (180 d): none → 0/2; branch visits: h1 of h1 h3 → 1/2.
    #[rustfmt::skip]
    assert_eq!(table[1], row(&[
        "节点t1", "t1", "乡镇", "3", "0", "0", "0", "0", "0", "3", "0", "0",
        "66.7% (2/3)", "66.7% (2/3)", "25.0% (1/4)", "75.0% (3/4)", "1.0", "23.0", "33.3% (1/3)", "1",
        "100.0% (1/1)", "100.0% (1/1)", "1.0", "100.0% (1/1)", "0.0% (0/1)", "3.0",
        "100.0% (1/1)", "0.0% (0/1)", "4.0", "50.0% (1/2)", "0.0% (0/2)", "5.0",
        "0.0% (0/2)", "50.0% (1/2)",
        // 支部办结, then 补录.
        "0",
        "0",
    ]));
    // t2 (D E F): D 上报, F 受理, E 不予受理; accepted F on time → 1/1, 0.5 h; due F, unresolved → 0/1; no
    //   resolution, no return visit → —; not escalated → 0/1. The silent township: t2 b2 g2 h2 all 0/1.
    #[rustfmt::skip]
    assert_eq!(table[2], row(&[
        "节点t2", "t2", "乡镇", "3", "1", "1", "0", "0", "0", "0", "1", "0",
        "100.0% (1/1)", "0.0% (0/1)", "—", "—", "0.5", "—", "0.0% (0/1)", "1",
        "0.0% (0/1)", "0.0% (0/1)", "—", "0.0% (0/1)", "0.0% (0/1)", "—",
        "0.0% (0/1)", "0.0% (0/1)", "—", "0.0% (0/1)", "0.0% (0/1)", "—",
        "0.0% (0/1)", "0.0% (0/1)",
        // 支部办结, then 补录.
        "0",
        "0",
    ]));

    // The township's own export: itself (the same row as in the county's) and its branch b1.
    let t1 = s.report("t1");
    let t1_table = texts(&t1);
    assert_eq!(t1.rows.iter().map(|r| r.node.id.as_str()).collect::<Vec<_>>(), ["t1", "b1"]);
    assert_eq!(t1_table[0], table[1]);
    // b1's own level is the branch: both coverage columns are the branch's 1/2.
    assert_eq!(t1_table[1][32..], row(&["50.0% (1/2)", "50.0% (1/2)", "0", "0"])[..]);

    // A period before anything happened: zero counts, every rate —.
    let conn = s.storage.clone();
    let empty = measures::compute(conn.as_ref(), "c", DateRange::parse("2026-01-01", "2026-01-31").unwrap(), T0 + 30 * D, &MeasuresPolicy::default()).unwrap();
    let e = &texts(&empty)[0];
    assert_eq!((e[3].as_str(), e[12].as_str(), e[19].as_str()), ("0", "—", "0"));

    // Unknown node.
    let err = measures::compute(conn.as_ref(), "nowhere", DateRange::parse(FROM, TO).unwrap(), T0, &MeasuresPolicy::default()).unwrap_err();
    assert_eq!(err.to_string(), "node 'nowhere' not found");
}

#[tokio::test]
async fn csv_has_a_bom_and_chinese_headers_and_xlsx_is_a_workbook() {
    let s = start().await;
    story(&s).await;
    let report = s.report("c");
    let csv = report.to_csv().unwrap();
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF", "UTF-8 byte-order mark");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], HEADER);
    assert_eq!(lines[0].split(',').count(), MeasuresReport::headers().len());
    assert_eq!(lines.len(), 4, "header + county + 2 townships");
    assert!(lines[1].starts_with("节点c,c,县,6,1,1,0,0,0,3,1,0,75.0% (3/4),50.0% (2/4),"), "{}", lines[1]);

    let xlsx = report.to_xlsx().unwrap();
    assert_eq!(&xlsx[..2], b"PK", "an XLSX file is a zip archive");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut strings = String::new();
    zip.by_name("xl/sharedStrings.xml").unwrap().read_to_string(&mut strings).unwrap();
    for needle in ["按期办结率", "返工率", "满意率", "节点t2", "75.0% (3/4)", "统计期间"] {
        assert!(strings.contains(needle), "{needle} missing from the shared strings");
    }
    let mut workbook = String::new();
    zip.by_name("xl/workbook.xml").unwrap().read_to_string(&mut workbook).unwrap();
    assert!(workbook.contains("考核指标") && workbook.contains("说明"), "{workbook}");
}

fn cli(dir: &Path, database: Option<&str>, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_linkage-server"))
        .args(database.map(|d| vec!["--database", d]).unwrap_or_default())
        .arg("measures")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_cli_writes_both_formats_and_explains_bad_input() {
    let s = start().await;
    story(&s).await;
    let dir = s.dir.path();
    let db = s.database.as_deref();
    // CSV to stdout.
    let out = cli(dir, db, &["--node", "c", "--from", FROM, "--to", TO, "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.starts_with("\u{feff}单位,节点编号,".as_bytes()));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 4);
    // XLSX to a file.
    let file = dir.join("q1.xlsx");
    let out = cli(dir, db, &["--node", "t1", "--from", FROM, "--to", TO, "--format", "xlsx", "--out", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(&std::fs::read(&file).unwrap()[..2], b"PK");
    // Errors.
    let err = |args: &[&str]| {
        let out = cli(dir, db, args);
        assert!(!out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    assert!(err(&["--node", "x9", "--from", FROM, "--to", TO]).contains("node 'x9' not found"));
    assert!(err(&["--node", "c", "--from", "2026-02-30", "--to", TO]).contains("--from: '2026-02-30' is not a date"));
    assert!(err(&["--node", "c", "--from", "2026-03-09", "--to", "2026-03-08"]).contains("--from 2026-03-09 is after --to 2026-03-08"));
    if db.is_none() {
        let missing = tempfile::tempdir().unwrap();
        assert!(err_in(missing.path()).contains("not found"));
        assert!(!missing.path().join(measures::DB_FILE).exists(), "a missing database is not created");
    }
}

fn err_in(dir: &Path) -> String {
    let out = cli(dir, None, &["--node", "c", "--from", FROM, "--to", TO]);
    assert!(!out.status.success());
    String::from_utf8(out.stderr).unwrap()
}

/// Property: after random issue histories pushed through the op rules (random actors and actions — escalations,
/// pauses, extensions, failed return visits —, the refused ones dropped), the measures read from the issues' measure columns equal the measures computed from scratch
/// by folding every event, for the county and each township, over several periods and "now"s.
#[tokio::test]
async fn measure_columns_equal_the_fold_of_every_event_over_random_histories() {
    let s = start().await;
    let seed = std::cell::Cell::new(0x853c_49e6_748f_ea9bu64);
    let next = |n: u64| {
        let mut x = seed.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        seed.set(x);
        x % n
    };
    let mut tokens = std::collections::HashMap::new();
    for user in ["lh1", "lh2", "ts1", "ts2", "gw1", "gw2", "cs"] {
        tokens.insert(user, s.0.token(user).await);
    }
    let mut applied = 0;
    for i in 0..40 {
        let issue = format!("00000000-0000-7000-8000-{i:012}");
        let (reporter, household, township, worker) =
            if next(2) == 0 { ("lh1", ["h1", "h3"][next(2) as usize], "ts1", "gw1") } else { ("lh2", "h2", "ts2", "gw2") };
        let mut at = T0 - 3 * D + next(10 * D as u64) as i64;
        let mut ops = vec![(reporter, report(reporter, &issue, household, at))];
        // A plausible story with random stops, delays, escalations and failed return visits (the odd refused
        // step is dropped).
        let mut step = |ops: &mut Vec<(&'static str, Operation)>, user: &'static str, action: IssueAction| {
            at += next(2 * D as u64) as i64;
            ops.push((user, ev(user, &issue, at, action)));
        };
        'story: {
            if next(8) == 0 {
                break 'story;
            }
            step(&mut ops, township, accept());
            let mut resolver = township;
            if next(4) == 0 {
                step(&mut ops, township, IssueAction::Escalate { reason: "需县里协调".into(), to_node_id: "c".into() });
                resolver = "cs";
            }
            // The time-limit clock's inputs: a pause (挂起, now and then left open) and a 延期 the county
            // approves or refuses.
            if next(3) == 0 {
                step(&mut ops, resolver, IssueAction::Suspend { reason: "等待材料".into() });
                if next(4) != 0 {
                    step(&mut ops, resolver, IssueAction::Resume);
                }
            }
            if next(3) == 0 {
                step(&mut ops, resolver, IssueAction::RequestExtension { working_days: 1 + next(5) as u32, reason: "需协调".into() });
                step(&mut ops, "cs", IssueAction::DecideExtension { approved: next(3) != 0, note: String::new() });
            }
            for _round in 0..2 {
                if next(5) == 0 {
                    break 'story;
                }
                if resolver == township {
                    step(&mut ops, township, IssueAction::Assign { assignee_id: worker.into() });
                    step(&mut ops, worker, IssueAction::Start);
                    step(&mut ops, worker, resolve());
                } else {
                    step(&mut ops, "cs", resolve());
                }
                if next(4) == 0 {
                    break 'story;
                }
                let verdict = [Satisfaction::Satisfied, Satisfaction::BasicallySatisfied, Satisfaction::Dissatisfied][next(3) as usize];
                step(&mut ops, resolver, verify(verdict));
                if verdict != Satisfaction::Dissatisfied {
                    break 'story;
                }
            }
        }
        for (user, op) in ops {
            let r = s.0.push(&tokens[user], vec![op]).await;
            applied += usize::from(r.results[0].outcome == OpOutcome::Applied);
        }
    }
    assert!(applied > 120, "the histories go beyond their reports: {applied} ops applied");
    let conn = s.storage.clone();
    // Some clocks were paused or extended (their inputs are parsed; the others' are not).
    let clocked = linkage_server::readtx::read(conn.as_ref(), |tx| {
        tx.query_row(
            "SELECT count(*) FROM issues WHERE clock <> ?1",
            linkage_server::readtx::params![r#"{"suspensions":[],"extensions_days":[]}"#],
            |r| r.get::<u32>(0),
        )
    })
    .unwrap();
    assert!(clocked > 3, "{clocked} issues paused or extended");
    let policy = MeasuresPolicy::default();
    for (from, to) in [(FROM, TO), ("2026-02-20", "2026-03-20"), ("2026-03-04", "2026-03-05")] {
        let dates = DateRange::parse(from, to).unwrap();
        for now in [T0 + D, T0 + 4 * D, T0 + 40 * D] {
            for node in ["c", "t1", "t2"] {
                let fast = measures::compute(conn.as_ref(), node, dates, now, &policy).unwrap();
                let scratch = measures::compute_from_events(conn.as_ref(), node, dates, now, &policy).unwrap();
                assert_eq!(format!("{:?}", fast.rows), format!("{:?}", scratch.rows), "{node} {from}..{to} at {now}");
            }
        }
    }
}

/// Steps recorded offline show their receipt time beside the claimed one: counted per row (the last column) and
/// listed on the XLSX sheet 时间差异; a step received at once is not listed.
#[tokio::test]
async fn steps_received_well_after_their_claimed_time_show_both_times() {
    let s = start().await;
    let now = chrono::Utc::now().timestamp_millis();
    // Reported 3 h ago and accepted 2 h ago on a phone without signal, both received now; then 办结 at once.
    s.push("lh1", vec![report("lh1", "late", "h1", now - 3 * H)]).await;
    s.push("ts1", vec![ev("ts1", "late", now - 2 * H, accept()), ev("ts1", "late", now, resolve())]).await;
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).format("%Y-%m-%d").to_string();
    let conn = s.storage.clone();
    let report = measures::compute(conn.as_ref(), "c", DateRange::parse(&today, &today).unwrap(), now + H, &MeasuresPolicy::default()).unwrap();
    let steps: Vec<(&str, i64)> = report.late.iter().map(|l| (l.action.as_str(), l.claimed_at_ms)).collect();
    assert_eq!(steps, vec![("上报", now - 3 * H), ("受理", now - 2 * H)]);
    assert!(report.late.iter().all(|l| l.record_id == "late" && l.unit.is_empty() && l.received_at_ms >= now && l.received_at_ms - l.claimed_at_ms > 10 * 60_000));
    let counts: Vec<(&str, u32)> = report.rows.iter().map(|r| (r.node.id.as_str(), r.late_entries)).collect();
    assert_eq!(counts, vec![("c", 2), ("t1", 2), ("t2", 0)]);
    // The table's last column and the workbook's sheet carry them.
    let csv = String::from_utf8(report.to_csv().unwrap()[3..].to_vec()).unwrap();
    let county = csv.lines().nth(1).unwrap();
    assert!(county.ends_with(",2"), "{county}");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(report.to_xlsx().unwrap())).unwrap();
    let mut workbook = String::new();
    zip.by_name("xl/workbook.xml").unwrap().read_to_string(&mut workbook).unwrap();
    assert!(workbook.contains("时间差异"), "{workbook}");
    let mut strings = String::new();
    zip.by_name("xl/sharedStrings.xml").unwrap().read_to_string(&mut strings).unwrap();
    for needle in ["服务器接收时间", "记录时间", "受理", "3.0", "2.0"] {
        assert!(strings.contains(needle), "{needle} missing from the shared strings");
    }
}

/// Acknowledgements (a node's 签收, a household's 告知登记) and task completion reports recorded offline show
/// their receipt time beside the claimed one too: in the last column and on sheet 时间差异, with the unit they
/// are for; an acknowledgement received at once is not listed.
#[tokio::test]
async fn acknowledgements_and_task_reports_received_well_after_their_claimed_time_show_both_times() {
    let s = start().await;
    let now = chrono::Utc::now().timestamp_millis();
    let directive = |id: &str, kind: DirectiveKind, at: i64| Directive {
        id: id.into(),
        issuer_id: "cs".into(),
        issuer_node_id: "c".into(),
        target_node_id: "c".into(),
        kind,
        title: "防汛安全排查".into(),
        body: "逐户排查危房".into(),
        due_at_ms: (kind == DirectiveKind::Task).then_some(now + 2 * D),
        issued_at_ms: at,
        evidence: vec![],
    };
    s.push("cs", vec![op(now - 5 * H, OpBody::DirectiveIssued(directive("alert-late", DirectiveKind::Alert, now - 5 * H)))]).await;
    s.push("cs", vec![op(now - 5 * H, OpBody::DirectiveIssued(directive("task-late", DirectiveKind::Task, now - 5 * H)))]).await;
    // Offline: t1 signed for the task 4 h ago and reported it done 3 h ago; g1 signed for the alert 2 h ago and
    // recorded h1 told 1 h ago. b1 signs for the alert now (not listed). All received now.
    let report = TaskReport {
        directive_id: "task-late".into(),
        node_id: "t1".into(),
        user_id: "ts1".into(),
        at_ms: now - 3 * H,
        note: "已完成排查".into(),
        evidence: vec![],
    };
    s.push("ts1", vec![node_ack("ts1", "task-late", now - 4 * H), op(now - 3 * H, OpBody::TaskReported(report))]).await;
    let h1 = HouseholdAck { directive_id: "alert-late".into(), household_id: "h1".into(), means: AckMeans::Phone, user_id: "lh1".into(), at_ms: now - H };
    s.push("lh1", vec![node_ack("lh1", "alert-late", now - 2 * H), op(now - H, OpBody::HouseholdAcknowledged(h1))]).await;
    s.push("gw1", vec![node_ack("gw1", "alert-late", now)]).await;

    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).format("%Y-%m-%d").to_string();
    let conn = s.storage.clone();
    let report = measures::compute(conn.as_ref(), "c", DateRange::parse(&today, &today).unwrap(), now + H, &MeasuresPolicy::default()).unwrap();
    let mut steps: Vec<(&str, &str, &str, i64)> =
        report.late.iter().map(|l| (l.record_id.as_str(), l.action.as_str(), l.unit.as_str(), l.claimed_at_ms)).collect();
    steps.sort_by_key(|s| s.3);
    assert_eq!(
        steps,
        vec![
            ("task-late", "指令签收", "节点t1", now - 4 * H),
            ("task-late", "任务完成情况", "节点t1", now - 3 * H),
            ("alert-late", "指令签收", "节点g1", now - 2 * H),
            ("alert-late", "住户告知登记", "h1", now - H),
        ]
    );
    assert!(report.late.iter().all(|l| l.received_at_ms >= now && l.received_at_ms - l.claimed_at_ms > 10 * 60_000));
    assert!(report.late.windows(2).all(|w| w[0].received_at_ms <= w[1].received_at_ms), "oldest receipt first");
    let counts: Vec<(&str, u32)> = report.rows.iter().map(|r| (r.node.id.as_str(), r.late_entries)).collect();
    assert_eq!(counts, vec![("c", 4), ("t1", 4), ("t2", 0)]);
    // The township's own export lists only its area's steps.
    let t1 = measures::compute(conn.as_ref(), "t1", DateRange::parse(&today, &today).unwrap(), now + H, &MeasuresPolicy::default()).unwrap();
    assert_eq!(t1.late.len(), 4);
    let t2 = measures::compute(conn.as_ref(), "t2", DateRange::parse(&today, &today).unwrap(), now + H, &MeasuresPolicy::default()).unwrap();
    assert!(t2.late.is_empty(), "{:?}", t2.late);

    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(report.to_xlsx().unwrap())).unwrap();
    let mut strings = String::new();
    zip.by_name("xl/sharedStrings.xml").unwrap().read_to_string(&mut strings).unwrap();
    for needle in ["诉求或指令编号", "签收或上报单位", "服务器接收时间", "task-late", "指令签收", "任务完成情况", "住户告知登记", "节点g1", "4.0", "1.0"] {
        assert!(strings.contains(needle), "{needle} missing from the shared strings");
    }
}
