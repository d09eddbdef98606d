//! Drafts survive the process being killed (ODK Collect's promise): a child process — this very test binary,
//! running the ignored `draft_child_process` test — fills in a visit draft with two photos and keeps saving
//! keystrokes until the parent kills it with SIGKILL. Reopening the database shows the draft and both photos
//! intact, and submitting it records exactly one visit.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use linkage_core::api::*;
use linkage_core::clock::SystemClock;
use linkage_core::{DraftFields, DraftKind, FieldApp, SubmittedRecord};

use crate::common::fixture_path;
use crate::sync_story::photo;

const CHILD_DIR: &str = "LINKAGE_DRAFT_CHILD_DIR";

/// The child's part (run only by `a_visit_draft_survives_kill_9`, which sets `LINKAGE_DRAFT_CHILD_DIR`).
#[test]
#[ignore = "the child process of a_visit_draft_survives_kill_9"]
fn draft_child_process() {
    let dir = std::path::PathBuf::from(std::env::var(CHILD_DIR).expect("run by a_visit_draft_survives_kill_9"));
    let app = FieldApp::open_with_clock(&dir.join("linkage.db"), Arc::new(SystemClock)).unwrap();
    app.load_bundle(fixture_path()).unwrap();
    app.sign_in("gw".into()).unwrap();
    let draft = app.start_visit_draft("h1".into(), VisitKind::Routine, None, None).unwrap();
    for name in ["first.png", "second.png"] {
        app.add_draft_photo(draft.id.clone(), photo(&dir, name), None).unwrap();
    }
    println!("READY {}", draft.id);
    // The user keeps typing until the process dies.
    let mut notes = String::new();
    for i in 0u64.. {
        notes.push(char::from_u32(0x4e00 + (i % 200) as u32).unwrap());
        if notes.chars().count() > 500 {
            notes.clear();
        }
        app.update_draft(draft.id.clone(), DraftFields { notes: format!("走访记录{notes}"), ..draft.fields.clone() }).unwrap();
    }
}

/// Never leaves the child running, even when the parent fails first.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_visit_draft_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "drafts::draft_child_process", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let draft_id = loop {
        let line = lines.next().expect("the child ended before its draft was ready").unwrap();
        // libtest prints "test drafts::draft_child_process ... " before the test's own output.
        if let Some(at) = line.find("READY ") {
            break line[at + "READY ".len()..].trim().to_string();
        }
    };
    // Let it save a few hundred keystrokes, then kill -9 in the middle of one.
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.0.kill().unwrap(); // SIGKILL on Unix
    let status = child.0.wait().unwrap();
    #[cfg(unix)]
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9), "{status:?}");

    let app = FieldApp::open_with_clock(&dir.path().join("linkage.db"), Arc::new(SystemClock)).unwrap();
    assert_eq!(app.session().map(|s| s.user_id), Some("gw".into()), "the session survived");
    let drafts = app.drafts().unwrap();
    assert_eq!(drafts.len(), 1);
    let draft = &drafts[0];
    assert_eq!((draft.id.as_str(), draft.kind, draft.household_id.as_deref()), (draft_id.as_str(), DraftKind::Visit, Some("h1")));
    assert!(draft.fields.notes.starts_with("走访记录"), "the last saved keystroke: {}", draft.fields.notes);
    assert_eq!(draft.photos.len(), 2);
    for p in &draft.photos {
        assert!(app.verify_evidence(p.hash.clone()).unwrap(), "photo {} intact", p.hash);
        assert!(std::path::Path::new(&p.thumbnail_path).exists());
    }

    let SubmittedRecord::Visit { visit } = app.submit_draft(draft.id.clone()).unwrap() else { panic!("a visit") };
    assert_eq!(visit.evidence.len(), 2);
    assert_eq!(app.household_visits("h1".into(), 10).unwrap().len(), 1, "exactly one visit");
    assert!(app.drafts().unwrap().is_empty());
    assert!(matches!(app.submit_draft(draft.id.clone()), Err(linkage_core::ApiError::NotFound { .. })));
    assert_eq!(app.outbox_status().unwrap().pending, 1, "one operation queued");
    drop(app);
    // Reopened again: the sweep leaves the visit's photos alone.
    let app = FieldApp::open_with_clock(&dir.path().join("linkage.db"), Arc::new(SystemClock)).unwrap();
    for p in &draft.photos {
        assert!(app.verify_evidence(p.hash.clone()).unwrap());
    }
}

/// Drafts through the exported API: a draft for an unknown household, a photo for a discarded draft — typed
/// errors, nothing stored.
#[test]
fn bad_drafts_are_typed_errors_and_store_nothing() {
    let phone = crate::common::phone();
    let app = &phone.app;
    app.sign_in("gw".into()).unwrap();
    let before = crate::common::db_rows(&phone);
    assert!(matches!(app.start_visit_draft("nobody".into(), VisitKind::Routine, None, None), Err(linkage_core::ApiError::NotFound { .. })));
    assert_eq!(crate::common::db_rows(&phone), before);
    let d = app.start_issue_draft(Some("h1".into()), None).unwrap();
    app.discard_draft(d.id.clone()).unwrap();
    let after_discard = crate::common::db_rows(&phone);
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(app.add_draft_photo(d.id.clone(), photo(dir.path(), "late.png"), None), Err(linkage_core::ApiError::NotFound { .. })));
    assert_eq!(crate::common::db_rows(&phone), after_discard);
    let evidence = phone.db.parent().unwrap().join("evidence");
    assert!(!evidence.exists() || std::fs::read_dir(&evidence).unwrap().all(|e| e.unwrap().file_type().unwrap().is_dir()));
}

const ON_SPOT_CHILD_DIR: &str = "LINKAGE_ON_SPOT_CHILD_DIR";

/// A photo that differs per `i` (each draft gets its own evidence).
fn numbered_photo(dir: &std::path::Path, i: u32) -> String {
    let img = image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([(x % 256) as u8, ((y + i) % 256) as u8, (i % 256) as u8]));
    let path = dir.join(format!("on-spot-{i}.png"));
    img.save(&path).unwrap();
    path.to_string_lossy().into_owned()
}

/// The child's part of `on_spot_from_a_draft_survives_kill_9_without_a_second_issue`: a grid worker fills in
/// report drafts and submits each as resolved on the spot (就地解决), one after another, until killed.
#[test]
#[ignore = "the child process of on_spot_from_a_draft_survives_kill_9_without_a_second_issue"]
fn on_spot_child_process() {
    let dir = std::path::PathBuf::from(std::env::var(ON_SPOT_CHILD_DIR).expect("run by the kill test"));
    let app = FieldApp::open_with_clock(&dir.join("linkage.db"), Arc::new(SystemClock)).unwrap();
    app.load_bundle(fixture_path()).unwrap();
    app.sign_in("gw".into()).unwrap();
    for i in 0u32.. {
        let d = app.start_issue_draft(Some("h1".into()), None).unwrap();
        let fields = DraftFields {
            category: Some(IssueCategory::Infrastructure),
            title: format!("排水沟堵塞 {i}"),
            on_spot_note: "已当场清理疏通".into(),
            ..d.fields.clone()
        };
        app.update_draft(d.id.clone(), fields).unwrap();
        app.add_draft_photo(d.id.clone(), numbered_photo(&dir, i), None).unwrap();
        if i == 0 {
            println!("READY");
        }
        app.submit_draft_resolved_on_spot(d.id).unwrap();
    }
}

/// 就地解决 from a draft is one transaction (report + resolution + the draft's deletion): a SIGKILL at any
/// moment leaves each draft either still a draft (no event with its op id) or an issue with both events and
/// no draft — and retrying what is left makes exactly one more issue, never a second one for the same draft.
#[test]
fn on_spot_from_a_draft_survives_kill_9_without_a_second_issue() {
    for (round, delay_ms) in [(0, 120u64), (1, 260), (2, 410)] {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "drafts::on_spot_child_process", "--nocapture", "--test-threads=1"])
            .env(ON_SPOT_CHILD_DIR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut child = KillOnDrop(child);
        let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
        loop {
            let line = lines.next().expect("the child ended before it was ready").unwrap();
            if line.contains("READY") {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.0.kill().unwrap();
        child.0.wait().unwrap();

        let db = dir.path().join("linkage.db");
        let app = FieldApp::open_with_clock(&db, Arc::new(SystemClock)).unwrap();
        let conn = rusqlite::Connection::open(&db).unwrap();
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        let issues = count("SELECT count(*) FROM issues");
        assert!(issues >= 1, "round {round}: the first submit finished before READY was read");
        let ids: Vec<String> = conn.prepare("SELECT id FROM issues").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        for id in ids {
            let summary = app.issue(id).unwrap().summary;
            assert!(summary.resolved_on_spot && summary.state == IssueState::Resolved, "round {round}");
        }
        assert_eq!(count("SELECT count(*) FROM issue_events"), 2 * issues, "round {round}: never a report without its resolution");
        assert_eq!(app.outbox_status().unwrap().pending, 2 * issues as u64, "round {round}");
        let drafts = app.drafts().unwrap();
        assert!(drafts.len() <= 1, "round {round}: {} drafts", drafts.len());
        for d in &drafts {
            let used: i64 = conn.query_row("SELECT count(*) FROM issue_events WHERE event_id = ?1", [&d.id], |r| r.get(0)).unwrap();
            assert_eq!(used, 0, "round {round}: a draft next to the issue it became");
        }

        // The user opens what was left and submits it again: one more issue, and only one.
        let retry = match drafts.into_iter().next() {
            Some(d) => d,
            None => app.start_issue_draft(Some("h1".into()), None).unwrap(),
        };
        let fields = DraftFields {
            category: Some(IssueCategory::Infrastructure),
            title: "排水沟堵塞（重试）".into(),
            on_spot_note: "已当场清理疏通".into(),
            ..retry.fields.clone()
        };
        app.update_draft(retry.id.clone(), fields).unwrap();
        if retry.photos.is_empty() {
            app.add_draft_photo(retry.id.clone(), numbered_photo(dir.path(), 9_999), None).unwrap();
        }
        let issue = app.submit_draft_resolved_on_spot(retry.id.clone()).unwrap();
        assert!(issue.resolved_on_spot);
        assert!(matches!(app.submit_draft_resolved_on_spot(retry.id.clone()), Err(linkage_core::ApiError::NotFound { .. })));
        assert_eq!(count("SELECT count(*) FROM issues"), issues + 1, "round {round}");
        assert!(app.drafts().unwrap().is_empty());
    }
}
