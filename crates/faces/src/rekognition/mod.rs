//! The AWS Rekognition backend: one SDK client and one [`RateLimiter`] shared by
//! every worker (the matcher lives behind an `Arc`), an event = a collection.
//!
//! The SDK makes a single attempt per call: the job queue owns retries and
//! backoff, and the limiter must see every throttle to slow down. Every call
//! goes through [`Inner::call`]: take a limiter permit, count the call, classify
//! the failure into a [`MatcherError`] that tells the job what to do next.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_rekognition::config::http::HttpResponse;
use aws_sdk_rekognition::config::Credentials;
use aws_sdk_rekognition::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_rekognition::primitives::Blob;
use aws_sdk_rekognition::types::{Face, Image, QualityFilter};
use aws_sdk_rekognition::Client;
use futures::future::{BoxFuture, FutureExt, Shared};

use crate::limiter::RateLimiter;

mod config;
mod errors;
mod selfie;
mod users;

use crate::{
    CallStats, FaceBox, FaceImage, FaceMatcher, IndexedFace, MatcherError, SimilarFace,
    SimilarPerson,
};
pub use config::{aws_configured_in, RekognitionConfig};
use errors::{classify, Failure};

/// IndexFaces' own limit per image.
const MAX_FACES_PER_PHOTO: i32 = 100;
/// DeleteFaces takes at most this many ids; also the largest ListFaces page.
const MAX_IDS_PER_CALL: usize = 4096;
/// A second face in a selfie counts when its box is at least this fraction of the
/// main face's area; smaller ones are people in the background.
const SECOND_FACE_AREA: f32 = 0.25;
/// Sends of one call while it keeps being throttled, before the job is deferred
/// (handed back for later, without spending an attempt).
const THROTTLED_SENDS: u32 = 5;
const RESEND_PAUSE: Duration = Duration::from_millis(100);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A `CreateCollection` in progress, awaited by every caller that wants it.
type Creation = Shared<BoxFuture<'static, Result<(), MatcherError>>>;

enum Known {
    Ready,
    Creating(Creation),
}

/// [`FaceMatcher`] on AWS Rekognition.
pub struct RekognitionMatcher {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    limiter: RateLimiter,
    stats: Mutex<CallStats>,
    /// Collections known to exist (or being created), so `prepare_event` costs a
    /// call only once per collection and process.
    known: Mutex<HashMap<String, Known>>,
}

impl RekognitionMatcher {
    pub async fn new(config: RekognitionConfig) -> RekognitionMatcher {
        let region = match config.region.clone() {
            Some(r) => RegionProviderChain::first_try(Region::new(r)),
            None => RegionProviderChain::default_provider().or_else(Region::new("us-east-1")),
        };
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(config.call_timeout)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .timeout_config(timeouts);
        if let Some(endpoint) = &config.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        if let Some((key, secret)) = &config.static_credentials {
            loader = loader.credentials_provider(Credentials::new(
                key,
                secret,
                None,
                None,
                "findme-static",
            ));
        }
        let sdk = loader.load().await;
        tracing::debug!(region = ?sdk.region(), "Rekognition client ready");
        RekognitionMatcher {
            inner: Arc::new(Inner {
                client: Client::new(&sdk),
                limiter: RateLimiter::new(config.limiter),
                stats: Mutex::new(CallStats::default()),
                known: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The limiter all calls share (its rate is worth showing in diagnostics).
    pub fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain maps and counters: consistent at every step, so poisoning is harmless.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    /// One Rekognition call under the limiter. `make` builds the SDK future
    /// (nothing is sent before the permit is taken). A throttled call is sent again
    /// in place, paced by the limiter, up to [`THROTTLED_SENDS`] times: a throttle
    /// is a refusal before any work, so resending cannot double anything, and the
    /// job does not redo its earlier calls (or re-render its photo) for it.
    async fn call<T, E, F>(&self, op: &'static str, make: impl Fn() -> F) -> Result<T, Failure>
    where
        F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let mut sends = 0;
        loop {
            sends += 1;
            let permit = self.limiter.acquire().await;
            let granted = permit.granted();
            *lock(&self.stats).calls.entry(op.to_string()).or_default() += 1;
            let err = match make().await {
                Ok(out) => {
                    self.limiter.succeeded_since(granted);
                    return Ok(out);
                }
                Err(err) => classify(op, &err),
            };
            drop(permit);
            match &err.error {
                MatcherError::Throttled(_) => {
                    lock(&self.stats).throttled += 1;
                    self.limiter.throttled_since(granted);
                    if sends < THROTTLED_SENDS {
                        // Beside the limiter's slower pace: a short, growing,
                        // jittered pause (0.1, 0.2, 0.4, 0.8 s ±50 %), so a server
                        // bucket that is empty right now has time to refill.
                        let pause = RESEND_PAUSE * (1 << (sends - 1));
                        tokio::time::sleep(pause.mul_f64(rand::random_range(0.5..1.5))).await;
                        continue;
                    }
                }
                // No answer: says nothing about the rate.
                MatcherError::Unavailable(_) => {}
                _ => self.limiter.succeeded_since(granted),
            }
            tracing::debug!(op, sends, error = %err.error, "Rekognition call failed");
            return Err(err);
        }
    }

    /// The error for the job; a missing collection is forgotten so the next
    /// `prepare_event` creates it again.
    fn settle(&self, collection: &str, failure: Failure) -> MatcherError {
        if matches!(failure.error, MatcherError::MissingIndex(_)) {
            let mut known = lock(&self.known);
            if matches!(known.get(collection), Some(Known::Ready)) {
                known.remove(collection);
            }
        }
        failure.error
    }

    async fn create_collection(&self, collection: &str) -> Result<(), MatcherError> {
        let request = self.client.create_collection().collection_id(collection);
        match self
            .call("CreateCollection", || request.clone().send())
            .await
        {
            Ok(_) => {
                tracing::info!(collection, "created the event's face collection");
                Ok(())
            }
            Err(f) if f.code.as_deref() == Some("ResourceAlreadyExistsException") => Ok(()),
            Err(f) => Err(f.error),
        }
    }

    async fn index_faces(
        &self,
        collection: &str,
        external_id: &str,
        jpeg: &[u8],
        max_faces: i32,
        quality: QualityFilter,
    ) -> Result<aws_sdk_rekognition::operation::index_faces::IndexFacesOutput, MatcherError> {
        let request = self
            .client
            .index_faces()
            .collection_id(collection)
            .image(Image::builder().bytes(Blob::new(jpeg.to_vec())).build())
            .external_image_id(external_id)
            .max_faces(max_faces)
            .quality_filter(quality);
        self.call("IndexFaces", || request.clone().send())
            .await
            .map_err(|f| self.settle(collection, f))
    }
}

impl FaceMatcher for RekognitionMatcher {
    fn backend(&self) -> &'static str {
        "rekognition"
    }

    /// Single flight: concurrent callers share one CreateCollection, and once the
    /// collection is known to exist no call is made at all.
    async fn prepare_event(&self, collection: &str) -> Result<(), MatcherError> {
        let flight = {
            let mut known = lock(&self.inner.known);
            match known.get(collection) {
                Some(Known::Ready) => return Ok(()),
                Some(Known::Creating(flight)) => flight.clone(),
                None => {
                    let (inner, id) = (self.inner.clone(), collection.to_string());
                    let flight = async move { inner.create_collection(&id).await }
                        .boxed()
                        .shared();
                    known.insert(collection.to_string(), Known::Creating(flight.clone()));
                    flight
                }
            }
        };
        let result = flight.clone().await;
        let mut known = lock(&self.inner.known);
        // Unless close_event or a newer flight replaced it meanwhile.
        if matches!(known.get(collection), Some(Known::Creating(f)) if f.ptr_eq(&flight)) {
            if result.is_ok() {
                known.insert(collection.to_string(), Known::Ready);
            } else {
                known.remove(collection); // the next caller tries again
            }
        }
        result
    }

    async fn close_event(&self, collection: &str) -> Result<(), MatcherError> {
        let inner = &self.inner;
        let request = inner.client.delete_collection().collection_id(collection);
        let result = match inner
            .call("DeleteCollection", || request.clone().send())
            .await
        {
            Ok(_) => Ok(()),
            Err(f) if f.code.as_deref() == Some("ResourceNotFoundException") => Ok(()),
            Err(f) => Err(f.error),
        };
        if result.is_ok() {
            lock(&inner.known).remove(collection);
            tracing::info!(collection, "deleted the event's face collection");
        }
        result
    }

    /// See [`selfie`](RekognitionMatcher::selfie) (selfie.rs).
    async fn index_selfie(
        &self,
        collection: &str,
        external_id: &str,
        image: &FaceImage,
        pick: Option<FaceBox>,
    ) -> Result<IndexedFace, MatcherError> {
        self.selfie(collection, external_id, image, pick).await
    }

    /// QualityFilter NONE: every detected face counts, blurred ones included.
    async fn index_photo(
        &self,
        collection: &str,
        external_id: &str,
        image: &FaceImage,
    ) -> Result<Vec<IndexedFace>, MatcherError> {
        let out = self
            .inner
            .index_faces(
                collection,
                external_id,
                image.jpeg()?,
                MAX_FACES_PER_PHOTO,
                QualityFilter::None,
            )
            .await?;
        Ok(out
            .face_records()
            .iter()
            .filter_map(|r| r.face())
            .filter_map(indexed_face)
            .collect())
    }

    /// A face that is no longer in the index (deleted meanwhile) has no matches.
    async fn search_face(
        &self,
        collection: &str,
        face_id: &str,
        threshold: f32,
        max: u32,
    ) -> Result<Vec<SimilarFace>, MatcherError> {
        let inner = &self.inner;
        let max = i32::try_from(max.clamp(1, MAX_IDS_PER_CALL as u32)).unwrap_or(1);
        let request = inner
            .client
            .search_faces()
            .collection_id(collection)
            .face_id(face_id)
            .face_match_threshold(threshold)
            .max_faces(max);
        let out = match inner.call("SearchFaces", || request.clone().send()).await {
            Ok(out) => out,
            Err(f) if f.face_not_in_index(face_id) => {
                tracing::debug!(face_id, "searched face is not in the index");
                return Ok(Vec::new());
            }
            Err(f) => return Err(inner.settle(collection, f)),
        };
        Ok(out
            .face_matches()
            .iter()
            .filter_map(|m| {
                let face = m.face()?;
                Some(SimilarFace {
                    face_id: face.face_id()?.to_string(),
                    external_id: face.external_image_id().map(str::to_string),
                    similarity: m.similarity().unwrap_or(0.0),
                })
            })
            .collect())
    }

    async fn search_people(
        &self,
        collection: &str,
        face_id: &str,
        threshold: f32,
    ) -> Result<Vec<SimilarPerson>, MatcherError> {
        self.inner
            .search_users(collection, face_id, threshold)
            .await
    }

    async fn enroll_person(
        &self,
        collection: &str,
        tag: &str,
        face_id: &str,
    ) -> Result<(), MatcherError> {
        self.inner.enroll(collection, tag, face_id).await
    }

    async fn forget_person(&self, collection: &str, tag: &str) -> Result<(), MatcherError> {
        self.inner.forget(collection, tag).await
    }

    async fn find_faces(
        &self,
        collection: &str,
        external_id: &str,
    ) -> Result<Vec<IndexedFace>, MatcherError> {
        let inner = &self.inner;
        let (mut found, mut token) = (Vec::new(), None::<String>);
        loop {
            let request = inner
                .client
                .list_faces()
                .collection_id(collection)
                .max_results(MAX_IDS_PER_CALL as i32)
                .set_next_token(token.take());
            let page = inner
                .call("ListFaces", || request.clone().send())
                .await
                .map_err(|f| inner.settle(collection, f))?;
            found.extend(
                page.faces()
                    .iter()
                    .filter(|f| f.external_image_id() == Some(external_id))
                    .filter_map(indexed_face),
            );
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(found),
            }
        }
    }

    async fn delete_faces(
        &self,
        collection: &str,
        face_ids: &[String],
    ) -> Result<(), MatcherError> {
        let inner = &self.inner;
        for chunk in face_ids.chunks(MAX_IDS_PER_CALL) {
            let request = inner
                .client
                .delete_faces()
                .collection_id(collection)
                .set_face_ids(Some(chunk.to_vec()));
            let out = inner
                .call("DeleteFaces", || request.clone().send())
                .await
                .map_err(|f| inner.settle(collection, f))?;
            // A face that belongs to a user is refused, not deleted: say so, so
            // the job tries again (forgetting the person first) rather than
            // leaving a withdrawn guest's face in the collection.
            let kept = out.unsuccessful_face_deletions().iter().find(|u| {
                u.reasons()
                    .iter()
                    .any(|r| r.as_str() == "ASSOCIATED_TO_AN_EXISTING_USER")
            });
            if let Some(kept) = kept {
                return Err(MatcherError::Other(format!(
                    "DeleteFaces: face {} still belongs to the person {}",
                    kept.face_id().unwrap_or("?"),
                    kept.user_id().unwrap_or("?")
                )));
            }
        }
        Ok(())
    }

    fn stats(&self) -> CallStats {
        lock(&self.inner.stats).clone()
    }

    fn pace(&self) -> Option<f64> {
        Some(self.inner.limiter.rate())
    }

    fn resume_pace(&self, rate: f64) {
        self.inner.limiter.resume_at(rate);
    }

    fn call_seconds(&self) -> Option<f64> {
        self.inner.limiter.call_seconds()
    }
}

fn indexed_face(face: &Face) -> Option<IndexedFace> {
    let b = face.bounding_box();
    let side = |get: fn(&aws_sdk_rekognition::types::BoundingBox) -> Option<f32>| {
        b.and_then(get).unwrap_or(0.0)
    };
    Some(IndexedFace {
        face_id: face.face_id()?.to_string(),
        left: side(|b| b.left()),
        top: side(|b| b.top()),
        width: side(|b| b.width()),
        height: side(|b| b.height()),
        confidence: face.confidence().unwrap_or(0.0),
        signature: None,
    })
}
