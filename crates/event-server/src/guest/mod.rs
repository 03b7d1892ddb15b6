//! The guests' side: the registration page `/e/{event}`, the guest's own page
//! `/e/{event}/me` (cookie session), their images, the zip of all, withdrawal.
//! docs/event-server.md, "Guests", says what each route does and why.
//!
//! Pages are server-rendered HTML with one static script and stylesheet
//! (`/static/…`), so the Content-Security-Policy allows no inline code at all.
//! Every string from the database is HTML-escaped
//! ([`crate::attendee::escape_html`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub mod limit;
pub(crate) mod me;
pub(crate) mod pages;
mod register;
pub mod selfie;
pub mod store;
mod zip;

/// The session cookie's name; its `Path` is the event's `/e/{event}`, so a guest
/// registered at two events on one server has one session per event.
pub const SESSION_COOKIE: &str = "fm_session";

/// Routes under `/e/{event}` and `/static`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/e/{event}", get(register::page))
        .route(
            "/e/{event}/register",
            post(register::submit).layer(axum::extract::DefaultBodyLimit::max(
                selfie::MAX_SELFIE_BYTES + (1 << 20),
            )),
        )
        .route("/e/{event}/me", get(me::page))
        .route("/e/{event}/me/photos.json", get(me::photos_json))
        .route("/e/{event}/me/photos.zip", get(zip::all_photos))
        .route("/e/{event}/me/img/{sha256}", get(me::image))
        .route("/e/{event}/me/link", post(me::link))
        .route("/e/{event}/me/withdraw", post(me::withdraw))
        .route("/static/guest.js", get(script))
        .route("/static/guest.css", get(style))
}

/// The pages' policy: scripts and styles only from this server's `/static`, no
/// framing, forms only to this server.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; \
frame-ancestors 'none'; base-uri 'none'";

/// An HTML page with the guest pages' security headers; never cached (it shows
/// what the guest may see now).
pub fn html(status: StatusCode, body: String) -> Response {
    let mut resp = (status, Html(body)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

/// The client's address for rate limits (the socket's peer; unknown when the
/// server was not started with connection info, e.g. some embedders).
pub fn client_addr(req_headers_ext: &axum::http::Extensions) -> IpAddr {
    req_headers_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Extractor for the client address (never fails).
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(client_addr(&parts.extensions)))
    }
}

/// The session cookie's value, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a new session: HttpOnly (no script reads it), Secure (only
/// over HTTPS; browsers accept it from http://localhost for tests), SameSite=Lax
/// (no cross-site POST carries it), scoped to the event's pages, 180 days.
pub fn set_session_cookie(event: &str, value: &str) -> HeaderValue {
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/e/{event}; Max-Age=15552000; HttpOnly; Secure; SameSite=Lax"
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(event: &str) -> HeaderValue {
    let cookie =
        format!("{SESSION_COOKIE}=; Path=/e/{event}; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A POST from another site is refused even if a browser sent the cookie (SameSite
/// already stops that; this covers old browsers). Browsers say where a request
/// comes from in `Sec-Fetch-Site`; without it, a real `Origin` must be this host.
/// (`Origin: null` is what a form POST sends under `Referrer-Policy: no-referrer`.)
pub fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    let origin = match text(header::ORIGIN.as_str()) {
        None | Some("null") => return true,
        Some(o) => o,
    };
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    matches!((origin_host, text(header::HOST.as_str())), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// Whether the client asked for JSON (the page's script) rather than a page.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

async fn script() -> Response {
    asset(
        include_str!("../../assets/guest.js"),
        "text/javascript; charset=utf-8",
    )
}

async fn style() -> Response {
    asset(
        include_str!("../../assets/guest.css"),
        "text/css; charset=utf-8",
    )
}

fn asset(body: &'static str, ctype: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_posts_are_told_apart() {
        assert!(same_origin(&headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "null")
        ])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(same_origin(&headers(&[
            ("origin", "http://h:1"),
            ("host", "h:1")
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "http://evil"),
            ("host", "h:1")
        ])));
        assert!(same_origin(&headers(&[("host", "h:1")])));
    }
}
