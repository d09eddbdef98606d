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
    assert_eq!(bundle.households[0].tags, vec!["低保".to_string()]);
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
    for (method, path) in linkage_server::api::ROUTES {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not documented");
        // …and the router really serves it (not the fallback, not 405).
        let concrete = path.replace("{hash}", &"a".repeat(64));
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let resp = s.http.request(m, s.url(&concrete)).bearer_auth(&token).send().await.unwrap();
        assert_ne!(resp.status(), 405, "{method} {path}");
        let body = resp.text().await.unwrap();
        assert!(!body.contains("no such endpoint"), "{method} {path} is not routed");
    }
    let documented: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, linkage_server::api::ROUTES.len());
}
