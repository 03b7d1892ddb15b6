//! Token administration (SQL only): listing an event's tokens and revoking one.
//! Tokens are never stored, so a token is named by its *id*: the first
//! [`TOKEN_ID_CHARS`] hex characters of its stored SHA-256.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::auth::hash_token;
use crate::db::DbError;

/// Length of a token id (a prefix of the token's hash, never of the token).
pub const TOKEN_ID_CHARS: usize = 12;
/// Shortest hash prefix `revoke-token --id` accepts.
pub const MIN_ID_PREFIX: usize = 8;

/// One token as `list-tokens` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: String,
    /// `photographer` or `attendee`.
    pub kind: String,
    pub event: String,
    pub participant: Option<String>,
    /// RFC 3339, UTC.
    pub created: String,
    pub revoked: bool,
    /// RFC 3339, UTC; `None` while the token works.
    pub revoked_at: Option<String>,
}

/// How to name the token to revoke.
#[derive(Debug, Clone, Copy)]
pub enum TokenRef<'a> {
    /// The token itself (`fmp_…` / `fma_…`).
    Token(&'a str),
    /// A prefix of the token's id / hash (at least [`MIN_ID_PREFIX`] hex chars).
    Id(&'a str),
}

/// What [`revoke`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now (`already: false`) or earlier (`already: true`).
    Done {
        token: TokenInfo,
        already: bool,
    },
    NotFound,
    /// The id prefix names more than one token.
    Ambiguous(usize),
}

/// Unix milliseconds as RFC 3339 UTC (whole seconds).
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("@{ms}ms"))
}

const COLUMNS: &str = "hash, kind, event_id, participant_id, created_ms, revoked_ms";

fn info(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenInfo> {
    let hash: String = r.get(0)?;
    let revoked_ms: Option<i64> = r.get(5)?;
    Ok(TokenInfo {
        id: hash.chars().take(TOKEN_ID_CHARS).collect(),
        kind: r.get(1)?,
        event: r.get(2)?,
        participant: r.get(3)?,
        created: rfc3339(r.get(4)?),
        revoked: revoked_ms.is_some(),
        revoked_at: revoked_ms.map(rfc3339),
    })
}

/// The tokens of `event`, oldest first.
pub fn list_tokens(conn: &Connection, event: &str) -> Result<Vec<TokenInfo>, DbError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM tokens WHERE event_id = ?1 ORDER BY created_ms, hash"
    ))?;
    let rows = stmt.query_map([event], info)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Revokes one token; it stops working on the next request (see
/// [`crate::auth::authenticate`]). The caller validates an id prefix as hex.
pub fn revoke(conn: &Connection, which: TokenRef<'_>) -> Result<Revoked, DbError> {
    let hashes: Vec<String> = match which {
        TokenRef::Token(token) => {
            let hash = hash_token(token);
            conn.query_row("SELECT hash FROM tokens WHERE hash = ?1", [&hash], |r| {
                r.get(0)
            })
            .optional()?
            .into_iter()
            .collect()
        }
        TokenRef::Id(prefix) => {
            let mut stmt = conn.prepare(
                "SELECT hash FROM tokens WHERE substr(hash, 1, length(?1)) = ?1 LIMIT 10",
            )?;
            let rows = stmt.query_map([prefix], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        }
    };
    let hash = match hashes.as_slice() {
        [] => return Ok(Revoked::NotFound),
        [one] => one.clone(),
        many => return Ok(Revoked::Ambiguous(many.len())),
    };
    let changed = conn.execute(
        "UPDATE tokens SET revoked_ms = ?2 WHERE hash = ?1 AND revoked_ms IS NULL",
        params![hash, crate::db::now_ms()],
    )?;
    let token = conn.query_row(
        &format!("SELECT {COLUMNS} FROM tokens WHERE hash = ?1"),
        [&hash],
        info,
    )?;
    Ok(Revoked::Done {
        token,
        already: changed == 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_utc_seconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_765_099_845_999), "2025-12-07T09:30:45Z");
    }
}
