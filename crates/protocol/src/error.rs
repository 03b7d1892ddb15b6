//! What can go wrong talking to the event server, classified by what the caller
//! (the sync outbox) should do about it.

use std::time::Duration;

/// A failed request. The variant is the decision:
/// - [`Retryable`](Self::Retryable): try again later (back off); nothing is wrong
///   with the item itself.
/// - [`Unauthorized`](Self::Unauthorized): the token is wrong or revoked; stop
///   pushing and ask the photographer (retrying cannot help).
/// - [`Rejected`](Self::Rejected): the server refused *this* request; fail the item
///   with the message (retrying the same bytes gives the same answer).
/// - [`Invalid`](Self::Invalid): the request was never sent (bad id/sha/URL).
/// - [`Protocol`](Self::Protocol): a 2xx whose body is not protocol v1 (wrong server
///   or version); not retryable without a human.
///
/// No variant ever contains the token: messages come from the server's body or from
/// reqwest errors stripped of their URL.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("temporary failure ({reason}); will retry")]
    Retryable {
        reason: String,
        /// The HTTP status, if the server answered at all.
        status: Option<u16>,
        /// The server's `Retry-After` (seconds form), for 429/503.
        retry_after: Option<Duration>,
    },
    #[error("the event server refused the token (HTTP {status}): {message}")]
    Unauthorized { status: u16, message: String },
    #[error("the event server rejected the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("unexpected answer from the event server: {0}")]
    Protocol(String),
}

impl ClientError {
    /// `true` for [`ClientError::Retryable`].
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }

    /// The HTTP status the server answered with, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Retryable { status, .. } => *status,
            Self::Unauthorized { status, .. } | Self::Rejected { status, .. } => Some(*status),
            Self::Invalid(_) | Self::Protocol(_) => None,
        }
    }

    /// Classifies a non-2xx answer. `message` is the server's `{"error"}` text (or
    /// the start of its body).
    pub(crate) fn from_status(status: u16, message: String, retry_after: Option<Duration>) -> Self {
        match status {
            401 | 403 => Self::Unauthorized { status, message },
            408 | 429 | 500..=599 => Self::Retryable {
                reason: format!("HTTP {status}: {message}"),
                status: Some(status),
                retry_after,
            },
            _ => Self::Rejected { status, message },
        }
    }

    /// Classifies a transport error (no complete answer). Everything reqwest reports
    /// here is a network condition — timeout, refused, reset, body cut short — except
    /// a request that could not even be built.
    pub(crate) fn from_transport(err: reqwest::Error) -> Self {
        if err.is_builder() {
            return Self::Invalid(err.without_url().to_string());
        }
        let kind = if err.is_timeout() {
            "timed out"
        } else if err.is_connect() {
            "could not connect"
        } else if err.is_body() || err.is_decode() {
            "connection lost while reading the answer"
        } else {
            "network error"
        };
        Self::Retryable {
            reason: format!("{kind}: {}", error_chain(&err.without_url())),
            status: None,
            retry_after: None,
        }
    }
}

/// `err` and its sources on one line ("error sending request: connection refused"),
/// because reqwest's top-level message alone rarely says what happened.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
