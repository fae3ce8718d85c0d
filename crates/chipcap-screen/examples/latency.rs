//! Latency of single-name screening (p50/p99) and bulk throughput, on an index built from the
//! SDN (+ alt) and CSL samples, with query names generated deterministically from the list names
//! plus perturbations (typos, swapped words, legal forms, case, unrelated names); then, if
//! `cross-script-pairs.csv` is in the folder, the latency of its names written in other scripts.
//!
//! ```text
//! cargo run -p chipcap-screen --example latency --release -- testdata/screening [bulk_count]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use chipcap_screen::{
    parse_csl_csv, parse_ofac_sdn, ListFormat, ListVersion, MatchConfig, Query, Screener,
};

/// Small deterministic generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "Global", "Trading", "Kessel", "Marrow", "Tovar", "Holdings", "Pacific", "Orion", "Delta",
    "Nordic",
];
const FORMS: &[&str] = &["Ltd", "LLC", "Co., Ltd.", "GmbH", "S.A.", "Inc."];

fn perturb(name: &str, rng: &mut Rng) -> String {
    match rng.below(7) {
        0 => name.to_string(),
        1 => {
            // Drop one character.
            let chars: Vec<char> = name.chars().collect();
            let i = rng.below(chars.len());
            chars
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != i)
                .map(|(_, c)| *c)
                .collect()
        }
        2 => {
            // Swap two adjacent characters.
            let mut chars: Vec<char> = name.chars().collect();
            if chars.len() > 2 {
                let i = rng.below(chars.len() - 1);
                chars.swap(i, i + 1);
            }
            chars.into_iter().collect()
        }
        3 => {
            let mut w: Vec<&str> = name.split_whitespace().collect();
            w.reverse();
            w.join(" ")
        }
        4 => format!("{} {}", name.to_lowercase(), FORMS[rng.below(FORMS.len())]),
        5 => format!("{} {}", WORDS[rng.below(WORDS.len())], name),
        _ => format!(
            "{} {} {}",
            WORDS[rng.below(WORDS.len())],
            WORDS[rng.below(WORDS.len())],
            FORMS[rng.below(FORMS.len())]
        ),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "testdata/screening".into());
    let bulk_n: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let read = |f: &str| std::fs::read(Path::new(&dir).join(f)).unwrap();
    let t = Instant::now();
    let sdn = parse_ofac_sdn(
        &read("ofac-sdn.csv"),
        Some(&read("ofac-alt.csv")),
        Some(&read("ofac-add.csv")),
    )
    .unwrap();
    let cur = parse_csl_csv(&read("csl-consolidated-sample.csv")).unwrap();
    let leg = parse_csl_csv(&read("csl-legacy-sample.csv")).unwrap();
    let parse_ms = t.elapsed().as_secs_f64() * 1e3;
    let versions = vec![
        ListVersion::new(ListFormat::OfacSdnCsv, "sdn", None, sdn),
        ListVersion::new(ListFormat::CslCsv, "csl", None, cur),
        ListVersion::new(ListFormat::CslCsv, "csl-legacy", None, leg),
    ];
    let t = Instant::now();
    let s = Screener::new(&versions, MatchConfig::default());
    let build_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "parse {parse_ms:.0} ms; index build {build_ms:.0} ms; {} entries, {} names",
        s.entries().len(),
        s.name_count()
    );
    let names: Vec<&str> = s.entries().iter().flat_map(|e| e.names()).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let queries: Vec<Query> = (0..bulk_n)
        .map(|_| Query::name(perturb(names[rng.below(names.len())], &mut rng)))
        .collect();
    // Single-name latency.
    let single_n = 10_000.min(queries.len());
    let mut lat = Vec::with_capacity(single_n);
    let mut matched = 0usize;
    for q in &queries[..single_n] {
        let t = Instant::now();
        let h = s.screen(q);
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        matched += usize::from(h.first().is_some_and(|h| h.is_match));
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "single-name screening over {single_n} queries: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({matched} with a match)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0)
    );
    // Names written in other scripts (the first name of each cross-script pair), when the file is
    // there: the same index, queries in Arabic, Hebrew, Korean, Japanese, Thai, Burmese, ...
    if let Ok(bytes) = std::fs::read(Path::new(&dir).join("cross-script-pairs.csv")) {
        let mut rdr = csv::Reader::from_reader(bytes.as_slice());
        let native: Vec<String> = rdr
            .records()
            .filter_map(Result::ok)
            .filter_map(|r| r.get(2).map(str::to_string))
            .collect();
        let mut lat = Vec::with_capacity(native.len());
        for n in &native {
            let q = Query::name(n.clone());
            let t = Instant::now();
            let _ = s.screen(&q);
            lat.push(t.elapsed().as_secs_f64() * 1e3);
        }
        lat.sort_by(f64::total_cmp);
        if !lat.is_empty() {
            println!(
                "native-script queries ({} names of cross-script-pairs.csv): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
                lat.len(),
                percentile(&lat, 0.5),
                percentile(&lat, 0.99),
                lat.last().copied().unwrap_or(0.0)
            );
        }
    }
    let t = Instant::now();
    let res = s.screen_bulk(&queries);
    let secs = t.elapsed().as_secs_f64();
    let hits: usize = res.iter().map(Vec::len).sum();
    println!(
        "bulk: {} names in {secs:.2} s ({:.0} names/s) on {} threads, {hits} hits",
        queries.len(),
        queries.len() as f64 / secs,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
}
