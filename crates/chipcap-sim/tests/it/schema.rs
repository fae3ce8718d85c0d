use chipcap_sim::{parse, SimError};

fn err(text: &str) -> (String, Option<usize>, String) {
    match parse(text, "t", &crate::rules()) {
        Err(SimError::Schema {
            field,
            line,
            message,
        }) => (field, line, message),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

const HEAD: &str = "rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q1\"\nend = \"2027Q4\"\n";

#[test]
fn errors_name_the_field_and_the_line() {
    let cases: &[(&str, &str, usize, &str)] = &[
        ("colour = 1\n", "colour", 4, "unknown field `colour`"),
        ("[[demand]]\ncountry = \"MY\"\nchanel = \"licence\"\nh100e_per_quarter = 1\n", "demand[0].chanel", 6, "unknown field `chanel`"),
        ("[[demand]]\ncountry = \"XX\"\nchannel = \"licence\"\nh100e_per_quarter = 1\n", "demand[0].country", 5, "`XX`"),
        ("[[demand]]\ncountry = \"MY\"\nchannel = \"airmail\"\nh100e_per_quarter = 1\n", "demand[0].channel", 6, "`airmail`"),
        ("[[demand]]\ncountry = \"MY\"\nchannel = \"lpp\"\nh100e_per_quarter = 1\nfrom = \"2024Q1\"\n", "demand[0].from", 8, "outside"),
        ("[[parameter]]\nname = \"lpp_limit_tpps\"\nvalue = 1\n", "parameter[0].name", 5, "`lpp_limit_tpps`"),
        ("[[parameter]]\nname = \"lpp_limit_tpp\"\nvalue = \"1.0001\"\n", "parameter[0].value", 6, "1.0001"),
        ("[[tier_move]]\ncountry = \"MY\"\ntier = 4\nfrom = \"2026-01-01\"\n", "tier_move[0].tier", 6, "`4`"),
        ("[[assurances]]\ncountry = \"TH\"\nfrom = \"2025-13-01\"\n", "assurances[0].from", 6, "`2025-13-01`"),
        ("[[demand]]\ncountry = \"MY\"\nchannel = \"licence\"\nh100e_per_quarter = 1\ndistribution = { kind = \"normal\" }\n", "demand[0].distribution.kind", 8, "`normal`"),
        ("[monte_carlo]\nruns = 0\nseed = 1\n", "monte_carlo.runs", 5, "`0`"),
        ("[[group_move]]\ncountry = \"MY\"\ngroup = \"d9\"\naction = \"add\"\nfrom = \"2026-01-01\"\n", "group_move[0].group", 6, "`d9`"),
    ];
    for (tail, field, line, needle) in cases {
        let (f, l, m) = err(&format!("{HEAD}{tail}"));
        assert_eq!(&f, field, "{tail}");
        assert_eq!(l, Some(*line), "{tail}: {m}");
        assert!(m.contains(needle), "{tail}: {m}");
    }
}

#[test]
fn header_errors_name_their_field() {
    let (f, l, m) = err("rule_set = \"ai-diffusion-2026\"\nstart = \"2025Q1\"\nend = \"2027Q4\"\n");
    assert_eq!((f.as_str(), l), ("rule_set", Some(1)));
    assert!(m.contains("ai-diffusion-2026"));
    let (f, _, m) = err("rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q5\"\nend = \"2027Q4\"\n");
    assert_eq!(f, "start");
    assert!(m.contains("2025Q5"));
    let (f, _, _) = err("rule_set = \"ai-diffusion-2025\"\nstart = \"2026Q1\"\nend = \"2025Q4\"\n");
    assert_eq!(f, "end");
    let (f, _, m) = err("rule_set = \"ai-diffusion-2025\"\nstart = \"2023Q1\"\nend = \"2025Q4\"\n");
    assert_eq!(f, "start");
    assert!(m.contains("2023-11-17"), "{m}");
}

#[test]
fn tiers_cannot_move_under_the_enforced_controls() {
    let (f, _, m) = err("rule_set = \"advanced-computing-2023\"\nstart = \"2025Q1\"\nend = \"2027Q4\"\n[[tier_move]]\ncountry = \"MY\"\ntier = 1\nfrom = \"2026-01-01\"\n");
    assert_eq!(f, "tier_move[0].tier");
    assert!(m.contains("group_move"));
}

#[test]
fn every_example_scenario_reads_and_runs() {
    let dir = format!("{}/../../examples/scenarios", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&p).unwrap();
            let sc = parse(&text, "x", &crate::rules())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            chipcap_sim::simulate(&sc).unwrap();
            n += 1;
        }
    }
    assert!(n >= 5);
}
