//! The one error type of this crate's public API.

use thiserror::Error;

/// Everything that can go wrong when importing a list or screening.
///
/// Messages are one lowercase sentence naming the offending input and where it was found (file kind
/// and 1-based line number when known).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScreenError {
    /// A row or record could not be read (bad quoting, invalid UTF-8, truncated row...).
    #[error("{format}: line {line}: {message}")]
    Malformed {
        /// Which list format was being parsed (e.g. `csl-csv`, `ofac-sdn`).
        format: &'static str,
        /// 1-based line number of the offending record (0 when unknown).
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// A required column is missing from a header row.
    #[error("{format}: line {line}: missing column `{column}`")]
    MissingColumn {
        /// Which list format was being parsed.
        format: &'static str,
        /// 1-based line number of the header.
        line: u64,
        /// The column that was expected.
        column: String,
    },
    /// A JSON document could not be read.
    #[error("{format}: line {line}, column {column}: {message}")]
    Json {
        /// Which list format was being parsed.
        format: &'static str,
        /// 1-based line of the error.
        line: u64,
        /// 1-based column of the error.
        column: u64,
        /// What was wrong.
        message: String,
    },
    /// A field held a value that is not allowed.
    #[error("{format}: line {line}: field `{field}` has invalid value `{value}`")]
    InvalidField {
        /// Which list format was being parsed.
        format: &'static str,
        /// 1-based line number.
        line: u64,
        /// Field name.
        field: String,
        /// Offending value.
        value: String,
    },
    /// A list was empty (no entries) where at least one was required.
    #[error("{format}: the input holds no entries")]
    Empty {
        /// Which list format was being parsed.
        format: &'static str,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: `{name}` must be {expected}, got `{value}`")]
    InvalidConfig {
        /// Name of the setting.
        name: &'static str,
        /// What is allowed.
        expected: &'static str,
        /// The value given.
        value: String,
    },
    /// A version date is not `YYYY-MM-DD`.
    #[error("invalid list date `{0}`: expected `YYYY-MM-DD`")]
    InvalidDate(String),
}

/// 1-based line of the record starting at `byte` (line ends before it skipped; the `csv` crate
/// reports CRLF records one line early).
pub(crate) fn line_of(input: &[u8], byte: u64) -> u64 {
    let mut b = usize::try_from(byte).unwrap_or(usize::MAX).min(input.len());
    while b < input.len() && matches!(input[b], b'\r' | b'\n') {
        b += 1;
    }
    1 + input[..b].iter().filter(|&&c| c == b'\n').count() as u64
}

/// Line of a record, from its position.
pub(crate) fn record_line(input: &[u8], pos: Option<&csv::Position>) -> u64 {
    pos.map_or(0, |p| line_of(input, p.byte()))
}

/// Convert a `csv` error into a [`ScreenError::Malformed`] naming the line.
pub(crate) fn from_csv(format: &'static str, err: &csv::Error, input: &[u8]) -> ScreenError {
    let line = err.position().map_or(0, |p| line_of(input, p.byte()));
    let message = match err.kind() {
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("invalid UTF-8 in field {}", err.field() + 1)
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields, found {len} (truncated or extra fields)"),
        other => format!("{other:?}").to_lowercase(),
    };
    ScreenError::Malformed {
        format,
        line,
        message,
    }
}
