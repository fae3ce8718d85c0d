//! Every write route, every role: no token 401, unknown token 401, a role below 403, the role
//! and above pass authentication.

use axum::http::{Method, StatusCode};
use chipcap_server::{Config, Role};
use serde_json::Value;

use crate::*;

/// (method, path, minimum role, body).
fn writes() -> Vec<(Method, &'static str, Role, &'static str)> {
    vec![
        (
            Method::POST,
            "/v1/ledger/apply",
            Role::Officer,
            r#"{"id":"a1","date":"2025-06-15","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":1}],"consignee":{"name":"C","headquarters":"IN","authorization":"none"}}"#,
        ),
        (
            Method::POST,
            "/v1/ledger/apply/batch",
            Role::Officer,
            r#"[{"id":"b1","date":"2025-06-15","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":1}],"consignee":{"name":"C","headquarters":"IN","authorization":"none"}}]"#,
        ),
        (
            Method::POST,
            "/v1/ledger/grants",
            Role::Officer,
            r#"{"id":"g1","licence":"L-1","consignee":"C","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":1}],"date":"2025-06-15","valid_to":"2026-06-15"}"#,
        ),
        (
            Method::POST,
            "/v1/ledger/reversals",
            Role::Officer,
            r#"{"id":"r1","of":"nope","reason":"test"}"#,
        ),
        (
            Method::POST,
            "/v1/ledger/attritions",
            Role::Officer,
            r#"{"id":"t1","consignee":"C","country":"AE","veu":"nveu","tpp_milli":1,"cause":"loss"}"#,
        ),
        (
            Method::POST,
            "/v1/ledger/us-shipments",
            Role::Officer,
            r#"{"id":"u1","chip":"nvidia-h200-sxm","quantity":1}"#,
        ),
        (
            Method::POST,
            "/v1/ledger/adjustments",
            Role::Admin,
            r#"{"id":"j1","key":"lpp|C|2025","amount_milli":1,"reason":"test"}"#,
        ),
        (
            Method::POST,
            "/v1/ledger/parties",
            Role::Officer,
            r#"{"id":"p1","name":"C","headquarters":"IN"}"#,
        ),
        (
            Method::POST,
            "/v1/ledger/assurances",
            Role::Officer,
            r#"{"id":"s1","country":"IN","uplift_percent":100}"#,
        ),
        (
            Method::POST,
            "/v1/screenings/dispositions",
            Role::Officer,
            r#"{"id":"d1","party":"32 Group China Limited","entry_key":"csl:EL:32 group china ltd.","disposition":"false_positive","why":"test"}"#,
        ),
        (
            Method::POST,
            "/v1/tokens",
            Role::Admin,
            r#"{"role":"viewer","name":"x"}"#,
        ),
        (Method::GET, "/v1/tokens", Role::Admin, ""),
        (Method::DELETE, "/v1/tokens/000000000000", Role::Admin, ""),
    ]
}

#[tokio::test]
async fn every_write_route_checks_every_role() {
    let (app, st, t) = app();
    st.set_lists(Some(crate::api::sample_lists()));
    for (m, path, min, body) in writes() {
        let r = call(&app, m.clone(), path, None, body.to_string()).await;
        r.problem(401, "unauthorized");
        let r = call(
            &app,
            m.clone(),
            path,
            Some("ccp_not_a_token"),
            body.to_string(),
        )
        .await;
        r.problem(401, "unauthorized");
        for (role, tok) in [
            (Role::Viewer, &t.viewer),
            (Role::Officer, &t.officer),
            (Role::Admin, &t.admin),
        ] {
            let r = call(&app, m.clone(), path, Some(tok), body.to_string()).await;
            if role < min {
                let v = r.problem(403, "forbidden");
                assert!(v["detail"].as_str().unwrap().contains(min.as_str()), "{v}");
            } else {
                assert!(
                    r.status != StatusCode::UNAUTHORIZED && r.status != StatusCode::FORBIDDEN,
                    "{m} {path} as {}: {} {}",
                    role.as_str(),
                    r.status,
                    r.text
                );
                assert!(!r.status.is_server_error(), "{m} {path}: {}", r.text);
            }
        }
    }
}

#[tokio::test]
async fn every_write_route_in_the_document_is_covered_and_marked_secured() {
    let (app, _, _) = app();
    let doc = get(&app, "/openapi.json").await.json();
    let tested: Vec<(String, String)> = writes()
        .iter()
        .map(|(m, p, _, _)| (m.as_str().to_lowercase(), p.replace("000000000000", "{id}")))
        .collect();
    let stateless = [
        "/v1/determinations",
        "/v1/determinations/compare",
        "/v1/classifications",
        "/v1/screenings",
        "/v1/simulations",
    ];
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let secured = op.get("security").is_some();
            let is_tested = tested.iter().any(|(m, p)| m == method && p == path);
            if method != "get" && !stateless.contains(&path.as_str()) {
                assert!(is_tested, "{method} {path} has no auth test");
            }
            assert_eq!(secured, is_tested, "{method} {path}: security marking");
        }
    }
}

#[tokio::test]
async fn forcing_a_grant_needs_admin() {
    let (app, _, t) = app();
    let body = r#"{"id":"g9","licence":"L-9","consignee":"C","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":1}],"date":"2025-06-15","valid_to":"2026-06-15","force":"board approval"}"#;
    post(&app, "/v1/ledger/grants", Some(&t.officer), body)
        .await
        .problem(403, "forbidden");
    let r = post(&app, "/v1/ledger/grants", Some(&t.admin), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn admin_manages_tokens_and_a_revoked_token_stops_working() {
    let (app, _, t) = app();
    let r = post(
        &app,
        "/v1/tokens",
        Some(&t.admin),
        r#"{"role":"officer","name":"ops"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = r.json();
    let tok = v["token"].as_str().unwrap().to_string();
    let id = v["id"].as_str().unwrap().to_string();
    let list = call(&app, Method::GET, "/v1/tokens", Some(&t.admin), "").await;
    assert!(!list.text.contains(&tok), "secrets are never listed");
    assert!(list.text.contains(&id));
    let ok = post(
        &app,
        "/v1/ledger/parties",
        Some(&tok),
        r#"{"id":"p1","name":"C","headquarters":"IN"}"#,
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    let del = call(
        &app,
        Method::DELETE,
        &format!("/v1/tokens/{id}"),
        Some(&t.admin),
        "",
    )
    .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    post(
        &app,
        "/v1/ledger/parties",
        Some(&tok),
        r#"{"id":"p2","name":"C","headquarters":"IN"}"#,
    )
    .await
    .problem(401, "unauthorized");
    let bad = post(&app, "/v1/tokens", Some(&t.admin), r#"{"role":"root"}"#).await;
    assert_eq!(bad.problem(422, "invalid_request")["field"], "role");
}

#[tokio::test]
async fn reads_are_open_unless_private() {
    let (app, _, _) = app();
    assert_eq!(get(&app, "/v1/chips").await.status, StatusCode::OK);
    let cfg = Config {
        private_reads: true,
        ..Config::default()
    };
    let (st, t) = state_with(cfg, true);
    let app = chipcap_server::router(st);
    get(&app, "/v1/chips").await.problem(401, "unauthorized");
    post(&app, "/v1/determinations", None, "{}")
        .await
        .problem(401, "unauthorized");
    let r = call(&app, Method::GET, "/v1/chips", Some(&t.viewer), "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        get(&app, "/healthz").await.status,
        StatusCode::OK,
        "operations stay open"
    );
}

#[test]
fn refuses_a_public_address_without_tokens() {
    let empty = chipcap_server::TokenStore::in_memory(Vec::new());
    let public: std::net::SocketAddr = "0.0.0.0:8080".parse().unwrap();
    let local: std::net::SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let err = chipcap_server::check_exposure(&public, &empty).unwrap_err();
    assert!(err.to_string().contains("token create"), "{err}");
    assert!(chipcap_server::check_exposure(&local, &empty).is_ok());
    let some = chipcap_server::TokenStore::in_memory(Vec::new());
    some.create(Role::Admin, "a", "2026-01-01T00:00:00Z")
        .unwrap();
    assert!(chipcap_server::check_exposure(&public, &some).is_ok());
    let _: Option<Value> = None;
}

#[tokio::test]
async fn no_cors_unless_configured() {
    let (app, _, _) = app();
    let preflight = |app: axum::Router| async move {
        let req = axum::http::Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/determinations")
            .header("Origin", "https://orders.example")
            .header("Access-Control-Request-Method", "POST")
            .body(axum::body::Body::empty())
            .unwrap();
        tower::ServiceExt::oneshot(app, req).await.unwrap()
    };
    let r = preflight(app).await;
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let cfg = Config {
        cors_origins: vec!["https://orders.example".into()],
        ..Config::default()
    };
    let (st, _) = state_with(cfg, false);
    let r = preflight(chipcap_server::router(st)).await;
    assert_eq!(
        r.headers().get("access-control-allow-origin").unwrap(),
        "https://orders.example"
    );
}
