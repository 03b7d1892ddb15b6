//! The signatures of one event, in memory, for searching. A cache of the catalog,
//! never a second truth: before each search it reads what the catalog gained since
//! (photo faces by row, selfies by change time), so faces indexed by another
//! process, withdrawn selfies and a restart all come out right.

use std::collections::HashMap;

use findme_catalog::{PhotoSignature, SelfieSignature};
use findme_face_model::{Embedding, MODEL_VERSION};

use crate::SimilarFace;

#[derive(Default)]
pub(crate) struct EventIndex {
    /// Photo faces in row order, and where each face id sits.
    photo_faces: Vec<(String, Embedding)>,
    photo_position: HashMap<String, usize>,
    /// Last `photo_faces` row read.
    last_row: i64,
    /// Selfie face id → (participant, signature).
    selfies: HashMap<String, (String, Embedding)>,
    /// Participant → their selfie's face id, to drop a replaced or withdrawn one.
    selfie_of: HashMap<String, String>,
    /// Newest participant change read (re-read with `>=`: same-millisecond changes).
    selfies_since_ms: i64,
}

impl EventIndex {
    pub(crate) fn last_row(&self) -> i64 {
        self.last_row
    }

    pub(crate) fn selfies_since_ms(&self) -> i64 {
        self.selfies_since_ms
    }

    /// Take in photo faces recorded after `last_row`. Signatures of another model
    /// are skipped: they cannot be compared.
    pub(crate) fn add_photo_faces(&mut self, rows: Vec<PhotoSignature>) {
        for row in rows {
            self.last_row = self.last_row.max(row.row);
            if row.model_version != MODEL_VERSION || self.photo_position.contains_key(&row.face_id)
            {
                continue;
            }
            let Some(embedding) = Embedding::from_bytes(&row.embedding) else {
                tracing::warn!(face = %row.face_id, "stored face signature is unreadable; skipped");
                continue;
            };
            self.photo_position
                .insert(row.face_id.clone(), self.photo_faces.len());
            self.photo_faces.push((row.face_id, embedding));
        }
    }

    /// Take in participants changed since the last read: a new selfie replaces the
    /// old one, a row without one (withdrawn, removed, not indexed) drops it.
    pub(crate) fn update_selfies(&mut self, rows: Vec<SelfieSignature>) {
        for row in rows {
            self.selfies_since_ms = self.selfies_since_ms.max(row.updated_ms);
            if let Some(old) = self.selfie_of.remove(&row.participant_id) {
                self.selfies.remove(&old);
            }
            let usable = row.model_version.as_deref() == Some(MODEL_VERSION);
            let (Some(face_id), Some(bytes), true) = (row.face_id, row.embedding, usable) else {
                continue;
            };
            let Some(embedding) = Embedding::from_bytes(&bytes) else {
                tracing::warn!(participant = %row.participant_id, "stored selfie signature is unreadable; skipped");
                continue;
            };
            self.selfie_of
                .insert(row.participant_id.clone(), face_id.clone());
            self.selfies
                .insert(face_id, (row.participant_id, embedding));
        }
    }

    /// Forget faces (participant removed, consent withdrawn).
    pub(crate) fn remove(&mut self, face_ids: &[String]) {
        for id in face_ids {
            if let Some((participant, _)) = self.selfies.remove(id) {
                self.selfie_of.remove(&participant);
            }
            // Photo faces stay: rows are only removed with their photo, and a
            // search result naming a vanished face is dropped by the caller.
        }
    }

    /// The faces on the other side of `face_id` (a selfie finds photo faces, a
    /// photo face finds selfies) with similarity (cosine × 100) ≥ `threshold`,
    /// best first, at most `max`. An unknown face finds nothing.
    pub(crate) fn search(&self, face_id: &str, threshold: f32, max: usize) -> Vec<SimilarFace> {
        let mut found: Vec<SimilarFace> = if let Some((_, query)) = self.selfies.get(face_id) {
            self.photo_faces
                .iter()
                .filter_map(|(id, e)| similar(query, e, threshold).map(|s| (id.clone(), None, s)))
                .map(|(face_id, external_id, similarity)| SimilarFace {
                    face_id,
                    external_id,
                    similarity,
                })
                .collect()
        } else if let Some(&at) = self.photo_position.get(face_id) {
            let query = &self.photo_faces[at].1;
            self.selfies
                .iter()
                .filter_map(|(id, (participant, e))| {
                    similar(query, e, threshold).map(|similarity| SimilarFace {
                        face_id: id.clone(),
                        external_id: Some(crate::selfie_tag(participant)),
                        similarity,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        found.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
        found.truncate(max);
        found
    }
}

/// Similarity on Rekognition's 0-100 scale, if it reaches `threshold`.
fn similar(a: &Embedding, b: &Embedding, threshold: f32) -> Option<f32> {
    let similarity = a.cosine(b) * 100.0;
    (similarity >= threshold).then_some(similarity)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit vector along `axis`, tilted towards axis+1 by `tilt`.
    fn signature(axis: usize, tilt: f32) -> Vec<u8> {
        let mut v = [0f32; 128];
        v[axis] = 1.0;
        v[axis + 1] = tilt;
        Embedding::normalized(&v).expect("non-zero").to_bytes()
    }

    fn photo(row: i64, id: &str, sig: Vec<u8>) -> PhotoSignature {
        PhotoSignature {
            row,
            face_id: id.into(),
            embedding: sig,
            model_version: MODEL_VERSION.into(),
        }
    }

    fn selfie(who: &str, sig: Option<Vec<u8>>, at: i64) -> SelfieSignature {
        SelfieSignature {
            participant_id: who.into(),
            face_id: sig.as_ref().map(|_| format!("p-{who}")),
            embedding: sig,
            model_version: Some(MODEL_VERSION.into()),
            updated_ms: at,
        }
    }

    #[test]
    fn searches_cross_sides_above_the_threshold_best_first() {
        let mut ix = EventIndex::default();
        ix.add_photo_faces(vec![
            photo(1, "ph-a-0", signature(0, 0.1)),
            photo(2, "ph-b-0", signature(0, 0.6)),
            photo(3, "ph-b-1", signature(5, 0.0)),
        ]);
        ix.update_selfies(vec![selfie("ann", Some(signature(0, 0.0)), 10)]);
        assert_eq!(ix.last_row(), 3);
        assert_eq!(ix.selfies_since_ms(), 10);

        let found = ix.search("p-ann", 80.0, 10);
        let ids: Vec<&str> = found.iter().map(|f| f.face_id.as_str()).collect();
        assert_eq!(ids, ["ph-a-0", "ph-b-0"], "{found:?}");
        assert!(found[0].similarity > found[1].similarity);
        assert_eq!(ix.search("p-ann", 80.0, 1).len(), 1);

        let back = ix.search("ph-a-0", 80.0, 10);
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].external_id.as_deref(), Some("p-ann"));
        assert!(ix.search("ph-b-1", 80.0, 10).is_empty(), "another person");
        assert!(ix.search("nobody", 0.0, 10).is_empty());
    }

    #[test]
    fn withdrawn_replaced_and_foreign_signatures_are_not_searched() {
        let mut ix = EventIndex::default();
        ix.add_photo_faces(vec![photo(1, "ph-a-0", signature(0, 0.0))]);
        ix.update_selfies(vec![selfie("ann", Some(signature(0, 0.0)), 10)]);
        assert_eq!(ix.search("ph-a-0", 50.0, 10).len(), 1);

        // Consent withdrawn: the row comes back without a signature.
        ix.update_selfies(vec![selfie("ann", None, 11)]);
        assert!(ix.search("ph-a-0", 50.0, 10).is_empty());
        assert!(ix.search("p-ann", 0.0, 10).is_empty());

        // Another model's signature cannot be compared.
        let mut foreign = selfie("ben", Some(signature(0, 0.0)), 12);
        foreign.model_version = Some("other-model".into());
        ix.update_selfies(vec![foreign]);
        ix.add_photo_faces(vec![PhotoSignature {
            model_version: "other-model".into(),
            ..photo(2, "ph-b-0", signature(0, 0.0))
        }]);
        assert!(ix.search("ph-a-0", 50.0, 10).is_empty());
        assert!(ix.search("ph-b-0", 0.0, 10).is_empty());
        assert_eq!(ix.last_row(), 2, "skipped rows are still read past");

        // Removal by face id.
        ix.update_selfies(vec![selfie("cat", Some(signature(0, 0.0)), 13)]);
        assert_eq!(ix.search("ph-a-0", 50.0, 10).len(), 1);
        ix.remove(&["p-cat".to_string()]);
        assert!(ix.search("ph-a-0", 50.0, 10).is_empty());
    }
}
