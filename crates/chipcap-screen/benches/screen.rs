//! Criterion benchmarks: building the index from the SDN and CSL samples, screening single names,
//! scoring pairs.
//!
//! ```text
//! cargo bench -p chipcap-screen --bench screen
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::PathBuf;

use chipcap_screen::{
    parse_csl_csv, parse_ofac_sdn, score, ListFormat, ListVersion, MatchConfig, Query, Screener,
};
use criterion::{criterion_group, criterion_main, Criterion};

fn data(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/screening")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn versions() -> Vec<ListVersion> {
    let sdn = parse_ofac_sdn(
        &data("ofac-sdn.csv"),
        Some(&data("ofac-alt.csv")),
        Some(&data("ofac-add.csv")),
    )
    .unwrap();
    let cur = parse_csl_csv(&data("csl-consolidated-sample.csv")).unwrap();
    let leg = parse_csl_csv(&data("csl-legacy-sample.csv")).unwrap();
    vec![
        ListVersion::new(ListFormat::OfacSdnCsv, "sdn", None, sdn),
        ListVersion::new(ListFormat::CslCsv, "csl", None, cur),
        ListVersion::new(ListFormat::CslCsv, "csl-legacy", None, leg),
    ]
}

fn bench(c: &mut Criterion) {
    let v = versions();
    let mut g = c.benchmark_group("index");
    g.sample_size(10);
    g.bench_function("build_sdn_alt_csl", |b| {
        b.iter(|| Screener::new(black_box(&v), MatchConfig::default()))
    });
    g.finish();

    let s = Screener::new(&v, MatchConfig::default());
    let mut g = c.benchmark_group("screen");
    for (label, q) in [
        ("exact", "BANCO NACIONAL DE CUBA"),
        ("alias", "National Bank of Cuba"),
        ("perturbed", "Banco Nacionall de Kuba S.A."),
        ("common_words", "International Trading Company Limited"),
        ("no_match", "Zyxwvut Quorlemb Industries"),
        ("person", "Mohammed Abu Jheisheh"),
    ] {
        let q = Query::name(q);
        g.bench_function(label, |b| b.iter(|| s.screen(black_box(&q))));
    }
    g.finish();

    let cfg = MatchConfig::default();
    c.bench_function("score/pair", |b| {
        b.iter(|| {
            score(
                black_box("Delancourt Brothers Manufacturing Co."),
                black_box("Delancourt Bros. Mfg. Co."),
                &cfg,
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
