//! The screening index: every name and alias of the loaded list versions, an inverted index of
//! word keys for candidate generation, and the matcher for scoring candidates.

use std::collections::HashMap;

use serde::Serialize;

use crate::country::country_code;
use crate::model::{Entry, ListVersion, SourceClass};
use crate::normalize::{abjad_skeleton, fold, NameForm, Origin, Seg, Token, Variant};
use crate::score::{quick_score, score_forms, MatchConfig, ScoreExplanation};

/// Candidates scored in full per query, at most.
const MAX_CANDIDATES: usize = 64;

/// A name to screen, with optional country and address that raise or lower scores.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Query {
    /// The party's name.
    pub name: String,
    /// The party's country (name or ISO code), if known.
    pub country: Option<String>,
    /// The party's address, if known.
    pub address: Option<String>,
}

impl Query {
    /// A query by name only.
    pub fn name(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Set the country.
    pub fn with_country(mut self, country: impl Into<String>) -> Self {
        self.country = Some(country.into());
        self
    }
}

/// A list entry whose name or alias matched a query, with what the determination needs.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Hit {
    /// Position of the entry in [`Screener::entries`].
    pub entry_index: usize,
    /// The entry's stable key.
    pub entry_key: String,
    /// List source as published.
    pub source: String,
    /// Classification of the source.
    pub source_class: SourceClass,
    /// The source's entity number or id, if published.
    pub entity_number: Option<String>,
    /// The entry's primary name.
    pub entry_name: String,
    /// The name or alias that matched.
    pub matched_name: String,
    /// Whether `matched_name` is an alternate name.
    pub matched_alias: bool,
    /// Final score (name score adjusted by country and address).
    pub score: f64,
    /// Whether `score` reaches the match threshold (otherwise it is for review).
    pub is_match: bool,
    /// Change made to the name score by country and address (positive raises).
    pub context_adjustment: f64,
    /// Why the names matched.
    pub explanation: ScoreExplanation,
    /// BIS license requirement of the entry, if any.
    pub license_requirement: Option<String>,
    /// BIS license review policy of the entry, if any.
    pub license_policy: Option<String>,
    /// Federal Register notice(s) of the entry, if any.
    pub federal_register_notice: Option<String>,
}

struct IndexedName {
    entry: u32,
    alias: bool,
    form: NameForm,
}

/// An index over one or more list versions, answering [`Query`]s with [`Hit`]s.
pub struct Screener {
    entries: Vec<Entry>,
    names: Vec<IndexedName>,
    postings: HashMap<String, Vec<u32>>,
    config: MatchConfig,
}

fn is_individual(e: &Entry) -> bool {
    e.entry_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("individual"))
}

fn keys(v: &Variant, query: bool, out: &mut Vec<String>) {
    let any_strong = v.tokens.iter().any(|t| t.weight >= 0.5);
    for t in &v.tokens {
        if any_strong && t.weight < 0.5 {
            continue;
        }
        out.push(format!("t{}", t.canon));
        if let Some(alt) = &t.alt {
            out.push(format!("t{alt}"));
        }
        // Other romanisations of a script word (customary surname spellings, kanji readings).
        for k in &t.keys {
            out.push(format!("t{}", fold(k)));
        }
        // Coarse consonant classes, shared by a script word's readings and its romanisations.
        // A Latin query needs none (its other keys find Latin names); a script word's do.
        let c = match &t.pat {
            Some(p) => coarse(&p.first()),
            None if !query => coarse(&t.text),
            None => String::new(),
        };
        if c.len() >= 2 {
            out.push(format!("c{c}"));
        }
        if t.canon.len() >= 3 {
            for s in t.skels.iter().filter(|s| s.len() >= 2) {
                out.push(format!("s{s}"));
            }
            let a = abjad_skeleton(&t.text);
            if a.len() >= 2 {
                out.push(format!("a{a}"));
            }
            // A word with `kh` also gets its consonants with `kh` read as `k`, as a skeleton
            // key: finds `Rostec` from `Rostekh` (the skeleton drops `h`).
            if let Some(k) = t.vkey.as_ref().filter(|k| k.contains(&Seg::Cons(b'X'))) {
                let c: String = k
                    .iter()
                    .filter_map(|s| match s {
                        Seg::Cons(b'X') => Some('k'),
                        Seg::Cons(c) => Some(char::from(*c)),
                        Seg::Vowels(_) => None,
                    })
                    .collect();
                if c.len() >= 2 {
                    out.push(format!("s{c}"));
                }
            }
        }
        if (!query && t.text.len() >= 4) || (query && t.abbrev && t.text.len() >= 3) {
            if let Some(p) = t.text.get(..3) {
                out.push(format!("p{p}"));
            }
        }
    }
    if !v.joined.is_empty() {
        out.push(format!("j{}", v.joined));
    }
    run_keys(v, out);
}

/// Keys of adjacent syllables written as one Latin word (`근혜` -> `geunhye`, `鈴木` -> `suzuki`,
/// `ရတနာ` -> `yadanar`): two to four syllabic words, each read by its canonical form or one of
/// its first five other readings (at most 64 keys per run).
fn run_keys(v: &Variant, out: &mut Vec<String>) {
    let syl = |t: &Token| t.origin == Origin::Syllabic && t.pat.is_some();
    let readings = |t: &Token| -> Vec<String> {
        let mut r = vec![t.canon.clone()];
        r.extend(t.keys.iter().take(5).map(|k| fold(k)));
        r.dedup();
        r
    };
    for k in 0..v.tokens.len() {
        // Coarse keys of the run read by each word's first reading and by its first other one.
        let mut first = String::new();
        let mut other = String::new();
        for len in 1..=4usize {
            let m = k + len - 1;
            let Some(t) = v.tokens.get(m) else {
                break;
            };
            let Some(p) = t.pat.as_ref().filter(|_| syl(t)) else {
                break;
            };
            if len > 1 && !v.adjacent.get(m).copied().unwrap_or(false) {
                break;
            }
            first.push_str(&p.first());
            other.push_str(t.keys.first().map_or(t.canon.as_str(), String::as_str));
            if len > 1 {
                for x in [&first, &other] {
                    let c = coarse(x);
                    if c.len() >= 2 {
                        out.push(format!("c{c}"));
                    }
                }
            }
        }
        let mut acc: Vec<String> = Vec::new();
        for len in 1..=4usize {
            let m = k + len - 1;
            let Some(t) = v.tokens.get(m) else {
                break;
            };
            if !syl(t) || (len > 1 && !v.adjacent.get(m).copied().unwrap_or(false)) {
                break;
            }
            let rs = readings(t);
            acc = if acc.is_empty() {
                rs
            } else {
                acc.iter()
                    .flat_map(|a| rs.iter().map(move |r| format!("{a}{r}")))
                    .take(64)
                    .collect()
            };
            if len > 1 {
                for a in &acc {
                    out.push(format!("t{}", fold(a)));
                }
            }
        }
    }
}

/// Coarse consonant classes of a lowercase ASCII word, the same for the usual romanisations of a
/// sound (`k`/`g`/`q`/`kh`/`gh`, `t`/`d`/`th`/`dh`, `s`/`z`/`sh`/`ch`/`j`/`ts`, `p`/`b`/`f`/`v`,
/// `l`/`r`, `n`/`ng`); vowels, `h`, `w`, `y` dropped; repeated classes merged.
fn coarse(w: &str) -> String {
    let b = w.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let next = b.get(i + 1).copied();
        let (c, step) = match (b[i], next) {
            (b'k' | b'g', Some(b'h')) | (b'c', Some(b'k')) => (b'K', 2),
            (b's' | b'z' | b'c', Some(b'h')) | (b't', Some(b's' | b'z')) => (b'S', 2),
            (b't' | b'd', Some(b'h')) => (b'T', 2),
            (b'p' | b'b', Some(b'h')) => (b'P', 2),
            (b'n', Some(b'g')) => (b'N', 2),
            (b'k' | b'g' | b'q' | b'c' | b'x', _) => (b'K', 1),
            (b't' | b'd', _) => (b'T', 1),
            (b's' | b'z' | b'j', _) => (b'S', 1),
            (b'p' | b'b' | b'f' | b'v', _) => (b'P', 1),
            (b'm', _) => (b'M', 1),
            (b'n', _) => (b'N', 1),
            (b'l' | b'r', _) => (b'R', 1),
            _ => (0, 1),
        };
        if c != 0 && out.as_bytes().last() != Some(&c) {
            out.push(char::from(c));
        }
        i += step;
    }
    out
}

impl Screener {
    /// Build an index over the entries of the given list versions.
    pub fn new(versions: &[ListVersion], config: MatchConfig) -> Self {
        let entries = versions
            .iter()
            .flat_map(|v| v.entries.iter().cloned())
            .collect();
        Self::from_entries(entries, config)
    }

    /// Build an index over entries.
    pub fn from_entries(entries: Vec<Entry>, config: MatchConfig) -> Self {
        let mut names = Vec::new();
        let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
        let mut buf = Vec::new();
        for (ei, e) in entries.iter().enumerate() {
            let individual = is_individual(e);
            for (k, n) in e.names().enumerate() {
                if n.trim().is_empty() {
                    continue;
                }
                let form = if individual {
                    NameForm::individual(n)
                } else {
                    NameForm::new(n)
                };
                let id = names.len() as u32;
                buf.clear();
                for v in &form.variants {
                    keys(v, false, &mut buf);
                }
                buf.sort_unstable();
                buf.dedup();
                for key in buf.drain(..) {
                    postings.entry(key).or_default().push(id);
                }
                names.push(IndexedName {
                    entry: ei as u32,
                    alias: k > 0,
                    form,
                });
            }
        }
        Self {
            entries,
            names,
            postings,
            config,
        }
    }

    /// The thresholds in use.
    pub fn config(&self) -> &MatchConfig {
        &self.config
    }

    /// Change the thresholds.
    pub fn set_config(&mut self, config: MatchConfig) {
        self.config = config;
    }

    /// All indexed entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Number of indexed names (primary and alternate).
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// Screen one query: hits at or above the review threshold, best first, one per entry, at most
    /// `max_hits`.
    pub fn screen(&self, query: &Query) -> Vec<Hit> {
        let qform = NameForm::new(&query.name);
        let mut qkeys = Vec::new();
        for v in &qform.variants {
            keys(v, true, &mut qkeys);
        }
        qkeys.sort_unstable();
        qkeys.dedup();
        let n = self.names.len().max(1);
        // Loose keys (skeletons, prefixes) that match a large share of the list select nothing.
        let loose_cap = (n / 20).max(500);
        let mut acc = vec![0.0f32; n];
        let mut touched: Vec<u32> = Vec::new();
        for k in &qkeys {
            let Some(p) = self.postings.get(k) else {
                continue;
            };
            let exact = k.starts_with('t') || k.starts_with('j');
            if !exact && p.len() > loose_cap {
                continue;
            }
            let idf = (n as f32 / p.len() as f32).ln() + 0.5;
            let idf = if exact { idf * 1.5 } else { idf };
            for &id in p {
                if let Some(a) = acc.get_mut(id as usize) {
                    if *a == 0.0 {
                        touched.push(id);
                    }
                    *a += idf;
                }
            }
        }
        let mut cands: Vec<(u32, f32)> = touched.iter().map(|&id| (id, acc[id as usize])).collect();
        let top = cands.iter().map(|c| c.1).fold(0.0f32, f32::max);
        // Candidates sharing far less key weight than the best cannot score near it.
        cands.retain(|c| c.1 >= top * 0.25);
        if cands.len() > MAX_CANDIDATES {
            cands.select_nth_unstable_by(MAX_CANDIDATES, |a, b| {
                b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
            });
            cands.truncate(MAX_CANDIDATES);
        }
        let mut best: HashMap<u32, (f64, f64, u32)> = HashMap::new();
        for (id, _) in cands {
            let Some(nm) = self.names.get(id as usize) else {
                continue;
            };
            let s = quick_score(&qform, &nm.form);
            let mut adj = self.context(query, nm.entry);
            // A different country ranks a matching name lower but never hides it: front companies
            // and subsidiaries are often registered elsewhere than the listed entity.
            if adj < 0.0 && s >= self.config.match_threshold {
                adj = adj.max(self.config.match_threshold - s);
            }
            let fin = (s + adj).clamp(0.0, 1.0);
            if fin < self.config.review_threshold {
                continue;
            }
            let e = best.entry(nm.entry).or_insert((f64::MIN, 0.0, id));
            if fin > e.0 || (fin == e.0 && id < e.2) {
                *e = (fin, adj, id);
            }
        }
        let mut hits: Vec<Hit> = best
            .into_values()
            .filter_map(|(fin, adj, id)| {
                let nm = self.names.get(id as usize)?;
                let e = self.entries.get(nm.entry as usize)?;
                let explanation = score_forms(&qform, &nm.form, &self.config);
                Some(Hit {
                    entry_index: nm.entry as usize,
                    entry_key: e.key.clone(),
                    source: e.source.clone(),
                    source_class: e.source_class.clone(),
                    entity_number: e.entity_number.clone(),
                    entry_name: e.name.clone(),
                    matched_name: nm.form.raw.clone(),
                    matched_alias: nm.alias,
                    score: (fin * 10_000.0).round() / 10_000.0,
                    is_match: fin >= self.config.match_threshold,
                    context_adjustment: adj,
                    explanation,
                    license_requirement: e.license_requirement.clone(),
                    license_policy: e.license_policy.clone(),
                    federal_register_notice: e.federal_register_notice.clone(),
                })
            })
            .collect();
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.entry_key.cmp(&b.entry_key))
        });
        hits.truncate(self.config.max_hits);
        hits
    }

    /// Screen many queries on all available cores; results are in query order.
    pub fn screen_bulk(&self, queries: &[Query]) -> Vec<Vec<Hit>> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .max(1);
        if threads == 1 || queries.len() < 64 {
            return queries.iter().map(|q| self.screen(q)).collect();
        }
        let chunk = queries.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = queries
                .chunks(chunk)
                .map(|c| s.spawn(move || c.iter().map(|q| self.screen(q)).collect::<Vec<_>>()))
                .collect();
            let mut out = Vec::with_capacity(queries.len());
            for (h, c) in handles.into_iter().zip(queries.chunks(chunk)) {
                match h.join() {
                    Ok(r) => out.extend(r),
                    // A worker cannot panic in practice; fall back to screening its chunk here.
                    Err(_) => out.extend(c.iter().map(|q| self.screen(q))),
                }
            }
            out
        })
    }

    /// Adjustment from country and address: +0.03 when the query's country is one of the entry's,
    /// -0.05 when the entry has countries and the query's is not among them (never below the match
    /// threshold for a name that matches, see `screen`); +0.02 when at least half the query's
    /// address words appear in one of the entry's addresses.
    fn context(&self, q: &Query, entry: u32) -> f64 {
        let Some(e) = self.entries.get(entry as usize) else {
            return 0.0;
        };
        let mut adj = 0.0;
        if let Some(c) = q.country.as_deref().filter(|c| !c.trim().is_empty()) {
            if !e.countries.is_empty() {
                let code = country_code(c)
                    .map(str::to_string)
                    .unwrap_or_else(|| c.trim().to_uppercase());
                if e.countries.iter().any(|x| x.eq_ignore_ascii_case(&code)) {
                    adj += 0.03;
                } else {
                    adj -= 0.05;
                }
            }
        }
        if let Some(a) = q.address.as_deref() {
            let words: Vec<String> = a
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 3)
                .map(str::to_lowercase)
                .collect();
            if !words.is_empty() {
                let best = e
                    .addresses
                    .iter()
                    .map(|ad| {
                        let line = ad.one_line().to_lowercase();
                        words.iter().filter(|w| line.contains(w.as_str())).count()
                    })
                    .max()
                    .unwrap_or(0);
                if best * 2 >= words.len() {
                    adj += 0.02;
                }
            }
        }
        adj
    }
}
