//! The stateless API, operations endpoints, the OpenAPI document and the ledger routes.

use axum::http::{Method, StatusCode};
use chipcap_core::wire;
use serde_json::{json, Value};

use crate::*;

#[tokio::test]
async fn every_example_gets_exactly_the_cli_determination() {
    let (app, st, _) = app();
    let mut n = 0;
    for e in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let r = post(&app, "/v1/determinations", None, &text).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", path.display(), r.text);
        assert_eq!(r.content_type, "application/json");
        let parsed = wire::parse_request(&text, st.rules, chipcap_server::today()).unwrap();
        let det = chipcap_core::determine(&parsed.request, st.rules).unwrap();
        assert_eq!(r.text, wire::to_json(&det), "{}", path.display());
        n += 1;
    }
    assert!(n >= 10, "examples found: {n}");
    let recent = get(&app, "/v1/determinations/recent").await.json();
    assert_eq!(recent.as_array().unwrap().len(), n);
    assert!(recent[0]["determination"]["reasons"].is_array());
}

#[tokio::test]
async fn bad_requests_are_problems_naming_the_field() {
    let (app, _, _) = app();
    let r = post(
        &app,
        "/v1/determinations",
        None,
        r#"{"destination":"AE","items":[{"chip":"nvidia-h100-sxm","quantity":0}]}"#,
    )
    .await;
    let v = r.problem(422, "invalid_request");
    assert_eq!(v["field"], "items[0].quantity");
    assert!(v["detail"].as_str().unwrap().contains("`0`"));

    let r = post(
        &app,
        "/v1/determinations",
        None,
        r#"{"destination":"XX","items":[]}"#,
    )
    .await;
    assert_eq!(r.problem(422, "invalid_request")["field"], "destination");

    let r = post(&app, "/v1/determinations", None, "not json").await;
    r.problem(422, "invalid_request");

    let r = call(
        &app,
        Method::POST,
        "/v1/determinations",
        None,
        vec![0xff_u8, 0xfe],
    )
    .await;
    r.problem(400, "bad_request");

    let big = format!(
        r#"{{"destination":"AE","pad":"{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let r = post(&app, "/v1/determinations", None, &big).await;
    r.problem(413, "payload_too_large");

    get(&app, "/v1/nothing-here")
        .await
        .problem(404, "not_found");
    let r = call(&app, Method::DELETE, "/v1/determinations", None, "").await;
    r.problem(405, "method_not_allowed");
}

#[tokio::test]
async fn rules_chips_tiers_and_classification() {
    let (app, _, _) = app();
    let r = get(&app, "/v1/rules?date=2026-03-01").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["date"], "2026-03-01");
    assert!(v["parameters"].as_array().unwrap().len() >= 10);
    let r = get(&app, "/v1/rules?date=2026-13-01").await;
    assert_eq!(r.problem(400, "bad_request")["field"], "date");

    let v = get(&app, "/v1/chips").await.json();
    let h100 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "nvidia-h100-sxm")
        .unwrap();
    assert_eq!(h100["eccn"], "3A090.a");

    let t = get(&app, "/v1/tiers?date=2025-06-15").await.json();
    assert_eq!(t["US"], 1);
    assert_eq!(t["AE"], 2);
    assert_eq!(t["CN"], 3);
    assert_eq!(t["MO"], 3);

    let r = post(
        &app,
        "/v1/classifications",
        None,
        r#"{"chip":"nvidia-h20"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["chip"], "nvidia-h20");
    let r = post(
        &app,
        "/v1/classifications",
        None,
        r#"{"tpp":4992,"die_area_mm2":"826","datacenter":true}"#,
    )
    .await;
    assert_eq!(r.json()["eccn"], "3A090.a", "{}", r.text);
    let r = post(
        &app,
        "/v1/classifications",
        None,
        r#"{"tpp":"4992.0001","datacenter":true}"#,
    )
    .await;
    assert_eq!(r.problem(422, "invalid_request")["field"], "tpp");
    let r = post(
        &app,
        "/v1/classifications",
        None,
        r#"{"chip":"nvidia-nope"}"#,
    )
    .await;
    assert_eq!(r.problem(422, "invalid_request")["field"], "chip");
}

#[tokio::test]
async fn health_readiness_metrics_and_request_ids() {
    let (app, _, _) = app();
    assert_eq!(get(&app, "/healthz").await.json()["status"], "ok");
    let r = get(&app, "/readyz").await.json();
    assert_eq!(r["status"], "ready");
    assert_eq!(r["ledger"], "memory");
    let text = std::fs::read_to_string(root().join("examples/tier2-licence.json")).unwrap();
    let d = post(&app, "/v1/determinations", None, &text).await;
    assert!(d.headers.get("x-request-id").is_some());
    let m = get(&app, "/metrics").await;
    assert!(m.content_type.starts_with("text/plain"));
    assert!(
        m.text
            .contains("chipcap_determinations_total{decision=\"license_required\"} 1"),
        "{}",
        m.text
    );
    assert!(m
        .text
        .contains("chipcap_http_requests_total{method=\"POST\",route=\"/v1/determinations\",status=\"200\"} 1"));
    assert!(m.text.contains("chipcap_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/determinations\",le=\"+Inf\"} 1"));
}

#[tokio::test]
async fn openapi_document_is_snapshotted_and_served() {
    let (app, _, _) = app();
    let r = get(&app, "/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["openapi"], "3.1.0");
    for p in [
        "/v1/determinations",
        "/v1/rules",
        "/v1/chips",
        "/v1/classifications",
        "/v1/ledger/apply",
        "/v1/ledger/balances",
        "/v1/tokens",
        "/healthz",
        "/metrics",
    ] {
        assert!(v["paths"][p].is_object(), "{p} missing");
    }
    let snap = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snap, &r.text).unwrap();
    }
    let want = std::fs::read_to_string(&snap)
        .expect("snapshot missing: run with UPDATE_SNAPSHOTS=1 and review the diff");
    assert_eq!(
        r.text, want,
        "the OpenAPI document changed: run with UPDATE_SNAPSHOTS=1 and review the diff"
    );
    let ui = get(&app, "/docs/").await;
    assert_eq!(ui.status, StatusCode::OK);
    assert!(ui.text.contains("swagger"), "{}", ui.text);
}

#[tokio::test]
async fn dashboard_is_served_from_the_binary() {
    let (app, _, _) = app();
    let r = get(&app, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("text/html"));
    assert!(
        !r.text.contains("http://") && !r.text.contains("https://"),
        "no external URL"
    );
    for a in [
        "/assets/app.css",
        "/assets/app.js",
        "/assets/map.js",
        "/assets/world.js",
    ] {
        let r = get(&app, a).await;
        assert_eq!(r.status, StatusCode::OK, "{a}");
        assert!(
            !r.text.contains("https://"),
            "{a} must load nothing from outside"
        );
    }
    // The outlines cover every sovereign country the tiers name, small ones included.
    let world = get(&app, "/assets/world.js").await.text;
    let json = &world[world.find('{').unwrap()..=world.rfind('}').unwrap()];
    let w: Value = serde_json::from_str(json).unwrap();
    let c = w["c"].as_object().unwrap();
    assert!(c.len() >= 200, "{} countries", c.len());
    for code in [
        "US", "CN", "MO", "HK", "SG", "AE", "IN", "TW", "IL", "BH", "MT", "KP", "IR",
    ] {
        assert!(c.contains_key(code), "{code} has no outline");
    }
}

#[tokio::test]
async fn ledger_round_trip() {
    let (app, _, t) = app();
    let off = Some(t.officer.as_str());
    let r = post(
        &app,
        "/v1/ledger/parties",
        off,
        r#"{"id":"p1","date":"2025-01-15","name":"Gulf Compute","headquarters":"AE","veu":[]}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let req = json!({"id": "s1", "date": "2025-06-15", "rule_set": "ai-diffusion-2025", "destination": "IN",
        "items": [{"chip": "nvidia-h100-sxm", "quantity": 50}],
        "consignee": {"name": "Gulf Compute", "headquarters": "AE", "authorization": "none"}});
    let r = post(&app, "/v1/ledger/apply", off, &req.to_string()).await;
    assert!(
        r.status == StatusCode::CREATED || r.status == StatusCode::OK,
        "{}",
        r.text
    );
    let first = r.text.clone();
    let again = post(&app, "/v1/ledger/apply", off, &req.to_string()).await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "a replay is not recorded twice"
    );
    assert_eq!(again.text, first);
    let mut other = req.clone();
    other["items"][0]["quantity"] = json!(51);
    let clash = post(&app, "/v1/ledger/apply", off, &other.to_string()).await;
    assert_eq!(
        clash.status,
        StatusCode::OK,
        "an id is applied once: {}",
        clash.text
    );
    assert_eq!(
        clash.text, first,
        "the first answer is returned for a reused id"
    );
    let m = get(&app, "/metrics").await.text;
    assert!(
        m.contains("chipcap_determinations_total{decision=\"authorized\"} 1"),
        "{m}"
    );

    let b = get(&app, "/v1/ledger/balances?as_of=2025-06-30").await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.text);
    assert_eq!(b.json()["as_of"], "2025-06-30");
    let h = get(&app, "/v1/ledger/history?limit=1").await.json();
    assert_eq!(h["limit"], 1);
    assert_eq!(h["items"].as_array().unwrap().len(), 1);
    assert!(h["total"].as_u64().unwrap() >= 1);
    let a = get(&app, "/v1/ledger/audit?op=party").await.json();
    assert_eq!(a["total"], 1, "{a}");
    let parties = get(&app, "/v1/ledger/parties").await.json();
    assert_eq!(parties.as_array().unwrap().len(), 1);
    let bad = get(&app, "/v1/ledger/history?limit=abc").await;
    assert_eq!(bad.problem(400, "bad_request")["field"], "limit");

    let bad = post(
        &app,
        "/v1/ledger/apply",
        off,
        r#"{"destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":1}]}"#,
    )
    .await;
    assert_eq!(bad.problem(422, "invalid_request")["field"], "id");
    let bad = post(&app, "/v1/ledger/parties", off, r#"{"id":"p2","name":"X"}"#).await;
    assert_eq!(bad.problem(422, "invalid_request")["field"], "headquarters");
    let bad = post(
        &app,
        "/v1/ledger/parties",
        off,
        r#"{"id":"p3","name":"X","headquarters":"AE","veu":[{"kind":"gveu","from":"2025-01-01"}]}"#,
    )
    .await;
    assert_eq!(bad.problem(422, "invalid_request")["field"], "veu[0].kind");
    let bad = post(
        &app,
        "/v1/ledger/grants",
        off,
        r#"{"id":"g","licence":"L"}"#,
    )
    .await;
    assert_eq!(bad.problem(422, "invalid_request")["field"], "consignee");
}

#[tokio::test]
async fn without_a_ledger_ledger_routes_say_so() {
    let (st, t) = state_with(Config::default(), false);
    let app = chipcap_server::router(st);
    get(&app, "/v1/ledger/balances")
        .await
        .problem(503, "no_ledger");
    post(
        &app,
        "/v1/ledger/apply",
        Some(&t.officer),
        r#"{"id":"x","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":1}]}"#,
    )
    .await
    .problem(503, "no_ledger");
    let v: Value = get(&app, "/readyz").await.json();
    assert_eq!(v["ledger"], "none");
}

/// The same round trip on PostgreSQL when `CHIPCAP_TEST_DATABASE_URL` is set (CI starts one with
/// `.ci/postgres.sh`; with `CHIPCAP_REQUIRE_POSTGRES=1` a missing URL is a failure, not a skip).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_routes_on_postgresql() {
    let Ok(url) = std::env::var("CHIPCAP_TEST_DATABASE_URL") else {
        assert!(
            std::env::var("CHIPCAP_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "CHIPCAP_REQUIRE_POSTGRES=1 but CHIPCAP_TEST_DATABASE_URL is not set"
        );
        return;
    };
    let schema = format!(
        "chipcap_server_it_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let store = tokio::task::spawn_blocking(move || {
        chipcap_ledger::open(&format!("{url}#{schema}")).unwrap()
    })
    .await
    .unwrap();
    let tokens = chipcap_server::TokenStore::in_memory(Vec::new());
    let (officer, _) = tokens
        .create(Role::Officer, "o", "2026-01-01T00:00:00Z")
        .unwrap();
    let rules = chipcap_rules::embedded().unwrap();
    let st = chipcap_server::AppState::new(rules, Some(store), tokens, Config::default());
    assert_eq!(st.backend(), "postgres");
    let app = chipcap_server::router(st);
    let req = json!({"id": "pg-1", "date": "2025-06-15", "rule_set": "ai-diffusion-2025", "destination": "IN",
        "items": [{"chip": "nvidia-h100-sxm", "quantity": 8}],
        "consignee": {"name": "PG Labs", "headquarters": "IN", "authorization": "none"}});
    let r = post(&app, "/v1/ledger/apply", Some(&officer), &req.to_string()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let b = get(&app, "/v1/ledger/balances?as_of=2025-12-31")
        .await
        .json();
    let lpp = b["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["allowance"] == "lpp" && r["entity"] == "PG Labs")
        .cloned()
        .unwrap();
    assert_eq!(lpp["used_tpp"], 126656);
    assert_eq!(get(&app, "/readyz").await.json()["ledger"], "postgres");
}

pub fn sample_lists() -> chipcap_server::lists::LoadedLists {
    use chipcap_server::lists::{write_atomic, Index, VersionMeta};
    let csv = root().join("testdata/screening/csl-legacy-sample.csv");
    let bytes = std::fs::read(&csv).unwrap_or_else(|e| panic!("{}: {e}", csv.display()));
    let entries = chipcap_screen::parse_csl_csv(&bytes).unwrap();
    let v = chipcap_screen::ListVersion::new(
        chipcap_screen::ListFormat::CslCsv,
        "sample",
        None,
        entries,
    );
    let dir = tempfile::tempdir().unwrap();
    write_atomic(
        &dir.path().join("v1.json"),
        &serde_json::to_vec(&v).unwrap(),
    )
    .unwrap();
    let idx = Index {
        versions: vec![VersionMeta {
            number: 1,
            format: v.format,
            label: "sample".into(),
            date: None,
            imported_at: "2026-01-01T00:00:00Z".into(),
            entries: v.entries.len(),
            names: v.name_count(),
        }],
    };
    write_atomic(
        &dir.path().join("index.json"),
        &serde_json::to_vec(&idx).unwrap(),
    )
    .unwrap();
    chipcap_server::lists::LoadedLists::load(dir.path())
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn screening_route_and_screened_determinations() {
    let (app, st, _) = app();
    // Without lists: 503 with a stable code, and determinations say the parties were not screened.
    let r = post(
        &app,
        "/v1/screenings",
        None,
        r#"{"name":"32 Group China Limited"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(r.text.contains("no_lists"));
    let req = r#"{"date":"2025-06-15","rule_set":"ai-diffusion-2025","destination":"SG","items":[{"chip":"nvidia-h100-sxm","quantity":10}],"consignee":{"name":"32 Group China Limited","headquarters":"SG"}}"#;
    let r = post(&app, "/v1/determinations", None, req).await;
    assert!(r.text.contains("screening_not_performed"), "{}", r.text);
    st.set_lists(Some(sample_lists()));
    let r = post(
        &app,
        "/v1/screenings",
        None,
        r#"{"name":"32 Group China Limited","country":"HK"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v: Value = serde_json::from_str(&r.text).unwrap();
    assert_eq!(v["hits"][0]["is_match"], true, "{v}");
    assert!(v["hits"][0]["source"]
        .as_str()
        .unwrap()
        .starts_with("Entity List"));
    // The listed consignee turns an LPP-size order into a licence, citing the entry.
    let r = post(&app, "/v1/determinations", None, req).await;
    let v: Value = serde_json::from_str(&r.text).unwrap();
    assert_eq!(v["decision"], "license_required", "{v}");
    assert_eq!(v["review_policy"], "presumption_of_denial");
    assert!(r.text.contains("80 FR 69852"));
    // Bad body: the field is named.
    let r = post(&app, "/v1/screenings", None, r#"{"name":""}"#).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("\"field\":\"name\""), "{}", r.text);
}

#[tokio::test]
async fn dispositions_are_recorded_in_the_ledger_and_applied() {
    let (app, st, t) = app();
    st.set_lists(Some(sample_lists()));
    let req = r#"{"date":"2025-06-15","rule_set":"ai-diffusion-2025","destination":"SG","items":[{"chip":"nvidia-h100-sxm","quantity":10}],"consignee":{"name":"32 Group China Limited","headquarters":"SG"}}"#;
    let decide = || async {
        let r = post(&app, "/v1/determinations", None, req).await;
        serde_json::from_str::<Value>(&r.text).unwrap()["decision"].clone()
    };
    assert_eq!(decide().await, "license_required");
    let body = r#"{"id":"d-1","party":"32 GROUP CHINA LIMITED","entry_key":"csl:EL:32 group china ltd.","disposition":"false_positive","why":"different company: other registry number"}"#;
    let r = post(&app, "/v1/screenings/dispositions", Some(&t.officer), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // Same id again: replayed, nothing new.
    let r = post(&app, "/v1/screenings/dispositions", Some(&t.officer), body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Applied to the next screening of the same party (any spelling with the same normal form).
    assert_eq!(decide().await, "authorized");
    let l = get(&app, "/v1/screenings/dispositions").await.json();
    assert_eq!(l.as_array().unwrap().len(), 1, "{l}");
    assert_eq!(l[0]["disposition"], "false_positive");
    assert!(
        l[0]["by"].as_str().unwrap().contains("(token "),
        "who: the caller's token: {l}"
    );
    let s = post(
        &app,
        "/v1/screenings",
        None,
        r#"{"name":"32 Group China Limited"}"#,
    )
    .await
    .json();
    assert_eq!(s["hits"][0]["disposition"]["id"], "d-1", "{s}");
    // Ledger applies are screened with it too.
    let apply = r#"{"id":"a-1","date":"2025-06-15","rule_set":"ai-diffusion-2025","destination":"SG","items":[{"chip":"nvidia-h100-sxm","quantity":10}],"consignee":{"name":"32 Group China Limited","headquarters":"SG"}}"#;
    let r = post(&app, "/v1/ledger/apply", Some(&t.officer), apply).await;
    assert_eq!(r.json()["recorded"], true, "{}", r.text);
    // It is a ledger entry: the history shows it, and a reversal withdraws it at once.
    let h = get(
        &app,
        "/v1/ledger/history?party=32%20GROUP%20CHINA%20LIMITED",
    )
    .await;
    assert!(h.text.contains("disposition"), "{}", h.text);
    let r = post(
        &app,
        "/v1/ledger/reversals",
        Some(&t.officer),
        r#"{"id":"r-1","of":"d-1","reason":"wrong party"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(decide().await, "license_required");
    // Bad input names the field; an unknown entry is refused.
    for (b, field) in [
        (
            r#"{"id":"d-2","party":"X","entry_key":"nope","disposition":"true_match","why":"x"}"#,
            "entry_key",
        ),
        (
            r#"{"id":"d-3","party":"X","entry_key":"csl:EL:32 group china ltd.","disposition":"maybe","why":"x"}"#,
            "disposition",
        ),
        (
            r#"{"id":"d-4","party":"X","entry_key":"csl:EL:32 group china ltd.","disposition":"true_match","why":" "}"#,
            "why",
        ),
    ] {
        let r = post(&app, "/v1/screenings/dispositions", Some(&t.officer), b).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(
            r.text.contains(&format!("\"field\":\"{field}\"")),
            "{}",
            r.text
        );
    }
    assert_eq!(
        get(&app, "/v1/screenings/dispositions")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

/// Regression (issue 12): `POST /v1/ledger/apply` accepted duplicate keys (the last value won and
/// was recorded) while `check` refused them, lost the field name of `1E400`, and rewrote `1e2`.
#[tokio::test]
async fn ledger_apply_refuses_duplicate_keys_and_keeps_numbers_as_given() {
    let (app, _, t) = app();
    let off = Some(t.officer.as_str());
    let item = r#"[{"chip":"nvidia-h100-sxm","quantity":10}]"#;
    let cases = [
        (
            format!(r#"{{"id":"d1","date":"2025-06-15","date":"2026-06-15","destination":"IN","items":{item},"consignee":{{"name":"A"}}}}"#),
            "date",
        ),
        (
            format!(r#"{{"id":"d2","date":"2025-06-15","destination":"IN","items":{item},"consignee":{{"name":"A","name":"B"}}}}"#),
            "consignee",
        ),
        (
            r#"{"id":"d3","date":"2025-06-15","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":1E400}],"consignee":{"name":"A"}}"#.to_string(),
            "items[0].quantity",
        ),
    ];
    for (body, field) in cases {
        let r = post(&app, "/v1/ledger/apply", off, &body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        let v: Value = serde_json::from_str(&r.text).unwrap();
        let errors = v["errors"].as_array().cloned().unwrap_or_default();
        let named = v["field"] == field
            || errors.iter().any(|e| e["field"] == field)
            || r.text.contains(&format!("`{field}`"));
        assert!(
            named,
            "{body}: the field `{field}` is not named: {}",
            r.text
        );
    }
    let body = r#"{"id":1e2,"date":"2025-06-15","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":10}],"consignee":{"name":"A"}}"#;
    let r = post(&app, "/v1/ledger/apply", off, body).await;
    assert!(r.status.is_success(), "{}", r.text);
    assert!(r.text.starts_with(r#"{"id":1e2,"#), "{}", r.text);
}

/// Issue 11: the API's equivalent of `check --compare`, and a request naming a version.
#[tokio::test]
async fn compare_answers_under_both_versions_and_rule_set_is_honoured() {
    let (app, _, _) = app();
    let text = std::fs::read_to_string(root().join("examples/h200-uae-today.json")).unwrap();
    let r = post(&app, "/v1/determinations/compare", None, &text).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(v["enforced"], "advanced-computing-2023");
    assert_eq!(
        v["determinations"]["advanced-computing-2023"]["decision"],
        "license_required"
    );
    assert_eq!(
        v["determinations"]["ai-diffusion-2025"]["authorization"],
        "LPP"
    );
    let fields: Vec<&str> = v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"decision") && !fields.contains(&"eccn"),
        "{fields:?}"
    );

    let r = post(
        &app,
        "/v1/determinations",
        None,
        r#"{"date":"2026-12-06","destination":"AE","items":[{"chip":"nvidia-h200-sxm","quantity":1}],"rule_set":"ai-diffusion-2099"}"#,
    )
    .await;
    assert_eq!(r.problem(422, "invalid_request")["field"], "rule_set");
    let r = post(
        &app,
        "/v1/determinations/compare",
        None,
        r#"{"date":"2023-11-16","destination":"AE","items":[{"chip":"nvidia-h200-sxm","quantity":1}]}"#,
    )
    .await;
    let p = r.problem(422, "invalid_request");
    assert_eq!(p["field"], "date");
    assert!(p["detail"].as_str().unwrap().contains("2023-11-17"), "{p}");
}

/// Issue 14, point 3: the countries of ledger writes are typed once the ledger records them; the
/// server still reads them as text, accepts any case (recorded upper case) and answers a bad one
/// with the problem it always gave.
#[tokio::test]
async fn ledger_writes_with_typed_countries_keep_their_answers() {
    let (app, _, t) = app();
    let off = Some(t.officer.as_str());
    let r = post(
        &app,
        "/v1/ledger/parties",
        off,
        r#"{"id":"p1","date":"2025-01-15","name":"Gulf Compute","headquarters":"ae","veu":[{"kind":"nveu","countries":["ae"],"from":"2025-01-15"}]}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let parties = get(&app, "/v1/ledger/parties").await.json();
    assert_eq!(parties[0]["body"]["headquarters"], "AE", "{parties}");
    assert_eq!(parties[0]["body"]["veu"][0]["countries"], json!(["AE"]));
    for (path, body, detail) in [
        (
            "/v1/ledger/parties",
            r#"{"id":"p2","name":"X","headquarters":"zz"}"#,
            "headquarters is not an ISO 3166-1 alpha-2 country code, got `zz`",
        ),
        (
            "/v1/ledger/parties",
            r#"{"id":"p3","name":"X","headquarters":"AE","veu":[{"kind":"nveu","countries":["UAE"],"from":"2025-01-15"}]}"#,
            "VEU country is not an ISO 3166-1 alpha-2 country code, got `UAE`",
        ),
        (
            "/v1/ledger/assurances",
            r#"{"id":"a1","country":"X1","uplift_percent":10}"#,
            "country is not an ISO 3166-1 alpha-2 country code, got `X1`",
        ),
        (
            "/v1/ledger/attritions",
            r#"{"id":"t1","consignee":"Gulf Compute","country":"","veu":"nveu","tpp_milli":1000,"cause":"loss"}"#,
            "country is not an ISO 3166-1 alpha-2 country code, got ``",
        ),
    ] {
        let p = post(&app, path, off, body)
            .await
            .problem(422, "invalid_request");
        assert_eq!(p["detail"], detail, "{p}");
        assert_eq!(p["field"], Value::Null, "{p}");
    }
    // A country of the wrong JSON type is still refused by the reader, naming the field.
    let bad = post(
        &app,
        "/v1/ledger/assurances",
        off,
        r#"{"id":"a2","country":7,"uplift_percent":10}"#,
    )
    .await;
    assert_eq!(bad.problem(422, "invalid_request")["field"], "country");
}
