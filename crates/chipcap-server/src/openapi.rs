//! The OpenAPI 3.1 document, generated from the handlers' annotations and the schemas the real
//! request and response types derive (`utoipa::ToSchema`; in chipcap-core, chipcap-ledger and
//! chipcap-sim behind their `schema` feature). Where a type's own schema cannot say everything the
//! wire carries, a modifier below adds it, naming the code that writes or reads it.

use std::borrow::Cow;
use std::sync::OnceLock;

use utoipa::openapi::schema::{
    KnownFormat, Object as ObjectSchema, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// The schema of a ledger write's body as `api::entry_of` reads it: `id` (the client id, required)
/// and `date` (default today) beside the fields of the entry `T`.
fn write_schema<T: ToSchema>() -> RefOr<Schema> {
    let mut schema = T::schema();
    if let RefOr::T(Schema::Object(obj)) = &mut schema {
        let id = ObjectSchema::builder()
            .schema_type(Type::String)
            .description(Some(
                "Client id (idempotency key): a non-empty string or a number.",
            ))
            .min_length(Some(1))
            .pattern(Some(r"^[^|]*[^|\s][^|]*$"))
            .build();
        let date = ObjectSchema::builder()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .description(Some("Effective date (YYYY-MM-DD; default today, UTC)."))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .build();
        obj.properties.insert("id".into(), id.into());
        obj.properties.insert("date".into(), date.into());
        if !obj.required.iter().any(|r| r == "id") {
            obj.required.insert(0, "id".into());
        }
    }
    schema
}

/// Names the body of the ledger write of entry type `$entry` (`{entry}Doc`) for the handlers'
/// annotations: [`write_schema`] of the entry.
macro_rules! ledger_write {
    ($(#[$doc:meta])* $name:ident, $entry:ty) => {
        $(#[$doc])*
        pub enum $name {}

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                write_schema::<$entry>()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Owned(format!("{}Doc", <$entry as ToSchema>::name()))
            }

            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                <$entry as ToSchema>::schemas(schemas);
            }
        }
    };
}

ledger_write!(
    /// `POST /v1/ledger/parties`.
    PartyWrite,
    chipcap_ledger::entry::PartyInput
);
ledger_write!(
    /// `POST /v1/ledger/assurances`.
    AssuranceWrite,
    chipcap_ledger::entry::AssuranceInput
);
ledger_write!(
    /// `POST /v1/ledger/attritions`.
    AttritionWrite,
    chipcap_ledger::entry::AttritionInput
);
ledger_write!(
    /// `POST /v1/ledger/adjustments`.
    AdjustmentWrite,
    chipcap_ledger::entry::Adjustment
);
ledger_write!(
    /// `POST /v1/ledger/us-shipments`.
    UsShipmentWrite,
    chipcap_ledger::entry::UsShipment
);
ledger_write!(
    /// `POST /v1/ledger/reversals`.
    ReversalWrite,
    crate::api::ReversalBody
);

struct Bearer;

/// What the wire carries beyond the fields of the types: the determination's `h100_equivalents`,
/// which `wire::to_json` computes from `tpp` and `h100_tpp`, and the `licence` of a
/// `POST /v1/ledger/apply` request, which the ledger takes out (`ledger::prepare`) before the rest
/// is read as a request document.
struct Wire;

impl Modify for Wire {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        if let Some(RefOr::T(Schema::Object(d))) = components.schemas.get_mut("DeterminationDoc") {
            let h100e = ObjectSchema::builder()
                .schema_type(Type::Number)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
                .description(Some("TPP / H100 TPP (exact to 0.001; display only)."))
                .build();
            d.properties.insert("h100_equivalents".into(), h100e.into());
            let at = d
                .required
                .iter()
                .position(|r| r == "tpp")
                .map_or(0, |i| i + 1);
            d.required.insert(at, "h100_equivalents".into());
        }
        if let Some(RefOr::T(Schema::Object(r))) = components.schemas.get_mut("RequestDoc") {
            let licence = ObjectSchema::builder()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .description(Some(
                    "`POST /v1/ledger/apply` only: the licence a shipment is made under.",
                ))
                .build();
            r.properties.insert("licence".into(), licence.into());
        }
    }
}

/// Lists the values the server accepts where they are a closed set known from the rules: ISO 3166-1
/// codes for destinations, headquarters and countries, and the chip catalog's ids (from the
/// embedded rules; a server started with `--rules DIR` may accept more chips than the document lists).
struct Enums;

impl Modify for Enums {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
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
    modifiers(&Bearer, &Enums, &Wire),
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
