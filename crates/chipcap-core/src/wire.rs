//! The JSON contract (docs/contract.md): request documents in, determinations out.
//!
//! Wire types are separate from core types and converted with validation ("parse, don't validate").
//! Every error names the field path and the bad value.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::country::CountryCode;

mod scan;
use crate::date::Date;
use crate::determination::*;
use crate::params::RuleSet;
#[cfg(feature = "schema")]
use crate::params::RuleSetId;
use crate::request::*;
use crate::units::{
    parse_decimal, parse_milli, push_milli_grouped, push_milli_plain, push_uint, push_uint_pad2,
    DecimalError, Tpp,
};

/// A request that cannot be read; `field` is the JSON path (`items[0].quantity`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}` {message}")]
pub struct WireError {
    /// The path of the field at fault (empty for the document itself).
    pub field: String,
    /// What is wrong with it, naming the bad value.
    pub message: String,
}

impl WireError {
    /// An error naming `field` (empty for the document itself).
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> WireError {
        err(field, message)
    }
}

impl From<crate::DetermineError> for WireError {
    /// The field a determination error is about: the item, the items, or the date.
    fn from(e: crate::DetermineError) -> WireError {
        use crate::DetermineError as D;
        match e {
            D::Classify { index, source } => err(format!("items[{index}]"), source.to_string()),
            D::Overflow | D::NoItems => err("items", e.to_string()),
            D::NotCovered(s) => err("date", s.to_string()),
        }
    }
}

fn err(field: impl Into<String>, message: impl Into<String>) -> WireError {
    WireError {
        field: field.into(),
        message: message.into(),
    }
}

/// The exact text of a JSON value as the document spells it (a number, or a string with its quotes);
/// read through serde_json's `RawValue`, or by [`scan`].
#[derive(Clone, Copy, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Raw<'a>(&'a str);

/// In the OpenAPI document a decimal is a JSON number or a string holding one (read exactly).
#[cfg(feature = "schema")]
impl utoipa::PartialSchema for Raw<'_> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Number, Type::String]))
            .description(Some(
                "A decimal: a JSON number, or a string holding one (`\"1.2e26\"`); read exactly.",
            ))
            .into()
    }
}

#[cfg(feature = "schema")]
impl utoipa::ToSchema for Raw<'_> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Decimal")
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Raw<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(d).map(|r| Raw(r.get()))
    }
}

/// A map from country code to TPP, as serde reads it into a `BTreeMap` (sorted by key, a repeated
/// key keeping its last value), kept as pairs in that order.
#[cfg_attr(test, derive(Debug, PartialEq))]
struct ByCountry<'a>(Vec<(Cow<'a, str>, Raw<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for ByCountry<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = BTreeMap::<String, Raw<'a>>::deserialize(d)?;
        Ok(ByCountry(
            m.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect(),
        ))
    }
}

/// A request document (docs/contract.md): what is exported, where, to whom, on which date.
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = RequestDoc, example = json!({"date": "2025-06-15", "destination": "AE", "items": [{"chip": "nvidia-h100-sxm", "quantity": 2000}], "consignee": {"name": "Example AI LLC", "headquarters": "AE", "authorization": "none"}})))]
pub struct RequestDto<'a> {
    /// Client id (ledger apply: required).
    #[serde(default, borrow)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>, min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$"))]
    id: Option<Raw<'a>>,
    /// Decision date (YYYY-MM-DD; default today, UTC).
    #[serde(default, borrow)]
    #[cfg_attr(feature = "schema", schema(format = Date))]
    date: Option<Cow<'a, str>>,
    /// Destination (ISO 3166-1 alpha-2).
    #[serde(borrow)]
    #[cfg_attr(feature = "schema", schema(example = "AE"))]
    destination: Cow<'a, str>,
    /// Items (or `model_weights`).
    #[serde(default, borrow)]
    #[cfg_attr(feature = "schema", schema(min_items = 1))]
    items: Option<Vec<ItemDto<'a>>>,
    /// ECCN 4E091 (instead of `items`).
    #[serde(default, borrow)]
    model_weights: Option<WeightsDto<'a>>,
    /// The ultimate consignee.
    #[serde(default, borrow)]
    consignee: Option<ConsigneeDto<'a>>,
    /// The end use (License Exception ACM, 740.28).
    #[serde(default, borrow)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<EndUse>))]
    end_use: Option<Cow<'a, str>>,
    /// The end user, when other than the consignee (screened).
    #[serde(default, borrow)]
    end_user: Option<PartyDto<'a>>,
    /// Intermediate consignees (screened).
    #[serde(default, borrow)]
    intermediate_consignees: Option<Vec<PartyDto<'a>>>,
    /// What has already been drawn (when the caller supplies it; the ledger fills it itself).
    #[serde(default, borrow)]
    context: Option<ContextDto<'a>>,
    /// Options.
    #[serde(default, borrow)]
    options: Option<OptionsDto<'a>>,
    /// The rule version; default: the version enforced on the date (`advanced-computing-2023`).
    #[serde(default, borrow)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<RuleSetId>))]
    rule_set: Option<Cow<'a, str>>,
    /// `export` (default), `reexport`, `export_from_abroad` or `transfer`.
    #[serde(default, borrow)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<Transaction>))]
    transaction: Option<Cow<'a, str>>,
}

/// One item: a catalog chip or an explicit specification.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = ItemDoc))]
pub struct ItemDto<'a> {
    /// Catalog chip id (`nvidia-h100-sxm`).
    #[serde(default, borrow)]
    chip: Option<Cow<'a, str>>,
    /// TPP per unit (exact to 0.001; a number or a decimal string).
    #[serde(default, borrow)]
    tpp: Option<Raw<'a>>,
    /// Applicable die area, mm^2.
    #[serde(default, borrow)]
    die_area_mm2: Option<Raw<'a>>,
    /// Designed or marketed for datacenters.
    #[serde(default)]
    datacenter: Option<bool>,
    /// Units (a positive whole number).
    #[serde(borrow)]
    #[cfg_attr(feature = "schema", schema(value_type = u64, minimum = 1))]
    quantity: Raw<'a>,
    /// `ic` (3A090, default), `computer` (4A090: a computer, assembly or component containing the IC) or `hbm` (3A090.c: give `memory_bandwidth_gbps` and `package_area_mm2`).
    #[serde(default, borrow)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<ItemForm>))]
    form: Option<Cow<'a, str>>,
    /// Total DRAM bandwidth of one IC, GB/s (default from the catalog).
    #[serde(default, borrow)]
    dram_bandwidth_gbps: Option<Raw<'a>>,
    /// First commercial availability in the US (YYYY-MM-DD; default from the catalog).
    #[serde(default, borrow)]
    #[cfg_attr(feature = "schema", schema(format = Date))]
    us_available_from: Option<Cow<'a, str>>,
    /// Country of the designer's headquarters (ISO 3166-1 alpha-2; default from the catalog).
    #[serde(default, borrow)]
    designer_country: Option<Cow<'a, str>>,
    /// HBM only: memory bandwidth, GB/s.
    #[serde(default, borrow)]
    memory_bandwidth_gbps: Option<Raw<'a>>,
    /// HBM only: package or stack area, mm^2.
    #[serde(default, borrow)]
    package_area_mm2: Option<Raw<'a>>,
}

/// Parameters of an AI model (ECCN 4E091).
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = ModelWeightsDoc))]
pub struct WeightsDto<'a> {
    /// Operations used to train the model (a number or a decimal string, `1.2e26`).
    #[serde(borrow)]
    training_operations: Raw<'a>,
    /// The weights are published.
    #[serde(default)]
    published: bool,
}

/// The ultimate consignee.
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = ConsigneeDoc))]
pub struct ConsigneeDto<'a> {
    /// Name.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")
    )]
    name: Option<String>,
    /// Headquarters (ISO 3166-1 alpha-2) of the consignee or its ultimate parent.
    #[serde(default, borrow)]
    headquarters: Option<Cow<'a, str>>,
    /// `none`, `uveu` or `nveu`.
    #[serde(default, borrow)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<ClaimedAuthorization>))]
    authorization: Option<Cow<'a, str>>,
    /// The consignee provides infrastructure as a service (raises the 2025-05-13 red-flag notice).
    #[serde(default)]
    iaas_provider: bool,
}

/// Another party to the transaction (screened).
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = OtherPartyDoc))]
pub struct PartyDto<'a> {
    /// Name.
    name: String,
    /// Country (ISO 3166-1 alpha-2), when known.
    #[serde(default, borrow)]
    country: Option<Cow<'a, str>>,
}

/// Screening results the caller supplies (the edge then does not screen).
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = ScreeningContextDoc))]
pub struct ScreeningDto<'a> {
    /// `performed`, `skipped` or `not_performed`.
    status: Cow<'a, str>,
    /// The list versions screened against.
    #[serde(default)]
    lists: Vec<String>,
    /// Score at or above which a hit is a match.
    #[serde(default, borrow)]
    match_threshold: Option<Raw<'a>>,
    /// Score at or above which a hit is reported.
    #[serde(default, borrow)]
    review_threshold: Option<Raw<'a>>,
    /// The hits.
    #[serde(default, borrow)]
    hits: Vec<HitDto<'a>>,
}

/// A screening hit.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = ScreeningHitDoc))]
pub struct HitDto<'a> {
    /// `consignee`, `end_user` or `intermediate_consignee`.
    role: Cow<'a, str>,
    /// The party's name as given.
    party: String,
    /// The list's source.
    source: String,
    /// The list class (`entity_list`, `military_end_user`, `unverified`, `denied_persons`, `sdn`, `other`).
    list: Cow<'a, str>,
    /// The entry's number, when the list has one.
    #[serde(default)]
    entity_number: Option<String>,
    /// The entry's name.
    entry_name: String,
    /// The name or alias that matched.
    matched_name: String,
    /// Score, 0 to 1.
    #[serde(borrow)]
    score: Raw<'a>,
    /// At or above the match threshold.
    is_match: bool,
    /// The entry's licence requirement.
    #[serde(default)]
    license_requirement: Option<String>,
    /// The entry's licence review policy.
    #[serde(default)]
    license_policy: Option<String>,
    /// The notice that listed the entry.
    #[serde(default)]
    federal_register_notice: Option<String>,
    /// `true_match` or `false_positive`, when a reviewer decided.
    #[serde(default, borrow)]
    disposition: Option<Cow<'a, str>>,
}

/// Balances already drawn; absent values are zero or false.
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = ContextDoc))]
pub struct ContextDto<'a> {
    /// Country allocation used, TPP.
    #[serde(default, borrow)]
    country_allocation_used_tpp: Option<Raw<'a>>,
    /// The destination has government-to-government assurances.
    #[serde(default)]
    government_assurances: bool,
    /// Uplift of the allocation under assurances, percent.
    #[serde(default, borrow)]
    assurance_uplift_percent: Option<Raw<'a>>,
    /// LPP used by the consignee this year, TPP.
    #[serde(default, borrow)]
    consignee_lpp_used_tpp: Option<Raw<'a>>,
    /// NVEU installed base, TPP.
    #[serde(default, borrow)]
    nveu_installed_tpp: Option<Raw<'a>>,
    /// UVEU installed base by country, TPP.
    #[serde(default, borrow)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<HashMap<String, Raw>>))]
    uveu_installed_tpp_by_country: Option<ByCountry<'a>>,
    /// AIA exports to the consignee so far, TPP.
    #[serde(default, borrow)]
    consignee_aia_cumulative_tpp: Option<Raw<'a>>,
    /// Training operations of the most capable published model.
    #[serde(default, borrow)]
    most_capable_published_model_operations: Option<Raw<'a>>,
    /// Screening results (the edge then does not screen).
    #[serde(default, borrow)]
    screening: Option<ScreeningDto<'a>>,
    /// China/Macau and US end-use shipments by catalog chip, TPP (91 FR 1684).
    #[serde(default, borrow)]
    china_us_by_chip: Option<BTreeMap<String, ChinaUsDto<'a>>>,
}

/// Shipments of one product to China/Macau and to US end use.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = ChinaUsDoc))]
pub struct ChinaUsDto<'a> {
    /// To China and Macau, TPP.
    #[serde(borrow)]
    china_macau_tpp: Raw<'a>,
    /// To US end use, TPP.
    #[serde(borrow)]
    us_end_use_tpp: Raw<'a>,
}

/// Options.
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = OptionsDoc))]
pub struct OptionsDto<'a> {
    /// Apply 740.2 strictly.
    #[serde(default)]
    strict_740_2: bool,
    /// The 4E091 threshold, operations (default 10^26).
    #[serde(default, borrow)]
    model_threshold_operations: Option<Raw<'a>>,
    /// The H100 TPP used for display.
    #[serde(default, borrow)]
    h100_tpp: Option<Raw<'a>>,
    /// The rule version (as `rule_set`).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<RuleSetId>))]
    rule_set: Option<String>,
    /// Do not screen the parties.
    #[serde(default)]
    skip_screening: bool,
}

/// A request read from JSON, plus wire-only fields.
#[derive(Debug, Clone)]
pub struct ParsedRequest {
    /// The validated request.
    pub request: Request,
    /// The client-supplied id (for `ledger apply`), as JSON text.
    pub id: Option<String>,
    /// The rule set the request names (`rule_set`, or `options.rule_set`), if any.
    pub rule_set: Option<crate::params::RuleSetId>,
    /// Whether the request carried `context.screening` itself (the edge then does not screen).
    pub screening_given: bool,
}

/// What the screening step does with a screening the request carries itself
/// (`context.screening`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GivenScreening {
    /// Kept: the edge does not screen (`chipcap check`, `POST /v1/determinations`).
    Keep,
    /// Replaced by the edge's own screening when it has lists (`ledger apply`: what the ledger
    /// records is what it screened).
    Replace,
}

impl ParsedRequest {
    /// The screening step of every front end (the CLI, the server, the ledger): the parties are
    /// not screened when screening is skipped (`skip`, or `options.skip_screening`: the status
    /// says so), nor when the request carries its own screening and `given` keeps it; otherwise
    /// `screen` (the edge's lists and dispositions) gives the context, or `None` when the edge has
    /// no lists (the status stays "not performed"). The core only decides what a hit means.
    pub fn gather_screening(
        &mut self,
        skip: bool,
        given: GivenScreening,
        screen: impl FnOnce(&ParsedRequest) -> Option<crate::request::Screening>,
    ) {
        if skip || self.request.options.skip_screening {
            self.request.context.screening.status = crate::request::ScreeningStatus::Skipped;
        } else if self.wants_screening(skip, given) {
            if let Some(s) = screen(self) {
                self.request.context.screening = s;
            }
        }
    }

    /// Whether [`ParsedRequest::gather_screening`] would screen the parties (an edge that must
    /// load its lists or dispositions first asks this, so it loads nothing it will not use).
    pub fn wants_screening(&self, skip: bool, given: GivenScreening) -> bool {
        !(skip || self.request.options.skip_screening)
            && (given == GivenScreening::Replace || !self.screening_given)
    }

    /// The parties the edge must screen: the consignee (when named), the end user and the
    /// intermediate consignees, with their countries where known.
    pub fn parties_to_screen(&self) -> Vec<Party> {
        let r = &self.request;
        let mut v = Vec::with_capacity(1 + r.other_parties.len());
        if !r.consignee.name.trim().is_empty() {
            v.push(Party {
                role: PartyRole::Consignee,
                name: r.consignee.name.clone(),
                country: Some(r.destination),
            });
        }
        v.extend(r.other_parties.iter().cloned());
        v
    }
}

/// Reads the raw text of a JSON number or a string holding a number.
/// A field path, built only when an error names it (no allocation on the happy path).
trait FieldName: Copy {
    fn name(self) -> String;
}

impl FieldName for &str {
    fn name(self) -> String {
        self.to_string()
    }
}

impl<F: Fn() -> String + Copy> FieldName for F {
    fn name(self) -> String {
        self()
    }
}

fn number_text(raw: Raw<'_>, field: impl FieldName, allow_string: bool) -> Result<&str, WireError> {
    if let (Some(first), Some(last)) = (raw.0.as_bytes().first(), raw.0.as_bytes().last()) {
        if first.is_ascii_digit() && last.is_ascii_digit() {
            // A bare number: nothing to trim, nothing to unquote.
            return Ok(raw.0);
        }
    }
    let t = raw.0.trim();
    if let Some(inner) = t.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        if allow_string {
            return Ok(inner);
        }
        return Err(err(field.name(), format!("must be a number, got `{t}`")));
    }
    if t.starts_with(['{', '[']) || t == "null" || t == "true" || t == "false" {
        return Err(err(field.name(), format!("must be a number, got `{t}`")));
    }
    Ok(t)
}

fn decimal_message(e: DecimalError, what: &str, shown: &str) -> String {
    match e {
        DecimalError::TooPrecise(3) => format!("must be exact to 0.001 {what}, got `{shown}`"),
        DecimalError::TooPrecise(_) => format!("must be a whole number, got `{shown}`"),
        other => format!("{other}, got `{shown}`"),
    }
}

fn tpp_field(raw: Raw<'_>, field: impl FieldName) -> Result<Tpp, WireError> {
    let t = number_text(raw, field, true)?;
    parse_milli(t)
        .map(Tpp::from_milli)
        .map_err(|e| err(field.name(), decimal_message(e, "TPP", t)))
}

fn ops_field(raw: Raw<'_>, field: impl FieldName) -> Result<u128, WireError> {
    let t = number_text(raw, field, true)?;
    parse_decimal(t, 0).map_err(|e| err(field.name(), decimal_message(e, "operations", t)))
}

fn quantity_field(raw: Raw<'_>, field: impl FieldName) -> Result<u64, WireError> {
    let t = number_text(raw, field, false)?;
    // Fast path: up to 19 digits always fit a u64 (the same value `parse` gives).
    if !t.is_empty() && t.len() <= 19 && t.bytes().all(|b| b.is_ascii_digit()) {
        let q = t
            .bytes()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
        if q != 0 {
            return Ok(q);
        }
    }
    let bad = || {
        err(
            field.name(),
            format!("must be a positive whole number, got `{t}`"),
        )
    };
    if t.starts_with('-') || t.contains(['.', 'e', 'E']) {
        // Exponent or fraction forms are not whole-number literals; reject rather than guess.
        return Err(bad());
    }
    let q: u64 = t.parse().map_err(|_| {
        if t.bytes().all(|b| b.is_ascii_digit()) {
            err(field.name(), format!("is too large, got `{t}`"))
        } else {
            bad()
        }
    })?;
    if q == 0 {
        return Err(bad());
    }
    Ok(q)
}

fn country_field(s: &str, field: &str, rules: &RuleSet) -> Result<CountryCode, WireError> {
    let c = CountryCode::parse(s)
        .filter(|c| rules.known.contains(*c))
        .ok_or_else(|| {
            err(
                field,
                format!("is not an ISO 3166-1 alpha-2 country code, got `{s}`"),
            )
        })?;
    Ok(c)
}

/// Reads one request document. `today` fills an absent `date` (read at the edge, never in the core).
pub fn parse_request(json: &str, rules: &RuleSet, today: Date) -> Result<ParsedRequest, WireError> {
    // Fast path: the scanner reads the common shape of a document. Whatever it is not sure of goes to
    // serde; only when serde fails too is the document read again, tracking the path, to name the
    // field at fault.
    let mut dto = RequestDto::default();
    if scan::request(json, &mut dto).is_none() {
        dto = match serde_json::from_str::<RequestDto<'_>>(json) {
            Ok(dto) => dto,
            Err(_) => return Err(locate_error(json)),
        };
    }
    convert(&mut dto, rules, today)
}

/// [`parse_request`] through serde's derived deserialiser only (no scanner): the same answer, kept
/// for the benchmark that measures what the hand-written scanner buys (`hot_path ... serde`).
#[doc(hidden)]
pub fn parse_request_serde(
    json: &str,
    rules: &RuleSet,
    today: Date,
) -> Result<ParsedRequest, WireError> {
    let mut dto = match serde_json::from_str::<RequestDto<'_>>(json) {
        Ok(dto) => dto,
        Err(_) => return Err(locate_error(json)),
    };
    convert(&mut dto, rules, today)
}

fn locate_error(json: &str) -> WireError {
    let mut de = serde_json::Deserializer::from_str(json);
    let res: Result<RequestDto<'_>, _> = serde_path_to_error::deserialize(&mut de);
    match res {
        Err(e) => {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            if path == "." {
                err("", format!("(the document) {msg}"))
            } else {
                err(path, msg)
            }
        }
        Ok(_) => match de.end() {
            Err(e) => err(
                "",
                format!("has trailing characters after the document: {e}"),
            ),
            Ok(()) => err("", "cannot be read"),
        },
    }
}

/// Takes the parts it keeps out of `dto` (passed by reference: it is large).
fn convert(
    dto: &mut RequestDto<'_>,
    rules: &RuleSet,
    today: Date,
) -> Result<ParsedRequest, WireError> {
    let date = match &dto.date {
        Some(s) => s
            .parse::<Date>()
            .map_err(|e| err("date", format!("{e}, got `{s}`")))?,
        None => today,
    };
    let destination = country_field(&dto.destination, "destination", rules)?;
    let subject = match (dto.items.take(), dto.model_weights.take()) {
        (Some(_), Some(_)) => return Err(err("items", "and `model_weights` cannot both be given")),
        (None, None) => return Err(err("items", "is missing: give `items` or `model_weights`")),
        (Some(items), None) => {
            if items.is_empty() {
                return Err(err("items", "must hold at least one item"));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, it) in items.into_iter().enumerate() {
                out.push(convert_item(it, i, rules)?);
            }
            Subject::Items(out)
        }
        (None, Some(w)) => Subject::ModelWeights(ModelWeights {
            training_operations: ops_field(
                w.training_operations,
                "model_weights.training_operations",
            )?,
            published: w.published,
        }),
    };
    let consignee = match dto.consignee.take() {
        None => Consignee {
            name: String::new(),
            headquarters: destination,
            headquarters_assumed: true,
            authorization: ClaimedAuthorization::None,
            iaas_provider: false,
        },
        Some(c) => {
            let (headquarters, assumed) = match &c.headquarters {
                Some(h) => (country_field(h, "consignee.headquarters", rules)?, false),
                None => (destination, true),
            };
            let authorization = match c.authorization.as_deref() {
                None | Some("none") => ClaimedAuthorization::None,
                Some("uveu") | Some("UVEU") => ClaimedAuthorization::Uveu,
                Some("nveu") | Some("NVEU") => ClaimedAuthorization::Nveu,
                Some(other) => {
                    return Err(err(
                        "consignee.authorization",
                        format!("must be one of `none`, `uveu`, `nveu`, got `{other}`"),
                    ))
                }
            };
            Consignee {
                name: c.name.unwrap_or_default(),
                headquarters,
                headquarters_assumed: assumed,
                authorization,
                iaas_provider: c.iaas_provider,
            }
        }
    };
    let end_use = match dto.end_use.as_deref() {
        None => None,
        Some("development") => Some(EndUse::Development),
        Some("production") => Some(EndUse::Production),
        Some("storage") => Some(EndUse::Storage),
        Some("other") => Some(EndUse::Other),
        Some(o) => {
            return Err(err(
                "end_use",
                format!(
                    "must be one of `development`, `production`, `storage`, `other`, got `{o}`"
                ),
            ))
        }
    };
    let mut other_parties = Vec::new();
    if let Some(p) = dto.end_user.take() {
        other_parties.push(convert_party(
            p,
            PartyRole::EndUser,
            "end_user".into(),
            rules,
        )?);
    }
    for (i, p) in dto
        .intermediate_consignees
        .take()
        .into_iter()
        .flatten()
        .enumerate()
    {
        other_parties.push(convert_party(
            p,
            PartyRole::IntermediateConsignee,
            format!("intermediate_consignees[{i}]"),
            rules,
        )?);
    }
    let mut screening_given = false;
    let mut context = Context::default();
    if let Some(c) = dto.context.take() {
        if let Some(sc) = c.screening {
            screening_given = true;
            context.screening = convert_screening(sc)?;
        }
        let t = |raw: Option<Raw<'_>>, name: &'static str| -> Result<Tpp, WireError> {
            raw.map_or(Ok(Tpp::ZERO), |r| {
                tpp_field(r, move || format!("context.{name}"))
            })
        };
        context.country_allocation_used =
            t(c.country_allocation_used_tpp, "country_allocation_used_tpp")?;
        context.government_assurances = c.government_assurances;
        if let Some(r) = c.assurance_uplift_percent {
            const F: &str = "context.assurance_uplift_percent";
            let f = F;
            let txt = number_text(r, f, false)?;
            let v: u32 = txt.parse().map_err(|_| {
                err(
                    f,
                    format!("must be a whole percentage from 0 to 100, got `{txt}`"),
                )
            })?;
            if v > 100 {
                return Err(err(
                    f,
                    format!("must be at most 100 (15 CFR 742.6(b)(10)(iii)(C)), got `{txt}`"),
                ));
            }
            context.assurance_uplift_percent = Some(v);
        }
        context.consignee_lpp_used = t(c.consignee_lpp_used_tpp, "consignee_lpp_used_tpp")?;
        context.nveu_installed = t(c.nveu_installed_tpp, "nveu_installed_tpp")?;
        context.consignee_aia_cumulative = t(
            c.consignee_aia_cumulative_tpp,
            "consignee_aia_cumulative_tpp",
        )?;
        if let Some(m) = c.uveu_installed_tpp_by_country {
            for (k, v) in m.0 {
                let f = || format!("context.uveu_installed_tpp_by_country.{k}");
                let cc = CountryCode::parse(&k)
                    .filter(|c| rules.known.contains(*c))
                    .ok_or_else(|| {
                        err(
                            f(),
                            format!("is not an ISO 3166-1 alpha-2 country code, got `{k}`"),
                        )
                    })?;
                context
                    .uveu_installed_by_country
                    .push((cc, tpp_field(v, f)?));
            }
        }
        if let Some(m) = c.china_us_by_chip {
            for (k, v) in m {
                let chip = rules.catalog.get(&k).ok_or_else(|| {
                    err(
                        format!("context.china_us_by_chip.{k}"),
                        format!("is not a chip in the catalog, got `{k}`"),
                    )
                })?;
                context.china_us.push(ChinaUsBalance {
                    chip: std::sync::Arc::clone(&chip.id),
                    china_macau: tpp_field(v.china_macau_tpp, || {
                        format!("context.china_us_by_chip.{k}.china_macau_tpp")
                    })?,
                    us_end_use: tpp_field(v.us_end_use_tpp, || {
                        format!("context.china_us_by_chip.{k}.us_end_use_tpp")
                    })?,
                });
            }
        }
        if let Some(r) = c.most_capable_published_model_operations {
            context.most_capable_published_model_operations = Some(ops_field(
                r,
                "context.most_capable_published_model_operations",
            )?);
        }
    }
    let mut options = Options::default();
    let mut rule_set = match dto.rule_set.as_deref() {
        None => None,
        Some(name) => Some(rule_set_field(name, "rule_set")?),
    };
    let transaction = match dto.transaction.as_deref() {
        None => Transaction::Export,
        Some(t) => Transaction::parse(t).ok_or_else(|| {
            err(
                "transaction",
                format!("must be one of `export`, `reexport`, `export_from_abroad`, `transfer`, got `{t}`"),
            )
        })?,
    };
    if let Some(o) = dto.options.take() {
        options.strict_740_2 = o.strict_740_2;
        if let Some(r) = o.model_threshold_operations {
            options.model_threshold_operations =
                Some(ops_field(r, "options.model_threshold_operations")?);
        }
        if let Some(r) = o.h100_tpp {
            let v = tpp_field(r, "options.h100_tpp")?;
            if v == Tpp::ZERO {
                return Err(err(
                    "options.h100_tpp",
                    "must be greater than zero, got `0`",
                ));
            }
            options.h100_tpp = Some(v);
        }
        options.skip_screening = o.skip_screening;
        if let Some(name) = o.rule_set {
            let id = rule_set_field(&name, "options.rule_set")?;
            if rule_set.is_some_and(|r| r != id) {
                return Err(err(
                    "options.rule_set",
                    format!("names `{name}` but `rule_set` names another version"),
                ));
            }
            rule_set = Some(id);
        }
    }
    let selected = rules.select(rule_set, date).map_err(|e| match e {
        crate::params::SelectError::NotCovered {
            earliest, rule_set, ..
        } => err(
            "date",
            format!(
                "is before the earliest date chipcap covers: {earliest} (`{rule_set}`), got `{date}`"
            ),
        ),
    })?;
    let _ = selected;
    Ok(ParsedRequest {
        request: Request {
            date,
            destination,
            subject,
            consignee,
            end_use,
            other_parties,
            context,
            options,
            rule_set,
            transaction,
        },
        id: dto.id.map(|r| r.0.to_string()),
        rule_set,
        screening_given,
    })
}

fn rule_set_field(name: &str, field: &str) -> Result<crate::params::RuleSetId, WireError> {
    crate::params::RuleSetId::parse(name).ok_or_else(|| {
        err(
            field,
            format!("names an unknown rule set, got `{name}` (known: `advanced-computing-2023`, `ai-diffusion-2025`)"),
        )
    })
}

fn convert_party(
    p: PartyDto<'_>,
    role: PartyRole,
    field: String,
    rules: &RuleSet,
) -> Result<Party, WireError> {
    if p.name.trim().is_empty() {
        return Err(err(format!("{field}.name"), "must not be empty"));
    }
    let country = match p.country {
        Some(c) => Some(country_field(&c, &format!("{field}.country"), rules)?),
        None => None,
    };
    Ok(Party {
        role,
        name: p.name,
        country,
    })
}

fn threshold(raw: Option<Raw<'_>>, field: &str, default: u32) -> Result<u32, WireError> {
    let Some(r) = raw else { return Ok(default) };
    let t = number_text(r, field, true)?;
    let v = parse_decimal(t, 3).map_err(|e| err(field, decimal_message(e, "", t)))?;
    if v > 1000 {
        return Err(err(field, format!("must be between 0 and 1, got `{t}`")));
    }
    Ok(u32::try_from(v).unwrap_or(1000))
}

fn convert_screening(sc: ScreeningDto<'_>) -> Result<Screening, WireError> {
    let status = match sc.status.as_ref() {
        "performed" => ScreeningStatus::Performed {
            lists: sc.lists,
            match_threshold_milli: threshold(
                sc.match_threshold,
                "context.screening.match_threshold",
                880,
            )?,
            review_threshold_milli: threshold(
                sc.review_threshold,
                "context.screening.review_threshold",
                750,
            )?,
            parties: 1,
        },
        "skipped" => ScreeningStatus::Skipped,
        "not_performed" => ScreeningStatus::NotPerformed,
        other => {
            return Err(err(
                "context.screening.status",
                format!("must be one of `performed`, `skipped`, `not_performed`, got `{other}`"),
            ))
        }
    };
    let mut hits = Vec::with_capacity(sc.hits.len());
    for (i, h) in sc.hits.into_iter().enumerate() {
        let f = |k: &str| format!("context.screening.hits[{i}].{k}");
        let role = match h.role.as_ref() {
            "consignee" => PartyRole::Consignee,
            "end_user" => PartyRole::EndUser,
            "intermediate_consignee" => PartyRole::IntermediateConsignee,
            o => {
                return Err(err(
                    f("role"),
                    format!(
                    "must be one of `consignee`, `end_user`, `intermediate_consignee`, got `{o}`"
                ),
                ))
            }
        };
        let class = match h.list.as_ref() {
            "entity_list" => ListClass::EntityList,
            "military_end_user" => ListClass::MilitaryEndUser,
            "unverified" => ListClass::Unverified,
            "denied_persons" => ListClass::DeniedPersons,
            "sdn" => ListClass::Sdn,
            "other" => ListClass::Other,
            o => return Err(err(f("list"), format!("must be one of `entity_list`, `military_end_user`, `unverified`, `denied_persons`, `sdn`, `other`, got `{o}`"))),
        };
        let disposition = match h.disposition.as_deref() {
            None => None,
            Some("true_match") => Some(Disposition::TrueMatch),
            Some("false_positive") => Some(Disposition::FalsePositive),
            Some(o) => {
                return Err(err(
                    f("disposition"),
                    format!("must be `true_match` or `false_positive`, got `{o}`"),
                ))
            }
        };
        let score_milli = threshold(Some(h.score), &f("score"), 0)?;
        hits.push(ScreeningHit {
            role,
            party: h.party,
            source: h.source,
            class,
            entity_number: h.entity_number,
            entry_name: h.entry_name,
            matched_name: h.matched_name,
            score_milli,
            is_match: h.is_match,
            license_requirement: h.license_requirement,
            license_policy: h.license_policy,
            federal_register_notice: h.federal_register_notice,
            disposition,
        });
    }
    Ok(Screening {
        status,
        hits,
        warnings: Vec::new(),
    })
}

fn convert_item(it: ItemDto<'_>, i: usize, rules: &RuleSet) -> Result<Item, WireError> {
    let quantity = quantity_field(it.quantity, || format!("items[{i}].quantity"))?;
    let form = match it.form.as_deref() {
        None | Some("ic") => ItemForm::Ic,
        Some("computer") => ItemForm::Computer,
        Some("hbm") => ItemForm::Hbm,
        Some(o) => {
            return Err(err(
                format!("items[{i}].form"),
                format!("must be one of `ic`, `computer`, `hbm`, got `{o}`"),
            ))
        }
    };
    let positive_milli = |raw: Raw<'_>, name: &str, unit: &str| -> Result<u64, WireError> {
        let f = || format!("items[{i}].{name}");
        let t = number_text(raw, f, true)?;
        let v = parse_milli(t).map_err(|e| err(f(), decimal_message(e, unit, t)))?;
        if v == 0 {
            return Err(err(f(), format!("must be greater than zero, got `{t}`")));
        }
        Ok(v)
    };
    let bandwidth = it
        .dram_bandwidth_gbps
        .map(|r| positive_milli(r, "dram_bandwidth_gbps", "GB/s"))
        .transpose()?;
    let available = it
        .us_available_from
        .as_deref()
        .map(|s| {
            s.parse::<Date>().map_err(|e| {
                err(
                    format!("items[{i}].us_available_from"),
                    format!("{e}, got `{s}`"),
                )
            })
        })
        .transpose()?;
    let designer = it
        .designer_country
        .as_deref()
        .map(|s| country_field(s, &format!("items[{i}].designer_country"), rules))
        .transpose()?;
    if form == ItemForm::Hbm {
        if it.chip.is_some() || it.tpp.is_some() {
            return Err(err(
                format!("items[{i}].form"),
                "`hbm` items are memory stacks: give `memory_bandwidth_gbps` and `package_area_mm2`, not `chip` or `tpp`",
            ));
        }
        let (Some(bw), Some(area)) = (it.memory_bandwidth_gbps, it.package_area_mm2) else {
            return Err(err(
                format!("items[{i}]"),
                "an `hbm` item needs `memory_bandwidth_gbps` and `package_area_mm2` (ECCN 3A090.c)",
            ));
        };
        let bw = positive_milli(bw, "memory_bandwidth_gbps", "GB/s")?;
        let area = positive_milli(area, "package_area_mm2", "mm2")?;
        return Ok(Item {
            chip: None,
            quantity,
            unit_tpp: Tpp::ZERO,
            die_area_milli_mm2: None,
            datacenter: false,
            datacenter_assumed: false,
            form,
            dram_bandwidth_milli_gbps: Some(bw),
            us_available_from: available,
            designer_country: designer,
            hbm_area_milli_mm2: Some(area),
        });
    }
    if it.memory_bandwidth_gbps.is_some() || it.package_area_mm2.is_some() {
        return Err(err(
            format!("items[{i}].memory_bandwidth_gbps"),
            "and `package_area_mm2` belong to `hbm` items only (give `\"form\": \"hbm\"`)",
        ));
    }
    match (it.chip, it.tpp) {
        (Some(_), Some(_)) => Err(err(
            format!("items[{i}].chip"),
            "and `tpp` cannot both be given: name a catalog chip or specify one",
        )),
        (None, None) => Err(err(
            format!("items[{i}]"),
            "needs `chip` (a catalog id) or `tpp` (an explicit specification)",
        )),
        (Some(id), None) => {
            if it.die_area_mm2.is_some() || it.datacenter.is_some() {
                return Err(err(format!("items[{i}].chip"), "takes its die area and datacenter flag from the catalog; do not give `die_area_mm2` or `datacenter` with it"));
            }
            let chip = rules.catalog.get(&id).ok_or_else(|| {
                err(
                    format!("items[{i}].chip"),
                    format!("is not a chip in the catalog, got `{id}` (see `chipcap chips`)"),
                )
            })?;
            let unit_tpp = chip.tpp().ok_or_else(|| {
                err(
                    format!("items[{i}].chip"),
                    format!("has no throughput figures in the catalog, got `{id}`"),
                )
            })?;
            Ok(Item {
                chip: Some(std::sync::Arc::clone(&chip.id)),
                quantity,
                unit_tpp,
                die_area_milli_mm2: chip.die_area_milli_mm2,
                datacenter: chip.datacenter,
                datacenter_assumed: false,
                form,
                dram_bandwidth_milli_gbps: bandwidth.or(chip.dram_bandwidth_milli_gbps),
                us_available_from: available.or(chip.us_available_from),
                designer_country: designer.or(chip.designer_country),
                hbm_area_milli_mm2: None,
            })
        }
        (None, Some(tpp)) => {
            let unit_tpp = tpp_field(tpp, || format!("items[{i}].tpp"))?;
            let die_area_milli_mm2 = match it.die_area_mm2 {
                None => None,
                Some(r) => Some(positive_milli(r, "die_area_mm2", "mm2")?),
            };
            Ok(Item {
                chip: None,
                quantity,
                unit_tpp,
                die_area_milli_mm2,
                datacenter: it.datacenter.unwrap_or(true),
                datacenter_assumed: it.datacenter.is_none(),
                form,
                dram_bandwidth_milli_gbps: bandwidth,
                us_available_from: available,
                designer_country: designer,
                hbm_area_milli_mm2: None,
            })
        }
    }
}

// JSON text writer for determinations: the one implementation of the output document.
//
// Hand-written because it is the hot path of `POST /v1/determinations` (see docs/benchmarks.md):
// the fixed parts are appended as literal fragments, texts are rendered straight into the output
// (only their dynamic parts escaped, and only when a fragment needs it), integers are written
// without `core::fmt`. `to_json` writes the hot part directly; the screening block, rare, goes
// through the small `Json` helper below.

/// A JSON object key as a literal with its quotes and colon: `key!("tpp")` is `"\"tpp\":"`.
macro_rules! key {
    ($k:literal) => {
        concat!("\"", $k, "\":")
    };
}

/// Tracks commas for the screening block.
struct Json {
    out: String,
    first: bool,
}

/// Renders texts into the body of a JSON string: template fragments copied, the rest escaped.
struct JsonText<'a>(&'a mut String);

impl Sink for JsonText<'_> {
    #[inline]
    fn lit(&mut self, s: &'static str) {
        debug_assert!(clean(s), "template fragment needs escaping: {s}");
        self.0.push_str(s);
    }
    #[inline]
    fn text(&mut self, s: &str) {
        escape_into(self.0, s);
    }
    fn uint(&mut self, v: u64) {
        push_uint(self.0, v);
    }
    fn milli(&mut self, v: i128) {
        push_milli_grouped(self.0, v);
    }
    fn date(&mut self, d: Date) {
        let Ok(y @ 0..=9999) = u64::try_from(d.year()) else {
            // Outside the years a `Date` is built for; as `Display` writes it.
            let _ = write!(self.0, "{d}");
            return;
        };
        push_uint_pad2(self.0, y / 100);
        push_uint_pad2(self.0, y % 100);
        self.0.push('-');
        push_uint_pad2(self.0, u64::from(d.month()));
        self.0.push('-');
        push_uint_pad2(self.0, u64::from(d.day()));
    }
    fn country(&mut self, c: CountryCode) {
        // Two ASCII capitals by construction.
        self.0.push_str(c.as_str());
    }
}

/// Whether a fragment needs no JSON escaping (no control byte, quote or backslash), eight bytes at a
/// time (SWAR: the classic "has zero byte" test on `x ^ pattern` and "has byte less than n").
/// Whether `s` can be written inside a JSON string as it is (no quote, backslash or control
/// character).
pub fn needs_no_escape(s: &str) -> bool {
    clean(s)
}

fn clean(s: &str) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let b = s.as_bytes();
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        // Bytes >= 0x80 (UTF-8) are never special; mask them out of the "less than 0x20" test.
        let lt = x.wrapping_sub(LO * 0x20) & !x & HI;
        if lt | has_zero(x ^ (LO * u64::from(b'"'))) | has_zero(x ^ (LO * u64::from(b'\\'))) != 0 {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&c| c >= 0x20 && c != b'"' && c != b'\\')
}

fn escape_into(out: &mut String, s: &str) {
    if clean(s) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

impl Json {
    fn open(&mut self, c: char) {
        self.out.push(c);
        self.first = true;
    }
    fn close(&mut self, c: char) {
        self.out.push(c);
        self.first = false;
    }
    fn comma(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }
    /// `k` is a key literal with its quotes and colon, built by the `key!` macro.
    fn key(&mut self, k: &'static str) {
        self.comma();
        self.out.push_str(k);
        self.first = true;
    }
    fn elem(&mut self) {
        self.comma();
        self.first = true;
    }
    fn str(&mut self, v: &str) {
        self.out.push('"');
        escape_into(&mut self.out, v);
        self.out.push('"');
        self.first = false;
    }
    /// A string literal of this crate's code (citations, codes, fixed sentences): never user input,
    /// so it is checked to need no escaping in debug builds (every scenario test runs them) and copied.
    fn lit(&mut self, v: &'static str) {
        debug_assert!(clean(v), "literal needs escaping: {v}");
        self.out.push('"');
        self.out.push_str(v);
        self.out.push('"');
        self.first = false;
    }
    fn raw(&mut self, v: &str) {
        self.out.push_str(v);
        self.first = false;
    }
    fn null(&mut self) {
        self.raw("null");
    }
    fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }
    fn uint(&mut self, v: u64) {
        push_uint(&mut self.out, v);
        self.first = false;
    }
    /// A number of thousandths as an exact JSON number (`31664000`, `5792.8`).
    fn milli(&mut self, v: i128) {
        push_milli_plain(&mut self.out, v);
        self.first = false;
    }
    fn opt_lit(&mut self, v: Option<&'static str>) {
        match v {
            Some(s) => self.lit(s),
            None => self.null(),
        }
    }
}

/// A literal of this crate (code, citation, enum value) in quotes; checked in debug builds.
fn push_lit(o: &mut String, v: &'static str) {
    debug_assert!(clean(v), "literal needs escaping: {v}");
    o.push('"');
    o.push_str(v);
    o.push('"');
}

/// A citation: the crate's own constants are clean and copied as they are; citations built from rule
/// data are escaped.
fn push_citation(o: &mut String, c: &Citation) {
    match c {
        Citation::Static(s) => {
            debug_assert!(clean(s), "citation needs escaping: {s}");
            o.push_str(s);
        }
        Citation::Clean(s) => {
            debug_assert!(clean(s), "citation needs escaping: {s}");
            o.push_str(s);
        }
        Citation::Shared(s) => escape_into(o, s),
    }
}

fn push_opt_lit(o: &mut String, v: Option<&'static str>) {
    match v {
        Some(s) => push_lit(o, s),
        None => o.push_str("null"),
    }
}

fn push_bool(o: &mut String, b: bool) {
    o.push_str(if b { "true" } else { "false" });
}

fn push_tpp(o: &mut String, t: Tpp) {
    push_milli_plain(o, i128::from(t.milli()));
}

// The hot part of the document is written as fixed fragments that already hold the punctuation,
// keys and quotes around each value, so that every value costs one or two appends.

fn write_reasons(o: &mut String, reasons: &[Reason]) {
    for (i, r) in reasons.iter().enumerate() {
        o.push_str(if i == 0 {
            "{\"citation\":\""
        } else {
            ",{\"citation\":\""
        });
        push_citation(o, &r.citation);
        o.push_str("\",\"text\":\"");
        r.text.render(&mut JsonText(o));
        o.push_str("\"}");
    }
}

fn write_notices(o: &mut String, notices: &[Notice]) {
    for (i, n) in notices.iter().enumerate() {
        o.push_str(if i == 0 {
            "{\"code\":\""
        } else {
            ",{\"code\":\""
        });
        debug_assert!(clean(n.code), "code needs escaping: {}", n.code);
        o.push_str(n.code);
        o.push_str("\",\"citation\":");
        match &n.citation {
            Some(c) => {
                o.push('"');
                push_citation(o, c);
                o.push('"');
            }
            None => o.push_str("null"),
        }
        o.push_str(",\"text\":\"");
        n.text.render(&mut JsonText(o));
        o.push_str("\"}");
    }
}

fn write_allowances(o: &mut String, allowances: &[Allowance]) {
    for (i, a) in allowances.iter().enumerate() {
        o.push_str(if i == 0 {
            "{\"allowance\":\""
        } else {
            ",{\"allowance\":\""
        });
        o.push_str(a.kind.as_str());
        o.push_str("\",\"scope\":\"");
        escape_into(o, &a.scope);
        if let Some(p) = &a.period {
            o.push_str("\",\"period\":\"");
            escape_into(o, p);
        }
        o.push_str("\",\"cap_tpp\":");
        push_tpp(o, a.cap);
        o.push_str(",\"used_before_tpp\":");
        push_tpp(o, a.used_before);
        o.push_str(",\"draw_tpp\":");
        push_tpp(o, a.draw);
        o.push_str(",\"remaining_after_tpp\":");
        push_milli_plain(o, a.remaining_after_milli);
        o.push_str(",\"within_limit\":");
        push_bool(o, a.within_limit);
        o.push_str(",\"drawn\":");
        push_bool(o, a.drawn);
        if let Some(sh) = &a.share {
            o.push_str(",\"limit_percent\":");
            push_uint(o, u64::from(sh.percent));
            o.push_str(if sh.minimum {
                ",\"limit_kind\":\"minimum\",\"total_after_tpp\":"
            } else {
                ",\"limit_kind\":\"maximum\",\"total_after_tpp\":"
            });
            push_tpp(o, sh.total_after);
        }
        o.push('}');
    }
}

fn write_items(o: &mut String, items: &[ItemResult]) {
    for (i, it) in items.iter().enumerate() {
        o.push_str(if i == 0 { "{" } else { ",{" });
        if let Some(c) = &it.chip {
            o.push_str("\"chip\":\"");
            escape_into(o, c);
            o.push_str("\",");
        }
        o.push_str("\"quantity\":");
        push_uint(o, it.quantity);
        o.push_str(",\"unit_tpp\":");
        push_tpp(o, it.unit_tpp);
        o.push_str(",\"tpp\":");
        push_tpp(o, it.tpp);
        o.push_str(",\"performance_density\":");
        match it.pd_milli {
            Some(p) => push_milli_plain(o, i128::from(p)),
            None => o.push_str("null"),
        }
        o.push_str(if it.datacenter {
            ",\"datacenter\":true,\"eccn\":"
        } else {
            ",\"datacenter\":false,\"eccn\":"
        });
        let (eccn, band) = match it.band {
            Ok(b) if b.is_a() => ("3A090.a", Some(b.as_str())),
            Ok(b) => ("3A090.b", Some(b.as_str())),
            Err(_) => ("none", None),
        };
        push_lit(o, eccn);
        o.push_str(",\"paragraph\":");
        push_opt_lit(o, band);
        o.push('}');
    }
}

fn write_screening(j: &mut Json, sc: &Screening) {
    j.open('{');
    j.key(key!("status"));
    match &sc.status {
        ScreeningStatus::Performed {
            lists,
            match_threshold_milli,
            review_threshold_milli,
            parties,
        } => {
            j.lit("performed");
            j.key(key!("lists"));
            j.open('[');
            for l in lists {
                j.elem();
                j.str(l);
            }
            j.close(']');
            j.key(key!("match_threshold"));
            j.milli(i128::from(*match_threshold_milli));
            j.key(key!("review_threshold"));
            j.milli(i128::from(*review_threshold_milli));
            j.key(key!("parties_screened"));
            j.uint(*parties as u64);
        }
        ScreeningStatus::Skipped => j.lit("skipped"),
        ScreeningStatus::NotPerformed => j.lit("not_performed"),
    }
    j.key(key!("hits"));
    j.open('[');
    for h in &sc.hits {
        j.elem();
        j.open('{');
        j.key(key!("role"));
        j.lit(h.role.as_str());
        j.key(key!("party"));
        j.str(&h.party);
        j.key(key!("source"));
        j.str(&h.source);
        j.key(key!("list"));
        j.lit(match h.class {
            ListClass::EntityList => "entity_list",
            ListClass::MilitaryEndUser => "military_end_user",
            ListClass::Unverified => "unverified",
            ListClass::DeniedPersons => "denied_persons",
            ListClass::Sdn => "sdn",
            ListClass::Other => "other",
        });
        j.key(key!("entity_number"));
        match &h.entity_number {
            Some(n) => j.str(n),
            None => j.null(),
        }
        j.key(key!("entry_name"));
        j.str(&h.entry_name);
        j.key(key!("matched_name"));
        j.str(&h.matched_name);
        j.key(key!("score"));
        j.milli(i128::from(h.score_milli));
        j.key(key!("is_match"));
        j.bool(h.is_match);
        for (k, v) in [
            (key!("license_requirement"), &h.license_requirement),
            (key!("license_policy"), &h.license_policy),
            (key!("federal_register_notice"), &h.federal_register_notice),
        ] {
            j.key(k);
            match v {
                Some(s) => j.str(s),
                None => j.null(),
            }
        }
        j.key(key!("disposition"));
        j.opt_lit(h.disposition.map(|d| match d {
            Disposition::TrueMatch => "true_match",
            Disposition::FalsePositive => "false_positive",
        }));
        j.close('}');
    }
    j.close(']');
    j.close('}');
}

pub(crate) fn decision_str(d: Decision) -> &'static str {
    match d {
        Decision::NotControlled => "not_controlled",
        Decision::NoLicenseRequired => "no_license_required",
        Decision::Authorized => "authorized",
        Decision::LicenseRequired => "license_required",
    }
}

/// The determination as compact JSON text (the contract of docs/contract.md).
pub fn to_json(d: &Determination) -> String {
    let mut o = String::with_capacity(4096);
    o.push_str("{\"decision\":");
    push_lit(&mut o, decision_str(d.decision));
    o.push_str(",\"authorization\":");
    push_opt_lit(&mut o, d.authorization.map(Authorization::as_str));
    o.push_str(",\"review_policy\":");
    push_opt_lit(&mut o, d.review_policy.map(ReviewPolicy::as_str));
    o.push_str(",\"tier\":");
    match d.tier {
        Some(t) => push_uint(&mut o, u64::from(t)),
        None => o.push_str("null"),
    }
    o.push_str(",\"eccn\":");
    push_lit(&mut o, d.eccn.as_str());
    o.push_str(",\"tpp\":");
    push_tpp(&mut o, d.tpp);
    o.push_str(",\"h100_equivalents\":");
    push_milli_plain(
        &mut o,
        i128::try_from(d.h100_equivalents_milli()).unwrap_or(i128::MAX),
    );
    o.push_str(",\"allowances\":[");
    write_allowances(&mut o, &d.allowances);
    o.push_str("],\"reasons\":[");
    write_reasons(&mut o, &d.reasons);
    o.push_str("],\"notices\":[");
    write_notices(&mut o, &d.notices);
    o.push_str("],\"items\":[");
    write_items(&mut o, &d.items);
    o.push_str("],\"rule_set\":\"");
    escape_into(&mut o, &d.rule_set);
    o.push('"');
    if let Some(sc) = &d.screening {
        o.push_str(",\"screening\":");
        let mut j = Json {
            out: o,
            first: true,
        };
        write_screening(&mut j, sc);
        o = j.out;
    }
    o.push_str(",\"date\":\"");
    JsonText(&mut o).date(d.date);
    o.push_str("\",\"h100_tpp\":");
    push_tpp(&mut o, d.h100_tpp);
    o.push('}');
    o
}

impl Serialize for Determination {
    /// Serialises through [`to_json`], the single writer of the document.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(to_json(self)).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// The determination as indented JSON, for people.
pub fn to_json_pretty(d: &Determination) -> String {
    match serde_json::from_str::<serde_json::Value>(&to_json(d)) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| to_json(d)),
        Err(_) => to_json(d),
    }
}

/// Renders a determination for a person: the outcome, then the reasons and notices.
pub fn render_text(d: &Determination) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "decision:       {}",
        serde_json::to_value(d.decision)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    );
    if let Some(a) = d.authorization {
        let _ = writeln!(s, "authorization:  {}", a.as_str());
    }
    if let Some(p) = d.review_policy {
        let _ = writeln!(s, "review policy:  {}", p.as_str());
    }
    if let Some(t) = d.tier {
        let _ = writeln!(s, "tier:           {t}");
    }
    let _ = writeln!(s, "eccn:           {}", d.eccn.as_str());
    let mut h = String::new();
    let _ = crate::units::write_milli_grouped(
        &mut h,
        i128::try_from(d.h100_equivalents_milli()).unwrap_or(0),
    );
    let _ = writeln!(s, "tpp:            {} ({} H100-equivalents)", d.tpp, h);
    let _ = writeln!(s, "rule set:       {} on {}", d.rule_set, d.date);
    if !d.allowances.is_empty() {
        let _ = writeln!(s, "\nallowances:");
        for a in &d.allowances {
            let mut rem = String::new();
            let _ = crate::units::write_milli_grouped(&mut rem, a.remaining_after_milli);
            let share = a
                .share
                .map(|sh| format!(" ({}{}%)", if sh.minimum { ">=" } else { "<=" }, sh.percent))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {:<26} {:<14} cap {}{}  used {}  draw {}  remaining {}  {}",
                a.kind.as_str(),
                format!(
                    "{}{}",
                    a.scope,
                    a.period
                        .as_ref()
                        .map(|p| format!(" {p}"))
                        .unwrap_or_default()
                ),
                a.cap,
                share,
                a.used_before,
                a.draw,
                rem,
                if a.within_limit { "ok" } else { "EXCEEDED" }
            );
        }
    }
    let _ = writeln!(s, "\nreasons:");
    for (i, r) in d.reasons.iter().enumerate() {
        let _ = writeln!(s, "  {:>2}. [{}] {}", i + 1, r.citation, r.text);
    }
    if !d.notices.is_empty() {
        let _ = writeln!(s, "\nnotices:");
        for n in &d.notices {
            let _ = writeln!(
                s,
                "  - {}{}",
                n.text,
                n.citation
                    .as_ref()
                    .map(|c| format!(" [{c}]"))
                    .unwrap_or_default()
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn clean_matches_the_naive_test(s in "\\PC{0,40}|[\"\\\\\\x00-\\x1f a-z\u{80}-\u{10ffff}]{0,40}") {
            let naive = !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
            proptest::prop_assert_eq!(clean(&s), naive);
            let mut out = String::new();
            escape_into(&mut out, &s);
            let back: String = serde_json::from_str(&format!("\"{out}\"")).unwrap_or_default();
            proptest::prop_assert_eq!(back, s);
        }
    }
}
