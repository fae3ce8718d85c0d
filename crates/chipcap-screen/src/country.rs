//! Country names and ISO 3166-1 codes (data in `data/countries.tsv`).

use std::collections::HashMap;
use std::sync::OnceLock;

const COUNTRIES: &str = include_str!("../data/countries.tsv");

struct Table {
    by_name: HashMap<String, &'static str>,
}

fn key(s: &str) -> String {
    let ascii = any_ascii::any_ascii(s).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len());
    for w in ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let mut by_name = HashMap::new();
        for line in COUNTRIES
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let mut cols = line.split('\t');
            let (Some(a2), Some(a3)) = (cols.next(), cols.next()) else {
                continue;
            };
            by_name.insert(a2.to_ascii_lowercase(), a2);
            by_name.insert(a3.to_ascii_lowercase(), a2);
            for n in cols {
                by_name.insert(key(n), a2);
            }
        }
        Table { by_name }
    })
}

/// The ISO 3166-1 alpha-2 code for a country name, alpha-2 or alpha-3 code (case-insensitive),
/// or `None` when not recognised.
pub fn country_code(s: &str) -> Option<&'static str> {
    let k = key(s);
    if k.is_empty() {
        return None;
    }
    table().by_name.get(&k).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        assert_eq!(country_code("US"), Some("US"));
        assert_eq!(country_code("irn"), Some("IR"));
        assert_eq!(country_code("Côte d'Ivoire"), Some("CI"));
        assert_eq!(country_code("Russia"), Some("RU"));
        assert_eq!(country_code("Atlantis"), None);
    }
}
