//! Administration on the console for the county's administrators (县级干部 only; issue #14 point 7): users
//! (list, add, reset password, disable) and devices (list, revoke) with the rules of `linkage-server user add |
//! disable` and `device list | revoke` (password policy, role bound to a node of its level, initial passwords to
//! change at first sign-in, devices signed out or told to wipe), each change audited with the acting user; and
//! the import of nodes and households from CSV (UTF-8, or GBK as Excel on Chinese Windows saves it) or XLSX with
//! the CLI's row-level problem report (`import.rs`): all or nothing.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::MethodFilter;
use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::model::Role;
use linkage_protocol::sync::ErrorCode;
use linkage_protocol::validate::{self, limits};
use crate::readtx::{params, ReadTx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::staff::{self, Staff};
use crate::api::{blocking, record, ApiError, ApiResult, AppState, JsonBody, Routes};
use crate::audit::{self, Action};
use crate::error::Result;
use super::{sorted};
use crate::openapi::{auth_errors, internal, json_body_errors, ref_of, Body, Route, Success};
use crate::storage::NewUser;

pub const USERS: &str = "/v1/console/users";
pub const USER_PASSWORD: &str = "/v1/console/users/{id}/password";
pub const USER_DISABLE: &str = "/v1/console/users/{id}/disable";
pub const DEVICES: &str = "/v1/console/devices";
pub const DEVICE_REVOKE: &str = "/v1/console/devices/{id}/revoke";
pub const IMPORT: &str = "/v1/console/import";

/// Largest import file.
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

const ZH: Locale = Locale::ZhCn;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(MethodFilter::GET, USERS, list_users)
        .add(MethodFilter::POST, USERS, add_user)
        .add(MethodFilter::POST, USER_PASSWORD, reset_password)
        .add(MethodFilter::POST, USER_DISABLE, disable_user)
        .add(MethodFilter::GET, DEVICES, list_devices)
        .add(MethodFilter::POST, DEVICE_REVOKE, revoke_device)
        .add(MethodFilter::POST, IMPORT, import)
}

fn county_only(staff: &Staff) -> ApiResult<()> {
    if staff.is_county() {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "只有县级管理员可以管理账号、设备和导入台账 / county administrators only"))
    }
}

/// A user in the administration list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub role_label: String,
    pub node_id: String,
    pub node_name: String,
    pub locked: bool,
    pub disabled: bool,
    /// Has an initial (or reset) password to change at the next sign-in.
    pub must_change_password: bool,
}

fn users(conn: &ReadTx<'_>) -> Result<Vec<UserRow>> {
    conn.query_map(
        "SELECT u.id, u.name, u.role, u.node_id, n.name, u.locked, u.disabled, u.must_change_password
         FROM users u JOIN org_nodes n ON n.id = u.node_id ORDER BY n.path, u.id",
        params![],
        |r| {
            let role: Role = crate::sqlite::parse_enum(&r.get::<String>(2)?)?;
            Ok(UserRow {
                id: r.get(0)?,
                name: r.get(1)?,
                role_label: role.label(ZH).into(),
                role,
                node_id: r.get(3)?,
                node_name: r.get(4)?,
                locked: r.get(5)?,
                disabled: r.get(6)?,
                must_change_password: r.get(7)?,
            })
        },
    )
}

async fn list_users(State(state): State<AppState>, staff: Staff) -> ApiResult<axum::Json<Vec<UserRow>>> {
    county_only(&staff)?;
    Ok(axum::Json(staff::read(&state, users).await?))
}

/// A new account (or a password reset of an existing one, as `user add` does).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NewUserRequest {
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The node the account is bound to: of the role's level.
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub node_id: String,
    /// An initial password, to be changed at the first sign-in (the password policy applies).
    pub password: String,
}

/// How an administration step ended.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AdminAnswer {
    /// What was done, in Chinese.
    pub message: String,
}

fn refuse(zh: String, en: &str) -> ApiError {
    ApiError::invalid(format!("{zh} / {en}"))
}

fn password_problem(id: &str, password: &str) -> ApiResult<()> {
    match linkage_protocol::rules::password::check(id, password, None) {
        Ok(()) => Ok(()),
        Err(p) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::WeakPassword,
            format!("{} / {} ({})", p.words(ZH), p.words(Locale::En), p.code()),
        )),
    }
}

/// Stores the password as an initial one and ends the user's tokens; audits the reset.
fn set_initial_password(state: &AppState, id: &str, password: &str) -> Result<u32> {
    let hash = crate::auth::hash_password(password)?;
    state.storage.set_password(id, &hash, true, crate::api::now_ms())
}

async fn add_user(State(state): State<AppState>, staff: Staff, JsonBody(req): JsonBody<NewUserRequest>) -> ApiResult<axum::Json<AdminAnswer>> {
    county_only(&staff)?;
    staff::check_id("id", &req.id)?;
    staff::check_id("node_id", &req.node_id)?;
    let name = validate::text("name", &req.name, 1, limits::NAME)
        .map_err(|_| refuse(format!("姓名不能为空，且不超过 {} 个字", limits::NAME), "name: 1 to NAME characters"))?;
    password_problem(&req.id, &req.password)?;
    let storage = state.storage.clone();
    let node = req.node_id.clone();
    let n = blocking(move || storage.node(&node))
        .await?
        .ok_or_else(|| ApiError::not_found("没有这个单位 / no such node"))?;
    if n.level != req.role.level() {
        return Err(refuse(
            format!("{}须绑定到{}一级的单位，而“{}”是{}", req.role.label(ZH), req.role.level().label(ZH), n.name, n.level.label(ZH)),
            "the role must be bound to a node of its level",
        ));
    }
    let (st, id, role, node_id, password) = (state.clone(), req.id.clone(), req.role, req.node_id.clone(), req.password.clone());
    let (existed, signed_out) = blocking(move || {
        let hash = crate::auth::hash_password(&password)?;
        let existed = st.storage.account(&id)?.is_some();
        st.storage.put_user(&NewUser { id: id.clone(), name, role, node_id, password_hash: hash.clone() })?;
        let signed_out = st.storage.set_password(&id, &hash, true, crate::api::now_ms())?;
        Ok((existed, signed_out))
    })
    .await?;
    let detail = serde_json::json!({ "role": crate::sqlite::enum_str(&req.role), "node": req.node_id, "password_reset": existed,
        "devices_signed_out": signed_out, "via": "console" });
    record(&state, audit::Event::new(staff.user.id.clone(), Action::UserSaved, &req.id, staff.address.clone()).with(detail)).await;
    if signed_out > 0 {
        let detail = serde_json::json!({ "devices": signed_out, "why": "password_reset" });
        record(&state, audit::Event::new(staff.user.id.clone(), Action::TokensRevoked, &req.id, staff.address.clone()).with(detail)).await;
    }
    let message = if existed { format!("账号 {} 已更新，初始密码已重置，首次登录须修改密码", req.id) } else { format!("账号 {} 已创建，首次登录须修改密码", req.id) };
    Ok(axum::Json(AdminAnswer { message }))
}

/// A new initial password.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PasswordRequest {
    pub password: String,
}

async fn reset_password(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, JsonBody(req): JsonBody<PasswordRequest>) -> ApiResult<axum::Json<AdminAnswer>> {
    county_only(&staff)?;
    staff::check_id("id", &id)?;
    password_problem(&id, &req.password)?;
    let (st, uid) = (state.clone(), id.clone());
    let signed_out = blocking(move || {
        if st.storage.account(&uid)?.is_none() {
            return Ok(None);
        }
        Ok(Some(set_initial_password(&st, &uid, &req.password)?))
    })
    .await?
    .ok_or_else(|| ApiError::not_found("没有这个账号 / no such user"))?;
    let detail = serde_json::json!({ "password_reset": true, "devices_signed_out": signed_out, "via": "console" });
    record(&state, audit::Event::new(staff.user.id.clone(), Action::UserSaved, &id, staff.address.clone()).with(detail)).await;
    if signed_out > 0 {
        let detail = serde_json::json!({ "devices": signed_out, "why": "password_reset" });
        record(&state, audit::Event::new(staff.user.id.clone(), Action::TokensRevoked, &id, staff.address.clone()).with(detail)).await;
    }
    Ok(axum::Json(AdminAnswer { message: format!("账号 {id} 的密码已重置（{signed_out} 台设备须重新登录），首次登录须修改密码") }))
}

async fn disable_user(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> ApiResult<axum::Json<AdminAnswer>> {
    county_only(&staff)?;
    staff::check_id("id", &id)?;
    if id == staff.user.id {
        return Err(ApiError::new(StatusCode::CONFLICT, ErrorCode::InvalidInput, "不能停用自己正在使用的账号 / you cannot disable your own account"));
    }
    let storage = state.storage.clone();
    let uid = id.clone();
    let revoked = blocking(move || storage.disable_user(&uid)).await?.ok_or_else(|| ApiError::not_found("没有这个账号 / no such user"))?;
    let detail = serde_json::json!({ "devices_revoked": revoked, "via": "console" });
    record(&state, audit::Event::new(staff.user.id.clone(), Action::UserDisabled, &id, staff.address.clone()).with(detail)).await;
    Ok(axum::Json(AdminAnswer { message: format!("账号 {id} 已停用；它的 {revoked} 台设备下次联网时将清除本机数据") }))
}

/// A device in the administration list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeviceInfo {
    pub device_id: String,
    pub user_id: String,
    pub device_name: String,
    pub created_at_ms: i64,
    pub last_seen_at_ms: Option<i64>,
    pub revoked: bool,
    /// `使用中`, `已停用`, `须重新登录`.
    pub state_label: String,
}

async fn list_devices(State(state): State<AppState>, staff: Staff) -> ApiResult<axum::Json<Vec<DeviceInfo>>> {
    county_only(&staff)?;
    let storage = state.storage.clone();
    let rows = blocking(move || storage.devices(None)).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|d| DeviceInfo {
                state_label: if d.revoked {
                    "已停用"
                } else if d.signed_out {
                    "须重新登录"
                } else {
                    "使用中"
                }
                .into(),
                device_id: d.device_id,
                user_id: d.user_id,
                device_name: d.device_name,
                created_at_ms: d.created_at_ms,
                last_seen_at_ms: d.last_seen_at_ms,
                revoked: d.revoked,
            })
            .collect(),
    ))
}

async fn revoke_device(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> ApiResult<axum::Json<AdminAnswer>> {
    county_only(&staff)?;
    staff::check_id("id", &id)?;
    if id == staff.device_id {
        return Err(ApiError::new(StatusCode::CONFLICT, ErrorCode::InvalidInput, "不能停用自己正在使用的设备 / you cannot revoke the device you are using"));
    }
    let storage = state.storage.clone();
    let did = id.clone();
    if !blocking(move || storage.revoke_device(&did)).await? {
        return Err(ApiError::not_found("没有这台设备 / no such device"));
    }
    record(&state, audit::Event::new(staff.user.id.clone(), Action::DeviceRevoked, &id, staff.address.clone()).with(serde_json::json!({ "via": "console" }))).await;
    Ok(axum::Json(AdminAnswer { message: format!("设备 {id} 已停用，下次联网时将清除本机数据") }))
}

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// 组织节点 (`nodes.csv`: id,parent_id,level,name,code,boundary).
    Nodes,
    /// 住户台账 (`households.csv`: id,group_id,head_name,members,phone,id_number,address,lat,lon,tags,risk_level,county_contact).
    Households,
}

/// Query of the import.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ImportParams {
    pub kind: ImportKind,
    /// Check only: report the problems (or what would be stored) without storing.
    #[serde(default)]
    pub dry_run: bool,
}

/// The outcome of an import: stored (every row good), or the row-level problems with nothing stored.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ImportAnswer {
    pub stored: bool,
    /// Rows read from the file.
    pub rows: u32,
    /// Nodes and households stored (0 when nothing was).
    pub nodes: u32,
    pub households: u32,
    /// `utf-8`, `gbk` or `xlsx`: how the file was read.
    pub encoding: String,
    /// One line per problem, each naming its line (as `linkage-server import` reports them).
    pub problems: Vec<String>,
    /// What happened, in Chinese.
    pub message: String,
}

/// The text of an uploaded file: XLSX (its first sheet as CSV), UTF-8 CSV, or GBK CSV. A CSV in neither
/// encoding is refused with how to save it as UTF-8.
pub fn decode_upload(bytes: &[u8]) -> std::result::Result<(String, &'static str), String> {
    if bytes.starts_with(b"PK\x03\x04") {
        return xlsx_to_csv(bytes).map(|t| (t, "xlsx"));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), "utf-8"));
    }
    let (text, _, had_errors) = encoding_rs::GBK.decode(bytes);
    if had_errors {
        return Err(SAVE_AS_UTF8.into());
    }
    Ok((text.into_owned(), "gbk"))
}

/// What a user reads when the file's encoding is not recognized.
pub const SAVE_AS_UTF8: &str = "无法识别文件的文字编码。请在 Excel 中“文件 → 另存为”，保存类型选“CSV UTF-8（逗号分隔）(*.csv)”，\
     或直接上传 .xlsx 文件后重试 / the file is neither UTF-8 nor GBK: save it from Excel as “CSV UTF-8”, or upload the .xlsx";

fn xlsx_to_csv(bytes: &[u8]) -> std::result::Result<String, String> {
    use calamine::{Data, Reader, Xlsx};
    let unreadable = "无法读取这个 Excel 文件，请确认是 .xlsx 格式（不是 .xls）后重试 / not a readable .xlsx workbook";
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).map_err(|_| unreadable.to_string())?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(r)) => r,
        _ => return Err("Excel 文件里没有工作表 / the workbook has no sheet".into()),
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in range.rows() {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Data::Empty => String::new(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                other => other.to_string(),
            })
            .collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        out.write_record(&cells).map_err(|e| e.to_string())?;
    }
    String::from_utf8(out.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}

async fn import(
    State(state): State<AppState>,
    staff: Staff,
    params: std::result::Result<Query<ImportParams>, QueryRejection>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> ApiResult<axum::Json<ImportAnswer>> {
    county_only(&staff)?;
    let Query(params) = params?;
    let body = super::upload_body(&headers, body, MAX_IMPORT_BYTES, "，请分成几个文件导入")?;
    let (text, encoding) = decode_upload(&body).map_err(ApiError::invalid)?;
    let kind = params.kind;
    let dry_run = params.dry_run;
    let storage = state.storage.clone();
    let answer = blocking(move || {
        let mut problems = Vec::new();
        let file = match kind {
            ImportKind::Nodes => "nodes.csv",
            ImportKind::Households => "households.csv",
        };
        let (nodes, households) = match kind {
            ImportKind::Nodes => (crate::import::parse_nodes(&text, file, &mut problems), Vec::new()),
            ImportKind::Households => (Vec::new(), crate::import::parse_households(&text, file, &mut problems)),
        };
        let rows = (nodes.len() + households.len()) as u32;
        let (placed_nodes, placed_households) = crate::import::place_into(storage.as_ref(), nodes, households, &mut problems)?;
        let rows = rows.max(text.lines().count().saturating_sub(1) as u32);
        if !problems.is_empty() {
            let message = format!("导入未完成：发现 {} 处问题，没有保存任何数据。请按行号改正后重新导入。", problems.len());
            return Ok(ImportAnswer { stored: false, rows, nodes: 0, households: 0, encoding: encoding.into(), problems, message });
        }
        let (n, h) = (placed_nodes.len() as u32, placed_households.len() as u32);
        if dry_run {
            let message = format!("检查通过：可导入 {n} 个组织节点、{h} 户，尚未保存。");
            return Ok(ImportAnswer { stored: false, rows, nodes: n, households: h, encoding: encoding.into(), problems, message });
        }
        storage.import_org(&placed_nodes, &placed_households)?;
        let message = format!("导入完成：{n} 个组织节点、{h} 户。");
        Ok(ImportAnswer { stored: true, rows, nodes: n, households: h, encoding: encoding.into(), problems, message })
    })
    .await?;
    if answer.stored {
        let detail = serde_json::json!({ "nodes": answer.nodes, "households": answer.households, "encoding": answer.encoding, "via": "console" });
        record(&state, audit::Event::new(staff.user.id.clone(), Action::Import, "console", staff.address.clone()).with(detail)).await;
    }
    Ok(axum::Json(answer))
}

fn admin_errors() -> Vec<(u16, Vec<ErrorCode>, &'static str)> {
    let mut v = auth_errors();
    v.push((403, vec![ErrorCode::Forbidden], "the signed-in user is not a county administrator (county staff)"));
    v.push(internal());
    v
}

/// The JSON body errors, with `weak_password` beside `invalid_input` under 400.
fn body_errors(when_400: &'static str) -> Vec<(u16, Vec<ErrorCode>, &'static str)> {
    let mut v: Vec<_> = json_body_errors().into_iter().filter(|e| e.0 != 400).collect();
    v.push((400, vec![ErrorCode::InvalidInput, ErrorCode::WeakPassword], when_400));
    v
}

pub(crate) fn openapi_routes(gen: &mut schemars::SchemaGenerator) -> Vec<Route> {
    let bad_id = (400, vec![ErrorCode::InvalidInput], "a malformed id");
    let route = |method, path, id, summary, description, query, body, ok, errors| Route { method, path, id, summary, description, auth: true, query, hash: false, body, ok, errors };
    let user_example = serde_json::json!({ "id": "ts9", "name": "李建国", "role": "township_staff", "node_id": "t1", "password": "Qingshan-2026-chun" });
    let password_example = serde_json::json!({ "password": "Qingshan-2026-chun" });
    vec![
        route("get", USERS, "consoleUsers", "Console: every account with its node and state (county administrators)", "County staff only.", None, Body::None,
            Success::json("accounts", ref_of::<Vec<UserRow>>(gen)), sorted(admin_errors())),
        route("post", USERS, "consoleAddUser", "Console: add an account, or reset an existing one (as `linkage-server user add`)",
            "The password policy applies; the password is an initial one, changed at the first sign-in; the user's devices are signed out. Audited.",
            None, Body::Json(ref_of::<NewUserRequest>(gen), user_example),
            Success::json("done", ref_of::<AdminAnswer>(gen)),
            sorted([body_errors("the body is not valid JSON of the schema, a field breaks its limits, the node is not of the role's level; `weak_password`: the password breaks the policy"), vec![(404, vec![ErrorCode::NotFound], "no such node")], admin_errors()].concat())),
        route("post", USER_PASSWORD, "consoleResetPassword", "Console: reset an account's password to a new initial one",
            "Its devices must sign in again; audited.", None, Body::Json(ref_of::<PasswordRequest>(gen), password_example),
            Success::json("done", ref_of::<AdminAnswer>(gen)),
            sorted([body_errors("a malformed id or body; `weak_password`: the password breaks the policy"), vec![(404, vec![ErrorCode::NotFound], "no such user")], admin_errors()].concat())),
        route("post", USER_DISABLE, "consoleDisableUser", "Console: disable an account (as `linkage-server user disable`)",
            "It cannot sign in; each of its devices is told to wipe its data. Not one's own account. Audited.", None, Body::None,
            Success::json("done", ref_of::<AdminAnswer>(gen)),
            sorted([vec![bad_id.clone(), (404, vec![ErrorCode::NotFound], "no such user"), (409, vec![ErrorCode::InvalidInput], "the caller's own account")], admin_errors()].concat())),
        route("get", DEVICES, "consoleDevices", "Console: every enrolled device (as `linkage-server device list`)", "County staff only.", None, Body::None,
            Success::json("devices", ref_of::<Vec<DeviceInfo>>(gen)), sorted(admin_errors())),
        route("post", DEVICE_REVOKE, "consoleRevokeDevice", "Console: revoke a device (as `linkage-server device revoke`)",
            "Its next request is answered with a wipe order. Not the device in use. Audited.", None, Body::None,
            Success::json("done", ref_of::<AdminAnswer>(gen)),
            sorted([vec![bad_id, (404, vec![ErrorCode::NotFound], "no such device"), (409, vec![ErrorCode::InvalidInput], "the device the caller is using")], admin_errors()].concat())),
        route("post", IMPORT, "consoleImport", "Console: import nodes or households from CSV (UTF-8 or GBK) or XLSX, all or nothing",
            "The rows are checked as `linkage-server import` checks them; any problem is reported by line and nothing is stored. \
             `dry_run` only checks. A CSV in an unknown encoding is refused with how to save it as UTF-8. Audited.",
            Some(<ImportParams as JsonSchema>::json_schema(gen).to_value()), Body::Upload,
            Success::json("the import's outcome and its problems", ref_of::<ImportAnswer>(gen)),
            sorted([vec![(400, vec![ErrorCode::InvalidInput], "an empty file, an unknown encoding, an unreadable workbook, or a malformed query"),
                         (413, vec![ErrorCode::PayloadTooLarge], "over 8 MiB")], admin_errors()].concat())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_csv_is_read_and_unknown_bytes_are_refused_with_how_to_save() {
        let (gbk, _, _) = encoding_rs::GBK.encode("id,name\nh1,王秀英\n");
        let (text, enc) = decode_upload(&gbk).unwrap();
        assert_eq!((text.as_str(), enc), ("id,name\nh1,王秀英\n", "gbk"));
        let (text, enc) = decode_upload("\u{feff}id\n".as_bytes()).unwrap();
        assert_eq!((text.as_str(), enc), ("id\n", "utf-8"));
        let err = decode_upload(&[0x81, 0x20, 0xFF, 0xFE, 0x00]).unwrap_err();
        assert!(err.contains("CSV UTF-8"), "{err}");
    }

    #[test]
    fn xlsx_first_sheet_becomes_csv() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "id").unwrap();
        sheet.write_string(0, 1, "code").unwrap();
        sheet.write_string(1, 0, "c").unwrap();
        sheet.write_number(1, 1, 610631000000.0).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let (text, enc) = decode_upload(&bytes).unwrap();
        assert_eq!((text.as_str(), enc), ("id,code\nc,610631000000\n", "xlsx"));
        assert!(decode_upload(b"PK\x03\x04garbage").is_err());
    }
}
