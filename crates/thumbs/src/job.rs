//! The `thumbnail` job: make a photo's renditions in the background.

use std::time::Duration;

use findme_jobs::{ClaimedJob, JobError, JobHandler};

use crate::{PhotoKey, ThumbError, ThumbnailCache};

/// Handles `thumbnail` jobs (subject = the photo's SHA-256).
pub struct ThumbnailJobs {
    cache: ThumbnailCache,
}

impl ThumbnailJobs {
    pub fn new(cache: ThumbnailCache) -> ThumbnailJobs {
        ThumbnailJobs { cache }
    }
}

impl JobHandler for ThumbnailJobs {
    async fn run(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let Ok(key) = PhotoKey::parse(&job.subject) else {
            return Err(JobError::Fail(format!(
                "the job names no photo ({:?} is not a photo key)",
                job.subject
            )));
        };
        let sha = job.subject.clone();
        match self.cache.ensure(&key).await {
            Ok(()) => Ok(()),
            // A lasting property of the photo, shown on its tile: the job is done.
            Err(ThumbError::NoPreview(reason)) => {
                record(&self.cache, move |w| w.set_preview_error(&sha, &reason)).await
            }
            Err(ThumbError::Corrupt(reason)) => {
                record(&self.cache, move |w| w.mark_photo_failed(&sha, &reason)).await
            }
            // The card may come back: try later, then quarantine with the reason.
            Err(e @ ThumbError::SourceMissing(_)) => Err(JobError::Retry {
                reason: e.to_string(),
                after: Some(Duration::from_secs(60)),
            }),
            Err(ThumbError::UnknownPhoto) => Err(JobError::Fail(
                "the photo is no longer in the catalog".into(),
            )),
            Err(e) => Err(JobError::Retry {
                reason: e.to_string(),
                after: None,
            }),
        }
    }
}

async fn record<F>(cache: &ThumbnailCache, f: F) -> Result<(), JobError>
where
    F: FnOnce(&findme_catalog::Writer<'_>) -> findme_catalog::Result<()> + Send + 'static,
{
    cache.catalog().write(f).await.map_err(|e| JobError::Retry {
        reason: e.to_string(),
        after: None,
    })
}
