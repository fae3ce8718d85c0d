//! Property tests over whole determinations.

use chipcap_core::country::CountryCode;
use chipcap_core::date::Date;
use chipcap_core::determination::{AllowanceKind, Decision};
use chipcap_core::request::*;
use chipcap_core::units::Tpp;
use proptest::prelude::*;

fn request(dest: &str, hq: &str, qty: u64, lpp_used: u64, alloc_used: u64, days: i64) -> Request {
    let c = |s: &str| CountryCode::parse(s).unwrap_or(CountryCode::US);
    Request {
        date: Date::from_days_since_epoch(20_089 + days).unwrap_or_else(|| panic!("date")),
        destination: c(dest),
        subject: Subject::Items(vec![Item {
            chip: None,
            quantity: qty,
            unit_tpp: Tpp::from_milli(15_832_000),
            die_area_milli_mm2: Some(814_000),
            datacenter: true,
            datacenter_assumed: false,
            form: ItemForm::Ic,
            dram_bandwidth_milli_gbps: None,
            us_available_from: None,
            designer_country: None,
            hbm_area_milli_mm2: None,
        }]),
        consignee: Consignee {
            name: "X".into(),
            headquarters: c(hq),
            headquarters_assumed: false,
            authorization: ClaimedAuthorization::None,
            iaas_provider: false,
        },
        end_use: None,
        other_parties: Vec::new(),
        context: Context {
            consignee_lpp_used: Tpp::from_milli(lpp_used),
            country_allocation_used: Tpp::from_milli(alloc_used),
            ..Context::default()
        },
        options: Options::default(),
        rule_set: Some(chipcap_core::params::RuleSetId::AiDiffusion2025),
        transaction: Transaction::Export,
    }
}

const DESTS: [&str; 8] = ["US", "DE", "IN", "AE", "SA", "CN", "MO", "BR"];

proptest! {
    /// A split order never gets more than the whole order: if the whole order is covered by LPP, so
    /// is each part; and if the first part exhausts LPP the rest is judged against what is left.
    #[test]
    fn split_order_never_gets_more(d in 0usize..8, h in 0usize..8, total in 2u64..4000, cut in 1u64..4000, used in 0u64..30_000_000_000, days in 0i64..1095) {
        let cut = cut.min(total - 1);
        let rules = crate::rules();
        let whole = chipcap_core::determine(&request(DESTS[d], DESTS[h], total, used, 0, days), rules);
        let first = chipcap_core::determine(&request(DESTS[d], DESTS[h], cut, used, 0, days), rules);
        prop_assert!(whole.is_ok() && first.is_ok());
        let (whole, first) = (whole.unwrap_or_else(|e| panic!("{e}")), first.unwrap_or_else(|e| panic!("{e}")));
        let lpp_drawn = |det: &chipcap_core::determination::Determination| det.allowances.iter().filter(|a| a.kind == AllowanceKind::Lpp && a.drawn).map(|a| a.draw.milli()).sum::<u64>();
        // Second part judged against the first part's LPP draw.
        let second = chipcap_core::determine(&request(DESTS[d], DESTS[h], total - cut, used + lpp_drawn(&first), 0, days), rules).unwrap_or_else(|e| panic!("{e}"));
        let split_lpp = lpp_drawn(&first) + lpp_drawn(&second);
        // LPP never lets through more in parts than its limit allows.
        prop_assert!(used + split_lpp <= 26_900_000_000 || split_lpp == 0);
        if whole.decision == Decision::Authorized {
            prop_assert_eq!(first.decision, Decision::Authorized);
        }
    }

    /// Determinations are deterministic and every one carries reasons with citations.
    #[test]
    fn deterministic_with_reasons(d in 0usize..8, h in 0usize..8, qty in 1u64..100_000, used in 0u64..900_000_000_000, days in -400i64..1500) {
        let rules = crate::rules();
        let r = request(DESTS[d], DESTS[h], qty, 0, used, days);
        let a = chipcap_core::determine(&r, rules).unwrap_or_else(|e| panic!("{e}"));
        let b = chipcap_core::determine(&r, rules).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(&a, &b);
        prop_assert!(!a.reasons.is_empty());
        prop_assert!(a.reasons.iter().all(|r| !r.citation.is_empty() && !r.text.to_string().is_empty()));
        prop_assert_eq!(a.review_policy.is_some(), a.decision == Decision::LicenseRequired);
        prop_assert_eq!(a.authorization.is_some(), a.decision == Decision::Authorized);
        for al in &a.allowances {
            // remaining = cap - used - draw, exactly.
            if al.share.is_none() {
                prop_assert_eq!(al.remaining_after_milli, i128::from(al.cap.milli()) - i128::from(al.used_before.milli()) - i128::from(al.draw.milli()));
                prop_assert_eq!(al.within_limit, al.remaining_after_milli >= 0);
            }
        }
    }

    /// The country allocation is monotone: using more of it never turns a denial into an approval.
    #[test]
    fn allocation_monotone(qty in 1700u64..50_000, used in 0u64..800_000_000_000, more in 0u64..100_000_000_000) {
        let rules = crate::rules();
        let a = chipcap_core::determine(&request("IN", "IN", qty, 26_900_000_000, used, 200), rules).unwrap_or_else(|e| panic!("{e}"));
        let b = chipcap_core::determine(&request("IN", "IN", qty, 26_900_000_000, used + more, 200), rules).unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(a.review_policy <= b.review_policy);
    }
}

proptest! {
    /// Request parsing never panics on arbitrary text, and accepts what it prints back.
    #[test]
    fn parse_never_panics(s in ".{0,200}") {
        let _ = chipcap_core::wire::parse_request(&s, crate::rules(), Date::new(2025, 1, 1).unwrap_or_else(|| panic!("date")));
    }
}

/// A request decided under the named line.
fn under(mut r: Request, id: chipcap_core::params::RuleSetId) -> Request {
    r.rule_set = Some(id);
    r
}

proptest! {
    /// Differential (issue 11): the two lines agree where they should. Classification is the same
    /// rule in both (the ECCN of the same items on the same date agrees), and a datacenter 3A090.a
    /// export to Country Group D:5 or Macau needs a licence under a presumption of denial in both
    /// (before the 2026-01-15 case-by-case review, which only the enforced line has).
    #[test]
    fn the_two_lines_agree_on_classification_and_d5_denial(
        d in 0usize..8, h in 0usize..8, qty in 1u64..5000,
        tpp in 1u64..40_000_000, area in 100_000u64..900_000, dc in any::<bool>(), days in 0i64..370
    ) {
        use chipcap_core::params::RuleSetId::{AdvancedComputing2023 as Ac, AiDiffusion2025 as Fw};
        let rules = crate::rules();
        let mut base = request(DESTS[d], DESTS[h], qty, 0, 0, days);
        if let Subject::Items(items) = &mut base.subject {
            items[0].unit_tpp = Tpp::from_milli(tpp);
            items[0].die_area_milli_mm2 = Some(area);
            items[0].datacenter = dc;
        }
        let ac = chipcap_core::determine(&under(base.clone(), Ac), rules).unwrap_or_else(|e| panic!("{e}"));
        let fw = chipcap_core::determine(&under(base.clone(), Fw), rules).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(ac.eccn, fw.eccn);
        let d5 = ["CN", "MO"].contains(&DESTS[d]);
        let dc_a = ac.eccn == chipcap_core::determination::Eccn::A3a090 && dc;
        if d5 && dc_a {
            for det in [&ac, &fw] {
                prop_assert_eq!(det.decision, Decision::LicenseRequired);
                prop_assert_eq!(det.review_policy, Some(chipcap_core::determination::ReviewPolicy::PresumptionOfDenial));
            }
        }
    }
}

const AC_DESTS: [&str; 14] = [
    "US", "DE", "IN", "AE", "SA", "CN", "MO", "HK", "BR", "IL", "VN", "NI", "KH", "CY",
];

proptest! {
    /// The enforced line (issue 11): a licence is never asked for an export that is neither to a
    /// destination in its scope nor for a D:5/Macau-headquartered party; `no_license_required` only
    /// for controlled items and `not_controlled` only with ECCN `none`; a D:5/Macau headquarters never
    /// makes an answer less strict than the same export for a party headquartered at the
    /// destination; every answer names the version and never a tier.
    #[test]
    fn the_enforced_line_is_consistent(
        d in 0usize..14, qty in 1u64..5000, tpp in 1u64..40_000_000,
        area in 100_000u64..900_000, dc in any::<bool>(), days in 0i64..800
    ) {
        use chipcap_core::determination::{Eccn, ReviewPolicy};
        use chipcap_core::params::RuleSetId;
        let rules = crate::rules();
        let dest = AC_DESTS[d];
        let mk = |hq: &str| {
            let mut r = request(dest, hq, qty, 0, 0, 300 + days);
            r.rule_set = Some(RuleSetId::AdvancedComputing2023);
            if let Subject::Items(items) = &mut r.subject {
                items[0].unit_tpp = Tpp::from_milli(tpp);
                items[0].die_area_milli_mm2 = Some(area);
                items[0].datacenter = dc;
            }
            r
        };
        let local = chipcap_core::determine(&mk(dest), rules).unwrap_or_else(|e| panic!("{e}"));
        let china_hq = chipcap_core::determine(&mk("CN"), rules).unwrap_or_else(|e| panic!("{e}"));
        for det in [&local, &china_hq] {
            prop_assert_eq!(&*det.rule_set, "advanced-computing-2023");
            prop_assert_eq!(det.tier, None);
            match det.decision {
                Decision::NotControlled => prop_assert_eq!(det.eccn, Eccn::None),
                Decision::NoLicenseRequired => prop_assert!(det.eccn != Eccn::None),
                _ => {}
            }
        }
        let strictness = |d: &chipcap_core::determination::Determination| match (d.decision, d.review_policy) {
            (Decision::NotControlled | Decision::NoLicenseRequired, _) => 0,
            (Decision::Authorized, _) => 1,
            (Decision::LicenseRequired, Some(ReviewPolicy::PresumptionOfApproval)) => 2,
            (Decision::LicenseRequired, Some(ReviewPolicy::CaseByCase)) => 3,
            (Decision::LicenseRequired, _) => 4,
        };
        if dest != "US" && local.eccn != Eccn::None {
            prop_assert!(strictness(&china_hq) >= strictness(&local), "{local:?} vs {china_hq:?}");
        }
        // Outside the scope (A:5/A:6 or no D group, not the UAE's listed-end-user scope) and not
        // D:5-headquartered: never a licence.
        if ["DE", "IN", "BR", "IL", "US"].contains(&dest) {
            prop_assert!(local.decision != Decision::LicenseRequired, "{local:?}");
        }
    }
}
