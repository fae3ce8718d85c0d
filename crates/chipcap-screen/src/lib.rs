//! Restricted-party screening for chipcap: list import, name normalisation, index and matching.
//!
//! This crate knows nothing of the export rules: it imports the published lists into dated
//! [`ListVersion`]s, normalises names, and finds and explains [`Hit`]s. Deciding what a hit means is
//! the determination's job.
//!
//! ```
//! use chipcap_screen::{score, MatchConfig};
//! let e = score("Harrowfield Bearings Limited", "HARROWFIELD BEARINGS LTD.", &MatchConfig::default());
//! assert!(e.is_match);
//! let e = score("Brennock Steel Tubes Ltd", "Brennock Steel Wires Ltd", &MatchConfig::default());
//! assert!(!e.is_match);
//! ```

#![deny(missing_docs)]

mod country;
mod error;
pub mod eval;
mod index;
mod lists;
mod model;
mod normalize;
mod score;
mod translit;

pub use country::country_code;
pub use error::ScreenError;
pub use index::{Hit, Query, Screener};
pub use lists::{parse_bis_dpl, parse_csl_csv, parse_csl_json, parse_ofac_sdn};
pub use model::{
    diff, Address, ChangedEntry, Entry, ListDate, ListDiff, ListFormat, ListVersion, SourceClass,
};
pub use normalize::{normalize, NameForm, Origin, Token, Variant, VariantKind};
pub use score::{
    score, score_forms, token_sort_score, LegalFormRelation, MatchConfig, MatchKind,
    ScoreExplanation, TokenMatch, DEFAULT_MATCH_THRESHOLD, DEFAULT_REVIEW_THRESHOLD,
};
