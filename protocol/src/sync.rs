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
pub struct SignInRequest {
    pub user_id: String,
    pub password: String,
    /// Stable id of the installation (the core's device id).
    pub device_id: String,
    #[serde(default)]
    pub device_name: String,
}

/// A device token and who it acts for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct PushRequest {
    pub ops: Vec<Operation>,
}

/// What the server did with one pushed operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OpOutcome {
    /// Stored now.
    Applied,
    /// The same op id with the same body was stored before: success, nothing new.
    Duplicate,
    /// Refused; the phone quarantines it with this reason and goes on with the rest.
    Rejected { code: RejectCode, message: String },
}

/// Why an operation was refused. Stable codes the phone can show and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// Same op id, different body (ODK Central's 409).
    Conflict,
    /// Outside the user's scope.
    OutOfScope,
    /// Not legal from the entity's state on the server.
    IllegalTransition,
    /// The role may not do this.
    NotPermitted,
    /// A field is invalid.
    InvalidInput,
    /// A referenced entity does not exist on the server.
    UnknownReference,
    /// The operation claims another actor than the token's user.
    ActorMismatch,
}

/// Per-op results, in request order, and the server's clock for offset estimation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<OpResult>,
    pub server_time_ms: i64,
}

/// The outcome of one op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpResult {
    pub op_id: String,
    #[serde(flatten)]
    pub outcome: OpOutcome,
}

/// `GET /v1/changes?after=<cursor>&limit=<n>`: the caller's scoped change feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Pass as `after` next time (the last sequence number returned, or the same cursor if none).
    pub next_cursor: i64,
    pub has_more: bool,
    pub server_time_ms: i64,
}

/// One accepted operation in the feed, with the server's sequence and receipt time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub received_at_ms: i64,
    pub op: Operation,
}

/// `POST /v1/blobs/missing`: which of these evidence hashes does the server lack?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlobsMissingRequest {
    pub hashes: Vec<String>,
}

/// The hashes the server lacks (upload them), with bytes already received for resumable uploads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlobsMissingResponse {
    pub missing: Vec<MissingBlob>,
}

/// A blob to upload and where to resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingBlob {
    pub hash: String,
    pub received_bytes: u64,
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine code: `unauthorized`, `token_expired`, `device_revoked`, `forbidden`, `not_found`,
    /// `invalid_input`, `payload_too_large`, `internal`.
    pub code: String,
    pub message: String,
    /// The device must delete its local data and evidence now (revoked device).
    #[serde(default)]
    pub wipe: bool,
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
}
