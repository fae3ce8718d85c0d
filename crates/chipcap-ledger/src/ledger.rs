//! The ledger's operations, written once against [`Tx`] and shared by every backend.

use std::collections::{BTreeMap, HashMap};

use chipcap_core::country::CountryCode;
use chipcap_core::date::Date;
use chipcap_core::determination::{Decision, Determination, Notice, Text};
use chipcap_core::params::{FwStep, RuleSet};
use chipcap_core::recorded::{self, LicenceVerdict, VeuRecord, VeuVerdict};
use chipcap_core::request::ClaimedAuthorization;
use chipcap_core::units::Tpp;
use chipcap_core::wire;

use crate::audit;
use crate::entry::*;
use crate::error::{input, Error};
use crate::store::{AuditRecord, Store, SumMode, Tx};

/// Who records, and when (supplied by the edge: the library reads no clock).
#[derive(Clone, Debug)]
pub struct Meta {
    /// Who.
    pub recorded_by: String,
    /// When, RFC 3339.
    pub recorded_at: String,
}

/// The result of an operation: the JSON document printed to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The document (compact JSON).
    pub json: String,
    /// Whether an entry was recorded by this operation (or by the first one with this id).
    pub recorded: bool,
    /// True when the id had been used before and the first result was returned.
    pub replayed: bool,
    /// The hash of the operation's audit record (for a replay, the first one's): a checkpoint of
    /// the audit chain that `ledger verify --expect-head` checks is still in the chain.
    pub audit_hash: String,
}

/// A ledger over a store and a rule set.
pub struct Ledger<'r> {
    store: Box<dyn Store>,
    rules: &'r RuleSet,
    /// The indexes [`Ledger::apply_batch`] decides from (caught up from the database at the start
    /// of every batch, so writes by the other operations and other processes are seen).
    mirror: crate::mirror::Mirror,
}

/// A `ledger apply` request parsed and screened by the caller, ready for [`Ledger::apply_batch`]
/// (so that the work that needs no lock is done before the writer takes one).
pub struct PreparedApply {
    pub(crate) pre: Prepared,
    pub(crate) parsed: wire::ParsedRequest,
    pub(crate) meta: Meta,
}

impl PreparedApply {
    /// Parses `request_json` (the contract plus `id` and optional `licence`) and screens its
    /// parties with `screen`, as [`Ledger::apply_screened`] does.
    pub fn new(
        rules: &RuleSet,
        request_json: &str,
        meta: &Meta,
        today: Date,
        screen: &dyn Fn(&wire::ParsedRequest) -> Option<chipcap_core::request::Screening>,
    ) -> Result<PreparedApply, Error> {
        let pre = prepare(request_json)?;
        let mut parsed = wire::parse_request(&pre.text, rules, today).map_err(Error::Request)?;
        fill_screening(&mut parsed, screen);
        Ok(PreparedApply {
            pre,
            parsed,
            meta: meta.clone(),
        })
    }

    /// The request's client id.
    pub fn id(&self) -> &str {
        &self.pre.id
    }
}

/// The documents of a `ledger apply` input: one request, or several (a JSON array, or a stream of
/// documents such as one per line) applied in order in one transaction.
#[derive(Debug, PartialEq, Eq)]
pub enum ApplyInput {
    /// One request document.
    One(String),
    /// Several; `array` when they came as a JSON array (answered with an array; a stream is
    /// answered with one document per line).
    Many {
        /// Each request's JSON text.
        requests: Vec<String>,
        /// Whether the input was a JSON array.
        array: bool,
    },
}

/// Splits a `ledger apply` input into its request documents (not yet checked: see
/// [`PreparedApply::new`]). An empty input or one that is not JSON is an error naming where.
pub fn split_apply_input(text: &str) -> Result<ApplyInput, Error> {
    use serde_json::value::RawValue;
    let mut docs: Vec<&RawValue> = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    for d in stream.by_ref() {
        let d = d.map_err(|e| {
            Error::request(
                "",
                format!("(the document) request {} is not JSON: {e}", docs.len() + 1),
            )
        })?;
        docs.push(d);
    }
    if docs.len() > MAX_REQUESTS_PER_APPLY {
        return Err(Error::request("", format!("(the document) holds more than {MAX_REQUESTS_PER_APPLY} requests, the limit per apply: split the input"
        )));
    }
    match docs.as_slice() {
        [] => Err(Error::request(
            "",
            "(the document) is empty: give a request, an array of requests or one request per line",
        )),
        [one] if one.get().starts_with('[') => {
            if more_than(one.get(), MAX_REQUESTS_PER_APPLY) {
                return Err(Error::request("", format!("(the document) holds more than {MAX_REQUESTS_PER_APPLY} requests, the limit per apply: split the input"
                )));
            }
            let items: Vec<&RawValue> = serde_json::from_str(one.get())
                .map_err(|e| Error::request("", format!("(the document) {e}")))?;
            Ok(ApplyInput::Many {
                requests: items.iter().map(|r| r.get().to_string()).collect(),
                array: true,
            })
        }
        [one] => Ok(ApplyInput::One(one.get().to_string())),
        many => Ok(ApplyInput::Many {
            requests: many.iter().map(|r| r.get().to_string()).collect(),
            array: false,
        }),
    }
}

/// A request's client id and what applying it gave.
pub type BatchResult = (String, Result<Outcome, Error>);

/// One result of a batch of applies as a compact JSON document: the determination when the request
/// was decided, else `{"id":...,"recorded":false,"error":{"code":...,"message":...}}`.
pub fn batch_result_json(id: &str, r: &Result<Outcome, Error>) -> String {
    match r {
        Ok(o) => o.json.clone(),
        Err(e) => serde_json::json!({
            "id": id,
            "recorded": false,
            "error": {"code": e.code(), "message": e.to_string()},
        })
        .to_string(),
    }
}

/// Applies `jobs` in one transaction, each decided and checked in order against the running
/// balances (the earlier ones' inserts are visible to the later ones), reading from `mirror`. An
/// input error (a refusal, a bad request) fails only its own job; a storage error fails them all
/// and nothing is written.
pub(crate) fn run_batch(
    store: &mut dyn Store,
    mirror: &mut crate::mirror::Mirror,
    rules: &RuleSet,
    jobs: &[&PreparedApply],
) -> Vec<Result<Outcome, Error>> {
    let mut results: Vec<Result<Outcome, Error>> = Vec::with_capacity(jobs.len());
    if let Err(e) = preload(store, mirror) {
        let msg = e.to_string();
        return jobs
            .iter()
            .map(|_| Err(Error::Storage(msg.clone())))
            .collect();
    }
    if let Some((e, a)) = mirror.position() {
        store.prefetch_catch_up(e, a);
    }
    let committed = store.write(&mut |tx| {
        results.clear();
        mirror.sync(tx)?;
        let mut mt = crate::mirror::MirrorTx::new(tx, mirror);
        for job in jobs {
            match apply_in(&mut mt, rules, &job.pre, &job.parsed, &job.meta) {
                Ok(o) => results.push(Ok(o)),
                Err(e) if e.is_input() => results.push(Err(e)),
                Err(e) => return Err(e),
            }
        }
        mt.flush()
    });
    match committed {
        Ok(()) if results.len() == jobs.len() => results,
        Ok(()) => jobs
            .iter()
            .map(|_| Err(Error::Storage("the batch produced no result".into())))
            .collect(),
        Err(e) => {
            // The mirror may hold rows that were rolled back: reload it next time.
            mirror.loaded = false;
            let msg = e.to_string();
            jobs.iter()
                .map(|_| Err(Error::Storage(msg.clone())))
                .collect()
        }
    }
}

/// Loads `mirror` when it is not loaded, from a snapshot read without the ledger's write lock: the
/// whole ledger is read once, and the write transaction that follows catches up only with the rows
/// written since. (Loading inside the write transaction held every other writer, the server's
/// included, for as long as the read took: about a second per 200,000 entries on PostgreSQL, per
/// handle; docs/benchmarks.md.)
fn preload(store: &mut dyn Store, mirror: &mut crate::mirror::Mirror) -> Result<(), Error> {
    if mirror.position().is_some() {
        return Ok(());
    }
    store.read(&mut |tx| mirror.sync(tx))
}

/// Applies one prepared request in its own transaction, deciding from `mirror` (caught up from the
/// database first, so the other writers' rows are seen): the transaction reads nothing else and
/// writes the entry, its draws and the audit record. Every error is returned as it is (an input
/// error rolls the transaction back and leaves the mirror as it was when nothing was written to it).
/// The first apply of a ledger handle reads the tables instead: a one-shot process (`chipcap ledger
/// apply`) never loads the whole mirror for one request; a handle that applies again loads it then.
pub(crate) fn run_one(
    store: &mut dyn Store,
    mirror: &mut crate::mirror::Mirror,
    rules: &RuleSet,
    job: &PreparedApply,
) -> Result<Outcome, Error> {
    let mut out = None;
    if !mirror.used && !mirror.loaded {
        mirror.used = true;
        store.write(&mut |tx| {
            out = Some(apply_in(tx, rules, &job.pre, &job.parsed, &job.meta)?);
            Ok(())
        })?;
        return out.ok_or_else(|| Error::Storage("the transaction produced no result".into()));
    }
    let mut touched = false;
    preload(store, mirror)?;
    if let Some((e, a)) = mirror.position() {
        store.prefetch_catch_up(e, a);
    }
    let r = store.write(&mut |tx| {
        mirror.sync(tx)?;
        let mut mt = crate::mirror::MirrorTx::new(tx, mirror);
        let o = apply_in(&mut mt, rules, &job.pre, &job.parsed, &job.meta);
        touched = mt.wrote();
        let o = o?;
        mt.flush()?;
        out = Some(o);
        Ok(())
    });
    if r.is_err() && touched {
        // The mirror holds rows that were rolled back: reload it next time.
        mirror.loaded = false;
    }
    r?;
    out.ok_or_else(|| Error::Storage("the transaction produced no result".into()))
}

fn notice(code: &'static str, text: &'static str) -> Notice {
    Notice {
        code,
        citation: None,
        text: Text::Static(text),
    }
}

fn check_name(what: &str, name: &str) -> Result<(), Error> {
    if name.trim().is_empty() {
        return Err(input(format!("{what} must not be empty")));
    }
    if name.contains(SEP) {
        return Err(input(format!(
            "{what} must not contain `{SEP}`, got `{name}`"
        )));
    }
    Ok(())
}

/// A country code of the rules' country table, parsed once where an entry is checked; an error
/// naming `what` otherwise.
fn country_code(rules: &RuleSet, what: &str, s: &str) -> Result<CountryCode, Error> {
    CountryCode::parse(s)
        .filter(|c| rules.known.contains(*c))
        .ok_or_else(|| {
            input(format!(
                "{what} is not an ISO 3166-1 alpha-2 country code, got `{s}`"
            ))
        })
}

/// Whether the entry with `id` is reversed by a reversal dated on or before `date`.
fn reversed_tx(tx: &mut dyn Tx, id: &str, date: Date) -> Result<bool, Error> {
    Ok(tx
        .entries_for("reversal", id)?
        .iter()
        .any(|r| r.date <= date))
}

/// The assurance uplift in force for `c` on `date` given its assurance entries (not reversed).
fn uplift_from(rules: &RuleSet, c: CountryCode, date: Date, assurances: &[&Entry]) -> u32 {
    let mut best: Option<(Date, u64, u32)> = None;
    for e in assurances {
        if let Body::Assurance(a) = &e.body {
            if e.date <= date && best.is_none_or(|(d, s, _)| (e.date, e.seq) > (d, s)) {
                best = Some((e.date, e.seq, a.uplift_percent));
            }
        }
    }
    let supp5b = rules.groups.supp5b.at(date).value.contains(c);
    // The rule itself is the core's (one owner): the ledger only finds the last assurance.
    rules.assurance_uplift(date, best.is_some() || supp5b, best.map(|(_, _, u)| u))
}

fn assurance_entries(tx: &mut dyn Tx, c: &str, date: Date) -> Result<Vec<Entry>, Error> {
    let mut out = Vec::new();
    for e in tx.entries_for("assurance", c)? {
        if !reversed_tx(tx, &e.client_id, date)? {
            out.push(e);
        }
    }
    Ok(out)
}

fn country_cap(rules: &RuleSet, date: Date, uplift: u32) -> i64 {
    tpp_i64(rules.country_allocation_cap(date, uplift))
}

fn tpp_i64(t: Tpp) -> i64 {
    i64::try_from(t.milli()).unwrap_or(i64::MAX)
}

fn licence_of(
    tx: &mut dyn Tx,
    number: &str,
    date: Date,
) -> Result<Option<(Entry, LicenceGrant)>, Error> {
    for e in tx.entries_for("licence_grant", number)? {
        if let Body::LicenceGrant(l) = &e.body {
            if !reversed_tx(tx, &e.client_id, date)? {
                let l = l.clone();
                return Ok(Some((e, l)));
            }
        }
    }
    Ok(None)
}

/// A stored allowance sum as TPP; a negative one is corruption (every write keeps sums at or above
/// zero), reported instead of being read as zero.
fn stored_tpp(key: &str, v: i64) -> Result<Tpp, Error> {
    u64::try_from(v).map(Tpp::from_milli).map_err(|_| {
        Error::Corrupt(format!(
            "allowance `{key}` sums to a negative {v} milli-TPP"
        ))
    })
}

/// The cap of an allowance on `date`, milli-TPP; `None` when it has none.
fn cap_tx(tx: &mut dyn Tx, rules: &RuleSet, key: &Key, date: Date) -> Result<Option<i64>, Error> {
    Ok(match key {
        Key::Country(c) => {
            let a = assurance_entries(tx, c.as_str(), date)?;
            let refs: Vec<&Entry> = a.iter().collect();
            Some(country_cap(
                rules,
                date,
                uplift_from(rules, *c, date, &refs),
            ))
        }
        Key::Lpp(..) => Some(tpp_i64(*rules.params.lpp_limit.at(date).value)),
        Key::Nveu(..) => rules.nveu_cap(date).map(|(q, _)| tpp_i64(q.cap)),
        Key::Licence(n) => licence_of(tx, n, date)?.map(|(_, l)| tpp_i64(l.tpp)),
        // The 50% share's cap moves with the US shipments and is tested by the core.
        Key::Uveu(..) | Key::Aia(_) | Key::UsEndUse(_) | Key::ChinaMacau(_) => None,
    })
}

/// One allowance an operation moved: before and after (milli-TPP).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
struct Moved {
    key: String,
    cap: Option<i64>,
    before: i64,
    after: i64,
}

/// Checks every draw against its cap (positive draws) and zero (negative ones), under the lock.
fn check_draws(
    tx: &mut dyn Tx,
    rules: &RuleSet,
    draws: &[Draw],
    force_country: bool,
) -> Result<Vec<Moved>, Error> {
    let mut moved = Vec::new();
    for d in draws {
        let key = Key::parse(&d.key)?;
        if d.amount >= 0 {
            let used = tx.sum(&d.key, SumMode::Upper, d.date)?;
            let cap = cap_tx(tx, rules, &key, d.date)?;
            let after = used.saturating_add(d.amount);
            if let Some(c) = cap {
                let forced = force_country && matches!(key, Key::Country(_));
                if after > c && !forced {
                    return Err(Error::CapExceeded {
                        key: d.key.clone(),
                        cap: c,
                        used,
                        draw: d.amount,
                    });
                }
            }
            moved.push(Moved {
                key: d.key.clone(),
                cap,
                before: used,
                after,
            });
        } else {
            let low = tx.sum(&d.key, SumMode::Lower, d.date)?;
            if low.saturating_add(d.amount) < 0 {
                return Err(Error::NegativeBalance {
                    key: d.key.clone(),
                    used: low,
                    amount: -d.amount,
                });
            }
            moved.push(Moved {
                key: d.key.clone(),
                cap: cap_tx(tx, rules, &key, d.date)?,
                before: low,
                after: low.saturating_add(d.amount),
            });
        }
    }
    Ok(moved)
}

/// Appends an audit record linked to the last one, carrying the entry the operation wrote (if
/// any); returns the record's hash. Checks the chain's continuity where it writes.
#[allow(clippy::too_many_arguments)]
fn append_audit(
    tx: &mut dyn Tx,
    client_id: &str,
    op: &str,
    meta: &Meta,
    request: &str,
    result: &str,
    moved: &[Moved],
    entry: Option<&Entry>,
) -> Result<String, Error> {
    let (seq, prev) = match tx.last_audit()? {
        Some((s, h)) => (
            s.checked_add(1)
                .ok_or_else(|| Error::Corrupt("the audit sequence number overflows".into()))?,
            h,
        ),
        None => (1, audit::GENESIS.to_string()),
    };
    let entry_json = match entry {
        Some(e) => serde_json::to_string(e).map_err(|x| Error::Storage(x.to_string()))?,
        None => "null".to_string(),
    };
    let mut r = AuditRecord {
        seq,
        client_id: client_id.to_string(),
        op: op.to_string(),
        recorded_at: meta.recorded_at.clone(),
        request: request.to_string(),
        result: result.to_string(),
        balances: serde_json::to_string(moved).map_err(|e| Error::Storage(e.to_string()))?,
        entry: entry_json,
        prev_hash: prev,
        hash: String::new(),
    };
    r.hash = audit::hash(&r.prev_hash, &r);
    tx.insert_audit(&r)?;
    // Chain continuity: the record just written is the head, linked to the one before.
    debug_assert!(
        tx.last_audit().ok().flatten() == Some((r.seq, r.hash.clone())),
        "the audit record just written is not the head of the chain"
    );
    Ok(r.hash)
}

/// The ledger's invariants where an entry is written: every positive draw within its cap (unless
/// the operation was forced past the country allocation), no balance below zero. A checked error,
/// not only a debug assertion: an entry breaking them is never committed.
fn assert_draws_within_caps(moved: &[Moved], force_country: bool) -> Result<(), Error> {
    for m in moved {
        let forced = force_country && m.key.starts_with("country_allocation|");
        if m.after > m.before {
            if let Some(c) = m.cap {
                if m.after > c && !forced {
                    return Err(Error::Corrupt(format!(
                        "invariant broken: allowance `{}` would be drawn to {} past its cap {} milli-TPP",
                        m.key, m.after, c
                    )));
                }
            }
        } else if m.after < 0 {
            return Err(Error::Corrupt(format!(
                "invariant broken: allowance `{}` would become negative ({} milli-TPP)",
                m.key, m.after
            )));
        }
    }
    Ok(())
}

/// Replays a stored result when the id was used before.
fn replay(tx: &mut dyn Tx, id: &str, op: &str) -> Result<Option<Outcome>, Error> {
    match tx.audit_by_client_id(id)? {
        None => Ok(None),
        Some(a) if a.op != op => Err(Error::Conflict(format!(
            "id `{id}` was already used for a `{}` operation",
            a.op
        ))),
        Some(a) => {
            let recorded = serde_json::from_str::<serde_json::Value>(&a.result)
                .ok()
                .and_then(|v| v.get("recorded").and_then(|r| r.as_bool()))
                .unwrap_or(false);
            Ok(Some(Outcome {
                json: a.result,
                recorded,
                replayed: true,
                audit_hash: a.hash,
            }))
        }
    }
}

/// The resolved lines of a determination, as shipments and licence grants record them (also used by
/// the scenario simulation, `chipcap-sim`, so that it records what the ledger would).
pub fn lines_of(det: &Determination) -> Vec<Line> {
    det.items
        .iter()
        .map(|i| Line {
            chip: i.chip.as_deref().map(str::to_owned),
            quantity: i.quantity,
            unit_tpp: i.unit_tpp,
            a_type: matches!(i.band, Ok(b) if b.is_a()),
        })
        .collect()
}

/// The TPP of a determination's .a-type lines: what counts toward allocations.
pub fn counted_of(det: &Determination) -> Tpp {
    Tpp::from_milli(
        det.items
            .iter()
            .filter(|i| matches!(i.band, Ok(b) if b.is_a()))
            .map(|i| i.tpp.milli())
            .fold(0u64, u64::saturating_add),
    )
}

/// The latest party record for `name` in force on `date`.
fn party_tx(tx: &mut dyn Tx, name: &str, date: Date) -> Result<Option<Party>, Error> {
    let mut best: Option<(Date, u64, Party)> = None;
    for e in tx.entries_for("party", name)? {
        if let Body::Party(p) = &e.body {
            if e.date <= date
                && !reversed_tx(tx, &e.client_id, date)?
                && best
                    .as_ref()
                    .is_none_or(|(d, s, _)| (e.date, e.seq) > (*d, *s))
            {
                best = Some((e.date, e.seq, p.clone()));
            }
        }
    }
    Ok(best.map(|(_, _, p)| p))
}

/// The spelling the ledger keys `given`'s allowances under: `given` itself when the ledger knows
/// it or no other spelling of the same identity, else the ledger's spelling (the first, sorted).
fn resolve_party(tx: &mut dyn Tx, given: &str) -> Result<String, Error> {
    let id = crate::identity::party_identity(given);
    if id.is_empty() {
        return Ok(given.to_string());
    }
    let known = tx.party_spellings(&id)?;
    Ok(match known.first() {
        Some(first) if !known.iter().any(|k| k == given) => first.clone(),
        _ => given.to_string(),
    })
}

/// A request for `ledger apply`: the id and licence taken out, the rest in the contract.
pub(crate) struct Prepared {
    id: String,
    /// The id as the request wrote it (JSON text: a string, or a number exactly as given).
    id_json: String,
    licence: Option<String>,
    pub(crate) text: String,
    original: String,
}

/// An error's message without the `request: ` prefix of [`Error::Request`].
fn plain(e: &Error) -> String {
    match e {
        Error::Request(w) => w.to_string(),
        other => other.to_string(),
    }
}

/// The most lines in a request's `items` (docs/ledger.md): a larger order is split into several
/// requests. Checked before the items are read, so a huge request costs no memory.
pub const MAX_ITEMS_PER_REQUEST: usize = 10_000;

/// The most requests one `ledger apply` input (an array or a stream) may hold (docs/ledger.md).
pub const MAX_REQUESTS_PER_APPLY: usize = 100_000;

/// Counts the elements of a JSON array without keeping them, failing past `limit`.
struct BoundedCount {
    limit: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for BoundedCount {
    type Value = Option<usize>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for BoundedCount {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Option<usize>, A::Error> {
        let mut n = 0usize;
        while a.next_element::<serde::de::IgnoredAny>()?.is_some() {
            n += 1;
            if n > self.limit {
                return Ok(None);
            }
        }
        Ok(Some(n))
    }
}

/// Whether the JSON array `raw` has more than `limit` elements (`false` for anything else: the
/// request parser names what is wrong with it).
fn more_than(raw: &str, limit: usize) -> bool {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(raw);
    matches!(BoundedCount { limit }.deserialize(&mut de), Ok(None))
}

/// The top-level members of a request document, in order, each value as its JSON text (so numbers
/// and nested objects reach the request parser exactly as given); a key given twice is an error
/// naming it.
struct Members(Vec<(String, Box<serde_json::value::RawValue>)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Members, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Members, A::Error> {
                let mut out: Vec<(String, Box<serde_json::value::RawValue>)> = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    if out.iter().any(|(x, _)| *x == k) {
                        return Err(serde::de::Error::custom(DuplicateKey(k)));
                    }
                    let v = m.next_value()?;
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A key given twice (carried through serde's error to name the field).
struct DuplicateKey(String);

impl std::fmt::Display for DuplicateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\u{0}duplicate\u{0}{}\u{0}", self.0)
    }
}

pub(crate) fn prepare(json: &str) -> Result<Prepared, Error> {
    let members: Members = serde_json::from_str(json).map_err(|e| {
        let m = e.to_string();
        match m.split('\u{0}').collect::<Vec<_>>().as_slice() {
            [_, "duplicate", key, rest] => Error::request(
                key.to_string(),
                format!("is given more than once (duplicate key){rest}: give each field once"),
            ),
            _ if e.classify() == serde_json::error::Category::Data => {
                Error::request("", format!("(the document) must be a JSON object: {m}"))
            }
            _ => Error::request("", format!("(the document) {m}")),
        }
    })?;
    let mut id_json = None;
    let mut licence = None;
    let mut text = String::with_capacity(json.len());
    text.push('{');
    for (k, raw) in &members.0 {
        match k.as_str() {
            "licence" => {
                licence = match serde_json::from_str::<serde_json::Value>(raw.get()) {
                    Ok(serde_json::Value::Null) => None,
                    Ok(serde_json::Value::String(s)) => Some(s),
                    _ => {
                        return Err(Error::request(
                            "licence",
                            format!("must be a licence number (string), got `{}`", raw.get()),
                        ))
                    }
                };
                continue;
            }
            // The ledger fills the context: a caller's figures are not trusted.
            "context" => continue,
            "items" if more_than(raw.get(), MAX_ITEMS_PER_REQUEST) => {
                return Err(Error::request("items", format!("has more than {MAX_ITEMS_PER_REQUEST} lines, the limit per request: split the order into several requests"
                )));
            }
            "id" => {
                let v = serde_json::from_str::<serde_json::Value>(raw.get())
                    .map_err(|e| Error::request("id", format!("cannot be read: {e}")))?;
                id_json = Some((v, raw.get().trim().to_string()));
            }
            _ => {}
        }
        if text.len() > 1 {
            text.push(',');
        }
        text.push_str(&serde_json::Value::from(k.as_str()).to_string());
        text.push(':');
        text.push_str(raw.get());
    }
    text.push('}');
    let id_json = id_json
        .ok_or_else(|| Error::request("id", "is missing: `ledger apply` needs a client id"))?;
    let (id_value, id_json) = id_json;
    let id = match &id_value {
        serde_json::Value::String(s) if !s.trim().is_empty() => s.clone(),
        // As written: `1e2` stays `1e2` (not `100.0`).
        serde_json::Value::Number(_) => id_json.clone(),
        other => {
            return Err(Error::request(
                "id",
                format!("must be a non-empty string or a number, got `{other}`"),
            ))
        }
    };
    Ok(Prepared {
        id,
        id_json,
        licence,
        text,
        original: json.to_string(),
    })
}

/// Puts the edge's screening into the request's context (or marks it skipped): the one
/// screening step ([`wire::ParsedRequest::gather_screening`]); what the ledger records is what the
/// edge screened, so a screening the request carries is replaced when the edge has lists.
pub(crate) fn fill_screening(
    parsed: &mut wire::ParsedRequest,
    screen: &dyn Fn(&wire::ParsedRequest) -> Option<chipcap_core::request::Screening>,
) {
    parsed.gather_screening(false, wire::GivenScreening::Replace, screen);
}

/// Applies one prepared request in `tx`: replay → the consignee as the ledger knows it → its party
/// record (headquarters, VEU) → the context from the balances → the core's determination → the
/// shipment to record (with the licence's coverage) → the entry and its draws → the document and
/// its audit record. The ledger gathers the facts and records; the core decides.
pub(crate) fn apply_in(
    tx: &mut dyn Tx,
    rules: &RuleSet,
    pre: &Prepared,
    parsed: &wire::ParsedRequest,
    meta: &Meta,
) -> Result<Outcome, Error> {
    if let Some(o) = replay(tx, &pre.id, "apply")? {
        return Ok(o);
    }
    let mut req = parsed.request.clone();
    let mut extra = Vec::new();
    let consignee = resolve_consignee(tx, rules, &req, &mut extra)?;
    apply_party_record(tx, &mut req, &consignee.name, &mut extra)?;
    fill_context(tx, rules, &mut req, &consignee.name)?;
    let mut det = chipcap_core::determine(&req, rules).map_err(|e| Error::Request(e.into()))?;
    det.notices.extend(extra);
    let shipment = shipment_of(tx, pre.licence.as_deref(), &req, &consignee, &mut det)?;
    let (moved, written) = record_shipment(tx, rules, pre, meta, req.date, shipment)?;
    let json = apply_document(pre, &det, written.as_ref());
    let audit_hash = append_audit(
        tx,
        &pre.id,
        "apply",
        meta,
        &pre.original,
        &json,
        &moved,
        written.as_ref(),
    )?;
    Ok(Outcome {
        json,
        recorded: written.is_some(),
        replayed: false,
        audit_hash,
    })
}

/// The consignee of a request as the ledger keys its allowances.
struct LedgerConsignee {
    /// The ledger's spelling of the party.
    name: String,
    /// The request's spelling, when it differs.
    as_given: Option<String>,
}

/// Checks the consignee's name and finds the ledger's spelling of the party: another spelling of a
/// consignee the ledger knows draws on the same allowances (740.29(a) counts per ultimate
/// consignee), and says so in a notice.
fn resolve_consignee(
    tx: &mut dyn Tx,
    rules: &RuleSet,
    req: &chipcap_core::request::Request,
    notices: &mut Vec<Notice>,
) -> Result<LedgerConsignee, Error> {
    let given = &req.consignee.name;
    check_name("field `consignee.name`", given).map_err(|e| {
        Error::request(
            "consignee.name",
            e.to_string().replacen("field `consignee.name` ", "", 1),
        )
    })?;
    let name = resolve_party(tx, given)?;
    let as_given = (name != *given).then(|| given.clone());
    if as_given.is_some() {
        notices.push(Notice {
            code: "party_matched",
            citation: Some(rules.framework_citations.get(FwStep::Lpp).clone()),
            text: Text::Note(std::sync::Arc::from(format!(
                "The consignee `{given}` was matched to the ledger's party `{name}` (the same name once case, spacing, punctuation and Unicode forms are folded): the allowances of `{name}` apply, and the shipment records both spellings."
            ))),
        });
    }
    Ok(LedgerConsignee { name, as_given })
}

/// The party record in force: its headquarters fill (or must agree with) the request's, and the
/// core decides which VEU the request may use from the authorisations it records.
fn apply_party_record(
    tx: &mut dyn Tx,
    req: &mut chipcap_core::request::Request,
    name: &str,
    notices: &mut Vec<Notice>,
) -> Result<(), Error> {
    let date = req.date;
    let party = party_tx(tx, name, date)?;
    if let Some(p) = &party {
        let hq = p.headquarters;
        if req.consignee.headquarters_assumed {
            req.consignee.headquarters = hq;
            req.consignee.headquarters_assumed = false;
        } else if req.consignee.headquarters != hq {
            return Err(Error::request(
                "consignee.headquarters",
                format!(
                    "is `{}` but the ledger's party record for `{name}` says `{hq}`",
                    req.consignee.headquarters
                ),
            ));
        }
    }
    let dest = req.destination;
    let records: Vec<VeuRecord> = party
        .iter()
        .flat_map(|p| p.veu.iter().map(|v| v.record(dest)))
        .collect();
    let claimed = req.consignee.authorization;
    let verdict = recorded::veu_claim(claimed, &records, date);
    if let Some(n) = veu_notice(verdict) {
        notices.push(n);
    }
    req.consignee.authorization = verdict.authorization(claimed);
    Ok(())
}

/// The notice a VEU verdict gives, if any.
fn veu_notice(v: VeuVerdict) -> Option<Notice> {
    Some(match v {
        VeuVerdict::AsClaimed => return None,
        VeuVerdict::NotRecorded(ClaimedAuthorization::Nveu) => notice("veu_not_recorded", "The request claims an NVEU authorisation that the ledger does not record for this consignee, destination and date; it was not used."),
        VeuVerdict::NotRecorded(_) => notice("veu_not_recorded", "The request claims a UVEU authorisation that the ledger does not record for this consignee, destination and date; it was not used."),
        VeuVerdict::FromLedger(ClaimedAuthorization::Nveu) => notice("veu_from_ledger", "The consignee's NVEU authorisation for this destination was taken from the ledger's party record."),
        VeuVerdict::FromLedger(_) => notice(
            "veu_from_ledger",
            "The consignee's UVEU authorisation was taken from the ledger's party record.",
        ),
    })
}

/// A stored sum read as the upper bound on `date` (see [`SumMode::Upper`]); negative is corruption.
fn upper_sum(tx: &mut dyn Tx, key: &Key, date: Date) -> Result<Tpp, Error> {
    let key = key.text();
    let v = tx.sum(&key, SumMode::Upper, date)?;
    stored_tpp(&key, v)
}

/// The request's context from the ledger's balances (upper bounds: see [`SumMode::Upper`]); the
/// screening gathered by the edge and the published-model figure are kept.
fn fill_context(
    tx: &mut dyn Tx,
    rules: &RuleSet,
    req: &mut chipcap_core::request::Request,
    name: &str,
) -> Result<(), Error> {
    let date = req.date;
    let dest = req.destination;
    let ctx = &mut req.context;
    *ctx = chipcap_core::request::Context {
        most_capable_published_model_operations: ctx.most_capable_published_model_operations,
        // Screening is gathered by the edge before the transaction (see `apply_screened`).
        screening: std::mem::take(&mut ctx.screening),
        ..Default::default()
    };
    ctx.country_allocation_used = upper_sum(tx, &Key::Country(dest), date)?;
    let assur = assurance_entries(tx, dest.as_str(), date)?;
    if let Some(last) = assur
        .iter()
        .filter(|e| e.date <= date)
        .max_by_key(|e| (e.date, e.seq))
    {
        if let Body::Assurance(a) = &last.body {
            ctx.government_assurances = true;
            ctx.assurance_uplift_percent = Some(a.uplift_percent);
        }
    }
    ctx.consignee_lpp_used = upper_sum(tx, &Key::Lpp(name.to_string(), date.year()), date)?;
    ctx.nveu_installed = upper_sum(tx, &Key::Nveu(name.to_string(), dest), date)?;
    ctx.consignee_aia_cumulative = upper_sum(tx, &Key::Aia(name.to_string()), date)?;
    let prefix = format!("uveu{SEP}{name}{SEP}");
    for k in tx.keys_with_prefix(&prefix)? {
        if let Ok(Key::Uveu(_, cc)) = Key::parse(&k) {
            let v = tx.sum(&k, SumMode::Upper, date)?;
            ctx.uveu_installed_by_country.push((cc, stored_tpp(&k, v)?));
        }
    }
    china_us_balances(tx, rules, req)
}

/// 91 FR 1684's 50% certification, for products whose US end-use shipments the ledger tracks
/// (only for the requests it can matter to): China and Macau at their most (Upper), the US
/// denominator at its least (Lower).
fn china_us_balances(
    tx: &mut dyn Tx,
    rules: &RuleSet,
    req: &mut chipcap_core::request::Request,
) -> Result<(), Error> {
    if !chipcap_core::advanced::china_us_share_applies(req, rules) {
        return Ok(());
    }
    let chipcap_core::request::Subject::Items(items) = &req.subject else {
        return Ok(());
    };
    let date = req.date;
    let mut seen: Vec<std::sync::Arc<str>> = Vec::new();
    for it in items {
        let Some(chip) = &it.chip else { continue };
        if seen.contains(chip) {
            continue;
        }
        seen.push(std::sync::Arc::clone(chip));
        let us_key = Key::UsEndUse(chip.to_string()).text();
        let us = tx.sum(&us_key, SumMode::Lower, date)?;
        if us > 0 {
            let china_macau = upper_sum(tx, &Key::ChinaMacau(chip.to_string()), date)?;
            req.context
                .china_us
                .push(chipcap_core::request::ChinaUsBalance {
                    chip: std::sync::Arc::clone(chip),
                    china_macau,
                    us_end_use: stored_tpp(&us_key, us)?,
                });
        }
    }
    Ok(())
}

/// The shipment a determination records, if any: under the authorisation found, as not needing a
/// licence, or under the licence the request names when the core finds that it covers it (else a
/// notice says why nothing was recorded).
fn shipment_of(
    tx: &mut dyn Tx,
    licence: Option<&str>,
    req: &chipcap_core::request::Request,
    consignee: &LedgerConsignee,
    det: &mut Determination,
) -> Result<Option<Shipment>, Error> {
    let under = match det.decision {
        Decision::Authorized => det.authorization.map(ShippedUnder::Exception),
        Decision::NoLicenseRequired => Some(ShippedUnder::Nlr),
        Decision::LicenseRequired => match licence {
            Some(number) => licence_coverage(tx, number, req, &consignee.name, det)?,
            None => None,
        },
        Decision::NotControlled => None,
    };
    Ok(under.map(|authorization| Shipment {
        consignee: consignee.name.clone(),
        destination: req.destination,
        items: lines_of(det),
        tpp: det.tpp,
        counted: counted_of(det),
        licence: (authorization == ShippedUnder::Licence)
            .then(|| licence.map(str::to_owned))
            .flatten(),
        authorization,
        consignee_as_given: consignee.as_given.clone(),
        rule_set: Some(det.rule_set.to_string()),
    }))
}

/// Whether the licence `number` covers the shipment: the ledger reads the grant and what was
/// shipped under it, the core decides; when it does not, a notice says why.
fn licence_coverage(
    tx: &mut dyn Tx,
    number: &str,
    req: &chipcap_core::request::Request,
    name: &str,
    det: &mut Determination,
) -> Result<Option<ShippedUnder>, Error> {
    let date = req.date;
    let grant = licence_of(tx, number, date)?;
    let used = match &grant {
        Some(_) => upper_sum(tx, &Key::Licence(number.to_string()), date)?,
        None => Tpp::ZERO,
    };
    let licensee = grant
        .as_ref()
        .map(|(_, l)| crate::identity::party_identity(&l.consignee));
    let terms = match (&grant, &licensee) {
        (Some((e, l)), Some(identity)) => Some(recorded::LicenceTerms {
            consignee_identity: identity,
            destination: l.destination,
            granted: e.date,
            valid_to: l.valid_to,
            tpp: l.tpp,
        }),
        _ => None,
    };
    let identity = crate::identity::party_identity(name);
    let shipment = recorded::LicensedShipment {
        consignee_identity: &identity,
        destination: req.destination,
        date,
        tpp: det.tpp,
    };
    let why = match recorded::licence_covers(terms.as_ref(), &shipment, used) {
        LicenceVerdict::Covers => return Ok(Some(ShippedUnder::Licence)),
        LicenceVerdict::NotGranted => notice("licence_not_found", "The licence named in the request is not granted in the ledger (or was reversed); nothing was recorded."),
        LicenceVerdict::OtherPartyOrDestination => notice("licence_not_covering", "The licence named in the request is for another consignee or destination; nothing was recorded."),
        LicenceVerdict::NotValidOnDate => notice("licence_not_covering", "The licence named in the request is not valid on the request date; nothing was recorded."),
        LicenceVerdict::TooLittleLeft => notice("licence_not_covering", "The licence named in the request has too little TPP left for this shipment; nothing was recorded."),
    };
    det.notices.push(why);
    Ok(None)
}

/// Writes the shipment's entry and draws (each checked against its cap under the lock); returns
/// the allowances moved and the entry written.
fn record_shipment(
    tx: &mut dyn Tx,
    rules: &RuleSet,
    pre: &Prepared,
    meta: &Meta,
    date: Date,
    shipment: Option<Shipment>,
) -> Result<(Vec<Moved>, Option<Entry>), Error> {
    let Some(s) = shipment else {
        return Ok((Vec::new(), None));
    };
    let entry = Entry {
        seq: tx.next_entry_seq()?,
        client_id: pre.id.clone(),
        recorded_by: meta.recorded_by.clone(),
        recorded_at: meta.recorded_at.clone(),
        date,
        body: Body::Shipment(s),
    };
    if tx.entry_by_client_id(&pre.id)?.is_some() {
        return Err(Error::Conflict(format!(
            "id `{}` was already used for another entry",
            pre.id
        )));
    }
    let draws = draws_of(&entry, None)?;
    let moved = check_draws(tx, rules, &draws, false)?;
    assert_draws_within_caps(&moved, false)?;
    tx.insert_entry(&entry, &draws)?;
    Ok((moved, Some(entry)))
}

/// The determination document with the ledger's fields spliced in front (no re-parse).
fn apply_document(pre: &Prepared, det: &Determination, written: Option<&Entry>) -> String {
    let det_json = wire::to_json(det);
    let mut json = String::with_capacity(det_json.len() + 96);
    json.push_str("{\"id\":");
    json.push_str(&pre.id_json);
    json.push_str(if written.is_some() {
        ",\"recorded\":true"
    } else {
        ",\"recorded\":false"
    });
    if let Some(e) = written {
        json.push_str(",\"entry_seq\":");
        json.push_str(&e.seq.to_string());
        if let Body::Shipment(Shipment {
            licence: Some(l), ..
        }) = &e.body
        {
            json.push_str(",\"licence\":");
            json.push_str(&serde_json::Value::from(l.as_str()).to_string());
        }
    }
    match det_json.strip_prefix('{') {
        Some(rest) if rest != "}" => {
            json.push(',');
            json.push_str(rest);
        }
        _ => json.push('}'),
    }
    json
}

/// A licence to grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantInput {
    /// Client id.
    pub client_id: String,
    /// Licence number.
    pub number: String,
    /// Ultimate consignee.
    pub consignee: String,
    /// Destination (ISO 3166-1 alpha-2).
    pub destination: String,
    /// Items, as in the determination contract (`[{"chip": "nvidia-h100-sxm", "quantity": 8}]`).
    pub items: serde_json::Value,
    /// The grant date.
    pub date: Date,
    /// Last day valid.
    pub valid_to: Date,
    /// Grant past the country allocation, with this reason.
    pub force: Option<String>,
}

fn grant_in(
    tx: &mut dyn Tx,
    rules: &RuleSet,
    g: &GrantInput,
    meta: &Meta,
) -> Result<Outcome, Error> {
    if let Some(o) = replay(tx, &g.client_id, "grant")? {
        return Ok(o);
    }
    check_name("licence number", &g.number)?;
    check_name("consignee", &g.consignee)?;
    let dest = country_code(rules, "destination", &g.destination)?;
    if g.valid_to < g.date {
        return Err(input(format!(
            "licence `{}` is valid to {} before its grant date {}",
            g.number, g.valid_to, g.date
        )));
    }
    if let Some(r) = &g.force {
        if r.trim().is_empty() {
            return Err(input("a forced grant needs a reason"));
        }
    }
    if licence_of(tx, &g.number, g.date)?.is_some()
        || !tx.entries_for("licence_grant", &g.number)?.is_empty()
    {
        return Err(Error::Conflict(format!(
            "licence `{}` is already granted",
            g.number
        )));
    }
    // A licence's country-allocation draw is an AI Diffusion balance, kept for analysis: the grant
    // is classified under the framework (the enforced line has no tier allocations).
    let req_json = serde_json::json!({
        "date": g.date.to_string(),
        "destination": dest.as_str(),
        "items": g.items,
        "consignee": {"name": g.consignee},
        "rule_set": "ai-diffusion-2025",
    })
    .to_string();
    let parsed = wire::parse_request(&req_json, rules, g.date).map_err(Error::Request)?;
    let det =
        chipcap_core::determine(&parsed.request, rules).map_err(|e| Error::Request(e.into()))?;
    let grant = LicenceGrant {
        number: g.number.clone(),
        consignee: g.consignee.clone(),
        destination: dest,
        tier: det.tier.unwrap_or(0),
        items: lines_of(&det),
        tpp: det.tpp,
        counted: counted_of(&det),
        valid_to: g.valid_to,
        forced: g.force.clone(),
    };
    let entry = Entry {
        seq: tx.next_entry_seq()?,
        client_id: g.client_id.clone(),
        recorded_by: meta.recorded_by.clone(),
        recorded_at: meta.recorded_at.clone(),
        date: g.date,
        body: Body::LicenceGrant(grant),
    };
    if tx.entry_by_client_id(&g.client_id)?.is_some() {
        return Err(Error::Conflict(format!(
            "id `{}` was already used for another entry",
            g.client_id
        )));
    }
    let draws = draws_of(&entry, None)?;
    let moved = check_draws(tx, rules, &draws, g.force.is_some())?;
    let over = moved.iter().any(|m| m.cap.is_some_and(|c| m.after > c));
    assert_draws_within_caps(&moved, g.force.is_some())?;
    tx.insert_entry(&entry, &draws)?;
    let json = serde_json::json!({
        "id": g.client_id,
        "recorded": true,
        "entry_seq": entry.seq,
        "licence": g.number,
        "tier": det.tier,
        "tpp": milli_json(tpp_i64(det.tpp)),
        "counted_tpp": milli_json(tpp_i64(counted_of(&det))),
        "forced": g.force,
        "over_allocation": over,
        "allowances": moved_json(&moved),
    })
    .to_string();
    let request = serde_json::json!({
        "number": g.number, "consignee": g.consignee, "destination": dest.as_str(), "items": g.items,
        "date": g.date.to_string(), "valid_to": g.valid_to.to_string(), "force": g.force,
    })
    .to_string();
    let audit_hash = append_audit(
        tx,
        &g.client_id,
        "grant",
        meta,
        &request,
        &json,
        &moved,
        Some(&entry),
    )?;
    Ok(Outcome {
        json,
        recorded: true,
        replayed: false,
        audit_hash,
    })
}

/// A milli-TPP amount as an exact JSON number.
pub fn milli_json(m: i64) -> serde_json::Value {
    let mut s = String::new();
    let _ = chipcap_core::units::write_milli_plain(&mut s, i128::from(m));
    serde_json::from_str(&s).unwrap_or(serde_json::Value::Null)
}

fn moved_json(moved: &[Moved]) -> serde_json::Value {
    serde_json::Value::Array(
        moved
            .iter()
            .map(|m| {
                serde_json::json!({
                    "key": m.key,
                    "cap_tpp": m.cap.map(milli_json),
                    "used_before_tpp": milli_json(m.before),
                    "used_after_tpp": milli_json(m.after),
                })
            })
            .collect(),
    )
}

/// Checks an entry given to `record` and makes the entry recorded: the countries a user typed are
/// checked against the rules' country table (any case; recorded upper case), names and amounts
/// checked, a US end-use shipment's chip resolved; an error names what is wrong.
fn validate(rules: &RuleSet, e: EntryInput) -> Result<Entry, Error> {
    check_name("client id", &e.client_id)?;
    let body = match e.body {
        BodyInput::Party(p) => {
            check_name("party name", &p.name)?;
            let headquarters = country_code(rules, "headquarters", &p.headquarters)?;
            let mut veu = Vec::with_capacity(p.veu.len());
            for v in p.veu {
                let countries = v
                    .countries
                    .iter()
                    .map(|c| country_code(rules, "VEU country", c))
                    .collect::<Result<Vec<CountryCode>, Error>>()?;
                if v.kind == VeuKind::Nveu && countries.len() != 1 {
                    return Err(input("an NVEU authorisation names exactly one country"));
                }
                if v.to.is_some_and(|t| t < v.from) {
                    return Err(input("a VEU authorisation ends before it starts"));
                }
                veu.push(VeuAuthorization {
                    kind: v.kind,
                    countries,
                    from: v.from,
                    to: v.to,
                });
            }
            Body::Party(Party {
                name: p.name,
                headquarters,
                veu,
            })
        }
        BodyInput::Assurance(a) => {
            let country = country_code(rules, "country", &a.country)?;
            let max = *rules.params.assurance_uplift_max_percent.at(e.date).value;
            if a.uplift_percent > max {
                return Err(input(format!(
                    "uplift must be at most {max}%, got `{}`",
                    a.uplift_percent
                )));
            }
            Body::Assurance(Assurance {
                country,
                uplift_percent: a.uplift_percent,
            })
        }
        BodyInput::Attrition(a) => {
            check_name("consignee", &a.consignee)?;
            let country = country_code(rules, "country", &a.country)?;
            if a.tpp == Tpp::ZERO {
                return Err(input("attrition TPP must be greater than zero"));
            }
            Body::Attrition(Attrition {
                consignee: a.consignee,
                country,
                veu: a.veu,
                tpp: a.tpp,
                cause: a.cause,
            })
        }
        BodyInput::Adjustment(mut a) => {
            a.key = Key::parse(&a.key)?.text();
            if a.reason.trim().is_empty() {
                return Err(input("an adjustment needs a reason"));
            }
            if a.amount_milli == 0 {
                return Err(input("an adjustment amount must not be zero"));
            }
            Body::Adjustment(a)
        }
        BodyInput::Disposition(d) => {
            check_name("party", &d.party)?;
            for (what, v) in [
                ("party_normalized", &d.party_normalized),
                ("entry_key", &d.entry_key),
                ("entry_fingerprint", &d.entry_fingerprint),
            ] {
                if v.trim().is_empty() {
                    return Err(input(format!("a disposition's `{what}` must not be empty")));
                }
            }
            if d.reason.trim().is_empty() {
                return Err(input("a disposition needs a reason (`why`)"));
            }
            if e.recorded_by.trim().is_empty() {
                return Err(input("a disposition needs the reviewer (`by`)"));
            }
            Body::Disposition(d)
        }
        BodyInput::UsShipment(mut u) => {
            let chip = rules.catalog.get(&u.chip).ok_or_else(|| {
                input(format!(
                    "`chip` is not a chip in the catalog, got `{}` (see `chipcap chips`)",
                    u.chip
                ))
            })?;
            if u.quantity == 0 {
                return Err(input(
                    "a US end-use shipment's `quantity` must be greater than zero",
                ));
            }
            u.chip = chip.id.to_string();
            u.unit_tpp = chip
                .tpp()
                .ok_or_else(|| input(format!("chip `{}` has no TPP in the catalog", u.chip)))?;
            Body::UsShipment(u)
        }
        BodyInput::Reversal { of, reason } => Body::Reversal { of, reason },
        BodyInput::LicenceGrant(_) | BodyInput::Shipment(_) => {
            return Err(input(
                "licences are recorded with `grant` and shipments with `apply`",
            ));
        }
    };
    Ok(Entry {
        seq: 0,
        client_id: e.client_id,
        recorded_by: e.recorded_by,
        recorded_at: e.recorded_at,
        date: e.date,
        body,
    })
}

fn record_in(tx: &mut dyn Tx, rules: &RuleSet, entry: &EntryInput) -> Result<Outcome, Error> {
    let op = entry.body.kind();
    if let Some(o) = replay(tx, &entry.client_id, op)? {
        return Ok(o);
    }
    if tx.entry_by_client_id(&entry.client_id)?.is_some() {
        return Err(Error::Conflict(format!(
            "id `{}` was already used for another entry",
            entry.client_id
        )));
    }
    let mut e = validate(rules, entry.clone())?;
    e.seq = tx.next_entry_seq()?;
    let original = match &e.body {
        Body::Reversal { of, .. } => {
            let o = tx
                .entry_by_client_id(of)?
                .ok_or_else(|| Error::NotFound(format!("no entry with id `{of}` to reverse")))?;
            if matches!(o.body, Body::Reversal { .. }) {
                return Err(input(format!(
                    "entry `{of}` is a reversal; record the entry again instead"
                )));
            }
            if !tx.entries_for("reversal", of)?.is_empty() {
                return Err(Error::Conflict(format!("entry `{of}` is already reversed")));
            }
            if e.date < o.date {
                return Err(input(format!(
                    "a reversal cannot be dated before the entry it reverses ({})",
                    o.date
                )));
            }
            Some(o)
        }
        _ => None,
    };
    let draws = draws_of(&e, original.as_ref())?;
    let moved = check_draws(tx, rules, &draws, false)?;
    assert_draws_within_caps(&moved, false)?;
    tx.insert_entry(&e, &draws)?;
    let json = serde_json::json!({
        "id": e.client_id,
        "recorded": true,
        "entry_seq": e.seq,
        "kind": op,
        "allowances": moved_json(&moved),
    })
    .to_string();
    let request = serde_json::to_string(&e).map_err(|x| Error::Storage(x.to_string()))?;
    let meta = Meta {
        recorded_by: e.recorded_by.clone(),
        recorded_at: e.recorded_at.clone(),
    };
    let audit_hash = append_audit(
        tx,
        &e.client_id,
        op,
        &meta,
        &request,
        &json,
        &moved,
        Some(&e),
    )?;
    Ok(Outcome {
        json,
        recorded: true,
        replayed: false,
        audit_hash,
    })
}

/// One row of a bulk import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportRow {
    /// A shipment: a request applied as `ledger apply` would; it must be recorded.
    Shipment {
        /// The request document (with `id` and, optionally, `licence`).
        request: String,
    },
    /// A licence grant.
    Licence(GrantInput),
    /// Units of a product shipped to US end-use customers (91 FR 1684's 50% base).
    UsShipment {
        /// Client id.
        id: String,
        /// Effective date.
        date: Date,
        /// Catalog chip id.
        chip: String,
        /// Units.
        quantity: u64,
    },
}

/// What an import recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportSummary {
    /// Rows in the file.
    pub rows: usize,
    /// Rows newly recorded.
    pub recorded: usize,
    /// Rows whose id was already in the ledger.
    pub replayed: usize,
}

impl<'r> Ledger<'r> {
    /// A ledger over `store`.
    pub fn new(store: Box<dyn Store>, rules: &'r RuleSet) -> Ledger<'r> {
        Ledger {
            store,
            rules,
            mirror: crate::mirror::Mirror::default(),
        }
    }

    /// Applies prepared requests in one transaction (group commit): each is decided against the
    /// balances left by the ones before it, and all are committed with one sync. The results are
    /// in the order of `jobs`; see [`run_batch`] for failures.
    pub fn apply_batch(&mut self, jobs: &[&PreparedApply]) -> Vec<Result<Outcome, Error>> {
        run_batch(self.store.as_mut(), &mut self.mirror, self.rules, jobs)
    }

    /// Applies several requests in order in one transaction, as if applied one after another (each
    /// decided against the balances the ones before it left), with one durable commit. Every
    /// request is checked first: if one cannot be read, nothing is applied and the error names it
    /// (`request N`). A request refused when applied (for example an id reused for a different
    /// request) fails alone; the others are decided and recorded.
    pub fn apply_many_screened(
        &mut self,
        requests: &[String],
        meta: &Meta,
        today: Date,
        screen: &dyn Fn(&wire::ParsedRequest) -> Option<chipcap_core::request::Screening>,
    ) -> Result<Vec<BatchResult>, Error> {
        let mut prepared = Vec::with_capacity(requests.len());
        for (i, r) in requests.iter().enumerate() {
            prepared.push(
                PreparedApply::new(self.rules, r, meta, today, screen)
                    .map_err(|e| Error::Input(format!("request {}: {}", i + 1, plain(&e))))?,
            );
        }
        let jobs: Vec<&PreparedApply> = prepared.iter().collect();
        let results = self.apply_batch(&jobs);
        Ok(prepared
            .iter()
            .map(|p| p.id().to_string())
            .zip(results)
            .collect())
    }

    /// The backend's name.
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// Decides a request against the ledger and records it when authorised (or covered by the
    /// licence it names), in one transaction. Re-applying an id returns the first result.
    pub fn apply(
        &mut self,
        request_json: &str,
        meta: &Meta,
        today: Date,
    ) -> Result<Outcome, Error> {
        self.apply_screened(request_json, meta, today, &|_| None)
    }

    /// As [`Ledger::apply`], with the parties screened by `screen` (the edge's restricted-party
    /// lists; `None` leaves the determination saying they were not screened). A request with
    /// `options.skip_screening` is not screened and says so.
    pub fn apply_screened(
        &mut self,
        request_json: &str,
        meta: &Meta,
        today: Date,
        screen: &dyn Fn(&wire::ParsedRequest) -> Option<chipcap_core::request::Screening>,
    ) -> Result<Outcome, Error> {
        let p = PreparedApply::new(self.rules, request_json, meta, today, screen)?;
        run_one(self.store.as_mut(), &mut self.mirror, self.rules, &p)
    }

    /// Grants a licence; refused past the country allocation unless `force` gives a reason.
    pub fn grant(&mut self, g: &GrantInput, meta: &Meta) -> Result<Outcome, Error> {
        let rules = self.rules;
        let mut out = None;
        self.store.write(&mut |tx| {
            out = Some(grant_in(tx, rules, g, meta)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::Storage("the transaction produced no result".into()))
    }

    /// Records a party, assurance, attrition, adjustment, US end-use shipment, disposition or
    /// reversal entry given with its countries typed (see [`Ledger::record_input`]).
    pub fn record(&mut self, entry: &Entry) -> Result<Outcome, Error> {
        self.record_input(&EntryInput::from(entry.clone()))
    }

    /// Records a party, assurance, attrition, adjustment, US end-use shipment, disposition or
    /// reversal entry as a user gave it: an id used before for the same kind of entry replays its
    /// outcome; otherwise the entry is checked (countries in any case, recorded upper case; an
    /// error names what is wrong) and recorded with its draws and audit record.
    pub fn record_input(&mut self, entry: &EntryInput) -> Result<Outcome, Error> {
        let rules = self.rules;
        let mut out = None;
        self.store.write(&mut |tx| {
            out = Some(record_in(tx, rules, entry)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::Storage("the transaction produced no result".into()))
    }

    /// Records every row in one transaction: all or nothing. `progress` is called after each row.
    pub fn import(
        &mut self,
        rows: &[(usize, ImportRow)],
        meta: &Meta,
        today: Date,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, Error> {
        let rules = self.rules;
        let mut prepared = Vec::with_capacity(rows.len());
        for (line, r) in rows {
            let at = |e: Error| Error::Import {
                line: *line,
                message: e.to_string(),
            };
            match r {
                ImportRow::Shipment { request } => {
                    let pre = prepare(request).map_err(at)?;
                    let parsed = wire::parse_request(&pre.text, rules, today)
                        .map_err(|e| at(Error::Request(e)))?;
                    prepared.push((*line, Some((pre, parsed)), None));
                }
                ImportRow::Licence(g) => prepared.push((*line, None, Some(g.clone()))),
                ImportRow::UsShipment { .. } => prepared.push((*line, None, None)),
            }
        }
        let mut summary = ImportSummary {
            rows: rows.len(),
            recorded: 0,
            replayed: 0,
        };
        self.store.write(&mut |tx| {
            summary.recorded = 0;
            summary.replayed = 0;
            for (i, (line, ship, lic)) in prepared.iter().enumerate() {
                let at = |e: Error| Error::Import {
                    line: *line,
                    message: e.to_string(),
                };
                let o = if let Some((pre, parsed)) = ship {
                    let o = apply_in(tx, rules, pre, parsed, meta).map_err(at)?;
                    if !o.recorded {
                        let v: serde_json::Value = serde_json::from_str(&o.json).unwrap_or_default();
                        return Err(Error::Import {
                            line: *line,
                            message: format!(
                                "shipment `{}` was not recorded: the determination is `{}` ({}); nothing from the file was recorded",
                                pre.id,
                                v.get("decision").and_then(|d| d.as_str()).unwrap_or("?"),
                                v.get("review_policy").and_then(|d| d.as_str()).or_else(|| v.get("authorization").and_then(|d| d.as_str())).unwrap_or("no authorisation")
                            ),
                        });
                    }
                    o
                } else if let Some(g) = lic {
                    grant_in(tx, rules, g, meta).map_err(at)?
                } else if let Some((
                    _,
                    ImportRow::UsShipment {
                        id,
                        date,
                        chip,
                        quantity,
                    },
                )) = rows.get(i)
                {
                    let e = EntryInput {
                        client_id: id.clone(),
                        recorded_by: meta.recorded_by.clone(),
                        recorded_at: meta.recorded_at.clone(),
                        date: *date,
                        body: BodyInput::UsShipment(crate::entry::UsShipment {
                            chip: chip.clone(),
                            quantity: *quantity,
                            unit_tpp: Tpp::ZERO,
                        }),
                    };
                    record_in(tx, rules, &e).map_err(at)?
                } else {
                    continue;
                };
                if o.replayed {
                    summary.replayed += 1;
                } else {
                    summary.recorded += 1;
                }
                progress(i + 1);
            }
            Ok(())
        })?;
        Ok(summary)
    }

    /// Every entry, in ledger order.
    pub fn entries(&mut self) -> Result<Vec<Entry>, Error> {
        let mut out = Vec::new();
        self.store.read(&mut |tx| {
            out = tx.all_entries()?;
            Ok(())
        })?;
        Ok(out)
    }

    /// The screening dispositions in force (recorded and not reversed), in ledger order: a later one
    /// for the same party and list entry supersedes an earlier one.
    pub fn dispositions(&mut self) -> Result<Vec<Entry>, Error> {
        let mut out = Vec::new();
        self.store.read(&mut |tx| {
            let reversed: std::collections::HashSet<String> = tx
                .entries_of_kind("reversal")?
                .into_iter()
                .filter_map(|e| match e.body {
                    Body::Reversal { of, .. } => Some(of),
                    _ => None,
                })
                .collect();
            out = tx
                .entries_of_kind("disposition")?
                .into_iter()
                .filter(|e| !reversed.contains(&e.client_id))
                .collect();
            Ok(())
        })?;
        Ok(out)
    }

    /// The audit log, in chain order.
    pub fn audit_log(&mut self) -> Result<Vec<AuditRecord>, Error> {
        let mut out = Vec::new();
        self.store.read(&mut |tx| {
            out = tx.all_audit()?;
            Ok(())
        })?;
        Ok(out)
    }

    /// Balances of every allowance as of `as_of`, derived from the entries.
    pub fn balances(&mut self, as_of: Date) -> Result<Vec<crate::balances::BalanceRow>, Error> {
        let entries = self.entries()?;
        crate::balances::balances(&entries, as_of, self.rules)
    }

    /// The running sum the store keeps for `key` as of `as_of` (what the hot path reads).
    pub fn stored_sum(&mut self, key: &Key, as_of: Date) -> Result<i64, Error> {
        let mut out = 0;
        let k = key.text();
        self.store.read(&mut |tx| {
            out = tx.sum(&k, SumMode::AsOf, as_of)?;
            Ok(())
        })?;
        Ok(out)
    }

    /// Entries matching the filter, with their draws.
    pub fn history(
        &mut self,
        f: &crate::balances::HistoryFilter,
    ) -> Result<Vec<(Entry, Vec<Draw>)>, Error> {
        let entries = self.entries()?;
        crate::balances::history(&entries, f)
    }

    /// Re-derives every balance from the entries, compares with the stored running sums, checks
    /// every cap over time, ties every entry to its audit record and checks the audit chain.
    pub fn verify(&mut self) -> Result<crate::balances::VerifyReport, Error> {
        self.verify_against(&[])
    }

    /// As [`Ledger::verify`], and the audit chain must still contain each of `checkpoints` (audit
    /// hashes printed by earlier writes or by [`Ledger::audit_head`]): a chain whose tail was cut
    /// off before one of them fails.
    pub fn verify_against(
        &mut self,
        checkpoints: &[String],
    ) -> Result<crate::balances::VerifyReport, Error> {
        let mut entries = Vec::new();
        let mut draws = Vec::new();
        let mut log = Vec::new();
        let mut spellings = None;
        self.store.read(&mut |tx| {
            entries = tx.all_entries()?;
            draws = tx.all_draws()?;
            log = tx.all_audit()?;
            spellings = tx.stored_party_spellings()?;
            Ok(())
        })?;
        let mut report = crate::balances::verify(&entries, &draws, &log, self.rules, checkpoints);
        if let Some(index) = spellings {
            report
                .problems
                .extend(crate::identity::check_spellings(&draws, &index));
        }
        Ok(report)
    }

    /// The head of the audit chain: the last record's sequence number and hash (`None` when the
    /// ledger is empty). Keep it somewhere else as a checkpoint for `verify --expect-head`.
    pub fn audit_head(&mut self) -> Result<Option<(u64, String)>, Error> {
        let mut out = None;
        self.store.read(&mut |tx| {
            out = tx.last_audit()?;
            Ok(())
        })?;
        Ok(out)
    }
}

/// Groups draws by entry sequence number.
pub(crate) fn by_seq(draws: &[(u64, Draw)]) -> HashMap<u64, Vec<Draw>> {
    let mut m: HashMap<u64, Vec<Draw>> = HashMap::new();
    for (s, d) in draws {
        m.entry(*s).or_default().push(d.clone());
    }
    m
}

/// The uplift in force for `c` on `date` from a slice of entries (pure; used by reports, verify and
/// the scenario simulation). The assurance uplift, percent, in force for country `c` on `date` from the assurance entries
/// (the latest one wins; Supp. No. 5 para (b) countries get the default; capped at the maximum).
pub fn uplift_pure(
    rules: &RuleSet,
    entries: &[Entry],
    reversed: &BTreeMap<String, Date>,
    c: CountryCode,
    date: Date,
) -> u32 {
    let a: Vec<&Entry> = entries
        .iter()
        .filter(|e| matches!(&e.body, Body::Assurance(a) if a.country == c))
        .filter(|e| reversed.get(&e.client_id).is_none_or(|d| *d > date))
        .collect();
    uplift_from(rules, c, date, &a)
}

/// The country allocation cap on `date` with `uplift` percent, milli-TPP.
pub fn country_cap_pure(rules: &RuleSet, date: Date, uplift: u32) -> i64 {
    country_cap(rules, date, uplift)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn apply_input_is_one_request_an_array_or_a_stream() {
        assert_eq!(
            split_apply_input(" {\"id\":\"a\"}\n").unwrap(),
            ApplyInput::One("{\"id\":\"a\"}".into())
        );
        assert_eq!(
            split_apply_input("[{\"id\":\"a\"}, {\"id\":\"b\"}]").unwrap(),
            ApplyInput::Many {
                requests: vec!["{\"id\":\"a\"}".into(), "{\"id\":\"b\"}".into()],
                array: true
            }
        );
        // One per line, or pretty-printed documents one after another.
        assert_eq!(
            split_apply_input("{\"id\":\"a\"}\n\n{\n \"id\": \"b\"\n}\n").unwrap(),
            ApplyInput::Many {
                requests: vec!["{\"id\":\"a\"}".into(), "{\n \"id\": \"b\"\n}".into()],
                array: false
            }
        );
        assert!(split_apply_input("  \n").is_err());
        let e = split_apply_input("{\"id\":\"a\"}\n{\"id\":").unwrap_err();
        assert!(e.to_string().contains("request 2"), "{e}");
    }

    /// Issue 12, part 3: where an entry is written, a draw past its cap or below zero is a
    /// checked error (never committed), whatever the check before it said.
    #[test]
    fn the_invariants_are_asserted_where_an_entry_is_written() {
        let m = |key: &str, cap: Option<i64>, before: i64, after: i64| Moved {
            key: key.into(),
            cap,
            before,
            after,
        };
        let lpp = "lpp|A|2025";
        assert!(assert_draws_within_caps(&[m(lpp, Some(10), 0, 10)], false).is_ok());
        let e = assert_draws_within_caps(&[m(lpp, Some(10), 0, 11)], false).unwrap_err();
        assert!(matches!(e, Error::Corrupt(_)), "{e}");
        assert!(assert_draws_within_caps(&[m("nveu|A|AE", Some(10), 5, -1)], false).is_err());
        // A forced grant may pass the country allocation, and only that.
        let c = "country_allocation|IN";
        assert!(assert_draws_within_caps(&[m(c, Some(10), 0, 11)], true).is_ok());
        assert!(assert_draws_within_caps(&[m(lpp, Some(10), 0, 11)], true).is_err());
        // An allowance without a cap (UVEU, AIA) is bounded only below.
        assert!(assert_draws_within_caps(&[m("aia|A", None, 0, i64::MAX)], false).is_ok());
    }

    /// Regression (issue 12): a request of 1.4M items took 3.9 GB; the items are now counted
    /// (not kept) and refused past the limit, naming the field.
    #[test]
    fn a_request_past_the_item_limit_is_refused_naming_the_field() {
        let item = r#"{"chip":"nvidia-h100-sxm","quantity":1}"#;
        let doc = |n: usize| {
            format!(
                r#"{{"id":"x","date":"2025-06-15","destination":"IN","items":[{}],"consignee":{{"name":"A"}}}}"#,
                vec![item; n].join(",")
            )
        };
        assert!(prepare(&doc(MAX_ITEMS_PER_REQUEST)).is_ok());
        let e = prepare(&doc(MAX_ITEMS_PER_REQUEST + 1)).err().unwrap();
        assert!(e.to_string().contains("field `items`"), "{e}");
        assert!(e.to_string().contains("10000"), "{e}");
        let many = format!("[{}]", vec!["{}"; MAX_REQUESTS_PER_APPLY + 1].join(","));
        let e = split_apply_input(&many).unwrap_err();
        assert!(e.to_string().contains("100000 requests"), "{e}");
    }
}
