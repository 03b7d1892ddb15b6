//! The attendee side of protocol v1: `GET /api/v1/my-photos`, photo images, and
//! the personal link `/?token=` (exchanged for the guest pages' session).
//!
//! An `<img>` cannot send an `Authorization` header, so the page and the image
//! endpoint also accept `?token=` (only these two). The page sets
//! `Referrer-Policy: no-referrer` so the token does not leak to other sites, and the
//! request log never records query strings.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use findme_protocol::{EventRef, MyPhotos, ParticipantRef, QUERY_TOKEN};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{check_sha, principal, Params};
use crate::photos::ImageAccess;
use crate::AppState;

/// The attendee's photos, or the error (403 for a photographer token).
async fn load_my_photos(st: &AppState, who: Principal) -> Result<MyPhotos, ApiError> {
    let Principal::Attendee { event, participant } = who else {
        return Err(ApiError::forbidden(
            "my-photos needs an attendee token (this is a photographer token)",
        ));
    };
    let ev = st.meta.event(&event).await?;
    let name = st.meta.participant_name(&event, &participant).await?;
    let list = st.meta.my_photos(&event, &participant).await?;
    let (Some(ev), Some(name)) = (ev, name) else {
        return Err(ApiError::unauthorized("unknown or revoked token"));
    };
    Ok(MyPhotos {
        event: EventRef {
            id: ev.id,
            name: ev.name,
        },
        participant: ParticipantRef {
            id: participant,
            display_name: name,
        },
        photos: list,
    })
}

/// `GET /api/v1/my-photos` (attendee token in the header).
pub async fn my_photos(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let who = principal(&st, &headers, None).await?;
    Ok(Json(load_my_photos(&st, who).await?).into_response())
}

/// `GET /api/v1/photos/{sha256}/image[?token=][&size=grid]`: the photographer of
/// the photo's event, or an attendee matched in the (visible) photo; `size=grid`
/// serves the grid rendition when there is one, else the web rendition.
pub async fn photo_image(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params(sha): Params<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let who = principal(&st, &headers, q.get(QUERY_TOKEN).map(String::as_str)).await?;
    check_sha(&sha)?;
    let size = crate::grid::requested_size(&q)?;
    let access = st.meta.image_access(&who, &sha, size).await?;
    match access {
        ImageAccess::Allowed(image) => crate::api::serve_image(&st, image).await,
        ImageAccess::Forbidden => Err(ApiError::forbidden("you are not in this photo")),
        ImageAccess::NotFound => Err(ApiError::not_found("no such photo")),
    }
}

/// `GET /?token=…`: the personal link of protocol v1. The token is exchanged for
/// the event's guest session (cookie) and the browser goes on to `/e/{event}/me`,
/// so the token leaves the address bar and never appears in an image URL.
pub async fn page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let token = q.get(QUERY_TOKEN).map(String::as_str);
    let who = match token {
        Some(_) => principal(&st, &headers, token).await,
        None => Err(ApiError::bad_request("no token")),
    };
    let (status, text) = match who {
        Ok(Principal::Attendee { event, participant }) => {
            match st.meta.new_session(&event, &participant).await {
                Ok(cookie) => {
                    let mut r = StatusCode::SEE_OTHER.into_response();
                    let h = r.headers_mut();
                    if let Ok(to) = header::HeaderValue::from_str(&format!("/e/{event}/me")) {
                        h.insert(header::LOCATION, to);
                    }
                    h.insert(
                        header::SET_COOKIE,
                        crate::guest::set_session_cookie(&event, &cookie),
                    );
                    h.insert(
                        header::CACHE_CONTROL,
                        header::HeaderValue::from_static("no-store"),
                    );
                    h.insert(
                        header::REFERRER_POLICY,
                        header::HeaderValue::from_static("no-referrer"),
                    );
                    return r;
                }
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
        Ok(Principal::Photographer { .. }) => (
            StatusCode::FORBIDDEN,
            "This is a photographer token: open the event in FindMe Studio instead.",
        ),
        Err(e) if e.status == StatusCode::UNAUTHORIZED => (
            StatusCode::UNAUTHORIZED,
            "This link is not valid (any more). Ask the photographer for a new one.",
        ),
        Err(_) => (
            StatusCode::BAD_REQUEST,
            "Open the personal link you were given, or scan the event's QR code.",
        ),
    };
    crate::guest::html(status, crate::guest::pages::message("FindMe", text))
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_matters() {
        assert_eq!(
            escape_html(r#"<script>alert("x&'y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;&#39;y&quot;)&lt;/script&gt;"
        );
    }
}
