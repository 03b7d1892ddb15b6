//! Where the server keeps what it is told, behind two seams chosen at start
//! (issue 18, docs/scale-out.md):
//!
//! - [`Meta`]: events, tokens, participants, photos' metadata. SQLite in the data
//!   directory (embedded, the default) or PostgreSQL (`--database postgres://…`),
//!   each with its own SQL and migrations.
//! - [`Images`]: content-addressed image bytes. A folder in the data directory
//!   (the default) or S3-compatible object storage (`--storage s3://bucket/prefix`).
//!
//! Every handler, the admin commands and the retention sweep go through these
//! two; no SQL or file path leaves this module's implementations. Each method is
//! one transaction: what must change together changes in one call.

use std::path::PathBuf;

use findme_protocol::{
    DeletePhotoResponse, EventStats, MyPhoto, Participant, PhotoMetadata, PhotoState,
    PutMetadataResponse, Registration, RegistrationUpdate,
};

use crate::auth::{Principal, TokenKind};
use crate::card::CardText;
use crate::db::DbError;
use crate::guest::store::{EventPage, Registered};
use crate::photos::{ImageAccess, Rendition};
use crate::removal::RemovalError;
use crate::roster::EventRow;
use crate::tokens::{Revoked, TokenInfo, TokenRef};

pub mod images;
pub mod pg;
mod sqlite;
mod urls;

pub use images::{Images, S3Options};
pub use urls::{DatabaseUrl, StorageUrl, UrlError};

/// Which stores to open: the embedded defaults under `data_dir`, or the
/// scaled-out services (any mix of the two).
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Holds the SQLite file and the image folder when those are used (created);
    /// needed unless both `database` and `storage` are given.
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL instead of the SQLite file.
    pub database: Option<DatabaseUrl>,
    /// S3-compatible storage instead of the image folder.
    pub storage: Option<StorageUrl>,
    /// The S3 client's settings (`AWS_*`), read from the environment by the binary.
    pub s3: S3Options,
}

impl StoreConfig {
    /// The embedded defaults: SQLite and the image folder under `data_dir`.
    pub fn local(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: Some(data_dir.into()),
            database: None,
            storage: None,
            s3: S3Options::default(),
        }
    }
}

/// An image a write is about to reference (already stored under its hash).
#[derive(Debug, Clone)]
pub struct NewImage {
    pub sha256: String,
    pub size: usize,
    pub content_type: &'static str,
}

/// The metadata store.
#[derive(Clone)]
pub enum Meta {
    Sqlite(crate::db::Db),
    Postgres(pg::PgMeta),
}

/// Calls the same method on whichever store this is.
macro_rules! dispatch {
    ($self:ident.$method:ident($($arg:expr),*)) => {
        match $self {
            Meta::Sqlite(db) => sqlite::$method(db, $($arg),*).await,
            Meta::Postgres(pg) => pg.$method($($arg),*).await,
        }
    };
}

impl Meta {
    pub async fn event(&self, id: &str) -> Result<Option<EventRow>, DbError> {
        dispatch!(self.event(id))
    }
    /// Creates an event with its first photographer token; `false` if the id is taken.
    pub async fn create_event(
        &self,
        id: &str,
        name: &str,
        token_hash: &str,
    ) -> Result<bool, DbError> {
        dispatch!(self.create_event(id, name, token_hash))
    }
    /// Stores a token's hash; `false` if there is no such event.
    pub async fn add_token(
        &self,
        kind: TokenKind,
        hash: &str,
        event: &str,
        participant: Option<&str>,
    ) -> Result<bool, DbError> {
        dispatch!(self.add_token(kind, hash, event, participant))
    }
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, DbError> {
        dispatch!(self.authenticate(token))
    }
    /// `None` if there is no such event.
    pub async fn list_tokens(&self, event: &str) -> Result<Option<Vec<TokenInfo>>, DbError> {
        dispatch!(self.list_tokens(event))
    }
    pub async fn revoke_token(&self, which: TokenRef<'_>) -> Result<Revoked, DbError> {
        dispatch!(self.revoke_token(which))
    }
    /// Records the selfie's image, adds (or replaces, consent given again) the
    /// participant and stores their attendee token; `false` if there is no such event.
    pub async fn add_participant(
        &self,
        event: &str,
        id: &str,
        name: &str,
        selfie: &NewImage,
        token_hash: &str,
    ) -> Result<bool, DbError> {
        dispatch!(self.add_participant(event, id, name, selfie, token_hash))
    }
    /// `false` if there is no such live participant.
    pub async fn set_consent(&self, event: &str, id: &str, consent: bool) -> Result<bool, DbError> {
        dispatch!(self.set_consent(event, id, consent))
    }
    /// Tombstones a live participant (tokens revoked, sessions deleted). `None`
    /// if there was none; else the selfie image they held.
    pub async fn remove_participant(
        &self,
        event: &str,
        id: &str,
    ) -> Result<Option<Option<String>>, DbError> {
        dispatch!(self.remove_participant(event, id))
    }
    /// Deletes an image (row and bytes) unless a selfie or rendition still
    /// references it; the bytes go before the row's deletion commits, so a failed
    /// delete leaves both. `true` if it was deleted.
    pub async fn forget_image_if_unused(
        &self,
        sha256: &str,
        images: &Images,
    ) -> Result<bool, RemovalError> {
        dispatch!(self.forget_image_if_unused(sha256, images))
    }
    /// Live participants of closed events whose retention ran out by `now_ms`:
    /// (event, participant), sorted.
    pub async fn expired_participants(
        &self,
        now_ms: i64,
    ) -> Result<Vec<(String, String)>, DbError> {
        dispatch!(self.expired_participants(now_ms))
    }
    /// Roster changes after cursor `since`, at most `limit`, oldest first; the new
    /// cursor and whether more follow. No change is ever skipped, whatever the
    /// number of concurrent writers (the cursor invariant).
    pub async fn participants_since(
        &self,
        event: &str,
        since: i64,
        limit: usize,
    ) -> Result<(Vec<Participant>, i64, bool), DbError> {
        dispatch!(self.participants_since(event, since, limit))
    }
    /// The selfie of a live, consenting participant.
    pub async fn selfie_sha(&self, event: &str, id: &str) -> Result<Option<String>, DbError> {
        dispatch!(self.selfie_sha(event, id))
    }
    /// A live participant's display name.
    pub async fn participant_name(&self, event: &str, id: &str) -> Result<Option<String>, DbError> {
        dispatch!(self.participant_name(event, id))
    }
    pub async fn image_type(&self, sha256: &str) -> Result<Option<String>, DbError> {
        dispatch!(self.image_type(sha256))
    }
    /// Records the image and points the photo's rendition at it; `true` if the
    /// photo had no such rendition before (HTTP 201).
    pub async fn put_rendition(
        &self,
        rendition: Rendition,
        event: &str,
        photo: &str,
        image: &NewImage,
    ) -> Result<bool, DbError> {
        dispatch!(self.put_rendition(rendition, event, photo, image))
    }
    /// Highest revision wins (see `photos::put_metadata`).
    pub async fn put_metadata(
        &self,
        event: &str,
        photo: &str,
        meta: &PhotoMetadata,
        revision: i64,
    ) -> Result<PutMetadataResponse, DbError> {
        dispatch!(self.put_metadata(event, photo, meta, revision))
    }
    pub async fn delete_photo(
        &self,
        event: &str,
        photo: &str,
        revision: Option<i64>,
    ) -> Result<DeletePhotoResponse, DbError> {
        dispatch!(self.delete_photo(event, photo, revision))
    }
    pub async fn photo_state(
        &self,
        event: &str,
        photo: &str,
    ) -> Result<Option<PhotoState>, DbError> {
        dispatch!(self.photo_state(event, photo))
    }
    pub async fn stats(&self, event: &str) -> Result<EventStats, DbError> {
        dispatch!(self.stats(event))
    }
    pub async fn my_photos(&self, event: &str, participant: &str) -> Result<Vec<MyPhoto>, DbError> {
        dispatch!(self.my_photos(event, participant))
    }
    pub async fn image_access(
        &self,
        who: &Principal,
        photo: &str,
        rendition: Rendition,
    ) -> Result<ImageAccess, DbError> {
        dispatch!(self.image_access(who, photo, rendition))
    }
    /// The image of a visible photo `participant` is matched in (grid rendition
    /// if asked and present).
    pub async fn guest_image(
        &self,
        event: &str,
        participant: &str,
        photo: &str,
        grid: bool,
    ) -> Result<Option<String>, DbError> {
        dispatch!(self.guest_image(event, participant, photo, grid))
    }
    pub async fn registration(&self, event: &str) -> Result<Option<Registration>, DbError> {
        dispatch!(self.registration(event))
    }
    /// Applies the set fields (validated by the caller); `None` if no such event.
    pub async fn update_registration(
        &self,
        event: &str,
        update: &RegistrationUpdate,
    ) -> Result<Option<Registration>, DbError> {
        dispatch!(self.update_registration(event, update))
    }
    pub async fn event_page(&self, event: &str) -> Result<Option<EventPage>, DbError> {
        dispatch!(self.event_page(event))
    }
    /// What the printed QR card shows.
    pub async fn card_text(&self, event: &str) -> Result<Option<CardText>, DbError> {
        dispatch!(self.card_text(event))
    }
    /// Records the selfie's image and a self-registered participant with a new
    /// personal-link token and session.
    pub async fn register_guest(
        &self,
        event: &str,
        name: &str,
        selfie: &NewImage,
    ) -> Result<Registered, DbError> {
        dispatch!(self.register_guest(event, name, selfie))
    }
    /// A new browser session for a participant; returns the cookie value.
    pub async fn new_session(&self, event: &str, participant: &str) -> Result<String, DbError> {
        dispatch!(self.new_session(event, participant))
    }
    /// Takes one token from the shared rate-limit bucket `key` at `now_ms`
    /// (`burst` tokens when new, refilled at `per_minute`, see `rate_buckets.rs`);
    /// `false` = refuse the request. Atomic across instances.
    pub async fn take_token(
        &self,
        key: &str,
        per_minute: u32,
        burst: u32,
        now_ms: i64,
    ) -> Result<bool, DbError> {
        dispatch!(self.take_token(key, per_minute, burst, now_ms))
    }
    /// The live participant a session cookie belongs to.
    pub async fn session_participant(
        &self,
        event: &str,
        cookie: &str,
    ) -> Result<Option<String>, DbError> {
        dispatch!(self.session_participant(event, cookie))
    }
    /// The participant a personal-link (attendee) token of this event names.
    pub async fn link_participant(
        &self,
        event: &str,
        token: &str,
    ) -> Result<Option<String>, DbError> {
        dispatch!(self.link_participant(event, token))
    }
}
