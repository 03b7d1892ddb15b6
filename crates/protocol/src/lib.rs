//! FindMe event server protocol v1.
//!
//! Both ends are built from this crate and from `docs/api/openapi.yaml`: the app's
//! sync pushes photos with [`EventClient`], and `findme-event-server` deserialises the
//! same [`types`]. Keep the three in agreement (the `openapi` test checks the paths).
//!
//! Wire rules that both sides rely on:
//! - JSON bodies ignore unknown fields (so either side may add fields later), and
//!   fields are only ever added, never renamed or removed.
//! - A photo is named by the SHA-256 of the *original* file (64 lowercase hex, the
//!   catalog's `photos.sha256`); its web rendition has its own SHA-256, sent in
//!   [`HEADER_CONTENT_SHA256`].
//! - Errors are `{"error": "<readable message>"}` ([`types::ErrorBody`]).

pub mod client;
pub mod error;
pub mod paths;
pub mod types;

pub use client::{EventClient, GridOutcome, Token};
pub use error::ClientError;
pub use types::*;

/// The protocol version this crate speaks (the `v1` in every path).
pub const PROTOCOL_VERSION: u32 = 1;

/// Header carrying the hex SHA-256 of an uploaded image body; the server recomputes
/// it and answers 400 on a mismatch, so a corrupted upload is never stored.
pub const HEADER_CONTENT_SHA256: &str = "X-Content-SHA256";

/// Query parameter an `<img>` (which cannot send headers) may use instead of
/// `Authorization: Bearer` on the attendee page and on photo images.
pub const QUERY_TOKEN: &str = "token";

/// Query parameter of the photo image endpoint choosing the rendition:
/// [`SIZE_WEB`] (the default) or [`SIZE_GRID`].
pub const QUERY_SIZE: &str = "size";
/// `?size=web`: the web rendition (≈ 2048 px).
pub const SIZE_WEB: &str = "web";
/// `?size=grid`: the grid rendition (≈ 480 px), or the web one when there is none.
pub const SIZE_GRID: &str = "grid";

/// Default server limit for an image body (25 MB); a server setting, documented here
/// so clients can avoid uploads that would be refused with 413.
pub const DEFAULT_MAX_IMAGE_BYTES: usize = 25 * 1024 * 1024;

/// Server limit for a JSON body (1 MB).
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// Participants returned per roster page at most (`more` says whether to poll again).
pub const ROSTER_PAGE_LIMIT: usize = 500;

pub use findme_keys::{EventId, KeyError, ParticipantId, PhotoKey};

/// `true` if `s` is exactly 64 lowercase hex characters: the only form a photo or
/// image key may take (it also becomes a file name on the server, so nothing else is
/// ever accepted — no `..`, no slashes, no upper case aliases). The rule is
/// [`PhotoKey`]'s, shared with the app.
pub fn is_valid_sha256(s: &str) -> bool {
    PhotoKey::is_valid(s)
}

/// `true` if `s` is a valid event or participant id: 1-64 characters of ASCII letters,
/// digits, `-` and `_`. Ids go into URL paths unescaped, so the set is kept small.
/// The rule is [`EventId`]'s, shared with the app, so an id the app accepts can
/// always be synced.
pub fn is_valid_id(s: &str) -> bool {
    EventId::is_valid(s)
}

/// Lowercase hex SHA-256 of `bytes` (what [`HEADER_CONTENT_SHA256`] carries).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha_validation_is_strict() {
        let good = sha256_hex(b"abc");
        assert_eq!(
            good,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_valid_sha256(&good));
        assert!(!is_valid_sha256(&good.to_uppercase()));
        assert!(!is_valid_sha256(&good[..63]));
        assert!(!is_valid_sha256(&format!("{}/", &good[..63])));
        assert!(!is_valid_sha256(".."));
    }

    #[test]
    fn id_validation() {
        assert!(is_valid_id("ev_1-a"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a/b"));
        assert!(!is_valid_id(".."));
        assert!(!is_valid_id(&"a".repeat(65)));
    }
}
