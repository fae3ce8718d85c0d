//! Error classes found in review: leading legal forms, umlauts written as `ue`/`ae`/`oe`, dotted
//! acronyms, missing given names and patronymics. Each has positive and negative examples.

use chipcap_screen::{score, MatchConfig};

fn s(a: &str, b: &str) -> f64 {
    let e = score(a, b, &MatchConfig::default());
    // Symmetric.
    let r = score(b, a, &MatchConfig::default());
    assert!(
        (e.score - r.score).abs() < 1e-9,
        "asymmetric: {a:?}/{b:?} {} vs {}",
        e.score,
        r.score
    );
    e.score
}

const MATCH: f64 = 0.80;
const REVIEW: f64 = 0.65;

#[test]
fn leading_legal_form_before_one_word() {
    assert!(s("OOO Vektor", "Vektor LLC") >= MATCH);
    assert!(s("Zvezda PJSC", "PJSC ZVEZDA") >= MATCH);
    assert!(s("Limited Liability Company Vektor", "Vektor LLC") >= MATCH);
    assert!(s("Vektor", "OOO Vektor") >= MATCH);
    // OFAC spellings of Russian forms (`-oe` as well as `-oye`).
    assert!(s("OTKRYTOE AKTSIONERNOE OBSHCHESTVO ZVEZDA", "OAO Zvezda") >= MATCH);
    assert!(s("ZAKRYTOE AKTSIONERNOE OBSHCHESTVO ZVEZDA", "ZAO Zvezda") >= MATCH);
    assert!(
        s(
            "Zakrytoye Aktsionernoye Obshchestvo Zvezda",
            "ZAKRYTOE AKTSIONERNOE OBSHCHESTVO ZVEZDA"
        ) >= MATCH
    );
    // Negative: the form alone does not make two names alike.
    assert!(s("OOO Vektor", "OOO Vostok") < REVIEW);
    assert!(s("OOO Vektor", "Vostok LLC") < REVIEW);
    assert!(s("OTKRYTOE AKTSIONERNOE OBSHCHESTVO ZVEZDA", "OAO Vostok") < REVIEW);
    // A spelling marked ambiguous (also a name word) stays a word before a single name word.
    assert!(s("Chao Le 8", "Le 8") < REVIEW);
    assert!(s("PT Maju", "Maju") < MATCH);
}

#[test]
fn umlaut_written_with_e() {
    assert!(s("Müller", "Mueller") >= MATCH);
    assert!(s("Müller GmbH", "MUELLER GMBH") >= MATCH);
    assert!(s("Jürgen Bäcker", "Juergen Baecker") >= MATCH);
    assert!(s("Schöne Aussicht GmbH", "Schoene Aussicht GmbH") >= MATCH);
    // The accent dropped still matches, and other languages are unchanged.
    assert!(s("Müller", "Muller") >= MATCH);
    assert!(s("Öztürk Tekstil", "Ozturk Tekstil") >= MATCH);
    // Negative: a different vowel is a different name.
    assert!(s("Müller", "Moeller") < REVIEW);
    assert!(s("Müller", "Miller") < MATCH);
    assert!(s("Bäcker", "Boecker") < MATCH);
}

#[test]
fn dotted_acronyms() {
    assert!(s("I.R.I.S.L.", "IRISL") >= MATCH);
    assert!(s("I R I S L", "IRISL") >= MATCH);
    assert!(s("I.R.I.S.L.", "I R I S L") >= MATCH);
    assert!(s("N.K. Bansal & Co.", "NK Bansal and Co") >= MATCH);
    // Legal forms written with periods, with or without spaces.
    assert!(s("Fabjan Prevozi d.o.o.", "Fabjan Prevozi d. o. o.") >= MATCH);
    assert!(s("Lefkada Bulk Carriers S.A.", "Lefkada Bulk Carriers S. A.") >= MATCH);
    // Initials of a person stay initials.
    assert!(s("J. R. Smith", "John Robert Smith") >= MATCH);
    // Negative: a different acronym.
    assert!(s("I.R.I.S.L.", "IRASL") < REVIEW);
    assert!(s("I.R.I.S.L.", "I.R.A.N.") < REVIEW);
}

#[test]
fn missing_given_names_and_patronymics() {
    let putin = "PUTIN, Vladimir Vladimirovich";
    assert!(s("Vladimir Putin", putin) >= REVIEW);
    assert!(s("Putin Vladimir", putin) >= REVIEW);
    assert!(s("John Smith", "John Michael Smith") >= REVIEW);
    // Negative: another surname, or the surname missing.
    assert!(s("Vladimir Petrov", putin) < REVIEW);
    assert!(s("Vladimir Vladimirovich", putin) < REVIEW);
    // Negative: company names keep the full penalty for an extra word.
    assert!(s("Vektor Trading", "Vektor Trading Alpha") < REVIEW);
    assert!(
        s(
            "Guangzhou Lixing Co., Ltd.",
            "Guangzhou Lixing Cosmetics Co., Ltd."
        ) < REVIEW
    );
}

#[test]
fn screener_finds_the_new_matches() {
    use chipcap_screen::{Entry, Query, Screener};
    let names = [
        "PJSC ZVEZDA",
        "ISLAMIC REPUBLIC OF IRAN SHIPPING LINES",
        "IRISL",
        "MUELLER GMBH",
    ];
    let entries: Vec<Entry> = names
        .iter()
        .enumerate()
        .map(|(i, n)| Entry {
            key: format!("e{i}"),
            name: (*n).to_string(),
            ..Entry::default()
        })
        .collect();
    let sc = Screener::from_entries(entries, MatchConfig::default());
    for (q, key) in [
        ("Zvezda PJSC", "e0"),
        ("I.R.I.S.L.", "e2"),
        ("Müller GmbH", "e3"),
    ] {
        let hits = sc.screen(&Query::name(q.to_string()));
        assert!(
            hits.iter().any(|h| h.entry_key == key && h.is_match),
            "{q}: {hits:?}"
        );
    }
    assert!(sc.screen(&Query::name("OOO Vostok".to_string())).is_empty());
}
