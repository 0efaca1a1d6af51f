//! Who may do what: session tokens and their roles, the server-wide auth token, and the
//! request checks that keep other web pages and rebound DNS names out (`docs/security.md`).
//!
//! - Every session has two random 128-bit tokens (OS RNG): the instructor's may do everything,
//!   the learner's may read, stream and apply actions ([`Role`]). Requests on a session send
//!   `Authorization: Bearer <token>`; the WebSocket stream, which browsers cannot give headers,
//!   takes `?token=`.
//! - [`guard`] (a middleware on every route): `Host` must be the bound address, `localhost`,
//!   a loopback literal or a configured extra host (DNS rebinding); a present `Origin` on a
//!   state-changing request or a WebSocket upgrade must be the server's own origin (cross-site
//!   requests); JSON bodies must say `application/json` (a `text/plain` POST is a "simple"
//!   request a foreign page may send without asking); with a server auth token, every API
//!   request must carry it; and the pages get security headers (CSP without inline script).

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};

/// What a session token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Read, stream and apply actions.
    Learner,
    /// Also delete the session, change its clock and take snapshots.
    Instructor,
}

impl Role {
    /// The role's name in errors and docs.
    pub fn name(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Instructor => "instructor",
        }
    }
}

/// A session's two tokens.
#[derive(Debug, Clone)]
pub struct SessionTokens {
    /// May do everything.
    pub instructor: String,
    /// May read, stream and apply actions.
    pub learner: String,
}

impl SessionTokens {
    /// Two fresh random tokens.
    pub fn new() -> Result<Self, ApiError> {
        Ok(SessionTokens {
            instructor: random_hex()?,
            learner: random_hex()?,
        })
    }

    /// The role `token` grants, if any (compared in constant time).
    pub fn role_of(&self, token: &str) -> Option<Role> {
        if ct_eq(token, &self.instructor) {
            Some(Role::Instructor)
        } else if ct_eq(token, &self.learner) {
            Some(Role::Learner)
        } else {
            None
        }
    }
}

/// 128 random bits from the operating system's generator, as 32 hex digits.
pub fn random_hex() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            None,
            format!("the operating system's random generator failed: {e}"),
        )
    })?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Constant-time string equality (no early exit on the first differing byte).
pub fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Every bearer token of the request's `Authorization` headers (a client may present several
/// to list all its sessions).
pub fn bearer_tokens(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        })
        .collect()
}

/// The `token` query parameter (the WebSocket stream).
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// A 401 `unauthorized`.
pub fn unauthorized(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", None, message)
}

fn forbidden(code: &'static str, field: Option<&str>, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, field, message)
}

/// Name of the header carrying the server-wide auth token (`ecmova serve --auth-token`).
pub const AUTH_HEADER: &str = "x-ecmova-auth";

/// The hosts a request may name: the bound address, `localhost` and loopback literals on its
/// port, any IP literal on its port when bound to all interfaces (a rebound DNS name is never
/// an IP literal), and the configured extras.
fn host_allowed(host: &str, bound: Option<SocketAddr>, extra: &[String]) -> bool {
    let host = host.trim().to_ascii_lowercase();
    if extra.iter().any(|h| h.eq_ignore_ascii_case(&host)) {
        return true;
    }
    let Some(bound) = bound else {
        // Not bound through `serve` (a router used directly): only the loopback names.
        let name = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(&host);
        return matches!(name, "localhost" | "127.0.0.1" | "[::1]");
    };
    let port = bound.port();
    let (name, p) = match host.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !p.contains(']') => (h.to_string(), p.parse::<u16>().ok()),
        _ => (host.clone(), Some(80)),
    };
    if p != Some(port) {
        return false;
    }
    if name == "localhost" {
        return true;
    }
    let literal = name.trim_start_matches('[').trim_end_matches(']');
    match literal.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip == bound.ip() || bound.ip().is_unspecified(),
        Err(_) => false,
    }
}

/// The middleware on every route (see the module documentation).
pub async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    match check(&st, &req) {
        Ok(()) => {
            let page = !req.uri().path().starts_with("/api/");
            let mut resp = next.run(req).await;
            add_headers(resp.headers_mut(), page);
            resp
        }
        Err(e) => {
            let mut resp = e.into_response();
            add_headers(resp.headers_mut(), false);
            resp
        }
    }
}

fn check(st: &AppState, req: &Request) -> Result<(), ApiError> {
    let headers = req.headers();
    let config = st.config();
    // Host (DNS rebinding).
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !host_allowed(host, st.inner.local_addr, &config.allowed_hosts) {
        return Err(forbidden(
            "host_not_allowed",
            Some("Host"),
            format!("`Host: {host}` is not this server's address (add it with --allow-host)"),
        ));
    }
    let path = req.uri().path();
    let method = req.method();
    let state_changing = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let upgrade = headers.contains_key(header::UPGRADE);
    // Origin (cross-site requests, cross-site WebSocket hijacking).
    if let Some(origin) = headers.get(header::ORIGIN) {
        if state_changing || upgrade {
            let origin = origin.to_str().unwrap_or("").trim();
            let own = format!("http://{host}");
            let ok = origin.eq_ignore_ascii_case(&own)
                || config
                    .allowed_origins
                    .iter()
                    .any(|o| o.eq_ignore_ascii_case(origin));
            if !ok {
                return Err(forbidden(
                    "origin_not_allowed",
                    Some("Origin"),
                    format!("requests from `{origin}` are refused: only pages served by this server (`{own}`) may change state or stream (add others with --allow-origin)"),
                ));
            }
        }
    }
    // Server auth token.
    if path.starts_with("/api/") {
        if let Some(expected) = &config.auth_token {
            let given = headers
                .get(AUTH_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .or_else(|| query_param(req.uri().query(), "auth"));
            if !given.is_some_and(|g| ct_eq(&g, expected)) {
                return Err(unauthorized(format!(
                    "this server requires its auth token: send the `{AUTH_HEADER}` header (or `?auth=` on the stream)"
                )));
            }
        }
    }
    // Content type of bodies.
    if path.starts_with("/api/") && *method == Method::POST {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut parts = ct.split(';').map(str::trim);
        let mime = parts.next().unwrap_or("");
        let params_ok = parts.all(|p| p.is_empty() || p == "charset=utf-8");
        let toml_ok = path == "/api/v1/run" && mime == "application/toml";
        // A FHIR R4 Bundle for the assessment (issue 17).
        let fhir_ok = path == "/api/v1/assess" && mime == crate::api::FHIR_JSON;
        if !(params_ok && (mime == "application/json" || toml_ok || fhir_ok)) {
            let allowed = if path == "/api/v1/run" {
                "application/json or application/toml"
            } else if path == "/api/v1/assess" {
                "application/json (a patient) or application/fhir+json (a FHIR R4 Bundle)"
            } else {
                "application/json"
            };
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                Some("Content-Type"),
                format!("`{ct}`: send the body as {allowed} (optionally `; charset=utf-8`)"),
            ));
        }
    }
    Ok(())
}

/// The Content-Security-Policy of the pages: scripts, styles and connections from this server
/// only, no inline script, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn add_headers(h: &mut HeaderMap, page: bool) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if page {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
}

impl AppState {
    /// The session `id` if `token` (from `Authorization: Bearer` or, for the stream, `?token=`)
    /// grants at least `need`: 404 for an unknown id, 401 for no or a wrong token, 403 for a
    /// learner token on an instructor's request.
    pub(crate) fn authorize(
        &self,
        id: &str,
        headers: &HeaderMap,
        query: Option<&str>,
        need: Role,
    ) -> Result<std::sync::Arc<crate::session::Session>, ApiError> {
        let tokens = self
            .tokens()
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::unknown_session(id))?;
        let mut given = bearer_tokens(headers);
        if let Some(t) = query_param(query, "token") {
            given.push(t);
        }
        if given.is_empty() {
            return Err(unauthorized(
                "this session needs its token: send `Authorization: Bearer <token>` (or `?token=` on the stream)",
            ));
        }
        let role = given
            .iter()
            .filter_map(|t| tokens.role_of(t))
            .max()
            .ok_or_else(|| unauthorized("the token is not one of this session's"))?;
        if role < need {
            return Err(forbidden(
                "forbidden",
                None,
                format!(
                    "a {} token may not do this; it needs the {} token",
                    role.name(),
                    need.name()
                ),
            ));
        }
        self.session(id)
    }
}
