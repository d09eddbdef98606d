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
    let (gw1, ts1, lh1, ts2) = (s.token("gw1").await, s.token("ts1").await, s.token("lh1").await, s.token("ts2").await);
    let photo: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let hash = sha256_hex(&photo);
    let wrong = sha256_hex(b"something else");
    let part = sha256_hex(b"a blob that grows too large");
    let big = vec![0u8; 10 * 1024 * 1024 + 1];

    // The phone pushes its records first, then their photos: ts1's 办结 cites them all.
    assert_eq!(s.push(&lh1, vec![report("lh1", "ib", "h1")]).await.results[0].outcome, OpOutcome::Applied);
    let cited = vec![hash.clone(), wrong.clone(), part.clone(), sha256_hex(&big)];
    let ops = vec![
        event("ts1", "ib", IssueAction::Accept),
        event("ts1", "ib", IssueAction::Resolve { note: "已处理，见照片".into(), evidence: cited }),
    ];
    assert!(s.push(&ts1, ops).await.results.iter().all(|r| r.outcome == OpOutcome::Applied));

    let ask = |t: String, h: String| {
        let s = &s;
        async move {
            let r = s.http.post(s.url(paths::BLOBS_MISSING)).bearer_auth(t).json(&BlobsMissingRequest { hashes: vec![h] }).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<BlobsMissingResponse>().await.unwrap()
        }
    };
    let m = ask(ts1.clone(), hash.clone()).await;
    assert_eq!(m.missing[0].received_bytes, 0);
    // Before it is uploaded, a download in scope answers as one out of scope does.
    let early = s.http.get(blob_url(&s, &hash, "")).bearer_auth(&gw1).send().await.unwrap();
    assert_eq!(early.status(), 404);

    // First part, then the link drops.
    let r = s.http.put(blob_url(&s, &hash, "?offset=0&last=false")).bearer_auth(&ts1).body(photo[..80_000].to_vec()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let head = s.http.head(blob_url(&s, &hash, "")).bearer_auth(&ts1).send().await.unwrap();
    assert_eq!(head.headers()["upload-offset"], "80000");
    assert_eq!(head.headers()["x-blob-complete"], "false");
    let m = ask(ts1.clone(), hash.clone()).await;
    assert_eq!(m.missing[0].received_bytes, 80_000);

    // A gap is refused; resuming at the reported offset completes and verifies.
    let r = s.http.put(blob_url(&s, &hash, "?offset=90000")).bearer_auth(&ts1).body(photo[90_000..].to_vec()).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let r = s.http.put(blob_url(&s, &hash, "?offset=80000")).bearer_auth(&ts1).body(photo[80_000..].to_vec()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(ask(ts1.clone(), hash.clone()).await.missing.is_empty());

    // Bytes that do not match their name: 422, nothing kept.
    let r = s.http.put(blob_url(&s, &wrong, "?offset=0")).bearer_auth(&ts1).body(photo.clone()).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(ask(ts1.clone(), wrong.clone()).await.missing[0].received_bytes, 0);

    // Too large: 413.
    let r = s.http.put(blob_url(&s, &sha256_hex(&big), "")).bearer_auth(&ts1).body(big).send().await.unwrap();
    assert_eq!(r.status(), 413); // answered before the body is read: the connection may close
    // An offset past the bytes received is told first (where to resume), before the size.
    let r = s.http.put(blob_url(&s, &hash, "?offset=10485760")).bearer_auth(&ts1).body(vec![1u8, 2]).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let r = s.http.put(blob_url(&s, &part, "?offset=10485761")).bearer_auth(&ts1).body(vec![1u8, 2]).send().await.unwrap();
    assert_eq!(r.status(), 400, "an offset past 10 MiB is out of the declared range");
    let almost = vec![7u8; 10 * 1024 * 1024 - 1];
    let r = s.http.put(blob_url(&s, &part, "?offset=0&last=false")).bearer_auth(&ts1).body(almost).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = s.http.put(blob_url(&s, &part, "?offset=10485759")).bearer_auth(&ts1).body(vec![1u8, 2]).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<ErrorBody>().await.unwrap().code, "payload_too_large");

    // Download only within the scope of a record that refers to it. Out of scope answers as a missing blob
    // does (404): the answer does not tell that it exists.
    let r = s.http.get(blob_url(&s, &hash, "")).bearer_auth(&gw1).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo);
    let out = s.http.get(blob_url(&s, &hash, "")).bearer_auth(&ts2).send().await.unwrap();
    assert_eq!(out.status(), 404);
    let missing = s.http.get(blob_url(&s, &sha256_hex(b"never uploaded"), "")).bearer_auth(&ts2).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let (a, b): (ErrorBody, ErrorBody) = (out.json().await.unwrap(), missing.json().await.unwrap());
    assert_eq!(a, b, "one answer for out of scope and missing");
}
