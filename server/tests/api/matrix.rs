//! The endpoint × role × scope matrix: every route the router serves, asked by each role about something in
//! its scope and something outside it (and with no token), with the status each cell must answer. A route added
//! without a row here fails the test. Out of scope answers like a missing id (404), never 403.

use linkage_protocol::sync::{paths, BlobsMissingRequest, ChangePasswordRequest, ErrorBody, OpOutcome, PushRequest, PushResponse, SignInRequest};
use linkage_protocol::wire::IssueAction;
use linkage_server::sqlite::sha256_hex;
use reqwest::Method;

use crate::common::*;

/// Where the request points: inside the caller's scope, outside it, or no scope involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    In,
    Out,
    None,
}

/// Fixture: a photo cited by a record under h1 (t1) and another cited under h2 (t2).
struct Photos {
    t1: String,
    t2: String,
}

async fn photos(s: &TestServer) -> Photos {
    let mut out = Vec::new();
    for (user, household, issue) in [("ts1", "h1", "m-i1"), ("ts2", "h2", "m-i2")] {
        let bytes = format!("photo of {household}").into_bytes();
        let hash = sha256_hex(&bytes);
        let token = s.token(user).await;
        let reporter = if household == "h1" { "lh1" } else { "lh2" };
        let lh = s.token(reporter).await;
        assert_eq!(s.push(&lh, vec![report(reporter, issue, household)]).await.results[0].outcome, OpOutcome::Applied);
        let ops = vec![
            event(user, issue, IssueAction::Accept),
            event(user, issue, IssueAction::Resolve { note: "已处理".into(), evidence: vec![hash.clone()] }),
        ];
        assert!(s.push(&token, ops).await.results.iter().all(|r| r.outcome == OpOutcome::Applied));
        // The record first, then its photo (only the citer may upload it).
        let r = s.http.put(s.url(&paths::BLOB.replace("{hash}", &hash))).bearer_auth(&token).body(bytes).send().await.unwrap();
        assert_eq!(r.status(), 200);
        out.push(hash);
    }
    Photos { t1: out.remove(0), t2: out.remove(0) }
}

/// The node of each role's scope and one outside it (the fixture's t2 branch is outside every t1 user).
fn nodes(user: &str) -> (&'static str, &'static str) {
    match user {
        "cs" => ("t2", "t2"),
        "ts1" => ("b1", "b2"),
        "gw1" => ("g1", "g2"),
        "lh1" => ("g1", "g2"),
        other => panic!("{other}"),
    }
}

/// Sends one cell's request; returns its status (and, for a push, the op's outcome).
async fn ask(s: &TestServer, method: &str, path: &str, user: Option<&str>, scope: Scope, photos: &Photos) -> (u16, String) {
    let token = match user {
        Some(u) => Some(s.token(u).await),
        None => None,
    };
    let uid = user.unwrap_or("lh1");
    let (inside, outside) = nodes(uid);
    let (household, photo, node) = match scope {
        Scope::Out => ("h2", &photos.t2, outside),
        _ => ("h1", &photos.t1, inside),
    };
    let url = match path {
        p if p == paths::BLOB => s.url(&p.replace("{hash}", photo)),
        p if p == paths::BUNDLE => s.url(&format!("{p}?node={node}")),
        p => s.url(p),
    };
    let mut req = s.http.request(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), url);
    if let Some(t) = &token {
        req = req.bearer_auth(t);
    }
    req = match (method, path) {
        ("post", p) if p == paths::SIGN_IN => req.json(&SignInRequest {
            user_id: uid.into(),
            password: if scope == Scope::Out { "wrong-password-1".into() } else { PASSWORD.into() },
            device_id: format!("matrix-{uid}"),
            device_name: String::new(),
            device_secret: String::new(),
        }),
        ("post", p) if p == paths::CHANGE_PASSWORD => req.json(&ChangePasswordRequest {
            user_id: uid.into(),
            password: "wrong-password-1".into(),
            new_password: "新密码-Strong-2026".into(),
            device_id: format!("matrix-{uid}"),
            device_name: String::new(),
            device_secret: String::new(),
        }),
        ("post", p) if p == paths::PUSH => req.json(&PushRequest { ops: vec![report(uid, &uuid(), household)] }),
        ("post", p) if p == paths::BLOBS_MISSING => req.json(&BlobsMissingRequest { hashes: vec![photo.clone()] }),
        ("put", _) => req.body(b"more bytes".to_vec()),
        _ => req,
    };
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let detail = if path == paths::PUSH && status == 200 {
        match &resp.json::<PushResponse>().await.unwrap().results[0].outcome {
            OpOutcome::Rejected { code, .. } => format!("{code:?}"),
            other => format!("{other:?}"),
        }
    } else if status >= 400 && method != "head" {
        resp.json::<ErrorBody>().await.map(|b| b.code).unwrap_or_default()
    } else {
        String::new()
    };
    (status, detail)
}

#[tokio::test]
async fn every_route_answers_each_role_in_and_out_of_scope_as_expected() {
    let s = start().await;
    let photos = photos(&s).await;
    // (method, path, scope, expected status, expected detail) for every role; `None` scope rows run once with no
    // token too. The county sees everything: its "out" cell asks about the other township, which is inside.
    type Cell = (&'static str, &'static str, Scope, u16, &'static str);
    let cells: Vec<Cell> = vec![
        ("post", paths::SIGN_IN, Scope::In, 200, ""),
        ("post", paths::SIGN_IN, Scope::Out, 401, "unauthorized"), // wrong password
        ("post", paths::CHANGE_PASSWORD, Scope::None, 401, "unauthorized"),
        ("post", paths::REFRESH, Scope::None, 200, ""),
        ("post", paths::PUSH, Scope::In, 200, "Applied"),
        ("post", paths::PUSH, Scope::Out, 200, "OutOfScope"),
        ("get", paths::PULL, Scope::None, 200, ""),
        ("get", paths::BUNDLE, Scope::In, 200, ""),
        ("get", paths::BUNDLE, Scope::Out, 404, "not_found"),
        ("post", paths::BLOBS_MISSING, Scope::None, 200, ""),
        ("get", paths::BLOB, Scope::In, 200, ""),
        ("get", paths::BLOB, Scope::Out, 404, "not_found"),
        // Uploads: only the user whose record cites the photo (ts1 for t1; see the override below).
        ("put", paths::BLOB, Scope::In, 404, "not_found"),
        ("put", paths::BLOB, Scope::Out, 404, "not_found"),
        ("head", paths::BLOB, Scope::In, 200, ""),
        ("head", paths::BLOB, Scope::Out, 404, ""),
        ("get", paths::OPENAPI, Scope::None, 200, ""),
    ];
    let needs_token = |path: &str| ![paths::SIGN_IN, paths::CHANGE_PASSWORD, paths::OPENAPI].contains(&path);
    // Every registered route has a row (the console's `/v1/console/...` routes are judged per role and scope by
    // their own modules: console.rs, console_issues.rs, console_directives.rs, ...).
    for (method, path) in linkage_server::api::registered_routes().into_iter().filter(|(_, p)| !p.starts_with("/v1/console/")) {
        assert!(cells.iter().any(|c| c.0 == method && c.1 == path), "no matrix row for {method} {path}");
    }
    let mut failures = Vec::new();
    for &(method, path, scope, status, detail) in &cells {
        for user in ["cs", "ts1", "gw1", "lh1"] {
            let token_user = if needs_token(path) { Some(user) } else { None };
            // A token-less route names the user in its body instead.
            let (mut expect_status, mut expect_detail) = (status, detail);
            if user == "cs" && scope == Scope::Out && needs_token(path) && method != "put" {
                // The county's "outside" is another township, still within the county.
                (expect_status, expect_detail) = match path {
                    p if p == paths::PUSH => (200, "Applied"),
                    _ => (200, ""),
                };
            }
            if method == "put" && user == "ts1" && scope == Scope::In {
                // ts1's own 办结 cites t1: the one upload accepted (the blob is complete already).
                (expect_status, expect_detail) = (200, "");
            }
            let got = if token_user.is_some() {
                ask(&s, method, path, Some(user), scope, &photos).await
            } else {
                ask_with_body_user(&s, method, path, user, scope).await
            };
            if got != (expect_status, expect_detail.to_string()) {
                failures.push(format!("{method} {path} as {user} ({scope:?}): got {got:?}, want ({expect_status}, {expect_detail:?})"));
            }
        }
        if needs_token(path) {
            let got = ask(&s, method, path, None, scope, &photos).await;
            let want = if method == "head" { (401, String::new()) } else { (401, "unauthorized".to_string()) };
            if got != want {
                failures.push(format!("{method} {path} without a token: got {got:?}, want {want:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} cell(s) wrong:\n{}", failures.len(), failures.join("\n"));
}

/// A cell of a route without a token: sign-in and password change name `user` in the body.
async fn ask_with_body_user(s: &TestServer, method: &str, path: &str, user: &str, scope: Scope) -> (u16, String) {
    let mut req = s.http.request(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), s.url(path));
    req = match path {
        p if p == paths::SIGN_IN => req.json(&SignInRequest {
            user_id: user.into(),
            password: if scope == Scope::Out { "wrong-password-1".into() } else { PASSWORD.into() },
            device_id: format!("matrix-{user}"),
            device_name: String::new(),
            device_secret: String::new(),
        }),
        p if p == paths::CHANGE_PASSWORD => req.json(&ChangePasswordRequest {
            user_id: user.into(),
            password: "wrong-password-1".into(),
            new_password: "新密码-Strong-2026".into(),
            device_id: format!("matrix-{user}"),
            device_name: String::new(),
            device_secret: String::new(),
        }),
        _ => req,
    };
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let detail = if status >= 400 { resp.json::<ErrorBody>().await.map(|b| b.code).unwrap_or_default() } else { String::new() };
    (status, detail)
}
