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

/// Extractor for the guest's address (never fails): the socket's peer, or,
/// when that peer is one of the configured trusted proxies, the address its
/// `X-Forwarded-For` names.
pub struct ClientAddr(pub IpAddr);

impl axum::extract::FromRequestParts<crate::AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = client_addr(&parts.extensions);
        Ok(Self(forwarded_for(
            peer,
            &parts.headers,
            &st.config.trusted_proxies,
        )))
    }
}

/// Behind trusted reverse proxies, the guest is the last `X-Forwarded-For` hop
/// that no trusted proxy added (hops further left could be typed by anyone).
/// From any other peer the header is ignored.
pub fn forwarded_for(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|hop| !trusted.contains(hop))
        .unwrap_or(peer)
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

    #[test]
    fn only_a_trusted_proxy_names_the_guest_and_only_its_own_hop_counts() {
        let proxy: IpAddr = [10, 0, 0, 5].into();
        let guest: IpAddr = [198, 51, 100, 7].into();
        let mut h = HeaderMap::new();
        // The guest typed a hop of their own; nginx appended the real address.
        h.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        assert_eq!(forwarded_for(proxy, &h, &[proxy]), guest);
        assert_eq!(
            forwarded_for(proxy, &h, &[]),
            proxy,
            "untrusted peer: header ignored"
        );
        let other: IpAddr = [192, 0, 2, 1].into();
        assert_eq!(forwarded_for(other, &h, &[proxy]), other);
        assert_eq!(forwarded_for(proxy, &HeaderMap::new(), &[proxy]), proxy);
        h.insert("x-forwarded-for", "198.51.100.7, 10.0.0.5".parse().unwrap());
        assert_eq!(
            forwarded_for(proxy, &h, &[proxy]),
            guest,
            "chained trusted proxies"
        );
    }
}
