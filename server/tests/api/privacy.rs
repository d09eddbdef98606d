//! 最小必要 Least personal data by role (`protocol::rules::privacy`): what each role's bundle and feed carry of
//! households (ID number, phone, sensitive tags) and of other users' visits (notes, GPS fix), decided by the
//! server; and that a role that does not see every tag cannot overwrite them.

use linkage_protocol::hlc::Hlc;
use linkage_protocol::model::{GpsFix, OnSiteVerdict, OrgLevel, Role, VisitKind};
use linkage_protocol::sync::{paths, OpOutcome, RejectCode};
use linkage_protocol::wire::{Bundle, HouseholdEdit, HouseholdField, OpBody, Operation, Visit};

use crate::common::*;


const ID_NUMBER: &str = "610631195001011234";

fn op(body: OpBody) -> Operation {
    Operation { op_id: uuid(), hlc: Hlc { wall_ms: now_ms() - 60_000, counter: 0 }.encode("test"), body }
}

fn visit_by_gw1() -> Operation {
    let now = now_ms();
    op(OpBody::VisitRecorded(Visit {
        id: uuid(),
        household_id: "h1".into(),
        visitor_id: "gw1".into(),
        visitor_level: OrgLevel::Branch,
        kind: VisitKind::Routine,
        started_at_ms: now - 20 * 60_000,
        ended_at_ms: now - 5 * 60_000,
        fix: Some(GpsFix { lat: 35.5, lon: 109.8, accuracy_m: 8.0, fix_time_ms: now - 6 * 60_000, mocked: false }),
        distance_m: None,
        verdict: OnSiteVerdict::NoFix,
        notes: "老人腿脚不便，需送煤".into(),
        evidence: vec![],
        issue_id: None,
        amends_visit_id: None,
    }))
}

fn edit_by(user: &str, fields: Vec<HouseholdField>) -> Operation {
    let o = op(OpBody::HouseholdEdited(HouseholdEdit {
        household_id: "h1".into(),
        editor_id: user.into(),
        editor_role: who(user).0,
        hlc: String::new(),
        at_ms: now_ms() - 60_000,
        fields,
    }));
    let mut o = o;
    if let OpBody::HouseholdEdited(e) = &mut o.body {
        e.hlc = o.hlc.clone();
    }
    o
}

async fn server() -> TestServer {
    let mut h1 = household("h1", "g1", 35.5, 109.8);
    h1.item.id_number = Some(ID_NUMBER.into());
    h1.item.tags = vec!["低保".into(), "党员".into()];
    start_with(vec![h1, household("h2", "g2", 35.6, 109.9)]).await
}

/// (ID number, phone, tags) of h1 in `user`'s bundle, and the bundle's text.
async fn h1_in_bundle(s: &TestServer, user: &str) -> (Option<String>, Option<String>, Vec<String>, String) {
    let token = s.token(user).await;
    let text = s.http.get(s.url(paths::BUNDLE)).bearer_auth(&token).send().await.unwrap().text().await.unwrap();
    let bundle: Bundle = serde_json::from_str(&text).unwrap();
    let h = bundle.households.into_iter().find(|h| h.id == "h1").unwrap();
    (h.id_number, h.phone, h.tags, text)
}

#[tokio::test]
async fn each_role_gets_its_share_of_a_household_in_the_bundle() {
    let s = server().await;
    let full = (Some(ID_NUMBER.to_string()), Some("13812345678".to_string()), vec!["低保".to_string(), "党员".to_string()]);
    for staff in ["cs", "ts1"] {
        let (id, phone, tags, _) = h1_in_bundle(&s, staff).await;
        assert_eq!((id, phone, tags), full.clone(), "{staff}: staff receive everything");
    }
    let (id, phone, tags, text) = h1_in_bundle(&s, "gw1").await;
    assert_eq!((id.as_deref(), phone.as_deref()), (Some("610***********1234"), Some("13812345678")), "grid worker: masked ID number");
    assert_eq!(tags, full.2, "grid workers receive sensitive tags by default");
    assert!(!text.contains(ID_NUMBER));
    let (id, phone, tags, text) = h1_in_bundle(&s, "lh1").await;
    assert_eq!((id, phone.as_deref()), (None, Some("138****5678")), "liaison head: no ID number, masked phone");
    assert_eq!(tags, vec!["党员".to_string()], "liaison head: no sensitive tags by default");
    for secret in [ID_NUMBER, "13812345678", "低保", "1234"] {
        assert!(!text.contains(secret), "the liaison head's bundle carries {secret}");
    }
}

/// The county may let liaison heads see sensitive tags (or keep them from grid workers): the server follows.
#[tokio::test]
async fn sensitive_tags_follow_the_county_setting() {
    let s = server().await;
    let mut config = s.storage.county_config().unwrap();
    config.privacy = Some(linkage_protocol::rules::privacy::PrivacyPolicy {
        sensitive_tag_roles: vec![Role::CountyStaff, Role::TownshipStaff, Role::LiaisonHead],
        ..Default::default()
    });
    s.storage.set_county_config(&config, now_ms()).unwrap();
    assert_eq!(h1_in_bundle(&s, "lh1").await.2, vec!["低保".to_string(), "党员".to_string()]);
    assert_eq!(h1_in_bundle(&s, "gw1").await.2, vec!["党员".to_string()]);
}

#[tokio::test]
async fn each_role_gets_its_share_of_the_feed() {
    let s = server().await;
    let gw1 = s.token("gw1").await;
    let ts1 = s.token("ts1").await;
    let pushed = s.push(&gw1, vec![visit_by_gw1()]).await;
    assert_eq!(pushed.results[0].outcome, OpOutcome::Applied, "{:?}", pushed.results[0]);
    let edit = edit_by("ts1", vec![HouseholdField::Phone(Some("13900001111".into())), HouseholdField::Tags(vec!["残疾".into(), "党员".into()])]);
    let pushed = s.push(&ts1, vec![edit]).await;
    assert_eq!(pushed.results[0].outcome, OpOutcome::Applied, "{:?}", pushed.results[0]);

    // (visit notes, visit fix present, edited phone, edited tags) as `user` pulls them.
    let feed = |user: &'static str| {
        let s = &s;
        async move {
            let token = s.token(user).await;
            let page = s.pull(&token, 0, 100).await;
            let text = serde_json::to_string(&page).unwrap();
            let mut out = (String::new(), false, None, Vec::new(), text);
            for c in page.changes {
                match c.op.body {
                    OpBody::VisitRecorded(v) => (out.0, out.1) = (v.notes, v.fix.is_some()),
                    OpBody::HouseholdEdited(e) => {
                        for f in e.fields {
                            match f {
                                HouseholdField::Phone(p) => out.2 = p,
                                HouseholdField::Tags(t) => out.3 = t,
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            out
        }
    };
    for user in ["cs", "ts1", "gw1"] {
        let (notes, fix, phone, tags, _) = feed(user).await;
        assert_eq!((notes.as_str(), fix), ("老人腿脚不便，需送煤", true), "{user}");
        assert_eq!(phone.as_deref(), Some("13900001111"), "{user}");
        assert_eq!(tags, vec!["残疾".to_string(), "党员".to_string()], "{user}");
    }
    let (notes, fix, phone, tags, text) = feed("lh1").await;
    assert_eq!((notes.as_str(), fix), ("", false), "liaison head: no one else's notes or GPS fix");
    assert_eq!(phone.as_deref(), Some("139****1111"));
    assert_eq!(tags, vec!["党员".to_string()]);
    for secret in ["老人腿脚", "13900001111", "残疾", "\"lat\":35.5"] {
        assert!(!text.contains(secret), "the liaison head's feed carries {secret}");
    }
}

/// A liaison head sees only some of the tags: replacing the set would erase the hidden ones, so the server
/// (and the phone, same rule) refuses; a phone number he types is a real number and is taken.
#[tokio::test]
async fn a_role_that_does_not_see_every_tag_cannot_overwrite_them() {
    let s = server().await;
    let lh1 = s.token("lh1").await;
    let pushed = s.push(&lh1, vec![edit_by("lh1", vec![HouseholdField::Tags(vec!["党员".into()])])]).await;
    assert!(
        matches!(&pushed.results[0].outcome, OpOutcome::Rejected { code: RejectCode::NotPermitted, message } if message.contains("tag")),
        "{:?}",
        pushed.results[0]
    );
    assert_eq!(h1_in_bundle(&s, "cs").await.2, vec!["低保".to_string(), "党员".to_string()], "hidden tags kept");
    // A masked value cannot come back: it is not a phone number.
    let pushed = s.push(&lh1, vec![edit_by("lh1", vec![HouseholdField::Phone(Some("138****5678".into()))])]).await;
    assert!(matches!(pushed.results[0].outcome, OpOutcome::Rejected { code: RejectCode::InvalidInput, .. }), "{:?}", pushed.results[0]);
    let pushed = s.push(&lh1, vec![edit_by("lh1", vec![HouseholdField::Phone(Some("13700002222".into()))])]).await;
    assert_eq!(pushed.results[0].outcome, OpOutcome::Applied);
    assert_eq!(h1_in_bundle(&s, "cs").await.1.as_deref(), Some("13700002222"));
}
