//! `ecmova serve`: the web simulator and the JSON API (glue over `ecmova-server`).
use anyhow::Context;
use clap::Args;
use ecmova_server::{Config, Limits};

/// Arguments of `ecmova serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = ecmova_server::DEFAULT_ADDR)]
    pub addr: String,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = Limits::default().max_body_bytes)]
    pub max_body_bytes: usize,
    /// Longest simulated duration of one POST /api/v1/run, s.
    #[arg(long, default_value_t = Limits::default().max_run_duration_s)]
    pub max_run_duration_s: f64,
    /// Most rows of a returned time series.
    #[arg(long, default_value_t = Limits::default().max_series_rows)]
    pub max_series_rows: usize,
    /// Most whole-scenario runs computing at once.
    #[arg(long, default_value_t = Limits::default().max_concurrent_runs)]
    pub max_concurrent_runs: usize,
    /// Most live sessions.
    #[arg(long, default_value_t = Limits::default().max_sessions)]
    pub max_sessions: usize,
    /// Delete a session after this long without a client or a request, s.
    #[arg(long, default_value_t = Limits::default().idle_expiry_s)]
    pub idle_expiry_s: f64,
    /// Most WebSocket clients per session.
    #[arg(long, default_value_t = Limits::default().max_ws_clients_per_session)]
    pub max_ws_clients: usize,
    /// Longest time a request may take, s.
    #[arg(long, default_value_t = Limits::default().request_timeout_s)]
    pub request_timeout_s: f64,
    /// Highest simulation speed, × real time.
    #[arg(long, default_value_t = Limits::default().max_speed)]
    pub max_speed: f64,
    /// Most open TCP connections (more wait in the backlog).
    #[arg(long, default_value_t = Limits::default().max_connections)]
    pub max_connections: usize,
    /// Longest time to send a request's headers, and idle keep-alive time, s.
    #[arg(long, default_value_t = Limits::default().header_timeout_s)]
    pub header_timeout_s: f64,
    /// Server-wide token every API request must carry (`X-Ecmova-Auth` header; open the page
    /// as `http://host:port/#auth=<token>`). Required to listen on a non-loopback address.
    #[arg(long, conflicts_with = "auth_token_file")]
    pub auth_token: Option<String>,
    /// Read the server-wide token from this file (first line), so that it is not in the
    /// process list.
    #[arg(long)]
    pub auth_token_file: Option<std::path::PathBuf>,
    /// Also accept this `Host` (`name:port`, e.g. the lab server's DNS name); repeatable.
    #[arg(long = "allow-host")]
    pub allow_hosts: Vec<String>,
    /// Also accept requests from pages of this origin (`http://name:port`); repeatable.
    #[arg(long = "allow-origin")]
    pub allow_origins: Vec<String>,
    /// CDS Hooks: the CDS client's public key (PEM, EC or RSA) or JWK Set (JSON) file; every
    /// hook call must then carry a JWT signed with it. Without it, hook calls are accepted
    /// only on a loopback address.
    #[arg(long, value_name = "FILE")]
    pub cds_jwt_key: Option<std::path::PathBuf>,
    /// CDS Hooks: the `iss` the client's JWT must carry.
    #[arg(long, value_name = "ISS", requires = "cds_jwt_key")]
    pub cds_jwt_issuer: Option<String>,
    /// CDS Hooks: the `aud` the client's JWT must carry (default: any URL ending in
    /// `/cds-services/<id>`).
    #[arg(long, value_name = "URL", requires = "cds_jwt_key")]
    pub cds_jwt_audience: Option<String>,
}

/// Runs `ecmova serve` until Ctrl-C.
pub fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let limits = Limits {
        max_body_bytes: args.max_body_bytes,
        max_run_duration_s: args.max_run_duration_s,
        max_series_rows: args.max_series_rows,
        max_concurrent_runs: args.max_concurrent_runs,
        max_sessions: args.max_sessions,
        idle_expiry_s: args.idle_expiry_s,
        max_ws_clients_per_session: args.max_ws_clients,
        request_timeout_s: args.request_timeout_s,
        max_speed: args.max_speed,
        max_connections: args.max_connections,
        header_timeout_s: args.header_timeout_s,
    };
    limits
        .validate()
        .map_err(anyhow::Error::msg)
        .context("invalid limit")?;
    let auth_token = match (&args.auth_token, &args.auth_token_file) {
        (Some(t), _) => Some(t.trim().to_string()),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --auth-token-file {}", path.display()))?;
            Some(text.lines().next().unwrap_or("").trim().to_string())
        }
        (None, None) => None,
    };
    let cds_jwt = match &args.cds_jwt_key {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --cds-jwt-key {}", path.display()))?;
            Some(
                ecmova_server::cds::CdsJwt::from_key_text(
                    &text,
                    args.cds_jwt_issuer.clone(),
                    args.cds_jwt_audience.clone(),
                )
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("invalid --cds-jwt-key {}", path.display()))?,
            )
        }
        None => None,
    };
    let config = Config {
        limits,
        auth_token,
        cds_jwt,
        allowed_hosts: args.allow_hosts,
        allowed_origins: args.allow_origins,
        ..Config::default()
    };
    ecmova_server::run(&args.addr, config).map_err(anyhow::Error::msg)
}
