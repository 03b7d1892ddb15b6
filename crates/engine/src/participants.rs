//! Participants of an event: adding them with their selfies (copied into the
//! data folder, so the original file may move), importing a folder of selfies,
//! consent and removal. What a participant leaves behind (face, selfie file) is
//! deleted through the catalog's deletion work.

use std::path::{Path, PathBuf};

use findme_catalog::ParticipantRow;
use findme_keys::{EventId, ParticipantId};
use findme_media::{classify_path, hash_file, Classification};

use crate::{Engine, EngineError, FailureDto, ParticipantDto, ParticipantImportReport};

impl Engine {
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
        self.inner.workers.deletions_written();
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
        self.inner.workers.deletions_written();
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
        self.inner.workers.deletions_written();
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

pub(crate) fn no_participant(event: &EventId, id: &ParticipantId) -> EngineError {
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

fn participant_dto(p: ParticipantRow) -> ParticipantDto {
    let indexed = p.face_id.is_some();
    ParticipantDto {
        indexed,
        selfie: p.selfie_path.is_some(),
        faces: p
            .selfie_faces
            .iter()
            .map(|f| crate::FaceBoxDto {
                left: f.left,
                top: f.top,
                width: f.width,
                height: f.height,
            })
            .collect(),
        face: p.face_used.filter(|_| indexed),
        id: p.id,
        name: p.display_name,
        consent: p.consent,
        error: p.index_error,
        photos: p.photos,
    }
}

impl Engine {
    /// Add a participant with consent and a selfie, by name and an optional id
    /// (the app's form: without an id one is made from the name).
    pub async fn add_participant_named(
        &self,
        event: &EventId,
        id: Option<ParticipantId>,
        name: &str,
        selfie: PathBuf,
    ) -> Result<ParticipantDto, EngineError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(EngineError::Invalid("a participant needs a name".into()));
        }
        let id = match id {
            Some(id) => id,
            None => self.participant_id_for(event, name).await?,
        };
        self.add_participant(event, &id, name, Some(selfie), true)
            .await
    }

    /// An id for a participant added by name only (the app's form): the
    /// name's ASCII letters and digits, other runs as `-`, made unique in the
    /// event (`anna-k`, `anna-k-2`, …). An id once used (even by a removed
    /// participant) is not handed out again.
    pub async fn participant_id_for(
        &self,
        event: &EventId,
        name: &str,
    ) -> Result<ParticipantId, EngineError> {
        let ev = event.to_string();
        let taken: std::collections::HashSet<String> = self
            .catalog()
            .read(move |r| r.participants(&ev))
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let base = slug(name);
        let base = if base.is_empty() {
            "guest".to_string()
        } else {
            base
        };
        let mut candidate = base.clone();
        let mut n = 1;
        while taken.contains(&candidate) {
            n += 1;
            let suffix = format!("-{n}");
            let keep = base.len().min(64 - suffix.len());
            candidate = format!("{}{suffix}", &base[..keep]);
        }
        Ok(ParticipantId::parse(&candidate)?)
    }
}

/// Lower-case ASCII letters and digits of `name`; every other run becomes one
/// `-`; at most 64 characters (the protocol's id rule).
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out: String = out.trim_end_matches('-').chars().take(64).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs_follow_the_protocol_id_rule() {
        assert_eq!(slug("Anna K."), "anna-k");
        assert_eq!(slug("  Zoë O'Brien "), "zo-o-brien");
        assert_eq!(slug("李"), "");
        assert_eq!(slug(&"x".repeat(100)).len(), 64);
    }
}
