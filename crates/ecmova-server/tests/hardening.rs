//! Issue 13, the server's CPU-heavy work: a `POST /run` that times out is cancelled and frees
//! its run slot; concurrent baroreflex runs do not delay the WebSocket frames of a live
//! session. Run in release (`cargo test -p ecmova-server --release --test hardening`): the
//! figures in docs/security.md come from there.

mod common;

use common::*;
use ecmova_server::{Config, Limits};
use futures_util::StreamExt;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The tests of this file measure timing and load the machine: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A `POST /run` whose request times out stops computing: the next run is admitted at once
/// instead of waiting for the abandoned one (which would have held the only slot for about a
/// minute of compute: 86,400 simulated seconds at ~2,000× real time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_run_is_cancelled_and_frees_its_slot() {
    let _serial = SERIAL.lock().await;
    let limits = Limits {
        request_timeout_s: 0.5,
        max_concurrent_runs: 1,
        max_run_duration_s: 86_400.0,
        ..Limits::default()
    };
    let addr = start(Config {
        limits,
        ..Config::default()
    })
    .await;
    let long =
        json!({"patient": {"preset": "healthy-adult"}, "simulation": {"duration_s": 86400.0}});
    let t = Instant::now();
    let r = post_json(addr, "/api/v1/run", &long).await;
    r.assert_error(503, "timeout", None);
    let timed_out = t.elapsed();
    // The slot must be free again within a beat or so of the timeout (allow 3 s for a loaded
    // machine); before issue 13 it stayed taken until the run ended.
    let short = json!({"patient": {"preset": "healthy-adult"}, "simulation": {"duration_s": 2.0}});
    let freed = Instant::now();
    loop {
        let r = post_json(addr, "/api/v1/run", &short).await;
        if r.status == 200 {
            break;
        }
        assert_eq!(r.status, 503, "{}", r.text());
        assert_eq!(r.json()["error"], "busy", "{}", r.text());
        assert!(
            freed.elapsed() < Duration::from_secs(3),
            "the timed-out run still holds its slot after {:.1} s",
            freed.elapsed().as_secs_f64()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "timed out after {:.0} ms; run slot free again {:.0} ms later",
        timed_out.as_secs_f64() * 1e3,
        freed.elapsed().as_secs_f64() * 1e3
    );
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Binary frames received until `stop_at`, and their inter-arrival gaps, ms (sorted).
async fn frame_gaps(ws: &mut Ws, stop_at: Instant) -> (u32, Vec<f64>) {
    let mut last: Option<Instant> = None;
    let mut frames = 0;
    let mut gaps = Vec::new();
    while Instant::now() < stop_at {
        let msg = tokio::time::timeout(Duration::from_secs(2), ws.next())
            .await
            .expect("the stream stalled for 2 s")
            .expect("stream open")
            .expect("ws message");
        if let WsMessage::Binary(_) = msg {
            let now = Instant::now();
            if let Some(prev) = last {
                gaps.push((now - prev).as_secs_f64() * 1e3);
            }
            last = Some(now);
            frames += 1;
        }
    }
    gaps.sort_by(f64::total_cmp);
    (frames, gaps)
}

fn p99(gaps: &[f64]) -> f64 {
    gaps[(gaps.len() * 99 / 100).min(gaps.len() - 1)]
}

/// Eight clients posting baroreflex runs (each: the reflex's resting pre-run, then 600 s with
/// the reflex closed) while a live session streams: the stream's frame gaps stay within
/// 100 ms of the nominal 40 ms frame period. All eight are admitted at once
/// (`max_concurrent_runs = 8`, stricter than the default 2): the computations run on the
/// blocking pool, not on the runtime threads that serve the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_baroreflex_runs_do_not_delay_websocket_frames() {
    let _serial = SERIAL.lock().await;
    let config = Config {
        limits: Limits {
            max_concurrent_runs: 8,
            ..Limits::default()
        },
        ..Config::default()
    };
    let period = config.frame_interval;
    let addr = start(config).await;
    let id = create_session(addr, "healthy-adult").await;
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(addr, &id).as_str())
        .await
        .expect("ws connect");
    // Settle the stream for a second, then measure it for 3 s without load: the baseline
    // (on a machine shared with other work the gaps are not all 40 ms even then).
    let _ = frame_gaps(&mut ws, Instant::now() + Duration::from_secs(1)).await;
    let (base_frames, base) = frame_gaps(&mut ws, Instant::now() + Duration::from_secs(3)).await;
    let window = Duration::from_secs(6);
    let stop_at = Instant::now() + window;
    let body = json!({
        "patient": {"preset": "healthy-adult", "baroreflex": true, "heart_rate_bpm": 90.0},
        "simulation": {"duration_s": 600.0}
    });
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let body = body.clone();
            tokio::spawn(async move {
                let (mut ok, mut busy, mut ms) = (0u32, 0u32, 0.0f64);
                while Instant::now() < stop_at {
                    let t = Instant::now();
                    let r = post_json(addr, "/api/v1/run", &body).await;
                    match r.status {
                        200 => {
                            ok += 1;
                            ms = ms.max(t.elapsed().as_secs_f64() * 1e3);
                        }
                        503 => {
                            busy += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        s => panic!("status {s}: {}", r.text()),
                    }
                }
                (ok, busy, ms)
            })
        })
        .collect();
    let (frames, gaps) = frame_gaps(&mut ws, stop_at).await;
    let mut runs = (0, 0, 0.0f64);
    for c in clients {
        let (ok, busy, ms) = c.await.expect("client");
        runs = (runs.0 + ok, runs.1 + busy, runs.2.max(ms));
    }
    let worst = gaps.last().copied().unwrap_or(0.0);
    let lag_ms = worst - period.as_secs_f64() * 1e3;
    eprintln!(
        "without load: {base_frames} frames in 3 s, gap max {:.1} ms, p99 {:.1} ms; \
         with 8 runs: {frames} frames in {:.0} s, gap max {worst:.1} ms, p99 {:.1} ms \
         (nominal {} ms): worst delay {lag_ms:.1} ms; baroreflex runs completed {}, \
         refused busy {}, slowest {:.0} ms",
        base.last().copied().unwrap_or(0.0),
        p99(&base),
        window.as_secs_f64(),
        p99(&gaps),
        period.as_millis(),
        runs.0,
        runs.1,
        runs.2
    );
    assert!(runs.0 >= 8, "the runs did not load the server: {runs:?}");
    assert!(
        lag_ms <= 100.0,
        "a frame came {lag_ms:.1} ms late (gap {worst:.1} ms)"
    );
}

/// Environment variable that turns [`half_open_client`] into the client side of
/// [`ten_thousand_half_open_connections_are_closed_by_the_header_timeout`]: the server's
/// address, then `,` and the number of connections.
const CLIENT_ENV: &str = "ECMOVA_HALF_OPEN_CLIENT";

/// Whether the server closed `s` (EOF or reset) before `deadline`.
async fn closed_by(s: &mut tokio::net::TcpStream, deadline: Instant) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 256];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// The client half of the 10,000-connection test, run in a child process (the file
/// descriptor limit, 20,000 here, cannot hold both ends of 10,000 connections in one
/// process). Opens the connections (half silent, half an unfinished header), reports, then
/// counts how many the server closes within the header timeout plus 3 s. Ignored unless
/// the parent test starts it with [`CLIENT_ENV`] set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the client process of ten_thousand_half_open_connections_are_closed_by_the_header_timeout"]
async fn half_open_client() {
    use tokio::io::AsyncWriteExt;
    let Ok(spec) = std::env::var(CLIENT_ENV) else {
        return;
    };
    let (addr, n) = spec.split_once(',').expect("addr,n");
    let n: usize = n.parse().expect("n");
    let opened = Instant::now();
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        if i % 2 == 1 {
            s.write_all(b"GET /api/v1/capabilities HTTP/1.1\r\nHost: x")
                .await
                .expect("write");
        }
        conns.push(s);
    }
    println!("OPENED {:.3}", opened.elapsed().as_secs_f64());
    let deadline = Instant::now() + Duration::from_secs_f64(2.0 + 3.0);
    let mut closed = 0;
    let mut first: Option<f64> = None;
    for s in &mut conns {
        if closed_by(s, deadline).await {
            closed += 1;
            first.get_or_insert(opened.elapsed().as_secs_f64());
        }
    }
    println!(
        "CLOSED {closed} FIRST {:.3} ALL {:.3}",
        first.unwrap_or(0.0),
        opened.elapsed().as_secs_f64()
    );
}

/// 10,000 half-open connections (the figure: the server used to hold 19,960 of them,
/// 393 MB) are all closed by the 2 s header timeout, while a normal request is still served.
/// The connections come from a child process running [`half_open_client`].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_half_open_connections_are_closed_by_the_header_timeout() {
    let _serial = SERIAL.lock().await;
    use std::io::BufRead;
    let n = 10_000;
    let limits = Limits {
        header_timeout_s: 2.0,
        max_connections: 12_000,
        ..Limits::default()
    };
    let addr = start(Config {
        limits,
        ..Config::default()
    })
    .await;
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "half_open_client", "--ignored", "--nocapture"])
        .env(CLIENT_ENV, format!("{addr},{n}"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("client process");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.starts_with("OPENED") || line.starts_with("CLOSED") {
                let _ = tx.send(line);
            }
        }
    });
    let opened = tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("the client did not open its connections within 60 s")
        .expect("client output");
    // The connections hang now: a normal request is still answered.
    let t = Instant::now();
    let r = try_request(
        addr,
        "GET",
        "/api/v1/capabilities",
        None,
        b"",
        Duration::from_secs(5),
    )
    .await
    .expect("a normal request was not served while 10,000 connections hung");
    assert_eq!(r.status, 200);
    let normal_ms = t.elapsed().as_secs_f64() * 1e3;
    let closed = tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("the client did not finish")
        .expect("client output");
    let _ = child.wait();
    eprintln!(
        "{n} half-open connections: {opened} s; {closed} s; normal request {normal_ms:.1} ms"
    );
    let mut words = closed.split_whitespace();
    let count: usize = words.nth(1).and_then(|w| w.parse().ok()).expect("count");
    let first: f64 = words.nth(1).and_then(|w| w.parse().ok()).expect("first");
    assert_eq!(count, n, "connections still open after the header timeout");
    assert!(
        first >= 1.0,
        "the first connection closed after {first} s, before the 2 s header timeout"
    );
    assert_alive(addr).await;
}
