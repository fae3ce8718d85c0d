//! The ledger's own apply rate on SQLite, without HTTP: the baseline for the server's
//! `POST /v1/ledger/apply` load test (docs/benchmarks.md). Same request shape as
//! scripts/bench/apply.lua: a small LPP shipment with a fresh id and consignee each time.
//!
//! `cargo run --release -p chipcap-server --example ledger_apply_rate -- /tmp/rate.db 20000`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let db = args.next().unwrap_or_else(|| "/tmp/chipcap-rate.db".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let _ = std::fs::remove_file(&db);
    let rules = chipcap_rules::embedded().unwrap();
    let store = chipcap_ledger::open(&db).unwrap();
    let mut ledger = chipcap_ledger::Ledger::new(store, &rules);
    let meta = chipcap_ledger::Meta {
        recorded_by: "rate".into(),
        recorded_at: "2026-01-01T00:00:00Z".into(),
    };
    let today = chipcap_server::today();
    let start = Instant::now();
    let mut recorded = 0;
    for i in 0..n {
        let body = format!(
            r#"{{"id":"rate-{i}","date":"2025-06-15","destination":"IN","items":[{{"chip":"nvidia-h100-sxm","quantity":8}}],"consignee":{{"name":"Rate {i}","headquarters":"IN","authorization":"none"}}}}"#
        );
        let o = ledger.apply(&body, &meta, today).unwrap();
        if o.recorded {
            recorded += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n} applies ({recorded} recorded) in {secs:.2} s: {:.0} applies/s, {:.0} us each",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}
