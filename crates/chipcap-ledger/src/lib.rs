//! chipcap-ledger: the ledger that keeps the balances determinations are made against.
//!
//! Append-only [`entry::Entry`]s (corrections are reversing entries) with client-supplied ids; every
//! allowance balance is derived from them ([`balances::balances`]), kept as running sums by each
//! backend for the hot path, and re-derived by [`Ledger::verify`]. Caps are checked in the same
//! transaction that writes, under the ledger's write lock. Backends: [`MemoryStore`] (the model),
//! [`SqliteStore`] (default) and [`PgStore`].

pub mod audit;
pub mod balances;
pub mod entry;
pub mod error;
pub mod group;
pub mod identity;
pub mod import;
pub mod ledger;
mod mirror;
pub mod pg;
pub mod sqlite;
pub mod store;

pub use error::Error;
pub use group::GroupCommit;
pub use ledger::{
    batch_result_json, split_apply_input, ApplyInput, BatchResult, GrantInput, ImportRow,
    ImportSummary, Ledger, Meta, Outcome, PreparedApply,
};
pub use pg::PgStore;
pub use sqlite::SqliteStore;
pub use store::{MemoryStore, Store};

/// Opens a store: `postgres://...` or `postgresql://...` for PostgreSQL (a `#SCHEMA` suffix keeps
/// the ledger in that schema, so one database can hold several ledgers), `:memory:` for an
/// in-memory ledger, anything else is an SQLite file path (created on first use).
pub fn open(db: &str) -> Result<Box<dyn Store>, Error> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        match db.rsplit_once('#') {
            Some((url, schema)) => Ok(Box::new(PgStore::open_in_schema(url, schema)?)),
            None => Ok(Box::new(PgStore::open(db)?)),
        }
    } else if db == ":memory:" {
        Ok(Box::new(MemoryStore::new()))
    } else {
        Ok(Box::new(SqliteStore::open(std::path::Path::new(db))?))
    }
}
