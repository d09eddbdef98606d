//! 时间合理性 Impossible claimed times are refused with `impossible_time` (`protocol::rules::times`): an accept
//! 30 days before its report, a 签收 before its directive or ten years ahead, a household correction with a
//! far-future HLC, a visit ending in the future; times within the clock skew are taken.

use linkage_protocol::hlc::Hlc;
use linkage_protocol::model::{AckMeans, DirectiveKind};
use linkage_protocol::sync::{OpOutcome, RejectCode};
use linkage_protocol::wire::{Directive, HouseholdAck, HouseholdEdit, HouseholdField, IssueAction, IssueEvent, NodeAck, NodeRelay, OpBody, Operation};

use crate::common::*;

const DAY: i64 = 86_400_000;

fn op(body: OpBody) -> Operation {
    Operation { op_id: uuid(), hlc: Hlc { wall_ms: now_ms(), counter: 0 }.encode("test"), body }
}

/// `event` with its claimed time moved to `at_ms`.
fn at(mut o: Operation, at_ms: i64) -> Operation {
    if let OpBody::IssueEvent(IssueEvent { at_ms: a, .. }) = &mut o.body {
        *a = at_ms;
    }
    o
}

fn impossible(outcome: &OpOutcome) -> bool {
    matches!(outcome, OpOutcome::Rejected { code: RejectCode::ImpossibleTime, .. })
}

#[tokio::test]
async fn issue_steps_before_their_predecessor_or_in_the_future_are_refused() {
    let s = start().await;
    let (lh1, ts1) = (s.token("lh1").await, s.token("ts1").await);
    let now = now_ms();
    assert_eq!(s.push(&lh1, vec![report("lh1", "i1", "h1")]).await.results[0].outcome, OpOutcome::Applied);
    let future = s.push(&lh1, vec![at(report("lh1", "i2", "h1"), now + 3650 * DAY)]).await;
    assert!(impossible(&future.results[0].outcome), "{future:?}");
    let accept = || event("ts1", "i1", IssueAction::Accept);
    let r = s.push(&ts1, vec![at(accept(), now - 30 * DAY)]).await;
    assert!(impossible(&r.results[0].outcome), "an accept 30 days before its report: {r:?}");
    let OpOutcome::Rejected { message, .. } = &r.results[0].outcome else { unreachable!() };
    assert!(message.contains("at_ms") && message.contains("before"), "{message}");
    let r = s.push(&ts1, vec![at(accept(), now + DAY)]).await;
    assert!(impossible(&r.results[0].outcome), "{r:?}");
    // A phone clock a few minutes behind the reporter's is within the skew.
    assert_eq!(s.push(&ts1, vec![at(accept(), now - 5 * 60_000)]).await.results[0].outcome, OpOutcome::Applied);
}

#[tokio::test]
async fn directive_steps_before_the_directive_or_far_ahead_are_refused() {
    let s = start().await;
    let (cs, lh1) = (s.token("cs").await, s.token("lh1").await);
    let now = now_ms();
    let directive = |id: &str, issued_at_ms: i64| Directive {
        id: id.into(),
        issuer_id: "cs".into(),
        issuer_node_id: "c".into(),
        target_node_id: "t1".into(),
        kind: DirectiveKind::Alert,
        title: "森林防火预警".into(),
        body: "严禁野外用火".into(),
        due_at_ms: None,
        issued_at_ms,
        evidence: vec![],
    };
    assert!(impossible(&s.push(&cs, vec![op(OpBody::DirectiveIssued(directive("d0", now + 3650 * DAY)))]).await.results[0].outcome));
    assert_eq!(s.push(&cs, vec![op(OpBody::DirectiveIssued(directive("d1", now)))]).await.results[0].outcome, OpOutcome::Applied);
    let ack = |at_ms| op(OpBody::NodeAcknowledged(NodeAck { directive_id: "d1".into(), node_id: "g1".into(), user_id: "lh1".into(), at_ms }));
    for bad in [now - DAY, now + 3650 * DAY] {
        let r = s.push(&lh1, vec![ack(bad)]).await;
        assert!(impossible(&r.results[0].outcome), "签收 at {bad}: {r:?}");
    }
    assert_eq!(s.push(&lh1, vec![ack(now + 1000)]).await.results[0].outcome, OpOutcome::Applied);
    let relay = |at_ms| op(OpBody::DirectiveRelayed(NodeRelay { directive_id: "d1".into(), node_id: "g1".into(), user_id: "lh1".into(), at_ms }));
    assert!(impossible(&s.push(&lh1, vec![relay(now - DAY)]).await.results[0].outcome), "a relay before its 签收");
    let hh = |at_ms| {
        op(OpBody::HouseholdAcknowledged(HouseholdAck { directive_id: "d1".into(), household_id: "h1".into(), means: AckMeans::Phone, user_id: "lh1".into(), at_ms }))
    };
    assert!(impossible(&s.push(&lh1, vec![hh(now - 2 * DAY)]).await.results[0].outcome), "告知 before the directive");
    assert_eq!(s.push(&lh1, vec![hh(now + 2000)]).await.results[0].outcome, OpOutcome::Applied);
}

/// A correction under a far-future HLC would win every later last-writer-wins merge: refused.
#[tokio::test]
async fn household_corrections_with_a_future_clock_are_refused() {
    let s = start().await;
    let gw1 = s.token("gw1").await;
    let edit = |wall_ms: i64| {
        let hlc = Hlc { wall_ms, counter: 0 }.encode("test");
        Operation {
            op_id: uuid(),
            hlc: hlc.clone(),
            body: OpBody::HouseholdEdited(HouseholdEdit {
                household_id: "h1".into(),
                editor_id: "gw1".into(),
                editor_role: who("gw1").0,
                hlc,
                at_ms: now_ms(),
                fields: vec![HouseholdField::Members(5)],
            }),
        }
    };
    let r = s.push(&gw1, vec![edit(now_ms() + 3650 * DAY)]).await;
    assert!(matches!(&r.results[0].outcome, OpOutcome::Rejected { code: RejectCode::ImpossibleTime, message } if message.starts_with("hlc")), "{r:?}");
    assert_eq!(s.push(&gw1, vec![edit(now_ms())]).await.results[0].outcome, OpOutcome::Applied);
}
