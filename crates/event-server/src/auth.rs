//! Tokens: 32 random bytes shown once, stored only as their SHA-256.
//!
//! Format: `fmp_<64 hex>` for a photographer (one event) and `fma_<64 hex>` for an
//! attendee (one participant of one event). The prefix is only a hint for humans;
//! the scope comes from the database row, never from the string.

use axum::http::HeaderMap;
use rusqlite::{Connection, OptionalExtension};

use crate::db::DbError;

/// Who a request is from, once its token checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Photographer { event: String },
    Attendee { event: String, participant: String },
}

impl Principal {
    pub fn event(&self) -> &str {
        match self {
            Self::Photographer { event } | Self::Attendee { event, .. } => event,
        }
    }
}

/// The kind of token to mint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Photographer,
    Attendee,
}

/// A fresh random token of `kind` (to show once) and its hash (to store).
pub fn new_token(kind: TokenKind) -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let prefix = match kind {
        TokenKind::Photographer => "fmp_",
        TokenKind::Attendee => "fma_",
    };
    let token = format!("{prefix}{hex}");
    let hash = hash_token(&token);
    (token, hash)
}

/// What the database stores for a token.
pub fn hash_token(token: &str) -> String {
    findme_protocol::sha256_hex(token.as_bytes())
}

/// The bearer token of a request: the `Authorization: Bearer` header, else (only
/// where the caller allows it, for `<img>` and the attendee page) `?token=`.
pub fn request_token<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> Option<&'a str> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty());
    header.or(query.filter(|t| !t.is_empty()))
}

/// Looks a token up. A revoked token, or an attendee token of a deleted participant,
/// no longer works.
pub fn authenticate(conn: &Connection, token: &str) -> Result<Option<Principal>, DbError> {
    let row = conn
        .query_row(
            "SELECT t.kind, t.event_id, t.participant_id,
                    (SELECT deleted FROM participants p
                      WHERE p.event_id = t.event_id AND p.id = t.participant_id)
               FROM tokens t WHERE t.hash = ?1 AND t.revoked_ms IS NULL",
            [hash_token(token)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<bool>>(3)?,
                ))
            },
        )
        .optional()?;
    Ok(match row {
        Some((kind, event, _, _)) if kind == "photographer" => {
            Some(Principal::Photographer { event })
        }
        Some((_, event, Some(participant), Some(false))) => {
            Some(Principal::Attendee { event, participant })
        }
        _ => None,
    })
}

/// Stores a token hash for an event (and participant, for attendees).
pub fn store_token(
    conn: &Connection,
    kind: TokenKind,
    hash: &str,
    event: &str,
    participant: Option<&str>,
) -> Result<(), DbError> {
    let kind = match kind {
        TokenKind::Photographer => "photographer",
        TokenKind::Attendee => "attendee",
    };
    conn.execute(
        "INSERT INTO tokens (hash, kind, event_id, participant_id, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![hash, kind, event, participant, crate::db::now_ms()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_prefixed() {
        let (a, ha) = new_token(TokenKind::Photographer);
        let (b, _) = new_token(TokenKind::Attendee);
        assert!(a.starts_with("fmp_") && a.len() == 68);
        assert!(b.starts_with("fma_"));
        assert_ne!(a[4..], b[4..]);
        assert_eq!(ha, hash_token(&a));
        assert!(!ha.contains(&a[4..]));
    }

    #[test]
    fn bearer_header_wins_over_query() {
        let mut h = HeaderMap::new();
        assert_eq!(request_token(&h, Some("q")), Some("q"));
        h.insert("authorization", "Bearer  abc ".parse().unwrap());
        assert_eq!(request_token(&h, Some("q")), Some("abc"));
        h.insert("authorization", "Basic abc".parse().unwrap());
        assert_eq!(request_token(&h, None), None);
    }
}
