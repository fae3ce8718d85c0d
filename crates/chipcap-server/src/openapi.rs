//! The OpenAPI 3.1 document, generated from the handlers' annotations and the schema types below
//! (which describe the wire documents; the documents themselves are written by chipcap-core).

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// One item: a catalog chip or an explicit specification.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ItemDoc {
    /// Catalog chip id (`nvidia-h100-sxm`).
    chip: Option<String>,
    /// TPP per unit (exact to 0.001; a number or a decimal string).
    tpp: Option<f64>,
    /// Applicable die area, mm^2.
    die_area_mm2: Option<f64>,
    /// Designed or marketed for datacenters.
    datacenter: Option<bool>,
    /// Units (a positive whole number).
    #[schema(minimum = 1)]
    quantity: u64,
    /// `ic` (3A090, default), `computer` (4A090: a computer, assembly or component containing the
    /// IC) or `hbm` (3A090.c: give `memory_bandwidth_gbps` and `package_area_mm2`).
    form: Option<ItemFormDoc>,
    /// Total DRAM bandwidth of one IC, GB/s (default from the catalog).
    dram_bandwidth_gbps: Option<f64>,
    /// First commercial availability in the US (YYYY-MM-DD; default from the catalog).
    #[schema(format = Date)]
    us_available_from: Option<String>,
    /// Country of the designer's headquarters (ISO 3166-1 alpha-2; default from the catalog).
    designer_country: Option<String>,
    /// HBM only: memory bandwidth, GB/s.
    memory_bandwidth_gbps: Option<f64>,
    /// HBM only: package or stack area, mm^2.
    package_area_mm2: Option<f64>,
}

/// What an item line is.
#[derive(ToSchema, serde::Deserialize)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ItemFormDoc {
    /// Integrated circuits.
    Ic,
    /// Computers, assemblies, components (4A090).
    Computer,
    /// High-bandwidth memory (3A090.c).
    Hbm,
}

/// A rule version.
#[derive(ToSchema, serde::Deserialize)]
#[allow(dead_code)]
pub enum RuleSetDoc {
    /// The controls enforced (88 FR 73458 as amended); the default on every date.
    #[serde(rename = "advanced-computing-2023")]
    #[schema(rename = "advanced-computing-2023")]
    AdvancedComputing2023,
    /// The AI Diffusion framework as printed (90 FR 4544), not enforced.
    #[serde(rename = "ai-diffusion-2025")]
    #[schema(rename = "ai-diffusion-2025")]
    AiDiffusion2025,
}

/// The kind of transaction.
#[derive(ToSchema, serde::Deserialize)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum TransactionDoc {
    /// From the United States (default).
    Export,
    /// From one foreign country to another.
    Reexport,
    /// An export from abroad of a foreign-made item subject to the EAR.
    ExportFromAbroad,
    /// In-country.
    Transfer,
}

/// The ultimate consignee.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ConsigneeDoc {
    /// Name.
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    name: Option<String>,
    /// Headquarters (ISO 3166-1 alpha-2) of the consignee or its ultimate parent.
    headquarters: Option<String>,
    /// `none`, `uveu` or `nveu`.
    authorization: Option<AuthorizationDoc>,
    /// The consignee provides infrastructure as a service (raises the 2025-05-13 red-flag notice).
    iaas_provider: Option<bool>,
}

/// A request document (docs/contract.md). For `POST /v1/ledger/apply` it also carries `id`
/// (idempotency key) and optionally `licence`; the ledger fills `context`.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "date": "2025-06-15",
    "destination": "AE",
    "items": [{"chip": "nvidia-h100-sxm", "quantity": 2000}],
    "consignee": {"name": "Example AI LLC", "headquarters": "AE", "authorization": "none"}
}))]
#[allow(dead_code)]
pub struct RequestDoc {
    /// Client id (ledger apply: required).
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    id: Option<String>,
    /// Decision date (YYYY-MM-DD; default today, UTC).
    #[schema(format = Date)]
    date: Option<String>,
    /// Destination (ISO 3166-1 alpha-2).
    #[schema(example = "AE")]
    destination: String,
    /// Items (or `model_weights`).
    #[schema(min_items = 1)]
    items: Option<Vec<ItemDoc>>,
    /// ECCN 4E091: `{"training_operations": "1.2e26", "published": false}`.
    model_weights: Option<Object>,
    /// The ultimate consignee.
    consignee: Option<ConsigneeDoc>,
    /// What has already been drawn (when the caller supplies it).
    context: Option<Object>,
    /// Options (`strict_740_2`, `model_threshold_operations`).
    options: Option<Object>,
    /// The licence a ledger shipment is made under.
    licence: Option<String>,
    /// The rule version; default: the version enforced on the date (`advanced-computing-2023`).
    rule_set: Option<RuleSetDoc>,
    /// `export` (default), `reexport`, `export_from_abroad` or `transfer`.
    transaction: Option<TransactionDoc>,
}

/// Units of a product shipped to US end-use customers.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UsShipmentDoc {
    /// Client id.
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    id: String,
    /// Effective date (default today).
    #[schema(format = Date)]
    date: Option<String>,
    /// The product (catalog chip id).
    chip: String,
    /// Units.
    #[schema(minimum = 1)]
    quantity: u64,
}

/// A request decided under every rule version.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ComparisonDoc {
    /// The version enforced on the decision date.
    enforced: String,
    /// The fields that differ: `{"field": "decision", "advanced-computing-2023": ..., "ai-diffusion-2025": ...}`.
    changed: Vec<Object>,
    /// The determination under each version, by version name.
    determinations: Object,
}

/// The outcome.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DecisionDoc {
    /// These controls do not reach the items.
    NotControlled,
    /// A licence exception or VEU authorisation covers it.
    Authorized,
    /// An individual licence is required.
    LicenseRequired,
    /// The items are controlled but this export needs no licence (NLR).
    NoLicenseRequired,
}

/// A reason, with its citation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReasonDoc {
    /// The paragraph (`15 CFR 742.6(b)(10)(iii)(B)(1)`).
    citation: String,
    /// What it says about this request.
    text: String,
}

/// A determination (docs/contract.md), exactly as `chipcap check` prints it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeterminationDoc {
    decision: DecisionDoc,
    /// `AIA`, `LPP`, `ACA`, `NAC`, `ACM`, `UVEU`, `NVEU`, or null.
    authorization: Option<String>,
    /// With `license_required` only.
    review_policy: Option<String>,
    /// Tier of the destination (1, 2, 3) under `ai-diffusion-2025`; null under
    /// `advanced-computing-2023`, which has no tiers.
    tier: Option<u8>,
    /// `3A090.a`, `4A090.a`, `3A090.b`, `4A090.b`, `3A090.c`, `4E091`, or `none`.
    eccn: String,
    /// Total TPP (exact to 0.001).
    tpp: f64,
    /// TPP / H100 TPP (display only).
    h100_equivalents: f64,
    /// Every cap drawn on or tested against, before and after.
    allowances: Vec<Object>,
    /// The rules applied, in order; never empty.
    reasons: Vec<ReasonDoc>,
    /// What the user must still do or know.
    notices: Vec<Object>,
    /// Per-item classification.
    items: Vec<Object>,
    /// The rule set applied.
    rule_set: String,
    /// Decision date.
    date: String,
    /// The H100 TPP used for display.
    h100_tpp: f64,
    /// Screening results, when screened.
    screening: Option<Object>,
}

/// A problem (RFC 9457). `code` is stable; `field` names the field at fault.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProblemDoc {
    /// `/problems/{code}`.
    #[schema(rename = "type")]
    kind: String,
    /// Summary.
    title: String,
    /// HTTP status.
    status: u16,
    /// Stable code: `invalid_request`, `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `timeout`, `payload_too_large`, `conflict`, `cap_exceeded`,
    /// `negative_balance`, `no_ledger`, `unavailable`, `internal`.
    code: String,
    /// JSON path of the field at fault (`items[0].quantity`) or the query parameter.
    field: Option<String>,
    /// What is wrong, naming the bad value.
    detail: String,
}

/// The answer to `POST /v1/ledger/apply/batch`: one result per request, in order.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BatchResultsDoc {
    /// The determination of each request (with `id` and `recorded`), or for a request refused when
    /// applied `{"id", "recorded": false, "error": {"code", "message"}}`.
    results: Vec<Object>,
}

/// A screening request: a party's name, with its country and address when known.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "32 Group China Limited", "country": "HK"}))]
#[allow(dead_code)]
pub struct ScreenDoc {
    #[schema(min_length = 1, pattern = r"\S")]
    name: String,
    country: Option<String>,
    address: Option<String>,
}

/// Screening hits: the list versions used and every hit with its explanation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ScreeningDoc {
    query: Object,
    lists: Vec<String>,
    hits: Vec<Object>,
    /// Warnings about the lists in use (a version that shrank by more than half against the one
    /// before it); empty when there are none.
    warnings: Vec<String>,
}

/// A reviewer's disposition of a screening hit.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "disp-1", "party": "Acme Trading", "entry_key": "12345", "disposition": "false_positive", "why": "different company: other city, other registry number"}))]
#[allow(dead_code)]
pub struct DispositionDoc {
    /// Client id (idempotency key; reverse it to withdraw the disposition).
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    id: String,
    /// The party's name as screened.
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    party: String,
    /// The hit's `entry_key`.
    #[schema(min_length = 1)]
    entry_key: String,
    /// `true_match` or `false_positive`.
    disposition: DispositionKindDoc,
    /// Why.
    #[schema(min_length = 1, pattern = r"\S")]
    why: String,
    /// Effective date (default today).
    #[schema(format = Date)]
    date: Option<String>,
}

/// A disposition in force.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DispositionRecordDoc {
    id: String,
    party: String,
    party_normalized: String,
    entry_key: String,
    entry_fingerprint: String,
    source: Option<String>,
    /// `true_match` or `false_positive`.
    disposition: DispositionKindDoc,
    by: String,
    why: String,
    at: String,
}

/// A classification request: a catalog `chip`, or `tpp`, `die_area_mm2` and `datacenter`.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tpp": 4992, "die_area_mm2": 826, "datacenter": true}))]
#[allow(dead_code)]
pub struct ClassifyDoc {
    chip: Option<String>,
    tpp: Option<f64>,
    die_area_mm2: Option<f64>,
    datacenter: Option<bool>,
}

/// The run of a scenario: the document `chipcap simulate --json` prints (docs/simulate.md), plus
/// the SVG charts by file name.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SimulationDoc {
    /// The scenario's name.
    scenario: String,
    /// The rule version it ran under.
    rule_set: String,
    /// The quarters, `YYYYQn`.
    quarters: Vec<String>,
    /// Per country: `country`, `exhausted` (the first quarter with demand refused for lack of
    /// allocation, or null), `thresholds`, `allocation` and `channels` series per quarter.
    #[schema(value_type = Vec<Object>)]
    countries: Vec<serde_json::Value>,
    /// VEU installed bases per quarter.
    #[schema(value_type = Vec<Object>)]
    veu: Vec<serde_json::Value>,
    /// P10/P50/P90 exhaustion quarters when the scenario has a Monte Carlo.
    #[schema(value_type = Option<Object>)]
    monte_carlo: Option<serde_json::Value>,
    /// SVG charts by file name (`burndown-MY.svg`, ...).
    #[schema(value_type = Object)]
    charts: serde_json::Value,
}

/// A classification under ECCN 3A090.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ClassificationDoc {
    chip: String,
    tpp: f64,
    performance_density: Option<f64>,
    datacenter: bool,
    /// `3A090.a`, `3A090.b` or `none`.
    eccn: String,
    paragraph: String,
    citation: String,
}

/// A recent determination.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RecentDoc {
    /// When (RFC 3339).
    at: String,
    /// `check` or `apply`.
    source: String,
    /// The request as sent.
    request: Object,
    /// The determination (or ledger outcome).
    determination: Object,
}

/// A licence grant.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GrantDoc {
    /// Client id (idempotency key).
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    id: String,
    /// Licence number.
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    licence: String,
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    consignee: String,
    destination: String,
    /// Items as in the determination contract.
    #[schema(min_items = 1)]
    items: Vec<ItemDoc>,
    #[schema(format = Date)]
    date: Option<String>,
    #[schema(format = Date)]
    valid_to: String,
    /// Grant past the allocation with this reason (role admin).
    force: Option<String>,
}

/// A reversal.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ReversalDoc {
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    id: String,
    #[schema(format = Date)]
    date: Option<String>,
    /// The client id of the entry reversed.
    #[schema(min_length = 1)]
    of: String,
    reason: Option<String>,
}

/// Attrition of VEU-installed chips.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AttritionDoc {
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    id: String,
    #[schema(format = Date)]
    date: Option<String>,
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    consignee: String,
    country: String,
    /// `uveu` or `nveu`.
    veu: VeuDoc,
    /// milli-TPP.
    #[schema(minimum = 1)]
    tpp_milli: u64,
    /// `loss`, `damage`, `failure`, `relocation`, `resale`.
    cause: CauseDoc,
}

/// A manual adjustment.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AdjustmentDoc {
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    id: String,
    #[schema(format = Date)]
    date: Option<String>,
    /// The allowance key (`lpp|Example AI LLC|2025`).
    key: String,
    /// Signed milli-TPP.
    amount_milli: i64,
    #[schema(min_length = 1, pattern = r"\S")]
    reason: String,
}

/// A party and its VEU authorisations.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PartyDoc {
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    id: String,
    #[schema(format = Date)]
    date: Option<String>,
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    name: String,
    headquarters: String,
    /// `[{"kind": "nveu", "countries": ["AE"], "from": "2025-01-15", "to": null}]`.
    veu: Option<Vec<VeuAuthorizationDoc>>,
}

/// Government-to-government assurances.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AssuranceDoc {
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    id: String,
    #[schema(format = Date)]
    date: Option<String>,
    country: String,
    /// 0 to 100.
    #[schema(maximum = 100)]
    uplift_percent: u32,
}

/// Balances as of a date.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BalancesDoc {
    as_of: String,
    balances: Vec<Object>,
}

/// A page.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PageDoc {
    total: u64,
    offset: u64,
    limit: u64,
    items: Vec<Object>,
}

/// A token (the secret only in the answer to its creation).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TokenDoc {
    id: String,
    name: String,
    /// `viewer`, `officer` or `admin`.
    role: RoleDoc,
    created_at: String,
    token: Option<String>,
}

/// A token to create.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TokenCreateDoc {
    /// `viewer`, `officer` or `admin`.
    role: RoleDoc,
    name: Option<String>,
}

/// Health.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct HealthDoc {
    status: String,
}

/// `true_match` or `false_positive`.
#[derive(ToSchema, serde::Deserialize)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DispositionKindDoc {
    /// The party is the listed entity.
    TrueMatch,
    /// The party is not the listed entity.
    FalsePositive,
}

/// A VEU authorisation kind.
#[derive(ToSchema, serde::Deserialize)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum VeuDoc {
    /// Universal VEU.
    Uveu,
    /// National VEU.
    Nveu,
}

/// The authorisation a consignee claims.
#[derive(ToSchema, serde::Deserialize)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum AuthorizationDoc {
    /// None.
    None,
    /// Universal VEU.
    Uveu,
    /// National VEU.
    Nveu,
}

/// Why VEU-installed chips left the installed base.
#[derive(ToSchema, serde::Deserialize)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum CauseDoc {
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

/// A token's role.
#[derive(ToSchema, serde::Deserialize)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum RoleDoc {
    /// Reads.
    Viewer,
    /// Applies and grants.
    Officer,
    /// Adjusts, forces, manages tokens.
    Admin,
}

/// A VEU authorisation held by a party.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct VeuAuthorizationDoc {
    kind: VeuDoc,
    /// Countries (NVEU: exactly one; UVEU: empty = any eligible country).
    countries: Option<Vec<String>>,
    #[schema(format = Date)]
    from: String,
    #[schema(format = Date)]
    to: Option<String>,
}

/// A free-form JSON object.
pub type Object = serde_json::Map<String, serde_json::Value>;

struct Bearer;

/// Lists the values the server accepts where they are a closed set known from the rules: ISO 3166-1
/// codes for destinations, headquarters and countries, and the chip catalog's ids (from the
/// embedded rules; a server started with `--rules DIR` may accept more chips than the document lists).
struct Enums;

impl Modify for Enums {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::Schema;
        use utoipa::openapi::RefOr;
        let Ok(rules) = chipcap_rules::embedded() else {
            return;
        };
        let countries: Vec<serde_json::Value> = rules
            .countries
            .iter()
            .map(|(c, _)| serde_json::Value::from(c.as_str()))
            .collect();
        let chips: Vec<serde_json::Value> = rules
            .catalog
            .chips()
            .iter()
            .map(|c| serde_json::Value::from(&*c.id))
            .collect();
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let fields: [(&str, &str, &Vec<serde_json::Value>); 8] = [
            ("RequestDoc", "destination", &countries),
            ("ConsigneeDoc", "headquarters", &countries),
            ("GrantDoc", "destination", &countries),
            ("AttritionDoc", "country", &countries),
            ("PartyDoc", "headquarters", &countries),
            ("AssuranceDoc", "country", &countries),
            ("ItemDoc", "chip", &chips),
            ("ClassifyDoc", "chip", &chips),
        ];
        for (schema, field, values) in fields {
            let Some(RefOr::T(Schema::Object(obj))) = components.schemas.get_mut(schema) else {
                continue;
            };
            let required = obj.required.iter().any(|r| r == field);
            if let Some(RefOr::T(Schema::Object(prop))) = obj.properties.get_mut(field) {
                let mut v = values.clone();
                if !required {
                    v.push(serde_json::Value::Null);
                }
                prop.enum_values = Some(v);
            }
        }
    }
}

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "A token from `chipcap token create --role viewer|officer|admin`",
                        ))
                        .build(),
                ),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "chipcap",
        description = "Export-control determinations for advanced AI chips and model weights under the AI Diffusion framework (90 FR 4544), and the allowance ledger. Every error is an RFC 9457 problem document with a stable `code`.",
        license(name = "Apache-2.0")
    ),
    paths(
        crate::api::determine, crate::api::compare, crate::api::recent, crate::api::rules, crate::api::chips,
        crate::api::tiers, crate::api::classify, crate::api::simulate, crate::api::screen, crate::api::disposition_create, crate::api::dispositions_list, crate::api::ledger_apply, crate::api::ledger_apply_batch, crate::api::ledger_grant,
        crate::api::ledger_reverse, crate::api::ledger_attrition, crate::api::ledger_adjust, crate::api::ledger_us_shipment,
        crate::api::ledger_party, crate::api::ledger_parties, crate::api::ledger_assurance,
        crate::api::ledger_assurances, crate::api::ledger_balances, crate::api::ledger_history,
        crate::api::ledger_audit, crate::api::tokens_list, crate::api::tokens_create,
        crate::api::tokens_revoke, crate::api::healthz, crate::api::readyz, crate::api::metrics,
    ),
    modifiers(&Bearer, &Enums),
    tags(
        (name = "determinations", description = "Stateless determinations (the shared contract)"),
        (name = "rules", description = "Rules in force, chip catalog, classification"),
        (name = "screening", description = "Restricted-party screening"),
        (name = "ledger", description = "The allowance ledger"),
        (name = "tokens", description = "Bearer tokens (admin)"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

/// The OpenAPI document as JSON text (built once).
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut d = ApiDoc::openapi();
        d.info.version = env!("CARGO_PKG_VERSION").to_string();
        d.to_pretty_json().unwrap_or_else(|_| String::from("{}"))
    })
}

/// The interactive page at `/docs` (Swagger UI, vendored: no network), reading `/openapi.json`.
pub fn swagger_ui<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    SwaggerUi::new("/docs")
        .config(Config::from("/openapi.json"))
        .into()
}
