//! The grid rendition (≈ 480 px), a compatible addition to protocol v1: the app
//! pushes it beside the web rendition so phones filling a grid never download
//! 2048 px images. An app that never sends one loses nothing: `?size=grid`
//! falls back to the web rendition and `my-photos` lists no `grid_url`.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use findme_protocol::{QUERY_SIZE, SIZE_GRID, SIZE_WEB};

use crate::error::ApiError;
use crate::extract::Params;
use crate::photos::Rendition;
use crate::{upload, AppState};

/// `PUT /api/v1/events/{event}/photos/{sha256}/grid`: exactly the rules of the web
/// rendition's PUT.
pub async fn put_grid_image(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params((event, sha)): Params<(String, String)>,
    body: Body,
) -> Result<Response, ApiError> {
    upload::put_rendition(&st, &headers, event, sha, body, Rendition::Grid).await
}

/// The rendition a photo image request asks for with `?size=` (web when absent).
pub fn requested_size(query: &HashMap<String, String>) -> Result<Rendition, ApiError> {
    match query.get(QUERY_SIZE).map(String::as_str) {
        None | Some(SIZE_WEB) => Ok(Rendition::Web),
        Some(SIZE_GRID) => Ok(Rendition::Grid),
        Some(_) => Err(ApiError::bad_request(format!(
            "{QUERY_SIZE} must be {SIZE_WEB} or {SIZE_GRID}"
        ))),
    }
}
