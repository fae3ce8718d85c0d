use crate::{example, exhausted, run, scenario};
use chipcap_core::units::Tpp;
use chipcap_sim::{montecarlo, simulate, Channel};

/// One H100 SXM, milli-TPP (the catalog figure and the framework's display unit).
const H100: i64 = 15_832_000;

#[test]
fn issue_example_exhausts_my_in_2026q1_and_th_in_2027q2() {
    let r = run(&example("my-th-assurances.toml"));
    assert_eq!(exhausted(&r, "MY").as_deref(), Some("2026Q1"));
    assert_eq!(exhausted(&r, "TH").as_deref(), Some("2027Q2"));
    let my = r.country("MY").unwrap();
    // Four whole quarters, then the 9,898 H100s the remaining 156,720,000 TPP still hold.
    assert_eq!(my.used[3], 4 * 10_000 * H100);
    assert_eq!(my.used[4], (40_000 + 9_898) * H100);
    assert_eq!(my.cap[0], Some(790_000_000_000));
    assert_eq!(r.country("TH").unwrap().cap[0], Some(1_580_000_000_000));
    let s = &my.channels[&Channel::Licence];
    assert_eq!(s.granted[4], 9_898 * H100);
    assert_eq!(s.refused_for_allocation[4], 102 * H100);
    assert_eq!(s.refused[5], 10_000 * H100);
    assert_eq!(s.remaining[4], Some(790_000_000_000 - (49_898 * H100)));
}

#[test]
fn without_fill_the_whole_order_is_refused_and_the_quarter_is_the_same() {
    let text = example("my-th-assurances.toml").replace(
        "end = \"2027Q4\"",
        "end = \"2027Q4\"\n[options]\nfill = false",
    );
    let r = run(&text);
    assert_eq!(exhausted(&r, "MY").as_deref(), Some("2026Q1"));
    assert_eq!(r.country("MY").unwrap().used[4], 4 * 10_000 * H100);
    assert_eq!(exhausted(&r, "TH").as_deref(), Some("2027Q2"));
}

#[test]
fn demand_exactly_at_the_cap_is_granted_and_exhausts_only_the_next_quarter() {
    // A cap of exactly five quarters of demand: 5 x 158,320,000 TPP.
    let base = "rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q1\"\nend = \"2027Q4\"\n[[demand]]\ncountry = \"MY\"\nchannel = \"licence\"\nh100e_per_quarter = 10000\n[[parameter]]\nname = \"country_allocation_tpp\"\n";
    let r = run(&format!("{base}value = \"791600000\"\n"));
    let my = r.country("MY").unwrap();
    assert_eq!(
        my.threshold(100)
            .map(|k| r.quarters[k].to_string())
            .as_deref(),
        Some("2026Q1")
    );
    assert_eq!(exhausted(&r, "MY").as_deref(), Some("2026Q2"));
    // 0.001 TPP less: the fifth order no longer fits.
    let r = run(&format!("{base}value = \"791599999.999\"\n"));
    assert_eq!(exhausted(&r, "MY").as_deref(), Some("2026Q1"));
}

#[test]
fn without_assurances_thailand_runs_out_with_malaysia() {
    let r = run(&example("my-th-no-assurances.toml"));
    assert_eq!(exhausted(&r, "TH").as_deref(), Some("2026Q1"));
}

#[test]
fn the_enforced_controls_have_no_allocation_to_exhaust() {
    let r = run(&example("my-th-advanced-computing.toml"));
    for c in ["MY", "TH"] {
        let cr = r.country(c).unwrap();
        assert_eq!(cr.exhausted, None);
        assert!(cr.cap.iter().all(Option::is_none));
        assert!(cr.tier.iter().all(Option::is_none));
        assert_eq!(
            cr.channels[&Channel::Licence].granted.iter().sum::<i64>(),
            12 * 10_000 * H100
        );
        assert!(cr.granted_by_authorization.contains_key("NLR"));
    }
}

#[test]
fn lpp_orders_past_the_yearly_limit_fall_to_licences() {
    let r = run(&example("headline-tier2.toml"));
    let vn = r.country("VN").unwrap();
    // 20 consignees x 425 H100 a quarter: three quarters under LPP, the fourth needs a licence.
    let lpp = &vn.granted_by_authorization["LPP"];
    let lic = &vn.granted_by_authorization["licence"];
    assert_eq!(lpp[0..3], [8_500 * H100; 3]);
    assert_eq!((lpp[3], lic[3]), (0, 8_500 * H100));
    assert_eq!(lpp[4], 8_500 * H100, "the limit is per calendar year");
    assert_eq!(vn.used[3], 8_500 * H100);
    let s = &vn.channels[&Channel::Lpp];
    assert_eq!(s.remaining[2], Some(20 * (26_900_000_000 - 3 * 425 * H100)));
}

#[test]
fn nveu_orders_past_the_quarterly_staircase_fall_to_licences() {
    let r = run(&example("headline-tier2.toml"));
    let ae = r.country("AE").unwrap();
    let nveu = &ae.granted_by_authorization["NVEU"];
    // 2025Q2 cap 949,500,000 TPP < 2 x 30,000 H100e: the second order is licensed.
    assert_eq!(nveu[0], 30_000 * H100);
    assert_eq!(nveu[1], 0);
    assert_eq!(ae.granted_by_authorization["licence"][1], 30_000 * H100);
    assert_eq!(nveu[2], 30_000 * H100);
    assert_eq!(r.nveu_cap[0], Some(633_000_000_000));
    let base = r.veu.iter().find(|v| v.kind == "nveu").unwrap();
    assert_eq!(base.installed[2], 60_000 * H100);
}

#[test]
fn uveu_installs_until_the_country_share_is_reached() {
    let r = run(&example("headline-tier2.toml"));
    let inr = r.country("IN").unwrap();
    let uveu = &inr.granted_by_authorization["UVEU"];
    // 7% of (1,000,000 + x) H100e holds x <= 75,268: five orders of 15,000 fit, the sixth does not.
    assert_eq!(uveu[4], 15_000 * H100);
    assert_eq!(uveu[5], 0);
}

#[test]
fn overrides_move_malaysia_to_tier_1_and_raise_the_caps() {
    let r = run(&example("overrides.toml"));
    let my = r.country("MY").unwrap();
    assert_eq!(my.tier[5], Some(2));
    assert_eq!(my.tier[6], Some(1), "Tier 1 from 2026-07-01");
    assert_eq!(my.exhausted, None);
    assert!(my.granted_by_authorization.contains_key("AIA"));
    let th = r.country("TH").unwrap();
    assert_eq!(th.cap[4], Some(100_000 * H100));
    assert_eq!(exhausted(&r, "TH").as_deref(), Some("2027Q3"));
}

#[test]
fn growth_compounds_quarter_by_quarter() {
    let sc = scenario(&example("headline-tier2.toml"));
    let india = &sc.demand[0];
    assert_eq!(india.tpp_milli[0], 8_000 * 15_832_000);
    assert_eq!(india.tpp_milli[1], 8_400 * 15_832_000);
    assert_eq!(india.tpp_milli[2], 8_820 * 15_832_000);
}

#[test]
fn monte_carlo_with_a_seed_is_deterministic_and_ordered() {
    let sc = scenario(&example("monte-carlo.toml"));
    let a = montecarlo::run(&sc, 200, 42).unwrap();
    let b = montecarlo::run(&sc, 200, 42).unwrap();
    assert_eq!(a, b);
    for c in &a.countries {
        let key = |v: Option<usize>| v.unwrap_or(usize::MAX);
        assert!(
            key(c.p10) <= key(c.p50) && key(c.p50) <= key(c.p90),
            "{c:?}"
        );
    }
    // The result does not depend on how many threads share the runs.
    assert_eq!(a, montecarlo::run_threads(&sc, 200, 42, 1).unwrap());
    assert_eq!(a, montecarlo::run_threads(&sc, 200, 42, 3).unwrap());
    // Malaysia's least demand (6,000 a quarter) still exhausts it by 2027Q1.
    let my = a.countries.iter().find(|c| c.country == "MY").unwrap();
    assert_eq!(my.exhausted_runs, 200);
}

#[test]
fn a_named_project_draws_on_its_country() {
    let sc = scenario(&example("gulf-project.toml"));
    let r = simulate(&sc).unwrap();
    assert_eq!(exhausted(&r, "SA").as_deref(), Some("2026Q2"));
    assert_eq!(
        sc.demand[0].consignees,
        vec!["Example Compute Co".to_string()]
    );
}

/// Regression: the remaining LPP of a channel counts every line of that channel (it used to keep
/// only the last line's consignees).
#[test]
fn remaining_lpp_sums_every_line_of_the_channel() {
    let r = run("rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q1\"\nend = \"2025Q4\"\n[[demand]]\ncountry = \"VN\"\nchannel = \"lpp\"\nh100e_per_quarter = 100\nconsignee = \"A\"\n[[demand]]\ncountry = \"VN\"\nchannel = \"lpp\"\nh100e_per_quarter = 200\nconsignee = \"B\"\n");
    let s = &r.country("VN").unwrap().channels[&Channel::Lpp];
    assert_eq!(s.remaining[0], Some(2 * 26_900_000_000 - 300 * H100));
}

/// Regression: a country whose demand starts later still has its tier and allocation reported from
/// the first quarter (they used to be blank until its first request).
#[test]
fn tier_and_allocation_are_reported_before_the_first_request() {
    let r = run(&example("gulf-project.toml"));
    let sa = r.country("SA").unwrap();
    assert_eq!(sa.tier[0], Some(2));
    assert_eq!(sa.cap[0], Some(790_000_000_000));
    assert_eq!(
        sa.channels[&Channel::Licence].remaining[0],
        Some(790_000_000_000)
    );
}

#[test]
fn a_ledger_replays_as_demand_under_the_scenario_rules() {
    use chipcap_core::date::Date;
    use chipcap_ledger::entry::{Assurance, Body, Entry, Line, Shipment};
    let entry = |id: &str, date: Date, body: Body| Entry {
        seq: 0,
        client_id: id.into(),
        recorded_by: "t".into(),
        recorded_at: String::new(),
        date,
        body,
    };
    let ship = |auth: &str, q: u64| {
        Body::Shipment(Shipment {
            consignee: "Bharat Compute".into(),
            destination: chipcap_core::country::CountryCode::parse("IN").unwrap(),
            items: vec![Line {
                chip: Some("nvidia-h100-sxm".into()),
                quantity: q,
                unit_tpp: Tpp::from_milli(H100 as u64),
                a_type: true,
            }],
            tpp: Tpp::from_milli(q * H100 as u64),
            counted: Tpp::from_milli(q * H100 as u64),
            authorization: chipcap_ledger::entry::ShippedUnder::parse(auth).unwrap(),
            licence: None,
            consignee_as_given: None,
            rule_set: Some("ai-diffusion-2025".into()),
        })
    };
    let d = |m, day| Date::new(2025, m, day).unwrap();
    let entries = vec![
        entry(
            "a",
            d(1, 5),
            Body::Assurance(Assurance {
                country: chipcap_core::country::CountryCode::parse("IN").unwrap(),
                uplift_percent: 50,
            }),
        ),
        entry("s1", d(2, 1), ship("licence", 30_000)),
        entry("s2", d(5, 1), ship("licence", 30_000)),
        entry("s3", d(5, 2), ship("LPP", 1_000)),
        entry("s4", d(8, 1), ship("licence", 30_000)),
        entry(
            "r4",
            d(8, 2),
            Body::Reversal {
                of: "s4".into(),
                reason: String::new(),
            },
        ),
    ];
    let mut sc =
        scenario("rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q1\"\nend = \"2025Q4\"\n");
    let sum = chipcap_sim::replay::add(&mut sc, &entries);
    assert_eq!((sum.shipments, sum.assurances, sum.skipped), (3, 1, 1));
    let r = simulate(&sc).unwrap();
    let inr = r.country("IN").unwrap();
    // 790,000,000 x 1.5 = 1,185,000,000 TPP = 74,848 H100: the second 30,000 fits, nothing is refused.
    assert_eq!(
        inr.cap[0],
        Some(790_000_000_000),
        "decided on 2025-01-01, before the assurance"
    );
    assert_eq!(inr.cap[1], Some(1_185_000_000_000));
    assert_eq!(inr.used[1], 60_000 * H100);
    assert_eq!(inr.granted_by_authorization["LPP"][1], 1_000 * H100);
    assert_eq!(inr.exhausted, None);
}
