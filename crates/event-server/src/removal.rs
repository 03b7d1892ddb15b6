//! Removing a participant, and the selfie bytes that go with them. Blocking;
//! shared by the admin CLI and the guest pages (a guest who withdraws).

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::db::{Db, DbError};
use crate::files::ImageStore;
use crate::roster;

/// Why a removal did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RemovalError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// The participant is removed but their selfie file could not be deleted.
    #[error("deleting image {sha256}: {source}")]
    Image {
        sha256: String,
        source: std::io::Error,
    },
}

/// Deletes a live participant (tombstone for delta polls; their tokens revoked and
/// sessions deleted), then, after that commit, their selfie bytes unless another
/// row still uses the same image. `false` if there is no such live participant.
pub fn remove_participant(
    db: &Db,
    images: &ImageStore,
    event: &str,
    id: &str,
) -> Result<bool, RemovalError> {
    let removed = db.with(|c| {
        let tx = c.transaction()?;
        let selfie: Option<String> = tx
            .query_row(
                "SELECT selfie_sha256 FROM participants
                  WHERE event_id = ?1 AND id = ?2 AND deleted = 0",
                params![event, id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let removed = roster::delete_participant(&tx, event, id)?;
        tx.commit()?;
        Ok(removed.then_some(selfie))
    })?;
    let Some(selfie) = removed else {
        return Ok(false);
    };
    if let Some(sha) = selfie {
        let deleted = forget_image_if_unused(db, images, &sha)?;
        tracing::info!(event, participant = id, image = %sha, deleted, "selfie bytes");
    }
    Ok(true)
}

/// Deletes an image (file and `images` row) unless a participant's selfie or a
/// photo's rendition still references it; `true` if it was deleted. The check and
/// the unlink happen inside one write transaction, so no writer of this database
/// can commit a new reference in between.
pub fn forget_image_if_unused(
    db: &Db,
    images: &ImageStore,
    sha256: &str,
) -> Result<bool, RemovalError> {
    let outcome = db.with(|c| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if roster::image_in_use(&tx, sha256)? {
            return Ok(Ok(false));
        }
        tx.execute("DELETE FROM images WHERE sha256 = ?1", [sha256])?;
        // Unlink before the commit: if it fails, the row stays and the rollback
        // keeps the two in agreement.
        match images.delete(sha256) {
            Ok(_) => {
                tx.commit()?;
                Ok(Ok(true))
            }
            Err(e) => Ok(Err(e)),
        }
    })?;
    outcome.map_err(|source| RemovalError::Image {
        sha256: sha256.to_string(),
        source,
    })
}
