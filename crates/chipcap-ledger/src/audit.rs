//! The hash chain of the audit log: `hash = SHA-256(prev_hash || canonical record)`, where the
//! canonical record is every field but the hashes, in order (seq, client id, op, recorded at,
//! request, result, balances), each as its length in bytes (8 bytes, little-endian) then its UTF-8
//! bytes: unambiguous, and no re-encoding of the (large) request and result documents.
//!
//! Since ledger format 2 a record also carries the entry the operation wrote (`entry`: the entry as
//! stored, JSON, or `null` when it wrote none), hashed as an eighth field. A record of format 1 has
//! an empty `entry` and hashes as before, so older ledgers still verify; a record of format 2 cannot
//! be turned into one (its hash would change). `verify` compares every stored entry with the entry
//! its audit record carries, so an entry cannot be deleted, edited, moved or inserted without
//! breaking the chain.

use sha2::{Digest, Sha256};

use crate::store::AuditRecord;

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of a record given the previous hash, lowercase hex.
pub fn hash(prev_hash: &str, r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    let seq = r.seq.to_string();
    for f in [
        seq.as_str(),
        &r.client_id,
        &r.op,
        &r.recorded_at,
        &r.request,
        &r.result,
        &r.balances,
    ] {
        h.update(u64::try_from(f.len()).unwrap_or(u64::MAX).to_le_bytes());
        h.update(f.as_bytes());
    }
    if !r.entry.is_empty() {
        h.update(
            u64::try_from(r.entry.len())
                .unwrap_or(u64::MAX)
                .to_le_bytes(),
        );
        h.update(r.entry.as_bytes());
    }
    let out = h.finalize();
    let mut s = String::with_capacity(64);
    for b in out {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

/// Checks the chain; returns one line per broken link.
pub fn check_chain(records: &[AuditRecord]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut prev = GENESIS.to_string();
    for (i, r) in records.iter().enumerate() {
        let want_seq = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
        if r.seq != want_seq {
            problems.push(format!(
                "audit record {} is out of sequence (expected {want_seq})",
                r.seq
            ));
        }
        if r.prev_hash != prev {
            problems.push(format!(
                "audit record {} does not link to the previous record's hash",
                r.seq
            ));
        }
        let h = hash(&r.prev_hash, r);
        if h != r.hash {
            problems.push(format!(
                "audit record {} (`{}`) does not match its hash: it was altered",
                r.seq, r.client_id
            ));
        }
        prev = r.hash.clone();
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64, prev: &str) -> AuditRecord {
        let mut r = AuditRecord {
            seq,
            client_id: format!("c{seq}"),
            op: "apply".into(),
            recorded_at: "2025-06-01T00:00:00Z".into(),
            request: "{}".into(),
            result: "{}".into(),
            balances: "{}".into(),
            entry: "null".into(),
            prev_hash: prev.into(),
            hash: String::new(),
        };
        r.hash = hash(prev, &r);
        r
    }

    #[test]
    fn a_chain_verifies_and_an_edit_breaks_it() {
        let a = rec(1, GENESIS);
        let b = rec(2, &a.hash);
        let mut chain = vec![a, b];
        assert!(check_chain(&chain).is_empty());
        chain[0].result = "{\"recorded\":false}".into();
        let p = check_chain(&chain);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("altered"));
    }

    #[test]
    fn the_entry_a_record_carries_is_hashed() {
        let a = rec(1, GENESIS);
        let mut stripped = a.clone();
        stripped.entry = String::new();
        assert_ne!(hash(GENESIS, &stripped), a.hash);
        let mut edited = a.clone();
        edited.entry = "{\"seq\":1}".into();
        assert_ne!(hash(GENESIS, &edited), a.hash);
    }
}
