//! `GET`/`PUT /api/v1/events/{event}/registration` (photographer token): whether the
//! guests' page takes sign-ups, its code and text, and how many guests signed up.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use findme_protocol::{Registration, RegistrationUpdate};

use crate::error::ApiError;
use crate::extract::{photographer, read_limited, Params};
use crate::{registration, AppState};

pub(crate) async fn get_registration(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params(event): Params<String>,
) -> Result<Json<Registration>, ApiError> {
    photographer(&st, &headers, &event).await?;
    st.meta
        .registration(&event)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no such event"))
}

pub(crate) async fn put_registration(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params(event): Params<String>,
    body: Body,
) -> Result<Json<Registration>, ApiError> {
    photographer(&st, &headers, &event).await?;
    let bytes = read_limited(&headers, body, st.config.max_json_bytes).await?;
    let update: RegistrationUpdate = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("malformed registration JSON: {e}")))?;
    registration::validate(&update).map_err(|e| ApiError::bad_request(e.0))?;
    let answer = st
        .meta
        .update_registration(&event, &update)
        .await?
        .ok_or_else(|| ApiError::not_found("no such event"))?;
    tracing::info!(event = %event, open = answer.open, "registration changed");
    Ok(Json(answer))
}
