//! PostgreSQL backend for teams on a shared server. Writers serialise on a transaction-scoped
//! advisory lock taken as the first statement of every write transaction; a write returns once its
//! commit is durable (the session's `synchronous_commit`, `on` by default), waiting for the disk
//! after the lock is released (see `PgStore::commit_durably`).

use chipcap_core::date::Date;
use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, GenericClient, NoTls, Row, SimpleQueryMessage, Statement};

use crate::entry::{Draw, Entry};
use crate::error::Error;
use crate::store::{AuditRecord, CatchUp, EntryHead, Store, SumMode, Tx, TxFn};

/// Schema migrations, applied in order; `ledger_meta.schema_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE entries (
    seq BIGINT PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    date TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX entries_by_subject ON entries(kind, subject, seq);
CREATE TABLE draws (
    id BIGSERIAL PRIMARY KEY,
    entry_seq BIGINT NOT NULL REFERENCES entries(seq),
    key TEXT NOT NULL,
    date TEXT NOT NULL,
    amount BIGINT NOT NULL
);
CREATE INDEX draws_by_key ON draws(key COLLATE "C", date);
CREATE TABLE audit (
    seq BIGINT PRIMARY KEY,
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
    // 2: cheaper writes (docs/benchmarks.md: 13,100 -> 18,900 applies/s in batches). The audit documents
    // (2-3 KB of JSON each) are compressed with LZ4 instead of pglz when the server has it (PostgreSQL
    // 14+ built with lz4; otherwise nothing changes). The foreign key from `draws` to `entries` is
    // dropped: it cost an index probe and a row lock on `entries` per draw, and the one write path
    // inserts each entry with its draws in the same statement, while `ledger verify` re-derives every
    // balance from the entries and reports any draw that does not match one.
    r#"
ALTER TABLE draws DROP CONSTRAINT IF EXISTS draws_entry_seq_fkey;
DO $$
BEGIN
    ALTER TABLE audit ALTER COLUMN request SET COMPRESSION lz4;
    ALTER TABLE audit ALTER COLUMN result SET COMPRESSION lz4;
    ALTER TABLE audit ALTER COLUMN balances SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
    NULL;
END
$$;
"#,
    // 3: every audit record carries the entry its operation wrote (see `crate::audit`).
    "ALTER TABLE audit ADD COLUMN IF NOT EXISTS entry TEXT NOT NULL DEFAULT '';",
    // 4: rows are never changed or deleted by the ledger; a change made behind its back bumps this
    // counter, so a writer's in-memory mirror (which trusts the audit head otherwise) reloads and
    // sees it (see `Tx::rewrites`). The function keeps the ledger's schema whoever calls it.
    r#"
INSERT INTO ledger_meta (name, value) VALUES ('rewrites', 0) ON CONFLICT (name) DO NOTHING;
CREATE OR REPLACE FUNCTION ledger_rewritten() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE ledger_meta SET value = value + 1 WHERE name = 'rewrites';
    RETURN NULL;
END
$$;
CREATE TRIGGER entries_rewritten AFTER UPDATE OR DELETE OR TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rewritten();
CREATE TRIGGER draws_rewritten AFTER UPDATE OR DELETE OR TRUNCATE ON draws
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rewritten();
CREATE TRIGGER audit_rewritten AFTER UPDATE OR DELETE OR TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rewritten();
"#,
    // 5: a writer's catch-up asks for the draws of the entries after the last one it has seen
    // (`draws WHERE entry_seq > n`, every write transaction); without an index that read the whole
    // table, a cost that grew with the ledger (docs/benchmarks.md).
    "CREATE INDEX IF NOT EXISTS draws_by_entry ON draws(entry_seq);",
    // 6: the spellings of party names in allowance keys by identity (see the SQLite backend's
    // migration 5): filled from the existing keys (`refresh_spellings`, again when the identity
    // function's Unicode version changes), kept by every entry insert, which stores a spelling
    // before its draws; a draw on a party key whose spelling is not in the index is refused, so a
    // chipcap older than this migration cannot write to the ledger.
    r#"
CREATE TABLE party_spellings (
    spelling TEXT PRIMARY KEY,
    identity TEXT NOT NULL
);
CREATE INDEX party_spellings_by_identity ON party_spellings(identity);
CREATE TABLE party_identity_version (v TEXT NOT NULL);
CREATE TRIGGER party_spellings_rewritten AFTER UPDATE OR DELETE OR TRUNCATE ON party_spellings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rewritten();
CREATE OR REPLACE FUNCTION draws_need_a_spelling() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    IF split_part(NEW.key, '|', 1) IN ('lpp', 'aia', 'nveu', 'uveu')
        AND NOT EXISTS (SELECT 1 FROM party_spellings WHERE spelling = split_part(NEW.key, '|', 2)) THEN
        RAISE EXCEPTION 'a draw on a party key whose spelling is not in party_spellings: this ledger is kept by a newer chipcap than the one writing to it';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER draws_need_a_spelling AFTER INSERT ON draws
    FOR EACH ROW EXECUTE FUNCTION draws_need_a_spelling();
"#,
];

/// Fills the index of party spellings from the stored keys when it was filled under another
/// identity function (or never: a ledger from before migration 6), in statements of 10,000 rows.
fn refresh_spellings(t: &mut postgres::Transaction<'_>) -> Result<(), Error> {
    let version = crate::identity::version();
    let v: Option<String> = t
        .query_opt("SELECT v FROM party_identity_version", &[])?
        .map(|r| r.try_get(0))
        .transpose()?;
    if v.as_deref() == Some(version.as_str()) {
        return Ok(());
    }
    t.batch_execute("DELETE FROM party_spellings; DELETE FROM party_identity_version")?;
    let keys: Vec<String> = t
        .query("SELECT DISTINCT key FROM draws", &[])?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let pairs: Vec<(String, String)> = keys
        .iter()
        .filter_map(|k| crate::identity::key_spelling(k))
        .collect();
    for chunk in pairs.chunks(10_000) {
        let (ids, names): (Vec<&str>, Vec<&str>) =
            chunk.iter().map(|(i, n)| (i.as_str(), n.as_str())).unzip();
        t.execute(
            "INSERT INTO party_spellings (identity, spelling) \
             SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
            &[&ids, &names],
        )?;
    }
    t.execute(
        "INSERT INTO party_identity_version (v) VALUES ($1)",
        &[&version],
    )?;
    Ok(())
}

/// Adds a spelling to the index (nothing when it is there).
const INSERT_SPELLING: &str =
    "INSERT INTO party_spellings (identity, spelling) VALUES ($1, $2) ON CONFLICT DO NOTHING";

/// A ledger in a PostgreSQL database (optionally in its own schema).
pub struct PgStore {
    client: Client,
    lock_id: i64,
    // Prepared once per connection: one round trip per statement afterwards.
    statements: HashMap<String, Statement>,
    /// Where the next write transaction's catch-up starts (see `Store::prefetch_catch_up`).
    catch_up_from: Option<(u64, u64)>,
}

fn lock_id(schema: &str) -> i64 {
    // FNV-1a of the schema name: one advisory lock per ledger.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in schema.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

fn valid_schema(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and applies pending migrations in the
    /// `public` schema.
    pub fn open(url: &str) -> Result<PgStore, Error> {
        PgStore::open_in_schema(url, "public")
    }

    /// Connects and uses (creating it if needed) the schema `schema` (lowercase letters, digits and
    /// `_`): several ledgers in one database, as the tests use.
    pub fn open_in_schema(url: &str, schema: &str) -> Result<PgStore, Error> {
        if !valid_schema(schema) {
            return Err(Error::Input(format!(
                "schema name must be lowercase letters, digits and `_`, got `{schema}`"
            )));
        }
        let mut client = Client::connect(url, NoTls)?;
        let id = lock_id(schema);
        {
            let mut t = client.transaction()?;
            t.execute("SELECT pg_advisory_xact_lock($1)", &[&id])?;
            t.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema}; \
                 CREATE TABLE IF NOT EXISTS ledger_meta (name TEXT PRIMARY KEY, value BIGINT NOT NULL);"
            ))?;
            let have: i64 = t
                .query_opt(
                    "SELECT value FROM ledger_meta WHERE name = 'schema_version'",
                    &[],
                )?
                .map(|r| r.get(0))
                .unwrap_or(0);
            let have = usize::try_from(have).unwrap_or(0);
            if have > MIGRATIONS.len() {
                return Err(Error::Storage(format!(
                    "the ledger's schema is version {have}, newer than this chipcap knows ({}): use a newer chipcap",
                    MIGRATIONS.len()
                )));
            }
            for (i, m) in MIGRATIONS.iter().enumerate().skip(have) {
                t.batch_execute(m)?;
                let v = i64::try_from(i + 1).unwrap_or(i64::MAX);
                t.execute(
                    "INSERT INTO ledger_meta (name, value) VALUES ('schema_version', $1) \
                     ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                    &[&v],
                )?;
            }
            refresh_spellings(&mut t)?;
            t.commit()?;
        }
        client.batch_execute(&format!("SET search_path TO {schema}"))?;
        Ok(PgStore {
            client,
            lock_id: id,
            statements: HashMap::new(),
            catch_up_from: None,
        })
    }
}

struct PgTx<'a, C: GenericClient> {
    t: &'a mut C,
    statements: &'a mut HashMap<String, Statement>,
    /// The last audit record as read with the lock when the write transaction began (saves a round
    /// trip); cleared by any write to the audit table.
    last_audit: Option<Option<(u64, String)>>,
    /// The rewrite counter as read when the write transaction began.
    rewrites: Option<u64>,
    /// The catch-up read in the round trip that began the write transaction, and from where.
    prefetched: Option<((u64, u64), CatchUp)>,
    /// Inserts not sent yet: they go with the commit, in its round trip (sent before any other
    /// statement of the transaction if one comes first).
    deferred: &'a mut String,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

/// Deferred insert text past which it is sent at once, in the transaction (bytes).
const DEFERRED_MAX: usize = 16 * 1024 * 1024;

impl<C: GenericClient> PgTx<'_, C> {
    fn send_deferred(&mut self) -> Result<(), Error> {
        if !self.deferred.is_empty() {
            self.t.batch_execute(self.deferred)?;
            self.deferred.clear();
        }
        Ok(())
    }
    fn st(&mut self, sql: &str) -> Result<Statement, Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.t.prepare(sql)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
    fn q(&mut self, sql: &str, p: Params<'_>) -> Result<Vec<Row>, Error> {
        self.send_deferred()?;
        let s = self.st(sql)?;
        Ok(self.t.query(&s, p)?)
    }
    fn q_opt(&mut self, sql: &str, p: Params<'_>) -> Result<Option<Row>, Error> {
        self.send_deferred()?;
        let s = self.st(sql)?;
        Ok(self.t.query_opt(&s, p)?)
    }
    fn q_one(&mut self, sql: &str, p: Params<'_>) -> Result<Row, Error> {
        self.send_deferred()?;
        let s = self.st(sql)?;
        Ok(self.t.query_one(&s, p)?)
    }
    fn exec(&mut self, sql: &str, p: Params<'_>) -> Result<u64, Error> {
        self.send_deferred()?;
        let s = self.st(sql)?;
        Ok(self.t.execute(&s, p)?)
    }
}

fn parse_entry(body: &str) -> Result<Entry, Error> {
    serde_json::from_str(body).map_err(|e| Error::Corrupt(format!("entry cannot be read: {e}")))
}

fn to_u64(v: i64) -> Result<u64, Error> {
    u64::try_from(v).map_err(|_| Error::Corrupt(format!("negative sequence number {v}")))
}

fn to_i64(v: u64) -> Result<i64, Error> {
    i64::try_from(v).map_err(|_| Error::Corrupt(format!("sequence number {v} too large")))
}

/// The sum of the draws on key `$1` as `mode` counts them on date `$2`. The key is compared in
/// the `C` collation, the key index's: compared in the database's default collation it could not
/// use the index and every sum read the whole table (100 ms per one-shot apply at 200,000 entries,
/// docs/benchmarks.md).
fn sum_sql(mode: SumMode) -> &'static str {
    match mode {
        SumMode::AsOf => {
            "SELECT COALESCE(SUM(amount), 0)::BIGINT FROM draws WHERE key COLLATE \"C\" = $1 AND date <= $2"
        }
        SumMode::Upper => {
            "SELECT COALESCE(SUM(amount), 0)::BIGINT FROM draws WHERE key COLLATE \"C\" = $1 AND (amount > 0 OR date <= $2)"
        }
        SumMode::Lower => {
            "SELECT COALESCE(SUM(amount), 0)::BIGINT FROM draws WHERE key COLLATE \"C\" = $1 AND (amount < 0 OR date <= $2)"
        }
    }
}

const AUDIT_COLS: &str =
    "seq, client_id, op, recorded_at, request, result, balances, prev_hash, hash, entry";

fn to_audit(r: &Row) -> Result<AuditRecord, Error> {
    Ok(AuditRecord {
        seq: to_u64(r.try_get(0)?)?,
        client_id: r.try_get(1)?,
        op: r.try_get(2)?,
        recorded_at: r.try_get(3)?,
        request: r.try_get(4)?,
        result: r.try_get(5)?,
        balances: r.try_get(6)?,
        prev_hash: r.try_get(7)?,
        hash: r.try_get(8)?,
        entry: r.try_get(9)?,
    })
}

impl<C: GenericClient> Tx for PgTx<'_, C> {
    fn audit_by_client_id(&mut self, id: &str) -> Result<Option<AuditRecord>, Error> {
        let r = self.q_opt(
            &format!("SELECT {AUDIT_COLS} FROM audit WHERE client_id = $1"),
            &[&id],
        )?;
        r.as_ref().map(to_audit).transpose()
    }
    fn entry_by_client_id(&mut self, id: &str) -> Result<Option<Entry>, Error> {
        let r = self.q_opt("SELECT body FROM entries WHERE client_id = $1", &[&id])?;
        r.map(|r| parse_entry(&r.try_get::<_, String>(0)?))
            .transpose()
    }
    fn entries_for(&mut self, kind: &str, subject: &str) -> Result<Vec<Entry>, Error> {
        let rows = self.q(
            "SELECT body FROM entries WHERE kind = $1 AND subject = $2 ORDER BY seq",
            &[&kind, &subject],
        )?;
        rows.iter()
            .map(|r| parse_entry(&r.try_get::<_, String>(0)?))
            .collect()
    }
    fn entries_of_kind(&mut self, kind: &str) -> Result<Vec<Entry>, Error> {
        let rows = self.q(
            "SELECT body FROM entries WHERE kind = $1 ORDER BY seq",
            &[&kind],
        )?;
        rows.iter()
            .map(|r| parse_entry(&r.try_get::<_, String>(0)?))
            .collect()
    }
    fn sum(&mut self, key: &str, mode: SumMode, date: Date) -> Result<i64, Error> {
        let d = date.to_string();
        let r = self.q_one(sum_sql(mode), &[&key, &d])?;
        Ok(r.try_get(0)?)
    }
    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, Error> {
        let rows = self.q(
            "SELECT DISTINCT key COLLATE \"C\" FROM draws WHERE starts_with(key, $1) ORDER BY 1",
            &[&prefix],
        )?;
        rows.iter()
            .map(|r| r.try_get::<_, String>(0).map_err(Error::from))
            .collect()
    }
    fn next_entry_seq(&mut self) -> Result<u64, Error> {
        let r = self.q_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM entries", &[])?;
        to_u64(r.try_get(0)?)
    }
    fn insert_entry(&mut self, entry: &Entry, draws: &[Draw]) -> Result<(), Error> {
        let body = serde_json::to_string(entry)
            .map_err(|e| Error::Storage(format!("entry cannot be written: {e}")))?;
        let seq = to_i64(entry.seq)?;
        let date = entry.date.to_string();
        self.exec(
            "INSERT INTO entries (seq, client_id, kind, subject, date, body) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&seq, &entry.client_id, &entry.body.kind(), &entry.body.subject(), &date, &body],
        )?;
        // The spellings first: a draw on a party key needs its spelling in the index (migration 6).
        for (identity, spelling) in draws
            .iter()
            .filter_map(|d| crate::identity::key_spelling(&d.key))
        {
            self.exec(INSERT_SPELLING, &[&identity, &spelling])?;
        }
        for d in draws {
            let dd = d.date.to_string();
            self.exec(
                "INSERT INTO draws (entry_seq, key, date, amount) VALUES ($1, $2, $3, $4)",
                &[&seq, &d.key, &dd, &d.amount],
            )?;
        }
        Ok(())
    }
    fn party_spellings(&mut self, identity: &str) -> Result<Vec<String>, Error> {
        self.q(
            "SELECT spelling FROM party_spellings WHERE identity = $1 ORDER BY spelling COLLATE \"C\"",
            &[&identity],
        )?
        .iter()
        .map(|r| r.try_get(0).map_err(Error::from))
        .collect()
    }
    fn stored_party_spellings(&mut self) -> Result<Option<Vec<(String, String)>>, Error> {
        let rows = self.q(
            "SELECT identity, spelling FROM party_spellings ORDER BY identity COLLATE \"C\", spelling COLLATE \"C\"",
            &[],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push((r.try_get(0)?, r.try_get(1)?));
        }
        Ok(Some(out))
    }
    fn last_audit(&mut self) -> Result<Option<(u64, String)>, Error> {
        if let Some(last) = self.last_audit.take() {
            return Ok(last);
        }
        let r = self.q_opt("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &[])?;
        match r {
            None => Ok(None),
            Some(r) => Ok(Some((to_u64(r.try_get(0)?)?, r.try_get(1)?))),
        }
    }
    fn insert_audit(&mut self, a: &AuditRecord) -> Result<(), Error> {
        self.last_audit = None;
        let seq = to_i64(a.seq)?;
        self.exec(
            &format!(
                "INSERT INTO audit ({AUDIT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ),
            &[
                &seq,
                &a.client_id,
                &a.op,
                &a.recorded_at,
                &a.request,
                &a.result,
                &a.balances,
                &a.prev_hash,
                &a.hash,
                &a.entry,
            ],
        )?;
        Ok(())
    }
    fn all_entries(&mut self) -> Result<Vec<Entry>, Error> {
        let rows = self.q("SELECT body FROM entries ORDER BY seq", &[])?;
        rows.iter()
            .map(|r| parse_entry(&r.try_get::<_, String>(0)?))
            .collect()
    }
    fn all_draws(&mut self) -> Result<Vec<(u64, Draw)>, Error> {
        let rows = self.q(
            "SELECT entry_seq, key, date, amount FROM draws ORDER BY entry_seq, id",
            &[],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let date: String = r.try_get(2)?;
            out.push((
                to_u64(r.try_get(0)?)?,
                Draw {
                    key: r.try_get(1)?,
                    date: date
                        .parse()
                        .map_err(|_| Error::Corrupt(format!("bad date `{date}`")))?,
                    amount: r.try_get(3)?,
                },
            ));
        }
        Ok(out)
    }
    fn insert_many(
        &mut self,
        entries: &[(Entry, Vec<Draw>)],
        audit: &[AuditRecord],
    ) -> Result<(), Error> {
        // The batch as multi-row INSERTs with the values written out (the transaction runs with
        // `standard_conforming_strings = on`, so a string is safe once its quotes are doubled),
        // sent with the commit: no round trip of its own.
        self.last_audit = None;
        let sql = &mut *self.deferred;
        if !entries.is_empty() {
            sql.push_str("INSERT INTO entries (seq, client_id, kind, subject, date, body) VALUES ");
            for (i, (e, _)) in entries.iter().enumerate() {
                let body = serde_json::to_string(e)
                    .map_err(|x| Error::Storage(format!("entry cannot be written: {x}")))?;
                sql.push_str(if i == 0 { "(" } else { ", (" });
                sql.push_str(&to_i64(e.seq)?.to_string());
                for v in [
                    e.client_id.as_str(),
                    e.body.kind(),
                    e.body.subject(),
                    &e.date.to_string(),
                    &body,
                ] {
                    sql.push_str(", ");
                    literal(sql, v)?;
                }
                sql.push(')');
            }
            sql.push_str("; ");
        }
        // The spellings before the draws: a draw on a party key needs its spelling in the index
        // (migration 6).
        let spellings: std::collections::BTreeSet<(String, String)> = entries
            .iter()
            .flat_map(|(_, d)| d)
            .filter_map(|d| crate::identity::key_spelling(&d.key))
            .collect();
        for (i, (identity, spelling)) in spellings.iter().enumerate() {
            sql.push_str(if i == 0 {
                "INSERT INTO party_spellings (identity, spelling) VALUES ("
            } else {
                ", ("
            });
            literal(sql, identity)?;
            sql.push_str(", ");
            literal(sql, spelling)?;
            sql.push(')');
        }
        if !spellings.is_empty() {
            sql.push_str(" ON CONFLICT DO NOTHING; ");
        }
        let mut first = true;
        for (e, draws) in entries {
            for d in draws {
                sql.push_str(if first {
                    "INSERT INTO draws (entry_seq, key, date, amount) VALUES ("
                } else {
                    ", ("
                });
                first = false;
                sql.push_str(&to_i64(e.seq)?.to_string());
                sql.push_str(", ");
                literal(sql, &d.key)?;
                sql.push_str(", ");
                literal(sql, &d.date.to_string())?;
                sql.push_str(", ");
                sql.push_str(&d.amount.to_string());
                sql.push(')');
            }
        }
        if !first {
            sql.push_str("; ");
        }
        if !audit.is_empty() {
            sql.push_str(&format!("INSERT INTO audit ({AUDIT_COLS}) VALUES "));
            for (i, a) in audit.iter().enumerate() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                sql.push_str(&to_i64(a.seq)?.to_string());
                for v in [
                    &a.client_id,
                    &a.op,
                    &a.recorded_at,
                    &a.request,
                    &a.result,
                    &a.balances,
                    &a.prev_hash,
                    &a.hash,
                    &a.entry,
                ] {
                    sql.push_str(", ");
                    literal(sql, v)?;
                }
                sql.push(')');
            }
            sql.push_str("; ");
        }
        // A client's batch of thousands of requests: send what is pending now rather than build
        // one statement text of hundreds of megabytes (PostgreSQL takes at most 1 GB per message).
        if self.deferred.len() > DEFERRED_MAX {
            self.send_deferred()?;
        }
        Ok(())
    }
    fn rewrites(&mut self) -> Result<u64, Error> {
        if let Some(n) = self.rewrites {
            return Ok(n);
        }
        let r = self.q_opt("SELECT value FROM ledger_meta WHERE name = 'rewrites'", &[])?;
        match r {
            None => Ok(0),
            Some(r) => to_u64(r.try_get(0)?),
        }
    }
    fn catch_up(&mut self, entry_seq: u64, audit_seq: u64) -> Result<CatchUp, Error> {
        if let Some((from, c)) = self.prefetched.take() {
            if from == (entry_seq, audit_seq) {
                return Ok(c);
            }
        }
        // One statement, one round trip: the new entries (t = 0), draws (1) and audit records (2).
        let rows = self.q(
            &catch_up_sql("$1", "$2"),
            &[&to_i64(entry_seq)?, &to_i64(audit_seq)?],
        )?;
        let mut out = CatchUp::default();
        for r in rows {
            catch_up_row(
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                &mut out,
            )?;
        }
        Ok(out)
    }
    fn all_audit(&mut self) -> Result<Vec<AuditRecord>, Error> {
        let rows = self.q(&format!("SELECT {AUDIT_COLS} FROM audit ORDER BY seq"), &[])?;
        rows.iter().map(to_audit).collect()
    }
}

/// The catch-up query (see `Tx::catch_up`): new entries (t = 0, with the body only when its kind
/// is looked up by subject), their draws (1) and new audit records (2), in order.
fn catch_up_sql(entry_seq: &str, audit_seq: &str) -> String {
    format!(
        "SELECT 0 AS t, seq AS n, client_id AS x, \
         CASE WHEN kind IN ('shipment', 'attrition', 'adjustment', 'disposition') THEN NULL ELSE body END AS y, \
         NULL::BIGINT AS m, 0::BIGINT AS o FROM entries WHERE seq > {entry_seq} \
         UNION ALL SELECT 1, entry_seq, key, date, amount, id FROM draws WHERE entry_seq > {entry_seq} \
         UNION ALL SELECT 2, seq, client_id, hash, NULL, 0 FROM audit WHERE seq > {audit_seq} \
         ORDER BY t, n, o"
    )
}

fn catch_up_row(
    t: i32,
    n: i64,
    x: String,
    y: Option<String>,
    m: Option<i64>,
    out: &mut CatchUp,
) -> Result<(), Error> {
    let n = to_u64(n)?;
    match t {
        0 => out.entries.push(EntryHead {
            seq: n,
            client_id: x,
            entry: y.map(|b| parse_entry(&b)).transpose()?,
        }),
        1 => {
            let date = y.unwrap_or_default();
            out.draws.push(Draw {
                key: x,
                date: date
                    .parse()
                    .map_err(|_| Error::Corrupt(format!("bad date `{date}`")))?,
                amount: m.ok_or_else(|| Error::Corrupt("a draw without an amount".into()))?,
            });
        }
        _ => out.audit.push((n, x, y.unwrap_or_default())),
    }
    Ok(())
}

/// Appends `v` as an SQL string literal (`standard_conforming_strings = on`: quotes doubled,
/// nothing else escaped). PostgreSQL cannot store a NUL character; one is refused.
fn literal(sql: &mut String, v: &str) -> Result<(), Error> {
    if v.contains('\0') {
        return Err(Error::Storage(
            "a value holds a NUL character, which PostgreSQL cannot store".into(),
        ));
    }
    sql.push('\'');
    for c in v.chars() {
        if c == '\'' {
            sql.push('\'');
        }
        sql.push(c);
    }
    sql.push('\'');
    Ok(())
}

fn text_i64(v: Option<&str>, what: &str) -> Result<i64, Error> {
    v.and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| Error::Corrupt(format!("{what} is not a number")))
}

impl PgStore {
    /// Commits the write transaction and returns once it is durable, without holding the ledger's
    /// lock while the disk syncs.
    ///
    /// The transaction commits with `synchronous_commit = off`: PostgreSQL writes its commit record
    /// and releases the advisory lock at once, so the next writer (another process) takes the lock
    /// while this one waits for the disk. In the same round trip, a marker transaction is committed
    /// with the session's own setting (`on` by default). The marker writes one WAL record (a
    /// transactional logical-decoding message, which any role may emit and which changes no table),
    /// so that PostgreSQL flushes its commit record (and, with synchronous replication, waits for the
    /// standby) before it returns — a transaction that wrote no WAL, such as one that only took a
    /// transaction id, commits without flushing — and WAL is flushed in order, so everything before
    /// it, this transaction's commit record included, is durable too. Only then is the caller
    /// answered: acknowledged = committed, as before. Concurrent writers' waits share
    /// PostgreSQL's WAL flushes, which a lock held through the sync prevented (the naive
    /// baseline's per-allowance locks get the same sharing).
    ///
    /// What another transaction may see in between: this transaction's rows, before they are
    /// durable. If the server crashed then, they would be lost with everything written after them
    /// (later in the WAL) — in particular with any ledger write that read them, which is never
    /// acknowledged before its own, later flush — so no acknowledged write can depend on a lost one.
    fn commit_durably(&mut self, deferred: &str) -> Result<(), Error> {
        let sql = format!(
            "{deferred}COMMIT; BEGIN; SELECT pg_logical_emit_message(true, 'chipcap', 'durable'); COMMIT"
        );
        if let Err(e) = self.client.batch_execute(&sql) {
            // A deferred insert failed (the transaction is aborted) or the marker did: end
            // whatever transaction is open; the caller gets the error.
            let _ = self.client.batch_execute("ROLLBACK");
            return Err(e.into());
        }
        Ok(())
    }
}

impl Store for PgStore {
    fn prefetch_catch_up(&mut self, entry_seq: u64, audit_seq: u64) {
        self.catch_up_from = Some((entry_seq, audit_seq));
    }
    fn write(&mut self, f: &mut TxFn<'_>) -> Result<(), Error> {
        // One round trip begins the transaction: BEGIN, the ledger's lock, the last audit record,
        // the rewrite counter and, when the caller said where its cache stands, the catch-up
        // (simple query protocol). Then the work, whose inserts are deferred; then one round trip
        // sends them with COMMIT and the durability wait (`commit_durably`), or ROLLBACK on any
        // error. The commit itself does not wait for the disk (`synchronous_commit = off` for this
        // transaction only); the wait comes after the lock is released.
        let from = self.catch_up_from.take();
        let mut sql = format!(
            "BEGIN; SET LOCAL synchronous_commit = off; SET LOCAL standard_conforming_strings = on; \
             SELECT pg_advisory_xact_lock({}); \
             SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1; \
             SELECT value FROM ledger_meta WHERE name = 'rewrites'",
            self.lock_id
        );
        if let Some((e, a)) = from {
            sql.push_str("; ");
            sql.push_str(&catch_up_sql(
                &to_i64(e)?.to_string(),
                &to_i64(a)?.to_string(),
            ));
        }
        let msgs = match self.client.simple_query(&sql) {
            Ok(m) => m,
            Err(e) => {
                let _ = self.client.batch_execute("ROLLBACK");
                return Err(e.into());
            }
        };
        let mut last = None;
        let mut rewrites = 0;
        let mut caught_up = CatchUp::default();
        // Statements, counted by their CommandComplete: BEGIN, the two SETs and the lock (0-3),
        // the audit head (4), the rewrite counter (5), the catch-up (6).
        let mut done = 0;
        let parsed = (|| -> Result<(), Error> {
            for m in &msgs {
                match m {
                    SimpleQueryMessage::Row(r) if done == 4 => {
                        let seq = text_i64(r.get(0), "an audit sequence number")?;
                        let hash = r.get(1).unwrap_or_default().to_string();
                        last = Some((to_u64(seq)?, hash));
                    }
                    SimpleQueryMessage::Row(r) if done == 5 => {
                        rewrites = to_u64(text_i64(r.get(0), "the rewrite counter")?)?;
                    }
                    SimpleQueryMessage::Row(r) if done == 6 => {
                        let t = text_i64(r.get(0), "a catch-up row's table")?;
                        catch_up_row(
                            i32::try_from(t)
                                .map_err(|_| Error::Corrupt("a catch-up row's table".into()))?,
                            text_i64(r.get(1), "a sequence number")?,
                            r.get(2).unwrap_or_default().to_string(),
                            r.get(3).map(str::to_string),
                            r.get(4)
                                .map(|v| text_i64(Some(v), "an amount"))
                                .transpose()?,
                            &mut caught_up,
                        )?;
                    }
                    SimpleQueryMessage::CommandComplete(_) => done += 1,
                    _ => {}
                }
            }
            Ok(())
        })();
        let mut deferred = String::new();
        let r = parsed.and_then(|()| {
            let mut x = PgTx {
                t: &mut self.client,
                statements: &mut self.statements,
                last_audit: Some(last),
                rewrites: Some(rewrites),
                prefetched: from.map(|f| (f, caught_up)),
                deferred: &mut deferred,
            };
            f(&mut x)
        });
        match r {
            Ok(()) => self.commit_durably(&deferred),
            Err(e) => {
                // The error is what the caller needs; a failed rollback leaves the connection
                // broken, and the next use reports that.
                let _ = self.client.batch_execute("ROLLBACK");
                Err(e)
            }
        }
    }
    fn read(&mut self, f: &mut TxFn<'_>) -> Result<(), Error> {
        let mut t = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let mut deferred = String::new();
        {
            let mut x = PgTx {
                t: &mut t,
                statements: &mut self.statements,
                last_audit: None,
                rewrites: None,
                prefetched: None,
                deferred: &mut deferred,
            };
            f(&mut x)?;
        }
        t.rollback()?;
        Ok(())
    }
    fn backend(&self) -> &'static str {
        "postgres"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn audit_record(seq: u64, id: &str, payload: &str) -> AuditRecord {
        AuditRecord {
            seq,
            client_id: id.into(),
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

    /// Regression: the catch-up read every row of `draws` (`WHERE entry_seq > n` had no index), so
    /// the round trip that begins every write transaction grew with the ledger.
    #[test]
    fn a_catch_up_and_a_sum_do_not_read_the_whole_draws_table() {
        let Ok(url) = std::env::var("CHIPCAP_TEST_DATABASE_URL") else {
            eprintln!("NOTE: not run: set CHIPCAP_TEST_DATABASE_URL");
            return;
        };
        let schema = format!("catchup_{}", std::process::id());
        let mut s = PgStore::open_in_schema(&url, &schema).unwrap();
        let n: u64 = 5_000;
        let rows: Vec<(Entry, Vec<Draw>)> = (1..=n)
            .map(|seq| crate::store::adjustment_row(seq, &format!("C{seq}")))
            .collect();
        s.write(&mut |tx| tx.insert_many(&rows, &[])).unwrap();
        s.client.batch_execute("ANALYZE draws").unwrap();
        let plan: Vec<String> = s
            .client
            .query(
                &format!("EXPLAIN {}", catch_up_sql(&(n - 2).to_string(), "0")),
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        // Regression: a sum compared the key in the default collation, which the key index (in
        // `C`) cannot answer: every sum read the whole table.
        let mut sums = Vec::new();
        for mode in [SumMode::AsOf, SumMode::Upper, SumMode::Lower] {
            let sql = sum_sql(mode)
                .replace("$1", "'lpp|C7|2025'")
                .replace("$2", "'2025-06-01'");
            let p: Vec<String> = s
                .client
                .query(&format!("EXPLAIN {sql}"), &[])
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect();
            sums.push(p.join("\n"));
        }
        let _ = s
            .client
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        let plan = plan.join("\n");
        assert!(plan.contains("draws_by_entry"), "{plan}");
        assert!(!plan.contains("Seq Scan on draws"), "{plan}");
        for p in sums {
            assert!(p.contains("draws_by_key"), "{p}");
            assert!(!p.contains("Seq Scan"), "{p}");
        }
    }

    /// Migration 6 fills the index of party spellings from the keys already stored, and a ledger
    /// whose schema is newer than this build's is refused.
    #[test]
    fn the_index_of_spellings_is_filled_from_the_existing_keys() {
        let Ok(url) = std::env::var("CHIPCAP_TEST_DATABASE_URL") else {
            eprintln!("NOTE: not run: set CHIPCAP_TEST_DATABASE_URL");
            return;
        };
        let schema = format!("spell_{}", std::process::id());
        let rows: Vec<(Entry, Vec<Draw>)> = ["Acme", "ACME Inc.", "Other"]
            .iter()
            .zip(1..)
            .map(|(n, seq)| crate::store::adjustment_row(seq, n))
            .collect();
        {
            let mut s = PgStore::open_in_schema(&url, &schema).unwrap();
            s.write(&mut |tx| tx.insert_many(&rows, &[])).unwrap();
            // As a ledger written before migration 6 is.
            s.client
                .batch_execute(
                    "DROP TRIGGER draws_need_a_spelling ON draws; DROP TABLE party_spellings; \
                     DROP TABLE party_identity_version; \
                     UPDATE ledger_meta SET value = 5 WHERE name = 'schema_version'",
                )
                .unwrap();
        }
        let mut s = PgStore::open_in_schema(&url, &schema).unwrap();
        let (mut index, mut found) = (None, Vec::new());
        s.read(&mut |tx| {
            index = tx.stored_party_spellings()?;
            found = tx.party_spellings("acme inc")?;
            Ok(())
        })
        .unwrap();
        // What a chipcap older than migration 6 would write: refused.
        let old_writer = s
            .client
            .batch_execute(
                "INSERT INTO draws (entry_seq, key, date, amount) VALUES (1, 'lpp|Unknown Co|2025', '2025-06-01', 1)",
            )
            .err()
            .map(|e| format!("{e:?}"));
        s.client
            .batch_execute(
                "INSERT INTO draws (entry_seq, key, date, amount) VALUES (1, 'aia|Other', '2025-06-01', 1); \
                 INSERT INTO draws (entry_seq, key, date, amount) VALUES (1, 'country|IN|2025', '2025-06-01', 1)",
            )
            .unwrap();
        // Filled under another identity function: refilled on open.
        s.client
            .batch_execute(
                "UPDATE party_identity_version SET v = 'an older identity'; \
                 INSERT INTO party_spellings (spelling, identity) VALUES ('Bogus', 'bogus')",
            )
            .unwrap();
        drop(s);
        let mut s = PgStore::open_in_schema(&url, &schema).unwrap();
        let mut refreshed = None;
        s.read(&mut |tx| {
            refreshed = tx.stored_party_spellings()?;
            Ok(())
        })
        .unwrap();
        s.client
            .batch_execute("UPDATE ledger_meta SET value = 99 WHERE name = 'schema_version'")
            .unwrap();
        let newer = PgStore::open_in_schema(&url, &schema)
            .err()
            .map(|e| e.to_string());
        let _ = s
            .client
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        let want: Vec<(String, String)> = [
            ("acme", "Acme"),
            ("acme inc", "ACME Inc."),
            ("other", "Other"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
        .collect();
        assert_eq!(index, Some(want.clone()));
        assert_eq!(refreshed, Some(want));
        let old_writer = old_writer.unwrap();
        assert!(old_writer.contains("newer chipcap"), "{old_writer}");
        assert_eq!(found, ["ACME Inc."]);
        let newer = newer.unwrap();
        assert!(
            newer.contains("schema is version 99, newer than this chipcap knows"),
            "{newer}"
        );
    }

    /// Inserts are sent as SQL text with the commit: every value comes back byte for byte
    /// (quotes, backslashes, dollar quotes, comment and statement separators, non-ASCII), and a
    /// NUL is refused with nothing written.
    #[test]
    fn deferred_inserts_store_every_value_as_given() {
        let Ok(url) = std::env::var("CHIPCAP_TEST_DATABASE_URL") else {
            eprintln!("NOTE: not run: set CHIPCAP_TEST_DATABASE_URL");
            return;
        };
        let schema = format!("literal_{}", std::process::id());
        let mut s = PgStore::open_in_schema(&url, &schema).unwrap();
        let nasty = [
            "it's",
            "''",
            "\\'; DROP TABLE audit; --",
            "$$ $x$ \\x00 \\n",
            "E'\\''",
            "Zürich 東京 \u{1F600}",
            "/* ; */ '",
        ];
        let entry = Entry {
            seq: 1,
            client_id: "e'1".into(),
            recorded_by: "o'brien \\".into(),
            recorded_at: "t".into(),
            date: "2025-06-01".parse().unwrap(),
            body: crate::entry::Body::Adjustment(crate::entry::Adjustment {
                key: "lpp|O'Neil \\ Co|2025".into(),
                amount_milli: 5,
                reason: nasty.join(" | "),
            }),
        };
        let draws = vec![Draw {
            key: "lpp|O'Neil \\ Co|2025".into(),
            date: entry.date,
            amount: 5,
        }];
        s.write(&mut |tx| {
            let audit: Vec<AuditRecord> = nasty
                .iter()
                .enumerate()
                .map(|(i, v)| audit_record(i as u64 + 1, &format!("{v}#{i}"), v))
                .collect();
            tx.insert_many(&[(entry.clone(), draws.clone())], &audit)
        })
        .unwrap();
        let refused = s.write(&mut |tx| tx.insert_many(&[], &[audit_record(99, "nul", "a\0b")]));
        assert!(matches!(refused, Err(Error::Storage(_))), "{refused:?}");
        let (mut got_audit, mut got_entries, mut got_draws) = (vec![], vec![], vec![]);
        s.read(&mut |tx| {
            got_audit = tx.all_audit()?;
            got_entries = tx.all_entries()?;
            got_draws = tx.all_draws()?;
            Ok(())
        })
        .unwrap();
        let mut c = Client::connect(&url, NoTls).unwrap();
        c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
        assert_eq!(got_audit.len(), nasty.len());
        for (a, v) in got_audit.iter().zip(nasty) {
            assert_eq!(a.request, v);
        }
        assert_eq!(got_entries, vec![entry]);
        assert_eq!(got_draws, vec![(1, draws[0].clone())]);
    }

    /// A batch whose insert text passes `DEFERRED_MAX` is sent in parts within its transaction:
    /// every row is stored, and a failure after the first part still leaves nothing.
    #[test]
    fn a_large_batch_is_sent_in_parts_in_one_transaction() {
        let Ok(url) = std::env::var("CHIPCAP_TEST_DATABASE_URL") else {
            eprintln!("NOTE: not run: set CHIPCAP_TEST_DATABASE_URL");
            return;
        };
        let schema = format!("large_{}", std::process::id());
        let mut s = PgStore::open_in_schema(&url, &schema).unwrap();
        let payload = "x".repeat(3_000);
        let n = DEFERRED_MAX / 3_000 + 500;
        let records: Vec<AuditRecord> = (1..=n as u64)
            .map(|i| audit_record(i, &format!("big-{i}"), &payload))
            .collect();
        // The last record repeats the first id: the unique index refuses it after the first part
        // was sent, and the whole transaction is rolled back.
        let mut bad = records.clone();
        bad.push(audit_record(n as u64 + 1, "big-1", "dup"));
        assert!(s.write(&mut |tx| tx.insert_many(&[], &bad)).is_err());
        let mut count = usize::MAX;
        s.read(&mut |tx| {
            count = tx.all_audit()?.len();
            Ok(())
        })
        .unwrap();
        assert_eq!(count, 0);
        s.write(&mut |tx| tx.insert_many(&[], &records)).unwrap();
        s.read(&mut |tx| {
            count = tx.all_audit()?.len();
            Ok(())
        })
        .unwrap();
        let mut c = Client::connect(&url, NoTls).unwrap();
        c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
        assert_eq!(count, n);
    }

    /// Regression: the durability wait must make PostgreSQL sync its WAL once per write (a marker
    /// that wrote no WAL, such as `SELECT txid_current()`, commits without a sync, and the write
    /// would be acknowledged before it was durable). Counted with `pg_stat_wal.wal_sync`, which
    /// other sessions can only raise: with the sync missing, 50 writes gave about 0-2 syncs (the
    /// WAL writer's own, every 200 ms).
    #[test]
    fn every_write_waits_for_a_wal_sync() {
        let Ok(url) = std::env::var("CHIPCAP_TEST_DATABASE_URL") else {
            eprintln!("NOTE: not run: set CHIPCAP_TEST_DATABASE_URL");
            return;
        };
        let mut probe = Client::connect(&url, NoTls).unwrap();
        let method: String = probe
            .query_one("SELECT current_setting('wal_sync_method')", &[])
            .unwrap()
            .get(0);
        let fsync: String = probe
            .query_one("SELECT current_setting('fsync')", &[])
            .unwrap()
            .get(0);
        if !matches!(method.as_str(), "fdatasync" | "fsync") || fsync != "on" {
            eprintln!("NOTE: not run: wal_sync_method {method}, fsync {fsync} (no sync count)");
            return;
        }
        let schema = format!("durable_sync_{}", std::process::id());
        let mut s = PgStore::open_in_schema(&url, &schema).unwrap();
        let syncs = |c: &mut Client| -> i64 {
            c.query_one("SELECT wal_sync FROM pg_stat_wal", &[])
                .unwrap()
                .get(0)
        };
        let before = syncs(&mut probe);
        for i in 0..50u64 {
            s.write(&mut |tx| {
                let seq = tx.last_audit()?.map_or(1, |(s, _)| s + 1);
                tx.insert_audit(&AuditRecord {
                    seq,
                    client_id: format!("sync-{i}"),
                    op: "adjust".into(),
                    recorded_at: "2025-06-01T00:00:00Z".into(),
                    request: "{}".into(),
                    result: "{}".into(),
                    balances: "[]".into(),
                    entry: "null".into(),
                    prev_hash: String::new(),
                    hash: String::new(),
                })
            })
            .unwrap();
        }
        // pg_stat_wal is updated when a backend reports its statistics (at the latest when it is
        // idle for a second): wait for the writer's reports.
        drop(s);
        let mut after = syncs(&mut probe);
        for _ in 0..40 {
            if after - before >= 50 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            probe
                .batch_execute("SELECT pg_stat_clear_snapshot()")
                .unwrap();
            after = syncs(&mut probe);
        }
        probe
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
        assert!(
            after - before >= 50,
            "50 durable writes, {} WAL syncs",
            after - before
        );
    }
}
