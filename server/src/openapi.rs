//! The OpenAPI 3.1 description of the sync API, written by hand next to the handlers (no codegen dependency)
//! and served at `/openapi.json`; a test checks every route of the router is described here.

use linkage_protocol::sync::paths;
use serde_json::{json, Value};

fn error_responses(codes: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    for (status, what) in codes {
        m.insert(
            (*status).to_string(),
            json!({ "description": what, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } } }),
        );
    }
    m
}

fn json_ok(description: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn json_body(schema: &str) -> Value {
    json!({
        "required": true,
        "description": "JSON; may be sent with Content-Encoding gzip or zstd.",
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
    })
}

fn op(summary: &str, auth: bool, body: Option<Value>, params: Value, ok: (&str, Value), errors: &[(&str, &str)]) -> Value {
    let mut responses = error_responses(errors);
    if auth {
        responses.extend(error_responses(&[("401", "unauthorized, token_expired, or device_revoked (wipe: true)")]));
    }
    responses.insert(ok.0.to_string(), ok.1);
    let mut o = json!({ "summary": summary, "parameters": params, "responses": responses });
    if let Some(b) = body {
        o["requestBody"] = b;
    }
    if !auth {
        o["security"] = json!([]);
    }
    o
}

fn hash_param() -> Value {
    json!({ "name": "hash", "in": "path", "required": true, "description": "lowercase hex SHA-256 of the blob",
            "schema": { "type": "string", "pattern": "^[0-9a-f]{64}$" } })
}

/// The OpenAPI document.
pub fn document() -> Value {
    let sign_in = op(
        "Sign in a user on a device; returns a 30-day device token",
        false,
        Some(json_body("SignInRequest")),
        json!([]),
        ("200", json_ok("token issued", "SignInResponse")),
        &[("400", "invalid_input"), ("401", "unauthorized (wrong id or password) or device_revoked (wipe: true)")],
    );
    let refresh = op(
        "Exchange the presented token for a new one; the old one stops working",
        true,
        None,
        json!([]),
        ("200", json_ok("new token", "SignInResponse")),
        &[],
    );
    let push = op(
        "Push outbox operations; each is applied idempotently by op id in its own transaction",
        true,
        Some(json_body("PushRequest")),
        json!([]),
        ("200", json_ok("one outcome per op, in request order", "PushResponse")),
        &[("400", "invalid_input"), ("413", "payload_too_large (more than 1000 ops or 16 MiB)")],
    );
    let pull = op(
        "The caller's scoped change feed after a cursor; with `wait`, a long poll",
        true,
        None,
        json!([
            { "name": "after", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 0, "default": 0 },
              "description": "the last sequence number seen" },
            { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 500 } },
            { "name": "wait", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 0, "maximum": 30, "default": 0 },
              "description": "long poll, seconds: when nothing in the caller's scope follows the cursor, hold the request until a \
                              change in scope is committed (answered at once with it) or the wait ends (an empty page); \
                              0 answers at once. A shutting-down server answers waiting pulls with an empty page." }
        ]),
        ("200", json_ok("a page of changes (empty when a wait ended without one)", "PullResponse")),
        &[("400", "invalid_input (e.g. wait above 30)"), ("503", "busy: too many pulls are waiting; retry with backoff")],
    );
    let bundle = op(
        "Org tree (ancestors and subtree), households and users of the caller's scope",
        true,
        None,
        json!([{ "name": "node", "in": "query", "required": false, "schema": { "type": "string" },
                 "description": "a node within the caller's scope (default: the caller's node)" }]),
        ("200", json_ok("the bundle the phone loads", "Bundle")),
        &[("403", "forbidden: the node lies outside the caller's scope"), ("404", "not_found")],
    );
    let missing = op(
        "Which evidence blobs the server lacks, with bytes already received",
        true,
        Some(json_body("BlobsMissingRequest")),
        json!([]),
        ("200", json_ok("the blobs to upload", "BlobsMissingResponse")),
        &[("400", "invalid_input"), ("413", "payload_too_large")],
    );
    let upload = op(
        "Upload blob bytes at an offset (resumable); the last part is verified against the hash",
        true,
        Some(json!({ "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } })),
        json!([
            hash_param(),
            { "name": "offset", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 0, "default": 0 } },
            { "name": "last", "in": "query", "required": false, "schema": { "type": "boolean", "default": true },
              "description": "false when more parts follow" }
        ]),
        ("200", json_ok("bytes stored", "UploadStatus")),
        &[
            ("400", "invalid_input"),
            ("409", "offset past the bytes received"),
            ("413", "payload_too_large (10 MiB per blob)"),
            ("422", "the bytes do not hash to the name; discarded"),
        ],
    );
    let head = json!({
        "summary": "Bytes received so far",
        "parameters": [hash_param()],
        "responses": {
            "200": { "description": "state in headers", "headers": {
                "upload-offset": { "schema": { "type": "integer" }, "description": "bytes received" },
                "x-blob-complete": { "schema": { "type": "boolean" } } } },
            "401": { "description": "unauthorized" }
        }
    });
    let download = op(
        "Download a blob referenced by a record in the caller's scope",
        true,
        None,
        json!([hash_param()]),
        ("200", json!({ "description": "the photo", "content": { "image/jpeg": { "schema": { "type": "string", "format": "binary" } } } })),
        &[("403", "forbidden: no record in scope refers to it"), ("404", "not_found: not uploaded yet")],
    );
    let openapi = json!({ "summary": "This document", "security": [],
        "responses": { "200": { "description": "OpenAPI 3.1", "content": { "application/json": {} } } } });

    let mut paths_obj = serde_json::Map::new();
    paths_obj.insert(paths::SIGN_IN.into(), json!({ "post": sign_in }));
    paths_obj.insert(paths::REFRESH.into(), json!({ "post": refresh }));
    paths_obj.insert(paths::PUSH.into(), json!({ "post": push }));
    paths_obj.insert(paths::PULL.into(), json!({ "get": pull }));
    paths_obj.insert(paths::BUNDLE.into(), json!({ "get": bundle }));
    paths_obj.insert(paths::BLOBS_MISSING.into(), json!({ "post": missing }));
    paths_obj.insert(paths::BLOB.into(), json!({ "put": upload, "head": head, "get": download }));
    paths_obj.insert(paths::OPENAPI.into(), json!({ "get": openapi }));

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Linkage sync API (五级联动)",
            "version": "1",
            "description": "Sync between offline phones and the county server. Types are those of linkage_protocol::sync and ::wire; \
                            responses may be gzip or zstd compressed (Accept-Encoding)."
        },
        "security": [{ "bearer": [] }],
        "paths": paths_obj,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "device token from sign-in" } },
            "schemas": schemas()
        }
    })
}

fn schemas() -> Value {
    let s = |t: &str| json!({ "type": t });
    let enum_of = |v: &[&str]| json!({ "type": "string", "enum": v });
    json!({
        "ErrorBody": { "type": "object", "required": ["code", "message"], "properties": {
            "code": enum_of(&["unauthorized", "token_expired", "device_revoked", "forbidden", "not_found", "invalid_input", "payload_too_large", "busy", "internal"]),
            "message": s("string"), "wipe": { "type": "boolean", "default": false } } },
        "Role": enum_of(&["county_staff", "township_staff", "grid_worker", "liaison_head"]),
        "OrgLevel": enum_of(&["county", "township", "branch", "group", "household"]),
        "SignInRequest": { "type": "object", "required": ["user_id", "password", "device_id"], "properties": {
            "user_id": s("string"), "password": s("string"), "device_id": s("string"), "device_name": s("string") } },
        "SignInResponse": { "type": "object", "required": ["token", "expires_at_ms", "user_id", "user_name", "role", "node_id", "node_level", "server_time_ms"],
            "properties": { "token": s("string"), "expires_at_ms": s("integer"), "user_id": s("string"), "user_name": s("string"),
                "role": { "$ref": "#/components/schemas/Role" }, "node_id": s("string"),
                "node_level": { "$ref": "#/components/schemas/OrgLevel" }, "server_time_ms": s("integer") } },
        "Operation": { "type": "object", "required": ["op_id", "hlc", "kind", "body"],
            "description": "linkage_protocol::wire::Operation",
            "properties": { "op_id": s("string"), "hlc": s("string"),
                "kind": enum_of(&["issue_event", "visit_recorded", "directive_issued", "node_acknowledged", "directive_relayed", "household_acknowledged", "household_edited", "task_reported"]),
                "body": s("object") } },
        "PushRequest": { "type": "object", "required": ["ops"], "properties": { "ops": { "type": "array", "maxItems": 1000, "items": { "$ref": "#/components/schemas/Operation" } } } },
        "OpResult": { "type": "object", "required": ["op_id", "outcome"], "properties": {
            "op_id": s("string"), "outcome": enum_of(&["applied", "duplicate", "rejected"]),
            "code": enum_of(&["conflict", "out_of_scope", "illegal_transition", "not_permitted", "invalid_input", "unknown_reference", "actor_mismatch"]),
            "message": s("string") } },
        "PushResponse": { "type": "object", "required": ["results", "server_time_ms"], "properties": {
            "results": { "type": "array", "items": { "$ref": "#/components/schemas/OpResult" } }, "server_time_ms": s("integer") } },
        "Change": { "type": "object", "required": ["seq", "received_at_ms", "op"], "properties": {
            "seq": s("integer"), "received_at_ms": s("integer"), "op": { "$ref": "#/components/schemas/Operation" } } },
        "PullResponse": { "type": "object", "required": ["changes", "next_cursor", "has_more", "server_time_ms"], "properties": {
            "changes": { "type": "array", "items": { "$ref": "#/components/schemas/Change" } },
            "next_cursor": s("integer"), "has_more": s("boolean"), "server_time_ms": s("integer") } },
        "Bundle": { "type": "object", "required": ["nodes"], "description": "linkage_protocol::wire::Bundle; nodes parents-first",
            "properties": { "nodes": { "type": "array", "items": s("object") }, "households": { "type": "array", "items": s("object") },
                "users": { "type": "array", "items": s("object") }, "config": s("object") } },
        "BlobsMissingRequest": { "type": "object", "required": ["hashes"], "properties": { "hashes": { "type": "array", "maxItems": 1000, "items": s("string") } } },
        "BlobsMissingResponse": { "type": "object", "required": ["missing"], "properties": { "missing": { "type": "array", "items": {
            "type": "object", "required": ["hash", "received_bytes"], "properties": { "hash": s("string"), "received_bytes": s("integer") } } } } },
        "UploadStatus": { "type": "object", "required": ["hash", "received_bytes", "complete"], "properties": {
            "hash": s("string"), "received_bytes": s("integer"), "complete": s("boolean") } }
    })
}
