//! Receiving a rendition (`PUT …/image` and `PUT …/grid`): one set of checks for
//! every image a photographer pushes, so the web and grid uploads cannot drift.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use findme_protocol::{is_valid_sha256, sha256_hex, PutImageResponse, HEADER_CONTENT_SHA256};

use crate::error::ApiError;
use crate::extract::{check_sha, photographer, read_limited};
use crate::files::sniff_image;
use crate::photos::Rendition;
use crate::store::{Meta, NewImage};
use crate::AppState;

/// Validates and stores an image body, then points the photo's `rendition` at
/// it: the event's photographer token, a valid photo key, `X-Content-SHA256`
/// equal to the body's hash (400), the size limit (413), a JPEG or PNG (415);
/// the file is stored (content-addressed, atomically) before the row that
/// references it is committed. 201 when the photo had no such rendition, else 200.
pub(crate) async fn put_rendition(
    st: &AppState,
    headers: &HeaderMap,
    event: String,
    sha: String,
    body: Body,
    rendition: Rendition,
) -> Result<Response, ApiError> {
    photographer(st, headers, &event).await?;
    check_sha(&sha)?;
    let claimed = headers
        .get(HEADER_CONTENT_SHA256)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| is_valid_sha256(v))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{HEADER_CONTENT_SHA256} header (hex SHA-256 of the body) is missing or malformed"
            ))
        })?;
    let bytes = read_limited(headers, body, st.config.max_image_bytes).await?;
    let actual = sha256_hex(&bytes);
    if actual != claimed {
        return Err(ApiError::bad_request(format!(
            "{HEADER_CONTENT_SHA256} does not match the body (body hashes to {actual}); upload damaged?"
        )));
    }
    let ctype = sniff_image(&bytes).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the image must be a JPEG (or PNG)",
        )
    })?;
    let size = bytes.len();
    let image = NewImage {
        sha256: actual.clone(),
        size,
        content_type: ctype,
    };
    let created = store_image(st, &image, bytes.into(), |meta| {
        meta.put_rendition(rendition, &event, &sha, &image)
    })
    .await?;
    tracing::info!(event = %event, photo = %sha, image = %actual, ?rendition, created, "image stored");
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let answer = PutImageResponse {
        sha256: sha,
        image_sha256: actual,
        created,
    };
    Ok((status, Json(answer)).into_response())
}

/// Stores an image's bytes, then commits the row(s) that reference it (`record`),
/// then checks the bytes are still there: a concurrent removal of the last other
/// reference may have deleted them between the two (it checks references and
/// deletes inside its own transaction), and then they are stored again. Shared
/// by renditions and selfies.
pub(crate) async fn store_image<'a, T, F, Fut>(
    st: &'a AppState,
    image: &NewImage,
    bytes: bytes::Bytes,
    record: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&'a Meta) -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::db::DbError>>,
{
    let failed = |e| ApiError::internal("storing image", e);
    st.images
        .put(&image.sha256, bytes.clone())
        .await
        .map_err(failed)?;
    let answer = record(&st.meta).await?;
    if !st.images.exists(&image.sha256).await.map_err(failed)? {
        tracing::warn!(image = %image.sha256, "image deleted by a concurrent removal; storing it again");
        st.images.put(&image.sha256, bytes).await.map_err(failed)?;
    }
    Ok(answer)
}
