//! The guest's own page `/e/{event}/me` and what hangs off it: the photo list
//! for live updates, images, a fresh personal link, and withdrawal. Everything is
//! authorised by the session cookie; a personal link's token is exchanged for a
//! cookie once and never appears in an image URL.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use findme_protocol::{is_valid_sha256, MyPhoto};

use super::limit::Limit;
use super::register::load_event;
use super::store::EventPage;
use super::{clear_session_cookie, html, pages, session_cookie, set_session_cookie, ClientAddr};
use crate::error::ApiError;
use crate::extract::Params;
use crate::AppState;

/// The guest behind the request's session cookie, or the page/answer to send
/// instead. Unknown cookies count against the address's lookup limit.
pub(super) async fn session_guest(
    st: &AppState,
    addr: std::net::IpAddr,
    headers: &HeaderMap,
    event: &str,
) -> Result<String, Response> {
    let none = || {
        html(
            StatusCode::UNAUTHORIZED,
            pages::message(
                "Your photos",
                "Open the personal link you were given, or register on the event's page first.",
            ),
        )
    };
    let Some(cookie) = session_cookie(headers) else {
        return Err(none());
    };
    match st.meta.session_participant(event, &cookie).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => {
            if !st.guest_limits.allow(&st.meta, Limit::Lookup, addr).await {
                return Err(too_many());
            }
            Err(none())
        }
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// A guest's POST: from this site, for an event that exists, with a session.
async fn guest_post(
    st: &AppState,
    addr: std::net::IpAddr,
    headers: &HeaderMap,
    event: &str,
) -> Result<(EventPage, String), Response> {
    if !super::same_origin(headers) {
        return Err(ApiError::forbidden("cross-site request").into_response());
    }
    let ev = load_event(st, event).await?;
    let participant = session_guest(st, addr, headers, event).await?;
    Ok((ev, participant))
}

/// What the guest sees may change at any moment (withdrawal, unpublishing): the
/// browser keeps a copy but asks again each time, by ETag.
fn revalidate(resp: &mut Response, etag: &str) {
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
}

fn too_many() -> Response {
    html(
        StatusCode::TOO_MANY_REQUESTS,
        pages::message(
            "Please wait",
            "Too many attempts from your network. Please wait a minute.",
        ),
    )
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The guest's name and photos (newest first).
async fn load(
    st: &AppState,
    event: &str,
    participant: &str,
) -> Result<(String, Vec<MyPhoto>), Response> {
    let loaded = async {
        let name = st.meta.participant_name(event, participant).await?;
        let list = st.meta.my_photos(event, participant).await?;
        Ok::<_, crate::db::DbError>((name, list))
    }
    .await;
    match loaded {
        Ok((Some(name), list)) => Ok((name, list)),
        Ok((None, _)) => Err(html(
            StatusCode::UNAUTHORIZED,
            pages::message("Your photos", "This registration was deleted."),
        )),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// `GET /e/{event}/me[?k=<personal link token>]`.
pub async fn page(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Params(event): Params<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let ev = match load_event(&st, &event).await {
        Ok(ev) => ev,
        Err(resp) => return resp,
    };
    if let Some(token) = q.get("k") {
        return exchange(&st, addr, &ev, token.clone()).await;
    }
    let participant = match session_guest(&st, addr, &headers, &event).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    match load(&st, &event, &participant).await {
        Ok((name, list)) => html(
            StatusCode::OK,
            pages::my_photos(&event, &ev.name, &name, &list),
        ),
        Err(resp) => resp,
    }
}

/// A personal link: its token becomes a session cookie and the address bar loses
/// it (303 to the plain page).
async fn exchange(
    st: &AppState,
    addr: std::net::IpAddr,
    ev: &EventPage,
    token: String,
) -> Response {
    if !st.guest_limits.allow(&st.meta, Limit::Lookup, addr).await {
        return too_many();
    }
    let session = match st.meta.link_participant(&ev.id, &token).await {
        Ok(Some(p)) => st.meta.new_session(&ev.id, &p).await.map(Some),
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    match session {
        Ok(Some(cookie)) => {
            let mut r = redirect(&format!("/e/{}/me", ev.id));
            r.headers_mut()
                .insert(header::SET_COOKIE, set_session_cookie(&ev.id, &cookie));
            r
        }
        Ok(None) => html(
            StatusCode::UNAUTHORIZED,
            pages::message(
                "Your photos",
                "This link is not valid (any more). Register again on the event's page, or ask the photographer.",
            ),
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /e/{event}/me/photos.json`: the list the page's script polls. Answers
/// 304 while nothing changed (`If-None-Match`), so a thousand open phones cost a
/// query each, not a page each.
pub async fn photos_json(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Params(event): Params<String>,
) -> Response {
    let participant = match session_guest(&st, addr, &headers, &event).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    // The session lookup already found a live guest: only the list is needed.
    let list = match st.meta.my_photos(&event, &participant).await {
        Ok(list) => list,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let items: Vec<serde_json::Value> = list
        .iter()
        .map(|p| {
            serde_json::json!({
                "sha256": p.sha256,
                "grid": pages::image_path(&event, &p.sha256, true),
                "full": pages::image_path(&event, &p.sha256, false),
                "captured_at": p.captured_at,
                "width": p.width,
                "height": p.height,
            })
        })
        .collect();
    let body = serde_json::json!({ "photos": items });
    let etag = format!(
        "\"{}\"",
        &findme_protocol::sha256_hex(body.to_string().as_bytes())[..32]
    );
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Json(body).into_response()
    };
    revalidate(&mut resp, &etag);
    resp
}

/// `GET /e/{event}/me/img/{sha256}[?size=grid][&download=1]`: only visible photos
/// the guest is matched in. `no-cache` + ETag: the browser revalidates every time,
/// so a withdrawal or unpublishing takes effect at once (304s stay cheap).
pub async fn image(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Params((event, sha)): Params<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !is_valid_sha256(&sha) {
        return ApiError::not_found("no such photo").into_response();
    }
    let participant = match session_guest(&st, addr, &headers, &event).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let grid = q.get("size").is_some_and(|s| s == "grid");
    let image = match st.meta.guest_image(&event, &participant, &sha, grid).await {
        Ok(Some(image)) => image,
        Ok(None) => return ApiError::not_found("no such photo").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let etag = format!("\"{image}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        revalidate(&mut r, &etag);
        return r;
    }
    let mut resp = match crate::api::serve_image(&st, image).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    revalidate(&mut resp, &etag);
    let h = resp.headers_mut();
    if q.get("download").is_some_and(|d| d == "1") {
        let name = format!("attachment; filename=\"{event}-{}.jpg\"", &sha[..12]);
        if let Ok(v) = HeaderValue::from_str(&name) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    resp
}

/// `POST /e/{event}/me/link`: a fresh personal link for another device.
pub async fn link(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Params(event): Params<String>,
) -> Response {
    let (ev, participant) = match guest_post(&st, addr, &headers, &event).await {
        Ok(found) => found,
        Err(resp) => return resp,
    };
    let (token, hash) = crate::auth::new_token(crate::auth::TokenKind::Attendee);
    match st
        .meta
        .add_token(
            crate::auth::TokenKind::Attendee,
            &hash,
            &event,
            Some(&participant),
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => return ApiError::not_found("no such event").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let path = format!("/e/{event}/me?k={token}");
    if super::wants_json(&headers) {
        let mut r = Json(serde_json::json!({ "link_path": path })).into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return r;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    html(
        StatusCode::OK,
        pages::personal_link(&ev.name, &format!("{}{path}", base(host, &headers))),
    )
}

/// `https://host`, or `http://` for a loopback server (the app refuses plain
/// HTTP elsewhere) unless a proxy says which scheme the guest used.
pub(crate) fn base(host: &str, headers: &HeaderMap) -> String {
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "http" || *p == "https");
    let loopback =
        host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]");
    let scheme = proto.unwrap_or(if loopback { "http" } else { "https" });
    format!("{scheme}://{host}")
}

/// `POST /e/{event}/me/withdraw`: without `confirm=yes` the confirmation page;
/// with it, the guest's data goes at once: tombstone in the roster (the app then
/// deletes their faces and matches), tokens revoked, sessions and selfie bytes
/// deleted, cookie cleared.
pub async fn withdraw(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Params(event): Params<String>,
    body: String,
) -> Response {
    let (ev, participant) = match guest_post(&st, addr, &headers, &event).await {
        Ok(found) => found,
        Err(resp) => return resp,
    };
    let confirmed = body.split('&').any(|kv| kv == "confirm=yes");
    if !confirmed {
        return html(StatusCode::OK, pages::confirm_withdraw(&event, &ev.name));
    }
    let removed =
        crate::removal::remove_participant(&st.meta, &st.images, &event, &participant).await;
    match removed {
        Ok(_) => {}
        // The guest is off the list; only the file lingers: say so in the log,
        // the guest's answer stays the same (the bytes are no longer served).
        Err(crate::removal::RemovalError::Image { sha256, source }) => {
            tracing::error!(event = %event, image = %sha256, error = %source, "withdrawn guest's selfie file not deleted");
        }
        Err(crate::removal::RemovalError::Db(e)) => return ApiError::from(e).into_response(),
    }
    tracing::info!(event = %event, participant = %participant, "guest withdrew");
    let mut resp = html(
        StatusCode::OK,
        pages::message(
            "Your data was deleted",
            "Your selfie and face template are deleted and you are off the guest list. \
The photographer's app deletes what it found of you the next time it connects.",
        ),
    );
    resp.headers_mut()
        .insert(header::SET_COOKIE, clear_session_cookie(&event));
    resp
}
