//! Indexing a selfie's face. IndexFaces indexes every face of the image it is
//! sent, up to MaxFaces, largest first; a selfie must put exactly one face of
//! its participant into the collection, so: MaxFaces 1, and the others' boxes
//! (reported as EXCEEDS_MAX_FACES) decide whether the selfie was ambiguous.

use aws_sdk_rekognition::types::{QualityFilter, Reason};

use super::{indexed_face, RekognitionMatcher, SECOND_FACE_AREA};
use crate::{FaceBox, FaceImage, FaceMatcher, IndexedFace, MatcherError};

/// How well the face indexed must agree with the picked box (intersection over
/// union, in the picture sent): the pipeline sends a crop around the picked
/// face, so the largest face of it is that face; anything else is refused.
const PICKED_OVERLAP: f32 = 0.3;

impl RekognitionMatcher {
    /// IndexFaces with MaxFaces 1 and QualityFilter AUTO: Rekognition indexes the
    /// largest face and reports the others as EXCEEDS_MAX_FACES. No face → NoFace;
    /// another face at least a quarter of the main one's area → the indexed face
    /// is deleted again and SeveralFaces with every clear face's box; smaller
    /// faces (background) are ignored. With `pick` (the image is then a crop
    /// around the picked face), the indexed face must be the picked one.
    pub(super) async fn selfie(
        &self,
        collection: &str,
        external_id: &str,
        image: &FaceImage,
        pick: Option<FaceBox>,
    ) -> Result<IndexedFace, MatcherError> {
        let out = self
            .inner
            .index_faces(
                collection,
                external_id,
                image.jpeg()?,
                1,
                QualityFilter::Auto,
            )
            .await?;
        let indexed: Vec<IndexedFace> = out
            .face_records()
            .iter()
            .filter_map(|r| r.face())
            .filter_map(indexed_face)
            .collect();
        let Some(main) = indexed.iter().map(IndexedFace::face_box).reduce(|a, b| {
            if b.area() > a.area() {
                b
            } else {
                a
            }
        }) else {
            return Err(match pick {
                Some(_) => picked_not_found(),
                None => MatcherError::NoFace,
            });
        };
        let mut boxes: Vec<FaceBox> = out
            .unindexed_faces()
            .iter()
            .filter(|u| u.reasons().contains(&Reason::ExceedsMaxFaces))
            .filter_map(|u| u.face_detail()?.bounding_box())
            .map(|b| FaceBox {
                left: b.left().unwrap_or(0.0),
                top: b.top().unwrap_or(0.0),
                width: b.width().unwrap_or(0.0),
                height: b.height().unwrap_or(0.0),
            })
            .filter(|b| b.area() >= SECOND_FACE_AREA * main.area())
            .collect();
        boxes.push(main);
        boxes.sort_by(|a, b| b.area().total_cmp(&a.area()));
        let wrong = match pick {
            Some(pick) => (pick.overlap(&main) < PICKED_OVERLAP).then(picked_not_found),
            None => (boxes.len() > 1).then_some(MatcherError::SeveralFaces(boxes)),
        };
        if let Some(error) = wrong {
            let ids: Vec<String> = indexed.into_iter().map(|f| f.face_id).collect();
            // An orphan face is harmless (no participant points at it), so a
            // failed cleanup must not turn the selfie's verdict into a retry.
            if let Err(e) = self.delete_faces(collection, &ids).await {
                tracing::warn!(error = %e, "could not remove a selfie's face that is not used");
            }
            return Err(error);
        }
        indexed.into_iter().next().ok_or(MatcherError::NoFace)
    }
}

fn picked_not_found() -> MatcherError {
    MatcherError::BadImage("the face picked is no longer found in the selfie".to_string())
}
