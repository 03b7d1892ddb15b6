//! The `push` job: one outbox row to the event server.

use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use findme_catalog::{Catalog, OutboxRow, PushPhoto};
use findme_jobs::{ClaimedJob, JobError, JobHandler};
use findme_media::{render, Format, RenderError, RenditionRequest};
use findme_protocol::{ClientError, EventClient, FaceBox, GridOutcome, PhotoFace, PhotoMetadata};

use crate::backoff::Offline;
use crate::{PushError, WebRendition, GRID_LONG_EDGE, GRID_QUALITY};

/// How long a job of another event waits (a sync of that event makes it due).
const OTHER_EVENT_DELAY: Duration = Duration::from_secs(300);
/// How long a push waits for an original that is not reachable now.
const SOURCE_RETRY: Duration = Duration::from_secs(60);

/// Handles `push` jobs (subject = outbox row id) of one event and server.
pub struct PushJobs {
    catalog: Catalog,
    client: EventClient,
    event: String,
    web: WebRendition,
    offline: Offline,
    /// The server answered 404 to a grid rendition (an older v1 server): the
    /// rest of this run sends only the web rendition.
    no_grid: AtomicBool,
}

impl PushJobs {
    pub fn new(catalog: Catalog, client: EventClient, event: &str, web: WebRendition) -> PushJobs {
        PushJobs {
            catalog,
            client,
            event: event.to_string(),
            web,
            offline: Offline::default(),
            no_grid: AtomicBool::new(false),
        }
    }

    async fn push(&self, row: &OutboxRow) -> Result<(), PushError> {
        let bytes = match row.kind.as_str() {
            "photo" => self.push_photo(row).await?,
            "photo_withdrawn" => {
                // Withdrawal outranks every metadata revision up to this row's id.
                self.client
                    .delete_photo(&self.event, &row.subject, Some(revision(row)))
                    .await?;
                0
            }
            // The photos that lost the participant's matches were queued as 'photo'
            // rows in the same transaction; nothing else is sent for the removal.
            "participant_removed" => 0,
            other => {
                return Err(PushError::Internal(format!(
                    "unknown outbox kind {other:?}"
                )))
            }
        };
        let id = row.id;
        let marked = self
            .catalog
            .write(move |w| w.mark_outbox_sent(id, bytes))
            .await?;
        if !marked {
            tracing::debug!(outbox = id, "superseded by a newer change while pushing");
        }
        Ok(())
    }

    /// Web rendition, grid rendition, then metadata (the server shows a photo once
    /// it has the web rendition and metadata, so the grid is there by then).
    /// Returns the web rendition's size (what the per-photo byte figure counts).
    async fn push_photo(&self, row: &OutboxRow) -> Result<u64, PushError> {
        let photo_id: i64 = row
            .subject
            .parse()
            .map_err(|_| PushError::Internal(format!("bad photo id {:?}", row.subject)))?;
        let event = self.event.clone();
        let Some(photo) = self
            .catalog
            .read(move |r| r.push_photo(&event, photo_id))
            .await?
        else {
            // The photo left the catalog: there is nothing left to send.
            return Ok(0);
        };
        let (format, sources, size) = (photo.format.clone(), photo.sources.clone(), self.web);
        let grid = !self.no_grid.load(Ordering::Relaxed);
        let (web, grid) =
            tokio::task::spawn_blocking(move || render_for_push(&format, &sources, size, grid))
                .await
                .map_err(|e| PushError::Internal(format!("render task failed: {e}")))??;
        let image_bytes = web.jpeg.len() as u64;
        self.client
            .put_image(&self.event, &photo.sha256, web.jpeg)
            .await?;
        if let Some(grid) = grid {
            let outcome = self
                .client
                .put_grid_image(&self.event, &photo.sha256, grid.jpeg)
                .await?;
            if matches!(outcome, GridOutcome::Unsupported)
                && !self.no_grid.swap(true, Ordering::Relaxed)
            {
                tracing::debug!(
                    event = %self.event,
                    "the event server has no grid rendition endpoint; sending web renditions only"
                );
            }
        }
        let metadata = metadata(&photo, revision(row), web.width, web.height);
        self.client
            .put_metadata(&self.event, &photo.sha256, &metadata)
            .await?;
        Ok(image_bytes)
    }
}

impl JobHandler for PushJobs {
    async fn run(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let Ok(id) = job.subject.parse::<i64>() else {
            return Err(JobError::Fail(format!(
                "push job for {:?}: not an outbox row",
                job.subject
            )));
        };
        let row = self
            .catalog
            .read(move |r| r.outbox_row(id))
            .await
            .map_err(|e| retry(e.to_string()))?;
        // Gone (replaced by a newer change) or already sent: nothing to do.
        let Some(row) = row.filter(|r| r.sent_ms.is_none()) else {
            return Ok(());
        };
        if row.event_id != self.event {
            return Err(JobError::Defer {
                reason: format!("waiting for a sync of event {}", row.event_id),
                after: OTHER_EVENT_DELAY,
            });
        }
        if let Some((after, reason)) = self.offline.waiting() {
            return Err(JobError::Defer { reason, after });
        }
        match self.push(&row).await {
            Ok(()) => {
                self.offline.reached();
                Ok(())
            }
            Err(e) => Err(self.classify(e)),
        }
    }
}

impl PushJobs {
    fn classify(&self, error: PushError) -> JobError {
        match error {
            PushError::Server(ClientError::Retryable {
                reason,
                retry_after,
                ..
            }) => {
                let reason = format!("event server unreachable: {reason}");
                let after = self.offline.failed(&reason, retry_after);
                tracing::info!(%reason, ?after, "push deferred");
                JobError::Defer { reason, after }
            }
            PushError::Server(e @ ClientError::Unauthorized { .. }) => {
                self.offline.reached();
                JobError::Pause(e.to_string())
            }
            PushError::Server(e) => {
                self.offline.reached();
                JobError::Fail(e.to_string())
            }
            e @ PushError::SourceMissing(_) => retry_after(e.to_string(), SOURCE_RETRY),
            e @ PushError::Unusable(_) => JobError::Fail(e.to_string()),
            e @ (PushError::Catalog(_) | PushError::Internal(_)) => retry(e.to_string()),
        }
    }
}

fn retry(reason: String) -> JobError {
    JobError::Retry {
        reason,
        after: None,
    }
}

fn retry_after(reason: String, after: Duration) -> JobError {
    JobError::Retry {
        reason,
        after: Some(after),
    }
}

/// The outbox id is the revision: ids only grow, so a later change of a photo
/// always wins on the server.
fn revision(row: &OutboxRow) -> u64 {
    u64::try_from(row.id).unwrap_or(0)
}

fn metadata(photo: &PushPhoto, revision: u64, web_w: u32, web_h: u32) -> PhotoMetadata {
    PhotoMetadata {
        captured_at: photo.captured_at.clone(),
        width: photo.width.unwrap_or(web_w),
        height: photo.height.unwrap_or(web_h),
        camera: photo.camera.clone(),
        revision,
        faces: photo
            .matched
            .iter()
            .map(|f| PhotoFace {
                participant_id: f.participant.as_ref().map(|p| p.0.clone()),
                confidence: f64::from(f.participant.as_ref().map_or(f.confidence, |p| p.2)),
                face_box: FaceBox {
                    left: f64::from(f.left),
                    top: f64::from(f.top),
                    width: f64::from(f.width),
                    height: f64::from(f.height),
                },
            })
            .collect(),
    }
}

/// The web rendition and (with `grid`) the grid rendition from one decode of the
/// first readable location. `render` encodes fresh baseline JPEGs from pixels, so
/// no EXIF of the original (GPS, serial numbers) reaches the server.
fn render_for_push(
    format: &str,
    sources: &[PathBuf],
    web: WebRendition,
    grid: bool,
) -> Result<(findme_media::Rendition, Option<findme_media::Rendition>), PushError> {
    let format = Format::from_name(format)
        .ok_or_else(|| PushError::Unusable(format!("unknown format {format}")))?;
    let mut requests = vec![RenditionRequest {
        long_edge: web.long_edge,
        quality: web.quality,
    }];
    if grid {
        requests.push(RenditionRequest {
            long_edge: GRID_LONG_EDGE,
            quality: GRID_QUALITY,
        });
    }
    let mut missing = "no location of the photo is known".to_string();
    for path in sources {
        match render(path, format, &requests) {
            Ok(made) => {
                let mut outputs = made.outputs.into_iter();
                let web = outputs.next().ok_or_else(|| {
                    PushError::Internal("the renderer returned no picture".into())
                })?;
                return Ok((web, outputs.next()));
            }
            Err(RenderError::Io(e)) if e.kind() == ErrorKind::NotFound => {
                missing = format!("{} is gone", path.display());
            }
            Err(RenderError::Io(e)) => missing = format!("{}: {e}", path.display()),
            Err(
                RenderError::NoPreview(reason)
                | RenderError::Corrupt(reason)
                | RenderError::TooLarge(reason),
            ) => return Err(PushError::Unusable(reason)),
        }
    }
    Err(PushError::SourceMissing(missing))
}
