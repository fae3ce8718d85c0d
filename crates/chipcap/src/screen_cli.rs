//! `chipcap lists ...` and `chipcap screen ...`: the restricted-party list store (dated versions kept
//! side by side), screening of names and files, pairwise scores, reviewer dispositions, and the
//! screening step of `chipcap check`.
//!
//! The store is a folder (`--lists DIR`, `CHIPCAP_LISTS`, default `chipcap-lists`): `index.json` names
//! every imported version; `v<N>.json` holds one parsed version. Reviewers' decisions on hits are
//! recorded in the ledger database (`--db`, `CHIPCAP_DB`, default `chipcap.db`) as `disposition`
//! entries, each tied to a fingerprint of the list entry so that a list update that changes the entry
//! sends the hit back for review.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chipcap_app::lists::{
    describe, disposition_for, dispositions_from_entries, format_name, parties_to_rescreen,
    DispositionKind, DispositionRecord, ListStoreError, LoadedLists, PartyChanges, Store,
};
use chipcap_app::lists_update::{
    self, Outcome, Source, SourceUrls, UpdateConfig, UpdateError, UpdateOptions,
};
use chipcap_screen::{
    normalize, parse_bis_dpl, parse_csl_csv, parse_csl_json, parse_ofac_sdn, Hit, ListDate,
    ListFormat, ListVersion, MatchConfig, Query, Screener,
};
use clap::{Args, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::input_err;

/// Where the list store lives.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// The list store folder (created on first import).
    #[arg(
        long = "lists",
        env = "CHIPCAP_LISTS",
        default_value = "chipcap-lists",
        global = true
    )]
    pub dir: PathBuf,
}

/// The ledger that holds reviewers' dispositions.
#[derive(Args, Clone, Debug)]
pub struct LedgerDbArg {
    /// The ledger holding reviewers' dispositions: an SQLite file (default `chipcap.db`) or
    /// `postgres://user@host:port/db`.
    #[arg(long, env = "CHIPCAP_DB", global = true)]
    pub db: Option<String>,
}

impl LedgerDbArg {
    fn url(&self) -> String {
        self.db
            .clone()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| crate::ledger_cli::DEFAULT_DB.to_string())
    }

    /// Whether the ledger exists (a PostgreSQL URL is taken to; an SQLite file must be there): a
    /// read does not create an empty ledger.
    fn exists(&self) -> bool {
        let u = self.url();
        u.starts_with("postgres://") || u.starts_with("postgresql://") || Path::new(&u).exists()
    }

    /// Opens (and creates, on first use) the ledger.
    pub fn ledger<'r>(
        &self,
        rules: &'r chipcap_core::params::RuleSet,
    ) -> anyhow::Result<chipcap_ledger::Ledger<'r>> {
        Ok(chipcap_ledger::Ledger::new(
            chipcap_ledger::open(&self.url())?,
            rules,
        ))
    }

    /// The dispositions in force (none when the ledger does not exist yet).
    pub fn dispositions(
        &self,
        rules: &chipcap_core::params::RuleSet,
    ) -> anyhow::Result<Vec<DispositionRecord>> {
        if !self.exists() {
            return Ok(Vec::new());
        }
        Ok(dispositions_from_entries(
            &self.ledger(rules)?.dispositions()?,
        ))
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    /// trade.gov Consolidated Screening List CSV (current or legacy layout).
    CslCsv,
    /// trade.gov Consolidated Screening List JSON.
    CslJson,
    /// OFAC SDN legacy CSV (`sdn.csv`, with `--alt alt.csv` and `--add add.csv`).
    OfacSdn,
    /// BIS Denied Persons List text file.
    BisDpl,
}

#[derive(Subcommand, Debug)]
pub enum ListsCommand {
    /// Import a published list as a new dated version (all or nothing; older versions are kept).
    #[command(
        after_help = "Examples:\n  chipcap lists import --format csl-csv --date 2026-11-20 consolidated.csv\n  chipcap lists import --format ofac-sdn --alt alt.csv --add add.csv sdn.csv\n  chipcap lists import --format bis-dpl dpl.txt\n\nDownload the current lists from: trade.gov (Consolidated Screening List, CSV or JSON), the Treasury's OFAC\nSDN page (sdn.csv, alt.csv, add.csv) and bis.gov (Denied Persons List), or let `chipcap lists update` fetch them."
    )]
    Import {
        /// The list file.
        file: PathBuf,
        /// Its format (guessed from the name when omitted).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// OFAC `alt.csv` (with `--format ofac-sdn`).
        #[arg(long)]
        alt: Option<PathBuf>,
        /// OFAC `add.csv` (with `--format ofac-sdn`).
        #[arg(long)]
        add: Option<PathBuf>,
        /// Publication date of the list (YYYY-MM-DD).
        #[arg(long)]
        date: Option<String>,
        /// A label for the version (default: the file name).
        #[arg(long)]
        label: Option<String>,
        /// Import a list with no entries (refused by default: it would screen every party
        /// against nothing).
        #[arg(long)]
        allow_empty: bool,
    },
    /// Fetch the published lists from their official locations (or `lists.toml`, or `--url`) and
    /// import each changed one as a new dated version, then re-screen the parties the ledger knows.
    #[command(
        after_help = "Examples:\n  chipcap lists update\n  chipcap lists update csl ofac-sdn bis-dpl\n  chipcap lists update csl --url http://mirror.internal/consolidated.csv --json\n\nSources: csl (Consolidated Screening List CSV, the default), csl-json, ofac-sdn (sdn.csv, alt.csv, add.csv),\nbis-dpl. Locations and the default sources can be set in `lists.toml` in the list store folder (see\ndocs/screening.md). Unchanged lists (HTTP 304, or the same content) are not imported again. A file that\nfails to parse, is empty or shrank by more than half is refused (exit 2) and nothing is imported."
    )]
    Update {
        /// The sources to update (default: `update` in `lists.toml`, else `csl`).
        #[arg(value_parser = ["csl", "csl-json", "ofac-sdn", "bis-dpl"])]
        sources: Vec<String>,
        /// Fetch the (single) source from this URL instead (for ofac-sdn: `sdn.csv`, with `alt.csv`
        /// and `add.csv` beside it unless `--alt-url`/`--add-url`).
        #[arg(long)]
        url: Option<String>,
        /// OFAC `alt.csv` location (with ofac-sdn).
        #[arg(long)]
        alt_url: Option<String>,
        /// OFAC `add.csv` location (with ofac-sdn).
        #[arg(long)]
        add_url: Option<String>,
        /// Publication date given to imported versions (YYYY-MM-DD; default today).
        #[arg(long)]
        date: Option<String>,
        /// Import a list that shrank by more than half against its latest version (refused by
        /// default: it looks like a truncated download).
        #[arg(long)]
        allow_shrink: bool,
        /// Longest time one download may take, seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        ledger: LedgerDbArg,
    },
    /// List the imported versions.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What changed between two versions of the same format (default: the two latest).
    #[command(after_help = "Examples:\n  chipcap lists diff\n  chipcap lists diff 1 3 --json")]
    Diff {
        /// Older version number.
        old: Option<u32>,
        /// Newer version number.
        new: Option<u32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct ScreenArgs {
    #[command(subcommand)]
    pub cmd: Option<ScreenCommand>,
    /// The name to screen.
    pub name: Option<String>,
    /// The party's country (ISO code or name): a country on the entry raises the score, another lowers it.
    #[arg(long)]
    pub country: Option<String>,
    /// A CSV of parties to screen in bulk (header `name,country,address`; country and address optional).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// With `--file`: print CSV.
    #[arg(long)]
    pub csv: bool,
    /// Match threshold (0-1).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Review threshold (0-1).
    #[arg(long)]
    pub review_threshold: Option<f64>,
    #[command(flatten)]
    pub ledger: LedgerDbArg,
    /// Ask a running chipcap server (`chipcap serve`) instead: screening a name, recording and
    /// listing dispositions (`CHIPCAP_TOKEN` is sent as a bearer token if set).
    #[arg(long, env = "CHIPCAP_SERVER", global = true)]
    pub server: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ScreenCommand {
    /// The similarity of two names, with its explanation.
    #[command(
        after_help = "Examples:\n  chipcap screen score \"Harrowfield Bearings Limited\" \"HARROWFIELD BEARINGS LTD.\"\n  chipcap screen score --json \"Brennock Steel Tubes Ltd\" \"Brennock Steel Wires Ltd\""
    )]
    Score {
        /// First name.
        name1: String,
        /// Second name.
        name2: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Match threshold (0-1).
        #[arg(long)]
        threshold: Option<f64>,
    },
    /// Record a reviewer's decision on a hit in the ledger (`--db`): applied to later screenings of the
    /// same party until a list update changes the entry. Withdraw it with `chipcap ledger reverse`.
    #[command(
        after_help = "Examples:\n  chipcap screen dispose --party \"Acme Trading\" --entry 12345 --as false-positive --by j.doe --why \"different company, other city\""
    )]
    Dispose {
        /// Client id of the ledger entry (default: generated).
        #[arg(long)]
        id: Option<String>,
        /// The party's name as screened.
        #[arg(long)]
        party: String,
        /// The list entry key (`entry_key` of the hit).
        #[arg(long)]
        entry: String,
        /// The decision.
        #[arg(long = "as", value_enum)]
        disposition: DispositionArg,
        /// Who decided (required locally; with `--server` the token's name is recorded).
        #[arg(long)]
        by: Option<String>,
        /// Why.
        #[arg(long)]
        why: String,
    },
    /// The reviewers' dispositions in force (from the ledger), oldest first.
    Dispositions {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-screen every party the ledger knows (party records, licence and shipment consignees, parties
    /// with a disposition) and those in `--parties FILE` against the latest versions, and report what
    /// changed since the previous versions and which dispositions go back for review.
    Rescreen {
        /// A CSV of more parties (`name,country`).
        #[arg(long)]
        parties: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispositionArg {
    /// The party is the listed entity.
    TrueMatch,
    /// The party is not the listed entity.
    FalsePositive,
}

impl From<DispositionArg> for DispositionKind {
    fn from(a: DispositionArg) -> DispositionKind {
        match a {
            DispositionArg::TrueMatch => DispositionKind::TrueMatch,
            DispositionArg::FalsePositive => DispositionKind::FalsePositive,
        }
    }
}

fn guess_format(file: &Path) -> Option<FormatArg> {
    let name = file.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.contains("sdn") && name.ends_with(".csv") {
        Some(FormatArg::OfacSdn)
    } else if name.ends_with(".json") {
        Some(FormatArg::CslJson)
    } else if name.ends_with(".csv") {
        Some(FormatArg::CslCsv)
    } else if name.ends_with(".txt") {
        Some(FormatArg::BisDpl)
    } else {
        None
    }
}

fn read_file(p: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(p).map_err(|e| input_err(format!("cannot read `{}`: {e}", p.display())))
}

fn config(threshold: Option<f64>, review: Option<f64>) -> anyhow::Result<MatchConfig> {
    let d = MatchConfig::default();
    let m = threshold.unwrap_or(d.match_threshold);
    let r = review.unwrap_or(d.review_threshold.min(m));
    MatchConfig::new(m, r).map_err(|e| input_err(e.to_string()))
}

/// Runs `chipcap lists ...`.
pub fn run_lists(
    cmd: ListsCommand,
    store: &StoreArgs,
    rules: &chipcap_core::params::RuleSet,
) -> anyhow::Result<()> {
    let st = Store::new(&store.dir);
    match cmd {
        ListsCommand::Update {
            sources,
            url,
            alt_url,
            add_url,
            date,
            allow_shrink,
            timeout,
            json,
            ledger,
        } => {
            let cfg = UpdateConfig::load(&store.dir).map_err(|e| input_err(e.to_string()))?;
            let mut chosen: Vec<Source> = Vec::new();
            for s in &sources {
                let s = Source::parse(s)
                    .ok_or_else(|| input_err(format!("`{s}` is not a list source")))?;
                if !chosen.contains(&s) {
                    chosen.push(s);
                }
            }
            if chosen.is_empty() {
                chosen = cfg.update.clone();
            }
            let mut targets: Vec<(Source, SourceUrls)> =
                chosen.iter().map(|s| (*s, cfg.urls(*s))).collect();
            if url.is_some() || alt_url.is_some() || add_url.is_some() {
                let [(source, urls)] = targets.as_mut_slice() else {
                    return Err(input_err(
                        "option `--url` names the location of one source: name that source (e.g. `chipcap lists update csl --url URL`)",
                    ));
                };
                if let Some(u) = &url {
                    *urls = SourceUrls::beside(*source, u);
                }
                if alt_url.is_some() || add_url.is_some() {
                    if *source != Source::OfacSdn {
                        return Err(input_err(
                            "options `--alt-url` and `--add-url` belong to `ofac-sdn`",
                        ));
                    }
                    if alt_url.is_some() {
                        urls.alt_url = alt_url;
                    }
                    if add_url.is_some() {
                        urls.add_url = add_url;
                    }
                }
            }
            let date = match date {
                Some(d) => {
                    ListDate::parse(&d).map_err(|e| input_err(format!("option `--date` {e}")))?
                }
                None => ListDate::parse(&chipcap_app::today().to_string())?,
            };
            let opts = UpdateOptions {
                date,
                allow_shrink,
                imported_at: chipcap_app::now_rfc3339(),
                timeout: std::time::Duration::from_secs(timeout.max(1)),
            };
            let run = lists_update::update(&store.dir, &targets, &opts)?;
            let (parties, changes) = if run.imported() {
                rescreen_ledger(&ledger, rules, &run.before, &run.after, Vec::new())?
            } else {
                (0, Vec::new())
            };
            let mut failures: Vec<&UpdateError> = Vec::new();
            if json {
                let sources: Vec<serde_json::Value> = run
                    .sources
                    .iter()
                    .map(|(s, r)| match r {
                        Ok(rep) => serde_json::to_value(rep).unwrap_or_default(),
                        Err(e) => serde_json::json!({"source": s.name(), "outcome": if e.is_refusal() { "refused" } else { "failed" }, "error": e.to_string()}),
                    })
                    .collect();
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "sources": sources,
                        "lists": run.lists,
                        "parties": parties,
                        "changes": changes,
                    }))?
                );
            }
            for (s, r) in &run.sources {
                match r {
                    Ok(rep) => {
                        if json {
                            continue;
                        }
                        match &rep.outcome {
                            Outcome::NotModified => outln!(
                                "{}: unchanged (the server answered 304 Not Modified), not re-imported",
                                s.name()
                            ),
                            Outcome::SameContent => outln!(
                                "{}: unchanged (same content as the version in use), not re-imported",
                                s.name()
                            ),
                            Outcome::Imported {
                                version,
                                entries,
                                duplicates,
                                changes: c,
                                ..
                            } => {
                                outln!("{}: imported {version}: {entries} entries", s.name());
                                match &c.previous {
                                    Some(p) => outln!(
                                        "  against {p}: {} added, {} removed, {} changed, {} unchanged",
                                        c.added,
                                        c.removed,
                                        c.changed,
                                        c.unchanged
                                    ),
                                    None => outln!("  first version of this list"),
                                }
                                if *duplicates > 0 {
                                    eprintln!("note: {duplicates} entries identical to an earlier one in the file were dropped");
                                }
                            }
                        }
                    }
                    Err(e) => {
                        eprintln!("error: {}: {e}", s.name());
                        failures.push(e);
                    }
                }
            }
            if !json && run.imported() {
                outln!(
                    "{parties} parties re-screened against {}: {} with changes",
                    run.lists.join("; "),
                    changes.len()
                );
                print_changes(&changes);
            }
            match failures.first() {
                None => Ok(()),
                Some(_) if failures.iter().any(|e| e.is_refusal()) => Err(input_err(format!(
                    "{} of {} lists not updated (see above)",
                    failures.len(),
                    run.sources.len()
                ))),
                Some(_) => Err(anyhow::anyhow!(
                    "{} of {} lists not updated (see above)",
                    failures.len(),
                    run.sources.len()
                )),
            }
        }
        ListsCommand::Import {
            file,
            format,
            alt,
            add,
            date,
            label,
            allow_empty,
        } => {
            let format = format.or_else(|| guess_format(&file)).ok_or_else(|| {
                input_err("give `--format` (csl-csv, csl-json, ofac-sdn or bis-dpl)")
            })?;
            let date = date
                .map(|d| ListDate::parse(&d).map_err(|e| input_err(format!("option `--date` {e}"))))
                .transpose()?;
            let bytes = read_file(&file)?;
            let parse_err = |e: chipcap_screen::ScreenError| {
                input_err(format!("`{}`: {e}; nothing was imported", file.display()))
            };
            let (lf, entries) = match format {
                FormatArg::CslCsv => (
                    ListFormat::CslCsv,
                    parse_csl_csv(&bytes).map_err(parse_err)?,
                ),
                FormatArg::CslJson => (
                    ListFormat::CslJson,
                    parse_csl_json(&bytes).map_err(parse_err)?,
                ),
                FormatArg::BisDpl => (
                    ListFormat::BisDplTxt,
                    parse_bis_dpl(&bytes).map_err(parse_err)?,
                ),
                FormatArg::OfacSdn => {
                    let alt = alt.as_deref().map(read_file).transpose()?;
                    let add = add.as_deref().map(read_file).transpose()?;
                    (
                        ListFormat::OfacSdnCsv,
                        parse_ofac_sdn(&bytes, alt.as_deref(), add.as_deref())
                            .map_err(parse_err)?,
                    )
                }
            };
            let label = label.unwrap_or_else(|| {
                file.file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default()
            });
            let version = ListVersion::new(lf, label, date, entries);
            let imported = st
                .import(version, allow_empty, chipcap_app::now_rfc3339())
                .map_err(|e| match e {
                    ListStoreError::Empty | ListStoreError::TooLarge { .. } => {
                        input_err(format!("`{}`: {e}", file.display()))
                    }
                    other => anyhow::Error::new(other),
                })?;
            let meta = &imported.meta;
            outln!(
                "imported {}: {} entries, {} names",
                describe(meta),
                meta.entries,
                meta.names
            );
            if imported.duplicates > 0 {
                eprintln!(
                    "note: {} entries identical to an earlier one in the file were dropped",
                    imported.duplicates
                );
            }
            if let Some(w) = &imported.warning {
                eprintln!("warning: {w}");
            }
            Ok(())
        }
        ListsCommand::Show { json } => {
            let idx = st.index()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&idx.versions)?);
            } else if idx.versions.is_empty() {
                outln!(
                    "no lists imported in {} (see `chipcap lists import --help`)",
                    st.dir.display()
                );
            } else {
                for v in &idx.versions {
                    outln!(
                        "{:<50} {:>7} entries {:>7} names  imported {}",
                        describe(v),
                        v.entries,
                        v.names,
                        v.imported_at
                    );
                }
            }
            Ok(())
        }
        ListsCommand::Diff { old, new, json } => {
            let idx = st.index()?;
            let (old_n, new_n) = match (old, new) {
                (Some(o), Some(n)) => (o, n),
                _ => {
                    let last = idx
                        .versions
                        .last()
                        .ok_or_else(|| input_err("no lists imported"))?;
                    let prev = idx
                        .versions
                        .iter()
                        .rev()
                        .skip(1)
                        .find(|v| v.format == last.format)
                        .ok_or_else(|| input_err("only one version of that list is imported; give two version numbers"))?;
                    (prev.number, last.number)
                }
            };
            let find = |n: u32| {
                idx.versions
                    .iter()
                    .find(|v| v.number == n)
                    .ok_or_else(|| input_err(format!("no version {n} (see `chipcap lists show`)")))
            };
            let (mo, mn) = (find(old_n)?, find(new_n)?);
            if mo.format != mn.format {
                return Err(input_err(format!(
                    "versions {old_n} and {new_n} are different lists ({} and {})",
                    format_name(mo.format),
                    format_name(mn.format)
                )));
            }
            let (vo, vn) = (st.load(old_n)?, st.load(new_n)?);
            let d = vo.diff(&vn);
            if json {
                let v = serde_json::json!({
                    "old": describe(mo), "new": describe(mn),
                    "added": d.added.iter().map(|e| serde_json::json!({"key": e.key, "name": e.name, "source": e.source})).collect::<Vec<_>>(),
                    "removed": d.removed.iter().map(|e| serde_json::json!({"key": e.key, "name": e.name, "source": e.source})).collect::<Vec<_>>(),
                    "changed": d.changed.iter().map(|c| serde_json::json!({"key": c.after.key, "name": c.after.name, "fields": c.fields})).collect::<Vec<_>>(),
                    "unchanged": d.unchanged,
                });
                outln!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                outln!(
                    "{} -> {}: {} added, {} removed, {} changed, {} unchanged",
                    describe(mo),
                    describe(mn),
                    d.added.len(),
                    d.removed.len(),
                    d.changed.len(),
                    d.unchanged
                );
                for e in &d.added {
                    outln!("  + {} [{}] {}", e.key, e.source, e.name);
                }
                for e in &d.removed {
                    outln!("  - {} [{}] {}", e.key, e.source, e.name);
                }
                for c in &d.changed {
                    outln!(
                        "  ~ {} {} ({})",
                        c.after.key,
                        c.after.name,
                        c.fields.join(", ")
                    );
                }
            }
            Ok(())
        }
    }
}

fn score_text(x: f64) -> String {
    format!("{:.3}", x)
}

fn print_hits(name: &str, hits: &[Hit], disposed: &dyn Fn(&Hit) -> Option<String>) {
    if hits.is_empty() {
        outln!("{name}: no hit at or above the review threshold");
        return;
    }
    outln!("{name}: {} hit(s)", hits.len());
    for h in hits {
        outln!(
            "  {} {:<5} {} `{}`{} [{}{}]",
            if h.is_match { "MATCH " } else { "review" },
            score_text(h.score),
            h.source,
            h.matched_name,
            if h.matched_alias {
                format!(" (alias of `{}`)", h.entry_name)
            } else {
                String::new()
            },
            h.entity_number
                .as_deref()
                .map(|n| format!("entity {n}, "))
                .unwrap_or_default(),
            format_args!("key {}", h.entry_key)
        );
        let ex = &h.explanation;
        let pairs: Vec<String> = ex
            .matched
            .iter()
            .map(|m| format!("{}~{}", m.left, m.right))
            .collect();
        outln!("         tokens: {}", pairs.join(" "));
        if let Some(p) = &h.license_policy {
            outln!("         licence policy: {p}");
        }
        if let Some(fr) = &h.federal_register_notice {
            outln!("         Federal Register: {fr}");
        }
        if let Some(d) = disposed(h) {
            outln!("         disposition: {d}");
        }
    }
}

#[derive(Deserialize)]
struct PartyRow {
    name: String,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

fn read_parties(p: &Path) -> anyhow::Result<Vec<Query>> {
    let bytes = read_file(p)?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut out = Vec::new();
    for (i, row) in rdr.deserialize::<PartyRow>().enumerate() {
        let r = row.map_err(|e| input_err(format!("`{}` line {}: {e}", p.display(), i + 2)))?;
        if r.name.trim().is_empty() {
            return Err(input_err(format!(
                "`{}` line {}: `name` is empty",
                p.display(),
                i + 2
            )));
        }
        out.push(Query {
            name: r.name,
            country: r.country.filter(|c| !c.is_empty()),
            address: r.address.filter(|a| !a.is_empty()),
        });
    }
    Ok(out)
}

/// Runs `chipcap screen ...`.
pub fn run_screen(
    args: ScreenArgs,
    store: &StoreArgs,
    rules: &chipcap_core::params::RuleSet,
) -> anyhow::Result<()> {
    let st = Store::new(&store.dir);
    if let Some(url) = args.server.clone().filter(|s| !s.is_empty()) {
        if !matches!(args.cmd, Some(ScreenCommand::Score { .. })) {
            return run_screen_remote(args, &url);
        }
    }
    match args.cmd {
        Some(ScreenCommand::Score {
            name1,
            name2,
            json,
            threshold,
        }) => {
            let cfg = config(threshold, None)?;
            let e = chipcap_screen::score(&name1, &name2, &cfg);
            if json {
                outln!("{}", serde_json::to_string_pretty(&e)?);
            } else {
                outln!(
                    "score {} ({} at threshold {})",
                    score_text(e.score),
                    if e.is_match { "match" } else { "no match" },
                    e.threshold
                );
                outln!("  normalised: `{}` / `{}`", e.normalized1, e.normalized2);
                for m in &e.matched {
                    outln!("  {} ~ {}", m.left, m.right);
                }
                if !e.unmatched1.is_empty() || !e.unmatched2.is_empty() {
                    outln!("  unmatched: {:?} / {:?}", e.unmatched1, e.unmatched2);
                }
                if !e.penalties.is_empty() {
                    outln!("  penalties: {}", e.penalties.join("; "));
                }
            }
            Ok(())
        }
        Some(ScreenCommand::Dispose {
            id,
            party,
            entry,
            disposition,
            by,
            why,
        }) => {
            let lists = LoadedLists::load(&st.dir)?.ok_or_else(|| {
                input_err(format!(
                    "no lists imported in `{}`: run `chipcap lists import` first",
                    st.dir.display()
                ))
            })?;
            let by =
                by.ok_or_else(|| input_err("option `--by` is required: who reviewed the hit"))?;
            let at = chipcap_app::now_rfc3339();
            let id = id.unwrap_or_else(|| format!("disposition-{entry}-{at}"));
            let kind = DispositionKind::from(disposition);
            let today = at
                .get(..10)
                .and_then(|d| d.parse::<chipcap_core::date::Date>().ok())
                .unwrap_or(chipcap_core::date::Date::UNIX_EPOCH);
            let e = chipcap_app::lists::disposition_entry(
                &lists, &id, &party, &entry, kind, &by, &why, &at, today,
            )
            .map_err(|(field, msg)| {
                let opt = match field {
                    "entry_key" => "--entry",
                    "party" => "--party",
                    "by" => "--by",
                    _ => "--why",
                };
                input_err(format!("option `{opt}` {msg}"))
            })?;
            let mut l = args.ledger.ledger(rules)?;
            let o = l.record(&e)?;
            outln!(
                "{}: {party} is a {} for entry {entry} ({}), by {by}: ledger entry `{id}` (withdraw it with `chipcap ledger reverse --of {id}`)",
                if o.replayed { "already recorded" } else { "recorded" },
                kind.as_str(),
                lists
                    .screener()
                    .entries()
                    .iter()
                    .find(|x| x.key == entry)
                    .map(|x| x.name.as_str())
                    .unwrap_or(""),
            );
            Ok(())
        }
        Some(ScreenCommand::Dispositions { json }) => {
            let d = args.ledger.dispositions(rules)?;
            print_dispositions(&d, json)?;
            Ok(())
        }
        Some(ScreenCommand::Rescreen { parties, json }) => {
            rescreen(&st, &args.ledger, rules, parties.as_deref(), json)
        }
        None => {
            let (versions, names, warnings) = st.latest_with_warnings()?;
            if versions.is_empty() {
                return Err(input_err(format!(
                    "no lists imported in `{}`: run `chipcap lists import` first",
                    st.dir.display()
                )));
            }
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            let cfg = config(args.threshold, args.review_threshold)?;
            let screener = Screener::new(&versions, cfg);
            let disps = args.ledger.dispositions(rules)?;
            let disposition_of = |party: &str, h: &Hit| {
                screener
                    .entries()
                    .get(h.entry_index)
                    .and_then(|e| disposition_for(&disps, &normalize(party), e))
            };
            match (args.name, args.file) {
                (Some(name), None) => {
                    let mut q = Query::name(name.clone());
                    if let Some(c) = args.country {
                        q = q.with_country(c);
                    }
                    let hits = screener.screen(&q);
                    if args.json {
                        let hits: Vec<serde_json::Value> = hits
                            .iter()
                            .map(|h| {
                                let mut v = serde_json::to_value(h).unwrap_or_default();
                                if let Some(o) = v.as_object_mut() {
                                    o.insert("disposition".into(), serde_json::to_value(disposition_of(&name, h)).unwrap_or_default());
                                }
                                v
                            })
                            .collect();
                        outln!("{}", serde_json::to_string_pretty(&serde_json::json!({"query": q, "lists": names, "hits": hits, "warnings": warnings}))?);
                    } else {
                        outln!("lists: {}", names.join("; "));
                        print_hits(&name, &hits, &|h| disposition_of(&name, h).map(describe_disposition));
                    }
                    Ok(())
                }
                (None, Some(file)) => {
                    let queries = read_parties(&file)?;
                    let total = queries.len();
                    let mut results = Vec::with_capacity(total);
                    let chunk = 500usize;
                    for (i, part) in queries.chunks(chunk).enumerate() {
                        results.extend(screener.screen_bulk(part));
                        eprint!("\rscreened {}/{}", (i * chunk + part.len()).min(total), total);
                    }
                    eprintln!();
                    if args.csv {
                        let mut w = csv::Writer::from_writer(std::io::stdout());
                        w.write_record(["name", "country", "status", "score", "source", "entity_number", "entry_key", "matched_name"])?;
                        for (q, hits) in queries.iter().zip(&results) {
                            let c = q.country.clone().unwrap_or_default();
                            if hits.is_empty() {
                                w.write_record([q.name.as_str(), &c, "clear", "", "", "", "", ""])?;
                            }
                            for h in hits {
                                w.write_record([q.name.as_str(), &c, if h.is_match { "match" } else { "review" }, &score_text(h.score), &h.source, h.entity_number.as_deref().unwrap_or(""), &h.entry_key, &h.matched_name])?;
                            }
                        }
                        w.flush()?;
                    } else if args.json {
                        let v: Vec<_> = queries.iter().zip(&results).map(|(q, h)| serde_json::json!({"query": q, "hits": h})).collect();
                        outln!("{}", serde_json::to_string_pretty(&v)?);
                    } else {
                        let matched = results.iter().filter(|h| h.iter().any(|x| x.is_match)).count();
                        let review = results.iter().filter(|h| !h.is_empty() && !h.iter().any(|x| x.is_match)).count();
                        outln!("{total} parties screened against {}: {matched} match, {review} for review, {} clear", names.join("; "), total - matched - review);
                        for (q, hits) in queries.iter().zip(&results) {
                            if !hits.is_empty() {
                                print_hits(&q.name, hits, &|h| disposition_of(&q.name, h).map(describe_disposition));
                            }
                        }
                    }
                    Ok(())
                }
                (Some(_), Some(_)) => Err(input_err("give a NAME or `--file`, not both")),
                (None, None) => Err(input_err("give a NAME to screen, `--file parties.csv`, or a subcommand (see `chipcap screen --help`)")),
            }
        }
    }
}

fn rescreen(
    st: &Store,
    ledger: &LedgerDbArg,
    rules: &chipcap_core::params::RuleSet,
    parties: Option<&Path>,
    json: bool,
) -> anyhow::Result<()> {
    let idx = st.index()?;
    let (latest, names) = st.latest()?;
    if latest.is_empty() {
        return Err(input_err("no lists imported"));
    }
    // The previous version of each format, to compare against.
    let mut previous = Vec::new();
    for v in &latest {
        let prev = idx
            .versions
            .iter()
            .rev()
            .filter(|m| m.format == v.format)
            .nth(1);
        if let Some(p) = prev {
            previous.push(st.load(p.number)?);
        }
    }
    let more = match parties {
        Some(p) => read_parties(p)?,
        None => Vec::new(),
    };
    let (queries, report) = rescreen_ledger(ledger, rules, &previous, &latest, more)?;
    print_rescreen(&names, queries, &report, json)
}

/// Re-screens every party the ledger knows (party records, licence and shipment consignees,
/// parties with a disposition) and `more` against `before` and `after`: the number of parties and
/// the changes.
fn rescreen_ledger(
    ledger: &LedgerDbArg,
    rules: &chipcap_core::params::RuleSet,
    before: &[ListVersion],
    after: &[ListVersion],
    more: Vec<Query>,
) -> anyhow::Result<(usize, Vec<PartyChanges>)> {
    let (disps, entries) = if ledger.exists() {
        let mut l = ledger.ledger(rules)?;
        let entries = l.entries()?;
        (dispositions_from_entries(&entries), entries)
    } else {
        (Vec::new(), Vec::new())
    };
    let queries = parties_to_rescreen(&entries, &disps, more);
    let report = chipcap_app::lists::rescreen(before, after, &queries, &disps);
    Ok((queries.len(), report))
}

fn print_rescreen(
    names: &[String],
    parties: usize,
    report: &[PartyChanges],
    json: bool,
) -> anyhow::Result<()> {
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"lists": names, "parties": parties, "changes": report})
            )?
        );
    } else {
        outln!(
            "{} parties re-screened against {}: {} with changes",
            parties,
            names.join("; "),
            report.len()
        );
        print_changes(report);
    }
    Ok(())
}

fn print_changes(report: &[PartyChanges]) {
    for r in report {
        outln!("{}", r.party);
        for (mark, what, hits) in [
            ("+", "new hit", &r.new_hits),
            ("-", "cleared", &r.hits_gone),
            ("~", "entry changed", &r.changed_entries),
        ] {
            for h in hits {
                outln!(
                    "  {mark} {what:<13} {} {:.3} {} `{}` [key {}]{}",
                    if h.is_match { "MATCH " } else { "review" },
                    h.score,
                    h.source,
                    h.matched_name,
                    h.entry_key,
                    if h.fields.is_empty() {
                        String::new()
                    } else {
                        format!(" fields: {}", h.fields.join(", "))
                    }
                );
            }
        }
        for d in &r.dispositions_back_for_review {
            outln!(
                "  ! back for review: {} on entry {} (ledger entry `{}`): {}",
                d.disposition,
                d.entry_key,
                d.id,
                d.why
            );
        }
    }
}

/// `chipcap screen --server URL ...`: a name, `dispose` and `dispositions` against a running server.
fn run_screen_remote(args: ScreenArgs, url: &str) -> anyhow::Result<()> {
    use crate::serve_cli::{remote_get, remote_post};
    let answered = |a: crate::serve_cli::Answer| a.map_err(input_err);
    match args.cmd {
        None => {
            if args.file.is_some() {
                return Err(input_err(
                    "`--file` screens against the local lists; it is not available with `--server`",
                ));
            }
            if args.threshold.is_some() || args.review_threshold.is_some() {
                return Err(input_err(
                    "the thresholds are the server's with `--server`; drop `--threshold` and `--review-threshold`",
                ));
            }
            let Some(name) = args.name else {
                return Err(input_err("give a NAME to screen"));
            };
            let body = serde_json::json!({"name": name, "country": args.country});
            let text = answered(remote_post(url, "/v1/screenings", &body.to_string())?)?;
            let v: serde_json::Value = serde_json::from_str(&text)?;
            if args.json {
                outln!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(());
            }
            let raw = v["hits"].as_array().cloned().unwrap_or_default();
            let hits: Vec<Hit> = raw
                .iter()
                .map(|h| serde_json::from_value(h.clone()))
                .collect::<Result<_, _>>()
                .context("reading the server's hits")?;
            let names: Vec<String> = v["lists"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            outln!("lists (server): {}", names.join("; "));
            let disposed = |h: &Hit| {
                raw.iter()
                    .find(|r| r["entry_key"] == h.entry_key.as_str())
                    .and_then(|r| {
                        serde_json::from_value::<DispositionRecord>(r["disposition"].clone()).ok()
                    })
                    .map(|d| describe_disposition(&d))
            };
            print_hits(&name, &hits, &disposed);
            Ok(())
        }
        Some(ScreenCommand::Dispose {
            id,
            party,
            entry,
            disposition,
            by,
            why,
        }) => {
            if by.is_some() {
                return Err(input_err(
                    "option `--by` is not used with `--server`: the server records the name of the token in `CHIPCAP_TOKEN`",
                ));
            }
            let id =
                id.unwrap_or_else(|| format!("disposition-{entry}-{}", chipcap_app::now_rfc3339()));
            let body = serde_json::json!({
                "id": id,
                "party": party,
                "entry_key": entry,
                "disposition": DispositionKind::from(disposition).as_str(),
                "why": why,
            });
            let text = answered(remote_post(
                url,
                "/v1/screenings/dispositions",
                &body.to_string(),
            )?)?;
            let v: serde_json::Value = serde_json::from_str(&text)?;
            outln!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        Some(ScreenCommand::Dispositions { json }) => {
            let text = answered(remote_get(url, "/v1/screenings/dispositions")?)?;
            let d: Vec<DispositionRecord> =
                serde_json::from_str(&text).context("reading the server's dispositions")?;
            print_dispositions(&d, json)?;
            Ok(())
        }
        Some(ScreenCommand::Score { .. }) | Some(ScreenCommand::Rescreen { .. }) => Err(input_err(
            "`screen score` and `screen rescreen` run locally; drop `--server`",
        )),
    }
}

fn print_dispositions(d: &[DispositionRecord], json: bool) -> anyhow::Result<()> {
    if json {
        outln!("{}", serde_json::to_string_pretty(d)?);
    } else if d.is_empty() {
        outln!("no dispositions recorded");
    } else {
        for x in d {
            outln!(
                "{}  {}  {} ~ entry {}{}  by {}: {}  [{}]",
                x.at,
                x.disposition.as_str(),
                x.party,
                x.entry_key,
                x.source
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default(),
                x.by,
                x.why,
                x.id
            );
        }
    }
    Ok(())
}

fn describe_disposition(d: &DispositionRecord) -> String {
    format!(
        "{} by {} at {}: {} (ledger entry `{}`)",
        d.disposition.as_str(),
        d.by,
        d.at,
        d.why,
        d.id
    )
}

/// What `chipcap check` screens with: the lists imported in the store and the ledger's
/// dispositions (none when no list is imported: the request is then marked not screened).
pub fn screening_sources(
    store: &StoreArgs,
    ledger: &LedgerDbArg,
    rules: &chipcap_core::params::RuleSet,
) -> anyhow::Result<(Option<LoadedLists>, Vec<DispositionRecord>)> {
    let lists = LoadedLists::load(&store.dir)?;
    let disps = match &lists {
        Some(_) => ledger.dispositions(rules)?,
        None => Vec::new(),
    };
    Ok((lists, disps))
}
