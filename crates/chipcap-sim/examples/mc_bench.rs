//! Monte Carlo speed (docs/benchmarks.md): RUNS runs of 12 quarters over COUNTRIES Tier 2 countries,
//! each with triangular licence demand.
//!
//! cargo run --release -p chipcap-sim --example mc_bench -- 10000 150

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(150);
    let rules = chipcap_rules::embedded().unwrap();
    let d = chipcap_core::date::Date::new(2025, 1, 1).unwrap();
    let g = &rules.groups;
    let (t1, d5, mo) = (g.tier1.at(d).value, g.d5.at(d).value, g.macau.at(d).value);
    let tier2: Vec<_> = rules
        .known
        .iter()
        .filter(|c| !t1.contains(*c) && !d5.contains(*c) && !mo.contains(*c))
        .take(n)
        .collect();
    assert_eq!(tier2.len(), n, "only {} Tier 2 countries", tier2.len());
    let mut text = format!(
        "rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q1\"\nend = \"2027Q4\"\n[monte_carlo]\nruns = {runs}\nseed = 1\n"
    );
    for c in &tier2 {
        let _ = write!(
            text,
            "[[demand]]\ncountry = \"{c}\"\nchannel = \"licence\"\nh100e_per_quarter = 10000\ndistribution = {{ kind = \"triangular\", low = 4000, mode = 9000, high = 16000 }}\n"
        );
    }
    let sc = chipcap_sim::parse(&text, "bench", &rules).unwrap();
    let t = Instant::now();
    let r = chipcap_sim::montecarlo::run(&sc, runs, 1).unwrap();
    let el = t.elapsed();
    let dets = u64::from(runs) * 12 * n as u64;
    println!(
        "{runs} runs x 12 quarters x {n} countries: {:.2} s ({:.0} requests/s); P50 of {}: {:?}",
        el.as_secs_f64(),
        dets as f64 / el.as_secs_f64(),
        r.countries[0].country,
        r.countries[0].p50
    );
}
