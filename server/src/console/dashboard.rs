//! The console's dashboard (工作台, issue #14 point 3): the measures of DESIGN §5 for the signed-in user's node
//! (or a node of its area) and each of its children — 按期受理率, 按期办结率, 返工率, 满意率, median times,
//! escalation rate, directive acknowledgement per level, visit coverage — each lit green/yellow/red by the
//! shared targets (`rules::targets`), the same figures week by week, and the children ranked.
//!
//! Every figure is computed by `measures::compute_with_weeks` (the CLI export's code: the same numbers), in one
//! read transaction; the weekly trends reuse the issues read once (no query per week). Each figure names the
//! list behind it (`cohort`, and `misses` for the part that missed the target) as an issues-page filter
//! (`console/src/router.ts`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::MethodFilter;
use chrono::{Datelike, NaiveDate};
use linkage_protocol::model::{IssueState, OrgLevel};
use linkage_protocol::rules::measures::{IssueMeasures, Rate};
use linkage_protocol::rules::sla::Light;
use linkage_protocol::rules::targets::{self, MeasureKind};
use linkage_protocol::sync::ErrorCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::session::{level_label, ConsoleNode, ConsoleUser};
use crate::api::{ApiError, ApiResult, AppState, Routes};
use crate::measures::{self, DateRange, MeasuresPolicy, NodeMeasures};
use crate::openapi::{Body, Route, Success};

pub const DASHBOARD_PATH: &str = "/v1/console/dashboard";

/// Longest period a dashboard covers (a year and a day: any quarter or year fits).
pub const MAX_DAYS: i64 = 367;

/// `GET /v1/console/dashboard` query.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct DashboardParams {
    /// The node whose area to show (default: the user's node); must lie in the user's area.
    #[schemars(length(min = 1, max = 64), regex(pattern = linkage_protocol::sync::ID_PATTERN))]
    pub node: Option<String>,
    /// First day, YYYY-MM-DD (China Standard Time). Default: the first day of the current quarter. After `to`:
    /// the two are swapped; more than a year before `to`: the period is cut to the year ending at `to`.
    #[schemars(extend("format" = "date"))]
    pub from: Option<String>,
    /// Last day (inclusive). Default: today.
    #[schemars(extend("format" = "date"))]
    pub to: Option<String>,
}

/// A traffic light of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FigureLight {
    Green,
    Yellow,
    Red,
    /// Nothing to judge (an empty cohort, or a figure without a target).
    None,
}

impl From<Light> for FigureLight {
    fn from(l: Light) -> FigureLight {
        match l {
            Light::Green => FigureLight::Green,
            Light::Yellow => FigureLight::Yellow,
            Light::Red => FigureLight::Red,
            Light::None => FigureLight::None,
        }
    }
}

/// One figure of a row: a rate (numerator of denominator), a duration or a count.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Figure {
    /// Stable key: `accepted_on_time`, `resolved_on_time`, `rework`, `satisfied`, `escalated`,
    /// `median_accept_hours`, `median_resolve_hours`, `ack_<level>`, `visits`, `branch_visits`, `reported`, `open`.
    pub key: String,
    /// zh-CN label.
    pub label: String,
    /// What is shown: `97.5%`, `12.3 小时`, `40`, or `—`.
    pub text: String,
    /// The percentage (rates), hours (durations) or count; absent when there is nothing to measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerator: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<u32>,
    pub light: FigureLight,
    /// The list behind the figure: the issues page's `measure` filter (`reported`, `accepted`, `resolve_due`,
    /// `verified`, ...), or `households` / `directives` for the ledger and directives pages.
    pub cohort: String,
    /// The part that missed the target, as a `measure` filter (`accept_late`, `resolve_late`, `dissatisfied`,
    /// `reworked`, `escalated`), or `households_not_visited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub misses: Option<String>,
}

/// The figures of one node's area.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DashboardRow {
    pub node: ConsoleNode,
    /// The dashboard's own node (the first row) rather than a child.
    pub own: bool,
    pub figures: Vec<Figure>,
}

/// One week of the trends.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WeekRow {
    /// Monday (or the period's first day), YYYY-MM-DD.
    pub from: String,
    /// Sunday (or the period's last day), inclusive.
    pub to: String,
    /// 上报, 按期受理率, 按期办结率, 满意率, 返工率 of the node's area that week.
    pub figures: Vec<Figure>,
    /// 按期办结率 (percent) of each child that week, in the order of `rows` after the first (`null`: none due).
    pub children_resolved_on_time: Vec<Option<f64>>,
}

/// A child's place in the ranking.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RankRow {
    pub rank: u32,
    pub node: ConsoleNode,
    /// Mean of the percentages of 按期受理率, 按期办结率, 满意率 and 走访覆盖率 that have a cohort (`null`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub light: FigureLight,
}

/// `GET /v1/console/dashboard`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Dashboard {
    pub node: ConsoleNode,
    /// The node's parent, when it lies in the user's area (to go up a level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    pub from: String,
    pub to: String,
    pub computed_at_ms: i64,
    /// Visit coverage is measured at this instant (`min(period end, now)`).
    pub visits_as_of_ms: i64,
    /// The node first, then each child in path order.
    pub rows: Vec<DashboardRow>,
    pub weeks: Vec<WeekRow>,
    /// The children, best first.
    pub ranking: Vec<RankRow>,
}

fn rate_text(r: Rate) -> String {
    r.percent().map_or_else(|| "—".into(), |p| format!("{p:.1}%"))
}

fn rate(key: &str, label: &str, r: Rate, kind: Option<MeasureKind>, cohort: &str, misses: Option<&str>) -> Figure {
    Figure {
        key: key.into(),
        label: label.into(),
        text: rate_text(r),
        value: r.percent(),
        numerator: Some(r.numerator),
        denominator: Some(r.denominator),
        light: kind.map_or(FigureLight::None, |k| targets::light(k, r).into()),
        cohort: cohort.into(),
        misses: misses.map(Into::into),
    }
}

fn hours(key: &str, label: &str, ms: Option<i64>, cohort: &str) -> Figure {
    let h = ms.map(|m| (m as f64 / 3_600_000.0 * 10.0).round() / 10.0);
    Figure {
        key: key.into(),
        label: label.into(),
        text: h.map_or_else(|| "—".into(), |h| format!("{h:.1} 小时")),
        value: h,
        numerator: None,
        denominator: None,
        light: FigureLight::None,
        cohort: cohort.into(),
        misses: None,
    }
}

fn count(key: &str, label: &str, n: u32, cohort: &str) -> Figure {
    Figure {
        key: key.into(),
        label: label.into(),
        text: n.to_string(),
        value: Some(f64::from(n)),
        numerator: None,
        denominator: None,
        light: FigureLight::None,
        cohort: cohort.into(),
        misses: None,
    }
}

/// The issue figures of a period (rows and weeks).
fn issue_figures(m: &IssueMeasures) -> Vec<Figure> {
    // The rework rate's misses are the rework cases themselves (不满意 return visits).
    vec![
        count("reported", "上报诉求", m.reported, "reported"),
        rate("accepted_on_time", "按期受理率", m.accepted_on_time, Some(MeasureKind::AcceptedOnTime), "accepted", Some("accept_late")),
        rate("resolved_on_time", "按期办结率", m.resolved_on_time, Some(MeasureKind::ResolvedOnTime), "resolve_due", Some("resolve_late")),
        rate("satisfied", "满意率", m.satisfied, Some(MeasureKind::Satisfied), "verified", Some("dissatisfied")),
        rate("rework", "返工率", m.rework, Some(MeasureKind::Rework), "verified", Some("reworked")),
    ]
}

fn row_figures(r: &NodeMeasures) -> Vec<Figure> {
    let m = &r.issues;
    let open: u32 = m
        .by_state
        .iter()
        .filter(|(s, _)| !matches!(s, IssueState::Closed | IssueState::Rejected | IssueState::Merged))
        .map(|(_, n)| n)
        .sum();
    let mut f = issue_figures(m);
    f.push(count("open", "其中未结", open, "reported"));
    f.push(rate("escalated", "上报上级率", m.escalated, None, "accepted", Some("escalated")));
    f.push(hours("median_accept_hours", "受理用时中位数", m.median_accept_ms, "accepted"));
    f.push(hours("median_resolve_hours", "办结用时中位数", m.median_resolve_ms, "resolve_due"));
    for level in measures::ACK_LEVELS {
        if let Some(a) = r.ack(level) {
            let label = format!("{}签收率", level_label(level));
            f.push(rate(&format!("ack_{}", crate::sqlite::enum_str(&level)), &label, a.coverage, None, "directives", None));
        }
    }
    let own = if r.visits.level == OrgLevel::County { "县级联系户走访覆盖率".to_string() } else { format!("{}级走访覆盖率", level_label(r.visits.level)) };
    f.push(rate("visits", &own, r.visits.rate(), Some(MeasureKind::VisitCoverage), "households", Some("households_not_visited")));
    if r.visits.level != OrgLevel::Branch {
        f.push(rate("branch_visits", "网格员走访覆盖率", r.branch_visits.rate(), Some(MeasureKind::VisitCoverage), "households", Some("households_not_visited")));
    }
    f
}

/// Mean of the percentages of the ranked figures that have a cohort.
pub fn score(figures: &[Figure]) -> Option<f64> {
    let v: Vec<f64> = figures
        .iter()
        .filter(|f| matches!(f.key.as_str(), "accepted_on_time" | "resolved_on_time" | "satisfied" | "visits" | "branch_visits"))
        .filter_map(|f| f.value)
        .collect();
    (!v.is_empty()).then(|| (v.iter().sum::<f64>() / v.len() as f64 * 10.0).round() / 10.0)
}

/// The worst light among a row's lit figures.
fn worst(figures: &[Figure]) -> FigureLight {
    let lights: Vec<FigureLight> = figures.iter().map(|f| f.light).collect();
    [FigureLight::Red, FigureLight::Yellow, FigureLight::Green].into_iter().find(|l| lights.contains(l)).unwrap_or(FigureLight::None)
}

/// Ranks the children: by score, best first; those without a score last (in path order); equal scores share
/// the rank.
pub fn rank(rows: &[DashboardRow]) -> Vec<RankRow> {
    let mut out: Vec<RankRow> = rows
        .iter()
        .filter(|r| !r.own)
        .map(|r| RankRow { rank: 0, node: r.node.clone(), score: score(&r.figures), light: worst(&r.figures) })
        .collect();
    out.sort_by(|a, b| match (a.score, b.score) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut prev: Option<(Option<f64>, u32)> = None;
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = match prev {
            Some((s, k)) if s == r.score => k,
            _ => i as u32 + 1,
        };
        prev = Some((r.score, r.rank));
    }
    out
}

fn today_cst(now_ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(now_ms + 8 * 3_600_000).map_or(NaiveDate::MIN, |t| t.date_naive())
}

/// The period asked for: defaults to the current quarter up to today; `from` after `to` is swapped; longer than
/// [`MAX_DAYS`] is cut to the year ending at `to`. A day that does not exist is refused.
pub fn period(params: &DashboardParams, now_ms: i64) -> Result<DateRange, ApiError> {
    let today = today_cst(now_ms);
    let quarter_start = NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).unwrap_or(today);
    let bad = |what: &str| {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, format!("{what}不是有效的日期，请按 年-月-日 填写，例如 2026-10-01 / not a date (YYYY-MM-DD)"))
    };
    let parse = |s: Option<&str>, default: NaiveDate, what: &str| match s {
        None => Ok(default),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad(what)),
    };
    let (mut a, mut b) = (parse(params.from.as_deref(), quarter_start, "开始日期")?, parse(params.to.as_deref(), today, "结束日期")?);
    if a > b {
        std::mem::swap(&mut a, &mut b);
    }
    if (b - a).num_days() >= MAX_DAYS {
        a = b - chrono::Duration::days(MAX_DAYS - 1);
    }
    Ok(DateRange { from: a, to: b })
}

async fn dashboard(
    State(state): State<AppState>,
    who: ConsoleUser,
    params: Result<Query<DashboardParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<axum::Json<Dashboard>> {
    let Query(params) = params?;
    let now = crate::api::now_ms();
    let dates = period(&params, now)?;
    let node = match params.node.as_deref() {
        None => who.node.clone(),
        Some(id) => who.node_in_scope(&state, id).await?,
    };
    let parent_id = node.parent_id.clone().filter(|_| node.id != who.node.id);
    let node_id = node.id.clone();
    let (report, weeks) = super::read(&state, move |tx| {
        let policy = MeasuresPolicy::for_county(&crate::readtx::county_config(tx)?);
        measures::compute_with_weeks(tx, &node_id, dates, now, &policy)
    })
    .await?;
    let rows: Vec<DashboardRow> = report
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| DashboardRow { node: (&r.node).into(), own: i == 0, figures: row_figures(r) })
        .collect();
    let weeks = weeks
        .iter()
        .map(|w| WeekRow {
            from: w.from.to_string(),
            to: w.to.to_string(),
            figures: issue_figures(&w.total),
            children_resolved_on_time: w.children.iter().map(|c| c.resolved_on_time.percent()).collect(),
        })
        .collect();
    let ranking = rank(&rows);
    Ok(axum::Json(Dashboard {
        node: (&report.node).into(),
        parent_id,
        from: dates.from.to_string(),
        to: dates.to.to_string(),
        computed_at_ms: report.computed_at_ms,
        visits_as_of_ms: report.visits_as_of_ms,
        rows,
        weeks,
        ranking,
    }))
}

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(MethodFilter::GET, DASHBOARD_PATH, dashboard)
}

pub(crate) fn docs(gen: &mut schemars::SchemaGenerator) -> Vec<Route> {
    let mut errors = super::session::console_errors();
    errors.push((400, vec![ErrorCode::InvalidInput], "a date is not a day (YYYY-MM-DD), or a query parameter is malformed"));
    errors.push((404, vec![ErrorCode::NotFound], "the node is not in the caller's area, or unknown (one answer)"));
    errors.sort_by_key(|e| e.0);
    vec![Route {
        method: "get",
        path: DASHBOARD_PATH,
        id: "consoleDashboard",
        summary: "The dashboard (工作台): the §5 measures of a node and each child, lit, by week, children ranked",
        description: "Default node: the user's; any node of the user's area may be asked for (others, and unknown ids: 404, one answer). Default \
                      period: the current quarter up to today (China Standard Time), at most a year. The same figures \
                      as `linkage-server measures`.",
        auth: true,
        query: Some(<DashboardParams as JsonSchema>::json_schema(gen).to_value()),
        hash: false,
        body: Body::None,
        ok: Success::json("the dashboard", gen.subschema_for::<Dashboard>().to_value()),
        errors,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, own: bool, values: &[(&str, Option<f64>)]) -> DashboardRow {
        DashboardRow {
            node: ConsoleNode { id: id.into(), name: id.into(), level: OrgLevel::Township, level_label: "乡镇".into() },
            own,
            figures: values
                .iter()
                .map(|(k, v)| Figure {
                    key: (*k).into(),
                    label: String::new(),
                    text: String::new(),
                    value: *v,
                    numerator: None,
                    denominator: None,
                    light: FigureLight::None,
                    cohort: String::new(),
                    misses: None,
                })
                .collect(),
        }
    }

    #[test]
    fn ranking_by_mean_of_rates_with_ties_and_empty_last() {
        let rows = vec![
            row("c", true, &[("accepted_on_time", Some(10.0))]),
            row("t1", false, &[("accepted_on_time", Some(80.0)), ("satisfied", Some(100.0)), ("reported", Some(500.0))]),
            row("t2", false, &[("accepted_on_time", None)]),
            row("t3", false, &[("resolved_on_time", Some(95.0))]),
            row("t4", false, &[("visits", Some(90.0))]),
        ];
        let r = rank(&rows);
        let got: Vec<(&str, u32, Option<f64>)> = r.iter().map(|x| (x.node.id.as_str(), x.rank, x.score)).collect();
        assert_eq!(got, vec![("t3", 1, Some(95.0)), ("t1", 2, Some(90.0)), ("t4", 2, Some(90.0)), ("t2", 4, None)]);
    }

    #[test]
    fn period_defaults_to_the_quarter_and_is_bounded() {
        // 2026-12-02 10:00 CST.
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00+08:00").unwrap().timestamp_millis();
        let p = period(&DashboardParams::default(), now).unwrap();
        assert_eq!((p.from.to_string(), p.to.to_string()), ("2026-10-01".into(), "2026-12-02".into()));
        let ask = |f: &str, t: &str| period(&DashboardParams { node: None, from: Some(f.into()), to: Some(t.into()) }, now);
        let days = |r: DateRange| (r.from.to_string(), r.to.to_string());
        assert_eq!(days(ask("2026-01-01", "2026-12-31").unwrap()), ("2026-01-01".into(), "2026-12-31".into()));
        assert_eq!(days(ask("2020-01-01", "2026-12-31").unwrap()), ("2025-12-30".into(), "2026-12-31".into()));
        assert_eq!(days(ask("2026-12-02", "2026-12-01").unwrap()), ("2026-12-01".into(), "2026-12-02".into()));
        assert!(ask("2026-13-01", "2026-12-01").is_err());
        assert!(ask("2026-02-30", "2026-12-01").is_err());
        assert!(ask("", "2026-12-01").is_err());
    }

    #[test]
    fn figures_light_by_the_shared_targets() {
        let f = rate("accepted_on_time", "按期受理率", Rate { numerator: 17, denominator: 20 }, Some(MeasureKind::AcceptedOnTime), "accepted", Some("accept_late"));
        assert_eq!((f.text.as_str(), f.light), ("85.0%", FigureLight::Yellow));
        let f = rate("rework", "返工率", Rate { numerator: 0, denominator: 0 }, Some(MeasureKind::Rework), "verified", None);
        assert_eq!((f.text.as_str(), f.light, f.value), ("—", FigureLight::None, None));
        assert_eq!(hours("h", "", Some(5_400_000), "x").text, "1.5 小时");
    }
}
