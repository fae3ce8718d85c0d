//! Group commit for `apply`: one writer thread owns the store and runs every request waiting in
//! its queue in one durable transaction, each decided and checked in order against the running
//! balances (the earlier ones' inserts are visible to the later ones), then commits once and answers
//! them all. A client is answered only after the commit, so durability and the cap guarantee are
//! those of one-transaction-per-apply; only the fsync and the lock are shared.
//!
//! The writer keeps an in-memory mirror of the balances and lookups (see `mirror.rs`), checked
//! against the database at the start of every transaction, so a request reads no row from the
//! database; only its inserts go to it.
//!
//! For a long-running process with many concurrent clients (the HTTP server); a one-shot CLI
//! process uses [`crate::Ledger::apply`]. Other processes writing the same ledger still serialise
//! with it on the ledger's write lock.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use chipcap_core::date::Date;
use chipcap_core::params::RuleSet;
use chipcap_core::wire;

use crate::error::Error;
use crate::ledger::{apply_in, prepare, Meta, Outcome, Prepared};
use crate::mirror::{Mirror, MirrorTx};
use crate::store::Store;

struct Job {
    pre: Prepared,
    parsed: wire::ParsedRequest,
    meta: Meta,
    reply: mpsc::Sender<Result<Outcome, Error>>,
}

/// A group-committing front to one store. Cheap to share between threads (`Arc<GroupCommit>`).
pub struct GroupCommit {
    queue: Option<mpsc::Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    rules: Arc<RuleSet>,
}

impl GroupCommit {
    /// Starts the writer thread; at most `max_batch` requests share one transaction.
    pub fn start(store: Box<dyn Store>, rules: Arc<RuleSet>, max_batch: usize) -> GroupCommit {
        let (tx, rx) = mpsc::channel::<Job>();
        let r = Arc::clone(&rules);
        let writer = std::thread::spawn(move || writer(store, &r, &rx, max_batch.max(1)));
        GroupCommit {
            queue: Some(tx),
            writer: Some(writer),
            rules,
        }
    }

    /// As [`crate::Ledger::apply`]; returns once the transaction holding the request has committed.
    pub fn apply(&self, request_json: &str, meta: &Meta, today: Date) -> Result<Outcome, Error> {
        self.apply_screened(request_json, meta, today, &|_| None)
    }

    /// As [`crate::Ledger::apply_screened`].
    pub fn apply_screened(
        &self,
        request_json: &str,
        meta: &Meta,
        today: Date,
        screen: &dyn Fn(&wire::ParsedRequest) -> Option<chipcap_core::request::Screening>,
    ) -> Result<Outcome, Error> {
        let pre = prepare(request_json)?;
        let mut parsed = wire::parse_request(&pre.text, &self.rules, today)
            .map_err(|e| Error::Request(e.to_string()))?;
        crate::ledger::fill_screening(&mut parsed, screen);
        let (reply, answer) = mpsc::channel();
        self.queue
            .as_ref()
            .ok_or_else(|| Error::Storage("the group-commit writer has stopped".into()))?
            .send(Job {
                pre,
                parsed,
                meta: meta.clone(),
                reply,
            })
            .map_err(|_| Error::Storage("the group-commit writer has stopped".into()))?;
        answer.recv().map_err(|_| {
            Error::Storage("the group-commit writer stopped before answering".into())
        })?
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.queue.take();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

fn writer(mut store: Box<dyn Store>, rules: &RuleSet, rx: &mpsc::Receiver<Job>, max: usize) {
    let mut mirror = Mirror::default();
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < max {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let mut results: Vec<Option<Result<Outcome, Error>>> = Vec::new();
        let committed = store.write(&mut |tx| {
            results.clear();
            mirror.sync(tx)?;
            let mut mt = MirrorTx::new(tx, &mut mirror);
            for job in &batch {
                // An input error (a refusal, a bad request) is raised before the job writes
                // anything, so the others go on; a storage error aborts the whole batch.
                match apply_in(&mut mt, rules, &job.pre, &job.parsed, &job.meta) {
                    Ok(o) => results.push(Some(Ok(o))),
                    Err(e) if e.is_input() => results.push(Some(Err(e))),
                    Err(e) => return Err(e),
                }
            }
            mt.flush()
        });
        match committed {
            Ok(()) => {
                for (job, r) in batch.into_iter().zip(results) {
                    let r = r.unwrap_or_else(|| Err(Error::Storage("no result".into())));
                    let _ = job.reply.send(r);
                }
            }
            Err(e) => {
                // The mirror may hold rows that were rolled back: reload it next time.
                mirror.loaded = false;
                let msg = e.to_string();
                for job in batch {
                    let _ = job.reply.send(Err(Error::Storage(msg.clone())));
                }
            }
        }
    }
}
