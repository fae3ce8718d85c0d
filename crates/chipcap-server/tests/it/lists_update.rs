//! The server's scheduled list update (`chipcap serve --lists-update-every`) against a local HTTP
//! server serving the fixtures: it imports, screens against the new version at once, re-screens
//! the ledger's parties, and survives a failing source. The test waits on each round's outcome (a
//! watch channel), never on a fixed sleep.

use std::time::Duration;

use axum::http::StatusCode;
use chipcap_server::lists_update::{Round, Schedule};

use super::fixture_http::FixtureServer;
use super::{app, post};

const CSL_PATH: &str = "/consolidated.csv";

fn legacy_csl() -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/screening/csl-legacy-sample.csv");
    std::fs::read_to_string(p).unwrap()
}

/// Waits (bounded) for a round that satisfies `ok`.
async fn round_where(
    rx: &mut tokio::sync::watch::Receiver<Round>,
    ok: impl Fn(&Round) -> bool,
) -> Round {
    tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            rx.changed().await.unwrap();
            let r = rx.borrow_and_update().clone();
            if ok(&r) {
                return r;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no such round within the bound: {:?}", rx.borrow()))
}

async fn hits(app: &axum::Router, name: &str) -> usize {
    let r = post(
        app,
        "/v1/screenings",
        None,
        &serde_json::json!({ "name": name }).to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["hits"].as_array().map(Vec::len).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_list_update_imports_rescreens_and_survives_failures() {
    let srv = FixtureServer::start();
    srv.put(CSL_PATH, legacy_csl().as_bytes());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lists.toml"),
        format!("[sources.csl]\nurl = \"{}\"\n", srv.url(CSL_PATH)),
    )
    .unwrap();
    let (app, state, t) = app();
    let r = post(
        &app,
        "/v1/ledger/parties",
        Some(&t.officer),
        r#"{"id":"p1","date":"2025-01-15","name":"Harbour Lights Trading","headquarters":"HK","veu":[]}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        post(
            &app,
            "/v1/screenings",
            None,
            r#"{"name":"32 Group China Limited"}"#
        )
        .await
        .status,
        StatusCode::SERVICE_UNAVAILABLE,
        "no lists yet"
    );
    let mut rx = chipcap_server::spawn_list_updates(
        state.clone(),
        Schedule {
            dir: dir.path().to_path_buf(),
            every: Duration::from_millis(20),
            timeout: Duration::from_secs(30),
        },
    );

    // The first round imports; the server screens against the new version at once.
    let r = round_where(&mut rx, |r| !r.imported.is_empty()).await;
    assert_eq!(r.imported, vec!["csl".to_string()], "{r:?}");
    assert!(hits(&app, "32 Group China Limited").await > 0);
    assert_eq!(hits(&app, "Harbour Lights Trading").await, 0);
    // Then the list is unchanged (304).
    round_where(&mut rx, |r| r.unchanged == vec!["csl".to_string()]).await;
    assert_eq!(srv.statuses(CSL_PATH)[..2], [200, 304]);

    // A failing source is logged and the schedule goes on.
    srv.fail(CSL_PATH, 503);
    let r = round_where(&mut rx, |r| !r.failed.is_empty()).await;
    assert!(r.failed[0].contains("503"), "{r:?}");
    assert!(
        hits(&app, "32 Group China Limited").await > 0,
        "lists in use kept"
    );

    // A changed list is imported and the ledger's party is re-screened with a new hit.
    let v2 = legacy_csl().replace("32 Group China Ltd.", "Harbour Lights Trading Co.");
    srv.put(CSL_PATH, v2.as_bytes());
    let r = round_where(&mut rx, |r| !r.imported.is_empty()).await;
    assert_eq!(r.parties_changed, 1, "{r:?}");
    assert!(hits(&app, "Harbour Lights Trading").await > 0);
    let idx = chipcap_server::lists::Store::new(dir.path())
        .index()
        .unwrap();
    assert_eq!(idx.versions.len(), 2);
}
