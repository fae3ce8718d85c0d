//! Ledger entries (append-only; corrections are reversing entries) and the draws each one makes.
//!
//! Draws are a pure function of an entry (and, for a reversal, of the entry it reverses): the stores
//! keep them as running sums for the hot path, and `verify` derives them again from the entries.

use chipcap_core::country::CountryCode;
use chipcap_core::date::Date;
use chipcap_core::determination::Authorization;
use chipcap_core::units::Tpp;
use serde::{Deserialize, Serialize};

use crate::error::{input, Error};

/// Serde for [`Date`] as `YYYY-MM-DD`.
pub(crate) mod date_text {
    use chipcap_core::date::Date;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(d)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<Date>()
            .map_err(|e| serde::de::Error::custom(format!("{e}, got `{s}`")))
    }
}

/// Serde for an optional [`Date`].
pub(crate) mod opt_date_text {
    use chipcap_core::date::Date;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.collect_str(d),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => s
                .parse::<Date>()
                .map(Some)
                .map_err(|e| serde::de::Error::custom(format!("{e}, got `{s}`"))),
        }
    }
}

/// Serde for [`Tpp`] as its integer milli-TPP (the stored form of every `*_milli` field: the same
/// JSON number, read with the same messages, as the `u64` it was before it was typed).
pub(crate) mod tpp_milli {
    use chipcap_core::units::Tpp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Tpp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(t.milli())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tpp, D::Error> {
        u64::deserialize(d).map(Tpp::from_milli)
    }
}

/// Serde for a [`CountryCode`] the ledger wrote itself (a shipment's or licence's destination): the
/// upper-case code, exactly; anything else in a stored entry is an error naming it.
pub(crate) mod country_code {
    use chipcap_core::country::CountryCode;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(c: &CountryCode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CountryCode, D::Error> {
        let s = String::deserialize(d)?;
        CountryCode::parse(&s)
            .filter(|c| c.as_str() == s)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "is not an ISO 3166-1 alpha-2 country code, got `{s}`"
                ))
            })
    }
}

/// Serde for the countries of a VEU authorisation as the ledger stores them: each the upper-case
/// code, exactly (see [`country_code`]).
pub(crate) mod country_codes {
    use chipcap_core::country::CountryCode;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(cs: &[CountryCode], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(cs.len()))?;
        for c in cs {
            seq.serialize_element(c.as_str())?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CountryCode>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.into_iter()
            .map(|s| {
                CountryCode::parse(&s)
                    .filter(|c| c.as_str() == s)
                    .ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            "is not an ISO 3166-1 alpha-2 country code, got `{s}`"
                        ))
                    })
            })
            .collect()
    }
}

/// What a shipment was made under (stored as `AIA`, `LPP`, `UVEU`, `NVEU`, `ACA`, `NAC`, `ACM`,
/// `licence` or `NLR`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ShippedUnder {
    /// A licence exception or authorisation the determination found.
    Exception(Authorization),
    /// The licence named in the request (`licence`).
    Licence,
    /// No licence required (`NLR`).
    Nlr,
}

impl ShippedUnder {
    const EXCEPTIONS: [Authorization; 7] = [
        Authorization::Aia,
        Authorization::Lpp,
        Authorization::Aca,
        Authorization::Nac,
        Authorization::Acm,
        Authorization::Uveu,
        Authorization::Nveu,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ShippedUnder::Exception(a) => a.as_str(),
            ShippedUnder::Licence => "licence",
            ShippedUnder::Nlr => "NLR",
        }
    }

    /// Reads the stored form.
    pub fn parse(s: &str) -> Option<ShippedUnder> {
        match s {
            "licence" => Some(ShippedUnder::Licence),
            "NLR" => Some(ShippedUnder::Nlr),
            _ => ShippedUnder::EXCEPTIONS
                .into_iter()
                .find(|a| a.as_str() == s)
                .map(ShippedUnder::Exception),
        }
    }
}

impl Serialize for ShippedUnder {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ShippedUnder {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ShippedUnder, D::Error> {
        let s = String::deserialize(d)?;
        ShippedUnder::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`authorization` must be AIA, LPP, UVEU, NVEU, ACA, NAC, ACM, licence or NLR, got `{s}`"
            ))
        })
    }
}

/// A VEU authorisation kind.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = VeuDoc))]
pub enum VeuKind {
    /// Universal VEU.
    Uveu,
    /// National VEU.
    Nveu,
}

impl VeuKind {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            VeuKind::Uveu => "uveu",
            VeuKind::Nveu => "nveu",
        }
    }

    /// The core's name for it.
    pub fn claimed(self) -> chipcap_core::request::ClaimedAuthorization {
        match self {
            VeuKind::Uveu => chipcap_core::request::ClaimedAuthorization::Uveu,
            VeuKind::Nveu => chipcap_core::request::ClaimedAuthorization::Nveu,
        }
    }
}

/// A VEU authorisation held by a party, as recorded: its countries checked against the rules'
/// country table and upper-cased (given as [`VeuAuthorizationInput`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VeuAuthorization {
    /// UVEU or NVEU.
    pub kind: VeuKind,
    /// Countries where its data centers may receive items (NVEU: exactly one; UVEU: empty = any
    /// eligible country).
    #[serde(default, with = "country_codes")]
    pub countries: Vec<CountryCode>,
    /// First day in force.
    #[serde(with = "date_text")]
    pub from: Date,
    /// Last day in force, if any.
    #[serde(
        default,
        with = "opt_date_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<Date>,
}

impl VeuAuthorization {
    /// The facts the core decides from for a request to `country` (see
    /// [`chipcap_core::recorded::veu_claim`]).
    pub fn record(&self, country: CountryCode) -> chipcap_core::recorded::VeuRecord {
        chipcap_core::recorded::VeuRecord {
            kind: self.kind.claimed(),
            from: self.from,
            to: self.to,
            names_destination: self.countries.contains(&country),
            names_no_country: self.countries.is_empty(),
        }
    }

    /// Whether it covers `country` on `date` (decided by the core).
    pub fn covers(&self, kind: VeuKind, country: CountryCode, date: Date) -> bool {
        self.record(country).covers(kind.claimed(), date)
    }
}

// As given: the countries as typed; the ledger checks and upper-cases them when it records the
// party (`Ledger::record_input`). The doc line below is the OpenAPI description.
/// A VEU authorisation held by a party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = VeuAuthorizationDoc))]
pub struct VeuAuthorizationInput {
    /// UVEU or NVEU.
    pub kind: VeuKind,
    /// Countries where its data centers may receive items (NVEU: exactly one; UVEU: empty = any
    /// eligible country).
    #[serde(default)]
    pub countries: Vec<String>,
    /// First day in force.
    #[serde(with = "date_text")]
    #[cfg_attr(feature = "schema", schema(value_type = String, format = Date))]
    pub from: Date,
    /// Last day in force, if any.
    #[serde(
        default,
        with = "opt_date_text",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>, format = Date))]
    pub to: Option<Date>,
}

impl From<VeuAuthorization> for VeuAuthorizationInput {
    fn from(v: VeuAuthorization) -> VeuAuthorizationInput {
        VeuAuthorizationInput {
            kind: v.kind,
            countries: v.countries.iter().map(|c| c.as_str().to_string()).collect(),
            from: v.from,
            to: v.to,
        }
    }
}

/// A party and its VEU authorisations, as recorded (the headquarters and VEU countries typed;
/// given as [`PartyInput`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Name, as requests name the consignee.
    pub name: String,
    /// Headquarters of the party or its ultimate parent.
    #[serde(with = "country_code")]
    pub headquarters: CountryCode,
    /// VEU authorisations.
    #[serde(default)]
    pub veu: Vec<VeuAuthorization>,
}

// As given: the countries as typed (see [`BodyInput`]). The doc lines below are its OpenAPI
// description.
/// A party (consignee or exporter) and its VEU authorisations; a later entry for the same name
/// supersedes an earlier one from its date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = Party))]
pub struct PartyInput {
    /// Name, as requests name the consignee.
    #[cfg_attr(
        feature = "schema",
        schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")
    )]
    pub name: String,
    /// Headquarters of the party or its ultimate parent (ISO 3166-1 alpha-2).
    pub headquarters: String,
    /// VEU authorisations.
    #[serde(default)]
    pub veu: Vec<VeuAuthorizationInput>,
}

impl From<Party> for PartyInput {
    fn from(p: Party) -> PartyInput {
        PartyInput {
            name: p.name,
            headquarters: p.headquarters.as_str().to_string(),
            veu: p.veu.into_iter().map(VeuAuthorizationInput::from).collect(),
        }
    }
}

/// Government-to-government assurances of a country, as recorded (given as [`AssuranceInput`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assurance {
    /// The country.
    #[serde(with = "country_code")]
    pub country: CountryCode,
    /// The uplift, percent (0 to 100).
    pub uplift_percent: u32,
}

// As given: the country as typed (see [`BodyInput`]). The doc lines below are its OpenAPI
// description.
/// Government-to-government assurances of a country, with the uplift of its allocation
/// (15 CFR 742.6(b)(10)(iii)(C)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = Assurance))]
pub struct AssuranceInput {
    /// The country.
    pub country: String,
    /// The uplift, percent (0 to 100).
    #[cfg_attr(feature = "schema", schema(maximum = 100))]
    pub uplift_percent: u32,
}

impl From<Assurance> for AssuranceInput {
    fn from(a: Assurance) -> AssuranceInput {
        AssuranceInput {
            country: a.country.as_str().to_string(),
            uplift_percent: a.uplift_percent,
        }
    }
}

/// A line of chips, resolved (TPP per unit and whether it is .a-type, counted toward allocations).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// Catalog id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chip: Option<String>,
    /// Units.
    pub quantity: u64,
    /// TPP of one unit (stored as milli-TPP).
    #[serde(rename = "unit_tpp_milli", with = "tpp_milli")]
    pub unit_tpp: Tpp,
    /// 3A090.a / 4A090.a / .a-type .z: counted toward allocations.
    pub a_type: bool,
}

/// A licence granted (counts against the destination's Tier 2 allocation when granted: reading D7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenceGrant {
    /// Licence number.
    pub number: String,
    /// Ultimate consignee.
    pub consignee: String,
    /// Destination.
    #[serde(with = "country_code")]
    pub destination: CountryCode,
    /// Tier of the destination on the grant date.
    pub tier: u8,
    /// Items.
    pub items: Vec<Line>,
    /// Total TPP (stored as milli-TPP): what shipments under it may draw.
    #[serde(rename = "tpp_milli", with = "tpp_milli")]
    pub tpp: Tpp,
    /// TPP of the .a-type items (stored as milli-TPP): what the country allocation counts.
    #[serde(rename = "counted_milli", with = "tpp_milli")]
    pub counted: Tpp,
    /// Last day the licence is valid.
    #[serde(with = "date_text")]
    pub valid_to: Date,
    /// Reason for granting past the allocation, when forced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forced: Option<String>,
}

/// A shipment made under an authorisation or a licence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    /// Ultimate consignee.
    pub consignee: String,
    /// Destination.
    #[serde(with = "country_code")]
    pub destination: CountryCode,
    /// Items.
    pub items: Vec<Line>,
    /// Total TPP (stored as milli-TPP).
    #[serde(rename = "tpp_milli", with = "tpp_milli")]
    pub tpp: Tpp,
    /// TPP of the .a-type items (stored as milli-TPP).
    #[serde(rename = "counted_milli", with = "tpp_milli")]
    pub counted: Tpp,
    /// What it was shipped under.
    pub authorization: ShippedUnder,
    /// The licence number when shipped under a licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// The consignee's name as the request spelled it, when it differs from `consignee` (the
    /// spelling the ledger already knew the party by; see [`crate::identity`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consignee_as_given: Option<String>,
    /// The rule version the shipment was decided under (absent in entries written before rule
    /// versions existed, which were decided under `ai-diffusion-2025`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<String>,
}

/// Units of a product shipped to end-use customers in the United States: the denominator of the
/// 50% certification of 91 FR 1684 (aggregate China and Macau shipments of the product at most half
/// of its US end-use shipments).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct UsShipment {
    /// The catalog id of the product.
    pub chip: String,
    /// Units.
    #[cfg_attr(feature = "schema", schema(minimum = 1))]
    pub quantity: u64,
    /// TPP of one unit, stored as milli-TPP (from the catalog when recorded).
    #[serde(rename = "unit_tpp_milli", default, with = "tpp_milli")]
    #[cfg_attr(feature = "schema", schema(ignore))]
    pub unit_tpp: Tpp,
}

/// Why VEU-installed chips left the installed base (748.15(a)(2)(iii)(B)).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = CauseDoc))]
pub enum Cause {
    /// Loss.
    Loss,
    /// Damage.
    Damage,
    /// Failure.
    Failure,
    /// Relocation.
    Relocation,
    /// Resale.
    Resale,
}

/// Attrition of VEU-installed chips, as recorded (given as [`AttritionInput`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attrition {
    /// The VEU.
    pub consignee: String,
    /// Where the chips were installed.
    #[serde(with = "country_code")]
    pub country: CountryCode,
    /// Which installed base.
    pub veu: VeuKind,
    /// TPP leaving the installed base (stored as milli-TPP).
    #[serde(rename = "tpp_milli", with = "tpp_milli")]
    pub tpp: Tpp,
    /// Why.
    pub cause: Cause,
}

// As given: the country as typed (see [`BodyInput`]). The doc lines below are its OpenAPI
// description.
/// Attrition of VEU-installed chips.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = Attrition))]
pub struct AttritionInput {
    /// The VEU.
    #[cfg_attr(
        feature = "schema",
        schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")
    )]
    pub consignee: String,
    /// Where the chips were installed.
    pub country: String,
    /// Which installed base.
    pub veu: VeuKind,
    /// TPP leaving the installed base, milli-TPP.
    #[serde(rename = "tpp_milli", with = "tpp_milli")]
    #[cfg_attr(feature = "schema", schema(value_type = u64, minimum = 1))]
    pub tpp: Tpp,
    /// Why.
    pub cause: Cause,
}

impl From<Attrition> for AttritionInput {
    fn from(a: Attrition) -> AttritionInput {
        AttritionInput {
            consignee: a.consignee,
            country: a.country.as_str().to_string(),
            veu: a.veu,
            tpp: a.tpp,
            cause: a.cause,
        }
    }
}

/// An audited manual adjustment of one allowance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Adjustment {
    /// The allowance key (see [`Key`]).
    pub key: String,
    /// Signed amount, milli-TPP.
    pub amount_milli: i64,
    /// Why.
    #[cfg_attr(feature = "schema", schema(min_length = 1, pattern = r"\S"))]
    pub reason: String,
}

/// A reviewer's decision on a restricted-party screening hit.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = DispositionKindDoc))]
pub enum DispositionKind {
    /// The party is the listed entity.
    TrueMatch,
    /// The party is not the listed entity.
    FalsePositive,
}

impl DispositionKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            DispositionKind::TrueMatch => "true_match",
            DispositionKind::FalsePositive => "false_positive",
        }
    }
}

/// A reviewer's disposition of a screening hit: applied to later screenings of the same party
/// (by its normalised name) against the same list entry, for as long as the entry's fingerprint is
/// unchanged; a list update that changes the entry sends it back for review. Who and when are the
/// entry's `recorded_by` and `recorded_at`; a later disposition of the same pair supersedes an
/// earlier one, and a reversal withdraws it. It draws on no allowance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disposition {
    /// The party's name as screened.
    pub party: String,
    /// Its normalised form (the lookup key, computed by the screening edge).
    pub party_normalized: String,
    /// The list entry's key (`entry_key` of the hit).
    pub entry_key: String,
    /// The list entry's fingerprint when decided.
    pub entry_fingerprint: String,
    /// The list the entry is on (for people reading the ledger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The decision.
    pub disposition: DispositionKind,
    /// Why.
    pub reason: String,
}

/// What an entry records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// A party and its VEU authorisations.
    Party(Party),
    /// Government-to-government assurances.
    Assurance(Assurance),
    /// A licence granted.
    LicenceGrant(LicenceGrant),
    /// A shipment.
    Shipment(Shipment),
    /// Attrition of VEU-installed chips.
    Attrition(Attrition),
    /// A manual adjustment.
    Adjustment(Adjustment),
    /// A reviewer's disposition of a screening hit.
    Disposition(Disposition),
    /// Units of a product shipped to US end-use customers (91 FR 1684).
    UsShipment(UsShipment),
    /// Reverses the entry with client id `of`.
    Reversal {
        /// The client id of the entry reversed.
        of: String,
        /// Why.
        #[serde(default)]
        reason: String,
    },
}

impl Body {
    /// The kind as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Party(_) => "party",
            Body::Assurance(_) => "assurance",
            Body::LicenceGrant(_) => "licence_grant",
            Body::Shipment(_) => "shipment",
            Body::Attrition(_) => "attrition",
            Body::Adjustment(_) => "adjustment",
            Body::Disposition(_) => "disposition",
            Body::UsShipment(_) => "us_shipment",
            Body::Reversal { .. } => "reversal",
        }
    }

    /// What it is looked up by: party name, country, licence number, consignee, or reversed id.
    pub fn subject(&self) -> &str {
        match self {
            Body::Party(p) => &p.name,
            Body::Assurance(a) => a.country.as_str(),
            Body::LicenceGrant(l) => &l.number,
            Body::Shipment(s) => &s.consignee,
            Body::Attrition(a) => &a.consignee,
            Body::Adjustment(a) => &a.key,
            Body::Disposition(d) => &d.party_normalized,
            Body::UsShipment(u) => &u.chip,
            Body::Reversal { of, .. } => of,
        }
    }
}

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Position in the ledger (assigned when recorded; 0 before).
    #[serde(default)]
    pub seq: u64,
    /// Client-supplied idempotency key.
    pub client_id: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When it was recorded (RFC 3339, supplied by the edge).
    pub recorded_at: String,
    /// The date it takes effect.
    #[serde(with = "date_text")]
    pub date: Date,
    /// What it records.
    pub body: Body,
}

/// What an entry given to `Ledger::record_input` records: [`Body`], with the countries a user types
/// (party headquarters, VEU countries, assurance and attrition countries) as text, serialised
/// exactly as the entry would be. The ledger checks them against the rules' country table (in any
/// case; recorded upper case) when it records the entry, with the messages it always gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BodyInput {
    /// A party and its VEU authorisations.
    Party(PartyInput),
    /// Government-to-government assurances.
    Assurance(AssuranceInput),
    /// A licence granted (recorded by `grant`, not here).
    LicenceGrant(LicenceGrant),
    /// A shipment (recorded by `apply`, not here).
    Shipment(Shipment),
    /// Attrition of VEU-installed chips.
    Attrition(AttritionInput),
    /// A manual adjustment.
    Adjustment(Adjustment),
    /// A reviewer's disposition of a screening hit.
    Disposition(Disposition),
    /// Units of a product shipped to US end-use customers (91 FR 1684).
    UsShipment(UsShipment),
    /// Reverses the entry with client id `of`.
    Reversal {
        /// The client id of the entry reversed.
        of: String,
        /// Why.
        #[serde(default)]
        reason: String,
    },
}

impl BodyInput {
    /// The kind as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            BodyInput::Party(_) => "party",
            BodyInput::Assurance(_) => "assurance",
            BodyInput::LicenceGrant(_) => "licence_grant",
            BodyInput::Shipment(_) => "shipment",
            BodyInput::Attrition(_) => "attrition",
            BodyInput::Adjustment(_) => "adjustment",
            BodyInput::Disposition(_) => "disposition",
            BodyInput::UsShipment(_) => "us_shipment",
            BodyInput::Reversal { .. } => "reversal",
        }
    }
}

impl From<Body> for BodyInput {
    fn from(b: Body) -> BodyInput {
        match b {
            Body::Party(p) => BodyInput::Party(p.into()),
            Body::Assurance(a) => BodyInput::Assurance(a.into()),
            Body::LicenceGrant(l) => BodyInput::LicenceGrant(l),
            Body::Shipment(s) => BodyInput::Shipment(s),
            Body::Attrition(a) => BodyInput::Attrition(a.into()),
            Body::Adjustment(a) => BodyInput::Adjustment(a),
            Body::Disposition(d) => BodyInput::Disposition(d),
            Body::UsShipment(u) => BodyInput::UsShipment(u),
            Body::Reversal { of, reason } => BodyInput::Reversal { of, reason },
        }
    }
}

/// An entry as given to `Ledger::record_input` (see [`BodyInput`]); its `seq` is assigned when it
/// is recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    /// Client-supplied idempotency key.
    pub client_id: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When it was recorded (RFC 3339, supplied by the edge).
    pub recorded_at: String,
    /// The date it takes effect.
    #[serde(with = "date_text")]
    pub date: Date,
    /// What it records.
    pub body: BodyInput,
}

impl From<Entry> for EntryInput {
    fn from(e: Entry) -> EntryInput {
        EntryInput {
            client_id: e.client_id,
            recorded_by: e.recorded_by,
            recorded_at: e.recorded_at,
            date: e.date,
            body: e.body.into(),
        }
    }
}

/// An allowance a draw counts against.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// Tier 2 country allocation, 2025-2027 (742.6(b)(10)(iii)(B)).
    Country(CountryCode),
    /// LPP per consignee per calendar year (740.29(a)).
    Lpp(String, i32),
    /// NVEU installed base per (entity, country) (748.15(a)(2)(iii)(B)).
    Nveu(String, CountryCode),
    /// UVEU installed base per (entity, country) (Supp. No. 10 to part 748 para 6).
    Uveu(String, CountryCode),
    /// Cumulative AIA TPP per consignee (740.27(c)).
    Aia(String),
    /// TPP shipped under a licence.
    Licence(String),
    /// TPP of a product shipped to US end-use customers (91 FR 1684).
    UsEndUse(String),
    /// TPP of a product exported under licence to China or Macau, decided under the enforced line.
    ChinaMacau(String),
}

/// The separator of key parts (names may not contain it).
pub const SEP: char = '|';

impl Key {
    /// The stored form: `country_allocation|AE`, `lpp|Example AI LLC|2025`, `nveu|X|AE`,
    /// `uveu|X|AE`, `aia|X`, `licence|L-1`.
    pub fn text(&self) -> String {
        match self {
            Key::Country(c) => format!("country_allocation{SEP}{c}"),
            Key::Lpp(n, y) => format!("lpp{SEP}{n}{SEP}{y}"),
            Key::Nveu(n, c) => format!("nveu{SEP}{n}{SEP}{c}"),
            Key::Uveu(n, c) => format!("uveu{SEP}{n}{SEP}{c}"),
            Key::Aia(n) => format!("aia{SEP}{n}"),
            Key::Licence(l) => format!("licence{SEP}{l}"),
            Key::UsEndUse(c) => format!("us_end_use{SEP}{c}"),
            Key::ChinaMacau(c) => format!("china_macau{SEP}{c}"),
        }
    }

    /// Reads the stored form.
    pub fn parse(s: &str) -> Result<Key, Error> {
        let parts: Vec<&str> = s.split(SEP).collect();
        let bad = || {
            input(format!(
                "allowance key must look like `country_allocation|AE`, `lpp|NAME|YEAR`, `nveu|NAME|CC`, `uveu|NAME|CC`, `aia|NAME`, `licence|NUMBER`, `us_end_use|CHIP` or `china_macau|CHIP`, got `{s}`"
            ))
        };
        let nonempty = |p: &str| -> Result<String, Error> {
            if p.trim().is_empty() {
                Err(bad())
            } else {
                Ok(p.to_string())
            }
        };
        let cc = |p: &str| -> Result<CountryCode, Error> { CountryCode::parse(p).ok_or_else(bad) };
        match parts.as_slice() {
            ["country_allocation", c] => Ok(Key::Country(cc(c)?)),
            ["lpp", n, y] => Ok(Key::Lpp(nonempty(n)?, y.parse::<i32>().map_err(|_| bad())?)),
            ["nveu", n, c] => Ok(Key::Nveu(nonempty(n)?, cc(c)?)),
            ["uveu", n, c] => Ok(Key::Uveu(nonempty(n)?, cc(c)?)),
            ["aia", n] => Ok(Key::Aia(nonempty(n)?)),
            ["licence", l] => Ok(Key::Licence(nonempty(l)?)),
            ["us_end_use", c] => Ok(Key::UsEndUse(nonempty(c)?)),
            ["china_macau", c] => Ok(Key::ChinaMacau(nonempty(c)?)),
            _ => Err(bad()),
        }
    }

    /// The allowance name (`country_allocation`, `lpp`, `nveu_allocation`, `uveu_installed`, `aia`,
    /// `licence`).
    pub fn allowance(&self) -> &'static str {
        match self {
            Key::Country(_) => "country_allocation",
            Key::Lpp(..) => "lpp",
            Key::Nveu(..) => "nveu_allocation",
            Key::Uveu(..) => "uveu_installed",
            Key::Aia(_) => "aia",
            Key::Licence(_) => "licence",
            Key::UsEndUse(_) => "us_end_use",
            Key::ChinaMacau(_) => "china_us_share",
        }
    }
}

/// The party named in a stored allowance key (`lpp|NAME|YEAR`, `aia|NAME`, `nveu|NAME|CC`,
/// `uveu|NAME|CC`), if it names one.
pub fn key_party(key: &str) -> Option<&str> {
    let mut parts = key.split(SEP);
    match (parts.next(), parts.next()) {
        (Some("lpp" | "aia" | "nveu" | "uveu"), Some(n)) => Some(n),
        _ => None,
    }
}

/// An amount counted against an allowance, effective on a date.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Draw {
    /// The allowance key, stored form.
    pub key: String,
    /// The effective date.
    pub date: Date,
    /// Signed milli-TPP.
    pub amount: i64,
}

fn amount(milli: u64) -> Result<i64, Error> {
    i64::try_from(milli).map_err(|_| input(format!("amount `{milli}` milli-TPP is too large")))
}

/// `unit` TPP times `quantity`, as a signed draw (saturating as before: a product past `u64` is
/// refused as too large by [`amount`]).
fn amount_of(unit: Tpp, quantity: u64) -> Result<i64, Error> {
    amount(unit.milli().saturating_mul(quantity))
}

/// The first day the country allocation counts licences from (742.6(b)(10)(iii)(B)(1)).
pub fn allocation_start() -> Option<Date> {
    Date::new(2025, 1, 1)
}

/// The draws of an entry. A reversal needs the entry it reverses (`original`).
pub fn draws_of(entry: &Entry, original: Option<&Entry>) -> Result<Vec<Draw>, Error> {
    let d = entry.date;
    let one = |key: Key, amt: i64| {
        vec![Draw {
            key: key.text(),
            date: d,
            amount: amt,
        }]
    };
    Ok(match &entry.body {
        Body::Party(_) | Body::Assurance(_) | Body::Disposition(_) => Vec::new(),
        Body::UsShipment(u) => one(
            Key::UsEndUse(u.chip.clone()),
            amount_of(u.unit_tpp, u.quantity)?,
        ),
        Body::LicenceGrant(l) => {
            let counts =
                l.tier == 2 && l.counted > Tpp::ZERO && allocation_start().is_some_and(|s| d >= s);
            if counts {
                one(Key::Country(l.destination), amount(l.counted.milli())?)
            } else {
                Vec::new()
            }
        }
        Body::Shipment(s) => {
            let c = amount(s.counted.milli())?;
            match s.authorization {
                ShippedUnder::Exception(Authorization::Lpp) => {
                    one(Key::Lpp(s.consignee.clone(), d.year()), c)
                }
                ShippedUnder::Exception(Authorization::Nveu) => {
                    one(Key::Nveu(s.consignee.clone(), s.destination), c)
                }
                ShippedUnder::Exception(Authorization::Uveu) => {
                    one(Key::Uveu(s.consignee.clone(), s.destination), c)
                }
                ShippedUnder::Exception(Authorization::Aia) => {
                    one(Key::Aia(s.consignee.clone()), c)
                }
                ShippedUnder::Licence => match &s.licence {
                    Some(l) => {
                        let mut v = one(Key::Licence(l.clone()), amount(s.tpp.milli())?);
                        // Licensed exports to China or Macau (Hong Kong is China for the EAR) decided
                        // under the enforced line count toward the 50% certification, per product.
                        let china = [CountryCode::CN, CountryCode::HK, CountryCode::MO]
                            .contains(&s.destination);
                        if china && s.rule_set.as_deref() == Some("advanced-computing-2023") {
                            for line in &s.items {
                                if let Some(chip) = &line.chip {
                                    v.push(Draw {
                                        key: Key::ChinaMacau(chip.clone()).text(),
                                        date: d,
                                        amount: amount_of(line.unit_tpp, line.quantity)?,
                                    });
                                }
                            }
                        }
                        v
                    }
                    None => Vec::new(),
                },
                _ => Vec::new(),
            }
        }
        Body::Attrition(a) => {
            let k = match a.veu {
                VeuKind::Nveu => Key::Nveu(a.consignee.clone(), a.country),
                VeuKind::Uveu => Key::Uveu(a.consignee.clone(), a.country),
            };
            one(k, -amount(a.tpp.milli())?)
        }
        Body::Adjustment(a) => vec![Draw {
            key: Key::parse(&a.key)?.text(),
            date: d,
            amount: a.amount_milli,
        }],
        Body::Reversal { of, .. } => {
            let orig = original
                .ok_or_else(|| Error::NotFound(format!("no entry with id `{of}` to reverse")))?;
            draws_of(orig, None)?
                .into_iter()
                .map(|x| Draw {
                    key: x.key,
                    date: d,
                    amount: -x.amount,
                })
                .collect()
        }
    })
}
