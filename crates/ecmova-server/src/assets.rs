//! The page and its assets, embedded in the binary (hand-written HTML, CSS and JavaScript; no
//! build step, no CDN).

use crate::error::ApiError;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const INDEX_HTML: &str = include_str!("../assets/index.html");
const ASSESS_HTML: &str = include_str!("../assets/assess.html");

/// Embedded assets: name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/style.css"),
    ),
    (
        "monitor.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/monitor.js"),
    ),
    (
        "assess.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/assess.js"),
    ),
    (
        "example-ami.json",
        "application/json",
        include_bytes!("../../../examples/patients/ami_cardiogenic_shock.json"),
    ),
    (
        "example-ecpr.json",
        "application/json",
        include_bytes!("../../../examples/patients/ecpr_ohca.json"),
    ),
    (
        "example-myocarditis.json",
        "application/json",
        include_bytes!("../../../examples/patients/fulminant_myocarditis.json"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../assets/favicon.svg"),
    ),
];

fn html(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `GET /`: the simulator (monitor, ECMO console, PV loop, controls).
pub async fn index() -> Response {
    html(INDEX_HTML)
}

/// `GET /assess`: the assessment page.
pub async fn assess_page() -> Response {
    html(ASSESS_HTML)
}

/// `GET /assets/{name}`.
pub async fn asset(
    name: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Response {
    let name = name.map(|Path(n)| n).unwrap_or_default();
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, ct, bytes)) => (
            [
                (header::CONTENT_TYPE, *ct),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *bytes,
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            Some("path"),
            format!("no asset `{name}`"),
        )
        .into_response(),
    }
}
