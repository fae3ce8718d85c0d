//! Runs N determinations of the benchmark's typical request on one thread and prints the rate:
//! `cargo run --release -p chipcap-core --example hot_path -- 200000 [core|parse|serialise|json] [enforced]`
//! (the framework's typical request by default, pinned to `ai-diffusion-2025` as it was measured
//! before rule versions existed; `enforced` runs the same export today under the enforced controls).
//! Also handy under `valgrind --tool=callgrind` (instruction counts do not depend on machine load).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chipcap_core::date::Date;
use chipcap_core::wire;
use std::hint::black_box;
use std::time::Instant;

const TYPICAL: &str = r#"{
  "date": "2025-06-15",
  "rule_set": "ai-diffusion-2025",
  "destination": "AE",
  "items": [
    {"chip": "nvidia-h100-sxm", "quantity": 2000},
    {"tpp": 4992, "die_area_mm2": 826, "datacenter": true, "quantity": 8}
  ],
  "consignee": {"name": "Example AI LLC", "headquarters": "AE", "authorization": "none"},
  "context": {
    "country_allocation_used_tpp": 0,
    "government_assurances": false,
    "consignee_lpp_used_tpp": 0,
    "nveu_installed_tpp": 0,
    "uveu_installed_tpp_by_country": {"US": 0}
  },
  "options": {"strict_740_2": false}
}"#;

/// The same export today under the controls enforced (no `rule_set`: `advanced-computing-2023`):
/// licence required, presumption of approval, seven reasons, the open-question and guidance notices.
const ENFORCED: &str = r#"{
  "date": "2026-12-06",
  "destination": "AE",
  "items": [
    {"chip": "nvidia-h100-sxm", "quantity": 2000},
    {"tpp": 4992, "die_area_mm2": 826, "datacenter": true, "quantity": 8}
  ],
  "consignee": {"name": "Example AI LLC", "headquarters": "AE", "authorization": "none"},
  "options": {"strict_740_2": false}
}"#;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let mode = args.next().unwrap_or_else(|| "json".into());
    // `legacy`: the framework's request without `rule_set`, byte for byte the document measured
    // before rule versions existed (for `parse` comparisons; it is now decided under the enforced
    // line).
    let legacy = TYPICAL.replace("  \"rule_set\": \"ai-diffusion-2025\",\n", "");
    let doc: &str = match args.next().as_deref() {
        Some("enforced") => ENFORCED,
        Some("legacy") => &legacy,
        _ => TYPICAL,
    };
    let rules = chipcap_rules::embedded().unwrap();
    let today = Date::new(2025, 6, 15).unwrap();
    let parsed = wire::parse_request(doc, &rules, today).unwrap();
    let det = chipcap_core::determine(&parsed.request, &rules).unwrap();
    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..n {
        match mode.as_str() {
            "core" => {
                let d = chipcap_core::determine(black_box(&parsed.request), &rules).unwrap();
                bytes += d.reasons.len();
            }
            "serialise" => {
                bytes += wire::to_json(black_box(&det)).len();
            }
            "serde" => {
                let p = wire::parse_request_serde(black_box(doc), &rules, today).unwrap();
                bytes += p.request.destination.as_str().len();
            }
            "parse" => {
                let p = wire::parse_request(black_box(doc), &rules, today).unwrap();
                bytes += p.request.destination.as_str().len();
            }
            _ => {
                let p = wire::parse_request(black_box(doc), &rules, today).unwrap();
                let d = chipcap_core::determine(&p.request, &rules).unwrap();
                bytes += wire::to_json(&d).len();
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{mode}: {n} determinations in {secs:.3} s = {:.0}/s ({bytes} units)",
        n as f64 / secs
    );
}
