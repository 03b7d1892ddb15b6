//! The request paths of protocol v1, built in one place so the client, the server's
//! router and the OpenAPI check cannot drift apart.
//!
//! Builders take already-validated ids (see [`crate::is_valid_id`] and
//! [`crate::is_valid_sha256`]); they never escape anything because nothing that
//! needs escaping is a valid id.

/// Prefix of every API path.
pub const API_PREFIX: &str = "/api/v1";

/// Router templates (axum 0.8 `{param}` syntax, identical to OpenAPI's), with the
/// HTTP methods each one answers. The `openapi` test asserts each appears in
/// `docs/api/openapi.yaml`.
pub const ROUTES: &[(&str, &[&str])] = &[
    (EVENT, &["get"]),
    (PARTICIPANTS, &["get"]),
    (SELFIE, &["get"]),
    (PHOTO, &["get", "put", "delete"]),
    (PHOTO_IMAGE, &["put"]),
    (PHOTO_GRID_IMAGE, &["put"]),
    (STATS, &["get"]),
    (REGISTRATION, &["get", "put"]),
    (REGISTRATION_CARD, &["get"]),
    (MY_PHOTOS, &["get"]),
    (PUBLIC_PHOTO_IMAGE, &["get"]),
];

/// `GET` event info (checks the connection and the token).
pub const EVENT: &str = "/api/v1/events/{event}";
/// `GET` roster delta (`?since=<cursor>`).
pub const PARTICIPANTS: &str = "/api/v1/events/{event}/participants";
/// `GET` a participant's selfie (photographer token); the roster's `selfie_url`.
pub const SELFIE: &str = "/api/v1/events/{event}/participants/{participant}/selfie";
/// `PUT` metadata, `DELETE` (withdraw), `GET` current state of a photo.
pub const PHOTO: &str = "/api/v1/events/{event}/photos/{sha256}";
/// `PUT` the web rendition of a photo.
pub const PHOTO_IMAGE: &str = "/api/v1/events/{event}/photos/{sha256}/image";
/// `GET` event statistics (photographer token).
pub const STATS: &str = "/api/v1/events/{event}/stats";
/// `PUT` the ~480 px grid rendition of a photo (same headers and rules as
/// [`PHOTO_IMAGE`]). A server without it answers 404: the app then sends only the
/// web rendition.
pub const PHOTO_GRID_IMAGE: &str = "/api/v1/events/{event}/photos/{sha256}/grid";
/// `GET`/`PUT` the event's guest registration (photographer token).
pub const REGISTRATION: &str = "/api/v1/events/{event}/registration";
/// `GET` the printable registration card (HTML, `?size=a6|a4`; photographer token).
pub const REGISTRATION_CARD: &str = "/api/v1/events/{event}/registration/card";
/// The guests' registration page (HTML, not part of the API).
pub const GUEST_PAGE: &str = "/e/{event}";
/// `GET` the attendee's own photos (attendee token).
pub const MY_PHOTOS: &str = "/api/v1/my-photos";
/// `GET` a photo's web rendition (photographer of its event, or a matched attendee);
/// with `?size=grid` its grid rendition (the web one when the app sent none).
pub const PUBLIC_PHOTO_IMAGE: &str = "/api/v1/photos/{sha256}/image";

/// `/api/v1/events/{event}`
pub fn event(event: &str) -> String {
    format!("{API_PREFIX}/events/{event}")
}

/// `/api/v1/events/{event}/participants`
pub fn participants(event: &str) -> String {
    format!("{API_PREFIX}/events/{event}/participants")
}

/// `/api/v1/events/{event}/participants/{participant}/selfie`
pub fn selfie(event: &str, participant: &str) -> String {
    format!("{API_PREFIX}/events/{event}/participants/{participant}/selfie")
}

/// `/api/v1/events/{event}/photos/{sha256}`
pub fn photo(event: &str, sha256: &str) -> String {
    format!("{API_PREFIX}/events/{event}/photos/{sha256}")
}

/// `/api/v1/events/{event}/photos/{sha256}/image`
pub fn photo_image(event: &str, sha256: &str) -> String {
    format!("{API_PREFIX}/events/{event}/photos/{sha256}/image")
}

/// `/api/v1/events/{event}/stats`
pub fn stats(event: &str) -> String {
    format!("{API_PREFIX}/events/{event}/stats")
}

/// `/api/v1/events/{event}/photos/{sha256}/grid`
pub fn photo_grid_image(event: &str, sha256: &str) -> String {
    format!("{API_PREFIX}/events/{event}/photos/{sha256}/grid")
}

/// `/api/v1/events/{event}/registration`
pub fn registration(event: &str) -> String {
    format!("{API_PREFIX}/events/{event}/registration")
}

/// `/api/v1/events/{event}/registration/card`
pub fn registration_card(event: &str) -> String {
    format!("{API_PREFIX}/events/{event}/registration/card")
}

/// `/e/{event}`: the guests' registration page.
pub fn guest_page(event: &str) -> String {
    format!("/e/{event}")
}

/// `/api/v1/my-photos`
pub fn my_photos() -> String {
    MY_PHOTOS.to_string()
}

/// `/api/v1/photos/{sha256}/image`
pub fn public_photo_image(sha256: &str) -> String {
    format!("{API_PREFIX}/photos/{sha256}/image")
}

/// `/api/v1/photos/{sha256}/image?size=grid`: a photo's grid rendition (the
/// `MyPhoto.grid_url` the server lists).
pub fn public_photo_grid_image(sha256: &str) -> String {
    format!(
        "{}?{}={}",
        public_photo_image(sha256),
        crate::QUERY_SIZE,
        crate::SIZE_GRID
    )
}
