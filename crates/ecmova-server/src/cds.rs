//! CDS Hooks 2.0 in `ecmova serve` (`docs/fhir-mapping.md`, `docs/security.md`):
//!
//! - `GET /cds-services`: discovery (services for `patient-view` and `order-select`, with
//!   their prefetch templates);
//! - `POST /cds-services/{id}`: the hook call, answered with cards built by
//!   [`ecmova_fhir::cds`]; `412` when a required prefetch is missing (nothing is fetched from
//!   the client's FHIR server);
//! - `POST /cds-services/{id}/feedback`: accepted and discarded.
//!
//! The CDS client's JWT (`Authorization: Bearer`, CDS Hooks 2.0 "Trusting CDS Clients") is
//! verified when a key is configured ([`CdsJwt`]: signature with the configured public key,
//! `exp`, `iss` if configured, `aud` = this service's URL, `iat` and `jti` present). Without
//! a key the hook endpoints answer only on a loopback bind. Nothing of the request is
//! logged or stored.

use crate::error::ApiError;
use crate::security::bearer_tokens;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{json, Value};

/// Largest hook request body, bytes (a prefetch of one patient's data; larger than the API's
/// default body limit because a prefetch carries Bundles).
pub const CDS_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Algorithms accepted for the CDS client's JWT (CDS Hooks 2.0 names ES384 and RS384;
/// ES256 and RS256 are accepted as well).
pub const CDS_JWT_ALGORITHMS: &[Algorithm] = &[
    Algorithm::ES384,
    Algorithm::ES256,
    Algorithm::RS384,
    Algorithm::RS256,
];

/// The configured verification of CDS clients' JWTs.
#[derive(Clone)]
pub struct CdsJwt {
    keys: Vec<(Option<String>, DecodingKey, Vec<Algorithm>)>,
    /// Required `iss`, if configured.
    pub issuer: Option<String>,
    /// Required `aud`, if configured (otherwise `aud` must be a URL ending in
    /// `/cds-services/<id>`).
    pub audience: Option<String>,
}

impl std::fmt::Debug for CdsJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CdsJwt")
            .field("keys", &self.keys.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl CdsJwt {
    /// Reads a public key: a PEM (`-----BEGIN PUBLIC KEY-----`, EC or RSA) or a JWK Set
    /// (`{"keys": [...]}`, the document a client publishes at its `jku`).
    pub fn from_key_text(
        text: &str,
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Result<CdsJwt, String> {
        let mut keys = Vec::new();
        let t = text.trim();
        if t.starts_with('{') {
            let set: jsonwebtoken::jwk::JwkSet =
                serde_json::from_str(t).map_err(|e| format!("cds jwt key: not a JWK Set: {e}"))?;
            for (i, jwk) in set.keys.iter().enumerate() {
                let key = DecodingKey::from_jwk(jwk)
                    .map_err(|e| format!("cds jwt key: keys[{i}]: {e}"))?;
                let algs: Vec<Algorithm> = match &jwk.algorithm {
                    jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => {
                        vec![Algorithm::ES384, Algorithm::ES256]
                    }
                    jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => {
                        vec![Algorithm::RS384, Algorithm::RS256]
                    }
                    _ => {
                        return Err(format!(
                            "cds jwt key: keys[{i}]: only EC and RSA keys are accepted"
                        ))
                    }
                };
                keys.push((jwk.common.key_id.clone(), key, algs));
            }
        } else if let Ok(k) = DecodingKey::from_ec_pem(t.as_bytes()) {
            keys.push((None, k, vec![Algorithm::ES384, Algorithm::ES256]));
        } else if let Ok(k) = DecodingKey::from_rsa_pem(t.as_bytes()) {
            keys.push((None, k, vec![Algorithm::RS384, Algorithm::RS256]));
        } else {
            return Err("cds jwt key: neither a PEM public key (EC or RSA) nor a JWK Set".into());
        }
        if keys.is_empty() {
            return Err("cds jwt key: the JWK Set holds no key".into());
        }
        Ok(CdsJwt {
            keys,
            issuer,
            audience,
        })
    }

    /// Verifies the bearer token of a hook call to service `id`.
    pub fn verify(&self, headers: &HeaderMap, id: &str) -> Result<(), ApiError> {
        let tokens = bearer_tokens(headers);
        let Some(token) = tokens.first() else {
            return Err(unauthorized(
                "this CDS service needs the CDS client's JWT: send `Authorization: Bearer <JWT>`",
            ));
        };
        let head = jsonwebtoken::decode_header(token)
            .map_err(|e| unauthorized(format!("the JWT header cannot be read: {e}")))?;
        if !CDS_JWT_ALGORITHMS.contains(&head.alg) {
            return Err(unauthorized(format!(
                "JWT algorithm {:?} is not accepted (ES384, ES256, RS384, RS256)",
                head.alg
            )));
        }
        let mut last = String::from("no configured key matches the JWT");
        for (kid, key, algs) in &self.keys {
            if !algs.contains(&head.alg) {
                continue;
            }
            if let (Some(k), Some(h)) = (kid, &head.kid) {
                if k != h {
                    continue;
                }
            }
            let mut v = Validation::new(head.alg);
            v.algorithms = algs.clone();
            v.set_required_spec_claims(&["exp", "iss", "aud"]);
            if let Some(iss) = &self.issuer {
                v.set_issuer(&[iss]);
            }
            match &self.audience {
                Some(aud) => v.set_audience(&[aud]),
                None => v.validate_aud = false,
            }
            match jsonwebtoken::decode::<Claims>(token, key, &v) {
                Ok(data) => {
                    let c = data.claims;
                    if c.iat.is_none() || c.jti.as_deref().is_none_or(str::is_empty) {
                        return Err(unauthorized("the JWT must carry `iat` and `jti`"));
                    }
                    if self.audience.is_none() {
                        let suffix = format!("/cds-services/{id}");
                        let ok = match &c.aud {
                            Value::String(s) => s.trim_end_matches('/').ends_with(&suffix),
                            Value::Array(a) => a.iter().any(|x| {
                                x.as_str()
                                    .is_some_and(|s| s.trim_end_matches('/').ends_with(&suffix))
                            }),
                            _ => false,
                        };
                        if !ok {
                            return Err(unauthorized(format!(
                                "the JWT `aud` must be this service's URL (ending in `{suffix}`)"
                            )));
                        }
                    }
                    return Ok(());
                }
                Err(e) => last = format!("the JWT is not valid: {e}"),
            }
        }
        Err(unauthorized(last))
    }
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    aud: Value,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    jti: Option<String>,
}

fn unauthorized(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        Some("Authorization"),
        message,
    )
}

/// The CDS Hooks routes, with their own body limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cds-services", get(discovery))
        .route("/cds-services/{id}", post(hook))
        .route("/cds-services/{id}/feedback", post(feedback))
        .layer(DefaultBodyLimit::max(CDS_MAX_BODY_BYTES))
}

fn json(status: StatusCode, v: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(v) {
        Ok(b) => (status, [(header::CONTENT_TYPE, "application/json")], b).into_response(),
        Err(e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            None,
            e.to_string(),
        )
        .into_response(),
    }
}

async fn discovery() -> Response {
    json(StatusCode::OK, &ecmova_fhir::cds::discovery())
}

/// Who may call: the configured JWT, or anyone on a loopback bind.
fn admit(st: &AppState, headers: &HeaderMap, id: &str) -> Result<(), ApiError> {
    match &st.config().cds_jwt {
        Some(j) => j.verify(headers, id),
        None => match st.inner.local_addr {
            Some(a) if !a.ip().is_loopback() => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "cds_auth_not_configured",
                None,
                "CDS Hooks calls are refused on a non-loopback bind without the CDS client's key: start with --cds-jwt-key",
            )),
            _ => Ok(()),
        },
    }
}

fn body(b: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    b.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                Some("body"),
                format!("the hook request is larger than {CDS_MAX_BODY_BYTES} bytes"),
            )
        } else {
            ApiError::bad_request("invalid_body", Some("body"), e.body_text())
        }
    })
}

fn cds_error(e: ecmova_fhir::cds::CdsError) -> ApiError {
    ApiError::new(
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
        e.code,
        e.field.as_deref(),
        e.message,
    )
}

fn new_uuid() -> String {
    let mut b = [0u8; 16];
    // The OS RNG; should it fail, a card id only needs to be unique within the response.
    if getrandom::fill(&mut b).is_err() {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        b[8..].copy_from_slice(&n.to_be_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn hook(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Path(id) =
        id.map_err(|e| ApiError::bad_request("invalid_path", Some("id"), e.body_text()))?;
    admit(&st, &headers, &id)?;
    let b = body(b)?;
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let base = format!("http://{host}");
    // CPU work (mapping and assessment) off the async workers.
    let resp = tokio::task::spawn_blocking(move || {
        let mut uuid = new_uuid;
        ecmova_fhir::cds::handle(&b, &id, now_s(), &base, &mut uuid)
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            None,
            e.to_string(),
        )
    })?
    .map_err(cds_error)?;
    Ok(json(StatusCode::OK, &resp))
}

async fn feedback(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Path(id) =
        id.map_err(|e| ApiError::bad_request("invalid_path", Some("id"), e.body_text()))?;
    if ecmova_fhir::cds::hook_of(&id).is_none() {
        return Err(cds_error(ecmova_fhir::cds::CdsError {
            status: 404,
            code: "unknown_service",
            field: Some("id".into()),
            message: format!("no CDS service `{id}`"),
        }));
    }
    admit(&st, &headers, &id)?;
    let b = body(b)?;
    // Checked, then discarded: nothing is stored.
    ecmova_fhir::cds::check_feedback(&b).map_err(cds_error)?;
    Ok(json(StatusCode::OK, &json!({})))
}
