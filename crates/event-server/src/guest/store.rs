//! The guest pages' SQL: the event as its page shows it, registrations, sessions
//! and the guest's access to an image. Called on blocking threads.

use findme_protocol::Matcher;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::auth::{hash_token, store_token, TokenKind};
use crate::db::{now_ms, DbError};
use crate::roster;

/// What the registration page shows of an event.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub id: String,
    pub name: String,
    pub intro: String,
    pub open: bool,
    pub code: Option<String>,
    pub matcher: Matcher,
    pub retention_days: u32,
}

pub fn event_page(conn: &Connection, event: &str) -> Result<Option<EventPage>, DbError> {
    let row = conn
        .query_row(
            "SELECT id, name, intro, registration_open, registration_code, matcher, retention_days
               FROM events WHERE id = ?1",
            [event],
            |r| {
                Ok((
                    EventPage {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        intro: r.get(2)?,
                        open: r.get(3)?,
                        code: r.get::<_, Option<String>>(4)?.filter(|c| !c.is_empty()),
                        matcher: Matcher::Device,
                        retention_days: r.get(6)?,
                    },
                    r.get::<_, String>(5)?,
                ))
            },
        )
        .optional()?;
    row.map(|(page, matcher)| {
        Ok(EventPage {
            matcher: crate::registration::matcher_from_sql(&matcher)?,
            ..page
        })
    })
    .transpose()
}

/// A guest who registered: their participant id (to find their session) and the
/// personal link's token (shown once).
#[derive(Debug, Clone)]
pub struct Registered {
    pub participant: String,
    pub link_token: String,
    pub session_token: String,
}

/// Adds a self-registered guest (the selfie image row already recorded by the
/// caller in `tx`), with an attendee token for their personal link and a browser
/// session. The guest is in the roster the app pulls like any participant.
pub fn register(
    tx: &Transaction<'_>,
    event: &str,
    name: &str,
    selfie_sha256: &str,
) -> Result<Registered, DbError> {
    let participant = loop {
        let n: u64 = rand::random();
        let id = format!("g_{:012x}", n >> 16);
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM participants WHERE event_id = ?1 AND id = ?2)",
            params![event, id],
            |r| r.get(0),
        )?;
        if !taken {
            break id;
        }
    };
    roster::upsert_participant(tx, event, &participant, name, selfie_sha256)?;
    tx.execute(
        "UPDATE participants SET self_registered = 1, registered_ms = ?3
          WHERE event_id = ?1 AND id = ?2",
        params![event, participant, now_ms()],
    )?;
    let (link_token, hash) = crate::auth::new_token(TokenKind::Attendee);
    store_token(tx, TokenKind::Attendee, &hash, event, Some(&participant))?;
    let session_token = new_session(tx, event, &participant)?;
    Ok(Registered {
        participant,
        link_token,
        session_token,
    })
}

/// Starts a browser session for a participant; returns the cookie value.
pub fn new_session(conn: &Connection, event: &str, participant: &str) -> Result<String, DbError> {
    let bytes: [u8; 32] = rand::random();
    let token: String = std::iter::once("fms_".to_string())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect();
    conn.execute(
        "INSERT INTO sessions (hash, event_id, participant_id, created_ms) VALUES (?1, ?2, ?3, ?4)",
        params![hash_token(&token), event, participant, now_ms()],
    )?;
    Ok(token)
}

/// The live participant behind a session cookie of `event`.
pub fn session_participant(
    conn: &Connection,
    event: &str,
    cookie: &str,
) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_row(
            "SELECT s.participant_id FROM sessions s
               JOIN participants p ON p.event_id = s.event_id AND p.id = s.participant_id
              WHERE s.hash = ?1 AND s.event_id = ?2 AND p.deleted = 0",
            params![hash_token(cookie), event],
            |r| r.get(0),
        )
        .optional()?)
}

/// The participant a personal link's (attendee) token stands for, in `event`.
pub fn link_participant(
    conn: &Connection,
    event: &str,
    token: &str,
) -> Result<Option<String>, DbError> {
    Ok(match crate::auth::authenticate(conn, token)? {
        Some(crate::auth::Principal::Attendee {
            event: e,
            participant,
        }) if e == event => Some(participant),
        _ => None,
    })
}

/// A fresh personal link token for a participant (the old ones keep working).
pub fn new_link(conn: &Connection, event: &str, participant: &str) -> Result<String, DbError> {
    let (token, hash) = crate::auth::new_token(TokenKind::Attendee);
    store_token(conn, TokenKind::Attendee, &hash, event, Some(participant))?;
    Ok(token)
}

/// The stored image a guest may see for photo `sha` (`grid`: the small rendition
/// when there is one): only visible photos they are matched in.
pub fn guest_image(
    conn: &Connection,
    event: &str,
    participant: &str,
    sha: &str,
    grid: bool,
) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_row(
            "SELECT CASE WHEN ?4 THEN COALESCE(p.grid_sha256, p.image_sha256)
                         ELSE p.image_sha256 END
               FROM photos p
              WHERE p.event_id = ?1 AND p.sha256 = ?2 AND p.withdrawn = 0
                AND p.image_sha256 IS NOT NULL AND p.metadata IS NOT NULL
                AND EXISTS (SELECT 1 FROM photo_faces f WHERE f.event_id = p.event_id
                              AND f.sha256 = p.sha256 AND f.participant_id = ?3)",
            params![event, sha, participant, grid],
            |r| r.get(0),
        )
        .optional()?)
}
