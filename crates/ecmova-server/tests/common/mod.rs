//! Test helpers: an in-process server on 127.0.0.1:0 and a minimal HTTP/1.1 client (no
//! extra dependencies: the requests are plain text over a `TcpStream`).
#![allow(dead_code)]

use ecmova_server::Config;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Starts a server with `config` on an ephemeral loopback port.
pub async fn start(config: Config) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(ecmova_server::serve(listener, config));
    addr
}

/// A response.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Resp {
    /// The body as JSON (panics with the body if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts a 200 answer; returns its JSON.
    #[track_caller]
    pub fn assert_ok(&self) -> Value {
        assert_eq!(self.status, 200, "{}", self.text());
        self.json()
    }

    /// Asserts a JSON error with this status, code and field; returns the error object.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, field: Option<&str>) -> Value {
        let j = self.json();
        assert_eq!(self.status, status, "{j}");
        assert_eq!(j["error"].as_str(), Some(code), "{j}");
        assert_eq!(j["field"].as_str(), field, "{j}");
        assert!(j["message"].as_str().is_some_and(|m| !m.is_empty()), "{j}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "error content type"
        );
        j
    }
}

/// Every session created through these helpers: id → instructor token. The helpers send the
/// token of the session a path names (`Authorization: Bearer`), and every known token on
/// `GET /api/v1/sessions`, so that tests written before sessions had owners read as before.
static TOKENS: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

/// The instructor token of a session created through these helpers.
pub fn token(id: &str) -> String {
    TOKENS
        .lock()
        .unwrap()
        .as_ref()
        .and_then(|m| m.get(id).cloned())
        .unwrap_or_else(|| panic!("no token recorded for session {id}"))
}

/// The WebSocket URL of a session's stream, with its token.
pub fn ws_url(addr: SocketAddr, id: &str) -> String {
    format!(
        "ws://{addr}/api/v1/sessions/{id}/stream?token={}",
        token(id)
    )
}

/// The `Authorization` headers the helpers add for `path`.
fn auto_auth(path: &str) -> String {
    let guard = TOKENS.lock().unwrap();
    let Some(map) = guard.as_ref() else {
        return String::new();
    };
    let path = path.split('?').next().unwrap_or("");
    if path == "/api/v1/sessions" {
        return map
            .values()
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .collect();
    }
    path.strip_prefix("/api/v1/sessions/")
        .map(|rest| rest.split('/').next().unwrap_or(""))
        .and_then(|id| map.get(id))
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default()
}

/// Sends one request (`Connection: close`) and reads the whole response; panics after 60 s.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Resp {
    try_request(
        addr,
        method,
        path,
        content_type,
        body,
        Duration::from_secs(60),
    )
    .await
    .expect("request timed out")
}

/// [`request`] with a time limit; `None` on timeout.
pub async fn try_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
    limit: Duration,
) -> Option<Resp> {
    let auth = auto_auth(path);
    let r = raw_request(addr, method, path, content_type, &auth, body, limit).await?;
    if method == "POST" && path == "/api/v1/sessions" && r.status == 201 {
        let j: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        if let (Some(id), Some(t)) = (j["id"].as_str(), j["instructor_token"].as_str()) {
            TOKENS
                .lock()
                .unwrap()
                .get_or_insert_with(HashMap::new)
                .insert(id.to_string(), t.to_string());
        }
    }
    Some(r)
}

/// One request with exactly the given extra header lines (each ending in `\r\n`), no
/// automatic token; `None` on timeout.
pub async fn raw_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    extra_headers: &str,
    body: &[u8],
    limit: Duration,
) -> Option<Resp> {
    let fut = async {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        head.push_str(extra_headers);
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).await.expect("write head");
        // A server may answer (413) before reading all of a big body: ignore write errors.
        let _ = s.write_all(body).await;
        // Read until the body is complete (by Content-Length) or the peer closes: some
        // servers (chromedriver) keep the connection open despite `Connection: close`.
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok());
                if let Some(len) = len {
                    if buf.len() >= end + 4 + len {
                        buf.truncate(end + 4 + len);
                        break;
                    }
                }
            }
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        parse_response(&buf)
    };
    tokio::time::timeout(limit, fut).await.ok()
}

/// Parses a raw HTTP/1.1 response (Content-Length or chunked).
pub fn parse_response(buf: &[u8]) -> Resp {
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let raw = &buf[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        let mut out = Vec::new();
        let mut rest = raw;
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&rest[..eol])
                    .split(';')
                    .next()
                    .unwrap_or("0")
                    .trim(),
                16,
            )
            .unwrap_or(0);
            if size == 0 {
                break;
            }
            let start = eol + 2;
            out.extend_from_slice(&rest[start..(start + size).min(rest.len())]);
            rest = &rest[(start + size + 2).min(rest.len())..];
        }
        out
    } else {
        raw.to_vec()
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// GET.
pub async fn get(addr: SocketAddr, path: &str) -> Resp {
    request(addr, "GET", path, None, b"").await
}

/// POST JSON text.
pub async fn post(addr: SocketAddr, path: &str, body: &str) -> Resp {
    request(
        addr,
        "POST",
        path,
        Some("application/json"),
        body.as_bytes(),
    )
    .await
}

/// POST a JSON value.
pub async fn post_json(addr: SocketAddr, path: &str, body: &Value) -> Resp {
    post(addr, path, &body.to_string()).await
}

/// DELETE.
pub async fn delete(addr: SocketAddr, path: &str) -> Resp {
    request(addr, "DELETE", path, None, b"").await
}

/// Creates a session and returns its id.
pub async fn create_session(addr: SocketAddr, preset: &str) -> String {
    create_session_with(addr, &serde_json::json!({ "preset": preset })).await
}

/// Creates a session from a whole request body (preset, speed, overrides) and returns its id.
pub async fn create_session_with(addr: SocketAddr, body: &Value) -> String {
    let r = post_json(addr, "/api/v1/sessions", body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_string()
}

/// Asserts that the server still answers.
pub async fn assert_alive(addr: SocketAddr) {
    let r = get(addr, "/api/v1/capabilities").await;
    assert_eq!(r.status, 200, "server no longer serving: {}", r.text());
}

/// The example patient with acute MI and cardiogenic shock.
pub fn example_patient() -> Value {
    let text = include_str!("../../../../examples/patients/ami_cardiogenic_shock.json");
    serde_json::from_str(text).expect("example patient")
}
