//! Integration tests of the simulation (one binary).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod issue_example;
