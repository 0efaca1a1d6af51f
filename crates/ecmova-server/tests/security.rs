//! Issue 13, the server part: sessions owned by tokens, cross-site and rebinding checks,
//! JSON-only bodies, the server auth token, connection timeouts and cap, security headers.
//! Every request here is sent raw ([`raw_request`]): no helper adds a token behind the test's
//! back.

mod common;

use common::*;
use ecmova_server::{Config, Limits};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMIT: Duration = Duration::from_secs(60);

/// One request with extra header lines; no automatic token.
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp {
    let extra: String = headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}\r\n"))
        .collect();
    raw_request(
        addr,
        method,
        path,
        content_type,
        &extra,
        body.as_bytes(),
        LIMIT,
    )
    .await
    .expect("request timed out")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Creates a session without any helper; returns (id, instructor token, learner token).
async fn new_session(addr: SocketAddr) -> (String, String, String) {
    let r = send(
        addr,
        "POST",
        "/api/v1/sessions",
        Some("application/json"),
        &[],
        r#"{"preset":"healthy-adult"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let j = r.json();
    let s = |k: &str| {
        j[k].as_str()
            .unwrap_or_else(|| panic!("{k}: {j}"))
            .to_string()
    };
    (s("id"), s("instructor_token"), s("learner_token"))
}

fn is_hex128(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_cannot_be_read_or_controlled_without_its_token() {
    let addr = start(Config::default()).await;
    let (id, instructor, learner) = new_session(addr).await;
    let (id2, instructor2, _) = new_session(addr).await;
    for t in [&id, &instructor, &learner, &id2, &instructor2] {
        assert!(is_hex128(t), "{t} is not 128 random bits in hex");
    }
    let all = [&id, &instructor, &learner, &id2, &instructor2];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b, "two identifiers are equal");
        }
    }
    let base = format!("/api/v1/sessions/{id}");
    let reads = [
        base.clone(),
        format!("{base}/summary"),
        format!("{base}/log"),
        format!("{base}/snapshot"),
        format!("{base}/stream"),
    ];
    let wrong = bearer(&instructor2);
    for path in &reads {
        // No token, a malformed header, another session's token: 401.
        send(addr, "GET", path, None, &[], "")
            .await
            .assert_error(401, "unauthorized", None);
        send(
            addr,
            "GET",
            path,
            None,
            &[("Authorization", &instructor)],
            "",
        )
        .await
        .assert_error(401, "unauthorized", None);
        send(addr, "GET", path, None, &[("Authorization", &wrong)], "")
            .await
            .assert_error(401, "unauthorized", None);
    }
    let action = r#"{"action":"set_heart_rate","heart_rate_bpm":90}"#;
    let clock = r#"{"command":"pause"}"#;
    for (method, path, body) in [
        ("POST", format!("{base}/events"), action),
        ("POST", format!("{base}/clock"), clock),
        ("DELETE", base.clone(), ""),
    ] {
        let ct = (method == "POST").then_some("application/json");
        send(addr, method, &path, ct, &[], body)
            .await
            .assert_error(401, "unauthorized", None);
        send(addr, method, &path, ct, &[("Authorization", &wrong)], body)
            .await
            .assert_error(401, "unauthorized", None);
    }
    // The WebSocket stream: no token, a wrong one, then the learner's.
    let url = format!("ws://{addr}/api/v1/sessions/{id}/stream");
    for u in [url.clone(), format!("{url}?token={instructor2}")] {
        match tokio_tungstenite::connect_async(u.as_str()).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status().as_u16(), 401, "{u}")
            }
            other => panic!("{u}: stream without its token was not refused: {other:?}"),
        }
    }
    let (ws, _) = tokio_tungstenite::connect_async(format!("{url}?token={learner}").as_str())
        .await
        .expect("the learner token streams");
    drop(ws);

    // The learner reads and applies actions, but may not delete, change the clock or
    // snapshot: 403.
    let lt = bearer(&learner);
    let l = [("Authorization", lt.as_str())];
    for path in [
        base.clone(),
        format!("{base}/summary"),
        format!("{base}/log"),
    ] {
        send(addr, "GET", &path, None, &l, "").await.assert_ok();
    }
    send(
        addr,
        "POST",
        &format!("{base}/events"),
        Some("application/json"),
        &l,
        action,
    )
    .await
    .assert_ok();
    send(addr, "GET", &format!("{base}/snapshot"), None, &l, "")
        .await
        .assert_error(403, "forbidden", None);
    send(
        addr,
        "POST",
        &format!("{base}/clock"),
        Some("application/json"),
        &l,
        clock,
    )
    .await
    .assert_error(403, "forbidden", None);
    send(addr, "DELETE", &base, None, &l, "")
        .await
        .assert_error(403, "forbidden", None);

    // The list shows only the sessions whose tokens are presented.
    let ids = |r: Resp| -> Vec<String> {
        r.assert_ok()["sessions"]
            .as_array()
            .expect("sessions")
            .iter()
            .map(|s| s["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert!(ids(send(addr, "GET", "/api/v1/sessions", None, &[], "").await).is_empty());
    assert_eq!(
        ids(send(addr, "GET", "/api/v1/sessions", None, &l, "").await),
        vec![id.clone()]
    );
    let it2 = bearer(&instructor2);
    let mut both = ids(send(
        addr,
        "GET",
        "/api/v1/sessions",
        None,
        &[("Authorization", &lt), ("Authorization", &it2)],
        "",
    )
    .await);
    both.sort();
    let mut expected = vec![id.clone(), id2.clone()];
    expected.sort();
    assert_eq!(both, expected);
    // Nothing in any answer gives a token away except the creation's.
    let info = send(addr, "GET", &base, None, &l, "").await.text();
    assert!(
        !info.contains(&instructor) && !info.contains(&learner),
        "{info}"
    );

    // The instructor may do it all.
    let it = bearer(&instructor);
    let i = [("Authorization", it.as_str())];
    send(
        addr,
        "POST",
        &format!("{base}/clock"),
        Some("application/json"),
        &i,
        clock,
    )
    .await
    .assert_ok();
    send(addr, "GET", &format!("{base}/snapshot"), None, &i, "")
        .await
        .assert_ok();
    send(addr, "DELETE", &base, None, &i, "").await.assert_ok();
    // Gone: its tokens open nothing.
    send(addr, "GET", &base, None, &i, "")
        .await
        .assert_error(404, "unknown_session", Some("id"));
    assert_eq!(
        ids(send(addr, "GET", "/api/v1/sessions", None, &i, "").await),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_origin_page_cannot_create_sessions_or_send_actions() {
    let addr = start(Config::default()).await;
    let evil = [("Origin", "http://evil.example")];
    let create = r#"{"preset":"healthy-adult"}"#;
    let r = send(
        addr,
        "POST",
        "/api/v1/sessions",
        Some("application/json"),
        &evil,
        create,
    )
    .await;
    r.assert_error(403, "origin_not_allowed", Some("Origin"));
    // A page of the server itself may.
    let own = format!("http://{addr}");
    let r = send(
        addr,
        "POST",
        "/api/v1/sessions",
        Some("application/json"),
        &[("Origin", &own)],
        create,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let j = r.json();
    let id = j["id"].as_str().unwrap().to_string();
    let token = bearer(j["instructor_token"].as_str().unwrap());
    // Even with a stolen token, a foreign page cannot act (or delete).
    for (method, path, body) in [
        (
            "POST",
            format!("/api/v1/sessions/{id}/events"),
            r#"{"action":"set_heart_rate","heart_rate_bpm":150}"#,
        ),
        (
            "POST",
            format!("/api/v1/sessions/{id}/clock"),
            r#"{"command":"pause"}"#,
        ),
        ("DELETE", format!("/api/v1/sessions/{id}"), ""),
        (
            "POST",
            "/api/v1/run".to_string(),
            r#"{"patient":{"preset":"healthy-adult"},"simulation":{"duration_s":1}}"#,
        ),
    ] {
        let ct = (method == "POST").then_some("application/json");
        send(
            addr,
            method,
            &path,
            ct,
            &[("Origin", "http://evil.example"), ("Authorization", &token)],
            body,
        )
        .await
        .assert_error(403, "origin_not_allowed", Some("Origin"));
    }
    let log = send(
        addr,
        "GET",
        &format!("/api/v1/sessions/{id}/log"),
        None,
        &[("Authorization", &token)],
        "",
    )
    .await
    .assert_ok();
    assert_eq!(log["actions"], json!([]), "a foreign action was applied");
    // The WebSocket upgrade from a foreign page (cross-site WebSocket hijacking).
    let mut req =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "ws://{addr}/api/v1/sessions/{id}/stream?token={}",
            &token[7..]
        ))
        .expect("request");
    req.headers_mut()
        .insert("Origin", "http://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 403)
        }
        other => panic!("a foreign-origin stream was not refused: {other:?}"),
    }
    // DNS rebinding: a name that is not this server's is refused, even for the page.
    for path in ["/", "/api/v1/capabilities"] {
        let r = raw_request(addr, "GET", path, None, "", b"", LIMIT)
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{path} with the bound address");
        let r = send_with_host(addr, path, "evil.example").await;
        r.assert_error(403, "host_not_allowed", Some("Host"));
        let r = send_with_host(addr, path, &format!("evil.example:{}", addr.port())).await;
        r.assert_error(403, "host_not_allowed", Some("Host"));
        let r = send_with_host(addr, path, &format!("localhost:{}", addr.port())).await;
        assert_eq!(r.status, 200, "{path} via localhost");
    }

    // The configured extras are accepted.
    let lab = Config {
        allowed_hosts: vec!["lab.example:8080".into()],
        allowed_origins: vec!["http://lab.example:8080".into()],
        ..Config::default()
    };
    let addr = start(lab).await;
    let r = send_with_host(addr, "/", "lab.example:8080").await;
    assert_eq!(r.status, 200);
    let r = send(
        addr,
        "POST",
        "/api/v1/sessions",
        Some("application/json"),
        &[("Origin", "http://lab.example:8080")],
        create,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
}

/// A GET with this `Host` header instead of the bound address.
async fn send_with_host(addr: SocketAddr, path: &str, host: &str) -> Resp {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    tokio::time::timeout(LIMIT, s.read_to_end(&mut buf))
        .await
        .expect("timeout")
        .expect("read");
    parse_response(&buf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_json_bodies_are_accepted() {
    let addr = start(Config::default()).await;
    let body = r#"{"preset":"healthy-adult"}"#;
    // The "simple" content types a foreign form or fetch may send without a preflight.
    for ct in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/json; charset=latin1"),
        Some("application/toml"),
        None,
    ] {
        let r = send(addr, "POST", "/api/v1/sessions", ct, &[], body).await;
        r.assert_error(415, "unsupported_media_type", Some("Content-Type"));
    }
    for ct in ["application/json", "application/json; charset=utf-8"] {
        let r = send(addr, "POST", "/api/v1/sessions", Some(ct), &[], body).await;
        assert_eq!(r.status, 201, "{ct}: {}", r.text());
    }
    let r = send(
        addr,
        "POST",
        "/api/v1/score/save",
        Some("text/plain"),
        &[],
        &example_patient().to_string(),
    )
    .await;
    r.assert_error(415, "unsupported_media_type", Some("Content-Type"));
    // /run also takes TOML (its own type only).
    let toml = "[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 1\n";
    let r = send(
        addr,
        "POST",
        "/api/v1/run",
        Some("application/toml"),
        &[],
        toml,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = send(addr, "POST", "/api/v1/run", Some("text/plain"), &[], toml).await;
    r.assert_error(415, "unsupported_media_type", Some("Content-Type"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_auth_token_guards_every_api_request() {
    let secret = "s3cret-token-0123456789";
    let addr = start(Config {
        auth_token: Some(secret.into()),
        ..Config::default()
    })
    .await;
    send(addr, "GET", "/api/v1/capabilities", None, &[], "")
        .await
        .assert_error(401, "unauthorized", None);
    send(
        addr,
        "GET",
        "/api/v1/capabilities",
        None,
        &[("X-Ecmova-Auth", "s3cret-token-0123456780")],
        "",
    )
    .await
    .assert_error(401, "unauthorized", None);
    let auth = [("X-Ecmova-Auth", secret)];
    send(addr, "GET", "/api/v1/capabilities", None, &auth, "")
        .await
        .assert_ok();
    // The page itself loads (it then sends the token it was given in `#auth=`).
    assert_eq!(send(addr, "GET", "/", None, &[], "").await.status, 200);
    // Sessions need both tokens.
    let r = send(
        addr,
        "POST",
        "/api/v1/sessions",
        Some("application/json"),
        &[],
        r#"{"preset":"healthy-adult"}"#,
    )
    .await;
    r.assert_error(401, "unauthorized", None);
    let r = send(
        addr,
        "POST",
        "/api/v1/sessions",
        Some("application/json"),
        &auth,
        r#"{"preset":"healthy-adult"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let j: Value = r.json();
    let id = j["id"].as_str().unwrap();
    let t = bearer(j["learner_token"].as_str().unwrap());
    let path = format!("/api/v1/sessions/{id}");
    send(addr, "GET", &path, None, &[("Authorization", &t)], "")
        .await
        .assert_error(401, "unauthorized", None);
    send(
        addr,
        "GET",
        &path,
        None,
        &[("Authorization", &t), ("X-Ecmova-Auth", secret)],
        "",
    )
    .await
    .assert_ok();

    // A non-loopback bind needs the token; a short token is refused.
    let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
    let lo: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let e = Config::default().validate_for(any).unwrap_err();
    assert!(e.contains("--auth-token"), "{e}");
    assert!(Config::default().validate_for(lo).is_ok());
    let with = Config {
        auth_token: Some(secret.into()),
        ..Config::default()
    };
    assert!(with.validate_for(any).is_ok());
    let short = Config {
        auth_token: Some("short".into()),
        ..Config::default()
    };
    assert!(short.validate_for(any).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_security_headers_and_no_inline_script() {
    let addr = start(Config::default()).await;
    for path in ["/", "/assess"] {
        let r = get(addr, path).await;
        assert_eq!(r.status, 200);
        let csp = r.header("content-security-policy").expect("CSP");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        // No inline script (which the CSP would block): every <script> has a src and is
        // empty, and no element has an on* handler attribute.
        let html = r.text().to_ascii_lowercase();
        for part in html.split("<script").skip(1) {
            let tag = part.split('>').next().unwrap_or("");
            assert!(tag.contains("src="), "{path}: inline <script{tag}>");
            let inner = part.split_once('>').map(|x| x.1).unwrap_or("");
            assert!(
                inner.trim_start().starts_with("</script"),
                "{path}: inline script"
            );
        }
        for tag in html.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap_or("");
            for attr in tag.split_whitespace().skip(1) {
                assert!(
                    !(attr.starts_with("on") && attr.contains('=')),
                    "{path}: inline handler in <{tag}>"
                );
            }
            assert!(!tag.contains("javascript:"), "{path}: <{tag}>");
        }
    }
    // The API answers carry nosniff too.
    let r = get(addr, "/api/v1/capabilities").await;
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}

/// Whether the server closed `s` (EOF or reset) within `limit`.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 or similar before closing: keep reading until the close.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_are_closed_by_the_header_timeout() {
    // 2,000 by default; `ECMOVA_HALF_OPEN=9000` for the issue's larger figure (needs twice as
    // many file descriptors).
    let n: usize = std::env::var("ECMOVA_HALF_OPEN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let header_timeout_s = 2.0;
    let limits = Limits {
        header_timeout_s,
        max_connections: 4096,
        ..Limits::default()
    };
    let addr = start(Config {
        limits,
        ..Config::default()
    })
    .await;
    // 2,000 connections (loopback, bounded): half send nothing, half an unfinished header
    // (slowloris).
    let opened = Instant::now();
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        if i % 2 == 1 {
            s.write_all(b"GET /api/v1/capabilities HTTP/1.1\r\nHost: x")
                .await
                .expect("write");
        }
        conns.push(s);
    }
    // A normal request is still served meanwhile.
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
    .expect("a normal request was not served while 2,000 connections hung");
    assert_eq!(r.status, 200);
    let normal_ms = t.elapsed().as_secs_f64() * 1e3;
    // Every hung connection is closed by the server within the header timeout (counted from
    // the last one opened), with a margin of 3 s for scheduling on a loaded machine.
    let limit = Duration::from_secs_f64(header_timeout_s + 3.0);
    let waited = Instant::now();
    let mut closed = 0;
    let mut first_close: Option<f64> = None;
    for s in &mut conns {
        let left = limit.saturating_sub(waited.elapsed());
        if closed_within(s, left).await {
            closed += 1;
            first_close.get_or_insert(opened.elapsed().as_secs_f64());
        }
    }
    eprintln!(
        "{n} hung connections opened in {:.2} s; normal request {normal_ms:.0} ms; {closed} closed by the server within {:.1} s",
        waited.duration_since(opened).as_secs_f64(),
        waited.elapsed().as_secs_f64()
    );
    assert_eq!(
        closed, n,
        "hung connections still open after the header timeout"
    );
    // And closed by the timeout, not at once.
    let first = first_close.unwrap_or(0.0);
    assert!(
        first >= 0.5 * header_timeout_s,
        "the first connection closed after {first:.2} s, before the {header_timeout_s} s header timeout"
    );
    assert_alive(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_queues_rather_than_grows() {
    // With a cap of 8 and 8 idle connections, a 9th waits in the backlog until the header
    // timeout frees a slot, and is then served.
    let limits = Limits {
        header_timeout_s: 1.0,
        max_connections: 8,
        ..Limits::default()
    };
    let addr = start(Config {
        limits,
        ..Config::default()
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(TcpStream::connect(addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    let r = try_request(
        addr,
        "GET",
        "/api/v1/capabilities",
        None,
        b"",
        Duration::from_secs(10),
    )
    .await
    .expect("the queued request was never served");
    assert_eq!(r.status, 200);
    let waited = t.elapsed().as_secs_f64();
    assert!(
        (0.5..5.0).contains(&waited),
        "the 9th connection was served after {waited:.2} s: the cap of 8 did not hold it until the 1 s header timeout"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn realtime_ratio_shows_a_stall() {
    // One runtime thread: blocking it stalls the session's stepper as an overloaded server
    // would. The simulation makes up at most 0.25 s of the stall; the ratio must show the rest
    // (it read 1.0000 through such stalls before issue 13).
    let addr = start(Config::default()).await;
    let (id, instructor, _) = new_session(addr).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    std::thread::sleep(Duration::from_millis(2000));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = bearer(&instructor);
    let info = send(
        addr,
        "GET",
        &format!("/api/v1/sessions/{id}"),
        None,
        &[("Authorization", &t)],
        "",
    )
    .await
    .assert_ok();
    let ratio = info["realtime_ratio"].as_f64().expect("realtime_ratio");
    // About (1.3 + 0.25) / 3.3 ≈ 0.5 of real time was simulated.
    assert!(
        ratio < 0.8,
        "a 2 s stall in 3.3 s of running still reads realtime_ratio {ratio}"
    );
    assert!(ratio > 0.2, "realtime_ratio {ratio}");
}
