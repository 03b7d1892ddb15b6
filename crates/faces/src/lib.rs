//! Face matching. A [`FaceMatcher`] keeps one face index per event (for AWS
//! Rekognition: the collection `findme-<event>`), indexes participants' selfies
//! and every face of every photo into it, and finds the faces similar to a given
//! one. Everything above the trait (which photos, which plan, what is recorded) is
//! backend-neutral: the on-device matcher ([`local`]) plugs in beside Rekognition.

pub mod limiter;
pub mod local;
pub mod pipeline;
pub mod planner;
pub mod rekognition;

use std::collections::BTreeMap;
use std::future::Future;

/// A face found while indexing a photo. Boxes are fractions of the image that
/// was sent (an upright rendition, so also of the upright photo).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedFace {
    /// The backend's id of the face in the event index.
    pub face_id: String,
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
    /// Detection confidence, 0-100.
    pub confidence: f32,
    /// The face's signature, when the backend computes one here (on-device):
    /// stored in the catalog so later searches need no decoding.
    pub signature: Option<findme_catalog::Signature>,
}

impl IndexedFace {
    /// Where the face is.
    pub fn face_box(&self) -> FaceBox {
        FaceBox {
            left: self.left,
            top: self.top,
            width: self.width,
            height: self.height,
        }
    }
}

/// Where a face is in a picture, as fractions (0..1) of the upright picture, so
/// the same box fits every rendition of it (a selfie's thumbnail included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
}

impl FaceBox {
    pub fn area(&self) -> f32 {
        self.width.max(0.0) * self.height.max(0.0)
    }

    /// Intersection over union: how well two boxes of the same face agree
    /// (1 the same box, 0 apart). A face picked by its box is found again in a
    /// new analysis of the same picture by this, not by its rank.
    pub fn overlap(&self, other: &FaceBox) -> f32 {
        let w = (self.left + self.width).min(other.left + other.width) - self.left.max(other.left);
        let h = (self.top + self.height).min(other.top + other.height) - self.top.max(other.top);
        let inter = w.max(0.0) * h.max(0.0);
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }
}

/// The picture a backend is given: what [`FaceMatcher::input`] asks for.
#[derive(Debug, Clone)]
pub enum FaceImage {
    /// An upright JPEG (a web service's input).
    Jpeg(Vec<u8>),
    /// Upright RGB pixels (an on-device model's input: no encode and decode again),
    /// shared so a blocking analysis task can hold them without a copy.
    Pixels(std::sync::Arc<findme_media::UprightRgb>),
}

impl FaceImage {
    /// The JPEG bytes, for backends that only take JPEG.
    pub fn jpeg(&self) -> Result<&[u8], MatcherError> {
        match self {
            FaceImage::Jpeg(bytes) => Ok(bytes),
            FaceImage::Pixels(_) => Err(MatcherError::BadImage(
                "this face service needs a JPEG".to_string(),
            )),
        }
    }
}

/// What picture a backend wants, and how large.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageInput {
    /// A JPEG within the service's limits (the pipeline's rendition settings).
    Jpeg,
    /// Pixels, long edge at most this.
    Pixels { long_edge: u32 },
}

/// A face of the event index similar to the searched one.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarFace {
    pub face_id: String,
    /// The tag the face was indexed with (`p-…` selfie, `ph-…` photo).
    pub external_id: Option<String>,
    /// 0-100.
    pub similarity: f32,
}

/// A participant similar to a searched photo face: their selfie tag
/// ([`selfie_tag`]) and the similarity, 0-100.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarPerson {
    pub tag: String,
    pub similarity: f32,
}

/// Calls made, per backend operation, and how many were throttled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallStats {
    pub calls: BTreeMap<String, u64>,
    pub throttled: u64,
}

/// Why a matcher call failed; decides what the job does next.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MatcherError {
    /// Over the quota: retry later (and the shared limiter slows down).
    #[error("throttled by the face service: {0}")]
    Throttled(String),
    /// 5xx, timeout, connection refused or reset: retry later.
    #[error("the face service is unavailable: {0}")]
    Unavailable(String),
    /// Credentials missing, expired or not allowed: nothing works until the
    /// photographer fixes them (the queue pauses).
    #[error("the face service refused our credentials: {0}")]
    Credentials(String),
    /// This image cannot be used (format, size, too small): fail the job.
    #[error("{0}")]
    BadImage(String),
    /// A selfie without a face.
    #[error("no face found in the selfie")]
    NoFace,
    /// A selfie with more than one clear face: their boxes, largest first, so
    /// the photographer can pick one ([`FaceMatcher::index_selfie`]'s `pick`).
    #[error("several faces ({}) in the selfie: pick one", .0.len())]
    SeveralFaces(Vec<FaceBox>),
    /// The event's index does not exist (deleted behind our back): recreate it.
    #[error("the event's face collection does not exist: {0}")]
    MissingIndex(String),
    /// The backend cannot work on this machine as set up (model file missing or
    /// damaged, event matched with another backend): the queue pauses until the
    /// photographer acts on the message.
    #[error("{0}")]
    Setup(String),
    #[error("{0}")]
    Other(String),
}

/// A face-matching backend. One instance serves every worker: implementations
/// share their rate limiting and connection pool across calls.
pub trait FaceMatcher: Send + Sync + 'static {
    /// The name the catalog ties an event's faces to ("rekognition", "local"):
    /// face ids of one backend mean nothing to another.
    fn backend(&self) -> &'static str;

    /// The picture [`index_photo`](Self::index_photo) and
    /// [`index_selfie`](Self::index_selfie) want.
    fn input(&self) -> ImageInput {
        ImageInput::Jpeg
    }

    /// The similarity (0-100, as in [`SimilarFace`]) a match needs in `event`.
    fn threshold(&self, event: &findme_catalog::EventRow) -> f32 {
        event.match_threshold
    }

    /// Create the event's face index if it does not exist (idempotent).
    fn prepare_event(
        &self,
        collection: &str,
    ) -> impl Future<Output = Result<(), MatcherError>> + Send;

    /// Delete the event's face index ("close event"). Missing is fine.
    fn close_event(
        &self,
        collection: &str,
    ) -> impl Future<Output = Result<(), MatcherError>> + Send;

    /// Index one face of a selfie; returns that face. Without `pick` the selfie
    /// must show exactly one clear face (none: `NoFace`; several: `SeveralFaces`
    /// with their boxes). With `pick`, a box found in this selfie earlier (the
    /// photographer chose it among several), exactly that face is indexed,
    /// whatever else the selfie shows; `BadImage` if it is not found there.
    fn index_selfie(
        &self,
        collection: &str,
        external_id: &str,
        image: &FaceImage,
        pick: Option<FaceBox>,
    ) -> impl Future<Output = Result<IndexedFace, MatcherError>> + Send;

    /// Index every face of a photo (up to the backend's limit).
    fn index_photo(
        &self,
        collection: &str,
        external_id: &str,
        image: &FaceImage,
    ) -> impl Future<Output = Result<Vec<IndexedFace>, MatcherError>> + Send;

    /// Faces of the index similar to `face_id` with similarity ≥ `threshold`,
    /// at most `max` (the searched face itself is not returned).
    fn search_face(
        &self,
        collection: &str,
        face_id: &str,
        threshold: f32,
        max: u32,
    ) -> impl Future<Output = Result<Vec<SimilarFace>, MatcherError>> + Send;

    /// The participants whose selfie is similar to the photo face `face_id`, with
    /// similarity ≥ `threshold`. Unlike [`search_face`](Self::search_face) the
    /// answer is never cut by how many faces of one person the index holds (a
    /// photo face's nearest faces are usually that guest's other photo faces; a
    /// face search returns at most 4,096). The default searches faces and keeps
    /// the selfies: right for a backend whose photo-face search compares with
    /// selfies only (on-device); Rekognition searches its users instead.
    fn search_people(
        &self,
        collection: &str,
        face_id: &str,
        threshold: f32,
    ) -> impl Future<Output = Result<Vec<SimilarPerson>, MatcherError>> + Send {
        async move {
            let similar = self
                .search_face(collection, face_id, threshold, u32::MAX)
                .await?;
            Ok(similar
                .into_iter()
                .filter_map(|f| {
                    let tag = f.external_id.filter(|t| t.starts_with(SELFIE_TAG))?;
                    Some(SimilarPerson {
                        tag,
                        similarity: f.similarity,
                    })
                })
                .collect())
        }
    }

    /// Make the selfie face `face_id` the face of the person `tag`, so
    /// [`search_people`](Self::search_people) finds them (Rekognition: CreateUser +
    /// AssociateFaces). Idempotent; nothing to do for backends without people.
    fn enroll_person(
        &self,
        collection: &str,
        tag: &str,
        face_id: &str,
    ) -> impl Future<Output = Result<(), MatcherError>> + Send {
        let _ = (collection, tag, face_id);
        async { Ok(()) }
    }

    /// Undo [`enroll_person`](Self::enroll_person) before the selfie face is
    /// deleted (Rekognition refuses to delete a face that belongs to a user).
    /// Missing is fine.
    fn forget_person(
        &self,
        collection: &str,
        tag: &str,
    ) -> impl Future<Output = Result<(), MatcherError>> + Send {
        let _ = (collection, tag);
        async { Ok(()) }
    }

    /// Faces already in the index under `external_id` (Rekognition: ListFaces,
    /// filtered). Used when retrying an interrupted or timed-out IndexFaces whose
    /// faces may have been indexed although the answer was lost: adopting them
    /// keeps the index free of duplicates. Rare, so a full listing is acceptable.
    fn find_faces(
        &self,
        collection: &str,
        external_id: &str,
    ) -> impl Future<Output = Result<Vec<IndexedFace>, MatcherError>> + Send;

    /// Remove faces from the index (participant removed, consent withdrawn).
    fn delete_faces(
        &self,
        collection: &str,
        face_ids: &[String],
    ) -> impl Future<Output = Result<(), MatcherError>> + Send;

    fn stats(&self) -> CallStats;

    /// The call rate this backend has learnt its quota allows (calls per
    /// second), to be remembered across restarts; None for backends without a
    /// quota.
    fn pace(&self) -> Option<f64> {
        None
    }

    /// Go on at a rate remembered from an earlier run (see [`pace`](Self::pace)).
    fn resume_pace(&self, rate: f64) {
        let _ = rate;
    }

    /// How long one call takes from being sent to its answer (a running
    /// average, seconds), for backends whose calls wait on a service; with
    /// [`pace`](Self::pace) it sizes the match pool (rate × time in flight).
    fn call_seconds(&self) -> Option<f64> {
        None
    }
}

/// A running average of durations (seconds): the recent ones count most.
#[derive(Debug, Default)]
pub(crate) struct RunningAverage(std::sync::Mutex<Option<f64>>);

impl RunningAverage {
    /// Weight of the newest sample.
    const NEWEST: f64 = 0.2;

    pub(crate) fn record(&self, seconds: f64) {
        if !seconds.is_finite() || seconds < 0.0 {
            return;
        }
        let mut average = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *average = Some(match *average {
            Some(a) => a + Self::NEWEST * (seconds - a),
            None => seconds,
        });
    }

    pub(crate) fn get(&self) -> Option<f64> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Tag of a participant's selfie in the index. Rekognition allows only
/// `[a-zA-Z0-9_.\-:]`, 1-255 characters; anything else is replaced by `_`
/// (the catalog, not the tag, says whose face it is).
pub fn selfie_tag(participant: &str) -> String {
    tag(SELFIE_TAG, participant)
}

/// The prefix of [`selfie_tag`]s.
const SELFIE_TAG: &str = "p-";

/// Tag of a photo's faces in the index: `ph-` and the first 32 hex digits.
pub fn photo_tag(sha256: &str) -> String {
    tag("ph-", sha256.get(..32).unwrap_or(sha256))
}

fn tag(prefix: &str, id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-:".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(255 - prefix.len())
        .collect();
    format!("{prefix}{clean}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_fit_rekognition_rules() {
        assert_eq!(selfie_tag("anna.k"), "p-anna.k");
        assert_eq!(selfie_tag("Zoë O'Brien"), "p-Zo__O_Brien");
        assert_eq!(
            photo_tag(&"ab".repeat(32)),
            format!("ph-{}", "ab".repeat(16))
        );
        assert!(selfie_tag(&"x".repeat(400)).len() <= 255);
    }
}
