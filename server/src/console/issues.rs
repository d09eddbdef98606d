//! 诉求办理 on the console (issue #14 point 5): the list of the caller's area with filters (state, light,
//! category, township, 红牌督办, 待我审批), the issue page (timeline, photos, GPS of visits, the actions the
//! caller may take now with what each needs), the person picker for 交办, and the actions themselves.
//!
//! Reads fold each issue's events in the server's receipt order with `lifecycle::fold_ordered` (as the op rules
//! do) and light it with the county's time limits (`SlaRules`). Every action is an `IssueEvent` made as the
//! signed-in staff member and applied through `Storage::apply_ops`, the phones' push path (`staff::apply`):
//! the same lifecycle and scope rules, change feed, receipt order and idempotency by op id.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::model::{IssueActionKind, IssueCategory, IssueState, Role, Satisfaction, SupervisionLevel, Urgency};
use linkage_protocol::rules::lifecycle::{self, ChoiceNeed, IssueProjection, TextNeed};
use linkage_protocol::rules::sla::{Light, SlaRules};
use linkage_protocol::rules::{scope, RuleError};
use linkage_protocol::sync::{ErrorCode, RejectCode};
use linkage_protocol::wire::{IssueAction, IssueEvent, OpBody, Operation, Visit};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::staff::{self, ActionAnswer, Names, Record, Staff};
use crate::api::{record, ApiError, ApiResult, AppState, JsonBody, Routes};
use crate::audit::{self, Action};
use crate::error::Result;
use crate::readtx::{params, ReadTx};
use super::{staff_errors, sorted};
use crate::openapi::{json_body_errors, ref_of, Body, Route, Success};

/// The list.
pub const LIST: &str = "/v1/console/issues";
/// One issue's page.
pub const ISSUE: &str = "/v1/console/issues/{id}";
/// The people 交办 may pick for the issue.
pub const ASSIGNEES: &str = "/v1/console/issues/{id}/assignees";
/// Take an action on the issue.
pub const ACTIONS: &str = "/v1/console/issues/{id}/actions";
/// A photo of a record in the caller's scope (the blob rules of `GET /v1/blobs/{hash}`).
pub const PHOTO: &str = "/v1/console/photos/{hash}";

const ZH: Locale = Locale::ZhCn;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(MethodFilter::GET, LIST, list)
        .add(MethodFilter::GET, ISSUE, page)
        .add(MethodFilter::GET, ASSIGNEES, assignees)
        .add(MethodFilter::POST, ACTIONS, act)
        .add(MethodFilter::GET, PHOTO, photo)
}

/// Which issues by state: `open` (every state not terminal; the default), `all`, or one state of the protocol's
/// [`IssueState`] by its snake_case name. Derived from `IssueState::ALL` (parsing, the OpenAPI enum and the SQL),
/// so a state added to the protocol is a filter here without a second list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    /// 在办 — not closed, rejected or merged (`IssueState::is_terminal`).
    Open,
    /// 全部 — every state.
    All,
    /// One state.
    Is(IssueState),
}

impl StateFilter {
    /// The query-string name (`open`, `all`, or the state's `as_str`).
    pub fn as_str(self) -> &'static str {
        match self {
            StateFilter::Open => "open",
            StateFilter::All => "all",
            StateFilter::Is(s) => s.as_str(),
        }
    }

    /// Every filter, in the order the OpenAPI enum lists them.
    pub fn all() -> impl Iterator<Item = StateFilter> {
        [StateFilter::Open, StateFilter::All].into_iter().chain(IssueState::ALL.into_iter().map(StateFilter::Is))
    }

    /// The filter named `name`.
    pub fn parse(name: &str) -> Option<StateFilter> {
        StateFilter::all().find(|f| f.as_str() == name)
    }

    fn description(self) -> String {
        match self {
            StateFilter::Open => {
                let terminal: Vec<&str> = IssueState::ALL.iter().filter(|s| s.is_terminal()).map(|s| s.as_str()).collect();
                match terminal.split_last() {
                    Some((last, [])) => format!("在办 — not {last}."),
                    Some((last, rest)) => format!("在办 — not {} or {last}.", rest.join(", ")),
                    None => "在办 — every state.".into(),
                }
            }
            StateFilter::All => "全部 — every state.".into(),
            StateFilter::Is(s) => s.label(ZH).into(),
        }
    }
}

impl Serialize for StateFilter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StateFilter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(d)?;
        StateFilter::parse(&name).ok_or_else(|| {
            let names: Vec<&str> = StateFilter::all().map(StateFilter::as_str).collect();
            serde::de::Error::custom(format!("state: 状态只能是 {} 之一 / unknown state `{name}`", names.join("、")))
        })
    }
}

impl JsonSchema for StateFilter {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StateFilter".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let one_of: Vec<serde_json::Value> = StateFilter::all()
            .map(|f| serde_json::json!({ "const": f.as_str(), "description": f.description(), "type": "string" }))
            .collect();
        schemars::json_schema!({
            "description": "Which issues by state (`open`: every state not closed, rejected or merged; the default).",
            "oneOf": one_of,
        })
    }
}

/// A light filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LightFilter {
    /// 绿灯 — on time.
    Green,
    /// 黄灯 — due soon.
    Yellow,
    /// 红灯 — overdue.
    Red,
}

/// Query of `GET /v1/console/issues` (the dashboard opens this list with the same names).
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListParams {
    /// State (default `open`).
    pub state: Option<StateFilter>,
    /// Traffic light of the current step (open issues only).
    pub light: Option<LightFilter>,
    pub category: Option<IssueCategory>,
    /// A township (or any node) in the caller's scope: only issues under it.
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub township: Option<String>,
    /// Only issues under 红牌督办.
    pub red_card: Option<bool>,
    /// Only issues waiting for the caller's decision (a 延期 request the caller may approve).
    pub waiting: Option<bool>,
    /// Words in the title.
    #[schemars(length(max = 50))]
    pub q: Option<String>,
    /// Page, from 1.
    #[schemars(range(min = 1, max = 100000))]
    pub page: Option<u32>,
    /// Rows per page, 1–100 (default 20).
    #[schemars(range(min = 1, max = 100))]
    pub page_size: Option<u32>,
}

/// One issue in the list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IssueRow {
    pub id: String,
    pub title: String,
    /// `reported`, `accepted`, `assigned`, `in_progress`, `resolved`, `closed`, `rejected`, `merged`.
    pub state: String,
    pub state_label: String,
    pub category: IssueCategory,
    pub category_label: String,
    pub urgency: Urgency,
    pub urgency_label: String,
    /// `green`, `yellow`, `red`, or `none` (no clock runs).
    pub light: String,
    pub light_label: String,
    /// When the current step is due (unix ms), if a clock runs.
    pub deadline_ms: Option<i64>,
    pub supervision: Option<SupervisionLevel>,
    pub supervision_label: String,
    pub township_id: Option<String>,
    pub township_name: String,
    /// The node the issue is about (a group, a branch...).
    pub place_name: String,
    pub owner_node_id: String,
    pub owner_name: String,
    pub assignee_name: Option<String>,
    pub reported_at_ms: i64,
    /// 挂起: the clock is stopped.
    pub suspended: bool,
    /// Working days of a 延期 request waiting for the level above.
    pub pending_extension_days: Option<u32>,
    /// The sweep found the current step overdue (proposed for escalation).
    pub overdue: bool,
    pub rework_count: u32,
    /// The caller may decide something on it now (延期审批).
    pub waiting_for_me: bool,
}

/// A page of the list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IssuePage {
    pub total: u32,
    pub page: u32,
    pub page_size: u32,
    pub items: Vec<IssueRow>,
    /// Task completion reports waiting for the caller's review (待我审批, on the directives page).
    pub waiting_task_reports: u32,
}

/// The rules and caches of one request.
struct Ctx<'a, 't> {
    conn: &'a ReadTx<'t>,
    staff: &'a Staff,
    sla: SlaRules,
    now: i64,
    names: Names,
    parents: HashMap<String, bool>,
}

impl<'a, 't> Ctx<'a, 't> {
    fn new(conn: &'a ReadTx<'t>, staff: &'a Staff) -> Result<Ctx<'a, 't>> {
        let config = crate::readtx::county_config(conn)?;
        let sla = linkage_protocol::rules::county::CountyRules::from_config(&config).sla;
        Ok(Ctx { conn, staff, sla, now: crate::api::now_ms(), names: Names::default(), parents: HashMap::new() })
    }

    fn owner_has_parent(&mut self, owner: &str) -> Result<bool> {
        if !self.parents.contains_key(owner) {
            let has = staff::node(self.conn, owner)?.is_some_and(|n| n.parent_id.is_some());
            self.parents.insert(owner.to_string(), has);
        }
        Ok(self.parents[owner])
    }

    fn light(&self, p: &IssueProjection) -> (Light, Option<i64>) {
        match self.sla.issue_clock(p) {
            Some(clock) => (clock.light(self.now), Some(clock.deadline_ms(self.now))),
            None => (Light::None, None),
        }
    }

    fn waiting_for_me(&mut self, p: &IssueProjection) -> Result<bool> {
        if p.pending_extension_days.is_none() {
            return Ok(false);
        }
        let has_parent = self.owner_has_parent(&p.owner_node_id)?;
        Ok(lifecycle::authorize(&self.staff.actor(), &p.facts(has_parent), IssueActionKind::DecideExtension).is_ok())
    }

    fn row(&mut self, p: &IssueProjection) -> Result<IssueRow> {
        let (light, deadline_ms) = self.light(p);
        let township_id = staff::township_of(&p.path).map(str::to_string);
        let township_name = match &township_id {
            Some(t) => self.names.node(self.conn, t)?,
            None => String::new(),
        };
        let assignee_name = match &p.assignee_id {
            Some(a) => Some(self.names.user(self.conn, a)?.0),
            None => None,
        };
        Ok(IssueRow {
            id: p.id.clone(),
            title: p.title.clone(),
            state: p.state.as_str().into(),
            state_label: p.state.label(ZH).into(),
            category: p.category,
            category_label: p.category.label(ZH).into(),
            urgency: p.urgency,
            urgency_label: p.urgency.label(ZH).into(),
            light: light_name(light).into(),
            light_label: light_label(light).into(),
            deadline_ms,
            supervision: p.supervision,
            supervision_label: p.supervision.map(|s| s.label(ZH)).unwrap_or_default().into(),
            township_id,
            township_name,
            place_name: self.names.node(self.conn, &p.node_id)?,
            owner_node_id: p.owner_node_id.clone(),
            owner_name: self.names.node(self.conn, &p.owner_node_id)?,
            assignee_name,
            reported_at_ms: p.reported_at_ms,
            suspended: p.suspended(),
            pending_extension_days: p.pending_extension_days,
            overdue: p.overdue_step.is_some(),
            rework_count: p.rework_count,
            waiting_for_me: self.waiting_for_me(p)?,
        })
    }
}

fn light_name(l: Light) -> &'static str {
    match l {
        Light::Green => "green",
        Light::Yellow => "yellow",
        Light::Red => "red",
        Light::None => "none",
    }
}

fn light_label(l: Light) -> &'static str {
    match l {
        Light::Green => "绿灯",
        Light::Yellow => "黄灯",
        Light::Red => "红灯",
        Light::None => "",
    }
}

/// An issue's events in receipt order, folded; `None` when it does not exist.
fn load(conn: &ReadTx<'_>, id: &str) -> Result<Option<(IssueProjection, Vec<(IssueEvent, i64)>)>> {
    let events = conn.query_map("SELECT body, received_at_ms FROM issue_events WHERE issue_id = ?1 ORDER BY rowid", params![id], |r| {
        Ok((serde_json::from_str::<IssueEvent>(&r.get::<String>(0)?)?, r.get::<i64>(1)?))
    })?;
    let refs: Vec<&IssueEvent> = events.iter().map(|(e, _)| e).collect();
    let Some((projection, _)) = lifecycle::fold_ordered(&refs) else { return Ok(None) };
    Ok(Some((projection, events)))
}

/// The issue if the user sees it; one answer for missing and out of scope.
fn load_in_scope(conn: &ReadTx<'_>, staff: &Staff, id: &str) -> Result<std::result::Result<(IssueProjection, Vec<(IssueEvent, i64)>), ApiError>> {
    Ok(staff::checked(load(conn, id)?, Record::Issue, |found| staff::sees(&staff.user, &found.0.path)))
}

/// The SQL condition of an open issue (in no terminal state, `IssueState::is_terminal`): THE list of the
/// console's open states (the issues list's `open` filter, the map's pins).
pub(crate) fn open_sql() -> String {
    state_sql(StateFilter::Open)
}

fn state_sql(filter: StateFilter) -> String {
    // The names are the protocol's fixed snake_case names (`IssueState::as_str`), never user text.
    let list = |states: Vec<IssueState>| states.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
    match filter {
        StateFilter::Open => format!("state NOT IN ({})", list(IssueState::ALL.into_iter().filter(|s| s.is_terminal()).collect())),
        StateFilter::All => "TRUE".into(),
        StateFilter::Is(s) => format!("state = '{}'", s.as_str()),
    }
}

/// Task completion reports waiting for review by the caller's node (issued there).
pub fn waiting_task_reports(conn: &ReadTx<'_>, staff: &Staff) -> Result<u32> {
    conn.query_row(
        "SELECT count(*) FROM directive_task_reports r JOIN directives d ON d.id = r.directive_id
         WHERE d.issuer_node_id = ?1 AND r.status = 'pending'",
        params![staff.user.node_id],
        |r| r.get(0),
    )
}

fn list_issues(conn: &ReadTx<'_>, staff: &Staff, params: &ListParams) -> Result<std::result::Result<IssuePage, ApiError>> {
    let (page, size) = match staff::paging(params.page, params.page_size) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let area = match &params.township {
        Some(t) => match staff::node_in_scope(conn, &staff.user, t)? {
            Ok(n) => n.path,
            Err(e) => return Ok(Err(e)),
        },
        None => staff.user.node_path.clone(),
    };
    let mut ctx = Ctx::new(conn, staff)?;
    let state = params.state.unwrap_or(StateFilter::Open);
    let folded_filter = params.light.is_some() || params.red_card == Some(true) || params.waiting == Some(true);
    let mut sql = format!("SELECT id FROM issues WHERE path >= ?1 AND path < ?2 AND {}", state_sql(state));
    if folded_filter {
        // Lights, cards and decisions concern issues still being handled.
        sql.push_str(" AND ");
        sql.push_str(&state_sql(StateFilter::Open));
    }
    if params.category.is_some() {
        sql.push_str(" AND category = ?3");
    }
    let q = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some() {
        // The next parameter: `?3` without a category.
        sql.push_str(if params.category.is_some() { " AND instr(title, ?4) > 0" } else { " AND instr(title, ?3) > 0" });
    }
    sql.push_str(" ORDER BY reported_at_ms DESC, id");
    let category = params.category.map(|c| crate::sqlite::enum_str(&c));
    let upper = scope::upper_bound(&area);
    let ids: Vec<String> = match (&category, q) {
        (None, None) => conn.query_map(&sql, params![area, upper], |r| r.get(0))?,
        (Some(c), None) => conn.query_map(&sql, params![area, upper, c], |r| r.get(0))?,
        (Some(c), Some(q)) => conn.query_map(&sql, params![area, upper, c, q], |r| r.get(0))?,
        (None, Some(q)) => conn.query_map(&sql, params![area, upper, q], |r| r.get(0))?,
    };
    let offset = ((page - 1) * size) as usize;
    let mut items = Vec::new();
    let total;
    if folded_filter {
        let mut matching = Vec::new();
        for id in &ids {
            let Some((p, _)) = load(conn, id)? else { continue };
            if let Some(l) = params.light {
                let want = match l {
                    LightFilter::Green => Light::Green,
                    LightFilter::Yellow => Light::Yellow,
                    LightFilter::Red => Light::Red,
                };
                if ctx.light(&p).0 != want {
                    continue;
                }
            }
            if params.red_card == Some(true) && p.supervision != Some(SupervisionLevel::Red) {
                continue;
            }
            if params.waiting == Some(true) && !ctx.waiting_for_me(&p)? {
                continue;
            }
            matching.push(p);
        }
        total = matching.len();
        for p in matching.iter().skip(offset).take(size as usize) {
            items.push(ctx.row(p)?);
        }
    } else {
        total = ids.len();
        for id in ids.iter().skip(offset).take(size as usize) {
            if let Some((p, _)) = load(conn, id)? {
                items.push(ctx.row(&p)?);
            }
        }
    }
    Ok(Ok(IssuePage { total: total as u32, page, page_size: size, items, waiting_task_reports: waiting_task_reports(conn, staff)? }))
}

async fn list(State(state): State<AppState>, staff: Staff, params: std::result::Result<Query<ListParams>, QueryRejection>) -> ApiResult<axum::Json<IssuePage>> {
    let Query(params) = params?;
    if let Some(t) = &params.township {
        staff::check_id("township", t)?;
    }
    if params.q.as_ref().is_some_and(|q| q.chars().count() > 50) {
        return Err(ApiError::invalid("q: 搜索词最多 50 个字 / at most 50 characters"));
    }
    let page = staff::read(&state, move |conn| list_issues(conn, &staff, &params)).await??;
    Ok(axum::Json(page))
}

/// One step in an issue's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TimelineEntry {
    pub event_id: String,
    /// The action (`IssueActionKind`'s snake_case name).
    pub action: String,
    pub action_label: String,
    /// When it was done (the device's clock, unix ms).
    pub at_ms: i64,
    /// When the server received it.
    pub received_at_ms: i64,
    pub actor_name: String,
    pub actor_role_label: String,
    /// What the step says in words: reason, note, satisfaction, level, days, who it went to.
    pub detail: String,
    /// Photos of the step (SHA-256; `GET /v1/console/photos/{hash}`).
    pub photos: Vec<String>,
}

/// A visit recorded for the issue (回访 and others), with its GPS.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IssueVisit {
    pub id: String,
    pub visitor_name: String,
    pub kind_label: String,
    pub started_at_ms: i64,
    pub verdict_label: String,
    pub distance_m: Option<f64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub notes: String,
    pub photos: Vec<String>,
}

/// An action the caller may take now, with what its dialog must collect (`lifecycle::needs`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ActionSpec {
    /// `IssueActionKind`'s snake_case name: the `type` of the action to send.
    pub action: String,
    pub label: String,
    /// `none`, `optional` or `required`.
    pub text: String,
    /// The payload field the text goes into (`reason` or `note`).
    pub text_field: Option<String>,
    pub max_text_chars: u32,
    pub max_photos: u32,
    /// Working days allowed (申请延期).
    pub days_min: Option<u32>,
    pub days_max: Option<u32>,
    /// `satisfaction`, `supervision_level` or `decision`.
    pub choice: Option<String>,
    /// Pick a person (交办: `GET .../assignees`).
    pub person: bool,
    /// Pick another issue (合并).
    pub other_issue: bool,
}

/// The issue page.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IssueDetail {
    pub issue: IssueRow,
    pub description: String,
    pub household_id: Option<String>,
    pub household_address: Option<String>,
    /// Household's recorded point (WGS-84).
    pub household_lat: Option<f64>,
    pub household_lon: Option<f64>,
    pub reporter_name: String,
    /// Where it was reported from (the report's GPS fix).
    pub report_lat: Option<f64>,
    pub report_lon: Option<f64>,
    pub report_accuracy_m: Option<f64>,
    pub escalation_count: u32,
    pub satisfaction_label: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    pub visits: Vec<IssueVisit>,
    /// Every photo of the issue (report, resolution, visits).
    pub photos: Vec<String>,
    pub actions: Vec<ActionSpec>,
}

fn detail_of(event: &IssueEvent, names: &mut Names, conn: &ReadTx<'_>) -> Result<(String, Vec<String>)> {
    Ok(match &event.action {
        IssueAction::Report(r) => (format!("{}（{}）", r.description, r.urgency.label(ZH)), r.evidence.clone()),
        IssueAction::Accept | IssueAction::Start | IssueAction::Resume => (String::new(), vec![]),
        IssueAction::Reject { reason } | IssueAction::Suspend { reason } => (reason.clone(), vec![]),
        IssueAction::Merge { into_issue_id } => (format!("并入诉求 {into_issue_id}"), vec![]),
        IssueAction::Assign { assignee_id } => (format!("交办给 {}", names.user(conn, assignee_id)?.0), vec![]),
        IssueAction::Resolve { note, evidence } | IssueAction::ResolveOnSpot { note, evidence } => (note.clone(), evidence.clone()),
        IssueAction::Escalate { reason, to_node_id } => (format!("上报至{}：{reason}", names.node(conn, to_node_id)?), vec![]),
        IssueAction::Verify { satisfaction, note } => (join(satisfaction.label(ZH), note), vec![]),
        IssueAction::RequestExtension { working_days, reason } => (format!("申请延期 {working_days} 个工作日：{reason}"), vec![]),
        IssueAction::DecideExtension { approved, note } => (join(if *approved { "同意延期" } else { "不同意延期" }, note), vec![]),
        IssueAction::Supervise { level, note } => (join(level.label(ZH), note), vec![]),
        IssueAction::MarkOverdue { due_at_ms, .. } => (format!("已超过办理时限（{}），建议上报上级", fmt_time(*due_at_ms)), vec![]),
        IssueAction::Join { note, evidence } => (join("同一事项再次反映", note), evidence.clone()),
    })
}

fn join(a: &str, b: &str) -> String {
    if b.is_empty() {
        a.to_string()
    } else {
        format!("{a}：{b}")
    }
}

/// A time as China Standard Time, `2026-12-02 14:30`.
pub fn fmt_time(ms: i64) -> String {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!("valid offset"));
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&cst).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

fn action_spec(kind: IssueActionKind) -> ActionSpec {
    let needs = lifecycle::needs(kind);
    ActionSpec {
        action: crate::sqlite::enum_str(&kind).to_string(),
        label: kind.label(ZH).into(),
        text: match needs.text {
            TextNeed::None => "none",
            TextNeed::Optional => "optional",
            TextNeed::Required => "required",
        }
        .into(),
        text_field: needs.text_field.map(Into::into),
        max_text_chars: needs.max_text_chars as u32,
        max_photos: needs.max_photos,
        days_min: needs.days.map(|d| d.0),
        days_max: needs.days.map(|d| d.1),
        choice: needs.choice.map(|c| {
            match c {
                ChoiceNeed::Satisfaction => "satisfaction",
                ChoiceNeed::SupervisionLevel => "supervision_level",
                ChoiceNeed::Decision => "decision",
            }
            .into()
        }),
        person: needs.person,
        other_issue: needs.other_issue,
    }
}

/// Visits that name the issue (stored in the feed under the household's path).
fn visits_of(conn: &ReadTx<'_>, p: &IssueProjection, names: &mut Names) -> Result<Vec<IssueVisit>> {
    let needle = format!("\"issue_id\":\"{}\"", p.id);
    let rows = conn.query_map(
        "SELECT op_json FROM changes WHERE path >= ?1 AND path < ?2 AND op_json LIKE '%\"kind\":\"visit_recorded\"%' AND instr(op_json, ?3) > 0 ORDER BY seq",
        params![p.path, scope::upper_bound(&p.path), needle],
        |r| r.get::<String>(0),
    )?;
    let mut out = Vec::new();
    for json in rows {
        let op: Operation = serde_json::from_str(&json)?;
        let OpBody::VisitRecorded(v) = op.body else { continue };
        if v.issue_id.as_deref() != Some(p.id.as_str()) {
            continue;
        }
        out.push(visit_row(&v, names, conn)?);
    }
    Ok(out)
}

fn visit_row(v: &Visit, names: &mut Names, conn: &ReadTx<'_>) -> Result<IssueVisit> {
    Ok(IssueVisit {
        id: v.id.clone(),
        visitor_name: names.user(conn, &v.visitor_id)?.0,
        kind_label: v.kind.label(ZH).into(),
        started_at_ms: v.started_at_ms,
        verdict_label: v.verdict.label(ZH).into(),
        distance_m: v.distance_m,
        lat: v.fix.map(|f| f.lat),
        lon: v.fix.map(|f| f.lon),
        accuracy_m: v.fix.map(|f| f.accuracy_m),
        notes: v.notes.clone(),
        photos: v.evidence.clone(),
    })
}

fn issue_detail(conn: &ReadTx<'_>, staff: &Staff, id: &str) -> Result<std::result::Result<IssueDetail, ApiError>> {
    let (p, events) = match load_in_scope(conn, staff, id)? {
        Ok(found) => found,
        Err(e) => return Ok(Err(e)),
    };
    let mut ctx = Ctx::new(conn, staff)?;
    let row = ctx.row(&p)?;
    let mut names = Names::default();
    let mut timeline = Vec::new();
    let mut photos: Vec<String> = Vec::new();
    for (e, received) in &events {
        let (actor_name, role) = names.user(conn, &e.actor_id)?;
        let (detail, step_photos) = detail_of(e, &mut names, conn)?;
        photos.extend(step_photos.iter().cloned());
        let kind = e.action.kind();
        timeline.push(TimelineEntry {
            event_id: e.event_id.clone(),
            action: crate::sqlite::enum_str(&kind).to_string(),
            action_label: kind.label(ZH).into(),
            at_ms: e.at_ms,
            received_at_ms: *received,
            actor_name,
            actor_role_label: role.map(|r| r.label(ZH)).unwrap_or("系统").into(),
            detail,
            photos: step_photos,
        });
    }
    let visits = visits_of(conn, &p, &mut names)?;
    for v in &visits {
        photos.extend(v.photos.iter().cloned());
    }
    photos.dedup();
    let household = match &p.household_id {
        Some(h) => conn.query_opt("SELECT address, lat, lon FROM households WHERE id = ?1", params![h], |r| {
            Ok((r.get::<String>(0)?, r.get::<Option<f64>>(1)?, r.get::<Option<f64>>(2)?))
        })?,
        None => None,
    };
    let has_parent = ctx.owner_has_parent(&p.owner_node_id)?;
    let actions = lifecycle::allowed_actions(&staff.actor(), &p.facts(has_parent))
        .into_iter()
        .filter(|a| lifecycle::is_button(*a))
        .map(action_spec)
        .collect();
    Ok(Ok(IssueDetail {
        issue: row,
        description: p.description.clone(),
        household_id: p.household_id.clone(),
        household_address: household.as_ref().map(|h| h.0.clone()),
        household_lat: household.as_ref().and_then(|h| h.1),
        household_lon: household.as_ref().and_then(|h| h.2),
        reporter_name: names.user(conn, &p.reporter_id)?.0,
        report_lat: p.location.map(|f| f.lat),
        report_lon: p.location.map(|f| f.lon),
        report_accuracy_m: p.location.map(|f| f.accuracy_m),
        escalation_count: p.escalation_count,
        satisfaction_label: p.satisfaction.map(|s: Satisfaction| s.label(ZH).to_string()),
        timeline,
        visits,
        photos,
        actions,
    }))
}

async fn page(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> ApiResult<axum::Json<IssueDetail>> {
    staff::check_id("id", &id)?;
    let detail = staff::read(&state, move |conn| issue_detail(conn, &staff, &id)).await??;
    Ok(axum::Json(detail))
}

/// A person 交办 may pick, with their load.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Assignee {
    pub user_id: String,
    pub name: String,
    pub role_label: String,
    pub node_name: String,
    /// Issues assigned to them still being handled (在办).
    pub open_issues: u32,
}

fn assignee_list(conn: &ReadTx<'_>, staff: &Staff, id: &str) -> Result<std::result::Result<Vec<Assignee>, ApiError>> {
    let (p, _) = match load_in_scope(conn, staff, id)? {
        Ok(found) => found,
        Err(e) => return Ok(Err(e)),
    };
    let Some(owner) = staff::node(conn, &p.owner_node_id)? else { return Ok(Ok(vec![])) };
    // The nodes on the issue's path from the owner down: whoever `check_assignee` may accept works at one of them.
    let segments: Vec<&str> = p.path.split('/').filter(|s| !s.is_empty()).collect();
    let start = segments.iter().position(|s| *s == owner.id).unwrap_or(segments.len());
    let mut out = Vec::new();
    for node_id in &segments[start..] {
        let rows = conn.query_map(
            "SELECT u.id, u.name, u.role, n.name, n.path,
                    (SELECT count(*) FROM issues i WHERE i.assignee_id = u.id AND i.state IN ('assigned', 'in_progress'))
             FROM users u JOIN org_nodes n ON n.id = u.node_id WHERE u.node_id = ?1 AND NOT u.disabled ORDER BY u.id",
            params![node_id],
            |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?, r.get::<String>(3)?, r.get::<String>(4)?, r.get::<u32>(5)?)),
        )?;
        for (user_id, name, role, node_name, path, open_issues) in rows {
            let role: Role = crate::sqlite::parse_enum(&role)?;
            if lifecycle::check_assignee(&owner.path, &p.path, role, &path).is_ok() {
                out.push(Assignee { user_id, name, role_label: role.label(ZH).into(), node_name, open_issues });
            }
        }
    }
    // Nearest the issue first (the deepest node), as the phone's picker.
    out.reverse();
    Ok(Ok(out))
}

async fn assignees(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> ApiResult<axum::Json<Vec<Assignee>>> {
    staff::check_id("id", &id)?;
    let list = staff::read(&state, move |conn| assignee_list(conn, &staff, &id)).await??;
    Ok(axum::Json(list))
}

/// An action from the console: the page's op id (one per submit) and the action with its payload, as a phone
/// sends it in an `IssueEvent` (`{"type": "supervise", "level": "red", "note": "..."}`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ActionRequest {
    /// Made once per submit by the page (a UUID): a repeated submit of the same op id is done once.
    #[schemars(length(min = 8, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub op_id: String,
    pub action: ConsoleAction,
}

/// The actions staff take on an issue's page (the buttons of `lifecycle::is_button`), with the payload of the
/// `IssueAction` each becomes. Optional texts may be left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConsoleAction {
    /// 受理
    Accept,
    /// 不予受理
    Reject { reason: String },
    /// 合并 into another issue
    Merge { into_issue_id: String },
    /// 交办
    Assign { assignee_id: String },
    /// 开始处置
    Start,
    /// 办结
    Resolve {
        note: String,
        #[serde(default)]
        evidence: Vec<String>,
    },
    /// 上报上级; `to_node_id` empty or left out: the parent of the owning level.
    Escalate {
        reason: String,
        #[serde(default)]
        to_node_id: String,
    },
    /// 回访核实
    Verify {
        satisfaction: Satisfaction,
        #[serde(default)]
        note: String,
    },
    /// 挂起
    Suspend { reason: String },
    /// 恢复办理
    Resume,
    /// 申请延期
    RequestExtension {
        #[serde(deserialize_with = "linkage_protocol::wire::whole::deserialize")]
        working_days: u32,
        reason: String,
    },
    /// 延期审批
    DecideExtension {
        approved: bool,
        #[serde(default)]
        note: String,
    },
    /// 督办
    Supervise {
        level: SupervisionLevel,
        #[serde(default)]
        note: String,
    },
}

impl From<ConsoleAction> for IssueAction {
    fn from(a: ConsoleAction) -> IssueAction {
        match a {
            ConsoleAction::Accept => IssueAction::Accept,
            ConsoleAction::Reject { reason } => IssueAction::Reject { reason },
            ConsoleAction::Merge { into_issue_id } => IssueAction::Merge { into_issue_id },
            ConsoleAction::Assign { assignee_id } => IssueAction::Assign { assignee_id },
            ConsoleAction::Start => IssueAction::Start,
            ConsoleAction::Resolve { note, evidence } => IssueAction::Resolve { note, evidence },
            ConsoleAction::Escalate { reason, to_node_id } => IssueAction::Escalate { reason, to_node_id },
            ConsoleAction::Verify { satisfaction, note } => IssueAction::Verify { satisfaction, note },
            ConsoleAction::Suspend { reason } => IssueAction::Suspend { reason },
            ConsoleAction::Resume => IssueAction::Resume,
            ConsoleAction::RequestExtension { working_days, reason } => IssueAction::RequestExtension { working_days, reason },
            ConsoleAction::DecideExtension { approved, note } => IssueAction::DecideExtension { approved, note },
            ConsoleAction::Supervise { level, note } => IssueAction::Supervise { level, note },
        }
    }
}

async fn act(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ActionRequest>,
) -> ApiResult<axum::Json<ActionAnswer>> {
    staff::check_id("id", &id)?;
    staff::check_op_id(&req.op_id)?;
    let action = IssueAction::from(req.action);
    let kind = action.kind();
    debug_assert!(lifecycle::is_button(kind));
    // Out of scope and missing answer alike, before anything is judged.
    let (check_staff, check_id) = (Staff { user: staff.user.clone(), device_id: staff.device_id.clone(), address: staff.address.clone() }, id.clone());
    staff::read(&state, move |conn| Ok(load_in_scope(conn, &check_staff, &check_id)?.map(drop))).await??;
    // Trimmed and checked as the phone's form does before it makes the event; as a push answers a well-formed
    // op that breaks a content rule: `rejected`, with the reason.
    let action = match lifecycle::normalize_payload(action) {
        Ok(a) => a,
        Err(e) => {
            let mut answer = ActionAnswer::rejected(RejectCode::InvalidInput, None);
            answer.message = format!("{}（{e}）", answer.message);
            return Ok(axum::Json(answer));
        }
    };
    let user = staff.user.clone();
    let hlc_staff = Staff { user: staff.user.clone(), device_id: staff.device_id.clone(), address: String::new() };
    let op_id = req.op_id.clone();
    let issue_id = id.clone();
    let build = move |conn: &ReadTx<'_>, now: i64| {
        // 上报上级: to the parent of the owning node (the only legal target), filled in here when left empty.
        let action = fill_escalation_target(conn, &issue_id, action)?;
        Ok(Ok(Operation {
            op_id: op_id.clone(),
            hlc: staff::hlc_now(&hlc_staff, now),
            body: OpBody::IssueEvent(IssueEvent {
                event_id: op_id,
                issue_id,
                actor_id: user.id.clone(),
                actor_role: user.role,
                actor_node_id: user.node_id.clone(),
                actor_name: Some(user.name.clone()),
                hlc: staff::hlc_now(&hlc_staff, now),
                at_ms: now,
                action,
            }),
        }))
    };
    let why_staff = staff.actor();
    let why = move |conn: &ReadTx<'_>, op: &Operation| -> Result<Option<RuleError>> {
        let OpBody::IssueEvent(e) = &op.body else { return Ok(None) };
        let Some((p, _)) = load(conn, &e.issue_id)? else { return Ok(None) };
        let has_parent = staff::node(conn, &p.owner_node_id)?.is_some_and(|n| n.parent_id.is_some());
        Ok(lifecycle::authorize(&why_staff, &p.facts(has_parent), e.action.kind()).err())
    };
    let label: &'static str = kind.label(ZH);
    // Like a phone's step, the change feed is its record (with the actor, times and receipt order).
    let answer = staff::apply(&state, &staff, label, build, why).await?;
    Ok(axum::Json(answer))
}

/// Escalation needs the parent of the owner: the page sends `to_node_id` empty and it is filled here.
pub fn fill_escalation_target(conn: &ReadTx<'_>, issue_id: &str, action: IssueAction) -> Result<IssueAction> {
    match action {
        IssueAction::Escalate { reason, to_node_id } if to_node_id.is_empty() => {
            let parent = match load(conn, issue_id)? {
                Some((p, _)) => staff::node(conn, &p.owner_node_id)?.and_then(|n| n.parent_id),
                None => None,
            };
            Ok(IssueAction::Escalate { reason, to_node_id: parent.unwrap_or_default() })
        }
        other => Ok(other),
    }
}

async fn photo(State(state): State<AppState>, staff: Staff, Path(hash): Path<String>) -> ApiResult<Response> {
    linkage_protocol::validate::evidence("hash", std::slice::from_ref(&hash))
        .map_err(|e| ApiError::invalid(format!("照片编号格式不对 / {e}")))?;
    let storage = state.storage.clone();
    let (scope_path, h) = (staff.user.node_path.clone(), hash.clone());
    let bytes = crate::api::blocking(move || {
        if !storage.blob_referenced_within(&h, &scope_path)? {
            return Ok(None);
        }
        storage.blob_read(&h)
    })
    .await?
    .ok_or_else(|| staff::out_of_scope(Record::Photo))?;
    record(&state, audit::Event::new(staff.user.id.clone(), Action::BlobDownload, hash, staff.address.clone())).await;
    let headers = [
        (header::CONTENT_TYPE, "image/jpeg"),
        (header::CACHE_CONTROL, "private, max-age=31536000, immutable"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    Ok((StatusCode::OK, headers, axum::body::Bytes::from(bytes)).into_response())
}

pub(crate) fn openapi_routes(gen: &mut schemars::SchemaGenerator) -> Vec<Route> {
    let query = <ListParams as schemars::JsonSchema>::json_schema(gen).to_value();
    let bad = (400, vec![ErrorCode::InvalidInput], "a malformed id or query");
    let missing = (404, vec![ErrorCode::NotFound], "no such issue in the caller's scope (one answer for missing and out of scope)");
    let action_example = serde_json::json!({ "op_id": "0194f3a2-7c1e-7b3a-9f10-1234567890ad",
        "action": { "type": "supervise", "level": "red", "note": "请三日内办结" } });
    vec![
        Route {
            method: "get",
            path: LIST,
            id: "consoleIssues",
            summary: "Console: issues of the caller's area, filtered and paged",
            description: "County or township staff only. Filters: state (default open), light, category, township, \
                          red card (红牌督办), waiting for the caller's decision (延期审批), words in the title. Also \
                          counts task completion reports waiting for the caller's review.",
            auth: true,
            query: Some(query),
            hash: false,
            body: Body::None,
            ok: Success::json("a page of issues", ref_of::<IssuePage>(gen)),
            errors: sorted([vec![bad.clone(), (404, vec![ErrorCode::NotFound], "the township is not in the caller's scope")], staff_errors()].concat()),
        },
        Route {
            method: "get",
            path: ISSUE,
            id: "consoleIssue",
            summary: "Console: one issue's page — timeline, photos, visits with GPS, the actions the caller may take",
            description: "The issue folded from its events in the server's receipt order, lit by the county's time \
                          limits; the actions are those the shared lifecycle rules allow the caller now, each with \
                          what its dialog needs.",
            auth: true,
            query: None,
            hash: false,
            body: Body::None,
            ok: Success::json("the issue", ref_of::<IssueDetail>(gen)),
            errors: sorted([vec![bad.clone(), missing.clone()], staff_errors()].concat()),
        },
        Route {
            method: "get",
            path: ASSIGNEES,
            id: "consoleIssueAssignees",
            summary: "Console: the people 交办 may pick for the issue, nearest first, with their open issues",
            description: "Staff and grid workers working where the issue is or above it, within the owning level \
                          (`lifecycle::check_assignee`).",
            auth: true,
            query: None,
            hash: false,
            body: Body::None,
            ok: Success::json("people", ref_of::<Vec<Assignee>>(gen)),
            errors: sorted([vec![bad.clone(), missing.clone()], staff_errors()].concat()),
        },
        Route {
            method: "post",
            path: ACTIONS,
            id: "consoleIssueAction",
            summary: "Console: take an action on an issue (交办, 督办, 延期审批, 上报上级, 办结, 回访核实, ...)",
            description: "Made as the signed-in staff member and applied through the phones' push path (same rules, \
                          change feed, receipt order). The op id is the idempotency key: a repeated submit answers \
                          `duplicate`. A refusal by the rules is `rejected` with the reason in Chinese. 上报上级 may \
                          leave `to_node_id` empty: the parent of the owning level is filled in.",
            auth: true,
            query: None,
            hash: false,
            body: Body::Json(ref_of::<ActionRequest>(gen), action_example),
            ok: Success::json("how the action ended", ref_of::<ActionAnswer>(gen)),
            errors: sorted([json_body_errors(), vec![missing], staff_errors()].concat()),
        },
        Route {
            method: "get",
            path: PHOTO,
            id: "consolePhoto",
            summary: "Console: a photo of a record in the caller's scope",
            description: "The blob rules of `GET /v1/blobs/{hash}`: only a photo some record in the caller's scope \
                          refers to; audited.",
            auth: true,
            query: None,
            hash: true,
            body: Body::None,
            ok: Success::Jpeg,
            errors: sorted(
                [
                    vec![
                        (400, vec![ErrorCode::InvalidInput], "the hash is not a lowercase hex SHA-256"),
                        (404, vec![ErrorCode::NotFound], "not referenced in the caller's scope, or not uploaded yet (one answer)"),
                    ],
                    staff_errors(),
                ]
                .concat(),
            ),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_filters_are_the_protocols_states() {
        // Every protocol state is a filter by its own name, plus `open` and `all`; nothing else.
        let names: Vec<&str> = StateFilter::all().map(StateFilter::as_str).collect();
        let mut expected = vec!["open", "all"];
        expected.extend(IssueState::ALL.iter().map(|s| s.as_str()));
        assert_eq!(names, expected);
        for s in IssueState::ALL {
            let f: StateFilter = serde_json::from_value(serde_json::json!(s.as_str())).unwrap();
            assert_eq!(f, StateFilter::Is(s));
            assert_eq!(state_sql(f), format!("state = '{}'", s.as_str()));
        }
        let err = serde_json::from_value::<StateFilter>(serde_json::json!("pending")).unwrap_err().to_string();
        assert!(err.contains("状态只能是") && err.contains("in_progress"), "{err}");
        // `open` leaves out exactly the terminal states.
        let open = state_sql(StateFilter::Open);
        for s in IssueState::ALL {
            assert_eq!(open.contains(&format!("'{}'", s.as_str())), s.is_terminal(), "{open}");
        }
        // The OpenAPI enum lists them all, with the zh-CN labels.
        let schema = <StateFilter as JsonSchema>::json_schema(&mut schemars::SchemaGenerator::default()).to_value();
        let consts: Vec<&str> = schema["oneOf"].as_array().unwrap().iter().map(|v| v["const"].as_str().unwrap()).collect();
        assert_eq!(consts, expected);
        assert_eq!(schema["oneOf"][6]["description"], "办结待回访");
        assert_eq!(schema["oneOf"][0]["description"], "在办 — not closed, rejected or merged.");
    }
}
