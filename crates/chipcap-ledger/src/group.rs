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
use crate::ledger::{run_batch, Meta, Outcome, PreparedApply};
use crate::mirror::Mirror;
use crate::store::Store;

/// One client's requests (one, or a batch sent together): they go in the same transaction, in order.
struct Job {
    prepared: Vec<PreparedApply>,
    reply: mpsc::Sender<Vec<Result<Outcome, Error>>>,
}

/// A group-committing front to one store. Cheap to share between threads (`Arc<GroupCommit>`).
pub struct GroupCommit {
    queue: Option<mpsc::Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    rules: Arc<RuleSet>,
}

impl GroupCommit {
    /// Starts the writer thread; at most `max_batch` requests share one transaction.
    pub fn start(mut store: Box<dyn Store>, rules: Arc<RuleSet>, max_batch: usize) -> GroupCommit {
        store.background_maintenance();
        let (tx, rx) = mpsc::channel::<Job>();
        let r = Arc::clone(&rules);
        let writer = std::thread::Builder::new()
            .name("chipcap-group".into())
            .spawn(move || writer(store, &r, &rx, max_batch.max(1)))
            .ok();
        GroupCommit {
            queue: writer.as_ref().map(|_| tx),
            writer,
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
        let prepared = PreparedApply::new(&self.rules, request_json, meta, today, screen)?;
        self.apply_prepared(vec![prepared])?
            .pop()
            .ok_or_else(|| Error::Storage("the group-commit writer gave no answer".into()))?
    }

    /// Applies a client's batch of prepared requests: all in the same transaction (shared with
    /// the other clients' requests waiting then), each decided in order against the balances the
    /// ones before it left, exactly as if applied one after another; returns once that
    /// transaction has committed, one result per request, in order. A request's input error (a
    /// refusal, a bad request) fails only that request; a storage error fails them all and
    /// nothing is written.
    pub fn apply_prepared(
        &self,
        prepared: Vec<PreparedApply>,
    ) -> Result<Vec<Result<Outcome, Error>>, Error> {
        if prepared.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = mpsc::channel();
        self.queue
            .as_ref()
            .ok_or_else(|| Error::Storage("the group-commit writer has stopped".into()))?
            .send(Job { prepared, reply })
            .map_err(|_| Error::Storage("the group-commit writer has stopped".into()))?;
        answer
            .recv()
            .map_err(|_| Error::Storage("the group-commit writer stopped before answering".into()))
    }

    /// The rule set the writer decides with (to prepare requests for [`GroupCommit::apply_prepared`]).
    pub fn rules(&self) -> &RuleSet {
        &self.rules
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

/// How long the writer waits for the clients of the previous batch to send again before it commits
/// a smaller batch (group commit's classic "commit delay"): a client answered by the last commit
/// usually sends its next request within microseconds, and one more request in the batch costs far
/// less than one more commit.
pub const LINGER: std::time::Duration = std::time::Duration::from_micros(150);

/// How many requests a queued job holds (a client's batch counts for all its requests).
pub trait Weight {
    /// The number of requests.
    fn weight(&self) -> usize;
}

impl Weight for Job {
    fn weight(&self) -> usize {
        self.prepared.len()
    }
}

/// Takes the next batch from `rx`: the first job waits, the rest are taken while they are waiting;
/// while fewer than `expect` (the size of the previous batch, in jobs) have come, it waits up to
/// [`LINGER`] for more. `expect` is updated: raised to a larger batch, lowered to a batch that
/// waited the whole delay (fewer clients are sending). A batch stops taking jobs once it holds
/// `max` requests (a job is never split; one job larger than `max` is a batch of its own). `None`
/// when the queue is closed and empty.
pub fn next_batch<T: Weight>(
    rx: &mpsc::Receiver<T>,
    max: usize,
    expect: &mut usize,
) -> Option<Vec<T>> {
    let first = rx.recv().ok()?;
    let mut weight = first.weight();
    let mut batch = vec![first];
    let mut waited_out = false;
    let deadline = std::time::Instant::now() + LINGER;
    while weight < max {
        match rx.try_recv() {
            Ok(j) => {
                weight = weight.saturating_add(j.weight());
                batch.push(j);
            }
            Err(mpsc::TryRecvError::Disconnected) => break,
            Err(mpsc::TryRecvError::Empty) => {
                if batch.len() >= *expect {
                    break;
                }
                let now = std::time::Instant::now();
                if now >= deadline {
                    waited_out = true;
                    break;
                }
                match rx.recv_timeout(deadline - now) {
                    Ok(j) => {
                        weight = weight.saturating_add(j.weight());
                        batch.push(j);
                    }
                    Err(_) => {
                        waited_out = true;
                        break;
                    }
                }
            }
        }
    }
    *expect = if waited_out {
        batch.len()
    } else {
        (*expect).max(batch.len())
    };
    Some(batch)
}

fn writer(mut store: Box<dyn Store>, rules: &RuleSet, rx: &mpsc::Receiver<Job>, max: usize) {
    let mut mirror = Mirror::default();
    let mut expect = 1;
    while let Some(batch) = next_batch(rx, max, &mut expect) {
        let jobs: Vec<&PreparedApply> = batch.iter().flat_map(|j| j.prepared.iter()).collect();
        let mut results = run_batch(store.as_mut(), &mut mirror, rules, &jobs).into_iter();
        for job in &batch {
            let mine: Vec<_> = results.by_ref().take(job.prepared.len()).collect();
            let _ = job.reply.send(mine);
        }
    }
}
