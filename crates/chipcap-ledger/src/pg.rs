//! PostgreSQL backend for teams on a shared server. Writers serialise on a transaction-scoped
//! advisory lock taken as the first statement of every write transaction; commits are durable
//! (the server's default `synchronous_commit = on`).

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
];

/// A ledger in a PostgreSQL database (optionally in its own schema).
pub struct PgStore {
    client: Client,
    lock_id: i64,
    // Prepared once per connection: one round trip per statement afterwards.
    statements: HashMap<String, Statement>,
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
            for (i, m) in MIGRATIONS.iter().enumerate().skip(have) {
                t.batch_execute(m)?;
                let v = i64::try_from(i + 1).unwrap_or(i64::MAX);
                t.execute(
                    "INSERT INTO ledger_meta (name, value) VALUES ('schema_version', $1) \
                     ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                    &[&v],
                )?;
            }
            t.commit()?;
        }
        client.batch_execute(&format!("SET search_path TO {schema}"))?;
        Ok(PgStore {
            client,
            lock_id: id,
            statements: HashMap::new(),
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
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl<C: GenericClient> PgTx<'_, C> {
    fn st(&mut self, sql: &str) -> Result<Statement, Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.t.prepare(sql)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
    fn q(&mut self, sql: &str, p: Params<'_>) -> Result<Vec<Row>, Error> {
        let s = self.st(sql)?;
        Ok(self.t.query(&s, p)?)
    }
    fn q_opt(&mut self, sql: &str, p: Params<'_>) -> Result<Option<Row>, Error> {
        let s = self.st(sql)?;
        Ok(self.t.query_opt(&s, p)?)
    }
    fn q_one(&mut self, sql: &str, p: Params<'_>) -> Result<Row, Error> {
        let s = self.st(sql)?;
        Ok(self.t.query_one(&s, p)?)
    }
    fn exec(&mut self, sql: &str, p: Params<'_>) -> Result<u64, Error> {
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
        let sql = match mode {
            SumMode::AsOf => {
                "SELECT COALESCE(SUM(amount), 0)::BIGINT FROM draws WHERE key = $1 AND date <= $2"
            }
            SumMode::Upper => {
                "SELECT COALESCE(SUM(amount), 0)::BIGINT FROM draws WHERE key = $1 AND (amount > 0 OR date <= $2)"
            }
            SumMode::Lower => {
                "SELECT COALESCE(SUM(amount), 0)::BIGINT FROM draws WHERE key = $1 AND (amount < 0 OR date <= $2)"
            }
        };
        let d = date.to_string();
        let r = self.q_one(sql, &[&key, &d])?;
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
        for d in draws {
            let dd = d.date.to_string();
            self.exec(
                "INSERT INTO draws (entry_seq, key, date, amount) VALUES ($1, $2, $3, $4)",
                &[&seq, &d.key, &dd, &d.amount],
            )?;
        }
        Ok(())
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
        // The batch as column arrays.
        let (mut seq, mut id, mut kind, mut subject, mut date, mut body) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        let (mut dseq, mut dkey, mut ddate, mut damount) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (e, draws) in entries {
            let s = to_i64(e.seq)?;
            seq.push(s);
            id.push(e.client_id.clone());
            kind.push(e.body.kind().to_string());
            subject.push(e.body.subject().to_string());
            date.push(e.date.to_string());
            body.push(
                serde_json::to_string(e)
                    .map_err(|x| Error::Storage(format!("entry cannot be written: {x}")))?,
            );
            for d in draws {
                dseq.push(s);
                dkey.push(d.key.clone());
                ddate.push(d.date.to_string());
                damount.push(d.amount);
            }
        }
        self.last_audit = None;
        let mut aseq = Vec::new();
        let mut cols: [Vec<String>; 9] = Default::default();
        for a in audit {
            aseq.push(to_i64(a.seq)?);
            for (c, v) in cols.iter_mut().zip([
                &a.client_id,
                &a.op,
                &a.recorded_at,
                &a.request,
                &a.result,
                &a.balances,
                &a.prev_hash,
                &a.hash,
                &a.entry,
            ]) {
                c.push(v.clone());
            }
        }
        let [c1, c2, c3, c4, c5, c6, c7, c8, c9] = &cols;
        // One statement, one round trip, for the whole batch (arrays unnested server-side).
        self.exec(
            &format!(
                "WITH e AS (INSERT INTO entries (seq, client_id, kind, subject, date, body) \
                 SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[])), \
                 d AS (INSERT INTO draws (entry_seq, key, date, amount) \
                 SELECT * FROM unnest($7::BIGINT[], $8::TEXT[], $9::TEXT[], $10::BIGINT[])) \
                 INSERT INTO audit ({AUDIT_COLS}) SELECT * FROM unnest($11::BIGINT[], $12::TEXT[], $13::TEXT[], \
                 $14::TEXT[], $15::TEXT[], $16::TEXT[], $17::TEXT[], $18::TEXT[], $19::TEXT[], $20::TEXT[])"
            ),
            &[
                &seq, &id, &kind, &subject, &date, &body, &dseq, &dkey, &ddate, &damount, &aseq, c1,
                c2, c3, c4, c5, c6, c7, c8, c9,
            ],
        )?;
        Ok(())
    }
    fn rewrites(&mut self) -> Result<u64, Error> {
        if let Some(n) = self.rewrites {
            return Ok(n);
        }
        let r = self.q_opt(
            "SELECT value FROM ledger_meta WHERE name = 'rewrites'",
            &[],
        )?;
        match r {
            None => Ok(0),
            Some(r) => to_u64(r.try_get(0)?),
        }
    }
    fn catch_up(&mut self, entry_seq: u64, audit_seq: u64) -> Result<CatchUp, Error> {
        // One statement, one round trip: the new entries (t = 0), draws (1) and audit records (2).
        let (e, a) = (to_i64(entry_seq)?, to_i64(audit_seq)?);
        let rows = self.q(
            "SELECT 0 AS t, seq AS n, client_id AS x, \
             CASE WHEN kind IN ('shipment', 'attrition', 'adjustment', 'disposition') THEN NULL ELSE body END AS y, \
             NULL::BIGINT AS m, 0::BIGINT AS o FROM entries WHERE seq > $1 \
             UNION ALL SELECT 1, entry_seq, key, date, amount, id FROM draws WHERE entry_seq > $1 \
             UNION ALL SELECT 2, seq, client_id, hash, NULL, 0 FROM audit WHERE seq > $2 \
             ORDER BY t, n, o",
            &[&e, &a],
        )?;
        let mut out = CatchUp::default();
        for r in rows {
            let t: i32 = r.try_get(0)?;
            let n = to_u64(r.try_get(1)?)?;
            let x: String = r.try_get(2)?;
            let y: Option<String> = r.try_get(3)?;
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
                        amount: r.try_get::<_, Option<i64>>(4)?.unwrap_or(0),
                    });
                }
                _ => out.audit.push((n, x, y.unwrap_or_default())),
            }
        }
        Ok(out)
    }
    fn all_audit(&mut self) -> Result<Vec<AuditRecord>, Error> {
        let rows = self.q(&format!("SELECT {AUDIT_COLS} FROM audit ORDER BY seq"), &[])?;
        rows.iter().map(to_audit).collect()
    }
}

impl Store for PgStore {
    fn write(&mut self, f: &mut TxFn<'_>) -> Result<(), Error> {
        // BEGIN, the ledger's lock and the last audit record in one round trip (simple query
        // protocol); then the work; then COMMIT (or ROLLBACK on any error).
        let msgs = self.client.simple_query(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({}); SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1; \
             SELECT value FROM ledger_meta WHERE name = 'rewrites'",
            self.lock_id
        ))?;
        let mut last = None;
        let mut rewrites = 0;
        // Messages: BEGIN done, the lock row, its SELECT done, the audit row (if any), its SELECT
        // done, then the rewrite counter.
        let mut results = 0;
        for m in &msgs {
            match m {
                SimpleQueryMessage::Row(r) if results == 3 => {
                    rewrites = r
                        .get(0)
                        .and_then(|v| v.parse::<u64>().ok())
                        .ok_or_else(|| {
                            Error::Corrupt("the rewrite counter is not a number".into())
                        })?;
                }
                SimpleQueryMessage::Row(r) if results == 2 => {
                    let seq = r
                        .get(0)
                        .and_then(|v| v.parse::<i64>().ok())
                        .ok_or_else(|| {
                            Error::Corrupt("an audit sequence number is not a number".into())
                        })?;
                    let hash = r.get(1).unwrap_or_default().to_string();
                    last = Some((to_u64(seq)?, hash));
                }
                SimpleQueryMessage::CommandComplete(_) => results += 1,
                _ => {}
            }
        }
        let r = {
            let mut x = PgTx {
                t: &mut self.client,
                statements: &mut self.statements,
                last_audit: Some(last),
                rewrites: Some(rewrites),
            };
            f(&mut x)
        };
        match r {
            Ok(()) => {
                self.client.batch_execute("COMMIT")?;
                Ok(())
            }
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
        {
            let mut x = PgTx {
                t: &mut t,
                statements: &mut self.statements,
                last_audit: None,
                rewrites: None,
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
