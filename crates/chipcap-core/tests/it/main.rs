//! Integration tests of chipcap-core with the shipped rules: scenario files, the temporal coverage of
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! the rule data, and property tests over whole determinations.

mod coverage;
mod properties;
mod rules_view;
mod scenarios;

use chipcap_core::params::RuleSet;
use std::sync::OnceLock;

pub fn rules() -> &'static RuleSet {
    static R: OnceLock<RuleSet> = OnceLock::new();
    R.get_or_init(|| match chipcap_rules::embedded() {
        Ok(r) => r,
        Err(e) => panic!("shipped rules must load: {e}"),
    })
}
