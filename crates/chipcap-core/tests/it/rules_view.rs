//! `chipcap rules diff` on the shipped rules: what differs between two versions or two dates.

use chipcap_core::date::Date;
use chipcap_core::determination::ReviewPolicy;
use chipcap_core::params::RuleSetId::{AdvancedComputing2023 as Ac, AiDiffusion2025 as Fw};
use chipcap_core::rules_view::{diff, Difference, Side};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn a_side_against_itself_has_no_difference() {
    for id in [Ac, Fw] {
        for date in ["2023-11-17", "2025-06-15", "2026-12-06"] {
            let s = Side {
                rule_set: id,
                date: d(date),
            };
            assert_eq!(diff(crate::rules(), s, s), Vec::new(), "{id} {date}");
        }
    }
}

#[test]
fn the_day_of_the_case_by_case_amendment_adds_its_policy_parameters_and_amendment() {
    let a = Side {
        rule_set: Ac,
        date: d("2026-01-14"),
    };
    let b = Side {
        rule_set: Ac,
        date: d("2026-01-15"),
    };
    let out = diff(crate::rules(), a, b);
    assert!(out.iter().any(|x| matches!(x, Difference::Policy { case, b: Some(p), a: None }
        if *case == "us_export_to_china_or_macau_of_qualifying_ai_commodities" && p.policy == ReviewPolicy::CaseByCase)), "{out:?}");
    assert!(out.iter().any(|x| matches!(x, Difference::Parameter { name: "case_by_case_max_tpp", a: None, b: Some(r) } if r.value.starts_with("21,000"))), "{out:?}");
    assert!(
        out.iter().any(|x| matches!(
            x,
            Difference::Amendment {
                key: "case-by-case-2026-01-15",
                side: 'b',
                ..
            }
        )),
        "{out:?}"
    );
    // Nothing else changed that day.
    assert!(
        !out.iter().any(|x| matches!(x, Difference::Group { .. })),
        "{out:?}"
    );
}

#[test]
fn nicaragua_joins_d1_and_d5_on_2024_03_15() {
    let out = diff(
        crate::rules(),
        Side {
            rule_set: Ac,
            date: d("2024-03-14"),
        },
        Side {
            rule_set: Ac,
            date: d("2024-03-15"),
        },
    );
    let added: Vec<(&str, Vec<String>)> = out
        .iter()
        .filter_map(|x| match x {
            Difference::Group { name, added, .. } => {
                Some((*name, added.iter().map(|c| c.to_string()).collect()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        vec![
            ("d1", vec!["NI".to_string()]),
            ("d5", vec!["NI".to_string()])
        ]
    );
}

#[test]
fn the_two_versions_differ_in_tiers_allocations_and_policies() {
    let date = d("2026-12-06");
    let out = diff(
        crate::rules(),
        Side { rule_set: Ac, date },
        Side { rule_set: Fw, date },
    );
    assert!(out.iter().any(|x| matches!(
        x,
        Difference::Group {
            name: "tier1",
            only: Some('b'),
            ..
        }
    )));
    assert!(out.iter().any(|x| matches!(
        x,
        Difference::Parameter {
            name: "lpp_limit_tpp",
            a: None,
            b: Some(_)
        }
    )));
    assert!(out.iter().any(|x| matches!(
        x,
        Difference::Policy {
            case: "tier2_beyond_country_allocation",
            ..
        }
    )));
}
