//! List entries, list versions and their diff.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ScreenError;

/// The file format a list version was imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListFormat {
    /// trade.gov Consolidated Screening List, CSV (current layout with `_id`, or legacy without).
    CslCsv,
    /// trade.gov Consolidated Screening List, JSON.
    CslJson,
    /// OFAC SDN legacy CSV files (`sdn.csv`, `alt.csv`, `add.csv`).
    OfacSdnCsv,
    /// BIS Denied Persons List, tab-separated text.
    BisDplTxt,
}

/// What kind of restriction a list source carries, derived from the source's name.
///
/// The determination (outside this crate) decides what each kind means; this crate only labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum SourceClass {
    /// BIS Entity List (15 CFR part 744 supplement no. 4).
    EntityList,
    /// BIS Military End User List (supplement no. 7 to part 744).
    MilitaryEndUser,
    /// BIS Unverified List (supplement no. 6 to part 744).
    Unverified,
    /// BIS Denied Persons List.
    DeniedPersons,
    /// OFAC Specially Designated Nationals and Blocked Persons.
    Sdn,
    /// OFAC Sectoral Sanctions Identifications.
    SectoralSanctions,
    /// Other OFAC non-SDN lists (FSE, NS-MBS, CAPTA, PLC, CMIC ...).
    OfacNonSdn,
    /// State Department ITAR debarred parties.
    ItarDebarred,
    /// State Department nonproliferation sanctions.
    Nonproliferation,
    /// A source this crate does not recognise; the raw source name is kept.
    Other(String),
}

impl Default for SourceClass {
    fn default() -> Self {
        Self::Other(String::new())
    }
}

impl SourceClass {
    /// Classify a source by its published name (e.g. `Entity List (EL) - Bureau of Industry and Security`).
    pub fn from_source_name(source: &str) -> Self {
        let s = source.to_ascii_lowercase();
        if s.contains("entity list") || s.contains("(el)") {
            Self::EntityList
        } else if s.contains("military end user") || s.contains("(meu)") {
            Self::MilitaryEndUser
        } else if s.contains("unverified") || s.contains("(uvl)") {
            Self::Unverified
        } else if s.contains("denied persons") || s.contains("(dpl)") {
            Self::DeniedPersons
        } else if s.contains("specially designated nationals") || s.contains("(sdn)") {
            Self::Sdn
        } else if s.contains("sectoral sanctions") || s.contains("(ssi)") {
            Self::SectoralSanctions
        } else if s.contains("itar debarred") || s.contains("(dtc)") {
            Self::ItarDebarred
        } else if s.contains("nonproliferation") || s.contains("(isn)") {
            Self::Nonproliferation
        } else if s.contains("treasury department") {
            Self::OfacNonSdn
        } else {
            Self::Other(source.trim().to_string())
        }
    }
}

/// One postal address of a list entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    /// Street lines (may be empty).
    pub street: String,
    /// City (or city, state and postal code when the source does not split them).
    pub city: String,
    /// State or province.
    pub state: String,
    /// Postal code.
    pub postal_code: String,
    /// Country as published (name or ISO code).
    pub country: String,
}

impl Address {
    /// The address as one line, fields joined by `, `.
    pub fn one_line(&self) -> String {
        [
            &self.street,
            &self.city,
            &self.state,
            &self.postal_code,
            &self.country,
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// One party on a restricted-party list, with everything the determination may need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Stable key used to diff versions: the CSL `_id`, OFAC `ent_num`, or a key derived from the
    /// source, name and date when the list publishes no identifier.
    pub key: String,
    /// Source list name as published (e.g. `Entity List (EL) - Bureau of Industry and Security`).
    pub source: String,
    /// Classification of `source`.
    pub source_class: SourceClass,
    /// The source's own entity number, when published (`entity_number`, OFAC `ent_num`).
    pub entity_number: Option<String>,
    /// Entry type as published (`Entity`, `Individual`, `Vessel`, `Aircraft`...), if any.
    pub entry_type: Option<String>,
    /// Programs (e.g. `SDGT`, `IRAN`, `EAR`).
    pub programs: Vec<String>,
    /// Primary name.
    pub name: String,
    /// Alternate names (aliases, a.k.a., f.k.a.).
    pub alt_names: Vec<String>,
    /// Addresses.
    pub addresses: Vec<Address>,
    /// Countries associated with the entry (from addresses, citizenships, nationalities), as ISO
    /// alpha-2 codes when recognised, else as published.
    pub countries: Vec<String>,
    /// Federal Register notice(s) citation.
    pub federal_register_notice: Option<String>,
    /// Start or effective date, as published.
    pub start_date: Option<String>,
    /// End or expiration date, as published.
    pub end_date: Option<String>,
    /// BIS license requirement text (Entity List, MEU).
    pub license_requirement: Option<String>,
    /// BIS license review policy text (Entity List, MEU).
    pub license_policy: Option<String>,
    /// Standard order flag (Denied Persons).
    pub standard_order: Option<String>,
    /// Remarks as published.
    pub remarks: Option<String>,
    /// Other published fields not modelled above (title, call sign, vessel data, dates of birth,
    /// ids, URLs...), by their column name.
    pub extra: BTreeMap<String, String>,
}

impl Entry {
    /// The primary name followed by every alternate name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.alt_names.iter().map(|s| s.as_str()))
    }
}

/// A calendar date `YYYY-MM-DD` naming a list version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ListDate {
    /// Year.
    pub year: u16,
    /// Month 1-12.
    pub month: u8,
    /// Day 1-31.
    pub day: u8,
}

impl ListDate {
    /// Parse `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, ScreenError> {
        let bad = || ScreenError::InvalidDate(s.to_string());
        let mut parts = s.trim().split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year: u16 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let day: u8 = d.parse().map_err(|_| bad())?;
        let max_day = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if (year.is_multiple_of(4) && !year.is_multiple_of(100))
                || year.is_multiple_of(400) =>
            {
                29
            }
            2 => 28,
            _ => return Err(bad()),
        };
        if day == 0 || day > max_day {
            return Err(bad());
        }
        Ok(Self { year, month, day })
    }
}

impl fmt::Display for ListDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One dated version of a list as imported from one publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListVersion {
    /// The format it was read from.
    pub format: ListFormat,
    /// Free label (e.g. file name or publication identifier).
    pub label: String,
    /// Publication date, when known.
    pub date: Option<ListDate>,
    /// Entries, in file order.
    pub entries: Vec<Entry>,
}

impl ListVersion {
    /// Removes entries identical to an earlier one (a row repeated in the file), keeping the first
    /// of each in file order; returns how many were removed.
    pub fn dedup(&mut self) -> usize {
        let before = self.entries.len();
        let mut seen = std::collections::HashSet::new();
        self.entries.retain(|e| {
            // Identical entries serialise identically; a failure keeps the entry.
            serde_json::to_string(e).map_or(true, |k| seen.insert(k))
        });
        before - self.entries.len()
    }

    /// A version with the given entries.
    pub fn new(
        format: ListFormat,
        label: impl Into<String>,
        date: Option<ListDate>,
        entries: Vec<Entry>,
    ) -> Self {
        Self {
            format,
            label: label.into(),
            date,
            entries,
        }
    }

    /// Number of names (primary and alternate) over all entries.
    pub fn name_count(&self) -> usize {
        self.entries.iter().map(|e| 1 + e.alt_names.len()).sum()
    }

    /// Compare this (older) version with a newer one by entry key.
    pub fn diff<'a>(&'a self, newer: &'a ListVersion) -> ListDiff<'a> {
        diff(self, newer)
    }
}

/// An entry whose key is in both versions but whose content differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedEntry<'a> {
    /// The entry in the older version.
    pub before: &'a Entry,
    /// The entry in the newer version.
    pub after: &'a Entry,
    /// Names of the fields that differ (`name`, `alt_names`, `addresses`, ...).
    pub fields: Vec<&'static str>,
}

/// Difference between two versions of a list, by stable entry key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListDiff<'a> {
    /// Entries only in the newer version.
    pub added: Vec<&'a Entry>,
    /// Entries only in the older version.
    pub removed: Vec<&'a Entry>,
    /// Entries in both whose content differs.
    pub changed: Vec<ChangedEntry<'a>>,
    /// Number of entries present and identical in both.
    pub unchanged: usize,
}

fn changed_fields(a: &Entry, b: &Entry) -> Vec<&'static str> {
    let mut f = Vec::new();
    macro_rules! cmp {
        ($($field:ident),*) => { $( if a.$field != b.$field { f.push(stringify!($field)); } )* };
    }
    cmp!(
        source,
        entity_number,
        entry_type,
        programs,
        name,
        alt_names,
        addresses,
        countries,
        federal_register_notice,
        start_date,
        end_date,
        license_requirement,
        license_policy,
        standard_order,
        remarks,
        extra
    );
    f
}

/// Compare two versions by entry key. Keys repeated within one version are compared in order.
pub fn diff<'a>(older: &'a ListVersion, newer: &'a ListVersion) -> ListDiff<'a> {
    let mut old_by_key: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in &older.entries {
        old_by_key.entry(e.key.as_str()).or_default().push(e);
    }
    let mut added = Vec::new();
    let mut changed = Vec::new();
    let mut unchanged = 0;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &newer.entries {
        let n = seen.entry(e.key.as_str()).or_insert(0);
        match old_by_key.get(e.key.as_str()).and_then(|v| v.get(*n)) {
            Some(old) => {
                let fields = changed_fields(old, e);
                if fields.is_empty() {
                    unchanged += 1;
                } else {
                    changed.push(ChangedEntry {
                        before: old,
                        after: e,
                        fields,
                    });
                }
            }
            None => added.push(e),
        }
        *n += 1;
    }
    let mut removed = Vec::new();
    for (k, olds) in &old_by_key {
        let used = seen.get(k).copied().unwrap_or(0);
        removed.extend(olds.iter().skip(used).copied());
    }
    ListDiff {
        added,
        removed,
        changed,
        unchanged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_published_sources() {
        let cases = [
            (
                "Entity List (EL) - Bureau of Industry and Security",
                SourceClass::EntityList,
            ),
            (
                "Military End User (MEU) List - Bureau of Industry and Security",
                SourceClass::MilitaryEndUser,
            ),
            (
                "Unverified List (UVL) - Bureau of Industry and Security",
                SourceClass::Unverified,
            ),
            (
                "Denied Persons List (DPL) - Bureau of Industry and Security",
                SourceClass::DeniedPersons,
            ),
            (
                "Specially Designated Nationals (SDN) - Treasury Department",
                SourceClass::Sdn,
            ),
            (
                "Sectoral Sanctions Identifications List (SSI) - Treasury Department",
                SourceClass::SectoralSanctions,
            ),
            (
                "Foreign Sanctions Evaders (FSE) - Treasury Department",
                SourceClass::OfacNonSdn,
            ),
            (
                "ITAR Debarred (DTC) - State Department",
                SourceClass::ItarDebarred,
            ),
            (
                "Nonproliferation Sanctions (ISN) - State Department",
                SourceClass::Nonproliferation,
            ),
        ];
        for (s, c) in cases {
            assert_eq!(SourceClass::from_source_name(s), c, "{s}");
        }
        assert_eq!(
            SourceClass::from_source_name("Some List"),
            SourceClass::Other("Some List".into())
        );
    }
}
