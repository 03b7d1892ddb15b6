//! Rekognition users: in an event where a face search came back full, each
//! participant becomes a user (UserId = the selfie tag, the selfie's face
//! associated with it). SearchUsers on a photo face answers with people, not
//! faces, so the answer is never cut: SearchFaces returns at most 4,096 faces,
//! and a guest in more photo faces than that (a wedding's couple) would lose
//! photos to the cut (docs/decisions.md, "Face matching").

use super::Inner;
use crate::{MatcherError, SimilarPerson};

/// SearchUsers' own limit (AWS: MaxUsers 1-500). A photo face resembling more
/// than 500 participants above the threshold does not happen.
const MAX_USERS: i32 = 500;

impl Inner {
    pub(super) async fn search_users(
        &self,
        collection: &str,
        face_id: &str,
        threshold: f32,
    ) -> Result<Vec<SimilarPerson>, MatcherError> {
        let request = self
            .client
            .search_users()
            .collection_id(collection)
            .face_id(face_id)
            .user_match_threshold(threshold)
            .max_users(MAX_USERS);
        let out = match self.call("SearchUsers", || request.clone().send()).await {
            Ok(out) => out,
            Err(f) if f.face_not_in_index(face_id) => {
                tracing::debug!(face_id, "searched face is not in the index");
                return Ok(Vec::new());
            }
            Err(f) => return Err(self.settle(collection, f)),
        };
        Ok(out
            .user_matches()
            .iter()
            .filter_map(|m| {
                Some(SimilarPerson {
                    tag: m.user()?.user_id()?.to_string(),
                    similarity: m.similarity().unwrap_or(0.0),
                })
            })
            .collect())
    }

    /// CreateUser (an existing user is fine) and AssociateFaces. Associating a
    /// face the user already has changes nothing, so a retried job is harmless.
    pub(super) async fn enroll(
        &self,
        collection: &str,
        tag: &str,
        face_id: &str,
    ) -> Result<(), MatcherError> {
        let create = self
            .client
            .create_user()
            .collection_id(collection)
            .user_id(tag);
        match self.call("CreateUser", || create.clone().send()).await {
            Ok(_) => {}
            Err(f) if f.code.as_deref() == Some("ConflictException") => {}
            Err(f) => return Err(self.settle(collection, f)),
        }
        let associate = self
            .client
            .associate_faces()
            .collection_id(collection)
            .user_id(tag)
            .face_ids(face_id);
        let out = self
            .call("AssociateFaces", || associate.clone().send())
            .await
            .map_err(|f| self.settle(collection, f))?;
        match out.unsuccessful_face_associations().first() {
            None => Ok(()),
            Some(failed) => {
                let reasons: Vec<&str> = failed.reasons().iter().map(|r| r.as_str()).collect();
                // FACE_NOT_FOUND: the selfie face vanished (deleted behind our
                // back); the retry indexes it again.
                Err(MatcherError::Other(format!(
                    "AssociateFaces: the selfie face of {tag} was refused ({})",
                    reasons.join(", ")
                )))
            }
        }
    }

    /// DeleteUser; a missing user (or collection) is already forgotten.
    pub(super) async fn forget(&self, collection: &str, tag: &str) -> Result<(), MatcherError> {
        let request = self
            .client
            .delete_user()
            .collection_id(collection)
            .user_id(tag);
        match self.call("DeleteUser", || request.clone().send()).await {
            Ok(_) => Ok(()),
            Err(f) if f.code.as_deref() == Some("ResourceNotFoundException") => Ok(()),
            Err(f) => Err(self.settle(collection, f)),
        }
    }
}
