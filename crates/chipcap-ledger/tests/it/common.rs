//! Backends and request builders shared by the tests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use chipcap_core::date::Date;
use chipcap_core::params::RuleSet;
use chipcap_ledger::{Ledger, MemoryStore, Meta, PgStore, SqliteStore, Store};

pub fn rules() -> &'static RuleSet {
    static R: OnceLock<RuleSet> = OnceLock::new();
    R.get_or_init(|| chipcap_rules::embedded().unwrap())
}

pub fn d(s: &str) -> Date {
    s.parse().unwrap()
}

pub fn meta() -> Meta {
    Meta {
        recorded_by: "test".into(),
        recorded_at: "2025-06-01T12:00:00Z".into(),
    }
}

/// TPP of one H100 SXM in milli-TPP.
pub fn h100() -> i64 {
    i64::try_from(
        rules()
            .catalog
            .get("nvidia-h100-sxm")
            .unwrap()
            .tpp()
            .unwrap()
            .milli(),
    )
    .unwrap()
}

/// A backend under test.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Sqlite,
    Postgres,
}

/// The PostgreSQL URL, or `None` after saying the suite was not run there. Fails when
/// `CHIPCAP_REQUIRE_POSTGRES=1` and no URL is given (CI never skips it silently).
pub fn pg_url() -> Option<String> {
    match std::env::var("CHIPCAP_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("CHIPCAP_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("CHIPCAP_REQUIRE_POSTGRES=1 but CHIPCAP_TEST_DATABASE_URL is not set: the PostgreSQL suite must run");
            }
            eprintln!("NOTE: the PostgreSQL ledger suite was NOT run: set CHIPCAP_TEST_DATABASE_URL (see .ci/postgres.sh)");
            None
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty ledger location for one test: a file path or a PostgreSQL schema. Handles opened
/// on it with [`Fixture::store`] share the ledger.
pub struct Fixture {
    pub backend: Backend,
    pub dir: Option<tempfile::TempDir>,
    pub schema: String,
    pub memory: MemoryStore,
    pub url: Option<String>,
}

impl Fixture {
    /// `None` when the backend is PostgreSQL and no database is given.
    pub fn new(backend: Backend, name: &str) -> Option<Fixture> {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let schema = format!("t_{}_{}_{}", name, std::process::id(), n);
        let url = match backend {
            Backend::Postgres => {
                let u = pg_url()?;
                let mut c = postgres::Client::connect(&u, postgres::NoTls).unwrap();
                c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .unwrap();
                Some(u)
            }
            _ => None,
        };
        Some(Fixture {
            backend,
            dir: match backend {
                Backend::Sqlite => Some(tempfile::tempdir().unwrap()),
                _ => None,
            },
            schema,
            memory: MemoryStore::new(),
            url,
        })
    }

    pub fn db_path(&self) -> String {
        self.dir
            .as_ref()
            .map(|d| d.path().join("ledger.db").to_string_lossy().to_string())
            .unwrap_or_default()
    }

    pub fn store(&self) -> Box<dyn Store> {
        match self.backend {
            Backend::Memory => Box::new(self.memory.clone()),
            Backend::Sqlite => {
                Box::new(SqliteStore::open(std::path::Path::new(&self.db_path())).unwrap())
            }
            Backend::Postgres => {
                Box::new(PgStore::open_in_schema(self.url.as_ref().unwrap(), &self.schema).unwrap())
            }
        }
    }

    pub fn ledger(&self) -> Ledger<'static> {
        Ledger::new(self.store(), rules())
    }

    /// What a separate process passes as `--db`.
    pub fn db_arg(&self) -> Option<String> {
        match self.backend {
            Backend::Memory => None,
            Backend::Sqlite => Some(self.db_path()),
            Backend::Postgres => {
                let u = self.url.as_ref()?;
                Some(format!("{u}#{}", self.schema))
            }
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let (Backend::Postgres, Some(u)) = (self.backend, &self.url) {
            if let Ok(mut c) = postgres::Client::connect(u, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
            }
        }
    }
}

/// A chip shipment request in the determination contract, with an id.
pub fn req(
    id: &str,
    date: &str,
    dest: &str,
    consignee: &str,
    chip: &str,
    qty: u64,
) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "date": date,
        "rule_set": "ai-diffusion-2025",
        "destination": dest,
        "items": [{"chip": chip, "quantity": qty}],
        "consignee": {"name": consignee},
    })
}

pub fn apply(l: &mut Ledger<'_>, r: &serde_json::Value) -> (serde_json::Value, bool) {
    let o = l.apply(&r.to_string(), &meta(), d("2025-06-01")).unwrap();
    (serde_json::from_str(&o.json).unwrap(), o.recorded)
}

/// Generates one `#[test]` per backend for a scenario `fn(Backend)`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::common::Backend;
                #[test]
                fn memory() { super::$name(Backend::Memory) }
                #[test]
                fn sqlite() { super::$name(Backend::Sqlite) }
                #[test]
                fn postgres() { super::$name(Backend::Postgres) }
            }
        )*
    };
}
