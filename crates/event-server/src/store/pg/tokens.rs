//! Events' creation and tokens (hashes only) on PostgreSQL: the same rules as
//! `auth.rs` and `tokens.rs` on SQLite.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::roster::event_row;
use super::{execute, in_tx, query, query_opt, PgMeta};
use crate::auth::{hash_token, Principal, TokenKind};
use crate::db::{now_ms, DbError};
use crate::tokens::{rfc3339, Revoked, TokenInfo, TokenRef, TOKEN_ID_CHARS};

const COLUMNS: &str = "hash, kind, event_id, participant_id, created_ms, revoked_ms";

fn kind_sql(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Photographer => "photographer",
        TokenKind::Attendee => "attendee",
    }
}

/// Stores a token hash for an event (and participant, for attendees).
pub(crate) async fn store_token<C: GenericClient>(
    c: &C,
    kind: TokenKind,
    hash: &str,
    event: &str,
    participant: Option<&str>,
) -> Result<(), DbError> {
    execute(
        c,
        "INSERT INTO tokens (hash, kind, event_id, participant_id, created_ms)
         VALUES ($1, $2, $3, $4, $5)",
        &[&hash, &kind_sql(kind), &event, &participant, &now_ms()],
    )
    .await?;
    Ok(())
}

/// A revoked token, or an attendee token of a deleted participant, no longer works.
pub(crate) async fn authenticate<C: GenericClient>(
    c: &C,
    token: &str,
) -> Result<Option<Principal>, DbError> {
    let row = query_opt(
        c,
        "SELECT t.kind, t.event_id, t.participant_id,
                (SELECT deleted FROM participants p
                  WHERE p.event_id = t.event_id AND p.id = t.participant_id)
           FROM tokens t WHERE t.hash = $1 AND t.revoked_ms IS NULL",
        &[&hash_token(token)],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let (kind, event): (String, String) = (row.get(0), row.get(1));
    let participant: Option<String> = row.get(2);
    let deleted: Option<bool> = row.get(3);
    Ok(match (kind.as_str(), participant, deleted) {
        ("photographer", _, _) => Some(Principal::Photographer { event }),
        (_, Some(participant), Some(false)) => Some(Principal::Attendee { event, participant }),
        _ => None,
    })
}

fn info(r: &Row) -> TokenInfo {
    let hash: String = r.get(0);
    let revoked_ms: Option<i64> = r.get(5);
    TokenInfo {
        id: hash.chars().take(TOKEN_ID_CHARS).collect(),
        kind: r.get(1),
        event: r.get(2),
        participant: r.get(3),
        created: rfc3339(r.get(4)),
        revoked: revoked_ms.is_some(),
        revoked_at: revoked_ms.map(rfc3339),
    }
}

impl PgMeta {
    pub async fn create_event(
        &self,
        id: &str,
        name: &str,
        token_hash: &str,
    ) -> Result<bool, DbError> {
        in_tx!(self, |tx| {
            let n = execute(
                &tx,
                "INSERT INTO events (id, name, created_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
                &[&id, &name, &now_ms()],
            )
            .await?;
            if n != 1 {
                return Ok(false);
            }
            store_token(&tx, TokenKind::Photographer, token_hash, id, None).await?;
            true
        })
    }

    pub async fn add_token(
        &self,
        kind: TokenKind,
        hash: &str,
        event: &str,
        participant: Option<&str>,
    ) -> Result<bool, DbError> {
        in_tx!(self, |tx| {
            if event_row(&tx, event).await?.is_none() {
                return Ok(false);
            }
            store_token(&tx, kind, hash, event, participant).await?;
            true
        })
    }

    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, DbError> {
        authenticate(&self.client().await?, token).await
    }

    pub async fn list_tokens(&self, event: &str) -> Result<Option<Vec<TokenInfo>>, DbError> {
        let client = self.client().await?;
        if event_row(&client, event).await?.is_none() {
            return Ok(None);
        }
        let rows = query(
            &client,
            &format!(
                "SELECT {COLUMNS} FROM tokens WHERE event_id = $1
                  ORDER BY created_ms, hash COLLATE \"C\""
            ),
            &[&event],
        )
        .await?;
        Ok(Some(rows.iter().map(info).collect()))
    }

    pub async fn revoke_token(&self, which: TokenRef<'_>) -> Result<Revoked, DbError> {
        in_tx!(self, |tx| {
            let hashes: Vec<String> = match which {
                TokenRef::Token(token) => query(
                    &tx,
                    "SELECT hash FROM tokens WHERE hash = $1",
                    &[&hash_token(token)],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect(),
                TokenRef::Id(prefix) => query(
                    &tx,
                    "SELECT hash FROM tokens WHERE starts_with(hash, $1) LIMIT 10",
                    &[&prefix],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect(),
            };
            let hash = match hashes.as_slice() {
                [] => return Ok(Revoked::NotFound),
                [one] => one.clone(),
                many => return Ok(Revoked::Ambiguous(many.len())),
            };
            let changed = execute(
                &tx,
                "UPDATE tokens SET revoked_ms = $2 WHERE hash = $1 AND revoked_ms IS NULL",
                &[&hash, &now_ms()],
            )
            .await?;
            let token = query(
                &tx,
                &format!("SELECT {COLUMNS} FROM tokens WHERE hash = $1"),
                &[&hash],
            )
            .await?;
            let token = token
                .first()
                .map(info)
                .ok_or_else(|| DbError::Corrupt(format!("token {hash} vanished")))?;
            Revoked::Done {
                token,
                already: changed == 0,
            }
        })
    }
}
