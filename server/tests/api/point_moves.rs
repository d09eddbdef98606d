//! 住户坐标变更 A household point moved by a user is not that user's on-site reference for
//! `point_moves::MOVE_GRACE_DAYS`: the server grades their visits against the point before the move (someone
//! else's visits, and everyone's after a staff member sets the point again, use the new one).

use linkage_protocol::hlc::Hlc;
use linkage_protocol::model::{GpsFix, OnSiteVerdict, OrgLevel, VisitKind};
use linkage_protocol::sync::OpOutcome;
use linkage_protocol::wire::{HouseholdEdit, HouseholdField, OpBody, Operation, Visit};

use crate::common::*;

/// h1's imported point, and where the grid worker moves it (about 2.2 km north).
const OLD: (f64, f64) = (35.5, 109.8);
const NEW: (f64, f64) = (35.52, 109.8);

fn move_point(user: &str, to: (f64, f64)) -> Operation {
    let hlc = Hlc { wall_ms: now_ms(), counter: 0 }.encode(user);
    Operation {
        op_id: uuid(),
        hlc: hlc.clone(),
        body: OpBody::HouseholdEdited(HouseholdEdit {
            household_id: "h1".into(),
            editor_id: user.into(),
            editor_role: who(user).0,
            hlc,
            at_ms: now_ms(),
            fields: vec![HouseholdField::Location(Some(to))],
        }),
    }
}

/// A visit to h1 by `user` ending now, with a fresh fix at `at` (the phone claims on site).
fn visit_at(user: &str, level: OrgLevel, at: (f64, f64)) -> Operation {
    let now = now_ms();
    Operation {
        op_id: uuid(),
        hlc: Hlc { wall_ms: now, counter: 0 }.encode(user),
        body: OpBody::VisitRecorded(Visit {
            id: uuid(),
            household_id: "h1".into(),
            visitor_id: user.into(),
            visitor_level: level,
            kind: VisitKind::Routine,
            started_at_ms: now - 600_000,
            // Ends now: after the moves the test pushed just before (the server keeps them at receipt).
            ended_at_ms: now,
            fix: Some(GpsFix { lat: at.0, lon: at.1, accuracy_m: 8.0, fix_time_ms: now - 30_000, mocked: false }),
            distance_m: Some(1.0),
            verdict: OnSiteVerdict::OnSite,
            notes: String::new(),
            evidence: vec![],
            issue_id: None,
            amends_visit_id: None,
        }),
    }
}

/// The verdict the server stored for the visit op `op_id` (as the feed carries it).
async fn verdict(s: &TestServer, token: &str, op_id: &str) -> OnSiteVerdict {
    let page = s.pull(token, 0, 1000).await;
    page.changes
        .into_iter()
        .find_map(|c| match c.op.body {
            OpBody::VisitRecorded(v) if c.op.op_id == op_id => Some(v.verdict),
            _ => None,
        })
        .expect("the visit is in the feed")
}

#[tokio::test]
async fn the_mover_cannot_use_the_moved_point_as_on_site_reference() {
    let s = start().await;
    let pause = || std::thread::sleep(std::time::Duration::from_millis(5));
    let (gw1, lh1, ts1) = (s.token("gw1").await, s.token("lh1").await, s.token("ts1").await);
    assert_eq!(s.push(&gw1, vec![move_point("gw1", NEW)]).await.results[0].outcome, OpOutcome::Applied);
    pause();

    // The grid worker, standing at the point he set: graded against the old point, far from it.
    let own = visit_at("gw1", OrgLevel::Branch, NEW);
    assert_eq!(s.push(&gw1, vec![own.clone()]).await.results[0].outcome, OpOutcome::Applied);
    assert_eq!(verdict(&s, &ts1, &own.op_id).await, OnSiteVerdict::TooFar);
    // At the old point he is on site.
    let at_old = visit_at("gw1", OrgLevel::Branch, OLD);
    s.push(&gw1, vec![at_old.clone()]).await;
    assert_eq!(verdict(&s, &ts1, &at_old.op_id).await, OnSiteVerdict::OnSite);
    // Someone else at the new point: on site (the move is graded only against its mover).
    let other = visit_at("lh1", OrgLevel::Group, NEW);
    assert_eq!(s.push(&lh1, vec![other.clone()]).await.results[0].outcome, OpOutcome::Applied);
    assert_eq!(verdict(&s, &ts1, &other.op_id).await, OnSiteVerdict::OnSite);

    // Township staff confirm the point by setting it (again): from then on it is the reference for everyone.
    assert_eq!(s.push(&ts1, vec![move_point("ts1", (NEW.0 + 0.00001, NEW.1))]).await.results[0].outcome, OpOutcome::Applied);
    pause();
    let confirmed = visit_at("gw1", OrgLevel::Branch, NEW);
    s.push(&gw1, vec![confirmed.clone()]).await;
    assert_eq!(verdict(&s, &ts1, &confirmed.op_id).await, OnSiteVerdict::OnSite);
}
