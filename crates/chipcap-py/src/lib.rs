//! Python bindings of chipcap for analysts' notebooks (PyO3; built with maturin).
//!
//! Every function goes through the same crates as the CLI: `determine` through the wire layer and
//! `chipcap_core::determine`, `simulate` through `chipcap-sim`. Values cross the boundary as JSON
//! (Python's `json` module on this side), so the documents are the ones the CLI prints.

use std::sync::OnceLock;

use chipcap_core::classify::{classify_chip, Band, Outside};
use chipcap_core::date::Date;
use chipcap_core::params::RuleSet;
use chipcap_core::units::{parse_milli, write_milli_plain, Tpp};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyAny;
use serde_json::{json, Value};

fn rules() -> PyResult<&'static RuleSet> {
    static RULES: OnceLock<Result<RuleSet, String>> = OnceLock::new();
    RULES
        .get_or_init(|| chipcap_rules::embedded().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| PyRuntimeError::new_err(format!("the embedded rules did not load: {e}")))
}

/// Today (UTC), read here at the edge with `jiff`, as the CLI's clock (`chipcap_app::clock`) does.
fn today() -> Date {
    let d = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    u8::try_from(d.month())
        .ok()
        .zip(u8::try_from(d.day()).ok())
        .and_then(|(m, day)| Date::new(i32::from(d.year()), m, day))
        .unwrap_or(Date::UNIX_EPOCH)
}

fn to_py(py: Python<'_>, v: &Value) -> PyResult<PyObject> {
    let json = py.import("json")?;
    Ok(json.call_method1("loads", (v.to_string(),))?.unbind())
}

fn text_to_py(py: Python<'_>, text: &str) -> PyResult<PyObject> {
    let json = py.import("json")?;
    Ok(json.call_method1("loads", (text,))?.unbind())
}

fn from_py(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = obj.extract::<String>() {
        return Ok(s);
    }
    let json = py.import("json")?;
    json.call_method1("dumps", (obj,))?.extract::<String>()
}

fn milli_value(m: u64) -> Value {
    let mut s = String::new();
    let _ = write_milli_plain(&mut s, i128::from(m));
    serde_json::from_str(&s).unwrap_or(Value::Null)
}

/// Decides one request (a dict, or JSON text, in the shape of docs/contract.md) and returns the
/// determination as a dict. A request without `date` is decided today (UTC).
#[pyfunction]
fn determine(py: Python<'_>, request: &Bound<'_, PyAny>) -> PyResult<PyObject> {
    let text = from_py(py, request)?;
    let rules = rules()?;
    let parsed = chipcap_core::wire::parse_request(&text, rules, today())
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let det = chipcap_core::determine(&parsed.request, rules)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    text_to_py(py, &chipcap_core::wire::to_json(&det))
}

fn band_text(b: Result<Band, Outside>) -> (&'static str, Option<&'static str>) {
    match b {
        Ok(Band::A1) => ("3A090.a", Some("a.1")),
        Ok(Band::A2) => ("3A090.a", Some("a.2")),
        Ok(Band::B1) => ("3A090.b", Some("b.1")),
        Ok(Band::B2) => ("3A090.b", Some("b.2")),
        Err(_) => ("none", None),
    }
}

fn classify_value(
    rules: &RuleSet,
    label: &str,
    tpp: Tpp,
    area: Option<u64>,
    dc: bool,
) -> PyResult<Value> {
    let c = classify_chip(tpp, area, dc, &rules.eccn_3a090)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let (eccn, para) = band_text(c.band);
    Ok(json!({
        "chip": label,
        "tpp": milli_value(tpp.milli()),
        "performance_density": c.pd_milli.map(milli_value),
        "datacenter": dc,
        "eccn": eccn,
        "paragraph": para,
    }))
}

fn decimal_milli(what: &str, v: &Bound<'_, PyAny>) -> PyResult<u64> {
    let text = v.str()?.to_string();
    parse_milli(&text).map_err(|e| PyValueError::new_err(format!("`{what}` {e}, got `{text}`")))
}

/// Classifies a catalog chip (`classify("nvidia-h20")`) or a chip given by its figures
/// (`classify(tpp=4992, die_area_mm2=826, datacenter=True)`) under ECCN 3A090.
#[pyfunction]
#[pyo3(signature = (chip=None, *, tpp=None, die_area_mm2=None, datacenter=None))]
fn classify(
    py: Python<'_>,
    chip: Option<&str>,
    tpp: Option<&Bound<'_, PyAny>>,
    die_area_mm2: Option<&Bound<'_, PyAny>>,
    datacenter: Option<bool>,
) -> PyResult<PyObject> {
    let rules = rules()?;
    let v = match (chip, tpp) {
        (Some(id), None) => {
            let c = rules.catalog.get(id).ok_or_else(|| {
                PyValueError::new_err(format!("chip `{id}` is not in the catalog"))
            })?;
            let t = c.tpp().ok_or_else(|| {
                PyValueError::new_err(format!("chip `{id}` has no throughput figures"))
            })?;
            classify_value(rules, &c.id, t, c.die_area_milli_mm2, c.datacenter)?
        }
        (None, Some(t)) => {
            let t = Tpp::from_milli(decimal_milli("tpp", t)?);
            let area = match die_area_mm2 {
                Some(a) => Some(decimal_milli("die_area_mm2", a)?),
                None => None,
            };
            let dc = datacenter
                .ok_or_else(|| PyValueError::new_err("`datacenter` is required with `tpp`"))?;
            classify_value(rules, "(specification)", t, area, dc)?
        }
        _ => {
            return Err(PyValueError::new_err(
                "give either `chip` or `tpp` (with `datacenter`)",
            ))
        }
    };
    to_py(py, &v)
}

/// The chip catalog: one dict per chip (id, vendor, model, year, TPP, die area, datacenter, ECCN).
#[pyfunction]
fn chips(py: Python<'_>) -> PyResult<PyObject> {
    let rules = rules()?;
    let mut out = Vec::new();
    for c in rules.catalog.chips() {
        let Some(t) = c.tpp() else { continue };
        let mut v = classify_value(rules, &c.id, t, c.die_area_milli_mm2, c.datacenter)?;
        v["vendor"] = json!(c.vendor);
        v["model"] = json!(c.model);
        v["year"] = json!(c.year);
        v["die_area_mm2"] = json!(c.die_area_milli_mm2.map(milli_value));
        out.push(v);
    }
    to_py(py, &Value::Array(out))
}

/// The framework's parameters and NVEU cap in force on `date` (`YYYY-MM-DD`; default today).
#[pyfunction]
#[pyo3(signature = (date=None))]
fn rules_in_force(py: Python<'_>, date: Option<&str>) -> PyResult<PyObject> {
    let rules = rules()?;
    let d = match date {
        Some(s) => s
            .parse::<Date>()
            .map_err(|e| PyValueError::new_err(format!("`date` {e}, got `{s}`")))?,
        None => today(),
    };
    let p = &rules.params;
    let tpp = |t: &Tpp| milli_value(t.milli());
    let v = json!({
        "date": d.to_string(),
        "rule_set": rules.name.as_ref(),
        "parameters": {
            "country_allocation_tpp": tpp(p.country_allocation.at(d).value),
            "assurance_uplift_max_percent": p.assurance_uplift_max_percent.at(d).value,
            "assurance_uplift_default_percent": p.assurance_uplift_default_percent.at(d).value,
            "lpp_limit_tpp": tpp(p.lpp_limit.at(d).value),
            "aia_certification_tpp": tpp(p.aia_certification.at(d).value),
            "uveu_max_tier2_country_percent": p.uveu_max_tier2_country_percent.at(d).value,
            "uveu_max_outside_tier1_percent": p.uveu_max_outside_tier1_percent.at(d).value,
            "uveu_min_us_percent": p.uveu_min_us_percent.at(d).value,
            "h100_tpp": tpp(p.h100_tpp.at(d).value),
        },
        "nveu_cap_tpp": rules.nveu_cap(d).map(|(q, _)| milli_value(q.cap.milli())),
        "tier1": rules.groups.tier1.at(d).value.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    });
    to_py(py, &v)
}

fn run_scenario(
    text: &str,
) -> PyResult<(
    chipcap_sim::Scenario,
    chipcap_sim::Run,
    Option<chipcap_sim::montecarlo::McResult>,
)> {
    let sc = chipcap_sim::parse(text, "scenario", rules()?)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    if sc.replay_ledger.is_some() {
        return Err(PyValueError::new_err(
            "field `replay_ledger`: replay a ledger with `chipcap simulate`",
        ));
    }
    let run = chipcap_sim::simulate(&sc).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let mc = match &sc.monte_carlo {
        Some(m) if sc.demand.iter().any(|d| d.distribution.is_some()) => Some(
            chipcap_sim::montecarlo::run(&sc, m.runs, m.seed)
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
        ),
        _ => None,
    };
    Ok((sc, run, mc))
}

/// Runs a scenario (TOML text, docs/simulate.md) and returns one record per country, channel and
/// quarter: `pandas.DataFrame(chipcap.simulate(text))`. TPP as floats of exact thousandths.
#[pyfunction]
fn simulate(py: Python<'_>, scenario: &str) -> PyResult<PyObject> {
    let (sc, run, _) = run_scenario(scenario)?;
    let doc = chipcap_sim::report::to_json(&sc, &run, None);
    let mut records = Vec::new();
    for c in doc["countries"].as_array().into_iter().flatten() {
        for ch in c["channels"].as_array().into_iter().flatten() {
            for (k, s) in ch["series"].as_array().into_iter().flatten().enumerate() {
                let mut r = s.clone();
                r["country"] = c["country"].clone();
                r["channel"] = ch["channel"].clone();
                r["tier"] = c["allocation"][k]["tier"].clone();
                r["exhausted"] = c["exhausted"].clone();
                r["scenario"] = doc["scenario"].clone();
                r["rule_set"] = doc["rule_set"].clone();
                records.push(r);
            }
        }
    }
    to_py(py, &Value::Array(records))
}

/// Runs a scenario and returns the whole `chipcap simulate --json` document as a dict (with the
/// Monte Carlo summary when the scenario has one).
#[pyfunction]
fn simulate_document(py: Python<'_>, scenario: &str) -> PyResult<PyObject> {
    let (sc, run, mc) = run_scenario(scenario)?;
    to_py(py, &chipcap_sim::report::to_json(&sc, &run, mc.as_ref()))
}

/// The `chipcap` Python module.
#[pymodule]
fn chipcap(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(determine, m)?)?;
    m.add_function(wrap_pyfunction!(classify, m)?)?;
    m.add_function(wrap_pyfunction!(chips, m)?)?;
    m.add_function(wrap_pyfunction!(rules_in_force, m)?)?;
    m.add("rules", m.getattr("rules_in_force")?)?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(simulate_document, m)?)?;
    Ok(())
}
