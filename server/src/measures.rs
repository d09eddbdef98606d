//! `linkage-server measures` (考核指标, DESIGN §5 and §9 "export measures"): the measures of one org node's
//! subtree over a period of days, with one row for the node itself and one per direct child (the county sees
//! its townships side by side), exported as CSV (UTF-8 with BOM, so Excel opens the Chinese headers) or XLSX.
//!
//! Every definition and all the arithmetic live in `linkage_protocol::rules::measures` (shared with the
//! phone's measures screen, core/src/store/measures.rs); this module only gathers the same inputs from the
//! server's tables:
//! * issues: each issue's events folded in the server's receipt order (`issue_events.rowid`) with
//!   [`lifecycle::fold_ordered`], as the op rules fold them; issues reported more than [`LOOKBACK_MS`] before
//!   the period are left out (as on the phone);
//! * directive acknowledgement: the directives issued in the period that reach the row's area, one sample per
//!   directive and level (the issuing node excluded), exactly as the phone's `ack_samples`;
//! * visit coverage: households visited on site (a first record, not an amendment) within the cadence
//!   interval ([`CadencePolicy`]). Departure from the phone's screen, which measures "now": for an export of
//!   a past period the coverage is taken **as of the end of the period** (`min(to, now)`), so a quarter's
//!   report does not change when it is exported again later. Two columns: at the row node's own level (the
//!   county: its contact households only, as for its cadence) and at branch level (网格员, every household).
//!
//! A period is given as dates in China Standard Time (UTC+8, no daylight saving), `to` inclusive: it is the
//! half-open `[from 00:00 CST, (to + 1 day) 00:00 CST)`.
//!
//! All reads run in one read-only snapshot (`crate::readtx`, on SQLite or PostgreSQL: the queries are written
//! once): a consistent state that never holds the server's writer lock, so an export can run while the server
//! serves.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Duration, FixedOffset, NaiveDate, TimeZone};
use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::model::{IssueActionKind, IssueState, OnSiteVerdict, OrgLevel};
use linkage_protocol::rules::ack_window::{self, AckWindowPolicy};
use linkage_protocol::rules::cadence::{self, CadencePolicy};
use linkage_protocol::rules::lifecycle::{self, IssueProjection};
use linkage_protocol::rules::measures::{self, AckSample, IssueHistory, IssueMeasures, LevelAckMeasure, Period, Rate};
use linkage_protocol::rules::scope;
use linkage_protocol::rules::sla::SlaRules;
use linkage_protocol::wire::{Directive, IssueEvent};
use rusqlite::{Connection, OpenFlags};

use crate::apply::NodeInfo;
use crate::error::{Error, Result};
use crate::readtx::{params, ReadTx, Reader};
use crate::sqlite::{enum_str, parse_enum};

/// The database file inside a data directory (as `SqliteStorage::open` names it).
pub const DB_FILE: &str = "linkage.db";

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Issues reported more than this long before the period starts are not considered (as on the phone): their
/// resolve deadline cannot fall in the period unless a resolve limit exceeds a year.
pub const LOOKBACK_MS: i64 = 366 * DAY_MS;

/// The levels whose acknowledgement is reported, top-down. The county never appears: only a county issues
/// to it, and the issuing node is not counted.
pub const ACK_LEVELS: [OrgLevel; 4] = [OrgLevel::Township, OrgLevel::Branch, OrgLevel::Group, OrgLevel::Household];

/// China Standard Time.
fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!("+08:00 is a valid offset"))
}

/// A period of whole days in China Standard Time, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    /// Parses `YYYY-MM-DD` dates; `from` must not be after `to`.
    pub fn parse(from: &str, to: &str) -> Result<DateRange> {
        let date = |flag: &str, s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| Error::Invalid(format!("{flag}: '{s}' is not a date (YYYY-MM-DD, China Standard Time)")))
        };
        let range = DateRange { from: date("--from", from)?, to: date("--to", to)? };
        if range.from > range.to {
            return Err(Error::Invalid(format!("--from {} is after --to {}", range.from, range.to)));
        }
        Ok(range)
    }

    /// `[from 00:00 CST, (to + 1 day) 00:00 CST)` in Unix milliseconds.
    pub fn period(&self) -> Period {
        let midnight = |d: NaiveDate| {
            let naive = d.and_hms_opt(0, 0, 0).unwrap_or_else(|| unreachable!("midnight exists"));
            cst().from_local_datetime(&naive).single().map_or(0, |t| t.timestamp_millis())
        };
        Period { from_ms: midnight(self.from), to_ms: midnight(self.to + Duration::days(1)) }
    }
}

/// The county policies the measures read (the server has no county configuration yet: the defaults, as the
/// phones use when their bundle carries none).
#[derive(Debug, Clone)]
pub struct MeasuresPolicy {
    pub sla: SlaRules,
    pub cadence: CadencePolicy,
    pub ack_windows: AckWindowPolicy,
}

impl Default for MeasuresPolicy {
    fn default() -> Self {
        MeasuresPolicy { sla: SlaRules::china_default(), cadence: CadencePolicy::default(), ack_windows: AckWindowPolicy::default() }
    }
}

impl MeasuresPolicy {
    /// The policy of a county's settings (time limits on its calendar, cadence, acknowledgement windows): the
    /// same rules its phones apply.
    pub fn for_county(config: &linkage_protocol::wire::CountyConfig) -> MeasuresPolicy {
        let r = linkage_protocol::rules::county::CountyRules::from_config(config);
        MeasuresPolicy { sla: r.sla, cadence: r.cadence, ack_windows: r.ack_windows }
    }
}

/// Households of an area and how many of them were visited on site in time, at one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitCoverage {
    /// The level whose visits count.
    pub level: OrgLevel,
    /// Its cadence interval; `None`: no cadence, a visit at any time before the as-of instant counts.
    pub interval_days: Option<u32>,
    /// Households counted (county level: the county's contact households only).
    pub households: u32,
    /// Of those, visited on site at that level within the interval before the as-of instant.
    pub visited: u32,
}

impl VisitCoverage {
    /// Visited ÷ households.
    pub fn rate(&self) -> Rate {
        Rate { numerator: self.visited, denominator: self.households }
    }
}

/// The measures of one node's area.
#[derive(Debug, Clone)]
pub struct NodeMeasures {
    pub node: NodeInfo,
    pub issues: IssueMeasures,
    /// Directives issued in the period that reach the area.
    pub directives: u32,
    /// Acknowledgement per level within the area, pooled over those directives (levels that occur).
    pub acknowledgements: Vec<LevelAckMeasure>,
    /// Coverage at the node's own level.
    pub visits: VisitCoverage,
    /// Coverage at branch level (grid workers), over every household of the area.
    pub branch_visits: VisitCoverage,
    /// Issue steps, acknowledgements (签收, of a node or recorded for a household) and task completion reports
    /// received in the period more than the allowed clock skew after the time they claim ([`LateEntry`]): the
    /// measures count the claimed times (bounded by the shared time rules), the export shows the receipt time
    /// beside them.
    pub late_entries: u32,
}

/// A step whose claimed time lies more than the allowed clock skew (10 min) before the server received it —
/// recorded offline, or written up afterwards: an issue step, a directive's acknowledgement (a node's 签收 or a
/// household's 告知登记) or a task completion report. The claimed time is what the measures count: the shared
/// time rules (`rules::times`) keep it after its predecessor and not after the receipt (plus the skew).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateEntry {
    /// The issue's id (诉求编号) or the directive's (指令编号).
    pub record_id: String,
    /// Where the step counts: the issue's path, or the acknowledging / reporting node's or household's.
    pub path: String,
    /// The step (受理, 办结, 指令签收, 任务完成情况, ...), in Chinese.
    pub action: String,
    /// For a directive's step, who it is for: the node's name or the household's id (no personal data); empty
    /// for an issue step.
    pub unit: String,
    pub claimed_at_ms: i64,
    pub received_at_ms: i64,
}

/// The steps of the area received in the period more than the skew after their claimed time, oldest receipt
/// first: issue steps, then (at equal receipt) directive acknowledgements and task reports. Rows stored before
/// the receipt time was kept (schema 9) have none and are not listed.
fn load_late_entries(conn: &ReadTx<'_>, scope_path: &str, period: Period) -> Result<Vec<LateEntry>> {
    let skew = linkage_protocol::validate::limits::FUTURE_SKEW_MS;
    let upper = scope::upper_bound(scope_path);
    let mut late = conn.query_map(
        "SELECT e.issue_id, i.path, e.action, e.at_ms, e.received_at_ms FROM issue_events e JOIN issues i ON i.id = e.issue_id
         WHERE i.path >= ?1 AND i.path < ?2 AND e.received_at_ms >= ?3 AND e.received_at_ms < ?4 AND e.received_at_ms - e.at_ms > ?5
         ORDER BY e.received_at_ms, e.rowid",
        params![scope_path, upper, period.from_ms, period.to_ms, skew],
        |r| {
            let action: String = r.get(2)?;
            let action = parse_enum::<IssueActionKind>(&action).map_or(action, |k| k.label(Locale::ZhCn).to_string());
            Ok(LateEntry { record_id: r.get(0)?, path: r.get(1)?, action, unit: String::new(), claimed_at_ms: r.get(3)?, received_at_ms: r.get(4)? })
        },
    )?;
    conn.each(
        "SELECT a.directive_id, n.path, 'node_acknowledged', n.name, a.acked_at_ms, a.received_at_ms
         FROM directive_acks a JOIN org_nodes n ON n.id = a.node_id
         WHERE n.path >= ?1 AND n.path < ?2 AND a.received_at_ms >= ?3 AND a.received_at_ms < ?4 AND a.received_at_ms - a.acked_at_ms > ?5
         UNION ALL
         SELECT a.directive_id, h.path, 'household_acknowledged', a.household_id, a.at_ms, a.received_at_ms
         FROM directive_household_acks a JOIN households h ON h.id = a.household_id
         WHERE h.path >= ?1 AND h.path < ?2 AND a.received_at_ms >= ?3 AND a.received_at_ms < ?4 AND a.received_at_ms - a.at_ms > ?5
         UNION ALL
         SELECT r.directive_id, n.path, 'task_reported', n.name, r.at_ms, r.received_at_ms
         FROM directive_task_reports r JOIN org_nodes n ON n.id = r.node_id
         WHERE n.path >= ?1 AND n.path < ?2 AND r.received_at_ms >= ?3 AND r.received_at_ms < ?4 AND r.received_at_ms - r.at_ms > ?5
         ORDER BY 6, 1, 2",
        params![scope_path, upper, period.from_ms, period.to_ms, skew],
        |r| {
            late.push(LateEntry {
                record_id: r.get(0)?,
                path: r.get(1)?,
                action: linkage_protocol::labels::op_kind_label(&r.get::<String>(2)?, Locale::ZhCn).to_string(),
                unit: r.get(3)?,
                claimed_at_ms: r.get(4)?,
                received_at_ms: r.get(5)?,
            });
            Ok(())
        },
    )?;
    // Stable: issue steps keep their receipt order ahead of directive steps received at the same instant.
    late.sort_by_key(|l| l.received_at_ms);
    Ok(late)
}

impl NodeMeasures {
    /// The acknowledgement measure of one level, if the level occurs.
    pub fn ack(&self, level: OrgLevel) -> Option<&LevelAckMeasure> {
        self.acknowledgements.iter().find(|a| a.level == level)
    }

    /// How many issues reported in the period are now in `state`.
    pub fn in_state(&self, state: IssueState) -> u32 {
        self.issues.by_state.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n)
    }
}

/// The export: the node itself first, then its direct children in path order.
#[derive(Debug, Clone)]
pub struct MeasuresReport {
    pub node: NodeInfo,
    pub dates: DateRange,
    pub period: Period,
    pub computed_at_ms: i64,
    /// The instant visit coverage is measured at: `min(period end, now)`.
    pub visits_as_of_ms: i64,
    pub rows: Vec<NodeMeasures>,
    /// Steps of the area (issue steps, directive acknowledgements, task reports) received in the period well
    /// after their claimed time, oldest receipt first.
    pub late: Vec<LateEntry>,
}

/// Opens the data directory's database read-only (the server may be running: WAL lets it write meanwhile).
pub fn open_read_only(data_dir: &Path) -> Result<Connection> {
    let path = data_dir.join(DB_FILE);
    if !path.is_file() {
        return Err(Error::NotFound(format!("database {}", path.display())));
    }
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// Computes the measures of `node_id`'s area over `dates` at `now_ms`. Issues are read from their projection
/// rows' measure columns (kept by the op rules, schema version 4): one row per issue.
pub fn compute<R: Reader + ?Sized>(conn: &R, node_id: &str, dates: DateRange, now_ms: i64, policy: &MeasuresPolicy) -> Result<MeasuresReport> {
    compute_with(conn, node_id, dates, now_ms, policy, load_issue_facts).map(|(report, _)| report)
}

/// The issue measures of one week of a report's period, for the node and each child (the console's trends).
#[derive(Debug, Clone)]
pub struct WeekMeasures {
    /// First day of the week (a Monday, or the period's first day), China Standard Time.
    pub from: NaiveDate,
    /// Last day (a Sunday, or the period's last day), inclusive.
    pub to: NaiveDate,
    /// The node's area.
    pub total: IssueMeasures,
    /// Each child's area, in the order of the report's rows after the first.
    pub children: Vec<IssueMeasures>,
}

/// [`compute`], and the same issue measures week by week (Monday to Sunday, clipped to the period) from the
/// issues read once: each issue's facts are worked out once and tallied again per week in memory, so the
/// trends cost a few passes over the facts, not a new query per week.
pub fn compute_with_weeks<R: Reader + ?Sized>(
    conn: &R,
    node_id: &str,
    dates: DateRange,
    now_ms: i64,
    policy: &MeasuresPolicy,
) -> Result<(MeasuresReport, Vec<WeekMeasures>)> {
    let (report, facts) = compute_with(conn, node_id, dates, now_ms, policy, load_issue_facts)?;
    let areas: Vec<&str> = report.rows[1..].iter().map(|r| r.node.path.as_str()).collect();
    let weeks = weeks_of(dates)
        .into_iter()
        .map(|week| {
            let (total, children) = measures::issue_measures_of_facts_by_area(&facts, &areas, week.period(), now_ms);
            WeekMeasures { from: week.from, to: week.to, total, children }
        })
        .collect();
    Ok((report, weeks))
}

/// The weeks of a period, Monday to Sunday, the first and last clipped to it.
pub fn weeks_of(dates: DateRange) -> Vec<DateRange> {
    use chrono::Datelike;
    let mut out = Vec::new();
    let mut from = dates.from;
    while from <= dates.to {
        let sunday = from + Duration::days(6 - i64::from(from.weekday().num_days_from_monday()));
        let to = sunday.min(dates.to);
        out.push(DateRange { from, to });
        from = to + Duration::days(1);
    }
    out
}

/// [`compute`] from scratch: every issue's events parsed and folded in receipt order (the definition the
/// measure columns must reproduce; tests and the benchmark compare both).
#[doc(hidden)]
pub fn compute_from_events<R: Reader + ?Sized>(conn: &R, node_id: &str, dates: DateRange, now_ms: i64, policy: &MeasuresPolicy) -> Result<MeasuresReport> {
    compute_with(conn, node_id, dates, now_ms, policy, load_facts_from_events).map(|(report, _)| report)
}

/// Reads the measure facts of the issues of an area (at `scope_path`) that a period's measures may count.
type IssueLoader = fn(&ReadTx<'_>, &str, Period, &SlaRules) -> Result<Vec<measures::IssueFacts>>;

fn compute_with<R: Reader + ?Sized>(
    conn: &R,
    node_id: &str,
    dates: DateRange,
    now_ms: i64,
    policy: &MeasuresPolicy,
    load: IssueLoader,
) -> Result<(MeasuresReport, Vec<measures::IssueFacts>)> {
    // One snapshot for every read below (either backend); nothing is written.
    conn.snapshot(|tx| compute_in(tx, node_id, dates, now_ms, policy, load))
}

fn compute_in(
    tx: &ReadTx<'_>,
    node_id: &str,
    dates: DateRange,
    now_ms: i64,
    policy: &MeasuresPolicy,
    load: IssueLoader,
) -> Result<(MeasuresReport, Vec<measures::IssueFacts>)> {
    let node = node(tx, node_id)?.ok_or_else(|| Error::NotFound(format!("node '{node_id}'")))?;
    let period = dates.period();
    let mut row_nodes = vec![node.clone()];
    row_nodes.extend(children(tx, &node.id)?);

    // Each issue's deadlines worked out once (its facts, kept for the weekly trends).
    let facts = load(tx, &node.path, period, &policy.sla)?;
    let acks = AckData::load(tx, &node.path, period)?;
    let households = load_households(tx, &node.path)?;
    let visits_as_of_ms = period.to_ms.min(now_ms);
    let last_visits = last_onsite_visits(tx, &node.path, visits_as_of_ms)?;
    let late = load_late_entries(tx, &node.path, period)?;

    // One pass over the issues' facts: each added to the node's row and its child's (equal to
    // `issue_measures_by_area` by construction).
    let areas: Vec<&str> = row_nodes[1..].iter().map(|n| n.path.as_str()).collect();
    let (total, per_child) = measures::issue_measures_of_facts_by_area(&facts, &areas, period, now_ms);
    let rows = row_nodes
        .into_iter()
        .zip(std::iter::once(total).chain(per_child))
        .map(|(n, issue_measures)| {
            let (directives, samples) = acks.samples(&n.path, &households, &policy.ack_windows);
            let coverage = |level: OrgLevel| {
                visit_coverage(&n.path, level, policy.cadence.interval_days(level), &households, &last_visits, visits_as_of_ms)
            };
            NodeMeasures {
                issues: issue_measures,
                directives,
                acknowledgements: measures::ack_measures(&samples),
                visits: coverage(n.level),
                branch_visits: coverage(OrgLevel::Branch),
                late_entries: late.iter().filter(|l| l.path.starts_with(&n.path)).count() as u32,
                node: n,
            }
        })
        .collect();
    Ok((MeasuresReport { node, dates, period, computed_at_ms: now_ms, visits_as_of_ms, rows, late }, facts))
}

/// `issues.clock` of an issue never paused nor extended (most issues): read without a JSON parse.
const PLAIN_CLOCK: &str = r#"{"suspensions":[],"extensions_days":[]}"#;

/// The facts of the issues of the area reported in `[from − LOOKBACK, to)` from their projection rows' measure
/// columns (kept by the op rules): lifecycle times, clock inputs, first escalation and return visits, one row
/// per issue — no event is read, parsed or folded. The accept deadline (working-day arithmetic: the costly
/// part with the resolve deadline) is worked out only for an issue accepted in the period, the only case in
/// which the measures of the period, or of any part of it (the weekly trends), read it; otherwise it is left
/// `None`. Likewise 支部办结 (`settled_at_branch`) is worked out only for an issue reported in the period. Every
/// other fact is as `IssueFacts::of` gives it (the equality tests compare the reports).
fn load_issue_facts(conn: &ReadTx<'_>, scope_path: &str, period: Period, rules: &SlaRules) -> Result<Vec<measures::IssueFacts>> {
    let since = period.from_ms.saturating_sub(LOOKBACK_MS);
    let mut out = Vec::new();
    // One projection reused for every row: only the fields the deadlines and 支部办结 read are set.
    let mut p = IssueProjection {
        id: String::new(),
        state: IssueState::Reported,
        category: linkage_protocol::model::IssueCategory::Other,
        urgency: linkage_protocol::model::Urgency::Normal,
        title: String::new(),
        description: String::new(),
        node_id: String::new(),
        path: String::new(),
        household_id: None,
        owner_node_id: String::new(),
        reporter_id: String::new(),
        assignee_id: None,
        rework_count: 0,
        escalation_count: 0,
        merged_into: None,
        satisfaction: None,
        location: None,
        reported_at_ms: 0,
        accepted_at_ms: None,
        assigned_at_ms: None,
        resolved_at_ms: None,
        closed_at_ms: None,
        last_hlc: String::new(),
        suspensions: Vec::new(),
        extensions_days: Vec::new(),
        pending_extension_days: None,
        supervision: None,
        overdue_step: None,
        resolved_on_spot: false,
    };
    // The area of the org tree's root (the county) holds every issue of the database: on SQLite its rows are
    // read in the table's own order (the path index kept out of the plan), a sequential
    // read, instead of one lookup through the index per issue in path order (one random page read each: 100k
    // for a county's quarter). A smaller area reads its part through the index. PostgreSQL plans for itself.
    let root = scope::ancestor_paths(scope_path).is_empty();
    // The unary `+` keeps the planner off the path index (as the feed page does, `sqlite::PAGE_SQL`).
    let path = if root && !conn.is_postgres() { "+path" } else { "path" };
    let sql = format!(
        "SELECT id, path, state, category, urgency, reported_at_ms, accepted_at_ms, resolved_at_ms, clock, escalated_at_ms, verifications,
                owner_node_id
         FROM issues WHERE {path} >= ?1 AND {path} < ?2 AND reported_at_ms >= ?3 AND reported_at_ms < ?4"
    );
    // The few distinct enum spellings, each parsed once: the columns are read as borrowed text, no `String` per
    // row but the path the facts keep.
    let (mut states, mut categories, mut urgencies) = (Names::default(), Names::default(), Names::default());
    conn.each(&sql, params![scope_path, scope::upper_bound(scope_path), since, period.to_ms], |r| {
        match r.text(8)? {
            None => return Err(Error::Corrupt(format!("issue {} has no measure columns (not backfilled)", r.get::<String>(0)?))),
            Some(PLAIN_CLOCK) => {
                p.suspensions.clear();
                p.extensions_days.clear();
            }
            Some(c) => {
                let inputs: crate::sqlite::ClockInputs = serde_json::from_str(c)?;
                p.suspensions = inputs.suspensions;
                p.extensions_days = inputs.extensions_days;
            }
        }
        p.path = r.get(1)?;
        p.state = states.parse(r.text(2)?)?;
        p.category = categories.parse(r.text(3)?)?;
        p.urgency = urgencies.parse(r.text(4)?)?;
        p.reported_at_ms = r.get(5)?;
        p.accepted_at_ms = r.get(6)?;
        p.resolved_at_ms = r.get(7)?;
        let verifications = match r.text(10)? {
            Some("[]") => Vec::new(),
            // The satisfaction by its wire name, as `parse_enum` reads it.
            v => serde_json::from_str::<Vec<(i64, linkage_protocol::model::Satisfaction)>>(v.unwrap_or_default())?,
        };
        // Only the period's measures (or a week's, inside it) read these; each is left at its neutral value
        // where none can: the accept deadline of an issue not accepted in the period, 支部办结 (it reads the
        // owner) of an issue not reported in it.
        let accept_deadline_ms =
            if p.accepted_at_ms.is_some_and(|at| period.contains(at)) { measures::accept_deadline_ms(rules, &p) } else { None };
        let settled_at_branch = period.contains(p.reported_at_ms) && p.state == IssueState::Closed && {
            p.owner_node_id.clear();
            p.owner_node_id.push_str(r.text(11)?.unwrap_or_default());
            measures::settled_at_branch(&p)
        };
        out.push(measures::IssueFacts {
            state: p.state,
            reported_at_ms: p.reported_at_ms,
            accepted_at_ms: p.accepted_at_ms,
            resolved_at_ms: p.resolved_at_ms,
            accept_deadline_ms,
            resolve_deadline_ms: measures::resolve_deadline_ms(rules, &p),
            escalated_at_ms: r.get(9)?,
            verifications,
            settled_at_branch,
            path: std::mem::take(&mut p.path),
        });
        Ok(())
    })?;
    Ok(out)
}

/// The values of one enum column met so far, by their stored spelling (a handful): each spelling parsed once.
struct Names<T>(Vec<(String, T)>);

impl<T> Default for Names<T> {
    fn default() -> Self {
        Names(Vec::new())
    }
}

impl<T: Copy + serde::de::DeserializeOwned> Names<T> {
    fn parse(&mut self, name: Option<&str>) -> Result<T> {
        let name = name.ok_or_else(|| Error::Corrupt("an enum column is NULL".into()))?;
        if let Some((_, v)) = self.0.iter().find(|(n, _)| n == name) {
            return Ok(*v);
        }
        let v = parse_enum(name)?;
        self.0.push((name.to_string(), v));
        Ok(v)
    }
}

fn node_of(r: &crate::readtx::Row<'_>) -> Result<NodeInfo> {
    Ok(NodeInfo { id: r.get(0)?, parent_id: r.get(1)?, level: parse_enum(&r.get::<String>(2)?)?, name: r.get(3)?, path: r.get(4)? })
}

fn node(conn: &ReadTx<'_>, id: &str) -> Result<Option<NodeInfo>> {
    conn.query_opt("SELECT id, parent_id, level, name, path FROM org_nodes WHERE id = ?1", params![id], node_of)
}

fn children(conn: &ReadTx<'_>, id: &str) -> Result<Vec<NodeInfo>> {
    conn.query_map("SELECT id, parent_id, level, name, path FROM org_nodes WHERE parent_id = ?1 ORDER BY path", params![id], node_of)
}

/// The facts of the issues of the area reported in `[from − LOOKBACK, to)`, from scratch: each one's events
/// folded in receipt order into its projection, its facts worked out from it and its verify and escalate
/// events (`IssueFacts::of`).
fn load_facts_from_events(conn: &ReadTx<'_>, scope_path: &str, period: Period, rules: &SlaRules) -> Result<Vec<measures::IssueFacts>> {
    Ok(load_issues_from_events(conn, scope_path, period)?
        .iter()
        .map(|(p, e)| measures::IssueFacts::of(&IssueHistory { projection: p, events: e }, rules))
        .collect())
}

/// The issues of the area reported in `[from − LOOKBACK, to)`: each one's projection (its events folded in
/// receipt order) and its verify and escalate events (the history the projection does not keep).
fn load_issues_from_events(conn: &ReadTx<'_>, scope_path: &str, period: Period) -> Result<Vec<(IssueProjection, Vec<IssueEvent>)>> {
    // Grouped by issue, each issue's events in receipt order (rowid). Ordering by the indexed path first keeps
    // the sort to the rows of one path at a time ("temp b-tree for right part of order by"), not the whole set.
    let sql = "SELECT e.issue_id, e.rowid, e.body FROM issues i JOIN issue_events e ON e.issue_id = i.id
         WHERE i.path >= ?1 AND i.path < ?2 AND i.reported_at_ms >= ?3 AND i.reported_at_ms < ?4
         ORDER BY i.path, i.id, e.rowid";
    let since = period.from_ms.saturating_sub(LOOKBACK_MS);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut group: Vec<(i64, IssueEvent)> = Vec::new();
    let mut finish = |issue_id: &str, group: &mut Vec<(i64, IssueEvent)>| -> Result<()> {
        debug_assert!(group.windows(2).all(|w| w[0].0 < w[1].0), "receipt order");
        let ordered: Vec<&IssueEvent> = group.iter().map(|(_, e)| e).collect();
        let Some((projection, skipped)) = lifecycle::fold_ordered(&ordered) else {
            return Err(Error::Corrupt(format!("issue {issue_id} does not start with its report")));
        };
        if let Some(e) = skipped.first() {
            return Err(Error::Corrupt(format!("issue {issue_id}: stored event {} no longer folds", e.event_id)));
        }
        let kept: Vec<IssueEvent> = group
            .drain(..)
            .map(|(_, e)| e)
            .filter(|e| matches!(e.action.kind(), IssueActionKind::Verify | IssueActionKind::Escalate))
            .collect();
        out.push((projection, kept));
        Ok(())
    };
    conn.each(sql, params![scope_path, scope::upper_bound(scope_path), since, period.to_ms], |row| {
        let issue_id: String = row.get(0)?;
        if current.as_deref() != Some(issue_id.as_str()) {
            if let Some(done) = current.take() {
                finish(&done, &mut group)?;
            }
            current = Some(issue_id);
        }
        let body: String = row.get(2)?;
        group.push((row.get(1)?, serde_json::from_str(&body)?));
        Ok(())
    })?;
    if let Some(done) = current {
        finish(&done, &mut group)?;
    }
    Ok(out)
}

/// A household of the area: its id, its path and whether it is one of the county's contact households.
struct HouseholdRow {
    id: String,
    path: String,
    county_contact: bool,
}

/// The households of an area in path order, so that those under any node are one contiguous run
/// ([`Households::under`]): each row of a report reads its own households, not the whole county's.
struct Households(Vec<HouseholdRow>);

impl Households {
    /// The households whose path lies under `scope_path` (paths sharing a prefix sort together).
    fn under(&self, scope_path: &str) -> &[HouseholdRow] {
        let start = self.0.partition_point(|h| h.path.as_str() < scope_path);
        let len = self.0[start..].partition_point(|h| scope::within(scope_path, &h.path));
        &self.0[start..start + len]
    }
}

fn load_households(conn: &ReadTx<'_>, scope_path: &str) -> Result<Households> {
    let mut all = Vec::new();
    conn.each("SELECT id, path, county_contact FROM households WHERE path >= ?1 AND path < ?2", params![scope_path, scope::upper_bound(scope_path)], |r| {
        all.push(HouseholdRow { id: r.get(0)?, path: r.get(1)?, county_contact: r.get(2)? });
        Ok(())
    })?;
    // Sorted here (bytewise, as `scope::within` ranges assume), not by the query: the backends' collations differ.
    all.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(Households(all))
}

/// The last on-site visit per level of one household (indexed by [`level_index`]).
type LastVisits = HashMap<String, [Option<i64>; 5]>;

fn level_index(level: OrgLevel) -> usize {
    match level {
        OrgLevel::County => 0,
        OrgLevel::Township => 1,
        OrgLevel::Branch => 2,
        OrgLevel::Group => 3,
        OrgLevel::Household => 4,
    }
}

/// The last on-site visit before `as_of_ms` per household and visitor level (a correction — an amendment —
/// is not a visit of its own, as on the phone).
fn last_onsite_visits(conn: &ReadTx<'_>, scope_path: &str, as_of_ms: i64) -> Result<LastVisits> {
    let mut out = LastVisits::new();
    conn.each(
        "SELECT household_id, visitor_level, max(started_at_ms) FROM visits
         WHERE path >= ?1 AND path < ?2 AND verdict = ?3 AND amends_visit_id IS NULL AND started_at_ms < ?4
         GROUP BY household_id, visitor_level",
        params![scope_path, scope::upper_bound(scope_path), enum_str(&OnSiteVerdict::OnSite), as_of_ms],
        |r| {
            out.entry(r.get::<String>(0)?).or_default()[level_index(parse_enum(&r.get::<String>(1)?)?)] = Some(r.get::<i64>(2)?);
            Ok(())
        },
    )?;
    Ok(out)
}

fn visit_coverage(
    scope_path: &str,
    level: OrgLevel,
    interval_days: Option<u32>,
    households: &Households,
    last_visits: &LastVisits,
    as_of_ms: i64,
) -> VisitCoverage {
    let threshold = interval_days.map_or(i64::MIN, |d| cadence::overdue_threshold_ms(as_of_ms, d));
    let mut c = VisitCoverage { level, interval_days, households: 0, visited: 0 };
    let l = level_index(level);
    for h in households.under(scope_path) {
        if level == OrgLevel::County && !h.county_contact {
            continue;
        }
        c.households += 1;
        if last_visits.get(&h.id).and_then(|v| v[l]).is_some_and(|at| at >= threshold) {
            c.visited += 1;
        }
    }
    c
}

/// One directive issued in the period that reaches the report's area, with its acknowledgements.
struct DirectiveAcks {
    issuer_node_id: String,
    target_path: String,
    issued_at_ms: i64,
    directive: Directive,
    /// Node id → acknowledged at.
    nodes: HashMap<String, i64>,
    /// Household id → acknowledged at.
    households: HashMap<String, i64>,
}

/// The directives of the period and the org nodes of the area (for the cascade's reach).
struct AckData {
    directives: Vec<DirectiveAcks>,
    /// (id, level, path) of every node of the report's area.
    nodes: Vec<(String, OrgLevel, String)>,
}

impl AckData {
    fn load(conn: &ReadTx<'_>, scope_path: &str, period: Period) -> Result<AckData> {
        let upper = scope::upper_bound(scope_path);
        let rows = conn.query_map(
            "SELECT id, issuer_node_id, target_path, body, issued_at_ms FROM directives
             WHERE issued_at_ms >= ?1 AND issued_at_ms < ?2
               AND ((target_path >= ?3 AND target_path < ?4) OR substr(?3, 1, length(target_path)) = target_path)
             ORDER BY issued_at_ms, id",
            params![period.from_ms, period.to_ms, scope_path, upper],
            |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?, r.get::<String>(3)?, r.get::<i64>(4)?)),
        )?;
        let mut directives = Vec::with_capacity(rows.len());
        for (id, issuer_node_id, target_path, body, issued_at_ms) in rows {
            let mut nodes = HashMap::new();
            conn.each("SELECT node_id, acked_at_ms FROM directive_acks WHERE directive_id = ?1", params![id], |r| {
                nodes.insert(r.get::<String>(0)?, r.get::<i64>(1)?);
                Ok(())
            })?;
            let mut households = HashMap::new();
            conn.each("SELECT household_id, at_ms FROM directive_household_acks WHERE directive_id = ?1", params![id], |r| {
                households.insert(r.get::<String>(0)?, r.get::<i64>(1)?);
                Ok(())
            })?;
            directives.push(DirectiveAcks {
                issuer_node_id,
                target_path,
                issued_at_ms,
                directive: serde_json::from_str(&body)?,
                nodes,
                households,
            });
        }
        let nodes = conn.query_map("SELECT id, level, path FROM org_nodes WHERE path >= ?1 AND path < ?2", params![scope_path, upper], |r| {
            Ok((r.get::<String>(0)?, parse_enum(&r.get::<String>(1)?)?, r.get::<String>(2)?))
        })?;
        Ok(AckData { directives, nodes })
    }

    /// The directives reaching the area at `scope_path` and one sample per directive and level: the nodes (and
    /// households) it reached inside the area, except the issuing node, with their acknowledgement latencies.
    fn samples(&self, scope_path: &str, households: &Households, policy: &AckWindowPolicy) -> (u32, Vec<AckSample>) {
        let mut count = 0;
        let mut samples = Vec::new();
        for d in &self.directives {
            // The part of the target inside the area: the deeper of the target and the area's node.
            let view = if scope::within(&d.target_path, scope_path) {
                scope_path
            } else if scope::within(scope_path, &d.target_path) {
                d.target_path.as_str()
            } else {
                continue;
            };
            count += 1;
            let window_ms = ack_window::ack_deadline_ms(d.directive.kind, d.issued_at_ms, d.directive.due_at_ms, policy).map(|t| t - d.issued_at_ms);
            let mut by_level: Vec<AckSample> = Vec::new();
            for (id, level, path) in &self.nodes {
                if *id == d.issuer_node_id || !scope::within(view, path) {
                    continue;
                }
                let i = match by_level.iter().position(|s| s.level == *level) {
                    Some(i) => i,
                    None => {
                        by_level.push(AckSample { level: *level, reached: 0, latencies_ms: vec![], window_ms });
                        by_level.len() - 1
                    }
                };
                by_level[i].reached += 1;
                if let Some(at) = d.nodes.get(id) {
                    by_level[i].latencies_ms.push(at - d.issued_at_ms);
                }
            }
            by_level.sort_by_key(|s| s.level);
            samples.extend(by_level);
            let mut household = AckSample { level: OrgLevel::Household, reached: 0, latencies_ms: vec![], window_ms };
            for h in households.under(view) {
                household.reached += 1;
                if let Some(at) = d.households.get(&h.id) {
                    household.latencies_ms.push(at - d.issued_at_ms);
                }
            }
            samples.push(household);
        }
        (count, samples)
    }
}

// ---------------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------------

/// A rate as `97.5% (39/40)`; an empty cohort as `—`.
pub fn format_rate(r: Rate) -> String {
    match r.percent() {
        Some(p) => format!("{p:.1}% ({}/{})", r.numerator, r.denominator),
        None => "—".to_string(),
    }
}

/// Milliseconds as hours with one decimal; `None` as `—`.
pub fn format_hours(ms: Option<i64>) -> String {
    ms.map_or_else(|| "—".to_string(), |ms| format!("{:.1}", ms as f64 / HOUR_MS as f64))
}

/// The column header of a state count.
fn state_header(state: IssueState) -> String {
    let label = match state.as_str() {
        "reported" => "待受理",
        "accepted" => "已受理",
        "assigned" => "已交办",
        "in_progress" => "处置中",
        "resolved" => "已办结待回访",
        "closed" => "已结案",
        "rejected" => "不予受理",
        "merged" => "已合并",
        _ => state.label(Locale::ZhCn),
    };
    format!("{label}(件)")
}

fn ack_level_name(level: OrgLevel) -> &'static str {
    match level {
        OrgLevel::Township => "乡镇",
        OrgLevel::Branch => "村",
        OrgLevel::Group => "组",
        OrgLevel::Household => "户",
        OrgLevel::County => "县",
    }
}

/// One cell of the table: counts stay numbers in XLSX.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u32),
}

impl Cell {
    /// The cell as CSV text.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.to_string(),
        }
    }
}

impl MeasuresReport {
    /// The column headers (Chinese).
    pub fn headers() -> Vec<String> {
        let mut h: Vec<String> = ["单位", "节点编号", "层级", "上报数"].iter().map(|s| (*s).to_string()).collect();
        h.extend(IssueState::ALL.iter().map(|s| state_header(*s)));
        for s in ["按期受理率", "按期办结率", "返工率", "满意率", "受理时长中位数(小时)", "办结时长中位数(小时)", "上报上级率", "指令数"] {
            h.push(s.to_string());
        }
        for level in ACK_LEVELS {
            let l = ack_level_name(level);
            h.push(format!("{l}级签收覆盖率"));
            h.push(format!("{l}级按时签收率"));
            h.push(format!("{l}级签收时长中位数(小时)"));
        }
        h.push("走访覆盖率(本级周期)".to_string());
        h.push("支部走访覆盖率".to_string());
        // After the columns it came later than, so they keep their places; 补录 stays last.
        h.push("支部办结(件)".to_string());
        h.push(LATE_HEADER.to_string());
        h
    }

    /// One row per node, in the order of [`MeasuresReport::headers`].
    pub fn table(&self) -> Vec<Vec<Cell>> {
        self.rows
            .iter()
            .map(|r| {
                let i = &r.issues;
                let mut row = vec![
                    Cell::Text(r.node.name.clone()),
                    Cell::Text(r.node.id.clone()),
                    Cell::Text(r.node.level.label(Locale::ZhCn).to_string()),
                    Cell::Count(i.reported),
                ];
                row.extend(IssueState::ALL.iter().map(|s| Cell::Count(r.in_state(*s))));
                for rate in [i.accepted_on_time, i.resolved_on_time, i.rework, i.satisfied] {
                    row.push(Cell::Text(format_rate(rate)));
                }
                row.push(Cell::Text(format_hours(i.median_accept_ms)));
                row.push(Cell::Text(format_hours(i.median_resolve_ms)));
                row.push(Cell::Text(format_rate(i.escalated)));
                row.push(Cell::Count(r.directives));
                for level in ACK_LEVELS {
                    let a = r.ack(level);
                    row.push(Cell::Text(format_rate(a.map(|a| a.coverage).unwrap_or_default())));
                    row.push(Cell::Text(format_rate(a.map(|a| a.in_time).unwrap_or_default())));
                    row.push(Cell::Text(format_hours(a.and_then(|a| a.median_latency_ms))));
                }
                row.push(Cell::Text(format_rate(r.visits.rate())));
                row.push(Cell::Text(format_rate(r.branch_visits.rate())));
                row.push(Cell::Count(i.settled_at_branch));
                row.push(Cell::Count(r.late_entries));
                row
            })
            .collect()
    }

    /// CSV, UTF-8 with a byte-order mark (Excel then reads the Chinese headers right).
    pub fn to_csv(&self) -> Result<Vec<u8>> {
        let csv_error = |e: csv::Error| Error::Io(std::io::Error::other(format!("csv: {e}")));
        let mut out = "\u{feff}".as_bytes().to_vec();
        {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(Self::headers()).map_err(csv_error)?;
            for row in self.table() {
                w.write_record(row.iter().map(Cell::text)).map_err(csv_error)?;
            }
            w.flush()?;
        }
        Ok(out)
    }

    /// The notes sheet: what was measured, and how.
    pub fn notes(&self) -> Vec<(String, String)> {
        let time = |ms: i64| {
            cst().timestamp_millis_opt(ms).single().map_or_else(|| ms.to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
        };
        let own = self.rows.first().map(|r| r.visits);
        vec![
            ("单位".into(), format!("{} ({})", self.node.name, self.node.id)),
            ("统计期间".into(), format!("{} 至 {}（北京时间，含首尾两日）", self.dates.from, self.dates.to)),
            ("计算时间".into(), time(self.computed_at_ms)),
            ("上报数 / 各状态".into(), "期内上报的诉求及其当前状态".into()),
            ("支部办结".into(), "期内上报的诉求中，由村党支部受理并在村里结案（未上报乡镇）的件数".into()),
            ("按期受理率".into(), "期内受理的诉求中，在受理时限内受理的比例".into()),
            ("按期办结率".into(), "办结时限落在期内（且已到期）的诉求中，按期办结且未被回访推翻的比例".into()),
            ("返工率 / 满意率".into(), "期内回访核实中，不满意 / 满意与基本满意的比例".into()),
            ("受理时长 / 办结时长".into(), "期内受理：受理−上报；期内办结：办结−受理（中位数，小时）".into()),
            ("上报上级率".into(), "期内受理的诉求中，期末前上报上级的比例".into()),
            ("签收覆盖率".into(), "期内下达、到达本单位范围的指令，各级单位（发令单位除外）及农户签收的比例；按时：在签收时限内".into()),
            (
                "走访覆盖率".into(),
                format!(
                    "截至 {}：本级周期内在现场走访过的户数 ÷ 户数（县级只计县级联系户；本级周期 {}）；支部走访覆盖率按支部周期 {} 天计全部农户",
                    time(self.visits_as_of_ms),
                    own.and_then(|v| v.interval_days).map_or_else(|| "不限".to_string(), |d| format!("{d} 天")),
                    self.rows.first().and_then(|r| r.branch_visits.interval_days).map_or_else(|| "不限".to_string(), |d| d.to_string()),
                ),
            ),
            (
                LATE_HEADER.into(),
                format!(
                    "期内收到、但记录的时间早于服务器接收时间 10 分钟以上的诉求环节、指令签收（含住户告知登记）和任务完成情况（离线或事后补录）：共 {} 条。指标按记录的时间计（该时间不早于前一环节、不晚于接收时间），明细（记录时间与接收时间并列）见「时间差异」表",
                    self.late.len()
                ),
            ),
            ("—".into(), "无可统计对象（分母为 0）".into()),
        ]
    }

    /// The XLSX workbook: the table on sheet 考核指标, the definitions on sheet 说明.
    pub fn to_xlsx(&self) -> Result<Vec<u8>> {
        fn xlsx(e: rust_xlsxwriter::XlsxError) -> Error {
            Error::Io(std::io::Error::other(format!("xlsx: {e}")))
        }
        let mut book = rust_xlsxwriter::Workbook::new();
        let bold = rust_xlsxwriter::Format::new().set_bold().set_text_wrap();
        let sheet = book.add_worksheet();
        sheet.set_name("考核指标").map_err(xlsx)?;
        for (c, h) in Self::headers().iter().enumerate() {
            let c = c as u16;
            sheet.write_string_with_format(0, c, h.as_str(), &bold).map_err(xlsx)?;
            sheet.set_column_width(c, if c == 0 { 16 } else { 13 }).map_err(xlsx)?;
        }
        for (r, row) in self.table().iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c as u16, s.as_str()).map_err(xlsx)?,
                    Cell::Count(n) => sheet.write_number(r, c as u16, *n).map_err(xlsx)?,
                };
            }
        }
        sheet.set_freeze_panes(1, 1).map_err(xlsx)?;
        let notes = book.add_worksheet();
        notes.set_name("说明").map_err(xlsx)?;
        notes.set_column_width(0, 20).map_err(xlsx)?;
        notes.set_column_width(1, 100).map_err(xlsx)?;
        for (r, (k, v)) in self.notes().iter().enumerate() {
            notes.write_string_with_format(r as u32, 0, k.as_str(), &bold).map_err(xlsx)?;
            notes.write_string(r as u32, 1, v.as_str()).map_err(xlsx)?;
        }
        // Claimed time beside receipt time, where they differ by more than the skew.
        let late = book.add_worksheet();
        late.set_name("时间差异").map_err(xlsx)?;
        let time = |ms: i64| cst().timestamp_millis_opt(ms).single().map_or_else(|| ms.to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string());
        for (c, h) in ["诉求或指令编号", "环节", "签收或上报单位", "记录时间", "服务器接收时间", "相差(小时)"].iter().enumerate() {
            late.write_string_with_format(0, c as u16, *h, &bold).map_err(xlsx)?;
            late.set_column_width(c as u16, if c == 0 { 40 } else { 18 }).map_err(xlsx)?;
        }
        for (r, l) in self.late.iter().enumerate() {
            let r = r as u32 + 1;
            late.write_string(r, 0, l.record_id.as_str()).map_err(xlsx)?;
            late.write_string(r, 1, l.action.as_str()).map_err(xlsx)?;
            late.write_string(r, 2, l.unit.as_str()).map_err(xlsx)?;
            late.write_string(r, 3, time(l.claimed_at_ms).as_str()).map_err(xlsx)?;
            late.write_string(r, 4, time(l.received_at_ms).as_str()).map_err(xlsx)?;
            late.write_string(r, 5, format_hours(Some(l.received_at_ms - l.claimed_at_ms)).as_str()).map_err(xlsx)?;
        }
        book.save_to_buffer().map_err(xlsx)
    }
}

/// The last column: steps (issue steps, acknowledgements, task reports) whose receipt came well after their
/// claimed time (details on sheet 时间差异).
pub const LATE_HEADER: &str = "补录环节数(接收晚于记录10分钟以上)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_china_standard_time_days_to_inclusive() {
        let r = DateRange::parse("2026-03-02", "2026-03-08").unwrap();
        // 2026-03-02 00:00 +08:00 = 2026-03-01T16:00:00Z = 1 772 380 800 000 ms; to = +7 days.
        assert_eq!(r.period(), Period { from_ms: 1_772_380_800_000, to_ms: 1_772_380_800_000 + 7 * DAY_MS });
        assert_eq!(DateRange::parse("2026-03-02", "2026-03-02").unwrap().period().to_ms - 1_772_380_800_000, DAY_MS);
        assert!(matches!(DateRange::parse("2026-3-x", "2026-03-08"), Err(Error::Invalid(m)) if m.contains("--from")));
        assert!(matches!(DateRange::parse("2026-02-30", "2026-03-08"), Err(Error::Invalid(_))));
        assert!(matches!(DateRange::parse("2026-03-09", "2026-03-08"), Err(Error::Invalid(m)) if m.contains("after")));
    }

    #[test]
    fn rates_and_hours_print_with_their_counts() {
        assert_eq!(format_rate(Rate { numerator: 39, denominator: 40 }), "97.5% (39/40)");
        assert_eq!(format_rate(Rate { numerator: 2, denominator: 3 }), "66.7% (2/3)");
        assert_eq!(format_rate(Rate::default()), "—");
        assert_eq!(format_hours(Some(HOUR_MS / 2)), "0.5");
        assert_eq!(format_hours(None), "—");
    }
}
