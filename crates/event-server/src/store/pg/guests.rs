//! Guests on PostgreSQL: registration settings, the registration page and
//! card, self-registration, browser sessions and a guest's image; the rules of
//! `registration.rs` and `guest/store.rs`.

use deadpool_postgres::GenericClient;
use findme_protocol::{paths, Matcher, Registration, RegistrationUpdate};

use super::roster::{record_image, upsert_participant};
use super::tokens::{authenticate, store_token};
use super::{execute, in_tx, query_one, query_opt, unsigned, PgMeta};
use crate::auth::{hash_token, new_token, Principal, TokenKind};
use crate::card::CardText;
use crate::db::{now_ms, DbError};
use crate::guest::store::{EventPage, Registered};
use crate::registration::matcher_from_sql;
use crate::store::NewImage;

fn matcher_sql(m: Matcher) -> &'static str {
    match m {
        Matcher::Device => "device",
        Matcher::Rekognition => "rekognition",
    }
}

fn retention(days: i64) -> Result<u32, DbError> {
    u32::try_from(days).map_err(|_| DbError::Corrupt(format!("events.retention_days = {days}")))
}

async fn registration<C: GenericClient>(
    c: &C,
    event: &str,
) -> Result<Option<Registration>, DbError> {
    let row = query_opt(
        c,
        "SELECT registration_open, registration_code, intro, matcher, retention_days, ended_ms,
                (SELECT COUNT(*) FROM participants
                  WHERE event_id = $1 AND self_registered AND NOT deleted)
           FROM events WHERE id = $1",
        &[&event],
    )
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    Ok(Some(Registration {
        open: r.get(0),
        code: r.get(1),
        intro: r.get(2),
        matcher: matcher_from_sql(r.get(3))?,
        retention_days: retention(r.get(4))?,
        registered: unsigned(r.get(6)),
        page_path: paths::guest_page(event),
        ended_ms: r.get(5),
    }))
}

/// A new browser session's cookie value (stored as its hash, like tokens).
async fn new_session<C: GenericClient>(
    c: &C,
    event: &str,
    participant: &str,
) -> Result<String, DbError> {
    let bytes: [u8; 32] = rand::random();
    let token: String = std::iter::once("fms_".to_string())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect();
    execute(
        c,
        "INSERT INTO sessions (hash, event_id, participant_id, created_ms) VALUES ($1, $2, $3, $4)",
        &[&hash_token(&token), &event, &participant, &now_ms()],
    )
    .await?;
    Ok(token)
}

impl PgMeta {
    pub async fn registration(&self, event: &str) -> Result<Option<Registration>, DbError> {
        registration(&self.client().await?, event).await
    }

    /// Only the fields present change; an ended event closes for good.
    pub async fn update_registration(
        &self,
        event: &str,
        update: &RegistrationUpdate,
    ) -> Result<Option<Registration>, DbError> {
        let code = update
            .code
            .as_ref()
            .map(|c| (!c.is_empty()).then_some(c.as_str()));
        let matcher = update.matcher.map(matcher_sql);
        let days = update.retention_days.map(i64::from);
        let ended = update.ended == Some(true);
        in_tx!(self, |tx| {
            // `CASE`: "leave it" and "set it to NULL" (a removed code) differ.
            let n = execute(
                &tx,
                "UPDATE events SET
                   registration_open = COALESCE($2, registration_open),
                   registration_code = CASE WHEN $3 THEN $4 ELSE registration_code END,
                   intro = COALESCE($5, intro),
                   matcher = COALESCE($6, matcher),
                   retention_days = COALESCE($7, retention_days),
                   ended_ms = CASE WHEN $8 THEN COALESCE(ended_ms, $9) ELSE ended_ms END
                 WHERE id = $1",
                &[
                    &event,
                    &update.open,
                    &code.is_some(),
                    &code.flatten(),
                    &update.intro,
                    &matcher,
                    &days,
                    &ended,
                    &now_ms(),
                ],
            )
            .await?;
            if n == 0 {
                return Ok(None);
            }
            execute(
                &tx,
                "UPDATE events SET registration_open = FALSE
                  WHERE id = $1 AND ended_ms IS NOT NULL",
                &[&event],
            )
            .await?;
            registration(&tx, event).await?
        })
    }

    pub async fn event_page(&self, event: &str) -> Result<Option<EventPage>, DbError> {
        let client = self.client().await?;
        let row = query_opt(
            &client,
            "SELECT id, name, intro, registration_open, registration_code, matcher, retention_days
               FROM events WHERE id = $1",
            &[&event],
        )
        .await?;
        row.map(|r| {
            Ok(EventPage {
                id: r.get(0),
                name: r.get(1),
                intro: r.get(2),
                open: r.get(3),
                code: r.get::<_, Option<String>>(4).filter(|c| !c.is_empty()),
                matcher: matcher_from_sql(r.get(5))?,
                retention_days: retention(r.get(6))?,
            })
        })
        .transpose()
    }

    pub async fn card_text(&self, event: &str) -> Result<Option<CardText>, DbError> {
        let client = self.client().await?;
        Ok(query_opt(
            &client,
            "SELECT name, intro, registration_code FROM events WHERE id = $1",
            &[&event],
        )
        .await?
        .map(|r| CardText {
            name: r.get(0),
            intro: r.get(1),
            code: r.get(2),
        }))
    }

    /// A self-registered participant (a fresh random id), their personal-link
    /// token and a browser session, in one transaction.
    pub async fn register_guest(
        &self,
        event: &str,
        name: &str,
        selfie: &NewImage,
    ) -> Result<Registered, DbError> {
        in_tx!(self, |tx| {
            record_image(&tx, selfie).await?;
            let participant = loop {
                let n: u64 = rand::random();
                let id = format!("g_{:012x}", n >> 16);
                let taken: bool = query_one(
                    &tx,
                    "SELECT EXISTS (SELECT 1 FROM participants WHERE event_id = $1 AND id = $2)",
                    &[&event, &id],
                )
                .await?
                .get(0);
                if !taken {
                    break id;
                }
            };
            upsert_participant(&tx, event, &participant, name, &selfie.sha256).await?;
            execute(
                &tx,
                "UPDATE participants SET self_registered = TRUE, registered_ms = $3
                  WHERE event_id = $1 AND id = $2",
                &[&event, &participant, &now_ms()],
            )
            .await?;
            let (link_token, hash) = new_token(TokenKind::Attendee);
            store_token(&tx, TokenKind::Attendee, &hash, event, Some(&participant)).await?;
            let session_token = new_session(&tx, event, &participant).await?;
            Registered {
                participant,
                link_token,
                session_token,
            }
        })
    }

    pub async fn new_session(&self, event: &str, participant: &str) -> Result<String, DbError> {
        new_session(&self.client().await?, event, participant).await
    }

    pub async fn session_participant(
        &self,
        event: &str,
        cookie: &str,
    ) -> Result<Option<String>, DbError> {
        let client = self.client().await?;
        Ok(query_opt(
            &client,
            "SELECT s.participant_id FROM sessions s
               JOIN participants p ON p.event_id = s.event_id AND p.id = s.participant_id
              WHERE s.hash = $1 AND s.event_id = $2 AND NOT p.deleted",
            &[&hash_token(cookie), &event],
        )
        .await?
        .map(|r| r.get(0)))
    }

    pub async fn link_participant(
        &self,
        event: &str,
        token: &str,
    ) -> Result<Option<String>, DbError> {
        Ok(match authenticate(&self.client().await?, token).await? {
            Some(Principal::Attendee {
                event: e,
                participant,
            }) if e == event => Some(participant),
            _ => None,
        })
    }

    /// Only visible photos the guest is matched in; the grid rendition if asked
    /// and present.
    pub async fn guest_image(
        &self,
        event: &str,
        participant: &str,
        photo: &str,
        grid: bool,
    ) -> Result<Option<String>, DbError> {
        let client = self.client().await?;
        Ok(query_opt(
            &client,
            "SELECT CASE WHEN $4 THEN COALESCE(p.grid_sha256, p.image_sha256)
                         ELSE p.image_sha256 END
               FROM photos p
              WHERE p.event_id = $1 AND p.sha256 = $2 AND NOT p.withdrawn
                AND p.image_sha256 IS NOT NULL AND p.metadata IS NOT NULL
                AND EXISTS (SELECT 1 FROM photo_faces f WHERE f.event_id = p.event_id
                              AND f.sha256 = p.sha256 AND f.participant_id = $3)",
            &[&event, &photo, &participant, &grid],
        )
        .await?
        .map(|r| r.get(0)))
    }
}
