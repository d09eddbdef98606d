//! The console's sign-in session (登录会话) and [`ConsoleUser`], the extractor every console handler takes.
//!
//! Sign-in checks the password exactly as the phones' sign-in does (`api::authenticate`: the growing delays,
//! the lock-out, disabled accounts, an initial password that must be changed first, every outcome audited),
//! then enrols a console "device" (`console-<random>`) with its own token, valid [`SESSION_TTL_MS`], and keeps
//! that token in an `HttpOnly; SameSite=Strict` cookie — the page's scripts never see it. A request that
//! changes anything with the cookie must also send `X-CSRF-Token`, a value derived from the session's token
//! (also in the readable `linkage_csrf` cookie and the sign-in answer): a token from an earlier session, or
//! none, is refused (ADR 0011). A client with a device token (`Authorization: Bearer`) needs no cookie and no
//! CSRF header. Only county and township staff may use the console (DESIGN §12).

use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use base64::Engine;
use linkage_protocol::model::{OrgLevel, Role};
use linkage_protocol::sync::ErrorCode;
use linkage_protocol::validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::{self, ApiError, ApiResult, AppState, JsonBody, Routes};
use crate::audit::{self, Action};
use crate::auth;
use crate::openapi::{Body, Route, Success};
use crate::storage::{Enrolment, NewEnrolment, NodeInfo, UserInfo};

/// The session cookie (HttpOnly): the console device's token.
pub const SESSION_COOKIE: &str = "linkage_console";
/// The CSRF cookie (readable by the page): the value to send as [`CSRF_HEADER`].
pub const CSRF_COOKIE: &str = "linkage_csrf";
/// The header a cookie-signed request that changes something must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A console session lives one working day.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;
/// Console sessions are enrolled as devices with this id prefix.
pub const DEVICE_PREFIX: &str = "console-";

/// `/v1/console/session`.
pub const SESSION_PATH: &str = "/v1/console/session";

/// The signed-in staff member of a console request: user, node, role and scope (the node's subtree).
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    /// The account (id, name, role, node id and path).
    pub user: UserInfo,
    /// The node the account is bound to: the root of its scope.
    pub node: NodeInfo,
    /// The console session's (or the phone's) device id.
    pub device_id: String,
    /// The client's address (audit).
    pub address: String,
    /// Signed in by the session cookie (`false`: a bearer token).
    pub by_cookie: bool,
    /// The session's CSRF value.
    pub csrf_token: String,
    /// When the session (token) ends.
    pub expires_at_ms: i64,
}

impl ConsoleUser {
    /// The account's role.
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The materialized path of the user's node: everything the user may see lies under it.
    pub fn scope(&self) -> &str {
        &self.user.node_path
    }

    /// Whether a record at `path` lies in the user's scope (`staff::sees`).
    pub fn sees(&self, path: &str) -> bool {
        super::staff::sees(&self.user, path)
    }

    /// The node `node_id` if it lies in the user's scope; otherwise (or if it does not exist, or is malformed)
    /// the one answer `staff::out_of_scope` (404), so ids outside the scope are not confirmed to exist.
    pub async fn node_in_scope(&self, state: &AppState, node_id: &str) -> ApiResult<NodeInfo> {
        use super::staff::{checked, out_of_scope, Record};
        if validate::id("node", node_id).is_err() {
            return Err(out_of_scope(Record::Node));
        }
        let storage = state.storage.clone();
        let id = node_id.to_string();
        let found = api::blocking(move || storage.node(&id)).await?;
        checked(found, Record::Node, |n| self.sees(&n.path))
    }
}

/// The CSRF value of a session token: a digest of the token, so only a page that was given it (the sign-in
/// answer, the readable cookie) can send it, and it changes with every session.
pub fn csrf_for(token: &str) -> String {
    let digest = crate::sqlite::sha256_hex(format!("linkage-console-csrf\0{token}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_bytes()[..32])
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Equal in time independent of where the two differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether a role may use the console.
pub fn staff(role: Role) -> bool {
    matches!(role, Role::CountyStaff | Role::TownshipStaff)
}

fn not_staff() -> ApiError {
    super::forbidden("网页控制台仅供县级、乡镇干部使用，请在手机上使用本应用 / the console is for county and township staff only")
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let (token, by_cookie) = match bearer {
            Some(t) => (t, false),
            None => match cookie(&parts.headers, SESSION_COOKIE) {
                Some(t) => (t, true),
                None => return Err(ApiError::unauthorized("请先登录 / sign in first")),
            },
        };
        let csrf_token = csrf_for(&token);
        if by_cookie && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !same(sent, &csrf_token) {
                return Err(super::forbidden(
                    "页面已过期（安全校验未通过），请刷新页面后再试 / stale or missing CSRF token: reload the page",
                ));
            }
        }
        let storage = state.storage.clone();
        let hash = auth::token_hash(&token);
        let now = api::now_ms();
        let record = api::blocking(move || storage.token(&hash, now))
            .await?
            .filter(|r| !r.revoked)
            .ok_or_else(|| ApiError::unauthorized("登录已失效，请重新登录 / signed out; sign in again"))?;
        if record.expires_at_ms <= now {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::TokenExpired, "登录已过期，请重新登录 / the session expired; sign in again"));
        }
        if let Err(ms) = state.work.take(&state.config.limits, &record.device_id, 1, 0, now) {
            return Err(ApiError::rate_limited("请求过于频繁，请稍后再试 / too many requests", ms));
        }
        if !staff(record.user.role) {
            return Err(not_staff());
        }
        let storage = state.storage.clone();
        let node_id = record.user.node_id.clone();
        let node = api::blocking(move || storage.node(&node_id))
            .await?
            .ok_or_else(|| ApiError::unauthorized("账号所属单位已不存在，请联系管理员 / the account's unit no longer exists"))?;
        let address = crate::transport::client_addr(parts, state.config.trust_forwarded_for).map(|a| a.to_string()).unwrap_or_default();
        Ok(ConsoleUser {
            user: record.user,
            node,
            device_id: record.device_id,
            address,
            by_cookie,
            csrf_token,
            expires_at_ms: record.expires_at_ms,
        })
    }
}

/// `POST /v1/console/session`: sign in to the console.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct ConsoleSignIn {
    /// The account's id (e.g. `cs1`); an unknown one is answered like a wrong password.
    #[schemars(length(min = 1, max = 64))]
    pub user_id: String,
    #[schemars(length(max = 1024))]
    pub password: String,
}

/// An org node as the console shows it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ConsoleNode {
    pub id: String,
    pub name: String,
    pub level: OrgLevel,
    /// 县 / 乡镇 / 村 / 组.
    pub level_label: String,
}

impl From<&NodeInfo> for ConsoleNode {
    fn from(n: &NodeInfo) -> ConsoleNode {
        ConsoleNode { id: n.id.clone(), name: n.name.clone(), level: n.level, level_label: level_label(n.level).into() }
    }
}

/// The zh-CN name of a level.
pub fn level_label(level: OrgLevel) -> &'static str {
    match level {
        OrgLevel::County => "县",
        OrgLevel::Township => "乡镇",
        OrgLevel::Branch => "村",
        OrgLevel::Group => "组",
        OrgLevel::Household => "户",
    }
}

/// The zh-CN name of a role.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::CountyStaff => "县级干部",
        Role::TownshipStaff => "乡镇干部",
        Role::GridWorker => "网格员",
        Role::LiaisonHead => "联户长",
        Role::BranchSecretary => "支部书记",
    }
}

/// Who is signed in, and the session's CSRF value.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ConsoleSession {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    /// 县级干部 / 乡镇干部.
    pub role_label: String,
    /// The user's node: the root of what the console shows.
    pub node: ConsoleNode,
    /// Send as `X-CSRF-Token` with every request that changes something (cookie sessions).
    pub csrf_token: String,
    /// When the session ends (ms since the epoch).
    pub expires_at_ms: i64,
    /// The map's optional tile layer (`{z}/{x}/{y}`), from the server's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_url: Option<String>,
}

fn session_of(state: &AppState, user: &UserInfo, node: &NodeInfo, csrf_token: String, expires_at_ms: i64) -> ConsoleSession {
    ConsoleSession {
        user_id: user.id.clone(),
        name: user.name.clone(),
        role: user.role,
        role_label: role_label(user.role).into(),
        node: node.into(),
        csrf_token,
        expires_at_ms,
        tile_url: state.config.console.tile_url.clone(),
    }
}

fn set_cookies(resp: &mut Response, token: &str, csrf: &str, max_age_s: i64) {
    for c in [
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}"),
        format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Strict; Max-Age={max_age_s}"),
    ] {
        resp.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&c).expect("ascii cookie"));
    }
}

async fn sign_in(
    State(state): State<AppState>,
    api::ClientAddr(addr): api::ClientAddr,
    JsonBody(req): JsonBody<ConsoleSignIn>,
) -> ApiResult<Response> {
    let account = api::authenticate(&state, addr, &req.user_id, &req.password).await?;
    let address = api::addr_text(addr);
    if !staff(account.user.role) {
        api::record(&state, audit::Event::new(account.user.id.clone(), Action::SignInFailed, "console", address)
            .with(serde_json::json!({ "reason": "console_not_staff" }))).await;
        return Err(not_staff());
    }
    if account.must_change_password {
        api::record(&state, audit::Event::new(account.user.id.clone(), Action::SignInFailed, "console", address)
            .with(serde_json::json!({ "reason": "password_change_required" }))).await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::PasswordChangeRequired,
            "这是初始密码，请先在手机上登录并修改密码，或请管理员重置 / change the initial password first (on the phone)",
        ));
    }
    let token = auth::new_token()?;
    let now = api::now_ms();
    let expires_at_ms = now + SESSION_TTL_MS;
    let mut rnd = [0u8; 12];
    getrandom::fill(&mut rnd).map_err(|e| crate::Error::Hash(e.to_string()))?;
    let device_id = format!("{DEVICE_PREFIX}{}", rnd.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let enrolment = NewEnrolment {
        device_id: device_id.clone(),
        device_name: "网页控制台".into(),
        secret_hash: None,
        user_id: account.user.id.clone(),
        token_hash: auth::token_hash(&token),
        expires_at_ms,
        now_ms: now,
    };
    let storage = state.storage.clone();
    let node_id = account.user.node_id.clone();
    let (outcome, node) = api::blocking(move || Ok((storage.enroll_device(&enrolment)?, storage.node(&node_id)?))).await?;
    let node = node.ok_or_else(|| ApiError::unauthorized("账号所属单位已不存在，请联系管理员 / the account's unit no longer exists"))?;
    if outcome != Enrolment::Enrolled {
        return Err(ApiError::from(crate::Error::Corrupt("a fresh console device id was refused".into())));
    }
    api::record(&state, audit::Event::new(account.user.id.clone(), Action::SignIn, device_id, address).with(serde_json::json!({ "console": true }))).await;
    let csrf = csrf_for(&token);
    let body = session_of(&state, &account.user, &node, csrf.clone(), expires_at_ms);
    let mut resp = axum::Json(body).into_response();
    set_cookies(&mut resp, &token, &csrf, SESSION_TTL_MS / 1000);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

async fn current(State(state): State<AppState>, who: ConsoleUser) -> ApiResult<axum::Json<ConsoleSession>> {
    Ok(axum::Json(session_of(&state, &who.user, &who.node, who.csrf_token.clone(), who.expires_at_ms)))
}

/// Ends a console session (its device is revoked: the token stops working). A phone's device token is not
/// ended here (the phone signs out itself).
async fn sign_out(State(state): State<AppState>, who: ConsoleUser) -> ApiResult<Response> {
    if !who.device_id.starts_with(DEVICE_PREFIX) {
        return Err(super::forbidden("这是手机上的登录，请在手机上退出 / a phone's sign-in ends on the phone"));
    }
    let storage = state.storage.clone();
    let device = who.device_id.clone();
    api::blocking(move || storage.revoke_device(&device)).await?;
    api::record(&state, audit::Event::new(who.user.id.clone(), Action::TokensRevoked, who.device_id.clone(), who.address.clone())
        .with(serde_json::json!({ "console_sign_out": true }))).await;
    let mut resp = axum::Json(SignedOut { signed_out: true }).into_response();
    set_cookies(&mut resp, "", "", 0);
    Ok(resp)
}

/// The answer to a sign-out.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SignedOut {
    pub signed_out: bool,
}

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(MethodFilter::POST, SESSION_PATH, sign_in)
        .add(MethodFilter::GET, SESSION_PATH, current)
        .add(MethodFilter::DELETE, SESSION_PATH, sign_out)
}

/// The errors of every console route that needs a session: 401 (none, ended, expired), 403 (not staff, stale
/// CSRF, out of scope), 429.
pub(crate) fn console_errors() -> Vec<(u16, Vec<ErrorCode>, &'static str)> {
    use ErrorCode::*;
    vec![
        (401, vec![Unauthorized, TokenExpired], "not signed in (no session cookie or bearer token), signed out, or the session expired"),
        (403, vec![Forbidden], "not county or township staff; a cookie session changing something without the current `X-CSRF-Token`"),
        (429, vec![RateLimited], "the session's work cap is used up; wait `Retry-After` seconds"),
        (500, vec![Internal], "the server failed; retry later"),
    ]
}

pub(crate) fn docs(gen: &mut schemars::SchemaGenerator) -> Vec<Route> {
    use ErrorCode::*;
    let example = serde_json::json!({ "user_id": "ts1", "password": "linkage2026" });
    vec![
        Route {
            method: "post",
            path: SESSION_PATH,
            id: "consoleSignIn",
            summary: "Sign in to the web console (county and township staff); sets the session cookies",
            description: "Checks the password as `POST /v1/auth/sign-in` does (same delays, lock-out and audit). Sets \
                          `linkage_console` (HttpOnly, SameSite=Strict: the session, 12 hours) and `linkage_csrf` \
                          (readable): send its value as `X-CSRF-Token` with every request that changes something. \
                          Other roles are refused (403 `forbidden`); an initial password answers `password_change_required`.",
            auth: false,
            query: None,
            hash: false,
            body: Body::Json(gen.subschema_for::<ConsoleSignIn>().to_value(), example),
            ok: Success::json("signed in", gen.subschema_for::<ConsoleSession>().to_value()),
            errors: vec![
                (400, vec![InvalidInput], "the body is not valid JSON of the schema"),
                (401, vec![Unauthorized], "wrong or unknown user id or password (one answer for both)"),
                (403, vec![AccountLocked, PasswordChangeRequired, Forbidden], "locked or disabled; an initial password; or not county or township staff"),
                (413, vec![PayloadTooLarge], "the body is over 16 MiB"),
                (415, vec![InvalidInput], "the request does not say `Content-Type: application/json`"),
                (429, vec![RateLimited], "too many failed sign-ins for this account or address: wait `Retry-After` seconds"),
                (500, vec![Internal], "the server failed; retry later"),
                (503, vec![Busy], "too many password checks at once; retry shortly"),
            ],
        },
        Route {
            method: "get",
            path: SESSION_PATH,
            id: "consoleSession",
            summary: "Who is signed in to the console, with the session's CSRF value",
            description: "By the session cookie or a bearer token (county and township staff).",
            auth: true,
            query: None,
            hash: false,
            body: Body::None,
            ok: Success::json("the signed-in staff member", gen.subschema_for::<ConsoleSession>().to_value()),
            errors: console_errors(),
        },
        Route {
            method: "delete",
            path: SESSION_PATH,
            id: "consoleSignOut",
            summary: "Sign out of the console (the session's token stops working; cookies cleared)",
            description: "Needs `X-CSRF-Token` with the cookie. A phone's bearer token is not ended here (403).",
            auth: true,
            query: None,
            hash: false,
            body: Body::None,
            ok: Success::json("signed out", gen.subschema_for::<SignedOut>().to_value()),
            errors: console_errors(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_and_cookies() {
        let (a, b) = (csrf_for("token-a"), csrf_for("token-b"));
        assert_ne!(a, b);
        assert_eq!(a, csrf_for("token-a"));
        assert_eq!(a.len(), 43);
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("x=1; linkage_console=abc ; linkage_csrf=def"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, CSRF_COOKIE).as_deref(), Some("def"));
        assert_eq!(cookie(&h, "linkage"), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        assert!(staff(Role::CountyStaff) && staff(Role::TownshipStaff) && !staff(Role::GridWorker) && !staff(Role::LiaisonHead));
    }
}
