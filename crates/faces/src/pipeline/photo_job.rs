//! The `match` job: index every face of one photo into its event's index. The
//! job names its event (subject `<event>/<sha256>`): a photo is matched against
//! the events it is a member of, never against whichever event is active.

use std::sync::Arc;

use findme_jobs::{ClaimedJob, JobError, JobHandler};
use findme_media::Format;

use super::{job_error, Matching};
use crate::{photo_tag, FaceMatcher, MatcherError};

/// Handles `match` jobs (subject `<event>/<sha256>`).
pub struct MatchJobs<M> {
    matching: Arc<Matching<M>>,
}

impl<M: FaceMatcher> MatchJobs<M> {
    pub fn new(matching: Arc<Matching<M>>) -> MatchJobs<M> {
        MatchJobs { matching }
    }
}

impl<M: FaceMatcher> JobHandler for MatchJobs<M> {
    async fn run(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let m = &self.matching;
        let Some(event) = m.job_event(job).await? else {
            return Ok(()); // closed: it matches nothing more
        };
        // Another event's backend: this process cannot match it, and must not
        // stop matching the events it can. It waits for a process that runs it.
        let backend = m.matcher.backend();
        if let Some(other) = event.backend.as_deref().filter(|b| *b != backend) {
            return Err(JobError::Defer {
                reason: super::other_backend(&event, other, backend).to_string(),
                after: std::time::Duration::from_secs(300),
            });
        }
        let Some(photo_id) = job.photo_id else {
            return Err(JobError::Fail(
                "the photo is no longer in the catalog".into(),
            ));
        };
        let sha = job
            .subject
            .rsplit_once('/')
            .map_or(job.subject.as_str(), |(_, sha)| sha)
            .to_string();
        let (ev, key) = (event.id.clone(), sha.clone());
        let (indexed, sources) = m
            .catalog
            .read(move |r| Ok((r.photo_indexed(&ev, photo_id)?, r.sources_of(&key)?)))
            .await
            .map_err(|e| JobError::Retry {
                reason: e.to_string(),
                after: None,
            })?;
        if indexed {
            return Ok(()); // a second run changes nothing
        }
        let Some((format, paths)) = sources else {
            return Err(JobError::Fail(
                "the photo is no longer in the catalog".into(),
            ));
        };
        let format = Format::from_name(&format)
            .ok_or_else(|| JobError::Fail(format!("unknown format {format}")))?;
        let result = self.index(&event, job, &sha, format, paths).await;
        m.save_counters().await;
        let faces = result?;
        let ev = event.id.clone();
        m.catalog
            .write(move |w| w.record_photo_faces(&ev, photo_id, &faces))
            .await
            .map_err(|e| JobError::Retry {
                reason: e.to_string(),
                after: None,
            })?;
        m.indexed.notify_waiters();
        Ok(())
    }
}

impl<M: FaceMatcher> MatchJobs<M> {
    async fn index(
        &self,
        event: &findme_catalog::EventRow,
        job: &ClaimedJob,
        sha: &str,
        format: Format,
        paths: Vec<std::path::PathBuf>,
    ) -> Result<Vec<findme_catalog::NewFace>, JobError> {
        let m = &self.matching;
        m.ensure_collection(event).await.map_err(job_error)?;
        let tag = photo_tag(sha);
        // An earlier attempt may have indexed the faces and lost the answer
        // (crash, timeout): adopt them rather than index twice.
        let mut faces = Vec::new();
        if job.attempt > 1 {
            faces = m
                .matcher
                .find_faces(&event.collection_id, &tag)
                .await
                .map_err(job_error)?;
            if !faces.is_empty() {
                tracing::info!(photo = %job.subject, faces = faces.len(), "adopted faces of an interrupted attempt");
            }
        }
        if faces.is_empty() {
            let image = m.image(format, paths).await?;
            faces = match m
                .matcher
                .index_photo(&event.collection_id, &tag, &image)
                .await
            {
                Ok(faces) => faces,
                Err(MatcherError::MissingIndex(reason)) => {
                    // Deleted behind our back: make it again on the next attempt.
                    let ev = event.id.clone();
                    let _ = m
                        .catalog
                        .write(move |w| w.set_collection_state(&ev, "absent"))
                        .await;
                    return Err(JobError::Retry {
                        reason,
                        after: None,
                    });
                }
                Err(e) => return Err(job_error(e)),
            };
        }
        Ok(faces
            .into_iter()
            .map(|f| findme_catalog::NewFace {
                face_id: Some(f.face_id),
                left: f.left,
                top: f.top,
                width: f.width,
                height: f.height,
                confidence: f.confidence,
                signature: f.signature,
            })
            .collect())
    }
}
