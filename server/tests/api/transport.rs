//! The serving loop: HTTPS with the server's own certificate (rustls), and time bounds — a client that never
//! finishes its request head, its body, or says nothing at all is cut off instead of holding the connection.

use std::sync::Arc;
use std::time::Duration;

use linkage_protocol::sync::{paths, SignInResponse};
use linkage_server::api::ServeOptions;
use linkage_server::storage::Storage;
use linkage_server::transport::Timeouts;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

const CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/cert.pem");
const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/key.pem");

/// Serves the fixture county's storage with `options` on a free port until the returned sender is dropped.
async fn serve(s: &TestServer, options: ServeOptions) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let storage = s.storage.clone() as Arc<dyn Storage>;
    tokio::spawn(async move {
        linkage_server::api::serve_until(listener, storage, options, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap()
    });
    (addr, stop)
}

#[tokio::test]
async fn https_is_served_with_the_configured_certificate() {
    let s = start().await;
    let tls = linkage_server::transport::tls_config(CERT.as_ref(), KEY.as_ref()).unwrap();
    let (addr, _stop) = serve(&s, ServeOptions { tls: Some(tls), ..ServeOptions::default() }).await;
    let cert = reqwest::Certificate::from_pem(&std::fs::read(CERT).unwrap()).unwrap();
    let https = reqwest::Client::builder().add_root_certificate(cert).build().unwrap();
    let base = format!("https://localhost:{}", addr.port());
    let req = serde_json::json!({ "user_id": "gw1", "password": PASSWORD, "device_id": "tls-phone" });
    let signed: SignInResponse = https.post(format!("{base}{}", paths::SIGN_IN)).json(&req).send().await.unwrap().json().await.unwrap();
    let resp = https.get(format!("{base}{}", paths::BUNDLE)).bearer_auth(&signed.token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // Plain HTTP to the TLS port gets no answer.
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{}{}", addr.port(), paths::OPENAPI)).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    // A bad key file is refused with the file named.
    let err = linkage_server::transport::tls_config(CERT.as_ref(), CERT.as_ref()).unwrap_err().to_string();
    assert!(err.contains("cert.pem"), "{err}");
}

/// Reads until the server closes the connection (or 5 s pass); returns what arrived and whether it closed.
async fn until_closed(conn: &mut tokio::net::TcpStream) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

#[tokio::test]
async fn slow_and_silent_clients_are_cut_off() {
    let s = start().await;
    let timeouts = Timeouts {
        handshake: Duration::from_millis(300),
        header: Duration::from_millis(300),
        body: Duration::from_millis(300),
        request: Duration::from_secs(60),
        idle: Duration::from_secs(2),
    };
    let (addr, _stop) = serve(&s, ServeOptions { timeouts, ..ServeOptions::default() }).await;

    // Connects and says nothing.
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (_, closed) = until_closed(&mut silent).await;
    assert!(closed, "a silent connection is closed");

    // Sends half a request head and stops.
    let mut slow_head = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow_head.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let (_, closed) = until_closed(&mut slow_head).await;
    assert!(closed, "an unfinished request head is cut off");

    // Announces a body and never sends it.
    let mut slow_body = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"user_id\":",
        paths::SIGN_IN
    );
    slow_body.write_all(head.as_bytes()).await.unwrap();
    let (answer, closed) = until_closed(&mut slow_body).await;
    assert!(closed || answer.starts_with("HTTP/1.1 4"), "an unfinished body ends the request: {answer:?}");

    // A normal request on the same server still works.
    let resp = reqwest::get(format!("http://{addr}{}", paths::OPENAPI)).await.unwrap();
    assert_eq!(resp.status(), 200);
}
