//! The determination: outcome, authorisation, policy, allowances, and the reasons with citations.

use std::fmt;

use serde::Serialize;

use crate::classify::{Band, Outside};
use crate::country::CountryCode;
use crate::date::{Date, Quarter};
use crate::units::Tpp;

/// The outcome (exhaustive).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// These controls do not reach the items (or no licence requirement applies to them here).
    NotControlled,
    /// A licence exception or VEU authorisation covers the export.
    Authorized,
    /// An individual licence is required.
    LicenseRequired,
}

/// A licence exception or VEU authorisation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Authorization {
    /// Artificial Intelligence Authorization, 15 CFR 740.27.
    #[serde(rename = "AIA")]
    Aia,
    /// Low Processing Performance, 15 CFR 740.29.
    #[serde(rename = "LPP")]
    Lpp,
    /// Advanced Computing Authorized, 15 CFR 740.8(b).
    #[serde(rename = "ACA")]
    Aca,
    /// Notified Advanced Computing, 15 CFR 740.8(a).
    #[serde(rename = "NAC")]
    Nac,
    /// Advanced Compute Manufacturing, 15 CFR 740.28.
    #[serde(rename = "ACM")]
    Acm,
    /// Universal Validated End User, 15 CFR 748.15.
    #[serde(rename = "UVEU")]
    Uveu,
    /// National Validated End User, 15 CFR 748.15.
    #[serde(rename = "NVEU")]
    Nveu,
}

impl Authorization {
    /// The code.
    pub fn as_str(self) -> &'static str {
        match self {
            Authorization::Aia => "AIA",
            Authorization::Lpp => "LPP",
            Authorization::Aca => "ACA",
            Authorization::Nac => "NAC",
            Authorization::Acm => "ACM",
            Authorization::Uveu => "UVEU",
            Authorization::Nveu => "NVEU",
        }
    }
}

/// Licence review policy (15 CFR 742.6(b)).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewPolicy {
    /// Presumption of approval.
    PresumptionOfApproval,
    /// Case-by-case review.
    CaseByCase,
    /// Presumption of denial.
    PresumptionOfDenial,
    /// Policy of denial (a Tier 2 allocation would be exceeded).
    PolicyOfDenial,
}

impl ReviewPolicy {
    /// The policy as written in the contract.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewPolicy::PresumptionOfApproval => "presumption_of_approval",
            ReviewPolicy::CaseByCase => "case_by_case",
            ReviewPolicy::PresumptionOfDenial => "presumption_of_denial",
            ReviewPolicy::PolicyOfDenial => "policy_of_denial",
        }
    }
}

/// The most restrictive classification in the request.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Eccn {
    /// 3A090.a.
    #[serde(rename = "3A090.a")]
    A3a090,
    /// 3A090.b.
    #[serde(rename = "3A090.b")]
    B3a090,
    /// 4E091.
    #[serde(rename = "4E091")]
    E4e091,
    /// None of them.
    #[serde(rename = "none")]
    None,
}

impl Eccn {
    /// As written in the contract.
    pub fn as_str(self) -> &'static str {
        match self {
            Eccn::A3a090 => "3A090.a",
            Eccn::B3a090 => "3A090.b",
            Eccn::E4e091 => "4E091",
            Eccn::None => "none",
        }
    }
}

/// Which allowance.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowanceKind {
    /// Tier 2 country allocation (742.6(b)(10)(iii)(B)).
    CountryAllocation,
    /// LPP per consignee per calendar year (740.29(a)).
    Lpp,
    /// NVEU per-country installed base (748.15(a)(2)(iii)(B)).
    NveuAllocation,
    /// UVEU share in one Tier 2 country (Supp. 10 to part 748 para 6).
    UveuCountryShare,
    /// UVEU share outside Tier 1.
    UveuOutsideTier1Share,
    /// UVEU share in the United States (a minimum).
    UveuUsShare,
}

impl AllowanceKind {
    /// As written in the contract.
    pub fn as_str(self) -> &'static str {
        match self {
            AllowanceKind::CountryAllocation => "country_allocation",
            AllowanceKind::Lpp => "lpp",
            AllowanceKind::NveuAllocation => "nveu_allocation",
            AllowanceKind::UveuCountryShare => "uveu_country_share",
            AllowanceKind::UveuOutsideTier1Share => "uveu_outside_tier1_share",
            AllowanceKind::UveuUsShare => "uveu_us_share",
        }
    }
}

/// A cap the request draws on or is tested against, before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowance {
    /// Which allowance.
    pub kind: AllowanceKind,
    /// The country (or `outside_tier1`) it is kept for.
    pub scope: String,
    /// The period it counts over (`2025-2027`, `2025`, `2025Q2`), if any.
    pub period: Option<String>,
    /// The cap (for a share: the share of the total after the draw, rounded down to 0.001).
    pub cap: Tpp,
    /// Used before this request.
    pub used_before: Tpp,
    /// What this request draws (0 when it is only tested).
    pub draw: Tpp,
    /// Cap minus (used + draw), in thousandths of TPP; negative when over. For a minimum share:
    /// the amount held above the minimum.
    pub remaining_after_milli: i128,
    /// Whether the request stays within the limit (compared exactly).
    pub within_limit: bool,
    /// Whether the request would actually draw on it (the chosen path).
    pub drawn: bool,
    /// For share limits: the percentage and whether it is a maximum or a minimum.
    pub share: Option<Share>,
}

/// A percentage limit.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Share {
    /// The percentage.
    pub percent: u32,
    /// True for a minimum (US share), false for a maximum.
    pub minimum: bool,
    /// Total installed base after the draw, the denominator.
    pub total_after: Tpp,
}

/// One step of the reasoning with the paragraph it applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// The paragraph (e.g. `15 CFR 740.29(a)`).
    pub citation: &'static str,
    /// What was found.
    pub text: Text,
}

/// Something the user must still do or know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// A stable code (`aia_certification_due`, `not_enforced`, `reading_d3`, ...).
    pub code: &'static str,
    /// The paragraph, when one applies.
    pub citation: Option<&'static str>,
    /// The notice.
    pub text: Text,
}

/// Reason and notice texts; rendered only when shown, so deciding stays cheap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Text {
    /// A fixed sentence.
    Static(&'static str),
    /// Rule set applied.
    RuleSet {
        name: String,
        citation: String,
        date: Date,
    },
    /// Before the effective date.
    BeforeEffective { effective: Date },
    /// Before the compliance date.
    BeforeCompliance { compliance: Date },
    /// After non-enforcement.
    NotEnforced { since: Date },
    /// A parameter taken from outside its window.
    ParameterOutside { what: &'static str },
    /// Destination tier.
    DestinationTier {
        country: CountryCode,
        tier: u8,
        group: &'static str,
    },
    /// Headquarters tier.
    HeadquartersTier {
        country: CountryCode,
        tier: u8,
        assumed: bool,
    },
    /// One item's classification.
    Item {
        index: usize,
        chip: Option<String>,
        quantity: u64,
        unit_tpp: Tpp,
        pd_milli: Option<u64>,
        band: Result<Band, Outside>,
        datacenter: bool,
    },
    /// The total of the counted (.a-type) items.
    CountedTotal { a: Tpp, b: Tpp, total: Tpp },
    /// No licence requirement reaches 3A090.b items to this destination.
    BNoLicence { destination: CountryCode },
    /// Licence requirement for .a items.
    ALicence,
    /// Licence requirement for .b items to D:1/D:4/D:5.
    BLicenceDestination { destination: CountryCode },
    /// Licence requirement for .b items to a Macau/D:5-headquartered entity.
    BLicenceHeadquarters { headquarters: CountryCode },
    /// AIA covers the export.
    AiaAvailable,
    /// AIA unavailable.
    AiaUnavailable { why: &'static str },
    /// A claimed VEU is not eligible.
    VeuIgnored {
        veu: &'static str,
        why: &'static str,
    },
    /// UVEU limits tested.
    UveuLimits {
        ok: bool,
        failures: Vec<&'static str>,
    },
    /// NVEU quarter cap tested.
    NveuCap {
        quarter: Quarter,
        cap: Tpp,
        used: Tpp,
        draw: Tpp,
        ok: bool,
    },
    /// LPP tested.
    Lpp {
        year: i32,
        limit: Tpp,
        used: Tpp,
        draw: Tpp,
        ok: bool,
    },
    /// LPP not available.
    LppUnavailable { why: &'static str },
    /// ACA/NAC/ACM covers the export.
    ExceptionAvailable {
        exception: &'static str,
        why: &'static str,
    },
    /// Country allocation tested for a licence.
    CountryAllocation {
        country: CountryCode,
        cap: Tpp,
        used: Tpp,
        draw: Tpp,
        ok: bool,
        uplift: u32,
    },
    /// Policy explanation.
    Policy {
        policy: ReviewPolicy,
        why: &'static str,
    },
    /// Model weights classification.
    Weights {
        operations: u128,
        threshold: u128,
        published: bool,
        raised: bool,
    },
    /// AIA certification due.
    AiaCertification {
        threshold: Tpp,
        cumulative_after: Tpp,
    },
    /// NAC notification due.
    NacNotification { days: u32 },
    /// Part of a Tier 2 licence within the remaining allocation.
    AllocationRemaining { remaining: i128 },
    /// A party matches a restricted-party list entry.
    Listed {
        hit: Box<crate::request::ScreeningHit>,
        effect: &'static str,
    },
    /// A possible match a person must review.
    ScreeningReview {
        hit: Box<crate::request::ScreeningHit>,
    },
    /// Screening ran against these lists with no match.
    ScreeningClear { lists: String, parties: usize },
}

fn write_hit(f: &mut fmt::Formatter<'_>, h: &crate::request::ScreeningHit) -> fmt::Result {
    write!(
        f,
        "{} `{}` matches `{}` on the {}",
        h.role.as_str().replace('_', " "),
        h.party,
        h.matched_name,
        h.source
    )?;
    if h.matched_name != h.entry_name {
        write!(f, " (alias of `{}`)", h.entry_name)?;
    }
    if let Some(n) = &h.entity_number {
        write!(f, ", entity number {n}")?;
    }
    write!(
        f,
        ", score {}.{:03}",
        h.score_milli / 1000,
        h.score_milli % 1000
    )?;
    if let Some(fr) = &h.federal_register_notice {
        write!(f, ", {fr}")?;
    }
    Ok(())
}

fn tier_word(t: u8) -> &'static str {
    match t {
        1 => "Tier 1",
        2 => "Tier 2",
        _ => "Tier 3",
    }
}

fn write_ops(f: &mut fmt::Formatter<'_>, ops: u128) -> fmt::Result {
    // Scientific form for readability, exact digits when they do not fit.
    if ops == 0 {
        return f.write_str("0");
    }
    let digits = ops.to_string();
    let trimmed = digits.trim_end_matches('0');
    let exp = digits.len() - 1;
    if trimmed.len() == 1 {
        write!(f, "{trimmed}e{exp}")
    } else {
        write!(f, "{}.{}e{exp}", &trimmed[..1], &trimmed[1..])
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Static(s) => f.write_str(s),
            Text::RuleSet { name, citation, date } => {
                write!(f, "Rule set `{name}` ({citation}) applied for the decision date {date}.")
            }
            Text::BeforeEffective { effective } => write!(
                f,
                "The decision date is before the framework took effect on {effective}; the determination applies the framework as published (reading D9)."
            ),
            Text::BeforeCompliance { compliance } => write!(
                f,
                "Exporters were not required to comply with the framework's changes until {compliance}; the determination applies them as published (reading D9)."
            ),
            Text::NotEnforced { since } => write!(
                f,
                "BIS announced the rescission of the framework and stopped enforcing it on {since}; the determination applies the framework as published (reading D9)."
            ),
            Text::ParameterOutside { what } => write!(
                f,
                "The decision date is outside the dates the rule gives for the {what}; the nearest value in the rule was applied."
            ),
            Text::DestinationTier { country, tier, group } => {
                write!(f, "Destination {country} is in {} ({group}).", tier_word(*tier))
            }
            Text::HeadquartersTier { country, tier, assumed } => {
                write!(f, "The consignee's headquarters (or ultimate parent's) {country} is in {}", tier_word(*tier))?;
                if *assumed {
                    f.write_str("; no headquarters was given, so the destination was assumed")?;
                }
                f.write_str(".")
            }
            Text::Item { index, chip, quantity, unit_tpp, pd_milli, band, datacenter } => {
                write!(f, "Item {}", index + 1)?;
                if let Some(c) = chip {
                    write!(f, " (`{c}`)")?;
                }
                write!(f, ": {quantity} unit(s) of TPP {unit_tpp}")?;
                if let Some(pd) = pd_milli {
                    f.write_str(", performance density ")?;
                    crate::units::write_milli_grouped(f, i128::from(*pd))?;
                }
                if !datacenter {
                    f.write_str(", not designed or marketed for datacenters")?;
                }
                match band {
                    Ok(b) => write!(f, ": meets {}.", b.as_str()),
                    Err(Outside::Note2) => f.write_str(": outside 3A090 under Note 2 (non-datacenter and TPP below 4800)."),
                    Err(Outside::BelowThresholds) => f.write_str(": below every 3A090 threshold, not controlled by 3A090."),
                }
            }
            Text::CountedTotal { a, b, total } => write!(
                f,
                "Request total TPP {total}: 3A090.a items {a} (counted toward allocations), 3A090.b items {b}."
            ),
            Text::BNoLicence { destination } => write!(
                f,
                "3A090.b items need a licence only to Country Groups D:1, D:4 or D:5 (excluding A:5/A:6) or for Macau/D:5-headquartered entities; {destination} is neither, so no licence is required for them."
            ),
            Text::ALicence => f.write_str(
                "3A090.a, 4A090.a and .a-type .z items need a licence to or within any destination worldwide unless a licence exception or VEU authorisation applies.",
            ),
            Text::BLicenceDestination { destination } => write!(
                f,
                "3A090.b items need a licence to {destination}: it is in Country Group D:1, D:4 or D:5 and not in A:5 or A:6."
            ),
            Text::BLicenceHeadquarters { headquarters } => write!(
                f,
                "3A090.b items need a licence for an entity headquartered in Macau or D:5 ({headquarters}) wherever it is located."
            ),
            Text::AiaAvailable => f.write_str(
                "License Exception AIA covers 3A090.a items to an entity located in and headquartered in a Supp. No. 5 para (a) destination; it draws on no cap.",
            ),
            Text::AiaUnavailable { why } => write!(f, "License Exception AIA is not available: {why}."),
            Text::VeuIgnored { veu, why } => write!(f, "The claimed {veu} authorisation cannot be used: {why}; it was ignored (reading D13)."),
            Text::UveuLimits { ok, failures } => {
                if *ok {
                    f.write_str("UVEU geographic allocations hold after this export (at most 7% in any one Tier 2 country, at most 25% outside Tier 1, at least 50% in the US for US-headquartered UVEUs).")
                } else {
                    write!(f, "UVEU geographic allocations would be broken: {}; the UVEU authorisation does not cover this export.", failures.join("; "))
                }
            }
            Text::NveuCap { quarter, cap, used, draw, ok } => {
                write!(f, "NVEU installed base in {quarter}: {used} + {draw} ")?;
                if *ok {
                    write!(f, "<= cap {cap}; within the allocation.")
                } else {
                    write!(f, "> cap {cap}; the NVEU authorisation does not cover this export.")
                }
            }
            Text::Lpp { year, limit, used, draw, ok } => {
                write!(f, "LPP for this consignee in {year}: {used} + {draw} ")?;
                if *ok {
                    write!(f, "<= {limit} TPP; License Exception LPP covers the export.")
                } else {
                    write!(f, "> {limit} TPP; License Exception LPP does not cover the export (the limit resets on 1 January).")
                }
            }
            Text::LppUnavailable { why } => write!(f, "License Exception LPP is not available: {why}."),
            Text::ExceptionAvailable { exception, why } => write!(f, "License Exception {exception} covers the export: {why}."),
            Text::CountryAllocation { country, cap, used, draw, ok, uplift } => {
                write!(f, "Country allocation of {country} for 2025-2027")?;
                if *uplift > 0 {
                    write!(f, " (raised {uplift}% under government-to-government assurances)")?;
                }
                write!(f, ": {used} + {draw} ")?;
                if *ok {
                    write!(f, "<= {cap} TPP.")
                } else {
                    write!(f, "> {cap} TPP; the allocation would be exceeded.")
                }
            }
            Text::Policy { policy, why } => {
                let p = match policy {
                    ReviewPolicy::PresumptionOfApproval => "a presumption of approval",
                    ReviewPolicy::CaseByCase => "case-by-case review",
                    ReviewPolicy::PresumptionOfDenial => "a presumption of denial",
                    ReviewPolicy::PolicyOfDenial => "a policy of denial",
                };
                write!(f, "Licence applications are reviewed under {p}: {why}.")
            }
            Text::Weights { operations, threshold, published, raised } => {
                f.write_str("Model weights trained with ")?;
                write_ops(f, *operations)?;
                f.write_str(" operations")?;
                if *published {
                    return f.write_str(" are published (15 CFR 734.7(a)); ECCN 4E091 does not control published weights.");
                }
                f.write_str(" against the 4E091 threshold of ")?;
                write_ops(f, *threshold)?;
                if *raised {
                    f.write_str(" (raised to the operations of the most capable published model, Note 2 to 4E091)")?;
                }
                if operations >= threshold {
                    f.write_str(": the unpublished weights are ECCN 4E091.")
                } else {
                    f.write_str(": below the threshold, not ECCN 4E091.")
                }
            }
            Text::AiaCertification { threshold, cumulative_after } => write!(
                f,
                "The consignee's cumulative AIA receipts reach {cumulative_after} TPP (threshold {threshold}): submit the AIA certification to BIS (EARReports@bis.doc.gov) before the initial export."
            ),
            Text::NacNotification { days } => write!(
                f,
                "Submit a NAC notification in SNAP-R with TPP, performance density and a datasheet at least {days} calendar days before the export; BIS may answer that a licence is required."
            ),
            Text::Listed { hit, effect } => {
                write_hit(f, hit)?;
                if let Some(r) = &hit.license_requirement {
                    write!(f, "; licence requirement: {}", r.split_whitespace().collect::<Vec<_>>().join(" ").trim_end_matches('.'))?;
                }
                if let Some(p) = &hit.license_policy {
                    write!(f, "; licence policy: {}", p.trim().trim_end_matches('.'))?;
                }
                if hit.disposition == Some(crate::request::Disposition::TrueMatch) {
                    f.write_str("; confirmed as a true match by a reviewer")?;
                }
                write!(f, ". {effect}")
            }
            Text::ScreeningReview { hit } => {
                f.write_str("Possible match for review: ")?;
                write_hit(f, hit)?;
                f.write_str(". A person must review it before the export; record the disposition so later screenings apply it.")
            }
            Text::ScreeningClear { lists, parties } => {
                write!(f, "{parties} party name(s) screened against {lists}: no match at or above the review threshold.")
            }
            Text::AllocationRemaining { remaining } => {
                f.write_str("Of this request, ")?;
                crate::units::write_milli_grouped(f, (*remaining).max(0))?;
                f.write_str(" TPP fit within the remaining country allocation; a licence for that part would be reviewed under a presumption of approval.")
            }
        }
    }
}

/// Per-item result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemResult {
    /// Catalog id, if any.
    pub chip: Option<String>,
    /// Units.
    pub quantity: u64,
    /// TPP per unit.
    pub unit_tpp: Tpp,
    /// TPP of the line.
    pub tpp: Tpp,
    /// Performance density (thousandths), when known.
    pub pd_milli: Option<u64>,
    /// Band or why none.
    pub band: Result<Band, Outside>,
    /// Datacenter flag used.
    pub datacenter: bool,
}

/// The answer for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Determination {
    /// Outcome.
    pub decision: Decision,
    /// Authorisation when `authorized`.
    pub authorization: Option<Authorization>,
    /// Review policy when `license_required`.
    pub review_policy: Option<ReviewPolicy>,
    /// Tier of the destination.
    pub tier: u8,
    /// Most restrictive classification.
    pub eccn: Eccn,
    /// Total TPP of the request.
    pub tpp: Tpp,
    /// TPP of one H100 used for display.
    pub h100_tpp: Tpp,
    /// Per item.
    pub items: Vec<ItemResult>,
    /// Allowances drawn or tested.
    pub allowances: Vec<Allowance>,
    /// Reasons in order.
    pub reasons: Vec<Reason>,
    /// Notices.
    pub notices: Vec<Notice>,
    /// Rule set name.
    pub rule_set: String,
    /// The screening the determination was made with (none when it ran without a context).
    pub screening: Option<crate::request::Screening>,
    /// Decision date.
    pub date: Date,
}

impl Determination {
    /// Total TPP in H100 equivalents, thousandths, rounded (display only: reading D11).
    pub fn h100_equivalents_milli(&self) -> u128 {
        crate::units::ratio_milli(
            u128::from(self.tpp.milli()),
            u128::from(self.h100_tpp.milli().max(1)),
        )
        .unwrap_or(0)
    }
}
