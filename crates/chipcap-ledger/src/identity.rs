//! A party's identity for its allowances: the name with Unicode compatibility forms folded (NFKC),
//! case folded, punctuation removed and whitespace collapsed, so that `Probe Co`, `PROBE CO`,
//! `Probe Co `, `Probe  Co` and `Probe Co.` are one consignee with one LPP limit (740.29(a) counts
//! per ultimate consignee, not per spelling).
//!
//! Deliberately smaller than the screening normaliser (chipcap-screen, which the ledger does not
//! depend on): it folds only what cannot make two different parties one (no legal forms, no
//! transliteration, no word equivalences).

use unicode_normalization::UnicodeNormalization;

/// The identity of a party name (empty for a name of punctuation only).
pub fn party_identity(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut space = false;
    for c in name.nfkc().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else if c.is_whitespace() {
            space = true;
        }
        // Punctuation and symbols are dropped.
    }
    out
}

/// What [`party_identity`] depends on besides its code: the Unicode tables of the standard library
/// (case, letters and digits, white space) and of the NFKC normaliser. The databases store
/// identities in their index of spellings and refill it when this changes.
pub fn version() -> String {
    let (a, b, c) = char::UNICODE_VERSION;
    let (x, y, z) = unicode_normalization::UNICODE_VERSION;
    format!("identity 1; unicode {a}.{b}.{c}; nfkc {x}.{y}.{z}")
}

/// The `(identity, spelling)` of the party an allowance key names (LPP, AIA, NVEU, UVEU keys), as
/// the backends' index of spellings stores it.
pub fn key_spelling(key: &str) -> Option<(String, String)> {
    crate::entry::key_party(key).map(|n| (party_identity(n), n.to_string()))
}

/// What `ledger verify` finds wrong with a backend's index of party spellings (`index`)
/// against the allowance keys of the stored draws: a spelling missing from it would let a
/// one-shot apply take `PROBE CO` for a new consignee next to `Probe Co` (a second LPP limit).
pub fn check_spellings(
    draws: &[(u64, crate::entry::Draw)],
    index: &[(String, String)],
) -> Vec<String> {
    let keys: std::collections::BTreeSet<&str> =
        draws.iter().map(|(_, d)| d.key.as_str()).collect();
    let want: std::collections::BTreeSet<(String, String)> =
        keys.into_iter().filter_map(key_spelling).collect();
    let have: std::collections::BTreeSet<(String, String)> = index.iter().cloned().collect();
    let mut problems = Vec::new();
    for (id, n) in want.difference(&have) {
        problems.push(format!(
            "the index of party spellings is missing `{n}` (identity `{id}`), which allowance keys use"
        ));
    }
    for (id, n) in have.difference(&want) {
        problems.push(format!(
            "the index of party spellings lists `{n}` (identity `{id}`), which no allowance key uses"
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_party_have_one_identity() {
        for n in [
            "Probe Co",
            "PROBE CO",
            "Probe Co ",
            " Probe  Co",
            "Probe Co.",
            "Probe\tCo",
            "Ｐｒｏｂｅ Ｃｏ",
        ] {
            assert_eq!(party_identity(n), "probe co", "{n:?}");
        }
        assert_ne!(party_identity("Probe Corp"), party_identity("Probe Co"));
        assert_eq!(party_identity("..."), "");
    }
}
