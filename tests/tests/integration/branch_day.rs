//! Branch day (支部组织, ADR 0008): with the county's intake setting on, a liaison head's report of a neighbour
//! dispute (邻里纠纷) lands at the village branch; the branch secretary (支部书记) accepts it, assigns it to the
//! village's grid worker, who settles it (办结); the secretary's return visit (回访) with the resident's
//! satisfaction closes it — and the township's triage queue never shows it. Real phones (`FieldApp`) against
//! the real server on loopback; every step goes through the core's action specs, as a shell would.

use linkage_core::actions::{ActionForm, Home, IssueFilter};
use linkage_core::api::*;
use linkage_protocol::rules::intake::{IntakeLevel, IntakePolicy};
use linkage_protocol::wire::CountyConfig;
use linkage_server::storage::NewUser;

use crate::server::*;

const DAY: i64 = 86_400_000;

/// The township's whole queue (every filter's union is `All`): the ids it shows.
fn township_queue(ts: &SyncPhone) -> Vec<String> {
    ts.app.issue_queue(IssueFilter::All, 0, 100).unwrap().items.into_iter().map(|i| i.id).collect()
}

/// Takes `kind` through the button the core offers the user now (refused if the core does not offer it).
fn act(phone: &SyncPhone, issue: &str, kind: IssueActionKind, form: ActionForm) -> IssueSummary {
    let detail = phone.app.issue(issue.into()).unwrap();
    assert!(detail.actions.iter().any(|a| a.kind == kind), "{kind:?} not offered: {:?}", detail.allowed_actions);
    phone.app.perform_action(issue.into(), kind, form).unwrap()
}

/// The fixture county's server with a branch secretary `bs` at b1 and liaison heads' reports sent to the branch.
fn village_server() -> TestServer {
    let server = TestServer::start();
    let hash = linkage_server::auth::hash_password(PASSWORD).unwrap();
    let secretary = NewUser { id: "bs".into(), name: "李支书".into(), role: Role::BranchSecretary, node_id: "b1".into(), password_hash: hash };
    server.storage().put_user(&secretary).unwrap();
    let intake = CountyConfig { intake: Some(IntakePolicy { liaison_reports: IntakeLevel::Branch }), ..CountyConfig::default() };
    server.storage().set_county_config(&intake, now_ms()).unwrap();
    server
}

#[test]
fn branch_day_a_neighbour_dispute_is_settled_in_the_village() {
    let rt = runtime();
    let server = village_server();
    let url = server.url();
    rt.block_on(async {
        let day_start = now_ms() - DAY;
        let lh = connected_phone(&url, "lh").await;
        let bs = connected_phone(&url, "bs").await;
        let gw = connected_phone(&url, "gw").await;
        let ts = connected_phone(&url, "ts").await;
        let session = bs.app.session().unwrap();
        assert_eq!((session.role, session.role_label.as_str(), session.capabilities.home), (Role::BranchSecretary, "支部书记", Home::Branch));

        // 联户长 reports the dispute from the household; it lands at the branch, not the township.
        let draft = IssueDraft {
            category: IssueCategory::Dispute,
            urgency: Urgency::Normal,
            title: "邻里纠纷：两户为宅基地院墙争吵".into(),
            description: "王家新砌院墙占了李家半米，两家吵了几次".into(),
            household_id: Some("h1".into()),
            node_id: None,
            location: None,
            evidence: vec![],
            client_op_id: None,
        };
        let dispute = lh.app.report_issue(draft).unwrap();
        assert_eq!(dispute.owner_node_id, "b1", "the county sends liaison heads' reports to the branch");
        lh.app.sync(None).await.unwrap();

        // The secretary's home queue shows it as new; the township's queue does not.
        bs.app.sync(None).await.unwrap();
        ts.app.sync(None).await.unwrap();
        let new = bs.app.issue_queue(IssueFilter::New, 0, 10).unwrap();
        assert_eq!(new.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), [dispute.id.as_str()]);
        assert!(!township_queue(&ts).contains(&dispute.id));
        let township_view = ts.app.issue(dispute.id.clone()).unwrap();
        assert!(township_view.actions.iter().all(|a| a.kind == IssueActionKind::Supervise), "the township only supervises: {:?}", township_view.allowed_actions);

        // 受理, then 交办 to a person the core offers: the village's own people only.
        act(&bs, &dispute.id, IssueActionKind::Accept, ActionForm::default());
        let people: Vec<String> = bs.app.assignee_candidates(dispute.id.clone()).unwrap().into_iter().map(|p| p.user_id).collect();
        assert!(people.contains(&"gw".to_string()) && !people.contains(&"ts".to_string()), "{people:?}");
        act(&bs, &dispute.id, IssueActionKind::Assign, ActionForm { person_id: Some("gw".into()), ..ActionForm::default() });
        bs.app.sync(None).await.unwrap();

        // The grid worker mediates and settles it (办结).
        gw.app.sync(None).await.unwrap();
        assert!(gw.app.assigned_to_me(0, 10).unwrap().items.iter().any(|i| i.id == dispute.id));
        act(&gw, &dispute.id, IssueActionKind::Start, ActionForm::default());
        let settle = ActionForm { text: "村调解委员会当面调解，院墙退回原址，双方签了调解协议".into(), ..ActionForm::default() };
        assert_eq!(act(&gw, &dispute.id, IssueActionKind::Resolve, settle).state, IssueState::Resolved);
        gw.app.sync(None).await.unwrap();

        // 回访: the secretary asks the resident and records the satisfaction; the issue is closed at the branch.
        bs.app.sync(None).await.unwrap();
        assert!(bs.app.issue_queue(IssueFilter::ToVerify, 0, 10).unwrap().items.iter().any(|i| i.id == dispute.id));
        let verify = ActionForm { choice: Some("satisfied".into()), text: "两家都满意".into(), ..ActionForm::default() };
        let closed = act(&bs, &dispute.id, IssueActionKind::Verify, verify);
        assert_eq!((closed.state, closed.satisfaction, closed.escalation_count), (IssueState::Closed, Some(Satisfaction::Satisfied), 0));
        bs.app.sync(None).await.unwrap();
        assert_eq!(bs.app.outbox_status().unwrap().pending, 0);

        // The township saw it at no step of the day, and knows it closed in the village.
        ts.app.sync(None).await.unwrap();
        assert!(!township_queue(&ts).contains(&dispute.id));
        let seen = ts.app.issue(dispute.id.clone()).unwrap().summary;
        assert_eq!((seen.state, seen.owner_node_id.as_str()), (IssueState::Closed, "b1"));
        // Measures count it at the branch and roll it up: the township's row for b1 and its own total.
        let m = ts.app.measures(day_start, now_ms() + DAY).unwrap();
        let branch = m.by_child.iter().find(|c| c.node_id == "b1").expect("a row for the branch");
        assert_eq!((branch.issues.reported, branch.issues.satisfied.numerator, branch.issues.satisfied.denominator), (1, 1, 1));
        assert_eq!((m.issues.reported, m.issues.satisfied.numerator), (1, 1));
        assert_eq!((branch.issues.settled_at_branch, m.issues.settled_at_branch), (1, 1), "支部办结");
    });
}

/// What the village cannot settle goes up: the secretary's 上报乡镇 puts the issue in the township's queue (the
/// township now owns it) and out of the branch's.
#[test]
fn what_the_branch_cannot_settle_reaches_the_township_queue() {
    let rt = runtime();
    let server = village_server();
    let url = server.url();
    rt.block_on(async {
        let lh = connected_phone(&url, "lh").await;
        let bs = connected_phone(&url, "bs").await;
        let ts = connected_phone(&url, "ts").await;
        let draft = IssueDraft {
            category: IssueCategory::Dispute,
            urgency: Urgency::Urgent,
            title: "土地承包纠纷：两组争一块地".into(),
            description: "涉及两个村民小组，村里调解不成".into(),
            household_id: Some("h1".into()),
            node_id: None,
            location: None,
            evidence: vec![],
            client_op_id: None,
        };
        let issue = lh.app.report_issue(draft).unwrap();
        lh.app.sync(None).await.unwrap();
        bs.app.sync(None).await.unwrap();
        act(&bs, &issue.id, IssueActionKind::Accept, ActionForm::default());
        let up = act(&bs, &issue.id, IssueActionKind::Escalate, ActionForm { text: "调解不成，需乡镇司法所介入".into(), ..ActionForm::default() });
        assert_eq!((up.owner_node_id.as_str(), up.state, up.escalation_count), ("t1", IssueState::Accepted, 1));
        assert!(bs.app.issue_queue(IssueFilter::All, 0, 10).unwrap().items.iter().all(|i| i.id != issue.id), "out of the branch's queue");
        bs.app.sync(None).await.unwrap();
        ts.app.sync(None).await.unwrap();
        assert!(township_queue(&ts).contains(&issue.id), "in the township's queue");
        let offered: Vec<IssueActionKind> = ts.app.issue(issue.id.clone()).unwrap().actions.into_iter().map(|a| a.kind).collect();
        assert!(offered.contains(&IssueActionKind::Assign), "{offered:?}");
    });
}
