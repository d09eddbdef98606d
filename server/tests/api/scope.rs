//! Scope: a user pulls only changes under their node (plus directives aimed at their ancestors), and explicit
//! out-of-scope requests are refused with 403.

use linkage_protocol::model::{AckMeans, DirectiveKind};
use linkage_protocol::sync::{paths, ErrorBody, OpOutcome};
use linkage_protocol::wire::{Directive, HouseholdAck, NodeAck, NodeRelay, OpBody, Operation};

use crate::common::*;

fn op(body: OpBody) -> Operation {
    Operation { op_id: uuid(), hlc: "000000000000001-000000-t".into(), body }
}

#[tokio::test]
async fn other_townships_see_nothing_and_explicit_requests_answer_as_missing() {
    let s = start().await;
    let (lh1, ts1, ts2, cs) = (s.token("lh1").await, s.token("ts1").await, s.token("ts2").await, s.token("cs").await);
    assert_eq!(s.push(&lh1, vec![report("lh1", "t1-issue", "h1")]).await.results[0].outcome, OpOutcome::Applied);
    assert_eq!(s.pull(&ts1, 0, 100).await.changes.len(), 1);
    assert_eq!(s.pull(&cs, 0, 100).await.changes.len(), 1);
    let other = s.pull(&ts2, 0, 100).await;
    assert!(other.changes.is_empty());
    assert!(!other.has_more);

    let resp = s.http.get(s.url(&format!("{}?node=t1", paths::BUNDLE))).bearer_auth(&ts2).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let out_of_scope = resp.json::<ErrorBody>().await.unwrap();
    let resp = s.http.get(s.url(&format!("{}?node=no-such-node", paths::BUNDLE))).bearer_auth(&ts2).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<ErrorBody>().await.unwrap(), out_of_scope, "one answer for out of scope and missing");
    let resp = s.http.get(s.url(&format!("{}?node=b1", paths::BUNDLE))).bearer_auth(&ts1).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_county_alert_reaches_the_whole_chain_and_acks_flow_up() {
    let s = start().await;
    let (cs, ts1, lh1, lh2) = (s.token("cs").await, s.token("ts1").await, s.token("lh1").await, s.token("lh2").await);
    let now = now_ms();
    let directive = Directive {
        id: "alert-1".into(),
        issuer_id: "cs".into(),
        issuer_node_id: "c".into(),
        target_node_id: "t1".into(),
        kind: DirectiveKind::Alert,
        title: "森林防火预警".into(),
        body: "严禁野外用火".into(),
        due_at_ms: None,
        issued_at_ms: now,
        evidence: vec![],
    };
    assert_eq!(s.push(&cs, vec![op(OpBody::DirectiveIssued(directive.clone()))]).await.results[0].outcome, OpOutcome::Applied);
    // The liaison head of t1's group sees an alert aimed at its ancestor; t2's does not.
    assert_eq!(s.pull(&lh1, 0, 10).await.changes.len(), 1);
    assert!(s.pull(&lh2, 0, 10).await.changes.is_empty());
    // A township may not issue to the county; a liaison head may not issue at all.
    let up = Directive { id: "up".into(), issuer_id: "ts1".into(), issuer_node_id: "t1".into(), target_node_id: "c".into(), ..directive.clone() };
    let r = s.push(&ts1, vec![op(OpBody::DirectiveIssued(up))]).await;
    assert!(matches!(r.results[0].outcome, OpOutcome::Rejected { code: linkage_protocol::sync::RejectCode::OutOfScope, .. }));

    // Household ack before the group acknowledged: refused; after ack: applied; relay ok.
    let hh = HouseholdAck { directive_id: "alert-1".into(), household_id: "h1".into(), means: AckMeans::Phone, user_id: "lh1".into(), at_ms: now };
    let ack = NodeAck { directive_id: "alert-1".into(), node_id: "g1".into(), user_id: "lh1".into(), at_ms: now };
    let relay = NodeRelay { directive_id: "alert-1".into(), node_id: "g1".into(), user_id: "lh1".into(), at_ms: now };
    let r = s
        .push(
            &lh1,
            vec![
                op(OpBody::HouseholdAcknowledged(hh.clone())),
                op(OpBody::NodeAcknowledged(ack)),
                op(OpBody::DirectiveRelayed(relay)),
                op(OpBody::HouseholdAcknowledged(hh)),
            ],
        )
        .await;
    let outcomes: Vec<bool> = r.results.iter().map(|x| x.outcome == OpOutcome::Applied).collect();
    assert_eq!(outcomes, vec![false, true, true, true], "{r:?}");
    // The issuer sees the acknowledgements come up.
    assert_eq!(s.pull(&cs, 0, 10).await.changes.len(), 4);
    // Acknowledging again (another op id) changes nothing and adds nothing to the feed; sent twice, it is
    // a duplicate the second time, and its id cannot be reused for something else.
    let again = op(OpBody::NodeAcknowledged(NodeAck { directive_id: "alert-1".into(), node_id: "g1".into(), user_id: "lh1".into(), at_ms: now + 1 }));
    assert_eq!(s.push(&lh1, vec![again.clone()]).await.results[0].outcome, OpOutcome::Applied);
    assert_eq!(s.push(&lh1, vec![again.clone()]).await.results[0].outcome, OpOutcome::Duplicate);
    let reused = Operation { body: OpBody::NodeAcknowledged(NodeAck { at_ms: now + 2, ..match &again.body {
        OpBody::NodeAcknowledged(a) => a.clone(),
        _ => unreachable!(),
    } }), ..again };
    assert!(matches!(s.push(&lh1, vec![reused]).await.results[0].outcome, OpOutcome::Rejected { .. }));
    assert_eq!(s.pull(&cs, 0, 10).await.changes.len(), 4);
}

#[tokio::test]
async fn the_issuing_node_may_not_sign_for_its_own_directive() {
    // ADR 0002: the issuer's node is neither counted nor silent, and the server refuses its 签收 like the phone.
    let s = start().await;
    let (cs, ts1) = (s.token("cs").await, s.token("ts1").await);
    let now = now_ms();
    let county_wide = Directive {
        id: "alert-c".into(),
        issuer_id: "cs".into(),
        issuer_node_id: "c".into(),
        target_node_id: "c".into(),
        kind: DirectiveKind::Alert,
        title: "全县森林火险预警".into(),
        body: "严禁野外用火".into(),
        due_at_ms: None,
        issued_at_ms: now,
        evidence: vec![],
    };
    assert_eq!(s.push(&cs, vec![op(OpBody::DirectiveIssued(county_wide))]).await.results[0].outcome, OpOutcome::Applied);
    let own = NodeAck { directive_id: "alert-c".into(), node_id: "c".into(), user_id: "cs".into(), at_ms: now };
    let relay = NodeRelay { directive_id: "alert-c".into(), node_id: "c".into(), user_id: "cs".into(), at_ms: now };
    let r = s.push(&cs, vec![op(OpBody::NodeAcknowledged(own)), op(OpBody::DirectiveRelayed(relay))]).await;
    for result in &r.results {
        assert!(
            matches!(&result.outcome, OpOutcome::Rejected { code: linkage_protocol::sync::RejectCode::NotPermitted, message } if message.contains("issuing node")),
            "{r:?}"
        );
    }
    let township = NodeAck { directive_id: "alert-c".into(), node_id: "t1".into(), user_id: "ts1".into(), at_ms: now };
    assert_eq!(s.push(&ts1, vec![op(OpBody::NodeAcknowledged(township))]).await.results[0].outcome, OpOutcome::Applied);
}
