//! `EventClient`: protocol v1 over HTTP(S) with reqwest (rustls, no OpenSSL).
//!
//! One client per (server, token). Every method is one request, never retried here:
//! the caller's outbox owns retries and backoff, guided by [`ClientError`]'s variant.

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::ClientError;
use crate::types::*;
use crate::{is_valid_id, is_valid_sha256, paths, sha256_hex, HEADER_CONTENT_SHA256};

/// A bearer token. Its `Debug` and `Display` never show the secret, so it can sit in
/// structs that are logged or printed in panics.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself; call only where it must leave the process (the header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What became of a grid rendition PUT.
#[derive(Debug, Clone, PartialEq)]
pub enum GridOutcome {
    /// The server holds it (201 the first time, 200 after).
    Stored(PutImageResponse),
    /// The server has no grid endpoint (an older v1 server answered 404): it serves
    /// the web rendition in grids instead.
    Unsupported,
}

/// Default per-request timeout (whole request, including the body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time allowed to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A protocol v1 client bound to one server and one token. Cheap to clone (the
/// connection pool is shared).
#[derive(Clone)]
pub struct EventClient {
    http: reqwest::Client,
    /// Scheme + host (+ optional path prefix), without a trailing slash.
    base: String,
    token: Token,
    timeout: Duration,
}

impl fmt::Debug for EventClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventClient")
            .field("base", &self.base)
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl EventClient {
    /// A client for `base_url` (e.g. `https://events.example.com` or
    /// `http://127.0.0.1:8787`) with [`DEFAULT_TIMEOUT`] per request.
    pub fn new(base_url: &str, token: Token) -> Result<Self, ClientError> {
        Self::with_timeouts(base_url, token, DEFAULT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT)
    }

    /// Like [`new`](Self::new) with explicit timeouts. `timeout` bounds each whole
    /// request (a stalled server becomes [`ClientError::Retryable`]).
    pub fn with_timeouts(
        base_url: &str,
        token: Token,
        timeout: Duration,
        connect_timeout: Duration,
    ) -> Result<Self, ClientError> {
        let base = base_url.trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&base)
            .map_err(|e| ClientError::Invalid(format!("server URL {base:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(ClientError::Invalid(format!(
                "server URL {base:?} must be http(s)://host[:port]"
            )));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(ClientError::Invalid(format!(
                "server URL {base:?} must not have a query or fragment"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            // A redirect could carry the token elsewhere; the protocol never redirects.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("findme-protocol/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Invalid(e.without_url().to_string()))?;
        Ok(Self {
            http,
            base,
            token,
            timeout,
        })
    }

    /// The same client (shared pool) with another per-request timeout, e.g. a longer
    /// one for image uploads on a slow uplink.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self {
            timeout,
            ..self.clone()
        }
    }

    /// The per-request timeout in force.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The server base URL (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `true` when requests would cross the network unencrypted: plain `http://`
    /// to a host that is not this computer (127.0.0.0/8, ::1, `localhost`).
    /// Tokens and photos would then be readable on the venue's network.
    pub fn is_plain_http_off_loopback(&self) -> bool {
        let Ok(url) = reqwest::Url::parse(&self.base) else {
            return true;
        };
        if url.scheme() != "http" {
            return false;
        }
        // The URL parser has already normalised IPv4 forms (127.1, 0x7f.0.0.1).
        let Some(host) = url.host_str() else {
            return true;
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<std::net::IpAddr>() {
            Ok(ip) => !ip.is_loopback(),
            Err(_) => !host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        }
    }

    /// `GET /api/v1/events/{event}`: checks the connection and the token.
    pub async fn event_info(&self, event: &str) -> Result<EventInfo, ClientError> {
        check_id("event", event)?;
        self.json(self.request(Method::GET, &paths::event(event)))
            .await
    }

    /// `GET /api/v1/events/{event}/participants?since=<cursor>`: one page of roster
    /// changes after `since` (`None`: from the beginning). Poll again with the
    /// returned cursor while `more` is true.
    pub async fn participants(
        &self,
        event: &str,
        since: Option<&str>,
    ) -> Result<ParticipantsPage, ClientError> {
        check_id("event", event)?;
        let mut path = paths::participants(event);
        if let Some(cursor) = since {
            // Cursors are opaque but the server only issues digits; refuse anything
            // that would need escaping rather than send a mangled one.
            if cursor.is_empty() || !cursor.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(ClientError::Invalid(format!("bad cursor {cursor:?}")));
            }
            path = format!("{path}?since={cursor}");
        }
        self.json(self.request(Method::GET, &path)).await
    }

    /// `GET` a roster `selfie_url` (photographer token): the selfie bytes. Only paths
    /// on this server are fetched, so the token never goes to another host.
    pub async fn selfie(&self, selfie_url: &str) -> Result<Vec<u8>, ClientError> {
        let path = self.same_origin_path(selfie_url)?;
        self.bytes(self.request(Method::GET, &path)).await
    }

    /// `PUT …/photos/{sha256}/image`: uploads the web rendition of the photo whose
    /// original has SHA-256 `sha256`. The body's own SHA-256 is computed and sent in
    /// `X-Content-SHA256`. Idempotent: `created` is false when it was already there.
    pub async fn put_image(
        &self,
        event: &str,
        sha256: &str,
        jpeg: Vec<u8>,
    ) -> Result<PutImageResponse, ClientError> {
        check_id("event", event)?;
        check_sha("photo", sha256)?;
        self.put_rendition(&paths::photo_image(event, sha256), jpeg)
            .await
    }

    /// `PUT …/photos/{sha256}/grid`: uploads the ~480 px grid rendition, with the
    /// same rules as [`put_image`](Self::put_image). A server without the endpoint
    /// (404) gives [`GridOutcome::Unsupported`], not an error: guests then get the
    /// web rendition in their grid, and the push goes on.
    pub async fn put_grid_image(
        &self,
        event: &str,
        sha256: &str,
        jpeg: Vec<u8>,
    ) -> Result<GridOutcome, ClientError> {
        check_id("event", event)?;
        check_sha("photo", sha256)?;
        match self
            .put_rendition(&paths::photo_grid_image(event, sha256), jpeg)
            .await
        {
            Ok(answer) => Ok(GridOutcome::Stored(answer)),
            Err(ClientError::Rejected { status: 404, .. }) => Ok(GridOutcome::Unsupported),
            Err(e) => Err(e),
        }
    }

    /// One rendition PUT: the body with its SHA-256 in `X-Content-SHA256`.
    async fn put_rendition(
        &self,
        path: &str,
        jpeg: Vec<u8>,
    ) -> Result<PutImageResponse, ClientError> {
        let content_sha = sha256_hex(&jpeg);
        let req = self
            .request(Method::PUT, path)
            .header(HEADER_CONTENT_SHA256, content_sha)
            .header(CONTENT_TYPE, HeaderValue::from_static("image/jpeg"))
            .body(jpeg);
        self.json(req).await
    }

    /// `PUT …/photos/{sha256}`: the photo's metadata and faces. The server keeps the
    /// highest `revision`; the answer says which one is current.
    pub async fn put_metadata(
        &self,
        event: &str,
        sha256: &str,
        metadata: &PhotoMetadata,
    ) -> Result<PutMetadataResponse, ClientError> {
        check_id("event", event)?;
        check_sha("photo", sha256)?;
        let body = serde_json::to_vec(metadata)
            .map_err(|e| ClientError::Invalid(format!("metadata: {e}")))?;
        let req = self
            .request(Method::PUT, &paths::photo(event, sha256))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body);
        self.json(req).await
    }

    /// `DELETE …/photos/{sha256}[?revision=N]`: withdraws the photo. With a
    /// `revision`, metadata PUTs at or below it can no longer bring the photo back.
    pub async fn delete_photo(
        &self,
        event: &str,
        sha256: &str,
        revision: Option<u64>,
    ) -> Result<DeletePhotoResponse, ClientError> {
        check_id("event", event)?;
        check_sha("photo", sha256)?;
        let mut path = paths::photo(event, sha256);
        if let Some(r) = revision {
            path = format!("{path}?revision={r}");
        }
        self.json(self.request(Method::DELETE, &path)).await
    }

    /// `GET …/photos/{sha256}` (photographer): what the server holds for a photo.
    pub async fn photo_state(&self, event: &str, sha256: &str) -> Result<PhotoState, ClientError> {
        check_id("event", event)?;
        check_sha("photo", sha256)?;
        self.json(self.request(Method::GET, &paths::photo(event, sha256)))
            .await
    }

    /// `GET /api/v1/events/{event}/stats` (photographer token).
    pub async fn stats(&self, event: &str) -> Result<EventStats, ClientError> {
        check_id("event", event)?;
        self.json(self.request(Method::GET, &paths::stats(event)))
            .await
    }

    /// `GET /api/v1/events/{event}/registration` (photographer token): whether the
    /// guests' page takes sign-ups, its code and text, and how many signed up.
    pub async fn registration(&self, event: &str) -> Result<Registration, ClientError> {
        check_id("event", event)?;
        self.json(self.request(Method::GET, &paths::registration(event)))
            .await
    }

    /// `PUT /api/v1/events/{event}/registration` (photographer token): changes the
    /// fields that are set (absent ones keep their value; `code: ""` removes the
    /// code) and answers the new state. A refused value is
    /// [`ClientError::Rejected`] with the server's reason.
    pub async fn set_registration(
        &self,
        event: &str,
        update: &RegistrationUpdate,
    ) -> Result<Registration, ClientError> {
        check_id("event", event)?;
        let body = serde_json::to_vec(update)
            .map_err(|e| ClientError::Invalid(format!("registration: {e}")))?;
        let req = self
            .request(Method::PUT, &paths::registration(event))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body);
        self.json(req).await
    }

    /// `GET /api/v1/events/{event}/registration/card?size=…` (photographer token):
    /// the printable card (HTML) with the registration link's QR code.
    pub async fn registration_card(
        &self,
        event: &str,
        size: CardSize,
    ) -> Result<String, ClientError> {
        check_id("event", event)?;
        let path = format!("{}?size={}", paths::registration_card(event), size.as_str());
        let body = self.bytes(self.request(Method::GET, &path)).await?;
        String::from_utf8(body)
            .map_err(|_| ClientError::Protocol("the card is not UTF-8 text".into()))
    }

    /// `GET /api/v1/my-photos` (attendee token).
    pub async fn my_photos(&self) -> Result<MyPhotos, ClientError> {
        self.json(self.request(Method::GET, &paths::my_photos()))
            .await
    }

    /// `GET /api/v1/photos/{sha256}/image`: the web rendition bytes.
    pub async fn photo_image(&self, sha256: &str) -> Result<Vec<u8>, ClientError> {
        check_sha("photo", sha256)?;
        self.bytes(self.request(Method::GET, &paths::public_photo_image(sha256)))
            .await
    }

    /// `GET /api/v1/photos/{sha256}/image?size=grid`: the grid rendition bytes (the
    /// web rendition when the server has no grid one).
    pub async fn photo_grid_image(&self, sha256: &str) -> Result<Vec<u8>, ClientError> {
        check_sha("photo", sha256)?;
        self.bytes(self.request(Method::GET, &paths::public_photo_grid_image(sha256)))
            .await
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        // bearer_auth marks the header sensitive, so reqwest never prints it.
        self.http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(self.token.expose())
            .timeout(self.timeout)
    }

    /// Accepts `/api/…` paths and absolute URLs on this client's own base.
    fn same_origin_path(&self, url: &str) -> Result<String, ClientError> {
        let path = if url.starts_with('/') && !url.starts_with("//") {
            url
        } else if let Some(rest) = url.strip_prefix(&self.base).filter(|r| r.starts_with('/')) {
            rest
        } else {
            return Err(ClientError::Invalid(format!(
                "{url:?} is not on this event server; not sending the token there"
            )));
        };
        if path.split(['/', '?']).any(|seg| seg == "..") {
            return Err(ClientError::Invalid(format!("{url:?}: '..' in path")));
        }
        Ok(path.to_string())
    }

    /// Sends, checks the status, and reads the whole body.
    async fn bytes(&self, req: RequestBuilder) -> Result<Vec<u8>, ClientError> {
        let resp = req.send().await.map_err(ClientError::from_transport)?;
        let resp = check_status(resp).await?;
        let body = resp.bytes().await.map_err(ClientError::from_transport)?;
        Ok(body.to_vec())
    }

    async fn json<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, ClientError> {
        let body = self.bytes(req).await?;
        serde_json::from_slice(&body).map_err(|e| {
            ClientError::Protocol(format!(
                "{e} in {} bytes of answer ({:?})",
                body.len(),
                snippet(&body)
            ))
        })
    }
}

/// Turns a non-2xx answer into the classified error, with the server's message.
async fn check_status(resp: Response) -> Result<Response, ClientError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let retry_after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    // A body cut short on an error answer still classifies by status.
    let body = resp.bytes().await.unwrap_or_default();
    let message = match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(e) => e.error,
        Err(_) if body.is_empty() => reason(status),
        Err(_) => snippet(&body),
    };
    Err(ClientError::from_status(
        status.as_u16(),
        message,
        retry_after,
    ))
}

fn reason(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("no message")
        .to_string()
}

/// The start of a body as text, for messages (bounded: bodies can be images).
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    text.trim().to_string()
}

fn check_id(what: &str, id: &str) -> Result<(), ClientError> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(ClientError::Invalid(format!("bad {what} id {id:?}")))
    }
}

fn check_sha(what: &str, sha: &str) -> Result<(), ClientError> {
    if is_valid_sha256(sha) {
        Ok(())
    } else {
        Err(ClientError::Invalid(format!(
            "bad {what} sha256 {sha:?} (64 lowercase hex expected)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let secret = "fmp_0123456789abcdef-super-secret";
        let client = EventClient::new("http://127.0.0.1:1", Token::new(secret)).unwrap();
        let shown = format!("{client:?} {:?} {}", client.token, client.token);
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }

    #[test]
    fn foreign_selfie_urls_are_refused() {
        let client = EventClient::new("http://127.0.0.1:1/", Token::new("t")).unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:1");
        assert!(client.same_origin_path("/api/v1/x").is_ok());
        assert!(client
            .same_origin_path("http://127.0.0.1:1/api/v1/x")
            .is_ok());
        assert!(client.same_origin_path("http://evil.example/api").is_err());
        assert!(client.same_origin_path("//evil.example/api").is_err());
        assert!(client
            .same_origin_path("http://127.0.0.1:1.evil/x")
            .is_err());
        assert!(client.same_origin_path("/api/../etc").is_err());
    }

    #[test]
    fn bad_inputs_are_invalid_before_sending() {
        let client = EventClient::new("http://127.0.0.1:1", Token::new("t")).unwrap();
        assert!(check_sha("photo", "../../etc/passwd").is_err());
        assert!(check_id("event", "a/b").is_err());
        assert!(EventClient::new("ftp://x", Token::new("t")).is_err());
        assert_eq!(
            client.with_timeout(Duration::from_secs(3)).timeout(),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn plain_http_is_only_fine_on_this_computer() {
        let off = |url: &str| {
            EventClient::new(url, Token::new("t"))
                .unwrap()
                .is_plain_http_off_loopback()
        };
        for local in [
            "http://127.0.0.1:8787",
            "http://127.1.2.3",
            "http://[::1]:8787",
            "http://localhost:8787",
            "http://LOCALHOST./x",
            "https://events.example.com",
            "https://192.168.1.10",
        ] {
            assert!(!off(local), "{local}");
        }
        for remote in [
            "http://192.168.1.10:8787",
            "http://events.example.com",
            "http://localhost.example.com",
            "http://[::2]",
            "http://10.0.0.1",
        ] {
            assert!(off(remote), "{remote}");
        }
    }

    #[test]
    fn statuses_classify() {
        let c = |s| ClientError::from_status(s, "m".into(), None);
        assert!(c(503).is_retryable());
        assert!(c(500).is_retryable());
        assert!(c(408).is_retryable());
        assert!(c(429).is_retryable());
        assert!(matches!(
            c(401),
            ClientError::Unauthorized { status: 401, .. }
        ));
        assert!(matches!(
            c(403),
            ClientError::Unauthorized { status: 403, .. }
        ));
        assert!(matches!(c(400), ClientError::Rejected { status: 400, .. }));
        assert!(matches!(c(413), ClientError::Rejected { status: 413, .. }));
        assert!(matches!(c(404), ClientError::Rejected { status: 404, .. }));
    }
}
