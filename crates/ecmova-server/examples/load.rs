//! Load test: N live sessions streaming over WebSocket on loopback for a bounded time, each
//! session's simulated-time / wall-time ratio measured from the frames it streams.
//!
//! ```sh
//! cargo run --release -p ecmova-server --example load -- --sessions 50 --seconds 20
//! # against a running `ecmova serve`:
//! cargo run --release -p ecmova-server --example load -- --addr 127.0.0.1:8080
//! ```
//!
//! Without `--addr` the server runs in this process (same runtime, so the figure includes
//! the clients' own work). Self-stopping: every client stops after `--seconds`, then the
//! sessions are deleted. Exit code 1 if any session kept less than 0.95 of real time.

use futures_util::StreamExt;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// Options of a load run.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Live sessions.
    pub sessions: usize,
    /// Wall time each client streams, s.
    pub seconds: f64,
    /// Warm-up excluded from the measurement, s.
    pub warmup_s: f64,
    /// Preset of every session.
    pub preset: String,
}

/// What one session did.
#[derive(Debug, Clone, Default)]
pub struct SessionResult {
    /// Simulated seconds per wall second over the measurement window (1 = real time).
    pub ratio: f64,
    /// Frames received.
    pub frames: u64,
    /// Frames lost (gaps in the sequence numbers).
    pub lost: u64,
    /// Bytes received.
    pub bytes: u64,
}

/// The whole run.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Per session (its instructor's stream client).
    pub sessions: Vec<SessionResult>,
    /// Per session, a second screen: the learner's stream client (the learner's token).
    pub learners: Vec<SessionResult>,
    /// REST latency during the load (GET /api/v1/sessions/{id}/summary), ms: median, max.
    pub rest_ms: (f64, f64),
    /// CPU time of this process over the run / wall time (1.0 = one core busy), if known.
    pub cpu_cores: Option<f64>,
    /// Wall time of the run, s.
    pub wall_s: f64,
}

impl LoadReport {
    /// Lowest, median and highest ratio.
    pub fn ratios(&self) -> (f64, f64, f64) {
        let mut r: Vec<f64> = self.sessions.iter().map(|s| s.ratio).collect();
        r.sort_by(|a, b| a.total_cmp(b));
        if r.is_empty() {
            return (0.0, 0.0, 0.0);
        }
        (r[0], r[r.len() / 2], r[r.len() - 1])
    }
}

/// One request; `token` (a session's, empty for none) goes in `Authorization: Bearer`.
async fn http(addr: SocketAddr, method: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let auth = if token.is_empty() {
        String::new()
    } else {
        format!("Authorization: Bearer {token}\r\n")
    };
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn cpu_seconds() -> Option<f64> {
    // utime + stime of this process, in clock ticks (usually 100 per second).
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

async fn client(
    addr: SocketAddr,
    (id, token): (String, String),
    opts: LoadOptions,
) -> SessionResult {
    let url = format!("ws://{addr}/api/v1/sessions/{id}/stream?token={token}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("ws connect");
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(opts.seconds);
    let warm = start + Duration::from_secs_f64(opts.warmup_s);
    let mut first: Option<(Instant, f64)> = None;
    let mut last: Option<(Instant, f64)> = None;
    let mut out = SessionResult::default();
    let mut prev_seq: Option<u32> = None;
    while Instant::now() < end {
        let left = end.saturating_duration_since(Instant::now());
        let Ok(Some(Ok(msg))) = tokio::time::timeout(left, ws.next()).await else {
            break;
        };
        if let Message::Binary(b) = msg {
            out.bytes += b.len() as u64;
            let Some(f) = ecmova_server::stream::decode_frame(&b) else {
                continue;
            };
            out.frames += 1;
            if let Some(p) = prev_seq {
                out.lost += f.seq.wrapping_sub(p).saturating_sub(1) as u64;
            }
            prev_seq = Some(f.seq);
            let now = Instant::now();
            if let Some(t) = f.last_time_s() {
                if now >= warm {
                    if first.is_none() {
                        first = Some((now, t));
                    }
                    last = Some((now, t));
                }
            }
        }
    }
    let _ = ws.close(None).await;
    if let (Some((w0, t0)), Some((w1, t1))) = (first, last) {
        let wall = w1.duration_since(w0).as_secs_f64();
        if wall > 0.0 {
            out.ratio = (t1 - t0) / wall;
        }
    }
    out
}

/// Runs the load against a server at `addr`.
pub async fn run_load(addr: SocketAddr, opts: LoadOptions) -> LoadReport {
    let t0 = Instant::now();
    let cpu0 = cpu_seconds();
    let mut ids = Vec::with_capacity(opts.sessions);
    let mut learner_ids = Vec::with_capacity(opts.sessions);
    for _ in 0..opts.sessions {
        let (status, v) = http(
            addr,
            "POST",
            "/api/v1/sessions",
            "",
            &json!({"preset": opts.preset}).to_string(),
        )
        .await;
        assert_eq!(status, 201, "create session: {v}");
        let id = v["id"].as_str().expect("id").to_string();
        ids.push((
            id.clone(),
            v["instructor_token"].as_str().expect("token").to_string(),
        ));
        learner_ids.push((
            id,
            v["learner_token"]
                .as_str()
                .expect("learner token")
                .to_string(),
        ));
    }
    let clients: Vec<_> = ids
        .iter()
        .map(|id| tokio::spawn(client(addr, id.clone(), opts.clone())))
        .collect();
    let learners: Vec<_> = learner_ids
        .iter()
        .map(|id| tokio::spawn(client(addr, id.clone(), opts.clone())))
        .collect();
    // REST latency while everything streams.
    let (probe_id, probe_token) = ids[0].clone();
    let probe = tokio::spawn(async move {
        let mut lat = Vec::new();
        let stop = Instant::now() + Duration::from_secs_f64(opts.seconds - 0.5);
        while Instant::now() < stop {
            let t = Instant::now();
            let (status, _) = http(
                addr,
                "GET",
                &format!("/api/v1/sessions/{probe_id}/summary"),
                &probe_token,
                "",
            )
            .await;
            assert_eq!(status, 200);
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        lat.sort_by(|a, b| a.total_cmp(b));
        if lat.is_empty() {
            (0.0, 0.0)
        } else {
            (lat[lat.len() / 2], lat[lat.len() - 1])
        }
    });
    let mut report = LoadReport::default();
    for c in clients {
        report.sessions.push(c.await.expect("client task"));
    }
    for c in learners {
        report.learners.push(c.await.expect("learner client task"));
    }
    report.rest_ms = probe.await.unwrap_or((0.0, 0.0));
    report.wall_s = t0.elapsed().as_secs_f64();
    if let (Some(a), Some(b)) = (cpu0, cpu_seconds()) {
        report.cpu_cores = Some((b - a) / report.wall_s);
    }
    for (id, token) in ids {
        http(
            addr,
            "DELETE",
            &format!("/api/v1/sessions/{id}"),
            &token,
            "",
        )
        .await;
    }
    report
}

/// Starts an in-process server on an ephemeral loopback port, allowing `sessions` sessions
/// (at least the default 64).
pub async fn start_server(sessions: usize) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut config = ecmova_server::Config::default();
    config.limits.max_sessions = config.limits.max_sessions.max(sessions);
    tokio::spawn(ecmova_server::serve(listener, config));
    addr
}

/// Prints the report as the table of `docs/performance.md`.
pub fn print_report(opts: &LoadOptions, r: &LoadReport) {
    let (lo, med, hi) = r.ratios();
    let frames: u64 = r.sessions.iter().map(|s| s.frames).sum();
    let lost: u64 = r.sessions.iter().map(|s| s.lost).sum();
    let bytes: u64 = r.sessions.iter().map(|s| s.bytes).sum();
    println!(
        "sessions {} ({}), {:.0} s each, warm-up {:.0} s excluded",
        opts.sessions, opts.preset, opts.seconds, opts.warmup_s
    );
    println!("sim/wall ratio per session: min {lo:.4}, median {med:.4}, max {hi:.4}");
    println!(
        "frames received {frames} ({:.1}/s per session), lost {lost}, {:.1} MB in all",
        frames as f64 / opts.sessions.max(1) as f64 / opts.seconds,
        bytes as f64 / 1e6
    );
    println!(
        "REST summary latency under load: median {:.2} ms, max {:.2} ms",
        r.rest_ms.0, r.rest_ms.1
    );
    if let Some(c) = r.cpu_cores {
        println!("process CPU (server + clients): {c:.2} cores");
    }
}

#[allow(dead_code)]
fn main() {
    let mut opts = LoadOptions {
        sessions: 50,
        seconds: 20.0,
        warmup_s: 2.0,
        preset: "cardiogenic-shock-ami".into(),
    };
    let mut addr: Option<SocketAddr> = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--sessions" => opts.sessions = v.parse().expect("--sessions N"),
            "--seconds" => opts.seconds = v.parse().expect("--seconds S"),
            "--preset" => opts.preset = v,
            "--addr" => addr = Some(v.parse().expect("--addr HOST:PORT")),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    opts.seconds = opts.seconds.clamp(3.0, 600.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let report = rt.block_on(async {
        let addr = match addr {
            Some(a) => a,
            None => start_server(opts.sessions).await,
        };
        run_load(addr, opts.clone()).await
    });
    print_report(&opts, &report);
    if report.ratios().0 < 0.95 {
        std::process::exit(1);
    }
}
