//! chipcap-app: the application layer, under every front end.
//!
//! The CLI (`crates/chipcap`) and the HTTP server (`crates/chipcap-server`) are thin: arguments or
//! routes in, output or documents out. Everything between — the path of one request
//! ([`pipeline`]: parse → gather the context → decide → record), the restricted-party list store,
//! reviewers' dispositions and re-screening ([`lists`]), fetching the official lists
//! ([`lists_update`]), the catalog and rule views both print ([`catalog`]) and the one clock
//! ([`clock`]) — lives here, over the pure core (`chipcap-core`), the matcher (`chipcap-screen`)
//! and the ledger (`chipcap-ledger`).

pub mod catalog;
pub mod clock;
pub mod lists;
pub mod lists_update;
pub mod pipeline;

pub use clock::{now_rfc3339, today};
pub use pipeline::ScreeningSources;
