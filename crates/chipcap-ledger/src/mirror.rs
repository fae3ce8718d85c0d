//! An in-memory mirror of the ledger's indexes for the group-commit writer: balances by key,
//! parties, assurances, licences and ids, so that deciding a request reads no row from the
//! database. It is checked against the database at the start of every transaction (the last
//! audit record's sequence number and hash change with every write, from any process) and catches
//! up from the rows added since; writes go to the database and to the mirror.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chipcap_core::date::Date;

use crate::entry::{Draw, Entry};
use crate::error::Error;
use crate::store::{looked_up_by_subject, AuditRecord, SumMode, Tx};

/// The mirror. `loaded == false` forces a full reload at the next transaction.
#[derive(Default)]
pub(crate) struct Mirror {
    pub(crate) loaded: bool,
    /// The database's rewrite counter when the mirror was loaded (see [`Tx::rewrites`]).
    rewrites: u64,
    /// Whether its owner has applied a request before (see `ledger::run_one`): the first apply of a
    /// ledger handle reads the tables instead of loading the whole mirror.
    pub(crate) used: bool,
    last_entry_seq: u64,
    last_audit: Option<(u64, String)>,
    audit_ids: HashSet<String>,
    entry_ids: HashSet<String>,
    by_subject: HashMap<(String, String), Vec<Entry>>,
    draws: BTreeMap<String, Vec<(Date, i64)>>,
    /// Party spellings in allowance keys by identity.
    spellings: HashMap<String, BTreeSet<String>>,
}

impl Mirror {
    fn add_entry(&mut self, seq: u64, client_id: &str, e: Option<&Entry>) {
        self.last_entry_seq = self.last_entry_seq.max(seq);
        self.entry_ids.insert(client_id.to_string());
        if let Some(e) = e.filter(|e| looked_up_by_subject(e.body.kind())) {
            self.by_subject
                .entry((e.body.kind().to_string(), e.body.subject().to_string()))
                .or_default()
                .push(e.clone());
        }
    }

    fn add_draw(&mut self, d: &Draw) {
        if !self.draws.contains_key(&d.key) {
            if let Some(n) = crate::entry::key_party(&d.key) {
                self.spellings
                    .entry(crate::identity::party_identity(n))
                    .or_default()
                    .insert(n.to_string());
            }
        }
        self.draws
            .entry(d.key.clone())
            .or_default()
            .push((d.date, d.amount));
    }

    fn add_audit(&mut self, seq: u64, client_id: &str, hash: &str) {
        self.audit_ids.insert(client_id.to_string());
        self.last_audit = Some((seq, hash.to_string()));
    }

    /// Where a catch-up would start (entry and audit sequence numbers), when the mirror is loaded.
    pub(crate) fn position(&self) -> Option<(u64, u64)> {
        self.loaded.then(|| {
            (
                self.last_entry_seq,
                self.last_audit.as_ref().map_or(0, |(s, _)| *s),
            )
        })
    }

    /// Brings the mirror up to date inside the transaction `tx`: a write transaction (which holds
    /// the write lock), or a snapshot read to load it before one (see `ledger::preload`).
    pub(crate) fn sync(&mut self, tx: &mut dyn Tx) -> Result<(), Error> {
        let db_last = tx.last_audit()?;
        let rewrites = tx.rewrites()?;
        if self.loaded && db_last == self.last_audit && rewrites == self.rewrites {
            return Ok(());
        }
        if !self.loaded || rewrites != self.rewrites {
            // Rows changed behind the ledger's back: only a reload sees them.
            let used = self.used;
            *self = Mirror::default();
            self.rewrites = rewrites;
            self.used = used;
        }
        let from_entry = self.last_entry_seq;
        let from_audit = self.last_audit.as_ref().map_or(0, |(s, _)| *s);
        let new = tx.catch_up(from_entry, from_audit)?;
        for e in &new.entries {
            self.add_entry(e.seq, &e.client_id, e.entry.as_ref());
        }
        for d in &new.draws {
            self.add_draw(d);
        }
        for (seq, id, hash) in &new.audit {
            self.add_audit(*seq, id, hash);
        }
        if self.last_audit != db_last {
            self.loaded = false;
            return Err(Error::Corrupt(
                "the audit log changed while it was being read".into(),
            ));
        }
        self.loaded = true;
        Ok(())
    }
}

/// A transaction that reads from the mirror and writes to the mirror at once and to the database
/// in one go at [`MirrorTx::flush`] (before the commit).
pub(crate) struct MirrorTx<'a> {
    inner: &'a mut dyn Tx,
    m: &'a mut Mirror,
    entries: Vec<(Entry, Vec<Draw>)>,
    audit: Vec<AuditRecord>,
    /// Positions in `entries` and `audit` by client id (a batch of hundreds looks each id up).
    entry_at: HashMap<String, usize>,
    audit_at: HashMap<String, usize>,
}

impl<'a> MirrorTx<'a> {
    pub(crate) fn new(inner: &'a mut dyn Tx, m: &'a mut Mirror) -> MirrorTx<'a> {
        MirrorTx {
            inner,
            m,
            entries: Vec::new(),
            audit: Vec::new(),
            entry_at: HashMap::new(),
            audit_at: HashMap::new(),
        }
    }

    /// Whether a row was written to the mirror (and so must be rolled back with the transaction).
    pub(crate) fn wrote(&self) -> bool {
        !self.entries.is_empty() || !self.audit.is_empty()
    }

    /// Writes the buffered rows to the database.
    pub(crate) fn flush(&mut self) -> Result<(), Error> {
        self.inner.insert_many(&self.entries, &self.audit)?;
        self.entries.clear();
        self.audit.clear();
        self.entry_at.clear();
        self.audit_at.clear();
        Ok(())
    }
}

impl Tx for MirrorTx<'_> {
    fn audit_by_client_id(&mut self, id: &str) -> Result<Option<AuditRecord>, Error> {
        if let Some(a) = self.audit_at.get(id).and_then(|&i| self.audit.get(i)) {
            return Ok(Some(a.clone()));
        }
        if self.m.audit_ids.contains(id) {
            self.inner.audit_by_client_id(id)
        } else {
            Ok(None)
        }
    }
    fn entry_by_client_id(&mut self, id: &str) -> Result<Option<Entry>, Error> {
        if let Some((e, _)) = self.entry_at.get(id).and_then(|&i| self.entries.get(i)) {
            return Ok(Some(e.clone()));
        }
        if self.m.entry_ids.contains(id) {
            self.inner.entry_by_client_id(id)
        } else {
            Ok(None)
        }
    }
    fn entries_for(&mut self, kind: &str, subject: &str) -> Result<Vec<Entry>, Error> {
        match kind {
            "shipment" | "attrition" | "adjustment" | "disposition" => {
                self.inner.entries_for(kind, subject)
            }
            _ => Ok(self
                .m
                .by_subject
                .get(&(kind.to_string(), subject.to_string()))
                .cloned()
                .unwrap_or_default()),
        }
    }
    fn sum(&mut self, key: &str, mode: SumMode, date: Date) -> Result<i64, Error> {
        let mut s: i64 = 0;
        for (d, a) in self.m.draws.get(key).map(Vec::as_slice).unwrap_or(&[]) {
            let counts = match mode {
                SumMode::AsOf => *d <= date,
                SumMode::Upper => *a > 0 || *d <= date,
                SumMode::Lower => *a < 0 || *d <= date,
            };
            if counts {
                s = s
                    .checked_add(*a)
                    .ok_or_else(|| Error::Corrupt(format!("sum of `{key}` overflows")))?;
            }
        }
        Ok(s)
    }
    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, Error> {
        Ok(self
            .m
            .draws
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect())
    }
    fn next_entry_seq(&mut self) -> Result<u64, Error> {
        Ok(self.m.last_entry_seq + 1)
    }
    fn party_spellings(&mut self, identity: &str) -> Result<Vec<String>, Error> {
        Ok(self
            .m
            .spellings
            .get(identity)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default())
    }
    fn insert_entry(&mut self, entry: &Entry, draws: &[Draw]) -> Result<(), Error> {
        self.entry_at
            .entry(entry.client_id.clone())
            .or_insert(self.entries.len());
        self.entries.push((entry.clone(), draws.to_vec()));
        self.m.add_entry(entry.seq, &entry.client_id, Some(entry));
        for d in draws {
            self.m.add_draw(d);
        }
        Ok(())
    }
    fn last_audit(&mut self) -> Result<Option<(u64, String)>, Error> {
        Ok(self.m.last_audit.clone())
    }
    fn insert_audit(&mut self, record: &AuditRecord) -> Result<(), Error> {
        self.audit_at
            .entry(record.client_id.clone())
            .or_insert(self.audit.len());
        self.audit.push(record.clone());
        self.m
            .add_audit(record.seq, &record.client_id, &record.hash);
        Ok(())
    }
    fn all_entries(&mut self) -> Result<Vec<Entry>, Error> {
        self.inner.all_entries()
    }
    fn all_draws(&mut self) -> Result<Vec<(u64, Draw)>, Error> {
        self.inner.all_draws()
    }
    fn all_audit(&mut self) -> Result<Vec<AuditRecord>, Error> {
        self.inner.all_audit()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    //! The statements one `Ledger::apply` sends to SQLite, counted by a `Tx` that forwards every
    //! call: deciding from the ledger's tables (the path before issue 14) against deciding from the
    //! mirror (the path `Ledger::apply` and group commit take), on a ledger that already holds 200
    //! consignees. Figures in docs/benchmarks.md.

    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::entry::Draw;
    use crate::ledger::{apply_in, run_one, Meta, PreparedApply};
    use crate::store::{CatchUp, Store, TxFn};

    /// Counts the SQL statements behind each call (a sum or a lookup is one; storing an entry is one
    /// plus one per draw and one per draw on a party key, its spelling; a catch-up is three on
    /// SQLite).
    struct Counting<'a> {
        inner: &'a mut dyn Tx,
        n: &'a AtomicUsize,
    }

    impl Counting<'_> {
        fn add(&self, k: usize) {
            self.n.fetch_add(k, Ordering::Relaxed);
        }
    }

    impl Tx for Counting<'_> {
        fn audit_by_client_id(&mut self, id: &str) -> Result<Option<AuditRecord>, Error> {
            self.add(1);
            self.inner.audit_by_client_id(id)
        }
        fn entry_by_client_id(&mut self, id: &str) -> Result<Option<Entry>, Error> {
            self.add(1);
            self.inner.entry_by_client_id(id)
        }
        fn entries_for(&mut self, kind: &str, subject: &str) -> Result<Vec<Entry>, Error> {
            self.add(1);
            self.inner.entries_for(kind, subject)
        }
        fn sum(&mut self, key: &str, mode: SumMode, date: Date) -> Result<i64, Error> {
            self.add(1);
            self.inner.sum(key, mode, date)
        }
        fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, Error> {
            self.add(1);
            self.inner.keys_with_prefix(prefix)
        }
        fn party_spellings(&mut self, identity: &str) -> Result<Vec<String>, Error> {
            self.add(1);
            self.inner.party_spellings(identity)
        }
        fn next_entry_seq(&mut self) -> Result<u64, Error> {
            self.add(1);
            self.inner.next_entry_seq()
        }
        fn insert_entry(&mut self, entry: &Entry, draws: &[Draw]) -> Result<(), Error> {
            // The entry, each draw, and the spelling of each draw on a party key (the index of
            // spellings, `INSERT OR IGNORE`).
            let spellings = draws
                .iter()
                .filter(|d| crate::entry::key_party(&d.key).is_some())
                .count();
            self.add(1 + draws.len() + spellings);
            self.inner.insert_entry(entry, draws)
        }
        fn last_audit(&mut self) -> Result<Option<(u64, String)>, Error> {
            self.add(1);
            self.inner.last_audit()
        }
        fn insert_audit(&mut self, record: &AuditRecord) -> Result<(), Error> {
            self.add(1);
            self.inner.insert_audit(record)
        }
        fn all_entries(&mut self) -> Result<Vec<Entry>, Error> {
            self.add(1);
            self.inner.all_entries()
        }
        fn all_draws(&mut self) -> Result<Vec<(u64, Draw)>, Error> {
            self.add(1);
            self.inner.all_draws()
        }
        fn all_audit(&mut self) -> Result<Vec<AuditRecord>, Error> {
            self.add(1);
            self.inner.all_audit()
        }
        fn rewrites(&mut self) -> Result<u64, Error> {
            self.add(1);
            self.inner.rewrites()
        }
        fn catch_up(&mut self, entry_seq: u64, audit_seq: u64) -> Result<CatchUp, Error> {
            self.add(3);
            self.inner.catch_up(entry_seq, audit_seq)
        }
    }

    /// A store whose transactions count their statements (BEGIN and COMMIT not included).
    struct CountingStore<'a>(Box<dyn Store>, &'a AtomicUsize);

    impl Store for CountingStore<'_> {
        fn write(&mut self, f: &mut TxFn<'_>) -> Result<(), Error> {
            let n = self.1;
            self.0.write(&mut |tx| f(&mut Counting { inner: tx, n }))
        }
        fn read(&mut self, f: &mut TxFn<'_>) -> Result<(), Error> {
            self.0.read(f)
        }
        fn backend(&self) -> &'static str {
            "counting"
        }
    }

    fn req(id: &str, who: &str) -> String {
        serde_json::json!({
            "id": id, "date": "2025-06-01", "rule_set": "ai-diffusion-2025", "destination": "IN",
            "items": [{"chip": "nvidia-h100-sxm", "quantity": 1}], "consignee": {"name": who},
        })
        .to_string()
    }

    #[test]
    fn one_apply_sends_a_fixed_handful_of_statements() {
        let dir = tempfile::tempdir().unwrap();
        let rules = chipcap_rules::embedded().unwrap();
        let meta = Meta {
            recorded_by: "t".into(),
            recorded_at: "2025-06-01T00:00:00Z".into(),
        };
        let day = Date::new(2025, 6, 1).unwrap();
        let n = AtomicUsize::new(0);
        let mut store = CountingStore(
            Box::new(crate::SqliteStore::open(&dir.path().join("l.db")).unwrap()),
            &n,
        );
        let mut mirror = Mirror::default();
        for i in 0..200 {
            let p = PreparedApply::new(
                &rules,
                &req(&format!("w{i}"), &format!("C{i}")),
                &meta,
                day,
                &|_| None,
            )
            .unwrap();
            assert!(
                run_one(&mut store, &mut mirror, &rules, &p)
                    .unwrap()
                    .recorded
            );
        }
        // From the tables (the path `Ledger::apply` took before): a new consignee, then a known one.
        let mut direct = Vec::new();
        for (id, who) in [("d1", "New Co"), ("d2", "C7")] {
            let p = PreparedApply::new(&rules, &req(id, who), &meta, day, &|_| None).unwrap();
            n.store(0, Ordering::Relaxed);
            store
                .write(&mut |tx| apply_in(tx, &rules, &p.pre, &p.parsed, &p.meta).map(|_| ()))
                .unwrap();
            direct.push(n.load(Ordering::Relaxed));
        }
        // From the mirror: caught up (the two writes above went around it), then current.
        let mut mirrored = Vec::new();
        for (id, who) in [("m1", "Other Co"), ("m2", "C8")] {
            let p = PreparedApply::new(&rules, &req(id, who), &meta, day, &|_| None).unwrap();
            n.store(0, Ordering::Relaxed);
            assert!(
                run_one(&mut store, &mut mirror, &rules, &p)
                    .unwrap()
                    .recorded
            );
            mirrored.push(n.load(Ordering::Relaxed));
        }
        // A new handle (a one-shot `chipcap ledger apply`) decides its first request from the
        // tables, without loading the whole mirror; it loads it at its second.
        let mut fresh = Mirror::default();
        let p = PreparedApply::new(&rules, &req("f1", "Fresh Co"), &meta, day, &|_| None).unwrap();
        n.store(0, Ordering::Relaxed);
        assert!(
            run_one(&mut store, &mut fresh, &rules, &p)
                .unwrap()
                .recorded
        );
        assert!(!fresh.loaded && fresh.entry_ids.is_empty());
        assert_eq!(n.load(Ordering::Relaxed), direct[0]);
        let p = PreparedApply::new(&rules, &req("f2", "Fresh Co"), &meta, day, &|_| None).unwrap();
        n.store(0, Ordering::Relaxed);
        assert!(
            run_one(&mut store, &mut fresh, &rules, &p)
                .unwrap()
                .recorded
        );
        assert!(fresh.loaded && fresh.entry_ids.len() == 206);
        // Regression: the whole ledger was read into the mirror inside the write transaction
        // (holding every other writer); it is read from a snapshot before it now, and the write
        // transaction sends what a loaded mirror's does (9 with the load in it).
        assert_eq!(n.load(Ordering::Relaxed), 6);
        eprintln!("statements per apply (BEGIN/COMMIT not counted): from the tables {direct:?}, from the mirror {mirrored:?}");
        // last_audit + rewrites (+ a catch-up of 3 after another writer), the entry with its
        // draw and the draw's spelling, the audit record: nothing that grows with the ledger.
        assert_eq!(mirrored, [9, 6]);
        // From the tables: the party's other spellings are one lookup in the index of spellings
        // (four scans of every party key before), and the entry, draw, spelling and audit record.
        assert_eq!(direct, [18, 18]);
    }
}
