//! Any bytes as a `ledger apply` input (one request, a JSON array, or a stream of documents):
//! splitting never panics; every request it yields is one JSON value, preparing it (id, licence,
//! parse, no screening) never panics, and a batch's results serialise to JSON.
#![no_main]

use chipcap_ledger::{batch_result_json, split_apply_input, ApplyInput, Meta, PreparedApply};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn rules() -> &'static chipcap_core::params::RuleSet {
    static R: OnceLock<chipcap_core::params::RuleSet> = OnceLock::new();
    R.get_or_init(|| chipcap_rules::embedded().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let requests = match split_apply_input(text) {
        Ok(ApplyInput::One(r)) => vec![r],
        Ok(ApplyInput::Many { requests, array }) => {
            assert!(array || requests.len() > 1);
            requests
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let meta = Meta {
        recorded_by: "fuzz".into(),
        recorded_at: "2025-06-01T00:00:00Z".into(),
    };
    let today = chipcap_core::date::Date::UNIX_EPOCH;
    for r in &requests {
        assert!(serde_json::from_str::<serde::de::IgnoredAny>(r).is_ok(), "{r}");
        let p = PreparedApply::new(rules(), r, &meta, today, &|_| None);
        let id = p.as_ref().map(|p| p.id().to_string()).unwrap_or_default();
        let doc = batch_result_json(&id, &p.map(|_| unreachable_outcome()));
        assert!(serde_json::from_str::<serde::de::IgnoredAny>(&doc).is_ok(), "{doc}");
    }
});

/// A stand-in outcome for a prepared request (applying needs a ledger).
fn unreachable_outcome() -> chipcap_ledger::Outcome {
    chipcap_ledger::Outcome {
        json: "{\"recorded\":false}".into(),
        recorded: false,
        replayed: false,
        audit_hash: String::new(),
    }
}
