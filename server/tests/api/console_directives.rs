//! The console's directive endpoints (#14 point 6): compose through the push path (idempotent), coverage that
//! fills as phones sign, the tree level by level, silent nodes and 催办, task reports sent back, scope, photos.

use linkage_protocol::model::DirectiveKind;
use linkage_protocol::sync::OpOutcome;
use linkage_protocol::wire::{NodeAck, OpBody, Operation, TaskReport};
use linkage_server::console::directives::{
    ComposeAnswer, ComposeForm, ComposeRequest, DirectiveDetail, DirectivePage, PhotoAnswer, RemindRequest, ReviewRequest, TargetNode, TreeNode,
};
use linkage_server::console::staff::ActionAnswer;

use crate::common::{now_ms, start, uuid, TestServer};

async fn get<T: serde::de::DeserializeOwned>(s: &TestServer, token: &str, path: &str) -> (u16, Option<T>) {
    let resp = s.http.get(s.url(path)).bearer_auth(token).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, if status == 200 { Some(resp.json().await.unwrap()) } else { None })
}

async fn post<T: serde::de::DeserializeOwned>(s: &TestServer, token: &str, path: &str, body: &impl serde::Serialize) -> (u16, Option<T>) {
    let resp = s.http.post(s.url(path)).bearer_auth(token).json(body).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, if status == 200 { Some(resp.json().await.unwrap()) } else { None })
}

fn compose(op_id: &str, kind: DirectiveKind, target: &str, due: Option<i64>, photos: Vec<String>) -> ComposeRequest {
    ComposeRequest {
        op_id: op_id.into(),
        kind,
        title: " 护林防火预警 ".into(),
        body: "今明两天大风，严禁野外用火。".into(),
        due_at_ms: due,
        target_node_id: target.into(),
        photos,
    }
}

fn op(body: OpBody) -> Operation {
    let at = now_ms();
    Operation { op_id: uuid(), hlc: linkage_protocol::hlc::Hlc { wall_ms: at, counter: 0 }.encode("test"), body }
}

fn ack(directive: &str, user: &str, node: &str) -> Operation {
    op(OpBody::NodeAcknowledged(NodeAck { directive_id: directive.into(), node_id: node.into(), user_id: user.into(), at_ms: now_ms() }))
}

#[tokio::test]
async fn a_directive_composed_on_the_console_reaches_phones_and_its_coverage_fills_as_they_sign() {
    let s = start().await;
    let cs = s.token("cs").await;
    // A photo uploaded first, then cited.
    let jpeg = [&[0xFF_u8, 0xD8, 0xFF, 0xE0][..], &[7u8; 64]].concat();
    let resp = s.http.post(s.url("/v1/console/photos")).bearer_auth(&cs).header("content-type", "image/jpeg").body(jpeg.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let photo: PhotoAnswer = resp.json().await.unwrap();
    let not_jpeg = s.http.post(s.url("/v1/console/photos")).bearer_auth(&cs).header("content-type", "image/jpeg").body("hello").send().await.unwrap();
    assert_eq!(not_jpeg.status(), 400);

    let op_id = uuid();
    let req = compose(&op_id, DirectiveKind::Alert, "t1", None, vec![photo.hash.clone()]);
    let (status, first) = post::<ComposeAnswer>(&s, &cs, "/v1/console/directives", &req).await;
    assert_eq!(status, 200);
    let first = first.unwrap();
    assert_eq!(first.answer.outcome, "applied", "{}", first.answer.message);
    assert_eq!(post::<ComposeAnswer>(&s, &cs, "/v1/console/directives", &req).await.1.unwrap().answer.outcome, "duplicate");
    let id = first.directive_id;

    // The grid worker's phone pulls it once, title trimmed, and may read its photo.
    let gw1 = s.token("gw1").await;
    let pulled = s.pull(&gw1, 0, 1000).await;
    let issued: Vec<_> = pulled.changes.iter().filter_map(|c| match &c.op.body {
        OpBody::DirectiveIssued(d) => Some(d.clone()),
        _ => None,
    }).collect();
    assert_eq!(issued.len(), 1);
    assert_eq!((issued[0].title.as_str(), issued[0].issuer_id.as_str()), ("护林防火预警", "cs"));
    let blob = s.http.get(s.url(&format!("/v1/blobs/{}", photo.hash))).bearer_auth(&gw1).send().await.unwrap();
    assert_eq!(blob.status(), 200);
    assert_eq!(blob.bytes().await.unwrap().to_vec(), jpeg);

    // Nobody signed yet: t1, b1, g1 owe it; h1 not told.
    let page = get::<DirectiveDetail>(&s, &cs, &format!("/v1/console/directives/{id}")).await.1.unwrap();
    let levels: Vec<(String, u32, u32)> = page.levels.iter().map(|l| (l.level_label.clone(), l.acked, l.total)).collect();
    assert_eq!(levels, vec![("乡镇".into(), 0, 1), ("村党支部".into(), 0, 1), ("村民小组".into(), 0, 1), ("户".into(), 0, 1)]);
    assert_eq!(page.silent_total, 3);
    assert_eq!(page.photos, vec![photo.hash.clone()]);

    // The township and the branch sign on their phones: coverage fills.
    let ts1 = s.token("ts1").await;
    assert_eq!(s.push(&ts1, vec![ack(&id, "ts1", "t1")]).await.results[0].outcome, OpOutcome::Applied);
    assert_eq!(s.push(&gw1, vec![ack(&id, "gw1", "b1")]).await.results[0].outcome, OpOutcome::Applied);
    let page = get::<DirectiveDetail>(&s, &cs, &format!("/v1/console/directives/{id}")).await.1.unwrap();
    assert_eq!((page.directive.nodes_acked, page.directive.nodes_total, page.silent_total), (2, 3, 1));
    assert_eq!(page.silent_nodes.iter().map(|n| n.node_id.as_str()).collect::<Vec<_>>(), vec!["g1"]);
    assert!(page.silent_nodes[0].may_remind);

    // The tree level by level: the target, then its children.
    let top = get::<Vec<TreeNode>>(&s, &cs, &format!("/v1/console/directives/{id}/tree")).await.1.unwrap();
    assert_eq!(top.len(), 1);
    let t1 = &top[0];
    assert_eq!(t1.node_id, "t1");
    assert!(t1.acked_at_ms.is_some() && t1.has_children);
    assert_eq!((t1.nodes_acked, t1.nodes_total, t1.households_total), (2, 3, 1));
    assert_eq!(get::<Vec<TreeNode>>(&s, &cs, &format!("/v1/console/directives/{id}/tree?node=t2")).await.0, 404, "t2 is not reached");
    let under = get::<Vec<TreeNode>>(&s, &cs, &format!("/v1/console/directives/{id}/tree?node=t1")).await.1.unwrap();
    assert_eq!(under.iter().map(|n| (n.node_id.as_str(), n.acked_at_ms.is_some())).collect::<Vec<_>>(), vec![("b1", true)]);

    // 催办 the silent group; a node that signed cannot be reminded.
    let (_, r) = post::<ActionAnswer>(&s, &cs, &format!("/v1/console/directives/{id}/reminders"), &RemindRequest { op_id: uuid(), node_id: "g1".into() }).await;
    assert_eq!(r.unwrap().outcome, "applied");
    let (_, r) = post::<ActionAnswer>(&s, &cs, &format!("/v1/console/directives/{id}/reminders"), &RemindRequest { op_id: uuid(), node_id: "b1".into() }).await;
    assert_eq!(r.unwrap().outcome, "rejected");

    // Scope: t2 neither sees it nor its tree; ts1 cannot issue to t2.
    let ts2 = s.token("ts2").await;
    assert_eq!(get::<DirectiveDetail>(&s, &ts2, &format!("/v1/console/directives/{id}")).await.0, 404);
    assert!(get::<DirectivePage>(&s, &ts2, "/v1/console/directives").await.1.unwrap().items.is_empty());
    assert_eq!(get::<DirectivePage>(&s, &ts1, "/v1/console/directives").await.1.unwrap().total, 1, "received from the county");
    let (_, out) = post::<ComposeAnswer>(&s, &ts1, "/v1/console/directives", &compose(&uuid(), DirectiveKind::Notice, "t2", None, vec![])).await;
    assert_eq!(out.unwrap().answer.reject_code, Some(linkage_protocol::sync::RejectCode::OutOfScope));
}

#[tokio::test]
async fn task_reports_wait_for_the_issuer_who_sends_one_back_with_a_reason() {
    let s = start().await;
    let ts1 = s.token("ts1").await;
    let (_, no_due) = post::<ComposeAnswer>(&s, &ts1, "/v1/console/directives", &compose(&uuid(), DirectiveKind::Task, "t1", None, vec![])).await;
    let no_due = no_due.unwrap().answer;
    assert!(no_due.outcome == "rejected" && no_due.message.starts_with("任务须填写办结时限"), "{}", no_due.message);
    let due = now_ms() + 3 * 24 * 3600 * 1000;
    let (_, task) = post::<ComposeAnswer>(&s, &ts1, "/v1/console/directives", &compose(&uuid(), DirectiveKind::Task, "t1", Some(due), vec![])).await;
    let id = task.unwrap().directive_id;
    let gw1 = s.token("gw1").await;
    s.push(&gw1, vec![ack(&id, "gw1", "b1")]).await;
    let report = op(OpBody::TaskReported(TaskReport { directive_id: id.clone(), node_id: "b1".into(), user_id: "gw1".into(), at_ms: now_ms(), note: "已排查完毕".into(), evidence: vec![] }));
    assert_eq!(s.push(&gw1, vec![report]).await.results[0].outcome, OpOutcome::Applied);
    let waiting = get::<DirectivePage>(&s, &ts1, "/v1/console/directives?waiting=true").await.1.unwrap();
    assert_eq!((waiting.total, waiting.items[0].reports_waiting), (1, 1));
    let page = get::<DirectiveDetail>(&s, &ts1, &format!("/v1/console/directives/{id}")).await.1.unwrap();
    assert_eq!(page.reports.len(), 1);
    assert!(page.reports[0].may_review && page.reports[0].status_label == "待审核");
    // Sending back needs a reason; then it is returned, and the county (not the issuer) may not review it.
    let url = format!("/v1/console/directives/{id}/reviews");
    let (_, empty) = post::<ActionAnswer>(&s, &ts1, &url, &ReviewRequest { op_id: uuid(), node_id: "b1".into(), accepted: false, reason: " ".into() }).await;
    assert_eq!(empty.unwrap().outcome, "rejected");
    let cs = s.token("cs").await;
    let (_, not_issuer) = post::<ActionAnswer>(&s, &cs, &url, &ReviewRequest { op_id: uuid(), node_id: "b1".into(), accepted: true, reason: String::new() }).await;
    let not_issuer = not_issuer.unwrap();
    assert!(not_issuer.message.contains("只有下达任务的单位可以审核完成情况"), "{}", not_issuer.message);
    let (_, back) = post::<ActionAnswer>(&s, &ts1, &url, &ReviewRequest { op_id: uuid(), node_id: "b1".into(), accepted: false, reason: "缺少现场照片".into() }).await;
    assert_eq!(back.unwrap().outcome, "applied");
    let page = get::<DirectiveDetail>(&s, &ts1, &format!("/v1/console/directives/{id}")).await.1.unwrap();
    assert_eq!((page.reports[0].status_label.as_str(), page.reports[0].review_reason.as_deref()), ("已退回", Some("缺少现场照片")));
    // The phone pulls the review.
    let pulled = s.pull(&gw1, 0, 1000).await;
    assert!(pulled.changes.iter().any(|c| matches!(&c.op.body, OpBody::TaskReportReviewed(r) if !r.accepted && r.reason == "缺少现场照片")));
}

#[tokio::test]
async fn the_compose_form_and_target_tree_come_from_the_rules_and_the_callers_scope() {
    let s = start().await;
    let ts1 = s.token("ts1").await;
    let (status, form) = get::<ComposeForm>(&s, &ts1, "/v1/console/directives/form").await;
    assert_eq!(status, 200);
    let form = form.unwrap();
    let kinds: Vec<(String, bool)> = form.kinds.iter().map(|k| (k.label.clone(), k.due_required)).collect();
    assert_eq!(kinds, vec![("通知".into(), false), ("预警".into(), false), ("任务".into(), true)]);
    assert_eq!((form.root.node_id.as_str(), form.root.households, form.root.has_children), ("t1", 1, true));
    assert_eq!(form.title_max, linkage_protocol::validate::limits::TITLE as u32);

    // The tree opens level by level inside the caller's scope only.
    let under = get::<Vec<TargetNode>>(&s, &ts1, "/v1/console/directives/targets?node=t1").await.1.unwrap();
    assert_eq!(under.iter().map(|n| (n.node_id.as_str(), n.level_label.as_str(), n.households)).collect::<Vec<_>>(), vec![("b1", "村党支部", 1)]);
    let groups = get::<Vec<TargetNode>>(&s, &ts1, "/v1/console/directives/targets?node=b1").await.1.unwrap();
    assert_eq!((groups.len(), groups[0].has_children), (1, false));
    assert_eq!(get::<Vec<TargetNode>>(&s, &ts1, "/v1/console/directives/targets?node=t2").await.0, 404, "t2 is outside ts1's scope");
    assert_eq!(get::<Vec<TargetNode>>(&s, &ts1, "/v1/console/directives/targets?node=no%20such").await.0, 400);
    assert_eq!(get::<Vec<TargetNode>>(&s, &ts1, "/v1/console/directives/targets").await.0, 400, "node is required");
    let cs = s.token("cs").await;
    let county = get::<Vec<TargetNode>>(&s, &cs, "/v1/console/directives/targets?node=c").await.1.unwrap();
    assert_eq!(county.iter().map(|n| n.node_id.as_str()).collect::<Vec<_>>(), vec!["t1", "t2"]);
    // Phones' roles are not console users.
    let gw1 = s.token("gw1").await;
    assert_eq!(s.http.get(s.url("/v1/console/directives/form")).bearer_auth(&gw1).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn the_list_filters_by_issuer_side_and_counts_coverage_over_a_chosen_node() {
    let s = start().await;
    let cs = s.token("cs").await;
    let ts1 = s.token("ts1").await;
    let (_, county) = post::<ComposeAnswer>(&s, &cs, "/v1/console/directives", &compose(&uuid(), DirectiveKind::Alert, "c", None, vec![])).await;
    let county = county.unwrap();
    assert_eq!(county.answer.outcome, "applied", "{}", county.answer.message);
    let (_, own) = post::<ComposeAnswer>(&s, &ts1, "/v1/console/directives", &compose(&uuid(), DirectiveKind::Notice, "b1", None, vec![])).await;
    let own = own.unwrap().directive_id;

    let ids = |p: DirectivePage| p.items.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(get::<DirectivePage>(&s, &ts1, "/v1/console/directives?side=issued").await.1.unwrap()), vec![own.clone()]);
    assert_eq!(ids(get::<DirectivePage>(&s, &ts1, "/v1/console/directives?side=received").await.1.unwrap()), vec![county.directive_id.clone()]);
    assert_eq!(get::<DirectivePage>(&s, &ts1, "/v1/console/directives").await.1.unwrap().total, 2);
    assert_eq!(get::<DirectivePage>(&s, &ts1, "/v1/console/directives?side=bogus").await.0, 400);

    // The county's alert over t1 alone: t1, b1, g1 owe it; t1 signs → 1 of 3 (33%).
    s.push(&ts1, vec![ack(&county.directive_id, "ts1", "t1")]).await;
    let over_t1 = get::<DirectivePage>(&s, &cs, "/v1/console/directives?node=t1").await.1.unwrap();
    assert_eq!(over_t1.total, 2, "the county's alert reaches t1; the township's notice to b1 lies within it");
    let row = over_t1.items.iter().find(|r| r.id == county.directive_id).unwrap();
    assert_eq!((row.nodes_acked, row.nodes_total), (1, 3));
    assert_eq!(row.nodes_percent.map(|p| p.round()), Some(33.0));
    let whole = get::<DirectivePage>(&s, &cs, "/v1/console/directives").await.1.unwrap();
    let row = whole.items.iter().find(|r| r.id == county.directive_id).unwrap();
    assert_eq!((row.nodes_acked, row.nodes_total), (1, 6), "over the county: both townships' subtrees");
    assert_eq!(get::<DirectivePage>(&s, &ts1, "/v1/console/directives?node=t2").await.0, 404, "t2 is outside ts1's scope");
    let page = get::<DirectiveDetail>(&s, &cs, &format!("/v1/console/directives/{}", county.directive_id)).await.1.unwrap();
    assert_eq!(page.levels[0].percent, Some(50.0), "townships: 1 of 2");
}
