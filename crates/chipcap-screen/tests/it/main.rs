//! Integration tests for chipcap-screen (one binary).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod lists;
mod name_classes;
mod pairs;
mod props;
mod screener;

use std::path::PathBuf;

/// Path of a file in the shared screening data (`shared/` is a sibling of the repository).
pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/screening")
        .join(name)
}

/// Read a shared data file; fails the test with a clear message when it is missing.
pub fn read_data(name: &str) -> Vec<u8> {
    let p = data_path(name);
    match std::fs::read(&p) {
        Ok(b) => b,
        Err(e) => panic!(
            "shared screening data `{}` is required but could not be read ({e}); \
             the repository expects `shared/` beside it",
            p.display()
        ),
    }
}
