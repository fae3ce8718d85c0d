//! Temporal coverage: for every day of 2025-2027 each parameter and group has exactly one version in
//! force, and the NVEU schedule names every quarter 2025Q1-2027Q4 with a cap that never falls.

use chipcap_core::date::{Date, Quarter};
use chipcap_core::params::Timeline;

fn check<T>(name: &str, t: &Timeline<T>, from: Date, to: Date, errors: &mut Vec<String>) {
    let mut d = from;
    while d <= to {
        let n = t.covering(d).count();
        if n != 1 {
            errors.push(format!("{name}: {n} versions in force on {d}"));
            return;
        }
        match d.succ() {
            Some(s) => d = s,
            None => break,
        }
    }
}

#[test]
fn every_day_2025_2027_has_exactly_one_value() {
    let r = crate::rules();
    let mut errors = Vec::new();
    // The framework's parameters apply from its effective date; the allocation from 2025-01-01.
    let from = r.effective_from;
    let start = Date::new(2025, 1, 1).unwrap_or(from);
    let to = Date::new(2027, 12, 31).unwrap_or(from);
    let p = &r.params;
    check(
        "country_allocation",
        &p.country_allocation,
        start,
        to,
        &mut errors,
    );
    check(
        "assurance_uplift_max_percent",
        &p.assurance_uplift_max_percent,
        start,
        to,
        &mut errors,
    );
    check(
        "assurance_uplift_default_percent",
        &p.assurance_uplift_default_percent,
        start,
        to,
        &mut errors,
    );
    check("lpp_limit", &p.lpp_limit, from, to, &mut errors);
    check(
        "aia_certification",
        &p.aia_certification,
        from,
        to,
        &mut errors,
    );
    check(
        "uveu_max_tier2_country_percent",
        &p.uveu_max_tier2_country_percent,
        from,
        to,
        &mut errors,
    );
    check(
        "uveu_max_outside_tier1_percent",
        &p.uveu_max_outside_tier1_percent,
        from,
        to,
        &mut errors,
    );
    check(
        "uveu_min_us_percent",
        &p.uveu_min_us_percent,
        from,
        to,
        &mut errors,
    );
    check(
        "model_weights_threshold_operations",
        &p.model_weights_threshold_operations,
        from,
        to,
        &mut errors,
    );
    check("h100_tpp", &p.h100_tpp, from, to, &mut errors);
    check(
        "nac_notification_days",
        &p.nac_notification_days,
        from,
        to,
        &mut errors,
    );
    let g = &r.groups;
    for (n, t) in [
        ("tier1", &g.tier1),
        ("supp5b", &g.supp5b),
        ("d5", &g.d5),
        ("macau", &g.macau),
        ("d1", &g.d1),
        ("d4", &g.d4),
        ("a5", &g.a5),
        ("a6", &g.a6),
    ] {
        check(n, t, from, to, &mut errors);
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn nveu_schedule_covers_every_quarter_2025q1_2027q4() {
    let r = crate::rules();
    let mut q = Quarter { year: 2025, q: 1 };
    let mut prev = None;
    while q <= (Quarter { year: 2027, q: 4 }) {
        let matching: Vec<_> = r.nveu.iter().filter(|n| n.quarter == q).collect();
        assert_eq!(matching.len(), 1, "quarter {q} must appear exactly once");
        let cap = matching[0].cap;
        // Every day of the quarter resolves to this quarter's cap, not flagged as outside.
        let first = q.first_day();
        let last = q.next().first_day().days_since_epoch() - 1;
        for day in [first.days_since_epoch(), last] {
            let d = Date::from_days_since_epoch(day).unwrap_or(first);
            let got = r.nveu_cap(d).map(|(n, outside)| (n.cap, outside));
            assert_eq!(got, Some((cap, false)), "{d}");
        }
        if let Some(p) = prev {
            assert!(cap >= p, "{q}: caps are cumulative");
        }
        prev = Some(cap);
        q = q.next();
    }
    // G5/G6 (derived): the last cap is 5,064,000,000 and Q2 2026 adds 791,250,000.
    assert_eq!(prev.map(|c| c.milli()), Some(5_064_000_000_000));
}

#[test]
fn golden_h100_equivalents() {
    // G2-G5: with 15,831.2 TPP per H100 the press figures follow (rounded down to whole GPUs).
    let h = 15_831_200u128; // milli-TPP
    let whole = |tpp: u128| tpp * 1000 / h;
    assert_eq!(whole(790_000_000), 49_901);
    assert_eq!(whole(1_580_000_000), 99_802);
    assert_eq!(whole(26_900_000), 1_699);
    assert_eq!(whole(5_064_000_000), 319_874);
    // G7: an NVEU country cap is more than six times the country allocation.
    let (nveu, country) = (5_064_000_000u128, 790_000_000u128);
    assert_eq!(nveu * 100 / country, 641);
    let r = crate::rules();
    let h100 = r
        .catalog
        .get("nvidia-h100-sxm")
        .and_then(|c| c.tpp())
        .map(|t| t.milli());
    // G1: H100 SXM TPP 1,979 x 8 = 15,832 (chips.md; SemiAnalysis' 1,978.9 gives 15,831.2).
    assert_eq!(h100, Some(15_832_000));
}
