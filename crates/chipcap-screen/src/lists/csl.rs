//! trade.gov Consolidated Screening List: CSV (current and legacy layouts) and JSON.

use std::collections::HashMap;

use serde_json::Value;

use super::{opt, push_country, split_multi, trim_bytes};
use crate::error::{from_csv, record_line, ScreenError};
use crate::model::{Address, Entry, SourceClass};

const CSV: &str = "csl-csv";
const JSON: &str = "csl-json";

/// Columns that must be present in either CSV layout.
const REQUIRED: &[&str] = &[
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "addresses",
    "alt_names",
];

/// Fields modelled on [`Entry`]; every other column goes to `extra`.
const MODELLED: &[&str] = &[
    "_id",
    "id",
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "addresses",
    "alt_names",
    "federal_register_notice",
    "start_date",
    "end_date",
    "license_requirement",
    "license_policy",
    "standard_order",
    "remarks",
    "citizenships",
    "nationalities",
];

fn parse_address(raw: &str) -> Address {
    // CSV addresses are "street, city, state, postal code, country" with empty parts left out.
    let parts: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let (country, rest) = match parts.split_last() {
        Some((last, rest)) if crate::country::country_code(last).is_some() => {
            (last.to_string(), rest)
        }
        _ => (String::new(), parts.as_slice()),
    };
    Address {
        street: rest.join(", "),
        country,
        ..Address::default()
    }
}

fn entry_key(id: Option<&str>, source: &str, entity_number: Option<&str>, name: &str) -> String {
    match (id, entity_number) {
        (Some(id), _) => format!("csl:{id}"),
        (None, Some(n)) => format!("csl:{}:{n}", source_abbrev(source)),
        (None, None) => format!(
            "csl:{}:{}",
            source_abbrev(source),
            name.trim().to_lowercase()
        ),
    }
}

/// The parenthesised abbreviation of a source (`Entity List (EL) - ...` -> `EL`), else the source.
fn source_abbrev(source: &str) -> String {
    match (source.find('('), source.find(')')) {
        (Some(a), Some(b)) if a < b => source[a + 1..b].to_string(),
        _ => source.trim().to_string(),
    }
}

/// Parse the Consolidated Screening List CSV, current layout (`_id` first) or legacy (no `_id`).
///
/// # Errors
/// [`ScreenError::MissingColumn`] when a required column is absent, [`ScreenError::Malformed`] for
/// a truncated row or invalid UTF-8 (naming the line), [`ScreenError::InvalidField`] for a row
/// without a name.
pub fn parse_csl_csv(input: &[u8]) -> Result<Vec<Entry>, ScreenError> {
    let input = trim_bytes(input);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let headers = rdr.headers().map_err(|e| from_csv(CSV, &e, input))?.clone();
    let cols: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim(), i))
        .collect();
    for r in REQUIRED {
        if !cols.contains_key(r) {
            return Err(ScreenError::MissingColumn {
                format: CSV,
                line: 1,
                column: (*r).to_string(),
            });
        }
    }
    let mut entries = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| from_csv(CSV, &e, input))?;
        let pos = rec.position().cloned();
        let line = || record_line(input, pos.as_ref());
        let get = |c: &str| cols.get(c).and_then(|&i| rec.get(i)).unwrap_or("");
        let name = get("name").trim().to_string();
        if name.is_empty() {
            return Err(ScreenError::InvalidField {
                format: CSV,
                line: line(),
                field: "name".into(),
                value: String::new(),
            });
        }
        let source = get("source").trim().to_string();
        let entity_number = opt(get("entity_number"));
        let id = opt(get("_id"));
        let addresses: Vec<Address> = split_multi(get("addresses"))
            .iter()
            .map(|a| parse_address(a))
            .collect();
        let mut countries = Vec::new();
        for a in &addresses {
            push_country(&mut countries, &a.country);
        }
        for c in split_multi(get("citizenships"))
            .iter()
            .chain(split_multi(get("nationalities")).iter())
        {
            push_country(&mut countries, c);
        }
        let mut extra = std::collections::BTreeMap::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            let h = h.trim();
            if !MODELLED.contains(&h) && !v.trim().is_empty() {
                extra.insert(h.to_string(), v.trim().to_string());
            }
        }
        entries.push(Entry {
            key: entry_key(id.as_deref(), &source, entity_number.as_deref(), &name),
            source_class: SourceClass::from_source_name(&source),
            source,
            entity_number,
            entry_type: opt(get("type")),
            programs: split_multi(get("programs")),
            name,
            alt_names: split_multi(get("alt_names")),
            addresses,
            countries,
            federal_register_notice: opt(get("federal_register_notice")),
            start_date: opt(get("start_date")),
            end_date: opt(get("end_date")),
            license_requirement: opt(get("license_requirement")),
            license_policy: opt(get("license_policy")),
            standard_order: opt(get("standard_order")),
            remarks: opt(get("remarks")),
            extra,
        });
    }
    Ok(entries)
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => opt(s),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().filter_map(value_text).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        other => Some(other.to_string()),
    }
}

fn value_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(value_text).collect(),
        Some(Value::String(s)) => split_multi(s),
        _ => Vec::new(),
    }
}

fn json_address(v: &Value) -> Address {
    match v {
        Value::Object(m) => {
            let f = |k: &str| m.get(k).and_then(value_text).unwrap_or_default();
            Address {
                street: f("address"),
                city: f("city"),
                state: f("state"),
                postal_code: f("postal_code"),
                country: f("country"),
            }
        }
        Value::String(s) => parse_address(s),
        _ => Address::default(),
    }
}

/// Parse the Consolidated Screening List JSON: either `{"results": [...]}` as trade.gov publishes
/// it or a bare array of records.
///
/// # Errors
/// [`ScreenError::Json`] for invalid JSON (with line and column), [`ScreenError::Malformed`] when
/// the document is not a list of records or a record lacks a name.
pub fn parse_csl_json(input: &[u8]) -> Result<Vec<Entry>, ScreenError> {
    let input = trim_bytes(input);
    let doc: Value = serde_json::from_slice(input).map_err(|e| ScreenError::Json {
        format: JSON,
        line: e.line() as u64,
        column: e.column() as u64,
        message: e.to_string(),
    })?;
    let records = match &doc {
        Value::Array(a) => a,
        Value::Object(m) => match m.get("results") {
            Some(Value::Array(a)) => a,
            _ => {
                return Err(ScreenError::Malformed {
                    format: JSON,
                    line: 0,
                    message: "expected an array of records or an object with `results`".into(),
                })
            }
        },
        _ => {
            return Err(ScreenError::Malformed {
                format: JSON,
                line: 0,
                message: "expected an array of records or an object with `results`".into(),
            })
        }
    };
    let mut entries = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let Value::Object(m) = r else {
            return Err(ScreenError::Malformed {
                format: JSON,
                line: 0,
                message: format!("record {} is not an object", i + 1),
            });
        };
        let text = |k: &str| m.get(k).and_then(value_text);
        let Some(name) = text("name") else {
            return Err(ScreenError::Malformed {
                format: JSON,
                line: 0,
                message: format!("record {} has no `name`", i + 1),
            });
        };
        let source = text("source").unwrap_or_default();
        let entity_number = text("entity_number");
        let id = text("id").or_else(|| text("_id"));
        let addresses: Vec<Address> = match m.get("addresses") {
            Some(Value::Array(a)) => a.iter().map(json_address).collect(),
            Some(Value::String(s)) => split_multi(s).iter().map(|a| parse_address(a)).collect(),
            _ => Vec::new(),
        };
        let mut countries = Vec::new();
        for a in &addresses {
            push_country(&mut countries, &a.country);
        }
        for c in value_list(m.get("citizenships"))
            .iter()
            .chain(value_list(m.get("nationalities")).iter())
        {
            push_country(&mut countries, c);
        }
        let mut extra = std::collections::BTreeMap::new();
        for (k, v) in m {
            if !MODELLED.contains(&k.as_str()) {
                if let Some(t) = value_text(v) {
                    extra.insert(k.clone(), t);
                }
            }
        }
        entries.push(Entry {
            key: entry_key(id.as_deref(), &source, entity_number.as_deref(), &name),
            source_class: SourceClass::from_source_name(&source),
            source,
            entity_number,
            entry_type: text("type"),
            programs: value_list(m.get("programs")),
            name,
            alt_names: value_list(m.get("alt_names")),
            addresses,
            countries,
            federal_register_notice: text("federal_register_notice"),
            start_date: text("start_date"),
            end_date: text("end_date"),
            license_requirement: text("license_requirement"),
            license_policy: text("license_policy"),
            standard_order: text("standard_order"),
            remarks: text("remarks"),
            extra,
        });
    }
    Ok(entries)
}
