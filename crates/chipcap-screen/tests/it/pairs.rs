use chipcap_screen::eval::evaluate_pairs;
use chipcap_screen::MatchConfig;

use crate::read_data;

/// The matcher must reach F1 >= 0.75 on the labelled Cascade name pairs at the default threshold.
#[test]
fn cascade_pairs_f1_at_least_0_75() {
    let bytes = read_data("cascade-name-pairs.csv");
    let r = evaluate_pairs(&bytes, &MatchConfig::default(), 0.80).unwrap();
    assert_eq!(r.pairs.len(), 300);
    let o = r.overall;
    assert!(
        o.f1() >= 0.75,
        "F1 {:.3} (precision {:.3}, recall {:.3}) is below 0.75",
        o.f1(),
        o.precision(),
        o.recall()
    );
    // The reference engine's own score column, for comparison.
    let b = r.reference.unwrap();
    assert!((b.f1() - 0.489).abs() < 0.01);
}

/// The index finds what the pairwise scorer matches: screening each `name1` against an index of
/// all `name2`s returns the labelled counterpart whenever the pair scores as a match.
#[test]
fn index_candidate_generation_finds_pairwise_matches() {
    use chipcap_screen::{Entry, Query, Screener};
    let bytes = read_data("cascade-name-pairs.csv");
    let r = evaluate_pairs(&bytes, &MatchConfig::default(), 0.80).unwrap();
    let entries: Vec<Entry> = r
        .pairs
        .iter()
        .map(|p| Entry {
            key: format!("pair:{}", p.line),
            name: p.name2.clone(),
            ..Entry::default()
        })
        .collect();
    let s = Screener::from_entries(entries, MatchConfig::default());
    let mut missed = Vec::new();
    for p in r.pairs.iter().filter(|p| p.score >= 0.80) {
        let hits = s.screen(&Query::name(p.name1.clone()));
        let key = format!("pair:{}", p.line);
        if !hits.iter().any(|h| h.entry_key == key && h.is_match) {
            missed.push(format!("{} <-> {}", p.name1, p.name2));
        }
    }
    assert!(
        missed.is_empty(),
        "index missed {} pairwise matches: {missed:#?}",
        missed.len()
    );
}
