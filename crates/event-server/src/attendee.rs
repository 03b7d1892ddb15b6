//! The attendee side: `GET /api/v1/my-photos`, photo images, and the HTML page.
//!
//! An `<img>` cannot send an `Authorization` header, so the page and the image
//! endpoint also accept `?token=` (only these two). The page sets
//! `Referrer-Policy: no-referrer` so the token does not leak to other sites, and the
//! request log never records query strings.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use findme_protocol::{EventRef, MyPhotos, ParticipantRef, QUERY_TOKEN};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{check_sha, principal, Params};
use crate::photos::{self, ImageAccess};
use crate::{roster, AppState};

/// The attendee's photos, or the error (403 for a photographer token).
async fn load_my_photos(st: &AppState, who: Principal) -> Result<MyPhotos, ApiError> {
    let Principal::Attendee { event, participant } = who else {
        return Err(ApiError::forbidden(
            "my-photos needs an attendee token (this is a photographer token)",
        ));
    };
    let answer = st
        .db
        .call(move |c| {
            let ev = roster::event(c, &event)?;
            let name = roster::participant_name(c, &event, &participant)?;
            let list = photos::my_photos(c, &event, &participant)?;
            Ok((ev, name, list, event, participant))
        })
        .await?;
    let (Some(ev), Some(name), list, _, participant) = answer else {
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
    let access = st
        .db
        .call(move |c| photos::image_access(c, &who, &sha, size))
        .await?;
    match access {
        ImageAccess::Allowed(image) => crate::api::serve_image(&st, image).await,
        ImageAccess::Forbidden => Err(ApiError::forbidden("you are not in this photo")),
        ImageAccess::NotFound => Err(ApiError::not_found("no such photo")),
    }
}

/// `GET /?token=…`: a server-rendered "my photos" grid.
pub async fn page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let token = q.get(QUERY_TOKEN).map(String::as_str);
    let result = match principal(&st, &headers, token).await {
        Ok(who) => load_my_photos(&st, who).await,
        Err(e) => Err(e),
    };
    let (status, body) = match (result, token) {
        (Ok(mine), Some(token)) => (StatusCode::OK, render(&mine, token)),
        (Ok(_), None) => (
            StatusCode::BAD_REQUEST,
            message_page("Open the personal link you were given (it ends in ?token=…)."),
        ),
        (Err(e), _) if e.status == StatusCode::UNAUTHORIZED => (
            e.status,
            message_page("This link is not valid (any more). Ask the photographer for a new one."),
        ),
        (Err(e), _) => (e.status, message_page(&e.message)),
    };
    (
        status,
        [
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(body),
    )
        .into_response()
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

/// Percent-encodes a query value (tokens are plain, but nothing is assumed).
fn encode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const STYLE: &str =
    "body{font-family:system-ui,sans-serif;margin:2rem;background:#fafafa;color:#222}\
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}\
.grid a img{width:100%;height:220px;object-fit:cover;border-radius:6px;background:#ddd}";

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\"><title>{}</title><style>{STYLE}</style></head>\
<body>{body}</body></html>",
        escape_html(title)
    )
}

fn message_page(message: &str) -> String {
    shell(
        "FindMe",
        &format!("<h1>FindMe</h1><p>{}</p>", escape_html(message)),
    )
}

fn render(mine: &MyPhotos, token: &str) -> String {
    let mut body = format!(
        "<h1>{}</h1><p>Hello {} — {} photo{} of you.</p><div class=\"grid\">",
        escape_html(&mine.event.name),
        escape_html(&mine.participant.display_name),
        mine.photos.len(),
        if mine.photos.len() == 1 { "" } else { "s" },
    );
    let token = encode_query(token);
    for p in &mine.photos {
        let with_token = |url: &str| {
            let sep = if url.contains('?') { '&' } else { '?' };
            escape_html(&format!("{url}{sep}{QUERY_TOKEN}={token}"))
        };
        // The grid shows the small rendition; the link opens the web one.
        let href = with_token(&p.image_url);
        let src = with_token(p.grid_url.as_deref().unwrap_or(&p.image_url));
        let alt = escape_html(p.captured_at.as_deref().unwrap_or("photo"));
        let _ = write!(
            body,
            "<a href=\"{href}\" target=\"_blank\" rel=\"noreferrer\"><img src=\"{src}\" alt=\"{alt}\" loading=\"lazy\"></a>"
        );
    }
    body.push_str("</div>");
    shell(&mine.event.name, &body)
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
        assert_eq!(encode_query("a b&c"), "a%20b%26c");
    }
}
