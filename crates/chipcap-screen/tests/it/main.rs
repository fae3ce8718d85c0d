//! Integration tests for chipcap-screen (one binary).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod lists;
mod name_classes;
mod pairs;
mod props;
mod screener;
mod scripts;

use std::path::PathBuf;

/// Path of a file in the repository's screening samples (`testdata/screening/`, sources in its README).
pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/screening")
        .join(name)
}

/// Read a screening sample; fails the test with a clear message when it is missing.
pub fn read_data(name: &str) -> Vec<u8> {
    let p = data_path(name);
    match std::fs::read(&p) {
        Ok(b) => b,
        Err(e) => panic!(
            "screening sample `{}` is required but could not be read ({e})",
            p.display()
        ),
    }
}
