//! The decision table of the AI Diffusion framework (15 CFR 742.6(a)(6)(iii), (a)(13), (b)(10), (b)(14);
//! 740.27-740.29; 740.8; 748.15), as one pure function of (request, rules).

use std::borrow::Cow;
use std::sync::Arc;

use crate::classify::{classify_chip, ClassifyError};
use crate::country::{CountryCode, CountrySet};
use crate::date::Date;
use crate::determination::*;
use crate::params::{FwStep, RuleSet, RuleSetId, ScreeningCitations, ScreeningStep};
use crate::request::{ClaimedAuthorization, EndUse, Request, Subject};
use crate::units::Tpp;

/// Why a request cannot be decided (the edges turn these into messages naming the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetermineError {
    /// An item cannot be classified.
    #[error("item {index}: {source}")]
    Classify {
        /// Zero-based item index.
        index: usize,
        /// Why.
        source: ClassifyError,
    },
    /// A sum overflowed.
    #[error("the total TPP of the request is too large")]
    Overflow,
    /// The request carries no items.
    #[error("the request has no items")]
    NoItems,
    /// No rule version covers the date.
    #[error("date: {0}")]
    NotCovered(#[from] crate::params::SelectError),
}

/// The citation of a step of the framework, from the rule data (composed once when the rules load,
/// shared here: no allocation).
fn cite(rules: &RuleSet, step: FwStep) -> Citation {
    rules.framework_citations.get(step).clone()
}

/// Country groups resolved for the decision date.
struct Groups<'a> {
    tier1: &'a CountrySet,
    supp5b: &'a CountrySet,
    d5: &'a CountrySet,
    macau: &'a CountrySet,
    d1: &'a CountrySet,
    d4: &'a CountrySet,
    a5: &'a CountrySet,
    a6: &'a CountrySet,
}

impl Groups<'_> {
    fn tier3(&self, c: CountryCode) -> bool {
        self.d5.contains(c) || self.macau.contains(c)
    }
    fn tier(&self, c: CountryCode) -> u8 {
        if self.tier3(c) {
            3
        } else if self.tier1.contains(c) {
            1
        } else {
            2
        }
    }
    /// D:1, D:4 or D:5 (or Macau), excluding A:5 and A:6: the .b licence scope and 740.2(a)(9)(ii).
    fn d_scope(&self, c: CountryCode) -> bool {
        (self.d1.contains(c) || self.d4.contains(c) || self.tier3(c))
            && !self.a5.contains(c)
            && !self.a6.contains(c)
    }
}

pub(crate) struct Out {
    pub(crate) reasons: Vec<Reason>,
    pub(crate) notices: Vec<Notice>,
    pub(crate) allowances: Vec<Allowance>,
}

impl Out {
    pub(crate) fn new() -> Out {
        Out {
            reasons: Vec::with_capacity(10),
            notices: Vec::with_capacity(4),
            allowances: Vec::with_capacity(4),
        }
    }
    pub(crate) fn reason(&mut self, citation: impl Into<Citation>, text: Text) {
        self.reasons.push(Reason {
            citation: citation.into(),
            text,
        });
    }
    /// A notice that cites nothing (a cited one takes its citation from the rule data:
    /// [`Out::notice_cited`]).
    pub(crate) fn notice(&mut self, code: &'static str, text: Text) {
        self.notices.push(Notice {
            code,
            citation: None,
            text,
        });
    }
    pub(crate) fn notice_cited(&mut self, code: &'static str, citation: Citation, text: Text) {
        self.notices.push(Notice {
            code,
            citation: Some(citation),
            text,
        });
    }
}

/// Exact `a * 100 <= pct * b`.
fn share_at_most(part: Tpp, total: Tpp, pct: u32) -> bool {
    u128::from(part.milli()) * 100 <= u128::from(pct) * u128::from(total.milli())
}

/// Exact `a * 100 >= pct * b`.
fn share_at_least(part: Tpp, total: Tpp, pct: u32) -> bool {
    u128::from(part.milli()) * 100 >= u128::from(pct) * u128::from(total.milli())
}

fn pct_of(total: Tpp, pct: u32) -> Tpp {
    let v = u128::from(total.milli()) * u128::from(pct) / 100;
    Tpp::from_milli(u64::try_from(v).unwrap_or(u64::MAX))
}

/// The years the fixed period names below cover (the framework's years and a few after).
const FIRST_YEAR: i32 = 2025;
const YEARS: [&str; 6] = ["2025", "2026", "2027", "2028", "2029", "2030"];
const QUARTERS: [&str; 24] = [
    "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1",
    "2027Q2", "2027Q3", "2027Q4", "2028Q1", "2028Q2", "2028Q3", "2028Q4", "2029Q1", "2029Q2",
    "2029Q3", "2029Q4", "2030Q1", "2030Q2", "2030Q3", "2030Q4",
];

/// A year as `Display` writes it (`2025`), without `core::fmt`; borrowed for the common years.
fn year_text(y: i32) -> Cow<'static, str> {
    if let Some(t) = usize::try_from(y - FIRST_YEAR)
        .ok()
        .and_then(|i| YEARS.get(i))
    {
        return Cow::Borrowed(t);
    }
    let mut s = String::with_capacity(8);
    if y < 0 {
        s.push('-');
    }
    crate::units::push_uint(&mut s, u64::from(y.unsigned_abs()));
    Cow::Owned(s)
}

/// A quarter as `Display` writes it (`2025Q2`); borrowed for the common years.
fn quarter_text(q: crate::date::Quarter) -> Cow<'static, str> {
    if (1..=4).contains(&q.q) {
        if let Some(t) = usize::try_from(q.year - FIRST_YEAR)
            .ok()
            .and_then(|i| QUARTERS.get(i * 4 + usize::from(q.q) - 1))
        {
            return Cow::Borrowed(t);
        }
    }
    let mut s = year_text(q.year).into_owned();
    s.push('Q');
    crate::units::push_uint(&mut s, u64::from(q.q));
    Cow::Owned(s)
}

fn remaining(cap: Tpp, used: Tpp, draw: Tpp) -> i128 {
    i128::from(cap.milli()) - i128::from(used.milli()) - i128::from(draw.milli())
}

/// Decides one request under one rule set. Pure and deterministic: same inputs, same answer.
///
/// The chain, each step cited: rule-set window notices; tiers of destination and headquarters
/// (Supp. No. 5 to part 740; Country Group D:5 and Macau); classification (ECCN 3A090, Note 2; ECCN
/// 4E091); licence requirements (742.6(a)(6)(iii), (a)(13); 744.23(a)(3)); then the authorisations in the
/// order of reading D13 (AIA 740.27, the consignee's VEU 748.15, LPP 740.29, ACA/NAC 740.8, ACM 740.28);
/// and, when none covers the export, the licence review policy (742.6(b)(10), (b)(14)).
pub fn determine(req: &Request, rules: &RuleSet) -> Result<Determination, DetermineError> {
    match rules.select(req.rule_set, req.date)? {
        RuleSetId::AdvancedComputing2023 => crate::advanced::determine(req, rules),
        RuleSetId::AiDiffusion2025 => determine_framework(req, rules),
    }
}

/// Decides one request under the AI Diffusion framework as printed (`ai-diffusion-2025`).
fn determine_framework(req: &Request, rules: &RuleSet) -> Result<Determination, DetermineError> {
    let date = req.date;
    let g = &rules.groups;
    let groups = Groups {
        tier1: g.tier1.at(date).value,
        supp5b: g.supp5b.at(date).value,
        d5: g.d5.at(date).value,
        macau: g.macau.at(date).value,
        d1: g.d1.at(date).value,
        d4: g.d4.at(date).value,
        a5: g.a5.at(date).value,
        a6: g.a6.at(date).value,
    };
    let mut out = Out::new();
    out.reason(
        cite(rules, FwStep::RuleSet),
        Text::RuleSet {
            name: Arc::clone(&rules.name),
            citation: Arc::clone(&rules.citation),
            date,
        },
    );
    window_notices(rules, date, &mut out);

    let h100 = req
        .options
        .h100_tpp
        .unwrap_or(*rules.params.h100_tpp.at(date).value);
    let dest = req.destination;
    let tier = groups.tier(dest);
    let group_name = if groups.macau.contains(dest) {
        "Macau, named with Country Group D:5"
    } else if dest == CountryCode::HK && groups.d5.contains(dest) {
        // The rule data list Hong Kong wherever China is (country-groups.toml).
        "Country Group D:5, as part of China: 85 FR 83765 removed Hong Kong as a separate destination"
    } else if groups.d5.contains(dest) {
        "Country Group D:5"
    } else if dest == CountryCode::US {
        "the United States"
    } else if tier == 1 {
        "Supp. No. 5 to part 740, para (a)"
    } else {
        "neither Supp. No. 5 para (a) nor D:5/Macau"
    };
    let tier_cite = match tier {
        1 => cite(rules, FwStep::Tier1),
        3 => cite(rules, FwStep::Tier3),
        _ => cite(rules, FwStep::Tier2),
    };
    out.reason(
        tier_cite,
        Text::DestinationTier {
            country: dest,
            tier,
            group: group_name,
        },
    );
    let hq = req.consignee.headquarters;
    let hq_tier = groups.tier(hq);
    out.reason(
        match hq_tier {
            1 => cite(rules, FwStep::Aia),
            3 => cite(rules, FwStep::Tier3),
            _ => cite(rules, FwStep::Tier2),
        },
        Text::HeadquartersTier {
            country: hq,
            tier: hq_tier,
            assumed: req.consignee.headquarters_assumed,
        },
    );

    let mut det = Determination {
        decision: Decision::NotControlled,
        authorization: None,
        review_policy: None,
        tier: Some(tier),
        eccn: Eccn::None,
        tpp: Tpp::ZERO,
        h100_tpp: h100,
        items: Vec::new(),
        allowances: Vec::new(),
        reasons: Vec::new(),
        notices: Vec::new(),
        rule_set: Arc::clone(&rules.name),
        date,
        screening: None,
    };

    match &req.subject {
        Subject::ModelWeights(w) => decide_weights(req, rules, &groups, w, &mut det, &mut out),
        Subject::Items(items) => decide_chips(req, rules, &groups, items, &mut det, &mut out)?,
    }
    apply_screening(req, &rules.screening_citations, &mut det, &mut out);
    if req.context.screening.status != crate::request::ScreeningStatus::NotPerformed {
        det.screening = Some(req.context.screening.clone());
    }
    det.reasons = out.reasons;
    det.notices = out.notices;
    det.allowances = out.allowances;
    Ok(det)
}

/// The most restrictive classification among the lines (3A090.a, 4A090.a, 3A090.b, 4A090.b,
/// 3A090.c, none).
pub(crate) fn most_restrictive(items: &[ItemResult]) -> Eccn {
    fn rank(e: Eccn) -> u8 {
        match e {
            Eccn::A3a090 => 0,
            Eccn::A4a090 => 1,
            Eccn::B3a090 => 2,
            Eccn::B4a090 => 3,
            Eccn::C3a090 => 4,
            Eccn::E4e091 => 5,
            Eccn::None => 6,
        }
    }
    items
        .iter()
        .map(|i| i.eccn)
        .min_by_key(|e| rank(*e))
        .unwrap_or(Eccn::None)
}

/// The ECCN of one line: 3A090 for ICs, 4A090 for computers, assemblies and components containing
/// them, 3A090.c for HBM (decided by the advanced-computing line).
pub(crate) fn item_eccn(
    form: crate::request::ItemForm,
    band: Result<crate::classify::Band, crate::classify::Outside>,
) -> Eccn {
    use crate::request::ItemForm;
    match (form, band) {
        (ItemForm::Hbm, _) | (_, Err(_)) => Eccn::None,
        (ItemForm::Ic, Ok(b)) if b.is_a() => Eccn::A3a090,
        (ItemForm::Ic, Ok(_)) => Eccn::B3a090,
        (ItemForm::Computer, Ok(b)) if b.is_a() => Eccn::A4a090,
        (ItemForm::Computer, Ok(_)) => Eccn::B4a090,
    }
}

fn window_notices(rules: &RuleSet, date: Date, out: &mut Out) {
    if date < rules.effective_from {
        out.notice_cited(
            "before_effective_date",
            cite(rules, FwStep::RuleSet),
            Text::BeforeEffective {
                effective: rules.effective_from,
            },
        );
    }
    if let Some(ne) = rules.not_enforced_from {
        if date >= ne {
            out.notice("not_enforced", Text::NotEnforced { since: ne });
            return;
        }
    }
    if date >= rules.effective_from && date < rules.compliance_from {
        out.notice(
            "before_compliance_date",
            Text::BeforeCompliance {
                compliance: rules.compliance_from,
            },
        );
    }
}

/// Which items need a licence and what they total.
struct Totals {
    a: Tpp,
    a_datacenter: Tpp,
    b: Tpp,
    total: Tpp,
}

/// Where the export goes and who receives it, by tier (shared by the steps of [`decide_chips`]).
struct Parties {
    dest: CountryCode,
    hq: CountryCode,
    tier: u8,
    dest_t3: bool,
    hq_t3: bool,
    hq_t1: bool,
}

/// What the licence requirements (step 2) found, for the steps after it.
struct Needs {
    /// 3A090.a items need a licence.
    a: bool,
    /// 3A090.b items need a licence here.
    b: bool,
    /// The TPP counted toward allowances (the .a items).
    counted: Tpp,
    /// Only non-datacenter .a items and .b items: what ACA and NAC can cover (740.8).
    only_aca_nac_items: bool,
}

/// Decides a request for chips: classification, licence requirements, then the first
/// authorisation in the order of reading D13 that covers the export, else the review policy.
fn decide_chips(
    req: &Request,
    rules: &RuleSet,
    groups: &Groups<'_>,
    items: &[crate::request::Item],
    det: &mut Determination,
    out: &mut Out,
) -> Result<(), DetermineError> {
    if items.is_empty() {
        return Err(DetermineError::NoItems);
    }
    let hq = req.consignee.headquarters;
    let tier = det.tier.unwrap_or(2);
    let at = Parties {
        dest: req.destination,
        hq,
        tier,
        dest_t3: tier == 3,
        hq_t3: groups.tier3(hq),
        hq_t1: groups.tier1.contains(hq),
    };
    // 1. Classification (ECCN 3A090 with Note 2), exact at every edge.
    let t = classify_items(rules, items, det, out)?;
    // 2. Licence requirements (none: decided).
    let Some(needs) = licence_requirements(rules, groups, &at, &t, det, out) else {
        return Ok(());
    };
    // 3.-7. The authorisations, in the order of reading D13: the first that covers the export.
    let authorised = aia_step(req, rules, &at, &needs, det, out)
        || veu_step(req, rules, groups, &at, &needs, det, out)
        || (needs.only_aca_nac_items
            && aca_nac(
                rules, req.date, groups, at.dest, at.tier, at.hq_t3, det, out,
            ))
        || lpp_step(req, rules, groups, &needs, det, out)
        || acm_step(req, rules, &at, det, out);
    // 8. A licence is required: the review policy.
    if !authorised {
        review_policy(req, rules, groups, &at, &needs, det, out);
    }
    Ok(())
}

/// Step 1: classifies every line (a cited reason each), fills the determination's items, total TPP
/// and ECCN, and returns the totals by band.
fn classify_items(
    rules: &RuleSet,
    items: &[crate::request::Item],
    det: &mut Determination,
    out: &mut Out,
) -> Result<Totals, DetermineError> {
    det.items.reserve_exact(items.len());
    let mut t = Totals {
        a: Tpp::ZERO,
        a_datacenter: Tpp::ZERO,
        b: Tpp::ZERO,
        total: Tpp::ZERO,
    };
    let mut any_assumed_dc = false;
    for (index, it) in items.iter().enumerate() {
        let class = classify_chip(
            it.unit_tpp,
            it.die_area_milli_mm2,
            it.datacenter,
            &rules.eccn_3a090,
        )
        .map_err(|source| DetermineError::Classify { index, source })?;
        let line = it
            .unit_tpp
            .checked_mul(it.quantity)
            .ok_or(DetermineError::Overflow)?;
        t.total = t.total.checked_add(line).ok_or(DetermineError::Overflow)?;
        match class.band {
            Ok(b) if b.is_a() => {
                t.a = t.a.checked_add(line).ok_or(DetermineError::Overflow)?;
                if it.datacenter {
                    t.a_datacenter = t
                        .a_datacenter
                        .checked_add(line)
                        .ok_or(DetermineError::Overflow)?;
                }
            }
            Ok(_) => t.b = t.b.checked_add(line).ok_or(DetermineError::Overflow)?,
            Err(_) => {}
        }
        any_assumed_dc |= it.datacenter_assumed;
        let citation = match class.band {
            Err(crate::classify::Outside::Note2) => cite(rules, FwStep::Note2),
            _ => cite(rules, FwStep::Eccn3a090),
        };
        out.reason(
            citation,
            Text::Item {
                index,
                chip: it.chip.clone(),
                quantity: it.quantity,
                unit_tpp: it.unit_tpp,
                pd_milli: class.pd_milli,
                band: class.band,
                datacenter: it.datacenter,
            },
        );
        det.items.push(ItemResult {
            chip: it.chip.clone(),
            quantity: it.quantity,
            unit_tpp: it.unit_tpp,
            tpp: line,
            pd_milli: class.pd_milli,
            band: class.band,
            datacenter: it.datacenter,
            eccn: item_eccn(it.form, class.band),
        });
    }
    if any_assumed_dc {
        out.notice_cited("datacenter_assumed", cite(rules, FwStep::Note2),
            Text::Static("An item did not say whether it is designed or marketed for datacenters; it was treated as a datacenter item, the stricter reading."),
        );
    }
    det.tpp = t.total;
    det.eccn = most_restrictive(&det.items);
    if items
        .iter()
        .any(|i| i.form == crate::request::ItemForm::Hbm)
    {
        out.notice_cited("hbm_not_in_framework", cite(rules, FwStep::Eccn3a090c),
            Text::Static("High-bandwidth memory (3A090.c, from 2024-12-02) draws on none of the framework's allowances; its licence requirement is that of the advanced-computing controls: decide it under `advanced-computing-2023`."),
        );
    }
    if t.a > Tpp::ZERO && t.b > Tpp::ZERO {
        out.reason(
            cite(rules, FwStep::Eccn3a090),
            Text::CountedTotal {
                a: t.a,
                b: t.b,
                total: t.total,
            },
        );
    }
    Ok(t)
}

/// Step 2: the licence requirements of the .a and .b items. `None` when no licence is needed (the
/// decision is then made: no licence required, or not controlled).
fn licence_requirements(
    rules: &RuleSet,
    groups: &Groups<'_>,
    at: &Parties,
    t: &Totals,
    det: &mut Determination,
    out: &mut Out,
) -> Option<Needs> {
    let needs_a = t.a > Tpp::ZERO;
    let b_dest = groups.d_scope(at.dest);
    let needs_b = t.b > Tpp::ZERO && (b_dest || at.hq_t3);
    if needs_a {
        out.reason(cite(rules, FwStep::LicenceA), Text::ALicence);
    }
    if t.b > Tpp::ZERO {
        if b_dest {
            out.reason(
                cite(rules, FwStep::LicenceB),
                Text::BLicenceDestination {
                    destination: at.dest,
                },
            );
        } else if at.hq_t3 {
            out.reason(
                cite(rules, FwStep::LicenceBHeadquarters),
                Text::BLicenceHeadquarters {
                    headquarters: at.hq,
                },
            );
        } else {
            out.reason(
                cite(rules, FwStep::LicenceB),
                Text::BNoLicence {
                    destination: at.dest,
                },
            );
        }
    }
    if !needs_a && !needs_b {
        det.decision = if t.b > Tpp::ZERO {
            Decision::NoLicenseRequired
        } else {
            Decision::NotControlled
        };
        if t.a == Tpp::ZERO && t.b == Tpp::ZERO {
            out.reason(
                cite(rules, FwStep::Eccn3a090),
                Text::Static("No item meets ECCN 3A090; these controls do not reach the export."),
            );
        }
        return None;
    }
    Some(Needs {
        a: needs_a,
        b: needs_b,
        counted: t.a,
        only_aca_nac_items: t.a_datacenter == Tpp::ZERO,
    })
}

/// Step 3: AIA (740.27(a)), for .a items located in and headquartered in Tier 1. Whether it
/// authorised the export.
fn aia_step(
    req: &Request,
    rules: &RuleSet,
    at: &Parties,
    needs: &Needs,
    det: &mut Determination,
    out: &mut Out,
) -> bool {
    if !needs.a {
        return false;
    }
    if at.tier == 1 && at.hq_t1 && !needs.b {
        out.reason(cite(rules, FwStep::Aia), Text::AiaAvailable);
        grant(det, Authorization::Aia);
        aia_notices(req, rules, needs.counted, out);
        return true;
    }
    let why = if at.tier != 1 {
        "the destination is not in Supp. No. 5 to part 740 para (a)"
    } else {
        "the consignee or its ultimate parent is headquartered outside Supp. No. 5 to part 740 para (a)"
    };
    out.reason(cite(rules, FwStep::Aia), Text::AiaUnavailable { why });
    false
}

/// Step 4: the consignee's own VEU authorisation (748.15). Whether it authorised the export.
fn veu_step(
    req: &Request,
    rules: &RuleSet,
    groups: &Groups<'_>,
    at: &Parties,
    needs: &Needs,
    det: &mut Determination,
    out: &mut Out,
) -> bool {
    match req.consignee.authorization {
        ClaimedAuthorization::None => false,
        ClaimedAuthorization::Uveu => {
            let why = if !at.hq_t1 {
                Some("a UVEU must be headquartered (or have its ultimate parent) in a Supp. No. 5 para (a) destination")
            } else if at.dest_t3 {
                Some("UVEU data centers may not be in Macau or Country Group D:5")
            } else {
                None
            };
            if let Some(why) = why {
                veu_ignored(rules, FwStep::UveuEligibility, "UVEU", why, out);
                false
            } else if uveu(req, rules, groups, needs.counted, out) {
                grant(det, Authorization::Uveu);
                out.notice(
                    "reading_d4_d5",
                    Text::Static("Readings D4 and D5: UVEU exports do not count against the country allocation; the UVEU shares are measured in TPP of 3A090.a, 4A090.a and .a-type .z items installed by the UVEU, per country, after this export."),
                );
                veu_notices(rules, out);
                true
            } else {
                false
            }
        }
        ClaimedAuthorization::Nveu => {
            let why = if at.hq_t3 {
                Some("an NVEU may not be headquartered (or have its ultimate parent) in Macau or Country Group D:5")
            } else if at.dest_t3 {
                Some("NVEU data centers may not be in Macau or Country Group D:5")
            } else {
                None
            };
            if let Some(why) = why {
                veu_ignored(rules, FwStep::NveuEligibility, "NVEU", why, out);
                false
            } else if nveu(req, rules, needs.counted, out) {
                grant(det, Authorization::Nveu);
                veu_notices(rules, out);
                true
            } else {
                false
            }
        }
    }
}

/// A claimed VEU the consignee cannot hold: a reason and a notice, both citing its eligibility.
fn veu_ignored(rules: &RuleSet, step: FwStep, veu: &'static str, why: &'static str, out: &mut Out) {
    out.reason(cite(rules, step), Text::VeuIgnored { veu, why });
    out.notice_cited(
        "veu_ignored",
        cite(rules, step),
        Text::VeuIgnored { veu, why },
    );
}

/// Step 6: LPP (740.29(a)) for .a items. Whether it authorised the export.
fn lpp_step(
    req: &Request,
    rules: &RuleSet,
    groups: &Groups<'_>,
    needs: &Needs,
    det: &mut Determination,
    out: &mut Out,
) -> bool {
    if needs.a && lpp(req, rules, groups, needs.b, needs.counted, out) {
        grant(det, Authorization::Lpp);
        return true;
    }
    false
}

/// Step 7: ACM (740.28) for development, production or storage by private-sector end users.
/// Whether it authorised the export.
fn acm_step(
    req: &Request,
    rules: &RuleSet,
    at: &Parties,
    det: &mut Determination,
    out: &mut Out,
) -> bool {
    let Some(eu) = req.end_use else {
        return false;
    };
    if !matches!(
        eu,
        EndUse::Development | EndUse::Production | EndUse::Storage
    ) {
        return false;
    }
    if at.dest_t3 || at.hq_t3 {
        out.reason(cite(rules, FwStep::Acm), Text::Static("License Exception ACM is not available to Macau or D:5, or to entities headquartered there."));
        return false;
    }
    out.reason(cite(rules, FwStep::Acm), Text::ExceptionAvailable { exception: "ACM", why: "development, production or storage by a private-sector end user, with the items destined ultimately outside Macau and D:5" });
    out.notice_cited("acm_conditions", cite(rules, FwStep::Acm), Text::Static("ACM assumes a private-sector end user (not government-owned or controlled, other than the US Government) and distribution-system accounting kept per facility and updated at least every six months (reading D15)."));
    grant(det, Authorization::Acm);
    true
}

/// Step 8: a licence is required; the review policy is the strictest of the .a and .b items'.
fn review_policy(
    req: &Request,
    rules: &RuleSet,
    groups: &Groups<'_>,
    at: &Parties,
    needs: &Needs,
    det: &mut Determination,
    out: &mut Out,
) {
    det.decision = Decision::LicenseRequired;
    let mut policy = ReviewPolicy::PresumptionOfApproval;
    if needs.a {
        policy = policy.max(a_items_policy(req, rules, groups, at, needs.counted, out));
    }
    if needs.b {
        policy = policy.max(b_items_policy(rules, at, out));
    }
    det.review_policy = Some(policy);
}

/// The review policy of .a items (742.6(b)(10)(iii)), drawing on the country allocation in Tier 2.
fn a_items_policy(
    req: &Request,
    rules: &RuleSet,
    groups: &Groups<'_>,
    at: &Parties,
    counted: Tpp,
    out: &mut Out,
) -> ReviewPolicy {
    if at.dest_t3 || at.hq_t3 {
        out.reason(
            cite(rules, FwStep::PolicyA1),
            Text::Policy {
                policy: ReviewPolicy::PresumptionOfDenial,
                why: "the items go to Macau or D:5, or to an entity headquartered there",
            },
        );
        return ReviewPolicy::PresumptionOfDenial;
    }
    if at.tier == 1 || at.hq_t1 {
        let why = if at.tier == 1 {
            "the destination is in Supp. No. 5 to part 740 para (a)"
        } else {
            "the consignee is headquartered in a Supp. No. 5 para (a) destination"
        };
        out.reason(
            cite(rules, FwStep::PolicyA2),
            Text::Policy {
                policy: ReviewPolicy::PresumptionOfApproval,
                why,
            },
        );
        if at.tier == 2 {
            country_allocation(req, rules, groups, counted, true, out);
        } else if at.hq != at.dest && !at.hq_t1 {
            out.notice_cited("reading_open_q6", cite(rules, FwStep::PolicyB1), Text::Static("Open question 6: the consignee is headquartered in a Tier 2 country but the items are installed in Tier 1; reading D7 counts allocations by destination, so no allocation is drawn."));
        }
        return ReviewPolicy::PresumptionOfApproval;
    }
    if country_allocation(req, rules, groups, counted, true, out) {
        out.reason(
            cite(rules, FwStep::PolicyB1),
            Text::Policy {
                policy: ReviewPolicy::PresumptionOfApproval,
                why: "the destination's Tier 2 allocation is not exceeded",
            },
        );
        return ReviewPolicy::PresumptionOfApproval;
    }
    out.reason(cite(rules, FwStep::PolicyB2), Text::Policy { policy: ReviewPolicy::PolicyOfDenial, why: "after the country allocation is met, applications are reviewed under a policy of denial" });
    if let Some(a) = out
        .allowances
        .iter()
        .find(|a| a.kind == AllowanceKind::CountryAllocation)
    {
        let left = a
            .remaining_after_milli
            .saturating_add(i128::from(a.draw.milli()));
        if left > 0 {
            out.notice_cited(
                "allocation_partly_available",
                cite(rules, FwStep::PolicyB1),
                Text::AllocationRemaining { remaining: left },
            );
        }
    }
    ReviewPolicy::PolicyOfDenial
}

/// The review policy of .b items (742.6(b)(10)(iv)).
fn b_items_policy(rules: &RuleSet, at: &Parties, out: &mut Out) -> ReviewPolicy {
    if at.dest_t3 || at.hq_t3 {
        out.reason(
            cite(rules, FwStep::PolicyBItems),
            Text::Policy {
                policy: ReviewPolicy::PresumptionOfDenial,
                why: "3A090.b items to Macau or D:5, or to an entity headquartered there",
            },
        );
        return ReviewPolicy::PresumptionOfDenial;
    }
    out.reason(
        cite(rules, FwStep::PolicyBItems),
        Text::Policy {
            policy: ReviewPolicy::PresumptionOfApproval,
            why: "3A090.b items outside Macau and D:5 for an entity not headquartered there",
        },
    );
    ReviewPolicy::PresumptionOfApproval
}

fn grant(det: &mut Determination, a: Authorization) {
    det.decision = Decision::Authorized;
    det.authorization = Some(a);
}

fn aia_notices(req: &Request, rules: &RuleSet, counted: Tpp, out: &mut Out) {
    let date = req.date;
    out.notice_cited("aia_consignee_certification", cite(rules, FwStep::AiaCertification), Text::Static("Obtain the one-time AIA certification from the ultimate consignee and give it written notice, with each shipment, that the shipment is made under AIA (reading D15)."));
    let foundry = Date::new(2025, 1, 16);
    if foundry.is_some_and(|f| date >= f) {
        out.notice_cited("aia_approved_designer", cite(rules, FwStep::Aia), Text::Static("From 2025-01-16, AIA covers 3A090.a integrated circuits only if designed by an approved or authorized IC designer (Note 1 to ECCN 3A090.a, 90 FR 5309); assumed met (reading D15)."));
    }
    let threshold = *rules.params.aia_certification.at(date).value;
    let after = req
        .context
        .consignee_aia_cumulative
        .checked_add(counted)
        .unwrap_or(Tpp::from_milli(u64::MAX));
    if after >= threshold {
        out.notice_cited(
            "aia_certification_due",
            cite(rules, FwStep::AiaReporting),
            Text::AiaCertification {
                threshold,
                cumulative_after: after,
            },
        );
    }
}

fn veu_notices(rules: &RuleSet, out: &mut Out) {
    out.notice_cited("veu_reporting", cite(rules, FwStep::VeuReporting), Text::Static("Data Center VEU semi-annual reports are due 15 July and 15 January; the VEU's Supp. No. 10 to part 748 guidelines and certifications are assumed met (reading D15)."));
}

/// UVEU geographic allocations (Supp. No. 10 to part 748 para 6; reading D5): shares after the export.
fn uveu(req: &Request, rules: &RuleSet, groups: &Groups<'_>, draw: Tpp, out: &mut Out) -> bool {
    let date = req.date;
    let p = &rules.params;
    let max_country = *p.uveu_max_tier2_country_percent.at(date).value;
    let max_outside = *p.uveu_max_outside_tier1_percent.at(date).value;
    let min_us = *p.uveu_min_us_percent.at(date).value;
    let dest = req.destination;
    let dest_t1 = groups.tier1.contains(dest);
    let mut total = Tpp::ZERO;
    let mut in_dest = Tpp::ZERO;
    let mut outside = Tpp::ZERO;
    let mut in_us = Tpp::ZERO;
    for (c, v) in &req.context.uveu_installed_by_country {
        total = total.checked_add(*v).unwrap_or(Tpp::from_milli(u64::MAX));
        if *c == dest {
            in_dest = in_dest.checked_add(*v).unwrap_or(Tpp::from_milli(u64::MAX));
        }
        if !groups.tier1.contains(*c) {
            outside = outside.checked_add(*v).unwrap_or(Tpp::from_milli(u64::MAX));
        }
        if *c == CountryCode::US {
            in_us = in_us.checked_add(*v).unwrap_or(Tpp::from_milli(u64::MAX));
        }
    }
    let total_after = total.checked_add(draw).unwrap_or(Tpp::from_milli(u64::MAX));
    let mut failures = Vec::new();
    let mut push =
        |kind, scope: &'static str, used: Tpp, d: Tpp, pct: u32, minimum: bool, ok: bool| {
            let cap = pct_of(total_after, pct);
            let after = used.checked_add(d).unwrap_or(Tpp::from_milli(u64::MAX));
            let rem = if minimum {
                after.signed_sub(cap)
            } else {
                cap.signed_sub(after)
            };
            out.allowances.push(Allowance {
                kind,
                scope: Cow::Borrowed(scope),
                period: None,
                cap,
                used_before: used,
                draw: d,
                remaining_after_milli: rem,
                within_limit: ok,
                drawn: false,
                share: Some(Share {
                    percent: pct,
                    minimum,
                    total_after,
                }),
            });
        };
    if !dest_t1 {
        let after = in_dest
            .checked_add(draw)
            .unwrap_or(Tpp::from_milli(u64::MAX));
        let ok = share_at_most(after, total_after, max_country);
        if !ok {
            failures.push(
                "more than 7% of the UVEU's AI computing power would be in this Tier 2 country",
            );
        }
        push(
            AllowanceKind::UveuCountryShare,
            dest.as_str(),
            in_dest,
            draw,
            max_country,
            false,
            ok,
        );
        let after_out = outside
            .checked_add(draw)
            .unwrap_or(Tpp::from_milli(u64::MAX));
        let ok = share_at_most(after_out, total_after, max_outside);
        if !ok {
            failures.push("more than 25% would be outside Tier 1");
        }
        push(
            AllowanceKind::UveuOutsideTier1Share,
            "outside_tier1",
            outside,
            draw,
            max_outside,
            false,
            ok,
        );
    }
    if req.consignee.headquarters == CountryCode::US {
        let us_draw = if dest == CountryCode::US {
            draw
        } else {
            Tpp::ZERO
        };
        let after = in_us
            .checked_add(us_draw)
            .unwrap_or(Tpp::from_milli(u64::MAX));
        let ok = share_at_least(after, total_after, min_us);
        if !ok {
            failures.push("less than 50% would be in the United States");
        }
        push(
            AllowanceKind::UveuUsShare,
            "US",
            in_us,
            us_draw,
            min_us,
            true,
            ok,
        );
    }
    let ok = failures.is_empty();
    if ok {
        for a in out.allowances.iter_mut() {
            a.drawn = a.draw > Tpp::ZERO;
        }
    }
    out.reason(
        cite(rules, FwStep::UveuLimits),
        Text::UveuLimits { ok, failures },
    );
    ok
}

/// NVEU per-country installed base against the quarter's cap (748.15(a)(2)(iii)(B)).
fn nveu(req: &Request, rules: &RuleSet, draw: Tpp, out: &mut Out) -> bool {
    let Some((q, outside)) = rules.nveu_cap(req.date) else {
        return false;
    };
    if outside {
        out.notice_cited(
            "parameter_outside_window",
            cite(rules, FwStep::NveuCap),
            Text::ParameterOutside {
                what: "NVEU quarterly allocation",
            },
        );
    }
    let used = req.context.nveu_installed;
    let after = used.checked_add(draw).unwrap_or(Tpp::from_milli(u64::MAX));
    let ok = after <= q.cap;
    out.allowances.push(Allowance {
        kind: AllowanceKind::NveuAllocation,
        scope: Cow::Borrowed(req.destination.as_str()),
        period: Some(quarter_text(req.date.quarter())),
        cap: q.cap,
        used_before: used,
        draw,
        remaining_after_milli: remaining(q.cap, used, draw),
        within_limit: ok,
        drawn: ok,
        share: None,
    });
    out.reason(
        cite(rules, FwStep::NveuCap),
        Text::NveuCap {
            quarter: req.date.quarter(),
            cap: q.cap,
            used,
            draw,
            ok,
        },
    );
    if ok {
        out.notice_cited("reading_nveu_country_allocation", cite(rules, FwStep::NveuCap), Text::Static("NVEU installed base does not count towards or impact the country allocation; chips lost, damaged, failed, relocated or resold do not count toward the NVEU allocation."));
    }
    ok
}

/// License Exception LPP (740.29(a)), with 740.2(a)(9)(ii) per reading D3.
fn lpp(
    req: &Request,
    rules: &RuleSet,
    groups: &Groups<'_>,
    needs_b: bool,
    draw: Tpp,
    out: &mut Out,
) -> bool {
    let dest = req.destination;
    let hq = req.consignee.headquarters;
    if groups.tier3(dest) || groups.tier3(hq) {
        out.reason(cite(rules, FwStep::Lpp7402), Text::LppUnavailable { why: "15 CFR 740.2(a)(9)(ii) bars it for Macau and D:5 and for entities headquartered there" });
        return false;
    }
    if needs_b {
        out.reason(cite(rules, FwStep::Lpp), Text::LppUnavailable { why: "the request also holds 3A090.b items that need a licence here, which LPP does not cover; split the request" });
        return false;
    }
    let in_d_scope = groups.d_scope(dest);
    if in_d_scope {
        if req.options.strict_740_2 {
            out.reason(cite(rules, FwStep::Lpp7402), Text::LppUnavailable { why: "the destination is in Country Group D:1 or D:4 (not A:5/A:6), and 740.2(a)(9)(ii), read literally (option strict_740_2), does not list LPP among the exceptions usable there" });
            out.notice_cited("reading_d3", cite(rules, FwStep::Lpp7402), Text::Static("Reading D3 switched to strict: 740.2(a)(9)(ii) followed literally, so LPP is unavailable to D:1/D:4 destinations outside A:5/A:6."));
            return false;
        }
        out.notice_cited("reading_d3", cite(rules, FwStep::Lpp7402), Text::Static("Reading D3: LPP is treated as available to every Tier 2 destination as the framework was announced, although 740.2(a)(9)(ii) read literally does not list it for D:1/D:4 destinations outside A:5/A:6 (set strict_740_2 to follow it literally)."));
    }
    let limit = *rules.params.lpp_limit.at(req.date).value;
    let used = req.context.consignee_lpp_used;
    let after = used.checked_add(draw).unwrap_or(Tpp::from_milli(u64::MAX));
    let ok = after <= limit;
    out.allowances.push(Allowance {
        kind: AllowanceKind::Lpp,
        scope: Cow::Owned(req.consignee.name.clone()),
        period: Some(year_text(req.date.year())),
        cap: limit,
        used_before: used,
        draw,
        remaining_after_milli: remaining(limit, used, draw),
        within_limit: ok,
        drawn: ok,
        share: None,
    });
    out.reason(
        cite(rules, FwStep::Lpp),
        Text::Lpp {
            year: req.date.year(),
            limit,
            used,
            draw,
            ok,
        },
    );
    if ok {
        out.notice_cited("lpp_certification", cite(rules, FwStep::Lpp), Text::Static("Before using LPP, obtain the ultimate consignee's certification that it has not received 26,900,000 TPP under LPP this calendar year and that this export keeps it within the limit; LPP covers exports and reexports, not transfers (in-country) (reading D15)."));
        if after == limit {
            out.notice_cited("lpp_limit_reached", cite(rules, FwStep::Lpp), Text::Static("This export brings the consignee exactly to its LPP limit for the year: the consignee must notify BIS that the annual limit has been reached."));
        }
        out.notice_cited("reading_lpp_country_allocation", cite(rules, FwStep::PolicyB1), Text::Static("LPP exports do not count against the country allocation: the allocation counts licensed items."));
    }
    ok
}

/// ACA or NAC (740.8) for non-datacenter 3A090.a items and 3A090.b items.
#[allow(clippy::too_many_arguments)]
fn aca_nac(
    rules: &RuleSet,
    date: Date,
    groups: &Groups<'_>,
    dest: CountryCode,
    tier: u8,
    hq_t3: bool,
    det: &mut Determination,
    out: &mut Out,
) -> bool {
    if tier == 3 || hq_t3 {
        out.reason(cite(rules, FwStep::Nac), Text::ExceptionAvailable { exception: "NAC", why: "the items are not 3A090.a items designed or marketed for datacenters, and go to Macau or D:5 or to an entity headquartered there" });
        let days = *rules.params.nac_notification_days.at(date).value;
        out.notice_cited(
            "nac_notification",
            cite(rules, FwStep::Nac),
            Text::NacNotification { days },
        );
        grant(det, Authorization::Nac);
        return true;
    }
    if tier == 2 {
        let why = if groups.d_scope(dest) {
            "the items are not 3A090.a items designed or marketed for datacenters, and the destination is in D:1 or D:4"
        } else {
            "the items are 3A090.a items not designed or marketed for datacenters, going to a Tier 2 destination"
        };
        out.reason(
            cite(rules, FwStep::Aca),
            Text::ExceptionAvailable {
                exception: "ACA",
                why,
            },
        );
        out.notice_cited("aca_purchase_order", cite(rules, FwStep::Aca), Text::Static("ACA requires a written purchase order from the consignee (reading D15); reading D13 prefers ACA to LPP here because ACA draws on no allowance."));
        grant(det, Authorization::Aca);
        return true;
    }
    false
}

/// The destination's Tier 2 allocation, with the assurance uplift (742.6(b)(10)(iii)(B)-(C)).
fn country_allocation(
    req: &Request,
    rules: &RuleSet,
    groups: &Groups<'_>,
    draw: Tpp,
    drawn: bool,
    out: &mut Out,
) -> bool {
    let date = req.date;
    let base_r = rules.params.country_allocation.at(date);
    if base_r.outside {
        out.notice_cited(
            "parameter_outside_window",
            cite(rules, FwStep::PolicyB1),
            Text::ParameterOutside {
                what: "country allocation (2025-2027)",
            },
        );
    }
    let assured = req.context.government_assurances || groups.supp5b.contains(req.destination);
    let uplift = rules.assurance_uplift(date, assured, req.context.assurance_uplift_percent);
    let cap = rules.country_allocation_cap(date, uplift);
    let used = req.context.country_allocation_used;
    let after = used.checked_add(draw).unwrap_or(Tpp::from_milli(u64::MAX));
    let ok = after <= cap;
    out.allowances.push(Allowance {
        kind: AllowanceKind::CountryAllocation,
        scope: Cow::Borrowed(req.destination.as_str()),
        period: Some(Cow::Borrowed("2025-2027")),
        cap,
        used_before: used,
        draw,
        remaining_after_milli: remaining(cap, used, draw),
        within_limit: ok,
        drawn,
        share: None,
    });
    let citation = if uplift > 0 {
        cite(rules, FwStep::PolicyC)
    } else {
        cite(rules, FwStep::PolicyB1)
    };
    out.reason(
        citation,
        Text::CountryAllocation {
            country: req.destination,
            cap,
            used,
            draw,
            ok,
            uplift,
        },
    );
    if assured {
        out.notice_cited("reading_d8", cite(rules, FwStep::PolicyC), Text::Static("Reading D8: with government-to-government assurances the allocation is raised by the given uplift (default 100%, at most 100%)."));
    }
    out.notice_cited("reading_d7", cite(rules, FwStep::PolicyB1), Text::Static("Reading D7: a licensed export draws on the allocation of the destination country, where the items are installed; a licence counts when granted."));
    ok
}

/// ECCN 4E091 model weights (742.6(a)(13), (b)(14); 740.27(a)(3); Note 2 to 4E091).
fn decide_weights(
    req: &Request,
    rules: &RuleSet,
    groups: &Groups<'_>,
    w: &crate::request::ModelWeights,
    det: &mut Determination,
    out: &mut Out,
) {
    let base = *rules
        .params
        .model_weights_threshold_operations
        .at(req.date)
        .value;
    let published_floor = req
        .context
        .most_capable_published_model_operations
        .unwrap_or(0);
    let (threshold, raised) = match req.options.model_threshold_operations {
        Some(t) => (t, false),
        None if published_floor > base => (published_floor, true),
        None => (base, false),
    };
    let citation = if w.published {
        cite(rules, FwStep::Published)
    } else if raised {
        cite(rules, FwStep::WeightsNote2)
    } else {
        cite(rules, FwStep::Weights)
    };
    out.reason(
        citation,
        Text::Weights {
            operations: w.training_operations,
            threshold,
            published: w.published,
            raised,
        },
    );
    out.notice_cited("reading_d6", cite(rules, FwStep::Weights), Text::Static("Reading D6: 4E091 controls unpublished weights of models trained with 10^26 or more operations (the CCL heading; some summaries say 'more than'), raised to the operations of the most capable published model when that is higher; fine-tuning operations count."));
    if w.published || w.training_operations < threshold {
        det.decision = Decision::NotControlled;
        det.eccn = Eccn::None;
        return;
    }
    det.eccn = Eccn::E4e091;
    let hq = req.consignee.headquarters;
    let hq_t1 = groups.tier1.contains(hq);
    let dest_t3 = groups.tier3(req.destination);
    out.reason(cite(rules, FwStep::Weights), Text::Static("A licence is required to export, reexport or transfer (in-country) 4E091 items to any destination (deemed exports to permanent regular employees of Tier-1-headquartered entities excepted)."));
    if hq_t1 && !dest_t3 {
        out.reason(cite(rules, FwStep::AiaWeights), Text::ExceptionAvailable { exception: "AIA", why: "the weights go to an entity headquartered in a Supp. No. 5 para (a) destination and located outside Macau and D:5" });
        out.notice_cited("weights_storage", cite(rules, FwStep::WeightsStorage), Text::Static("The weights must be stored in a facility that meets paragraphs 14, 15 and 18 of Supp. No. 10 to part 748 (compliance date 2026-01-15); assumed met (reading D15)."));
        grant(det, Authorization::Aia);
        return;
    }
    det.decision = Decision::LicenseRequired;
    if !hq_t1 {
        out.reason(
            cite(rules, FwStep::AiaWeights),
            Text::AiaUnavailable {
                why: "the recipient is headquartered outside Supp. No. 5 to part 740 para (a)",
            },
        );
        out.reason(cite(rules, FwStep::PolicyWeights), Text::Policy { policy: ReviewPolicy::PresumptionOfDenial, why: "the end user is headquartered (or has its ultimate parent) outside Supp. No. 5 to part 740 para (a)" });
        det.review_policy = Some(ReviewPolicy::PresumptionOfDenial);
    } else {
        out.reason(
            cite(rules, FwStep::AiaWeights),
            Text::AiaUnavailable {
                why: "the recipient is located in Macau or Country Group D:5",
            },
        );
        out.reason(cite(rules, FwStep::PolicyWeights), Text::Policy { policy: ReviewPolicy::CaseByCase, why: "the presumption of denial in (b)(14) reaches only end users headquartered outside Supp. No. 5 para (a)" });
        det.review_policy = Some(ReviewPolicy::CaseByCase);
    }
}

fn n_weights_storage(det: &Determination) -> bool {
    det.eccn == Eccn::E4e091
}

/// The licence review policy an entry's `license_policy` text names (Supp. No. 4 to part 744 column).
fn policy_from_text(text: Option<&str>, default: ReviewPolicy) -> ReviewPolicy {
    let Some(t) = text.map(str::to_ascii_lowercase) else {
        return default;
    };
    if t.contains("policy of denial") {
        ReviewPolicy::PolicyOfDenial
    } else if t.contains("presumption of denial") {
        ReviewPolicy::PresumptionOfDenial
    } else if t.contains("case-by-case") || t.contains("case by case") {
        ReviewPolicy::CaseByCase
    } else if t.contains("approval") {
        ReviewPolicy::PresumptionOfApproval
    } else {
        default
    }
}

/// Restricted-party screening (gathered at the edge): a listed party changes the answer, citing the
/// list entry (15 CFR 744.11 Entity List, 744.21 Military End-User List, 744.15 Unverified List,
/// 764.2(k) denial orders); possible matches become notices for a person to review.
pub(crate) fn apply_screening(
    req: &Request,
    cites: &ScreeningCitations,
    det: &mut Determination,
    out: &mut Out,
) {
    use crate::request::{Disposition, ListClass, ScreeningStatus};
    let cite = |s: ScreeningStep| cites.get(s).clone();
    let sc = &req.context.screening;
    match &sc.status {
        ScreeningStatus::Skipped => {
            out.notice_cited("screening_skipped", cite(ScreeningStep::Screening), Text::Static("Restricted-party screening was skipped at the user's request (options.skip_screening): this determination does not account for the Entity List, Denied Persons List or other lists; screen the parties before exporting."));
            return;
        }
        ScreeningStatus::NotPerformed => {
            out.notice_cited("screening_not_performed", cite(ScreeningStep::Screening), Text::Static("No restricted-party lists were available, so the parties were not screened: import the Consolidated Screening List (chipcap lists import) or screen them yourself before exporting."));
            return;
        }
        ScreeningStatus::Performed { .. } => {
            for w in &sc.warnings {
                out.notice_cited(
                    "screening_list_shrank",
                    cite(ScreeningStep::Screening),
                    Text::Note(std::sync::Arc::from(w.as_str())),
                );
            }
        }
    }
    let mut listed = false;
    for h in &sc.hits {
        let effective = match h.disposition {
            Some(Disposition::FalsePositive) => {
                out.notice(
                    "screening_false_positive",
                    Text::ScreeningReview {
                        hit: Box::new(h.clone()),
                    },
                );
                continue;
            }
            Some(Disposition::TrueMatch) => true,
            None => h.is_match,
        };
        if !effective {
            out.notice_cited(
                "screening_review_required",
                cite(ScreeningStep::Review),
                Text::ScreeningReview {
                    hit: Box::new(h.clone()),
                },
            );
            continue;
        }
        let (step, policy, effect, blocks): (ScreeningStep, ReviewPolicy, &'static str, bool) = match h.class {
            ListClass::EntityList => (ScreeningStep::EntityList, policy_from_text(h.license_policy.as_deref(), ReviewPolicy::PresumptionOfDenial), "Entity List parties need a licence and no licence exception may be used unless the entry says so.", true),
            ListClass::MilitaryEndUser => (ScreeningStep::MilitaryEndUser, policy_from_text(h.license_policy.as_deref(), ReviewPolicy::PresumptionOfDenial), "Military end users need a licence; applications are reviewed under a presumption of denial.", true),
            ListClass::DeniedPersons => (ScreeningStep::DeniedPersons, ReviewPolicy::PolicyOfDenial, "A denial order bars participation in any transaction subject to the EAR: do not proceed.", true),
            ListClass::Unverified => (ScreeningStep::Unverified, ReviewPolicy::CaseByCase, "License exceptions may not be used for Unverified List parties, and a UVL statement is required.", det.decision == Decision::Authorized),
            ListClass::Sdn | ListClass::Other => {
                out.notice_cited(if h.class == ListClass::Sdn { "ofac_sdn_match" } else { "other_list_match" }, cite(ScreeningStep::OutsideEar), Text::Listed { hit: Box::new(h.clone()), effect: "This list is administered outside the EAR (OFAC or State): stop and escalate; dealings may be prohibited whatever this determination says." });
                continue;
            }
        };
        out.reason(
            cite(step),
            Text::Listed {
                hit: Box::new(h.clone()),
                effect,
            },
        );
        if blocks {
            listed = true;
            if det.decision == Decision::Authorized {
                // The authorisation found above no longer applies: drop the obligations that came with it.
                const TIED: [&str; 12] = [
                    "lpp_certification",
                    "lpp_limit_reached",
                    "reading_lpp_country_allocation",
                    "aia_consignee_certification",
                    "aia_approved_designer",
                    "aia_certification_due",
                    "veu_reporting",
                    "reading_d4_d5",
                    "reading_nveu_country_allocation",
                    "aca_purchase_order",
                    "nac_notification",
                    "acm_conditions",
                ];
                out.notices.retain(|n| !TIED.contains(&n.code));
                if n_weights_storage(det) {
                    out.notices.retain(|n| n.code != "weights_storage");
                }
            }
            det.decision = Decision::LicenseRequired;
            det.authorization = None;
            det.review_policy = Some(det.review_policy.map_or(policy, |p| p.max(policy)));
            for a in out.allowances.iter_mut() {
                a.drawn = a.kind == AllowanceKind::CountryAllocation && a.drawn;
            }
        }
    }
    if !listed
        && sc
            .hits
            .iter()
            .all(|h| h.disposition == Some(Disposition::FalsePositive) || !h.is_match)
    {
        if let ScreeningStatus::Performed { lists, parties, .. } = &sc.status {
            let parties = *parties;
            out.reason(
                cite(ScreeningStep::Screening),
                Text::ScreeningClear {
                    lists: lists.join(", "),
                    parties,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_texts_match_display() {
        for y in [1, 9, 10, 999, 2025, 9999, 12345, -7] {
            assert_eq!(year_text(y), y.to_string());
            for q in 1..=4 {
                let q = crate::date::Quarter { year: y, q };
                assert_eq!(quarter_text(q), q.to_string());
            }
        }
    }

    #[test]
    fn fixed_period_texts_match_display() {
        for y in 2020..=2035 {
            assert_eq!(year_text(y), y.to_string());
            for q in 1..=4 {
                let q = crate::date::Quarter { year: y, q };
                assert_eq!(quarter_text(q), q.to_string());
            }
        }
    }

    #[test]
    fn policies_from_entry_text() {
        assert_eq!(
            policy_from_text(Some("Presumption of denial."), ReviewPolicy::CaseByCase),
            ReviewPolicy::PresumptionOfDenial
        );
        assert_eq!(
            policy_from_text(
                Some("Case-by-case review for ECCNs 1A004 ..."),
                ReviewPolicy::PresumptionOfDenial
            ),
            ReviewPolicy::CaseByCase
        );
        assert_eq!(
            policy_from_text(Some("Policy of denial"), ReviewPolicy::CaseByCase),
            ReviewPolicy::PolicyOfDenial
        );
        assert_eq!(
            policy_from_text(None, ReviewPolicy::PresumptionOfDenial),
            ReviewPolicy::PresumptionOfDenial
        );
    }

    #[test]
    fn shares_are_exact() {
        let t = |w: u64| Tpp::from_milli(w);
        assert!(share_at_most(t(7), t(100), 7));
        assert!(!share_at_most(t(8), t(100), 7));
        assert!(share_at_least(t(50), t(100), 50));
        assert!(!share_at_least(t(49), t(100), 50));
        assert_eq!(pct_of(t(1_000), 7), t(70));
    }
}
