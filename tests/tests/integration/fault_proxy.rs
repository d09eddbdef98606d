//! A fault-injecting HTTP/1.1 proxy between phones and the server, for sync robustness tests. Each request
//! takes the next planned fault (then plain forwarding): drop the connection before the server sees the
//! request, answer 500 without forwarding, delay, or — the nasty one — forward, let the server commit, and cut
//! the connection before the phone reads the answer. One request per connection (`Connection: close`).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward as is.
    Pass,
    /// Close the connection without forwarding (the server never sees it).
    DropRequest,
    /// Answer 500 without forwarding.
    ServerError,
    /// Wait, then forward.
    Delay(Duration),
    /// Forward, read the server's full answer (it has committed), then close without answering.
    CutResponse,
}

/// A running proxy.
pub struct FaultProxy {
    pub addr: SocketAddr,
    plan: Arc<Mutex<VecDeque<Fault>>>,
    seen: Arc<Mutex<Vec<(String, Fault)>>>,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream`.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let plan: Arc<Mutex<VecDeque<Fault>>> = Arc::default();
        let seen: Arc<Mutex<Vec<(String, Fault)>>> = Arc::default();
        let (p, s) = (plan.clone(), seen.clone());
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (p, s) = (p.clone(), s.clone());
                tokio::spawn(async move {
                    let _ = handle(conn, upstream, p, s).await;
                });
            }
        });
        FaultProxy { addr, plan, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues faults for the next requests, in order.
    pub fn plan(&self, faults: impl IntoIterator<Item = Fault>) {
        self.plan.lock().unwrap().extend(faults);
    }

    /// Request lines seen with the fault applied to each.
    pub fn seen(&self) -> Vec<(String, Fault)> {
        self.seen.lock().unwrap().clone()
    }
}

async fn read_request(conn: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    // Force one request per connection so faults map to requests one to one.
    let mut out = Vec::new();
    for line in head.split("\r\n") {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("connection:") || lower.is_empty() {
            continue;
        }
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&buf[head_end..]);
    let request_line = head.lines().next().unwrap_or_default().to_string();
    Ok(Some((request_line, out)))
}

async fn handle(
    mut conn: TcpStream,
    upstream: SocketAddr,
    plan: Arc<Mutex<VecDeque<Fault>>>,
    seen: Arc<Mutex<Vec<(String, Fault)>>>,
) -> std::io::Result<()> {
    let Some((line, request)) = read_request(&mut conn).await? else { return Ok(()) };
    let fault = plan.lock().unwrap().pop_front().unwrap_or(Fault::Pass);
    seen.lock().unwrap().push((line, fault));
    match fault {
        Fault::DropRequest => return Ok(()),
        Fault::ServerError => {
            let body = r#"{"code":"internal","message":"injected fault"}"#;
            let resp = format!(
                "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            return conn.write_all(resp.as_bytes()).await;
        }
        Fault::Delay(d) => tokio::time::sleep(d).await,
        Fault::Pass | Fault::CutResponse => {}
    }
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(&request).await?;
    let mut response = Vec::new();
    up.read_to_end(&mut response).await?;
    if fault == Fault::CutResponse {
        return Ok(());
    }
    conn.write_all(&response).await?;
    conn.shutdown().await
}
