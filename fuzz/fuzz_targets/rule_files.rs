//! Any bytes as one of the rule files (the others as shipped): loading never panics.
#![no_main]

use chipcap_rules::{load, RuleFiles, EMBEDDED};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let files = match which % 7 {
        0 => RuleFiles { countries: text, ..EMBEDDED },
        1 => RuleFiles { eccn_3a090: text, ..EMBEDDED },
        2 => RuleFiles { chips: text, ..EMBEDDED },
        3 => RuleFiles { framework: text, ..EMBEDDED },
        4 => RuleFiles { country_groups: text, ..EMBEDDED },
        5 => RuleFiles { ac_regime: text, ..EMBEDDED },
        _ => RuleFiles { ac_groups: text, ..EMBEDDED },
    };
    let _ = load(&files);
});
