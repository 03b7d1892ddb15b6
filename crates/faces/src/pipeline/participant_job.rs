//! The `index-participant` job (subject `<event>/<participant>`): with consent
//! and a selfie, the participant's face is indexed exactly once. Deleting a face
//! (removed, consent withdrawn) is not this job's: the catalog records it as
//! durable deletion work for the backend that holds it.

use std::sync::Arc;

use findme_catalog::ParticipantRow;
use findme_jobs::{ClaimedJob, JobError, JobHandler};
use findme_media::{classify_path, Classification};

use super::{job_error, Matching};
use crate::{selfie_tag, FaceMatcher, IndexedFace, MatcherError};

pub struct ParticipantJobs<M> {
    matching: Arc<Matching<M>>,
}

impl<M: FaceMatcher> ParticipantJobs<M> {
    pub fn new(matching: Arc<Matching<M>>) -> ParticipantJobs<M> {
        ParticipantJobs { matching }
    }
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry {
        reason: e.to_string(),
        after: None,
    }
}

impl<M: FaceMatcher> JobHandler for ParticipantJobs<M> {
    async fn run(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let m = &self.matching;
        let Some((event_id, participant_id)) = job.subject.split_once('/') else {
            return Err(JobError::Fail(format!(
                "bad participant job subject {}",
                job.subject
            )));
        };
        let (ev, pid) = (event_id.to_string(), participant_id.to_string());
        let (event, participant) = m
            .catalog
            .read(move |r| Ok((r.event(&ev)?, r.participant(&ev, &pid)?)))
            .await
            .map_err(retry)?;
        let (Some(event), Some(p)) = (event, participant) else {
            return Ok(()); // event or participant gone entirely: nothing to sync
        };
        let result = self.sync(&event, &p, job.attempt).await;
        m.save_counters().await;
        result
    }
}

impl<M: FaceMatcher> ParticipantJobs<M> {
    async fn sync(
        &self,
        event: &findme_catalog::EventRow,
        p: &ParticipantRow,
        attempt: u32,
    ) -> Result<(), JobError> {
        let m = &self.matching;
        let (ev, pid) = (event.id.clone(), p.id.clone());
        if p.removed || !p.consent {
            // Never indexed without consent. The catalog turned a withdrawn or
            // removed participant's face into deletion work in the same
            // transaction (the engine's deletion runner does it with the
            // backend that holds it), so nothing is left to do here.
            return Ok(());
        }
        if p.face_id.is_some() {
            return Ok(()); // indexed already: a second run changes nothing
        }
        let Some(selfie) = p.selfie_path.clone() else {
            let reason = "no selfie yet".to_string();
            m.catalog
                .write(move |w| w.record_participant_face(&ev, &pid, None, None, Some(&reason)))
                .await
                .map_err(retry)?;
            return Ok(());
        };
        m.ensure_collection(event).await.map_err(job_error)?;
        let tag = selfie_tag(&p.id);
        let mut adopted: Option<IndexedFace> = None;
        if attempt > 1 {
            let found = m
                .matcher
                .find_faces(&event.collection_id, &tag)
                .await
                .map_err(job_error)?;
            match found.as_slice() {
                [one] => adopted = Some(one.clone()),
                [] => {}
                several => {
                    let ids: Vec<String> = several.iter().map(|f| f.face_id.clone()).collect();
                    m.matcher
                        .forget_person(&event.collection_id, &tag)
                        .await
                        .map_err(job_error)?;
                    m.matcher
                        .delete_faces(&event.collection_id, &ids)
                        .await
                        .map_err(job_error)?;
                }
            }
        }
        let outcome = match adopted {
            Some(face) => Ok(face),
            None => {
                let name = selfie
                    .file_name()
                    .map(std::path::Path::new)
                    .unwrap_or(&selfie);
                let Classification::Photo(format) = classify_path(name) else {
                    let reason =
                        "the selfie is not a photo FindMe can read (use JPEG or PNG)".to_string();
                    m.catalog
                        .write(move |w| {
                            w.record_participant_face(&ev, &pid, None, None, Some(&reason))
                        })
                        .await
                        .map_err(retry)?;
                    return Ok(());
                };
                let image = match m.image(format, vec![selfie]).await {
                    Ok(image) => image,
                    Err(JobError::Fail(reason)) => {
                        m.catalog
                            .write(move |w| {
                                w.record_participant_face(&ev, &pid, None, None, Some(&reason))
                            })
                            .await
                            .map_err(retry)?;
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                };
                m.matcher
                    .index_selfie(&event.collection_id, &tag, &image)
                    .await
            }
        };
        let (face, error) = match outcome {
            Ok(face) => (Some(face), None),
            // The selfie's own problem: shown on the participant, job done.
            Err(
                e @ (MatcherError::NoFace
                | MatcherError::SeveralFaces(_)
                | MatcherError::BadImage(_)),
            ) => (None, Some(e.to_string())),
            Err(e) => return Err(job_error(e)),
        };
        m.catalog
            .write(move |w| {
                w.record_participant_face(
                    &ev,
                    &pid,
                    face.as_ref().map(|f| f.face_id.as_str()),
                    face.as_ref().and_then(|f| f.signature.as_ref()),
                    error.as_deref(),
                )
            })
            .await
            .map_err(retry)?;
        m.indexed.notify_waiters();
        Ok(())
    }
}
