//! The leaders' screens beyond the queue (领导总览与工作台), as display-ready records: the 交办 picker with each
//! person's open load, the 合并 picker (suggestions or a search: no typed ids), the county's overview of every
//! open issue with its filter chips, and the staff dashboard whose every figure carries its light (the shared
//! targets in `linkage_protocol::rules::targets`) and the list behind it ([`FigureList`]), so one tap on a red
//! figure opens that list. The shells lay these out; they decide nothing.

use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::rules::measures::{percent, Rate};
use linkage_protocol::rules::targets::{self, MeasureKind};

use crate::api::{self, IssuePage, IssueSummary, Light, OrgLevel, OverdueHousehold, OverduePage, Person};
use crate::error::ApiError;
use crate::facade::FieldApp;
pub use crate::store::OverviewFilter;
use crate::store::{self, DashboardNode, DashboardReport};

type ApiResult<T> = Result<T, ApiError>;

/// A person of the 交办 picker: who, where, and how much they already carry.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AssigneeOption {
    pub person: Person,
    /// Issues assigned to them and not yet resolved (交办, 办理中).
    pub open_issues: u32,
    /// "在办 3 件" in the display language.
    pub load_label: String,
}

/// A candidate of the 合并 picker.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MergeCandidate {
    pub issue: IssueSummary,
    /// Metres between the two issues' places, when both have one.
    pub distance_m: Option<f64>,
    /// Offered by the duplicate rule (疑似重复), not found by a search.
    pub suggested: bool,
    /// "疑似重复 · 相距 35 米" / "相距 1.2 公里" / "" in the display language.
    pub note: String,
}

/// One page of merge candidates.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MergeCandidatePage {
    pub items: Vec<MergeCandidate>,
    pub total: u64,
    pub next_offset: Option<u32>,
}

/// A filter chip of the overview: the filter and its words.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OverviewFilterSpec {
    pub filter: OverviewFilter,
    pub label: String,
}

/// Which open issues the overview lists: under a node of the user's area (`None`: the whole area), passing a
/// filter. Dashboard figures hand one back as the list behind them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IssueQuery {
    #[uniffi(default = None)]
    pub node_id: Option<String>,
    pub filter: OverviewFilter,
}

/// The list behind a dashboard figure, to open on a tap.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FigureList {
    /// `issue_overview(query, ...)`.
    Issues { query: IssueQuery },
    /// `overdue_households_under(node_id, ...)`.
    OverdueHouseholds { node_id: Option<String> },
    /// `silent_nodes_for_me(...)`.
    SilentNodes,
}

/// One figure of the dashboard.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Figure {
    /// 按期办结率, 超期, 走访覆盖率, ... in the display language.
    pub label: String,
    /// "92.5%", "3", "—" (an empty cohort).
    pub value_text: String,
    /// Against its target (`None`: nothing to judge, or a plain count).
    pub light: Light,
    /// The list behind it, or `None` when there is none to show.
    pub list: Option<FigureList>,
}

/// One node of the dashboard: the user's own, or a child (a township for the county, a branch for a township).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DashboardRow {
    pub node_id: String,
    pub name: String,
    pub level: OrgLevel,
    pub level_label: String,
    pub figures: Vec<Figure>,
    /// The worst light of its figures (Red before Yellow before Green; `None` if none is lit): the row's colour.
    pub worst: Light,
}

/// The staff dashboard (工作台) of a period.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Dashboard {
    pub from_ms: i64,
    pub to_ms: i64,
    pub own: DashboardRow,
    pub children: Vec<DashboardRow>,
    /// Whose visits count and the cadence ("乡镇干部走访 · 每 90 天").
    pub visit_note: String,
}

/// A percent as the screens show it: whole numbers without a decimal, else one decimal; "—" for none.
pub(crate) fn pct_text(p: Option<f64>) -> String {
    match p {
        None => "—".into(),
        Some(v) if (v * 10.0).round() % 10.0 == 0.0 => format!("{:.0}%", v),
        Some(v) => format!("{:.1}%", v),
    }
}

fn rank(l: Light) -> u8 {
    match l {
        Light::Red => 3,
        Light::Yellow => 2,
        Light::Green => 1,
        Light::None => 0,
    }
}

fn row(n: DashboardNode, own: Option<&DashboardReport>, l: Locale) -> DashboardRow {
    let node_id = own.is_none().then(|| n.node.id.clone());
    let issues = |filter| Some(FigureList::Issues { query: IssueQuery { node_id: node_id.clone(), filter } });
    let rate = |label: &str, kind, r: Rate, list| Figure {
        label: label.into(),
        value_text: pct_text(r.percent()),
        light: targets::light(kind, r),
        list,
    };
    let count = |label: &str, value: u64, light, list| Figure { label: label.into(), value_text: value.to_string(), light, list };
    let m = &n.issues;
    let coverage = Rate { numerator: n.coverage.visited, denominator: n.coverage.households };
    let coverage_light = targets::light(MeasureKind::VisitCoverage, coverage);
    let households = Some(FigureList::OverdueHouseholds { node_id: node_id.clone() });
    let mut figures = vec![
        count(l.pick("未结案", "Open"), n.open.into(), Light::None, issues(OverviewFilter::Open)),
        count(l.pick("超期", "Overdue"), n.red.into(), targets::zero_target(n.red.into()), issues(OverviewFilter::Red)),
        count(l.pick("红牌督办", "Red cards"), n.red_cards.into(), targets::zero_target(n.red_cards.into()), issues(OverviewFilter::RedCard)),
        rate(l.pick("按期受理率", "Accepted on time"), MeasureKind::AcceptedOnTime, m.accepted_on_time, issues(OverviewFilter::Red)),
        rate(l.pick("按期办结率", "Resolved on time"), MeasureKind::ResolvedOnTime, m.resolved_on_time, issues(OverviewFilter::Red)),
        rate(l.pick("满意率", "Satisfied"), MeasureKind::Satisfied, m.satisfied, issues(OverviewFilter::Reworked)),
        rate(l.pick("返工率", "Rework"), MeasureKind::Rework, m.rework, issues(OverviewFilter::Reworked)),
        Figure {
            label: l.pick("走访覆盖率", "Visit coverage").into(),
            value_text: pct_text(percent(coverage.numerator, coverage.denominator)),
            light: coverage_light,
            list: households.clone(),
        },
        count(
            l.pick("未走访户", "Households due"),
            u64::from(coverage.denominator - coverage.numerator.min(coverage.denominator)),
            coverage_light,
            households,
        ),
    ];
    if let Some(r) = own {
        figures.push(count(l.pick("逾期未签收", "Silent nodes"), r.silent_nodes, targets::zero_target(r.silent_nodes), Some(FigureList::SilentNodes)));
        let waiting_light = if r.waiting_for_me > 0 { Light::Yellow } else { Light::None };
        figures.push(count(
            l.pick("待我审批", "Waiting for me"),
            r.waiting_for_me,
            waiting_light,
            Some(FigureList::Issues { query: IssueQuery { node_id: None, filter: OverviewFilter::WaitingForMe } }),
        ));
    }
    let worst = figures.iter().map(|f| f.light).max_by_key(|l| rank(*l)).unwrap_or(Light::None);
    DashboardRow { level_label: n.node.level.label(l).into(), node_id: n.node.id, name: n.node.name, level: n.node.level, figures, worst }
}

/// The filter's words.
pub fn filter_label(f: OverviewFilter, l: Locale) -> &'static str {
    match f {
        OverviewFilter::Open => l.pick("全部未结案", "All open"),
        OverviewFilter::Red => l.pick("红灯", "Red"),
        OverviewFilter::Yellow => l.pick("黄灯", "Yellow"),
        OverviewFilter::Green => l.pick("绿灯", "Green"),
        OverviewFilter::RedCard => l.pick("红牌督办", "Red card"),
        OverviewFilter::Reworked => l.pick("返工", "Reworked"),
        OverviewFilter::WaitingForMe => l.pick("待我审批", "Waiting for me"),
    }
}

fn distance_text(m: f64, l: Locale) -> String {
    if m < 1000.0 {
        format!("{}{:.0}{}", l.pick("相距 ", "; "), m, l.pick(" 米", " m away"))
    } else {
        format!("{}{:.1}{}", l.pick("相距 ", "; "), m / 1000.0, l.pick(" 公里", " km away"))
    }
}

fn merge_candidate(r: store::MergeRow, l: Locale) -> MergeCandidate {
    let mut note = if r.suggested { l.pick("疑似重复", "Likely the same").to_string() } else { String::new() };
    if let Some(d) = r.distance_m {
        let d = distance_text(d, l);
        note = if note.is_empty() { d.trim_start_matches("; ").to_string() } else { format!("{note}{}{d}", l.pick(" · ", "")) };
    }
    MergeCandidate { issue: api::issue(r.issue, l), distance_m: r.distance_m, suggested: r.suggested, note }
}

#[uniffi::export]
impl FieldApp {
    /// The 交办 picker: the people the issue may be assigned to now (exactly those the assignment accepts,
    /// nearest to the issue first), each with their open load (在办 N 件). I/O: DB reads; not the UI thread.
    pub fn assignee_picker(&self, issue_id: String) -> ApiResult<Vec<AssigneeOption>> {
        self.with(|s, l| {
            Ok(s.assignee_picker(&issue_id)?
                .into_iter()
                .map(|(p, n)| AssigneeOption {
                    person: api::person(p, l),
                    open_issues: n,
                    load_label: match l {
                        Locale::ZhCn => format!("在办 {n} 件"),
                        _ => format!("{n} open"),
                    },
                })
                .collect())
        })
    }

    /// The 合并 picker for an issue: without `search` (or blank), the open issues the duplicate rule pairs with
    /// it (same category, near, reported within the window), nearest first; with a `search`, open issues of the
    /// user's area whose title contains it, newest first. Never the issue itself; pass the picked
    /// `issue.id` as `ActionForm.other_issue_id`. Paged. I/O: DB read; not the UI thread.
    pub fn merge_candidates(&self, issue_id: String, search: Option<String>, offset: u32, limit: u32) -> ApiResult<MergeCandidatePage> {
        self.with(|s, l| {
            let (rows, total) = s.merge_candidates(&issue_id, search.as_deref(), offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(MergeCandidatePage { items: rows.into_iter().map(|r| merge_candidate(r, l)).collect(), total, next_offset })
        })
    }

    /// The overview's filter chips (全部未结案, 红灯, 黄灯, 绿灯, 红牌督办, 返工, 待我审批) in the display language.
    /// The node chips are the children from `org_tree(None, 1, ..)`. No I/O.
    pub fn overview_filters(&self) -> Vec<OverviewFilterSpec> {
        let l = self.store().locale;
        OverviewFilter::ALL.iter().map(|&filter| OverviewFilterSpec { filter, label: filter_label(filter, l).into() }).collect()
    }

    /// The overview (县级总览): every open issue of the user's area — not only those escalated to the user's
    /// node — under `query.node_id` (a township; `None`: all) passing `query.filter`, deadline first, paged.
    /// 待我审批 lists the issues where the shared rules give the user a decision now (延期审批). A node outside
    /// the area is `NotFound`. I/O: DB read (the light filters judge the area's open issues with a clock);
    /// not the UI thread.
    pub fn issue_overview(&self, query: IssueQuery, offset: u32, limit: u32) -> ApiResult<IssuePage> {
        self.with(|s, l| {
            let (rows, total) = s.issue_overview(query.node_id.as_deref(), query.filter, offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(IssuePage { items: rows.into_iter().map(|r| api::issue(r, l)).collect(), total, next_offset })
        })
    }

    /// Households under `node_id` (default: the user's node; in the user's area) overdue for a visit at the
    /// user's own level's cadence — a county's contact households for county staff — most overdue first,
    /// paged: the list behind the dashboard's 走访覆盖率 and 未走访户. I/O: DB read; not the UI thread.
    pub fn overdue_households_under(&self, node_id: Option<String>, offset: u32, limit: u32) -> ApiResult<OverduePage> {
        self.with(|s, l| {
            let (rows, total) = s.overdue_households_under(node_id.as_deref(), offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            let items = rows
                .into_iter()
                .map(|o| OverdueHousehold { household: api::household(o.household, l), days_overdue: o.days_overdue, distance_m: o.distance_m })
                .collect();
            Ok(OverduePage { items, total, next_offset })
        })
    }

    /// The staff dashboard (工作台) of the last `days` days up to now, "now" being the core's server-corrected
    /// clock (not the phone's wall clock): `[now − days, now + 1 ms)`, as [`FieldApp::dashboard`]. `days` 0 or
    /// more than 3,660 is `InvalidInput`. I/O: DB reads; never on the UI thread.
    pub fn dashboard_last_days(&self, days: u32) -> ApiResult<Dashboard> {
        if days == 0 || days > 3_660 {
            return self.with(|_, _| Err(crate::error::Error::invalid("days", "must be 1 to 3660")));
        }
        let now = self.with(|s, _| Ok(s.now_ms()))?;
        self.dashboard(now - i64::from(days) * 86_400_000, now + 1)
    }

    /// The staff dashboard (工作台) of `[from_ms, to_ms)`: the user's node and each direct child (townships for
    /// the county, branches for a township), each with its measures lit against the shared targets, visit
    /// coverage at the user's level and the households due, the open, overdue (红灯) and red-card issues; the
    /// user's row adds the silent child nodes of current directives and the decisions waiting for the user.
    /// Every figure names the list behind it. `to_ms <= from_ms` is `InvalidInput`. I/O: DB reads (the
    /// measures' stored facts, the open issues, the coverage aggregates); never on the UI thread.
    pub fn dashboard(&self, from_ms: i64, to_ms: i64) -> ApiResult<Dashboard> {
        self.with(|s, l| {
            let r = s.dashboard(from_ms, to_ms)?;
            let visit_note = match r.visit_interval_days {
                Some(d) => match l {
                    Locale::ZhCn => format!("{}走访 · 每 {d} 天", r.visit_level.label(l)),
                    _ => format!("Visits at {} level · every {d} days", r.visit_level.label(l)),
                },
                None => r.visit_level.label(l).to_string(),
            };
            let children = r.children.clone().into_iter().map(|c| row(c, None, l)).collect();
            Ok(Dashboard {
                from_ms: r.period.from_ms,
                to_ms: r.period.to_ms,
                own: row(r.own.clone(), Some(&r), l),
                children,
                visit_note,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    //! The exported records: the figures' words, lights and the lists behind them.
    use super::*;
    use crate::api::{IssueCategory, IssueDraft, Urgency};
    use crate::store::testing::NOW;

    fn draft(urgency: Urgency) -> IssueDraft {
        IssueDraft {
            category: IssueCategory::Infrastructure,
            urgency,
            title: "桥梁护栏断裂".into(),
            description: String::new(),
            household_id: Some("h1".into()),
            node_id: None,
            location: None,
            evidence: vec![],
            client_op_id: None,
        }
    }

    #[test]
    fn dashboard_figures_are_lit_and_open_their_lists() {
        let (app, clock, _dir) = crate::store::testing::app_with_clock();
        app.sign_in("gw".into()).unwrap();
        let critical = app.report_issue(draft(Urgency::Critical)).unwrap();
        let second = app.report_issue(IssueDraft { title: "护栏又断一处".into(), ..draft(Urgency::Normal) }).unwrap();
        clock.advance_ms(121 * 60_000);

        app.sign_in("ts".into()).unwrap();
        let picker = app.assignee_picker(critical.id.clone()).unwrap();
        assert_eq!(picker.iter().map(|o| (o.person.user_id.as_str(), o.load_label.as_str())).collect::<Vec<_>>(), [("gw", "在办 0 件"), ("ts", "在办 0 件")]);
        let merge = app.merge_candidates(second.id.clone(), None, 0, 10).unwrap();
        assert_eq!((merge.items[0].issue.id.as_str(), merge.items[0].note.as_str()), (critical.id.as_str(), "疑似重复 · 相距 0 米"));
        let found = app.merge_candidates(critical.id.clone(), Some("又断".into()), 0, 10).unwrap();
        assert_eq!((found.total, found.items[0].note.as_str()), (1, "相距 0 米"));

        let d = app.dashboard(NOW - 86_400_000, NOW + 86_400_000).unwrap();
        assert_eq!((d.own.name.as_str(), d.own.level_label.as_str()), ("石堡镇", "乡镇"));
        let fig = |row: &DashboardRow, label: &str| row.figures.iter().find(|f| f.label == label).cloned().unwrap();
        let overdue = fig(&d.own, "超期");
        assert_eq!((overdue.value_text.as_str(), overdue.light), ("1", Light::Red));
        assert_eq!(overdue.list, Some(FigureList::Issues { query: IssueQuery { node_id: None, filter: OverviewFilter::Red } }));
        // The list behind the red figure is exactly the overdue issue.
        let Some(FigureList::Issues { query }) = overdue.list else { unreachable!() };
        assert_eq!(app.issue_overview(query, 0, 10).unwrap().items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(), [critical.id.clone()]);
        let accepted = fig(&d.own, "按期受理率");
        assert_eq!((accepted.value_text.as_str(), accepted.light), ("—", Light::None), "nothing accepted yet: nothing to judge");
        assert_eq!(fig(&d.own, "逾期未签收").list, Some(FigureList::SilentNodes));
        assert_eq!(d.own.worst, Light::Red);
        assert_eq!(d.children.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["石堡村党支部"]);
        let branch = &d.children[0];
        assert_eq!(fig(branch, "未结案").list, Some(FigureList::Issues { query: IssueQuery { node_id: Some("b1".into()), filter: OverviewFilter::Open } }));
        assert_eq!(fig(branch, "未走访户").list, Some(FigureList::OverdueHouseholds { node_id: Some("b1".into()) }));
        assert!(branch.figures.iter().all(|f| f.label != "待我审批"), "decisions are the user's own row only");
        assert_eq!(app.overview_filters().iter().map(|f| f.label.as_str()).collect::<Vec<_>>(), ["全部未结案", "红灯", "黄灯", "绿灯", "红牌督办", "返工", "待我审批"]);
        assert!(matches!(app.issue_overview(IssueQuery { node_id: Some("t2".into()), filter: OverviewFilter::Open }, 0, 10), Err(ApiError::NotFound { .. })));
        assert_eq!((pct_text(Some(100.0)), pct_text(Some(66.666)), pct_text(None)), ("100%".to_string(), "66.7%".to_string(), "—".to_string()));

        // "The last N days" ends at the core's server-corrected now, not the phone's wall clock.
        let skew = 3 * 86_400_000;
        app.store().set_clock_offset(skew).unwrap();
        let now = NOW + 121 * 60_000 + skew;
        let last = app.dashboard_last_days(90).unwrap();
        assert_eq!((last.from_ms, last.to_ms), (now - 90 * 86_400_000, now + 1));
        assert_eq!(last.own.figures, app.dashboard(now - 90 * 86_400_000, now + 1).unwrap().own.figures);
        for bad in [0, 3_661] {
            assert!(matches!(app.dashboard_last_days(bad), Err(ApiError::InvalidInput { .. })), "{bad} days");
        }
    }
}
