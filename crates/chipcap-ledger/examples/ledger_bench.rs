//! Throughput and latency of durable `ledger apply`, with 1 and 8 concurrent clients, against the
//! naive baseline measured in the same run: one durable transaction per apply (lock, sum the
//! allowance, insert, commit).
//!
//! cargo run --release -p chipcap-ledger --example ledger_bench -- [SECONDS] [POSTGRES_URL]
//!
//! SQLite runs in a temporary folder (WAL, synchronous=FULL); PostgreSQL runs when a URL is given
//! (or CHIPCAP_TEST_DATABASE_URL is set), each case in its own schema.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chipcap_core::date::Date;
use chipcap_ledger::{GroupCommit, Ledger, Meta, PgStore, SqliteStore, Store};

#[derive(Clone)]
enum Db {
    Sqlite(std::path::PathBuf),
    Pg(String, String),
}

fn open(db: &Db) -> Result<Box<dyn Store>, String> {
    match db {
        Db::Sqlite(p) => Ok(Box::new(SqliteStore::open(p).map_err(|e| e.to_string())?)),
        Db::Pg(u, s) => Ok(Box::new(
            PgStore::open_in_schema(u, s).map_err(|e| e.to_string())?,
        )),
    }
}

/// Runs `op(client, i)` from `clients` threads for `secs`; returns (applies/s, p50 µs, p99 µs of
/// one call). One client's operation, called with a counter; returns how many applies it made.
type Op = Box<dyn FnMut(usize) -> Result<usize, String> + Send>;
/// Makes client `c`'s operation.
type MakeOp = dyn Fn(usize) -> Result<Op, String> + Sync;

fn measure(clients: usize, secs: f64, make: &MakeOp) -> Result<(f64, u128, u128), String> {
    let deadline = Duration::from_secs_f64(secs);
    let mut lat: Vec<u128> = Vec::new();
    let mut applies = 0usize;
    // Every client makes its operation (connection, warm-up) first; timing starts when all have.
    let ready = std::sync::Barrier::new(clients);
    let ready = &ready;
    let made = Instant::now();
    type Run = Result<(Vec<u128>, usize, f64), String>;
    let results: Vec<Run> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..clients)
            .map(|c| {
                s.spawn(move || -> Run {
                    let op = make(c);
                    if ready.wait().is_leader()
                        && std::env::var_os("CHIPCAP_BENCH_PREFILL").is_some()
                    {
                        eprintln!(
                            "{clients} clients ready (connections, warm-up) in {:.2} s",
                            made.elapsed().as_secs_f64()
                        );
                    }
                    let mut op = op?;
                    let start = Instant::now();
                    let mut l = Vec::new();
                    let mut i = 0;
                    let mut n = 0;
                    while start.elapsed() < deadline {
                        let t = Instant::now();
                        n += op(i)?;
                        l.push(t.elapsed().as_micros());
                        i += 1;
                    }
                    Ok((l, n, start.elapsed().as_secs_f64()))
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into())))
            .collect()
    });
    let mut elapsed: f64 = 0.0;
    for r in results {
        let (l, n, t) = r?;
        lat.extend(l);
        applies += n;
        elapsed = elapsed.max(t);
    }
    lat.sort_unstable();
    let n = lat.len();
    let pct = |p: usize| {
        lat.get((n * p / 100).min(n.saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Ok((applies as f64 / elapsed, pct(50), pct(99)))
}

/// Creates the ledger's schema and, when `n > 0`, writes `n` adjustment entries (each drawing on
/// its own allowance key), in batches, before timing.
fn prefill(db: &Db, n: u64) -> Result<(), String> {
    use chipcap_ledger::entry::{Adjustment, Body, Draw, Entry};
    let mut store = open(db)?;
    let date = Date::new(2025, 6, 1).ok_or("date")?;
    let mut seq = 0;
    while seq < n {
        let rows: Vec<(Entry, Vec<Draw>)> = (seq + 1..=n.min(seq + 10_000))
            .map(|s| {
                let key = format!("lpp|Prefill {s}|2025");
                let e = Entry {
                    seq: s,
                    client_id: format!("prefill-{s}"),
                    recorded_by: "bench".into(),
                    recorded_at: "2025-06-01T00:00:00Z".into(),
                    date,
                    body: Body::Adjustment(Adjustment {
                        key: key.clone(),
                        amount_milli: 1,
                        reason: "prefill".into(),
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
            })
            .collect();
        seq += rows.len() as u64;
        store
            .write(&mut |tx| tx.insert_many(&rows, &[]))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The naive baseline's table with `n` rows for other keys.
fn prefill_naive(db: &Db, n: u64) -> Result<(), String> {
    if n == 0 {
        return Ok(());
    }
    let numbers = match db {
        Db::Sqlite(_) => {
            format!("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n})")
        }
        Db::Pg(..) => format!("WITH c(x) AS (SELECT generate_series(1, {n}))"),
    };
    let rows = format!(
        "CREATE TABLE IF NOT EXISTS naive (key TEXT NOT NULL, amount BIGINT NOT NULL); \
         CREATE INDEX IF NOT EXISTS naive_key ON naive(key); \
         INSERT INTO naive (key, amount) {numbers} SELECT 'lpp|Prefill ' || x || '|2025', 1 FROM c;"
    );
    match db {
        Db::Sqlite(p) => rusqlite::Connection::open(p)
            .and_then(|c| c.execute_batch(&rows))
            .map_err(|e| e.to_string()),
        Db::Pg(u, s) => postgres::Client::connect(u, postgres::NoTls)
            .and_then(|mut c| {
                c.batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {s}; SET search_path TO {s}; {rows}"
                ))
            })
            .map_err(|e| e.to_string()),
    }
}

fn naive(db: &Db, clients: usize, secs: f64) -> Result<(f64, u128, u128), String> {
    // Schema: one draws table; each apply locks, sums the allowance, inserts, commits.
    match db {
        Db::Sqlite(p) => {
            let c = rusqlite::Connection::open(p).map_err(|e| e.to_string())?;
            c.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS naive (key TEXT NOT NULL, amount INTEGER NOT NULL); CREATE INDEX IF NOT EXISTS naive_key ON naive(key);").map_err(|e| e.to_string())?;
            let p = p.clone();
            measure(clients, secs, &move |c| {
                let mut conn = rusqlite::Connection::open(&p).map_err(|e| e.to_string())?;
                conn.busy_timeout(Duration::from_secs(60))
                    .map_err(|e| e.to_string())?;
                conn.pragma_update(None, "synchronous", "FULL")
                    .map_err(|e| e.to_string())?;
                Ok(Box::new(move |i| {
                    let key = format!("lpp|C{c}-{}|2025", i % 1000);
                    let tx = conn
                        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                        .map_err(|e| e.to_string())?;
                    let used: i64 = tx
                        .query_row(
                            "SELECT COALESCE(SUM(amount),0) FROM naive WHERE key = ?1",
                            [&key],
                            |r| r.get(0),
                        )
                        .map_err(|e| e.to_string())?;
                    if used + 15_832_000 <= 26_900_000_000 {
                        tx.execute(
                            "INSERT INTO naive (key, amount) VALUES (?1, ?2)",
                            rusqlite::params![key, 15_832_000i64],
                        )
                        .map_err(|e| e.to_string())?;
                    }
                    tx.commit().map_err(|e| e.to_string())?;
                    Ok(1)
                }))
            })
        }
        Db::Pg(u, s) => {
            let mut c = postgres::Client::connect(u, postgres::NoTls).map_err(|e| e.to_string())?;
            c.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {s}; SET search_path TO {s}; CREATE TABLE IF NOT EXISTS naive (key TEXT NOT NULL, amount BIGINT NOT NULL); CREATE INDEX IF NOT EXISTS naive_key ON naive(key);")).map_err(|e| e.to_string())?;
            let (u, s) = (u.clone(), s.clone());
            measure(clients, secs, &move |c| {
                let mut conn =
                    postgres::Client::connect(&u, postgres::NoTls).map_err(|e| e.to_string())?;
                conn.batch_execute(&format!("SET search_path TO {s}"))
                    .map_err(|e| e.to_string())?;
                Ok(Box::new(move |i| {
                    let key = format!("lpp|C{c}-{}|2025", i % 1000);
                    let mut tx = conn.transaction().map_err(|e| e.to_string())?;
                    // Locks the allowance (not the whole table): applies for different
                    // consignees run and commit concurrently, and PostgreSQL shares their WAL
                    // flushes. A stricter baseline than one lock for all (1,245-1,752/s with 8
                    // clients on 2026-11-29 against about 4,600/s here).
                    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&key])
                        .map_err(|e| e.to_string())?;
                    let used: i64 = tx
                        .query_one(
                            "SELECT COALESCE(SUM(amount),0)::BIGINT FROM naive WHERE key = $1",
                            &[&key],
                        )
                        .map_err(|e| e.to_string())?
                        .get(0);
                    if used + 15_832_000 <= 26_900_000_000 {
                        tx.execute(
                            "INSERT INTO naive (key, amount) VALUES ($1, $2)",
                            &[&key, &15_832_000i64],
                        )
                        .map_err(|e| e.to_string())?;
                    }
                    tx.commit().map_err(|e| e.to_string())?;
                    Ok(1)
                }))
            })
        }
    }
}

fn ledger_apply(
    db: &Db,
    clients: usize,
    secs: f64,
    rules: &'static chipcap_core::params::RuleSet,
    run: usize,
) -> Result<(f64, u128, u128), String> {
    let db = db.clone();
    let today = Date::new(2025, 6, 1).ok_or("date")?;
    measure(clients, secs, &move |c| {
        let mut l = Ledger::new(open(&db)?, rules);
        let meta = Meta {
            recorded_by: "bench".into(),
            recorded_at: "2025-06-01T00:00:00Z".into(),
        };
        // Warm-up, not timed: the first apply of a handle reads the tables, the second loads its
        // mirror.
        for w in 0..2 {
            let req = format!(
                r#"{{"id":"r{run}-c{c}-warm{w}","date":"2025-06-01","rule_set":"ai-diffusion-2025","destination":"IN","items":[{{"chip":"nvidia-h100-sxm","quantity":1}}],"consignee":{{"name":"Warm C{c}"}}}}"#
            );
            l.apply(&req, &meta, today).map_err(|e| e.to_string())?;
        }
        Ok(Box::new(move |i| {
            let req = format!(
                r#"{{"id":"r{run}-c{c}-{i}","date":"2025-06-01","rule_set":"ai-diffusion-2025","destination":"IN","items":[{{"chip":"nvidia-h100-sxm","quantity":1}}],"consignee":{{"name":"C{c}-{}"}}}}"#,
                i % 1000
            );
            let o = l.apply(&req, &meta, today).map_err(|e| e.to_string())?;
            if !o.recorded {
                return Err("not recorded".into());
            }
            Ok(1)
        }))
    })
}

/// Group commit; each client sends `per_call` requests per call (1: one request, waiting for its
/// answer before the next; more: a client's batch, `GroupCommit::apply_prepared`).
fn group_apply(
    db: &Db,
    clients: usize,
    secs: f64,
    rules: &'static chipcap_core::params::RuleSet,
    tag: &str,
    per_call: usize,
) -> Result<(f64, u128, u128), String> {
    let today = Date::new(2025, 6, 1).ok_or("date")?;
    let g = Arc::new(GroupCommit::start(open(db)?, Arc::new(rules.clone()), 256));
    let tag = tag.to_string();
    measure(clients, secs, &move |c| {
        let g = Arc::clone(&g);
        let tag = tag.clone();
        let meta = Meta {
            recorded_by: "bench".into(),
            recorded_at: "2025-06-01T00:00:00Z".into(),
        };
        Ok(Box::new(move |i| {
            let req = |k: usize| {
                let n = i * per_call + k;
                format!(
                    r#"{{"id":"{tag}-c{c}-{n}","date":"2025-06-01","rule_set":"ai-diffusion-2025","destination":"IN","items":[{{"chip":"nvidia-h100-sxm","quantity":1}}],"consignee":{{"name":"C{c}-{}"}}}}"#,
                    n % 1000
                )
            };
            if per_call == 1 {
                let o = g.apply(&req(0), &meta, today).map_err(|e| e.to_string())?;
                if !o.recorded {
                    return Err("not recorded".into());
                }
                return Ok(1);
            }
            let batch = (0..per_call)
                .map(|k| {
                    chipcap_ledger::PreparedApply::new(g.rules(), &req(k), &meta, today, &|_| None)
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let out = g.apply_prepared(batch).map_err(|e| e.to_string())?;
            for o in out {
                if !o.map_err(|e| e.to_string())?.recorded {
                    return Err("not recorded".into());
                }
            }
            Ok(per_call)
        }))
    })
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let secs: f64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let pg = args
        .get(1)
        .cloned()
        .or_else(|| std::env::var("CHIPCAP_TEST_DATABASE_URL").ok());
    let rules: &'static _ = Box::leak(Box::new(
        chipcap_rules::embedded().map_err(|e| e.to_string())?,
    ));
    let dir = std::env::temp_dir().join(format!("chipcap-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut dbs = vec![("SQLite", Arc::new(()), Db::Sqlite(dir.join("x.db")))];
    if let Some(u) = &pg {
        dbs.push(("PostgreSQL", Arc::new(()), Db::Pg(u.clone(), String::new())));
    }
    // CHIPCAP_BENCH_BATCH: requests per call in the last column (a client's batch).
    let per_call: usize = std::env::var("CHIPCAP_BENCH_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    println!("Applies per second (p50/p99 µs of one call).");
    println!();
    println!("| backend | clients | naive baseline | ledger apply, one transaction each | vs naive | group commit, one request per call | vs naive | group commit, {per_call} requests per call | vs naive |");
    println!("|---|---|---|---|---|---|---|---|---|");
    // Every case starts from an empty database of its own (a later case must not pay for the rows
    // an earlier one wrote), dropped when it is done.
    let mut fresh = 0;
    let mut new_db = |db: &Db, what: &str| -> Result<Db, String> {
        fresh += 1;
        match db {
            Db::Sqlite(_) => Ok(Db::Sqlite(dir.join(format!("{what}{fresh}.db")))),
            Db::Pg(u, _) => {
                let schema = format!("bench_{what}_{}_{fresh}", std::process::id());
                let mut c =
                    postgres::Client::connect(u, postgres::NoTls).map_err(|e| e.to_string())?;
                c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .map_err(|e| e.to_string())?;
                Ok(Db::Pg(u.clone(), schema))
            }
        }
    };
    let drop_db = |db: &Db| match db {
        Db::Sqlite(p) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
            }
        }
        Db::Pg(u, schema) => {
            if let Ok(mut c) = postgres::Client::connect(u, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    };
    // CHIPCAP_BENCH_ONLY=group (for profiling) runs the group-commit cases alone (`batch`: the
    // client-batch case alone; `apply`: the naive baseline and one transaction per apply alone).
    let only = std::env::var("CHIPCAP_BENCH_ONLY").unwrap_or_default();
    let apply_only = only == "apply";
    // `naive8`: the naive baseline alone, 8 clients (what scripts/bench/run.sh compares the HTTP
    // apply rate with, in the same run).
    let naive_only = only == "naive8";
    let only = if apply_only || naive_only {
        String::new()
    } else {
        only
    };
    // CHIPCAP_BENCH_PREFILL=N: every case starts from a ledger (or naive table) that already
    // holds N entries for other consignees (how the rate holds up as the ledger grows).
    let prefill_n: u64 = std::env::var("CHIPCAP_BENCH_PREFILL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let skip = (f64::NAN, 0, 0);
    let mut run = 0;
    // `floor`: the storage cost alone, against the naive baseline: each call is one write
    // transaction with exactly the statements of an apply decided from a loaded mirror (the audit
    // head and rewrite counter read, the entry with its draw and the audit record stored), its rows
    // made before timing from a real apply's (same sizes); no deciding, hashing or JSON.
    if only == "floor" {
        println!();
        println!("| backend | clients | naive baseline | storage floor of one apply | vs naive |");
        println!("|---|---|---|---|---|");
        for (name, _, db) in &dbs {
            // One real apply, for the rows' sizes.
            let d = new_db(db, "floorsample")?;
            let mut l = Ledger::new(open(&d)?, rules);
            let today = Date::new(2025, 6, 1).ok_or("date")?;
            let meta = Meta {
                recorded_by: "bench".into(),
                recorded_at: "2025-06-01T00:00:00Z".into(),
            };
            l.apply(
                r#"{"id":"sample","date":"2025-06-01","rule_set":"ai-diffusion-2025","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":1}],"consignee":{"name":"Sample Co"}}"#,
                &meta,
                today,
            )
            .map_err(|e| e.to_string())?;
            let entry = l.entries().map_err(|e| e.to_string())?.remove(0);
            let mut audit = l.audit_log().map_err(|e| e.to_string())?.remove(0);
            // CHIPCAP_BENCH_FLOOR_SMALL: the audit documents left out (`{}`), to see what their
            // size costs against the number of rows and indexes written.
            if std::env::var_os("CHIPCAP_BENCH_FLOOR_SMALL").is_some() {
                for f in [
                    &mut audit.request,
                    &mut audit.result,
                    &mut audit.balances,
                    &mut audit.entry,
                ] {
                    *f = "{}".into();
                }
            }
            eprintln!(
                "{name}: audit record {} bytes (request {}, result {}, balances {}, entry {})",
                audit.request.len() + audit.result.len() + audit.balances.len() + audit.entry.len(),
                audit.request.len(),
                audit.result.len(),
                audit.balances.len(),
                audit.entry.len()
            );
            drop(l);
            drop_db(&d);
            for clients in [1usize, 8] {
                let dn = new_db(db, "naive")?;
                let n = naive(&dn, clients, secs)?;
                drop_db(&dn);
                let df = new_db(db, "floor")?;
                drop(open(&df)?);
                let next = Arc::new(std::sync::atomic::AtomicU64::new(1));
                let (entry, audit) = (entry.clone(), audit.clone());
                let df2 = df.clone();
                let f = measure(clients, secs, &move |c| {
                    let mut store = open(&df2)?;
                    let next = Arc::clone(&next);
                    let (mut e, mut a) = (entry.clone(), audit.clone());
                    Ok(Box::new(move |i| {
                        let seq = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        e.seq = seq;
                        e.client_id = format!("f-c{c}-{i}");
                        a.seq = seq;
                        a.client_id.clone_from(&e.client_id);
                        let draws = vec![chipcap_ledger::entry::Draw {
                            key: format!("lpp|C{c}-{}|2025", i % 1000),
                            date: e.date,
                            amount: 15_832_000,
                        }];
                        store
                            .write(&mut |tx| {
                                tx.last_audit()?;
                                tx.rewrites()?;
                                tx.insert_many(&[(e.clone(), draws.clone())], &[a.clone()])
                            })
                            .map_err(|e| e.to_string())?;
                        Ok(1)
                    }))
                })?;
                drop_db(&df);
                println!(
                    "| {name} | {clients} | {:.0} ({}/{}) | {:.0} ({}/{}) | {:.2}x |",
                    n.0,
                    n.1,
                    n.2,
                    f.0,
                    f.1,
                    f.2,
                    f.0 / n.0
                );
            }
        }
        return Ok(());
    }
    // `first`: the first apply of a new handle (what one `chipcap ledger apply` process does: it
    // decides from the tables, without loading the mirror), 20 in a row, each on a new handle.
    if only == "first" {
        println!();
        println!("| backend | entries before | first apply of a new handle, p50 | max |");
        println!("|---|---:|---:|---:|");
        for (name, _, db) in &dbs {
            let d = new_db(db, "first")?;
            prefill(&d, prefill_n)?;
            let today = Date::new(2025, 6, 1).ok_or("date")?;
            let meta = Meta {
                recorded_by: "bench".into(),
                recorded_at: "2025-06-01T00:00:00Z".into(),
            };
            let mut took = Vec::new();
            for i in 0..20 {
                let mut l = Ledger::new(open(&d)?, rules);
                let req = format!(
                    r#"{{"id":"first-{i}","date":"2025-06-01","rule_set":"ai-diffusion-2025","destination":"IN","items":[{{"chip":"nvidia-h100-sxm","quantity":1}}],"consignee":{{"name":"First {i}"}}}}"#
                );
                let t = Instant::now();
                l.apply(&req, &meta, today).map_err(|e| e.to_string())?;
                took.push(t.elapsed().as_micros());
            }
            drop_db(&d);
            took.sort_unstable();
            println!(
                "| {name} | {prefill_n} | {} µs | {} µs |",
                took[took.len() / 2],
                took[took.len() - 1]
            );
        }
        return Ok(());
    }
    for (name, _, db) in dbs {
        for clients in [1usize, 8] {
            run += 1;
            if (!only.is_empty() || naive_only) && clients == 1 {
                continue;
            }
            let n = if only.is_empty() {
                let d = new_db(&db, "naive")?;
                prefill_naive(&d, prefill_n)?;
                let r = naive(&d, clients, secs)?;
                drop_db(&d);
                r
            } else {
                skip
            };
            let a = if only.is_empty() && !naive_only {
                let d = new_db(&db, "ledger")?;
                prefill(&d, prefill_n)?; // the schema is created (and filled) before timing
                let r = ledger_apply(&d, clients, secs, rules, run)?;
                drop_db(&d);
                r
            } else {
                skip
            };
            let g = if only != "batch" && !apply_only && !naive_only {
                let d = new_db(&db, "group")?;
                prefill(&d, prefill_n)?;
                let r = group_apply(&d, clients, secs, rules, &format!("g{run}"), 1)?;
                drop_db(&d);
                r
            } else {
                skip
            };
            let b = if apply_only || naive_only {
                skip
            } else {
                let d = new_db(&db, "batch")?;
                prefill(&d, prefill_n)?;
                let r = group_apply(&d, clients, secs, rules, &format!("b{run}"), per_call)?;
                drop_db(&d);
                r
            };
            println!(
                "| {name} | {clients} | {:.0} ({}/{}) | {:.0} ({}/{}) | {:.2}x | {:.0} ({}/{}) | {:.2}x | {:.0} ({}/{}) | {:.2}x |",
                n.0, n.1, n.2, a.0, a.1, a.2, a.0 / n.0, g.0, g.1, g.2, g.0 / n.0, b.0, b.1, b.2, b.0 / n.0
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
