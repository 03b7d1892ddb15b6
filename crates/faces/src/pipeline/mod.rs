//! The matching stages on top of a [`FaceMatcher`]: the `match` job indexes a
//! photo's faces, the `index-participant` job keeps a participant's selfie in the
//! index (or out of it), and the search coordinator decides when to search and
//! records who was found where. All three write only through the catalog, with
//! idempotent records, so a retry or a restart after a crash changes nothing.

mod participant_job;
mod photo_job;
mod search;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use findme_catalog::{Catalog, EventRow};
use findme_jobs::{ClaimedJob, JobError};
use findme_media::{render, CropBox, Format, RenderError, RenditionRequest};
use tokio::sync::Notify;

use crate::{FaceImage, FaceMatcher, ImageInput, MatcherError};

pub use participant_job::ParticipantJobs;
pub use photo_job::MatchJobs;
pub use search::{SearchCoordinator, SearchStatus};

/// A call's time before any has been answered (Rekognition's IndexFaces takes
/// about half a second).
const FIRST_CALL_GUESS: f64 = 0.5;

/// ⌈rate × seconds per job × 1.5⌉ + 1, within 2..=`most` (see
/// [`Matching::wanted_workers`]).
pub fn workers_for(rate: f64, job_seconds: f64, most: usize) -> usize {
    let most = most.max(2);
    let wanted = (rate.max(0.0) * job_seconds.max(0.0) * 1.5).ceil();
    if wanted.is_finite() && wanted < most as f64 {
        (wanted as usize + 1).clamp(2, most)
    } else {
        most
    }
}

/// Tuning of the matching stages.
#[derive(Debug, Clone)]
pub struct MatchingConfig {
    /// Long edge of the JPEG sent to the face service: big enough that a 40 px
    /// face in the original survives, small enough for its 5 MB limit.
    pub rendition_edge: u32,
    pub rendition_quality: u8,
    /// The face service refuses larger images.
    pub max_image_bytes: usize,
    /// The longest a live photo waits for its search.
    pub latency_bound: Duration,
    /// The longest a card's or an import's photo waits while the rest of it is
    /// indexed (see [`crate::planner`]).
    pub backlog_bound: Duration,
    /// Results per search (Rekognition allows up to 4096).
    pub max_results: u32,
    /// Searches in flight at once (the matcher's limiter caps real calls).
    pub parallel_searches: usize,
}

impl Default for MatchingConfig {
    fn default() -> Self {
        MatchingConfig {
            rendition_edge: 2560,
            rendition_quality: 90,
            max_image_bytes: 5 * 1024 * 1024,
            latency_bound: Duration::from_secs(30),
            backlog_bound: Duration::from_secs(300),
            max_results: 4096,
            parallel_searches: 8,
        }
    }
}

/// What every matching stage shares.
pub struct Matching<M> {
    pub catalog: Catalog,
    pub matcher: Arc<M>,
    pub config: MatchingConfig,
    /// Rung when a photo or a participant was indexed: the coordinator looks again.
    pub(crate) indexed: Notify,
    /// The matcher's counters as last persisted.
    saved_stats: std::sync::Mutex<crate::CallStats>,
    /// Renders at once (one per core): a pool sized to a remote service's pace
    /// may have many more workers than cores.
    render_slots: tokio::sync::Semaphore,
    /// How long a render takes, once it has its slot.
    render_time: crate::RunningAverage,
}

impl<M: FaceMatcher> Matching<M> {
    pub fn new(catalog: Catalog, matcher: Arc<M>, config: MatchingConfig) -> Arc<Matching<M>> {
        let matcher_stats = matcher.stats();
        Arc::new(Matching {
            catalog,
            matcher,
            config,
            indexed: Notify::new(),
            saved_stats: std::sync::Mutex::new(matcher_stats),
            render_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            render_time: Default::default(),
        })
    }

    /// How many match workers keep a remote service busy at the rate it allows:
    /// ⌈rate × (render + call) × 1.5⌉ + 1 (Little's law, with headroom so the
    /// limiter, not the pool, is the bottleneck and the rate can keep growing),
    /// within 2..=`most`. None for a backend whose work is local.
    pub fn wanted_workers(&self, most: usize) -> Option<usize> {
        let rate = self.matcher.pace()?;
        let call = self.matcher.call_seconds().unwrap_or(FIRST_CALL_GUESS);
        let render = self.render_time.get().unwrap_or(0.0);
        Some(workers_for(rate, call + render, most))
    }

    /// The event a match job works for; None when it is closed (the job has
    /// nothing more to do: a closed event matches nothing).
    pub(crate) async fn job_event(&self, job: &ClaimedJob) -> Result<Option<EventRow>, JobError> {
        let Some(id) = job.event.clone() else {
            return Err(JobError::Fail("the job names no event".into()));
        };
        match self.catalog.read(move |r| r.event(&id)).await {
            Ok(Some(event)) if event.collection_state == "closed" => Ok(None),
            Ok(Some(event)) => Ok(Some(event)),
            Ok(None) => Err(JobError::Fail(
                "its event is no longer in the catalog".into(),
            )),
            Err(e) => Err(JobError::Retry {
                reason: e.to_string(),
                after: None,
            }),
        }
    }

    /// Create the event's index once; remember it in the catalog.
    pub(crate) async fn ensure_collection(&self, event: &EventRow) -> Result<(), MatcherError> {
        let backend = self.matcher.backend();
        if event.backend.as_deref() != Some(backend) {
            let id = event.id.clone();
            let tied = self
                .catalog
                .write(move |w| w.claim_event_backend(&id, backend))
                .await
                .map_err(|e| MatcherError::Other(e.to_string()))?;
            if let Some(other) = tied.filter(|b| b != backend) {
                return Err(other_backend(event, &other, backend));
            }
        }
        self.matcher.prepare_event(&event.collection_id).await?;
        if event.collection_state != "ready" {
            let id = event.id.clone();
            self.catalog
                .write(move |w| w.set_collection_state(&id, "ready"))
                .await
                .map_err(|e| MatcherError::Other(e.to_string()))?;
        }
        Ok(())
    }

    /// Go on at the call rate the last run had learnt (catalog setting
    /// `<backend>.pace`), so a restart mid-event does not climb from the
    /// starting rate again. A rate learnt on another account or region is
    /// corrected by the limiter within seconds (halved on the first throttle).
    pub async fn resume_pace(&self) {
        let key = format!("{}.pace", self.matcher.backend());
        match self.catalog.read(move |r| r.setting(&key)).await {
            Ok(Some(saved)) => {
                if let Ok(rate) = saved.parse::<f64>() {
                    tracing::info!(rate, "resuming at the call rate learnt last time");
                    self.matcher.resume_pace(rate);
                }
            }
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "could not read the learnt call rate"),
        }
    }

    /// Persist the matcher's call counters (so `findme stats` in another process
    /// sees them): what was counted since the last save. The snapshot is shared,
    /// so concurrent jobs never count one call twice. The learnt call rate is
    /// saved with them.
    pub async fn save_counters(&self) {
        let prefix = self.matcher.backend();
        let deltas = {
            let Ok(mut saved) = self.saved_stats.lock() else {
                return;
            };
            let now = self.matcher.stats();
            let mut deltas: Vec<(String, u64)> = now
                .calls
                .iter()
                .map(|(op, n)| {
                    let before = saved.calls.get(op).copied().unwrap_or(0);
                    (format!("{prefix}.calls.{op}"), n.saturating_sub(before))
                })
                .filter(|(_, n)| *n > 0)
                .collect();
            let throttled = now.throttled.saturating_sub(saved.throttled);
            if throttled > 0 {
                deltas.push((format!("{prefix}.throttled"), throttled));
            }
            *saved = now;
            deltas
        };
        if deltas.is_empty() {
            return;
        }
        let pace = self
            .matcher
            .pace()
            .map(|rate| (format!("{prefix}.pace"), format!("{rate:.3}")));
        let saved = self
            .catalog
            .write(move |w| {
                w.add_counters(&deltas)?;
                if let Some((key, rate)) = &pace {
                    w.set_setting(key, rate)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = saved {
            tracing::debug!(error = %e, "could not save call counters");
        }
    }

    /// The picture of `paths` (any readable one) the matcher wants: a JPEG within
    /// the service's limits (upright, `rendition_edge` long, re-encoded smaller
    /// until it fits the byte limit), or upright pixels decoded once.
    pub(crate) async fn image(
        &self,
        format: Format,
        paths: Vec<PathBuf>,
    ) -> Result<FaceImage, JobError> {
        let config = self.config.clone();
        let input = self.matcher.input();
        let _slot = self
            .render_slots
            .acquire()
            .await
            .map_err(|_| JobError::Retry {
                reason: "shutting down".into(),
                after: None,
            })?;
        let started = std::time::Instant::now();
        let image = tokio::task::spawn_blocking(move || match input {
            ImageInput::Jpeg => rendition_blocking(format, &paths, &config).map(FaceImage::Jpeg),
            ImageInput::Pixels { long_edge } => {
                pixels_blocking(format, &paths, long_edge).map(|p| FaceImage::Pixels(Arc::new(p)))
            }
        })
        .await
        .map_err(|e| JobError::Retry {
            reason: format!("render task failed: {e}"),
            after: None,
        })?;
        self.render_time.record(started.elapsed().as_secs_f64());
        image
    }
}

impl<M: FaceMatcher> Matching<M> {
    /// The region `crop` of the selfie as a JPEG for the face service (the face
    /// the photographer picked, alone), at the size photos are sent at.
    pub(crate) async fn image_around(
        &self,
        format: Format,
        path: PathBuf,
        crop: CropBox,
    ) -> Result<FaceImage, JobError> {
        let (edge, quality) = (self.config.rendition_edge, self.config.rendition_quality);
        tokio::task::spawn_blocking(move || {
            match findme_media::render_crop(&path, format, crop, edge, quality) {
                Ok(cut) => Ok(FaceImage::Jpeg(cut.jpeg)),
                Err(RenderError::Io(e)) => {
                    Err(original_unavailable(&format!("{}: {e}", path.display())))
                }
                Err(e) => Err(cannot_match(e)),
            }
        })
        .await
        .map_err(|e| JobError::Retry {
            reason: format!("render task failed: {e}"),
            after: None,
        })?
    }
}

/// Upright pixels of the first readable path, long edge at most `long_edge`.
fn pixels_blocking(
    format: Format,
    paths: &[PathBuf],
    long_edge: u32,
) -> Result<findme_media::UprightRgb, JobError> {
    let mut missing = "no file is known for it".to_string();
    for path in paths {
        match findme_media::render_rgb(path, format, long_edge) {
            Ok(pixels) => return Ok(pixels),
            Err(RenderError::Io(e)) => missing = format!("{}: {e}", path.display()),
            Err(e) => return Err(cannot_match(e)),
        }
    }
    Err(original_unavailable(&missing))
}

fn cannot_match(e: RenderError) -> JobError {
    match e {
        RenderError::NoPreview(reason)
        | RenderError::Corrupt(reason)
        | RenderError::TooLarge(reason) => {
            JobError::Fail(format!("cannot match this photo: {reason}"))
        }
        RenderError::Io(e) => JobError::Fail(format!("cannot match this photo: {e}")),
    }
}

fn original_unavailable(missing: &str) -> JobError {
    JobError::Retry {
        reason: format!("the original file is not available ({missing})"),
        after: Some(Duration::from_secs(60)),
    }
}

fn rendition_blocking(
    format: Format,
    paths: &[PathBuf],
    config: &MatchingConfig,
) -> Result<Vec<u8>, JobError> {
    let mut missing = "no file is known for it".to_string();
    for path in paths {
        let (mut edge, mut quality) = (config.rendition_edge, config.rendition_quality);
        loop {
            let request = RenditionRequest {
                long_edge: edge,
                quality,
            };
            match render(path, format, &[request]) {
                Ok(made) => {
                    let jpeg = made
                        .outputs
                        .into_iter()
                        .next()
                        .map(|r| r.jpeg)
                        .unwrap_or_default();
                    if jpeg.len() <= config.max_image_bytes {
                        return Ok(jpeg);
                    }
                    // Too big for the service: lower the quality, then the size.
                    if quality > 70 {
                        quality -= 10;
                    } else if edge > 1024 {
                        edge = edge * 3 / 4;
                    } else {
                        return Err(JobError::Fail(
                            "the photo cannot be made small enough for the face service".into(),
                        ));
                    }
                }
                Err(RenderError::Io(e)) => {
                    missing = format!("{}: {e}", path.display());
                    break;
                }
                Err(e) => return Err(cannot_match(e)),
            }
        }
    }
    Err(original_unavailable(&missing))
}

/// Face ids of one backend mean nothing to another: an event stays with the
/// backend that indexed it first.
pub(crate) fn other_backend(event: &EventRow, other: &str, backend: &str) -> MatcherError {
    MatcherError::Setup(format!(
        "the event \"{}\" was matched with {other}: match it with --backend {other} \
         (or the same setting in the app), or create a new event to match with {backend}",
        event.name
    ))
}

/// What a job does after a matcher error.
pub(crate) fn job_error(err: MatcherError) -> JobError {
    match err {
        // Throttling says nothing about the job: never spend an attempt on it.
        MatcherError::Throttled(_) => JobError::Defer {
            reason: err.to_string(),
            after: Duration::from_millis(rand::random_range(2_000..6_000)),
        },
        MatcherError::Unavailable(_) | MatcherError::Other(_) | MatcherError::MissingIndex(_) => {
            JobError::Retry {
                reason: err.to_string(),
                after: None,
            }
        }
        MatcherError::Credentials(_) | MatcherError::Setup(_) => JobError::Pause(err.to_string()),
        MatcherError::BadImage(_) | MatcherError::NoFace | MatcherError::SeveralFaces(_) => {
            JobError::Fail(err.to_string())
        }
    }
}

#[cfg(test)]
mod sizing_tests {
    use super::workers_for;

    #[test]
    fn the_pool_keeps_the_rate_busy_with_headroom_within_its_bounds() {
        // 50 calls/s, 0.2 s call + 0.05 s render: 12.5 busy, 18.75 with headroom.
        assert_eq!(workers_for(50.0, 0.25, 64), 20);
        // A fresh account: 5 calls/s, the first-call guess of 0.5 s.
        assert_eq!(workers_for(5.0, 0.5, 64), 5);
        assert_eq!(workers_for(0.5, 0.2, 64), 2, "never fewer than 2");
        assert_eq!(workers_for(100.0, 3.0, 64), 64, "never more than the most");
        assert_eq!(workers_for(f64::INFINITY, 1.0, 64), 64);
        assert_eq!(
            workers_for(f64::NAN, 1.0, 8),
            2,
            "an unknown rate: the least"
        );
    }
}
