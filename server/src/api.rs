//! The HTTP face of the server (DESIGN §8): the `/v1` sync API of `linkage_protocol::sync` — sign-in and
//! refresh, idempotent push, the scoped change feed, the scope's bundle, resumable content-addressed blobs —
//! and `/openapi.json`. Every `/v1` call but sign-in needs a device token; every read is limited to the
//! caller's node's subtree. Errors are always an `ErrorBody` with a stable code.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::handler::Handler;
use axum::routing::{on, MethodFilter};
use axum::Router;
use http_body_util::BodyExt;
use linkage_protocol::rules::scope;
use linkage_protocol::sync::{
    paths, BlobsMissingRequest, BlobsMissingResponse, ChangePasswordRequest, ErrorBody, ErrorCode, MissingBlob, PullResponse,
    PushRequest, PushResponse, OpResult, SignInRequest, SignInResponse, HASH_PATTERN, ID_PATTERN,
};
use linkage_protocol::validate;
use serde::de::DeserializeOwned;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;

use crate::audit::{self, Action};
use crate::auth;
use crate::error::Error;
use crate::guard::{self, Limits, Throttle, WorkCap};
use crate::storage::{Account, BlobLimits, BlobState, BlobWrite, Enrolment, NewEnrolment, Storage, TokenRecord, Uploader};

/// Largest evidence blob accepted (the phone's photos are ≤ 1600 px JPEGs, well under this).
pub const MAX_BLOB_BYTES: u64 = 10 * 1024 * 1024;
/// Largest JSON request body after decompression.
pub const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;
/// Most operations in one push.
pub const MAX_PUSH_OPS: usize = 1000;
/// Most changes in one pull page.
pub const MAX_PULL_LIMIT: u32 = 1000;
/// Pull page size when none is asked for.
pub const DEFAULT_PULL_LIMIT: u32 = 500;
/// Most hashes in one `blobs/missing` question.
pub const MAX_MISSING_HASHES: usize = 1000;
/// Longest a pull may wait for a change in its scope (`wait`, seconds).
pub const MAX_PULL_WAIT_SECS: u32 = 30;
/// Most pulls waiting at once: each holds a connection and a small task (a few KiB); past this a waiting pull
/// is answered `503 busy` at once and the phone retries with backoff.
pub const MAX_WAITING_PULLS: usize = 4096;

/// How the API protects itself: sign-in and work limits, and whether a reverse proxy's `X-Forwarded-For` names
/// the client.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub limits: Limits,
    /// Take the client address from the last `X-Forwarded-For` entry (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// The web console: where its built files are, the optional map tile layer.
    pub console: crate::console::ConsoleConfig,
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The storage backend.
    pub storage: Arc<dyn Storage>,
    /// Permits for long-polling pulls ([`MAX_WAITING_PULLS`]).
    waiters: Arc<tokio::sync::Semaphore>,
    /// Turns `true` when the server is shutting down: waiting pulls answer at once (`None`: never).
    shutdown: Option<tokio::sync::watch::Receiver<bool>>,
    pub(crate) config: Arc<Config>,
    /// Failed sign-ins per account and address (growing delays).
    throttle: Arc<Throttle>,
    /// Per-device work cap.
    pub(crate) work: Arc<WorkCap>,
    /// Password checks running at once (`Limits::concurrent_password_checks`).
    password_checks: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    fn new(storage: Arc<dyn Storage>, config: Config, shutdown: Option<tokio::sync::watch::Receiver<bool>>) -> AppState {
        let checks = config.limits.concurrent_password_checks.max(1);
        AppState {
            storage,
            waiters: Arc::new(tokio::sync::Semaphore::new(MAX_WAITING_PULLS)),
            shutdown,
            config: Arc::new(config),
            throttle: Arc::default(),
            work: Arc::default(),
            password_checks: Arc::new(tokio::sync::Semaphore::new(checks)),
        }
    }
}

/// The routes of the API: each registered with the one method it answers, so the list of what the router
/// serves is known (`registered_routes`) and checked against the OpenAPI document.
fn routes() -> Routes {
    Routes::default()
        .add(MethodFilter::POST, paths::SIGN_IN, sign_in)
        .add(MethodFilter::POST, paths::REFRESH, refresh)
        .add(MethodFilter::POST, paths::CHANGE_PASSWORD, change_password)
        .add(MethodFilter::POST, paths::PUSH, push)
        .add(MethodFilter::GET, paths::PULL, pull)
        .add(MethodFilter::GET, paths::BUNDLE, bundle)
        .add(MethodFilter::POST, paths::BLOBS_MISSING, blobs_missing)
        .add(MethodFilter::GET, paths::BLOB, blob_download)
        .add(MethodFilter::PUT, paths::BLOB, blob_upload)
        .add(MethodFilter::HEAD, paths::BLOB, blob_head)
        .add(MethodFilter::GET, paths::OPENAPI, openapi)
        .merge_console()
}

/// A router being built, with the (method, path) of every route added.
#[derive(Default)]
pub(crate) struct Routes {
    router: Router<AppState>,
    registered: Vec<(&'static str, &'static str)>,
}

impl Routes {
    /// The console's routes (`crate::console`), registered and documented like the sync API's.
    fn merge_console(self) -> Routes {
        crate::console::routes(self)
    }

    pub(crate) fn add<H: Handler<T, AppState>, T: 'static>(mut self, method: MethodFilter, path: &'static str, handler: H) -> Routes {
        let name = [
            (MethodFilter::GET, "get"),
            (MethodFilter::PUT, "put"),
            (MethodFilter::POST, "post"),
            (MethodFilter::HEAD, "head"),
            (MethodFilter::DELETE, "delete"),
            (MethodFilter::PATCH, "patch"),
        ]
        .into_iter()
        .find(|(f, _)| *f == method)
        .map(|(_, n)| n)
        .expect("one method per route");
        self.registered.push((name, path));
        self.router = self.router.route(path, on(method, handler));
        self
    }
}

/// Every route the router serves, as (lowercase method, path), in registration order. The OpenAPI document
/// must describe exactly these (tested).
pub fn registered_routes() -> Vec<(&'static str, &'static str)> {
    routes().registered
}

/// The router with every route, body limits, request decompression (gzip, zstd) and response compression.
/// Waiting pulls end with their wait (use [`router_with_shutdown`] to end them early on shutdown).
pub fn router(storage: Arc<dyn Storage>) -> Router {
    build(AppState::new(storage, Config::default(), None))
}

/// [`router`] with these limits.
pub fn router_with_config(storage: Arc<dyn Storage>, config: Config) -> Router {
    build(AppState::new(storage, config, None))
}

/// [`router`], with waiting pulls answered (an empty page) as soon as `shutdown` turns `true` (or its sender
/// is dropped).
pub fn router_with_shutdown(storage: Arc<dyn Storage>, config: Config, shutdown: tokio::sync::watch::Receiver<bool>) -> Router {
    build(AppState::new(storage, config, Some(shutdown)))
}

fn build(state: AppState) -> Router {
    crate::console::serve_files(routes().router)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(RequestDecompressionLayer::new())
        // Fastest level: JSON still shrinks ~10×, and the server does not spend its time compressing pages.
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .with_state(state)
}

/// How often the running server sweeps for overdue issues.
pub const SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// How the serving process runs: limits, time bounds, TLS, audit retention.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub config: Config,
    pub timeouts: crate::transport::Timeouts,
    /// Serve HTTPS with this configuration (`None`: plain HTTP, for loopback behind a TLS proxy).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Audit rows older than this many days are pruned daily (at least [`audit::MIN_RETENTION_DAYS`]).
    pub audit_retention_days: u32,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions { config: Config::default(), timeouts: Default::default(), tls: None, audit_retention_days: 365 }
    }
}

/// Serves the API on `listener` until Ctrl-C, sweeping for overdue issues every [`SWEEP_INTERVAL`] (so
/// issues are flagged even when no phone is online) and keeping the audit trail (daily prune past the retention,
/// head logged as an outside witness).
pub async fn serve(listener: tokio::net::TcpListener, storage: Arc<dyn Storage>, options: ServeOptions) -> std::io::Result<()> {
    serve_until(listener, storage, options, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// [`serve`] until `stop` resolves.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    storage: Arc<dyn Storage>,
    options: ServeOptions,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(sweep_periodically(storage.clone(), SWEEP_INTERVAL));
    let watcher = tokio::spawn(watch_feed_head(storage.clone(), FEED_HEAD_RECHECK));
    let keeper = tokio::spawn(keep_audit(storage.clone(), options.audit_retention_days.max(audit::MIN_RETENTION_DAYS)));
    let collector = tokio::spawn(collect_blobs_periodically(storage.clone(), BLOB_GC_INTERVAL, crate::storage::BlobGcPolicy::default()));
    let (stopper, shutdown) = tokio::sync::watch::channel(false);
    let router = router_with_shutdown(storage, options.config, shutdown);
    let served = crate::transport::serve_connections(
        listener,
        router,
        options.tls,
        options.timeouts,
        async move {
            stop.await;
            // Waiting pulls answer now, so the graceful shutdown does not wait up to 30 s for them.
            let _ = stopper.send(true);
        },
        std::time::Duration::from_secs(35),
    )
    .await;
    sweeper.abort();
    watcher.abort();
    keeper.abort();
    collector.abort();
    served
}

/// How often the serving process collects expired partial uploads and unreferenced blobs.
pub const BLOB_GC_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// One blob collection ([`Storage::blob_gc`]) by `actor` (`system` for the serving process, `cli:<user>` for
/// `blobs gc`), written to the audit trail when it removed anything or when an operator ran it.
pub fn collect_blobs(storage: &dyn Storage, now_ms: i64, policy: &crate::storage::BlobGcPolicy, actor: &str) -> crate::error::Result<crate::storage::BlobGc> {
    let gc = storage.blob_gc(now_ms, policy)?;
    if gc != crate::storage::BlobGc::default() || actor != "system" {
        let detail = serde_json::json!({
            "partials_expired": gc.partials_expired,
            "unreferenced_removed": gc.unreferenced_removed,
            "stray_files_removed": gc.stray_files_removed,
            "bytes_freed": gc.bytes_freed,
            "partial_ttl_hours": policy.partial_ttl_ms / 3_600_000,
            "grace_hours": policy.unreferenced_grace_ms / 3_600_000,
        });
        storage.audit(&audit::Event::new(actor, Action::BlobsCollected, "blobs", "").with(detail), now_ms)?;
    }
    Ok(gc)
}

/// Collects blobs now and then every `interval`; a failed run is reported and retried next time.
pub async fn collect_blobs_periodically(storage: Arc<dyn Storage>, interval: std::time::Duration, policy: crate::storage::BlobGcPolicy) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let storage = storage.clone();
        match tokio::task::spawn_blocking(move || collect_blobs(storage.as_ref(), now_ms(), &policy, "system")).await {
            Ok(Ok(gc)) if gc != crate::storage::BlobGc::default() => eprintln!(
                "blobs: {} unfinished upload(s) expired, {} unreferenced blob(s) and {} stray file(s) removed, {} bytes freed",
                gc.partials_expired, gc.unreferenced_removed, gc.stray_files_removed, gc.bytes_freed
            ),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => eprintln!("blob collection failed (will retry): {e}"),
            Err(e) => eprintln!("blob collection panicked (will retry): {e}"),
        }
    }
}

/// Once a day: prunes audit rows past the retention and logs the chain's head (seq, hash) to stderr, a record
/// outside the database that a later `audit verify` can be compared with.
pub async fn keep_audit(storage: Arc<dyn Storage>, retention_days: u32) {
    let mut ticker = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
    loop {
        ticker.tick().await;
        let storage = storage.clone();
        let keep = move || -> crate::error::Result<(u64, Option<(i64, String)>)> {
            let now = now_ms();
            let pruned = storage.audit_prune(now - i64::from(retention_days) * 24 * 3600 * 1000, now)?;
            Ok((pruned, storage.audit_verify()?.head))
        };
        match tokio::task::spawn_blocking(keep).await {
            Ok(Ok((pruned, head))) => {
                if pruned > 0 {
                    eprintln!("audit: {pruned} row(s) older than {retention_days} days pruned");
                }
                if let Some((seq, hash)) = head {
                    eprintln!("audit head 审计链头: seq {seq} sha256 {hash}");
                }
            }
            Ok(Err(e)) => eprintln!("audit upkeep failed (will retry): {e}"),
            Err(e) => eprintln!("audit upkeep panicked (will retry): {e}"),
        }
    }
}

/// How often the serving process re-reads the feed's head from the database, for writes made by another
/// process on the same data directory (`linkage-server sweep`); writes of this process publish it at once.
pub const FEED_HEAD_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Re-reads the feed's head every `interval` (one indexed query for all waiters, not one per waiter).
pub async fn watch_feed_head(storage: Arc<dyn Storage>, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let storage = storage.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || storage.refresh_feed_head()).await {
            eprintln!("feed head check failed (will retry): {e}");
        }
    }
}

/// The county's time-limit rules as stored now (its settings and calendars), and the warning for a year
/// without a calendar (`None`: all loaded), for the sweep and the CLI.
pub fn county_sla(storage: &dyn Storage, now_ms: i64) -> crate::error::Result<(linkage_protocol::rules::sla::SlaRules, Option<String>)> {
    use linkage_protocol::rules::county;
    let rules = county::CountyRules::from_config(&storage.county_config()?);
    let missing = county::missing_calendar_years(&rules.sla.calendar, now_ms);
    Ok((rules.sla, county::calendar_warning(&missing, linkage_protocol::labels::Locale::ZhCn)))
}

/// Runs the overdue sweep now and then every `interval` with the county's current time limits (settings
/// changed meanwhile apply from the next sweep); a failed sweep is reported and retried next time. A year
/// without a holiday calendar is logged at every sweep, the first one at start.
pub async fn sweep_periodically(storage: Arc<dyn Storage>, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let storage = storage.clone();
        let sweep = move || -> crate::error::Result<u32> {
            let now = now_ms();
            let (rules, warning) = county_sla(storage.as_ref(), now)?;
            if let Some(w) = warning {
                eprintln!("WARNING 警告: {w}");
            }
            storage.sweep_overdue(now, &rules)
        };
        match tokio::task::spawn_blocking(sweep).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => eprintln!("overdue sweep: {n} issue(s) flagged overdue and proposed for escalation"),
            Ok(Err(e)) => eprintln!("overdue sweep failed (will retry): {e}"),
            Err(e) => eprintln!("overdue sweep panicked (will retry): {e}"),
        }
    }
}

/// An error answer: status and `ErrorBody`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// `Retry-After` seconds (429).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, stable code and message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { status, body: ErrorBody { code: code.as_str().into(), message: message.into(), wipe: false }, retry_after: None }
    }

    /// 429 `rate_limited`, retry after `ms` (rounded up to whole seconds).
    pub(crate) fn rate_limited(message: &str, ms: u64) -> ApiError {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited, message);
        e.retry_after = Some(ms.div_ceil(1000).max(1));
        e
    }

    pub(crate) fn locked(message: &str) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::AccountLocked, message)
    }

    pub(crate) fn wrong_password() -> ApiError {
        ApiError::unauthorized("账号或密码错误 / wrong user id or password")
    }

    pub(crate) fn unauthorized(message: &str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    pub(crate) fn revoked() -> ApiError {
        let mut e = ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::DeviceRevoked, "this device was revoked; delete local data");
        e.body.wipe = true;
        e
    }

    pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, message)
    }

    pub(crate) fn not_found(message: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub(crate) fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::Invalid(m) => ApiError::invalid(m),
            Error::NotFound(m) => ApiError::not_found(&m),
            other => {
                eprintln!("linkage-server: internal error: {other}");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal server error")
            }
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::invalid(r.body_text())
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// Runs blocking storage work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, Error> + Send + 'static) -> ApiResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::from(Error::Corrupt(format!("worker failed: {e}")))),
    }
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A JSON body whose rejections are `ErrorBody` answers.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        JsonBytes::parse(&bytes).map(JsonBody)
    }
}

/// A JSON body read (Content-Type checked, size-limited, decompressed) but not parsed yet: a handler that
/// authenticates in its own blocking call parses it there, after the caller is known ([`JsonBytes::parse`]).
pub struct JsonBytes(pub Bytes);

impl JsonBytes {
    /// Parses the body: plain serde_json on the bytes, much faster than tracking the error path through a
    /// 1000-op batch, and the error still says where (line, column) it failed.
    pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
        serde_json::from_slice(bytes).map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("application/json"));
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::InvalidInput,
                "请求格式不对，请用 JSON 发送 / send Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large(r.body_text())
            } else {
                ApiError::invalid(r.body_text())
            }
        })?;
        Ok(JsonBytes(bytes))
    }
}

/// The authenticated caller: the device's token record (user, node path) and the token's hash. Each request
/// takes one unit of the device's work cap ([`Limits::requests_per_minute`]).
pub struct Caller {
    /// Device and user.
    pub record: TokenRecord,
    /// SHA-256 of the presented token.
    pub token_hash: String,
    /// The client's address (audit).
    pub address: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = Bearer::from_request_parts(parts, state).await?;
        let state = state.clone();
        blocking(move || bearer.admit(&state, now_ms())).await?
    }
}

/// A request's bearer token, taken from its header but not looked up yet. The sync handlers (push, pull)
/// look it up in the same blocking call as their storage work ([`Bearer::admit`]): each trip to the blocking
/// pool is a thread wake-up, which on a busy machine costs more than the lookup itself. Same checks, same
/// answers, in the same order as [`Caller`].
pub struct Bearer {
    token_hash: String,
    address: String,
}

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?;
        let address = crate::transport::client_addr(parts, state.config.trust_forwarded_for).map(|a| a.to_string()).unwrap_or_default();
        Ok(Bearer { token_hash: auth::token_hash(token), address })
    }
}

impl Bearer {
    /// Looks the token up and admits its caller (known, not revoked, not expired, within the device's request
    /// cap). Blocking: call it inside [`blocking`]. `Ok(Err(_))` is the answer refusing the caller.
    pub fn admit(self, state: &AppState, now: i64) -> Result<ApiResult<Caller>, Error> {
        let Some(record) = state.storage.token(&self.token_hash, now)? else {
            return Ok(Err(ApiError::unauthorized("unknown token")));
        };
        if record.revoked {
            return Ok(Err(ApiError::revoked()));
        }
        if record.expires_at_ms <= now {
            return Ok(Err(ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::TokenExpired, "the token expired; sign in again")));
        }
        if let Err(ms) = state.work.take(&state.config.limits, &record.device_id, 1, 0, now) {
            return Ok(Err(ApiError::rate_limited("请求过于频繁，请稍后再试 / too many requests from this device", ms)));
        }
        Ok(Ok(Caller { record, token_hash: self.token_hash, address: self.address }))
    }
}

/// The client's address, for the per-address throttle and the audit trail.
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(crate::transport::client_addr(parts, state.config.trust_forwarded_for)))
    }
}

pub(crate) fn addr_text(addr: Option<std::net::IpAddr>) -> String {
    addr.map(|a| a.to_string()).unwrap_or_default()
}

/// Records an audit event; a failure to record is logged, never shown to the client.
pub(crate) async fn record(state: &AppState, event: audit::Event) {
    let storage = state.storage.clone();
    if let Err(e) = blocking(move || storage.audit(&event, now_ms())).await {
        eprintln!("linkage-server: audit record failed: {e:?}");
    }
}

/// The account key of the throttle: the id as sent, bounded (any text counts, known or not).
fn account_key(user_id: &str) -> String {
    user_id.chars().take(64).collect()
}

/// Checks a user id and password with the sign-in protections: the growing delay per account and address
/// (429 before any work), at most `concurrent_password_checks` argon2 runs at once (503 past the wait), a dummy
/// hash for unknown ids (same work, same answer), failure counting with the lock-out, and the locked/disabled
/// answers. Every outcome is audited. Returns the account when the password is right and the account usable.
pub(crate) async fn authenticate(state: &AppState, addr: Option<std::net::IpAddr>, user_id: &str, password: &str) -> ApiResult<Account> {
    let limits = &state.config.limits;
    let key = account_key(user_id);
    let address = addr_text(addr);
    let wait = state.throttle.wait_ms(limits, &key, addr, now_ms());
    if wait > 0 {
        record(state, audit::Event::new(key.clone(), Action::SignInThrottled, key.clone(), address).with(serde_json::json!({ "wait_ms": wait }))).await;
        return Err(ApiError::rate_limited("尝试次数过多，请稍后再试 / too many failed sign-ins; wait and try again", wait));
    }
    let permit = tokio::time::timeout(
        std::time::Duration::from_millis(limits.password_check_wait_ms),
        state.password_checks.clone().acquire_owned(),
    )
    .await;
    let Ok(Ok(permit)) = permit else {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Busy, "服务器繁忙，请稍后再试 / too many sign-ins at once; retry shortly"));
    };
    let storage = state.storage.clone();
    let (id, pw) = (user_id.to_string(), password.to_string());
    let (account, right) = blocking(move || {
        let account = if validate::id("user_id", &id).is_ok() { storage.account(&id)? } else { None };
        let hash = account.as_ref().map_or(guard::dummy_hash(), |a| a.password_hash.as_str());
        // Over-long passwords are refused after the same work (argon2 of a bounded prefix would be a second path).
        let right = auth::verify_password(if pw.len() > 1024 { "" } else { &pw }, hash) && pw.len() <= 1024;
        Ok((account, right))
    })
    .await?;
    drop(permit);
    let now = now_ms();
    match (account, right) {
        (Some(a), true) if !a.locked && !a.disabled => {
            state.throttle.succeeded(&key);
            let storage = state.storage.clone();
            let uid = a.user.id.clone();
            blocking(move || storage.sign_in_succeeded(&uid)).await?;
            Ok(a)
        }
        (Some(a), true) if a.disabled && !a.locked => {
            record(state, audit::Event::new(key.clone(), Action::SignInFailed, key, address).with(serde_json::json!({ "reason": "disabled" }))).await;
            Err(ApiError::locked("账号已停用，请联系管理员 / this account was disabled; ask the administrator"))
        }
        (Some(a), _) if a.locked => {
            state.throttle.failed(limits, &key, addr, now);
            record(state, audit::Event::new(key.clone(), Action::SignInFailed, key, address).with(serde_json::json!({ "reason": "locked" }))).await;
            Err(ApiError::locked("账号已锁定，请联系管理员解锁 / this account is locked after too many failed sign-ins; ask the administrator"))
        }
        (account, _) => {
            let in_memory = state.throttle.failed(limits, &key, addr, now);
            let (count, locked_now) = match account {
                Some(a) => {
                    let storage = state.storage.clone();
                    let (uid, lock_after) = (a.user.id.clone(), limits.lock_after);
                    blocking(move || storage.sign_in_failed(&uid, lock_after)).await?
                }
                // An unknown id locks in memory at the same count, so it answers as a known one would.
                None => (in_memory, in_memory == limits.lock_after.max(1)),
            };
            record(
                state,
                audit::Event::new(key.clone(), Action::SignInFailed, key.clone(), address.clone())
                    .with(serde_json::json!({ "reason": "wrong_password", "failures": count })),
            )
            .await;
            if locked_now {
                record(state, audit::Event::new(key.clone(), Action::AccountLocked, key, address).with(serde_json::json!({ "failures": count }))).await;
            }
            if count >= limits.lock_after.max(1) {
                return Err(ApiError::locked("账号已锁定，请联系管理员解锁 / this account is locked after too many failed sign-ins; ask the administrator"));
            }
            Err(ApiError::wrong_password())
        }
    }
}

/// Enrols the device for a signed-in account with a new token; the refusals (revoked, taken) are told only here,
/// after the password was found right.
async fn enrol(
    state: &AppState,
    address: String,
    user: crate::storage::UserInfo,
    device_id: String,
    device_name: &str,
    device_secret: &str,
) -> ApiResult<SignInResponse> {
    let token = auth::new_token()?;
    let now = now_ms();
    let expires_at_ms = now + auth::TOKEN_TTL_MS;
    let enrolment = NewEnrolment {
        device_id: device_id.clone(),
        device_name: device_name.trim().to_string(),
        secret_hash: (!device_secret.is_empty()).then(|| crate::sqlite::sha256_hex(device_secret.as_bytes())),
        user_id: user.id.clone(),
        token_hash: auth::token_hash(&token),
        expires_at_ms,
        now_ms: now,
    };
    let storage = state.storage.clone();
    let outcome = blocking(move || storage.enroll_device(&enrolment)).await?;
    let uid = user.id.clone();
    match outcome {
        Enrolment::Enrolled => {
            record(state, audit::Event::new(uid.clone(), Action::SignIn, device_id, address)).await;
            Ok(signed_in(token, expires_at_ms, user, now))
        }
        Enrolment::Revoked => {
            record(state, audit::Event::new(uid, Action::SignInFailed, device_id, address).with(serde_json::json!({ "reason": "device_revoked" }))).await;
            Err(ApiError::revoked())
        }
        Enrolment::Taken => {
            record(state, audit::Event::new(uid, Action::DeviceTakeoverRefused, device_id, address)).await;
            Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::DeviceTaken,
                "此设备标识属于另一台设备 / this device id belongs to another installation",
            ))
        }
    }
}

fn check_device(device_id: &str, device_name: &str, device_secret: &str) -> ApiResult<()> {
    validate::id("device_id", device_id).map_err(|e| ApiError::invalid(e.to_string()))?;
    validate::device_name("device_name", device_name).map_err(|e| ApiError::invalid(e.to_string()))?;
    if device_secret.len() > 128 {
        return Err(ApiError::invalid("device_secret: at most 128 bytes"));
    }
    Ok(())
}

async fn sign_in(State(state): State<AppState>, ClientAddr(addr): ClientAddr, JsonBody(req): JsonBody<SignInRequest>) -> ApiResult<axum::Json<SignInResponse>> {
    check_device(&req.device_id, &req.device_name, &req.device_secret)?;
    let account = authenticate(&state, addr, &req.user_id, &req.password).await?;
    if account.must_change_password {
        record(&state, audit::Event::new(account.user.id.clone(), Action::SignInFailed, req.device_id, addr_text(addr))
            .with(serde_json::json!({ "reason": "password_change_required" }))).await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::PasswordChangeRequired,
            "请先修改初始密码 / choose a new password first (POST /v1/auth/password)",
        ));
    }
    Ok(axum::Json(enrol(&state, addr_text(addr), account.user, req.device_id, &req.device_name, &req.device_secret).await?))
}

/// `POST /v1/auth/password`: checks the current password as sign-in does, the new one against the policy, stores
/// it, ends every token of the user, and enrols this device with a new token.
async fn change_password(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    JsonBody(req): JsonBody<ChangePasswordRequest>,
) -> ApiResult<axum::Json<SignInResponse>> {
    check_device(&req.device_id, &req.device_name, &req.device_secret)?;
    let account = authenticate(&state, addr, &req.user_id, &req.password).await?;
    if let Err(problem) = linkage_protocol::rules::password::check(&account.user.id, &req.new_password, Some(&req.password)) {
        use linkage_protocol::labels::Locale;
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::WeakPassword,
            format!("{} / {} ({})", problem.words(Locale::ZhCn), problem.words(Locale::En), problem.code()),
        ));
    }
    let permit = state.password_checks.clone().acquire_owned().await.map_err(|_| Error::Corrupt("semaphore closed".into()))?;
    let storage = state.storage.clone();
    let (uid, new_password) = (account.user.id.clone(), req.new_password);
    let ended = blocking(move || {
        let hash = auth::hash_password(&new_password)?;
        storage.set_password(&uid, &hash, false, now_ms())
    })
    .await?;
    drop(permit);
    let address = addr_text(addr);
    let uid = account.user.id.clone();
    record(&state, audit::Event::new(uid.clone(), Action::PasswordChanged, uid.clone(), address.clone())).await;
    record(&state, audit::Event::new(uid.clone(), Action::TokensRevoked, uid, address.clone()).with(serde_json::json!({ "devices": ended, "why": "password_changed" }))).await;
    Ok(axum::Json(enrol(&state, address, account.user, req.device_id, &req.device_name, &req.device_secret).await?))
}

/// The answer to a sign-in or a refresh: the new token and who it speaks for.
fn signed_in(token: String, expires_at_ms: i64, user: crate::storage::UserInfo, now: i64) -> SignInResponse {
    SignInResponse {
        token,
        expires_at_ms,
        user_id: user.id,
        user_name: user.name,
        role: user.role,
        node_id: user.node_id,
        node_level: user.node_level,
        server_time_ms: now,
    }
}

/// `POST /v1/auth/refresh`: a new token, while the presented one stays valid until the new one is first used —
/// a refresh whose answer is lost leaves the phone with a working token, and its next refresh replaces the unused
/// one.
async fn refresh(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<SignInResponse>> {
    let token = auth::new_token()?;
    let now = now_ms();
    let expires_at_ms = now + auth::TOKEN_TTL_MS;
    let storage = state.storage.clone();
    let (device, old, new) = (caller.record.device_id.clone(), caller.token_hash.clone(), auth::token_hash(&token));
    if !blocking(move || storage.rotate_token(&device, &old, &new, expires_at_ms)).await? {
        return Err(ApiError::unauthorized("the token was replaced meanwhile"));
    }
    record(&state, audit::Event::new(caller.record.user.id.clone(), Action::TokenRefreshed, caller.record.device_id.clone(), caller.address)).await;
    Ok(axum::Json(signed_in(token, expires_at_ms, caller.record.user, now)))
}

async fn push(State(state): State<AppState>, bearer: Bearer, JsonBytes(body): JsonBytes) -> ApiResult<axum::Json<PushResponse>> {
    // One trip to the blocking pool: the token is looked up, then the body parsed (never before the caller
    // is known), then the ops judged and stored.
    let results = blocking(move || {
        let now = now_ms();
        let caller = match bearer.admit(&state, now)? {
            Ok(caller) => caller,
            Err(refused) => return Ok(Err(refused)),
        };
        let req: PushRequest = match JsonBytes::parse(&body) {
            Ok(req) => req,
            Err(invalid) => return Ok(Err(invalid)),
        };
        if req.ops.len() > MAX_PUSH_OPS {
            return Ok(Err(ApiError::invalid(format!("ops: at most {MAX_PUSH_OPS} operations per push"))));
        }
        if let Err(ms) = state.work.take(&state.config.limits, &caller.record.device_id, 0, req.ops.len() as u32, now) {
            return Ok(Err(ApiError::rate_limited("同步操作过于频繁，请稍后再试 / this device's operations per minute are used up", ms)));
        }
        let outcomes = state.storage.apply_ops(&caller.record.user, &req.ops, now)?;
        Ok(Ok(req.ops.into_iter().zip(outcomes).map(|(op, outcome)| OpResult { op_id: op.op_id, outcome }).collect()))
    })
    .await??;
    Ok(axum::Json(PushResponse { results, server_time_ms: now_ms() }))
}

/// Query of `GET /v1/changes`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PullParams {
    /// Cursor: the last sequence number seen (0 for everything).
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub after: i64,
    /// Page size, 1–1000 (default 500).
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
    /// Long poll, seconds (0–30, default 0 = answer at once): when nothing in the caller's scope follows the
    /// cursor, hold the request until a change in scope is committed (answered at once with it) or the wait
    /// ends (an empty page). A shutting-down server answers waiting pulls with an empty page.
    #[serde(default)]
    #[schemars(range(max = 30))]
    pub wait: u32,
}

/// `GET /v1/changes`: a page of the caller's scope after the cursor. With `wait`, an empty answer is held
/// until a change in scope is committed (woken by the feed head's broadcast, then the scoped query is run
/// again from the head already seen — never a timed poll of the database), the wait ends, or the server
/// shuts down; the last two answer an empty page.
async fn pull(
    State(state): State<AppState>,
    bearer: Bearer,
    params: Result<Query<PullParams>, QueryRejection>,
) -> ApiResult<axum::Json<PullResponse>> {
    let (params, limit) = match check_pull_params(params) {
        Ok(checked) => checked,
        Err(invalid) => {
            // The caller is checked first, as for every endpoint: a bad token answers 401 before a bad query.
            let state = state.clone();
            blocking(move || bearer.admit(&state, now_ms())).await??;
            return Err(invalid);
        }
    };
    let after = params.after;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(params.wait.into());
    // Subscribed before the first query: a commit after it is seen as a change of the head.
    let mut head = state.storage.feed_head();
    let mut seen_head = *head.borrow_and_update();
    // The caller's token and the first page in one trip to the blocking pool.
    let (user, (mut changes, mut has_more)) = {
        let state = state.clone();
        blocking(move || {
            let caller = match bearer.admit(&state, now_ms())? {
                Ok(caller) => caller,
                Err(refused) => return Ok(Err(refused)),
            };
            let page = scoped_page(&*state.storage, &caller.record.user, after, limit)?;
            Ok(Ok((caller.record.user, page)))
        })
        .await??
    };
    if changes.is_empty() && params.wait > 0 {
        let Ok(_permit) = state.waiters.clone().try_acquire_owned() else {
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Busy, "too many phones are waiting; try again shortly"));
        };
        let mut shutdown = state.shutdown.clone();
        let mut stopping = std::pin::pin!(async move {
            match &mut shutdown {
                Some(rx) => drop(rx.wait_for(|stop| *stop).await),
                None => std::future::pending().await,
            }
        });
        // Nothing in scope up to the head seen before the query: later queries start there (a short index
        // range), since the single writer commits sequence numbers in order.
        let mut from = after.max(seen_head);
        loop {
            tokio::select! {
                woke = head.changed() => {
                    if woke.is_err() {
                        break; // the storage is gone
                    }
                }
                () = &mut stopping => break,
                () = tokio::time::sleep_until(deadline) => break,
            }
            let now_head = *head.borrow_and_update();
            if now_head <= seen_head {
                continue;
            }
            (changes, has_more) = {
                let (storage, user) = (state.storage.clone(), user.clone());
                blocking(move || scoped_page(&*storage, &user, from, limit)).await?
            };
            if !changes.is_empty() {
                break;
            }
            seen_head = now_head;
            from = from.max(seen_head);
        }
    }
    let next_cursor = changes.last().map_or(after, |c| c.seq);
    Ok(axum::Json(PullResponse { changes, next_cursor, has_more, server_time_ms: now_ms() }))
}

/// The pull's query, checked: the parameters and the page size.
fn check_pull_params(params: Result<Query<PullParams>, QueryRejection>) -> ApiResult<(PullParams, u32)> {
    let Query(params) = params?;
    if params.wait > MAX_PULL_WAIT_SECS {
        return Err(ApiError::invalid(format!("wait: at most {MAX_PULL_WAIT_SECS} seconds")));
    }
    let limit = params.limit.unwrap_or(DEFAULT_PULL_LIMIT);
    if !(1..=MAX_PULL_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!("limit: must be 1 to {MAX_PULL_LIMIT}")));
    }
    if params.after < 0 {
        return Err(ApiError::invalid("after: must be 0 or a sequence number seen"));
    }
    Ok((params, limit))
}

/// A page of `user`'s scope after `after`, as this user may receive it (最小必要: other users' visit
/// details and household personal data projected by the county's privacy settings). Blocking.
fn scoped_page(storage: &dyn Storage, user: &crate::storage::UserInfo, after: i64, limit: u32) -> Result<(Vec<linkage_protocol::sync::Change>, bool), Error> {
    let (mut changes, has_more) = storage.changes(&user.node_path, after, limit)?;
    if !changes.is_empty() {
        let privacy = linkage_protocol::rules::county::CountyRules::from_config(&storage.county_config()?).privacy;
        for c in &mut changes {
            privacy.project_op(&user.id, user.role, &mut c.op);
        }
    }
    Ok((changes, has_more))
}

/// Query of `GET /v1/bundle`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct BundleParams {
    /// A node within the caller's scope (default: the caller's own node): an id, 1–64 of `[A-Za-z0-9_-]`.
    #[schemars(length(min = 1, max = 64), regex(pattern = ID_PATTERN))]
    pub node: Option<String>,
}

async fn bundle(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<BundleParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) = params?;
    if let Some(node) = &params.node {
        validate::id("node", node).map_err(|e| ApiError::invalid(e.to_string()))?;
    }
    let storage = state.storage.clone();
    let user = caller.record.user.clone();
    let asked = params.node.clone().unwrap_or_else(|| user.node_id.clone());
    let bundle = blocking(move || {
        let path = match params.node {
            None => user.node_path.clone(),
            Some(id) => match storage.node(&id)? {
                // Outside the scope answers as a missing node: ids out of scope are not confirmed to exist.
                Some(n) if scope::within(&user.node_path, &n.path) => n.path,
                _ => return Ok(Err(ApiError::not_found("no such node in your scope"))),
            },
        };
        let mut bundle = storage.bundle(&path)?;
        // 最小必要: what of each household this role receives is decided here, not by the app.
        let privacy = linkage_protocol::rules::county::CountyRules::from_config(&storage.county_config()?).privacy;
        for h in &mut bundle.households {
            privacy.project_household(user.role, h);
        }
        Ok(Ok(bundle))
    })
    .await??;
    let detail = serde_json::json!({ "households": bundle.households.len(), "users": bundle.users.len() });
    record(&state, audit::Event::new(caller.record.user.id.clone(), Action::BundleDownload, asked, caller.address).with(detail)).await;
    Ok(axum::Json(bundle).into_response())
}

fn check_hash(hash: &str) -> ApiResult<()> {
    validate::evidence("hash", std::slice::from_ref(&hash.to_string())).map_err(|e| ApiError::invalid(e.to_string()))
}

/// The answer to every blob question about a hash that is not the caller's to know: one for out of scope and
/// missing alike.
fn blob_not_found() -> ApiError {
    ApiError::not_found("no such photo in your scope (or not uploaded yet)")
}

async fn blobs_missing(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<BlobsMissingRequest>,
) -> ApiResult<axum::Json<BlobsMissingResponse>> {
    if req.hashes.len() > MAX_MISSING_HASHES {
        return Err(ApiError::invalid(format!("hashes: at most {MAX_MISSING_HASHES} per question")));
    }
    for h in &req.hashes {
        check_hash(h)?;
    }
    let storage = state.storage.clone();
    let user_id = caller.record.user.id.clone();
    let answer = blocking(move || {
        let (mut missing, mut refused) = (Vec::new(), Vec::new());
        for hash in req.hashes {
            // Only the hashes the caller's own records cite are answered about (the uploader's question); the
            // rest are refused alike, whether the server holds them or not.
            if !storage.blob_cited_by(&hash, &user_id)? {
                refused.push(hash);
                continue;
            }
            match storage.blob_state(&hash)? {
                BlobState::Complete(_) => {}
                BlobState::Absent => missing.push(MissingBlob { hash, received_bytes: 0 }),
                BlobState::Partial(n) => missing.push(MissingBlob { hash, received_bytes: n }),
            }
        }
        Ok(BlobsMissingResponse { missing, refused })
    })
    .await?;
    Ok(axum::Json(answer))
}

/// Query of `PUT /v1/blobs/{hash}`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UploadParams {
    /// Where these bytes start (the `received_bytes` the server reported); default 0. At most 10 MiB.
    #[serde(default)]
    #[schemars(range(max = 10_485_760))]
    pub offset: u64,
    /// `false` when more parts follow; by default (`true`) the request's bytes end the blob and it is verified
    /// against its name.
    pub last: Option<bool>,
}

/// The state of a blob after an upload step (the body of `PUT /v1/blobs/{hash}`).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct UploadStatus {
    /// The blob's name: lowercase hex SHA-256.
    #[schemars(regex(pattern = HASH_PATTERN))]
    pub hash: String,
    /// Bytes stored so far (resume an interrupted upload here).
    pub received_bytes: u64,
    /// All bytes arrived and hash to the name.
    pub complete: bool,
}

async fn blob_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(hash): Path<String>,
    params: Result<Query<UploadParams>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<axum::Json<UploadStatus>> {
    check_hash(&hash)?;
    let Query(params) = params?;
    // Only a photo that an applied record of the caller cites may be uploaded (the phone pushes its records
    // first): a made-up hash cannot hold disk. Answered before the body is read, alike for held and absent blobs.
    let (storage, h, user_id) = (state.storage.clone(), hash.clone(), caller.record.user.id.clone());
    if !blocking(move || storage.blob_cited_by(&h, &user_id)).await? {
        let detail = serde_json::json!({ "reason": "not_cited" });
        record(&state, audit::Event::new(caller.record.user.id.clone(), Action::BlobUploadRefused, &hash, caller.address.clone()).with(detail)).await;
        return Err(ApiError::not_found("no record of yours refers to this photo: push the record first"));
    }
    if params.offset > MAX_BLOB_BYTES {
        return Err(ApiError::invalid(format!("offset: a blob may hold at most {MAX_BLOB_BYTES} bytes")));
    }
    // A gap is told before the size: the answer that says where to resume is the useful one.
    if params.offset > 0 {
        let (storage, h) = (state.storage.clone(), hash.clone());
        let received = match blocking(move || storage.blob_state(&h)).await? {
            BlobState::Absent => 0,
            BlobState::Partial(n) | BlobState::Complete(n) => n,
        };
        if params.offset > received {
            return Err(offset_mismatch(received));
        }
    }
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if params.offset.saturating_add(declared.unwrap_or(0)) > MAX_BLOB_BYTES {
        return Err(ApiError::too_large(format!("a blob may hold at most {MAX_BLOB_BYTES} bytes")));
    }
    // Collect the bytes; if the connection drops midway keep what arrived so the phone can resume.
    let mut bytes = Vec::new();
    let mut interrupted = false;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Some(data) = frame.data_ref() {
                    if params.offset + (bytes.len() + data.len()) as u64 > MAX_BLOB_BYTES {
                        return Err(ApiError::too_large(format!("a blob may hold at most {MAX_BLOB_BYTES} bytes")));
                    }
                    bytes.extend_from_slice(data);
                }
            }
            Err(_) => {
                interrupted = true;
                break;
            }
        }
    }
    let last = params.last.unwrap_or(true) && !interrupted;
    let storage = state.storage.clone();
    let (h, offset) = (hash.clone(), params.offset);
    let limits = BlobLimits {
        max_size: MAX_BLOB_BYTES,
        partials_per_device: state.config.limits.partial_uploads_per_device,
        partial_bytes_per_device: state.config.limits.partial_upload_bytes_per_device,
    };
    let (user_id, device_id) = (caller.record.user.id.clone(), caller.record.device_id.clone());
    let written = blocking(move || {
        let uploader = Uploader { user_id: &user_id, device_id: &device_id, now_ms: now_ms() };
        storage.blob_write(&h, offset, &bytes, last, uploader, &limits)
    })
    .await?;
    match written {
        BlobWrite::Complete(n) => Ok(axum::Json(UploadStatus { hash, received_bytes: n, complete: true })),
        BlobWrite::Partial(n) => Ok(axum::Json(UploadStatus { hash, received_bytes: n, complete: false })),
        BlobWrite::OffsetMismatch(n) => Err(offset_mismatch(n)),
        BlobWrite::HashMismatch => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidInput,
            "the bytes do not hash to the blob's name; discarded, upload again from 0",
        )),
        BlobWrite::TooLarge => Err(ApiError::too_large(format!("a blob may hold at most {MAX_BLOB_BYTES} bytes"))),
        BlobWrite::TooManyUnfinished => {
            let detail = serde_json::json!({ "reason": "too_many_unfinished", "device": caller.record.device_id });
            record(&state, audit::Event::new(caller.record.user.id.clone(), Action::BlobUploadRefused, &hash, caller.address.clone()).with(detail)).await;
            Err(ApiError::rate_limited(
                "this device has too many unfinished photo uploads: finish them (send the rest with last=true) or wait until they expire",
                UNFINISHED_UPLOAD_RETRY_MS,
            ))
        }
    }
}

/// `Retry-After` of an upload refused for the device's unfinished uploads: an hour (they finish or expire).
const UNFINISHED_UPLOAD_RETRY_MS: u64 = 3600 * 1000;

fn offset_mismatch(received: u64) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, ErrorCode::InvalidInput, format!("offset is past the {received} bytes received; resume at {received}"))
}

/// Header of `HEAD /v1/blobs/{hash}`: bytes received so far.
pub const RECEIVED_HEADER: &str = "upload-offset";
/// Header of `HEAD /v1/blobs/{hash}`: `true` once the blob is complete and verified.
pub const COMPLETE_HEADER: &str = "x-blob-complete";

async fn blob_head(State(state): State<AppState>, caller: Caller, Path(hash): Path<String>) -> ApiResult<Response> {
    check_hash(&hash)?;
    let storage = state.storage.clone();
    let (user_id, scope_path) = (caller.record.user.id.clone(), caller.record.user.node_path.clone());
    let blob = blocking(move || {
        // Told only about a photo the caller's records cite or a record in the caller's scope refers to; any
        // other answers 404, as a missing one does.
        if !storage.blob_cited_by(&hash, &user_id)? && !storage.blob_referenced_within(&hash, &scope_path)? {
            return Ok(Err(blob_not_found()));
        }
        Ok(Ok(storage.blob_state(&hash)?))
    })
    .await??;
    let (received, complete) = match blob {
        BlobState::Absent => (0, false),
        BlobState::Partial(n) => (n, false),
        BlobState::Complete(n) => (n, true),
    };
    let mut resp = StatusCode::OK.into_response();
    let h = resp.headers_mut();
    h.insert(RECEIVED_HEADER, HeaderValue::from(received));
    h.insert(COMPLETE_HEADER, HeaderValue::from_static(if complete { "true" } else { "false" }));
    Ok(resp)
}

async fn blob_download(State(state): State<AppState>, caller: Caller, Path(hash): Path<String>) -> ApiResult<Response> {
    check_hash(&hash)?;
    let storage = state.storage.clone();
    let scope_path = caller.record.user.node_path.clone();
    let h = hash.clone();
    let found = blocking(move || {
        // Out of scope and not uploaded answer alike: the answer does not tell whether the blob exists.
        if !storage.blob_referenced_within(&h, &scope_path)? {
            return Ok(Err(blob_not_found()));
        }
        Ok(storage.blob_read(&h)?.ok_or_else(blob_not_found))
    })
    .await??;
    record(&state, audit::Event::new(caller.record.user.id.clone(), Action::BlobDownload, hash, caller.address)).await;
    let headers = [
        (header::CONTENT_TYPE, "image/jpeg"),
        (header::CACHE_CONTROL, "private, max-age=31536000, immutable"),
        // A blob is whatever bytes hash to its name: never let a client sniff it into something else.
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    Ok((headers, Bytes::from(found))
        .into_response())
}

async fn openapi() -> axum::Json<serde_json::Value> {
    axum::Json(crate::openapi::document())
}
