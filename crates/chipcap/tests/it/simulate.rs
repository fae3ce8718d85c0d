//! `chipcap simulate`: the example, --json, --csv, --chart, comparison, Monte Carlo with a
//! seed, and bad scenarios (exit 2, the field and line named, nothing written).

use crate::{chipcap, root};

fn scenario(name: &str) -> String {
    root()
        .join("examples/scenarios")
        .join(name)
        .to_string_lossy()
        .to_string()
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = chipcap()
        .arg("simulate")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn simulate_json_names_the_exhaustion_quarters() {
    let v = json(&[&scenario("my-th-assurances.toml")]);
    let countries = v["countries"].as_array().unwrap();
    let q = |c: &str| {
        countries
            .iter()
            .find(|x| x["country"] == c)
            .map(|x| x["exhausted"].clone())
            .unwrap()
    };
    assert_eq!(q("MY"), "2026Q1");
    assert_eq!(q("TH"), "2027Q2");
    let my = countries.iter().find(|x| x["country"] == "MY").unwrap();
    let series = my["channels"][0]["series"].as_array().unwrap();
    assert_eq!(my["channels"][0]["channel"], "licence");
    assert_eq!(series.len(), 12);
    assert_eq!(series[0]["quarter"], "2025Q1");
    assert_eq!(series[0]["demanded_tpp"], 158_320_000);
    assert_eq!(series[4]["granted_tpp"], 156_705_136);
    assert_eq!(series[4]["refused_tpp"], 1_614_864);
    assert_eq!(series[4]["remaining_tpp"], 14_864);
    assert_eq!(my["thresholds"]["80"], "2025Q4");
    assert!(my["thresholds"]["100"].is_null());
}

#[test]
fn simulate_prints_a_table() {
    let out = chipcap()
        .arg("simulate")
        .arg(scenario("my-th-assurances.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("MY       2     2026Q1"), "{text}");
    assert!(text.contains("TH       2     2027Q2"), "{text}");
}

#[test]
fn simulate_writes_csv_and_svg_charts() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("csv");
    let svg = dir.path().join("svg");
    let out = chipcap()
        .arg("simulate")
        .arg(scenario("headline-tier2.toml"))
        .arg("--csv")
        .arg(&csv)
        .arg("--chart")
        .arg(&svg)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let series = std::fs::read_to_string(csv.join("series.csv")).unwrap();
    assert!(series.starts_with("country,channel,quarter,tier,demanded_tpp,"));
    assert!(
        series.contains("\nVN,lpp,2025Q1,2,134572000,134572000,0,0,"),
        "{series}"
    );
    let countries = std::fs::read_to_string(csv.join("countries.csv")).unwrap();
    assert!(countries.contains("\nIN,2026Q2,"), "{countries}");
    assert!(csv.join("allocation.csv").exists());
    for name in [
        "burndown-IN.svg",
        "burndown-AE.svg",
        "granted-by-tier-channel.svg",
        "nveu-staircase.svg",
        "uveu-shares.svg",
    ] {
        let text =
            std::fs::read_to_string(svg.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.starts_with("<svg"), "{name}");
        assert!(text.contains("</svg>"), "{name}");
    }
    let burn = std::fs::read_to_string(svg.join("burndown-IN.svg")).unwrap();
    assert!(
        burn.contains("80% used (reached 2026Q1)"),
        "the threshold marks are labelled"
    );
}

#[test]
fn simulate_compares_two_scenarios() {
    let v = json(&[
        &scenario("my-th-assurances.toml"),
        &scenario("my-th-advanced-computing.toml"),
    ]);
    let rows = v["comparison"].as_array().unwrap();
    let my = rows.iter().find(|r| r["country"] == "MY").unwrap();
    assert_eq!(my["a"]["exhausted"], "2026Q1");
    assert!(my["b"]["exhausted"].is_null());
    assert_eq!(v["scenarios"].as_array().unwrap().len(), 2);
    // --compare is the same as a second file.
    let w = json(&[
        &scenario("my-th-assurances.toml"),
        "--compare",
        &scenario("my-th-advanced-computing.toml"),
    ]);
    assert_eq!(v, w);
}

#[test]
fn monte_carlo_same_seed_same_output() {
    let run = |seed: &str| {
        let out = chipcap()
            .args([
                "simulate",
                &scenario("monte-carlo.toml"),
                "--json",
                "--runs",
                "100",
                "--seed",
                seed,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        out.stdout
    };
    let a = run("7");
    assert_eq!(a, run("7"));
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(v["monte_carlo"]["runs"], 100);
    assert_eq!(v["monte_carlo"]["seed"], 7);
    let c = v["monte_carlo"]["countries"].as_array().unwrap();
    assert!(c
        .iter()
        .all(|x| x.get("p10").is_some() && x.get("p50").is_some() && x.get("p90").is_some()));
}

#[test]
fn a_bad_scenario_exits_2_naming_the_field_and_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q1\"\nend = \"2027Q4\"\n[[demand]]\ncountry = \"MY\"\nchanel = \"licence\"\n",
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = chipcap()
        .arg("simulate")
        .arg(&bad)
        .arg("--csv")
        .arg(&out_dir)
        .arg("--chart")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 6: field `demand[0].chanel`"), "{err}");
    assert!(!out_dir.exists(), "nothing is written");
    // A good first scenario with a bad second one writes nothing either.
    let out = chipcap()
        .arg("simulate")
        .arg(scenario("my-th-assurances.toml"))
        .arg(&bad)
        .arg("--csv")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!out_dir.exists());
}

#[test]
fn a_ledger_is_replayed_as_demand() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let db_s = db.to_string_lossy().to_string();
    assert!(chipcap()
        .args(["ledger", "--db", &db_s, "init"])
        .output()
        .unwrap()
        .status
        .success());
    let day = root().join("examples/ledger-apply-day.ndjson");
    let out = chipcap()
        .args(["ledger", "--db", &db_s, "apply"])
        .arg(&day)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sc = dir.path().join("replay.toml");
    std::fs::write(&sc, "rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q1\"\nend = \"2025Q4\"\nreplay_ledger = \"l.db\"\n").unwrap();
    let v = json(&[&sc.to_string_lossy()]);
    let india = &v["countries"][0];
    assert_eq!(india["country"], "IN");
    assert_eq!(india["granted_by_authorization_tpp"]["LPP"][1], 18_998_400);
    // A ledger that is not there is an input error naming the field (and is not created).
    std::fs::write(&sc, "rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q1\"\nend = \"2025Q4\"\nreplay_ledger = \"none.db\"\n").unwrap();
    let out = chipcap().arg("simulate").arg(&sc).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("field `replay_ledger`"));
    assert!(!dir.path().join("none.db").exists());
}
