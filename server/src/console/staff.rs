//! What every console module of c2 (issues, directives, ledger, people, import) shares: the signed-in staff
//! member (县级干部 / 乡镇干部 only: the console is a desk tool of the county and township offices), read-only
//! snapshots of either database for the lists (`crate::readtx`), names of nodes and users, and writing an operation through the very path a
//! phone's push takes (`Storage::apply_ops`: the shared rules of `apply.rs`, the change feed, idempotency by op
//! id, receipt order) with zh-CN answers.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::{request::Parts, StatusCode};
use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::model::Role;
use linkage_protocol::rules::{scope, RuleError};
use linkage_protocol::sync::{ErrorCode, OpOutcome, RejectCode};
use linkage_protocol::wire::Operation;
use crate::readtx::{params, ReadTx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::{blocking, ApiError, ApiResult, AppState};
use crate::apply::{NodeInfo, UserInfo};
use crate::error::Result;
use crate::sqlite::parse_enum;

/// The signed-in console user: county or township staff, with the device (session) their actions are made on.
pub struct Staff {
    pub user: UserInfo,
    /// The device (or console session) the request came from: the HLC's device part of what it writes.
    pub device_id: String,
    /// The client's address (audit).
    pub address: String,
}

impl Staff {
    /// Whether the user is a county administrator (县级干部: user and device administration).
    pub fn is_county(&self) -> bool {
        self.user.role == Role::CountyStaff
    }

    /// The user as the rules' actor.
    pub fn actor(&self) -> linkage_protocol::model::Actor {
        self.user.actor()
    }
}

/// The answer to a signed-in user who is not county or township staff.
pub fn not_staff() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "控制台只供县、乡镇干部使用，请在手机上办理 / the console is for county and township staff")
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> std::result::Result<Self, Self::Rejection> {
        // The console session (cookie + CSRF header on changes) or a bearer token; staff roles only.
        let who = super::ConsoleUser::from_request_parts(parts, state).await?;
        Ok(Staff { user: who.user, device_id: who.device_id, address: who.address })
    }
}

/// Runs `f` in one read-only snapshot of the database (either backend), off the async threads.
pub async fn read<T: Send + 'static>(state: &AppState, f: impl FnOnce(&ReadTx<'_>) -> Result<T> + Send + 'static) -> ApiResult<T> {
    super::read(state, f).await
}

/// An id from a URL or query, checked as the sync API checks ids.
pub fn check_id(field: &'static str, id: &str) -> ApiResult<()> {
    linkage_protocol::validate::id(field, id).map_err(|e| ApiError::invalid(format!("编号格式不对 / {e}")))
}

/// One org node.
pub fn node(conn: &ReadTx<'_>, id: &str) -> Result<Option<NodeInfo>> {
    conn.query_opt("SELECT id, parent_id, level, name, path FROM org_nodes WHERE id = ?1", params![id], node_of)
}

fn node_of(r: &crate::readtx::Row<'_>) -> Result<NodeInfo> {
    Ok(NodeInfo { id: r.get(0)?, parent_id: r.get(1)?, level: parse_enum(&r.get::<String>(2)?)?, name: r.get(3)?, path: r.get(4)? })
}

/// What a console URL or query names by id: the noun of the one out-of-scope answer ([`out_of_scope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// 单位 (an org node).
    Node,
    /// 住户.
    Household,
    /// 诉求.
    Issue,
    /// 指令.
    Directive,
    /// 照片.
    Photo,
    /// 问卷 (a form version reaching the caller's area).
    Form,
}

impl Record {
    fn zh(self) -> &'static str {
        match self {
            Record::Node => "这个单位",
            Record::Household => "这一户",
            Record::Issue => "这件诉求",
            Record::Directive => "这条指令",
            Record::Photo => "这张照片",
            Record::Form => "这份问卷",
        }
    }
}

/// THE answer of every console module for an id that does not exist or lies outside the caller's scope: one
/// `404 not_found` for both, with the same words, so an id outside the scope is never confirmed to exist
/// (a 403 for "exists, not yours" beside a 404 for "no such id" would tell them apart).
pub fn out_of_scope(what: Record) -> ApiError {
    ApiError::not_found(&format!("{}不存在，或不在您的管辖范围内 / not found or not in your scope", what.zh()))
}

/// Whether a record at `path` lies in the user's scope (the subtree of the user's node): the shared rule
/// (`rules::scope::within`), as the phones' sync applies it.
pub fn sees(user: &UserInfo, path: &str) -> bool {
    scope::within(&user.node_path, path)
}

/// THE scope check of every console module: `found` if it exists and `visible` says the caller may see it,
/// otherwise [`out_of_scope`]. Most records use [`sees`] on their path; a directive is also visible to the
/// nodes under its target (`directives::visible`).
pub fn checked<T>(found: Option<T>, what: Record, visible: impl FnOnce(&T) -> bool) -> std::result::Result<T, ApiError> {
    match found {
        Some(t) if visible(&t) => Ok(t),
        _ => Err(out_of_scope(what)),
    }
}

/// A node within the user's scope, or the one answer for missing and out of scope alike.
pub fn node_in_scope(conn: &ReadTx<'_>, user: &UserInfo, id: &str) -> Result<std::result::Result<NodeInfo, ApiError>> {
    if linkage_protocol::validate::id("node", id).is_err() {
        // A malformed id cannot name a node: the same answer as an unknown one.
        return Ok(Err(out_of_scope(Record::Node)));
    }
    Ok(checked(node(conn, id)?, Record::Node, |n| sees(user, &n.path)))
}

/// The direct children of a node, by path.
pub fn children(conn: &ReadTx<'_>, id: &str) -> Result<Vec<NodeInfo>> {
    conn.query_map("SELECT id, parent_id, level, name, path FROM org_nodes WHERE parent_id = ?1 ORDER BY path", params![id], node_of)
}

/// Names of nodes and users looked up once per request.
#[derive(Default)]
pub struct Names {
    nodes: HashMap<String, Option<String>>,
    users: HashMap<String, Option<(String, Role)>>,
}

impl Names {
    /// A node's name ("" when unknown).
    pub fn node(&mut self, conn: &ReadTx<'_>, id: &str) -> Result<String> {
        if !self.nodes.contains_key(id) {
            let name = conn.query_opt("SELECT name FROM org_nodes WHERE id = ?1", params![id], |r| r.get(0))?;
            self.nodes.insert(id.to_string(), name);
        }
        Ok(self.nodes[id].clone().unwrap_or_default())
    }

    /// A user's name and role (`系统` for the overdue sweep; the id when unknown).
    pub fn user(&mut self, conn: &ReadTx<'_>, id: &str) -> Result<(String, Option<Role>)> {
        if id == crate::apply::SYSTEM_ACTOR {
            return Ok(("系统".into(), None));
        }
        if !self.users.contains_key(id) {
            let row = conn.query_opt("SELECT name, role FROM users WHERE id = ?1", params![id], |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)))?;
            let row = match row {
                Some((name, role)) => Some((name, parse_enum(&role)?)),
                None => None,
            };
            self.users.insert(id.to_string(), row);
        }
        Ok(match &self.users[id] {
            Some((name, role)) => (name.clone(), Some(*role)),
            None => (id.to_string(), None),
        })
    }
}

/// How a console action ended (the answer of every action endpoint). Like a phone's push: `applied` (stored
/// now), `duplicate` (the same `op_id` was already done: a double submit changes nothing), or `rejected` with
/// the shared rules' reason in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActionAnswer {
    /// `applied`, `duplicate` or `rejected`.
    #[schemars(regex(pattern = "^(applied|duplicate|rejected)$"))]
    pub outcome: String,
    /// The rule's reject code when rejected (see `RejectCode`).
    pub reject_code: Option<RejectCode>,
    /// What happened, in Chinese (English after ` / `).
    pub message: String,
}

impl ActionAnswer {
    fn applied(what: &str) -> ActionAnswer {
        ActionAnswer { outcome: "applied".into(), reject_code: None, message: format!("{what}：已完成 / done") }
    }

    fn duplicate(what: &str) -> ActionAnswer {
        ActionAnswer { outcome: "duplicate".into(), reject_code: None, message: format!("{what}：已经提交过，未重复办理 / already done") }
    }

    /// A refusal: the reject code's words, the denial's when the rules say who may, and what to do.
    pub fn rejected(code: RejectCode, why: Option<RuleError>) -> ActionAnswer {
        let zh = Locale::ZhCn;
        let detail = match why {
            Some(RuleError::NotPermitted(d)) => format!("{}。", d.label(zh)),
            Some(RuleError::NoHigherLevel) => "已是最高一级，无法再上报。".into(),
            _ => String::new(),
        };
        let message = format!(
            "{}。{}{} / {}",
            code.label(zh),
            detail,
            linkage_protocol::labels::reject_next_step(code, zh),
            code.label(Locale::En)
        );
        ActionAnswer { outcome: "rejected".into(), reject_code: Some(code), message }
    }
}

/// An op id from the console: made by the page once per submit (a UUID), the idempotency key of the action.
pub fn check_op_id(op_id: &str) -> ApiResult<()> {
    check_id("op_id", op_id)?;
    if op_id.len() < 8 {
        return Err(ApiError::invalid("op_id: 请用页面生成的编号（至少 8 位）/ at least 8 characters"));
    }
    Ok(())
}

/// Whether `op_id` was applied before, and by whom.
fn applied_by(conn: &ReadTx<'_>, op_id: &str) -> Result<Option<String>> {
    conn.query_opt("SELECT user_id FROM changes WHERE op_id = ?1", params![op_id], |r| r.get(0))
}

/// The HLC time of an op the console makes now for `staff` (device part: the console session's device).
pub fn hlc_now(staff: &Staff, now_ms: i64) -> String {
    linkage_protocol::hlc::Hlc { wall_ms: now_ms, counter: 0 }.encode(&staff.device_id)
}

/// Applies one operation made on the console for `staff` through the phones' write path. A second submit of the
/// same `op_id` answers `duplicate` before anything is built (the body differs in its times, so the push path
/// alone would call it a conflict); `why` explains a refusal (the rule's own verdict, checked beforehand).
pub async fn apply(
    state: &AppState,
    staff: &Staff,
    what: &'static str,
    build: impl FnOnce(&ReadTx<'_>, i64) -> Result<std::result::Result<Operation, ActionAnswer>> + Send + 'static,
    why: impl FnOnce(&ReadTx<'_>, &Operation) -> Result<Option<RuleError>> + Send + 'static,
) -> ApiResult<ActionAnswer> {
    let storage = state.storage.clone();
    let user = staff.user.clone();
    blocking(move || {
        let seen = |conn: &ReadTx<'_>, op_id: &str| -> Result<Option<ActionAnswer>> {
            Ok(applied_by(conn, op_id)?.map(|by| {
                if by == user.id {
                    ActionAnswer::duplicate(what)
                } else {
                    ActionAnswer::rejected(RejectCode::Conflict, None)
                }
            }))
        };
        let now = crate::api::now_ms();
        // Built and checked in one snapshot, which ends before the write (the write takes its own connection).
        let op = crate::readtx::read(storage.as_ref(), |conn| {
            Ok(match build(conn, now)? {
                Ok(op) => match seen(conn, &op.op_id)? {
                    Some(answer) => Err(answer),
                    None => Ok(op),
                },
                Err(answer) => Err(answer),
            })
        })?;
        let op = match op {
            Ok(op) => op,
            Err(answer) => return Ok(answer),
        };
        let outcome = storage.apply_ops(&user, std::slice::from_ref(&op), now)?.remove(0);
        Ok(match outcome {
            OpOutcome::Applied => ActionAnswer::applied(what),
            OpOutcome::Duplicate => ActionAnswer::duplicate(what),
            OpOutcome::Rejected { code, message } => crate::readtx::read(storage.as_ref(), |conn| {
                if code == RejectCode::Conflict {
                    if let Some(answer) = seen(conn, &op.op_id)? {
                        // Two submits at once: the other one was applied first.
                        return Ok(answer);
                    }
                }
                let reason = why(conn, &op)?;
                let mut answer = ActionAnswer::rejected(code, reason);
                if reason_is_field(code) {
                    answer.message = format!("{}（{message}）", answer.message);
                }
                Ok(answer)
            })?,
        })
    })
    .await
}

/// For a field problem the rule's message names the field: worth showing after the Chinese words.
fn reason_is_field(code: RejectCode) -> bool {
    matches!(code, RejectCode::InvalidInput | RejectCode::ImpossibleTime)
}

/// Paging of a console list: `page` from 1, `page_size` 1–100 (default 20).
pub fn paging(page: Option<u32>, page_size: Option<u32>) -> ApiResult<(u32, u32)> {
    let page = page.unwrap_or(1);
    let size = page_size.unwrap_or(20);
    if page == 0 || page > 100_000 {
        return Err(ApiError::invalid("page: 页码从 1 开始 / from 1"));
    }
    if !(1..=100).contains(&size) {
        return Err(ApiError::invalid("page_size: 每页 1 到 100 条 / 1 to 100"));
    }
    Ok((page, size))
}

/// The id of the township an entity at `path` lies in (the second segment: `/county/township/...`).
pub fn township_of(path: &str) -> Option<&str> {
    path.split('/').filter(|s| !s.is_empty()).nth(1)
}

/// Masks a phone number for lists (`138****5678`), as the phones show it.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn township_and_masks() {
        assert_eq!(township_of("/c/t1/b1/g1/h1/"), Some("t1"));
        assert_eq!(township_of("/c/"), None);
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn paging_limits() {
        assert_eq!(paging(None, None).unwrap(), (1, 20));
        assert!(paging(Some(0), None).is_err());
        assert!(paging(Some(1), Some(101)).is_err());
    }

    #[test]
    fn rejections_read_in_chinese() {
        let a = ActionAnswer::rejected(RejectCode::NotPermitted, Some(RuleError::NotPermitted(linkage_protocol::rules::Denial::NotAboveOwner)));
        assert!(a.message.starts_with("您的账号无权进行这项操作。只有上一级的干部可以督办或审批"), "{}", a.message);
        assert_eq!(a.outcome, "rejected");
    }
}
