//! The village branch (支部组织, ADR 0008): a liaison head's report that lands at the branch by the county's
//! intake setting is accepted, assigned within the village, settled and verified by the branch secretary — or
//! escalated to the township — and the server judges every step with the shared lifecycle rules.

use linkage_protocol::model::{GpsFix, IssueCategory, IssueState, Role, Satisfaction, SupervisionLevel, Urgency};
use linkage_protocol::rules::intake::{IntakeLevel, IntakePolicy};
use linkage_protocol::sync::{OpOutcome, RejectCode};
use linkage_protocol::wire::{CountyConfig, IssueAction, IssueEvent, IssueReport, OpBody, Operation};
use linkage_server::storage::NewUser;

use crate::common::*;

fn code(o: &OpOutcome) -> Option<RejectCode> {
    match o {
        OpOutcome::Rejected { code, .. } => Some(*code),
        _ => None,
    }
}

/// The fixture county with a branch secretary in each village (bs1 at b1, bs2 at b2) and the intake setting.
async fn village(intake: Option<IntakeLevel>) -> TestServer {
    let s = start().await;
    let hash = linkage_server::auth::hash_password(PASSWORD).unwrap();
    for (id, node) in [("bs1", "b1"), ("bs2", "b2")] {
        let user = NewUser { id: id.into(), name: format!("支书{id}"), role: Role::BranchSecretary, node_id: node.into(), password_hash: hash.clone() };
        s.storage.put_user(&user).unwrap();
    }
    if let Some(level) = intake {
        let config = CountyConfig { intake: Some(IntakePolicy { liaison_reports: level }), ..CountyConfig::default() };
        s.storage.set_county_config(&config, now_ms()).unwrap();
    }
    s
}

/// An event by any user (the fixture's `event` knows only the fixture users).
fn ev(user: &str, role: Role, node: &str, issue_id: &str, action: IssueAction) -> Operation {
    event_by(user, role, node, issue_id, action)
}

fn bs1(issue: &str, action: IssueAction) -> Operation {
    ev("bs1", Role::BranchSecretary, "b1", issue, action)
}

/// A neighbour dispute (邻里纠纷) about h1 reported by `user` with `owner` as its first owner.
fn dispute(user: &str, issue: &str, owner: &str) -> Operation {
    let (role, node) = who(user);
    ev(
        user,
        role,
        node,
        issue,
        IssueAction::Report(IssueReport {
            category: IssueCategory::Dispute,
            urgency: Urgency::Normal,
            title: "邻里纠纷：宅基地边界".into(),
            description: "两户因院墙位置争吵".into(),
            node_id: "g1".into(),
            path: "/c/t1/b1/g1/h1/".into(),
            household_id: Some("h1".into()),
            owner_node_id: owner.into(),
            location: Some(GpsFix { lat: 35.5, lon: 109.8, accuracy_m: 10.0, fix_time_ms: now_ms(), mocked: false }),
            evidence: vec![],
        }),
    )
}

/// The issue as the server's feed tells it (its applied events folded in feed order).
async fn issue(s: &TestServer, token: &str, id: &str) -> (linkage_protocol::rules::lifecycle::IssueProjection, usize) {
    let pulled = s.pull(token, 0, 1000).await;
    let events: Vec<&IssueEvent> = pulled
        .changes
        .iter()
        .filter_map(|c| match &c.op.body {
            OpBody::IssueEvent(e) if e.issue_id == id => Some(e),
            _ => None,
        })
        .collect();
    let (p, skipped) = linkage_protocol::rules::lifecycle::fold_ordered(&events).expect("the issue is in the feed");
    assert!(skipped.is_empty());
    (p, events.len())
}

async fn one(s: &TestServer, token: &str, op: Operation) -> OpOutcome {
    s.push(token, vec![op]).await.results.remove(0).outcome
}

#[tokio::test]
async fn the_branch_accepts_assigns_in_the_village_settles_and_verifies() {
    let s = village(Some(IntakeLevel::Branch)).await;
    let (lh, bs, gw, ts, bs2) = (s.token("lh1").await, s.token("bs1").await, s.token("gw1").await, s.token("ts1").await, s.token("bs2").await);
    // Only a legal first owner: the branch or the township on the path, never the group or another village.
    assert_eq!(code(&one(&s, &lh, dispute("lh1", "d-bad", "g1")).await), Some(RejectCode::InvalidInput));
    assert_eq!(code(&one(&s, &lh, dispute("lh1", "d-bad2", "b2")).await), Some(RejectCode::InvalidInput));
    assert_eq!(code(&one(&s, &gw, dispute("gw1", "d-gw", "b1")).await), Some(RejectCode::InvalidInput), "a grid worker's report goes to the township");
    assert_eq!(one(&s, &lh, dispute("lh1", "d1", "b1")).await, OpOutcome::Applied);

    // The township is above the owner: it may not triage the branch's issue, only supervise it.
    assert_eq!(code(&one(&s, &ts, event("ts1", "d1", IssueAction::Accept)).await), Some(RejectCode::NotPermitted));
    // The neighbouring village's secretary does not see it.
    let other = ev("bs2", Role::BranchSecretary, "b2", "d1", IssueAction::Accept);
    assert_eq!(code(&one(&s, &bs2, other).await), Some(RejectCode::OutOfScope));
    // A grid worker of the village is not the owner.
    assert_eq!(code(&one(&s, &gw, event("gw1", "d1", IssueAction::Accept)).await), Some(RejectCode::NotPermitted));

    assert_eq!(one(&s, &bs, bs1("d1", IssueAction::Accept)).await, OpOutcome::Applied);
    // Assigned within the village only: not to the township's staff.
    let to_township = bs1("d1", IssueAction::Assign { assignee_id: "ts1".into() });
    assert_eq!(code(&one(&s, &bs, to_township).await), Some(RejectCode::NotPermitted));
    assert_eq!(one(&s, &bs, bs1("d1", IssueAction::Assign { assignee_id: "gw1".into() })).await, OpOutcome::Applied);
    let supervise = event("ts1", "d1", IssueAction::Supervise { level: SupervisionLevel::Yellow, note: "尽快调解".into() });
    assert_eq!(one(&s, &ts, supervise).await, OpOutcome::Applied, "the township supervises from above");
    assert_eq!(one(&s, &gw, event("gw1", "d1", IssueAction::Start)).await, OpOutcome::Applied);
    let settle = event("gw1", "d1", IssueAction::Resolve { note: "村调解委员会调解，双方签订协议".into(), evidence: vec![] });
    assert_eq!(one(&s, &gw, settle).await, OpOutcome::Applied);
    // 回访: the township may not verify the branch's settlement; the secretary does.
    let verify = |user: &str| IssueAction::Verify { satisfaction: Satisfaction::Satisfied, note: format!("{user} 回访") };
    assert_eq!(code(&one(&s, &ts, event("ts1", "d1", verify("ts1"))).await), Some(RejectCode::NotPermitted));
    assert_eq!(one(&s, &bs, bs1("d1", verify("bs1"))).await, OpOutcome::Applied);

    // The secretary's feed carries the whole story (scope: the village): settled and closed at the branch.
    let (p, events) = issue(&s, &bs, "d1").await;
    assert_eq!((p.state, p.owner_node_id.as_str(), p.escalation_count), (IssueState::Closed, "b1", 0));
    assert_eq!((p.satisfaction, p.supervision), (Some(Satisfaction::Satisfied), Some(SupervisionLevel::Yellow)));
    assert_eq!(events, 7, "report, accept, assign, supervise, start, resolve, verify");
    // 支部办结: counted at the branch's township row and in the county's total, by the projection rows and from
    // the events alike (the export's two ways).
    let conn = s.storage.clone();
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).format("%Y-%m-%d").to_string();
    let dates = || linkage_server::measures::DateRange::parse(&today, &today).unwrap();
    let policy = linkage_server::measures::MeasuresPolicy::default();
    for report in [
        linkage_server::measures::compute(conn.as_ref(), "c", dates(), now_ms(), &policy).unwrap(),
        linkage_server::measures::compute_from_events(conn.as_ref(), "c", dates(), now_ms(), &policy).unwrap(),
    ] {
        let row = |node: &str| report.rows.iter().find(|r| r.node.id == node).unwrap().issues.settled_at_branch;
        assert_eq!((row("c"), row("t1"), row("t2")), (1, 1, 0));
    }
}

#[tokio::test]
async fn the_branch_escalates_to_the_township_which_then_owns_it() {
    let s = village(Some(IntakeLevel::Branch)).await;
    let (lh, bs, ts) = (s.token("lh1").await, s.token("bs1").await, s.token("ts1").await);
    assert_eq!(one(&s, &lh, dispute("lh1", "d2", "b1")).await, OpOutcome::Applied);
    assert_eq!(one(&s, &bs, bs1("d2", IssueAction::Accept)).await, OpOutcome::Applied);
    let wrong = bs1("d2", IssueAction::Escalate { reason: "调解不成".into(), to_node_id: "c".into() });
    assert_eq!(code(&one(&s, &bs, wrong).await), Some(RejectCode::InvalidInput), "上报乡镇: only to the branch's parent");
    let up = bs1("d2", IssueAction::Escalate { reason: "调解不成，需乡镇司法所介入".into(), to_node_id: "t1".into() });
    assert_eq!(one(&s, &bs, up).await, OpOutcome::Applied);
    let (p, _) = issue(&s, &ts, "d2").await;
    assert_eq!((p.owner_node_id.as_str(), p.state, p.escalation_count), ("t1", IssueState::Accepted, 1));
    assert_eq!(code(&one(&s, &bs, bs1("d2", IssueAction::Assign { assignee_id: "gw1".into() })).await), Some(RejectCode::NotPermitted));
    assert_eq!(one(&s, &ts, event("ts1", "d2", IssueAction::Assign { assignee_id: "bs1".into() })).await, OpOutcome::Applied, "the township may give it back to the secretary to work");
}

#[tokio::test]
async fn by_default_reports_land_at_the_township_and_a_stale_phone_is_not_quarantined() {
    let s = village(None).await;
    let (lh, bs, ts) = (s.token("lh1").await, s.token("bs1").await, s.token("ts1").await);
    assert_eq!(one(&s, &lh, dispute("lh1", "d3", "t1")).await, OpOutcome::Applied);
    assert_eq!(code(&one(&s, &bs, bs1("d3", IssueAction::Accept)).await), Some(RejectCode::NotPermitted));
    assert_eq!(one(&s, &ts, event("ts1", "d3", IssueAction::Accept)).await, OpOutcome::Applied);
    // A phone that still held the branch setting when it reported offline: the report is kept, at the branch.
    assert_eq!(one(&s, &lh, dispute("lh1", "d4", "b1")).await, OpOutcome::Applied);
    assert_eq!(one(&s, &bs, bs1("d4", IssueAction::Accept)).await, OpOutcome::Applied);
}

#[tokio::test]
async fn the_sweep_flags_an_overdue_issue_at_the_branch_as_the_branch_level() {
    let s = village(Some(IntakeLevel::Branch)).await;
    let (lh, bs) = (s.token("lh1").await, s.token("bs1").await);
    assert_eq!(one(&s, &lh, dispute("lh1", "d5", "b1")).await, OpOutcome::Applied);
    // Nobody accepts it: weeks later the sweep marks the accept step overdue, acting at the branch.
    let flagged = s.storage.sweep_overdue(now_ms() + 30 * 86_400_000, &linkage_protocol::rules::sla::SlaRules::china_default()).unwrap();
    assert_eq!(flagged, 1);
    let pulled = s.pull(&bs, 0, 1000).await;
    let mark = pulled
        .changes
        .iter()
        .find_map(|c| match &c.op.body {
            OpBody::IssueEvent(e) if e.issue_id == "d5" && matches!(e.action, IssueAction::MarkOverdue { .. }) => Some(e.clone()),
            _ => None,
        })
        .expect("the overdue mark reaches the secretary");
    assert_eq!((mark.actor_role, mark.actor_node_id.as_str()), (Role::BranchSecretary, "b1"));
    let (p, _) = issue(&s, &bs, "d5").await;
    assert!(p.overdue_step.is_some() && p.state == IssueState::Reported);
}
