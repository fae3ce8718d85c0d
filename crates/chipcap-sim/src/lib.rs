//! chipcap-sim: what a rule version does to the world, quarter by quarter.
//!
//! A scenario (TOML, [`scenario::parse`]) names a rule version, a period, overrides of rule
//! parameters, assurances and a demand model. [`engine::simulate`] runs each quarter's demand as
//! requests through the same core ([`chipcap_core::determine`], with the request's context filled
//! from the simulated balances as `ledger apply` fills it) and records what is granted as the
//! ledger would (`chipcap_ledger::entry::draws_of` on the entries the ledger would write): no rule
//! is implemented twice. [`montecarlo::run`] samples demand distributions with a seeded generator;
//! [`report`] writes the table, JSON and CSV; [`chart`] draws SVG charts with `plotters`.
//!
//! No IO and no clock: the edges read files and write outputs.

pub mod chart;
pub mod engine;
pub mod error;
pub mod montecarlo;
mod overrides;
pub mod replay;
pub mod report;
pub mod scenario;

pub use engine::{simulate, CountryRun, Run, Series};
pub use error::SimError;
pub use scenario::{parse, Channel, Scenario};
