//! The request parser's fast path (a strict scanner for the common shape of a document) and its
//! general path (serde) must agree. Any document is read twice: as given, and with its first key
//! spelled with a JSON escape (`"date"` as `"\u0064ate"`: the same document, which the scanner leaves
//! to serde). Both readings must succeed or fail together, and when they succeed they must decide
//! and serialise to the same determination.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn rules() -> &'static chipcap_core::params::RuleSet {
    static R: OnceLock<chipcap_core::params::RuleSet> = OnceLock::new();
    R.get_or_init(|| chipcap_rules::embedded().unwrap())
}

/// The document with the first letter of its first key escaped, if it starts `{` then a key.
fn escaped(text: &str) -> Option<String> {
    let open = text.find('{')?;
    if !text[..open].trim().is_empty() {
        return None;
    }
    let rest = &text[open + 1..];
    let quote = rest.find('"')?;
    if !rest[..quote].trim().is_empty() {
        return None;
    }
    let key_start = open + 1 + quote + 1;
    let c = text[key_start..].chars().next()?;
    if !c.is_ascii_alphanumeric() && c != '_' {
        return None;
    }
    Some(format!(
        "{}\\u{:04x}{}",
        &text[..key_start],
        u32::from(c),
        &text[key_start + 1..]
    ))
}

fn outcome(text: &str) -> Result<String, ()> {
    let today = chipcap_core::date::Date::UNIX_EPOCH;
    let p = chipcap_core::wire::parse_request(text, rules(), today).map_err(|_| ())?;
    Ok(match chipcap_core::determine(&p.request, rules()) {
        Ok(d) => chipcap_core::wire::to_json(&d),
        Err(e) => format!("error: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some(other) = escaped(text) else { return };
    assert_eq!(outcome(text), outcome(&other), "{text}");
});
