//! Forms (问卷, 排查表) on the console (issue #15 point 3): the county office imports an XLSForm workbook with the
//! checks and row-level zh-CN problems of `linkage-server form import` (`crate::forms::parse_xlsform_bytes`, the
//! shared compiler), targets it at a node and roles, lists the form versions with their targets and response
//! counts, retires a version (`form retire`), and any staff member tabulates a version within their area
//! (`crate::forms::tabulate`, the code of `form report`) or downloads the XLSX export (`form export`).
//!
//! Scope: import and retire are county administrators' (县级干部, as the CLI on the county server); a township
//! sees the forms that reach its township (targeted at it, inside it or above it) with the responses of its
//! area only, and tabulates or exports only nodes of its area. Figures are computed here in Rust, never in
//! the browser.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use linkage_protocol::forms::{CompiledForm, FormDef};
use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::model::{OrgLevel, Role};
use linkage_protocol::rules::scope;
use linkage_protocol::sync::ErrorCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::staff::{self, Staff};
use super::{sorted, staff_errors};
use crate::api::{blocking, record, ApiError, ApiResult, AppState, Routes};
use crate::audit::{self, Action};
use crate::error::{Error, Result};
use crate::forms::{self as forms_core, RowError};
use crate::openapi::{ref_of, Body, Route, Success};
use crate::readtx::{params, ReadTx, Row};
use crate::sqlite::parse_enum;

pub const FORMS: &str = "/v1/console/forms";
pub const IMPORT: &str = "/v1/console/forms/import";
pub const RETIRE: &str = "/v1/console/forms/{id}/retire";
pub const REPORT: &str = "/v1/console/forms/{id}/report";
pub const EXPORT: &str = "/v1/console/forms/{id}/export";

/// Largest XLSForm workbook taken (a questionnaire of a few hundred rows is tens of KB).
pub const MAX_FORM_BYTES: usize = 8 * 1024 * 1024;

const ZH: Locale = Locale::ZhCn;
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The roles a form may be targeted at, in the order the page offers them.
const TARGET_ROLES: [Role; 5] = [Role::GridWorker, Role::LiaisonHead, Role::BranchSecretary, Role::TownshipStaff, Role::CountyStaff];
/// The schema pattern of `roles`: role names separated by commas.
const ROLES_PATTERN: &str = "^(grid_worker|liaison_head|branch_secretary|township_staff|county_staff)(,(grid_worker|liaison_head|branch_secretary|township_staff|county_staff))*$";

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(MethodFilter::GET, FORMS, list)
        .add(MethodFilter::POST, IMPORT, import)
        .add(MethodFilter::POST, RETIRE, retire)
        .add(MethodFilter::GET, REPORT, report)
        .add(MethodFilter::GET, EXPORT, export)
}

fn county_only(staff: &Staff) -> ApiResult<()> {
    if staff.is_county() {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "只有县级干部可以导入和停用问卷 / only county staff import and retire forms"))
    }
}

/// A node a form can be targeted at or tabulated for (the caller's node and the townships and villages under it).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NodeOption {
    pub id: String,
    /// The name with its ancestors below the caller's node: `石堡镇 / 石堡村`.
    pub label: String,
    pub level: OrgLevel,
}

/// A role a form can be targeted at, with its zh-CN name.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RoleOption {
    pub role: Role,
    pub label: String,
}

/// A stored form version as the list shows it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FormVersionRow {
    pub form_id: String,
    pub version: u32,
    pub title: String,
    /// The node whose subtree receives it, and its name.
    pub target_node_id: String,
    pub target_name: String,
    /// The roles that fill it (empty: every role), and in words (`网格员、联户长` or `所有角色`).
    pub roles: Vec<Role>,
    pub roles_label: String,
    /// Only households with one of these tags (empty: any household).
    pub household_tags: Vec<String>,
    /// Questions asked (notes and computed values not counted).
    pub questions: u32,
    pub published_at_ms: i64,
    pub retired_at_ms: Option<i64>,
    /// `使用中` or `已停用`.
    pub state_label: String,
    /// Responses received from within the caller's area.
    pub responses: u32,
}

/// The forms page: the versions reaching the caller's area (by form, newest version first), the nodes and roles
/// an import may target, and whether the caller may import and retire.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FormsPage {
    pub forms: Vec<FormVersionRow>,
    pub nodes: Vec<NodeOption>,
    pub roles: Vec<RoleOption>,
    pub can_manage: bool,
}

fn roles_label(roles: &[Role]) -> String {
    if roles.is_empty() {
        "所有角色".into()
    } else {
        roles.iter().map(|r| r.label(ZH).to_string()).collect::<Vec<_>>().join("、")
    }
}

/// The node id a target path names (its last segment).
fn path_node(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

/// Whether a form targeted at `target` reaches any part of the area `area` (both paths).
fn reaches(target: &str, area: &str) -> bool {
    scope::within(area, target) || scope::within(target, area)
}

/// A stored form version row: (form id, version, def, target path, published, retired).
struct StoredForm {
    def: FormDef,
    target_path: String,
    published_at_ms: i64,
    retired_at_ms: Option<i64>,
}

fn stored_form(r: &Row<'_>) -> Result<StoredForm> {
    Ok(StoredForm { def: serde_json::from_str(&r.get::<String>(0)?)?, target_path: r.get(1)?, published_at_ms: r.get(2)?, retired_at_ms: r.get(3)? })
}

/// Every stored version (of one form, or of all), by form id, newest version first.
fn stored_forms(conn: &ReadTx<'_>, form_id: Option<&str>) -> Result<Vec<StoredForm>> {
    const COLUMNS: &str = "SELECT def_json, target_path, published_at_ms, retired_at_ms FROM forms";
    match form_id {
        Some(id) => conn.query_map(&format!("{COLUMNS} WHERE form_id = ?1 ORDER BY version DESC"), params![id], stored_form),
        None => conn.query_map(&format!("{COLUMNS} ORDER BY form_id, version DESC"), params![], stored_form),
    }
}

fn node_name(conn: &ReadTx<'_>, id: &str) -> Result<String> {
    Ok(conn.query_opt("SELECT name FROM org_nodes WHERE id = ?1", params![id], |r| r.get(0))?.unwrap_or_else(|| id.to_string()))
}

/// The caller's node and the townships and villages under it, each labelled with its ancestors below the caller.
fn node_options(conn: &ReadTx<'_>, staff: &Staff) -> Result<Vec<NodeOption>> {
    let area = &staff.user.node_path;
    let rows = conn.query_map(
        "SELECT id, name, level, path FROM org_nodes WHERE path >= ?1 AND path < ?2 AND level IN ('county', 'township', 'branch') ORDER BY path",
        params![area, scope::upper_bound(area)],
        |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?, r.get::<String>(3)?)),
    )?;
    let names: HashMap<&str, &str> = rows.iter().map(|(id, name, _, _)| (id.as_str(), name.as_str())).collect();
    let own_depth = area.split('/').filter(|s| !s.is_empty()).count();
    rows.iter()
        .map(|(id, name, level, path)| {
            let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            let label = if segments.len() <= own_depth {
                name.clone()
            } else {
                segments[own_depth..].iter().map(|s| names.get(s).copied().unwrap_or(s)).collect::<Vec<_>>().join(" / ")
            };
            Ok(NodeOption { id: id.clone(), label, level: parse_enum(level)? })
        })
        .collect()
}

fn question_count(def: &FormDef) -> u32 {
    CompiledForm::compile(def.clone()).map_or(0, |c| c.nodes.iter().filter(|n| n.kind.is_answerable()).count() as u32)
}

fn forms_page(conn: &ReadTx<'_>, staff: &Staff) -> Result<FormsPage> {
    let area = staff.user.node_path.clone();
    let counts: HashMap<(String, u32), u32> = conn
        .query_map(
            "SELECT form_id, form_version, count(*) FROM form_responses WHERE path >= ?1 AND path < ?2 GROUP BY form_id, form_version",
            params![area, scope::upper_bound(&area)],
            |r| Ok(((r.get::<String>(0)?, r.get::<u32>(1)?), r.get::<u32>(2)?)),
        )?
        .into_iter()
        .collect();
    let mut forms = Vec::new();
    for f in stored_forms(conn, None)?.into_iter().filter(|f| reaches(&f.target_path, &area)) {
        let target_node_id = path_node(&f.target_path).to_string();
        forms.push(FormVersionRow {
            target_name: node_name(conn, &target_node_id)?,
            target_node_id,
            roles_label: roles_label(&f.def.target.roles),
            roles: f.def.target.roles.clone(),
            household_tags: f.def.target.household_tags.clone(),
            questions: question_count(&f.def),
            published_at_ms: f.published_at_ms,
            retired_at_ms: f.retired_at_ms,
            state_label: if f.retired_at_ms.is_some() { "已停用" } else { "使用中" }.into(),
            responses: counts.get(&(f.def.form_id.clone(), f.def.version)).copied().unwrap_or(0),
            form_id: f.def.form_id,
            version: f.def.version,
            title: f.def.title.zh,
        });
    }
    Ok(FormsPage {
        forms,
        nodes: node_options(conn, staff)?,
        roles: TARGET_ROLES.iter().map(|r| RoleOption { role: *r, label: r.label(ZH).into() }).collect(),
        can_manage: staff.is_county(),
    })
}

async fn list(State(state): State<AppState>, staff: Staff) -> ApiResult<axum::Json<FormsPage>> {
    Ok(axum::Json(staff::read(&state, move |conn| forms_page(conn, &staff)).await?))
}

/// Query of the import.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct FormImportParams {
    /// The node whose subtree receives the form (default: the whole county).
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub node: Option<String>,
    /// The roles that fill it, separated by commas (default: every role).
    #[schemars(length(min = 1, max = 200), regex(pattern = ROLES_PATTERN))]
    pub roles: Option<String>,
    /// Check only: report the problems (or what would be stored) without storing.
    #[serde(default)]
    pub dry_run: bool,
}

/// One problem of the workbook, where it is (as `form import` prints it).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FormProblem {
    /// `survey`, `choices`, `settings`, or `文件` (the file as a whole).
    pub sheet: String,
    /// The Excel row number (1 = the header); 0: the sheet as a whole.
    pub row: u32,
    pub reason: String,
    /// The whole line: `survey 表第 5 行：未知题型「texte」`.
    pub text: String,
}

impl From<&RowError> for FormProblem {
    fn from(e: &RowError) -> FormProblem {
        FormProblem { sheet: e.sheet.into(), row: e.row as u32, reason: e.reason.clone(), text: e.to_string() }
    }
}

/// The outcome of an import: stored (or, checking only, storable), or the problems with nothing stored.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FormImportAnswer {
    pub stored: bool,
    /// The form read (absent when the workbook could not be read as a form).
    pub form_id: Option<String>,
    pub version: Option<u32>,
    pub title: Option<String>,
    /// Questions asked (0 when not read).
    pub questions: u32,
    /// Where it goes (`黄龙县`, `石堡镇`) and who fills it (`所有角色`, `网格员、联户长`).
    pub target_name: Option<String>,
    pub roles_label: Option<String>,
    /// Every problem with its sheet and row; nothing is stored when there is one.
    pub problems: Vec<FormProblem>,
    /// What happened, in Chinese.
    pub message: String,
}

fn parse_roles(raw: Option<&str>) -> ApiResult<Vec<Role>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(Vec::new()) };
    let mut roles = Vec::new();
    for word in raw.split(',') {
        let role: Role = serde_json::from_value(serde_json::Value::String(word.trim().to_string()))
            .map_err(|_| ApiError::invalid(format!("未知的角色「{word}」/ unknown role")))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    Ok(roles)
}

fn refused(problems: Vec<FormProblem>, parsed: Option<&forms_core::ParsedForm>) -> FormImportAnswer {
    FormImportAnswer {
        stored: false,
        form_id: parsed.map(|p| p.def.form_id.clone()),
        version: None,
        title: parsed.map(|p| p.def.title.zh.clone()),
        questions: 0,
        target_name: None,
        roles_label: None,
        message: format!("导入未完成：发现 {} 处问题，没有保存。请按表名和行号改正后重新导入。", problems.len()),
        problems,
    }
}

async fn import(
    State(state): State<AppState>,
    staff: Staff,
    params: std::result::Result<Query<FormImportParams>, QueryRejection>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> ApiResult<axum::Json<FormImportAnswer>> {
    county_only(&staff)?;
    let Query(params) = params?;
    let body = super::upload_body(&headers, body, MAX_FORM_BYTES, "")?;
    if let Some(n) = &params.node {
        staff::check_id("node", n)?;
    }
    let roles = parse_roles(params.roles.as_deref())?;
    // The target: a node of the caller's area (default: the county).
    let node = params.node.clone();
    let user = staff.user.clone();
    let target_name = staff::read(&state, move |conn| {
        Ok(match node {
            Some(id) => staff::node_in_scope(conn, &user, &id)?.map(|n| n.name),
            None => match conn.query_opt("SELECT name FROM org_nodes WHERE level = 'county' ORDER BY path LIMIT 1", params![], |r| r.get::<String>(0))? {
                Some(name) => Ok(name),
                None => Err(ApiError::invalid("还没有县级组织节点：请先导入组织架构 / import the org tree first")),
            },
        })
    })
    .await??;
    let storage = state.storage.clone();
    let node = params.node.clone();
    let dry_run = params.dry_run;
    let answer = blocking(move || {
        let parsed = match forms_core::parse_xlsform_bytes(&body) {
            Ok(p) => p,
            Err(errors) => return Ok(refused(errors.iter().map(FormProblem::from).collect(), None)),
        };
        let (version, existing) = forms_core::next_version(storage.as_ref(), &parsed)?;
        if let Some(newest) = existing.iter().copied().max().filter(|&v| v >= version) {
            let e = RowError {
                sheet: "settings",
                row: parsed.settings_row,
                reason: format!("问卷「{}」已有第 {newest} 版：新版本号须大于 {newest}（在 settings 表的 version 列填写）", parsed.def.form_id),
            };
            return Ok(refused(vec![FormProblem::from(&e)], Some(&parsed)));
        }
        let questions = question_count(&parsed.def);
        let mut answer = FormImportAnswer {
            stored: false,
            form_id: Some(parsed.def.form_id.clone()),
            version: Some(version),
            title: Some(parsed.def.title.zh.clone()),
            questions,
            roles_label: Some(roles_label(&roles)),
            target_name: Some(target_name.clone()),
            problems: Vec::new(),
            message: String::new(),
        };
        let what = format!("问卷「{}」（{} 第 {version} 版，{questions} 题）", parsed.def.title.zh, parsed.def.form_id);
        if dry_run {
            answer.message = format!("检查通过：{what}可以导入，将下发到{target_name}（{}），尚未保存。", roles_label(&roles));
            return Ok(answer);
        }
        let imported = forms_core::publish_parsed(storage.as_ref(), parsed, node.as_deref(), &roles, crate::api::now_ms())?;
        answer.stored = true;
        answer.version = Some(imported.def.version);
        answer.message = format!("导入完成：{what}已下发到{target_name}（{}），各手机下次同步时收到。", roles_label(&roles));
        Ok(answer)
    })
    .await?;
    if answer.stored {
        let detail = serde_json::json!({ "form_id": answer.form_id, "version": answer.version, "target": params.node, "via": "console" });
        record(&state, audit::Event::new(staff.user.id.clone(), Action::FormImported, answer.form_id.clone().unwrap_or_default(), staff.address.clone()).with(detail)).await;
    }
    Ok(axum::Json(answer))
}

/// Query of a retirement.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RetireParams {
    #[schemars(range(min = 1))]
    pub version: u32,
}

/// What a form action did, in Chinese.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FormActionAnswer {
    pub message: String,
}

async fn retire(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    params: std::result::Result<Query<RetireParams>, QueryRejection>,
) -> ApiResult<axum::Json<FormActionAnswer>> {
    county_only(&staff)?;
    staff::check_id("id", &id)?;
    let Query(params) = params?;
    let storage = state.storage.clone();
    let (fid, version) = (id.clone(), params.version);
    if !blocking(move || storage.retire_form(&fid, version, crate::api::now_ms())).await? {
        return Err(ApiError::not_found("没有使用中的这一版问卷 / no such form version in use"));
    }
    record(&state, audit::Event::new(staff.user.id.clone(), Action::FormRetired, &id, staff.address.clone()).with(serde_json::json!({ "version": version, "via": "console" }))).await;
    Ok(axum::Json(FormActionAnswer { message: format!("问卷「{id}」第 {version} 版已停用：手机下次同步后不再提供，之后提交的答卷将被退回") }))
}

/// Query of the tabulation and the export.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ReportParams {
    /// The version (default: the newest).
    #[schemars(range(min = 1))]
    pub version: Option<u32>,
    /// A node of the caller's area (default: the caller's own).
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub node: Option<String>,
}

/// A node with its count of responses.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NodeCount {
    pub node_id: String,
    pub node_name: String,
    pub responses: u32,
}

/// A choice of a select question and how often it was picked.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ChoiceCount {
    pub choice: String,
    pub label: String,
    pub count: u32,
    /// Of the responses answering the question, the share that picked it, in percent (one decimal).
    pub percent: Option<f64>,
}

/// One question's figures.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct QuestionReport {
    pub name: String,
    pub label: String,
    /// `单选`, `整数`, ...
    pub kind_label: String,
    /// Answers (or computed values) given where the question was shown (inside a repeat: every entry).
    pub answered: u32,
    /// Numbers (integers, decimals, numeric calculations): the mean and the total (two decimals).
    pub mean: Option<f64>,
    pub sum: Option<f64>,
    /// Select questions: each choice in the list's order.
    pub frequencies: Vec<ChoiceCount>,
}

/// The tabulation of a form version within a node's area (`linkage-server form report`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FormReport {
    pub form_id: String,
    pub version: u32,
    pub title: String,
    pub retired: bool,
    /// The versions of this form reaching the caller's area, newest first.
    pub versions: Vec<u32>,
    /// The node tabulated and its name.
    pub node_id: String,
    pub node_name: String,
    pub responses: u32,
    /// The node's direct children, each with its responses (to look closer).
    pub children: Vec<NodeCount>,
    /// Responses per node they are about (a village or a group), by name.
    pub per_node: Vec<NodeCount>,
    pub questions: Vec<QuestionReport>,
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// Finds the form version (default: the newest) that reaches the caller's area and the node (default: the
/// caller's) to tabulate; the one 404 for a form, version or node missing or outside the area.
fn locate(conn: &ReadTx<'_>, staff: &Staff, form_id: &str, p: &ReportParams) -> Result<std::result::Result<(u32, Vec<u32>, bool, String, String), ApiError>> {
    let area = &staff.user.node_path;
    let versions: Vec<StoredForm> = stored_forms(conn, Some(form_id))?.into_iter().filter(|f| reaches(&f.target_path, area)).collect();
    let chosen = match p.version {
        Some(v) => versions.iter().find(|f| f.def.version == v),
        None => versions.first(),
    };
    let Some(chosen) = chosen else {
        return Ok(Err(staff::out_of_scope(staff::Record::Form)));
    };
    let node_id = p.node.clone().unwrap_or_else(|| staff.user.node_id.clone());
    let node = match staff::node_in_scope(conn, &staff.user, &node_id)? {
        Ok(n) => n,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok((chosen.def.version, versions.iter().map(|f| f.def.version).collect(), chosen.retired_at_ms.is_some(), node.id, node.name)))
}

fn form_report(conn: &ReadTx<'_>, staff: &Staff, form_id: &str, p: &ReportParams) -> Result<std::result::Result<FormReport, ApiError>> {
    let (version, versions, retired, node_id, node_name) = match locate(conn, staff, form_id, p)? {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let data = forms_core::load(conn, form_id, Some(version), Some(&node_id))?;
    let t = forms_core::tabulate(&data);
    let mut children = Vec::new();
    for child in staff::children(conn, &node_id)? {
        let n: u32 = conn.query_row(
            "SELECT count(*) FROM form_responses WHERE form_id = ?1 AND form_version = ?2 AND path >= ?3 AND path < ?4",
            params![form_id, version, child.path, scope::upper_bound(&child.path)],
            |r| r.get(0),
        )?;
        children.push(NodeCount { node_id: child.id, node_name: child.name, responses: n });
    }
    let questions = t
        .questions
        .iter()
        .map(|q| QuestionReport {
            name: q.name.clone(),
            label: q.label.clone(),
            kind_label: q.kind.label_zh().into(),
            answered: q.answered,
            mean: q.mean.map(|m| round(m, 2)),
            sum: q.sum.map(|s| round(s, 2)),
            frequencies: q
                .frequencies
                .iter()
                .map(|(choice, label, count)| ChoiceCount {
                    choice: choice.clone(),
                    label: label.clone(),
                    count: *count,
                    percent: (q.answered > 0).then(|| round(f64::from(*count) * 100.0 / f64::from(q.answered), 1)),
                })
                .collect(),
        })
        .collect();
    Ok(Ok(FormReport {
        form_id: t.form_id,
        version: t.version,
        title: t.title,
        retired,
        versions,
        node_id,
        node_name,
        responses: t.responses,
        children,
        per_node: t.per_node.into_iter().map(|(node_id, node_name, responses)| NodeCount { node_id, node_name, responses }).collect(),
        questions,
    }))
}

fn check_params(id: &str, p: &ReportParams) -> ApiResult<()> {
    staff::check_id("id", id)?;
    if let Some(n) = &p.node {
        staff::check_id("node", n)?;
    }
    Ok(())
}

async fn report(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    params: std::result::Result<Query<ReportParams>, QueryRejection>,
) -> ApiResult<axum::Json<FormReport>> {
    let Query(params) = params?;
    check_params(&id, &params)?;
    Ok(axum::Json(staff::read(&state, move |conn| form_report(conn, &staff, &id, &params)).await??))
}

async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    params: std::result::Result<Query<ReportParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) = params?;
    check_params(&id, &params)?;
    let (user_id, address) = (staff.user.id.clone(), staff.address.clone());
    let fid = id.clone();
    let (version, node_id, responses, bytes) = staff::read(&state, move |conn| {
        let (version, _, _, node_id, _) = match locate(conn, &staff, &fid, &params)? {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let data = forms_core::load(conn, &fid, Some(version), Some(&node_id))?;
        Ok(Ok((version, node_id, data.responses.len(), forms_core::export_xlsx(&data)?)))
    })
    .await??;
    let detail = serde_json::json!({ "version": version, "node": node_id, "responses": responses, "via": "console" });
    record(&state, audit::Event::new(user_id, Action::FormExport, &id, address).with(detail)).await;
    let file = format!("attachment; filename=\"form-{id}-v{version}-{node_id}.xlsx\"");
    let disposition = header::HeaderValue::from_str(&file).map_err(|_| ApiError::from(Error::Invalid("导出文件名不合法 / bad export file name".into())))?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, header::HeaderValue::from_static(XLSX)), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

pub(crate) fn openapi_routes(gen: &mut schemars::SchemaGenerator) -> Vec<Route> {
    let bad = (400, vec![ErrorCode::InvalidInput], "a malformed id or query");
    let missing = (404, vec![ErrorCode::NotFound], "no such form version reaching the caller's area, or the node is not in the caller's scope");
    // Import and retire: county staff only (the one 403 replaces the staff-only one).
    let county_errors = || {
        let mut v = crate::openapi::auth_errors();
        v.push((403, vec![ErrorCode::Forbidden], "the signed-in user is not county staff (county staff import and retire forms)"));
        v.push(crate::openapi::internal());
        v
    };
    let route = |method, path, id, summary, description, query, body, ok, errors| Route { method, path, id, summary, description, auth: true, query, hash: false, body, ok, errors };
    vec![
        route("get", FORMS, "consoleForms", "Console: the form versions reaching the caller's area, with targets and response counts",
            "Responses are counted within the caller's area. Also the nodes and roles an import may target, and whether the caller may import and retire (county staff).",
            None, Body::None, Success::json("the forms page", ref_of::<FormsPage>(gen)), sorted(staff_errors())),
        route("post", IMPORT, "consoleFormImport", "Console: import an XLSForm workbook (.xlsx) as a new form version (as `linkage-server form import`)",
            "The workbook is checked as `form import` checks it (the shared compiler); every problem is reported with its sheet and row \
             and nothing is stored. A version not above the newest stored one is a problem of the settings row. `dry_run` only checks. \
             County staff only; audited.",
            Some(<FormImportParams as JsonSchema>::json_schema(gen).to_value()), Body::Upload,
            Success::json("the import's outcome and its problems", ref_of::<FormImportAnswer>(gen)),
            sorted([vec![(400, vec![ErrorCode::InvalidInput], "an empty file, a malformed query, or no county node yet"),
                         (404, vec![ErrorCode::NotFound], "the target node is not in the caller's scope"),
                         (413, vec![ErrorCode::PayloadTooLarge], "over 8 MiB")], county_errors()].concat())),
        route("post", RETIRE, "consoleFormRetire", "Console: retire a form version (as `linkage-server form retire`)",
            "Phones stop offering it at their next sync; responses to it are refused from then on. County staff only; audited.",
            Some(<RetireParams as JsonSchema>::json_schema(gen).to_value()), Body::None,
            Success::json("done", ref_of::<FormActionAnswer>(gen)),
            sorted([vec![bad.clone(), (404, vec![ErrorCode::NotFound], "no such form version in use")], county_errors()].concat())),
        route("get", REPORT, "consoleFormReport", "Console: a form version's tabulation within a node of the caller's area (as `linkage-server form report`)",
            "The count of responses, per node, per child node, and per question the answers, choice frequencies, means and totals.",
            Some(<ReportParams as JsonSchema>::json_schema(gen).to_value()), Body::None,
            Success::json("the tabulation", ref_of::<FormReport>(gen)),
            sorted([vec![bad.clone(), missing.clone()], staff_errors()].concat())),
        route("get", EXPORT, "consoleFormExport", "Console: a form version's responses within a node of the caller's area, as XLSX (as `linkage-server form export`)",
            "Sheet 答卷 (one row per response with household, node, visit time and GPS verdict), a sheet per repeat, and 统计. Audited.",
            Some(<ReportParams as JsonSchema>::json_schema(gen).to_value()), Body::None,
            Success::Xlsx, sorted([vec![bad, missing], staff_errors()].concat())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_read_from_the_comma_list() {
        assert_eq!(parse_roles(None).unwrap(), Vec::<Role>::new());
        assert_eq!(parse_roles(Some("grid_worker,liaison_head,grid_worker")).unwrap(), vec![Role::GridWorker, Role::LiaisonHead]);
        assert!(parse_roles(Some("mayor")).is_err());
        assert_eq!(roles_label(&[Role::GridWorker, Role::LiaisonHead]), "网格员、联户长");
        assert_eq!(roles_label(&[]), "所有角色");
    }

    #[test]
    fn a_form_reaches_an_area_above_or_below_its_target() {
        assert!(reaches("/c/", "/c/t1/"));
        assert!(reaches("/c/t1/b1/", "/c/t1/"));
        assert!(!reaches("/c/t2/", "/c/t1/"));
        assert_eq!(path_node("/c/t1/b1/"), "b1");
    }
}
