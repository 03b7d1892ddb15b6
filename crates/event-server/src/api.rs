//! Photographer endpoints of protocol v1 and the router.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use findme_protocol::{paths, EventInfo, ParticipantsPage, PhotoMetadata, PROTOCOL_VERSION};

use crate::error::ApiError;
use crate::extract::{check_id, check_sha, photographer, read_limited, Params};
use crate::{attendee, grid, photos, registration_api, upload, AppState};

/// The whole HTTP surface. Default body limits are off: bodies are read through
/// [`read_limited`] with the configured limits instead.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(paths::EVENT, get(event_info))
        .route(paths::PARTICIPANTS, get(participants))
        .route(paths::SELFIE, get(selfie))
        .route(
            paths::PHOTO,
            get(photo_state).put(put_metadata).delete(delete_photo),
        )
        .route(paths::PHOTO_IMAGE, axum::routing::put(put_image))
        .route(
            paths::PHOTO_GRID_IMAGE,
            axum::routing::put(grid::put_grid_image),
        )
        .route(paths::STATS, get(stats))
        .route(
            paths::REGISTRATION,
            get(registration_api::get_registration).put(registration_api::put_registration),
        )
        .route(paths::REGISTRATION_CARD, get(crate::card::card))
        .route(paths::MY_PHOTOS, get(attendee::my_photos))
        .route(paths::PUBLIC_PHOTO_IMAGE, get(attendee::photo_image))
        .route("/", get(attendee::page))
        .merge(crate::guest::routes())
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// One log line per request: method, path (never the query, which may hold a
/// token), status and duration.
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    tracing::info!(
        %method,
        %path,
        status = resp.status().as_u16(),
        ms = start.elapsed().as_millis() as u64,
        "request"
    );
    resp
}

async fn event_info(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params(event): Params<String>,
) -> Result<Json<EventInfo>, ApiError> {
    photographer(&st, &headers, &event).await?;
    let row = st
        .meta
        .event(&event)
        .await?
        .ok_or_else(|| ApiError::not_found("no such event"))?;
    Ok(Json(EventInfo {
        id: row.id,
        name: row.name,
        protocol_version: PROTOCOL_VERSION,
        max_image_bytes: st.config.max_image_bytes as u64,
    }))
}

async fn participants(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params(event): Params<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<ParticipantsPage>, ApiError> {
    photographer(&st, &headers, &event).await?;
    let since = match q.get("since").map(String::as_str) {
        None | Some("") => 0,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::bad_request("since: not a cursor this server issued"))?,
    };
    let (list, cursor, more) = st
        .meta
        .participants_since(&event, since, st.config.roster_page_limit.max(1))
        .await?;
    Ok(Json(ParticipantsPage {
        participants: list,
        cursor: cursor.to_string(),
        more,
    }))
}

async fn selfie(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params((event, participant)): Params<(String, String)>,
) -> Result<Response, ApiError> {
    photographer(&st, &headers, &event).await?;
    check_id("participant", &participant)?;
    let sha = st
        .meta
        .selfie_sha(&event, &participant)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("no selfie (unknown participant, deleted or no consent)")
        })?;
    serve_image(&st, sha).await
}

/// Answers with a stored image (shared with the attendee endpoint).
pub(crate) async fn serve_image(st: &AppState, image_sha: String) -> Result<Response, ApiError> {
    let ctype = st
        .meta
        .image_type(&image_sha)
        .await?
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let bytes = st
        .images
        .get(&image_sha)
        .await
        .map_err(|e| ApiError::internal("reading image", e))?;
    Ok((
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            (header::REFERRER_POLICY, "no-referrer".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}

async fn put_image(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params((event, sha)): Params<(String, String)>,
    body: Body,
) -> Result<Response, ApiError> {
    upload::put_rendition(&st, &headers, event, sha, body, photos::Rendition::Web).await
}

/// Rejects metadata that is well-formed JSON but meaningless, with the reason.
fn validate_metadata(m: &PhotoMetadata) -> Result<i64, ApiError> {
    let revision =
        i64::try_from(m.revision).map_err(|_| ApiError::bad_request("revision is too large"))?;
    if m.width == 0 || m.height == 0 {
        return Err(ApiError::bad_request("width and height must be positive"));
    }
    if m.faces.len() > 10_000 {
        return Err(ApiError::bad_request("too many faces"));
    }
    for (i, f) in m.faces.iter().enumerate() {
        let b = f.face_box;
        let fractions = [b.left, b.top, b.width, b.height];
        if fractions
            .iter()
            .any(|v| !v.is_finite() || !(0.0..=1.0).contains(v))
        {
            return Err(ApiError::bad_request(format!(
                "faces[{i}].box: left/top/width/height must be fractions between 0 and 1"
            )));
        }
        if !f.confidence.is_finite() {
            return Err(ApiError::bad_request(format!(
                "faces[{i}].confidence is not a number"
            )));
        }
        if let Some(p) = &f.participant_id {
            check_id(&format!("faces[{i}].participant"), p)?;
        }
    }
    Ok(revision)
}

async fn put_metadata(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params((event, sha)): Params<(String, String)>,
    body: Body,
) -> Result<Response, ApiError> {
    photographer(&st, &headers, &event).await?;
    check_sha(&sha)?;
    let bytes = read_limited(&headers, body, st.config.max_json_bytes).await?;
    let meta: PhotoMetadata = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("malformed metadata JSON: {e}")))?;
    let revision = validate_metadata(&meta)?;
    let answer = st.meta.put_metadata(&event, &sha, &meta, revision).await?;
    tracing::info!(event = %event, photo = %sha, revision = answer.revision, applied = answer.applied, "metadata");
    Ok(Json(answer).into_response())
}

async fn delete_photo(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params((event, sha)): Params<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    photographer(&st, &headers, &event).await?;
    check_sha(&sha)?;
    let revision = q
        .get("revision")
        .map(|r| {
            r.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::bad_request("revision must be a non-negative integer"))
        })
        .transpose()?;
    let answer = st.meta.delete_photo(&event, &sha, revision).await?;
    tracing::info!(event = %event, photo = %sha, withdrawn = answer.withdrawn, "withdraw");
    Ok(Json(answer).into_response())
}

async fn photo_state(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params((event, sha)): Params<(String, String)>,
) -> Result<Response, ApiError> {
    photographer(&st, &headers, &event).await?;
    check_sha(&sha)?;
    let state = st
        .meta
        .photo_state(&event, &sha)
        .await?
        .ok_or_else(|| ApiError::not_found("no such photo in this event"))?;
    Ok(Json(state).into_response())
}

async fn stats(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params(event): Params<String>,
) -> Result<Response, ApiError> {
    photographer(&st, &headers, &event).await?;
    let stats = st.meta.stats(&event).await?;
    Ok(Json(stats).into_response())
}
