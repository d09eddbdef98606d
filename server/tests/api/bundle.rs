//! The bundle a phone loads, and the OpenAPI document.

use linkage_protocol::model::OrgLevel;
use linkage_protocol::sync::paths;
use linkage_protocol::wire::Bundle;

use crate::common::*;

#[tokio::test]
async fn bundle_has_ancestors_subtree_households_and_users_without_secrets() {
    let s = start().await;
    let lh1 = s.token("lh1").await;
    let resp = s.http.get(s.url(paths::BUNDLE)).bearer_auth(&lh1).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(!text.contains("argon2"), "password hashes must never leave the server");
    let bundle: Bundle = serde_json::from_str(&text).unwrap();
    let ids: Vec<&str> = bundle.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, vec!["c", "t1", "b1", "g1"], "ancestors first, parents before children");
    assert_eq!(bundle.nodes[0].level, OrgLevel::County);
    assert_eq!(bundle.households.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), vec!["h1"]);
    assert!(bundle.households[0].tags.is_empty(), "低保 is sensitive: not for liaison heads (privacy.rs)");
    assert_eq!(bundle.users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), vec!["lh1"]);

    let cs = s.token("cs").await;
    let all: Bundle = s.http.get(s.url(paths::BUNDLE)).bearer_auth(&cs).send().await.unwrap().json().await.unwrap();
    assert_eq!((all.nodes.len(), all.households.len(), all.users.len()), (7, 2, 7));
    // Every parent precedes its children (what the phone's loader requires).
    for (i, n) in all.nodes.iter().enumerate() {
        if let Some(p) = &n.parent_id {
            assert!(all.nodes[..i].iter().any(|x| &x.id == p), "{} before its parent", n.id);
        }
    }
}

#[tokio::test]
async fn openapi_lists_every_route() {
    let s = start().await;
    let doc: serde_json::Value = s.http.get(s.url(paths::OPENAPI)).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let token = s.token("cs").await;
    let routes = linkage_server::api::registered_routes();
    for (method, path) in &routes {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not documented");
        // …and the router really serves it (not the fallback, not 405).
        let concrete = path.replace("{hash}", &"a".repeat(64));
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let resp = s.http.request(m, s.url(&concrete)).bearer_auth(&token).send().await.unwrap();
        assert_ne!(resp.status(), 405, "{method} {path}");
        let body: Option<linkage_protocol::sync::ErrorBody> = serde_json::from_str(&resp.text().await.unwrap()).ok();
        assert!(body.is_none_or(|e| e.message != "no such endpoint"), "{method} {path} is not routed");
    }
    let documented: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, routes.len());
}

/// The server refuses exactly what the document declares invalid (the cases schemathesis found loose).
#[tokio::test]
async fn server_refuses_what_the_document_declares_invalid() {
    use linkage_protocol::sync::ErrorBody;
    let s = start().await;
    let token = s.token("cs").await;
    let get = |q: String| {
        let req = s.http.get(s.url(&q)).bearer_auth(&token);
        async move { req.send().await.unwrap() }
    };
    for q in ["?limit=0", "?limit=1001", "?after=-1", "?limit=x"] {
        let r = get(format!("{}{q}", paths::PULL)).await;
        assert_eq!(r.status(), 400, "{q}");
        assert_eq!(r.json::<ErrorBody>().await.unwrap().code, "invalid_input");
    }
    assert_eq!(get(format!("{}?limit=1000&after=0", paths::PULL)).await.status(), 200);
    assert_eq!(get(format!("{}?node=a%2Fb", paths::BUNDLE)).await.status(), 400);
    assert_eq!(get(paths::BLOB.replace("{hash}", "ABC")).await.status(), 400);
    let head = s.http.head(s.url(&paths::BLOB.replace("{hash}", "abc"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(head.status(), 400);

    // Without Content-Type: application/json, 415 with the JSON error shape and a zh-CN message.
    let r = s.http.post(s.url(paths::PUSH)).bearer_auth(&token).body(r#"{"ops":[]}"#).send().await.unwrap();
    assert_eq!(r.status(), 415);
    let e: ErrorBody = r.json().await.unwrap();
    assert_eq!(e.code, "invalid_input");
    assert!(e.message.contains("JSON") && e.message.contains("请"), "{}", e.message);

    // Too many items is invalid input (400), as the schema's maxItems says.
    let hashes: Vec<String> = (0..1001).map(|i| format!("{i:064x}")).collect();
    let r = s.http.post(s.url(paths::BLOBS_MISSING)).bearer_auth(&token).json(&serde_json::json!({ "hashes": hashes })).send().await.unwrap();
    assert_eq!(r.status(), 400);
    // An op without event_id is malformed: the whole request is refused.
    let op = serde_json::json!({ "op_id": "x", "hlc": "y", "kind": "issue_event", "body": {
        "issue_id": "i", "actor_id": "cs", "actor_role": "county_staff", "actor_node_id": "c", "hlc": "y", "at_ms": 1,
        "action": { "type": "accept" } } });
    let r = s.http.post(s.url(paths::PUSH)).bearer_auth(&token).json(&serde_json::json!({ "ops": [op] })).send().await.unwrap();
    assert_eq!(r.status(), 400);

    // Device names: at most 64 characters as sent, no control characters.
    for (name, status) in [("机".repeat(64), 200), (format!("{} ", "机".repeat(64)), 400), ("a\u{7}b".to_string(), 400)] {
        let body = serde_json::json!({ "user_id": "cs", "password": PASSWORD, "device_id": "dev-x", "device_name": name });
        let r = s.http.post(s.url(paths::SIGN_IN)).json(&body).send().await.unwrap();
        assert_eq!(r.status(), status, "{name:?}");
    }
}
