//! The one error type of the simulation's public API.

/// Why a scenario cannot be read or run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The scenario file is malformed: unknown key, bad value, unknown country, channel or quarter.
    #[error("{}field `{field}`: {message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Schema {
        /// The field path (`demand[1].channel`).
        field: String,
        /// The line in the file (1-based), when known.
        line: Option<usize>,
        /// What is wrong, naming the offending value.
        message: String,
    },
    /// The core refused to decide a simulated request (a bug or an impossible scenario).
    #[error("quarter {quarter}, {label}: {message}")]
    Determine {
        /// The quarter.
        quarter: String,
        /// The demand line.
        label: String,
        /// The core's message.
        message: String,
    },
    /// The ledger arithmetic refused an entry.
    #[error("ledger arithmetic: {0}")]
    Ledger(String),
    /// A chart could not be drawn.
    #[error("chart `{name}`: {message}")]
    Chart {
        /// The chart file name.
        name: String,
        /// Why.
        message: String,
    },
    /// Two scenarios cannot be compared.
    #[error("cannot compare: {0}")]
    Compare(String),
}
