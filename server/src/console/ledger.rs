//! 民生台账 on the console (issue #14 point 7): household search within the caller's scope (name, address,
//! tag, risk, area; paged) with phone and ID number masked in the list, the household's page (its ledger entry
//! as the caller's role may see it under the county's privacy rules, visits and issues), and the measures of the
//! caller's area exported to XLSX from the page (`measures::compute`, the `linkage-server measures` export).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::model::{IssueCategory, IssueState, OnSiteVerdict, RiskLevel};
use linkage_protocol::rules::scope;
use linkage_protocol::sync::ErrorCode;
use linkage_protocol::validate::{mask_id_number, mask_phone};
use linkage_protocol::wire::BundleHousehold;
use crate::readtx::{params, ReadTx, Row};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::staff::{self, Names, Record, Staff};
use crate::api::{record, ApiError, ApiResult, AppState, Routes};
use crate::audit::{self, Action};
use crate::error::{Error, Result};
use super::{staff_errors, sorted};
use crate::openapi::{ref_of, Body, Route, Success};
use crate::sqlite::parse_enum;

pub const HOUSEHOLDS: &str = "/v1/console/households";
pub const HOUSEHOLD: &str = "/v1/console/households/{id}";
pub const MEASURES_XLSX: &str = "/v1/console/measures/export";

const ZH: Locale = Locale::ZhCn;
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(MethodFilter::GET, HOUSEHOLDS, search)
        .add(MethodFilter::GET, HOUSEHOLD, page)
        .add(MethodFilter::GET, MEASURES_XLSX, export_measures)
}

/// Query of the household search.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SearchParams {
    /// Words in the head's name or the address.
    #[schemars(length(max = 50))]
    pub q: Option<String>,
    /// A tag (低保, 独居老人, ...).
    #[schemars(length(max = 20))]
    pub tag: Option<String>,
    pub risk: Option<RiskLevel>,
    /// A node in the caller's scope: only households under it.
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub node: Option<String>,
    /// `false`: only households not visited on site by their grid worker (branch level) within the county's
    /// branch cadence (as the map colours them; the dashboard's "not visited" link); `true`: only those visited.
    pub visited: Option<bool>,
    #[schemars(range(min = 1, max = 100000))]
    pub page: Option<u32>,
    #[schemars(range(min = 1, max = 100))]
    pub page_size: Option<u32>,
}

/// A household in the list (phone and ID number masked).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HouseholdRow {
    pub id: String,
    pub head_name: String,
    pub members: u32,
    pub phone_masked: Option<String>,
    pub address: String,
    pub tags: Vec<String>,
    pub risk_level: RiskLevel,
    pub risk_label: String,
    pub township_name: String,
    pub group_name: String,
    /// The last visit on site, if any.
    pub last_visit_at_ms: Option<i64>,
}

/// A page of households.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HouseholdPage {
    pub total: u32,
    pub page: u32,
    pub page_size: u32,
    pub items: Vec<HouseholdRow>,
    /// The branch cadence in days (what `visited` is judged by).
    pub cadence_days: u32,
    /// The area searched: the `node` asked for, else the caller's own.
    pub area_id: String,
    pub area_name: String,
}

fn privacy(conn: &ReadTx<'_>) -> Result<linkage_protocol::rules::privacy::PrivacyPolicy> {
    Ok(linkage_protocol::rules::county::CountyRules::from_config(&crate::readtx::county_config(conn)?).privacy)
}

const HOUSEHOLD_COLUMNS: &str = "id, group_id, head_name, members, phone, id_number, address, lat, lon, tags, risk_level, county_contact, path";

fn household_of(r: &Row<'_>) -> Result<(BundleHousehold, String, String)> {
    Ok((
        BundleHousehold {
            id: r.get(0)?,
            group_id: r.get(1)?,
            head_name: r.get(2)?,
            members: r.get(3)?,
            phone: r.get(4)?,
            id_number: r.get(5)?,
            address: r.get(6)?,
            lat: r.get(7)?,
            lon: r.get(8)?,
            tags: Vec::new(),
            risk_level: RiskLevel::Low,
            county_contact: r.get(11)?,
        },
        // tags JSON and risk level, parsed after.
        format!("{}\u{1}{}", r.get::<String>(9)?, r.get::<String>(10)?),
        r.get(12)?,
    ))
}

fn finish(raw: (BundleHousehold, String, String)) -> Result<(BundleHousehold, String)> {
    let (mut h, extra, path) = raw;
    let (tags, risk) = extra.split_once('\u{1}').unwrap_or_default();
    h.tags = serde_json::from_str(tags)?;
    h.risk_level = parse_enum(risk)?;
    Ok((h, path))
}

/// The last on-site visit of each of `ids` (one pass over the visits for a page of households).
fn last_visits(conn: &ReadTx<'_>, ids: &[String]) -> Result<std::collections::HashMap<String, i64>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("?{i}")).collect();
    let params: Vec<&dyn crate::readtx::Param> = ids.iter().map(|id| id as &dyn crate::readtx::Param).collect();
    let rows = conn.query_map(
        &format!(
            "SELECT household_id, max(started_at_ms) FROM visits WHERE verdict = 'on_site' AND household_id IN ({}) GROUP BY household_id",
            marks.join(", ")
        ),
        &params,
        |r| Ok((r.get::<String>(0)?, r.get::<i64>(1)?)),
    )?;
    Ok(rows.into_iter().collect())
}

/// The branch cadence (days) the `visited` filter judges by, as the map does.
fn branch_cadence_days(conn: &ReadTx<'_>) -> Result<u32> {
    let policy = crate::measures::MeasuresPolicy::for_county(&crate::readtx::county_config(conn)?);
    Ok(policy.cadence.interval_days(linkage_protocol::model::OrgLevel::Branch).unwrap_or(60))
}

fn search_households(conn: &ReadTx<'_>, staff: &Staff, p: &SearchParams) -> Result<std::result::Result<HouseholdPage, ApiError>> {
    let (page, size) = match staff::paging(p.page, p.page_size) {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let area_id = p.node.clone().unwrap_or_else(|| staff.user.node_id.clone());
    let (area, area_name) = match staff::node_in_scope(conn, &staff.user, &area_id)? {
        Ok(n) => (n.path, n.name),
        Err(e) => return Ok(Err(e)),
    };
    let q = p.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("").to_string();
    let tag = p.tag.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|t| serde_json::to_string(t).unwrap_or_default()).unwrap_or_default();
    let risk = p.risk.map(|r| crate::sqlite::enum_str(&r).to_string()).unwrap_or_default();
    let cadence_days = branch_cadence_days(conn)?;
    let since = linkage_protocol::rules::cadence::overdue_threshold_ms(crate::api::now_ms(), cadence_days);
    let mut filter = "path >= ?1 AND path < ?2 AND (?3 = '' OR instr(head_name, ?3) > 0 OR instr(address, ?3) > 0)
                  AND (?4 = '' OR instr(tags, ?4) > 0) AND (?5 = '' OR risk_level = ?5)"
        .to_string();
    let upper = scope::upper_bound(&area);
    let mut args: Vec<&dyn crate::readtx::Param> = vec![&area, &upper, &q, &tag, &risk];
    if let Some(visited) = p.visited {
        // One pass over the area's visits (the subquery is not correlated: built once).
        filter.push_str(if visited { " AND id IN " } else { " AND id NOT IN " });
        filter.push_str(
            "(SELECT household_id FROM visits WHERE path >= ?1 AND path < ?2 AND visitor_level = 'branch' AND verdict = 'on_site'
              AND amends_visit_id IS NULL AND started_at_ms >= ?6)",
        );
        args.push(&since);
    }
    let total: u32 = conn.query_row(&format!("SELECT count(*) FROM households WHERE {filter}"), &args, |r| r.get(0))?;
    let (limit, offset) = (size, (page - 1) * size);
    let n = args.len();
    args.push(&limit);
    args.push(&offset);
    let rows = conn.query_map(
        &format!("SELECT {HOUSEHOLD_COLUMNS} FROM households WHERE {filter} ORDER BY path LIMIT ?{} OFFSET ?{}", n + 1, n + 2),
        &args,
        household_of,
    )?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.id.clone()).collect();
    let last = last_visits(conn, &ids)?;
    let policy = privacy(conn)?;
    let mut names = Names::default();
    let mut items = Vec::new();
    for raw in rows {
        let (mut h, path) = finish(raw)?;
        policy.project_household(staff.user.role, &mut h);
        let township_name = match staff::township_of(&path) {
            Some(t) => names.node(conn, t)?,
            None => String::new(),
        };
        items.push(HouseholdRow {
            last_visit_at_ms: last.get(&h.id).copied(),
            group_name: names.node(conn, &h.group_id)?,
            township_name,
            id: h.id,
            head_name: h.head_name,
            members: h.members,
            phone_masked: h.phone.as_deref().map(mask_phone),
            address: h.address,
            tags: h.tags,
            risk_label: h.risk_level.label(ZH).into(),
            risk_level: h.risk_level,
        });
    }
    Ok(Ok(HouseholdPage { total, page, page_size: size, items, cadence_days, area_id, area_name }))
}

async fn search(State(state): State<AppState>, staff: Staff, params: std::result::Result<Query<SearchParams>, QueryRejection>) -> ApiResult<axum::Json<HouseholdPage>> {
    let Query(params) = params?;
    if let Some(n) = &params.node {
        staff::check_id("node", n)?;
    }
    if params.q.as_ref().is_some_and(|q| q.chars().count() > 50) || params.tag.as_ref().is_some_and(|t| t.chars().count() > 20) {
        return Err(ApiError::invalid("搜索词过长 / search words too long"));
    }
    let page = staff::read(&state, move |conn| search_households(conn, &staff, &params)).await??;
    Ok(axum::Json(page))
}

/// A visit on the household's page.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HouseholdVisit {
    pub id: String,
    pub visitor_name: String,
    pub started_at_ms: i64,
    pub verdict_label: String,
    pub distance_m: Option<f64>,
}

/// An issue on the household's page.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HouseholdIssue {
    pub id: String,
    pub title: String,
    pub category_label: String,
    pub state_label: String,
    pub reported_at_ms: i64,
}

/// The household's page: its ledger entry as the caller's role may see it (phone and ID number as the county's
/// privacy rules give them to this role), its last visits and its issues.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HouseholdDetail {
    pub household: BundleHousehold,
    pub risk_label: String,
    pub place: String,
    /// A page of its visits, newest first (`visits_page`), and how many there are.
    pub visits: Vec<HouseholdVisit>,
    pub visits_total: u32,
    pub visits_page: u32,
    /// A page of its issues, newest first (`issues_page`), and how many there are.
    pub issues: Vec<HouseholdIssue>,
    pub issues_total: u32,
    pub issues_page: u32,
    /// Rows per page of both lists.
    pub page_size: u32,
    /// The last on-site visit, if any.
    pub last_visit_at_ms: Option<i64>,
}

/// Query of the household's page: which page of its visits and of its issues.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct DetailParams {
    #[schemars(range(min = 1, max = 100000))]
    pub visits_page: Option<u32>,
    #[schemars(range(min = 1, max = 100000))]
    pub issues_page: Option<u32>,
    /// Rows per page of both lists, 1–100 (default 20).
    #[schemars(range(min = 1, max = 100))]
    pub page_size: Option<u32>,
}

fn household_page(conn: &ReadTx<'_>, staff: &Staff, id: &str, p: &DetailParams) -> Result<std::result::Result<HouseholdDetail, ApiError>> {
    let ((visits_page, size), (issues_page, _)) = match (staff::paging(p.visits_page, p.page_size), staff::paging(p.issues_page, p.page_size)) {
        (Ok(v), Ok(i)) => (v, i),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    let found = conn.query_opt(&format!("SELECT {HOUSEHOLD_COLUMNS} FROM households WHERE id = ?1"), params![id], household_of)?;
    let (mut h, path) = match staff::checked(found.map(finish).transpose()?, Record::Household, |(_, path)| staff::sees(&staff.user, path)) {
        Ok(found) => found,
        Err(e) => return Ok(Err(e)),
    };
    privacy(conn)?.project_household(staff.user.role, &mut h);
    if let Some(n) = h.id_number.take() {
        // Shown masked on the console too: a desk screen is seen by more eyes than a phone.
        h.id_number = Some(if n.contains('*') { n } else { mask_id_number(&n) });
    }
    let mut names = Names::default();
    let place = {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut parts = Vec::new();
        for s in &segments[1..segments.len().saturating_sub(1)] {
            parts.push(names.node(conn, s)?);
        }
        parts.join(" / ")
    };
    let mut visits = Vec::new();
    {
        let rows = conn.query_map(
            "SELECT id, visitor_id, started_at_ms, verdict, distance_m FROM visits WHERE household_id = ?1 ORDER BY started_at_ms DESC, id LIMIT ?2 OFFSET ?3",
            params![id, size, (visits_page - 1) * size],
            |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<i64>(2)?, r.get::<String>(3)?, r.get::<Option<f64>>(4)?)),
        )?;
        for (vid, visitor, at, verdict, distance_m) in rows {
            let verdict: OnSiteVerdict = parse_enum(&verdict)?;
            visits.push(HouseholdVisit { id: vid, visitor_name: names.user(conn, &visitor)?.0, started_at_ms: at, verdict_label: verdict.label(ZH).into(), distance_m });
        }
    }
    let mut issues = Vec::new();
    {
        let rows = conn.query_map(
            "SELECT id, title, category, state, reported_at_ms FROM issues WHERE path = ?1 ORDER BY reported_at_ms DESC, id LIMIT ?2 OFFSET ?3",
            params![path, size, (issues_page - 1) * size],
            |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?, r.get::<String>(3)?, r.get::<i64>(4)?)),
        )?;
        for (iid, title, category, state, at) in rows {
            let category: IssueCategory = parse_enum(&category)?;
            let state: IssueState = parse_enum(&state)?;
            issues.push(HouseholdIssue { id: iid, title, category_label: category.label(ZH).into(), state_label: state.label(ZH).into(), reported_at_ms: at });
        }
    }
    let (visits_total, last_visit_at_ms): (u32, Option<i64>) = conn.query_row(
        "SELECT count(*), max(CASE WHEN verdict = 'on_site' THEN started_at_ms END) FROM visits WHERE household_id = ?1",
        params![id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let issues_total: u32 = conn.query_row("SELECT count(*) FROM issues WHERE path = ?1", params![path], |r| r.get(0))?;
    Ok(Ok(HouseholdDetail {
        risk_label: h.risk_level.label(ZH).into(),
        household: h,
        place,
        visits,
        visits_total,
        visits_page,
        issues,
        issues_total,
        issues_page,
        page_size: size,
        last_visit_at_ms,
    }))
}

async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    params: std::result::Result<Query<DetailParams>, QueryRejection>,
) -> ApiResult<axum::Json<HouseholdDetail>> {
    let Query(params) = params?;
    staff::check_id("id", &id)?;
    let detail = staff::read(&state, move |conn| household_page(conn, &staff, &id, &params)).await??;
    Ok(axum::Json(detail))
}

/// Query of the measures export.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ExportParams {
    /// A node in the caller's scope (default: the caller's own).
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub node: Option<String>,
    /// First day, `YYYY-MM-DD` (China Standard Time).
    #[schemars(regex(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub from: String,
    /// Last day, inclusive.
    #[schemars(regex(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub to: String,
}

async fn export_measures(State(state): State<AppState>, staff: Staff, params: std::result::Result<Query<ExportParams>, QueryRejection>) -> ApiResult<Response> {
    let Query(params) = params?;
    if let Some(n) = &params.node {
        staff::check_id("node", n)?;
    }
    let dates = crate::measures::DateRange::parse(&params.from, &params.to)
        .map_err(|_| ApiError::invalid("日期有误：请写成 2026-10-01，开始日期不能晚于结束日期 / from/to must be YYYY-MM-DD, from ≤ to"))?;
    if (dates.to - dates.from).num_days() > 400 {
        return Err(ApiError::invalid("一次最多导出 400 天 / at most 400 days at a time"));
    }
    let user = staff.user.clone();
    let node = params.node.clone();
    let (node_id, bytes) = staff::read(&state, move |conn| {
        let node_id = node.unwrap_or_else(|| user.node_id.clone());
        match staff::node_in_scope(conn, &user, &node_id)? {
            Ok(_) => {}
            Err(e) => return Ok(Err(e)),
        }
        let policy = crate::measures::MeasuresPolicy::for_county(&crate::readtx::county_config(conn)?);
        let report = crate::measures::compute(conn, &node_id, dates, crate::api::now_ms(), &policy)?;
        Ok(Ok((node_id, report.to_xlsx()?)))
    })
    .await??;
    let detail = serde_json::json!({ "node": node_id, "from": params.from, "to": params.to, "format": "xlsx", "via": "console" });
    record(&state, audit::Event::new(staff.user.id.clone(), Action::MeasuresExport, &node_id, staff.address.clone()).with(detail)).await;
    let file = format!("attachment; filename=\"measures-{node_id}-{}-{}.xlsx\"", params.from, params.to);
    let disposition = header::HeaderValue::from_str(&file).map_err(|_| ApiError::from(Error::Invalid("导出文件名不合法 / bad export file name".into())))?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, header::HeaderValue::from_static(XLSX)), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

pub(crate) fn openapi_routes(gen: &mut schemars::SchemaGenerator) -> Vec<Route> {
    let bad = (400, vec![ErrorCode::InvalidInput], "a malformed id or query");
    let missing_node = (404, vec![ErrorCode::NotFound], "the node is not in the caller's scope");
    vec![
        Route {
            method: "get",
            path: HOUSEHOLDS,
            id: "consoleHouseholds",
            summary: "Console: household search within the caller's scope (phone masked), paged",
            description: "By words in the head's name or address, tag, risk level and area.",
            auth: true,
            query: Some(<SearchParams as JsonSchema>::json_schema(gen).to_value()),
            hash: false,
            body: Body::None,
            ok: Success::json("a page of households", ref_of::<HouseholdPage>(gen)),
            errors: sorted([vec![bad.clone(), missing_node.clone()], staff_errors()].concat()),
        },
        Route {
            method: "get",
            path: HOUSEHOLD,
            id: "consoleHousehold",
            summary: "Console: a household's page — ledger entry (as the role may see it), visits, issues (paged)",
            description: "Personal data as the county's privacy rules give it to the caller's role; the ID number masked. \
                          Visits and issues newest first, a page of each.",
            auth: true,
            query: Some(<DetailParams as JsonSchema>::json_schema(gen).to_value()),
            hash: false,
            body: Body::None,
            ok: Success::json("the household", ref_of::<HouseholdDetail>(gen)),
            errors: sorted([vec![bad.clone(), (404, vec![ErrorCode::NotFound], "no such household in the caller's scope (one answer for missing and out of scope)")], staff_errors()].concat()),
        },
        Route {
            method: "get",
            path: MEASURES_XLSX,
            id: "consoleMeasuresExport",
            summary: "Console: the measures of a node in the caller's scope over a period, as XLSX",
            description: "The `linkage-server measures --format xlsx` export (the node and each child); audited.",
            auth: true,
            query: Some(<ExportParams as JsonSchema>::json_schema(gen).to_value()),
            hash: false,
            body: Body::None,
            ok: Success::Xlsx,
            errors: sorted([vec![bad, missing_node], staff_errors()].concat()),
        },
    ]
}
