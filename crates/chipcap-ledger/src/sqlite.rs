//! Embedded SQLite backend: one file, WAL journal, `synchronous=FULL` (a commit is on disk before it
//! is acknowledged), writers serialised by `BEGIN IMMEDIATE`.

use std::path::Path;
use std::time::Duration;

use chipcap_core::date::Date;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::entry::{Draw, Entry};
use crate::error::Error;
use crate::store::{AuditRecord, CatchUp, EntryHead, Store, SumMode, Tx, TxFn};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    date TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX entries_by_subject ON entries(kind, subject, seq);
CREATE TABLE draws (
    entry_seq INTEGER NOT NULL REFERENCES entries(seq),
    key TEXT NOT NULL,
    date TEXT NOT NULL,
    amount INTEGER NOT NULL
);
CREATE INDEX draws_by_key ON draws(key, date);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    op TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    request TEXT NOT NULL,
    result TEXT NOT NULL,
    balances TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
"#,
    // 2: every audit record carries the entry its operation wrote (see `crate::audit`).
    "ALTER TABLE audit ADD COLUMN entry TEXT NOT NULL DEFAULT '';",
    // 3: rows are never changed or deleted by the ledger; a change made behind its back bumps this
    // counter, so a writer's in-memory mirror (which trusts the audit head otherwise) reloads and
    // sees it (see `Tx::rewrites`).
    r#"
CREATE TABLE ledger_rewrites (n INTEGER NOT NULL);
INSERT INTO ledger_rewrites (n) VALUES (0);
CREATE TRIGGER entries_updated AFTER UPDATE ON entries BEGIN UPDATE ledger_rewrites SET n = n + 1; END;
CREATE TRIGGER entries_deleted AFTER DELETE ON entries BEGIN UPDATE ledger_rewrites SET n = n + 1; END;
CREATE TRIGGER draws_updated AFTER UPDATE ON draws BEGIN UPDATE ledger_rewrites SET n = n + 1; END;
CREATE TRIGGER draws_deleted AFTER DELETE ON draws BEGIN UPDATE ledger_rewrites SET n = n + 1; END;
CREATE TRIGGER audit_updated AFTER UPDATE ON audit BEGIN UPDATE ledger_rewrites SET n = n + 1; END;
CREATE TRIGGER audit_deleted AFTER DELETE ON audit BEGIN UPDATE ledger_rewrites SET n = n + 1; END;
"#,
    // 4: shipments, the bulk of the entries, are never looked up by subject: the subject index
    // leaves them out, one B-tree page fewer written by every apply (docs/benchmarks.md). Lookups
    // of the other kinds name the index's condition (`SUBJECT_INDEXED`) so that SQLite uses it.
    r#"
DROP INDEX entries_by_subject;
CREATE INDEX entries_by_subject ON entries(kind, subject, seq) WHERE kind <> 'shipment';
"#,
    // 5: the spellings of party names in allowance keys by identity (`crate::identity`), so that
    // the first apply of a process finds the other spellings of its consignee without reading every
    // party key (it read them all: 115 ms per `chipcap ledger apply` at 200,000 consignees,
    // docs/benchmarks.md). Filled from the existing keys (`refresh_spellings`, which also refills it
    // when the identity function's Unicode version changes); kept by `insert_entry`, which stores a
    // spelling before its draws and writes pages only for a spelling not seen before. A draw on a
    // party key whose spelling is not in the index is refused (`draws_need_a_spelling`): a chipcap
    // older than this migration, which does not keep the index, cannot write to the ledger.
    r#"
CREATE TABLE party_spellings (
    spelling TEXT PRIMARY KEY,
    identity TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX party_spellings_by_identity ON party_spellings(identity, spelling);
CREATE TABLE party_identity_version (v TEXT NOT NULL);
CREATE TRIGGER party_spellings_updated AFTER UPDATE ON party_spellings BEGIN UPDATE ledger_rewrites SET n = n + 1; END;
CREATE TRIGGER party_spellings_deleted AFTER DELETE ON party_spellings BEGIN UPDATE ledger_rewrites SET n = n + 1; END;
CREATE TRIGGER draws_need_a_spelling AFTER INSERT ON draws
WHEN substr(NEW.key, 1, instr(NEW.key, '|') - 1) IN ('lpp', 'aia', 'nveu', 'uveu')
    AND NOT EXISTS (SELECT 1 FROM party_spellings WHERE spelling = substr(
        NEW.key,
        instr(NEW.key, '|') + 1,
        CASE WHEN instr(substr(NEW.key, instr(NEW.key, '|') + 1), '|') > 0
            THEN instr(substr(NEW.key, instr(NEW.key, '|') + 1), '|') - 1
            ELSE length(NEW.key) END))
BEGIN
    SELECT RAISE(ABORT, 'a draw on a party key whose spelling is not in party_spellings: this ledger is kept by a newer chipcap than the one writing to it');
END;
"#,
];

/// Fills the index of party spellings from the stored keys when it was filled under another
/// identity function (or never: a ledger from before migration 5), so that its identities are the
/// ones this build computes (`identity::version`, the Unicode tables behind them).
fn refresh_spellings(tx: &rusqlite::Transaction<'_>) -> Result<(), Error> {
    let v: Option<String> = tx
        .query_row("SELECT v FROM party_identity_version", [], |r| r.get(0))
        .optional()?;
    let version = crate::identity::version();
    if v.as_deref() == Some(version.as_str()) {
        return Ok(());
    }
    tx.execute("DELETE FROM party_spellings", [])?;
    let mut keys = Vec::new();
    {
        let mut st = tx.prepare("SELECT DISTINCT key FROM draws")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        for k in rows {
            keys.push(k?);
        }
    }
    let mut st = tx.prepare(INSERT_SPELLING)?;
    for (identity, spelling) in keys.iter().filter_map(|k| crate::identity::key_spelling(k)) {
        st.execute(params![identity, spelling])?;
    }
    tx.execute("DELETE FROM party_identity_version", [])?;
    tx.execute(
        "INSERT INTO party_identity_version (v) VALUES (?1)",
        params![version],
    )?;
    Ok(())
}

/// Adds a spelling to the index (nothing when it is there).
const INSERT_SPELLING: &str =
    "INSERT OR IGNORE INTO party_spellings (identity, spelling) VALUES (?1, ?2)";

/// The condition of the partial subject index (migration 4), repeated in the queries that use it
/// (SQLite uses a partial index only for a query whose WHERE clause contains its condition).
const SUBJECT_INDEXED: &str = "kind <> 'shipment'";

/// The draws of the entries after entry `?1`, in order (see `Tx::catch_up`), reading only those
/// rows: `draws` has no index on `entry_seq` (one more B-tree page written by every apply), and
/// `WHERE entry_seq > ?1` alone read the whole table, every catch-up (a cost that grew with the
/// ledger). The ledger inserts each entry's draws with the entry, in sequence order, under the write
/// lock, so draw rowids rise with `entry_seq`: the new draws are the rows after the last draw of an
/// entry up to `?1`, found by reading the table backwards from its end. (Rows changed behind the
/// ledger's back make the mirror reload from 0, which reads everything; a draw inserted by hand with
/// a chosen rowid is not a draw of any entry's, which `ledger verify` reports.) `entry_seq > ?1` is
/// kept as a filter, so no older draw is returned.
const CATCH_UP_DRAWS: &str = "SELECT key, date, amount FROM draws \
     WHERE rowid > COALESCE((SELECT rowid FROM draws WHERE entry_seq <= ?1 ORDER BY rowid DESC LIMIT 1), 0) \
     AND entry_seq > ?1 ORDER BY entry_seq, rowid";

/// Every draw, in entry order (a catch-up from the start; `?1` is 0).
const ALL_DRAWS_IN_ORDER: &str =
    "SELECT key, date, amount FROM draws WHERE entry_seq > ?1 ORDER BY entry_seq, rowid";

/// How long a transaction waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// A ledger in an SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: std::path::PathBuf,
    checkpointer: Option<Checkpointer>,
}

/// A thread that checkpoints the WAL (copies committed pages back into the database file) off the
/// writer's path: with `wal_autocheckpoint` the commit that crosses 1,000 WAL pages does the copy
/// and its fsync itself, which was a fifth of a group-commit writer's time (perf, docs/benchmarks.md).
/// Checkpoints are PASSIVE: they never block the writer or readers, and every commit is already
/// durable in the WAL before it is acknowledged, so durability is unchanged.
struct Checkpointer {
    /// Set by the thread when the WAL has grown past [`WAL_RESTART_FRAMES`]: the writer then
    /// starts it over before its next transaction (see [`SqliteStore::write`]).
    restart: std::sync::Arc<std::sync::atomic::AtomicBool>,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// WAL frames (pages) past which the writer starts the WAL over (about 32 MB).
const WAL_RESTART_FRAMES: i64 = 8_000;

/// How often the checkpointer looks at the WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(20);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Checkpointer, Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let restart = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let wanted = std::sync::Arc::clone(&restart);
        let thread = std::thread::Builder::new()
            .name("chipcap-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    // (busy, frames in the WAL, frames checkpointed); an error (a busy database)
                    // is retried at the next tick.
                    let frames = conn
                        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
                        .unwrap_or(0);
                    if frames > WAL_RESTART_FRAMES {
                        wanted.store(true, std::sync::atomic::Ordering::Release);
                    }
                }
            })
            .map_err(|e| Error::Storage(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            restart,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl SqliteStore {
    /// Opens (creating on first use) the ledger at `path` and applies pending migrations.
    ///
    /// A new database file is created readable and writable by its owner only (0600 on Unix;
    /// SQLite gives its `-wal` and `-shm` files the database file's permissions).
    pub fn open(path: &Path) -> Result<SqliteStore, Error> {
        create_private(path)?;
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut s = SqliteStore {
            conn,
            path: path.to_path_buf(),
            checkpointer: None,
        };
        s.migrate()?;
        Ok(s)
    }

    fn migrate(&mut self) -> Result<(), Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let have = usize::try_from(version).unwrap_or(0);
        if have > MIGRATIONS.len() {
            return Err(Error::Storage(format!(
                "the ledger's schema is version {have}, newer than this chipcap knows ({}): use a newer chipcap",
                MIGRATIONS.len()
            )));
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(have) {
            tx.execute_batch(m)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(i + 1).unwrap_or(i64::MAX),
            )?;
        }
        refresh_spellings(&tx)?;
        tx.commit()?;
        Ok(())
    }
}

/// Creates `path` empty with mode 0600 when it does not exist (an existing file is left as is).
fn create_private(path: &Path) -> Result<(), Error> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    match o.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::Storage(format!(
            "cannot create the ledger file `{}`: {e}",
            path.display()
        ))),
    }
}

struct SqliteTx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

fn parse_entry(body: &str) -> Result<Entry, Error> {
    serde_json::from_str(body).map_err(|e| Error::Corrupt(format!("entry cannot be read: {e}")))
}

fn parse_date(s: &str) -> Result<Date, Error> {
    s.parse::<Date>()
        .map_err(|_| Error::Corrupt(format!("bad date `{s}`")))
}

fn to_u64(v: i64) -> Result<u64, Error> {
    u64::try_from(v).map_err(|_| Error::Corrupt(format!("negative sequence number {v}")))
}

fn to_i64(v: u64) -> Result<i64, Error> {
    i64::try_from(v).map_err(|_| Error::Corrupt(format!("sequence number {v} too large")))
}

type AuditRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn to_audit(a: AuditRow) -> Result<AuditRecord, Error> {
    Ok(AuditRecord {
        seq: to_u64(a.0)?,
        client_id: a.1,
        op: a.2,
        recorded_at: a.3,
        request: a.4,
        result: a.5,
        balances: a.6,
        prev_hash: a.7,
        hash: a.8,
        entry: a.9,
    })
}

const AUDIT_COLS: &str =
    "seq, client_id, op, recorded_at, request, result, balances, prev_hash, hash, entry";

impl Tx for SqliteTx<'_> {
    fn audit_by_client_id(&mut self, id: &str) -> Result<Option<AuditRecord>, Error> {
        let mut st = self.tx.prepare_cached(&format!(
            "SELECT {AUDIT_COLS} FROM audit WHERE client_id = ?1"
        ))?;
        let row = st.query_row(params![id], audit_row).optional()?;
        row.map(to_audit).transpose()
    }
    fn entry_by_client_id(&mut self, id: &str) -> Result<Option<Entry>, Error> {
        let mut st = self
            .tx
            .prepare_cached("SELECT body FROM entries WHERE client_id = ?1")?;
        let body: Option<String> = st.query_row(params![id], |r| r.get(0)).optional()?;
        body.map(|b| parse_entry(&b)).transpose()
    }
    fn entries_for(&mut self, kind: &str, subject: &str) -> Result<Vec<Entry>, Error> {
        let mut st = if kind == "shipment" {
            self.tx.prepare_cached(
                "SELECT body FROM entries WHERE kind = ?1 AND subject = ?2 ORDER BY seq",
            )?
        } else {
            self.tx.prepare_cached(&format!(
                "SELECT body FROM entries WHERE kind = ?1 AND subject = ?2 AND {SUBJECT_INDEXED} ORDER BY seq"
            ))?
        };
        let rows = st.query_map(params![kind, subject], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(parse_entry(&r?)?);
        }
        Ok(out)
    }
    fn entries_of_kind(&mut self, kind: &str) -> Result<Vec<Entry>, Error> {
        let mut st = if kind == "shipment" {
            self.tx
                .prepare_cached("SELECT body FROM entries WHERE kind = ?1 ORDER BY seq")?
        } else {
            self.tx.prepare_cached(&format!(
                "SELECT body FROM entries WHERE kind = ?1 AND {SUBJECT_INDEXED} ORDER BY seq"
            ))?
        };
        let rows = st.query_map(params![kind], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(parse_entry(&r?)?);
        }
        Ok(out)
    }
    fn sum(&mut self, key: &str, mode: SumMode, date: Date) -> Result<i64, Error> {
        let sql = match mode {
            SumMode::AsOf => {
                "SELECT COALESCE(SUM(amount), 0) FROM draws WHERE key = ?1 AND date <= ?2"
            }
            SumMode::Upper => {
                "SELECT COALESCE(SUM(amount), 0) FROM draws WHERE key = ?1 AND (amount > 0 OR date <= ?2)"
            }
            SumMode::Lower => {
                "SELECT COALESCE(SUM(amount), 0) FROM draws WHERE key = ?1 AND (amount < 0 OR date <= ?2)"
            }
        };
        let mut st = self.tx.prepare_cached(sql)?;
        Ok(st.query_row(params![key, date.to_string()], |r| r.get(0))?)
    }
    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, Error> {
        // Range scan on the key index: prefix <= key < prefix + U+10FFFF.
        let mut st = self.tx.prepare_cached(
            "SELECT DISTINCT key FROM draws WHERE key >= ?1 AND key < ?2 ORDER BY key",
        )?;
        let hi = format!("{prefix}\u{10FFFF}");
        let rows = st.query_map(params![prefix, hi], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?);
        }
        Ok(out)
    }
    fn next_entry_seq(&mut self) -> Result<u64, Error> {
        let mut st = self
            .tx
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM entries")?;
        let v: i64 = st.query_row([], |r| r.get(0))?;
        to_u64(v)
    }
    fn insert_entry(&mut self, entry: &Entry, draws: &[Draw]) -> Result<(), Error> {
        let body = serde_json::to_string(entry)
            .map_err(|e| Error::Storage(format!("entry cannot be written: {e}")))?;
        let seq = to_i64(entry.seq)?;
        self.tx
            .prepare_cached(
                "INSERT INTO entries (seq, client_id, kind, subject, date, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                seq,
                entry.client_id,
                entry.body.kind(),
                entry.body.subject(),
                entry.date.to_string(),
                body
            ])?;
        // The spellings first: a draw on a party key needs its spelling in the index (migration 5).
        let mut st = self.tx.prepare_cached(INSERT_SPELLING)?;
        for (identity, spelling) in draws
            .iter()
            .filter_map(|d| crate::identity::key_spelling(&d.key))
        {
            st.execute(params![identity, spelling])?;
        }
        let mut st = self.tx.prepare_cached(
            "INSERT INTO draws (entry_seq, key, date, amount) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for d in draws {
            st.execute(params![seq, d.key, d.date.to_string(), d.amount])?;
        }
        Ok(())
    }
    fn party_spellings(&mut self, identity: &str) -> Result<Vec<String>, Error> {
        let mut st = self.tx.prepare_cached(
            "SELECT spelling FROM party_spellings WHERE identity = ?1 ORDER BY spelling",
        )?;
        let rows = st.query_map(params![identity], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?);
        }
        Ok(out)
    }
    fn stored_party_spellings(&mut self) -> Result<Option<Vec<(String, String)>>, Error> {
        let mut st = self.tx.prepare_cached(
            "SELECT identity, spelling FROM party_spellings ORDER BY identity, spelling",
        )?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?);
        }
        Ok(Some(out))
    }
    fn last_audit(&mut self) -> Result<Option<(u64, String)>, Error> {
        let mut st = self
            .tx
            .prepare_cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")?;
        let r: Option<(i64, String)> = st
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        r.map(|(s, h)| Ok((to_u64(s)?, h))).transpose()
    }
    fn insert_audit(&mut self, a: &AuditRecord) -> Result<(), Error> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO audit ({AUDIT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ))?
            .execute(params![
                to_i64(a.seq)?,
                a.client_id,
                a.op,
                a.recorded_at,
                a.request,
                a.result,
                a.balances,
                a.prev_hash,
                a.hash,
                a.entry
            ])?;
        Ok(())
    }
    fn all_entries(&mut self) -> Result<Vec<Entry>, Error> {
        let mut st = self
            .tx
            .prepare_cached("SELECT body FROM entries ORDER BY seq")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(parse_entry(&r?)?);
        }
        Ok(out)
    }
    fn all_draws(&mut self) -> Result<Vec<(u64, Draw)>, Error> {
        let mut st = self.tx.prepare_cached(
            "SELECT entry_seq, key, date, amount FROM draws ORDER BY entry_seq, rowid",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (s, key, date, amount) = r?;
            out.push((
                to_u64(s)?,
                Draw {
                    key,
                    date: parse_date(&date)?,
                    amount,
                },
            ));
        }
        Ok(out)
    }
    fn rewrites(&mut self) -> Result<u64, Error> {
        let mut st = self.tx.prepare_cached("SELECT n FROM ledger_rewrites")?;
        let n: Option<i64> = st.query_row([], |r| r.get(0)).optional()?;
        to_u64(n.unwrap_or(0))
    }
    fn catch_up(&mut self, entry_seq: u64, audit_seq: u64) -> Result<CatchUp, Error> {
        let mut out = CatchUp::default();
        let mut st = self.tx.prepare_cached(
            "SELECT seq, client_id, CASE WHEN kind IN ('shipment', 'attrition', 'adjustment', 'disposition') \
             THEN NULL ELSE body END FROM entries WHERE seq > ?1 ORDER BY seq",
        )?;
        let rows = st.query_map(params![to_i64(entry_seq)?], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        for r in rows {
            let (seq, client_id, body) = r?;
            out.entries.push(EntryHead {
                seq: to_u64(seq)?,
                client_id,
                entry: body.map(|b| parse_entry(&b)).transpose()?,
            });
        }
        // From the start (a load): every draw, without looking for where the new ones begin.
        let mut st = self.tx.prepare_cached(if entry_seq == 0 {
            ALL_DRAWS_IN_ORDER
        } else {
            CATCH_UP_DRAWS
        })?;
        let rows = st.query_map(params![to_i64(entry_seq)?], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for r in rows {
            let (key, date, amount) = r?;
            out.draws.push(Draw {
                key,
                date: parse_date(&date)?,
                amount,
            });
        }
        let mut st = self
            .tx
            .prepare_cached("SELECT seq, client_id, hash FROM audit WHERE seq > ?1 ORDER BY seq")?;
        let rows = st.query_map(params![to_i64(audit_seq)?], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for r in rows {
            let (seq, id, hash) = r?;
            out.audit.push((to_u64(seq)?, id, hash));
        }
        Ok(out)
    }
    fn all_audit(&mut self) -> Result<Vec<AuditRecord>, Error> {
        let mut st = self
            .tx
            .prepare_cached(&format!("SELECT {AUDIT_COLS} FROM audit ORDER BY seq"))?;
        let rows = st.query_map([], audit_row)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(to_audit(r?)?);
        }
        Ok(out)
    }
}

impl SqliteStore {
    /// A writer that never pauses never finds the WAL fully checkpointed at the start of a
    /// transaction, so SQLite never starts the WAL over and the file grows without end (800 MB in a
    /// 6-second benchmark): once it is large, the writer restarts it itself, between two
    /// transactions. The checkpoint thread has already copied almost every frame, so this copies
    /// the last few; it waits at most a few milliseconds for readers and otherwise tries again
    /// later.
    fn restart_wal_if_wanted(&mut self) {
        let Some(c) = &self.checkpointer else { return };
        if !c.restart.swap(false, std::sync::atomic::Ordering::AcqRel) {
            return;
        }
        let _ = self.conn.busy_timeout(Duration::from_millis(5));
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0));
        let _ = self.conn.busy_timeout(BUSY_TIMEOUT);
    }
}

impl Store for SqliteStore {
    fn write(&mut self, f: &mut TxFn<'_>) -> Result<(), Error> {
        self.restart_wal_if_wanted();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut t = SqliteTx { tx: &tx };
            f(&mut t)?;
        }
        tx.commit()?;
        Ok(())
    }
    fn read(&mut self, f: &mut TxFn<'_>) -> Result<(), Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        {
            let mut t = SqliteTx { tx: &tx };
            f(&mut t)?;
        }
        tx.rollback()?;
        Ok(())
    }
    fn backend(&self) -> &'static str {
        "sqlite"
    }
    fn background_maintenance(&mut self) {
        if self.checkpointer.is_some() {
            return;
        }
        // A larger page cache (8 MiB instead of 2 MiB) for the process that writes all day: index
        // pages stay in memory instead of being read back from the file (64 MiB measured the same,
        // and SQLite walks the whole cache's hash table at the end of some transactions).
        let _ = self.conn.pragma_update(None, "cache_size", -8_192);
        // Without the thread, the commits keep checkpointing as before.
        if let Ok(c) = Checkpointer::start(&self.path) {
            if self
                .conn
                .pragma_update(None, "wal_autocheckpoint", 0)
                .is_ok()
            {
                self.checkpointer = Some(c);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn record(seq: u64, payload: &str) -> AuditRecord {
        AuditRecord {
            seq,
            client_id: format!("a-{seq}"),
            op: "adjust".into(),
            recorded_at: "2025-06-01T00:00:00Z".into(),
            request: payload.into(),
            result: "{}".into(),
            balances: "[]".into(),
            entry: "null".into(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    /// The partial subject index (migration 4) is used by the lookups of every kind it holds
    /// (SQLite uses a partial index only when the query repeats its condition), and shipments are
    /// left out of it.
    #[test]
    fn lookups_by_subject_use_the_partial_index() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("l.db")).unwrap();
        let plan = |sql: &str| -> String {
            let mut st = s
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let rows = st
                .query_map(params!["party", "Acme"], |r| r.get::<_, String>(3))
                .unwrap();
            rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
        };
        let by_subject = plan(&format!(
            "SELECT body FROM entries WHERE kind = ?1 AND subject = ?2 AND {SUBJECT_INDEXED} ORDER BY seq"
        ));
        assert!(
            by_subject.contains("USING INDEX entries_by_subject"),
            "{by_subject}"
        );
        let of_kind = plan(&format!(
            "SELECT body FROM entries WHERE kind = ?1 AND ?2 = ?2 AND {SUBJECT_INDEXED} ORDER BY seq"
        ));
        assert!(
            of_kind.contains("USING INDEX entries_by_subject"),
            "{of_kind}"
        );
        let sql: String = s
            .conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'entries_by_subject'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(sql.contains("WHERE kind <> 'shipment'"), "{sql}");
    }

    /// An adjustment on `C{seq}`'s LPP key, with a second draw on a key that names no party.
    fn adjustment(seq: u64) -> (Entry, Vec<Draw>) {
        let (e, mut d) = crate::store::adjustment_row(seq, &format!("C{seq}"));
        d.push(Draw {
            key: format!("country|IN|{seq}"),
            date: e.date,
            amount: 2,
        });
        (e, d)
    }

    /// Regression: the catch-up read every row of `draws` (`WHERE entry_seq > ?` has no index), so
    /// a writer's catch-up grew with the ledger; it reads the new draws and a few more rows now, and
    /// returns exactly the new entries' draws, in order.
    #[test]
    fn a_catch_up_reads_the_new_draws_not_the_whole_table() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStore::open(&dir.path().join("l.db")).unwrap();
        let n = 3_000;
        let rows: Vec<(Entry, Vec<Draw>)> = (1..=n).map(adjustment).collect();
        s.write(&mut |tx| tx.insert_many(&rows, &[])).unwrap();
        let steps = |s: &SqliteStore, from: u64| -> (Vec<String>, i32) {
            let mut st = s.conn.prepare(CATCH_UP_DRAWS).unwrap();
            let keys = st
                .query_map(params![i64::try_from(from).unwrap()], |r| {
                    r.get::<_, String>(0)
                })
                .unwrap()
                .map(|k| k.unwrap())
                .collect();
            let vm = st.get_status(rusqlite::StatementStatus::VmStep);
            (keys, vm)
        };
        let (keys, vm) = steps(&s, n - 2);
        let want: Vec<String> = ((n - 1)..=n)
            .flat_map(|i| [format!("lpp|C{i}|2025"), format!("country|IN|{i}")])
            .collect();
        assert_eq!(keys, want);
        // The old query took 3 steps per row of the table (18,062 here).
        assert!(vm < 500, "{vm} virtual machine steps for 2 new entries");
        let (all, _) = steps(&s, 0);
        assert_eq!(all.len(), 6_000);
        let (none, vm) = steps(&s, n);
        assert!(none.is_empty());
        assert!(vm < 500, "{vm} virtual machine steps for no new entry");
        // The same rows as the store's catch-up.
        let mut caught = CatchUp::default();
        s.write(&mut |tx| {
            caught = tx.catch_up(n - 2, 0)?;
            Ok(())
        })
        .unwrap();
        let keys: Vec<String> = caught.draws.iter().map(|d| d.key.clone()).collect();
        assert_eq!(keys, want);
    }

    /// Migration 5 fills the index of party spellings from the keys already stored; the index
    /// answers `party_spellings` and is checked by `check_spellings`.
    #[test]
    fn the_index_of_spellings_is_filled_from_the_existing_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        {
            let mut s = SqliteStore::open(&path).unwrap();
            let rows: Vec<(Entry, Vec<Draw>)> = (1..=3).map(adjustment).collect();
            s.write(&mut |tx| tx.insert_many(&rows, &[])).unwrap();
            // As a ledger written before migration 5 is.
            s.conn
                .execute_batch(
                    "DROP TRIGGER draws_need_a_spelling; DROP TABLE party_spellings; \
                     DROP TABLE party_identity_version; PRAGMA user_version = 4;",
                )
                .unwrap();
        }
        let mut s = SqliteStore::open(&path).unwrap();
        let (mut index, mut draws, mut found) = (None, Vec::new(), Vec::new());
        s.read(&mut |tx| {
            index = tx.stored_party_spellings()?;
            draws = tx.all_draws()?;
            found = tx.party_spellings("c2")?;
            Ok(())
        })
        .unwrap();
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            index,
            Some(pairs(&[("c1", "C1"), ("c2", "C2"), ("c3", "C3")]))
        );
        assert_eq!(found, ["C2"]);
        assert!(crate::identity::check_spellings(&draws, index.as_deref().unwrap()).is_empty());
        let p = crate::identity::check_spellings(
            &draws,
            &pairs(&[("c1", "C1"), ("c3", "C3"), ("x", "X")]),
        );
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("missing `C2`"), "{p:?}");
        assert!(p[1].contains("lists `X`"), "{p:?}");
    }

    /// A draw on a party key whose spelling is not in the index (what a chipcap older than
    /// migration 5 would write) is refused; the index is refilled when it was filled under another
    /// identity function.
    #[test]
    fn the_index_of_spellings_is_kept_by_every_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        {
            let mut s = SqliteStore::open(&path).unwrap();
            let rows: Vec<(Entry, Vec<Draw>)> = (1..=2).map(adjustment).collect();
            s.write(&mut |tx| tx.insert_many(&rows, &[])).unwrap();
            let raw = |key: &str| {
                s.conn.execute(
                    "INSERT INTO draws (entry_seq, key, date, amount) VALUES (2, ?1, '2025-06-01', 1)",
                    params![key],
                )
            };
            for key in [
                "lpp|Unknown Co|2025",
                "aia|Unknown Co",
                "nveu|Unknown Co|AE",
                "uveu|New|IN",
            ] {
                let e = raw(key).unwrap_err().to_string();
                assert!(e.contains("newer chipcap"), "{key}: {e}");
            }
            for key in [
                "lpp|C1|2026",
                "aia|C2",
                "country|IN|2025",
                "us|nvidia-h200-sxm",
            ] {
                raw(key).unwrap();
            }
            s.conn
                .execute_batch(
                    "DELETE FROM draws WHERE key IN ('lpp|C1|2026', 'aia|C2', 'country|IN|2025', 'us|nvidia-h200-sxm'); \
                     UPDATE party_identity_version SET v = 'an older identity'; \
                     INSERT INTO party_spellings (spelling, identity) VALUES ('Bogus', 'bogus');",
                )
                .unwrap();
        }
        let mut s = SqliteStore::open(&path).unwrap();
        let (mut index, mut draws) = (None, Vec::new());
        s.read(&mut |tx| {
            index = tx.stored_party_spellings()?;
            draws = tx.all_draws()?;
            Ok(())
        })
        .unwrap();
        let index = index.unwrap();
        assert_eq!(index.len(), 2, "{index:?}");
        assert!(crate::identity::check_spellings(&draws, &index).is_empty());
        let v: String = s
            .conn
            .query_row("SELECT v FROM party_identity_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, crate::identity::version());
    }

    /// A ledger whose schema is newer than this build's is refused, not written without the
    /// tables and indexes the newer build keeps.
    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        let s = SqliteStore::open(&path).unwrap();
        s.conn.execute_batch("PRAGMA user_version = 99;").unwrap();
        drop(s);
        let e = SqliteStore::open(&path).err().unwrap().to_string();
        assert!(
            e.contains("schema is version 99, newer than this chipcap knows"),
            "{e}"
        );
    }

    /// Regression (issue 12): the ledger was created world-readable (0644).
    #[cfg(unix)]
    #[test]
    fn a_new_ledger_file_and_its_wal_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        let mut s = SqliteStore::open(&path).unwrap();
        s.write(&mut |tx| tx.insert_audit(&record(1, "x"))).unwrap();
        for f in ["l.db", "l.db-wal", "l.db-shm"] {
            let m = std::fs::metadata(dir.path().join(f)).unwrap();
            assert_eq!(m.permissions().mode() & 0o777, 0o600, "{f}");
        }
    }

    /// A writer that never pauses, with the checkpoint thread: the WAL is checkpointed and
    /// started over, so it stays bounded (without the restart it grew to 800 MB in a benchmark),
    /// and every committed row is there.
    #[test]
    fn background_checkpoints_keep_the_wal_bounded() {
        let dir = std::env::temp_dir().join(format!("chipcap-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("l.db");
        let mut s = SqliteStore::open(&path).unwrap();
        s.background_maintenance();
        let payload = "x".repeat(3_000);
        let n: u64 = 24_000;
        let mut seq = 0;
        let mut max_wal = 0;
        while seq < n {
            s.write(&mut |tx| {
                for _ in 0..40 {
                    seq += 1;
                    tx.insert_audit(&record(seq, &payload))?;
                }
                Ok(())
            })
            .unwrap();
            let wal = std::fs::metadata(dir.join("l.db-wal")).map_or(0, |m| m.len());
            max_wal = max_wal.max(wal);
        }
        let mut count = 0;
        s.read(&mut |tx| {
            count = tx.all_audit()?.len();
            Ok(())
        })
        .unwrap();
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(count, 24_000);
        // About 72 MB were written; the WAL restarts past 8,000 frames (~33 MB).
        assert!(max_wal < 60_000_000, "the WAL grew to {max_wal} bytes");
    }
}
