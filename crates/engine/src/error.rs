//! The engine's one error type. Each variant is a *kind* a caller can act on (the
//! UI refreshes on `NotFound`, shows what to do on `Paused`; the CLI exits with a
//! code per kind), worded for the photographer. [`ErrorDto`] carries it to the
//! webview as `{kind, message, what_to_do}`.

use std::path::Path;

use findme_catalog::CatalogError;
use findme_keys::KeyError;
use findme_sync::ClientError;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// What was asked for is not there: a photo, event, participant or watched
    /// folder id the catalog does not hold.
    #[error("{0}")]
    NotFound(String),
    /// The request itself is wrong: a malformed id or URL, a threshold out of
    /// range, a folder that is not one. Asking again the same way fails again.
    #[error("{0}")]
    Invalid(String),
    /// The request clashes with what is already so (a closed event, an event
    /// matched by the other backend).
    #[error("{0}")]
    Conflict(String),
    /// The event server refused the token.
    #[error("{0}")]
    Unauthorized(String),
    /// Work stands still until the photographer acts (credentials refused, no
    /// face model, no face service configured).
    #[error("{reason}")]
    Paused { reason: String, what_to_do: String },
    /// Something needed now cannot be reached (the event server, the face
    /// service, the OS keyring); the same request may work later.
    #[error("{0}")]
    Unavailable(String),
    /// A file or folder could not be read or written (the data folder, a selfie).
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A bug, or a background task that died.
    #[error("{0}")]
    Internal(String),
}

/// The kinds of [`EngineError`], as the webview and the CLI's exit codes see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ErrorKind {
    NotFound,
    Invalid,
    Conflict,
    Unauthorized,
    Paused,
    Unavailable,
    Io,
    Catalog,
    Internal,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::NotFound,
        ErrorKind::Invalid,
        ErrorKind::Conflict,
        ErrorKind::Unauthorized,
        ErrorKind::Paused,
        ErrorKind::Unavailable,
        ErrorKind::Io,
        ErrorKind::Catalog,
        ErrorKind::Internal,
    ];

    /// The `findme` CLI's exit code for this kind (README, "Exit codes"). 2 is
    /// also what the argument parser exits with for a malformed command line.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Internal => 1,
            ErrorKind::Invalid => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::Conflict => 4,
            ErrorKind::Unauthorized => 5,
            ErrorKind::Paused => 6,
            ErrorKind::Unavailable => 7,
            ErrorKind::Io => 8,
            ErrorKind::Catalog => 9,
        }
    }
}

/// An engine error on the wire (the desktop shell's command errors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ErrorDto {
    pub kind: ErrorKind,
    /// What went wrong, for the photographer.
    pub message: String,
    /// For `paused`: what the photographer can do about it.
    pub what_to_do: Option<String>,
}

impl EngineError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            EngineError::NotFound(_) => ErrorKind::NotFound,
            EngineError::Invalid(_) => ErrorKind::Invalid,
            EngineError::Conflict(_) => ErrorKind::Conflict,
            EngineError::Unauthorized(_) => ErrorKind::Unauthorized,
            EngineError::Paused { .. } => ErrorKind::Paused,
            EngineError::Unavailable(_) => ErrorKind::Unavailable,
            EngineError::Io { .. } => ErrorKind::Io,
            EngineError::Catalog(_) => ErrorKind::Catalog,
            EngineError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// An I/O failure on `path`: "`verb` `path`: `error`".
    pub(crate) fn io(verb: &str, path: &Path, source: std::io::Error) -> EngineError {
        EngineError::Io {
            what: format!("cannot {verb} {}", path.display()),
            source,
        }
    }

    /// A background task that panicked or was cancelled.
    pub(crate) fn task(what: &str, error: tokio::task::JoinError) -> EngineError {
        EngineError::Internal(format!("{what} failed: {error}"))
    }
}

impl From<&EngineError> for ErrorDto {
    fn from(error: &EngineError) -> ErrorDto {
        ErrorDto {
            kind: error.kind(),
            message: error.to_string(),
            what_to_do: match error {
                EngineError::Paused { what_to_do, .. } => Some(what_to_do.clone()),
                _ => None,
            },
        }
    }
}

impl From<EngineError> for ErrorDto {
    fn from(error: EngineError) -> ErrorDto {
        ErrorDto::from(&error)
    }
}

/// A key that did not parse is a malformed request.
impl From<KeyError> for EngineError {
    fn from(error: KeyError) -> EngineError {
        EngineError::Invalid(error.to_string())
    }
}

/// The event server's answers, by what the photographer can do about them.
impl From<ClientError> for EngineError {
    fn from(error: ClientError) -> EngineError {
        let message = error.to_string();
        match error {
            ClientError::Retryable { .. } | ClientError::Protocol(_) => {
                EngineError::Unavailable(message)
            }
            ClientError::Unauthorized { .. } => EngineError::Unauthorized(message),
            ClientError::Rejected { status: 404, .. } => EngineError::NotFound(message),
            ClientError::Rejected { status: 409, .. } => EngineError::Conflict(message),
            ClientError::Rejected { .. } | ClientError::Invalid(_) => EngineError::Invalid(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_exit_code_and_none_is_success() {
        let codes: std::collections::HashSet<u8> =
            ErrorKind::ALL.iter().map(|k| k.exit_code()).collect();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
        assert!(!codes.contains(&0));
    }

    #[test]
    fn a_paused_error_carries_what_to_do_to_the_webview() {
        let error = EngineError::Paused {
            reason: "matching paused: the AWS credentials were refused".into(),
            what_to_do: "fix the credentials, then match again".into(),
        };
        let dto = ErrorDto::from(&error);
        assert_eq!(dto.kind, ErrorKind::Paused);
        assert_eq!(
            dto.message,
            "matching paused: the AWS credentials were refused"
        );
        assert_eq!(
            dto.what_to_do.as_deref(),
            Some("fix the credentials, then match again")
        );
        let json = serde_json::to_value(&dto).expect("json");
        assert_eq!(json["kind"], "paused");
    }

    #[test]
    fn server_answers_become_kinds_the_photographer_can_act_on() {
        let rejected = |status| ClientError::Rejected {
            status,
            message: "x".into(),
        };
        let kinds = [
            (rejected(404), ErrorKind::NotFound),
            (rejected(409), ErrorKind::Conflict),
            (rejected(422), ErrorKind::Invalid),
            (
                ClientError::Unauthorized {
                    status: 401,
                    message: "bad token".into(),
                },
                ErrorKind::Unauthorized,
            ),
            (
                ClientError::Retryable {
                    reason: "connection refused".into(),
                    status: None,
                    retry_after: None,
                },
                ErrorKind::Unavailable,
            ),
        ];
        for (error, kind) in kinds {
            assert_eq!(EngineError::from(error).kind(), kind);
        }
    }
}
