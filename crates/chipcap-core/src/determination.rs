//! The determination: outcome, authorisation, policy, allowances, and the reasons with citations.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::classify::{Band, Outside};
use crate::country::CountryCode;
use crate::date::{Date, Quarter};
use crate::units::Tpp;

/// The outcome (exhaustive).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = DecisionDoc))]
pub enum Decision {
    /// These controls do not reach the items (ECCN `none`).
    NotControlled,
    /// The items are controlled (an ECCN is given) but this export needs no licence (NLR).
    NoLicenseRequired,
    /// A licence exception or VEU authorisation covers the export.
    Authorized,
    /// An individual licence is required.
    LicenseRequired,
}

/// A licence exception or VEU authorisation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub enum Eccn {
    /// 3A090.a.
    #[serde(rename = "3A090.a")]
    A3a090,
    /// 3A090.b.
    #[serde(rename = "3A090.b")]
    B3a090,
    /// 3A090.c (high-bandwidth memory, from 2024-12-02).
    #[serde(rename = "3A090.c")]
    C3a090,
    /// 4A090.a (computers, assemblies and components containing 3A090.a ICs).
    #[serde(rename = "4A090.a")]
    A4a090,
    /// 4A090.b (the same for 3A090.b ICs).
    #[serde(rename = "4A090.b")]
    B4a090,
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
            Eccn::C3a090 => "3A090.c",
            Eccn::A4a090 => "4A090.a",
            Eccn::B4a090 => "4A090.b",
            Eccn::E4e091 => "4E091",
            Eccn::None => "none",
        }
    }
}

/// Which allowance.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
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
    /// China+Macau licensed shipments of a product against its US end-use shipments (91 FR 1684).
    ChinaUsShare,
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
            AllowanceKind::ChinaUsShare => "china_us_share",
        }
    }
}

/// A cap the request draws on or is tested against, before and after.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowance {
    /// Which allowance.
    #[cfg_attr(feature = "schema", schema(rename = "allowance"))]
    pub kind: AllowanceKind,
    /// The country (or `outside_tier1`) it is kept for (borrowed when it is a fixed name, such as a
    /// country code, so that deciding does not allocate for it).
    pub scope: Cow<'static, str>,
    /// The period it counts over (`2025-2027`, `2025`, `2025Q2`), if any.
    pub period: Option<Cow<'static, str>>,
    /// The cap (for a share: the share of the total after the draw, rounded down to 0.001).
    #[cfg_attr(feature = "schema", schema(rename = "cap_tpp", value_type = f64))]
    pub cap: Tpp,
    /// Used before this request.
    #[cfg_attr(feature = "schema", schema(rename = "used_before_tpp", value_type = f64))]
    pub used_before: Tpp,
    /// What this request draws (0 when it is only tested).
    #[cfg_attr(feature = "schema", schema(rename = "draw_tpp", value_type = f64))]
    pub draw: Tpp,
    /// Cap minus (used + draw), in thousandths of TPP (written as TPP, exact to 0.001); negative
    /// when over. For a minimum share: the amount held above the minimum.
    #[cfg_attr(feature = "schema", schema(rename = "remaining_after_tpp", value_type = f64))]
    pub remaining_after_milli: i128,
    /// Whether the request stays within the limit (compared exactly).
    pub within_limit: bool,
    /// Whether the request would actually draw on it (the chosen path).
    pub drawn: bool,
    /// For share limits: the percentage and whether it is a maximum or a minimum (written as the
    /// fields of [`Share`], present together on share limits only).
    #[cfg_attr(feature = "schema", serde(flatten))]
    #[cfg_attr(feature = "schema", schema(value_type = Share))]
    pub share: Option<Share>,
}

/// A percentage limit (its three fields are written beside the allowance's on share limits only).
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Share {
    /// The percentage.
    #[cfg_attr(feature = "schema", schema(rename = "limit_percent", required = false))]
    pub percent: u32,
    /// True for a minimum (US share), false for a maximum (written as `minimum` or `maximum`).
    #[cfg_attr(feature = "schema", schema(rename = "limit_kind", value_type = String, required = false))]
    pub minimum: bool,
    /// Total installed base after the draw, the denominator.
    #[cfg_attr(feature = "schema", schema(rename = "total_after_tpp", value_type = f64, required = false))]
    pub total_after: Tpp,
}

/// A citation: one of the crate's constants, or one composed from the rule data once and shared
/// (an amendment's instrument after the paragraph), so that deciding does not allocate for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Citation {
    /// A constant of this crate (never in need of JSON escaping).
    Static(&'static str),
    /// Text from the rule data.
    Shared(Arc<str>),
    /// Text from the rule data found, when the rules loaded, to need no JSON escaping (the JSON
    /// writer copies it as it is; see [`crate::params::Citations::new`]).
    Clean(Arc<str>),
}

impl std::ops::Deref for Citation {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Citation::Static(s) => s,
            Citation::Shared(s) | Citation::Clean(s) => s,
        }
    }
}

impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl PartialEq<&str> for Citation {
    fn eq(&self, other: &&str) -> bool {
        **self == **other
    }
}

impl PartialEq<str> for Citation {
    fn eq(&self, other: &str) -> bool {
        **self == *other
    }
}

impl From<&'static str> for Citation {
    fn from(s: &'static str) -> Citation {
        Citation::Static(s)
    }
}

impl From<Arc<str>> for Citation {
    fn from(s: Arc<str>) -> Citation {
        Citation::Shared(s)
    }
}

impl From<String> for Citation {
    fn from(s: String) -> Citation {
        Citation::Shared(s.into())
    }
}

/// One step of the reasoning with the paragraph it applies.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = ReasonDoc))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// The paragraph (e.g. `15 CFR 740.29(a)`), or the amendment a step rests on (from the rule data).
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub citation: Citation,
    /// What was found.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub text: Text,
}

/// Something the user must still do or know.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// A stable code (`aia_certification_due`, `not_enforced`, `reading_d3`, ...).
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub code: &'static str,
    /// The paragraph, when one applies.
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub citation: Option<Citation>,
    /// The notice.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub text: Text,
}

/// Reason and notice texts; rendered only when shown, so deciding stays cheap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Text {
    /// A fixed sentence.
    Static(&'static str),
    /// A sentence built from rule data (the advanced-computing line).
    Owned(String),
    /// The enforced line's version applied on a date (`amended_by`: the latest amendment in force).
    AcVersion {
        name: Arc<str>,
        date: Date,
        amended_by: Option<(Arc<str>, Date)>,
    },
    /// The country groups a destination (or headquarters) is in; `groups` is a bit set of
    /// D:1, D:4, D:5, A:5, A:6, Macau (bits 0 to 5).
    AcGroups {
        country: CountryCode,
        date: Date,
        groups: u8,
        headquarters: bool,
        assumed: bool,
    },
    /// The destination licence requirement applies.
    AcDestLicence { destination: CountryCode },
    /// No destination licence requirement (`excluded`: by A:5/A:6, else outside D:1/D:4/D:5).
    AcNoDestLicence {
        destination: CountryCode,
        excluded: bool,
    },
    /// The D:5/Macau headquarters requirement applies.
    AcHqLicence { headquarters: CountryCode },
    /// A destination's listed-end-user licence requirement applies (the consignee is not listed).
    AcListedRequired { destination: CountryCode },
    /// The consignee is a listed end user: no licence.
    AcListed {
        destination: CountryCode,
        name: Arc<str>,
        until: Option<Date>,
    },
    /// ACA covers the export (`transfer`: an in-country transfer within Macau/D:5).
    AcAca {
        destination: CountryCode,
        transfer: bool,
    },
    /// NAC covers the export after a notification (`split`: from 2024-04-04).
    AcNac { days: u32, split: bool },
    /// A review policy and the country it rests on (`headquarters`: the party's, else the destination).
    AcPolicy {
        policy: ReviewPolicy,
        country: CountryCode,
        headquarters: bool,
    },
    /// A sentence composed at the edge (the ledger, the list store), written as given (escaped).
    Note(Arc<str>),
    /// Rule set applied.
    RuleSet {
        name: Arc<str>,
        citation: Arc<str>,
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
        chip: Option<Arc<str>>,
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

/// Where a [`Text`] is rendered: a formatter (`Display`) or the body of a JSON string (the JSON writer
/// escapes what needs it). One renderer serves both, so the two can never disagree.
pub(crate) trait Sink {
    /// Fixed text of this crate: the sentence templates below and the `&'static str` phrases the
    /// decision table passes in (like the JSON writer's literals: never in need of escaping, checked
    /// in debug builds).
    fn lit(&mut self, s: &'static str);
    /// Any other text (names, list and rule data, user input): escaped for JSON.
    fn text(&mut self, s: &str);
    /// An unsigned integer in decimal.
    fn uint(&mut self, v: u64);
    /// A signed number of thousandths with thousands separators (`26,900,000`, `5,792.8`).
    fn milli(&mut self, v: i128);

    /// A signed integer in decimal.
    fn int(&mut self, v: i64) {
        if v < 0 {
            self.lit("-");
        }
        self.uint(v.unsigned_abs());
    }
    /// TPP as [`Tpp`]'s `Display` writes it.
    fn tpp(&mut self, t: Tpp) {
        self.milli(i128::from(t.milli()));
    }
    /// A date as `YYYY-MM-DD` (as [`Date`]'s `Display` writes it).
    fn date(&mut self, d: Date);
    /// A country code.
    fn country(&mut self, c: CountryCode) {
        self.text(c.as_str());
    }
}

/// Renders through a formatter, keeping the first error.
struct FmtSink<'a, 'b> {
    f: &'a mut fmt::Formatter<'b>,
    res: fmt::Result,
}

impl FmtSink<'_, '_> {
    fn put(&mut self, s: &str) {
        if self.res.is_ok() {
            self.res = self.f.write_str(s);
        }
    }
}

impl Sink for FmtSink<'_, '_> {
    fn lit(&mut self, s: &'static str) {
        self.put(s);
    }
    fn text(&mut self, s: &str) {
        self.put(s);
    }
    fn uint(&mut self, v: u64) {
        if self.res.is_ok() {
            self.res = write!(self.f, "{v}");
        }
    }
    fn milli(&mut self, v: i128) {
        if self.res.is_ok() {
            self.res = crate::units::write_milli_grouped(self.f, v);
        }
    }
    fn date(&mut self, d: Date) {
        if self.res.is_ok() {
            self.res = write!(self.f, "{d}");
        }
    }
}

fn render_hit<S: Sink>(s: &mut S, h: &crate::request::ScreeningHit) {
    for (i, word) in h.role.as_str().split('_').enumerate() {
        if i > 0 {
            s.lit(" ");
        }
        s.text(word);
    }
    s.lit(" `");
    s.text(&h.party);
    s.lit("` matches `");
    s.text(&h.matched_name);
    s.lit("` on the ");
    s.text(&h.source);
    if h.matched_name != h.entry_name {
        s.lit(" (alias of `");
        s.text(&h.entry_name);
        s.lit("`)");
    }
    if let Some(n) = &h.entity_number {
        s.lit(", entity number ");
        s.text(n);
    }
    s.lit(", score ");
    s.uint(u64::from(h.score_milli / 1000));
    s.lit(".");
    let frac = h.score_milli % 1000;
    if frac < 100 {
        s.lit(if frac < 10 { "00" } else { "0" });
    }
    s.uint(u64::from(frac));
    if let Some(fr) = &h.federal_register_notice {
        s.lit(", ");
        s.text(fr);
    }
}

fn tier_word(t: u8) -> &'static str {
    match t {
        1 => "Tier 1",
        2 => "Tier 2",
        _ => "Tier 3",
    }
}

fn render_ops<S: Sink>(s: &mut S, ops: u128) {
    // Scientific form for readability, exact digits when they do not fit.
    if ops == 0 {
        return s.lit("0");
    }
    let digits = ops.to_string();
    let trimmed = digits.trim_end_matches('0');
    let exp = digits.len() - 1;
    s.text(&trimmed[..1]);
    if trimmed.len() > 1 {
        s.lit(".");
        s.text(&trimmed[1..]);
    }
    s.lit("e");
    s.uint(exp as u64);
}

impl Text {
    /// Renders the text into `s`: fixed fragments as they are, every other part through `s.text`.
    pub(crate) fn render<S: Sink>(&self, s: &mut S) {
        match self {
            Text::Static(t) => s.lit(t),
            Text::Owned(t) => s.text(t),
            Text::AcVersion {
                name,
                date,
                amended_by,
            } => {
                s.lit("Rule set `");
                s.text(name);
                s.lit("` applied for ");
                s.date(*date);
                s.lit(": the advanced-computing controls enforced on that date, as amended by ");
                match amended_by {
                    Some((c, d)) => {
                        s.text(c);
                        s.lit(" (effective ");
                        s.date(*d);
                        s.lit(").");
                    }
                    None => s.lit("none."),
                }
            }
            Text::AcGroups {
                country,
                date,
                groups,
                headquarters,
                assumed,
            } => {
                if *headquarters {
                    s.lit("Headquarters of the consignee or its ultimate parent: ");
                    s.country(*country);
                    if *assumed {
                        s.lit(" (not given; the destination was assumed)");
                    }
                    s.lit(", in ");
                } else {
                    s.lit("Destination ");
                    s.country(*country);
                    s.lit(" is in ");
                }
                let names = ["D:1", "D:4", "D:5", "A:5", "A:6", "Macau"];
                let mut first = true;
                for (i, n) in names.iter().enumerate() {
                    if groups & (1 << i) != 0 {
                        if !first {
                            s.lit(", ");
                        }
                        s.lit(n);
                        first = false;
                    }
                }
                if first {
                    s.lit("none of D:1, D:4, D:5, A:5, A:6");
                }
                if *headquarters {
                    s.lit(".");
                } else {
                    s.lit(" on ");
                    s.date(*date);
                    s.lit(".");
                }
            }
            Text::AcDestLicence { destination } => {
                s.lit("A licence is required for 3A090.a/.b, 4A090 and .z items to ");
                s.country(*destination);
                s.lit(": it is in Country Group D:1, D:4 or D:5 (or is Macau) and in neither A:5 nor A:6.");
            }
            Text::AcNoDestLicence {
                destination,
                excluded,
            } => {
                s.lit("No destination licence requirement: ");
                s.country(*destination);
                s.lit(if *excluded {
                    " is in A:5 or A:6."
                } else {
                    " is in none of D:1, D:4, D:5 and is not Macau."
                });
            }
            Text::AcHqLicence { headquarters } => {
                s.lit("A licence is required at any destination for an entity headquartered (or whose ultimate parent is headquartered) in Macau or Country Group D:5: ");
                s.country(*headquarters);
                s.lit(".");
            }
            Text::AcListedRequired { destination } => {
                s.lit("A licence is required for 3A090/4A090 items to ");
                s.country(*destination);
                s.lit(": it left D:4 for A:5, but the licence requirement stays except for the end users the rule lists, and the consignee is not one of them.");
            }
            Text::AcListed {
                destination,
                name,
                until,
            } => {
                s.country(*destination);
                s.lit(" left D:4 for A:5, and 3A090/4A090 items to it need a licence except for listed end users; the consignee is listed (`");
                s.text(name);
                s.lit("`, until ");
                match until {
                    Some(d) => s.date(*d),
                    None => s.lit("further notice"),
                }
                s.lit("): no licence required.");
            }
            Text::AcAca {
                destination,
                transfer,
            } => {
                if *transfer {
                    s.lit("License Exception ACA covers transfers (in-country) within Macau or D:5 of items other than datacenter 3A090.a items; no notification is required.");
                } else {
                    s.lit("License Exception ACA covers exports to ");
                    s.country(*destination);
                    s.lit(" (not Macau or D:5) of items other than datacenter 3A090.a items, for a party not headquartered in Macau or D:5; no notification is required.");
                }
            }
            Text::AcNac { days, split } => {
                s.lit("License Exception NAC covers the items (none is a datacenter 3A090.a item)");
                if *split {
                    s.lit(" for a destination or party in Macau or D:5");
                }
                s.lit(", after a notification to BIS at least ");
                s.uint(u64::from(*days));
                s.lit(" days before the export.");
            }
            Text::AcPolicy {
                policy,
                country,
                headquarters,
            } => match policy {
                ReviewPolicy::PresumptionOfApproval => {
                    s.lit("Presumption of approval: ");
                    s.country(*country);
                    s.lit(" is neither Macau nor in D:5, and the party is not headquartered there.");
                }
                ReviewPolicy::CaseByCase => {
                    s.lit("Case-by-case review: an export from the United States to ");
                    s.country(*country);
                    s.lit(" of AI commodities below the 91 FR 1684 limits (TPP and total DRAM bandwidth) that were commercially available in the US on the rule's date.");
                }
                _ => {
                    if *headquarters {
                        s.lit("Presumption of denial: the party is headquartered in Macau or Country Group D:5 (");
                        s.country(*country);
                        s.lit(").");
                    } else {
                        s.lit("Presumption of denial: ");
                        s.country(*country);
                        s.lit(" is Macau or in Country Group D:5.");
                    }
                }
            },
            Text::Note(t) => s.text(t),
            Text::RuleSet { name, citation, date } => {
                s.lit("Rule set `");
                s.text(name);
                s.lit("` (");
                s.text(citation);
                s.lit(") applied for the decision date ");
                s.date(*date);
                s.lit(".");
            }
            Text::BeforeEffective { effective } => {
                s.lit("The decision date is before the framework took effect on ");
                s.date(*effective);
                s.lit("; the determination applies the framework as published (reading D9).");
            }
            Text::BeforeCompliance { compliance } => {
                s.lit("Exporters were not required to comply with the framework's changes until ");
                s.date(*compliance);
                s.lit("; the determination applies them as published (reading D9).");
            }
            Text::NotEnforced { since } => {
                s.lit("BIS announced the rescission of the framework and stopped enforcing it on ");
                s.date(*since);
                s.lit("; the determination applies the framework as published (reading D9).");
            }
            Text::ParameterOutside { what } => {
                s.lit("The decision date is outside the dates the rule gives for the ");
                s.lit(what);
                s.lit("; the nearest value in the rule was applied.");
            }
            Text::DestinationTier { country, tier, group } => {
                s.lit("Destination ");
                s.country(*country);
                s.lit(" is in ");
                s.lit(tier_word(*tier));
                s.lit(" (");
                s.lit(group);
                s.lit(").");
            }
            Text::HeadquartersTier { country, tier, assumed } => {
                s.lit("The consignee's headquarters (or ultimate parent's) ");
                s.country(*country);
                s.lit(" is in ");
                s.lit(tier_word(*tier));
                if *assumed {
                    s.lit("; no headquarters was given, so the destination was assumed");
                }
                s.lit(".");
            }
            Text::Item { index, chip, quantity, unit_tpp, pd_milli, band, datacenter } => {
                s.lit("Item ");
                s.uint(*index as u64 + 1);
                if let Some(c) = chip {
                    s.lit(" (`");
                    s.text(c);
                    s.lit("`)");
                }
                s.lit(": ");
                s.uint(*quantity);
                s.lit(" unit(s) of TPP ");
                s.tpp(*unit_tpp);
                if let Some(pd) = pd_milli {
                    s.lit(", performance density ");
                    s.milli(i128::from(*pd));
                }
                if !datacenter {
                    s.lit(", not designed or marketed for datacenters");
                }
                match band {
                    Ok(b) => {
                        s.lit(": meets ");
                        s.lit(b.as_str());
                        s.lit(".");
                    }
                    Err(Outside::Note2) => s.lit(": outside 3A090 under Note 2 (non-datacenter and TPP below 4800)."),
                    Err(Outside::BelowThresholds) => s.lit(": below every 3A090 threshold, not controlled by 3A090."),
                }
            }
            Text::CountedTotal { a, b, total } => {
                s.lit("Request total TPP ");
                s.tpp(*total);
                s.lit(": 3A090.a items ");
                s.tpp(*a);
                s.lit(" (counted toward allocations), 3A090.b items ");
                s.tpp(*b);
                s.lit(".");
            }
            Text::BNoLicence { destination } => {
                s.lit("3A090.b items need a licence only to Country Groups D:1, D:4 or D:5 (excluding A:5/A:6) or for Macau/D:5-headquartered entities; ");
                s.country(*destination);
                s.lit(" is neither, so no licence is required for them.");
            }
            Text::ALicence => s.lit(
                "3A090.a, 4A090.a and .a-type .z items need a licence to or within any destination worldwide unless a licence exception or VEU authorisation applies.",
            ),
            Text::BLicenceDestination { destination } => {
                s.lit("3A090.b items need a licence to ");
                s.country(*destination);
                s.lit(": it is in Country Group D:1, D:4 or D:5 and not in A:5 or A:6.");
            }
            Text::BLicenceHeadquarters { headquarters } => {
                s.lit("3A090.b items need a licence for an entity headquartered in Macau or D:5 (");
                s.country(*headquarters);
                s.lit(") wherever it is located.");
            }
            Text::AiaAvailable => s.lit(
                "License Exception AIA covers 3A090.a items to an entity located in and headquartered in a Supp. No. 5 para (a) destination; it draws on no cap.",
            ),
            Text::AiaUnavailable { why } => {
                s.lit("License Exception AIA is not available: ");
                s.lit(why);
                s.lit(".");
            }
            Text::VeuIgnored { veu, why } => {
                s.lit("The claimed ");
                s.lit(veu);
                s.lit(" authorisation cannot be used: ");
                s.lit(why);
                s.lit("; it was ignored (reading D13).");
            }
            Text::UveuLimits { ok, failures } => {
                if *ok {
                    s.lit("UVEU geographic allocations hold after this export (at most 7% in any one Tier 2 country, at most 25% outside Tier 1, at least 50% in the US for US-headquartered UVEUs).");
                } else {
                    s.lit("UVEU geographic allocations would be broken: ");
                    for (i, f) in failures.iter().enumerate() {
                        if i > 0 {
                            s.lit("; ");
                        }
                        s.lit(f);
                    }
                    s.lit("; the UVEU authorisation does not cover this export.");
                }
            }
            Text::NveuCap { quarter, cap, used, draw, ok } => {
                s.lit("NVEU installed base in ");
                s.int(i64::from(quarter.year));
                s.lit("Q");
                s.uint(u64::from(quarter.q));
                s.lit(": ");
                s.tpp(*used);
                s.lit(" + ");
                s.tpp(*draw);
                if *ok {
                    s.lit(" <= cap ");
                    s.tpp(*cap);
                    s.lit("; within the allocation.");
                } else {
                    s.lit(" > cap ");
                    s.tpp(*cap);
                    s.lit("; the NVEU authorisation does not cover this export.");
                }
            }
            Text::Lpp { year, limit, used, draw, ok } => {
                s.lit("LPP for this consignee in ");
                s.int(i64::from(*year));
                s.lit(": ");
                s.tpp(*used);
                s.lit(" + ");
                s.tpp(*draw);
                if *ok {
                    s.lit(" <= ");
                    s.tpp(*limit);
                    s.lit(" TPP; License Exception LPP covers the export.");
                } else {
                    s.lit(" > ");
                    s.tpp(*limit);
                    s.lit(" TPP; License Exception LPP does not cover the export (the limit resets on 1 January).");
                }
            }
            Text::LppUnavailable { why } => {
                s.lit("License Exception LPP is not available: ");
                s.lit(why);
                s.lit(".");
            }
            Text::ExceptionAvailable { exception, why } => {
                s.lit("License Exception ");
                s.lit(exception);
                s.lit(" covers the export: ");
                s.lit(why);
                s.lit(".");
            }
            Text::CountryAllocation { country, cap, used, draw, ok, uplift } => {
                s.lit("Country allocation of ");
                s.country(*country);
                s.lit(" for 2025-2027");
                if *uplift > 0 {
                    s.lit(" (raised ");
                    s.uint(u64::from(*uplift));
                    s.lit("% under government-to-government assurances)");
                }
                s.lit(": ");
                s.tpp(*used);
                s.lit(" + ");
                s.tpp(*draw);
                if *ok {
                    s.lit(" <= ");
                    s.tpp(*cap);
                    s.lit(" TPP.");
                } else {
                    s.lit(" > ");
                    s.tpp(*cap);
                    s.lit(" TPP; the allocation would be exceeded.");
                }
            }
            Text::Policy { policy, why } => {
                s.lit("Licence applications are reviewed under ");
                s.lit(match policy {
                    ReviewPolicy::PresumptionOfApproval => "a presumption of approval",
                    ReviewPolicy::CaseByCase => "case-by-case review",
                    ReviewPolicy::PresumptionOfDenial => "a presumption of denial",
                    ReviewPolicy::PolicyOfDenial => "a policy of denial",
                });
                s.lit(": ");
                s.lit(why);
                s.lit(".");
            }
            Text::Weights { operations, threshold, published, raised } => {
                s.lit("Model weights trained with ");
                render_ops(s, *operations);
                s.lit(" operations");
                if *published {
                    return s.lit(" are published (15 CFR 734.7(a)); ECCN 4E091 does not control published weights.");
                }
                s.lit(" against the 4E091 threshold of ");
                render_ops(s, *threshold);
                if *raised {
                    s.lit(" (raised to the operations of the most capable published model, Note 2 to 4E091)");
                }
                if operations >= threshold {
                    s.lit(": the unpublished weights are ECCN 4E091.");
                } else {
                    s.lit(": below the threshold, not ECCN 4E091.");
                }
            }
            Text::AiaCertification { threshold, cumulative_after } => {
                s.lit("The consignee's cumulative AIA receipts reach ");
                s.tpp(*cumulative_after);
                s.lit(" TPP (threshold ");
                s.tpp(*threshold);
                s.lit("): submit the AIA certification to BIS (EARReports@bis.doc.gov) before the initial export.");
            }
            Text::NacNotification { days } => {
                s.lit("Submit a NAC notification in SNAP-R with TPP, performance density and a datasheet at least ");
                s.uint(u64::from(*days));
                s.lit(" calendar days before the export; BIS may answer that a licence is required.");
            }
            Text::Listed { hit, effect } => {
                render_hit(s, hit);
                if let Some(r) = &hit.license_requirement {
                    s.lit("; licence requirement: ");
                    let words = r.split_whitespace().collect::<Vec<_>>().join(" ");
                    s.text(words.trim_end_matches('.'));
                }
                if let Some(p) = &hit.license_policy {
                    s.lit("; licence policy: ");
                    s.text(p.trim().trim_end_matches('.'));
                }
                if hit.disposition == Some(crate::request::Disposition::TrueMatch) {
                    s.lit("; confirmed as a true match by a reviewer");
                }
                s.lit(". ");
                s.lit(effect);
            }
            Text::ScreeningReview { hit } => {
                s.lit("Possible match for review: ");
                render_hit(s, hit);
                s.lit(". A person must review it before the export; record the disposition so later screenings apply it.");
            }
            Text::ScreeningClear { lists, parties } => {
                s.uint(*parties as u64);
                s.lit(" party name(s) screened against ");
                s.text(lists);
                s.lit(": no match at or above the review threshold.");
            }
            Text::AllocationRemaining { remaining } => {
                s.lit("Of this request, ");
                s.milli((*remaining).max(0));
                s.lit(" TPP fit within the remaining country allocation; a licence for that part would be reviewed under a presumption of approval.");
            }
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = FmtSink { f, res: Ok(()) };
        self.render(&mut s);
        s.res
    }
}

/// Per-item result.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemResult {
    /// Catalog id, if any (shared with the catalog).
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub chip: Option<Arc<str>>,
    /// Units.
    pub quantity: u64,
    /// TPP per unit.
    #[cfg_attr(feature = "schema", schema(value_type = f64))]
    pub unit_tpp: Tpp,
    /// TPP of the line.
    #[cfg_attr(feature = "schema", schema(value_type = f64))]
    pub tpp: Tpp,
    /// Performance density (thousandths; written as the exact number), when the die area is known.
    #[cfg_attr(feature = "schema", schema(rename = "performance_density", value_type = Option<f64>))]
    pub pd_milli: Option<u64>,
    /// Band or why none (written as the 3A090 paragraph, `3A090.a.1` ..., or null).
    #[cfg_attr(feature = "schema", schema(rename = "paragraph", value_type = Option<String>))]
    pub band: Result<Band, Outside>,
    /// Datacenter flag used.
    pub datacenter: bool,
    /// The line's classification.
    pub eccn: Eccn,
}

/// The answer for one request.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = DeterminationDoc))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Determination {
    /// Outcome.
    pub decision: Decision,
    /// Authorisation when `authorized`.
    pub authorization: Option<Authorization>,
    /// Review policy when `license_required`.
    pub review_policy: Option<ReviewPolicy>,
    /// Tier of the destination (the framework only; `None` under the advanced-computing line).
    pub tier: Option<u8>,
    /// Most restrictive classification.
    pub eccn: Eccn,
    /// Total TPP of the request.
    #[cfg_attr(feature = "schema", schema(value_type = f64))]
    pub tpp: Tpp,
    /// TPP of one H100 used for display.
    #[cfg_attr(feature = "schema", schema(value_type = f64))]
    pub h100_tpp: Tpp,
    /// Per item.
    pub items: Vec<ItemResult>,
    /// Allowances drawn or tested.
    pub allowances: Vec<Allowance>,
    /// Reasons in order.
    pub reasons: Vec<Reason>,
    /// Notices.
    pub notices: Vec<Notice>,
    /// Rule set name (shared with the [`RuleSet`](crate::params::RuleSet)).
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub rule_set: Arc<str>,
    /// The screening the determination was made with (none when it ran without a context).
    #[cfg_attr(feature = "schema", schema(value_type = Option<Object>))]
    pub screening: Option<crate::request::Screening>,
    /// Decision date.
    #[cfg_attr(feature = "schema", schema(value_type = String, format = Date))]
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
