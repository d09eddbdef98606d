//! The fixture county and an HTTP client for the server under test.

use std::sync::Arc;

use linkage_protocol::model::{GpsFix, IssueCategory, OrgLevel, RiskLevel, Role, Urgency};
use linkage_protocol::sync::{paths, PullResponse, PushRequest, PushResponse, SignInRequest, SignInResponse};
use linkage_protocol::wire::{BundleHousehold, BundleNode, IssueAction, IssueEvent, IssueReport, OpBody, Operation};
use linkage_server::import::{self, Sourced};
use linkage_server::storage::{NewUser, Storage};

pub const PASSWORD: &str = "password-1";

/// A running server over a fixture county:
/// c (county) ─ t1 ─ b1 ─ g1 ─ h1 (35.5, 109.8)      users cs, ts1, gw1, lh1
///            └ t2 ─ b2 ─ g2 ─ h2                     users ts2, gw2, lh2
pub struct TestServer {
    pub base: String,
    pub storage: Arc<dyn Storage>,
    pub http: reqwest::Client,
    /// The data directory (the measures export reads the database file in it).
    pub dir: tempfile::TempDir,
    /// The test's own PostgreSQL database (`LINKAGE_TEST_DATABASE` set), else `None` (SQLite in `dir`).
    pub database: Option<String>,
}

pub fn node(id: &str, parent: Option<&str>, level: OrgLevel, code: &str) -> Sourced<BundleNode> {
    Sourced {
        origin: id.into(),
        item: BundleNode { id: id.into(), parent_id: parent.map(Into::into), level, name: format!("节点{id}"), code: code.into(), boundary: vec![] },
    }
}

/// A fixture household (phone on file, 低保, medium risk).
pub fn household(id: &str, group: &str, lat: f64, lon: f64) -> Sourced<BundleHousehold> {
    Sourced {
        origin: id.into(),
        item: BundleHousehold {
            id: id.into(),
            group_id: group.into(),
            head_name: "王秀英".into(),
            members: 3,
            phone: Some("13812345678".into()),
            id_number: None,
            address: "一组1号".into(),
            lat: Some(lat),
            lon: Some(lon),
            tags: vec!["低保".into()],
            risk_level: RiskLevel::Medium,
            county_contact: false,
        },
    }
}

pub async fn start() -> TestServer {
    start_with(vec![household("h1", "g1", 35.5, 109.8), household("h2", "g2", 35.6, 109.9)]).await
}

/// The fixture county's nodes and users with these households.
pub async fn start_with(households: Vec<Sourced<BundleHousehold>>) -> TestServer {
    start_configured(households, linkage_server::api::Config::default()).await
}

/// [`start`] with these API limits.
pub async fn start_with_config(config: linkage_server::api::Config) -> TestServer {
    start_configured(vec![household("h1", "g1", 35.5, 109.8), household("h2", "g2", 35.6, 109.9)], config).await
}

async fn start_configured(households: Vec<Sourced<BundleHousehold>>, config: linkage_server::api::Config) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let (storage, database) = linkage_server::storage::open_for_test(dir.path());
    let nodes = vec![
        node("c", None, OrgLevel::County, "610631000000"),
        node("t1", Some("c"), OrgLevel::Township, "610631101000"),
        node("t2", Some("c"), OrgLevel::Township, "610631102000"),
        node("b1", Some("t1"), OrgLevel::Branch, "610631101201"),
        node("b2", Some("t2"), OrgLevel::Branch, "610631102201"),
        node("g1", Some("b1"), OrgLevel::Group, "61063110120101"),
        node("g2", Some("b2"), OrgLevel::Group, "61063110220101"),
    ];
    import::import_rows(storage.as_ref(), nodes, households).unwrap();
    let hash = linkage_server::auth::hash_password(PASSWORD).unwrap();
    for (id, role, node) in [
        ("cs", Role::CountyStaff, "c"),
        ("ts1", Role::TownshipStaff, "t1"),
        ("ts2", Role::TownshipStaff, "t2"),
        ("gw1", Role::GridWorker, "b1"),
        ("gw2", Role::GridWorker, "b2"),
        ("lh1", Role::LiaisonHead, "g1"),
        ("lh2", Role::LiaisonHead, "g2"),
    ] {
        storage
            .put_user(&NewUser { id: id.into(), name: format!("用户{id}"), role, node_id: node.into(), password_hash: hash.clone() })
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = linkage_server::api::router_with_config(storage.clone(), config);
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap()
    });
    TestServer { base, storage, http: reqwest::Client::new(), dir, database }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn sign_in_raw(&self, user: &str, password: &str, device: &str) -> reqwest::Response {
        let req = SignInRequest { user_id: user.into(), password: password.into(), device_id: device.into(), device_name: "测试机".into(), device_secret: String::new() };
        self.http.post(self.url(paths::SIGN_IN)).json(&req).send().await.unwrap()
    }

    /// Signs `user` in on device `dev-<user>` and returns the token.
    pub async fn token(&self, user: &str) -> String {
        let resp = self.sign_in_raw(user, PASSWORD, &format!("dev-{user}")).await;
        assert_eq!(resp.status(), 200);
        resp.json::<SignInResponse>().await.unwrap().token
    }

    pub async fn push(&self, token: &str, ops: Vec<Operation>) -> PushResponse {
        let resp = self.http.post(self.url(paths::PUSH)).bearer_auth(token).json(&PushRequest { ops }).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    pub async fn pull(&self, token: &str, after: i64, limit: u32) -> PullResponse {
        let resp = self.http.get(self.url(&format!("{}?after={after}&limit={limit}", paths::PULL))).bearer_auth(token).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }
}

pub fn uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// (role, node) of the fixture users.
pub fn who(user: &str) -> (Role, &'static str) {
    match user {
        "cs" => (Role::CountyStaff, "c"),
        "ts1" => (Role::TownshipStaff, "t1"),
        "ts2" => (Role::TownshipStaff, "t2"),
        "gw1" => (Role::GridWorker, "b1"),
        "gw2" => (Role::GridWorker, "b2"),
        "lh1" => (Role::LiaisonHead, "g1"),
        "lh2" => (Role::LiaisonHead, "g2"),
        other => panic!("unknown fixture user {other}"),
    }
}

/// An issue event op by a fixture user (op id = event id, as the phone does).
pub fn event(user: &str, issue_id: &str, action: IssueAction) -> Operation {
    let (role, node) = who(user);
    event_by(user, role, node, issue_id, action)
}

/// An issue event op by any user, given its role and node (for users the fixture does not know).
pub fn event_by(user: &str, role: Role, node: &str, issue_id: &str, action: IssueAction) -> Operation {
    let id = uuid();
    let at = now_ms();
    let hlc = linkage_protocol::hlc::Hlc { wall_ms: at, counter: 0 }.encode("test");
    Operation {
        op_id: id.clone(),
        hlc: hlc.clone(),
        body: OpBody::IssueEvent(IssueEvent {
            event_id: id,
            issue_id: issue_id.into(),
            actor_id: user.into(),
            actor_role: role,
            actor_node_id: node.into(),
            actor_name: None,
            hlc,
            at_ms: at,
            action,
        }),
    }
}

/// A report about household h1 (t1) or h2 (t2).
pub fn report(user: &str, issue_id: &str, household: &str) -> Operation {
    let (group, path, owner) = match household {
        "h1" => ("g1", "/c/t1/b1/g1/h1/", "t1"),
        "h2" => ("g2", "/c/t2/b2/g2/h2/", "t2"),
        other => panic!("unknown household {other}"),
    };
    event(
        user,
        issue_id,
        IssueAction::Report(IssueReport {
            category: IssueCategory::LivelihoodAid,
            urgency: Urgency::Urgent,
            title: "冬季取暖困难".into(),
            description: "家中煤炭不足".into(),
            node_id: group.into(),
            path: path.into(),
            household_id: Some(household.into()),
            owner_node_id: owner.into(),
            location: Some(GpsFix { lat: 35.5, lon: 109.8, accuracy_m: 10.0, fix_time_ms: now_ms(), mocked: false }),
            evidence: vec![],
        }),
    )
}

/// True (and the test should return) when the suite runs on PostgreSQL and this test reads or writes the
/// SQLite file itself (`why`): such a test proves a SQLite-only matter.
pub fn sqlite_only(why: &str) -> bool {
    let pg = linkage_server::storage::testing_postgres();
    if pg {
        eprintln!("skipped on PostgreSQL: {why}");
    }
    pg
}
