//! Properties of every run: what is asked for is granted or refused, never both and never lost; an
//! allocation is never exceeded; a country is exhausted exactly from its first refusal for lack of
//! allocation.

use chipcap_sim::{parse, simulate};
use proptest::prelude::*;

fn scenario(levels: &[(usize, u32, &str)], assured: bool, fill: bool) -> String {
    const COUNTRIES: [&str; 3] = ["MY", "TH", "VN"];
    let mut t = format!(
        "rule_set = \"ai-diffusion-2025\"\nstart = \"2025Q1\"\nend = \"2027Q4\"\n[options]\nfill = {fill}\n"
    );
    for (c, h, ch) in levels {
        t.push_str(&format!(
            "[[demand]]\ncountry = \"{}\"\nchannel = \"{ch}\"\nh100e_per_quarter = {h}\nconsignees = 3\n",
            COUNTRIES[*c % 3]
        ));
    }
    if assured {
        t.push_str(
            "[[assurances]]\ncountry = \"TH\"\nfrom = \"2025-07-01\"\nuplift_percent = 40\n",
        );
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn demand_is_granted_or_refused_and_caps_hold(
        lines in proptest::collection::vec((0usize..3, 0u32..40_000, prop_oneof![Just("licence"), Just("lpp"), Just("nveu")]), 1..5),
        assured in any::<bool>(),
        fill in any::<bool>(),
    ) {
        let rules = crate::rules();
        let text = scenario(&lines, assured, fill);
        let sc = parse(&text, "prop", &rules).unwrap();
        let run = simulate(&sc).unwrap();
        for c in &run.countries {
            let mut first_refusal = None;
            for k in 0..run.quarters.len() {
                for s in c.channels.values() {
                    prop_assert_eq!(s.granted[k] + s.refused[k], s.demanded[k]);
                    prop_assert!(s.refused_for_allocation[k] <= s.refused[k]);
                    prop_assert!(s.granted[k] >= 0 && s.refused_for_allocation[k] >= 0);
                    if s.refused_for_allocation[k] > 0 && first_refusal.is_none() {
                        first_refusal = Some(k);
                    }
                }
                if let Some(cap) = c.cap[k] {
                    prop_assert!(c.used[k] <= cap, "{} used {} > cap {}", c.country, c.used[k], cap);
                }
                if k > 0 {
                    prop_assert!(c.used[k] >= c.used[k - 1]);
                }
            }
            prop_assert_eq!(c.exhausted, first_refusal);
        }
    }
}
