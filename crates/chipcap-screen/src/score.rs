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
    abjad_skeleton, tables, NameForm, Origin, Token, Variant, VariantKind, W_DISTINCT,
};

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
    /// Same kind, one being the generic English translation (`OÜ` / `Ltd`).
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
        .filter(|p| p.2 >= STRONG && p.3 != MatchKind::Joined)
        .map(&side)
        .collect();
    if strong.len() != short.tokens.len() || strong.len() + unmatched.len() != long.tokens.len() {
        return false;
    }
    let matched_long = |i: usize| strong.iter().any(|&(_, l)| l == i);
    let last = long.tokens.len() - 1;
    matched_long(0) || (matched_long(last) && !is_patronymic(&long.tokens[last].text))
}

/// East Slavic and Turkic patronymics (`Vladimirovich`, `Ivanovna`, `Ilyich`, `Aliyevich`,
/// `Mammad oglu`, `kyzy`).
fn is_patronymic(w: &str) -> bool {
    w.len() >= 6
        && [
            "ovich", "evich", "ovna", "evna", "ichna", "ich", "ogly", "oglu", "ugli", "kyzy",
            "qizi",
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
    // Alignment.
    let mut cands: Vec<(f32, usize, usize, MatchKind)> = Vec::new();
    for (i, ta) in a.tokens.iter().enumerate() {
        for (j, tb) in b.tokens.iter().enumerate() {
            let (s, k) = token_sim(ta, tb);
            if s >= MIN_PAIR {
                cands.push((s, i, j, k));
            }
        }
    }
    cands.sort_by(|x, y| {
        y.0.total_cmp(&x.0).then_with(|| {
            let kx = order_key(&a.tokens[x.1], &b.tokens[x.2]);
            let ky = order_key(&a.tokens[y.1], &b.tokens[y.2]);
            kx.cmp(&ky)
        })
    });
    let mut used_a = vec![false; a.tokens.len()];
    let mut used_b = vec![false; b.tokens.len()];
    let mut pairs = Vec::new();
    for (s, i, j, k) in cands {
        if !used_a[i] && !used_b[j] {
            used_a[i] = true;
            used_b[j] = true;
            pairs.push((i, j, s, k));
        }
    }
    let wa: f32 = a.tokens.iter().map(|t| t.weight).sum();
    let wb: f32 = b.tokens.iter().map(|t| t.weight).sum();
    let num: f32 = pairs
        .iter()
        .map(|&(i, j, s, _)| s * (a.tokens[i].weight + b.tokens[j].weight))
        .sum();
    let mut base = if wa + wb > 0.0 {
        f64::from(num / (wa + wb))
    } else {
        0.0
    };
    let unmatched_a: Vec<usize> = (0..a.tokens.len()).filter(|&i| !used_a[i]).collect();
    let unmatched_b: Vec<usize> = (0..b.tokens.len()).filter(|&j| !used_b[j]).collect();
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
            pen("numeral on one side", 0.9, &mut penalties);
        }
    }
    let legal = legal_relation(&a.legal_forms, &b.legal_forms);
    match legal {
        LegalFormRelation::Conflict => pen("different legal forms", 0.7, &mut penalties),
        LegalFormRelation::Compatible => pen("translated legal form", 0.98, &mut penalties),
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
    let compatible = |x: &str, y: &str| match (info(x), info(y)) {
        (Some(lx), Some(ly)) => {
            (lx.class == ly.class && (lx.generic || ly.generic))
                || lx.class == "company"
                || ly.class == "company"
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

/// Similarity of two words and how they correspond.
pub(crate) fn token_sim(a: &Token, b: &Token) -> (f32, MatchKind) {
    if a.canon == b.canon {
        return (1.0, MatchKind::Exact);
    }
    // `ä`, `ö`, `ü` against `ae`, `oe`, `ue` (`Müller` / `Mueller`).
    if a.alt.as_ref() == Some(&b.canon) || b.alt.as_ref() == Some(&a.canon) {
        return (1.0, MatchKind::Exact);
    }
    let (ai, bi) = (a.is_initial(), b.is_initial());
    if ai || bi {
        if ai && bi {
            return (0.0, MatchKind::Fuzzy);
        }
        let (i, o) = if ai { (a, b) } else { (b, a) };
        if o.text.starts_with(i.text.as_str()) {
            return (0.8, MatchKind::Initial);
        }
        return (0.0, MatchKind::Fuzzy);
    }
    if abbreviates(a, b) || abbreviates(b, a) {
        return (0.9, MatchKind::Abbreviation);
    }
    let abjad_a = a.origin == Origin::Abjad;
    let abjad_b = b.origin == Origin::Abjad;
    if abjad_a != abjad_b {
        let sa = abjad_skeleton(&a.text);
        let sb = abjad_skeleton(&b.text);
        if sa.len() >= 2 && sa == sb {
            return (0.85, MatchKind::Consonants);
        }
    }
    let translit = a.origin != Origin::Latin || b.origin != Origin::Latin;
    let min_len = a.canon.len().min(b.canon.len());
    if a.canon.as_bytes().first() == b.canon.as_bytes().first()
        && (min_len >= 6 || (translit && min_len >= 3))
        && a.skels.iter().any(|s| s.len() >= 2 && b.skels.contains(s))
    {
        return (0.9, MatchKind::Variant);
    }
    let jw = jaro_winkler(&a.canon, &b.canon);
    let s = if jw < 0.8 {
        0.0
    } else {
        (jw - 0.8) / 0.2 * 0.7
    };
    (s as f32, MatchKind::Fuzzy)
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
