//! The storage interface every backend implements, and the in-memory model.
//!
//! The ledger logic (in `ledger.rs`) is written once against [`Tx`]; a backend only stores rows and
//! sums draws. A write transaction holds the ledger's write lock from its first statement to its
//! commit, so every check and the insert it guards happen under one lock.

use std::sync::{Arc, Mutex};

use chipcap_core::date::Date;

use crate::entry::{Draw, Entry};
use crate::error::Error;

/// One stored audit record: every determination or entry made against the ledger, hash-chained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// The client id of the operation.
    pub client_id: String,
    /// `apply`, `grant`, `party`, ...
    pub op: String,
    /// When (RFC 3339, from the edge).
    pub recorded_at: String,
    /// The request, JSON.
    pub request: String,
    /// The result printed to the client, JSON.
    pub result: String,
    /// The balances the operation drew on, before and after, JSON.
    pub balances: String,
    /// The entry the operation wrote, as stored (JSON), or `null` when it wrote none; empty in
    /// records written before ledger format 2 (see [`crate::audit`]).
    pub entry: String,
    /// Hash of the previous record (hex; 64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 of `prev_hash` and the canonical record (hex).
    pub hash: String,
}

/// Which draws a sum counts.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SumMode {
    /// Every draw dated on or before the date.
    AsOf,
    /// Every positive draw whatever its date, plus negative draws dated on or before the date: the
    /// most the balance can be on any day from the date on (what caps are checked against, so a
    /// back-dated entry can never push a later balance past its cap).
    Upper,
    /// Positive draws dated on or before the date, plus every negative draw: the least the balance
    /// can be on any day from the date on (checked against zero).
    Lower,
}

/// Operations inside one transaction.
pub trait Tx {
    /// The audit record of a client id.
    fn audit_by_client_id(&mut self, id: &str) -> Result<Option<AuditRecord>, Error>;
    /// The entry of a client id.
    fn entry_by_client_id(&mut self, id: &str) -> Result<Option<Entry>, Error>;
    /// Entries of one kind about one subject, in ledger order.
    fn entries_for(&mut self, kind: &str, subject: &str) -> Result<Vec<Entry>, Error>;
    /// The sum of the draws on `key`, milli-TPP.
    fn sum(&mut self, key: &str, mode: SumMode, date: Date) -> Result<i64, Error>;
    /// The keys that start with `prefix`, sorted.
    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, Error>;
    /// The spellings of party names in allowance keys (LPP, AIA, NVEU, UVEU) whose identity
    /// ([`crate::identity::party_identity`]) is `identity`, sorted.
    fn party_spellings(&mut self, identity: &str) -> Result<Vec<String>, Error> {
        let mut out = std::collections::BTreeSet::new();
        for prefix in ["lpp|", "aia|", "nveu|", "uveu|"] {
            for k in self.keys_with_prefix(prefix)? {
                if let Some(n) = crate::entry::key_party(&k) {
                    if crate::identity::party_identity(n) == identity {
                        out.insert(n.to_string());
                    }
                }
            }
        }
        Ok(out.into_iter().collect())
    }
    /// The backend's index of party spellings, `(identity, spelling)` sorted, when it keeps one
    /// (SQLite and PostgreSQL do, for [`Tx::party_spellings`]; `ledger verify` compares it with
    /// the allowance keys).
    fn stored_party_spellings(&mut self) -> Result<Option<Vec<(String, String)>>, Error> {
        Ok(None)
    }
    /// Entries of one kind, in ledger order.
    fn entries_of_kind(&mut self, kind: &str) -> Result<Vec<Entry>, Error> {
        Ok(self
            .all_entries()?
            .into_iter()
            .filter(|e| e.body.kind() == kind)
            .collect())
    }
    /// The next entry sequence number.
    fn next_entry_seq(&mut self) -> Result<u64, Error>;
    /// Stores an entry (with its `seq` set) and its draws.
    fn insert_entry(&mut self, entry: &Entry, draws: &[Draw]) -> Result<(), Error>;
    /// The last audit record's sequence number and hash.
    fn last_audit(&mut self) -> Result<Option<(u64, String)>, Error>;
    /// Stores an audit record.
    fn insert_audit(&mut self, record: &AuditRecord) -> Result<(), Error>;
    /// Every entry, in ledger order.
    fn all_entries(&mut self) -> Result<Vec<Entry>, Error>;
    /// Every stored draw with the sequence number of its entry.
    fn all_draws(&mut self) -> Result<Vec<(u64, Draw)>, Error>;
    /// Every audit record, in chain order.
    fn all_audit(&mut self) -> Result<Vec<AuditRecord>, Error>;
    /// Stores several entries (with their draws) and audit records; a backend may send them in a
    /// few statements.
    fn insert_many(
        &mut self,
        entries: &[(Entry, Vec<Draw>)],
        audit: &[AuditRecord],
    ) -> Result<(), Error> {
        for (e, d) in entries {
            self.insert_entry(e, d)?;
        }
        for a in audit {
            self.insert_audit(a)?;
        }
        Ok(())
    }
    /// How many times rows were changed or deleted behind the ledger's back (it never does either;
    /// a trigger counts them). A cache that trusts the audit head reloads when this moves.
    fn rewrites(&mut self) -> Result<u64, Error> {
        Ok(0)
    }
    /// What a cache of the indexes (the writer's mirror) needs to catch up with the rows added
    /// after entry `entry_seq` and audit record `audit_seq`: the new entries' ids (with the entry
    /// itself only when its kind is looked up by subject), their draws, and the new audit
    /// records' ids and hashes, each in order. A backend answers it in as few statements as it can.
    fn catch_up(&mut self, entry_seq: u64, audit_seq: u64) -> Result<CatchUp, Error> {
        let mut out = CatchUp::default();
        for e in self
            .all_entries()?
            .into_iter()
            .filter(|e| e.seq > entry_seq)
        {
            out.entries.push(EntryHead::of(e));
        }
        for (s, d) in self.all_draws()? {
            if s > entry_seq {
                out.draws.push(d);
            }
        }
        for a in self.all_audit()?.into_iter().filter(|a| a.seq > audit_seq) {
            out.audit.push((a.seq, a.client_id, a.hash));
        }
        Ok(out)
    }
}

/// Whether entries of `kind` are looked up by subject (parties, assurances, licences, reversals,
/// US shipments): the mirror keeps those whole; of the others (shipments, attrition, adjustments,
/// dispositions) it keeps only the ids and the draws.
pub fn looked_up_by_subject(kind: &str) -> bool {
    !matches!(
        kind,
        "shipment" | "attrition" | "adjustment" | "disposition"
    )
}

/// An entry as a cache of the indexes needs it.
#[derive(Clone, Debug)]
pub struct EntryHead {
    /// Sequence number.
    pub seq: u64,
    /// Client id.
    pub client_id: String,
    /// The entry, when its kind is [`looked_up_by_subject`].
    pub entry: Option<Entry>,
}

impl EntryHead {
    /// The head of a whole entry.
    pub fn of(e: Entry) -> EntryHead {
        EntryHead {
            seq: e.seq,
            client_id: e.client_id.clone(),
            entry: looked_up_by_subject(e.body.kind()).then_some(e),
        }
    }
}

/// The rows added since a point, as [`Tx::catch_up`] reads them.
#[derive(Clone, Debug, Default)]
pub struct CatchUp {
    /// New entries, in order.
    pub entries: Vec<EntryHead>,
    /// Their draws, in order.
    pub draws: Vec<Draw>,
    /// New audit records: sequence number, client id, hash; in order.
    pub audit: Vec<(u64, String, String)>,
}

/// A closure run inside a transaction.
pub type TxFn<'a> = dyn FnMut(&mut dyn Tx) -> Result<(), Error> + 'a;

/// A ledger backend.
pub trait Store: Send {
    /// Runs `f` in a write transaction holding the ledger's write lock; commits (durably) when it
    /// returns `Ok`, rolls back otherwise.
    fn write(&mut self, f: &mut TxFn<'_>) -> Result<(), Error>;
    /// Runs `f` on a consistent snapshot.
    fn read(&mut self, f: &mut TxFn<'_>) -> Result<(), Error>;
    /// The backend's name (`memory`, `sqlite`, `postgres`).
    fn backend(&self) -> &'static str;
    /// Says that the next write transaction will start with [`Tx::catch_up`] from these points
    /// (the writer's mirror): a backend may read it in the round trip that begins the transaction
    /// (PostgreSQL does). No-op by default.
    fn prefetch_catch_up(&mut self, _entry_seq: u64, _audit_seq: u64) {}
    /// For a long-running writer (group commit, the server): moves housekeeping that would
    /// otherwise run inside its commits to a background thread (SQLite: WAL checkpoints). Changes
    /// neither durability nor what any transaction sees. No-op by default.
    fn background_maintenance(&mut self) {}
}

/// The rows of a ledger.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    entries: Vec<Entry>,
    draws: Vec<(u64, Draw)>,
    audit: Vec<AuditRecord>,
}

impl Tx for Rows {
    fn audit_by_client_id(&mut self, id: &str) -> Result<Option<AuditRecord>, Error> {
        Ok(self.audit.iter().find(|a| a.client_id == id).cloned())
    }
    fn entry_by_client_id(&mut self, id: &str) -> Result<Option<Entry>, Error> {
        Ok(self.entries.iter().find(|e| e.client_id == id).cloned())
    }
    fn entries_for(&mut self, kind: &str, subject: &str) -> Result<Vec<Entry>, Error> {
        Ok(self
            .entries
            .iter()
            .filter(|e| e.body.kind() == kind && e.body.subject() == subject)
            .cloned()
            .collect())
    }
    fn sum(&mut self, key: &str, mode: SumMode, date: Date) -> Result<i64, Error> {
        let mut s: i64 = 0;
        for (_, d) in self.draws.iter().filter(|(_, d)| d.key == key) {
            let counts = match mode {
                SumMode::AsOf => d.date <= date,
                SumMode::Upper => d.amount > 0 || d.date <= date,
                SumMode::Lower => d.amount < 0 || d.date <= date,
            };
            if counts {
                s = s
                    .checked_add(d.amount)
                    .ok_or_else(|| Error::Corrupt(format!("sum of `{key}` overflows")))?;
            }
        }
        Ok(s)
    }
    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, Error> {
        let mut k: Vec<String> = self
            .draws
            .iter()
            .filter(|(_, d)| d.key.starts_with(prefix))
            .map(|(_, d)| d.key.clone())
            .collect();
        k.sort();
        k.dedup();
        Ok(k)
    }
    fn next_entry_seq(&mut self) -> Result<u64, Error> {
        Ok(self.entries.last().map_or(1, |e| e.seq + 1))
    }
    fn insert_entry(&mut self, entry: &Entry, draws: &[Draw]) -> Result<(), Error> {
        if self.entries.iter().any(|e| e.client_id == entry.client_id) {
            return Err(Error::Storage(format!(
                "duplicate entry id `{}`",
                entry.client_id
            )));
        }
        self.entries.push(entry.clone());
        self.draws
            .extend(draws.iter().map(|d| (entry.seq, d.clone())));
        Ok(())
    }
    fn last_audit(&mut self) -> Result<Option<(u64, String)>, Error> {
        Ok(self.audit.last().map(|a| (a.seq, a.hash.clone())))
    }
    fn insert_audit(&mut self, record: &AuditRecord) -> Result<(), Error> {
        if self.audit.iter().any(|a| a.client_id == record.client_id) {
            return Err(Error::Storage(format!(
                "duplicate audit id `{}`",
                record.client_id
            )));
        }
        self.audit.push(record.clone());
        Ok(())
    }
    fn all_entries(&mut self) -> Result<Vec<Entry>, Error> {
        Ok(self.entries.clone())
    }
    fn all_draws(&mut self) -> Result<Vec<(u64, Draw)>, Error> {
        Ok(self.draws.clone())
    }
    fn all_audit(&mut self) -> Result<Vec<AuditRecord>, Error> {
        Ok(self.audit.clone())
    }
}

/// The in-memory model: the reference the other backends are tested against. Clones share rows,
/// so several handles (threads) can write to one ledger.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    rows: Arc<Mutex<Rows>>,
}

impl MemoryStore {
    /// An empty ledger.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

impl Store for MemoryStore {
    fn write(&mut self, f: &mut TxFn<'_>) -> Result<(), Error> {
        let mut guard = self
            .rows
            .lock()
            .map_err(|_| Error::Storage("the in-memory ledger lock is poisoned".into()))?;
        // Work on a copy: a failed transaction leaves nothing behind.
        let mut staged = guard.clone();
        f(&mut staged)?;
        *guard = staged;
        Ok(())
    }
    fn read(&mut self, f: &mut TxFn<'_>) -> Result<(), Error> {
        let guard = self
            .rows
            .lock()
            .map_err(|_| Error::Storage("the in-memory ledger lock is poisoned".into()))?;
        let mut snapshot = guard.clone();
        drop(guard);
        f(&mut snapshot)
    }
    fn backend(&self) -> &'static str {
        "memory"
    }
}

/// An adjustment entry `seq` drawing 1 milli-TPP on `party`'s 2025 LPP key, with its draw: rows
/// for the backends' own tests.
#[cfg(test)]
#[allow(clippy::expect_used)]
pub(crate) fn adjustment_row(seq: u64, party: &str) -> (Entry, Vec<Draw>) {
    let date = Date::new(2025, 6, 1).expect("a valid date");
    let key = format!("lpp|{party}|2025");
    let e = Entry {
        seq,
        client_id: format!("e-{seq}"),
        recorded_by: "test".into(),
        recorded_at: "2025-06-01T00:00:00Z".into(),
        date,
        body: crate::entry::Body::Adjustment(crate::entry::Adjustment {
            key: key.clone(),
            amount_milli: 1,
            reason: "test".into(),
        }),
    };
    (
        e,
        vec![Draw {
            key,
            date,
            amount: 1,
        }],
    )
}
