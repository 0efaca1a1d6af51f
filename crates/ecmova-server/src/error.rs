//! JSON errors: every failure of a request is `{"error": ..., "field": ..., "message": ...}`
//! with a 4xx (or 503) status, never a panic and never a plain-text body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An API error: a stable machine code, the field at fault (if any) and a readable message.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ApiError {
    /// HTTP status.
    #[serde(skip)]
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `invalid_json`, `out_of_range`, `not_available`.
    pub error: &'static str,
    /// The field (JSON path or scenario key) at fault; `null` when the request as a whole is.
    pub field: Option<String>,
    /// What was wrong and what is allowed.
    pub message: String,
}

impl ApiError {
    /// A new error.
    pub fn new(
        status: StatusCode,
        error: &'static str,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            error,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// 400: the body is not valid JSON/TOML for the expected shape.
    pub fn bad_request(
        error: &'static str,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, field, message)
    }

    /// 422: well-formed but a value is out of range or not applicable.
    pub fn unprocessable(
        error: &'static str,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, error, field, message)
    }

    /// 404: no such session.
    pub fn unknown_session(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "unknown_session",
            Some("id"),
            format!("no live session `{id}` (it may have expired or been deleted)"),
        )
    }

    /// An out-of-range number.
    pub fn out_of_range(field: &str, value: f64, min: f64, max: f64, unit: &str) -> Self {
        Self::unprocessable(
            "out_of_range",
            Some(field),
            format!("{field} = {value} is out of range: allowed {min} to {max} {unit}")
                .trim_end()
                .to_string(),
        )
    }

    /// 409 for an ECMO event in a build without the ECMO circuit.
    pub fn ecmo_not_available() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "not_available",
            Some("type"),
            "ECMO is not available in this build yet",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let body =
            serde_json::to_vec(&self).unwrap_or_else(|_| b"{\"error\":\"internal\"}".to_vec());
        (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}

/// Checks that `value` is finite and within `[min, max]`.
pub fn check(field: &str, value: f64, min: f64, max: f64, unit: &str) -> Result<(), ApiError> {
    if value.is_finite() && value >= min && value <= max {
        Ok(())
    } else {
        Err(ApiError::out_of_range(field, value, min, max, unit))
    }
}

/// Turns a serde error (with the path serde_path_to_error found) into a 400 naming the field.
///
/// Internally tagged enums lose the path, so the field is also read from the messages serde
/// writes: ``unknown field `x` ``, ``missing field `x` ``, ``unknown variant `x` `` (the tag).
pub fn from_serde(path: &str, message: &str) -> ApiError {
    let quoted = |prefix: &str| {
        message.find(prefix).and_then(|i| {
            let rest = &message[i + prefix.len()..];
            rest.find('`').map(|j| rest[..j].to_string())
        })
    };
    let join = |name: String| {
        if path.is_empty() || path == "." {
            name
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    let (code, field) = if let Some(f) = quoted("unknown field `") {
        ("unknown_field", Some(join(f)))
    } else if let Some(f) = quoted("missing field `") {
        ("missing_field", Some(join(f)))
    } else if message.contains("unknown variant") || message.contains("missing field `type`") {
        ("unknown_type", Some(join("type".into())))
    } else if path.is_empty() || path == "." {
        ("invalid_json", None)
    } else {
        ("invalid_value", Some(path.to_string()))
    };
    ApiError::bad_request(code, field.as_deref(), message.to_string())
}
