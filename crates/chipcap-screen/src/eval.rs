//! Accuracy of the matcher on labelled name pairs (the `cascade-name-pairs.csv` layout:
//! `case_group, schema, name1, name2, is_match, quality, category, ...`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{from_csv, record_line, ScreenError};
use crate::score::{score, MatchConfig};

const FORMAT: &str = "name-pairs";

/// Confusion counts and the derived measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Labelled matches scored as matches.
    pub tp: u32,
    /// Labelled non-matches scored as matches.
    pub fp: u32,
    /// Labelled matches scored as non-matches.
    pub fn_: u32,
    /// Labelled non-matches scored as non-matches.
    pub tn: u32,
}

impl Counts {
    fn add(&mut self, label: bool, predicted: bool) {
        match (label, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    /// tp / (tp + fp), 1.0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        let d = self.tp + self.fp;
        if d == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(d)
        }
    }
    /// tp / (tp + fn), 1.0 when there is nothing to find.
    pub fn recall(&self) -> f64 {
        let d = self.tp + self.fn_;
        if d == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(d)
        }
    }
    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    /// (tp + tn) / all.
    pub fn accuracy(&self) -> f64 {
        let all = self.tp + self.fp + self.fn_ + self.tn;
        if all == 0 {
            1.0
        } else {
            f64::from(self.tp + self.tn) / f64::from(all)
        }
    }
}

/// One scored pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairResult {
    /// 1-based line in the file.
    pub line: u64,
    /// Category label.
    pub category: String,
    /// Script of the pair (`script` column), if the file has one.
    pub script: Option<String>,
    /// First name.
    pub name1: String,
    /// Second name.
    pub name2: String,
    /// Labelled answer.
    pub is_match: bool,
    /// Our score.
    pub score: f64,
    /// The reference engine's score, if the file has a `score` column.
    pub reference_score: Option<f64>,
}

/// Results of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Threshold used.
    pub threshold: f64,
    /// Counts over all pairs.
    pub overall: Counts,
    /// Counts per category.
    pub by_category: BTreeMap<String, Counts>,
    /// Counts per script, when the file has a `script` column (empty otherwise).
    pub by_script: BTreeMap<String, Counts>,
    /// Counts of the reference engine's `score` column at `reference_threshold`, when present.
    pub reference: Option<Counts>,
    /// Threshold used for the reference column.
    pub reference_threshold: f64,
    /// Every pair.
    pub pairs: Vec<PairResult>,
}

/// Score every pair of a labelled CSV and count agreement at `config.match_threshold`; the
/// reference `score` column, if present, is judged at `reference_threshold`; a `script` column,
/// if present, gives counts per script.
///
/// # Errors
/// [`ScreenError::MissingColumn`] when `name1`, `name2`, `is_match` or `category` is absent,
/// [`ScreenError::Malformed`] / [`ScreenError::InvalidField`] for unreadable rows.
pub fn evaluate_pairs(
    csv_bytes: &[u8],
    config: &MatchConfig,
    reference_threshold: f64,
) -> Result<EvalReport, ScreenError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv_bytes);
    let headers = rdr
        .headers()
        .map_err(|e| from_csv(FORMAT, &e, csv_bytes))?
        .clone();
    let col = |name: &str| -> Result<usize, ScreenError> {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or(ScreenError::MissingColumn {
                format: FORMAT,
                line: 1,
                column: name.to_string(),
            })
    };
    let (c1, c2, cm, cc) = (
        col("name1")?,
        col("name2")?,
        col("is_match")?,
        col("category")?,
    );
    let cs = headers.iter().position(|h| h.trim() == "score");
    let cscript = headers.iter().position(|h| h.trim() == "script");
    let mut by_script: BTreeMap<String, Counts> = BTreeMap::new();
    let mut overall = Counts::default();
    let mut reference = cs.map(|_| Counts::default());
    let mut by_category: BTreeMap<String, Counts> = BTreeMap::new();
    let mut pairs = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| from_csv(FORMAT, &e, csv_bytes))?;
        let pos = rec.position().cloned();
        let line = || record_line(csv_bytes, pos.as_ref());
        let f = |i: usize| rec.get(i).unwrap_or("").to_string();
        let label = match f(cm).trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            other => {
                return Err(ScreenError::InvalidField {
                    format: FORMAT,
                    line: line(),
                    field: "is_match".into(),
                    value: other.to_string(),
                })
            }
        };
        let e = score(&f(c1), &f(c2), config);
        overall.add(label, e.is_match);
        by_category.entry(f(cc)).or_default().add(label, e.is_match);
        let script = cscript.map(f);
        if let Some(sc) = &script {
            by_script
                .entry(sc.clone())
                .or_default()
                .add(label, e.is_match);
        }
        let reference_score = cs
            .and_then(|i| rec.get(i))
            .and_then(|s| s.trim().parse::<f64>().ok());
        if let (Some(r), Some(s)) = (reference.as_mut(), reference_score) {
            r.add(label, s >= reference_threshold);
        }
        pairs.push(PairResult {
            line: line(),
            category: f(cc),
            script,
            name1: f(c1),
            name2: f(c2),
            is_match: label,
            score: e.score,
            reference_score,
        });
    }
    Ok(EvalReport {
        threshold: config.match_threshold,
        overall,
        by_category,
        by_script,
        reference,
        reference_threshold,
        pairs,
    })
}
