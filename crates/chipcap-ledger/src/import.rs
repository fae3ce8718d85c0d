//! Bulk import files: CSV or JSON, one shipment or licence per row; errors name the line.
//!
//! Columns (CSV header, or keys of each JSON object): `kind` (`shipment` or `licence`), `id`,
//! `date`, `consignee`, `destination`, `chip`, `quantity`; shipments may add `headquarters`,
//! `authorization` (`none`, `uveu`, `nveu`) and `licence` (the licence shipped under); licences add
//! `licence` (the number) and `valid_to`, and may add `force` (a reason).

use std::collections::BTreeMap;

use chipcap_core::date::Date;

use crate::error::Error;
use crate::ledger::{GrantInput, ImportRow};

const COLUMNS: &[&str] = &[
    "kind",
    "id",
    "date",
    "consignee",
    "destination",
    "chip",
    "quantity",
    "headquarters",
    "authorization",
    "licence",
    "valid_to",
    "force",
    "rule_set",
];

fn err(line: usize, message: impl Into<String>) -> Error {
    Error::Import {
        line,
        message: message.into(),
    }
}

fn row(line: usize, f: &BTreeMap<String, String>) -> Result<ImportRow, Error> {
    let get = |k: &str| f.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let need = |k: &str| get(k).ok_or_else(|| err(line, format!("column `{k}` is empty")));
    for k in f.keys() {
        if !COLUMNS.contains(&k.as_str()) {
            return Err(err(
                line,
                format!("unknown column `{k}` (known: {})", COLUMNS.join(", ")),
            ));
        }
    }
    let quantity: u64 = need("quantity")?
        .parse()
        .ok()
        .filter(|q| *q > 0)
        .ok_or_else(|| {
            err(
                line,
                format!(
                    "column `quantity` must be a positive whole number, got `{}`",
                    get("quantity").unwrap_or("")
                ),
            )
        })?;
    let items = serde_json::json!([{"chip": need("chip")?, "quantity": quantity}]);
    let date = |k: &str| -> Result<Date, Error> {
        let s = need(k)?;
        s.parse::<Date>()
            .map_err(|e| err(line, format!("column `{k}` {e}, got `{s}`")))
    };
    match need("kind")? {
        "shipment" => {
            let mut consignee = serde_json::json!({"name": need("consignee")?});
            if let Some(h) = get("headquarters") {
                consignee["headquarters"] = h.into();
            }
            if let Some(a) = get("authorization") {
                consignee["authorization"] = a.into();
            }
            let mut req = serde_json::json!({
                "id": need("id")?,
                "date": need("date")?,
                "destination": need("destination")?,
                "items": items,
                "consignee": consignee,
            });
            if let Some(l) = get("licence") {
                req["licence"] = l.into();
            }
            if let Some(r) = get("rule_set") {
                req["rule_set"] = r.into();
            }
            Ok(ImportRow::Shipment {
                request: req.to_string(),
            })
        }
        "licence" => Ok(ImportRow::Licence(GrantInput {
            client_id: need("id")?.to_string(),
            number: need("licence")?.to_string(),
            consignee: need("consignee")?.to_string(),
            destination: need("destination")?.to_string(),
            items,
            date: date("date")?,
            valid_to: date("valid_to")?,
            force: get("force").map(String::from),
        })),
        "us_shipment" => Ok(ImportRow::UsShipment {
            id: need("id")?.to_string(),
            date: date("date")?,
            chip: need("chip")?.to_string(),
            quantity,
        }),
        other => Err(err(
            line,
            format!("column `kind` must be `shipment`, `licence` or `us_shipment`, got `{other}`"),
        )),
    }
}

/// Reads a CSV import (line numbers count the header as line 1).
pub fn parse_csv(text: &str) -> Result<Vec<(usize, ImportRow)>, Error> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| err(1, format!("cannot read the header: {e}")))?
        .clone();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e
                .position()
                .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
            err(line, format!("cannot read the row: {e}"))
        })?;
        let line = rec
            .position()
            .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
        let f: BTreeMap<String, String> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.to_string(), v.to_string()))
            .collect();
        out.push((line, row(line, &f)?));
    }
    Ok(out)
}

/// Reads a JSON import: an array of objects (the record number, from 1, stands for the line).
pub fn parse_json(text: &str) -> Result<Vec<(usize, ImportRow)>, Error> {
    let v: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(text).map_err(|e| {
            err(
                e.line(),
                format!("the file must be a JSON array of objects: {e}"),
            )
        })?;
    let mut out = Vec::new();
    for (i, o) in v.into_iter().enumerate() {
        let n = i + 1;
        let mut f = BTreeMap::new();
        for (k, val) in o {
            let s = match val {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(x) => x.to_string(),
                serde_json::Value::Null => String::new(),
                other => {
                    return Err(err(
                        n,
                        format!("field `{k}` must be a string or a number, got `{other}`"),
                    ))
                }
            };
            f.insert(k, s);
        }
        out.push((n, row(n, &f)?));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_row_names_its_line() {
        let csv = "kind,id,date,consignee,destination,chip,quantity\nshipment,s1,2025-06-01,A,IN,nvidia-h100-sxm,8\nshipment,s2,2025-06-01,A,IN,nvidia-h100-sxm,0\n";
        match parse_csv(csv) {
            Err(Error::Import { line, message }) => {
                assert_eq!(line, 3);
                assert!(message.contains("quantity"), "{message}");
            }
            other => panic!("expected an import error, got {other:?}"),
        }
    }

    #[test]
    fn json_rows_read_like_csv_rows() {
        let j = r#"[{"kind":"licence","id":"g1","licence":"L-1","date":"2025-03-01","valid_to":"2026-03-01","consignee":"A","destination":"IN","chip":"nvidia-h100-sxm","quantity":100}]"#;
        let rows = parse_json(j).unwrap_or_default();
        assert_eq!(rows.len(), 1);
        assert!(matches!(&rows[0].1, ImportRow::Licence(g) if g.number == "L-1"));
    }
}
