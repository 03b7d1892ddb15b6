//! The `match` job: index every face of one photo into the active event's index.

use std::sync::Arc;

use findme_jobs::{ClaimedJob, JobError, JobHandler};
use findme_media::Format;

use super::{job_error, Matching};
use crate::{photo_tag, FaceMatcher, MatcherError};

/// Handles `match` jobs (subject = the photo's SHA-256).
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
        let event = m.active_event().await?;
        let Some(photo_id) = job.photo_id else {
            return Err(JobError::Fail(
                "the photo is no longer in the catalog".into(),
            ));
        };
        let (ev, sha) = (event.id.clone(), job.subject.clone());
        let (indexed, sources) = m
            .catalog
            .read(move |r| Ok((r.photo_indexed(&ev, photo_id)?, r.sources_of(&sha)?)))
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
        let result = self.index(&event, job, format, paths).await;
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
        format: Format,
        paths: Vec<std::path::PathBuf>,
    ) -> Result<Vec<findme_catalog::NewFace>, JobError> {
        let m = &self.matching;
        m.ensure_collection(event).await.map_err(job_error)?;
        let tag = photo_tag(&job.subject);
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
