//! Sign-in, refresh, expiry of the old token, and revoked devices.

use linkage_protocol::sync::{paths, ErrorBody, SignInResponse};


use crate::common::*;

#[tokio::test]
async fn wrong_password_and_unknown_user_are_401() {
    let s = start().await;
    for (user, pw) in [("ts1", "not-the-password"), ("nobody", PASSWORD)] {
        let resp = s.sign_in_raw(user, pw, "dev-x").await;
        assert_eq!(resp.status(), 401);
        let body: ErrorBody = resp.json().await.unwrap();
        assert_eq!(body.code, "unauthorized");
        assert!(!body.wipe);
    }
    let resp = s.http.get(s.url(paths::PULL)).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = s.http.get(s.url(paths::PULL)).bearer_auth("made-up").send().await.unwrap();
    assert_eq!(resp.json::<ErrorBody>().await.unwrap().code, "unauthorized");
}

#[tokio::test]
async fn sign_in_says_who_and_refresh_replaces_the_token() {
    let s = start().await;
    let resp = s.sign_in_raw("lh1", PASSWORD, "dev-lh1").await;
    assert_eq!(resp.status(), 200);
    let signed: SignInResponse = resp.json().await.unwrap();
    assert_eq!((signed.user_id.as_str(), signed.node_id.as_str()), ("lh1", "g1"));
    assert_eq!(signed.token.len(), 43);
    assert!(signed.expires_at_ms > now_ms() + 29 * 24 * 3600 * 1000);

    let resp = s.http.post(s.url(paths::REFRESH)).bearer_auth(&signed.token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let fresh: SignInResponse = resp.json().await.unwrap();
    assert_ne!(fresh.token, signed.token);
    assert_eq!(s.pull(&fresh.token, 0, 10).await.changes.len(), 0);
    let old = s.http.get(s.url(paths::PULL)).bearer_auth(&signed.token).send().await.unwrap();
    assert_eq!(old.status(), 401);
}

#[tokio::test]
async fn revoked_device_is_told_to_wipe() {
    let s = start().await;
    let token = s.token("gw1").await;
    assert!(s.storage.revoke_device("dev-gw1").unwrap());
    let resp = s.http.get(s.url(paths::PULL)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let body: ErrorBody = resp.json().await.unwrap();
    assert_eq!(body.code, "device_revoked");
    assert!(body.wipe);
    // Signing in again on the revoked installation does not re-enroll it.
    let resp = s.sign_in_raw("gw1", PASSWORD, "dev-gw1").await;
    assert_eq!(resp.status(), 401);
    assert!(resp.json::<ErrorBody>().await.unwrap().wipe);
}
