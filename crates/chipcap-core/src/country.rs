//! ISO 3166-1 alpha-2 country codes and sets of them.

use std::fmt;

/// `AA`, `AB`, ... `ZZ`: every two-letter code, so that a code's text is a slice of this table.
const fn all_codes() -> [u8; 26 * 26 * 2] {
    let mut t = [0u8; 26 * 26 * 2];
    let mut i = 0;
    while i < 26 * 26 {
        t[i * 2] = b'A' + (i / 26) as u8;
        t[i * 2 + 1] = b'A' + (i % 26) as u8;
        i += 1;
    }
    t
}

const ALL_CODE_BYTES: [u8; 26 * 26 * 2] = all_codes();
const ALL_CODES: &str = match std::str::from_utf8(&ALL_CODE_BYTES) {
    Ok(s) => s,
    Err(_) => "",
};

/// An ISO 3166-1 alpha-2 code, upper case (`MO` is Macau).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Reads two ASCII letters in either case; whether the code exists is checked against the rules'
    /// country table.
    pub fn parse(s: &str) -> Option<CountryCode> {
        let b = s.as_bytes();
        if b.len() == 2 && b[0].is_ascii_alphabetic() && b[1].is_ascii_alphabetic() {
            Some(CountryCode([
                b[0].to_ascii_uppercase(),
                b[1].to_ascii_uppercase(),
            ]))
        } else {
            None
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &'static str {
        // Both bytes are upper-case ASCII letters by construction: the code's entry in the table of
        // all two-letter codes.
        let i = self.index() * 2;
        ALL_CODES.get(i..i + 2).unwrap_or("??")
    }

    fn index(self) -> usize {
        usize::from(self.0[0] - b'A') * 26 + usize::from(self.0[1] - b'A')
    }

    /// The United States.
    pub const US: CountryCode = CountryCode(*b"US");
    /// Hong Kong: part of China for the EAR since 85 FR 83765 (Dec. 23, 2020).
    pub const HK: CountryCode = CountryCode(*b"HK");
    /// China.
    pub const CN: CountryCode = CountryCode(*b"CN");
    /// Macau.
    pub const MO: CountryCode = CountryCode(*b"MO");
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of country codes (a bitset over the 676 two-letter codes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CountrySet([u64; 11]);

impl CountrySet {
    /// The empty set.
    pub const fn new() -> CountrySet {
        CountrySet([0; 11])
    }

    /// Adds a code.
    pub fn insert(&mut self, c: CountryCode) {
        let i = c.index();
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// Whether the set has the code.
    pub fn contains(&self, c: CountryCode) -> bool {
        let i = c.index();
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    /// The union of two sets.
    pub fn union(&self, other: &CountrySet) -> CountrySet {
        let mut out = self.clone();
        for (a, b) in out.0.iter_mut().zip(other.0.iter()) {
            *a |= *b;
        }
        out
    }

    /// The codes in the set, in order.
    pub fn iter(&self) -> impl Iterator<Item = CountryCode> + '_ {
        (0..676usize)
            .filter(|i| self.0[i / 64] & (1 << (i % 64)) != 0)
            .map(|i| {
                // i < 676 so both letters are in A..=Z.
                let a = b'A' + u8::try_from(i / 26).unwrap_or(0);
                let b = b'A' + u8::try_from(i % 26).unwrap_or(0);
                CountryCode([a, b])
            })
    }

    /// The number of codes.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

impl FromIterator<CountryCode> for CountrySet {
    fn from_iter<I: IntoIterator<Item = CountryCode>>(iter: I) -> Self {
        let mut s = CountrySet::new();
        for c in iter {
            s.insert(c);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_every_code() {
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                let text = String::from_utf8(vec![a, b]).unwrap_or_default();
                let code = CountryCode::parse(&text.to_ascii_lowercase());
                assert_eq!(code.map(|c| c.as_str()), Some(text.as_str()));
            }
        }
    }

    #[test]
    fn set_round_trip() {
        let codes: Vec<CountryCode> = ["ZW", "AA", "US", "mo"]
            .iter()
            .filter_map(|s| CountryCode::parse(s))
            .collect();
        let set: CountrySet = codes.iter().copied().collect();
        assert_eq!(set.len(), 4);
        assert!(set.contains(CountryCode::US));
        let listed: Vec<String> = set.iter().map(|c| c.to_string()).collect();
        assert_eq!(listed, ["AA", "MO", "US", "ZW"]);
        assert!(CountryCode::parse("U1").is_none());
        assert!(CountryCode::parse("USA").is_none());
        assert!(CountryCode::parse("É").is_none());
    }
}
