//! Blob abuse (security issue item 5): an upload under a hash no record of the uploader cites is refused before a
//! byte is kept; the missing-blobs question and `HEAD` answer only within the caller's records and scope, alike
//! for held and absent blobs; unfinished uploads are recorded with their device and time and capped per device;
//! expired partial uploads, unreferenced blobs and stray files are collected (by the server's periodic run and
//! by `linkage-server blobs gc`), and each collection and refusal is in the audit trail.

use std::process::Command;
use std::time::{Duration, SystemTime};

use linkage_protocol::sync::{paths, BlobsMissingRequest, BlobsMissingResponse, ErrorBody, MissingBlob, OpOutcome};
use linkage_protocol::wire::IssueAction;
use linkage_server::api::Config;
use linkage_server::guard::Limits;
use linkage_server::sqlite::sha256_hex;
use linkage_server::storage::{BlobGc, BlobGcPolicy, BlobState};

use crate::common::*;

fn blob_url(s: &TestServer, hash: &str, query: &str) -> String {
    s.url(&format!("{}{query}", paths::BLOB.replace("{hash}", hash)))
}

async fn put(s: &TestServer, token: &str, hash: &str, query: &str, bytes: Vec<u8>) -> (u16, String) {
    let r = s.http.put(blob_url(s, hash, query)).bearer_auth(token).body(bytes).send().await.unwrap();
    let status = r.status().as_u16();
    let code = if status >= 400 { r.json::<ErrorBody>().await.unwrap().code } else { String::new() };
    (status, code)
}

async fn ask(s: &TestServer, token: &str, hashes: &[&str]) -> BlobsMissingResponse {
    let req = BlobsMissingRequest { hashes: hashes.iter().map(|h| h.to_string()).collect() };
    let r = s.http.post(s.url(paths::BLOBS_MISSING)).bearer_auth(token).json(&req).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn head(s: &TestServer, token: &str, hash: &str) -> (u16, String) {
    let r = s.http.head(blob_url(s, hash, "")).bearer_auth(token).send().await.unwrap();
    let offset = r.headers().get("upload-offset").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (r.status().as_u16(), offset)
}

fn audit_actions(s: &TestServer, action: &str) -> Vec<(String, String)> {
    s.storage.audit_rows(0, i64::MAX).unwrap().into_iter().filter(|r| r.action == action).map(|r| (r.actor, r.detail)).collect()
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn blob_abuse_is_refused_and_collected() {
    let limits = Limits { partial_uploads_per_device: 2, partial_upload_bytes_per_device: 1_000_000, ..Limits::default() };
    let s = start_with_config(Config { limits, ..Config::default() }).await;
    let blobs_dir = s.dir.path().join("blobs");
    let (ts1, lh1, gw1, ts2) = (s.token("ts1").await, s.token("lh1").await, s.token("gw1").await, s.token("ts2").await);

    // A made-up hash no record cites: refused before the body is kept, nothing on disk, the refusal audited.
    let made_up = sha256_hex(b"made up");
    assert_eq!(put(&s, &ts1, &made_up, "?last=false", vec![1u8; 500_000]).await, (404, "not_found".to_string()));
    assert_eq!(s.storage.blob_state(&made_up).unwrap(), BlobState::Absent);
    assert!(files_in(&blobs_dir).is_empty(), "{:?}", files_in(&blobs_dir));
    assert!(audit_actions(&s, "blob_upload_refused").iter().any(|(actor, d)| actor == "ts1" && d.contains("not_cited")));

    // ts1's 办结 cites four photos.
    let photos: Vec<Vec<u8>> = (0..4u8).map(|i| vec![i; 400_000]).collect();
    let [a, b, c, d]: [String; 4] = photos.iter().map(|p| sha256_hex(p)).collect::<Vec<_>>().try_into().unwrap();
    assert_eq!(s.push(&lh1, vec![report("lh1", "ab", "h1")]).await.results[0].outcome, OpOutcome::Applied);
    let ops = vec![
        event("ts1", "ab", IssueAction::Accept),
        event("ts1", "ab", IssueAction::Resolve { note: "已处理，见照片".into(), evidence: vec![a.clone(), b.clone(), c.clone(), d.clone()] }),
    ];
    assert!(s.push(&ts1, ops).await.results.iter().all(|r| r.outcome == OpOutcome::Applied));
    assert_eq!(put(&s, &ts1, &a, "", photos[0].clone()).await, (200, String::new()));

    // Another user, even in scope, may not upload ts1's photo; the missing question answers only about the
    // caller's own citations, and refuses a held photo and a never-uploaded made-up one alike.
    assert_eq!(put(&s, &gw1, &b, "", photos[1].clone()).await, (404, "not_found".to_string()));
    let m = ask(&s, &gw1, &[&a, &made_up]).await;
    assert!(m.missing.is_empty());
    assert_eq!(m.refused, vec![a.clone(), made_up.clone()]);
    let m = ask(&s, &ts1, &[&a, &b, &made_up]).await;
    assert_eq!(m.missing, vec![MissingBlob { hash: b.clone(), received_bytes: 0 }]);
    assert_eq!(m.refused, vec![made_up.clone()]);

    // HEAD: the citer and the record's scope are told; out of scope and missing answer 404 alike.
    assert_eq!(head(&s, &ts1, &b).await, (200, "0".to_string()));
    assert_eq!(head(&s, &gw1, &a).await, (200, "400000".to_string()));
    assert_eq!(head(&s, &ts2, &a).await.0, 404);
    assert_eq!(head(&s, &ts2, &made_up).await.0, 404);
    assert_eq!(head(&s, &gw1, &made_up).await.0, 404);

    // Unfinished uploads are capped per device: two at once, 1 MB in all.
    assert_eq!(put(&s, &ts1, &b, "?last=false", photos[1][..400_000].to_vec()).await.0, 200);
    assert_eq!(put(&s, &ts1, &c, "?last=false", photos[2][..200_000].to_vec()).await.0, 200);
    assert_eq!(put(&s, &ts1, &d, "?last=false", photos[3][..1_000].to_vec()).await, (429, "rate_limited".to_string()));
    assert_eq!(s.storage.blob_state(&d).unwrap(), BlobState::Absent, "the refused bytes are not kept");
    // Growing c to 700 kB would hold 1.1 MB unfinished: refused, c stays as it was.
    let big_c: Vec<u8> = vec![9u8; 500_000];
    assert_eq!(put(&s, &ts1, &c, "?offset=200000&last=false", big_c).await, (429, "rate_limited".to_string()));
    assert_eq!(s.storage.blob_state(&c).unwrap(), BlobState::Partial(200_000));
    assert!(audit_actions(&s, "blob_upload_refused").iter().any(|(_, d)| d.contains("too_many_unfinished")));
    // Finishing b frees its place: d may start now. A complete upload in one request is never capped.
    assert_eq!(put(&s, &ts1, &b, "?offset=400000", Vec::new()).await.0, 200);
    assert_eq!(s.storage.blob_state(&b).unwrap(), BlobState::Complete(400_000));
    assert_eq!(put(&s, &ts1, &d, "?last=false", photos[3][..1_000].to_vec()).await.0, 200);

    // Each unfinished upload is recorded with its uploader, device and time.
    if crate::common::sqlite_only("the rest reads and edits the SQLite file") {
        return;
    }
    let db = rusqlite::Connection::open(s.dir.path().join("linkage.db")).unwrap();
    let (user, device, started): (String, String, i64) = db
        .query_row("SELECT uploader_user, uploader_device, started_at_ms FROM blobs WHERE hash = ?1 AND complete = 0", [&c], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((user.as_str(), device.as_str()), ("ts1", "dev-ts1"));
    assert!(started > 0 && started <= now_ms());

    // Leftovers to collect: a blob no record refers to (as uploaded before uploads needed a citing record), a
    // stray complete file and a stray `.part` with no row, all old; a file that is no blob is left alone.
    let orphan = b"uploaded long ago, never cited".to_vec();
    let orphan_hash = sha256_hex(&orphan);
    std::fs::write(blobs_dir.join(&orphan_hash), &orphan).unwrap();
    db.execute("INSERT INTO blobs (hash, size, received_bytes, complete) VALUES (?1, ?2, ?2, 1)", rusqlite::params![orphan_hash, orphan.len() as i64])
        .unwrap();
    let stray = sha256_hex(b"stray");
    let stray_part = sha256_hex(b"stray part");
    for name in [stray.clone(), format!("{stray_part}.part"), "README.txt".to_string()] {
        let path = blobs_dir.join(&name);
        std::fs::write(&path, b"leftover").unwrap();
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(10 * 24 * 3600)).unwrap();
    }

    // The periodic collection now: the old leftovers go, fresh partial uploads and cited blobs stay; audited.
    let now = now_ms();
    let policy = BlobGcPolicy::default();
    let gc = linkage_server::api::collect_blobs(s.storage.as_ref(), now, &policy, "system").unwrap();
    assert_eq!(gc, BlobGc { partials_expired: 0, unreferenced_removed: 1, stray_files_removed: 2, bytes_freed: (orphan.len() + 16) as u64 });
    let mut expect = vec![a.clone(), b.clone(), format!("{c}.part"), format!("{d}.part"), "README.txt".to_string()];
    expect.sort();
    assert_eq!(files_in(&blobs_dir), expect);
    assert!(audit_actions(&s, "blobs_collected").iter().any(|(actor, d)| actor == "system" && d.contains("\"unreferenced_removed\":1")));

    // Three days later the unfinished uploads have expired: removed, and they start again from 0.
    let later = now + policy.partial_ttl_ms + 1;
    let gc = s.storage.blob_gc(later, &policy).unwrap();
    assert_eq!((gc.partials_expired, gc.unreferenced_removed, gc.bytes_freed), (2, 0, 201_000));
    assert_eq!(s.storage.blob_state(&c).unwrap(), BlobState::Absent);
    assert_eq!(head(&s, &ts1, &c).await, (200, "0".to_string()));
    // Cited blobs are never collected.
    let r = s.http.get(blob_url(&s, &a, "")).bearer_auth(&gw1).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().len(), 400_000);

    // The operator's command: collects (nothing left now), prints what it did, and is audited as the operator.
    let out = Command::new(env!("CARGO_BIN_EXE_linkage-server"))
        .args(["blobs", "gc", "--partial-hours", "1", "--grace-hours", "1", "--data-dir"])
        .arg(s.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 unfinished upload(s) expired"), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(audit_actions(&s, "blobs_collected").iter().any(|(actor, d)| actor.starts_with("cli") && d.contains("\"grace_hours\":1")));
    assert!(s.storage.audit_verify().unwrap().problem.is_none());
}
