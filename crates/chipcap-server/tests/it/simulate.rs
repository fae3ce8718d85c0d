//! `POST /v1/simulations`: the dashboard's scenario page runs a posted scenario and draws the same
//! charts as `chipcap simulate --chart`.

use axum::http::StatusCode;

use crate::{app, post, root};

fn example(name: &str) -> String {
    std::fs::read_to_string(root().join("examples/scenarios").join(name)).unwrap()
}

#[tokio::test]
async fn a_posted_scenario_runs_with_its_charts() {
    let (app, _, _) = app();
    let r = post(
        &app,
        "/v1/simulations",
        None,
        &example("my-th-assurances.toml"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    let q = |c: &str| {
        v["countries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["country"] == c)
            .unwrap()["exhausted"]
            .clone()
    };
    assert_eq!(q("MY"), "2026Q1");
    assert_eq!(q("TH"), "2027Q2");
    let svg = v["charts"]["burndown-MY.svg"].as_str().unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("80% used"));
    assert!(v["charts"]["granted-by-tier-channel.svg"].is_string());
}

#[tokio::test]
async fn a_bad_scenario_is_a_422_naming_the_field_and_line() {
    let (app, _, _) = app();
    let r = post(
        &app,
        "/v1/simulations",
        None,
        "rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q1\"\nend = \"2027Q4\"\n[[demand]]\ncountry = \"ZZ\"\nchannel = \"licence\"\nh100e_per_quarter = 1\n",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let v = r.json();
    assert_eq!(v["code"], "invalid_request");
    assert_eq!(v["field"], "demand[0].country");
    assert!(v["detail"].as_str().unwrap().starts_with("line 5: "), "{v}");
}

#[tokio::test]
async fn the_server_bounds_monte_carlo_runs() {
    let (app, _, _) = app();
    let text = example("monte-carlo.toml").replace("runs = 500", "runs = 2001");
    let r = post(&app, "/v1/simulations", None, &text).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["field"], "monte_carlo.runs");
    let r = post(&app, "/v1/simulations", None, &example("monte-carlo.toml")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["monte_carlo"]["runs"], 500);
}

#[tokio::test]
async fn the_dashboard_has_the_scenario_page() {
    let (app, _, _) = app();
    let html = crate::get(&app, "/").await.text;
    assert!(html.contains("id=\"scenario-form\""));
    let js = crate::get(&app, "/assets/app.js").await.text;
    assert!(js.contains("/v1/simulations"));
}

#[tokio::test]
async fn the_server_does_not_read_ledger_files() {
    let (app, _, _) = app();
    let r = post(
        &app,
        "/v1/simulations",
        None,
        "rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q1\"\nend = \"2025Q4\"\nreplay_ledger = \"/etc/passwd\"\n",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["field"], "replay_ledger");
}
