//! A ledger written before entries and keys were typed (issue 14, point 3) reads back to the same
//! bytes: every stored entry round-trips to the JSON it was stored as, every stored draw key to its
//! text, every audit record to its hash, and the whole ledger verifies.
//!
//! `tests/fixtures/ledger-1755f6c.json` is the raw content of an SQLite ledger (the `entries` and
//! `draws` rows and the audit records) written by commit 1755f6c: parties (with NVEU and UVEU
//! authorisations, one recorded in lower case), an assurance, US end-use shipments, licence grants,
//! shipments under LPP (one matched to another spelling), NVEU, AIA, NLR and licences (one to
//! China under the enforced line, with its China/Macau draw), refused licensed shipments,
//! attrition, adjustments, a disposition and a reversal.

use chipcap_ledger::audit;
use chipcap_ledger::entry::{draws_of, Draw, Entry, Key};
use chipcap_ledger::store::AuditRecord;

use crate::common::rules;

struct Stored {
    rows: Vec<serde_json::Value>,
    entries: Vec<Entry>,
    draws: Vec<(u64, Draw)>,
    log: Vec<AuditRecord>,
}

fn stored() -> Stored {
    let text = include_str!("../fixtures/ledger-1755f6c.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let rows = v["entries"].as_array().unwrap().clone();
    let entries = rows
        .iter()
        .map(|r| serde_json::from_str::<Entry>(r["body"].as_str().unwrap()).unwrap())
        .collect();
    let draws = v["draws"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["entry_seq"].as_u64().unwrap(),
                Draw {
                    key: d["key"].as_str().unwrap().to_string(),
                    date: d["date"].as_str().unwrap().parse().unwrap(),
                    amount: d["amount"].as_i64().unwrap(),
                },
            )
        })
        .collect();
    let s = |a: &serde_json::Value, k: &str| a[k].as_str().unwrap().to_string();
    let log = v["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| AuditRecord {
            seq: a["seq"].as_u64().unwrap(),
            client_id: s(a, "client_id"),
            op: s(a, "op"),
            recorded_at: s(a, "recorded_at"),
            request: s(a, "request"),
            result: s(a, "result"),
            balances: s(a, "balances"),
            entry: s(a, "entry"),
            prev_hash: s(a, "prev_hash"),
            hash: s(a, "hash"),
        })
        .collect();
    Stored {
        rows,
        entries,
        draws,
        log,
    }
}

#[test]
fn entries_written_before_round_trip_to_the_same_json() {
    let st = stored();
    assert_eq!(st.entries.len(), 19);
    for (row, e) in st.rows.iter().zip(&st.entries) {
        let body = row["body"].as_str().unwrap();
        assert_eq!(serde_json::to_string(e).unwrap(), body);
        assert_eq!(e.body.kind(), row["kind"].as_str().unwrap());
        assert_eq!(e.body.subject(), row["subject"].as_str().unwrap());
        assert_eq!(e.date.to_string(), row["date"].as_str().unwrap());
    }
    // Every kind of entry the ledger writes is in the file.
    let kinds: std::collections::BTreeSet<&str> =
        st.entries.iter().map(|e| e.body.kind()).collect();
    for k in [
        "party",
        "assurance",
        "licence_grant",
        "shipment",
        "attrition",
        "adjustment",
        "disposition",
        "us_shipment",
        "reversal",
    ] {
        assert!(kinds.contains(k), "{k}");
    }
}

#[test]
fn draws_written_before_are_derived_again_with_the_same_keys() {
    let st = stored();
    for (k, d) in &st.draws {
        assert_eq!(Key::parse(&d.key).unwrap().text(), d.key, "entry {k}");
    }
    for e in &st.entries {
        let original = match &e.body {
            chipcap_ledger::entry::Body::Reversal { of, .. } => {
                st.entries.iter().find(|x| x.client_id == *of)
            }
            _ => None,
        };
        let derived = draws_of(e, original).unwrap();
        let stored: Vec<&Draw> = st
            .draws
            .iter()
            .filter(|(s, _)| *s == e.seq)
            .map(|(_, d)| d)
            .collect();
        assert_eq!(
            derived.iter().collect::<Vec<_>>(),
            stored,
            "{}",
            e.client_id
        );
    }
    // The licensed export to China drew its China/Macau share (keys with typed countries too).
    assert!(st
        .draws
        .iter()
        .any(|(_, d)| d.key == "china_macau|nvidia-h200-sxm"));
    assert!(st
        .draws
        .iter()
        .any(|(_, d)| d.key == "nveu|Gulf Compute LLC|AE"));
    assert!(st
        .draws
        .iter()
        .any(|(_, d)| d.key == "country_allocation|VN"));
}

#[test]
fn audit_records_written_before_keep_their_hashes_and_the_ledger_verifies() {
    let st = stored();
    let mut prev = audit::GENESIS.to_string();
    for r in &st.log {
        assert_eq!(r.prev_hash, prev);
        assert_eq!(audit::hash(&r.prev_hash, r), r.hash, "record {}", r.seq);
        prev = r.hash.clone();
        if r.entry != "null" {
            let e = st
                .entries
                .iter()
                .find(|e| e.client_id == r.client_id)
                .unwrap();
            assert_eq!(serde_json::to_string(e).unwrap(), r.entry);
        }
    }
    let report = chipcap_ledger::balances::verify(&st.entries, &st.draws, &st.log, rules(), &[]);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.entries, 19);
}

/// Replays the operations of the fixture (from its audit records) through today's ledger: the same
/// results, entries and audit chain, hash for hash (so deciding and recording are unchanged).
#[test]
fn replaying_the_operations_written_before_gives_the_same_chain() {
    let st = stored();
    let mut l = chipcap_ledger::Ledger::new(Box::new(chipcap_ledger::MemoryStore::new()), rules());
    for r in &st.log {
        let meta = chipcap_ledger::Meta {
            recorded_by: "fixture".into(),
            recorded_at: r.recorded_at.clone(),
        };
        let o = match r.op.as_str() {
            "apply" => l
                .apply(&r.request, &meta, "2025-06-01".parse().unwrap())
                .unwrap(),
            "grant" => {
                let g: serde_json::Value = serde_json::from_str(&r.request).unwrap();
                let s = |k: &str| g[k].as_str().unwrap().to_string();
                l.grant(
                    &chipcap_ledger::GrantInput {
                        client_id: r.client_id.clone(),
                        number: s("number"),
                        consignee: s("consignee"),
                        destination: s("destination"),
                        items: g["items"].clone(),
                        date: s("date").parse().unwrap(),
                        valid_to: s("valid_to").parse().unwrap(),
                        force: g["force"].as_str().map(String::from),
                    },
                    &meta,
                )
                .unwrap()
            }
            _ => l
                .record(&serde_json::from_str::<Entry>(&r.request).unwrap())
                .unwrap(),
        };
        assert_eq!(o.json, r.result, "{}", r.client_id);
        assert_eq!(o.audit_hash, r.hash, "{}", r.client_id);
    }
    assert_eq!(l.audit_log().unwrap(), st.log);
    let again: Vec<String> = l
        .entries()
        .unwrap()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let before: Vec<&str> = st
        .rows
        .iter()
        .map(|r| r["body"].as_str().unwrap())
        .collect();
    assert_eq!(again, before);
    assert!(l.verify().unwrap().problems.is_empty());
}
