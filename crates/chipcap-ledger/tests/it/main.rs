//! chipcap-ledger integration tests: one conformance suite over every backend (in-memory model,
//! SQLite, PostgreSQL when `CHIPCAP_TEST_DATABASE_URL` is set), a model-based property test, race
//! tests with threads and processes, and a crash test.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;
mod conformance;
mod crash;
mod input;
mod model;
mod race;
mod stored;
