//! The HTTP API as a client sees it: in process (tower's `oneshot`) and over a real socket on
//! 127.0.0.1. One integration-test binary for the crate.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod api;
mod auth;
// The same local HTTP server as the CLI's `lists update` tests (one copy, kept there).
#[allow(dead_code)]
#[path = "../../../chipcap/tests/it/fixture_http.rs"]
mod fixture_http;
mod lists_update;
mod schema;
mod simulate;
mod socket;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chipcap_server::{AppState, Config, Role, TokenStore};
use serde_json::Value;
use tower::ServiceExt as _;

/// Tokens of every role, for the tests.
pub struct Tokens {
    pub viewer: String,
    pub officer: String,
    pub admin: String,
}

pub fn state_with(config: Config, ledger: bool) -> (Arc<AppState>, Tokens) {
    let rules = chipcap_rules::embedded().unwrap();
    let store = TokenStore::in_memory(Vec::new());
    let (viewer, _) = store
        .create(Role::Viewer, "v", "2026-01-01T00:00:00Z")
        .unwrap();
    let (officer, _) = store
        .create(Role::Officer, "o", "2026-01-01T00:00:00Z")
        .unwrap();
    let (admin, _) = store
        .create(Role::Admin, "a", "2026-01-01T00:00:00Z")
        .unwrap();
    let ledger: Option<Box<dyn chipcap_ledger::Store>> = if ledger {
        Some(Box::new(chipcap_ledger::MemoryStore::new()))
    } else {
        None
    };
    (
        AppState::new(rules, ledger, store, config),
        Tokens {
            viewer,
            officer,
            admin,
        },
    )
}

pub fn app() -> (Router, Arc<AppState>, Tokens) {
    let (st, t) = state_with(Config::default(), true);
    (chipcap_server::router(st.clone()), st, t)
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Asserts a problem document with this status and code.
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.text
        );
        let v = self.json();
        assert_eq!(v["code"], code, "{v}");
        assert_eq!(v["status"], status, "{v}");
        assert!(v["title"].is_string() && v["detail"].is_string(), "{v}");
        assert_eq!(v["type"], format!("/problems/{code}"));
        v
    }
}

pub async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: impl Into<Body>,
) -> Reply {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b = b.header(header::CONTENT_TYPE, "application/json");
    let resp = app
        .clone()
        .oneshot(b.body(body.into()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        content_type,
        headers,
        text: String::from_utf8_lossy(&bytes).to_string(),
    }
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    call(app, Method::GET, uri, None, Body::empty()).await
}

pub async fn post(app: &Router, uri: &str, token: Option<&str>, body: &str) -> Reply {
    call(app, Method::POST, uri, token, body.to_string()).await
}

pub fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
