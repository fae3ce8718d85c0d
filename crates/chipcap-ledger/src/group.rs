//! The ledger's one writer: a thread that owns the store and runs, in arrival order, every job sent
//! to it. The `apply` requests waiting in its queue together (up to the maximum batch) are decided
//! and committed in one durable transaction, each checked in order against the running balances
//! (the earlier ones' inserts are visible to the later ones), and answered after that commit: a
//! client is answered only after the commit that holds its request, so durability and the cap
//! guarantee are those of one transaction per apply; only the fsync and the lock are shared. Any
//! other operation (a read, a grant, a party, a list of dispositions ...) runs alone, in its turn,
//! on the writer's [`Ledger`].
//!
//! The writer keeps an in-memory mirror of the balances and lookups (see `mirror.rs`), checked
//! against the database at the start of every batch of applies, so a request reads no row from the
//! database; only its inserts go to it.
//!
//! For a long-running process with many concurrent clients (the HTTP server runs its ledger on it);
//! a one-shot CLI process uses [`crate::Ledger::apply`]. Other processes writing the same ledger
//! still serialise with it on the ledger's write lock.
//!
//! Answers go through a callback the caller chooses ([`ApplyReply`], or the closure of an
//! operation), so an async caller can answer through its own channel (the server uses tokio's
//! oneshot) while this crate stays free of any runtime. Every job that reached the queue is run to
//! its end even if nobody waits for the answer any more, and dropping the [`GroupCommit`] waits for
//! the jobs already queued.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use chipcap_core::date::Date;
use chipcap_core::params::RuleSet;
use chipcap_core::wire;

use crate::error::Error;
use crate::ledger::{Ledger, Meta, Outcome, PreparedApply};
use crate::store::Store;

/// Where a client's applies are answered: called once, on the writer thread, after the commit,
/// with one result per request, in order.
pub type ApplyReply = Box<dyn FnOnce(Vec<Result<Outcome, Error>>) + Send>;

/// An operation run alone on the writer's ledger (it answers through what it captured).
pub type LedgerOp = Box<dyn for<'r> FnOnce(&mut Ledger<'r>) + Send>;

/// Work for the writer.
enum Job {
    /// One client's requests (one, or a batch sent together): kept together and in order, and
    /// committed with the applies waiting around them.
    Apply(Vec<PreparedApply>, ApplyReply),
    /// Any other operation, run alone.
    Op(LedgerOp),
}

/// A group-committing front to one store. Cheap to share between threads (`Arc<GroupCommit>`).
pub struct GroupCommit {
    queue: Option<mpsc::Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    rules: Arc<RuleSet>,
    backend: &'static str,
}

fn stopped() -> Error {
    Error::Storage("the group-commit writer has stopped".into())
}

impl GroupCommit {
    /// Starts the writer thread; at most `max_batch` requests share one transaction.
    pub fn start(mut store: Box<dyn Store>, rules: Arc<RuleSet>, max_batch: usize) -> GroupCommit {
        store.background_maintenance();
        let backend = store.backend();
        let (tx, rx) = mpsc::channel::<Job>();
        let r = Arc::clone(&rules);
        let writer = std::thread::Builder::new()
            .name("chipcap-ledger".into())
            .spawn(move || {
                let mut ledger = Ledger::new(store, &r);
                writer(&mut ledger, rx, max_batch.max(1));
            })
            .ok();
        GroupCommit {
            queue: writer.as_ref().map(|_| tx),
            writer,
            rules,
            backend,
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
        self.submit_applies(
            prepared,
            Box::new(move |r| {
                let _ = reply.send(r);
            }),
        )?;
        answer
            .recv()
            .map_err(|_| Error::Storage("the group-commit writer stopped before answering".into()))
    }

    /// Queues a client's batch of prepared requests (as [`GroupCommit::apply_prepared`]) and
    /// returns at once; `reply` is called after the commit. The requests are applied even if
    /// `reply` has nobody to answer any more. An empty batch is answered at once.
    pub fn submit_applies(
        &self,
        prepared: Vec<PreparedApply>,
        reply: ApplyReply,
    ) -> Result<(), Error> {
        if prepared.is_empty() {
            reply(Vec::new());
            return Ok(());
        }
        self.send(Job::Apply(prepared, reply))
    }

    /// Queues an operation to run alone on the writer's ledger, after every job queued before it
    /// and before every job queued after it; returns at once. The operation answers through what
    /// it captured (a channel) and runs even if nobody waits for that answer any more.
    pub fn submit(&self, op: LedgerOp) -> Result<(), Error> {
        self.send(Job::Op(op))
    }

    /// Runs `f` on the writer's ledger (see [`GroupCommit::submit`]) and waits for its result.
    pub fn run<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: for<'r> FnOnce(&mut Ledger<'r>) -> Result<T, Error> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        self.submit(Box::new(move |l: &mut Ledger<'_>| {
            let _ = tx.send(f(l));
        }))?;
        rx.recv().map_err(|_| {
            Error::Storage("the group-commit writer stopped before answering".into())
        })?
    }

    fn send(&self, job: Job) -> Result<(), Error> {
        self.queue
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())
    }

    /// The rule set the writer decides with (to prepare requests for [`GroupCommit::apply_prepared`]).
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The backend's name (`memory`, `sqlite`, `postgres`).
    pub fn backend(&self) -> &'static str {
        self.backend
    }
}

impl Drop for GroupCommit {
    /// Closes the queue and waits for the jobs already queued: every write accepted is committed
    /// (and answered) before the store is closed.
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

/// What the writer runs next.
enum Next {
    Op(LedgerOp),
    Applies(Vec<(Vec<PreparedApply>, ApplyReply)>),
}

/// The writer's end of the queue: a job taken while a batch was being gathered that cannot join it
/// (an operation) is held for the next turn, so jobs run in arrival order.
struct Queue {
    rx: mpsc::Receiver<Job>,
    held: Option<Job>,
    /// The size of the previous batch, in jobs: while fewer have come, the writer waits up to
    /// [`LINGER`] for more; raised to a larger batch, lowered to a batch that waited the whole
    /// delay (fewer clients are sending).
    expect: usize,
    max: usize,
}

impl Queue {
    fn recv(&mut self) -> Option<Job> {
        match self.held.take() {
            Some(j) => Some(j),
            None => self.rx.recv().ok(),
        }
    }

    /// The next operation, or the next batch of applies: the first waits, the rest are taken while
    /// they are waiting (or come within the delay). A batch stops at an operation (held for the
    /// next turn) or once it holds `max` requests (a job is never split; one job larger than `max`
    /// is a batch of its own). `None` when the queue is closed and empty.
    fn next(&mut self) -> Option<Next> {
        let (first, reply) = match self.recv()? {
            Job::Op(op) => return Some(Next::Op(op)),
            Job::Apply(p, r) => (p, r),
        };
        let mut weight = first.len();
        let mut batch = vec![(first, reply)];
        let mut waited_out = false;
        let deadline = std::time::Instant::now() + LINGER;
        while weight < self.max {
            let job = match self.rx.try_recv() {
                Ok(j) => j,
                Err(mpsc::TryRecvError::Disconnected) => break,
                Err(mpsc::TryRecvError::Empty) => {
                    if batch.len() >= self.expect {
                        break;
                    }
                    let now = std::time::Instant::now();
                    if now >= deadline {
                        waited_out = true;
                        break;
                    }
                    match self.rx.recv_timeout(deadline - now) {
                        Ok(j) => j,
                        Err(_) => {
                            waited_out = true;
                            break;
                        }
                    }
                }
            };
            match job {
                Job::Apply(p, r) => {
                    weight = weight.saturating_add(p.len());
                    batch.push((p, r));
                }
                op @ Job::Op(_) => {
                    self.held = Some(op);
                    break;
                }
            }
        }
        self.expect = if waited_out {
            batch.len()
        } else {
            self.expect.max(batch.len())
        };
        Some(Next::Applies(batch))
    }
}

/// Runs every job sent, including those whose client went away (a write that started is always
/// completed); ends when the queue is closed (the [`GroupCommit`] dropped) and empty.
fn writer(ledger: &mut Ledger<'_>, rx: mpsc::Receiver<Job>, max: usize) {
    let mut q = Queue {
        rx,
        held: None,
        expect: 1,
        max,
    };
    while let Some(next) = q.next() {
        match next {
            Next::Op(op) => op(ledger),
            Next::Applies(batch) => {
                let jobs: Vec<&PreparedApply> = batch.iter().flat_map(|(p, _)| p.iter()).collect();
                let mut results = ledger.apply_batch(&jobs).into_iter();
                for (p, reply) in batch {
                    let mine: Vec<_> = results.by_ref().take(p.len()).collect();
                    reply(mine);
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::store::{MemoryStore, TxFn};

    /// A memory store that counts its write transactions.
    struct Counting(MemoryStore, Arc<AtomicUsize>);

    impl Store for Counting {
        fn write(&mut self, f: &mut TxFn<'_>) -> Result<(), Error> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.write(f)
        }
        fn read(&mut self, f: &mut TxFn<'_>) -> Result<(), Error> {
            self.0.read(f)
        }
        fn backend(&self) -> &'static str {
            "memory"
        }
    }

    fn meta() -> Meta {
        Meta {
            recorded_by: "t".into(),
            recorded_at: "2025-06-01T00:00:00Z".into(),
        }
    }

    fn day() -> Date {
        Date::new(2025, 6, 1).unwrap()
    }

    /// One unit of 100,000 TPP under LPP for `who` (26,900,000 TPP a year: 269 units).
    fn req(id: &str, who: &str, units: u64) -> String {
        serde_json::json!({
            "id": id, "date": "2025-06-01", "rule_set": "ai-diffusion-2025", "destination": "IN",
            "items": [{"tpp": 100000, "die_area_mm2": 800, "datacenter": true, "quantity": units}],
            "consignee": {"name": who},
        })
        .to_string()
    }

    fn start(max: usize) -> (GroupCommit, MemoryStore, Arc<AtomicUsize>) {
        let mem = MemoryStore::new();
        let writes = Arc::new(AtomicUsize::new(0));
        let rules = Arc::new(chipcap_rules::embedded().unwrap());
        let g = GroupCommit::start(
            Box::new(Counting(mem.clone(), Arc::clone(&writes))),
            rules,
            max,
        );
        (g, mem, writes)
    }

    /// Holds the writer inside an operation until the returned sender is dropped or sent to, so
    /// that the jobs queued meanwhile are all waiting when it takes the next one.
    fn hold(g: &GroupCommit) -> mpsc::Sender<()> {
        let (go, wait) = mpsc::channel::<()>();
        let (held, is_held) = mpsc::channel::<()>();
        g.submit(Box::new(move |_: &mut Ledger<'_>| {
            let _ = held.send(());
            let _ = wait.recv();
        }))
        .unwrap();
        is_held.recv().unwrap();
        go
    }

    fn prepared(g: &GroupCommit, id: &str, units: u64) -> Vec<PreparedApply> {
        vec![
            PreparedApply::new(g.rules(), &req(id, "Acme", units), &meta(), day(), &|_| {
                None
            })
            .unwrap(),
        ]
    }

    /// Applies waiting together share one transaction; an operation queued between them runs alone,
    /// in its turn: it sees the applies queued before it and none queued after it.
    #[test]
    fn applies_waiting_together_share_a_transaction_and_operations_run_in_order() {
        let (g, _mem, writes) = start(64);
        let go = hold(&g);
        let (tx, answers) = mpsc::channel::<(String, usize)>();
        let entries = |tag: &'static str| -> LedgerOp {
            let tx = tx.clone();
            Box::new(move |l: &mut Ledger<'_>| {
                let _ = tx.send((tag.to_string(), l.entries().unwrap().len()));
            })
        };
        let answer = |tag: &'static str| -> ApplyReply {
            let tx = tx.clone();
            Box::new(move |r: Vec<Result<Outcome, Error>>| {
                let recorded = r
                    .iter()
                    .filter(|o| o.as_ref().is_ok_and(|o| o.recorded))
                    .count();
                let _ = tx.send((tag.to_string(), recorded));
            })
        };
        g.submit_applies(prepared(&g, "a1", 1), answer("a1"))
            .unwrap();
        g.submit_applies(prepared(&g, "a2", 1), answer("a2"))
            .unwrap();
        g.submit(entries("after a1, a2")).unwrap();
        g.submit_applies(prepared(&g, "a3", 1), answer("a3"))
            .unwrap();
        g.submit_applies(prepared(&g, "a4", 1), answer("a4"))
            .unwrap();
        g.submit_applies(prepared(&g, "a5", 1), answer("a5"))
            .unwrap();
        g.submit(entries("after a5")).unwrap();
        let before = writes.load(Ordering::SeqCst);
        drop(go);
        let got: Vec<(String, usize)> = answers.iter().take(7).collect();
        let tags: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            tags,
            ["a1", "a2", "after a1, a2", "a3", "a4", "a5", "after a5"],
            "jobs run and are answered in arrival order"
        );
        assert_eq!(got[2].1, 2);
        assert_eq!(got[6].1, 5);
        assert!(got
            .iter()
            .filter(|(t, _)| t.starts_with('a') && t.len() == 2)
            .all(|(_, n)| *n == 1));
        // Two batches of applies (a1-a2, a3-a5), one transaction each.
        assert_eq!(writes.load(Ordering::SeqCst) - before, 2);
    }

    /// A batch holds at most `max` requests; a client's batch is never split.
    #[test]
    fn a_batch_stops_at_the_maximum() {
        let (g, _mem, writes) = start(2);
        let go = hold(&g);
        let (tx, answers) = mpsc::channel::<usize>();
        for i in 0..5 {
            let tx = tx.clone();
            g.submit_applies(
                prepared(&g, &format!("m{i}"), 1),
                Box::new(move |r| {
                    let _ = tx.send(r.len());
                }),
            )
            .unwrap();
        }
        let mut three = prepared(&g, "big-0", 1);
        three.extend(prepared(&g, "big-1", 1));
        three.extend(prepared(&g, "big-2", 1));
        let tx2 = tx.clone();
        g.submit_applies(
            three,
            Box::new(move |r| {
                let _ = tx2.send(r.len());
            }),
        )
        .unwrap();
        let before = writes.load(Ordering::SeqCst);
        drop(go);
        let sizes: Vec<usize> = answers.iter().take(6).collect();
        assert_eq!(sizes, [1, 1, 1, 1, 1, 3]);
        // m0-m1, m2-m3, m4 with the client's batch of three (4 >= 2 stops after it).
        assert_eq!(writes.load(Ordering::SeqCst) - before, 3);
    }

    /// A job whose client went away is still run, and dropping the writer waits for every job
    /// queued: the store holds them all afterwards.
    #[test]
    fn queued_jobs_complete_without_their_client_and_before_drop_returns() {
        let (g, mem, _writes) = start(8);
        let go = hold(&g);
        for i in 0..20 {
            g.submit_applies(prepared(&g, &format!("gone-{i}"), 1), Box::new(|_| {}))
                .unwrap();
        }
        let (tx, rx) = mpsc::channel::<u32>();
        g.submit(Box::new(move |l: &mut Ledger<'_>| {
            drop(rx); // nobody will read the answer
            let _ = tx.send(
                l.entries()
                    .map_or(0, |e| u32::try_from(e.len()).unwrap_or(0)),
            );
        }))
        .unwrap();
        drop(go);
        drop(g);
        let rules = chipcap_rules::embedded().unwrap();
        let mut l = Ledger::new(Box::new(mem), &rules);
        assert_eq!(l.entries().unwrap().len(), 20);
        assert!(l.verify().unwrap().problems.is_empty());
    }

    /// `run` answers with the operation's result; an error is the operation's own.
    #[test]
    fn run_returns_the_operation_result() {
        let (g, _mem, _writes) = start(8);
        let o = g.apply(&req("r1", "Acme", 3), &meta(), day()).unwrap();
        assert!(o.recorded);
        let n = g.run(|l| l.entries().map(|e| e.len())).unwrap();
        assert_eq!(n, 1);
        let e = g
            .run(|_| -> Result<(), Error> { Err(Error::Input("mine".into())) })
            .unwrap_err();
        assert_eq!(e.to_string(), Error::Input("mine".into()).to_string());
        assert_eq!(g.backend(), "memory");
    }
}
