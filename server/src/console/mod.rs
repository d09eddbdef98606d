//! The county/township web console (网页控制台, DESIGN §1 `console/`, issue #14): its staff-only `/v1/console/...`
//! API and the built single-page app served at `/console/`.
//!
//! Every console module adds its routes in [`routes`] and documents them in [`openapi_routes`] (the OpenAPI document's
//! test checks the two lists are equal). Handlers take a [`ConsoleUser`] (signed in by cookie + CSRF header or
//! by a bearer token, staff roles only) and answer only within its scope ([`ConsoleUser::node_in_scope`]).
//! Reads run in one read-only snapshot of either database ([`read`], `staff::read`: queries written once, see
//! `crate::readtx`); writes go through the same op rules as the phones (`Storage::apply_ops`).

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::api::{ApiError, ApiResult, AppState, Routes};
use crate::openapi::Route;

pub mod dashboard;
pub mod directives;
pub mod forms;
pub mod issues;
pub mod ledger;
pub mod map;
pub mod people;
pub mod session;
pub mod staff;

pub use session::ConsoleUser;

/// Where the console's files are and what the map may draw under the households.
#[derive(Debug, Clone, Default)]
pub struct ConsoleConfig {
    /// The built console (`console/dist`: `index.html` and `assets/`). `None`: the `/console/` page says how
    /// to build it.
    pub dir: Option<PathBuf>,
    /// An optional map tile layer (天地图 or the county's own tile server), `{z}/{x}/{y}` in the URL; `None`:
    /// the map draws only the org tree's boundaries and the points.
    pub tile_url: Option<String>,
}

impl ConsoleConfig {
    /// The console directory to serve when none is given: `$LINKAGE_CONSOLE_DIR`, else `console/dist` of the
    /// source tree the binary was built in (`target/<profile>/linkage-server` → `../../console/dist`), else
    /// `console/` beside the binary, else `./console/dist`. The first that holds an `index.html`.
    pub fn default_dir() -> Option<PathBuf> {
        let mut candidates = Vec::new();
        if let Some(d) = std::env::var_os("LINKAGE_CONSOLE_DIR") {
            candidates.push(PathBuf::from(d));
        }
        if let Ok(exe) = std::env::current_exe() {
            if let Some(bin) = exe.parent() {
                candidates.push(bin.join("../../console/dist"));
                candidates.push(bin.join("console"));
            }
        }
        candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../console/dist"));
        candidates.push(PathBuf::from("console/dist"));
        candidates.into_iter().find(|d| d.join("index.html").is_file())
    }
}

/// Every console route, added to the API's router (registered, so the OpenAPI test sees them); each module
/// adds its own, one line each.
pub(crate) fn routes(r: Routes) -> Routes {
    let r = session::routes(r);
    let r = dashboard::routes(r);
    let r = map::routes(r);
    let r = issues::routes(r);
    let r = directives::routes(r);
    let r = ledger::routes(r);
    let r = people::routes(r);
    forms::routes(r)
}

/// The OpenAPI descriptions of the console routes, in the order of [`routes`].
pub(crate) fn openapi_routes(gen: &mut schemars::SchemaGenerator) -> Vec<Route> {
    let mut out = session::docs(gen);
    out.extend(dashboard::docs(gen));
    out.extend(map::docs(gen));
    out.extend(issues::openapi_routes(gen));
    out.extend(directives::openapi_routes(gen));
    out.extend(ledger::openapi_routes(gen));
    out.extend(people::openapi_routes(gen));
    out.extend(forms::openapi_routes(gen));
    out
}

/// Runs `f` in one read-only snapshot of the database (`Storage::read_snapshot`, either backend), off the
/// async threads.
pub(crate) async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&crate::readtx::ReadTx<'_>) -> crate::Result<T> + Send + 'static,
) -> ApiResult<T> {
    let storage = state.storage.clone();
    crate::api::blocking(move || crate::readtx::read(storage.as_ref(), f)).await
}

/// The bytes of an uploaded file (台账导入's CSV/XLSX, 问卷's XLSForm): refused as too large (`413`, "at most
/// `max` MB" and the `advice` after it, e.g. "，请分成几个文件导入") before anything is read when the declared
/// length is over `max` and again when the bytes are; refused as `400` when the upload was cut short or is empty.
/// Nothing is stored by a refused upload. THE one reading of an upload body of the console.
pub(crate) fn upload_body(
    headers: &axum::http::HeaderMap,
    body: std::result::Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    max: usize,
    advice: &str,
) -> std::result::Result<axum::body::Bytes, ApiError> {
    let too_large = || ApiError::too_large(format!("文件过大：最大 {} MB{advice} / at most {} MiB", max >> 20, max >> 20));
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::invalid(format!("上传的文件没有收全，请重新上传 / {}", r.body_text()))
        }
    })?;
    if body.len() > max {
        return Err(too_large());
    }
    if body.is_empty() {
        return Err(ApiError::invalid("文件是空的 / the file is empty"));
    }
    Ok(body)
}

/// `403 forbidden` with a zh-CN message (English after the slash).
pub(crate) fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, linkage_protocol::sync::ErrorCode::Forbidden, message)
}

/// Adds the console's static files to the router: `/console` redirects to `/console/`; files under it are
/// served from the built console; any other path (a page of the app: `/console/issues?...`) answers
/// `index.html` (the app routes it). Hashed assets (`assets/`) are cached for a year, `index.html` never.
pub(crate) fn serve_files(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/console", get(|| async { (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, "/console/")]) }))
        .route("/console/", get(static_file))
        .route("/console/{*path}", get(static_file))
}

async fn static_file(State(state): State<AppState>, uri: Uri) -> Response {
    let Some(dir) = state.config.console.dir.clone() else { return not_built() };
    let rel = uri.path().trim_start_matches("/console").trim_start_matches('/').to_string();
    match tokio::task::spawn_blocking(move || find_file(&dir, &rel)).await {
        Ok(Some((path, bytes))) => file_response(&path, bytes),
        Ok(None) => not_built(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The file for a path under the console (`None`: no `index.html` either). A path with `..`, a backslash
/// or a hidden segment is never read from disk: it gets `index.html`, as any unknown page does. A missing
/// file under `assets/` is a 404 (a stale page asking for an old bundle must not get HTML as JavaScript).
fn find_file(dir: &Path, rel: &str) -> Option<(PathBuf, Option<Vec<u8>>)> {
    let safe = !rel.is_empty() && !rel.contains('\\') && rel.split('/').all(|s| !s.is_empty() && !s.starts_with('.'));
    if safe {
        let p = dir.join(rel);
        if p.is_file() {
            return std::fs::read(&p).ok().map(|b| (p, Some(b)));
        }
        if rel.starts_with("assets/") {
            return Some((p, None));
        }
    }
    let index = dir.join("index.html");
    std::fs::read(&index).ok().map(|b| (index, Some(b)))
}

fn file_response(path: &Path, bytes: Option<Vec<u8>>) -> Response {
    let Some(bytes) = bytes else {
        return (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], "找不到该文件，请刷新页面 / no such file; reload the page").into_response();
    };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let mime = match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    // Vite names every asset by its content hash: it never changes under its name.
    let hashed = path.parent().and_then(|p| p.file_name()).is_some_and(|n| n == "assets");
    let cache = if hashed { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut resp = Response::new(Body::from(bytes));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if ext == "html" {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data: blob: https: http:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
        );
    }
    resp
}

/// The page shown when the console was not built (or its directory was not found).
fn not_built() -> Response {
    const PAGE: &str = "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>网页控制台尚未构建</title>\
<style>body{font:20px/1.7 sans-serif;color:#111;background:#fff;max-width:46em;margin:3em auto;padding:0 1em}\
code{background:#eee;padding:.1em .3em}</style></head><body>\
<h1>网页控制台尚未构建</h1>\
<p>服务器在运行，手机同步不受影响；但还没有找到构建好的网页控制台。</p>\
<p>请在源代码目录运行 <code>./scripts/demo.sh</code>（会先构建控制台），或运行 \
<code>cd console &amp;&amp; npm ci &amp;&amp; npm run build</code>，然后用 <code>--console-dir console/dist</code> 启动服务器。</p>\
<p lang=\"en\">The web console has not been built: run <code>cd console &amp;&amp; npm ci &amp;&amp; npm run build</code> \
and start the server with <code>--console-dir console/dist</code>.</p></body></html>";
    let mut resp = (StatusCode::SERVICE_UNAVAILABLE, PAGE).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The errors every staff-only console operation may answer (documented in the OpenAPI file): not signed in, not
/// county or township staff, an internal failure.
pub(crate) fn staff_errors() -> Vec<(u16, Vec<linkage_protocol::sync::ErrorCode>, &'static str)> {
    let mut v = crate::openapi::auth_errors();
    v.push((403, vec![linkage_protocol::sync::ErrorCode::Forbidden], "the signed-in user is not county or township staff"));
    v.push(crate::openapi::internal());
    v
}

/// Documented error responses in status order.
pub(crate) fn sorted(mut v: Vec<(u16, Vec<linkage_protocol::sync::ErrorCode>, &'static str)>) -> Vec<(u16, Vec<linkage_protocol::sync::ErrorCode>, &'static str)> {
    v.sort_by_key(|e| e.0);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_fallback() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>app</html>").unwrap();
        std::fs::write(dir.path().join("assets/app-1a2b.js"), "js").unwrap();
        std::fs::write(dir.path().join(".secret"), "no").unwrap();
        let (p, b) = find_file(dir.path(), "assets/app-1a2b.js").unwrap();
        assert!(p.ends_with("assets/app-1a2b.js") && b.unwrap() == b"js");
        // Pages of the app, traversal and hidden files all answer index.html.
        for rel in ["", "issues", "dashboard/x", "../Cargo.toml", "assets/../../x", ".secret"] {
            let (p, b) = find_file(dir.path(), rel).unwrap();
            assert!(p.ends_with("index.html"), "{rel}");
            assert_eq!(b.unwrap(), b"<html>app</html>");
        }
        // A missing asset is a 404, not HTML.
        assert!(find_file(dir.path(), "assets/old-9z.js").unwrap().1.is_none());
        assert!(find_file(&dir.path().join("none"), "").is_none());
    }
}
