//! Crash test: a bulk import killed with SIGKILL at random points; afterwards `verify` passes, every
//! batch acknowledged before the kill is present, and no batch is half-recorded.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::*;
use crate::on_every_backend;

on_every_backend!(import_killed_at_random_points_loses_no_acknowledged_batch);

const ROWS: usize = 20;

/// A small xorshift generator seeded from the clock: a different kill point every run.
fn rng() -> impl FnMut(u64) -> u64 {
    let mut x = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(88172645463325252)
        | 1;
    move |n| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    }
}

fn import_killed_at_random_points_loses_no_acknowledged_batch(b: Backend) {
    let Some(f) = Fixture::new(b, "crash") else {
        return;
    };
    let Some(db) = f.db_arg() else {
        // The in-memory model does not survive its process; the crash test is for durable backends.
        return;
    };
    let worker = env!("CARGO_BIN_EXE_chipcap-ledger-worker");
    let mut next = rng();
    let mut acked = Vec::new();
    for round in 0..3 {
        let prefix = format!("r{round}");
        let mut child = Command::new(worker)
            .args(["import", &db, &prefix, "1000", &ROWS.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Kill after a random number of acknowledged batches (0 to 5), and then again at a random
        // point inside the following ones: the kill lands mid-transaction or between transactions.
        let wait_for = next(6);
        for _ in 0..wait_for {
            match lines.next() {
                Some(Ok(l)) => acked.push(l.trim_start_matches("ack ").to_string()),
                _ => break,
            }
        }
        let spin = next(20_000);
        for _ in 0..spin {
            std::hint::spin_loop();
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Lines already written were acknowledged too.
        for l in lines.map_while(Result::ok) {
            acked.push(l.trim_start_matches("ack ").to_string());
        }
    }
    let mut l = f.ledger();
    let v = l.verify().unwrap();
    assert!(
        v.problems.is_empty(),
        "verify after the kills: {:?}",
        v.problems
    );
    let mut per_batch: BTreeMap<String, usize> = BTreeMap::new();
    for e in l.entries().unwrap() {
        let batch = e.client_id.rsplit_once('-').unwrap().0.to_string();
        *per_batch.entry(batch).or_default() += 1;
    }
    for (batch, n) in &per_batch {
        assert_eq!(*n, ROWS, "batch {batch} is half-recorded");
    }
    for a in &acked {
        assert_eq!(
            per_batch.get(a),
            Some(&ROWS),
            "acknowledged batch {a} is missing"
        );
    }
}
