//! Removing a participant, and the selfie bytes that go with them; shared by the
//! admin CLI, the retention sweep and the guest pages (a guest who withdraws).

use crate::db::DbError;
use crate::store::{Images, Meta};

/// Why a removal did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RemovalError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// The participant is removed but their selfie bytes could not be deleted.
    #[error("deleting image {sha256}: {source}")]
    Image {
        sha256: String,
        source: std::io::Error,
    },
}

/// Deletes a live participant (tombstone for delta polls; their tokens revoked and
/// sessions deleted), then, after that commit, their selfie bytes unless another
/// row still uses the same image. `false` if there is no such live participant.
pub async fn remove_participant(
    meta: &Meta,
    images: &Images,
    event: &str,
    id: &str,
) -> Result<bool, RemovalError> {
    let Some(selfie) = meta.remove_participant(event, id).await? else {
        return Ok(false);
    };
    if let Some(sha) = selfie {
        let deleted = meta.forget_image_if_unused(&sha, images).await?;
        tracing::info!(event, participant = id, image = %sha, deleted, "selfie bytes");
    }
    Ok(true)
}
