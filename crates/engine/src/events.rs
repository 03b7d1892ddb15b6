//! Events and participants: creating events, choosing the active one, adding
//! participants with their selfies (copied into the data folder, so the original
//! file may move), importing a folder of selfies.

use std::path::{Path, PathBuf};

use findme_catalog::{EventRow, ParticipantRow};
use findme_keys::{EventId, ParticipantId};
use findme_media::{classify_path, hash_file, Classification};

use crate::{
    Engine, EngineError, EventDto, FailureDto, MatchBackend, ParticipantDto,
    ParticipantImportReport,
};

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
        if !(0.0..=1.0).contains(&threshold) {
            return Err(EngineError::Invalid(format!(
                "the on-device threshold is a cosine similarity from 0 to 1 (default {}), not {threshold}",
                findme_face_model::DEFAULT_MATCH_THRESHOLD
            )));
        }
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

    /// Close an event at its end: nothing more is matched against it, and its face
    /// collection is deleted (Rekognition keeps no faces of the guests). Matches
    /// found so far stay in the catalog. Idempotent; a failed deletion is reported
    /// and can be retried by closing again.
    pub async fn close_event(&self, id: &EventId) -> Result<EventDto, EngineError> {
        let event = self.event(id).await?;
        let eid = id.to_string();
        // Closed first, so no job recreates the collection while it is deleted.
        self.catalog()
            .write(move |w| w.set_collection_state(&eid, "closed"))
            .await?;
        self.inner.workers.event_changed();
        if self.inner.workers.start_matching() {
            if let Some(matching) = self.inner.workers.matching() {
                matching
                    .close_collection(event.collection.clone())
                    .await
                    .map_err(|reason| {
                        EngineError::Unavailable(format!(
                            "the event is closed, but its face collection {} could not be deleted: {reason} (close it again to retry)",
                            event.collection
                        ))
                    })?;
            }
        }
        self.event(id).await
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

    /// Add or update a participant of `event` (created if needed). The selfie is
    /// copied into the data folder; indexing happens in the background.
    pub async fn add_participant(
        &self,
        event: &EventId,
        id: &ParticipantId,
        name: &str,
        selfie: Option<PathBuf>,
        consent: bool,
    ) -> Result<ParticipantDto, EngineError> {
        if self
            .catalog()
            .read({
                let e = event.to_string();
                move |r| r.event(&e)
            })
            .await?
            .is_none()
        {
            self.create_event(event, event.as_str(), None).await?;
        }
        let stored = match selfie {
            Some(path) => Some(self.store_selfie(&path).await?),
            None => None,
        };
        let (ev, pid, name) = (event.to_string(), id.to_string(), name.to_string());
        self.catalog()
            .write(move |w| {
                let selfie = stored
                    .as_ref()
                    .map(|(sha, path)| (sha.as_str(), path.as_path()));
                w.upsert_participant(&ev, &pid, &name, selfie, consent)
            })
            .await?;
        self.inner.workers.wake();
        self.participant(event, id).await
    }

    /// Add every photo in `dir` as a participant's selfie: the file stem is the
    /// participant id; `names` (CSV `id,name` lines) gives display names.
    pub async fn import_participants(
        &self,
        event: &EventId,
        dir: &Path,
        names: Option<&Path>,
    ) -> Result<ParticipantImportReport, EngineError> {
        let names = match names {
            Some(csv) => read_names(csv)?,
            None => Default::default(),
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| EngineError::io("read", dir, e))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let mut report = ParticipantImportReport::default();
        for file in files {
            let name = file.file_name().map(Path::new).unwrap_or(&file);
            let skip = |reason: String| FailureDto {
                path: file.to_string_lossy().into_owned(),
                reason,
            };
            match classify_path(name) {
                Classification::Photo(_) => {}
                Classification::Ignore => continue,
                Classification::Skip(reason) => {
                    report.skipped.push(skip(reason));
                    continue;
                }
            }
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let id = match ParticipantId::parse(&stem) {
                Ok(id) => id,
                Err(e) => {
                    report.skipped.push(skip(e.to_string()));
                    continue;
                }
            };
            let display = names.get(&stem).cloned().unwrap_or(stem);
            match self
                .add_participant(event, &id, &display, Some(file.clone()), true)
                .await
            {
                Ok(_) => report.added += 1,
                Err(e) => report.skipped.push(skip(e.to_string())),
            }
        }
        Ok(report)
    }

    pub async fn participants(&self, event: &EventId) -> Result<Vec<ParticipantDto>, EngineError> {
        let ev = event.to_string();
        let rows = self.catalog().read(move |r| r.participants(&ev)).await?;
        Ok(rows
            .into_iter()
            .filter(|p| !p.removed)
            .map(participant_dto)
            .collect())
    }

    /// The active event's participants (none without an event), for the
    /// gallery's participant filter.
    pub async fn active_participants(&self) -> Result<Vec<ParticipantDto>, EngineError> {
        match self.catalog().read(|r| r.active_event()).await? {
            Some(event) => self.participants(&EventId::parse(&event.id)?).await,
            None => Ok(Vec::new()),
        }
    }

    pub async fn participant(
        &self,
        event: &EventId,
        id: &ParticipantId,
    ) -> Result<ParticipantDto, EngineError> {
        self.participants(event)
            .await?
            .into_iter()
            .find(|p| id == p.id.as_str())
            .ok_or_else(|| no_participant(event, id))
    }

    /// Remove a participant: matches go now, their face leaves the collection in
    /// the background, and the change is queued for the event server.
    pub async fn remove_participant(
        &self,
        event: &EventId,
        id: &ParticipantId,
    ) -> Result<(), EngineError> {
        let (ev, pid) = (event.to_string(), id.to_string());
        if !self
            .catalog()
            .write(move |w| w.remove_participant(&ev, &pid))
            .await?
        {
            return Err(no_participant(event, id));
        }
        self.inner.workers.wake();
        Ok(())
    }

    /// Give or withdraw consent. Withdrawn: matches dropped now, face deleted from
    /// the collection in the background.
    pub async fn set_consent(
        &self,
        event: &EventId,
        id: &ParticipantId,
        consent: bool,
    ) -> Result<ParticipantDto, EngineError> {
        let (ev, pid) = (event.to_string(), id.to_string());
        let row = self
            .catalog()
            .read(move |r| r.participant(&ev, &pid))
            .await?;
        let Some(row) = row.filter(|p| !p.removed) else {
            return Err(no_participant(event, id));
        };
        let (ev, pid, name) = (event.to_string(), id.to_string(), row.display_name);
        self.catalog()
            .write(move |w| w.upsert_participant(&ev, &pid, &name, None, consent))
            .await?;
        self.inner.workers.wake();
        self.participant(event, id).await
    }

    async fn store_selfie(&self, path: &Path) -> Result<(String, PathBuf), EngineError> {
        let source = path.to_path_buf();
        let dir = self.inner.data.selfies();
        tokio::task::spawn_blocking(move || {
            let (sha, _) = hash_file(&source).map_err(|e| EngineError::Io {
                what: format!("cannot read the selfie {}", source.display()),
                source: std::io::Error::other(e),
            })?;
            let ext = source
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_else(|| "jpg".into());
            let target = dir.join(format!("{}.{ext}", sha.to_hex()));
            std::fs::create_dir_all(&dir)
                .and_then(|()| {
                    if target.exists() {
                        Ok(0)
                    } else {
                        std::fs::copy(&source, &target)
                    }
                })
                .map_err(|e| EngineError::io("store the selfie in", &dir, e))?;
            Ok((sha.to_hex(), target))
        })
        .await
        .map_err(|e| EngineError::task("storing the selfie", e))?
    }
}

fn no_event(id: &EventId) -> EngineError {
    EngineError::NotFound(format!("no event {id}"))
}

fn no_participant(event: &EventId, id: &ParticipantId) -> EngineError {
    EngineError::NotFound(format!("no participant {id} in event {event}"))
}

fn read_names(csv: &Path) -> Result<std::collections::HashMap<String, String>, EngineError> {
    let text = std::fs::read_to_string(csv).map_err(|e| EngineError::io("read", csv, e))?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let (id, name) = line.split_once(',')?;
            let (id, name) = (id.trim().trim_matches('"'), name.trim().trim_matches('"'));
            (!id.is_empty() && id != "id").then(|| (id.to_string(), name.to_string()))
        })
        .collect())
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
    }
}

fn participant_dto(p: ParticipantRow) -> ParticipantDto {
    ParticipantDto {
        indexed: p.face_id.is_some(),
        id: p.id,
        name: p.display_name,
        consent: p.consent,
        error: p.index_error,
        photos: p.photos,
    }
}
