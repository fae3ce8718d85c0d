//! Any text as a scenario file: reading it never panics, and a scenario that reads runs without
//! panicking (bounded: the period is cut to two years and Monte Carlo is not run).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn rules() -> &'static chipcap_core::params::RuleSet {
    static R: OnceLock<chipcap_core::params::RuleSet> = OnceLock::new();
    R.get_or_init(|| chipcap_rules::embedded().unwrap_or_else(|e| panic!("rules: {e}")))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sc) = chipcap_sim::parse(text, "fuzz", rules()) {
        if sc.quarters.len() <= 8
            && sc.demand.len() <= 8
            && sc.demand.iter().all(|d| d.consignees.len() <= 8)
        {
            let _ = chipcap_sim::simulate(&sc);
        }
    }
});
