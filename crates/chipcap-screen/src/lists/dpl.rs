//! BIS Denied Persons List, tab-separated text with a header row and quoted fields.

use std::collections::HashMap;

use super::{opt, push_country, trim_bytes};
use crate::error::{from_csv, record_line, ScreenError};
use crate::model::{Address, Entry, SourceClass};

const DPL: &str = "bis-dpl";

/// Source name used for Denied Persons entries (as in the Consolidated Screening List).
pub const DPL_SOURCE: &str = "Denied Persons List (DPL) - Bureau of Industry and Security";

const REQUIRED: &[&str] = &[
    "Name",
    "Street_Address",
    "City",
    "State",
    "Country",
    "Postal_Code",
    "Effective_Date",
    "Expiration_Date",
    "Standard_Order",
    "Last_Update",
    "Action",
    "FR_Citation",
];

/// Parse the BIS Denied Persons List text file.
///
/// # Errors
/// [`ScreenError::MissingColumn`] when a column is absent, [`ScreenError::Malformed`] for a
/// truncated row or invalid UTF-8, [`ScreenError::InvalidField`] for an empty name.
pub fn parse_bis_dpl(input: &[u8]) -> Result<Vec<Entry>, ScreenError> {
    let input = trim_bytes(input);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let headers = rdr.headers().map_err(|e| from_csv(DPL, &e, input))?.clone();
    let cols: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim(), i))
        .collect();
    for r in REQUIRED {
        if !cols.contains_key(r) {
            return Err(ScreenError::MissingColumn {
                format: DPL,
                line: 1,
                column: (*r).to_string(),
            });
        }
    }
    let mut entries = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| from_csv(DPL, &e, input))?;
        let pos = rec.position().cloned();
        let line = || record_line(input, pos.as_ref());
        let get = |c: &str| cols.get(c).and_then(|&i| rec.get(i)).unwrap_or("").trim();
        let name = get("Name").to_string();
        if name.is_empty() {
            return Err(ScreenError::InvalidField {
                format: DPL,
                line: line(),
                field: "Name".into(),
                value: String::new(),
            });
        }
        let address = Address {
            street: get("Street_Address").to_string(),
            city: get("City").to_string(),
            state: get("State").to_string(),
            postal_code: get("Postal_Code").to_string(),
            country: get("Country").to_string(),
        };
        let mut countries = Vec::new();
        push_country(&mut countries, &address.country);
        let base = format!("dpl:{}:{}", name.to_lowercase(), get("Effective_Date"));
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let key = if *n == 1 { base } else { format!("{base}#{n}") };
        let mut extra = std::collections::BTreeMap::new();
        for k in ["Last_Update", "Action"] {
            if let Some(v) = opt(get(k)) {
                extra.insert(k.to_lowercase(), v);
            }
        }
        entries.push(Entry {
            key,
            source: DPL_SOURCE.to_string(),
            source_class: SourceClass::DeniedPersons,
            entity_number: None,
            entry_type: None,
            name,
            addresses: vec![address],
            countries,
            federal_register_notice: opt(get("FR_Citation")),
            start_date: opt(get("Effective_Date")),
            end_date: opt(get("Expiration_Date")),
            standard_order: opt(get("Standard_Order")),
            extra,
            ..Entry::default()
        });
    }
    Ok(entries)
}
