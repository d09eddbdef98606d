//! The sync API's request and response bodies (DESIGN §8): sign-in, push a batch of operations with a per-op
//! outcome, pull the scoped change feed after a cursor, blob negotiation, and the error body (including the
//! wipe instruction for a revoked device). Versioned under `/v1`; snapshot-tested like the operations.

use serde::{Deserialize, Serialize};

use crate::model::{OrgLevel, Role};
use crate::wire::Operation;

/// Paths of the v1 API, shared so client and server cannot drift.
pub mod paths {
    pub const SIGN_IN: &str = "/v1/auth/sign-in";
    pub const REFRESH: &str = "/v1/auth/refresh";
    /// Change the password (an initial one must be changed before the first sign-in succeeds).
    pub const CHANGE_PASSWORD: &str = "/v1/auth/password";
    pub const PUSH: &str = "/v1/ops";
    pub const PULL: &str = "/v1/changes";
    pub const BUNDLE: &str = "/v1/bundle";
    pub const BLOBS_MISSING: &str = "/v1/blobs/missing";
    /// `PUT` (upload, `?offset=` to resume), `GET` (download), `HEAD` (bytes received so far).
    pub const BLOB: &str = "/v1/blobs/{hash}";
    pub const OPENAPI: &str = "/openapi.json";
}

/// `POST /v1/auth/sign-in`: a user signs in on a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SignInRequest {
    /// The account's id (e.g. `gw1-1`); an unknown or malformed one is answered like a wrong password.
    pub user_id: String,
    pub password: String,
    /// Stable id of the installation (the core's device id): 1–64 of `[A-Za-z0-9_-]`.
    #[cfg_attr(feature = "openapi", schemars(length(min = 1, max = 64), regex(pattern = ID_PATTERN)))]
    pub device_id: String,
    /// A name for the device shown to administrators: at most 64 characters, no control characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schemars(length(max = 64), regex(pattern = NO_CONTROL_PATTERN)))]
    pub device_name: String,
    /// The installation's secret (random, made by the phone at its first enrolment, never shown): a device id
    /// enrolled with a secret answers only to that secret, so knowing a device id does not let anyone take the
    /// device over. Empty: an older phone without one (it may enrol a new id, or re-enrol its own).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "openapi", schemars(length(max = 128)))]
    pub device_secret: String,
}

/// `POST /v1/auth/password`: the user changes the password (required after an initial or reset password) and
/// signs in on the device with the new one. Every other token of the user stops working.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ChangePasswordRequest {
    pub user_id: String,
    /// The current password.
    pub password: String,
    /// The new password: the county's password policy (`rules::password`): 10–128 characters, at least
    /// two kinds of letters/digits/symbols, not the user id, not a well-known password, not the old one.
    pub new_password: String,
    #[cfg_attr(feature = "openapi", schemars(length(min = 1, max = 64), regex(pattern = ID_PATTERN)))]
    pub device_id: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schemars(length(max = 64), regex(pattern = NO_CONTROL_PATTERN)))]
    pub device_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "openapi", schemars(length(max = 128)))]
    pub device_secret: String,
}

/// The shape of an id on the wire (`validate::id`): 1–64 of `[A-Za-z0-9_-]` (length declared beside it).
pub const ID_PATTERN: &str = "^[A-Za-z0-9_-]+$";
/// The shape of an evidence hash on the wire (`validate::evidence`): lowercase hex SHA-256.
pub const HASH_PATTERN: &str = "^[0-9a-f]{64}$";
/// Text without control characters (Unicode Cc, what `char::is_control` refuses).
pub const NO_CONTROL_PATTERN: &str = r"^[^\u0000-\u001F\u007F-\u009F]*$";

/// A device token and who it acts for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SignInResponse {
    /// Random 256-bit token, base64url; send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at_ms: i64,
    pub user_id: String,
    pub user_name: String,
    pub role: Role,
    pub node_id: String,
    pub node_level: OrgLevel,
    pub server_time_ms: i64,
}

/// `POST /v1/ops`: a batch of outbox operations, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PushRequest {
    /// At most 1000 operations. Each is judged on its own (content limits, scope, lifecycle, actor): a refused
    /// one is answered in `results` as `rejected` with a [`RejectCode`], never by failing the request.
    #[cfg_attr(feature = "openapi", schemars(length(max = 1000)))]
    pub ops: Vec<Operation>,
}

/// What the server did with one pushed operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OpOutcome {
    /// Stored now.
    Applied,
    /// The same op id with the same body was stored before: success, nothing new.
    Duplicate,
    /// Refused; the phone quarantines it with this reason and goes on with the rest.
    Rejected { code: RejectCode, message: String },
}

/// Why an operation was refused. Stable codes the phone can show and count. Whatever the code, the client
/// quarantines the op with its reason (shown to the user), never resends it unchanged, and goes on with the
/// rest of its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// 操作冲突 — the same op id was stored before with a different body (ODK Central's 409). Client: quarantine; a bug or a reused id, report it.
    Conflict,
    /// 超出管辖范围 — the record lies outside the user's scope. Client: quarantine and show it; the record cannot be sent by this user.
    OutOfScope,
    /// 状态不允许 — not legal from the entity's state on the server (someone acted first). Client: quarantine, pull, and let the user act again on the fresh state.
    IllegalTransition,
    /// 无权操作 — the role may not do this. Client: quarantine and show it.
    NotPermitted,
    /// 输入有误 — a field breaks a content rule (length, time, photo list, ...). Client: quarantine and show the message naming the field.
    InvalidInput,
    /// 引用不存在 — a referenced household, node, issue or directive does not exist on the server. Client: quarantine; pull the bundle and changes, the reference may arrive later.
    UnknownReference,
    /// 操作人不符 — the operation claims another actor than the token's user. Client: quarantine; the op was made under another account.
    ActorMismatch,
    /// 时间不合理 — a claimed time lies before what it follows (an accept before its report, a 签收 before its directive) or after the server received it, beyond the allowed clock skew (10 min). Client: quarantine; check the phone's clock.
    ImpossibleTime,
}

impl RejectCode {
    /// Every code, for table tests (the phone shows each one in plain words).
    pub const ALL: [RejectCode; 8] = [
        RejectCode::Conflict,
        RejectCode::OutOfScope,
        RejectCode::IllegalTransition,
        RejectCode::NotPermitted,
        RejectCode::InvalidInput,
        RejectCode::UnknownReference,
        RejectCode::ActorMismatch,
        RejectCode::ImpossibleTime,
    ];
}

/// Per-op results, in request order, and the server's clock for offset estimation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PushResponse {
    pub results: Vec<OpResult>,
    pub server_time_ms: i64,
}

/// The outcome of one op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OpResult {
    pub op_id: String,
    #[serde(flatten)]
    pub outcome: OpOutcome,
}

/// `GET /v1/changes?after=<cursor>&limit=<n>`: the caller's scoped change feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Pass as `after` next time (the last sequence number returned, or the same cursor if none).
    pub next_cursor: i64,
    pub has_more: bool,
    pub server_time_ms: i64,
}

/// One accepted operation in the feed, with the server's sequence and receipt time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Change {
    pub seq: i64,
    pub received_at_ms: i64,
    pub op: Operation,
}

/// `POST /v1/blobs/missing`: which of these evidence hashes does the server lack?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BlobsMissingRequest {
    /// Lowercase hex SHA-256 names of evidence photos, at most 1000.
    #[cfg_attr(feature = "openapi", schemars(length(max = 1000), inner(regex(pattern = HASH_PATTERN))))]
    pub hashes: Vec<String>,
}

/// The hashes the server lacks (upload them), with bytes already received for resumable uploads. Only hashes
/// that the caller's own applied records cite are answered about; the others are listed in `refused` whether or
/// not the server holds them (the answer is no existence oracle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BlobsMissingResponse {
    pub missing: Vec<MissingBlob>,
    /// Hashes no applied record of the caller cites (e.g. the photo of a quarantined op): an upload of them is
    /// refused (404). Client: keep the photo, do not upload it now; ask again after the record is applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schemars(inner(regex(pattern = HASH_PATTERN))))]
    pub refused: Vec<String>,
}

/// A blob to upload and where to resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MissingBlob {
    #[cfg_attr(feature = "openapi", schemars(regex(pattern = HASH_PATTERN)))]
    pub hash: String,
    pub received_bytes: u64,
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    /// Stable machine code, one of [`ErrorCode`] (kept a string on the wire so an older phone still reads an
    /// error whose code it does not know).
    #[cfg_attr(feature = "openapi", schemars(with = "ErrorCode"))]
    pub code: String,
    /// What went wrong, in plain words (zh-CN first where a person may read it).
    pub message: String,
    /// The device must delete its local data and evidence now (revoked device).
    #[serde(default)]
    pub wipe: bool,
}

/// The stable code of an error answer (`ErrorBody.code`), with what a client does about it. The server answers
/// only these codes (its `ApiError` takes this type); `docs/api.md` is generated from the OpenAPI document
/// that lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 未登录或账号密码错误 — no token, an unknown or replaced token, or a wrong user id or password (status 401). Client: ask the user to sign in again; keep local data and the outbox.
    Unauthorized,
    /// 登录已过期 — the device token expired (status 401). Client: sign in again (or refresh before expiry); keep local data and the outbox.
    TokenExpired,
    /// 设备已停用 — an administrator revoked this device (status 401, `wipe: true`). Client: delete local data and evidence now, then show the sign-in screen.
    DeviceRevoked,
    /// 无权访问 — the node or blob lies outside the caller's scope (status 403). Client: do not retry; show that it is outside the user's area.
    Forbidden,
    /// 不存在 — no such endpoint or node, a blob not uploaded yet or outside the caller's scope, or an upload of a blob no applied record of the caller cites (status 404; one answer for missing and not yours). Client: do not retry unchanged; a photo may be fetched again later, or uploaded once its record is applied.
    NotFound,
    /// 请求有误 — a malformed request: bad JSON or query, Content-Type not JSON (415), a field outside its declared limits (400), an upload offset past the bytes received (409: resume at `received_bytes`), or bytes that do not hash to the blob's name (422: upload again from 0). Client: fix the request; never resend it unchanged.
    InvalidInput,
    /// 内容过大 — a request body over 16 MiB or a blob over 10 MiB (status 413). Client: send less per request (a smaller batch, a smaller photo).
    PayloadTooLarge,
    /// 服务器繁忙 — too many phones are waiting on a long-polling pull (status 503). Client: retry shortly with backoff (or pull without `wait`).
    Busy,
    /// 尝试过于频繁 — too many failed sign-ins for this account or address (status 429, wait `Retry-After` seconds; growing delays), or this device's work cap (operations or requests per minute) is used up, or it holds too many unfinished photo uploads. Client: wait the seconds said, then retry; keep local data and the outbox.
    RateLimited,
    /// 账号已锁定 — too many failed sign-ins locked the account, or an administrator disabled it (status 403). Client: tell the user to ask the administrator to unlock it; do not retry.
    AccountLocked,
    /// 需要修改初始密码 — the password was right but is an initial or reset one (status 403; no token issued). Client: ask for a new password and call `POST /v1/auth/password`.
    PasswordChangeRequired,
    /// 密码不符合要求 — the new password breaks the password policy (status 400; the message says which part). Client: ask for another one.
    WeakPassword,
    /// 设备标识已被占用 — the device id is enrolled with another device secret (status 409, only after a right password). Client: do not retry with this id; the phone makes a new installation identity.
    DeviceTaken,
    /// 服务器内部错误 — the server failed (status 500). Client: retry later with backoff; the request may be repeated safely (pushes are idempotent).
    Internal,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::Unauthorized,
        ErrorCode::TokenExpired,
        ErrorCode::DeviceRevoked,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::InvalidInput,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Busy,
        ErrorCode::RateLimited,
        ErrorCode::AccountLocked,
        ErrorCode::PasswordChangeRequired,
        ErrorCode::WeakPassword,
        ErrorCode::DeviceTaken,
        ErrorCode::Internal,
    ];

    /// The wire name (the serde name), e.g. `device_revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::DeviceRevoked => "device_revoked",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Busy => "busy",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::AccountLocked => "account_locked",
            ErrorCode::PasswordChangeRequired => "password_change_required",
            ErrorCode::WeakPassword => "weak_password",
            ErrorCode::DeviceTaken => "device_taken",
            ErrorCode::Internal => "internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_response_snapshot() {
        let r = PushResponse {
            results: vec![
                OpResult { op_id: "a".into(), outcome: OpOutcome::Applied },
                OpResult { op_id: "b".into(), outcome: OpOutcome::Duplicate },
                OpResult {
                    op_id: "c".into(),
                    outcome: OpOutcome::Rejected { code: RejectCode::IllegalTransition, message: "cannot Accept a Closed issue".into() },
                },
            ],
            server_time_ms: 7,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"results":[{"op_id":"a","outcome":"applied"},{"op_id":"b","outcome":"duplicate"},{"op_id":"c","outcome":"rejected","code":"illegal_transition","message":"cannot Accept a Closed issue"}],"server_time_ms":7}"#
        );
        assert_eq!(serde_json::from_str::<PushResponse>(&json).unwrap(), r);
    }

    #[test]
    fn error_body_snapshot() {
        let e = ErrorBody { code: "device_revoked".into(), message: "this device was revoked".into(), wipe: true };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"code":"device_revoked","message":"this device was revoked","wipe":true}"#
        );
        let minimal: ErrorBody = serde_json::from_str(r#"{"code":"forbidden","message":"x"}"#).unwrap();
        assert!(!minimal.wipe);
    }

    #[test]
    fn error_code_names_are_the_serde_names() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    #[test]
    fn reject_code_all_lists_every_code() {
        // Exhaustive: a new code fails to compile here until it is listed in ALL (and gets its words).
        fn listed(c: RejectCode) -> bool {
            match c {
                RejectCode::Conflict
                | RejectCode::OutOfScope
                | RejectCode::IllegalTransition
                | RejectCode::NotPermitted
                | RejectCode::InvalidInput
                | RejectCode::UnknownReference
                | RejectCode::ActorMismatch
                | RejectCode::ImpossibleTime => RejectCode::ALL.contains(&c),
            }
        }
        assert!(RejectCode::ALL.into_iter().all(listed));
    }
}
