//! # ecmova-server: the web simulator
//!
//! One binary (`ecmova serve`) serves the page (bedside monitor, ECMO console, PV loop,
//! controls; the assessment page) with its assets embedded, and the JSON API under
//! `/api/v1` (documented in `docs/api.md`, OpenAPI at `GET /api/v1/openapi.json`).
//!
//! - [`session`]: live sessions, each owning an engine `Model` and `State`, stepped by a tokio
//!   task in real time × speed and streamed over WebSocket ([`stream`] has the frame format);
//! - [`api`]: the REST handlers; [`wire`]: the request/response types, separate from the
//!   engine's; [`error`]: JSON errors naming the field at fault;
//! - [`ecmo`]: the hooks where the ECMO circuit plugs in (`apply_ecmo_event`);
//! - [`Limits`]: body size, simulated duration per request, live sessions, idle expiry,
//!   WebSocket clients per session, request timeout; none of them can crash or stall the
//!   server.
//!
//! Binds 127.0.0.1 by default. Research and teaching tool; not a certified medical device.
#![deny(missing_docs)]

pub mod api;
mod assets;
pub mod cds;
pub mod debrief;
pub mod error;
pub mod openapi;
pub mod security;
pub mod session;
pub mod stream;
pub mod wire;

use serde::Serialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Default listening address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Resource limits. Every one has a sane default and is configurable (`ecmova serve` flags).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Limits {
    /// Largest request body, bytes (default 64 KiB).
    pub max_body_bytes: usize,
    /// Longest simulated duration of one `POST /api/v1/run`, s (default 600).
    pub max_run_duration_s: f64,
    /// Most rows of a returned time series (default 20 000).
    pub max_series_rows: usize,
    /// Most `POST /api/v1/run` computing at once; more get 503 (default 2).
    pub max_concurrent_runs: usize,
    /// Most live sessions (default 64).
    pub max_sessions: usize,
    /// A session with no client and no request for this long is deleted, s (default 600).
    pub idle_expiry_s: f64,
    /// Most WebSocket clients per session (default 4).
    pub max_ws_clients_per_session: usize,
    /// Longest time a request may take before a 503, s (default 30).
    pub request_timeout_s: f64,
    /// Highest simulation speed, × real time (default 10).
    pub max_speed: f64,
    /// Most open TCP connections; further ones wait in the kernel's backlog until one closes
    /// (default 1024).
    pub max_connections: usize,
    /// Longest time a connection may take to send a request's headers, and longest time an
    /// idle keep-alive connection is kept, s (default 10).
    pub header_timeout_s: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            max_run_duration_s: 600.0,
            max_series_rows: 20_000,
            max_concurrent_runs: 2,
            max_sessions: 64,
            idle_expiry_s: 600.0,
            max_ws_clients_per_session: 4,
            request_timeout_s: 30.0,
            max_speed: 10.0,
            max_connections: 1024,
            header_timeout_s: 10.0,
        }
    }
}

impl Limits {
    /// Checks that every limit is usable (positive, finite). Returns the offending name.
    pub fn validate(&self) -> Result<(), String> {
        let pos = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must be a positive number, got {v}"))
            }
        };
        pos("max_body_bytes", self.max_body_bytes as f64)?;
        pos("max_run_duration_s", self.max_run_duration_s)?;
        pos("max_series_rows", self.max_series_rows as f64)?;
        pos("max_concurrent_runs", self.max_concurrent_runs as f64)?;
        pos("max_sessions", self.max_sessions as f64)?;
        pos("idle_expiry_s", self.idle_expiry_s)?;
        pos(
            "max_ws_clients_per_session",
            self.max_ws_clients_per_session as f64,
        )?;
        pos("request_timeout_s", self.request_timeout_s)?;
        pos("max_connections", self.max_connections as f64)?;
        pos("header_timeout_s", self.header_timeout_s)?;
        if !(self.max_speed.is_finite() && self.max_speed >= 1.0 && self.max_speed <= 100.0) {
            return Err(format!(
                "max_speed must be between 1 and 100, got {}",
                self.max_speed
            ));
        }
        if self.idle_expiry_s > 1e7 || self.request_timeout_s > 1e7 || self.header_timeout_s > 1e7 {
            return Err(
                "idle_expiry_s, request_timeout_s and header_timeout_s must be below 1e7 s".into(),
            );
        }
        Ok(())
    }
}

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Resource limits.
    pub limits: Limits,
    /// Wall time between two frames of a live session (default 40 ms).
    pub frame_interval: Duration,
    /// Extra `Host` values accepted besides the bound address, `localhost` and loopback
    /// literals (`host:port`, e.g. a DNS name of a lab server).
    pub allowed_hosts: Vec<String>,
    /// Extra `Origin` values accepted on state-changing requests and WebSocket upgrades
    /// besides the server's own (`http://<Host>`).
    pub allowed_origins: Vec<String>,
    /// Server-wide token every API request must carry (`X-Ecmova-Auth` header or `?auth=`),
    /// in addition to the session tokens. Required for a non-loopback bind.
    pub auth_token: Option<String>,
    /// Verification of CDS clients' JWTs for the CDS Hooks endpoints (`--cds-jwt-key`);
    /// without it, CDS Hooks calls are accepted only on a loopback bind.
    pub cds_jwt: Option<cds::CdsJwt>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            frame_interval: Duration::from_millis(40),
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            auth_token: None,
            cds_jwt: None,
        }
    }
}

/// Shared state of the server: configuration and the live sessions.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    sessions: Mutex<HashMap<String, Arc<session::Session>>>,
    runs: Arc<tokio::sync::Semaphore>,
    /// Each live session's tokens, by session id.
    tokens: Mutex<HashMap<String, security::SessionTokens>>,
    /// The address `serve` bound (for the `Host` check).
    local_addr: Option<SocketAddr>,
}

impl AppState {
    /// A fresh server state.
    pub fn new(config: Config) -> Self {
        Self::bound(config, None)
    }

    /// A fresh server state for a listener bound to `local_addr`.
    pub fn bound(config: Config, local_addr: Option<SocketAddr>) -> Self {
        let runs = Arc::new(tokio::sync::Semaphore::new(
            config.limits.max_concurrent_runs.max(1),
        ));
        AppState {
            inner: Arc::new(Inner {
                config,
                sessions: Mutex::new(HashMap::new()),
                runs,
                tokens: Mutex::new(HashMap::new()),
                local_addr,
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.inner.config.limits
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<session::Session>>> {
        self.inner
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, security::SessionTokens>> {
        self.inner.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of live sessions.
    pub fn session_count(&self) -> usize {
        self.sessions().len()
    }

    /// Deletes sessions idle for longer than the expiry. Returns how many.
    pub fn expire_idle(&self) -> usize {
        let expiry = Duration::from_secs_f64(self.limits().idle_expiry_s);
        let mut map = self.sessions();
        let before = map.len();
        map.retain(|_, s| {
            let keep = s.idle() < expiry;
            if !keep {
                s.close();
            }
            keep
        });
        self.tokens().retain(|id, _| map.contains_key(id));
        before - map.len()
    }

    /// Closes every session (at shutdown).
    pub fn close_all(&self) {
        for (_, s) in self.sessions().drain() {
            s.close();
        }
        self.tokens().clear();
    }
}

/// Starts the background task that expires idle sessions.
fn spawn_reaper(state: &AppState) {
    let weak = Arc::downgrade(&state.inner);
    let every = Duration::from_secs_f64((state.limits().idle_expiry_s / 4.0).clamp(0.05, 5.0));
    tokio::spawn(async move {
        let mut t = tokio::time::interval(every);
        loop {
            t.tick().await;
            let Some(inner) = weak.upgrade() else { break };
            AppState { inner }.expire_idle();
        }
    });
}

/// Serves on `listener` until `shutdown` resolves. Must run inside a tokio runtime.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = AppState::bound(config, listener.local_addr().ok());
    spawn_reaper(&state);
    let app = api::router(state.clone());
    let result = accept_loop(listener, app, state.limits(), shutdown).await;
    state.close_all();
    result
}

/// Accepts connections until `shutdown`: at most `max_connections` at once (the rest wait in
/// the kernel's backlog), each an HTTP/1.1 connection (with upgrades, for the WebSocket
/// stream) whose request headers must arrive within `header_timeout_s` (which also ends idle
/// keep-alive connections).
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: &Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let header_timeout = Duration::from_secs_f64(limits.header_timeout_s);
    let service = hyper_util::service::TowerToHyperService::new(app);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return Ok(()),
            },
            _ = &mut shutdown => return Ok(()),
        };
        let (stream, _peer) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                // Out of file descriptors or a connection reset before accept: carry on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let io = hyper_util::rt::TokioIo::new(stream);
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .serve_connection(io, service)
                .with_upgrades();
            let _ = conn.await;
        });
    }
}

/// Serves on `listener` forever. Must run inside a tokio runtime.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    serve_with_shutdown(listener, config, std::future::pending()).await
}

/// Shortest server auth token accepted, characters.
pub const MIN_AUTH_TOKEN_LEN: usize = 16;

impl Config {
    /// Checks the limits and the access settings for a listener on `addr`: a non-loopback
    /// address needs an auth token (of at least [`MIN_AUTH_TOKEN_LEN`] characters).
    pub fn validate_for(&self, addr: SocketAddr) -> Result<(), String> {
        self.limits.validate()?;
        if let Some(t) = &self.auth_token {
            if t.chars().count() < MIN_AUTH_TOKEN_LEN || t.chars().any(char::is_whitespace) {
                return Err(format!(
                    "auth_token must be at least {MIN_AUTH_TOKEN_LEN} characters without spaces, got {} characters",
                    t.chars().count()
                ));
            }
        }
        if !addr.ip().is_loopback() && self.auth_token.is_none() {
            return Err(format!(
                "listening on {addr} (not loopback) exposes the simulator to the network: give --auth-token or --auth-token-file, or bind 127.0.0.1"
            ));
        }
        Ok(())
    }
}

/// Binds `addr`, prints where to browse to on stderr, and serves until Ctrl-C. Builds its own
/// multi-threaded tokio runtime (blocking call). A non-loopback `addr` needs an auth token
/// ([`Config::validate_for`]) and prints a warning.
pub fn run(addr: &str, config: Config) -> Result<(), String> {
    config.limits.validate()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = listener
            .local_addr()
            .map_err(|e| format!("cannot read the bound address: {e}"))?;
        config.validate_for(local)?;
        if !local.ip().is_loopback() {
            eprintln!(
                "ecmova serve: WARNING: listening on {local}, reachable from the network; every API request needs the auth token, and traffic is plain HTTP (use a TLS proxy on an untrusted network). Research and teaching tool, not a medical device."
            );
            eprintln!("ecmova serve: open http://<this host>:{}/#auth=<token>", local.port());
        } else {
            eprintln!("ecmova serve: listening on http://{local}/ (Ctrl-C to stop)");
        }
        serve_with_shutdown(listener, config, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("server error: {e}"))
    })
}
