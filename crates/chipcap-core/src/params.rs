//! The rule set as validated data: dated parameters, country groups, ECCN thresholds, chip catalog.
//!
//! Built by `chipcap-rules` from the files under `rules/`; the core only reads it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::country::{CountryCode, CountrySet};
use crate::date::{Date, Quarter};
use crate::units::Tpp;

/// How strongly a value is supported (see `docs/rules/README.md`, evidence grades).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// Verbatim primary text.
    Primary,
    /// A fragment of primary text.
    PrimaryPartial,
    /// Follows from primary text read together.
    PrimaryInferred,
    /// Primary text reproduced on a third-party page.
    PrimaryReproduced,
    /// Secondary analysis.
    Secondary,
    /// Derived by arithmetic.
    Derived,
    /// Unverified or conflicting.
    Open,
}

impl Evidence {
    /// The grade as written in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Primary => "P",
            Evidence::PrimaryPartial => "P-partial",
            Evidence::PrimaryInferred => "P-inferred",
            Evidence::PrimaryReproduced => "P-repro",
            Evidence::Secondary => "S",
            Evidence::Derived => "D",
            Evidence::Open => "?",
        }
    }

    /// Reads a grade.
    pub fn parse(s: &str) -> Option<Evidence> {
        Some(match s {
            "P" => Evidence::Primary,
            "P-partial" => Evidence::PrimaryPartial,
            "P-inferred" => Evidence::PrimaryInferred,
            "P-repro" => Evidence::PrimaryReproduced,
            "S" => Evidence::Secondary,
            "D" => Evidence::Derived,
            "?" => Evidence::Open,
            _ => return None,
        })
    }
}

/// Where a value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The paragraph or document.
    pub reference: String,
    /// The evidence grade.
    pub evidence: Evidence,
    /// The open question (docs/readings.md, `R1`...) a `?` value belongs to, if any.
    pub question: Option<String>,
}

/// A value in force from `from` to `to` (inclusive; `None` is open-ended).
#[derive(Clone, Debug)]
pub struct Dated<T> {
    /// The value.
    pub value: T,
    /// First day in force.
    pub from: Date,
    /// Last day in force.
    pub to: Option<Date>,
    /// Its source.
    pub source: Source,
}

/// A value found for a date.
#[derive(Clone, Copy, Debug)]
pub struct Resolved<'a, T> {
    /// The value.
    pub value: &'a T,
    /// Its source.
    pub source: &'a Source,
    /// True when no version covers the date and the nearest one was used.
    pub outside: bool,
}

/// Non-overlapping dated versions of one parameter, sorted by start date.
#[derive(Clone, Debug)]
pub struct Timeline<T>(Vec<Dated<T>>);

/// Why a timeline could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    /// No version at all.
    #[error("has no dated value")]
    Empty,
    /// Two versions cover one day.
    #[error("has two values in force on {0}")]
    Overlap(Date),
    /// A version ends before it starts.
    #[error("ends on {to} before it starts on {from}")]
    Inverted {
        /// Start.
        from: Date,
        /// End.
        to: Date,
    },
}

impl<T> Timeline<T> {
    /// Sorts and checks the versions: at least one, none inverted, none overlapping.
    pub fn new(mut versions: Vec<Dated<T>>) -> Result<Timeline<T>, TimelineError> {
        if versions.is_empty() {
            return Err(TimelineError::Empty);
        }
        versions.sort_by_key(|v| v.from);
        for v in &versions {
            if let Some(to) = v.to {
                if to < v.from {
                    return Err(TimelineError::Inverted { from: v.from, to });
                }
            }
        }
        for w in versions.windows(2) {
            let open_or_late = w[0].to.is_none_or(|to| to >= w[1].from);
            if open_or_late {
                return Err(TimelineError::Overlap(w[1].from));
            }
        }
        Ok(Timeline(versions))
    }

    /// The versions, in date order.
    pub fn versions(&self) -> &[Dated<T>] {
        &self.0
    }

    /// The versions in force on `date` (0 or 1 by construction; the coverage test counts them).
    pub fn covering(&self, date: Date) -> impl Iterator<Item = &Dated<T>> {
        self.0
            .iter()
            .filter(move |v| v.from <= date && v.to.is_none_or(|to| date <= to))
    }

    /// The value in force on `date`, or the nearest version (flagged `outside`) when none is.
    pub fn at(&self, date: Date) -> Resolved<'_, T> {
        let mut best = &self.0[0];
        for v in &self.0 {
            if v.from <= date {
                best = v;
            }
        }
        let outside = !(best.from <= date && best.to.is_none_or(|to| date <= to));
        Resolved {
            value: &best.value,
            source: &best.source,
            outside,
        }
    }
}

/// The numeric parameters of the framework.
#[derive(Clone, Debug)]
pub struct Parameters {
    /// Tier 2 per-country allocation, 2025-2027 (15 CFR 742.6(b)(10)(iii)(B)(1)).
    pub country_allocation: Timeline<Tpp>,
    /// Maximum uplift with government-to-government assurances, percent (742.6(b)(10)(iii)(C)).
    pub assurance_uplift_max_percent: Timeline<u32>,
    /// Uplift applied when a country has assurances and no other uplift is given (reading D8).
    pub assurance_uplift_default_percent: Timeline<u32>,
    /// LPP per consignee per calendar year (740.29(a)).
    pub lpp_limit: Timeline<Tpp>,
    /// AIA certification threshold (740.27(c)).
    pub aia_certification: Timeline<Tpp>,
    /// UVEU: most in any one Tier 2 country, percent (Supp. 10 to part 748 para 6).
    pub uveu_max_tier2_country_percent: Timeline<u32>,
    /// UVEU: most outside Tier 1, percent.
    pub uveu_max_outside_tier1_percent: Timeline<u32>,
    /// UVEU headquartered in the US: least in the US, percent.
    pub uveu_min_us_percent: Timeline<u32>,
    /// ECCN 4E091 threshold in operations.
    pub model_weights_threshold_operations: Timeline<u128>,
    /// TPP of one H100 (display unit, reading D11).
    pub h100_tpp: Timeline<Tpp>,
    /// NAC prior notification, days (740.8(a)).
    pub nac_notification_days: Timeline<u32>,
}

/// The country groups of one rule set.
#[derive(Clone, Debug)]
pub struct CountryGroups {
    /// Supp. No. 5 to part 740 para (a), plus the United States.
    pub tier1: Timeline<CountrySet>,
    /// Supp. No. 5 to part 740 para (b).
    pub supp5b: Timeline<CountrySet>,
    /// Country Group D:5.
    pub d5: Timeline<CountrySet>,
    /// Macau, named beside D:5.
    pub macau: Timeline<CountrySet>,
    /// Country Group D:1.
    pub d1: Timeline<CountrySet>,
    /// Country Group D:4.
    pub d4: Timeline<CountrySet>,
    /// Country Group A:5.
    pub a5: Timeline<CountrySet>,
    /// Country Group A:6.
    pub a6: Timeline<CountrySet>,
}

/// One quarter of the NVEU installed-base schedule (748.15(a)(2)(iii)(B)).
#[derive(Clone, Debug)]
pub struct NveuQuarter {
    /// The quarter.
    pub quarter: Quarter,
    /// Cumulative per-NVEU per-country cap.
    pub cap: Tpp,
    /// Source.
    pub source: Source,
}

/// ECCN 3A090 thresholds; performance densities in thousandths (5.92 -> 5920).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thresholds3a090 {
    /// 3A090.a.1 minimum TPP.
    pub a1_min_tpp: Tpp,
    /// 3A090.a.2 minimum TPP.
    pub a2_min_tpp: Tpp,
    /// 3A090.a.2 minimum PD.
    pub a2_min_pd_milli: u64,
    /// 3A090.b.1 minimum TPP.
    pub b1_min_tpp: Tpp,
    /// 3A090.b.1 TPP bound (exclusive).
    pub b1_max_tpp_exclusive: Tpp,
    /// 3A090.b.1 minimum PD.
    pub b1_min_pd_milli: u64,
    /// 3A090.b.1 PD bound (exclusive).
    pub b1_max_pd_exclusive_milli: u64,
    /// 3A090.b.2 minimum TPP.
    pub b2_min_tpp: Tpp,
    /// 3A090.b.2 minimum PD.
    pub b2_min_pd_milli: u64,
    /// 3A090.b.2 PD bound (exclusive).
    pub b2_max_pd_exclusive_milli: u64,
    /// Note 2: non-datacenter items below this TPP are outside 3A090.
    pub note2_min_tpp: Tpp,
}

/// Numerical precisions and the operand bit length each counts with.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// FP64, 64 bits.
    Fp64,
    /// TF32, 19-bit operands (the Epoch AI convention, chips.md section 2).
    Tf32,
    /// FP16/BF16, 16 bits.
    Fp16,
    /// FP8, 8 bits.
    Fp8,
    /// INT8, 8 bits.
    Int8,
    /// FP6, 6 bits.
    Fp6,
    /// FP4, 4 bits.
    Fp4,
    /// INT4, 4 bits.
    Int4,
}

impl Precision {
    /// Every precision.
    pub const ALL: [Precision; 8] = [
        Precision::Fp64,
        Precision::Tf32,
        Precision::Fp16,
        Precision::Fp8,
        Precision::Int8,
        Precision::Fp6,
        Precision::Fp4,
        Precision::Int4,
    ];

    /// The bit length of the operation (Technical Note to 3A090).
    pub fn bits(self) -> u64 {
        match self {
            Precision::Fp64 => 64,
            Precision::Tf32 => 19,
            Precision::Fp16 => 16,
            Precision::Fp8 | Precision::Int8 => 8,
            Precision::Fp6 => 6,
            Precision::Fp4 | Precision::Int4 => 4,
        }
    }

    /// The key used in rule files.
    pub fn key(self) -> &'static str {
        match self {
            Precision::Fp64 => "fp64",
            Precision::Tf32 => "tf32",
            Precision::Fp16 => "fp16",
            Precision::Fp8 => "fp8",
            Precision::Int8 => "int8",
            Precision::Fp6 => "fp6",
            Precision::Fp4 => "fp4",
            Precision::Int4 => "int4",
        }
    }
}

/// A chip in the catalog, with the figures TPP and density are computed from.
#[derive(Clone, Debug)]
pub struct Chip {
    /// Catalog id, lowercase, vendor first (`nvidia-h100-sxm`); shared with the requests and
    /// determinations that name the chip.
    pub id: std::sync::Arc<str>,
    /// Other ids that name the same chip.
    pub aliases: Vec<String>,
    /// Vendor.
    pub vendor: String,
    /// Model name.
    pub model: String,
    /// Form factor.
    pub form_factor: String,
    /// Year of introduction.
    pub year: u16,
    /// Designed or marketed for use in datacenters (Note 2 to 3A090).
    pub datacenter: bool,
    /// Applicable die area in thousandths of mm^2, when published.
    pub die_area_milli_mm2: Option<u64>,
    /// Dense throughput per precision in thousandths of TOPS/TFLOPS.
    pub dense: Vec<(Precision, u64)>,
    /// Sources of the figures.
    pub sources: Vec<String>,
    /// Total DRAM (HBM) bandwidth of one chip, thousandths of GB/s, when published.
    pub dram_bandwidth_milli_gbps: Option<u64>,
    /// First commercial availability in the United States, when known.
    pub us_available_from: Option<Date>,
    /// Country of the designer's headquarters, when known.
    pub designer_country: Option<CountryCode>,
}

impl Chip {
    /// TPP = max over precisions of dense rate x bit length (Technical Notes to 3A090); `None` on
    /// overflow or when no rate is given.
    pub fn tpp(&self) -> Option<Tpp> {
        let mut best: Option<u64> = None;
        for (p, rate) in &self.dense {
            let v = rate.checked_mul(p.bits())?;
            best = Some(best.map_or(v, |b| b.max(v)));
        }
        best.map(Tpp::from_milli)
    }

    /// The precision that sets the TPP.
    pub fn tpp_precision(&self) -> Option<Precision> {
        self.dense
            .iter()
            .max_by_key(|(p, rate)| rate.saturating_mul(p.bits()))
            .map(|(p, _)| *p)
    }
}

/// The chip catalog.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    chips: Vec<Chip>,
    index: HashMap<String, usize, BuildHasherDefault<Fnv1a>>,
}

/// FNV-1a, the index's hash: the ids are few, short and come from the rule files, so a simple fast
/// hash serves better than SipHash on the hot path (a request names its chips by id).
#[derive(Clone, Copy, Debug)]
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Why a catalog could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// Two chips share an id or alias.
    #[error("chip id `{0}` is used twice")]
    Duplicate(String),
}

impl Catalog {
    /// Builds the catalog and its id index.
    pub fn new(chips: Vec<Chip>) -> Result<Catalog, CatalogError> {
        let mut index = HashMap::default();
        for (i, c) in chips.iter().enumerate() {
            for id in std::iter::once(&*c.id).chain(c.aliases.iter().map(String::as_str)) {
                if index.insert(id.to_owned(), i).is_some() {
                    return Err(CatalogError::Duplicate(id.to_owned()));
                }
            }
        }
        Ok(Catalog { chips, index })
    }

    /// A chip by id or alias.
    pub fn get(&self, id: &str) -> Option<&Chip> {
        self.index.get(id).and_then(|&i| self.chips.get(i))
    }

    /// Every chip, in file order.
    pub fn chips(&self) -> &[Chip] {
        &self.chips
    }
}

/// One complete, validated rule set (a dated version of the rules, such as `ai-diffusion-2025`).
#[derive(Clone, Debug)]
pub struct RuleSet {
    /// Name, such as `ai-diffusion-2025` (shared with every determination made under the rule set).
    pub name: std::sync::Arc<str>,
    /// Title of the rule.
    pub title: String,
    /// Federal Register citation (shared like the name).
    pub citation: std::sync::Arc<str>,
    /// Effective date.
    pub effective_from: Date,
    /// Compliance date.
    pub compliance_from: Date,
    /// Compliance date of Supp. No. 10 to part 748 paras 14, 15 and 18.
    pub security_compliance_from: Date,
    /// Not enforced from this date.
    pub not_enforced_from: Option<Date>,
    /// Known ISO 3166-1 codes with names.
    pub countries: Vec<(CountryCode, String)>,
    /// Known codes as a set.
    pub known: CountrySet,
    /// Country groups.
    pub groups: CountryGroups,
    /// Numeric parameters.
    pub params: Parameters,
    /// NVEU quarterly schedule, sorted.
    pub nveu: Vec<NveuQuarter>,
    /// ECCN 3A090 thresholds.
    pub eccn_3a090: Thresholds3a090,
    /// Source of the thresholds.
    pub eccn_3a090_source: Source,
    /// Chip catalog.
    pub catalog: Catalog,
    /// The advanced-computing line (the regime enforced), decided by [`crate::advanced`].
    pub advanced: AdvancedComputing,
    /// The citation of each step of the framework's decision table (from the rule data).
    pub framework_citations: FrameworkCitations,
    /// The framework's citations of the screening overlay (from the same `[[step]]` list).
    pub screening_citations: ScreeningCitations,
}

impl RuleSet {
    /// The NVEU cap for the quarter of `date`; the nearest quarter (flagged) outside the schedule.
    pub fn nveu_cap(&self, date: Date) -> Option<(&NveuQuarter, bool)> {
        let q = date.quarter();
        let first = self.nveu.first()?;
        let mut best = first;
        for n in &self.nveu {
            if n.quarter <= q {
                best = n;
            }
        }
        Some((best, best.quarter != q))
    }

    /// The assurance uplift in force (15 CFR 742.6(b)(10)(iii)(C); reading D8): for a country with
    /// government-to-government assurances (or listed in Supp. No. 5 para (b)), the uplift given, else
    /// the default, never above the maximum; 0 without assurances. The one owner of this rule: the
    /// core's determination and the ledger's caps both call it.
    pub fn assurance_uplift(&self, date: Date, assured: bool, given: Option<u32>) -> u32 {
        if !assured {
            return 0;
        }
        let max = *self.params.assurance_uplift_max_percent.at(date).value;
        given
            .unwrap_or(*self.params.assurance_uplift_default_percent.at(date).value)
            .min(max)
    }

    /// The Tier 2 country allocation on `date` raised by `uplift` percent (742.6(b)(10)(iii)(B)(1),
    /// (C)), rounded down to 0.001 TPP.
    pub fn country_allocation_cap(&self, date: Date, uplift: u32) -> Tpp {
        let base = self.params.country_allocation.at(date).value.milli();
        let v = u128::from(base) * u128::from(100 + u64::from(uplift)) / 100;
        Tpp::from_milli(u64::try_from(v).unwrap_or(u64::MAX))
    }

    /// The name of a known country.
    pub fn country_name(&self, c: CountryCode) -> Option<&str> {
        self.countries
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, n)| n.as_str())
    }
}

/// A rule version chipcap can decide under (one folder of `rules/` each).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = RuleSetDoc))]
pub enum RuleSetId {
    /// The October-2023 advanced-computing controls as amended (88 FR 73458 and later): the regime
    /// enforced on every date chipcap covers.
    #[cfg_attr(feature = "schema", schema(rename = "advanced-computing-2023"))]
    AdvancedComputing2023,
    /// The Framework for Artificial Intelligence Diffusion (90 FR 4544): printed in the CFR, never
    /// enforced (BIS, 2025-05-13). Applied only when a request names it.
    #[cfg_attr(feature = "schema", schema(rename = "ai-diffusion-2025"))]
    AiDiffusion2025,
}

impl RuleSetId {
    /// Every version, the enforced one first.
    pub const ALL: [RuleSetId; 2] = [RuleSetId::AdvancedComputing2023, RuleSetId::AiDiffusion2025];

    /// The name used in requests, rule folders and determinations.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleSetId::AdvancedComputing2023 => "advanced-computing-2023",
            RuleSetId::AiDiffusion2025 => "ai-diffusion-2025",
        }
    }

    /// Reads a name.
    pub fn parse(s: &str) -> Option<RuleSetId> {
        RuleSetId::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for RuleSetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The amendments of the advanced-computing line the decision steps rest on. The rule data must
/// name each (`rules/advanced-computing-2023/regime.toml`, `[[amendment]]` with this `key`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AcStep {
    /// 88 FR 73458, effective 2023-11-17: 3A090.a/.b by TPP and density, the D:1/D:4/D:5 licence
    /// scope, the headquarters control 744.23(a)(3), License Exception NAC.
    Base,
    /// 2024-03-15: Nicaragua moved to D:1 and D:5.
    Nicaragua,
    /// 89 FR 23876, effective 2024-04-04: NAC split into NAC and ACA; 4A090.b.
    NacAca,
    /// 89 FR 40369, effective 2024-05-30: Cyprus no longer in D:5.
    Cyprus,
    /// 89 FR 80080, effective 2024-10-02: Data Center VEU.
    DataCenterVeu,
    /// 89 FR 96790, effective 2024-12-02: HBM as 3A090.c, License Exception HBM.
    Hbm,
    /// 90 FR 5298, effective 2025-01-16: foundry due diligence (presumption of 3A090.a).
    Foundry,
    /// 90 FR 9604, effective 2025-02-11: correction of the 3A090 licence requirement.
    FoundryCorrection,
    /// BIS guidance of 2025-05-13: AI Diffusion not enforced; GP10 for PRC chips; AI-training and
    /// diversion red flags.
    Guidance2025,
    /// 91 FR 1684, effective 2026-01-15: case-by-case review for qualifying AI commodities exported
    /// from the US to China or Macau.
    CaseByCase,
    /// BIS conforming rule effective 2026-02-03: Cambodia no longer in D:5 (stays in D:1).
    Cambodia,
    /// BIS guidance of 2026-05-31: the D:5/Macau headquarters requirement applies at every
    /// destination outside the US.
    HqGuidance2026,
    /// 91 FR 43034, effective 2026-07-10: the UAE leaves D:3/D:4 and joins A:5; 3A090/4A090 items
    /// still need a licence except for listed end users.
    Uae,
}

impl AcStep {
    /// Every step, in date order.
    pub const ALL: [AcStep; 13] = [
        AcStep::Base,
        AcStep::Nicaragua,
        AcStep::NacAca,
        AcStep::Cyprus,
        AcStep::DataCenterVeu,
        AcStep::Hbm,
        AcStep::Foundry,
        AcStep::FoundryCorrection,
        AcStep::Guidance2025,
        AcStep::CaseByCase,
        AcStep::Cambodia,
        AcStep::HqGuidance2026,
        AcStep::Uae,
    ];

    /// Position in [`AcStep::ALL`].
    pub fn index(self) -> usize {
        match self {
            AcStep::Base => 0,
            AcStep::Nicaragua => 1,
            AcStep::NacAca => 2,
            AcStep::Cyprus => 3,
            AcStep::DataCenterVeu => 4,
            AcStep::Hbm => 5,
            AcStep::Foundry => 6,
            AcStep::FoundryCorrection => 7,
            AcStep::Guidance2025 => 8,
            AcStep::CaseByCase => 9,
            AcStep::Cambodia => 10,
            AcStep::HqGuidance2026 => 11,
            AcStep::Uae => 12,
        }
    }

    /// The key used in the rule data.
    pub fn key(self) -> &'static str {
        match self {
            AcStep::Base => "ac-2023-11-17",
            AcStep::Nicaragua => "nicaragua-2024-03-15",
            AcStep::NacAca => "nac-aca-2024-04-04",
            AcStep::Cyprus => "cyprus-2024-05-30",
            AcStep::DataCenterVeu => "dc-veu-2024-10-02",
            AcStep::Hbm => "hbm-2024-12-02",
            AcStep::Foundry => "foundry-2025-01-16",
            AcStep::FoundryCorrection => "foundry-correction-2025-02-11",
            AcStep::Guidance2025 => "guidance-2025-05-13",
            AcStep::CaseByCase => "case-by-case-2026-01-15",
            AcStep::Cambodia => "cambodia-2026-02-03",
            AcStep::HqGuidance2026 => "hq-guidance-2026-05-31",
            AcStep::Uae => "uae-2026-07-10",
        }
    }
}

/// The decision steps of the AI Diffusion framework (`ai-diffusion-2025`) that cite the rule: the rule
/// data give each one its citation (`rules/ai-diffusion-2025/framework.toml`, `[[step]]` with this
/// `key`), and [`crate::determine`] cites only from there ([`FrameworkCitations`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FwStep {
    /// The rule set itself (the reason naming the version; the notice before its effective date).
    RuleSet,
    /// A Tier 1 destination (Supp. No. 5 to part 740 para (a)).
    Tier1,
    /// A Tier 2 destination or headquarters.
    Tier2,
    /// A Tier 3 destination or headquarters (D:5 and Macau).
    Tier3,
    /// The classification of an item under ECCN 3A090.
    Eccn3a090,
    /// Note 2 to ECCN 3A090 (items not designed or marketed for datacenters).
    Note2,
    /// High-bandwidth memory (3A090.c), outside the framework.
    Eccn3a090c,
    /// The licence requirement for 3A090.a items.
    LicenceA,
    /// The licence requirement for 3A090.b items by destination.
    LicenceB,
    /// The licence requirement for 3A090.b items by headquarters.
    LicenceBHeadquarters,
    /// License Exception AIA.
    Aia,
    /// The AIA consignee certification.
    AiaCertification,
    /// The AIA certification threshold.
    AiaReporting,
    /// AIA for model weights.
    AiaWeights,
    /// Who may hold a UVEU.
    UveuEligibility,
    /// The UVEU geographic shares.
    UveuLimits,
    /// Who may hold an NVEU.
    NveuEligibility,
    /// The NVEU quarterly installed-base cap.
    NveuCap,
    /// Data Center VEU reports.
    VeuReporting,
    /// License Exception LPP.
    Lpp,
    /// 740.2(a)(9)(ii): the exceptions usable in D:1/D:4/D:5 and Macau.
    Lpp7402,
    /// License Exception NAC.
    Nac,
    /// License Exception ACA.
    Aca,
    /// License Exception ACM.
    Acm,
    /// Review policy: presumption of denial for Macau and D:5.
    PolicyA1,
    /// Review policy: presumption of approval for Tier 1.
    PolicyA2,
    /// Review policy within the Tier 2 country allocation (and the allocation itself).
    PolicyB1,
    /// Review policy after the Tier 2 country allocation is met.
    PolicyB2,
    /// The allocation raised by government-to-government assurances.
    PolicyC,
    /// Review policy for 3A090.b items.
    PolicyBItems,
    /// Review policy for model weights.
    PolicyWeights,
    /// ECCN 4E091 model weights and their licence requirement.
    Weights,
    /// Note 2 to ECCN 4E091 (the threshold raised to the most capable published model).
    WeightsNote2,
    /// Published weights are not subject to the EAR.
    Published,
    /// The storage security of model weights.
    WeightsStorage,
}

impl FwStep {
    /// Every step, in the order of the rule data.
    pub const ALL: [FwStep; 35] = [
        FwStep::RuleSet,
        FwStep::Tier1,
        FwStep::Tier2,
        FwStep::Tier3,
        FwStep::Eccn3a090,
        FwStep::Note2,
        FwStep::Eccn3a090c,
        FwStep::LicenceA,
        FwStep::LicenceB,
        FwStep::LicenceBHeadquarters,
        FwStep::Aia,
        FwStep::AiaCertification,
        FwStep::AiaReporting,
        FwStep::AiaWeights,
        FwStep::UveuEligibility,
        FwStep::UveuLimits,
        FwStep::NveuEligibility,
        FwStep::NveuCap,
        FwStep::VeuReporting,
        FwStep::Lpp,
        FwStep::Lpp7402,
        FwStep::Nac,
        FwStep::Aca,
        FwStep::Acm,
        FwStep::PolicyA1,
        FwStep::PolicyA2,
        FwStep::PolicyB1,
        FwStep::PolicyB2,
        FwStep::PolicyC,
        FwStep::PolicyBItems,
        FwStep::PolicyWeights,
        FwStep::Weights,
        FwStep::WeightsNote2,
        FwStep::Published,
        FwStep::WeightsStorage,
    ];

    /// Position in [`FwStep::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The key used in the rule data.
    pub fn key(self) -> &'static str {
        match self {
            FwStep::RuleSet => "rule_set",
            FwStep::Tier1 => "tier1",
            FwStep::Tier2 => "tier2",
            FwStep::Tier3 => "tier3",
            FwStep::Eccn3a090 => "eccn_3a090",
            FwStep::Note2 => "note2_3a090",
            FwStep::Eccn3a090c => "eccn_3a090c",
            FwStep::LicenceA => "licence_a",
            FwStep::LicenceB => "licence_b",
            FwStep::LicenceBHeadquarters => "licence_b_headquarters",
            FwStep::Aia => "aia",
            FwStep::AiaCertification => "aia_certification",
            FwStep::AiaReporting => "aia_reporting",
            FwStep::AiaWeights => "aia_weights",
            FwStep::UveuEligibility => "uveu_eligibility",
            FwStep::UveuLimits => "uveu_limits",
            FwStep::NveuEligibility => "nveu_eligibility",
            FwStep::NveuCap => "nveu_cap",
            FwStep::VeuReporting => "veu_reporting",
            FwStep::Lpp => "lpp",
            FwStep::Lpp7402 => "lpp_740_2",
            FwStep::Nac => "nac",
            FwStep::Aca => "aca",
            FwStep::Acm => "acm",
            FwStep::PolicyA1 => "policy_a1",
            FwStep::PolicyA2 => "policy_a2",
            FwStep::PolicyB1 => "policy_b1",
            FwStep::PolicyB2 => "policy_b2",
            FwStep::PolicyC => "policy_c",
            FwStep::PolicyBItems => "policy_b_items",
            FwStep::PolicyWeights => "policy_weights",
            FwStep::Weights => "weights_4e091",
            FwStep::WeightsNote2 => "weights_note2",
            FwStep::Published => "published",
            FwStep::WeightsStorage => "weights_storage",
        }
    }
}

/// A step of a decision table whose citation comes from the rule data: each has a key in the rule
/// files and a position in `ALL`.
pub trait CitedStep: Copy + 'static {
    /// Every step, in the order of the table.
    const ALL: &'static [Self];
    /// Position in `ALL`.
    fn index(self) -> usize;
    /// The key used in the rule data.
    fn key(self) -> &'static str;
}

impl CitedStep for FwStep {
    const ALL: &'static [FwStep] = &FwStep::ALL;
    fn index(self) -> usize {
        FwStep::index(self)
    }
    fn key(self) -> &'static str {
        FwStep::key(self)
    }
}

/// The citation of every step of a table (`S`), composed once when the rules load and shared (a
/// reference count, no allocation) by every reason and notice that cites it.
#[derive(Clone, Debug)]
pub struct Citations<S, const N: usize> {
    cites: [crate::determination::Citation; N],
    step: std::marker::PhantomData<S>,
}

/// The citation of every framework step ([`FwStep`]).
pub type FrameworkCitations = Citations<FwStep, { FwStep::ALL.len() }>;

/// The citations of the restricted-party screening overlay ([`ScreeningStep`]), one table per line.
pub type ScreeningCitations = Citations<ScreeningStep, { ScreeningStep::ALL.len() }>;

/// The paragraphs the enforced line cites ([`AcPara`]).
pub type AcParagraphs = Citations<AcPara, { AcPara::ALL.len() }>;

impl<S: CitedStep, const N: usize> Citations<S, N> {
    /// From one citation per step, in the order of `S::ALL`. Each is checked once here for
    /// characters JSON must escape, so that the writer copies a clean one as it is.
    pub fn new(citations: [std::sync::Arc<str>; N]) -> Citations<S, N> {
        use crate::determination::Citation;
        Citations {
            cites: citations.map(|c| {
                if crate::wire::needs_no_escape(&c) {
                    Citation::Clean(c)
                } else {
                    Citation::Shared(c)
                }
            }),
            step: std::marker::PhantomData,
        }
    }

    /// The citation of `step`.
    pub fn get(&self, step: S) -> &crate::determination::Citation {
        // In bounds: `N` is `S::ALL.len()` (the aliases above), and a step's index is its position.
        &self.cites[step.index()]
    }
}

/// The steps of the restricted-party screening overlay that both lines apply after their own table
/// ([`crate::determine::apply_screening`]). Each line's rule data give every one its citation
/// (`[[step]]` in `ai-diffusion-2025/framework.toml`, `[[paragraph]]` in
/// `advanced-computing-2023/regime.toml`, with this `key`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScreeningStep {
    /// Screening itself: skipped, not performed, a list that shrank, or every party clear.
    Screening,
    /// A possible match left for a person to review (the red-flag guidance).
    Review,
    /// A party on the Entity List.
    EntityList,
    /// A party on the Military End-User List.
    MilitaryEndUser,
    /// A party under a denial order (Denied Persons List).
    DeniedPersons,
    /// A party on the Unverified List.
    Unverified,
    /// A party on a list administered outside the EAR (OFAC's SDN list, State's lists).
    OutsideEar,
}

impl ScreeningStep {
    /// Every step, in the order of the rule data.
    pub const ALL: [ScreeningStep; 7] = [
        ScreeningStep::Screening,
        ScreeningStep::Review,
        ScreeningStep::EntityList,
        ScreeningStep::MilitaryEndUser,
        ScreeningStep::DeniedPersons,
        ScreeningStep::Unverified,
        ScreeningStep::OutsideEar,
    ];
}

impl CitedStep for ScreeningStep {
    const ALL: &'static [ScreeningStep] = &ScreeningStep::ALL;
    fn index(self) -> usize {
        self as usize
    }
    fn key(self) -> &'static str {
        match self {
            ScreeningStep::Screening => "screening",
            ScreeningStep::Review => "screening_review",
            ScreeningStep::EntityList => "entity_list",
            ScreeningStep::MilitaryEndUser => "military_end_user",
            ScreeningStep::DeniedPersons => "denied_persons",
            ScreeningStep::Unverified => "unverified_list",
            ScreeningStep::OutsideEar => "outside_ear",
        }
    }
}

/// The paragraphs the enforced line's steps cite (a reason's citation is the paragraph and the
/// amendment it rests on; a notice may cite the paragraph alone). The rule data give each one its
/// text (`advanced-computing-2023/regime.toml`, `[[paragraph]]` with this `key`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AcPara {
    /// The country groups (Supp. No. 1 to part 740).
    Groups,
    /// ECCN 3A090.
    Eccn3a090,
    /// The note to 3A090 (items not designed or marketed for datacenters).
    Note,
    /// ECCN 3A090.c (high-bandwidth memory).
    Eccn3a090c,
    /// ECCN 4A090.
    Eccn4a090,
    /// The destination licence requirement (742.6(a)(6)(iii)).
    ReqDest,
    /// The headquarters licence requirement (744.23(a)(3)).
    ReqHq,
    /// License Exception NAC.
    Nac,
    /// License Exception ACA.
    Aca,
    /// NAC and ACA as a whole (740.8).
    NacScope,
    /// The licence review policy (742.6(b)(10)).
    Policy,
    /// ECCN 4E091 (model weights), printed but not enforced.
    Weights,
    /// General Prohibition 10.
    Gp10,
    /// License Exception HBM.
    LeHbm,
    /// Supp. No. 2 to part 748.
    Supp2To748,
    /// The end-use controls (744.6, 744.22, 744.23).
    EndUse,
    /// "Is-informed" letters (744.23(b)).
    IsInformed,
}

impl AcPara {
    /// Every paragraph, in the order of the rule data.
    pub const ALL: [AcPara; 17] = [
        AcPara::Groups,
        AcPara::Eccn3a090,
        AcPara::Note,
        AcPara::Eccn3a090c,
        AcPara::Eccn4a090,
        AcPara::ReqDest,
        AcPara::ReqHq,
        AcPara::Nac,
        AcPara::Aca,
        AcPara::NacScope,
        AcPara::Policy,
        AcPara::Weights,
        AcPara::Gp10,
        AcPara::LeHbm,
        AcPara::Supp2To748,
        AcPara::EndUse,
        AcPara::IsInformed,
    ];
}

impl CitedStep for AcPara {
    const ALL: &'static [AcPara] = &AcPara::ALL;
    fn index(self) -> usize {
        self as usize
    }
    fn key(self) -> &'static str {
        match self {
            AcPara::Groups => "country_groups",
            AcPara::Eccn3a090 => "eccn_3a090",
            AcPara::Note => "note_3a090",
            AcPara::Eccn3a090c => "eccn_3a090c",
            AcPara::Eccn4a090 => "eccn_4a090",
            AcPara::ReqDest => "licence_destination",
            AcPara::ReqHq => "licence_headquarters",
            AcPara::Nac => "nac",
            AcPara::Aca => "aca",
            AcPara::NacScope => "nac_aca",
            AcPara::Policy => "review_policy",
            AcPara::Weights => "weights_4e091",
            AcPara::Gp10 => "gp10",
            AcPara::LeHbm => "license_exception_hbm",
            AcPara::Supp2To748 => "supp2_part748",
            AcPara::EndUse => "end_use",
            AcPara::IsInformed => "is_informed_letters",
        }
    }
}

#[cfg(test)]
mod fw_step_tests {
    use super::*;

    #[test]
    fn steps_are_indexed_by_their_position_and_keyed_once() {
        fn check<S: CitedStep>() {
            for (i, s) in S::ALL.iter().enumerate() {
                assert_eq!(s.index(), i);
                assert_eq!(S::ALL.iter().filter(|x| x.key() == s.key()).count(), 1);
            }
        }
        check::<FwStep>();
        check::<ScreeningStep>();
        check::<AcPara>();
        // The screening keys share the framework's `[[step]]` list and the enforced line's
        // `[[paragraph]]` list: no key may be in both tables of a file.
        for s in ScreeningStep::ALL {
            assert!(!FwStep::ALL.iter().any(|f| f.key() == s.key()), "{s:?}");
            assert!(!AcPara::ALL.iter().any(|p| p.key() == s.key()), "{s:?}");
        }
    }

    #[test]
    fn a_citation_that_needs_escaping_is_escaped() {
        use crate::determination::Citation;
        let mut v: [std::sync::Arc<str>; FwStep::ALL.len()] =
            std::array::from_fn(|_| std::sync::Arc::from("15 CFR 740.29(a)"));
        v[FwStep::Lpp.index()] = std::sync::Arc::from("a \"quoted\" text");
        let c = FrameworkCitations::new(v);
        assert!(matches!(c.get(FwStep::Lpp), Citation::Shared(_)));
        assert!(matches!(c.get(FwStep::Aia), Citation::Clean(_)));
    }
}

/// One dated amendment (instrument) of a rule line.
#[derive(Clone, Debug)]
pub struct Amendment {
    /// Which step.
    pub step: AcStep,
    /// Effective date.
    pub effective_from: Date,
    /// The instrument (`88 FR 73458`), shared with the reasons that rest on it.
    pub citation: std::sync::Arc<str>,
    /// Title.
    pub title: String,
    /// What it changed.
    pub summary: String,
    /// Where it was read, and how strongly.
    pub source: Source,
}

/// Numeric parameters of the advanced-computing line.
#[derive(Clone, Debug)]
pub struct AcParameters {
    /// NAC prior notification, days (740.8(a)).
    pub nac_notification_days: Timeline<u32>,
    /// Case-by-case review: TPP must be below this (91 FR 1684).
    pub case_by_case_max_tpp: Timeline<Tpp>,
    /// Case-by-case review: total DRAM bandwidth must be below this, thousandths of GB/s.
    pub case_by_case_max_dram_bandwidth_milli_gbps: Timeline<u64>,
    /// Case-by-case review: the item must have been commercially available in the US on this date.
    pub case_by_case_available_on: Timeline<Date>,
    /// China+Macau licensed shipments at most this share of US end-use shipments, percent.
    pub china_us_share_max_percent: Timeline<u32>,
    /// 3A090.c: HBM with memory bandwidth density above this, thousandths of GB/s per mm^2.
    pub hbm_min_density_milli: Timeline<u64>,
    /// TPP of one H100 for display (reading D11).
    pub h100_tpp: Timeline<Tpp>,
}

/// Country groups of the advanced-computing line (Supp. No. 1 to part 740), dated.
#[derive(Clone, Debug)]
pub struct AcGroups {
    /// D:1.
    pub d1: Timeline<CountrySet>,
    /// D:4.
    pub d4: Timeline<CountrySet>,
    /// D:5.
    pub d5: Timeline<CountrySet>,
    /// Macau, named beside D:5.
    pub macau: Timeline<CountrySet>,
    /// A:5.
    pub a5: Timeline<CountrySet>,
    /// A:6.
    pub a6: Timeline<CountrySet>,
    /// Remote-access screening countries of the 2026-01-15 certifications (KYC).
    pub remote_access_concern: Timeline<CountrySet>,
    /// Destinations outside the D-group scope where 3A090/4A090 items still need a licence except
    /// for listed end users (the UAE from 2026-07-10, 91 FR 43034).
    pub listed_end_user_scope: Timeline<CountrySet>,
}

/// Chips BIS told their makers need a licence to China (with Hong Kong and Macau), D:5 and
/// D:5-headquartered parties (15 CFR 744.23(b) letters; reported, not published).
#[derive(Clone, Debug)]
pub struct IsInformed {
    /// Catalog ids.
    pub chips: Vec<String>,
    /// When the letters were received.
    pub from: Date,
    /// Source.
    pub source: Source,
}

/// An end user named in the rule data whose exports are exempt from a destination's
/// advanced-computing licence requirement (the UAE's Supp. No. 8 entities, 91 FR 43034).
#[derive(Clone, Debug)]
pub struct ListedEndUser {
    /// The name as listed (shared with the reasons that name it).
    pub name: std::sync::Arc<str>,
    /// Its country.
    pub country: CountryCode,
    /// First day listed.
    pub from: Date,
    /// Last day listed (the listing expires), if any.
    pub to: Option<Date>,
    /// Source.
    pub source: Source,
}

impl ListedEndUser {
    /// Whether `name` names this end user: its words, case and punctuation folded, begin with the
    /// listed name's words (`G42` matches `G42 Holding Ltd`, not `G420 Ltd`).
    pub fn names(&self, name: &str) -> bool {
        fn words(s: &str) -> impl Iterator<Item = &str> {
            s.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
        }
        fn same(a: &str, b: &str) -> bool {
            a.chars()
                .flat_map(char::to_lowercase)
                .eq(b.chars().flat_map(char::to_lowercase))
        }
        // Most names differ in their first letter: decide those without walking the words.
        let first = |s: &str| {
            s.chars()
                .find(|c| c.is_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
        };
        if first(name) != first(&self.name) {
            return false;
        }
        let mut given = words(name);
        let mut any = false;
        for w in words(&self.name) {
            any = true;
            match given.next() {
                Some(g) if same(w, g) => {}
                _ => return false,
            }
        }
        any
    }

    /// Whether the listing is in force on `date`.
    pub fn in_force(&self, date: Date) -> bool {
        self.from <= date && self.to.is_none_or(|t| date <= t)
    }
}

/// The advanced-computing line: its amendments, groups and parameters.
#[derive(Clone, Debug)]
pub struct AdvancedComputing {
    /// `advanced-computing-2023` (shared with every determination made under it).
    pub name: std::sync::Arc<str>,
    /// Title.
    pub title: String,
    /// Base citation (shared like the name).
    pub citation: std::sync::Arc<str>,
    /// First date the line answers for.
    pub covered_from: Date,
    /// The amendments, in the order of [`AcStep::ALL`] (indexed by [`AcStep::index`]); every step
    /// once.
    pub amendments: Vec<Amendment>,
    /// Country groups.
    pub groups: AcGroups,
    /// Parameters.
    pub params: AcParameters,
    /// End users exempt from a destination's listed-end-user licence requirement.
    pub listed_end_users: Vec<ListedEndUser>,
    /// Chips named in BIS "is-informed" letters (15 CFR 744.23(b)), which are not in the CFR.
    pub is_informed: Vec<IsInformed>,
    /// The text of each paragraph the line cites (from the rule data, `[[paragraph]]`).
    pub paragraphs: AcParagraphs,
    /// The line's citations of the screening overlay (from the same `[[paragraph]]` list).
    pub screening_citations: ScreeningCitations,
    /// Citations composed once from the data (see `advanced::prepare_citations`); empty until then.
    pub citations: Vec<std::sync::Arc<str>>,
    /// The version line of each amendment, composed once; empty until prepared.
    pub version_citations: Vec<std::sync::Arc<str>>,
}

impl AdvancedComputing {
    /// The amendment of a step (the loader guarantees each step is present).
    pub fn amendment(&self, step: AcStep) -> Option<&Amendment> {
        match self.amendments.get(step.index()) {
            Some(a) if a.step == step => Some(a),
            _ => self.amendments.iter().find(|a| a.step == step),
        }
    }

    /// Whether the step is in force on `date`.
    pub fn in_force(&self, step: AcStep, date: Date) -> bool {
        self.amendment(step)
            .is_some_and(|a| a.effective_from <= date)
    }

    /// The latest amendment in force on `date` (the version of the line applied).
    pub fn version_on(&self, date: Date) -> Option<&Amendment> {
        self.amendments
            .iter()
            .filter(|a| a.effective_from <= date)
            .max_by_key(|a| a.effective_from)
    }
}

/// Why no rule version answers for a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// The date is before every version.
    #[error("{date} is before the earliest date chipcap covers ({earliest}, {rule_set})")]
    NotCovered {
        /// The date asked for.
        date: Date,
        /// The earliest covered date.
        earliest: Date,
        /// The version whose coverage was asked for.
        rule_set: RuleSetId,
    },
}

impl RuleSet {
    /// First date a version answers for: the advanced-computing line from its first amendment; the
    /// framework from the same date (it is applied as printed, with notices, to any date the
    /// enforced line covers, so that analysts can compare the two).
    pub fn covered_from(&self, id: RuleSetId) -> Date {
        match id {
            RuleSetId::AdvancedComputing2023 | RuleSetId::AiDiffusion2025 => {
                self.advanced.covered_from
            }
        }
    }

    /// The version that answers a request on `date`: the one named, or else the one enforced on
    /// that date (the advanced-computing line on every date it covers: the framework's compliance
    /// date, 2025-05-15, came after BIS announced on 2025-05-13 that it would not enforce it).
    pub fn select(&self, named: Option<RuleSetId>, date: Date) -> Result<RuleSetId, SelectError> {
        let id = named.unwrap_or(RuleSetId::AdvancedComputing2023);
        let earliest = self.covered_from(id);
        if date < earliest {
            return Err(SelectError::NotCovered {
                date,
                earliest,
                rule_set: id,
            });
        }
        Ok(id)
    }
}
