//! The restricted-party list store shared by the CLI and the server: dated versions kept side by side
//! in a folder (`index.json`, `v<N>.json`); reviewers' dispositions, recorded in the ledger database
//! as `disposition` entries and tied to a fingerprint of the list entry (so a changed entry goes back
//! for review); and the screening of a request's parties into the context the core decides with. IO
//! lives here, at the edge; the matcher is `chipcap-screen`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chipcap_core::request::{
    Disposition, ListClass, Party, PartyRole, Screening, ScreeningHit, ScreeningStatus,
};
use chipcap_screen::{
    normalize, Entry, Hit, ListFormat, ListVersion, MatchConfig, Query, Screener, SourceClass,
};
use serde::{Deserialize, Serialize};

/// A list store that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ListStoreError {
    /// A file could not be read or written.
    #[error("list store file `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not what the store wrote.
    #[error("list store file `{path}` is damaged: {message}")]
    Damaged {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

fn io(p: &Path, source: std::io::Error) -> ListStoreError {
    ListStoreError::Io {
        path: p.display().to_string(),
        source,
    }
}

fn damaged(p: &Path, e: serde_json::Error) -> ListStoreError {
    ListStoreError::Damaged {
        path: p.display().to_string(),
        message: e.to_string(),
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct VersionMeta {
    /// Version number in the store.
    pub number: u32,
    /// Format it was imported from.
    pub format: ListFormat,
    /// Label.
    pub label: String,
    /// Publication date.
    pub date: Option<String>,
    /// When it was imported.
    pub imported_at: String,
    /// Entries.
    pub entries: usize,
    /// Names with aliases.
    pub names: usize,
}

/// `index.json`.
#[derive(Serialize, Deserialize, Default)]
pub struct Index {
    /// Every imported version, in order.
    pub versions: Vec<VersionMeta>,
}

/// A reviewer's disposition in force, as read from the ledger's `disposition` entries (and as the
/// server lists them).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DispositionRecord {
    /// The ledger entry's client id (reverse it to withdraw the disposition).
    pub id: String,
    /// Party name as screened.
    pub party: String,
    /// Its normalised form (the lookup key).
    pub party_normalized: String,
    /// List entry key.
    pub entry_key: String,
    /// Fingerprint of the entry when decided.
    pub entry_fingerprint: String,
    /// The list, when known.
    pub source: Option<String>,
    /// The decision.
    pub disposition: DispositionKind,
    /// Who.
    pub by: String,
    /// Why.
    pub why: String,
    /// When (RFC 3339).
    pub at: String,
}

pub use chipcap_ledger::entry::DispositionKind;

/// The dispositions in `entries` (the ledger's `disposition` entries in force, in ledger order).
pub fn dispositions_from_entries(
    entries: &[chipcap_ledger::entry::Entry],
) -> Vec<DispositionRecord> {
    entries
        .iter()
        .filter_map(|e| match &e.body {
            chipcap_ledger::entry::Body::Disposition(d) => Some(DispositionRecord {
                id: e.client_id.clone(),
                party: d.party.clone(),
                party_normalized: d.party_normalized.clone(),
                entry_key: d.entry_key.clone(),
                entry_fingerprint: d.entry_fingerprint.clone(),
                source: d.source.clone(),
                disposition: d.disposition,
                by: e.recorded_by.clone(),
                why: d.reason.clone(),
                at: e.recorded_at.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// The ledger entry that records a reviewer's disposition of `party`'s hit on list entry
/// `entry_key` of the loaded lists. Errors name the field: an unknown entry, an empty name, reviewer
/// or reason.
#[allow(clippy::too_many_arguments)]
pub fn disposition_entry(
    lists: &LoadedLists,
    id: &str,
    party: &str,
    entry_key: &str,
    disposition: DispositionKind,
    by: &str,
    why: &str,
    at: &str,
    date: chipcap_core::date::Date,
) -> Result<chipcap_ledger::entry::Entry, (&'static str, String)> {
    if party.trim().is_empty() {
        return Err(("party", "must not be empty".into()));
    }
    if by.trim().is_empty() {
        return Err(("by", "must not be empty: who reviewed the hit".into()));
    }
    if why.trim().is_empty() {
        return Err((
            "why",
            "must not be empty: the reason for the disposition".into(),
        ));
    }
    let e = lists
        .screener
        .entries()
        .iter()
        .find(|e| e.key == entry_key)
        .ok_or_else(|| {
            (
                "entry_key",
                format!("no entry `{entry_key}` in the lists in use (use the hit's `entry_key`)"),
            )
        })?;
    Ok(chipcap_ledger::entry::Entry {
        seq: 0,
        client_id: id.to_string(),
        recorded_by: by.to_string(),
        recorded_at: at.to_string(),
        date,
        body: chipcap_ledger::entry::Body::Disposition(chipcap_ledger::entry::Disposition {
            party: party.to_string(),
            party_normalized: normalize(party),
            entry_key: e.key.clone(),
            entry_fingerprint: fingerprint(e),
            source: Some(e.source.clone()),
            disposition,
            reason: why.to_string(),
        }),
    })
}

/// The disposition in force for `party` (any spelling with the same normalised form) and the list
/// entry, if the entry is unchanged since it was decided (a changed entry goes back for review).
pub fn disposition_for<'d>(
    disps: &'d [DispositionRecord],
    party_normalized: &str,
    entry: &Entry,
) -> Option<&'d DispositionRecord> {
    let fp = fingerprint(entry);
    disps.iter().rev().find(|d| {
        d.party_normalized == party_normalized
            && d.entry_key == entry.key
            && d.entry_fingerprint == fp
    })
}

/// The list store folder.
pub struct Store {
    /// The folder.
    pub dir: PathBuf,
}

/// Now as RFC 3339 UTC (the edge reads the clock).
pub fn now_text() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let date = chipcap_core::date::Date::from_days_since_epoch(days)
        .unwrap_or(chipcap_core::date::Date::UNIX_EPOCH);
    let rem = secs % 86_400;
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// A stable fingerprint of an entry's content (FNV-1a over its JSON form).
pub fn fingerprint(e: &Entry) -> String {
    let text = serde_json::to_string(e).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Writes a file through a synced temporary and a rename, so readers never see half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ListStoreError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))?;
    Ok(())
}

impl Store {
    /// The store in `dir`.
    pub fn new(dir: &Path) -> Store {
        Store {
            dir: dir.to_path_buf(),
        }
    }

    /// The index of imported versions (empty when nothing is imported).
    pub fn index(&self) -> Result<Index, ListStoreError> {
        let p = self.dir.join("index.json");
        if !p.exists() {
            return Ok(Index::default());
        }
        let text = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
        serde_json::from_str(&text).map_err(|e| damaged(&p, e))
    }

    /// One version.
    pub fn load(&self, number: u32) -> Result<ListVersion, ListStoreError> {
        let p = self.dir.join(format!("v{number}.json"));
        let text = std::fs::read(&p).map_err(|e| io(&p, e))?;
        serde_json::from_slice(&text).map_err(|e| damaged(&p, e))
    }

    /// The latest version of each format, with their descriptions (empty when nothing is imported).
    pub fn latest(&self) -> Result<(Vec<ListVersion>, Vec<String>), ListStoreError> {
        let idx = self.index()?;
        let mut latest: BTreeMap<String, &VersionMeta> = BTreeMap::new();
        for v in &idx.versions {
            latest.insert(format!("{:?}", v.format), v);
        }
        let mut versions = Vec::new();
        let mut names = Vec::new();
        for v in latest.values() {
            versions.push(self.load(v.number)?);
            names.push(describe(v));
        }
        Ok((versions, names))
    }
}

/// `v3 csl-csv 2026-01-01 (file.csv)`.
pub fn describe(v: &VersionMeta) -> String {
    format!(
        "v{} {} {} ({})",
        v.number,
        format_name(v.format),
        v.date.clone().unwrap_or_else(|| "undated".into()),
        v.label
    )
}

/// The format's CLI name.
pub fn format_name(f: ListFormat) -> &'static str {
    match f {
        ListFormat::CslCsv => "csl-csv",
        ListFormat::CslJson => "csl-json",
        ListFormat::OfacSdnCsv => "ofac-sdn",
        ListFormat::BisDplTxt => "bis-dpl",
    }
}

fn class(c: &SourceClass) -> ListClass {
    match c {
        SourceClass::EntityList => ListClass::EntityList,
        SourceClass::MilitaryEndUser => ListClass::MilitaryEndUser,
        SourceClass::Unverified => ListClass::Unverified,
        SourceClass::DeniedPersons => ListClass::DeniedPersons,
        SourceClass::Sdn => ListClass::Sdn,
        _ => ListClass::Other,
    }
}

fn milli(x: f64) -> u32 {
    // The matcher's score in [0, 1] to thousandths, for the record; the match itself was decided by
    // the matcher (`is_match`).
    let v = (x.clamp(0.0, 1.0) * 1000.0).round();
    if v >= 1000.0 {
        1000
    } else if v <= 0.0 {
        0
    } else {
        v as u32
    }
}

/// The latest list versions loaded into a screener.
pub struct LoadedLists {
    screener: Screener,
    /// Descriptions of the versions used.
    pub names: Vec<String>,
    cfg: MatchConfig,
}

impl LoadedLists {
    /// Loads the latest version of each list in `dir`; `None` when nothing is imported.
    pub fn load(dir: &Path) -> Result<Option<LoadedLists>, ListStoreError> {
        let st = Store::new(dir);
        let (versions, names) = st.latest()?;
        if versions.is_empty() {
            return Ok(None);
        }
        let cfg = MatchConfig::default();
        Ok(Some(LoadedLists {
            screener: Screener::new(&versions, cfg),
            names,
            cfg,
        }))
    }

    /// The screener (for name queries).
    pub fn screener(&self) -> &Screener {
        &self.screener
    }

    /// The list entry a hit is on.
    pub fn entry_of(&self, h: &Hit) -> Option<&Entry> {
        self.screener.entries().get(h.entry_index)
    }

    /// Screens one query: every hit with the reviewer's disposition in force for it, if any.
    pub fn screen_query<'d>(
        &self,
        q: &Query,
        disps: &'d [DispositionRecord],
    ) -> Vec<(Hit, Option<&'d DispositionRecord>)> {
        let pn = normalize(&q.name);
        self.screener
            .screen(q)
            .into_iter()
            .map(|h| {
                let d = self
                    .entry_of(&h)
                    .and_then(|e| disposition_for(disps, &pn, e));
                (h, d)
            })
            .collect()
    }

    /// Screens a request's parties: the context the core decides with, with the reviewers'
    /// dispositions `disps` applied.
    pub fn screen(&self, parties: &[Party], disps: &[DispositionRecord]) -> Screening {
        let mut hits = Vec::new();
        for p in parties {
            let mut q = Query::name(p.name.clone());
            if let Some(c) = p.country {
                q = q.with_country(c.as_str());
            }
            for (h, d) in self.screen_query(&q, disps) {
                hits.push(to_core_hit(p.role, &p.name, &h, d));
            }
        }
        Screening {
            status: ScreeningStatus::Performed {
                lists: self.names.clone(),
                match_threshold_milli: milli(self.cfg.match_threshold),
                review_threshold_milli: milli(self.cfg.review_threshold),
                parties: parties.len(),
            },
            hits,
        }
    }
}

/// Screens a request's parties against the store in `dir` with the dispositions `disps` (not
/// performed when nothing is imported).
pub fn screen_parties(
    dir: &Path,
    parties: &[Party],
    disps: &[DispositionRecord],
) -> Result<Screening, ListStoreError> {
    Ok(match LoadedLists::load(dir)? {
        Some(l) => l.screen(parties, disps),
        None => Screening {
            status: ScreeningStatus::NotPerformed,
            hits: Vec::new(),
        },
    })
}

fn to_core_hit(
    role: PartyRole,
    party: &str,
    h: &Hit,
    d: Option<&DispositionRecord>,
) -> ScreeningHit {
    let disposition = d.map(|d| match d.disposition {
        DispositionKind::TrueMatch => Disposition::TrueMatch,
        DispositionKind::FalsePositive => Disposition::FalsePositive,
    });
    ScreeningHit {
        role,
        party: party.to_string(),
        source: h.source.clone(),
        class: class(&h.source_class),
        entity_number: h.entity_number.clone(),
        entry_name: h.entry_name.clone(),
        matched_name: h.matched_name.clone(),
        score_milli: milli(h.score),
        is_match: h.is_match,
        license_requirement: h.license_requirement.clone(),
        license_policy: h.license_policy.clone(),
        federal_register_notice: h.federal_register_notice.clone(),
        disposition,
    }
}
