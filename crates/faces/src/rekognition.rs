//! The AWS Rekognition backend: one SDK client and one [`RateLimiter`] shared by
//! every worker (the matcher lives behind an `Arc`), an event = a collection.
//!
//! The SDK makes a single attempt per call: the job queue owns retries and
//! backoff, and the limiter must see every throttle to slow down. Every call
//! goes through [`Inner::call`]: take a limiter permit, count the call, classify
//! the failure into a [`MatcherError`] that tells the job what to do next.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::ffi::OsString;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_rekognition::config::http::HttpResponse;
use aws_sdk_rekognition::config::Credentials;
use aws_sdk_rekognition::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_rekognition::primitives::Blob;
use aws_sdk_rekognition::types::{Face, Image, QualityFilter, Reason};
use aws_sdk_rekognition::Client;
use futures::future::{BoxFuture, FutureExt, Shared};

use crate::limiter::{LimiterConfig, RateLimiter};
use crate::{CallStats, FaceMatcher, IndexedFace, MatcherError, SimilarFace};

/// IndexFaces' own limit per image.
const MAX_FACES_PER_PHOTO: i32 = 100;
/// DeleteFaces takes at most this many ids; also the largest ListFaces page.
const MAX_IDS_PER_CALL: usize = 4096;
/// A second face in a selfie counts when its box is at least this fraction of the
/// main face's area; smaller ones are people in the background.
const SECOND_FACE_AREA: f32 = 0.25;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

const THROTTLING: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
];
const REFUSED_CREDENTIALS: &[&str] = &[
    "ExpiredTokenException",
    "ExpiredToken",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "InvalidClientTokenId",
    "AccessDeniedException",
    "AccessDenied",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
];

/// How to reach Rekognition.
#[derive(Clone)]
pub struct RekognitionConfig {
    /// None: the aws-config chain (AWS_REGION, profile), else us-east-1.
    pub region: Option<String>,
    /// None: aws-config's AWS_ENDPOINT_URL_REKOGNITION / AWS_ENDPOINT_URL apply.
    pub endpoint: Option<String>,
    /// Per attempt: a stalled call frees its worker after this.
    pub call_timeout: Duration,
    /// (access key, secret) for tests and benchmarks; None: the standard chain
    /// (environment, profile including SSO, AWS_PROFILE).
    pub static_credentials: Option<(String, String)>,
    pub limiter: LimiterConfig,
}

impl Default for RekognitionConfig {
    fn default() -> Self {
        RekognitionConfig {
            region: None,
            endpoint: None,
            call_timeout: Duration::from_secs(20),
            static_credentials: None,
            limiter: LimiterConfig::default(),
        }
    }
}

impl RekognitionConfig {
    /// The defaults with the limiter tuned from the environment; region, endpoint
    /// and credentials come from aws-config's own environment handling.
    pub fn from_env() -> Self {
        RekognitionConfig {
            limiter: LimiterConfig::from_env(),
            ..Self::default()
        }
    }
}

/// Hand-written so the secret key never reaches a log.
impl std::fmt::Debug for RekognitionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RekognitionConfig")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("call_timeout", &self.call_timeout)
            .field(
                "static_credentials",
                &self.static_credentials.as_ref().map(|_| "<redacted>"),
            )
            .field("limiter", &self.limiter)
            .finish()
    }
}

/// True when an AWS configuration is visible, without touching the network: an
/// access key, a profile or endpoint variable, or `~/.aws/config` /
/// `~/.aws/credentials` (or the files `AWS_CONFIG_FILE` /
/// `AWS_SHARED_CREDENTIALS_FILE` name).
pub fn aws_configured() -> bool {
    configured_with(|name| std::env::var_os(name))
}

fn configured_with(get: impl Fn(&str) -> Option<OsString>) -> bool {
    let set = |name: &str| get(name).is_some_and(|v| !v.is_empty());
    if [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL_REKOGNITION",
        "AWS_ENDPOINT_URL",
    ]
    .into_iter()
    .any(set)
    {
        return true;
    }
    let home = get("HOME")
        .or_else(|| get("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    let file = |var: &str, name: &str| {
        get(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(name)))
    };
    [
        file("AWS_CONFIG_FILE", "config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ]
    .into_iter()
    .flatten()
    .any(|p| p.is_file())
}

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

/// A failed call: what the job should do, plus the service's error code.
struct Failure {
    error: MatcherError,
    code: Option<String>,
    message: String,
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
    /// One Rekognition call under the limiter. `request` is an unpolled SDK
    /// future, so nothing is sent before the permit is taken.
    async fn call<T, E>(
        &self,
        op: &'static str,
        request: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Result<T, Failure>
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let _permit = self.limiter.acquire().await;
        *lock(&self.stats).calls.entry(op.to_string()).or_default() += 1;
        let err = match request.await {
            Ok(out) => {
                self.limiter.succeeded();
                return Ok(out);
            }
            Err(err) => classify(op, &err),
        };
        match &err.error {
            MatcherError::Throttled(_) => {
                lock(&self.stats).throttled += 1;
                self.limiter.throttled();
            }
            // No answer: says nothing about the rate.
            MatcherError::Unavailable(_) => {}
            _ => self.limiter.succeeded(),
        }
        tracing::debug!(op, error = %err.error, "Rekognition call failed");
        Err(err)
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
        let request = self
            .client
            .create_collection()
            .collection_id(collection)
            .send();
        match self.call("CreateCollection", request).await {
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
            .quality_filter(quality)
            .send();
        self.call("IndexFaces", request)
            .await
            .map_err(|f| self.settle(collection, f))
    }
}

impl FaceMatcher for RekognitionMatcher {
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
        let request = inner
            .client
            .delete_collection()
            .collection_id(collection)
            .send();
        let result = match inner.call("DeleteCollection", request).await {
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

    /// IndexFaces with MaxFaces 1 and QualityFilter AUTO: Rekognition indexes the
    /// largest face and reports the others as EXCEEDS_MAX_FACES. No face → NoFace;
    /// another face at least a quarter of the main one's area → the indexed face
    /// is deleted again and SeveralFaces; smaller faces (background) are ignored.
    async fn index_selfie(
        &self,
        collection: &str,
        external_id: &str,
        jpeg: &[u8],
    ) -> Result<String, MatcherError> {
        let out = self
            .inner
            .index_faces(collection, external_id, jpeg, 1, QualityFilter::Auto)
            .await?;
        let indexed: Vec<IndexedFace> = out
            .face_records()
            .iter()
            .filter_map(|r| r.face())
            .filter_map(indexed_face)
            .collect();
        let Some(main_area) = indexed.iter().map(|f| f.width * f.height).reduce(f32::max) else {
            return Err(MatcherError::NoFace);
        };
        let others = out
            .unindexed_faces()
            .iter()
            .filter(|u| u.reasons().contains(&Reason::ExceedsMaxFaces))
            .filter_map(|u| u.face_detail()?.bounding_box())
            .filter(|b| {
                b.width().unwrap_or(0.0) * b.height().unwrap_or(0.0) >= SECOND_FACE_AREA * main_area
            })
            .count();
        let faces = indexed.len() + others;
        if faces > 1 {
            let ids: Vec<String> = indexed.into_iter().map(|f| f.face_id).collect();
            // An orphan face is harmless (no participant points at it), so a
            // failed cleanup must not turn the selfie's verdict into a retry.
            if let Err(e) = self.delete_faces(collection, &ids).await {
                tracing::warn!(error = %e, "could not remove the face of a group selfie from the index");
            }
            return Err(MatcherError::SeveralFaces(faces));
        }
        indexed
            .into_iter()
            .next()
            .map(|f| f.face_id)
            .ok_or(MatcherError::NoFace)
    }

    /// QualityFilter NONE: every detected face counts, blurred ones included.
    async fn index_photo(
        &self,
        collection: &str,
        external_id: &str,
        jpeg: &[u8],
    ) -> Result<Vec<IndexedFace>, MatcherError> {
        let out = self
            .inner
            .index_faces(
                collection,
                external_id,
                jpeg,
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
            .max_faces(max)
            .send();
        let out = match inner.call("SearchFaces", request).await {
            Ok(out) => out,
            Err(f)
                if f.code.as_deref() == Some("ResourceNotFoundException")
                    && f.message.contains(face_id) =>
            {
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
                .set_next_token(token.take())
                .send();
            let page = inner
                .call("ListFaces", request)
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
                .set_face_ids(Some(chunk.to_vec()))
                .send();
            inner
                .call("DeleteFaces", request)
                .await
                .map_err(|f| inner.settle(collection, f))?;
        }
        Ok(())
    }

    fn stats(&self) -> CallStats {
        lock(&self.inner.stats).clone()
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
    })
}

/// What a failed call means for the job. Uses only error codes, AWS's messages
/// and transport errors: none of them carry keys or tokens.
fn classify<E>(op: &str, err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let (code, message) = match err {
        SdkError::ServiceError(ctx) => (
            ctx.err().code().map(str::to_string),
            ctx.err().message().unwrap_or_default().to_string(),
        ),
        _ => (None, String::new()),
    };
    let error = match (err, code.as_deref()) {
        (SdkError::ServiceError(_), Some(c)) if THROTTLING.contains(&c) => {
            MatcherError::Throttled(format!("{op}: {c}"))
        }
        (SdkError::ServiceError(_), Some(c)) if REFUSED_CREDENTIALS.contains(&c) => refused(c),
        (SdkError::ServiceError(_), Some("InvalidImageFormatException")) => {
            MatcherError::BadImage(format!("the face service cannot read this image (use JPEG or PNG): {message}"))
        }
        (SdkError::ServiceError(_), Some("ImageTooLargeException")) => {
            MatcherError::BadImage(format!("the image is too large for the face service: {message}"))
        }
        (SdkError::ServiceError(_), Some("InvalidParameterException")) if op == "IndexFaces" => {
            MatcherError::BadImage(format!("the face service cannot use this image: {message}"))
        }
        (SdkError::ServiceError(_), Some("ResourceNotFoundException")) => MatcherError::MissingIndex(message.clone()),
        (SdkError::ServiceError(_), c) if status == Some(403) => refused(c.unwrap_or("HTTP 403")),
        (SdkError::ServiceError(_) | SdkError::ResponseError(_), c) if status.is_some_and(|s| s >= 500) => {
            MatcherError::Unavailable(format!("{op}: {} (HTTP {})", c.unwrap_or("server error"), status.unwrap_or(500)))
        }
        (SdkError::TimeoutError(_), _) => MatcherError::Unavailable(format!("{op}: no answer in time")),
        (SdkError::DispatchFailure(_), _) if mentions_credentials(err) => MatcherError::Credentials(format!(
            "no usable AWS credentials ({}): sign in (aws sso login), choose a profile (AWS_PROFILE) or add keys to ~/.aws/credentials",
            DisplayErrorContext(err)
        )),
        (SdkError::DispatchFailure(_), _) => MatcherError::Unavailable(format!("{op}: {}", DisplayErrorContext(err))),
        (SdkError::ServiceError(_), Some(c)) => MatcherError::Other(format!("{op}: {c}: {message}")),
        _ => MatcherError::Other(format!("{op}: {}", DisplayErrorContext(err))),
    };
    Failure {
        error,
        code,
        message,
    }
}

fn refused(code: &str) -> MatcherError {
    MatcherError::Credentials(if code.starts_with("Expired") {
        format!("AWS credentials expired ({code}): sign in again (aws sso login) or update them")
    } else if code.starts_with("AccessDenied") {
        format!("the AWS account is not allowed to use Rekognition ({code}): check the IAM permissions of the profile")
    } else {
        format!("AWS credentials were refused ({code}): sign in again (aws sso login) or update the access keys")
    })
}

/// A dispatch failure caused by the credentials provider (nothing configured, SSO
/// session expired): the SDK reports those as a dispatch failure whose cause is a
/// `CredentialsError`, a type this crate cannot name, so look at the causes' text.
fn mentions_credentials(err: &(dyn StdError + 'static)) -> bool {
    let mut cause = err.source();
    while let Some(e) = cause {
        if e.to_string().to_ascii_lowercase().contains("credential") {
            return true;
        }
        cause = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_configuration_is_seen_without_network() {
        let home = tempfile::tempdir().expect("tempdir");
        let home_os = OsString::from(home.path());
        let env = |pairs: Vec<(&'static str, OsString)>| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        };
        assert!(!configured_with(env(vec![("HOME", home_os.clone())])));
        assert!(!configured_with(env(vec![
            ("HOME", home_os.clone()),
            ("AWS_PROFILE", "".into())
        ])));
        assert!(configured_with(env(vec![("AWS_PROFILE", "studio".into())])));
        assert!(configured_with(env(vec![(
            "AWS_ENDPOINT_URL_REKOGNITION",
            "http://127.0.0.1:9".into()
        )])));
        std::fs::create_dir(home.path().join(".aws")).expect("mkdir");
        std::fs::write(home.path().join(".aws/credentials"), "[default]\n").expect("write");
        assert!(configured_with(env(vec![("HOME", home_os.clone())])));
        let elsewhere = OsString::from(home.path().join("nowhere"));
        assert!(!configured_with(env(vec![("HOME", elsewhere.clone())])));
        let file = OsString::from(home.path().join(".aws/credentials"));
        assert!(configured_with(env(vec![
            ("HOME", elsewhere),
            ("AWS_SHARED_CREDENTIALS_FILE", file)
        ])));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let config = RekognitionConfig {
            static_credentials: Some(("AKIDEXAMPLE".into(), "wJalrXUtnFEMI-secret".into())),
            ..RekognitionConfig::default()
        };
        assert!(!format!("{config:?}").contains("secret"));
    }
}
