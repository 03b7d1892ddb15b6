//! Request plumbing shared by the handlers: path parameters with JSON errors,
//! size-limited bodies, and token checks.

use axum::body::Body;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::auth::{request_token, Principal};
use crate::error::ApiError;
use crate::AppState;

/// `Path<T>` whose rejection is our JSON 400 instead of axum's plain text.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(t)) => Ok(Self(t)),
            Err(e) => Err(ApiError::bad_request(e.body_text())),
        }
    }
}

/// Reads a body of at most `limit` bytes. An oversized body is still drained (up to
/// a bound) before the 413 goes out: closing a socket with unread data makes the
/// kernel send RST, and the client would see "connection reset" instead of 413.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let too_big = |n: usize| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body of {n} bytes or more is over the limit of {limit} bytes"),
        )
    };
    let drain_cap = limit.saturating_mul(2).saturating_add(1 << 20);
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(n) = declared.filter(|&n| n > drain_cap) {
        // Too big to be worth draining; the connection closes after the answer.
        return Err(too_big(n));
    }
    let mut body = body;
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            total = total.saturating_add(data.len());
            if total <= limit {
                buf.extend_from_slice(&data);
            } else if total > drain_cap {
                break;
            }
        }
    }
    if total > limit {
        return Err(too_big(total));
    }
    Ok(buf)
}

/// The principal behind a request's token; 401 if missing or unknown.
/// `query_token` is only passed by the endpoints an `<img>` or a link reaches.
pub async fn principal(
    state: &AppState,
    headers: &HeaderMap,
    query_token: Option<&str>,
) -> Result<Principal, ApiError> {
    let token = request_token(headers, query_token)
        .ok_or_else(|| ApiError::unauthorized("missing token (Authorization: Bearer <token>)"))?
        .to_string();
    state
        .meta
        .authenticate(&token)
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown or revoked token"))
}

/// Requires the photographer token of `event`: 401 without a valid token, 403 for
/// an attendee token or another event's photographer.
pub async fn photographer(
    state: &AppState,
    headers: &HeaderMap,
    event: &str,
) -> Result<(), ApiError> {
    match principal(state, headers, None).await? {
        Principal::Photographer { event: e } if e == event => Ok(()),
        Principal::Photographer { .. } => {
            Err(ApiError::forbidden("this token is for another event"))
        }
        Principal::Attendee { .. } => Err(ApiError::forbidden(
            "an attendee token cannot do this; use the photographer token",
        )),
    }
}

/// 400 unless `sha` is 64 lowercase hex (checked before anything touches a file).
pub fn check_sha(sha: &str) -> Result<(), ApiError> {
    if findme_protocol::is_valid_sha256(sha) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "photo key must be the 64 lowercase hex characters of a SHA-256",
        ))
    }
}

/// 400 unless `id` is a valid event/participant id.
pub fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    if findme_protocol::is_valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{what} id must be 1-64 letters, digits, '-' or '_'"
        )))
    }
}
