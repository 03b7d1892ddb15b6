//! The `index-participant` job (subject `<event>/<participant>`): with consent
//! and a selfie, the participant's face is indexed exactly once. Deleting a face
//! (removed, consent withdrawn) is not this job's: the catalog records it as
//! durable deletion work for the backend that holds it.

use std::sync::Arc;

use findme_catalog::{ParticipantRow, SelfieFace};
use findme_jobs::{ClaimedJob, JobError, JobHandler};
use findme_media::{classify_path, Classification, CropBox};

use super::{job_error, Matching};
use crate::{selfie_tag, FaceBox, FaceMatcher, ImageInput, IndexedFace, MatcherError};

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
        // A face picked among several (its box, kept when they were found).
        let pick = match p.face_pick {
            Some(n) => match p.selfie_faces.get(n as usize) {
                Some(f) => Some(FaceBox {
                    left: f.left,
                    top: f.top,
                    width: f.width,
                    height: f.height,
                }),
                None => {
                    let reason = "the face picked is not in the selfie: pick again".to_string();
                    m.catalog
                        .write(move |w| {
                            w.record_participant_face(&ev, &pid, None, None, Some(&reason))
                        })
                        .await
                        .map_err(retry)?;
                    return Ok(());
                }
            },
            None => None,
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
                let (image, sent_pick) = match pick {
                    // A face service indexes what it is sent: only the picked face.
                    Some(b) if m.matcher.input() == ImageInput::Jpeg => {
                        let crop = around(b);
                        (
                            m.image_around(format, selfie, crop).await,
                            Some(within(b, crop)),
                        )
                    }
                    _ => (m.image(format, vec![selfie]).await, pick),
                };
                let image = match image {
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
                    .index_selfie(&event.collection_id, &tag, &image, sent_pick)
                    .await
            }
        };
        // The boxes to keep: a picked face keeps the ones it was picked from.
        let kept: Vec<SelfieFace> = p.selfie_faces.clone();
        let (face, error, boxes, used) = match outcome {
            Ok(face) => match p.face_pick {
                Some(n) => (Some(face), None, kept, Some(n)),
                None => {
                    let only = selfie_face(face.face_box());
                    (Some(face), None, vec![only], Some(0))
                }
            },
            // The selfie's own problem: shown on the participant, job done.
            Err(MatcherError::SeveralFaces(found)) => {
                let boxes = found.iter().copied().map(selfie_face).collect();
                let reason = MatcherError::SeveralFaces(found).to_string();
                (None, Some(reason), boxes, None)
            }
            Err(e @ (MatcherError::NoFace | MatcherError::BadImage(_))) => {
                let boxes = if pick.is_some() { kept } else { Vec::new() };
                (None, Some(e.to_string()), boxes, None)
            }
            Err(e) => return Err(job_error(e)),
        };
        m.catalog
            .write(move |w| {
                w.record_selfie_faces(&ev, &pid, &boxes, used)?;
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

fn selfie_face(b: FaceBox) -> SelfieFace {
    SelfieFace {
        left: b.left,
        top: b.top,
        width: b.width,
        height: b.height,
    }
}

/// The region sent for a picked face: the face and half its size again on
/// every side (within the selfie), so the face service sees the whole head
/// but at most slivers of the neighbours, too cut to count as faces.
fn around(b: FaceBox) -> CropBox {
    let (left, top) = (
        (b.left - b.width / 2.0).max(0.0),
        (b.top - b.height / 2.0).max(0.0),
    );
    let right = (b.left + b.width * 1.5).min(1.0);
    let bottom = (b.top + b.height * 1.5).min(1.0);
    CropBox {
        left,
        top,
        width: (right - left).max(0.0),
        height: (bottom - top).max(0.0),
    }
}

/// `b` in the fractions of the region `crop` of the same picture.
fn within(b: FaceBox, crop: CropBox) -> FaceBox {
    let (w, h) = (crop.width.max(f32::EPSILON), crop.height.max(f32::EPSILON));
    FaceBox {
        left: (b.left - crop.left) / w,
        top: (b.top - crop.top) / h,
        width: b.width / w,
        height: b.height / h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The region around a face keeps it whole, and the face's box in it is
    /// where the face is in the cut-out picture.
    #[test]
    fn a_picked_face_is_sent_with_a_margin() {
        let face = FaceBox {
            left: 0.6,
            top: 0.1,
            width: 0.2,
            height: 0.2,
        };
        let crop = around(face);
        assert!((crop.left - 0.5).abs() < 1e-6 && (crop.width - 0.4).abs() < 1e-6);
        assert!(crop.top == 0.0 && (crop.height - 0.4).abs() < 1e-6);
        let inside = within(face, crop);
        assert!((inside.left - 0.25).abs() < 1e-6 && (inside.width - 0.5).abs() < 1e-6);
        assert!((inside.top - 0.25).abs() < 1e-6 && (inside.height - 0.5).abs() < 1e-6);
    }
}
