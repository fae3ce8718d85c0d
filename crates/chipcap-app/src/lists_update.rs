//! `chipcap lists update` and the server's scheduled update: fetch the published lists from their
//! official locations (or the URLs of `lists.toml` in the store folder, or `--url`), with
//! conditional requests (`If-None-Match`, `If-Modified-Since`) so that an unchanged list is not
//! downloaded or imported again; refuse a file that fails to parse, is empty or shrank by more than
//! half; import the rest through [`Store::import_with`] (locked, atomic) as a new dated version.
//!
//! The validators (ETag, Last-Modified) and the content hash of what each source last served are
//! kept in `update-state.json` beside `index.json`, written atomically while `.update.lock` is held
//! (so updates from the CLI and the server never interleave). They are honoured only while the
//! version they produced is still the latest of its list: after a hand import the next update
//! fetches in full.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chipcap_screen::{
    parse_bis_dpl, parse_csl_csv, parse_csl_json, parse_ofac_sdn, ListDate, ListFormat, ListVersion,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::lists::{describe, write_atomic, ListStoreError, Store, VersionMeta};

/// The Consolidated Screening List, CSV (trade.gov).
pub const CSL_CSV_URL: &str =
    "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv";
/// The Consolidated Screening List, JSON (trade.gov).
pub const CSL_JSON_URL: &str =
    "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.json";
/// OFAC's SDN list, legacy CSV (primary names).
pub const OFAC_SDN_URL: &str = "https://www.treasury.gov/ofac/downloads/sdn.csv";
/// OFAC's SDN alternate names.
pub const OFAC_ALT_URL: &str = "https://www.treasury.gov/ofac/downloads/alt.csv";
/// OFAC's SDN addresses.
pub const OFAC_ADD_URL: &str = "https://www.treasury.gov/ofac/downloads/add.csv";
/// The BIS Denied Persons List (tab-separated text).
pub const BIS_DPL_URL: &str = "https://www.bis.doc.gov/dpl/dpl.txt";

/// The largest file accepted from a list's location (the CSL CSV is some 20 MB).
pub const MAX_DOWNLOAD_BYTES: u64 = 512 * 1024 * 1024;

/// A published list that `chipcap lists update` can fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The Consolidated Screening List as CSV (`csl`).
    Csl,
    /// The Consolidated Screening List as JSON (`csl-json`).
    CslJson,
    /// OFAC's SDN CSV files (`ofac-sdn`): `sdn.csv`, `alt.csv`, `add.csv`.
    OfacSdn,
    /// BIS's Denied Persons List (`bis-dpl`).
    BisDpl,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 4] = [
        Source::Csl,
        Source::CslJson,
        Source::OfacSdn,
        Source::BisDpl,
    ];

    /// The source's name in `lists.toml` and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Source::Csl => "csl",
            Source::CslJson => "csl-json",
            Source::OfacSdn => "ofac-sdn",
            Source::BisDpl => "bis-dpl",
        }
    }

    /// The source named `s`.
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.name() == s.trim())
    }

    /// The list format its files are imported as.
    pub fn format(self) -> ListFormat {
        match self {
            Source::Csl => ListFormat::CslCsv,
            Source::CslJson => ListFormat::CslJson,
            Source::OfacSdn => ListFormat::OfacSdnCsv,
            Source::BisDpl => ListFormat::BisDplTxt,
        }
    }

    /// The official locations.
    pub fn default_urls(self) -> SourceUrls {
        let one = |u: &str| SourceUrls {
            url: u.to_string(),
            alt_url: None,
            add_url: None,
        };
        match self {
            Source::Csl => one(CSL_CSV_URL),
            Source::CslJson => one(CSL_JSON_URL),
            Source::BisDpl => one(BIS_DPL_URL),
            Source::OfacSdn => SourceUrls {
                url: OFAC_SDN_URL.into(),
                alt_url: Some(OFAC_ALT_URL.into()),
                add_url: Some(OFAC_ADD_URL.into()),
            },
        }
    }
}

/// Where a source's files are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceUrls {
    /// The list file.
    pub url: String,
    /// OFAC `alt.csv` (ofac-sdn only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_url: Option<String>,
    /// OFAC `add.csv` (ofac-sdn only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_url: Option<String>,
}

impl SourceUrls {
    /// Every file, the list file first.
    fn files(&self) -> Vec<&str> {
        let mut v = vec![self.url.as_str()];
        v.extend(self.alt_url.as_deref());
        v.extend(self.add_url.as_deref());
        v
    }

    /// `url` for an ofac-sdn source given by its `sdn.csv` alone: `alt.csv` and `add.csv` beside it.
    pub fn beside(source: Source, url: &str) -> SourceUrls {
        let sibling = |name: &str| match url.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{name}"),
            None => name.to_string(),
        };
        match source {
            Source::OfacSdn => SourceUrls {
                url: url.to_string(),
                alt_url: Some(sibling("alt.csv")),
                add_url: Some(sibling("add.csv")),
            },
            _ => SourceUrls {
                url: url.to_string(),
                alt_url: None,
                add_url: None,
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    update: Option<Vec<String>>,
    #[serde(default)]
    sources: BTreeMap<String, SourceConfigFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceConfigFile {
    url: Option<String>,
    alt_url: Option<String>,
    add_url: Option<String>,
}

/// The update configuration: which sources `chipcap lists update` fetches when none is named, and
/// where each is. Read from `lists.toml` in the store folder; the official locations when absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateConfig {
    /// The sources updated by default (`update = ["csl"]`).
    pub update: Vec<Source>,
    /// Where each source is.
    pub urls: BTreeMap<Source, SourceUrls>,
}

impl Default for UpdateConfig {
    fn default() -> Self {
        UpdateConfig {
            update: vec![Source::Csl],
            urls: Source::ALL
                .into_iter()
                .map(|s| (s, s.default_urls()))
                .collect(),
        }
    }
}

/// The configuration file's name in the store folder.
pub const CONFIG_FILE: &str = "lists.toml";
/// The update state's file name in the store folder.
pub const STATE_FILE: &str = "update-state.json";

impl UpdateConfig {
    /// `lists.toml` in `dir`, or the defaults when there is none.
    pub fn load(dir: &Path) -> Result<UpdateConfig, UpdateError> {
        let p = dir.join(CONFIG_FILE);
        if !p.exists() {
            return Ok(UpdateConfig::default());
        }
        let text = std::fs::read_to_string(&p).map_err(|e| UpdateError::Config {
            path: p.display().to_string(),
            message: e.to_string(),
        })?;
        UpdateConfig::parse(&text).map_err(|message| UpdateError::Config {
            path: p.display().to_string(),
            message,
        })
    }

    /// Reads the text of a `lists.toml`.
    pub fn parse(text: &str) -> Result<UpdateConfig, String> {
        let f: ConfigFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut cfg = UpdateConfig::default();
        let source = |name: &str, field: &str| {
            Source::parse(name).ok_or_else(|| {
                format!(
                    "{field} `{name}` is not a list source (csl, csl-json, ofac-sdn or bis-dpl)"
                )
            })
        };
        if let Some(u) = f.update {
            cfg.update = u
                .iter()
                .map(|n| source(n, "`update` names"))
                .collect::<Result<_, _>>()?;
        }
        for (name, s) in f.sources {
            let src = source(&name, "table `sources`")?;
            let mut urls = cfg.urls.get(&src).cloned().unwrap_or(src.default_urls());
            if let Some(u) = s.url {
                urls = SourceUrls::beside(src, &u);
            }
            if s.alt_url.is_some() || s.add_url.is_some() {
                if src != Source::OfacSdn {
                    return Err(format!(
                        "`sources.{name}`: `alt_url` and `add_url` belong to `ofac-sdn` only"
                    ));
                }
                if let Some(a) = s.alt_url {
                    urls.alt_url = Some(a);
                }
                if let Some(a) = s.add_url {
                    urls.add_url = Some(a);
                }
            }
            cfg.urls.insert(src, urls);
        }
        Ok(cfg)
    }

    /// Where `source` is.
    pub fn urls(&self, source: Source) -> SourceUrls {
        self.urls
            .get(&source)
            .cloned()
            .unwrap_or_else(|| source.default_urls())
    }
}

/// Why an update of a list failed or was refused.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// `lists.toml` cannot be read.
    #[error("list update configuration `{path}`: {message}")]
    Config {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The list's location could not be reached or read.
    #[error("cannot fetch `{url}`: {message}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        message: String,
    },
    /// The list's location answered with an error status.
    #[error("`{url}` answered HTTP {status}; nothing was imported")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The file is not a list of its format.
    #[error("`{url}` is not a valid {format} list: {message}; nothing was imported")]
    Parse {
        /// The URL.
        url: String,
        /// The format's name.
        format: &'static str,
        /// The parser's message (naming the line).
        message: String,
    },
    /// The store refused the list (empty, too large, shrank) or could not be written.
    #[error("`{url}`: {source}")]
    Store {
        /// The URL.
        url: String,
        /// Why.
        source: ListStoreError,
    },
}

impl UpdateError {
    /// Whether the failure is the file's or the configuration's (something the user must look at:
    /// the CLI exits 2), not the network's or the disk's.
    pub fn is_refusal(&self) -> bool {
        match self {
            UpdateError::Config { .. } | UpdateError::Parse { .. } => true,
            UpdateError::Store { source, .. } => matches!(
                source,
                ListStoreError::Empty
                    | ListStoreError::TooLarge { .. }
                    | ListStoreError::Shrank { .. }
            ),
            UpdateError::Fetch { .. } | UpdateError::Status { .. } => false,
        }
    }
}

/// The validators a location sent with a file.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Last-Modified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// What the last update of one source saw (`update-state.json`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceState {
    /// The validators of each file, by URL.
    pub files: BTreeMap<String, Validators>,
    /// SHA-256 of the files' content (length-prefixed, in order).
    pub sha256: String,
    /// The store version imported from that content.
    pub version: u32,
    /// When the source was last checked (RFC 3339).
    pub checked_at: String,
}

/// `update-state.json`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateState {
    /// By source name.
    pub sources: BTreeMap<String, SourceState>,
}

/// How to update.
#[derive(Clone, Debug)]
pub struct UpdateOptions {
    /// Publication date given to an imported version (default: today).
    pub date: ListDate,
    /// Import a list that shrank by more than half.
    pub allow_shrink: bool,
    /// When (RFC 3339), for the index.
    pub imported_at: String,
    /// Longest time one download may take.
    pub timeout: Duration,
}

/// Entries added, removed and changed by an imported version against the one before it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ListChanges {
    /// The version before, described (none for a first import).
    pub previous: Option<String>,
    /// Entries only in the new version.
    pub added: usize,
    /// Entries only in the version before.
    pub removed: usize,
    /// Entries in both whose content differs.
    pub changed: usize,
    /// Entries identical in both.
    pub unchanged: usize,
}

/// What an update did with one source.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The location answered 304 Not Modified: nothing downloaded or imported.
    NotModified,
    /// The file downloaded is the one the latest version was imported from: not imported again.
    SameContent,
    /// Imported as a new version.
    Imported {
        /// The new version, described.
        version: String,
        /// Its number.
        number: u32,
        /// Its entries.
        entries: usize,
        /// Entries dropped as identical to an earlier one in the file.
        duplicates: usize,
        /// Against the version before it.
        changes: ListChanges,
    },
}

/// One source's update.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SourceReport {
    /// The source's name.
    pub source: String,
    /// Its list file's URL.
    pub url: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
}

enum Fetched {
    NotModified,
    Body(Vec<u8>, Validators),
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(concat!(
            "chipcap/",
            env!("CARGO_PKG_VERSION"),
            " (lists update)"
        ))
        .build()
        .into()
}

fn fetch(
    agent: &ureq::Agent,
    url: &str,
    known: Option<&Validators>,
) -> Result<Fetched, UpdateError> {
    let err = |message: String| UpdateError::Fetch {
        url: url.to_string(),
        message,
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(err(
            "only http:// and https:// locations are supported".into()
        ));
    }
    let mut req = agent.get(url);
    if let Some(v) = known {
        if let Some(e) = &v.etag {
            req = req.header("If-None-Match", e);
        }
        if let Some(m) = &v.last_modified {
            req = req.header("If-Modified-Since", m);
        }
    }
    let mut resp = req.call().map_err(|e| err(e.to_string()))?;
    let status = resp.status().as_u16();
    if status == 304 {
        return Ok(Fetched::NotModified);
    }
    if !(200..300).contains(&status) {
        return Err(UpdateError::Status {
            url: url.to_string(),
            status,
        });
    }
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let validators = Validators {
        etag: header("etag"),
        last_modified: header("last-modified"),
    };
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(MAX_DOWNLOAD_BYTES)
        .read_to_vec()
        .map_err(|e| err(format!("reading the body: {e}")))?;
    Ok(Fetched::Body(bytes, validators))
}

fn content_hash(files: &[(String, Vec<u8>)]) -> String {
    let mut h = Sha256::new();
    for (_, b) in files {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn parse(
    source: Source,
    urls: &SourceUrls,
    files: &[(String, Vec<u8>)],
) -> Result<Vec<chipcap_screen::Entry>, UpdateError> {
    let body = |u: &str| {
        files
            .iter()
            .find(|(x, _)| x == u)
            .map(|(_, b)| b.as_slice())
    };
    let main = body(&urls.url).unwrap_or_default();
    let parsed = match source {
        Source::Csl => parse_csl_csv(main),
        Source::CslJson => parse_csl_json(main),
        Source::BisDpl => parse_bis_dpl(main),
        Source::OfacSdn => parse_ofac_sdn(
            main,
            urls.alt_url.as_deref().and_then(body),
            urls.add_url.as_deref().and_then(body),
        ),
    };
    parsed.map_err(|e| UpdateError::Parse {
        url: urls.url.clone(),
        format: crate::lists::format_name(source.format()),
        message: e.to_string(),
    })
}

/// Holds `.update.lock` in the store folder (released on drop, or by the OS if the process dies).
struct UpdateLock(#[allow(dead_code)] std::fs::File);

fn lock(dir: &Path) -> Result<UpdateLock, ListStoreError> {
    let io = |p: &Path, source: std::io::Error| ListStoreError::Io {
        path: p.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let p = dir.join(".update.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .map_err(|e| io(&p, e))?;
    f.lock().map_err(|e| io(&p, e))?;
    Ok(UpdateLock(f))
}

/// The update state in `dir` (empty when there is none).
pub fn read_state(dir: &Path) -> Result<UpdateState, ListStoreError> {
    let p = dir.join(STATE_FILE);
    if !p.exists() {
        return Ok(UpdateState::default());
    }
    let text = std::fs::read(&p).map_err(|e| ListStoreError::Io {
        path: p.display().to_string(),
        source: e,
    })?;
    serde_json::from_slice(&text).map_err(|e| ListStoreError::Damaged {
        path: p.display().to_string(),
        message: e.to_string(),
    })
}

fn write_state(dir: &Path, state: &UpdateState) -> Result<(), ListStoreError> {
    let bytes = serde_json::to_vec_pretty(state).map_err(|e| ListStoreError::Damaged {
        path: STATE_FILE.into(),
        message: e.to_string(),
    })?;
    write_atomic(&dir.join(STATE_FILE), &bytes)
}

/// Updates one source in the store at `dir` from `urls`.
pub fn update_source(
    dir: &Path,
    source: Source,
    urls: &SourceUrls,
    opts: &UpdateOptions,
) -> Result<SourceReport, UpdateError> {
    let store_err = |source: ListStoreError| UpdateError::Store {
        url: urls.url.clone(),
        source,
    };
    let _lock = lock(dir).map_err(store_err)?;
    let store = Store::new(dir);
    let mut state = read_state(dir).map_err(store_err)?;
    let idx = store.index().map_err(store_err)?;
    let latest: Option<&VersionMeta> = idx
        .versions
        .iter()
        .rev()
        .find(|v| v.format == source.format());
    // What the last update saw counts only while its version is still the latest of the list.
    let known = state
        .sources
        .get(source.name())
        .filter(|s| latest.map(|l| l.number) == Some(s.version))
        .cloned();
    let report = |outcome| SourceReport {
        source: source.name().to_string(),
        url: urls.url.clone(),
        outcome,
    };
    let agent = agent(opts.timeout);
    let mut files: Vec<(String, Option<Vec<u8>>, Validators)> = Vec::new();
    for u in urls.files() {
        let v = known.as_ref().and_then(|k| k.files.get(u));
        match fetch(&agent, u, v)? {
            Fetched::NotModified => {
                files.push((u.to_string(), None, v.cloned().unwrap_or_default()))
            }
            Fetched::Body(b, v) => files.push((u.to_string(), Some(b), v)),
        }
    }
    let validators: BTreeMap<String, Validators> = files
        .iter()
        .map(|(u, _, v)| (u.clone(), v.clone()))
        .collect();
    if files.iter().all(|(_, b, _)| b.is_none()) {
        if let Some(mut k) = known {
            k.checked_at = opts.imported_at.clone();
            state.sources.insert(source.name().into(), k);
            write_state(dir, &state).map_err(store_err)?;
        }
        return Ok(report(Outcome::NotModified));
    }
    // A file of several that did not change is fetched again in full: the list is parsed whole.
    let mut bodies = Vec::new();
    for (u, b, _) in files {
        let b = match b {
            Some(b) => b,
            None => match fetch(&agent, &u, None)? {
                Fetched::Body(b, _) => b,
                Fetched::NotModified => {
                    return Err(UpdateError::Fetch {
                        url: u,
                        message: "answered 304 Not Modified to an unconditional request".into(),
                    })
                }
            },
        };
        bodies.push((u, b));
    }
    let sha = content_hash(&bodies);
    if let Some(k) = known.as_ref().filter(|k| k.sha256 == sha) {
        let mut k = k.clone();
        k.files = validators;
        k.checked_at = opts.imported_at.clone();
        state.sources.insert(source.name().into(), k);
        write_state(dir, &state).map_err(store_err)?;
        return Ok(report(Outcome::SameContent));
    }
    let entries = parse(source, urls, &bodies)?;
    let version = ListVersion::new(source.format(), urls.url.clone(), Some(opts.date), entries);
    let previous = latest
        .map(|l| store.load(l.number))
        .transpose()
        .map_err(store_err)?;
    let imported = store
        .import_with(version, false, opts.allow_shrink, opts.imported_at.clone())
        .map_err(store_err)?;
    let changes = match &previous {
        Some(p) => {
            let now = store.load(imported.meta.number).map_err(store_err)?;
            let d = p.diff(&now);
            ListChanges {
                previous: latest.map(describe),
                added: d.added.len(),
                removed: d.removed.len(),
                changed: d.changed.len(),
                unchanged: d.unchanged,
            }
        }
        None => ListChanges {
            added: imported.meta.entries,
            ..ListChanges::default()
        },
    };
    state.sources.insert(
        source.name().into(),
        SourceState {
            files: validators,
            sha256: sha,
            version: imported.meta.number,
            checked_at: opts.imported_at.clone(),
        },
    );
    write_state(dir, &state).map_err(store_err)?;
    Ok(report(Outcome::Imported {
        version: describe(&imported.meta),
        number: imported.meta.number,
        entries: imported.meta.entries,
        duplicates: imported.duplicates,
        changes,
    }))
}

/// A whole update: each source's report or error, and the latest versions of every list before
/// and after (for re-screening; both empty when nothing was imported).
pub struct UpdateRun {
    /// By source, in the order given.
    pub sources: Vec<(Source, Result<SourceReport, UpdateError>)>,
    /// The latest version of each list before the update.
    pub before: Vec<ListVersion>,
    /// The latest version of each list after the update.
    pub after: Vec<ListVersion>,
    /// Descriptions of the versions in `after`.
    pub lists: Vec<String>,
}

impl UpdateRun {
    /// Whether some source was imported.
    pub fn imported(&self) -> bool {
        self.sources.iter().any(|(_, r)| {
            matches!(
                r,
                Ok(SourceReport {
                    outcome: Outcome::Imported { .. },
                    ..
                })
            )
        })
    }
}

/// Updates each of `sources` (with its URLs) in the store at `dir`, one after the other; a source
/// that fails leaves the others to proceed.
pub fn update(
    dir: &Path,
    sources: &[(Source, SourceUrls)],
    opts: &UpdateOptions,
) -> Result<UpdateRun, ListStoreError> {
    let store = Store::new(dir);
    let (before, _) = store.latest()?;
    let mut out = Vec::new();
    for (s, urls) in sources {
        out.push((*s, update_source(dir, *s, urls, opts)));
    }
    let mut run = UpdateRun {
        sources: out,
        before: Vec::new(),
        after: Vec::new(),
        lists: Vec::new(),
    };
    if run.imported() {
        let (after, lists) = store.latest()?;
        run.before = before;
        run.after = after;
        run.lists = lists;
    }
    Ok(run)
}

/// The sources of `cfg`'s `update` list with their URLs.
pub fn configured(cfg: &UpdateConfig) -> Vec<(Source, SourceUrls)> {
    cfg.update.iter().map(|s| (*s, cfg.urls(*s))).collect()
}

/// One scheduled update, as the server logs it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Round {
    /// 1 for the first scheduled update.
    pub number: u64,
    /// Sources imported as new versions.
    pub imported: Vec<String>,
    /// Sources unchanged.
    pub unchanged: Vec<String>,
    /// Sources that failed, with why.
    pub failed: Vec<String>,
    /// Parties whose screening changed.
    pub parties_changed: usize,
}

/// The store folder a scheduled update works in, and how often.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// The list store.
    pub dir: PathBuf,
    /// Time between two updates (the first runs one interval after start).
    pub every: Duration,
    /// Longest time one download may take.
    pub timeout: Duration,
}

/// The blocking part of one scheduled update (`chipcap serve --lists-update-every`): the sources
/// of `lists.toml` in the store folder, refused as `chipcap lists update` refuses; the lists to
/// screen with from now on when some source was imported.
pub fn scheduled_update(
    schedule: &Schedule,
) -> Result<(UpdateRun, Option<crate::lists::LoadedLists>), String> {
    let cfg = UpdateConfig::load(&schedule.dir).map_err(|e| e.to_string())?;
    let date = chipcap_screen::ListDate::parse(&crate::clock::today().to_string())
        .map_err(|e| e.to_string())?;
    let opts = UpdateOptions {
        date,
        allow_shrink: false,
        imported_at: crate::clock::now_rfc3339(),
        timeout: schedule.timeout,
    };
    let run = update(&schedule.dir, &configured(&cfg), &opts).map_err(|e| e.to_string())?;
    let loaded = if run.imported() {
        crate::lists::LoadedLists::load(&schedule.dir).map_err(|e| e.to_string())?
    } else {
        None
    };
    Ok((run, loaded))
}

/// The ledger's parties whose screening changed between the versions before and after `run`
/// (`entries`: the ledger's entries, for its parties and dispositions).
pub fn rescreen_ledger(
    run: &UpdateRun,
    entries: &[chipcap_ledger::entry::Entry],
) -> Vec<crate::lists::PartyChanges> {
    let disps = crate::lists::dispositions_from_entries(entries);
    let queries = crate::lists::parties_to_rescreen(entries, &disps, Vec::new());
    crate::lists::rescreen(&run.before, &run.after, &queries, &disps)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn lists_toml_defaults_to_the_official_locations() {
        let c = UpdateConfig::parse("").unwrap();
        assert_eq!(c, UpdateConfig::default());
        assert_eq!(c.update, vec![Source::Csl]);
        assert_eq!(c.urls(Source::Csl).url, CSL_CSV_URL);
        assert_eq!(
            c.urls(Source::OfacSdn).add_url.as_deref(),
            Some(OFAC_ADD_URL)
        );
    }

    #[test]
    fn lists_toml_overrides_locations_and_sources() {
        let c = UpdateConfig::parse(
            "update = [\"ofac-sdn\", \"bis-dpl\"]\n[sources.ofac-sdn]\nurl = \"http://m/ofac/sdn.csv\"\nadd_url = \"http://n/add.csv\"\n",
        )
        .unwrap();
        assert_eq!(c.update, vec![Source::OfacSdn, Source::BisDpl]);
        let u = c.urls(Source::OfacSdn);
        assert_eq!(u.url, "http://m/ofac/sdn.csv");
        assert_eq!(u.alt_url.as_deref(), Some("http://m/ofac/alt.csv"));
        assert_eq!(u.add_url.as_deref(), Some("http://n/add.csv"));
        assert_eq!(c.urls(Source::BisDpl).url, BIS_DPL_URL);
    }

    #[test]
    fn lists_toml_errors_name_the_key() {
        let e =
            UpdateConfig::parse("[sources.csl]\nurl = \"http://x\"\nuri = \"y\"\n").unwrap_err();
        assert!(e.contains("uri"), "{e}");
        let e = UpdateConfig::parse("update = [\"eu\"]\n").unwrap_err();
        assert!(e.contains("`eu`"), "{e}");
        let e = UpdateConfig::parse("[sources.csl]\nalt_url = \"http://x\"\n").unwrap_err();
        assert!(e.contains("ofac-sdn"), "{e}");
    }

    #[test]
    fn only_http_locations_are_fetched() {
        let e = match fetch(&agent(Duration::from_secs(1)), "file:///etc/passwd", None) {
            Err(e) => e,
            Ok(_) => panic!("fetched a file URL"),
        };
        assert!(e.to_string().contains("only http:// and https://"), "{e}");
        assert!(!e.is_refusal());
    }
}
