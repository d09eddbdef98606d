//! Blobs: missing list, resumable upload with hash verification, size limit, scoped download.

use linkage_protocol::sync::{paths, BlobsMissingRequest, BlobsMissingResponse, ErrorBody, OpOutcome};
use linkage_protocol::wire::IssueAction;
use linkage_server::sqlite::sha256_hex;

use crate::common::*;

fn blob_url(s: &TestServer, hash: &str, query: &str) -> String {
    s.url(&format!("{}{query}", paths::BLOB.replace("{hash}", hash)))
}

#[tokio::test]
async fn upload_resumes_at_an_offset_and_is_verified() {
    let s = start().await;
    let gw1 = s.token("gw1").await;
    let photo: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let hash = sha256_hex(&photo);

    let ask = |t: String, h: String| {
        let s = &s;
        async move {
            let r = s.http.post(s.url(paths::BLOBS_MISSING)).bearer_auth(t).json(&BlobsMissingRequest { hashes: vec![h] }).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<BlobsMissingResponse>().await.unwrap()
        }
    };
    let m = ask(gw1.clone(), hash.clone()).await;
    assert_eq!(m.missing[0].received_bytes, 0);

    // First part, then the link drops.
    let r = s.http.put(blob_url(&s, &hash, "?offset=0&last=false")).bearer_auth(&gw1).body(photo[..80_000].to_vec()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let head = s.http.head(blob_url(&s, &hash, "")).bearer_auth(&gw1).send().await.unwrap();
    assert_eq!(head.headers()["upload-offset"], "80000");
    assert_eq!(head.headers()["x-blob-complete"], "false");
    let m = ask(gw1.clone(), hash.clone()).await;
    assert_eq!(m.missing[0].received_bytes, 80_000);

    // A gap is refused; resuming at the reported offset completes and verifies.
    let r = s.http.put(blob_url(&s, &hash, "?offset=90000")).bearer_auth(&gw1).body(photo[90_000..].to_vec()).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let r = s.http.put(blob_url(&s, &hash, "?offset=80000")).bearer_auth(&gw1).body(photo[80_000..].to_vec()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(ask(gw1.clone(), hash.clone()).await.missing.is_empty());

    // Bytes that do not match their name: 422, nothing kept.
    let wrong = sha256_hex(b"something else");
    let r = s.http.put(blob_url(&s, &wrong, "?offset=0")).bearer_auth(&gw1).body(photo.clone()).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(ask(gw1.clone(), wrong.clone()).await.missing[0].received_bytes, 0);

    // Too large: 413.
    let big = vec![0u8; 10 * 1024 * 1024 + 1];
    let r = s.http.put(blob_url(&s, &sha256_hex(&big), "")).bearer_auth(&gw1).body(big).send().await.unwrap();
    assert_eq!(r.status(), 413); // answered before the body is read: the connection may close
    // An offset past the bytes received is told first (where to resume), before the size.
    let r = s.http.put(blob_url(&s, &hash, "?offset=10485760")).bearer_auth(&gw1).body(vec![1u8, 2]).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let r = s.http.put(blob_url(&s, &hash, "?offset=10485761")).bearer_auth(&gw1).body(vec![1u8, 2]).send().await.unwrap();
    assert_eq!(r.status(), 400, "an offset past 10 MiB is out of the declared range");
    let almost = vec![7u8; 10 * 1024 * 1024 - 1];
    let part = sha256_hex(b"a blob that grows too large");
    let r = s.http.put(blob_url(&s, &part, "?offset=0&last=false")).bearer_auth(&gw1).body(almost).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = s.http.put(blob_url(&s, &part, "?offset=10485759")).bearer_auth(&gw1).body(vec![1u8, 2]).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<ErrorBody>().await.unwrap().code, "payload_too_large");

    // Download: nobody may, until a record refers to it; then only within that record's scope. Out of scope
    // answers as a missing blob does (404): the answer does not tell that it exists.
    let r = s.http.get(blob_url(&s, &hash, "")).bearer_auth(&gw1).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let missing = s.http.get(blob_url(&s, &sha256_hex(b"never uploaded"), "")).bearer_auth(&gw1).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let (a, b): (ErrorBody, ErrorBody) = (r.json().await.unwrap(), missing.json().await.unwrap());
    assert_eq!(a, b, "one answer for out of scope and missing");
    let (ts1, lh1, ts2) = (s.token("ts1").await, s.token("lh1").await, s.token("ts2").await);
    assert_eq!(s.push(&lh1, vec![report("lh1", "ib", "h1")]).await.results[0].outcome, OpOutcome::Applied);
    let ops = vec![
        event("ts1", "ib", IssueAction::Accept),
        event("ts1", "ib", IssueAction::Resolve { note: "已处理，见照片".into(), evidence: vec![hash.clone()] }),
    ];
    assert!(s.push(&ts1, ops).await.results.iter().all(|r| r.outcome == OpOutcome::Applied));
    let r = s.http.get(blob_url(&s, &hash, "")).bearer_auth(&gw1).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo);
    let r = s.http.get(blob_url(&s, &hash, "")).bearer_auth(&ts2).send().await.unwrap();
    assert_eq!(r.status(), 404);
}
