//! [`Meta`](super::Meta) on PostgreSQL. STUB: being written (issue 18).

use findme_protocol::{
    DeletePhotoResponse, EventStats, MyPhoto, Participant, PhotoMetadata, PhotoState,
    PutMetadataResponse, Registration, RegistrationUpdate,
};

use super::{DatabaseUrl, Images, NewImage};
use crate::auth::{Principal, TokenKind};
use crate::card::CardText;
use crate::db::DbError;
use crate::guest::store::{EventPage, Registered};
use crate::photos::{ImageAccess, Rendition};
use crate::removal::RemovalError;
use crate::roster::EventRow;
use crate::tokens::{Revoked, TokenInfo, TokenRef};

/// A pool of connections to one PostgreSQL database.
#[derive(Clone)]
pub struct PgMeta {}

fn unbuilt<T>() -> Result<T, DbError> {
    Err(DbError::Postgres("PostgreSQL is not built yet".into()))
}

impl PgMeta {
    /// Connects and brings the schema up to date.
    pub async fn connect(_url: &DatabaseUrl) -> Result<Self, DbError> {
        unbuilt()
    }

    pub async fn event(&self, _id: &str) -> Result<Option<EventRow>, DbError> {
        unbuilt()
    }

    pub async fn create_event(
        &self,
        _id: &str,
        _name: &str,
        _token_hash: &str,
    ) -> Result<bool, DbError> {
        unbuilt()
    }

    pub async fn add_token(
        &self,
        _kind: TokenKind,
        _hash: &str,
        _event: &str,
        _participant: Option<&str>,
    ) -> Result<bool, DbError> {
        unbuilt()
    }

    pub async fn authenticate(&self, _token: &str) -> Result<Option<Principal>, DbError> {
        unbuilt()
    }

    pub async fn list_tokens(&self, _event: &str) -> Result<Option<Vec<TokenInfo>>, DbError> {
        unbuilt()
    }

    pub async fn revoke_token(&self, _which: TokenRef<'_>) -> Result<Revoked, DbError> {
        unbuilt()
    }

    pub async fn add_participant(
        &self,
        _event: &str,
        _id: &str,
        _name: &str,
        _selfie: &NewImage,
        _token_hash: &str,
    ) -> Result<bool, DbError> {
        unbuilt()
    }

    pub async fn set_consent(
        &self,
        _event: &str,
        _id: &str,
        _consent: bool,
    ) -> Result<bool, DbError> {
        unbuilt()
    }

    pub async fn remove_participant(
        &self,
        _event: &str,
        _id: &str,
    ) -> Result<Option<Option<String>>, DbError> {
        unbuilt()
    }

    pub async fn forget_image_if_unused(
        &self,
        _sha256: &str,
        _images: &Images,
    ) -> Result<bool, RemovalError> {
        Ok(unbuilt()?)
    }

    pub async fn expired_participants(
        &self,
        _now_ms: i64,
    ) -> Result<Vec<(String, String)>, DbError> {
        unbuilt()
    }

    pub async fn participants_since(
        &self,
        _event: &str,
        _since: i64,
        _limit: usize,
    ) -> Result<(Vec<Participant>, i64, bool), DbError> {
        unbuilt()
    }

    pub async fn selfie_sha(&self, _event: &str, _id: &str) -> Result<Option<String>, DbError> {
        unbuilt()
    }

    pub async fn participant_name(
        &self,
        _event: &str,
        _id: &str,
    ) -> Result<Option<String>, DbError> {
        unbuilt()
    }

    pub async fn image_type(&self, _sha256: &str) -> Result<Option<String>, DbError> {
        unbuilt()
    }

    pub async fn put_rendition(
        &self,
        _rendition: Rendition,
        _event: &str,
        _photo: &str,
        _image: &NewImage,
    ) -> Result<bool, DbError> {
        unbuilt()
    }

    pub async fn put_metadata(
        &self,
        _event: &str,
        _photo: &str,
        _meta: &PhotoMetadata,
        _revision: i64,
    ) -> Result<PutMetadataResponse, DbError> {
        unbuilt()
    }

    pub async fn delete_photo(
        &self,
        _event: &str,
        _photo: &str,
        _revision: Option<i64>,
    ) -> Result<DeletePhotoResponse, DbError> {
        unbuilt()
    }

    pub async fn photo_state(
        &self,
        _event: &str,
        _photo: &str,
    ) -> Result<Option<PhotoState>, DbError> {
        unbuilt()
    }

    pub async fn stats(&self, _event: &str) -> Result<EventStats, DbError> {
        unbuilt()
    }

    pub async fn my_photos(
        &self,
        _event: &str,
        _participant: &str,
    ) -> Result<Vec<MyPhoto>, DbError> {
        unbuilt()
    }

    pub async fn image_access(
        &self,
        _who: &Principal,
        _photo: &str,
        _rendition: Rendition,
    ) -> Result<ImageAccess, DbError> {
        unbuilt()
    }

    pub async fn guest_image(
        &self,
        _event: &str,
        _participant: &str,
        _photo: &str,
        _grid: bool,
    ) -> Result<Option<String>, DbError> {
        unbuilt()
    }

    pub async fn registration(&self, _event: &str) -> Result<Option<Registration>, DbError> {
        unbuilt()
    }

    pub async fn update_registration(
        &self,
        _event: &str,
        _update: &RegistrationUpdate,
    ) -> Result<Option<Registration>, DbError> {
        unbuilt()
    }

    pub async fn event_page(&self, _event: &str) -> Result<Option<EventPage>, DbError> {
        unbuilt()
    }

    pub async fn card_text(&self, _event: &str) -> Result<Option<CardText>, DbError> {
        unbuilt()
    }

    pub async fn register_guest(
        &self,
        _event: &str,
        _name: &str,
        _selfie: &NewImage,
    ) -> Result<Registered, DbError> {
        unbuilt()
    }

    pub async fn new_session(&self, _event: &str, _participant: &str) -> Result<String, DbError> {
        unbuilt()
    }

    pub async fn session_participant(
        &self,
        _event: &str,
        _cookie: &str,
    ) -> Result<Option<String>, DbError> {
        unbuilt()
    }

    pub async fn link_participant(
        &self,
        _event: &str,
        _token: &str,
    ) -> Result<Option<String>, DbError> {
        unbuilt()
    }
}
