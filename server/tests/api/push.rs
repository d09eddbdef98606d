//! Push: idempotency by op id, conflicts, the lifecycle rules per op in a batch, compressed bodies, paging.

use std::io::Write;

use linkage_protocol::model::{GpsFix, OnSiteVerdict, OrgLevel, Role, Satisfaction, VisitKind};
use linkage_server::storage::NewUser;
use linkage_protocol::sync::{paths, OpOutcome, PushRequest, PushResponse, RejectCode};
use linkage_protocol::wire::{IssueAction, OpBody, Visit};

use crate::common::*;

fn rejected(o: &OpOutcome) -> Option<RejectCode> {
    match o {
        OpOutcome::Rejected { code, .. } => Some(*code),
        _ => None,
    }
}

#[tokio::test]
async fn same_op_twice_is_duplicate_and_a_changed_body_conflicts() {
    let s = start().await;
    let lh1 = s.token("lh1").await;
    let op = report("lh1", "issue-1", "h1");
    let r = s.push(&lh1, vec![op.clone()]).await;
    assert_eq!(r.results[0].outcome, OpOutcome::Applied);
    let r = s.push(&lh1, vec![op.clone()]).await;
    assert_eq!(r.results[0].outcome, OpOutcome::Duplicate);
    // Twice in one batch: the second is the duplicate.
    let again = report("lh1", "issue-2", "h1");
    let r = s.push(&lh1, vec![again.clone(), again]).await;
    assert_eq!([r.results[0].outcome.clone(), r.results[1].outcome.clone()], [OpOutcome::Applied, OpOutcome::Duplicate]);
    let mut changed = op.clone();
    if let OpBody::IssueEvent(e) = &mut changed.body {
        e.at_ms -= 1;
    }
    let r = s.push(&lh1, vec![changed]).await;
    assert_eq!(rejected(&r.results[0].outcome), Some(RejectCode::Conflict));
    assert_eq!(s.pull(&lh1, 0, 100).await.changes.len(), 2);
}

#[tokio::test]
async fn illegal_transition_is_rejected_and_the_batch_goes_on() {
    let s = start().await;
    let (lh1, ts1, gw1) = (s.token("lh1").await, s.token("ts1").await, s.token("gw1").await);
    assert_eq!(s.push(&lh1, vec![report("lh1", "i1", "h1")]).await.results[0].outcome, OpOutcome::Applied);
    let r = s.push(&ts1, vec![event("ts1", "i1", IssueAction::Accept), event("ts1", "i1", IssueAction::Assign { assignee_id: "gw1".into() })]).await;
    assert!(r.results.iter().all(|x| x.outcome == OpOutcome::Applied), "{r:?}");
    let r = s
        .push(&gw1, vec![event("gw1", "i1", IssueAction::Start), event("gw1", "i1", IssueAction::Resolve { note: "已送煤".into(), evidence: vec![] })])
        .await;
    assert!(r.results.iter().all(|x| x.outcome == OpOutcome::Applied), "{r:?}");
    let verify = event("ts1", "i1", IssueAction::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() });
    assert_eq!(s.push(&ts1, vec![verify]).await.results[0].outcome, OpOutcome::Applied);

    // Accept a closed issue, assign to a liaison head, act as someone else — then a good op still applies.
    let mut impostor = event("ts1", "i1", IssueAction::Accept);
    if let OpBody::IssueEvent(e) = &mut impostor.body {
        e.actor_id = "cs".into();
    }
    let r = s
        .push(
            &ts1,
            vec![
                event("ts1", "i1", IssueAction::Accept),
                impostor,
                event("ts1", "missing-issue", IssueAction::Accept),
                report("ts1", "i2", "h1"),
                event("ts1", "i2", IssueAction::Assign { assignee_id: "gw1".into() }),
                event("ts1", "i2", IssueAction::Accept),
                event("ts1", "i2", IssueAction::Assign { assignee_id: "lh1".into() }),
                event("ts1", "i2", IssueAction::Escalate { reason: "需县级协调".into(), to_node_id: "t2".into() }),
                event("ts1", "i2", IssueAction::Escalate { reason: "需县级协调".into(), to_node_id: "c".into() }),
            ],
        )
        .await;
    let codes: Vec<_> = r.results.iter().map(|x| rejected(&x.outcome)).collect();
    assert_eq!(
        codes,
        vec![
            Some(RejectCode::IllegalTransition),
            Some(RejectCode::ActorMismatch),
            Some(RejectCode::UnknownReference),
            None,
            Some(RejectCode::IllegalTransition),
            None,
            Some(RejectCode::NotPermitted),
            Some(RejectCode::InvalidInput),
            None,
        ]
    );
    // After the escalation the county owns it; the township may no longer assign.
    let r = s.push(&ts1, vec![event("ts1", "i2", IssueAction::Assign { assignee_id: "gw1".into() })]).await;
    assert_eq!(rejected(&r.results[0].outcome), Some(RejectCode::NotPermitted));
    let cs = s.token("cs").await;
    let r = s.push(&cs, vec![event("cs", "i2", IssueAction::Assign { assignee_id: "gw1".into() })]).await;
    assert_eq!(r.results[0].outcome, OpOutcome::Applied);
}

#[tokio::test]
async fn assignment_outside_the_issues_own_area_is_rejected() {
    // A second branch of t1 with its grid worker: in the owning township, but not where the issue is.
    let s = start().await;
    linkage_server::import::import_rows(s.storage.as_ref(), vec![node("b3", Some("t1"), OrgLevel::Branch, "610631101202")], vec![]).unwrap();
    let hash = linkage_server::auth::hash_password(PASSWORD).unwrap();
    s.storage
        .put_user(&NewUser { id: "gw3".into(), name: "用户gw3".into(), role: Role::GridWorker, node_id: "b3".into(), password_hash: hash })
        .unwrap();
    let (lh1, ts1) = (s.token("lh1").await, s.token("ts1").await);
    assert_eq!(s.push(&lh1, vec![report("lh1", "i1", "h1")]).await.results[0].outcome, OpOutcome::Applied);
    let r = s
        .push(
            &ts1,
            vec![
                event("ts1", "i1", IssueAction::Accept),
                event("ts1", "i1", IssueAction::Assign { assignee_id: "gw3".into() }),
                event("ts1", "i1", IssueAction::Assign { assignee_id: "gw1".into() }),
            ],
        )
        .await;
    assert_eq!(r.results[0].outcome, OpOutcome::Applied);
    assert!(
        matches!(&r.results[1].outcome, OpOutcome::Rejected { code: RejectCode::NotPermitted, message } if message.contains("where the issue is")),
        "{r:?}"
    );
    assert_eq!(r.results[2].outcome, OpOutcome::Applied, "the grid worker of the issue's own branch");
}

#[tokio::test]
async fn out_of_scope_report_is_rejected() {
    let s = start().await;
    let lh2 = s.token("lh2").await;
    let r = s.push(&lh2, vec![report("lh2", "i9", "h1")]).await;
    assert_eq!(rejected(&r.results[0].outcome), Some(RejectCode::OutOfScope));
}

#[tokio::test]
async fn gzip_push_body_is_accepted_and_responses_compress() {
    let s = start().await;
    let lh1 = s.token("lh1").await;
    let json = serde_json::to_vec(&PushRequest { ops: vec![report("lh1", "gz", "h1")] }).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&json).unwrap();
    let body = enc.finish().unwrap();
    let resp = s
        .http
        .post(s.url(paths::PUSH))
        .bearer_auth(&lh1)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r: PushResponse = resp.json().await.unwrap();
    assert_eq!(r.results[0].outcome, OpOutcome::Applied);
    // reqwest (gzip feature) asks for gzip and decodes transparently; ask by hand to see the header.
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let resp = raw.get(s.url("/openapi.json")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(resp.headers().get("content-encoding").unwrap(), "gzip");
}

#[tokio::test]
async fn pull_pages_with_a_cursor() {
    let s = start().await;
    let lh1 = s.token("lh1").await;
    let ops: Vec<_> = (0..5).map(|i| report("lh1", &format!("p{i}"), "h1")).collect();
    assert!(s.push(&lh1, ops).await.results.iter().all(|r| r.outcome == OpOutcome::Applied));
    let first = s.pull(&lh1, 0, 2).await;
    assert_eq!(first.changes.len(), 2);
    assert!(first.has_more);
    let second = s.pull(&lh1, first.next_cursor, 2).await;
    assert_eq!(second.changes.len(), 2);
    assert!(second.changes[0].seq > first.next_cursor);
    let third = s.pull(&lh1, second.next_cursor, 2).await;
    assert_eq!(third.changes.len(), 1);
    assert!(!third.has_more);
    let empty = s.pull(&lh1, third.next_cursor, 2).await;
    assert!(empty.changes.is_empty());
    assert_eq!(empty.next_cursor, third.next_cursor);
    let seqs: Vec<i64> = [first, second, third].iter().flat_map(|p| p.changes.iter().map(|c| c.seq)).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn the_server_grades_visits_itself() {
    let s = start().await;
    let gw1 = s.token("gw1").await;
    let now = now_ms();
    let visit = |id: &str, lat: f64| Visit {
        id: id.into(),
        household_id: "h1".into(),
        visitor_id: "gw1".into(),
        visitor_level: OrgLevel::Branch,
        kind: VisitKind::Routine,
        started_at_ms: now - 600_000,
        ended_at_ms: now - 60_000,
        fix: Some(GpsFix { lat, lon: 109.8, accuracy_m: 8.0, fix_time_ms: now - 90_000, mocked: false }),
        distance_m: Some(1.0),
        verdict: OnSiteVerdict::OnSite, // claimed
        notes: "家中安好".into(),
        evidence: vec![],
        issue_id: None,
        amends_visit_id: None,
    };
    let op = |v: Visit| linkage_protocol::wire::Operation { op_id: uuid(), hlc: "000000000000001-000000-t".into(), body: OpBody::VisitRecorded(v) };
    // Graded as the phone grades it (the shared rule against the household's point): stored as sent.
    let mut graded = visit("v-graded", 35.5002);
    let window = linkage_protocol::rules::geo::FixWindow { started_at_ms: now - 600_000, at_ms: now - 60_000 };
    let assessment = linkage_protocol::rules::geo::assess(graded.fix.as_ref(), Some((35.5, 109.8)), &Default::default(), window);
    (graded.verdict, graded.distance_m) = (assessment.verdict, assessment.distance_m);
    let graded = op(graded);
    let (near, far) = (op(visit("v-near", 35.5001)), op(visit("v-far", 35.52)));
    let r = s.push(&gw1, vec![near.clone(), far.clone(), graded.clone()]).await;
    assert!(r.results.iter().all(|x| x.outcome == OpOutcome::Applied), "{r:?}");
    // Idempotency holds whether the feed keeps the op as sent or the server's correction of it.
    let r = s.push(&gw1, vec![near.clone(), graded.clone(), far.clone()]).await;
    assert!(r.results.iter().all(|x| x.outcome == OpOutcome::Duplicate), "{r:?}");
    let other_notes = |o: &linkage_protocol::wire::Operation| {
        let mut o = o.clone();
        if let OpBody::VisitRecorded(v) = &mut o.body {
            v.notes = "另一条记录".into();
        }
        o
    };
    let r = s.push(&gw1, vec![other_notes(&near), other_notes(&graded)]).await;
    assert!(r.results.iter().all(|x| rejected(&x.outcome) == Some(RejectCode::Conflict)), "{r:?}");
    let changes = s.pull(&gw1, 0, 10).await.changes;
    let graded_back: Vec<_> = changes
        .iter()
        .map(|c| match &c.op.body {
            OpBody::VisitRecorded(v) => (v.verdict, v.distance_m.map(|d| d.round())),
            other => panic!("{other:?}"),
        })
        .collect();
    // The claimed 1 m is replaced by the server's own distance and verdict.
    assert_eq!(graded_back[..2], [(OnSiteVerdict::OnSite, Some(11.0)), (OnSiteVerdict::TooFar, Some(2224.0))]);
    assert_eq!(changes[2].op, graded);
    // A stale fix (the phone's last known position, from before the visit) claimed on site: the server
    // re-grades it with the visit's own times, whenever it arrives.
    let mut stale = visit("v-stale", 35.5001);
    stale.fix = Some(GpsFix { fix_time_ms: now - 700_000, ..stale.fix.unwrap() });
    let r = s.push(&gw1, vec![op(stale)]).await;
    assert_eq!(r.results[0].outcome, OpOutcome::Applied);
    let back = s.pull(&gw1, changes.last().unwrap().seq, 10).await.changes;
    assert!(matches!(&back[0].op.body, OpBody::VisitRecorded(v) if v.verdict == OnSiteVerdict::StaleFix), "{back:?}");
    // A fix time in the future is refused, nothing stored.
    let mut future = visit("v-future", 35.5001);
    future.fix = Some(GpsFix { fix_time_ms: now + 3_600_000, ..future.fix.unwrap() });
    let r = s.push(&gw1, vec![op(future)]).await;
    assert_eq!(rejected(&r.results[0].outcome), Some(RejectCode::InvalidInput));
    // Someone else's visit, or another branch's household, is refused.
    let gw2 = s.token("gw2").await;
    let r = s.push(&gw2, vec![op(Visit { visitor_id: "gw2".into(), ..visit("v-x", 35.5) })]).await;
    assert_eq!(rejected(&r.results[0].outcome), Some(RejectCode::OutOfScope));
    let r = s.push(&gw2, vec![op(visit("v-y", 35.5))]).await;
    assert_eq!(rejected(&r.results[0].outcome), Some(RejectCode::ActorMismatch));
}

/// 无户诉求: a report about a place (no household) must carry a GPS point or a description of the place, as on
/// the phone (`rules::report_place`): without either it is refused as invalid input and nothing is stored;
/// with a description alone it is applied.
#[tokio::test]
async fn a_place_report_without_point_or_description_is_rejected() {
    let s = start().await;
    let gw1 = s.token("gw1").await;
    let place = |id: &str, description: &str| {
        let mut op = report("gw1", id, "h1");
        if let OpBody::IssueEvent(e) = &mut op.body {
            if let IssueAction::Report(r) = &mut e.action {
                r.household_id = None;
                r.path = "/c/t1/b1/g1/".into();
                r.location = None;
                r.description = description.into();
            }
        }
        op
    };
    let r = s.push(&gw1, vec![place("place-1", ""), place("place-2", "村口石桥桥面塌了一块")]).await;
    assert_eq!(rejected(&r.results[0].outcome), Some(RejectCode::InvalidInput));
    match &r.results[0].outcome {
        OpOutcome::Rejected { message, .. } => assert!(message.contains("location"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.results[1].outcome, OpOutcome::Applied);
}

/// 补充反映 (是这件，不重复上报): anyone who sees an open issue may add a note and photos to it; the server judges
/// it with the shared lifecycle rules (scope, open states, payload limits), keeps the state as it was and sends
/// the event to the phones in scope.
#[tokio::test]
async fn a_join_adds_to_an_open_issue_in_scope_only() {
    let s = start().await;
    let (lh1, gw1, lh2, ts1) = (s.token("lh1").await, s.token("gw1").await, s.token("lh2").await, s.token("ts1").await);
    assert_eq!(s.push(&lh1, vec![report("lh1", "i1", "h1")]).await.results[0].outcome, OpOutcome::Applied);
    let photo = "ab".repeat(32);
    let join = |user: &str, evidence: Vec<String>| event(user, "i1", IssueAction::Join { note: "我家也没煤了".into(), evidence });
    let r = s
        .push(&gw1, vec![join("gw1", vec![photo.clone()]), join("gw1", (0..21).map(|i| format!("{i:064x}")).collect())])
        .await;
    let codes: Vec<_> = r.results.iter().map(|x| rejected(&x.outcome)).collect();
    assert_eq!(codes, vec![None, Some(RejectCode::InvalidInput)], "{r:?}");
    // Another township's liaison head does not see the issue.
    let r = s.push(&lh2, vec![event("lh2", "i1", IssueAction::Join { note: "也是".into(), evidence: vec![] })]).await;
    assert_eq!(rejected(&r.results[0].outcome), Some(RejectCode::OutOfScope));
    // The township pulls the report and the join; the issue is still waiting to be accepted.
    let pulled = s.pull(&ts1, 0, 100).await;
    let joins: Vec<_> = pulled
        .changes
        .iter()
        .filter_map(|c| match &c.op.body {
            OpBody::IssueEvent(e) if matches!(e.action, IssueAction::Join { .. }) => Some(e.actor_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(joins, ["gw1"]);
    // A closed issue takes no more joins: a new report instead.
    let r = s.push(&ts1, vec![event("ts1", "i1", IssueAction::Reject { reason: "已解决".into() })]).await;
    assert_eq!(r.results[0].outcome, OpOutcome::Applied);
    let r = s.push(&gw1, vec![join("gw1", vec![])]).await;
    assert_eq!(rejected(&r.results[0].outcome), Some(RejectCode::IllegalTransition));
}
