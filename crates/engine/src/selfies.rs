//! A participant's selfie as the photographer sees it: a small JPEG for the
//! participant list, and the face to use when the selfie shows several.

use findme_catalog::Picked;
use findme_keys::{EventId, ParticipantId};
use findme_media::{classify_path, render, Classification, RenderError, RenditionRequest};

use crate::participants::no_participant;
use crate::{Engine, EngineError, ParticipantDto, RenditionError};

/// Long edge of a selfie's picture in the participant list (as a gallery
/// thumbnail: sharp on a 2× screen at the list's size).
const SELFIE_EDGE: u32 = 320;
const SELFIE_QUALITY: u8 = 85;

impl Engine {
    /// Use face `face` (an index into the participant's `faces`) of their
    /// selfie: the face indexed until now, if another, goes with its matches,
    /// and that face alone is indexed in the background (on Rekognition from a
    /// crop of the selfie around it, so no other face enters the collection).
    pub async fn pick_participant_face(
        &self,
        event: &EventId,
        id: &ParticipantId,
        face: u32,
    ) -> Result<ParticipantDto, EngineError> {
        let before = self.participant(event, id).await?;
        let (ev, pid) = (event.to_string(), id.to_string());
        let picked = self
            .catalog()
            .write(move |w| w.pick_selfie_face(&ev, &pid, face))
            .await?;
        match picked {
            Picked::NoSuchFace => {
                let found = before.faces.len();
                return Err(EngineError::Invalid(match found {
                    0 => format!("no face was found in the selfie of {id}"),
                    n => format!("the selfie of {id} has faces 0 to {}, not {face}", n - 1),
                }));
            }
            Picked::Already => {}
            Picked::Queued => {
                self.inner.workers.wake();
                self.inner.workers.deletions_written();
            }
        }
        self.participant(event, id).await
    }

    /// A small upright JPEG of the participant's selfie (the `thumb://…/selfie/`
    /// route). Made anew on each request: selfies are few, and one replaced or
    /// deleted (consent withdrawn) must not be shown from a cache.
    pub async fn selfie_thumbnail(
        &self,
        event: &EventId,
        id: &ParticipantId,
    ) -> Result<Vec<u8>, RenditionError> {
        let (ev, pid) = (event.to_string(), id.to_string());
        let row = self
            .catalog()
            .read(move |r| r.participant(&ev, &pid))
            .await
            .map_err(|e| RenditionError::Internal(e.to_string()))?;
        let Some(path) = row.filter(|p| !p.removed).and_then(|p| p.selfie_path) else {
            return Err(RenditionError::NotFound(
                no_participant(event, id).to_string() + " with a selfie",
            ));
        };
        let name = path.file_name().map(std::path::Path::new).unwrap_or(&path);
        let Classification::Photo(format) = classify_path(name) else {
            return Err(RenditionError::NotFound(
                "the selfie is not a photo FindMe can read".into(),
            ));
        };
        let request = RenditionRequest {
            long_edge: SELFIE_EDGE,
            quality: SELFIE_QUALITY,
        };
        tokio::task::spawn_blocking(move || render(&path, format, &[request]))
            .await
            .map_err(|e| RenditionError::Internal(format!("selfie render task failed: {e}")))?
            .map_err(|e| match e {
                RenderError::NoPreview(_)
                | RenderError::Corrupt(_)
                | RenderError::TooLarge(_)
                | RenderError::Io(_) => RenditionError::NotFound(e.to_string()),
            })?
            .outputs
            .into_iter()
            .next()
            .map(|r| r.jpeg)
            .ok_or_else(|| RenditionError::Internal("no selfie picture was made".into()))
    }
}
