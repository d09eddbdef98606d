//! 指令下达 on the console (issue #14 point 6): compose (kind, title, full text, photos, due time, target
//! subtree), the list of directives the caller issued or received, coverage level by level and as a tree
//! (each child with its own 签收 and its subtree's figures), the silent nodes (逾期未签收, `rules::ack_window`),
//! 催办, and the task completion reports to accept (通过) or send back (退回).
//!
//! Writes are the phones' operations (`DirectiveIssued`, `DirectiveReminded`, `TaskReportReviewed`) made as the
//! signed-in staff member and applied through `Storage::apply_ops` (`staff::apply`), as
//! `linkage-server directive issue` does; issuing is audited like that command. Coverage counts exactly what
//! the phone's coverage screen counts (core/src/store/directives.rs): the nodes of the view but the issuing
//! one, and the households under it.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::MethodFilter;
use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::model::{DirectiveKind, OrgLevel};
use linkage_protocol::rules::ack_window::{self, AckWindowPolicy};
use linkage_protocol::rules::directive::{self as drules, DirectiveFacts, DirectiveInputError, TaskReportStatus};
use linkage_protocol::rules::measures::percent;
use linkage_protocol::rules::{scope, RuleError};
use linkage_protocol::sync::{ErrorCode, RejectCode};
use linkage_protocol::validate::{self, limits};
use linkage_protocol::wire::{Directive, DirectiveReminder, OpBody, Operation, TaskReview};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::staff::{self, ActionAnswer, Names, Record, Staff};
use crate::api::{blocking, record, ApiError, ApiResult, AppState, JsonBody, Routes, MAX_BLOB_BYTES};
use crate::audit::{self, Action};
use crate::error::Result;
use crate::readtx::{params, ReadTx};
use super::{staff_errors, sorted};
use crate::openapi::{json_body_errors, ref_of, Body, Route, Success};
use crate::sqlite::parse_enum;
use crate::storage::{BlobLimits, BlobWrite, Uploader};

pub const LIST: &str = "/v1/console/directives";
pub const DIRECTIVE: &str = "/v1/console/directives/{id}";
pub const TREE: &str = "/v1/console/directives/{id}/tree";
pub const REMIND: &str = "/v1/console/directives/{id}/reminders";
pub const REVIEW: &str = "/v1/console/directives/{id}/reviews";
/// What the compose page offers: the kinds (and which need a due time), the limits, the caller's node.
pub const FORM: &str = "/v1/console/directives/form";
/// The org tree under a node, opened level by level, to pick a directive's target subtree.
pub const TARGETS: &str = "/v1/console/directives/targets";
/// Upload a photo for a directive (or an issue step) before citing it.
pub const PHOTOS: &str = "/v1/console/photos";

const ZH: Locale = Locale::ZhCn;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(MethodFilter::GET, LIST, list)
        .add(MethodFilter::POST, LIST, compose)
        .add(MethodFilter::GET, FORM, form)
        .add(MethodFilter::GET, TARGETS, targets)
        .add(MethodFilter::GET, DIRECTIVE, page)
        .add(MethodFilter::GET, TREE, tree)
        .add(MethodFilter::POST, REMIND, remind)
        .add(MethodFilter::POST, REVIEW, review)
        .add(MethodFilter::POST, PHOTOS, upload_photo)
}

/// A stored directive with its target path.
struct Stored {
    d: Directive,
    target_path: String,
}

fn load(conn: &ReadTx<'_>, id: &str) -> Result<Option<Stored>> {
    let row: Option<(String, String)> = conn.query_opt("SELECT body, target_path FROM directives WHERE id = ?1", params![id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    row.map(|(body, target_path)| Ok(Stored { d: serde_json::from_str(&body)?, target_path })).transpose()
}

/// The directive if it reaches the caller's area or was issued within it; one answer otherwise.
fn load_visible(conn: &ReadTx<'_>, staff: &Staff, id: &str) -> Result<std::result::Result<Stored, ApiError>> {
    Ok(staff::checked(load(conn, id)?, Record::Directive, |s| visible(&staff.user.node_path, &s.target_path)))
}

fn visible(user_path: &str, target_path: &str) -> bool {
    scope::within(user_path, target_path) || scope::within(target_path, user_path)
}

/// The part of the target the caller sees: the deeper of the target and the caller's node.
fn view_of(user_path: &str, target_path: &str) -> String {
    if scope::within(target_path, user_path) { user_path.to_string() } else { target_path.to_string() }
}

fn ack_policy(conn: &ReadTx<'_>) -> Result<AckWindowPolicy> {
    let config = crate::readtx::county_config(conn)?;
    Ok(linkage_protocol::rules::county::CountyRules::from_config(&config).ack_windows)
}

/// Signed-for / owed counts of the nodes under `path` (the issuing node excluded) and of its households.
fn counts_under(conn: &ReadTx<'_>, id: &str, path: &str, issuer_node: &str) -> Result<(u32, u32, u32, u32)> {
    let upper = scope::upper_bound(path);
    let (acked, total): (u32, u32) = conn.query_row(
        "SELECT count(a.node_id), count(*) FROM org_nodes n
         LEFT JOIN directive_acks a ON a.directive_id = ?1 AND a.node_id = n.id
         WHERE n.path >= ?2 AND n.path < ?3 AND n.id != ?4",
        params![id, path, upper, issuer_node],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (ha, ht): (u32, u32) = conn.query_row(
        "SELECT count(ha.household_id), count(*) FROM households h
         LEFT JOIN directive_household_acks ha ON ha.directive_id = ?1 AND ha.household_id = h.id
         WHERE h.path >= ?2 AND h.path < ?3",
        params![id, path, upper],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((acked, total, ha, ht))
}

/// One directive in the list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DirectiveRow {
    pub id: String,
    pub kind: DirectiveKind,
    pub kind_label: String,
    pub title: String,
    pub issued_at_ms: i64,
    pub due_at_ms: Option<i64>,
    pub issuer_name: String,
    pub issuer_node_name: String,
    pub target_name: String,
    /// Issued by the caller's own node.
    pub issued_by_my_node: bool,
    /// Nodes of the caller's view that signed for it, and that owe it.
    pub nodes_acked: u32,
    pub nodes_total: u32,
    pub households_acked: u32,
    pub households_total: u32,
    /// `100 × nodes_acked ÷ nodes_total` (`rules::measures::percent`); `None` when no node owes it.
    pub nodes_percent: Option<f64>,
    /// `100 × households_acked ÷ households_total`; `None` without households.
    pub households_percent: Option<f64>,
    /// Nodes of the view silent past the acknowledgement deadline.
    pub silent: u32,
    /// Completion reports waiting for the caller's review (its node issued the task).
    pub reports_waiting: u32,
}

/// Which directives of the list: those the caller's node issued, or the others (issued above to a subtree
/// holding the caller's area, or by a node within it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DirectiveSide {
    /// 本单位下达.
    Issued,
    /// 收到及辖区内 (issued by another node).
    Received,
}

/// Query of `GET /v1/console/directives`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListParams {
    /// A node in the caller's scope: the directives reaching its area, their coverage counted over it (the
    /// dashboard's acknowledgement figures open this). Default: the caller's node.
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub node: Option<String>,
    /// Only those issued by the caller's node, or only the others.
    pub side: Option<DirectiveSide>,
    /// Only those with completion reports waiting for the caller's review (待我审批).
    pub waiting: Option<bool>,
    #[schemars(range(min = 1, max = 100000))]
    pub page: Option<u32>,
    #[schemars(range(min = 1, max = 100))]
    pub page_size: Option<u32>,
}

/// A page of directives, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DirectivePage {
    pub total: u32,
    pub page: u32,
    pub page_size: u32,
    pub items: Vec<DirectiveRow>,
}

fn silent_count(conn: &ReadTx<'_>, s: &Stored, view: &str, now: i64, policy: &AckWindowPolicy) -> Result<u32> {
    let deadline = ack_window::ack_deadline_ms(s.d.kind, s.d.issued_at_ms, s.d.due_at_ms, policy);
    if ack_window::silent_for_ms(deadline, None, now).is_none() {
        return Ok(0);
    }
    let (acked, total, _, _) = counts_under(conn, &s.d.id, view, &s.d.issuer_node_id)?;
    Ok(total - acked)
}

fn reports_waiting(conn: &ReadTx<'_>, staff: &Staff, s: &Stored) -> Result<u32> {
    if s.d.issuer_node_id != staff.user.node_id {
        return Ok(0);
    }
    conn.query_row("SELECT count(*) FROM directive_task_reports WHERE directive_id = ?1 AND status = 'pending'", params![s.d.id], |r| r.get(0))
}

/// The list row of `s` seen from the node at `root_path` (the caller's node, or a node in its scope).
fn row(conn: &ReadTx<'_>, staff: &Staff, root_path: &str, s: &Stored, names: &mut Names, now: i64, policy: &AckWindowPolicy) -> Result<DirectiveRow> {
    let view = view_of(root_path, &s.target_path);
    let (nodes_acked, nodes_total, households_acked, households_total) = counts_under(conn, &s.d.id, &view, &s.d.issuer_node_id)?;
    Ok(DirectiveRow {
        id: s.d.id.clone(),
        kind: s.d.kind,
        kind_label: s.d.kind.label(ZH).into(),
        title: s.d.title.clone(),
        issued_at_ms: s.d.issued_at_ms,
        due_at_ms: s.d.due_at_ms,
        issuer_name: names.user(conn, &s.d.issuer_id)?.0,
        issuer_node_name: names.node(conn, &s.d.issuer_node_id)?,
        target_name: names.node(conn, &s.d.target_node_id)?,
        issued_by_my_node: s.d.issuer_node_id == staff.user.node_id,
        nodes_acked,
        nodes_total,
        households_acked,
        households_total,
        nodes_percent: percent(nodes_acked, nodes_total),
        households_percent: percent(households_acked, households_total),
        silent: silent_count(conn, s, &view, now, policy)?,
        reports_waiting: reports_waiting(conn, staff, s)?,
    })
}

fn list_directives(conn: &ReadTx<'_>, staff: &Staff, params: &ListParams) -> Result<std::result::Result<DirectivePage, ApiError>> {
    let (page, size) = match staff::paging(params.page, params.page_size) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let root = match &params.node {
        Some(n) => match staff::node_in_scope(conn, &staff.user, n)? {
            Ok(info) => info.path,
            Err(e) => return Ok(Err(e)),
        },
        None => staff.user.node_path.clone(),
    };
    let path = &root;
    // Issued to the caller's area (or within it), and issued above to a subtree holding the caller.
    let ids = conn.query_map(
        "SELECT id FROM directives WHERE (target_path >= ?1 AND target_path < ?2) OR instr(?1, target_path) = 1
         ORDER BY issued_at_ms DESC, id",
        params![path, scope::upper_bound(path)],
        |r| r.get::<String>(0),
    )?;
    let now = crate::api::now_ms();
    let policy = ack_policy(conn)?;
    let mut names = Names::default();
    let mut stored = Vec::new();
    for id in ids {
        let Some(s) = load(conn, &id)? else { continue };
        if !visible(path, &s.target_path) {
            continue;
        }
        if params.waiting == Some(true) && reports_waiting(conn, staff, &s)? == 0 {
            continue;
        }
        let mine = s.d.issuer_node_id == staff.user.node_id;
        if matches!((params.side, mine), (Some(DirectiveSide::Issued), false) | (Some(DirectiveSide::Received), true)) {
            continue;
        }
        stored.push(s);
    }
    let offset = ((page - 1) * size) as usize;
    let items = stored.iter().skip(offset).take(size as usize).map(|s| row(conn, staff, path, s, &mut names, now, &policy)).collect::<Result<Vec<_>>>()?;
    Ok(Ok(DirectivePage { total: stored.len() as u32, page, page_size: size, items }))
}

async fn list(State(state): State<AppState>, staff: Staff, params: std::result::Result<Query<ListParams>, QueryRejection>) -> ApiResult<axum::Json<DirectivePage>> {
    let Query(params) = params?;
    if let Some(n) = &params.node {
        staff::check_id("node", n)?;
    }
    let page = staff::read(&state, move |conn| list_directives(conn, &staff, &params)).await??;
    Ok(axum::Json(page))
}

/// A level's coverage (签收 of the nodes at that level; households: their acknowledgements).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LevelCoverage {
    pub level: OrgLevel,
    pub level_label: String,
    pub acked: u32,
    pub total: u32,
    /// `100 × acked ÷ total`; `None` when the level owes nothing.
    pub percent: Option<f64>,
}

/// A node that has not signed for the directive.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SilentNode {
    pub node_id: String,
    pub name: String,
    pub level_label: String,
    /// Past the acknowledgement deadline (逾期未签收), not only not yet signed.
    pub overdue: bool,
    /// The last 催办, if any.
    pub reminded_at_ms: Option<i64>,
    /// The caller may 催办 it now.
    pub may_remind: bool,
}

/// A node's task completion report.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TaskReportRow {
    pub node_id: String,
    pub node_name: String,
    pub reporter_name: String,
    pub at_ms: i64,
    pub note: String,
    pub photos: Vec<String>,
    /// `pending` (待审核), `accepted` (已通过), `returned` (已退回).
    pub status: String,
    pub status_label: String,
    pub review_reason: Option<String>,
    /// The caller may accept or send it back now.
    pub may_review: bool,
}

/// The directive's page.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DirectiveDetail {
    pub directive: DirectiveRow,
    pub body: String,
    pub photos: Vec<String>,
    pub target_node_id: String,
    /// When every reached node must have signed (the earlier of the due time and the kind's window).
    pub ack_deadline_ms: Option<i64>,
    /// The caller's view, top-down, households last.
    pub levels: Vec<LevelCoverage>,
    /// The first 200 silent nodes of the view, top-down.
    pub silent_nodes: Vec<SilentNode>,
    pub silent_total: u32,
    pub reports: Vec<TaskReportRow>,
    /// The root of the coverage tree (`GET .../tree?node=`).
    pub view_node_id: String,
}

fn level_label(l: OrgLevel) -> String {
    l.label(ZH).into()
}

fn directive_detail(conn: &ReadTx<'_>, staff: &Staff, id: &str) -> Result<std::result::Result<DirectiveDetail, ApiError>> {
    let s = match load_visible(conn, staff, id)? {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let now = crate::api::now_ms();
    let policy = ack_policy(conn)?;
    let mut names = Names::default();
    let directive = row(conn, staff, &staff.user.node_path, &s, &mut names, now, &policy)?;
    let view = view_of(&staff.user.node_path, &s.target_path);
    let upper = scope::upper_bound(&view);
    let mut levels = Vec::new();
    {
        let rows = conn.query_map(
            "SELECT n.level, count(a.node_id), count(*) FROM org_nodes n
             LEFT JOIN directive_acks a ON a.directive_id = ?1 AND a.node_id = n.id
             WHERE n.path >= ?2 AND n.path < ?3 AND n.id != ?4 GROUP BY n.level",
            params![id, view, upper, s.d.issuer_node_id],
            |r| Ok((r.get::<String>(0)?, r.get::<u32>(1)?, r.get::<u32>(2)?)),
        )?;
        for (l, acked, total) in rows {
            let level: OrgLevel = parse_enum(&l)?;
            levels.push(LevelCoverage { level, level_label: level_label(level), acked, total, percent: percent(acked, total) });
        }
    }
    levels.sort_by_key(|l| l.level);
    levels.push(LevelCoverage {
        level: OrgLevel::Household,
        level_label: level_label(OrgLevel::Household),
        acked: directive.households_acked,
        total: directive.households_total,
        percent: directive.households_percent,
    });
    let deadline = ack_window::ack_deadline_ms(s.d.kind, s.d.issued_at_ms, s.d.due_at_ms, &policy);
    let overdue = ack_window::silent_for_ms(deadline, None, now).is_some();
    let facts = DirectiveFacts { target_path: &s.target_path, issuer_node_id: &s.d.issuer_node_id };
    let actor = staff.actor();
    let mut silent_nodes = Vec::new();
    {
        let rows = conn.query_map(
            "SELECT n.id, n.name, n.level, n.path,
                (SELECT max(r.at_ms) FROM directive_reminders r WHERE r.directive_id = ?1 AND r.node_id = n.id)
             FROM org_nodes n
             WHERE n.path >= ?2 AND n.path < ?3 AND n.id != ?4
               AND NOT EXISTS (SELECT 1 FROM directive_acks a WHERE a.directive_id = ?1 AND a.node_id = n.id)
             ORDER BY length(n.path) - length(replace(n.path, '/', '')), n.path LIMIT 200",
            params![id, view, upper, s.d.issuer_node_id],
            |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?, r.get::<String>(3)?, r.get::<Option<i64>>(4)?)),
        )?;
        for (node_id, name, level, path, reminded_at_ms) in rows {
            let may_remind = drules::authorize_remind(&actor, facts, &node_id, &path, false).is_ok();
            silent_nodes.push(SilentNode { node_id, name, level_label: level_label(parse_enum(&level)?), overdue, reminded_at_ms, may_remind });
        }
    }
    let silent_total = directive.nodes_total - directive.nodes_acked;
    let mut reports = Vec::new();
    {
        let rows = conn.query_map(
            "SELECT r.node_id, n.name, r.reported_by, r.at_ms, r.note, r.evidence, r.status, r.review_reason
             FROM directive_task_reports r JOIN org_nodes n ON n.id = r.node_id
             WHERE r.directive_id = ?1 AND n.path >= ?2 AND n.path < ?3 ORDER BY r.status != 'pending', n.path",
            params![id, view, upper],
            |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                r.get::<i64>(3)?,
                r.get::<String>(4)?,
                r.get::<String>(5)?,
                r.get::<String>(6)?,
                r.get::<Option<String>>(7)?,
            ))
            },
        )?;
        for (node_id, node_name, reporter, at_ms, note, evidence, status, review_reason) in rows {
            let st: TaskReportStatus = parse_enum(&status)?;
            let may_review = drules::authorize_task_review(&actor, facts, Some(st)).is_ok();
            reports.push(TaskReportRow {
                node_id,
                node_name,
                reporter_name: names.user(conn, &reporter)?.0,
                at_ms,
                note,
                photos: serde_json::from_str(&evidence)?,
                status_label: match st {
                    TaskReportStatus::Pending => "待审核",
                    TaskReportStatus::Accepted => "已通过",
                    TaskReportStatus::Returned => "已退回",
                }
                .into(),
                status,
                review_reason,
                may_review,
            });
        }
    }
    let view_node_id = view.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string();
    Ok(Ok(DirectiveDetail {
        directive,
        body: s.d.body.clone(),
        photos: s.d.evidence.clone(),
        target_node_id: s.d.target_node_id.clone(),
        ack_deadline_ms: deadline,
        levels,
        silent_nodes,
        silent_total,
        reports,
        view_node_id,
    }))
}

async fn page(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> ApiResult<axum::Json<DirectiveDetail>> {
    staff::check_id("id", &id)?;
    let detail = staff::read(&state, move |conn| directive_detail(conn, &staff, &id)).await??;
    Ok(axum::Json(detail))
}

/// Query of the coverage tree.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct TreeParams {
    /// The node whose children are shown (default: the root of the caller's view itself, alone).
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub node: Option<String>,
}

/// A child node in the coverage tree.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TreeNode {
    pub node_id: String,
    pub name: String,
    pub level_label: String,
    /// Its own 签收 (`None`: not signed; the issuing node never signs).
    pub acked_at_ms: Option<i64>,
    pub relayed: bool,
    /// It is the issuing node (owes nothing).
    pub issuer: bool,
    /// Nodes under it (itself included, the issuing node excluded) that signed / owe.
    pub nodes_acked: u32,
    pub nodes_total: u32,
    pub households_acked: u32,
    pub households_total: u32,
    pub nodes_percent: Option<f64>,
    pub households_percent: Option<f64>,
    /// It has children to open.
    pub has_children: bool,
}

fn tree_children(conn: &ReadTx<'_>, staff: &Staff, id: &str, node: Option<&str>) -> Result<std::result::Result<Vec<TreeNode>, ApiError>> {
    let s = match load_visible(conn, staff, id)? {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let view = view_of(&staff.user.node_path, &s.target_path);
    let nodes = match node {
        // The root of the view itself: the tree opens from it.
        None => {
            let root = view.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string();
            staff::node(conn, &root)?.into_iter().collect()
        }
        Some(n) => match staff::checked(staff::node(conn, n)?, Record::Node, |info| scope::within(&view, &info.path)) {
            Ok(info) => staff::children(conn, &info.id)?,
            Err(e) => return Ok(Err(e)),
        },
    };
    let mut out = Vec::new();
    for child in nodes {
        let ack: Option<(i64, Option<i64>)> = conn.query_opt(
            "SELECT acked_at_ms, relayed_at_ms FROM directive_acks WHERE directive_id = ?1 AND node_id = ?2",
            params![id, child.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (nodes_acked, nodes_total, households_acked, households_total) = counts_under(conn, id, &child.path, &s.d.issuer_node_id)?;
        let has_children: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM org_nodes WHERE parent_id = ?1)", params![child.id], |r| r.get(0))?;
        out.push(TreeNode {
            issuer: child.id == s.d.issuer_node_id,
            node_id: child.id,
            name: child.name,
            level_label: level_label(child.level),
            acked_at_ms: ack.map(|a| a.0),
            relayed: ack.is_some_and(|a| a.1.is_some()),
            nodes_acked,
            nodes_total,
            households_acked,
            households_total,
            nodes_percent: percent(nodes_acked, nodes_total),
            households_percent: percent(households_acked, households_total),
            has_children,
        });
    }
    Ok(Ok(out))
}

async fn tree(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    params: std::result::Result<Query<TreeParams>, QueryRejection>,
) -> ApiResult<axum::Json<Vec<TreeNode>>> {
    let Query(params) = params?;
    staff::check_id("id", &id)?;
    if let Some(n) = &params.node {
        staff::check_id("node", n)?;
    }
    let nodes = staff::read(&state, move |conn| tree_children(conn, &staff, &id, params.node.as_deref())).await??;
    Ok(axum::Json(nodes))
}

/// A directive composed on the console.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ComposeRequest {
    /// Made once per submit by the page: also the directive's id (a repeated submit issues it once).
    #[schemars(length(min = 8, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub op_id: String,
    pub kind: DirectiveKind,
    pub title: String,
    /// The full text.
    pub body: String,
    /// Due time (unix ms); a task needs one, and it must lie in the future.
    pub due_at_ms: Option<i64>,
    /// The root of the subtree it goes to (the caller's node or one under it).
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub target_node_id: String,
    /// Photos uploaded first with `POST /v1/console/photos` (SHA-256).
    #[serde(default)]
    pub photos: Vec<String>,
}

/// How issuing ended, and the directive's id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ComposeAnswer {
    pub answer: ActionAnswer,
    pub directive_id: String,
}

fn compose_refusal(e: DirectiveInputError) -> ActionAnswer {
    match e {
        DirectiveInputError::Rule(r) => {
            let code = match r {
                RuleError::OutOfScope => RejectCode::OutOfScope,
                RuleError::NotPermitted(_) => RejectCode::NotPermitted,
                _ => RejectCode::IllegalTransition,
            };
            ActionAnswer::rejected(code, Some(r))
        }
        DirectiveInputError::DueTimeRequired => field_refusal("任务须填写办结时限"),
        DirectiveInputError::DueTimeInPast => field_refusal("办结时限必须晚于现在"),
    }
}

fn field_refusal(zh: &str) -> ActionAnswer {
    let mut a = ActionAnswer::rejected(RejectCode::InvalidInput, None);
    a.message = format!("{zh}。{}", a.message);
    a
}

async fn compose(State(state): State<AppState>, staff: Staff, JsonBody(req): JsonBody<ComposeRequest>) -> ApiResult<axum::Json<ComposeAnswer>> {
    staff::check_op_id(&req.op_id)?;
    staff::check_id("target_node_id", &req.target_node_id)?;
    let directive_id = req.op_id.clone();
    let user = staff.user.clone();
    let hlc = staff::hlc_now(&staff, 0);
    let device = hlc.rsplit_once('-').map(|(_, d)| d.to_string()).unwrap_or_default();
    let target_id = req.target_node_id.clone();
    let build = move |conn: &ReadTx<'_>, now: i64| -> Result<std::result::Result<Operation, ActionAnswer>> {
        let target = match staff::node_in_scope(conn, &user, &req.target_node_id)? {
            Ok(t) => t,
            Err(_) => return Ok(Err(ActionAnswer::rejected(RejectCode::OutOfScope, Some(RuleError::OutOfScope)))),
        };
        let title = match validate::text("title", &req.title, 1, limits::TITLE) {
            Ok(t) => t,
            Err(_) => return Ok(Err(field_refusal(&format!("标题不能为空，且不超过 {} 个字", limits::TITLE)))),
        };
        let body = match validate::text("body", &req.body, 1, limits::DESCRIPTION) {
            Ok(t) => t,
            Err(_) => return Ok(Err(field_refusal(&format!("正文不能为空，且不超过 {} 个字", limits::DESCRIPTION)))),
        };
        if validate::evidence("evidence", &req.photos).is_err() {
            return Ok(Err(field_refusal(&format!("照片最多 {} 张", limits::EVIDENCE_PER_RECORD))));
        }
        if let Err(e) = drules::authorize_issue(&user.actor(), &target.path, req.kind, req.due_at_ms, now) {
            return Ok(Err(compose_refusal(e)));
        }
        let hlc = linkage_protocol::hlc::Hlc { wall_ms: now, counter: 0 }.encode(&device);
        Ok(Ok(Operation {
            op_id: req.op_id.clone(),
            hlc,
            body: OpBody::DirectiveIssued(Directive {
                id: req.op_id,
                issuer_id: user.id.clone(),
                issuer_node_id: user.node_id.clone(),
                target_node_id: target.id,
                kind: req.kind,
                title,
                body,
                due_at_ms: req.due_at_ms,
                issued_at_ms: now,
                evidence: req.photos,
            }),
        }))
    };
    let answer = staff::apply(&state, &staff, "下达指令", build, |_, _| Ok(None)).await?;
    if answer.outcome == "applied" {
        let detail = serde_json::json!({ "as": staff.user.id, "target": target_id, "via": "console" });
        record(&state, audit::Event::new(staff.user.id.clone(), Action::DirectiveIssued, &directive_id, staff.address.clone()).with(detail)).await;
    }
    Ok(axum::Json(ComposeAnswer { answer, directive_id }))
}

/// A kind of directive the compose page offers.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct KindSpec {
    pub kind: DirectiveKind,
    pub label: String,
    /// It needs a due time (任务), by the shared rule (`rules::directive::authorize_issue`).
    pub due_required: bool,
}

/// A node that may be picked as a directive's target (the root of the subtree it goes to).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TargetNode {
    pub node_id: String,
    pub name: String,
    pub level_label: String,
    /// Households under it.
    pub households: u32,
    /// It has children to open.
    pub has_children: bool,
}

/// What the compose page offers the caller.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ComposeForm {
    pub kinds: Vec<KindSpec>,
    /// Characters of the title, the full text; photos per directive and bytes per photo.
    pub title_max: u32,
    pub body_max: u32,
    pub photos_max: u32,
    pub photo_max_bytes: u64,
    /// The caller's node: the top of the tree the target is picked from.
    pub root: TargetNode,
}

/// Query of the target picker.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct TargetParams {
    /// The node whose children are listed (the caller's node or one under it).
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub node: String,
}

fn target_node(conn: &ReadTx<'_>, n: crate::apply::NodeInfo) -> Result<TargetNode> {
    let households: u32 = conn.query_row("SELECT count(*) FROM households WHERE path >= ?1 AND path < ?2", params![n.path, scope::upper_bound(&n.path)], |r| r.get(0))?;
    let has_children: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM org_nodes WHERE parent_id = ?1)", params![n.id], |r| r.get(0))?;
    Ok(TargetNode { level_label: level_label(n.level), node_id: n.id, name: n.name, households, has_children })
}

fn compose_form(conn: &ReadTx<'_>, staff: &Staff) -> Result<std::result::Result<ComposeForm, ApiError>> {
    let root = match staff::node_in_scope(conn, &staff.user, &staff.user.node_id)? {
        Ok(n) => target_node(conn, n)?,
        Err(e) => return Ok(Err(e)),
    };
    let actor = staff.actor();
    let now = crate::api::now_ms();
    let kinds = [DirectiveKind::Notice, DirectiveKind::Alert, DirectiveKind::Task]
        .into_iter()
        .map(|kind| KindSpec {
            kind,
            label: kind.label(ZH).into(),
            due_required: matches!(
                drules::authorize_issue(&actor, &staff.user.node_path, kind, None, now),
                Err(DirectiveInputError::DueTimeRequired)
            ),
        })
        .collect();
    Ok(Ok(ComposeForm {
        kinds,
        title_max: limits::TITLE as u32,
        body_max: limits::DESCRIPTION as u32,
        photos_max: limits::EVIDENCE_PER_RECORD as u32,
        photo_max_bytes: MAX_BLOB_BYTES,
        root,
    }))
}

async fn form(State(state): State<AppState>, staff: Staff) -> ApiResult<axum::Json<ComposeForm>> {
    let form = staff::read(&state, move |conn| compose_form(conn, &staff)).await??;
    Ok(axum::Json(form))
}

async fn targets(
    State(state): State<AppState>,
    staff: Staff,
    params: std::result::Result<Query<TargetParams>, QueryRejection>,
) -> ApiResult<axum::Json<Vec<TargetNode>>> {
    let Query(params) = params?;
    staff::check_id("node", &params.node)?;
    let nodes = staff::read(&state, move |conn| {
        let parent = match staff::node_in_scope(conn, &staff.user, &params.node)? {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(staff::children(conn, &parent.id)?.into_iter().map(|c| target_node(conn, c)).collect::<Result<Vec<_>>>()?))
    })
    .await??;
    Ok(axum::Json(nodes))
}

/// 催办 a silent node.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RemindRequest {
    #[schemars(length(min = 8, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub op_id: String,
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub node_id: String,
}

async fn remind(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<RemindRequest>,
) -> ApiResult<axum::Json<ActionAnswer>> {
    staff::check_id("id", &id)?;
    staff::check_op_id(&req.op_id)?;
    staff::check_id("node_id", &req.node_id)?;
    let check = (staff.user.node_path.clone(), id.clone());
    staff::read(&state, move |conn| {
        Ok(staff::checked(load(conn, &check.1)?, Record::Directive, |s| visible(&check.0, &s.target_path)).map(|_| ()))
    })
    .await??;
    let (user, hlc_base) = (staff.user.clone(), staff::hlc_now(&staff, 0));
    let device = hlc_base.rsplit_once('-').map(|(_, d)| d.to_string()).unwrap_or_default();
    let build = move |_: &ReadTx<'_>, now: i64| -> Result<std::result::Result<Operation, ActionAnswer>> {
        Ok(Ok(Operation {
            op_id: req.op_id,
            hlc: linkage_protocol::hlc::Hlc { wall_ms: now, counter: 0 }.encode(&device),
            body: OpBody::DirectiveReminded(DirectiveReminder { directive_id: id, node_id: req.node_id, user_id: user.id, at_ms: now }),
        }))
    };
    let actor = staff.actor();
    let why = move |conn: &ReadTx<'_>, op: &Operation| -> Result<Option<RuleError>> {
        let OpBody::DirectiveReminded(r) = &op.body else { return Ok(None) };
        let (Some(s), Some(n)) = (load(conn, &r.directive_id)?, staff::node(conn, &r.node_id)?) else { return Ok(None) };
        let acked: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM directive_acks WHERE directive_id = ?1 AND node_id = ?2)", params![r.directive_id, r.node_id], |row| row.get(0))?;
        let facts = DirectiveFacts { target_path: &s.target_path, issuer_node_id: &s.d.issuer_node_id };
        Ok(drules::authorize_remind(&actor, facts, &n.id, &n.path, acked).err())
    };
    Ok(axum::Json(staff::apply(&state, &staff, "催办", build, why).await?))
}

/// The issuer's decision on a node's completion report.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReviewRequest {
    #[schemars(length(min = 8, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub op_id: String,
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub node_id: String,
    /// 通过 (`true`) or 退回 (`false`, with a reason).
    pub accepted: bool,
    #[serde(default)]
    pub reason: String,
}

async fn review(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> ApiResult<axum::Json<ActionAnswer>> {
    staff::check_id("id", &id)?;
    staff::check_op_id(&req.op_id)?;
    staff::check_id("node_id", &req.node_id)?;
    let check = (staff.user.node_path.clone(), id.clone(), req.node_id.clone());
    // The report under review: its time binds the decision to it (a newer report is not decided by this one).
    let report_at = staff::read(&state, move |conn| {
        Ok(match staff::checked(load(conn, &check.1)?, Record::Directive, |s| visible(&check.0, &s.target_path)) {
            Ok(_) => Ok(conn.query_opt(
                "SELECT at_ms FROM directive_task_reports WHERE directive_id = ?1 AND node_id = ?2",
                params![check.1, check.2],
                |r| r.get::<i64>(0),
            )?),
            Err(e) => Err(e),
        })
    })
    .await??;
    let Some(report_at_ms) = report_at else {
        let mut a = ActionAnswer::rejected(RejectCode::IllegalTransition, None);
        a.message = format!("该单位还没有上报完成情况。{}", a.message);
        return Ok(axum::Json(a));
    };
    let reason = req.reason.trim().to_string();
    if !req.accepted && drules::validate_review_reason(false, &reason).is_err() {
        return Ok(axum::Json(field_refusal(&format!("退回须写明原因（不超过 {} 个字）", limits::NOTE))));
    }
    let (user, hlc_base) = (staff.user.clone(), staff::hlc_now(&staff, 0));
    let device = hlc_base.rsplit_once('-').map(|(_, d)| d.to_string()).unwrap_or_default();
    let build = move |_: &ReadTx<'_>, now: i64| -> Result<std::result::Result<Operation, ActionAnswer>> {
        Ok(Ok(Operation {
            op_id: req.op_id,
            hlc: linkage_protocol::hlc::Hlc { wall_ms: now, counter: 0 }.encode(&device),
            body: OpBody::TaskReportReviewed(TaskReview {
                directive_id: id,
                node_id: req.node_id,
                accepted: req.accepted,
                reason: if req.accepted { String::new() } else { reason },
                user_id: user.id,
                report_at_ms,
                at_ms: now,
            }),
        }))
    };
    let actor = staff.actor();
    let why = move |conn: &ReadTx<'_>, op: &Operation| -> Result<Option<RuleError>> {
        let OpBody::TaskReportReviewed(r) = &op.body else { return Ok(None) };
        let Some(s) = load(conn, &r.directive_id)? else { return Ok(None) };
        let status: Option<String> =
            conn.query_opt("SELECT status FROM directive_task_reports WHERE directive_id = ?1 AND node_id = ?2", params![r.directive_id, r.node_id], |row| row.get(0))?;
        let status = status.map(|s| parse_enum::<TaskReportStatus>(&s)).transpose()?;
        let facts = DirectiveFacts { target_path: &s.target_path, issuer_node_id: &s.d.issuer_node_id };
        Ok(drules::authorize_task_review(&actor, facts, status).err())
    };
    Ok(axum::Json(staff::apply(&state, &staff, "审核完成情况", build, why).await?))
}

/// A stored photo's name.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PhotoAnswer {
    /// SHA-256 of the bytes: cite it in a directive's `photos` or an issue step's `evidence`.
    pub hash: String,
    pub size: u64,
}

/// `POST /v1/console/photos`: a JPEG from the office computer, stored under its SHA-256 (computed here: an
/// office browser on plain http has no WebCrypto). Unlike a phone's upload it comes before the record citing it
/// (the console makes both at once); a photo never cited is removed by the blob collection after its grace
/// period, like any unreferenced blob. Only staff may upload; at most 10 MiB.
async fn upload_photo(State(state): State<AppState>, staff: Staff, headers: HeaderMap, body: Bytes) -> ApiResult<axum::Json<PhotoAnswer>> {
    let is_jpeg = body.len() >= 3 && body[..3] == [0xFF, 0xD8, 0xFF];
    let declared_jpeg = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("image/jpeg"));
    if !declared_jpeg {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::InvalidInput, "请上传 JPG 照片（image/jpeg）/ send a JPEG as image/jpeg"));
    }
    if body.len() as u64 > MAX_BLOB_BYTES {
        return Err(ApiError::too_large(format!("照片过大：最大 {} MB / at most {MAX_BLOB_BYTES} bytes", MAX_BLOB_BYTES >> 20)));
    }
    if !is_jpeg {
        return Err(ApiError::invalid("这不是 JPG 照片，请另存为 JPG 后再上传 / not a JPEG"));
    }
    let hash = crate::sqlite::sha256_hex(&body);
    let storage = state.storage.clone();
    let (h, user_id, device_id) = (hash.clone(), staff.user.id.clone(), staff.device_id.clone());
    let written = blocking(move || {
        let limits = BlobLimits { max_size: MAX_BLOB_BYTES, partials_per_device: 1, partial_bytes_per_device: MAX_BLOB_BYTES };
        let up = Uploader { user_id: &user_id, device_id: &device_id, now_ms: crate::api::now_ms() };
        storage.blob_write(&h, 0, &body, true, up, &limits)
    })
    .await?;
    match written {
        BlobWrite::Complete(size) => Ok(axum::Json(PhotoAnswer { hash, size })),
        BlobWrite::TooLarge => Err(ApiError::too_large("照片过大 / too large")),
        _ => Err(ApiError::invalid("照片未能保存，请重新上传 / the photo was not stored; upload it again")),
    }
}

pub(crate) fn openapi_routes(gen: &mut schemars::SchemaGenerator) -> Vec<Route> {
    let bad = (400, vec![ErrorCode::InvalidInput], "a malformed id or query");
    let missing = (404, vec![ErrorCode::NotFound], "no such directive in the caller's scope (one answer for missing and out of scope)");
    let compose_example = serde_json::json!({ "op_id": "0194f3a2-7c1e-7b3a-9f10-1234567890ae", "kind": "alert",
        "title": "护林防火预警", "body": "今明两天大风，严禁野外用火。", "due_at_ms": null, "target_node_id": "t1", "photos": [] });
    let remind_example = serde_json::json!({ "op_id": "0194f3a2-7c1e-7b3a-9f10-1234567890af", "node_id": "b1" });
    let review_example = serde_json::json!({ "op_id": "0194f3a2-7c1e-7b3a-9f10-1234567890b0", "node_id": "b1", "accepted": false, "reason": "缺少现场照片" });
    let route = |method, path, id, summary, description, query, body, ok, errors| Route {
        method,
        path,
        id,
        summary,
        description,
        auth: true,
        query,
        hash: false,
        body,
        ok,
        errors,
    };
    vec![
        route(
            "get",
            LIST,
            "consoleDirectives",
            "Console: directives issued in or to the caller's area, newest first, with coverage",
            "County or township staff only. Coverage counts the nodes of the view (the deeper of the target and the caller's node, \
             or `node`; the issuing node excluded) and their households. Filters: `side` (issued by the caller's node or not), \
             `waiting` (completion reports waiting for the caller's review).",
            Some(<ListParams as JsonSchema>::json_schema(gen).to_value()),
            Body::None,
            Success::json("a page of directives", ref_of::<DirectivePage>(gen)),
            sorted([vec![bad.clone(), (404, vec![ErrorCode::NotFound], "the node is not in the caller's scope")], staff_errors()].concat()),
        ),
        route(
            "post",
            LIST,
            "consoleIssueDirective",
            "Console: issue a directive (通知 / 预警 / 任务) to a subtree",
            "Made as the signed-in staff member and applied through the phones' push path; audited. The op id is also the \
             directive's id: a repeated submit answers `duplicate`. A refusal by the rules is `rejected` with the reason in Chinese.",
            None,
            Body::Json(ref_of::<ComposeRequest>(gen), compose_example),
            Success::json("how issuing ended", ref_of::<ComposeAnswer>(gen)),
            sorted([json_body_errors(), staff_errors()].concat()),
        ),
        route(
            "get",
            FORM,
            "consoleDirectiveForm",
            "Console: what the compose page offers — kinds (and which need a due time), limits, the caller's node",
            "County or township staff only. Whether a kind needs a due time comes from the shared issuing rule.",
            None,
            Body::None,
            Success::json("the compose form", ref_of::<ComposeForm>(gen)),
            staff_errors(),
        ),
        route(
            "get",
            TARGETS,
            "consoleDirectiveTargets",
            "Console: the children of a node in the caller's scope, to pick a directive's target subtree",
            "Opens the org tree level by level from the caller's node (`GET .../form` gives it).",
            Some(<TargetParams as JsonSchema>::json_schema(gen).to_value()),
            Body::None,
            Success::json("the children", ref_of::<Vec<TargetNode>>(gen)),
            sorted([vec![bad.clone(), (404, vec![ErrorCode::NotFound], "no such node in the caller's scope")], staff_errors()].concat()),
        ),
        route(
            "get",
            DIRECTIVE,
            "consoleDirective",
            "Console: a directive's page — full text, photos, coverage by level, silent nodes, completion reports",
            "The view is the deeper of the target and the caller's node.",
            None,
            Body::None,
            Success::json("the directive", ref_of::<DirectiveDetail>(gen)),
            sorted([vec![bad.clone(), missing.clone()], staff_errors()].concat()),
        ),
        route(
            "get",
            TREE,
            "consoleDirectiveTree",
            "Console: coverage tree — the children of a node with their own 签收 and their subtree's figures",
            "Opens the coverage tree level by level.",
            Some(<TreeParams as JsonSchema>::json_schema(gen).to_value()),
            Body::None,
            Success::json("children", ref_of::<Vec<TreeNode>>(gen)),
            sorted([vec![bad.clone(), (404, vec![ErrorCode::NotFound], "no such directive, or node in its view, in the caller's scope")], staff_errors()].concat()),
        ),
        route(
            "post",
            REMIND,
            "consoleRemindDirective",
            "Console: 催办 a node that has not signed for the directive",
            "The phones' `directive_reminded` operation, judged by the shared rule (a node above it in the directive's area).",
            None,
            Body::Json(ref_of::<RemindRequest>(gen), remind_example),
            Success::json("how it ended", ref_of::<ActionAnswer>(gen)),
            sorted([json_body_errors(), vec![missing.clone()], staff_errors()].concat()),
        ),
        route(
            "post",
            REVIEW,
            "consoleReviewTaskReport",
            "Console: accept (通过) or send back (退回, with a reason) a node's task completion report",
            "Only the issuing node's staff; bound to the report waiting now.",
            None,
            Body::Json(ref_of::<ReviewRequest>(gen), review_example),
            Success::json("how it ended", ref_of::<ActionAnswer>(gen)),
            sorted([json_body_errors(), vec![missing], staff_errors()].concat()),
        ),
        route(
            "post",
            PHOTOS,
            "consoleUploadPhoto",
            "Console: upload a JPEG photo (≤ 10 MiB) to cite in a directive or an issue step",
            "Answers the photo's SHA-256. A photo never cited is collected after the grace period.",
            None,
            Body::Jpeg,
            Success::json("the stored photo", ref_of::<PhotoAnswer>(gen)),
            sorted(
                [
                    vec![
                        (400, vec![ErrorCode::InvalidInput], "the bytes are not a JPEG"),
                        (413, vec![ErrorCode::PayloadTooLarge], "over 10 MiB"),
                        (415, vec![ErrorCode::InvalidInput], "not sent as `image/jpeg`"),
                    ],
                    staff_errors(),
                ]
                .concat(),
            ),
        ),
    ]
}
