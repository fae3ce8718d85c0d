//! The restricted-party list store shared by the CLI and the server: dated versions kept side by side
//! in a folder (`index.json`, `v<N>.json`), reviewers' dispositions tied to a fingerprint of the entry
//! (so a changed entry goes back for review), and the screening of a request's parties into the
//! context the core decides with. IO lives here, at the edge; the matcher is `chipcap-screen`.

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

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct DispositionRecord {
    /// Party name as screened.
    pub party: String,
    /// Its normalised form (the lookup key).
    pub party_normalized: String,
    /// List entry key.
    pub entry_key: String,
    /// Fingerprint of the entry when decided.
    pub entry_fingerprint: String,
    /// The decision.
    pub disposition: DispositionKind,
    /// Who.
    pub by: String,
    /// Why.
    pub why: String,
    /// When.
    pub at: String,
}

/// A reviewer's decision on a hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispositionKind {
    /// The party is the listed entity.
    TrueMatch,
    /// The party is not the listed entity.
    FalsePositive,
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

    /// Reviewers' dispositions, oldest first.
    pub fn dispositions(&self) -> Result<Vec<DispositionRecord>, ListStoreError> {
        let p = self.dir.join("dispositions.json");
        if !p.exists() {
            return Ok(Vec::new());
        }
        let text = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
        serde_json::from_str(&text).map_err(|e| damaged(&p, e))
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

/// The latest list versions loaded into a screener, with the dispositions that apply.
pub struct LoadedLists {
    screener: Screener,
    /// Descriptions of the versions used.
    pub names: Vec<String>,
    disps: Vec<DispositionRecord>,
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
            disps: st.dispositions()?,
            cfg,
        }))
    }

    /// The screener (for name queries).
    pub fn screener(&self) -> &Screener {
        &self.screener
    }

    /// Screens a request's parties: the context the core decides with.
    pub fn screen(&self, parties: &[Party]) -> Screening {
        let mut hits = Vec::new();
        for p in parties {
            let mut q = Query::name(p.name.clone());
            if let Some(c) = p.country {
                q = q.with_country(c.as_str());
            }
            for h in self.screener.screen(&q) {
                hits.push(to_core_hit(
                    p.role,
                    &p.name,
                    &h,
                    self.screener.entries().get(h.entry_index),
                    &self.disps,
                ));
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

/// Screens a request's parties against the store in `dir` (not performed when nothing is imported).
pub fn screen_parties(dir: &Path, parties: &[Party]) -> Result<Screening, ListStoreError> {
    Ok(match LoadedLists::load(dir)? {
        Some(l) => l.screen(parties),
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
    entry: Option<&Entry>,
    disps: &[DispositionRecord],
) -> ScreeningHit {
    let pn = normalize(party);
    let fp = entry.map(fingerprint).unwrap_or_default();
    let disposition = disps
        .iter()
        .rev()
        .find(|d| {
            d.party_normalized == pn && d.entry_key == h.entry_key && d.entry_fingerprint == fp
        })
        .map(|d| match d.disposition {
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
