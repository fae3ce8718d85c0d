//! The one error type of the ledger's public API.

/// Why a ledger operation failed.
///
/// Input errors (the user's input or a refusal; the CLI maps them to exit code 2): [`Error::Request`],
/// [`Error::Input`], [`Error::CapExceeded`], [`Error::NegativeBalance`], [`Error::NotFound`],
/// [`Error::Conflict`], [`Error::Import`]. Everything else ([`Error::Storage`], [`Error::Corrupt`]) is
/// a fault of the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request document cannot be read: the field path and what is wrong, typed to the edge.
    #[error("request: {0}")]
    Request(chipcap_core::wire::WireError),
    /// An argument or field is invalid.
    #[error("{0}")]
    Input(String),
    /// Recording would draw an allowance past its cap.
    #[error("allowance `{key}` would exceed its cap: used {} + draw {} > cap {} TPP", tpp(*.used), tpp(*.draw), tpp(*.cap))]
    CapExceeded {
        /// The allowance key.
        key: String,
        /// The cap, milli-TPP.
        cap: i64,
        /// Used before, milli-TPP.
        used: i64,
        /// The draw, milli-TPP.
        draw: i64,
    },
    /// Recording would make a balance negative.
    #[error("allowance `{key}` would become negative: {} - {} < 0 TPP", tpp(*.used), tpp(*.amount))]
    NegativeBalance {
        /// The allowance key.
        key: String,
        /// Used before, milli-TPP.
        used: i64,
        /// The amount taken off, milli-TPP.
        amount: i64,
    },
    /// A referenced entry or licence does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The client id was already used for a different operation, or the entry was already reversed.
    #[error("{0}")]
    Conflict(String),
    /// A bulk import failed; nothing from the file was recorded.
    #[error("line {line}: {message}")]
    Import {
        /// The 1-based line (CSV) or record number (JSON).
        line: usize,
        /// Why.
        message: String,
    },
    /// The database failed.
    #[error("storage: {0}")]
    Storage(String),
    /// The stored data is inconsistent (a row cannot be read back).
    #[error("corrupt ledger: {0}")]
    Corrupt(String),
}

impl Error {
    /// A request error naming `field` (empty for the document itself).
    pub fn request(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Request(chipcap_core::wire::WireError::new(field, message))
    }

    /// A short machine-readable code (`invalid_request`, `invalid`, `cap_exceeded`,
    /// `negative_balance`, `not_found`, `conflict`, `invalid_import`, `storage`, `corrupt`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Request(_) => "invalid_request",
            Error::Input(_) => "invalid",
            Error::CapExceeded { .. } => "cap_exceeded",
            Error::NegativeBalance { .. } => "negative_balance",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Import { .. } => "invalid_import",
            Error::Storage(_) => "storage",
            Error::Corrupt(_) => "corrupt",
        }
    }
    /// Whether the error is the user's input or a refusal (exit code 2), not a fault.
    pub fn is_input(&self) -> bool {
        !matches!(self, Error::Storage(_) | Error::Corrupt(_))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Storage(e.to_string())
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Error {
        match e.as_db_error() {
            Some(db) => Error::Storage(format!("{} ({})", db.message(), db.code().code())),
            None => Error::Storage(e.to_string()),
        }
    }
}

/// A milli-TPP amount as grouped TPP (`31,664,000`).
fn tpp(milli: i64) -> String {
    let mut s = String::new();
    let _ = chipcap_core::units::write_milli_grouped(&mut s, i128::from(milli));
    s
}

pub(crate) fn input(msg: impl Into<String>) -> Error {
    Error::Input(msg.into())
}
