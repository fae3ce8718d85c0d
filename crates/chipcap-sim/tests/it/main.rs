//! Integration tests of the simulation (one binary): the example, boundaries of the
//! allocation, every channel, overrides, the other rule version, Monte Carlo, schema errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod props;
mod runs;
mod schema;

use chipcap_core::params::RuleSet;
use chipcap_sim::{parse, simulate, Run, Scenario};

pub fn rules() -> RuleSet {
    chipcap_rules::embedded().unwrap()
}

pub fn scenario(text: &str) -> Scenario {
    parse(text, "test", &rules()).unwrap()
}

pub fn run(text: &str) -> Run {
    simulate(&scenario(text)).unwrap()
}

pub fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../examples/scenarios/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The quarter of exhaustion of a country, as text.
pub fn exhausted(run: &Run, c: &str) -> Option<String> {
    run.country(c)
        .unwrap()
        .exhausted
        .map(|k| run.quarters[k].to_string())
}
