//! The server's internal error: storage, I/O and data problems, converted to HTTP answers in one place
//! (`api::ApiError`) and to exit messages in the CLI.

/// What went wrong inside the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// Input the caller can fix (bad field, bad CSV row, ...).
    #[error("{0}")]
    Invalid(String),
    /// Something named does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Stored data breaks an invariant.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// Password hashing failed.
    #[error("password hash: {0}")]
    Hash(String),
}

/// Result with the server's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
