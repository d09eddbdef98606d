//! A real phone core (`FieldApp`, SQLCipher store, sync) driven from the command line, for the web console's
//! end-to-end tests (console/e2e/README.md): a spec makes a change in the browser, then asks a phone to sync
//! and reads what the phone shows, as JSON on stdout. Test-only: not part of the app.
//!
//! ```text
//! phone --db DIR --server URL --user ID [--password PW] sync
//! phone --db DIR --server URL --user ID issue <issue id>          # sync, then the issue as the phone shows it
//! phone --db DIR --server URL --user ID directives                # sync, then the directives to acknowledge
//! phone --db DIR --server URL --user ID ack <directive id>         # acknowledge (签收) and sync it up
//! phone --db DIR --server URL --user ID directive <directive id>   # sync, then my node's state of it (催办, report)
//! phone --db DIR --server URL --user ID report <directive id> <note> [--photo JPEG]
//!                                                                  # report the task done (with a photo), sync it up
//! phone --db DIR --server URL --user ID form <form id> <steps.json> [node id]
//!                                          # sync, fill the form offline through the core's form model, submit, sync it up
//! ```
//! `steps.json` is a list of steps applied in order: `{"path": "households", "text": "300"}`,
//! `{"path": "village_type", "choice": "key"}`, `{"path": "idle_asset_use", "choices": ["lease"]}`,
//! `{"add": "problems"}` (a repeat entry; its questions are then `problems[1]/problem`). The form is about
//! `node id` (default: the user's own node).
//! The first call signs in (the store lives in DIR/phone.db and is kept between calls). Errors: a JSON
//! `{"error": ...}` and exit status 1.

use std::sync::Arc;

use linkage_core::clock::SystemClock;
use linkage_core::forms::FormAnswer;
use linkage_core::FieldApp;
use serde_json::{json, Value};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

async fn run(args: Vec<String>) -> Result<Value, String> {
    let dir = arg(&args, "--db").ok_or("--db DIR")?;
    let server = arg(&args, "--server").ok_or("--server URL")?;
    let user = arg(&args, "--user").ok_or("--user ID")?;
    let password = arg(&args, "--password").unwrap_or_else(|| "linkage2026".into());
    let photo = arg(&args, "--photo");
    let flags = ["--db", "--server", "--user", "--password", "--photo"];
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if flags.contains(&args[i].as_str()) {
            i += 2;
        } else {
            rest.push(args[i].clone());
            i += 1;
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = std::path::Path::new(&dir).join("phone.db");
    let first = !db.exists();
    let app: Arc<FieldApp> = FieldApp::open_with_clock(&db, Arc::new(SystemClock)).map_err(|e| format!("{e:?}"))?;
    if first {
        app.connect(server, user, password).await.map_err(|e| format!("{e:?}"))?;
    }
    let sync = |app: Arc<FieldApp>| async move { app.sync(None).await.map(|_| ()).map_err(|e| format!("{e:?}")) };
    match rest.first().map(String::as_str) {
        Some("sync") => {
            sync(app.clone()).await?;
            Ok(json!({ "synced": true }))
        }
        Some("issue") => {
            let id = rest.get(1).ok_or("issue <id>")?.clone();
            sync(app.clone()).await?;
            let d = app.issue(id).map_err(|e| format!("{e:?}"))?;
            let s = &d.summary;
            Ok(json!({
                "id": s.id, "title": s.title, "state": format!("{:?}", s.state), "state_label": s.state_label,
                "owner_node_id": s.owner_node_id, "assignee_id": s.assignee_id, "light": format!("{:?}", s.light),
                "supervision": s.supervision.map(|v| format!("{v:?}")), "supervision_label": s.supervision_label,
                "due_at_ms": s.due_at_ms, "rework_count": s.rework_count, "escalation_count": s.escalation_count,
                "allowed_actions": d.allowed_actions.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>(),
            }))
        }
        Some("directives") => {
            sync(app.clone()).await?;
            let page = app.directives_to_acknowledge(0, 100).map_err(|e| format!("{e:?}"))?;
            Ok(json!({ "directives": page.items.iter().map(|d| json!({
                "id": d.id, "title": d.title, "kind_label": d.kind_label, "acknowledged_at_ms": d.acknowledged_at_ms,
            })).collect::<Vec<_>>() }))
        }
        Some("ack") => {
            let id = rest.get(1).ok_or("ack <directive id>")?.clone();
            sync(app.clone()).await?;
            let d = app.acknowledge_directive(id).map_err(|e| format!("{e:?}"))?;
            sync(app.clone()).await?;
            Ok(json!({ "id": d.id, "acknowledged_at_ms": d.acknowledged_at_ms }))
        }
        Some("directive") => {
            let id = rest.get(1).ok_or("directive <directive id>")?.clone();
            sync(app.clone()).await?;
            Ok(directive_json(&app.directive(id).map_err(|e| format!("{e:?}"))?))
        }
        Some("report") => {
            let (id, note) = (rest.get(1).ok_or("report <directive id> <note>")?.clone(), rest.get(2).ok_or("report <directive id> <note>")?.clone());
            sync(app.clone()).await?;
            let mut evidence = Vec::new();
            if let Some(path) = photo {
                let target = linkage_core::api::EvidenceTarget::Acknowledgement { directive_id: id.clone() };
                evidence.push(app.add_evidence(path, None, Some(target)).map_err(|e| format!("{e:?}"))?.hash);
            }
            app.report_task_completion(id.clone(), note, evidence.clone()).map_err(|e| format!("{e:?}"))?;
            sync(app.clone()).await?;
            let mut out = directive_json(&app.directive(id).map_err(|e| format!("{e:?}"))?);
            out["evidence"] = json!(evidence);
            Ok(out)
        }

        Some("form") => {
            let form_id = rest.get(1).ok_or("form <form id> <steps.json> [node id]")?.clone();
            let steps_file = rest.get(2).ok_or("form <form id> <steps.json> [node id]")?;
            let steps: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(steps_file).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
            sync(app.clone()).await?;
            let model = app.start_form_draft(form_id, None, rest.get(3).cloned(), None).map_err(|e| format!("{e:?}"))?;
            let draft = model.draft_id.clone();
            for step in &steps {
                let path = step["path"].as_str().unwrap_or_default().to_string();
                let done = if let Some(repeat) = step["add"].as_str() {
                    app.add_repeat_instance(draft.clone(), repeat.into())
                } else if let Some(text) = step["text"].as_str() {
                    app.set_answer(draft.clone(), path, FormAnswer::Text { value: text.into() })
                } else if let Some(id) = step["choice"].as_str() {
                    app.set_answer(draft.clone(), path, FormAnswer::Choice { id: id.into() })
                } else if let Some(ids) = step["choices"].as_array() {
                    let ids = ids.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
                    app.set_answer(draft.clone(), path, FormAnswer::Choices { ids })
                } else {
                    return Err(format!("unknown step {step}"));
                };
                done.map_err(|e| format!("{step}: {e:?}"))?;
            }
            let submitted = app.submit_form(draft).map_err(|e| format!("{e:?}"))?;
            sync(app.clone()).await?;
            Ok(json!({ "response_id": submitted.response_id, "form_id": submitted.form_id, "version": submitted.version, "answered": submitted.answered }))
        }
        _ => Err("command: sync | issue <id> | directives | ack <directive id> | directive <directive id> | report <directive id> <note> [--photo JPEG] | form <form id> <steps.json> [node id]".into()),
    }
}

/// What the phone shows of a directive for its user's node.
fn directive_json(d: &linkage_core::api::DirectiveSummary) -> Value {
    json!({
        "id": d.id, "title": d.title, "acknowledged_at_ms": d.acknowledged_at_ms, "relayed_at_ms": d.relayed_at_ms,
        "reminded_at_ms": d.reminded_at_ms, "completed_at_ms": d.completed_at_ms, "can_acknowledge": d.can_acknowledge,
        "can_report_completion": d.can_report_completion, "report_status_label": d.report_status_label,
        "report_return_reason": d.report_return_reason,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    match rt.block_on(run(args)) {
        Ok(v) => println!("{v}"),
        Err(e) => {
            println!("{}", json!({ "error": e }));
            std::process::exit(1);
        }
    }
}
