//! The OpenAPI 3.1 document of the sync API, served at `/openapi.json` — generated, not written beside the
//! code, so it cannot drift from what the server does:
//! - every request and response schema is the JSON Schema of the very type the handler decodes or encodes
//!   (`linkage_protocol`'s `openapi` feature derives it with schemars, constraints included: patterns,
//!   lengths, ranges, required fields, enums with their zh-CN/English meanings from the doc comments);
//! - query parameters come from the handlers' query structs (`api::PullParams`, ...);
//! - each route's statuses name the `ErrorCode`s the handler answers with;
//! - a test checks the routes described here are exactly those the router registers
//!   (`api::registered_routes`).
//!
//! `docs/api.md` (error and reject codes with the client's action, routes and statuses) and the TypeScript
//! client's copy `clients/ts/openapi.json` are rendered from this document and checked by tests.

use linkage_protocol::model::{GpsFix, OnSiteVerdict, OrgLevel, VisitKind};
use linkage_protocol::sync::{
    paths, BlobsMissingRequest, BlobsMissingResponse, ChangePasswordRequest, ErrorBody, ErrorCode, OpOutcome, OpResult,
    PullResponse, PushRequest, PushResponse, RejectCode, SignInRequest, SignInResponse, HASH_PATTERN,
};
use linkage_protocol::wire::{Bundle, OpBody, Operation, Visit};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::api::{BundleParams, PullParams, UploadParams, UploadStatus, MAX_BLOB_BYTES, MAX_JSON_BYTES};

/// What a route takes as its request body.
pub(crate) enum Body {
    None,
    /// A JSON body of this schema (a `$ref`), with an example.
    Json(Value, Value),
    /// Raw bytes (a blob part).
    Bytes,
    /// A JPEG photo (the console's upload).
    Jpeg,
    /// A CSV or XLSX file (the console's import).
    Upload,
}

/// What a route answers on success.
pub(crate) enum Success {
    /// 200 with a JSON body of this schema (a `$ref`), and an example.
    Json(&'static str, Value, Option<Value>),
    /// 200 with the photo's bytes.
    Jpeg,
    /// 200 with no body; the state is in headers.
    UploadHeaders,
    /// 200 with this document.
    Document,
    /// 200 with an XLSX workbook (an export).
    Xlsx,
}

impl Success {
    pub(crate) fn json(what: &'static str, schema: Value) -> Success {
        Success::Json(what, schema, None)
    }

    pub(crate) fn with_example(self, example: Value) -> Success {
        match self {
            Success::Json(what, schema, _) => Success::Json(what, schema, Some(example)),
            other => other,
        }
    }
}

/// One documented route. Path parameters other than `{hash}` (`{id}`, ...) are described from the path itself
/// as ids (`ID_PATTERN`).
pub(crate) struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub id: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    /// Needs a device token.
    pub auth: bool,
    /// Query parameters: the inline schema of the handler's query struct.
    pub query: Option<Value>,
    /// The `{hash}` path parameter.
    pub hash: bool,
    pub body: Body,
    pub ok: Success,
    /// Error statuses, each with the codes it carries and when.
    pub errors: Vec<(u16, Vec<ErrorCode>, &'static str)>,
}

use ErrorCode::*;

pub(crate) fn auth_errors() -> Vec<(u16, Vec<ErrorCode>, &'static str)> {
    vec![
        (
            401,
            vec![Unauthorized, TokenExpired, DeviceRevoked],
            "no valid token: `unauthorized` (missing, unknown, replaced, or ended by a password change), `token_expired`, \
             or `device_revoked` with `wipe: true`",
        ),
        (429, vec![RateLimited], "this device's work cap (requests or operations per minute) is used up; wait `Retry-After` seconds"),
    ]
}

/// The answers of the sign-in protections (sign-in and password change).
fn sign_in_errors() -> Vec<(u16, Vec<ErrorCode>, &'static str)> {
    vec![
        (401, vec![Unauthorized, DeviceRevoked], "wrong or unknown user id or password (one answer for both); after a right password, a revoked device (`wipe: true`)"),
        (403, vec![AccountLocked, PasswordChangeRequired], "`account_locked`: locked after repeated failures (unlock: `linkage-server user unlock`) or disabled; `password_change_required` (sign-in only): right password, but an initial one: change it first"),
        (409, vec![DeviceTaken], "after a right password: the device id is enrolled with another device secret"),
        (429, vec![RateLimited], "too many failed sign-ins for this account or address: wait `Retry-After` seconds (the delay grows)"),
        (503, vec![Busy], "too many password checks at once; retry shortly"),
    ]
}

pub(crate) fn json_body_errors() -> Vec<(u16, Vec<ErrorCode>, &'static str)> {
    vec![
        (400, vec![InvalidInput], "the body is not valid JSON of the schema, or a field breaks its declared limits"),
        (413, vec![PayloadTooLarge], "the body is over 16 MiB (after decompression)"),
        (415, vec![InvalidInput], "the request does not say `Content-Type: application/json`"),
    ]
}

pub(crate) fn internal() -> (u16, Vec<ErrorCode>, &'static str) {
    (500, vec![Internal], "the server failed; retry later")
}

fn hlc(ms: i64) -> String {
    format!("{ms:015}-000000-phone1")
}

fn push_example() -> Value {
    let at = 1_767_225_600_000_i64;
    let visit = Visit {
        id: "0194f3a2-7c1e-7b3a-9f10-1234567890ab".into(),
        household_id: "h1-1-1-1".into(),
        visitor_id: "gw1-1".into(),
        visitor_level: OrgLevel::Branch,
        kind: VisitKind::Routine,
        started_at_ms: at,
        ended_at_ms: at + 15 * 60_000,
        fix: Some(GpsFix { lat: 34.2583, lon: 108.9286, accuracy_m: 8.0, fix_time_ms: at + 60_000, mocked: false }),
        distance_m: Some(12.0),
        verdict: OnSiteVerdict::OnSite,
        notes: "家中安好，老人身体健康".into(),
        evidence: vec![],
        issue_id: None,
        amends_visit_id: None,
    };
    let op = Operation { op_id: "0194f3a2-7c1e-7b3a-9f10-1234567890ac".into(), hlc: hlc(at), body: OpBody::VisitRecorded(visit) };
    serde_json::to_value(PushRequest { ops: vec![op] }).expect("serializable")
}

fn push_answer_example() -> Value {
    let results = vec![
        OpResult { op_id: "0194f3a2-7c1e-7b3a-9f10-1234567890ac".into(), outcome: OpOutcome::Applied },
        OpResult {
            op_id: "0194f3a2-7c1e-7b3a-9f10-1234567890ad".into(),
            outcome: OpOutcome::Rejected { code: RejectCode::IllegalTransition, message: "cannot Accept a Closed issue".into() },
        },
    ];
    serde_json::to_value(PushResponse { results, server_time_ms: 1_767_225_660_000 }).expect("serializable")
}

fn routes(gen: &mut SchemaGenerator) -> Vec<Route> {
    let json = |schema: Value, example: Value| Body::Json(schema, example);
    let sign_in_example = serde_json::to_value(SignInRequest {
        user_id: "gw1-1".into(),
        password: "linkage2026".into(),
        device_id: "phone-0194f3a2".into(),
        device_name: "网格员的手机".into(),
        device_secret: "Jq3lY0kq8m9e2Wc1sVZb5rN7tUxH4aPd6fGiLoKjMnE".into(),
    })
    .expect("serializable");
    let change_example = serde_json::to_value(ChangePasswordRequest {
        user_id: "gw1-1".into(),
        password: "initial-Pass-1".into(),
        new_password: "青山绿水-2026年春".into(),
        device_id: "phone-0194f3a2".into(),
        device_name: "网格员的手机".into(),
        device_secret: "Jq3lY0kq8m9e2Wc1sVZb5rN7tUxH4aPd6fGiLoKjMnE".into(),
    })
    .expect("serializable");
    let missing_example =
        serde_json::to_value(BlobsMissingRequest { hashes: vec!["9f".repeat(32)] }).expect("serializable");
    let errs = |mut v: Vec<(u16, Vec<ErrorCode>, &'static str)>, auth: bool| {
        if auth {
            v.extend(auth_errors());
        }
        v.push(internal());
        v.sort_by_key(|e| e.0);
        v
    };
    vec![
        Route {
            method: "post",
            path: paths::SIGN_IN,
            id: "signIn",
            summary: "Sign in a user on a device; returns a 30-day device token",
            description: "Enrols the device for the user, bound to its device secret. A wrong or unknown user id or \
                          password is `unauthorized` (the same answer, after the same work). Failed sign-ins slow down \
                          per account and per address (429 with `Retry-After`, growing) and lock the account after 10 \
                          in a row. Only after a right password: a revoked device is `device_revoked` with `wipe: true`, \
                          a device id bound to another secret is `device_taken`, and an initial password answers \
                          `password_change_required` (no token; use `POST /v1/auth/password`).",
            auth: false,
            query: None,
            hash: false,
            body: json(ref_of::<SignInRequest>(gen), sign_in_example),
            ok: Success::json("token issued", ref_of::<SignInResponse>(gen)),
            errors: errs([json_body_errors(), sign_in_errors()].concat(), false),
        },
        Route {
            method: "post",
            path: paths::CHANGE_PASSWORD,
            id: "changePassword",
            summary: "Change the password (required for an initial one) and sign in on this device",
            description: "The current password is checked as at sign-in (same delays and lock-out); the new one must \
                          meet the password policy (`weak_password` names what is missing). Every other token of the \
                          user stops working (`unauthorized`: sign in again; no wipe). Answers a token for this device.",
            auth: false,
            query: None,
            hash: false,
            body: json(ref_of::<ChangePasswordRequest>(gen), change_example),
            ok: Success::json("password changed; token issued", ref_of::<SignInResponse>(gen)),
            errors: errs(
                [
                    json_body_errors()
                        .into_iter()
                        .map(|(s, mut c, w)| {
                            if s == 400 {
                                c.push(WeakPassword);
                                (s, c, "the body is not valid JSON of the schema, or `weak_password`: the new password breaks the policy")
                            } else {
                                (s, c, w)
                            }
                        })
                        .collect(),
                    sign_in_errors(),
                ]
                .concat(),
                false,
            ),
        },
        Route {
            method: "post",
            path: paths::REFRESH,
            id: "refreshToken",
            summary: "A new token; the presented one keeps working until the new one is first used",
            description: "Send no body. The presented token stays valid until the returned one is used for the first \
                          time (then only the new one works), so an answer lost on the way cannot lock the phone out; \
                          refreshing again with the old token replaces the unused new one.",
            auth: true,
            query: None,
            hash: false,
            body: Body::None,
            ok: Success::json("a new token", ref_of::<SignInResponse>(gen)),
            errors: errs(vec![], true),
        },
        Route {
            method: "post",
            path: paths::PUSH,
            id: "pushOps",
            summary: "Push outbox operations; each is applied idempotently by op id in its own transaction",
            description: "Answers one outcome per op, in request order: `applied`, `duplicate` (the same op id and body \
                          was stored before) or `rejected` with a reject code and a message. A rejected op never fails \
                          the request: the client quarantines it and goes on. A malformed op (missing field, unknown \
                          kind, wrong type) fails the whole request with 400.",
            auth: true,
            query: None,
            hash: false,
            body: json(ref_of::<PushRequest>(gen), push_example()),
            ok: Success::json("one outcome per op, in request order", ref_of::<PushResponse>(gen)).with_example(push_answer_example()),
            errors: errs(json_body_errors(), true),
        },
        Route {
            method: "get",
            path: paths::PULL,
            id: "pullChanges",
            summary: "The caller's scoped change feed after a cursor; with `wait`, a long poll",
            description: "Changes whose records lie in the caller's scope, in sequence order. Pass `next_cursor` as \
                          `after` next time; pull again while `has_more`. With `wait`, an empty answer is held until a \
                          change in scope is committed or the wait ends (then the page is empty). Personal data is \
                          limited by role (最小必要): a liaison head receives household phones masked, no sensitive \
                          tags unless the county allows, and other users' visits without notes and GPS fix.",
            auth: true,
            query: Some(PullParams::json_schema(gen).to_value()),
            hash: false,
            body: Body::None,
            ok: Success::json("a page of changes (empty when a wait ended without one)", ref_of::<PullResponse>(gen)),
            errors: errs(
                vec![
                    (400, vec![InvalidInput], "a query parameter is malformed or out of range (e.g. `wait` above 30)"),
                    (503, vec![Busy], "too many pulls are waiting; retry with backoff"),
                ],
                true,
            ),
        },
        Route {
            method: "get",
            path: paths::BUNDLE,
            id: "getBundle",
            summary: "Org tree (ancestors and subtree), households and users of the caller's scope",
            description: "What a phone loads after sign-in: nodes parents first, the households and users below the \
                          node, and the county's configuration. Personal data is limited by role (最小必要): staff \
                          receive it whole; grid workers ID numbers masked; liaison heads no ID numbers, phones \
                          masked; sensitive tags only to the roles the county's `privacy` setting names.",
            auth: true,
            query: Some(BundleParams::json_schema(gen).to_value()),
            hash: false,
            body: Body::None,
            ok: Success::json("the bundle the phone loads", ref_of::<Bundle>(gen)),
            errors: errs(
                vec![
                    (400, vec![InvalidInput], "`node` is not an id"),
                    (404, vec![NotFound], "no such node in the caller's scope (a node outside it answers the same)"),
                ],
                true,
            ),
        },
        Route {
            method: "post",
            path: paths::BLOBS_MISSING,
            id: "blobsMissing",
            summary: "Which evidence blobs the server lacks, with bytes already received",
            description: "Answers only about hashes that an applied record of the caller cites: upload each returned \
                          hash with `PUT /v1/blobs/{hash}`, resuming at `received_bytes`. Hashes no record of the \
                          caller cites are listed in `refused` (held or not: no existence oracle); do not upload them \
                          until their record is applied.",
            auth: true,
            query: None,
            hash: false,
            body: json(ref_of::<BlobsMissingRequest>(gen), missing_example),
            ok: Success::json("the blobs to upload", ref_of::<BlobsMissingResponse>(gen)),
            errors: errs(json_body_errors(), true),
        },
        Route {
            method: "get",
            path: paths::BLOB,
            id: "downloadBlob",
            summary: "Download a blob referenced by a record in the caller's scope",
            description: "The evidence photo (JPEG) named by its SHA-256.",
            auth: true,
            query: None,
            hash: true,
            body: Body::None,
            ok: Success::Jpeg,
            errors: errs(
                vec![
                    (400, vec![InvalidInput], "the hash is not a lowercase hex SHA-256"),
                    (404, vec![NotFound], "no record in the caller's scope refers to it, or not uploaded yet (one answer)"),
                ],
                true,
            ),
        },
        Route {
            method: "put",
            path: paths::BLOB,
            id: "uploadBlob",
            summary: "Upload blob bytes at an offset (resumable); the last part is verified against the hash",
            description: "The body is the raw bytes of one part (any content type; at most 10 MiB per blob in all). \
                          Parts must arrive in order: `offset` is the `received_bytes` the server reported. With \
                          `last` (the default) the bytes end the blob, which must then hash to its name: otherwise \
                          422 and the bytes are discarded. If the connection drops mid-part the bytes that arrived \
                          are kept, recorded with the uploading device and time; a device may hold only a few \
                          unfinished uploads (429), and an unfinished upload not continued for 3 days is removed. \
                          Only a hash that an applied record of the caller cites is accepted: push the record first.",
            auth: true,
            query: Some(UploadParams::json_schema(gen).to_value()),
            hash: true,
            body: Body::Bytes,
            ok: Success::json("bytes stored", ref_of::<UploadStatus>(gen)),
            errors: errs(
                vec![
                    (400, vec![InvalidInput], "the hash is not a lowercase hex SHA-256, or a query parameter is malformed or out of range"),
                    (404, vec![NotFound], "no applied record of the caller cites this hash (whether or not the server holds it)"),
                    (409, vec![InvalidInput], "`offset` is past the bytes received: resume at the `received_bytes` the message names"),
                    (413, vec![PayloadTooLarge], "the blob would exceed 10 MiB"),
                    (422, vec![InvalidInput], "the bytes do not hash to the blob's name; discarded, upload again from 0"),
                ],
                true,
            ),
        },
        Route {
            method: "head",
            path: paths::BLOB,
            id: "blobProgress",
            summary: "Bytes received so far (in headers; no body)",
            description: "`upload-offset`: bytes received; `x-blob-complete`: `true` once complete and verified. \
                          Only for a hash the caller's records cite or a record in the caller's scope refers to; any \
                          other answers 404 like a missing one. Errors carry no body (HEAD).",
            auth: true,
            query: None,
            hash: true,
            body: Body::None,
            ok: Success::UploadHeaders,
            errors: errs(
                vec![
                    (400, vec![InvalidInput], "the hash is not a lowercase hex SHA-256"),
                    (404, vec![NotFound], "neither cited by the caller's records nor referenced in the caller's scope, or missing (one answer)"),
                ],
                true,
            ),
        },
        Route {
            method: "get",
            path: paths::OPENAPI,
            id: "openapi",
            summary: "This document",
            description: "The OpenAPI 3.1 description of the API, generated from the server's own types.",
            auth: false,
            query: None,
            hash: false,
            body: Body::None,
            ok: Success::Document,
            errors: vec![],
        },
    ]
}

pub(crate) fn ref_of<T: JsonSchema>(gen: &mut SchemaGenerator) -> Value {
    gen.subschema_for::<T>().to_value()
}

/// The query parameters of an inline object schema: one per property, `required` as the struct says, with
/// the property's description; `null` is dropped (an absent parameter is how "none" is said).
fn query_parameters(schema: &Value) -> Vec<Value> {
    let required: Vec<&str> =
        schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(props) = schema["properties"].as_object() {
        for (name, prop) in props {
            let mut prop = prop.clone();
            let description = prop.as_object_mut().and_then(|o| o.remove("description"));
            if let Some(types) = prop["type"].as_array() {
                let types: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                prop["type"] = if types.len() == 1 { types[0].clone() } else { Value::Array(types) };
            }
            let mut p = json!({ "name": name, "in": "query", "required": required.contains(&name.as_str()), "schema": prop });
            if let Some(d) = description {
                p["description"] = d;
            }
            out.push(p);
        }
    }
    out
}

fn hash_parameter() -> Value {
    json!({ "name": "hash", "in": "path", "required": true, "description": "the blob's name: lowercase hex SHA-256 of its bytes",
            "schema": { "type": "string", "pattern": HASH_PATTERN, "minLength": 64, "maxLength": 64 } })
}

/// The error answer schema for a status: an `ErrorBody` whose `code` is one of `codes`.
fn error_schema(codes: &[ErrorCode]) -> Value {
    let names: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
    json!({ "allOf": [
        { "$ref": "#/components/schemas/ErrorBody" },
        { "type": "object", "properties": { "code": { "enum": names } } }
    ] })
}

fn operation(route: &Route) -> Value {
    let mut parameters = Vec::new();
    if route.hash {
        parameters.push(hash_parameter());
    }
    for name in route.path.split('/').filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}')).filter(|n| *n != "hash") {
        parameters.push(json!({ "name": name, "in": "path", "required": true, "description": "an id: 1–64 of `[A-Za-z0-9_-]`",
            "schema": { "type": "string", "pattern": linkage_protocol::sync::ID_PATTERN, "minLength": 1, "maxLength": 64 } }));
    }
    if let Some(q) = &route.query {
        parameters.extend(query_parameters(q));
    }
    let head = route.method == "head";
    let mut responses = Map::new();
    let ok = match &route.ok {
        Success::Json(what, schema, example) => {
            let mut media = json!({ "schema": schema });
            if let Some(e) = example {
                media["example"] = e.clone();
            }
            json!({ "description": what, "content": { "application/json": media } })
        }
        Success::Jpeg => json!({ "description": "the photo", "headers": {
                "cache-control": { "description": "private, immutable: a blob never changes", "schema": { "type": "string" } } },
                "content": { "image/jpeg": { "schema": { "type": "string", "contentMediaType": "image/jpeg" } } } }),
        Success::UploadHeaders => json!({ "description": "the upload's state, in headers", "headers": {
                "upload-offset": { "required": true, "description": "bytes received so far",
                                   "schema": { "type": "integer", "minimum": 0, "maximum": MAX_BLOB_BYTES } },
                "x-blob-complete": { "required": true, "description": "`true` once all bytes arrived and hash to the name",
                                     "schema": { "type": "string", "enum": ["true", "false"] } } } }),
        Success::Xlsx => json!({ "description": "the workbook", "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "format": "binary" } } } }),
        Success::Document => json!({ "description": "OpenAPI 3.1", "content": { "application/json": { "schema": { "type": "object" } } } }),
    };
    responses.insert("200".into(), ok);
    for (status, codes, when) in &route.errors {
        let names: Vec<String> = codes.iter().map(|c| format!("`{}`", c.as_str())).collect();
        let description = format!("{} — {when}", names.join(", "));
        let r = if head {
            json!({ "description": description })
        } else {
            let code = codes[0];
            let example = ErrorBody { code: code.as_str().into(), message: (*when).into(), wipe: code == DeviceRevoked };
            json!({ "description": description, "content": { "application/json": {
                "schema": error_schema(codes), "example": serde_json::to_value(example).expect("serializable") } } })
        };
        responses.insert(status.to_string(), r);
    }
    let mut op = json!({
        "operationId": route.id,
        "summary": route.summary,
        "description": route.description,
        "parameters": parameters,
        "responses": responses,
    });
    match &route.body {
        Body::None => {}
        Body::Json(schema, example) => {
            op["requestBody"] = json!({ "required": true,
                "description": format!("JSON (`Content-Type: application/json`), at most {} MiB; may be sent with \
                                        `Content-Encoding: gzip` or `zstd`.", MAX_JSON_BYTES >> 20),
                "content": { "application/json": { "schema": schema, "example": example } } });
        }
        Body::Jpeg => {
            op["requestBody"] = json!({ "required": true,
                "description": format!("a JPEG photo, at most {MAX_BLOB_BYTES} bytes (10 MiB)"),
                "content": { "image/jpeg": { "schema": { "type": "string", "format": "binary" } } } });
        }
        Body::Upload => {
            op["requestBody"] = json!({ "required": true,
                "description": "a CSV file (UTF-8, or GBK as Excel on Chinese Windows saves it) or an XLSX workbook (first sheet), at most 8 MiB",
                "content": {
                    "text/csv": { "schema": { "type": "string", "format": "binary" } },
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "format": "binary" } } } });
        }
        Body::Bytes => {
            op["requestBody"] = json!({ "required": false,
                "description": format!("the part's raw bytes; the whole blob at most {MAX_BLOB_BYTES} bytes (10 MiB)"),
                "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } });
        }
    }
    if !route.auth {
        op["security"] = json!([]);
    } else if route.path.starts_with("/v1/console/") {
        op["security"] = json!([{ "bearer": [] }, { "consoleSession": [] }]);
    }
    op
}

/// Bounds of the integer formats schemars writes, made explicit (`minimum`/`maximum`) so a client or a
/// fuzzer knows what the server's decoder accepts.
fn bound_integers(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let bounds: Option<(Value, Value)> = match o.get("format").and_then(Value::as_str) {
                Some("int64") => Some((i64::MIN.into(), i64::MAX.into())),
                Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
                Some("uint64") => Some((0.into(), u64::MAX.into())),
                Some("uint32") => Some((0.into(), u32::MAX.into())),
                Some("uint16") => Some((0.into(), u16::MAX.into())),
                Some("uint8") => Some((0.into(), u8::MAX.into())),
                _ => None,
            };
            if let Some((min, max)) = bounds {
                o.entry("minimum").or_insert(min);
                o.entry("maximum").or_insert(max);
            }
            o.values_mut().for_each(bound_integers);
        }
        Value::Array(a) => a.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// The OpenAPI document.
pub fn document() -> Value {
    let mut gen = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let mut routes = routes(&mut gen);
    routes.extend(crate::console::openapi_routes(&mut gen));
    // Every error body and reject code is described even where no route names it directly.
    gen.subschema_for::<ErrorBody>();
    gen.subschema_for::<RejectCode>();
    let mut paths_obj = Map::new();
    for r in &routes {
        let entry = paths_obj.entry(r.path).or_insert_with(|| json!({}));
        entry[r.method] = operation(r);
    }
    let mut schemas: Map<String, Value> = gen.take_definitions(true).into_iter().collect();
    schemas.sort_keys();
    let mut doc = json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Linkage sync API (五级联动)",
            "version": "1",
            "description": "Sync between offline phones (and the console) and the county server. Generated from the \
                            server's own types (linkage_protocol::sync and ::wire); see docs/api.md for the error and \
                            reject codes with what a client does for each. Responses may be gzip or zstd compressed \
                            (Accept-Encoding). Every error answer is an ErrorBody with a stable `code`."
        },
        "servers": [{ "url": "/", "description": "the server this document came from" }],
        "security": [{ "bearer": [] }],
        "paths": paths_obj,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer",
                    "description": "the device token from sign-in (`Authorization: Bearer <token>`), valid 30 days; revocable" },
                "consoleSession": { "type": "apiKey", "in": "cookie", "name": "linkage_console",
                    "description": "the web console's session (`POST /v1/console/session`), HttpOnly, 12 hours; requests that \
                                    change something also send `X-CSRF-Token` (the `linkage_csrf` cookie's value)" } },
            "schemas": schemas
        }
    });
    bound_integers(&mut doc);
    doc
}

/// Every (method, path) the document describes.
pub fn documented_routes(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in item.as_object().into_iter().flat_map(|m| m.keys()) {
                out.push((method.clone(), path.clone()));
            }
        }
    }
    out
}

/// The `(name, description)` of each value of an enum schema in the document (`oneOf` of `const`s).
fn enum_values(doc: &Value, schema: &str) -> Vec<(String, String)> {
    let s = &doc["components"]["schemas"][schema];
    if let Some(one_of) = s["oneOf"].as_array() {
        return one_of
            .iter()
            .map(|v| {
                (v["const"].as_str().unwrap_or_default().to_string(), v["description"].as_str().unwrap_or_default().replace('\n', " "))
            })
            .collect();
    }
    s["enum"].as_array().into_iter().flatten().map(|v| (v.as_str().unwrap_or_default().to_string(), String::new())).collect()
}

/// `docs/api.md`: the routes with their statuses, the error codes and the reject codes with what a client
/// does for each — rendered from the document (a test keeps the checked-in file equal to this).
pub fn api_markdown(doc: &Value) -> String {
    let mut md = String::new();
    md.push_str("# The sync API: routes, error codes, reject codes\n\n");
    md.push_str(
        "<!-- Generated from the OpenAPI document (server/src/openapi.rs); do not edit by hand. Regenerate with\n     \
         UPDATE_API_DOCS=1 cargo test -p linkage-server --lib openapi -->\n\n",
    );
    md.push_str(
        "The machine-readable description is `GET /openapi.json` on any server (copy: `clients/ts/openapi.json`). \
         Every error answer is a JSON `ErrorBody` `{code, message, wipe}`; `code` is stable, `message` is for people.\n\n",
    );
    md.push_str("## Routes\n\n| method | path | auth | what | statuses |\n|---|---|---|---|---|\n");
    let mut by_code: std::collections::BTreeMap<String, Vec<(String, Vec<String>)>> = Default::default();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let open = op["security"].as_array().is_some_and(|s| s.is_empty());
                let mut statuses: Vec<&String> = op["responses"].as_object().map(|r| r.keys().collect()).unwrap_or_default();
                statuses.sort();
                let statuses: Vec<String> = statuses.iter().map(|s| s.to_string()).collect();
                md.push_str(&format!(
                    "| {} | `{path}` | {} | {} | {} |\n",
                    method.to_uppercase(),
                    if open { "none" } else { "token" },
                    op["summary"].as_str().unwrap_or_default(),
                    statuses.join(", ")
                ));
                for (status, r) in op["responses"].as_object().into_iter().flatten() {
                    let codes = &r["content"]["application/json"]["schema"]["allOf"][1]["properties"]["code"]["enum"];
                    let head_codes: Vec<String> = if method == "head" {
                        // HEAD answers carry no body: the codes are named in the description.
                        ErrorCode::ALL
                            .iter()
                            .filter(|c| r["description"].as_str().is_some_and(|d| d.contains(&format!("`{}`", c.as_str()))))
                            .map(|c| c.as_str().to_string())
                            .collect()
                    } else {
                        vec![]
                    };
                    let names = codes.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).chain(head_codes);
                    for code in names {
                        let route = format!("{} `{path}`", method.to_uppercase());
                        let routes = by_code.entry(code).or_default();
                        match routes.iter_mut().find(|(r, _)| *r == route) {
                            Some((_, statuses)) => statuses.push(status.clone()),
                            None => routes.push((route, vec![status.clone()])),
                        }
                    }
                }
            }
        }
    }
    md.push_str("\n## Error codes (`ErrorBody.code`)\n\n| code | meaning, and what the client does | answered by |\n|---|---|---|\n");
    for (code, description) in enum_values(doc, "ErrorCode") {
        let by = by_code
            .get(&code)
            .map(|routes| routes.iter().map(|(r, s)| format!("{r} → {}", s.join(", "))).collect::<Vec<_>>().join("; "))
            .unwrap_or_default();
        md.push_str(&format!("| `{code}` | {description} | {by} |\n"));
    }
    md.push_str(
        "\n## Reject codes (`OpResult.code` of a `rejected` op in a push answer)\n\n\
         A rejected op never fails the push: the answer is 200 with one outcome per op. Whatever the code, the client \
         quarantines the op with its message (shown to the user), never resends it unchanged, and goes on with the \
         rest of its queue.\n\n| code | meaning, and what the client does |\n|---|---|\n",
    );
    for (code, description) in enum_values(doc, "RejectCode") {
        md.push_str(&format!("| `{code}` | {description} |\n"));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// Compares a generated file with its checked-in copy; `UPDATE_API_DOCS=1` rewrites the copy.
    fn check_file(relative: &str, generated: &str) {
        let path = root().join(relative);
        if std::env::var_os("UPDATE_API_DOCS").is_some() {
            std::fs::write(&path, generated).unwrap();
        }
        let stored = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            stored == generated,
            "{relative} is out of date with the OpenAPI document; run UPDATE_API_DOCS=1 cargo test -p linkage-server --lib openapi"
        );
    }

    #[test]
    fn openapi_documents_exactly_the_registered_routes() {
        let doc = document();
        let mut documented = documented_routes(&doc);
        let mut registered: Vec<(String, String)> =
            crate::api::registered_routes().into_iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        documented.sort();
        registered.sort();
        assert_eq!(documented, registered, "the router and the OpenAPI document disagree on the routes");
    }

    #[test]
    fn openapi_schemas_carry_the_server_constraints() {
        let doc = document();
        let s = &doc["components"]["schemas"];
        // An op without event_id is malformed: the schema requires it, as the decoder does.
        let event = &s["IssueEvent"];
        assert!(event["required"].as_array().unwrap().contains(&json!("event_id")), "{event}");
        assert_eq!(s["SignInRequest"]["properties"]["device_id"]["maxLength"], 64);
        assert_eq!(s["SignInRequest"]["properties"]["device_id"]["minLength"], 1);
        assert_eq!(s["BlobsMissingRequest"]["properties"]["hashes"]["items"]["pattern"], HASH_PATTERN);
        assert_eq!(s["PushRequest"]["properties"]["ops"]["maxItems"], 1000);
        let pull = &doc["paths"][paths::PULL]["get"]["parameters"];
        let limit = pull.as_array().unwrap().iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!((limit["schema"]["minimum"].clone(), limit["schema"]["maximum"].clone()), (json!(1), json!(1000)));
        let blob = &doc["paths"][paths::BLOB];
        for m in ["get", "head", "put"] {
            assert!(blob[m]["responses"]["400"].is_object(), "{m} blob documents 400 for a malformed hash");
            assert_eq!(blob[m]["parameters"][0]["schema"]["pattern"], HASH_PATTERN);
        }
        for path in [paths::SIGN_IN, paths::PUSH, paths::BLOBS_MISSING] {
            assert!(doc["paths"][path]["post"]["responses"]["415"].is_object(), "{path} documents 415");
        }
        // Enums carry their meanings in Chinese and English.
        let levels = enum_values(&doc, "OrgLevel");
        assert!(levels.iter().any(|(n, d)| n == "county" && d.contains("县") && d.contains("county")), "{levels:?}");
        // Every error code the server may answer is in the document, with its meaning.
        let codes = enum_values(&doc, "ErrorCode");
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        assert!(codes.iter().all(|(_, d)| d.contains("Client:")), "{codes:?}");
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    }

    #[test]
    fn examples_are_valid_requests() {
        let doc = document();
        let push = &doc["paths"][paths::PUSH]["post"]["requestBody"]["content"]["application/json"]["example"];
        let req: PushRequest = serde_json::from_value(push.clone()).unwrap();
        assert_eq!(req.ops.len(), 1);
        let sign_in = &doc["paths"][paths::SIGN_IN]["post"]["requestBody"]["content"]["application/json"]["example"];
        let _: SignInRequest = serde_json::from_value(sign_in.clone()).unwrap();
        let answer = &doc["paths"][paths::PUSH]["post"]["responses"]["200"]["content"]["application/json"]["example"];
        let _: PushResponse = serde_json::from_value(answer.clone()).unwrap();
        // Every error example is an ErrorBody whose code is one its status names.
        for (method, path) in documented_routes(&doc) {
            for (status, r) in doc["paths"][&path][&method]["responses"].as_object().unwrap() {
                let media = &r["content"]["application/json"];
                if status == "200" || media.is_null() {
                    continue;
                }
                let e: ErrorBody = serde_json::from_value(media["example"].clone()).unwrap();
                let allowed = &media["schema"]["allOf"][1]["properties"]["code"]["enum"];
                assert!(allowed.as_array().unwrap().contains(&json!(e.code)), "{method} {path} {status}");
            }
        }
    }

    #[test]
    fn api_docs_and_ts_copy_are_generated_from_the_document() {
        let doc = document();
        check_file("docs/api.md", &api_markdown(&doc));
        check_file("clients/ts/openapi.json", &(serde_json::to_string_pretty(&doc).unwrap() + "\n"));
        let md = api_markdown(&doc);
        for code in ErrorCode::ALL {
            assert!(md.contains(&format!("| `{}` |", code.as_str())), "docs/api.md lists {}", code.as_str());
        }
        for code in ["conflict", "out_of_scope", "illegal_transition", "not_permitted", "invalid_input", "unknown_reference", "actor_mismatch"] {
            assert!(md.contains(&format!("| `{code}` |")), "docs/api.md lists reject code {code}");
        }
    }
}
