//! Events: creating them, choosing the active one, the on-device threshold,
//! closing them (and carrying out the deletions that asks for).

use findme_catalog::EventRow;
use findme_keys::EventId;

use crate::{DeletionReport, Engine, EngineError, EventDto, MatchBackend};

/// Default similarity threshold (Rekognition's own default is 80).
pub const DEFAULT_THRESHOLD: f32 = 80.0;

impl Engine {
    /// Create an event (or return the existing one). The first event created
    /// becomes the active one.
    pub async fn create_event(
        &self,
        id: &EventId,
        name: &str,
        threshold: Option<f32>,
    ) -> Result<EventDto, EngineError> {
        let (eid, name) = (id.to_string(), name.to_string());
        let threshold = threshold.unwrap_or(DEFAULT_THRESHOLD).clamp(0.0, 100.0);
        self.catalog()
            .write(move |w| w.create_event(&eid, &name, threshold))
            .await?;
        if self.catalog().read(|r| r.active_event()).await?.is_none() {
            self.use_event(id).await?;
        }
        self.event(id).await
    }

    /// Create an event tied to a matcher, with the threshold in that matcher's
    /// own scale: on this computer a cosine similarity 0-1, with Rekognition a
    /// similarity 0-100 (also without a matcher chosen). What the app's form and
    /// `findme events create` do.
    pub async fn create_event_with(
        &self,
        id: &EventId,
        name: &str,
        backend: Option<MatchBackend>,
        threshold: Option<f32>,
    ) -> Result<EventDto, EngineError> {
        let local = backend == Some(MatchBackend::Local);
        if let (true, Some(t)) = (local, threshold) {
            check_local_threshold(t)?;
        }
        let mut event = self
            .create_event(id, name, if local { None } else { threshold })
            .await?;
        if let Some(backend) = backend {
            event = self.choose_backend(id, backend).await?;
        }
        if let (true, Some(t)) = (local, threshold) {
            event = self.set_local_threshold(id, t).await?;
        }
        Ok(event)
    }

    /// Tie an event to the face matcher that will match it ("local" or
    /// "rekognition"), before any face is indexed. An event already tied to the
    /// other one stays with it (its face data lives there): a conflict.
    pub async fn choose_backend(
        &self,
        id: &EventId,
        backend: MatchBackend,
    ) -> Result<EventDto, EngineError> {
        let name = match backend {
            MatchBackend::Local => "local",
            MatchBackend::Rekognition => "rekognition",
            MatchBackend::Auto | MatchBackend::Off => {
                return Err(EngineError::Invalid(
                    "an event is matched on this computer (local) or with AWS Rekognition (rekognition)".into(),
                ))
            }
        };
        self.event(id).await?;
        let ev = id.to_string();
        let tied = self
            .catalog()
            .write(move |w| w.claim_event_backend(&ev, name))
            .await?;
        if let Some(other) = tied.filter(|b| b != name) {
            return Err(EngineError::Conflict(format!(
                "the event {id} is already matched with {other}: its face data is there"
            )));
        }
        self.event(id).await
    }

    pub async fn event(&self, id: &EventId) -> Result<EventDto, EngineError> {
        self.events()
            .await?
            .into_iter()
            .find(|e| id == e.id.as_str())
            .ok_or_else(|| no_event(id))
    }

    pub async fn events(&self) -> Result<Vec<EventDto>, EngineError> {
        let (events, active) = self
            .catalog()
            .read(|r| Ok((r.events()?, r.active_event()?.map(|e| e.id))))
            .await?;
        Ok(events
            .into_iter()
            .map(|e| event_dto(e, active.as_deref()))
            .collect())
    }

    /// Set the on-device matcher's threshold (cosine similarity, 0-1) for an event.
    /// On an event matched on this machine, matches now below it go at once and
    /// the stored signatures are searched again for matches now above it (no photo
    /// is decoded again). Returns the event.
    pub async fn set_local_threshold(
        &self,
        id: &EventId,
        threshold: f32,
    ) -> Result<EventDto, EngineError> {
        check_local_threshold(threshold)?;
        self.event(id).await?;
        let eid = id.to_string();
        let dropped = self
            .catalog()
            .write(move |w| w.set_local_threshold(&eid, threshold))
            .await?;
        tracing::info!(
            event = %id,
            threshold,
            dropped,
            "on-device threshold changed"
        );
        self.inner.workers.wake();
        self.event(id).await
    }

    /// Close an event at its end: nothing more is matched against it, its face
    /// data goes (on-device signatures at once; a Rekognition collection through
    /// durable deletion work, done now if this process can reach AWS, else as
    /// soon as one can) and so do its selfies. Matches found so far stay.
    /// Idempotent. A deletion that failed is an `Unavailable` error (the event
    /// is closed all the same, and FindMe tries again).
    pub async fn close_event(&self, id: &EventId) -> Result<EventDto, EngineError> {
        self.close_event_with(id, false).await
    }

    /// [`close_event`](Self::close_event); with `withdraw_photos` its photos
    /// also leave its event server (by default they stay there for guests).
    pub async fn close_event_with(
        &self,
        id: &EventId,
        withdraw_photos: bool,
    ) -> Result<EventDto, EngineError> {
        self.event(id).await?;
        let eid = id.to_string();
        let withdrawn = self
            .catalog()
            .write(move |w| {
                w.set_collection_state(&eid, "closed")?;
                if withdraw_photos {
                    w.withdraw_event_photos(&eid)
                } else {
                    Ok(0)
                }
            })
            .await?;
        if withdrawn > 0 {
            tracing::info!(event = %id, withdrawn, "closed event's photos leave its server");
            self.inner.workers.wake();
        }
        self.inner.workers.event_changed();
        self.end_on_server(id).await;
        let report = self.inner.workers.deletions().run(false).await?;
        if report.failed > 0 {
            let eid = id.to_string();
            let failed = self
                .catalog()
                .read(move |r| r.deletions(0, true))
                .await?
                .into_iter()
                .find(|d| d.failed && d.event_id == eid);
            if let Some(d) = failed {
                return Err(EngineError::Unavailable(format!(
                    "the event is closed, but its face data could not be deleted yet: {} (FindMe tries again)",
                    d.last_error.unwrap_or_default()
                )));
            }
        }
        self.event(id).await
    }

    /// Carry out every biometric deletion this process can (all events, each
    /// through the holder of the data), now.
    pub async fn run_deletions(&self) -> Result<DeletionReport, EngineError> {
        self.inner.workers.deletions().run(true).await
    }

    /// Match new (and all earlier) photos against this event.
    pub async fn use_event(&self, id: &EventId) -> Result<(), EngineError> {
        let event = self.catalog().read({
            let id = id.to_string();
            move |r| r.event(&id)
        });
        let Some(event) = event.await? else {
            return Err(no_event(id));
        };
        if event.collection_state == "closed" {
            return Err(EngineError::Conflict(format!(
                "the event {id} is closed: create a new event"
            )));
        }
        self.catalog()
            .write(move |w| w.set_active_event(&event.id))
            .await?;
        self.inner.workers.event_changed();
        Ok(())
    }
}

fn check_local_threshold(threshold: f32) -> Result<(), EngineError> {
    if (0.0..=1.0).contains(&threshold) {
        return Ok(());
    }
    Err(EngineError::Invalid(format!(
        "the on-device threshold is a cosine similarity from 0 to 1 (default {}), not {threshold}",
        findme_face_model::DEFAULT_MATCH_THRESHOLD
    )))
}

pub(crate) fn no_event(id: &EventId) -> EngineError {
    EngineError::NotFound(format!("no event {id}"))
}

fn event_dto(e: EventRow, active: Option<&str>) -> EventDto {
    EventDto {
        active: active == Some(e.id.as_str()),
        closed: e.closed_ms.is_some(),
        id: e.id,
        name: e.name,
        collection: e.collection_id,
        threshold: e.match_threshold,
        local_threshold: e.local_threshold,
        backend: e.backend,
        publish: e.publish.into(),
        server: e.sent_to,
    }
}
