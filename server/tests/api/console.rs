//! The web console's session and its scoped pages (issue #14): cookie sign-in with the phones' password rules,
//! the CSRF header on changes, staff roles only, scope on every node id, the dashboard's figures equal to the
//! measures export's, the map's points. `ConsoleClient` is shared by the other console test modules.

use linkage_protocol::wire::IssueAction;
use serde_json::Value;

use crate::common::{self, TestServer, PASSWORD};

/// A browser-like console client: keeps the session cookies, sends the CSRF header on changes.
pub struct ConsoleClient<'a> {
    pub server: &'a TestServer,
    pub cookie: String,
    pub csrf: String,
}

/// Signs in to the console; the raw answer.
pub async fn console_sign_in(s: &TestServer, user: &str, password: &str) -> reqwest::Response {
    s.http
        .post(s.url("/v1/console/session"))
        .json(&serde_json::json!({ "user_id": user, "password": password }))
        .send()
        .await
        .unwrap()
}

impl<'a> ConsoleClient<'a> {
    /// Signs `user` in with the fixture password (must succeed).
    pub async fn sign_in(server: &'a TestServer, user: &str) -> ConsoleClient<'a> {
        let resp = console_sign_in(server, user, PASSWORD).await;
        assert_eq!(resp.status(), 200, "console sign-in of {user}");
        let cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
            .collect();
        let body: Value = resp.json().await.unwrap();
        ConsoleClient { server, cookie: cookies.join("; "), csrf: body["csrf_token"].as_str().unwrap().to_string() }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.server.http.get(self.server.url(path)).header("cookie", &self.cookie).send().await.unwrap()
    }

    /// A JSON GET that must answer 200.
    pub async fn get_json(&self, path: &str) -> Value {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.unwrap()
    }

    /// A change (`method` with a JSON body) with the session's CSRF header.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> reqwest::Response {
        self.send_with_csrf(method, path, body, Some(&self.csrf.clone())).await
    }

    pub async fn send_with_csrf(&self, method: reqwest::Method, path: &str, body: Option<Value>, csrf: Option<&str>) -> reqwest::Response {
        let mut req = self.server.http.request(method, self.server.url(path)).header("cookie", &self.cookie);
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }
}

async fn message(resp: reqwest::Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    (status, body["code"].as_str().unwrap_or("").to_string(), body["message"].as_str().unwrap_or("").to_string())
}

#[tokio::test]
async fn console_session_cookie_csrf_and_staff_only() {
    let s = common::start().await;
    // Township staff: signed in by cookie, HttpOnly + SameSite=Strict.
    let resp = console_sign_in(&s, "ts1", PASSWORD).await;
    assert_eq!(resp.status(), 200);
    let set: Vec<String> = resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert!(set.iter().any(|c| c.starts_with("linkage_console=") && c.contains("HttpOnly") && c.contains("SameSite=Strict")), "{set:?}");
    assert!(set.iter().any(|c| c.starts_with("linkage_csrf=") && !c.contains("HttpOnly")), "{set:?}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!((body["role"].as_str(), body["node"]["id"].as_str(), body["role_label"].as_str()), (Some("township_staff"), Some("t1"), Some("乡镇干部")));
    assert!(body.get("token").is_none(), "the session token never reaches the page's scripts");

    let c = ConsoleClient::sign_in(&s, "ts1").await;
    let me = c.get_json("/v1/console/session").await;
    assert_eq!(me["user_id"], "ts1");
    assert_eq!(me["csrf_token"], c.csrf.as_str());

    // A change without the CSRF header, or with another session's, is refused and changes nothing.
    let other = ConsoleClient::sign_in(&s, "ts1").await;
    assert_ne!(other.csrf, c.csrf);
    for csrf in [None, Some(other.csrf.as_str()), Some("")] {
        let (status, code, msg) = message(c.send_with_csrf(reqwest::Method::DELETE, "/v1/console/session", None, csrf).await).await;
        assert_eq!((status, code.as_str()), (403, "forbidden"));
        assert!(msg.starts_with("页面已过期"), "{msg}");
    }
    assert_eq!(c.get("/v1/console/session").await.status(), 200, "still signed in");
    // Sign-out with the right header ends this session only.
    assert_eq!(c.send(reqwest::Method::DELETE, "/v1/console/session", None).await.status(), 200);
    let (status, _, msg) = message(c.get("/v1/console/session").await).await;
    assert_eq!(status, 401);
    assert!(msg.contains("重新登录"), "{msg}");
    assert_eq!(other.get("/v1/console/session").await.status(), 200);

    // No session at all.
    let (status, code, _) = message(s.http.get(s.url("/v1/console/session")).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));

    // Field roles are refused with a zh-CN reason, both at sign-in and with a phone's bearer token.
    for user in ["gw1", "lh1"] {
        let (status, code, msg) = message(console_sign_in(&s, user, PASSWORD).await).await;
        assert_eq!((status, code.as_str()), (403, "forbidden"), "{user}");
        assert!(msg.contains("仅供县级、乡镇干部使用"), "{msg}");
        let token = s.token(user).await;
        let resp = s.http.get(s.url("/v1/console/dashboard")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(resp.status(), 403);
    }
    // Wrong password: the phones' answer (and the failure counts toward the same lock-out).
    let (status, code, _) = message(console_sign_in(&s, "ts1", "wrong-password").await).await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));

    // A staff member's phone token works on the console API without cookie or CSRF; it is not ended by the
    // console's sign-out.
    let token = s.token("cs").await;
    let resp = s.http.get(s.url("/v1/console/session")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let resp = s.http.delete(s.url("/v1/console/session")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(s.http.get(s.url("/v1/console/session")).bearer_auth(&token).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn console_dashboard_and_map_are_scoped() {
    let s = common::start().await;
    // One issue in each township, accepted in t1.
    let gw1 = s.token("gw1").await;
    let gw2 = s.token("gw2").await;
    let ts1 = s.token("ts1").await;
    let (i1, i2) = (common::uuid(), common::uuid());
    s.push(&gw1, vec![common::report("gw1", &i1, "h1")]).await;
    s.push(&gw2, vec![common::report("gw2", &i2, "h2")]).await;
    s.push(&ts1, vec![common::event("ts1", &i1, IssueAction::Accept)]).await;

    let county = ConsoleClient::sign_in(&s, "cs").await;
    let d = county.get_json("/v1/console/dashboard").await;
    assert_eq!(d["node"]["id"], "c");
    let ids: Vec<&str> = d["rows"].as_array().unwrap().iter().map(|r| r["node"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["c", "t1", "t2"]);
    let fig = |row: usize, key: &str| d["rows"][row]["figures"].as_array().unwrap().iter().find(|f| f["key"] == key).cloned().unwrap();
    assert_eq!(fig(0, "reported")["value"], 2.0);
    assert_eq!(fig(1, "reported")["value"], 1.0);
    assert_eq!(fig(1, "accepted_on_time")["numerator"], 1);
    assert_eq!(fig(1, "accepted_on_time")["light"], "green");
    assert_eq!(fig(1, "accepted_on_time")["misses"], "accept_late");
    assert_eq!(d["ranking"].as_array().unwrap().len(), 2);
    let weeks = d["weeks"].as_array().unwrap();
    assert!(!weeks.is_empty());
    let reported_by_week: f64 = weeks.iter().map(|w| w["figures"][0]["value"].as_f64().unwrap()).sum();
    assert_eq!(reported_by_week, 2.0, "the weeks add up to the period");

    // The same figures as the measures export (one definition).
    let conn = s.storage.clone();
    let dates = linkage_server::measures::DateRange::parse(d["from"].as_str().unwrap(), d["to"].as_str().unwrap()).unwrap();
    let report = linkage_server::measures::compute(conn.as_ref(), "c", dates, common::now_ms(), &Default::default()).unwrap();
    assert_eq!(fig(2, "reported")["value"], f64::from(report.rows[2].issues.reported));

    // Township staff: its township only; another township's id (or an unknown one) is refused the same way.
    let t1 = ConsoleClient::sign_in(&s, "ts1").await;
    let d = t1.get_json("/v1/console/dashboard").await;
    assert_eq!(d["node"]["id"], "t1");
    assert_eq!(d["rows"].as_array().unwrap().len(), 2, "t1 and its branch b1");
    assert_eq!(t1.get_json("/v1/console/dashboard?node=b1").await["node"]["id"], "b1");
    for path in ["/v1/console/dashboard?node=t2", "/v1/console/dashboard?node=c", "/v1/console/dashboard?node=nope", "/v1/console/map?node=b2"] {
        let (status, code, msg) = message(t1.get(path).await).await;
        assert_eq!((status, code.as_str()), (404, "not_found"), "{path}");
        assert_eq!(msg, "这个单位不存在，或不在您的管辖范围内 / not found or not in your scope");
        assert!(!msg.contains("t2") && !msg.contains("节点"), "nothing about the node leaks: {msg}");
    }
    let (status, _, msg) = message(t1.get("/v1/console/dashboard?from=2026-02-30").await).await;
    assert_eq!(status, 400);
    assert!(msg.contains("日期"), "{msg}");

    // The map: t1's household and its open issue, nothing of t2.
    let m = t1.get_json("/v1/console/map").await;
    assert_eq!(m["households"].as_array().unwrap().len(), 1);
    assert_eq!(m["households"][0][0], 109.8);
    let issues: Vec<&str> = m["issues"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(issues, [i1.as_str()]);
    let m = county.get_json("/v1/console/map").await;
    assert_eq!(m["households"].as_array().unwrap().len(), 2);
    assert_eq!(m["issues"].as_array().unwrap().len(), 2);
    let t2 = m["areas"].as_array().unwrap().iter().find(|a| a["node"]["id"] == "t2").unwrap();
    assert_eq!((t2["households"].as_u64(), t2["open_issues"].as_u64()), (Some(1), Some(1)));
}

#[tokio::test]
async fn console_files_and_not_built_page() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("assets")).unwrap();
    std::fs::write(dir.path().join("index.html"), "<!doctype html><title>控制台</title>").unwrap();
    std::fs::write(dir.path().join("assets/index-AbC123.js"), "console.log(1)").unwrap();
    let config = linkage_server::api::Config {
        console: linkage_server::console::ConsoleConfig { dir: Some(dir.path().to_path_buf()), tile_url: None },
        ..Default::default()
    };
    let s = common::start_with_config(config).await;
    let get = |p: &str| s.http.get(s.url(p)).send();
    let r = get("/console/assets/index-AbC123.js").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    for page in ["/console/", "/console/dashboard", "/console/issues?node=t1&light=red"] {
        let r = get(page).await.unwrap();
        assert_eq!(r.status(), 200, "{page}");
        assert_eq!(r.headers()["cache-control"], "no-cache");
        assert!(r.text().await.unwrap().contains("控制台"));
    }
    assert_eq!(get("/console/assets/gone-1.js").await.unwrap().status(), 404);
    // Not built: a zh-CN page that says how.
    let s = common::start().await;
    let r = s.http.get(s.url("/console/")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("网页控制台尚未构建"));
}

/// Review mend (#14 bad input): every console module answers an id outside the caller's scope exactly as an id
/// that does not exist — one `404 not_found` with the same words (`staff::out_of_scope`) — for nodes in any
/// query, issues, households and directives alike, so a township cannot probe which ids exist elsewhere.
#[tokio::test]
async fn console_out_of_scope_and_unknown_ids_get_one_answer_in_every_module() {
    let s = common::start().await;
    let gw2 = s.token("gw2").await;
    let i2 = common::uuid();
    s.push(&gw2, vec![common::report("gw2", &i2, "h2")]).await;
    let ts2 = ConsoleClient::sign_in(&s, "ts2").await;
    let d2 = common::uuid();
    let body = serde_json::json!({ "op_id": d2, "kind": "notice", "title": "通知", "body": "今晚停电。", "target_node_id": "t2", "photos": [] });
    let resp = ts2.send(reqwest::Method::POST, "/v1/console/directives", Some(body)).await;
    assert_eq!(resp.status(), 200);
    let directive: Value = resp.json().await.unwrap();
    assert_eq!(directive["answer"]["outcome"], "applied", "{directive}");

    let t1 = ConsoleClient::sign_in(&s, "ts1").await;
    let (issue, assignees, dir, tree) =
        (format!("/v1/console/issues/{i2}"), format!("/v1/console/issues/{i2}/assignees"), format!("/v1/console/directives/{d2}"), format!("/v1/console/directives/{d2}/tree"));
    let paths: [(&str, &str, &str); 10] = [
        // (exists in t2, does not exist anywhere), and the noun the answer names.
        ("/v1/console/dashboard?node=t2", "/v1/console/dashboard?node=t9", "这个单位"),
        ("/v1/console/map?node=t2", "/v1/console/map?node=t9", "这个单位"),
        ("/v1/console/issues?township=t2", "/v1/console/issues?township=t9", "这个单位"),
        ("/v1/console/households?node=t2", "/v1/console/households?node=t9", "这个单位"),
        ("/v1/console/measures/export?node=t2&from=2026-10-01&to=2026-10-31", "/v1/console/measures/export?node=t9&from=2026-10-01&to=2026-10-31", "这个单位"),
        (&issue, "/v1/console/issues/no-such-issue", "这件诉求"),
        (&assignees, "/v1/console/issues/no-such-issue/assignees", "这件诉求"),
        ("/v1/console/households/h2", "/v1/console/households/h9", "这一户"),
        (&dir, "/v1/console/directives/no-such-directive", "这条指令"),
        (&tree, "/v1/console/directives/no-such-directive/tree", "这条指令"),
    ];
    for (elsewhere, unknown, noun) in paths {
        let a = message(t1.get(elsewhere).await).await;
        let b = message(t1.get(unknown).await).await;
        assert_eq!(a, b, "{elsewhere} and {unknown} answer alike");
        assert_eq!((a.0, a.1.as_str()), (404, "not_found"), "{elsewhere}");
        assert_eq!(a.2, format!("{noun}不存在，或不在您的管辖范围内 / not found or not in your scope"));
    }
    // An action on an issue elsewhere: the same answer, and nothing is written.
    let act = serde_json::json!({ "op_id": common::uuid(), "action": { "type": "supervise", "level": "red", "note": "" } });
    let a = message(t1.send(reqwest::Method::POST, &format!("/v1/console/issues/{i2}/actions"), Some(act.clone())).await).await;
    let b = message(t1.send(reqwest::Method::POST, "/v1/console/issues/no-such-issue/actions", Some(act)).await).await;
    assert_eq!(a, b);
    assert_eq!(a.0, 404);
    // The county sees all of them.
    let county = ConsoleClient::sign_in(&s, "cs").await;
    assert_eq!(county.get(&format!("/v1/console/issues/{i2}")).await.status(), 200);
    assert_eq!(county.get("/v1/console/households/h2").await.status(), 200);
    assert_eq!(county.get(&format!("/v1/console/directives/{d2}")).await.status(), 200);

    // The ledger's "visited within the cadence" filter splits the area; the household page pages its issues.
    let total = |v: Value| v["total"].as_u64().unwrap();
    let all = total(county.get_json("/v1/console/households").await);
    let not_visited = total(county.get_json("/v1/console/households?visited=false").await);
    let visited = total(county.get_json("/v1/console/households?visited=true").await);
    assert_eq!((visited + not_visited, all), (all, 2), "no visits yet: both households unvisited");
    assert_eq!(not_visited, 2);
    let h2 = county.get_json("/v1/console/households/h2?issues_page=1&page_size=1").await;
    assert_eq!((h2["issues_total"].as_u64(), h2["issues"].as_array().unwrap().len(), h2["visits_total"].as_u64()), (Some(1), 1, Some(0)));
    assert_eq!(county.get_json("/v1/console/households/h2?issues_page=2&page_size=1").await["issues"].as_array().unwrap().len(), 0);
    assert_eq!(county.get("/v1/console/households/h2?page_size=0").await.status(), 400);
}
