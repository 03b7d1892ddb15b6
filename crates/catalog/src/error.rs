use std::path::PathBuf;

/// Catalog failures. Messages are written for the log and, where they reach the
/// photographer, for them: say what failed and what it means.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot open the catalog at {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("the catalog was created by a newer FindMe Studio (schema {found}, this build knows {known}); update the app")]
    TooNew { found: i64, known: i64 },
    #[error("catalog database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("no read connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("the catalog could not save changes: {0}")]
    CommitFailed(String),
    #[error("the catalog is closed")]
    Closed,
    #[error("internal catalog error: {0}")]
    Internal(String),
    #[error("{0}")]
    Invalid(String),
}
