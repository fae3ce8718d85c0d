//! The one error shape of the API (RFC 9457 problem details) and the crate's error type.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why the server could not start or run (the library's public error type).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The token file cannot be read or written.
    #[error("token file `{path}`: {message}")]
    Tokens {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The ledger cannot be opened.
    #[error("ledger: {0}")]
    Ledger(#[from] chipcap_ledger::Error),
    /// The server is configured unsafely (e.g. a non-loopback address without tokens).
    #[error("{0}")]
    Config(String),
    /// A socket or file failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// The media type of a problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem document: `{"type", "title", "status", "code", "field", "detail"}`. `code` is stable;
/// `detail` names the offending input and never carries internal detail (paths, SQL, stack).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = ProblemDoc)]
pub struct Problem {
    /// A URI reference naming the problem type (`/problems/{code}`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the problem type.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The stable code: `invalid_request`, `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `timeout`, `payload_too_large`, `unsupported_media_type`, `conflict`,
    /// `cap_exceeded`, `negative_balance`, `no_ledger`, `no_lists`, `unavailable`,
    /// `too_many_requests`, `internal`.
    pub code: &'static str,
    /// The field at fault, as a JSON path (`items[0].quantity`) or a query parameter name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, naming the bad value.
    pub detail: String,
}

impl Problem {
    /// A problem with this status and code.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("/problems/{code}"),
            title: title(code),
            status: status.as_u16(),
            code,
            field: None,
            detail: detail.into(),
        }
    }

    /// Names the field at fault.
    pub fn field(mut self, field: impl Into<String>) -> Problem {
        let f = field.into();
        self.field = if f.is_empty() { None } else { Some(f) };
        self
    }

    /// 422 `invalid_request`.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", detail).field(field)
    }

    /// 400 `bad_request` (a query parameter or a body that is not text).
    pub fn bad(field: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad_request", detail).field(field)
    }

    /// 500 `internal`, with nothing of the cause (it is logged instead).
    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to complete the request; it has been logged",
        )
    }

    /// The problem for a bare status (used for errors raised by the framework: 404, 405, 413...).
    pub fn from_status(status: StatusCode) -> Problem {
        let (code, detail) = match status.as_u16() {
            400 => ("bad_request", "the request cannot be read"),
            401 => ("unauthorized", "a bearer token is required"),
            403 => ("forbidden", "the token's role does not allow this"),
            404 => ("not_found", "no such resource"),
            405 => (
                "method_not_allowed",
                "this method is not allowed on this resource",
            ),
            408 => ("timeout", "the request took too long and was abandoned"),
            413 => (
                "payload_too_large",
                "the request body is larger than the server accepts",
            ),
            415 => (
                "unsupported_media_type",
                "the request body's media type is not accepted",
            ),
            422 => ("invalid_request", "the request cannot be read"),
            429 => ("too_many_requests", "too many requests"),
            503 => ("unavailable", "the server is not ready"),
            s if s >= 500 => (
                "internal",
                "the server failed to complete the request; it has been logged",
            ),
            _ => ("bad_request", "the request cannot be served"),
        };
        Problem::new(status, code, detail)
    }

    /// The status as a [`StatusCode`].
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

fn title(code: &str) -> &'static str {
    match code {
        "invalid_request" => "The request document is invalid",
        "bad_request" => "Bad request",
        "unauthorized" => "Authentication required",
        "forbidden" => "Not allowed for this role",
        "not_found" => "Not found",
        "method_not_allowed" => "Method not allowed",
        "timeout" => "Request timeout",
        "payload_too_large" => "Payload too large",
        "unsupported_media_type" => "Unsupported media type",
        "conflict" => "Conflict",
        "cap_exceeded" => "An allowance would exceed its cap",
        "negative_balance" => "A balance would become negative",
        "no_ledger" => "No ledger is configured",
        "unavailable" => "Service unavailable",
        "too_many_requests" => "Too many requests",
        _ => "Internal error",
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_string(&self).unwrap_or_else(|_| {
            String::from(r#"{"type":"/problems/internal","title":"Internal error","status":500,"code":"internal","detail":"the server failed to complete the request"}"#)
        });
        let mut r = (status, body).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        r
    }
}

impl From<chipcap_core::wire::WireError> for Problem {
    /// An invalid request: 422 naming the field at fault.
    fn from(e: chipcap_core::wire::WireError) -> Problem {
        Problem::invalid(e.field, e.message)
    }
}

impl From<chipcap_core::DetermineError> for Problem {
    /// A request the core cannot decide: 422 naming the item, the items or the date (the field
    /// `WireError::from` gives it).
    fn from(e: chipcap_core::DetermineError) -> Problem {
        Problem::from(chipcap_core::wire::WireError::from(e))
    }
}

impl From<chipcap_ledger::Error> for Problem {
    fn from(e: chipcap_ledger::Error) -> Problem {
        use chipcap_ledger::Error as E;
        match &e {
            E::Request(w) => Problem::invalid(w.field.clone(), w.message.clone()),
            E::Input(m) => Problem::invalid("", m.clone()),
            E::Import { .. } => Problem::invalid("", e.to_string()),
            E::CapExceeded { .. } => {
                Problem::new(StatusCode::CONFLICT, "cap_exceeded", e.to_string())
            }
            E::NegativeBalance { .. } => {
                Problem::new(StatusCode::CONFLICT, "negative_balance", e.to_string())
            }
            E::NotFound(m) => Problem::new(StatusCode::NOT_FOUND, "not_found", m.clone()),
            E::Conflict(m) => Problem::new(StatusCode::CONFLICT, "conflict", m.clone()),
            E::Storage(_) | E::Corrupt(_) => {
                tracing::error!(error = %e, "ledger failure");
                Problem::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_errors_leak_nothing() {
        let p = Problem::from(chipcap_ledger::Error::Storage(
            "/secret/path.db: disk I/O".into(),
        ));
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("secret"));
    }
}
