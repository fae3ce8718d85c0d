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
    /// The list to import has no entries (a header-only file would switch screening off).
    #[error("the list has no entries: importing it would screen every party against nothing; nothing was imported (give `--allow-empty` to import it anyway)")]
    Empty,
    /// The list to import has more distinct entries than the store accepts.
    #[error("the list has {entries} distinct entries, more than the limit of {limit}; nothing was imported")]
    TooLarge {
        /// Distinct entries in the file.
        entries: usize,
        /// [`MAX_LIST_ENTRIES`].
        limit: usize,
    },
    /// The list to import has fewer than half the entries of the latest version of the same list
    /// (refused by `chipcap lists update` unless `--allow-shrink`).
    #[error("the list has {entries} entries against {previous} in {previous_version}: it shrank by more than half, which looks like a truncated or partial file; nothing was imported (give `--allow-shrink` to import it anyway)")]
    Shrank {
        /// Distinct entries in the new list.
        entries: usize,
        /// Entries of the latest version of the same list.
        previous: usize,
        /// That version, described.
        previous_version: String,
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
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = DispositionRecordDoc))]
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

/// The most distinct entries one list version may have (the published lists have some 20,000;
/// docs/screening.md).
pub const MAX_LIST_ENTRIES: usize = 200_000;

/// A list version in use is said to have shrunk sharply when it has fewer than this share (percent)
/// of the entries of the version of the same list before it.
pub const SHRINK_WARN_PERCENT: usize = 50;

/// Writes a file through a synced temporary (named uniquely: two writers never share one) and a
/// rename, so readers never see half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ListStoreError> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(&tmp, e))?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(path, e));
    }
    Ok(())
}

/// The versions in use, their descriptions, and warnings about them.
pub type LatestLists = (Vec<ListVersion>, Vec<String>, Vec<String>);

/// What [`Store::import`] did.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The new version's index entry.
    pub meta: VersionMeta,
    /// Entries dropped as identical to an earlier one in the file.
    pub duplicates: usize,
    /// A warning when the new version is much smaller than the previous version of its list.
    pub warning: Option<String>,
}

/// The warning for a version of `now` entries following one of `before` entries, if it shrank
/// sharply (to less than [`SHRINK_WARN_PERCENT`] percent).
pub fn shrink_warning(new: &VersionMeta, previous: &VersionMeta) -> Option<String> {
    let shrank =
        new.entries.saturating_mul(100) < previous.entries.saturating_mul(SHRINK_WARN_PERCENT);
    shrank.then(|| {
        format!(
            "The restricted-party list in use, {}, has {} entries against {} in the version before it ({}): it shrank by more than half, so parties listed before may no longer be found; check that the import was complete.",
            describe(new),
            new.entries,
            previous.entries,
            describe(previous)
        )
    })
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
        let (versions, names, _) = self.latest_with_warnings()?;
        Ok((versions, names))
    }

    /// As [`Store::latest`], with a warning for each version in use that shrank sharply against
    /// the version of the same list before it.
    pub fn latest_with_warnings(&self) -> Result<LatestLists, ListStoreError> {
        let idx = self.index()?;
        let mut latest: BTreeMap<String, (&VersionMeta, Option<&VersionMeta>)> = BTreeMap::new();
        for v in &idx.versions {
            let k = format!("{:?}", v.format);
            let prev = latest.get(&k).map(|(l, _)| *l);
            latest.insert(k, (v, prev));
        }
        let mut versions = Vec::new();
        let mut names = Vec::new();
        let mut warnings = Vec::new();
        for (v, prev) in latest.values() {
            versions.push(self.load(v.number)?);
            names.push(describe(v));
            if let Some(w) = prev.and_then(|p| shrink_warning(v, p)) {
                warnings.push(w);
            }
        }
        Ok((versions, names, warnings))
    }

    /// Imports `version` as the next version number: identical entries are dropped, an empty list
    /// is refused unless `allow_empty`, a list of more than [`MAX_LIST_ENTRIES`] distinct entries is
    /// refused. Holds the store's lock (`.lock` in the folder) from reading the index to writing it,
    /// so concurrent imports (processes included) each get their own number; every file is written
    /// atomically (the version file before the index that names it).
    pub fn import(
        &self,
        version: ListVersion,
        allow_empty: bool,
        imported_at: String,
    ) -> Result<Imported, ListStoreError> {
        self.import_with(version, allow_empty, true, imported_at)
    }

    /// As [`Store::import`]; unless `allow_shrink`, a list that shrank by more than half against
    /// the latest version of the same list (the rule of [`shrink_warning`]) is refused with
    /// [`ListStoreError::Shrank`], decided under the store's lock.
    pub fn import_with(
        &self,
        mut version: ListVersion,
        allow_empty: bool,
        allow_shrink: bool,
        imported_at: String,
    ) -> Result<Imported, ListStoreError> {
        let duplicates = version.dedup();
        if version.entries.is_empty() && !allow_empty {
            return Err(ListStoreError::Empty);
        }
        if version.entries.len() > MAX_LIST_ENTRIES {
            return Err(ListStoreError::TooLarge {
                entries: version.entries.len(),
                limit: MAX_LIST_ENTRIES,
            });
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, e))?;
        let lock_path = self.dir.join(".lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io(&lock_path, e))?;
        lock.lock().map_err(|e| io(&lock_path, e))?;
        let mut idx = self.index()?;
        if !allow_shrink {
            if let Some(p) = idx
                .versions
                .iter()
                .rev()
                .find(|v| v.format == version.format)
            {
                if version.entries.len().saturating_mul(100)
                    < p.entries.saturating_mul(SHRINK_WARN_PERCENT)
                {
                    return Err(ListStoreError::Shrank {
                        entries: version.entries.len(),
                        previous: p.entries,
                        previous_version: describe(p),
                    });
                }
            }
        }
        let number = idx.versions.iter().map(|v| v.number).max().unwrap_or(0) + 1;
        let bytes = serde_json::to_vec(&version).map_err(|e| ListStoreError::Damaged {
            path: format!("v{number}.json"),
            message: e.to_string(),
        })?;
        write_atomic(&self.dir.join(format!("v{number}.json")), &bytes)?;
        let meta = VersionMeta {
            number,
            format: version.format,
            label: version.label.clone(),
            date: version.date.map(|d| d.to_string()),
            imported_at,
            entries: version.entries.len(),
            names: version.name_count(),
        };
        let warning = idx
            .versions
            .iter()
            .rev()
            .find(|v| v.format == meta.format)
            .and_then(|p| shrink_warning(&meta, p));
        idx.versions.push(meta.clone());
        let index_bytes = serde_json::to_vec_pretty(&idx).map_err(|e| ListStoreError::Damaged {
            path: "index.json".into(),
            message: e.to_string(),
        })?;
        write_atomic(&self.dir.join("index.json"), &index_bytes)?;
        // The lock is released when `lock` is dropped (and by the OS if the process dies).
        drop(lock);
        Ok(Imported {
            meta,
            duplicates,
            warning,
        })
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
    /// Warnings about the versions used (one that shrank sharply against the one before it),
    /// carried into every screening and determination.
    pub warnings: Vec<String>,
    cfg: MatchConfig,
}

impl LoadedLists {
    /// Loads the latest version of each list in `dir`; `None` when nothing is imported.
    pub fn load(dir: &Path) -> Result<Option<LoadedLists>, ListStoreError> {
        let st = Store::new(dir);
        let (versions, names, warnings) = st.latest_with_warnings()?;
        if versions.is_empty() {
            return Ok(None);
        }
        let cfg = MatchConfig::default();
        Ok(Some(LoadedLists {
            screener: Screener::new(&versions, cfg),
            names,
            warnings,
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
            warnings: self.warnings.clone(),
        }
    }
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

/// The parties the ledger knows: party records (with their headquarters country), and the
/// consignees of licences and shipments (with the destination).
pub fn ledger_parties(entries: &[chipcap_ledger::entry::Entry]) -> Vec<Query> {
    use chipcap_ledger::entry::Body;
    let mut out = Vec::new();
    for e in entries {
        let (name, country) = match &e.body {
            Body::Party(p) => (&p.name, p.headquarters.as_str()),
            Body::LicenceGrant(l) => (&l.consignee, l.destination.as_str()),
            Body::Shipment(s) => (&s.consignee, s.destination.as_str()),
            _ => continue,
        };
        out.push(Query::name(name.clone()).with_country(country));
    }
    out
}

/// The parties to re-screen: those of the ledger `entries` and of the dispositions, each once (by
/// normalised name, first spelling kept), then `more`.
pub fn parties_to_rescreen(
    entries: &[chipcap_ledger::entry::Entry],
    disps: &[DispositionRecord],
    more: Vec<Query>,
) -> Vec<Query> {
    let mut queries = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for q in ledger_parties(entries) {
        if seen.insert(normalize(&q.name)) {
            queries.push(q);
        }
    }
    for d in disps {
        if seen.insert(d.party_normalized.clone()) {
            queries.push(Query::name(d.party.clone()));
        }
    }
    for q in more {
        if seen.insert(normalize(&q.name)) {
            queries.push(q);
        }
    }
    queries
}

/// One hit in a re-screening report.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HitChange {
    /// The list entry's key.
    pub entry_key: String,
    /// The list, as published.
    pub source: String,
    /// The name or alias that matched.
    pub matched_name: String,
    /// The matcher's score.
    pub score: f64,
    /// Whether the score reaches the match threshold.
    pub is_match: bool,
    /// For a changed entry: the fields that differ between the two versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// The reviewer's disposition in force for the hit (ledger entry id and decision), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<serde_json::Value>,
}

/// A disposition whose list entry changed or left the list since it was decided.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BackForReview {
    /// The list entry's key.
    pub entry_key: String,
    /// `true_match` or `false_positive`.
    pub disposition: String,
    /// The ledger entry's client id.
    pub id: String,
    /// Why it goes back.
    pub why: String,
}

/// What changed for one party between two sets of list versions.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PartyChanges {
    /// The party's name.
    pub party: String,
    /// Hits on entries it did not hit before.
    pub new_hits: Vec<HitChange>,
    /// Hits it no longer has (the entry left the list or no longer matches): cleared.
    pub hits_gone: Vec<HitChange>,
    /// Hits it still has on an entry whose content changed.
    pub changed_entries: Vec<HitChange>,
    /// Dispositions that go back for review.
    pub dispositions_back_for_review: Vec<BackForReview>,
}

fn entry_fields_changed(a: &Entry, b: &Entry) -> Vec<String> {
    let (Ok(serde_json::Value::Object(x)), Ok(serde_json::Value::Object(y))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return Vec::new();
    };
    let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| x.get(*k) != y.get(*k))
        .map(|k| k.to_string())
        .collect()
}

/// Screens `queries` against the `before` and `after` list versions (the latest of each list
/// before and after an update) and reports, per party with a change, the new hits, the hits gone,
/// the hits on entries whose content changed, and the dispositions that go back for review.
pub fn rescreen(
    before: &[ListVersion],
    after: &[ListVersion],
    queries: &[Query],
    disps: &[DispositionRecord],
) -> Vec<PartyChanges> {
    let now = Screener::new(after, MatchConfig::default());
    let then = Screener::new(before, MatchConfig::default());
    let change = |h: &Hit, fields: Vec<String>, d: Option<&DispositionRecord>| HitChange {
        entry_key: h.entry_key.clone(),
        source: h.source.clone(),
        matched_name: h.matched_name.clone(),
        score: h.score,
        is_match: h.is_match,
        fields,
        disposition: d
            .map(|d| serde_json::json!({"id": d.id, "disposition": d.disposition.as_str()})),
    };
    let mut report = Vec::new();
    for q in queries {
        let a: BTreeMap<String, Hit> = then
            .screen(q)
            .into_iter()
            .map(|h| (h.entry_key.clone(), h))
            .collect();
        let b: BTreeMap<String, Hit> = now
            .screen(q)
            .into_iter()
            .map(|h| (h.entry_key.clone(), h))
            .collect();
        let pn = normalize(&q.name);
        let disposition_of = |h: &Hit| {
            now.entries()
                .get(h.entry_index)
                .and_then(|e| disposition_for(disps, &pn, e))
        };
        let new_hits: Vec<HitChange> = b
            .iter()
            .filter(|(k, _)| !a.contains_key(*k))
            .map(|(_, h)| change(h, Vec::new(), disposition_of(h)))
            .collect();
        let hits_gone: Vec<HitChange> = a
            .iter()
            .filter(|(k, _)| !b.contains_key(*k))
            .map(|(_, h)| change(h, Vec::new(), None))
            .collect();
        let changed_entries: Vec<HitChange> = b
            .iter()
            .filter_map(|(k, h)| {
                let old = a.get(k)?;
                let (eo, en) = (
                    then.entries().get(old.entry_index)?,
                    now.entries().get(h.entry_index)?,
                );
                let fields = entry_fields_changed(eo, en);
                (!fields.is_empty()).then(|| change(h, fields, disposition_of(h)))
            })
            .collect();
        let mut back = Vec::new();
        for d in disps.iter().filter(|d| d.party_normalized == pn) {
            // Only the latest disposition of each (party, entry) pair counts.
            let latest = disps
                .iter()
                .rev()
                .find(|x| x.party_normalized == pn && x.entry_key == d.entry_key);
            if latest.map(|x| x.id.as_str()) != Some(d.id.as_str()) {
                continue;
            }
            let current = now.entries().iter().find(|e| e.key == d.entry_key);
            if current.map(fingerprint).as_deref() != Some(d.entry_fingerprint.as_str()) {
                back.push(BackForReview {
                    entry_key: d.entry_key.clone(),
                    disposition: d.disposition.as_str().to_string(),
                    id: d.id.clone(),
                    why: if current.is_some() {
                        "the list entry changed since the disposition".into()
                    } else {
                        "the list entry is no longer on the list".into()
                    },
                });
            }
        }
        if !new_hits.is_empty()
            || !hits_gone.is_empty()
            || !changed_entries.is_empty()
            || !back.is_empty()
        {
            report.push(PartyChanges {
                party: q.name.clone(),
                new_hits,
                hits_gone,
                changed_entries,
                dispositions_back_for_review: back,
            });
        }
    }
    report
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn version(names: &[String]) -> ListVersion {
        let entries = names
            .iter()
            .map(|n| Entry {
                key: n.clone(),
                source: "Entity List (EL) - Bureau of Industry and Security".into(),
                name: n.clone(),
                ..Entry::default()
            })
            .collect();
        ListVersion::new(chipcap_screen::ListFormat::CslCsv, "t.csv", None, entries)
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("Party {i}")).collect()
    }

    /// Regression (issue 12): a header-only list imported as the latest version and switched
    /// screening off.
    #[test]
    fn an_empty_list_is_refused_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let st = Store::new(dir.path());
        assert!(matches!(
            st.import(version(&[]), false, "now".into()),
            Err(ListStoreError::Empty)
        ));
        assert!(st.index().unwrap().versions.is_empty());
        let i = st.import(version(&[]), true, "now".into()).unwrap();
        assert_eq!(i.meta.entries, 0);
    }

    /// Regression (issue 12): one row repeated 820,000 times imported as 820,000 entries.
    #[test]
    fn identical_entries_are_imported_once() {
        let dir = tempfile::tempdir().unwrap();
        let st = Store::new(dir.path());
        let rows = vec!["Same Co".to_string(); 5_000];
        let i = st.import(version(&rows), false, "now".into()).unwrap();
        assert_eq!((i.meta.entries, i.duplicates), (1, 4_999));
    }

    /// Regression (issue 12): the number of entries of a list is bounded.
    #[test]
    fn a_list_past_the_entry_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let st = Store::new(dir.path());
        let e = st
            .import(version(&names(MAX_LIST_ENTRIES + 1)), false, "now".into())
            .unwrap_err();
        assert!(
            matches!(e, ListStoreError::TooLarge { entries, .. } if entries == MAX_LIST_ENTRIES + 1)
        );
        assert!(e.to_string().contains("200000"), "{e}");
        assert!(st.index().unwrap().versions.is_empty());
    }

    /// Regression (issue 12): a version in use that shrank by more than half against the one
    /// before it warns in every screening.
    #[test]
    fn a_list_that_shrank_sharply_warns_in_every_screening() {
        let dir = tempfile::tempdir().unwrap();
        let st = Store::new(dir.path());
        assert!(st
            .import(version(&names(10)), false, "now".into())
            .unwrap()
            .warning
            .is_none());
        // Half is not "more than half".
        assert!(st
            .import(version(&names(5)), false, "now".into())
            .unwrap()
            .warning
            .is_none());
        let i = st.import(version(&names(2)), false, "now".into()).unwrap();
        assert!(i.warning.is_some());
        let l = LoadedLists::load(dir.path()).unwrap().unwrap();
        let s = l.screen(&[], &[]);
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(
            s.warnings[0].contains("has 2 entries against 5"),
            "{:?}",
            s.warnings
        );
    }

    /// Issue 15: `lists update` refuses, under the store's lock, a list that shrank by more than
    /// half against the latest version of the same list (half is not "more than half").
    #[test]
    fn import_with_refuses_a_sharply_shrunk_list_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let st = Store::new(dir.path());
        st.import_with(version(&names(10)), false, false, "now".into())
            .unwrap();
        st.import_with(version(&names(5)), false, false, "now".into())
            .unwrap();
        let e = st
            .import_with(version(&names(2)), false, false, "now".into())
            .unwrap_err();
        assert!(
            matches!(
                e,
                ListStoreError::Shrank {
                    entries: 2,
                    previous: 5,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(st.index().unwrap().versions.len(), 2, "nothing written");
        st.import_with(version(&names(2)), false, true, "now".into())
            .unwrap();
        assert_eq!(st.index().unwrap().versions.len(), 3);
    }

    /// Regression (issue 12): two imports at once both took version 2, or left `index.json` and
    /// `v2.json` disagreeing.
    #[test]
    fn concurrent_imports_each_get_their_own_version() {
        let dir = tempfile::tempdir().unwrap();
        let n = 8;
        std::thread::scope(|s| {
            for t in 0..n {
                let d = dir.path().to_path_buf();
                s.spawn(move || {
                    Store::new(&d)
                        .import(version(&names(t + 1)), false, "now".into())
                        .unwrap()
                });
            }
        });
        let st = Store::new(dir.path());
        let idx = st.index().unwrap();
        let mut numbers: Vec<u32> = idx.versions.iter().map(|v| v.number).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=8).collect::<Vec<u32>>());
        for v in &idx.versions {
            assert_eq!(st.load(v.number).unwrap().entries.len(), v.entries);
        }
        let mut sizes: Vec<usize> = idx.versions.iter().map(|v| v.entries).collect();
        sizes.sort_unstable();
        assert_eq!(sizes, (1..=8).collect::<Vec<usize>>());
    }
}
