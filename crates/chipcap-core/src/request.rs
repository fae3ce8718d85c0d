//! A proposed export, validated: what the core decides on.

use crate::country::CountryCode;
use crate::date::Date;
use crate::units::Tpp;

/// A proposed export, import-free of wire concerns (see `wire` for the JSON contract).
#[derive(Clone, Debug)]
pub struct Request {
    /// The decision date (reading D10: an input, never read from a clock here).
    pub date: Date,
    /// Where the items are going (and installed: reading D7).
    pub destination: CountryCode,
    /// Chips or model weights.
    pub subject: Subject,
    /// The ultimate consignee.
    pub consignee: Consignee,
    /// A declared end use that can open License Exception ACM.
    pub end_use: Option<EndUse>,
    /// Other parties to screen: the end user and intermediate consignees (name, country).
    pub other_parties: Vec<Party>,
    /// What has already been drawn.
    pub context: Context,
    /// Switches for open readings.
    pub options: Options,
    /// The rule version named in the request (`rule_set`); `None`: the version enforced on `date`.
    pub rule_set: Option<crate::params::RuleSetId>,
    /// What kind of transaction this is (`transaction`, default `export`).
    pub transaction: Transaction,
}

/// The kind of transaction (15 CFR 772.1 terms): it matters for the 2026-01-15 case-by-case policy.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = TransactionDoc, rename_all = "snake_case"))]
pub enum Transaction {
    /// An export from the United States.
    #[default]
    Export,
    /// A reexport from one foreign country to another.
    Reexport,
    /// An export from abroad of a foreign-made item subject to the EAR.
    ExportFromAbroad,
    /// A transfer (in-country).
    Transfer,
}

impl Transaction {
    /// As written in requests.
    pub fn as_str(self) -> &'static str {
        match self {
            Transaction::Export => "export",
            Transaction::Reexport => "reexport",
            Transaction::ExportFromAbroad => "export_from_abroad",
            Transaction::Transfer => "transfer",
        }
    }

    /// Reads a transaction kind.
    pub fn parse(s: &str) -> Option<Transaction> {
        [
            Transaction::Export,
            Transaction::Reexport,
            Transaction::ExportFromAbroad,
            Transaction::Transfer,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// What an item line is.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = ItemFormDoc, rename_all = "lowercase"))]
pub enum ItemForm {
    /// Integrated circuits (ECCN 3A090.a/.b).
    #[default]
    Ic,
    /// Computers, electronic assemblies or components containing such ICs (ECCN 4A090.a/.b); the
    /// figures are those of the IC they contain, the quantity counts ICs.
    Computer,
    /// High-bandwidth memory stacks (ECCN 3A090.c).
    Hbm,
}

impl ItemForm {
    /// As written in requests.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemForm::Ic => "ic",
            ItemForm::Computer => "computer",
            ItemForm::Hbm => "hbm",
        }
    }
}

/// What is being exported.
#[derive(Clone, Debug)]
pub enum Subject {
    /// Integrated circuits.
    Items(Vec<Item>),
    /// Parameters of an AI model (ECCN 4E091).
    ModelWeights(ModelWeights),
}

/// A line of chips.
#[derive(Clone, Debug)]
pub struct Item {
    /// The catalog id (shared with the catalog), or `None` for an explicit specification.
    pub chip: Option<std::sync::Arc<str>>,
    /// Units.
    pub quantity: u64,
    /// TPP of one unit.
    pub unit_tpp: Tpp,
    /// Applicable die area, thousandths of mm^2.
    pub die_area_milli_mm2: Option<u64>,
    /// Designed or marketed for datacenters.
    pub datacenter: bool,
    /// True when `datacenter` was not given and the stricter reading was assumed.
    pub datacenter_assumed: bool,
    /// IC, computer (4A090) or HBM (3A090.c).
    pub form: ItemForm,
    /// Total DRAM bandwidth of one IC, thousandths of GB/s (given or from the catalog).
    pub dram_bandwidth_milli_gbps: Option<u64>,
    /// First commercial availability in the US (given or from the catalog).
    pub us_available_from: Option<Date>,
    /// Country of the designer's headquarters (given or from the catalog).
    pub designer_country: Option<CountryCode>,
    /// HBM only: package or stack area, thousandths of mm^2 (the bandwidth is
    /// `dram_bandwidth_milli_gbps`); 'memory bandwidth density' is their ratio (3A090.c).
    pub hbm_area_milli_mm2: Option<u64>,
}

/// Model weights.
#[derive(Clone, Debug)]
pub struct ModelWeights {
    /// Operations used to train the model (including fine-tuning).
    pub training_operations: u128,
    /// Whether the weights are published (15 CFR 734.7(a)).
    pub published: bool,
}

/// The authorisation the consignee claims to hold.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = AuthorizationDoc, rename_all = "lowercase"))]
pub enum ClaimedAuthorization {
    /// None.
    None,
    /// Universal Validated End User.
    Uveu,
    /// National Validated End User (for the destination country).
    Nveu,
}

/// The ultimate consignee.
#[derive(Clone, Debug)]
pub struct Consignee {
    /// Name.
    pub name: String,
    /// Headquarters of the consignee or its ultimate parent, whichever is stricter.
    pub headquarters: CountryCode,
    /// True when the headquarters was not given and the destination was assumed.
    pub headquarters_assumed: bool,
    /// VEU authorisation claimed.
    pub authorization: ClaimedAuthorization,
    /// The consignee (or end user) provides infrastructure as a service (2025-05-13 guidance).
    pub iaas_provider: bool,
}

/// A party named in the request other than the ultimate consignee.
#[derive(Clone, Debug)]
pub struct Party {
    /// Its role.
    pub role: PartyRole,
    /// Name.
    pub name: String,
    /// Country, if given.
    pub country: Option<CountryCode>,
}

/// End uses License Exception ACM covers (15 CFR 740.28).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = EndUseDoc, rename_all = "lowercase"))]
pub enum EndUse {
    /// Development.
    Development,
    /// Production.
    Production,
    /// Storage in a warehouse before onward shipment.
    Storage,
    /// Anything else (no exception follows from it).
    Other,
}

/// Balances already drawn, supplied by the caller or the ledger; absent values are zero/false.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Country allocation used by the destination since 2025-01-01.
    pub country_allocation_used: Tpp,
    /// Whether the destination has government-to-government assurances.
    pub government_assurances: bool,
    /// Uplift granted with the assurances, percent (default per reading D8).
    pub assurance_uplift_percent: Option<u32>,
    /// LPP used by the consignee in the calendar year of the decision date.
    pub consignee_lpp_used: Tpp,
    /// NVEU installed base of the consignee in the destination.
    pub nveu_installed: Tpp,
    /// UVEU installed base of the consignee by country.
    pub uveu_installed_by_country: Vec<(CountryCode, Tpp)>,
    /// Cumulative TPP the consignee has received under AIA.
    pub consignee_aia_cumulative: Tpp,
    /// Operations needed to train a model as capable as the most capable published one (Note 2 to 4E091).
    pub most_capable_published_model_operations: Option<u128>,
    /// Restricted-party screening of the parties, gathered at the edge.
    pub screening: Screening,
    /// Per product: licensed China+Macau shipments and US end-use shipments recorded so far
    /// (91 FR 1684's 50% certification), filled by the ledger; empty when not tracked.
    pub china_us: Vec<ChinaUsBalance>,
}

/// One product's shipments to China and Macau against its US end-use shipments, in TPP (the ratio
/// of units, since every unit of one product has the same TPP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChinaUsBalance {
    /// The catalog id.
    pub chip: std::sync::Arc<str>,
    /// Licensed shipments to China and Macau so far.
    pub china_macau: Tpp,
    /// Shipments to US end-use customers so far.
    pub us_end_use: Tpp,
}

/// Restricted-party screening as gathered by the edge (the core never runs the matcher).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Screening {
    /// Whether the parties were screened, and against what.
    pub status: ScreeningStatus,
    /// Hits at or above the review threshold.
    pub hits: Vec<ScreeningHit>,
    /// Warnings about the lists used, from the edge (a list version that shrank sharply against
    /// the one before it): each becomes a `screening_list_shrank` notice.
    pub warnings: Vec<String>,
}

/// Whether screening ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ScreeningStatus {
    /// No screening was done (no lists available to the edge).
    #[default]
    NotPerformed,
    /// The user chose to skip screening (`options.skip_screening`).
    Skipped,
    /// Screened against the named list versions.
    Performed {
        /// The list versions, for the record (e.g. `csl 2026-11-20`).
        lists: Vec<String>,
        /// Match threshold in thousandths.
        match_threshold_milli: u32,
        /// Review threshold in thousandths.
        review_threshold_milli: u32,
        /// How many party names were screened.
        parties: usize,
    },
}

/// Which party a hit is for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PartyRole {
    /// The ultimate consignee.
    Consignee,
    /// The end user.
    EndUser,
    /// An intermediate consignee.
    IntermediateConsignee,
}

impl PartyRole {
    /// As written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PartyRole::Consignee => "consignee",
            PartyRole::EndUser => "end_user",
            PartyRole::IntermediateConsignee => "intermediate_consignee",
        }
    }
}

/// The kind of restricted-party list an entry is on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ListClass {
    /// BIS Entity List (Supp. No. 4 to part 744).
    EntityList,
    /// BIS Military End-User List (Supp. No. 7 to part 744).
    MilitaryEndUser,
    /// BIS Unverified List (Supp. No. 6 to part 744).
    Unverified,
    /// BIS Denied Persons List (denial orders).
    DeniedPersons,
    /// OFAC SDN list.
    Sdn,
    /// Any other list (OFAC non-SDN, State lists).
    Other,
}

/// A reviewer's decision on a hit.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Confirmed: the party is the listed entity.
    TrueMatch,
    /// Cleared: the party is not the listed entity.
    FalsePositive,
}

/// One screening hit with the list entry it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreeningHit {
    /// Which party.
    pub role: PartyRole,
    /// The party's name as screened.
    pub party: String,
    /// The list source as published.
    pub source: String,
    /// Its kind.
    pub class: ListClass,
    /// Entity number or id on the list.
    pub entity_number: Option<String>,
    /// The entry's primary name.
    pub entry_name: String,
    /// The name or alias that matched.
    pub matched_name: String,
    /// Score in thousandths.
    pub score_milli: u32,
    /// At or above the match threshold.
    pub is_match: bool,
    /// The entry's licence requirement.
    pub license_requirement: Option<String>,
    /// The entry's licence review policy.
    pub license_policy: Option<String>,
    /// Federal Register notice of the entry.
    pub federal_register_notice: Option<String>,
    /// A reviewer's disposition that still applies, if any.
    pub disposition: Option<Disposition>,
}

/// Switches for readings of open questions.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Follow 15 CFR 740.2(a)(9)(ii) literally: no LPP to D:1/D:4 outside A:5/A:6 (reading D3).
    pub strict_740_2: bool,
    /// Override of the 4E091 threshold (reading D6).
    pub model_threshold_operations: Option<u128>,
    /// TPP of one H100 for display (reading D11).
    pub h100_tpp: Option<Tpp>,
    /// Skip restricted-party screening (the determination says so).
    pub skip_screening: bool,
}
