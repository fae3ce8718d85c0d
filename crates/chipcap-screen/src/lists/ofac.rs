//! OFAC SDN list, Treasury's legacy CSV layout: `sdn.csv`, `alt.csv`, `add.csv` (no header row,
//! `-0-` for empty).

use std::collections::HashMap;

use super::{push_country, trim_bytes};
use crate::error::{from_csv, ScreenError};
use crate::model::{Address, Entry, SourceClass};

const SDN: &str = "ofac-sdn";
const ALT: &str = "ofac-alt";
const ADD: &str = "ofac-add";

/// Source name used for SDN entries (as in the Consolidated Screening List).
pub const SDN_SOURCE: &str = "Specially Designated Nationals (SDN) - Treasury Department";

fn field(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty() && t != "-0-").then(|| t.to_string())
}

fn read(
    format: &'static str,
    input: &[u8],
    width: usize,
) -> Result<Vec<(u64, Vec<String>)>, ScreenError> {
    let input = trim_bytes(input);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut rows = Vec::new();
    // Lines are counted incrementally (the csv crate reports CRLF records one line early).
    let (mut seen_byte, mut seen_line) = (0usize, 1u64);
    for rec in rdr.records() {
        let rec = rec.map_err(|e| from_csv(format, &e, input))?;
        let mut start = rec
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX))
            .min(input.len());
        while start < input.len() && matches!(input[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= seen_byte {
            seen_line += input[seen_byte..start]
                .iter()
                .filter(|&&c| c == b'\n')
                .count() as u64;
            seen_byte = start;
        }
        let line = seen_line;
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != width {
            return Err(ScreenError::Malformed {
                format,
                line,
                message: format!(
                    "expected {width} fields, found {} (truncated or extra fields)",
                    rec.len()
                ),
            });
        }
        rows.push((line, rec.iter().map(str::to_string).collect()));
    }
    Ok(rows)
}

fn ent_num(format: &'static str, line: u64, raw: &str) -> Result<String, ScreenError> {
    let t = raw.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ScreenError::InvalidField {
            format,
            line,
            field: "ent_num".into(),
            value: t.to_string(),
        });
    }
    Ok(t.to_string())
}

/// Parse the OFAC SDN files. `alt` and `add` are optional; every row in them must refer to an
/// `ent_num` present in `sdn`.
///
/// # Errors
/// [`ScreenError::Malformed`] for a row with the wrong number of fields or invalid UTF-8,
/// [`ScreenError::InvalidField`] for a non-numeric `ent_num`, a duplicate `ent_num`, an empty name
/// or a reference to an unknown `ent_num`.
pub fn parse_ofac_sdn(
    sdn: &[u8],
    alt: Option<&[u8]>,
    add: Option<&[u8]>,
) -> Result<Vec<Entry>, ScreenError> {
    let mut entries = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (line, r) in read(SDN, sdn, 12)? {
        let num = ent_num(SDN, line, &r[0])?;
        let Some(name) = field(&r[1]) else {
            return Err(ScreenError::InvalidField {
                format: SDN,
                line,
                field: "name".into(),
                value: r[1].clone(),
            });
        };
        if index.insert(num.clone(), entries.len()).is_some() {
            return Err(ScreenError::InvalidField {
                format: SDN,
                line,
                field: "ent_num".into(),
                value: format!("{num} (duplicate)"),
            });
        }
        let programs = field(&r[3])
            .map(|p| {
                p.split("] [")
                    .map(|s| {
                        s.trim_matches(|c| c == '[' || c == ']' || c == ' ')
                            .to_string()
                    })
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let mut extra = std::collections::BTreeMap::new();
        for (k, i) in [
            ("title", 4),
            ("call_sign", 5),
            ("vessel_type", 6),
            ("tonnage", 7),
            ("gross_registered_tonnage", 8),
            ("vessel_flag", 9),
            ("vessel_owner", 10),
        ] {
            if let Some(v) = field(&r[i]) {
                extra.insert(k.to_string(), v);
            }
        }
        entries.push(Entry {
            key: format!("ofac:{num}"),
            source: SDN_SOURCE.to_string(),
            source_class: SourceClass::Sdn,
            entity_number: Some(num),
            entry_type: Some(field(&r[2]).unwrap_or_else(|| "entity".to_string())),
            programs,
            name,
            remarks: field(&r[11]),
            extra,
            ..Entry::default()
        });
    }
    let lookup = |format: &'static str, line: u64, raw: &str| -> Result<usize, ScreenError> {
        let num = ent_num(format, line, raw)?;
        index.get(&num).copied().ok_or(ScreenError::InvalidField {
            format,
            line,
            field: "ent_num".into(),
            value: format!("{num} (not in sdn.csv)"),
        })
    };
    if let Some(alt) = alt {
        for (line, r) in read(ALT, alt, 5)? {
            let i = lookup(ALT, line, &r[0])?;
            if let (Some(name), Some(e)) = (field(&r[3]), entries.get_mut(i)) {
                e.alt_names.push(name);
            }
        }
    }
    if let Some(add) = add {
        for (line, r) in read(ADD, add, 6)? {
            let i = lookup(ADD, line, &r[0])?;
            let a = Address {
                street: field(&r[2]).unwrap_or_default(),
                city: field(&r[3]).unwrap_or_default(),
                country: field(&r[4]).unwrap_or_default(),
                ..Address::default()
            };
            if let Some(e) = entries.get_mut(i) {
                push_country(&mut e.countries, &a.country);
                if a != Address::default() {
                    e.addresses.push(a);
                }
            }
        }
    }
    Ok(entries)
}
