//! Importers for the published list formats. Every importer either returns the whole list or an
//! error naming the line; it never returns a partial list.

mod csl;
mod dpl;
mod ofac;

pub use csl::{parse_csl_csv, parse_csl_json};
pub use dpl::parse_bis_dpl;
pub use ofac::parse_ofac_sdn;

use crate::country::country_code;

/// Strip a UTF-8 byte-order mark and trailing DOS end-of-file markers (0x1A).
pub(crate) fn trim_bytes(input: &[u8]) -> &[u8] {
    let mut s = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    while let Some(rest) = s.strip_suffix(b"\x1a") {
        s = rest;
    }
    while let Some(rest) = s
        .strip_suffix(b"\r\n\x1a")
        .or_else(|| s.strip_suffix(b"\n\x1a"))
    {
        s = rest;
    }
    s
}

/// `Some(trimmed)` when non-empty.
pub(crate) fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Split a `;`-separated multi-value field, trimming and dropping empty parts.
pub(crate) fn split_multi(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// Add a country (name or code) to a list of ISO codes, keeping the raw text when unknown.
pub(crate) fn push_country(countries: &mut Vec<String>, raw: &str) {
    let raw = raw.trim();
    if raw.is_empty() {
        return;
    }
    let c = country_code(raw)
        .map(str::to_string)
        .unwrap_or_else(|| raw.to_string());
    if !countries.contains(&c) {
        countries.push(c);
    }
}
