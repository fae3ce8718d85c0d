use chipcap_sim::{parse, simulate};

fn rules() -> chipcap_core::params::RuleSet {
    chipcap_rules::embedded().unwrap()
}

fn example() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/scenarios/my-th-assurances.toml"
    ))
    .unwrap()
}

#[test]
fn issue_example_exhausts_my_in_2026q1_and_th_in_2027q2() {
    let rules = rules();
    let sc = parse(&example(), "example", &rules).unwrap();
    let run = simulate(&sc).unwrap();
    let q = |c: &str| {
        run.country(c)
            .unwrap()
            .exhausted
            .map(|k| run.quarters[k].to_string())
    };
    assert_eq!(q("MY").as_deref(), Some("2026Q1"));
    assert_eq!(q("TH").as_deref(), Some("2027Q2"));
}
