//! The `thumb` URI scheme: cached thumbnails and previews for `<img>` tags.
//!
//! URL: `thumb://localhost/<sha256>/<thumb|preview>` (Windows and Android:
//! `http://thumb.localhost/<sha256>/<thumb|preview>`). The UI builds it as
//! `convertFileSrc(sha256, 'thumb') + '/' + kind`: `convertFileSrc` percent-encodes
//! a `/`, and this handler refuses encoded separators. A participant's selfie, as
//! a small JPEG the engine makes, is `thumb://localhost/selfie/<event>/<participant>`
//! (never cached: a selfie can be replaced or deleted under the same URL).
//!
//! The request comes from the webview, so it is parsed strictly before the engine is
//! asked for anything: exactly two path segments, no percent-encoding at all (a
//! well-formed request never needs it), no backslashes, no query, a sha256 of 64
//! lower-case hex digits and a known kind (or `selfie` and an event and a
//! participant id by their rules). Everything else is a 4xx. [`respond`] is
//! pure request -> response logic over a [`RenditionSource`] so it is tested without
//! a window; `main.rs` only moves it off the main thread.

use std::future::Future;

use findme_engine::{Engine, EventId, ParticipantId, PhotoKey, RenditionError, RenditionKind};
use tauri::http::{header, Method, Request, Response, StatusCode};

/// Name of the scheme (`thumb://` / `http://thumb.localhost`).
pub const SCHEME: &str = "thumb";

/// Where rendition bytes come from: the engine, or a fake in tests.
pub trait RenditionSource: Send + Sync {
    fn rendition(
        &self,
        key: &PhotoKey,
        kind: RenditionKind,
    ) -> impl Future<Output = Result<Vec<u8>, RenditionError>> + Send;

    /// A small JPEG of a participant's selfie.
    fn selfie(
        &self,
        event: &EventId,
        participant: &ParticipantId,
    ) -> impl Future<Output = Result<Vec<u8>, RenditionError>> + Send;
}

impl RenditionSource for Engine {
    fn rendition(
        &self,
        key: &PhotoKey,
        kind: RenditionKind,
    ) -> impl Future<Output = Result<Vec<u8>, RenditionError>> + Send {
        Engine::rendition(self, key, kind)
    }

    fn selfie(
        &self,
        event: &EventId,
        participant: &ParticipantId,
    ) -> impl Future<Output = Result<Vec<u8>, RenditionError>> + Send {
        Engine::selfie_thumbnail(self, event, participant)
    }
}

/// A request that passed validation: the URI parsed into the domain's types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// A photo's cached thumbnail or preview.
    Rendition { key: PhotoKey, kind: RenditionKind },
    /// A participant's selfie.
    Selfie {
        event: EventId,
        participant: ParticipantId,
    },
}

/// Why a request is refused before the engine is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 405: only GET.
    Method,
    /// 400, with a short reason.
    Malformed(&'static str),
}

/// Validates the method and the URI (path and query) of a request.
pub fn parse<T>(request: &Request<T>) -> Result<Wanted, Refusal> {
    if request.method() != Method::GET {
        return Err(Refusal::Method);
    }
    if request.uri().query().is_some() {
        return Err(Refusal::Malformed("no query string is allowed"));
    }
    parse_path(request.uri().path())
}

/// `/<sha256>/<kind>` or `/selfie/<event>/<participant>`, strictly.
pub fn parse_path(path: &str) -> Result<Wanted, Refusal> {
    if path.contains('%') {
        return Err(Refusal::Malformed("percent-encoding is not allowed"));
    }
    if path.contains('\\') {
        return Err(Refusal::Malformed("backslashes are not allowed"));
    }
    let rest = path
        .strip_prefix('/')
        .ok_or(Refusal::Malformed("the path must start with /"))?;
    let mut segments = rest.split('/');
    if let Some(selfie) = rest.strip_prefix("selfie/") {
        let mut ids = selfie.split('/');
        let (Some(event), Some(participant), None) = (ids.next(), ids.next(), ids.next()) else {
            return Err(Refusal::Malformed("expected /selfie/<event>/<participant>"));
        };
        return Ok(Wanted::Selfie {
            event: EventId::parse(event).map_err(|_| Refusal::Malformed("not an event id"))?,
            participant: ParticipantId::parse(participant)
                .map_err(|_| Refusal::Malformed("not a participant id"))?,
        });
    }
    let (Some(key), Some(kind), None) = (segments.next(), segments.next(), segments.next()) else {
        return Err(Refusal::Malformed("expected /<sha256>/<thumb|preview>"));
    };
    let key = PhotoKey::parse(key)
        .map_err(|_| Refusal::Malformed("not a sha256 (64 lower-case hex digits)"))?;
    let kind = kind
        .parse()
        .map_err(|_| Refusal::Malformed("unknown rendition kind"))?;
    Ok(Wanted::Rendition { key, kind })
}

/// The whole protocol: a request in, a response out.
pub async fn respond<S: RenditionSource, T>(source: &S, request: &Request<T>) -> Response<Vec<u8>> {
    let wanted = match parse(request) {
        Ok(wanted) => wanted,
        Err(Refusal::Method) => {
            return Response::builder()
                .status(StatusCode::METHOD_NOT_ALLOWED)
                .header(header::ALLOW, "GET")
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(b"only GET".to_vec())
                .expect("static response");
        }
        Err(Refusal::Malformed(reason)) => return text(StatusCode::BAD_REQUEST, reason),
    };
    let (answer, caching) = match &wanted {
        // Content-addressed: these bytes never change for this URL.
        Wanted::Rendition { key, kind } => (
            source.rendition(key, *kind).await,
            "public, max-age=31536000, immutable",
        ),
        Wanted::Selfie { event, participant } => {
            (source.selfie(event, participant).await, "no-store")
        }
    };
    match answer {
        Ok(jpeg) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "image/jpeg")
            .header(header::CACHE_CONTROL, caching)
            .header("X-Content-Type-Options", "nosniff")
            .body(jpeg)
            .expect("static response"),
        Err(RenditionError::NotFound(reason)) => text(StatusCode::NOT_FOUND, &reason),
        Err(RenditionError::Internal(reason)) => {
            tracing::warn!(wanted = ?wanted, "thumbnail protocol: {reason}");
            text(StatusCode::INTERNAL_SERVER_ERROR, &reason)
        }
    }
}

/// 503 while the engine is not there (it failed to open; the app is closing).
pub fn unavailable() -> Response<Vec<u8>> {
    text(StatusCode::SERVICE_UNAVAILABLE, "the catalog is not open")
}

fn text(status: StatusCode, body: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body.as_bytes().to_vec())
        .expect("static response")
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
