//! The handlers of `/v1`, `/healthz`, `/readyz`, `/metrics` and `/openapi.json`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chipcap_core::date::Date;
use chipcap_core::units::{parse_milli, Tpp};
use chipcap_core::wire;
use chipcap_ledger::balances::{BalanceRow, HistoryFilter};
use chipcap_ledger::entry::{
    AssuranceInput, AttritionInput, BodyInput, Entry, EntryInput, PartyInput,
};
use chipcap_ledger::ledger::milli_json;
use chipcap_ledger::{GrantInput, Meta, Outcome};
use serde::Deserialize;
use serde_json::{json, Value};

use chipcap_app::pipeline::{self, ScreeningSources};

use crate::auth::{Role, TokenRecord};
use crate::catalog;
use crate::error::Problem;
use crate::openapi::{
    AdjustmentWrite, AssuranceWrite, AttritionWrite, PartyWrite, ReversalWrite, UsShipmentWrite,
};
use crate::{now_rfc3339, today, AppState};

const JSON: HeaderValue = HeaderValue::from_static("application/json");

fn json_text(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut r = (status, body.into()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, JSON);
    r
}

fn json_value(status: StatusCode, v: &Value) -> Response {
    json_text(status, v.to_string())
}

/// Who is calling: the token's record, or anonymous.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<TokenRecord>);

impl Caller {
    /// 401 without a token, 403 when the token's role is below `role`.
    pub fn require(&self, role: Role) -> Result<&TokenRecord, Problem> {
        match &self.0 {
            None => Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                format!(
                    "this needs a bearer token with role `{}` or above (`Authorization: Bearer ...`)",
                    role.as_str()
                ),
            )),
            Some(r) if r.role < role => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "this needs role `{}` or above; the token `{}` has role `{}`",
                    role.as_str(),
                    r.id,
                    r.role.as_str()
                ),
            )),
            Some(r) => Ok(r),
        }
    }

    fn meta(&self) -> Meta {
        Meta {
            recorded_by: self
                .0
                .as_ref()
                .map(|r| format!("{} (token {})", r.name, r.id))
                .unwrap_or_else(|| "anonymous".into()),
            recorded_at: now_rfc3339(),
        }
    }
}

/// Reads the caller from `Authorization: Bearer TOKEN`; an unknown token is 401.
pub fn caller_of(st: &AppState, headers: &HeaderMap) -> Result<Caller, Problem> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(Caller(None));
    };
    let unauthorized = |m: &str| Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
    let text = v
        .to_str()
        .map_err(|_| unauthorized("the `Authorization` header is not text"))?;
    let token = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .ok_or_else(|| unauthorized("the `Authorization` header must be `Bearer TOKEN`"))?
        .trim();
    st.tokens
        .authenticate(token)
        .map(|r| Caller(Some(r)))
        .ok_or_else(|| unauthorized("the bearer token is not known (revoked or mistyped)"))
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, st: &Arc<AppState>) -> Result<Caller, Problem> {
        caller_of(st, &parts.headers)
    }
}

fn utf8(body: &Bytes) -> Result<&str, Problem> {
    std::str::from_utf8(body).map_err(|_| Problem::bad("", "the body must be JSON text (UTF-8)"))
}

fn date_param(v: &Option<String>, field: &str) -> Result<Date, Problem> {
    match v {
        None => Ok(today()),
        Some(s) => s
            .parse::<Date>()
            .map_err(|e| Problem::bad(field, format!("{e}, got `{s}` (expected YYYY-MM-DD)"))),
    }
}

fn opt_date_param(v: &Option<String>, field: &str) -> Result<Option<Date>, Problem> {
    match v {
        None => Ok(None),
        Some(_) => date_param(v, field).map(Some),
    }
}

fn count_param(
    v: &Option<String>,
    field: &str,
    default: usize,
    max: usize,
) -> Result<usize, Problem> {
    match v {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| {
                Problem::bad(
                    field,
                    format!("must be a whole number from 0 to {max}, got `{s}`"),
                )
            }),
    }
}

/// A request read from the body with its parties screened, as `chipcap check` does: the edge
/// gathers the hits, the core decides (for `/v1/determinations` and `/v1/determinations/compare`).
async fn screened_request(
    st: &Arc<AppState>,
    body: &Bytes,
) -> Result<wire::ParsedRequest, Problem> {
    let text = utf8(body)?;
    let mut parsed = pipeline::parse(text, st.rules, today()).map_err(Problem::from)?;
    let (lists, disps) = if pipeline::wants_screening(&parsed, false) {
        screening_lists(st).await?
    } else {
        (None, Arc::new(Vec::new()))
    };
    pipeline::screen(&mut parsed, false, sources(&lists, &disps));
    Ok(parsed)
}

/// Decides one proposed export (stateless): the request document of `chipcap check`, the
/// determination it prints.
#[utoipa::path(
    post, path = "/v1/determinations", tag = "determinations",
    request_body(content = chipcap_core::wire::RequestDto, description = "A request document (shared contract)", content_type = "application/json"),
    responses(
        (status = 200, description = "The determination", body = chipcap_core::determination::Determination, content_type = "application/json"),
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The request cannot be read; `field` names the field at fault", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn determine(State(st): State<Arc<AppState>>, body: Bytes) -> Result<Response, Problem> {
    let parsed = screened_request(&st, &body).await?;
    let det = pipeline::decide(&parsed, st.rules).map_err(Problem::from)?;
    st.metrics.decision(det.decision);
    let out = Bytes::from(wire::to_json(&det));
    st.remember("check", body, out.clone());
    Ok(json_text(StatusCode::OK, out))
}

/// Decides one proposed export under every rule version (the request's own `rule_set` is
/// ignored) and says what changes: the enforced controls against the framework as printed.
#[utoipa::path(
    post, path = "/v1/determinations/compare", tag = "determinations",
    request_body(content = chipcap_core::wire::RequestDto, description = "A request document (shared contract)", content_type = "application/json"),
    responses(
        (status = 200, description = "The determinations and what differs", body = chipcap_core::compare::Comparison, content_type = "application/json"),
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The request cannot be read; `field` names the field at fault", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn compare(State(st): State<Arc<AppState>>, body: Bytes) -> Result<Response, Problem> {
    let parsed = screened_request(&st, &body).await?;
    let c = chipcap_core::compare::compare(&parsed.request, st.rules).map_err(Problem::from)?;
    Ok(json_text(
        StatusCode::OK,
        Bytes::from(chipcap_core::compare::to_json(&c)),
    ))
}

/// The most recent determinations made by this server (stateless checks and ledger applies),
/// newest first; kept in memory (at most 50).
#[utoipa::path(
    get, path = "/v1/determinations/recent", tag = "determinations",
    responses((status = 200, description = "Recent determinations", body = Vec<Recent>))
)]
pub async fn recent(State(st): State<Arc<AppState>>) -> Response {
    let list: Vec<Recent> = st
        .recent()
        .into_iter()
        .map(|r| Recent {
            request: serde_json::from_slice(&r.request).unwrap_or(Value::Null),
            determination: serde_json::from_slice(&r.result).unwrap_or(Value::Null),
            at: r.at,
            source: r.source,
        })
        .collect();
    json_value(
        StatusCode::OK,
        &serde_json::to_value(list).unwrap_or(Value::Null),
    )
}

/// A recent determination.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = RecentDoc)]
pub struct Recent {
    /// When (RFC 3339).
    at: String,
    /// `check` or `apply`.
    source: &'static str,
    /// The request as sent.
    #[schema(value_type = Object)]
    request: Value,
    /// The determination (or ledger outcome).
    #[schema(value_type = Object)]
    determination: Value,
}

/// Query of `/v1/rules`, `/v1/chips`, `/v1/tiers`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateQuery {
    /// The date (YYYY-MM-DD; default today, UTC).
    #[param(format = Date)]
    pub date: Option<String>,
}

/// The rule parameters, NVEU schedule and country groups in force on a date, with citations.
#[utoipa::path(
    get, path = "/v1/rules", tag = "rules", params(DateQuery),
    responses(
        (status = 200, description = "Rules in force", body = Object),
        (status = 400, description = "Bad date", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rules(
    State(st): State<Arc<AppState>>,
    Query(q): Query<DateQuery>,
) -> Result<Response, Problem> {
    let d = date_param(&q.date, "date")?;
    Ok(json_value(
        StatusCode::OK,
        &catalog::rules_json(st.rules, d),
    ))
}

/// The chip catalog with TPP, performance density, ECCN and H100-equivalents.
#[utoipa::path(
    get, path = "/v1/chips", tag = "rules", params(DateQuery),
    responses(
        (status = 200, description = "The chip catalog", body = Vec<Object>),
        (status = 400, description = "Bad date", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn chips(
    State(st): State<Arc<AppState>>,
    Query(q): Query<DateQuery>,
) -> Result<Response, Problem> {
    let d = date_param(&q.date, "date")?;
    Ok(json_value(
        StatusCode::OK,
        &catalog::chips_json(st.rules, d),
    ))
}

/// The tier (1, 2, 3) of every known country on a date, keyed by ISO 3166-1 alpha-2 code.
#[utoipa::path(
    get, path = "/v1/tiers", tag = "rules", params(DateQuery),
    responses(
        (status = 200, description = "Tier by country", body = Object),
        (status = 400, description = "Bad date", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tiers(
    State(st): State<Arc<AppState>>,
    Query(q): Query<DateQuery>,
) -> Result<Response, Problem> {
    let d = date_param(&q.date, "date")?;
    Ok(json_value(
        StatusCode::OK,
        &catalog::tiers_json(st.rules, d),
    ))
}

/// A classification request: a catalog `chip`, or `tpp`, `die_area_mm2` and `datacenter`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ClassifyDoc, example = json!({"tpp": 4992, "die_area_mm2": 826, "datacenter": true}))]
pub struct ClassifyBody {
    /// Catalog chip id.
    chip: Option<String>,
    /// TPP per unit (exact to 0.001; a number or a decimal string).
    #[schema(value_type = Option<f64>)]
    tpp: Option<Box<serde_json::value::RawValue>>,
    /// Applicable die area, mm^2.
    #[schema(value_type = Option<f64>)]
    die_area_mm2: Option<Box<serde_json::value::RawValue>>,
    /// Designed or marketed for datacenters (required with `tpp`).
    datacenter: Option<bool>,
}

fn number_field(raw: &serde_json::value::RawValue, field: &str) -> Result<u64, Problem> {
    let t = raw.get().trim();
    let t = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t);
    parse_milli(t).map_err(|e| Problem::invalid(field, format!("{e}, got `{t}`")))
}

/// A screening request: a party's name, with its country and address when known.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ScreenDoc, example = json!({"name": "32 Group China Limited", "country": "HK"}))]
pub struct ScreenBody {
    /// The name.
    #[schema(min_length = 1, pattern = r"\S")]
    name: String,
    /// Country (ISO 3166-1 alpha-2), when known.
    #[serde(default)]
    country: Option<String>,
    /// Address, when known.
    #[serde(default)]
    address: Option<String>,
}

/// Screens one name against the restricted-party lists the server loaded (`chipcap serve --lists`):
/// every hit with the list entry, the name or alias that matched, the score and its explanation.
#[utoipa::path(
    post, path = "/v1/screenings", tag = "screening",
    request_body(content = ScreenBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The hits at or above the review threshold", body = ScreeningAnswer, content_type = "application/json"),
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No lists loaded", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn screen(State(st): State<Arc<AppState>>, body: Bytes) -> Result<Response, Problem> {
    let text = utf8(&body)?;
    let b: ScreenBody = serde_json::from_str(text)
        .map_err(|e| Problem::invalid("", format!("the body is not a screening request: {e}")))?;
    if b.name.trim().is_empty() {
        return Err(Problem::invalid("name", "must not be empty"));
    }
    let Some(l) = st.lists() else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_lists",
            "this server has no restricted-party lists loaded (chipcap lists import or chipcap lists update, then chipcap serve --lists DIR)",
        ));
    };
    let q = chipcap_screen::Query {
        name: b.name,
        country: b.country,
        address: b.address,
    };
    let disps = st.dispositions().await?;
    let hits: Vec<Value> = l
        .screen_query(&q, &disps)
        .into_iter()
        .map(|(h, d)| {
            let mut v = serde_json::to_value(&h).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "disposition".into(),
                    d.map_or(Value::Null, |d| {
                        serde_json::to_value(d).unwrap_or(Value::Null)
                    }),
                );
            }
            v
        })
        .collect();
    let v = ScreeningAnswer {
        query: q,
        lists: l.names.clone(),
        hits,
        warnings: l.warnings.clone(),
    };
    let v = serde_json::to_value(v).unwrap_or(Value::Null);
    Ok(json_text(StatusCode::OK, Bytes::from(v.to_string())))
}

/// Screening hits: the list versions used and every hit with its explanation.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = ScreeningDoc)]
pub struct ScreeningAnswer {
    /// The name screened, as normalised queries see it.
    #[schema(value_type = Object)]
    query: chipcap_screen::Query,
    /// The list versions used.
    lists: Vec<String>,
    /// Every hit at or above the review threshold, with its explanation and the disposition in force.
    #[schema(value_type = Vec<Object>)]
    hits: Vec<Value>,
    /// Warnings about the lists in use (a version that shrank by more than half against the one
    /// before it); empty when there are none.
    warnings: Vec<String>,
}

/// A reviewer's disposition of a screening hit (`POST /v1/screenings/dispositions`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DispositionDoc, example = json!({"id": "disp-1", "party": "Acme Trading", "entry_key": "12345", "disposition": "false_positive", "why": "different company: other city, other registry number"}))]
pub struct DispositionBody {
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
    disposition: chipcap_ledger::entry::DispositionKind,
    /// Why.
    #[schema(min_length = 1, pattern = r"\S")]
    why: String,
    /// Effective date (default today).
    #[schema(format = Date)]
    date: Option<String>,
}

/// Records a reviewer's disposition of a screening hit in the ledger (who: the caller's token).
/// It applies to later screenings of the same party (same normalised name) against the same list
/// entry until a list update changes the entry; reverse it with `POST /v1/ledger/reversals`.
/// Role: officer.
#[utoipa::path(
    post, path = "/v1/screenings/dispositions", tag = "screening",
    request_body(content = DispositionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Replayed", body = Object),
        (status = 201, description = "Recorded", body = Object),
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id conflict", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid (unknown list entry, empty reason)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger or no lists", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn disposition_create(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Officer)?;
    let b: DispositionBody = body_of(&body)?;
    if b.id.trim().is_empty() {
        return Err(Problem::invalid("id", "must not be empty"));
    }
    let date = opt_date_param(&b.date, "date")?.unwrap_or_else(today);
    let Some(l) = st.lists() else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_lists",
            "this server has no restricted-party lists loaded (chipcap lists import or chipcap lists update, then chipcap serve --lists DIR)",
        ));
    };
    let meta = caller.meta();
    let e = crate::lists::disposition_entry(
        &l,
        &b.id,
        &b.party,
        &b.entry_key,
        b.disposition,
        &meta.recorded_by,
        &b.why,
        &meta.recorded_at,
        date,
    )
    .map_err(|(field, msg)| Problem::invalid(field, msg))?;
    let r = record(&st, EntryInput::from(e)).await;
    if r.is_ok() {
        st.refresh_dispositions().await?;
    }
    r
}

/// The reviewers' dispositions in force (recorded in the ledger, not reversed), oldest first.
#[utoipa::path(
    get, path = "/v1/screenings/dispositions", tag = "screening",
    responses(
        (status = 200, description = "The dispositions", body = Vec<crate::lists::DispositionRecord>),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn dispositions_list(State(st): State<Arc<AppState>>) -> Result<Response, Problem> {
    let d = st.refresh_dispositions().await?;
    Ok(json_value(
        StatusCode::OK,
        &serde_json::to_value(&*d).unwrap_or(Value::Null),
    ))
}

/// At most this many Monte Carlo runs on the server (`chipcap simulate` has no such limit).
pub const MAX_SIMULATION_RUNS: u32 = 2_000;

/// Runs a scenario (TOML, `docs/simulate.md`): the `chipcap simulate --json` document plus the SVG
/// charts by file name. The run happens off the async workers.
#[utoipa::path(
    post, path = "/v1/simulations", tag = "rules",
    request_body(content = String, content_type = "application/toml", description = "A scenario file (docs/simulate.md)"),
    responses(
        (status = 200, description = "The run and its charts", body = Simulation, content_type = "application/json"),
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The scenario cannot be read: `field` names the key, `detail` the line", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn simulate(State(st): State<Arc<AppState>>, body: Bytes) -> Result<Response, Problem> {
    let text = utf8(&body)?.to_string();
    let rules = st.rules;
    let doc = tokio::task::spawn_blocking(move || simulate_blocking(&text, rules))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "simulation task failed");
            Problem::internal()
        })??;
    Ok(json_value(StatusCode::OK, &doc))
}

fn sim_problem(e: chipcap_sim::SimError) -> Problem {
    use chipcap_sim::SimError;
    match e {
        SimError::Schema {
            field,
            line,
            message,
        } => Problem::invalid(
            field,
            match line {
                Some(l) => format!("line {l}: {message}"),
                None => message,
            },
        ),
        SimError::Determine { .. } | SimError::Compare(_) => Problem::invalid("", e.to_string()),
        SimError::Ledger(_) | SimError::Chart { .. } => {
            tracing::error!(error = %e, "simulation failed");
            Problem::internal()
        }
    }
}

fn simulate_blocking(
    text: &str,
    rules: &'static chipcap_core::params::RuleSet,
) -> Result<Value, Problem> {
    let sc = chipcap_sim::parse(text, "scenario", rules).map_err(sim_problem)?;
    if sc.replay_ledger.is_some() {
        return Err(Problem::invalid(
            "replay_ledger",
            "the server does not read ledger files named in a scenario; replay with `chipcap simulate`",
        ));
    }
    if let Some(m) = &sc.monte_carlo {
        if m.runs > MAX_SIMULATION_RUNS {
            return Err(Problem::invalid(
                "monte_carlo.runs",
                format!(
                    "at most {MAX_SIMULATION_RUNS} runs on the server, got `{}`; run more with `chipcap simulate`",
                    m.runs
                ),
            ));
        }
    }
    let run = chipcap_sim::simulate(&sc).map_err(sim_problem)?;
    let mc = match &sc.monte_carlo {
        Some(m) if sc.demand.iter().any(|d| d.distribution.is_some()) => {
            Some(chipcap_sim::montecarlo::run(&sc, m.runs, m.seed).map_err(sim_problem)?)
        }
        _ => None,
    };
    let charts = chipcap_sim::chart::charts(&sc, &run).map_err(sim_problem)?;
    let doc = Simulation {
        run: chipcap_sim::report::document(&sc, &run, mc.as_ref()),
        charts: charts.into_iter().collect(),
    };
    Ok(serde_json::to_value(doc).unwrap_or(Value::Null))
}

/// The run of a scenario: the document `chipcap simulate --json` prints (docs/simulate.md), plus
/// the SVG charts by file name.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = SimulationDoc)]
pub struct Simulation {
    /// The run.
    #[serde(flatten)]
    run: chipcap_sim::report::Document,
    /// SVG charts by file name (`burndown-MY.svg`, ...).
    charts: std::collections::BTreeMap<String, String>,
}

/// Classifies a catalog chip, or a chip given by its figures, under ECCN 3A090.
#[utoipa::path(
    post, path = "/v1/classifications", tag = "rules",
    request_body(content = ClassifyBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The classification", body = catalog::Classification, content_type = "application/json"),
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid figures", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn classify(State(st): State<Arc<AppState>>, body: Bytes) -> Result<Response, Problem> {
    let text = utf8(&body)?;
    let b: ClassifyBody = serde_json::from_str(text).map_err(|e| {
        Problem::invalid("", format!("the body is not a classification request: {e}"))
    })?;
    let v = match (&b.chip, &b.tpp) {
        (Some(id), None) => {
            if b.die_area_mm2.is_some() || b.datacenter.is_some() {
                return Err(Problem::invalid(
                    "chip",
                    "give either `chip` or the figures (`tpp`, `die_area_mm2`, `datacenter`), not both",
                ));
            }
            let c = st.rules.catalog.get(id).ok_or_else(|| {
                Problem::invalid(
                    "chip",
                    format!("chip `{id}` is not in the catalog (see /v1/chips)"),
                )
            })?;
            let t = c.tpp().ok_or_else(|| {
                Problem::invalid("chip", format!("chip `{id}` has no throughput figures"))
            })?;
            catalog::classify_json(st.rules, &c.id, t, c.die_area_milli_mm2, c.datacenter)
                .map_err(|e| Problem::invalid("chip", e.to_string()))?
        }
        (None, Some(t)) => {
            let tpp = number_field(t, "tpp")?;
            let area = match &b.die_area_mm2 {
                Some(a) => Some(number_field(a, "die_area_mm2")?),
                None => None,
            };
            let dc = b
                .datacenter
                .ok_or_else(|| Problem::invalid("datacenter", "is required with `tpp`"))?;
            catalog::classify_json(st.rules, "(specification)", Tpp::from_milli(tpp), area, dc)
                .map_err(|e| Problem::invalid("die_area_mm2", e.to_string()))?
        }
        (Some(_), Some(_)) => {
            return Err(Problem::invalid(
                "chip",
                "give either `chip` or the figures (`tpp`, `die_area_mm2`, `datacenter`), not both",
            ))
        }
        (None, None) => {
            return Err(Problem::invalid(
                "chip",
                "give a catalog `chip` id or `tpp` with `die_area_mm2` and `datacenter`",
            ))
        }
    };
    Ok(json_value(StatusCode::OK, &v))
}

fn outcome(o: Outcome) -> Response {
    let status = if o.recorded && !o.replayed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json_text(status, o.json)
}

/// Decides a request against the ledger and records it when it is authorised (or covered by the
/// licence it names), in one transaction. The body is the document of `chipcap ledger apply`: a
/// request with a client `id` (idempotency key) and optionally `licence`. 201 when recorded now,
/// 200 when not recorded or replayed. Role: officer.
#[utoipa::path(
    post, path = "/v1/ledger/apply", tag = "ledger",
    request_body(content = chipcap_core::wire::RequestDto, content_type = "application/json"),
    responses(
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "Decided (not recorded, or replayed)", body = Object),
        (status = 201, description = "Decided and recorded", body = Object),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Cap exceeded or id conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn ledger_apply(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Officer)?;
    let text = utf8(&body)?.to_string();
    let meta = caller.meta();
    // Parsed and screened here; decided and recorded on the ledger's writer, group-committed with
    // the other applies waiting there.
    let (lists, disps) = screening_lists(&st).await?;
    let prepared =
        pipeline::prepare_apply(st.rules, &text, &meta, today(), sources(&lists, &disps))
            .map_err(Problem::from)?;
    let o = st.apply(prepared).await?;
    applied(&st, body, &o);
    Ok(outcome(o))
}

/// The restricted-party lists loaded at start and the dispositions in force (none without lists).
async fn screening_lists(
    st: &Arc<AppState>,
) -> Result<
    (
        Option<Arc<crate::lists::LoadedLists>>,
        Arc<Vec<crate::lists::DispositionRecord>>,
    ),
    Problem,
> {
    let lists = st.lists();
    let disps = match &lists {
        Some(_) => st.dispositions().await?,
        None => Arc::new(Vec::new()),
    };
    Ok((lists, disps))
}

/// The screening sources of the lists and dispositions [`screening_lists`] gave.
fn sources<'a>(
    lists: &'a Option<Arc<crate::lists::LoadedLists>>,
    disps: &'a [crate::lists::DispositionRecord],
) -> ScreeningSources<'a> {
    ScreeningSources {
        lists: lists.as_deref(),
        dispositions: disps,
    }
}

/// Counts a new (not replayed) apply's decision and keeps it among the recent determinations. The
/// outcome document is written by the ledger with `"decision":"..."` (compact JSON): the decision
/// is read without parsing the whole document.
fn applied(st: &AppState, request: Bytes, o: &Outcome) {
    if o.replayed {
        return;
    }
    use chipcap_core::determination::Decision as D;
    for (text, d) in [
        ("\"decision\":\"authorized\"", D::Authorized),
        ("\"decision\":\"license_required\"", D::LicenseRequired),
        ("\"decision\":\"not_controlled\"", D::NotControlled),
    ] {
        if o.json.contains(text) {
            st.metrics.decision(d);
            break;
        }
    }
    st.remember("apply", request, Bytes::from(o.json.clone()));
}

/// Most requests one `POST /v1/ledger/apply/batch` may carry.
pub const MAX_APPLY_BATCH: usize = 1_000;

/// Decides a client's batch of requests against the ledger, in order, and records those that are
/// authorised (or covered by the licence they name), all in one transaction: the same as applying
/// them one after another (each is decided against the balances the ones before it left), with one
/// durable commit. The body is a JSON array of `ledger apply` documents (at most 1,000). Every
/// request is read first: if one is invalid, nothing is applied (422, `field` names it, e.g.
/// `[2].items[0].quantity`). The answer lists one result per request, in order: the determination
/// (with `recorded`), or `{"id", "recorded": false, "error": {"code", "message"}}` for a request
/// refused when applied (an id reused for a different request, a licence that does not exist, ...).
/// Role: officer.
#[utoipa::path(
    post, path = "/v1/ledger/apply/batch", tag = "ledger",
    request_body(content = Vec<chipcap_core::wire::RequestDto>, content_type = "application/json"),
    responses(
        (status = 200, description = "Every request decided, in order", body = BatchResults),
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an array of requests, more than 1,000, or one of them invalid (nothing applied)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn ledger_apply_batch(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Officer)?;
    let text = utf8(&body)?;
    let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(text).map_err(|e| {
        Problem::invalid(
            "",
            format!("the body must be a JSON array of requests: {e}"),
        )
    })?;
    if items.len() > MAX_APPLY_BATCH {
        return Err(Problem::invalid(
            "",
            format!(
                "{} requests: at most {MAX_APPLY_BATCH} in one batch",
                items.len()
            ),
        ));
    }
    let meta = caller.meta();
    let (lists, disps) = screening_lists(&st).await?;
    let screen = sources(&lists, &disps);
    let day = today();
    let mut prepared = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = pipeline::prepare_apply(st.rules, item.get(), &meta, day, screen).map_err(|e| {
            let p = Problem::from(e);
            let field = match &p.field {
                None => format!("[{i}]"),
                Some(f) => format!("[{i}].{f}"),
            };
            p.field(field)
        })?;
        prepared.push(p);
    }
    let ids: Vec<String> = prepared.iter().map(|p| p.id().to_string()).collect();
    let results = st.apply_many(prepared).await?;
    let mut answer = BatchResults {
        results: Vec::with_capacity(results.len()),
    };
    for (id, r) in ids.iter().zip(&results) {
        if let Err(e) = r {
            if !e.is_input() {
                // A storage failure fails the whole transaction.
                return Err(Problem::from(chipcap_ledger::Error::Storage(e.to_string())));
            }
        }
        answer
            .results
            .push(chipcap_ledger::batch_result_json(id, r));
    }
    let out = answer.to_json();
    for (item, r) in items.iter().zip(&results) {
        if let Ok(o) = r {
            applied(&st, Bytes::from(item.get().to_string()), o);
        }
    }
    Ok(json_text(StatusCode::OK, out))
}

/// The answer to `POST /v1/ledger/apply/batch`: one result per request, in order.
#[derive(utoipa::ToSchema)]
#[schema(as = BatchResultsDoc)]
pub struct BatchResults {
    /// The determination of each request (with `id` and `recorded`), or for a request refused when
    /// applied `{"id", "recorded": false, "error": {"code", "message"}}` (each as the ledger wrote it).
    #[schema(value_type = Vec<Object>)]
    results: Vec<String>,
}

impl BatchResults {
    /// `{"results":[...]}`, the results copied as written.
    fn to_json(&self) -> String {
        let len = self
            .results
            .iter()
            .fold(16usize, |n, r| n.saturating_add(r.len()).saturating_add(1));
        let mut out = String::with_capacity(len);
        out.push_str("{\"results\":[");
        for (i, r) in self.results.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(r);
        }
        out.push_str("]}");
        out
    }
}

/// A licence grant (`POST /v1/ledger/grants`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GrantDoc)]
pub struct GrantBody {
    /// Client id (idempotency key).
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    id: String,
    /// Licence number.
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    licence: String,
    /// The ultimate consignee.
    #[schema(min_length = 1, pattern = r"^[^|]*[^|\s][^|]*$")]
    consignee: String,
    /// Destination (ISO 3166-1 alpha-2).
    destination: String,
    /// Items as in the determination contract.
    #[schema(value_type = Vec<chipcap_core::wire::ItemDto>, min_items = 1)]
    items: Value,
    /// Grant date (default today).
    #[schema(format = Date)]
    date: Option<String>,
    /// Last day the licence is valid.
    #[schema(format = Date)]
    valid_to: String,
    /// Grant past the allocation with this reason (role admin).
    force: Option<String>,
}

fn body_of<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Problem> {
    let text = utf8(body)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let v: T = serde_path_to_error::deserialize(&mut de).map_err(path_problem)?;
    de.end()
        .map_err(|e| Problem::invalid("", format!("the body is not one JSON document: {e}")))?;
    Ok(v)
}

/// A deserialisation error as a problem naming the field (`veu[0].kind`); a missing or unknown
/// field is named in serde's message rather than in the path.
fn path_problem<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> Problem {
    let path = e.path().to_string();
    let m = e.inner().to_string();
    let named = m
        .split('`')
        .nth(1)
        .filter(|_| m.starts_with("missing field") || m.starts_with("unknown field"));
    let field = match (path.as_str(), named) {
        (".", Some(f)) => f.to_string(),
        (".", None) => String::new(),
        (p, Some(f)) => format!("{p}.{f}"),
        (p, None) => p.to_string(),
    };
    Problem::invalid(field, m)
}

/// Grants a licence (counts against the destination's allocation when granted); refused past the
/// allocation unless `force` gives a reason, which needs role admin. Role: officer.
#[utoipa::path(
    post, path = "/v1/ledger/grants", tag = "ledger",
    request_body(content = GrantBody, content_type = "application/json"),
    responses(
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "Replayed", body = Object),
        (status = 201, description = "Granted", body = Object),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Allocation exceeded or id conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid grant", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn ledger_grant(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Officer)?;
    let g: GrantBody = body_of(&body)?;
    if g.force.is_some() {
        caller.require(Role::Admin)?;
    }
    let date = date_param(&g.date, "date").map_err(|p| Problem::invalid("date", p.detail))?;
    let valid_to = g
        .valid_to
        .parse::<Date>()
        .map_err(|e| Problem::invalid("valid_to", format!("{e}, got `{}`", g.valid_to)))?;
    let input = GrantInput {
        client_id: g.id,
        number: g.licence,
        consignee: g.consignee,
        destination: g.destination,
        items: g.items,
        date,
        valid_to,
        force: g.force,
    };
    let meta = caller.meta();
    let o = st.with_ledger(move |l| l.grant(&input, &meta)).await?;
    Ok(outcome(o))
}

/// `{"id", "date", ...fields of the entry kind}`.
fn entry_of<T: serde::de::DeserializeOwned>(
    body: &Bytes,
    caller: &Caller,
    wrap: impl FnOnce(T) -> BodyInput,
) -> Result<EntryInput, Problem> {
    let mut v: Value = body_of(body)?;
    let obj = v
        .as_object_mut()
        .ok_or_else(|| Problem::invalid("", "the body must be a JSON object"))?;
    let id = match obj.remove("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(Problem::invalid(
                "id",
                format!("must be a non-empty string or a number, got `{other}`"),
            ))
        }
        None => {
            return Err(Problem::invalid(
                "id",
                "is missing: every write needs a client id",
            ))
        }
    };
    let date = match obj.remove("date") {
        None | Some(Value::Null) => today(),
        Some(Value::String(s)) => s
            .parse::<Date>()
            .map_err(|e| Problem::invalid("date", format!("{e}, got `{s}`")))?,
        Some(other) => {
            return Err(Problem::invalid(
                "date",
                format!("must be YYYY-MM-DD, got `{other}`"),
            ))
        }
    };
    let inner: T = serde_path_to_error::deserialize(v).map_err(path_problem)?;
    let meta = caller.meta();
    Ok(EntryInput {
        client_id: id,
        recorded_by: meta.recorded_by,
        recorded_at: meta.recorded_at,
        date,
        body: wrap(inner),
    })
}

async fn record(st: &AppState, e: EntryInput) -> Result<Response, Problem> {
    let o = st.with_ledger(move |l| l.record_input(&e)).await?;
    Ok(outcome(o))
}

/// A reversal (`POST /v1/ledger/reversals`, with `id` and `date`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Reversal)]
pub struct ReversalBody {
    /// The client id of the entry reversed.
    #[schema(min_length = 1)]
    of: String,
    /// Why.
    #[serde(default)]
    reason: String,
}

/// Reverses an entry (corrections are reversing entries). Role: officer.
#[utoipa::path(
    post, path = "/v1/ledger/reversals", tag = "ledger",
    request_body(content = ReversalWrite, content_type = "application/json"),
    responses(
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "Replayed", body = Object),
        (status = 201, description = "Recorded", body = Object),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already reversed or id conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn ledger_reverse(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Officer)?;
    let e = entry_of(&body, &caller, |r: ReversalBody| BodyInput::Reversal {
        of: r.of,
        reason: r.reason,
    })?;
    let r = record(&st, e).await;
    // The reversed entry may be a disposition: screen with the ones in force from now on.
    if r.is_ok() {
        st.refresh_dispositions().await?;
    }
    r
}

/// Records attrition of VEU-installed chips (748.15(a)(2)(iii)(B)). Role: officer.
#[utoipa::path(
    post, path = "/v1/ledger/attritions", tag = "ledger",
    request_body(content = AttritionWrite, content_type = "application/json"),
    responses(
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "Replayed", body = Object),
        (status = 201, description = "Recorded", body = Object),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Negative balance or id conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn ledger_attrition(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Officer)?;
    let e = entry_of(&body, &caller, |a: AttritionInput| BodyInput::Attrition(a))?;
    record(&st, e).await
}

/// Records units of a product shipped to US end-use customers (the base of the 50% certification
/// of 91 FR 1684). Role: officer.
#[utoipa::path(
    post, path = "/v1/ledger/us-shipments", tag = "ledger",
    request_body(content = UsShipmentWrite, content_type = "application/json"),
    responses(
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "Replayed", body = Object),
        (status = 201, description = "Recorded", body = Object),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn ledger_us_shipment(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Officer)?;
    let e = entry_of(&body, &caller, BodyInput::UsShipment)?;
    record(&st, e).await
}

/// Records an audited manual adjustment of one allowance. Role: admin.
#[utoipa::path(
    post, path = "/v1/ledger/adjustments", tag = "ledger",
    request_body(content = AdjustmentWrite, content_type = "application/json"),
    responses(
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "Replayed", body = Object),
        (status = 201, description = "Recorded", body = Object),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Cap exceeded, negative balance or id conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn ledger_adjust(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Admin)?;
    let e = entry_of(&body, &caller, BodyInput::Adjustment)?;
    record(&st, e).await
}

/// Records a party (consignee) with its headquarters and VEU authorisations. Role: officer.
#[utoipa::path(
    post, path = "/v1/ledger/parties", tag = "ledger",
    request_body(content = PartyWrite, content_type = "application/json"),
    responses(
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "Replayed", body = Object),
        (status = 201, description = "Recorded", body = Object),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn ledger_party(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Officer)?;
    let e = entry_of(&body, &caller, |p: PartyInput| BodyInput::Party(p))?;
    record(&st, e).await
}

/// Records government-to-government assurances of a country (742.6(b)(10)(iii)(C)). Role: officer.
#[utoipa::path(
    post, path = "/v1/ledger/assurances", tag = "ledger",
    request_body(content = AssuranceWrite, content_type = "application/json"),
    responses(
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "Replayed", body = Object),
        (status = 201, description = "Recorded", body = Object),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Id conflict", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn ledger_assurance(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Officer)?;
    let e = entry_of(&body, &caller, |a: AssuranceInput| BodyInput::Assurance(a))?;
    record(&st, e).await
}

fn entry_json(e: &Entry) -> Value {
    serde_json::to_value(e).unwrap_or(Value::Null)
}

async fn entries_of_kind(st: &AppState, kind: &'static str) -> Result<Response, Problem> {
    let entries = st.with_ledger(|l| l.entries()).await?;
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| e.body.kind() == kind)
        .map(entry_json)
        .collect();
    Ok(json_value(StatusCode::OK, &Value::Array(list)))
}

/// Every party record (with VEU authorisations), in ledger order; a later record for a name
/// supersedes an earlier one from its date.
#[utoipa::path(
    get, path = "/v1/ledger/parties", tag = "ledger",
    responses(
        (status = 200, description = "Party entries", body = Vec<Object>),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ledger_parties(State(st): State<Arc<AppState>>) -> Result<Response, Problem> {
    entries_of_kind(&st, "party").await
}

/// Every assurance record, in ledger order.
#[utoipa::path(
    get, path = "/v1/ledger/assurances", tag = "ledger",
    responses(
        (status = 200, description = "Assurance entries", body = Vec<Object>),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ledger_assurances(State(st): State<Arc<AppState>>) -> Result<Response, Problem> {
    entries_of_kind(&st, "assurance").await
}

/// A balance row as JSON (exact numbers, TPP).
pub fn balance_json(r: &BalanceRow) -> Value {
    r.to_json()
}

/// Query of `/v1/ledger/balances`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// The date (YYYY-MM-DD; default today, UTC).
    #[param(format = Date)]
    pub as_of: Option<String>,
    /// Only the allowances of one rule version (`advanced-computing-2023` or `ai-diffusion-2025`);
    /// default both, each row labelled with its `rule_set`.
    pub rule_set: Option<String>,
}

/// Balances of every allowance as of a date, derived from the entries.
#[utoipa::path(
    get, path = "/v1/ledger/balances", tag = "ledger", params(AsOfQuery),
    responses(
        (status = 200, description = "Balances", body = Balances),
        (status = 400, description = "Bad date", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ledger_balances(
    State(st): State<Arc<AppState>>,
    Query(q): Query<AsOfQuery>,
) -> Result<Response, Problem> {
    let d = date_param(&q.as_of, "as_of")?;
    let only = match q.rule_set.as_deref() {
        None => None,
        Some(n) => Some(chipcap_core::params::RuleSetId::parse(n).ok_or_else(|| {
            Problem::bad(
                "rule_set",
                format!("must be `advanced-computing-2023` or `ai-diffusion-2025`, got `{n}`"),
            )
        })?),
    };
    let rows = st.with_ledger(move |l| l.balances(d)).await?;
    let v = Balances {
        as_of: d.to_string(),
        balances: rows
            .iter()
            .filter(|r| {
                only.is_none_or(|o| {
                    chipcap_ledger::balances::allowance_rule_set(r.allowance) == o.as_str()
                })
            })
            .map(balance_json)
            .collect(),
    };
    Ok(json_value(
        StatusCode::OK,
        &serde_json::to_value(v).unwrap_or(Value::Null),
    ))
}

/// Balances as of a date.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = BalancesDoc)]
pub struct Balances {
    /// The date (YYYY-MM-DD).
    as_of: String,
    /// Every allowance's balance (exact numbers, TPP).
    #[schema(value_type = Vec<Object>)]
    balances: Vec<Value>,
}

/// A page of ledger entries or audit records.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = PageDoc)]
pub struct Page {
    /// How many match the filter.
    #[schema(value_type = u64)]
    total: usize,
    /// How many were skipped.
    #[schema(value_type = u64)]
    offset: usize,
    /// The page size.
    #[schema(value_type = u64)]
    limit: usize,
    /// The page.
    #[schema(value_type = Vec<Object>)]
    items: Vec<Value>,
}

fn page(total: usize, offset: usize, limit: usize, items: Vec<Value>) -> Response {
    let p = Page {
        total,
        offset,
        limit,
        items,
    };
    json_value(
        StatusCode::OK,
        &serde_json::to_value(p).unwrap_or(Value::Null),
    )
}

/// Query of `/v1/ledger/history`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// A party: consignee, party name or licence consignee.
    pub party: Option<String>,
    /// A country (destination, VEU country, assurance country, headquarters).
    pub country: Option<String>,
    /// An allowance (`lpp`, `country_allocation`, `nveu_allocation`, `uveu_installed`, `aia`, `licence`).
    pub allowance: Option<String>,
    /// First date (YYYY-MM-DD).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last date (YYYY-MM-DD).
    #[param(format = Date)]
    pub to: Option<String>,
    /// Page size (default 100, at most 1000).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1000)]
    pub limit: Option<String>,
    /// Entries to skip (default 0).
    #[param(value_type = Option<u64>, minimum = 0)]
    pub offset: Option<String>,
}

/// Entries matching the filters, with their draws, paged.
#[utoipa::path(
    get, path = "/v1/ledger/history", tag = "ledger", params(HistoryQuery),
    responses(
        (status = 200, description = "A page of entries", body = Page),
        (status = 400, description = "Bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ledger_history(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, Problem> {
    let limit = count_param(&q.limit, "limit", 100, 1000)?;
    let offset = count_param(&q.offset, "offset", 0, usize::MAX)?;
    let f = HistoryFilter {
        party: q.party.clone(),
        country: q.country.clone(),
        allowance: q.allowance.clone(),
        from: opt_date_param(&q.from, "from")?,
        to: opt_date_param(&q.to, "to")?,
    };
    let rows = st.with_ledger(move |l| l.history(&f)).await?;
    let total = rows.len();
    let items: Vec<Value> = rows
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(e, draws)| {
            json!({
                "entry": entry_json(e),
                "draws": draws.iter().map(|d| json!({"key": d.key, "date": d.date.to_string(), "amount_tpp": milli_json(d.amount)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(page(total, offset, limit, items))
}

/// Query of `/v1/ledger/audit`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this operation (`apply`, `grant`, `party`, ...).
    pub op: Option<String>,
    /// Only this client id.
    pub id: Option<String>,
    /// Page size (default 100, at most 1000).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1000)]
    pub limit: Option<String>,
    /// Records to skip (default 0).
    #[param(value_type = Option<u64>, minimum = 0)]
    pub offset: Option<String>,
}

/// The audit log (hash-chained), paged and filtered.
#[utoipa::path(
    get, path = "/v1/ledger/audit", tag = "ledger", params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit records", body = Page),
        (status = 400, description = "Bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No ledger", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ledger_audit(
    State(st): State<Arc<AppState>>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, Problem> {
    let limit = count_param(&q.limit, "limit", 100, 1000)?;
    let offset = count_param(&q.offset, "offset", 0, usize::MAX)?;
    let log = st.with_ledger(|l| l.audit_log()).await?;
    let sel: Vec<_> = log
        .iter()
        .filter(|r| q.op.as_ref().is_none_or(|o| &r.op == o))
        .filter(|r| q.id.as_ref().is_none_or(|i| &r.client_id == i))
        .collect();
    let raw = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::String(s.to_string()));
    let items: Vec<Value> = sel
        .iter()
        .skip(offset)
        .take(limit)
        .map(|r| {
            json!({
                "seq": r.seq, "client_id": r.client_id, "op": r.op, "recorded_at": r.recorded_at,
                "request": raw(&r.request), "result": raw(&r.result), "balances": raw(&r.balances),
                "prev_hash": r.prev_hash, "hash": r.hash,
            })
        })
        .collect();
    Ok(page(sel.len(), offset, limit, items))
}

/// A token as the API shows it: never the hash; the secret only in the answer to its creation.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = TokenDoc)]
pub struct Token {
    /// A short public id.
    id: String,
    /// Who or what holds it.
    name: String,
    /// `viewer`, `officer` or `admin`.
    role: Role,
    /// When it was created (RFC 3339, UTC).
    created_at: String,
    /// The token itself (only when created).
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

fn token_json(r: &TokenRecord, token: Option<String>) -> Value {
    let t = Token {
        id: r.id.clone(),
        name: r.name.clone(),
        role: r.role,
        created_at: r.created_at.clone(),
        token,
    };
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// The tokens (never the secrets). Role: admin.
#[utoipa::path(
    get, path = "/v1/tokens", tag = "tokens",
    responses(
        (status = 200, description = "Tokens", body = Vec<Token>),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn tokens_list(
    State(st): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Response, Problem> {
    caller.require(Role::Admin)?;
    let v: Vec<Value> = st
        .tokens
        .list()
        .iter()
        .map(|r| token_json(r, None))
        .collect();
    Ok(json_value(StatusCode::OK, &Value::Array(v)))
}

/// A token to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TokenCreateDoc)]
pub struct TokenBody {
    /// `viewer`, `officer` or `admin`.
    #[schema(value_type = Role)]
    role: String,
    /// Who or what will hold it (default: the role's name).
    #[serde(default)]
    name: Option<String>,
}

/// Creates a token; the response carries it once. Role: admin.
#[utoipa::path(
    post, path = "/v1/tokens", tag = "tokens",
    request_body(content = TokenBody, content_type = "application/json"),
    responses(
        (status = 400, description = "The body is not text", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 201, description = "Created; `token` is shown only now", body = Token),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn tokens_create(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Admin)?;
    let b: TokenBody = body_of(&body)?;
    let role = Role::parse(&b.role).ok_or_else(|| {
        Problem::invalid(
            "role",
            format!("must be `viewer`, `officer` or `admin`, got `{}`", b.role),
        )
    })?;
    let name = b.name.unwrap_or_else(|| role.as_str().to_string());
    let (token, rec) = st.tokens.create(role, &name, &now_rfc3339()).map_err(|e| {
        tracing::error!(error = %e, "cannot create a token");
        Problem::internal()
    })?;
    Ok(json_value(
        StatusCode::CREATED,
        &token_json(&rec, Some(token)),
    ))
}

/// Revokes a token by id. Role: admin.
#[utoipa::path(
    delete, path = "/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role too low", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn tokens_revoke(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(Role::Admin)?;
    let gone = st.tokens.revoke(&id).map_err(|e| {
        tracing::error!(error = %e, "cannot revoke a token");
        Problem::internal()
    })?;
    if gone {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no token with id `{id}`"),
        ))
    }
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Response {
    json_value(
        StatusCode::OK,
        &serde_json::to_value(Health { status: "ok" }).unwrap_or(Value::Null),
    )
}

/// Liveness.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = HealthDoc)]
pub struct Health {
    /// `ok`.
    status: &'static str,
}

/// Readiness.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = ReadinessDoc)]
pub struct Readiness {
    /// `ready`.
    status: &'static str,
    /// The rule version enforced (the default).
    rule_set: &'static str,
    /// Every rule version the server decides under.
    rule_sets: Vec<&'static str>,
    /// The ledger's backend: `sqlite`, `postgres`, `memory` or `none`.
    ledger: &'static str,
}

/// Readiness: the rules are loaded and the ledger (if any) answers a read.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(State(st): State<Arc<AppState>>) -> Result<Response, Problem> {
    if st.backend() != "none" {
        st.with_ledger(|l| l.stored_sum(&chipcap_ledger::entry::Key::Aia("-".into()), today()))
            .await
            .map_err(|_| Problem::from_status(StatusCode::SERVICE_UNAVAILABLE))?;
    }
    Ok(json_value(
        StatusCode::OK,
        &serde_json::to_value(Readiness {
            status: "ready",
            rule_set: chipcap_core::params::RuleSetId::AdvancedComputing2023.as_str(),
            rule_sets: chipcap_core::params::RuleSetId::ALL
                .iter()
                .map(|r| r.as_str())
                .collect(),
            ledger: st.backend(),
        })
        .unwrap_or(Value::Null),
    ))
}

/// Prometheus metrics (text exposition format 0.0.4).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics", body = String, content_type = "text/plain")))]
pub async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    let mut util = Vec::new();
    if st.backend() != "none" {
        if let Ok(rows) = st.with_ledger(|l| l.balances(today())).await {
            for r in rows {
                if let (Some(cap), false) = (r.cap, r.minimum) {
                    if cap > 0 {
                        #[allow(clippy::cast_precision_loss)]
                        let ratio = r.used as f64 / cap as f64;
                        util.push((
                            r.allowance.to_string(),
                            r.entity.unwrap_or_default(),
                            r.country.unwrap_or_default(),
                            r.period.unwrap_or_default(),
                            ratio,
                        ));
                    }
                }
            }
        }
    }
    let mut r = st.metrics.render(&util).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

/// The OpenAPI 3.1 document.
pub async fn openapi_json() -> Response {
    json_text(StatusCode::OK, crate::openapi::document())
}
