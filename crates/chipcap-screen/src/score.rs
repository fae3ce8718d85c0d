//! Token-aware name similarity with explanations.
//!
//! Two names are compared reading by reading ([`crate::VariantKind`]); within a pair of readings,
//! words are aligned one to one by their similarity:
//!
//! * equal canonical forms (after case, accents, transliteration, spelling folds and abbreviation
//!   expansion) score 1.0;
//! * abbreviations written with a period (`Mfg.`, `Comm.`) and initials match the word they shorten;
//! * transliteration and vowel variants (`Quraishi`/`Qureshi`, `Rachamim`/`Rakhamim`) match when
//!   their consonant skeletons agree and the words are long enough to make that meaningful;
//! * words from abjad scripts (Hebrew, Arabic) match on consonants;
//! * other near strings get a partial score from Jaro-Winkler, capped well below a match.
//!
//! The name score is a weighted Dice coefficient over aligned words (distinctive words weigh more
//! than business words and stopwords), times penalties for every unmatched or mismatched word,
//! differing numerals, conflicting legal forms and the use of a qualifier-stripped reading.

use serde::{Deserialize, Serialize};

use crate::error::ScreenError;
use crate::normalize::{
    abjad_skeleton, compound, tables, NameForm, Origin, Seg, Token, Variant, VariantKind,
    W_DISTINCT,
};
use crate::translit::fits_slots;

/// Default score at or above which two names are a match.
pub const DEFAULT_MATCH_THRESHOLD: f64 = 0.80;
/// Default score at or above which a screening hit is reported for review.
pub const DEFAULT_REVIEW_THRESHOLD: f64 = 0.65;

/// Thresholds for matching and screening.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MatchConfig {
    /// Score at or above which two names match (default [`DEFAULT_MATCH_THRESHOLD`], 0.80).
    pub match_threshold: f64,
    /// Score at or above which a screening hit is returned (default
    /// [`DEFAULT_REVIEW_THRESHOLD`], 0.65). Never above `match_threshold`.
    pub review_threshold: f64,
    /// Most hits returned per query (default 20).
    pub max_hits: usize,
}

impl Default for MatchConfig {
    fn default() -> Self {
        Self {
            match_threshold: DEFAULT_MATCH_THRESHOLD,
            review_threshold: DEFAULT_REVIEW_THRESHOLD,
            max_hits: 20,
        }
    }
}

impl MatchConfig {
    /// Build a configuration, checking `0 <= review_threshold <= match_threshold <= 1`.
    ///
    /// # Errors
    /// [`ScreenError::InvalidConfig`] when a threshold is out of range.
    pub fn new(match_threshold: f64, review_threshold: f64) -> Result<Self, ScreenError> {
        if !(0.0..=1.0).contains(&match_threshold) {
            return Err(ScreenError::InvalidConfig {
                name: "match_threshold",
                expected: "between 0 and 1",
                value: match_threshold.to_string(),
            });
        }
        if !(0.0..=match_threshold).contains(&review_threshold) {
            return Err(ScreenError::InvalidConfig {
                name: "review_threshold",
                expected: "between 0 and match_threshold",
                value: review_threshold.to_string(),
            });
        }
        Ok(Self {
            match_threshold,
            review_threshold,
            ..Self::default()
        })
    }
}

/// How two words were found to correspond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchKind {
    /// Same canonical form.
    Exact,
    /// One is an abbreviation of the other (`Mfg.` / `Manufacturing`).
    Abbreviation,
    /// One is an initial of the other (`R.` / `Renzo`).
    Initial,
    /// Transliteration or vowel variant (same consonant skeleton).
    Variant,
    /// Abjad word matching on consonants.
    Consonants,
    /// Near string only (partial credit).
    Fuzzy,
    /// The names are equal once spaces are removed.
    Joined,
    /// One word matches two adjacent words of the other name written as one (`Abdurrahman` /
    /// `Abdul Rahman`, `Ahmadinejad` / `Ahmadi-Nejad`).
    Split,
}

/// One aligned pair of words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenMatch {
    /// Word from the first name (canonical form).
    pub left: String,
    /// Word from the second name (canonical form).
    pub right: String,
    /// Word similarity in [0, 1].
    pub similarity: f64,
    /// How they correspond.
    pub kind: MatchKind,
}

/// How the legal forms of two names relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LegalFormRelation {
    /// Neither name has a legal form.
    None,
    /// Only one name has a legal form.
    OneSide,
    /// They share a legal form (`Ltd` / `Limited`).
    Same,
    /// Same kind, one being the generic English translation (`OÜ` / `Ltd`), or two native forms of
    /// one jurisdiction that are both limited-liability company forms (`Inc.` / `Corp.`, `FZE` /
    /// `FZCO`, `SAS` / `SA`).
    Compatible,
    /// Different legal forms (`GmbH` / `Inc.`): likely a different company.
    Conflict,
}

/// The score of two names and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreExplanation {
    /// Similarity in [0, 1]; 1.0 only for identical input.
    pub score: f64,
    /// Whether `score >= threshold`.
    pub is_match: bool,
    /// The match threshold used.
    pub threshold: f64,
    /// First name as given.
    pub name1: String,
    /// Second name as given.
    pub name2: String,
    /// Normalised reading of the first name that gave the score.
    pub normalized1: String,
    /// Normalised reading of the second name that gave the score.
    pub normalized2: String,
    /// Which reading of the first name was used.
    pub variant1: VariantKind,
    /// Which reading of the second name was used.
    pub variant2: VariantKind,
    /// Aligned word pairs.
    pub matched: Vec<TokenMatch>,
    /// Words of the first name left unmatched.
    pub unmatched1: Vec<String>,
    /// Words of the second name left unmatched.
    pub unmatched2: Vec<String>,
    /// Legal forms of the first name (canonical ids).
    pub legal_forms1: Vec<String>,
    /// Legal forms of the second name (canonical ids).
    pub legal_forms2: Vec<String>,
    /// How the legal forms relate.
    pub legal_form_relation: LegalFormRelation,
    /// Numerals of the first name.
    pub numerals1: Vec<String>,
    /// Numerals of the second name.
    pub numerals2: Vec<String>,
    /// Penalties applied, as `reason x factor`.
    pub penalties: Vec<String>,
}

/// Score two names and explain the score, using `config.match_threshold` for `is_match`.
pub fn score(name1: &str, name2: &str, config: &MatchConfig) -> ScoreExplanation {
    let a = NameForm::new(name1);
    let b = NameForm::new(name2);
    score_forms(&a, &b, config)
}

/// Score two names with the words of each sorted alphabetically first, so that word order cannot
/// change the result.
pub fn token_sort_score(name1: &str, name2: &str) -> f64 {
    let sort = |s: &str| {
        let mut w: Vec<&str> = s.split_whitespace().collect();
        w.sort_unstable();
        w.join(" ")
    };
    score(&sort(name1), &sort(name2), &MatchConfig::default()).score
}

/// Score two parsed names (see [`score`]).
pub fn score_forms(a: &NameForm, b: &NameForm, config: &MatchConfig) -> ScoreExplanation {
    let best = best_pair(a, b);
    let (va, vb, cmp) = match best {
        Some(x) => x,
        None => {
            let s = if a.raw.trim() == b.raw.trim() {
                1.0
            } else {
                0.0
            };
            return ScoreExplanation {
                score: s,
                is_match: s >= config.match_threshold,
                threshold: config.match_threshold,
                name1: a.raw.clone(),
                name2: b.raw.clone(),
                normalized1: String::new(),
                normalized2: String::new(),
                variant1: VariantKind::Full,
                variant2: VariantKind::Full,
                matched: Vec::new(),
                unmatched1: Vec::new(),
                unmatched2: Vec::new(),
                legal_forms1: Vec::new(),
                legal_forms2: Vec::new(),
                legal_form_relation: LegalFormRelation::None,
                numerals1: Vec::new(),
                numerals2: Vec::new(),
                penalties: Vec::new(),
            };
        }
    };
    let s = finish(a, b, cmp.score);
    ScoreExplanation {
        score: s,
        is_match: s >= config.match_threshold,
        threshold: config.match_threshold,
        name1: a.raw.clone(),
        name2: b.raw.clone(),
        normalized1: va.display(),
        normalized2: vb.display(),
        variant1: va.kind,
        variant2: vb.kind,
        matched: cmp
            .pairs
            .iter()
            .map(|p| TokenMatch {
                left: va.tokens[p.0].canon.clone(),
                right: vb.tokens[p.1].canon.clone(),
                similarity: round4(f64::from(p.2)),
                kind: p.3,
            })
            .collect(),
        unmatched1: cmp
            .unmatched_a
            .iter()
            .map(|&i| va.tokens[i].canon.clone())
            .collect(),
        unmatched2: cmp
            .unmatched_b
            .iter()
            .map(|&i| vb.tokens[i].canon.clone())
            .collect(),
        legal_forms1: va.legal_forms.clone(),
        legal_forms2: vb.legal_forms.clone(),
        legal_form_relation: cmp.legal,
        numerals1: va.numerals.clone(),
        numerals2: vb.numerals.clone(),
        penalties: cmp
            .penalties
            .iter()
            .map(|(r, f)| format!("{r} x{f:.2}"))
            .collect(),
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Final score: exactly 1.0 only for identical input, otherwise at most 0.99.
fn finish(a: &NameForm, b: &NameForm, s: f64) -> f64 {
    if a.raw.trim() == b.raw.trim() {
        1.0
    } else {
        round4(s.clamp(0.0, 0.99)) + 0.0
    }
}

/// Score only (no explanation), for the index.
pub(crate) fn quick_score(a: &NameForm, b: &NameForm) -> f64 {
    match best_pair(a, b) {
        Some((_, _, c)) => finish(a, b, c.score),
        None => {
            if a.raw.trim() == b.raw.trim() {
                1.0
            } else {
                0.0
            }
        }
    }
}

fn best_pair<'a>(a: &'a NameForm, b: &'a NameForm) -> Option<(&'a Variant, &'a Variant, Compared)> {
    let mut best: Option<(&Variant, &Variant, Compared)> = None;
    for va in &a.variants {
        for vb in &b.variants {
            let c = compare(va, vb);
            if best.as_ref().is_none_or(|(_, _, bc)| c.score > bc.score) {
                best = Some((va, vb, c));
            }
        }
    }
    best
}

pub(crate) struct Compared {
    pub score: f64,
    pairs: Vec<(usize, usize, f32, MatchKind)>,
    unmatched_a: Vec<usize>,
    unmatched_b: Vec<usize>,
    legal: LegalFormRelation,
    penalties: Vec<(&'static str, f64)>,
}

/// Pairs weaker than this count as mismatched words for the penalty.
const STRONG: f32 = 0.75;
/// Penalty per unit of weight of an unmatched word.
const UNMATCHED: f32 = 0.25;
/// Word pairs weaker than this are not aligned at all.
const MIN_PAIR: f32 = 0.2;
/// Penalty per unit of weight of an extra given name or patronymic (see [`extra_given_names`]).
const EXTRA_NAME: f32 = 0.08;

type Pair = (usize, usize, f32, MatchKind);

/// Whether the words `unmatched` of `long` are extra given names or patronymics of a person whose
/// name `short` gives in part (`Vladimir Putin` / `PUTIN, Vladimir Vladimirovich`): every word of
/// `short` (two to four distinctive words) is matched, `long` has one or two more distinctive
/// words, neither name has a legal form or numeral, and the surname is among the matched words
/// (`long`'s first word is matched, or its last word is matched and is not a patronymic).
/// `side(pair)` gives (index in `short`, index in `long`).
fn extra_given_names(
    short: &Variant,
    long: &Variant,
    pairs: &[Pair],
    side: impl Fn(&Pair) -> (usize, usize),
    unmatched: &[usize],
) -> bool {
    let distinct = |t: &Token| t.weight >= W_DISTINCT;
    if unmatched.is_empty()
        || unmatched.len() > 2
        || !(2..=4).contains(&short.tokens.len())
        || !short.legal_forms.is_empty()
        || !long.legal_forms.is_empty()
        || !short.numerals.is_empty()
        || !long.numerals.is_empty()
        || short.vessel_prefix
        || long.vessel_prefix
        || !short.tokens.iter().all(distinct)
        || !unmatched.iter().all(|&i| distinct(&long.tokens[i]))
    {
        return false;
    }
    let strong: Vec<(usize, usize)> = pairs
        .iter()
        .filter(|p| p.2 >= STRONG && !matches!(p.3, MatchKind::Joined | MatchKind::Split))
        .map(&side)
        .collect();
    if strong.len() != short.tokens.len() || strong.len() + unmatched.len() != long.tokens.len() {
        return false;
    }
    let matched_long = |i: usize| strong.iter().any(|&(_, l)| l == i);
    let last = long.tokens.len() - 1;
    matched_long(0) || (matched_long(last) && !is_patronymic(&long.tokens[last].text))
}

/// East Slavic and Turkic patronymics (`Vladimirovich`, `Ivanovna`, `Ilyich`, `Aliyevich`: all
/// `-ich`; `Mammad oglu`, `kyzy`).
fn is_patronymic(w: &str) -> bool {
    w.len() >= 6
        && [
            "ich", "ovna", "evna", "ichna", "ogly", "oglu", "ugli", "kyzy", "qizi",
        ]
        .iter()
        .any(|s| w.ends_with(s))
}

fn compare(a: &Variant, b: &Variant) -> Compared {
    let mut penalties: Vec<(&'static str, f64)> = Vec::new();
    let mut factor = 1.0f64;
    let mut pen = |reason: &'static str, f: f64, penalties: &mut Vec<(&'static str, f64)>| {
        factor *= f;
        penalties.push((reason, f));
    };
    // Alignment: word against word; then, if words are left without a strong pair on both sides,
    // one word against two adjacent words of the other name written as one (`Abdurrahman` /
    // `Abdul Rahman`).
    let mut cands: Vec<Cand> = Vec::new();
    for (i, ta) in a.tokens.iter().enumerate() {
        for (j, tb) in b.tokens.iter().enumerate() {
            let (s, k) = token_sim(ta, tb);
            if s >= MIN_PAIR {
                cands.push(Cand {
                    s,
                    a: (i, 1),
                    b: (j, 1),
                    kind: k,
                    words: (ta, tb),
                });
            }
        }
    }
    sort_cands(&mut cands);
    let mut al = align(&cands, a.tokens.len(), b.tokens.len());
    let before_runs = cands.len();
    // Only pairs of weak words that some weak word of the other name could equal: about as long
    // as both together, written with the same first letters (up to three) and the same last one.
    let split_pairs = |v: &Variant, sims: &[f32], o: &Variant, other: &[f32]| {
        let fits = |k: usize| {
            let (Some(x), Some(y)) = (v.tokens.get(k), v.tokens.get(k + 1)) else {
                return false;
            };
            let len = x.text.len() + y.text.len();
            let head = &x.text.as_bytes()[..x.text.len().min(3)];
            o.tokens.iter().zip(other).any(|(t, &s)| {
                s < STRONG
                    && t.text.len() >= 5
                    && t.text.len().abs_diff(len) <= 3
                    && t.text.as_bytes().starts_with(head)
                    && t.text.bytes().last() == y.text.bytes().last()
            })
        };
        (0..sims.len().saturating_sub(1))
            .filter(|&k| sims[k] < STRONG && sims[k + 1] < STRONG && fits(k))
            .filter_map(|k| compound(v, k).map(|t| (k, t)))
            .collect::<Vec<_>>()
    };
    run_cands(a, b, &al.sim_a, &al.sim_b, true, &mut cands);
    run_cands(b, a, &al.sim_b, &al.sim_a, false, &mut cands);
    let comps_a = split_pairs(a, &al.sim_a, b, &al.sim_b);
    let comps_b = split_pairs(b, &al.sim_b, a, &al.sim_a);
    for (k, tb) in &comps_b {
        for (i, ta) in a.tokens.iter().enumerate() {
            if let Some(s) = compound_sim(ta, tb) {
                cands.push(Cand {
                    s,
                    a: (i, 1),
                    b: (*k, 2),
                    kind: MatchKind::Split,
                    words: (ta, tb),
                });
            }
        }
    }
    for (k, ta) in &comps_a {
        for (j, tb) in b.tokens.iter().enumerate() {
            if let Some(s) = compound_sim(tb, ta) {
                cands.push(Cand {
                    s,
                    a: (*k, 2),
                    b: (j, 1),
                    kind: MatchKind::Split,
                    words: (ta, tb),
                });
            }
        }
    }
    if cands.len() > before_runs {
        sort_cands(&mut cands);
        al = align(&cands, a.tokens.len(), b.tokens.len());
    }
    let Aligned {
        sim_a,
        sim_b,
        mut pairs,
    } = al;
    let absorbed_a = article_absorbed(a, b, &sim_a, &pairs, |p| (p.0, p.1));
    let absorbed_b = article_absorbed(b, a, &sim_b, &pairs, |p| (p.1, p.0));
    let bit = |m: u64, i: usize| i < 64 && m & (1 << i) != 0;
    let wa: f32 = a
        .tokens
        .iter()
        .enumerate()
        .filter(|(i, _)| !bit(absorbed_a, *i))
        .map(|(_, t)| t.weight)
        .sum();
    let wb: f32 = b
        .tokens
        .iter()
        .enumerate()
        .filter(|(i, _)| !bit(absorbed_b, *i))
        .map(|(_, t)| t.weight)
        .sum();
    let num: f32 = a
        .tokens
        .iter()
        .zip(&sim_a)
        .chain(b.tokens.iter().zip(&sim_b))
        .map(|(t, s)| s * t.weight)
        .sum();
    let mut base = if wa + wb > 0.0 {
        f64::from(num / (wa + wb))
    } else {
        0.0
    };
    let unmatched_a: Vec<usize> = (0..a.tokens.len())
        .filter(|&i| sim_a[i] == 0.0 && !bit(absorbed_a, i))
        .collect();
    let unmatched_b: Vec<usize> = (0..b.tokens.len())
        .filter(|&j| sim_b[j] == 0.0 && !bit(absorbed_b, j))
        .collect();
    // Missing or extra spaces: equal once concatenated.
    let joined_equal = !a.joined.is_empty() && a.joined == b.joined;
    if joined_equal && base < 0.95 {
        base = 0.95;
        pairs.clear();
        pairs.push((usize::MAX, usize::MAX, 0.95, MatchKind::Joined));
    } else {
        let extra_a = extra_given_names(b, a, &pairs, |p| (p.1, p.0), &unmatched_a);
        let extra_b = extra_given_names(a, b, &pairs, |p| (p.0, p.1), &unmatched_b);
        for (extra, unmatched, v) in [(extra_a, &unmatched_a, a), (extra_b, &unmatched_b, b)] {
            for &i in unmatched {
                let w = v.tokens[i].weight;
                if extra {
                    pen(
                        "extra given name",
                        f64::from(1.0 - EXTRA_NAME * w),
                        &mut penalties,
                    );
                } else {
                    pen(
                        "unmatched word",
                        f64::from(1.0 - UNMATCHED * w),
                        &mut penalties,
                    );
                }
            }
        }
        for &(i, j, s, _) in &pairs {
            if s < STRONG {
                let w = a.tokens[i].weight.max(b.tokens[j].weight);
                pen("mismatched word", f64::from(1.0 - 0.2 * w), &mut penalties);
            }
        }
    }
    // Numerals (vessel numbers, numbered companies).
    if a.numerals != b.numerals {
        if !a.numerals.is_empty() && !b.numerals.is_empty() {
            pen("different numerals", 0.5, &mut penalties);
        } else {
            // A hull number or ordinal is a distinctive part of the name (`OCEAN PEARL II` is
            // not `OCEAN PEARL`): like an unmatched distinctive word.
            pen(
                "numeral on one side",
                f64::from(1.0 - UNMATCHED * W_DISTINCT),
                &mut penalties,
            );
        }
    }
    let legal = legal_relation(&a.legal_forms, &b.legal_forms);
    match legal {
        LegalFormRelation::Conflict => pen("different legal forms", 0.7, &mut penalties),
        LegalFormRelation::Compatible => pen("compatible legal form", 0.98, &mut penalties),
        _ => {}
    }
    match (a.kind, b.kind) {
        (VariantKind::Full, VariantKind::Full) => {}
        (VariantKind::Former, _) | (_, VariantKind::Former) => {
            pen("former name", 0.95, &mut penalties)
        }
        _ => pen("qualifier removed", 0.97, &mut penalties),
    }
    // Vessel against a company with a legal form: a different kind of party.
    if (a.vessel_prefix && !b.legal_forms.is_empty())
        || (b.vessel_prefix && !a.legal_forms.is_empty())
    {
        pen("vessel against company", 0.85, &mut penalties);
    }
    if pairs.first().is_some_and(|p| p.3 == MatchKind::Joined) {
        pairs.clear();
        // Report the joined match as one pair of whole strings.
        return Compared {
            score: base * factor,
            pairs: Vec::new(),
            unmatched_a: Vec::new(),
            unmatched_b: Vec::new(),
            legal,
            penalties: {
                let mut p = penalties;
                p.insert(0, ("equal without spaces", 0.95));
                p
            },
        };
    }
    pairs.sort_by_key(|p| p.0);
    Compared {
        score: base * factor,
        pairs,
        unmatched_a,
        unmatched_b,
        legal,
        penalties,
    }
}

/// Words of `v` that are the Arabic article written apart (`Al Rashid`, `El Sisi`) before a word
/// matched with an Arabic-script word, which carries the article itself (`الراشد`): they are not
/// words of their own. `side(pair)` gives (index in `v`, index in `o`). A bit per word of `v` (the
/// first 64).
fn article_absorbed(
    v: &Variant,
    o: &Variant,
    sims: &[f32],
    pairs: &[Pair],
    side: impl Fn(&Pair) -> (usize, usize),
) -> u64 {
    if !o.tokens.iter().any(|t| t.origin == Origin::Abjad) {
        return 0;
    }
    (0..v.tokens.len().min(64))
        .filter(|&i| {
            v.tokens[i].canon == "al"
                && v.tokens[i].origin == Origin::Latin
                && sims.get(i).is_some_and(|&s| s == 0.0)
                && v.adjacent.get(i + 1).copied().unwrap_or(false)
                && pairs.iter().map(&side).any(|(x, y)| {
                    x == i + 1
                        && o.tokens.get(y).is_some_and(|t| {
                            t.origin == Origin::Abjad
                                && t.pat.as_ref().is_some_and(|p| p.starts_with_article())
                        })
                })
        })
        .fold(0u64, |m, i| m | (1 << i))
}

/// A candidate pair of the alignment: spans `(first token, count)` of each name.
struct Cand<'a> {
    s: f32,
    a: (usize, usize),
    b: (usize, usize),
    kind: MatchKind,
    /// The two words (or word and joined words), for ordering ties.
    words: (&'a Token, &'a Token),
}

fn sort_cands(cands: &mut [Cand]) {
    cands.sort_by(|x, y| {
        y.s.total_cmp(&x.s)
            .then_with(|| order_key(x.words.0, x.words.1).cmp(&order_key(y.words.0, y.words.1)))
            .then_with(|| (x.a.1 + x.b.1).cmp(&(y.a.1 + y.b.1)))
    });
}

/// The result of aligning words: which are used, the similarity of the pair each word is in, and
/// the pairs (a split word gives one pair per word of the other side).
struct Aligned {
    sim_a: Vec<f32>,
    sim_b: Vec<f32>,
    pairs: Vec<Pair>,
}

/// Greedy alignment, best candidates first (`cands` sorted by [`sort_cands`]).
fn align(cands: &[Cand], na: usize, nb: usize) -> Aligned {
    let mut al = Aligned {
        sim_a: vec![0.0; na],
        sim_b: vec![0.0; nb],
        pairs: Vec::new(),
    };
    // A word is used once it has a similarity (candidates are at least `MIN_PAIR`).
    let free = |sims: &[f32], r: &std::ops::Range<usize>| {
        r.clone().all(|i| sims.get(i).is_some_and(|&s| s == 0.0))
    };
    for c in cands {
        let (ra, rb) = (c.a.0..c.a.0 + c.a.1, c.b.0..c.b.0 + c.b.1);
        if !free(&al.sim_a, &ra) || !free(&al.sim_b, &rb) {
            continue;
        }
        for i in ra.clone() {
            al.sim_a[i] = c.s;
        }
        for j in rb.clone() {
            al.sim_b[j] = c.s;
        }
        for i in ra {
            for j in rb.clone() {
                al.pairs.push((i, j, c.s, c.kind));
            }
        }
    }
    al
}

/// Similarity of a word to two adjacent words of the other name written as one (`compound`),
/// when it is a strong one (same word, spelling or transliteration variant), slightly below the
/// same words written alike.
fn compound_sim(single: &Token, compound: &Token) -> Option<f32> {
    if single.text.len().abs_diff(compound.text.len()) > 3 || single.text.len() < 5 {
        return None;
    }
    let vowel = |t: &Token| {
        t.canon
            .bytes()
            .next()
            .is_some_and(|c| b"aeiouy".contains(&c))
    };
    if single.canon.as_bytes().first() != compound.canon.as_bytes().first()
        && !(vowel(single) && vowel(compound))
    {
        return None;
    }
    let (s, k) = strong_sim(single, compound)?;
    // A variant needs three consonants in common: the concatenation of two short words is mostly
    // vowels (`Hwei Jao` / `Huwayeh`).
    let consonants = |t: &Token| t.skels.iter().map(String::len).max().unwrap_or(0);
    let strong = match k {
        MatchKind::Exact => true,
        MatchKind::Variant => consonants(single).min(consonants(compound)) >= 3,
        _ => false,
    };
    (s >= 0.85 && strong).then_some(s * 0.95)
}

fn order_key<'a>(x: &'a Token, y: &'a Token) -> (&'a str, &'a str) {
    if x.canon <= y.canon {
        (&x.canon, &y.canon)
    } else {
        (&y.canon, &x.canon)
    }
}

fn legal_relation(a: &[String], b: &[String]) -> LegalFormRelation {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return LegalFormRelation::None,
        (true, false) | (false, true) => return LegalFormRelation::OneSide,
        _ => {}
    }
    if a.iter().any(|x| b.contains(x)) {
        return LegalFormRelation::Same;
    }
    let t = tables();
    let info = |id: &str| t.legal.iter().find(|l| l.id == id);
    // Limited-liability company forms: private limited, joint-stock and US-style corporations.
    let limited_company = |class: &str| matches!(class, "limited" | "jsc" | "corp");
    let compatible = |x: &str, y: &str| match (info(x), info(y)) {
        (Some(lx), Some(ly)) => {
            (lx.class == ly.class && (lx.generic || ly.generic))
                // A native form whose English rendering varies (`株式会社` / `Co., Ltd.`).
                || (lx.translated && (limited_company(&ly.class) || ly.class == "company"))
                || (ly.translated && (limited_company(&lx.class) || lx.class == "company"))
                || lx.class == "company"
                || ly.class == "company"
                // Two native forms of one jurisdiction (`Inc`/`Corp`, `FZE`/`FZCO`, `SAS`/`SA`).
                || ((lx.class == ly.class
                    || (limited_company(&lx.class) && limited_company(&ly.class)))
                    && lx.jurisdictions.iter().any(|j| ly.jurisdictions.contains(j)))
        }
        _ => false,
    };
    let covered = |x: &[String], y: &[String]| x.iter().all(|p| y.iter().any(|q| compatible(p, q)));
    if covered(a, b) || covered(b, a) {
        LegalFormRelation::Compatible
    } else {
        LegalFormRelation::Conflict
    }
}

/// Similarity of two words that correspond by a rule (same word, abbreviation, initial, variant),
/// `None` when no rule applies; `(0.0, Fuzzy)` when a rule rules them out (two initials).
fn strong_sim(a: &Token, b: &Token) -> Option<(f32, MatchKind)> {
    if a.canon == b.canon {
        return Some((1.0, MatchKind::Exact));
    }
    // `ä`, `ö`, `ü` against `ae`, `oe`, `ue` (`Müller` / `Mueller`).
    if a.alt.as_ref() == Some(&b.canon) || b.alt.as_ref() == Some(&a.canon) {
        return Some((1.0, MatchKind::Exact));
    }
    // A word written in another script against a Latin word: its pattern decides.
    match (&a.pat, &b.pat) {
        (Some(p), None) if latin_readable(b) => {
            return p.fits(&b.text).then_some((0.9, MatchKind::Variant));
        }
        (None, Some(p)) if latin_readable(a) => {
            return p.fits(&a.text).then_some((0.9, MatchKind::Variant));
        }
        _ => {}
    }
    let (ai, bi) = (a.is_initial(), b.is_initial());
    if ai || bi {
        if ai && bi {
            return Some((0.0, MatchKind::Fuzzy));
        }
        let (i, o) = if ai { (a, b) } else { (b, a) };
        if o.text.starts_with(i.text.as_str()) {
            return Some((0.8, MatchKind::Initial));
        }
        return Some((0.0, MatchKind::Fuzzy));
    }
    if abbreviates(a, b) || abbreviates(b, a) {
        return Some((0.9, MatchKind::Abbreviation));
    }
    let abjad_a = a.origin == Origin::Abjad;
    let abjad_b = b.origin == Origin::Abjad;
    if abjad_a != abjad_b {
        let sa = abjad_skeleton(&a.text);
        let sb = abjad_skeleton(&b.text);
        if sa.len() >= 2 && sa == sb {
            return Some((0.85, MatchKind::Consonants));
        }
    }
    let translit = a.origin != Origin::Latin || b.origin != Origin::Latin;
    let min_len = a.canon.len().min(b.canon.len());
    let skeleton = a.canon.as_bytes().first() == b.canon.as_bytes().first()
        && (min_len >= 6 || (translit && min_len >= 3))
        && a.skels.iter().any(|s| s.len() >= 2 && b.skels.contains(s));
    // Vowels are compared when the skeletons agree (to reject `Bashar`/`Bushra`) or the words
    // have as many consonants and vowel runs (a variant needs that).
    let vowels = match (&a.vkey, &b.vkey) {
        (Some(x), Some(y)) if skeleton || (x.len() == y.len() && a.vsig == b.vsig) => {
            vowel_relation(x, y, skeleton)
        }
        _ => VowelRelation::Unrelated,
    };
    if skeleton && vowels != VowelRelation::Different {
        return Some((0.9, MatchKind::Variant));
    }
    if vowels == VowelRelation::Variant {
        let len = a.text.len().min(b.text.len());
        return Some((if len >= 6 { 0.9 } else { 0.85 }, MatchKind::Variant));
    }
    None
}

/// A word in Latin letters (or transliterated without a pattern of its own), which a script
/// word's pattern can read.
fn latin_readable(t: &Token) -> bool {
    t.pat.is_none() && !t.text.is_empty() && t.text.bytes().all(|b| b.is_ascii_lowercase())
}

/// Similarity of a word read off the pattern of several script words, or of a script word read
/// as several Latin words.
const RUN_SIM: f32 = 0.9;

/// Candidates of one word against several adjacent words of the other name read as one, when one
/// side is written in another script: a Latin word against a run of two to four script words
/// (`Suzuki` / `鈴木`, `Geunhye` / `근혜`, `Yadanar` / `ရ တ နာ`), or a script word against two or
/// three adjacent Latin words (`Som Sak` / `สมศักดิ์`, `Abdul Rahman` / `عبدالرحمن`). A run that
/// covers more words scores a thousandth more per word. `x_is_a` says whether `x` is the first
/// name.
fn run_cands<'a>(
    x: &'a Variant,
    y: &'a Variant,
    sx: &[f32],
    sy: &[f32],
    x_is_a: bool,
    out: &mut Vec<Cand<'a>>,
) {
    // Every word is tried, matched or not: a Latin word read off two kanji (`Ito` / `伊藤`) is a
    // better reading than off the first alone (`伊` is also read `ito`), and wins the tie.
    let weak = |s: &[f32], k: usize| s.get(k).is_some();
    let adjacent = |v: &Variant, k: usize, len: usize| {
        (k + 1..k + len).all(|m| v.adjacent.get(m).copied().unwrap_or(false))
    };
    let mut push = |xi: (usize, usize), yi: (usize, usize), tx: &'a Token, ty: &'a Token| {
        let span = (xi.1 + yi.1).saturating_sub(2) as f32;
        let (a, b, words) = if x_is_a {
            (xi, yi, (tx, ty))
        } else {
            (yi, xi, (ty, tx))
        };
        out.push(Cand {
            s: RUN_SIM + 0.001 * span,
            a,
            b,
            kind: MatchKind::Split,
            words,
        });
    };
    if !y.tokens.iter().any(|t| t.pat.is_some()) {
        return;
    }
    for (i, tx) in x.tokens.iter().enumerate() {
        if !weak(sx, i) || !latin_readable(tx) {
            continue;
        }
        for k in 0..y.tokens.len() {
            for len in 2..=4usize {
                let Some(run) = y.tokens.get(k..k + len) else {
                    break;
                };
                if !(k..k + len).all(|m| weak(sy, m))
                    || !run.iter().all(|t| t.pat.is_some())
                    || !adjacent(y, k, len)
                {
                    break;
                }
                let slots = run
                    .iter()
                    .filter_map(|t| t.pat.as_deref())
                    .flat_map(|p| p.slots.iter());
                if fits_slots(slots, &tx.text) {
                    push((i, 1), (k, len), tx, &y.tokens[k]);
                }
            }
        }
    }
    let mut text = String::new();
    for (j, ty) in y.tokens.iter().enumerate() {
        let Some(p) = ty.pat.as_deref() else {
            continue;
        };
        if !weak(sy, j) {
            continue;
        }
        for k in 0..x.tokens.len() {
            for len in 2..=3usize {
                let Some(run) = x.tokens.get(k..k + len) else {
                    break;
                };
                if !(k..k + len).all(|m| weak(sx, m))
                    || !run.iter().all(latin_readable)
                    || !adjacent(x, k, len)
                {
                    break;
                }
                text.clear();
                for t in run {
                    text.push_str(&t.text);
                }
                if p.fits(&text) {
                    push((k, len), (j, 1), &x.tokens[k], ty);
                }
            }
        }
    }
}

/// Similarity of two words and how they correspond.
pub(crate) fn token_sim(a: &Token, b: &Token) -> (f32, MatchKind) {
    if let Some(r) = strong_sim(a, b) {
        return r;
    }
    let jw = jaro_winkler(&a.canon, &b.canon);
    let s = if jw < 0.8 {
        0.0
    } else {
        (jw - 0.8) / 0.2 * 0.7
    };
    (s as f32, MatchKind::Fuzzy)
}

/// How two words compare on their consonants and vowels ([`vowel_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VowelRelation {
    /// Different consonants (or no key): the vowels say nothing.
    Unrelated,
    /// Same consonants, vowels differing only as transliterations do.
    Variant,
    /// Same consonants, but the first vowels differ in kind (`Hassan`/`Hussein`,
    /// `Bashar`/`Bushra`, `Mahmoud`/`Muhammad`): different names, whatever the consonant
    /// skeleton says.
    Different,
    /// Same consonants, vowels differing otherwise (`Abdullah`/`Abdallah`, `Aleksandr`/
    /// `Alexander`, typos): the consonant skeleton decides.
    Loose,
}

/// Consonants that transliterations interchange: `kh` with `k` and `h` (`Rostekh`/`Rostec`).
fn same_consonant(x: u8, y: u8) -> bool {
    x == y || matches!((x.min(y), x.max(y)), (b'X', b'h' | b'k'))
}

/// Vowels that transliterations interchange: `a`/`e` (fatha), `e`/`i`/`y` (kasra), `o`/`u` (damma).
fn same_vowel(x: u8, y: u8) -> bool {
    x == y
        || matches!(
            (x.min(y), x.max(y)),
            (b'a', b'e') | (b'e', b'i') | (b'o', b'u')
        )
}

/// Compare two vowel runs: each letter the same or interchanged (`a`/`e`, `e`/`i`, `o`/`u`). In
/// the last syllable of a word ending in one consonant (`last`, not the word's `first` vowel), `e`
/// also stands for any single vowel (reduced vowel: `Youssef`/`Yusuf`).
fn runs_match(x: &[u8; 3], y: &[u8; 3], first: bool, last: bool) -> bool {
    let len = |r: &[u8; 3]| r.iter().take_while(|&&c| c != 0).count();
    let (lx, ly) = (len(x), len(y));
    if lx == ly && x.iter().zip(y).all(|(&p, &q)| same_vowel(p, q)) {
        return true;
    }
    last && !first && lx == 1 && ly == 1 && (x[0] == b'e' || y[0] == b'e')
}

/// `skeleton`: whether the consonant skeletons already agree (then the first vowels are checked
/// even when the consonants read here differ).
fn vowel_relation(a: &[Seg], b: &[Seg], skeleton: bool) -> VowelRelation {
    fn cons(k: &[Seg]) -> impl Iterator<Item = u8> + '_ {
        k.iter().filter_map(|s| match s {
            Seg::Cons(c) => Some(*c),
            Seg::Vowels(_) => None,
        })
    }
    let same_consonants = || {
        let (mut x, mut y) = (cons(a), cons(b));
        let mut n = 0;
        loop {
            match (x.next(), y.next()) {
                (Some(p), Some(q)) if same_consonant(p, q) => n += 1,
                (None, None) => return n >= 2,
                _ => return false,
            }
        }
    };
    if !skeleton && !same_consonants() {
        return VowelRelation::Unrelated;
    }
    let compatible = |p: &[u8; 3], q: &[u8; 3]| {
        p.iter()
            .filter(|&&c| c != 0)
            .any(|&c| q.iter().filter(|&&d| d != 0).any(|&d| same_vowel(c, d)))
    };
    // The first vowel, when both words have it in the same place (at the start, or after the
    // same first consonant), must be of the same kind: `Mahmoud`/`Muhammad`, `Bashar`/`Bushra`,
    // `Hassan`/`Hussein` are different names with one skeleton. (Elsewhere a vowel may be dropped
    // or moved by a typo: `Mohamde`, `Francisoc`.)
    let at = match (a.first(), b.first()) {
        (Some(Seg::Vowels(_)), _) => 0,
        (Some(Seg::Cons(x)), Some(Seg::Cons(y))) if same_consonant(*x, *y) => 1,
        _ => usize::MAX,
    };
    if let (Some(Seg::Vowels(p)), Some(Seg::Vowels(q))) = (a.get(at), b.get(at)) {
        if !compatible(p, q) {
            return VowelRelation::Different;
        }
    }
    if skeleton && !same_consonants() {
        return VowelRelation::Unrelated;
    }
    // Transliteration variants: the same consonants and vowel runs in the same places, each
    // vowel interchangeable (`Usama`/`Osama`, `Ahmed`/`Ahmad`, `Yusuf`/`Youssef`).
    if a.len() != b.len() {
        return VowelRelation::Loose;
    }
    let mut first = true;
    let mut all = true;
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        match (x, y) {
            (Seg::Cons(_), Seg::Cons(_)) => {}
            (Seg::Vowels(p), Seg::Vowels(q)) => {
                // The word's last vowel, closed by one final consonant, may be reduced to `e`.
                let last = k + 2 == a.len() && matches!(a[k + 1], Seg::Cons(_));
                all &= runs_match(p, q, first, last);
                first = false;
            }
            _ => return VowelRelation::Loose,
        }
    }
    // One-syllable words (`Sand`/`Send`, `Bill`/`Bell`) are different words, not variants.
    let syllables = a.iter().filter(|s| matches!(s, Seg::Vowels(_))).count();
    if all && syllables >= 2 {
        VowelRelation::Variant
    } else {
        VowelRelation::Loose
    }
}

/// `short` (written as an abbreviation, or consonants only) shortens `long`: same first letter and
/// its letters appear in order in `long`.
fn abbreviates(short: &Token, long: &Token) -> bool {
    let s = short.text.as_bytes();
    let l = long.text.as_bytes();
    if s.len() < 2 || s.len() >= l.len() || s.first() != l.first() {
        return false;
    }
    // Written without a period, an abbreviation has no vowel after its first letter ("Mgmt",
    // "Eqpt", "Intl") and is clearly shorter than the word.
    let consonants_only = s.len() >= 3
        && l.len() >= s.len() + 2
        && !s[1..]
            .iter()
            .any(|&c| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y'));
    if !(short.abbrev || consonants_only) {
        return false;
    }
    let mut it = l.iter();
    s.iter().all(|c| it.any(|x| x == c))
}

/// Jaro-Winkler similarity of two ASCII strings (symmetric).
pub(crate) fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    let a = a.as_bytes();
    let b = b.as_bytes();
    if a.is_empty() || b.is_empty() {
        return if a == b { 1.0 } else { 0.0 };
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut b_used = [false; 64];
    let mut b_used_vec;
    let b_used: &mut [bool] = if b.len() <= 64 {
        &mut b_used[..b.len()]
    } else {
        b_used_vec = vec![false; b.len()];
        &mut b_used_vec
    };
    let mut a_buf = [0u8; 64];
    let mut a_vec;
    let a_matches: &mut [u8] = if a.len() <= 64 {
        &mut a_buf[..a.len()]
    } else {
        a_vec = vec![0u8; a.len()];
        &mut a_vec
    };
    let mut m = 0;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_used[j] && b[j] == ca {
                b_used[j] = true;
                a_matches[m] = ca;
                m += 1;
                break;
            }
        }
    }
    let a_matches = &a_matches[..m];
    if m == 0 {
        return 0.0;
    }
    let b_matches = b
        .iter()
        .zip(b_used.iter())
        .filter(|(_, &u)| u)
        .map(|(&c, _)| c);
    let transpositions = a_matches
        .iter()
        .zip(b_matches)
        .filter(|(x, y)| **x != *y)
        .count()
        / 2;
    let m = m as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64) / m) / 3.0;
    let prefix = a
        .iter()
        .zip(b.iter())
        .take(4)
        .take_while(|(x, y)| x == y)
        .count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jw_known_values() {
        assert!((jaro_winkler("martha", "marhta") - 0.9611).abs() < 1e-3);
        assert!((jaro_winkler("dixon", "dicksonx") - 0.8133).abs() < 1e-3);
        assert_eq!(jaro_winkler("abc", "abc"), 1.0);
    }

    #[test]
    fn patronymics() {
        assert!(is_patronymic("vladimirovich"));
        assert!(is_patronymic("ivanovna"));
        assert!(!is_patronymic("putin"));
        assert!(!is_patronymic("rich"));
    }

    #[test]
    fn config_validation() {
        assert!(MatchConfig::new(0.8, 0.9).is_err());
        assert!(MatchConfig::new(1.5, 0.5).is_err());
        assert!(MatchConfig::new(0.8, 0.6).is_ok());
    }
}
