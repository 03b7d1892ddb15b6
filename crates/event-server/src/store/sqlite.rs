//! [`Meta`](super::Meta) on the embedded SQLite file: each operation runs the
//! SQL modules (`roster`, `photos`, `auth`, …) in one transaction on a blocking
//! thread. SQLite has one writer, so commits (and roster numbers) are serialised.

use findme_protocol::{
    DeletePhotoResponse, EventStats, MyPhoto, Participant, PhotoMetadata, PhotoState,
    PutMetadataResponse, Registration, RegistrationUpdate,
};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{Images, NewImage};
use crate::auth::{self, Principal, TokenKind};
use crate::card::CardText;
use crate::db::{Db, DbError};
use crate::guest::store::{self as guest, EventPage, Registered};
use crate::photos::{self, ImageAccess, Rendition};
use crate::removal::RemovalError;
use crate::roster::{self, EventRow};
use crate::tokens::{self, Revoked, TokenInfo, TokenRef};
use crate::{registration, retention};

fn own(s: &str) -> String {
    s.to_owned()
}

pub(super) async fn event(db: &Db, id: &str) -> Result<Option<EventRow>, DbError> {
    let id = own(id);
    db.call(move |c| roster::event(c, &id)).await
}

pub(super) async fn create_event(
    db: &Db,
    id: &str,
    name: &str,
    hash: &str,
) -> Result<bool, DbError> {
    let (id, name, hash) = (own(id), own(name), own(hash));
    db.call(move |c| {
        let tx = c.transaction()?;
        if !roster::create_event(&tx, &id, &name)? {
            return Ok(false);
        }
        auth::store_token(&tx, TokenKind::Photographer, &hash, &id, None)?;
        tx.commit()?;
        Ok(true)
    })
    .await
}

pub(super) async fn add_token(
    db: &Db,
    kind: TokenKind,
    hash: &str,
    event: &str,
    participant: Option<&str>,
) -> Result<bool, DbError> {
    let (hash, event, participant) = (own(hash), own(event), participant.map(own));
    db.call(move |c| {
        let tx = c.transaction()?;
        if roster::event(&tx, &event)?.is_none() {
            return Ok(false);
        }
        auth::store_token(&tx, kind, &hash, &event, participant.as_deref())?;
        tx.commit()?;
        Ok(true)
    })
    .await
}

pub(super) async fn authenticate(db: &Db, token: &str) -> Result<Option<Principal>, DbError> {
    let token = own(token);
    db.call(move |c| auth::authenticate(c, &token)).await
}

pub(super) async fn list_tokens(db: &Db, event: &str) -> Result<Option<Vec<TokenInfo>>, DbError> {
    let event = own(event);
    db.call(move |c| {
        if roster::event(c, &event)?.is_none() {
            return Ok(None);
        }
        tokens::list_tokens(c, &event).map(Some)
    })
    .await
}

pub(super) async fn revoke_token(db: &Db, which: TokenRef<'_>) -> Result<Revoked, DbError> {
    let (is_token, text) = match which {
        TokenRef::Token(t) => (true, own(t)),
        TokenRef::Id(i) => (false, own(i)),
    };
    db.call(move |c| {
        let which = if is_token {
            TokenRef::Token(&text)
        } else {
            TokenRef::Id(&text)
        };
        tokens::revoke(c, which)
    })
    .await
}

pub(super) async fn add_participant(
    db: &Db,
    event: &str,
    id: &str,
    name: &str,
    selfie: &NewImage,
    token_hash: &str,
) -> Result<bool, DbError> {
    let (event, id, name, selfie, hash) = (
        own(event),
        own(id),
        own(name),
        selfie.clone(),
        own(token_hash),
    );
    db.call(move |c| {
        let tx = c.transaction()?;
        if roster::event(&tx, &event)?.is_none() {
            return Ok(false);
        }
        roster::record_image(&tx, &selfie.sha256, selfie.size, selfie.content_type)?;
        roster::upsert_participant(&tx, &event, &id, &name, &selfie.sha256)?;
        auth::store_token(&tx, TokenKind::Attendee, &hash, &event, Some(&id))?;
        tx.commit()?;
        Ok(true)
    })
    .await
}

pub(super) async fn set_consent(
    db: &Db,
    event: &str,
    id: &str,
    consent: bool,
) -> Result<bool, DbError> {
    let (event, id) = (own(event), own(id));
    db.call(move |c| {
        let tx = c.transaction()?;
        let ok = roster::set_consent(&tx, &event, &id, consent)?;
        tx.commit()?;
        Ok(ok)
    })
    .await
}

pub(super) async fn remove_participant(
    db: &Db,
    event: &str,
    id: &str,
) -> Result<Option<Option<String>>, DbError> {
    let (event, id) = (own(event), own(id));
    db.call(move |c| {
        let tx = c.transaction()?;
        let selfie: Option<String> = tx
            .query_row(
                "SELECT selfie_sha256 FROM participants
                  WHERE event_id = ?1 AND id = ?2 AND deleted = 0",
                params![event, id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let removed = roster::delete_participant(&tx, &event, &id)?;
        tx.commit()?;
        Ok(removed.then_some(selfie))
    })
    .await
}

/// The check, the row's deletion and the bytes' deletion happen inside one
/// IMMEDIATE transaction: no writer of this database can commit a new reference
/// in between.
pub(super) async fn forget_image_if_unused(
    db: &Db,
    sha256: &str,
    images: &Images,
) -> Result<bool, RemovalError> {
    let (sha, images, handle) = (
        own(sha256),
        images.clone(),
        tokio::runtime::Handle::current(),
    );
    let outcome = db
        .call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if roster::image_in_use(&tx, &sha)? {
                return Ok(Ok(false));
            }
            tx.execute("DELETE FROM images WHERE sha256 = ?1", [&sha])?;
            // Delete the bytes before the commit: if that fails, the row stays and
            // the rollback keeps the two in agreement.
            match handle.block_on(images.delete(&sha)) {
                Ok(_) => {
                    tx.commit()?;
                    Ok(Ok(true))
                }
                Err(e) => Ok(Err(e)),
            }
        })
        .await?;
    outcome.map_err(|source| RemovalError::Image {
        sha256: sha256.to_string(),
        source,
    })
}

pub(super) async fn expired_participants(
    db: &Db,
    now_ms: i64,
) -> Result<Vec<(String, String)>, DbError> {
    db.call(move |c| retention::expired_participants(c, now_ms))
        .await
}

pub(super) async fn participants_since(
    db: &Db,
    event: &str,
    since: i64,
    limit: usize,
) -> Result<(Vec<Participant>, i64, bool), DbError> {
    let event = own(event);
    db.call(move |c| roster::participants_since(c, &event, since, limit))
        .await
}

pub(super) async fn selfie_sha(db: &Db, event: &str, id: &str) -> Result<Option<String>, DbError> {
    let (event, id) = (own(event), own(id));
    db.call(move |c| roster::selfie_sha(c, &event, &id)).await
}

pub(super) async fn participant_name(
    db: &Db,
    event: &str,
    id: &str,
) -> Result<Option<String>, DbError> {
    let (event, id) = (own(event), own(id));
    db.call(move |c| roster::participant_name(c, &event, &id))
        .await
}

pub(super) async fn image_type(db: &Db, sha256: &str) -> Result<Option<String>, DbError> {
    let sha = own(sha256);
    db.call(move |c| roster::image_type(c, &sha)).await
}

pub(super) async fn put_rendition(
    db: &Db,
    rendition: Rendition,
    event: &str,
    photo: &str,
    image: &NewImage,
) -> Result<bool, DbError> {
    let (event, photo, image) = (own(event), own(photo), image.clone());
    db.call(move |c| {
        let tx = c.transaction()?;
        roster::record_image(&tx, &image.sha256, image.size, image.content_type)?;
        let created = photos::put_rendition(&tx, rendition, &event, &photo, &image.sha256)?;
        tx.commit()?;
        Ok(created)
    })
    .await
}

pub(super) async fn put_metadata(
    db: &Db,
    event: &str,
    photo: &str,
    meta: &PhotoMetadata,
    revision: i64,
) -> Result<PutMetadataResponse, DbError> {
    let (event, photo, meta) = (own(event), own(photo), meta.clone());
    db.call(move |c| {
        let tx = c.transaction()?;
        let answer = photos::put_metadata(&tx, &event, &photo, &meta, revision)?;
        tx.commit()?;
        Ok(answer)
    })
    .await
}

pub(super) async fn delete_photo(
    db: &Db,
    event: &str,
    photo: &str,
    revision: Option<i64>,
) -> Result<DeletePhotoResponse, DbError> {
    let (event, photo) = (own(event), own(photo));
    db.call(move |c| {
        let tx = c.transaction()?;
        let answer = photos::delete_photo(&tx, &event, &photo, revision)?;
        tx.commit()?;
        Ok(answer)
    })
    .await
}

pub(super) async fn photo_state(
    db: &Db,
    event: &str,
    photo: &str,
) -> Result<Option<PhotoState>, DbError> {
    let (event, photo) = (own(event), own(photo));
    db.call(move |c| photos::photo_state(c, &event, &photo))
        .await
}

pub(super) async fn stats(db: &Db, event: &str) -> Result<EventStats, DbError> {
    let event = own(event);
    db.call(move |c| photos::stats(c, &event)).await
}

pub(super) async fn my_photos(
    db: &Db,
    event: &str,
    participant: &str,
) -> Result<Vec<MyPhoto>, DbError> {
    let (event, participant) = (own(event), own(participant));
    db.call(move |c| photos::my_photos(c, &event, &participant))
        .await
}

pub(super) async fn image_access(
    db: &Db,
    who: &Principal,
    photo: &str,
    rendition: Rendition,
) -> Result<ImageAccess, DbError> {
    let (who, photo) = (who.clone(), own(photo));
    db.call(move |c| photos::image_access(c, &who, &photo, rendition))
        .await
}

pub(super) async fn guest_image(
    db: &Db,
    event: &str,
    participant: &str,
    photo: &str,
    grid: bool,
) -> Result<Option<String>, DbError> {
    let (event, participant, photo) = (own(event), own(participant), own(photo));
    db.call(move |c| guest::guest_image(c, &event, &participant, &photo, grid))
        .await
}

pub(super) async fn registration(db: &Db, event: &str) -> Result<Option<Registration>, DbError> {
    let event = own(event);
    db.call(move |c| registration::registration(c, &event))
        .await
}

pub(super) async fn update_registration(
    db: &Db,
    event: &str,
    update: &RegistrationUpdate,
) -> Result<Option<Registration>, DbError> {
    let (event, update) = (own(event), update.clone());
    db.call(move |c| {
        let tx = c.transaction()?;
        let answer = registration::update_registration(&tx, &event, &update)?;
        tx.commit()?;
        Ok(answer)
    })
    .await
}

pub(super) async fn event_page(db: &Db, event: &str) -> Result<Option<EventPage>, DbError> {
    let event = own(event);
    db.call(move |c| guest::event_page(c, &event)).await
}

pub(super) async fn card_text(db: &Db, event: &str) -> Result<Option<CardText>, DbError> {
    let event = own(event);
    db.call(move |c| {
        Ok(c.query_row(
            "SELECT name, intro, registration_code FROM events WHERE id = ?1",
            [&event],
            |r| {
                Ok(CardText {
                    name: r.get(0)?,
                    intro: r.get(1)?,
                    code: r.get(2)?,
                })
            },
        )
        .optional()?)
    })
    .await
}

pub(super) async fn register_guest(
    db: &Db,
    event: &str,
    name: &str,
    selfie: &NewImage,
) -> Result<Registered, DbError> {
    let (event, name, selfie) = (own(event), own(name), selfie.clone());
    db.call(move |c| {
        let tx = c.transaction()?;
        roster::record_image(&tx, &selfie.sha256, selfie.size, selfie.content_type)?;
        let done = guest::register(&tx, &event, &name, &selfie.sha256)?;
        tx.commit()?;
        Ok(done)
    })
    .await
}

pub(super) async fn new_session(
    db: &Db,
    event: &str,
    participant: &str,
) -> Result<String, DbError> {
    let (event, participant) = (own(event), own(participant));
    db.call(move |c| guest::new_session(c, &event, &participant))
        .await
}

pub(super) async fn session_participant(
    db: &Db,
    event: &str,
    cookie: &str,
) -> Result<Option<String>, DbError> {
    let (event, cookie) = (own(event), own(cookie));
    db.call(move |c| guest::session_participant(c, &event, &cookie))
        .await
}

pub(super) async fn link_participant(
    db: &Db,
    event: &str,
    token: &str,
) -> Result<Option<String>, DbError> {
    let (event, token) = (own(event), own(token));
    db.call(move |c| guest::link_participant(c, &event, &token))
        .await
}

pub(super) async fn take_token(
    db: &Db,
    key: &str,
    per_minute: u32,
    burst: u32,
    now_ms: i64,
) -> Result<bool, DbError> {
    let key = own(key);
    db.call(move |c| crate::rate_buckets::take_token(c, &key, per_minute, burst, now_ms))
        .await
}
