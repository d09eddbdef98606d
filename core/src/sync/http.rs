//! The HTTP side of sync: JSON requests to the `/v1` API with the device token, gzip-compressed request
//! bodies (rural links are slow; JSON shrinks 5–10×), retries with backoff on network failures and 5xx/429,
//! and the server's error body turned into the core's errors (a revoked device is told to wipe).

use std::time::Duration;

use linkage_protocol::sync::ErrorBody;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::backoff::{random_u64, RetryPolicy};
use crate::error::{Error, Result};

/// The longest long poll the server accepts (`wait` of `GET /v1/changes`), seconds; well inside the
/// client's 60 s request timeout.
pub const MAX_PULL_WAIT_SECS: u32 = 30;

/// A connection to one sync server.
#[derive(Debug, Clone)]
pub struct ServerClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    retry: RetryPolicy,
}

/// A response body with the bytes it took on the wire (for the wire-size benchmark).
#[derive(Debug)]
pub struct Exchange<T> {
    pub body: T,
    pub request_bytes: usize,
}

fn network(e: impl std::fmt::Display) -> Error {
    Error::Network(e.to_string())
}

impl ServerClient {
    /// A client for `base_url` (e.g. `https://linkage.example.gov.cn`), optionally with a device token.
    pub fn new(base_url: &str, token: Option<String>, retry: RetryPolicy) -> Result<ServerClient> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::invalid("server_url", "must start with https://"));
        }
        ServerClient::with_pins(&base, token, retry, super::pinning::built_in_pins()?, &[])
    }

    /// [`ServerClient::new`] requiring one of `pins` (SHA-256 of a SubjectPublicKeyInfo) in an `https://`
    /// server's chain ([`super::pinning`]); `extra_roots` (DER) are trusted beside the webpki roots (tests
    /// with their own CA). No pins: the usual checks only.
    pub fn with_pins(base_url: &str, token: Option<String>, retry: RetryPolicy, pins: Vec<[u8; 32]>, extra_roots: &[Vec<u8>]) -> Result<ServerClient> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::invalid("server_url", "must start with https://"));
        }
        check_transport(&base)?;
        let mut builder = reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).timeout(Duration::from_secs(60));
        if !pins.is_empty() {
            builder = builder.use_preconfigured_tls(super::pinning::pinned_tls(pins, extra_roots)?);
        }
        let http = builder.build().map_err(network)?;
        Ok(ServerClient { http, base, token, retry })
    }

    /// The same server with a (new) token.
    pub fn with_token(&self, token: String) -> ServerClient {
        ServerClient { token: Some(token), ..self.clone() }
    }

    /// Sends `body` as gzip-compressed JSON and decodes the JSON answer, retrying transient failures.
    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<Exchange<T>> {
        self.post_encoded(path, encode_json(body)?).await
    }

    /// Sends a body made by [`encode_json`] (encoded ahead, e.g. while the previous request was under way) and
    /// decodes the JSON answer, retrying transient failures.
    pub async fn post_encoded<T: DeserializeOwned>(&self, path: &str, body: EncodedJson) -> Result<Exchange<T>> {
        self.send(Method::POST, path, Some(body.0), true).await
    }

    /// GETs a JSON answer, retrying transient failures.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Exchange<T>> {
        self.send(Method::GET, path, None, false).await
    }

    /// One page of the scoped change feed after `after` (`GET /v1/changes`). With `wait_secs` > 0 (at most
    /// 30) the server holds the request until a change in the caller's scope arrives or the wait ends (then
    /// the page is empty): a long poll, for a phone in the foreground. Retries transient failures.
    pub async fn pull(&self, after: i64, limit: u32, wait_secs: u32) -> Result<Exchange<linkage_protocol::sync::PullResponse>> {
        let mut path = format!("{}?after={after}&limit={limit}", linkage_protocol::sync::paths::PULL);
        if wait_secs > 0 {
            path.push_str(&format!("&wait={}", wait_secs.min(MAX_PULL_WAIT_SECS)));
        }
        self.get(&path).await
    }

    /// Downloads raw bytes (an evidence blob) with GET, retrying transient failures. The body is limited to
    /// `max_bytes` (a larger answer is refused as a network fault, never buffered).
    pub async fn get_bytes(&self, path: &str, max_bytes: u64) -> Result<Vec<u8>> {
        let url = format!("{}{}", self.base, path);
        let mut retry = 0;
        loop {
            let mut req = self.http.get(&url);
            if let Some(token) = &self.token {
                req = req.bearer_auth(token);
            }
            let outcome = match req.send().await {
                Ok(resp) if resp.status().is_success() => read_limited(resp, max_bytes).await,
                Ok(resp) => self.read::<serde_json::Value>(resp).await.map(|_| Vec::new()),
                Err(e) => Err(network(e)),
            };
            match outcome {
                Err(Error::Network(_)) if retry + 1 < self.retry.attempts => {
                    tokio::time::sleep(self.retry.delay(retry, random_u64())).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    /// Uploads raw bytes (a blob or part of one) with PUT.
    pub async fn put_bytes(&self, path: &str, bytes: Vec<u8>) -> Result<()> {
        self.send::<serde_json::Value>(Method::PUT, path, Some(bytes), false).await.map(|_| ())
    }

    async fn send<T: DeserializeOwned>(&self, method: Method, path: &str, body: Option<Vec<u8>>, gzipped: bool) -> Result<Exchange<T>> {
        let url = format!("{}{}", self.base, path);
        let request_bytes = body.as_ref().map_or(0, Vec::len);
        let mut retry = 0;
        loop {
            let mut req = self.http.request(method.clone(), &url);
            if let Some(token) = &self.token {
                req = req.bearer_auth(token);
            }
            if let Some(bytes) = &body {
                req = req.body(bytes.clone());
                req = if gzipped {
                    req.header("content-type", "application/json").header("content-encoding", "gzip")
                } else {
                    req.header("content-type", "application/octet-stream")
                };
            }
            let outcome = match req.send().await {
                Ok(resp) => self.read(resp).await,
                Err(e) => Err(network(e)),
            };
            match outcome {
                Err(Error::Network(reason)) if retry + 1 < self.retry.attempts => {
                    let _ = reason;
                    tokio::time::sleep(self.retry.delay(retry, random_u64())).await;
                    retry += 1;
                }
                other => return other.map(|body| Exchange { body, request_bytes }),
            }
        }
    }

    async fn read<T: DeserializeOwned>(&self, resp: reqwest::Response) -> Result<T> {
        let status = resp.status();
        let retry_after = resp.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = resp.bytes().await.map_err(network)?;
        if status.is_success() {
            let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
            return serde_json::from_slice(bytes).map_err(|e| Error::Network(format!("unexpected answer: {e}")));
        }
        let err: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        let message = err.as_ref().map_or_else(|| status.to_string(), |e| e.message.clone());
        let code = err.as_ref().map(|e| e.code.as_str()).unwrap_or_default();
        Err(match status {
            StatusCode::UNAUTHORIZED if err.as_ref().is_some_and(|e| e.wipe) => Error::DeviceRevoked,
            StatusCode::UNAUTHORIZED => Error::AuthRequired(message),
            StatusCode::TOO_MANY_REQUESTS if code == "rate_limited" => Error::RateLimited { retry_after_secs: retry_after.unwrap_or(0) },
            StatusCode::FORBIDDEN if code == "account_locked" => Error::AccountLocked(message),
            StatusCode::FORBIDDEN if code == "password_change_required" => Error::PasswordChangeRequired,
            StatusCode::BAD_REQUEST if code == "weak_password" => Error::invalid("new_password", message),
            StatusCode::FORBIDDEN => Error::Rule(linkage_protocol::rules::RuleError::OutOfScope),
            s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::REQUEST_TIMEOUT => {
                Error::Network(format!("server busy or failing ({s})"))
            }
            s => Error::Server { status: s.as_u16(), message },
        })
    }
}

/// Hosts plain `http://` may reach: this phone itself, and the development machine as the Android emulator
/// (10.0.2.2) sees it. Everything else needs TLS: the ledger, passwords and tokens never cross a network in
/// clear (security issue G12).
pub fn cleartext_allowed(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host == "10.0.2.2" {
        return true;
    }
    host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Refuses an `http://` server address unless its host may be reached in clear ([`cleartext_allowed`]).
fn check_transport(base: &str) -> Result<()> {
    let url = reqwest::Url::parse(base).map_err(|e| Error::invalid("server_url", e.to_string()))?;
    let host = url.host_str().unwrap_or_default();
    if url.scheme() == "http" && !cleartext_allowed(host) {
        return Err(Error::InsecureUrl(host.to_string()));
    }
    Ok(())
}

/// Reads a successful response body of at most `max_bytes`, chunk by chunk.
async fn read_limited(mut resp: reqwest::Response, max_bytes: u64) -> Result<Vec<u8>> {
    if resp.content_length().is_some_and(|n| n > max_bytes) {
        return Err(Error::Network("the server sent more than a photo can hold".into()));
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(network)? {
        if (out.len() + chunk.len()) as u64 > max_bytes {
            return Err(Error::Network("the server sent more than a photo can hold".into()));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A JSON request body, gzip-compressed, ready to send with [`ServerClient::post_encoded`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedJson(Vec<u8>);

/// Encodes `body` as a request body: JSON, gzip-compressed (CPU work only; any thread).
pub fn encode_json<B: Serialize>(body: &B) -> Result<EncodedJson> {
    Ok(EncodedJson(gzip(&serde_json::to_vec(body)?)?))
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::fast());
    enc.write_all(bytes)?;
    Ok(enc.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_bodies_shrink() {
        assert!(ServerClient::new("ftp://x", None, RetryPolicy::default()).is_err());
        assert!(ServerClient::new(" http://127.0.0.1:8080/ ", None, RetryPolicy::default()).is_ok());
        // Clear text only to this phone itself or the emulator's host; anything else needs https.
        for ok in ["http://localhost:8080", "http://10.0.2.2:8080", "http://[::1]:8080", "https://linkage.example.gov.cn", "https://192.168.1.5"] {
            assert!(ServerClient::new(ok, None, RetryPolicy::default()).is_ok(), "{ok}");
        }
        for refused in ["http://192.168.1.5:8080", "http://linkage.example.gov.cn", "http://10.0.2.3", "http://127.0.0.1.evil.cn"] {
            let err = ServerClient::new(refused, None, RetryPolicy::default()).unwrap_err();
            assert!(matches!(err, Error::InsecureUrl(_)), "{refused}: {err:?}");
            assert_eq!(crate::error::ApiError::from(err).code(), crate::error::ErrorCode::InsecureConnection);
        }
        let json = serde_json::to_vec(&vec!["入户走访，家中安好"; 200]).unwrap();
        assert!(gzip(&json).unwrap().len() * 10 < json.len());
    }
}
