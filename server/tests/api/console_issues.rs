//! The console's issue endpoints (#14 point 5): scope (a township sees and acts on its own issues only), the
//! list's filters, the issue page, actions through the phones' push path (a phone pulls them), idempotent double
//! submits, and refusals by the shared rules in Chinese.

use linkage_protocol::model::SupervisionLevel;
use linkage_protocol::wire::{IssueAction, OpBody};
use linkage_server::console::issues::{ActionRequest, Assignee, ConsoleAction, IssueDetail, IssuePage};
use linkage_server::console::staff::ActionAnswer;

use crate::common::{event, report, start, uuid, TestServer};

async fn get<T: serde::de::DeserializeOwned>(s: &TestServer, token: &str, path: &str) -> (u16, Option<T>) {
    let resp = s.http.get(s.url(path)).bearer_auth(token).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, if status == 200 { Some(resp.json().await.unwrap()) } else { None })
}

async fn act(s: &TestServer, token: &str, issue: &str, op_id: &str, action: ConsoleAction) -> (u16, ActionAnswer) {
    let req = ActionRequest { op_id: op_id.into(), action };
    let resp = s.http.post(s.url(&format!("/v1/console/issues/{issue}/actions"))).bearer_auth(token).json(&req).send().await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    (status, serde_json::from_str(&body).unwrap_or_else(|_| ActionAnswer { outcome: format!("http {status}: {body}"), reject_code: None, message: body }))
}

/// Two issues: i1 in t1 (h1), i2 in t2 (h2), both reported by the grid workers and accepted by the township.
async fn two_issues(s: &TestServer) -> (String, String, String) {
    let (gw1, gw2, ts1, ts2) = (s.token("gw1").await, s.token("gw2").await, s.token("ts1").await, s.token("ts2").await);
    let r = s.push(&gw1, vec![report("gw1", "i1", "h1")]).await;
    assert!(r.results.iter().all(|r| r.outcome == linkage_protocol::sync::OpOutcome::Applied), "{r:?}");
    s.push(&gw2, vec![report("gw2", "i2", "h2")]).await;
    s.push(&ts1, vec![event("ts1", "i1", IssueAction::Accept)]).await;
    s.push(&ts2, vec![event("ts2", "i2", IssueAction::Accept)]).await;
    (ts1, ts2, gw1)
}

#[tokio::test]
async fn a_township_sees_and_acts_on_its_own_issues_only() {
    let s = start().await;
    let (ts1, _ts2, gw1) = two_issues(&s).await;
    let (status, page) = get::<IssuePage>(&s, &ts1, "/v1/console/issues").await;
    assert_eq!(status, 200);
    let page = page.unwrap();
    assert_eq!(page.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), vec!["i1"], "ts1 sees only t1's issue");
    assert_eq!(page.items[0].state_label, "受理");
    assert_eq!(page.items[0].township_name, "节点t1");
    // Another township's issue: not found, on the page, the picker and the action alike.
    assert_eq!(get::<IssueDetail>(&s, &ts1, "/v1/console/issues/i2").await.0, 404);
    assert_eq!(get::<Vec<Assignee>>(&s, &ts1, "/v1/console/issues/i2/assignees").await.0, 404);
    let (status, _) = act(&s, &ts1, "i2", &uuid(), ConsoleAction::Supervise { level: SupervisionLevel::Red, note: String::new() }).await;
    assert_eq!(status, 404);
    // A township filter outside the scope is refused, not emptied silently.
    assert_eq!(get::<IssuePage>(&s, &ts1, "/v1/console/issues?township=t2").await.0, 404);
    // A grid worker has no console.
    assert_eq!(get::<IssuePage>(&s, &gw1, "/v1/console/issues").await.0, 403);
    // The county sees both, and may filter by township.
    let cs = s.token("cs").await;
    let all = get::<IssuePage>(&s, &cs, "/v1/console/issues").await.1.unwrap();
    assert_eq!(all.total, 2);
    let t2 = get::<IssuePage>(&s, &cs, "/v1/console/issues?township=t2").await.1.unwrap();
    assert_eq!(t2.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), vec!["i2"]);
}

#[tokio::test]
async fn red_card_from_the_console_reaches_the_phone_once_even_when_submitted_twice() {
    let s = start().await;
    let (ts1, _, gw1) = two_issues(&s).await;
    let cs = s.token("cs").await;
    let page = get::<IssueDetail>(&s, &cs, "/v1/console/issues/i1").await.1.unwrap();
    assert!(page.actions.iter().any(|a| a.action == "supervise" && a.choice.as_deref() == Some("supervision_level")), "{:?}", page.actions);
    assert!(page.timeline.len() == 2 && page.timeline[0].action_label == "上报", "{:?}", page.timeline);
    // A township staff member is not above the owner: no 督办 button, and the rules refuse it in Chinese.
    let own = get::<IssueDetail>(&s, &ts1, "/v1/console/issues/i1").await.1.unwrap();
    assert!(!own.actions.iter().any(|a| a.action == "supervise"));
    let (status, refused) = act(&s, &ts1, "i1", &uuid(), ConsoleAction::Supervise { level: SupervisionLevel::Red, note: String::new() }).await;
    assert_eq!(status, 200);
    assert_eq!(refused.outcome, "rejected");
    assert!(refused.message.contains("只有上一级的干部可以督办或审批"), "{}", refused.message);

    let before = s.pull(&gw1, 0, 1000).await.next_cursor;
    let op_id = uuid();
    let red = ConsoleAction::Supervise { level: SupervisionLevel::Red, note: "  三日内办结  ".into() };
    let (status, first) = act(&s, &cs, "i1", &op_id, red.clone()).await;
    assert_eq!((status, first.outcome.as_str()), (200, "applied"), "{}", first.message);
    let (_, second) = act(&s, &cs, "i1", &op_id, red).await;
    assert_eq!(second.outcome, "duplicate", "{}", second.message);
    // The phone of the area pulls exactly one supervision, made by the county user, note trimmed.
    let pulled = s.pull(&gw1, before, 1000).await;
    let supervisions: Vec<_> = pulled
        .changes
        .iter()
        .filter_map(|c| match &c.op.body {
            OpBody::IssueEvent(e) if matches!(e.action, IssueAction::Supervise { .. }) => Some(e.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(supervisions.len(), 1, "{pulled:?}");
    assert_eq!(supervisions[0].actor_id, "cs");
    assert_eq!(supervisions[0].action, IssueAction::Supervise { level: SupervisionLevel::Red, note: "三日内办结".into() });
    // The list's red-card filter finds it; the page shows the card.
    let red_cards = get::<IssuePage>(&s, &cs, "/v1/console/issues?red_card=true").await.1.unwrap();
    assert_eq!(red_cards.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), vec!["i1"]);
    assert_eq!(red_cards.items[0].supervision_label, "红牌督办");
}

#[tokio::test]
async fn assign_with_the_picker_extension_decision_and_escalation() {
    let s = start().await;
    let (ts1, _, gw1) = two_issues(&s).await;
    let people = get::<Vec<Assignee>>(&s, &ts1, "/v1/console/issues/i1/assignees").await.1.unwrap();
    let ids: Vec<&str> = people.iter().map(|p| p.user_id.as_str()).collect();
    assert!(ids.contains(&"gw1") && ids.contains(&"ts1") && !ids.contains(&"gw2") && !ids.contains(&"lh1"), "{ids:?}");
    assert_eq!(ids[0], "gw1", "nearest the issue first");
    let (_, a) = act(&s, &ts1, "i1", &uuid(), ConsoleAction::Assign { assignee_id: "gw1".into() }).await;
    assert_eq!(a.outcome, "applied", "{}", a.message);
    // Assigning to another township's worker is refused by the shared rule.
    let (_, wrong) = act(&s, &ts1, "i1", &uuid(), ConsoleAction::Assign { assignee_id: "gw2".into() }).await;
    assert_eq!(wrong.outcome, "rejected");
    // The grid worker asks for an extension on the phone; the county sees it waiting for its decision.
    s.push(&gw1, vec![event("gw1", "i1", IssueAction::RequestExtension { working_days: 3, reason: "等材料".into() })]).await;
    let cs = s.token("cs").await;
    let waiting = get::<IssuePage>(&s, &cs, "/v1/console/issues?waiting=true").await.1.unwrap();
    assert_eq!(waiting.items.len(), 1);
    assert!(waiting.items[0].waiting_for_me && waiting.items[0].pending_extension_days == Some(3));
    assert!(get::<IssuePage>(&s, &ts1, "/v1/console/issues?waiting=true").await.1.unwrap().items.is_empty(), "not the township's decision");
    let (_, d) = act(&s, &cs, "i1", &uuid(), ConsoleAction::DecideExtension { approved: true, note: String::new() }).await;
    assert_eq!(d.outcome, "applied", "{}", d.message);
    // Escalation with the target left to the server: the county owns it now.
    let (_, e) = act(&s, &ts1, "i1", &uuid(), ConsoleAction::Escalate { reason: "涉及跨乡镇".into(), to_node_id: String::new() }).await;
    assert_eq!(e.outcome, "applied", "{}", e.message);
    let page = get::<IssueDetail>(&s, &cs, "/v1/console/issues/i1").await.1.unwrap();
    assert_eq!(page.issue.owner_node_id, "c");
    assert!(page.timeline.iter().any(|t| t.action_label == "上报上级" && t.detail.contains("涉及跨乡镇")));
    // An empty reason is refused before anything is made; a step only the system takes is not a console action.
    let (_, empty) = act(&s, &cs, "i1", &uuid(), ConsoleAction::Escalate { reason: "   ".into(), to_node_id: String::new() }).await;
    assert_eq!((empty.outcome.as_str(), empty.reject_code), ("rejected", Some(linkage_protocol::sync::RejectCode::InvalidInput)));
    assert!(empty.message.starts_with("提交的内容不完整或有误"), "{}", empty.message);
    let overdue = serde_json::json!({ "op_id": uuid(), "action": { "type": "mark_overdue", "step": "resolve", "due_at_ms": 0 } });
    let resp = s.http.post(s.url("/v1/console/issues/i1/actions")).bearer_auth(&cs).json(&overdue).send().await.unwrap();
    assert_eq!(resp.status(), 400, "not an action of the console");
    let after = get::<IssueDetail>(&s, &cs, "/v1/console/issues/i1").await.1.unwrap();
    assert_eq!(after.timeline.len(), page.timeline.len(), "nothing stored by the refusals");
}
